//! Benchmarks: the MNIST MLP's loss, gradient, forward-over-reverse HVP (fresh, and
//! replayed on a recording at θ, one direction and eight) and finite-difference HVP;
//! shared against copied closure data; an exact 64-parameter Hessian; vector kernels
//! against naive loops; the dense eigensolver at n = 512; Lanczos on an MLP Hessian.
//!
//! `cargo bench` runs them all; `ridge-rider bench-hvp` prints the MLP figures as a table.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ridge_rider::ad::check::finite_difference_hvp;
use ridge_rider::ad::{gradient, hessian, hessian_vector_product, loss_fn, value, HessianAt, Var};
use ridge_rider::kernels::{dot, dot_naive};
use ridge_rider::linalg::dense::symmetric_eigen_reference;
use ridge_rider::linalg::{lanczos, symmetric_eigen, DenseSymmetric, HessianOperator, LanczosParams, Which};
use ridge_rider::problems::data::mnist::embedded_all;
use ridge_rider::problems::mnist::mlp::{Activation, Mlp, MlpLoss};

fn mlp_loss(batch: usize) -> MlpLoss {
    let d = embedded_all().slice(0..batch);
    MlpLoss::new(Mlp::mnist(128, Activation::Tanh), d.x, d.labels).unwrap()
}

fn mlp(c: &mut Criterion) {
    for batch in [256, 2236] {
        let loss = mlp_loss(batch);
        let theta = loss.mlp.init_standard(0);
        let v = ridge_rider::rng::unit_vector(&mut ridge_rider::rng::seeded(0, 1), theta.len());
        let mut g = c.benchmark_group(format!("mlp-784-128-10-tanh-b{batch}"));
        g.sample_size(20);
        g.bench_function("loss", |b| b.iter(|| value(&loss, black_box(&theta)).unwrap()));
        g.bench_function("gradient", |b| b.iter(|| gradient(&loss, black_box(&theta)).unwrap()));
        g.bench_function("hvp-forward-over-reverse", |b| {
            b.iter(|| hessian_vector_product(&loss, black_box(&theta), &v).unwrap())
        });
        // Many products at one θ (Lanczos, eigen-loss steps): record once, then only
        // the tangent sweeps run.
        let recorded = HessianAt::new(&loss, &theta).unwrap();
        g.bench_function("hvp-recorded", |b| b.iter(|| recorded.hessian_vector_product(black_box(&v)).unwrap()));
        let eight: Vec<Vec<f64>> =
            (0..8).map(|s| ridge_rider::rng::unit_vector(&mut ridge_rider::rng::seeded(s, 2), theta.len())).collect();
        let eight: Vec<&[f64]> = eight.iter().map(|d| d.as_slice()).collect();
        g.bench_function("hvp-recorded-8-directions", |b| {
            b.iter(|| recorded.hessian_vector_products(black_box(&eight)).unwrap())
        });
        g.bench_function("record", |b| b.iter(|| HessianAt::new(&loss, black_box(&theta)).unwrap()));
        g.bench_function("hvp-finite-differences", |b| {
            b.iter(|| finite_difference_hvp(&loss, black_box(&theta), &v, 1e-4).unwrap())
        });
        g.finish();
    }
}

/// A closure loss that reads MNIST pixels at every evaluation: sharing the captured
/// `Arc` (the CSR choice remembered) against cloning the `Vec` per call (scanned and
/// converted again every time).
fn closure_data(c: &mut Criterion) {
    use std::sync::Arc;
    fn body<'t>(t: Var<'t>, xs: Var<'t>) -> Var<'t> {
        let z = xs.matmul(t.reshape(784, 32)).tanh();
        z.dot(z)
    }
    let d = embedded_all().slice(0..2236);
    let (shared, copied) = (Arc::new(d.x.clone()), d.x);
    let by_arc = loss_fn(784 * 32, move |t: Var| body(t, t.tape().constant(2236, 784, shared.clone())));
    let by_vec = loss_fn(784 * 32, move |t: Var| body(t, t.tape().constant(2236, 784, copied.clone())));
    let theta = vec![0.01; 784 * 32];
    let mut g = c.benchmark_group("closure-data-b2236");
    g.sample_size(20);
    g.bench_function("gradient-arc-shared", |b| b.iter(|| gradient(&by_arc, black_box(&theta)).unwrap()));
    g.bench_function("gradient-vec-cloned", |b| b.iter(|| gradient(&by_vec, black_box(&theta)).unwrap()));
    g.finish();
}

fn exact_hessian(c: &mut Criterion) {
    // f(x) = Σₖ tanh(½xᵀQₖx + bₖᵀx), n = 64 (the JAX anchor's function family).
    let n = 64;
    let mut r = ridge_rider::rng::seeded(3, 0);
    let q: Vec<Vec<f64>> = (0..4).map(|_| ridge_rider::rng::normal_vec(&mut r, n * n, 1.0 / n as f64)).collect();
    let bs: Vec<Vec<f64>> = (0..4).map(|_| ridge_rider::rng::normal_vec(&mut r, n, 0.1)).collect();
    let f = loss_fn(n, move |t: Var| {
        let tape = t.tape();
        let mut acc = tape.scalar(0.0);
        for (qk, bk) in q.iter().zip(&bs) {
            let quad = t.transpose().matmul(tape.constant(n, n, qk.clone())).matmul(t);
            let lin = tape.constant(1, n, bk.clone()).matmul(t);
            acc = acc + (0.5 * quad + lin).tanh().sum();
        }
        acc
    });
    let x = ridge_rider::rng::normal_vec(&mut r, n, 1.0);
    c.bench_function("exact-hessian-n64", |b| b.iter(|| hessian(&f, black_box(&x)).unwrap()));
}

fn kernels(c: &mut Criterion) {
    let x: Vec<f64> = (0..101_770).map(|i| (i as f64).sin()).collect();
    let y: Vec<f64> = (0..101_770).map(|i| (i as f64).cos()).collect();
    let mut g = c.benchmark_group("dot-101770");
    g.bench_function("chunked", |b| b.iter(|| dot(black_box(&x), black_box(&y))));
    g.bench_function("naive", |b| b.iter(|| dot_naive(black_box(&x), black_box(&y))));
    g.finish();
}

/// The blocked solver beside the unblocked reference path, at the bench's n = 512 and
/// at the tree experiment's Hessian sizes.
fn dense_eigen(c: &mut Criterion) {
    let mut grp = c.benchmark_group("dense-eigen");
    grp.sample_size(10);
    for n in [128, 300, 512] {
        let g = ridge_rider::rng::normal_vec(&mut ridge_rider::rng::seeded(5, 0), n * n, 1.0);
        let a = DenseSymmetric::new(n, g).unwrap();
        grp.bench_function(format!("n{n}"), |b| b.iter(|| symmetric_eigen(black_box(&a)).unwrap()));
        grp.bench_function(format!("n{n}-reference"), |b| b.iter(|| symmetric_eigen_reference(black_box(&a)).unwrap()));
    }
    grp.finish();
}

fn lanczos_mlp(c: &mut Criterion) {
    let loss = mlp_loss(256);
    let theta = loss.mlp.init_near_zero(0, 0.01);
    let mut g = c.benchmark_group("lanczos");
    g.sample_size(10);
    g.bench_function("mlp-b256-near-zero-k10", |b| {
        b.iter(|| {
            let op = HessianOperator::new(&loss, theta.clone()).unwrap();
            lanczos(&op, &LanczosParams { k: 10, which: Which::MostNegative, ..Default::default() }).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, mlp, closure_data, exact_hessian, kernels, dense_eigen, lanczos_mlp);
criterion_main!(benches);
