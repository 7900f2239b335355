//! Lanczos with full reorthogonalisation and thick restart, over any
//! [`LinearOperator`].
//!
//! Each new basis vector is orthogonalised twice against the whole basis, so the
//! projected matrix T = VᵀAV is formed explicitly (tridiagonal in exact arithmetic,
//! tridiagonal plus an arrow after a restart). The images W = AV are kept beside V,
//! so every reported residual ‖Ax − λx‖ is computed from true operator images at no
//! extra application. A restart keeps the `k + (m − k)/2` most wanted Ritz vectors
//! (thick restart, Wu & Simon 2000) and continues from the residual direction, so
//! memory stays at 2·m vectors. An invariant subspace (lucky breakdown) is continued
//! with a fresh random direction, not reported as an error.
//!
//! One start vector spans one copy of each eigenvalue: an eigenvalue repeated exactly
//! is found once (its other eigenvectors enter only through rounding or a breakdown's
//! random direction), so the k pairs returned may skip the repeats. Where eigenvalues
//! repeat by symmetry (the lever game), use the dense solver for all the copies, or
//! `continue_after_breakdown: false` for one member of each group.

use super::dense::{symmetric_eigen, DenseSymmetric};
use super::kernels::{axpy, gram_schmidt, norm, normalize};
use super::{check_count, EigenPairs, LinalgError, LinearOperator, Which};
use crate::rng;

/// A new basis direction shorter than this fraction of the largest projected entry
/// means the basis spans an invariant subspace (a lucky breakdown). Operators such as
/// Hessian-vector products carry rounding noise near 1e-10 of their scale, so a tighter
/// threshold would mistake that noise for a new direction.
const BREAKDOWN: f64 = 1e-8;

/// Parameters of [`lanczos`].
///
/// ```
/// use ridge_rider::linalg::{lanczos, DenseSymmetric, LanczosParams};
/// let a = DenseSymmetric::from_diagonal(&(0..100).map(|i| i as f64 - 3.0).collect::<Vec<_>>());
/// let p = LanczosParams { k: 3, tol: 1e-10, max_applications: 500, ..Default::default() };
/// let r = lanczos(&a, &p).unwrap();
/// assert_eq!(r.values.iter().map(|v| v.round()).collect::<Vec<_>>(), vec![-3.0, -2.0, -1.0]);
/// // A limit that is too tight is reported, not hidden.
/// let r = lanczos(&a, &LanczosParams { max_applications: 4, ..p }).unwrap();
/// assert!(!r.all_converged());
/// ```
#[derive(Clone, Debug)]
pub struct LanczosParams {
    /// Eigenpairs wanted. Default 1.
    pub k: usize,
    /// Which end of the spectrum. Default most negative.
    pub which: Which,
    /// Converged when ‖Ax − λx‖ ≤ tol·|λ| (ARPACK's criterion). Default 1e-6.
    pub tol: f64,
    /// Basis size m before a restart; 0 picks max(2k + 20, 30), capped at n. Default 0.
    pub max_subspace: usize,
    /// Hard limit on operator applications. Default 20,000.
    pub max_applications: usize,
    /// Seed of the random start vector. Default 0.
    pub seed: u64,
    /// Optional start vector (e.g. the previous ridge); random when `None`.
    pub start: Option<Vec<f64>>,
    /// On an invariant subspace (lucky breakdown), continue with a random direction
    /// (true) or stop there (false). Stopping keeps the Krylov space of the start
    /// vector, which holds one copy of each distinct eigenvalue: how to see the groups
    /// of a spectrum whose eigenvalues repeat by symmetry. Default true.
    pub continue_after_breakdown: bool,
}

impl Default for LanczosParams {
    fn default() -> Self {
        LanczosParams {
            k: 1,
            which: Which::MostNegative,
            tol: 1e-6,
            max_subspace: 0,
            max_applications: 20_000,
            seed: 0,
            start: None,
            continue_after_breakdown: true,
        }
    }
}

/// The `k` most wanted eigenpairs of a symmetric operator.
///
/// ```
/// use ridge_rider::linalg::{lanczos, DenseSymmetric, LanczosParams, Which};
/// let a = DenseSymmetric::from_diagonal(&(0..100).map(|i| i as f64 - 10.0).collect::<Vec<_>>());
/// let r = lanczos(&a, &LanczosParams { k: 3, which: Which::MostNegative, ..Default::default() }).unwrap();
/// assert!(r.all_converged());
/// assert!((r.values[0] + 10.0).abs() < 1e-8);
/// ```
pub fn lanczos(op: &impl LinearOperator, p: &LanczosParams) -> Result<EigenPairs, LinalgError> {
    let n = op.dim();
    check_count(p.k, n)?;
    let k = p.k;
    let m = if p.max_subspace == 0 { (2 * k + 20).max(30) } else { p.max_subspace.max(k + 1) }.min(n);
    let mut rng = rng::seeded(p.seed, 0x6c616e);
    let mut next = match &p.start {
        Some(s) if s.len() == n && norm(s) > 0.0 => s.clone(),
        Some(s) if s.len() != n => return Err(LinalgError::Shape { expected: n, got: s.len() }),
        _ => rng::normal_vec(&mut rng, n, 1.0),
    };
    normalize(&mut next);
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(m);
    let mut images: Vec<Vec<f64>> = Vec::with_capacity(m);
    let mut t = vec![0.0; m * m];
    let mut applications = 0;
    let mut restarts = 0;
    let mut exhausted = false; // the basis spans an invariant subspace we cannot extend
    loop {
        // Extend the basis to m vectors.
        while basis.len() < m && !exhausted && applications < p.max_applications {
            let j = basis.len();
            let mut w = vec![0.0; n];
            op.apply(&next, &mut w)?;
            applications += 1;
            if w.iter().any(|x| !x.is_finite()) {
                return Err(LinalgError::NonFinite);
            }
            basis.push(std::mem::take(&mut next));
            images.push(w.clone());
            let h = gram_schmidt(&basis, &mut w);
            for (i, hi) in h.iter().enumerate() {
                t[i * m + j] = *hi;
                t[j * m + i] = *hi;
            }
            let scale = t.iter().fold(0.0f64, |a, v| a.max(v.abs())).max(f64::MIN_POSITIVE);
            let beta = norm(&w);
            if beta > BREAKDOWN * scale {
                next = w;
                normalize(&mut next);
            } else if basis.len() < n && p.continue_after_breakdown {
                // Lucky breakdown: continue with a random direction orthogonal to the basis.
                next = rng::normal_vec(&mut rng, n, 1.0);
                gram_schmidt(&basis, &mut next);
                if normalize(&mut next) < 1e-8 {
                    exhausted = true;
                }
            } else {
                exhausted = true;
            }
        }
        // Rayleigh–Ritz on the current basis.
        let j = basis.len();
        let tj: Vec<f64> = (0..j * j).map(|idx| t[(idx / j) * m + idx % j]).collect();
        let eig = symmetric_eigen(&DenseSymmetric::new(j, tj)?)?;
        let mut order: Vec<usize> = (0..j).collect();
        order.sort_by(|&a, &b| p.which.key(eig.values[a]).total_cmp(&p.which.key(eig.values[b])));
        let wanted = &order[..k.min(j)];
        let ritz = |idx: usize, of: &[Vec<f64>]| -> Vec<f64> {
            let mut x = vec![0.0; n];
            for (c, v) in eig.vectors[idx].iter().zip(of) {
                axpy(*c, v, &mut x);
            }
            x
        };
        let mut pairs = EigenPairs {
            values: vec![],
            vectors: vec![],
            residuals: vec![],
            converged: vec![],
            operator_applications: applications,
            iterations: restarts,
        };
        for &idx in wanted {
            let (x, ax) = (ritz(idx, &basis), ritz(idx, &images));
            let lambda = eig.values[idx];
            let mut r = ax;
            axpy(-lambda, &x, &mut r);
            let res = norm(&r);
            pairs.values.push(lambda);
            pairs.vectors.push(x);
            pairs.residuals.push(res);
            pairs.converged.push(res <= p.tol * lambda.abs().max(f64::EPSILON));
        }
        let done = pairs.converged.len() == k && pairs.all_converged();
        if done || exhausted || basis.len() == n || applications >= p.max_applications {
            return Ok(pairs);
        }
        // Thick restart: keep the most wanted Ritz vectors, continue from `next`.
        let keep = (k + (m - k) / 2).clamp(k, m - 1);
        let kept: Vec<usize> = order[..keep].to_vec();
        let new_basis: Vec<Vec<f64>> = kept.iter().map(|&i| ritz(i, &basis)).collect();
        let new_images: Vec<Vec<f64>> = kept.iter().map(|&i| ritz(i, &images)).collect();
        basis = new_basis;
        images = new_images;
        t.fill(0.0);
        for (a, &i) in kept.iter().enumerate() {
            t[a * m + a] = eig.values[i];
        }
        // `next` is orthogonal to the old basis, hence to the kept Ritz vectors; clean it.
        gram_schmidt(&basis, &mut next);
        if normalize(&mut next) < 1e-8 {
            if !p.continue_after_breakdown {
                exhausted = true;
            }
            next = rng::normal_vec(&mut rng, n, 1.0);
            gram_schmidt(&basis, &mut next);
            normalize(&mut next);
        }
        restarts += 1;
    }
}
