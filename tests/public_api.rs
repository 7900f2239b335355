//! A user's crate, written only against the public API and run with default features
//! off (`cargo test --release --no-default-features --test public_api`): its own
//! losses, their derivatives, eigenpairs, and a Ridge Rider search that finds every
//! minimum of a function with 16 known minima.

use ridge_rider::ad::{gradient, hessian, hessian_vector_product, loss_fn, Var};
use ridge_rider::linalg::{lanczos, HessianOperator, LanczosParams};
use ridge_rider::rr::mis::{find_mis, MisParams};
use ridge_rider::rr::{ridge_rider, DescentParams, RrParams};
use std::f64::consts::PI;

/// Rastrigin in 20 dimensions: 10·d + Σ (xᵢ² − 10 cos 2πxᵢ).
fn rastrigin(d: usize) -> impl ridge_rider::ad::Loss {
    loss_fn(d, move |t: Var| (t * t - 10.0 * (2.0 * PI * t).cos()).sum() + 10.0 * d as f64)
}

#[test]
fn rastrigin_derivatives_and_eigenpairs_match_the_closed_forms() {
    let d = 20;
    let f = rastrigin(d);
    let x: Vec<f64> = (0..d).map(|i| -1.3 + 0.137 * i as f64).collect();
    let g = gradient(&f, &x).unwrap();
    let curvature: Vec<f64> = x.iter().map(|x| 2.0 + 40.0 * PI * PI * (2.0 * PI * x).cos()).collect();
    for (i, xi) in x.iter().enumerate() {
        let want = 2.0 * xi + 20.0 * PI * (2.0 * PI * xi).sin();
        assert!((g.gradient[i] - want).abs() < 1e-10 * want.abs().max(1.0), "∂{i}: {} vs {want}", g.gradient[i]);
    }
    let h = hessian(&f, &x).unwrap();
    for i in 0..d {
        for j in 0..d {
            let want = if i == j { curvature[i] } else { 0.0 };
            assert!((h[i * d + j] - want).abs() < 1e-9 * want.abs().max(1.0), "H[{i},{j}]");
        }
    }
    let v: Vec<f64> = (0..d).map(|i| (i as f64 * 0.7).sin()).collect();
    let hv = hessian_vector_product(&f, &x, &v).unwrap().hv;
    for i in 0..d {
        assert!((hv[i] - curvature[i] * v[i]).abs() < 1e-9 * curvature[i].abs().max(1.0));
    }
    // The 5 most negative eigenpairs of a diagonal Hessian: its 5 smallest entries.
    let op = HessianOperator::new(&f, x.clone()).unwrap();
    let pairs = lanczos(&op, &LanczosParams { k: 5, tol: 1e-10, ..Default::default() }).unwrap();
    assert!(pairs.all_converged());
    let mut sorted = curvature.clone();
    sorted.sort_by(f64::total_cmp);
    for (got, want) in pairs.values.iter().zip(&sorted) {
        assert!((got - want).abs() < 1e-8 * want.abs(), "{got} vs {want}");
    }
}

/// Styblinski–Tang in 4 dimensions with a distinct weight per coordinate (so the
/// Hessian's eigenvalues are distinct): Σ cᵢ (xᵢ⁴ − 16xᵢ² + 5xᵢ)/2. Each coordinate has
/// two minima, so the function has 2⁴ = 16, and one maximum.
fn styblinski_tang() -> impl ridge_rider::rr::Objective {
    loss_fn(4, |t: Var| {
        let weights = t.tape().constant(4, 1, vec![1.0, 1.1, 1.2, 1.3]);
        0.5 * (weights * (t.powi(4) - 16.0 * t * t + 5.0 * t)).sum()
    })
}

/// The roots of 2x³ − 16x + 5/2 = 0 (each coordinate's stationary points) by Newton.
fn stationary(from: f64) -> f64 {
    let mut x = from;
    for _ in 0..100 {
        x -= (2.0 * x.powi(3) - 16.0 * x + 2.5) / (6.0 * x * x - 16.0);
    }
    x
}

#[test]
fn ridge_rider_finds_all_sixteen_minima_of_styblinski_tang() {
    let f = styblinski_tang();
    let (low, high, top) = (stationary(-3.0), stationary(3.0), stationary(0.0));
    // The maximum, where every direction curves down, is the saddle to start from.
    let mis = find_mis(&f, None, &[0.0; 4], &MisParams::default()).unwrap();
    assert!(mis.gradient_norm < 1e-8 && mis.theta.iter().all(|x| (x - top).abs() < 1e-8), "{:?}", mis.theta);
    let mut p = RrParams::default();
    p.branching.max_depth = 4;
    p.final_descent = Some(DescentParams { steps: 500, lr: 0.02, grad_tol: 1e-10 });
    p.budget.timesteps = 1_000_000;
    let out = ridge_rider(&f, &mis.theta, &p).unwrap();
    // The whole tree of branchings was explored: 8 rides from the maximum, then 6, 4, 2.
    assert_eq!(out.unexplored, 0);
    eprintln!("{} solutions, {} timesteps", out.solutions.len(), out.timesteps);
    let minima = out.distinct_minima(1e-4);
    assert_eq!(minima.len(), 16, "{:?}", minima.iter().map(|s| &s.theta).collect::<Vec<_>>());
    for corner in 0..16 {
        let want: Vec<f64> = (0..4).map(|i| if corner >> i & 1 == 1 { high } else { low }).collect();
        let found = minima.iter().any(|s| s.theta.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-6));
        assert!(found, "minimum {want:?} not found");
    }
}
