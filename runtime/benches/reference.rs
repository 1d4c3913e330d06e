//! Benchmark on the four Stan reference models: 4 chains x (1000 warmup +
//! 1000 draws), wall time, gradient evaluations, µs per gradient, bulk-ESS per
//! second per parameter and peak RSS, side by side with Stan's stored figures
//! (tests/fixtures/stan_summary.json, copied from the reference harness).
//!
//! Run: `cargo bench -p trialc-runtime --bench reference` (optional argument:
//! a model name to run only that one; `--seed N`; `--reps N` runs with seeds
//! N.. and reports medians, default 3; `--grad-metric` uses the opt-in
//! Fisher-divergence diagonal metric instead of Stan's; `--adapt nutpie` the
//! opt-in nutpie-style warmup schedule (`Adaptation::Nutpie`, which always
//! uses that metric); `--uturn displacement` the opt-in displacement
//! no-U-turn criterion (`UTurn::Displacement`); `--json PATH` writes
//! the per-model figures for `scripts/bench-stan.sh`). CPU time is the sum
//! over this process's threads of their on-CPU time (`/proc/self/task/*/schedstat`),
//! comparable with Stan's summed per-chain elapsed times.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;
use trialc_runtime::adapt::{Adaptation, MetricEstimator};
use trialc_runtime::density::LogDensity;
use trialc_runtime::diagnostics::{chain_health, summarise};
use trialc_runtime::mir::MirDensity;
use trialc_runtime::nuts::{sample, NutsConfig, UTurn};

/// Figures only in results/summary.md (not in summary.json): Stan's
/// divergences, and the mean leapfrog steps per post-warmup draw of Stan and
/// nutpie (nuts-rs), used for ESS per gradient.
fn stan_divergences(model: &str) -> usize {
    if model == "count_ar1" {
        2
    } else {
        0
    }
}

fn mean_leapfrog(engine: &str, model: &str) -> f64 {
    match (engine, model) {
        ("stan", "continuous") => 6.51,
        ("stan", "binary") => 4.96,
        ("stan", "count") => 5.33,
        ("stan", "count_ar1") => 16.16,
        ("nutpie", "continuous") => 5.02,
        ("nutpie", "binary") => 3.54,
        ("nutpie", "count") => 4.26,
        ("nutpie", "count_ar1") => 13.97,
        _ => f64::NAN,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

/// Nanoseconds on CPU of all threads of this process (0 where unreadable).
fn cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path().join("schedstat")).ok())
        .filter_map(|t| {
            t.split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok())
        })
        .sum::<f64>()
        * 1e-9
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
/// posterior point (the chain's last draw); best of 5 batches, so that other
/// jobs on the shared machine inflate it less.
fn us_per_grad<D: LogDensity>(d: &D, x: &[f64]) -> f64 {
    let mut g = vec![0.0; d.dim()];
    let mut acc = 0.0;
    let reps = 100_000 / d.dim().max(5);
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..reps {
            acc += d.logp_grad(std::hint::black_box(x), &mut g);
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e6 / reps as f64);
    }
    std::hint::black_box(acc);
    best
}

fn run<D: LogDensity>(
    model: &str,
    d: &D,
    seed: u64,
    reps: usize,
    metric: MetricEstimator,
    adaptation: Adaptation,
    uturn: UTurn,
) -> serde_json::Value {
    let stan = common::read_json("stan_summary.json");
    let mut out = serde_json::json!({ "model": model, "dim": d.dim(), "seed": seed, "metric": format!("{metric:?}"), "adaptation": format!("{adaptation:?}"), "uturn": format!("{uturn:?}") });
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut ess_cpu: Vec<Vec<f64>> = Vec::new();
    let mut ess_s: Vec<Vec<f64>> = Vec::new();
    let mut ess_per_grad: Vec<Vec<f64>> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut divs: Vec<usize> = Vec::new();
    for rep in 0..reps.max(1) {
        let cfg = NutsConfig {
            seed: seed + rep as u64,
            metric,
            adaptation,
            uturn,
            ..NutsConfig::default()
        };
        let cpu0 = cpu_seconds();
        let t = Instant::now();
        let fit = match sample(d, &cfg) {
            Ok(f) => f,
            Err(e) => {
                println!("{model}: sampling failed: {e}");
                out["error"] = serde_json::json!(e.to_string());
                return out;
            }
        };
        let wall = t.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu0;
        walls.push(wall);
        cpus.push(cpu);
        divs.push(
            fit.chains
                .iter()
                .map(|c| c.stats.iter().filter(|s| s.divergent).count())
                .sum(),
        );
        let post_grads: f64 = fit
            .chains
            .iter()
            .flat_map(|c| c.stats.iter())
            .map(|s| s.n_leapfrog as f64)
            .sum();
        let draws = common::reference_draws(model, &fit);
        names = draws.iter().map(|(n, _)| n.clone()).collect();
        let sums: Vec<_> = draws.iter().map(|(_, x)| summarise(x)).collect();
        ess_s.push(sums.iter().map(|s| s.ess_bulk / wall).collect());
        ess_cpu.push(sums.iter().map(|s| s.ess_bulk / cpu).collect());
        ess_per_grad.push(
            sums.iter()
                .map(|s| 1000.0 * s.ess_bulk / post_grads)
                .collect(),
        );
        if rep > 0 {
            continue;
        }
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
        let leap = post_grads / (fit.chains.len() * cfg.num_draws) as f64;
        out["first_run"] = serde_json::json!({
            "wall_s": wall, "cpu_s": cpu, "grad_evals": grads, "us_per_grad": us,
            "mean_leapfrog": leap, "divergences": div, "treedepth_hits": sat,
        });
        let steps: Vec<String> = fit
            .chains
            .iter()
            .map(|c| format!("{:.3}", c.stepsize))
            .collect();
        println!(
            "\n## {model}  (dim {}, seeds {seed}..{})",
            d.dim(),
            seed + reps as u64 - 1
        );
        println!(
            "first run: wall {wall:.3} s | grad evals {grads} (warmup included) | {us:.3} µs/grad | mean leapfrog {leap:.2} \
             (Stan {:.2}, nutpie {:.2}) | divergences {div} (Stan {}) | treedepth-10 {sat} | step sizes {} | E-BFMI {}",
            mean_leapfrog("stan", model),
            mean_leapfrog("nutpie", model),
            stan_divergences(model),
            steps.join(", "),
            health.iter().map(|h| format!("{:.2}", h.e_bfmi)).collect::<Vec<_>>().join(", ")
        );
        println!("| param | mean | sd | Stan mean | Stan sd | z (|z|<4) | sd ratio | bulk-ESS | tail-ESS | R-hat |");
        println!("|---|---|---|---|---|---|---|---|---|---|");
        for ((name, _), s) in draws.iter().zip(&sums) {
            let (sm, ssd, smcse) = common::stan_summary(model, name);
            let z = (s.mean - sm) / (s.mcse_mean.powi(2) + smcse.powi(2)).sqrt();
            println!(
                "| {name} | {:.4} | {:.4} | {sm:.4} | {ssd:.4} | {z:+.2} | {:.3} | {:.0} | {:.0} | {:.4} |",
                s.mean,
                s.sd,
                s.sd / ssd,
                s.ess_bulk,
                s.ess_tail,
                s.rhat
            );
        }
    }
    let stan_wall = stan[format!("stan_{model}")]["median_over_runs"]["sample_wall_s"]
        .as_f64()
        .unwrap_or(f64::NAN);
    println!(
        "median over {} runs: wall {:.3} s (Stan median {stan_wall:.3} s); divergences per run {:?} (Stan {})",
        walls.len(),
        median(walls.clone()),
        divs,
        stan_divergences(model)
    );
    println!(
        "| param | bulk-ESS/s (median) | Stan ESS/s | ratio | ESS per 1000 grads | Stan | nutpie |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut lowest = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    let mut lowest_cpu = f64::INFINITY;
    let mut params = serde_json::Map::new();
    for (k, name) in names.iter().enumerate() {
        let ours = median(ess_s.iter().map(|r| r[k]).collect());
        let ours_cpu = median(ess_cpu.iter().map(|r| r[k]).collect());
        lowest_cpu = lowest_cpu.min(ours_cpu);
        let per_grad = median(ess_per_grad.iter().map(|r| r[k]).collect());
        let mor = &stan[format!("stan_{model}")]["median_over_runs"];
        let stan_ess_s = mor["ess_bulk_per_wall_s"][name]
            .as_f64()
            .unwrap_or(f64::NAN);
        let stan_ess = mor["ess_bulk"][name].as_f64().unwrap_or(f64::NAN);
        let nut_ess = stan[format!("nutpie_{model}")]["params"][name]["ess_bulk"]
            .as_f64()
            .unwrap_or(f64::NAN);
        let stan_pg = 1000.0 * stan_ess / (4000.0 * mean_leapfrog("stan", model));
        let nut_pg = 1000.0 * nut_ess / (4000.0 * mean_leapfrog("nutpie", model));
        lowest.0 = lowest.0.min(ours);
        lowest.1 = lowest.1.min(stan_ess_s);
        lowest.2 = lowest.2.min(per_grad / nut_pg);
        params.insert(
            name.clone(),
            serde_json::json!({ "ess_bulk_per_wall_s": ours, "ess_bulk_per_cpu_s": ours_cpu, "ess_per_1000_grads": per_grad }),
        );
        println!(
            "| {name} | {ours:.0} | {stan_ess_s:.0} | {:.1}x | {per_grad:.1} | {stan_pg:.1} | {nut_pg:.1} |",
            ours / stan_ess_s
        );
    }
    println!(
        "lowest bulk-ESS/s {:.0} vs Stan's lowest {:.0}: {:.1}x | lowest ESS-per-gradient ratio vs nutpie {:.2} | peak RSS so far {:.1} MB",
        lowest.0,
        lowest.1,
        lowest.0 / lowest.1,
        lowest.2,
        peak_rss_mb()
    );
    out["median_over_runs"] = serde_json::json!({
        "n_runs": walls.len(), "wall_s": median(walls.clone()), "cpu_s": median(cpus),
        "lowest_ess_bulk_per_wall_s": lowest.0, "lowest_ess_bulk_per_cpu_s": lowest_cpu,
        "divergences_per_run": divs, "params": params,
    });
    out["peak_rss_mb"] = serde_json::json!(peak_rss_mb());
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut seed = 20261129u64;
    let mut only: Option<String> = None;
    let mut reps = 3usize;
    let mut metric = MetricEstimator::Variance;
    let mut adaptation = Adaptation::Stan;
    let mut uturn = UTurn::Generalized;
    let mut json_path: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--seed" => {
                seed = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(seed);
                i += 1;
            }
            "--reps" => {
                reps = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(reps);
                i += 1;
            }
            "--grad-metric" => metric = MetricEstimator::GradVariance,
            "--adapt" => {
                match args.get(i + 1).map(String::as_str) {
                    Some("stan") => adaptation = Adaptation::Stan,
                    Some("nutpie") => adaptation = Adaptation::Nutpie,
                    other => println!("--adapt takes stan or nutpie, not {other:?}"),
                }
                i += 1;
            }
            "--uturn" => {
                match args.get(i + 1).map(String::as_str) {
                    Some("generalized") => uturn = UTurn::Generalized,
                    Some("displacement") => uturn = UTurn::Displacement,
                    other => println!("--uturn takes generalized or displacement, not {other:?}"),
                }
                i += 1;
            }
            "--json" => {
                json_path = args.get(i + 1).cloned();
                i += 1;
            }
            "--bench" => {}
            a if !a.starts_with('-') => only = Some(a.to_string()),
            _ => {}
        }
        i += 1;
    }
    println!(
        "threads: {} | metric estimator: {metric:?} | adaptation: {adaptation:?} | uturn: {uturn:?}",
        rayon::current_num_threads()
    );
    let mut results = serde_json::Map::new();
    // count_ar1 runs through the MIR's latent AR(1); `count_ar1_hand` (only
    // when named) runs the hand-written density of tests/common instead.
    for model in [
        "continuous",
        "binary",
        "count",
        "count_ar1",
        "count_ar1_hand",
    ] {
        let selected = match only.as_deref() {
            Some(o) => o == model,
            None => model != "count_ar1_hand",
        };
        if !selected {
            continue;
        }
        let r = if model == "count_ar1_hand" {
            run(
                "count_ar1",
                &common::CountAr1::new(),
                seed,
                reps,
                metric,
                adaptation,
                uturn,
            )
        } else {
            match MirDensity::new(common::reference_mir(model)) {
                Ok(d) => run(model, &d, seed, reps, metric, adaptation, uturn),
                Err(e) => {
                    println!("{model}: invalid model: {e}");
                    serde_json::json!({ "model": model, "error": e.to_string() })
                }
            }
        };
        results.insert(model.to_string(), r);
    }
    if let Some(path) = json_path {
        let text =
            serde_json::to_string_pretty(&serde_json::Value::Object(results)).unwrap_or_default();
        match std::fs::write(&path, text) {
            Ok(()) => println!("\nwrote {path}"),
            Err(e) => println!("\ncannot write {path}: {e}"),
        }
    }
}
