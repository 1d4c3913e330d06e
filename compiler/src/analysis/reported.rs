//! The `report` block: probabilities and quantities the protocol
//! pre-specifies without a decision, summarised at the report's interval
//! level. Pure functions of the fits, like the decision rules.

use serde::Serialize;
use trialc_runtime::posterior::Posterior;

use super::decide::{evaluate_statement, quantity_text, quantity_value, StatementReport};
use super::effects::{summarise_values, Interval};
use crate::hir::{self, Direction, Estimate};
use crate::lower::LoweredOutcome;

/// The posterior summary of one pre-specified quantity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuantitySummary {
    /// As the spec language writes it: `odds_ratio of a vs b on gi_upset`.
    pub quantity: String,
    pub scale: &'static str,
    pub arm: String,
    pub versus: String,
    pub outcome: String,
    /// `None` when the fit cannot give it (see `note`).
    pub summary: Option<Interval>,
    /// P(the quantity favours `arm` over `versus`), read through the
    /// outcome's `better`.
    pub p_better: Option<f64>,
    pub note: Option<String>,
}

/// What the `report` block asks for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reported {
    /// The central interval's probability.
    pub interval: f64,
    /// `mean` or `median`: the point estimate shown beside intervals.
    pub estimate: &'static str,
    pub probabilities: Vec<StatementReport>,
    pub quantities: Vec<QuantitySummary>,
}

/// Evaluates the `report` block on the fits.
pub fn evaluate(spec: &hir::Spec, fits: &[(LoweredOutcome, Posterior)]) -> Reported {
    let settings = &spec.report;
    Reported {
        interval: settings.interval,
        estimate: match settings.estimate {
            Estimate::Mean => "mean",
            Estimate::Median => "median",
        },
        probabilities: settings
            .probabilities
            .iter()
            .map(|s| evaluate_statement(spec, fits, s))
            .collect(),
        quantities: settings
            .summaries
            .iter()
            .map(|q| summarise(spec, fits, q))
            .collect(),
    }
}

fn summarise(
    spec: &hir::Spec,
    fits: &[(LoweredOutcome, Posterior)],
    q: &hir::Quantity,
) -> QuantitySummary {
    let name = |i: usize| {
        spec.arms
            .get(i)
            .map_or("?", |a| a.name.as_str())
            .to_string()
    };
    let outcome = spec.outcomes.get(q.outcome);
    let mut out = QuantitySummary {
        quantity: quantity_text(spec, q),
        scale: q.scale.word(),
        arm: name(q.arm),
        versus: name(q.versus),
        outcome: outcome.map_or_else(|| "?".into(), |o| o.name.clone()),
        summary: None,
        p_better: None,
        note: None,
    };
    let Some((lowered, post)) = fits.iter().find(|(l, _)| l.outcome == q.outcome) else {
        out.note = Some(format!(
            "not evaluated: outcome `{}` was not fitted",
            out.outcome
        ));
        return out;
    };
    match quantity_value(spec, lowered, q) {
        Ok(value) => {
            let values: Vec<f64> = post.iter_draws().map(&value).collect();
            // "No difference" is 0, or 1 for a ratio; a risk difference
            // has the effect's sign.
            let null = q.scale.null();
            let better = |v: f64| match outcome.map(|o| o.better) {
                Some(Direction::Lower) => v < null,
                Some(Direction::Higher) => v > null,
                None => false,
            };
            let n = values.len().max(1) as f64;
            out.p_better = Some(values.iter().filter(|v| better(**v)).count() as f64 / n);
            out.summary = Some(summarise_values(&values, spec.report.interval));
        }
        Err(why) => out.note = Some(format!("not evaluated: {why}")),
    }
    out
}
