//! NUTS end to end: exact posteriors (normal–normal, beta–binomial), thread
//! count independence, failures that must be errors or divergences, never
//! panics.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

mod common;

use trialc_runtime::density::{LogDensity, Transform};
use trialc_runtime::diagnostics::{ess_mean, mcse_mean, summarise};
use trialc_runtime::mir::{Dist, MirDensity};
use trialc_runtime::nuts::{run_chain, sample, Fit, NutsConfig, SampleError};

/// mu ~ normal(m0, s0); y_i ~ normal(mu, s) with s known.
struct NormalNormal {
    m0: f64,
    s0: f64,
    s: f64,
    y: Vec<f64>,
}

impl NormalNormal {
    fn exact(&self) -> (f64, f64) {
        let prec = 1.0 / (self.s0 * self.s0) + self.y.len() as f64 / (self.s * self.s);
        let mean =
            (self.m0 / (self.s0 * self.s0) + self.y.iter().sum::<f64>() / (self.s * self.s)) / prec;
        (mean, prec.sqrt().recip())
    }
}

impl LogDensity for NormalNormal {
    fn dim(&self) -> usize {
        1
    }
    fn logp_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let (lp0, g0) = Dist::Normal {
            mu: self.m0,
            sigma: self.s0,
        }
        .log_density(x[0]);
        let mut lp = lp0;
        g[0] = g0;
        for y in &self.y {
            let (l, d) = Dist::Normal {
                mu: x[0],
                sigma: self.s,
            }
            .log_density(*y);
            lp += l;
            g[0] -= d; // d/dmu of normal(y | mu, s) = -d/dy
        }
        lp
    }
}

/// p ~ beta(a, b); k successes in n; sampled on the logit scale with the
/// Interval(0, 1) transform's Jacobian.
struct BetaBinomial {
    a: f64,
    b: f64,
    k: f64,
    n: f64,
}

impl LogDensity for BetaBinomial {
    fn dim(&self) -> usize {
        1
    }
    fn logp_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let t = Transform::Interval(0.0, 1.0);
        let mut p = [0.0];
        let lj = t.constrain(x, &mut p);
        let (lprior, dprior) = Dist::Beta {
            a: self.a,
            b: self.b,
        }
        .log_density(p[0]);
        let llik = self.k * p[0].ln() + (self.n - self.k) * (-p[0]).ln_1p();
        let dlik = self.k / p[0] - (self.n - self.k) / (1.0 - p[0]);
        t.backprop(x, &p, &[dprior + dlik], g);
        lprior + llik + lj
    }
}

/// MCSE of the sd estimate, through the ESS of squared deviations.
fn sd_and_mcse(x: &[Vec<f64>], mean: f64) -> (f64, f64) {
    let sq: Vec<Vec<f64>> = x
        .iter()
        .map(|c| c.iter().map(|v| (v - mean) * (v - mean)).collect())
        .collect();
    let n: f64 = sq.iter().map(|c| c.len() as f64).sum();
    let var = sq.iter().flatten().sum::<f64>() / n;
    let sd = var.sqrt();
    (sd, mcse_mean(&sq) / (2.0 * sd))
}

fn small_cfg(seed: u64) -> NutsConfig {
    NutsConfig {
        num_warmup: 500,
        num_draws: 1000,
        seed,
        ..NutsConfig::default()
    }
}

fn check_exact(fit: &Fit, f: impl Fn(f64) -> f64, mean: f64, sd: f64) {
    let x: Vec<Vec<f64>> = fit.map_draws(|d| f(d[0]));
    let s = summarise(&x);
    assert!(s.rhat < 1.01, "rhat {}", s.rhat);
    assert!(ess_mean(&x) > 400.0);
    let z = (s.mean - mean) / s.mcse_mean;
    assert!(z.abs() < 4.0, "mean {} vs exact {mean} (z = {z})", s.mean);
    let (sd_hat, mcse_sd) = sd_and_mcse(&x, mean);
    let z = (sd_hat - sd) / mcse_sd;
    assert!(z.abs() < 4.0, "sd {sd_hat} vs exact {sd} (z = {z})");
}

#[test]
fn normal_normal_posterior_is_exact() {
    let d = NormalNormal {
        m0: 1.0,
        s0: 2.0,
        s: 1.5,
        y: vec![0.3, 2.1, -0.4, 1.7, 0.9, 3.2, 0.0, 1.1],
    };
    let (m, s) = d.exact();
    let fit = sample(&d, &small_cfg(11)).expect("sampling runs");
    check_exact(&fit, |v| v, m, s);
}

#[test]
fn beta_binomial_posterior_is_exact() {
    let d = BetaBinomial {
        a: 2.0,
        b: 3.0,
        k: 7.0,
        n: 20.0,
    };
    let (a, b) = (d.a + d.k, d.b + d.n - d.k);
    let mean = a / (a + b);
    let sd = (a * b / ((a + b) * (a + b) * (a + b + 1.0))).sqrt();
    let fit = sample(&d, &small_cfg(12)).expect("sampling runs");
    check_exact(&fit, |v| 1.0 / (1.0 + (-v).exp()), mean, sd);
}

#[test]
fn draws_do_not_depend_on_thread_count() {
    let d = MirDensity::new(common::reference_mir("count")).expect("valid model");
    let cfg = NutsConfig {
        num_warmup: 150,
        num_draws: 100,
        seed: 5,
        ..NutsConfig::default()
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        pool.install(|| sample(&d, &cfg)).expect("sampling runs")
    };
    let one = run(1);
    let two = run(2);
    let bits = |f: &Fit| -> Vec<u64> {
        f.chains
            .iter()
            .flat_map(|c| c.draws.iter().chain(c.stats.iter().map(|s| &s.energy)))
            .map(|v| v.to_bits())
            .collect()
    };
    assert_eq!(bits(&one), bits(&two));
    assert_eq!(one, two);
    // Chains differ from each other (distinct streams).
    assert_ne!(one.chains[0].draws, one.chains[1].draws);
    // A chain run alone equals the same chain inside the parallel run.
    let alone = run_chain(&d, &cfg, 2).expect("chain runs");
    assert_eq!(alone, one.chains[2]);
}

/// Finite only when every coordinate named "bad" is below -10 (never inside
/// the init box).
struct NeverFinite;

impl LogDensity for NeverFinite {
    fn dim(&self) -> usize {
        3
    }
    fn logp_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        g.fill(0.0);
        g[0] = -x[0];
        if x[1] > -10.0 {
            g[1] = f64::NAN;
            return f64::NAN;
        }
        -0.5 * x[0] * x[0]
    }
    fn coordinate_names(&self) -> Vec<String> {
        vec!["alpha".into(), "tau".into(), "gamma".into()]
    }
}

#[test]
fn failed_initialisation_names_the_parameter() {
    let cfg = NutsConfig {
        num_warmup: 10,
        num_draws: 10,
        ..NutsConfig::default()
    };
    match sample(&NeverFinite, &cfg) {
        Err(SampleError::Init {
            attempts, terms, ..
        }) => {
            assert_eq!(attempts, 100);
            assert_eq!(terms, vec!["tau".to_string()]);
        }
        other => panic!("expected an init error, got {other:?}"),
    }
}

/// Standard normal that returns NaN beyond x = 1.5: trajectories that cross
/// the cliff must be flagged divergent, not crash.
struct Cliff;

impl LogDensity for Cliff {
    fn dim(&self) -> usize {
        2
    }
    fn logp_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        if x[0] > 1.5 {
            g.fill(f64::NAN);
            return f64::NAN;
        }
        g[0] = -x[0];
        g[1] = -x[1];
        -0.5 * (x[0] * x[0] + x[1] * x[1])
    }
}

#[test]
fn nan_inside_a_trajectory_is_a_divergence() {
    let cfg = NutsConfig {
        num_warmup: 300,
        num_draws: 500,
        seed: 3,
        init_radius: 1.0,
        ..NutsConfig::default()
    };
    let fit = sample(&Cliff, &cfg).expect("sampling runs");
    let div: usize = fit
        .chains
        .iter()
        .map(|c| c.stats.iter().filter(|s| s.divergent).count())
        .sum();
    assert!(div > 0, "crossing the cliff must be reported as divergent");
    // No draw beyond the cliff.
    assert!(fit
        .chains
        .iter()
        .all(|c| c.draws.chunks(2).all(|d| d[0] <= 1.5)));
    for c in &fit.chains {
        for s in &c.stats {
            assert!(s.lp.is_finite() && s.energy.is_finite());
            assert!(s.treedepth <= 10 && s.n_leapfrog >= 1);
            assert!(s.n_leapfrog < (1u32 << (s.treedepth + 1)));
            assert!((0.0..=1.0).contains(&s.accept_stat));
        }
    }
}

#[test]
fn bad_settings_are_errors() {
    let d = NormalNormal {
        m0: 0.0,
        s0: 1.0,
        s: 1.0,
        y: vec![],
    };
    for cfg in [
        NutsConfig {
            num_chains: 0,
            ..NutsConfig::default()
        },
        NutsConfig {
            target_accept: 1.5,
            ..NutsConfig::default()
        },
        NutsConfig {
            max_depth: 0,
            ..NutsConfig::default()
        },
        NutsConfig {
            init: Some(vec![0.0, 1.0]),
            ..NutsConfig::default()
        },
        NutsConfig {
            init_stepsize: f64::NAN,
            ..NutsConfig::default()
        },
        NutsConfig {
            num_draws: usize::MAX / 2,
            ..NutsConfig::default()
        },
    ] {
        assert!(matches!(sample(&d, &cfg), Err(SampleError::Config(_))));
    }
}

/// Flat density: the step size search must stop with an error, not loop.
struct Flat;

impl LogDensity for Flat {
    fn dim(&self) -> usize {
        1
    }
    fn logp_grad(&self, _x: &[f64], g: &mut [f64]) -> f64 {
        g[0] = 0.0;
        0.0
    }
}

#[test]
fn improper_posterior_is_an_error() {
    let r = sample(
        &Flat,
        &NutsConfig {
            num_warmup: 10,
            num_draws: 10,
            ..NutsConfig::default()
        },
    );
    assert!(matches!(r, Err(SampleError::StepSize { .. })), "{r:?}");
}

/// Neal's funnel (centred): v ~ N(0, 3), x_i ~ N(0, exp(v / 2)). Stan's NUTS
/// reports divergences at the neck; so must we, without failing.
struct Funnel;

impl LogDensity for Funnel {
    fn dim(&self) -> usize {
        10
    }
    fn logp_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let v = x[0];
        let s2 = v.exp(); // variance of each x_i
        let mut lp = -v * v / 18.0;
        g[0] = -v / 9.0;
        for i in 1..10 {
            lp += -0.5 * x[i] * x[i] / s2 - 0.5 * v;
            g[i] = -x[i] / s2;
            g[0] += 0.5 * x[i] * x[i] / s2 - 0.5;
        }
        lp
    }
}

#[test]
fn funnel_divergences_are_reported_not_fatal() {
    let cfg = NutsConfig {
        num_warmup: 500,
        num_draws: 500,
        seed: 8,
        ..NutsConfig::default()
    };
    let fit = sample(&Funnel, &cfg).expect("sampling runs");
    let health: Vec<_> = fit
        .chains
        .iter()
        .map(|c| trialc_runtime::diagnostics::chain_health(&c.stats, 10))
        .collect();
    let div: usize = health.iter().map(|h| h.divergences).sum();
    assert!(div > 0, "the centred funnel must produce divergences");
    let warnings = trialc_runtime::diagnostics::sampler_warnings(&health);
    assert!(
        warnings.iter().any(|w| w.contains("divergent")),
        "{warnings:?}"
    );
    assert!(fit
        .chains
        .iter()
        .all(|c| c.draws.iter().all(|v| v.is_finite())));
}

/// A progress counter sees every iteration of every chain, warmup then
/// sampling, and does not change a single draw.
#[test]
fn a_progress_counter_counts_every_iteration_and_changes_nothing() {
    use std::sync::Arc;
    use trialc_runtime::nuts::ProgressCounter;
    use trialc_runtime::progress::Counter;
    let d = NormalNormal {
        m0: 1.0,
        s0: 2.0,
        s: 1.5,
        y: vec![0.3, 2.1, -0.4, 1.7],
    };
    let plain = small_cfg(5);
    let counter = Arc::new(Counter::new(plain.num_chains, 500, 1000));
    let counted = NutsConfig {
        progress: Some(ProgressCounter(counter.clone())),
        ..plain.clone()
    };
    let a = sample(&d, &plain).expect("sampling runs");
    let b = sample(&d, &counted).expect("sampling runs");
    assert_eq!(a.map_draws(|x| x[0]), b.map_draws(|x| x[0]));
    let s = counter.snapshot();
    assert_eq!(s.total, plain.num_chains as u64 * 1500);
    assert_eq!(s.done, s.total);
    assert_eq!(s.finished, plain.num_chains);
}
