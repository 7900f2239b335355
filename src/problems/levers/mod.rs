//! The lever coordination game (Hu et al. 2020, as modified in the Ridge Rider paper):
//! two players each pick one of n levers and are paid the lever's payoff if they pick
//! the same one, 0 otherwise. Each player has a softmax policy over levers; the loss
//! is minus the expected joint payoff, `−Σₐ π₁(a) π₂(a) rₐ`. Parameters are the two
//! players' logits, `θ = [θ₁ (n), θ₂ (n)]`.
//!
//! **The MIS.** The loss is invariant under swapping the players and under any
//! permutation of levers with equal payoffs. A point invariant under all of these with
//! zero gradient has π₁ = π₂ = π and π(a)(π(a) rₐ − J) = 0 for every a; with full
//! support (softmax) that forces π(a) ∝ 1/rₐ, J = 1 / Σ_b 1/r_b. This is the
//! maximally invariant saddle: [`closed_form_mis`]. [`find_mis`](crate::rr::mis::find_mis)
//! reaches it from the uniform (symmetric) start by minimising ‖∇L‖², which keeps every
//! symmetry along the way.
//!
//! **Relabelling.** A replicate sees the levers in its own order: `perm[j]` is the
//! canonical lever shown at position j. [`LeverGame::canonical`] undoes it, so
//! replicates cannot coordinate by index.

use crate::ad::{Loss, Var};

/// The game as one replicate sees it.
///
/// ```
/// use ridge_rider::ad::value;
/// use ridge_rider::problems::levers::LeverGame;
/// // Canonical payoffs (1, 0.5, 0.8), shown in the order 2, 0, 1.
/// let game = LeverGame::relabelled(&[1.0, 0.5, 0.8], vec![2, 0, 1]);
/// assert_eq!((game.payoffs.clone(), game.levers()), (vec![0.8, 1.0, 0.5], 3));
/// // Both players certain of position 1 (canonical lever 0): payoff 1.
/// let theta = [0.0, 30.0, 0.0, 0.0, 30.0, 0.0];
/// assert!((value(&game, &theta).unwrap() + 1.0).abs() < 1e-12);
/// let (p1, _) = game.policies(&theta);
/// assert!(game.canonical(&p1)[0] > 0.99);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LeverGame {
    /// Payoff of the lever shown at each position.
    pub payoffs: Vec<f64>,
    /// `perm[j]`: the canonical lever shown at position j.
    pub perm: Vec<usize>,
}

impl LeverGame {
    /// The game in canonical order.
    pub fn new(payoffs: Vec<f64>) -> LeverGame {
        let perm = (0..payoffs.len()).collect();
        LeverGame { payoffs, perm }
    }
    /// The same game with levers shown in the order `perm` (a permutation of 0..n).
    pub fn relabelled(canonical_payoffs: &[f64], perm: Vec<usize>) -> LeverGame {
        LeverGame { payoffs: perm.iter().map(|&c| canonical_payoffs[c]).collect(), perm }
    }
    /// Number of levers.
    pub fn levers(&self) -> usize {
        self.payoffs.len()
    }
    /// The two players' policies (softmax of their logits), in this replicate's order.
    pub fn policies(&self, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = self.levers();
        (softmax(&theta[..n]), softmax(&theta[n..]))
    }
    /// A policy in this replicate's order, moved to canonical lever order.
    pub fn canonical(&self, policy: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; policy.len()];
        for (j, &c) in self.perm.iter().enumerate() {
            out[c] = policy[j];
        }
        out
    }
}

/// Softmax of logits (stable for large logits).
///
/// ```
/// let p = ridge_rider::problems::levers::softmax(&[1000.0, 1000.0]);
/// assert_eq!(p, vec![0.5, 0.5]);
/// ```
pub fn softmax(z: &[f64]) -> Vec<f64> {
    let m = z.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// Expected payoff Σₐ p₁(a) p₂(a) rₐ of two policies over the same lever order.
///
/// ```
/// use ridge_rider::problems::levers::expected_payoff;
/// assert_eq!(expected_payoff(&[0.5, 0.5], &[1.0, 0.0], &[1.0, 0.6]), 0.5);
/// ```
pub fn expected_payoff(p1: &[f64], p2: &[f64], payoffs: &[f64]) -> f64 {
    p1.iter().zip(p2).zip(payoffs).map(|((a, b), r)| a * b * r).sum()
}

/// The MIS in closed form: logits −ln rₐ for both players (π ∝ 1/r), and its value J.
///
/// ```
/// use ridge_rider::problems::levers::closed_form_mis;
/// let (theta, j) = closed_form_mis(&[1.0, 0.5]);
/// assert!((j - 1.0 / 3.0).abs() < 1e-15);
/// assert_eq!(theta.len(), 4);
/// ```
pub fn closed_form_mis(payoffs: &[f64]) -> (Vec<f64>, f64) {
    let logits: Vec<f64> = payoffs.iter().map(|r| -r.ln()).collect();
    let j = 1.0 / payoffs.iter().map(|r| 1.0 / r).sum::<f64>();
    ([logits.clone(), logits].concat(), j)
}

impl Loss for LeverGame {
    fn dim(&self) -> usize {
        2 * self.levers()
    }
    fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
        let n = self.levers();
        let p1 = theta.slice(0, n).reshape(1, n).softmax();
        let p2 = theta.slice(n, n).reshape(1, n).softmax();
        let r = theta.tape().constant(1, n, self.payoffs.clone());
        -(p1 * p2 * r).sum()
    }
    /// The canonical lever player 1 picks greedily.
    fn label(&self, theta: &[f64]) -> Option<String> {
        let (p1, _) = self.policies(theta);
        let c = self.canonical(&p1);
        let best = (0..c.len()).fold(0, |b, a| if c[a] > c[b] { a } else { b });
        Some(best.to_string())
    }
}

/// Player 1's and player 2's policies.
pub type PolicyPair = (Vec<f64>, Vec<f64>);

/// One fingerprint's outcome over a set of replicates (see [`zero_shot_protocol`]).
#[derive(Clone, Debug)]
pub struct RidgeOutcome {
    /// The first (and only) branch choice: eigen-index at the MIS and direction.
    pub choice: crate::rr::Choice,
    /// Mean J(π₁ᵃ, π₂ᵃ) over replicates.
    pub self_play: f64,
    /// Mean J(π₁ᵃ, π₂ᵇ) over ordered pairs of distinct replicates.
    pub cross_play: f64,
    /// Player 1's greedy canonical lever in each replicate.
    pub levers: Vec<usize>,
    /// Each replicate's (π₁, π₂) in canonical lever order.
    pub policies: Vec<(Vec<f64>, Vec<f64>)>,
}

/// Self-play and cross-play of canonical policy pairs under canonical payoffs.
///
/// ```
/// use ridge_rider::problems::levers::self_and_cross_play;
/// // Two replicates that each coordinate, on different levers of payoff 1.
/// let a = (vec![1.0, 0.0], vec![1.0, 0.0]);
/// let b = (vec![0.0, 1.0], vec![0.0, 1.0]);
/// assert_eq!(self_and_cross_play(&[a, b], &[1.0, 1.0]), (1.0, 0.0));
/// ```
pub fn self_and_cross_play(policies: &[(Vec<f64>, Vec<f64>)], payoffs: &[f64]) -> (f64, f64) {
    let n = policies.len();
    let self_play = policies.iter().map(|(a, b)| expected_payoff(a, b, payoffs)).sum::<f64>() / n.max(1) as f64;
    let mut cross = 0.0;
    for (i, (a, _)) in policies.iter().enumerate() {
        for (j, (_, b)) in policies.iter().enumerate() {
            if i != j {
                cross += expected_payoff(a, b, payoffs);
            }
        }
    }
    let pairs = n * n.saturating_sub(1);
    (self_play, if pairs == 0 { f64::NAN } else { cross / pairs as f64 })
}

/// One replicate of the protocol: relabel the levers at random, find the MIS, and run
/// exact RR (breadth-first, one branching: every negative ridge in both directions,
/// then gradient descent to a solution). Returns each fingerprint's canonical policies.
///
/// ```
/// use ridge_rider::problems::levers::{protocol_rr_params, replicate};
/// let runs = replicate(&[1.0, 1.0, 0.5], 0, 1, &protocol_rr_params(3)).unwrap();
/// // Every solution is a policy pair over the three canonical levers.
/// assert!(!runs.is_empty() && runs.iter().all(|(_, (p1, p2))| p1.len() == 3 && p2.len() == 3));
/// ```
pub fn replicate(
    payoffs: &[f64],
    seed: u64,
    replicate: u64,
    rr: &crate::rr::RrParams,
) -> Result<Vec<(crate::rr::Choice, PolicyPair)>, crate::rr::RrError> {
    let perm = crate::rng::permutation(&mut crate::rng::seeded(seed, 0x6c6576 + replicate), payoffs.len());
    let game = LeverGame::relabelled(payoffs, perm);
    let mis_params = crate::rr::mis::MisParams { steps: 5000, ..Default::default() };
    let mis = crate::rr::mis::find_mis(&game, None, &vec![0.0; game.dim()], &mis_params)?.theta;
    let out = crate::rr::ridge_rider(&game, &mis, rr)?;
    Ok(out
        .solutions
        .iter()
        .map(|s| {
            let (p1, p2) = game.policies(&s.theta);
            (s.fingerprint[0], (game.canonical(&p1), game.canonical(&p2)))
        })
        .collect())
}

/// RR settings of the lever experiment: every negative ridge, one branching, final
/// gradient descent to the solution.
///
/// ```
/// let p = ridge_rider::problems::levers::protocol_rr_params(10);
/// assert_eq!((p.branching.ridges, p.branching.max_depth), (20, 1));
/// ```
pub fn protocol_rr_params(levers: usize) -> crate::rr::RrParams {
    let mut p = crate::rr::RrParams::default();
    p.branching.ridges = 2 * levers;
    p.branching.max_depth = 1;
    p
}

/// The zero-shot coordination protocol: `replicates` independent, relabelled runs;
/// per fingerprint, self-play and cross-play among them. Sorted by fingerprint.
///
/// ```
/// use ridge_rider::problems::levers::zero_shot_protocol;
/// let r = zero_shot_protocol(&[1.0, 1.0, 0.5], 4, 0).unwrap();
/// let best = r.iter().max_by(|a, b| a.cross_play.total_cmp(&b.cross_play)).unwrap();
/// assert!((best.cross_play - 0.5).abs() < 1e-3); // the unique lever
/// ```
pub fn zero_shot_protocol(
    payoffs: &[f64],
    replicates: usize,
    seed: u64,
) -> Result<Vec<RidgeOutcome>, crate::rr::RrError> {
    use rayon::prelude::*;
    let rr = protocol_rr_params(payoffs.len());
    let runs: Vec<_> =
        (0..replicates as u64).into_par_iter().map(|k| replicate(payoffs, seed, k, &rr)).collect::<Result<_, _>>()?;
    Ok(gather(payoffs, runs))
}

/// Group replicate results by fingerprint and score them. A fingerprint missing from
/// some replicate is scored over the replicates that have it.
///
/// ```
/// use ridge_rider::problems::levers::gather;
/// use ridge_rider::rr::Choice;
/// let c = Choice { index: 0, sign: 1 };
/// let on = |lever: usize| {
///     let mut p = vec![0.0, 0.0];
///     p[lever] = 1.0;
///     (c, (p.clone(), p))
/// };
/// let r = gather(&[1.0, 1.0], vec![vec![on(0)], vec![on(0)], vec![on(1)]]);
/// assert_eq!(r.len(), 1);
/// assert_eq!((r[0].levers.clone(), r[0].self_play), (vec![0, 0, 1], 1.0));
/// assert!((r[0].cross_play - 2.0 / 6.0).abs() < 1e-15);
/// ```
pub fn gather(payoffs: &[f64], runs: Vec<Vec<(crate::rr::Choice, PolicyPair)>>) -> Vec<RidgeOutcome> {
    let mut by: std::collections::BTreeMap<crate::rr::Choice, Vec<PolicyPair>> = Default::default();
    for run in runs {
        for (c, pol) in run {
            by.entry(c).or_default().push(pol);
        }
    }
    by.into_iter()
        .map(|(choice, policies)| {
            let (self_play, cross_play) = self_and_cross_play(&policies, payoffs);
            let levers = policies
                .iter()
                .map(|(p1, _)| (0..p1.len()).fold(0, |b, a| if p1[a] > p1[b] { a } else { b }))
                .collect();
            RidgeOutcome { choice, self_play, cross_play, levers, policies }
        })
        .collect()
}
