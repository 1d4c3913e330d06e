//! `trialc check` speed: each example, and a generated 10,000-line spec.
//!
//! Run with `cargo bench -p trialc --bench check`. Reports the median and
//! minimum of repeated runs of parse + check + schedule in-process, and of
//! the whole `trialc check` process (start-up included), because the editor
//! runs the check on every keystroke. Targets (issue 2): well under 10 ms per
//! example file, under 200 ms for the 10,000-line spec.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use trialc::driver::{Session, SessionOptions};
use trialc::source::MemorySources;

fn median_and_min(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[0])
}

/// The editor's check: the library's session over an in-memory buffer
/// (parse, check, hypotheses files beside it, schedule).
fn in_process(sources: &MemorySources, name: &str) -> usize {
    let mut session = Session::new(sources.clone(), SessionOptions::default());
    let periods = session
        .open(name)
        .and_then(|f| session.check(f))
        .map_or(0, |c| c.schedule.periods.len());
    periods + session.diagnostics().len()
}

fn time<F: FnMut() -> usize>(reps: usize, mut f: F) -> (Duration, Duration, usize) {
    let mut samples = Vec::with_capacity(reps);
    let mut sink = 0;
    for _ in 0..reps {
        let start = Instant::now();
        sink += f();
        samples.push(start.elapsed());
    }
    let (median, min) = median_and_min(samples);
    (median, min, sink)
}

/// A valid spec of about `lines` lines: many outcomes with models, comments and rules.
fn generated_spec(lines: usize) -> String {
    let mut s = String::from(
        "// generated for the benchmark\ntrial \"bench\" {\n  title \"Generated\"\n}\n\narm active \"Active 10 mg\"\narm placebo \"Placebo\" reference\n\nschedule {\n  period 14 days\n  cycles 4\n  sequence randomized pairs\n  max_run 2\n  washout 3 days\n  seed 42\n}\n\n",
    );
    let mut k = 0;
    while s.lines().count() < lines.saturating_sub(8) {
        let primary = if k == 0 { "primary" } else { "secondary" };
        s.push_str(&format!(
            "/// Outcome number {k}.\noutcome o{k} \"Outcome {k}\" {{\n  type continuous in [0, 10]\n  measured daily\n  better lower\n  mcid 1.0\n  {primary}\n}}\n\nmodel o{k} {{\n  effect active ~ normal(0, 2)  // effect\n  intercept ~ normal(5, 2.5)\n  errors ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(2))\n}}\n\n"
        ));
        k += 1;
    }
    s.push_str("decide {\n  recommend active if P(effect on o0 < -mcid) >= 0.8\n  otherwise inconclusive\n}\n");
    s
}

fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut files = Vec::new();
    if let Ok(dirs) = std::fs::read_dir(root) {
        for dir in dirs.flatten() {
            if let Ok(entries) = std::fs::read_dir(dir.path()) {
                for entry in entries.flatten() {
                    if entry.path().extension().and_then(|e| e.to_str()) == Some("trial") {
                        files.push(entry.path());
                    }
                }
            }
        }
    }
    files.sort();
    files
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn main() {
    let binary = env!("CARGO_BIN_EXE_trialc");
    println!(
        "{:<48} {:>12} {:>12} {:>14} {:>14}",
        "input", "in-proc med", "in-proc min", "process med", "process min"
    );
    for path in examples() {
        // The spec and the files beside it (hypotheses), as an editor holds them.
        let mut sources = MemorySources::new();
        let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for entry in walk(&folder) {
            if let Ok(text) = std::fs::read_to_string(&entry) {
                sources.insert(entry.display().to_string(), text);
            }
        }
        let name = path.display().to_string();
        let (median, min, _) = time(200, || in_process(&sources, &name));
        let (p_median, p_min, _) = time(20, || {
            Command::new(binary)
                .arg("check")
                .arg(&path)
                .output()
                .map(|o| o.status.code().unwrap_or(-1) as usize)
                .unwrap_or(usize::MAX)
        });
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("{name:<48} {median:>12.1?} {min:>12.1?} {p_median:>14.1?} {p_min:>14.1?}");
    }
    let big = generated_spec(10_000);
    let n_lines = big.lines().count();
    let big_sources = MemorySources::new().with("generated.trial", big.clone());
    let mut session = Session::new(big_sources.clone(), SessionOptions::default());
    let checked = session
        .open("generated.trial")
        .and_then(|f| session.check(f));
    assert!(checked.is_ok(), "the generated spec must be valid");
    let (median, min, _) = time(20, || in_process(&big_sources, "generated.trial"));
    let dir = std::env::temp_dir().join("trialc-bench-check");
    let _ = std::fs::create_dir_all(&dir);
    let big_path = dir.join("generated.trial");
    let _ = std::fs::write(&big_path, &big);
    let (p_median, p_min, _) = time(10, || {
        Command::new(binary)
            .arg("check")
            .arg(&big_path)
            .output()
            .map(|o| o.status.code().unwrap_or(-1) as usize)
            .unwrap_or(usize::MAX)
    });
    println!(
        "{:<48} {median:>12.1?} {min:>12.1?} {p_median:>14.1?} {p_min:>14.1?}",
        format!("generated ({n_lines} lines)")
    );
}
