//! GetRidges for the MNIST MLP ([`crate::problems::mnist::rr`]): at the maximally invariant
//! saddle θ = 0, one member of each group of equal eigenvalues and its copy on a single
//! hidden unit; during a ride, Lanczos on the probe batch at the current θ.
//!
//! ```
//! use ridge_rider::problems::mnist::mlp::{Activation, Mlp, MlpLoss};
//! use ridge_rider::problems::mnist::ridges::ridge_at_mis;
//! let mlp = Mlp::new(2, 3, 2, Activation::Tanh);
//! let loss = MlpLoss::new(mlp, vec![1.0, 0.0, 0.0, 1.0], vec![0, 1]).unwrap();
//! let (_, lambda, _) = ridge_at_mis(&loss, 0, 0).unwrap();
//! assert!(lambda < 0.0);
//! ```

use crate::ad::gradient;
use crate::kernels::{dot, normalize};
use crate::linalg::{lanczos, HessianOperator, LanczosParams, LinearOperator, Which};
use crate::problems::mnist::mlp::MlpLoss;
use crate::rr::ridges::{orient, ridges_from};
use crate::rr::BranchParams;
use crate::rr::RrError;

/// GetRidges by Lanczos on the probe batch: ridge `index`, oriented downhill. A
/// re-branching passes the current ridge as the start vector, which is already close
/// to the most negative eigenvector there, and caps the work at `max_hvps`.
pub(super) fn get_ridge(
    loss: &MlpLoss,
    theta: &[f64],
    index: usize,
    tol: f64,
    start: Option<Vec<f64>>,
    max_hvps: usize,
    seed: u64,
) -> Result<(Vec<f64>, f64, usize), RrError> {
    let op = HessianOperator::new(loss, theta.to_vec())?;
    let p = LanczosParams {
        k: index + 1,
        which: Which::MostNegative,
        tol,
        max_applications: max_hvps,
        seed,
        start,
        ..Default::default()
    };
    let r = lanczos(&op, &p)?;
    let e = orient(&r.vectors[index], &gradient(loss, theta)?.gradient);
    Ok((e, r.values[index], r.operator_applications))
}

/// GetRidges at the maximally invariant saddle θ = 0, where every hidden unit computes
/// the same function, so each eigenvalue is repeated once per unit. The fingerprint
/// indexes groups of equal eigenvalues (the paper, Sec. 3: one member of each group
/// suffices), so ridge `group` is a member of the `group`-th most negative group. Lanczos
/// stops at the invariant Krylov space of its start vector, which holds one member of
/// each group. Returns (ridge, λ, HVPs), or [`RrError::NoNegativeCurvature`] when
/// θ = 0 has none (relu units, whose derivative at 0 is taken as 0).
///
/// ```
/// use ridge_rider::problems::mnist::mlp::{Activation, Mlp, MlpLoss};
/// use ridge_rider::problems::mnist::ridges::ridge_at_mis;
/// let mlp = Mlp::new(3, 4, 2, Activation::Tanh);
/// let x = vec![1.0, 0.0, 0.5, 0.0, 1.0, 0.2, 0.9, 0.1, 0.0, 0.1, 0.8, 0.3];
/// let loss = MlpLoss::new(mlp, x, vec![0, 1, 0, 1]).unwrap();
/// let (e, lambda, _) = ridge_at_mis(&loss, 0, 0).unwrap();
/// assert!(lambda < 0.0 && e.len() == mlp.dim());
/// // Two classes: one contrast, so one negative group (four copies, one per unit).
/// assert!(ridge_at_mis(&loss, 1, 0).is_err());
/// ```
pub fn ridge_at_mis(loss: &MlpLoss, group: usize, seed: u64) -> Result<(Vec<f64>, f64, usize), RrError> {
    let op = HessianOperator::new(loss, vec![0.0; loss.mlp.dim()])?;
    let p = LanczosParams {
        k: 2 * (group + 1),
        which: Which::MostNegative,
        tol: 1e-8,
        max_applications: 5000,
        seed,
        continue_after_breakdown: false,
        ..Default::default()
    };
    let r = lanczos(&op, &p)?;
    // Negative beyond rounding (zero is an eigenvalue at the MIS); rounding could still
    // let a second member of a group in, so equal neighbours share a group.
    let scale = r.values.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let (count, hvps) = (r.values.len(), r.operator_applications);
    let selection = BranchParams {
        ridges: count,
        negative_tol: 1e-8 * scale,
        group_tol: 1e-6,
        one_per_group: true,
        ..Default::default()
    };
    let ridges = ridges_from(&r.into(), &selection);
    match ridges.iter().find(|ridge| ridge.group == group) {
        Some(ridge) => Ok((ridge.direction.clone(), ridge.lambda, hvps)),
        None if ridges.is_empty() => Err(RrError::NoNegativeCurvature),
        None => Err(RrError::NoSuchRidge { requested: group, available: ridges[ridges.len() - 1].group + 1 }),
    }
}

/// The member of a group at the MIS that lives on one hidden unit, the unit chosen by the
/// start `theta`: at θ = 0 the Hessian is one identical block per unit (plus the output
/// bias), so `e` restricted to any unit's parameters ([`Mlp::unit_parameters`]) is
/// again an eigenvector with the same eigenvalue. Of these, the one curving most
/// negatively at `theta` is the member the near-zero start favours, the one GetRidges
/// there would find for the most negative group. Returns (member, HVPs): one HVP per
/// unit.
///
/// [`Mlp::unit_parameters`]: crate::problems::mnist::mlp::Mlp::unit_parameters
///
/// ```
/// use ridge_rider::problems::mnist::mlp::{Activation, Mlp, MlpLoss};
/// use ridge_rider::problems::mnist::ridges::{member_on_one_unit, ridge_at_mis};
/// let mlp = Mlp::new(3, 4, 2, Activation::Tanh);
/// let x = vec![1.0, 0.0, 0.5, 0.0, 1.0, 0.2, 0.9, 0.1, 0.0, 0.1, 0.8, 0.3];
/// let loss = MlpLoss::new(mlp, x, vec![0, 1, 0, 1]).unwrap();
/// let (e, _, _) = ridge_at_mis(&loss, 0, 0).unwrap();
/// let (u, hvps) = member_on_one_unit(&loss, &mlp.init_near_zero(0, 0.01), &e).unwrap();
/// let on: Vec<usize> = (0..4).filter(|&j| mlp.unit_parameters(j).any(|k| u[k] != 0.0)).collect();
/// assert_eq!((on.len(), hvps), (1, 4));
/// ```
pub fn member_on_one_unit(loss: &MlpLoss, theta: &[f64], e: &[f64]) -> Result<(Vec<f64>, usize), RrError> {
    let op = HessianOperator::new(loss, theta.to_vec())?;
    let (mut best, mut best_curvature) = (None, f64::INFINITY);
    let mut image = vec![0.0; e.len()];
    for j in 0..loss.mlp.hidden {
        let mut u = vec![0.0; e.len()];
        for k in loss.mlp.unit_parameters(j) {
            u[k] = e[k];
        }
        if normalize(&mut u) == 0.0 {
            continue;
        }
        op.apply(&u, &mut image)?;
        let curvature = dot(&u, &image);
        if curvature < best_curvature {
            (best, best_curvature) = (Some(u), curvature);
        }
    }
    let member = best.ok_or(RrError::NoNegativeCurvature)?;
    Ok((member, op.applications()))
}
