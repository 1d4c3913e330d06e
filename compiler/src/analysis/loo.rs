//! Leave-one-out comparison of two model choices for one outcome
//! (`trialc run --compare-loo "OUTCOME: CHANGE"`).
//!
//! Like the sensitivity analysis, the alternative is a transform of what
//! the spec says: [`alternative`] changes one term of the outcome's checked
//! model (its errors, its trend, a covariate), the session lowers and fits
//! that model with the run's settings and its own seed
//! (`fit::loo_seed`), and [`compare`] estimates the expected log
//! predictive density of left-out observations (elpd_loo) of both fits by
//! PSIS-LOO (`trialc_runtime::loo`) from their pointwise log-likelihoods
//! ([`super::loglik`]) and sets them side by side: each model's elpd_loo
//! and p_loo with their SEs and k-hat diagnostics, the paired difference
//! with its SE, and a one-line verdict. A difference within 2 SE, or below
//! 4 (Sivula et al. 2025), is not decisive; a k-hat above the threshold
//! makes the comparison unreliable.

use serde::Serialize;
use trialc_runtime::loo::{self, Comparison, Loo, LooOptions};
use trialc_runtime::posterior::Posterior;

use crate::analysis::convergence;
use crate::fit::RunSettings;
use crate::hir::{self, ErrorStructure, Errors, Likelihood, OutcomeType, Prior};
use crate::lower::LoweredOutcome;

/// What the alternative changes in the outcome's model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Independent errors: a continuous outcome's AR(1) errors, or a
    /// count's or binary's latent AR(1), removed.
    ErrorsIndependent,
    /// AR(1) errors (continuous) or a latent AR(1) (binary, binomial,
    /// count) with the default priors.
    ErrorsAr1,
    /// The trend removed.
    NoTrend,
    /// The covariate on this diary column removed.
    NoCovariate(String),
}

impl Change {
    /// As written on the command line: `errors independent`, `no covariate steps`.
    pub fn describe(&self) -> String {
        match self {
            Change::ErrorsIndependent => "errors independent".into(),
            Change::ErrorsAr1 => "errors ar1".into(),
            Change::NoTrend => "no trend".into(),
            Change::NoCovariate(c) => format!("no covariate {c}"),
        }
    }

    /// The spec's own model in the same terms: `errors ar1` against
    /// `errors independent`, `with trend` against `no trend`.
    fn opposite(&self) -> String {
        match self {
            Change::ErrorsIndependent => "errors ar1".into(),
            Change::ErrorsAr1 => "errors independent".into(),
            Change::NoTrend => "with trend".into(),
            Change::NoCovariate(c) => format!("with covariate {c}"),
        }
    }
}

/// One `--compare-loo` request: an outcome and the alternative model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub outcome: String,
    pub change: Change,
}

/// The forms `--compare-loo` takes, for messages.
pub const FORMS: &str = "`errors independent`, `errors ar1`, `no trend` or `no covariate COLUMN`";

/// Reads `OUTCOME: CHANGE`, e.g. `pain: errors independent`.
pub fn parse_request(text: &str) -> Result<Request, String> {
    let Some((outcome, change)) = text.split_once(':') else {
        return Err(format!(
            "`{text}` is not OUTCOME: CHANGE, e.g. `pain: errors independent`"
        ));
    };
    let outcome = outcome.trim();
    if outcome.is_empty() || outcome.chars().any(char::is_whitespace) {
        return Err(format!("`{outcome}` is not an outcome name"));
    }
    let words: Vec<&str> = change.split_whitespace().collect();
    let change = match words.as_slice() {
        ["errors", "independent"] => Change::ErrorsIndependent,
        ["errors", "ar1"] => Change::ErrorsAr1,
        ["no", "trend"] => Change::NoTrend,
        ["no", "covariate", column] => Change::NoCovariate((*column).to_string()),
        _ => {
            return Err(format!(
                "`{}` is not a change this comparison knows: use {FORMS}",
                change.trim()
            ))
        }
    };
    Ok(Request {
        outcome: outcome.to_string(),
        change,
    })
}

/// Why a request cannot be run: what, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub help: String,
}

fn refuse(message: impl Into<String>, help: impl Into<String>) -> Refusal {
    Refusal {
        message: message.into(),
        help: help.into(),
    }
}

/// The alternative of a request: the outcome's index, the spec with that
/// outcome's model changed, and the spec's own model described in the
/// request's terms (`errors ar1`). A pure transform of the checked spec:
/// the caller lowers and fits it. Refused when the outcome is unknown, the
/// change does not apply to it, or the spec's model already is the
/// alternative.
pub fn alternative(
    spec: &hir::Spec,
    request: &Request,
) -> Result<(usize, hir::Spec, String), Refusal> {
    let Some(outcome) = spec.outcomes.iter().position(|o| o.name == request.outcome) else {
        let names: Vec<&str> = spec.outcomes.iter().map(|o| o.name.as_str()).collect();
        return Err(refuse(
            format!(
                "`--compare-loo`: the spec has no outcome `{}`",
                request.outcome
            ),
            hir::names::suggestion("outcome", &request.outcome, &names),
        ));
    };
    let o = &spec.outcomes[outcome];
    let mut alt = spec.clone();
    let Some(model) = alt.models.iter_mut().find(|m| m.outcome == outcome) else {
        return Err(refuse(
            format!("`--compare-loo`: the outcome `{}` has no model", o.name),
            "compare models of an outcome the spec analyses",
        ));
    };
    let same = |what: &str| {
        refuse(
            format!(
                "`--compare-loo`: the model of `{}` already has {what}",
                o.name
            ),
            format!("the alternative must differ from the spec's model: use {FORMS}"),
        )
    };
    let defaults = o.kind.default_priors();
    let default_prior = |dist| Prior {
        dist,
        default: true,
        span: model_span(spec, outcome),
    };
    match &request.change {
        Change::ErrorsIndependent => match (&mut model.likelihood, &model.latent_ar1) {
            (
                Likelihood::Normal {
                    errors:
                        Errors {
                            structure: structure @ ErrorStructure::Ar1,
                            phi,
                            ..
                        },
                    ..
                },
                _,
            ) => {
                *structure = ErrorStructure::Independent;
                *phi = None;
            }
            (_, Some(_)) => model.latent_ar1 = None,
            _ => return Err(same("independent errors")),
        },
        Change::ErrorsAr1 => match (&mut model.likelihood, &o.kind) {
            (
                Likelihood::Normal {
                    errors:
                        Errors {
                            structure: structure @ ErrorStructure::Independent,
                            phi,
                            ..
                        },
                    ..
                },
                _,
            ) => {
                let Some(dist) = defaults.phi.clone() else {
                    return Err(same("no default for phi"));
                };
                *structure = ErrorStructure::Ar1;
                *phi = Some(default_prior(dist));
            }
            (Likelihood::Normal { .. }, _) => return Err(same("AR(1) errors")),
            (_, OutcomeType::Ordinal { .. }) => {
                return Err(refuse(
                    format!(
                    "`--compare-loo`: `errors ar1` is not available for the ordinal outcome `{}`",
                    o.name
                ),
                    format!("an ordinal outcome's model has no serial term (E0507); use {FORMS}"),
                ))
            }
            _ if model.latent_ar1.is_some() => return Err(same("a latent AR(1)")),
            _ => {
                let Some((sigma, phi)) = defaults.latent.clone() else {
                    return Err(same("no latent AR(1) defaults"));
                };
                model.latent_ar1 = Some(hir::LatentAr1 {
                    sigma: default_prior(sigma),
                    phi: default_prior(phi),
                });
            }
        },
        Change::NoTrend => {
            if model.trend.take().is_none() {
                return Err(same("no trend"));
            }
        }
        Change::NoCovariate(column) => {
            let Some(k) = model.covariates.iter().position(|c| &c.column == column) else {
                let names: Vec<&str> = model.covariates.iter().map(|c| c.column.as_str()).collect();
                return Err(refuse(
                    format!(
                        "`--compare-loo`: the model of `{}` has no covariate `{column}`",
                        o.name
                    ),
                    if names.is_empty() {
                        "the model has no covariates".to_string()
                    } else {
                        hir::names::suggestion("covariate", column, &names)
                    },
                ));
            };
            model.covariates.remove(k);
        }
    }
    Ok((outcome, alt, request.change.opposite()))
}

fn model_span(spec: &hir::Spec, outcome: usize) -> crate::diagnostic::Span {
    spec.models
        .iter()
        .find(|m| m.outcome == outcome)
        .map_or(spec.outcomes[outcome].span, |m| m.span)
}

/// Whether the alternative analyses exactly the observations of the spec's
/// model (the same days and values): leave-one-out compares models on the
/// same observations. `Err` says how they differ.
pub fn same_observations(main: &LoweredOutcome, alt: &LoweredOutcome) -> Result<(), String> {
    let (a, b) = (&main.analysis.days, &alt.analysis.days);
    if a != b {
        return Err(format!(
            "the alternative analyses {} observations, the spec's model {}",
            b.len(),
            a.len()
        ));
    }
    let ys = |l: &LoweredOutcome| -> Vec<f64> {
        l.model
            .likelihoods
            .iter()
            .flat_map(|b| b.y.iter().copied())
            .collect()
    };
    if ys(main) != ys(alt) {
        return Err("the alternative's observations differ from the spec's model's".into());
    }
    Ok(())
}

/// One model's PSIS-LOO, for the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LooModel {
    /// `errors ar1`, `no trend`, …
    pub description: String,
    pub elpd_loo: f64,
    pub se: f64,
    pub p_loo: f64,
    pub se_p_loo: f64,
    /// The largest k-hat (`null` in JSON when a tail could not be fitted).
    pub k_max: f64,
    /// Observations with k-hat at most the threshold, above it up to 1, above 1.
    pub k_good: usize,
    pub k_bad: usize,
    pub k_very_bad: usize,
    /// The trial days of the observations whose k-hat exceeds the
    /// threshold, with their k-hat.
    pub high_k: Vec<HighK>,
}

/// An observation PSIS cannot leave out reliably.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HighK {
    pub day: u64,
    pub k_hat: f64,
}

/// The spec's model of one outcome against one alternative.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LooComparison {
    pub outcome: String,
    /// The spec's model, described in the alternative's terms.
    pub model: LooModel,
    pub alternative: LooModel,
    /// N, the analysed observations both models predict.
    pub observations: usize,
    /// S, the posterior draws of each fit.
    pub draws: usize,
    /// `min(1 - 1 / log10(S), 0.7)`: a k-hat above it is unreliable.
    pub k_threshold: f64,
    /// elpd_loo of the spec's model minus the alternative's: positive when
    /// the spec's model predicts left-out observations better.
    pub elpd_diff: f64,
    /// `sqrt(N) sd` of the pointwise differences.
    pub se_diff: f64,
    /// N < 100: the normal approximation of the difference is rough.
    pub few_observations: bool,
    /// |elpd_diff| < 4: too small to tell the models apart.
    pub small_difference: bool,
    /// No k-hat of either model above the threshold.
    pub reliable: bool,
    /// Reliable, |elpd_diff| > 2 SE and at least 4.
    pub decisive: bool,
    /// `model` or `alternative` when decisive.
    pub preferred: Option<&'static str>,
    /// The alternative fit's convergence warnings: when any, its elpd_loo
    /// is provisional.
    pub convergence_warnings: Vec<String>,
    /// One sentence.
    pub verdict: String,
}

/// PSIS-LOO of one fit from its pointwise log-likelihood, with the
/// relative efficiencies from its chains.
pub fn psis_loo(posterior: &Posterior, log_lik: &[Vec<f64>]) -> Result<Loo, String> {
    let ll = loo::LogLik::new(log_lik, posterior.num_chains.max(1)).map_err(|e| e.to_string())?;
    loo::loo(&ll, &LooOptions::default()).map_err(|e| e.to_string())
}

fn model_summary(description: String, l: &Loo, days: &[u64]) -> LooModel {
    LooModel {
        description,
        elpd_loo: l.elpd_loo,
        se: l.se,
        p_loo: l.p_loo,
        se_p_loo: l.se_p_loo,
        k_max: l.k_max,
        k_good: l.k_counts.good,
        k_bad: l.k_counts.bad,
        k_very_bad: l.k_counts.very_bad,
        high_k: l
            .bad_observations()
            .into_iter()
            .map(|i| HighK {
                day: days.get(i).copied().unwrap_or(0),
                k_hat: l.pointwise[i].k_hat,
            })
            .collect(),
    }
}

/// The two fits' PSIS-LOO compared: `main` the spec's model and its
/// pointwise log-likelihood, `alt` the alternative's; `spec_side` and
/// `alt_side` describe them (`errors ar1`, `errors independent`).
pub fn compare(
    spec: &hir::Spec,
    main: (&LoweredOutcome, &Posterior, &[Vec<f64>]),
    alt: (&LoweredOutcome, &Posterior, &[Vec<f64>]),
    spec_side: String,
    alt_side: String,
    settings: &RunSettings,
) -> Result<LooComparison, String> {
    let a = psis_loo(main.1, main.2)?;
    let b = psis_loo(alt.1, alt.2)?;
    let d = loo::compare(&a, &b).map_err(|e| e.to_string())?;
    let outcome = spec
        .outcomes
        .get(main.0.outcome)
        .map_or_else(|| "?".to_string(), |o| o.name.clone());
    let days = &main.0.analysis.days;
    let model = model_summary(spec_side, &a, days);
    let alternative = model_summary(alt_side, &b, days);
    let convergence_warnings = spec
        .outcomes
        .get(alt.0.outcome)
        .map(|o| {
            convergence::diagnostics(spec, o, alt.0, alt.1, settings)
                .into_iter()
                .map(|d| d.message)
                .collect()
        })
        .unwrap_or_default();
    Ok(verdict(
        outcome,
        model,
        alternative,
        &a,
        &d,
        convergence_warnings,
    ))
}

fn verdict(
    outcome: String,
    model: LooModel,
    alternative: LooModel,
    a: &Loo,
    d: &Comparison,
    convergence_warnings: Vec<String>,
) -> LooComparison {
    let high = model.high_k.len() + alternative.high_k.len();
    let reliable = high == 0;
    let within_2se = d.elpd_diff.abs() <= 2.0 * d.se_diff;
    let decisive = reliable && !within_2se && !d.small_difference;
    let diff = format!("{:.1} +/- {:.1}", d.elpd_diff, d.se_diff);
    let (better, worse) = if d.elpd_diff >= 0.0 {
        (
            format!("the spec's model ({})", model.description),
            format!("the alternative ({})", alternative.description),
        )
    } else {
        (
            format!("the alternative ({})", alternative.description),
            format!("the spec's model ({})", model.description),
        )
    };
    let text = if !reliable {
        let which = match (model.high_k.is_empty(), alternative.high_k.is_empty()) {
            (false, false) => "of both models".to_string(),
            (false, true) => format!("of the spec's model ({})", model.description),
            _ => format!("of the alternative ({})", alternative.description),
        };
        format!(
            "Not reliable: k-hat above {:.2} for {high} leave-one-out estimate{} {which}, so the difference ({diff}) cannot be trusted.",
            a.k_threshold,
            if high == 1 { "" } else { "s" }
        )
    } else if within_2se {
        format!(
            "Not decisive: the difference in elpd_loo ({diff}, the spec's model minus the alternative) is within 2 SE; both models predict left-out observations about equally well."
        )
    } else if d.small_difference {
        format!(
            "Not decisive: the difference in elpd_loo ({diff}) is below 4, too small to tell the models apart."
        )
    } else {
        let ratio = d.elpd_diff.abs() / d.se_diff;
        let better = capitalise(&better);
        format!(
            "{better} predicts left-out observations better than {worse}: elpd_loo higher by {:.1} +/- {:.1} ({ratio:.1} SE).",
            d.elpd_diff.abs(),
            d.se_diff
        )
    };
    LooComparison {
        outcome,
        observations: d.observations,
        draws: a.draws,
        k_threshold: a.k_threshold,
        elpd_diff: d.elpd_diff,
        se_diff: d.se_diff,
        few_observations: d.few_observations,
        small_difference: d.small_difference,
        reliable,
        decisive,
        preferred: decisive.then_some(if d.elpd_diff > 0.0 {
            "model"
        } else {
            "alternative"
        }),
        convergence_warnings,
        verdict: text,
        model,
        alternative,
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_or_say_what_is_wrong() {
        assert_eq!(
            parse_request("pain: errors independent"),
            Ok(Request {
                outcome: "pain".into(),
                change: Change::ErrorsIndependent
            })
        );
        assert_eq!(
            parse_request("  sleep :errors   ar1 ").map(|r| (r.outcome, r.change)),
            Ok(("sleep".into(), Change::ErrorsAr1))
        );
        assert_eq!(
            parse_request("pain: no covariate steps").map(|r| r.change),
            Ok(Change::NoCovariate("steps".into()))
        );
        assert_eq!(
            parse_request("pain: no trend").map(|r| r.change.describe()),
            Ok("no trend".into())
        );
        let e = parse_request("pain errors ar1").expect_err("no colon");
        assert!(e.contains("OUTCOME: CHANGE"), "{e}");
        let e = parse_request("pain: errors ar2").expect_err("unknown change");
        assert!(
            e.contains("errors ar2") && e.contains("errors independent"),
            "{e}"
        );
        assert!(parse_request(": errors ar1").is_err());
        assert!(parse_request("my pain: errors ar1").is_err());
    }

    fn loo_model(description: &str, high: &[(u64, f64)]) -> LooModel {
        LooModel {
            description: description.into(),
            elpd_loo: -100.0,
            se: 5.0,
            p_loo: 3.0,
            se_p_loo: 0.5,
            k_max: 0.3,
            k_good: 60 - high.len(),
            k_bad: high.len(),
            k_very_bad: 0,
            high_k: high
                .iter()
                .map(|&(day, k_hat)| HighK { day, k_hat })
                .collect(),
        }
    }

    fn loo_of(draws: usize) -> Loo {
        Loo {
            elpd_loo: -100.0,
            se: 5.0,
            p_loo: 3.0,
            se_p_loo: 0.5,
            lppd: -97.0,
            draws,
            observations: 60,
            k_threshold: loo::khat_threshold(draws),
            k_counts: loo::KCounts {
                good: 60,
                bad: 0,
                very_bad: 0,
            },
            k_max: 0.3,
            truncation: loo::Truncation::MaxRawWeight,
            pointwise: vec![],
        }
    }

    fn diff(elpd_diff: f64, se_diff: f64) -> Comparison {
        Comparison {
            elpd_diff,
            se_diff,
            observations: 60,
            few_observations: true,
            small_difference: elpd_diff.abs() < 4.0,
        }
    }

    #[test]
    fn the_verdict_says_when_the_difference_is_not_decisive() {
        let v = |d: Comparison, high: &[(u64, f64)]| {
            verdict(
                "pain".into(),
                loo_model("errors ar1", &[]),
                loo_model("errors independent", high),
                &loo_of(4000),
                &d,
                vec![],
            )
        };
        let within = v(diff(5.0, 3.0), &[]);
        assert!(!within.decisive && within.reliable);
        assert!(
            within.verdict.starts_with("Not decisive"),
            "{}",
            within.verdict
        );
        assert!(within.verdict.contains("within 2 SE"), "{}", within.verdict);
        assert!(within.verdict.contains("5.0 +/- 3.0"), "{}", within.verdict);
        let small = v(diff(-3.5, 1.0), &[]);
        assert!(!small.decisive);
        assert!(small.verdict.contains("below 4"), "{}", small.verdict);
        let spec_better = v(diff(9.0, 3.0), &[]);
        assert!(spec_better.decisive);
        assert_eq!(spec_better.preferred, Some("model"));
        assert_eq!(
            spec_better.verdict,
            "The spec's model (errors ar1) predicts left-out observations better than the alternative (errors independent): elpd_loo higher by 9.0 +/- 3.0 (3.0 SE)."
        );
        let alt_better = v(diff(-12.0, 4.0), &[]);
        assert_eq!(alt_better.preferred, Some("alternative"));
        assert!(alt_better
            .verdict
            .starts_with("The alternative (errors independent) predicts"));
        let unreliable = v(diff(-12.0, 4.0), &[(17, 0.85)]);
        assert!(!unreliable.reliable && !unreliable.decisive);
        assert_eq!(unreliable.preferred, None);
        assert_eq!(
            unreliable.verdict,
            "Not reliable: k-hat above 0.70 for 1 leave-one-out estimate of the alternative (errors independent), so the difference (-12.0 +/- 4.0) cannot be trusted."
        );
    }
}
