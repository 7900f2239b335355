//! The IDX loader: the embedded digits, and rejection of every kind of malformed file.

use proptest::prelude::*;
use ridge_rider::problems::data::mnist::{embedded, embedded_all, parse_dataset, parse_images, parse_labels, IdxError};

mod common;
use common::idx;

#[test]
fn embedded_digits_match_their_readme() {
    let all = embedded_all();
    assert_eq!(all.len(), 10_000);
    assert_eq!(all.pixels, 784);
    let mut counts = [0usize; 10];
    for &l in &all.labels {
        counts[l] += 1;
    }
    assert_eq!(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    assert!(all.x.iter().all(|&p| (0.0..=1.0).contains(&p)));
    let (train, test) = embedded();
    assert_eq!((train.len(), test.len()), (8000, 2000));
}

#[test]
fn good_small_files_parse() {
    let images = idx(0x803, &[2, 2, 2], &[0, 255, 10, 20, 30, 40, 50, 60]);
    let labels = idx(0x801, &[2], &[3, 9]);
    let d = parse_dataset(("i", &images), ("l", &labels)).unwrap();
    assert_eq!(d.labels, vec![3, 9]);
    assert_eq!(d.x[1], 1.0);
}

#[test]
fn malformed_files_are_rejected_with_the_file_named() {
    let good = idx(0x803, &[2, 2, 2], &[0; 8]);
    let truncated = &good[..good.len() - 1];
    assert!(matches!(parse_images("t.idx", truncated), Err(IdxError::Length { .. })));
    let e = parse_images("t.idx", truncated).unwrap_err().to_string();
    assert!(e.contains("t.idx"), "{e}");
    assert!(matches!(parse_images("m", &idx(0x801, &[2, 2, 2], &[0; 8])), Err(IdxError::BadMagic { .. })));
    assert!(matches!(
        parse_labels("l", &idx(0x801, &[2], &[1, 10])),
        Err(IdxError::LabelOutOfRange { index: 1, label: 10, .. })
    ));
    let labels = idx(0x801, &[3], &[1, 2, 3]);
    assert!(matches!(
        parse_dataset(("i", &good), ("l", &labels)),
        Err(IdxError::CountMismatch { images: 2, labels: 3 })
    ));
    // Absurd dimensions: rejected from the header, before any allocation.
    let absurd = idx(0x803, &[u32::MAX, u32::MAX, u32::MAX], &[0; 16]);
    assert!(parse_images("a", &absurd).is_err());
    assert!(matches!(parse_images("z", &idx(0x803, &[1, 0, 5], &[])), Err(IdxError::Dimensions { .. })));
    assert!(matches!(parse_images("g", &[0x1f, 0x8b, 1, 2, 3]), Err(IdxError::Gzip { .. })));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_images("f", &bytes);
        let _ = parse_labels("f", &bytes);
        let mut with_magic = idx(0x803, &[], &[]);
        with_magic.extend_from_slice(&bytes);
        let _ = parse_images("f", &with_magic);
    }
}

#[test]
fn short_rr_run_on_a_few_hundred_digits_beats_chance_widely() {
    use ridge_rider::problems::mnist::mlp::{Activation, Mlp};
    use ridge_rider::problems::mnist::rr::{train, MnistConfig, MnistMethod};
    let all = embedded_all();
    let (tr, te) = (all.slice(0..400), all.slice(9000..9400));
    let mut c = MnistConfig::new(Mlp::mnist(16, Activation::Tanh));
    c.steps = 150;
    c.batch = 64;
    c.alpha = 0.05;
    c.probe_batch = 200;
    c.eval_every = 50;
    let curve = train(MnistMethod::RidgeRider, &c, &tr, &te, |_| {}).unwrap();
    println!("{:?}", curve.points);
    assert!(curve.final_test() > 0.4, "test accuracy {}", curve.final_test());
    assert!(curve.hvps > 0 && curve.branchings >= 1);
    // One ridge measurement per evaluation after the start; the first ride descends.
    println!("{:?}", curve.ridge_trace);
    let steps: Vec<usize> = curve.ridge_trace.iter().map(|t| t.step).collect();
    assert_eq!(steps, vec![50, 100, 150]);
    for t in &curve.ridge_trace {
        assert!(t.curvature.is_finite() && t.lambda.is_finite());
        assert!((-1.0..=1.0).contains(&t.cos_gradient), "cos {}", t.cos_gradient);
    }
    assert!(curve.ridge_trace[0].cos_gradient < 0.0, "{:?}", curve.ridge_trace[0]);
    assert_eq!(curve.descent_steps, 0, "the default follows every ridge");
    // With gradient descent where a branching finds no ridge: still evaluated at every
    // evaluation step, still learning.
    c.descent_steps = 20;
    let descended = train(MnistMethod::RidgeRider, &c, &tr, &te, |_| {}).unwrap();
    assert_eq!(descended.points.iter().map(|p| p.0).collect::<Vec<_>>(), vec![0, 50, 100, 150]);
    assert!(descended.final_test() > 0.4, "test accuracy {}", descended.final_test());
    assert!(descended.descent_steps < c.steps);
}

#[test]
fn linear_baseline_learns_and_its_gradient_matches_differences() {
    use ridge_rider::ad::check::{finite_difference_gradient, relative_error};
    use ridge_rider::ad::gradient;
    use ridge_rider::problems::mnist::mlp::{Activation, Mlp};
    use ridge_rider::problems::mnist::rr::{train, MnistConfig, MnistMethod};
    use ridge_rider::problems::mnist::softmax_regression::SoftmaxRegression;
    let all = embedded_all();
    // The loss's gradient against central differences, at a random point.
    let few = all.slice(0..20);
    let model = SoftmaxRegression { inputs: 784, outputs: 10 };
    let loss = model.loss(few.x.clone(), few.labels.clone());
    let theta = ridge_rider::rng::normal_vec(&mut ridge_rider::rng::seeded(3, 0), model.dim(), 0.05);
    let g = gradient(&loss, &theta).unwrap().gradient;
    let fd = finite_difference_gradient(&loss, &theta, 1e-6).unwrap();
    assert!(relative_error(&g, &fd) < 1e-7, "{}", relative_error(&g, &fd));
    // Trained on 400 digits, it beats chance (10%) by far on 400 others.
    let (tr, te) = (all.slice(0..400), all.slice(9000..9400));
    let mut c = MnistConfig::new(Mlp::mnist(16, Activation::Tanh));
    c.steps = 150;
    c.batch = 64;
    c.eval_every = 50;
    let curve = train(MnistMethod::Linear, &c, &tr, &te, |_| {}).unwrap();
    assert_eq!(curve.points.iter().map(|p| p.0).collect::<Vec<_>>(), vec![0, 50, 100, 150]);
    assert!(curve.final_test() > 0.7, "test accuracy {}", curve.final_test());
    assert!(curve.final_train() > curve.points[0].1);
}

/// At θ = 0 every hidden unit computes the same function, so each negative eigenvalue
/// of the Hessian is repeated once per unit; `ridge_at_mis` returns one member of the
/// i-th group, checked against the dense eigendecomposition.
#[test]
fn the_mis_repeats_each_eigenvalue_once_per_hidden_unit_and_ridge_i_is_group_i() {
    use ridge_rider::ad::{hessian, hessian_vector_product};
    use ridge_rider::linalg::{symmetric_eigen, DenseSymmetric};
    use ridge_rider::problems::mnist::mlp::{Activation, Mlp, MlpLoss};
    use ridge_rider::problems::mnist::ridges::{member_on_one_unit, ridge_at_mis};
    use ridge_rider::rr::RrError;
    let hidden = 3;
    let mlp = Mlp::new(5, hidden, 3, Activation::Tanh);
    let x: Vec<f64> = (0..60).map(|i| ((i * 37) % 23) as f64 / 23.0).collect();
    let loss = MlpLoss::new(mlp, x, (0..12).map(|i| (i * 7) % 3).collect()).unwrap();
    let zero = vec![0.0; mlp.dim()];
    let dense = symmetric_eigen(&DenseSymmetric::new(mlp.dim(), hessian(&loss, &zero).unwrap()).unwrap()).unwrap();
    let negative: Vec<f64> = dense.values.iter().copied().filter(|v| *v < -1e-9).collect();
    let mut groups: Vec<(f64, usize)> = Vec::new();
    for v in negative {
        match groups.last_mut() {
            Some((g, count)) if (*g - v).abs() < 1e-9 => *count += 1,
            _ => groups.push((v, 1)),
        }
    }
    assert!(groups.len() >= 2, "{groups:?}");
    assert!(groups.iter().all(|(_, count)| *count == hidden), "{groups:?}");
    for (i, (lambda, _)) in groups.iter().enumerate() {
        let (e, got, _) = ridge_at_mis(&loss, i, 7).unwrap();
        assert!((got - lambda).abs() < 1e-9, "group {i}: {got} vs {lambda}");
        let he = hessian_vector_product(&loss, &zero, &e).unwrap().hv;
        let residual: f64 = he.iter().zip(&e).map(|(h, v)| (h - lambda * v).powi(2)).sum::<f64>().sqrt();
        assert!(residual < 1e-8, "group {i}: residual {residual}");
        // Restricted to the one unit a near-zero start favours, it is still an
        // eigenvector at θ = 0 with the same eigenvalue.
        let start = mlp.init_near_zero(3, 0.01);
        let (u, _) = member_on_one_unit(&loss, &start, &e).unwrap();
        let units: Vec<usize> = (0..hidden).filter(|&j| mlp.unit_parameters(j).any(|k| u[k] != 0.0)).collect();
        assert_eq!(units.len(), 1, "group {i}");
        assert!(mlp.unit_parameters(units[0]).map(|k| u[k] * u[k]).sum::<f64>() > 1.0 - 1e-12);
        let hu = hessian_vector_product(&loss, &zero, &u).unwrap().hv;
        let residual: f64 = hu.iter().zip(&u).map(|(h, v)| (h - lambda * v).powi(2)).sum::<f64>().sqrt();
        assert!(residual < 1e-8, "group {i}: one-unit residual {residual}");
    }
    match ridge_at_mis(&loss, groups.len(), 7) {
        Err(RrError::NoSuchRidge { requested, available }) => {
            assert_eq!((requested, available), (groups.len(), groups.len()))
        }
        other => panic!("{other:?}"),
    }
}
