//! The user-facing vocabulary of [`Var`]: arithmetic operators and tensor methods.

use super::elementwise::{binary, Binary, Unary};
use super::linear::{concat, linear, LinearMap};
use super::unary::unary;
use super::{matmul, softmax};
use crate::ad::tape::Var;
use std::ops::{Add, Div, Mul, Neg, Sub};

impl<'t> Var<'t> {
    fn constant_like(self, c: f64) -> Var<'t> {
        self.tape.scalar(c)
    }
    pub fn exp(self) -> Var<'t> {
        unary(self, &Unary::Exp)
    }
    pub fn ln(self) -> Var<'t> {
        unary(self, &Unary::Ln)
    }
    pub fn ln_1p(self) -> Var<'t> {
        unary(self, &Unary::Ln1p)
    }
    pub fn sqrt(self) -> Var<'t> {
        unary(self, &Unary::Sqrt)
    }
    pub fn tanh(self) -> Var<'t> {
        unary(self, &Unary::Tanh)
    }
    pub fn sigmoid(self) -> Var<'t> {
        unary(self, &Unary::Sigmoid)
    }
    pub fn softplus(self) -> Var<'t> {
        unary(self, &Unary::Softplus)
    }
    pub fn relu(self) -> Var<'t> {
        unary(self, &Unary::Relu)
    }
    pub fn abs(self) -> Var<'t> {
        unary(self, &Unary::Abs)
    }
    pub fn powi(self, n: i32) -> Var<'t> {
        unary(self, &Unary::Powi(n))
    }
    pub fn powf(self, p: f64) -> Var<'t> {
        unary(self, &Unary::Powf(p))
    }
    /// Apply any built-in [`Unary`] function elementwise (a user-defined one goes through
    /// [`Var::elementwise`]).
    pub fn map(self, f: Unary) -> Var<'t> {
        unary(self, &f)
    }
    /// f(self + bias) for a 1×cols `bias` row added to every row: a layer's bias and
    /// activation as one node (the same numbers as `(self + bias).map(f)`, up to the sign
    /// of a zero, with one tensor fewer in every sweep).
    ///
    /// ```
    /// use ridge_rider::ad::{Mode, Tape, Unary};
    /// let tape = Tape::new(Mode::Value);
    /// let x = tape.constant(2, 2, vec![1.0, -1.0, 0.5, 2.0]);
    /// let b = tape.constant(1, 2, vec![0.5, 1.0]);
    /// let fused = x.map_with_bias(b, Unary::Relu).value().to_vec();
    /// assert_eq!(fused, (x + b).map(Unary::Relu).value().to_vec());
    /// assert_eq!(fused, vec![1.5, 0.0, 1.0, 3.0]);
    /// ```
    ///
    /// # Panics
    /// If `bias` is not 1×cols (a programming error).
    pub fn map_with_bias(self, bias: Var<'t>, f: Unary) -> Var<'t> {
        super::unary::unary_with_bias(self, bias, &f)
    }

    /// Matrix product (through `matrixmultiply`).
    ///
    /// # Panics
    /// If the inner dimensions differ (a programming error).
    pub fn matmul(self, other: Var<'t>) -> Var<'t> {
        matmul::matmul(self, other)
    }
    /// Σ of all elements.
    pub fn sum(self) -> Var<'t> {
        linear(self, LinearMap::Sum, 1, 1)
    }
    /// Mean of all elements.
    pub fn mean(self) -> Var<'t> {
        linear(self, LinearMap::Mean, 1, 1)
    }
    /// Sum of each row (rows×1).
    pub fn row_sums(self) -> Var<'t> {
        let (r, _) = self.shape();
        linear(self, LinearMap::RowSums, r, 1)
    }
    /// Sum of each column (1×cols).
    pub fn col_sums(self) -> Var<'t> {
        let (_, c) = self.shape();
        linear(self, LinearMap::ColSums, 1, c)
    }
    /// ⟨self, other⟩ = Σ selfᵢ·otherᵢ.
    pub fn dot(self, other: Var<'t>) -> Var<'t> {
        (self * other).sum()
    }
    /// Elements at flat (row-major) indices, as a column vector.
    ///
    /// # Panics
    /// If an index is out of range (a programming error).
    pub fn gather(self, indices: &[usize]) -> Var<'t> {
        let n = self.len();
        assert!(indices.iter().all(|&i| i < n), "gather: index out of range for {n} elements");
        linear(self, LinearMap::Gather(indices.to_vec()), indices.len(), 1)
    }
    /// The element at flat index `i`, as a 1×1 tensor.
    pub fn at(self, i: usize) -> Var<'t> {
        self.gather(&[i])
    }
    /// Flat elements `start .. start + len`, as a column vector.
    ///
    /// # Panics
    /// If the range is out of bounds (a programming error).
    pub fn slice(self, start: usize, len: usize) -> Var<'t> {
        assert!(start + len <= self.len(), "slice: {start}+{len} out of {} elements", self.len());
        linear(self, LinearMap::Slice { start }, len, 1)
    }
    /// The same elements in another shape.
    ///
    /// # Panics
    /// If the element counts differ (a programming error).
    pub fn reshape(self, rows: usize, cols: usize) -> Var<'t> {
        assert_eq!(rows * cols, self.len(), "reshape: {} elements into {rows}×{cols}", self.len());
        linear(self, LinearMap::Reshape, rows, cols)
    }
    /// The transpose.
    pub fn transpose(self) -> Var<'t> {
        let (r, c) = self.shape();
        linear(self, LinearMap::Transpose, c, r)
    }
    /// Vertical concatenation of tensors with equal column counts.
    pub fn concat(parts: &[Var<'t>]) -> Var<'t> {
        concat(parts)
    }
    /// Row-wise log-softmax.
    pub fn log_softmax(self) -> Var<'t> {
        softmax::log_softmax(self)
    }
    /// Row-wise softmax.
    pub fn softmax(self) -> Var<'t> {
        self.log_softmax().exp()
    }
    /// Mean cross-entropy of row-wise softmax(self) against integer labels, one per row.
    ///
    /// # Panics
    /// If there is not one label per row or a label is out of range (a programming error).
    pub fn softmax_cross_entropy(self, labels: &[usize]) -> Var<'t> {
        let (r, c) = self.shape();
        assert_eq!(labels.len(), r, "softmax_cross_entropy: {} labels for {r} rows", labels.len());
        assert!(labels.iter().all(|&y| y < c), "softmax_cross_entropy: label ≥ {c}");
        let idx: Vec<usize> = labels.iter().enumerate().map(|(i, &y)| i * c + y).collect();
        -self.log_softmax().gather(&idx).mean()
    }
}

macro_rules! binary_ops {
    ($trait:ident, $method:ident, $op:expr) => {
        impl<'t> $trait for Var<'t> {
            type Output = Var<'t>;
            fn $method(self, rhs: Var<'t>) -> Var<'t> {
                binary(self, rhs, $op)
            }
        }
        impl<'t> $trait<f64> for Var<'t> {
            type Output = Var<'t>;
            fn $method(self, rhs: f64) -> Var<'t> {
                binary(self, self.constant_like(rhs), $op)
            }
        }
        impl<'t> $trait<Var<'t>> for f64 {
            type Output = Var<'t>;
            fn $method(self, rhs: Var<'t>) -> Var<'t> {
                binary(rhs.constant_like(self), rhs, $op)
            }
        }
    };
}
binary_ops!(Add, add, Binary::Add);
binary_ops!(Sub, sub, Binary::Sub);
binary_ops!(Mul, mul, Binary::Mul);
binary_ops!(Div, div, Binary::Div);

impl<'t> Neg for Var<'t> {
    type Output = Var<'t>;
    fn neg(self) -> Var<'t> {
        unary(self, &Unary::Neg)
    }
}
