//! Vector kernels written for the auto-vectoriser: fixed-width chunks and several
//! independent accumulators, so the compiler emits SIMD without `unsafe`.

const LANES: usize = 8;

/// ⟨x, y⟩.
///
/// ```
/// assert_eq!(ridge_rider::linalg::kernels::dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
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
pub fn dot_naive(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * y[i];
    }
    s
}

/// ‖x‖₂.
pub fn norm(x: &[f64]) -> f64 {
    dot(x, x).sqrt()
}

/// y ← y + a·x.
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
pub fn scale(a: f64, x: &mut [f64]) {
    x.iter_mut().for_each(|v| *v *= a);
}

/// Normalise x in place; returns the norm it had.
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
