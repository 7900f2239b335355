//! One-argument rules: y = f(x), or y = f(x + b) for a row bias b (a layer's bias and
//! activation as one node). The primal, the tangent and the adjoint with its tangent of
//! each, in one place; the derivatives come from the function's one definition on
//! nested duals (tanh's in closed form from its one evaluation). The rules are generic
//! over the function ([`Kernel`]): built-in and user-defined functions share them.

use super::custom::Kernel;
use super::elementwise::{blocks, BLOCK};
use super::{same_tape, Input, Op};
use crate::ad::dual::Dual;
use crate::ad::pool;
use crate::ad::tape::{Adjoints, Computed, Node, NodeId, Var};
use rayon::prelude::*;

pub(crate) fn unary<'t, K: Kernel + ?Sized>(x: Var<'t>, f: &K) -> Var<'t> {
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
pub(crate) fn unary_with_bias<'t, K: Kernel + ?Sized>(x: Var<'t>, bias: Var<'t>, f: &K) -> Var<'t> {
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
fn unary_values<K: Kernel + ?Sized>(
    xs: &[f64],
    f: &K,
    derivatives: bool,
    second: bool,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = xs.len();
    let mut value = pool::scratch(n);
    let (mut d1, mut d2) = (Vec::new(), Vec::new());
    if f.is_tanh() {
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
        blocks(&mut value, |o, v| v.iter_mut().zip(&xs[o..]).for_each(|(y, &x)| *y = f.value(x)));
    } else if !second {
        d1 = pool::scratch(n);
        let run = |o: usize, v: &mut [f64], d: &mut [f64]| {
            for i in 0..v.len() {
                let y = f.first(Dual::variable(xs[o + i]));
                v[i] = y.re;
                d[i] = y.eps;
            }
        };
        if n <= BLOCK {
            run(0, &mut value, &mut d1);
        } else {
            value
                .par_chunks_mut(BLOCK)
                .zip(d1.par_chunks_mut(BLOCK))
                .enumerate()
                .for_each(|(i, (v, d))| run(i * BLOCK, v, d));
        }
    } else {
        d1 = pool::scratch(n);
        d2 = pool::scratch(n);
        let run = |o: usize, v: &mut [f64], a: &mut [f64], b: &mut [f64]| {
            for i in 0..v.len() {
                let y = f.second(Dual::new(Dual::variable(xs[o + i]), Dual::new(1.0, 0.0)));
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
