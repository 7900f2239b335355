//! The search itself: branch, ride the archive in rounds, collect solutions; and the
//! state a checkpoint keeps between rounds.

use super::archive::{Archive, Entry};
use super::follow::{ride, EndReason, RideOutcome, RideStart};
use super::ridges::{self, Choice, Ridge};
use super::{Ablation, DescentParams, Objective, RrError, RrOutput, RrParams, Solution};
use rayon::prelude::*;

/// What one ride of a round produced: its outcome, the children to branch into, and
/// its solutions. A distributed search writes these where the ride ran and merges
/// them where the round is finished ([`finish_round`]).
#[derive(Clone, Debug)]
pub struct RoundRide {
    pub outcome: RideOutcome,
    pub children: Vec<Ridge>,
    pub solutions: Vec<Solution>,
    pub hvps: usize,
    pub descent_steps: usize,
}

/// The branch directions at θ: eigenvectors (GetRidges) or random descent directions.
fn branch<O: Objective>(obj: &O, theta: &[f64], p: &RrParams, seed: u64) -> Result<(Vec<Ridge>, usize), RrError> {
    match p.ablation {
        Ablation::RidgeRider | Ablation::FixedEv => {
            let s = ridges::spectrum(obj, theta, &p.branching.spectrum, p.branching.ridges, seed)?;
            if !s.all_converged() {
                let worst = s.residuals.iter().fold(0.0f64, |a, &r| a.max(r));
                return Err(RrError::SpectrumNotConverged { hvps: s.hvps, residual: worst });
            }
            let mut ridges = ridges::ridges_from(&s, &p.branching);
            let hvps = s.hvps;
            if p.heuristics.descent_only_above.is_finite() {
                let g = crate::ad::gradient(obj, theta)?.gradient;
                if crate::kernels::norm(&g) > p.heuristics.descent_only_above {
                    ridges.retain(|r| crate::kernels::dot(&r.direction, &g) <= 0.0);
                }
            }
            Ok((ridges, hvps))
        }
        Ablation::RandRidgePlus => {
            let g = crate::ad::gradient(obj, theta)?.gradient;
            let mut rng = crate::rng::seeded(seed, 0x726e64);
            let ridges = (0..p.branching.ridges)
                .map(|index| {
                    let v = crate::rng::unit_vector(&mut rng, theta.len());
                    let direction = ridges::orient(&v, &g);
                    Ridge {
                        choice: Choice { index, sign: 1 },
                        direction,
                        lambda: f64::NAN,
                        group: index,
                        degenerate: false,
                        residual: f64::NAN,
                        converged: true,
                    }
                })
                .collect();
            Ok((ridges, 0))
        }
    }
}

/// Ride one entry of a round within `budget` timesteps, then branch or take its
/// solution. It depends on nothing but its arguments, so the rides of a round can run
/// anywhere (threads, processes, machines) and give the same results.
pub fn ride_entry<O: Objective>(obj: &O, entry: &Entry, p: &RrParams, budget: usize) -> RoundRide {
    let seed = p.seed ^ entry.serial.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let start = RideStart {
        theta: &entry.theta,
        direction: &entry.direction,
        lambda: entry.lambda,
        degenerate: entry.degenerate,
    };
    let mut outcome = ride(obj, &start, p, budget, seed);
    let mut hvps = outcome.hvps;
    let mut children = Vec::new();
    // A ride that could not take a single step branches nowhere new: it is a dead end.
    if outcome.reason != EndReason::NonFinite && outcome.steps > 0 && entry.fingerprint.len() < p.branching.max_depth {
        match branch(obj, &outcome.theta, p, seed) {
            Ok((r, h)) => {
                hvps += h;
                children = r;
            }
            // The documented rule: no branching on pairs the solver could not resolve.
            Err(RrError::SpectrumNotConverged { hvps: h, .. }) => {
                hvps += h;
                outcome.reason = EndReason::SpectrumNotConverged;
            }
            Err(_) => outcome.reason = EndReason::NonFinite,
        }
    }
    let mut solutions = Vec::new();
    let mut descent_steps = 0;
    // With solutions at branch points, a ride that took no step would only repeat its
    // parent's solution from the same θ.
    let repeat = p.heuristics.solutions_at_branch_points && outcome.steps == 0;
    if (children.is_empty() || p.heuristics.solutions_at_branch_points) && !repeat {
        let (s, d) = solution(obj, entry, &outcome, p, usize::MAX);
        solutions.push(s);
        descent_steps = d;
    }
    RoundRide { outcome, children, solutions, hvps, descent_steps }
}

/// The solution a ride leads to (after the optional final descent of at most
/// `max_steps` steps), and the descent's steps.
fn solution<O: Objective>(
    obj: &O,
    entry: &Entry,
    o: &RideOutcome,
    p: &RrParams,
    max_steps: usize,
) -> (Solution, usize) {
    let (mut theta, mut loss, mut descent) = (o.theta.clone(), o.loss, 0);
    let mut end_reason = o.reason;
    if let (Some(d), true) = (&p.final_descent, o.reason != EndReason::NonFinite) {
        let limited = DescentParams { steps: d.steps.min(max_steps), ..d.clone() };
        match crate::optim::gradient_descent(obj, &theta, &limited) {
            Ok(r) => (theta, loss, descent) = (r.theta, r.loss, r.steps),
            Err(_) => end_reason = EndReason::NonFinite,
        }
    }
    let label = obj.label(&theta);
    let s = Solution {
        theta,
        loss,
        fingerprint: entry.fingerprint.clone(),
        steps: o.steps + descent,
        hvps: o.hvps,
        end_reason,
        label,
    };
    (s, descent)
}

/// A search in progress: everything a checkpoint must hold to continue it exactly.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{start_search, RrParams};
/// // Two independent double wells: minima at (±1, ±1), a saddle (maximum) at 0.
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// let state = start_search(&f, &[0.0, 0.0], &RrParams::default()).unwrap();
/// // Two negative eigenvalues, each ridden in both directions.
/// assert_eq!(state.archive.len(), 4);
/// assert!(state.output.solutions.is_empty());
/// ```
pub struct SearchState {
    pub archive: Archive,
    pub output: RrOutput,
    /// (label, branching depth) pairs already expanded (see `expand_label_once_per_depth`).
    pub expanded: std::collections::BTreeSet<(String, usize)>,
}

/// Hooks into a running search.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{continue_search, start_search, Hooks, RrError, RrParams};
/// // Two independent double wells: minima at (±1, ±1), a saddle (maximum) at 0.
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// let mut p = RrParams::default();
/// p.round = 1;
/// let mut state = start_search(&f, &[0.0, 0.0], &p).unwrap();
/// // Stop once the first round has been seen.
/// let rounds = std::cell::Cell::new(0);
/// let mut after_round = |_: &_| {
///     rounds.set(rounds.get() + 1);
///     Ok(())
/// };
/// let stop = || rounds.get() >= 1;
/// let mut hooks = Hooks { after_round: Box::new(after_round), stop: Box::new(stop) };
/// let r = continue_search(&f, &p, &mut state, &mut hooks);
/// assert_eq!(r, Err(RrError::Interrupted));
/// // The one ride ended where y still curves down: its two new ridges joined the
/// // three left from the start; the state is ready for `continue_search` again.
/// assert_eq!((rounds.get(), state.archive.len()), (1, 5));
/// ```
pub struct Hooks<'a> {
    /// Called after every round with the state (e.g. to checkpoint it). Default: nothing.
    pub after_round: Box<AfterRound<'a>>,
    /// Polled between rounds: `true` stops the search with [`RrError::Interrupted`]
    /// after the round in hand (whose results `after_round` has seen). Default: never.
    pub stop: Box<dyn Fn() -> bool + 'a>,
}

/// What [`Hooks::after_round`] is: called with the state after each round.
pub type AfterRound<'a> = dyn FnMut(&SearchState) -> Result<(), RrError> + 'a;

/// No hooks: the search runs to its end.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{continue_search, start_search, Hooks, RrParams};
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// let p = RrParams::default();
/// let mut state = start_search(&f, &[0.0, 0.0], &p).unwrap();
/// continue_search(&f, &p, &mut state, &mut Hooks::default()).unwrap();
/// assert!(state.archive.is_empty());
/// ```
impl Default for Hooks<'_> {
    fn default() -> Self {
        Hooks { after_round: Box::new(|_| Ok(())), stop: Box::new(|| false) }
    }
}

/// Run Ridge Rider from `theta_mis`.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{ridge_rider, RrParams};
/// // Two independent double wells: minima at (±1, ±1), a saddle (maximum) at 0.
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// let out = ridge_rider(&f, &[0.0, 0.0], &RrParams::default()).unwrap();
/// for s in out.distinct_minima(1e-3) {
///     assert!(s.theta.iter().all(|x| (x.abs() - 1.0).abs() < 0.03));
/// }
/// ```
pub fn ridge_rider<O: Objective>(obj: &O, theta_mis: &[f64], p: &RrParams) -> Result<RrOutput, RrError> {
    let mut state = start_search(obj, theta_mis, p)?;
    continue_search(obj, p, &mut state, &mut Hooks::default())?;
    Ok(state.output)
}

/// Branch again at θ_MIS when a search's archive ran dry before its budget was spent:
/// round r ≥ 1 pushes the ridges of eigen-indices r·N … (r+1)·N − 1 (N = `branching.ridges`,
/// both signs; for random directions, the next N draws), the ones no earlier round
/// offered. Returns false, pushing nothing, when no such ridge has negative curvature.
/// The expanded labels are kept, so equivalent branch points are still expanded once.
/// This is how the tree experiment gives RR and its ablations the same budget.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{branch_again, continue_search, start_search, Hooks, RrParams};
/// // Three independent double wells: curvatures −4.2, −4.1 and −4 at the saddle 0.
/// let f = loss_fn(3, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0) - 0.05 * t.at(1) * t.at(1));
/// let mut p = RrParams::default();
/// (p.branching.ridges, p.branching.max_depth) = (1, 1);
/// let mut state = start_search(&f, &[0.0; 3], &p).unwrap();
/// let mut hooks = Hooks::default();
/// continue_search(&f, &p, &mut state, &mut hooks).unwrap();
/// assert!(branch_again(&f, &[0.0; 3], &p, &mut state, 1).unwrap()); // the second ridge
/// assert_eq!(state.archive.len(), 2);
/// continue_search(&f, &p, &mut state, &mut hooks).unwrap();
/// assert!(branch_again(&f, &[0.0; 3], &p, &mut state, 2).unwrap()); // the third
/// continue_search(&f, &p, &mut state, &mut hooks).unwrap();
/// assert!(!branch_again(&f, &[0.0; 3], &p, &mut state, 3).unwrap()); // none left
/// ```
pub fn branch_again<O: Objective>(
    obj: &O,
    theta_mis: &[f64],
    p: &RrParams,
    state: &mut SearchState,
    round: usize,
) -> Result<bool, RrError> {
    let first = round.saturating_mul(p.branching.ridges);
    let mut wider = p.clone();
    wider.branching.ridges = first.saturating_add(p.branching.ridges);
    let (ridges, hvps) = branch(obj, theta_mis, &wider, p.seed)?;
    state.output.hvps += hvps;
    let fresh: Vec<Ridge> = ridges.into_iter().filter(|r| r.choice.index >= first).collect();
    if fresh.is_empty() {
        return Ok(false);
    }
    let loss = crate::ad::value(obj, theta_mis)?;
    push_children(&mut state.archive, theta_mis, loss, &[], fresh);
    Ok(true)
}

fn push_children(archive: &mut Archive, theta: &[f64], loss: f64, prefix: &[Choice], ridges: Vec<Ridge>) {
    for r in ridges {
        let mut fingerprint = prefix.to_vec();
        fingerprint.push(r.choice);
        archive.push(Entry {
            theta: theta.to_vec(),
            loss,
            direction: r.direction,
            lambda: r.lambda,
            degenerate: r.degenerate,
            fingerprint,
            serial: 0,
        });
    }
}

/// The first branching at θ_MIS: the state a search starts from (see [`SearchState`]).
pub fn start_search<O: Objective>(obj: &O, theta_mis: &[f64], p: &RrParams) -> Result<SearchState, RrError> {
    p.validate()?;
    crate::ad::hvp::check_input("theta", obj.dim(), theta_mis)?;
    let loss0 = crate::ad::value(obj, theta_mis)?;
    if !loss0.is_finite() {
        return Err(RrError::NonFinite("loss at the start"));
    }
    let (start, hvps0) = branch(obj, theta_mis, p, p.seed)?;
    if start.is_empty() {
        return Err(RrError::NoNegativeCurvature);
    }
    let mut archive = Archive::new(p.order, p.seed);
    push_children(&mut archive, theta_mis, loss0, &[], start);
    let output = RrOutput { solutions: Vec::new(), evaluations: 0, timesteps: 0, hvps: hvps0, unexplored: 0 };
    Ok(SearchState { archive, output, expanded: Default::default() })
}

/// One round of the archive: the entries it rides, in archive order, and each ride's
/// share of the budget. Every count a round depends on is in the search state, so
/// the round is the same wherever it is taken.
#[derive(Clone, Debug)]
pub struct Round {
    pub entries: Vec<Entry>,
    pub budget: usize,
}

/// Whether the search has a round left: entries in the archive and budget to spend.
pub fn has_work(state: &SearchState, p: &RrParams) -> bool {
    !state.archive.is_empty() && state.output.timesteps < p.budget.timesteps && state.output.hvps < p.budget.hvps
}

/// Take the next round off the archive (`None` when the archive is empty or the
/// budget spent): at most `p.round` entries, and at most one per timestep left, so
/// every ride's equal share of what is left is at least one.
pub fn next_round(state: &mut SearchState, p: &RrParams) -> Option<Round> {
    if !has_work(state, p) {
        return None;
    }
    let left = p.budget.timesteps - state.output.timesteps;
    let entries: Vec<Entry> = (0..p.round.max(1).min(left)).map_while(|_| state.archive.pop()).collect();
    let budget = (left / entries.len().max(1)).max(1);
    Some(Round { entries, budget })
}

/// Merge a round's rides (one per entry, in the round's order) into the state: the
/// rides' evaluations are spent first, then the final descents share what is left in
/// archive order (one that would pass the budget is cut short there), then the
/// children are pushed. [`continue_search`] is `next_round`, the rides, and this.
pub fn finish_round<O: Objective>(obj: &O, p: &RrParams, state: &mut SearchState, round: &Round, done: Vec<RoundRide>) {
    let left = p.budget.timesteps - state.output.timesteps;
    let mut room = left.saturating_sub(done.iter().map(|r| r.outcome.evaluations).sum());
    for (entry, mut r) in round.entries.iter().zip(done) {
        let out = &mut state.output;
        if r.descent_steps > room {
            let (s, d) = solution(obj, entry, &r.outcome, p, room);
            (r.solutions, r.descent_steps) = (vec![s], d);
        }
        room -= r.descent_steps;
        out.evaluations += r.outcome.evaluations;
        out.timesteps += r.outcome.evaluations + r.descent_steps;
        out.hvps += r.hvps;
        out.solutions.extend(r.solutions);
        if p.heuristics.expand_label_once_per_depth && !r.children.is_empty() {
            if let Some(label) = obj.label(&r.outcome.theta) {
                if !state.expanded.insert((label, entry.fingerprint.len())) {
                    continue;
                }
            }
        }
        push_children(&mut state.archive, &r.outcome.theta, r.outcome.loss, &entry.fingerprint, r.children);
    }
    state.output.unexplored = state.archive.len();
}

/// Ride the archive until it is empty, the budget is spent, or `hooks.stop` says so.
/// Rounds of `p.round` rides run in parallel; their results are merged in archive
/// order, so the state after each round is the same for any thread count (see
/// [`Hooks`]). The budget bounds everything counted in `timesteps`: a final descent
/// that would pass it is cut short (a descent is deterministic, so the shorter one is
/// the same path stopped earlier, and a search within its budget is unchanged).
pub fn continue_search<O: Objective>(
    obj: &O,
    p: &RrParams,
    state: &mut SearchState,
    hooks: &mut Hooks,
) -> Result<(), RrError> {
    p.validate()?;
    loop {
        if !has_work(state, p) {
            break;
        }
        if (hooks.stop)() {
            return Err(RrError::Interrupted);
        }
        let Some(round) = next_round(state, p) else { break };
        let done: Vec<RoundRide> = round.entries.par_iter().map(|e| ride_entry(obj, e, p, round.budget)).collect();
        finish_round(obj, p, state, &round, done);
        (hooks.after_round)(state)?;
    }
    state.output.unexplored = state.archive.len();
    Ok(())
}
