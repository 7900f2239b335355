//! Products over the tangent lanes of a sweep as a few wide gemms. A sweep of L lanes
//! multiplies every lane by the same matrix; L small gemms pay L packings and calls,
//! which dominate on small problems, where one stacked gemm pays one.
//!
//! Each lane keeps the numbers of its own product: the stacked gemm runs on the kernel
//! that one lane's product chooses ([`choose`]), and every kernel computes an element
//! from its row, its column and the inner dimension only (see [`Kernel`]).

use crate::ad::hvp::HESSIAN_LANES;
use crate::ad::pool;
use crate::kernels::skinny::{choose, Kernel};
use crate::kernels::{gemm_on, Gemm};

/// One factor of a product over lanes.
#[derive(Clone, Copy)]
pub(crate) enum Factor<'a> {
    /// The same matrix for every lane.
    Shared(&'a [f64]),
    /// One matrix per lane, laid end to end (lane-major).
    PerLane(&'a [f64]),
}

impl<'a> Factor<'a> {
    fn lane(self, l: usize, len: usize) -> &'a [f64] {
        match self {
            Factor::Shared(x) => x,
            Factor::PerLane(x) => &x[l * len..(l + 1) * len],
        }
    }
}

/// The inner dimension `matrixmultiply` sums in one pass (its f64 `KC`). Past it, a
/// β = 1 product adds C between passes, so a sum formed outside the kernel and added
/// afterwards would round differently.
const ONE_PASS: usize = 256;

/// c_l ← op(a_l)·op(b_l) + β·c_l for every lane l (c lane-major, each m×n; α = 1), where
/// one factor is shared: one gemm on the kernel of a single lane's m×k·k×n product.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lanes_gemm(
    lanes: usize,
    (m, k, n): (usize, usize, usize),
    a: Factor<'_>,
    ta: bool,
    b: Factor<'_>,
    tb: bool,
    beta: f64,
    c: &mut [f64],
) {
    let kernel = choose(m, k, n, ta);
    let one_by_one = |c: &mut [f64]| {
        for (l, cl) in c.chunks_exact_mut((m * n).max(1)).take(lanes).enumerate() {
            gemm_on(
                kernel,
                &Gemm {
                    m,
                    k,
                    n,
                    alpha: 1.0,
                    a: a.lane(l, m * k),
                    a_transposed: ta,
                    b: b.lane(l, k * n),
                    b_transposed: tb,
                    beta,
                },
                cl,
            );
        }
    };
    if lanes <= 1 || m * n * k == 0 {
        return one_by_one(c);
    }
    match (a, b) {
        // Lanes of op(a) stacked: (lanes·m)×k times op(b) is lane-major as it stands.
        (Factor::PerLane(a), Factor::Shared(b)) if !ta => gemm_on(
            kernel,
            &Gemm { m: lanes * m, k, n, alpha: 1.0, a, a_transposed: false, b, b_transposed: tb, beta },
            c,
        ),
        (Factor::PerLane(a), Factor::Shared(b)) => {
            // Stored k×m each: side by side they are the transpose of the stack.
            let parts: Vec<&[f64]> = a.chunks_exact(m * k).collect();
            let wide = hstack(&parts, k, m);
            gemm_on(
                kernel,
                &Gemm { m: lanes * m, k, n, alpha: 1.0, a: &wide, a_transposed: true, b, b_transposed: tb, beta },
                c,
            );
            pool::give(wide);
        }
        (Factor::Shared(a), Factor::PerLane(b)) if beta == 0.0 || kernel != Kernel::General || k <= ONE_PASS => {
            // op(a)·[op(b₁) | … | op(b_L)]: m × (lanes·n), lane-major when m = 1.
            // Stacked, the lanes of op(b) are the transpose of [op(b₁) | …] as they stand
            // when op(b) is stored transposed or is a column.
            let stacked = (!tb && n > 1).then(|| hstack(&b.chunks_exact(k * n).collect::<Vec<_>>(), k, n));
            let (wide_b, wide_tb): (&[f64], bool) = match &stacked {
                Some(s) => (s, false),
                None => (b, true),
            };
            if m == 1 {
                gemm_on(
                    kernel,
                    &Gemm {
                        m: 1,
                        k,
                        n: lanes * n,
                        alpha: 1.0,
                        a,
                        a_transposed: ta,
                        b: wide_b,
                        b_transposed: wide_tb,
                        beta,
                    },
                    c,
                );
            } else {
                let mut out = pool::scratch(m * lanes * n);
                gemm_on(
                    kernel,
                    &Gemm {
                        m,
                        k,
                        n: lanes * n,
                        alpha: 1.0,
                        a,
                        a_transposed: ta,
                        b: wide_b,
                        b_transposed: wide_tb,
                        beta: 0.0,
                    },
                    &mut out,
                );
                if beta == 0.0 {
                    hsplit_into(&out, m, n, lanes, c);
                } else {
                    // β = 1: round(c + ab), as the kernel's own epilogue rounds it.
                    for (l, cl) in c.chunks_exact_mut(m * n).take(lanes).enumerate() {
                        add_block(cl, &out, m, n, lanes, l);
                    }
                }
                pool::give(out);
            }
            stacked.into_iter().for_each(pool::give);
        }
        _ => one_by_one(c),
    }
}

/// Runs of lane groups that share a kernel: (first block, blocks, kernel). The blocks
/// come in groups of `group_sizes` (a sweep's lanes in groups of [`HESSIAN_LANES`],
/// so that any sweep decides as the sweeps of `ad::hessian` do); `decide` gives the
/// kernel of a group from its block count.
pub(crate) fn runs(group_sizes: &[usize], decide: impl Fn(usize) -> Kernel) -> Vec<(usize, usize, Kernel)> {
    let mut out: Vec<(usize, usize, Kernel)> = Vec::new();
    let mut first = 0;
    for &size in group_sizes {
        let kernel = decide(size);
        match out.last_mut() {
            Some(last) if last.2 == kernel => last.1 += size,
            _ => out.push((first, size, kernel)),
        }
        first += size;
    }
    out
}

/// `lanes` in groups of [`HESSIAN_LANES`], the last one shorter.
pub(crate) fn lane_groups(lanes: usize) -> Vec<usize> {
    (0..lanes).step_by(HESSIAN_LANES).map(|s| (lanes - s).min(HESSIAN_LANES)).collect()
}

/// Side by side: `parts` (each rows×cols) → rows × (parts·cols).
pub(crate) fn hstack(parts: &[&[f64]], rows: usize, cols: usize) -> Vec<f64> {
    let w = parts.len() * cols;
    let mut out = pool::scratch(rows * w);
    for (p, part) in parts.iter().enumerate() {
        for r in 0..rows {
            out[r * w + p * cols..r * w + (p + 1) * cols].copy_from_slice(&part[r * cols..(r + 1) * cols]);
        }
    }
    out
}

/// The inverse of [`hstack`]: rows × (count·cols) → `out`, the `count` blocks of
/// rows×cols laid end to end.
pub(crate) fn hsplit_into(wide: &[f64], rows: usize, cols: usize, count: usize, out: &mut [f64]) {
    let w = count * cols;
    for p in 0..count {
        for r in 0..rows {
            let dst = (p * rows + r) * cols;
            out[dst..dst + cols].copy_from_slice(&wide[r * w + p * cols..r * w + (p + 1) * cols]);
        }
    }
}

/// dst (rows×cols) += block `p` of the side-by-side rows × (count·cols) matrix `wide`.
pub(crate) fn add_block(dst: &mut [f64], wide: &[f64], rows: usize, cols: usize, count: usize, p: usize) {
    let w = count * cols;
    for r in 0..rows {
        let src = &wide[r * w + p * cols..r * w + (p + 1) * cols];
        dst[r * cols..(r + 1) * cols].iter_mut().zip(src).for_each(|(d, s)| *d += s);
    }
}
