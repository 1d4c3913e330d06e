//! Fuzzing on the stable toolchain (issue 10): every fuzz target over its
//! committed corpus, then over a bounded, deterministic budget of generated
//! inputs (mutations of the corpus and inputs built from each target's
//! grammar, from a fixed-seed ChaCha20 stream). No input may panic, take
//! more than a few seconds, or drive memory up without bound; the formatter
//! must keep meaning and be idempotent.
//!
//! Targets (their code is `fuzz/targets.rs`, shared with the cargo-fuzz
//! crate in `/fuzz`): `parse_check`, `format`, `schedule`, `diary`,
//! `hypotheses`, `session`. Corpus: `tests/fuzz/<target>/` (README there).
//!
//! Each input runs on its own thread with the CLI main thread's 8 MiB stack,
//! its panic caught and named; a fault's input is shrunk and written under
//! the test's scratch folder (`target/tmp/fuzz-faults/`).
//!
//! `cargo test` runs the CI budget (a few thousand inputs per target).
//! The long mode is `scripts/fuzz.sh` (ignored tests `long_*`, release
//! build, budget and seed from the environment):
//! `TRIALC_FUZZ_BUDGET` inputs per target, `TRIALC_FUZZ_SECONDS` per
//! target, `TRIALC_FUZZ_SEED`, `TRIALC_FUZZ_INPUT_SECONDS` (per input),
//! `TRIALC_FUZZ_ARTIFACTS` (a folder: the input being run is written there
//! first, so an abort leaves it behind).
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

#[path = "fuzz/mutate.rs"]
mod mutate;
#[path = "fuzz/oracle.rs"]
mod oracle;
#[path = "fuzz/targets.rs"]
mod targets;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::panic;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Once;
use std::time::{Duration, Instant};

use mutate::{Rng, CSV_TOKENS, JSON_TOKENS, SPEC_TOKENS};
use targets::{Features, Verdict};

// ------------------------------------------------------------------ targets

struct Target {
    name: &'static str,
    run: fn(&[u8]) -> Verdict,
    /// Corpus folders under `tests/fuzz/`.
    corpus: &'static [&'static str],
    tokens: &'static [&'static str],
    /// Inputs built from the target's grammar (a share of the budget).
    generate: Option<fn(&mut Rng) -> Vec<u8>>,
    /// Generated inputs per `cargo test` (CI).
    budget: usize,
}

fn session_bundle(rng: &mut Rng) -> Vec<u8> {
    mutate::session(rng, targets::EXAMPLES[0].1)
}

const PARSE_CHECK: Target = Target {
    name: "parse_check",
    run: targets::parse_check,
    corpus: &["parse_check"],
    tokens: SPEC_TOKENS,
    generate: None,
    budget: 1500,
};

const FORMAT: Target = Target {
    name: "format",
    run: targets::format,
    corpus: &["parse_check", "format"],
    tokens: SPEC_TOKENS,
    generate: None,
    budget: 1500,
};

const SCHEDULE: Target = Target {
    name: "schedule",
    run: targets::schedule,
    corpus: &["schedule"],
    tokens: SPEC_TOKENS,
    generate: Some(mutate::schedule_spec),
    budget: 1500,
};

const DIARY: Target = Target {
    name: "diary",
    run: targets::diary,
    corpus: &["diary"],
    tokens: CSV_TOKENS,
    generate: Some(mutate::diary),
    budget: 400,
};

const HYPOTHESES: Target = Target {
    name: "hypotheses",
    run: targets::hypotheses,
    corpus: &["hypotheses"],
    tokens: JSON_TOKENS,
    generate: Some(mutate::hypotheses),
    budget: 800,
};

const SESSION: Target = Target {
    name: "session",
    run: targets::session,
    corpus: &["session"],
    tokens: SPEC_TOKENS,
    generate: Some(session_bundle),
    budget: 400,
};

const ALL: [&Target; 6] = [
    &PARSE_CHECK,
    &FORMAT,
    &SCHEDULE,
    &DIARY,
    &HYPOTHESES,
    &SESSION,
];

/// The seed of the CI budget; the long mode takes another from the environment.
const CI_SEED: u64 = 20_261_201;

// ------------------------------------------------------------------ settings

struct Settings {
    seed: u64,
    /// Stop generating after this long (long mode).
    seconds: Option<f64>,
    /// One input may take at most this long.
    per_input: Duration,
    /// Peak memory of the test process above this is a fault.
    peak_mib: u64,
    /// Where the running input is written first (long mode).
    artifacts: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn settings(long: bool) -> Settings {
    // Generous in debug builds on a shared machine: a hang is unbounded, a
    // slow input of this kind takes minutes, a typical one milliseconds.
    let default_limit = if cfg!(debug_assertions) { 10.0 } else { 2.0 };
    let per_input = env("TRIALC_FUZZ_INPUT_SECONDS")
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(default_limit);
    Settings {
        seed: if long {
            env("TRIALC_FUZZ_SEED")
                .and_then(|s| s.parse().ok())
                .unwrap_or(1)
        } else {
            CI_SEED
        },
        seconds: if long {
            env("TRIALC_FUZZ_SECONDS").and_then(|s| s.parse().ok())
        } else {
            None
        },
        per_input: Duration::from_secs_f64(per_input),
        peak_mib: env("TRIALC_FUZZ_PEAK_MIB")
            .and_then(|s| s.parse().ok())
            .unwrap_or(1024),
        artifacts: if long {
            env("TRIALC_FUZZ_ARTIFACTS").map(PathBuf::from)
        } else {
            None
        },
    }
}

// ------------------------------------------------------------------ running one input

thread_local! {
    /// Where the last panic on this thread happened.
    static PANIC_AT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Panics on fuzz threads are recorded (with their place) instead of
/// printed; others go to the default hook.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some("fuzz-input") {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                PANIC_AT.with(|p| *p.borrow_mut() = Some(at));
            } else {
                default(info);
            }
        }));
    });
}

#[derive(Debug)]
enum Outcome {
    Ran(Verdict),
    /// Where, and the message.
    Panicked(String, String),
    /// Still running after the limit.
    TimedOut,
}

fn run_one(run: fn(&[u8]) -> Verdict, input: &[u8], limit: Duration) -> Outcome {
    install_hook();
    let data = input.to_vec();
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("fuzz-input".into())
        .stack_size(8 << 20)
        .spawn(move || {
            let result = panic::catch_unwind(|| run(&data));
            let result = result.map_err(|payload| {
                let message = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "a panic without a message".into());
                let at = PANIC_AT.with(|p| p.borrow_mut().take()).unwrap_or_default();
                (at, message)
            });
            let _ = tx.send(result);
        })
        .expect("a thread for the input");
    match rx.recv_timeout(limit) {
        Ok(Ok(verdict)) => {
            let _ = handle.join();
            Outcome::Ran(verdict)
        }
        Ok(Err((at, message))) => {
            let _ = handle.join();
            Outcome::Panicked(at, message)
        }
        // The thread is left to finish (or not) on its own.
        Err(_) => Outcome::TimedOut,
    }
}

/// The process's peak resident memory in MiB (Linux; 0 elsewhere).
fn peak_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}

// ------------------------------------------------------------------ faults

struct Fault {
    kind: String,
    input: Vec<u8>,
    origin: String,
}

/// Shrinks a panicking input while it panics at the same place: chunks of
/// halving size are cut out, bounded by `tries` runs.
fn shrink(run: fn(&[u8]) -> Verdict, input: &[u8], at: &str, limit: Duration) -> Vec<u8> {
    let mut best = input.to_vec();
    let mut chunk = best.len().div_ceil(2).max(1);
    let mut tries = 0;
    while tries < 2000 {
        let mut i = 0;
        let mut cut_any = false;
        while i < best.len() && tries < 2000 {
            let end = (i + chunk).min(best.len());
            let mut candidate = best[..i].to_vec();
            candidate.extend_from_slice(&best[end..]);
            tries += 1;
            match run_one(run, &candidate, limit) {
                Outcome::Panicked(place, _) if place == at => {
                    best = candidate;
                    cut_any = true;
                }
                _ => i += chunk,
            }
        }
        if !cut_any {
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
    }
    best
}

fn shown(input: &[u8]) -> String {
    let text = String::from_utf8_lossy(input);
    let mut s: String = format!("{text:?}");
    if s.len() > 600 {
        let mut cut = 600;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str(&format!("… ({} bytes)", input.len()));
    }
    s
}

fn save_fault(target: &str, n: usize, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz-faults")
        .join(target);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("fault-{n}"));
    let _ = std::fs::write(&path, input);
    path
}

// ------------------------------------------------------------------ the driver

/// What a run did.
struct Report {
    inputs: usize,
    /// Faults found again at a place already filed.
    repeats: usize,
    features: BTreeSet<String>,
    faults: Vec<Fault>,
    elapsed: Duration,
}

fn corpus_files(target: &Target) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fuzz");
    let mut files = Vec::new();
    for dir in target.corpus {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("the corpus tests/fuzz/{dir}: {e}"))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for p in paths {
            let bytes = std::fs::read(&p).expect("a readable corpus file");
            let name = format!(
                "tests/fuzz/{dir}/{}",
                p.file_name().unwrap_or_default().to_string_lossy()
            );
            files.push((name, bytes));
        }
    }
    assert!(!files.is_empty(), "{}: an empty corpus", target.name);
    files
}

/// Runs one input and files what it did.
struct Driver<'a> {
    target: &'a Target,
    settings: &'a Settings,
    report: Report,
    peak_flagged: bool,
    /// Faults already filed, by place.
    seen: BTreeSet<String>,
}

impl Driver<'_> {
    /// `Some(features)` when it ran; `None` on a fault.
    fn input(&mut self, origin: &str, input: &[u8]) -> Option<Features> {
        if let Some(dir) = &self.settings.artifacts {
            let dir = dir.join(self.target.name);
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join("current"), input);
        }
        self.report.inputs += 1;
        let started = Instant::now();
        let outcome = run_one(self.target.run, input, self.settings.per_input);
        let took = started.elapsed();
        let peak = peak_mib();
        if peak > self.settings.peak_mib && !self.peak_flagged {
            self.peak_flagged = true;
            self.fault(
                format!("memory: the process peaked at {peak} MiB after this input"),
                input,
                origin,
            );
        }
        match outcome {
            Outcome::Ran(Verdict::Ran(features)) => Some(features),
            Outcome::Panicked(at, message) => {
                // One fault per place (and first line of the message): the
                // same bug found again is counted, not shrunk again.
                let first = message.lines().next().unwrap_or("");
                let key = format!("{at} {}", first.replace(|c: char| c.is_ascii_digit(), ""));
                if self.seen.insert(key) {
                    let small = shrink(self.target.run, input, &at, self.settings.per_input);
                    self.fault(format!("panic at {at}: {message}"), &small, origin);
                } else {
                    self.report.repeats += 1;
                }
                None
            }
            Outcome::TimedOut => {
                self.fault(
                    format!("time: still running after {:.1} s", took.as_secs_f64()),
                    input,
                    origin,
                );
                None
            }
        }
    }

    fn fault(&mut self, kind: String, input: &[u8], origin: &str) {
        self.report.faults.push(Fault {
            kind,
            input: input.to_vec(),
            origin: origin.to_string(),
        });
    }

    /// A timed-out input leaves a thread running: stop this target.
    fn must_stop(&self) -> bool {
        self.report
            .faults
            .iter()
            .any(|f| f.kind.starts_with("time"))
            || self.report.faults.len() >= 20
    }
}

/// The corpus, then `budget` generated inputs (mutations of the corpus and
/// of inputs that reached something new, and inputs from the target's
/// generator), all from `settings.seed`.
fn fuzz(target: &Target, budget: usize, settings: &Settings, with_corpus: bool) -> Report {
    let started = Instant::now();
    let mut driver = Driver {
        target,
        settings,
        report: Report {
            inputs: 0,
            repeats: 0,
            features: BTreeSet::new(),
            faults: Vec::new(),
            elapsed: Duration::ZERO,
        },
        peak_flagged: false,
        seen: BTreeSet::new(),
    };
    let corpus = corpus_files(target);
    let mut pool: Vec<Vec<u8>> = corpus.iter().map(|(_, b)| b.clone()).collect();
    if with_corpus {
        for (name, bytes) in &corpus {
            if let Some(features) = driver.input(name, bytes) {
                driver.report.features.extend(features);
            }
            if driver.must_stop() {
                break;
            }
        }
    }
    let mut rng = Rng::new(settings.seed ^ fnv(target.name));
    for i in 0..budget {
        if driver.must_stop()
            || settings
                .seconds
                .is_some_and(|s| started.elapsed().as_secs_f64() > s)
        {
            break;
        }
        let (origin, input) = match target.generate {
            Some(generate) if rng.chance(1, 3) => {
                let mut input = generate(&mut rng);
                input.truncate(mutate::MAX_INPUT);
                (format!("generated #{i}"), input)
            }
            _ => {
                let parent = rng.below(pool.len());
                let input = mutate::mutate(&mut rng, &pool[parent], &pool, target.tokens);
                (format!("mutation #{i}"), input)
            }
        };
        if let Some(features) = driver.input(&origin, &input) {
            let new = features.iter().any(|f| !driver.report.features.contains(f));
            if new && pool.len() < 4000 {
                pool.push(input);
            }
            driver.report.features.extend(features);
        }
    }
    driver.report.elapsed = started.elapsed();
    driver.report
}

fn fnv(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Prints the figures, saves every fault's input and fails on any fault.
fn conclude(target: &Target, what: &str, report: Report) {
    println!(
        "fuzz {} ({what}): {} inputs in {:.1} s, {} features, {} faults ({} found again)",
        target.name,
        report.inputs,
        report.elapsed.as_secs_f64(),
        report.features.len(),
        report.faults.len(),
        report.repeats,
    );
    if env("TRIALC_FUZZ_VERBOSE").is_some() {
        println!("  features: {:?}", report.features);
    }
    if report.faults.is_empty() {
        return;
    }
    let mut message = format!(
        "{} fault(s) in target {}:\n",
        report.faults.len(),
        target.name
    );
    for (n, f) in report.faults.iter().enumerate() {
        let path = save_fault(target.name, n, &f.input);
        message.push_str(&format!(
            "- {} (from {}; {} bytes saved to {})\n  {}\n",
            f.kind,
            f.origin,
            f.input.len(),
            path.display(),
            shown(&f.input)
        ));
    }
    panic!("{message}");
}

fn corpus_only(target: &Target) {
    let s = settings(false);
    conclude(target, "corpus", fuzz(target, 0, &s, true));
}

fn generated(target: &Target) {
    let s = settings(false);
    conclude(
        target,
        &format!("seed {}", s.seed),
        fuzz(target, target.budget, &s, false),
    );
}

/// The long mode: the budget from `TRIALC_FUZZ_BUDGET` (default 200,000)
/// and/or `TRIALC_FUZZ_SECONDS`.
fn long(target: &Target) {
    let s = settings(true);
    let budget = env("TRIALC_FUZZ_BUDGET")
        .and_then(|b| b.parse().ok())
        .unwrap_or(200_000);
    conclude(
        target,
        &format!("long, seed {}", s.seed),
        fuzz(target, budget, &s, true),
    );
}

// ------------------------------------------------------------------ tests

#[test]
fn parse_check_corpus() {
    corpus_only(&PARSE_CHECK);
}

#[test]
fn parse_check_generated() {
    generated(&PARSE_CHECK);
}

#[test]
fn format_corpus() {
    corpus_only(&FORMAT);
}

#[test]
fn format_generated() {
    generated(&FORMAT);
}

#[test]
fn schedule_corpus() {
    corpus_only(&SCHEDULE);
}

#[test]
fn schedule_generated() {
    generated(&SCHEDULE);
}

#[test]
fn diary_corpus() {
    corpus_only(&DIARY);
}

#[test]
fn diary_generated() {
    generated(&DIARY);
}

#[test]
fn hypotheses_corpus() {
    corpus_only(&HYPOTHESES);
}

#[test]
fn hypotheses_generated() {
    generated(&HYPOTHESES);
}

#[test]
fn session_corpus() {
    corpus_only(&SESSION);
}

#[test]
fn session_generated() {
    generated(&SESSION);
}

#[test]
#[ignore = "long mode: scripts/fuzz.sh"]
fn long_parse_check() {
    long(&PARSE_CHECK);
}

#[test]
#[ignore = "long mode: scripts/fuzz.sh"]
fn long_format() {
    long(&FORMAT);
}

#[test]
#[ignore = "long mode: scripts/fuzz.sh"]
fn long_schedule() {
    long(&SCHEDULE);
}

#[test]
#[ignore = "long mode: scripts/fuzz.sh"]
fn long_diary() {
    long(&DIARY);
}

#[test]
#[ignore = "long mode: scripts/fuzz.sh"]
fn long_hypotheses() {
    long(&HYPOTHESES);
}

#[test]
#[ignore = "long mode: scripts/fuzz.sh"]
fn long_session() {
    long(&SESSION);
}

// ------------------------------------------------------------------ faults found

// Faults the fuzzers found (issue 10), each fixed; its input stays in the
// corpus and its test here keeps it fixed.

fn corpus_file(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fuzz")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The spec checks (to an error or a schedule) on the CLI's 8 MiB stack,
/// within 2 s, without a panic; the codes it raised.
fn checks_in_time(path: &str) -> Features {
    match run_one(
        targets::check_bundle,
        &corpus_file(path),
        Duration::from_secs(2),
    ) {
        Outcome::Ran(Verdict::Ran(codes)) => codes,
        other => panic!("{path}: {other:?}"),
    }
}

#[test]
fn fault_deep_recursion_in_the_schedule() {
    let codes = checks_in_time("schedule/crash-randomized-pairs-20000-cycles.trial");
    assert!(
        !codes.is_empty(),
        "2^20000 sequences cannot be counted: an error"
    );
}

#[test]
fn fault_the_checker_counts_periods_one_by_one() {
    checks_in_time("parse_check/hang-cycles-999999999999999999.trial");
}

#[test]
fn fault_cycles_times_arms_overflows() {
    let codes = checks_in_time("parse_check/panic-cycles-times-20-arms.trial");
    assert!(codes.iter().any(|c| c.starts_with("E03")), "{codes:?}");
}

#[test]
fn fault_many_labels_render_slowly() {
    let json = corpus_file("hypotheses/slow-300-unused-hypotheses-one-line.json");
    let bundle = [
        b"=== magnesium-migraine.trial\n".as_slice(),
        targets::EXAMPLES[0].1.as_bytes(),
        b"\n=== hypotheses/p0042.json\n",
        &json,
    ]
    .concat();
    let outcome = run_one(targets::check_bundle, &bundle, Duration::from_secs(2));
    assert!(matches!(outcome, Outcome::Ran(_)), "{outcome:?}");
}

#[test]
fn fault_hypotheses_with_a_byte_order_mark() {
    let text = String::from_utf8(corpus_file("hypotheses/fault-bom.json")).expect("UTF-8");
    let (file, diagnostics) = trialc::hypotheses::read(&text);
    assert!(file.is_some(), "{diagnostics:?}");
}

#[test]
fn fault_json_error_span_inside_a_character() {
    let text = String::from_utf8(corpus_file("hypotheses/fault-span-inside-a-character.json"))
        .expect("UTF-8");
    let (_, diagnostics) = trialc::hypotheses::read(&text);
    for d in &diagnostics {
        for l in &d.labels {
            assert!(
                text.is_char_boundary(l.span.start) && text.is_char_boundary(l.span.end),
                "{d:?}"
            );
        }
    }
}

#[test]
fn gap_schedules_the_checker_lets_through() {
    for path in [
        "schedule/gap-pairs-128-cycles.trial",
        "schedule/gap-million-days.trial",
    ] {
        let codes = checks_in_time(path);
        assert!(
            !codes.contains("E0001") && codes.iter().any(|c| c.starts_with("E03")),
            "{path}: {codes:?}"
        );
    }
}

/// The driver itself: a bundle splits into its files; the same seed gives
/// the same inputs; a panic is caught and named.
#[test]
fn the_driver_is_deterministic_and_catches_panics() {
    let files = targets::split_bundle(b"=== a.trial\nx\n=== d.csv\r\ny\n\n=== h.json\n{}");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a.trial", "d.csv", "h.json"]);
    assert_eq!(files[0].1, b"x");
    assert_eq!(files[1].1, b"y\n");
    assert_eq!(files[2].1, b"{}");
    assert_eq!(targets::split_bundle(b"arm a")[0].0, "spec.trial");

    let inputs = |seed| {
        let mut rng = Rng::new(seed);
        (0..50)
            .map(|_| mutate::mutate(&mut rng, b"arm a \"A\" reference\n", &[], SPEC_TOKENS))
            .collect::<Vec<_>>()
    };
    assert_eq!(inputs(7), inputs(7));
    assert_ne!(inputs(7), inputs(8));

    fn boom(data: &[u8]) -> Verdict {
        assert!(!data.contains(&b'!'), "found it");
        Verdict::Ran(Features::new())
    }
    match run_one(boom, b"abc!def", Duration::from_secs(10)) {
        Outcome::Panicked(at, message) => {
            assert!(at.contains("fuzz.rs"), "{at}");
            assert_eq!(message, "found it");
        }
        other => panic!("not caught: {other:?}"),
    }
    let at = match run_one(boom, b"abc!def", Duration::from_secs(10)) {
        Outcome::Panicked(at, _) => at,
        other => panic!("not caught: {other:?}"),
    };
    assert_eq!(shrink(boom, b"abc!def", &at, Duration::from_secs(10)), b"!");
    assert!(matches!(
        run_one(boom, b"fine", Duration::from_secs(10)),
        Outcome::Ran(_)
    ));
}

/// Every target over every corpus names its files: a corpus folder that
/// goes missing fails here rather than silently testing nothing.
#[test]
fn every_target_has_a_corpus() {
    for target in ALL {
        assert!(corpus_files(target).len() >= 5, "{}", target.name);
    }
}

/// The spec generator knows every word of the language: a keyword added to
/// the lexer without a fuzz token would leave its syntax unexplored.
#[test]
fn every_keyword_is_a_fuzz_token() {
    let missing: Vec<&str> = trialc::syntax::lexer::KEYWORDS
        .iter()
        .copied()
        .filter(|k| !SPEC_TOKENS.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "add to SPEC_TOKENS in fuzz/mutate.rs: {missing:?}"
    );
}

/// The bundled magnesium example commits to the pharmacy's key: with its
/// key beside it (as in `examples/`), the diary, hypotheses and session
/// targets reach the analysis (read, lowered, evaluated) instead of
/// stopping at E1111, so fuzzing explores past the allocation.
#[test]
fn the_committed_example_reaches_the_analysis() {
    let diary = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/magnesium-migraine/diary.csv"),
    )
    .expect("the example's diary");
    let hypotheses = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/magnesium-migraine/hypotheses/p0042.json"),
    )
    .expect("the example's hypotheses");
    let bundle = corpus_file("session/seed-example-magnesium-migraine.session");
    for (what, run, input) in [
        ("diary", targets::diary as fn(&[u8]) -> Verdict, &diary),
        ("hypotheses", targets::hypotheses, &hypotheses),
        ("session", targets::session, &bundle),
    ] {
        let Verdict::Ran(features) = run(input);
        assert!(features.contains("stage:prepared"), "{what}: {features:?}");
        assert!(
            !features.iter().any(|f| f.contains("E1111")),
            "{what}: {features:?}"
        );
    }
}
