//! The data sets: MNIST (IDX files, and the embedded 10,000 digits) and the Colored
//! MNIST environments built from it.

pub mod colored_mnist;
pub mod mnist;
