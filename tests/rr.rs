//! The Ridge Rider search: the Figure-1 demo, a separable function with known minima,
//! non-finite losses, determinism across thread counts, and the descent conditions
//! D1, D2, D4 of `shared/notes/theorems.md` driven through the project's own RR step.

use proptest::prelude::*;
use ridge_rider::ad::check::relative_error;
use ridge_rider::ad::{gradient, hessian, hessian_vector_product, loss_fn, value, Loss, Var};
use ridge_rider::kernels::{axpy, dot, norm, normalize};
use ridge_rider::linalg::{symmetric_eigen, DenseSymmetric};
use ridge_rider::problems::figure1::{figure1_loss, gradient_descent_minima, ridge_rider_minima};
use ridge_rider::rr::ridges::orient;
use ridge_rider::rr::{
    get_ridges, ride, ridge_rider, update_ridge_approximate, update_ridge_exact, ApproximateParams, BranchParams,
    EndReason, PreviousRidge, RideStart, RrError, RrParams, Spectrum,
};

#[test]
fn figure1_rr_finds_four_minima_and_gd_only_the_shallow_two() {
    let loss = figure1_loss();
    let rr = ridge_rider_minima(&loss);
    assert_eq!(rr.len(), 4, "{rr:?}");
    let mut deep = rr.iter().filter(|s| (s.loss + 6.25).abs() < 1e-6).count();
    let shallow = rr.iter().filter(|s| (s.loss + 1.0).abs() < 1e-6).count();
    assert_eq!((deep, shallow), (2, 2));
    let gd = gradient_descent_minima(&loss, 16);
    assert_eq!(gd.len(), 2);
    deep = gd.iter().filter(|m| m.2 < -2.0).count();
    assert_eq!(deep, 0, "GD reached a deep minimum: {gd:?}");
}

fn wells(c: [f64; 3]) -> impl ridge_rider::rr::Objective {
    loss_fn(3, move |t: Var| {
        let w = t * t - 1.0;
        let cs = t.tape().constant(3, 1, c.to_vec());
        (w * w * cs).sum()
    })
}

#[test]
fn bfs_finds_all_eight_minima_of_separable_wells_with_distinct_fingerprints() {
    let f = wells([1.0, 1.5, 2.0]);
    let out = ridge_rider(&f, &[0.0; 3], &RrParams::default()).unwrap();
    let minima = out.distinct_minima(1e-3);
    assert_eq!(minima.len(), 8, "{:?}", minima.iter().map(|s| &s.theta).collect::<Vec<_>>());
    for m in &minima {
        assert!(m.theta.iter().all(|x| (x.abs() - 1.0).abs() < 1e-4));
    }
    // Distinct minima carry distinct fingerprints.
    let mut fps: Vec<_> = minima.iter().map(|s| s.fingerprint.clone()).collect();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), 8);
}

#[test]
fn nan_mid_ride_ends_that_ride_and_the_search_goes_on() {
    // NaN for x > 0.3: the ride along +x meets it after a few steps.
    let f = loss_fn(2, |t: Var| {
        let w = t * t - 1.0;
        (w * w).sum() + 0.0 * (0.3 - t.at(0)).sqrt()
    });
    let out = ridge_rider(&f, &[0.0, 0.0], &RrParams::default()).unwrap();
    assert!(out.solutions.iter().any(|s| s.end_reason == EndReason::NonFinite));
    let finite: Vec<_> = out.distinct_minima(1e-3);
    assert!(finite.iter().any(|s| s.loss.is_finite() && s.theta[0] < -0.9), "{out:?}");
}

#[test]
fn same_seed_same_solutions_with_one_and_two_threads() {
    let f = wells([1.0, 1.3, 1.7]);
    let mut p = RrParams::default();
    (p.round, p.seed) = (4, 11);
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| ridge_rider(&f, &[0.0; 3], &p).unwrap())
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.solutions.len(), b.solutions.len());
    for (x, y) in a.solutions.iter().zip(&b.solutions) {
        assert_eq!(x.theta, y.theta);
        assert_eq!(x.fingerprint, y.fingerprint);
    }
    assert_eq!(a.evaluations, b.evaluations);
}

/// ½θᵀAθ + (ρ/6)Σⱼ cⱼ(wⱼᵀθ)³ with ‖wⱼ‖ = 1, Σ|cⱼ| ≤ 1: gradient zero at 0, Hessian
/// ρ-Lipschitz.
fn cubic(n: usize, a: Vec<f64>, w: Vec<Vec<f64>>, c: Vec<f64>, rho: f64) -> impl ridge_rider::rr::Objective {
    loss_fn(n, move |t: Var| {
        let tape = t.tape();
        let am = tape.constant(n, n, a.clone());
        let mut f = 0.5 * t.transpose().matmul(am).matmul(t).sum();
        for (wj, cj) in w.iter().zip(&c) {
            let proj = tape.constant(1, n, wj.clone()).matmul(t);
            f = f + proj.powi(3).sum() * (rho / 6.0 * cj);
        }
        f
    })
}

fn cubic_strategy(n: usize) -> impl Strategy<Value = (Vec<f64>, Vec<Vec<f64>>, Vec<f64>, f64)> {
    (
        proptest::collection::vec(-1.0..1.0f64, n * n),
        proptest::collection::vec(proptest::collection::vec(-1.0..1.0f64, n), 3),
        proptest::collection::vec(-1.0..1.0f64, 3),
        0.1..2.0f64,
    )
        .prop_map(move |(g, mut w, mut c, rho)| {
            let a: Vec<f64> = (0..n * n).map(|k| g[k] + g[(k % n) * n + k / n]).collect();
            for wj in w.iter_mut() {
                normalize(wj);
            }
            let s: f64 = c.iter().map(|x| x.abs()).sum::<f64>().max(1.0);
            c.iter_mut().for_each(|x| *x /= s);
            (a, w, c, rho)
        })
}

fn one_step_params(alpha: f64, steps: usize) -> RrParams {
    let mut p = RrParams::default();
    p.riding.alpha = alpha;
    p.riding.adaptive_alpha = false;
    p.riding.delta_break = 0.0;
    p.riding.max_steps = steps;
    p.riding.min_improvement = f64::NEG_INFINITY;
    p.branching.negative_tol = f64::NEG_INFINITY;
    p
}

/// A ride from `theta` along `direction` of eigenvalue `lambda` (not degenerate).
fn ride_along(
    f: &impl ridge_rider::rr::Objective,
    theta: &[f64],
    direction: &[f64],
    lambda: f64,
    p: &RrParams,
) -> ridge_rider::rr::RideOutcome {
    ride(f, &RideStart { theta, direction, lambda, degenerate: false }, p, 10, 0)
}

fn most_negative(f: &impl Loss, theta: &[f64]) -> (f64, Vec<f64>) {
    let n = theta.len();
    let e = symmetric_eigen(&DenseSymmetric::new(n, hessian(f, theta).unwrap()).unwrap()).unwrap();
    (e.values[0], e.vectors[0].clone())
}

/// The most negative eigenvector at x plus `noise`, normalised, and H times it; None
/// when the curvature there is not clearly negative (or the noise cancels the vector).
fn perturbed_most_negative(f: &impl Loss, x: &[f64], noise: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
    let (lambda, mut start) = most_negative(f, x);
    axpy(1.0, noise, &mut start);
    if lambda >= -1e-2 || normalize(&mut start) < 1e-6 {
        return None;
    }
    let he0 = hessian_vector_product(f, x, &start).unwrap().hv;
    Some((start, he0))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// D1: from any point, one RR step along the oriented ridge with α < 3|λ|/ρ
    /// lowers the loss by at least α²|λ|/2 − ρα³/6.
    #[test]
    fn d1_one_step_descends((a, w, c, rho) in cubic_strategy(4), x in proptest::collection::vec(-0.5..0.5f64, 4), frac in 0.05..0.95f64) {
        let f = cubic(4, a, w, c, rho);
        let (lambda, e) = most_negative(&f, &x);
        prop_assume!(lambda < -1e-3);
        let alpha = frac * 3.0 * lambda.abs() / rho;
        let d = orient(&e, &gradient(&f, &x).unwrap().gradient);
        let out = ride_along(&f, &x, &d, lambda, &one_step_params(alpha, 1));
        prop_assert_eq!(out.steps, 1);
        let bound = value(&f, &x).unwrap() - alpha * alpha * lambda.abs() / 2.0 + rho * alpha.powi(3) / 6.0;
        prop_assert!(out.loss <= bound + 1e-12, "{} > {}", out.loss, bound);
    }

    /// D2: two RR steps from a saddle decrease the loss by the stated amount.
    #[test]
    fn d2_two_steps_from_a_saddle((a, w, c, rho) in cubic_strategy(4), frac in 0.05..0.95f64, sign in prop::bool::ANY) {
        let f = cubic(4, a, w, c, rho);
        let zero = [0.0; 4];
        let (l0, e0) = most_negative(&f, &zero);
        prop_assume!(l0 < -1e-2);
        let d0: Vec<f64> = e0.iter().map(|x| if sign { *x } else { -x }).collect();
        // First pick α for the bound with the worst case γ = √3/2, |λ₁| = |λ₀|/2 (D3), then check the conditions.
        let alpha = frac * 3.0 * (0.866 * l0.abs() + l0.abs() / 4.0) / (2.0 * rho);
        let one = ride_along(&f, &zero, &d0, l0, &one_step_params(alpha, 1));
        let two = ride_along(&f, &zero, &d0, l0, &one_step_params(alpha, 2));
        prop_assume!(two.steps == 2);
        // The followed eigenpair at θ₁ by the project's UpdateRidge.
        let h1 = symmetric_eigen(&DenseSymmetric::new(4, hessian(&f, &one.theta).unwrap()).unwrap()).unwrap();
        let u1 = update_ridge_exact(&h1.values, &h1.vectors, &d0);
        let (e1, l1) = (u1.direction, u1.eigenvalue);
        let gamma = dot(&e1, &d0);
        prop_assume!(l1 < 0.0 && gamma > 0.0 && alpha < 3.0 * (gamma * l0.abs() + l1.abs() / 2.0) / (2.0 * rho));
        let bound = one.loss - alpha * alpha * (gamma * l0.abs() + l1.abs() / 2.0) + 2.0 / 3.0 * rho * alpha.powi(3);
        prop_assert!(two.loss <= bound + 1e-12, "{} > {}", two.loss, bound);
        prop_assert!(two.loss < one.loss);
    }

    /// D4: the approximate UpdateRidge's pair (ê, λ̂) with ε = ‖Hê − λ̂ê‖ < |λ̂| has
    /// êᵀHê ≤ −(|λ̂| − ε), and one step along the oriented ê lowers the loss.
    #[test]
    fn d4_approximate_pairs_descend((a, w, c, rho) in cubic_strategy(4), x in proptest::collection::vec(-0.3..0.3f64, 4), noise in proptest::collection::vec(-0.2..0.2f64, 4), frac in 0.05..0.95f64) {
        let f = cubic(4, a, w, c, rho);
        let start = perturbed_most_negative(&f, &x, &noise);
        prop_assume!(start.is_some());
        let (start, he0) = start.unwrap();
        let prev = PreviousRidge { direction: &start, lambda: dot(&start, &he0), image: &he0 };
        let u = update_ridge_approximate(&f, &x, &prev, &ApproximateParams { inner_steps: 20, lr_x: 0.05, lr_lambda: 0.01 }).unwrap();
        let (ehat, lhat, curvature, he) = (u.direction, u.eigenvalue, u.curvature, u.image);
        // The image, kept up to date by linearity through the halvings, is H·ê.
        let direct = hessian_vector_product(&f, &x, &ehat).unwrap().hv;
        prop_assert!(relative_error(&he, &direct) < 1e-10, "{}", relative_error(&he, &direct));
        prop_assert_eq!(u.hvps, 1 + 2 * 20);
        let mut r = he.clone();
        axpy(-lhat, &ehat, &mut r);
        let eps = norm(&r);
        prop_assume!(eps < lhat.abs() && lhat < 0.0);
        prop_assert!(curvature <= -(lhat.abs() - eps) + 1e-12, "êᵀHê {curvature} vs {}", -(lhat.abs() - eps));
        let alpha = frac * 3.0 * (lhat.abs() - eps) / rho;
        let d = orient(&ehat, &gradient(&f, &x).unwrap().gradient);
        let out = ride_along(&f, &x, &d, lhat, &one_step_params(alpha, 1));
        prop_assert!(out.loss < value(&f, &x).unwrap(), "{} ≥ {}", out.loss, value(&f, &x).unwrap());
    }

    /// With a rate far too large for the eigen-loss (here 4), the safeguarded
    /// approximate UpdateRidge still never lets ℓ(e, λ) = ‖Hê/λ − ê‖² grow in one step
    /// at fixed λ (lr_λ = 0): it halves the step instead.
    #[test]
    fn approximate_update_never_grows_the_eigen_loss((a, w, c, rho) in cubic_strategy(4), x in proptest::collection::vec(-0.3..0.3f64, 4), noise in proptest::collection::vec(-0.5..0.5f64, 4)) {
        let f = cubic(4, a, w, c, rho);
        let start = perturbed_most_negative(&f, &x, &noise);
        prop_assume!(start.is_some());
        let (start, he0) = start.unwrap();
        let l0 = dot(&start, &he0);
        prop_assume!(l0.abs() > 1e-3);
        let loss = |he: &[f64], e: &[f64]| he.iter().zip(e).map(|(h, v)| (h / l0 - v).powi(2)).sum::<f64>();
        let before = loss(&he0, &start);
        let prev = PreviousRidge { direction: &start, lambda: l0, image: &he0 };
        let u = update_ridge_approximate(&f, &x, &prev, &ApproximateParams { inner_steps: 1, lr_x: 4.0, lr_lambda: 0.0 }).unwrap();
        prop_assert_eq!(u.eigenvalue, l0);
        prop_assert_eq!(u.hvps, 3);
        let after = loss(&u.image, &u.direction);
        // Accepted before the halvings ran out: then ℓ must not have grown.
        prop_assume!(u.halvings_exhausted == 0);
        prop_assert!(after <= before + 1e-12, "{after} > {before}");
    }
}

/// ½θᵀDθ with D = diag(−8.536, −3, −1, 0.5, …): its ridges are the first three axes.
fn known_quadratic() -> impl ridge_rider::rr::Objective {
    let mut d = vec![-8.536, -3.0, -1.0];
    d.extend((0..27).map(|i| 0.5 + i as f64 / 10.0));
    ridge_rider::ad::loss_fn(d.len(), move |t: Var| {
        let tape = t.tape();
        0.5 * (tape.constant(d.len(), 1, d.clone()) * t * t).sum()
    })
}

#[test]
fn a_starved_lanczos_is_flagged_in_the_ridges_and_stops_the_search() {
    let f = known_quadratic();
    let theta = vec![0.0; 30];
    let lanczos = |max_hvps_per_call| {
        let mut b = BranchParams::default();
        b.ridges = 2;
        b.spectrum = Spectrum::Lanczos { tol: 1e-8, max_hvps_per_call, update: ApproximateParams::default() };
        b
    };
    let starved = lanczos(1);
    let r = get_ridges(&f, &theta, &starved, 0).unwrap();
    let (ridges, hvps) = (r.ridges, r.hvps);
    // Three attempts with doubling limits: 1 + 2 + 4 products.
    assert_eq!(hvps, 7);
    assert!(ridges.iter().all(|r| !r.converged), "{:?}", ridges.iter().map(|r| r.lambda).collect::<Vec<_>>());
    let mut p = RrParams::default();
    p.branching.spectrum = starved.spectrum;
    match ridge_rider(&f, &theta, &p) {
        Err(RrError::SpectrumNotConverged { hvps: 7, residual }) => assert!(residual > 1e-8),
        other => panic!("expected an unconverged spectrum, got {:?}", other.map(|o| o.solutions.len())),
    }
    // With room, every pair converges and carries its residual.
    let ridges = get_ridges(&f, &theta, &lanczos(200), 0).unwrap().ridges;
    assert_eq!(ridges.len(), 4);
    for r in &ridges {
        assert!(r.converged && r.residual <= 1e-8 * r.lambda.abs(), "{} {}", r.lambda, r.residual);
    }
    assert!((ridges[0].lambda + 8.536).abs() < 1e-7 && (ridges[2].lambda + 3.0).abs() < 1e-7);
    // The dense path reports true residuals too.
    let mut three = BranchParams::default();
    three.ridges = 3;
    let exact = get_ridges(&f, &theta, &three, 0).unwrap().ridges;
    assert!(exact.iter().all(|r| r.converged && r.residual < 1e-12));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    /// The mini-batch ride's patience rule: along a ridge where every batch's loss rises
    /// (while the tracked curvature stays negative), the ride ends exactly `patience`
    /// steps after its best loss, which is its first step; θ moves by α per step.
    #[test]
    fn a_mini_batch_ride_ends_after_its_patience(patience in 1usize..8, alpha in 0.01..0.5f64, slope in 0.1..2.0f64) {
        use ridge_rider::rr::{MiniBatchRide, MiniBatchRideParams};
        let batch = loss_fn(1, move |t: Var| slope * t.sum());
        let mut p = MiniBatchRideParams::default();
        (p.alpha, p.patience) = (alpha, patience);
        let mut ride = MiniBatchRide::new(vec![1.0], -1.0, vec![0.0], p);
        let mut theta = vec![0.0];
        let mut steps = 0;
        loop {
            steps += 1;
            let s = ride.step(&batch, &mut theta, true).unwrap();
            prop_assert!((s.loss - slope * theta[0]).abs() < 1e-12);
            prop_assert_eq!(s.cos_gradient, Some(1.0));
            if s.ended || steps > 100 {
                break;
            }
        }
        prop_assert_eq!(steps, patience + 1);
        prop_assert!((theta[0] - alpha * steps as f64).abs() < 1e-12);
    }
}
