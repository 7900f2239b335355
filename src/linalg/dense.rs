//! Dense symmetric eigendecomposition: Householder reduction to tridiagonal form,
//! then the implicit QL algorithm with Wilkinson-type shifts (the EISPACK `tred2` /
//! `tql2` pair, as in JAMA). Eigenvalues ascending, orthonormal eigenvectors, and an
//! iteration limit that returns an error instead of looping forever.

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
            *o = super::kernels::dot(&self.data[i * self.n..(i + 1) * self.n], v);
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
    if n == 0 {
        return Err(LinalgError::Empty);
    }
    let mut v = a.data.clone();
    let mut d = vec![0.0; n];
    let mut e = vec![0.0; n];
    tridiagonalize(n, &mut v, &mut d, &mut e);
    // `tridiagonalize` stores the transform transposed: eigenvectors come out as rows.
    let mut z = v;
    ql_implicit(n, &mut d, &mut e, &mut z)?;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| d[i].total_cmp(&d[j]));
    Ok(SymmetricEigen {
        values: order.iter().map(|&i| d[i]).collect(),
        vectors: order.iter().map(|&i| z[i * n..(i + 1) * n].to_vec()).collect(),
    })
}

/// Householder reduction: on return `v` holds the orthogonal transform with its
/// columns stored as rows, `d` the diagonal and `e[1..]` the sub-diagonal. The
/// algorithm is EISPACK's, addressed through the transpose (`at(i, j)` is element
/// (j, i)) so that its column loops run over contiguous memory; A is symmetric, so
/// the input needs no transposition.
fn tridiagonalize(n: usize, v: &mut [f64], d: &mut [f64], e: &mut [f64]) {
    let at = |i: usize, j: usize| j * n + i;
    for j in 0..n {
        d[j] = v[at(n - 1, j)];
    }
    for i in (1..n).rev() {
        let scale: f64 = d[..i].iter().map(|x| x.abs()).sum();
        let mut h = 0.0;
        if scale == 0.0 {
            e[i] = d[i - 1];
            for j in 0..i {
                d[j] = v[at(i - 1, j)];
                v[at(i, j)] = 0.0;
                v[at(j, i)] = 0.0;
            }
        } else {
            for dk in d[..i].iter_mut() {
                *dk /= scale;
                h += *dk * *dk;
            }
            let f = d[i - 1];
            let mut g = h.sqrt();
            if f > 0.0 {
                g = -g;
            }
            e[i] = scale * g;
            h -= f * g;
            d[i - 1] = f - g;
            e[..i].fill(0.0);
            for j in 0..i {
                let f = d[j];
                v[at(j, i)] = f;
                let mut g = e[j] + v[at(j, j)] * f;
                for k in j + 1..i {
                    g += v[at(k, j)] * d[k];
                    e[k] += v[at(k, j)] * f;
                }
                e[j] = g;
            }
            let mut f = 0.0;
            for j in 0..i {
                e[j] /= h;
                f += e[j] * d[j];
            }
            let hh = f / (h + h);
            for j in 0..i {
                e[j] -= hh * d[j];
            }
            for j in 0..i {
                let (f, g) = (d[j], e[j]);
                for k in j..i {
                    v[at(k, j)] -= f * e[k] + g * d[k];
                }
                d[j] = v[at(i - 1, j)];
                v[at(i, j)] = 0.0;
            }
        }
        d[i] = h;
    }
    // Accumulate the transformations.
    for i in 0..n - 1 {
        v[at(n - 1, i)] = v[at(i, i)];
        v[at(i, i)] = 1.0;
        let h = d[i + 1];
        if h != 0.0 {
            for k in 0..=i {
                d[k] = v[at(k, i + 1)] / h;
            }
            for j in 0..=i {
                let mut g = 0.0;
                for k in 0..=i {
                    g += v[at(k, i + 1)] * v[at(k, j)];
                }
                for k in 0..=i {
                    v[at(k, j)] -= g * d[k];
                }
            }
        }
        for k in 0..=i {
            v[at(k, i + 1)] = 0.0;
        }
    }
    for j in 0..n {
        d[j] = v[at(n - 1, j)];
        v[at(n - 1, j)] = 0.0;
    }
    v[at(n - 1, n - 1)] = 1.0;
    e[0] = 0.0;
}

/// Implicit QL on the tridiagonal (d, e); `z` holds eigenvectors as rows.
fn ql_implicit(n: usize, d: &mut [f64], e: &mut [f64], z: &mut [f64]) -> Result<(), LinalgError> {
    for i in 1..n {
        e[i - 1] = e[i];
    }
    e[n - 1] = 0.0;
    let mut f = 0.0;
    let mut tst1: f64 = 0.0;
    let eps = f64::EPSILON;
    for l in 0..n {
        tst1 = tst1.max(d[l].abs() + e[l].abs());
        let mut m = l;
        while m < n - 1 && e[m].abs() > eps * tst1 {
            m += 1;
        }
        if m > l {
            let mut iterations = 0;
            loop {
                iterations += 1;
                if iterations > MAX_QL_ITERATIONS {
                    return Err(LinalgError::NoConvergence { iterations });
                }
                let g = d[l];
                let mut p = (d[l + 1] - g) / (2.0 * e[l]);
                let mut r = p.hypot(1.0);
                if p < 0.0 {
                    r = -r;
                }
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                let dl1 = d[l + 1];
                let h = g - d[l];
                for di in d[l + 2..].iter_mut() {
                    *di -= h;
                }
                f += h;
                p = d[m];
                let (mut c, mut c2, mut c3) = (1.0, 1.0, 1.0);
                let el1 = e[l + 1];
                let (mut s, mut s2) = (0.0, 0.0);
                for i in (l..m).rev() {
                    c3 = c2;
                    c2 = c;
                    s2 = s;
                    let g = c * e[i];
                    let h = c * p;
                    r = p.hypot(e[i]);
                    e[i + 1] = s * r;
                    s = e[i] / r;
                    c = p / r;
                    p = c * d[i] - s * g;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    let (lo, hi) = z.split_at_mut((i + 1) * n);
                    let (zi, zi1) = (&mut lo[i * n..], &mut hi[..n]);
                    for k in 0..n {
                        let h = zi1[k];
                        zi1[k] = s * zi[k] + c * h;
                        zi[k] = c * zi[k] - s * h;
                    }
                }
                p = -s * s2 * c3 * el1 * e[l] / dl1;
                e[l] = s * p;
                d[l] = c * p;
                if e[l].abs() <= eps * tst1 {
                    break;
                }
            }
        }
        d[l] += f;
        e[l] = 0.0;
    }
    if d.iter().any(|x| !x.is_finite()) {
        return Err(LinalgError::NonFinite);
    }
    Ok(())
}
