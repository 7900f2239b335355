//! Eigenpairs of D + ρ z zᵀ (d strictly ascending, every zⱼ ≠ 0, ρ > 0): the roots of
//! the secular equation f(λ) = 1/ρ + Σ zⱼ²/(dⱼ − λ), one in each gap and one past
//! d_{K−1}, then vectors from Gu and Eisenstat's recomputed ẑ, so they come out
//! orthogonal however close the roots are.
//!
//! Each root is held as an offset τ from its nearer pole d_o, so the differences
//! dⱼ − λ = (dⱼ − d_o) − τ keep full relative accuracy next to the poles. The
//! iteration models each side's sum by one pole matching its value and slope (Li's
//! "middle way", as in LAPACK's `dlaed4`), safeguarded by bisection on a bracket.

use crate::linalg::LinalgError;
use rayon::prelude::*;

/// Roots (or columns) per parallel task: each costs O(K).
const PARALLEL_GRAIN: usize = 32;

/// Model or bisection steps allowed per root. Bisection alone needs at most about
/// 2100 halvings to pin a double; the model steps converge in a handful.
pub const MAX_SECULAR_ITERATIONS: usize = 2500;

/// A root λ = d[origin] + tau.
#[derive(Clone, Copy, Debug)]
struct Root {
    origin: usize,
    tau: f64,
}

/// The eigenvalues (ascending) into `lambda` and unit eigenvectors into `s` (K × K,
/// column-major, column i for λᵢ).
pub(super) fn rank_one_eigen(
    d: &[f64],
    z: &[f64],
    rho: f64,
    lambda: &mut [f64],
    s: &mut [f64],
) -> Result<(), LinalgError> {
    let k = d.len();
    let z2: Vec<f64> = z.iter().map(|x| x * x).collect();
    // Roots and columns are independent: computed in parallel, each the same way
    // whatever the thread count.
    let roots: Vec<Root> = (0..k)
        .into_par_iter()
        .with_min_len(PARALLEL_GRAIN)
        .map_init(|| vec![0.0; k], |dd, i| find_root(i, d, &z2, rho, dd))
        .collect::<Result<_, _>>()?;
    for (l, r) in lambda.iter_mut().zip(&roots) {
        *l = d[r.origin] + r.tau;
    }
    // λᵢ − dⱼ, accurate wherever it is small.
    let diff = |i: usize, j: usize| (d[roots[i].origin] - d[j]) + roots[i].tau;
    // ẑⱼ² = Πᵢ(λᵢ − dⱼ) / (ρ Π_{i≠j}(dᵢ − dⱼ)), paired factor by factor so that no
    // partial product overflows; its sign is zⱼ's.
    let zhat: Vec<f64> = (0..k)
        .into_par_iter()
        .with_min_len(PARALLEL_GRAIN)
        .map(|j| {
            let mut p = diff(k - 1, j) / rho;
            for i in 0..j {
                p *= diff(i, j) / (d[i] - d[j]);
            }
            for i in j..k - 1 {
                p *= diff(i, j) / (d[i + 1] - d[j]);
            }
            p.abs().sqrt().copysign(z[j])
        })
        .collect();
    s.par_chunks_exact_mut(k).with_min_len(PARALLEL_GRAIN).enumerate().for_each(|(i, col)| {
        for (j, c) in col.iter_mut().enumerate() {
            *c = -zhat[j] / diff(i, j);
        }
        let norm = col.iter().map(|x| x * x).sum::<f64>().sqrt();
        col.iter_mut().for_each(|x| *x /= norm);
    });
    Ok(())
}

/// f and the two sides' sums at offset tau, with `dd[j] = d[j] − d[origin]`:
/// (f, ψ, ψ′, φ, φ′), ψ over j ≤ split and φ over j > split.
fn evaluate(dd: &[f64], z2: &[f64], rho: f64, tau: f64, split: usize) -> [f64; 5] {
    let side = |range: std::ops::Range<usize>| {
        let (mut v, mut dv) = (0.0, 0.0);
        for j in range {
            let t = z2[j] / (dd[j] - tau);
            v += t;
            dv += t / (dd[j] - tau);
        }
        (v, dv)
    };
    let (psi, dpsi) = side(0..split + 1);
    let (phi, dphi) = side(split + 1..dd.len());
    [1.0 / rho + psi + phi, psi, dpsi, phi, dphi]
}

/// The root in (d[i], d[i+1]), or past d[K−1] for the last.
fn find_root(i: usize, d: &[f64], z2: &[f64], rho: f64, dd: &mut [f64]) -> Result<Root, LinalgError> {
    let k = d.len();
    let last = i + 1 == k;
    let set_origin = |o: usize, dd: &mut [f64]| dd.iter_mut().zip(d).for_each(|(x, dj)| *x = dj - d[o]);
    let (origin, mut lo, mut hi) = if last {
        // Σ(λᵢ − dᵢ) = ρ‖z‖² with every term ≥ 0 bounds the last offset.
        let bound = rho * z2.iter().sum::<f64>();
        (i, 0.0, bound)
    } else {
        set_origin(i, dd);
        let half = 0.5 * dd[i + 1];
        if evaluate(dd, z2, rho, half, i)[0] >= 0.0 {
            (i, 0.0, half)
        } else {
            (i + 1, -half, 0.0)
        }
    };
    set_origin(origin, dd);
    if k == 1 {
        return Ok(Root { origin, tau: hi });
    }
    // Start at the bracket's end away from the origin's pole.
    let mut tau = if origin == i { hi } else { lo };
    let eps = f64::EPSILON;
    for _ in 0..MAX_SECULAR_ITERATIONS {
        let [f, psi, dpsi, phi, dphi] = evaluate(dd, z2, rho, tau, i);
        let err = eps * (8.0 * (1.0 / rho + phi - psi) + tau.abs() * (dpsi + dphi));
        if f.abs() <= err {
            return Ok(Root { origin, tau });
        }
        if f > 0.0 {
            hi = tau;
        } else {
            lo = tau;
        }
        if hi - lo <= 2.0 * eps * lo.abs().max(hi.abs()) {
            return Ok(Root { origin, tau });
        }
        let (dl, dr) = (dd[i] - tau, if last { f64::INFINITY } else { dd[i + 1] - tau });
        let next = tau + model_step(f, dl, dpsi, dr, dphi);
        tau = if next > lo && next < hi { next } else { 0.5 * (lo + hi) };
    }
    Err(LinalgError::NoConvergence { iterations: MAX_SECULAR_ITERATIONS })
}

/// The step η to the root of c + a/(δ_L − η) + b/(δ_R − η), the model matching f
/// and each side's slope at the current point (NaN when it has none in range; the
/// caller then bisects). δ_R = ∞ for the last root, which has no right side.
fn model_step(f: f64, dl: f64, dpsi: f64, dr: f64, dphi: f64) -> f64 {
    let a = dl * dl * dpsi;
    if dr.is_infinite() {
        let c = f - dl * dpsi;
        return if c > 0.0 { dl + a / c } else { f64::NAN };
    }
    let b = dr * dr * dphi;
    let c = f - dl * dpsi - dr * dphi;
    // c η² − B η + C = 0 with its root between the poles δ_L < η < δ_R.
    let bq = c * (dl + dr) + a + b;
    let cq = dl * dr * f;
    if c == 0.0 {
        return cq / bq;
    }
    let disc = bq * bq - 4.0 * c * cq;
    if disc < 0.0 {
        return f64::NAN;
    }
    let sq = disc.sqrt();
    let (r1, r2) = if bq >= 0.0 {
        ((bq + sq) / (2.0 * c), 2.0 * cq / (bq + sq))
    } else {
        ((bq - sq) / (2.0 * c), 2.0 * cq / (bq - sq))
    };
    if r1 > dl && r1 < dr {
        r1
    } else {
        r2
    }
}
