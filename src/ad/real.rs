//! The scalar trait every differentiable number implements: `f32`, `f64` and
//! [`Dual<T>`](super::Dual) (so duals nest).
//!
//! Primitives (`exp`, `ln`, `ln_1p`, `sqrt`, `tanh`, `sin`, `cos`, `powi`, `powf`) are
//! defined per type; the Dual implementation writes each one once through a single chain
//! rule. Composite functions (`sigmoid`, `softplus`, `relu`, `abs`, `max`, `min`,
//! `clamp`, `log_sum_exp`) are default methods written once in terms of the primitives,
//! so they work for every `Real`.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// A number the autodiff engine can compute with.
///
/// ```
/// use ridge_rider::ad::{Dual, Real};
/// // d/dx softplus(x) at 0 is sigmoid(0) = 1/2.
/// let y = Dual::variable(0.0_f64).softplus();
/// assert!((y.eps - 0.5).abs() < 1e-15);
/// ```
pub trait Real:
    Copy
    + Debug
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
{
    /// A constant (zero tangent).
    fn from_f64(x: f64) -> Self;
    /// The innermost primal value, used for branching (relu, abs, max).
    fn primal(&self) -> f64;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    /// ln(1 + x), accurate for small x.
    fn ln_1p(self) -> Self;
    fn sqrt(self) -> Self;
    fn tanh(self) -> Self;
    /// The sine (radians): periodic losses such as Rastrigin's.
    ///
    /// ```
    /// use ridge_rider::ad::{dual::second_derivative, Dual, Real};
    /// // sin' = cos and sin'' = −sin, from nested duals.
    /// assert_eq!(Dual::variable(0.5_f64).sin().eps, 0.5_f64.cos());
    /// assert_eq!(second_derivative(|x| x.sin(), 0.5), -0.5_f64.sin());
    /// ```
    fn sin(self) -> Self;
    /// The cosine (radians).
    ///
    /// ```
    /// use ridge_rider::ad::{dual::second_derivative, Dual, Real};
    /// // cos' = −sin and cos'' = −cos, from nested duals.
    /// assert_eq!(Dual::variable(0.5_f64).cos().eps, -0.5_f64.sin());
    /// assert_eq!(second_derivative(|x| x.cos(), 0.5), -0.5_f64.cos());
    /// ```
    fn cos(self) -> Self;
    fn powi(self, n: i32) -> Self;
    fn powf(self, p: f64) -> Self;

    fn zero() -> Self {
        Self::from_f64(0.0)
    }
    fn one() -> Self {
        Self::from_f64(1.0)
    }
    /// 1 / (1 + e^(−x)), evaluated without overflow for either sign.
    fn sigmoid(self) -> Self {
        if self.primal() >= 0.0 {
            Self::one() / (Self::one() + (-self).exp())
        } else {
            let e = self.exp();
            e / (Self::one() + e)
        }
    }
    /// ln(1 + e^x), evaluated without overflow for either sign.
    fn softplus(self) -> Self {
        if self.primal() > 0.0 {
            self + (-self).exp().ln_1p()
        } else {
            self.exp().ln_1p()
        }
    }
    /// max(x, 0); the derivative at 0 is taken as 0.
    fn relu(self) -> Self {
        if self.primal() > 0.0 {
            self
        } else {
            self * Self::zero()
        }
    }
    /// |x|; the derivative at 0 is taken as +1.
    fn abs(self) -> Self {
        if self.primal() < 0.0 {
            -self
        } else {
            self
        }
    }
    /// The larger of `self` and `other`, for hinge- and clipping-style losses.
    ///
    /// Subgradient rule: the derivative is that of the side returned, and at a tie
    /// (`self == other`) that side is `self`, so the derivative with respect to `self` is 1
    /// and with respect to `other` is 0. The second derivative is 0 except at ties. A NaN
    /// on either side is returned (NaN propagates).
    ///
    /// ```
    /// use ridge_rider::ad::{Dual, Real};
    /// let (a, b) = (Dual::new(2.0_f64, 1.0), Dual::new(2.0, 0.0));
    /// // A tie: the derivative follows the first argument.
    /// assert_eq!(Real::max(a, b).eps, 1.0);
    /// assert_eq!(Real::max(b, a).eps, 0.0);
    /// ```
    fn max(self, other: Self) -> Self {
        if self.primal() >= other.primal() || self.primal().is_nan() {
            self
        } else {
            other
        }
    }
    /// The smaller of `self` and `other`; the mirror of [`Real::max`].
    ///
    /// Subgradient rule: the derivative is that of the side returned, and at a tie that
    /// side is `self`. The second derivative is 0 except at ties; NaN propagates.
    ///
    /// ```
    /// use ridge_rider::ad::{Dual, Real};
    /// let (a, b) = (Dual::new(1.0_f64, 1.0), Dual::new(3.0, 0.0));
    /// assert_eq!(Real::min(a, b), a);
    /// assert_eq!(Real::min(Dual::new(3.0, 1.0), b).eps, 1.0); // tie: the first argument
    /// ```
    fn min(self, other: Self) -> Self {
        if self.primal() <= other.primal() || self.primal().is_nan() {
            self
        } else {
            other
        }
    }
    /// `self` limited to `[lo, hi]`: a box constraint or a clipped activation.
    ///
    /// Subgradient rule: the derivative is 1 on the closed interval `lo ≤ x ≤ hi`
    /// (the boundary counts as inside: at `x == lo` or `x == hi` the value is `x` itself)
    /// and 0 strictly outside, where the value is the constant bound. The second
    /// derivative is 0 except at the boundary. A NaN `self` is returned as NaN.
    ///
    /// ```
    /// use ridge_rider::ad::{Dual, Real};
    /// let at = |x: f64| Dual::variable(x).clamp(-1.0, 1.0);
    /// assert_eq!((at(0.5).re, at(0.5).eps), (0.5, 1.0));
    /// assert_eq!((at(3.0).re, at(3.0).eps), (1.0, 0.0));
    /// assert_eq!((at(-1.0).re, at(-1.0).eps), (-1.0, 1.0)); // the boundary: inside
    /// ```
    ///
    /// # Panics
    /// If `lo > hi` or either bound is NaN (a programming error).
    fn clamp(self, lo: f64, hi: f64) -> Self {
        assert!(lo <= hi, "clamp: lo = {lo} must not exceed hi = {hi}");
        let x = self.primal();
        if x < lo {
            Self::from_f64(lo)
        } else if x > hi {
            Self::from_f64(hi)
        } else {
            self
        }
    }
    /// ln Σ e^{x_i}, shifted by the largest primal so it never overflows.
    /// Returns −∞ for an empty slice.
    fn log_sum_exp(xs: &[Self]) -> Self {
        let Some(m) = xs.iter().map(|x| x.primal()).fold(None, |acc: Option<f64>, v| Some(acc.map_or(v, |a| a.max(v))))
        else {
            return Self::from_f64(f64::NEG_INFINITY);
        };
        if !m.is_finite() {
            return Self::from_f64(m);
        }
        let shift = Self::from_f64(m);
        let mut s = Self::zero();
        for &x in xs {
            s += (x - shift).exp();
        }
        shift + s.ln()
    }
}

macro_rules! impl_real_float {
    ($t:ty) => {
        impl Real for $t {
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            fn primal(&self) -> f64 {
                *self as f64
            }
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            fn tanh(self) -> Self {
                tanh_of(self)
            }
            fn sin(self) -> Self {
                <$t>::sin(self)
            }
            fn cos(self) -> Self {
                <$t>::cos(self)
            }
            fn powi(self, n: i32) -> Self {
                <$t>::powi(self, n)
            }
            fn powf(self, p: f64) -> Self {
                <$t>::powf(self, p as $t)
            }
        }
    };
}
/// f64 uses the engine's own vectorisable tanh (so the tape's slice kernel and nested
/// duals agree to the bit); f32 keeps libm's.
trait TanhOf {
    fn tanh_of(self) -> Self;
}
impl TanhOf for f32 {
    fn tanh_of(self) -> f32 {
        self.tanh()
    }
}
impl TanhOf for f64 {
    fn tanh_of(self) -> f64 {
        super::elementary::tanh(self)
    }
}
fn tanh_of<T: TanhOf>(x: T) -> T {
    x.tanh_of()
}

impl_real_float!(f32);
impl_real_float!(f64);
