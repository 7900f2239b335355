//! `hessian` sweeps many columns at once; each column must keep the bits of the
//! 8-lane sweeps it replaced (`HessianAt` products on blocks of 8 basis vectors), and
//! match central differences of the gradient.

use proptest::prelude::*;
use ridge_rider::ad::hvp::HESSIAN_LANES;
use ridge_rider::ad::{gradient, hessian, loss_fn, HessianAt, Loss, Var};
use ridge_rider::problems::tree::Tree;
use ridge_rider::rng::{normal_vec, seeded};

/// The Hessian from blocks of [`HESSIAN_LANES`] basis vectors, one sweep per block.
fn hessian_by_blocks(loss: &impl Loss, theta: &[f64]) -> Vec<f64> {
    let at = HessianAt::new(loss, theta).unwrap();
    let n = theta.len();
    let mut h = vec![0.0; n * n];
    for start in (0..n).step_by(HESSIAN_LANES) {
        let end = (start + HESSIAN_LANES).min(n);
        let basis: Vec<Vec<f64>> =
            (start..end).map(|j| (0..n).map(|i| f64::from(u8::from(i == j))).collect()).collect();
        let refs: Vec<&[f64]> = basis.iter().map(Vec::as_slice).collect();
        for (j, col) in (start..end).zip(at.hessian_vector_products(&refs).unwrap()) {
            (0..n).for_each(|i| h[i * n + j] = col[i]);
        }
    }
    h
}

fn assert_same_bits(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.to_bits(), y.to_bits(), "entry {i}: {x:e} against {y:e}");
    }
}

/// Σₖ tanh(½θᵀQₖθ + bₖᵀθ) + a small tanh layer on θ: products with both factors
/// active, data times parameters, transposes and broadcasts.
fn mixed_loss(n: usize, seed: u64) -> impl Loss {
    let mut r = seeded(seed, 1);
    let q: Vec<Vec<f64>> = (0..2).map(|_| normal_vec(&mut r, n * n, 1.0 / n as f64)).collect();
    let b: Vec<Vec<f64>> = (0..2).map(|_| normal_vec(&mut r, n, 0.3)).collect();
    let x = normal_vec(&mut r, 3 * n, 0.5);
    loss_fn(n, move |t: Var| {
        let tape = t.tape();
        let mut acc = tape.scalar(0.0);
        for (qk, bk) in q.iter().zip(&b) {
            let quad = t.transpose().matmul(tape.constant(n, n, qk.clone())).matmul(t);
            acc = acc + (0.5 * quad + tape.constant(1, n, bk.clone()).matmul(t)).tanh().sum();
        }
        let layer = tape.constant(3, n, x.clone()).matmul(t).map_with_bias(t.slice(0, 1), ridge_rider::ad::Unary::Tanh);
        acc + (layer * layer).sum() * 0.1
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn all_columns_at_once_keep_the_bits_of_8_lane_sweeps(n in 1usize..40, seed in 0u64..1000) {
        let f = mixed_loss(n, seed);
        let theta = normal_vec(&mut seeded(seed, 2), n, 0.7);
        assert_same_bits(&hessian(&f, &theta).unwrap(), &hessian_by_blocks(&f, &theta));
    }

    #[test]
    fn the_hessian_matches_central_differences_of_the_gradient(n in 1usize..24, seed in 0u64..1000) {
        let f = mixed_loss(n, seed);
        let theta = normal_vec(&mut seeded(seed, 3), n, 0.7);
        let h = hessian(&f, &theta).unwrap();
        let step = 1e-5;
        for j in 0..n {
            let (mut plus, mut minus) = (theta.clone(), theta.clone());
            plus[j] += step;
            minus[j] -= step;
            let (gp, gm) = (gradient(&f, &plus).unwrap().gradient, gradient(&f, &minus).unwrap().gradient);
            for i in 0..n {
                let fd = (gp[i] - gm[i]) / (2.0 * step);
                prop_assert!((h[i * n + j] - fd).abs() <= 1e-6 * (1.0 + fd.abs()), "H[{i},{j}] = {} against {fd}", h[i * n + j]);
            }
        }
    }
}

/// Shapes that send the products to every small-dimension kernel, per lane and stacked:
/// tanh(X + b)·W with X 1024×33 data, parameters b (33) and W (33×2).
#[test]
fn stacked_products_on_every_kernel_keep_the_bits() {
    let (m, k, w) = (1024, 33, 2);
    let x = normal_vec(&mut seeded(7, 0), m * k, 1.0);
    let f = loss_fn(k + k * w, move |t: Var| {
        let tape = t.tape();
        let hidden =
            tape.constant(m, k, x.clone()).map_with_bias(t.slice(0, k).reshape(1, k), ridge_rider::ad::Unary::Tanh);
        hidden.matmul(t.slice(k, k * w).reshape(k, w)).tanh().sum()
    });
    let theta = normal_vec(&mut seeded(7, 1), k + k * w, 0.5);
    assert_same_bits(&hessian(&f, &theta).unwrap(), &hessian_by_blocks(&f, &theta));
}

/// The tree experiment's loss (data times parameters on the dot-product kernel in
/// groups of 8, a lone last lane): 73 parameters.
#[test]
fn a_tree_hessian_keeps_the_bits_of_8_lane_sweeps() {
    let tree = Tree::generate(10, 100_001).unwrap();
    assert_eq!(tree.params() % HESSIAN_LANES, 1);
    let theta = normal_vec(&mut seeded(1, 0), tree.params(), 1.0);
    assert_same_bits(&hessian(&tree, &theta).unwrap(), &hessian_by_blocks(&tree, &theta));
}
