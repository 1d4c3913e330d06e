//! The `simulate` block, checked: scenarios with names resolved and MCIDs
//! substituted, requirements, and the designs of a sweep. What the
//! simulation does with them is `crate::simulate` (docs/simulate.md).

use super::{Arm, Comparison, Direction, Model, Outcome};
use crate::diagnostic::Span;

/// A checked `simulate` block (or the same entries given on the command line).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Simulate {
    /// `replicates N`, when given.
    pub replicates: Option<u64>,
    /// In the order written; names are distinct.
    pub scenarios: Vec<Scenario>,
    pub requirements: Vec<Requirement>,
    pub sweep: Option<Sweep>,
}

/// One scenario: the true values of the parameters it sets (the others:
/// effects and carryover 0, everything else drawn from its prior), and how
/// the diary is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub values: Vec<TrueSetting>,
    /// Probability that a scheduled measurement is missing (each outcome and
    /// day independently).
    pub missing: f64,
    /// Probability of dropping out during a period (at a uniformly drawn
    /// day of it).
    pub dropout: f64,
    /// Share of treatment days on which the scheduled arm is taken; on the
    /// others the participant takes nothing (the reference arm's level).
    pub adherence: f64,
    /// Whether a missed day is recorded in the diary (`none`, not
    /// analysed) or not (`unrecorded`: analysed as scheduled).
    pub adherence_recorded: bool,
    pub span: Span,
}

impl Scenario {
    /// The one setting with a grid of values, if any.
    pub fn grid(&self) -> Option<&TrueSetting> {
        self.values.iter().find(|s| s.values.len() > 1)
    }
}

/// What a scenario sets: one parameter of one outcome's model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrueParameter {
    /// The effect of this arm against the reference.
    Effect {
        arm: usize,
    },
    /// The carryover of this arm into the next period.
    Carryover {
        arm: usize,
    },
    Intercept,
    /// Per the model's own `per` unit.
    Trend,
    Sigma,
    Phi,
    Dispersion,
    Cutpoints,
}

/// `PARAMETER on OUTCOME = VALUE` (one value) or `in [V, …]` (a grid).
#[derive(Debug, Clone, PartialEq)]
pub struct TrueSetting {
    pub outcome: usize,
    pub parameter: TrueParameter,
    pub values: Vec<TrueValue>,
    /// The setting as written, for labels: `effect of magnesium on pain`.
    pub text: String,
    /// Each value as written (`-mcid`, `1.5`, `lfm.H1`).
    pub value_texts: Vec<String>,
    pub span: Span,
}

/// A true value.
#[derive(Debug, Clone, PartialEq)]
pub enum TrueValue {
    /// A number on the parameter's scale (`mcid` already substituted).
    Number(f64),
    /// Drawn from the parameter's prior in every replicate.
    Prior,
    /// The mean of an LFM hypothesis' effect, resolved with the files.
    Hypothesis {
        source: String,
        id: String,
        span: Span,
    },
    /// Cutpoints, increasing.
    Vector(Vec<f64>),
}

/// What a requirement counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimulatedEvent {
    /// The conclusion recommends this arm.
    Recommend(usize),
    /// A stop-early rule stopped the trial at an interim look.
    StopEarly,
    /// No recommend rule fired.
    Inconclusive,
}

/// `require P(EVENT) CMP PROBABILITY under SCENARIO`.
#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    pub event: SimulatedEvent,
    pub comparison: Comparison,
    pub probability: f64,
    /// Index into [`Simulate::scenarios`] (never a grid scenario).
    pub scenario: usize,
    /// As written: `P(recommend magnesium) >= 0.8 under benefit`.
    pub text: String,
    pub span: Span,
}

/// The designs of a sweep: the spec's schedule with one field changed.
#[derive(Debug, Clone, PartialEq)]
pub enum Sweep {
    /// Numbers of cycles.
    Cycles(Vec<u64>),
    /// Period lengths in days.
    PeriodDays(Vec<u64>),
}

/// The scenarios of a simulation that writes none: `null` (every effect
/// 0) and `mcid` (every effect at its outcome's MCID in the `better`
/// direction; 0 where the outcome has no MCID). Requirements may name them.
pub fn default_scenarios(arms: &[Arm], outcomes: &[Outcome], models: &[Model]) -> Vec<Scenario> {
    let blank = |name: &str| Scenario {
        name: name.into(),
        values: Vec::new(),
        missing: 0.0,
        dropout: 0.0,
        adherence: 1.0,
        adherence_recorded: true,
        span: Span::default(),
    };
    let mut mcid = blank("mcid");
    for model in models {
        let Some(outcome) = outcomes.get(model.outcome) else {
            continue;
        };
        let Some(m) = outcome.mcid else {
            continue;
        };
        let (value, text) = match outcome.better {
            Direction::Lower => (-m, "-mcid"),
            Direction::Higher => (m, "mcid"),
        };
        for e in &model.effects {
            mcid.values.push(TrueSetting {
                outcome: model.outcome,
                parameter: TrueParameter::Effect { arm: e.arm },
                values: vec![TrueValue::Number(value)],
                text: format!(
                    "effect of {} on {}",
                    arms.get(e.arm).map_or("?", |a| a.name.as_str()),
                    outcome.name
                ),
                value_texts: vec![text.into()],
                span: Span::default(),
            });
        }
    }
    vec![blank("null"), mcid]
}
