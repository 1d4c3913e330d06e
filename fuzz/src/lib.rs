//! The fuzz targets, included from the compiler's tests so that libFuzzer
//! runs exactly what the stable driver (`compiler/tests/fuzz.rs`) compiles
//! and runs in every `cargo test`. Each `fuzz_targets/*.rs` calls one.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)]

#[path = "../../compiler/tests/fuzz/oracle.rs"]
pub mod oracle;
#[path = "../../compiler/tests/fuzz/targets.rs"]
pub mod targets;
