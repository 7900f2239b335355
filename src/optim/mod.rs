//! First-order optimisers over any [`crate::ad::Loss`]: the adaptive gradient descent
//! that ends each Ridge Rider solution, and Adam for the baselines and the experiments'
//! inner steps. Above `ad`, below `rr`.

pub mod adam;
pub mod descent;

pub use adam::Adam;
pub use descent::{gradient_descent, Descent, DescentParams, OptimError};
