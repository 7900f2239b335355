//! The periodic, piecewise and user-defined parts of [`Var`]'s vocabulary: `sin`, `cos`,
//! `max`, `min`, `clamp` and [`Var::elementwise`]. Each is a built-in [`Unary`] or
//! [`Binary`] function (or the user's [`ElementwiseFn`]) run through the same rules as
//! `tanh` or `*`, so its derivatives come from its one generic definition on duals.
//! Beside them, [`Var::stop_gradient`] (a value with no derivatives, recorded as a
//! detached node) and DiCE's [`Var::magic_box`] built on it.

use super::custom::ElementwiseFn;
use super::elementwise::{binary, Binary, Unary};
use super::unary::unary;
use super::Op;
use crate::ad::tape::{Node, Var};

/// The second operand of [`Var::max`] and [`Var::min`]: a tensor, or an `f64` constant
/// broadcast to the other operand's shape (as in `x + 1.0`).
///
/// ```
/// use ridge_rider::ad::{IntoVar, Mode, Tape};
/// let tape = Tape::new(Mode::Value);
/// let x = tape.constant(2, 1, vec![1.0, 2.0]);
/// assert_eq!(1.5.into_var(x).item(), 1.5);
/// assert_eq!(x.into_var(x).value().to_vec(), vec![1.0, 2.0]);
/// ```
pub trait IntoVar<'t> {
    /// This operand on the tape of `like` (a constant, for an `f64`).
    fn into_var(self, like: Var<'t>) -> Var<'t>;
}

impl<'t> IntoVar<'t> for Var<'t> {
    fn into_var(self, _like: Var<'t>) -> Var<'t> {
        self
    }
}

impl<'t> IntoVar<'t> for f64 {
    fn into_var(self, like: Var<'t>) -> Var<'t> {
        like.tape().scalar(self)
    }
}

impl<'t> Var<'t> {
    /// Elementwise sine (radians), for periodic losses such as Rastrigin's; its
    /// derivatives are cos and −sin.
    ///
    /// ```
    /// use ridge_rider::ad::{gradient, hessian, loss_fn, Var};
    /// let f = loss_fn(2, |t: Var| t.sin().sum());
    /// let x = [0.3, -1.2];
    /// assert_eq!(gradient(&f, &x).unwrap().gradient, vec![0.3_f64.cos(), (-1.2_f64).cos()]);
    /// assert_eq!(hessian(&f, &x).unwrap(), vec![-0.3_f64.sin(), 0.0, 0.0, -(-1.2_f64).sin()]);
    /// ```
    pub fn sin(self) -> Var<'t> {
        unary(self, &Unary::Sin)
    }
    /// Elementwise cosine (radians); its derivatives are −sin and −cos.
    ///
    /// ```
    /// use ridge_rider::ad::{hessian, loss_fn, Var};
    /// // The Hessian of Σ cos θᵢ is diag(−cos θᵢ).
    /// let f = loss_fn(2, |t: Var| t.cos().sum());
    /// assert_eq!(hessian(&f, &[0.0, 2.0]).unwrap(), vec![-1.0, 0.0, 0.0, -2.0_f64.cos()]);
    /// ```
    pub fn cos(self) -> Var<'t> {
        unary(self, &Unary::Cos)
    }
    /// Elementwise max(self, other), for hinges and piecewise losses. `other` is a
    /// tensor of the same shape (or one that broadcasts, as for `+`), or an `f64`.
    ///
    /// Subgradient rule ([`Real::max`](crate::ad::Real::max)): the derivative goes to the
    /// larger side; at a tie it goes to `self`, the receiver, and `other` gets 0. So
    /// `x.max(0.0)` has derivative 1 at x = 0, unlike [`Var::relu`] (0 there). Second
    /// derivatives are 0 (almost everywhere: everywhere but at ties, where there is none).
    ///
    /// ```
    /// use ridge_rider::ad::{gradient, loss_fn, Var};
    /// let f = loss_fn(2, |t: Var| t.at(0).max(t.at(1)));
    /// assert_eq!(gradient(&f, &[1.0, 2.0]).unwrap().gradient, vec![0.0, 1.0]);
    /// assert_eq!(gradient(&f, &[1.0, 1.0]).unwrap().gradient, vec![1.0, 0.0]); // a tie
    /// let hinge = loss_fn(3, |t: Var| t.max(0.0).sum());
    /// assert_eq!(gradient(&hinge, &[-1.0, 0.0, 2.0]).unwrap().gradient, vec![0.0, 1.0, 1.0]);
    /// ```
    ///
    /// # Panics
    /// If the shapes do not broadcast or the operands come from different tapes (a
    /// programming error).
    pub fn max(self, other: impl IntoVar<'t>) -> Var<'t> {
        binary(self, other.into_var(self), Binary::Max)
    }
    /// Elementwise min(self, other); the mirror of [`Var::max`], with the same operands.
    ///
    /// Subgradient rule ([`Real::min`](crate::ad::Real::min)): the derivative goes to the
    /// smaller side; at a tie it goes to `self` and `other` gets 0. Second derivatives
    /// are 0 almost everywhere.
    ///
    /// ```
    /// use ridge_rider::ad::{gradient, loss_fn, Var};
    /// let f = loss_fn(2, |t: Var| t.at(0).min(t.at(1)));
    /// assert_eq!(gradient(&f, &[1.0, 2.0]).unwrap().gradient, vec![1.0, 0.0]);
    /// assert_eq!(gradient(&f, &[2.0, 2.0]).unwrap().gradient, vec![1.0, 0.0]); // a tie
    /// let capped = loss_fn(2, |t: Var| t.min(1.0).sum());
    /// assert_eq!(gradient(&capped, &[0.5, 3.0]).unwrap().gradient, vec![1.0, 0.0]);
    /// ```
    ///
    /// # Panics
    /// As [`Var::max`].
    pub fn min(self, other: impl IntoVar<'t>) -> Var<'t> {
        binary(self, other.into_var(self), Binary::Min)
    }
    /// Each element limited to `[lo, hi]`: box constraints and clipped activations.
    ///
    /// Subgradient rule ([`Real::clamp`](crate::ad::Real::clamp)): derivative 1 on the
    /// closed interval lo ≤ x ≤ hi (at a bound the value is x itself, so the boundary
    /// counts as inside) and 0 strictly outside, where the value is the constant bound.
    /// Second derivatives are 0 almost everywhere.
    ///
    /// ```
    /// use ridge_rider::ad::{gradient, loss_fn, Var};
    /// let f = loss_fn(4, |t: Var| t.clamp(-1.0, 1.0).sum());
    /// let g = gradient(&f, &[-2.0, -1.0, 0.5, 1.5]).unwrap();
    /// assert_eq!(g.value, -1.0 - 1.0 + 0.5 + 1.0);
    /// assert_eq!(g.gradient, vec![0.0, 1.0, 1.0, 0.0]);
    /// ```
    ///
    /// # Panics
    /// If `lo > hi` or a bound is NaN (a programming error).
    pub fn clamp(self, lo: f64, hi: f64) -> Var<'t> {
        assert!(lo <= hi, "clamp: lo = {lo} must not exceed hi = {hi}");
        unary(self, &Unary::Clamp { lo, hi })
    }
    /// Apply a user-defined [`ElementwiseFn`] to every element: the engine evaluates it on
    /// `f64` for the values and on (nested) duals for the derivatives the tape needs,
    /// through the same rules as the built-in [`Var::map`].
    ///
    /// ```
    /// use ridge_rider::ad::{gradient, loss_fn, ElementwiseFn, Real, Var};
    /// /// A smooth |x|: √(x² + 1) − 1.
    /// struct SmoothAbs;
    /// impl ElementwiseFn for SmoothAbs {
    ///     fn apply<T: Real>(&self, x: T) -> T {
    ///         (x * x + T::one()).sqrt() - T::one()
    ///     }
    /// }
    /// let f = loss_fn(2, |t: Var| t.elementwise(&SmoothAbs).sum());
    /// let g = gradient(&f, &[0.0, 3.0]).unwrap();
    /// assert_eq!(g.gradient[0], 0.0);
    /// assert!((g.gradient[1] - 3.0 / 10f64.sqrt()).abs() < 1e-15);
    /// ```
    pub fn elementwise<F: ElementwiseFn + ?Sized>(self, f: &F) -> Var<'t> {
        unary(self, f)
    }

    /// The same value with no derivative of any order: the tape records it as a node
    /// with no inputs (like a constant), so neither a tangent (forward mode, the tangent
    /// sweeps of HVPs and [`HessianAt`](crate::ad::HessianAt)) nor an adjoint passes
    /// through it. Surrogate losses such as DiCE's are built from it: a term that is
    /// there for its value only, or one that is there for its derivatives only
    /// (`x − x.stop_gradient()` is 0 with the derivatives of x).
    ///
    /// ```
    /// use ridge_rider::ad::{gradient, hessian, loss_fn, Var};
    /// // x·⊥x: the value x², the derivative of x times the constant ⊥x = x, so ∂ = x
    /// // (not 2x) and the second derivative 0 (not 2).
    /// let f = loss_fn(1, |t: Var| (t * t.stop_gradient()).sum());
    /// let g = gradient(&f, &[3.0]).unwrap();
    /// assert_eq!((g.value, g.gradient), (9.0, vec![3.0]));
    /// assert_eq!(hessian(&f, &[3.0]).unwrap(), vec![0.0]);
    /// ```
    pub fn stop_gradient(self) -> Var<'t> {
        let (rows, cols, value, active, pooled) = {
            let nodes = self.tape.nodes.borrow();
            let n = &nodes[self.id];
            (n.rows, n.cols, n.value.clone(), n.active, n.op.value_is_pooled())
        };
        if !active {
            return self; // a constant already has no derivatives
        }
        let node = Node { op: Op::Detached { pooled }, rows, cols, value, active: false, sparse: None };
        self.tape.push_node(node, None)
    }

    /// DiCE's magic box □(τ) = exp(τ − ⊥τ), elementwise (Foerster et al. 2018): its
    /// value is exactly 1 and its derivatives are those of the likelihood ratio
    /// π_θ/π_θ₀ at θ₀ for τ = log π_θ: ∇□ = ∇τ, ∇²□ = ∇²τ + ∇τ∇τᵀ, and so on to every
    /// order. Multiplying a sampled return by □(Σ log π) makes a loss whose value is the
    /// return and whose derivatives of every order are unbiased estimates of the
    /// expected return's.
    ///
    /// ```
    /// use ridge_rider::ad::{gradient, hessian, loss_fn, Var};
    /// // τ = x²: □ = 1, ∇□ = 2x, ∇²□ = 2 + (2x)².
    /// let f = loss_fn(1, |t: Var| (t * t).magic_box().sum());
    /// let g = gradient(&f, &[3.0]).unwrap();
    /// assert_eq!((g.value, g.gradient), (1.0, vec![6.0]));
    /// assert_eq!(hessian(&f, &[3.0]).unwrap(), vec![38.0]);
    /// ```
    pub fn magic_box(self) -> Var<'t> {
        (self - self.stop_gradient()).exp()
    }
}
