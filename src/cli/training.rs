//! Training runs of the MNIST commands side by side: every run at once, up to
//! `--threads` (`train_in_parallel`), or, with `--shard`, one shard's runs into unit
//! files and a merge from them (`train_units`).

use super::common::{one_gemm_thread_per_run, CliError, CliResult};
use super::shard::{run_units, Codec, Mode, Units};
use crate::problems::mnist::rr::Curve;
use rayon::prelude::*;
use serde_json::json;
use std::sync::Mutex;

/// Independent training runs, up to `--threads` at once: each is deterministic on its
/// own, so the results do not depend on the thread count. `report` sees the runs
/// finished so far (in `items` order) after each one ends, so an interrupted command
/// keeps what it finished.
pub(super) fn train_in_parallel<T: Sync>(
    items: &[T],
    bar: &indicatif::ProgressBar,
    train_one: impl Fn(&T, &mut dyn FnMut(usize)) -> Result<Curve, CliError> + Sync,
    report: impl Fn(&[Option<Curve>]) -> CliResult + Sync,
) -> Result<Vec<Curve>, CliError> {
    one_gemm_thread_per_run(items.len());
    let finished: Mutex<Vec<Option<Curve>>> = Mutex::new(items.iter().map(|_| None).collect());
    items.par_iter().enumerate().try_for_each(|(i, item)| {
        let curve = train_one(item, &mut |steps| bar.inc(steps as u64))?;
        let mut done = finished.lock().map_err(|_| CliError::Runtime("a training run failed".into()))?;
        done[i] = Some(curve);
        report(&done)
    })?;
    let done = finished.into_inner().map_err(|_| CliError::Runtime("a training run failed".into()))?;
    Ok(done.into_iter().flatten().collect())
}

/// Train `items` by `mode`: all at once, `write` seeing the curves finished so far
/// (Whole); this shard's into unit files (Shard: None); or none, from the unit files
/// (Merge, then `write` once). Curves come in `items` order.
#[allow(clippy::too_many_arguments)]
pub(super) fn train_units<T: Sync>(
    mode: &Mode,
    items: &[T],
    units: &Units,
    key: fn(&T) -> String,
    bar: &indicatif::ProgressBar,
    train_one: impl Fn(&T, &mut dyn FnMut(usize)) -> Result<Curve, CliError> + Sync,
    write: impl Fn(&[Option<Curve>]) -> CliResult + Sync,
    out: &std::path::Path,
) -> Result<Option<Vec<Curve>>, CliError> {
    if let Mode::Whole = mode {
        return train_in_parallel(items, bar, train_one, write).map(Some);
    }
    let codec = Codec { key, to_json: curve_unit, from_json: curve_from_unit };
    one_gemm_thread_per_run(items.len());
    let compute = |item: &T| train_one(item, &mut |steps| bar.inc(steps as u64));
    let Some(finished) = run_units(mode, "mnist", items, units, &codec, compute, |_| Ok(()), out)? else {
        return Ok(None);
    };
    write(&finished)?;
    Ok(Some(finished.into_iter().flatten().collect()))
}

/// What a unit file must match: the config without what differs between shards.
pub(super) fn fingerprint(config: &serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    let mut c = config.clone();
    if let Some(map) = c.as_object_mut() {
        map.remove("threads");
        map.remove("out");
    }
    json!({"config": c, "extra": extra})
}

/// A ridge's curve as its unit file holds it.
fn curve_unit(c: &Curve) -> serde_json::Value {
    serde_json::to_value(c).unwrap_or(serde_json::Value::Null)
}

fn curve_from_unit(v: &serde_json::Value) -> Result<Curve, CliError> {
    serde_json::from_value(v.clone())
        .map_err(|e| CliError::Input(format!("an mnist-classes unit file is malformed: {e}")))
}
