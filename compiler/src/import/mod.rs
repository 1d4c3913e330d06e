//! Importers: another platform's trial definition and data become a spec
//! and a diary (`trialc import …`).
//!
//! Each importer is pure: text in, the spec's and the diary's text out, with
//! a list of what it assumed and what it left out, and coded diagnostics
//! (E10xx) for input it cannot use. The CLI reads and writes the files.

pub mod studyu;
