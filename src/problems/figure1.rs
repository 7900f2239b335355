//! The two-dimensional surface of the paper's Figure 1, for demonstrations and tests:
//! L(x, y) = x⁴ − 2x² + (x² − ½)y² + y⁴/100.
//!
//! The origin is a maximum with Hessian diag(−4, −1). Along the steep x-axis lie two
//! shallow minima (±1, 0), L = −1; along the lower-curvature y-ridge two deeper ones
//! (0, ±5), L = −6.25 (the y-curvature at (±1, 0) is +1, the x-curvature at (0, ±5) is
//! +46, so all four are strict minima).

use crate::ad::{loss_fn, FnLoss, Var};
use crate::optim::{gradient_descent, DescentParams};
use crate::rr::{ridge_rider, RrParams, Solution};

/// The loss type of [`figure1_loss`] (an example is there).
pub type Figure1 = FnLoss<fn(Var) -> Var>;

fn figure1(t: Var) -> Var {
    let (x, y) = (t.at(0), t.at(1));
    let x2 = x * x;
    x2 * x2 - 2.0 * x2 + (x2 - 0.5) * y * y + (y * y).powi(2) * 0.01
}

/// The surface as a loss of θ = (x, y).
///
/// ```
/// use ridge_rider::ad::{hessian, value};
/// use ridge_rider::problems::figure1::figure1_loss;
/// let f = figure1_loss();
/// assert_eq!(hessian(&f, &[0.0, 0.0]).unwrap(), vec![-4.0, 0.0, 0.0, -1.0]);
/// assert!((value(&f, &[0.0, 5.0]).unwrap() + 6.25).abs() < 1e-12);
/// ```
pub fn figure1_loss() -> Figure1 {
    loss_fn(2, figure1 as fn(Var) -> Var)
}

/// Exact RR from the origin with final gradient descent: the distinct minima found,
/// each with the fingerprint of the first ride that reached it.
///
/// ```
/// use ridge_rider::problems::figure1::{figure1_loss, ridge_rider_minima};
/// let minima = ridge_rider_minima(&figure1_loss());
/// // All four: the shallow pair on the x-axis and the deep pair on the y-axis.
/// assert_eq!(minima.len(), 4);
/// assert_eq!(minima.iter().filter(|s| (s.loss + 6.25).abs() < 1e-6).count(), 2);
/// ```
pub fn ridge_rider_minima(loss: &Figure1) -> Vec<Solution> {
    let out = ridge_rider(loss, &[0.0, 0.0], &RrParams::default()).expect("the origin is a strict saddle");
    out.distinct_minima(1e-3).into_iter().cloned().collect()
}

/// Gradient descent from `count` points on a circle of radius 0.01 around the origin:
/// the distinct minima reached, as (x, y, loss, how often).
///
/// ```
/// use ridge_rider::problems::figure1::{figure1_loss, gradient_descent_minima};
/// let found = gradient_descent_minima(&figure1_loss(), 8);
/// assert_eq!(found.iter().map(|f| f.3).sum::<usize>(), 8);
/// ```
pub fn gradient_descent_minima(loss: &Figure1, count: usize) -> Vec<(f64, f64, f64, usize)> {
    let mut found: Vec<(f64, f64, f64, usize)> = Vec::new();
    for i in 0..count {
        let a = 2.0 * std::f64::consts::PI * (i as f64 + 0.5) / count as f64;
        let start = [0.01 * a.cos(), 0.01 * a.sin()];
        let d = gradient_descent(loss, &start, &DescentParams { steps: 20_000, lr: 0.01, grad_tol: 1e-10 });
        let (theta, l) = d.map(|d| (d.theta, d.loss)).expect("finite surface");
        match found.iter_mut().find(|f| (f.0 - theta[0]).hypot(f.1 - theta[1]) < 1e-3) {
            Some(f) => f.3 += 1,
            None => found.push((theta[0], theta[1], l, 1)),
        }
    }
    found
}
