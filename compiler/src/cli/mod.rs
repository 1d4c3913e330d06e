//! The binary's own modules (not part of the library): the command line's
//! grammar and the terminal.

pub mod args;
pub mod simulate;
pub mod term;
