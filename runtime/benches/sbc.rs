//! Large simulation-based calibration run (the CI test runs 200 simulations
//! per family; this runs more, default 1000): per family and parameter the
//! chi-square statistic of the 10-bin rank histogram and its p-value.
//!
//! Run: `cargo bench -p trialc-runtime --bench sbc -- [--sims N]`.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

#[path = "../tests/common/mod.rs"]
mod common;

use common::sbc;
use statrs::distribution::{ChiSquared, ContinuousCDF};
use std::time::Instant;
use trialc_runtime::mir::Dist;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sims = args
        .iter()
        .position(|a| a == "--sims")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000usize);
    let chi = ChiSquared::new(9.0).ok();
    let pval = |x: f64| chi.as_ref().map_or(f64::NAN, |c| 1.0 - c.cdf(x));
    println!("SBC: {sims} simulations per family, 24 observations, 1 chain x (200 warmup + 198 draws thinned to 99)");
    println!("| family | parameter | chi2 (9 df) | p-value | histogram |");
    println!("|---|---|---|---|---|");
    let mut min_p: f64 = 1.0;
    let mut n_tests = 0;
    let t = Instant::now();
    for family in sbc::FAMILIES {
        let r = sbc::run(
            family,
            sims,
            24,
            Dist::Normal {
                mu: 0.0,
                sigma: 0.5,
            },
            99,
        );
        for (k, name) in r.names.iter().enumerate() {
            let p = pval(r.chi2[k]);
            min_p = min_p.min(p);
            n_tests += 1;
            println!(
                "| {family} | {name} | {:.1} | {p:.3} | {:?} |",
                r.chi2[k], r.hist[k]
            );
        }
        if r.failed_fits > 0 {
            println!("| {family} | ({} failed fits) | | | |", r.failed_fits);
        }
    }
    let r = sbc::run(
        "normal",
        sims,
        24,
        Dist::Normal {
            mu: 0.8,
            sigma: 0.2,
        },
        99,
    );
    let k = r.names.iter().position(|n| n == "delta").unwrap_or(0);
    println!(
        "| normal, mis-specified prior | delta | {:.1} | {:.2e} | {:?} |",
        r.chi2[k],
        pval(r.chi2[k]),
        r.hist[k]
    );
    println!(
        "smallest p-value over {n_tests} calibrated histograms: {min_p:.4} (Bonferroni 5% threshold {:.4}); {:.1} s",
        0.05 / n_tests as f64,
        t.elapsed().as_secs_f64()
    );
}
