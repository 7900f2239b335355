//! What Ridge Rider needs from a problem: a loss written once against the autodiff
//! engine (value, gradient, HVPs and, for small problems, the exact Hessian all come
//! from it), with its optional [`Loss::label`] for naming solutions.

use crate::ad::Loss;

/// A loss RR can search: every [`Loss`] is one, with no impl to write. It names what RR
/// asks of a problem; the label of a solution is [`Loss::label`], a provided method
/// (the engine's layer holds it, since `ad` never depends on `rr`).
///
/// ```
/// use ridge_rider::ad::{loss_fn, Loss, Var};
/// use ridge_rider::rr::Objective;
/// fn label_at<O: Objective>(obj: &O, theta: &[f64]) -> Option<String> {
///     obj.label(theta)
/// }
/// let f = loss_fn(1, |t: Var| t.powi(2).sum());
/// assert_eq!(label_at(&f, &[0.0]), None);
/// ```
pub trait Objective: Loss {}

impl<L: Loss + ?Sized> Objective for L {}
