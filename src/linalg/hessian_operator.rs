//! The Hessian of a loss at θ as a [`LinearOperator`], through forward-over-reverse
//! HVPs: the solvers never see more than `v ↦ H(θ)·v`. The loss is recorded once
//! ([`HessianAt`]), so each product runs only the tangent sweeps, and a block of
//! vectors shares one sweep.

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
    sweeps: AtomicUsize,
}

impl HessianOperator {
    /// Records `loss` at θ (one forward and one reverse sweep); the operator does not
    /// borrow the loss afterwards.
    pub fn new(loss: &impl Loss, theta: Vec<f64>) -> Result<Self, LinalgError> {
        let recorded = HessianAt::new(loss, &theta).map_err(LinalgError::Operator)?;
        Ok(HessianOperator { recorded, theta, applications: AtomicUsize::new(0), sweeps: AtomicUsize::new(0) })
    }
    /// The loss recorded at θ (its value and gradient come with it).
    pub fn recorded(&self) -> &HessianAt {
        &self.recorded
    }
    /// HVPs computed so far.
    pub fn applications(&self) -> usize {
        self.applications.load(Ordering::Relaxed)
    }
    /// Tangent sweeps run so far (a block of vectors takes one).
    pub fn sweeps(&self) -> usize {
        self.sweeps.load(Ordering::Relaxed)
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
        if out.len() != self.dim() {
            return Err(LinalgError::Shape { expected: self.dim(), got: out.len() });
        }
        self.applications.fetch_add(1, Ordering::Relaxed);
        self.sweeps.fetch_add(1, Ordering::Relaxed);
        let hv = self.recorded.hessian_vector_product(v).map_err(LinalgError::Operator)?;
        if hv.iter().any(|x| !x.is_finite()) {
            return Err(LinalgError::NonFinite);
        }
        out.copy_from_slice(&hv);
        Ok(())
    }

    /// The whole block in one tangent sweep (one lane per vector).
    ///
    /// ```
    /// use ridge_rider::ad::{loss_fn, Var};
    /// use ridge_rider::linalg::{HessianOperator, LinearOperator};
    /// let f = loss_fn(2, |t: Var| t.at(0) * t.at(0) * t.at(1)); // H = [[2y, 2x], [2x, 0]]
    /// let h = HessianOperator::new(&f, vec![3.0, 2.0]).unwrap();
    /// let mut outs = vec![vec![0.0; 2]; 2];
    /// h.apply_block(&[&[1.0, 0.0], &[0.0, 1.0]], &mut outs).unwrap();
    /// assert_eq!(outs, vec![vec![4.0, 6.0], vec![6.0, 0.0]]);
    /// assert_eq!((h.applications(), h.sweeps()), (2, 1));
    /// ```
    fn apply_block(&self, vs: &[&[f64]], outs: &mut [Vec<f64>]) -> Result<(), LinalgError> {
        if vs.len() != outs.len() {
            return Err(LinalgError::Shape { expected: vs.len(), got: outs.len() });
        }
        if let Some(bad) = outs.iter().find(|o| o.len() != self.dim()) {
            return Err(LinalgError::Shape { expected: self.dim(), got: bad.len() });
        }
        self.applications.fetch_add(vs.len(), Ordering::Relaxed);
        self.sweeps.fetch_add(1, Ordering::Relaxed);
        let hvs = self.recorded.hessian_vector_products(vs).map_err(LinalgError::Operator)?;
        if hvs.iter().flatten().any(|x| !x.is_finite()) {
            return Err(LinalgError::NonFinite);
        }
        for (out, hv) in outs.iter_mut().zip(hvs) {
            out.copy_from_slice(&hv);
        }
        Ok(())
    }
}
