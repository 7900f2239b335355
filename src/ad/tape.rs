//! Reverse mode: a define-by-run tape over dense tensors (row-major matrices; a vector
//! is an n×1 matrix, a scalar 1×1).
//!
//! Every operation computes its value as it is recorded. In [`Mode::Tangent`] it also
//! carries `lanes` tangents (forward mode), and the reverse sweep then propagates an
//! adjoint *and* its tangents: the tangent of the gradient along v is Hv. That is
//! forward-over-reverse: the reverse sweep run on dual numbers, with primal and
//! tangent kept in separate buffers so matrix products stay gemms.
//!
//! Tangents live beside the nodes, not in them, so that a recording can be swept
//! again with new directions ([`Mode::Linearize`], used by
//! [`HessianAt`](super::HessianAt)) without recomputing any value.
//!
//! (Just over 400 lines: the tape, its nodes and the two sweeps share private state;
//! the operations themselves are in `ops/`.)

use super::constant::Constant;
use super::ops::{self, Op};
use super::pool;
use super::sparse::{choose_shared, Csr};
use std::cell::RefCell;
use std::sync::Arc;

/// Index of a node on its tape.
pub type NodeId = usize;

/// What a tape records besides values.
///
/// ```
/// use ridge_rider::ad::{Mode, Tape};
/// // Two tangent lanes: the reverse sweep returns the gradient and two HVPs.
/// let tape = Tape::new(Mode::Tangent(2));
/// let x = tape.parameter(2, 1, vec![1.0, 2.0], Some(vec![1.0, 0.0, 0.0, 1.0]));
/// let y = (x * x * x).sum() / 3.0; // H = diag(2x)
/// let adj = tape.backward(y, &[x]).pop().unwrap();
/// assert_eq!(adj.gradient, vec![1.0, 4.0]);
/// assert_eq!(adj.gradient_tangent.unwrap(), vec![2.0, 0.0, 0.0, 4.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Values only: the cheapest evaluation of a loss.
    Value,
    /// Values and first-derivative caches for one reverse sweep.
    Gradient,
    /// Values plus `lanes` tangent directions; the reverse sweep yields the gradient and
    /// `lanes` Hessian-vector products.
    Tangent(usize),
    /// Values and the first- and second-derivative caches, but no tangents: a recording
    /// whose tangent sweeps are run later, for any directions, by
    /// [`HessianAt`](super::HessianAt).
    Linearize,
}

pub(crate) struct Node {
    pub(crate) op: Op,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) value: Arc<Vec<f64>>,
    /// Depends on a parameter: only active nodes get adjoints.
    pub(crate) active: bool,
    /// A constant kept sparse too: its products skip the zeros.
    pub(crate) sparse: Option<Arc<Csr>>,
}

impl Node {
    pub(crate) fn len(&self) -> usize {
        self.rows * self.cols
    }
}

/// A computed node's buffers go back to the pool (its value only if no one else holds
/// it). A leaf's value (and a detached node's that shares it) came from the caller, not
/// the pool: giving it would grow the pool by one buffer per evaluation that no later
/// request takes.
impl Drop for Node {
    fn drop(&mut self) {
        if let (true, Some(v)) = (self.op.value_is_pooled(), Arc::get_mut(&mut self.value)) {
            pool::give(std::mem::take(v));
        }
        self.op.recycle();
    }
}

/// The result of an operation before it is pushed on the tape.
pub(crate) struct Computed {
    pub(crate) op: Op,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) value: Vec<f64>,
}

/// The forward tangents of a sweep, one entry per node: `lanes × len` values,
/// lane-major, on active nodes; `None` on constants (a zero tangent).
pub(crate) type Tangents = [Option<Vec<f64>>];

/// A define-by-run tape. Create one per evaluation; build the loss with [`Var`] methods.
///
/// ```
/// use ridge_rider::ad::{Tape, Mode};
/// let tape = Tape::new(Mode::Gradient);
/// let x = tape.parameter(2, 1, vec![1.0, 2.0], None);
/// let y = (x * x).sum();                 // y = x₀² + x₁²
/// let g = tape.backward(y, &[x]);
/// assert_eq!(g[0].gradient, vec![2.0, 4.0]);
/// ```
pub struct Tape {
    mode: Mode,
    pub(crate) nodes: RefCell<Vec<Node>>,
    /// The tangent sweep recorded alongside (all `None` outside tangent mode).
    pub(crate) tangents: RefCell<Vec<Option<Vec<f64>>>>,
}

/// A handle to a node: cheap to copy, borrows its tape. Operators and methods build
/// the loss; each records its value (and, in tangent mode, its tangents) as it goes.
///
/// ```
/// use ridge_rider::ad::{Mode, Tape};
/// let tape = Tape::new(Mode::Value);
/// let a = tape.constant(2, 2, vec![1.0, 2.0, 3.0, 4.0]);
/// let v = tape.constant(2, 1, vec![1.0, -1.0]);
/// let av = a.matmul(v);
/// assert_eq!((av.shape(), av.value().to_vec()), ((2, 1), vec![-1.0, -1.0]));
/// assert_eq!(av.sum().item(), -2.0);
/// ```
#[derive(Clone, Copy)]
pub struct Var<'t> {
    pub(crate) tape: &'t Tape,
    pub(crate) id: NodeId,
}

/// The adjoint of one parameter after a reverse sweep (see [`Mode`] for one with
/// tangents).
#[derive(Clone, Debug)]
pub struct Adjoint {
    /// ∂output/∂parameter.
    pub gradient: Vec<f64>,
    /// In tangent mode, `lanes × len`: the tangent of the gradient along each seeded
    /// direction, i.e. H·vₗ.
    pub gradient_tangent: Option<Vec<f64>>,
}

impl Tape {
    pub fn new(mode: Mode) -> Self {
        Tape { mode, nodes: RefCell::new(Vec::new()), tangents: RefCell::new(Vec::new()) }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Number of tangent directions carried (0 outside tangent mode).
    pub fn lanes(&self) -> usize {
        match self.mode {
            Mode::Tangent(k) => k,
            _ => 0,
        }
    }

    /// Whether operations must cache what the reverse sweep needs.
    pub(crate) fn needs_derivatives(&self) -> bool {
        self.mode != Mode::Value
    }

    /// Whether operations must also cache second derivatives (for tangent sweeps).
    pub(crate) fn needs_second_derivatives(&self) -> bool {
        matches!(self.mode, Mode::Tangent(_) | Mode::Linearize)
    }

    /// The recorded nodes, for sweeps run after recording.
    pub(crate) fn into_nodes(self) -> Vec<Node> {
        std::mem::take(&mut *self.nodes.borrow_mut())
    }

    /// Number of nodes recorded so far.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A constant tensor (data): no adjoint, no tangent. Pass a clone of an
    /// `Arc<Vec<f64>>` the loss captured to share the data without a copy (a `Vec` works
    /// too, handed over). Large, mostly-zero constants are stored sparse
    /// ([`Storage::Auto`](super::Storage::Auto)); the choice for a shared buffer is made
    /// once and remembered. A [`Constant`] passed to [`Tape::data`] carries its choice
    /// with it.
    ///
    /// ```
    /// use ridge_rider::ad::{gradient, loss_fn, Var};
    /// use std::sync::Arc;
    /// let a = Arc::new(vec![2.0, 0.0, 0.0, 3.0]);
    /// // The closure captures `a`; each evaluation shares it (an Arc clone, no copy).
    /// let f = loss_fn(2, move |t: Var| t.tape().constant(2, 2, a.clone()).matmul(t).sum());
    /// assert_eq!(gradient(&f, &[1.0, 1.0]).unwrap().gradient, vec![2.0, 3.0]);
    /// ```
    ///
    /// # Panics
    /// If `value.len() != rows * cols` (a programming error; [`Constant::new`] returns
    /// an error instead).
    pub fn constant(&self, rows: usize, cols: usize, value: impl Into<Arc<Vec<f64>>>) -> Var<'_> {
        let value = value.into();
        assert_eq!(value.len(), rows * cols, "constant: {rows}×{cols} shape, {} values", value.len());
        let sparse = choose_shared(rows, cols, &value);
        self.push_node(Node { op: Op::Leaf, rows, cols, value, active: false, sparse }, None)
    }

    /// The same as [`Tape::constant`] (kept for callers written before it took an `Arc`).
    pub fn constant_shared(&self, rows: usize, cols: usize, value: Arc<Vec<f64>>) -> Var<'_> {
        self.constant(rows, cols, value)
    }

    /// A [`Constant`] on this tape: its buffers are shared and its storage was chosen
    /// when it was built.
    pub fn data(&self, c: &Constant) -> Var<'_> {
        let (rows, cols) = c.shape();
        let node =
            Node { op: Op::Leaf, rows, cols, value: c.values().clone(), active: false, sparse: c.sparse().cloned() };
        self.push_node(node, None)
    }

    /// A 1×1 constant.
    pub fn scalar(&self, c: f64) -> Var<'_> {
        self.constant(1, 1, vec![c])
    }

    /// A parameter: the reverse sweep returns its adjoint. In tangent mode `tangent`
    /// holds `lanes × rows·cols` values (lane-major); `None` means zero tangents.
    ///
    /// # Panics
    /// If the lengths do not match the shape (a programming error).
    pub fn parameter(&self, rows: usize, cols: usize, value: Vec<f64>, tangent: Option<Vec<f64>>) -> Var<'_> {
        let n = rows * cols;
        assert_eq!(value.len(), n, "parameter: {rows}×{cols} shape, {} values", value.len());
        let lanes = self.lanes();
        let tangent = match (lanes, tangent) {
            (0, _) => None,
            (k, Some(t)) => {
                assert_eq!(t.len(), k * n, "parameter tangent: expected {k}×{n} values, got {}", t.len());
                Some(t)
            }
            (k, None) => Some(pool::zeroed(k * n)),
        };
        self.push_node(Node { op: Op::Leaf, rows, cols, value: Arc::new(value), active: true, sparse: None }, tangent)
    }

    pub(crate) fn push_node(&self, node: Node, tangent: Option<Vec<f64>>) -> Var<'_> {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(node);
        self.tangents.borrow_mut().push(tangent);
        Var { tape: self, id: nodes.len() - 1 }
    }

    /// Record a computed node; in tangent mode its tangent follows from its inputs'
    /// by the operation's own tangent rule ([`ops::tangent`]).
    pub(crate) fn push(&self, c: Computed, active: bool) -> Var<'_> {
        debug_assert_eq!(c.value.len(), c.rows * c.cols);
        let mut nodes = self.nodes.borrow_mut();
        let mut tangents = self.tangents.borrow_mut();
        nodes.push(Node { op: c.op, rows: c.rows, cols: c.cols, value: Arc::new(c.value), active, sparse: None });
        let id = nodes.len() - 1;
        let lanes = self.lanes();
        let tangent = (active && lanes > 0).then(|| ops::tangent(&nodes, &tangents, id, lanes));
        tangents.push(tangent);
        Var { tape: self, id }
    }

    /// Reverse sweep from the scalar `output`, returning the adjoint of each of `wrt`.
    ///
    /// # Panics
    /// If `output` is not 1×1 or belongs to another tape (programming errors).
    pub fn backward(&self, output: Var<'_>, wrt: &[Var<'_>]) -> Vec<Adjoint> {
        assert!(std::ptr::eq(output.tape, self), "backward: output from another tape");
        let nodes = self.nodes.borrow();
        let tangents = self.tangents.borrow();
        assert_eq!(nodes[output.id].len(), 1, "backward: the output must be a scalar");
        let lanes = self.lanes();
        let mut keep = vec![false; nodes.len()];
        wrt.iter().for_each(|v| keep[v.id] = true);
        let adj = reverse_sweep(&nodes, &tangents, output.id, lanes, &keep, None);
        wrt.iter()
            .map(|v| Adjoint {
                gradient: adj.primal[v.id].clone().unwrap_or_else(|| vec![0.0; nodes[v.id].len()]),
                gradient_tangent: (lanes > 0)
                    .then(|| adj.tangent[v.id].clone().unwrap_or_else(|| vec![0.0; lanes * nodes[v.id].len()])),
            })
            .collect()
    }
}

/// The reverse sweep from the scalar `output` (run on duals when `lanes > 0`, reading
/// the forward tangents). Adjoints of nodes marked in `keep` are kept for the caller,
/// the rest freed as used. With `known`, the primal adjoints of an earlier sweep at the
/// same point are read instead of recomputed, and only their tangents are propagated.
pub(crate) fn reverse_sweep(
    nodes: &[Node],
    tangents: &Tangents,
    output: NodeId,
    lanes: usize,
    keep: &[bool],
    known: Option<&[Option<Vec<f64>>]>,
) -> Adjoints {
    let mut adj = Adjoints::new(nodes.len(), lanes, known.is_some());
    if nodes[output].active {
        if known.is_none() {
            adj.primal[output] = Some(vec![1.0]);
        }
        if lanes > 0 {
            adj.tangent[output] = Some(pool::zeroed(lanes));
        }
    }
    for id in (0..=output).rev() {
        let (own, ybar_t) = if keep[id] {
            (adj.primal[id].as_deref().map(pool::copy_of), adj.tangent[id].as_deref().map(pool::copy_of))
        } else {
            (adj.primal[id].take(), adj.tangent[id].take())
        };
        let ybar = match known {
            Some(k) => k[id].as_deref(),
            None => own.as_deref(),
        };
        if let Some(ybar) = ybar {
            ops::backward(nodes, tangents, id, ybar, ybar_t.as_deref(), &mut adj);
        }
        own.into_iter().chain(ybar_t).for_each(pool::give);
    }
    adj
}

/// Adjoint buffers of a reverse sweep, allocated on first use.
pub(crate) struct Adjoints {
    pub(crate) primal: Vec<Option<Vec<f64>>>,
    pub(crate) tangent: Vec<Option<Vec<f64>>>,
    pub(crate) lanes: usize,
    /// The primal adjoints are known from an earlier sweep: operations may skip
    /// computing them (the matrix products do), and what they write goes to `sink`.
    pub(crate) primal_known: bool,
    sink: Vec<f64>,
}

impl Adjoints {
    fn new(n: usize, lanes: usize, primal_known: bool) -> Self {
        Adjoints { primal: vec![None; n], tangent: vec![None; n], lanes, primal_known, sink: Vec::new() }
    }
    /// Both buffers of node `id` at once, zeroed on first use: the adjoint and its
    /// tangents (`lanes × len`, in tangent sweeps only).
    pub(crate) fn both(&mut self, nodes: &[Node], id: NodeId) -> (&mut Vec<f64>, Option<&mut Vec<f64>>) {
        let n = nodes[id].len();
        let k = self.lanes;
        let p = if self.primal_known {
            self.sink.resize(n, 0.0);
            &mut self.sink
        } else {
            self.primal[id].get_or_insert_with(|| pool::zeroed(n))
        };
        let t = if k > 0 { Some(self.tangent[id].get_or_insert_with(|| pool::zeroed(k * n))) } else { None };
        (p, t)
    }
}

impl Drop for Adjoints {
    fn drop(&mut self) {
        pool::give_all(&mut self.primal);
        pool::give_all(&mut self.tangent);
        // The sink grew by `resize`, not from the pool: it is dropped, not given.
    }
}

impl Drop for Tape {
    fn drop(&mut self) {
        pool::give_all(self.tangents.get_mut());
    }
}

impl<'t> Var<'t> {
    pub fn tape(&self) -> &'t Tape {
        self.tape
    }
    pub fn id(&self) -> NodeId {
        self.id
    }
    /// (rows, cols).
    pub fn shape(&self) -> (usize, usize) {
        let n = &self.tape.nodes.borrow()[self.id];
        (n.rows, n.cols)
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        let (r, c) = self.shape();
        r * c
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The computed value (row-major).
    pub fn value(&self) -> Arc<Vec<f64>> {
        self.tape.nodes.borrow()[self.id].value.clone()
    }
    /// The value of a 1×1 node.
    ///
    /// # Panics
    /// If the node is not a scalar.
    pub fn item(&self) -> f64 {
        let v = self.value();
        assert_eq!(v.len(), 1, "item: not a scalar");
        v[0]
    }
    /// The forward tangents (`lanes × len`), if any.
    pub fn tangent(&self) -> Option<Vec<f64>> {
        self.tape.tangents.borrow()[self.id].clone()
    }
}
