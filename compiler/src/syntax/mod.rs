//! The syntax layer: source text to AST, never failing.
//!
//! `parse` is a pure function `&str -> (ast::File, Vec<Diagnostic>)`: a logos
//! lexer and a recursive-descent parser that recovers from errors, so that one
//! run reports every syntax error and the checker still sees what parsed.
//! The normative grammar is `grammar/trial.pest`; `tests/conformance.rs`
//! keeps this parser accepting exactly what that grammar accepts.

pub mod ast;
pub mod lexer;
pub mod parser;

use crate::diagnostic::Diagnostic;

/// Parse a `.trial` source. Never panics; every span lies within `source`.
/// The spec is syntactically valid iff no diagnostic is an error.
pub fn parse(source: &str) -> (ast::File, Vec<Diagnostic>) {
    parser::Parser::new(source).parse_file()
}
