//! Extreme eigenpairs along a sequence of operators (the Hessians at the θs of a ride,
//! or of training), each solve warm-started from the previous one's eigenvectors: the
//! spectrum moves little between nearby points, so the old vectors are a start rich in
//! the wanted eigenspace and Lanczos needs fewer products than from a random vector.

use super::{lanczos, EigenPairs, LanczosParams, LinalgError, LinearOperator};
use crate::kernels::{axpy, dot, norm};

/// Parameters of [`SpectrumTracker`].
///
/// ```
/// use ridge_rider::linalg::track::TrackParams;
/// use ridge_rider::linalg::LanczosParams;
/// let p = TrackParams { lanczos: LanczosParams { k: 3, ..Default::default() }, ..Default::default() };
/// assert!(p.warm_start && p.validate().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct TrackParams {
    /// The solve at each point; its `start` is ignored (the tracker chooses it).
    /// Default: [`LanczosParams::default`].
    pub lanczos: LanczosParams,
    /// Start each solve from the sum of the previous point's eigenvectors (true), or
    /// from the same random vector as the first (false: for comparison). Default true.
    pub warm_start: bool,
}

impl Default for TrackParams {
    fn default() -> Self {
        TrackParams { lanczos: LanczosParams::default(), warm_start: true }
    }
}

impl TrackParams {
    /// Checks the parameters before any product is spent.
    ///
    /// ```
    /// use ridge_rider::linalg::{track::TrackParams, LanczosParams};
    /// assert!(TrackParams::default().validate().is_ok());
    /// let p = TrackParams { lanczos: LanczosParams { tol: 2.0, ..Default::default() }, ..Default::default() };
    /// assert!(p.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), LinalgError> {
        self.lanczos.validate()
    }
}

/// One point of a track.
#[derive(Clone, Debug)]
pub struct TrackedPoint {
    /// The eigenpairs at this point, as [`lanczos()`] returns them.
    pub pairs: EigenPairs,
    /// How much of the previous point's eigenspace the new one keeps: the mean squared
    /// cosine of their principal angles, ‖VₚᵀV‖²_F / k, in [0, 1] (1: the same
    /// subspace); `None` at the first point. Warm starts save products when it is high.
    pub overlap: Option<f64>,
}

/// Solves one operator after another, carrying the eigenvectors from each to the next.
///
/// ```
/// use ridge_rider::linalg::track::{SpectrumTracker, TrackParams};
/// use ridge_rider::linalg::{DenseSymmetric, LanczosParams};
/// let p = TrackParams { lanczos: LanczosParams { k: 2, tol: 1e-10, ..Default::default() }, ..Default::default() };
/// let mut tracker = SpectrumTracker::new(p).unwrap();
/// // A spectrum that drifts: diag(t − 3, t − 2, 1, 2, …).
/// for t in [0.0, 0.1, 0.2] {
///     let d: Vec<f64> = (0..60).map(|i| if i < 2 { t + i as f64 - 3.0 } else { i as f64 }).collect();
///     let r = tracker.next(&DenseSymmetric::from_diagonal(&d)).unwrap();
///     assert!(r.pairs.all_converged() && (r.pairs.values[0] - (t - 3.0)).abs() < 1e-8);
///     // The eigenvectors stay the first two coordinates: the subspace does not move.
///     assert!(r.overlap.map_or(true, |o| (o - 1.0).abs() < 1e-8));
/// }
/// assert_eq!(tracker.points(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct SpectrumTracker {
    params: TrackParams,
    previous: Option<Vec<Vec<f64>>>,
    points: usize,
}

impl SpectrumTracker {
    /// A tracker that has seen no point yet; fails on invalid parameters.
    pub fn new(params: TrackParams) -> Result<Self, LinalgError> {
        params.validate()?;
        Ok(SpectrumTracker { params, previous: None, points: 0 })
    }

    /// The eigenpairs of the next operator, which must have the dimension of the ones
    /// before it, and how far their eigenspace moved from the previous one's.
    pub fn next(&mut self, op: &impl LinearOperator) -> Result<TrackedPoint, LinalgError> {
        if let Some(prev) = &self.previous {
            if op.dim() != prev[0].len() {
                return Err(LinalgError::Shape { expected: prev[0].len(), got: op.dim() });
            }
        }
        let seed = (self.params.lanczos.seed, self.points as u64);
        let start = self.previous.as_deref().filter(|_| self.params.warm_start).map(|prev| warm_start(prev, seed));
        let p = LanczosParams { start, ..self.params.lanczos.clone() };
        let pairs = lanczos(op, &p)?;
        let overlap = self.previous.as_deref().map(|prev| subspace_overlap(prev, &pairs.vectors));
        if !pairs.vectors.is_empty() {
            self.previous = Some(pairs.vectors.clone());
        }
        self.points += 1;
        Ok(TrackedPoint { pairs, overlap })
    }

    /// Operators solved so far.
    pub fn points(&self) -> usize {
        self.points
    }
}

/// The previous (orthonormal) eigenvectors' sum, an equal share of each, so the Krylov
/// space it starts holds all of them at once; plus a seeded random part of 1e-3 of its
/// length, so that an eigenvector orthogonal to all of them can still be found.
fn warm_start(previous: &[Vec<f64>], (seed, point): (u64, u64)) -> Vec<f64> {
    let mut s = vec![0.0; previous[0].len()];
    for v in previous {
        axpy(1.0, v, &mut s);
    }
    let noise = crate::rng::unit_vector(&mut crate::rng::seeded(seed, 0x7472_6163_6b00 ^ point), s.len());
    axpy(1e-3 * norm(&s), &noise, &mut s);
    s
}

/// ‖AᵀB‖²_F / max(|A|, |B|) for two orthonormal sets of vectors.
fn subspace_overlap(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    let sum: f64 = a.iter().flat_map(|u| b.iter().map(move |v| dot(u, v).powi(2))).sum();
    sum / a.len().max(b.len()).max(1) as f64
}
