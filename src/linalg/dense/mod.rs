//! Dense symmetric eigendecomposition: blocked Householder reduction to tridiagonal
//! form, divide and conquer on the tridiagonal, and a blocked back-transformation, so
//! that most of the work runs in gemm. Eigenvalues ascending, orthonormal
//! eigenvectors, and iteration limits that return an error instead of looping forever.
//! The unblocked EISPACK path stays as [`symmetric_eigen_reference`].

mod back_transform;
mod divide_conquer;
mod ql;
mod reference;
mod secular;
mod simd;
mod tridiagonal;

pub use reference::symmetric_eigen_reference;

use super::{LinalgError, LinearOperator};

/// A dense symmetric matrix, row-major.
///
/// ```
/// use ridge_rider::linalg::{DenseSymmetric, LinearOperator};
/// // The rounding asymmetry of a Hessian built column by column is averaged away.
/// let a = DenseSymmetric::new(2, vec![1.0, 2.0, 2.000001, 3.0]).unwrap();
/// assert_eq!(a.get(0, 1), a.get(1, 0));
/// let mut out = [0.0; 2];
/// a.apply(&[1.0, 0.0], &mut out).unwrap();
/// assert_eq!(out[0], 1.0);
/// assert_eq!(DenseSymmetric::from_diagonal(&[3.0, 4.0]).frobenius_norm(), 5.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DenseSymmetric {
    n: usize,
    data: Vec<f64>,
}

impl DenseSymmetric {
    /// From a row-major n×n buffer; the matrix is symmetrised as (A + Aᵀ)/2, which
    /// absorbs the rounding asymmetry of a Hessian built column by column.
    pub fn new(n: usize, data: Vec<f64>) -> Result<Self, LinalgError> {
        if data.len() != n * n {
            return Err(LinalgError::Shape { expected: n * n, got: data.len() });
        }
        if data.iter().any(|v| !v.is_finite()) {
            return Err(LinalgError::NonFinite);
        }
        let mut m = DenseSymmetric { n, data };
        for i in 0..n {
            for j in 0..i {
                let s = 0.5 * (m.data[i * n + j] + m.data[j * n + i]);
                m.data[i * n + j] = s;
                m.data[j * n + i] = s;
            }
        }
        Ok(m)
    }
    /// The matrix of an operator, column by column from the images of the unit
    /// vectors, `block` of them per [`LinearOperator::apply_block`] (n products and
    /// n²·8 bytes: for small operators, such as a layer's bias block, whose spectrum
    /// is then exact).
    ///
    /// ```
    /// use ridge_rider::linalg::{BlockOperator, DenseSymmetric};
    /// let a = DenseSymmetric::new(3, vec![1.0, 2.0, 0.0, 2.0, 5.0, 7.0, 0.0, 7.0, 9.0]).unwrap();
    /// let block = DenseSymmetric::from_operator(&BlockOperator::new(&a, 1..3).unwrap(), 8).unwrap();
    /// assert_eq!(block.data(), [5.0, 7.0, 7.0, 9.0]);
    /// ```
    pub fn from_operator(op: &impl LinearOperator, block: usize) -> Result<Self, LinalgError> {
        let n = op.dim();
        if block == 0 {
            return Err(LinalgError::InvalidParameter { name: "block", why: "must be at least 1" });
        }
        let len = n.checked_mul(n).filter(|l| *l <= isize::MAX as usize / 8);
        let mut data =
            vec![0.0; len.ok_or(LinalgError::InvalidParameter { name: "op", why: "is too large to store densely" })?];
        for first in (0..n).step_by(block) {
            let cols: Vec<Vec<f64>> = (first..n.min(first + block))
                .map(|j| {
                    let mut e = vec![0.0; n];
                    e[j] = 1.0;
                    e
                })
                .collect();
            let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
            let mut images = vec![vec![0.0; n]; cols.len()];
            op.apply_block(&refs, &mut images)?;
            for (c, image) in images.iter().enumerate() {
                for (i, v) in image.iter().enumerate() {
                    data[i * n + first + c] = *v;
                }
            }
        }
        DenseSymmetric::new(n, data)
    }
    /// The diagonal matrix diag(d).
    pub fn from_diagonal(d: &[f64]) -> Self {
        let n = d.len();
        let mut data = vec![0.0; n * n];
        for (i, v) in d.iter().enumerate() {
            data[i * n + i] = *v;
        }
        DenseSymmetric { n, data }
    }
    /// The dimension n.
    pub fn n(&self) -> usize {
        self.n
    }
    /// The entry A[i, j].
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.n + j]
    }
    /// The row-major entries.
    pub fn data(&self) -> &[f64] {
        &self.data
    }
    /// Frobenius norm, a bound on the spectral norm.
    pub fn frobenius_norm(&self) -> f64 {
        self.data.iter().map(|v| v * v).sum::<f64>().sqrt()
    }
}

impl LinearOperator for DenseSymmetric {
    fn dim(&self) -> usize {
        self.n
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<(), LinalgError> {
        if v.len() != self.n || out.len() != self.n {
            return Err(LinalgError::Shape { expected: self.n, got: v.len() });
        }
        for (i, o) in out.iter_mut().enumerate() {
            *o = crate::kernels::dot(&self.data[i * self.n..(i + 1) * self.n], v);
        }
        Ok(())
    }
}

/// A full eigendecomposition: A = Σ λᵢ vᵢ vᵢᵀ.
///
/// ```
/// use ridge_rider::linalg::{symmetric_eigen, DenseSymmetric};
/// let a = DenseSymmetric::new(2, vec![0.0, 1.0, 1.0, 0.0]).unwrap();
/// let e = symmetric_eigen(&a).unwrap();
/// assert_eq!(e.values.len(), 2);
/// assert!((e.values[0] + 1.0).abs() < 1e-15 && (e.values[1] - 1.0).abs() < 1e-15);
/// // A = Σ λᵢ vᵢ vᵢᵀ: entry (0, 1).
/// let a01: f64 = (0..2).map(|i| e.values[i] * e.vectors[i][0] * e.vectors[i][1]).sum();
/// assert!((a01 - 1.0).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct SymmetricEigen {
    /// Ascending.
    pub values: Vec<f64>,
    /// Unit eigenvectors, `vectors[i]` for `values[i]`.
    pub vectors: Vec<Vec<f64>>,
}

/// At and below this size the unblocked path is faster (by the dense-eigen
/// benchmark), so it is used there.
const SMALL: usize = 32;

/// QL sweeps allowed per eigenvalue before giving up (EISPACK uses 30).
pub const MAX_QL_ITERATIONS: usize = 60;

/// The eigendecomposition of a dense symmetric matrix.
///
/// ```
/// use ridge_rider::linalg::{symmetric_eigen, DenseSymmetric};
/// let a = DenseSymmetric::new(2, vec![2.0, 1.0, 1.0, 2.0]).unwrap();
/// let e = symmetric_eigen(&a).unwrap();
/// assert!((e.values[0] - 1.0).abs() < 1e-14 && (e.values[1] - 3.0).abs() < 1e-14);
/// ```
pub fn symmetric_eigen(a: &DenseSymmetric) -> Result<SymmetricEigen, LinalgError> {
    let n = a.n;
    if n <= SMALL {
        return symmetric_eigen_reference(a);
    }
    let t = tridiagonal::tridiagonalize(n, a.data.clone());
    let mut values = t.d.clone();
    let mut z = vec![0.0; n * n];
    divide_conquer::tridiagonal_eigen(&mut values, &t.e, &mut z)?;
    if values.iter().any(|x| !x.is_finite()) {
        return Err(LinalgError::NonFinite);
    }
    back_transform::apply_q(&t, &mut z);
    Ok(SymmetricEigen { values, vectors: z.chunks_exact(n).map(<[f64]>::to_vec).collect() })
}
