//! The dense kernels every layer shares: vector operations (`dot`, `axpy`, …) and the
//! matrix product, with its own kernels for products with a small dimension and SIMD
//! dispatch. Below `ad` and `linalg`, which both build on it; public, so that a user's
//! code calls the same arithmetic as the engine.

pub(crate) mod simd;
pub(crate) mod skinny;
pub mod vector;

pub use vector::{axpy, dot, dot_naive, gram_schmidt, norm, normalize, scale};

use skinny::Kernel;

/// The product c ← α·op(a)·op(b) + β·c, all row-major: op(a) is m×k, op(b) k×n and
/// c m×n; `a_transposed` (`b_transposed`) says the stored matrix is the transpose (a
/// stored k×m, b stored n×k).
///
/// ```
/// use ridge_rider::kernels::{gemm, Gemm};
/// // [1 2; 3 4]·[1; 1] = [3; 7]
/// let mut c = [0.0; 2];
/// gemm(&Gemm::new((2, 2, 1), &[1.0, 2.0, 3.0, 4.0], &[1.0, 1.0]), &mut c);
/// assert_eq!(c, [3.0, 7.0]);
/// // The same with a stored transposed and c accumulated: c ← 2·aᵀ·b + c.
/// let g = Gemm { alpha: 2.0, beta: 1.0, a_transposed: true, ..Gemm::new((2, 2, 1), &[1.0, 3.0, 2.0, 4.0], &[1.0, 1.0]) };
/// gemm(&g, &mut c);
/// assert_eq!(c, [9.0, 21.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Gemm<'a> {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub alpha: f64,
    pub a: &'a [f64],
    pub a_transposed: bool,
    pub b: &'a [f64],
    pub b_transposed: bool,
    pub beta: f64,
}

impl<'a> Gemm<'a> {
    /// c ← a·b for a m×k and b k×n, both stored as they are.
    pub fn new((m, k, n): (usize, usize, usize), a: &'a [f64], b: &'a [f64]) -> Self {
        Gemm { m, k, n, alpha: 1.0, a, a_transposed: false, b, b_transposed: false, beta: 0.0 }
    }
}

/// Run the product `g` into `c`, on the kernel its shape calls for (see [`Gemm`]).
///
/// # Panics
/// If a buffer is smaller than its shape.
pub fn gemm(g: &Gemm, c: &mut [f64]) {
    gemm_on(skinny::choose(g.m, g.k, g.n, g.a_transposed), g, c);
}

/// [`gemm`] on a given kernel: a product stacked over lanes runs on the kernel of one
/// lane's product (see `ad::ops::lanes`).
pub(crate) fn gemm_on(kernel: Kernel, g: &Gemm, c: &mut [f64]) {
    let Gemm { m, k, n, alpha, a, a_transposed: ta, b, b_transposed: tb, beta } = *g;
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n, "gemm: buffer too small");
    if m == 0 || n == 0 {
        return;
    }
    if skinny::run(kernel, g, c) {
        return;
    }
    let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
    // SAFETY: the strides above address exactly the m×k, k×n and m×n elements whose
    // presence the assertion checked; `c` does not alias `a` or `b` (distinct borrows).
    unsafe {
        matrixmultiply::dgemm(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}
