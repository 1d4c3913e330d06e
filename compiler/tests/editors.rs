//! The editor support under `editors/` agrees with the language:
//!
//! - `editors/tree-sitter-trial/test/pest-verdicts.txt` is what the
//!   normative pest grammar says of every example, standard-library and
//!   `tests/ui` spec and of the tree-sitter grammar's own agreement cases
//!   (`editors/tree-sitter-trial/test/agreement`: names spelled like
//!   keywords, near misses), accept or reject; `editors/tree-sitter-trial/test.sh`
//!   checks that the tree-sitter grammar says the same (it needs the
//!   tree-sitter CLI, so it is not part of `cargo test`). Regenerate the
//!   list with `TRIALC_UPDATE_VERDICTS=1 cargo test -p trialc --test editors`
//!   after a grammar change, and read its diff.
//! - Every keyword of the language is in the TextMate grammar, the
//!   tree-sitter grammar and its highlight query.
//! - The VS Code snippets expand (placeholders at their defaults) to specs
//!   the parser accepts.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use std::path::{Path, PathBuf};
use trialc::syntax::lexer::KEYWORDS;
use trialc_grammar::{Parser as _, Rule, TrialGrammar};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().and_then(|e| e.to_str()) == Some("trial") {
            out.push(path);
        }
    }
}

/// `accept PATH` or `reject PATH` for every spec of the corpus, sorted.
fn pest_verdicts() -> String {
    let root = workspace();
    let mut files = Vec::new();
    for dir in [
        "examples",
        "stdlib",
        "tests/ui",
        "editors/tree-sitter-trial/test/agreement",
    ] {
        walk(&root.join(dir), &mut files);
    }
    let mut lines: Vec<String> = files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("a corpus file");
            let verdict = if TrialGrammar::parse(Rule::file, &text).is_ok() {
                "accept"
            } else {
                "reject"
            };
            let relative = path
                .strip_prefix(&root)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/");
            format!("{verdict} {relative}")
        })
        .collect();
    lines.sort_by(|a, b| a[7..].cmp(&b[7..]));
    lines.join("\n") + "\n"
}

#[test]
fn the_tree_sitter_corpus_verdicts_are_what_pest_says() {
    let path = workspace().join("editors/tree-sitter-trial/test/pest-verdicts.txt");
    let expected = pest_verdicts();
    if std::env::var_os("TRIALC_UPDATE_VERDICTS").is_some() {
        std::fs::write(&path, &expected).expect("write the verdicts");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "{} is stale: regenerate it with `TRIALC_UPDATE_VERDICTS=1 cargo test -p trialc --test editors`, \
         then run editors/tree-sitter-trial/test.sh\n--- pest says ---\n{expected}",
        path.display()
    );
    assert!(
        expected.contains("reject tests/ui/syntax/"),
        "the corpus has rejected files"
    );
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(workspace().join(relative))
        .unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// Keywords of syntax that the pest grammar has and the tree-sitter grammar
/// and its queries do not have yet, so that it does not parse the specs
/// that use them (`editors/tree-sitter-trial/test.sh` says which). Empty
/// while the two grammars agree; a branch that adds syntax to the language
/// before the tree-sitter grammar lists its keywords here, and removes them
/// when the grammar covers them.
const NOT_YET_IN_TREE_SITTER: &[&str] = &[];

#[test]
fn every_keyword_is_highlighted_by_every_grammar() {
    let textmate = read("editors/vscode/syntaxes/trial.tmLanguage.json");
    let tree_sitter = read("editors/tree-sitter-trial/grammar.js");
    let highlights = read("editors/tree-sitter-trial/queries/highlights.scm");
    let helix = read("editors/helix/queries/trial/highlights.scm");
    let zed = read("editors/zed/languages/trial/highlights.scm");
    for k in KEYWORDS {
        assert!(
            textmate.contains(&format!("|{k}|"))
                || textmate.contains(&format!("({k}|"))
                || textmate.contains(&format!("|{k})")),
            "`{k}` is not in the TextMate grammar"
        );
        if NOT_YET_IN_TREE_SITTER.contains(k) {
            assert!(
                !tree_sitter.contains(&format!("'{k}'")),
                "`{k}` is in the tree-sitter grammar now: remove it from NOT_YET_IN_TREE_SITTER"
            );
            continue;
        }
        assert!(
            tree_sitter.contains(&format!("'{k}'")),
            "`{k}` is not in the tree-sitter grammar"
        );
        for (query, who) in [(&highlights, "Neovim"), (&helix, "Helix"), (&zed, "Zed")] {
            assert!(
                query.contains(&format!("\"{k}\"")) || query.contains(&format!("({k})")),
                "`{k}` is not in the {who} highlight query"
            );
        }
    }
}

/// A snippet body with every placeholder at its default (the first choice
/// of a `${1|a,b|}`, the text of a `${1:text}`, nothing for `$0`).
fn expand(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(inner) = rest.strip_prefix('{') {
            let end = inner.find('}').expect("a closed placeholder");
            let spec = &inner[..end];
            let value = if let Some(choice) = spec.split_once('|') {
                // The first choice, up to an unescaped comma.
                let mut first = String::new();
                let mut chars = choice.1.chars();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => first.extend(chars.next()),
                        ',' | '|' => break,
                        c => first.push(c),
                    }
                }
                first
            } else {
                spec.split_once(':')
                    .map_or(String::new(), |(_, d)| d.to_string())
            };
            out.push_str(&value);
            rest = &inner[end + 1..];
        } else {
            rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn the_vscode_snippets_expand_to_specs_that_parse() {
    let snippets: serde_json::Value =
        serde_json::from_str(&read("editors/vscode/snippets/trial.json")).expect("JSON");
    let snippets = snippets.as_object().expect("an object of snippets");
    assert!(snippets.len() >= 8);
    for (name, snippet) in snippets {
        let body = match &snippet["body"] {
            serde_json::Value::Array(lines) => lines
                .iter()
                .filter_map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            serde_json::Value::String(s) => s.clone(),
            other => panic!("{name}: body {other}"),
        };
        let text = expand(&body);
        let (_, diagnostics) = trialc::syntax::parse(&text);
        let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(
            errors.is_empty(),
            "snippet `{name}` expands to\n{text}\n{errors:?}"
        );
        assert!(
            TrialGrammar::parse(Rule::file, &text).is_ok(),
            "pest rejects snippet `{name}`"
        );
    }
    let package: serde_json::Value =
        serde_json::from_str(&read("editors/vscode/package.json")).expect("package.json");
    assert_eq!(package["contributes"]["languages"][0]["id"], "trial");
}
