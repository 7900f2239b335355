//! Gradient descent with an adaptive step: ×1.2 after a step that lowers the loss,
//! ×0.5 (and the step undone) otherwise.

use crate::ad::{gradient, AdError, Loss};
use std::fmt;

/// Parameters of [`gradient_descent`] (Ridge Rider's final descent from each ride's end).
///
/// ```
/// use ridge_rider::optim::DescentParams;
/// let p = DescentParams { steps: 100, lr: 0.05, grad_tol: 1e-8 };
/// assert!(p.validate().is_ok());
/// assert!(DescentParams { lr: 0.0, ..p }.validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DescentParams {
    /// Step limit.
    pub steps: usize,
    /// Initial learning rate (×1.2 after a step that lowers the loss, ×0.5 otherwise).
    pub lr: f64,
    /// Stop when ‖∇L‖ falls below this.
    pub grad_tol: f64,
}

impl DescentParams {
    /// Checks the parameters: a positive finite rate, a finite non-negative tolerance.
    pub fn validate(&self) -> Result<(), OptimError> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(OptimError::InvalidParameter { name: "lr", why: "must be finite and positive" });
        }
        if !(self.grad_tol.is_finite() && self.grad_tol >= 0.0) {
            return Err(OptimError::InvalidParameter { name: "grad_tol", why: "must be finite and non-negative" });
        }
        Ok(())
    }
}

/// What [`gradient_descent`] returns.
#[derive(Clone, Debug)]
pub struct Descent {
    pub theta: Vec<f64>,
    pub loss: f64,
    /// Steps tried (each one gradient evaluation).
    pub steps: usize,
}

/// What can go wrong in a descent.
#[derive(Clone, Debug, PartialEq)]
pub enum OptimError {
    Ad(AdError),
    /// The loss at the start point is NaN or ±∞.
    NonFiniteLoss,
    /// A parameter outside its documented range.
    InvalidParameter {
        name: &'static str,
        why: &'static str,
    },
}

impl fmt::Display for OptimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptimError::Ad(e) => write!(f, "{e}"),
            OptimError::NonFiniteLoss => write!(f, "the loss at the start point is not finite"),
            OptimError::InvalidParameter { name, why } => write!(f, "{name} {why}"),
        }
    }
}

impl std::error::Error for OptimError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OptimError::Ad(e) => Some(e),
            _ => None,
        }
    }
}

impl From<AdError> for OptimError {
    fn from(e: AdError) -> Self {
        OptimError::Ad(e)
    }
}

/// Gradient descent from `theta0`: a step that does not lower the loss (or makes it
/// non-finite) is undone and the rate halved; it stops after `p.steps` steps, below
/// `p.grad_tol`, or when the rate falls below 1e-16.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::optim::{gradient_descent, DescentParams};
/// let f = loss_fn(1, |t: Var| (t.at(0) * t.at(0) - 1.0).powi(2));
/// let d = gradient_descent(&f, &[0.5], &DescentParams { steps: 1000, lr: 0.1, grad_tol: 1e-10 }).unwrap();
/// assert!((d.theta[0] - 1.0).abs() < 1e-8 && d.loss < 1e-15);
/// ```
pub fn gradient_descent(loss: &impl Loss, theta0: &[f64], p: &DescentParams) -> Result<Descent, OptimError> {
    p.validate()?;
    let DescentParams { steps, lr: lr0, grad_tol } = *p;
    let mut theta = theta0.to_vec();
    let mut vg = gradient(loss, &theta)?;
    if !vg.value.is_finite() {
        return Err(OptimError::NonFiniteLoss);
    }
    let mut lr = lr0;
    let mut taken = 0;
    for _ in 0..steps {
        let gnorm = vg.gradient.iter().map(|x| x * x).sum::<f64>().sqrt();
        if gnorm < grad_tol {
            break;
        }
        taken += 1;
        let trial: Vec<f64> = theta.iter().zip(&vg.gradient).map(|(t, g)| t - lr * g).collect();
        let next = gradient(loss, &trial)?;
        if next.value.is_finite() && next.value <= vg.value {
            theta = trial;
            vg = next;
            lr *= 1.2;
        } else {
            lr *= 0.5;
            if lr < 1e-16 {
                break;
            }
        }
    }
    Ok(Descent { theta, loss: vg.value, steps: taken })
}
