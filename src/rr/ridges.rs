//! GetRidges: the most negative eigenpairs at θ, each in both directions, tagged with
//! its eigen-index; eigenvalues equal within a tolerance form a group. Each ridge
//! carries its pair's residual and converged flag, so a starved eigensolver is seen.

use super::{BranchParams, RrError, Spectrum};
use crate::ad::hessian;
use crate::kernels::{axpy, norm};
use crate::linalg::{
    lanczos, symmetric_eigen, DenseSymmetric, EigenPairs, HessianOperator, LanczosParams, LinalgError, LinearOperator,
    Which,
};
use crate::rr::Objective;

/// One branch choice: eigen-index and direction. A fingerprint is a list of these.
///
/// ```
/// use ridge_rider::rr::Choice;
/// let fingerprint = [Choice { index: 0, sign: 1 }, Choice { index: 2, sign: -1 }];
/// assert!(fingerprint[0] < fingerprint[1]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Choice {
    /// Position of the eigenvalue in ascending order at the branch point (0 = most negative).
    pub index: usize,
    /// +1 or −1: the direction along the eigenvector.
    pub sign: i8,
}

/// A ridge to ride: a unit direction (sign applied) with its eigenvalue (see
/// [`get_ridges`]), and how well the eigensolver resolved it.
#[derive(Clone, Debug)]
pub struct Ridge {
    pub choice: Choice,
    pub direction: Vec<f64>,
    pub lambda: f64,
    /// Index of the group of (numerically) equal eigenvalues it belongs to.
    pub group: usize,
    /// The eigenvalue is repeated: the ridge is a whole eigenspace at the branch point,
    /// and this direction is one arbitrary member of it.
    pub degenerate: bool,
    /// ‖He − λe‖ of the eigenpair (NaN for a direction that is not an eigenvector).
    pub residual: f64,
    /// The eigensolver met its tolerance for this pair (the dense solver always does).
    pub converged: bool,
}

/// Ascending eigenpairs at a branch point, each with its residual and converged flag.
#[derive(Clone, Debug)]
pub(crate) struct BranchSpectrum {
    pub(crate) values: Vec<f64>,
    pub(crate) vectors: Vec<Vec<f64>>,
    pub(crate) residuals: Vec<f64>,
    pub(crate) converged: Vec<bool>,
    /// Hessian-vector products spent (n for a dense Hessian).
    pub(crate) hvps: usize,
}

impl BranchSpectrum {
    pub(crate) fn all_converged(&self) -> bool {
        self.converged.iter().all(|&c| c)
    }
}

impl From<EigenPairs> for BranchSpectrum {
    fn from(r: EigenPairs) -> Self {
        let hvps = r.operator_applications;
        BranchSpectrum { values: r.values, vectors: r.vectors, residuals: r.residuals, converged: r.converged, hvps }
    }
}

/// Lanczos runs at a branch point before its spectrum is declared unconverged: each
/// retry doubles the HVP limit and starts from the last run's most wanted vector.
pub const SPECTRUM_ATTEMPTS: usize = 3;

/// An eigen-decomposition at θ, ascending: exact (dense, residuals of the first `k`
/// pairs computed from H) or approximate (Lanczos, `k` pairs, retried up to
/// [`SPECTRUM_ATTEMPTS`] times while a pair is unconverged).
pub(crate) fn spectrum<O: Objective>(
    obj: &O,
    theta: &[f64],
    how: &Spectrum,
    k: usize,
    seed: u64,
) -> Result<BranchSpectrum, RrError> {
    let n = obj.dim();
    match how {
        Spectrum::Exact => {
            let h = hessian(obj, theta)?;
            if h.iter().any(|v| !v.is_finite()) {
                return Err(RrError::NonFinite("Hessian"));
            }
            let dense = DenseSymmetric::new(n, h)?;
            let e = symmetric_eigen(&dense)?;
            let mut hv = vec![0.0; n];
            let residuals = (0..n)
                .map(|i| {
                    if i >= k {
                        return Ok(f64::NAN);
                    }
                    dense.apply(&e.vectors[i], &mut hv)?;
                    axpy(-e.values[i], &e.vectors[i], &mut hv);
                    Ok(norm(&hv))
                })
                .collect::<Result<Vec<f64>, LinalgError>>()?;
            Ok(BranchSpectrum { values: e.values, vectors: e.vectors, residuals, converged: vec![true; n], hvps: n })
        }
        Spectrum::Lanczos { tol, max_hvps_per_call, .. } => {
            let op = HessianOperator::new(obj, theta.to_vec())?;
            let mut p = LanczosParams {
                k: k.min(n),
                which: Which::MostNegative,
                tol: *tol,
                max_applications: *max_hvps_per_call,
                seed,
                ..Default::default()
            };
            let mut hvps = 0;
            let mut attempt = 1;
            loop {
                let r = lanczos(&op, &p)?;
                hvps += r.operator_applications;
                if r.all_converged() && r.values.len() == p.k || attempt == SPECTRUM_ATTEMPTS {
                    let mut s = BranchSpectrum::from(r);
                    // Fewer pairs than asked (a tiny limit) count as unconverged too.
                    s.converged.resize(p.k.max(s.converged.len()), false);
                    s.hvps = hvps;
                    return Ok(s);
                }
                p.start = r.vectors.into_iter().next();
                p.max_applications = p.max_applications.saturating_mul(2);
                attempt += 1;
            }
        }
    }
}

/// What [`get_ridges`] returns.
#[derive(Clone, Debug)]
pub struct BranchRidges {
    /// Most negative first, each eigenvector in both signs.
    pub ridges: Vec<Ridge>,
    /// Hessian-vector products spent (n for a dense Hessian).
    pub hvps: usize,
}

/// GetRidges: the `b.ridges` most negative eigenpairs (λ < −`b.negative_tol`), both
/// signs each, most negative first, from `b.spectrum`. Eigenvalues within `b.group_tol`
/// of their neighbour share a group and, if `b.one_per_group`, only the first of each
/// group is returned.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{get_ridges, BranchParams};
/// // Two independent double wells: curvatures −4.2 (x) and −4 (y) at the saddle 0.
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// let r = get_ridges(&f, &[0.0, 0.0], &BranchParams::default(), 0).unwrap();
/// assert_eq!(r.ridges.len(), 4);
/// assert!((r.ridges[0].lambda + 4.2).abs() < 1e-12 && r.ridges[0].choice.index == 0);
/// assert_eq!(r.ridges[0].choice.sign, -r.ridges[1].choice.sign);
/// // Only the most negative one, both signs.
/// let mut b = BranchParams::default();
/// b.ridges = 1;
/// assert_eq!(get_ridges(&f, &[0.0, 0.0], &b, 0).unwrap().ridges.len(), 2);
/// ```
pub fn get_ridges<O: Objective>(obj: &O, theta: &[f64], b: &BranchParams, seed: u64) -> Result<BranchRidges, RrError> {
    let s = spectrum(obj, theta, &b.spectrum, b.ridges, seed)?;
    Ok(BranchRidges { ridges: ridges_from(&s, b), hvps: s.hvps })
}

/// The direction ±e along which the loss does not increase to first order (∇L·d ≤ 0).
///
/// ```
/// assert_eq!(ridge_rider::rr::ridges::orient(&[1.0, 0.0], &[2.0, 5.0]), vec![-1.0, 0.0]);
/// ```
pub fn orient(e: &[f64], gradient: &[f64]) -> Vec<f64> {
    let s = if crate::kernels::dot(e, gradient) > 0.0 { -1.0 } else { 1.0 };
    e.iter().map(|x| s * x).collect()
}

/// An eigensolver's sign is arbitrary; RR fixes it so that sign +1 of a fingerprint
/// means the same direction in every run and under any relabelling of parameters:
/// Σᵢ eᵢ³ > 0 (a permutation-invariant rule), falling back to the largest-|eᵢ| entry
/// being positive when the cubes cancel. Returns ±1.
///
/// ```
/// use ridge_rider::rr::ridges::canonical_sign;
/// assert_eq!(canonical_sign(&[0.1, -0.9, 0.2]), -1.0);
/// ```
pub fn canonical_sign(v: &[f64]) -> f64 {
    let scale = v.iter().fold(0.0f64, |a, x| a.max(x.abs()));
    let skew: f64 = v.iter().map(|x| x.powi(3)).sum();
    if skew.abs() > 1e-9 * scale.powi(3) {
        return skew.signum();
    }
    let largest = v.iter().fold(0.0f64, |a, &x| if x.abs() > a.abs() + 1e-12 * scale { x } else { a });
    if largest < 0.0 {
        -1.0
    } else {
        1.0
    }
}

/// The ridges of a spectrum under `b`'s selection rules (see [`get_ridges`]).
pub(crate) fn ridges_from(s: &BranchSpectrum, b: &BranchParams) -> Vec<Ridge> {
    let BranchParams { ridges: count, negative_tol, group_tol, one_per_group, .. } = *b;
    let values = &s.values;
    let mut ridges = Vec::new();
    let mut group = 0;
    for (i, (&lambda, v)) in values.iter().zip(&s.vectors).enumerate().take(count) {
        if lambda >= -negative_tol {
            break;
        }
        let equal = |a: f64, b: f64| (a - b).abs() <= group_tol * a.abs().max(1.0);
        let new_group = i == 0 || !equal(lambda, values[i - 1]);
        let degenerate = !new_group || values.get(i + 1).is_some_and(|&next| equal(next, lambda));
        if i > 0 && new_group {
            group += 1;
        }
        if one_per_group && !new_group {
            continue;
        }
        let canonical = canonical_sign(v);
        let (residual, converged) = (s.residuals[i], s.converged[i]);
        for sign in [1i8, -1] {
            let direction = v.iter().map(|x| x * canonical * sign as f64).collect();
            let choice = Choice { index: i, sign };
            ridges.push(Ridge { choice, direction, lambda, group, degenerate, residual, converged });
        }
    }
    ridges
}
