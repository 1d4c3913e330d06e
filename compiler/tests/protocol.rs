//! `trialc protocol`: the generated protocol's structure (every SPIRIT/SPENT
//! item has its section and checklist row, in both renderings), that it is
//! self-contained and holds no seed, that it is byte-identical for the same
//! spec, the bundled protocol is what trialc generates, the amendment of
//! `protocol diff`, and the command line.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use trialc::driver::{Session, SessionOptions};
use trialc::io::FsSources;
use trialc::protocol::{self, Protocol, Status, ITEMS};
use trialc::source::MemorySources;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const EXAMPLES: [&str; 5] = [
    "examples/magnesium-migraine/magnesium-migraine.trial",
    "examples/naproxen-dose/naproxen-dose.trial",
    "examples/sleep-coach-styles/sleep-coach-styles.trial",
    "examples/bp-chronotherapy/bp-chronotherapy.trial",
    "examples/hpi-milk-sleep/hpi-milk-sleep.trial",
];

/// The protocol of a spec on disk, and the session's diagnostics.
fn protocol_of(relative: &str) -> (Protocol, Vec<trialc::diagnostic::Diagnostic>) {
    let path = root().join(relative).display().to_string();
    let mut session = Session::new(FsSources, SessionOptions::default());
    let file = session.open(&path).expect("the example opens");
    let checked = session.check(file).expect("the example checks");
    let built = session.protocol(&checked);
    (built, session.diagnostics().to_vec())
}

fn protocol_of_text(name: &str, text: &str) -> Protocol {
    let sources = MemorySources::new().with(name, text);
    let mut session = Session::new(sources, SessionOptions::default());
    let file = session.open(name).expect("opens");
    let checked = session
        .check(file)
        .unwrap_or_else(|_| panic!("{:?}", session.diagnostics()));
    session.protocol(&checked)
}

/// The seeds the example writes.
fn seeds(relative: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(relative)).expect("spec");
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("seed"))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

#[test]
fn every_item_has_its_section_and_row_in_both_renderings() {
    for example in EXAMPLES {
        let (built, _) = protocol_of(example);
        let html = protocol::html(&built.document);
        let md = protocol::markdown(&built.document);
        assert_eq!(built.checklist.len(), ITEMS.len(), "{example}");
        for item in ITEMS {
            assert!(
                html.contains(&format!("<h3 id=\"{}\">", item.id)),
                "{example}: no section {} in HTML",
                item.id
            );
            assert!(
                md.contains(&format!("<a id=\"{}\"></a>\n\n### ", item.id)),
                "{example}: no section {} in Markdown",
                item.id
            );
            // The checklist links every item's section.
            assert!(
                html.contains(&format!("<a href=\"#{}\">", item.id)),
                "{example}: {} not in the checklist",
                item.id
            );
            assert!(
                built.checklist.iter().any(|r| std::ptr::eq(r.item, item)),
                "{example}: no row for {}",
                item.id
            );
        }
        for heading in [
            "SPENT checklist",
            "Appendix A. The spec",
            "Appendix B. Provenance",
        ] {
            assert!(
                html.contains(heading) && md.contains(heading),
                "{example}: {heading}"
            );
        }
    }
}

#[test]
fn each_gap_is_a_warning_and_a_marked_section() {
    for example in EXAMPLES {
        let (built, diagnostics) = protocol_of(example);
        let mut missing: Vec<&str> = built
            .checklist
            .iter()
            .filter_map(|r| match r.status {
                Status::Missing { code } => Some(code.as_str()),
                Status::Addressed { .. } => None,
            })
            .collect();
        let mut warned: Vec<&str> = diagnostics
            .iter()
            .map(|d| d.code)
            .filter(|c| c.starts_with("W11") && *c != "W1105")
            .collect();
        missing.sort_unstable();
        warned.sort_unstable();
        assert_eq!(
            missing, warned,
            "{example}: each unaddressed item is one warning"
        );
        let md = protocol::markdown(&built.document);
        assert_eq!(
            md.matches("> **Not addressed (").count(),
            missing.len() + diagnostics.iter().filter(|d| d.code == "W1105").count(),
            "{example}"
        );
    }
}

#[test]
fn the_magnesium_protocol_addresses_every_item() {
    let (built, diagnostics) = protocol_of(EXAMPLES[0]);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert!(built
        .checklist
        .iter()
        .all(|r| matches!(r.status, Status::Addressed { .. })));
    let md = protocol::markdown(&built.document);
    // Labelled doc-comment paragraphs land in their items' sections.
    let eligibility = md.find("### 3.2 Eligibility").expect("section");
    let next = md[eligibility..]
        .find("<a id=")
        .map_or(md.len(), |i| eligibility + i);
    assert!(
        md[eligibility..next].contains("episodic migraine (ICHD-3 1.1)"),
        "{}",
        &md[eligibility..next]
    );
    // The LFM prior with its provenance and tempering.
    assert!(md.contains("sd 0.6/√0.5 = 0.8485"));
    assert!(md.contains("0.8 · normal(-1.2, 0.8485) + 0.2 · normal(0, 3)"));
    assert!(md.contains("e46ad168a4c05e2212d016e5a439ad1737f840e9a494017f36bf9dc7b92e400b"));
    // Looks: the stop-early rule's first day.
    assert!(md.contains("from day 63 (2027-02-01) on"));
}

#[test]
fn documents_are_self_contained_and_hold_no_seed() {
    for example in EXAMPLES {
        let (built, _) = protocol_of(example);
        let html = protocol::html(&built.document);
        let md = protocol::markdown(&built.document);
        for doc in [&html, &md] {
            for outside in [
                "http:", "https:", "//www", "<script", "<link", "<img", "<iframe", "@import",
                "url(",
            ] {
                assert!(
                    !doc.contains(outside),
                    "{example}: `{outside}` in a shared document"
                );
            }
        }
        assert!(!html.contains(" src="), "{example}: HTML loads something");
        assert!(
            html.contains("<style>") && html.contains("<svg "),
            "{example}: styles and figure inline"
        );
        for seed in seeds(example) {
            assert!(seed.len() >= 2, "{example}: seed {seed}");
            for (what, doc) in [("HTML", &html), ("Markdown", &md)] {
                let digits = doc.as_bytes();
                let found = doc.match_indices(seed.as_str()).any(|(i, _)| {
                    let before = i.checked_sub(1).and_then(|j| digits.get(j));
                    let after = digits.get(i + seed.len());
                    !before.is_some_and(u8::is_ascii_digit)
                        && !after.is_some_and(u8::is_ascii_digit)
                });
                assert!(
                    !found,
                    "{example}: the seed {seed} is in the {what} protocol"
                );
            }
            assert!(
                md.contains("seed      <sealed>")
                    || md.contains("seed <sealed>")
                    || md.contains("<sealed>"),
                "{example}"
            );
        }
    }
}

#[test]
fn a_randomized_sequence_is_not_shown() {
    let (built, _) = protocol_of(EXAMPLES[0]);
    let md = protocol::markdown(&built.document);
    assert!(
        md.contains("| period 1 | 1 | 8–21 | 2026-12-08 to 2026-12-21 | concealed | none |"),
        "{md}"
    );
    // No period is tied to an arm.
    let periods: Vec<&str> = md.lines().filter(|l| l.starts_with("| period ")).collect();
    assert_eq!(periods.len(), 6);
    assert!(
        periods.iter().all(|l| l.contains("| concealed |")),
        "{periods:?}"
    );
    // A design that fixes its sequence shows it, as the spec does.
    let (fixed, _) = protocol_of("examples/bp-chronotherapy/bp-chronotherapy.trial");
    let md = protocol::markdown(&fixed.document);
    assert!(md.contains("Not randomized: the design `fixed \"ABBABAAB\"` fixes the sequence, morning, evening, evening, morning"), "{md}");
}

#[test]
fn the_seed_is_sealed_even_in_comments_and_doc_comments() {
    let spec = r#"
// seed 90210 was drawn by the pharmacist
/// Background: the pharmacy drew 90210.
trial "t" { title "T" }
arm a "A"
arm b "B" reference
schedule {
  period 7 days
  cycles 2
  sequence randomized pairs
  seed 90210
}
outcome y "Y" {
  type continuous in [0, 10]
  better lower
  primary
}
"#;
    let built = protocol_of_text("t.trial", spec);
    for doc in [
        protocol::html(&built.document),
        protocol::markdown(&built.document),
    ] {
        assert!(!doc.contains("90210"), "{doc}");
        assert!(
            doc.contains("the pharmacy drew &lt;sealed&gt;")
                || doc.contains("the pharmacy drew \\<sealed\\>")
        );
    }
}

#[test]
fn the_same_spec_gives_the_same_bytes() {
    for example in EXAMPLES {
        let (a, _) = protocol_of(example);
        let (b, _) = protocol_of(example);
        assert_eq!(protocol::html(&a.document), protocol::html(&b.document));
        assert_eq!(
            protocol::markdown(&a.document),
            protocol::markdown(&b.document)
        );
    }
}

#[test]
fn the_bundled_protocol_is_what_trialc_generates() {
    let (built, _) = protocol_of(EXAMPLES[0]);
    let mut generated = protocol::markdown(&built.document);
    generated.push('\n');
    let committed = std::fs::read_to_string(root().join("examples/magnesium-migraine/protocol.md"))
        .expect("protocol.md");
    assert!(
        generated == committed,
        "examples/magnesium-migraine/protocol.md is stale: regenerate it with\n  cargo run -p trialc -- protocol examples/magnesium-migraine/magnesium-migraine.trial --format markdown -o examples/magnesium-migraine/protocol.md"
    );
}

fn amendment(old: &str, new: &str) -> String {
    let mut inputs = Vec::new();
    for (name, text) in [("old.trial", old), ("new.trial", new)] {
        let mut session = Session::new(
            MemorySources::new().with(name, text),
            SessionOptions::default(),
        );
        let file = session.open(name).expect("opens");
        let checked = session
            .check(file)
            .unwrap_or_else(|_| panic!("{:?}", session.diagnostics()));
        inputs.push(session.protocol_input(&checked));
    }
    protocol::markdown(&protocol::diff::amendment(&inputs[0], &inputs[1]))
}

const OLD: &str = r#"
trial "t" { title "T" version "1.0.0" }
arm a "A 10 mg"
arm b "B" reference
schedule {
  period 7 days
  cycles 2
  sequence randomized pairs
  washout 2 days
  seed 1234
}
outcome y "Y" {
  type continuous in [0, 10]
  better lower
  mcid 1
  primary
}
model y {
  effect a ~ normal(0, 2)
}
decide {
  recommend a if P(effect on y < -mcid) >= 0.8
  otherwise inconclusive
}
"#;

#[test]
fn an_amendment_names_what_changed_in_protocol_terms() {
    let new = OLD
        .replace("version \"1.0.0\"", "version \"1.1.0\"")
        .replace("cycles 2", "cycles 3")
        .replace("normal(0, 2)", "normal(0, 1)")
        .replace(">= 0.8", ">= 0.9")
        .replace("seed 1234", "seed 5678")
        .replace("arm a \"A 10 mg\"", "arm a \"A 20 mg\"");
    let md = amendment(OLD, &new);
    assert!(
        md.starts_with("# Amendment: T, version 1.0.0 → 1.1.0\n"),
        "{md}"
    );
    for row in [
        "| version | `1.0.0` | `1.1.0` |",
        "| arm `a` | `arm a \"A 10 mg\"` | `arm a \"A 20 mg\"` |",
        "| number of periods | `4` | `6` |",
        "| `y`: effect a | `normal(0, 2)` | `normal(0, 1)` |",
        "| rule 1 | `recommend a if P(effect of a vs b on y < -mcid) >= 0.8` | `recommend a if P(effect of a vs b on y < -mcid) >= 0.9` |",
    ] {
        assert!(md.contains(row), "missing {row} in\n{md}");
    }
    assert!(md.contains("randomization seed: changed"), "{md}");
    assert!(
        !md.contains("1234") && !md.contains("5678"),
        "a seed in the amendment:\n{md}"
    );
    assert!(!md.contains("The version did not change"), "{md}");
    insta::assert_snapshot!("amendment", md);
}

#[test]
fn an_amendment_without_a_new_version_says_so_and_layout_is_no_change() {
    let relaid = OLD.replace("  period 7 days", "  period   7 days   // one week");
    assert!(amendment(OLD, &relaid).contains("No change in protocol terms"));
    let md = amendment(OLD, &OLD.replace("washout 2 days", "washout 3 days"));
    assert!(md.contains("The version did not change."), "{md}");
    assert!(md.contains("| washout | `2 days` | `3 days` |"), "{md}");
}

// ---------------------------------------------------------------- the binary

fn trialc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trialc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the trialc binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trialc-protocol-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn the_command_writes_html_and_markdown_and_never_over_an_input() {
    let dir = scratch("cli");
    let spec = dir.join("t.trial");
    std::fs::write(&spec, OLD).expect("spec");
    let html = dir.join("p.html");
    let out = trialc(&[
        "protocol",
        &spec.display().to_string(),
        "-o",
        &html.display().to_string(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&html).expect("written");
    assert!(text.starts_with("<!DOCTYPE html>"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[W1101]") && stderr.contains("protocol items addressed"),
        "{stderr}"
    );
    // Markdown on stdout.
    let out = trialc(&[
        "protocol",
        &spec.display().to_string(),
        "--format",
        "markdown",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("# Protocol: T — an N-of-1 trial\n"));
    // The spec is an input.
    let out = trialc(&[
        "protocol",
        &spec.display().to_string(),
        "-o",
        &spec.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&spec).expect("spec"), OLD);
    // A PDF needs a file.
    let out = trialc(&["protocol", &spec.display().to_string(), "--format", "pdf"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_protocol_lists_every_gap_in_full() {
    let dir = scratch("check");
    let spec = dir.join("t.trial");
    std::fs::write(&spec, OLD).expect("spec");
    let out = trialc(&["check", "--protocol", &spec.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "warnings only");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (built, _) = (protocol_of_text("t.trial", OLD), ());
    let missing = built
        .checklist
        .iter()
        .filter(|r| matches!(r.status, Status::Missing { .. }))
        .count();
    assert!(missing > 10, "{missing}");
    // Not summarised after 10 repeats, as other diagnostics are.
    assert_eq!(
        stderr
            .matches("Warning: the protocol does not address")
            .count(),
        missing,
        "{stderr}"
    );
    // Without the flag, a spec's protocol gaps are not its errors or warnings.
    let out = trialc(&["check", &spec.display().to_string()]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("W11"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn diff_command_prints_the_amendment() {
    let dir = scratch("diff");
    let (old, new) = (dir.join("old.trial"), dir.join("new.trial"));
    std::fs::write(&old, OLD).expect("old");
    std::fs::write(&new, OLD.replace("cycles 2", "cycles 3")).expect("new");
    let out = trialc(&[
        "protocol",
        "diff",
        &old.display().to_string(),
        &new.display().to_string(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("| number of periods | `4` | `6` |"), "{md}");
    let _ = std::fs::remove_dir_all(&dir);
}
