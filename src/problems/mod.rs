pub mod figure1;
pub mod mlp;
pub mod mnist;
