//! The four Stan reference models fitted on their data (4 chains x (1000 +
//! 1000), Stan's defaults): posterior means within 4 combined MCSE of Stan's
//! stored means and sds within 10% (fixtures/stan_summary.json).
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

mod common;

use trialc_runtime::density::LogDensity;
use trialc_runtime::mir::MirDensity;
use trialc_runtime::nuts::NutsConfig;

fn check<D: LogDensity>(model: &str, d: &D, max_divergences: usize) {
    let cfg = NutsConfig {
        seed: 314,
        ..NutsConfig::default()
    };
    common::assert_agrees_with_stan(model, d, &cfg, max_divergences);
}

#[test]
fn continuous_agrees_with_stan() {
    check(
        "continuous",
        &MirDensity::new(common::reference_mir("continuous")).expect("valid model"),
        0,
    );
}

#[test]
fn binary_agrees_with_stan() {
    check(
        "binary",
        &MirDensity::new(common::reference_mir("binary")).expect("valid model"),
        0,
    );
}

#[test]
fn count_agrees_with_stan() {
    check(
        "count",
        &MirDensity::new(common::reference_mir("count")).expect("valid model"),
        0,
    );
}

#[test]
fn count_ar1_agrees_with_stan() {
    // Through the MIR's latent AR(1). Stan itself reports a few divergences
    // on this posterior (2 in 4000).
    let d = MirDensity::new(common::reference_mir("count_ar1")).expect("valid model");
    check("count_ar1", &d, 20);
}
