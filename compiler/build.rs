//! Collects the diagnostic code pages under `docs/codes/` into a table, so
//! `trialc explain` and the code registry cannot drift from the docs.

#![allow(clippy::disallowed_methods, clippy::disallowed_macros)] // a build script is an IO edge

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&manifest).join("../docs/codes");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries = Vec::new();
    if let Ok(read) = std::fs::read_dir(&dir) {
        for entry in read.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("md") {
                continue;
            }
            println!("cargo:rerun-if-changed={}", path.display());
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            // First line: `# E0101: kebab-case-name`
            let first = text.lines().next().unwrap_or_default();
            let Some((code, name)) = first.trim_start_matches("# ").split_once(':') else {
                continue;
            };
            entries.push((code.trim().to_string(), name.trim().to_string(), path));
        }
    }
    entries.sort();
    let mut out = String::from("/// (code, name, documentation page) for every code in docs/codes.\npub static CODES: &[(&str, &str, &str)] = &[\n");
    for (code, name, path) in &entries {
        let _ = writeln!(
            out,
            "    ({code:?}, {name:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n\n");
    // One typed constant per code, so a misspelt code fails to compile.
    for (code, name, _) in &entries {
        let _ = writeln!(
            out,
            "/// `{code}`: {name}.\npub const {code}: Code = Code({code:?});"
        );
    }
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    let _ = std::fs::write(Path::new(&out_dir).join("codes.rs"), out);
}
