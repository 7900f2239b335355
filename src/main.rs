//! The `ridge-rider` command-line tool.

fn main() {
    std::process::exit(ridge_rider::cli::run());
}
