//! The Colored MNIST network and its losses, all written once on the tape.
//!
//! The network splits into a feature part θ_f, `392 → hidden (relu) → features (tanh)`,
//! and a head θ_r, `features → head_hidden (tanh) → 1 logit`. The head must be
//! nonlinear: a linear head under the logistic loss is convex in θ_r and has no ridges.
//! At θ_r = 0 the head is a saddle whose negative-curvature directions pair the output
//! weights with the features' correlation with the label, `E[(½ − y)·φ̃]`.
//!
//! The RR extension (paper, Sec. 3) needs the head Hessian H_ξ of each environment
//! inside losses that are differentiated in θ_f and in the eigenvector e_r. That is a
//! third derivative, so instead of nesting the AD engine, [`head_hvp`] writes H_ξ·d
//! for the small head in closed form as tape operations (forward tangents of the head
//! and their reverse sweep by hand); a test checks it against the engine's own HVP.
//!
//! Parameter layout: `[W1 (392×hidden), b1, W2 (hidden×features), b2 | Wh
//! (features×head_hidden), ch, v (head_hidden), b]`, θ_f before the bar.
//!
//! ```
//! use ridge_rider::ad::gradient;
//! use ridge_rider::problems::cmnist::model::{CmnistNet, EnvBatch, ErmLoss};
//! let net = CmnistNet { inputs: 4, hidden: 3, features: 2, head_hidden: 2 };
//! let data = EnvBatch::new(vec![0.1; 8], vec![0.0, 1.0]);
//! let loss = ErmLoss { net, data, l2: 0.0 };
//! let g = gradient(&loss, &net.init(0)).unwrap();
//! assert_eq!(g.gradient.len(), net.dim());
//! ```

use crate::ad::{Loss, Mode, Tape, Unary, Var};
use crate::problems::data::colored_mnist::Environment;
use crate::rng::{normal_vec, seeded};
use std::sync::Arc;

/// The architecture of the Colored MNIST classifier.
///
/// ```
/// use ridge_rider::problems::cmnist::model::CmnistNet;
/// let net = CmnistNet { inputs: 4, hidden: 3, features: 2, head_hidden: 2 };
/// assert_eq!((net.dim_features(), net.dim_head()), (4 * 3 + 3 + 3 * 2 + 2, 2 * 2 + 2 * 2 + 1));
/// let theta = net.init(0);
/// assert_eq!(net.logits(&theta, &[0.5; 8]).len(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CmnistNet {
    pub inputs: usize,
    pub hidden: usize,
    pub features: usize,
    pub head_hidden: usize,
}

impl CmnistNet {
    /// Parameters in θ_f.
    pub fn dim_features(&self) -> usize {
        self.inputs * self.hidden + self.hidden + self.hidden * self.features + self.features
    }
    /// Parameters in the head θ_r.
    pub fn dim_head(&self) -> usize {
        self.features * self.head_hidden + 2 * self.head_hidden + 1
    }
    /// Parameters of the whole network, θ_f then θ_r.
    pub fn dim(&self) -> usize {
        self.dim_features() + self.dim_head()
    }
    /// Weights N(0, 1/fan_in), biases 0, for the whole network.
    pub fn init(&self, seed: u64) -> Vec<f64> {
        let mut theta = self.init_features(seed);
        let mut r = seeded(seed, 0x68656164);
        let (f, h) = (self.features, self.head_hidden);
        theta.extend(normal_vec(&mut r, f * h, (1.0 / f as f64).sqrt()));
        theta.extend(std::iter::repeat(0.0).take(h));
        theta.extend(normal_vec(&mut r, h, (1.0 / h as f64).sqrt()));
        theta.push(0.0);
        theta
    }
    /// θ_f only, weights N(0, 1/fan_in), biases 0.
    pub fn init_features(&self, seed: u64) -> Vec<f64> {
        let mut r = seeded(seed, 0x66656174);
        let (i, h, f) = (self.inputs, self.hidden, self.features);
        let mut theta = normal_vec(&mut r, i * h, (1.0 / i as f64).sqrt());
        theta.extend(std::iter::repeat(0.0).take(h));
        theta.extend(normal_vec(&mut r, h * f, (1.0 / h as f64).sqrt()));
        theta.extend(std::iter::repeat(0.0).take(f));
        theta
    }

    /// The features φ (rows × features) of inputs `x` under θ_f.
    pub fn features_on<'t>(&self, theta_f: Var<'t>, x: Var<'t>) -> Var<'t> {
        let (i, h, f) = (self.inputs, self.hidden, self.features);
        let w1 = theta_f.slice(0, i * h).reshape(i, h);
        let b1 = theta_f.slice(i * h, h).reshape(1, h);
        let w2 = theta_f.slice(i * h + h, h * f).reshape(h, f);
        let b2 = theta_f.slice(i * h + h + h * f, f).reshape(1, f);
        x.matmul(w1).map_with_bias(b1, Unary::Relu).matmul(w2).map_with_bias(b2, Unary::Tanh)
    }

    fn head_parts<'t>(&self, theta_r: Var<'t>) -> HeadParts<'t> {
        let (f, h) = (self.features, self.head_hidden);
        HeadParts {
            w: theta_r.slice(0, f * h).reshape(f, h),
            c: theta_r.slice(f * h, h).reshape(1, h),
            v: theta_r.slice(f * h + h, h).reshape(h, 1),
            b: theta_r.slice(f * h + 2 * h, 1).reshape(1, 1),
        }
    }

    /// The logits (rows × 1) of the head θ_r on features φ.
    pub fn head_on<'t>(&self, phi: Var<'t>, theta_r: Var<'t>) -> Var<'t> {
        let p = self.head_parts(theta_r);
        phi.matmul(p.w).map_with_bias(p.c, Unary::Tanh).matmul(p.v) + p.b
    }

    /// The logits (rows × 1) of the whole network θ.
    pub fn logits_on<'t>(&self, theta: Var<'t>, x: Var<'t>) -> Var<'t> {
        let df = self.dim_features();
        self.head_on(self.features_on(theta.slice(0, df), x), theta.slice(df, self.dim_head()))
    }

    /// Logits of plain inputs (`rows × inputs`), without derivatives.
    pub fn logits(&self, theta: &[f64], x: &[f64]) -> Vec<f64> {
        let tape = Tape::new(Mode::Value);
        let t = tape.parameter(theta.len(), 1, theta.to_vec(), None);
        let xs = tape.constant(x.len() / self.inputs, self.inputs, x.to_vec());
        self.logits_on(t, xs).value().to_vec()
    }

    /// Fraction of an environment classified correctly (logit > 0 predicts y = 1).
    pub fn accuracy(&self, theta: &[f64], env: &Environment) -> f64 {
        let s = self.logits(theta, &env.x);
        let right = s.iter().zip(&env.y).filter(|(s, y)| (**s > 0.0) == (**y > 0.5)).count();
        right as f64 / env.len().max(1) as f64
    }
}

struct HeadParts<'t> {
    w: Var<'t>,
    c: Var<'t>,
    v: Var<'t>,
    b: Var<'t>,
}

/// Mean logistic loss of logits `s` (rows × 1) against labels `y` ∈ {0, 1}.
///
/// ```
/// use ridge_rider::ad::{Mode, Tape};
/// use ridge_rider::problems::cmnist::model::logistic_loss;
/// let tape = Tape::new(Mode::Value);
/// let (s, y) = (tape.constant(2, 1, vec![0.0, 0.0]), tape.constant(2, 1, vec![0.0, 1.0]));
/// assert!((logistic_loss(s, y).item() - std::f64::consts::LN_2).abs() < 1e-15);
/// ```
pub fn logistic_loss<'t>(s: Var<'t>, y: Var<'t>) -> Var<'t> {
    (s.softplus() - y * s).mean()
}

/// H·d, the Hessian of the mean logistic loss in the head parameters θ_r at features
/// φ (rows × features), applied to a direction d (a `dim_head × 1` tensor), as tape
/// operations, so it can itself be differentiated in φ (hence θ_f) and in d.
///
/// With z = φW + c, a = tanh z, s = a·v + b and r = σ(s) − y, the head gradient is
/// (φᵀg_z, Σg_z, aᵀr, Σr)/n with g_z = (r vᵀ)⊙(1 − a²). Its derivative along d =
/// (dW, dc, dv, db) uses the tangents ż = φ·dW + dc, ȧ = (1 − a²)⊙ż, ṡ = a·dv + ȧ·v + db
/// and ṙ = σ(s)(1 − σ(s))·ṡ.
///
/// ```
/// use ridge_rider::ad::{hessian_vector_product, Mode, Tape};
/// use ridge_rider::problems::cmnist::model::{head_hvp, CmnistNet, EnvBatch, HeadLoss};
/// let net = CmnistNet { inputs: 2, hidden: 2, features: 2, head_hidden: 2 };
/// let env = EnvBatch::new(vec![0.3, 0.9, 0.8, 0.1, 0.5, 0.5], vec![1.0, 0.0, 1.0]);
/// let theta = net.init(2);
/// let (theta_f, theta_r) = theta.split_at(net.dim_features());
/// let d: Vec<f64> = (0..net.dim_head()).map(|i| 1.0 - 0.2 * i as f64).collect();
/// // The engine's HVP of the head loss, the reference.
/// let reference = hessian_vector_product(&HeadLoss::new(net, theta_f, &env), theta_r, &d).unwrap().hv;
/// let tape = Tape::new(Mode::Value);
/// let head = HeadLoss::new(net, theta_f, &env);
/// let phi = tape.constant(3, 2, head.phi.to_vec());
/// let y = tape.constant(3, 1, env.y.to_vec());
/// let hd = head_hvp(&net, phi, y, tape.constant(net.dim_head(), 1, theta_r.to_vec()), tape.constant(net.dim_head(), 1, d));
/// let ours = hd.value();
/// assert!(ours.iter().zip(&reference).all(|(a, b)| (a - b).abs() < 1e-12));
/// ```
pub fn head_hvp<'t>(net: &CmnistNet, phi: Var<'t>, y: Var<'t>, theta_r: Var<'t>, d: Var<'t>) -> Var<'t> {
    let n = phi.shape().0 as f64;
    let p = net.head_parts(theta_r);
    let q = net.head_parts(d);
    let a = phi.matmul(p.w).map_with_bias(p.c, Unary::Tanh);
    let slope = 1.0 - a * a;
    let s = a.matmul(p.v) + p.b;
    let sig = s.sigmoid();
    let r = sig - y;
    let a_dot = slope * (phi.matmul(q.w) + q.c);
    let s_dot = a.matmul(q.v) + a_dot.matmul(p.v) + q.b;
    let r_dot = sig * (1.0 - sig) * s_dot;
    let (vt, dvt) = (p.v.transpose(), q.v.transpose());
    let gz_dot = (r_dot * vt + r * dvt) * slope - 2.0 * (r * vt) * a * a_dot;
    let hw = phi.transpose().matmul(gz_dot);
    let hc = gz_dot.col_sums();
    let hv = a.transpose().matmul(r_dot) + a_dot.transpose().matmul(r);
    let hb = r_dot.sum();
    let (f, h) = (net.features, net.head_hidden);
    Var::concat(&[hw.reshape(f * h, 1), hc.reshape(h, 1), hv.reshape(h, 1), hb.reshape(1, 1)]) / n
}

/// One environment's data on the tape side: inputs (`rows × inputs`) and labels.
///
/// ```
/// use ridge_rider::problems::cmnist::model::EnvBatch;
/// let b = EnvBatch::new(vec![0.0; 6], vec![1.0, 0.0]);
/// assert_eq!(b.rows(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct EnvBatch {
    pub x: Arc<Vec<f64>>,
    pub y: Arc<Vec<f64>>,
}

impl EnvBatch {
    /// Inputs row-major and labels in {0, 1}.
    pub fn new(x: Vec<f64>, y: Vec<f64>) -> EnvBatch {
        EnvBatch { x: Arc::new(x), y: Arc::new(y) }
    }
    /// A Colored MNIST environment's inputs and labels.
    pub fn from_env(env: &Environment) -> EnvBatch {
        EnvBatch::new(env.x.clone(), env.y.clone())
    }
    /// Examples.
    pub fn rows(&self) -> usize {
        self.y.len()
    }
    fn on<'t>(&self, tape: &'t Tape) -> (Var<'t>, Var<'t>) {
        let rows = self.rows();
        (tape.constant_shared(rows, self.x.len() / rows, self.x.clone()), tape.constant_shared(rows, 1, self.y.clone()))
    }
}

fn l2_penalty<'t>(theta: Var<'t>, l2: f64) -> Var<'t> {
    theta.dot(theta) * l2
}

/// Empirical risk: the mean logistic loss of the whole network on pooled data, plus
/// `l2`·‖θ‖².
///
/// ```
/// use ridge_rider::ad::check::check_gradient;
/// use ridge_rider::problems::cmnist::model::{CmnistNet, EnvBatch, ErmLoss};
/// let net = CmnistNet { inputs: 2, hidden: 3, features: 2, head_hidden: 2 };
/// let data = EnvBatch::new(vec![0.3, 0.9, 0.8, 0.1], vec![1.0, 0.0]);
/// let loss = ErmLoss { net, data, l2: 1e-3 };
/// assert!(check_gradient(&loss, &net.init(0), 1e-6).unwrap().relative_error < 1e-7);
/// ```
#[derive(Clone, Debug)]
pub struct ErmLoss {
    pub net: CmnistNet,
    pub data: EnvBatch,
    pub l2: f64,
}

impl Loss for ErmLoss {
    fn dim(&self) -> usize {
        self.net.dim()
    }
    fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
        let (x, y) = self.data.on(theta.tape());
        logistic_loss(self.net.logits_on(theta, x), y) + l2_penalty(theta, self.l2)
    }
}

/// IRMv1 (Arjovsky et al., 2019): Σ_e [R_e(θ) + w·‖∂R_e(t·s)/∂t at t = 1‖²] + l2·‖θ‖²,
/// divided by w when w > 1 (their scaling, which keeps the step size comparable).
/// For the logistic loss the gradient with respect to the dummy scale t is
/// mean((σ(s) − y)·s), written here in closed form.
///
/// ```
/// use ridge_rider::ad::check::check_gradient;
/// use ridge_rider::problems::cmnist::model::{CmnistNet, EnvBatch, IrmLoss};
/// let net = CmnistNet { inputs: 2, hidden: 3, features: 2, head_hidden: 2 };
/// let envs = vec![
///     EnvBatch::new(vec![0.3, 0.9, 0.8, 0.1], vec![1.0, 0.0]),
///     EnvBatch::new(vec![0.6, 0.2, 0.1, 0.7], vec![0.0, 1.0]),
/// ];
/// let loss = IrmLoss { net, envs, penalty_weight: 100.0, l2: 1e-3 };
/// assert!(check_gradient(&loss, &net.init(0), 1e-6).unwrap().relative_error < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct IrmLoss {
    pub net: CmnistNet,
    pub envs: Vec<EnvBatch>,
    pub penalty_weight: f64,
    pub l2: f64,
}

impl Loss for IrmLoss {
    fn dim(&self) -> usize {
        self.net.dim()
    }
    fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
        let tape = theta.tape();
        let mut total = l2_penalty(theta, self.l2);
        for env in &self.envs {
            let (x, y) = env.on(tape);
            let s = self.net.logits_on(theta, x);
            let dt = ((s.sigmoid() - y) * s).mean();
            total = total + logistic_loss(s, y) + dt * dt * self.penalty_weight;
        }
        if self.penalty_weight > 1.0 {
            total / self.penalty_weight
        } else {
            total
        }
    }
}

/// The logistic loss of one environment as a function of the head θ_r alone, with the
/// features φ held fixed: its Hessian is the H_ξ of the RR extension.
///
/// ```
/// use ridge_rider::ad::hessian;
/// use ridge_rider::problems::cmnist::model::{CmnistNet, EnvBatch, HeadLoss};
/// let net = CmnistNet { inputs: 2, hidden: 3, features: 2, head_hidden: 2 };
/// let env = EnvBatch::new(vec![0.3, 0.9, 0.8, 0.1], vec![1.0, 0.0]);
/// let theta = net.init(0);
/// let head = HeadLoss::new(net, &theta[..net.dim_features()], &env);
/// let h = hessian(&head, &vec![0.0; net.dim_head()]).unwrap();
/// assert_eq!(h.len(), net.dim_head() * net.dim_head());
/// ```
#[derive(Clone, Debug)]
pub struct HeadLoss {
    pub net: CmnistNet,
    /// Features (rows × features), row-major.
    pub phi: Arc<Vec<f64>>,
    pub y: Arc<Vec<f64>>,
}

impl HeadLoss {
    /// The head loss of `env` at the features of θ_f.
    pub fn new(net: CmnistNet, theta_f: &[f64], env: &EnvBatch) -> HeadLoss {
        let tape = Tape::new(Mode::Value);
        let tf = tape.parameter(theta_f.len(), 1, theta_f.to_vec(), None);
        let (x, _) = env.on(&tape);
        let phi = net.features_on(tf, x).value();
        HeadLoss { net, phi, y: env.y.clone() }
    }
}

impl Loss for HeadLoss {
    fn dim(&self) -> usize {
        self.net.dim_head()
    }
    fn eval<'t>(&self, theta_r: Var<'t>) -> Var<'t> {
        let tape = theta_r.tape();
        let rows = self.y.len();
        let phi = tape.constant_shared(rows, self.net.features, self.phi.clone());
        let y = tape.constant_shared(rows, 1, self.y.clone());
        logistic_loss(self.net.head_on(phi, theta_r), y)
    }
}
