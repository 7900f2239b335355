//! RR's objective on Colored MNIST: L₁ + L₂ of the module `rr`, the terms that
//! reward a shared negative-curvature eigenvector with equal curvature in every
//! training environment, weighted by the β's.

use crate::ad::{Loss, Var};
use crate::problems::cmnist::fit::EPS;
use crate::problems::cmnist::model::{head_hvp, logistic_loss, CmnistNet, EnvBatch};

/// The β weights of L₁ and L₂ (see the module docs); defaults are this
/// implementation's choices.
///
/// ```
/// use ridge_rider::problems::cmnist::rr::{Betas, OodParams};
/// let p = OodParams { betas: Betas { equal_curvature: 1000.0, ..Betas::default() }, ..Default::default() };
/// assert_eq!((p.betas.equal_curvature, p.betas.loss), (1000.0, 1.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Betas {
    /// β₁, eigenvector correlation.
    pub correlation: f64,
    /// β₂, negative curvature.
    pub curvature: f64,
    /// β₃, the environments' own losses.
    pub loss: f64,
    /// β₄, equal curvature in both environments.
    pub equal_curvature: f64,
    /// β₅, the curvature term inside L₂.
    pub consistency_curvature: f64,
    /// Weight of L₂ against L₁.
    pub consistency: f64,
}

impl Default for Betas {
    fn default() -> Self {
        Betas {
            correlation: 1.0,
            curvature: 1.0,
            loss: 1.0,
            equal_curvature: 10.0,
            consistency_curvature: 1.0,
            consistency: 1.0,
        }
    }
}

/// L₁ + L₂ on two training environments, a [`Loss`] of `[θ_f, e_r]` (θ_r fixed).
///
/// ```
/// use ridge_rider::ad::check::check_gradient;
/// use ridge_rider::problems::cmnist::model::{CmnistNet, EnvBatch};
/// use ridge_rider::problems::cmnist::rr::{Betas, InvarianceLoss};
/// let net = CmnistNet { inputs: 3, hidden: 3, features: 2, head_hidden: 2 };
/// let env = |x: Vec<f64>, y: Vec<f64>| EnvBatch::new(x, y);
/// let envs = [
///     env(vec![0.1, 0.9, 0.0, 0.8, 0.2, 0.5, 0.3, 0.3, 0.9], vec![1.0, 0.0, 1.0]),
///     env(vec![0.7, 0.1, 0.4, 0.2, 0.6, 0.1, 0.9, 0.5, 0.2], vec![0.0, 1.0, 1.0]),
/// ];
/// let theta = net.init(1);
/// let (theta_f, theta_r) = theta.split_at(net.dim_features());
/// let probes = vec![vec![0.5; net.dim_head()]];
/// let loss = InvarianceLoss { net, envs, theta_r: theta_r.to_vec(), probes, betas: Betas::default() };
/// // The point is [θ_f, e_r]; L₁ and L₂ are checked against central differences.
/// let x: Vec<f64> = theta_f.iter().copied().chain((0..net.dim_head()).map(|i| 0.3 - 0.1 * i as f64)).collect();
/// assert!(check_gradient(&loss, &x, 1e-6).unwrap().relative_error < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct InvarianceLoss {
    pub net: CmnistNet,
    pub envs: [EnvBatch; 2],
    pub theta_r: Vec<f64>,
    /// The random unit vectors u of L₂.
    pub probes: Vec<Vec<f64>>,
    pub betas: Betas,
}

/// Per-environment quantities of the extension at one point.
struct EnvTerms<'t> {
    curvature: Var<'t>,
    probe_curvature: Vec<Var<'t>>,
    probe_correlation: Vec<Var<'t>>,
}

fn curvature_and_correlation<'t>(h: Var<'t>, d: Var<'t>) -> (Var<'t>, Var<'t>) {
    let k = h.dot(d);
    (k, k / (h.dot(h) + EPS).sqrt())
}

impl Loss for InvarianceLoss {
    fn dim(&self) -> usize {
        self.net.dim_features() + self.net.dim_head()
    }
    fn eval<'t>(&self, p: Var<'t>) -> Var<'t> {
        let tape = p.tape();
        let (df, dr) = (self.net.dim_features(), self.net.dim_head());
        let theta_f = p.slice(0, df);
        let e = p.slice(df, dr);
        let e_hat = e / (e.dot(e) + EPS).sqrt();
        let theta_r = tape.constant(dr, 1, self.theta_r.clone());
        let probes: Vec<Var<'t>> = self.probes.iter().map(|u| tape.constant(dr, 1, u.clone())).collect();
        let b = self.betas;
        let mut l1 = tape.scalar(0.0);
        let mut terms = Vec::with_capacity(2);
        for env in &self.envs {
            let rows = env.rows();
            let x = tape.constant_shared(rows, self.net.inputs, env.x.clone());
            let y = tape.constant_shared(rows, 1, env.y.clone());
            let phi = self.net.features_on(theta_f, x);
            let (curvature, correlation) =
                curvature_and_correlation(head_hvp(&self.net, phi, y, theta_r, e_hat), e_hat);
            let own_loss = logistic_loss(self.net.head_on(phi, theta_r), y);
            l1 = l1 - b.correlation * correlation * correlation + b.curvature * curvature + b.loss * own_loss;
            let (mut probe_curvature, mut probe_correlation) = (vec![], vec![]);
            for &u in &probes {
                let (k, c) = curvature_and_correlation(head_hvp(&self.net, phi, y, theta_r, u), u);
                probe_curvature.push(k);
                probe_correlation.push(c);
            }
            terms.push(EnvTerms { curvature, probe_curvature, probe_correlation });
        }
        let (t1, t2) = (&terms[0], &terms[1]);
        l1 = l1
            + b.equal_curvature * (t1.curvature - t2.curvature).abs() / (t1.curvature.abs() + t2.curvature.abs() + EPS);
        let mut l2 = tape.scalar(0.0);
        for j in 0..probes.len() {
            let (c1, c2) =
                (t1.probe_correlation[j] * t1.probe_correlation[j], t2.probe_correlation[j] * t2.probe_correlation[j]);
            let (k1, k2) = (t1.probe_curvature[j], t2.probe_curvature[j]);
            l2 = l2
                + (c1 - c2).abs() / (c1 + c2 + EPS)
                + b.consistency_curvature * (k1 - k2).abs() / (k1.abs() + k2.abs() + EPS);
        }
        if probes.is_empty() {
            l1
        } else {
            l1 + l2 * (b.consistency / probes.len() as f64)
        }
    }
}
