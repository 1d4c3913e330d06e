//! The `arviz.json` sidecar of `--out`: for each outcome fitted with NUTS,
//! the arguments of `arviz.from_cmdstan` that turn its CmdStan CSVs into an
//! InferenceData with the effects as one variable over an `arm` dimension,
//! the pointwise log likelihood in the `log_likelihood` group (so that
//! `az.loo` works) and the replicates in `posterior_predictive` against
//! `observed_data` (so that `az.plot_ppc` works). docs/report.md shows the
//! call; `scripts/python_check.py` makes it with the real ArviZ.
//!
//! The observed outcome is written per outcome as CmdStan JSON data
//! (`OUTCOME-observed.json`, `{"y": [...]}`), which `from_cmdstan` reads
//! as `observed_data`.

use serde::Serialize;
use std::collections::BTreeMap;
use trialc_runtime::posterior::Posterior;

use super::cmdstan::effect_params;
use crate::analysis::predictive::Predictive;
use crate::hir;
use crate::lower::LoweredOutcome;

/// The sidecar's file name.
pub const FILE: &str = "arviz.json";

/// Its `format` field.
pub const FORMAT: &str = "trialc-arviz/1";

/// The observed data file of outcome `name`.
pub fn observed_file(name: &str) -> String {
    format!("{name}-observed.json")
}

#[derive(Serialize)]
struct Sidecar<'a> {
    format: &'static str,
    outcomes: Vec<OutcomeEntry<'a>>,
}

/// One outcome: `from_cmdstan(posterior=…, posterior_predictive=…,
/// log_likelihood=…, observed_data=…, coords=…, dims=…)`, file names
/// relative to the `--out` folder.
#[derive(Serialize)]
struct OutcomeEntry<'a> {
    name: &'a str,
    posterior: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    posterior_predictive: Option<&'static str>,
    log_likelihood: BTreeMap<&'static str, &'static str>,
    observed_data: String,
    coords: Coords,
    dims: BTreeMap<&'static str, Vec<&'static str>>,
}

#[derive(Serialize)]
struct Coords {
    /// The arm of each effect, in the CSV's `effect.K` order.
    arm: Vec<String>,
    /// The time of each analysed observation on the model's clock (trial
    /// days unless the outcome has a clock).
    obs: Vec<i64>,
}

/// The sidecar for the NUTS fits `fits` (spec order).
pub fn sidecar(
    spec: &hir::Spec,
    fits: &[&(LoweredOutcome, Posterior)],
    predictive: &[Predictive],
) -> String {
    let outcomes = fits
        .iter()
        .filter_map(|(lowered, post)| {
            let name = spec.outcomes.get(lowered.outcome)?.name.as_str();
            let pred = predictive.iter().find(|p| p.outcome == lowered.outcome);
            let has_generated = pred.is_some_and(|p| p.pointwise_log_lik().is_some());
            let mut dims = BTreeMap::new();
            dims.insert("effect", vec!["arm"]);
            dims.insert("y", vec!["obs"]);
            let mut log_likelihood = BTreeMap::new();
            if has_generated {
                dims.insert("log_lik", vec!["obs"]);
                dims.insert("y_rep", vec!["obs"]);
                log_likelihood.insert("y", "log_lik");
            }
            Some(OutcomeEntry {
                name,
                posterior: (1..=post.num_chains)
                    .map(|c| format!("{name}-{c}.csv"))
                    .collect(),
                posterior_predictive: has_generated.then_some("y_rep"),
                log_likelihood,
                observed_data: observed_file(name),
                coords: Coords {
                    arm: effect_params(lowered)
                        .into_iter()
                        .map(|(_, arm)| {
                            spec.arms
                                .get(arm)
                                .map_or_else(|| format!("#{arm}"), |a| a.name.clone())
                        })
                        .collect(),
                    obs: times(lowered),
                },
                dims,
            })
        })
        .collect();
    to_json(&Sidecar {
        format: FORMAT,
        outcomes,
    })
}

/// The observation times of an outcome: the model's clock, or 1..=N when
/// the model has none.
fn times(lowered: &LoweredOutcome) -> Vec<i64> {
    let Some(l) = lowered.model.likelihoods.first() else {
        return Vec::new();
    };
    if l.days.len() == l.y.len() {
        l.days.clone()
    } else {
        (1..=l.y.len() as i64).collect()
    }
}

/// The observed outcome as CmdStan JSON data, `{"y": [...]}` on the model's
/// scale (the values `y_rep` replicates).
pub fn observed(pred: Option<&Predictive>, lowered: &LoweredOutcome) -> String {
    let y: &[f64] = match pred {
        Some(p) => &p.observed,
        None => lowered
            .model
            .likelihoods
            .first()
            .map_or(&[], |l| l.y.as_slice()),
    };
    let mut data = BTreeMap::new();
    data.insert("y", y);
    to_json(&data)
}

fn to_json<T: Serialize>(value: &T) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(e) => format!(
            "{{\"format\": {FORMAT:?}, \"error\": {:?}}}\n",
            e.to_string()
        ),
    }
}
