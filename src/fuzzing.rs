//! Entry points shared by the cargo-fuzz targets in `fuzz/` and by ordinary tests, so
//! CI exercises every fuzzed code path without a nightly compiler.

use crate::ad::check::{finite_difference_hvp, relative_error};
use crate::ad::{gradient, hessian_vector_product, loss_fn, Var};

/// Parse arbitrary bytes as IDX images, IDX labels and both together: errors, never panics.
///
/// ```
/// ridge_rider::fuzzing::idx(&[0, 0, 8, 3, 255, 255, 255, 255, 0, 0, 0, 28]);
/// ```
pub fn idx(data: &[u8]) {
    let _ = crate::problems::data::mnist::parse_images("fuzz", data);
    let _ = crate::problems::data::mnist::parse_labels("fuzz", data);
    let half = data.len() / 2;
    let _ = crate::problems::data::mnist::parse_dataset(("a", &data[..half]), ("b", &data[half..]));
}

/// Parse arbitrary bytes as `.npy`; whatever parses must survive a write/read round trip.
///
/// ```
/// ridge_rider::fuzzing::npy(b"\x93NUMPY\x01\x00\xff\xff{'descr'");
/// ```
pub fn npy(data: &[u8]) {
    if let Ok(a) = crate::io::npy::read_npy_bytes(data) {
        let back = crate::io::npy::read_npy_bytes(&crate::io::npy::write_npy_bytes(&a)).expect("round trip");
        assert_eq!(back.shape, a.shape);
        assert!(back.data.iter().zip(&a.data).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())));
    }
}

/// Build a random smooth expression graph of three variables from `data`, then check
/// that value, gradient and HVP never panic and that the HVP matches central
/// differences of the gradient wherever the function is well conditioned.
///
/// ```
/// ridge_rider::fuzzing::autodiff(&[10, 200, 37, 99, 1, 250, 3, 7, 11, 42, 8]);
/// ```
pub fn autodiff(data: &[u8]) {
    // Compositions of up to 24 steep functions can have enormous higher derivatives,
    // where central differences are meaningless; the oracle applies only where two
    // step sizes agree (the difference quotient has converged).
    let (Some((hv, fd1)), Some((_, fd2))) =
        (autodiff_hvp_and_differences(data, 1e-4), autodiff_hvp_and_differences(data, 1e-5))
    else {
        return;
    };
    let scale = hv.iter().map(|x| x.abs()).fold(0.0, f64::max);
    if scale > 1e-3 && relative_error(&fd1, &fd2) < 1e-6 {
        let e = relative_error(&hv, &fd2);
        assert!(e < 1e-5, "HVP vs finite differences: relative error {e}: {hv:?} vs {fd2:?}");
    }
}

/// The expression graph's HVP and its central-difference estimate with step `h`
/// (`None` when `data` is too short to define a graph).
///
/// ```
/// use ridge_rider::fuzzing::autodiff_hvp_and_differences;
/// assert!(autodiff_hvp_and_differences(&[1, 2, 3], 1e-4).is_none());
/// let (hv, fd) = autodiff_hvp_and_differences(&[10, 200, 37, 99, 1, 250, 0, 2], 1e-4).unwrap();
/// assert_eq!((hv.len(), fd.len()), (3, 3));
/// ```
pub fn autodiff_hvp_and_differences(data: &[u8], h: f64) -> Option<(Vec<f64>, Vec<f64>)> {
    if data.len() < 6 {
        return None;
    }
    let unit = |b: u8| b as f64 / 127.5 - 1.0;
    let theta: Vec<f64> = data[..3].iter().map(|&b| 2.0 * unit(b)).collect();
    let v: Vec<f64> = data[3..6].iter().map(|&b| unit(b)).collect();
    let program: Vec<u8> = data[6..].iter().take(24).copied().collect();
    let f = loss_fn(3, move |t: Var| {
        let mut stack: Vec<Var> = (0..3).map(|i| t.at(i)).collect();
        for (k, &op) in program.iter().enumerate() {
            let a = stack[(op as usize / 16 + k) % stack.len()];
            let b = stack[(op as usize / 4 + 2 * k) % stack.len()];
            let y = match op % 12 {
                0 => a + b,
                1 => a - b,
                2 => a * b,
                3 => a / (b * b + 1.0),
                4 => a.tanh(),
                5 => a.sigmoid(),
                6 => a.softplus(),
                7 => a.tanh().exp(),
                8 => (a * a + 1.0).sqrt(),
                9 => (a * a).ln_1p(),
                10 => a.tanh().powi(3),
                _ => Var::concat(&[a, b]).reshape(1, 2).log_softmax().sum(),
            };
            // Keep magnitudes bounded so differences stay meaningful.
            stack.push(y.tanh() * 3.0);
        }
        let n = stack.len();
        stack[n - 1] + stack[n / 2] * 0.5
    });
    let g = gradient(&f, &theta).expect("finite input");
    let hvp = hessian_vector_product(&f, &theta, &v).expect("finite input");
    assert!(g.value.is_finite() && g.gradient.iter().all(|x| x.is_finite()), "non-finite gradient");
    assert!(hvp.hv.iter().all(|x| x.is_finite()), "non-finite HVP");
    let fd = finite_difference_hvp(&f, &theta, &v, h).expect("finite input");
    Some((hvp.hv, fd))
}
