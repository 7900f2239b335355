//! A bias and activation fused into one node give the numbers the two separate nodes
//! give (equal as f64s; a zero may differ in sign): value, gradient, fresh and recorded
//! HVPs, in every lane.

use proptest::prelude::*;
use ridge_rider::ad::{gradient, hessian_vector_products, loss_fn, value, HessianAt, Unary, Var};

fn layer<'t>(t: Var<'t>, rows: usize, cols: usize, f: Unary, fused: bool) -> Var<'t> {
    let tape = t.tape();
    let x: Vec<f64> = (0..rows * 3).map(|i| ((i * 37 % 11) as f64 - 5.0) / 4.0).collect();
    let w = t.slice(0, 3 * cols).reshape(3, cols);
    let b = t.slice(3 * cols, cols).reshape(1, cols);
    let z = tape.constant(rows, 3, x).matmul(w);
    let h = if fused { z.map_with_bias(b, f) } else { (z + b).map(f) };
    let out = h.matmul(t.slice(0, cols).reshape(cols, 1));
    (out * out).sum() + h.sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn fused_bias_activation_equals_separate_nodes(rows in 1usize..50, cols in 1usize..40, which in 0usize..5,
                                                   lanes in 1usize..4, seed in 0u64..1000) {
        let f = [Unary::Tanh, Unary::Relu, Unary::Sigmoid, Unary::Softplus, Unary::Exp][which];
        let dim = 4 * cols;
        let fused = loss_fn(dim, move |t: Var| layer(t, rows, cols, f, true));
        let separate = loss_fn(dim, move |t: Var| layer(t, rows, cols, f, false));
        let mut r = ridge_rider::rng::seeded(seed, 3);
        let theta = ridge_rider::rng::normal_vec(&mut r, dim, 0.7);
        let dirs: Vec<Vec<f64>> = (0..lanes).map(|_| ridge_rider::rng::normal_vec(&mut r, dim, 1.0)).collect();
        let refs: Vec<&[f64]> = dirs.iter().map(|d| d.as_slice()).collect();
        prop_assert_eq!(value(&fused, &theta).unwrap().to_bits(), value(&separate, &theta).unwrap().to_bits());
        prop_assert_eq!(gradient(&fused, &theta).unwrap().gradient, gradient(&separate, &theta).unwrap().gradient);
        let (gf, gs) = (hessian_vector_products(&fused, &theta, &refs).unwrap(), hessian_vector_products(&separate, &theta, &refs).unwrap());
        prop_assert_eq!(&gf.gradient, &gs.gradient);
        let (hf, hs) = (gf.hvs, gs.hvs);
        prop_assert_eq!(&hf, &hs);
        let rf = HessianAt::new(&fused, &theta).unwrap().hessian_vector_products(&refs).unwrap();
        let rs = HessianAt::new(&separate, &theta).unwrap().hessian_vector_products(&refs).unwrap();
        prop_assert_eq!(&rf, &rs);
        prop_assert_eq!(&rf, &hf);
    }
}
