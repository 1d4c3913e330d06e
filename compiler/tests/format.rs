//! Formatter properties: idempotent, comments kept, and the AST unchanged
//! (`parse(fmt(x)) == parse(x)` up to spans) on every spec in the repository
//! and on generated ones.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use proptest::prelude::*;
use std::path::Path;
use trialc::format::format;
use trialc::syntax::parse;

/// The AST as JSON with every span removed, for comparison up to layout.
fn shape(source: &str) -> serde_json::Value {
    let (file, _) = parse(source);
    let mut value = serde_json::to_value(&file.items).unwrap_or_default();
    strip_spans(&mut value);
    value
}

fn comment_texts(source: &str) -> Vec<String> {
    parse(source)
        .0
        .comments
        .into_iter()
        .map(|c| c.text.trim_end().to_string())
        .collect()
}

fn strip_spans(value: &mut serde_json::Value) {
    match value {
        // A bare span (e.g. the `reference` keyword's) only says "present".
        serde_json::Value::Object(map)
            if map.len() == 2 && map.contains_key("start") && map.contains_key("end") =>
        {
            *value = serde_json::Value::Bool(true);
        }
        serde_json::Value::Object(map) => {
            map.remove("span");
            for v in map.values_mut() {
                strip_spans(v);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_spans),
        _ => {}
    }
}

fn assert_properties(name: &str, source: &str) {
    let Ok(once) = format(source) else { return };
    let twice = format(&once)
        .unwrap_or_else(|e| panic!("{name}: formatted output does not parse: {e:?}\n{once}"));
    assert_eq!(once, twice, "{name}: formatting is not idempotent");
    assert_eq!(
        shape(source),
        shape(&once),
        "{name}: formatting changed the AST\n{once}"
    );
    assert_eq!(
        comment_texts(source),
        comment_texts(&once),
        "{name}: comments changed\n{once}"
    );
}

fn trial_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            trial_files(&path, out);
        } else if path.extension().and_then(|e| e.to_str()) == Some("trial") {
            out.push(path);
        }
    }
}

#[test]
fn repository_specs_keep_their_meaning() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["examples", "stdlib", "tests"] {
        trial_files(&root.join(dir), &mut files);
    }
    let mut formatted = 0;
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap_or_default();
        if format(&source).is_ok() {
            formatted += 1;
        }
        assert_properties(&path.display().to_string(), &source);
    }
    assert!(
        formatted >= 3,
        "expected several valid specs in the repository, found {formatted}"
    );
}

/// The bundled examples and the standard library are in the canonical layout
/// (`trialc fmt --check` passes on them), so the formatter's output is what
/// trialists see in every example.
#[test]
fn examples_and_stdlib_are_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["examples", "stdlib"] {
        trial_files(&root.join(dir), &mut files);
    }
    assert!(files.len() >= 5);
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap_or_default();
        let formatted = format(&source).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        assert_eq!(
            formatted,
            source,
            "{} is not formatted (run `trialc fmt`)",
            path.display()
        );
    }
}

#[test]
fn canonical_layout() {
    let source = "// header comment\ntrial \"t\" {title \"T\"   version \"1\"}\narm a \"A 5 mg\"   // the drug\narm b \"B\" reference\n\n\nschedule {\n period 14 days\n\n  seed 3 // fixed\n cycles 2 sequence randomized pairs\n}\nmodel pain {\n effect a ~ normal(0,  1.0)\n errors ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(2))\n}\n";
    let expected = "// header comment\ntrial \"t\" {\n  title    \"T\"\n  version  \"1\"\n}\n\narm a \"A 5 mg\"  // the drug\narm b \"B\" reference\n\nschedule {\n  period    14 days\n\n  seed      3  // fixed\n  cycles    2\n  sequence  randomized pairs\n}\n\nmodel pain {\n  effect a ~ normal(0, 1.0)\n  errors   ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(2))\n}\n";
    let formatted = format(source).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(formatted, expected);
}

#[test]
fn refuses_sources_with_syntax_errors() {
    assert!(format("arm a \"x\nschedule {").is_err());
}

/// Items a generated spec is made of; each parses on its own.
const ITEMS: &[&str] = &[
    "trial \"gen\" { title \"Generated\" version \"0.1\" }",
    "arm alpha \"Alpha 10 mg\"",
    "arm beta \"Beta\" reference",
    "use std.designs.*",
    "use std.priors.sceptical",
    "hypotheses lfm from \"h.json\"",
    "data \"diary.csv\"",
    "prior wide = normal(0, 10)",
    "schedule { run_in 7 days period 2 weeks cycles 3 sequence randomized pairs max_run 2 washout 3 days blinding double seed 11 }",
    "schedule from abab { period 7 days start 2026-12-01 }",
    "outcome pain \"Pain\" { type continuous in [0, 10] measured daily better lower mcid 1.5 primary }",
    "outcome attack { type binary measured on days [1, 7] better lower secondary }",
    "outcome sleep { type ordinal 1..5 measured weekly better higher }",
    "model pain { effect alpha ~ lfm.H1 discount 0.5 robust 0.2 vague normal(0, 3) intercept ~ normal(5, 2.5) trend ~ normal(0, 0.5) per 28 days errors ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(2)) }",
    "model sleep { effect alpha ~ mixture(0.8: normal(0, 1), 0.2: student_t(3, 0, 2.5)) cutpoints ~ induced_dirichlet(1) }",
    "decide { recommend alpha if P(effect on pain < -mcid) >= 0.8 stop early if P(effect of alpha on pain < 0) >= 0.95 after 4 periods otherwise inconclusive }",
];

fn separator() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just("\n\n\n".to_string()),
        Just("  // a remark\n".to_string()),
        Just("\n/// documented\n".to_string()),
        Just("\n// standalone\n\n".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]
    #[test]
    fn generated_specs_keep_their_meaning(
        picks in proptest::collection::vec((0..ITEMS.len(), separator()), 1..10)
    ) {
        let mut source = String::new();
        for (index, sep) in &picks {
            source.push_str(ITEMS[*index]);
            source.push_str(sep);
        }
        prop_assume!(format(&source).is_ok());
        let once = format(&source).unwrap_or_default();
        prop_assert_eq!(format(&once).unwrap_or_default(), once.clone());
        prop_assert_eq!(shape(&source), shape(&once));
        prop_assert_eq!(comment_texts(&source), comment_texts(&once));
    }
}
