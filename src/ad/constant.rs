//! Data that a loss reads in every recording: a row-major matrix shared between tapes
//! (never copied per evaluation), whose storage, dense or sparse, is chosen once.

use super::sparse::{choose, Csr, Storage};
use super::AdError;
use std::sync::Arc;

/// A constant matrix for [`Tape::data`](super::Tape::data): cheap to clone (its buffers
/// are shared), checked once, and stored sparse when most entries are zero, so that its
/// products skip them in every sweep.
///
/// ```
/// use ridge_rider::ad::{gradient, loss_fn, Constant, Var};
/// // ½‖Xθ‖² with a mostly-zero X, captured once and shared by every evaluation.
/// let mut x = vec![0.0; 200 * 100];
/// (0..200).for_each(|i| x[i * 100 + i % 100] = 1.0 + i as f64);
/// let x = Constant::new(200, 100, x).unwrap();
/// assert!(x.is_sparse());
/// let f = loss_fn(100, move |t: Var| {
///     let r = t.tape().data(&x).matmul(t);
///     0.5 * r.dot(r)
/// });
/// let g = gradient(&f, &vec![1.0; 100]).unwrap();
/// // ∇ = XᵀXθ: column j holds rows j and j + 100, of values j + 1 and j + 101.
/// assert_eq!(g.gradient[3], 4.0 * 4.0 + 104.0 * 104.0);
/// ```
#[derive(Clone, Debug)]
pub struct Constant {
    rows: usize,
    cols: usize,
    values: Arc<Vec<f64>>,
    sparse: Option<Arc<Csr>>,
}

impl Constant {
    /// A `rows × cols` matrix, stored as [`Storage::Auto`] decides.
    pub fn new(rows: usize, cols: usize, values: impl Into<Arc<Vec<f64>>>) -> Result<Constant, AdError> {
        Constant::with_storage(rows, cols, values, Storage::Auto)
    }

    /// A `rows × cols` matrix with the storage forced (or [`Storage::Auto`]).
    pub fn with_storage(
        rows: usize,
        cols: usize,
        values: impl Into<Arc<Vec<f64>>>,
        storage: Storage,
    ) -> Result<Constant, AdError> {
        let values = values.into();
        let expected = rows.saturating_mul(cols);
        if values.len() != expected {
            return Err(AdError::DimensionMismatch { what: "constant", expected, got: values.len() });
        }
        let sparse = choose(rows, cols, &values, storage);
        Ok(Constant { rows, cols, values, sparse })
    }

    /// (rows, cols).
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The entries, row-major.
    pub fn values(&self) -> &Arc<Vec<f64>> {
        &self.values
    }

    /// Whether products with it run sparse.
    pub fn is_sparse(&self) -> bool {
        self.sparse.is_some()
    }

    pub(crate) fn sparse(&self) -> Option<&Arc<Csr>> {
        self.sparse.as_ref()
    }
}
