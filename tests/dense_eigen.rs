//! The blocked dense eigensolver against backward-error bounds and the unblocked
//! reference path, on the matrices where divide and conquer deflates: repeated and
//! clustered spectra, block-diagonal and diagonal matrices, graded and scaled ones.
#![allow(clippy::needless_range_loop)]

use proptest::prelude::*;
use ridge_rider::kernels::dot;
use ridge_rider::linalg::dense::symmetric_eigen_reference;
use ridge_rider::linalg::{symmetric_eigen, DenseSymmetric, LinearOperator, SymmetricEigen};
use ridge_rider::rng::{normal_vec, seeded};

/// The bounds' constant c in c·n·ε: LAPACK's own tests accept ratios up to 20-ish.
const C: f64 = 10.0;

/// A random orthogonal matrix (row-major) as a product of n Householder reflectors.
fn random_orthogonal(n: usize, seed: u64) -> Vec<f64> {
    let mut q = vec![0.0; n * n];
    for i in 0..n {
        q[i * n + i] = 1.0;
    }
    let mut rng = seeded(seed, 7);
    for _ in 0..n {
        let v = normal_vec(&mut rng, n, 1.0);
        let vv = dot(&v, &v);
        for row in q.chunks_exact_mut(n) {
            let f = 2.0 * dot(row, &v) / vv;
            row.iter_mut().zip(&v).for_each(|(x, y)| *x -= f * y);
        }
    }
    q
}

/// Q·diag(d)·Qᵀ.
fn with_spectrum(d: &[f64], seed: u64) -> Vec<f64> {
    let n = d.len();
    let q = random_orthogonal(n, seed);
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..n).map(|k| q[i * n + k] * d[k] * q[j * n + k]).sum();
            a[i * n + j] = s;
            a[j * n + i] = s;
        }
    }
    a
}

fn gaussian(n: usize, seed: u64) -> Vec<f64> {
    normal_vec(&mut seeded(seed, 3), n * n, 1.0)
}

/// The test matrices, by kind; all symmetrised by `DenseSymmetric::new`.
fn matrix(kind: u8, n: usize, seed: u64) -> Vec<f64> {
    let nf = n as f64;
    match kind {
        0 => gaussian(n, seed),
        // Exactly repeated eigenvalues: a handful of distinct values.
        1 => with_spectrum(&(0..n).map(|i| ((i * 7 + seed as usize) % 4) as f64 - 1.5).collect::<Vec<_>>(), seed),
        // A tight cluster beside a few separated values.
        2 => with_spectrum(
            &(0..n).map(|i| if i % 5 == 0 { i as f64 } else { 0.3 + 1e-11 * i as f64 }).collect::<Vec<_>>(),
            seed,
        ),
        // Block diagonal: the tridiagonal splits exactly.
        3 => {
            let g = gaussian(n, seed);
            let mut a = vec![0.0; n * n];
            let mut start = 0;
            while start < n {
                let size = (1 + (start * 13 + seed as usize) % 40).min(n - start);
                for i in start..start + size {
                    for j in start..start + size {
                        a[i * n + j] = g[i * n + j];
                    }
                }
                start += size;
            }
            a
        }
        // Graded: entries from 1e-8 to 1e8.
        4 => {
            let g = gaussian(n, seed);
            let s: Vec<f64> = (0..n).map(|i| 10f64.powf(-4.0 + 8.0 * i as f64 / (nf - 1.0).max(1.0))).collect();
            (0..n * n).map(|k| s[k / n] * g[k] * s[k % n]).collect()
        }
        // Uniformly scaled by 1e-8 or 1e8.
        5 => {
            let s = if seed % 2 == 0 { 1e-8 } else { 1e8 };
            gaussian(n, seed).iter().map(|x| x * s).collect()
        }
        // Diagonal with repeats: every rank-one merge deflates completely.
        6 => {
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                a[i * n + i] = ((i * 5 + seed as usize) % 7) as f64;
            }
            a
        }
        // Wilkinson's W+ (tridiagonal): pairs of eigenvalues agreeing to many digits.
        7 => {
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                a[i * n + i] = (i as f64 - (nf - 1.0) / 2.0).abs();
                if i + 1 < n {
                    a[i * n + i + 1] = 1.0;
                    a[(i + 1) * n + i] = 1.0;
                }
            }
            a
        }
        // Copies of Wilkinson's W+₂₁ glued by tiny couplings: nearly repeated clusters,
        // the classic stress for the merges' deflation.
        8 => {
            let glue = [1e-14, 1e-10, 1e-6][seed as usize % 3];
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                a[i * n + i] = (((i % 21) as f64) - 10.0).abs();
                if i + 1 < n {
                    let c = if (i + 1) % 21 == 0 { glue } else { 1.0 };
                    a[i * n + i + 1] = c;
                    a[(i + 1) * n + i] = c;
                }
            }
            a
        }
        // Low rank: half the spectrum exactly zero.
        _ => with_spectrum(&(0..n).map(|i| if i % 2 == 0 { 0.0 } else { 1.0 + i as f64 }).collect::<Vec<_>>(), seed),
    }
}

/// Checks the decomposition against c·n·ε bounds and the reference eigenvalues;
/// returns a description of the first failure.
fn check(a: &DenseSymmetric, e: &SymmetricEigen) -> Result<(), String> {
    let n = a.n();
    let eps = f64::EPSILON;
    let norm = a.frobenius_norm();
    if e.values.len() != n || e.vectors.len() != n || e.vectors.iter().any(|v| v.len() != n) {
        return Err("wrong shapes".into());
    }
    if !e.values.windows(2).all(|w| w[0] <= w[1]) {
        return Err("values not ascending".into());
    }
    let mut av = vec![0.0; n];
    for (i, (lambda, v)) in e.values.iter().zip(&e.vectors).enumerate() {
        a.apply(v, &mut av).unwrap();
        let r = av.iter().zip(v).map(|(x, y)| (x - lambda * y).powi(2)).sum::<f64>().sqrt();
        if r > C * n as f64 * eps * norm {
            return Err(format!("pair {i}: residual {r:e}, ‖A‖ {norm:e}, bound {:e}", C * n as f64 * eps * norm));
        }
    }
    for i in 0..n {
        for j in 0..=i {
            let g = dot(&e.vectors[i], &e.vectors[j]) - if i == j { 1.0 } else { 0.0 };
            if g.abs() > C * n as f64 * eps {
                return Err(format!("|v{i}·v{j} − δ| = {:e} > {:e}", g.abs(), C * n as f64 * eps));
            }
        }
    }
    let reference = symmetric_eigen_reference(a).unwrap();
    for (i, (x, y)) in e.values.iter().zip(&reference.values).enumerate() {
        if (x - y).abs() > C * n as f64 * eps * norm {
            return Err(format!("value {i}: {x:e} vs reference {y:e}"));
        }
    }
    Ok(())
}

fn run(kind: u8, n: usize, seed: u64) -> Result<(), String> {
    let a = DenseSymmetric::new(n, matrix(kind, n, seed)).unwrap();
    let e = symmetric_eigen(&a).map_err(|err| format!("kind {kind}, n {n}: {err}"))?;
    check(&a, &e).map_err(|m| format!("kind {kind}, n {n}, seed {seed}: {m}"))
}

/// Sizes weighted toward the small ones, the block size (32) and the divide-and-conquer
/// leaf size, but reaching 300.
fn size() -> impl Strategy<Value = usize> {
    prop_oneof![1usize..12, 12usize..80, 80usize..300]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn every_kind_meets_the_backward_error_bounds(kind in 0u8..10, n in size(), seed in 0u64..1000) {
        let r = run(kind, n, seed);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}

#[test]
fn sizes_around_the_block_and_leaf_sizes() {
    for n in [1, 2, 3, 24, 25, 26, 31, 32, 33, 34, 48, 50, 51, 63, 64, 65, 66, 97, 128, 129] {
        for kind in 0..10 {
            run(kind, n, n as u64).unwrap();
        }
    }
}

#[test]
fn zero_and_identity_matrices() {
    for n in [1, 5, 33, 70, 150] {
        let zero = DenseSymmetric::new(n, vec![0.0; n * n]).unwrap();
        let e = symmetric_eigen(&zero).unwrap();
        assert!(e.values.iter().all(|&v| v == 0.0));
        check(&zero, &e).unwrap();
        let id = DenseSymmetric::from_diagonal(&vec![1.0; n]);
        let e = symmetric_eigen(&id).unwrap();
        assert!(e.values.iter().all(|&v| v == 1.0), "{:?}", e.values);
        check(&id, &e).unwrap();
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let a = DenseSymmetric::new(200, gaussian(200, 11)).unwrap();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| symmetric_eigen(&a).unwrap());
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap().install(|| symmetric_eigen(&a).unwrap());
    assert_eq!(one.values, two.values);
    assert_eq!(one.vectors, two.vectors);
}
