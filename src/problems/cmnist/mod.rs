//! Colored MNIST (paper Sec. 5.4, Table 1): the model, the ERM and IRMv1 baselines'
//! fits, and Ridge Rider's out-of-distribution search.

pub mod fit;
pub mod invariance;
pub mod model;
pub mod rr;
pub mod setup;
