//! Power iteration with a shift and deflation. The dominant eigenpair of A − cI is
//! the most negative one of A when c ≥ λ_max, and the largest when c ≤ λ_min; each
//! further pair is found with the earlier ones projected out.

use super::kernels::{axpy, dot, gram_schmidt, norm, normalize};
use super::{check_count, EigenPairs, LinalgError, LinearOperator, Which};
use crate::rng;

/// Parameters of [`power_iteration`].
///
/// ```
/// use ridge_rider::linalg::{power_iteration, DenseSymmetric, PowerParams, Which};
/// let a = DenseSymmetric::from_diagonal(&[5.0, -1.0, 2.0]);
/// let p = PowerParams { k: 2, which: Which::Largest, shift: Some(-1.0), ..Default::default() };
/// let r = power_iteration(&a, &p).unwrap();
/// assert!((r.values[0] - 5.0).abs() < 1e-5 && (r.values[1] - 2.0).abs() < 1e-5);
/// ```
#[derive(Clone, Debug)]
pub struct PowerParams {
    /// Eigenpairs wanted. Default 1.
    pub k: usize,
    /// Which end of the spectrum. Default most negative.
    pub which: Which,
    /// Converged when ‖Ax − λx‖ ≤ tol·|λ|. Default 1e-6.
    pub tol: f64,
    /// Iteration limit per eigenpair. Default 10,000.
    pub max_iterations: usize,
    /// The shift c; `None` estimates ‖A‖ with a short power run and shifts by it.
    pub shift: Option<f64>,
    /// Seed of the random start vectors. Default 0.
    pub seed: u64,
}

impl Default for PowerParams {
    fn default() -> Self {
        PowerParams { k: 1, which: Which::MostNegative, tol: 1e-6, max_iterations: 10_000, shift: None, seed: 0 }
    }
}

/// The `k` most wanted eigenpairs by shifted power iteration with deflation.
///
/// ```
/// use ridge_rider::linalg::{power_iteration, DenseSymmetric, PowerParams, Which};
/// let a = DenseSymmetric::from_diagonal(&[4.0, -3.0, 1.0]);
/// let r = power_iteration(&a, &PowerParams { which: Which::MostNegative, ..Default::default() }).unwrap();
/// assert!((r.values[0] + 3.0).abs() < 1e-6);
/// ```
pub fn power_iteration(op: &impl LinearOperator, p: &PowerParams) -> Result<EigenPairs, LinalgError> {
    let n = op.dim();
    check_count(p.k, n)?;
    let mut rng = rng::seeded(p.seed, 0x706f77);
    let mut applications = 0;
    let mut apply = |v: &[f64], out: &mut [f64]| -> Result<(), LinalgError> {
        op.apply(v, out)?;
        applications += 1;
        if out.iter().any(|x| !x.is_finite()) {
            return Err(LinalgError::NonFinite);
        }
        Ok(())
    };
    let shift = match (p.shift, p.which) {
        (Some(c), _) => c,
        (None, Which::LargestMagnitude) => 0.0,
        (None, which) => {
            // ‖A‖ estimate: a few unshifted power steps (the Rayleigh quotient's
            // magnitude never exceeds ‖A‖, so pad it).
            let mut v = rng::normal_vec(&mut rng, n, 1.0);
            normalize(&mut v);
            let mut av = vec![0.0; n];
            let mut est: f64 = 0.0;
            for _ in 0..30 {
                apply(&v, &mut av)?;
                est = est.max(norm(&av));
                v.copy_from_slice(&av);
                if normalize(&mut v) == 0.0 {
                    break;
                }
            }
            let c = 1.1 * est + f64::MIN_POSITIVE;
            if which == Which::MostNegative {
                c
            } else {
                -c
            }
        }
    };
    let mut found: Vec<Vec<f64>> = Vec::new();
    let mut pairs = EigenPairs {
        values: vec![],
        vectors: vec![],
        residuals: vec![],
        converged: vec![],
        operator_applications: 0,
        iterations: 0,
    };
    let mut av = vec![0.0; n];
    for _ in 0..p.k {
        let mut v = rng::normal_vec(&mut rng, n, 1.0);
        gram_schmidt(&found, &mut v);
        normalize(&mut v);
        let (mut lambda, mut res, mut converged) = (0.0, f64::INFINITY, false);
        for _ in 0..p.max_iterations {
            pairs.iterations += 1;
            apply(&v, &mut av)?;
            lambda = dot(&v, &av);
            let mut r = av.clone();
            axpy(-lambda, &v, &mut r);
            res = norm(&r);
            if res <= p.tol * lambda.abs().max(f64::EPSILON) {
                converged = true;
                break;
            }
            // v ← (A − cI)v, deflated and normalised.
            axpy(-shift, &v, &mut av);
            v.copy_from_slice(&av);
            gram_schmidt(&found, &mut v);
            if normalize(&mut v) == 0.0 {
                break;
            }
        }
        pairs.values.push(lambda);
        pairs.vectors.push(v.clone());
        pairs.residuals.push(res);
        pairs.converged.push(converged);
        found.push(v);
    }
    pairs.operator_applications = applications;
    Ok(pairs)
}
