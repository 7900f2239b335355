//! The paper's experiments (feature `experiments`), one folder each, plus the data
//! they share. Each loss is written once against the tape; the CLI runs them.

pub mod cmnist;
pub mod data;
pub mod figure1;
pub mod levers;
pub mod mnist;
pub mod tree;
