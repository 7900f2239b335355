//! The unblocked EISPACK path (`tred2` then `tql2`, as in JAMA): slower than the
//! blocked solver at every size past a few dozen, kept as its independent reference.

use super::ql::{ascending, ql_implicit};
use super::{DenseSymmetric, SymmetricEigen};
use crate::linalg::LinalgError;

/// The eigendecomposition by the unblocked reference path, which
/// [`symmetric_eigen`](super::symmetric_eigen) is tested against.
///
/// ```
/// use ridge_rider::linalg::dense::symmetric_eigen_reference;
/// use ridge_rider::linalg::{symmetric_eigen, DenseSymmetric};
/// let a = DenseSymmetric::new(3, vec![2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0]).unwrap();
/// let (old, new) = (symmetric_eigen_reference(&a).unwrap(), symmetric_eigen(&a).unwrap());
/// assert!(old.values.iter().zip(&new.values).all(|(x, y)| (x - y).abs() < 1e-14));
/// ```
pub fn symmetric_eigen_reference(a: &DenseSymmetric) -> Result<SymmetricEigen, LinalgError> {
    let n = a.n();
    if n == 0 {
        return Err(LinalgError::Empty);
    }
    let mut v = a.data().to_vec();
    let mut d = vec![0.0; n];
    let mut e = vec![0.0; n];
    tridiagonalize(n, &mut v, &mut d, &mut e);
    // `tridiagonalize` leaves e[i] coupling rows i − 1 and i; QL wants i and i + 1.
    e.rotate_left(1);
    // `tridiagonalize` stores the transform transposed: eigenvectors come out as rows.
    let mut z = v;
    ql_implicit(n, &mut d, &mut e, &mut z)?;
    let order = ascending(&d);
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
