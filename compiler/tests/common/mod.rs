//! Shared by the compiler's integration tests: a bundled example read,
//! checked, scheduled and its diary parsed the way the CLI does, and its
//! models lowered with the hypotheses it names.
#![allow(dead_code)]

use std::collections::HashMap;

use trialc::data::{read_diary, Diary};
use trialc::diagnostic::Diagnostic;
use trialc::hir::{self, Spec};
use trialc::lower::{lower, LoweredOutcome};
use trialc::schedule::{self, Schedule};
use trialc::syntax;

/// Every bundled example.
pub const EXAMPLES: [&str; 5] = [
    "magnesium-migraine",
    "hpi-milk-sleep",
    "naproxen-dose",
    "bp-chronotherapy",
    "sleep-coach-styles",
];

pub struct Example {
    pub dir: String,
    pub text: String,
    pub spec: Spec,
    pub schedule: Schedule,
    pub csv: String,
    pub diary: Diary,
}

/// An example with its lowered models.
pub struct Lowered {
    pub spec: Spec,
    pub schedule: Schedule,
    pub diary: Diary,
    pub lowered: Vec<LoweredOutcome>,
}

pub fn dir(name: &str) -> String {
    format!("{}/../examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Checks `text` (no errors allowed), builds its schedule and reads `csv`.
pub fn build(dir: String, text: String, csv: String) -> Example {
    let (file, mut diagnostics) = syntax::parse(&text);
    let (spec, more) = hir::check(&file);
    diagnostics.extend(more);
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{dir}: {errors:#?}");
    let spec = spec.expect("checked spec");
    let schedule = schedule::build(&spec.schedule_spec()).expect("schedule");
    let (diary, diagnostics) = read_diary(&csv, &spec, &schedule);
    let diary = diary.unwrap_or_else(|| panic!("{dir}: {diagnostics:#?}"));
    Example {
        dir,
        text,
        spec,
        schedule,
        csv,
        diary,
    }
}

pub fn example(name: &str) -> Example {
    let d = dir(name);
    let text = std::fs::read_to_string(format!("{d}/{name}.trial")).expect("spec");
    let csv = std::fs::read_to_string(format!("{d}/diary.csv")).expect("diary");
    build(d, text, csv)
}

/// The hypotheses files the spec names, read here from the JSON directly
/// (not through `trialc::hypotheses`, so lowering is tested against an
/// independent reading).
pub fn hypotheses(ex: &Example) -> HashMap<(String, String), (f64, f64)> {
    let mut map = HashMap::new();
    for source in &ex.spec.hypotheses {
        let text = std::fs::read_to_string(format!("{}/{}", ex.dir, source.path))
            .expect("hypotheses file");
        let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        for h in json["hypotheses"].as_array().expect("hypotheses array") {
            let id = h["id"].as_str().expect("id").to_string();
            let mean = h["effect"]["mean"].as_f64().expect("mean");
            let sd = h["effect"]["sd"].as_f64().expect("sd");
            map.insert((source.name.clone(), id), (mean, sd));
        }
    }
    map
}

pub fn lowered(ex: &Example) -> Vec<LoweredOutcome> {
    lower(&ex.spec, &ex.schedule, &ex.diary, &hypotheses(ex))
        .unwrap_or_else(|d| panic!("{}: {d:#?}", ex.dir))
}

/// The example `name` with its models lowered.
pub fn lowered_example(name: &str) -> Lowered {
    let ex = example(name);
    let lowered = lowered(&ex);
    Lowered {
        spec: ex.spec,
        schedule: ex.schedule,
        diary: ex.diary,
        lowered,
    }
}
