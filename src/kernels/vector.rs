//! Vector kernels written for the auto-vectoriser: fixed-width chunks and several
//! independent accumulators, so the compiler emits SIMD without `unsafe`.

const LANES: usize = 8;

/// ⟨x, y⟩.
///
/// ```
/// assert_eq!(ridge_rider::kernels::dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
/// ```
pub fn dot(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "dot: lengths differ");
    let mut acc = [0.0; LANES];
    let (xc, yc) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (a, b) in xc.zip(yc) {
        for i in 0..LANES {
            acc[i] += a[i] * b[i];
        }
    }
    let mut s: f64 = acc.iter().sum();
    for (a, b) in xr.iter().zip(yr) {
        s += a * b;
    }
    s
}

/// The naive single-accumulator dot product, kept as the benchmark's reference.
///
/// ```
/// use ridge_rider::kernels::{dot, dot_naive};
/// let x: Vec<f64> = (0..20).map(f64::from).collect();
/// assert_eq!(dot_naive(&x, &x), dot(&x, &x));
/// ```
pub fn dot_naive(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * y[i];
    }
    s
}

/// ‖x‖₂.
///
/// ```
/// assert_eq!(ridge_rider::kernels::norm(&[3.0, 4.0]), 5.0);
/// ```
pub fn norm(x: &[f64]) -> f64 {
    dot(x, x).sqrt()
}

/// y ← y + a·x.
///
/// ```
/// let mut y = vec![1.0; 10];
/// ridge_rider::kernels::axpy(2.0, &[1.0; 10], &mut y);
/// assert_eq!(y, vec![3.0; 10]);
/// ```
pub fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    assert_eq!(x.len(), y.len(), "axpy: lengths differ");
    let mut yc = y.chunks_exact_mut(LANES);
    let mut xc = x.chunks_exact(LANES);
    for (yb, xb) in (&mut yc).zip(&mut xc) {
        for i in 0..LANES {
            yb[i] += a * xb[i];
        }
    }
    for (yv, xv) in yc.into_remainder().iter_mut().zip(xc.remainder()) {
        *yv += a * xv;
    }
}

/// x ← a·x.
///
/// ```
/// let mut x = vec![1.0, -2.0];
/// ridge_rider::kernels::scale(-0.5, &mut x);
/// assert_eq!(x, vec![-0.5, 1.0]);
/// ```
pub fn scale(a: f64, x: &mut [f64]) {
    x.iter_mut().for_each(|v| *v *= a);
}

/// Normalise x in place; returns the norm it had.
///
/// ```
/// let mut x = vec![3.0, 4.0];
/// assert_eq!(ridge_rider::kernels::normalize(&mut x), 5.0);
/// assert!((x[0] - 0.6).abs() < 1e-15 && (x[1] - 0.8).abs() < 1e-15);
/// ```
pub fn normalize(x: &mut [f64]) -> f64 {
    let n = norm(x);
    if n > 0.0 {
        scale(1.0 / n, x);
    }
    n
}

/// Orthogonalise `x` against the orthonormal `basis` by modified Gram–Schmidt (each
/// coefficient taken from the already-updated `x`) run twice, which is enough for full
/// double precision (Giraud et al.). Returns the coefficients of the first pass plus
/// the correction of the second.
///
/// ```
/// use ridge_rider::kernels::{dot, gram_schmidt};
/// let basis = vec![vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0]];
/// let mut x = vec![2.0, -3.0, 4.0];
/// assert_eq!(gram_schmidt(&basis, &mut x), vec![2.0, -3.0]);
/// assert_eq!(x, vec![0.0, 0.0, 4.0]);
/// assert!(basis.iter().all(|b| dot(b, &x) == 0.0));
/// ```
pub fn gram_schmidt(basis: &[Vec<f64>], x: &mut [f64]) -> Vec<f64> {
    let mut coeffs = vec![0.0; basis.len()];
    for _ in 0..2 {
        for (c, b) in coeffs.iter_mut().zip(basis) {
            let h = dot(b, x);
            axpy(-h, b, x);
            *c += h;
        }
    }
    coeffs
}
