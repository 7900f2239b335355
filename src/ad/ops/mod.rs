//! The operations of the tape. Each file defines, for its operations, the primal, the
//! tangent (forward mode) and the adjoint with its tangent (forward-over-reverse), in
//! one place.

mod custom;
pub(crate) mod elementwise;
mod lanes;
pub(crate) mod linear;
pub(crate) mod matmul;
pub(crate) mod softmax;
pub(crate) mod unary;
mod var_ops;
mod var_vocab;

pub use custom::ElementwiseFn;
pub use elementwise::{Binary, Unary};
pub(crate) use linear::LinearMap;
pub use matmul::{matmul_into, Operand};
pub use var_vocab::IntoVar;

use super::tape::{Adjoints, Node, NodeId, Tangents, Var};
use std::sync::Arc;

/// How a node was computed from its inputs.
pub(crate) enum Op {
    Leaf,
    /// Another node's value (shared, not copied) with no inputs
    /// ([`Var::stop_gradient`]): like a constant it is inactive, so no tangent reaches
    /// it and no adjoint leaves it. `pooled`: the value came from the buffer pool (a
    /// computed node's), not from the caller (a parameter's).
    Detached {
        pooled: bool,
    },
    /// y = f(x) elementwise, or y = f(x + b) for a row `bias` b broadcast over the rows;
    /// `d1 = f'` and (tangent mode) `d2 = f''` at the argument are cached.
    Unary {
        x: NodeId,
        bias: Option<NodeId>,
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

impl Op {
    /// Whether the node's value was taken from the buffer pool, so that its last holder
    /// may give it back: a leaf's came from the caller.
    pub(crate) fn value_is_pooled(&self) -> bool {
        match self {
            Op::Leaf => false,
            Op::Detached { pooled } => *pooled,
            _ => true,
        }
    }
    /// Give the derivative caches back to the buffer pool.
    pub(crate) fn recycle(&mut self) {
        if let Op::Unary { d1, d2, .. } = self {
            crate::ad::pool::give(std::mem::take(d1));
            crate::ad::pool::give(std::mem::take(d2));
        }
    }
}

/// A snapshot of an input node, taken out of the tape's borrow.
pub(crate) struct Input {
    pub(crate) id: NodeId,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) value: Arc<Vec<f64>>,
    pub(crate) active: bool,
}

impl Input {
    pub(crate) fn of(v: Var<'_>) -> Input {
        let nodes = v.tape.nodes.borrow();
        let n = &nodes[v.id];
        Input { id: v.id, rows: n.rows, cols: n.cols, value: n.value.clone(), active: n.active }
    }
    pub(crate) fn len(&self) -> usize {
        self.rows * self.cols
    }
}

/// Lane `l` of a tangent buffer of `len`-element lanes, or `None` for a constant.
pub(crate) fn lane(t: Option<&[f64]>, len: usize, l: usize) -> Option<&[f64]> {
    t.map(|t| &t[l * len..(l + 1) * len])
}

/// Panics with a readable message when two tensors come from different tapes.
pub(crate) fn same_tape(a: Var<'_>, b: Var<'_>) {
    assert!(std::ptr::eq(a.tape, b.tape), "operands come from different tapes");
}

/// One step of the forward tangent sweep: the `lanes` tangents of (active, computed)
/// node `id` from its inputs' tangents, which come earlier in `tangents`.
pub(crate) fn tangent(nodes: &[Node], tangents: &Tangents, id: NodeId, lanes: usize) -> Vec<f64> {
    match &nodes[id].op {
        Op::Leaf | Op::Detached { .. } => crate::ad::pool::zeroed(lanes * nodes[id].len()),
        Op::Unary { x, bias, d1, .. } => unary::unary_tangent(
            d1,
            tangents[*x].as_deref(),
            bias.map(|b| (nodes[*x].cols, tangents[b].as_deref())),
            lanes,
        ),
        Op::Binary { a, b, f } => elementwise::binary_tangent(nodes, tangents, id, *a, *b, *f, lanes),
        Op::MatMul { a, b } => matmul::tangent(nodes, tangents, *a, *b, lanes),
        Op::Linear { x, map } => linear::tangent(nodes, tangents, id, *x, map, lanes),
        Op::Concat { parts } => linear::concat_tangent(nodes, tangents, parts, lanes),
        Op::LogSoftmax { x } => softmax::tangent(nodes, tangents, id, *x, lanes),
    }
}

/// One step of the reverse sweep: push node `id`'s adjoint (and its tangents) to its inputs.
pub(crate) fn backward(
    nodes: &[Node],
    tangents: &Tangents,
    id: NodeId,
    ybar: &[f64],
    ybar_t: Option<&[f64]>,
    adj: &mut Adjoints,
) {
    let t = |i: NodeId| tangents.get(i).and_then(|t| t.as_deref());
    match &nodes[id].op {
        Op::Leaf | Op::Detached { .. } => {}
        Op::Unary { x, bias, d1, d2 } => {
            unary::unary_backward(nodes, (*x, t(*x)), bias.map(|b| (b, t(b))), d1, d2, ybar, ybar_t, adj)
        }
        Op::Binary { a, b, f } => {
            elementwise::binary_backward(nodes, id, (*a, t(*a)), (*b, t(*b)), *f, ybar, ybar_t, adj)
        }
        Op::MatMul { a, b } => matmul::backward(nodes, (*a, t(*a)), (*b, t(*b)), ybar, ybar_t, adj),
        Op::Linear { x, map } => linear::backward(nodes, *x, map, ybar, ybar_t, adj),
        Op::Concat { parts } => linear::concat_backward(nodes, parts, ybar, ybar_t, adj),
        Op::LogSoftmax { x } => softmax::backward(nodes, id, t(id), *x, ybar, ybar_t, adj),
    }
}
