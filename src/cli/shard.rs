//! Running one experiment as N independent shards (Slurm job arrays, Kubernetes Indexed
//! Jobs) and merging them. Shard K of N runs the units (a tree, a ridge, a run) whose
//! index is K mod N and writes each unit's result to its own file, atomically, under
//! `--out/units/<command>/`. A unit whose file already holds this configuration's
//! result is not run again, so a retried shard finishes only what it had not.
//! `ridge-rider merge` runs the command over the unit files alone and writes what one
//! unbroken run writes.

use super::common::CliError;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `--shard` and the flags `merge` passes to a command.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ShardFlags {
    /// Run only units K, K+N, K+2N, … ("K/N", 0 ≤ K < N ≤ 100000), writing each unit's
    /// result under --out/units/; "auto" reads SLURM_ARRAY_TASK_ID and
    /// SLURM_ARRAY_TASK_COUNT, or a Kubernetes Indexed Job's JOB_COMPLETION_INDEX with
    /// RR_SHARD_COUNT. Then `ridge-rider merge` gathers the units [default: no shards]
    #[arg(long)]
    pub shard: Option<String>,
    /// Set by `merge`: build the results from the unit files in --out, running nothing.
    #[arg(long, hide = true)]
    pub from_units: bool,
    /// Set by `merge --partial`: missing units are left out instead of refused.
    #[arg(long, hide = true, requires = "from_units")]
    pub partial: bool,
}

/// Shard `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

/// The most shards of one run.
pub const MAX_SHARDS: usize = 100_000;

impl Shard {
    /// Whether unit `unit` (numbered in the command's job order) is this shard's.
    pub fn owns(&self, unit: usize) -> bool {
        unit % self.count == self.index
    }
}

/// `--shard K/N` or `auto`, read with `env` (the process environment in use).
pub fn parse_shard(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, CliError> {
    let bad = |why: String| CliError::Input(format!("--shard {text}: {why}"));
    let number =
        |name: &str, v: &str| v.trim().parse::<usize>().map_err(|_| bad(format!("{name} {v:?} is not a count")));
    let (index, count) = if text == "auto" {
        if let (Some(k), Some(n)) = (env("SLURM_ARRAY_TASK_ID"), env("SLURM_ARRAY_TASK_COUNT")) {
            (number("SLURM_ARRAY_TASK_ID", &k)?, number("SLURM_ARRAY_TASK_COUNT", &n)?)
        } else if let Some(k) = env("JOB_COMPLETION_INDEX") {
            let n = env("RR_SHARD_COUNT")
                .ok_or_else(|| bad("JOB_COMPLETION_INDEX needs RR_SHARD_COUNT (the Job's completions)".into()))?;
            (number("JOB_COMPLETION_INDEX", &k)?, number("RR_SHARD_COUNT", &n)?)
        } else {
            return Err(bad(
                "neither SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT nor JOB_COMPLETION_INDEX is set".into()
            ));
        }
    } else {
        let (k, n) = text.split_once('/').ok_or_else(|| bad("expected K/N, e.g. 0/3, or auto".into()))?;
        (number("K", k)?, number("N", n)?)
    };
    if count == 0 || count > MAX_SHARDS || index >= count {
        return Err(bad(format!("needs 0 ≤ K < N ≤ {MAX_SHARDS}, got K = {index}, N = {count}")));
    }
    Ok(Shard { index, count })
}

/// How a command runs: all its units (today's behaviour), one shard's, or none (merge).
pub enum Mode {
    Whole,
    Shard(Shard),
    Merge { partial: bool },
}

impl ShardFlags {
    pub fn mode(&self) -> Result<Mode, CliError> {
        match (&self.shard, self.from_units) {
            (Some(_), true) => Err(CliError::Input("--shard cannot be merged from units".into())),
            (Some(s), false) => parse_shard(s, |k| std::env::var(k).ok()).map(Mode::Shard),
            (None, true) => Ok(Mode::Merge { partial: self.partial }),
            (None, false) => Ok(Mode::Whole),
        }
    }
}

/// The unit files of one command in one `--out`, for one configuration (`fingerprint`:
/// every flag that changes a result; not --out, --threads or --shard).
pub struct Units {
    dir: PathBuf,
    command: String,
    fingerprint: Value,
}

impl Units {
    pub fn new(out: &Path, command: &str, fingerprint: Value) -> Units {
        Units { dir: out.join("units").join(command), command: command.to_string(), fingerprint }
    }

    fn file(&self, key: &str, shard: Shard) -> PathBuf {
        self.dir.join(format!("{key}.shard-{}-of-{}.json", shard.index, shard.count))
    }

    /// Unit `key`'s result if this shard already wrote it for this configuration.
    pub fn finished(&self, key: &str, shard: Shard) -> Option<Value> {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(self.file(key, shard)).ok()?).ok()?;
        (doc["fingerprint"] == self.fingerprint).then(|| doc["result"].clone())
    }

    /// Write unit `key`'s result, atomically.
    pub fn save(&self, key: &str, shard: Shard, argv: &[String], result: Value) -> Result<(), CliError> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| CliError::Runtime(format!("cannot create {}: {e}", self.dir.display())))?;
        let doc = json!({"command": self.command, "unit": key, "shard": format!("{}/{}", shard.index, shard.count),
            "fingerprint": self.fingerprint, "argv": argv, "result": result});
        super::common::write_json(&self.file(key, shard), &doc)
    }

    /// Every unit's result, by key, for merging: refused when a unit file holds another
    /// configuration or two files hold the same unit; `expected` keys that are missing
    /// are refused unless `partial`.
    pub fn gather(&self, expected: &[String], partial: bool) -> Result<BTreeMap<String, Value>, CliError> {
        let mut found: BTreeMap<String, (PathBuf, Value)> = BTreeMap::new();
        for doc in read_units(&self.dir)? {
            let (path, doc) = doc;
            if doc["fingerprint"] != self.fingerprint {
                return Err(CliError::Input(format!(
                    "{} holds a unit of another configuration (other flags or seed): merge units of one run only",
                    path.display()
                )));
            }
            let key = doc["unit"].as_str().unwrap_or_default().to_string();
            if let Some((first, _)) = found.get(&key) {
                return Err(CliError::Input(format!(
                    "unit {key} is in both {} and {}: shards of two different splits; remove one",
                    first.display(),
                    path.display()
                )));
            }
            found.insert(key, (path, doc["result"].clone()));
        }
        let missing: Vec<&String> = expected.iter().filter(|k| !found.contains_key(*k)).collect();
        if !missing.is_empty() && !partial {
            let list: Vec<&str> = missing.iter().take(20).map(|s| s.as_str()).collect();
            let more = if missing.len() > 20 { format!(" and {} more", missing.len() - 20) } else { String::new() };
            return Err(CliError::Input(format!(
                "{} of {} units are missing ({}{more}): run their shards, or merge with --partial",
                missing.len(),
                expected.len(),
                list.join(", ")
            )));
        }
        Ok(found.into_iter().map(|(k, (_, v))| (k, v)).collect())
    }
}

/// The unit documents under `dir`, with their paths, in name order.
pub fn read_units(dir: &Path) -> Result<Vec<(PathBuf, Value)>, CliError> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(Vec::new()) };
    let mut paths: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| CliError::Input(format!("cannot read {}: {e}", p.display())))?;
            let doc = serde_json::from_str(&text)
                .map_err(|e| CliError::Input(format!("{} is not a unit file: {e}", p.display())))?;
            Ok((p, doc))
        })
        .collect()
}

/// How a command's unit results are named and stored in unit files.
pub struct Codec<J, R> {
    pub key: fn(&J) -> String,
    pub to_json: fn(&R) -> Value,
    pub from_json: fn(&Value) -> Result<R, CliError>,
}

/// Run a command's units by `mode`: all of them, in parallel, calling `finished` with
/// the results so far after each (Whole); this shard's, into unit files, skipping those
/// already written (Shard: returns None); or none, reading the unit files (Merge).
/// Results come in job order, `None` for a unit missing from a `--partial` merge.
#[allow(clippy::too_many_arguments)]
pub fn run_units<J: Sync, R: Send>(
    mode: &Mode,
    what: &str,
    jobs: &[J],
    units: &Units,
    codec: &Codec<J, R>,
    compute: impl Fn(&J) -> Result<R, CliError> + Sync,
    finished: impl Fn(&[&R]) -> Result<(), CliError> + Sync,
    out: &Path,
) -> Result<Option<Vec<Option<R>>>, CliError> {
    use rayon::prelude::*;
    use std::sync::Mutex;
    match *mode {
        Mode::Merge { partial } => {
            let found = units.gather(&jobs.iter().map(codec.key).collect::<Vec<_>>(), partial)?;
            let results = jobs
                .iter()
                .map(|j| found.get(&(codec.key)(j)).map(codec.from_json).transpose())
                .collect::<Result<_, _>>()?;
            Ok(Some(results))
        }
        Mode::Shard(shard) => {
            let mine: Vec<&J> = jobs.iter().enumerate().filter(|(i, _)| shard.owns(*i)).map(|(_, j)| j).collect();
            let bar = super::report::progress(mine.len() as u64, what);
            let argv: Vec<String> = std::env::args().collect();
            let ran = mine
                .par_iter()
                .map(|j| {
                    let key = (codec.key)(j);
                    let fresh = units.finished(&key, shard).is_none();
                    if fresh {
                        units.save(&key, shard, &argv, (codec.to_json)(&compute(j)?))?;
                    }
                    bar.inc(1);
                    Ok(fresh)
                })
                .collect::<Result<Vec<bool>, CliError>>()?;
            bar.finish_and_clear();
            let fresh = ran.iter().filter(|f| **f).count();
            say!(
                "shard {}/{}: {fresh} of its {} units run, {} already done; then `ridge-rider merge {}`",
                shard.index,
                shard.count,
                mine.len(),
                mine.len() - fresh,
                out.display()
            );
            Ok(None)
        }
        Mode::Whole => {
            let bar = super::report::progress(jobs.len() as u64, what);
            let done: Mutex<Vec<Option<R>>> = Mutex::new(jobs.iter().map(|_| None).collect());
            jobs.par_iter().enumerate().try_for_each(|(i, j)| {
                let r = compute(j)?;
                bar.inc(1);
                let mut done = done.lock().map_err(|_| CliError::Runtime(format!("a {what} unit failed")))?;
                done[i] = Some(r);
                finished(&done.iter().flatten().collect::<Vec<&R>>())
            })?;
            bar.finish_and_clear();
            let done = done.into_inner().map_err(|_| CliError::Runtime(format!("a {what} unit failed")))?;
            Ok(Some(done))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_come_from_the_flag_or_the_schedulers_variables() {
        let none = |_: &str| None;
        assert_eq!(parse_shard("1/3", none).unwrap(), Shard { index: 1, count: 3 });
        for bad in ["3/3", "0/0", "a/3", "1", "-1/3", "auto"] {
            assert!(parse_shard(bad, none).is_err(), "{bad}");
        }
        let slurm = |k: &str| match k {
            "SLURM_ARRAY_TASK_ID" => Some("2".to_string()),
            "SLURM_ARRAY_TASK_COUNT" => Some("4".to_string()),
            _ => None,
        };
        assert_eq!(parse_shard("auto", slurm).unwrap(), Shard { index: 2, count: 4 });
        let k8s = |k: &str| match k {
            "JOB_COMPLETION_INDEX" => Some("0".to_string()),
            "RR_SHARD_COUNT" => Some("3".to_string()),
            _ => None,
        };
        assert_eq!(parse_shard("auto", k8s).unwrap(), Shard { index: 0, count: 3 });
        let k8s_without_count = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "0".to_string());
        assert!(parse_shard("auto", k8s_without_count).unwrap_err().to_string().contains("RR_SHARD_COUNT"));
        let s = Shard { index: 1, count: 3 };
        assert_eq!((0..7).filter(|&u| s.owns(u)).collect::<Vec<_>>(), [1, 4]);
    }
}
