//! Shared by the compiler's integration tests: a bundled example read,
//! checked, scheduled and its diary parsed the way the CLI does, and its
//! models lowered with the hypotheses it names.
#![allow(dead_code)]

use std::collections::HashMap;

use trialc::data::Diary;
use trialc::driver::{DiarySource, Session, SessionOptions};
use trialc::hir::Spec;
use trialc::lower::{lower, LoweredOutcome};
use trialc::render::Renderer;
use trialc::schedule::Schedule;
use trialc::source::MemorySources;

/// Every bundled example.
pub const EXAMPLES: [&str; 6] = [
    "magnesium-migraine",
    "hpi-milk-sleep",
    "naproxen-dose",
    "bp-chronotherapy",
    "sleep-coach-styles",
    "headphones-focus",
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

/// Every file under `dir` (the example's hypotheses files among them), by
/// path, for an in-memory session.
fn files_under(dir: &str, sources: &mut MemorySources) {
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                sources.insert(p.to_string_lossy().into_owned(), text);
            }
        }
    }
}

/// Checks `text` (no errors allowed), builds its schedule and reads `csv`,
/// through the library's session as `trialc run` does, over in-memory
/// buffers: the spec and diary given, the other files of `dir` beside them.
pub fn build(dir: String, text: String, csv: String) -> Example {
    build_with(dir, text, csv, &[])
}

/// [`build`] with more files beside the spec (`(name, text)`, relative to `dir`).
pub fn build_with(dir: String, text: String, csv: String, extra: &[(&str, &str)]) -> Example {
    let mut sources = MemorySources::new();
    files_under(&dir, &mut sources);
    for (name, contents) in extra {
        sources.insert(format!("{dir}/{name}"), *contents);
    }
    let spec_path = format!("{dir}/spec-under-test.trial");
    let diary_path = format!("{dir}/diary-under-test.csv");
    sources.insert(spec_path.clone(), text.clone());
    sources.insert(diary_path.clone(), csv.clone());
    let mut session = Session::new(sources, SessionOptions::default());
    let result = session
        .open(&spec_path)
        .and_then(|f| session.check(f))
        .and_then(|c| {
            session
                .read_diary(&c, DiarySource::Path(&diary_path))
                .map(|(_, d)| (c, d))
        });
    let (checked, diary) = result.unwrap_or_else(|stop| {
        let mut r = Renderer::new(session.files(), false);
        let shown: String = session.diagnostics().iter().map(|d| r.human(d)).collect();
        panic!("{dir}: {stop:?}\n{shown}")
    });
    // The schedule the diary is analysed under (the realised one for
    // `sequence from data`), as `Session::prepare` makes it.
    let schedule = diary
        .schedule(&checked.schedule)
        .unwrap_or_else(|e| panic!("{dir}: {e}"));
    Example {
        dir,
        text,
        spec: checked.spec,
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
