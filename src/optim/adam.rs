//! Adam (Kingma & Ba, 2015), the optimiser of the baselines and of the RR extension's
//! inner steps, with β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
//!
//! ```
//! use ridge_rider::optim::Adam;
//! // Minimise (x − 3)²: the gradient is 2(x − 3).
//! let (mut x, mut adam) = (vec![0.0], Adam::new(1));
//! for _ in 0..2000 {
//!     let g = vec![2.0 * (x[0] - 3.0)];
//!     adam.step(&mut x, &g, |_| 0.01);
//! }
//! assert!((x[0] - 3.0).abs() < 1e-3);
//! ```

/// Adam's moment estimates.
///
/// ```
/// use ridge_rider::optim::Adam;
/// // The first step moves every parameter by about its learning rate, whatever the
/// // gradient's scale.
/// let (mut theta, mut adam) = (vec![0.0, 0.0], Adam::new(2));
/// adam.step(&mut theta, &[1e-6, -1e3], |i| if i == 0 { 0.1 } else { 0.01 });
/// assert!((theta[0] + 0.1).abs() < 1e-3 && (theta[1] - 0.01).abs() < 1e-6);
/// ```
pub struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    /// Fresh moments for `n` parameters.
    pub fn new(n: usize) -> Adam {
        Adam { m: vec![0.0; n], v: vec![0.0; n], t: 0 }
    }
    /// One step on gradient `g`; `lr(i)` is the learning rate of parameter i (blocks
    /// of parameters may learn at different rates).
    pub fn step(&mut self, theta: &mut [f64], g: &[f64], lr: impl Fn(usize) -> f64) {
        self.t += 1;
        let (b1, b2) = (0.9f64, 0.999f64);
        let (c1, c2) = (1.0 - b1.powi(self.t), 1.0 - b2.powi(self.t));
        for i in 0..theta.len() {
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g[i];
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g[i] * g[i];
            theta[i] -= lr(i) * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + 1e-8);
        }
    }
}
