//! The binary-tree problem: generator invariants, the exact loss against brute force,
//! the gradient at the uniform policy, and RR against gradient descent.

use proptest::prelude::*;
use ridge_rider::ad::{gradient, value};
use ridge_rider::problems::tree::methods::{run_method, tree_mis, Method, MethodRun};
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
