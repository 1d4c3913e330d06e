//! The normative grammar of the `.trial` language, as a pest parser.
//!
//! `trial.pest` is the one source of truth for syntax. The production parser in
//! `trialc::syntax` is a logos lexer with a recovering recursive-descent parser;
//! a conformance test keeps both accepting exactly the same inputs.

use pest_derive::Parser;

/// The pest parser generated from `trial.pest`.
#[derive(Parser)]
#[grammar = "../trial.pest"]
pub struct TrialGrammar;

pub use pest::Parser;
