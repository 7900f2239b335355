//! Power iteration with a shift, on k vectors at once (subspace iteration). The
//! dominant eigenpair of A − cI is the most negative one of A when c ≥ λ_max, and the
//! largest when c ≤ λ_min; the k vectors iterated together converge to the k most
//! wanted pairs.

use super::dense::{symmetric_eigen, DenseSymmetric};
use super::{check_count, check_tolerance, EigenPairs, LinalgError, LinearOperator, Which};
use crate::kernels::{axpy, dot, gram_schmidt, norm, normalize};
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
    /// Limit on subspace iterations (each applies the operator once per pair not yet
    /// converged). Default 10,000.
    pub max_iterations: usize,
    /// The shift c; `None` estimates ‖A‖ with a short power run and shifts by it.
    pub shift: Option<f64>,
    /// Seed of the random start vectors. Default 0.
    pub seed: u64,
}

impl PowerParams {
    /// Checks the parameters before any product is spent.
    ///
    /// ```
    /// use ridge_rider::linalg::{LinalgError, PowerParams};
    /// let p = PowerParams { tol: 0.0, ..Default::default() };
    /// assert!(matches!(p.validate(), Err(LinalgError::InvalidParameter { name: "tol", .. })));
    /// ```
    pub fn validate(&self) -> Result<(), LinalgError> {
        check_tolerance(self.tol)?;
        if self.max_iterations == 0 {
            return Err(LinalgError::InvalidParameter { name: "max_iterations", why: "must be at least 1" });
        }
        if self.shift.is_some_and(|c| !c.is_finite()) {
            return Err(LinalgError::InvalidParameter { name: "shift", why: "must be finite" });
        }
        Ok(())
    }
}

impl Default for PowerParams {
    fn default() -> Self {
        PowerParams { k: 1, which: Which::MostNegative, tol: 1e-6, max_iterations: 10_000, shift: None, seed: 0 }
    }
}

/// The `k` most wanted eigenpairs by shifted subspace iteration.
///
/// The k vectors are iterated together and rotated by a Rayleigh–Ritz step on their
/// true images after every iteration, so each pair's residual is its own: deflating
/// against an earlier pair's inexact vector instead would leave every later residual at
/// least the earlier one's error. A converged vector is not applied again, but stays in
/// the Rayleigh–Ritz space, where it keeps improving the others.
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
    p.validate()?;
    let mut rng = rng::seeded(p.seed, 0x706f77);
    let mut applications = 0;
    let mut apply = |v: &[f64]| -> Result<Vec<f64>, LinalgError> {
        let mut out = vec![0.0; v.len()];
        op.apply(v, &mut out)?;
        applications += 1;
        if out.iter().any(|x| !x.is_finite()) {
            return Err(LinalgError::NonFinite);
        }
        Ok(out)
    };
    let shift = match (p.shift, p.which) {
        (Some(c), _) => c,
        (None, Which::LargestMagnitude) => 0.0,
        (None, which) => {
            // ‖A‖ estimate: a few unshifted power steps (the Rayleigh quotient's
            // magnitude never exceeds ‖A‖, so pad it).
            let mut v = rng::normal_vec(&mut rng, n, 1.0);
            normalize(&mut v);
            let mut est: f64 = 0.0;
            for _ in 0..30 {
                let av = apply(&v)?;
                est = est.max(norm(&av));
                v = av;
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
    // The subspace: orthonormal vectors and their true images.
    let mut vectors: Vec<Vec<f64>> = Vec::with_capacity(p.k);
    while vectors.len() < p.k {
        vectors.push(fresh_direction(&mut rng, &vectors, n));
    }
    let mut images = vectors.iter().map(|v| apply(v)).collect::<Result<Vec<_>, _>>()?;
    let mut iterations = 0;
    loop {
        let pairs = rayleigh_ritz(&mut vectors, &mut images, p)?;
        iterations += 1;
        if pairs.all_converged() || iterations >= p.max_iterations {
            return Ok(EigenPairs {
                operator_applications: applications,
                block_applications: applications,
                iterations,
                ..pairs
            });
        }
        // x ← (A − cI)x for each pair still open, made orthonormal to the rest.
        for i in (0..p.k).filter(|&i| !pairs.converged[i]) {
            let mut x = images[i].clone();
            axpy(-shift, &vectors[i], &mut x);
            let others: Vec<Vec<f64>> = (0..p.k).filter(|&j| j != i).map(|j| vectors[j].clone()).collect();
            gram_schmidt(&others, &mut x);
            if normalize(&mut x) < 1e-12 {
                x = fresh_direction(&mut rng, &others, n);
            }
            images[i] = apply(&x)?;
            vectors[i] = x;
        }
    }
}

/// A random unit vector orthogonal to `basis`.
fn fresh_direction(rng: &mut rng::SeededRng, basis: &[Vec<f64>], n: usize) -> Vec<f64> {
    let mut v = rng::normal_vec(rng, n, 1.0);
    gram_schmidt(basis, &mut v);
    normalize(&mut v);
    v
}

/// Rotate the subspace onto its Ritz vectors (images alike, so no product is spent),
/// most wanted first, and report each pair's true residual.
fn rayleigh_ritz(
    vectors: &mut Vec<Vec<f64>>,
    images: &mut Vec<Vec<f64>>,
    p: &PowerParams,
) -> Result<EigenPairs, LinalgError> {
    let k = vectors.len();
    let h: Vec<f64> = (0..k * k).map(|idx| dot(&vectors[idx / k], &images[idx % k])).collect();
    let eig = symmetric_eigen(&DenseSymmetric::new(k, h)?)?;
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| p.which.key(eig.values[a]).total_cmp(&p.which.key(eig.values[b])));
    let rotate = |of: &[Vec<f64>]| -> Vec<Vec<f64>> {
        order
            .iter()
            .map(|&c| {
                let mut x = vec![0.0; of[0].len()];
                for (y, v) in eig.vectors[c].iter().zip(of) {
                    axpy(*y, v, &mut x);
                }
                x
            })
            .collect()
    };
    *vectors = rotate(vectors);
    *images = rotate(images);
    let mut pairs = EigenPairs {
        values: vec![],
        vectors: vectors.clone(),
        residuals: vec![],
        converged: vec![],
        operator_applications: 0,
        block_applications: 0,
        iterations: 0,
    };
    for ((&c, x), ax) in order.iter().zip(vectors.iter()).zip(images.iter()) {
        let lambda = eig.values[c];
        let mut r = ax.clone();
        axpy(-lambda, x, &mut r);
        let res = norm(&r);
        pairs.values.push(lambda);
        pairs.residuals.push(res);
        pairs.converged.push(res <= p.tol * lambda.abs().max(f64::EPSILON));
    }
    Ok(pairs)
}
