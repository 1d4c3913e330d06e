//! The standard library specs can import (`use std.designs.*`), embedded in the binary.
//!
//! Modules are `.trial` files under `stdlib/`; embedding them keeps the
//! checker free of file IO and makes an import mean the same thing on every
//! machine.

/// Every importable module: its dotted name and its source.
pub const MODULES: &[(&str, &str)] = &[
    (
        "std.designs",
        include_str!("../../stdlib/std/designs.trial"),
    ),
    ("std.priors", include_str!("../../stdlib/std/priors.trial")),
];

/// The source of the module with this dotted name.
pub fn module(name: &str) -> Option<&'static str> {
    MODULES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, source)| *source)
}
