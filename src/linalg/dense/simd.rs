//! The tridiagonal reduction's symmetric matrix-vector product, compiled for AVX2 + FMA when the CPU
//! has them (detected at run time; the crate's baseline target is plain SSE2), else
//! the portable kernels: these products are half the reduction's work.

use crate::kernels;

const LANES: usize = 8;

/// y ← A x for the symmetric m × m block of the row-major `a` (leading dimension `ld`)
/// at `off`, reading only its lower triangle: each entry serves twice, so the block
/// is streamed from memory half as often as by a row-by-row product.
pub(super) fn symv_lower(a: &[f64], off: usize, ld: usize, x: &[f64], y: &mut [f64]) {
    let m = x.len();
    assert!(y.len() == m && (m == 0 || off + (m - 1) * (ld + 1) < a.len()), "symv: shapes differ");
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports the features the function is compiled for.
        return unsafe { symv_fma(a, off, ld, x, y) };
    }
    symv_portable(a, off, ld, x, y)
}

fn symv_portable(a: &[f64], off: usize, ld: usize, x: &[f64], y: &mut [f64]) {
    y.fill(0.0);
    for r in 0..x.len() {
        let row = &a[off + r * ld..off + r * ld + r + 1];
        let (below, diag) = row.split_at(r);
        let s = kernels::dot(below, &x[..r]);
        kernels::axpy(x[r], below, &mut y[..r]);
        y[r] += s + diag[0] * x[r];
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn symv_fma(a: &[f64], off: usize, ld: usize, x: &[f64], y: &mut [f64]) {
    y.fill(0.0);
    for r in 0..x.len() {
        let row = &a[off + r * ld..off + r * ld + r + 1];
        let (below, diag) = row.split_at(r);
        let xr = x[r];
        let mut acc = [0.0; LANES];
        let (lc, xc) = (below.chunks_exact(LANES), x[..r].chunks_exact(LANES));
        let (lr, xrem) = (lc.remainder(), xc.remainder());
        let mut yc = y[..r].chunks_exact_mut(LANES);
        for ((l, xv), yv) in lc.zip(xc).zip(&mut yc) {
            for i in 0..LANES {
                acc[i] = l[i].mul_add(xv[i], acc[i]);
                yv[i] = xr.mul_add(l[i], yv[i]);
            }
        }
        let mut s: f64 = acc.iter().sum();
        for ((l, xv), yv) in lr.iter().zip(xrem).zip(yc.into_remainder()) {
            s = l.mul_add(*xv, s);
            *yv = xr.mul_add(*l, *yv);
        }
        y[r] += diag[0].mul_add(xr, s);
    }
}
