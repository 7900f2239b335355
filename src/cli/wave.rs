//! `search --frontier F`: one RR search run as waves over many processes. A wave is
//! one round of the archive (`--round` entries, in archive order). The frontier F is
//! the search's checkpoint between waves; `--shard K/N` rides the wave's entries K,
//! K+N, … (`rr::ride_entry`, which depends on nothing but the entry) and writes each
//! ride to `F.rides/<serial>.ride`; `--merge` merges them in archive order with the
//! same budget accounting as one process (`rr::finish_round`) and writes the next
//! frontier. So the solutions equal a single-process `search` with the same seed,
//! budget and `--round`, for any N: which entries a wave holds, each ride's share of
//! the budget and the order of the merge depend only on the frontier, never on N.

use super::common::{CliError, CliResult};
use super::outdir::OutDir;
use super::search::{save_error, write_results, Args};
use super::shard::parse_shard;
use crate::rr::checkpoint::{decode_ride, encode_ride, load, save, Identity};
use crate::rr::{finish_round, has_work, next_round, ride_entry, start_search, Objective, RrParams};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

fn rides_dir(frontier: &Path) -> PathBuf {
    let mut name = frontier.as_os_str().to_owned();
    name.push(".rides");
    PathBuf::from(name)
}

pub(super) fn run<O: Objective>(
    a: &Args,
    obj: &O,
    mis: &[f64],
    p: &RrParams,
    id: &Identity,
    frontier: &Path,
    threads: usize,
) -> CliResult {
    let input = |e: crate::rr::RrError| CliError::Input(format!("{}: {e}", frontier.display()));
    let rides = rides_dir(frontier);
    if let Some(spec) = &a.shard {
        let shard = parse_shard(spec, |k| std::env::var(k).ok())?;
        let dir = frontier.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let _lock = OutDir::open_shard(dir, shard.index, shard.count)?;
        let mut state = load(frontier, id, p).map_err(input)?;
        let Some(round) = next_round(&mut state, p) else {
            say!("the search is done: nothing to ride; run `--merge` to write search.json");
            return Ok(());
        };
        std::fs::create_dir_all(&rides)
            .map_err(|e| CliError::Runtime(format!("cannot create {}: {e}", rides.display())))?;
        let mine: Vec<_> = round.entries.iter().enumerate().filter(|(i, _)| shard.owns(*i)).map(|(_, e)| e).collect();
        let written = mine
            .par_iter()
            .map(|e| {
                let file = rides.join(format!("{}.ride", e.serial));
                // A ride already written for this frontier is not ridden again.
                if std::fs::read(&file).is_ok_and(|b| decode_ride(&b, e.serial, id).is_ok()) {
                    return Ok(false);
                }
                let ride = ride_entry(obj, e, p, round.budget);
                crate::io::write_atomic(&file, &encode_ride(&ride, e.serial, id))
                    .map_err(|err| CliError::Runtime(format!("cannot write {}: {err}", file.display())))?;
                Ok(true)
            })
            .collect::<Result<Vec<bool>, CliError>>()?;
        say!(
            "wave shard {}/{}: {} of its {} rides ridden ({} already there)",
            shard.index,
            shard.count,
            written.iter().filter(|w| **w).count(),
            mine.len(),
            written.iter().filter(|w| !**w).count()
        );
        return Ok(());
    }
    let out = OutDir::open(&a.run.out)?;
    if !a.merge {
        if frontier.exists() && !a.force {
            return Err(CliError::Input(format!(
                "{} holds a wave search already: run its waves (--shard, --merge), or start over with --force",
                frontier.display()
            )));
        }
        let state = start_search(obj, mis, p).map_err(|e| CliError::Runtime(e.to_string()))?;
        save(frontier, &state, id).map_err(save_error)?;
        say!(
            "frontier {} written: {} entries; ride the first wave with --shard K/N",
            frontier.display(),
            state.archive.len()
        );
        return Ok(());
    }
    let mut state = load(frontier, id, p).map_err(input)?;
    if let Some(round) = next_round(&mut state, p) {
        let mut missing = Vec::new();
        let mut done = Vec::with_capacity(round.entries.len());
        for e in &round.entries {
            let file = rides.join(format!("{}.ride", e.serial));
            match std::fs::read(&file) {
                Ok(bytes) => done.push(
                    decode_ride(&bytes, e.serial, id)
                        .map_err(|err| CliError::Input(format!("{}: {err}", file.display())))?,
                ),
                Err(_) => missing.push(e.serial.to_string()),
            }
        }
        if !missing.is_empty() {
            return Err(CliError::Input(format!(
                "{} of the wave's {} rides are missing (entries {}): run their shards first",
                missing.len(),
                round.entries.len(),
                missing.join(", ")
            )));
        }
        finish_round(obj, p, &mut state, &round, done);
        save(frontier, &state, id).map_err(save_error)?;
        for e in &round.entries {
            let _ = std::fs::remove_file(rides.join(format!("{}.ride", e.serial)));
        }
    }
    match has_work(&state, p) {
        true => {
            say!(
                "next wave: up to {} of {} entries ({} timesteps spent of {}); ride it with --shard K/N, then --merge",
                p.round,
                state.archive.len(),
                state.output.timesteps,
                p.budget.timesteps
            );
            Ok(())
        }
        false => {
            say!("the search is done");
            write_results(a, &out, &state, threads)
        }
    }
}
