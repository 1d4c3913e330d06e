//! Evidence back out, and the sensitivity of the decision to LFM priors.
//!
//! **Export** (`trialc run --export-evidence FILE`): each fitted effect's
//! posterior in the interchange format `trialc-hypotheses/1`
//! (docs/hypotheses.md), so it can be the next trial's prior or go back to
//! the population model. The normal approximation is the draws' mean and SD;
//! when the draws are clearly non-normal (|skewness| > 0.5 or |excess
//! kurtosis| > 1) a two-component normal mixture fitted by EM is added.
//! Provenance: generator `trialc` + version, `prompt_sha256` and
//! `trial.spec_sha256` = SHA-256 of the spec text, `created` = the diary's
//! last date (never the wall clock).
//!
//! **Sensitivity**: [`sceptical_spec`] replaces every hypothesis prior by its
//! vague component alone (the sceptical reference prior); the CLI fits that
//! spec too and [`compare`] evaluates the same decision rules under both
//! fits, flagging when the recommendation depends on the LFM prior.
//!
//! Pure: no files, no clock.

use crate::codes;
use serde::Serialize;
use sha2::{Digest, Sha256};
use trialc_runtime::posterior::Posterior;

use crate::data::Diary;
use crate::hir::{self, Direction, PriorDist};
use crate::hypotheses::{
    EffectSize, Generator, HypothesesFile, Hypothesis, MixtureComponent, TrialProvenance, FORMAT,
};
use crate::lower::{LoweredOutcome, Role};
use crate::report::decide::{self, RuleReport};
use crate::report::{element_of, flat_draws};
use crate::schedule::Schedule;

/// SHA-256 of a text, lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Mean, SD (n - 1), skewness and excess kurtosis of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub mean: f64,
    pub sd: f64,
    pub skewness: f64,
    pub excess_kurtosis: f64,
}

pub fn moments(x: &[f64]) -> Moments {
    let n = x.len() as f64;
    if x.len() < 2 {
        return Moments {
            mean: x.first().copied().unwrap_or(0.0),
            sd: 0.0,
            skewness: 0.0,
            excess_kurtosis: 0.0,
        };
    }
    let mean = x.iter().sum::<f64>() / n;
    let m2 = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m3 = x.iter().map(|v| (v - mean).powi(3)).sum::<f64>() / n;
    let m4 = x.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
    let (skewness, excess_kurtosis) = if m2 > 0.0 {
        (m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0)
    } else {
        (0.0, 0.0)
    };
    Moments {
        mean,
        sd: (m2 * n / (n - 1.0)).sqrt(),
        skewness,
        excess_kurtosis,
    }
}

/// The rule of docs/hypotheses.md for adding a mixture to exported evidence.
pub fn clearly_non_normal(m: &Moments) -> bool {
    m.skewness.abs() > 0.5 || m.excess_kurtosis.abs() > 1.0
}

/// A two-component normal mixture fitted to `x` by EM (started from the
/// lower and upper halves of the sorted sample; deterministic). `None` when
/// the sample is too small or degenerate, or a component vanishes.
pub fn fit_two_normals(x: &[f64]) -> Option<Vec<MixtureComponent>> {
    if x.len() < 20 {
        return None;
    }
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let half = sorted.len() / 2;
    let (lo, hi) = sorted.split_at(half);
    let (a, b) = (moments(lo), moments(hi));
    let total = moments(x);
    if total.sd <= 0.0 {
        return None;
    }
    let floor = total.sd * 1e-3;
    let mut w = [0.5, 0.5];
    let mut mu = [a.mean, b.mean];
    let mut sd = [a.sd.max(floor), b.sd.max(floor)];
    let normal = |v: f64, m: f64, s: f64| {
        (-0.5 * ((v - m) / s).powi(2)).exp() / (s * (2.0 * std::f64::consts::PI).sqrt())
    };
    let mut resp = vec![0.0; x.len()];
    for _ in 0..500 {
        for (r, &v) in resp.iter_mut().zip(x) {
            let p0 = w[0] * normal(v, mu[0], sd[0]);
            let p1 = w[1] * normal(v, mu[1], sd[1]);
            *r = if p0 + p1 > 0.0 { p0 / (p0 + p1) } else { 0.5 };
        }
        let n0: f64 = resp.iter().sum();
        let n1 = x.len() as f64 - n0;
        if n0 < 1.0 || n1 < 1.0 {
            return None;
        }
        let m0 = resp.iter().zip(x).map(|(r, v)| r * v).sum::<f64>() / n0;
        let m1 = resp.iter().zip(x).map(|(r, v)| (1.0 - r) * v).sum::<f64>() / n1;
        let v0 = resp
            .iter()
            .zip(x)
            .map(|(r, v)| r * (v - m0).powi(2))
            .sum::<f64>()
            / n0;
        let v1 = resp
            .iter()
            .zip(x)
            .map(|(r, v)| (1.0 - r) * (v - m1).powi(2))
            .sum::<f64>()
            / n1;
        let new_w = [n0 / x.len() as f64, n1 / x.len() as f64];
        let moved = (new_w[0] - w[0]).abs() + (m0 - mu[0]).abs() / total.sd;
        w = new_w;
        mu = [m0, m1];
        sd = [v0.sqrt().max(floor), v1.sqrt().max(floor)];
        if moved < 1e-9 {
            break;
        }
    }
    if w.iter().any(|w| *w < 0.05) {
        return None;
    }
    Some(
        (0..2)
            .map(|k| MixtureComponent {
                weight: w[k],
                mean: mu[k],
                sd: sd[k],
            })
            .collect(),
    )
}

/// The date of a trial day, or "unknown" when the schedule has no start.
fn date(schedule: &Schedule, day: Option<u64>) -> String {
    day.and_then(|d| schedule.date_of_day(d)).map_or_else(
        || "unknown".to_string(),
        |d| d.format("%Y-%m-%d").to_string(),
    )
}

/// Each fitted effect's posterior as a hypotheses file (see the module doc).
/// `participant` comes from the hypotheses file the spec read, if any.
pub fn export(
    spec: &hir::Spec,
    spec_text: &str,
    schedule: &Schedule,
    diary: &Diary,
    fits: &[(LoweredOutcome, Posterior)],
    participant: Option<&str>,
) -> HypothesesFile {
    let hash = sha256_hex(spec_text);
    let first = diary.rows.first().map(|r| r.day);
    let last = diary.rows.last().map(|r| r.day);
    let mut ordered: Vec<&(LoweredOutcome, Posterior)> = fits.iter().collect();
    ordered.sort_by_key(|(l, _)| l.outcome);
    let reference = spec
        .arms
        .get(spec.reference)
        .map_or("the reference arm", |a| a.name.as_str());
    let mut found: Vec<(f64, Hypothesis)> = Vec::new();
    for (lowered, post) in ordered {
        let Some(outcome) = spec.outcomes.get(lowered.outcome) else {
            continue;
        };
        for p in &lowered.params {
            let Role::Effect { arm } = p.role else {
                continue;
            };
            let Some(k) = element_of(lowered, p) else {
                continue;
            };
            let draws = flat_draws(post, k);
            if draws.is_empty() {
                continue;
            }
            let m = moments(&draws);
            let mixture = if clearly_non_normal(&m) {
                fit_two_normals(&draws)
            } else {
                None
            };
            let better = draws
                .iter()
                .filter(|d| match outcome.better {
                    Direction::Lower => **d < 0.0,
                    Direction::Higher => **d > 0.0,
                })
                .count() as f64
                / draws.len() as f64;
            let arm_name = spec.arms.get(arm).map_or("?", |a| a.name.as_str());
            let rationale = format!(
                "Posterior of {} on {} against {reference} in trial `{}` ({} analysed days: {} on {arm_name}, {} on {reference}; {} chains x {} draws), under the prior {}. P(effect in the better direction) = {:.3}.{}",
                p.name,
                outcome.name,
                spec.trial.id,
                lowered.analysis.n(),
                lowered.analysis.n_on_arm(arm),
                lowered.analysis.n_on_arm(spec.reference),
                post.num_chains,
                post.num_draws,
                p.prior_text,
                better,
                if mixture.is_some() {
                    " The draws are not normal (skewness or kurtosis), so a two-component normal mixture fitted by EM is given too."
                } else {
                    ""
                }
            );
            found.push((
                better,
                Hypothesis {
                    id: String::new(),
                    rank: 0,
                    intervention: arm_name.to_string(),
                    outcome: outcome.name.clone(),
                    effect: EffectSize {
                        mean: m.mean,
                        sd: m.sd,
                        scale: Some(outcome.kind.effect_scale().to_string()),
                        mixture,
                    },
                    rationale: Some(rationale),
                },
            ));
        }
    }
    // Rank by the probability of benefit; stable, so ties keep spec order.
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    let hypotheses = found
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut h))| {
            h.id = format!("E{}", i + 1);
            h.rank = i as u32 + 1;
            h
        })
        .collect();
    HypothesesFile {
        format: FORMAT.to_string(),
        generator: Generator {
            model: "trialc".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            prompt_sha256: hash.clone(),
            created: date(schedule, last),
        },
        participant: participant.map(str::to_string),
        trial: Some(TrialProvenance {
            id: spec.trial.id.clone(),
            spec_sha256: hash,
            first_date: date(schedule, first),
            last_date: date(schedule, last),
            spec_version: spec.trial.version.clone(),
        }),
        hypotheses,
    }
}

/// Pretty JSON with a final newline.
pub fn to_json(file: &HypothesesFile) -> String {
    let mut text = serde_json::to_string_pretty(file).unwrap_or_default();
    text.push('\n');
    text
}

// ----- sensitivity ---------------------------------------------------------------

/// Whether the outcome's model has a prior built from a hypothesis.
pub fn uses_hypotheses(lowered: &LoweredOutcome) -> bool {
    lowered.params.iter().any(|p| p.hypothesis.is_some())
}

/// Whether some decision rule is about `outcome`.
pub fn decided_on(spec: &hir::Spec, outcome: usize) -> bool {
    spec.rules.iter().any(|r| match r {
        hir::Rule::When { condition, .. } => condition.outcome == outcome,
        hir::Rule::Otherwise { .. } => false,
    })
}

/// Whether the sensitivity analysis refits this outcome: it has a prior
/// from a hypothesis and a decision rule reads it. Rules are all the
/// sensitivity analysis compares, so an outcome no rule reads keeps its fit
/// (its prior and posterior, and the robust prior's conflict check, are in
/// the outcome's own section).
pub fn needs_refit(spec: &hir::Spec, lowered: &LoweredOutcome) -> bool {
    uses_hypotheses(lowered) && decided_on(spec, lowered.outcome)
}

/// The spec with every hypothesis prior replaced by its vague component
/// alone: the written `vague` prior, or `normal(0, U)` with U the outcome's
/// unit-information scale as lowering used it (`lowered`). `None` when no
/// prior comes from a hypothesis.
pub fn sceptical_spec(spec: &hir::Spec, lowered: &[LoweredOutcome]) -> Option<hir::Spec> {
    fn replace(prior: &mut hir::Prior, unit: f64) -> bool {
        match &mut prior.dist {
            PriorDist::Hypothesis { vague, .. } => {
                let dist = match vague.take() {
                    Some(v) => v.dist,
                    None => PriorDist::Normal {
                        mu: 0.0,
                        sigma: unit,
                    },
                };
                prior.dist = dist;
                true
            }
            PriorDist::Mixture(parts) => {
                let mut any = false;
                for (_, p) in parts.iter_mut() {
                    any |= replace(p, unit);
                }
                any
            }
            _ => false,
        }
    }
    let mut out = spec.clone();
    let mut any = false;
    for model in &mut out.models {
        let unit = lowered
            .iter()
            .find(|l| l.outcome == model.outcome)
            .map_or(2.5, |l| l.unit_scale);
        for e in model.effects.iter_mut().chain(model.carryover.iter_mut()) {
            any |= replace(&mut e.prior, unit);
        }
    }
    any.then_some(out)
}

/// One decision rule under the LFM prior and under the sceptical reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityRule {
    pub statement: String,
    /// `recommend` or `stop early`.
    pub kind: &'static str,
    pub recommends: Option<String>,
    pub after_periods: Option<u64>,
    pub required_comparison: &'static str,
    pub required_probability: f64,
    pub probability_lfm: Option<f64>,
    pub probability_sceptical: Option<f64>,
    pub fires_lfm: bool,
    pub fires_sceptical: bool,
}

/// The decision under the LFM priors and under the sceptical reference priors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sensitivity {
    /// `effect[ARM] on OUTCOME: <LFM prior> -> <sceptical prior>` per replaced prior.
    pub replaced: Vec<String>,
    pub rules: Vec<SensitivityRule>,
    /// The recommended arm under each, `None` = no recommendation.
    pub recommendation_lfm: Option<String>,
    pub recommendation_sceptical: Option<String>,
    /// The recommendation (or any rule's verdict) differs between the two.
    pub depends_on_lfm_prior: bool,
    /// One plain sentence.
    pub verdict: String,
    /// The refitted models' convergence warnings (`OUTCOME: warning`): when
    /// any, the sceptical side is provisional.
    pub convergence_warnings: Vec<String>,
    /// Outcomes with a prior from a hypothesis that no decision rule reads,
    /// so not refitted (see [`needs_refit`]).
    pub not_refitted: Vec<String>,
}

/// Evaluates the spec's rules under both fits. `lfm` and `sceptical` hold
/// one fit per outcome (the sceptical one reuses the LFM fit for outcomes
/// without a hypothesis prior).
pub fn compare(
    spec: &hir::Spec,
    lfm: &[(LoweredOutcome, Posterior)],
    sceptical: &[(LoweredOutcome, Posterior)],
    periods_complete: u64,
) -> Sensitivity {
    let a = decide::evaluate_rules(spec, lfm, periods_complete);
    let b = decide::evaluate_rules(spec, sceptical, periods_complete);
    let recommendation = |rules: &[RuleReport]| {
        rules
            .iter()
            .find(|r| r.kind == "recommend" && r.fires)
            .and_then(|r| r.recommends.clone())
    };
    let rules: Vec<SensitivityRule> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| SensitivityRule {
            statement: x.statement.clone(),
            kind: x.kind,
            recommends: x.recommends.clone(),
            after_periods: x.after_periods,
            required_comparison: x.required_comparison,
            required_probability: x.required_probability,
            probability_lfm: x.probability,
            probability_sceptical: y.probability,
            fires_lfm: x.fires,
            fires_sceptical: y.fires,
        })
        .collect();
    let mut replaced = Vec::new();
    let mut ordered: Vec<&(LoweredOutcome, Posterior)> = sceptical.iter().collect();
    ordered.sort_by_key(|(l, _)| l.outcome);
    let mut not_refitted = Vec::new();
    for (l, _) in ordered {
        let Some(main) = lfm.iter().find(|(m, _)| m.outcome == l.outcome) else {
            continue;
        };
        if !needs_refit(spec, &main.0) {
            if uses_hypotheses(&main.0) {
                not_refitted.extend(spec.outcomes.get(l.outcome).map(|o| o.name.clone()));
            }
            continue;
        }
        for p in &main.0.params {
            if p.hypothesis.is_none() {
                continue;
            }
            if let Some(q) = l.params.iter().find(|q| q.role == p.role) {
                replaced.push(format!(
                    "{} on {}: {} -> {}",
                    p.name,
                    spec.outcomes
                        .get(l.outcome)
                        .map_or("?", |o| o.name.as_str()),
                    p.prior_text,
                    q.prior_text
                ));
            }
        }
    }
    let mut convergence_warnings = Vec::new();
    for (l, post) in sceptical {
        let refitted = lfm
            .iter()
            .any(|(m, _)| m.outcome == l.outcome && needs_refit(spec, m));
        if refitted {
            let name = spec
                .outcomes
                .get(l.outcome)
                .map_or("?", |o| o.name.as_str());
            convergence_warnings.extend(post.warnings.iter().map(|w| format!("{name}: {w}")));
        }
    }
    let (ra, rb) = (recommendation(&a), recommendation(&b));
    let depends = ra != rb || rules.iter().any(|r| r.fires_lfm != r.fires_sceptical);
    let name = |r: &Option<String>| {
        r.as_ref().map_or_else(
            || "no recommendation".to_string(),
            |a| format!("recommend {a}"),
        )
    };
    let verdict = if ra != rb {
        format!(
            "The recommendation depends on the LFM prior: {} with it, {} under the sceptical reference prior.",
            name(&ra),
            name(&rb)
        )
    } else if depends {
        format!(
            "The recommendation ({}) is the same under both priors, but some rules' verdicts depend on the LFM prior.",
            name(&ra)
        )
    } else {
        format!(
            "The decision does not depend on the LFM prior: {} under both priors.",
            name(&ra)
        )
    };
    Sensitivity {
        replaced,
        rules,
        recommendation_lfm: ra,
        recommendation_sceptical: rb,
        depends_on_lfm_prior: depends,
        verdict,
        convergence_warnings,
        not_refitted,
    }
}

/// W0809 at each rule whose verdict differs between the LFM prior and the
/// sceptical reference prior (spans into the spec).
pub fn warnings(spec: &hir::Spec, sensitivity: &Sensitivity) -> Vec<crate::diagnostic::Diagnostic> {
    let spans = spec.rules.iter().filter_map(|r| match r {
        hir::Rule::When { span, .. } => Some(*span),
        hir::Rule::Otherwise { .. } => None,
    });
    let p = |p: Option<f64>| p.map_or_else(|| "n/a".to_string(), |p| format!("{p:.3}"));
    sensitivity
        .rules
        .iter()
        .zip(spans)
        .filter(|(r, _)| r.fires_lfm != r.fires_sceptical)
        .map(|(r, span)| {
            let (with, without) = if r.fires_lfm {
                ("fires", "does not")
            } else {
                ("does not fire", "does")
            };
            crate::diagnostic::Diagnostic::warning(
                codes::W0809,
                format!("this rule {with} with the LFM prior and {without} under the sceptical reference prior"),
            )
            .with_primary(span, format!("P = {} with the LFM prior, {} without", p(r.probability_lfm), p(r.probability_sceptical)))
            .with_note("the sceptical reference prior replaces each prior from an LFM hypothesis by its vague component alone")
            .with_note(sensitivity.verdict.clone())
            .with_help("the decision rests on the population model's hypothesis, not on this participant's data alone: say so when reporting it, or continue the trial until the data decide")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_known_text() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn em_recovers_two_separated_normals() {
        // Deterministic normal draws: Box-Muller on a fixed LCG stream.
        let mut state: u64 = 12345;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let mut grid = |m: f64, s: f64, n: usize| -> Vec<f64> {
            (0..n)
                .map(|_| {
                    let (u, v) = (uniform(), uniform());
                    m + s * (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
                })
                .collect()
        };
        let mut x = grid(-2.0, 0.5, 700);
        x.extend(grid(1.5, 0.7, 300));
        let m = moments(&x);
        assert!(clearly_non_normal(&m), "{m:?}");
        let c = fit_two_normals(&x).expect("fit");
        assert!((c[0].weight - 0.7).abs() < 0.05, "{c:?}");
        assert!(
            (c[0].mean + 2.0).abs() < 0.15 && (c[1].mean - 1.5).abs() < 0.2,
            "{c:?}"
        );
        // The mixture keeps the sample's mean.
        let mean: f64 = c.iter().map(|k| k.weight * k.mean).sum();
        assert!((mean - m.mean).abs() < 1e-6);
        // A unimodal symmetric sample is not flagged.
        assert!(!clearly_non_normal(&moments(&grid(0.0, 1.0, 1000))));
    }
}
