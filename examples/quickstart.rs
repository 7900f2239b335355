//! Ridge Rider on a two-dimensional surface like the paper's Figure 1: a maximum at the
//! origin, two shallow minima near it along the steep axis, and two deeper minima along
//! the lower-curvature ridge. Gradient descent from near the origin finds only the
//! shallow ones; exact RR finds all four, each with its fingerprint.
//!
//! The loss is written once; value, gradient, HVPs and the Hessian all come from it.

use ridge_rider::problems::figure1::{figure1_loss, gradient_descent_minima, ridge_rider_minima};

fn main() {
    let loss = figure1_loss();
    println!("L(x, y) = x⁴ − 2x² + (x² − ½)y² + y⁴/100");
    println!("\nExact Ridge Rider from the maximum at (0, 0):");
    println!("{:>14} {:>10} {:>10} {:>10}", "fingerprint", "x", "y", "loss");
    for s in ridge_rider_minima(&loss) {
        let fp: Vec<String> =
            s.fingerprint.iter().map(|c| format!("{}{}", if c.sign > 0 { '+' } else { '-' }, c.index)).collect();
        println!("{:>14} {:>10.4} {:>10.4} {:>10.4}", fp.join(","), s.theta[0], s.theta[1], s.loss);
    }
    println!("\nGradient descent from 16 points within 0.01 of the origin:");
    for (x, y, loss, count) in gradient_descent_minima(&loss, 16) {
        println!("  ({x:>7.4}, {y:>7.4})  loss {loss:>8.4}  reached {count} times");
    }
}
