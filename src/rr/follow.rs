//! Riding one ridge: step along it, update it (UpdateRidge), adapt the step size, and
//! stop by the EndRide rules.

use super::ridges::spectrum;
use super::{ApproximateParams, Objective, RrError, RrParams, Spectrum};
use crate::ad::{hessian_vector_product, value, HessianAt};
use crate::kernels::{axpy, dot, norm, normalize, scale};

/// Why a ride ended (see [`ride`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// No eigenvector overlaps the previous ridge by δ_break, even at the smallest α.
    OverlapBelowThreshold,
    /// The followed curvature is no longer negative.
    CurvatureNonNegative,
    /// A step no longer lowered the loss.
    LossStoppedImproving,
    /// The ride's step limit.
    StepLimit,
    /// The search's budget ran out mid-ride.
    Budget,
    /// A loss, gradient or Hessian was NaN or infinite.
    NonFinite,
    /// The ride ended normally, but Lanczos could not resolve the spectrum at its end
    /// (see [`super::RrError::SpectrumNotConverged`]),
    /// so the branch ends there instead of branching on unresolved pairs.
    SpectrumNotConverged,
}

impl EndReason {
    /// The name used in JSON reports.
    ///
    /// ```
    /// assert_eq!(ridge_rider::rr::EndReason::StepLimit.as_str(), "step-limit");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            EndReason::OverlapBelowThreshold => "overlap-below-threshold",
            EndReason::CurvatureNonNegative => "curvature-non-negative",
            EndReason::LossStoppedImproving => "loss-stopped-improving",
            EndReason::StepLimit => "step-limit",
            EndReason::Budget => "budget",
            EndReason::NonFinite => "non-finite",
            EndReason::SpectrumNotConverged => "spectrum-not-converged",
        }
    }
}

/// Where a ride ended and what it cost (see [`ride`]).
#[derive(Clone, Debug)]
pub struct RideOutcome {
    pub theta: Vec<f64>,
    pub loss: f64,
    /// The ridge direction at the end.
    pub direction: Vec<f64>,
    pub lambda: f64,
    /// Accepted parameter updates.
    pub steps: usize,
    /// Loss-and-Hessian evaluations, including rejected trial steps.
    pub evaluations: usize,
    pub hvps: usize,
    pub reason: EndReason,
}

fn finite(x: f64) -> Result<f64, RrError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(RrError::NonFinite("loss"))
    }
}

/// What [`update_ridge_exact`] returns.
#[derive(Clone, Debug, PartialEq)]
pub struct ExactUpdate {
    /// The eigenvector followed, sign-aligned with the previous ridge.
    pub direction: Vec<f64>,
    pub eigenvalue: f64,
    /// |⟨e, e′⟩|.
    pub overlap: f64,
}

/// Exact UpdateRidge: the eigenvector of H(θ) with the greatest |overlap| with `prev`,
/// sign-aligned.
///
/// ```
/// use ridge_rider::rr::update_ridge_exact;
/// let vectors = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
/// let u = update_ridge_exact(&[-2.0, -1.0], &vectors, &[0.1, -0.9]);
/// assert_eq!((u.direction, u.eigenvalue), (vec![0.0, -1.0], -1.0));
/// assert!((u.overlap - 0.9).abs() < 1e-15);
/// ```
pub fn update_ridge_exact(values: &[f64], vectors: &[Vec<f64>], prev: &[f64]) -> ExactUpdate {
    let (mut best, mut best_overlap) = (0, -1.0);
    for (i, v) in vectors.iter().enumerate() {
        let o = dot(v, prev).abs();
        if o > best_overlap {
            best = i;
            best_overlap = o;
        }
    }
    let sign = if dot(&vectors[best], prev) < 0.0 { -1.0 } else { 1.0 };
    ExactUpdate {
        direction: vectors[best].iter().map(|x| sign * x).collect(),
        eigenvalue: values[best],
        overlap: best_overlap,
    }
}

/// Step halvings an approximate UpdateRidge step may take before it is accepted anyway.
pub const MAX_HALVINGS: usize = 6;

/// What [`update_ridge_approximate`] returns (an example is there).
#[derive(Clone, Debug)]
pub struct ApproximateUpdate {
    /// The updated ridge e (unit).
    pub direction: Vec<f64>,
    /// The tracked eigenvalue λ.
    pub eigenvalue: f64,
    /// eᵀHe: the curvature along e (λ lags it when e leaves the eigenvector).
    pub curvature: f64,
    /// H·e at θ, the next update's warm start.
    pub image: Vec<f64>,
    /// Hessian-vector products used.
    pub hvps: usize,
    /// Steps whose halvings ran out, so the last trial was taken although ℓ grew.
    pub halvings_exhausted: usize,
}

/// The ridge at the previous point θ′, from which [`update_ridge_approximate`] starts.
#[derive(Clone, Copy, Debug)]
pub struct PreviousRidge<'a> {
    /// e′, unit.
    pub direction: &'a [f64],
    /// λ′, the eigenvalue tracked there.
    pub lambda: f64,
    /// H(θ′)·e′.
    pub image: &'a [f64],
}

/// Approximate UpdateRidge at θ: warm-start λ ≈ λ′ + e′ᵀ(H(θ) − H(θ′))e′, then
/// `a.inner_steps` gradient steps on ℓ(e, λ) = ‖(1/λ)Hê − ê‖² (rates `a.lr_x` for e,
/// `a.lr_lambda` for λ; e's step is halved, up to [`MAX_HALVINGS`] times, until ℓ does
/// not increase), HVPs only: one for He, then two per step (H·r and H·∇ℓ; the halvings
/// cost none, since H is linear: H·(e − η∇ℓ) = He − η·H∇ℓ).
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{update_ridge_approximate, ApproximateParams, PreviousRidge};
/// // L = −x² − ½y²: H = diag(−2, −1); e starts off the eigenvector (1, 0).
/// let f = loss_fn(2, |t: Var| -(t.at(0) * t.at(0)) - 0.5 * t.at(1) * t.at(1));
/// let (mut e, mut lambda, mut he) = (vec![0.8, 0.6], -1.64, vec![-1.6, -0.6]);
/// let a = ApproximateParams { inner_steps: 20, lr_x: 0.5, lr_lambda: 0.1 };
/// for _ in 0..5 {
///     let prev = PreviousRidge { direction: &e, lambda, image: &he };
///     let u = update_ridge_approximate(&f, &[0.0, 0.0], &prev, &a).unwrap();
///     (e, lambda, he) = (u.direction, u.eigenvalue, u.image);
/// }
/// assert!(e[0].abs() > 0.999 && (lambda + 2.0).abs() < 1e-2);
/// ```
pub fn update_ridge_approximate<O: Objective>(
    obj: &O,
    theta: &[f64],
    prev: &PreviousRidge,
    a: &ApproximateParams,
) -> Result<ApproximateUpdate, RrError> {
    let PreviousRidge { direction: e_prev, lambda: lambda_prev, image: prev_he } = *prev;
    let ApproximateParams { inner_steps: steps, lr_x, lr_lambda } = *a;
    // θ is fixed during the update: record the loss once, then each product runs
    // only the tangent sweeps.
    let recorded = HessianAt::new(obj, theta)?;
    let mut hvps = 0;
    let mut hvp = |v: &[f64]| -> Result<Vec<f64>, RrError> {
        hvps += 1;
        let r = recorded.hessian_vector_product(v)?;
        if r.iter().any(|x| !x.is_finite()) {
            return Err(RrError::NonFinite("Hessian-vector product"));
        }
        Ok(r)
    };
    let mut e = e_prev.to_vec();
    let mut he = hvp(&e)?;
    let mut lambda = lambda_prev + dot(e_prev, &he) - dot(e_prev, prev_he);
    if lambda.abs() < 1e-12 {
        lambda = -1e-12;
    }
    // The eigen-loss's residual r = Hê/λ − ê (ℓ = ‖r‖²).
    let residual =
        |he: &[f64], e: &[f64], lambda: f64| -> Vec<f64> { he.iter().zip(e).map(|(h, x)| h / lambda - x).collect() };
    let mut halvings_exhausted = 0;
    for _ in 0..steps {
        // ∂ℓ/∂ê = 2(H r/λ − r);  ∂ℓ/∂λ = −2 (r·Hê)/λ².
        let r = residual(&he, &e, lambda);
        let loss = dot(&r, &r);
        let hr = hvp(&r)?;
        let mut grad_e = residual(&hr, &r, lambda);
        scale(2.0, &mut grad_e);
        let grad_lambda = -2.0 * dot(&r, &he) / (lambda * lambda);
        // Tangent to the unit sphere: the loss depends on ê = e/‖e‖ only.
        let radial = dot(&grad_e, &e);
        axpy(-radial, &e, &mut grad_e);
        let h_grad = hvp(&grad_e)?;
        // The eigen-loss's curvature in e is about ((H − λ)/λ)², so a fixed rate that
        // suits one point can throw e into a large-curvature direction at another:
        // halve the step until the eigen-loss does not increase.
        let mut rate = lr_x;
        for attempt in 0..=MAX_HALVINGS {
            let (mut trial, mut trial_he) = (e.clone(), he.clone());
            axpy(-rate, &grad_e, &mut trial);
            axpy(-rate, &h_grad, &mut trial_he);
            let length = normalize(&mut trial);
            scale(1.0 / length, &mut trial_he);
            let r = residual(&trial_he, &trial, lambda);
            let improved = dot(&r, &r) <= loss;
            if improved || attempt == MAX_HALVINGS {
                halvings_exhausted += usize::from(!improved);
                (e, he) = (trial, trial_he);
                break;
            }
            rate *= 0.5;
        }
        lambda -= lr_lambda * grad_lambda;
    }
    let curvature = dot(&e, &he);
    Ok(ApproximateUpdate { direction: e, eigenvalue: lambda, curvature, image: he, hvps, halvings_exhausted })
}

/// Where a ride starts.
#[derive(Clone, Copy, Debug)]
pub struct RideStart<'a> {
    /// θ at the branch point.
    pub theta: &'a [f64],
    /// The ridge: unit, sign applied.
    pub direction: &'a [f64],
    /// Its eigenvalue.
    pub lambda: f64,
    /// The ridge may lie in a repeated eigenvalue's eigenspace. Its direction is then one
    /// arbitrary member, and the first step breaks the symmetry that made the value
    /// repeated, so no single new eigenvector need overlap it by δ_break at any α: the
    /// first step follows the eigenvector of greatest overlap without the δ_break test;
    /// later steps are tested as usual.
    pub degenerate: bool,
}

/// Ride from `start` until an EndRide rule fires, within `budget` evaluations.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{ride, EndReason, RideStart, RrParams};
/// // A one-dimensional double well: from the maximum at 0 down to the minimum at 1.
/// let f = loss_fn(1, |t: Var| (t.at(0) * t.at(0) - 1.0).powi(2));
/// let start = RideStart { theta: &[0.0], direction: &[1.0], lambda: -4.0, degenerate: false };
/// let o = ride(&f, &start, &RrParams::default(), 10_000, 0);
/// assert_eq!(o.reason, EndReason::CurvatureNonNegative);
/// assert!(o.theta[0] > 0.5 && o.loss < 1.0);
/// // x and y curve down equally at 0: the eigenspace is the plane, (1, 1)/√2 one member.
/// let g = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum());
/// let d = [0.5f64.sqrt(), 0.5f64.sqrt()];
/// let o = ride(&g, &RideStart { theta: &[0.0, 0.0], direction: &d, lambda: -4.0, degenerate: true }, &RrParams::default(), 10_000, 0);
/// assert!(o.loss < 2.0 && o.steps > 0);
/// ```
pub fn ride<O: Objective>(obj: &O, start: &RideStart, p: &RrParams, budget: usize, seed: u64) -> RideOutcome {
    let RideStart { theta: theta0, direction, lambda: lambda0, degenerate } = *start;
    let mut out = RideOutcome {
        theta: theta0.to_vec(),
        loss: f64::NAN,
        direction: direction.to_vec(),
        lambda: lambda0,
        steps: 0,
        evaluations: 0,
        hvps: 0,
        reason: EndReason::StepLimit,
    };
    match ride_inner(obj, &mut out, degenerate, p, budget, seed) {
        Ok(reason) => out.reason = reason,
        Err(_) => out.reason = EndReason::NonFinite,
    }
    out
}

fn ride_inner<O: Objective>(
    obj: &O,
    out: &mut RideOutcome,
    degenerate: bool,
    p: &RrParams,
    budget: usize,
    seed: u64,
) -> Result<EndReason, RrError> {
    out.loss = finite(value(obj, &out.theta)?)?;
    let mut he = match &p.branching.spectrum {
        Spectrum::Exact => Vec::new(),
        Spectrum::Lanczos { .. } => {
            out.hvps += 1;
            hessian_vector_product(obj, &out.theta, &out.direction)?.hv
        }
    };
    let mut last_alpha = p.riding.alpha;
    for _ in 0..p.riding.max_steps {
        // Each step starts large: at α, or (warm start) at twice the last accepted α.
        let mut alpha =
            if p.heuristics.alpha_warm_start { (2.0 * last_alpha).min(p.riding.alpha) } else { p.riding.alpha };
        let accepted = loop {
            if out.evaluations >= budget {
                return Ok(EndReason::Budget);
            }
            out.evaluations += 1;
            let mut trial = out.theta.clone();
            axpy(alpha, &out.direction, &mut trial);
            let loss = finite(value(obj, &trial)?)?;
            let (e, lambda, curvature, new_he, overlap) = match &p.branching.spectrum {
                // Fixed-EV and random directions: keep the direction; only the loss decides.
                _ if !p.ablation.updates_ridge() => {
                    (out.direction.clone(), out.lambda, f64::NEG_INFINITY, Vec::new(), 1.0)
                }
                Spectrum::Exact => {
                    let s = spectrum(obj, &trial, &Spectrum::Exact, 0, seed)?;
                    out.hvps += s.hvps;
                    let u = update_ridge_exact(&s.values, &s.vectors, &out.direction);
                    (u.direction, u.eigenvalue, u.eigenvalue, Vec::new(), u.overlap)
                }
                Spectrum::Lanczos { update, .. } => {
                    let prev = PreviousRidge { direction: &out.direction, lambda: out.lambda, image: &he };
                    let u = update_ridge_approximate(obj, &trial, &prev, update)?;
                    out.hvps += u.hvps;
                    let overlap = dot(&u.direction, &out.direction).abs() / norm(&u.direction).max(1e-300);
                    (u.direction, u.eigenvalue, u.curvature, u.image, overlap)
                }
            };
            let free_step = degenerate && out.steps == 0;
            if overlap >= p.riding.delta_break || !p.riding.adaptive_alpha || free_step {
                last_alpha = alpha;
                break Some((trial, loss, e, lambda, curvature, new_he));
            }
            alpha *= 0.5;
            if alpha < p.riding.alpha_min {
                break None;
            }
        };
        let Some((trial, loss, e, lambda, curvature, new_he)) = accepted else {
            return Ok(EndReason::OverlapBelowThreshold);
        };
        if loss > out.loss - p.riding.min_improvement {
            return Ok(EndReason::LossStoppedImproving);
        }
        out.theta = trial;
        out.loss = loss;
        out.direction = e;
        out.lambda = lambda;
        he = new_he;
        out.steps += 1;
        if curvature >= -p.branching.negative_tol {
            return Ok(EndReason::CurvatureNonNegative);
        }
    }
    Ok(EndReason::StepLimit)
}
