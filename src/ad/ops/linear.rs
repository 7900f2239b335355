//! Fixed linear maps y = M·x: sums, means, gathers, slices, reshapes, transposes,
//! concatenation. For a linear map the tangent is the same map applied to the
//! tangent, and the adjoint (and its tangent) is the transposed map.

use super::{Input, Op};
use crate::ad::tape::{Adjoints, Computed, Node, NodeId, Tangents, Var};

/// A linear map from a `rows × cols` input.
#[derive(Clone, Debug)]
pub(crate) enum LinearMap {
    /// Σ of all elements → 1×1.
    Sum,
    /// Mean of all elements → 1×1.
    Mean,
    /// Sum of each row → rows×1.
    RowSums,
    /// Sum of each column → 1×cols.
    ColSums,
    /// y_i = x.flat[idx_i] → len×1.
    Gather(Vec<usize>),
    /// A contiguous range of the flat buffer, reshaped.
    Slice { start: usize },
    /// Same buffer, another shape.
    Reshape,
    /// xᵀ.
    Transpose,
}

impl LinearMap {
    fn apply(&self, x: &[f64], rows: usize, cols: usize, y: &mut [f64]) {
        match self {
            LinearMap::Sum => y[0] = x.iter().sum(),
            LinearMap::Mean => y[0] = x.iter().sum::<f64>() / x.len().max(1) as f64,
            LinearMap::RowSums => {
                y.fill(0.0); // rows of no columns sum to 0
                for (yi, row) in y.iter_mut().zip(x.chunks_exact(cols.max(1))) {
                    *yi = row.iter().sum();
                }
            }
            LinearMap::ColSums => {
                y.fill(0.0);
                for row in x.chunks_exact(cols.max(1)) {
                    for (yj, xj) in y.iter_mut().zip(row) {
                        *yj += xj;
                    }
                }
            }
            LinearMap::Gather(idx) => {
                for (yi, &i) in y.iter_mut().zip(idx) {
                    *yi = x[i];
                }
            }
            LinearMap::Slice { start } => {
                let n = y.len();
                y.copy_from_slice(&x[*start..start + n])
            }
            LinearMap::Reshape => y.copy_from_slice(x),
            LinearMap::Transpose => {
                for i in 0..rows {
                    for j in 0..cols {
                        y[j * rows + i] = x[i * cols + j];
                    }
                }
            }
        }
    }

    /// x̄ += Mᵀ·ȳ.
    fn transpose_add(&self, ybar: &[f64], rows: usize, cols: usize, xbar: &mut [f64]) {
        match self {
            LinearMap::Sum => xbar.iter_mut().for_each(|x| *x += ybar[0]),
            LinearMap::Mean => {
                let s = ybar[0] / xbar.len().max(1) as f64;
                xbar.iter_mut().for_each(|x| *x += s)
            }
            LinearMap::RowSums => {
                for (row, &yb) in xbar.chunks_exact_mut(cols.max(1)).zip(ybar) {
                    row.iter_mut().for_each(|x| *x += yb);
                }
            }
            LinearMap::ColSums => {
                for row in xbar.chunks_exact_mut(cols.max(1)) {
                    for (x, yb) in row.iter_mut().zip(ybar) {
                        *x += yb;
                    }
                }
            }
            LinearMap::Gather(idx) => {
                for (&yb, &i) in ybar.iter().zip(idx) {
                    xbar[i] += yb;
                }
            }
            LinearMap::Slice { start } => {
                for (x, yb) in xbar[*start..start + ybar.len()].iter_mut().zip(ybar) {
                    *x += yb;
                }
            }
            LinearMap::Reshape => xbar.iter_mut().zip(ybar).for_each(|(x, yb)| *x += yb),
            LinearMap::Transpose => {
                for i in 0..rows {
                    for j in 0..cols {
                        xbar[i * cols + j] += ybar[j * rows + i];
                    }
                }
            }
        }
    }
}

pub(crate) fn linear(x: Var<'_>, map: LinearMap, out_rows: usize, out_cols: usize) -> Var<'_> {
    let tape = x.tape;
    let xi = Input::of(x);
    let n = out_rows * out_cols;
    // Every map writes each output element, so the buffer need not be zeroed.
    let mut value = crate::ad::pool::scratch(n);
    map.apply(&xi.value, xi.rows, xi.cols, &mut value);
    let op = Op::Linear { x: xi.id, map };
    tape.push(Computed { op, rows: out_rows, cols: out_cols, value }, xi.active)
}

/// ẏ = M·ẋ.
pub(crate) fn tangent(
    nodes: &[Node],
    tangents: &Tangents,
    y: NodeId,
    x: NodeId,
    map: &LinearMap,
    lanes: usize,
) -> Vec<f64> {
    let (n, m) = (nodes[y].len(), nodes[x].len());
    let Some(xt) = tangents[x].as_deref() else {
        return crate::ad::pool::zeroed(lanes * n);
    };
    let mut t = crate::ad::pool::scratch(lanes * n);
    for l in 0..lanes {
        map.apply(&xt[l * m..(l + 1) * m], nodes[x].rows, nodes[x].cols, &mut t[l * n..(l + 1) * n]);
    }
    t
}

pub(crate) fn backward(
    nodes: &[Node],
    x: NodeId,
    map: &LinearMap,
    ybar: &[f64],
    ybar_t: Option<&[f64]>,
    adj: &mut Adjoints,
) {
    let (rows, cols) = (nodes[x].rows, nodes[x].cols);
    let (n, m) = (nodes[x].len(), ybar.len());
    let (xbar, xbar_t) = adj.both(nodes, x);
    map.transpose_add(ybar, rows, cols, xbar);
    if let (Some(xbar_t), Some(ybar_t)) = (xbar_t, ybar_t) {
        for l in 0..xbar_t.len() / n.max(1) {
            map.transpose_add(&ybar_t[l * m..(l + 1) * m], rows, cols, &mut xbar_t[l * n..(l + 1) * n]);
        }
    }
}

pub(crate) fn concat<'t>(parts: &[Var<'t>]) -> Var<'t> {
    assert!(!parts.is_empty(), "concat: no parts");
    let tape = parts[0].tape;
    let inputs: Vec<Input> = parts
        .iter()
        .map(|&p| {
            super::same_tape(parts[0], p);
            Input::of(p)
        })
        .collect();
    let cols = inputs[0].cols;
    assert!(inputs.iter().all(|i| i.cols == cols), "concat: parts must have equal column counts");
    let rows: usize = inputs.iter().map(|i| i.rows).sum();
    let value: Vec<f64> = inputs.iter().flat_map(|i| i.value.iter().copied()).collect();
    debug_assert_eq!(value.len(), rows * cols);
    let active = inputs.iter().any(|i| i.active);
    let op = Op::Concat { parts: inputs.iter().map(|i| i.id).collect() };
    tape.push(Computed { op, rows, cols, value }, active)
}

/// The parts' tangents laid end to end, lane by lane.
pub(crate) fn concat_tangent(nodes: &[Node], tangents: &Tangents, parts: &[NodeId], lanes: usize) -> Vec<f64> {
    let n: usize = parts.iter().map(|&p| nodes[p].len()).sum();
    let mut t = Vec::with_capacity(lanes * n);
    for l in 0..lanes {
        for &p in parts {
            match super::lane(tangents[p].as_deref(), nodes[p].len(), l) {
                Some(tl) => t.extend_from_slice(tl),
                None => t.extend(std::iter::repeat(0.0).take(nodes[p].len())),
            }
        }
    }
    t
}

pub(crate) fn concat_backward(
    nodes: &[Node],
    parts: &[NodeId],
    ybar: &[f64],
    ybar_t: Option<&[f64]>,
    adj: &mut Adjoints,
) {
    let m = ybar.len();
    let mut offset = 0;
    for &p in parts {
        let n = nodes[p].len();
        if nodes[p].active {
            let (xbar, xbar_t) = adj.both(nodes, p);
            xbar.iter_mut().zip(&ybar[offset..offset + n]).for_each(|(x, y)| *x += y);
            if let (Some(xbar_t), Some(ybar_t)) = (xbar_t, ybar_t) {
                for l in 0..xbar_t.len() / n.max(1) {
                    let src = &ybar_t[l * m + offset..l * m + offset + n];
                    xbar_t[l * n..(l + 1) * n].iter_mut().zip(src).for_each(|(x, y)| *x += y);
                }
            }
        }
        offset += n;
    }
}
