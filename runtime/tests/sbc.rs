//! Simulation-based calibration per likelihood family, small enough for CI
//! (SBC_SIMS overrides the number of simulations), plus a deliberately
//! mis-specified fit that the same test must flag.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

mod common;

use common::sbc;
use trialc_runtime::mir::Dist;

fn sims() -> usize {
    std::env::var("SBC_SIMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200)
}

#[test]
fn ranks_are_uniform_for_every_family() {
    // Bonferroni over ~30 rank histograms: each must pass at 1e-4.
    let crit = sbc::chi2_9_critical(1e-4);
    let mut report = Vec::new();
    let mut worst: f64 = 0.0;
    for family in sbc::FAMILIES {
        let r = sbc::run(
            family,
            sims(),
            24,
            Dist::Normal {
                mu: 0.0,
                sigma: 0.5,
            },
            2026,
        );
        assert_eq!(r.failed_fits, 0, "{family}: fits failed");
        for (k, name) in r.names.iter().enumerate() {
            report.push(format!(
                "{family}/{name}: chi2 {:.1} {:?}",
                r.chi2[k], r.hist[k]
            ));
            worst = worst.max(r.chi2[k]);
        }
    }
    println!("{}", report.join("\n"));
    assert!(
        worst < crit,
        "a rank histogram is not uniform (critical {crit:.1}):\n{}",
        report.join("\n")
    );
}

#[test]
fn a_misspecified_prior_is_detected() {
    // Data simulated with delta ~ normal(0, 0.5), fitted with normal(0.8, 0.2).
    let r = sbc::run(
        "normal",
        sims(),
        24,
        Dist::Normal {
            mu: 0.8,
            sigma: 0.2,
        },
        7,
    );
    let k = r.names.iter().position(|n| n == "delta").expect("delta");
    let crit = sbc::chi2_9_critical(1e-6);
    assert!(
        r.chi2[k] > crit,
        "mis-specification not detected: chi2 {} {:?}",
        r.chi2[k],
        r.hist[k]
    );
}

#[test]
fn ranks_are_uniform_with_the_gradient_based_metric() {
    // The opt-in Fisher-divergence metric must stay calibrated too.
    let crit = sbc::chi2_9_critical(1e-4);
    for family in ["ar1", "latent"] {
        let r = sbc::run_with(
            family,
            sims(),
            24,
            Dist::Normal {
                mu: 0.0,
                sigma: 0.5,
            },
            2027,
            trialc_runtime::adapt::MetricEstimator::GradVariance,
        );
        assert_eq!(r.failed_fits, 0);
        for (k, name) in r.names.iter().enumerate() {
            assert!(
                r.chi2[k] < crit,
                "{family}/{name}: chi2 {} {:?}",
                r.chi2[k],
                r.hist[k]
            );
        }
    }
}
