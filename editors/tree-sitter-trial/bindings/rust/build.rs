//! Compiles the parser that `tree-sitter generate` wrote into `src/` (committed,
//! so neither Node.js nor the tree-sitter CLI is needed here).
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)] // a build script is an IO edge of its own

use std::path::Path;

fn main() {
    let src = Path::new("src");
    let mut build = cc::Build::new();
    build.std("c11").include(src).warnings(false);
    #[cfg(target_env = "msvc")]
    build.flag("-utf-8");
    for file in ["parser.c", "scanner.c"] {
        let path = src.join(file);
        if path.exists() {
            build.file(&path);
        }
        // Also when absent: a scanner.c added later reruns this script.
        println!("cargo:rerun-if-changed={}", path.display());
    }
    println!("cargo:rerun-if-changed=src/tree_sitter");
    build.compile("tree-sitter-trial");
}
