//! Ridge Rider on sampled Hessians (`problems::tree::dice_search`): the accounting of
//! timesteps and episodes, determinism, exact RR beside it, refusals, and that on
//! sampled Hessians RR finds more positive leaves than policy gradient with the same
//! samples (the paper's Fig. 8 claim, on a few trees).

use ridge_rider::problems::tree::dice_search::{run_dice_method, DiceMethod, DiceRun, DiceSearchError};
use ridge_rider::problems::tree::methods::{run_method, tree_mis_within, Method, MethodRun};
use ridge_rider::problems::tree::policy::Policy;
use ridge_rider::problems::tree::Tree;

fn small(policy: Policy, seed: u64) -> DiceRun {
    DiceRun { policy, episodes: 32, budget: 200, seed, ..Default::default() }
}

#[test]
fn every_timestep_is_one_batch_and_the_baselines_spend_exactly_their_budget() {
    let tree = Tree::generate(5, 11).unwrap();
    for policy in [Policy::Tabular, Policy::Mlp { hidden: 6 }] {
        let s = small(policy, 3);
        let rr = run_dice_method(&tree, DiceMethod::RidgeRider, &s).unwrap();
        assert!(rr.run.timesteps <= s.budget && rr.run.timesteps > 0);
        assert_eq!(rr.episodes, rr.run.timesteps * s.episodes);
        assert!(rr.run.solutions >= 1 && rr.run.leaves.len() <= rr.run.solutions);
        for pg in [DiceMethod::PgRandom, DiceMethod::PgSaddle] {
            let given = DiceRun { budget: rr.run.timesteps, ..s };
            let r = run_dice_method(&tree, pg, &given).unwrap();
            assert_eq!((r.run.timesteps, r.episodes), (rr.run.timesteps, rr.run.timesteps * s.episodes), "{pg:?}");
        }
        // Same seed, same search; another seed, other episodes.
        let again = run_dice_method(&tree, DiceMethod::RidgeRider, &s).unwrap();
        assert_eq!((again.run.leaves, again.run.timesteps), (rr.run.leaves.clone(), rr.run.timesteps));
    }
}

#[test]
fn exact_rr_beside_it_is_the_tree_experiments_rr() {
    let tree = Tree::generate(6, 4).unwrap();
    let s = small(Policy::Tabular, 9);
    let r = run_dice_method(&tree, DiceMethod::ExactRidgeRider, &s).unwrap();
    let mis = tree_mis_within(&tree, 100_000).unwrap();
    let exact =
        run_method(&tree, &mis, Method::RidgeRider, &MethodRun { budget: 100_000, ridges: s.ridges, seed: 9 }).unwrap();
    assert_eq!((r.run.leaves, r.run.timesteps, r.episodes), (exact.leaves, exact.timesteps, 0));
}

#[test]
fn unusable_settings_are_refused() {
    let tree = Tree::generate(4, 0).unwrap();
    let bad = |s: DiceRun| run_dice_method(&tree, DiceMethod::RidgeRider, &s).unwrap_err();
    assert!(matches!(
        bad(DiceRun { ridges: 0, ..Default::default() }),
        DiceSearchError::InvalidParameter { name: "ridges", .. }
    ));
    assert!(matches!(bad(DiceRun { alpha: 0.0, ..Default::default() }), DiceSearchError::InvalidParameter { .. }));
    assert!(matches!(bad(DiceRun { pg_lr: f64::NAN, ..Default::default() }), DiceSearchError::InvalidParameter { .. }));
    // The leave-one-out baseline needs two episodes.
    assert!(matches!(bad(DiceRun { episodes: 1, ..Default::default() }), DiceSearchError::Sample(_)));
    assert!(matches!(
        bad(DiceRun { policy: Policy::Mlp { hidden: 0 }, ..Default::default() }),
        DiceSearchError::Sample(_)
    ));
}

#[test]
fn on_sampled_hessians_rr_finds_more_positive_leaves_than_policy_gradient() {
    // Four depth-6 trees of `ridge-rider tree`'s seeds 0; budgets a fifth of the default.
    let (mut rr_total, mut pg_total) = (0.0, 0.0);
    for t in 0..4 {
        let seed = (6 * 10_000 + t) as u64;
        let tree = Tree::generate(6, seed).unwrap();
        let s = DiceRun { episodes: 64, budget: 400, seed, ..Default::default() };
        let rr = run_dice_method(&tree, DiceMethod::RidgeRider, &s).unwrap();
        let given = DiceRun { budget: rr.run.timesteps, ..s };
        let pg = [DiceMethod::PgRandom, DiceMethod::PgSaddle]
            .map(|m| run_dice_method(&tree, m, &given).unwrap().run.percent_found(&tree))
            .into_iter()
            .fold(0.0, f64::max);
        rr_total += rr.run.percent_found(&tree);
        pg_total += pg;
    }
    assert!(rr_total > pg_total + 4.0 * 20.0, "RR {:.1}% against PG {:.1}% on average", rr_total / 4.0, pg_total / 4.0);
}
