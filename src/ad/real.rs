//! The scalar trait every differentiable number implements: `f32`, `f64` and
//! [`Dual<T>`](super::Dual) (so duals nest).
//!
//! Primitives (`exp`, `ln`, `ln_1p`, `sqrt`, `tanh`, `powi`, `powf`) are defined per
//! type; the Dual implementation writes each one once through a single chain rule.
//! Composite functions (`sigmoid`, `softplus`, `relu`, `abs`, `log_sum_exp`) are default
//! methods written once in terms of the primitives, so they work for every `Real`.

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
