//! Linear algebra for Ridge Rider: a linear-operator trait, a dense symmetric
//! eigensolver, and matrix-free Lanczos and power iteration for extreme eigenpairs.
//!
//! ```
//! use ridge_rider::linalg::{lanczos, DenseSymmetric, LanczosParams, Which};
//! let a = DenseSymmetric::from_diagonal(&[3.0, -1.0, 2.0, -5.0]);
//! let r = lanczos(&a, &LanczosParams { k: 2, which: Which::MostNegative, ..Default::default() }).unwrap();
//! assert!((r.values[0] + 5.0).abs() < 1e-10 && (r.values[1] + 1.0).abs() < 1e-10);
//! ```

mod basis;
mod block;
mod block_lanczos;
pub mod dense;
pub mod density;
pub mod hessian_operator;
pub mod lanczos;
mod mean;
pub mod power;
mod strided;
pub mod trace;
pub mod track;

pub use block::BlockOperator;
pub use dense::{symmetric_eigen, DenseSymmetric, SymmetricEigen};
pub use hessian_operator::HessianOperator;
pub use lanczos::{lanczos, LanczosParams};
pub use mean::MeanOperator;
pub use power::{power_iteration, PowerParams};

use crate::ad::AdError;
use std::fmt;

/// A symmetric linear map `v ↦ A·v` on ℝⁿ, applied without forming A.
///
/// ```
/// use ridge_rider::linalg::{lanczos, LanczosParams, LinalgError, LinearOperator};
/// /// The 1-D discrete Laplacian (2 on the diagonal, −1 beside it), never stored.
/// struct Laplacian(usize);
/// impl LinearOperator for Laplacian {
///     fn dim(&self) -> usize {
///         self.0
///     }
///     fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<(), LinalgError> {
///         let n = self.0;
///         for i in 0..n {
///             let left = if i > 0 { v[i - 1] } else { 0.0 };
///             let right = if i + 1 < n { v[i + 1] } else { 0.0 };
///             out[i] = 2.0 * v[i] - left - right;
///         }
///         Ok(())
///     }
/// }
/// // Its eigenvalues are 2 − 2cos(jπ/(n + 1)), j = 1..n.
/// let r = lanczos(&Laplacian(50), &LanczosParams::default()).unwrap();
/// let smallest = 2.0 - 2.0 * (std::f64::consts::PI / 51.0).cos();
/// assert!(r.converged[0] && (r.values[0] - smallest).abs() < 1e-10);
/// ```
pub trait LinearOperator: Sync {
    /// The dimension n.
    fn dim(&self) -> usize;
    /// out ← A·v. Fails if the product cannot be computed or is not finite.
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<(), LinalgError>;
    /// outᵢ ← A·vᵢ for a block of vectors. The default applies them one by one; an
    /// operator that can share work between them (a Hessian recorded at θ runs the
    /// whole block in one sweep) overrides it.
    ///
    /// ```
    /// use ridge_rider::linalg::{DenseSymmetric, LinearOperator};
    /// let a = DenseSymmetric::from_diagonal(&[2.0, -1.0]);
    /// let mut outs = vec![vec![0.0; 2]; 2];
    /// a.apply_block(&[&[1.0, 1.0], &[0.0, 3.0]], &mut outs).unwrap();
    /// assert_eq!(outs, vec![vec![2.0, -1.0], vec![0.0, -3.0]]);
    /// ```
    fn apply_block(&self, vs: &[&[f64]], outs: &mut [Vec<f64>]) -> Result<(), LinalgError> {
        if vs.len() != outs.len() {
            return Err(LinalgError::Shape { expected: vs.len(), got: outs.len() });
        }
        for (v, out) in vs.iter().zip(outs.iter_mut()) {
            self.apply(v, out)?;
        }
        Ok(())
    }
}

/// Which end of the spectrum a solver looks for (the CLI's `--which` spells them
/// `most-negative`, `largest` and `largest-magnitude`, with ARPACK's `sa`, `la` and
/// `lm` as aliases).
///
/// ```
/// use ridge_rider::linalg::{lanczos, DenseSymmetric, LanczosParams, Which};
/// let a = DenseSymmetric::from_diagonal(&[3.0, -5.0, 4.0]);
/// let end = |which| lanczos(&a, &LanczosParams { k: 1, which, ..Default::default() }).unwrap().values[0];
/// assert!((end(Which::MostNegative) + 5.0).abs() < 1e-12);
/// assert!((end(Which::Largest) - 4.0).abs() < 1e-12);
/// assert!((end(Which::LargestMagnitude) + 5.0).abs() < 1e-12);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// Smallest algebraic eigenvalues (ARPACK's 'SA'): the ridges of Ridge Rider.
    MostNegative,
    /// Largest algebraic ('LA').
    Largest,
    /// Largest in magnitude ('LM').
    LargestMagnitude,
}

impl Which {
    /// Sort key: smaller is more wanted.
    pub(crate) fn key(self, lambda: f64) -> f64 {
        match self {
            Which::MostNegative => lambda,
            Which::Largest => -lambda,
            Which::LargestMagnitude => -lambda.abs(),
        }
    }
}

/// Eigenpairs from an iterative solver, most wanted first.
///
/// ```
/// use ridge_rider::linalg::{lanczos, DenseSymmetric, LanczosParams, Which};
/// let a = DenseSymmetric::from_diagonal(&[1.0, -2.0, 5.0]);
/// let r = lanczos(&a, &LanczosParams { k: 2, which: Which::Largest, ..Default::default() }).unwrap();
/// assert!(r.all_converged() && r.residuals.iter().all(|&x| x < 1e-10));
/// assert!((r.values[0] - 5.0).abs() < 1e-12 && (r.vectors[0][2].abs() - 1.0).abs() < 1e-12);
/// assert!(r.operator_applications <= 3);
/// ```
#[derive(Clone, Debug)]
pub struct EigenPairs {
    pub values: Vec<f64>,
    /// Unit eigenvectors, one per value.
    pub vectors: Vec<Vec<f64>>,
    /// ‖A·v − λ·v‖ for each pair, computed from true operator images.
    pub residuals: Vec<f64>,
    /// Whether each pair met the tolerance.
    pub converged: Vec<bool>,
    /// Number of operator applications (HVPs) used.
    pub operator_applications: usize,
    /// Block applications (one sweep of [`LinearOperator::apply_block`] each); equal to
    /// `operator_applications` for the one-vector solvers.
    pub block_applications: usize,
    /// Restarts (Lanczos) or iterations (power).
    pub iterations: usize,
}

impl EigenPairs {
    /// Whether every pair met the tolerance.
    pub fn all_converged(&self) -> bool {
        self.converged.iter().all(|&c| c)
    }
}

/// What can go wrong in the eigen-solvers.
///
/// ```
/// use ridge_rider::linalg::{lanczos, DenseSymmetric, LanczosParams, LinalgError};
/// let a = DenseSymmetric::from_diagonal(&[1.0, 2.0]);
/// let err = lanczos(&a, &LanczosParams { k: 3, ..Default::default() }).unwrap_err();
/// assert_eq!(err, LinalgError::BadCount { k: 3, n: 2 });
/// assert_eq!(DenseSymmetric::new(2, vec![1.0, f64::NAN, 0.0, 1.0]), Err(LinalgError::NonFinite));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum LinalgError {
    /// Asked for more pairs than the dimension, or none.
    BadCount { k: usize, n: usize },
    /// The matrix or operator has dimension 0.
    Empty,
    /// A matrix of the wrong size.
    Shape { expected: usize, got: usize },
    /// The operator produced NaN or ±∞ (e.g. a non-finite Hessian).
    NonFinite,
    /// A dense iteration did not converge within its limit.
    NoConvergence { iterations: usize },
    /// A solver parameter is out of range (`why` says what it must be).
    InvalidParameter { name: &'static str, why: &'static str },
    /// The Hessian-vector product refused its input (the autodiff's error, also
    /// [`source`](std::error::Error::source)).
    Operator(AdError),
}

impl fmt::Display for LinalgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinalgError::BadCount { k, n } => write!(f, "asked for {k} eigenpairs of a {n}-dimensional operator"),
            LinalgError::Empty => write!(f, "the operator has dimension 0"),
            LinalgError::Shape { expected, got } => write!(f, "expected {expected} entries, got {got}"),
            LinalgError::NonFinite => write!(f, "the operator produced a non-finite value"),
            LinalgError::NoConvergence { iterations } => write!(f, "no convergence after {iterations} iterations"),
            LinalgError::InvalidParameter { name, why } => write!(f, "{name} {why}"),
            LinalgError::Operator(e) => write!(f, "operator failed: {e}"),
        }
    }
}

impl std::error::Error for LinalgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LinalgError::Operator(e) => Some(e),
            _ => None,
        }
    }
}

/// Checks a relative residual tolerance: in (0, 1].
pub(crate) fn check_tolerance(tol: f64) -> Result<(), LinalgError> {
    if tol > 0.0 && tol <= 1.0 {
        Ok(())
    } else {
        Err(LinalgError::InvalidParameter { name: "tol", why: "must lie in (0, 1]" })
    }
}

/// Checks k against n (0 < k ≤ n) for the iterative solvers.
pub(crate) fn check_count(k: usize, n: usize) -> Result<(), LinalgError> {
    if n == 0 {
        return Err(LinalgError::Empty);
    }
    if k == 0 || k > n {
        return Err(LinalgError::BadCount { k, n });
    }
    Ok(())
}
