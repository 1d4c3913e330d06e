//! Our NUTS against nuts-rs (the Rust sampler behind nutpie) on the SAME log
//! density: the four reference models' `MirDensity`, wrapped in nuts-rs's
//! `CpuLogpFunc`. 4 chains x (1000 warmup + 1000 draws) each, nuts-rs with its
//! default `DiagNutsSettings` (only `num_tune` / `num_draws` set to 1000;
//! its default is 400 warmup), ours with Stan's adaptation (default), with
//! the opt-in Fisher-divergence metric (`MetricEstimator::GradVariance`) and
//! with the opt-in nutpie-style warmup schedule (`Adaptation::Nutpie`).
//! ESS is computed by our `diagnostics` module for all three, on the same
//! constrained quantities as `benches/reference.rs`; ESS per 1000 gradients
//! divides bulk-ESS by the post-warmup leapfrog steps (as `reference.rs`
//! does), the "incl. warmup" column by every gradient evaluation.
//!
//! Dev-only: `cargo bench -p trialc-runtime --features nuts-rs-comparison
//! --bench nuts_rs [-- MODEL --reps N --seed S]` (default: all four models,
//! 3 seeds, medians reported; `--ablation` adds nuts-rs with Stan's
//! variance estimator, nuts-rs without step-size jitter, and ours with
//! `target_accept` = `--ours-accept X`, default 0.7, nuts-rs with
//! `target_accept` = `--nuts-rs-accept X`, default 0.9, and ours with
//! Stan's adaptation but a final step-size window of 150 draws).
//! "mean accept_stat" is the post-warmup mean of Stan's statistic
//! (mean over the trajectory of min(1, e^-dH)); for nuts-rs its
//! `mean_tree_accept`, the same quantity.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

#[path = "../tests/common/mod.rs"]
mod common;

use nuts_rs::rand::rngs::ChaCha8Rng;
use nuts_rs::rand::SeedableRng;
use nuts_rs::{
    Chain as _, CpuLogpFunc, CpuMath, CpuMathError, DiagNutsSettings, LogpError, Settings,
};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use trialc_runtime::adapt::{Adaptation, MetricEstimator};
use trialc_runtime::density::LogDensity;
use trialc_runtime::diagnostics::ess_bulk;
use trialc_runtime::mir::MirDensity;
use trialc_runtime::nuts::{sample, Chain, Fit, NutsConfig, SampleStats, UTurn};

/// A non-finite log density or gradient: nuts-rs treats a recoverable error
/// as a divergence, as our sampler treats a non-finite value.
#[derive(Debug)]
struct NonFinite;

impl std::fmt::Display for NonFinite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "non-finite log density or gradient")
    }
}

impl std::error::Error for NonFinite {}

impl LogpError for NonFinite {
    fn is_recoverable(&self) -> bool {
        true
    }
}

/// Our density seen through nuts-rs's trait; counts evaluations.
struct Wrapped<'a, D: LogDensity> {
    d: &'a D,
    evals: &'a AtomicU64,
}

impl<D: LogDensity> nuts_rs::HasDims for Wrapped<'_, D> {
    fn dim_sizes(&self) -> HashMap<String, u64> {
        HashMap::from([("unconstrained_parameter".to_string(), self.d.dim() as u64)])
    }
}

impl<D: LogDensity> CpuLogpFunc for Wrapped<'_, D> {
    type LogpError = NonFinite;
    type FlowParameters = ();
    type ExpandedVector = Vec<f64>;

    fn dim(&self) -> usize {
        self.d.dim()
    }

    fn logp(&mut self, x: &[f64], grad: &mut [f64]) -> Result<f64, NonFinite> {
        self.evals.fetch_add(1, Ordering::Relaxed);
        let lp = self.d.logp_grad(x, grad);
        if lp.is_finite() && grad.iter().all(|g| g.is_finite()) {
            Ok(lp)
        } else {
            Err(NonFinite)
        }
    }

    fn expand_vector<R: nuts_rs::rand::Rng + ?Sized>(
        &mut self,
        _rng: &mut R,
        x: &[f64],
    ) -> Result<Vec<f64>, CpuMathError> {
        Ok(x.to_vec())
    }
}

/// splitmix64, for the uniform(-2, 2) initial values of the nuts-rs chains.
fn splitmix(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// One nuts-rs chain; returns it in our `Chain` layout so the same
/// diagnostics code reads both.
fn nuts_rs_chain<D: LogDensity>(
    d: &D,
    seed: u64,
    chain: u64,
    variant: NutsRsVariant,
) -> Result<(Chain, u64), String> {
    let mut settings = DiagNutsSettings::default();
    match variant {
        NutsRsVariant::Default => {}
        NutsRsVariant::VarianceMetric => {
            settings
                .adapt_options
                .mass_matrix_options
                .use_grad_based_estimate = false
        }
        NutsRsVariant::NoJitter => settings.adapt_options.step_size_settings.jitter = None,
        NutsRsVariant::TargetAccept(t) => {
            settings.adapt_options.step_size_settings.target_accept = t
        }
    }
    settings.num_tune = 1000;
    settings.num_draws = 1000;
    settings.num_chains = 4;
    settings.seed = seed;
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1000).wrapping_add(chain));
    let evals = AtomicU64::new(0);
    let math = CpuMath::new(Wrapped { d, evals: &evals });
    let mut sampler = settings
        .new_chain(chain, math, &mut rng)
        .map_err(|e| format!("new_chain: {e}"))?;
    let mut state = seed ^ (chain << 32) ^ 0x5EED;
    let mut ok = false;
    for _ in 0..100 {
        let init: Vec<f64> = (0..d.dim())
            .map(|_| 4.0 * splitmix(&mut state) - 2.0)
            .collect();
        let mut g = vec![0.0; d.dim()];
        if d.logp_grad(&init, &mut g).is_finite() && sampler.set_position(&init).is_ok() {
            ok = true;
            break;
        }
    }
    if !ok {
        return Err("no finite initial point".into());
    }
    let total = settings.num_tune + settings.num_draws;
    let mut draws = Vec::with_capacity(1000 * d.dim());
    let mut stats = Vec::with_capacity(1000);
    let mut warmup_stats = Vec::new();
    let mut stepsize = f64::NAN;
    let mut tree_steps = 0u64;
    for _ in 0..total {
        let before = evals.load(Ordering::Relaxed);
        let (x, _, st, p) = sampler.expanded_draw().map_err(|e| format!("draw: {e}"))?;
        // Every log-density evaluation of this draw: nuts-rs's `num_steps`
        // counts only the leapfrog steps of the subtrees merged into the
        // trajectory, not those of a subtree abandoned at an inner U-turn
        // or divergence (ours and Stan's `n_leapfrog` count them all).
        let grads = evals.load(Ordering::Relaxed) - before;
        let s = SampleStats {
            lp: f64::NAN,
            accept_stat: st.adapt.step_size.mean_tree_accept,
            stepsize: p.step_size,
            treedepth: 0,
            n_leapfrog: grads as u32,
            divergent: p.diverging,
            energy: f64::NAN,
        };
        if p.tuning {
            warmup_stats.push(s);
        } else {
            draws.extend_from_slice(&x);
            stats.push(s);
            stepsize = p.step_size;
            tree_steps += p.num_steps;
        }
    }
    drop(sampler);
    let n_grad_evals = evals.load(Ordering::Relaxed);
    Ok((
        Chain {
            draws,
            stats,
            warmup_stats,
            stepsize,
            inv_metric: Vec::new(),
            n_grad_evals,
        },
        tree_steps,
    ))
}

/// nuts-rs settings compared (`--ablation` adds all but `Default`).
#[derive(Debug, Clone, Copy)]
enum NutsRsVariant {
    Default,
    /// `target_accept` raised (`--nuts-rs-accept X`, default 0.9), to see
    /// whether nuts-rs at our step size needs as many gradients as we do.
    TargetAccept(f64),
    /// `use_grad_based_estimate = false`: windowed sample variance, as Stan.
    VarianceMetric,
    /// no +-10% step-size jitter.
    NoJitter,
}

/// The fit and nuts-rs's own count of post-warmup leapfrog steps
/// (`num_steps`, summed over chains).
fn nuts_rs_fit<D: LogDensity>(
    d: &D,
    seed: u64,
    variant: NutsRsVariant,
) -> Result<(Fit, u64), String> {
    let out = (0..4u64)
        .into_par_iter()
        .map(|c| nuts_rs_chain(d, seed, c, variant))
        .collect::<Result<Vec<_>, _>>()?;
    let steps = out.iter().map(|(_, s)| s).sum();
    Ok((
        Fit {
            dim: d.dim(),
            names: d.coordinate_names(),
            chains: out.into_iter().map(|(c, _)| c).collect(),
        },
        steps,
    ))
}

/// What one fit yields.
struct Row {
    wall: f64,
    /// per reference parameter: bulk-ESS per 1000 post-warmup leapfrog steps
    per_grad: Vec<f64>,
    /// min bulk-ESS per 1000 post-warmup leapfrog steps over all unconstrained coordinates
    min_coord_per_grad: f64,
    /// min reference-parameter bulk-ESS per 1000 gradient evaluations, warmup included
    min_per_all_grads: f64,
    min_ess: f64,
    leapfrog: f64,
    /// mean post-warmup step size (nuts-rs: jittered)
    stepsize: f64,
    /// mean post-warmup acceptance statistic
    accept: f64,
    /// nuts-rs only: its `num_steps` per draw (leapfrog steps of the merged
    /// trajectory, fewer than the gradients it evaluates)
    tree_steps: Option<f64>,
    divergences: usize,
    warmup_divergences: usize,
}

fn measure(model: &str, fit: &Fit, wall: f64) -> Row {
    let post: f64 = fit
        .chains
        .iter()
        .flat_map(|c| c.stats.iter())
        .map(|s| s.n_leapfrog as f64)
        .sum();
    let draws = common::reference_draws(model, fit);
    let ess: Vec<f64> = draws.iter().map(|(_, x)| ess_bulk(x)).collect();
    let min_ess = ess.iter().copied().fold(f64::INFINITY, f64::min);
    let min_coord = (0..fit.dim)
        .map(|k| ess_bulk(&fit.coordinate(k)))
        .fold(f64::INFINITY, f64::min);
    Row {
        wall,
        per_grad: ess.iter().map(|e| 1000.0 * e / post).collect(),
        min_coord_per_grad: 1000.0 * min_coord / post,
        min_per_all_grads: 1000.0 * min_ess / fit.total_grad_evals() as f64,
        min_ess,
        leapfrog: post / fit.chains.iter().map(|c| c.stats.len()).sum::<usize>() as f64,
        stepsize: fit
            .chains
            .iter()
            .flat_map(|c| c.stats.iter())
            .map(|s| s.stepsize)
            .sum::<f64>()
            / fit.chains.iter().map(|c| c.stats.len()).sum::<usize>() as f64,
        tree_steps: None,
        accept: fit
            .chains
            .iter()
            .flat_map(|c| c.stats.iter())
            .map(|s| s.accept_stat)
            .sum::<f64>()
            / fit.chains.iter().map(|c| c.stats.len()).sum::<usize>() as f64,
        divergences: fit
            .chains
            .iter()
            .flat_map(|c| c.stats.iter())
            .filter(|s| s.divergent)
            .count(),
        warmup_divergences: fit
            .chains
            .iter()
            .flat_map(|c| c.warmup_stats.iter())
            .filter(|s| s.divergent)
            .count(),
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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut seed = 20261129u64;
    let mut reps = 3usize;
    let mut only: Option<String> = None;
    let mut ablation = false;
    let mut ours_accept = 0.7f64;
    let mut nuts_rs_accept = 0.9f64;
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
            "--bench" => {}
            "--ablation" => ablation = true,
            "--ours-accept" => {
                ours_accept = args
                    .get(i + 1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(ours_accept);
                i += 1;
            }
            "--nuts-rs-accept" => {
                nuts_rs_accept = args
                    .get(i + 1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(nuts_rs_accept);
                i += 1;
            }
            a if !a.starts_with('-') => only = Some(a.to_string()),
            _ => {}
        }
        i += 1;
    }
    let reps = reps.max(1);
    println!(
        "threads: {} | nuts-rs 0.19.1 DiagNutsSettings::default() with num_tune = num_draws = 1000 | seeds {seed}..{}",
        rayon::current_num_threads(),
        seed + reps as u64 - 1
    );
    let mut summary = Vec::new();
    for model in ["continuous", "binary", "count", "count_ar1"] {
        if only.as_deref().is_some_and(|o| o != model) {
            continue;
        }
        let d = match MirDensity::new(common::reference_mir(model)) {
            Ok(d) => d,
            Err(e) => {
                println!("{model}: invalid model: {e}");
                continue;
            }
        };
        let mut engines = vec![
            Engine::NutsRs(NutsRsVariant::Default),
            Engine::Ours(Ours::Stan),
            Engine::Ours(Ours::GradMetric),
            Engine::Ours(Ours::Nutpie),
            Engine::Ours(Ours::NutpieDisplacement),
        ];
        if ablation {
            engines.push(Engine::NutsRs(NutsRsVariant::VarianceMetric));
            engines.push(Engine::NutsRs(NutsRsVariant::NoJitter));
            engines.push(Engine::Ours(Ours::TargetAccept(ours_accept)));
            engines.push(Engine::NutsRs(NutsRsVariant::TargetAccept(nuts_rs_accept)));
            engines.push(Engine::Ours(Ours::StanLongTerm));
            engines.push(Engine::Ours(Ours::StanDisplacement));
        }
        let mut rows: Vec<Vec<Row>> = engines.iter().map(|_| Vec::new()).collect();
        let mut names = Vec::new();
        for rep in 0..reps {
            let s = seed + rep as u64;
            for (e, out) in rows.iter_mut().enumerate() {
                let t = Instant::now();
                let mut tree_steps = None;
                let fit = match engines[e] {
                    Engine::NutsRs(variant) => nuts_rs_fit(&d, s, variant).map(|(f, st)| {
                        tree_steps = Some(
                            st as f64
                                / f.chains.iter().map(|c| c.stats.len()).sum::<usize>() as f64,
                        );
                        f
                    }),
                    Engine::Ours(ours) => {
                        let mut cfg = NutsConfig {
                            seed: s,
                            keep_warmup_stats: true,
                            ..NutsConfig::default()
                        };
                        match ours {
                            Ours::Stan => {}
                            Ours::GradMetric => cfg.metric = MetricEstimator::GradVariance,
                            Ours::Nutpie => cfg.adaptation = Adaptation::Nutpie,
                            Ours::TargetAccept(t) => cfg.target_accept = t,
                            Ours::StanLongTerm => cfg.term_buffer = 150,
                            Ours::NutpieDisplacement => {
                                cfg.adaptation = Adaptation::Nutpie;
                                cfg.uturn = UTurn::Displacement;
                            }
                            Ours::StanDisplacement => cfg.uturn = UTurn::Displacement,
                        }
                        sample(&d, &cfg).map_err(|err| err.to_string())
                    }
                };
                let wall = t.elapsed().as_secs_f64();
                match fit {
                    Ok(f) => {
                        if names.is_empty() {
                            names = common::reference_draws(model, &f)
                                .into_iter()
                                .map(|(n, _)| n)
                                .collect();
                        }
                        let mut row = measure(model, &f, wall);
                        row.tree_steps = tree_steps;
                        out.push(row);
                    }
                    Err(err) => println!("{model} {} seed {s}: failed: {err}", engines[e].label()),
                }
            }
        }
        println!("\n## {model} (dim {}), medians over {reps} seeds", d.dim());
        println!(
            "| engine | wall s | mean step size | mean accept_stat | mean leapfrog (gradients per draw) | nuts-rs num_steps per draw | divergences (post / warmup, per run) | min bulk-ESS (per draw) | {} | min over params | min over all {} coords | min per 1000 grads incl. warmup |",
            names
                .iter()
                .map(|n| format!("{n} ESS/1000 grads"))
                .collect::<Vec<_>>()
                .join(" | "),
            d.dim()
        );
        println!(
            "|---|---|---|---|---|---|---|---|{}---|---|---|",
            "---|".repeat(names.len())
        );
        let mut mins = Vec::new();
        for (e, r) in rows.iter().enumerate() {
            let per: Vec<f64> = (0..names.len())
                .map(|k| median(r.iter().map(|x| x.per_grad[k]).collect()))
                .collect();
            let min_param = median(
                r.iter()
                    .map(|x| x.per_grad.iter().copied().fold(f64::INFINITY, f64::min))
                    .collect(),
            );
            let min_coord = median(r.iter().map(|x| x.min_coord_per_grad).collect());
            mins.push((min_param, min_coord));
            println!(
                "| {} | {:.3} | {:.3} | {:.3} | {:.2} | {} | {} | {:.0} ({:.2}) | {} | {:.1} | {:.1} | {:.1} |",
                engines[e].label(),
                median(r.iter().map(|x| x.wall).collect()),
                median(r.iter().map(|x| x.stepsize).collect()),
                median(r.iter().map(|x| x.accept).collect()),
                median(r.iter().map(|x| x.leapfrog).collect()),
                if r.iter().all(|x| x.tree_steps.is_some()) && !r.is_empty() {
                    format!(
                        "{:.2}",
                        median(r.iter().filter_map(|x| x.tree_steps).collect())
                    )
                } else {
                    "".into()
                },
                r.iter()
                    .map(|x| format!("{}/{}", x.divergences, x.warmup_divergences))
                    .collect::<Vec<_>>()
                    .join(", "),
                median(r.iter().map(|x| x.min_ess).collect()),
                median(r.iter().map(|x| x.min_ess).collect()) / 4000.0,
                per.iter()
                    .map(|v| format!("{v:.1}"))
                    .collect::<Vec<_>>()
                    .join(" | "),
                min_param,
                min_coord,
                median(r.iter().map(|x| x.min_per_all_grads).collect()),
            );
        }
        summary.push((model, mins));
    }
    println!("\n## ratio of min ESS per 1000 post-warmup gradients, ours / nuts-rs (>= 1 meets the target)");
    println!("| model | Stan adaptation (params) | --grad-metric (params) | --adapt nutpie (params) | --adapt nutpie --uturn displacement (params) | Stan adaptation (all coords) | --grad-metric (all coords) | --adapt nutpie (all coords) | --adapt nutpie --uturn displacement (all coords) |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (model, m) in summary {
        if m.len() >= 5 {
            let r = |e: usize, k: usize| {
                let (a, b) = (m[e], m[0]);
                if k == 0 {
                    a.0 / b.0
                } else {
                    a.1 / b.1
                }
            };
            println!(
                "| {model} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
                r(1, 0),
                r(2, 0),
                r(3, 0),
                r(4, 0),
                r(1, 1),
                r(2, 1),
                r(3, 1),
                r(4, 1)
            );
        }
    }
}

/// One row of the tables.
#[derive(Debug, Clone, Copy)]
enum Engine {
    NutsRs(NutsRsVariant),
    Ours(Ours),
}

/// Our sampler's settings compared.
#[derive(Debug, Clone, Copy)]
enum Ours {
    /// `NutsConfig::default()`: Stan's warmup.
    Stan,
    /// `metric = MetricEstimator::GradVariance` (Stan's windows).
    GradMetric,
    /// `adaptation = Adaptation::Nutpie`.
    Nutpie,
    /// Stan's warmup with `target_accept` from `--ours-accept`.
    TargetAccept(f64),
    /// Stan's warmup with a 150-draw final step-size window (`term_buffer`).
    StanLongTerm,
    /// `adaptation = Adaptation::Nutpie`, `uturn = UTurn::Displacement`.
    NutpieDisplacement,
    /// Stan's warmup, `uturn = UTurn::Displacement`.
    StanDisplacement,
}

impl Engine {
    fn label(&self) -> String {
        match self {
            Engine::NutsRs(NutsRsVariant::Default) => "nuts-rs".into(),
            Engine::NutsRs(NutsRsVariant::VarianceMetric) => {
                "nuts-rs, variance metric (use_grad_based_estimate = false)".into()
            }
            Engine::NutsRs(NutsRsVariant::NoJitter) => "nuts-rs, no step-size jitter".into(),
            Engine::NutsRs(NutsRsVariant::TargetAccept(t)) => {
                format!("nuts-rs, target_accept {t}")
            }
            Engine::Ours(Ours::Stan) => "ours (Stan adaptation)".into(),
            Engine::Ours(Ours::GradMetric) => "ours --grad-metric".into(),
            Engine::Ours(Ours::Nutpie) => "ours --adapt nutpie".into(),
            Engine::Ours(Ours::TargetAccept(t)) => {
                format!("ours (Stan adaptation), target_accept {t}")
            }
            Engine::Ours(Ours::StanLongTerm) => "ours (Stan adaptation), term_buffer 150".into(),
            Engine::Ours(Ours::NutpieDisplacement) => {
                "ours --adapt nutpie --uturn displacement".into()
            }
            Engine::Ours(Ours::StanDisplacement) => {
                "ours (Stan adaptation), --uturn displacement".into()
            }
        }
    }
}
