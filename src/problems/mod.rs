pub mod figure1;
pub mod levers;
pub mod mlp;
pub mod mnist;
pub mod mnist_rr;
pub mod tree;
pub mod tree_methods;
