//! The documentation names the codes the tool emits: every code written in
//! a doc is one the registry (docs/codes/) has, and every code the
//! reference's "What the checker enforces" table names is emitted by the
//! compiler's source (issue 16: the reference once named E0520 where the
//! tool says E0811).
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test is an IO edge of its own

use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Every `E0123` / `W0123` in a text.
fn codes_in(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut found = BTreeSet::new();
    for i in 0..bytes.len().saturating_sub(4) {
        let word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let word_end = bytes.get(i + 5).is_none_or(|b| !b.is_ascii_alphanumeric());
        if word_start
            && word_end
            && matches!(bytes[i], b'E' | b'W')
            && bytes[i + 1..i + 5].iter().all(u8::is_ascii_digit)
        {
            found.insert(text[i..i + 5].to_string());
        }
    }
    found
}

fn docs() -> Vec<(String, String)> {
    let mut files = vec![
        root().join("README.md"),
        root().join("ARCHITECTURE.md"),
        root().join("runtime/README.md"),
    ];
    for entry in std::fs::read_dir(root().join("docs")).expect("docs/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.sort();
    files
        .into_iter()
        .filter(|p| p.exists())
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("doc");
            (p.display().to_string(), text)
        })
        .collect()
}

/// The codes the compiler's and runtime's source emit (`codes::E0123`).
fn emitted() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![root().join("compiler/src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                for (i, _) in text.match_indices("codes::") {
                    let code = text.get(i + 7..i + 12).unwrap_or("");
                    if codes_in(code).contains(code) {
                        found.insert(code.to_string());
                    }
                }
            }
        }
    }
    found
}

#[test]
fn every_code_in_the_docs_is_registered() {
    let registered: BTreeSet<&str> = trialc::codes::CODES.iter().map(|(c, _, _)| *c).collect();
    let mut unknown = Vec::new();
    for (name, text) in docs() {
        for code in codes_in(&text) {
            if !registered.contains(code.as_str()) {
                unknown.push(format!("{name}: {code}"));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "codes the tool does not have: {unknown:?}"
    );
}

/// The table of what the checker enforces names codes the checker emits
/// (the other direction, a page for every emitted code, is `ui.rs`'s).
#[test]
fn the_docs_name_what_the_tool_emits() {
    let emitted = emitted();
    let language = std::fs::read_to_string(root().join("docs/language.md")).expect("language.md");
    let table = language
        .split("## What the checker enforces")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the checker table");
    let not_emitted: Vec<String> = codes_in(table)
        .into_iter()
        .filter(|c| !emitted.contains(c))
        .collect();
    assert!(
        not_emitted.is_empty(),
        "language.md's checker table names codes no source emits: {not_emitted:?}"
    );
}

#[test]
fn codes_are_found_as_whole_words() {
    let found = codes_in("E0101, W0301; not XE0101 nor E01011 nor E012; (E0811)");
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["E0101", "E0811", "W0301"]
    );
}
