//! The binary's own modules (not part of the library): the command line's
//! grammar, the terminal, and the commands that work on texts.

pub mod args;
pub mod check;
pub mod import;
pub mod lsp;
pub mod markdown;
pub mod pool;
pub mod protocol;
pub mod result;
pub mod schedule;
pub mod simulate;
pub mod term;
pub mod text;
