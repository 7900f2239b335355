//! Elementwise functions. Each is defined once, as a generic function over [`Real`];
//! its first and second derivatives come from evaluating that same definition on
//! nested duals, so no derivative is written by hand.

use super::{lane, same_tape, Input, Op};
use crate::ad::dual::Dual;
use crate::ad::real::Real;
use crate::ad::tape::{Adjoints, Computed, Node, NodeId, Tangents, Var};

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
        }
    }
}

pub(crate) fn unary(x: Var<'_>, f: Unary) -> Var<'_> {
    let tape = x.tape;
    let xi = Input::of(x);
    let n = xi.len();
    let derivatives = tape.needs_derivatives() && xi.active;
    let mut value = vec![0.0; n];
    let (mut d1, mut d2) = (Vec::new(), Vec::new());
    if !derivatives {
        for (y, &x) in value.iter_mut().zip(xi.value.iter()) {
            *y = f.apply(x);
        }
    } else if !tape.needs_second_derivatives() {
        d1 = vec![0.0; n];
        for i in 0..n {
            let y = f.apply(Dual::variable(xi.value[i]));
            value[i] = y.re;
            d1[i] = y.eps;
        }
    } else {
        d1 = vec![0.0; n];
        d2 = vec![0.0; n];
        for i in 0..n {
            let y = f.apply(Dual::new(Dual::variable(xi.value[i]), Dual::new(1.0, 0.0)));
            value[i] = y.re.re;
            d1[i] = y.eps.re;
            d2[i] = y.eps.eps;
        }
    }
    let op = Op::Unary { x: xi.id, d1, d2 };
    tape.push(Computed { op, rows: xi.rows, cols: xi.cols, value }, xi.active)
}

/// ẏ = f'(x)·ẋ.
pub(crate) fn unary_tangent(d1: &[f64], xt: Option<&[f64]>, lanes: usize) -> Vec<f64> {
    let n = d1.len();
    let mut t = vec![0.0; lanes * n];
    if let Some(xt) = xt {
        for (tl, xl) in t.chunks_exact_mut(n.max(1)).zip(xt.chunks_exact(n.max(1))) {
            for i in 0..n {
                tl[i] = d1[i] * xl[i];
            }
        }
    }
    t
}

/// ẋ̄ += ȳ̇·f'(x) + ȳ·f''(x)·ẋ, the reverse rule run on duals.
#[allow(clippy::too_many_arguments)]
pub(crate) fn unary_backward(
    nodes: &[Node],
    x: NodeId,
    xt: Option<&[f64]>,
    d1: &[f64],
    d2: &[f64],
    ybar: &[f64],
    ybar_t: Option<&[f64]>,
    adj: &mut Adjoints,
) {
    let n = ybar.len();
    let (xbar, xbar_t) = adj.both(nodes, x);
    for i in 0..n {
        xbar[i] += ybar[i] * d1[i];
    }
    if let (Some(xbar_t), Some(ybar_t), Some(xt)) = (xbar_t, ybar_t, xt) {
        for l in 0..xbar_t.len() / n {
            let o = l * n;
            for i in 0..n {
                xbar_t[o + i] += ybar_t[o + i] * d1[i] + ybar[i] * d2[i] * xt[o + i];
            }
        }
    }
}

/// Shapes of a broadcasting binary operation: each operand dimension is 1 or the output's.
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
    fn at(shape: (usize, usize), i: usize, j: usize) -> usize {
        let r = if shape.0 == 1 { 0 } else { i };
        let c = if shape.1 == 1 { 0 } else { j };
        r * shape.1 + c
    }
    /// (output index, a index, b index) for every output element.
    fn indices(self) -> impl Iterator<Item = (usize, usize, usize)> {
        (0..self.rows).flat_map(move |i| {
            (0..self.cols).map(move |j| (i * self.cols + j, Self::at(self.a, i, j), Self::at(self.b, i, j)))
        })
    }
}

pub(crate) fn binary<'t>(a: Var<'t>, b: Var<'t>, f: Binary) -> Var<'t> {
    same_tape(a, b);
    let tape = a.tape;
    let (ai, bi) = (Input::of(a), Input::of(b));
    let bc = Broadcast::new((ai.rows, ai.cols), (bi.rows, bi.cols));
    let n = bc.rows * bc.cols;
    let mut value = vec![0.0; n];
    for (k, ia, ib) in bc.indices() {
        value[k] = f.apply(ai.value[ia], bi.value[ib]);
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
    let mut t = vec![0.0; lanes * n];
    for l in 0..lanes {
        let at = lane(tangents[a].as_deref(), na.len(), l);
        let bt = lane(tangents[b].as_deref(), nb.len(), l);
        for (k, ia, ib) in bc.indices() {
            let da = at.map_or(0.0, |t| t[ia]);
            let db = bt.map_or(0.0, |t| t[ib]);
            t[l * n + k] = f.apply(Dual::new(na.value[ia], da), Dual::new(nb.value[ib], db)).eps;
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
    // Each operand in turn (they may be the same node, as in x·x).
    for (which, target) in [(0usize, a), (1usize, b)] {
        if !nodes[target].active {
            continue;
        }
        let tn = nodes[target].len();
        let (xbar, xbar_t) = adj.both(nodes, target);
        if let Some(partials) = f.linear_partials() {
            let p = if which == 0 { partials.0 } else { partials.1 };
            for (k, ia, ib) in bc.indices() {
                xbar[if which == 0 { ia } else { ib }] += p * ybar[k];
            }
            if let (Some(xbar_t), Some(ybar_t)) = (xbar_t, ybar_t) {
                for l in 0..lanes {
                    for (k, ia, ib) in bc.indices() {
                        xbar_t[l * tn + if which == 0 { ia } else { ib }] += p * ybar_t[l * n + k];
                    }
                }
            }
            continue;
        }
        // The seed direction of this operand: ∂/∂a or ∂/∂b.
        let seed = |w: usize| if w == which { 1.0 } else { 0.0 };
        for (k, ia, ib) in bc.indices() {
            let x = if which == 0 { ia } else { ib };
            let p = f.apply(Dual::new(na.value[ia], seed(0)), Dual::new(nb.value[ib], seed(1))).eps;
            xbar[x] += ybar[k] * p;
        }
        if let (Some(xbar_t), Some(ybar_t)) = (xbar_t, ybar_t) {
            for l in 0..lanes {
                let at = lane(a_tangent, na.len(), l);
                let bt = lane(b_tangent, nb.len(), l);
                for (k, ia, ib) in bc.indices() {
                    let x = if which == 0 { ia } else { ib };
                    let da = Dual::new(na.value[ia], at.map_or(0.0, |t| t[ia]));
                    let db = Dual::new(nb.value[ib], bt.map_or(0.0, |t| t[ib]));
                    // Outer ε: the partial; inner ε: the tangent direction.
                    let p = f.apply(Dual::new(da, Dual::new(seed(0), 0.0)), Dual::new(db, Dual::new(seed(1), 0.0))).eps;
                    xbar_t[l * tn + x] += ybar_t[l * n + k] * p.re + ybar[k] * p.eps;
                }
            }
        }
    }
}
