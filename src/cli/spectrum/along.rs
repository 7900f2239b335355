//! `spectrum --along FILE`: the k most wanted eigenvalues (and, with --trace, the
//! trace) at each θ of a saved ride, each solve warm-started from the previous θ's
//! eigenvectors ([`SpectrumTracker`]), written as the points are done and plotted
//! against the step.

use super::{analysis, lanczos_params, operator, solve_error, Args};
use crate::cli::common::{write_json, CliError, CliResult};
use crate::cli::outdir::OutDir;
use crate::cli::report::{progress, write_report, Row};
use crate::cli::svg::{write_svg, LineChart};
use crate::linalg::track::{SpectrumTracker, TrackParams};
use crate::linalg::Which;
use crate::problems::mnist::mlp::MlpLoss;
use serde_json::json;
use std::time::Instant;

/// What has been measured along the ride so far, one entry per point.
#[derive(Default)]
struct Track {
    steps: Vec<usize>,
    eigenvalues: Vec<Vec<f64>>,
    residuals: Vec<Vec<f64>>,
    converged: Vec<Vec<bool>>,
    hvps: Vec<usize>,
    seconds: Vec<f64>,
    /// How much of the previous point's eigenspace each point keeps (null at the first).
    overlaps: Vec<Option<f64>>,
    traces: Vec<serde_json::Value>,
}

impl Track {
    fn detail(&self, a: &Args) -> serde_json::Value {
        json!({"along": {"file": super::path_text(&a.along), "every": a.along_every, "warm_start": !a.cold_starts,
            "steps": self.steps, "eigenvalues": self.eigenvalues, "residuals": self.residuals,
            "converged": self.converged, "hvps": self.hvps, "seconds": self.seconds, "overlap": self.overlaps,
            "total_hvps": self.hvps.iter().sum::<usize>(), "trace": a.trace.then_some(&self.traces)}})
    }

    /// Eigenvalue i against the step, one line per i.
    fn figure(&self, a: &Args) -> String {
        let k = self.eigenvalues.iter().map(Vec::len).max().unwrap_or(0);
        let series = (0..k)
            .map(|i| {
                let points = self.steps.iter().zip(&self.eigenvalues);
                (format!("λ{i}"), points.filter_map(|(s, v)| Some((*s as f64, *v.get(i)?))).collect())
            })
            .collect();
        let start = if a.cold_starts { "random starts" } else { "warm-started Lanczos" };
        LineChart {
            title: format!("The {} {} Hessian eigenvalues along the ride ({start})", a.k, which_name(a.which)),
            x_label: "step".into(),
            y_label: "eigenvalue".into(),
            series,
            references: Vec::new(),
        }
        .to_svg()
    }
}

fn which_name(which: Which) -> &'static str {
    match which {
        Which::MostNegative => "most negative",
        Which::Largest => "largest",
        Which::LargestMagnitude => "largest-magnitude",
    }
}

pub(super) fn run(
    a: &Args,
    losses: &[MlpLoss],
    ride: &[Vec<f64>],
    out: &OutDir,
    config: serde_json::Value,
) -> CliResult {
    let params = TrackParams { lanczos: lanczos_params(a), warm_start: !a.cold_starts };
    let mut tracker = SpectrumTracker::new(params).map_err(|e| CliError::Input(e.to_string()))?;
    let bar = progress(ride.len() as u64, "spectrum --along");
    let (mut track, mut rows) = (Track::default(), Vec::new());
    for (i, theta) in ride.iter().enumerate() {
        let step = i * a.along_every;
        let op = operator(losses, theta)?;
        let started = Instant::now();
        let point = tracker.next(&op).map_err(|e| solve_error(a, e))?;
        track.seconds.push(started.elapsed().as_secs_f64());
        track.overlaps.push(point.overlap);
        let r = point.pairs;
        rows.extend(
            r.values
                .iter()
                .enumerate()
                .map(|(j, v)| Row::from_sample(format!("step={step} i={j}"), "lanczos", "eigenvalue", &[*v])),
        );
        if a.trace {
            let t = analysis::trace(a, &op, &format!("step={step}"))?;
            rows.extend(t.rows);
            track.traces.push(t.json);
        }
        track.steps.push(step);
        track.hvps.push(r.operator_applications);
        track.eigenvalues.push(r.values);
        track.residuals.push(r.residuals);
        track.converged.push(r.converged);
        let complete = i + 1 == ride.len();
        write_report(out.path(), "spectrum", config.clone(), &rows, track.detail(a), complete)?;
        write_svg(&out.join("spectrum.svg"), &track.figure(a))?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    if let Some(path) = &a.json {
        let mut doc = track.detail(a);
        doc["config"] = config;
        write_json(path, &doc)?;
    }
    say!("{:>8} {:>16} {:>16} {:>8} {:>10} {:>8}", "step", "first", "last", "HVPs", "converged", "overlap");
    for (p, s) in track.steps.iter().enumerate() {
        let v = &track.eigenvalues[p];
        let conv = track.converged[p].iter().filter(|c| **c).count();
        let overlap = track.overlaps[p].map_or("-".to_string(), |o| format!("{o:.3}"));
        say!(
            "{:>8} {:>16.8} {:>16.8} {:>8} {:>7}/{} {:>8}",
            s,
            v.first().copied().unwrap_or(f64::NAN),
            v.last().copied().unwrap_or(f64::NAN),
            track.hvps[p],
            conv,
            v.len(),
            overlap
        );
    }
    say!("{} HVPs over {} points", track.hvps.iter().sum::<usize>(), track.steps.len());
    Ok(())
}
