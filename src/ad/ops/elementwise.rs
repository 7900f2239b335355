//! Elementwise functions. Each is defined once, as a generic function over [`Real`];
//! its first and second derivatives come from evaluating that same definition on
//! nested duals, so no derivative is written by hand. This file has the function
//! vocabularies and the two-argument rules; the one-argument rules are in `unary.rs`.
//!
//! Large tensors are split into fixed blocks that rayon runs in parallel; no rule
//! reduces across elements in parallel, so every element is computed by the same
//! arithmetic at any thread count. Sums over a broadcast operand (a bias's adjoint)
//! run in one thread, in row order.

use super::{lane, same_tape, Input, Op};
use crate::ad::dual::Dual;
use crate::ad::pool;
use crate::ad::real::Real;
use crate::ad::tape::{Adjoints, Computed, Node, NodeId, Tangents, Var};
use rayon::prelude::*;

/// A one-argument elementwise function.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unary {
    Neg,
    Exp,
    Ln,
    Ln1p,
    Sqrt,
    Tanh,
    Sigmoid,
    Softplus,
    Relu,
    Abs,
    Powi(i32),
    Powf(f64),
    /// [`Real::sin`].
    Sin,
    /// [`Real::cos`].
    Cos,
    /// [`Real::clamp`] to `[lo, hi]`: derivative 1 on the closed interval, 0 outside.
    Clamp {
        lo: f64,
        hi: f64,
    },
}

impl Unary {
    /// The function itself, for any scalar type.
    pub fn apply<T: Real>(self, x: T) -> T {
        match self {
            Unary::Neg => -x,
            Unary::Exp => x.exp(),
            Unary::Ln => x.ln(),
            Unary::Ln1p => x.ln_1p(),
            Unary::Sqrt => x.sqrt(),
            Unary::Tanh => x.tanh(),
            Unary::Sigmoid => x.sigmoid(),
            Unary::Softplus => x.softplus(),
            Unary::Relu => x.relu(),
            Unary::Abs => x.abs(),
            Unary::Powi(n) => x.powi(n),
            Unary::Powf(p) => x.powf(p),
            Unary::Sin => x.sin(),
            Unary::Cos => x.cos(),
            Unary::Clamp { lo, hi } => x.clamp(lo, hi),
        }
    }
}

/// A two-argument elementwise function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    /// [`Real::max`]: the derivative follows the larger side, `a` at a tie.
    Max,
    /// [`Real::min`]: the derivative follows the smaller side, `a` at a tie.
    Min,
}

impl Binary {
    /// Constant partials (∂/∂a, ∂/∂b) of the linear operations, whose second
    /// derivatives vanish: the reverse sweep then needs no dual arithmetic.
    fn linear_partials(self) -> Option<(f64, f64)> {
        match self {
            Binary::Add => Some((1.0, 1.0)),
            Binary::Sub => Some((1.0, -1.0)),
            _ => None,
        }
    }
    pub fn apply<T: Real>(self, a: T, b: T) -> T {
        match self {
            Binary::Add => a + b,
            Binary::Sub => a - b,
            Binary::Mul => a * b,
            Binary::Div => a / b,
            Binary::Max => a.max(b),
            Binary::Min => a.min(b),
        }
    }
}

/// Elements per parallel block; tensors of at most one block run on the calling thread.
pub(super) const BLOCK: usize = 1 << 14;

/// Run `f(offset, block)` over `BLOCK`-sized pieces of `out`, in parallel when it is
/// larger than one block.
pub(super) fn blocks(out: &mut [f64], f: impl Fn(usize, &mut [f64]) + Sync) {
    if out.len() <= BLOCK {
        f(0, out);
    } else {
        out.par_chunks_mut(BLOCK).enumerate().for_each(|(i, b)| f(i * BLOCK, b));
    }
}

/// Shapes of a broadcasting binary operation: each operand dimension is 1 or the
/// output's. An operand's element (i, j) sits at `i·row_step + j·col_step`.
#[derive(Clone, Copy)]
struct Broadcast {
    rows: usize,
    cols: usize,
    a: (usize, usize),
    b: (usize, usize),
}

impl Broadcast {
    fn new(a: (usize, usize), b: (usize, usize)) -> Broadcast {
        let dim = |x: usize, y: usize| -> usize {
            assert!(x == y || x == 1 || y == 1, "cannot broadcast shapes {a:?} and {b:?}");
            if x == 1 {
                y
            } else {
                x
            }
        };
        Broadcast { rows: dim(a.0, b.0), cols: dim(a.1, b.1), a, b }
    }
    fn steps(shape: (usize, usize)) -> (usize, usize) {
        (if shape.0 == 1 { 0 } else { shape.1 }, usize::from(shape.1 != 1))
    }
    /// Whether neither operand is broadcast.
    fn same_shape(self) -> bool {
        self.a == (self.rows, self.cols) && self.b == (self.rows, self.cols)
    }
    /// `f(output index, a index, b index)` for every output element, in row-major order.
    #[inline]
    fn for_each(self, mut f: impl FnMut(usize, usize, usize)) {
        let ((ar, ac), (br, bc)) = (Self::steps(self.a), Self::steps(self.b));
        for i in 0..self.rows {
            for j in 0..self.cols {
                f(i * self.cols + j, i * ar + j * ac, i * br + j * bc);
            }
        }
    }
}

pub(crate) fn binary<'t>(a: Var<'t>, b: Var<'t>, f: Binary) -> Var<'t> {
    same_tape(a, b);
    let tape = a.tape;
    let (ai, bi) = (Input::of(a), Input::of(b));
    let bc = Broadcast::new((ai.rows, ai.cols), (bi.rows, bi.cols));
    let mut value = pool::scratch(bc.rows * bc.cols);
    let (av, bv): (&[f64], &[f64]) = (&ai.value, &bi.value);
    if bc.same_shape() {
        blocks(&mut value, |o, out| out.iter_mut().enumerate().for_each(|(i, y)| *y = f.apply(av[o + i], bv[o + i])));
    } else {
        bc.for_each(|k, ia, ib| value[k] = f.apply(av[ia], bv[ib]));
    }
    let active = ai.active || bi.active;
    let op = Op::Binary { a: ai.id, b: bi.id, f };
    tape.push(Computed { op, rows: bc.rows, cols: bc.cols, value }, active)
}

/// ẏ = f(a + εȧ, b + εḃ).eps: the function run once on duals.
pub(crate) fn binary_tangent(
    nodes: &[Node],
    tangents: &Tangents,
    y: NodeId,
    a: NodeId,
    b: NodeId,
    f: Binary,
    lanes: usize,
) -> Vec<f64> {
    let (na, nb) = (&nodes[a], &nodes[b]);
    let bc = Broadcast::new((na.rows, na.cols), (nb.rows, nb.cols));
    let n = nodes[y].len();
    let mut t = pool::scratch(lanes * n);
    let (av, bv): (&[f64], &[f64]) = (&na.value, &nb.value);
    for l in 0..lanes {
        let at = lane(tangents[a].as_deref(), na.len(), l);
        let bt = lane(tangents[b].as_deref(), nb.len(), l);
        let tl = &mut t[l * n..(l + 1) * n];
        let rule = |ia: usize, ib: usize| {
            let da = at.map_or(0.0, |t| t[ia]);
            let db = bt.map_or(0.0, |t| t[ib]);
            f.apply(Dual::new(av[ia], da), Dual::new(bv[ib], db)).eps
        };
        if bc.same_shape() {
            blocks(tl, |o, out| out.iter_mut().enumerate().for_each(|(i, y)| *y = rule(o + i, o + i)));
        } else {
            bc.for_each(|k, ia, ib| tl[k] = rule(ia, ib));
        }
    }
    t
}

/// The operands are (node, its tangents).
#[allow(clippy::too_many_arguments)]
pub(crate) fn binary_backward(
    nodes: &[Node],
    y: NodeId,
    (a, a_tangent): (NodeId, Option<&[f64]>),
    (b, b_tangent): (NodeId, Option<&[f64]>),
    f: Binary,
    ybar: &[f64],
    ybar_t: Option<&[f64]>,
    adj: &mut Adjoints,
) {
    let (na, nb) = (&nodes[a], &nodes[b]);
    let bc = Broadcast::new((na.rows, na.cols), (nb.rows, nb.cols));
    let n = nodes[y].len();
    let lanes = adj.lanes;
    let (av, bv): (&[f64], &[f64]) = (&na.value, &nb.value);
    // Each operand in turn (they may be the same node, as in x·x).
    for (which, target) in [(0usize, a), (1usize, b)] {
        if !nodes[target].active {
            continue;
        }
        let tn = nodes[target].len();
        // Whether this operand has the output's shape: then its updates are
        // elementwise and run in parallel blocks.
        let full = tn == n && (if which == 0 { bc.a } else { bc.b }) == (bc.rows, bc.cols);
        let pick = |ia: usize, ib: usize| if which == 0 { ia } else { ib };
        let (xbar, xbar_t) = adj.both(nodes, target);
        // The partial of f at output element k (operand indices ia, ib), and with the
        // tangents of lane l, the partial's tangent: outer ε the partial, inner ε the
        // tangent direction.
        let seed = |w: usize| if w == which { 1.0 } else { 0.0 };
        let linear = f.linear_partials().map(|p| if which == 0 { p.0 } else { p.1 });
        let partial = |ia: usize, ib: usize| match linear {
            Some(p) => p,
            None => f.apply(Dual::new(av[ia], seed(0)), Dual::new(bv[ib], seed(1))).eps,
        };
        if full && bc.same_shape() {
            blocks(xbar, |o, xb| {
                xb.iter_mut().enumerate().for_each(|(i, x)| *x += ybar[o + i] * partial(o + i, o + i))
            });
        } else if let Some(p) = linear {
            bc.for_each(|k, ia, ib| xbar[pick(ia, ib)] += p * ybar[k]);
        } else {
            bc.for_each(|k, ia, ib| xbar[pick(ia, ib)] += ybar[k] * partial(ia, ib));
        }
        let (Some(xbar_t), Some(ybar_t)) = (xbar_t, ybar_t) else {
            continue;
        };
        for l in 0..lanes {
            let at = lane(a_tangent, na.len(), l);
            let bt = lane(b_tangent, nb.len(), l);
            let (xt, yt) = (&mut xbar_t[l * tn..(l + 1) * tn], &ybar_t[l * n..(l + 1) * n]);
            let second = |k: usize, ia: usize, ib: usize| {
                let da = Dual::new(av[ia], at.map_or(0.0, |t| t[ia]));
                let db = Dual::new(bv[ib], bt.map_or(0.0, |t| t[ib]));
                let p = f.apply(Dual::new(da, Dual::new(seed(0), 0.0)), Dual::new(db, Dual::new(seed(1), 0.0))).eps;
                yt[k] * p.re + ybar[k] * p.eps
            };
            match linear {
                Some(p) if full && bc.same_shape() => {
                    blocks(xt, |o, xb| xb.iter_mut().enumerate().for_each(|(i, x)| *x += p * yt[o + i]))
                }
                Some(p) => bc.for_each(|k, ia, ib| xt[pick(ia, ib)] += p * yt[k]),
                None if full && bc.same_shape() => {
                    blocks(xt, |o, xb| xb.iter_mut().enumerate().for_each(|(i, x)| *x += second(o + i, o + i, o + i)))
                }
                None => bc.for_each(|k, ia, ib| xt[pick(ia, ib)] += second(k, ia, ib)),
            }
        }
    }
}
