//! The Hessian of a loss at θ as a [`LinearOperator`], through forward-over-reverse
//! HVPs: the solvers never see more than `v ↦ H(θ)·v`. The loss is recorded once
//! ([`HessianAt`]), so each product runs only the tangent sweeps.

use super::{LinalgError, LinearOperator};
use crate::ad::{HessianAt, Loss};
use std::sync::atomic::{AtomicUsize, Ordering};

/// `v ↦ ∇²L(θ)·v`, counting its applications.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::linalg::{HessianOperator, LinearOperator};
/// let f = loss_fn(2, |t: Var| t.at(0) * t.at(1));
/// let h = HessianOperator::new(&f, vec![0.0, 0.0]).unwrap();
/// let mut out = [0.0; 2];
/// h.apply(&[1.0, 0.0], &mut out).unwrap();
/// assert_eq!(out, [0.0, 1.0]);
/// ```
pub struct HessianOperator {
    recorded: HessianAt,
    theta: Vec<f64>,
    applications: AtomicUsize,
}

impl HessianOperator {
    /// Records `loss` at θ (one forward and one reverse sweep); the operator does not
    /// borrow the loss afterwards.
    pub fn new(loss: &impl Loss, theta: Vec<f64>) -> Result<Self, LinalgError> {
        let recorded = HessianAt::new(loss, &theta).map_err(|e| LinalgError::Operator(e.to_string()))?;
        Ok(HessianOperator { recorded, theta, applications: AtomicUsize::new(0) })
    }
    /// The loss recorded at θ (its value and gradient come with it).
    pub fn recorded(&self) -> &HessianAt {
        &self.recorded
    }
    /// HVPs computed so far.
    pub fn applications(&self) -> usize {
        self.applications.load(Ordering::Relaxed)
    }
    pub fn theta(&self) -> &[f64] {
        &self.theta
    }
}

impl LinearOperator for HessianOperator {
    fn dim(&self) -> usize {
        self.recorded.dim()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<(), LinalgError> {
        self.applications.fetch_add(1, Ordering::Relaxed);
        let hv = self.recorded.hessian_vector_product(v).map_err(|e| LinalgError::Operator(e.to_string()))?;
        if hv.iter().any(|x| !x.is_finite()) {
            return Err(LinalgError::NonFinite);
        }
        out.copy_from_slice(&hv);
        Ok(())
    }
}
