//! User-defined elementwise functions: the vocabulary of the tape left open.
//!
//! A user writes the function once, generically over [`Real`] ([`ElementwiseFn`]); the
//! engine reaches it through [`Kernel`], which has one method per scalar type the
//! one-argument rules need (`f64` for values, `Dual<f64>` for first derivatives,
//! `Dual<Dual<f64>>` for second ones). Every `ElementwiseFn` is a `Kernel` by a blanket
//! impl, and so is the built-in [`Unary`]; the rules in `unary.rs` are generic over
//! `Kernel`, so each function gets its own monomorphised loops: no dynamic dispatch and
//! no allocation per element, for built-in and user functions alike. The tape stores
//! no function, only the derivatives evaluated when the node is recorded.

use super::elementwise::Unary;
use crate::ad::dual::Dual;
use crate::ad::real::Real;

/// An elementwise function a user adds to the engine, written once for every scalar
/// type: its first and second derivatives come from evaluating `apply` on nested duals,
/// exactly as for the built-in [`Unary`] functions. Apply it with
/// [`Var::elementwise`](crate::ad::Var::elementwise).
///
/// ```
/// use ridge_rider::ad::{gradient, hessian, loss_fn, ElementwiseFn, Real, Var};
/// /// The Gaussian bump e^(−x²).
/// struct Bump;
/// impl ElementwiseFn for Bump {
///     fn apply<T: Real>(&self, x: T) -> T {
///         (-(x * x)).exp()
///     }
/// }
/// let loss = loss_fn(1, |t: Var| t.elementwise(&Bump).sum());
/// let x = 0.5_f64;
/// let g = gradient(&loss, &[x]).unwrap().gradient[0];
/// assert!((g - (-2.0 * x * (-x * x).exp())).abs() < 1e-15);
/// let h = hessian(&loss, &[x]).unwrap()[0];
/// assert!((h - (4.0 * x * x - 2.0) * (-x * x).exp()).abs() < 1e-15);
/// ```
pub trait ElementwiseFn: Sync {
    /// The function at `x`, for any scalar type (`f64`, `Dual<f64>`, `Dual<Dual<f64>>`).
    /// Branch on [`Real::primal`], never on a derivative, so every type takes the same
    /// branch.
    fn apply<T: Real>(&self, x: T) -> T;
}

/// A reference to a function is the function, so `&F` can be passed where `F` is.
impl<F: ElementwiseFn + ?Sized> ElementwiseFn for &F {
    fn apply<T: Real>(&self, x: T) -> T {
        (**self).apply(x)
    }
}

/// What the one-argument rules evaluate: a function at the three scalar types they use.
/// Object safe (no generic method), though the rules take it as a type parameter.
pub(crate) trait Kernel: Sync {
    /// f(x).
    fn value(&self, x: f64) -> f64;
    /// f(x + ε): f and f'.
    fn first(&self, x: Dual<f64>) -> Dual<f64>;
    /// f on a nested dual: f, f' and f''.
    fn second(&self, x: Dual<Dual<f64>>) -> Dual<Dual<f64>>;
    /// Whether this is the built-in tanh, which has a vectorised slice kernel.
    fn is_tanh(&self) -> bool {
        false
    }
}

impl<F: ElementwiseFn + ?Sized> Kernel for F {
    #[inline]
    fn value(&self, x: f64) -> f64 {
        self.apply(x)
    }
    #[inline]
    fn first(&self, x: Dual<f64>) -> Dual<f64> {
        self.apply(x)
    }
    #[inline]
    fn second(&self, x: Dual<Dual<f64>>) -> Dual<Dual<f64>> {
        self.apply(x)
    }
}

impl Kernel for Unary {
    #[inline]
    fn value(&self, x: f64) -> f64 {
        Unary::apply(*self, x)
    }
    #[inline]
    fn first(&self, x: Dual<f64>) -> Dual<f64> {
        Unary::apply(*self, x)
    }
    #[inline]
    fn second(&self, x: Dual<Dual<f64>>) -> Dual<Dual<f64>> {
        Unary::apply(*self, x)
    }
    fn is_tanh(&self) -> bool {
        *self == Unary::Tanh
    }
}
