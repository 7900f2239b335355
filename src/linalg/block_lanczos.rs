//! Block Lanczos with full reorthogonalisation and thick restart: the operator is
//! applied to b vectors per sweep ([`LinearOperator::apply_block`]), so a Hessian
//! recorded at θ serves the whole block in one tangent sweep, and the Krylov space of b
//! start vectors holds up to b copies of a repeated eigenvalue. Chosen by
//! [`LanczosParams::block_size`] > 1; see [`lanczos`](super::lanczos()) for the rest.

use super::basis::Basis;
use super::dense::{symmetric_eigen, DenseSymmetric};
use super::lanczos::{coefficients, restart_size, ritz_pairs, subspace_size, LanczosParams, BREAKDOWN};
use super::{EigenPairs, LinalgError, LinearOperator};
use crate::kernels::{gram_schmidt, norm, normalize};
use crate::rng;

/// The block variant of [`lanczos`](super::lanczos()) (parameters already checked).
pub(super) fn block_lanczos(op: &impl LinearOperator, p: &LanczosParams) -> Result<EigenPairs, LinalgError> {
    let n = op.dim();
    let (k, b) = (p.k, p.block_size.min(n));
    let m = subspace_size(p, n);
    let mut rng = rng::seeded(p.seed, 0x626c6b);
    // The start block: the given start vector (if any), then random directions.
    let mut block: Vec<Vec<f64>> = Vec::with_capacity(b);
    if let Some(s) = &p.start {
        if s.len() != n {
            return Err(LinalgError::Shape { expected: n, got: s.len() });
        }
        let mut v = s.clone();
        if normalize(&mut v) > 0.0 {
            block.push(v);
        }
    }
    while block.len() < b {
        let mut v = rng::normal_vec(&mut rng, n, 1.0);
        gram_schmidt(&block, &mut v);
        normalize(&mut v);
        block.push(v);
    }
    let mut basis = Basis::new(n, m);
    let mut t = vec![0.0; m * m];
    let (mut applications, mut sweeps, mut restarts) = (0, 0, 0);
    loop {
        // Extend the basis by whole blocks while they fit.
        while !block.is_empty() && basis.len() + block.len() <= m && applications + block.len() <= p.max_applications {
            let j0 = basis.len();
            let refs: Vec<&[f64]> = block.iter().map(Vec::as_slice).collect();
            let mut images = vec![vec![0.0; n]; block.len()];
            op.apply_block(&refs, &mut images)?;
            applications += block.len();
            sweeps += 1;
            if images.iter().flatten().any(|x| !x.is_finite()) {
                return Err(LinalgError::NonFinite);
            }
            for (v, w) in block.iter().zip(&images) {
                basis.push(v, w);
            }
            let mut next: Vec<Vec<f64>> = Vec::with_capacity(block.len());
            for (c, mut w) in images.into_iter().enumerate() {
                let j = j0 + c;
                let h = basis.orthogonalize(&mut w);
                for (i, hi) in h.iter().enumerate() {
                    t[i * m + j] = *hi;
                    t[j * m + i] = *hi;
                }
                let scale = t.iter().fold(0.0f64, |a, v| a.max(v.abs())).max(f64::MIN_POSITIVE);
                gram_schmidt(&next, &mut w);
                if norm(&w) > BREAKDOWN * scale {
                    normalize(&mut w);
                    next.push(w);
                } else if p.continue_after_breakdown && basis.len() + next.len() < n {
                    // A rank-deficient block: replace the lost direction by a random one.
                    let mut v = rng::normal_vec(&mut rng, n, 1.0);
                    basis.orthogonalize(&mut v);
                    gram_schmidt(&next, &mut v);
                    if normalize(&mut v) > 1e-8 {
                        next.push(v);
                    }
                }
            }
            block = next;
        }
        // Rayleigh–Ritz on the current basis, residuals from the images.
        let j = basis.len();
        if j == 0 {
            return Err(LinalgError::InvalidParameter { name: "max_applications", why: "must be at least block_size" });
        }
        let tj: Vec<f64> = (0..j * j).map(|idx| t[(idx / j) * m + idx % j]).collect();
        let eig = symmetric_eigen(&DenseSymmetric::new(j, tj)?)?;
        let mut order: Vec<usize> = (0..j).collect();
        order.sort_by(|&a, &b| p.which.key(eig.values[a]).total_cmp(&p.which.key(eig.values[b])));
        let wanted = &order[..k.min(j)];
        let mut pairs = ritz_pairs(&basis, &eig, wanted, p, applications, restarts);
        pairs.block_applications = sweeps;
        let stop = block.is_empty() || j == n || applications + block.len() > p.max_applications;
        if (pairs.values.len() == k && pairs.all_converged()) || stop {
            return Ok(pairs);
        }
        // Thick restart, leaving room for at least one block.
        let keep = restart_size(&eig.values, &order, k, m, p.which).min(m - block.len()).max(k.min(j));
        let kept = &order[..keep];
        basis.restart(&coefficients(&eig, kept), keep);
        t.fill(0.0);
        for (a, &i) in kept.iter().enumerate() {
            t[a * m + a] = eig.values[i];
        }
        // The block is orthogonal to the old basis, hence to the kept Ritz vectors; clean it.
        let mut cleaned: Vec<Vec<f64>> = Vec::with_capacity(block.len());
        for mut v in block {
            basis.orthogonalize(&mut v);
            gram_schmidt(&cleaned, &mut v);
            if normalize(&mut v) > 1e-8 {
                cleaned.push(v);
            }
        }
        block = cleaned;
        restarts += 1;
    }
}
