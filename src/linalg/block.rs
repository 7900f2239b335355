//! One block of an operator's coordinates, P A Pᵀ for the coordinate range P picks: a
//! layer's own Hessian inside a network's.

use super::{LinalgError, LinearOperator};
use std::ops::Range;

/// The block of `op` on the coordinates `range`.
///
/// ```
/// use ridge_rider::linalg::{BlockOperator, DenseSymmetric, LinearOperator};
/// let a = DenseSymmetric::new(3, vec![1.0, 2.0, 0.0, 2.0, 5.0, 7.0, 0.0, 7.0, 9.0]).unwrap();
/// let b = BlockOperator::new(&a, 1..3).unwrap();
/// let mut out = vec![0.0; 2];
/// b.apply(&[1.0, 0.0], &mut out).unwrap();
/// assert_eq!(out, [5.0, 7.0]);
/// assert!(BlockOperator::new(&a, 2..4).is_err());
/// ```
pub struct BlockOperator<'a, O> {
    op: &'a O,
    range: Range<usize>,
}

impl<'a, O: LinearOperator> BlockOperator<'a, O> {
    /// A non-empty range within the operator's dimension.
    pub fn new(op: &'a O, range: Range<usize>) -> Result<Self, LinalgError> {
        if range.is_empty() || range.end > op.dim() {
            return Err(LinalgError::Shape { expected: op.dim(), got: range.end });
        }
        Ok(BlockOperator { op, range })
    }
}

impl<O: LinearOperator> LinearOperator for BlockOperator<'_, O> {
    fn dim(&self) -> usize {
        self.range.len()
    }

    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<(), LinalgError> {
        check_len(self.range.len(), v)?;
        check_len(self.range.len(), out)?;
        let n = self.op.dim();
        let mut full = vec![0.0; n];
        full[self.range.clone()].copy_from_slice(v);
        let mut image = vec![0.0; n];
        self.op.apply(&full, &mut image)?;
        out.copy_from_slice(&image[self.range.clone()]);
        Ok(())
    }

    /// The whole block in one product of the full operator, zero-padded.
    fn apply_block(&self, vs: &[&[f64]], outs: &mut [Vec<f64>]) -> Result<(), LinalgError> {
        if vs.len() != outs.len() {
            return Err(LinalgError::Shape { expected: vs.len(), got: outs.len() });
        }
        for v in vs {
            check_len(self.range.len(), v)?;
        }
        for out in outs.iter() {
            check_len(self.range.len(), out)?;
        }
        let n = self.op.dim();
        let full: Vec<Vec<f64>> = vs
            .iter()
            .map(|v| {
                let mut f = vec![0.0; n];
                f[self.range.clone()].copy_from_slice(v);
                f
            })
            .collect();
        let refs: Vec<&[f64]> = full.iter().map(Vec::as_slice).collect();
        let mut images = vec![vec![0.0; n]; vs.len()];
        self.op.apply_block(&refs, &mut images)?;
        for (out, image) in outs.iter_mut().zip(&images) {
            out.copy_from_slice(&image[self.range.clone()]);
        }
        Ok(())
    }
}

/// A vector of the block's length, or a shape error.
fn check_len(expected: usize, v: &[f64]) -> Result<(), LinalgError> {
    if v.len() == expected {
        Ok(())
    } else {
        Err(LinalgError::Shape { expected, got: v.len() })
    }
}
