//! trialc: compiler for personalized (N-of-1) clinical trial specs.
//!
//! Data flows one way: source → tokens → AST (`syntax`) → checked HIR (`hir`)
//! → schedule (`schedule`) → report. Only `main.rs` touches files, the
//! terminal, the clock and the environment.

pub mod analysis;
pub mod codes;
pub mod data;
pub mod diagnostic;
pub mod driver;
pub mod evidence;
pub mod family;
pub mod fit;
pub mod format;
pub mod hir;
pub mod hypotheses;
pub mod import;
pub mod init;
pub mod io;
pub mod lower;
pub mod lsp;
pub mod markdown;
pub mod pool;
pub mod protocol;
pub mod render;
pub mod report;
pub mod schedule;
pub mod simulate;
pub mod source;
pub mod stdlib;
pub mod syntax;
