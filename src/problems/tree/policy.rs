//! The policies of the tree problem: a function of θ giving each decision node's logit,
//! P(left) = σ(logit). The paper's policy is tabular (θₙ is node n's logit); a policy
//! network shares its parameters between nodes, so that RR's ridges mix decisions and
//! DiCE's sampled Hessians are those of a network. Both the exact loss
//! ([`ExactLoss`]) and the DiCE estimate ([`DiceLoss`](super::dice::DiceLoss)) take
//! either.
//!
//! The network reads a node's **path encoding**: feature k is +1 when the path from
//! the root turned left at depth k, −1 when it turned right, 0 below the node's depth
//! (so the root reads zeros). Its width is the deepest decision node's depth (at least
//! one), and every node has its own encoding.

use super::{Node, Tree, TreeError};
use crate::ad::hvp::check_input;
use crate::ad::{AdError, Constant, Loss, Var};
use crate::problems::mnist::mlp::{Activation, Mlp};

/// The widest hidden layer an MLP policy may have.
pub const MAX_HIDDEN: usize = 4096;

/// Which function of θ gives the decision nodes' logits.
///
/// ```
/// use ridge_rider::problems::tree::policy::{Policy, TreePolicy};
/// use ridge_rider::problems::tree::{Tree, TreeError};
/// let tree = Tree::generate(4, 0).unwrap();
/// assert_eq!(TreePolicy::new(&tree, Policy::Tabular).unwrap().dim(), tree.params());
/// // Path encodings of width 3 (decisions at depths 0–3), 5 tanh units, one logit.
/// assert_eq!(TreePolicy::new(&tree, Policy::Mlp { hidden: 5 }).unwrap().dim(), 3 * 5 + 5 + 5 + 1);
/// assert_eq!(TreePolicy::new(&tree, Policy::Mlp { hidden: 0 }).unwrap_err(), TreeError::Hidden { hidden: 0 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// One parameter per decision node, its logit (the paper's policy).
    Tabular,
    /// A two-layer tanh network, path encoding → `hidden` units → logit, with the
    /// parameter layout of [`Mlp`].
    Mlp { hidden: usize },
}

/// A [`Policy`] bound to a tree: θ ↦ one logit per decision node, on a tape or in
/// plain `f64`.
///
/// ```
/// use ridge_rider::ad::{Mode, Tape};
/// use ridge_rider::problems::tree::policy::{Policy, TreePolicy};
/// use ridge_rider::problems::tree::Tree;
/// let tree = Tree::generate(5, 3).unwrap();
/// let policy = TreePolicy::new(&tree, Policy::Mlp { hidden: 4 }).unwrap();
/// let theta: Vec<f64> = (0..policy.dim()).map(|i| (i as f64).sin()).collect();
/// let plain = policy.logit_values(&theta).unwrap();
/// assert_eq!(plain.len(), tree.params());
/// let tape = Tape::new(Mode::Value);
/// let logits = policy.logits(tape.parameter(policy.dim(), 1, theta, None));
/// assert!(logits.value().iter().zip(&plain).all(|(a, b)| (a - b).abs() < 1e-12));
/// assert!(policy.logit_values(&[0.0]).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct TreePolicy {
    policy: Policy,
    decisions: usize,
    /// For [`Policy::Mlp`]: the network and its inputs, one path encoding per decision
    /// node (row p for parameter p).
    network: Option<(Mlp, Constant)>,
}

impl TreePolicy {
    /// `policy` on `tree`; an MLP's hidden width must be within 1..=[`MAX_HIDDEN`].
    pub fn new(tree: &Tree, policy: Policy) -> Result<TreePolicy, TreeError> {
        let network = match policy {
            Policy::Tabular => None,
            Policy::Mlp { hidden } if hidden == 0 || hidden > MAX_HIDDEN => return Err(TreeError::Hidden { hidden }),
            Policy::Mlp { hidden } => {
                let (width, encodings) = path_encodings(tree);
                let inputs = Constant::new(tree.params(), width, encodings).expect("params × width encodings");
                Some((Mlp::new(width, hidden, 1, Activation::Tanh), inputs))
            }
        };
        Ok(TreePolicy { policy, decisions: tree.params(), network })
    }

    /// The policy this was built from.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The number of parameters θ has.
    pub fn dim(&self) -> usize {
        match &self.network {
            None => self.decisions,
            Some((mlp, _)) => mlp.dim(),
        }
    }

    /// The logits (params×1) on θ's tape.
    pub fn logits<'t>(&self, theta: Var<'t>) -> Var<'t> {
        match &self.network {
            None => theta,
            Some((mlp, inputs)) => mlp.logits_on(theta, inputs),
        }
    }

    /// The logits in plain `f64` (for sampling and greedy play); θ must have
    /// [`TreePolicy::dim`] finite values.
    pub fn logit_values(&self, theta: &[f64]) -> Result<Vec<f64>, AdError> {
        check_input("theta", self.dim(), theta)?;
        Ok(match &self.network {
            None => theta.to_vec(),
            Some((mlp, inputs)) => mlp.logits(theta, inputs.values()),
        })
    }
}

/// Every decision node's path encoding (see the module docs), row p for parameter p,
/// with the width.
fn path_encodings(tree: &Tree) -> (usize, Vec<f64>) {
    let width = tree.max_depth().saturating_sub(1).max(1);
    let mut encodings = vec![0.0; tree.params() * width];
    let mut stack = vec![(0usize, Vec::<f64>::new())];
    while let Some((id, path)) = stack.pop() {
        if let Node::Decision { param, left, right } = &tree.nodes[id] {
            encodings[param * width..param * width + path.len()].copy_from_slice(&path);
            for (child, turn) in [(*left, 1.0), (*right, -1.0)] {
                let mut next = path.clone();
                next.push(turn);
                stack.push((child, next));
            }
        }
    }
    (width, encodings)
}

/// Minus the expected reward, computed exactly over all leaves, under either policy:
/// the tree's own [`Loss`] with the policy's logits in place of θ.
///
/// ```
/// use ridge_rider::ad::{check::check_gradient, value};
/// use ridge_rider::problems::tree::policy::{ExactLoss, Policy};
/// use ridge_rider::problems::tree::Tree;
/// let tree = Tree::generate(4, 1).unwrap();
/// let tabular = ExactLoss::new(&tree, Policy::Tabular).unwrap();
/// let zero = vec![0.0; tree.params()];
/// assert_eq!(value(&tabular, &zero).unwrap(), value(&tree, &zero).unwrap());
/// let mlp = ExactLoss::new(&tree, Policy::Mlp { hidden: 3 }).unwrap();
/// let theta: Vec<f64> = (0..mlp.policy().dim()).map(|i| (0.7 * i as f64).cos()).collect();
/// assert!(check_gradient(&mlp, &theta, 1e-6).unwrap().relative_error < 1e-7);
/// ```
#[derive(Clone, Debug)]
pub struct ExactLoss {
    tree: Tree,
    policy: TreePolicy,
}

impl ExactLoss {
    /// The exact loss of `tree` under `policy`.
    pub fn new(tree: &Tree, policy: Policy) -> Result<ExactLoss, TreeError> {
        Ok(ExactLoss { tree: tree.clone(), policy: TreePolicy::new(tree, policy)? })
    }

    /// The policy θ parametrises.
    pub fn policy(&self) -> &TreePolicy {
        &self.policy
    }
}

impl Loss for ExactLoss {
    fn dim(&self) -> usize {
        self.policy.dim()
    }
    fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
        self.tree.loss_of_logits(self.policy.logits(theta))
    }
    /// The index (into `leaves`) of the leaf the greedy policy reaches.
    fn label(&self, theta: &[f64]) -> Option<String> {
        greedy_label(&self.tree, &self.policy, theta)
    }
}

/// The greedy leaf of the policy at θ, as a solution's label (`None` for a θ that does
/// not fit the policy).
pub(super) fn greedy_label(tree: &Tree, policy: &TreePolicy, theta: &[f64]) -> Option<String> {
    let logits = policy.logit_values(theta).ok()?;
    Some(tree.greedy_leaf(&logits).to_string())
}
