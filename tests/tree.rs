//! The binary-tree problem: generator invariants, the exact loss against brute force,
//! the gradient at the uniform policy, the exact loss under an MLP policy against
//! central differences, and RR against gradient descent.

use proptest::prelude::*;
use ridge_rider::ad::check::{check_gradient, check_hvp};
use ridge_rider::ad::{gradient, value, Loss};
use ridge_rider::problems::tree::methods::{run_method, tree_mis, Method, MethodRun};
use ridge_rider::problems::tree::policy::{ExactLoss, Policy};
use ridge_rider::problems::tree::{Node, Tree};

/// Expected reward by recursion over nodes (independent of the path table).
fn brute_value(tree: &Tree, theta: &[f64], id: usize) -> f64 {
    match &tree.nodes[id] {
        Node::Terminal { reward } => *reward,
        Node::Decision { param, left, right } => {
            let p = 1.0 / (1.0 + (-theta[*param]).exp());
            p * brute_value(tree, theta, *left) + (1.0 - p) * brute_value(tree, theta, *right)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn generator_invariants(depth in 1usize..11, seed in 0u64..10_000) {
        let t = Tree::generate(depth, seed).unwrap();
        prop_assert_eq!(t.max_depth(), depth);
        prop_assert!(!t.positive_leaves().is_empty());
        prop_assert_eq!(t.leaves.len(), t.params() + 1); // a binary tree
        // No decision node between two terminals of equal reward.
        for n in &t.nodes {
            if let Node::Decision { left, right, .. } = n {
                if let (Node::Terminal { reward: a }, Node::Terminal { reward: b }) = (&t.nodes[*left], &t.nodes[*right]) {
                    prop_assert!(a != b);
                }
            }
        }
        let u = Tree::generate(depth, seed).unwrap();
        prop_assert_eq!(&t.nodes, &u.nodes);
    }

    #[test]
    fn loss_is_minus_the_brute_force_expected_reward(depth in 1usize..9, seed in 0u64..1000, scale in 0.1..3.0f64) {
        let t = Tree::generate(depth, seed).unwrap();
        let theta: Vec<f64> = (0..t.params()).map(|i| scale * ((i * 7 + seed as usize) as f64).sin()).collect();
        let want = brute_value(&t, &theta, 0);
        prop_assert!((value(&t, &theta).unwrap() + want).abs() < 1e-12 * (1.0 + want.abs()));
        prop_assert!((t.expected_reward(&theta) - want).abs() < 1e-12 * (1.0 + want.abs()));
    }

    /// At the uniform policy ∂L/∂θ_root = −σ'(0)·(V_left − V_right) = −(V_left − V_right)/4.
    #[test]
    fn root_gradient_at_uniform_policy(depth in 2usize..9, seed in 0u64..1000) {
        let t = Tree::generate(depth, seed).unwrap();
        let zero = vec![0.0; t.params()];
        let g = gradient(&t, &zero).unwrap().gradient;
        let Node::Decision { param, left, right } = t.nodes[0].clone() else { unreachable!() };
        let diff = brute_value(&t, &zero, left) - brute_value(&t, &zero, right);
        prop_assert!((g[param] + diff / 4.0).abs() < 1e-12);
    }

    /// The exact loss under the MLP policy: gradient and HVP against central
    /// differences, the label against the greedy leaf of the network's logits; under
    /// the tabular policy it is the tree's own loss.
    #[test]
    fn exact_loss_under_either_policy(depth in 1usize..8, seed in 0u64..1000, hidden in 1usize..6,
                                      scale in 0.2..1.5f64) {
        let tree = Tree::generate(depth, seed).unwrap();
        let loss = ExactLoss::new(&tree, Policy::Mlp { hidden }).unwrap();
        let wave = |n: usize, phase: f64| (0..n).map(|i| scale * (1.3 * i as f64 + phase).sin()).collect::<Vec<_>>();
        let (theta, v) = (wave(loss.dim(), seed as f64), wave(loss.dim(), 0.5));
        // A step of 1e-5 balances the central difference's truncation (h²) against its
        // rounding (about ε|L|/h ≈ 2e-10 per coordinate for |L| ≤ 10). Where the gradient
        // itself is that small (1e-3), the relative error measures the reference's
        // rounding, so an absolute error within 50× that floor passes too.
        let r = check_gradient(&loss, &theta, 1e-5).unwrap();
        prop_assert!(r.relative_error < 1e-7 || r.max_abs_error < 1e-8, "gradient {:?}", r);
        let r = check_hvp(&loss, &theta, &v, 1e-4).unwrap();
        prop_assert!(r.relative_error < 1e-6, "hvp {:?}", r);
        let logits = loss.policy().logit_values(&theta).unwrap();
        prop_assert_eq!(loss.label(&theta), Some(tree.greedy_leaf(&logits).to_string()));
        prop_assert!(logits.iter().any(|l| l.abs() > 1e-3)); // the network is not flat
        let tabular = ExactLoss::new(&tree, Policy::Tabular).unwrap();
        let theta = wave(tree.params(), 0.1);
        prop_assert_eq!(gradient(&tabular, &theta).unwrap().gradient, gradient(&tree, &theta).unwrap().gradient);
        prop_assert_eq!(tabular.label(&theta), tree.label(&theta));
    }
}

#[test]
fn depth_zero_is_an_error() {
    assert!(Tree::generate(0, 1).is_err());
}

#[test]
fn rr_finds_more_positive_leaves_than_gd_from_random_starts() {
    let (mut rr, mut gd) = (0.0, 0.0);
    let mut count = 0.0;
    for depth in [6, 8] {
        for seed in 0..6 {
            let tree = Tree::generate(depth, 1000 + seed).unwrap();
            let mis = tree_mis(&tree).unwrap();
            let r = run_method(&tree, &mis, Method::RidgeRider, &MethodRun { seed, ..Default::default() }).unwrap();
            let g = run_method(
                &tree,
                &mis,
                Method::GdRandom,
                &MethodRun { budget: r.timesteps, seed, ..Default::default() },
            )
            .unwrap();
            rr += r.percent_found(&tree);
            gd += g.percent_found(&tree);
            count += 1.0;
        }
    }
    println!("RR {:.1}% vs GD(R) {:.1}%", rr / count, gd / count);
    assert!(rr > gd, "RR {:.1}% vs GD(R) {:.1}%", rr / count, gd / count);
}

#[test]
fn zero_ridges_per_branching_is_refused_before_any_work() {
    let tree = Tree::generate(4, 1).unwrap();
    let mis = tree_mis(&tree).unwrap();
    let settings = MethodRun { ridges: 0, ..Default::default() };
    let err = run_method(&tree, &mis, Method::RidgeRider, &settings).unwrap_err();
    assert_eq!(err.to_string(), "ridges must be at least 1");
}
