//! What an MNIST training run is given (the method and its settings) and what it
//! records (its curve and, for RR, the ridge it followed).

use crate::problems::mnist::mlp::Mlp;

/// A training method.
///
/// ```
/// use ridge_rider::problems::mnist::rr::MnistMethod;
/// assert_eq!((MnistMethod::FixedEv.name(), MnistMethod::RidgeRider.name()), ("fixed-ev", "rr"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MnistMethod {
    RidgeRider,
    FixedEv,
    RandRidgePlus,
    Sgd,
    Linear,
}

impl MnistMethod {
    /// The method's name in the CLI's `--methods` and in the results.
    pub fn name(&self) -> &'static str {
        match self {
            MnistMethod::RidgeRider => "rr",
            MnistMethod::FixedEv => "fixed-ev",
            MnistMethod::RandRidgePlus => "rand-ridge-plus",
            MnistMethod::Sgd => "sgd",
            MnistMethod::Linear => "linear",
        }
    }
}

/// Settings of a training run; defaults are this implementation's tuned values.
///
/// ```
/// use ridge_rider::problems::mnist::mlp::{Activation, Mlp};
/// use ridge_rider::problems::mnist::rr::MnistConfig;
/// let c = MnistConfig { steps: 100, seed: 3, ..MnistConfig::new(Mlp::mnist(128, Activation::Tanh)) };
/// assert_eq!((c.alpha, c.batch, c.inner_steps, c.probe_batch), (0.05, 512, 8, 2048));
/// ```
#[derive(Clone, Debug)]
pub struct MnistConfig {
    pub mlp: Mlp,
    /// Parameter steps.
    pub steps: usize,
    /// Mini-batch size.
    pub batch: usize,
    /// First ridge index (the fingerprint's first element): the group of equal
    /// eigenvalues at the MIS, 0 = most negative (the MNIST MLP has groups 0..9).
    pub ridge: usize,
    /// Step α along the ridge.
    pub alpha: f64,
    /// Step α of the Fixed-EV ablation, tuned on its own as the paper did (Fig. 4 right);
    /// with RR's α its rides end within a few steps and it re-branches hundreds of
    /// times (README's MNIST section has the figures).
    pub fixed_ev_alpha: f64,
    /// Inner UpdateRidge steps S per parameter step: 8 with α = 0.05, because tracking
    /// the ridge this closely raised test accuracy over S = 2; with S = 8 a smaller α is
    /// slow and a larger one overshoots (README's MNIST section has the sweep).
    pub inner_steps: usize,
    pub lr_x: f64,
    pub lr_lambda: f64,
    /// Examples in the probe batch used by GetRidges (Lanczos): the first this many
    /// training digits. 2,048 (the default) rather than 512: late in training the most
    /// negative ridges of a 512-digit Hessian were often that sample's own, curving
    /// upwards on fresh mini-batches, so some seeds re-branched in storms (README).
    pub probe_batch: usize,
    /// Steps without a new best mini-batch loss before a ride ends (`usize::MAX`: never;
    /// the default, since noisy mini-batch losses ended rides far too early).
    pub patience: usize,
    /// Normalised gradient steps (length α) taken when a branching finds no ridge that
    /// curves downwards on fresh data, before GetRidges is tried again; 0 (the default):
    /// follow that ridge anyway. Descent steps end the re-branching storms, but they help
    /// Fixed-EV, which finds no ridge far more often, even more: the gain is the
    /// gradient's, so pure RR stays the default (README).
    pub descent_steps: usize,
    /// Adam learning rate of the sgd/linear baselines.
    pub adam_lr: f64,
    /// Evaluate train/test accuracy every this many steps.
    pub eval_every: usize,
    /// MLP methods: keep θ every this many steps, from step 0, in
    /// [`Curve::snapshots`] (0, the default: none), e.g. to inspect the Hessian along
    /// the ride afterwards.
    pub snapshot_every: usize,
    pub seed: u64,
}

impl MnistConfig {
    /// The defaults for `mlp`.
    pub fn new(mlp: Mlp) -> MnistConfig {
        MnistConfig {
            mlp,
            steps: 2400,
            batch: 512,
            ridge: 0,
            alpha: 0.05,
            fixed_ev_alpha: 0.025,
            inner_steps: 8,
            lr_x: 0.5,
            lr_lambda: 0.05,
            probe_batch: 2048,
            patience: usize::MAX,
            descent_steps: 0,
            adam_lr: 1e-3,
            eval_every: 100,
            snapshot_every: 0,
            seed: 0,
        }
    }
}

/// Accuracy as training goes (see [`train`](super::rr::train)).
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "cli", derive(serde::Serialize, serde::Deserialize))]
pub struct Curve {
    /// (step, train accuracy, test accuracy).
    pub points: Vec<(usize, f64, f64)>,
    /// Per-class test accuracy at each evaluation.
    pub class_accuracy: Vec<Vec<f64>>,
    pub hvps: usize,
    /// GetRidges calls (1 + re-branchings).
    pub branchings: usize,
    /// RR and Fixed-EV: gradient steps taken where a branching found no ridge.
    pub descent_steps: usize,
    /// RR and Fixed-EV: the ridge at each evaluation, to see whether e is still an
    /// eigenvector with negative curvature and still descends.
    pub ridge_trace: Vec<RidgeTrace>,
    /// MLP methods: the effective rank of the final first layer
    /// ([`Mlp::first_layer_effective_rank`]), how many input directions it uses.
    pub first_layer_rank: Option<f64>,
    pub seconds: f64,
    /// θ at steps 0, m, 2m, … (m = [`MnistConfig::snapshot_every`]); not serialised
    /// (a run's results stay small), so whoever trains writes them.
    #[cfg_attr(feature = "cli", serde(skip))]
    pub snapshots: Vec<Snapshot>,
}

/// θ after `step` parameter steps.
///
/// ```
/// use ridge_rider::problems::data::mnist::embedded_all;
/// use ridge_rider::problems::mnist::mlp::{Activation, Mlp};
/// use ridge_rider::problems::mnist::rr::{train, MnistConfig, MnistMethod};
/// let all = embedded_all();
/// let (digits, test) = (all.slice(0..200), all.slice(9000..9100));
/// let mlp = Mlp::mnist(4, Activation::Tanh);
/// let c = MnistConfig { steps: 20, batch: 50, eval_every: 10, snapshot_every: 10, ..MnistConfig::new(mlp) };
/// let curve = train(MnistMethod::Sgd, &c, &digits, &test, |_| {}).unwrap();
/// assert_eq!(curve.snapshots.iter().map(|s| s.step).collect::<Vec<_>>(), [0, 10, 20]);
/// assert_eq!(curve.snapshots[0].theta, mlp.init_standard(0));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Parameter steps taken (0: the start).
    pub step: usize,
    /// The parameters then.
    pub theta: Vec<f64>,
}

impl Curve {
    /// Training accuracy at the last evaluation (NaN before any).
    pub fn final_train(&self) -> f64 {
        self.points.last().map_or(f64::NAN, |p| p.1)
    }
    /// Test accuracy at the last evaluation (NaN before any).
    pub fn final_test(&self) -> f64 {
        self.points.last().map_or(f64::NAN, |p| p.2)
    }
}

/// The followed ridge at one step, measured on that step's mini-batch.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "cli", derive(serde::Serialize, serde::Deserialize))]
pub struct RidgeTrace {
    pub step: usize,
    /// eᵀHe: the curvature along e.
    pub curvature: f64,
    /// The tracked eigenvalue λ (it lags the curvature when e leaves the eigenvector).
    pub lambda: f64,
    /// cos(∇L, e): negative while the ride descends.
    pub cos_gradient: f64,
}
