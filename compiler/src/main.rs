//! The trialc command-line interface.
fn main() {}
