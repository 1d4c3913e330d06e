//! `trialc run` end to end on the migraine example: parse → report.
//!
//! Run with `cargo bench -p trialc --bench run`. Times the whole process with
//! Stan's default 4 chains × (1000 warmup + 1000 draws), and the stages in
//! process: front end, diary + lowering, and each outcome's fit with one
//! thread (gradient evaluations and µs per gradient). Target (issue 4):
//! under 100 ms wall on this 2-core machine.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use trialc::driver::{DiarySource, Session, SessionOptions};
use trialc::io::FsSources;
use trialc_runtime::nuts::NutsConfig;
use trialc_runtime::posterior;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/magnesium-migraine");
    let spec_path = example.join("magnesium-migraine.trial");
    let binary = env!("CARGO_BIN_EXE_trialc");
    let reps = std::env::args()
        .skip_while(|a| a != "--reps")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(11);

    let mut wall = Vec::new();
    for _ in 0..reps {
        let start = Instant::now();
        let status = Command::new(binary)
            .arg("run")
            .arg(&spec_path)
            .output()
            .map(|o| o.status.code());
        wall.push(start.elapsed());
        assert!(
            matches!(status, Ok(Some(0 | 3))),
            "trialc run failed: {status:?}"
        );
    }
    let min = wall.iter().min().copied().unwrap_or_default();
    println!("trialc run magnesium-migraine (4 x (1000 + 1000), whole process): median {:.1?}, min {:.1?} over {reps} runs", median(wall.clone()), min);

    // Stages, in process, through the library's session as `trialc run` runs them.
    let spec_name = spec_path.display().to_string();
    let mut session = Session::new(FsSources, SessionOptions::default());
    let start = Instant::now();
    let Ok(checked) = session.open(&spec_name).and_then(|f| session.check(f)) else {
        panic!("example does not check")
    };
    let front = start.elapsed();
    let start = Instant::now();
    let Ok(prepared) = session.prepare(checked, DiarySource::Spec) else {
        panic!("diary or lowering failed")
    };
    let lowered = prepared.lowered;
    let spec = prepared.checked.spec;
    let prepare = start.elapsed();
    println!("front end (parse + check + hypotheses + schedule): {front:.2?}; diary + lowering: {prepare:.2?}");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool");
    for l in &lowered {
        let config = NutsConfig::default();
        let start = Instant::now();
        let post = pool.install(|| posterior::fit(l.model.clone(), &config));
        let elapsed = start.elapsed();
        let Ok(post) = post else { panic!("fit failed") };
        let min_ess = post
            .summaries
            .iter()
            .map(|s| s.ess_bulk)
            .fold(f64::INFINITY, f64::min);
        println!(
            "  fit {:<14} 1 thread: {:>8.1?}, {:>7} gradients, {:.2} µs/gradient (incl. sampler), lowest bulk-ESS {:.0}",
            spec.outcomes[l.outcome].name,
            elapsed,
            post.grad_evals,
            elapsed.as_secs_f64() * 1e6 / post.grad_evals.max(1) as f64,
            min_ess
        );
    }
}
