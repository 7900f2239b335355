//! The lever game and the zero-shot coordination protocol.
#![allow(clippy::needless_range_loop)]

use proptest::prelude::*;
use ridge_rider::ad::{gradient, value};
use ridge_rider::problems::levers::{
    closed_form_mis, expected_payoff, self_and_cross_play, softmax, zero_shot_protocol, LeverGame,
};
use ridge_rider::rr::mis::{find_mis, MisParams};

const PAYOFFS: [f64; 10] = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.8, 0.6];

proptest! {
    /// The tape loss equals minus a brute-force sum over all joint actions.
    #[test]
    fn expected_payoff_matches_brute_force(theta in proptest::collection::vec(-3.0..3.0f64, 20)) {
        let game = LeverGame::new(PAYOFFS.to_vec());
        let (p1, p2) = game.policies(&theta);
        let mut brute = 0.0;
        for a in 0..10 {
            for b in 0..10 {
                if a == b {
                    brute += p1[a] * p2[b] * PAYOFFS[a];
                }
            }
        }
        prop_assert!((expected_payoff(&p1, &p2, &PAYOFFS) - brute).abs() < 1e-15);
        prop_assert!((value(&game, &theta).unwrap() + brute).abs() < 1e-14);
    }
}

#[test]
fn mis_has_zero_gradient_and_matches_the_closed_form() {
    let game = LeverGame::new(PAYOFFS.to_vec());
    let found = find_mis(&game, None, &[0.0; 20], &MisParams { steps: 5000, ..Default::default() }).unwrap();
    let (mis, g) = (found.theta, found.gradient_norm);
    assert!(g < 1e-8, "‖∇L‖ = {g}");
    let grad = gradient(&game, &mis).unwrap().gradient;
    assert!(grad.iter().all(|x| x.abs() < 1e-8));
    let (cf, j) = closed_form_mis(&PAYOFFS);
    let (p1, p2) = game.policies(&mis);
    let want = softmax(&cf[..10]);
    for a in 0..10 {
        assert!((p1[a] - want[a]).abs() < 1e-8 && (p2[a] - want[a]).abs() < 1e-8, "{p1:?} vs {want:?}");
    }
    assert!((expected_payoff(&p1, &p2, &PAYOFFS) - j).abs() < 1e-8);
    // The closed form itself is exactly stationary.
    let g = gradient(&game, &cf).unwrap().gradient;
    assert!(g.iter().all(|x| x.abs() < 1e-14), "{g:?}");
}

#[test]
fn relabelling_defeats_coordination_by_index() {
    // Each replicate plays the first position showing a 1.0 lever: a convention by index.
    let mut policies = Vec::new();
    for k in 0..400 {
        let perm = ridge_rider::rng::permutation(&mut ridge_rider::rng::seeded(9, k), 10);
        let game = LeverGame::relabelled(&PAYOFFS, perm);
        let j = game.payoffs.iter().position(|&r| r == 1.0).unwrap();
        let mut p = vec![0.0; 10];
        p[j] = 1.0;
        let c = game.canonical(&p);
        policies.push((c.clone(), c));
    }
    let (self_play, cross_play) = self_and_cross_play(&policies, &PAYOFFS);
    assert_eq!(self_play, 1.0);
    assert!((cross_play - 1.0 / 7.0).abs() < 0.02, "cross-play {cross_play}");
}

#[test]
fn protocol_picks_the_unique_lever_for_several_seeds() {
    for seed in [0, 7, 123] {
        let r = zero_shot_protocol(&PAYOFFS, 8, seed).unwrap();
        let best = r.iter().max_by(|a, b| a.cross_play.total_cmp(&b.cross_play)).unwrap();
        assert!(best.levers.iter().all(|&l| l == 9), "seed {seed}: {:?}", best.levers);
        assert!((best.cross_play - 0.6).abs() < 1e-4, "seed {seed}: {}", best.cross_play);
        // Self-play solutions exist and coordinate poorly with strangers.
        assert!(r.iter().any(|o| o.self_play > 0.999 && o.cross_play < 0.35));
        // The partial-coordination ridges choose the 0.8 levers.
        assert!(r.iter().any(|o| o.levers.iter().all(|&l| l == 7 || l == 8) && o.self_play > 0.79));
    }
}
