//! What Ridge Rider needs from a problem: a loss written once against the autodiff
//! engine (value, gradient, HVPs and, for small problems, the exact Hessian all come
//! from it), plus optional hooks.

use crate::ad::{FnLoss, Loss, Var};

/// A loss RR can search, with an optional label for its solutions.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::Objective;
/// let f = loss_fn(1, |t: Var| t.powi(2).sum());
/// assert_eq!(f.label(&[0.0]), None);
/// ```
pub trait Objective: Loss {
    /// A name for the solution at θ (e.g. the leaf a policy reaches); `None` by default.
    fn label(&self, _theta: &[f64]) -> Option<String> {
        None
    }
}

impl<F> Objective for FnLoss<F> where F: for<'t> Fn(Var<'t>) -> Var<'t> + Sync {}
impl<O: Objective + ?Sized> Objective for &O {
    fn label(&self, theta: &[f64]) -> Option<String> {
        (**self).label(theta)
    }
}
