//! `ridge-rider paper`: run the paper's experiments and write `REPORT.md` and
//! `index.html`: for every result, the paper's figures, ours on a full run and this
//! run's, the figure and a verdict computed from the numbers. `--quick` scales the
//! budgets down to finish in minutes and says so. A section that fails makes the
//! command exit 1, and a good `REPORT.md` is never replaced by a worse one (more failed
//! sections, or quick over full): the new report is then written beside it as
//! `REPORT.new.md` (and `index.new.html`).

mod render;
mod sections;
#[cfg(test)]
mod tests;
mod verdict;

use super::common::{check_threads, write_file, CliError, CliResult, RunFlags};
use super::outdir::OutDir;
use render::{Report, SectionRun, FAILED, QUICK};
use sections::SECTIONS;
use std::time::Instant;
use verdict::Results;

#[derive(clap::Args, Debug)]
#[command(mut_arg("seed", |a| a.help("Seed passed to every experiment")))]
#[command(mut_arg("out", |a| a.help("Output directory: REPORT.md and every experiment's JSON and SVG files")))]
pub struct Args {
    /// Smaller budgets (under 5 minutes on 2 cores); the report says what was scaled down.
    #[arg(long)]
    quick: bool,
    #[command(flatten)]
    run: RunFlags,
}

/// The flags alone, before any work (each section checks its own again).
pub fn validate(a: &Args) -> CliResult {
    check_threads(a.run.threads)
}

/// What a report says of itself: its failed sections, and whether it is a quick one.
fn quality(report: &str) -> (usize, bool) {
    (report.matches(FAILED).count(), report.contains(QUICK))
}

/// Where the new report goes: `REPORT.md`, unless that holds a better one (fewer
/// failed sections, or a full run where this one is quick).
fn report_path(out: &OutDir, new: &str) -> (std::path::PathBuf, Option<String>) {
    let main = out.join("REPORT.md");
    let Ok(old) = std::fs::read_to_string(&main) else { return (main, None) };
    let ((new_failed, new_quick), (old_failed, old_quick)) = (quality(new), quality(&old));
    if new_failed > old_failed || (new_quick && !old_quick) {
        let why = if new_failed > old_failed {
            format!("{new_failed} failed sections against its {old_failed}")
        } else {
            "a quick report does not replace a full one".to_string()
        };
        (out.join("REPORT.new.md"), Some(format!("{} kept ({why})", main.display())))
    } else {
        (main, None)
    }
}

pub fn run(a: Args) -> CliResult {
    validate(&a)?;
    let out = OutDir::open(&a.run.out)?;
    let out_dir = out.path().to_path_buf();
    let threads: Vec<String> = a.run.threads.map(|t| vec!["--threads".to_string(), t.to_string()]).unwrap_or_default();
    let expected = if a.quick { "about 4 minutes" } else { "about 17 minutes" };
    eprintln!("ridge-rider paper{}: expected time on 2 cores {expected}", if a.quick { " --quick" } else { "" });
    let total = Instant::now();
    let mut runs = Vec::new();
    let mut failures = Vec::new();
    for section in &SECTIONS {
        let dir = out_dir.join(section.dir);
        let mut argv = vec!["ridge-rider".to_string()];
        argv.extend((if a.quick { section.quick } else { section.full }).iter().map(|s| s.to_string()));
        argv.extend(["--seed".to_string(), a.run.seed.to_string(), "--out".to_string(), dir.display().to_string()]);
        argv.extend(threads.iter().cloned());
        eprintln!("== {}: {}", section.title, argv[1..].join(" "));
        let t = Instant::now();
        let outcome = super::dispatch(&argv).map_err(|e| e.to_string()).and_then(|()| {
            Results::load(&dir.join(section.json))
                .map(|r| (section.summarise)(&r))
                .ok_or_else(|| format!("{} could not be read", dir.join(section.json).display()))
        });
        if let Err(e) = &outcome {
            failures.push(format!("{}: {e}", section.title));
        }
        runs.push(SectionRun { section, command: argv.join(" "), seconds: t.elapsed().as_secs_f64(), outcome });
    }
    let report = Report { seed: a.run.seed, quick: a.quick, sections: runs, seconds: total.elapsed().as_secs_f64() };
    let markdown = render::markdown(&report);
    let (path, kept) = report_path(&out, &markdown);
    write_file(&path, markdown.as_bytes())?;
    let html_name = if kept.is_some() { "index.new.html" } else { "index.html" };
    write_file(&out.join(html_name), render::html(&report, &out_dir).as_bytes())?;
    let kept = kept.map_or(String::new(), |k| format!("; {k}"));
    if let Some(first) = failures.first() {
        return Err(CliError::Runtime(format!(
            "{} of {} sections failed (first: {first}); wrote {}{kept}",
            failures.len(),
            SECTIONS.len(),
            path.display()
        )));
    }
    say!("wrote {} and {}{kept}", path.display(), out.join(html_name).display());
    Ok(())
}
