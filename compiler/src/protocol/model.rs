//! The analysis in protocol terms: priors, quantities, conditions and rules
//! as the spec writes them and in words, and each outcome's model as a
//! formula. Shared by the protocol and the amendment.

use trialc_runtime::fmt::{exact, num};

use crate::hir::{self, Comparison, ErrorStructure, Likelihood, OutcomeType, PriorDist, Scale};

/// A prior as the spec writes it.
pub fn prior_spec(prior: &hir::Prior) -> String {
    match &prior.dist {
        PriorDist::Dist(d) => d.to_string(),
        PriorDist::InducedDirichlet { alpha } => format!("induced_dirichlet({})", num(*alpha)),
        PriorDist::Mixture(parts) => {
            let parts: Vec<String> = parts
                .iter()
                .map(|(w, p)| format!("{}: {}", num(*w), prior_spec(p)))
                .collect();
            format!("mixture({})", parts.join(", "))
        }
        PriorDist::Hypothesis {
            source,
            id,
            discount,
            robust,
            vague,
        } => {
            let mut s = format!(
                "{source}.{id} discount {} robust {}",
                num(*discount),
                num(*robust)
            );
            if let Some(v) = vague {
                s.push_str(" vague ");
                s.push_str(&prior_spec(v));
            }
            s
        }
    }
}

/// The parameters of a model with their priors, in the order the protocol
/// lists them: (name as the spec writes it, prior, meaning).
pub fn parameters<'a>(
    spec: &'a hir::Spec,
    model: &'a hir::Model,
) -> Vec<(String, &'a hir::Prior, String)> {
    let reference = arm_name(spec, spec.reference);
    let mut out = Vec::new();
    for e in &model.effects {
        out.push((
            format!("effect {}", arm_name(spec, e.arm)),
            &e.prior,
            format!("δ of {} against {reference}", arm_name(spec, e.arm)),
        ));
    }
    match &model.likelihood {
        Likelihood::Normal { intercept, errors } => {
            out.push((
                "intercept".into(),
                intercept,
                format!("α, the level on {reference} mid-trial"),
            ));
            out.push((
                "sigma".into(),
                &errors.sigma,
                match errors.structure {
                    ErrorStructure::Ar1 => {
                        "σ, the SD of one day's new noise (AR(1) innovation)".into()
                    }
                    ErrorStructure::Independent => "σ, the residual SD".into(),
                },
            ));
            if let Some(phi) = &errors.phi {
                out.push((
                    "phi".into(),
                    phi,
                    "φ, the correlation of consecutive days".into(),
                ));
            }
        }
        Likelihood::Bernoulli { intercept } | Likelihood::Binomial { intercept } => {
            out.push((
                "intercept".into(),
                intercept,
                format!("α, the log odds on {reference} mid-trial"),
            ));
        }
        Likelihood::Poisson { intercept } => {
            out.push((
                "intercept".into(),
                intercept,
                format!("α, the log rate on {reference} mid-trial"),
            ));
        }
        Likelihood::NegBinomial {
            intercept,
            dispersion,
        } => {
            out.push((
                "intercept".into(),
                intercept,
                format!("α, the log rate on {reference} mid-trial"),
            ));
            out.push((
                "dispersion".into(),
                dispersion,
                "ψ, variance μ + μ²/ψ".into(),
            ));
        }
        Likelihood::OrderedLogistic { cutpoints } => {
            out.push((
                "cutpoints".into(),
                cutpoints,
                "c₁ < … < c_(K−1), in place of an intercept".into(),
            ));
        }
    }
    if let Some(t) = &model.trend {
        out.push((
            "trend".into(),
            &t.prior,
            format!("β, the change per {} days", t.per_days),
        ));
    }
    for c in &model.carryover {
        out.push((
            format!("carryover {}", arm_name(spec, c.arm)),
            &c.prior,
            format!(
                "γ, carryover of {} into the next period",
                arm_name(spec, c.arm)
            ),
        ));
    }
    for c in &model.covariates {
        out.push((
            format!("covariate {}", c.column),
            &c.prior,
            format!(
                "the change per {} of `{}` (centred on its analysed days' mean)",
                if c.standardised { "SD" } else { "unit" },
                c.column
            ),
        ));
    }
    if let Some(lag) = &model.lag {
        out.push((
            "lag".into(),
            lag,
            "ρ, the weight of the previous measurement (ρ^g across a gap of g)".into(),
        ));
    }
    if let Some(latent) = &model.latent_ar1 {
        out.push((
            "latent sigma".into(),
            &latent.sigma,
            "σ, the SD of the latent AR(1) process's daily innovation (link scale)".into(),
        ));
        out.push((
            "latent phi".into(),
            &latent.phi,
            "φ, the latent process's correlation per time unit".into(),
        ));
    }
    if let Some(rate) = &model.carryover_decay {
        out.push((
            "carryover decay rate".into(),
            rate,
            "λ, the rate at which the previous arm's effect fades after a switch".into(),
        ));
    }
    out
}

pub fn arm_name(spec: &hir::Spec, arm: usize) -> &str {
    spec.arms.get(arm).map_or("?", |a| a.name.as_str())
}

pub fn outcome_name(spec: &hir::Spec, outcome: usize) -> &str {
    spec.outcomes.get(outcome).map_or("?", |o| o.name.as_str())
}

/// `effect of magnesium vs placebo on pain` (always explicit).
pub fn quantity_spec(spec: &hir::Spec, q: &hir::Quantity) -> String {
    format!(
        "{} of {} vs {} on {}",
        q.scale.word(),
        arm_name(spec, q.arm),
        arm_name(spec, q.versus),
        outcome_name(spec, q.outcome)
    )
}

pub fn statement_spec(spec: &hir::Spec, s: &hir::Statement) -> String {
    format!(
        "{} {} {}",
        quantity_spec(spec, &s.quantity),
        s.comparison.symbol(),
        s.threshold_text
    )
}

pub fn condition_spec(spec: &hir::Spec, c: &hir::Condition) -> String {
    format!(
        "P({}) {} {}",
        statement_spec(spec, &c.statement),
        c.probability_comparison.symbol(),
        exact(c.probability)
    )
}

/// A rule as the spec writes it, every quantity explicit.
pub fn rule_spec(spec: &hir::Spec, rule: &hir::Rule) -> String {
    match rule {
        hir::Rule::Otherwise { .. } => "otherwise inconclusive".into(),
        hir::Rule::When {
            kind, conditions, ..
        } => {
            let conditions: Vec<String> =
                conditions.iter().map(|c| condition_spec(spec, c)).collect();
            let conditions = conditions.join(" and ");
            match kind {
                hir::RuleKind::Recommend { arm } => {
                    format!("recommend {} if {conditions}", arm_name(spec, *arm))
                }
                hir::RuleKind::StopEarly { after_periods } => match after_periods {
                    Some(n) => format!("stop early if {conditions} after {n} periods"),
                    None => format!("stop early if {conditions}"),
                },
            }
        }
    }
}

fn comparison_words(c: Comparison) -> &'static str {
    match c {
        Comparison::Less => "below",
        Comparison::LessEqual => "at most",
        Comparison::Greater => "above",
        Comparison::GreaterEqual => "at least",
    }
}

/// The quantity in words: "the difference magnesium − placebo in pain (points)".
pub fn quantity_words(spec: &hir::Spec, q: &hir::Quantity) -> String {
    let (a, b) = (arm_name(spec, q.arm), arm_name(spec, q.versus));
    let outcome = spec.outcomes.get(q.outcome);
    let name = outcome_name(spec, q.outcome);
    match q.scale {
        Scale::Effect => {
            let scale = outcome.map_or("effect scale", |o| o.kind.effect_scale());
            let unit = match (
                outcome.and_then(|o| o.unit.as_deref()),
                outcome.map(|o| o.kind),
            ) {
                (Some(u), Some(OutcomeType::Continuous { .. })) => u.to_string(),
                _ => scale.to_string(),
            };
            format!("the difference {a} − {b} in {name} ({unit})")
        }
        Scale::OddsRatio => format!("the odds ratio of {name}, {a} vs {b}"),
        Scale::RateRatio => format!("the rate ratio of {name}, {a} vs {b}"),
        Scale::RiskDifference => format!("the difference in the daily risk of {name}, {a} − {b}"),
    }
}

/// Whether the statement says that its arm is better than the arm it is
/// compared with (read through the outcome's `better`).
pub fn is_benefit(spec: &hir::Spec, s: &hir::Statement) -> Option<bool> {
    let outcome = spec.outcomes.get(s.quantity.outcome)?;
    let null = s.quantity.scale.null();
    let below = matches!(s.comparison, Comparison::Less | Comparison::LessEqual);
    let lower_better = outcome.better == hir::Direction::Lower;
    if below && s.threshold <= null {
        Some(lower_better)
    } else if !below && s.threshold >= null {
        Some(!lower_better)
    } else {
        None
    }
}

/// A condition in words.
pub fn condition_words(spec: &hir::Spec, c: &hir::Condition) -> String {
    let s = &c.statement;
    let mut threshold = exact(s.threshold);
    if s.threshold_text.contains("mcid") {
        threshold = format!(
            "{threshold}, the {}",
            s.threshold_text.replace("mcid", "MCID")
        );
    }
    let reading = match is_benefit(spec, s) {
        Some(true) => format!(
            " (a benefit of {} over {})",
            arm_name(spec, s.quantity.arm),
            arm_name(spec, s.quantity.versus)
        ),
        Some(false) => format!(
            " ({} worse than {})",
            arm_name(spec, s.quantity.arm),
            arm_name(spec, s.quantity.versus)
        ),
        None => String::new(),
    };
    format!(
        "the posterior probability is {} {} that {} is {} {threshold}{reading}",
        comparison_words(c.probability_comparison),
        exact(c.probability),
        quantity_words(spec, &s.quantity),
        comparison_words(s.comparison),
    )
}

/// The outcome's model in words.
pub fn model_words(spec: &hir::Spec, outcome: &hir::Outcome, model: &hir::Model) -> String {
    let family = outcome.kind.family();
    let mut s = match &model.likelihood {
        Likelihood::Normal { errors, .. } => match errors.structure {
            ErrorStructure::Ar1 => "normal, with AR(1) errors in calendar days (exact across washout, missing and unmeasured days: two values g days apart have correlation φ^g)".to_string(),
            ErrorStructure::Independent => "normal, with independent errors".to_string(),
        },
        Likelihood::Bernoulli { .. } => "Bernoulli with a logit link".into(),
        Likelihood::Binomial { .. } => "binomial (successes of trials) with a logit link".into(),
        Likelihood::Poisson { .. } => "Poisson with a log link".into(),
        Likelihood::NegBinomial { .. } => "negative binomial (NB2) with a log link".into(),
        Likelihood::OrderedLogistic { .. } => format!(
            "ordered logistic (cumulative logit, proportional odds) over {} levels",
            outcome.kind.levels()
        ),
    };
    s = format!("`{}` is modelled as {s}", outcome.name);
    if let Some(t) = &model.trend {
        s.push_str(&format!(
            ", with a linear time trend per {} days centred on the mean analysed day",
            t.per_days
        ));
    }
    if !model.carryover.is_empty() {
        s.push_str(", with first-order carryover terms for the period after a switch");
    }
    let effects: Vec<&str> = model
        .effects
        .iter()
        .map(|e| arm_name(spec, e.arm))
        .collect();
    s.push_str(&format!(
        ". The effect of {} against {} is on the {} scale; it is reported as the {}.",
        effects.join(" and of "),
        arm_name(spec, spec.reference),
        family.effect_scale,
        family.measure
    ));
    s
}

/// The outcome's model as formulas (plain text, Unicode).
pub fn formula(spec: &hir::Spec, outcome: &hir::Outcome, model: &hir::Model) -> String {
    let mut eta = match model.likelihood {
        Likelihood::OrderedLogistic { .. } => "η_d = δ[a(d)]".to_string(),
        _ => "η_d = α + δ[a(d)]".to_string(),
    };
    if let Some(t) = &model.trend {
        eta.push_str(&format!(" + β·(d − d̄)/{}", t.per_days));
    }
    if !model.carryover.is_empty() {
        eta.push_str(" + Σ_k γ_k·C_k(d)");
    }
    let reference = arm_name(spec, spec.reference);
    let mut lines = vec![
        format!(
            "for each analysed day d of `{}`, with a(d) the arm taken that day:",
            outcome.name
        ),
        format!("  {eta},   δ[{reference}] = 0"),
    ];
    match &model.likelihood {
        Likelihood::Normal { errors, .. } => match errors.structure {
            ErrorStructure::Independent => lines.push("  y_d ~ normal(η_d, σ)".into()),
            ErrorStructure::Ar1 => {
                lines.push("  y_d = η_d + e_d,   e_1 ~ normal(0, σ/√(1 − φ²))".into());
                lines.push("  e_d | e_d′ ~ normal(φ^g·e_d′, σ·√((1 − φ^(2g))/(1 − φ²))),   d′ the previous analysed day, g = d − d′".into());
            }
        },
        Likelihood::Bernoulli { .. } => lines.push("  y_d ~ Bernoulli(1/(1 + exp(−η_d)))".into()),
        Likelihood::Binomial { .. } => {
            lines.push("  y_d ~ binomial(n_d, 1/(1 + exp(−η_d))),   n_d the day's trials".into())
        }
        Likelihood::Poisson { .. } => lines.push("  y_d ~ Poisson(exp(η_d))".into()),
        Likelihood::NegBinomial { .. } => {
            lines.push("  y_d ~ NB2(μ_d = exp(η_d), ψ),   variance μ_d + μ_d²/ψ".into())
        }
        Likelihood::OrderedLogistic { .. } => {
            if let OutcomeType::Ordinal { low, high } = outcome.kind {
                lines.push(format!(
                    "  P(y_d ≤ k-th level) = 1/(1 + exp(−(c_k − η_d))),   k = 1 … K−1, K = {} levels ({low} … {high})",
                    outcome.kind.levels()
                ));
            }
        }
    }
    if !model.carryover.is_empty() {
        lines.push("  C_k(d) = 1 on a day of a period that follows a period on arm k, when the arm taken is not k".into());
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_of(source: &str) -> hir::Spec {
        let (ast, d) = crate::syntax::parse(source);
        assert!(d.is_empty(), "{d:?}");
        let (spec, d) = hir::check(&ast);
        spec.unwrap_or_else(|| panic!("{d:?}"))
    }

    const SPEC: &str = r#"
trial "t" {}
arm a "A 10 mg"
arm b "B" reference
schedule {
  period 7 days
  cycles 3
  sequence alternating
  washout 2 days
}
outcome pain "Pain" {
  type continuous in [0, 10]
  better lower
  mcid 1
  unit "points"
  primary
}
model pain {
  effect a ~ mixture(0.5: normal(-1, 1), 0.5: normal(0, 2))
  errors ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(2))
  trend ~ normal(0, 0.5) per 28 days
}
decide {
  recommend a if P(effect on pain < -mcid) >= 0.8
  stop early if P(effect on pain > 0) >= 0.95 after 4 periods
  otherwise inconclusive
}
"#;

    #[test]
    fn rules_are_written_back_with_every_quantity_explicit() {
        let spec = spec_of(SPEC);
        let rules: Vec<String> = spec.rules.iter().map(|r| rule_spec(&spec, r)).collect();
        assert_eq!(
            rules,
            [
                "recommend a if P(effect of a vs b on pain < -mcid) >= 0.8",
                "stop early if P(effect of a vs b on pain > 0) >= 0.95 after 4 periods",
                "otherwise inconclusive"
            ]
        );
    }

    #[test]
    fn conditions_are_read_through_the_outcomes_direction() {
        let spec = spec_of(SPEC);
        let hir::Rule::When { conditions, .. } = &spec.rules[0] else {
            panic!("a rule")
        };
        let words = condition_words(&spec, &conditions[0]);
        assert_eq!(
            words,
            "the posterior probability is at least 0.8 that the difference a − b in pain (points) is below -1, the -MCID (a benefit of a over b)"
        );
        let hir::Rule::When { conditions, .. } = &spec.rules[1] else {
            panic!("a rule")
        };
        assert_eq!(is_benefit(&spec, &conditions[0].statement), Some(false));
    }

    #[test]
    fn every_parameter_is_listed_with_its_prior() {
        let spec = spec_of(SPEC);
        let names: Vec<(String, String)> = parameters(&spec, &spec.models[0])
            .into_iter()
            .map(|(n, p, _)| (n, prior_spec(p)))
            .collect();
        assert_eq!(
            names,
            [
                (
                    "effect a".to_string(),
                    "mixture(0.5: normal(-1, 1), 0.5: normal(0, 2))".to_string()
                ),
                ("intercept".into(), "normal(5, 5)".into()),
                ("sigma".into(), "half_normal(2)".into()),
                ("phi".into(), "uniform(-1, 1)".into()),
                ("trend".into(), "normal(0, 0.5)".into()),
            ]
        );
        let f = formula(&spec, &spec.outcomes[0], &spec.models[0]);
        assert!(
            f.contains("η_d = α + δ[a(d)] + β·(d − d̄)/28,   δ[b] = 0"),
            "{f}"
        );
        assert!(f.contains("φ^g"), "{f}");
    }
}
