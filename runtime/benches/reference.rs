//! Benchmark on the four Stan reference models: 4 chains x (1000 warmup +
//! 1000 draws), wall time, gradient evaluations, µs per gradient, bulk-ESS per
//! second per parameter and peak RSS, side by side with Stan's stored figures
//! (tests/fixtures/stan_summary.json, copied from the reference harness).
//!
//! Run: `cargo bench -p trialc-runtime --bench reference` (optional argument:
//! a model name to run only that one; `--seed N`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;
use trialc_runtime::density::LogDensity;
use trialc_runtime::diagnostics::{chain_health, summarise};
use trialc_runtime::mir::MirDensity;
use trialc_runtime::nuts::{sample, NutsConfig};

/// Divergences Stan reported (results/summary.md; not in summary.json).
fn stan_divergences(model: &str) -> usize {
    if model == "count_ar1" {
        2
    } else {
        0
    }
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// µs per log density + gradient evaluation, single thread, at a typical
/// posterior point (the chain's last draw).
fn us_per_grad<D: LogDensity>(d: &D, x: &[f64]) -> f64 {
    let mut g = vec![0.0; d.dim()];
    let mut acc = 0.0;
    let reps = 200_000 / d.dim().max(5);
    let t = Instant::now();
    for _ in 0..reps {
        acc += d.logp_grad(std::hint::black_box(x), &mut g);
    }
    let el = t.elapsed().as_secs_f64();
    std::hint::black_box(acc);
    el * 1e6 / reps as f64
}

fn run<D: LogDensity>(model: &str, d: &D, seed: u64) {
    let cfg = NutsConfig {
        seed,
        ..NutsConfig::default()
    };
    let t = Instant::now();
    let fit = match sample(d, &cfg) {
        Ok(f) => f,
        Err(e) => {
            println!("{model}: sampling failed: {e}");
            return;
        }
    };
    let wall = t.elapsed().as_secs_f64();
    let grads = fit.total_grad_evals();
    let last = &fit.chains[0].draws[fit.chains[0].draws.len() - d.dim()..];
    let us = us_per_grad(d, last);
    let health: Vec<_> = fit
        .chains
        .iter()
        .map(|c| chain_health(&c.stats, cfg.max_depth))
        .collect();
    let div: usize = health.iter().map(|h| h.divergences).sum();
    let sat: usize = health.iter().map(|h| h.max_treedepth_hits).sum();
    let leap: f64 = fit
        .chains
        .iter()
        .flat_map(|c| c.stats.iter())
        .map(|s| s.n_leapfrog as f64)
        .sum::<f64>()
        / (fit.chains.len() * cfg.num_draws) as f64;
    let steps: Vec<String> = fit
        .chains
        .iter()
        .map(|c| format!("{:.3}", c.stepsize))
        .collect();
    let stan = common::read_json("stan_summary.json");
    let stan_wall = stan[format!("stan_{model}")]["median_over_runs"]["sample_wall_s"]
        .as_f64()
        .unwrap_or(f64::NAN);
    println!("\n## {model}  (dim {}, seed {seed})", d.dim());
    println!(
        "wall {wall:.3} s (Stan median {stan_wall:.3} s) | grad evals {grads} | {us:.3} µs/grad | mean leapfrog {leap:.2} | \
         divergences {div} (Stan {}) | treedepth-10 {sat} | step sizes {} | E-BFMI {}",
        stan_divergences(model),
        steps.join(", "),
        health.iter().map(|h| format!("{:.2}", h.e_bfmi)).collect::<Vec<_>>().join(", ")
    );
    println!(
        "| param | mean | sd | Stan mean | Stan sd | z (4 = limit) | sd ratio | bulk-ESS | tail-ESS | R-hat | ESS/s | Stan ESS/s | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut min_ratio = f64::INFINITY;
    let mut min_ess_s = f64::INFINITY;
    let mut min_stan = f64::INFINITY;
    for (name, draws) in common::reference_draws(model, &fit) {
        let s = summarise(&draws);
        let (sm, ssd, smcse) = common::stan_summary(model, &name);
        let stan_ess_s = stan[format!("stan_{model}")]["median_over_runs"]["ess_bulk_per_wall_s"]
            [&name]
            .as_f64()
            .unwrap_or(f64::NAN);
        let z = (s.mean - sm) / (s.mcse_mean.powi(2) + smcse.powi(2)).sqrt();
        let ess_s = s.ess_bulk / wall;
        min_ratio = min_ratio.min(ess_s / stan_ess_s);
        min_ess_s = min_ess_s.min(ess_s);
        min_stan = min_stan.min(stan_ess_s);
        println!(
            "| {name} | {:.4} | {:.4} | {sm:.4} | {ssd:.4} | {z:+.2} | {:.3} | {:.0} | {:.0} | {:.4} | {ess_s:.0} | {stan_ess_s:.0} | {:.1}x |",
            s.mean,
            s.sd,
            s.sd / ssd,
            s.ess_bulk,
            s.ess_tail,
            s.rhat,
            ess_s / stan_ess_s
        );
    }
    println!(
        "lowest bulk-ESS/s {min_ess_s:.0} vs Stan's lowest {min_stan:.0}: {:.1}x; lowest per-parameter ratio {min_ratio:.1}x | peak RSS so far {:.1} MB",
        min_ess_s / min_stan,
        peak_rss_mb()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut seed = 20261129u64;
    let mut only: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--seed" => {
                seed = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(seed);
                i += 1;
            }
            "--bench" => {}
            a if !a.starts_with('-') => only = Some(a.to_string()),
            _ => {}
        }
        i += 1;
    }
    println!("threads: {}", rayon::current_num_threads());
    for model in ["continuous", "binary", "count", "count_ar1"] {
        if only.as_deref().is_some_and(|o| o != model) {
            continue;
        }
        if model == "count_ar1" {
            run(model, &common::CountAr1::new(), seed);
        } else {
            match MirDensity::new(common::reference_mir(model)) {
                Ok(d) => run(model, &d, seed),
                Err(e) => println!("{model}: invalid model: {e}"),
            }
        }
    }
}
