//! How well a direction ê of the head is a common eigenvector of the training
//! environments' head Hessians, and whether the features behind it read the colour:
//! the diagnostics of the Colored MNIST RR extension ([`crate::problems::cmnist::rr`]).
//!
//! ```
//! use ridge_rider::problems::cmnist::fit::EigenFit;
//! let fit = EigenFit { curvature: [-0.5, -0.4], correlation: [-1.0, -0.99] };
//! assert!(fit.is_good());
//! ```

use crate::kernels::{dot, norm, normalize};
use crate::problems::cmnist::model::{CmnistNet, EnvBatch, HeadLoss};
use crate::problems::data::colored_mnist::Environment;
use crate::rr::RrError;

/// Guards the divisions by norms and curvatures (of L₁, L₂ and the diagnostics).
pub(super) const EPS: f64 = 1e-12;

/// The data the diagnostics read: the fitted and held-out parts of ξ₁ and ξ₂, and ξ₃
/// (see [`HeldOutFit::new`]).
#[derive(Clone, Copy)]
pub struct FitEnvironments<'a> {
    pub fit: &'a [Environment; 2],
    pub held_out: &'a [Environment; 2],
    pub test: &'a Environment,
}

/// Diagnostics of the extension at a point (full training environments); an example
/// is in the module docs.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "cli", derive(serde::Serialize, serde::Deserialize))]
pub struct EigenFit {
    /// êᵀH_ξê in ξ₁ and ξ₂.
    pub curvature: [f64; 2],
    /// The correlation C(H_ξê, ê) in ξ₁ and ξ₂ (±1 for an eigenvector).
    pub correlation: [f64; 2],
}

impl EigenFit {
    /// An approximate common eigenvector with negative, matching curvature.
    pub fn is_good(&self) -> bool {
        self.curvature.iter().all(|k| *k < 0.0)
            && self.correlation.iter().all(|c| c * c > 0.8)
            && (self.curvature[0] - self.curvature[1]).abs()
                < 0.25 * self.curvature[0].abs().max(self.curvature[1].abs())
    }
    /// |κ₁ − κ₂| / max(|κ₁|, |κ₂|): 0 when both environments curve alike along ê.
    ///
    /// ```
    /// use ridge_rider::problems::cmnist::fit::EigenFit;
    /// let fit = EigenFit { curvature: [-0.20, -0.15], correlation: [-1.0, -1.0] };
    /// assert!((fit.curvature_gap() - 0.25).abs() < 1e-12);
    /// ```
    pub fn curvature_gap(&self) -> f64 {
        let [a, b] = self.curvature;
        (a - b).abs() / a.abs().max(b.abs()).max(EPS)
    }
    /// Lower is better: the less negative of the two curvatures, plus their gap.
    pub(super) fn score(&self) -> f64 {
        self.curvature[0].max(self.curvature[1]) + (self.curvature[0] - self.curvature[1]).abs()
    }
}

/// How well ê is a common eigenvector of both environments' head Hessians at θ.
///
/// ```
/// use ridge_rider::problems::cmnist::fit::eigen_fit;
/// use ridge_rider::problems::cmnist::model::{CmnistNet, EnvBatch};
/// let net = CmnistNet { inputs: 2, hidden: 3, features: 2, head_hidden: 2 };
/// let env = EnvBatch::new(vec![0.3, 0.9, 0.8, 0.1], vec![1.0, 0.0]);
/// let theta = net.init(0);
/// let (theta_f, theta_r) = theta.split_at(net.dim_features());
/// let e = vec![1.0; net.dim_head()];
/// // The same data twice: the curvatures agree exactly.
/// let fit = eigen_fit(&net, &[env.clone(), env], theta_f, theta_r, &e).unwrap();
/// assert_eq!(fit.curvature_gap(), 0.0);
/// assert!(fit.correlation.iter().all(|c| c.abs() <= 1.0));
/// ```
pub fn eigen_fit(
    net: &CmnistNet,
    envs: &[EnvBatch; 2],
    theta_f: &[f64],
    theta_r: &[f64],
    e: &[f64],
) -> Result<EigenFit, RrError> {
    let mut fit = EigenFit { curvature: [0.0; 2], correlation: [0.0; 2] };
    for (i, env) in envs.iter().enumerate() {
        (fit.curvature[i], fit.correlation[i]) = curvature_along(net, env, theta_f, theta_r, e)?;
    }
    Ok(fit)
}

/// (êᵀHê, C(Hê, ê)) for one environment's head Hessian H at θ.
///
/// ```
/// use ridge_rider::ad::hessian_vector_product;
/// use ridge_rider::problems::cmnist::fit::curvature_along;
/// use ridge_rider::problems::cmnist::model::{CmnistNet, EnvBatch, HeadLoss};
/// let net = CmnistNet { inputs: 2, hidden: 3, features: 2, head_hidden: 2 };
/// let env = EnvBatch::new(vec![0.3, 0.9, 0.8, 0.1], vec![1.0, 0.0]);
/// let theta = net.init(0);
/// let (theta_f, theta_r) = theta.split_at(net.dim_features());
/// let mut e = vec![0.0; net.dim_head()];
/// e[0] = 2.0; // ê is the first coordinate: κ is the Hessian's first diagonal entry.
/// let (k, _) = curvature_along(&net, &env, theta_f, theta_r, &e).unwrap();
/// let h0 = hessian_vector_product(&HeadLoss::new(net, theta_f, &env), theta_r, &e).unwrap().hv[0] / 2.0;
/// assert!((k - h0).abs() < 1e-14);
/// ```
pub fn curvature_along(
    net: &CmnistNet,
    env: &EnvBatch,
    theta_f: &[f64],
    theta_r: &[f64],
    e: &[f64],
) -> Result<(f64, f64), RrError> {
    let mut e_hat = e.to_vec();
    normalize(&mut e_hat);
    let head = HeadLoss::new(*net, theta_f, env);
    let h = crate::ad::hessian_vector_product(&head, theta_r, &e_hat)?.hv;
    let k = dot(&h, &e_hat);
    Ok((k, k / norm(&h).max(EPS)))
}

/// An [`EigenFit`] on the fitting data beside the same one on held-out data: when
/// the invariance was met by fitting the sample (not by dropping the colour), the
/// curvature gap is small on the first and large on the second. The held-out parts are
/// small (10%: 400 digits each on the embedded split), so their gap is noisy and biased
/// upwards.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "cli", derive(serde::Serialize, serde::Deserialize))]
pub struct HeldOutFit {
    pub fit: EigenFit,
    pub held_out: EigenFit,
    /// êᵀH_ξ₃ê, the curvature along ê in the test environment: a diagnosis only, never
    /// used to choose. A ridge that reads the digit curves the same way there (< 0);
    /// one that reads the colour turns positive, because the colour's correlation with
    /// the label is reversed in ξ₃.
    pub test_curvature: f64,
    /// êᵀH_ξê on the fitted digits of ξ₁ and ξ₂ with every colour swapped
    /// ([`Environment::with_colours_swapped`]): the same digits and labels, so unlike
    /// the held-out gap it carries no sampling noise.
    pub swapped_curvature: [f64; 2],
}

impl HeldOutFit {
    /// The diagnostics of ê at (θ_f, θ_r), given its `fit` on `envs.fit`.
    pub fn new(
        net: &CmnistNet,
        fit: EigenFit,
        envs: FitEnvironments<'_>,
        theta_f: &[f64],
        theta_r: &[f64],
        e: &[f64],
    ) -> Result<HeldOutFit, RrError> {
        let batches = |pair: [&Environment; 2]| [EnvBatch::from_env(pair[0]), EnvBatch::from_env(pair[1])];
        let swapped = [envs.fit[0].with_colours_swapped(), envs.fit[1].with_colours_swapped()];
        Ok(HeldOutFit {
            fit,
            held_out: eigen_fit(net, &batches([&envs.held_out[0], &envs.held_out[1]]), theta_f, theta_r, e)?,
            test_curvature: curvature_along(net, &EnvBatch::from_env(envs.test), theta_f, theta_r, e)?.0,
            swapped_curvature: eigen_fit(net, &batches([&swapped[0], &swapped[1]]), theta_f, theta_r, e)?.curvature,
        })
    }
    /// The colour's share of the curvature along ê on the fitted data, averaged over
    /// ξ₁ and ξ₂. A feature splits into a colour-blind part and one whose sign follows
    /// the colour; swapping every colour keeps the first and negates the second, so
    /// the colour's part of κ is (κ − κ_swapped)/2. 0: the ridge ignores the colour;
    /// 1: it reads only the colour; negative: it reads the colour against the label.
    ///
    /// ```
    /// use ridge_rider::problems::cmnist::fit::{EigenFit, HeldOutFit};
    /// let fit = EigenFit { curvature: [-0.10, -0.10], correlation: [-1.0, -1.0] };
    /// // A digit part of −0.04 and a colour part of −0.06 in both environments.
    /// let h = HeldOutFit { fit, held_out: fit, test_curvature: 0.0, swapped_curvature: [0.02, 0.02] };
    /// assert!((h.colour_share() - 0.6).abs() < 1e-12);
    /// ```
    pub fn colour_share(&self) -> f64 {
        let share = |k: f64, swapped: f64| (k - swapped) / (2.0 * k);
        0.5 * (share(self.fit.curvature[0], self.swapped_curvature[0])
            + share(self.fit.curvature[1], self.swapped_curvature[1]))
    }
}
