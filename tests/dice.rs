//! `stop_gradient` and DiCE's magic box against independent references: random
//! expressions evaluated on nested duals (exact first and second derivatives of the
//! function the tape should be differentiating), and the closed forms of □(τ) from τ's
//! own derivatives. Every mode is checked: the reverse gradient, fresh HVPs on one and
//! two lanes, the exact Hessian and the recording at θ ([`HessianAt`]) replayed.

use proptest::prelude::*;
use ridge_rider::ad::{
    gradient, hessian, hessian_vector_product, hessian_vector_products, loss_fn, value, Dual, HessianAt, Loss, Real,
    Var,
};

const N: usize = 3;

/// A random smooth function of x ∈ ℝᴺ from the vocabulary.
#[derive(Clone, Debug)]
enum Expr {
    X(usize),
    Const(f64),
    Add(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Exp(Box<Expr>),
    Tanh(Box<Expr>),
    Sin(Box<Expr>),
    Square(Box<Expr>),
}

impl Expr {
    fn on_tape<'t>(&self, x: Var<'t>) -> Var<'t> {
        match self {
            Expr::X(i) => x.at(*i),
            Expr::Const(c) => x.tape().scalar(*c),
            Expr::Add(a, b) => a.on_tape(x) + b.on_tape(x),
            Expr::Mul(a, b) => a.on_tape(x) * b.on_tape(x),
            Expr::Exp(a) => a.on_tape(x).exp(),
            Expr::Tanh(a) => a.on_tape(x).tanh(),
            Expr::Sin(a) => a.on_tape(x).sin(),
            Expr::Square(a) => a.on_tape(x).powi(2),
        }
    }

    fn on_reals<T: Real>(&self, x: &[T]) -> T {
        match self {
            Expr::X(i) => x[*i],
            Expr::Const(c) => T::from_f64(*c),
            Expr::Add(a, b) => a.on_reals(x) + b.on_reals(x),
            Expr::Mul(a, b) => a.on_reals(x) * b.on_reals(x),
            Expr::Exp(a) => a.on_reals(x).exp(),
            Expr::Tanh(a) => a.on_reals(x).tanh(),
            Expr::Sin(a) => a.on_reals(x).sin(),
            Expr::Square(a) => a.on_reals(x).powi(2),
        }
    }
}

/// Value, gradient and row-major Hessian of `e` at `x` from nested duals: with the
/// inner tangent along eₖ and the outer along eᵢ, the outer tangent's primal is ∂ᵢ and
/// its inner tangent Hᵢₖ.
fn dual_derivatives(e: &Expr, x: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
    let n = x.len();
    let (mut grad, mut hess) = (vec![0.0; n], vec![0.0; n * n]);
    let mut val = 0.0;
    let unit = |i: usize, j: usize| if i == j { 1.0 } else { 0.0 };
    for i in 0..n {
        for k in 0..n {
            let xs: Vec<Dual<Dual<f64>>> =
                (0..n).map(|j| Dual::new(Dual::new(x[j], unit(k, j)), Dual::new(unit(i, j), 0.0))).collect();
            let y = e.on_reals(&xs);
            val = y.re.re;
            grad[i] = y.eps.re;
            hess[i * n + k] = y.eps.eps;
        }
    }
    (val, grad, hess)
}

/// A random expression plus a random quadratic Σ aᵢxᵢ + bᵢxᵢ², so that every
/// coordinate has a derivative (a constant expression could not tell f − g from f + g).
fn function() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![(0..N).prop_map(Expr::X), (-1.0..1.0).prop_map(Expr::Const)];
    let tree = leaf.prop_recursive(3, 12, 2, |inner| {
        let boxed = |e| Box::new(e);
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(move |(a, b)| Expr::Add(boxed(a), boxed(b))),
            (inner.clone(), inner.clone()).prop_map(move |(a, b)| Expr::Mul(boxed(a), boxed(b))),
            inner.clone().prop_map(move |a| Expr::Exp(boxed(a))),
            inner.clone().prop_map(move |a| Expr::Tanh(boxed(a))),
            inner.clone().prop_map(move |a| Expr::Sin(boxed(a))),
            inner.prop_map(move |a| Expr::Square(boxed(a))),
        ]
    });
    let coefficients = proptest::collection::vec((0.2..1.5, -1.0..1.0), N);
    (tree, coefficients).prop_map(|(tree, ab)| {
        ab.into_iter().enumerate().fold(tree, |sum, (i, (a, b))| {
            let linear = Expr::Mul(Box::new(Expr::Const(a)), Box::new(Expr::X(i)));
            let square = Expr::Mul(Box::new(Expr::Const(b)), Box::new(Expr::Square(Box::new(Expr::X(i)))));
            Expr::Add(Box::new(sum), Box::new(Expr::Add(Box::new(linear), Box::new(square))))
        })
    })
}

fn point() -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(-1.0..1.0, N)
}

fn mat_vec(h: &[f64], v: &[f64]) -> Vec<f64> {
    let n = v.len();
    (0..n).map(|i| (0..n).map(|j| h[i * n + j] * v[j]).sum()).collect()
}

/// |a − b| ≤ tol·scale elementwise.
fn close(what: &str, a: &[f64], b: &[f64], tol: f64, scale: f64) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        prop_assert!((x - y).abs() <= tol * scale, "{} [{}]: {} vs {} (scale {})", what, i, x, y, scale);
    }
    Ok(())
}

/// The largest magnitude in some slices, at least 1: the scale rounding errors grow with.
fn scale(parts: &[&[f64]]) -> f64 {
    parts.iter().flat_map(|p| p.iter()).fold(1.0f64, |m, x| m.max(x.abs()))
}

/// What the loss should give, in every mode of the engine: the gradient (reverse
/// sweep), H·v fresh on one lane and on two lanes with u, the exact Hessian, and the
/// recording at θ replayed for v and for (u, v).
struct Want<'a> {
    gradient: &'a [f64],
    hessian: &'a [f64],
    /// The magnitude the derivatives were formed from (before any cancellation).
    scale: f64,
}

fn check_all_modes(loss: &impl Loss, x: &[f64], u: &[f64], v: &[f64], want: &Want) -> Result<(), TestCaseError> {
    const TOL: f64 = 1e-12;
    let s = want.scale;
    let (hu, hv) = (mat_vec(want.hessian, u), mat_vec(want.hessian, v));
    close("gradient", &gradient(loss, x).unwrap().gradient, want.gradient, TOL, s)?;
    let one = hessian_vector_product(loss, x, v).unwrap();
    close("hvp gradient", &one.gradient, want.gradient, TOL, s)?;
    close("hvp", &one.hv, &hv, TOL, s)?;
    let two = hessian_vector_products(loss, x, &[u, v]).unwrap();
    close("two-lane hvp u", &two.hvs[0], &hu, TOL, s)?;
    close("two-lane hvp v", &two.hvs[1], &hv, TOL, s)?;
    close("hessian", &hessian(loss, x).unwrap(), want.hessian, TOL, s)?;
    let at = HessianAt::new(loss, x).unwrap();
    close("recorded gradient", at.gradient(), want.gradient, TOL, s)?;
    close("recorded hvp", &at.hessian_vector_product(v).unwrap(), &hv, TOL, s)?;
    let replayed = at.hessian_vector_products(&[u, v]).unwrap();
    close("recorded hvp u", &replayed[0], &hu, TOL, s)?;
    close("recorded hvp v", &replayed[1], &hv, TOL, s)?;
    prop_assert_eq!(at.value(), one.value);
    Ok(())
}

fn combine(a: &[f64], b: &[f64], sign: f64) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + sign * y).collect()
}

/// f + s·(g − ⊥g) for s = ±1, written as f + ⊥g − g or f + g − ⊥g: the value is f's
/// (g's cancels against its stopped copy) and the derivatives are f + s·g's, since only
/// the unstopped g is differentiated.
fn check_cancellation(f: &Expr, g: &Expr, sign: f64, points: [&[f64]; 3]) -> Result<(), TestCaseError> {
    let [x, u, v] = points;
    let (fv, fg, fh) = dual_derivatives(f, x);
    let (gv, gg, gh) = dual_derivatives(g, x);
    let (ft, gt) = (f.clone(), g.clone());
    let loss = loss_fn(N, move |t: Var| {
        let (f, g) = (ft.on_tape(t), gt.on_tape(t));
        if sign < 0.0 {
            f + g.stop_gradient() - g
        } else {
            f + g - g.stop_gradient()
        }
    });
    let got = value(&loss, x).unwrap();
    prop_assert!((got - fv).abs() <= 1e-14 * scale(&[&[fv, gv]]), "value {} vs f = {}", got, fv);
    let want = Want {
        gradient: &combine(&fg, &gg, sign),
        hessian: &combine(&fh, &gh, sign),
        scale: scale(&[&fg, &gg, &fh, &gh]),
    };
    check_all_modes(&loss, x, u, v, &want)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// f + ⊥g − g: the value of f, the derivatives of f − g.
    #[test]
    fn stopped_copy_cancels_the_value_and_keeps_the_other_derivatives(
        f in function(), g in function(), x in point(), u in point(), v in point()
    ) {
        check_cancellation(&f, &g, -1.0, [&x, &u, &v])?;
    }

    /// f + g − ⊥g: the value of f, the derivatives of f + g.
    #[test]
    fn stopped_copy_subtracted_keeps_the_derivatives_of_the_sum(
        f in function(), g in function(), x in point(), u in point(), v in point()
    ) {
        check_cancellation(&f, &g, 1.0, [&x, &u, &v])?;
    }

    /// f·⊥g: a stopped factor is a constant in every mode: the derivatives are g(x)
    /// times f's, with no g' (no product rule).
    #[test]
    fn stopped_factor_is_a_constant(f in function(), g in function(), x in point(), u in point(), v in point()) {
        let (fv, fg, fh) = dual_derivatives(&f, &x);
        let (gv, _, _) = dual_derivatives(&g, &x);
        let (ft, gt) = (f.clone(), g.clone());
        let loss = loss_fn(N, move |t: Var| ft.on_tape(t) * gt.on_tape(t).stop_gradient());
        let got = value(&loss, &x).unwrap();
        prop_assert!((got - fv * gv).abs() <= 1e-14 * scale(&[&[fv * gv]]));
        let scaled = |a: &[f64]| a.iter().map(|d| d * gv).collect::<Vec<_>>();
        let want = Want { gradient: &scaled(&fg), hessian: &scaled(&fh), scale: scale(&[&scaled(&fg), &scaled(&fh)]) };
        check_all_modes(&loss, &x, &u, &v, &want)?;
    }

    /// □(τ) = exp(τ − ⊥τ) is exactly 1, with gradient ∇τ and Hessian ∇²τ + ∇τ∇τᵀ
    /// (Foerster et al. 2018), τ's own derivatives coming from the engine; times a
    /// return r, r times those.
    #[test]
    fn magic_box_has_value_one_and_the_likelihood_ratio_derivatives(
        tau in function(), x in point(), u in point(), v in point(), r in -3.0..3.0f64
    ) {
        let tt = tau.clone();
        let tau_loss = loss_fn(N, move |t: Var| tt.on_tape(t));
        let tau_gradient = gradient(&tau_loss, &x).unwrap().gradient;
        let tau_hessian = hessian(&tau_loss, &x).unwrap();
        let box_hessian: Vec<f64> =
            (0..N * N).map(|k| tau_hessian[k] + tau_gradient[k / N] * tau_gradient[k % N]).collect();
        let tb = tau.clone();
        let boxed = loss_fn(N, move |t: Var| tb.on_tape(t).magic_box());
        prop_assert_eq!(value(&boxed, &x).unwrap(), 1.0);
        let want = Want {
            gradient: &tau_gradient,
            hessian: &box_hessian,
            scale: scale(&[&tau_gradient, &box_hessian]),
        };
        check_all_modes(&boxed, &x, &u, &v, &want)?;
        // The box weighting a return: the surrogate of a score-function estimator.
        let tr = tau.clone();
        let weighted = loss_fn(N, move |t: Var| tr.on_tape(t).magic_box() * r);
        prop_assert_eq!(value(&weighted, &x).unwrap(), r);
        let times_r = |a: &[f64]| a.iter().map(|d| d * r).collect::<Vec<_>>();
        let want = Want {
            gradient: &times_r(&tau_gradient),
            hessian: &times_r(&box_hessian),
            scale: scale(&[&tau_gradient, &box_hessian]) * r.abs().max(1.0),
        };
        check_all_modes(&weighted, &x, &u, &v, &want)?;
        // Against nested duals of exp(τ(x) − τ(x₀)) at x₀ = x, the box's meaning.
        let (_, dg, dh) = dual_derivatives(&tau, &x);
        let exact: Vec<f64> = (0..N * N).map(|k| dh[k] + dg[k / N] * dg[k % N]).collect();
        close("box hessian vs duals", &hessian(&boxed, &x).unwrap(), &exact, 1e-12, scale(&[&exact]))?;
    }

    /// A stopped tensor in a matrix product: with y = Aθ, ⊥yᵀ(y ⊙ y) = Σ ⊥yᵣ yᵣ² has
    /// value Σ yᵣ³, gradient 2Aᵀ(y ⊙ y) and Hessian 2Aᵀdiag(y)A (Σ yᵣ³'s are 3Aᵀ(y ⊙ y)
    /// and 6Aᵀdiag(y)A).
    #[test]
    fn stopped_tensor_in_products(a in proptest::collection::vec(-1.0..1.0f64, 4 * N), x in point(),
                                  u in point(), v in point()) {
        let am = a.clone();
        let loss = loss_fn(N, move |t: Var| {
            let y = t.tape().constant(4, N, am.clone()).matmul(t);
            y.stop_gradient().transpose().matmul(y * y).sum()
        });
        let y: Vec<f64> = (0..4).map(|r| (0..N).map(|c| a[r * N + c] * x[c]).sum()).collect();
        let cubes: f64 = y.iter().map(|y| y * y * y).sum();
        prop_assert!((value(&loss, &x).unwrap() - cubes).abs() <= 1e-14 * cubes.abs().max(1.0));
        let grad: Vec<f64> = (0..N).map(|c| (0..4).map(|r| 2.0 * a[r * N + c] * y[r] * y[r]).sum()).collect();
        let hess: Vec<f64> =
            (0..N * N).map(|k| (0..4).map(|r| 2.0 * a[r * N + k / N] * y[r] * a[r * N + k % N]).sum()).collect();
        check_all_modes(&loss, &x, &u, &v, &Want { gradient: &grad, hessian: &hess, scale: scale(&[&grad, &hess]) })?;
    }
}

/// A stopped loss has its value and no derivatives at all; stopping a constant is the
/// constant.
#[test]
fn stopped_output_has_no_derivatives() {
    let loss = loss_fn(2, |t: Var| (t * t).sum().exp().stop_gradient());
    let x = [0.3, -0.4];
    assert_eq!(value(&loss, &x).unwrap(), 0.25f64.exp());
    let h = hessian_vector_product(&loss, &x, &[1.0, 2.0]).unwrap();
    assert_eq!((h.gradient, h.hv), (vec![0.0; 2], vec![0.0; 2]));
    assert_eq!(hessian(&loss, &x).unwrap(), vec![0.0; 4]);
    let at = HessianAt::new(&loss, &x).unwrap();
    assert_eq!((at.gradient(), at.hessian_vector_product(&[1.0, 0.0]).unwrap()), (&[0.0, 0.0][..], vec![0.0; 2]));
    let tape = ridge_rider::ad::Tape::new(ridge_rider::ad::Mode::Value);
    let c = tape.constant(2, 1, vec![1.0, 2.0]);
    assert_eq!(c.stop_gradient().id(), c.id());
}
