//! The two-dimensional surface of the paper's Figure 1, for demonstrations and tests:
//! L(x, y) = x⁴ − 2x² + (x² − ½)y² + y⁴/100.
//!
//! The origin is a maximum with Hessian diag(−4, −1). Along the steep x-axis lie two
//! shallow minima (±1, 0), L = −1; along the lower-curvature y-ridge two deeper ones
//! (0, ±5), L = −6.25 (the y-curvature at (±1, 0) is +1, the x-curvature at (0, ±5) is
//! +46, so all four are strict minima).

use crate::ad::{loss_fn, FnLoss, Var};
use crate::rr::{mis::gradient_descent, ridge_rider, RrParams, Solution};

/// The loss type of [`figure1_loss`].
pub type Figure1 = FnLoss<fn(Var) -> Var>;

fn figure1(t: Var) -> Var {
    let (x, y) = (t.at(0), t.at(1));
    let x2 = x * x;
    x2 * x2 - 2.0 * x2 + (x2 - 0.5) * y * y + (y * y).powi(2) * 0.01
}

/// The surface as a loss of θ = (x, y).
pub fn figure1_loss() -> Figure1 {
    loss_fn(2, figure1 as fn(Var) -> Var)
}

/// Exact RR from the origin with final gradient descent: the distinct minima found,
/// each with the fingerprint of the first ride that reached it.
pub fn ridge_rider_minima(loss: &Figure1) -> Vec<Solution> {
    let out = ridge_rider(loss, &[0.0, 0.0], &RrParams::default()).expect("the origin is a strict saddle");
    out.distinct_minima(1e-3).into_iter().cloned().collect()
}

/// Gradient descent from `count` points on a circle of radius 0.01 around the origin:
/// the distinct minima reached, as (x, y, loss, how often).
pub fn gradient_descent_minima(loss: &Figure1, count: usize) -> Vec<(f64, f64, f64, usize)> {
    let mut found: Vec<(f64, f64, f64, usize)> = Vec::new();
    for i in 0..count {
        let a = 2.0 * std::f64::consts::PI * (i as f64 + 0.5) / count as f64;
        let start = [0.01 * a.cos(), 0.01 * a.sin()];
        let (theta, l, _) = gradient_descent(loss, &start, 20_000, 0.01, 1e-10).expect("finite surface");
        match found.iter_mut().find(|f| (f.0 - theta[0]).hypot(f.1 - theta[1]) < 1e-3) {
            Some(f) => f.3 += 1,
            None => found.push((theta[0], theta[1], l, 1)),
        }
    }
    found
}
