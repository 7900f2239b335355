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
mod error;
pub mod follow;
pub mod minibatch;
pub mod mis;
pub mod objective;
pub mod params;
pub mod ridges;
mod search;

pub use archive::{Archive, Entry, Order};
pub use error::{InputError, RrError};
pub use follow::{
    ride, update_ridge_approximate, update_ridge_exact, ApproximateUpdate, EndReason, ExactUpdate, PreviousRidge,
    RideOutcome, RideStart,
};
pub use minibatch::{MiniBatchRide, MiniBatchRideParams, MiniBatchStep};
pub use objective::Objective;
pub use params::{
    Ablation, ApproximateParams, BranchParams, Budget, DescentParams, Heuristics, RideParams, RrParams, Spectrum,
};
pub use ridges::{get_ridges, BranchRidges, Choice, Ridge};
pub use search::{
    branch_again, continue_search, finish_round, has_work, next_round, ride_entry, ridge_rider, start_search,
    AfterRound, Hooks, Round, RoundRide, SearchState,
};

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
