//! Products with one small dimension: the MLP's output layer (2236×128 times 128×10)
//! and its adjoints. A general gemm packs the large operand for every such product and
//! wakes its threads for a few microseconds of work; these kernels read it once, in
//! place. Each output element is summed by one thread in a fixed order (a long
//! reduction in fixed-size chunks added in chunk order), so results do not depend on
//! the thread count.

use rayon::prelude::*;

/// A dimension at most this is "small".
const SMALL: usize = 32;
/// Products below this many multiply-adds stay with the general gemm.
const MIN_WORK: usize = 1 << 16;
/// Rows per parallel block.
const ROWS: usize = 64;
/// Length of the fixed chunks of a long reduction.
const CHUNK: usize = 128;
/// Chunks of a reduction held at once.
const PARTIALS: usize = 16;

/// The kernel a product runs on. Each computes every output element by arithmetic that
/// depends only on that element's row of op(a), column of op(b) and the inner
/// dimension, never on how many rows or columns the product has: a product over
/// several lanes stacked into one matrix gives each lane the numbers of its own product,
/// provided it runs on the kernel that product would choose ([`choose`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// `matrixmultiply`'s packed gemm.
    General,
    /// A dot product per output (few columns, a long inner dimension).
    Rows,
    /// Each output row a combination of the few rows of op(b).
    Combine,
    /// aᵀ·b with a long inner dimension, summed in fixed chunks.
    Reduce,
}

/// The kernel for an m×k by k×n product (`ta`: a is stored transposed).
pub(crate) fn choose(m: usize, k: usize, n: usize, ta: bool) -> Kernel {
    if m * k * n < MIN_WORK {
        Kernel::General
    } else if !ta && n <= SMALL && k > SMALL {
        Kernel::Rows
    } else if !ta && k <= SMALL && n > SMALL {
        Kernel::Combine
    } else if ta && n <= SMALL && m <= 4 * SMALL * SMALL && k > 4 * CHUNK {
        Kernel::Reduce
    } else {
        Kernel::General
    }
}

/// c ← α·op(a)·op(b) + β·c when one dimension is small (see [`super::gemm`]'s
/// `gemm` for the layout), on the given kernel; `false` (nothing done) for
/// [`Kernel::General`] or a layout the kernel does not take.
pub(crate) fn run(kernel: Kernel, g: &super::Gemm, c: &mut [f64]) -> bool {
    let super::Gemm { m, k, n, alpha, a, a_transposed: ta, b, b_transposed: tb, beta } = *g;
    // op(b) as k×n row-major, or its transpose as n×k, copied only when needed (small).
    let b_rows = |want_transpose: bool| -> Vec<f64> {
        match (tb, want_transpose) {
            (false, false) | (true, true) => b[..k * n].to_vec(),
            (false, true) => (0..n * k).map(|x| b[(x % k) * n + x / k]).collect(),
            (true, false) => (0..k * n).map(|x| b[(x % n) * k + x / n]).collect(),
        }
    };
    let finish = |out: &mut f64, s: f64| *out = if beta == 0.0 { alpha * s } else { alpha.mul_add(s, beta * *out) };
    if kernel == Kernel::Rows && !ta {
        // Each output is a dot product of a row of a with a column of op(b).
        let bt = b_rows(true);
        c[..m * n].par_chunks_mut(ROWS * n).enumerate().for_each(|(blk, rows)| {
            for (r, crow) in rows.chunks_exact_mut(n).enumerate() {
                let i = blk * ROWS + r;
                let arow = &a[i * k..(i + 1) * k];
                for (j, out) in crow.iter_mut().enumerate() {
                    finish(out, dot(arow, &bt[j * k..(j + 1) * k]));
                }
            }
        });
        return true;
    }
    if kernel == Kernel::Combine && !ta {
        // Each output row is a combination of the few rows of op(b).
        let bk = b_rows(false);
        c[..m * n].par_chunks_mut(ROWS * n).enumerate().for_each(|(blk, rows)| {
            let mut acc = vec![0.0; n];
            for (r, crow) in rows.chunks_exact_mut(n).enumerate() {
                let i = blk * ROWS + r;
                acc.fill(0.0);
                for kk in 0..k {
                    mul_add_row(a[i * k + kk], &bk[kk * n..(kk + 1) * n], &mut acc);
                }
                crow.iter_mut().zip(&acc).for_each(|(out, &s)| finish(out, s));
            }
        });
        return true;
    }
    if kernel == Kernel::Reduce && ta {
        // op(a) = aᵀ with a stored k×m: c = Σ over the long k of a row ⊗ op(b) row,
        // accumulated transposed (n×m) in fixed chunks of k, added in chunk order.
        let bk = b_rows(false);
        let chunk = |ch: usize| {
            let mut part = vec![0.0; n * m];
            for kk in ch * CHUNK..((ch + 1) * CHUNK).min(k) {
                let arow = &a[kk * m..(kk + 1) * m];
                for j in 0..n {
                    mul_add_row(bk[kk * n + j], arow, &mut part[j * m..(j + 1) * m]);
                }
            }
            part
        };
        // A few chunks at a time in parallel, each batch added in chunk order: the
        // same sums whatever the thread count, in bounded memory.
        let chunks = k.div_ceil(CHUNK);
        let mut total = vec![0.0; n * m];
        for first in (0..chunks).step_by(PARTIALS) {
            let parts: Vec<Vec<f64>> = (first..(first + PARTIALS).min(chunks)).into_par_iter().map(chunk).collect();
            for p in &parts {
                total.iter_mut().zip(p).for_each(|(t, x)| *t += x);
            }
        }
        for i in 0..m {
            for j in 0..n {
                finish(&mut c[i * n + j], total[j * m + i]);
            }
        }
        return true;
    }
    false
}

/// ⟨x, y⟩ with eight interleaved accumulators (lane i sums the elements ≡ i mod 8),
/// each a fused multiply-add, summed at the end in a fixed order.
fn dot(x: &[f64], y: &[f64]) -> f64 {
    #[inline(always)]
    fn body(x: &[f64], y: &[f64]) -> f64 {
        let mut acc = [0.0f64; 8];
        let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
        let (xr, yr) = (xc.remainder(), yc.remainder());
        for (a, b) in xc.zip(yc) {
            for i in 0..8 {
                acc[i] = a[i].mul_add(b[i], acc[i]);
            }
        }
        let mut s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (a, b) in xr.iter().zip(yr) {
            s = a.mul_add(*b, s);
        }
        s
    }
    crate::kernels::simd::dispatch!(body(x: &[f64], y: &[f64]) -> f64)
}

/// y ← y + s·x, one fused multiply-add per element.
fn mul_add_row(s: f64, x: &[f64], y: &mut [f64]) {
    #[inline(always)]
    fn body(s: f64, x: &[f64], y: &mut [f64]) {
        y.iter_mut().zip(x).for_each(|(y, &x)| *y = s.mul_add(x, *y));
    }
    crate::kernels::simd::dispatch!(body(s: f64, x: &[f64], y: &mut [f64]))
}

#[cfg(test)]
mod tests {
    /// Every shape the kernels take, against a naive triple loop.
    #[test]
    fn skinny_products_match_the_definition() {
        let val = |i: usize| ((i * 7919) % 1013) as f64 / 1013.0 - 0.5;
        for &(m, k, n) in &[(700, 128, 10), (700, 10, 128), (128, 2000, 20), (128, 2000, 3), (300, 300, 33)] {
            for &(ta, tb) in &[(false, false), (false, true), (true, false), (true, true)] {
                let a: Vec<f64> = (0..m * k).map(val).collect();
                let b: Vec<f64> = (0..k * n).map(|i| val(i + 17)).collect();
                let at = |i: usize, kk: usize| if ta { a[kk * m + i] } else { a[i * k + kk] };
                let bt = |kk: usize, j: usize| if tb { b[j * k + kk] } else { b[kk * n + j] };
                let c0: Vec<f64> = (0..m * n).map(|i| val(i + 5)).collect();
                for beta in [0.0, 1.0] {
                    let mut c = c0.clone();
                    if !super::run(
                        super::choose(m, k, n, ta),
                        &crate::kernels::Gemm {
                            m,
                            k,
                            n,
                            alpha: 2.0,
                            a: &a,
                            a_transposed: ta,
                            b: &b,
                            b_transposed: tb,
                            beta,
                        },
                        &mut c,
                    ) {
                        continue;
                    }
                    for i in 0..m {
                        for j in 0..n {
                            let s: f64 = (0..k).map(|kk| at(i, kk) * bt(kk, j)).sum();
                            let want = 2.0 * s + beta * c0[i * n + j];
                            assert!((c[i * n + j] - want).abs() < 1e-11, "{m}x{k}x{n} {ta} {tb} at {i},{j}");
                        }
                    }
                }
            }
        }
    }
}
