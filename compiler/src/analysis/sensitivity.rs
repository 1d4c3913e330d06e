//! The sensitivity of the decision to LFM priors.
//!
//! [`sceptical`] turns each lowered model whose prior comes from an LFM
//! hypothesis into the sceptical reference model: the same model IR with
//! each such prior replaced by its vague component alone (as lowering
//! recorded it). The session fits those models with their own seeds, and
//! [`compare`] evaluates the same decision rules under both fits, flagging
//! (W0809, [`warnings`]) a rule whose verdict depends on the LFM prior.
//! The refits are judged with the same convergence checks as the main fits.

use serde::Serialize;
use trialc_runtime::posterior::Posterior;

use crate::codes;
use crate::fit::RunSettings;
use crate::hir;
use crate::lower::LoweredOutcome;

use super::convergence;
use super::decide::{self, RuleReport};

/// Every outcome whose model has a prior from a hypothesis, as the
/// sceptical reference model; `None` when no prior comes from a hypothesis.
/// A pure transform of the model IR: nothing is re-lowered.
pub fn sceptical(lowered: &[LoweredOutcome]) -> Option<Vec<LoweredOutcome>> {
    let mut out = Vec::new();
    for l in lowered.iter().filter(|l| uses_hypotheses(l)) {
        let mut s = l.clone();
        for p in &mut s.params {
            let Some(h) = p.hypothesis.take() else {
                continue;
            };
            if let Some(term) = s.model.priors.iter_mut().find(|t| t.param == p.id) {
                term.prior = h.sceptical.clone();
            }
            if let Some(param) = s.model.params.get_mut(p.id) {
                param.transform = h.sceptical_transform;
            }
            p.prior_text = h.sceptical_text;
        }
        out.push(s);
    }
    (!out.is_empty()).then_some(out)
}

/// Whether the outcome's model has a prior built from a hypothesis.
pub fn uses_hypotheses(lowered: &LoweredOutcome) -> bool {
    lowered.params.iter().any(|p| p.hypothesis.is_some())
}

/// Whether some decision rule is about `outcome`.
pub fn decided_on(spec: &hir::Spec, outcome: usize) -> bool {
    spec.rules.iter().any(|r| match r {
        hir::Rule::When { conditions, .. } => conditions
            .iter()
            .any(|c| c.statement.quantity.outcome == outcome),
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

/// One decision rule under the LFM prior and under the sceptical reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityRule {
    pub statement: String,
    /// `recommend` or `stop early`.
    pub kind: &'static str,
    pub recommends: Option<String>,
    pub after_periods: Option<u64>,
    /// Each condition's probability under both priors.
    pub conditions: Vec<SensitivityCondition>,
    pub fires_lfm: bool,
    pub fires_sceptical: bool,
}

/// One condition of a rule under the LFM prior and under the sceptical
/// reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityCondition {
    /// `effect of ARM on OUTCOME < -mcid`.
    pub statement: String,
    pub required_comparison: &'static str,
    pub required_probability: f64,
    pub probability_lfm: Option<f64>,
    pub probability_sceptical: Option<f64>,
}

impl SensitivityRule {
    /// The conditions' probabilities under the LFM prior (`lfm`) or the
    /// sceptical one: `0.361`, or `0.361 and 0.950`; `n/a` where missing.
    pub fn probabilities(&self, lfm: bool) -> String {
        self.conditions
            .iter()
            .map(|c| {
                let p = if lfm {
                    c.probability_lfm
                } else {
                    c.probability_sceptical
                };
                p.map_or_else(|| "n/a".to_string(), |p| format!("{p:.3}"))
            })
            .collect::<Vec<_>>()
            .join(" and ")
    }
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
    settings: &RunSettings,
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
            conditions: x
                .conditions
                .iter()
                .zip(&y.conditions)
                .map(|(cx, cy)| SensitivityCondition {
                    statement: cx.statement.statement.clone(),
                    required_comparison: cx.required_comparison,
                    required_probability: cx.required_probability,
                    probability_lfm: cx.statement.probability,
                    probability_sceptical: cy.statement.probability,
                })
                .collect(),
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
        if let (true, Some(outcome)) = (refitted, spec.outcomes.get(l.outcome)) {
            convergence_warnings.extend(
                convergence::diagnostics(spec, outcome, l, post, settings)
                    .into_iter()
                    .map(|d| d.message),
            );
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
            .with_primary(span, format!("P = {} with the LFM prior, {} without", r.probabilities(true), r.probabilities(false)))
            .with_note("the sceptical reference prior replaces each prior from an LFM hypothesis by its vague component alone")
            .with_note(sensitivity.verdict.clone())
            .with_help("the decision rests on the population model's hypothesis, not on this participant's data alone: say so when reporting it, or continue the trial until the data decide")
        })
        .collect()
}
