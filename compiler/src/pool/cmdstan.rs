//! The pooled model's draws as CmdStan-format CSV, one file per chain, in
//! the layout of `report::cmdstan` (which cmdstanpy and ArviZ read): the
//! quantities are `mu.k`, `tau.k`, `gamma.k.p`, the shared parameters,
//! `delta.i.k` (person i, effect k), each person's own parameters
//! (`intercept.i`, `cutpoints.i.j`) and `delta_new.k` (a new person's
//! effect), so ArviZ reads `delta` as a people x effects array. The report
//! maps indices to participants and arms. And the files of `--out`.

use std::fmt::Write as _;
use trialc_runtime::posterior::Posterior;

use super::report::{self, PoolReport};
use super::svg;
use crate::analysis::effects::flat_draws;
use crate::evidence;
use crate::hypotheses::HypothesesFile;
use crate::report::cmdstan::{column_name, STAT_COLUMNS};

fn number(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{v}")
    }
}

/// Chain `chain` (0-based) as a CmdStan CSV file; `seed` is the fit's.
pub fn chain_csv(report: &PoolReport, post: &Posterior, chain: usize, seed: u64) -> String {
    let settings = &report.settings;
    let mut s = String::new();
    let model: String = format!("{}_{}_pool", report.trial, report.outcome.name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let lines = [
        "# stan_version_major = 2".to_string(),
        "# stan_version_minor = 36".to_string(),
        "# stan_version_patch = 0".to_string(),
        format!("# model = {model}"),
        "# method = sample (Default)".to_string(),
        "#   sample".to_string(),
        format!("#     num_samples = {}", post.num_draws),
        format!("#     num_warmup = {}", settings.warmup),
        "#     save_warmup = false (Default)".to_string(),
        "#     thin = 1 (Default)".to_string(),
        "#     adapt".to_string(),
        "#       engaged = true (Default)".to_string(),
        format!("#       delta = {}", number(settings.adapt_delta)),
        "#     algorithm = hmc (Default)".to_string(),
        "#       hmc".to_string(),
        "#         engine = nuts (Default)".to_string(),
        "#           nuts".to_string(),
        format!("#             max_depth = {}", settings.max_depth),
        "#         metric = diag_e (Default)".to_string(),
        format!("#     num_chains = {}", post.num_chains),
        format!("# id = {}", chain + 1),
        "# init = 2 (Default)".to_string(),
        "# random".to_string(),
        format!("#   seed = {seed}"),
        "# output".to_string(),
        format!("#   file = draws-{}.csv", chain + 1),
        format!("# trialc_version = {}", env!("CARGO_PKG_VERSION")),
        format!(
            "# trialc_run_seed = {} (the seed above is derived from it)",
            settings.seed
        ),
        "# written by trialc pool in the CmdStan 2.36 CSV layout (not by Stan): lp__ keeps all".to_string(),
        "# normalising constants; no wall times; delta.i.k is participant i's effect k (report.json".to_string(),
        "# names them); delta_new.k is a new person's".to_string(),
    ];
    for line in lines {
        s.push_str(&line);
        s.push('\n');
    }
    let mut columns: Vec<String> = STAT_COLUMNS.iter().map(|c| (*c).to_string()).collect();
    columns.extend(post.names.iter().map(|n| column_name(n)));
    s.push_str(&columns.join(","));
    s.push('\n');
    s.push_str("# Adaptation terminated\n");
    let _ = writeln!(
        s,
        "# Step size = {}",
        number(post.stepsizes.get(chain).copied().unwrap_or(f64::NAN))
    );
    s.push_str("# Diagonal elements of inverse mass matrix:\n");
    let metric: Vec<String> = post
        .inv_metrics
        .get(chain)
        .map(|m| m.iter().map(|v| number(*v)).collect())
        .unwrap_or_default();
    let _ = writeln!(s, "# {}", metric.join(", "));
    let stats = post.stats.get(chain).map_or(&[][..], Vec::as_slice);
    let draws = post
        .iter_draws()
        .skip(chain * post.num_draws)
        .take(post.num_draws);
    for (theta, st) in draws.zip(stats) {
        let mut row = vec![
            number(st.lp),
            number(st.accept_stat),
            number(st.stepsize),
            st.treedepth.to_string(),
            st.n_leapfrog.to_string(),
            u8::from(st.divergent).to_string(),
            number(st.energy),
        ];
        row.extend(theta.iter().map(|v| number(*v)));
        s.push_str(&row.join(","));
        s.push('\n');
    }
    s.push_str("# \n#  Elapsed Time: nan seconds (Warm-up)\n#                nan seconds (Sampling)\n#                nan seconds (Total)\n# \n");
    s
}

/// A file name for an arm (characters a file system takes).
fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The names of the files [`outputs`] writes, known before the fit.
pub fn output_names(arms: &[String], chains: usize, calibration: bool) -> Vec<String> {
    let mut names = vec!["report.json".to_string(), "next-prior.json".to_string()];
    names.extend((1..=chains).map(|c| format!("draws-{c}.csv")));
    for a in arms {
        names.push(format!("forest-{}.svg", safe(a)));
        names.push(format!("predictive-{}.svg", safe(a)));
    }
    if calibration {
        names.push("calibration-pit.svg".to_string());
    }
    names
}

/// Every file of `--out`: `report.json`, the next prior, the draws, the
/// plots.
pub fn outputs(
    report: &PoolReport,
    post: &Posterior,
    next_prior: &HypothesesFile,
    seed: u64,
) -> Vec<(String, String)> {
    let mut files = vec![
        ("report.json".to_string(), report::json(report)),
        ("next-prior.json".to_string(), evidence::to_json(next_prior)),
    ];
    for chain in 0..post.num_chains {
        files.push((
            format!("draws-{}.csv", chain + 1),
            chain_csv(report, post, chain, seed),
        ));
    }
    for (k, e) in report.effects.iter().enumerate() {
        files.push((
            format!("forest-{}.svg", safe(&e.arm)),
            svg::forest(report, e),
        ));
        let draws = post
            .index(&format!("delta_new[{}]", k + 1))
            .map(|i| flat_draws(post, i))
            .unwrap_or_default();
        files.push((
            format!("predictive-{}.svg", safe(&e.arm)),
            svg::predictive(report, e, &draws),
        ));
    }
    if let Some(c) = &report.calibration {
        files.push((
            "calibration-pit.svg".to_string(),
            svg::pit(&c.pit_histogram),
        ));
    }
    files
}
