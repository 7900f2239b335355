//! The fuzz targets' code paths on arbitrary input, so CI runs them without cargo-fuzz.

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn idx_target(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        ridge_rider::fuzzing::idx(&data);
    }
    #[test]
    fn npy_target(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        ridge_rider::fuzzing::npy(&data);
    }
    #[test]
    fn autodiff_target(data in proptest::collection::vec(any::<u8>(), 0..40)) {
        ridge_rider::fuzzing::autodiff(&data);
    }
}

#[test]
fn npy_target_on_a_valid_file() {
    let a = ridge_rider::io::npy::NpyArray { shape: vec![2, 2], data: vec![1.0, f64::NAN, -0.0, 3.5] };
    ridge_rider::fuzzing::npy(&ridge_rider::io::npy::write_npy_bytes(&a));
}

/// Found by the fuzzer: a chain of steep functions whose HVP (≈5.7e17) is right but
/// whose central differences diverge with the step; the oracle must not fire there.
#[test]
fn autodiff_target_on_an_ill_conditioned_graph() {
    let data: &[u8] = &[
        37, 37, 37, 33, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 33, 37, 37, 37, 37,
        37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37,
        37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 214, 0, 8, 162,
    ];
    ridge_rider::fuzzing::autodiff(data);
    let (hv, _) = ridge_rider::fuzzing::autodiff_hvp_and_differences(data, 1e-4).unwrap();
    assert!(hv.iter().all(|x| x.is_finite()));
}
