//! The opt-in nutpie-style warmup (`Adaptation::Nutpie`) and the opt-in
//! displacement no-U-turn criterion (`UTurn::Displacement`), alone and
//! together: exact posteriors, the reference models against Stan's
//! posterior summaries, bit-for-bit reproducibility whatever the thread
//! count, and short warmups.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

mod common;

use trialc_runtime::adapt::Adaptation;
use trialc_runtime::density::LogDensity;
use trialc_runtime::diagnostics::{ess_mean, mcse_mean, summarise};
use trialc_runtime::mir::MirDensity;
use trialc_runtime::nuts::{sample, Fit, NutsConfig, UTurn};

/// mu ~ normal(m0, s0); y_i ~ normal(mu, s), s known; plus two independent
/// normal coordinates on very different scales (0.01 and 30), which the
/// adapted metric has to find.
struct Conjugate {
    m0: f64,
    s0: f64,
    s: f64,
    y: Vec<f64>,
}

const SCALES: [f64; 2] = [0.01, 30.0];

impl Conjugate {
    fn exact(&self) -> (f64, f64) {
        let prec = 1.0 / (self.s0 * self.s0) + self.y.len() as f64 / (self.s * self.s);
        let mean =
            (self.m0 / (self.s0 * self.s0) + self.y.iter().sum::<f64>() / (self.s * self.s)) / prec;
        (mean, prec.sqrt().recip())
    }
}

impl LogDensity for Conjugate {
    fn dim(&self) -> usize {
        3
    }
    fn logp_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let z = (x[0] - self.m0) / self.s0;
        let mut lp = -0.5 * z * z;
        g[0] = -z / self.s0;
        for y in &self.y {
            let r = (y - x[0]) / self.s;
            lp -= 0.5 * r * r;
            g[0] += r / self.s;
        }
        for k in 0..2 {
            let z = x[k + 1] / SCALES[k];
            lp -= 0.5 * z * z;
            g[k + 1] = -z / SCALES[k];
        }
        lp
    }
}

fn model() -> Conjugate {
    Conjugate {
        m0: 1.0,
        s0: 2.0,
        s: 1.5,
        y: vec![0.3, 2.1, -0.4, 1.7, 0.9, 3.2, 0.0, 1.1],
    }
}

fn nutpie(seed: u64) -> NutsConfig {
    NutsConfig {
        num_warmup: 500,
        num_draws: 1000,
        seed,
        adaptation: Adaptation::Nutpie,
        keep_warmup_stats: true,
        ..NutsConfig::default()
    }
}

/// Mean and sd of coordinate `k` within 4 MCSE of the exact values.
fn check_exact(fit: &Fit, k: usize, mean: f64, sd: f64) {
    let x = fit.coordinate(k);
    let s = summarise(&x);
    assert!(s.rhat < 1.01, "coordinate {k}: rhat {}", s.rhat);
    assert!(ess_mean(&x) > 400.0, "coordinate {k}: ESS {}", ess_mean(&x));
    let z = (s.mean - mean) / s.mcse_mean;
    assert!(
        z.abs() < 4.0,
        "coordinate {k}: mean {} vs exact {mean} (z = {z})",
        s.mean
    );
    // MCSE of the sd through the ESS of the squared deviations.
    let sq: Vec<Vec<f64>> = x
        .iter()
        .map(|c| c.iter().map(|v| (v - mean) * (v - mean)).collect())
        .collect();
    let n: f64 = sq.iter().map(|c| c.len() as f64).sum();
    let sd_hat = (sq.iter().flatten().sum::<f64>() / n).sqrt();
    let mcse_sd = mcse_mean(&sq) / (2.0 * sd_hat);
    let z = (sd_hat - sd) / mcse_sd;
    assert!(
        z.abs() < 4.0,
        "coordinate {k}: sd {sd_hat} vs exact {sd} (z = {z})"
    );
}

/// The opt-in combinations.
const VARIANTS: [(Adaptation, UTurn); 3] = [
    (Adaptation::Nutpie, UTurn::Generalized),
    (Adaptation::Nutpie, UTurn::Displacement),
    (Adaptation::Stan, UTurn::Displacement),
];

#[test]
fn conjugate_normal_posterior_is_exact() {
    for (adaptation, uturn) in VARIANTS {
        let cfg = NutsConfig {
            adaptation,
            uturn,
            ..nutpie(11)
        };
        check_conjugate(&sample(&model(), &cfg).expect("sampling runs"), adaptation);
    }
}

fn check_conjugate(fit: &Fit, adaptation: Adaptation) {
    let d = model();
    let (m, s) = d.exact();
    check_exact(fit, 0, m, s);
    check_exact(fit, 1, 0.0, SCALES[0]);
    check_exact(fit, 2, 0.0, SCALES[1]);
    if adaptation != Adaptation::Nutpie {
        return;
    }
    for c in &fit.chains {
        // The metric found the scales (variances 1e-4 and 900) within 30%.
        for (k, s) in SCALES.iter().enumerate() {
            let r = c.inv_metric[k + 1] / (s * s);
            assert!((0.7..1.3).contains(&r), "metric {k}: {r}");
        }
        assert!(c.stats.iter().all(|s| !s.divergent));
        // Adapted toward 0.8 (Stan's statistic after warmup).
        let acc = c.stats.iter().map(|s| s.accept_stat).sum::<f64>() / c.stats.len() as f64;
        assert!((0.7..0.95).contains(&acc), "mean accept_stat {acc}");
    }
}

#[test]
fn same_seed_same_draws_for_one_and_two_threads() {
    for (adaptation, uturn) in VARIANTS {
        same_draws(NutsConfig {
            num_warmup: 200,
            num_draws: 100,
            adaptation,
            uturn,
            ..nutpie(5)
        });
    }
}

fn same_draws(cfg: NutsConfig) {
    let d = model();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        pool.install(|| sample(&d, &cfg)).expect("sampling runs")
    };
    let bits = |f: &Fit| -> Vec<u64> {
        f.chains
            .iter()
            .flat_map(|c| {
                c.draws
                    .iter()
                    .chain(c.stats.iter().map(|s| &s.energy))
                    .chain(c.warmup_stats.iter().map(|s| &s.stepsize))
                    .chain(&c.inv_metric)
                    .chain(std::iter::once(&c.stepsize))
            })
            .map(|v| v.to_bits())
            .collect()
    };
    let one = run(1);
    assert_eq!(bits(&one), bits(&run(2)));
    assert_eq!(bits(&one), bits(&run(1)));
    // A different seed gives different draws, and the sampler is not
    // Stan's.
    let other = sample(
        &d,
        &NutsConfig {
            seed: 6,
            ..cfg.clone()
        },
    )
    .expect("sampling runs");
    assert_ne!(bits(&one), bits(&other));
    let stan = sample(
        &d,
        &NutsConfig {
            adaptation: Adaptation::Stan,
            uturn: UTurn::Generalized,
            ..cfg.clone()
        },
    )
    .expect("sampling runs");
    assert_ne!(bits(&one), bits(&stan));
}

#[test]
fn short_warmups_run() {
    let d = model();
    for num_warmup in [0, 1, 2, 3, 9, 10, 11, 19, 20, 45, 150] {
        let cfg = NutsConfig {
            num_chains: 2,
            num_warmup,
            num_draws: 20,
            uturn: if num_warmup % 2 == 0 {
                UTurn::Generalized
            } else {
                UTurn::Displacement
            },
            ..nutpie(3)
        };
        let fit = sample(&d, &cfg).expect("sampling runs");
        for c in &fit.chains {
            assert_eq!(c.warmup_stats.len(), num_warmup);
            assert_eq!(c.stats.len(), 20);
            assert!(
                c.stepsize.is_finite() && c.stepsize > 0.0,
                "{num_warmup}: {}",
                c.stepsize
            );
            assert!(c.stepsize <= std::f64::consts::PI || num_warmup == 0);
            assert!(c.inv_metric.iter().all(|m| m.is_finite() && *m > 0.0));
            if num_warmup == 0 {
                assert!(c.inv_metric.iter().all(|&m| m == 1.0));
            }
        }
    }
    let cfg = NutsConfig {
        num_draws: 0,
        ..nutpie(3)
    };
    let fit = sample(&d, &cfg).expect("sampling runs");
    assert!(fit.chains.iter().all(|c| c.draws.is_empty()));
}

/// The four reference models fitted with the nutpie schedule (with each
/// criterion) agree with Stan's posterior summaries as the default sampler
/// does (`reference_models.rs`: mean within 4 combined MCSE, sd within 10%).
#[test]
fn reference_models_agree_with_stan() {
    for (model, max_divergences, uturn) in [
        ("continuous", 0, UTurn::Generalized),
        ("binary", 0, UTurn::Generalized),
        ("count", 0, UTurn::Generalized),
        ("count_ar1", 20, UTurn::Generalized),
        ("continuous", 0, UTurn::Displacement),
        ("binary", 0, UTurn::Displacement),
        ("count", 0, UTurn::Displacement),
        ("count_ar1", 20, UTurn::Displacement),
    ] {
        let d = MirDensity::new(common::reference_mir(model)).expect("valid model");
        let cfg = NutsConfig {
            seed: 314,
            adaptation: Adaptation::Nutpie,
            uturn,
            ..NutsConfig::default()
        };
        common::assert_agrees_with_stan(model, &d, &cfg, max_divergences);
    }
}
