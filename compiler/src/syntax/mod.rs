//! The syntax layer: source text to AST, never failing.
//!
//! `parse` is a pure function `&str -> (ast::File, Vec<Diagnostic>)`: a logos
//! lexer and a recursive-descent parser that recovers from errors, so that one
//! run reports every syntax error and the checker still sees what parsed.

pub mod ast;
