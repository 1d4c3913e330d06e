//! The binary's own modules (not part of the library): the command line's
//! grammar, the terminal, and the commands that work on texts.

pub mod args;
pub mod markdown;
pub mod pool;
pub mod term;
pub mod text;
