//! The Ridge Rider search (Algorithm 1 of the paper).
//!
//! From a saddle θ_MIS, GetRidges gives the most negative eigenvectors in both
//! directions; each is ridden (stepping along it, updating it as it turns) until an
//! EndRide rule fires, and the ride's end branches again. The archive orders the
//! work; fingerprints record the eigen-indices chosen at each branching.
//!
//! ```
//! use ridge_rider::ad::{loss_fn, Var};
//! use ridge_rider::rr::{ridge_rider, RrParams};
//! // Two independent double wells: minima at (±1, ±1), a saddle (maximum) at 0.
//! let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
//! let out = ridge_rider(&f, &[0.0, 0.0], &RrParams::default()).unwrap();
//! assert_eq!(out.distinct_minima(1e-3).len(), 4);
//! ```

pub mod archive;
pub mod checkpoint;
pub mod follow;
pub mod mis;
pub mod objective;
pub mod params;
pub mod ridges;

pub use archive::{Archive, Entry, Order};
pub use follow::{
    ride, update_ridge_approximate, update_ridge_exact, ApproximateUpdate, EndReason, ExactUpdate, PreviousRidge,
    RideOutcome, RideStart,
};
pub use objective::Objective;
pub use params::{
    Ablation, ApproximateParams, BranchParams, Budget, DescentParams, Heuristics, RideParams, RrParams, Spectrum,
};
pub use ridges::{get_ridges, BranchRidges, Choice, Ridge};

use crate::ad::AdError;
use crate::linalg::LinalgError;
use rayon::prelude::*;
use std::fmt;

/// A finished ride: a candidate solution.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{ridge_rider, RrParams};
/// // Two independent double wells: minima at (±1, ±1), a saddle (maximum) at 0.
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// let out = ridge_rider(&f, &[0.0, 0.0], &RrParams::default()).unwrap();
/// let best = out.solutions.iter().min_by(|a, b| a.loss.total_cmp(&b.loss)).unwrap();
/// // The deepest well is at x = ±1.05; its fingerprint starts with the most negative ridge.
/// assert!((best.theta[0].abs() - 1.05f64.sqrt()).abs() < 1e-4);
/// assert_eq!(best.fingerprint[0].index, 0);
/// ```
#[derive(Clone, Debug)]
pub struct Solution {
    pub theta: Vec<f64>,
    pub loss: f64,
    /// Eigen-indices (and signs) chosen at each branching.
    pub fingerprint: Vec<Choice>,
    /// Parameter updates along the ridges and in the final descent.
    pub steps: usize,
    pub hvps: usize,
    pub end_reason: EndReason,
    /// The problem's label for θ, if it gives one.
    pub label: Option<String>,
}

/// The result of a search.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{ridge_rider, RrParams};
/// // Two independent double wells: minima at (±1, ±1), a saddle (maximum) at 0.
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// let out = ridge_rider(&f, &[0.0, 0.0], &RrParams::default()).unwrap();
/// assert_eq!(out.unexplored, 0);
/// assert!(out.timesteps >= out.evaluations && out.hvps > 0);
/// ```
#[derive(Clone, Debug)]
pub struct RrOutput {
    pub solutions: Vec<Solution>,
    /// Loss-and-Hessian evaluations used along ridges.
    pub evaluations: usize,
    /// Timesteps: ride evaluations plus final-descent gradient steps. The budget
    /// `budget.timesteps` caps this.
    pub timesteps: usize,
    pub hvps: usize,
    /// Ridges left in the archive when the budget ran out.
    pub unexplored: usize,
}

impl RrOutput {
    /// Solutions farther than `tol` apart (θ distance), the first of each kept.
    pub fn distinct_minima(&self, tol: f64) -> Vec<&Solution> {
        let mut out: Vec<&Solution> = Vec::new();
        for s in self.solutions.iter().filter(|s| s.end_reason != EndReason::NonFinite) {
            let far = out
                .iter()
                .all(|o| o.theta.iter().zip(&s.theta).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt() > tol);
            if far {
                out.push(s);
            }
        }
        out
    }
}

/// What can go wrong in a search.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{ridge_rider, RrError, RrParams};
/// // A bowl has no negative curvature to branch on.
/// let bowl = loss_fn(2, |t: Var| t.dot(t));
/// assert_eq!(ridge_rider(&bowl, &[0.0, 0.0], &RrParams::default()).unwrap_err(), RrError::NoNegativeCurvature);
/// // A loss that is NaN at the start is refused.
/// let log = loss_fn(1, |t: Var| t.ln().sum());
/// assert!(matches!(ridge_rider(&log, &[-1.0], &RrParams::default()), Err(RrError::NonFinite(_))));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum RrError {
    Ad(AdError),
    Linalg(LinalgError),
    NonFinite(&'static str),
    /// The start point has no negative curvature: nothing to branch on.
    NoNegativeCurvature,
    /// A ridge index beyond the groups of negative eigenvalues found at the start point.
    NoSuchRidge {
        requested: usize,
        available: usize,
    },
    /// The search was asked to stop; its state after the last round was handed to the hooks.
    Interrupted,
    /// A checkpoint could not be written or read, or belongs to another search.
    Checkpoint(checkpoint::CheckpointError),
    /// Input the search cannot use (an empty data set, a shape that does not fit).
    BadInput(InputError),
    /// Lanczos did not resolve the branching spectrum within its HVP limit, after
    /// [`ridges::SPECTRUM_ATTEMPTS`] runs with doubling limits (`residual`: the worst).
    SpectrumNotConverged {
        hvps: usize,
        residual: f64,
    },
    /// A parameter outside its documented range, caught before any work.
    InvalidParameter {
        name: &'static str,
        why: &'static str,
    },
}

impl fmt::Display for RrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RrError::Ad(e) => write!(f, "{e}"),
            RrError::Linalg(e) => write!(f, "{e}"),
            RrError::NonFinite(what) => write!(f, "non-finite {what}"),
            RrError::NoNegativeCurvature => write!(f, "the start point has no negative curvature"),
            RrError::NoSuchRidge { requested, available } => write!(
                f,
                "ridge {requested} was not found: the negative eigenvalues searched at the start point form {available} groups (ridges 0..{available})"
            ),
            RrError::Interrupted => write!(f, "the search was interrupted"),
            RrError::InvalidParameter { name, why } => write!(f, "{name} {why}"),
            RrError::SpectrumNotConverged { hvps, residual } => write!(
                f,
                "Lanczos did not converge at the branch point ({hvps} HVPs over {} attempts, worst residual {residual:.3e}): raise max_hvps or tol",
                ridges::SPECTRUM_ATTEMPTS
            ),
            RrError::Checkpoint(e) => write!(f, "checkpoint: {e}"),
            RrError::BadInput(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for RrError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RrError::Ad(e) => Some(e),
            RrError::Linalg(e) => Some(e),
            RrError::Checkpoint(e) => Some(e),
            RrError::BadInput(e) => Some(e),
            RrError::NonFinite(_)
            | RrError::NoNegativeCurvature
            | RrError::NoSuchRidge { .. }
            | RrError::Interrupted
            | RrError::SpectrumNotConverged { .. }
            | RrError::InvalidParameter { .. } => None,
        }
    }
}

impl From<AdError> for RrError {
    fn from(e: AdError) -> Self {
        RrError::Ad(e)
    }
}
impl From<crate::optim::OptimError> for RrError {
    fn from(e: crate::optim::OptimError) -> Self {
        use crate::optim::OptimError;
        match e {
            OptimError::Ad(e) => RrError::Ad(e),
            OptimError::NonFiniteLoss => RrError::NonFinite("loss"),
            OptimError::InvalidParameter { name, why } => RrError::InvalidParameter { name, why },
        }
    }
}
impl From<LinalgError> for RrError {
    fn from(e: LinalgError) -> Self {
        match e {
            LinalgError::NonFinite => RrError::NonFinite("Hessian"),
            e => RrError::Linalg(e),
        }
    }
}
impl From<checkpoint::CheckpointError> for RrError {
    fn from(e: checkpoint::CheckpointError) -> Self {
        RrError::Checkpoint(e)
    }
}
impl From<InputError> for RrError {
    fn from(e: InputError) -> Self {
        RrError::BadInput(e)
    }
}

/// Data a search or a training run cannot use (see [`RrError::BadInput`]); `set` names
/// the data, e.g. `training set` or `probe batch`.
///
/// ```
/// use ridge_rider::rr::{InputError, RrError};
/// let e = RrError::from(InputError::NoExamples { set: "test set" });
/// assert_eq!(e.to_string(), "the test set holds no examples");
/// assert!(matches!(e, RrError::BadInput(InputError::NoExamples { .. })));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputError {
    /// The data holds no examples.
    NoExamples { set: &'static str },
    /// The images have `pixels` pixels each, the model takes `expected` inputs.
    ImageSize { set: &'static str, pixels: usize, expected: usize },
    /// The label at row `index` is not below the model's number of classes.
    LabelOutOfRange { set: &'static str, index: usize, label: usize, classes: usize },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::NoExamples { set } => write!(f, "the {set} holds no examples"),
            InputError::ImageSize { set, pixels, expected } => {
                write!(f, "the {set} images have {pixels} pixels, the model expects {expected}")
            }
            InputError::LabelOutOfRange { set, index, label, classes } => {
                write!(f, "label {label} at row {index} of the {set} is not below {classes}")
            }
        }
    }
}

impl std::error::Error for InputError {}

/// What one ride produced: its outcome, children to branch into, and solutions.
struct Processed {
    outcome: RideOutcome,
    children: Vec<Ridge>,
    solutions: Vec<Solution>,
    hvps: usize,
    descent_steps: usize,
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
                if crate::linalg::kernels::norm(&g) > p.heuristics.descent_only_above {
                    ridges.retain(|r| crate::linalg::kernels::dot(&r.direction, &g) <= 0.0);
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

fn process<O: Objective>(obj: &O, entry: &Entry, p: &RrParams, budget: usize) -> Processed {
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
    Processed { outcome, children, solutions, hvps, descent_steps }
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
/// let r = continue_search(&f, &p, &mut state, &mut Hooks { after_round: &mut after_round, stop: &stop });
/// assert_eq!(r, Err(RrError::Interrupted));
/// // The one ride ended where y still curves down: its two new ridges joined the
/// // three left from the start; the state is ready for `continue_search` again.
/// assert_eq!((rounds.get(), state.archive.len()), (1, 5));
/// ```
pub struct Hooks<'a> {
    /// Called after every round with the state (e.g. to checkpoint it).
    pub after_round: &'a mut dyn FnMut(&SearchState) -> Result<(), RrError>,
    /// Polled between rounds: `true` stops the search with [`RrError::Interrupted`]
    /// after the round in hand (whose results `after_round` has seen).
    pub stop: &'a dyn Fn() -> bool,
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
    continue_search(obj, p, &mut state, &mut Hooks { after_round: &mut |_| Ok(()), stop: &|| false })?;
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
/// let mut hooks = Hooks { after_round: &mut |_| Ok(()), stop: &|| false };
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
    while !state.archive.is_empty() && state.output.timesteps < p.budget.timesteps && state.output.hvps < p.budget.hvps
    {
        if (hooks.stop)() {
            return Err(RrError::Interrupted);
        }
        // At most one ride per timestep left, so every ride's share is at least one.
        let left = p.budget.timesteps - state.output.timesteps;
        let batch: Vec<Entry> = (0..p.round.max(1).min(left)).map_while(|_| state.archive.pop()).collect();
        // Each ride in a round gets an equal share of what is left of the budget.
        let budget = (left / batch.len()).max(1);
        let done: Vec<Processed> = batch.par_iter().map(|e| process(obj, e, p, budget)).collect();
        // The rides' evaluations are spent; the descents share what is left, in archive order.
        let mut room = left.saturating_sub(done.iter().map(|r| r.outcome.evaluations).sum());
        for (entry, mut r) in batch.iter().zip(done) {
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
        (hooks.after_round)(state)?;
    }
    state.output.unexplored = state.archive.len();
    Ok(())
}
