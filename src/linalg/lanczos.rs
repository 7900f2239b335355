//! Lanczos with full reorthogonalisation and thick restart, over any
//! [`LinearOperator`].
//!
//! Each new basis vector follows the three-term recurrence and is then orthogonalised
//! once more against the whole basis (twice when the pass cancels most of it), so the
//! projected matrix T = VᵀAV is formed explicitly (tridiagonal in exact arithmetic,
//! tridiagonal plus an arrow after a restart). The basis lives in one contiguous buffer
//! (`basis::Basis`), so Ritz vectors are formed by a matrix product and each pass streams
//! it on every core. The images W = AV are kept beside V, so every reported residual
//! ‖Ax − λx‖ is computed from true operator images at no extra application; between
//! restarts convergence is judged from the Lanczos relation AV = VT + f·cᵀ, and
//! confirmed from the images before anything is returned. A restart keeps the most
//! wanted Ritz vectors, how many chosen from the gaps of the Ritz values
//! (`restart_size`), and continues from the residual direction, so memory stays at
//! 2·m vectors. An invariant subspace (lucky breakdown) is continued with a fresh
//! random direction, not reported as an error.
//!
//! One start vector spans one copy of each eigenvalue: an eigenvalue repeated exactly
//! is found once (its other eigenvectors enter only through rounding or a breakdown's
//! random direction), so the k pairs returned may skip the repeats. Where eigenvalues
//! repeat by symmetry (the lever game), use the dense solver for all the copies, or
//! `continue_after_breakdown: false` for one member of each group.

use super::basis::Basis;
use super::dense::{symmetric_eigen, DenseSymmetric, SymmetricEigen};
use super::{check_count, check_tolerance, EigenPairs, LinalgError, LinearOperator, Which};
use crate::kernels::{axpy, dot, norm, normalize};
use crate::rng;

/// A new basis direction shorter than this fraction of the largest projected entry
/// means the basis spans an invariant subspace (a lucky breakdown). Operators such as
/// Hessian-vector products carry rounding noise near 1e-10 of their scale, so a tighter
/// threshold would mistake that noise for a new direction.
pub(super) const BREAKDOWN: f64 = 1e-8;

/// A vector that keeps less than this fraction of its norm through a Gram–Schmidt pass
/// has lost digits to cancellation, and is orthogonalised once more (the DGKS rule).
const REORTHOGONALIZE: f64 = std::f64::consts::FRAC_1_SQRT_2;

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
    /// Also converged when ‖Ax − λx‖ ≤ abs_tol: an eigenvalue at 0 (a PSD block's null
    /// space) has no relative residual to meet, and without it burns the whole
    /// `max_applications`. Default 0 (the relative criterion alone).
    pub abs_tol: f64,
    /// Basis size m before a restart; 0 picks max(2k + 30, 40), capped at n. Default 0.
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
    /// Vectors per block (block Lanczos when > 1): each step applies the operator to a
    /// block in one [`LinearOperator::apply_block`] sweep. A block of b vectors finds up
    /// to b copies of a repeated eigenvalue, which one start vector cannot. Default 1.
    pub block_size: usize,
}

impl LanczosParams {
    /// Checks the parameters before any product is spent.
    ///
    /// ```
    /// use ridge_rider::linalg::{LanczosParams, LinalgError};
    /// let p = LanczosParams { max_applications: 0, ..Default::default() };
    /// assert_eq!(p.validate().unwrap_err().to_string(), "max_applications must be at least 1");
    /// ```
    pub fn validate(&self) -> Result<(), LinalgError> {
        check_tolerance(self.tol)?;
        if !(self.abs_tol.is_finite() && self.abs_tol >= 0.0) {
            return Err(LinalgError::InvalidParameter { name: "abs_tol", why: "must be finite and at least 0" });
        }
        if self.max_applications == 0 {
            return Err(LinalgError::InvalidParameter { name: "max_applications", why: "must be at least 1" });
        }
        if self.block_size == 0 {
            return Err(LinalgError::InvalidParameter { name: "block_size", why: "must be at least 1" });
        }
        if self.max_applications < self.block_size {
            return Err(LinalgError::InvalidParameter { name: "max_applications", why: "must be at least block_size" });
        }
        if self.start.as_ref().is_some_and(|s| s.iter().any(|x| !x.is_finite())) {
            return Err(LinalgError::InvalidParameter { name: "start", why: "must be finite" });
        }
        Ok(())
    }

    /// The largest residual norm accepted for eigenvalue `lambda`.
    fn accepted_residual(&self, lambda: f64) -> f64 {
        (self.tol * lambda.abs().max(f64::EPSILON)).max(self.abs_tol)
    }
}

impl Default for LanczosParams {
    fn default() -> Self {
        LanczosParams {
            k: 1,
            which: Which::MostNegative,
            tol: 1e-6,
            abs_tol: 0.0,
            max_subspace: 0,
            max_applications: 20_000,
            seed: 0,
            start: None,
            continue_after_breakdown: true,
            block_size: 1,
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
    p.validate()?;
    if p.block_size > 1 {
        return super::block_lanczos::block_lanczos(op, p);
    }
    let k = p.k;
    let m = subspace_size(p, n);
    let mut rng = rng::seeded(p.seed, 0x6c616e);
    let mut next = match &p.start {
        Some(s) if s.len() != n => return Err(LinalgError::Shape { expected: n, got: s.len() }),
        Some(s) if norm(s) > 0.0 => s.clone(),
        _ => rng::normal_vec(&mut rng, n, 1.0),
    };
    normalize(&mut next);
    let mut basis = Basis::new(n, m);
    let mut w = vec![0.0; n]; // the next image, overwritten by every product
    let mut t = vec![0.0; m * m];
    // A·V = V·T + next·couplingᵀ: how the residual direction couples to each basis
    // vector, so that a Ritz pair's residual norm is known without forming it.
    let mut coupling: Vec<f64> = Vec::new();
    let mut applications = 0;
    let mut restarts = 0;
    let mut exhausted = false; // the basis spans an invariant subspace we cannot extend
    loop {
        // Extend the basis to m vectors.
        while basis.len() < m && !exhausted && applications < p.max_applications {
            let j = basis.len();
            op.apply(&next, &mut w)?;
            applications += 1;
            if w.iter().any(|x| !x.is_finite()) {
                return Err(LinalgError::NonFinite);
            }
            basis.push(&next, &w);
            // The three-term recurrence (after a restart, the arrow of kept vectors):
            // the couplings to the old basis are known, and one full pass of
            // Gram–Schmidt then removes what rounding left (a second one only when the
            // first cancelled most of the vector: Daniel et al. 1976).
            coupling.push(0.0);
            basis.subtract(&coupling, &mut w);
            let alpha = dot(&next, &w);
            axpy(-alpha, &next, &mut w);
            coupling[j] = alpha;
            let before = norm(&w);
            let h = basis.project_out(&mut w);
            coupling.iter_mut().zip(&h).for_each(|(c, hi)| *c += hi);
            if norm(&w) < REORTHOGONALIZE * before {
                let again = basis.project_out(&mut w);
                coupling.iter_mut().zip(&again).for_each(|(c, hi)| *c += hi);
            }
            for (i, hi) in coupling.iter().enumerate() {
                t[i * m + j] = *hi;
                t[j * m + i] = *hi;
            }
            let scale = t.iter().fold(0.0f64, |a, v| a.max(v.abs())).max(f64::MIN_POSITIVE);
            let beta = norm(&w);
            coupling = vec![0.0; j + 1];
            coupling[j] = beta;
            if beta > BREAKDOWN * scale {
                std::mem::swap(&mut next, &mut w);
                normalize(&mut next);
            } else if basis.len() < n && p.continue_after_breakdown {
                // Lucky breakdown: continue with a random direction orthogonal to the
                // basis (which the basis's images do not couple to).
                coupling.fill(0.0);
                next = rng::normal_vec(&mut rng, n, 1.0);
                basis.orthogonalize(&mut next);
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
        let estimate = |idx: usize| -> f64 { coupled(&coupling, &eig.vectors[idx]).abs() };
        let estimated = wanted.len() == k && wanted.iter().all(|&i| estimate(i) <= p.accepted_residual(eig.values[i]));
        let stop = exhausted || j == n || applications >= p.max_applications;
        if estimated || stop {
            // The wanted pairs, their residuals from true images.
            let pairs = ritz_pairs(&basis, &eig, wanted, p, applications, restarts);
            if pairs.all_converged() || stop {
                return Ok(pairs);
            }
        }
        // Thick restart: keep the most wanted Ritz vectors, continue from `next`.
        let keep = restart_size(&eig.values, &order, k, m, p.which);
        let kept = &order[..keep];
        basis.restart(&coefficients(&eig, kept), keep);
        t.fill(0.0);
        for (a, &i) in kept.iter().enumerate() {
            t[a * m + a] = eig.values[i];
        }
        coupling = kept.iter().map(|&i| coupled(&coupling, &eig.vectors[i])).collect();
        // `next` is orthogonal to the old basis, hence to the kept Ritz vectors; clean it.
        basis.orthogonalize(&mut next);
        if normalize(&mut next) < 1e-8 {
            if !p.continue_after_breakdown {
                exhausted = true;
            }
            next = rng::normal_vec(&mut rng, n, 1.0);
            basis.orthogonalize(&mut next);
            normalize(&mut next);
            coupling.fill(0.0);
        }
        restarts += 1;
    }
}

/// How the residual direction couples to the Ritz vector of coefficients `y`: its
/// residual norm is the absolute value (the Lanczos relation AV = VT + f·cᵀ).
fn coupled(coupling: &[f64], y: &[f64]) -> f64 {
    coupling.iter().zip(y).map(|(c, y)| c * y).sum()
}

/// The basis size m: `max_subspace`, or max(2k + 30, 40), with room for the k wanted
/// vectors and two blocks, at most n.
pub(super) fn subspace_size(p: &LanczosParams, n: usize) -> usize {
    let m = if p.max_subspace == 0 { (2 * p.k + 30).max(40) } else { p.max_subspace };
    m.max(p.k + 2 * p.block_size - 1).min(n)
}

/// The `j × count` row-major coefficients of the Ritz vectors `which` (eigenvectors of T).
pub(super) fn coefficients(eig: &SymmetricEigen, which: &[usize]) -> Vec<f64> {
    let j = eig.values.len();
    let mut c = vec![0.0; j * which.len()];
    for (a, &i) in which.iter().enumerate() {
        for (r, y) in eig.vectors[i].iter().enumerate() {
            c[r * which.len() + a] = *y;
        }
    }
    c
}

/// The Ritz pairs `wanted`, with residuals ‖Ax − λx‖ from the stored images.
pub(super) fn ritz_pairs(
    basis: &Basis,
    eig: &SymmetricEigen,
    wanted: &[usize],
    p: &LanczosParams,
    applications: usize,
    restarts: usize,
) -> EigenPairs {
    let n = basis.dim();
    let (x, ax) = basis.combine(&coefficients(eig, wanted), wanted.len());
    let mut pairs = EigenPairs {
        values: vec![],
        vectors: vec![],
        residuals: vec![],
        converged: vec![],
        operator_applications: applications,
        block_applications: applications,
        iterations: restarts,
    };
    for ((&i, x), ax) in wanted.iter().zip(x.chunks_exact(n)).zip(ax.chunks_exact(n)) {
        let lambda = eig.values[i];
        let mut r = ax.to_vec();
        axpy(-lambda, x, &mut r);
        let res = norm(&r);
        pairs.values.push(lambda);
        pairs.vectors.push(x.to_vec());
        pairs.residuals.push(res);
        pairs.converged.push(res <= p.accepted_residual(lambda));
    }
    pairs
}

/// How many Ritz vectors a thick restart keeps. A cycle of d = m − keep new vectors
/// damps the wanted residuals by about 1/T_d(1 + 2γ), with T_d the Chebyshev polynomial
/// and γ = (θ_keep − θ_k)/(θ_far − θ_keep) the gap between the last wanted value and the
/// first one discarded, relative to the rest of the spectrum (in wanted order). The keep
/// chosen maximises that damping per product, ln T_d(1 + 2γ)/d, so a restart skips over
/// a cluster instead of cutting it, yet still adds at least a third of the free room
/// per cycle (Yamazaki et al. 2010); without gaps it keeps k + (m − k)/2 (Wu & Simon 2000).
pub(super) fn restart_size(values: &[f64], order: &[usize], k: usize, m: usize, which: Which) -> usize {
    let j = order.len();
    let fallback = (k + (m - k) / 2).clamp(k, m - 1).min(j);
    let s = |i: usize| which.key(values[order[i]]);
    let far = s(j - 1);
    let most = (m - ((m - k) / 4).max(1)).min(j);
    let mut best = (0.0, fallback);
    for keep in k..most {
        let spread = far - s(keep);
        if spread <= 0.0 {
            break;
        }
        let gamma = (s(keep) - s(k - 1)) / spread;
        let damping = (m - keep) as f64 * gamma.sqrt();
        if damping > best.0 {
            best = (damping, keep);
        }
    }
    best.1
}
