//! The open vocabulary of the engine (sin, cos, max, min, clamp and user-defined
//! elementwise functions) against independent references: central differences, closed
//! forms written as plain `f64` code, and the built-in functions.
#![allow(clippy::needless_range_loop)]

use proptest::prelude::*;
use ridge_rider::ad::check::{finite_difference_gradient, finite_difference_hvp, relative_error};
use ridge_rider::ad::{
    gradient, hessian, hessian_vector_product, loss_fn, value, ElementwiseFn, HessianAt, Loss, Real, Var,
};
use std::f64::consts::PI;

fn vec_strategy(n: usize, scale: f64) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(-scale..scale, n)
}

/// |a − b| ≤ tol·(1 + |b|) elementwise.
fn close(a: &[f64], b: &[f64], tol: f64) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        prop_assert!((x - y).abs() <= tol * (1.0 + y.abs()), "element {}: {} vs {}", i, x, y);
    }
    Ok(())
}

/// H·v for a row-major n×n H.
fn mat_vec(h: &[f64], v: &[f64]) -> Vec<f64> {
    let n = v.len();
    (0..n).map(|i| (0..n).map(|j| h[i * n + j] * v[j]).sum()).collect()
}

/// Gradient and HVP against central differences; the dense Hessian against the HVP;
/// the loss recorded once ([`HessianAt`]) against the fresh sweeps.
fn check_fd(loss: &impl Loss, theta: &[f64], v: &[f64]) -> Result<(), TestCaseError> {
    let g = gradient(loss, theta).unwrap().gradient;
    let e = relative_error(&g, &finite_difference_gradient(loss, theta, 1e-6).unwrap());
    prop_assert!(e < 1e-7, "gradient rel err {}", e);
    let hv = hessian_vector_product(loss, theta, v).unwrap().hv;
    let e = relative_error(&hv, &finite_difference_hvp(loss, theta, v, 1e-4).unwrap());
    prop_assert!(e < 1e-6, "hvp rel err {}", e);
    close(&mat_vec(&hessian(loss, theta).unwrap(), v), &hv, 1e-12)?;
    let at = HessianAt::new(loss, theta).unwrap();
    close(&at.hessian_vector_product(v).unwrap(), &hv, 1e-12)
}

/// f(x) = x·sin x + cos² x, a user function with closed-form derivatives.
struct Wiggle;
impl ElementwiseFn for Wiggle {
    fn apply<T: Real>(&self, x: T) -> T {
        x * x.sin() + x.cos() * x.cos()
    }
}
fn wiggle_d1(x: f64) -> f64 {
    x.sin() + x * x.cos() - 2.0 * x.cos() * x.sin()
}
fn wiggle_d2(x: f64) -> f64 {
    2.0 * x.cos() - x * x.sin() - 2.0 * (2.0 * x).cos()
}

/// tanh through exp, 1 − 2/(e^(2x) + 1): the built-in's formula by other arithmetic.
struct TanhViaExp;
impl ElementwiseFn for TanhViaExp {
    fn apply<T: Real>(&self, x: T) -> T {
        let two = T::from_f64(2.0);
        T::one() - two / ((x * two).exp() + T::one())
    }
}

/// The built-in sigmoid's own definition, as a user function.
struct UserSigmoid;
impl ElementwiseFn for UserSigmoid {
    fn apply<T: Real>(&self, x: T) -> T {
        x.sigmoid()
    }
}

/// Every new function in one loss, on n = 6 parameters: sin, cos, max and min of two
/// tensors and with a scalar, clamp, a user function.
const N: usize = 6;
fn mixed_loss() -> impl Loss {
    loss_fn(N, |t: Var| {
        let next = t.gather(&[1, 2, 3, 4, 5, 0]);
        let smooth = (t.sin() * next.cos()).sum();
        let m = t.max(next);
        let hinge = (m * m * 0.5).sum() + (t.min(0.5) * t).sum();
        let clipped = ((t * 1.5).clamp(-1.0, 1.0) * t.sin()).sum();
        smooth + hinge + clipped + t.elementwise(&Wiggle).sum() + (t.cos().min(t.sin()) * t).sum()
    })
}
/// The arguments whose sign flips a branch of [`mixed_loss`], for keeping finite
/// differences off them.
fn kinks(t: &[f64]) -> Vec<f64> {
    let mut k = Vec::new();
    for i in 0..N {
        let x = t[i];
        k.extend([x - t[(i + 1) % N], x - 0.5, 1.5 * x - 1.0, 1.5 * x + 1.0, x.cos() - x.sin()]);
    }
    k
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Σ aᵢ sin θᵢ + bᵢ cos θᵢ: ∇ = a cos θ − b sin θ, H = diag(−a sin θ − b cos θ).
    #[test]
    fn sin_cos_match_closed_forms(theta in vec_strategy(5, 4.0), a in vec_strategy(5, 2.0), b in vec_strategy(5, 2.0), v in vec_strategy(5, 1.0)) {
        let (ac, bc) = (a.clone(), b.clone());
        let loss = loss_fn(5, move |t: Var| {
            let tape = t.tape();
            let (a, b) = (tape.constant(5, 1, ac.clone()), tape.constant(5, 1, bc.clone()));
            (a * t.sin() + b * t.cos()).sum()
        });
        let want_value: f64 = (0..5).map(|i| a[i] * theta[i].sin() + b[i] * theta[i].cos()).sum();
        prop_assert!((value(&loss, &theta).unwrap() - want_value).abs() <= 1e-13 * (1.0 + want_value.abs()));
        let want_g: Vec<f64> = (0..5).map(|i| a[i] * theta[i].cos() - b[i] * theta[i].sin()).collect();
        close(&gradient(&loss, &theta).unwrap().gradient, &want_g, 1e-13)?;
        let diag: Vec<f64> = (0..5).map(|i| -a[i] * theta[i].sin() - b[i] * theta[i].cos()).collect();
        let h = hessian(&loss, &theta).unwrap();
        let want_h: Vec<f64> = (0..25).map(|k| if k % 6 == 0 { diag[k / 6] } else { 0.0 }).collect();
        close(&h, &want_h, 1e-13)?;
        let want_hv: Vec<f64> = (0..5).map(|i| diag[i] * v[i]).collect();
        close(&hessian_vector_product(&loss, &theta, &v).unwrap().hv, &want_hv, 1e-13)?;
        check_fd(&loss, &theta, &v)?;
    }

    /// The Hessian of Σ cos θᵢ is diag(−cos θᵢ), to the bit (the nested duals give −cos
    /// exactly, and ȳ = 1).
    #[test]
    fn hessian_of_sum_cos_is_minus_cos(theta in vec_strategy(4, 10.0)) {
        let h = hessian(&loss_fn(4, |t: Var| t.cos().sum()), &theta).unwrap();
        for i in 0..4 {
            for j in 0..4 {
                let want = if i == j { -theta[i].cos() } else { 0.0 };
                prop_assert_eq!(h[i * 4 + j], want);
            }
        }
    }

    /// All the new functions together, away from their kinks, against central differences.
    #[test]
    fn mixed_loss_matches_finite_differences(theta in vec_strategy(N, 2.0), v in vec_strategy(N, 1.0)) {
        prop_assume!(kinks(&theta).iter().all(|k| k.abs() > 1e-3));
        check_fd(&mixed_loss(), &theta, &v)?;
    }

    /// L = Σ max(aᵢ, bᵢ)³/3 + sin(min(aᵢ, bᵢ)) + clamp(aᵢ, −1, 1)² for θ = (a, b), against
    /// the same function's derivatives written branch by branch in plain f64 (ties go to a).
    #[test]
    fn max_min_clamp_match_closed_forms(theta in vec_strategy(8, 2.0), v in vec_strategy(8, 1.0), ties in proptest::collection::vec(any::<bool>(), 4)) {
        let mut theta = theta;
        for i in 0..4 {
            if ties[i] {
                theta[4 + i] = theta[i];
            }
        }
        let loss = loss_fn(8, |t: Var| {
            let (a, b) = (t.slice(0, 4), t.slice(4, 4));
            (a.max(b).powi(3) / 3.0 + a.min(b).sin() + a.clamp(-1.0, 1.0).powi(2)).sum()
        });
        let (mut g, mut h) = (vec![0.0; 8], vec![0.0; 64]);
        let mut want_value = 0.0;
        for i in 0..4 {
            let (a, b) = (theta[i], theta[4 + i]);
            let hi = if a >= b { i } else { 4 + i };
            let (m, s) = (a.max(b), a.min(b));
            let s_at = if a <= b { i } else { 4 + i };
            let inside = (-1.0..=1.0).contains(&a);
            want_value += m.powi(3) / 3.0 + s.sin() + a.clamp(-1.0, 1.0).powi(2);
            g[hi] += m * m;
            h[hi * 9] += 2.0 * m;
            g[s_at] += s.cos();
            h[s_at * 9] -= s.sin();
            if inside {
                g[i] += 2.0 * a;
                h[i * 9] += 2.0;
            }
        }
        prop_assert!((value(&loss, &theta).unwrap() - want_value).abs() <= 1e-13 * (1.0 + want_value.abs()));
        close(&gradient(&loss, &theta).unwrap().gradient, &g, 1e-13)?;
        close(&hessian(&loss, &theta).unwrap(), &h, 1e-13)?;
        close(&hessian_vector_product(&loss, &theta, &v).unwrap().hv, &mat_vec(&h, &v), 1e-13)?;
        close(&HessianAt::new(&loss, &theta).unwrap().hessian_vector_product(&v).unwrap(), &mat_vec(&h, &v), 1e-13)?;
    }

    /// A user function: value, gradient and Hessian against its closed form, and central
    /// differences; on a matrix-shaped tensor.
    #[test]
    fn user_function_matches_closed_forms(theta in vec_strategy(6, 3.0), v in vec_strategy(6, 1.0)) {
        let loss = loss_fn(6, |t: Var| t.reshape(2, 3).elementwise(&Wiggle).sum());
        let want_g: Vec<f64> = theta.iter().map(|&x| wiggle_d1(x)).collect();
        close(&gradient(&loss, &theta).unwrap().gradient, &want_g, 1e-13)?;
        let h = hessian(&loss, &theta).unwrap();
        let want_h: Vec<f64> = (0..36).map(|k| if k % 7 == 0 { wiggle_d2(theta[k / 7]) } else { 0.0 }).collect();
        close(&h, &want_h, 1e-12)?;
        check_fd(&loss, &theta, &v)?;
    }

    /// A user tanh through exp agrees with the built-in (vectorised) tanh to 1e-12 in
    /// value, gradient and HVP, inside a loss with other operations around it.
    #[test]
    fn user_tanh_matches_builtin(theta in vec_strategy(6, 3.0), v in vec_strategy(6, 1.0)) {
        let builtin = loss_fn(6, |t: Var| ((t * 0.7 + 0.1).tanh() * t.sin()).sum());
        let user = loss_fn(6, |t: Var| ((t * 0.7 + 0.1).elementwise(&TanhViaExp) * t.sin()).sum());
        let (hb, hu) = (
            hessian_vector_product(&builtin, &theta, &v).unwrap(),
            hessian_vector_product(&user, &theta, &v).unwrap(),
        );
        prop_assert!((hb.value - hu.value).abs() <= 1e-12 * (1.0 + hb.value.abs()));
        close(&hu.gradient, &hb.gradient, 1e-12)?;
        close(&hu.hv, &hb.hv, 1e-12)?;
    }

    /// A user function with the built-in's own definition gives the built-in's numbers to
    /// the bit: the same rules, the same arithmetic.
    #[test]
    fn user_function_with_builtin_formula_is_bit_identical(theta in vec_strategy(5, 6.0), v in vec_strategy(5, 1.0)) {
        let builtin = loss_fn(5, |t: Var| (t.sigmoid() * t.cos()).sum());
        let user = loss_fn(5, |t: Var| (t.elementwise(&UserSigmoid) * t.cos()).sum());
        let (hb, hu) = (
            hessian_vector_product(&builtin, &theta, &v).unwrap(),
            hessian_vector_product(&user, &theta, &v).unwrap(),
        );
        prop_assert_eq!(hb.value.to_bits(), hu.value.to_bits());
        prop_assert_eq!(hb.gradient, hu.gradient);
        prop_assert_eq!(hb.hv, hu.hv);
    }

    /// Rastrigin in 20 dimensions, 10·d + Σ (xᵢ² − 10 cos 2πxᵢ): ∇ᵢ = 2xᵢ + 20π sin 2πxᵢ,
    /// H = diag(2 + 40π² cos 2πxᵢ), through `hessian` and HVPs.
    #[test]
    fn rastrigin_20d_matches_closed_forms(theta in vec_strategy(20, 5.12), v in vec_strategy(20, 1.0)) {
        const D: usize = 20;
        let rastrigin = loss_fn(D, |t: Var| 10.0 * D as f64 + (t * t - 10.0 * (t * (2.0 * PI)).cos()).sum());
        let want_value = 10.0 * D as f64 + theta.iter().map(|&x| x * x - 10.0 * (2.0 * PI * x).cos()).sum::<f64>();
        prop_assert!((value(&rastrigin, &theta).unwrap() - want_value).abs() <= 1e-12 * want_value.abs().max(1.0));
        let want_g: Vec<f64> = theta.iter().map(|&x| 2.0 * x + 20.0 * PI * (2.0 * PI * x).sin()).collect();
        close(&gradient(&rastrigin, &theta).unwrap().gradient, &want_g, 1e-12)?;
        let diag: Vec<f64> = theta.iter().map(|&x| 2.0 + 40.0 * PI * PI * (2.0 * PI * x).cos()).collect();
        let h = hessian(&rastrigin, &theta).unwrap();
        let want_h: Vec<f64> = (0..D * D).map(|k| if k % (D + 1) == 0 { diag[k / (D + 1)] } else { 0.0 }).collect();
        close(&h, &want_h, 1e-12)?;
        let want_hv: Vec<f64> = (0..D).map(|i| diag[i] * v[i]).collect();
        close(&hessian_vector_product(&rastrigin, &theta, &v).unwrap().hv, &want_hv, 1e-12)?;
    }

    /// At ties and bounds the derivatives follow the documented rules exactly, at any
    /// point and in either operand order: max/min pass the derivative to the receiver,
    /// clamp passes 1 on the closed interval and 0 outside; all second derivatives are 0.
    #[test]
    fn ties_and_bounds_follow_the_rule(x in -3.0..3.0f64, lo in -2.0..0.0f64, width in 0.0..2.0f64) {
        let hi = lo + width;
        let max = loss_fn(2, |t: Var| t.at(0).max(t.at(1)));
        let min = loss_fn(2, |t: Var| t.at(0).min(t.at(1)));
        for f in [&max as &dyn Loss, &min] {
            prop_assert_eq!(gradient(&f, &[x, x]).unwrap().gradient, vec![1.0, 0.0]);
            prop_assert_eq!(hessian(&f, &[x, x]).unwrap(), vec![0.0; 4]);
        }
        // With a scalar (a broadcast constant) the receiver gets the derivative at a tie.
        let g = gradient(&loss_fn(1, move |t: Var| t.max(x) + t.min(x)), &[x]).unwrap().gradient;
        prop_assert_eq!(g, vec![2.0]);
        // The same node on both sides: the derivative is counted once.
        let g = gradient(&loss_fn(1, |t: Var| t.max(t) + t.min(t)), &[x]).unwrap().gradient;
        prop_assert_eq!(g, vec![2.0]);
        // A square through a tie: second order follows the receiver too.
        let sq = loss_fn(2, |t: Var| t.at(0).max(t.at(1)).powi(2));
        prop_assert_eq!(hessian(&sq, &[x, x]).unwrap(), vec![2.0, 0.0, 0.0, 0.0]);
        // clamp: 1 at and between the bounds, 0 outside, second derivative 0.
        let clamp = loss_fn(5, move |t: Var| t.clamp(lo, hi).sum());
        let at = [lo - 0.5, lo, 0.5 * (lo + hi), hi, hi + 0.5];
        prop_assert_eq!(gradient(&clamp, &at).unwrap().gradient, vec![0.0, 1.0, 1.0, 1.0, 0.0]);
        prop_assert_eq!(hessian(&clamp, &at).unwrap(), vec![0.0; 25]);
        prop_assert_eq!(value(&clamp, &at).unwrap(), lo + lo + (0.5 * (lo + hi)) + hi + hi);
    }
}

/// The rules on plain numbers and duals, NaN included.
#[test]
fn real_max_min_clamp_on_numbers() {
    use ridge_rider::ad::Dual;
    let nan = f64::NAN;
    assert!(Real::max(nan, 1.0).is_nan() && Real::max(1.0, nan).is_nan());
    assert!(Real::min(nan, 1.0).is_nan() && Real::min(1.0, nan).is_nan());
    assert!(Real::clamp(nan, 0.0, 1.0).is_nan());
    let (a, b) = (Dual::new(1.0, 3.0), Dual::new(1.0, 5.0));
    assert_eq!((Real::max(a, b).eps, Real::max(b, a).eps), (3.0, 5.0));
    assert_eq!((Real::min(a, b).eps, Real::min(b, a).eps), (3.0, 5.0));
    assert_eq!(Real::clamp(Dual::new(2.0, 1.0), 2.0, 2.0), Dual::new(2.0, 1.0));
    assert_eq!(Real::clamp(Dual::new(2.5, 1.0), 2.0, 2.0), Dual::new(2.0, 0.0));
}

#[test]
#[should_panic(expected = "clamp")]
fn clamp_with_crossed_bounds_panics() {
    let _ = value(&loss_fn(1, |t: Var| t.clamp(1.0, 0.0).sum()), &[0.5]);
}
