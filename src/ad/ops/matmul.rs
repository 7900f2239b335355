//! Matrix product C = A·B through `matrixmultiply`. Forward-over-reverse needs only
//! more gemms: Ċ = ȦB + AḂ, Ā = C̄Bᵀ, B̄ = AᵀC̄, and their tangents
//! Ā̇ = C̄̇Bᵀ + C̄Ḃᵀ, B̄̇ = ȦᵀC̄ + AᵀC̄̇. When A is a sparse constant (data), Ȧ = 0 and
//! the three products with A (C, Ċ, B̄ and B̄̇) run sparse instead.

use super::lanes::{add_block, hsplit_into, hstack, lane_groups, lanes_gemm, runs, Factor};
use super::{same_tape, Input, Op};
use crate::ad::pool;
use crate::ad::tape::{Adjoints, Computed, Node, NodeId, Tangents, Var};
use crate::kernels::skinny;
use crate::kernels::{gemm, gemm_on, Gemm};

/// One operand of [`matmul_into`]: `rows × cols` after the optional transpose of the
/// row-major buffer `data`.
#[derive(Clone, Copy, Debug)]
pub struct Operand<'a> {
    pub data: &'a [f64],
    pub rows: usize,
    pub cols: usize,
    /// `data` holds the transpose (a `cols × rows` row-major matrix).
    pub transposed: bool,
}

/// out ← a·b through the engine's one gemm entry point (the one every tape product
/// uses), for benchmarks and users' own kernels.
///
/// ```
/// use ridge_rider::ad::ops::{matmul_into, Operand};
/// let a = [1.0, 2.0, 3.0, 4.0]; // [[1, 2], [3, 4]]
/// let mut out = [0.0; 4];
/// let op = |transposed| Operand { data: &a, rows: 2, cols: 2, transposed };
/// matmul_into(op(true), op(false), &mut out).unwrap(); // aᵀ·a
/// assert_eq!(out, [10.0, 14.0, 14.0, 20.0]);
/// ```
pub fn matmul_into(a: Operand<'_>, b: Operand<'_>, out: &mut [f64]) -> Result<(), crate::ad::AdError> {
    use crate::ad::AdError::DimensionMismatch;
    let (m, k, n) = (a.rows, a.cols, b.cols);
    for (what, expected, got) in
        [("b rows", k, b.rows), ("a", m * k, a.data.len()), ("b", k * n, b.data.len()), ("out", m * n, out.len())]
    {
        if expected != got {
            return Err(DimensionMismatch { what, expected, got });
        }
    }
    gemm(
        &Gemm {
            m,
            k,
            n,
            alpha: 1.0,
            a: a.data,
            a_transposed: a.transposed,
            b: b.data,
            b_transposed: b.transposed,
            beta: 0.0,
        },
        out,
    );
    Ok(())
}

pub(crate) fn matmul<'t>(a: Var<'t>, b: Var<'t>) -> Var<'t> {
    same_tape(a, b);
    let tape = a.tape;
    let (ai, bi) = (Input::of(a), Input::of(b));
    assert_eq!(ai.cols, bi.rows, "matmul: {}×{} times {}×{}", ai.rows, ai.cols, bi.rows, bi.cols);
    let (m, k, n) = (ai.rows, ai.cols, bi.cols);
    let mut value = pool::scratch(m * n);
    match &tape.nodes.borrow()[ai.id].sparse {
        Some(s) => s.mul(&bi.value, n, &mut value, false),
        None => gemm(
            &Gemm {
                m,
                k,
                n,
                alpha: 1.0,
                a: &ai.value,
                a_transposed: false,
                b: &bi.value,
                b_transposed: false,
                beta: 0.0,
            },
            &mut value,
        ),
    }
    let op = Op::MatMul { a: ai.id, b: bi.id };
    tape.push(Computed { op, rows: m, cols: n, value }, ai.active || bi.active)
}

/// Ċ = ȦB + AḂ per lane, each term one gemm over all lanes; data times weights (Ȧ = 0)
/// is one wide gemm A·[Ḃ₁ | … | Ḃₖ], which packs A once for all lanes.
pub(crate) fn tangent(nodes: &[Node], tangents: &Tangents, a: NodeId, b: NodeId, lanes: usize) -> Vec<f64> {
    let (na, nb) = (&nodes[a], &nodes[b]);
    let (m, k, n) = (na.rows, na.cols, nb.cols);
    let (at, bt) = (tangents[a].as_deref(), tangents[b].as_deref());
    if let (None, Some(bt), Some(s)) = (at, bt, &na.sparse) {
        let mut t = pool::scratch(lanes * m * n);
        for (tl, btl) in t.chunks_exact_mut((m * n).max(1)).zip(bt.chunks_exact((k * n).max(1))) {
            s.mul(btl, n, tl, false);
        }
        return t;
    }
    if let (None, Some(bt), true) = (at, bt, lanes > 1) {
        return data_times_tangents(&na.value, bt, (m, k, n), lanes);
    }
    let mut t = pool::zeroed(lanes * m * n);
    if let Some(at) = at {
        lanes_gemm(lanes, (m, k, n), Factor::PerLane(at), false, Factor::Shared(&nb.value), false, 1.0, &mut t);
    }
    if let Some(bt) = bt {
        lanes_gemm(lanes, (m, k, n), Factor::Shared(&na.value), false, Factor::PerLane(bt), false, 1.0, &mut t);
    }
    t
}

/// A·[Ḃ₁ | … | Ḃₖ] for a constant A. The kernel is chosen per group of lanes on the
/// group's width, as a sweep of that many lanes chooses it (a lone last lane as a
/// one-lane sweep does), and neighbouring groups on the same kernel share one gemm.
fn data_times_tangents(a: &[f64], bt: &[f64], (m, k, n): (usize, usize, usize), lanes: usize) -> Vec<f64> {
    let mut t = pool::scratch(lanes * m * n);
    let mut groups = lane_groups(lanes);
    let lone = lanes > 1 && groups.last() == Some(&1);
    if lone {
        groups.pop();
    }
    for (first, count, kernel) in runs(&groups, |g| skinny::choose(m, k, g * n, false)) {
        let parts: Vec<&[f64]> = bt[first * k * n..(first + count) * k * n].chunks_exact((k * n).max(1)).collect();
        let wide_b = hstack(&parts, k, n);
        let mut out = pool::scratch(m * count * n);
        gemm_on(
            kernel,
            &Gemm {
                m,
                k,
                n: count * n,
                alpha: 1.0,
                a,
                a_transposed: false,
                b: &wide_b,
                b_transposed: false,
                beta: 0.0,
            },
            &mut out,
        );
        pool::give(wide_b);
        hsplit_into(&out, m, n, count, &mut t[first * m * n..(first + count) * m * n]);
        pool::give(out);
    }
    if lone {
        let last = &mut t[(lanes - 1) * m * n..];
        last.fill(0.0);
        gemm(
            &Gemm {
                m,
                k,
                n,
                alpha: 1.0,
                a,
                a_transposed: false,
                b: &bt[(lanes - 1) * k * n..],
                b_transposed: false,
                beta: 1.0,
            },
            last,
        );
    }
    t
}

/// The operands are (node, its tangents). When the primal adjoints are already known
/// (a replayed tangent sweep), only the tangent gemms run: half the work.
pub(crate) fn backward(
    nodes: &[Node],
    (a, at): (NodeId, Option<&[f64]>),
    (b, bt): (NodeId, Option<&[f64]>),
    cbar: &[f64],
    cbar_t: Option<&[f64]>,
    adj: &mut Adjoints,
) {
    let (na, nb) = (&nodes[a], &nodes[b]);
    let (m, k, n) = (na.rows, na.cols, nb.cols);
    let lanes = adj.lanes;
    let known = adj.primal_known;
    if na.active {
        let (abar, abar_t) = adj.both(nodes, a);
        if !known {
            gemm(
                &Gemm {
                    m,
                    k: n,
                    n: k,
                    alpha: 1.0,
                    a: cbar,
                    a_transposed: false,
                    b: &nb.value,
                    b_transposed: true,
                    beta: 1.0,
                },
                abar,
            );
        }
        if let (Some(abar_t), Some(cbar_t)) = (abar_t, cbar_t) {
            let (shape, b_value) = ((m, n, k), Factor::Shared(&nb.value));
            lanes_gemm(lanes, shape, Factor::PerLane(cbar_t), false, b_value, true, 1.0, abar_t);
            if let Some(bt) = bt {
                lanes_gemm(lanes, shape, Factor::Shared(cbar), false, Factor::PerLane(bt), true, 1.0, abar_t);
            }
        }
    }
    if nb.active {
        let (bbar, bbar_t) = adj.both(nodes, b);
        if let Some(s) = &na.sparse {
            // A is data: Ȧ = 0, so B̄ += AᵀC̄ and B̄̇ₗ += AᵀC̄̇ₗ.
            if !known {
                s.transpose_mul_add(cbar, n, bbar);
            }
            if let (Some(bbar_t), Some(cbar_t)) = (bbar_t, cbar_t) {
                for (dst, src) in bbar_t.chunks_exact_mut((k * n).max(1)).zip(cbar_t.chunks_exact((m * n).max(1))) {
                    s.transpose_mul_add(src, n, dst);
                }
            }
            return;
        }
        match (bbar_t, cbar_t) {
            (Some(bbar_t), Some(cbar_t)) => {
                // [B̄ | B̄̇₁ | …] += Aᵀ·[C̄ | C̄̇₁ | …] in wide gemms (without C̄ when it is
                // known; the kernel chosen per group of lanes, C̄ joining the first), then
                // Ȧₗᵀ·C̄ for all lanes.
                let primal = usize::from(!known);
                let blocks: Vec<&[f64]> =
                    (!known).then_some(cbar).into_iter().chain(cbar_t.chunks_exact((m * n).max(1))).collect();
                let mut groups = lane_groups(lanes);
                match groups.first_mut() {
                    Some(g) => *g += primal,
                    None => groups.push(primal),
                }
                for (first, count, kernel) in runs(&groups, |g| skinny::choose(k, m, g * n, true)) {
                    let wide_c = hstack(&blocks[first..first + count], m, n);
                    let mut out = pool::scratch(k * count * n);
                    gemm_on(
                        kernel,
                        &Gemm {
                            m: k,
                            k: m,
                            n: count * n,
                            alpha: 1.0,
                            a: &na.value,
                            a_transposed: true,
                            b: &wide_c,
                            b_transposed: false,
                            beta: 0.0,
                        },
                        &mut out,
                    );
                    pool::give(wide_c);
                    for p in 0..count {
                        let dst = match (first + p).checked_sub(primal) {
                            None => &mut *bbar,
                            Some(l) => &mut bbar_t[l * k * n..(l + 1) * k * n],
                        };
                        add_block(dst, &out, k, n, count, p);
                    }
                    pool::give(out);
                }
                if let Some(at) = at {
                    lanes_gemm(lanes, (k, m, n), Factor::PerLane(at), true, Factor::Shared(cbar), false, 1.0, bbar_t);
                }
            }
            _ if !known => gemm(
                &Gemm {
                    m: k,
                    k: m,
                    n,
                    alpha: 1.0,
                    a: &na.value,
                    a_transposed: true,
                    b: cbar,
                    b_transposed: false,
                    beta: 1.0,
                },
                bbar,
            ),
            _ => {}
        }
    }
}
