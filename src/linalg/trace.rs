//! The trace of an operator from products alone: Hutchinson's estimator (the mean of
//! zᵀAz over Rademacher z) and Hutch++ (Meyer, Musco, Musco and Woodruff 2021: the
//! trace of A on a sketched range exactly, Hutchinson on the rest), each with a 95%
//! interval from its own samples.

use super::{LinalgError, LinearOperator};
use crate::kernels::{axpy, dot, norm};
use crate::rng::seeded;
use rand::Rng;

/// Which estimator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceMethod {
    /// Mean of zᵀAz over `products` Rademacher probes.
    Hutchinson,
    /// A third of the products sketch A's range, a third project it, a third probe the rest.
    HutchPlusPlus,
}

/// Parameters of [`estimate_trace`].
///
/// ```
/// let p = ridge_rider::linalg::trace::TraceParams::default();
/// assert_eq!((p.products, p.block_size, p.seed), (90, 8, 0));
/// assert!(p.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TraceParams {
    pub method: TraceMethod,
    /// Operator products to spend (Hutch++: a multiple of 3; at least 6). Default 90.
    pub products: usize,
    /// Probes applied together in one [`LinearOperator::apply_block`] (a Hessian
    /// recorded at θ runs them in one sweep); the estimate does not depend on it.
    /// Default 8.
    pub block_size: usize,
    /// Seed of the probes.
    pub seed: u64,
}

impl Default for TraceParams {
    fn default() -> Self {
        TraceParams { method: TraceMethod::HutchPlusPlus, products: 90, block_size: 8, seed: 0 }
    }
}

impl TraceParams {
    /// Enough products for an interval: Hutchinson needs 2 samples, Hutch++ 2 per third.
    pub fn validate(&self) -> Result<(), LinalgError> {
        let least = match self.method {
            TraceMethod::Hutchinson => 2,
            TraceMethod::HutchPlusPlus => 6,
        };
        if self.products < least || self.products > 1 << 20 {
            return Err(LinalgError::InvalidParameter {
                name: "products",
                why: "must be within 2 (Hutch++: 6) and 2^20",
            });
        }
        if self.block_size == 0 {
            return Err(LinalgError::InvalidParameter { name: "block_size", why: "must be at least 1" });
        }
        Ok(())
    }
}

/// A trace estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceEstimate {
    pub trace: f64,
    /// Half-width of the 95% interval (Student t over the random samples).
    pub ci95: f64,
    /// Operator products spent.
    pub products: usize,
    /// Random samples the interval comes from.
    pub samples: usize,
}

/// Two-sided 97.5% quantile of Student's t with `df` degrees of freedom.
pub(super) fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    // Beyond 30: the normal quantile plus the first term of its expansion in 1/df.
    T.get(df.saturating_sub(1)).copied().unwrap_or(1.96 + 2.4 / df as f64)
}

/// Mean of `xs` and the half-width of its 95% interval.
pub(super) fn mean_ci95(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, t975(xs.len().saturating_sub(1).max(1)) * (var / n).sqrt())
}

/// n independent ±1 entries.
pub(super) fn rademacher(rng: &mut impl Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| if rng.gen::<bool>() { 1.0 } else { -1.0 }).collect()
}

/// A·v for each v, `block` vectors per [`LinearOperator::apply_block`].
fn applied(op: &impl LinearOperator, vs: &[Vec<f64>], block: usize) -> Result<Vec<Vec<f64>>, LinalgError> {
    let mut images = Vec::with_capacity(vs.len());
    for chunk in vs.chunks(block) {
        let refs: Vec<&[f64]> = chunk.iter().map(Vec::as_slice).collect();
        let mut outs = vec![vec![0.0; op.dim()]; chunk.len()];
        op.apply_block(&refs, &mut outs)?;
        images.extend(outs);
    }
    Ok(images)
}

/// zᵀAz for `count` probes z drawn by `draw` in order, `block` of them in memory at a
/// time.
fn probe(
    op: &impl LinearOperator,
    count: usize,
    block: usize,
    mut draw: impl FnMut() -> Vec<f64>,
) -> Result<Vec<f64>, LinalgError> {
    let mut samples = Vec::with_capacity(count);
    while samples.len() < count {
        let zs: Vec<Vec<f64>> = (0..block.min(count - samples.len())).map(|_| draw()).collect();
        samples.extend(quadratic_forms(op, &zs, block)?);
    }
    Ok(samples)
}

/// zᵀAz for each z.
fn quadratic_forms(op: &impl LinearOperator, zs: &[Vec<f64>], block: usize) -> Result<Vec<f64>, LinalgError> {
    Ok(zs.iter().zip(applied(op, zs, block)?).map(|(z, az)| dot(z, &az)).collect())
}

/// An orthonormal basis of the span of `vs` (modified Gram–Schmidt, twice; directions
/// already in the span are dropped).
fn orthonormal(vs: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let mut q: Vec<Vec<f64>> = Vec::new();
    for mut v in vs {
        let scale = norm(&v);
        for _ in 0..2 {
            for b in &q {
                axpy(-dot(b, &v), b, &mut v);
            }
        }
        let r = norm(&v);
        if r > 1e-10 * scale.max(f64::MIN_POSITIVE) {
            v.iter_mut().for_each(|x| *x /= r);
            q.push(v);
        }
    }
    q
}

/// The trace of `op` (symmetric or not) by `p.method`.
///
/// ```
/// use ridge_rider::linalg::trace::{estimate_trace, TraceMethod, TraceParams};
/// use ridge_rider::linalg::DenseSymmetric;
/// let a = DenseSymmetric::from_diagonal(&[3.0, -1.0, 0.5, 2.0]);
/// let p = TraceParams { method: TraceMethod::HutchPlusPlus, products: 24, seed: 1, ..Default::default() };
/// // Eight sketch vectors in four dimensions span them all: Hutch++ is exact here.
/// let t = estimate_trace(&a, &p).unwrap();
/// assert!((t.trace - 4.5).abs() < 1e-12 && t.products == 24);
/// ```
pub fn estimate_trace(op: &impl LinearOperator, p: &TraceParams) -> Result<TraceEstimate, LinalgError> {
    p.validate()?;
    let n = op.dim();
    if n == 0 {
        return Err(LinalgError::Empty);
    }
    let mut rng = seeded(p.seed, 0x7472_6163);
    let block = p.block_size;
    match p.method {
        TraceMethod::Hutchinson => {
            let samples = probe(op, p.products, block, || rademacher(&mut rng, n))?;
            let (trace, ci95) = mean_ci95(&samples);
            Ok(TraceEstimate { trace, ci95, products: p.products, samples: samples.len() })
        }
        TraceMethod::HutchPlusPlus => {
            let third = p.products / 3;
            let sketch: Vec<Vec<f64>> = (0..third).map(|_| rademacher(&mut rng, n)).collect();
            let q = orthonormal(applied(op, &sketch, block)?);
            drop(sketch);
            let exact: f64 = quadratic_forms(op, &q, block)?.iter().sum();
            // Hutchinson on (I − QQᵀ)A(I − QQᵀ), with the products the sketch did not use.
            let probes = p.products - third - q.len();
            let samples = probe(op, probes, block, || {
                let mut z = rademacher(&mut rng, n);
                for b in &q {
                    axpy(-dot(b, &z), b, &mut z);
                }
                z
            })?;
            let (rest, ci95) = if samples.len() >= 2 { mean_ci95(&samples) } else { (0.0, 0.0) };
            let products = third + q.len() + probes;
            Ok(TraceEstimate { trace: exact + rest, ci95, products, samples: samples.len() })
        }
    }
}
