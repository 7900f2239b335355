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
pub mod ridges;

pub use archive::{Archive, Entry, Order};
pub use follow::{
    ride, ride_from, update_ridge_approximate, update_ridge_exact, ApproximateUpdate, EndReason, RideOutcome,
};
pub use objective::Objective;
pub use ridges::{get_ridges, Choice, Ridge};

use crate::ad::AdError;
use crate::linalg::LinalgError;
use rayon::prelude::*;
use std::fmt;

/// How eigenpairs are computed.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{ridge_rider, RrParams, Spectrum};
/// // Two independent double wells: minima at (±1, ±1), a saddle (maximum) at 0.
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// // Approximate RR: Lanczos and the eigen-loss, HVPs only, no dense Hessian.
/// let p = RrParams { spectrum: Spectrum::Lanczos { tol: 1e-8, max_hvps: 200 }, ..Default::default() };
/// let out = ridge_rider(&f, &[0.0, 0.0], &p).unwrap();
/// assert_eq!(out.distinct_minima(1e-3).len(), 4);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Spectrum {
    /// Exact RR: the dense Hessian and its full eigendecomposition at every step.
    Exact,
    /// Approximate RR: Lanczos for GetRidges; UpdateRidge by gradient steps on the
    /// eigen-loss (see [`ApproximateParams`]).
    Lanczos { tol: f64, max_hvps: usize },
}

/// UpdateRidge settings of approximate RR (used with [`Spectrum::Lanczos`]).
///
/// ```
/// use ridge_rider::rr::{ApproximateParams, RrParams, Spectrum};
/// let p = RrParams {
///     spectrum: Spectrum::Lanczos { tol: 1e-6, max_hvps: 500 },
///     approximate: ApproximateParams { inner_steps: 8, ..Default::default() },
///     ..Default::default()
/// };
/// assert_eq!(p.approximate.lr_x, 0.5);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ApproximateParams {
    /// Gradient steps S on the eigen-loss after each parameter step. Default 4.
    pub inner_steps: usize,
    /// Learning rate LR_x of the eigenvector. Default 0.5.
    pub lr_x: f64,
    /// Learning rate LR_λ of the eigenvalue. Default 1e-3.
    pub lr_lambda: f64,
}

impl Default for ApproximateParams {
    fn default() -> Self {
        ApproximateParams { inner_steps: 4, lr_x: 0.5, lr_lambda: 1e-3 }
    }
}

/// Where branch directions come from.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{ridge_rider, Directions, RrParams};
/// // Two independent double wells: minima at (±1, ±1), a saddle (maximum) at 0.
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// // The Rand-Ridge+ ablation: random downhill directions instead of eigenvectors.
/// let p = RrParams { directions: Directions::RandomDescent, n_ridges: 2, ..Default::default() };
/// let out = ridge_rider(&f, &[0.1, 0.1], &p).unwrap();
/// assert!(!out.solutions.is_empty());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Directions {
    /// The most negative eigenvectors of the Hessian, both signs (Ridge Rider).
    Eigenvectors,
    /// `n_ridges` random unit vectors, each oriented downhill (the paper's Rand-Ridge+
    /// ablation); they are never updated during a ride.
    RandomDescent,
}

/// Final gradient descent from each ride's end to the local optimum.
///
/// ```
/// use ridge_rider::rr::{DescentParams, RrParams};
/// let p = RrParams { final_descent: Some(DescentParams { steps: 100, lr: 0.05, grad_tol: 1e-8 }), ..Default::default() };
/// // `None` keeps each ride's end as it is.
/// let raw = RrParams { final_descent: None, ..p };
/// assert!(raw.final_descent.is_none());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DescentParams {
    /// Step limit.
    pub steps: usize,
    /// Initial learning rate (×1.2 after a step that lowers the loss, ×0.5 otherwise).
    pub lr: f64,
    /// Stop when ‖∇L‖ falls below this.
    pub grad_tol: f64,
}

/// Parameters of [`ridge_rider`], with the defaults of the paper's tree experiment
/// where it gives them.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{ridge_rider, Order, RrParams};
/// // Two independent double wells: minima at (±1, ±1), a saddle (maximum) at 0.
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// // Depth-first, one branching deep, at most 2 ridges per branch point.
/// let p = RrParams { order: Order::DepthFirst, max_depth: 1, n_ridges: 2, ..Default::default() };
/// let out = ridge_rider(&f, &[0.0, 0.0], &p).unwrap();
/// assert!(out.solutions.iter().all(|s| s.fingerprint.len() <= 2));
/// ```
#[derive(Clone, Debug)]
pub struct RrParams {
    /// GetRidges returns at most this many negative eigenvalues (N). Default 6.
    pub n_ridges: usize,
    /// Exact or approximate eigenpairs. Default exact.
    pub spectrum: Spectrum,
    pub approximate: ApproximateParams,
    /// Initial step α of each step. Default 0.1.
    pub alpha: f64,
    /// Halve α until the new ridge overlaps the old by δ_break. Default true.
    pub adaptive_alpha: bool,
    /// Start each step's halving at twice the last accepted α instead of at α.
    /// Default false.
    pub alpha_warm_start: bool,
    /// Smallest α before the ride ends. Default 1e-6.
    pub alpha_min: f64,
    /// δ_break: required |⟨e, e'⟩| between successive ridges. Default 0.95.
    pub delta_break: f64,
    /// An eigenvalue is negative when below −negative_tol. Default 1e-8.
    pub negative_tol: f64,
    /// Relative tolerance for grouping equal eigenvalues. Default 1e-6.
    pub group_tol: f64,
    /// Explore one ridge per group of equal eigenvalues. Default false.
    pub one_per_group: bool,
    /// A step must lower the loss by more than this. Default 0.
    pub min_improvement: f64,
    /// Step limit of one ride. Default 1,000.
    pub max_ride_steps: usize,
    /// Branching depth limit (fingerprint length). Default 8.
    pub max_depth: usize,
    /// Search order. Default breadth-first.
    pub order: Order,
    /// Budget: loss-and-Hessian evaluations over the whole search. Default 100,000.
    pub max_evaluations: usize,
    /// Budget: Hessian-vector products over the whole search. Default unlimited.
    pub max_hvps: usize,
    /// Final gradient descent from each solution. Default 2,000 steps.
    pub final_descent: Option<DescentParams>,
    /// UpdateRidge during a ride; `false` follows each ridge's initial direction
    /// unchanged (the paper's Fixed-EV ablation). Default true.
    pub update_ridge: bool,
    /// Where branch directions come from. Default eigenvectors.
    pub directions: Directions,
    /// Also take a solution (final descent) at every branch point, not only where no
    /// negative curvature is left. Default false.
    pub solutions_at_branch_points: bool,
    /// At a branch point whose gradient norm exceeds this, ride only the direction of
    /// each ridge that does not climb (∇L·d ≤ 0): the other ends after one rejected
    /// step anyway. Default ∞ (both directions everywhere, as from a saddle).
    pub descent_only_above: f64,
    /// Branch at most once per (solution label, branching depth): a ride that ends at
    /// the same depth committed to an already-expanded [`Objective::label`] adds its
    /// solution but no new ridges. Keeps BFS from re-expanding equivalent branch
    /// points exponentially often. Default false (labels unused).
    pub expand_label_once_per_depth: bool,
    /// Rides taken from the archive per parallel round (fixed, so results do not
    /// depend on the thread count). Default 8.
    pub round: usize,
    /// Seed of every random choice (Lanczos start vectors, random directions, the
    /// random archive order). Default 0.
    pub seed: u64,
}

impl Default for RrParams {
    fn default() -> Self {
        RrParams {
            n_ridges: 6,
            spectrum: Spectrum::Exact,
            approximate: ApproximateParams::default(),
            alpha: 0.1,
            adaptive_alpha: true,
            alpha_warm_start: false,
            alpha_min: 1e-6,
            delta_break: 0.95,
            negative_tol: 1e-8,
            group_tol: 1e-6,
            one_per_group: false,
            min_improvement: 0.0,
            max_ride_steps: 1000,
            max_depth: 8,
            order: Order::BreadthFirst,
            max_evaluations: 100_000,
            max_hvps: usize::MAX,
            final_descent: Some(DescentParams { steps: 2000, lr: 0.1, grad_tol: 1e-9 }),
            update_ridge: true,
            directions: Directions::Eigenvectors,
            solutions_at_branch_points: false,
            descent_only_above: f64::INFINITY,
            expand_label_once_per_depth: false,
            round: 8,
            seed: 0,
        }
    }
}

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
    /// `max_evaluations` caps this.
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
    match p.directions {
        Directions::Eigenvectors => {
            let s = ridges::spectrum(obj, theta, &p.spectrum, p.n_ridges, seed)?;
            if !s.all_converged() {
                let worst = s.residuals.iter().fold(0.0f64, |a, &r| a.max(r));
                return Err(RrError::SpectrumNotConverged { hvps: s.hvps, residual: worst });
            }
            let mut ridges = ridges::ridges_from(&s, p.n_ridges, p.negative_tol, p.group_tol, p.one_per_group);
            let hvps = s.hvps;
            if p.descent_only_above.is_finite() {
                let g = crate::ad::gradient(obj, theta)?.gradient;
                if crate::linalg::kernels::norm(&g) > p.descent_only_above {
                    ridges.retain(|r| crate::linalg::kernels::dot(&r.direction, &g) <= 0.0);
                }
            }
            Ok((ridges, hvps))
        }
        Directions::RandomDescent => {
            let g = crate::ad::gradient(obj, theta)?.gradient;
            let mut rng = crate::rng::seeded(seed, 0x726e64);
            let ridges = (0..p.n_ridges)
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
    let mut outcome = ride_from(obj, &entry.theta, &entry.direction, entry.lambda, entry.degenerate, p, budget, seed);
    let mut hvps = outcome.hvps;
    let mut children = Vec::new();
    // A ride that could not take a single step branches nowhere new: it is a dead end.
    if outcome.reason != EndReason::NonFinite && outcome.steps > 0 && entry.fingerprint.len() < p.max_depth {
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
    let repeat = p.solutions_at_branch_points && outcome.steps == 0;
    if (children.is_empty() || p.solutions_at_branch_points) && !repeat {
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
        match mis::gradient_descent(obj, &theta, d.steps.min(max_steps), d.lr, d.grad_tol) {
            Ok((t, l, s)) => {
                theta = t;
                loss = l;
                descent = s;
            }
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
/// let p = RrParams { round: 1, ..Default::default() };
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
/// round r ≥ 1 pushes the ridges of eigen-indices r·N … (r+1)·N − 1 (N = `n_ridges`,
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
/// let p = RrParams { n_ridges: 1, max_depth: 1, ..Default::default() };
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
    let first = round.saturating_mul(p.n_ridges);
    let wider = RrParams { n_ridges: first.saturating_add(p.n_ridges), ..p.clone() };
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
    while !state.archive.is_empty() && state.output.timesteps < p.max_evaluations && state.output.hvps < p.max_hvps {
        if (hooks.stop)() {
            return Err(RrError::Interrupted);
        }
        // At most one ride per timestep left, so every ride's share is at least one.
        let left = p.max_evaluations - state.output.timesteps;
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
            if p.expand_label_once_per_depth && !r.children.is_empty() {
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
