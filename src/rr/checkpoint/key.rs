//! The search key: which checkpoint belongs to which search. A stable text naming
//! every parameter with its value, hashed by FNV-1a, so that a file written by one
//! build is resumed by the next and by no other search.

use super::fnv1a;
use crate::rr::archive::Order;
use crate::rr::{
    Ablation, ApproximateParams, BranchParams, Budget, DescentParams, Heuristics, RideParams, RrParams, Spectrum,
};
use std::fmt;

/// A key for "the same search": the FNV-1a hash of a fixed text naming every field of
/// the parameters with its value (f64s as the hexadecimal of their bits), then
/// `problem` (any text that tells problems of the same shape apart, e.g. their seeds),
/// the dimension and the start point's bits. Resuming under another key is refused.
///
/// ```
/// use ridge_rider::rr::checkpoint::search_key;
/// use ridge_rider::rr::RrParams;
/// let p = RrParams::default();
/// let key = search_key(&p, "wells", 2, &[0.0, 0.0]);
/// assert_eq!(key, search_key(&p.clone(), "wells", 2, &[0.0, 0.0]));
/// let mut q = p.clone();
/// q.riding.alpha = 0.2;
/// assert_ne!(key, search_key(&q, "wells", 2, &[0.0, 0.0]));
/// assert_ne!(key, search_key(&p, "wells", 2, &[0.0, -0.0]));
/// ```
pub fn search_key(p: &RrParams, problem: &str, dim: usize, theta_mis: &[f64]) -> u64 {
    let mut k = KeyText(params_text(p));
    k.text("problem", problem);
    k.int("dim", dim as u64);
    k.int("theta_mis.len", theta_mis.len() as u64);
    theta_mis.iter().for_each(|&x| k.float("theta_mis", x));
    fnv1a(&k.0)
}

/// `name=value;` for every field of `p`, in a fixed order. Every struct is destructured
/// without `..` and every enum matched without `_`, so a field or variant added to the
/// parameters does not compile until it is added here.
fn params_text(p: &RrParams) -> Vec<u8> {
    let RrParams { branching, riding, budget, ablation, order, final_descent, heuristics, round, seed } = p;
    let mut k = KeyText(Vec::new());
    let BranchParams { ridges, spectrum, negative_tol, group_tol, one_per_group, max_depth } = branching;
    k.int("branching.ridges", *ridges as u64);
    match spectrum {
        Spectrum::Exact => k.word("branching.spectrum", "exact"),
        Spectrum::Lanczos { tol, max_hvps_per_call, update } => {
            k.word("branching.spectrum", "lanczos");
            k.float("branching.spectrum.tol", *tol);
            k.int("branching.spectrum.max_hvps_per_call", *max_hvps_per_call as u64);
            let ApproximateParams { inner_steps, lr_x, lr_lambda } = update;
            k.int("branching.spectrum.update.inner_steps", *inner_steps as u64);
            k.float("branching.spectrum.update.lr_x", *lr_x);
            k.float("branching.spectrum.update.lr_lambda", *lr_lambda);
        }
    }
    k.float("branching.negative_tol", *negative_tol);
    k.float("branching.group_tol", *group_tol);
    k.flag("branching.one_per_group", *one_per_group);
    k.int("branching.max_depth", *max_depth as u64);
    let RideParams { alpha, adaptive_alpha, alpha_min, delta_break, min_improvement, max_steps } = riding;
    k.float("riding.alpha", *alpha);
    k.flag("riding.adaptive_alpha", *adaptive_alpha);
    k.float("riding.alpha_min", *alpha_min);
    k.float("riding.delta_break", *delta_break);
    k.float("riding.min_improvement", *min_improvement);
    k.int("riding.max_steps", *max_steps as u64);
    let Budget { timesteps, hvps } = budget;
    k.int("budget.timesteps", *timesteps as u64);
    k.int("budget.hvps", *hvps as u64);
    let ablation = match ablation {
        Ablation::RidgeRider => "rr",
        Ablation::FixedEv => "fixed-ev",
        Ablation::RandRidgePlus => "rand-ridge-plus",
    };
    k.word("ablation", ablation);
    let order = match order {
        Order::BreadthFirst => "breadth-first",
        Order::DepthFirst => "depth-first",
        Order::BestLoss => "best-loss",
        Order::Random => "random",
    };
    k.word("order", order);
    match final_descent {
        None => k.word("final_descent", "none"),
        Some(DescentParams { steps, lr, grad_tol }) => {
            k.word("final_descent", "some");
            k.int("final_descent.steps", *steps as u64);
            k.float("final_descent.lr", *lr);
            k.float("final_descent.grad_tol", *grad_tol);
        }
    }
    let Heuristics { alpha_warm_start, descent_only_above, solutions_at_branch_points, expand_label_once_per_depth } =
        heuristics;
    k.flag("heuristics.alpha_warm_start", *alpha_warm_start);
    k.float("heuristics.descent_only_above", *descent_only_above);
    k.flag("heuristics.solutions_at_branch_points", *solutions_at_branch_points);
    k.flag("heuristics.expand_label_once_per_depth", *expand_label_once_per_depth);
    k.int("round", *round as u64);
    k.int("seed", *seed);
    k.0
}

/// The key's text, one `name=value;` at a time.
struct KeyText(Vec<u8>);
impl KeyText {
    fn field(&mut self, name: &str, value: fmt::Arguments) {
        use std::io::Write;
        write!(self.0, "{name}={value};").expect("writing to a Vec cannot fail");
    }
    fn int(&mut self, name: &str, x: u64) {
        self.field(name, format_args!("{x}"));
    }
    fn float(&mut self, name: &str, x: f64) {
        self.field(name, format_args!("{:016x}", x.to_bits()));
    }
    fn flag(&mut self, name: &str, x: bool) {
        self.field(name, format_args!("{}", x as u8));
    }
    /// One of a fixed set of names (no `;` in them).
    fn word(&mut self, name: &str, x: &str) {
        self.field(name, format_args!("{x}"));
    }
    /// Any text, length first, so no text can pass for another's end and a next field.
    fn text(&mut self, name: &str, x: &str) {
        self.field(name, format_args!("{}:{x}", x.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start point and problem of the key tests.
    fn key(p: &RrParams) -> u64 {
        search_key(p, "wells", 2, &[0.0, 0.0])
    }

    fn lanczos(tol: f64, max_hvps_per_call: usize, update: ApproximateParams) -> Spectrum {
        Spectrum::Lanczos { tol, max_hvps_per_call, update }
    }

    #[test]
    fn the_key_of_equal_parameters_is_equal_and_changes_with_every_field() {
        let base = RrParams::default();
        assert_eq!(key(&base), key(&base.clone()));
        type Change = fn(&mut RrParams);
        let changes: [(&str, Change); 30] = [
            ("ridges", |p| p.branching.ridges = 5),
            ("spectrum", |p| p.branching.spectrum = lanczos(1e-8, 200, ApproximateParams::default())),
            ("negative_tol", |p| p.branching.negative_tol = 1e-9),
            ("group_tol", |p| p.branching.group_tol = 1e-5),
            ("one_per_group", |p| p.branching.one_per_group = true),
            ("max_depth", |p| p.branching.max_depth = 7),
            ("alpha", |p| p.riding.alpha = 0.1 + f64::EPSILON),
            ("adaptive_alpha", |p| p.riding.adaptive_alpha = false),
            ("alpha_min", |p| p.riding.alpha_min = 1e-7),
            ("delta_break", |p| p.riding.delta_break = 0.9),
            ("min_improvement", |p| p.riding.min_improvement = -0.0),
            ("max_steps", |p| p.riding.max_steps = 999),
            ("timesteps", |p| p.budget.timesteps = 99_999),
            ("hvps", |p| p.budget.hvps = 1000),
            ("ablation fixed-ev", |p| p.ablation = Ablation::FixedEv),
            ("ablation rand-ridge-plus", |p| p.ablation = Ablation::RandRidgePlus),
            ("order dfs", |p| p.order = Order::DepthFirst),
            ("order best", |p| p.order = Order::BestLoss),
            ("order random", |p| p.order = Order::Random),
            ("final_descent none", |p| p.final_descent = None),
            ("final_descent.steps", |p| p.final_descent.as_mut().unwrap().steps = 1999),
            ("final_descent.lr", |p| p.final_descent.as_mut().unwrap().lr = 0.2),
            ("final_descent.grad_tol", |p| p.final_descent.as_mut().unwrap().grad_tol = 1e-8),
            ("alpha_warm_start", |p| p.heuristics.alpha_warm_start = true),
            ("descent_only_above", |p| p.heuristics.descent_only_above = 1.0),
            ("solutions_at_branch_points", |p| p.heuristics.solutions_at_branch_points = true),
            ("expand_label_once_per_depth", |p| p.heuristics.expand_label_once_per_depth = true),
            ("round", |p| p.round = 4),
            ("seed", |p| p.seed = 1),
            ("seed max", |p| p.seed = u64::MAX),
        ];
        let mut keys = vec![("default", key(&base))];
        for (name, change) in changes {
            let mut p = base.clone();
            change(&mut p);
            keys.push((name, key(&p)));
        }
        for (i, (a, ka)) in keys.iter().enumerate() {
            for (b, kb) in &keys[i + 1..] {
                assert_ne!(ka, kb, "{a} and {b} share a key");
            }
        }
        // Within a Lanczos spectrum, each of its fields counts too.
        let with = |s: Spectrum| {
            let mut p = base.clone();
            p.branching.spectrum = s;
            key(&p)
        };
        let a = ApproximateParams::default();
        let reference = with(lanczos(1e-8, 200, a.clone()));
        assert_ne!(reference, with(lanczos(1e-7, 200, a.clone())));
        assert_ne!(reference, with(lanczos(1e-8, 201, a.clone())));
        assert_ne!(reference, with(lanczos(1e-8, 200, ApproximateParams { inner_steps: 5, ..a.clone() })));
        assert_ne!(reference, with(lanczos(1e-8, 200, ApproximateParams { lr_x: 0.25, ..a.clone() })));
        assert_ne!(reference, with(lanczos(1e-8, 200, ApproximateParams { lr_lambda: 2e-3, ..a })));
    }

    #[test]
    fn the_problem_the_dimension_and_the_start_point_are_in_the_key() {
        let p = RrParams::default();
        let k = search_key(&p, "wells", 2, &[0.0, 0.0]);
        assert_ne!(k, search_key(&p, "wells2", 2, &[0.0, 0.0]));
        assert_ne!(k, search_key(&p, "wells", 3, &[0.0, 0.0]));
        assert_ne!(k, search_key(&p, "wells", 2, &[0.0, 1e-300]));
        assert_ne!(k, search_key(&p, "wells", 2, &[0.0, 0.0, 0.0]));
        // The problem's text cannot pass for a following field.
        assert_ne!(search_key(&p, "a;dim=2;", 2, &[]), search_key(&p, "a", 2, &[]));
    }

    /// The encoding is pinned: a checkpoint written by this version must resume under
    /// the next one. If this fails, the key's encoding changed: bump the format's magic
    /// (and add the old one to the refused formats) with the new constants. (The key
    /// was checked against FNV-1a of the text plus
    /// `problem=5:wells;dim=2;theta_mis.len=2;` and two `theta_mis=0000000000000000;`,
    /// computed outside Rust.)
    #[test]
    fn the_key_of_the_default_parameters_is_pinned() {
        let text = String::from_utf8(params_text(&RrParams::default())).unwrap();
        assert_eq!(text, PINNED_TEXT);
        assert_eq!(key(&RrParams::default()), PINNED_KEY, "{:#018x}", key(&RrParams::default()));
    }

    const PINNED_TEXT: &str = concat!(
        "branching.ridges=6;branching.spectrum=exact;branching.negative_tol=3e45798ee2308c3a;",
        "branching.group_tol=3eb0c6f7a0b5ed8d;branching.one_per_group=0;branching.max_depth=8;",
        "riding.alpha=3fb999999999999a;riding.adaptive_alpha=1;riding.alpha_min=3eb0c6f7a0b5ed8d;",
        "riding.delta_break=3fee666666666666;riding.min_improvement=0000000000000000;riding.max_steps=1000;",
        "budget.timesteps=100000;budget.hvps=18446744073709551615;ablation=rr;order=breadth-first;",
        "final_descent=some;final_descent.steps=2000;final_descent.lr=3fb999999999999a;",
        "final_descent.grad_tol=3e112e0be826d695;heuristics.alpha_warm_start=0;",
        "heuristics.descent_only_above=7ff0000000000000;heuristics.solutions_at_branch_points=0;",
        "heuristics.expand_label_once_per_depth=0;round=8;seed=0;",
    );
    const PINNED_KEY: u64 = 0x7ca0_b681_9ae3_90d7;
}
