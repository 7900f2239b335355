//! A two-layer MLP classifier, `inputs → hidden → outputs`, tanh or relu, mean softmax
//! cross-entropy.
//!
//! Parameter layout (fixed, other tools exchange it): one flat f64 vector
//! `[W1 (inputs×hidden, row-major), b1, W2 (hidden×outputs, row-major), b2]`, so the
//! hidden layer is `act(X·W1 + b1)` for row-major inputs X (one example per row).
//!
//! ```
//! use ridge_rider::ad::gradient;
//! use ridge_rider::problems::mnist::mlp::{Activation, Mlp, MlpLoss};
//! let mlp = Mlp::new(4, 3, 2, Activation::Tanh);
//! let x = vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
//! let loss = MlpLoss::new(mlp, x, vec![0, 1]).unwrap();
//! let theta = mlp.init_standard(0);
//! let g = gradient(&loss, &theta).unwrap();
//! assert_eq!(g.gradient.len(), mlp.dim());
//! ```

use crate::ad::{Constant, Loss, Unary, Var};
use crate::problems::mnist::classification::{fraction_correct, predicted_classes};
use crate::rng;
use std::fmt;
use std::sync::Arc;

/// The hidden-layer nonlinearity.
///
/// ```
/// use ridge_rider::problems::mnist::mlp::{Activation, Mlp};
/// // The same parameters, another function.
/// let (tanh, relu) = (Mlp::new(2, 3, 2, Activation::Tanh), Mlp::new(2, 3, 2, Activation::Relu));
/// let theta = tanh.init_standard(0);
/// assert_eq!(tanh.dim(), relu.dim());
/// assert_ne!(tanh.logits(&theta, &[1.0, 2.0]), relu.logits(&theta, &[1.0, 2.0]));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Tanh,
    Relu,
}

impl Activation {
    fn unary(self) -> Unary {
        match self {
            Activation::Tanh => Unary::Tanh,
            Activation::Relu => Unary::Relu,
        }
    }
    fn apply(self, x: f64) -> f64 {
        match self {
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
        }
    }
}

/// The architecture (no data).
///
/// ```
/// use ridge_rider::problems::mnist::mlp::{Activation, Mlp};
/// let mlp = Mlp::mnist(128, Activation::Tanh);
/// assert_eq!(mlp.dim(), 784 * 128 + 128 + 128 * 10 + 10);
/// let theta = mlp.init_near_zero(0, 0.01);
/// let x = vec![0.5; 3 * 784];
/// assert_eq!(mlp.logits(&theta, &x).len(), 3 * 10);
/// assert_eq!(mlp.predict(&theta, &x).len(), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mlp {
    pub inputs: usize,
    pub hidden: usize,
    pub outputs: usize,
    pub activation: Activation,
}

/// Offsets of the four blocks in the flat parameter vector.
///
/// ```
/// use ridge_rider::problems::mnist::mlp::{Activation, Mlp};
/// let l = Mlp::new(2, 3, 2, Activation::Tanh).layout();
/// assert_eq!((l.w1, l.b1, l.w2, l.b2, l.len), (0, 6, 9, 15, 17));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub w1: usize,
    pub b1: usize,
    pub w2: usize,
    pub b2: usize,
    pub len: usize,
}

impl Mlp {
    /// `inputs → hidden (activation) → outputs`.
    pub fn new(inputs: usize, hidden: usize, outputs: usize, activation: Activation) -> Mlp {
        Mlp { inputs, hidden, outputs, activation }
    }
    /// The MNIST classifier of the paper: 784 → hidden → 10.
    pub fn mnist(hidden: usize, activation: Activation) -> Mlp {
        Mlp::new(784, hidden, 10, activation)
    }
    /// Where W1, b1, W2 and b2 sit in θ.
    pub fn layout(&self) -> Layout {
        let w1 = 0;
        let b1 = w1 + self.inputs * self.hidden;
        let w2 = b1 + self.hidden;
        let b2 = w2 + self.hidden * self.outputs;
        Layout { w1, b1, w2, b2, len: b2 + self.outputs }
    }
    /// Number of parameters.
    pub fn dim(&self) -> usize {
        self.layout().len
    }
    /// Positions of hidden unit `j`'s parameters in θ: its incoming weights (column j of
    /// W1), its bias and its outgoing weights (row j of W2), the unit's share of θ that
    /// permuting units moves.
    ///
    /// ```
    /// use ridge_rider::problems::mnist::mlp::{Activation, Mlp};
    /// let mlp = Mlp::new(2, 3, 2, Activation::Tanh);
    /// // W1 is 2×3 (0..6), b1 6..9, W2 3×2 (9..15), b2 15..17.
    /// assert_eq!(mlp.unit_parameters(1).collect::<Vec<_>>(), vec![1, 4, 7, 11, 12]);
    /// ```
    pub fn unit_parameters(&self, j: usize) -> impl Iterator<Item = usize> {
        let (l, (hidden, outputs)) = (self.layout(), (self.hidden, self.outputs));
        let incoming = (0..self.inputs).map(move |i| l.w1 + i * hidden + j);
        let outgoing = (0..outputs).map(move |o| l.w2 + j * outputs + o);
        incoming.chain(std::iter::once(l.b1 + j)).chain(outgoing)
    }
    /// W ~ N(0, 1/fan_in), b = 0.
    pub fn init_standard(&self, seed: u64) -> Vec<f64> {
        self.init_with(seed, (1.0 / self.inputs as f64).sqrt(), (1.0 / self.hidden as f64).sqrt())
    }
    /// W ~ N(0, σ²), b = 0: a point near the maximally invariant saddle θ = 0.
    pub fn init_near_zero(&self, seed: u64, sigma: f64) -> Vec<f64> {
        self.init_with(seed, sigma, sigma)
    }
    fn init_with(&self, seed: u64, s1: f64, s2: f64) -> Vec<f64> {
        let l = self.layout();
        let mut r = rng::seeded(seed, 0x6d6c70);
        let mut theta = vec![0.0; l.len];
        theta[l.w1..l.b1].copy_from_slice(&rng::normal_vec(&mut r, l.b1 - l.w1, s1));
        theta[l.w2..l.b2].copy_from_slice(&rng::normal_vec(&mut r, l.b2 - l.w2, s2));
        theta
    }

    /// Logits (rows × outputs) of plain f64 inputs, without a tape.
    ///
    /// # Panics
    /// If `theta` or `x` have the wrong length (a programming error).
    pub fn logits(&self, theta: &[f64], x: &[f64]) -> Vec<f64> {
        let l = self.layout();
        assert_eq!(theta.len(), l.len, "theta length");
        assert_eq!(x.len() % self.inputs, 0, "inputs length");
        let rows = x.len() / self.inputs;
        let (h, o) = (self.hidden, self.outputs);
        let mut hidden = vec![0.0; rows * h];
        crate::kernels::gemm(&crate::kernels::Gemm::new((rows, self.inputs, h), x, &theta[l.w1..l.b1]), &mut hidden);
        for row in hidden.chunks_exact_mut(h) {
            for (v, b) in row.iter_mut().zip(&theta[l.b1..l.w2]) {
                *v = self.activation.apply(*v + b);
            }
        }
        let mut out = vec![0.0; rows * o];
        crate::kernels::gemm(&crate::kernels::Gemm::new((rows, h, o), &hidden, &theta[l.w2..l.b2]), &mut out);
        for row in out.chunks_exact_mut(o) {
            for (v, b) in row.iter_mut().zip(&theta[l.b2..]) {
                *v += b;
            }
        }
        out
    }

    /// The predicted class of each row.
    pub fn predict(&self, theta: &[f64], x: &[f64]) -> Vec<usize> {
        predicted_classes(&self.logits(theta, x), self.outputs)
    }

    /// The effective rank (Σσ²)²/Σσ⁴ of the first layer's weights W1: about how many
    /// distinct input directions the hidden units use (1 when every unit reads the same
    /// one). With G = W1ᵀW1, Σσ² = tr G and Σσ⁴ = ‖G‖²_F, so no eigensolver is needed.
    ///
    /// ```
    /// use ridge_rider::problems::mnist::mlp::{Activation, Mlp};
    /// let mlp = Mlp { inputs: 3, hidden: 2, outputs: 1, activation: Activation::Tanh };
    /// let mut theta = vec![0.0; mlp.dim()];
    /// // Two hidden units reading orthogonal inputs with equal weight: rank 2.
    /// theta[0] = 1.0; // W1[0][0]
    /// theta[3] = 1.0; // W1[1][1]
    /// assert!((mlp.first_layer_effective_rank(&theta) - 2.0).abs() < 1e-12);
    /// // Both reading input 0: rank 1.
    /// theta[3] = 0.0;
    /// theta[1] = 1.0; // W1[0][1]
    /// assert!((mlp.first_layer_effective_rank(&theta) - 1.0).abs() < 1e-12);
    /// // Scale-free, even where σ⁴ would overflow.
    /// theta[0] = 1e200;
    /// theta[3] = 1e200;
    /// theta[1] = 0.0;
    /// assert!((mlp.first_layer_effective_rank(&theta) - 2.0).abs() < 1e-12);
    /// ```
    pub fn first_layer_effective_rank(&self, theta: &[f64]) -> f64 {
        let (i, h, l) = (self.inputs, self.hidden, self.layout());
        // The rank does not depend on the scale of W1; dividing by its largest entry
        // keeps σ⁴ from overflowing for huge weights.
        let largest = theta[l.w1..l.b1].iter().fold(0.0f64, |a, w| a.max(w.abs()));
        if largest == 0.0 {
            return 0.0;
        }
        if !largest.is_finite() {
            return f64::NAN;
        }
        let w1: Vec<f64> = theta[l.w1..l.b1].iter().map(|w| w / largest).collect();
        let mut gram = vec![0.0; h * h];
        crate::kernels::gemm(
            &crate::kernels::Gemm {
                m: h,
                k: i,
                n: h,
                alpha: 1.0,
                a: &w1,
                a_transposed: true,
                b: &w1,
                b_transposed: false,
                beta: 0.0,
            },
            &mut gram,
        );
        let trace: f64 = (0..h).map(|j| gram[j * h + j]).sum();
        let frobenius2: f64 = gram.iter().map(|g| g * g).sum();
        if frobenius2 > 0.0 {
            trace * trace / frobenius2
        } else {
            0.0
        }
    }

    /// Fraction of rows classified correctly.
    pub fn accuracy(&self, theta: &[f64], x: &[f64], labels: &[usize]) -> f64 {
        fraction_correct(&self.predict(theta, x), labels)
    }

    /// The tape expression of the mean cross-entropy on constant data (`labels.len()`
    /// rows of `inputs`).
    pub fn loss_on<'t>(&self, theta: Var<'t>, x: &Constant, labels: &[usize]) -> Var<'t> {
        debug_assert_eq!(x.shape().0, labels.len());
        self.logits_on(theta, x).softmax_cross_entropy(labels)
    }

    /// The tape expression of the logits (rows × outputs) of constant inputs (rows ×
    /// `inputs`): what [`Mlp::logits`] computes, differentiable in θ. Other losses (a
    /// policy's, say) are built on it.
    ///
    /// ```
    /// use ridge_rider::ad::{Constant, Mode, Tape};
    /// use ridge_rider::problems::mnist::mlp::{Activation, Mlp};
    /// let mlp = Mlp::new(2, 3, 1, Activation::Tanh);
    /// let theta = mlp.init_standard(0);
    /// let x = vec![1.0, -1.0, 0.5, 0.0];
    /// let tape = Tape::new(Mode::Value);
    /// let t = tape.parameter(mlp.dim(), 1, theta.clone(), None);
    /// let logits = mlp.logits_on(t, &Constant::new(2, 2, x.clone()).unwrap());
    /// assert_eq!(logits.shape(), (2, 1));
    /// let plain = mlp.logits(&theta, &x);
    /// assert!(logits.value().iter().zip(&plain).all(|(a, b)| (a - b).abs() < 1e-12));
    /// ```
    ///
    /// # Panics
    /// If `x` does not have `inputs` columns (a programming error).
    pub fn logits_on<'t>(&self, theta: Var<'t>, x: &Constant) -> Var<'t> {
        let l = self.layout();
        let (i, h, o) = (self.inputs, self.hidden, self.outputs);
        assert_eq!(x.shape().1, i, "logits_on: inputs have {} columns, the MLP reads {i}", x.shape().1);
        let w1 = theta.slice(l.w1, i * h).reshape(i, h);
        let b1 = theta.slice(l.b1, h).reshape(1, h);
        let w2 = theta.slice(l.w2, h * o).reshape(h, o);
        let b2 = theta.slice(l.b2, o).reshape(1, o);
        let xs = theta.tape().data(x);
        let hidden = xs.matmul(w1).map_with_bias(b1, self.activation.unary());
        hidden.matmul(w2) + b2
    }
}

/// Why a data set does not fit an MLP.
///
/// ```
/// use ridge_rider::problems::mnist::mlp::{Activation, Mlp, MlpError, MlpLoss};
/// let mlp = Mlp::new(2, 3, 2, Activation::Tanh);
/// assert!(matches!(MlpLoss::new(mlp, vec![0.0; 3], vec![0]), Err(MlpError::InputLength { .. })));
/// assert!(matches!(MlpLoss::new(mlp, vec![0.0; 2], vec![2]), Err(MlpError::LabelOutOfRange { .. })));
/// assert!(matches!(MlpLoss::new(mlp, vec![], vec![]), Err(MlpError::Empty)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MlpError {
    /// The inputs are not `rows × inputs` values.
    InputLength { values: usize, inputs: usize, rows: usize },
    /// A label is not below the number of outputs.
    LabelOutOfRange { index: usize, label: usize, outputs: usize },
    /// No examples.
    Empty,
}

impl fmt::Display for MlpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MlpError::InputLength { values, inputs, rows } => {
                write!(f, "{values} input values do not make {rows} rows of {inputs}")
            }
            MlpError::LabelOutOfRange { index, label, outputs } => {
                write!(f, "label {label} at row {index} is not below {outputs}")
            }
            MlpError::Empty => write!(f, "no examples"),
        }
    }
}

impl std::error::Error for MlpError {}

/// The MLP's mean cross-entropy on a fixed batch: a [`Loss`].
///
/// ```
/// use ridge_rider::ad::{check::check_hvp, value};
/// use ridge_rider::problems::mnist::mlp::{Activation, Mlp, MlpLoss};
/// let mlp = Mlp::new(3, 4, 2, Activation::Tanh);
/// let loss = MlpLoss::new(mlp, vec![0.1, 0.5, 0.9, 0.3, 0.2, 0.0], vec![1, 0]).unwrap();
/// // At θ = 0 every class is equally likely: the loss is ln 2.
/// let zero = vec![0.0; mlp.dim()];
/// assert!((value(&loss, &zero).unwrap() - std::f64::consts::LN_2).abs() < 1e-15);
/// let theta = mlp.init_standard(1);
/// let v = vec![1.0; mlp.dim()];
/// assert!(check_hvp(&loss, &theta, &v, 1e-4).unwrap().relative_error < 1e-6);
/// ```
#[derive(Clone)]
pub struct MlpLoss {
    pub mlp: Mlp,
    /// The inputs, one example per row (stored sparse when mostly zero, as MNIST is).
    pub x: Constant,
    pub labels: Arc<Vec<usize>>,
}

impl MlpLoss {
    /// Inputs row-major (`labels.len() × mlp.inputs`), labels below `mlp.outputs`.
    pub fn new(mlp: Mlp, x: Vec<f64>, labels: Vec<usize>) -> Result<MlpLoss, MlpError> {
        if labels.is_empty() {
            return Err(MlpError::Empty);
        }
        let values = x.len();
        let x = Constant::new(labels.len(), mlp.inputs, x).map_err(|_| MlpError::InputLength {
            values,
            inputs: mlp.inputs,
            rows: labels.len(),
        })?;
        MlpLoss::from_parts(mlp, x, labels)
    }
    /// From inputs already built as a [`Constant`] (`labels.len() × mlp.inputs`), to
    /// choose their storage or share them between losses.
    pub fn from_parts(mlp: Mlp, x: Constant, labels: Vec<usize>) -> Result<MlpLoss, MlpError> {
        if labels.is_empty() {
            return Err(MlpError::Empty);
        }
        let (rows, cols) = x.shape();
        if rows != labels.len() || cols != mlp.inputs {
            return Err(MlpError::InputLength { values: rows * cols, inputs: mlp.inputs, rows: labels.len() });
        }
        if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &y)| y >= mlp.outputs) {
            return Err(MlpError::LabelOutOfRange { index, label, outputs: mlp.outputs });
        }
        Ok(MlpLoss { mlp, x, labels: Arc::new(labels) })
    }

    /// Examples in the batch.
    pub fn rows(&self) -> usize {
        self.labels.len()
    }
}

impl Loss for MlpLoss {
    fn dim(&self) -> usize {
        self.mlp.dim()
    }
    fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
        self.mlp.loss_on(theta, &self.x, &self.labels)
    }
    /// The layers: W1, b1, W2, b2.
    fn blocks(&self) -> Vec<crate::ad::ParamBlock> {
        let l = self.mlp.layout();
        [("W1", l.w1..l.b1), ("b1", l.b1..l.w2), ("W2", l.w2..l.b2), ("b2", l.b2..l.len)]
            .into_iter()
            .map(|(name, range)| crate::ad::ParamBlock { name: name.into(), range })
            .collect()
    }
}

/// Mean cross-entropy of `theta` on a data set (for reports; NaN if it does not fit).
///
/// ```
/// use ridge_rider::problems::mnist::mlp::{Activation, Mlp};
/// use ridge_rider::problems::data::mnist::embedded_all;
/// use ridge_rider::problems::mnist::mlp::dataset_loss;
/// let mlp = Mlp::mnist(4, Activation::Tanh);
/// let ten = embedded_all().slice(0..10);
/// assert!((dataset_loss(mlp, &vec![0.0; mlp.dim()], &ten) - 10f64.ln()).abs() < 1e-12);
/// ```
pub fn dataset_loss(mlp: Mlp, theta: &[f64], d: &crate::problems::data::mnist::Dataset) -> f64 {
    MlpLoss::new(mlp, d.x.clone(), d.labels.clone())
        .ok()
        .and_then(|l| crate::ad::value(&l, theta).ok())
        .unwrap_or(f64::NAN)
}
