//! ChooseFromArchive: the order in which branch points are ridden.

use super::ridges::Choice;
use crate::rng::{seeded, SeededRng};
use rand::Rng;
use std::collections::VecDeque;

/// Search order over the archive.
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

impl std::str::FromStr for Order {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "bfs" => Ok(Order::BreadthFirst),
            "dfs" => Ok(Order::DepthFirst),
            "best" => Ok(Order::BestLoss),
            "random" => Ok(Order::Random),
            _ => Err(format!("unknown search order '{s}' (bfs, dfs, best or random)")),
        }
    }
}

/// A ridge waiting to be ridden from a branch point.
#[derive(Clone, Debug)]
pub struct Entry {
    pub theta: Vec<f64>,
    pub loss: f64,
    pub direction: Vec<f64>,
    pub lambda: f64,
    /// The eigenvalue was repeated at the branch point (see [`ride_from`](super::follow::ride_from)).
    pub degenerate: bool,
    /// The choices that led here, this ridge's last.
    pub fingerprint: Vec<Choice>,
    /// Insertion number: a stable tie-break and the ride's random stream.
    pub serial: u64,
}

/// The archive of ridges still to ride.
pub struct Archive {
    order: Order,
    entries: VecDeque<Entry>,
    rng: SeededRng,
    next_serial: u64,
}

impl Archive {
    pub fn new(order: Order, seed: u64) -> Archive {
        Archive { order, entries: VecDeque::new(), rng: seeded(seed, 0x617263), next_serial: 0 }
    }
    pub fn push(&mut self, mut e: Entry) {
        e.serial = self.next_serial;
        self.next_serial += 1;
        self.entries.push_back(e);
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// The next ridge by the archive's order.
    pub fn pop(&mut self) -> Option<Entry> {
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
                if self.entries.is_empty() {
                    return None;
                }
                let i = self.rng.gen_range(0..self.entries.len());
                self.entries.remove(i)
            }
        }
    }
}
