//! The spectral density of an operator by stochastic Lanczos quadrature (SLQ; Ubaru,
//! Chen and Saad 2017; Ghorbani, Krishnan and Xiao 2019): from a random unit start v,
//! m Lanczos steps give a tridiagonal T whose eigenvalues θₖ are quadrature nodes and
//! the **squared** first components of its eigenvectors the weights τₖ, so that
//! Σₖ τₖ f(θₖ) ≈ vᵀf(A)v, whose mean over v is tr f(A)/n. (The weights must be squared:
//! they then sum to ‖v‖² = 1. PyHessian's density once used them unsquared.)

use super::trace::{mean_ci95, rademacher};
use super::{symmetric_eigen, DenseSymmetric, LinalgError, LinearOperator};
use crate::kernels::{axpy, dot, norm};
use crate::rng::seeded;

/// Parameters of [`spectral_density`].
///
/// ```
/// let p = ridge_rider::linalg::density::DensityParams::default();
/// assert_eq!((p.starts, p.steps, p.grid), (10, 40, 200));
/// assert!(p.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DensityParams {
    /// Random starts v (the density is their mean). Default 10.
    pub starts: usize,
    /// Lanczos steps m per start (fewer at a breakdown). Default 40.
    pub steps: usize,
    /// Gaussian broadening σ of each node, relative to the spectrum's width. Default 0.01.
    pub sigma: f64,
    /// Points of the density's grid. Default 200.
    pub grid: usize,
    pub seed: u64,
}

impl Default for DensityParams {
    fn default() -> Self {
        DensityParams { starts: 10, steps: 40, sigma: 0.01, grid: 200, seed: 0 }
    }
}

impl DensityParams {
    pub fn validate(&self) -> Result<(), LinalgError> {
        if !(2..=10_000).contains(&self.starts) {
            return Err(LinalgError::InvalidParameter { name: "starts", why: "must be within 2 and 10000" });
        }
        if !(1..=10_000).contains(&self.steps) {
            return Err(LinalgError::InvalidParameter { name: "steps", why: "must be within 1 and 10000" });
        }
        if !(self.sigma.is_finite() && self.sigma > 0.0) {
            return Err(LinalgError::InvalidParameter { name: "sigma", why: "must be finite and positive" });
        }
        if !(2..=1_000_000).contains(&self.grid) {
            return Err(LinalgError::InvalidParameter { name: "grid", why: "must be within 2 and 10^6" });
        }
        Ok(())
    }
}

/// One start's quadrature: nodes θₖ and weights τₖ (summing to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Quadrature {
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
}

impl Quadrature {
    /// Σₖ τₖ f(θₖ): the estimate of vᵀf(A)v.
    pub fn integrate(&self, f: impl Fn(f64) -> f64) -> f64 {
        self.nodes.iter().zip(&self.weights).map(|(x, w)| w * f(*x)).sum()
    }
}

/// An estimate over the random starts and the half-width of its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: f64,
}

impl Estimate {
    /// The mean and Student-t interval of per-start samples.
    fn of(samples: &[f64]) -> Estimate {
        let (mean, ci95) = mean_ci95(samples);
        Estimate { mean, ci95 }
    }
}

/// What [`spectral_density`] returns.
#[derive(Clone, Debug)]
pub struct SpectralDensity {
    pub quadratures: Vec<Quadrature>,
    /// The grid and the broadened density on it (integrating to about 1).
    pub grid: Vec<f64>,
    pub density: Vec<f64>,
    /// The estimated fraction of eigenvalues below 0, with its 95% interval over starts.
    pub negative_fraction: Estimate,
    /// The estimated sum of the negative eigenvalues, `n · E(Σ τₖθₖ over θₖ < 0)`, with its interval.
    pub negative_mass: Estimate,
    pub products: usize,
}

impl SpectralDensity {
    /// The estimate of tr f(A)/n and its 95% interval over the starts.
    pub fn moment(&self, f: impl Fn(f64) -> f64 + Copy) -> Estimate {
        Estimate::of(&self.quadratures.iter().map(|q| q.integrate(f)).collect::<Vec<_>>())
    }
}

/// Lanczos from unit `v` for at most `m` steps, fully reorthogonalised: α, β of T.
fn tridiagonal(op: &impl LinearOperator, v: Vec<f64>, m: usize) -> Result<(Vec<f64>, Vec<f64>), LinalgError> {
    let n = v.len();
    let (mut alpha, mut beta) = (Vec::new(), Vec::new());
    let mut basis = vec![v];
    let mut w = vec![0.0; n];
    for j in 0..m.min(n) {
        op.apply(&basis[j], &mut w)?;
        let a = dot(&w, &basis[j]);
        alpha.push(a);
        for _ in 0..2 {
            for b in &basis {
                axpy(-dot(b, &w), b, &mut w);
            }
        }
        let b = norm(&w);
        if j + 1 == m.min(n) || b <= 1e-12 * a.abs().max(1.0) {
            break;
        }
        beta.push(b);
        basis.push(w.iter().map(|x| x / b).collect());
    }
    Ok((alpha, beta))
}

/// The nodes and squared-first-component weights of T (α on the diagonal, β beside it).
pub fn gauss_quadrature(alpha: &[f64], beta: &[f64]) -> Result<Quadrature, LinalgError> {
    let m = alpha.len();
    let mut t = vec![0.0; m * m];
    for i in 0..m {
        t[i * m + i] = alpha[i];
        if let Some(&b) = beta.get(i).filter(|_| i + 1 < m) {
            t[i * m + i + 1] = b;
            t[(i + 1) * m + i] = b;
        }
    }
    let e = symmetric_eigen(&DenseSymmetric::new(m, t)?)?;
    let weights = e.vectors.iter().map(|u| u[0] * u[0]).collect();
    Ok(Quadrature { nodes: e.values, weights })
}

/// SLQ over `p.starts` random (Rademacher, normalised) starts.
///
/// ```
/// use ridge_rider::linalg::density::{spectral_density, DensityParams};
/// use ridge_rider::linalg::DenseSymmetric;
/// let a = DenseSymmetric::from_diagonal(&[-2.0, -1.0, 1.0, 3.0]);
/// let d = spectral_density(&a, &DensityParams::default()).unwrap();
/// // Four steps resolve four eigenvalues: the mean (tr A / n) is exact per start.
/// let mean = d.moment(|x| x).mean;
/// assert!((mean - 0.25).abs() < 1e-10);
/// assert!(d.negative_fraction.mean > 0.0 && d.negative_mass.mean < 0.0);
/// ```
pub fn spectral_density(op: &impl LinearOperator, p: &DensityParams) -> Result<SpectralDensity, LinalgError> {
    p.validate()?;
    let n = op.dim();
    if n == 0 {
        return Err(LinalgError::Empty);
    }
    let mut rng = seeded(p.seed, 0x0073_6c71);
    let mut quadratures = Vec::with_capacity(p.starts);
    let mut products = 0;
    for _ in 0..p.starts {
        let v: Vec<f64> = rademacher(&mut rng, n).iter().map(|x| x / (n as f64).sqrt()).collect();
        let (alpha, beta) = tridiagonal(op, v, p.steps)?;
        products += alpha.len();
        quadratures.push(gauss_quadrature(&alpha, &beta)?);
    }
    let nodes = quadratures.iter().flat_map(|q| q.nodes.iter().copied());
    let (lo, hi) = nodes.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| (l.min(x), h.max(x)));
    let width = (hi - lo).max(f64::MIN_POSITIVE);
    let sigma = p.sigma * width;
    let (from, to) = (lo - 5.0 * sigma, hi + 5.0 * sigma);
    let grid: Vec<f64> = (0..p.grid).map(|i| from + (to - from) * i as f64 / (p.grid - 1) as f64).collect();
    let gauss = |x: f64, c: f64| {
        (-(x - c).powi(2) / (2.0 * sigma * sigma)).exp() / (sigma * (2.0 * std::f64::consts::PI).sqrt())
    };
    let density = grid
        .iter()
        .map(|&x| quadratures.iter().map(|q| q.integrate(|c| gauss(x, c))).sum::<f64>() / p.starts as f64)
        .collect();
    let per_start = |f: &dyn Fn(f64) -> f64| quadratures.iter().map(|q| q.integrate(f)).collect::<Vec<f64>>();
    let negative_fraction = Estimate::of(&per_start(&|x| if x < 0.0 { 1.0 } else { 0.0 }));
    let mass = Estimate::of(&per_start(&|x| if x < 0.0 { x } else { 0.0 }));
    Ok(SpectralDensity {
        quadratures,
        grid,
        density,
        negative_fraction,
        negative_mass: Estimate { mean: n as f64 * mass.mean, ci95: n as f64 * mass.ci95 },
        products,
    })
}
