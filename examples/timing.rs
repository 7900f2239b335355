use ridge_rider::ad::{gradient, hessian_vector_product, value};
use ridge_rider::problems::mnist::mlp::{Activation, Mlp, MlpLoss};
use std::time::Instant;
fn main() {
    let b = 2236;
    let mlp = Mlp::mnist(128, Activation::Tanh);
    let x: Vec<f64> = (0..b * 784).map(|i| ((i * 2654435761usize) % 1000) as f64 / 1000.0).collect();
    let y: Vec<usize> = (0..b).map(|i| i % 10).collect();
    let loss = MlpLoss::new(mlp, x, y).unwrap();
    let th = mlp.init_standard(0);
    let v = mlp.init_standard(1);
    for _ in 0..std::env::args().nth(1).map_or(2, |s| s.parse().unwrap()) {
        let t = Instant::now();
        for _ in 0..10 {
            value(&loss, &th).unwrap();
        }
        let l = t.elapsed().as_secs_f64() * 100.0;
        let t = Instant::now();
        for _ in 0..10 {
            gradient(&loss, &th).unwrap();
        }
        let g = t.elapsed().as_secs_f64() * 100.0;
        let t = Instant::now();
        for _ in 0..10 {
            hessian_vector_product(&loss, &th, &v).unwrap();
        }
        let h = t.elapsed().as_secs_f64() * 100.0;
        println!("loss {l:.2} ms grad {g:.2} ms hvp {h:.2} ms  hvp/grad {:.2} grad/loss {:.2}", h / g, g / l);
    }
}
