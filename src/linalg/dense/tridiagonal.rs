//! Blocked Householder reduction to tridiagonal form, T = Qᵀ A Q (the scheme of
//! LAPACK's `dsytrd`/`dlatrd`): a panel of columns is reduced with the trailing matrix
//! left stale and corrected on the fly through V and W, then the trailing matrix takes
//! one rank-2b update A ← A − V Wᵀ − W Vᵀ through gemm.

use super::simd;
use crate::kernels::{axpy, dot, norm, scale};
use crate::linalg::strided::{gemm, View};

/// Columns reduced per panel.
const PANEL: usize = 32;

/// The reduction's result: T's diagonal and off-diagonal, and Q = H₀ H₁ ⋯ H_{n−2} as
/// its reflectors Hⱼ = I − τⱼ vⱼ vⱼᵀ.
pub(super) struct Tridiagonal {
    pub n: usize,
    pub d: Vec<f64>,
    /// `e[j]` couples rows j and j + 1 of T (n − 1 entries).
    pub e: Vec<f64>,
    /// Row j, entries j + 1 .. n, of this row-major n × n buffer hold vⱼ (vⱼ[0] = 1);
    /// vⱼ acts on rows j + 1 .. n.
    pub reflectors: Vec<f64>,
    pub tau: Vec<f64>,
}

/// Reduces the row-major symmetric `a` (both triangles stored) to tridiagonal form.
pub(super) fn tridiagonalize(n: usize, mut a: Vec<f64>) -> Tridiagonal {
    let mut d = vec![0.0; n];
    let mut e = vec![0.0; n.saturating_sub(1)];
    let mut tau = vec![0.0; n.saturating_sub(1)];
    let mut p = 0;
    while p + 1 < n {
        let b = PANEL.min(n - 1 - p);
        reduce_panel(n, &mut a, p, b, &mut d, &mut e, &mut tau);
        p += b;
    }
    d[n - 1] = a[n * n - 1];
    Tridiagonal { n, d, e, reflectors: a, tau }
}

/// Reduces columns p .. p + b and applies their update to the trailing matrix.
fn reduce_panel(n: usize, a: &mut [f64], p: usize, b: usize, d: &mut [f64], e: &mut [f64], tau: &mut [f64]) {
    // V and W are column-major over the global rows p + 1 .. n.
    let rows = n - p - 1;
    let mut v = vec![0.0; rows * b];
    let mut w = vec![0.0; rows * b];
    for t in 0..b {
        let j = p + t;
        // Column j is read from row j (A is symmetric); bring it up to date.
        let lo = j - p; // local index of global row j + 1
        if t > 0 {
            let row = &mut a[j * n + j..(j + 1) * n];
            for s in 0..t {
                let (vs, ws) = (&v[s * rows..(s + 1) * rows], &w[s * rows..(s + 1) * rows]);
                axpy(-ws[lo - 1], &vs[lo - 1..], row);
                axpy(-vs[lo - 1], &ws[lo - 1..], row);
            }
        }
        d[j] = a[j * n + j];
        let x = &mut a[j * n + j + 1..(j + 1) * n];
        let (beta, tj) = householder(x);
        e[j] = beta;
        tau[j] = tj;
        let x = &a[j * n + j + 1..(j + 1) * n];
        v[t * rows + lo..(t + 1) * rows].copy_from_slice(x);
        // w = τ (A − V Wᵀ − W Vᵀ) v over rows j + 1 .. n, then w ← w − (τ/2)(wᵀv) v.
        let mut y = vec![0.0; n - j - 1];
        simd::symv_lower(a, (j + 1) * (n + 1), n, x, &mut y);
        for s in 0..t {
            let (vs, ws) = (&v[s * rows + lo..(s + 1) * rows], &w[s * rows + lo..(s + 1) * rows]);
            axpy(-dot(ws, x), vs, &mut y);
            axpy(-dot(vs, x), ws, &mut y);
        }
        scale(tj, &mut y);
        let alpha = -0.5 * tj * dot(&y, x);
        axpy(alpha, x, &mut y);
        w[t * rows + lo..(t + 1) * rows].copy_from_slice(&y);
    }
    // Trailing update of rows and columns p + b .. n (local rows b − 1 ..).
    let m = n - p - b;
    if m == 0 {
        return;
    }
    let off = (p + b) * n + p + b;
    let (vv, wv) = (View::col_major(m, b, b - 1, rows), View::col_major(m, b, b - 1, rows));
    let trailing = View::row_major(m, m, off, n);
    gemm(-1.0, (&v, vv), (&w, wv.t()), 1.0, (&mut *a, trailing));
    gemm(-1.0, (&w, wv), (&v, vv.t()), 1.0, (a, trailing));
}

/// Overwrites x with v (v[0] = 1) so that (I − τ v vᵀ) x = β e₀; returns (β, τ).
/// τ = 0 (H = I) when x is already a multiple of e₀.
fn householder(x: &mut [f64]) -> (f64, f64) {
    let alpha = x[0];
    let xnorm = norm(&x[1..]);
    if xnorm == 0.0 {
        x[0] = 1.0;
        return (alpha, 0.0);
    }
    let beta = -alpha.signum() * alpha.hypot(xnorm);
    scale(1.0 / (alpha - beta), &mut x[1..]);
    x[0] = 1.0;
    (beta, (beta - alpha) / beta)
}
