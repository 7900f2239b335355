//! The tree's loss estimated from sampled episodes by DiCE (Foerster et al. 2018), the
//! objective of the paper's RR on sampled Hessians (Sec. 4, Fig. 8).
//!
//! B episodes are sampled from π_θ at a given θ (a seeded ChaCha stream). With τ_b the
//! sum of log π(a_t|s_t) over episode b's decisions and R_b its reward (the tree pays
//! only at the terminal, so Σ_t □(Σ_{t'≤t} log π) r_t is □(τ_b) R_b), the loss is
//!
//!   L(θ) = −(1/B) Σ_b [ □(τ_b) R_b + Σ_t (1 − □(log π(a_t|s_t))) b_b ],
//!
//! □ being the magic box ([`Var::magic_box`]). Its value is the batch's mean return
//! (negated), and at the θ the episodes were drawn from its gradient, its HVPs and its
//! Hessian are unbiased estimates of the exact loss's: E[∇ᵏ□(τ) R] = Σ_paths ∇ᵏπ(path)·R.
//!
//! **The baseline term** has value 0 and, for any bᵦ that does not depend on episode
//! b's own actions, derivatives of mean zero at every order: given the state, the
//! k-th derivative of □(log π(a|s)) is ∇ᵏπ(a|s)/π(a|s), whose mean over a is
//! ∇ᵏ Σ_a π(a|s) = ∇ᵏ1 = 0. So it changes the variance, never the mean. A constant
//! qualifies, and so does the leave-one-out mean of the *other* episodes' returns
//! (episodes are independent). The batch's own mean return would not: it contains R_b,
//! which depends on episode b's actions, and biases the estimate by O(1/B).

use super::policy::{greedy_label, Policy, TreePolicy};
use super::{edge_log_probabilities, Node, Tree, TreeError};
use crate::ad::{AdError, Loss, Real, Var};
use crate::rng::seeded;
use rand::Rng;
use std::fmt;
use std::sync::Arc;

/// The most episodes one batch may hold.
pub const MAX_EPISODES: usize = 1 << 16;

/// The ChaCha stream of episode sampling ("dice").
const STREAM: u64 = 0x6469_6365;

/// The baseline bᵦ of DiCE's baseline term (see the module docs for why each keeps the
/// estimate unbiased).
///
/// ```
/// use ridge_rider::ad::value;
/// use ridge_rider::problems::tree::dice::{Baseline, DiceLoss, DiceParams};
/// use ridge_rider::problems::tree::{policy::Policy, Tree};
/// let tree = Tree::generate(4, 0).unwrap();
/// let theta = vec![0.0; tree.params()];
/// let with = |baseline| DiceParams { episodes: 32, baseline, seed: 1 };
/// let plain = DiceLoss::sample(&tree, Policy::Tabular, &theta, &with(Baseline::None)).unwrap();
/// let loo = DiceLoss::sample(&tree, Policy::Tabular, &theta, &with(Baseline::LeaveOneOut)).unwrap();
/// // The same episodes, the same value (the baseline term is 0 in value).
/// assert_eq!(value(&plain, &theta).unwrap(), value(&loo, &theta).unwrap());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Baseline {
    /// No baseline term.
    None,
    /// The same constant for every decision.
    Constant(f64),
    /// For episode b, the mean return of the other B − 1 episodes (B ≥ 2).
    LeaveOneOut,
}

/// How a batch is sampled: its size, its baseline and the seed of its draws (the same
/// seed at the same θ draws the same episodes).
///
/// ```
/// use ridge_rider::problems::tree::dice::{Baseline, DiceLoss, DiceParams};
/// use ridge_rider::problems::tree::{policy::Policy, Tree};
/// let tree = Tree::generate(5, 0).unwrap();
/// let theta = vec![0.5; tree.params()];
/// let params = DiceParams { episodes: 50, baseline: Baseline::Constant(1.0), seed: 3 };
/// let a = DiceLoss::sample(&tree, Policy::Tabular, &theta, &params).unwrap();
/// let b = DiceLoss::sample(&tree, Policy::Tabular, &theta, &params).unwrap();
/// assert_eq!(a.episodes(), b.episodes());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DiceParams {
    /// B, within 1..=[`MAX_EPISODES`].
    pub episodes: usize,
    pub baseline: Baseline,
    /// The seed of the episodes' draws.
    pub seed: u64,
}

/// Why a batch could not be sampled.
///
/// ```
/// use ridge_rider::problems::tree::dice::{Baseline, DiceError, DiceLoss, DiceParams};
/// use ridge_rider::problems::tree::{policy::Policy, Tree};
/// let tree = Tree::generate(3, 0).unwrap();
/// let theta = vec![0.0; tree.params()];
/// let one = DiceParams { episodes: 1, baseline: Baseline::LeaveOneOut, seed: 0 };
/// let err = DiceLoss::sample(&tree, Policy::Tabular, &theta, &one).unwrap_err();
/// assert_eq!(err, DiceError::LeaveOneOut { episodes: 1 });
/// assert!(DiceLoss::sample(&tree, Policy::Tabular, &[0.0], &one).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum DiceError {
    /// θ does not fit the policy (length) or is not finite.
    Theta(AdError),
    /// The policy cannot be built on this tree.
    Policy(TreeError),
    /// The episode count is not within 1..=[`MAX_EPISODES`].
    Episodes { episodes: usize },
    /// The leave-one-out baseline needs at least two episodes.
    LeaveOneOut { episodes: usize },
    /// A constant baseline must be finite.
    Baseline { value: f64 },
}

impl fmt::Display for DiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiceError::Theta(e) => write!(f, "theta: {e}"),
            DiceError::Policy(e) => write!(f, "policy: {e}"),
            DiceError::Episodes { episodes } => write!(f, "{episodes} episodes is not within 1–{MAX_EPISODES}"),
            DiceError::LeaveOneOut { episodes } => {
                write!(f, "the leave-one-out baseline needs at least 2 episodes, got {episodes}")
            }
            DiceError::Baseline { value } => write!(f, "the constant baseline {value} is not finite"),
        }
    }
}

impl std::error::Error for DiceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DiceError::Theta(e) => Some(e),
            DiceError::Policy(e) => Some(e),
            _ => None,
        }
    }
}

/// The DiCE loss of one batch of episodes sampled at θ (see the module docs). Its
/// derivatives come from the engine like any loss's; they estimate the exact loss's
/// without bias at the θ of [`DiceLoss::sampled_at`] only (elsewhere the episodes were
/// drawn from another policy).
///
/// ```
/// use ridge_rider::ad::{gradient, Loss};
/// use ridge_rider::problems::tree::dice::{Baseline, DiceLoss, DiceParams};
/// use ridge_rider::problems::tree::{policy::Policy, Tree};
/// let tree = Tree::generate(5, 2).unwrap();
/// let theta = vec![0.3; tree.params()];
/// let params = DiceParams { episodes: 200, baseline: Baseline::LeaveOneOut, seed: 7 };
/// let batch = DiceLoss::sample(&tree, Policy::Tabular, &theta, &params).unwrap();
/// assert_eq!((batch.episodes().len(), batch.sampled_at()), (200, &theta[..]));
/// let g = gradient(&batch, &theta).unwrap();
/// // The value is minus the mean return.
/// let mean: f64 = batch.episodes().iter().map(|e| e.reward).sum::<f64>() / 200.0;
/// assert!((g.value + mean).abs() < 1e-12);
/// assert_eq!(g.gradient.len(), batch.dim());
/// ```
#[derive(Clone, Debug)]
pub struct DiceLoss {
    tree: Tree,
    policy: TreePolicy,
    theta: Vec<f64>,
    episodes: Vec<Episode>,
    /// Each episode's leaf (into `tree.leaves`), for gathering its τ.
    leaves: Vec<usize>,
    /// Each episode's reward, B×1.
    returns: Arc<Vec<f64>>,
    /// With a baseline: each decision of each episode as an edge (the column of the
    /// tree's incidence), and its bᵦ.
    baseline_terms: Option<(Vec<usize>, Arc<Vec<f64>>)>,
}

/// One sampled episode: the leaf it ended in and the reward there (its decisions are
/// the leaf's path, `tree.paths[leaf]`).
///
/// ```
/// use ridge_rider::problems::tree::dice::{Baseline, DiceLoss, DiceParams};
/// use ridge_rider::problems::tree::{policy::Policy, Tree};
/// let tree = Tree::generate(4, 0).unwrap();
/// // Logits of ±40: every decision is all but certain, so every episode follows the
/// // greedy path.
/// let theta: Vec<f64> = (0..tree.params()).map(|p| if p % 2 == 0 { 40.0 } else { -40.0 }).collect();
/// let params = DiceParams { episodes: 10, baseline: Baseline::None, seed: 0 };
/// let batch = DiceLoss::sample(&tree, Policy::Tabular, &theta, &params).unwrap();
/// let greedy = tree.greedy_leaf(&theta);
/// assert!(batch.episodes().iter().all(|e| e.leaf == greedy && e.reward == tree.rewards[greedy]));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Episode {
    /// Index into the tree's `leaves`.
    pub leaf: usize,
    pub reward: f64,
}

impl DiceLoss {
    /// Sample `params.episodes` episodes from the policy at θ and build their DiCE loss.
    pub fn sample(tree: &Tree, policy: Policy, theta: &[f64], params: &DiceParams) -> Result<DiceLoss, DiceError> {
        let policy = TreePolicy::new(tree, policy).map_err(DiceError::Policy)?;
        let b = params.episodes;
        if b == 0 || b > MAX_EPISODES {
            return Err(DiceError::Episodes { episodes: b });
        }
        match params.baseline {
            Baseline::LeaveOneOut if b < 2 => return Err(DiceError::LeaveOneOut { episodes: b }),
            Baseline::Constant(value) if !value.is_finite() => return Err(DiceError::Baseline { value }),
            _ => {}
        }
        let logits = policy.logit_values(theta).map_err(DiceError::Theta)?;
        let mut leaf_of = vec![usize::MAX; tree.nodes.len()];
        tree.leaves.iter().enumerate().for_each(|(leaf, &node)| leaf_of[node] = leaf);
        let mut rng = seeded(params.seed, STREAM);
        let episodes: Vec<Episode> = (0..b).map(|_| sample_episode(tree, &leaf_of, &logits, &mut rng)).collect();
        let returns: Vec<f64> = episodes.iter().map(|e| e.reward).collect();
        let total: f64 = returns.iter().sum();
        let per_episode = |r: f64| match params.baseline {
            Baseline::None => None,
            Baseline::Constant(c) => Some(c),
            Baseline::LeaveOneOut => Some((total - r) / (b - 1) as f64),
        };
        let baseline_terms = (params.baseline != Baseline::None).then(|| {
            let (mut edges, mut values) = (Vec::new(), Vec::new());
            for e in &episodes {
                let bb = per_episode(e.reward).expect("a baseline");
                for &(p, left) in &tree.paths[e.leaf] {
                    edges.push(if left { p } else { tree.params() + p });
                    values.push(bb);
                }
            }
            (edges, Arc::new(values))
        });
        Ok(DiceLoss {
            tree: tree.clone(),
            policy,
            theta: theta.to_vec(),
            leaves: episodes.iter().map(|e| e.leaf).collect(),
            episodes,
            returns: Arc::new(returns),
            baseline_terms,
        })
    }

    /// The θ the episodes were drawn at: where the derivatives are unbiased.
    pub fn sampled_at(&self) -> &[f64] {
        &self.theta
    }

    /// The sampled episodes, in order of their draws.
    pub fn episodes(&self) -> &[Episode] {
        &self.episodes
    }

    /// The policy θ parametrises.
    pub fn policy(&self) -> &TreePolicy {
        &self.policy
    }
}

/// One episode from the root: at each decision node go left with probability σ(logit).
/// `leaf_of` maps a terminal's node index to its index in `tree.leaves`.
fn sample_episode(tree: &Tree, leaf_of: &[usize], logits: &[f64], rng: &mut impl Rng) -> Episode {
    let mut id = 0;
    loop {
        match &tree.nodes[id] {
            Node::Decision { param, left, right } => {
                id = if rng.gen::<f64>() < logits[*param].sigmoid() { *left } else { *right }
            }
            Node::Terminal { reward } => return Episode { leaf: leaf_of[id], reward: *reward },
        }
    }
}

impl Loss for DiceLoss {
    fn dim(&self) -> usize {
        self.policy.dim()
    }
    fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
        let tape = theta.tape();
        let edges = edge_log_probabilities(self.policy.logits(theta));
        let tau = self.tree.leaf_log_probabilities(edges).gather(&self.leaves);
        let returns = tape.constant(self.leaves.len(), 1, self.returns.clone());
        let mut objective = (tau.magic_box() * returns).sum();
        if let Some((decisions, baselines)) = &self.baseline_terms {
            let log_pi = edges.gather(decisions);
            let b = tape.constant(decisions.len(), 1, baselines.clone());
            objective = objective + ((1.0 - log_pi.magic_box()) * b).sum();
        }
        -(objective / self.leaves.len() as f64)
    }
    /// The index (into `leaves`) of the leaf the greedy policy reaches.
    fn label(&self, theta: &[f64]) -> Option<String> {
        greedy_label(&self.tree, &self.policy, theta)
    }
}
