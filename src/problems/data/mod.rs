//! The data sets: MNIST (IDX files, and the embedded 10,000 digits) and the Colored
//! MNIST environments built from it; and the one mini-batch sampler both use.

pub mod colored_mnist;
pub mod mnist;

use crate::rng::EpochShuffle;

/// A data set of rows that can be drawn from by index.
pub trait Rows: Sized {
    /// Number of rows.
    fn len(&self) -> usize;
    /// Whether there are no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The rows at `indices`, in that order.
    fn select(&self, indices: &[usize]) -> Self;
}

impl Rows for mnist::Dataset {
    fn len(&self) -> usize {
        mnist::Dataset::len(self)
    }
    fn select(&self, indices: &[usize]) -> Self {
        mnist::Dataset::select(self, indices)
    }
}

impl Rows for colored_mnist::Environment {
    fn len(&self) -> usize {
        colored_mnist::Environment::len(self)
    }
    fn select(&self, indices: &[usize]) -> Self {
        colored_mnist::Environment::select(self, indices)
    }
}

/// Mini-batches of `size` rows (at most all of them) from a seeded shuffle, epoch after
/// epoch: every row once per epoch, the same batches for the same seed and stream.
///
/// ```
/// use ridge_rider::problems::data::{Batches, Rows};
/// // Rows that are their own indices, to see which rows a batch holds.
/// struct Ids(Vec<usize>);
/// impl Rows for Ids {
///     fn len(&self) -> usize { self.0.len() }
///     fn select(&self, at: &[usize]) -> Ids { Ids(at.iter().map(|&i| self.0[i]).collect()) }
/// }
/// let all = Ids((0..10).collect());
/// let mut batches = Batches::new(&all, 5, 0, 1);
/// let mut epoch = batches.next().0;
/// epoch.extend(batches.next().0);
/// epoch.sort();
/// assert_eq!(epoch, (0..10).collect::<Vec<_>>()); // one epoch: every row once
/// ```
pub struct Batches<'a, R> {
    data: &'a R,
    shuffle: EpochShuffle,
    size: usize,
}

impl<'a, R: Rows> Batches<'a, R> {
    /// Batches of `data` drawn by the random stream (`seed`, `stream`).
    pub fn new(data: &'a R, size: usize, seed: u64, stream: u64) -> Self {
        Batches { data, shuffle: EpochShuffle::new(data.len(), seed, stream), size: size.min(data.len()) }
    }
    /// The next batch.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> R {
        self.data.select(self.shuffle.next(self.size))
    }
}
