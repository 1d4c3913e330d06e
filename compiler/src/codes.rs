//! The registry of diagnostic codes, generated from `docs/codes/*.md` by `build.rs`.
//!
//! Codes are grouped by phase: E00 internal errors (a bug in trialc, never
//! the user's input), E01 syntax, E02 names and imports, E03 design and
//! schedule, E04 outcomes, E05 models and priors, E06 decision rules, E07 the
//! diary, E08 hypotheses files, E09 the fit; warnings (W) use the same
//! numbering. Every code is a typed constant ([`E0101`], …) generated from
//! its documentation page, so a diagnostic cannot carry an undocumented or
//! misspelt code.

use std::fmt;

/// A documented diagnostic code. Only the generated constants make one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(&'static str);

impl Code {
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_the_documented_codes() {
        assert_eq!(E0101.as_str(), "E0101");
        assert_eq!(name(E0910.as_str()), Some("fit-failed"));
        assert!(explain(E0001.as_str()).is_some());
    }
}
