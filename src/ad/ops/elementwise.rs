//! Elementwise functions. Each is defined once, as a generic function over [`Real`];
//! its first and second derivatives come from evaluating that same definition on
//! nested duals, so no derivative is written by hand.
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

/// Elements per parallel block; tensors of at most one block run on the calling thread.
const BLOCK: usize = 1 << 14;

/// Run `f(offset, block)` over `BLOCK`-sized pieces of `out`, in parallel when it is
/// larger than one block.
fn blocks(out: &mut [f64], f: impl Fn(usize, &mut [f64]) + Sync) {
    if out.len() <= BLOCK {
        f(0, out);
    } else {
        out.par_chunks_mut(BLOCK).enumerate().for_each(|(i, b)| f(i * BLOCK, b));
    }
}

pub(crate) fn unary(x: Var<'_>, f: Unary) -> Var<'_> {
    let tape = x.tape;
    let xi = Input::of(x);
    let derivatives = tape.needs_derivatives() && xi.active;
    let (value, d1, d2) = unary_values(&xi.value, f, derivatives, tape.needs_second_derivatives());
    let op = Op::Unary { x: xi.id, bias: None, d1, d2 };
    tape.push(Computed { op, rows: xi.rows, cols: xi.cols, value }, xi.active)
}

/// y = f(x + b) for a row b broadcast over the rows of x (a layer's bias and
/// activation): one node instead of two, so the sum x + b has no adjoint or tangent
/// buffers of its own. Every number is the one the two separate nodes give, up to the
/// sign of a zero.
pub(crate) fn unary_with_bias<'t>(x: Var<'t>, bias: Var<'t>, f: Unary) -> Var<'t> {
    same_tape(x, bias);
    let tape = x.tape;
    let (xi, bi) = (Input::of(x), Input::of(bias));
    assert_eq!((bi.rows, bi.cols), (1, xi.cols), "bias: a 1×{} row for a {}×{} input", xi.cols, xi.rows, xi.cols);
    let active = xi.active || bi.active;
    let cols = xi.cols.max(1);
    let mut sum = pool::scratch(xi.len());
    let (xs, bs): (&[f64], &[f64]) = (&xi.value, &bi.value);
    row_blocks(&mut sum, cols, |r0, out| {
        for (dr, row) in out.chunks_exact_mut(cols).enumerate() {
            let x = &xs[(r0 + dr) * cols..(r0 + dr + 1) * cols];
            row.iter_mut().zip(x.iter().zip(bs)).for_each(|(s, (x, b))| *s = x + b);
        }
    });
    let (value, d1, d2) = unary_values(&sum, f, tape.needs_derivatives() && active, tape.needs_second_derivatives());
    pool::give(sum);
    let op = Op::Unary { x: xi.id, bias: Some(bi.id), d1, d2 };
    tape.push(Computed { op, rows: xi.rows, cols: xi.cols, value }, active)
}

/// Run `f(first row, rows)` over blocks of whole rows of `out` (rows of `cols`), in
/// parallel when there is more than one block.
fn row_blocks(out: &mut [f64], cols: usize, f: impl Fn(usize, &mut [f64]) + Sync) {
    let rows_per_block = (BLOCK / cols).max(1);
    if out.len() <= rows_per_block * cols {
        f(0, out);
    } else {
        out.par_chunks_mut(rows_per_block * cols).enumerate().for_each(|(i, b)| f(i * rows_per_block, b));
    }
}

/// f(x) elementwise, with f' and f'' when asked: (values, d1, d2).
fn unary_values(xs: &[f64], f: Unary, derivatives: bool, second: bool) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = xs.len();
    let mut value = pool::scratch(n);
    let (mut d1, mut d2) = (Vec::new(), Vec::new());
    if f == Unary::Tanh {
        // One vectorised tanh per element; the derivatives in closed form from it,
        // the numbers the nested duals give (up to the sign of a zero): 1 − t², −2d₁t.
        blocks(&mut value, |o, v| crate::ad::elementary::tanh_slice(&xs[o..o + v.len()], v));
        if derivatives {
            d1 = pool::scratch(n);
            let t: &[f64] = &value;
            blocks(&mut d1, |o, d| d.iter_mut().zip(&t[o..]).for_each(|(d, &t)| *d = 1.0 - t * t));
            if second {
                d2 = pool::scratch(n);
                let d1r: &[f64] = &d1;
                blocks(&mut d2, |o, d| d.iter_mut().enumerate().for_each(|(i, d)| *d = -2.0 * (d1r[o + i] * t[o + i])));
            }
        }
    } else if !derivatives {
        blocks(&mut value, |o, v| v.iter_mut().zip(&xs[o..]).for_each(|(y, &x)| *y = f.apply(x)));
    } else if !second {
        // d1 in the second half of one buffer, so one parallel pass writes both.
        let mut both = pool::scratch(2 * n);
        let (v, d) = both.split_at_mut(n);
        let run = |o: usize, v: &mut [f64], d: &mut [f64]| {
            for i in 0..v.len() {
                let y = f.apply(Dual::variable(xs[o + i]));
                v[i] = y.re;
                d[i] = y.eps;
            }
        };
        if n <= BLOCK {
            run(0, v, d);
        } else {
            v.par_chunks_mut(BLOCK)
                .zip(d.par_chunks_mut(BLOCK))
                .enumerate()
                .for_each(|(i, (v, d))| run(i * BLOCK, v, d));
        }
        value.copy_from_slice(v);
        d1 = pool::copy_of(d);
        pool::give(both);
    } else {
        d1 = pool::scratch(n);
        d2 = pool::scratch(n);
        let run = |o: usize, v: &mut [f64], a: &mut [f64], b: &mut [f64]| {
            for i in 0..v.len() {
                let y = f.apply(Dual::new(Dual::variable(xs[o + i]), Dual::new(1.0, 0.0)));
                v[i] = y.re.re;
                a[i] = y.eps.re;
                b[i] = y.eps.eps;
            }
        };
        if n <= BLOCK {
            run(0, &mut value, &mut d1, &mut d2);
        } else {
            value
                .par_chunks_mut(BLOCK)
                .zip(d1.par_chunks_mut(BLOCK))
                .zip(d2.par_chunks_mut(BLOCK))
                .enumerate()
                .for_each(|(i, ((v, a), b))| run(i * BLOCK, v, a, b));
        }
    }
    (value, d1, d2)
}

/// The tangents of the argument s = x (+ b): lane l of ẋ, plus ḃ broadcast over rows.
/// Without a bias this is ẋ itself, borrowed.
fn argument_tangent<'a>(
    xt: Option<&'a [f64]>,
    bias: Option<(usize, Option<&[f64]>)>,
    n: usize,
    lanes: usize,
) -> std::borrow::Cow<'a, [f64]> {
    let bt = bias.and_then(|(_, bt)| bt);
    match (xt, bt) {
        (Some(xt), None) => std::borrow::Cow::Borrowed(xt),
        _ => {
            let cols = bias.map_or(1, |(c, _)| c.max(1));
            let mut s = pool::zeroed(lanes * n);
            for l in 0..lanes {
                let sl = &mut s[l * n..(l + 1) * n];
                if let Some(xt) = xt {
                    sl.copy_from_slice(&xt[l * n..(l + 1) * n]);
                }
                if let Some(bt) = bt {
                    let bl = &bt[l * cols..(l + 1) * cols];
                    sl.chunks_exact_mut(cols).for_each(|row| row.iter_mut().zip(bl).for_each(|(s, b)| *s += b));
                }
            }
            std::borrow::Cow::Owned(s)
        }
    }
}

/// ẏ = f'(s)·ṡ with s = x (+ b).
pub(crate) fn unary_tangent(
    d1: &[f64],
    xt: Option<&[f64]>,
    bias: Option<(usize, Option<&[f64]>)>,
    lanes: usize,
) -> Vec<f64> {
    let n = d1.len();
    if n == 0 || (xt.is_none() && bias.and_then(|(_, bt)| bt).is_none()) {
        return pool::zeroed(lanes * n);
    }
    let st = argument_tangent(xt, bias, n, lanes);
    let mut t = pool::scratch(lanes * n);
    for (tl, sl) in t.chunks_exact_mut(n.max(1)).zip(st.chunks_exact(n.max(1))) {
        blocks(tl, |o, tb| tb.iter_mut().enumerate().for_each(|(i, y)| *y = d1[o + i] * sl[o + i]));
    }
    if let std::borrow::Cow::Owned(s) = st {
        pool::give(s);
    }
    t
}

/// s̄ = ȳ·f'(s) and its tangent ȳ̇·f'(s) + ȳ·f''(s)·ṡ (the reverse rule run on duals),
/// added to x̄; with a bias b, also summed over the rows into b̄ (one thread, row order).
#[allow(clippy::too_many_arguments)]
pub(crate) fn unary_backward(
    nodes: &[Node],
    (x, xt): (NodeId, Option<&[f64]>),
    bias: Option<(NodeId, Option<&[f64]>)>,
    d1: &[f64],
    d2: &[f64],
    ybar: &[f64],
    ybar_t: Option<&[f64]>,
    adj: &mut Adjoints,
) {
    let n = ybar.len();
    if n == 0 {
        return;
    }
    let lanes = adj.lanes;
    let cols = nodes[x].cols.max(1);
    // The adjoint s̄ and (lane by lane) its tangent, pushed to x and to the bias.
    let push = |adj: &mut Adjoints, target: NodeId, sbar: &[f64], lane: Option<usize>, reduce: bool| {
        let (tbar, tbar_t) = adj.both(nodes, target);
        let dst = match lane {
            None => tbar,
            Some(l) => {
                let len = if reduce { cols } else { n };
                &mut tbar_t.expect("tangent sweep")[l * len..(l + 1) * len]
            }
        };
        if reduce {
            sbar.chunks_exact(cols).for_each(|row| dst.iter_mut().zip(row).for_each(|(d, s)| *d += 1.0 * s));
        } else {
            blocks(dst, |o, d| d.iter_mut().enumerate().for_each(|(i, v)| *v += sbar[o + i]));
        }
    };
    let targets: Vec<(NodeId, bool)> =
        [(x, false)].into_iter().chain(bias.map(|(b, _)| (b, true))).filter(|&(id, _)| nodes[id].active).collect();
    let mut sbar = pool::scratch(n);
    if !adj.primal_known {
        blocks(&mut sbar, |o, sb| sb.iter_mut().enumerate().for_each(|(i, v)| *v = ybar[o + i] * d1[o + i]));
        for &(target, reduce) in &targets {
            push(adj, target, &sbar, None, reduce);
        }
    }
    if let (Some(ybar_t), true) = (ybar_t, xt.is_some() || bias.and_then(|(_, bt)| bt).is_some()) {
        let st = argument_tangent(xt, bias.map(|(_, bt)| (cols, bt)), n, lanes);
        for l in 0..lanes {
            let (yl, sl) = (&ybar_t[l * n..(l + 1) * n], &st[l * n..(l + 1) * n]);
            blocks(&mut sbar, |o, sb| {
                for (i, v) in sb.iter_mut().enumerate() {
                    let e = o + i;
                    *v = yl[e] * d1[e] + ybar[e] * d2[e] * sl[e];
                }
            });
            for &(target, reduce) in &targets {
                push(adj, target, &sbar, Some(l), reduce);
            }
        }
        if let std::borrow::Cow::Owned(s) = st {
            pool::give(s);
        }
    } else if let Some(ybar_t) = ybar_t {
        // A constant argument: s̄̇ = ȳ̇·f'(s).
        for l in 0..lanes {
            let yl = &ybar_t[l * n..(l + 1) * n];
            blocks(&mut sbar, |o, sb| sb.iter_mut().enumerate().for_each(|(i, v)| *v = yl[o + i] * d1[o + i]));
            for &(target, reduce) in &targets {
                push(adj, target, &sbar, Some(l), reduce);
            }
        }
    }
    pool::give(sbar);
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
