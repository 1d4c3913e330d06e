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

use super::effects::{element_of, logistic};
use crate::hir::{self, Comparison, Direction, OutcomeType, Rule, RuleKind, Scale};
use crate::lower::{LoweredOutcome, Role};

/// One statement `QUANTITY CMP THRESHOLD` and its posterior probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatementReport {
    /// As the spec language writes it: `effect of a vs b on pain < -mcid`.
    pub statement: String,
    /// `effect`, `odds_ratio`, `rate_ratio`, `risk_difference`.
    pub scale: &'static str,
    /// The arm the quantity is about ...
    pub arm: String,
    /// ... compared with this one (the reference unless the spec says `vs`).
    pub versus: String,
    pub outcome: String,
    /// `<`, `<=`, `>`, `>=`.
    pub comparison: &'static str,
    /// On the quantity's scale, MCID substituted.
    pub threshold: f64,
    /// As written (`-mcid`, `0`, `0.8`).
    pub threshold_text: String,
    /// `None` when the outcome was not fitted or has no such effect.
    pub probability: Option<f64>,
    pub mcse: Option<f64>,
    /// Whether the statement describes a benefit of `arm` over `versus`
    /// (read through the outcome's `better`); `None` when it is neither (a
    /// bound on the far side of no difference).
    pub benefit: Option<bool>,
    /// The statement in words.
    pub meaning: String,
    /// Why it could not be evaluated.
    pub note: Option<String>,
}

/// One condition `P(STATEMENT) CMP PROBABILITY` of a rule, evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConditionReport {
    #[serde(flatten)]
    pub statement: StatementReport,
    pub required_comparison: &'static str,
    pub required_probability: f64,
    /// The probability meets the requirement.
    pub met: bool,
}

/// One `when` rule, evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleReport {
    /// `recommend` or `stop early`.
    pub kind: &'static str,
    /// The arm a `recommend` rule recommends.
    pub recommends: Option<String>,
    /// `stop early … after N periods`.
    pub after_periods: Option<u64>,
    /// The rule's conditions as the spec language writes them, joined by
    /// `and`.
    pub statement: String,
    /// Every condition; the rule fires when all are met.
    pub conditions: Vec<ConditionReport>,
    /// Periods complete in the diary (for `after N periods`).
    pub periods_complete: u64,
    pub fires: bool,
    /// Why a rule whose conditions are met does not fire, or why it could
    /// not be evaluated.
    pub note: Option<String>,
}

impl RuleReport {
    /// The conditions in words with their probabilities: "a … has
    /// probability 0.91 and a … has probability 0.85".
    pub fn findings(&self) -> String {
        self.conditions
            .iter()
            .map(|c| {
                format!(
                    "{} has probability {}",
                    c.statement.meaning,
                    prob_text(c.statement.probability)
                )
            })
            .collect::<Vec<_>>()
            .join(", and ")
    }
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

/// The per-draw value of a quantity, as a function of a draw's
/// constrained vector; `Err` says why the fit cannot give it.
pub(super) fn quantity_value<'a>(
    spec: &hir::Spec,
    lowered: &'a LoweredOutcome,
    q: &hir::Quantity,
) -> Result<impl Fn(&[f64]) -> f64 + 'a, String> {
    // The reference arm's effect is 0; any other arm needs its parameter.
    let element = |arm: usize| -> Result<Option<usize>, String> {
        if arm == spec.reference {
            return Ok(None);
        }
        lowered
            .effect(arm)
            .and_then(|p| element_of(lowered, p))
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "the model of `{}` has no effect of `{}`",
                    outcome_name(spec, q.outcome),
                    arm_name(spec, arm)
                )
            })
    };
    let (a, b) = (element(q.arm)?, element(q.versus)?);
    let intercept = match q.scale {
        Scale::RiskDifference => Some(
            lowered
                .params
                .iter()
                .find(|p| p.role == Role::Intercept)
                .and_then(|p| element_of(lowered, p))
                .ok_or_else(|| {
                    format!(
                        "the model of `{}` has no intercept to give a risk",
                        outcome_name(spec, q.outcome)
                    )
                })?,
        ),
        _ => None,
    };
    let scale = q.scale;
    Ok(move |t: &[f64]| {
        let at = |k: Option<usize>| k.and_then(|k| t.get(k).copied()).unwrap_or(0.0);
        let (ea, eb) = (at(a), at(b));
        match scale {
            Scale::Effect => ea - eb,
            Scale::OddsRatio | Scale::RateRatio => (ea - eb).exp(),
            Scale::RiskDifference => {
                let alpha = at(intercept);
                logistic(alpha + ea) - logistic(alpha + eb)
            }
        }
    })
}

/// A quantity as the spec language writes it.
pub fn quantity_text(spec: &hir::Spec, q: &hir::Quantity) -> String {
    let versus = if q.versus == spec.reference {
        String::new()
    } else {
        format!(" vs {}", arm_name(spec, q.versus))
    };
    format!(
        "{} of {}{versus} on {}",
        q.scale.word(),
        arm_name(spec, q.arm),
        outcome_name(spec, q.outcome)
    )
}

/// P(statement) from the fit of its outcome.
pub fn evaluate_statement(
    spec: &hir::Spec,
    fits: &[(LoweredOutcome, Posterior)],
    s: &hir::Statement,
) -> StatementReport {
    let q = &s.quantity;
    let fit = fits.iter().find(|(l, _)| l.outcome == q.outcome);
    let evaluated = match fit {
        None => Err(format!(
            "outcome `{}` was not fitted",
            outcome_name(spec, q.outcome)
        )),
        Some((l, post)) => quantity_value(spec, l, q)
            .map(|value| post.probability(|t| s.comparison.holds(value(t), s.threshold))),
    };
    let (probability, mcse, note) = match evaluated {
        Ok((p, se)) => (Some(p), Some(se), None),
        Err(why) => (None, None, Some(format!("not evaluated: {why}"))),
    };
    let (benefit, meaning) = match spec.outcomes.get(q.outcome) {
        Some(o) => meaning(o, s, &arm_name(spec, q.arm), &arm_name(spec, q.versus)),
        None => (None, quantity_text(spec, q)),
    };
    StatementReport {
        statement: format!(
            "{} {} {}",
            quantity_text(spec, q),
            s.comparison.symbol(),
            s.threshold_text
        ),
        scale: q.scale.word(),
        arm: arm_name(spec, q.arm),
        versus: arm_name(spec, q.versus),
        outcome: outcome_name(spec, q.outcome),
        comparison: s.comparison.symbol(),
        threshold: s.threshold,
        threshold_text: s.threshold_text.clone(),
        probability,
        mcse,
        benefit,
        meaning,
        note,
    }
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
            kind, conditions, ..
        } = rule
        else {
            continue;
        };
        let conditions: Vec<ConditionReport> = conditions
            .iter()
            .map(|c| {
                let statement = evaluate_statement(spec, fits, &c.statement);
                let met = statement
                    .probability
                    .is_some_and(|p| c.probability_comparison.holds(p, c.probability));
                ConditionReport {
                    statement,
                    required_comparison: c.probability_comparison.symbol(),
                    required_probability: c.probability,
                    met,
                }
            })
            .collect();
        let after_periods = match kind {
            RuleKind::StopEarly { after_periods } => *after_periods,
            RuleKind::Recommend { .. } => None,
        };
        let all_met = conditions.iter().all(|c| c.met);
        let enough_periods = after_periods.is_none_or(|n| periods_complete >= n);
        let unevaluated = conditions.iter().find_map(|c| c.statement.note.clone());
        let note = if unevaluated.is_some() {
            unevaluated
        } else if all_met && !enough_periods {
            Some(format!(
                "the probability is met, but the rule applies after {} complete periods and the diary has {periods_complete}",
                after_periods.unwrap_or(0)
            ))
        } else {
            None
        };
        let statement = conditions
            .iter()
            .map(|c| {
                format!(
                    "P({}) {} {}",
                    c.statement.statement,
                    c.required_comparison,
                    required(c.required_probability)
                )
            })
            .collect::<Vec<_>>()
            .join(" and ");
        out.push(RuleReport {
            kind: match kind {
                RuleKind::Recommend { .. } => "recommend",
                RuleKind::StopEarly { .. } => "stop early",
            },
            recommends: match kind {
                RuleKind::Recommend { arm } => Some(arm_name(spec, *arm)),
                RuleKind::StopEarly { .. } => None,
            },
            after_periods,
            statement,
            conditions,
            periods_complete,
            fires: all_met && enough_periods,
            note,
        });
    }
    out
}

fn arm_name(spec: &hir::Spec, arm: usize) -> String {
    spec.arms
        .get(arm)
        .map_or_else(|| format!("#{arm}"), |a| a.name.clone())
}

fn outcome_name(spec: &hir::Spec, outcome: usize) -> String {
    spec.outcomes
        .get(outcome)
        .map_or_else(|| format!("#{outcome}"), |o| o.name.clone())
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
            let findings: Vec<String> = r
                .conditions
                .iter()
                .map(|c| {
                    format!(
                        "{} has probability {}{}",
                        c.statement.meaning,
                        prob_text(c.statement.probability),
                        settled(c)
                    )
                })
                .collect();
            text.push_str(&format!(
                "The data support {arm} for this participant: {}.",
                findings.join(", and ")
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
                    let arm = r.recommends.as_deref().unwrap_or("?");
                    if let Some(why) = &r.note {
                        text.push_str(&format!(
                            " The rule for {arm} could not be evaluated ({}).",
                            why.strip_prefix("not evaluated: ").unwrap_or(why)
                        ));
                        continue;
                    }
                    for c in r.conditions.iter().filter(|c| !c.met) {
                        let at_least = matches!(c.required_comparison, ">" | ">=");
                        text.push_str(&format!(
                            " {} has probability {}{}, {} the {} the protocol {} to recommend {arm}.",
                            capitalise(&c.statement.meaning),
                            prob_text(c.statement.probability),
                            settled(c),
                            if at_least { "short of" } else { "above" },
                            required(c.required_probability),
                            if at_least { "requires" } else { "allows" },
                        ));
                    }
                }
            }
            (ConclusionKind::Inconclusive, None)
        }
    };
    let stop = rules.iter().find(|r| r.kind == "stop early" && r.fires);
    if let Some(r) = stop {
        let benefit: Vec<Option<bool>> = r.conditions.iter().map(|c| c.statement.benefit).collect();
        text.push_str(&format!(
            " The early-stopping criterion{} is met after {} complete period{}: {}.",
            if benefit.iter().all(|b| *b == Some(true)) {
                " for benefit"
            } else if benefit.iter().all(|b| *b == Some(false)) {
                " for harm"
            } else {
                ""
            },
            r.periods_complete,
            if r.periods_complete == 1 { "" } else { "s" },
            r.findings()
        ));
    } else if let Some(r) = rules
        .iter()
        .find(|r| r.kind == "stop early" && r.note.is_some() && r.conditions.iter().all(|c| c.met))
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
fn settled(r: &ConditionReport) -> String {
    match (r.statement.probability, r.statement.mcse) {
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

/// Whether the statement describes a benefit of `arm` over `versus`, and
/// the statement in words.
fn meaning(
    o: &hir::Outcome,
    s: &hir::Statement,
    arm: &str,
    versus: &str,
) -> (Option<bool>, String) {
    let lower = matches!(s.comparison, Comparison::Less | Comparison::LessEqual);
    let scale = s.quantity.scale;
    let t = s.threshold;
    // The threshold's position against "no difference" (0, or 1 for a
    // ratio), on the effect's own scale: a statement "below a bound under
    // no difference" is about a decrease, "above a bound over it" about an
    // increase; a bound on the other side is neither a clear benefit nor a
    // clear harm.
    let relative = if scale.is_ratio() { t.ln() } else { t };
    let decrease = lower && relative <= 0.0;
    let increase = !lower && relative >= 0.0;
    let benefit = if decrease {
        Some(o.better == Direction::Lower)
    } else if increase {
        Some(o.better == Direction::Higher)
    } else {
        None
    };
    let vs = format!("with {arm} compared with {versus}");
    let mcid = s.threshold_text.contains("mcid");
    let name = &o.name;
    let unit = o.unit.as_deref().unwrap_or("units");
    // "1 points" reads wrong: a plural unit loses its `s` at exactly 1.
    let unit = if t.abs() == 1.0 {
        unit.strip_suffix('s').unwrap_or(unit)
    } else {
        unit
    };
    let below_above = if lower { "below" } else { "above" };
    let words = match (o.kind, scale) {
        (_, Scale::RiskDifference) => {
            let points = num(round_sig(t.abs() * 100.0));
            if t == 0.0 {
                format!(
                    "a {} risk of {name} {vs}",
                    if lower { "lower" } else { "higher" }
                )
            } else if decrease || increase {
                format!(
                    "a risk of {name} {} by more than {points} percentage points {vs}",
                    if lower { "lower" } else { "higher" }
                )
            } else {
                format!("a risk difference in {name} {vs} {below_above} {}", num(t))
            }
        }
        (OutcomeType::Continuous { .. }, _) => {
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
                format!("a difference in mean {name} {vs} {below_above} {}", num(t))
            }
        }
        (
            OutcomeType::Binary
            | OutcomeType::Binomial { .. }
            | OutcomeType::Count { .. }
            | OutcomeType::Ordinal { .. },
            _,
        ) => {
            let ratio = o.kind.family().measure;
            let (lower_words, higher_words) = match o.kind {
                OutcomeType::Binary | OutcomeType::Binomial { .. } => (
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
            let bound = if scale.is_ratio() {
                s.threshold_text.clone()
            } else {
                num(round_sig(t.exp()))
            };
            let direction = if lower { lower_words } else { higher_words };
            if relative == 0.0 {
                format!("{direction} {vs}")
            } else if decrease || increase {
                format!("{important}{direction} {vs} ({ratio} {below_above} {bound})")
            } else {
                format!(
                    "{} {ratio} of {name} {vs} {below_above} {bound}",
                    article(ratio)
                )
            }
        }
    };
    (benefit, words)
}

/// `a` or `an` before a word (the measures' names: "an odds ratio").
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
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
