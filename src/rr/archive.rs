//! ChooseFromArchive: the order in which branch points are ridden.

use super::ridges::Choice;
use crate::rng::seeded;
use rand::Rng;
use std::collections::VecDeque;

/// Search order over the archive ([`Archive`]'s example pops in three of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// FIFO: every ridge of a branch point before any of their children.
    BreadthFirst,
    /// LIFO: ride one path to its end before backtracking.
    DepthFirst,
    /// Lowest loss at the branch point first.
    BestLoss,
    /// Uniformly at random, from the search's seed.
    Random,
}

/// A ridge waiting to be ridden from a branch point (see [`Archive`]).
#[derive(Clone, Debug)]
pub struct Entry {
    pub theta: Vec<f64>,
    pub loss: f64,
    pub direction: Vec<f64>,
    pub lambda: f64,
    /// The eigenvalue was repeated at the branch point (see [`RideStart::degenerate`](super::RideStart::degenerate)).
    pub degenerate: bool,
    /// The choices that led here, this ridge's last.
    pub fingerprint: Vec<Choice>,
    /// Insertion number: a stable tie-break and the ride's random stream.
    pub serial: u64,
}

/// The archive of ridges still to ride. Its whole state is the entries and two
/// counters, so a checkpoint restores it exactly.
///
/// ```
/// use ridge_rider::rr::{Archive, Entry, Order};
/// let entry = |loss: f64| Entry {
///     theta: vec![0.0],
///     loss,
///     direction: vec![1.0],
///     lambda: -1.0,
///     degenerate: false,
///     fingerprint: vec![],
///     serial: 0,
/// };
/// let (mut bfs, mut dfs, mut best) =
///     (Archive::new(Order::BreadthFirst, 0), Archive::new(Order::DepthFirst, 0), Archive::new(Order::BestLoss, 0));
/// for loss in [2.0, 1.0, 3.0] {
///     for a in [&mut bfs, &mut dfs, &mut best] {
///         a.push(entry(loss));
///     }
/// }
/// let first = |a: &mut Archive| a.pop().unwrap().loss;
/// assert_eq!((first(&mut bfs), first(&mut dfs), first(&mut best)), (2.0, 3.0, 1.0));
/// assert_eq!(bfs.len(), 2);
/// ```
pub struct Archive {
    order: Order,
    seed: u64,
    entries: VecDeque<Entry>,
    next_serial: u64,
    /// Pops so far: the random order draws pop k from its own stream, so it needs no
    /// generator state.
    pops: u64,
}

impl Archive {
    /// An empty archive; `seed` drives the random order.
    pub fn new(order: Order, seed: u64) -> Archive {
        Archive { order, seed, entries: VecDeque::new(), next_serial: 0, pops: 0 }
    }
    /// An archive from checkpointed state.
    pub fn restore(order: Order, seed: u64, entries: Vec<Entry>, next_serial: u64, pops: u64) -> Archive {
        Archive { order, seed, entries: entries.into(), next_serial, pops }
    }
    /// Add a ridge (its serial is assigned here).
    pub fn push(&mut self, mut e: Entry) {
        e.serial = self.next_serial;
        self.next_serial += 1;
        self.entries.push_back(e);
    }
    /// Ridges waiting.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// Whether no ridge is waiting.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Entries in storage order, and the (next serial, pops) counters.
    pub fn state(&self) -> (impl Iterator<Item = &Entry>, u64, u64) {
        (self.entries.iter(), self.next_serial, self.pops)
    }
    /// The next ridge by the archive's order.
    pub fn pop(&mut self) -> Option<Entry> {
        if self.entries.is_empty() {
            return None;
        }
        self.pops += 1;
        match self.order {
            Order::BreadthFirst => self.entries.pop_front(),
            Order::DepthFirst => self.entries.pop_back(),
            Order::BestLoss => {
                let best = (0..self.entries.len()).min_by(|&a, &b| {
                    let (x, y) = (&self.entries[a], &self.entries[b]);
                    x.loss.total_cmp(&y.loss).then(x.serial.cmp(&y.serial))
                })?;
                self.entries.remove(best)
            }
            Order::Random => {
                let i = seeded(self.seed, 0x0061_7263_0000 + self.pops).gen_range(0..self.entries.len());
                self.entries.remove(i)
            }
        }
    }
}
