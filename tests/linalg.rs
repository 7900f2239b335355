//! Eigen-solvers against an independent Jacobi reference and each other.
//!
//! (Over 400 lines: the solvers share the reference and spectrum builders at the top.)
#![allow(clippy::needless_range_loop)]

use proptest::prelude::*;
use ridge_rider::ad::hessian;
use ridge_rider::io::npy::{read_npy_bytes, write_npy_bytes, NpyArray, NpyError};
use ridge_rider::kernels::{dot, dot_naive, norm};
use ridge_rider::linalg::{
    lanczos, power_iteration, symmetric_eigen, DenseSymmetric, HessianOperator, LanczosParams, LinalgError,
    LinearOperator, PowerParams, Which,
};
use ridge_rider::problems::mnist::mlp::{Activation, Mlp, MlpLoss};

/// Cyclic Jacobi: slow, simple and independent of the solver under test.
fn jacobi_eigenvalues(n: usize, a: &[f64]) -> Vec<f64> {
    let mut m = a.to_vec();
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j].powi(2))
            .sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * akp - s * akq;
                    m[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * apk - s * aqk;
                    m[q * n + k] = s * apk + c * aqk;
                }
            }
        }
    }
    let mut d: Vec<f64> = (0..n).map(|i| m[i * n + i]).collect();
    d.sort_by(f64::total_cmp);
    d
}

/// Q·diag(d)·Qᵀ with Q orthonormal from Gram–Schmidt of the columns of `g`.
fn with_spectrum(n: usize, d: &[f64], g: &[f64]) -> Vec<f64> {
    let mut q: Vec<Vec<f64>> = Vec::new();
    for j in 0..n {
        let mut v: Vec<f64> = (0..n).map(|i| g[i * n + j] + if i == j { 1e-3 } else { 0.0 }).collect();
        ridge_rider::kernels::gram_schmidt(&q, &mut v);
        ridge_rider::kernels::normalize(&mut v);
        q.push(v);
    }
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] = (0..n).map(|k| q[k][i] * d[k] * q[k][j]).sum();
        }
    }
    a
}

/// Random symmetric matrices of several kinds: generic, repeated and clustered
/// eigenvalues, rank-deficient, diagonal (n from 1).
fn symmetric_matrix() -> impl Strategy<Value = (usize, Vec<f64>)> {
    (1usize..24, 0u8..5).prop_flat_map(|(n, kind)| {
        (proptest::collection::vec(-1.0..1.0f64, n * n), proptest::collection::vec(-5.0..5.0f64, n)).prop_map(
            move |(g, mut d)| {
                let a = match kind {
                    0 => (0..n * n).map(|k| g[k] + g[(k % n) * n + k / n]).collect(),
                    1 => {
                        for i in 0..n {
                            d[i] = (d[i] / 2.0).round(); // many repeated values
                        }
                        with_spectrum(n, &d, &g)
                    }
                    2 => {
                        for (i, v) in d.iter_mut().enumerate() {
                            *v = -0.57 + 1e-4 * i as f64 * v.signum(); // a tight cluster
                        }
                        with_spectrum(n, &d, &g)
                    }
                    3 => {
                        for v in d.iter_mut().skip(n / 2) {
                            *v = 0.0; // rank-deficient
                        }
                        with_spectrum(n, &d, &g)
                    }
                    _ => {
                        let mut a = vec![0.0; n * n];
                        for i in 0..n {
                            a[i * n + i] = d[i];
                        }
                        a
                    }
                };
                (n, a)
            },
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn dense_eigen_residuals_orthonormality_and_reference((n, a) in symmetric_matrix()) {
        let m = DenseSymmetric::new(n, a.clone()).unwrap();
        let e = symmetric_eigen(&m).unwrap();
        let scale = m.frobenius_norm().max(1e-300);
        let mut av = vec![0.0; n];
        for (lambda, v) in e.values.iter().zip(&e.vectors) {
            m.apply(v, &mut av).unwrap();
            let r: f64 = av.iter().zip(v).map(|(x, y)| (x - lambda * y).powi(2)).sum::<f64>().sqrt();
            prop_assert!(r <= 1e-10 * scale, "residual {r} vs ‖A‖ {scale}");
        }
        for i in 0..n {
            for j in 0..n {
                let d = dot(&e.vectors[i], &e.vectors[j]);
                let want = if i == j { 1.0 } else { 0.0 };
                prop_assert!((d - want).abs() < 1e-10, "v{i}·v{j} = {d}");
            }
        }
        prop_assert!(e.values.windows(2).all(|w| w[0] <= w[1]));
        let reference = jacobi_eigenvalues(n, m.data());
        for (x, y) in e.values.iter().zip(&reference) {
            prop_assert!((x - y).abs() <= 1e-10 * scale, "{x} vs Jacobi {y}");
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn lanczos_and_power_agree_with_dense(n in 20usize..120, seed in 0u64..1000, k in 1usize..5) {
        // A spectrum with gaps, so power iteration converges in its budget. The gaps are
        // enforced: the formula alone can repeat a value exactly (n = 40, seed = 88 gives
        // −2.95625 twice), and single-vector Lanczos finds one copy of a repeated
        // eigenvalue (see `lanczos`'s docs).
        let mut d: Vec<f64> = (0..n).map(|i| -3.0 + 6.0 * (i as f64 / n as f64).powi(2) + 0.01 * ((i * 37 + seed as usize) % 11) as f64).collect();
        d.sort_by(f64::total_cmp);
        for i in 1..n {
            d[i] = d[i].max(d[i - 1] + 1e-3);
        }
        let mut rng = ridge_rider::rng::seeded(seed, 1);
        let g = ridge_rider::rng::normal_vec(&mut rng, n * n, 1.0);
        let m = DenseSymmetric::new(n, with_spectrum(n, &d, &g)).unwrap();
        let dense = symmetric_eigen(&m).unwrap();
        for which in [Which::MostNegative, Which::Largest, Which::LargestMagnitude] {
            let r = lanczos(&m, &LanczosParams { k, which, tol: 1e-12, seed, ..Default::default() }).unwrap();
            prop_assert!(r.all_converged(), "{which:?} {r:?}");
            let mut want = dense.values.clone();
            want.sort_by(|a, b| which_key(which, *a).total_cmp(&which_key(which, *b)));
            for i in 0..k {
                // Compared by rank key: for LargestMagnitude, λ and −λ tie.
                let (got, wanted) = (which_key(which, r.values[i]), which_key(which, want[i]));
                prop_assert!((got - wanted).abs() < 1e-8, "lanczos {which:?} {} vs {}", r.values[i], want[i]);
                prop_assert!(r.residuals[i] <= 1e-12 * r.values[i].abs().max(1e-12) * 1.0001);
            }
        }
        let p = power_iteration(&m, &PowerParams { k: 1, which: Which::MostNegative, tol: 1e-10, max_iterations: 200_000, seed, ..Default::default() }).unwrap();
        prop_assert!((p.values[0] - dense.values[0]).abs() < 1e-8, "power {} vs {}", p.values[0], dense.values[0]);
        let p = power_iteration(&m, &PowerParams { k: 2, which: Which::Largest, tol: 1e-10, max_iterations: 200_000, seed, ..Default::default() }).unwrap();
        prop_assert!((p.values[0] - dense.values[n - 1]).abs() < 1e-8);
        prop_assert!((p.values[1] - dense.values[n - 2]).abs() < 1e-8);
        // Every one of k pairs converges, and its reported residual is the one a fresh
        // product gives.
        let p = power_iteration(&m, &PowerParams { k, which: Which::MostNegative, tol: 1e-9, max_iterations: 200_000, seed, ..Default::default() }).unwrap();
        prop_assert!(p.all_converged(), "{:?}", p.residuals);
        let mut av = vec![0.0; n];
        for i in 0..k {
            m.apply(&p.vectors[i], &mut av).unwrap();
            let fresh: f64 = av.iter().zip(&p.vectors[i]).map(|(x, v)| (x - p.values[i] * v).powi(2)).sum::<f64>().sqrt();
            prop_assert!((fresh - p.residuals[i]).abs() <= 1e-13 * m.frobenius_norm(), "pair {i}: {fresh:e} vs {:e}", p.residuals[i]);
            prop_assert!(fresh <= 1e-9 * p.values[i].abs() * 1.0001);
            prop_assert!((p.values[i] - dense.values[i]).abs() < 1e-8);
        }
    }

    #[test]
    fn npy_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = read_npy_bytes(&bytes);
        let mut good = write_npy_bytes(&NpyArray { shape: vec![3], data: vec![1.0, 2.0, 3.0] });
        let cut = bytes.len() % good.len();
        good.truncate(cut);
        prop_assert!(read_npy_bytes(&good).is_err());
    }
}

fn which_key(w: Which, l: f64) -> f64 {
    match w {
        Which::MostNegative => l,
        Which::Largest => -l,
        Which::LargestMagnitude => -l.abs(),
    }
}

#[test]
fn counts_out_of_range_are_errors() {
    let m = DenseSymmetric::from_diagonal(&[1.0, 2.0]);
    assert!(matches!(lanczos(&m, &LanczosParams { k: 3, ..Default::default() }), Err(LinalgError::BadCount { .. })));
    assert!(matches!(
        power_iteration(&m, &PowerParams { k: 0, ..Default::default() }),
        Err(LinalgError::BadCount { .. })
    ));
    let empty = DenseSymmetric::from_diagonal(&[]);
    assert!(matches!(lanczos(&empty, &LanczosParams::default()), Err(LinalgError::Empty)));
    assert!(matches!(symmetric_eigen(&empty), Err(LinalgError::Empty)));
    assert!(matches!(DenseSymmetric::new(2, vec![1.0; 3]), Err(LinalgError::Shape { .. })));
    assert!(matches!(DenseSymmetric::new(1, vec![f64::NAN]), Err(LinalgError::NonFinite)));
}

#[test]
fn lucky_breakdown_is_handled() {
    // A diagonal matrix with 3 distinct values: Krylov space from e₀+e₁ is invariant at once.
    let m = DenseSymmetric::from_diagonal(&[1.0, -2.0, 3.0, 3.0, -2.0, 1.0]);
    let r = lanczos(
        &m,
        &LanczosParams {
            k: 4,
            which: Which::MostNegative,
            start: Some(vec![1.0, 1.0, 0.0, 0.0, 0.0, 0.0]),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(r.all_converged(), "{r:?}");
    assert!((r.values[0] + 2.0).abs() < 1e-12 && (r.values[1] + 2.0).abs() < 1e-12);
    assert!((r.values[2] - 1.0).abs() < 1e-12 && (r.values[3] - 1.0).abs() < 1e-12);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Stopped at its invariant Krylov space, Lanczos returns each distinct eigenvalue
    /// once, whatever the multiplicities: the groups of the dense spectrum.
    #[test]
    fn one_per_group_lanczos_finds_each_distinct_eigenvalue_once(
        distinct in proptest::collection::vec(-5.0f64..5.0, 1..6),
        copies in proptest::collection::vec(1usize..5, 6),
        seed in 0u64..1000,
    ) {
        let mut groups = distinct.clone();
        groups.sort_by(f64::total_cmp);
        groups.dedup_by(|a, b| (*a - *b).abs() < 0.05);
        let d: Vec<f64> = groups.iter().zip(&copies).flat_map(|(v, c)| std::iter::repeat(*v).take(*c)).collect();
        let n = d.len();
        let g = ridge_rider::rng::normal_vec(&mut ridge_rider::rng::seeded(seed, 2), n * n, 1.0);
        let m = DenseSymmetric::new(n, with_spectrum(n, &d, &g)).unwrap();
        let p = LanczosParams { k: n, tol: 1e-10, seed, continue_after_breakdown: false, ..Default::default() };
        let r = lanczos(&m, &p).unwrap();
        prop_assert_eq!(r.values.len(), groups.len(), "{:?} from {:?}", r.values, d);
        for (got, want) in r.values.iter().zip(&groups) {
            prop_assert!((got - want).abs() < 1e-9, "{:?} vs {:?}", r.values, groups);
        }
        // Continuing after the breakdown finds every copy.
        let r = lanczos(&m, &LanczosParams { continue_after_breakdown: true, ..p }).unwrap();
        prop_assert_eq!(r.values.len(), n);
    }
}

#[test]
fn lanczos_on_mlp_hessian_matches_dense_eigen() {
    let mlp = Mlp::new(6, 5, 3, Activation::Tanh);
    let x: Vec<f64> = (0..60).map(|i| ((i * 31) % 17) as f64 / 17.0).collect();
    let labels: Vec<usize> = (0..10).map(|i| i % 3).collect();
    let loss = MlpLoss::new(mlp, x, labels).unwrap();
    let theta = mlp.init_near_zero(1, 0.1);
    let n = mlp.dim();
    let h = DenseSymmetric::new(n, hessian(&loss, &theta).unwrap()).unwrap();
    let dense = symmetric_eigen(&h).unwrap();
    let op = HessianOperator::new(&loss, theta).unwrap();
    let r =
        lanczos(&op, &LanczosParams { k: 3, which: Which::MostNegative, tol: 1e-10, ..Default::default() }).unwrap();
    assert!(r.all_converged());
    for i in 0..3 {
        assert!((r.values[i] - dense.values[i]).abs() < 1e-8, "{} vs {}", r.values[i], dense.values[i]);
    }
    assert_eq!(op.applications(), r.operator_applications);
}

#[test]
fn npy_round_trip_and_errors() {
    let a = NpyArray { shape: vec![4], data: vec![0.5, -1.0, 1e300, 0.0] };
    assert_eq!(read_npy_bytes(&write_npy_bytes(&a)).unwrap(), a);
    // f4 written by hand.
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(header.len() as u16).to_le_bytes());
    b.extend_from_slice(header.as_bytes());
    b.extend_from_slice(&1.5f32.to_le_bytes());
    b.extend_from_slice(&(-2.0f32).to_le_bytes());
    assert_eq!(read_npy_bytes(&b).unwrap().data, vec![1.5, -2.0]);
    assert!(matches!(read_npy_bytes(b"hello"), Err(NpyError::BadMagic)));
    let mut bad = b.clone();
    let at = bad.windows(3).position(|w| w == b"<f4").unwrap();
    bad[at..at + 3].copy_from_slice(b"<i8");
    assert!(matches!(read_npy_bytes(&bad), Err(NpyError::UnsupportedDtype(_))));
    b.pop();
    assert!(matches!(read_npy_bytes(&b), Err(NpyError::Truncated { .. })));
    let fortran = write_npy_bytes(&a);
    let s = String::from_utf8_lossy(&fortran).replace("False", "True ");
    assert!(read_npy_bytes(s.as_bytes()).is_err());
}

#[test]
fn kernels_match_naive() {
    let x: Vec<f64> = (0..1003).map(|i| (i as f64).sin()).collect();
    let y: Vec<f64> = (0..1003).map(|i| (i as f64 * 0.3).cos()).collect();
    assert!((dot(&x, &y) - dot_naive(&x, &y)).abs() < 1e-10);
    assert!((norm(&x) - dot_naive(&x, &x).sqrt()).abs() < 1e-12);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// The first layer's effective rank, computed from tr G and ‖G‖_F with G = W1ᵀW1,
    /// equals (Σλ)²/Σλ² over G's eigenvalues from the dense eigensolver, and lies
    /// between 1 and min(inputs, hidden).
    #[test]
    fn first_layer_rank_matches_the_spectrum(inputs in 1usize..12, hidden in 1usize..9, seed in 0u64..1000) {
        let mlp = Mlp::new(inputs, hidden, 2, Activation::Tanh);
        let theta = mlp.init_standard(seed);
        let w1 = &theta[..inputs * hidden];
        let mut gram = vec![0.0; hidden * hidden];
        for a in 0..hidden {
            for b in 0..hidden {
                gram[a * hidden + b] = (0..inputs).map(|k| w1[k * hidden + a] * w1[k * hidden + b]).sum();
            }
        }
        let values = symmetric_eigen(&DenseSymmetric::new(hidden, gram).unwrap()).unwrap().values;
        let expected = values.iter().sum::<f64>().powi(2) / values.iter().map(|l| l * l).sum::<f64>();
        let rank = mlp.first_layer_effective_rank(&theta);
        prop_assert!((rank - expected).abs() < 1e-9 * expected, "{rank} vs {expected}");
        prop_assert!(rank >= 1.0 - 1e-9 && rank <= inputs.min(hidden) as f64 + 1e-9, "{rank}");
    }
}

/// Every pair of a deflated power run converges, each checked by a fresh product: a
/// later pair must not inherit the error of an earlier pair's inexact vector.
#[test]
fn power_iteration_converges_every_pair_of_a_known_spectrum() {
    let mut d = vec![-5.0, -3.0, -1.0];
    d.extend((0..37).map(|i| 2.0 * i as f64 / 36.0));
    let a = DenseSymmetric::from_diagonal(&d);
    for (k, tol) in [(2, 1e-6), (3, 1e-8)] {
        let p = PowerParams { k, which: Which::MostNegative, tol, max_iterations: 2_000, ..Default::default() };
        let r = power_iteration(&a, &p).unwrap();
        assert!(r.all_converged(), "k = {k}: {:?} {:?}", r.values, r.residuals);
        assert!(r.operator_applications <= 3 * 2_000 + 30, "{} products", r.operator_applications);
        for (i, want) in d[..k].iter().enumerate() {
            let mut av = vec![0.0; d.len()];
            a.apply(&r.vectors[i], &mut av).unwrap();
            let residual: f64 =
                av.iter().zip(&r.vectors[i]).map(|(x, v)| (x - r.values[i] * v).powi(2)).sum::<f64>().sqrt();
            assert!(residual <= tol * want.abs(), "pair {i}: fresh residual {residual:e}");
            assert!((r.values[i] - want).abs() <= 2.0 * tol * want.abs(), "pair {i}: {} vs {want}", r.values[i]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    /// Block Lanczos against the dense solver, on spectra whose most negative value is
    /// repeated exactly: a block of b ≥ the multiplicity finds every copy.
    #[test]
    fn block_lanczos_finds_every_copy_of_a_repeated_eigenvalue(n in 30usize..90, seed in 0u64..1000, copies in 2usize..4, extra in 0usize..2) {
        let mut d: Vec<f64> = (0..n).map(|i| -2.0 + 5.0 * (i as f64 / n as f64) + 0.003 * ((i * 29 + seed as usize) % 7) as f64).collect();
        d.sort_by(f64::total_cmp);
        for i in 1..n {
            d[i] = d[i].max(d[i - 1] + 1e-3);
        }
        for x in d.iter_mut().take(copies) {
            *x = -3.0;
        }
        let mut rng = ridge_rider::rng::seeded(seed, 2);
        let g = ridge_rider::rng::normal_vec(&mut rng, n * n, 1.0);
        let m = DenseSymmetric::new(n, with_spectrum(n, &d, &g)).unwrap();
        let dense = symmetric_eigen(&m).unwrap();
        let k = copies + 1;
        let p = LanczosParams { k, tol: 1e-10, seed, block_size: copies + extra, max_applications: 5_000, ..Default::default() };
        let r = lanczos(&m, &p).unwrap();
        prop_assert!(r.all_converged() && r.values.len() == k, "{:?} {:?}", r.values, r.residuals);
        prop_assert!(r.block_applications * (copies + extra) >= r.operator_applications);
        prop_assert!(r.block_applications < r.operator_applications);
        let mut av = vec![0.0; n];
        for i in 0..k {
            prop_assert!((r.values[i] - dense.values[i]).abs() < 1e-8, "{i}: {} vs {}", r.values[i], dense.values[i]);
            m.apply(&r.vectors[i], &mut av).unwrap();
            let fresh: f64 = av.iter().zip(&r.vectors[i]).map(|(x, v)| (x - r.values[i] * v).powi(2)).sum::<f64>().sqrt();
            prop_assert!(fresh <= 1e-10 * r.values[i].abs() * 1.0001 + 1e-13);
            for j in 0..i {
                prop_assert!(dot(&r.vectors[i], &r.vectors[j]).abs() < 1e-8);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Thick restarts on clustered and repeated spectra: a small basis forces many
    /// restarts, the wanted end holds a tight cluster (relative gaps down to 1e-6) and
    /// one value repeated exactly. Every pair converges (checked by a fresh product), the
    /// values are eigenvalues, and no distinct eigenvalue below the last one returned is
    /// skipped: a restart never drops a wanted direction.
    #[test]
    fn thick_restarts_converge_on_clustered_and_repeated_spectra(
        n in 60usize..160, seed in 0u64..1000, k in 2usize..6, spare in 4usize..10, gap_exp in 3i32..7, copies in 1usize..3,
    ) {
        let gap = 10f64.powi(-gap_exp);
        let mut d: Vec<f64> = (0..n).map(|i| -1.0 + 3.0 * (i as f64 / n as f64) + 0.01 * ((i * 31 + seed as usize) % 13) as f64).collect();
        d.sort_by(f64::total_cmp);
        for i in 1..n {
            d[i] = d[i].max(d[i - 1] + 1e-3);
        }
        // The cluster: k + 1 values within k·gap of −2, then `copies` copies of −1.5.
        for (i, x) in d.iter_mut().take(k + 1).enumerate() {
            *x = -2.0 + gap * i as f64;
        }
        for x in d.iter_mut().skip(k + 1).take(copies) {
            *x = -1.5;
        }
        let mut rng = ridge_rider::rng::seeded(seed, 3);
        let g = ridge_rider::rng::normal_vec(&mut rng, n * n, 1.0);
        let m = DenseSymmetric::new(n, with_spectrum(n, &d, &g)).unwrap();
        let dense = symmetric_eigen(&m).unwrap();
        let want = k + copies + 1;
        let p = LanczosParams { k: want, tol: 1e-10, seed, max_subspace: want + spare, max_applications: 20_000, ..Default::default() };
        let r = lanczos(&m, &p).unwrap();
        prop_assert!(r.all_converged() && r.values.len() == want, "{:?} {:?}", r.values, r.residuals);
        prop_assert!(r.iterations > 0, "no restart happened");
        let mut av = vec![0.0; n];
        for i in 0..want {
            m.apply(&r.vectors[i], &mut av).unwrap();
            let fresh: f64 = av.iter().zip(&r.vectors[i]).map(|(x, v)| (x - r.values[i] * v).powi(2)).sum::<f64>().sqrt();
            prop_assert!(fresh <= 1e-10 * r.values[i].abs() * 1.0001 + 1e-13, "pair {i}: {fresh:e}");
            prop_assert!(dense.values.iter().any(|l| (l - r.values[i]).abs() < 1e-8), "{} is no eigenvalue", r.values[i]);
            for j in 0..i {
                prop_assert!(dot(&r.vectors[i], &r.vectors[j]).abs() < 1e-8);
            }
        }
        let last = r.values[want - 1];
        for l in dense.values.iter().filter(|l| **l < last - 1e-8) {
            prop_assert!(r.values.iter().any(|v| (v - l).abs() < 1e-8), "skipped {l} (found {:?})", r.values);
        }
        // The cluster itself is resolved pair by pair.
        for i in 0..=k.min(want - 1) {
            prop_assert!((r.values[i] - dense.values[i]).abs() < 1e-8, "cluster {i}: {} vs {}", r.values[i], dense.values[i]);
        }
    }
}
