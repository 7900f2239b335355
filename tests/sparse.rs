//! Sparse constants: every sweep through a CSR-stored data matrix equals the dense
//! path (gemm) to 1e-12 relative, on random sparsity patterns, shapes and lane counts.

use proptest::prelude::*;
use ridge_rider::ad::{
    gradient, hessian_vector_products, value, Constant, HessianAt, Loss, Storage, Var, SPARSE_MIN_LEN,
};

/// L(W) = Σ tanh(S·W + 0.1)² · c + ½‖W‖²·0.01 for data S (m×k), W k×n.
struct DataLoss {
    s: Constant,
    n: usize,
}

impl Loss for DataLoss {
    fn dim(&self) -> usize {
        self.s.shape().1 * self.n
    }
    fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
        let (_, k) = self.s.shape();
        let w = theta.reshape(k, self.n);
        let z = (theta.tape().data(&self.s).matmul(w) + 0.1).tanh();
        (z * z).sum() * 0.7 + 0.005 * theta.dot(theta)
    }
}

fn relative(a: &[f64], b: &[f64]) -> f64 {
    let diff: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
    let scale: f64 = b.iter().map(|y| y * y).sum::<f64>().sqrt();
    diff / scale.max(1e-300)
}

fn lcg(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    #[test]
    fn sparse_sweeps_equal_dense(m in 1usize..40, k in 1usize..30, n in 1usize..140, density in 0.0f64..0.6,
                                 lanes in 1usize..5, seed in 0u64..1000) {
        let mut r = lcg(seed);
        let data: Vec<f64> = (0..m * k).map(|_| { let u = r(); if (u + 1.0) / 2.0 < density { 3.0 * r() } else { 0.0 } }).collect();
        let dense = DataLoss { s: Constant::with_storage(m, k, data.clone(), Storage::Dense).unwrap(), n };
        let sparse = DataLoss { s: Constant::with_storage(m, k, data, Storage::Sparse).unwrap(), n };
        prop_assert!(sparse.s.is_sparse() && !dense.s.is_sparse());
        let theta: Vec<f64> = (0..k * n).map(|_| 0.5 * r()).collect();
        let dirs: Vec<Vec<f64>> = (0..lanes).map(|_| (0..k * n).map(|_| r()).collect()).collect();
        let refs: Vec<&[f64]> = dirs.iter().map(|d| d.as_slice()).collect();
        let (vd, vs) = (value(&dense, &theta).unwrap(), value(&sparse, &theta).unwrap());
        prop_assert!((vd - vs).abs() <= 1e-12 * vd.abs().max(1e-300));
        let (gd, gs) = (gradient(&dense, &theta).unwrap(), gradient(&sparse, &theta).unwrap());
        prop_assert!(relative(&gs.gradient, &gd.gradient) <= 1e-12);
        let hd = hessian_vector_products(&dense, &theta, &refs).unwrap().hvs;
        let sparse_hvps = hessian_vector_products(&sparse, &theta, &refs).unwrap();
        let (gs2, hs) = (&sparse_hvps, &sparse_hvps.hvs);
        prop_assert!(relative(&gs2.gradient, &gd.gradient) <= 1e-12);
        let (rd, rs) = (HessianAt::new(&dense, &theta).unwrap(), HessianAt::new(&sparse, &theta).unwrap());
        let (hrd, hrs) = (rd.hessian_vector_products(&refs).unwrap(), rs.hessian_vector_products(&refs).unwrap());
        for l in 0..lanes {
            prop_assert!(relative(&hs[l], &hd[l]) <= 1e-12, "fresh lane {l}");
            prop_assert!(relative(&hrs[l], &hrd[l]) <= 1e-12, "recorded lane {l}");
            prop_assert!(relative(&hrs[l], &hs[l]) <= 1e-12, "recorded against fresh, lane {l}");
        }
    }
}

#[test]
fn auto_storage_follows_density_and_size() {
    let big = SPARSE_MIN_LEN;
    let mostly_zero: Vec<f64> = (0..big).map(|i| if i % 5 == 0 { 1.0 } else { 0.0 }).collect();
    let mostly_full: Vec<f64> = (0..big).map(|i| if i % 5 == 0 { 0.0 } else { 1.0 }).collect();
    assert!(Constant::new(big / 64, 64, mostly_zero.clone()).unwrap().is_sparse());
    assert!(!Constant::new(big / 64, 64, mostly_full).unwrap().is_sparse());
    assert!(!Constant::with_storage(big / 64, 64, mostly_zero[..].to_vec(), Storage::Dense).unwrap().is_sparse());
    // Small constants stay dense unless forced.
    assert!(!Constant::new(4, 4, vec![0.0; 16]).unwrap().is_sparse());
    assert!(Constant::with_storage(4, 4, vec![0.0; 16], Storage::Sparse).unwrap().is_sparse());
    assert!(Constant::new(3, 3, vec![1.0; 8]).is_err());
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    // Large enough for the parallel row blocks and elementwise blocks.
    let (m, k, n) = (600, 300, 40);
    let mut r = lcg(7);
    let data: Vec<f64> = (0..m * k).map(|_| if r() > 0.6 { r() } else { 0.0 }).collect();
    let loss = DataLoss { s: Constant::new(m, k, data).unwrap(), n };
    assert!(loss.s.is_sparse());
    let theta: Vec<f64> = (0..k * n).map(|_| 0.3 * r()).collect();
    let v: Vec<f64> = (0..k * n).map(|_| r()).collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let g = gradient(&loss, &theta).unwrap().gradient;
            let h = HessianAt::new(&loss, &theta).unwrap().hessian_vector_product(&v).unwrap();
            (g, h)
        })
    };
    let one = run(1);
    for threads in [2, 3, 7] {
        assert_eq!(run(threads), one, "{threads} threads");
    }
}

#[test]
fn a_shared_buffer_gets_the_storage_a_constant_would() {
    // A mostly-zero Arc handed to Tape::constant at every evaluation is stored sparse
    // (the choice is remembered between evaluations): the same bits as a Constant.
    let (m, k, n) = (300, 80, 3);
    let mut r = lcg(11);
    let data: Vec<f64> = (0..m * k).map(|_| if r() > 0.7 { r() } else { 0.0 }).collect();
    let shared = std::sync::Arc::new(data.clone());
    let via_arc = ridge_rider::ad::loss_fn(k * n, move |t: Var| {
        let z = t.tape().constant(m, k, shared.clone()).matmul(t.reshape(k, n)).tanh();
        z.dot(z)
    });
    let sparse = DataLoss { s: Constant::with_storage(m, k, data.clone(), Storage::Sparse).unwrap(), n };
    let dense = DataLoss { s: Constant::with_storage(m, k, data, Storage::Dense).unwrap(), n };
    let theta: Vec<f64> = (0..k * n).map(|_| 0.2 * r()).collect();
    let plain = |l: &DataLoss| {
        let f = ridge_rider::ad::loss_fn(k * n, |t: Var| {
            let z = t.tape().data(&l.s).matmul(t.reshape(k, n)).tanh();
            z.dot(z)
        });
        gradient(&f, &theta).unwrap().gradient
    };
    let first = gradient(&via_arc, &theta).unwrap().gradient;
    assert_eq!(first, gradient(&via_arc, &theta).unwrap().gradient);
    assert_eq!(first, plain(&sparse));
    assert_ne!(first, plain(&dense), "the dense path sums in another order");
}
