//! The binary-tree RL problem of the paper's section 4 (Fig. 2 and 3).
//!
//! **The generator** ([`Tree::generate`]): the root is a decision node. A forced path
//! of decision nodes runs from the root to depth `depth − 1`, whose node has two
//! terminal children at full depth, one paying +10 and one −1 (so every tree has a
//! path of full depth and a positive leaf). Every other child of a decision node at
//! depth d < `depth` is a decision node with probability [`EXPAND`], a terminal
//! otherwise; children at depth `depth` are terminals. A terminal pays +10 with
//! probability [`POSITIVE`], −1 otherwise. Finally, a decision node whose two children
//! are terminals with equal reward is merged into one terminal (repeatedly, bottom-up):
//! such a node makes the loss flat in its parameter, and no method could choose
//! between its leaves. Decision nodes are numbered breadth-first.
//!
//! **The policy** is tabular: one logit θₙ per decision node, P(left) = σ(θₙ). The loss
//! is minus the expected reward, −Σ_leaves r · P(reach leaf), computed exactly; a
//! solution's label is the leaf its greedy policy reaches. A small MLP can take the
//! table's place ([`policy`]), and the loss can be estimated from sampled episodes by
//! DiCE ([`dice`]), whose derivatives of every order are unbiased.

pub mod dice;
pub mod dice_search;
pub mod methods;
pub mod policy;

use crate::ad::{Constant, Loss, Storage, Var};
use crate::rng::seeded;
use rand::Rng;

/// Probability that a non-forced child above full depth is a decision node.
pub const EXPAND: f64 = 0.6;
/// Probability that a terminal pays +10 (else −1).
pub const POSITIVE: f64 = 0.35;

/// The deepest tree [`Tree::generate`] builds.
pub const MAX_DEPTH: usize = 30;

/// Why a tree could not be generated.
///
/// ```
/// use ridge_rider::problems::tree::{Tree, TreeError};
/// assert_eq!(Tree::generate(31, 0).unwrap_err(), TreeError::Depth { depth: 31 });
/// assert_eq!(TreeError::Depth { depth: 0 }.to_string(), "tree depth 0 is not within 1–30");
/// assert_eq!(TreeError::Hidden { hidden: 0 }.to_string(), "policy hidden width 0 is not within 1–4096");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeError {
    /// The depth is not within 1..=[`MAX_DEPTH`].
    Depth { depth: usize },
    /// An MLP policy's hidden width is not within 1..=[`policy::MAX_HIDDEN`].
    Hidden { hidden: usize },
}

impl std::fmt::Display for TreeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TreeError::Depth { depth } => write!(f, "tree depth {depth} is not within 1–{MAX_DEPTH}"),
            TreeError::Hidden { hidden } => {
                write!(f, "policy hidden width {hidden} is not within 1–{}", policy::MAX_HIDDEN)
            }
        }
    }
}

impl std::error::Error for TreeError {}

/// A node of the tree.
///
/// ```
/// use ridge_rider::problems::tree::{Node, Tree};
/// let t = Tree::generate(3, 0).unwrap();
/// assert!(matches!(t.nodes[0], Node::Decision { param: 0, .. }));
/// assert!(t.leaves.iter().all(|&l| matches!(t.nodes[l], Node::Terminal { .. })));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// A decision with its parameter index and children (node indices).
    Decision { param: usize, left: usize, right: usize },
    /// A leaf and what it pays.
    Terminal { reward: f64 },
}

/// A generated tree with its leaf-path incidence, ready to evaluate.
///
/// ```
/// use ridge_rider::ad::value;
/// use ridge_rider::problems::tree::Tree;
/// let t = Tree::generate(6, 1).unwrap();
/// // The loss is minus the expected reward; at θ = 0 every path is equally likely per node.
/// let zero = vec![0.0; t.params()];
/// assert!((value(&t, &zero).unwrap() + t.expected_reward(&zero)).abs() < 1e-12);
/// assert!((t.reach_probabilities(&zero).iter().sum::<f64>() - 1.0).abs() < 1e-12);
/// // A greedy policy reaches one leaf.
/// assert!(t.greedy_leaf(&zero) < t.leaves.len());
/// assert!(!t.positive_leaves().is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct Tree {
    pub depth: usize,
    /// Node 0 is the root.
    pub nodes: Vec<Node>,
    /// Node index of each leaf.
    pub leaves: Vec<usize>,
    /// Reward of each leaf.
    pub rewards: Vec<f64>,
    /// For each leaf, its path: (parameter, went left?).
    pub paths: Vec<Vec<(usize, bool)>>,
    /// Leaves × (2·params) incidence of path edges: column p is "left at p", n + p "right at p".
    /// Stored sparse whatever its size: each leaf's row has only its path's `depth`
    /// nonzeros, and the dense product was most of a small tree's Hessian sweep.
    incidence: Constant,
    params: usize,
}

enum Raw {
    Decision(Box<Raw>, Box<Raw>),
    Terminal(f64),
}

fn build(rng: &mut impl Rng, d: usize, depth: usize, forced: bool) -> Raw {
    if forced && d == depth - 1 {
        let (a, b) = if rng.gen_bool(0.5) { (10.0, -1.0) } else { (-1.0, 10.0) };
        return Raw::Decision(Box::new(Raw::Terminal(a)), Box::new(Raw::Terminal(b)));
    }
    if forced || (d < depth && rng.gen_bool(EXPAND)) {
        let forced_left = forced && rng.gen_bool(0.5);
        let left = build(rng, d + 1, depth, forced_left);
        let right = build(rng, d + 1, depth, forced && !forced_left);
        return merge(Raw::Decision(Box::new(left), Box::new(right)));
    }
    Raw::Terminal(if rng.gen_bool(POSITIVE) { 10.0 } else { -1.0 })
}

/// A decision between two equal terminals is one terminal.
fn merge(r: Raw) -> Raw {
    match r {
        Raw::Decision(l, rt) => match (*l, *rt) {
            (Raw::Terminal(a), Raw::Terminal(b)) if a == b => Raw::Terminal(a),
            (l, rt) => Raw::Decision(Box::new(l), Box::new(rt)),
        },
        t => t,
    }
}

impl Tree {
    /// A random tree of the given depth (1 to [`MAX_DEPTH`]) from a seed; see the module docs.
    ///
    /// ```
    /// use ridge_rider::problems::tree::Tree;
    /// let t = Tree::generate(4, 7).unwrap();
    /// assert_eq!(t.max_depth(), 4);
    /// assert!(t.rewards.iter().any(|&r| r > 0.0));
    /// ```
    pub fn generate(depth: usize, seed: u64) -> Result<Tree, TreeError> {
        if depth == 0 || depth > MAX_DEPTH {
            return Err(TreeError::Depth { depth });
        }
        let mut rng = seeded(seed, 0x74726565 + depth as u64);
        let raw = build(&mut rng, 0, depth, true);
        Ok(Tree::from_raw(depth, raw))
    }

    fn from_raw(depth: usize, raw: Raw) -> Tree {
        // Breadth-first numbering of nodes and parameters.
        let mut nodes = Vec::new();
        let mut queue = std::collections::VecDeque::from([(raw, usize::MAX, false)]);
        let mut params = 0;
        while let Some((r, parent, is_left)) = queue.pop_front() {
            let id = nodes.len();
            if parent != usize::MAX {
                if let Node::Decision { left, right, .. } = &mut nodes[parent] {
                    if is_left {
                        *left = id;
                    } else {
                        *right = id;
                    }
                }
            }
            match r {
                Raw::Decision(l, rt) => {
                    nodes.push(Node::Decision { param: params, left: 0, right: 0 });
                    params += 1;
                    queue.push_back((*l, id, true));
                    queue.push_back((*rt, id, false));
                }
                Raw::Terminal(reward) => nodes.push(Node::Terminal { reward }),
            }
        }
        let (mut leaves, mut rewards, mut paths) = (Vec::new(), Vec::new(), Vec::new());
        let mut stack = vec![(0usize, Vec::new())];
        while let Some((id, path)) = stack.pop() {
            match &nodes[id] {
                Node::Terminal { reward } => {
                    leaves.push(id);
                    rewards.push(*reward);
                    paths.push(path);
                }
                Node::Decision { param, left, right } => {
                    let mut pr = path.clone();
                    pr.push((*param, false));
                    stack.push((*right, pr));
                    let mut pl = path;
                    pl.push((*param, true));
                    stack.push((*left, pl));
                }
            }
        }
        let mut incidence = vec![0.0; leaves.len() * 2 * params];
        for (l, path) in paths.iter().enumerate() {
            for &(p, left) in path {
                incidence[l * 2 * params + if left { p } else { params + p }] = 1.0;
            }
        }
        let incidence = Constant::with_storage(leaves.len(), 2 * params, incidence, Storage::Sparse)
            .expect("the incidence has leaves × 2·params entries");
        Tree { depth, nodes, leaves, rewards, paths, incidence, params }
    }

    /// Number of decision nodes (= parameters).
    pub fn params(&self) -> usize {
        self.params
    }
    /// Length of the longest root-to-leaf path.
    pub fn max_depth(&self) -> usize {
        self.paths.iter().map(|p| p.len()).max().unwrap_or(0)
    }
    /// Leaf indices (into `leaves`) that pay +10.
    pub fn positive_leaves(&self) -> Vec<usize> {
        (0..self.leaves.len()).filter(|&l| self.rewards[l] > 0.0).collect()
    }
    /// P(reach leaf) for each leaf under θ, by direct products.
    pub fn reach_probabilities(&self, theta: &[f64]) -> Vec<f64> {
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        self.paths
            .iter()
            .map(|path| path.iter().map(|&(p, left)| if left { sig(theta[p]) } else { 1.0 - sig(theta[p]) }).product())
            .collect()
    }
    /// Expected reward under θ.
    pub fn expected_reward(&self, theta: &[f64]) -> f64 {
        self.reach_probabilities(theta).iter().zip(&self.rewards).map(|(p, r)| p * r).sum()
    }
    /// The leaf (index into `leaves`) the greedy policy reaches.
    pub fn greedy_leaf(&self, theta: &[f64]) -> usize {
        let mut id = 0;
        loop {
            match &self.nodes[id] {
                Node::Terminal { .. } => return self.leaves.iter().position(|&l| l == id).expect("a leaf"),
                Node::Decision { param, left, right } => id = if theta[*param] >= 0.0 { *left } else { *right },
            }
        }
    }
    /// Σ over decision nodes of the entropy of P(left), for the MIS objective.
    pub fn entropy(&self) -> TreeEntropy {
        TreeEntropy { params: self.params }
    }
}

/// ln π of every edge from the decision nodes' logits (params×1, P(left) = σ(logit)):
/// ln σ(logitₚ) for "left at p", then ln(1 − σ(logitₚ)) for "right at p", the
/// incidence's column order (2·params × 1).
fn edge_log_probabilities(logits: Var<'_>) -> Var<'_> {
    let left = -(-logits).softplus(); // ln σ(x)
    let right = -logits.softplus(); // ln (1 − σ(x))
    Var::concat(&[left, right])
}

impl Tree {
    /// ln P(reach leaf) for each leaf (leaves×1): the incidence times the edges'
    /// log-probabilities.
    fn leaf_log_probabilities<'t>(&self, edges: Var<'t>) -> Var<'t> {
        edges.tape().data(&self.incidence).matmul(edges)
    }

    /// Minus the expected reward, −Σ_leaves r · P(reach leaf), for the decision nodes'
    /// logits (params×1) whatever policy computed them.
    fn loss_of_logits<'t>(&self, logits: Var<'t>) -> Var<'t> {
        let reach = self.leaf_log_probabilities(edge_log_probabilities(logits)).exp();
        let r = logits.tape().constant(self.leaves.len(), 1, self.rewards.clone());
        -(reach * r).sum()
    }
}

/// The tabular policy: θ holds the logits themselves.
impl Loss for Tree {
    fn dim(&self) -> usize {
        self.params
    }
    fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
        self.loss_of_logits(theta)
    }
    /// The index (into `leaves`) of the leaf the greedy policy reaches.
    fn label(&self, theta: &[f64]) -> Option<String> {
        Some(self.greedy_leaf(theta).to_string())
    }
}

/// Σₙ H(σ(θₙ)) = Σₙ softplus(θₙ) − θₙ σ(θₙ): the policy entropy the MIS maximises.
///
/// ```
/// use ridge_rider::ad::value;
/// use ridge_rider::problems::tree::Tree;
/// let t = Tree::generate(4, 2).unwrap();
/// let h = value(&t.entropy(), &vec![0.0; t.params()]).unwrap();
/// assert!((h - t.params() as f64 * std::f64::consts::LN_2).abs() < 1e-12);
/// ```
pub struct TreeEntropy {
    params: usize,
}

impl Loss for TreeEntropy {
    fn dim(&self) -> usize {
        self.params
    }
    fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
        (theta.softplus() - theta * theta.sigmoid()).sum()
    }
}
