//! Ridge Rider on sampled Hessians (paper Sec. 4, Fig. 8): the tree searched with only
//! sampled episodes, as for an environment that cannot be enumerated, beside policy
//! gradient with the same samples.
//!
//! One accounting for every method: a **timestep** is one fresh batch of B episodes
//! drawn at the current θ ([`DiceLoss::sample`]); everything computed on that batch
//! (value, gradient, HVPs, a dense Hessian) belongs to it. Samples = timesteps × B.
//!
//! * **Start (the MIS here):** the uniform policy, every logit 0 (tabular: θ = 0; MLP:
//!   a seeded hidden layer and a zero output layer). The exact tree's MIS minimises the
//!   exact gradient norm, which samples cannot give without a second estimator; the
//!   uniform policy is the maximum-entropy point that MIS is pulled towards.
//! * **RR:** GetRidges on one batch (dense DiCE Hessian for the tabular policy, Lanczos
//!   for the MLP), the N most negative eigenvectors in both signs. Each ride is an
//!   `rr::MiniBatchRide`: every step draws a fresh batch at θ + αe, moves there and
//!   updates the ridge on that batch by the eigen-loss; EndRide when the moving average
//!   of the curvature turns non-negative, after `patience` steps without a better
//!   sampled loss, or after [`RIDE_STEPS`]. A ride's end is a solution (its greedy
//!   leaf) and, breadth-first, a new branch point, each (greedy leaf, depth) once.
//! * **PG(R):** Adam on the DiCE gradient (REINFORCE with a leave-one-out baseline)
//!   from random starts; **PG(S):** from the start plus N(0, 0.1²) noise. Each descent
//!   takes [`PG_STEPS`] batches, then its greedy leaf is a solution; they run until
//!   they have used exactly RR's timesteps.

use super::dice::{Baseline, DiceError, DiceLoss, DiceParams};
use super::methods::{run_method, tree_mis_within, Method, MethodRun, TreeRun};
use super::policy::{Policy, TreePolicy};
use super::Tree;
use crate::ad::{gradient, AdError};
use crate::kernels::axpy;
use crate::optim::Adam;
use crate::rng::{normal_vec, seeded};
use crate::rr::{get_ridges, ApproximateParams, BranchParams, MiniBatchRide, MiniBatchRideParams, RrError, Spectrum};
use std::collections::{BTreeSet, VecDeque};
use std::fmt;

/// Steps a ride may take.
pub const RIDE_STEPS: usize = 40;
/// Batches of one policy-gradient descent.
pub const PG_STEPS: usize = 100;
/// Timesteps of exact RR (`ridge-rider tree`'s default budget).
pub const EXACT_BUDGET: usize = 100_000;
/// Branching depth limit of the sampled search.
pub const MAX_BRANCH_DEPTH: usize = 8;

/// The methods of the sampled-Hessian experiment.
///
/// ```
/// use ridge_rider::problems::tree::dice_search::DiceMethod;
/// assert_eq!((DiceMethod::RidgeRider.name(), DiceMethod::PgSaddle.name()), ("rr", "pg-saddle"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DiceMethod {
    RidgeRider,
    PgRandom,
    PgSaddle,
    /// Exact RR of `tree` (the exact Hessian, tabular policy), for comparison: it
    /// draws no episodes.
    ExactRidgeRider,
}

impl DiceMethod {
    /// The method's name in `--methods` and in the results.
    pub fn name(&self) -> &'static str {
        match self {
            DiceMethod::RidgeRider => "rr",
            DiceMethod::PgRandom => "pg-random",
            DiceMethod::PgSaddle => "pg-saddle",
            DiceMethod::ExactRidgeRider => "rr-exact",
        }
    }
}

/// How one method runs on one tree.
///
/// ```
/// let r = ridge_rider::problems::tree::dice_search::DiceRun::default();
/// assert_eq!((r.episodes, r.budget, r.ridges), (256, 2000, 4));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DiceRun {
    pub policy: Policy,
    /// B, episodes per batch.
    pub episodes: usize,
    /// Timesteps (batches): RR stops there; the PG baselines are given RR's count.
    pub budget: usize,
    /// N, ridges per branching (each in both signs).
    pub ridges: usize,
    /// Step α along a ridge.
    pub alpha: f64,
    /// Adam's learning rate for the PG baselines.
    pub pg_lr: f64,
    pub seed: u64,
}

impl Default for DiceRun {
    fn default() -> Self {
        DiceRun { policy: Policy::Tabular, episodes: 256, budget: 2000, ridges: 4, alpha: 0.5, pg_lr: 0.1, seed: 0 }
    }
}

/// Why a sampled search failed.
#[derive(Clone, Debug, PartialEq)]
pub enum DiceSearchError {
    Sample(DiceError),
    Search(RrError),
    /// A setting that cannot be used (named, with the reason).
    InvalidParameter {
        name: &'static str,
        why: &'static str,
    },
}

impl fmt::Display for DiceSearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiceSearchError::Sample(e) => write!(f, "sampling: {e}"),
            DiceSearchError::Search(e) => write!(f, "search: {e}"),
            DiceSearchError::InvalidParameter { name, why } => write!(f, "{name} {why}"),
        }
    }
}

impl std::error::Error for DiceSearchError {}

impl From<DiceError> for DiceSearchError {
    fn from(e: DiceError) -> Self {
        DiceSearchError::Sample(e)
    }
}
impl From<RrError> for DiceSearchError {
    fn from(e: RrError) -> Self {
        DiceSearchError::Search(e)
    }
}
impl From<AdError> for DiceSearchError {
    fn from(e: AdError) -> Self {
        DiceSearchError::Search(RrError::from(e))
    }
}

/// What a method found, and the episodes it drew.
#[derive(Clone, Debug, Default)]
pub struct DiceTreeRun {
    pub run: TreeRun,
    pub episodes: usize,
}

/// Fresh batches at the θ asked for, each from its own seed, counted.
struct Sampler<'a> {
    tree: &'a Tree,
    settings: &'a DiceRun,
    stream: u64,
    drawn: usize,
}

impl Sampler<'_> {
    fn batch(&mut self, theta: &[f64]) -> Result<DiceLoss, DiceError> {
        let seed = self.settings.seed ^ (self.stream << 40) ^ (self.drawn as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.drawn += 1;
        let params = DiceParams { episodes: self.settings.episodes, baseline: Baseline::LeaveOneOut, seed };
        DiceLoss::sample(self.tree, self.settings.policy, theta, &params)
    }
}

/// The uniform policy: every logit 0 (see the module docs).
///
/// ```
/// use ridge_rider::problems::tree::dice_search::uniform_start;
/// use ridge_rider::problems::tree::{policy::{Policy, TreePolicy}, Tree};
/// let tree = Tree::generate(5, 1).unwrap();
/// let policy = TreePolicy::new(&tree, Policy::Mlp { hidden: 8 }).unwrap();
/// let theta = uniform_start(&policy, 3);
/// assert!(policy.logit_values(&theta).unwrap().iter().all(|l| *l == 0.0));
/// ```
pub fn uniform_start(policy: &TreePolicy, seed: u64) -> Vec<f64> {
    match policy.policy() {
        Policy::Tabular => vec![0.0; policy.dim()],
        Policy::Mlp { hidden } => {
            // [W1 | b1 | W2 | b2]: a random first layer, a zero output layer.
            let n = policy.dim();
            let mut theta = normal_vec(&mut seeded(seed, 0x756e_6966), n, 1.0);
            theta[n - hidden - 1..].iter_mut().for_each(|x| *x = 0.0);
            theta
        }
    }
}

/// Run one method on one tree. The PG baselines take exactly `settings.budget`
/// timesteps (their last descent is cut short there).
///
/// ```
/// use ridge_rider::problems::tree::dice_search::{run_dice_method, DiceMethod, DiceRun};
/// use ridge_rider::problems::tree::Tree;
/// let tree = Tree::generate(4, 2).unwrap();
/// let settings = DiceRun { episodes: 64, budget: 300, ..Default::default() };
/// let rr = run_dice_method(&tree, DiceMethod::RidgeRider, &settings).unwrap();
/// assert!(rr.run.timesteps <= 300 && rr.episodes == 64 * rr.run.timesteps);
/// assert!(rr.run.percent_found(&tree) > 0.0);
/// ```
pub fn run_dice_method(tree: &Tree, method: DiceMethod, settings: &DiceRun) -> Result<DiceTreeRun, DiceSearchError> {
    if settings.ridges == 0 {
        return Err(DiceSearchError::InvalidParameter { name: "ridges", why: "must be at least 1" });
    }
    if !(settings.alpha.is_finite() && settings.alpha > 0.0 && settings.pg_lr.is_finite() && settings.pg_lr > 0.0) {
        return Err(DiceSearchError::InvalidParameter { name: "alpha, pg_lr", why: "must be finite and positive" });
    }
    let policy = TreePolicy::new(tree, settings.policy).map_err(DiceError::Policy)?;
    let start = uniform_start(&policy, settings.seed);
    let mut sampler = Sampler { tree, settings, stream: method as u64 + 1, drawn: 0 };
    let mut run = TreeRun::default();
    match method {
        DiceMethod::ExactRidgeRider => {
            let mis = tree_mis_within(tree, EXACT_BUDGET)?;
            let exact = MethodRun { budget: EXACT_BUDGET, ridges: settings.ridges, seed: settings.seed };
            let run = run_method(tree, &mis, Method::RidgeRider, &exact)?;
            return Ok(DiceTreeRun { run, episodes: 0 });
        }
        DiceMethod::RidgeRider => search(tree, &policy, &start, &mut sampler, &mut run)?,
        DiceMethod::PgRandom | DiceMethod::PgSaddle => {
            let mut rng = seeded(settings.seed, 0x7067 + method as u64);
            while sampler.drawn < settings.budget {
                let mut theta = match method {
                    DiceMethod::PgRandom => normal_vec(&mut rng, start.len(), 1.0),
                    _ => {
                        let mut t = start.clone();
                        axpy(1.0, &normal_vec(&mut rng, start.len(), 0.1), &mut t);
                        t
                    }
                };
                let mut adam = Adam::new(theta.len());
                for _ in 0..PG_STEPS.min(settings.budget - sampler.drawn) {
                    let batch = sampler.batch(&theta)?;
                    let g = gradient(&batch, &theta)?.gradient;
                    adam.step(&mut theta, &g, |_| settings.pg_lr);
                }
                run.solutions += 1;
                run.leaves.insert(greedy_leaf(tree, &policy, &theta)?);
            }
        }
    }
    run.timesteps = sampler.drawn;
    Ok(DiceTreeRun { episodes: run.timesteps * settings.episodes, run })
}

fn greedy_leaf(tree: &Tree, policy: &TreePolicy, theta: &[f64]) -> Result<usize, DiceSearchError> {
    Ok(tree.greedy_leaf(&policy.logit_values(theta)?))
}

/// Breadth-first RR on sampled batches (see the module docs).
fn search(
    tree: &Tree,
    policy: &TreePolicy,
    start: &[f64],
    sampler: &mut Sampler,
    run: &mut TreeRun,
) -> Result<(), DiceSearchError> {
    let settings = sampler.settings;
    let branching = BranchParams {
        ridges: settings.ridges,
        spectrum: match settings.policy {
            Policy::Tabular => Spectrum::Exact,
            Policy::Mlp { .. } => {
                Spectrum::Lanczos { tol: 1e-6, max_hvps_per_call: 200, update: ApproximateParams::default() }
            }
        },
        ..Default::default()
    };
    let ride_params = MiniBatchRideParams { alpha: settings.alpha, patience: 10, ..Default::default() };
    let mut frontier = VecDeque::from([(start.to_vec(), 0usize)]);
    let mut expanded = BTreeSet::new();
    while let Some((at, depth)) = frontier.pop_front() {
        if sampler.drawn >= settings.budget {
            break;
        }
        let batch = sampler.batch(&at)?;
        let seed = settings.seed ^ sampler.drawn as u64;
        let ridges = match get_ridges(&batch, &at, &branching, seed) {
            Err(RrError::NoNegativeCurvature) => Vec::new(),
            r => r?.ridges,
        };
        for ridge in ridges {
            let mut theta = at.clone();
            let image: Vec<f64> = ridge.direction.iter().map(|x| ridge.lambda * x).collect();
            let mut ride = MiniBatchRide::new(ridge.direction, ridge.lambda, image, ride_params.clone());
            for _ in 0..RIDE_STEPS {
                if sampler.drawn >= settings.budget {
                    break;
                }
                // The batch is drawn where the step lands, so its derivatives are unbiased there.
                let mut next = theta.clone();
                axpy(settings.alpha, ride.direction(), &mut next);
                let batch = sampler.batch(&next)?;
                if ride.step(&batch, &mut theta, false)?.ended {
                    break;
                }
            }
            let leaf = greedy_leaf(tree, policy, &theta)?;
            run.solutions += 1;
            run.leaves.insert(leaf);
            if depth + 1 < MAX_BRANCH_DEPTH && expanded.insert((leaf, depth + 1)) {
                frontier.push_back((theta, depth + 1));
            }
        }
    }
    Ok(())
}
