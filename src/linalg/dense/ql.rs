//! The implicit QL algorithm with Wilkinson-type shifts on a symmetric tridiagonal
//! (EISPACK's `tql2`): the reference path's second half and the leaves of divide and
//! conquer, where its O(m³) vector work is small.

use super::MAX_QL_ITERATIONS;
use crate::linalg::LinalgError;

/// Eigenpairs of the tridiagonal with diagonal `d` and off-diagonal `e` (m − 1
/// entries): `d` becomes the ascending eigenvalues, `q` (m × m, column-major) the
/// matching eigenvectors as its columns.
pub(super) fn tridiagonal_ql(d: &mut [f64], e: &[f64], q: &mut [f64]) -> Result<(), LinalgError> {
    let m = d.len();
    let mut ee = e.to_vec();
    ee.push(0.0);
    let mut z = vec![0.0; m * m];
    for i in 0..m {
        z[i * m + i] = 1.0;
    }
    ql_implicit(m, d, &mut ee, &mut z)?;
    let order = ascending(d);
    let sorted: Vec<f64> = order.iter().map(|&i| d[i]).collect();
    d.copy_from_slice(&sorted);
    for (dst, &src) in q.chunks_exact_mut(m).zip(&order) {
        dst.copy_from_slice(&z[src * m..(src + 1) * m]);
    }
    Ok(())
}

/// The permutation that sorts `d` ascending.
pub(super) fn ascending(d: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..d.len()).collect();
    order.sort_by(|&i, &j| d[i].total_cmp(&d[j]));
    order
}

/// Implicit QL on the tridiagonal (d, e), `e[i]` coupling rows i and i + 1 (`e[n − 1]`
/// is scratch). `z` holds eigenvectors as rows: rotations then run over contiguous
/// memory. Eigenvalues come out unsorted.
pub(super) fn ql_implicit(n: usize, d: &mut [f64], e: &mut [f64], z: &mut [f64]) -> Result<(), LinalgError> {
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
