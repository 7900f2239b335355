//! Forward mode: a dual number `re + eps·ε` with ε² = 0, generic over its scalar so
//! that `Dual<Dual<f64>>` carries exact second derivatives.
//!
//! Every primitive goes through `Dual::chain` (private): given f(re) and f'(re) it returns
//! `f(re) + f'(re)·eps·ε`. That one line is the whole chain rule of forward mode.

use super::real::Real;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// A dual number: primal `re` and tangent `eps`.
///
/// ```
/// use ridge_rider::ad::{Dual, Real};
/// // f(x) = x³ at x = 2: f' = 12, f'' = 12 from a nested dual.
/// let x = Dual::new(Dual::new(2.0, 1.0), Dual::new(1.0, 0.0));
/// let y = x.powi(3);
/// assert_eq!(y.re.re, 8.0);
/// assert_eq!(y.eps.re, 12.0);
/// assert_eq!(y.eps.eps, 12.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Dual<T> {
    pub re: T,
    pub eps: T,
}

impl<T: Real> Dual<T> {
    pub fn new(re: T, eps: T) -> Self {
        Dual { re, eps }
    }
    /// The independent variable: tangent one.
    pub fn variable(re: T) -> Self {
        Dual { re, eps: T::one() }
    }
    /// The chain rule: the value `f` and derivative `df` of a function at `re`.
    #[inline]
    fn chain(self, f: T, df: T) -> Self {
        Dual { re: f, eps: df * self.eps }
    }
}

impl<T: Real> Real for Dual<T> {
    fn from_f64(x: f64) -> Self {
        Dual { re: T::from_f64(x), eps: T::zero() }
    }
    fn primal(&self) -> f64 {
        self.re.primal()
    }
    fn exp(self) -> Self {
        let e = self.re.exp();
        self.chain(e, e)
    }
    fn ln(self) -> Self {
        self.chain(self.re.ln(), T::one() / self.re)
    }
    fn ln_1p(self) -> Self {
        self.chain(self.re.ln_1p(), T::one() / (T::one() + self.re))
    }
    fn sqrt(self) -> Self {
        let s = self.re.sqrt();
        self.chain(s, T::from_f64(0.5) / s)
    }
    fn tanh(self) -> Self {
        let t = self.re.tanh();
        self.chain(t, T::one() - t * t)
    }
    fn sin(self) -> Self {
        self.chain(self.re.sin(), self.re.cos())
    }
    fn cos(self) -> Self {
        self.chain(self.re.cos(), -self.re.sin())
    }
    fn powi(self, n: i32) -> Self {
        if n == 0 {
            return Self::one();
        }
        let d = self.re.powi(n - 1);
        self.chain(d * self.re, d * T::from_f64(n as f64))
    }
    fn powf(self, p: f64) -> Self {
        let d = self.re.powf(p - 1.0);
        self.chain(d * self.re, d * T::from_f64(p))
    }
}

impl<T: Real> Add for Dual<T> {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Dual { re: self.re + o.re, eps: self.eps + o.eps }
    }
}
impl<T: Real> Sub for Dual<T> {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Dual { re: self.re - o.re, eps: self.eps - o.eps }
    }
}
impl<T: Real> Mul for Dual<T> {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        Dual { re: self.re * o.re, eps: self.eps * o.re + self.re * o.eps }
    }
}
impl<T: Real> Div for Dual<T> {
    type Output = Self;
    fn div(self, o: Self) -> Self {
        let inv = T::one() / o.re;
        let q = self.re * inv;
        Dual { re: q, eps: (self.eps - q * o.eps) * inv }
    }
}
impl<T: Real> Neg for Dual<T> {
    type Output = Self;
    fn neg(self) -> Self {
        Dual { re: -self.re, eps: -self.eps }
    }
}
impl<T: Real> AddAssign for Dual<T> {
    fn add_assign(&mut self, o: Self) {
        *self = *self + o;
    }
}
impl<T: Real> SubAssign for Dual<T> {
    fn sub_assign(&mut self, o: Self) {
        *self = *self - o;
    }
}
impl<T: Real> MulAssign for Dual<T> {
    fn mul_assign(&mut self, o: Self) {
        *self = *self * o;
    }
}
/// Arithmetic with plain `f64` constants on either side.
macro_rules! with_f64 {
    ($trait:ident, $method:ident) => {
        impl<T: Real> $trait<f64> for Dual<T> {
            type Output = Self;
            fn $method(self, c: f64) -> Self {
                $trait::$method(self, Self::from_f64(c))
            }
        }
        impl<T: Real> $trait<Dual<T>> for f64 {
            type Output = Dual<T>;
            fn $method(self, d: Dual<T>) -> Dual<T> {
                $trait::$method(Dual::<T>::from_f64(self), d)
            }
        }
    };
}
with_f64!(Add, add);
with_f64!(Sub, sub);
with_f64!(Mul, mul);
with_f64!(Div, div);

/// First derivative of a scalar function, exactly, by one dual evaluation.
///
/// ```
/// use ridge_rider::ad::{dual::derivative, Real};
/// let d = derivative(|x| x.exp() * x, 1.0);
/// assert!((d - 2.0 * 1f64.exp()).abs() < 1e-14);
/// ```
pub fn derivative(f: impl Fn(Dual<f64>) -> Dual<f64>, x: f64) -> f64 {
    f(Dual::variable(x)).eps
}

/// Second derivative of a scalar function, exactly, by one nested-dual evaluation.
///
/// ```
/// use ridge_rider::ad::{dual::second_derivative, Real};
/// let d2 = second_derivative(|x| x.tanh(), 0.5);
/// let t = 0.5f64.tanh();
/// assert!((d2 + 2.0 * t * (1.0 - t * t)).abs() < 1e-14);
/// ```
pub fn second_derivative(f: impl Fn(Dual<Dual<f64>>) -> Dual<Dual<f64>>, x: f64) -> f64 {
    f(Dual::new(Dual::variable(x), Dual::new(1.0, 0.0))).eps.eps
}
