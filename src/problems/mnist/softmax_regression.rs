//! Multinomial logistic regression, `inputs → outputs` with mean softmax
//! cross-entropy: the linear classifier that approximate RR on MNIST must beat.
//!
//! Parameter layout: `[W (inputs×outputs, row-major), b]`, logits `X·W + b`.
//!
//! ```
//! use ridge_rider::ad::gradient;
//! use ridge_rider::problems::mnist::softmax_regression::SoftmaxRegression;
//! let model = SoftmaxRegression { inputs: 2, outputs: 2 };
//! let loss = model.loss(vec![1.0, 0.0, 0.0, 1.0], vec![0, 1]);
//! let theta = vec![1.0, -1.0, -1.0, 1.0, 0.0, 0.0];
//! assert_eq!(model.accuracy(&theta, &[1.0, 0.0, 0.0, 1.0], &[0, 1]), 1.0);
//! assert!(gradient(&loss, &theta).unwrap().value < std::f64::consts::LN_2);
//! ```

use crate::ad::{Loss, Var};
use crate::kernels::{gemm, Gemm};
use crate::problems::mnist::classification::{fraction_correct, predicted_classes};
use std::sync::Arc;

/// The architecture (no data).
///
/// ```
/// use ridge_rider::problems::mnist::softmax_regression::SoftmaxRegression;
/// let m = SoftmaxRegression { inputs: 784, outputs: 10 };
/// assert_eq!(m.dim(), 7850);
/// assert_eq!(m.predict(&vec![0.0; m.dim()], &[0.5; 784]), vec![0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoftmaxRegression {
    pub inputs: usize,
    pub outputs: usize,
}

impl SoftmaxRegression {
    /// Number of parameters.
    pub fn dim(&self) -> usize {
        (self.inputs + 1) * self.outputs
    }

    /// The mean cross-entropy on rows `x` (row-major) with `labels`.
    ///
    /// # Panics
    /// If `x` is not `labels.len()` rows of `inputs` (a programming error).
    pub fn loss(&self, x: Vec<f64>, labels: Vec<usize>) -> SoftmaxRegressionLoss {
        assert_eq!(x.len(), labels.len() * self.inputs, "inputs length");
        SoftmaxRegressionLoss { model: *self, x: Arc::new(x), labels }
    }

    /// The predicted class of each row of `x`.
    pub fn predict(&self, theta: &[f64], x: &[f64]) -> Vec<usize> {
        let (i, o) = (self.inputs, self.outputs);
        let rows = x.len() / i.max(1);
        let mut logits = vec![0.0; rows * o];
        gemm(&Gemm::new((rows, i, o), x, &theta[..i * o]), &mut logits);
        for row in logits.chunks_exact_mut(o) {
            row.iter_mut().zip(&theta[i * o..]).for_each(|(z, b)| *z += b);
        }
        predicted_classes(&logits, o)
    }

    /// Fraction of rows classified correctly.
    pub fn accuracy(&self, theta: &[f64], x: &[f64], labels: &[usize]) -> f64 {
        fraction_correct(&self.predict(theta, x), labels)
    }
}

/// [`SoftmaxRegression`]'s mean cross-entropy on a fixed batch: a [`Loss`].
#[derive(Clone)]
pub struct SoftmaxRegressionLoss {
    pub model: SoftmaxRegression,
    pub x: Arc<Vec<f64>>,
    pub labels: Vec<usize>,
}

impl Loss for SoftmaxRegressionLoss {
    fn dim(&self) -> usize {
        self.model.dim()
    }
    fn eval<'t>(&self, theta: Var<'t>) -> Var<'t> {
        let (i, o) = (self.model.inputs, self.model.outputs);
        let w = theta.slice(0, i * o).reshape(i, o);
        let b = theta.slice(i * o, o).reshape(1, o);
        let xs = theta.tape().constant_shared(self.labels.len(), i, self.x.clone());
        (xs.matmul(w) + b).softmax_cross_entropy(&self.labels)
    }
}
