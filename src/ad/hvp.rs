//! One loss, written once, gives value, gradient, Hessian-vector products and the
//! exact Hessian.
//!
//! ```
//! use ridge_rider::ad::{hessian, hessian_vector_product, gradient, loss_fn, Var};
//! // Rosenbrock: (1 − x)² + 100 (y − x²)².
//! let rosen = loss_fn(2, |t: Var| {
//!     let (x, y) = (t.at(0), t.at(1));
//!     (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
//! });
//! let g = gradient(&rosen, &[1.0, 1.0]).unwrap();
//! assert_eq!(g.gradient, vec![0.0, 0.0]);
//! let h = hessian_vector_product(&rosen, &[1.0, 1.0], &[1.0, 0.0]).unwrap();
//! assert_eq!(h.hv, vec![802.0, -400.0]);
//! let full = hessian(&rosen, &[1.0, 1.0]).unwrap();
//! assert_eq!(full, vec![802.0, -400.0, -400.0, 200.0]);
//! ```

use super::tape::{Mode, Tape, Var};
use super::{pool, AdError};
use rayon::prelude::*;

/// A scalar loss of a parameter vector θ (an n×1 tensor), written once against the tape.
///
/// ```
/// use ridge_rider::ad::{gradient, Loss, Var};
/// /// Least squares ½‖Aθ − b‖² for a fixed 2×2 A and b.
/// struct LeastSquares;
/// impl Loss for LeastSquares {
///     fn dim(&self) -> usize {
///         2
///     }
///     fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
///         let tape = theta.tape();
///         let a = tape.constant(2, 2, vec![2.0, 0.0, 0.0, 1.0]);
///         let b = tape.constant(2, 1, vec![2.0, 3.0]);
///         let r = a.matmul(theta) - b;
///         0.5 * r.dot(r)
///     }
/// }
/// // ∇ = Aᵀ(Aθ − b) vanishes at θ = (1, 3).
/// assert_eq!(gradient(&LeastSquares, &[1.0, 3.0]).unwrap().gradient, vec![0.0, 0.0]);
/// ```
pub trait Loss: Sync {
    /// The number of parameters.
    fn dim(&self) -> usize;
    /// Build the loss on θ's tape and return the 1×1 result.
    fn eval<'t>(&self, theta: Var<'t>) -> Var<'t>;
    /// A name for the solution at θ (e.g. the leaf a policy reaches), which Ridge Rider
    /// reports and uses to tell solutions apart; `None` by default.
    ///
    /// ```
    /// use ridge_rider::ad::{loss_fn, Loss, Var};
    /// /// A double well whose two minima are named by their sign.
    /// struct Wells;
    /// impl Loss for Wells {
    ///     fn dim(&self) -> usize {
    ///         1
    ///     }
    ///     fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
    ///         (theta * theta - 1.0).powi(2).sum()
    ///     }
    ///     fn label(&self, theta: &[f64]) -> Option<String> {
    ///         Some(if theta[0] < 0.0 { "left" } else { "right" }.to_string())
    ///     }
    /// }
    /// assert_eq!(Wells.label(&[-1.0]).as_deref(), Some("left"));
    /// assert_eq!(loss_fn(1, |t: Var| t.sum()).label(&[0.0]), None);
    /// ```
    fn label(&self, _theta: &[f64]) -> Option<String> {
        None
    }
    /// The named blocks of θ (a network's layers), for per-block Hessian analysis;
    /// by default one block, all of θ.
    ///
    /// ```
    /// use ridge_rider::ad::{loss_fn, Loss, Var};
    /// let f = loss_fn(3, |t: Var| t.sum());
    /// let b = f.blocks();
    /// assert_eq!((b.len(), b[0].range.clone()), (1, 0..3));
    /// ```
    fn blocks(&self) -> Vec<ParamBlock> {
        vec![ParamBlock { name: "theta".into(), range: 0..self.dim() }]
    }
}

/// A named range of θ's coordinates (see [`Loss::blocks`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamBlock {
    pub name: String,
    pub range: std::ops::Range<usize>,
}

/// A [`Loss`] from a closure.
pub struct FnLoss<F> {
    dim: usize,
    f: F,
}

/// Wrap a closure `θ ↦ loss` of `dim` parameters as a [`Loss`].
///
/// ```
/// use ridge_rider::ad::{value, loss_fn, Var};
/// let norm_squared = loss_fn(3, |t: Var| t.dot(t));
/// assert_eq!(value(&norm_squared, &[1.0, 2.0, 2.0]).unwrap(), 9.0);
/// ```
pub fn loss_fn<F>(dim: usize, f: F) -> FnLoss<F>
where
    F: for<'t> Fn(Var<'t>) -> Var<'t> + Sync,
{
    FnLoss { dim, f }
}

impl<F> Loss for FnLoss<F>
where
    F: for<'t> Fn(Var<'t>) -> Var<'t> + Sync,
{
    fn dim(&self) -> usize {
        self.dim
    }
    fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
        (self.f)(theta)
    }
}

impl<L: Loss + ?Sized> Loss for &L {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
        (**self).eval(theta)
    }
    fn label(&self, theta: &[f64]) -> Option<String> {
        (**self).label(theta)
    }
}

/// Value and gradient at θ.
#[derive(Clone, Debug)]
pub struct ValueGrad {
    pub value: f64,
    pub gradient: Vec<f64>,
}

/// Value, gradient and a Hessian-vector product per direction at θ.
#[derive(Clone, Debug)]
pub struct Hvps {
    pub value: f64,
    pub gradient: Vec<f64>,
    /// H·vₗ, in the order of the directions.
    pub hvs: Vec<Vec<f64>>,
}

/// Value, gradient and one Hessian-vector product at θ.
#[derive(Clone, Debug)]
pub struct Hvp {
    pub value: f64,
    pub gradient: Vec<f64>,
    pub hv: Vec<f64>,
}

/// Checks θ (and directions) before any work: right length, all finite.
pub(crate) fn check_input(what: &'static str, expected: usize, x: &[f64]) -> Result<(), AdError> {
    if x.len() != expected {
        return Err(AdError::DimensionMismatch { what, expected, got: x.len() });
    }
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(AdError::NonFiniteInput { what, index }),
        None => Ok(()),
    }
}

pub(crate) fn eval_output(loss: &impl Loss, tape: &Tape, theta: Var<'_>) -> Result<usize, AdError> {
    let out = loss.eval(theta);
    if !std::ptr::eq(out.tape(), tape) || out.len() != 1 {
        return Err(AdError::NotScalar { shape: out.shape() });
    }
    Ok(out.id())
}

/// The loss at θ (a NaN computed inside the loss is returned, not hidden).
///
/// ```
/// use ridge_rider::ad::{value, loss_fn, AdError, Var};
/// let log = loss_fn(1, |t: Var| t.ln().sum());
/// assert_eq!(value(&log, &[1.0]).unwrap(), 0.0);
/// assert!(value(&log, &[-1.0]).unwrap().is_nan());
/// // Bad input is an error, not a panic.
/// assert!(matches!(value(&log, &[1.0, 2.0]), Err(AdError::DimensionMismatch { .. })));
/// assert!(matches!(value(&log, &[f64::NAN]), Err(AdError::NonFiniteInput { .. })));
/// ```
pub fn value(loss: &impl Loss, theta: &[f64]) -> Result<f64, AdError> {
    check_input("theta", loss.dim(), theta)?;
    pool::fresh(|| value_checked(loss, theta))
}

fn value_checked(loss: &impl Loss, theta: &[f64]) -> Result<f64, AdError> {
    let tape = Tape::new(Mode::Value);
    let t = tape.parameter(theta.len(), 1, theta.to_vec(), None);
    let id = eval_output(loss, &tape, t)?;
    let v = tape.nodes.borrow()[id].value[0];
    Ok(v)
}

/// Value and gradient by one reverse sweep.
///
/// ```
/// use ridge_rider::ad::{gradient, loss_fn, Var};
/// // L(x, y) = x²y: ∇L = (2xy, x²).
/// let f = loss_fn(2, |t: Var| t.at(0) * t.at(0) * t.at(1));
/// let g = gradient(&f, &[3.0, 2.0]).unwrap();
/// assert_eq!((g.value, g.gradient), (18.0, vec![12.0, 9.0]));
/// ```
pub fn gradient(loss: &impl Loss, theta: &[f64]) -> Result<ValueGrad, AdError> {
    check_input("theta", loss.dim(), theta)?;
    pool::fresh(|| gradient_checked(loss, theta))
}

fn gradient_checked(loss: &impl Loss, theta: &[f64]) -> Result<ValueGrad, AdError> {
    let tape = Tape::new(Mode::Gradient);
    let t = tape.parameter(theta.len(), 1, theta.to_vec(), None);
    let id = eval_output(loss, &tape, t)?;
    let out = Var { tape: &tape, id };
    let adj = tape.backward(out, &[t]).pop().expect("one adjoint");
    Ok(ValueGrad { value: out.item(), gradient: adj.gradient })
}

/// Value, gradient and `H·vₗ` for each direction, in one forward-over-reverse sweep
/// carrying `directions.len()` tangent lanes.
///
/// ```
/// use ridge_rider::ad::{hessian_vector_products, loss_fn, Var};
/// // L(x, y) = x²y: H = [[2y, 2x], [2x, 0]].
/// let f = loss_fn(2, |t: Var| t.at(0) * t.at(0) * t.at(1));
/// let h = hessian_vector_products(&f, &[3.0, 2.0], &[&[1.0, 0.0], &[0.0, 1.0]]).unwrap();
/// assert_eq!(h.gradient, vec![12.0, 9.0]);
/// assert_eq!(h.hvs, vec![vec![4.0, 6.0], vec![6.0, 0.0]]);
/// ```
pub fn hessian_vector_products(loss: &impl Loss, theta: &[f64], directions: &[&[f64]]) -> Result<Hvps, AdError> {
    let n = loss.dim();
    check_input("theta", n, theta)?;
    for d in directions {
        check_input("direction", n, d)?;
    }
    pool::fresh(|| hvps_checked(loss, theta, directions))
}

fn hvps_checked(loss: &impl Loss, theta: &[f64], directions: &[&[f64]]) -> Result<Hvps, AdError> {
    let (n, lanes) = (theta.len(), directions.len().max(1));
    // The seed becomes the parameter's tangent, which the tape gives back to the pool.
    let mut seed = pool::zeroed(lanes * n);
    for (l, d) in directions.iter().enumerate() {
        seed[l * n..(l + 1) * n].copy_from_slice(d);
    }
    let tape = Tape::new(Mode::Tangent(lanes));
    let t = tape.parameter(n, 1, theta.to_vec(), Some(seed));
    let id = eval_output(loss, &tape, t)?;
    let out = Var { tape: &tape, id };
    let adj = tape.backward(out, &[t]).pop().expect("one adjoint");
    let ht = adj.gradient_tangent.expect("tangent mode");
    let hvs = (0..directions.len()).map(|l| ht[l * n..(l + 1) * n].to_vec()).collect();
    Ok(Hvps { value: out.item(), gradient: adj.gradient, hvs })
}

/// Value, gradient and H·v by forward-over-reverse. The gradient comes for free.
///
/// ```
/// use ridge_rider::ad::{hessian_vector_product, loss_fn, Var};
/// // L(θ) = ⅓Σθᵢ³: H = diag(2θ), so H·v = 2θ⊙v.
/// let f = loss_fn(3, |t: Var| (t * t * t).sum() / 3.0);
/// let h = hessian_vector_product(&f, &[1.0, -2.0, 0.5], &[1.0, 1.0, 2.0]).unwrap();
/// assert_eq!(h.hv, vec![2.0, -4.0, 2.0]);
/// ```
pub fn hessian_vector_product(loss: &impl Loss, theta: &[f64], v: &[f64]) -> Result<Hvp, AdError> {
    let Hvps { value, gradient, mut hvs } = hessian_vector_products(loss, theta, &[v])?;
    Ok(Hvp { value, gradient, hv: hvs.pop().expect("one lane") })
}

/// Free the buffers this thread keeps between calls of [`value`], [`gradient`] and
/// [`hessian_vector_products`]. Each call builds and drops a whole tape; the thread
/// keeps its buffers (up to 128 MiB) so that the next call does not map fresh pages,
/// which would cost as much as its arithmetic on a large batch.
///
/// ```
/// use ridge_rider::ad::{gradient, loss_fn, release_cached_buffers, Var};
/// let f = loss_fn(10_000, |t: Var| (t * t).sum());
/// let theta = vec![1.0; 10_000];
/// let first = gradient(&f, &theta).unwrap();
/// release_cached_buffers();
/// assert_eq!(gradient(&f, &theta).unwrap().gradient, first.gradient);
/// ```
pub fn release_cached_buffers() {
    pool::release_fresh();
}

/// Basis columns per group when building a dense Hessian: products that join lanes
/// into one gemm choose its kernel per group of this many lanes, so a sweep of any
/// width computes each column as a sweep of its group alone would.
pub const HESSIAN_LANES: usize = 8;

/// Tangent elements a sweep of [`hessian`] may hold at once (32 MiB per buffer set):
/// lanes beyond it go to further sweeps.
const SWEEP_ELEMENTS: usize = 1 << 22;

/// The exact n×n Hessian (row-major) from HVPs with basis vectors: the loss is
/// recorded once ([`HessianAt`](super::HessianAt)), then all n columns in as few
/// tangent sweeps as memory allows and the threads can share (one per thread, in
/// parallel with rayon), each over whole groups of [`HESSIAN_LANES`] columns. Each
/// column is computed by the same arithmetic whatever the thread count, so the result
/// is deterministic.
///
/// ```
/// use ridge_rider::ad::{hessian, loss_fn, Var};
/// // L(x, y) = x²y: H = [[2y, 2x], [2x, 0]], row-major.
/// let f = loss_fn(2, |t: Var| t.at(0) * t.at(0) * t.at(1));
/// assert_eq!(hessian(&f, &[3.0, 2.0]).unwrap(), vec![4.0, 6.0, 6.0, 0.0]);
/// ```
pub fn hessian(loss: &impl Loss, theta: &[f64]) -> Result<Vec<f64>, AdError> {
    let recorded = super::HessianAt::new(loss, theta)?;
    let n = recorded.dim();
    let groups = n.div_ceil(HESSIAN_LANES);
    let per_sweep = (SWEEP_ELEMENTS / (2 * recorded.elements().max(1) * HESSIAN_LANES)).max(1);
    let sweeps = groups.div_ceil(per_sweep).max(groups.min(rayon::current_num_threads())).max(1);
    let starts: Vec<usize> = (0..=sweeps).map(|s| (s * groups / sweeps * HESSIAN_LANES).min(n)).collect();
    let blocks: Vec<(usize, Vec<f64>)> =
        starts.par_windows(2).map(|w| (w[0], recorded.basis_products(w[0]..w[1]))).collect();
    // Column j is H·e_j; H is symmetric, but fill it as columns to stay exact.
    let mut h = vec![0.0; n * n];
    for (start, cols) in blocks {
        for (c, col) in cols.chunks_exact(n.max(1)).enumerate() {
            let j = start + c;
            for i in 0..n {
                h[i * n + j] = col[i];
            }
        }
    }
    Ok(h)
}
