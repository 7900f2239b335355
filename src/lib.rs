//! # ridge-rider
//!
//! Ridge Rider (Parker-Holder et al., NeurIPS 2020) finds qualitatively different
//! minima of a loss by following eigenvectors of the Hessian with negative curvature
//! ("ridges") from a saddle, and branching when a ride ends.
//!
//! Layers, lowest first (a layer never imports a higher one):
//! * [`kernels`]: dense vector kernels and the matrix product, shared by every layer.
//! * [`ad`]: hand-written autodiff: duals, a tensor tape, forward-over-reverse HVPs.
//! * [`rng`]: seeded randomness shared by every layer.
//! * [`linalg`]: dense symmetric eigen, Lanczos and power iteration over HVP operators.
//! * [`optim`]: gradient descent and Adam over any loss.
//! * [`rr`]: the Ridge Rider search: ridges, rides, archive, fingerprints, MIS.
//! * `problems` (feature `experiments`): losses of the paper's experiments, written
//!   once against the tape, and the embedded MNIST digits.
//! * `cli` (feature `cli`, the default): the `ridge-rider` command.
//!
//! With `default-features = false` the crate is the first four layers and `io`: no
//! experiment, no embedded data, no CLI dependency.

pub mod ad;
pub mod io;
pub mod kernels;
pub mod linalg;
pub mod optim;
pub mod rng;
pub mod rr;

#[cfg(feature = "experiments")]
pub mod problems;

/// Entry points of the cargo-fuzz targets in `fuzz/`, shared with ordinary tests; not
/// part of the library's API.
#[cfg(feature = "experiments")]
#[doc(hidden)]
pub mod fuzzing;

#[cfg(feature = "cli")]
pub mod cli;

/// README.md's Rust example runs as a doctest, so the front page cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
