//! The `decide` block evaluated on the posterior, and the conclusion in words.
//!
//! P(statement) is the share of posterior draws for which the statement
//! holds (docs/model.md, "Decision rules"), with its Monte Carlo standard error from
//! the runtime. A rule fires iff its probability meets the required one and,
//! for `stop early … after N periods`, the diary has reached the end of N
//! periods. "Benefit" is read through the outcome's `better` direction: for
//! `better lower`, `effect on pain < -mcid` is a clinically important
//! improvement.
//!
//! Wording is deliberately careful: probabilities are given with two
//! decimals (and as "above 0.99" / "below 0.01" at the extremes, since a
//! finite number of draws cannot show certainty), the comparison is always
//! against the reference arm, and a probability within two MCSE of the
//! threshold is flagged as not settled by the simulation.

use serde::Serialize;
use trialc_runtime::posterior::Posterior;

use super::effects::element_of;
use crate::hir::{self, Comparison, Direction, OutcomeType, Rule, RuleKind};
use crate::lower::LoweredOutcome;

/// One `when` rule, evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleReport {
    /// `recommend` or `stop early`.
    pub kind: &'static str,
    /// The arm a `recommend` rule recommends.
    pub recommends: Option<String>,
    /// `stop early … after N periods`.
    pub after_periods: Option<u64>,
    /// The rule's statement as the spec language writes it.
    pub statement: String,
    /// The arm whose effect (vs the reference) the statement is about.
    pub arm: String,
    pub outcome: String,
    /// `<`, `<=`, `>`, `>=`.
    pub comparison: &'static str,
    /// On the effect's scale, MCID substituted.
    pub threshold: f64,
    /// As written (`-mcid`, `0`).
    pub threshold_text: String,
    pub required_comparison: &'static str,
    pub required_probability: f64,
    /// `None` when the outcome was not fitted or has no such effect.
    pub probability: Option<f64>,
    pub mcse: Option<f64>,
    /// Periods complete in the diary (for `after N periods`).
    pub periods_complete: u64,
    pub fires: bool,
    /// Whether the statement describes a benefit of `arm` (its direction is
    /// the outcome's `better`); `None` when it is neither (a bound on the
    /// wrong side of zero).
    pub benefit: Option<bool>,
    /// The statement in words.
    pub meaning: String,
    /// Why a rule whose probability is met does not fire, or why it could
    /// not be evaluated.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConclusionKind {
    Recommend,
    Inconclusive,
}

/// The plain-language conclusion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conclusion {
    pub kind: ConclusionKind,
    /// The recommended arm.
    pub arm: Option<String>,
    /// Index into the report's rules of the rule that decided.
    pub rule: Option<usize>,
    /// Whether a stop-early rule fired.
    pub stop_early: bool,
    pub text: String,
}

/// Evaluates every `when` rule in spec order.
pub fn evaluate_rules(
    spec: &hir::Spec,
    fits: &[(LoweredOutcome, Posterior)],
    periods_complete: u64,
) -> Vec<RuleReport> {
    let mut out = Vec::new();
    for rule in &spec.rules {
        let Rule::When {
            kind, condition: c, ..
        } = rule
        else {
            continue;
        };
        let arm = spec
            .arms
            .get(c.arm)
            .map_or_else(|| format!("#{}", c.arm), |a| a.name.clone());
        let reference = spec
            .arms
            .get(spec.reference)
            .map_or("the reference", |a| a.name.as_str());
        let outcome = spec.outcomes.get(c.outcome);
        let outcome_name = outcome.map_or_else(|| format!("#{}", c.outcome), |o| o.name.clone());
        let fit = fits.iter().find(|(l, _)| l.outcome == c.outcome);
        let element = fit.and_then(|(l, _)| l.effect(c.arm).and_then(|p| element_of(l, p)));
        let (probability, mcse) = match (fit, element) {
            (Some((_, post)), Some(k)) => {
                let (p, se) = post.probability(|t| {
                    t.get(k)
                        .is_some_and(|&x| c.comparison.holds(x, c.threshold))
                });
                (Some(p), Some(se))
            }
            _ => (None, None),
        };
        let after_periods = match kind {
            RuleKind::StopEarly { after_periods } => *after_periods,
            RuleKind::Recommend { .. } => None,
        };
        let probability_met =
            probability.is_some_and(|p| c.probability_comparison.holds(p, c.probability));
        let enough_periods = after_periods.is_none_or(|n| periods_complete >= n);
        let note = if probability.is_none() {
            Some(if fit.is_none() {
                format!("not evaluated: outcome `{outcome_name}` was not fitted")
            } else {
                format!("not evaluated: the model of `{outcome_name}` has no effect of `{arm}`")
            })
        } else if probability_met && !enough_periods {
            Some(format!(
                "the probability is met, but the rule applies after {} complete periods and the diary has {periods_complete}",
                after_periods.unwrap_or(0)
            ))
        } else {
            None
        };
        let (benefit, meaning) = match outcome {
            Some(o) => meaning(o, c, &arm, reference),
            None => (None, format!("an effect of {arm} on {outcome_name}")),
        };
        out.push(RuleReport {
            kind: match kind {
                RuleKind::Recommend { .. } => "recommend",
                RuleKind::StopEarly { .. } => "stop early",
            },
            recommends: match kind {
                RuleKind::Recommend { arm } => Some(
                    spec.arms
                        .get(*arm)
                        .map_or_else(|| format!("#{arm}"), |a| a.name.clone()),
                ),
                RuleKind::StopEarly { .. } => None,
            },
            after_periods,
            statement: format!(
                "P(effect of {arm} on {outcome_name} {} {}) {} {}",
                c.comparison.symbol(),
                c.threshold_text,
                c.probability_comparison.symbol(),
                required(c.probability)
            ),
            arm,
            outcome: outcome_name,
            comparison: c.comparison.symbol(),
            threshold: c.threshold,
            threshold_text: c.threshold_text.clone(),
            required_comparison: c.probability_comparison.symbol(),
            required_probability: c.probability,
            probability,
            mcse,
            periods_complete,
            fires: probability_met && enough_periods,
            benefit,
            meaning,
            note,
        });
    }
    out
}

/// The conclusion: the first firing `recommend` rule, otherwise
/// inconclusive with the recommend rules' probabilities; a firing
/// stop-early rule is said either way. `caveat` (convergence problems) is
/// appended when the numbers may not be trustworthy.
pub fn conclude(rules: &[RuleReport], caveat: bool) -> Conclusion {
    let mut text = String::new();
    let decided = rules.iter().position(|r| r.kind == "recommend" && r.fires);
    let (kind, arm) = match decided.and_then(|i| rules.get(i)) {
        Some(r) => {
            let arm = r.recommends.clone().unwrap_or_default();
            text.push_str(&format!(
                "The data support {arm} for this participant: {} has probability {}{}.",
                r.meaning,
                prob_text(r.probability),
                settled(r)
            ));
            text.push_str(&format!(
                " This meets the protocol's rule `recommend {arm} if {}`.",
                r.statement
            ));
            (ConclusionKind::Recommend, Some(arm))
        }
        None => {
            let recommend: Vec<&RuleReport> =
                rules.iter().filter(|r| r.kind == "recommend").collect();
            if recommend.is_empty() {
                text.push_str(
                    "The protocol has no recommend rule, so the data lead to no recommendation.",
                );
            } else {
                text.push_str("The data do not yet support a recommendation.");
                for r in recommend {
                    match r.probability {
                        Some(_) => text.push_str(&format!(
                            " {} has probability {}{}, short of the {} the protocol requires to recommend {}.",
                            capitalise(&r.meaning),
                            prob_text(r.probability),
                            settled(r),
                            required(r.required_probability),
                            r.recommends.as_deref().unwrap_or("?")
                        )),
                        None => text.push_str(&format!(
                            " The rule for {} could not be evaluated ({}).",
                            r.recommends.as_deref().unwrap_or("?"),
                            r.note.as_deref().unwrap_or("no posterior")
                        )),
                    }
                }
            }
            (ConclusionKind::Inconclusive, None)
        }
    };
    let stop = rules.iter().find(|r| r.kind == "stop early" && r.fires);
    if let Some(r) = stop {
        text.push_str(&format!(
            " The early-stopping criterion{} is met after {} complete period{}: {} has probability {}.",
            match r.benefit {
                Some(true) => " for benefit",
                Some(false) => " for harm",
                None => "",
            },
            r.periods_complete,
            if r.periods_complete == 1 { "" } else { "s" },
            r.meaning,
            prob_text(r.probability)
        ));
    } else if let Some(r) = rules
        .iter()
        .find(|r| r.kind == "stop early" && r.note.is_some() && r.probability.is_some())
    {
        text.push_str(&format!(
            " The early-stopping probability is reached, but the rule applies only after {} complete periods (the diary has {}).",
            r.after_periods.unwrap_or(0),
            r.periods_complete
        ));
    }
    if caveat {
        text.push_str(" The sampler reported convergence warnings (below): treat these probabilities as provisional until a longer run confirms them.");
    }
    Conclusion {
        kind,
        arm,
        rule: decided,
        stop_early: stop.is_some(),
        text,
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// " (within Monte Carlo error of the threshold …)" when |p - required| < 2 MCSE.
fn settled(r: &RuleReport) -> String {
    match (r.probability, r.mcse) {
        (Some(p), Some(se)) if (p - r.required_probability).abs() < 2.0 * se => format!(
            " (within two Monte Carlo standard errors, +/-{:.3}, of the required {}; more draws would settle it)",
            se,
            required(r.required_probability)
        ),
        _ => String::new(),
    }
}

/// A probability as a clinician reads it: two decimals, never "1.00" or
/// "0.00" (finite draws cannot show certainty).
pub fn prob_text(p: Option<f64>) -> String {
    match p {
        None => "not available".into(),
        Some(p) if p > 0.995 => "above 0.99".into(),
        Some(p) if p < 0.005 => "below 0.01".into(),
        Some(p) => format!("{p:.2}"),
    }
}

/// A required probability: at least two decimals (`0.80`), more if written
/// with more (`0.975`).
pub fn required(p: f64) -> String {
    let two = format!("{p:.2}");
    if two.parse::<f64>().ok() == Some(p) {
        two
    } else {
        num(p)
    }
}

/// A number as a person writes it: `0`, `0.8`, `1.5`, `0.85` (the one
/// number formatter, `trialc_runtime::fmt::num`).
pub fn num(v: f64) -> String {
    trialc_runtime::fmt::num(v)
}

/// Whether the statement describes a benefit, and the statement in words.
fn meaning(
    o: &hir::Outcome,
    c: &hir::Condition,
    arm: &str,
    reference: &str,
) -> (Option<bool>, String) {
    let lower = matches!(c.comparison, Comparison::Less | Comparison::LessEqual);
    let t = c.threshold;
    // A statement "below a negative bound" or "below 0" is about a decrease,
    // "above a positive bound" or "above 0" about an increase; a bound on the
    // other side of zero is neither a clear benefit nor a clear harm.
    let decrease = lower && t <= 0.0;
    let increase = !lower && t >= 0.0;
    let benefit = if decrease {
        Some(o.better == Direction::Lower)
    } else if increase {
        Some(o.better == Direction::Higher)
    } else {
        None
    };
    let vs = format!("with {arm} compared with {reference}");
    let mcid = c.threshold_text.contains("mcid");
    let name = &o.name;
    let unit = o.unit.as_deref().unwrap_or("units");
    // "1 points" reads wrong: a plural unit loses its `s` at exactly 1.
    let unit = if t.abs() == 1.0 {
        unit.strip_suffix('s').unwrap_or(unit)
    } else {
        unit
    };
    let words = match o.kind {
        OutcomeType::Continuous { .. } => {
            let size = num(t.abs());
            let important = if mcid {
                "a clinically important "
            } else {
                "a "
            };
            if t == 0.0 && decrease {
                format!("any reduction in {name} {vs}")
            } else if t == 0.0 && increase {
                format!("any increase in {name} {vs}")
            } else if decrease {
                format!("{important}reduction in {name} (more than {size} {unit}) {vs}")
            } else if increase {
                format!("{important}increase in {name} (more than {size} {unit}) {vs}")
            } else {
                format!(
                    "a difference in mean {name} {vs} {} {} {unit}",
                    if lower { "below" } else { "above" },
                    num(t)
                )
            }
        }
        OutcomeType::Binary | OutcomeType::Count { .. } | OutcomeType::Ordinal { .. } => {
            let ratio = o.kind.family().measure;
            let (lower_words, higher_words) = match o.kind {
                OutcomeType::Binary => (
                    format!("lower odds of {name}"),
                    format!("higher odds of {name}"),
                ),
                OutcomeType::Count { .. } => (
                    format!("a lower rate of {name}"),
                    format!("a higher rate of {name}"),
                ),
                _ => (
                    format!("lower levels of {name}"),
                    format!("higher levels of {name}"),
                ),
            };
            let important = if mcid { "clinically important " } else { "" };
            if t == 0.0 {
                format!("{} {vs}", if lower { lower_words } else { higher_words })
            } else {
                format!(
                    "{important}{} {vs} ({ratio} {} {})",
                    if lower { lower_words } else { higher_words },
                    if lower { "below" } else { "above" },
                    num(round_sig(t.exp()))
                )
            }
        }
    };
    (benefit, words)
}

/// Three significant digits, for ratios in prose.
fn round_sig(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let digits = 2 - v.abs().log10().floor() as i32;
    let f = 10f64.powi(digits);
    (v * f).round() / f
}
