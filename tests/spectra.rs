//! Hessian analysis from products alone: trace estimates (Hutchinson, Hutch++) and the
//! spectral density by stochastic Lanczos quadrature, checked on matrices whose spectrum
//! is known.

use ridge_rider::linalg::density::{gauss_quadrature, spectral_density, DensityParams, Estimate};
use ridge_rider::linalg::trace::{estimate_trace, TraceMethod, TraceParams};
use ridge_rider::linalg::{symmetric_eigen, DenseSymmetric, LinearOperator};
use ridge_rider::rng::{normal_vec, seeded};

/// Q diag(values) Qᵀ with a random orthogonal Q (the eigenvectors of a random symmetric matrix).
fn with_spectrum(values: &[f64], seed: u64) -> DenseSymmetric {
    let n = values.len();
    let g = normal_vec(&mut seeded(seed, 1), n * n, 1.0);
    let sym: Vec<f64> = (0..n * n).map(|k| g[k] + g[(k % n) * n + k / n]).collect();
    let q = symmetric_eigen(&DenseSymmetric::new(n, sym).unwrap()).unwrap().vectors;
    let mut a = vec![0.0; n * n];
    for (l, u) in values.iter().zip(&q) {
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] += l * u[i] * u[j];
            }
        }
    }
    DenseSymmetric::new(n, a).unwrap()
}

fn spectrum(n: usize, seed: u64) -> Vec<f64> {
    // A bulk near 0, a few large outliers and a negative tail, as Hessians have.
    let z = normal_vec(&mut seeded(seed, 2), n, 1.0);
    (0..n)
        .map(|i| {
            if i < 3 {
                20.0 + 5.0 * z[i]
            } else if i < n / 5 {
                -0.5 - z[i].abs()
            } else {
                0.3 * z[i]
            }
        })
        .collect()
}

#[test]
fn trace_intervals_cover_the_true_trace_in_at_least_90_of_100_trials() {
    let values = spectrum(60, 0);
    let a = with_spectrum(&values, 0);
    let truth: f64 = values.iter().sum();
    for method in [TraceMethod::Hutchinson, TraceMethod::HutchPlusPlus] {
        let covered = (0..100u64)
            .filter(|&seed| {
                let t = estimate_trace(&a, &TraceParams { method, products: 30, seed, ..Default::default() }).unwrap();
                (t.trace - truth).abs() <= t.ci95
            })
            .count();
        assert!(covered >= 90, "{method:?}: {covered} of 100 intervals cover the trace");
    }
}

#[test]
fn hutch_plus_plus_is_more_accurate_where_a_few_eigenvalues_dominate() {
    let values = spectrum(80, 1);
    let a = with_spectrum(&values, 1);
    let truth: f64 = values.iter().sum();
    let rms = |method| {
        let e: f64 = (0..50u64)
            .map(|seed| {
                (estimate_trace(&a, &TraceParams { method, products: 30, seed, ..Default::default() }).unwrap().trace
                    - truth)
                    .powi(2)
            })
            .sum();
        (e / 50.0).sqrt()
    };
    let (plain, plus) = (rms(TraceMethod::Hutchinson), rms(TraceMethod::HutchPlusPlus));
    assert!(plus < 0.7 * plain, "Hutch++ {plus} against Hutchinson {plain}");
}

#[test]
fn slq_moments_and_negative_mass_match_the_exact_ones_within_their_intervals() {
    let (mut inside, mut total) = (0, 0);
    for seed in 0..20u64 {
        let values = spectrum(120, 10 + seed);
        let a = with_spectrum(&values, 10 + seed);
        let n = values.len() as f64;
        let d = spectral_density(&a, &DensityParams { starts: 10, steps: 30, seed, ..Default::default() }).unwrap();
        for k in 1..=4 {
            let exact = values.iter().map(|x| x.powi(k)).sum::<f64>() / n;
            let Estimate { mean: est, ci95: ci } = d.moment(|x| x.powi(k));
            inside += ((est - exact).abs() <= ci) as usize;
            total += 1;
        }
        let mass: f64 = values.iter().filter(|x| **x < 0.0).sum();
        inside += ((d.negative_mass.mean - mass).abs() <= d.negative_mass.ci95) as usize;
        let fraction = values.iter().filter(|x| **x < 0.0).count() as f64 / n;
        inside += ((d.negative_fraction.mean - fraction).abs() <= d.negative_fraction.ci95 + 0.5 / n) as usize;
        total += 2;
        // The density integrates to 1 over its grid.
        let h = d.grid[1] - d.grid[0];
        assert!((d.density.iter().sum::<f64>() * h - 1.0).abs() < 1e-3);
    }
    assert!(inside as f64 >= 0.85 * total as f64, "{inside} of {total} within their 95% intervals");
}

/// The quadrature weights are the squared first components: they sum to 1 and
/// integrate polynomials of degree < 2m exactly, vᵀA³v for m = 2 included. Weights taken
/// unsquared, as PyHessian once did, fail both.
#[test]
fn quadrature_weights_are_squared_first_components() {
    let values = [-1.5, 0.2, 0.7, 2.0, 3.1];
    let a = with_spectrum(&values, 3);
    let v: Vec<f64> = normal_vec(&mut seeded(4, 3), 5, 1.0);
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let v: Vec<f64> = v.iter().map(|x| x / norm).collect();
    // Two Lanczos steps by hand.
    let mut av = vec![0.0; 5];
    a.apply(&v, &mut av).unwrap();
    let a0: f64 = v.iter().zip(&av).map(|(x, y)| x * y).sum();
    let r: Vec<f64> = av.iter().zip(&v).map(|(y, x)| y - a0 * x).collect();
    let b0 = r.iter().map(|x| x * x).sum::<f64>().sqrt();
    let v1: Vec<f64> = r.iter().map(|x| x / b0).collect();
    let mut av1 = vec![0.0; 5];
    a.apply(&v1, &mut av1).unwrap();
    let a1: f64 = v1.iter().zip(&av1).map(|(x, y)| x * y).sum();
    let q = gauss_quadrature(&[a0, a1], &[b0]).unwrap();
    assert!((q.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let mut a2v = vec![0.0; 5];
    a.apply(&av, &mut a2v).unwrap();
    let cube: f64 = av.iter().zip(&a2v).map(|(x, y)| x * y).sum(); // vᵀA³v = (Av)ᵀ(A²v)
    assert!((q.integrate(|x| x.powi(3)) - cube).abs() < 1e-10 * cube.abs().max(1.0));
}

#[test]
fn bad_parameters_are_refused() {
    let a = DenseSymmetric::from_diagonal(&[1.0, 2.0]);
    assert!(estimate_trace(&a, &TraceParams { products: 1, ..Default::default() }).is_err());
    assert!(estimate_trace(&a, &TraceParams { method: TraceMethod::HutchPlusPlus, products: 5, ..Default::default() })
        .is_err());
    assert!(spectral_density(&a, &DensityParams { starts: 1, ..Default::default() }).is_err());
    assert!(spectral_density(&a, &DensityParams { sigma: f64::NAN, ..Default::default() }).is_err());
}

/// The mean of K operators: its eigenvalues by Lanczos are those of the averaged dense
/// matrix, and a product through a block is the mean of the block's products.
#[test]
fn the_mean_operator_is_the_average_of_its_operators() {
    use ridge_rider::linalg::{lanczos, LanczosParams, MeanOperator, Which};
    let mats: Vec<DenseSymmetric> = (0..3).map(|s| with_spectrum(&spectrum(30, 40 + s), 40 + s)).collect();
    let n = 30;
    let mut avg = vec![0.0; n * n];
    for m in &mats {
        avg.iter_mut().zip(m.data()).for_each(|(a, x)| *a += x / 3.0);
    }
    let exact = symmetric_eigen(&DenseSymmetric::new(n, avg).unwrap()).unwrap().values;
    let mean = MeanOperator::new(mats).unwrap();
    let p = LanczosParams { k: 3, which: Which::MostNegative, tol: 1e-10, ..Default::default() };
    let r = lanczos(&mean, &p).unwrap();
    for (got, want) in r.values.iter().zip(&exact) {
        assert!((got - want).abs() < 1e-8 * want.abs().max(1.0), "{got} against {want}");
    }
    let v = normal_vec(&mut seeded(7, 7), n, 1.0);
    let mut one = vec![0.0; n];
    mean.apply(&v, &mut one).unwrap();
    let mut block = vec![vec![0.0; n]; 2];
    mean.apply_block(&[&v, &v], &mut block).unwrap();
    assert!(one.iter().zip(&block[1]).all(|(a, b)| (a - b).abs() < 1e-12));
}

/// A small MLP's layers (its `Loss::blocks`): Lanczos on each block of the Hessian
/// operator gives the eigenvalues of that block of the exact dense Hessian.
#[test]
fn block_spectra_of_a_small_mlp_match_the_dense_blocks_of_its_hessian() {
    use ridge_rider::ad::{hessian, Loss};
    use ridge_rider::linalg::{lanczos, BlockOperator, HessianOperator, LanczosParams, Which};
    use ridge_rider::problems::mnist::mlp::{Activation, Mlp, MlpLoss};
    let mlp = Mlp::new(6, 3, 4, Activation::Tanh);
    let x = normal_vec(&mut seeded(5, 5), 10 * 6, 1.0);
    let labels: Vec<usize> = (0..10).map(|i| (i * 7 + 3) % 4).collect();
    let loss = MlpLoss::new(mlp, x, labels).unwrap();
    let theta = mlp.init_standard(3);
    let n = loss.dim();
    let h = hessian(&loss, &theta).unwrap();
    let op = HessianOperator::new(&loss, theta).unwrap();
    let blocks = loss.blocks();
    assert_eq!(blocks.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(), ["W1", "b1", "W2", "b2"]);
    assert_eq!(blocks.iter().map(|b| b.range.len()).sum::<usize>(), n);
    for b in &blocks {
        let m = b.range.len();
        let sub: Vec<f64> =
            b.range.clone().flat_map(|i| b.range.clone().map(move |j| (i, j))).map(|(i, j)| h[i * n + j]).collect();
        let exact = symmetric_eigen(&DenseSymmetric::new(m, sub.clone()).unwrap()).unwrap().values;
        // The block's matrix from its products, eight columns per sweep, is the dense one.
        let formed = DenseSymmetric::from_operator(&BlockOperator::new(&op, b.range.clone()).unwrap(), 8).unwrap();
        let scale = sub.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        assert!(formed.data().iter().zip(&sub).all(|(f, e)| (f - e).abs() <= 1e-10 * scale), "{}", b.name);
        let k = m.min(3);
        let p = LanczosParams { k, which: Which::MostNegative, tol: 1e-10, ..Default::default() };
        let got = lanczos(&BlockOperator::new(&op, b.range.clone()).unwrap(), &p).unwrap().values;
        for (g, e) in got.iter().zip(&exact) {
            assert!((g - e).abs() < 1e-7 * e.abs().max(1.0), "{}: {g} against {e}", b.name);
        }
        // A sketch of 4m Rademacher probes spans the block (m of them may not: in 3
        // dimensions there are only 4 directions ±1 up to sign), so Hutch++ gives its
        // exact trace, with the probes applied one by one or several per sweep.
        let diagonal: f64 = b.range.clone().map(|i| h[i * n + i]).sum();
        for block_size in [1, 5] {
            let p = TraceParams { products: 12 * m, block_size, seed: 4, ..Default::default() };
            let t = estimate_trace(&BlockOperator::new(&op, b.range.clone()).unwrap(), &p).unwrap();
            assert!(
                (t.trace - diagonal).abs() < 1e-9 * diagonal.abs().max(1.0),
                "{}: {} against {diagonal}",
                b.name,
                t.trace
            );
        }
    }
}

/// The probes per sweep change how products are batched, not the estimate.
#[test]
fn a_trace_estimate_does_not_depend_on_its_block_size() {
    let a = with_spectrum(&spectrum(40, 9), 9);
    for method in [TraceMethod::Hutchinson, TraceMethod::HutchPlusPlus] {
        let t = |block_size| estimate_trace(&a, &TraceParams { method, products: 30, block_size, seed: 2 }).unwrap();
        let one = t(1);
        for b in [3, 8, 64] {
            assert_eq!(t(b), one, "{method:?}, block {b}");
        }
    }
    assert!(estimate_trace(&a, &TraceParams { block_size: 0, ..Default::default() }).is_err());
}

mod tracking {
    use super::with_spectrum;
    use proptest::prelude::*;
    use ridge_rider::linalg::track::{SpectrumTracker, TrackParams};
    use ridge_rider::linalg::{symmetric_eigen, DenseSymmetric, LanczosParams, LinalgError};

    /// A ride's Hessians: one spectrum (from `with_spectrum`) moving by `drift` per
    /// point, A_t = A + t·drift·B with B a fixed random symmetric matrix.
    fn ride(n: usize, points: usize, drift: f64, seed: u64) -> Vec<DenseSymmetric> {
        let values: Vec<f64> = (0..n).map(|i| if i < 5 { -3.0 + 0.4 * i as f64 } else { 0.1 * i as f64 }).collect();
        let a = with_spectrum(&values, seed);
        let b = with_spectrum(&(0..n).map(|i| (i as f64 * 0.37).sin()).collect::<Vec<_>>(), seed + 1);
        (0..points)
            .map(|t| {
                let m = (0..n * n).map(|k| a.get(k / n, k % n) + t as f64 * drift * b.get(k / n, k % n)).collect();
                DenseSymmetric::new(n, m).unwrap()
            })
            .collect()
    }

    fn params(k: usize, warm_start: bool) -> TrackParams {
        TrackParams { lanczos: LanczosParams { k, tol: 1e-9, ..Default::default() }, warm_start }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        /// At every point, warm or cold, the tracked eigenvalues are the dense ones.
        #[test]
        fn tracked_eigenvalues_are_the_dense_ones(seed in 0u64..1000, k in 1usize..5, warm in any::<bool>()) {
            let mut tracker = SpectrumTracker::new(params(k, warm)).unwrap();
            let mut previous: Option<Vec<Vec<f64>>> = None;
            for op in ride(80, 5, 0.05, seed) {
                let point = tracker.next(&op).unwrap();
                let (r, dense) = (point.pairs, symmetric_eigen(&op).unwrap());
                prop_assert!(r.all_converged());
                for (got, want) in r.values.iter().zip(&dense.values) {
                    prop_assert!((got - want).abs() <= 1e-7 * want.abs().max(1.0), "{got} vs {want}");
                }
                // The overlap is that of the dense eigenspaces of consecutive points.
                let space: Vec<Vec<f64>> = dense.vectors[..k].to_vec();
                match (&previous, point.overlap) {
                    (None, None) => {}
                    (Some(before), Some(got)) => {
                        let dot = |u: &Vec<f64>, v: &Vec<f64>| u.iter().zip(v).map(|(a, b)| a * b).sum::<f64>();
                        let want = before.iter().flat_map(|u| space.iter().map(move |v| dot(u, v).powi(2))).sum::<f64>() / k as f64;
                        prop_assert!((got - want).abs() < 1e-6 && got <= 1.0 + 1e-9, "overlap {got} vs {want}");
                    }
                    other => prop_assert!(false, "overlap {other:?}"),
                }
                previous = Some(space);
            }
        }
    }

    #[test]
    fn warm_starts_need_fewer_products_than_random_ones_along_a_slow_ride() {
        for seed in 0..5 {
            let ops = ride(300, 8, 0.01, seed);
            let total = |warm: bool| {
                let mut tracker = SpectrumTracker::new(params(4, warm)).unwrap();
                // The first point is solved from the same random vector either way.
                tracker.next(&ops[0]).unwrap();
                ops[1..].iter().map(|op| tracker.next(op).unwrap().pairs.operator_applications).sum::<usize>()
            };
            let (warm, cold) = (total(true), total(false));
            assert!(warm < cold, "seed {seed}: warm {warm} HVPs, cold {cold}");
        }
    }

    /// The most negative eigenvector at the next point is orthogonal to the previous
    /// one, which is still an eigenvector there (of a larger eigenvalue): the warm
    /// start must not settle on it.
    #[test]
    fn a_warm_start_still_finds_an_eigenvector_orthogonal_to_the_previous_ones() {
        let before: Vec<f64> = (0..50).map(|i| if i == 0 { -1.0 } else { i as f64 }).collect();
        let mut after = before.clone();
        (after[0], after[7]) = (-0.5, -1.0);
        let mut tracker = SpectrumTracker::new(params(1, true)).unwrap();
        let first = tracker.next(&DenseSymmetric::from_diagonal(&before)).unwrap().pairs;
        assert!((first.values[0] + 1.0).abs() < 1e-9);
        let second = tracker.next(&DenseSymmetric::from_diagonal(&after)).unwrap();
        assert!((second.pairs.values[0] + 1.0).abs() < 1e-9, "{:?}", second.pairs.values);
        assert!(second.overlap.unwrap() < 1e-6);
    }

    #[test]
    fn an_operator_of_another_dimension_is_refused() {
        let mut tracker = SpectrumTracker::new(params(1, true)).unwrap();
        tracker.next(&DenseSymmetric::from_diagonal(&[1.0, -2.0, 3.0])).unwrap();
        let err = tracker.next(&DenseSymmetric::from_diagonal(&[1.0, -2.0])).unwrap_err();
        assert!(matches!(err, LinalgError::Shape { expected: 3, got: 2 }));
        assert_eq!(tracker.points(), 1);
        let bad = TrackParams { lanczos: LanczosParams { tol: 0.0, ..Default::default() }, warm_start: true };
        assert!(SpectrumTracker::new(bad).is_err());
    }
}

/// A PSD matrix with a null space, as a last layer's block is: its most negative
/// eigenvalue is 0, which the relative criterion alone never accepts (it spends every
/// product allowed); under `abs_tol` it converges within a few restarts. (One start
/// vector sees one copy of a repeated eigenvalue, so the null space here is one vector.)
#[test]
fn zero_eigenvalues_converge_under_an_absolute_tolerance() {
    use ridge_rider::linalg::{lanczos, LanczosParams};
    let values: Vec<f64> = (0..200).map(|i| if i == 0 { 0.0 } else { 0.5 + 0.01 * i as f64 }).collect();
    let a = with_spectrum(&values, 3);
    let p = LanczosParams { k: 3, max_applications: 2000, ..Default::default() };
    let relative = lanczos(&a, &p).unwrap();
    assert!(!relative.converged[0] && relative.operator_applications == 2000, "{relative:?}");
    let absolute = lanczos(&a, &LanczosParams { abs_tol: 1e-10, ..p.clone() }).unwrap();
    assert!(absolute.all_converged() && absolute.operator_applications < 400, "{absolute:?}");
    assert!(absolute.values[0].abs() < 1e-10 && absolute.residuals[0] <= 1e-10);
    for (got, want) in absolute.values.iter().zip(&values).skip(1) {
        assert!((got - want).abs() < 1e-6 * want, "{got} against {want}");
    }
    assert!(lanczos(&a, &LanczosParams { abs_tol: f64::NAN, ..p }).is_err());
}
