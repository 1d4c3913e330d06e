//! The pipeline through the library's session, from in-memory buffers, as an
//! editor or a simulation runs it: no file is read.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use trialc::driver::{DiarySource, FitOptions, Session, SessionOptions, Silent, Stop};
use trialc::report::{self, RunSettings};
use trialc::source::{FileKind, MemorySources};

const SPEC: &str = include_str!("../../examples/magnesium-migraine/magnesium-migraine.trial");
const DIARY: &str = include_str!("../../examples/magnesium-migraine/diary.csv");
const HYPOTHESES: &str = include_str!("../../examples/magnesium-migraine/hypotheses/p0042.json");
/// The pharmacy's key, to which the example's spec commits.
const KEY: &str = include_str!("../../examples/magnesium-migraine/PHARMACY-SECRET.key");

fn buffers(spec: &str) -> MemorySources {
    MemorySources::new()
        .with("trial/magnesium-migraine.trial", spec)
        .with("trial/diary.csv", DIARY)
        .with("trial/hypotheses/p0042.json", HYPOTHESES)
        .with("trial/PHARMACY-SECRET.key", KEY)
}

fn options() -> FitOptions {
    FitOptions {
        settings: RunSettings {
            chains: 2,
            warmup: 300,
            draws: 300,
            seed: 7,
            ..RunSettings::default()
        },
        threads: Some(1),
    }
}

#[test]
fn the_whole_pipeline_runs_from_memory_and_matches_the_cli_byte_for_byte() {
    let mut session = Session::new(buffers(SPEC), SessionOptions::default());
    let spec = session
        .open("trial/magnesium-migraine.trial")
        .expect("opens");
    let checked = session.check(spec).expect("checks");
    assert_eq!(checked.hypotheses.len(), 1, "the hypotheses file was read");
    let prepared = session
        .prepare(checked, DiarySource::Spec)
        .expect("prepares");
    assert_eq!(prepared.lowered.len(), 3, "one model per outcome");
    // The key was read (the allocation drawn from it), but it never joins
    // the session's files, so no diagnostic or output can quote it.
    let kinds: Vec<FileKind> = session.files().iter().map(|(_, f)| f.kind).collect();
    assert_eq!(
        kinds,
        [FileKind::Spec, FileKind::Hypotheses, FileKind::Diary]
    );
    let salt = KEY
        .lines()
        .find_map(|l| l.strip_prefix("salt "))
        .expect("the key has a salt");
    assert!(session.files().iter().all(|(_, f)| !f.text.contains(salt)));
    let options = options();
    let fits = session.fit(&prepared, &options, &Silent).expect("fits");
    let analysed = session
        .analyse(&prepared, &fits, &options, &Silent)
        .expect("analyses");
    // Every diagnostic the session hands out is placed in a file.
    for d in session.diagnostics() {
        assert!(d.labels.iter().all(|l| l.file.is_some()), "{d:?}");
    }
    // The same spec, diary and seed through the binary on disk give the
    // same report, byte for byte.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_trialc"))
        .current_dir(root)
        .args([
            "run",
            "examples/magnesium-migraine/magnesium-migraine.trial",
            "--chains",
            "2",
            "--warmup",
            "300",
            "--draws",
            "300",
            "--seed",
            "7",
            "--threads",
            "1",
            "--format",
            "json",
        ])
        .output()
        .expect("trialc runs");
    assert!(matches!(cli.status.code(), Some(0 | 3)), "{cli:?}");
    assert_eq!(
        String::from_utf8_lossy(&cli.stdout),
        report::json(&analysed.report)
    );
}

#[test]
fn a_spec_with_a_syntax_error_never_reaches_the_diary() {
    let broken = SPEC.replacen("washout", "washuot", 1);
    assert_ne!(broken, SPEC);
    let mut session = Session::new(buffers(&broken), SessionOptions::default());
    let spec = session
        .open("trial/magnesium-migraine.trial")
        .expect("opens");
    assert_eq!(session.check(spec).err(), Some(Stop::Invalid));
    assert!(session.diagnostics().iter().any(|d| d.code == "E0110"));
    // Nothing but the spec and its hypotheses were read.
    assert!(session
        .files()
        .iter()
        .all(|(_, f)| f.kind != FileKind::Diary));
}

#[test]
fn a_hypothesis_about_another_outcome_is_one_diagnostic_in_both_files() {
    let wrong = HYPOTHESES.replacen("\"outcome\": \"pain\"", "\"outcome\": \"attack\"", 1);
    assert_ne!(wrong, HYPOTHESES);
    let sources = buffers(SPEC).with("trial/hypotheses/p0042.json", wrong);
    let mut session = Session::new(sources, SessionOptions::default());
    let spec = session
        .open("trial/magnesium-migraine.trial")
        .expect("opens");
    assert!(session.check(spec).is_err());
    let e0809: Vec<_> = session
        .diagnostics()
        .iter()
        .filter(|d| d.code == "E0809")
        .collect();
    assert_eq!(e0809.len(), 1, "one diagnostic, not one per file");
    let names: Vec<&str> = e0809[0]
        .labels
        .iter()
        .filter_map(|l| l.file)
        .map(|f| session.files().name(f))
        .collect();
    assert!(
        names.contains(&"trial/magnesium-migraine.trial"),
        "{names:?}"
    );
    assert!(names.contains(&"trial/hypotheses/p0042.json"), "{names:?}");
}

#[test]
fn files_outside_the_spec_folder_are_refused_even_when_they_exist() {
    let leaking = SPEC.replacen("data \"diary.csv\"", "data \"../secret/diary.csv\"", 1);
    assert_ne!(leaking, SPEC);
    let sources = buffers(&leaking).with("secret/diary.csv", DIARY);
    let mut session = Session::new(sources.clone(), SessionOptions::default());
    let spec = session
        .open("trial/magnesium-migraine.trial")
        .expect("opens");
    let checked = session.check(spec).expect("checks");
    assert_eq!(
        session.prepare(checked, DiarySource::Spec).err(),
        Some(Stop::Invalid)
    );
    assert!(session.diagnostics().iter().any(|d| d.code == "E0212"));
    // Allowed explicitly, the same spec reads it.
    let mut session = Session::new(
        sources,
        SessionOptions {
            allow_outside: true,
        },
    );
    let spec = session
        .open("trial/magnesium-migraine.trial")
        .expect("opens");
    let checked = session.check(spec).expect("checks");
    assert!(session.prepare(checked, DiarySource::Spec).is_ok());
}

/// What a progress display is told: each phase, each fit with a counter
/// that has seen every iteration by the time the fit is finished.
#[derive(Default)]
struct Recorder {
    events: std::sync::Mutex<Vec<String>>,
    counters: std::sync::Mutex<Vec<(String, std::sync::Arc<trialc_runtime::progress::Counter>)>>,
}

impl trialc::driver::Progress for Recorder {
    fn start(&self, phase: &str, total: usize) {
        self.events
            .lock()
            .expect("lock")
            .push(format!("start {phase} {total}"));
    }
    fn fit_started(&self, name: &str, counter: &std::sync::Arc<trialc_runtime::progress::Counter>) {
        self.counters
            .lock()
            .expect("lock")
            .push((name.to_string(), counter.clone()));
    }
    fn finished(&self, name: &str) {
        let counters = self.counters.lock().expect("lock");
        let (_, counter) = counters
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .expect("started");
        let s = counter.snapshot();
        assert_eq!(s.done, s.total, "{name}: finished before its counter");
        self.events
            .lock()
            .expect("lock")
            .push(format!("finished {name}"));
    }
    fn end(&self) {
        self.events.lock().expect("lock").push("end".into());
    }
}

#[test]
fn progress_is_told_every_fit_and_the_sensitivity_refit() {
    let mut session = Session::new(buffers(SPEC), SessionOptions::default());
    let spec = session
        .open("trial/magnesium-migraine.trial")
        .expect("opens");
    let checked = session.check(spec).expect("checks");
    let prepared = session
        .prepare(checked, DiarySource::Spec)
        .expect("prepares");
    let options = options();
    let recorder = Recorder::default();
    let fits = session.fit(&prepared, &options, &recorder).expect("fits");
    session
        .analyse(&prepared, &fits, &options, &recorder)
        .expect("analyses");
    let events = recorder.events.lock().expect("lock").clone();
    assert_eq!(
        events,
        [
            "start fitting 3",
            "finished pain",
            "finished attack",
            "finished sleep_quality",
            "end",
            "start sensitivity 1",
            "finished pain",
            "end"
        ]
    );
    let counters = recorder.counters.lock().expect("lock");
    assert_eq!(counters.len(), 4);
    for (_, c) in counters.iter() {
        assert_eq!(c.snapshot().total, 2 * (300 + 300));
    }
}
