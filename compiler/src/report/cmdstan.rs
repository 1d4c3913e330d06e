//! Posterior draws as CmdStan-format CSV, one file per chain, so that
//! cmdstanpy (`from_csv`), ArviZ (`from_cmdstan`), `posterior` and
//! `stansummary` read trialc's draws like Stan's (`scripts/python-check.sh`
//! checks this with the real packages).
//!
//! Layout as CmdStan 2.36 writes it: `#` config lines (`model`, `method =
//! sample`, `num_samples`, `num_warmup`, `save_warmup = false`, `thin = 1`,
//! the adaptation settings, `algorithm = hmc`, `engine = nuts`,
//! `max_depth`, `metric = diag_e`, chain `id`, `seed`); the header row
//! `lp__,accept_stat__,stepsize__,treedepth__,n_leapfrog__,divergent__,energy__`
//! then the parameters; the adaptation block (`# Adaptation terminated`,
//! `# Step size = …`, `# Diagonal elements of inverse mass matrix:` and its
//! values); one row per draw; and the timing block that closes the file.
//!
//! After the parameters come the generated quantities, as a Stan program
//! with a `generated quantities` block would write them: `log_lik.1` …
//! `log_lik.N`, each observation's log likelihood at the draw, then
//! `y_rep.1` … `y_rep.N`, a replicated data set from it (N analysed
//! observations; `analysis::predictive`). The `arviz.json` sidecar
//! ([`super::arviz`]) names them and their coordinates for ArviZ.
//!
//! Deliberate differences, also stated in the file's own comments:
//! * Parameter names use CmdStan's `name.index` for vector elements
//!   (`cutpoints.2`, which cmdstanpy reads back as `cutpoints[2]`). The
//!   effects are one vector `effect.1` … `effect.K`, in the order of the
//!   spec's effects (the arm of each is the sidecar's `arm` coordinate), so
//!   that ArviZ reads one variable `effect` with an `arm` dimension. Other
//!   named indices become `name_index` (`covariate[stress]` →
//!   `covariate_stress`), because CmdStan has no named indices and
//!   `covariate.stress` would be read back as a malformed array index.
//! * `lp__` is trialc's log density on the unconstrained scale, Jacobian
//!   included, *with* all normalising constants (Stan drops them), so it
//!   differs from Stan's by a constant.
//! * The adapted diagonal inverse metric is each chain's own (on the
//!   unconstrained scale, one value per unconstrained coordinate, as Stan
//!   writes it); wall times are not recorded (`nan` seconds) so that the
//!   same inputs give byte-identical files.
//! * Values are written in Rust's shortest round-trip form, not CmdStan's six
//!   significant digits, so means computed from the CSV equal the report's.

use std::fmt::Write as _;

use trialc_runtime::posterior::Posterior;

use super::RunSettings;
use crate::analysis::effects::offsets;
use crate::analysis::predictive::Predictive;
use crate::hir;
use crate::lower::{LoweredOutcome, Role};

/// The sampler-diagnostic columns, as CmdStan names them.
pub const STAT_COLUMNS: [&str; 7] = [
    "lp__",
    "accept_stat__",
    "stepsize__",
    "treedepth__",
    "n_leapfrog__",
    "divergent__",
    "energy__",
];

/// The CmdStan column name of a posterior element name (see the module
/// doc); [`chain_csv`] names the effects `effect.K` instead.
pub fn column_name(name: &str) -> String {
    let Some((base, rest)) = name.split_once('[') else {
        return name.to_string();
    };
    let index = rest.trim_end_matches(']');
    let parts: Vec<&str> = index.split(',').map(str::trim).collect();
    if parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        format!("{base}.{}", parts.join("."))
    } else {
        format!("{base}_{}", parts.join("_"))
    }
}

/// The effect parameters of `lowered` in order, with their arms: element k
/// (0-based) is the CSV's `effect.{k+1}` and the `arm` coordinate's k-th
/// value.
pub fn effect_params(lowered: &LoweredOutcome) -> Vec<(usize, usize)> {
    lowered
        .params
        .iter()
        .filter_map(|p| match p.role {
            Role::Effect { arm } => Some((p.id, arm)),
            _ => None,
        })
        .collect()
}

/// The model name written into the CSV (`TRIAL_OUTCOME`).
pub fn model_name(trial_id: &str, outcome: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("{}_{}", clean(trial_id), clean(outcome))
}

/// A float as written in the CSV: shortest round-trip decimal; `nan`/`inf`
/// spelled as numpy and pandas read them.
fn number(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        format!("{v}")
    }
}

/// [`number`] appended to `s`.
fn push_number(s: &mut String, v: f64) {
    if v.is_finite() {
        let _ = write!(s, "{v}");
    } else {
        s.push_str(&number(v));
    }
}

/// Chain `chain` (0-based) of one outcome's fit as a CmdStan CSV file,
/// with `log_lik` and `y_rep` columns from `predictive` when it has them.
pub fn chain_csv(
    trial_id: &str,
    outcome: &hir::Outcome,
    lowered: &LoweredOutcome,
    post: &Posterior,
    chain: usize,
    settings: &RunSettings,
    predictive: Option<&Predictive>,
) -> String {
    let mut s = String::new();
    let model = model_name(trial_id, &outcome.name);
    // Config block: CmdStan's nesting and key names, which both readers parse.
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
        "#       gamma = 0.05 (Default)".to_string(),
        if settings.adapt_delta == 0.8 {
            "#       delta = 0.8 (Default)".to_string()
        } else {
            format!("#       delta = {}", number(settings.adapt_delta))
        },
        "#       kappa = 0.75 (Default)".to_string(),
        "#       t0 = 10 (Default)".to_string(),
        "#       init_buffer = 75 (Default)".to_string(),
        "#       term_buffer = 50 (Default)".to_string(),
        "#       window = 25 (Default)".to_string(),
        "#     algorithm = hmc (Default)".to_string(),
        "#       hmc".to_string(),
        "#         engine = nuts (Default)".to_string(),
        "#           nuts".to_string(),
        format!("#             max_depth = {}", settings.max_depth),
        "#         metric = diag_e (Default)".to_string(),
        "#         stepsize = 1 (Default)".to_string(),
        "#         stepsize_jitter = 0 (Default)".to_string(),
        format!("#     num_chains = {}", post.num_chains),
        format!("# id = {}", chain + 1),
        if post.init == trialc_runtime::posterior::Init::Map {
            "# init = map".to_string()
        } else {
            "# init = 2 (Default)".to_string()
        },
        "# random".to_string(),
        format!(
            "#   seed = {}",
            crate::fit::outcome_seed(settings.seed, lowered.outcome)
        ),
        "# output".to_string(),
        format!("#   file = {}-{}.csv", outcome.name, chain + 1),
        "#   sig_figs = -1 (Default)".to_string(),
        format!("# trialc_version = {}", env!("CARGO_PKG_VERSION")),
        match settings.adapt {
            super::Adapt::Stan => {
                "# trialc_adapt = stan (the adapt settings above are the ones used)".to_string()
            }
            super::Adapt::Nutpie => "# trialc_adapt = nutpie (nutpie's warmup and the displacement U-turn criterion, not the adapt windows above)".to_string(),
        },
        format!(
            "# trialc_run_seed = {} (the outcome's seed above is derived from it)",
            settings.seed
        ),
        "# written by trialc in the CmdStan 2.36 CSV layout (not by Stan): lp__ keeps all"
            .to_string(),
        "# normalising constants; no wall times; effect.K is the K-th arm of arviz.json;"
            .to_string(),
        "# log_lik and y_rep are generated quantities (docs/report.md)".to_string(),
    ];
    for line in lines {
        s.push_str(&line);
        s.push('\n');
    }

    // Header: stats, then every element of every parameter in model order.
    let mut columns: Vec<String> = STAT_COLUMNS.iter().map(|c| (*c).to_string()).collect();
    let mut elements = Vec::new();
    let offs = offsets(lowered);
    let effects = effect_params(lowered);
    for (id, (p, &o)) in lowered.model.params.iter().zip(&offs).enumerate() {
        let effect = effects.iter().position(|(e, _)| *e == id);
        for k in o..o + p.size {
            if let Some(name) = post.names.get(k) {
                columns.push(match effect {
                    Some(e) => format!("effect.{}", e + 1),
                    None => column_name(name),
                });
                elements.push(k);
            }
        }
    }
    let generated = predictive.and_then(|p| Some((p.pointwise_log_lik()?, p.replicates()?)));
    if let Some((ll, _)) = generated {
        let n = ll.observations();
        columns.extend((1..=n).map(|i| format!("log_lik.{i}")));
        columns.extend((1..=n).map(|i| format!("y_rep.{i}")));
    }
    s.push_str(&columns.join(","));
    s.push('\n');

    s.push_str("# Adaptation terminated\n");
    let _ = writeln!(
        s,
        "# Step size = {}",
        number(post.stepsizes.get(chain).copied().unwrap_or(f64::NAN))
    );
    s.push_str("# Diagonal elements of inverse mass matrix:\n");
    let metric: Vec<String> = match post.inv_metrics.get(chain) {
        Some(m) if !m.is_empty() => m.iter().map(|v| number(*v)).collect(),
        _ => vec!["nan".to_string(); post.names.len().max(1)],
    };
    let _ = writeln!(s, "# {}", metric.join(", "));

    let draws: Vec<&[f64]> = post
        .iter_draws()
        .skip(chain * post.num_draws)
        .take(post.num_draws)
        .collect();
    let stats = post.stats.get(chain).map_or(&[][..], Vec::as_slice);
    for (i, (theta, st)) in draws.iter().zip(stats).enumerate() {
        let mut row = vec![
            number(st.lp),
            number(st.accept_stat),
            number(st.stepsize),
            st.treedepth.to_string(),
            st.n_leapfrog.to_string(),
            u8::from(st.divergent).to_string(),
            number(st.energy),
        ];
        row.extend(
            elements
                .iter()
                .map(|&k| number(theta.get(k).copied().unwrap_or(f64::NAN))),
        );
        s.push_str(&row.join(","));
        // The generated quantities are most of the row's cells: written in
        // place, without a string per value.
        if let Some((ll, rep)) = generated {
            let r = chain * post.num_draws + i;
            for &v in ll.row(r).iter().chain(rep.row(r)) {
                s.push(',');
                push_number(&mut s, v);
            }
        }
        s.push('\n');
    }

    s.push_str("# \n");
    s.push_str("#  Elapsed Time: nan seconds (Warm-up)\n");
    s.push_str("#                nan seconds (Sampling)\n");
    s.push_str("#                nan seconds (Total)\n");
    s.push_str("# \n");
    s
}
