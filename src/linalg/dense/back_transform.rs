//! Eigenvectors of T back to eigenvectors of A: Z ← Q Z with Q = H₀ ⋯ H_{n−2}, applied
//! a block of reflectors at a time in compact WY form (H_p ⋯ H_{p+b−1} = I − Y S Yᵀ,
//! S upper triangular, as LAPACK's `dlarft`/`dlarfb`), so the work is two gemms.

use super::tridiagonal::Tridiagonal;
use crate::kernels::dot;
use crate::linalg::strided::{gemm, View};

/// Reflectors per block.
const BLOCK: usize = 64;

/// z (n × n, column-major) ← Q z.
pub(super) fn apply_q(t: &Tridiagonal, z: &mut [f64]) {
    let n = t.n;
    let count = n.saturating_sub(1);
    let starts: Vec<usize> = (0..count).step_by(BLOCK).collect();
    // Q z = H₀(H₁(⋯ z)): the last block acts first.
    for &p in starts.iter().rev() {
        let b = BLOCK.min(count - p);
        let rows = n - p - 1;
        let y = block_vectors(t, p, b, rows);
        let s = triangular_factor(&y, &t.tau[p..p + b], rows);
        let zsub = View::col_major(rows, n, p + 1, n);
        let yv = View::col_major(rows, b, 0, rows);
        let mut w1 = vec![0.0; b * n];
        let mut w2 = vec![0.0; b * n];
        let wv = View::col_major(b, n, 0, b);
        gemm(1.0, (&y, yv.t()), (z, zsub), 0.0, (&mut w1, wv));
        gemm(1.0, (&s, View::col_major(b, b, 0, b)), (&w1, wv), 0.0, (&mut w2, wv));
        gemm(-1.0, (&y, yv), (&w2, wv), 1.0, (z, zsub));
    }
}

/// Y (rows × b, column-major over the global rows p + 1 .. n): column s is v_{p+s},
/// zero above its leading 1.
fn block_vectors(t: &Tridiagonal, p: usize, b: usize, rows: usize) -> Vec<f64> {
    let n = t.n;
    let mut y = vec![0.0; rows * b];
    for s in 0..b {
        let j = p + s;
        y[s * rows + s..(s + 1) * rows].copy_from_slice(&t.reflectors[j * n + j + 1..(j + 1) * n]);
    }
    y
}

/// The upper-triangular S (b × b, column-major) with H_p ⋯ H_{p+b−1} = I − Y S Yᵀ:
/// S[s, s] = τ_s and S[..s, s] = −τ_s S[..s, ..s] Y[:, ..s]ᵀ y_s.
fn triangular_factor(y: &[f64], tau: &[f64], rows: usize) -> Vec<f64> {
    let b = tau.len();
    let mut s = vec![0.0; b * b];
    for c in 0..b {
        let yc = &y[c * rows..(c + 1) * rows];
        // Column r of Y is zero above row r, so the product starts there.
        let u: Vec<f64> = (0..c).map(|r| dot(&y[r * rows + c..(r + 1) * rows], &yc[c..])).collect();
        for r in 0..c {
            let acc: f64 = (r..c).map(|k| s[k * b + r] * u[k]).sum();
            s[c * b + r] = -tau[c] * acc;
        }
        s[c * b + c] = tau[c];
    }
    s
}
