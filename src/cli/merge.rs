//! `ridge-rider merge DIR`: gather the unit files that shards (`--shard K/N`) wrote
//! under DIR/units/ and write what one unbroken run writes: the command's JSON, SVG
//! and table. It re-runs the shards' command with their flags over the unit files
//! alone (`--from-units`), so the rows are those of one run; the command refuses units
//! of other configurations, duplicate units, and missing ones (unless `--partial`).

use super::common::{CliError, CliResult};
use super::shard::read_units;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The --out directory the shards wrote into.
    dir: PathBuf,
    /// Write a partial result when units are missing (it is marked "complete": false).
    #[arg(long)]
    partial: bool,
}

/// The flags alone, before any work.
pub fn validate(_: &Args) -> CliResult {
    Ok(())
}

/// The shard's command line without the flags that differ between shards or machines.
fn shared_flags(argv: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in argv.iter().skip(1) {
        if skip {
            skip = false;
            continue;
        }
        match a.as_str() {
            "--shard" | "--out" | "--threads" => skip = true,
            _ if a.starts_with("--shard=") || a.starts_with("--out=") || a.starts_with("--threads=") => {}
            _ => out.push(a.clone()),
        }
    }
    out
}

pub fn run(a: Args) -> CliResult {
    let root = a.dir.join("units");
    let commands = std::fs::read_dir(&root).map_err(|_| {
        CliError::Input(format!(
            "no unit files under {}: run the shards with --out {}",
            root.display(),
            a.dir.display()
        ))
    })?;
    let mut dirs: Vec<PathBuf> = commands.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(CliError::Input(format!("no unit files under {}", root.display())));
    }
    for dir in dirs {
        let units = read_units(&dir)?;
        let Some((path, first)) = units.first() else { continue };
        let argv: Vec<String> =
            first["argv"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect();
        let flags = shared_flags(&argv);
        let command = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if flags.first() != Some(&command) {
            return Err(CliError::Input(format!("{} was not written by `{command} --shard`", path.display())));
        }
        let mut merged = vec!["ridge-rider".to_string()];
        merged.extend(flags);
        merged.extend(["--out".to_string(), a.dir.display().to_string(), "--from-units".to_string()]);
        if a.partial {
            merged.push("--partial".to_string());
        }
        super::dispatch(&merged)?;
    }
    Ok(())
}
