//! MNIST (paper Sec. 5.3, Fig. 4 and 5): the MLP, its classification losses, the
//! ridges at its maximally invariant saddle, and RR's training loop with its baselines.

pub mod classification;
pub mod config;
pub mod mlp;
pub mod ridges;
pub mod rr;
pub mod softmax_regression;
