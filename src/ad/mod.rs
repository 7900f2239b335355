//! The hand-written automatic differentiation engine.
//!
//! * [`Dual`]: forward mode over any [`Real`], nestable.
//! * [`ElementwiseFn`]: a user's own elementwise function, written once over [`Real`].
//! * [`Tape`] / [`Var`]: reverse mode over dense tensors, define-by-run.
//! * [`hessian_vector_product`]: forward-over-reverse (the reverse sweep on duals).
//! * [`HessianAt`]: a loss recorded once at θ, for many HVPs there at half the cost.
//! * [`hessian`]: the exact Hessian from basis HVPs, several columns per sweep.
//! * [`check`]: central-difference checks for users.

pub mod check;
mod constant;
pub mod dual;
pub mod elementary;
pub mod hessian_at;
pub mod hvp;
pub mod ops;
mod pool;
pub mod real;
mod sparse;
pub mod tape;

pub use constant::Constant;
pub use dual::Dual;
pub use hessian_at::HessianAt;
pub use hvp::{
    gradient, hessian, hessian_vector_product, hessian_vector_products, loss_fn, release_cached_buffers, value, FnLoss,
    Hvp, Hvps, Loss, ParamBlock, ValueGrad,
};
pub use ops::{Binary, ElementwiseFn, IntoVar, Unary};
pub use real::Real;
pub use sparse::{Storage, SPARSE_DENSITY, SPARSE_MIN_LEN};
pub use tape::{Adjoint, Mode, Tape, Var};

use std::fmt;

/// What can go wrong when differentiating user input.
///
/// ```
/// use ridge_rider::ad::{gradient, loss_fn, AdError, Var};
/// // The loss must return a 1×1 tensor.
/// let not_scalar = loss_fn(2, |t: Var| t * 2.0);
/// assert_eq!(gradient(&not_scalar, &[1.0, 2.0]).unwrap_err(), AdError::NotScalar { shape: (2, 1) });
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum AdError {
    /// A vector has the wrong length.
    DimensionMismatch { what: &'static str, expected: usize, got: usize },
    /// An input contains NaN or ±∞ at `index`.
    NonFiniteInput { what: &'static str, index: usize },
    /// The loss did not return a 1×1 tensor of the tape it was given.
    NotScalar { shape: (usize, usize) },
}

impl fmt::Display for AdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdError::DimensionMismatch { what, expected, got } => {
                write!(f, "{what} has {got} elements, expected {expected}")
            }
            AdError::NonFiniteInput { what, index } => write!(f, "{what} is not finite at index {index}"),
            AdError::NotScalar { shape } => write!(f, "the loss must return a 1×1 tensor, got {}×{}", shape.0, shape.1),
        }
    }
}

impl std::error::Error for AdError {}
