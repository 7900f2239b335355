//! The autodiff engine against independent references: central differences, nested
#![allow(clippy::needless_range_loop)]
//! duals, closed forms and scalar loops.

use proptest::prelude::*;
use ridge_rider::ad::check::{finite_difference_gradient, finite_difference_hvp, relative_error};
use ridge_rider::ad::{
    gradient, hessian, hessian_vector_product, loss_fn, value, AdError, Dual, HessianAt, Loss, Real, Var,
};
use ridge_rider::problems::mnist::mlp::{Activation, Mlp, MlpLoss};

/// One smooth expression, written once as a macro so the tape and nested duals evaluate
/// exactly the same function.
macro_rules! smooth3 {
    ($x0:expr, $x1:expr, $x2:expr) => {{
        let (x0, x1, x2) = ($x0, $x1, $x2);
        (x0 * x1).tanh()
            + (x2.exp() + 1.0).ln()
            + x0.sigmoid() * x2.softplus()
            + (x1 * x1 + 1.0).sqrt()
            + x0.powi(3) / (x1 * x1 + 2.0)
            + (x2 * x2 + 0.5).powf(1.5)
            + (x1 * x1).ln_1p() * (x2 * x2 - 4.0).abs()
    }};
}

fn smooth3_loss() -> impl Loss {
    loss_fn(3, |t: Var| smooth3!(t.at(0), t.at(1), t.at(2)))
}

/// A loss exercising every tensor op: matmul, broadcasting, slice, reshape, transpose,
/// concat, gather, row/col sums, log-softmax, cross-entropy, division, dot.
fn tensor_loss() -> impl Loss {
    loss_fn(12, |t: Var| {
        let tape = t.tape();
        let a = t.slice(0, 6).reshape(2, 3);
        let b = t.slice(6, 6).reshape(3, 2);
        let x = tape.constant(2, 2, vec![0.3, -0.7, 1.1, 0.4]);
        let c = a.matmul(b).tanh() + x; // 2×2
        let bias = t.slice(0, 2).reshape(1, 2);
        let d = (c + bias).softplus(); // broadcast row
        let e = Var::concat(&[d, a.transpose().slice(0, 2).reshape(1, 2)]); // 3×2
        let ce = e.softmax_cross_entropy(&[1, 0, 1]);
        let r = e.row_sums().dot(e.col_sums().transpose().gather(&[0, 1, 1])) / (e.col_sums().sum().powi(2) + 1.0);
        ce + r * 0.1 + (t * t).mean().exp() * 0.01
    })
}

fn small_mlp(act: Activation) -> MlpLoss {
    let mlp = Mlp::new(5, 4, 3, act);
    let x: Vec<f64> = (0..30).map(|i| ((i * 7919) % 13) as f64 / 13.0 - 0.4).collect();
    MlpLoss::new(mlp, x, vec![0, 1, 2, 1, 0, 2]).unwrap()
}

fn vec_strategy(n: usize, scale: f64) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(-scale..scale, n)
}

fn check_all(loss: &impl Loss, theta: &[f64], u: &[f64], v: &[f64]) -> Result<(), TestCaseError> {
    // Gradient vs central differences.
    let g = gradient(loss, theta).unwrap().gradient;
    let fd = finite_difference_gradient(loss, theta, 1e-6).unwrap();
    let e = relative_error(&g, &fd);
    prop_assert!(e < 1e-7, "gradient rel err {e}");
    // HVP vs central differences of the gradient.
    let hv = hessian_vector_product(loss, theta, v).unwrap();
    prop_assert!(relative_error(&hv.gradient, &g) < 1e-14);
    let fd = finite_difference_hvp(loss, theta, v, 1e-4).unwrap();
    let e = relative_error(&hv.hv, &fd);
    prop_assert!(e < 1e-6, "hvp rel err {e}");
    // Symmetry: uᵀHv = vᵀHu, and the dense Hessian is symmetric and agrees with the HVP.
    let hu = hessian_vector_product(loss, theta, u).unwrap().hv;
    let uhv: f64 = u.iter().zip(&hv.hv).map(|(a, b)| a * b).sum();
    let vhu: f64 = v.iter().zip(&hu).map(|(a, b)| a * b).sum();
    prop_assert!((uhv - vhu).abs() <= 1e-10 * (1.0 + uhv.abs()), "uHv {uhv} vs vHu {vhu}");
    let n = theta.len();
    let h = hessian(loss, theta).unwrap();
    for i in 0..n {
        for j in 0..n {
            let (a, b) = (h[i * n + j], h[j * n + i]);
            prop_assert!((a - b).abs() <= 1e-10 * (1.0 + a.abs()), "H[{i},{j}]={a} vs {b}");
        }
        let row: f64 = (0..n).map(|j| h[i * n + j] * v[j]).sum();
        prop_assert!((row - hv.hv[i]).abs() <= 1e-10 * (1.0 + row.abs()));
    }
    // Recorded once at θ: the same value, gradient and products, one lane or two.
    let at = HessianAt::new(loss, theta).unwrap();
    prop_assert!((at.value() - hv.value).abs() <= 1e-14 * (1.0 + hv.value.abs()));
    prop_assert!(relative_error(at.gradient(), &g) < 1e-14);
    let e = relative_error(&at.hessian_vector_product(v).unwrap(), &hv.hv);
    prop_assert!(e < 1e-12, "recorded hvp rel err {e}");
    let both = at.hessian_vector_products(&[u, v]).unwrap();
    prop_assert!(relative_error(&both[0], &hu) < 1e-12 && relative_error(&both[1], &hv.hv) < 1e-12);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn smooth_scalar_function(theta in vec_strategy(3, 1.5), u in vec_strategy(3, 1.0), v in vec_strategy(3, 1.0)) {
        check_all(&smooth3_loss(), &theta, &u, &v)?;
    }

    #[test]
    fn tensor_ops_function(theta in vec_strategy(12, 1.0), u in vec_strategy(12, 1.0), v in vec_strategy(12, 1.0)) {
        check_all(&tensor_loss(), &theta, &u, &v)?;
    }

    #[test]
    fn mlp_tanh(seed in 0u64..1000, u in vec_strategy(39, 1.0), v in vec_strategy(39, 1.0)) {
        let loss = small_mlp(Activation::Tanh);
        let theta = loss.mlp.init_standard(seed);
        check_all(&loss, &theta, &u, &v)?;
    }

    /// The tape's HVP equals the nested-dual directional second derivative eᵢᵀHv.
    #[test]
    fn hvp_matches_nested_duals(theta in vec_strategy(3, 1.5), v in vec_strategy(3, 1.0)) {
        let hv = hessian_vector_product(&smooth3_loss(), &theta, &v).unwrap().hv;
        for i in 0..3 {
            let x: Vec<Dual<Dual<f64>>> = (0..3)
                .map(|j| Dual::new(Dual::new(theta[j], v[j]), Dual::new(if i == j { 1.0 } else { 0.0 }, 0.0)))
                .collect();
            let y = smooth3!(x[0], x[1], x[2]);
            prop_assert!((y.eps.eps - hv[i]).abs() <= 1e-12 * (1.0 + hv[i].abs()), "{} vs {}", y.eps.eps, hv[i]);
            // The first derivative agrees too.
            let g = gradient(&smooth3_loss(), &theta).unwrap().gradient;
            prop_assert!((y.eps.re - g[i]).abs() <= 1e-12 * (1.0 + g[i].abs()));
        }
    }

    /// Tensor ops against their scalar equivalents (values and gradients).
    #[test]
    fn matmul_and_log_softmax_match_scalar_loops(a in vec_strategy(6, 2.0), b in vec_strategy(8, 2.0)) {
        let f = loss_fn(14, |t: Var| {
            let m = t.slice(0, 6).reshape(3, 2).matmul(t.slice(6, 8).reshape(2, 4));
            m.log_softmax().gather(&[1, 6, 8]).sum()
        });
        let scalar = |t: &[f64]| -> f64 {
            let mut m = [[0.0; 4]; 3];
            for i in 0..3 { for j in 0..4 { for k in 0..2 { m[i][j] += t[i * 2 + k] * t[6 + k * 4 + j]; } } }
            let ls = |r: usize, j: usize| m[r][j] - m[r].iter().map(|v| v.exp()).sum::<f64>().ln();
            ls(0, 1) + ls(1, 2) + ls(2, 0)
        };
        let theta: Vec<f64> = a.iter().chain(&b).copied().collect();
        let got = value(&f, &theta).unwrap();
        prop_assert!((got - scalar(&theta)).abs() < 1e-12 * (1.0 + got.abs()));
        let g = gradient(&f, &theta).unwrap().gradient;
        let h = 1e-6;
        for i in 0..14 {
            let mut p = theta.clone(); p[i] += h;
            let mut q = theta.clone(); q[i] -= h;
            let fd = (scalar(&p) - scalar(&q)) / (2.0 * h);
            prop_assert!((fd - g[i]).abs() < 1e-6 * (1.0 + fd.abs()));
        }
    }
}

#[test]
fn rosenbrock_closed_form() {
    let f = loss_fn(2, |t: Var| (1.0 - t.at(0)).powi(2) + 100.0 * (t.at(1) - t.at(0) * t.at(0)).powi(2));
    for &(x, y) in &[(-1.2, 1.0), (0.3, -0.4), (2.0, 3.5)] {
        let g = gradient(&f, &[x, y]).unwrap().gradient;
        let gx = -2.0 * (1.0 - x) - 400.0 * x * (y - x * x);
        let gy = 200.0 * (y - x * x);
        assert!((g[0] - gx).abs() < 1e-10 && (g[1] - gy).abs() < 1e-10);
        let h = hessian(&f, &[x, y]).unwrap();
        let want = [2.0 - 400.0 * y + 1200.0 * x * x, -400.0 * x, -400.0 * x, 200.0];
        for k in 0..4 {
            assert!((h[k] - want[k]).abs() < 1e-9, "{h:?} vs {want:?}");
        }
    }
}

#[test]
fn quadratic_hvp_is_exactly_av() {
    let n = 7;
    let a: Vec<f64> = (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            ((i + j) as f64).cos() + if i == j { 3.0 } else { 0.0 }
        })
        .collect();
    let a2 = a.clone();
    let f = loss_fn(n, move |t: Var| {
        let am = t.tape().constant(n, n, a2.clone());
        0.5 * t.transpose().matmul(am).matmul(t).sum()
    });
    let theta: Vec<f64> = (0..n).map(|i| i as f64 * 0.3 - 1.0).collect();
    let v: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
    let hv = hessian_vector_product(&f, &theta, &v).unwrap().hv;
    for i in 0..n {
        let av: f64 = (0..n).map(|j| a[i * n + j] * v[j]).sum();
        assert!((hv[i] - av).abs() < 1e-13, "{} vs {}", hv[i], av);
    }
}

#[test]
fn softmax_cross_entropy_closed_form() {
    let logits = [0.5, -1.0, 2.0, 0.0, 0.3, 0.3];
    let labels = [2usize, 0];
    let f = loss_fn(6, |t: Var| t.reshape(2, 3).softmax_cross_entropy(&labels));
    let vg = gradient(&f, &logits).unwrap();
    let mut want_loss = 0.0;
    for r in 0..2 {
        let row = &logits[r * 3..r * 3 + 3];
        let z: f64 = row.iter().map(|v| v.exp()).sum();
        want_loss += (z.ln() - row[labels[r]]) / 2.0;
        for j in 0..3 {
            let p = row[j].exp() / z;
            let want = (p - if j == labels[r] { 1.0 } else { 0.0 }) / 2.0;
            assert!((vg.gradient[r * 3 + j] - want).abs() < 1e-14);
        }
    }
    assert!((vg.value - want_loss).abs() < 1e-14);
}

/// Second-order information survives where a primal is exactly zero but its tangent is not.
#[test]
fn zero_primal_keeps_second_order_information() {
    let f = loss_fn(3, |t: Var| (t * t).sum() + t.at(0) * t.at(1) + t.tanh().dot(t));
    let v = [1.0, -2.0, 0.5];
    let hv = hessian_vector_product(&f, &[0.0; 3], &v).unwrap().hv;
    // H = 2I + [[0,1,0],[1,0,0],[0,0,0]] + 2I (tanh(x)·x has second derivative 2 at 0).
    let want = [4.0 * v[0] + v[1], 4.0 * v[1] + v[0], 4.0 * v[2]];
    assert_eq!(hv, want);
    // Nested duals agree: d²/dx² (x·x) at 0 is 2.
    let d2 = ridge_rider::ad::dual::second_derivative(|x| x * x + x.tanh() * x, 0.0);
    assert_eq!(d2, 4.0);
}

#[test]
fn recorded_hessian_rejects_bad_directions() {
    let at = HessianAt::new(&smooth3_loss(), &[0.1, 0.2, 0.3]).unwrap();
    assert!(matches!(at.hessian_vector_product(&[1.0, 0.0]), Err(AdError::DimensionMismatch { .. })));
    assert!(matches!(at.hessian_vector_product(&[1.0, f64::NAN, 0.0]), Err(AdError::NonFiniteInput { index: 1, .. })));
    assert!(matches!(HessianAt::new(&smooth3_loss(), &[0.0; 4]), Err(AdError::DimensionMismatch { .. })));
    assert!(at.hessian_vector_products(&[]).unwrap().is_empty());
}

#[test]
fn bad_inputs_are_errors_and_nan_propagates() {
    let f = loss_fn(2, |t: Var| (t.at(0) - 3.0).ln() + t.at(1));
    assert!(matches!(gradient(&f, &[1.0]), Err(AdError::DimensionMismatch { .. })));
    assert!(matches!(value(&f, &[f64::NAN, 0.0]), Err(AdError::NonFiniteInput { index: 0, .. })));
    assert!(matches!(
        hessian_vector_product(&f, &[1.0, 0.0], &[f64::INFINITY, 0.0]),
        Err(AdError::NonFiniteInput { .. })
    ));
    // ln of a negative number: NaN reaches the caller.
    assert!(value(&f, &[1.0, 0.0]).unwrap().is_nan());
    assert!(gradient(&f, &[1.0, 0.0]).unwrap().gradient[0].is_finite()); // 1/(x−3) is finite
    assert!(hessian_vector_product(&f, &[1.0, 0.0], &[1.0, 0.0]).unwrap().value.is_nan());
}

#[test]
fn f32_and_f64_share_the_definitions() {
    let x32 = 0.7f32;
    assert!((Real::softplus(x32) - (1.0 + x32.exp()).ln()).abs() < 1e-6);
    assert!((Real::sigmoid(-800.0f64)).is_finite());
    assert!((Real::softplus(800.0f64) - 800.0).abs() < 1e-9);
    let lse = f64::log_sum_exp(&[1000.0, 1000.0]);
    assert!((lse - (1000.0 + 2f64.ln())).abs() < 1e-9);
    let d = ridge_rider::ad::dual::derivative(|x| Real::log_sum_exp(&[x, x * 2.0]), 0.3);
    let want = (0.3f64.exp() + 2.0 * 0.6f64.exp()) / (0.3f64.exp() + 0.6f64.exp());
    assert!((d - want).abs() < 1e-14);
}

#[test]
fn relu_mlp_gradient_matches_differences() {
    let loss = small_mlp(Activation::Relu);
    let theta = loss.mlp.init_standard(3);
    let r = ridge_rider::ad::check::check_gradient(&loss, &theta, 1e-7).unwrap();
    assert!(r.relative_error < 1e-6, "{r:?}");
    let r = ridge_rider::ad::check::check_hvp(&loss, &theta, &vec![0.1; theta.len()], 1e-6).unwrap();
    assert!(r.relative_error < 1e-5, "{r:?}");
}
