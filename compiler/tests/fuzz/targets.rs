//! The fuzz targets: one function per target, over bytes, that panics when a
//! property fails (a panic is what both drivers look for).
//!
//! Shared by the stable driver `compiler/tests/fuzz.rs` (the committed
//! corpus and a seeded mutation budget, in every `cargo test`) and by the
//! cargo-fuzz crate in `fuzz/` (libFuzzer, nightly), which includes this
//! file by path; so the targets libFuzzer runs are the ones the stable tests
//! compile and run.
//!
//! Every target drives its input the way `trialc check` / `trialc run` do:
//! through a [`Session`] over in-memory buffers (or over files on disk, for
//! the bytes that are not UTF-8), then renders every diagnostic in every
//! form the CLI can print. Properties beyond "no panic":
//! - a stage returns `Ok` exactly when no diagnostic so far is an error;
//! - every label's span lies inside its file, on character boundaries;
//! - a schedule obeys its spec (period days, design, `max_run`, washouts,
//!   measurement days, blinding codes) and renders in every view;
//! - the formatter keeps meaning (`oracle.rs`);
//! - a diary the session accepts has one row per day, in order, and each
//!   model lowered from it is accepted by the runtime's evaluator.
#![allow(dead_code)] // each driver uses its own part
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // the session target writes non-UTF-8 inputs to disk, like the CLI reads them

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use trialc::diagnostic::Diagnostic;
use trialc::driver::{Checked, DiarySource, Session, Stop};
use trialc::hir;
use trialc::hypotheses;
use trialc::render::{self, Renderer};
use trialc::schedule::{
    self, ArmInfo, Blinding, Design, Measured, MeasurementPlan, PeriodLengths, ScheduleSpec, Window,
};
use trialc::schedule::{Schedule, View};
use trialc::source::{FileId, MemorySources, Sources};
use trialc::syntax;
use trialc_runtime::density::LogDensity;
use trialc_runtime::mir::MirDensity;

/// What one input reached: diagnostic codes and stages, the driver's cheap
/// stand-in for coverage (an input that reaches something new is kept and
/// mutated further).
pub type Features = BTreeSet<String>;

/// How one input went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It ran; every property held.
    Ran(Features),
}

fn text_of(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

// ------------------------------------------------------------------ checks shared by the targets

/// Every label inside its file and on character boundaries.
fn assert_spans(files: &trialc::source::SourceMap, diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        for l in &d.labels {
            let file = l.file.unwrap_or(FileId(0));
            let text = files.text(file);
            assert!(
                l.span.start <= l.span.end && l.span.end <= text.len(),
                "{}: span {}..{} outside `{}` ({} bytes): {}",
                d.code,
                l.span.start,
                l.span.end,
                files.name(file),
                text.len(),
                d.message
            );
            let on_boundaries =
                text.is_char_boundary(l.span.start) && text.is_char_boundary(l.span.end);
            assert!(
                on_boundaries,
                "{}: span {}..{} not on character boundaries of `{}`: {}",
                d.code,
                l.span.start,
                l.span.end,
                files.name(file),
                d.message
            );
        }
    }
}

/// Every diagnostic of the session in every form the CLI prints: as
/// `trialc check` shows them (human, with and without color, repeats
/// summarised after 10 of a code in a file), plain, and as the JSON
/// document of `--format json` (all of them).
fn render_all<S: Sources>(session: &Session<S>, features: &mut Features) {
    let files = session.files();
    let diagnostics = session.diagnostics();
    assert_spans(files, diagnostics);
    for color in [false, true] {
        let mut r = Renderer::new(files, color);
        for shown in render::summarise(diagnostics, 10) {
            match shown {
                render::Shown::One(d) => {
                    let human = r.human(d);
                    assert!(human.contains(d.code), "{}: not in its rendering", d.code);
                    if !color {
                        let _ = r.plain(d);
                    }
                }
                render::Shown::More { code, file, count } => {
                    let _ = render::more_line(files, code, file, count);
                }
            }
        }
    }
    for d in diagnostics {
        features.insert(d.code.to_string());
    }
    let entry = render::json_entry("fuzz", files, diagnostics);
    let listed = entry["diagnostics"].as_array().map(Vec::len);
    assert_eq!(
        listed,
        Some(diagnostics.len()),
        "every diagnostic in the JSON document"
    );
    let document = render::json_document(vec![entry]);
    assert!(document.starts_with('{'), "the JSON document is an object");
}

/// A stage's result agrees with the diagnostics: `Ok` exactly when nothing
/// so far is an error.
fn assert_stage<S: Sources, T>(stage: &str, session: &Session<S>, result: &Result<T, Stop>) {
    match result {
        Ok(_) => assert!(
            !session.has_errors(),
            "{stage}: Ok although there are errors: {:?}",
            codes(session)
        ),
        Err(Stop::Invalid) => assert!(
            session.has_errors(),
            "{stage}: Invalid without an error diagnostic"
        ),
        Err(Stop::Unusable(_)) => {}
    }
}

fn codes<S: Sources>(session: &Session<S>) -> Vec<&'static str> {
    session.diagnostics().iter().map(|d| d.code).collect()
}

/// `check` with its properties; the E0001 "schedule cannot be built
/// although the spec checked" gap is recorded as a feature.
fn check<S: Sources>(
    session: &mut Session<S>,
    file: FileId,
    features: &mut Features,
) -> Result<Checked, Stop> {
    let result = session.check(file);
    assert_stage("check", session, &result);
    // What the schedule needs is checked, with spans: an internal error
    // from building it is a checker gap.
    let gap = session.diagnostics().iter().find(|d| d.code == "E0001");
    assert!(gap.is_none(), "internal error: {gap:?}");
    if let Ok(checked) = &result {
        features.insert("stage:checked".into());
        assert_schedule(&checked.spec.schedule_spec(), &checked.schedule);
    }
    result
}

/// Reads the diary and lowers, then hands every model to the runtime's
/// evaluator once (no fitting).
fn prepare<S: Sources>(
    session: &mut Session<S>,
    checked: Checked,
    diary: DiarySource<'_>,
    features: &mut Features,
) {
    let result = session.prepare(checked, diary);
    assert_stage("prepare", session, &result);
    let Ok(prepared) = result else { return };
    features.insert("stage:prepared".into());
    let rows = &prepared.diary.rows;
    assert!(
        rows.windows(2).all(|w| w[0].day < w[1].day),
        "diary rows not one per day in order"
    );
    let total = prepared.checked.schedule.total_days;
    assert!(
        rows.iter().all(|r| (1..=total).contains(&r.day)),
        "a diary day outside 1..={total}"
    );
    for lowered in &prepared.lowered {
        let density = MirDensity::new(lowered.model.clone()).unwrap_or_else(|e| {
            panic!(
                "the lowered model of outcome {} is refused by the runtime: {e}",
                lowered.outcome
            )
        });
        let mut gradient = vec![0.0; density.dim()];
        let logp = density.logp_grad(&vec![0.0; density.dim()], &mut gradient);
        if !logp.is_finite() {
            features.insert("logp-not-finite-at-zero".into());
        }
    }
}

// ------------------------------------------------------------------ schedules

/// A built schedule obeys the spec it was built from.
pub fn assert_schedule(spec: &ScheduleSpec, s: &Schedule) {
    let k = spec.arms.len();
    if spec.design == Design::FromData {
        // The plan before the diary: no periods, the run-in only.
        assert!(s.periods.is_empty(), "a realised plan has no periods");
        assert_eq!(s.total_days, spec.run_in_days);
        assert_eq!(s.window, spec.window);
        return;
    }
    let n = spec.n_periods;
    assert_eq!(s.periods.len() as u64, n, "one period per planned period");
    let lengths: Vec<u64> = (0..n).map(|i| spec.period.of(i)).collect();
    assert_eq!(s.total_days, spec.run_in_days + lengths.iter().sum::<u64>());
    assert_eq!(s.arms.len(), k);
    assert_eq!(s.window, spec.window);
    let sequence = s.sequence();
    for (i, p) in s.periods.iter().enumerate() {
        let i = i as u64;
        let before: u64 = lengths[..i as usize].iter().sum();
        assert_eq!(p.number, i + 1);
        assert_eq!(p.first_day, spec.run_in_days + before + 1);
        assert_eq!(p.last_day, p.first_day + lengths[i as usize] - 1);
        assert!(p.arm < k, "period {} on arm {} of {k}", p.number, p.arm);
        let switched = i > 0 && sequence[(i - 1) as usize] != p.arm;
        let washout = if switched { spec.washout_days } else { 0 };
        assert_eq!(p.washout_days, washout, "washout of period {}", p.number);
    }
    match &spec.design {
        Design::Fixed(pattern) => assert_eq!(&sequence, pattern),
        Design::Alternating => {
            assert!(sequence.iter().enumerate().all(|(i, &a)| a == i % k));
        }
        Design::RandomizedPeriods => {
            for arm in 0..k {
                let given = sequence.iter().filter(|&&a| a == arm).count() as u64;
                assert_eq!(given, n / k as u64, "arm {arm} in {given} periods");
            }
        }
        Design::FromData => {}
        Design::Counterbalanced | Design::RandomizedPairs | Design::RandomizedBlocks => {
            for cycle in sequence.chunks(k) {
                let mut arms = cycle.to_vec();
                arms.sort_unstable();
                if cycle.len() == k {
                    assert!(
                        arms.iter().copied().eq(0..k),
                        "a cycle that is not every arm once: {cycle:?}"
                    );
                } else {
                    // docs/schedule.md: a counterbalanced sequence may end
                    // in a partial cycle (randomized ones may not).
                    assert!(
                        matches!(spec.design, Design::Counterbalanced),
                        "a partial cycle in a randomized design: {cycle:?}"
                    );
                    arms.dedup();
                    assert_eq!(
                        arms.len(),
                        cycle.len(),
                        "an arm twice in a cycle: {cycle:?}"
                    );
                }
            }
        }
    }
    if let Some(limit) = spec.max_run {
        assert!(schedule::longest_run(&sequence) <= limit, "max_run broken");
    }
    assert!(s.admissible_count >= 1);
    assert_eq!(s.outcomes.len(), spec.outcomes.len());
    for o in &s.outcomes {
        assert!(
            o.days.windows(2).all(|w| w[0] < w[1]),
            "{}: days not sorted and distinct",
            o.name
        );
        assert!(
            o.days.iter().all(|d| (1..=s.total_days).contains(d)),
            "{}: a measurement day outside the trial",
            o.name
        );
    }
    assert_eq!(s.codes.len(), k, "one blinding code per arm");
    for arm in 0..k {
        let code = s.codes.code_of_arm(arm).expect("every arm has a code");
        assert_eq!(s.codes.arm_of_code(code), Some(arm));
    }
}

/// Every view of a schedule, as `trialc schedule` prints them (small ones:
/// a 1,000,000-day table is linear work, not a finding).
fn render_schedule(s: &Schedule) {
    if s.total_days > 20_000 {
        return;
    }
    for view in [View::Open, View::Blinded] {
        let _ = schedule::render::table(s, view);
        let _ = schedule::render::csv(s, view);
        let json = schedule::render::json(s, view);
        let _: serde_json::Value = serde_json::from_str(&json).expect("the schedule's JSON parses");
        match schedule::render::ics(s, view) {
            Ok(ics) => assert!(ics.starts_with("BEGIN:VCALENDAR")),
            Err(e) => assert!(
                s.start.is_none() || matches!(e, schedule::ScheduleError::DateOutOfRange),
                "{e}"
            ),
        }
    }
    let _ = schedule::render::blinding_key(s);
}

/// A [`ScheduleSpec`] decoded from bytes, for `schedule::build` on its own
/// (it must be total: `Ok` or an error, whatever a checker lets through).
/// Mostly consistent (whole cycles, washout inside the period, measurement
/// days inside it: specs that build), otherwise any values at all.
pub fn schedule_spec_from_bytes(data: &[u8]) -> ScheduleSpec {
    let mut bytes = Bytes(data);
    let consistent = bytes.byte() < 200;
    let k = if consistent {
        2 + usize::from(bytes.byte() % 7)
    } else {
        usize::from(bytes.byte() % 12)
    };
    let arms = (0..k)
        .map(|i| ArmInfo {
            name: format!("arm{i}"),
            description: (i % 2 == 0).then(|| format!("Arm {i}")),
        })
        .collect();
    let cycles = u64::from(bytes.byte() % 8) + 1;
    let n_periods = if consistent {
        cycles * k as u64
    } else {
        bytes.number()
    };
    let period_days = if consistent {
        u64::from(bytes.byte() % 60) + 1
    } else {
        bytes.number()
    };
    let design = match bytes.byte() % 5 {
        0 => Design::Alternating,
        1 => Design::Counterbalanced,
        2 => {
            let len = if consistent {
                usize::try_from(n_periods).unwrap_or(0)
            } else {
                usize::from(bytes.byte())
            };
            let max = if consistent { k.max(1) } else { 13 };
            Design::Fixed((0..len).map(|_| usize::from(bytes.byte()) % max).collect())
        }
        3 if consistent && k != 2 => Design::RandomizedBlocks,
        3 => Design::RandomizedPairs,
        _ => Design::RandomizedBlocks,
    };
    let outcomes = (0..bytes.byte() % 4)
        .map(|i| MeasurementPlan {
            name: format!("o{i}"),
            measured: match bytes.byte() % 4 {
                0 => Measured::Daily,
                1 => Measured::Weekly,
                2 => Measured::PerPeriod,
                _ => Measured::OnDays(
                    (0..bytes.byte() % 6 + 1)
                        .map(|_| {
                            if consistent {
                                u64::from(bytes.byte()) % period_days + 1
                            } else {
                                bytes.number()
                            }
                        })
                        .collect(),
                ),
            },
        })
        .collect();
    let reference = if consistent {
        usize::from(bytes.byte()) % k
    } else {
        usize::from(bytes.byte() % 13)
    };
    let max_run = match bytes.byte() % 3 {
        0 => None,
        1 if consistent => Some(u64::from(bytes.byte() % 4) + 1),
        _ => Some(bytes.number()),
    };
    let washout_days = if consistent {
        u64::from(bytes.byte()) % period_days
    } else {
        bytes.number()
    };
    let mut spec = ScheduleSpec {
        trial_id: "fuzz".into(),
        arms,
        reference,
        run_in_days: if consistent {
            u64::from(bytes.byte() % 15)
        } else {
            bytes.number()
        },
        period: PeriodLengths::Equal(period_days),
        n_periods,
        design,
        max_run,
        washout_days,
        seed: bytes.word(),
        start: match bytes.byte() % 4 {
            0 => None,
            1 => chrono::NaiveDate::from_ymd_opt(2026, 12, 1),
            2 => Some(chrono::NaiveDate::MAX),
            _ => chrono::NaiveDate::from_num_days_from_ce_opt(i32::from_le_bytes([
                bytes.byte(),
                bytes.byte(),
                bytes.byte(),
                0,
            ])),
        },
        blinding: match bytes.byte() % 3 {
            0 => Blinding::Open,
            1 => Blinding::Single,
            _ => Blinding::Double,
        },
        outcomes,
        window: None,
    };
    // Read last, so that the bytes before decode as they always did: the
    // designs, period lists and windows of issue 11.
    spec.design = match (spec.design, bytes.byte() % 16) {
        (Design::RandomizedBlocks | Design::RandomizedPairs, 0..=2) => Design::RandomizedPeriods,
        (_, 3) => Design::FromData,
        (design, _) => design,
    };
    // Mostly equal lengths; sometimes a list, of the right length when consistent.
    spec.period = if bytes.byte() % 8 == 0 {
        let len = if consistent {
            usize::try_from(n_periods).unwrap_or(0)
        } else {
            usize::from(bytes.byte() % 16)
        };
        PeriodLengths::Each(
            (0..len)
                .map(|_| {
                    if consistent {
                        period_days + u64::from(bytes.byte() % 4)
                    } else {
                        bytes.number()
                    }
                })
                .collect(),
        )
    } else {
        PeriodLengths::Equal(period_days)
    };
    spec.window = match bytes.byte() % 8 {
        0 => Some(Window {
            first_day: bytes.number(),
            last_day: bytes.number(),
        }),
        _ => None,
    };
    spec
}

/// A cursor over fuzz bytes; past the end it reads zeros.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn word(&mut self) -> u64 {
        u64::from_le_bytes(std::array::from_fn(|_| self.byte()))
    }

    /// Mostly small (a realistic count of days), sometimes a boundary.
    fn number(&mut self) -> u64 {
        match self.byte() {
            0..=199 => u64::from(self.byte() % 60),
            200..=219 => u64::from(self.byte()) * 7,
            220..=229 => 1000 + u64::from(self.byte()) * 1000,
            230 => 999_999,
            231 => 1_000_000,
            232 => 1_000_001,
            233 => u64::from(u32::MAX),
            234 => u64::MAX,
            235 => u64::MAX / 2,
            236 => 1 << 32,
            237 => 128,
            238 => 129,
            _ => self.word(),
        }
    }
}

// ------------------------------------------------------------------ the targets

/// Spec text → parse, check (hypotheses files absent), schedule; every
/// diagnostic rendered. As a `.trial` and, when it has a fence, as a
/// Markdown protocol.
pub fn parse_check(data: &[u8]) -> Verdict {
    let text = text_of(data);
    let mut features = Features::new();
    // The pure front end: parsing never fails, the checker's verdict
    // matches its diagnostics.
    let (ast, syntax) = syntax::parse(&text);
    let (spec, checked) = hir::check(&ast);
    let syntax_errors = syntax.iter().any(Diagnostic::is_error);
    let check_errors = checked.iter().any(Diagnostic::is_error);
    assert!(
        !(spec.is_some() && check_errors),
        "hir::check returned a spec with errors"
    );
    assert!(
        spec.is_some() || check_errors || syntax_errors,
        "hir::check returned no spec, and nothing says why"
    );
    if syntax_errors {
        features.insert("syntax-error".into());
    }
    let mut names = vec!["fuzz/spec.trial"];
    if text.contains("```") {
        names.push("fuzz/protocol.md");
    }
    for name in names {
        let mut session = Session::new(
            MemorySources::new().with(name, text.clone()),
            Default::default(),
        );
        let opened = session.open(name);
        assert_stage("open", &session, &opened);
        if let Ok(file) = opened {
            let _ = check(&mut session, file, &mut features);
        }
        render_all(&session, &mut features);
    }
    Verdict::Ran(features)
}

/// A spec (or a bundle, see [`split_bundle`]) → `check` through the
/// session and every diagnostic rendered: for the regression tests of
/// faults fuzzing found.
pub fn check_bundle(data: &[u8]) -> Verdict {
    let mut features = Features::new();
    let mut sources = MemorySources::new();
    let files = split_bundle(data);
    for (name, bytes) in &files {
        sources.insert(format!("b/{name}"), text_of(bytes));
    }
    let mut session = Session::new(sources, Default::default());
    let opened = session.open(&format!("b/{}", files[0].0));
    if let Ok(file) = opened {
        let result = session.check(file);
        assert_stage("check", &session, &result);
    }
    let mut r = Renderer::new(session.files(), false);
    for d in session.diagnostics() {
        let _ = r.human(d);
        features.insert(d.code.to_string());
    }
    Verdict::Ran(features)
}

/// Spec text → `format` keeps meaning and is idempotent (oracle.rs).
pub fn format(data: &[u8]) -> Verdict {
    let text = text_of(data);
    if let Err(message) = super::oracle::check_properties("input", &text) {
        panic!("{message}");
    }
    let mut features = Features::new();
    features.insert(
        if super::oracle::parses_cleanly(&text) {
            "parses-cleanly"
        } else {
            "refused"
        }
        .into(),
    );
    for d in syntax::parse(&text).1 {
        features.insert(d.code.to_string());
    }
    Verdict::Ran(features)
}

/// Schedule: the input as a spec checked by the session (which must error
/// or produce a schedule that obeys the spec, rendered in every view), and
/// the input's bytes as a `ScheduleSpec` built directly.
pub fn schedule(data: &[u8]) -> Verdict {
    let mut features = Features::new();
    let direct = schedule_spec_from_bytes(data);
    let text = text_of(data);
    match schedule::build(&direct) {
        Ok(s) => {
            assert_schedule(&direct, &s);
            render_schedule(&s);
            features.insert("direct:built".into());
        }
        Err(e) => {
            features.insert(format!("direct:{}", error_name(&e)));
        }
    }
    let mut session = Session::new(
        MemorySources::new().with("fuzz/spec.trial", text.clone()),
        Default::default(),
    );
    let file = session.open_text("fuzz/spec.trial", text);
    if let Ok(checked) = check(&mut session, file, &mut features) {
        let again = schedule::build(&checked.spec.schedule_spec())
            .expect("a checked spec's schedule builds again");
        assert_eq!(again, checked.schedule, "the same spec, the same schedule");
        render_schedule(&checked.schedule);
    }
    render_all(&session, &mut features);
    Verdict::Ran(features)
}

fn error_name(e: &schedule::ScheduleError) -> String {
    let debug = format!("{e:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_string()
}

/// The bundled examples: the specs a diary is read against.
pub const EXAMPLES: [(&str, &str); 6] = [
    (
        "magnesium-migraine",
        include_str!("../../../examples/magnesium-migraine/magnesium-migraine.trial"),
    ),
    (
        "hpi-milk-sleep",
        include_str!("../../../examples/hpi-milk-sleep/hpi-milk-sleep.trial"),
    ),
    (
        "naproxen-dose",
        include_str!("../../../examples/naproxen-dose/naproxen-dose.trial"),
    ),
    (
        "bp-chronotherapy",
        include_str!("../../../examples/bp-chronotherapy/bp-chronotherapy.trial"),
    ),
    (
        "sleep-coach-styles",
        include_str!("../../../examples/sleep-coach-styles/sleep-coach-styles.trial"),
    ),
    (
        "headphones-focus",
        include_str!("../../../examples/headphones-focus/headphones-focus.trial"),
    ),
];

const MAGNESIUM_HYPOTHESES: &str =
    include_str!("../../../examples/magnesium-migraine/hypotheses/p0042.json");
const MAGNESIUM_DIARY: &str = include_str!("../../../examples/magnesium-migraine/diary.csv");
/// The pharmacy's key the example's spec commits to (`key "…"`): without it
/// the session stops at E1111 before the diary is read.
const MAGNESIUM_KEY: &str =
    include_str!("../../../examples/magnesium-migraine/PHARMACY-SECRET.key");

/// An example's files in memory, the spec at `ex/<name>.trial`.
fn example_sources(name: &str, spec: &str) -> MemorySources {
    let mut sources = MemorySources::new().with(format!("ex/{name}.trial"), spec);
    if name == "magnesium-migraine" {
        sources.insert("ex/hypotheses/p0042.json", MAGNESIUM_HYPOTHESES);
        sources.insert("ex/diary.csv", MAGNESIUM_DIARY);
        sources.insert("ex/PHARMACY-SECRET.key", MAGNESIUM_KEY);
    }
    sources
}

/// Diary CSV → read against every bundled example (as `trialc run --data`
/// does: open, check, prepare), lowered, each model evaluated once.
pub fn diary(data: &[u8]) -> Verdict {
    let text = text_of(data);
    let mut features = Features::new();
    for (name, spec) in EXAMPLES {
        let sources = example_sources(name, spec).with("fuzz/diary.csv", text.clone());
        let mut session = Session::new(sources, Default::default());
        let file = session
            .open(&format!("ex/{name}.trial"))
            .expect("the example opens");
        let checked = session
            .check(file)
            .unwrap_or_else(|e| panic!("the example {name} checks: {e:?}"));
        prepare(
            &mut session,
            checked,
            DiarySource::Path("fuzz/diary.csv"),
            &mut features,
        );
        render_all(&session, &mut features);
    }
    Verdict::Ran(features)
}

/// Hypotheses JSON → `hypotheses::read`, and through the session as the
/// file the magnesium example names (checked, then its diary read and
/// lowered with the hypotheses as priors).
pub fn hypotheses(data: &[u8]) -> Verdict {
    let text = text_of(data);
    let mut features = Features::new();
    let (file, diagnostics) = hypotheses::read(&text);
    assert_eq!(
        file.is_some(),
        !diagnostics.iter().any(Diagnostic::is_error),
        "hypotheses::read returned a file with errors, or none without"
    );
    let mut map = trialc::source::SourceMap::default();
    map.add(
        "fuzz/h.json",
        trialc::source::FileKind::Hypotheses,
        text.clone(),
    );
    assert_spans(&map, &diagnostics);
    let mut r = Renderer::new(&map, false);
    for d in &diagnostics {
        let _ = r.human(d);
        let _ = r.json(d);
        features.insert(format!("read:{}", d.code));
    }
    let (name, spec) = EXAMPLES[0];
    let sources = example_sources(name, spec).with("ex/hypotheses/p0042.json", text);
    let mut session = Session::new(sources, Default::default());
    let opened = session.open(&format!("ex/{name}.trial"));
    assert_stage("open", &session, &opened);
    if let Ok(file) = opened {
        if let Ok(checked) = check(&mut session, file, &mut features) {
            prepare(&mut session, checked, DiarySource::Spec, &mut features);
        }
    }
    render_all(&session, &mut features);
    Verdict::Ran(features)
}

/// Files of a session input: `=== NAME` lines start each file (the first is
/// the spec); an input without one is a spec alone.
pub fn split_bundle(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    if !data.starts_with(b"=== ") {
        return vec![("spec.trial".into(), data.to_vec())];
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, chunk) in data.split_inclusive(|&b| b == b'\n').enumerate() {
        let header = chunk
            .strip_prefix(b"=== ")
            .filter(|_| i == 0 || files.last().is_some_and(|f| f.1.ends_with(b"\n")));
        match header {
            Some(name) => {
                if let Some(last) = files.last_mut() {
                    last.1.pop(); // the line break before a header separates
                }
                let name = String::from_utf8_lossy(name);
                files.push((name.trim_end_matches(['\r', '\n']).to_string(), Vec::new()));
            }
            None => {
                if let Some(last) = files.last_mut() {
                    last.1.extend_from_slice(chunk);
                }
            }
        }
    }
    files
}

/// Spec, diary and hypotheses together (a bundle, see [`split_bundle`]),
/// placed in folder `b/`, through `open`, `check` and `prepare` with the
/// diary the spec names; no fitting. Files that are not UTF-8 are written
/// to disk and read as the CLI reads them.
pub fn session(data: &[u8]) -> Verdict {
    let files = split_bundle(data);
    let mut features = Features::new();
    let texts: Option<Vec<(String, String)>> = files
        .iter()
        .map(|(name, bytes)| Some((name.clone(), String::from_utf8(bytes.clone()).ok()?)))
        .collect();
    match texts {
        Some(texts) => {
            let mut sources = MemorySources::new();
            for (name, text) in &texts {
                sources.insert(format!("b/{name}"), text.clone());
            }
            run_session(sources, &format!("b/{}", texts[0].0), &mut features);
        }
        None => {
            features.insert("bytes-on-disk".into());
            on_disk(&files, &mut features);
        }
    }
    Verdict::Ran(features)
}

fn run_session<S: Sources>(sources: S, spec: &str, features: &mut Features) {
    let mut session = Session::new(sources, Default::default());
    let opened = session.open(spec);
    assert_stage("open", &session, &opened);
    if let Ok(file) = opened {
        if let Ok(checked) = check(&mut session, file, features) {
            prepare(&mut session, checked, DiarySource::Spec, features);
        }
    }
    render_all(&session, features);
}

static SCRATCH: AtomicU64 = AtomicU64::new(0);

/// The bundle written under a fresh scratch folder and read by the CLI's
/// file sources (names that would leave the folder are not written).
fn on_disk(files: &[(String, Vec<u8>)], features: &mut Features) {
    let root = std::env::temp_dir().join(format!(
        "trialc-fuzz-{}-{}",
        std::process::id(),
        SCRATCH.fetch_add(1, Ordering::Relaxed)
    ));
    let folder = root.join("b");
    for (name, bytes) in files {
        let clean = trialc::source::normalise(name);
        if clean.is_empty()
            || clean.starts_with('/')
            || clean.starts_with("..")
            || clean.contains(':')
        {
            continue;
        }
        let path = folder.join(&clean);
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::write(&path, bytes);
    }
    let spec = folder
        .join(trialc::source::normalise(&files[0].0))
        .to_string_lossy()
        .into_owned();
    run_session(trialc::io::FsSources, &spec, features);
    let _ = std::fs::remove_dir_all(&root);
}
