//! The search's parameters, in the groups a user thinks in: how to branch, how to
//! ride, what the search may spend, which ablation runs, and the heuristics the tree
//! experiment needs. Every group has documented defaults (the paper's where it gives
//! them) and [`RrParams::validate`] checks them all before any work is done.
//!
//! The groups are `#[non_exhaustive]`, so they can grow without breaking callers:
//! start from `RrParams::default()` and set the fields you need.
//!
//! ```
//! use ridge_rider::rr::{Ablation, RrParams};
//! let mut p = RrParams::default();
//! p.branching.ridges = 2;
//! p.riding.alpha = 0.05;
//! p.budget.timesteps = 5_000;
//! p.ablation = Ablation::FixedEv;
//! assert!(p.validate().is_ok());
//! p.riding.delta_break = 2.0;
//! assert_eq!(p.validate().unwrap_err().to_string(), "riding.delta_break must be in [0, 1]");
//! ```

use super::archive::Order;
use super::RrError;
pub use crate::optim::DescentParams;

/// Parameters of [`super::ridge_rider`] and of every function of the search.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RrParams {
    /// GetRidges: how many ridges, from which spectrum.
    pub branching: BranchParams,
    /// Riding one ridge: step sizes and EndRide rules.
    pub riding: RideParams,
    /// What the whole search may spend.
    pub budget: Budget,
    /// Ridge Rider itself or one of the paper's ablations. Default [`Ablation::RidgeRider`].
    pub ablation: Ablation,
    /// Search order of the archive. Default breadth-first.
    pub order: Order,
    /// Final gradient descent from each solution. Default 2,000 steps.
    pub final_descent: Option<DescentParams>,
    /// Switches the tree experiment needs; all off by default.
    pub heuristics: Heuristics,
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
            branching: BranchParams::default(),
            riding: RideParams::default(),
            budget: Budget::default(),
            ablation: Ablation::RidgeRider,
            order: Order::BreadthFirst,
            final_descent: Some(DescentParams { steps: 2000, lr: 0.1, grad_tol: 1e-9 }),
            heuristics: Heuristics::default(),
            round: 8,
            seed: 0,
        }
    }
}

/// GetRidges: the branch directions at a branch point.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BranchParams {
    /// N: at most this many negative eigenvalues, each ridden in both directions. Default 6.
    pub ridges: usize,
    /// Exact or approximate eigenpairs. Default exact.
    pub spectrum: Spectrum,
    /// An eigenvalue is negative when below −negative_tol. Default 1e-8.
    pub negative_tol: f64,
    /// Relative tolerance for grouping equal eigenvalues. Default 1e-6.
    pub group_tol: f64,
    /// Explore one ridge per group of equal eigenvalues. Default false.
    pub one_per_group: bool,
    /// Branching depth limit (fingerprint length). Default 8.
    pub max_depth: usize,
}

impl Default for BranchParams {
    fn default() -> Self {
        BranchParams {
            ridges: 6,
            spectrum: Spectrum::Exact,
            negative_tol: 1e-8,
            group_tol: 1e-6,
            one_per_group: false,
            max_depth: 8,
        }
    }
}

/// How eigenpairs are computed.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{ridge_rider, ApproximateParams, RrParams, Spectrum};
/// // Two independent double wells: minima at (±1, ±1), a saddle (maximum) at 0.
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// // Approximate RR: Lanczos and the eigen-loss, HVPs only, no dense Hessian.
/// let mut p = RrParams::default();
/// p.branching.spectrum = Spectrum::Lanczos { tol: 1e-8, max_hvps_per_call: 200, update: ApproximateParams::default() };
/// let out = ridge_rider(&f, &[0.0, 0.0], &p).unwrap();
/// assert_eq!(out.distinct_minima(1e-3).len(), 4);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Spectrum {
    /// Exact RR: the dense Hessian and its full eigendecomposition at every step.
    Exact,
    /// Approximate RR: Lanczos for GetRidges, to `tol` (relative residual) within
    /// `max_hvps_per_call` HVPs per call (retried with more, see
    /// [`super::ridges::SPECTRUM_ATTEMPTS`]); UpdateRidge by gradient steps on the
    /// eigen-loss, with `update`.
    Lanczos { tol: f64, max_hvps_per_call: usize, update: ApproximateParams },
}

/// UpdateRidge settings of approximate RR (inside [`Spectrum::Lanczos`]).
///
/// ```
/// let a = ridge_rider::rr::ApproximateParams { inner_steps: 8, ..Default::default() };
/// assert_eq!((a.lr_x, a.lr_lambda), (0.5, 1e-3));
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

/// Riding one ridge: the step along it and the EndRide rules.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RideParams {
    /// Initial step α of each step. Default 0.1.
    pub alpha: f64,
    /// Halve α until the new ridge overlaps the old by δ_break. Default true.
    pub adaptive_alpha: bool,
    /// Smallest α before the ride ends. Default 1e-6.
    pub alpha_min: f64,
    /// δ_break: required |⟨e, e'⟩| between successive ridges, in [0, 1]. Default 0.95.
    pub delta_break: f64,
    /// A step must lower the loss by more than this. Default 0.
    pub min_improvement: f64,
    /// Step limit of one ride. Default 1,000.
    pub max_steps: usize,
}

impl Default for RideParams {
    fn default() -> Self {
        RideParams {
            alpha: 0.1,
            adaptive_alpha: true,
            alpha_min: 1e-6,
            delta_break: 0.95,
            min_improvement: 0.0,
            max_steps: 1000,
        }
    }
}

/// What the whole search may spend.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Budget {
    /// Timesteps: loss evaluations along ridges plus final-descent gradient steps.
    /// The search stops there, cutting the last descent short. Default 100,000.
    pub timesteps: usize,
    /// Hessian-vector products over the whole search. Default unlimited.
    pub hvps: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { timesteps: 100_000, hvps: usize::MAX }
    }
}

/// Ridge Rider or one of the paper's ablations (Fig. 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ablation {
    /// Eigenvectors of negative curvature, updated as they turn.
    RidgeRider,
    /// Fixed-EV: each ridge's initial direction is followed unchanged (no UpdateRidge).
    FixedEv,
    /// Rand-Ridge+: `ridges` random unit vectors, each oriented downhill, instead of
    /// eigenvectors; never updated during a ride.
    RandRidgePlus,
}

impl Ablation {
    /// Whether a ride updates its direction as the ridge turns.
    pub fn updates_ridge(self) -> bool {
        self == Ablation::RidgeRider
    }
}

/// Switches the tree experiment needs (see `problems::tree::methods`); off by default,
/// as a plain Ridge Rider search does not use them.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Heuristics {
    /// Start each step's halving at twice the last accepted α instead of at α.
    pub alpha_warm_start: bool,
    /// At a branch point whose gradient norm exceeds this, ride only the direction of
    /// each ridge that does not climb (∇L·d ≤ 0): the other ends after one rejected
    /// step anyway. Default ∞ (both directions everywhere, as from a saddle).
    pub descent_only_above: f64,
    /// Also take a solution (final descent) at every branch point, not only where no
    /// negative curvature is left.
    pub solutions_at_branch_points: bool,
    /// Branch at most once per (solution label, branching depth): a ride that ends at
    /// the same depth committed to an already-expanded [`crate::ad::Loss::label`] adds its
    /// solution but no new ridges. Keeps BFS from re-expanding equivalent branch
    /// points exponentially often.
    pub expand_label_once_per_depth: bool,
}

impl Default for Heuristics {
    fn default() -> Self {
        Heuristics {
            alpha_warm_start: false,
            descent_only_above: f64::INFINITY,
            solutions_at_branch_points: false,
            expand_label_once_per_depth: false,
        }
    }
}

impl RrParams {
    /// Checks every parameter before any work; the search calls it first.
    ///
    /// ```
    /// let mut p = ridge_rider::rr::RrParams::default();
    /// p.riding.alpha = 0.0;
    /// assert_eq!(p.validate().unwrap_err().to_string(), "riding.alpha must be finite and positive");
    /// ```
    pub fn validate(&self) -> Result<(), RrError> {
        let b = &self.branching;
        at_least_one("branching.ridges", b.ridges)?;
        not_nan("branching.negative_tol", b.negative_tol)?;
        non_negative("branching.group_tol", b.group_tol)?;
        if let Spectrum::Lanczos { tol, max_hvps_per_call, update } = &b.spectrum {
            if !(*tol > 0.0 && *tol <= 1.0) {
                return Err(invalid("branching.spectrum.tol", "must be in (0, 1]"));
            }
            at_least_one("branching.spectrum.max_hvps_per_call", *max_hvps_per_call)?;
            non_negative("branching.spectrum.update.lr_x", update.lr_x)?;
            non_negative("branching.spectrum.update.lr_lambda", update.lr_lambda)?;
        }
        let r = &self.riding;
        positive("riding.alpha", r.alpha)?;
        positive("riding.alpha_min", r.alpha_min)?;
        if r.alpha_min > r.alpha {
            return Err(invalid("riding.alpha_min", "must be at most riding.alpha"));
        }
        if !(0.0..=1.0).contains(&r.delta_break) {
            return Err(invalid("riding.delta_break", "must be in [0, 1]"));
        }
        not_nan("riding.min_improvement", r.min_improvement)?;
        at_least_one("riding.max_steps", r.max_steps)?;
        at_least_one("budget.timesteps", self.budget.timesteps)?;
        at_least_one("budget.hvps", self.budget.hvps)?;
        at_least_one("round", self.round)?;
        if let Some(d) = &self.final_descent {
            positive("final_descent.lr", d.lr)?;
            non_negative("final_descent.grad_tol", d.grad_tol)?;
        }
        let above = self.heuristics.descent_only_above;
        if above.is_nan() || above < 0.0 {
            return Err(invalid("heuristics.descent_only_above", "must be non-negative (∞ turns it off)"));
        }
        Ok(())
    }
}

fn invalid(name: &'static str, why: &'static str) -> RrError {
    RrError::InvalidParameter { name, why }
}

fn not_nan(name: &'static str, x: f64) -> Result<(), RrError> {
    if x.is_nan() {
        return Err(invalid(name, "must not be NaN"));
    }
    Ok(())
}

fn at_least_one(name: &'static str, n: usize) -> Result<(), RrError> {
    if n == 0 {
        return Err(invalid(name, "must be at least 1"));
    }
    Ok(())
}

fn positive(name: &'static str, x: f64) -> Result<(), RrError> {
    if !(x.is_finite() && x > 0.0) {
        return Err(invalid(name, "must be finite and positive"));
    }
    Ok(())
}

fn non_negative(name: &'static str, x: f64) -> Result<(), RrError> {
    if !(x.is_finite() && x >= 0.0) {
        return Err(invalid(name, "must be finite and non-negative"));
    }
    Ok(())
}
