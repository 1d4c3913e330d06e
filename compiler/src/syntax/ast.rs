//! The abstract syntax tree: what the source says, with byte spans, nothing resolved.
//!
//! Every node that a diagnostic may point at carries a `Span`. Optional parts
//! that failed to parse are `None` (the parser has already reported them), so
//! the checker can still run on everything that did parse.

use crate::diagnostic::Span;
use serde::Serialize;

/// A value with the span of the source text it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

pub type Ident = Spanned<String>;

/// A whole `.trial` source file.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct File {
    pub items: Vec<Item>,
    /// Every comment in the file, in source order (the formatter keeps them).
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comment {
    pub span: Span,
    /// The text after `//` or `///`, without the line break.
    pub text: String,
    /// `///` doc comment: flows into the protocol document.
    pub doc: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// `///` lines directly above the item, joined with newlines.
    pub doc: Option<String>,
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ItemKind {
    /// `use std.designs.abab` or `use std.priors.*`
    Use(UseDecl),
    /// `trial "id" { title "…" … }`
    Trial(TrialBlock),
    /// `hypotheses lfm from "file.json"`, optionally `{ intervention "…" is ARM … }`
    Hypotheses(HypothesesDecl),
    /// `data "diary.csv"`
    Data(Spanned<String>),
    /// `arm magnesium "Magnesium citrate 600 mg" reference`
    Arm(ArmDecl),
    /// `schedule [from DESIGN] { … }`
    Schedule(ScheduleBlock),
    /// `outcome pain "…" { … }`
    Outcome(OutcomeBlock),
    /// `model pain { … }`
    Model(ModelBlock),
    /// `decide { … }`
    Decide(DecideBlock),
    /// `report { interval 0.95  P(…)  odds_ratio of ARM on OUTCOME … }`
    Report(ReportBlock),
    /// `design NAME { schedule fields }` (standard library files)
    Design(DesignDecl),
    /// `prior NAME = PRIOR` (standard library files and specs)
    PriorPreset(PriorPresetDecl),
    /// `simulate { … }`: scenarios of a design simulation
    Simulate(SimulateBlock),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UseDecl {
    /// Path segments, e.g. `std`, `designs`, `abab`.
    pub path: Vec<Ident>,
    /// `.*` at the end: import every name of the module.
    pub glob: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrialBlock {
    pub id: Spanned<String>,
    pub fields: Vec<TrialField>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrialField {
    /// `title`, `version`, `sponsor` or `registry`.
    pub key: Ident,
    pub value: Spanned<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HypothesesDecl {
    pub name: Ident,
    pub path: Spanned<String>,
    /// The block after the path, `{ intervention "…" is ARM  outcome "…" is
    /// OUTCOME }`: which arm or outcome the file's own wording means. `None`
    /// when there is no block (an empty block is `Some` of nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mappings: Option<Vec<NameMapping>>,
}

/// `intervention "Blue-light glasses after 8 pm" is glasses`: hypotheses
/// whose `intervention` (or `outcome`) is this text are about that arm (or
/// outcome).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NameMapping {
    /// `intervention` or `outcome`, with the keyword's span.
    pub kind: Spanned<MappingKind>,
    /// The text as the hypotheses file writes it.
    pub text: Spanned<String>,
    /// The spec's arm or outcome name.
    pub target: Ident,
    /// The whole mapping, keyword to name.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MappingKind {
    /// A hypothesis' `intervention`, mapped to an arm.
    Intervention,
    /// A hypothesis' `outcome`, mapped to an outcome.
    Outcome,
}

impl MappingKind {
    /// The keyword (and the hypothesis' field): `intervention` or `outcome`.
    pub fn keyword(self) -> &'static str {
        match self {
            MappingKind::Intervention => "intervention",
            MappingKind::Outcome => "outcome",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmDecl {
    pub name: Ident,
    pub description: Option<Spanned<String>>,
    /// Span of the `reference` keyword, when present.
    pub reference: Option<Span>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleBlock {
    /// `schedule from abab { … }`: start from a standard design.
    pub from: Option<Ident>,
    pub fields: Vec<ScheduleField>,
    /// Keywords of fields whose value the parser rejected (and reported):
    /// the checker takes them as given and adds no follow-on error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Ident>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesignDecl {
    pub name: Ident,
    pub fields: Vec<ScheduleField>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleField {
    pub kind: ScheduleFieldKind,
    /// The whole field, keyword to last value.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ScheduleFieldKind {
    /// `start 2026-12-01`
    Start(Spanned<Date>),
    /// `run_in 7 days`
    RunIn(Duration),
    /// `period 14 days`
    Period(Duration),
    /// `period [10, 14, 10, 14] days`: each period's length in turn.
    PeriodLengths(DurationList),
    /// `cycles 3`
    Cycles(Spanned<u64>),
    /// `periods 6`
    Periods(Spanned<u64>),
    /// `sequence randomized pairs`
    Sequence(Spanned<SequenceDesign>),
    /// `max_run 2`
    MaxRun(Spanned<u64>),
    /// `washout 3 days`
    Washout(Duration),
    /// `carryover modelled`: a carryover term in the model instead of (or besides) excluded days.
    Carryover(Span),
    /// `blinding double`
    Blinding(Spanned<Blinding>),
    /// `seed 20261201`
    Seed(Spanned<u64>),
    /// `window days 18..70`: the days analysed.
    Window(DayRange),
}

/// `days 18..70`: trial days, both ends included.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayRange {
    pub first: Spanned<u64>,
    pub last: Spanned<u64>,
    /// From `days` to the last day.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// A number with a unit; `unit` is `None` when the source forgot it (E-code).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duration {
    pub amount: Spanned<u64>,
    pub unit: Option<Spanned<TimeUnit>>,
    pub span: Span,
}

/// Several numbers with one unit: `[10, 14, 10, 14] days`; `unit` is `None`
/// when the source forgot it (reported by the parser).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DurationList {
    pub amounts: Vec<Spanned<u64>>,
    pub unit: Option<Spanned<TimeUnit>>,
    /// From `[` to the unit.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TimeUnit {
    Days,
    Weeks,
}

impl TimeUnit {
    pub fn days(self) -> u64 {
        match self {
            TimeUnit::Days => 1,
            TimeUnit::Weeks => 7,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SequenceDesign {
    Alternating,
    Counterbalanced,
    /// `fixed "ABBA BAAB"`: letters name arms in declaration order; spaces are for reading.
    Fixed(Spanned<String>),
    RandomizedPairs,
    RandomizedBlocks,
    /// `randomized periods`: every period's arm drawn, each arm equally often.
    RandomizedPeriods,
    /// `from data`: the diary's `arm` column is the sequence.
    FromData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Blinding {
    Open,
    Single,
    Double,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeBlock {
    pub name: Ident,
    pub description: Option<Spanned<String>>,
    pub fields: Vec<OutcomeField>,
    /// Keywords of fields whose value the parser rejected (and reported):
    /// the checker takes them as given and adds no follow-on error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Ident>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeField {
    pub kind: OutcomeFieldKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum OutcomeFieldKind {
    Type(OutcomeType),
    Measured(Measured),
    /// `better lower` / `better higher`
    Better(Spanned<Direction>),
    /// `mcid 1.0`
    Mcid(Spanned<f64>),
    /// `unit "mmHg"`
    Unit(Spanned<String>),
    Primary,
    Secondary,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum OutcomeType {
    /// `continuous` or `continuous in [0, 10]`
    Continuous {
        bounds: Option<Spanned<(f64, f64)>>,
    },
    Binary,
    /// `binomial of 10` or `binomial of attempts`: successes of a number of
    /// trials, fixed or in a diary column.
    Binomial {
        trials: Spanned<Trials>,
    },
    /// `count` or `count overdispersed`
    Count {
        overdispersed: bool,
    },
    /// `ordinal 1..5`
    Ordinal {
        levels: Spanned<(i64, i64)>,
    },
}

/// The trials of a binomial outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Trials {
    /// The same number every day.
    Fixed(u64),
    /// A diary column.
    Column(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Measured {
    Daily,
    Weekly,
    /// `per period`: once, on the last day of each period.
    PerPeriod,
    /// `on days [1, 4]`: these days of every period (1-based within the period).
    OnDays(Vec<Spanned<u64>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Direction {
    Lower,
    Higher,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelBlock {
    /// The outcome this model is for.
    pub outcome: Ident,
    pub statements: Vec<ModelStatement>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelStatement {
    pub kind: ModelStatementKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ModelStatementKind {
    /// `effect magnesium ~ PRIOR`
    Effect { arm: Ident, prior: Prior },
    /// `intercept ~ PRIOR`
    Intercept(Prior),
    /// `trend ~ PRIOR per 28 days`
    Trend { prior: Prior, per: Option<Duration> },
    /// `errors independent(sigma ~ PRIOR)` or `errors ar1(phi ~ PRIOR, sigma ~ PRIOR)`;
    /// the parameters are given by name in any order.
    Errors {
        structure: Spanned<ErrorStructure>,
        params: Vec<NamedPrior>,
    },
    /// `cutpoints ~ induced_dirichlet(1)`
    Cutpoints(Prior),
    /// `dispersion ~ PRIOR` (neg_binomial_2's psi)
    Dispersion(Prior),
    /// `carryover ARM ~ PRIOR`
    Carryover { arm: Ident, prior: Prior },
    /// `carryover decay(rate ~ PRIOR)`: the previous arm's effect fading
    /// after a switch; `keyword` is the span of `decay`.
    CarryoverDecay {
        keyword: Span,
        params: Vec<NamedPrior>,
    },
    /// `covariate stress [standardised] ~ PRIOR [missing excluded]`
    Covariate {
        column: Ident,
        /// The span of `standardised`, when written.
        standardised: Option<Span>,
        prior: Prior,
        /// The span of `missing excluded`, when written.
        missing_excluded: Option<Span>,
    },
    /// `lag ~ PRIOR`: the previous measurement of the outcome.
    Lag(Prior),
    /// `clock hour`: the diary column the serial terms count time in.
    Clock(Ident),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ErrorStructure {
    Independent,
    Ar1,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedPrior {
    pub name: Ident,
    pub prior: Prior,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prior {
    pub kind: PriorKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum PriorKind {
    /// `normal(0, 1)`: a distribution name and its numeric arguments.
    Distribution {
        name: Ident,
        args: Vec<Spanned<f64>>,
    },
    /// `mixture(0.8: normal(0, 1), 0.2: normal(0, 5))`
    Mixture(Vec<MixtureComponent>),
    /// `lfm.H1 discount 0.5 robust 0.2 vague normal(0, 3)`
    Hypothesis {
        source: Ident,
        id: Ident,
        discount: Option<Spanned<f64>>,
        robust: Option<Spanned<f64>>,
        vague: Option<Box<Prior>>,
    },
    /// A named preset, e.g. `sceptical` from `use std.priors.*`.
    Preset(Ident),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MixtureComponent {
    pub weight: Spanned<f64>,
    pub prior: Prior,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriorPresetDecl {
    pub name: Ident,
    pub prior: Prior,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecideBlock {
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub kind: RuleKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum RuleKind {
    /// `recommend ARM if CONDITION [and CONDITION]*`
    Recommend {
        arm: Ident,
        conditions: Vec<Condition>,
    },
    /// `stop early if CONDITION [and CONDITION]* [after N periods]`
    StopEarly {
        conditions: Vec<Condition>,
        after: Option<Spanned<u64>>,
    },
    /// `otherwise inconclusive`
    Otherwise,
}

/// `P(STATEMENT) >= PROB`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    pub statement: Statement,
    pub probability_comparison: Spanned<Comparison>,
    pub probability: Spanned<f64>,
    pub span: Span,
}

/// `QUANTITY CMP THRESHOLD`, e.g. `effect of a vs b on pain < -mcid`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub quantity: QuantityRef,
    pub comparison: Spanned<Comparison>,
    pub threshold: Spanned<Threshold>,
    pub span: Span,
}

/// `effect [of ARM [vs ARM]] on OUTCOME` and the ratio and difference
/// scales: `odds_ratio`, `rate_ratio`, `risk_difference`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuantityRef {
    pub scale: Spanned<Scale>,
    pub arm: Option<Ident>,
    /// The arm it is compared with; the reference arm when absent.
    pub versus: Option<Ident>,
    pub outcome: Ident,
    pub span: Span,
}

/// The scale a quantity is stated on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Scale {
    /// The model's own scale (difference in means, log odds ratio, …).
    Effect,
    OddsRatio,
    RateRatio,
    RiskDifference,
}

impl Scale {
    pub const WORDS: [&'static str; 4] = ["effect", "odds_ratio", "rate_ratio", "risk_difference"];

    pub fn from_word(word: &str) -> Option<Scale> {
        Some(match word {
            "effect" => Scale::Effect,
            "odds_ratio" => Scale::OddsRatio,
            "rate_ratio" => Scale::RateRatio,
            "risk_difference" => Scale::RiskDifference,
            _ => return None,
        })
    }

    pub fn word(self) -> &'static str {
        match self {
            Scale::Effect => "effect",
            Scale::OddsRatio => "odds_ratio",
            Scale::RateRatio => "rate_ratio",
            Scale::RiskDifference => "risk_difference",
        }
    }
}

/// `report { … }`: how the report presents the posterior, and quantities
/// the protocol pre-specifies without a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportBlock {
    pub entries: Vec<ReportEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportEntry {
    pub kind: ReportEntryKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ReportEntryKind {
    /// `interval 0.95`: the central posterior interval's probability.
    Interval(Spanned<f64>),
    /// `estimate median` or `estimate mean`: the point estimate shown.
    Estimate(Ident),
    /// `P(STATEMENT)`: a probability reported, deciding nothing.
    Probability(Statement),
    /// `odds_ratio of ARM on OUTCOME`: a quantity's posterior summary.
    Summary(QuantityRef),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Comparison {
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Threshold {
    /// A number on the effect's scale.
    Value(f64),
    /// `mcid` or `-mcid`: the outcome's MCID, with a sign.
    Mcid { negative: bool },
}

/// `simulate { … }`: the scenarios, requirements and designs of a design
/// simulation (`trialc simulate`, docs/simulate.md). It decides nothing
/// about the participant; `trialc run` ignores it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulateBlock {
    pub entries: Vec<SimulateEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulateEntry {
    pub kind: SimulateEntryKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SimulateEntryKind {
    /// `replicates 1000`
    Replicates(Spanned<u64>),
    /// `scenario NAME [: SETTING (, SETTING)*]`
    Scenario {
        name: Ident,
        settings: Vec<ScenarioSetting>,
    },
    /// `require P(EVENT) CMP PROBABILITY under SCENARIO`
    Require {
        event: Spanned<SimulatedEvent>,
        comparison: Spanned<Comparison>,
        probability: Spanned<f64>,
        scenario: Ident,
    },
    /// `sweep cycles [2, 3, 4]` or `sweep period [1 week, 2 weeks]`
    Sweep(SweepValues),
}

/// What a requirement counts: the conclusion recommends ARM, a stop-early
/// rule stopped the trial, or the conclusion is inconclusive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SimulatedEvent {
    Recommend(Ident),
    StopEarly,
    Inconclusive,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SweepValues {
    Cycles(Vec<Spanned<u64>>),
    Period(Vec<Duration>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioSetting {
    pub kind: ScenarioSettingKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ScenarioSettingKind {
    /// `effect [of ARM] on OUTCOME = VALUE`, `sigma on OUTCOME = 1.5`, …;
    /// with `in [V, …]` a grid of values, one scenario each.
    Parameter {
        parameter: Spanned<SimulatedParameter>,
        arm: Option<Ident>,
        outcome: Ident,
        values: Vec<Spanned<SimulatedValue>>,
        grid: bool,
    },
    /// `missing 0.1`: each scheduled measurement missing with this probability.
    Missing(Spanned<f64>),
    /// `dropout 0.05 per period`: the probability of leaving during a period.
    Dropout(Spanned<f64>),
    /// `adherence 0.9 [unrecorded]`: the share of days the scheduled arm is taken.
    Adherence {
        share: Spanned<f64>,
        unrecorded: Option<Span>,
    },
}

/// A parameter of an outcome's model a scenario sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SimulatedParameter {
    Effect,
    Carryover,
    Intercept,
    Trend,
    Sigma,
    Phi,
    Dispersion,
    Cutpoints,
}

impl SimulatedParameter {
    pub const WORDS: [&'static str; 8] = [
        "effect",
        "carryover",
        "intercept",
        "trend",
        "sigma",
        "phi",
        "dispersion",
        "cutpoints",
    ];

    pub fn from_word(word: &str) -> Option<SimulatedParameter> {
        use SimulatedParameter as P;
        Some(match word {
            "effect" => P::Effect,
            "carryover" => P::Carryover,
            "intercept" => P::Intercept,
            "trend" => P::Trend,
            "sigma" => P::Sigma,
            "phi" => P::Phi,
            "dispersion" => P::Dispersion,
            "cutpoints" => P::Cutpoints,
            _ => return None,
        })
    }

    pub fn word(self) -> &'static str {
        use SimulatedParameter as P;
        match self {
            P::Effect => "effect",
            P::Carryover => "carryover",
            P::Intercept => "intercept",
            P::Trend => "trend",
            P::Sigma => "sigma",
            P::Phi => "phi",
            P::Dispersion => "dispersion",
            P::Cutpoints => "cutpoints",
        }
    }
}

/// The true value a scenario gives a parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SimulatedValue {
    Number(f64),
    /// `mcid` or `-mcid`: the outcome's MCID, with a sign.
    Mcid {
        negative: bool,
    },
    /// `prior`: drawn from the parameter's prior in every replicate.
    Prior,
    /// `lfm.H1`: the mean of an LFM hypothesis' effect.
    Hypothesis {
        source: Ident,
        id: Ident,
    },
    /// `[-1, 0, 1.5]`: cutpoints.
    Vector(Vec<Spanned<f64>>),
}
