//! tanh written for the vectoriser. The engine's hottest transcendental (every tanh
//! layer, every sweep) was libm's scalar tanh, one `expm1` per element; this version
//! is branch-free arithmetic that compiles to SIMD over a slice, and it is the same
//! function for one number ([`Real::tanh`](super::Real::tanh) on `f64`) and for a
//! slice, so the tape and nested duals agree to the bit. Accuracy: within a few ulp of
//! the correctly rounded tanh (checked against libm in the tests).

/// tanh x = x + x³·P(x²) below this |x| (Taylor series, converged to < 1e-18 there).
const SMALL: f64 = 0.5;
/// Taylor coefficients of tanh x from x³ on: 2²ⁿ(2²ⁿ − 1)B₂ₙ/(2n)!.
const TAYLOR: [f64; 18] = [
    -0.3333333333333333,
    0.13333333333333333,
    -0.05396825396825397,
    0.021869488536155203,
    -0.008863235529902197,
    0.003592128036572481,
    -0.0014558343870513183,
    0.000590027440945586,
    -0.00023912911424355248,
    9.691537956929451e-05,
    -3.927832388331683e-05,
    1.5918905069328964e-05,
    -6.451689215655431e-06,
    2.6147711512907546e-06,
    -1.0597268320104654e-06,
    4.294911078273806e-07,
    -1.7406618963571648e-07,
    7.054636946400968e-08,
];
/// Beyond 2|x| = 40, 1 − 2/(e^(2|x|) + 1) rounds to 1.
const LARGE: f64 = 40.0;
const LN2_HI: f64 = 0.693_147_180_369_123_8;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;

/// eʸ for 0 ≤ y ≤ 40: y = k·ln 2 + r with |r| ≤ ½ln 2, eʳ by its Taylor series to r¹³.
#[inline(always)]
fn exp_reduced(y: f64) -> f64 {
    let k = (y * std::f64::consts::LOG2_E + 0.5).floor();
    let r = (-k).mul_add(LN2_LO, (-k).mul_add(LN2_HI, y));
    let mut p: f64 = 1.0 / 6_227_020_800.0; // 1/13!
    for d in
        [479_001_600.0, 39_916_800.0, 3_628_800.0, 362_880.0, 40_320.0, 5_040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0]
    {
        p = p.mul_add(r, 1.0 / d);
    }
    p * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}

/// tanh x.
///
/// ```
/// let x = 0.3_f64;
/// assert!((ridge_rider::ad::elementary::tanh(x) - x.tanh()).abs() <= 2.0 * f64::EPSILON);
/// ```
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    let a = x.abs();
    let x2 = x * x;
    let mut p: f64 = TAYLOR[TAYLOR.len() - 1];
    for &c in TAYLOR[..TAYLOR.len() - 1].iter().rev() {
        p = p.mul_add(x2, c);
    }
    // x³·P + x, but x itself at ±0 (keeps the sign of zero).
    let small = if a == 0.0 { x } else { (x * x2).mul_add(p, x) };
    let y = if 2.0 * a > LARGE { LARGE } else { 2.0 * a };
    let large = (1.0 - 2.0 / (exp_reduced(y) + 1.0)).copysign(x);
    if a < SMALL {
        small
    } else {
        large
    }
}

/// out[i] = tanh(x[i]), vectorised for the instruction set the CPU offers.
pub(crate) fn tanh_slice(x: &[f64], out: &mut [f64]) {
    #[inline(always)]
    fn body(x: &[f64], out: &mut [f64]) {
        out.iter_mut().zip(x).for_each(|(o, &v)| *o = tanh(v));
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx512dq,fma")]
        unsafe fn avx512(x: &[f64], out: &mut [f64]) {
            body(x, out)
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2(x: &[f64], out: &mut [f64]) {
            body(x, out)
        }
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f") && has!("avx512dq") && has!("fma") {
            // SAFETY: the CPU supports the instructions the function was compiled for.
            return unsafe { avx512(x, out) };
        }
        if has!("avx2") && has!("fma") {
            // SAFETY: as above.
            return unsafe { avx2(x, out) };
        }
    }
    body(x, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn within_a_few_ulp_of_libm_everywhere() {
        let mut worst = 0;
        let mut x = -25.0;
        while x < 25.0 {
            for v in [x, x * 1e-3, x * 1e-9] {
                worst = worst.max(ulps(tanh(v), v.tanh()));
            }
            x += 0.000731;
        }
        // Densely where the exp path starts and the result is smallest.
        for i in 0..200_000 {
            let v = 0.5 + i as f64 * 2.5e-7;
            worst = worst.max(ulps(tanh(v), v.tanh())).max(ulps(tanh(-v), (-v).tanh()));
        }
        eprintln!("worst error {worst} ulp");
        assert!(worst <= 3, "worst error {worst} ulp");
        assert_eq!(tanh(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!((tanh(f64::INFINITY), tanh(f64::NEG_INFINITY), tanh(800.0)), (1.0, -1.0, 1.0));
        assert!(tanh(f64::NAN).is_nan());
        assert_eq!(tanh(1e-300), 1e-300);
    }

    #[test]
    fn slice_and_scalar_agree_to_the_bit() {
        let x: Vec<f64> = (0..5000).map(|i| (i as f64 - 2500.0) * 0.0123).collect();
        let mut out = vec![0.0; x.len()];
        tanh_slice(&x, &mut out);
        assert!(x.iter().zip(&out).all(|(&v, &t)| tanh(v).to_bits() == t.to_bits()));
    }
}
