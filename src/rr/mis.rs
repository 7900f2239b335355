//! The maximally invariant saddle (MIS): a point with a small gradient that keeps the
//! problem's symmetries. For policies, minimise ‖∇L‖² − τ·H(π) from a symmetric start;
//! for supervised networks, start near zero.

use super::{Objective, RrError};
use crate::ad::{gradient, hessian_vector_product, Loss};

/// Parameters of [`find_mis`] (an example is there).
#[derive(Clone, Debug)]
pub struct MisParams {
    /// Gradient steps. Default 2,000.
    pub steps: usize,
    /// Initial learning rate (adapted: ×1.2 on success, ×0.5 on failure). Default 0.1.
    pub lr: f64,
    /// Weight τ of the entropy bonus (0: pure gradient-norm minimisation). Default 0.
    pub tau: f64,
    /// Stop when ‖∇L‖ falls below this. Default 1e-10.
    pub grad_tol: f64,
}

impl Default for MisParams {
    fn default() -> Self {
        MisParams { steps: 2000, lr: 0.1, tau: 0.0, grad_tol: 1e-10 }
    }
}

/// The MIS objective ½‖∇L(θ)‖² − τ·entropy(θ) and its gradient H∇L − τ∇entropy.
fn objective<O: Objective>(
    obj: &O,
    entropy: Option<&dyn Loss>,
    tau: f64,
    theta: &[f64],
) -> Result<(f64, Vec<f64>, f64), RrError> {
    let g = gradient(obj, theta)?.gradient;
    let hg = hessian_vector_product(obj, theta, &g)?.hv;
    let gnorm2: f64 = g.iter().map(|x| x * x).sum();
    let mut value = 0.5 * gnorm2;
    let mut grad = hg;
    if let (Some(ent), true) = (entropy, tau != 0.0) {
        let e = gradient(&ent, theta)?;
        value -= tau * e.value;
        for (gi, ei) in grad.iter_mut().zip(&e.gradient) {
            *gi -= tau * ei;
        }
    }
    if !value.is_finite() || grad.iter().any(|x| !x.is_finite()) {
        return Err(RrError::NonFinite("MIS objective"));
    }
    Ok((value, grad, gnorm2.sqrt()))
}

/// What [`find_mis`] returns.
#[derive(Clone, Debug)]
pub struct Mis {
    pub theta: Vec<f64>,
    /// ‖∇L‖ there.
    pub gradient_norm: f64,
}

/// Minimise ½‖∇L‖² − τ·entropy from `theta0` (which should be symmetric).
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::mis::{find_mis, MisParams};
/// // L = (x² − 1)²: the saddle (a maximum) at 0 is found from 0.3.
/// let f = loss_fn(1, |t: Var| (t.at(0) * t.at(0) - 1.0).powi(2));
/// let mis = find_mis(&f, None, &[0.3], &MisParams::default()).unwrap();
/// assert!(mis.theta[0].abs() < 1e-6 && mis.gradient_norm < 1e-6);
/// ```
pub fn find_mis<O: Objective>(
    obj: &O,
    entropy: Option<&dyn Loss>,
    theta0: &[f64],
    p: &MisParams,
) -> Result<Mis, RrError> {
    let mut theta = theta0.to_vec();
    let (mut val, mut grad, mut gnorm) = objective(obj, entropy, p.tau, &theta)?;
    let mut lr = p.lr;
    for _ in 0..p.steps {
        if gnorm < p.grad_tol && p.tau == 0.0 {
            break;
        }
        let trial: Vec<f64> = theta.iter().zip(&grad).map(|(t, g)| t - lr * g).collect();
        match objective(obj, entropy, p.tau, &trial) {
            Ok((v, g, n)) if v <= val => {
                theta = trial;
                (val, grad, gnorm) = (v, g, n);
                lr *= 1.2;
            }
            _ => {
                lr *= 0.5;
                if lr < 1e-16 {
                    break;
                }
            }
        }
    }
    Ok(Mis { theta, gradient_norm: gnorm })
}
