//! `ridge-rider levers`: zero-shot coordination in the lever game (paper Fig. 6).
//!
//! For each repeat, `--replicates` independent runs each see the levers in their own
//! random order, find the MIS, and ride every negative ridge of the Hessian there in
//! both directions (exact RR, one branching, then gradient descent). A fingerprint is
//! (eigen-index, direction); its direction is fixed by a label-free rule (Σeᵢ³ > 0,
//! see `rr::ridges::canonical_sign`). A fingerprint's score is the mean cross-play
//! among replicates; the protocol deploys the fingerprint with the highest score.
//! Rows: setting `ridge=<k>` with k = 2·index + (0 for +, 1 for −); the fingerprint of
//! each k is in the JSON's `ridges`. Baseline: self-play gradient descent from random
//! logits (`sp-gd`), scored the same way.

use super::common::{check_threads, set_threads, CliError, CliResult, RunFlags};
use super::outdir::OutDir;
use super::report::{mean_ci95, print_table, progress, write_report, Row};
use super::shard::{run_units, Codec, Mode, ShardFlags, Units};
use super::svg::{heatmaps, stack, write_svg, Bar, BarChart, BarGroup, BarPanel};
use super::validate::{require_count, require_float, Low, MAX_REPEATS};
use crate::optim::{gradient_descent, DescentParams};
use crate::problems::levers::{gather, protocol_rr_params, replicate, self_and_cross_play, LeverGame, PolicyPair};
use crate::rr::Choice;
use rayon::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Instant;

#[derive(clap::Args, Debug)]
#[command(mut_arg("seed", |a| a.help("Seed of the relabellings and baselines; the same result at any --threads")))]
pub struct Args {
    /// Lever payoffs, comma-separated: 2–1000 levers, each in (0, 100].
    #[arg(long, value_delimiter = ',', default_value = "1,1,1,1,1,1,1,0.8,0.8,0.6")]
    payoffs: Vec<f64>,
    /// Independent replicates per repeat (cross-play needs at least 2).
    #[arg(long, default_value_t = 25)]
    replicates: usize,
    /// Repeats of the whole protocol (for confidence intervals).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    #[command(flatten)]
    run: RunFlags,
    #[command(flatten)]
    shard: ShardFlags,
}

type Policies = Vec<(Vec<f64>, Vec<f64>)>;

/// The self-play baseline: gradient descent from random logits in a relabelled game.
fn baseline_replicate(payoffs: &[f64], seed: u64, k: u64) -> Result<(Vec<f64>, Vec<f64>), CliError> {
    let perm = crate::rng::permutation(&mut crate::rng::seeded(seed, 0x6c6576 + k), payoffs.len());
    let game = LeverGame::relabelled(payoffs, perm);
    let start = crate::rng::normal_vec(&mut crate::rng::seeded(seed, 0x62617365 + k), 2 * payoffs.len(), 1.0);
    let descent = DescentParams { steps: 5000, lr: 1.0, grad_tol: 1e-9 };
    let theta = gradient_descent(&game, &start, &descent).map_err(|e| CliError::Runtime(e.to_string()))?.theta;
    let (p1, p2) = game.policies(&theta);
    Ok((game.canonical(&p1), game.canonical(&p2)))
}

/// One repeat of the protocol: each replicate's (fingerprint, policies) and the
/// self-play baseline's policies.
struct Repeat {
    runs: Vec<Vec<(Choice, PolicyPair)>>,
    base: Policies,
}

fn repeat_json(r: &Repeat) -> serde_json::Value {
    let runs: Vec<Vec<serde_json::Value>> =
        r.runs.iter().map(|run| run.iter().map(|(c, (p1, p2))| json!([c.index, c.sign, p1, p2])).collect()).collect();
    json!({"runs": runs, "base": r.base})
}

fn repeat_from_json(v: &serde_json::Value) -> Result<Repeat, CliError> {
    let bad = || CliError::Input("a levers unit file is malformed".into());
    let floats = |x: &serde_json::Value| -> Result<Vec<f64>, CliError> {
        x.as_array().ok_or_else(bad)?.iter().map(|f| f.as_f64().ok_or_else(bad)).collect()
    };
    let runs = v["runs"]
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|run| {
            run.as_array()
                .ok_or_else(bad)?
                .iter()
                .map(|e| {
                    let index = e[0].as_u64().ok_or_else(bad)? as usize;
                    let sign = e[1].as_i64().ok_or_else(bad)? as i8;
                    Ok((Choice { index, sign }, (floats(&e[2])?, floats(&e[3])?)))
                })
                .collect::<Result<Vec<_>, CliError>>()
        })
        .collect::<Result<_, _>>()?;
    let base = v["base"]
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|p| Ok((floats(&p[0])?, floats(&p[1])?)))
        .collect::<Result<_, CliError>>()?;
    Ok(Repeat { runs, base })
}

fn ridge_number(c: &Choice) -> usize {
    2 * c.index + usize::from(c.sign < 0)
}

/// The largest payoff accepted: larger ones overflow the game's squared-gradient MIS.
const MAX_PAYOFF: f64 = 100.0;

/// The flags alone, before any work.
pub fn validate(a: &Args) -> CliResult {
    check_threads(a.run.threads)?;
    require_count("--payoffs: the number of levers", a.payoffs.len(), 2, 1000)?;
    a.payoffs.iter().try_for_each(|&r| require_float("--payoffs", r, 0.0, Low::Open, MAX_PAYOFF))?;
    if a.replicates < 2 {
        return Err(CliError::Input("--replicates must be at least 2 (cross-play pairs replicates)".into()));
    }
    require_count("--replicates", a.replicates, 2, MAX_REPEATS)?;
    require_count("--repeats", a.repeats, 1, MAX_REPEATS)
}

pub fn run(a: Args) -> CliResult {
    validate(&a)?;
    let threads = set_threads(a.run.threads)?;
    let mode = a.shard.mode()?;
    let out = match mode {
        Mode::Shard(s) => OutDir::open_shard(&a.run.out, s.index, s.count)?,
        _ => OutDir::open(&a.run.out)?,
    };
    let started = Instant::now();
    let payoffs = a.payoffs.clone();
    let rr = protocol_rr_params(payoffs.len());
    let bar = progress((a.repeats * a.replicates * 2) as u64, "levers");
    // One repeat: every replicate's RR solutions, and the self-play baseline's policies.
    let compute = |&rep: &u64| -> Result<Repeat, CliError> {
        let seed = a.run.seed.wrapping_add(rep.wrapping_mul(1_000_003));
        let runs = (0..a.replicates as u64)
            .into_par_iter()
            .map(|k| {
                let r = replicate(&payoffs, seed, k, &rr).map_err(|e| CliError::Runtime(e.to_string()));
                bar.inc(1);
                r
            })
            .collect::<Result<Vec<_>, _>>()?;
        let base: Policies = (0..a.replicates as u64)
            .into_par_iter()
            .map(|k| {
                let r = baseline_replicate(&payoffs, seed, k);
                bar.inc(1);
                r
            })
            .collect::<Result<_, _>>()?;
        Ok(Repeat { runs, base })
    };
    let fingerprint =
        json!({"payoffs": a.payoffs, "replicates": a.replicates, "repeats": a.repeats, "seed": a.run.seed});
    let units = Units::new(out.path(), "levers", fingerprint);
    let codec = Codec { key: |r: &u64| format!("repeat={r}"), to_json: repeat_json, from_json: repeat_from_json };
    let repeats: Vec<u64> = (0..a.repeats as u64).collect();
    let Some(done) = run_units(&mode, "levers", &repeats, &units, &codec, compute, |_| Ok(()), &a.run.out)? else {
        return Ok(());
    };
    // Per fingerprint: (self-play, cross-play) of each repeat; and the protocol's picks.
    let mut scores: BTreeMap<Choice, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    let mut levers_of: BTreeMap<Choice, Vec<usize>> = BTreeMap::new();
    let mut examples: BTreeMap<Choice, Policies> = BTreeMap::new();
    let (mut picked, mut picked_value, mut base_sp, mut base_xp) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for Repeat { runs, base } in done.into_iter().flatten() {
        let outcomes = gather(&payoffs, runs);
        let best = outcomes.iter().max_by(|x, y| x.cross_play.total_cmp(&y.cross_play).then(y.choice.cmp(&x.choice)));
        if let Some(b) = best {
            picked.push(b.choice);
            picked_value.push(b.cross_play);
        }
        for o in outcomes {
            let e = scores.entry(o.choice).or_default();
            e.0.push(o.self_play);
            e.1.push(o.cross_play);
            levers_of.entry(o.choice).or_default().extend(o.levers);
            examples.entry(o.choice).or_insert(o.policies);
        }
        let (sp, xp) = self_and_cross_play(&base, &payoffs);
        base_sp.push(sp);
        base_xp.push(xp);
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();

    let mut rows = Vec::new();
    let mut ridges_json = Vec::new();
    // Printed once the files are written.
    let mut lines = Vec::new();
    // Each ridge's x label in the figure: its number, then the payoff it chooses.
    let mut labels_of = BTreeMap::new();
    lines.push(format!(
        "{:>5} {:>9} {:<22} {:>18} {:>18}",
        "ridge", "(i, dir)", "lever chosen (payoff)", "self-play", "cross-play"
    ));
    let mut ordered: Vec<_> = scores.iter().collect();
    ordered.sort_by_key(|(c, _)| ridge_number(c));
    for &(c, (sp, xp)) in &ordered {
        let k = ridge_number(c);
        let setting = format!("ridge={k}");
        rows.push(Row::from_sample(&setting, "rr", "cross_play", xp));
        rows.push(Row::from_sample(&setting, "rr", "self_play", sp));
        let lv = &levers_of[c];
        let mut counts = vec![0usize; payoffs.len()];
        lv.iter().for_each(|&l| counts[l] += 1);
        let mode = (0..counts.len()).fold(0, |b, i| if counts[i] > counts[b] { i } else { b });
        let distinct = counts.iter().filter(|&&n| n > 0).count();
        let pays: std::collections::BTreeSet<String> =
            counts.iter().enumerate().filter(|(_, &n)| n > 0).map(|(l, _)| payoffs[l].to_string()).collect();
        let pays = pays.into_iter().collect::<Vec<_>>().join("/");
        let chosen =
            if distinct == 1 { format!("lever {mode} ({pays})") } else { format!("{distinct} levers ({pays})") };
        labels_of.insert(k, format!("{k}\n{pays}"));
        let (spm, spc) = mean_ci95(sp);
        let (xpm, xpc) = mean_ci95(xp);
        lines.push(format!(
            "{k:>5} {:>9} {chosen:<22} {:>18} {:>18}",
            format!("({}, {})", c.index, if c.sign > 0 { '+' } else { '-' }),
            fmt(spm, spc),
            fmt(xpm, xpc)
        ));
        ridges_json.push(json!({"ridge": k, "eigen_index": c.index, "sign": c.sign, "levers_chosen": counts,
            "lever_mode": mode, "payoff_mode": payoffs[mode]}));
    }
    rows.push(Row::from_sample("baseline", "sp-gd", "cross_play", &base_xp));
    rows.push(Row::from_sample("baseline", "sp-gd", "self_play", &base_sp));
    rows.push(Row::from_sample("protocol", "rr", "zero_shot_payoff", &picked_value));
    let pick_counts: BTreeMap<usize, usize> = picked.iter().fold(BTreeMap::new(), |mut m, c| {
        *m.entry(ridge_number(c)).or_insert(0) += 1;
        m
    });
    let main_pick = pick_counts.iter().max_by_key(|(_, n)| **n).map(|(k, _)| *k);
    let pick_lever =
        main_pick.and_then(|k| ridges_json.iter().find(|r| r["ridge"] == k)).map(|r| r["lever_mode"].clone());
    let (bm, bc) = mean_ci95(&base_xp);
    lines.push(format!("baseline self-play GD: cross-play {}", fmt(bm, bc)));
    let (pm, pc) = mean_ci95(&picked_value);
    lines.push(format!(
        "protocol picks ridge {} (lever {}) in {}/{} repeats; zero-shot payoff {}",
        main_pick.map_or("-".into(), |k| k.to_string()),
        pick_lever.clone().unwrap_or(json!(null)),
        main_pick.map_or(0, |k| pick_counts[&k]),
        a.repeats,
        fmt(pm, pc)
    ));
    let config = json!({"payoffs": a.payoffs, "replicates": a.replicates, "repeats": a.repeats, "seed": a.run.seed,
        "threads": threads, "out": a.run.out_text(), "rr": {"spectrum": "exact", "branching_depth": 1, "delta_break": rr.riding.delta_break,
        "alpha": rr.riding.alpha, "final_descent": true, "mis": "min ||grad||^2 from uniform logits", "sign_rule": "sum e_i^3 > 0"}});
    let detail =
        json!({"ridges": ridges_json, "protocol_picks": pick_counts, "picked_lever": pick_lever, "seconds": seconds});
    write_report(out.path(), "levers", config, &rows, detail, true)?;

    // Figure: cross-play and self-play per ridge (and the self-play GD baseline), then
    // the policies of three replicates.
    let mut groups: Vec<BarGroup> = ordered
        .iter()
        .map(|&(c, (sp, xp))| BarGroup {
            label: labels_of[&ridge_number(c)].clone(),
            bars: vec![Bar::from_runs("cross-play", xp), Bar::from_runs("self-play", sp)],
        })
        .collect();
    groups.push(BarGroup {
        label: "GD\nself-play".into(),
        bars: vec![Bar::from_runs("cross-play", &base_xp), Bar::from_runs("self-play", &base_sp)],
    });
    let picked_title = match (main_pick, pick_lever.as_ref().and_then(|l| l.as_u64())) {
        (Some(k), Some(l)) => format!("; the protocol picks ridge {k} (lever {l}, payoff {})", payoffs[l as usize]),
        _ => String::new(),
    };
    let chart = BarChart {
        title: format!("Lever game: payoff per ridge over {} repeats{picked_title}", a.repeats),
        x_label: "ridge, and the payoff of the lever it chooses".into(),
        y_label: "payoff".into(),
        y_max: 1.0,
        panels: vec![BarPanel { title: String::new(), groups }],
    }
    .to_svg();
    let labels: Vec<String> = payoffs.iter().map(|r| format!("{r}")).collect();
    let maps: Vec<(String, Vec<Vec<f64>>)> = (0..3.min(a.replicates))
        .map(|rep| {
            (
                format!("replicate {rep}: player 1, one row per ridge"),
                ordered.iter().map(|(c, _)| &examples[*c]).map(|p| p[rep.min(p.len() - 1)].0.clone()).collect(),
            )
        })
        .collect();
    let heat = heatmaps("Policies per ridge", &maps, &labels, "lever, labelled by its payoff");
    write_svg(&out.join("levers.svg"), &stack(&[chart, heat]))?;
    lines.iter().for_each(|l| say!("{l}"));
    print_table(&rows);
    Ok(())
}

fn fmt(m: f64, c: f64) -> String {
    if c.is_finite() {
        format!("{m:.3} ± {c:.3}")
    } else {
        format!("{m:.3}")
    }
}
