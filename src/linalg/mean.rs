//! The mean of operators of one dimension, (1/K) Σₖ Aₖ: a Hessian averaged over K
//! mini-batches, whose spectrum is less noisy than one batch's.

use super::{LinalgError, LinearOperator};

/// (1/K) Σₖ Aₖ over `ops` (at least one, all of one dimension).
///
/// ```
/// use ridge_rider::linalg::{DenseSymmetric, LinearOperator, MeanOperator};
/// let m = MeanOperator::new(vec![DenseSymmetric::from_diagonal(&[1.0, 4.0]), DenseSymmetric::from_diagonal(&[3.0, 0.0])]).unwrap();
/// let mut out = vec![0.0; 2];
/// m.apply(&[1.0, 1.0], &mut out).unwrap();
/// assert_eq!(out, [2.0, 2.0]);
/// assert!(MeanOperator::<DenseSymmetric>::new(vec![]).is_err());
/// ```
pub struct MeanOperator<O> {
    ops: Vec<O>,
}

impl<O: LinearOperator> MeanOperator<O> {
    pub fn new(ops: Vec<O>) -> Result<Self, LinalgError> {
        let n = ops.first().ok_or(LinalgError::Empty)?.dim();
        if let Some(o) = ops.iter().find(|o| o.dim() != n) {
            return Err(LinalgError::Shape { expected: n, got: o.dim() });
        }
        Ok(MeanOperator { ops })
    }

    /// The operators averaged.
    pub fn operators(&self) -> &[O] {
        &self.ops
    }
}

impl<O: LinearOperator> LinearOperator for MeanOperator<O> {
    fn dim(&self) -> usize {
        self.ops[0].dim()
    }

    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<(), LinalgError> {
        if let [op] = &self.ops[..] {
            return op.apply(v, out);
        }
        let mut part = vec![0.0; out.len()];
        out.iter_mut().for_each(|x| *x = 0.0);
        for op in &self.ops {
            op.apply(v, &mut part)?;
            out.iter_mut().zip(&part).for_each(|(o, p)| *o += p);
        }
        let k = self.ops.len() as f64;
        out.iter_mut().for_each(|x| *x /= k);
        Ok(())
    }

    fn apply_block(&self, vs: &[&[f64]], outs: &mut [Vec<f64>]) -> Result<(), LinalgError> {
        if let [op] = &self.ops[..] {
            return op.apply_block(vs, outs);
        }
        if vs.len() != outs.len() {
            return Err(LinalgError::Shape { expected: vs.len(), got: outs.len() });
        }
        let mut parts: Vec<Vec<f64>> = outs.iter().map(|o| vec![0.0; o.len()]).collect();
        outs.iter_mut().for_each(|o| o.iter_mut().for_each(|x| *x = 0.0));
        for op in &self.ops {
            // Each operator shares work across the block (a recorded Hessian: one sweep).
            op.apply_block(vs, &mut parts)?;
            for (o, p) in outs.iter_mut().zip(&parts) {
                o.iter_mut().zip(p).for_each(|(a, b)| *a += b);
            }
        }
        let k = self.ops.len() as f64;
        outs.iter_mut().for_each(|o| o.iter_mut().for_each(|x| *x /= k));
        Ok(())
    }
}
