//! The one result shape every experiment writes:
//! `{"experiment", "config", "complete", "rows": [{"setting", "method", "metric", "mean", "ci95", "n"}], ...detail}`,
//! with a printed table and a progress bar on stderr. `complete` is false while a
//! command rewrites the file as its units (trees, methods, runs) finish.

use super::common::{write_json, CliError};
use serde_json::{json, Value};
use std::path::Path;

/// One aggregated figure; a non-finite mean or ci95 is written as `null`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    pub setting: String,
    pub method: String,
    pub metric: String,
    pub mean: f64,
    /// Half-width of the 95% confidence interval of the mean (Student t); NaN for n < 2.
    pub ci95: f64,
    pub n: usize,
}

impl Row {
    /// Aggregate a sample.
    pub fn from_sample(
        setting: impl Into<String>,
        method: impl Into<String>,
        metric: impl Into<String>,
        xs: &[f64],
    ) -> Row {
        let (mean, ci95) = mean_ci95(xs);
        Row { setting: setting.into(), method: method.into(), metric: metric.into(), mean, ci95, n: xs.len() }
    }
}

/// Two-sided 97.5% quantiles of Student's t for 1–30 degrees of freedom.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
    2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/// Mean and the half-width of its 95% confidence interval.
pub fn mean_ci95(xs: &[f64]) -> (f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, f64::NAN);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let t = T975.get(n - 2).copied().unwrap_or(1.96);
    (mean, t * (var / n as f64).sqrt())
}

/// Print rows as a table on stdout.
pub fn print_table(rows: &[Row]) {
    let w =
        |f: fn(&Row) -> &str, head: &str| rows.iter().map(|r| f(r).chars().count()).max().unwrap_or(0).max(head.len());
    let (ws, wm, wt) = (w(|r| &r.setting, "setting"), w(|r| &r.method, "method"), w(|r| &r.metric, "metric"));
    say!("{:<ws$}  {:<wm$}  {:<wt$}  {:>20}  {:>4}", "setting", "method", "metric", "mean ± 95% CI", "n");
    for r in rows {
        let ci = if r.ci95.is_finite() { format!("{:.4} ± {:.4}", r.mean, r.ci95) } else { format!("{:.4}", r.mean) };
        say!("{:<ws$}  {:<wm$}  {:<wt$}  {:>20}  {:>4}", r.setting, r.method, r.metric, ci, r.n);
    }
}

/// Write `<out>/<experiment>.json` in the shared shape; `detail` adds top-level keys;
/// `complete` says whether every unit of work is in it.
pub fn write_report(
    out: &Path,
    experiment: &str,
    config: Value,
    rows: &[Row],
    detail: Value,
    complete: bool,
) -> Result<(), CliError> {
    let mut doc = json!({
        "experiment": experiment,
        "config": config,
        "complete": complete,
        "rows": rows,
    });
    if let (Some(d), Value::Object(extra)) = (doc.as_object_mut(), detail) {
        for (k, v) in extra {
            d.insert(k, v);
        }
    }
    write_json(&out.join(format!("{experiment}.json")), &doc)
}

/// A progress bar on stderr (hidden when stderr is not a terminal).
pub fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}
