use ridge_rider::problems::mlp::{Activation, Mlp};
use ridge_rider::problems::mnist::embedded;
use ridge_rider::problems::mnist_rr::*;
fn env(k: &str, d: f64) -> f64 {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}
fn main() {
    std::env::set_var("MATMUL_NUM_THREADS", "2");
    let (tr, test) = embedded();
    let mut c = MnistConfig::new(Mlp::mnist(128, Activation::Tanh));
    c.steps = env("STEPS", 600.0) as usize;
    c.alpha = env("ALPHA", c.alpha);
    c.lr_x = env("LRX", c.lr_x);
    c.inner_steps = env("S", c.inner_steps as f64) as usize;
    c.lr_lambda = env("LRL", c.lr_lambda);
    c.patience = env("PAT", 50.0) as usize;
    c.eval_every = env("EVAL", 100.0) as usize;
    let m: MnistMethod = std::env::var("M").unwrap_or("rr".into()).parse().unwrap();
    let curve = train(m, &c, &tr, &test, |_| {}).unwrap();
    for p in &curve.points {
        println!("{:>5} train {:.3} test {:.3}", p.0, p.1, p.2);
    }
    println!("hvps {} branchings {} {:.1}s", curve.hvps, curve.branchings, curve.seconds);
}
