//! The methods compared on the binary-tree problem (paper Fig. 2 and 3), with one
//! accounting for all of them: a **timestep** is one loss evaluation along a ridge or
//! random direction (for exact RR each also computes the Hessian) or one gradient step
//! of a descent. RR and its ablations run until their archive is empty or the budget
//! is spent; the gradient baselines are then given exactly the timesteps RR used on
//! that tree.
//!
//! Conventions (also written to the experiment's JSON `config`):
//! * MIS: minimise ½‖∇L‖² − τ·Σ node entropies from θ = 0 (the uniform policy), τ = 1,
//!   for [`MIS_STEPS`] steps, or the budget when that is smaller (so a tiny budget
//!   bounds the work on a deep tree too).
//! * Every descent (RR's final descent, each GD run) stops when ‖∇L‖ < 1e-3, after
//!   [`DESCENT_STEPS`] steps, or when the budget is spent; the greedy leaf is then its
//!   solution.
//! * Equal budgets: RR, Fixed-EV and Rand-Ridge+ whose archive runs dry before the
//!   budget is spent branch again at the MIS with the next N ridges (eigen-indices
//!   N…2N − 1, then 2N…3N − 1, …; random directions: the next N draws), until the
//!   budget is spent or no negative-curvature ridge is left ([`branch_again`]).
//! * RR: exact, breadth-first, N = 6 ridges (`--ridges`) in both directions, δ_break = 0.95; each
//!   step starts at α = min(2, twice the last accepted α) and halves down to 1e-4 until
//!   the new ridge overlaps the old by δ_break; a ride ends when that fails, when the
//!   loss improves by less than 1e-4, or after 100 steps. A solution (descent to a
//!   leaf) is taken at every branch point, and each (greedy leaf, branching depth) is
//!   expanded once: without that, BFS re-expands equivalent branch points
//!   exponentially often and spends any budget before reaching deep leaves.
//! * GD(R): restarts from θ ~ N(0, 1). GD(S): from the MIS plus N(0, 0.1²) noise.
//!   Random Vector(S): from the MIS along a random unit vector while the loss falls,
//!   then descent. Fixed-EV: RR without UpdateRidge. Rand-Ridge+: RR whose branch
//!   directions are random unit vectors oriented downhill.

use crate::kernels::axpy;
use crate::optim::{gradient_descent, Descent};
use crate::problems::tree::Tree;
use crate::rng::{normal_vec, seeded, unit_vector};
use crate::rr::mis::{find_mis, MisParams};
use crate::rr::{branch_again, continue_search, start_search, Ablation, DescentParams, Hooks, RrError, RrParams};
use std::collections::BTreeSet;

/// Step limit of one descent.
pub const DESCENT_STEPS: usize = 300;
/// Steps of the MIS search (fewer when the budget is smaller).
pub const MIS_STEPS: usize = 300;
const GRAD_TOL: f64 = 1e-3;

/// The methods of Fig. 2 and 3.
///
/// ```
/// use ridge_rider::problems::tree::methods::Method;
/// assert_eq!((Method::GdSaddle.name(), Method::RidgeRider.name()), ("gd-saddle", "rr"));
/// assert!(!Method::GdSaddle.is_search() && Method::FixedEv.is_search());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    RidgeRider,
    GdRandom,
    GdSaddle,
    RandomVector,
    FixedEv,
    RandRidgePlus,
}

impl Method {
    /// The method's name in the CLI's `--methods` and in the results.
    pub fn name(&self) -> &'static str {
        match self {
            Method::RidgeRider => "rr",
            Method::GdRandom => "gd-random",
            Method::GdSaddle => "gd-saddle",
            Method::RandomVector => "random-vector",
            Method::FixedEv => "fixed-ev",
            Method::RandRidgePlus => "rand-ridge-plus",
        }
    }
    /// RR and its ablations search with their own stopping rule; the others get RR's timesteps.
    pub fn is_search(&self) -> bool {
        matches!(self, Method::RidgeRider | Method::FixedEv | Method::RandRidgePlus)
    }
}

/// What a method found on one tree (see [`run_method`]).
#[derive(Clone, Debug, Default)]
pub struct TreeRun {
    /// Leaves (indices into `tree.leaves`) its solutions reached.
    pub leaves: BTreeSet<usize>,
    pub timesteps: usize,
    pub solutions: usize,
}

impl TreeRun {
    /// Distinct positive leaves reached ÷ positive leaves × 100.
    pub fn percent_found(&self, tree: &Tree) -> f64 {
        let pos = tree.positive_leaves();
        100.0 * pos.iter().filter(|l| self.leaves.contains(l)).count() as f64 / pos.len().max(1) as f64
    }
}

/// The MIS of a tree: ½‖∇L‖² − τ·entropy minimised from the uniform policy.
///
/// ```
/// use ridge_rider::ad::gradient;
/// use ridge_rider::problems::tree::Tree;
/// use ridge_rider::problems::tree::methods::tree_mis;
/// let t = Tree::generate(4, 3).unwrap();
/// let mis = tree_mis(&t).unwrap();
/// let g0 = gradient(&t, &vec![0.0; t.params()]).unwrap().gradient;
/// let g = gradient(&t, &mis).unwrap().gradient;
/// let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
/// assert!(norm(&g) < norm(&g0));
/// ```
pub fn tree_mis(tree: &Tree) -> Result<Vec<f64>, RrError> {
    tree_mis_within(tree, MIS_STEPS)
}

/// [`tree_mis`] in at most `budget` steps: a search's budget bounds its MIS too.
///
/// ```
/// use ridge_rider::problems::tree::Tree;
/// use ridge_rider::problems::tree::methods::{tree_mis, tree_mis_within};
/// let t = Tree::generate(4, 3).unwrap();
/// assert_eq!(tree_mis_within(&t, 100_000).unwrap(), tree_mis(&t).unwrap());
/// assert_ne!(tree_mis_within(&t, 1).unwrap(), tree_mis(&t).unwrap());
/// ```
pub fn tree_mis_within(tree: &Tree, budget: usize) -> Result<Vec<f64>, RrError> {
    let p = MisParams { steps: MIS_STEPS.min(budget), lr: 0.5, tau: 1.0, grad_tol: 0.0 };
    Ok(find_mis(tree, Some(&tree.entropy()), &vec![0.0; tree.params()], &p)?.theta)
}

/// RR settings of the tree experiment (see the module docs).
///
/// ```
/// use ridge_rider::problems::tree::methods::{tree_rr_params, MethodRun};
/// let p = tree_rr_params(&MethodRun { budget: 5000, ridges: 6, seed: 1 });
/// assert_eq!((p.budget.timesteps, p.seed, p.riding.alpha), (5000, 1, 2.0));
/// ```
pub fn tree_rr_params(settings: &MethodRun) -> RrParams {
    let mut p = RrParams::default();
    p.branching.ridges = settings.ridges;
    p.branching.max_depth = 12;
    p.riding.alpha = 2.0;
    p.riding.alpha_min = 1e-4;
    p.riding.delta_break = 0.95;
    p.riding.min_improvement = 1e-4;
    p.riding.max_steps = 100;
    p.budget.timesteps = settings.budget;
    p.final_descent = Some(DescentParams { steps: DESCENT_STEPS, lr: 1.0, grad_tol: GRAD_TOL });
    p.heuristics.solutions_at_branch_points = true;
    p.heuristics.alpha_warm_start = true;
    p.heuristics.expand_label_once_per_depth = true;
    p.seed = settings.seed;
    p
}

/// A descent to a leaf within what is left of `budget` (none when nothing is left: the
/// start's own leaf is the solution).
fn descend(tree: &Tree, start: &[f64], run: &mut TreeRun, budget: usize) -> Result<(), RrError> {
    let room = budget.saturating_sub(run.timesteps);
    let limits = DescentParams { steps: DESCENT_STEPS.min(room), lr: 1.0, grad_tol: GRAD_TOL };
    let Descent { theta, steps, .. } = gradient_descent(tree, start, &limits)?;
    // A descent already at its tolerance still costs a timestep (else GD would loop).
    run.timesteps += if room == 0 { 0 } else { steps.max(1) };
    run.solutions += 1;
    run.leaves.insert(tree.greedy_leaf(&theta));
    Ok(())
}

/// How one method runs on one tree (see [`run_method`]).
///
/// ```
/// let r = ridge_rider::problems::tree::methods::MethodRun::default();
/// assert_eq!((r.budget, r.ridges, r.seed), (100_000, 6, 0));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MethodRun {
    /// Timestep budget: searches stop there, gradient baselines use exactly this many.
    pub budget: usize,
    /// N, ridges per branching of RR, Fixed-EV and Rand-Ridge+. Default 6.
    pub ridges: usize,
    /// Seed of every random choice of the method.
    pub seed: u64,
}

impl Default for MethodRun {
    fn default() -> Self {
        MethodRun { budget: 100_000, ridges: DEFAULT_RIDGES, seed: 0 }
    }
}

/// N of the tree experiment's default: ridges per branching.
pub const DEFAULT_RIDGES: usize = 6;

/// Run one method on one tree. `budget` caps the search methods; the gradient
/// baselines use exactly `budget` timesteps (their last descent is cut short there).
///
/// ```
/// use ridge_rider::problems::tree::Tree;
/// use ridge_rider::problems::tree::methods::{run_method, tree_mis, Method, MethodRun};
/// let t = Tree::generate(4, 5).unwrap();
/// let mis = tree_mis(&t).unwrap();
/// let rr = run_method(&t, &mis, Method::RidgeRider, &MethodRun { budget: 2000, ..Default::default() }).unwrap();
/// let gd = run_method(&t, &mis, Method::GdRandom, &MethodRun { budget: rr.timesteps, ..Default::default() }).unwrap();
/// assert!(rr.percent_found(&t) > 0.0 && gd.timesteps >= rr.timesteps);
/// ```
pub fn run_method(tree: &Tree, mis: &[f64], method: Method, settings: &MethodRun) -> Result<TreeRun, RrError> {
    let MethodRun { budget, ridges, seed } = *settings;
    if ridges == 0 {
        return Err(RrError::InvalidParameter { name: "ridges", why: "must be at least 1" });
    }
    let mut run = TreeRun::default();
    let n = tree.params();
    let mut rng = seeded(seed, 0x6d6574 + method as u64);
    match method {
        Method::RidgeRider | Method::FixedEv | Method::RandRidgePlus => {
            let mut p = tree_rr_params(settings);
            p.ablation = match method {
                Method::FixedEv => Ablation::FixedEv,
                Method::RandRidgePlus => Ablation::RandRidgePlus,
                _ => Ablation::RidgeRider,
            };
            let mut state = match start_search(tree, mis, &p) {
                Err(RrError::NoNegativeCurvature) => {
                    descend(tree, mis, &mut run, budget)?;
                    return Ok(run);
                }
                r => r?,
            };
            // Equal budgets: an archive that runs dry branches again at the MIS with
            // the next N ridges (`branch_again`), until the budget is spent or no
            // negative-curvature ridge is left.
            let mut hooks = Hooks::default();
            for round in 1.. {
                continue_search(tree, &p, &mut state, &mut hooks)?;
                if state.output.timesteps >= budget || !branch_again(tree, mis, &p, &mut state, round)? {
                    break;
                }
            }
            let out = state.output;
            run.timesteps = out.timesteps;
            run.solutions = out.solutions.len();
            run.leaves = out.solutions.iter().map(|s| tree.greedy_leaf(&s.theta)).collect();
        }
        Method::GdRandom => {
            while run.timesteps < budget {
                descend(tree, &normal_vec(&mut rng, n, 1.0), &mut run, budget)?;
            }
        }
        Method::GdSaddle => {
            while run.timesteps < budget {
                let mut start = mis.to_vec();
                axpy(1.0, &normal_vec(&mut rng, n, 0.1), &mut start);
                descend(tree, &start, &mut run, budget)?;
            }
        }
        Method::RandomVector => {
            while run.timesteps < budget {
                let v = unit_vector(&mut rng, n);
                let mut theta = mis.to_vec();
                let mut loss = crate::ad::value(tree, &theta)?;
                let alpha = 0.5;
                loop {
                    let mut next = theta.clone();
                    axpy(alpha, &v, &mut next);
                    let l = crate::ad::value(tree, &next)?;
                    run.timesteps += 1;
                    if l.partial_cmp(&loss) != Some(std::cmp::Ordering::Less) || run.timesteps >= budget {
                        break;
                    }
                    (theta, loss) = (next, l);
                }
                descend(tree, &theta, &mut run, budget)?;
            }
        }
    }
    Ok(run)
}
