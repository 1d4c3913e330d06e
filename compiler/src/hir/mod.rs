//! The checked, resolved spec (HIR): names resolved to indices, durations in
//! days, defaults filled in and marked as such. Built by `check` from the AST.
//!
//! Everything downstream (schedule, lowering, report) reads the HIR, never the
//! AST, and may assume the invariants `check` established: at least two arms,
//! exactly one reference arm, exactly one primary outcome, one model per
//! outcome, every prior's parameters in range.

pub mod check;
pub mod confusables;
pub mod names;
pub mod simulate;

pub use check::{check, check_simulate};

use crate::diagnostic::Span;
use crate::schedule::{ArmInfo, MeasurementPlan, ScheduleSpec};
pub use crate::schedule::{Blinding, Design as SequenceDesign, Measured, PeriodLengths, Window};
pub use trialc_runtime::mir::Dist;

#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub trial: TrialMeta,
    pub arms: Vec<Arm>,
    /// Index into `arms` of the reference arm.
    pub reference: usize,
    pub schedule: ScheduleDecl,
    pub outcomes: Vec<Outcome>,
    /// One model per outcome, in the order of `outcomes`.
    pub models: Vec<Model>,
    pub rules: Vec<Rule>,
    /// The `report` block: presentation and pre-specified quantities.
    pub report: ReportSettings,
    pub hypotheses: Vec<HypothesesSource>,
    /// The diary the spec names with `data "…"`.
    pub data: Option<Located<String>>,
    /// The `simulate` block: scenarios of a design simulation.
    pub simulate: Option<simulate::Simulate>,
}

impl Spec {
    /// What the schedule stage needs from the spec.
    pub fn schedule_spec(&self) -> ScheduleSpec {
        let s = &self.schedule;
        ScheduleSpec {
            trial_id: self.trial.id.clone(),
            arms: self
                .arms
                .iter()
                .map(|a| ArmInfo {
                    name: a.name.clone(),
                    description: a.description.clone(),
                })
                .collect(),
            reference: self.reference,
            run_in_days: s.run_in_days,
            period: s.period.clone(),
            n_periods: s.n_periods,
            design: s.design.clone(),
            max_run: s.max_run,
            washout_days: s.washout_days,
            seed: s.seed,
            start: s.start,
            blinding: s.blinding,
            outcomes: self
                .outcomes
                .iter()
                .map(|o| MeasurementPlan {
                    name: o.name.clone(),
                    measured: o.measured.clone(),
                })
                .collect(),
            window: s.window,
        }
    }
}

/// A value and where in the source it was written (or, for a default, the
/// span of the construct that received it).
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrialMeta {
    pub id: String,
    pub title: Option<String>,
    pub version: Option<String>,
    pub sponsor: Option<String>,
    pub registry: Option<String>,
    /// Doc comments of the trial block.
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    pub name: String,
    pub description: Option<String>,
    pub is_reference: bool,
    pub span: Span,
}

/// The schedule as declared, in days. `schedule::build` turns it into days and periods.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleDecl {
    pub start: Option<chrono::NaiveDate>,
    pub run_in_days: u64,
    /// The periods' lengths (`Equal(0)` for `sequence from data`, whose
    /// periods the diary gives).
    pub period: PeriodLengths,
    /// 0 for `sequence from data`.
    pub n_periods: u64,
    pub design: SequenceDesign,
    pub max_run: Option<u64>,
    pub washout_days: u64,
    /// `carryover modelled`: carryover terms enter the model.
    pub carryover_modelled: bool,
    pub blinding: Blinding,
    pub seed: u64,
    /// `window days A..B`: only these days are analysed.
    pub window: Option<Window>,
    /// The schedule block (or the `from` design reference).
    pub span: Span,
    /// Where each field came from, for diagnostics found later.
    pub field_spans: ScheduleSpans,
}

impl ScheduleDecl {
    /// The shortest period in days; `None` for `sequence from data`, whose
    /// periods only the diary knows.
    pub fn shortest_period(&self) -> Option<u64> {
        if self.design.is_realised() {
            None
        } else {
            self.period.shortest()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScheduleSpans {
    pub period: Option<Span>,
    pub washout: Option<Span>,
    pub max_run: Option<Span>,
    pub sequence: Option<Span>,
    pub cycles: Option<Span>,
    pub seed: Option<Span>,
    pub periods: Option<Span>,
    pub run_in: Option<Span>,
    /// The date of `start`.
    pub start: Option<Span>,
    /// The range of `window`.
    pub window: Option<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutcomeType {
    Continuous {
        bounds: Option<(f64, f64)>,
    },
    Binary,
    /// Successes of a number of trials: the same number every day, or
    /// (`None`) the number in the diary column `Outcome::trials_column`.
    Binomial {
        trials: Option<u64>,
    },
    Count {
        overdispersed: bool,
    },
    /// Levels `low..=high`, so `high - low + 1` categories.
    Ordinal {
        low: i64,
        high: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Lower,
    Higher,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub name: String,
    pub description: Option<String>,
    pub kind: OutcomeType,
    pub measured: Measured,
    pub better: Direction,
    pub mcid: Option<f64>,
    pub unit: Option<String>,
    pub primary: bool,
    pub span: Span,
    /// The diary column of a binomial outcome's trials (`binomial of COLUMN`).
    pub trials_column: Option<Located<String>>,
}

/// A prior, resolved: presets expanded, parameters checked.
#[derive(Debug, Clone, PartialEq)]
pub enum PriorDist {
    /// A univariate distribution of the runtime's table
    /// (`trialc_runtime::mir::DISTRIBUTIONS`), its arguments checked by it.
    Dist(Dist),
    /// The joint prior of ordinal cutpoints, one `alpha` for every category.
    InducedDirichlet {
        alpha: f64,
    },
    Mixture(Vec<(f64, Prior)>),
    /// An LFM hypothesis, resolved against its file by a later stage.
    Hypothesis {
        source: String,
        id: String,
        /// Variance inflation `w` in (0, 1]: sd becomes s / sqrt(w).
        discount: f64,
        /// Weight `r` in [0, 1) of the vague component.
        robust: f64,
        vague: Option<Box<Prior>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    pub dist: PriorDist,
    /// True when the spec did not give this prior and the documented default applies.
    pub default: bool,
    /// The written prior, or the construct that received the default.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStructure {
    Independent,
    Ar1,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub arm: usize,
    pub prior: Prior,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub prior: Prior,
    /// The trend is per `per_days` days.
    pub per_days: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub outcome: usize,
    /// One effect per non-reference arm, in arm order.
    pub effects: Vec<Effect>,
    pub trend: Option<Trend>,
    /// The likelihood with the priors of its own parameters: each family
    /// has exactly the parameters it needs (`family.rs`), defaults filled in.
    pub likelihood: Likelihood,
    /// Carryover per arm, when the schedule models carryover.
    pub carryover: Vec<Effect>,
    pub span: Span,
    /// Diary covariates (`covariate COLUMN …`), in spec order.
    pub covariates: Vec<CovariateTerm>,
    /// `lag ~ PRIOR`: the previous measurement of the outcome, its weight
    /// rho^g across a gap of g.
    pub lag: Option<Prior>,
    /// `errors ar1(…)` on a binary, binomial or count outcome: a latent
    /// AR(1) process on the linear predictor.
    pub latent_ar1: Option<LatentAr1>,
    /// `carryover decay(rate ~ PRIOR)`: the prior of the rate at which the
    /// previous arm's effect fades; washout days are then analysed.
    pub carryover_decay: Option<Prior>,
    /// `clock COLUMN`: the diary column the serial terms (AR(1) errors,
    /// latent AR(1), lag) count gaps in, instead of trial days.
    pub clock: Option<Located<String>>,
}

/// `covariate COLUMN [standardised] ~ PRIOR [missing excluded]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CovariateTerm {
    /// The diary column (another outcome's column is allowed).
    pub column: String,
    /// Centred and divided by its SD over the analysed days (else centred).
    pub standardised: bool,
    /// A day without a value is excluded (and counted) rather than an error.
    pub exclude_missing: bool,
    pub prior: Prior,
    /// The whole statement.
    pub span: Span,
    /// The column's name in the statement.
    pub column_span: Span,
}

/// The priors of a latent AR(1) process: innovation SD on the link scale
/// and correlation per time unit.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentAr1 {
    pub sigma: Prior,
    pub phi: Prior,
}

impl Model {
    /// The intercept's prior (every family but ordinal has one).
    pub fn intercept(&self) -> Option<&Prior> {
        match &self.likelihood {
            Likelihood::Normal { intercept, .. }
            | Likelihood::Bernoulli { intercept }
            | Likelihood::Binomial { intercept }
            | Likelihood::Poisson { intercept }
            | Likelihood::NegBinomial { intercept, .. } => Some(intercept),
            Likelihood::OrderedLogistic { .. } => None,
        }
    }
}

/// An outcome's likelihood and the priors of its family's parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Likelihood {
    /// Continuous: normal, independent or AR(1) errors.
    Normal { intercept: Prior, errors: Errors },
    /// Binary: Bernoulli with a logit link.
    Bernoulli { intercept: Prior },
    /// Binomial: successes of trials with a logit link.
    Binomial { intercept: Prior },
    /// Count: Poisson with a log link.
    Poisson { intercept: Prior },
    /// Overdispersed count: NB2 with a log link; `dispersion` is psi.
    NegBinomial { intercept: Prior, dispersion: Prior },
    /// Ordinal: ordered logistic; the cutpoints take the intercept's place.
    OrderedLogistic { cutpoints: Prior },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Errors {
    pub structure: ErrorStructure,
    pub sigma: Prior,
    /// AR(1) only.
    pub phi: Option<Prior>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Less => "<",
            Comparison::LessEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterEqual => ">=",
        }
    }
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Comparison::Less => left < right,
            Comparison::LessEqual => left <= right,
            Comparison::Greater => left > right,
            Comparison::GreaterEqual => left >= right,
        }
    }
}

/// The scale a quantity is stated on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scale {
    /// The model's own scale: difference in means, log odds ratio, log rate
    /// ratio, log cumulative odds ratio.
    Effect,
    /// exp(effect) for binary and ordinal outcomes.
    OddsRatio,
    /// exp(effect) for count outcomes.
    RateRatio,
    /// P(event | arm) - P(event | other arm), binary outcomes, at the
    /// intercept's level (mid-trial, the trend being centred there).
    RiskDifference,
}

impl Scale {
    /// As the spec writes it.
    pub fn word(self) -> &'static str {
        match self {
            Scale::Effect => "effect",
            Scale::OddsRatio => "odds_ratio",
            Scale::RateRatio => "rate_ratio",
            Scale::RiskDifference => "risk_difference",
        }
    }

    /// Whether the scale is a ratio (`exp` of the effect): thresholds are
    /// positive and "no difference" is 1.
    pub fn is_ratio(self) -> bool {
        matches!(self, Scale::OddsRatio | Scale::RateRatio)
    }

    /// The value meaning "no difference".
    pub fn null(self) -> f64 {
        if self.is_ratio() {
            1.0
        } else {
            0.0
        }
    }
}

/// A quantity comparing two arms on one outcome: `SCALE of ARM vs VERSUS on
/// OUTCOME` (VERSUS is the reference arm unless the spec names another).
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub scale: Scale,
    pub arm: usize,
    pub versus: usize,
    pub outcome: usize,
    pub span: Span,
}

/// `QUANTITY CMP THRESHOLD`
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub quantity: Quantity,
    pub comparison: Comparison,
    /// The threshold on the quantity's scale (MCID already substituted).
    pub threshold: f64,
    /// How the threshold was written, for the report (`-mcid`, `0`, `0.5`).
    pub threshold_text: String,
    pub span: Span,
}

/// `P(STATEMENT) PCMP PROBABILITY`
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub statement: Statement,
    pub probability_comparison: Comparison,
    pub probability: f64,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    Recommend { arm: usize },
    StopEarly { after_periods: Option<u64> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Fires when every condition holds (and, for `stop early … after N
    /// periods`, N periods are complete).
    When {
        kind: RuleKind,
        conditions: Vec<Condition>,
        span: Span,
    },
    Otherwise {
        span: Span,
    },
}

/// The point estimate the report shows beside each interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimate {
    Mean,
    Median,
}

/// The `report` block.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSettings {
    /// Probability of the central posterior interval (default 0.90).
    pub interval: f64,
    pub estimate: Estimate,
    /// `P(STATEMENT)` entries: probabilities reported without a decision.
    pub probabilities: Vec<Statement>,
    /// Quantities whose posterior summary is reported.
    pub summaries: Vec<Quantity>,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            interval: 0.9,
            estimate: Estimate::Mean,
            probabilities: Vec::new(),
            summaries: Vec::new(),
        }
    }
}

/// `hypotheses NAME from "PATH" { … }`: an LFM hypotheses file, and what
/// its wording means in the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct HypothesesSource {
    pub name: String,
    pub path: String,
    pub span: Span,
    pub path_span: Span,
    /// `intervention "TEXT" is ARM`, in spec order: each to a declared arm,
    /// no text twice.
    pub interventions: Vec<NameMapping>,
    /// `outcome "TEXT" is OUTCOME`, in spec order: each to a declared
    /// outcome, no text twice.
    pub outcomes: Vec<NameMapping>,
}

/// A text of the hypotheses file and the spec's name it means.
#[derive(Debug, Clone, PartialEq)]
pub struct NameMapping {
    /// The hypotheses' `intervention` (or `outcome`) as the file writes it.
    pub text: String,
    /// The text's string literal in the spec.
    pub text_span: Span,
    /// The arm's (or outcome's) name.
    pub target: String,
    pub target_span: Span,
}

impl HypothesesSource {
    /// The mapping of a hypothesis' `intervention` text, if the spec has one.
    pub fn intervention_mapping(&self, intervention: &str) -> Option<&NameMapping> {
        self.interventions.iter().find(|m| m.text == intervention)
    }
    /// The mapping of a hypothesis' `outcome` text, if the spec has one.
    pub fn outcome_mapping(&self, outcome: &str) -> Option<&NameMapping> {
        self.outcomes.iter().find(|m| m.text == outcome)
    }
    /// The name of the arm a hypothesis' `intervention` means: the arm the
    /// spec maps the text to, else the text itself (the format's default:
    /// the file uses the spec's arm names).
    pub fn arm_name<'a>(&'a self, intervention: &'a str) -> &'a str {
        self.intervention_mapping(intervention)
            .map_or(intervention, |m| m.target.as_str())
    }
    /// The name of the outcome a hypothesis' `outcome` means (as
    /// [`HypothesesSource::arm_name`]).
    pub fn outcome_name<'a>(&'a self, outcome: &'a str) -> &'a str {
        self.outcome_mapping(outcome)
            .map_or(outcome, |m| m.target.as_str())
    }
}
