//! What a Colored MNIST run is given (its settings and the split of the environments)
//! and what it returns.

use crate::problems::cmnist::fit::HeldOutFit;
use crate::problems::cmnist::invariance::Betas;
use crate::problems::cmnist::model::CmnistNet;
use crate::problems::data::colored_mnist::Environment;

/// Settings of the Colored MNIST methods; defaults are this implementation's choices.
///
/// ```
/// use ridge_rider::problems::cmnist::rr::OodParams;
/// let p = OodParams::default();
/// assert_eq!((p.ride_steps, p.inner_steps, p.ridges), (9, 30, 2));
/// assert_eq!(p.net.dim_head(), p.net.features * p.net.head_hidden + 2 * p.net.head_hidden + 1);
/// ```
#[derive(Clone, Debug)]
pub struct OodParams {
    pub net: CmnistNet,
    /// Fraction of each training environment held out for model selection.
    pub validation_fraction: f64,
    /// Examples per environment in each step (mini-batches; `usize::MAX`: full batch).
    pub batch: usize,
    // --- RR ---
    pub betas: Betas,
    /// Random unit vectors u in L₂ per step.
    pub probes: usize,
    /// Adam steps on L₁ + L₂ to find the MIS.
    pub mis_steps: usize,
    /// Networks tried before the best MIS is kept.
    pub mis_attempts: usize,
    /// Steps along each ridge (the paper: nine).
    pub ride_steps: usize,
    /// Adam steps on L₁ + L₂ between two ridge steps (the paper's n).
    pub inner_steps: usize,
    /// Step α along ê.
    pub alpha: f64,
    /// θ_r starts at this multiple of a standard initialisation (0: the head's saddle).
    pub head_init_scale: f64,
    /// Rides started from the most negative eigenvectors at the MIS.
    pub ridges: usize,
    pub lr_features: f64,
    pub lr_eigenvector: f64,
    // --- ERM and IRM ---
    pub steps: usize,
    pub lr: f64,
    pub l2: f64,
    /// IRMv1 penalty weight after the anneal, and the steps before it applies.
    pub irm_penalty: f64,
    pub irm_anneal: usize,
    pub seed: u64,
}

impl Default for OodParams {
    fn default() -> Self {
        OodParams {
            net: CmnistNet {
                inputs: crate::problems::data::colored_mnist::INPUTS,
                hidden: 64,
                features: 16,
                head_hidden: 4,
            },
            validation_fraction: 0.1,
            batch: 1000,
            betas: Betas::default(),
            probes: 4,
            mis_steps: 300,
            mis_attempts: 3,
            ride_steps: 9,
            inner_steps: 30,
            alpha: 0.3,
            ridges: 2,
            head_init_scale: 0.01,
            lr_features: 1e-3,
            lr_eigenvector: 1e-2,
            steps: 1000,
            lr: 5e-4,
            l2: 1e-3,
            irm_penalty: 1e4,
            irm_anneal: 300,
            seed: 0,
        }
    }
}

/// A method's result on one run (see [`ridge_rider_ood`](super::rr::ridge_rider_ood)).
#[derive(Clone, Debug)]
#[cfg_attr(feature = "cli", derive(serde::Serialize, serde::Deserialize))]
pub struct OodResult {
    pub train_accuracy: f64,
    pub validation_accuracy: f64,
    pub test_accuracy: f64,
    pub theta: Vec<f64>,
    /// RR: every ride's (validation, test) accuracy, the chosen one included.
    pub candidates: Vec<(f64, f64)>,
    /// RR: networks tried for the MIS.
    pub mis_attempts: usize,
    /// RR: how well the MIS's ê is a common eigenvector, on the data L₁ + L₂ were fitted
    /// to and on the held-out part of the same environments.
    pub mis_fit: Option<HeldOutFit>,
    /// RR: the pooled training loss at the MIS, where every ride starts; rides end
    /// before a step that would raise it, so no candidate ends above it.
    pub start_loss: Option<f64>,
}

/// The training environments split into fitting and validation parts, and the test one.
///
/// ```
/// use ridge_rider::problems::cmnist::rr::Split;
/// use ridge_rider::problems::data::colored_mnist::{environments, EnvSizes};
/// use ridge_rider::problems::data::mnist::embedded_all;
/// let envs = environments(&embedded_all(), EnvSizes::EMBEDDED, 0).unwrap();
/// let s = Split::new(&envs, 0.1);
/// assert_eq!((s.fit[0].len(), s.held_out[0].len(), s.validation.len(), s.test.len()), (3600, 400, 800, 2000));
/// ```
pub struct Split {
    pub fit: [Environment; 2],
    /// The held-out part of each training environment.
    pub held_out: [Environment; 2],
    /// Both held-out parts pooled: the validation set of model selection.
    pub validation: Environment,
    pub test: Environment,
}

impl Split {
    /// Hold out the last `validation_fraction` of ξ₁ and of ξ₂.
    pub fn new(envs: &[Environment; 3], validation_fraction: f64) -> Split {
        let cut = |e: &Environment| e.len() - ((e.len() as f64 * validation_fraction).round() as usize).min(e.len());
        let (c0, c1) = (cut(&envs[0]), cut(&envs[1]));
        let held_out = [envs[0].slice(c0..envs[0].len()), envs[1].slice(c1..envs[1].len())];
        Split {
            fit: [envs[0].slice(0..c0), envs[1].slice(0..c1)],
            validation: Environment::pool(&held_out),
            held_out,
            test: envs[2].clone(),
        }
    }
    pub(super) fn result(&self, net: &CmnistNet, theta: Vec<f64>) -> OodResult {
        OodResult {
            train_accuracy: net.accuracy(&theta, &Environment::pool(&self.fit)),
            validation_accuracy: net.accuracy(&theta, &self.validation),
            test_accuracy: net.accuracy(&theta, &self.test),
            theta,
            candidates: vec![],
            mis_attempts: 0,
            mis_fit: None,
            start_loss: None,
        }
    }
}
