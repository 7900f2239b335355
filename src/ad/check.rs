//! Checking derivatives against central differences, like JAX's `check_grads`.
//!
//! ```
//! use ridge_rider::ad::{check, loss_fn, Var};
//! let f = loss_fn(3, |t: Var| (t * t).sum().tanh());
//! let r = check::check_gradient(&f, &[0.1, -0.2, 0.3], 1e-5).unwrap();
//! assert!(r.relative_error < 1e-8, "{r:?}");
//! let r = check::check_hvp(&f, &[0.1, -0.2, 0.3], &[1.0, 0.5, -1.0], 1e-4).unwrap();
//! assert!(r.relative_error < 1e-6, "{r:?}");
//! ```

use super::hvp::{check_input, gradient, hessian_vector_product, value, Loss};
use super::AdError;

/// How far an autodiff result is from its finite-difference estimate (see
/// [`check_gradient`] and [`check_hvp`]).
#[derive(Clone, Debug)]
pub struct CheckReport {
    /// max |ad − fd| over components.
    pub max_abs_error: f64,
    /// ‖ad − fd‖ / max(‖ad‖, ‖fd‖, 1e-300).
    pub relative_error: f64,
    /// The finite-difference step used.
    pub step: f64,
}

/// Relative error ‖a − b‖ / max(‖a‖, ‖b‖).
///
/// ```
/// use ridge_rider::ad::check::relative_error;
/// assert_eq!(relative_error(&[3.0, 4.0], &[3.0, 4.0]), 0.0);
/// assert_eq!(relative_error(&[0.0, 5.0], &[0.0, 4.0]), 0.2);
/// ```
pub fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    let norm = |x: &[f64]| x.iter().map(|v| v * v).sum::<f64>().sqrt();
    let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    norm(&diff) / norm(a).max(norm(b)).max(1e-300)
}

fn report(ad: &[f64], fd: &[f64], step: f64) -> CheckReport {
    let max_abs_error = ad.iter().zip(fd).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    CheckReport { max_abs_error, relative_error: relative_error(ad, fd), step }
}

fn shifted(theta: &[f64], dir: &[f64], h: f64) -> Vec<f64> {
    theta.iter().zip(dir).map(|(t, d)| t + h * d).collect()
}

/// The gradient by central differences of the loss, one coordinate at a time (2n evaluations).
///
/// ```
/// use ridge_rider::ad::{check::finite_difference_gradient, loss_fn, Var};
/// let f = loss_fn(2, |t: Var| t.at(0) * t.at(0) * t.at(1));
/// let g = finite_difference_gradient(&f, &[3.0, 2.0], 1e-5).unwrap();
/// assert!((g[0] - 12.0).abs() < 1e-8 && (g[1] - 9.0).abs() < 1e-8);
/// ```
pub fn finite_difference_gradient(loss: &impl Loss, theta: &[f64], step: f64) -> Result<Vec<f64>, AdError> {
    check_input("theta", loss.dim(), theta)?;
    let mut g = vec![0.0; theta.len()];
    let mut x = theta.to_vec();
    for i in 0..theta.len() {
        x[i] = theta[i] + step;
        let up = value(loss, &x)?;
        x[i] = theta[i] - step;
        let down = value(loss, &x)?;
        x[i] = theta[i];
        g[i] = (up - down) / (2.0 * step);
    }
    Ok(g)
}

/// H·v by central differences of the gradient: (∇L(θ + hv) − ∇L(θ − hv)) / 2h.
///
/// ```
/// use ridge_rider::ad::{check::finite_difference_hvp, loss_fn, Var};
/// // H = [[2y, 2x], [2x, 0]] at (3, 2).
/// let f = loss_fn(2, |t: Var| t.at(0) * t.at(0) * t.at(1));
/// let hv = finite_difference_hvp(&f, &[3.0, 2.0], &[1.0, 0.0], 1e-4).unwrap();
/// assert!((hv[0] - 4.0).abs() < 1e-8 && (hv[1] - 6.0).abs() < 1e-8);
/// ```
pub fn finite_difference_hvp(loss: &impl Loss, theta: &[f64], v: &[f64], step: f64) -> Result<Vec<f64>, AdError> {
    check_input("direction", loss.dim(), v)?;
    let up = gradient(loss, &shifted(theta, v, step))?.gradient;
    let down = gradient(loss, &shifted(theta, v, -step))?.gradient;
    Ok(up.iter().zip(&down).map(|(a, b)| (a - b) / (2.0 * step)).collect())
}

/// Compare the reverse-mode gradient with central differences.
///
/// ```
/// use ridge_rider::ad::{check::check_gradient, loss_fn, Var};
/// let f = loss_fn(3, |t: Var| t.sigmoid().ln().sum());
/// let r = check_gradient(&f, &[0.3, -1.0, 2.0], 1e-5).unwrap();
/// assert!(r.relative_error < 1e-9 && r.step == 1e-5);
/// ```
pub fn check_gradient(loss: &impl Loss, theta: &[f64], step: f64) -> Result<CheckReport, AdError> {
    let ad = gradient(loss, theta)?.gradient;
    let fd = finite_difference_gradient(loss, theta, step)?;
    Ok(report(&ad, &fd, step))
}

/// Compare the forward-over-reverse HVP with central differences of the gradient.
///
/// ```
/// use ridge_rider::ad::{check::check_hvp, loss_fn, Var};
/// let f = loss_fn(3, |t: Var| t.softplus().dot(t.tanh()));
/// let r = check_hvp(&f, &[0.3, -1.0, 2.0], &[1.0, 2.0, -1.0], 1e-4).unwrap();
/// assert!(r.relative_error < 1e-7);
/// ```
pub fn check_hvp(loss: &impl Loss, theta: &[f64], v: &[f64], step: f64) -> Result<CheckReport, AdError> {
    let ad = hessian_vector_product(loss, theta, v)?.hv;
    let fd = finite_difference_hvp(loss, theta, v, step)?;
    Ok(report(&ad, &fd, step))
}
