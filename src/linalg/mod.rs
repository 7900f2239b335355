//! Linear algebra for Ridge Rider: a linear-operator trait, a dense symmetric
//! eigensolver, and matrix-free Lanczos and power iteration for extreme eigenpairs.
//!
//! ```
//! use ridge_rider::linalg::{lanczos, DenseSymmetric, LanczosParams, Which};
//! let a = DenseSymmetric::from_diagonal(&[3.0, -1.0, 2.0, -5.0]);
//! let r = lanczos(&a, &LanczosParams { k: 2, which: Which::MostNegative, ..Default::default() }).unwrap();
//! assert!((r.values[0] + 5.0).abs() < 1e-10 && (r.values[1] + 1.0).abs() < 1e-10);
//! ```

pub mod dense;
pub mod hessian_operator;
pub mod kernels;
pub mod lanczos;
pub mod npy;
pub mod power;

pub use dense::{symmetric_eigen, DenseSymmetric, SymmetricEigen};
pub use hessian_operator::HessianOperator;
pub use lanczos::{lanczos, LanczosParams};
pub use power::{power_iteration, PowerParams};

use std::fmt;

/// A symmetric linear map `v ↦ A·v` on ℝⁿ, applied without forming A.
pub trait LinearOperator: Sync {
    /// The dimension n.
    fn dim(&self) -> usize;
    /// out ← A·v. Fails if the product cannot be computed or is not finite.
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<(), LinalgError>;
}

/// Which end of the spectrum a solver looks for.
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

impl std::str::FromStr for Which {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "most-negative" | "sa" => Ok(Which::MostNegative),
            "largest" | "la" => Ok(Which::Largest),
            "largest-magnitude" | "lm" => Ok(Which::LargestMagnitude),
            _ => Err(format!("unknown spectrum end '{s}' (expected most-negative, largest or largest-magnitude)")),
        }
    }
}

/// Eigenpairs from an iterative solver, most wanted first.
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
    /// Restarts (Lanczos) or iterations (power).
    pub iterations: usize,
}

impl EigenPairs {
    pub fn all_converged(&self) -> bool {
        self.converged.iter().all(|&c| c)
    }
}

/// What can go wrong in the eigen-solvers.
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
    /// The operator failed for another reason.
    Operator(String),
}

impl fmt::Display for LinalgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinalgError::BadCount { k, n } => write!(f, "asked for {k} eigenpairs of a {n}-dimensional operator"),
            LinalgError::Empty => write!(f, "the operator has dimension 0"),
            LinalgError::Shape { expected, got } => write!(f, "expected {expected} entries, got {got}"),
            LinalgError::NonFinite => write!(f, "the operator produced a non-finite value"),
            LinalgError::NoConvergence { iterations } => write!(f, "no convergence after {iterations} iterations"),
            LinalgError::Operator(e) => write!(f, "operator failed: {e}"),
        }
    }
}

impl std::error::Error for LinalgError {}

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
