//! Seeded randomness. Every random choice in the crate flows from a `u64` seed through
//! ChaCha8, so runs are reproducible on any machine and any thread count.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The crate's random number generator.
pub type SeededRng = ChaCha8Rng;

/// A generator for `seed`, on an independent `stream` (e.g. one per tree, per replicate).
///
/// ```
/// use rand::Rng;
/// let a: f64 = ridge_rider::rng::seeded(7, 1).gen();
/// let b: f64 = ridge_rider::rng::seeded(7, 1).gen();
/// assert_eq!(a, b);
/// ```
pub fn seeded(seed: u64, stream: u64) -> SeededRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A standard normal draw (Box–Muller; one of the pair is discarded for simplicity).
///
/// ```
/// let mut rng = ridge_rider::rng::seeded(0, 0);
/// let xs: Vec<f64> = (0..20_000).map(|_| ridge_rider::rng::normal(&mut rng)).collect();
/// let mean = xs.iter().sum::<f64>() / xs.len() as f64;
/// let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
/// assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.03);
/// ```
pub fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>(); // (0, 1]
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// `n` independent N(0, σ²) draws.
///
/// ```
/// let v = ridge_rider::rng::normal_vec(&mut ridge_rider::rng::seeded(1, 0), 5, 0.01);
/// assert!(v.len() == 5 && v.iter().all(|x| x.abs() < 0.1));
/// ```
pub fn normal_vec(rng: &mut impl Rng, n: usize, sigma: f64) -> Vec<f64> {
    (0..n).map(|_| sigma * normal(rng)).collect()
}

/// A uniformly random unit vector of length `n`.
///
/// ```
/// let u = ridge_rider::rng::unit_vector(&mut ridge_rider::rng::seeded(2, 0), 7);
/// assert!((u.iter().map(|x| x * x).sum::<f64>() - 1.0).abs() < 1e-12);
/// ```
pub fn unit_vector(rng: &mut impl Rng, n: usize) -> Vec<f64> {
    loop {
        let v = normal_vec(rng, n, 1.0);
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 1e-12 {
            return v.into_iter().map(|x| x / norm).collect();
        }
    }
}

/// A uniformly random permutation of `0..n` (Fisher–Yates).
///
/// ```
/// let mut p = ridge_rider::rng::permutation(&mut ridge_rider::rng::seeded(3, 0), 10);
/// p.sort();
/// assert_eq!(p, (0..10).collect::<Vec<_>>());
/// ```
pub fn permutation(rng: &mut impl Rng, n: usize) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.gen_range(0..=i);
        p.swap(i, j);
    }
    p
}

/// Mini-batch indices of `0..n` from a seeded shuffle, reshuffled whenever an epoch has
/// too few indices left for the next batch.
///
/// ```
/// let mut s = ridge_rider::rng::EpochShuffle::new(10, 0, 1);
/// let mut seen: Vec<usize> = (0..5).flat_map(|_| s.next(2).to_vec()).collect();
/// seen.sort();
/// assert_eq!(seen, (0..10).collect::<Vec<_>>());
/// ```
pub struct EpochShuffle {
    order: Vec<usize>,
    at: usize,
    rng: SeededRng,
}

impl EpochShuffle {
    /// A shuffle of `0..n` drawn from (`seed`, `stream`).
    pub fn new(n: usize, seed: u64, stream: u64) -> EpochShuffle {
        let mut rng = seeded(seed, stream);
        EpochShuffle { order: permutation(&mut rng, n), at: 0, rng }
    }
    /// The next `size` indices (`size` at most n).
    pub fn next(&mut self, size: usize) -> &[usize] {
        if self.at + size > self.order.len() {
            self.order = permutation(&mut self.rng, self.order.len());
            self.at = 0;
        }
        self.at += size;
        &self.order[self.at - size..self.at]
    }
}
