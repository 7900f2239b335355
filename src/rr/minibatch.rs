//! Riding a ridge when the loss changes at every step: approximate RR on mini-batches.
//! Each step moves θ along the ridge, updates the ridge on that step's batch by the
//! eigen-loss (HVPs only), and reads EndRide from quantities that tolerate the batch
//! noise: the best batch loss so far (patience) and a moving average of the curvature
//! along the ridge (avg ← 0.8·avg + 0.2·eᵀHe; the ride ends when it is no longer
//! negative). Branching again is the caller's, since where the next ridge comes
//! from (which batch, which solver) is the problem's choice.

use super::follow::{update_ridge_approximate, PreviousRidge};
use super::{ApproximateParams, Objective, RrError};
use crate::ad::{gradient, value};
use crate::kernels::{axpy, dot, norm, normalize};

/// Parameters of a [`MiniBatchRide`].
///
/// ```
/// let p = ridge_rider::rr::MiniBatchRideParams::default();
/// assert_eq!((p.alpha, p.patience), (0.05, usize::MAX));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MiniBatchRideParams {
    /// Step α along the ridge. Default 0.05.
    pub alpha: f64,
    /// UpdateRidge on each batch (inner steps S, LR_x, LR_λ; all zero rates: Fixed-EV).
    pub update: ApproximateParams,
    /// Steps without a new best batch loss before the ride ends. Default never.
    pub patience: usize,
}

impl Default for MiniBatchRideParams {
    fn default() -> Self {
        MiniBatchRideParams { alpha: 0.05, update: ApproximateParams::default(), patience: usize::MAX }
    }
}

/// One step of a [`MiniBatchRide`].
#[derive(Clone, Debug, PartialEq)]
pub struct MiniBatchStep {
    /// The batch loss after the step.
    pub loss: f64,
    /// eᵀHe on the batch after the update.
    pub curvature: f64,
    /// cos(∇L, e) on the batch, when asked for.
    pub cos_gradient: Option<f64>,
    /// Hessian-vector products spent.
    pub hvps: usize,
    /// An EndRide rule fired: the caller branches again.
    pub ended: bool,
}

/// A ride in progress: the ridge, its eigenvalue and image, and what EndRide reads.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::{MiniBatchRide, MiniBatchRideParams};
/// // The "batches" alternate between two tilts of the double well (x² − 1)²: the ride
/// // from the maximum still reaches the bottom, where the curvature turns positive.
/// let tilts = [0.1, -0.1];
/// let mut p = MiniBatchRideParams::default();
/// p.alpha = 0.05;
/// let mut ride = MiniBatchRide::new(vec![1.0], -4.0, vec![-4.0], p);
/// let mut theta = vec![0.0];
/// let mut steps = 0;
/// while steps < 100 {
///     let tilt = tilts[steps % 2];
///     let batch = loss_fn(1, move |t: Var| (t * t - 1.0).powi(2).sum() + tilt * t.sum());
///     steps += 1;
///     if ride.step(&batch, &mut theta, false).unwrap().ended {
///         break;
///     }
/// }
/// assert!(steps < 100 && theta[0] > 0.5 && theta[0] < 1.2);
/// ```
#[derive(Clone, Debug)]
pub struct MiniBatchRide {
    e: Vec<f64>,
    lambda: f64,
    he: Vec<f64>,
    params: MiniBatchRideParams,
    best: f64,
    since_best: usize,
    curvature_avg: f64,
}

impl MiniBatchRide {
    /// A ride along `e` (eigenvalue `lambda`, image `he` = H·e on the first batch).
    pub fn new(e: Vec<f64>, lambda: f64, he: Vec<f64>, params: MiniBatchRideParams) -> Self {
        MiniBatchRide { e, lambda, he, params, best: f64::INFINITY, since_best: 0, curvature_avg: lambda }
    }

    /// The ridge being ridden (unit).
    pub fn direction(&self) -> &[f64] {
        &self.e
    }

    /// The tracked eigenvalue (it lags the curvature when e leaves the eigenvector).
    pub fn eigenvalue(&self) -> f64 {
        self.lambda
    }

    /// H·e on the last batch.
    pub fn image(&self) -> &[f64] {
        &self.he
    }

    /// The ride's parameters (a new ride after a branching usually keeps them).
    pub fn params(&self) -> &MiniBatchRideParams {
        &self.params
    }

    /// Step along the ridge, update it on `batch`, and read EndRide. With
    /// `with_gradient`, the batch gradient is computed too, for `cos_gradient`.
    pub fn step(
        &mut self,
        batch: &impl Objective,
        theta: &mut [f64],
        with_gradient: bool,
    ) -> Result<MiniBatchStep, RrError> {
        axpy(self.params.alpha, &self.e, theta);
        let prev = PreviousRidge { direction: &self.e, lambda: self.lambda, image: &self.he };
        let u = update_ridge_approximate(batch, theta, &prev, &self.params.update)?;
        let (hvps, curvature) = (u.hvps, u.curvature);
        (self.e, self.lambda, self.he) = (u.direction, u.eigenvalue, u.image);
        normalize(&mut self.e);
        let (loss, cos_gradient) = if with_gradient {
            let vg = gradient(batch, theta)?;
            (vg.value, Some(dot(&vg.gradient, &self.e) / norm(&vg.gradient).max(f64::MIN_POSITIVE)))
        } else {
            (value(batch, theta)?, None)
        };
        if !loss.is_finite() || theta.iter().any(|x| !x.is_finite()) {
            return Err(RrError::NonFinite("loss"));
        }
        if loss < self.best {
            (self.best, self.since_best) = (loss, 0);
        } else {
            self.since_best += 1;
        }
        // Batch curvature is noisy: the ride ends on its moving average.
        self.curvature_avg = 0.8 * self.curvature_avg + 0.2 * curvature;
        let ended = self.curvature_avg >= 0.0 || self.since_best >= self.params.patience;
        Ok(MiniBatchStep { loss, curvature, cos_gradient, hvps, ended })
    }
}
