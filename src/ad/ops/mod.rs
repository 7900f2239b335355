//! The operations of the tape. Each file defines, for its operations, the primal, the
//! tangent (forward mode) and the adjoint with its tangent (forward-over-reverse), in
//! one place.

pub(crate) mod elementwise;
pub(crate) mod linear;
pub(crate) mod matmul;
pub(crate) mod softmax;
mod var_ops;

pub use elementwise::{Binary, Unary};
pub(crate) use linear::LinearMap;

use super::tape::{Adjoints, Node, NodeId, Var};
use std::sync::Arc;

/// How a node was computed from its inputs.
pub(crate) enum Op {
    Leaf,
    /// y = f(x) elementwise; `d1 = f'(x)` and (tangent mode) `d2 = f''(x)` are cached.
    Unary {
        x: NodeId,
        d1: Vec<f64>,
        d2: Vec<f64>,
    },
    /// y = f(a, b) elementwise with broadcasting.
    Binary {
        a: NodeId,
        b: NodeId,
        f: Binary,
    },
    MatMul {
        a: NodeId,
        b: NodeId,
    },
    /// y = M x for a fixed linear map M (sums, gathers, slices, reshapes).
    Linear {
        x: NodeId,
        map: LinearMap,
    },
    /// Vertical concatenation (row-major buffers laid end to end).
    Concat {
        parts: Vec<NodeId>,
    },
    /// Row-wise log-softmax.
    LogSoftmax {
        x: NodeId,
    },
}

/// A snapshot of an input node, taken out of the tape's borrow.
pub(crate) struct Input {
    pub(crate) id: NodeId,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) value: Arc<Vec<f64>>,
    pub(crate) tangent: Option<Arc<Vec<f64>>>,
    pub(crate) active: bool,
}

impl Input {
    pub(crate) fn of(v: Var<'_>) -> Input {
        let nodes = v.tape.nodes.borrow();
        let n = &nodes[v.id];
        Input {
            id: v.id,
            rows: n.rows,
            cols: n.cols,
            value: n.value.clone(),
            tangent: n.tangent.clone(),
            active: n.active,
        }
    }
    pub(crate) fn len(&self) -> usize {
        self.rows * self.cols
    }
    /// Tangent lane `l`, or `None` for a constant.
    pub(crate) fn lane(&self, l: usize) -> Option<&[f64]> {
        let n = self.len();
        self.tangent.as_ref().map(|t| &t[l * n..(l + 1) * n])
    }
}

/// Panics with a readable message when two tensors come from different tapes.
pub(crate) fn same_tape(a: Var<'_>, b: Var<'_>) {
    assert!(std::ptr::eq(a.tape, b.tape), "operands come from different tapes");
}

/// One step of the reverse sweep: push node `id`'s adjoint (and its tangents) to its inputs.
pub(crate) fn backward(nodes: &[Node], id: NodeId, ybar: &[f64], ybar_t: Option<&[f64]>, adj: &mut Adjoints) {
    match &nodes[id].op {
        Op::Leaf => {}
        Op::Unary { x, d1, d2 } => elementwise::unary_backward(nodes, *x, d1, d2, ybar, ybar_t, adj),
        Op::Binary { a, b, f } => elementwise::binary_backward(nodes, id, *a, *b, *f, ybar, ybar_t, adj),
        Op::MatMul { a, b } => matmul::backward(nodes, *a, *b, ybar, ybar_t, adj),
        Op::Linear { x, map } => linear::backward(nodes, *x, map, ybar, ybar_t, adj),
        Op::Concat { parts } => linear::concat_backward(nodes, parts, ybar, ybar_t, adj),
        Op::LogSoftmax { x } => softmax::backward(nodes, id, *x, ybar, ybar_t, adj),
    }
}
