//! Row-wise log-softmax y = z − log Σ exp z, with p = softmax(z) = exp(y):
//! ẏ = ż − ⟨p, ż⟩; z̄ = ȳ − p·Σȳ; and on duals z̄̇ = ȳ̇ − ṗ·Σȳ − p·Σȳ̇ with ṗ = p ⊙ ẏ.

use super::{Input, Op};
use crate::ad::real::Real;
use crate::ad::tape::{Adjoints, Computed, Node, NodeId, Tangents, Var};

pub(crate) fn log_softmax(z: Var<'_>) -> Var<'_> {
    let tape = z.tape;
    let zi = Input::of(z);
    let (rows, cols) = (zi.rows, zi.cols);
    let n = rows * cols;
    let mut value = crate::ad::pool::scratch(n);
    for r in 0..rows {
        let row = &zi.value[r * cols..(r + 1) * cols];
        let lse = f64::log_sum_exp(row);
        for j in 0..cols {
            value[r * cols + j] = row[j] - lse;
        }
    }
    let op = Op::LogSoftmax { x: zi.id };
    tape.push(Computed { op, rows, cols, value }, zi.active)
}

/// ẏ = ż − ⟨p, ż⟩ row by row.
pub(crate) fn tangent(nodes: &[Node], tangents: &Tangents, y: NodeId, z: NodeId, lanes: usize) -> Vec<f64> {
    let (rows, cols) = (nodes[y].rows, nodes[y].cols);
    let n = rows * cols;
    let value = &nodes[y].value;
    let mut t = crate::ad::pool::zeroed(lanes * n);
    let Some(zt_all) = tangents[z].as_deref() else {
        return t;
    };
    for l in 0..lanes {
        let zt = &zt_all[l * n..(l + 1) * n];
        for r in 0..rows {
            let s = r * cols..(r + 1) * cols;
            let pz: f64 = value[s.clone()].iter().zip(&zt[s.clone()]).map(|(y, d)| y.exp() * d).sum();
            for j in s {
                t[l * n + j] = zt[j] - pz;
            }
        }
    }
    t
}

/// `yt`: the node's own forward tangents.
pub(crate) fn backward(
    nodes: &[Node],
    y: NodeId,
    yt: Option<&[f64]>,
    z: NodeId,
    ybar: &[f64],
    ybar_t: Option<&[f64]>,
    adj: &mut Adjoints,
) {
    let (rows, cols) = (nodes[y].rows, nodes[y].cols);
    let n = rows * cols;
    let yv = nodes[y].value.clone();
    let p: Vec<f64> = yv.iter().map(|v| v.exp()).collect();
    let (zbar, zbar_t) = adj.both(nodes, z);
    let row_sum = |v: &[f64], r: usize| v[r * cols..(r + 1) * cols].iter().sum::<f64>();
    for r in 0..rows {
        let s = row_sum(ybar, r);
        for j in r * cols..(r + 1) * cols {
            zbar[j] += ybar[j] - p[j] * s;
        }
    }
    if let (Some(zbar_t), Some(ybar_t), Some(yt)) = (zbar_t, ybar_t, yt) {
        for l in 0..zbar_t.len() / n.max(1) {
            let (ybt, ytl) = (&ybar_t[l * n..(l + 1) * n], &yt[l * n..(l + 1) * n]);
            for r in 0..rows {
                let (s, st) = (row_sum(ybar, r), row_sum(ybt, r));
                for j in r * cols..(r + 1) * cols {
                    let pdot = p[j] * ytl[j];
                    zbar_t[l * n + j] += ybt[j] - pdot * s - p[j] * st;
                }
            }
        }
    }
}
