//! UI tests: each file under `tests/ui/` is checked and its rendered
//! diagnostics (no color, stable path) are compared with a committed snapshot.
//!
//! A new input gets its snapshot with `INSTA_UPDATE=always cargo test -p trialc --test ui`
//! (review the `.snap` files before committing); CI fails on a missing or changed one.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use std::path::Path;
use trialc::codes;
use trialc::diagnostic::Diagnostic;
use trialc::driver::{Session, SessionOptions};
use trialc::render::Renderer;
use trialc::source::MemorySources;

fn relative_name(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    match text.find("tests/ui/") {
        Some(i) => text[i..].to_string(),
        None => text,
    }
}

/// The input checked as `trialc check` checks it (those under
/// `tests/ui/protocol/` as `trialc check --protocol` does), through the library's
/// session over in-memory buffers: the input under its stable name, and
/// beside it the JSON files of its folder (the hypotheses files the
/// `tests/ui/hypotheses/` inputs name).
fn session_of(path: &Path) -> Session<MemorySources> {
    let name = relative_name(path);
    let mut sources = MemorySources::new().with(
        name.clone(),
        std::fs::read_to_string(path).unwrap_or_default(),
    );
    let dir = path.parent().unwrap_or(Path::new("."));
    let folder = name.rsplit_once('/').map_or("", |(f, _)| f);
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.extension().and_then(|e| e.to_str()) == Some("json") {
            let file = entry.file_name().to_string_lossy().into_owned();
            sources.insert(
                format!("{folder}/{file}"),
                std::fs::read_to_string(&p).unwrap_or_default(),
            );
        }
    }
    let mut session = Session::new(sources, SessionOptions::default());
    if let Ok(file) = session.open(&name) {
        if let Ok(checked) = session.check(file) {
            // Inputs under tests/ui/protocol/ are checked as protocols
            // (`trialc check --protocol`).
            if name.starts_with("tests/ui/protocol/") {
                session.protocol(&checked);
            }
        }
    }
    session
}

fn diagnostics_of(path: &Path) -> Vec<Diagnostic> {
    session_of(path).diagnostics().to_vec()
}

fn rendered(path: &Path) -> String {
    let session = session_of(path);
    let mut renderer = Renderer::new(session.files(), false);
    session
        .diagnostics()
        .iter()
        .map(|d| renderer.human(d))
        .collect()
}

#[test]
fn ui_snapshots() {
    insta::glob!("../../tests/ui", "**/*.{trial,md}", |path| {
        insta::assert_snapshot!(rendered(path));
    });
}

/// Every UI input must produce at least one diagnostic, and the code its file
/// name or folder promises (`tests/ui/<phase>/<name>.trial` whose snapshot
/// shows it): a UI test that produces nothing tests nothing.
#[test]
fn every_ui_input_reports_something() {
    let mut empty = Vec::new();
    visit(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/ui")),
        &mut |path| {
            if rendered(path).trim().is_empty() {
                empty.push(relative_name(path));
            }
        },
    );
    assert!(
        empty.is_empty(),
        "UI inputs without any diagnostic: {empty:?}"
    );
}

/// Codes raised on the diary, the hypotheses files, lowering or the fit: they
/// need data or a fit, not just a spec, and are tested in `data.rs`,
/// `lower.rs`, `hypotheses` unit tests and `report.rs`; E1110 and E1111
/// need the pharmacy's key file and are tested in `cli.rs`. E00 is an
/// internal error: by definition no spec raises it. E10 codes are raised by
/// `trialc import` on another platform's files, never on a spec
/// (`import_studyu.rs`). E1106 is raised by `trialc simulate` on a checked
/// spec whose model it cannot generate (`simulate_terms.rs`,
/// `simulate_cli.rs`). E17/W17 are raised on a series of participants
/// (`trialc pool`), tested in `pool.rs`.
fn checked_after_the_spec(code: &str) -> bool {
    [
        "E00", "E07", "W07", "E08", "W08", "E09", "W09", "E0520", "E10", "E1106", "E1110", "E1111",
        "E17", "W17",
    ]
    .iter()
    .any(|prefix| code.starts_with(prefix))
}

/// Every documented code of the spec phases is exercised by at least one UI test.
#[test]
fn every_code_has_a_ui_test() {
    let mut seen = std::collections::BTreeSet::new();
    visit(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/ui")),
        &mut |path| {
            for d in diagnostics_of(path) {
                seen.insert(d.code);
            }
        },
    );
    let missing: Vec<&str> = codes::CODES
        .iter()
        .map(|(code, _, _)| *code)
        .filter(|code| !seen.contains(code) && !checked_after_the_spec(code))
        .collect();
    assert!(missing.is_empty(), "codes without a UI test: {missing:?}");
}

/// Every code the compiler source can emit has a documentation page.
#[test]
fn every_emitted_code_is_documented() {
    let mut missing = Vec::new();
    visit(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
        &mut |path| {
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                return;
            }
            let text = std::fs::read_to_string(path).unwrap_or_default();
            for (i, _) in text.match_indices('"') {
                let candidate = text.get(i + 1..i + 6).unwrap_or_default();
                let closes = text.get(i + 6..i + 7) == Some("\"");
                let shaped = candidate.len() == 5
                    && (candidate.starts_with('E') || candidate.starts_with('W'))
                    && candidate[1..].chars().all(|c| c.is_ascii_digit());
                if shaped && closes && codes::explain(candidate).is_none() {
                    missing.push(format!("{} in {}", candidate, path.display()));
                }
            }
        },
    );
    assert!(
        missing.is_empty(),
        "codes without docs/codes page: {missing:?}"
    );
}

fn visit(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            visit(&path, f);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("trial" | "md" | "rs")
        ) {
            f(&path);
        }
    }
}
