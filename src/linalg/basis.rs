//! A Krylov basis: orthonormal vectors of ℝⁿ stored row by row in one buffer, with the
//! operator's image of each beside it. Kept contiguous so that Ritz vectors are formed
//! by one matrix product and orthogonalisation streams the basis once per pass, both
//! on every core. Every result is computed by the same arithmetic at any thread count.

use super::strided::{gemm, View};
use crate::ad::ops::{matmul_into, Operand};
use crate::kernels::{axpy, dot};
use rayon::prelude::*;

/// Entries of a vector updated by one task in [`Basis::orthogonalize`].
const CHUNK: usize = 8192;

/// Orthonormal vectors and their images (`len × n` each, row-major).
pub(crate) struct Basis {
    n: usize,
    vectors: Vec<f64>,
    images: Vec<f64>,
}

/// Columns of the basis combined per product in [`Basis::restart`]: the scratch block
/// (kept vectors × this) stays small, so a restart needs no second basis.
const RESTART_COLUMNS: usize = 4096;

impl Basis {
    pub(crate) fn new(n: usize, capacity: usize) -> Self {
        let buffer = || Vec::with_capacity(capacity * n);
        Basis { n, vectors: buffer(), images: buffer() }
    }

    pub(crate) fn dim(&self) -> usize {
        self.n
    }

    pub(crate) fn len(&self) -> usize {
        self.vectors.len() / self.n.max(1)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    /// Append a unit vector orthogonal to the basis, and its image.
    pub(crate) fn push(&mut self, v: &[f64], image: &[f64]) {
        self.vectors.extend_from_slice(v);
        self.images.extend_from_slice(image);
    }

    /// Replace the basis by the `count` ≤ len combinations of [`Basis::combine`] (a
    /// thick restart onto Ritz vectors), in place: a block of columns at a time, each
    /// read in full before it is overwritten, so memory stays at one basis (a second
    /// one, for a basis of tens of MB, also cost its page faults at every restart).
    pub(crate) fn restart(&mut self, coeffs: &[f64], count: usize) {
        let (len, n) = (self.len(), self.n);
        assert!(count <= len && coeffs.len() == len * count, "restart: {count} of {len} vectors");
        let mut block = vec![0.0; count * RESTART_COLUMNS.min(n)];
        for buffer in [&mut self.vectors, &mut self.images] {
            for start in (0..n).step_by(RESTART_COLUMNS) {
                let width = RESTART_COLUMNS.min(n - start);
                let coeffs_t = View::row_major(len, count, 0, count).t();
                let columns = View::row_major(len, width, start, n);
                gemm(
                    1.0,
                    (coeffs, coeffs_t),
                    (buffer, columns),
                    0.0,
                    (&mut block, View::row_major(count, width, 0, width)),
                );
                for (a, row) in block.chunks_exact(width).take(count).enumerate() {
                    buffer[a * n + start..a * n + start + width].copy_from_slice(row);
                }
            }
            buffer.truncate(count * n);
        }
    }

    /// Classical Gram–Schmidt run twice (as accurate as the modified form run twice,
    /// Giraud et al., and two streams of the basis per pass): `w` loses its components
    /// along the basis, whose sum over both passes is returned.
    pub(crate) fn orthogonalize(&self, w: &mut [f64]) -> Vec<f64> {
        let mut total = self.project_out(w);
        let again = self.project_out(w);
        total.iter_mut().zip(&again).for_each(|(t, a)| *t += a);
        total
    }

    /// One classical Gram–Schmidt pass: h = Vᵀw, then w ← w − V·h; returns h.
    pub(crate) fn project_out(&self, w: &mut [f64]) -> Vec<f64> {
        if self.is_empty() {
            return Vec::new();
        }
        let h: Vec<f64> = self.vectors.par_chunks_exact(self.n).map(|v| dot(v, w)).collect();
        self.subtract(&h, w);
        h
    }

    /// w ← w − Σᵢ hᵢ vᵢ (zero coefficients skipped), in parallel over fixed chunks of w.
    pub(crate) fn subtract(&self, h: &[f64], w: &mut [f64]) {
        let n = self.n;
        w.par_chunks_mut(CHUNK).enumerate().for_each(|(c, part)| {
            let start = c * CHUNK;
            for (hi, v) in h.iter().zip(self.vectors.chunks_exact(n)).filter(|(hi, _)| **hi != 0.0) {
                axpy(-hi, &v[start..start + part.len()], part);
            }
        });
    }

    /// The combinations `Σᵢ cᵢₐ vᵢ` and their images for the `count` columns of the
    /// `len × count` row-major coefficients.
    pub(crate) fn combine(&self, coeffs: &[f64], count: usize) -> (Vec<f64>, Vec<f64>) {
        let len = self.len();
        let c = Operand { data: coeffs, rows: count, cols: len, transposed: true };
        let product = |of: &[f64]| {
            let mut out = vec![0.0; count * self.n];
            matmul_into(c, Operand { data: of, rows: len, cols: self.n, transposed: false }, &mut out)
                .expect("shapes agree by construction");
            out
        };
        (product(&self.vectors), product(&self.images))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonalize_and_combine_match_the_plain_loops() {
        let n = 20_000;
        let mut rng = crate::rng::seeded(3, 0);
        let mut basis = Basis::new(n, 3);
        let mut plain: Vec<Vec<f64>> = Vec::new();
        for _ in 0..3 {
            let mut v = crate::rng::normal_vec(&mut rng, n, 1.0);
            basis.orthogonalize(&mut v);
            crate::kernels::normalize(&mut v);
            let image: Vec<f64> = v.iter().map(|x| 2.0 * x).collect();
            basis.push(&v, &image);
            plain.push(v);
        }
        for (i, a) in plain.iter().enumerate() {
            for (j, b) in plain.iter().enumerate() {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot(a, b) - want).abs() < 1e-14);
            }
        }
        let coeffs = [1.0, 0.5, -2.0, 0.0, 3.0, 1.0]; // 3 × 2
        let (x, ax) = basis.combine(&coeffs, 2);
        for col in 0..2 {
            let mut want = vec![0.0; n];
            for (i, v) in plain.iter().enumerate() {
                axpy(coeffs[i * 2 + col], v, &mut want);
            }
            for (e, (got, w)) in x[col * n..(col + 1) * n].iter().zip(&want).enumerate() {
                assert!((got - w).abs() < 1e-13, "entry {e}");
                assert!((ax[col * n + e] - 2.0 * w).abs() < 1e-13);
            }
        }
        // A restart in place gives the same combinations.
        basis.restart(&coeffs, 2);
        assert_eq!(basis.len(), 2);
        for (got, want) in basis.vectors.iter().zip(&x) {
            assert!((got - want).abs() < 1e-13);
        }
        for (got, want) in basis.images.iter().zip(&ax) {
            assert!((got - want).abs() < 1e-13);
        }
    }
}
