pub mod mlp;
pub mod mnist;
