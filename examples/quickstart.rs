//! Write a loss once; get value, gradient, Hessian-vector products and the Hessian.
use ridge_rider::ad::{gradient, hessian, hessian_vector_product, loss_fn, Var};

fn main() {
    // Rosenbrock: (1 − x)² + 100 (y − x²)².
    let rosen = loss_fn(2, |t: Var| (1.0 - t.at(0)).powi(2) + 100.0 * (t.at(1) - t.at(0) * t.at(0)).powi(2));
    let theta = [-1.2, 1.0];
    let g = gradient(&rosen, &theta).expect("valid input");
    let hv = hessian_vector_product(&rosen, &theta, &[1.0, 0.0]).expect("valid input");
    let h = hessian(&rosen, &theta).expect("valid input");
    println!("loss {:.4}, gradient {:?}", g.value, g.gradient);
    println!("H·e₀ {:?}", hv.hv);
    println!("H {:?}", h);
}
