//! The loss recorded once at a point θ, so that many Hessian-vector products at that
//! θ (Lanczos, the eigen-loss steps of approximate RR) skip everything that does not
//! depend on the direction: the values, the derivative caches and the primal adjoints
//! are computed once; each product runs only the tangent sweep forward and the
//! adjoints' tangents backward. For a network whose cost is its matrix products this
//! halves the work of a product: of the four gemms per weight matrix (value, tangent,
//! adjoint, adjoint tangent) only the two tangent ones remain.
//!
//! The arithmetic of each product is the same as [`hessian_vector_products`]'s, since
//! both run each operation's one tangent rule and one adjoint rule.
//!
//! [`hessian_vector_products`]: super::hessian_vector_products

use super::hvp::{check_input, eval_output, Loss};
use super::ops;
use super::pool;
use super::tape::{reverse_sweep, Mode, Node, NodeId, Tape};
use super::AdError;

/// A loss recorded at θ: its value and gradient, and `v ↦ H(θ)·v` for any v.
///
/// ```
/// use ridge_rider::ad::{loss_fn, HessianAt, Var};
/// // f(x, y) = x²y: gradient (2xy, x²), Hessian [[2y, 2x], [2x, 0]].
/// let f = loss_fn(2, |t: Var| t.at(0) * t.at(0) * t.at(1));
/// let h = HessianAt::new(&f, &[3.0, 2.0]).unwrap();
/// assert_eq!(h.value(), 18.0);
/// assert_eq!(h.gradient(), &[12.0, 9.0]);
/// assert_eq!(h.hessian_vector_product(&[1.0, 0.0]).unwrap(), vec![4.0, 6.0]);
/// assert_eq!(h.hessian_vector_product(&[0.0, 1.0]).unwrap(), vec![6.0, 0.0]);
/// ```
pub struct HessianAt {
    nodes: Vec<Node>,
    theta: NodeId,
    output: NodeId,
    /// The primal adjoint of every node, from the one reverse sweep at θ.
    adjoints: Vec<Option<Vec<f64>>>,
    value: f64,
    gradient: Vec<f64>,
    /// Buffers one product gives back for the next (freed with the recording).
    pool: pool::Pool,
}

impl HessianAt {
    /// Record `loss` at θ and run its reverse sweep once.
    pub fn new(loss: &impl Loss, theta: &[f64]) -> Result<HessianAt, AdError> {
        let n = loss.dim();
        check_input("theta", n, theta)?;
        let tape = Tape::new(Mode::Linearize);
        let (t, output) = {
            let theta = tape.parameter(n, 1, theta.to_vec(), None);
            (theta.id(), eval_output(loss, &tape, theta)?)
        };
        let nodes = tape.into_nodes();
        let no_tangents = vec![None; nodes.len()];
        let keep = vec![true; nodes.len()];
        let adjoints = std::mem::take(&mut reverse_sweep(&nodes, &no_tangents, output, 0, &keep, None).primal);
        let value = nodes[output].value[0];
        let gradient = adjoints[t].clone().unwrap_or_else(|| vec![0.0; n]);
        Ok(HessianAt { nodes, theta: t, output, adjoints, value, gradient, pool: pool::Pool::default() })
    }

    /// The number of parameters.
    pub fn dim(&self) -> usize {
        self.gradient.len()
    }

    /// The loss at θ (a NaN computed inside the loss is returned, not hidden).
    pub fn value(&self) -> f64 {
        self.value
    }

    /// ∇L(θ).
    pub fn gradient(&self) -> &[f64] {
        &self.gradient
    }

    /// H(θ)·v.
    pub fn hessian_vector_product(&self, v: &[f64]) -> Result<Vec<f64>, AdError> {
        Ok(self.hessian_vector_products(&[v])?.pop().expect("one lane"))
    }

    /// H(θ)·vₗ for each direction, all in one tangent sweep (one lane per direction).
    pub fn hessian_vector_products(&self, directions: &[&[f64]]) -> Result<Vec<Vec<f64>>, AdError> {
        let n = self.dim();
        for d in directions {
            check_input("direction", n, d)?;
        }
        let lanes = directions.len();
        if lanes == 0 || n == 0 {
            return Ok(vec![Vec::new(); lanes]);
        }
        let seed = |seed: &mut [f64]| seed.chunks_exact_mut(n).zip(directions).for_each(|(s, d)| s.copy_from_slice(d));
        let hv = pool::scoped(&self.pool, || {
            let hv = self.sweep(lanes, seed);
            let out = hv.chunks_exact(n).map(<[f64]>::to_vec).collect();
            pool::give(hv);
            out
        });
        Ok(hv)
    }

    /// H(θ)·e_j for the basis vectors j in `columns`, in one tangent sweep: `len × n`
    /// values, column by column (so, H being symmetric, the rows `columns` of H).
    pub(crate) fn basis_products(&self, columns: std::ops::Range<usize>) -> Vec<f64> {
        let n = self.dim();
        if columns.is_empty() || n == 0 {
            return Vec::new();
        }
        let seed = |seed: &mut [f64]| {
            seed.fill(0.0);
            seed.chunks_exact_mut(n).zip(columns.clone()).for_each(|(s, j)| s[j] = 1.0);
        };
        pool::scoped(&self.pool, || self.sweep(columns.len(), seed))
    }

    /// Elements of all recorded values: what one lane of a sweep costs in memory, twice
    /// over (its tangents forward and its adjoints' tangents back).
    pub(crate) fn elements(&self) -> usize {
        self.nodes.iter().map(Node::len).sum()
    }

    /// The tangent sweep forward and the adjoints' tangents backward for `lanes`
    /// directions (at least one) that `seed` writes into θ's lane-major tangent; the
    /// products come back lane-major, in a buffer of the recording's pool.
    fn sweep(&self, lanes: usize, seed: impl FnOnce(&mut [f64])) -> Vec<f64> {
        let n = self.dim();
        let mut tangents: Vec<Option<Vec<f64>>> = Vec::with_capacity(self.output + 1);
        let mut seed = Some(seed);
        for (id, node) in self.nodes[..=self.output].iter().enumerate() {
            let t = if id == self.theta {
                let mut buffer = pool::scratch(lanes * n);
                if let Some(seed) = seed.take() {
                    seed(&mut buffer);
                }
                Some(buffer)
            } else if node.active {
                Some(ops::tangent(&self.nodes, &tangents, id, lanes))
            } else {
                None
            };
            tangents.push(t);
        }
        let mut keep = vec![false; self.nodes.len()];
        keep[self.theta] = true;
        let mut adj = reverse_sweep(&self.nodes, &tangents, self.output, lanes, &keep, Some(&self.adjoints));
        pool::give_all(&mut tangents);
        let hv = adj.tangent[self.theta].take().unwrap_or_else(|| pool::zeroed(lanes * n));
        drop(adj);
        hv
    }
}
