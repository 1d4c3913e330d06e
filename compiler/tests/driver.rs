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

fn prepared_example(session: &mut Session<MemorySources>) -> trialc::driver::Prepared {
    let spec = session
        .open("trial/magnesium-migraine.trial")
        .expect("opens");
    let checked = session.check(spec).expect("checks");
    session
        .prepare(checked, DiarySource::Spec)
        .expect("prepares")
}

fn request(text: &str) -> trialc::analysis::loo::Request {
    trialc::analysis::loo::parse_request(text).expect("a request")
}

/// A `--compare-loo` that cannot be run stops before anything is fitted,
/// saying why.
#[test]
fn loo_alternatives_are_checked_before_any_fit() {
    let mut session = Session::new(buffers(SPEC), SessionOptions::default());
    let prepared = prepared_example(&mut session);
    let refused = |session: &mut Session<MemorySources>, text: &str| -> String {
        match session.loo_alternatives(&prepared, &[request(text)]) {
            Err(Stop::Unusable(p)) => format!("{} / {}", p.message, p.help),
            other => panic!("{text}: {other:?}"),
        }
    };
    let m = refused(&mut session, "pian: errors independent");
    assert!(
        m.contains("no outcome `pian`") && m.contains("did you mean `pain`?"),
        "{m}"
    );
    let m = refused(&mut session, "pain: errors ar1");
    assert!(m.contains("already has AR(1) errors"), "{m}");
    let m = refused(&mut session, "attack: errors independent");
    assert!(m.contains("already has independent errors"), "{m}");
    let m = refused(&mut session, "sleep_quality: errors ar1");
    assert!(m.contains("ordinal"), "{m}");
    let m = refused(&mut session, "pain: no covariate steps");
    assert!(m.contains("no covariate `steps`"), "{m}");
    // A covariate with `missing excluded` decides which days are analysed.
    const MOOD: &str = include_str!("../../examples/mood-walks/mood-walks.trial");
    const MOOD_DIARY: &str = include_str!("../../examples/mood-walks/diary.csv");
    let mut mood = Session::new(
        MemorySources::new()
            .with("m/mood-walks.trial", MOOD)
            .with("m/diary.csv", MOOD_DIARY),
        SessionOptions::default(),
    );
    let file = mood.open("m/mood-walks.trial").expect("opens");
    let checked = mood.check(file).expect("checks");
    let p = mood.prepare(checked, DiarySource::Spec).expect("prepares");
    match mood.loo_alternatives(&p, &[request("mood: no covariate temperature")]) {
        Err(Stop::Unusable(problem)) => assert!(
            problem
                .message
                .contains("analyses 63 observations, the spec's model 58"),
            "{}",
            problem.message
        ),
        other => panic!("{other:?}"),
    }
    // Removing the other covariate keeps the days: accepted.
    let ok = mood
        .loo_alternatives(&p, &[request("mood: no covariate stress")])
        .expect("same days");
    assert_eq!(ok[0].lowered.covariates.len(), 1);
}

/// The alternatives are the spec's models with one term changed, lowered
/// as the checker would lower that spec; fitted and compared, the
/// difference is the difference of the two elpd_loo, the verdict follows
/// the documented rule, and the same seed gives the same comparison.
#[test]
fn compare_loo_fits_the_alternative_and_compares_it() {
    use trialc_runtime::mir::Family;
    let mut session = Session::new(buffers(SPEC), SessionOptions::default());
    let prepared = prepared_example(&mut session);
    let requests = [
        request("pain: errors independent"),
        request("attack: errors ar1"),
        request("pain: no trend"),
    ];
    let alternatives = session
        .loo_alternatives(&prepared, &requests)
        .expect("applicable");
    let pain = &alternatives[0].lowered.model;
    assert!(matches!(pain.likelihoods[0].family, Family::Normal { .. }));
    assert!(
        !pain.params.iter().any(|p| p.name == "phi"),
        "{:?}",
        pain.params
    );
    assert!(alternatives[1].lowered.model.likelihoods[0]
        .predictor
        .latent_ar1
        .is_some());
    assert!(alternatives[2].lowered.model.likelihoods[0]
        .predictor
        .trend
        .is_none());
    assert_eq!(alternatives[0].spec_side, "errors ar1");
    assert_eq!(alternatives[2].spec_side, "with trend");
    let options = options();
    let fits = session.fit(&prepared, &options, &Silent).expect("fits");
    let compared = session
        .compare_loo(&prepared, &fits, &alternatives, &options, &Silent)
        .expect("compares");
    assert_eq!(compared.len(), 3);
    let draws = options.settings.chains * options.settings.draws;
    for (c, a) in compared.iter().zip(&alternatives) {
        let main = &prepared.lowered[a.outcome];
        assert_eq!(c.observations, main.analysis.days.len());
        assert_eq!(c.draws, draws);
        assert_eq!(c.alternative.description, a.request.change.describe());
        assert!(c.model.elpd_loo.is_finite() && c.alternative.elpd_loo.is_finite());
        // The sum of the pointwise differences is the difference of the sums.
        let d = c.model.elpd_loo - c.alternative.elpd_loo;
        assert!((c.elpd_diff - d).abs() < 1e-9, "{} vs {d}", c.elpd_diff);
        assert!(c.se_diff > 0.0);
        assert_eq!(
            c.decisive,
            c.reliable && c.elpd_diff.abs() > 2.0 * c.se_diff && c.elpd_diff.abs() >= 4.0
        );
        assert_eq!(
            c.reliable,
            c.model.high_k.is_empty() && c.alternative.high_k.is_empty()
        );
        assert_eq!(
            c.model.k_good + c.model.k_bad + c.model.k_very_bad,
            c.observations
        );
        for h in c.model.high_k.iter().chain(&c.alternative.high_k) {
            assert!(main.analysis.days.contains(&h.day) && h.k_hat > c.k_threshold);
        }
        assert!(!c.verdict.is_empty());
    }
    // Both pain comparisons share the spec's fit: the same elpd_loo.
    assert_eq!(compared[0].model.elpd_loo, compared[2].model.elpd_loo);
    // Reproducible: the alternatives have their own seeds.
    let again = session
        .compare_loo(&prepared, &fits, &alternatives, &options, &Silent)
        .expect("compares");
    assert_eq!(compared, again);
    // In the report: text and JSON.
    let mut analysed = session
        .analyse(&prepared, &fits, &options, &Silent)
        .expect("analyses");
    analysed.report.loo = compared;
    let text = report::text(&analysed.report);
    assert!(
        text.contains("Leave-one-out comparison: pain (PSIS-LOO, 600 draws"),
        "{text}"
    );
    assert!(text.contains("errors ar1 (the spec's)"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&report::json(&analysed.report)).expect("JSON");
    let loo = json["loo"].as_array().expect("a loo section");
    assert_eq!(loo.len(), 3);
    assert_eq!(loo[1]["alternative"]["description"], "errors ar1");
    assert!(loo[0]["verdict"].as_str().is_some());
}
