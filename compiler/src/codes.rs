//! The registry of diagnostic codes, generated from `docs/codes/*.md` by `build.rs`.
//!
//! Codes are grouped by phase: E01 syntax, E02 names and imports, E03 design
//! and schedule, E04 outcomes, E05 models and priors, E06 decision rules;
//! warnings (W) use the same numbering.

include!(concat!(env!("OUT_DIR"), "/codes.rs"));

/// The documentation page of a code (`E0101`, case-insensitive).
pub fn explain(code: &str) -> Option<&'static str> {
    CODES
        .iter()
        .find(|(c, _, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, _, page)| *page)
}

/// The kebab-case name of a code.
pub fn name(code: &str) -> Option<&'static str> {
    CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, n, _)| *n)
}
