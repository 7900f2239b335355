//! Cuppen's divide and conquer on a symmetric tridiagonal (the scheme of LAPACK's
//! `dstedc`): split T into two halves plus a rank-one tie, solve the halves, and merge
//! through the secular equation after deflating what needs no merge. The merge's
//! vectors are one gemm per half, which is where nearly all the work goes.

use super::ql::{ascending, tridiagonal_ql};
use super::secular::rank_one_eigen;
use crate::linalg::strided::{gemm, View};
use crate::linalg::LinalgError;

/// Subproblems this small go to implicit QL.
pub(super) const LEAF: usize = 32;

/// Eigenpairs of the tridiagonal (d, e), e with m − 1 entries: `d` becomes the
/// ascending eigenvalues, `q` (m × m, column-major) their eigenvectors.
pub(super) fn tridiagonal_eigen(d: &mut [f64], e: &[f64], q: &mut [f64]) -> Result<(), LinalgError> {
    // Work at unit scale, so that the deflation tolerances mean the same at any scale.
    let scale = d.iter().chain(e).fold(0.0f64, |m, x| m.max(x.abs()));
    if scale == 0.0 {
        q.fill(0.0);
        let m = d.len();
        (0..m).for_each(|i| q[i * m + i] = 1.0);
        return Ok(());
    }
    d.iter_mut().for_each(|x| *x /= scale);
    let e: Vec<f64> = e.iter().map(|x| x / scale).collect();
    solve(d, &e, q)?;
    d.iter_mut().for_each(|x| *x *= scale);
    Ok(())
}

fn solve(d: &mut [f64], e: &[f64], q: &mut [f64]) -> Result<(), LinalgError> {
    let m = d.len();
    if m <= LEAF {
        return tridiagonal_ql(d, e, q);
    }
    // T = diag(T₁, T₂) + ρ u uᵀ with u = e_{k−1} + σ e_k, ρ = |β|, σ = sign β.
    let k = m / 2;
    let beta = e[k - 1];
    let (d1, d2) = d.split_at_mut(k);
    d1[k - 1] -= beta.abs();
    d2[0] -= beta.abs();
    let mut q1 = vec![0.0; k * k];
    let mut q2 = vec![0.0; (m - k) * (m - k)];
    // The halves are independent, so they run in parallel (with identical results).
    let (r1, r2) = rayon::join(|| solve(d1, &e[..k - 1], &mut q1), || solve(d2, &e[k..], &mut q2));
    r1?;
    r2?;
    // The block-diagonal diag(Q₁, Q₂), column-major.
    q.fill(0.0);
    for c in 0..k {
        q[c * m..c * m + k].copy_from_slice(&q1[c * k..(c + 1) * k]);
    }
    for c in 0..m - k {
        q[(k + c) * m + k..(k + c + 1) * m].copy_from_slice(&q2[c * (m - k)..(c + 1) * (m - k)]);
    }
    merge(d, q, k, beta)
}

/// Which rows of a column can be nonzero: the merge's gemms skip the zero blocks.
#[derive(Clone, Copy, PartialEq)]
enum Rows {
    Top,
    Bottom,
    Both,
}

/// Eigenpairs of Q (D + ρ z zᵀ) Qᵀ from those of the halves (in `d` and `q`).
fn merge(d: &mut [f64], q: &mut [f64], k: usize, beta: f64) -> Result<(), LinalgError> {
    let m = d.len();
    // z = Qᵀu: the last row of Q₁ and σ times the first row of Q₂, scaled to unit
    // length (both rows are unit), which doubles ρ.
    let sigma = if beta < 0.0 { -1.0 } else { 1.0 };
    let r2 = std::f64::consts::FRAC_1_SQRT_2;
    let mut z: Vec<f64> =
        (0..m).map(|c| if c < k { q[c * m + k - 1] * r2 } else { sigma * q[c * m + k] * r2 }).collect();
    let rho = 2.0 * beta.abs();
    let mut rows: Vec<Rows> = (0..m).map(|c| if c < k { Rows::Top } else { Rows::Bottom }).collect();
    let order = ascending(d);
    let dmax = d.iter().fold(0.0f64, |a, x| a.max(x.abs()));
    let zmax = z.iter().fold(0.0f64, |a, x| a.max(x.abs()));
    let tol = 8.0 * f64::EPSILON * dmax.max(rho * zmax);
    // Deflation, in ascending order of d: a negligible ρ zⱼ leaves (dⱼ, qⱼ) an
    // eigenpair; two close values are rotated so that one of them has zⱼ = 0.
    let mut kept: Vec<usize> = Vec::with_capacity(m);
    let mut deflated: Vec<usize> = Vec::with_capacity(m);
    let mut prev: Option<usize> = None;
    for &j in &order {
        if rho * z[j].abs() <= tol {
            deflated.push(j);
            continue;
        }
        let Some(p) = prev else {
            prev = Some(j);
            continue;
        };
        let t = z[p].hypot(z[j]);
        let (c, s) = (z[j] / t, z[p] / t);
        if ((d[j] - d[p]) * c * s).abs() <= tol {
            // G = [[c, −s], [s, c]] maps (z_p, z_j) to (0, t); Q ← Q Gᵀ.
            rotate_columns(q, m, p, j, c, s);
            if rows[p] != rows[j] {
                rows[p] = Rows::Both;
                rows[j] = Rows::Both;
            }
            let (dp, dj) = (d[p], d[j]);
            d[p] = c * c * dp + s * s * dj;
            d[j] = s * s * dp + c * c * dj;
            z[p] = 0.0;
            z[j] = t;
            deflated.push(p);
        } else {
            kept.push(p);
        }
        prev = Some(j);
    }
    kept.extend(prev);
    let nk = kept.len();
    let mut lambda = vec![0.0; nk];
    let mut s = vec![0.0; nk * nk];
    if nk > 0 {
        let dk: Vec<f64> = kept.iter().map(|&j| d[j]).collect();
        let zk: Vec<f64> = kept.iter().map(|&j| z[j]).collect();
        rank_one_eigen(&dk, &zk, rho, &mut lambda, &mut s)?;
    }
    // New vectors (m × nk): each half's rows from the columns that reach them.
    let mut fresh = vec![0.0; m * nk];
    for (lo, hi, skip) in [(0, k, Rows::Bottom), (k, m, Rows::Top)] {
        let cols: Vec<usize> = (0..nk).filter(|&c| rows[kept[c]] != skip).collect();
        let h = hi - lo;
        let mut qh = vec![0.0; h * cols.len()];
        let mut sh = vec![0.0; cols.len() * nk];
        for (t, &c) in cols.iter().enumerate() {
            qh[t * h..(t + 1) * h].copy_from_slice(&q[kept[c] * m + lo..kept[c] * m + hi]);
            for i in 0..nk {
                sh[i * cols.len() + t] = s[i * nk + c];
            }
        }
        let ct = cols.len();
        let (qv, sv) = (View::col_major(h, ct, 0, h), View::col_major(ct, nk, 0, ct));
        gemm(1.0, (&qh, qv), (&sh, sv), 0.0, (&mut fresh, View::col_major(h, nk, lo, m)));
    }
    // Everything into ascending order.
    let values: Vec<f64> = lambda.iter().copied().chain(deflated.iter().map(|&j| d[j])).collect();
    let out = ascending(&values);
    let kept_aside: Vec<f64> = deflated.iter().flat_map(|&j| q[j * m..(j + 1) * m].iter().copied()).collect();
    for (dst, &src) in out.iter().enumerate() {
        let col = if src < nk { &fresh[src * m..(src + 1) * m] } else { &kept_aside[(src - nk) * m..][..m] };
        q[dst * m..(dst + 1) * m].copy_from_slice(col);
        d[dst] = values[src];
    }
    Ok(())
}

/// Columns p, j of the column-major q ← (c q_p − s q_j, s q_p + c q_j).
fn rotate_columns(q: &mut [f64], m: usize, p: usize, j: usize, c: f64, s: f64) {
    let (lo, hi) = if p < j { (p, j) } else { (j, p) };
    let (a, b) = q.split_at_mut(hi * m);
    let (x, y) = (&mut a[lo * m..(lo + 1) * m], &mut b[..m]);
    let (qp, qj) = if p < j { (x, y) } else { (y, x) };
    for (u, v) in qp.iter_mut().zip(qj.iter_mut()) {
        let (a, b) = (*u, *v);
        *u = c * a - s * b;
        *v = s * a + c * b;
    }
}
