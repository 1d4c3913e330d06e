//! `trialc run` end to end on the migraine example: parse → report.
//!
//! Run with `cargo bench -p trialc --bench run`. Times the whole process with
//! Stan's default 4 chains × (1000 warmup + 1000 draws), and the stages in
//! process: front end, diary + lowering, and each outcome's fit with one
//! thread (gradient evaluations and µs per gradient). Target (issue 4):
//! under 100 ms wall on this 2-core machine.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use trialc::{data, hir, hypotheses, lower, schedule, syntax};
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

    // Stages, in process.
    let source = std::fs::read_to_string(&spec_path).unwrap_or_default();
    let start = Instant::now();
    let (file, _) = syntax::parse(&source);
    let (spec, _) = hir::check(&file);
    let Some(spec) = spec else {
        panic!("example does not check")
    };
    let Ok(built) = schedule::build(&spec.schedule_spec()) else {
        panic!("no schedule")
    };
    let front = start.elapsed();
    let start = Instant::now();
    let diary_text = std::fs::read_to_string(example.join("diary.csv")).unwrap_or_default();
    let (diary, _) = data::read_diary(&diary_text, &spec, &built);
    let Some(diary) = diary else {
        panic!("diary does not read")
    };
    let hyp_text =
        std::fs::read_to_string(example.join("hypotheses/p0042.json")).unwrap_or_default();
    let (hyp, _) = hypotheses::read(&hyp_text);
    let mut effects = HashMap::new();
    for h in hyp.map(|f| f.hypotheses).unwrap_or_default() {
        effects.insert(("lfm".to_string(), h.id), (h.effect.mean, h.effect.sd));
    }
    let Ok(lowered) = lower::lower(&spec, &built, &diary, &effects) else {
        panic!("lowering failed")
    };
    let prepare = start.elapsed();
    println!("front end (parse + check + schedule): {front:.2?}; diary + hypotheses + lowering: {prepare:.2?}");
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
