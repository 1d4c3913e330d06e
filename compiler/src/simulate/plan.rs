//! What a simulation runs: the designs (the spec's schedule, or each design
//! of a sweep), the scenarios (a grid expanded into one scenario per value,
//! LFM hypotheses resolved to their means), the requirements, and the
//! [`Header`] that describes all of it in the results, so that parts of a
//! sharded run can be checked against each other and summarised without
//! the spec.

use serde::{Deserialize, Serialize};

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::driver::Checked;
use crate::fit::RunSettings;
use crate::hir::simulate::{
    default_scenarios, Scenario, Simulate, SimulatedEvent, Sweep, TrueParameter, TrueValue,
};
use crate::hir::{self, Rule, RuleKind};
use trialc_runtime::posterior::Method;

/// Replicates per scenario and design when neither the spec nor the command
/// line says.
pub const DEFAULT_REPLICATES: u64 = 1000;

/// One design: the spec's schedule with its number of cycles and period
/// length as given here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignPlan {
    /// `as specified`, `3 cycles`, `period 14 days`.
    pub label: String,
    pub cycles: u64,
    pub periods: u64,
    pub period_days: u64,
    /// Run-in plus every period.
    pub total_days: u64,
    /// The interim looks: the distinct `after N periods` of the stop-early
    /// rules, N below the design's number of periods.
    pub looks: Vec<u64>,
}

/// One value of a grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridPoint {
    /// The setting varied: `effect of magnesium on pain`.
    pub setting: String,
    /// Its value on the parameter's scale.
    pub value: f64,
    /// As written: `-mcid`, `-1.5`.
    pub text: String,
}

/// The true value of one parameter in a scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum Truth {
    Number(f64),
    Vector(Vec<f64>),
    /// Drawn from the parameter's prior in every replicate.
    Prior,
}

/// One scenario (one point of a grid).
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioPlan {
    /// `benefit`, or `curve[-1.5]` for a grid point.
    pub name: String,
    pub grid: Option<GridPoint>,
    /// Every setting as written (`effect of magnesium on pain = -mcid`).
    pub settings: Vec<String>,
    /// `(outcome, parameter, value)` of every parameter the scenario sets.
    pub truths: Vec<(usize, TrueParameter, Truth)>,
    pub missing: f64,
    pub dropout: f64,
    pub adherence: f64,
    pub adherence_recorded: bool,
}

impl ScenarioPlan {
    /// The true value the scenario gives `parameter` of `outcome`, if it
    /// sets one.
    pub fn truth(&self, outcome: usize, parameter: TrueParameter) -> Option<&Truth> {
        self.truths
            .iter()
            .find(|(o, p, _)| *o == outcome && *p == parameter)
            .map(|(_, _, t)| t)
    }
}

/// A requirement, for the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequirementPlan {
    pub text: String,
    /// `recommend`, `stop early` or `inconclusive`.
    pub event: String,
    /// The arm of `recommend`.
    pub arm: Option<usize>,
    /// `<`, `<=`, `>`, `>=`.
    pub comparison: String,
    pub probability: f64,
    /// Index into the header's scenarios.
    pub scenario: usize,
}

/// A decision rule, for the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulePlan {
    /// `recommend` or `stop early`.
    pub kind: String,
    pub recommends: Option<usize>,
    pub after_periods: Option<u64>,
    /// The rule as the spec writes it.
    pub text: String,
}

/// An effect whose estimates are scored (bias, RMSE, coverage).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectPlan {
    pub outcome: usize,
    pub arm: usize,
}

/// A scenario as the header records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioHeader {
    pub name: String,
    pub grid: Option<GridPoint>,
    pub settings: Vec<String>,
}

/// Everything the results depend on besides the replicates, as JSON: two
/// parts of a sharded run merge only when their headers are equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub trial: String,
    /// SHA-256 of the spec's text and its hypotheses files, in order.
    pub inputs_sha256: String,
    /// `nuts` or `laplace`.
    pub method: String,
    /// True for `--method laplace`: every probability is an approximation's.
    pub approximation: bool,
    pub chains: usize,
    pub warmup: usize,
    pub draws: usize,
    /// The simulation's seed (every replicate's streams derive from it).
    pub seed: u64,
    pub replicates: u64,
    /// The probability of the effects' intervals (the spec's `report { interval }`).
    pub interval: f64,
    pub arms: Vec<String>,
    pub reference: usize,
    pub outcomes: Vec<String>,
    /// The declared range of each outcome, where it has one (continuous
    /// `in [LOW, HIGH]`).
    pub bounds: Vec<Option<(f64, f64)>>,
    pub rules: Vec<RulePlan>,
    pub effects: Vec<EffectPlan>,
    pub designs: Vec<DesignPlan>,
    pub scenarios: Vec<ScenarioHeader>,
    pub requirements: Vec<RequirementPlan>,
}

/// A simulation ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub header: Header,
    pub scenarios: Vec<ScenarioPlan>,
    /// The spec of each design (the schedule changed as the design says).
    pub specs: Vec<hir::Spec>,
    pub settings: RunSettings,
}

impl Plan {
    /// Number of replicates of the whole simulation (designs x scenarios x
    /// replicates): the tasks, numbered design-major.
    pub fn tasks(&self) -> u64 {
        (self.header.designs.len() as u64)
            .saturating_mul(self.scenarios.len() as u64)
            .saturating_mul(self.header.replicates)
    }

    /// (design, scenario, replicate) of task `t`.
    pub fn task(&self, t: u64) -> (usize, usize, u64) {
        let r = self.header.replicates.max(1);
        let s = self.scenarios.len().max(1) as u64;
        let replicate = t % r;
        let scenario = (t / r) % s;
        let design = t / r / s;
        (design as usize, scenario as usize, replicate)
    }
}

/// What the command line adds to or changes in the spec's `simulate` block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Entries from the command line (`--scenario`, `--require`,
    /// `--sweep`, checked as a block of their own): scenarios, requirements
    /// and the sweep each replace the spec's when given.
    pub block: Option<Simulate>,
    pub replicates: Option<u64>,
}

/// The plan of a simulation of `checked` with `settings` (their `seed` is
/// the simulation's), `inputs_sha256` identifying the inputs.
pub fn plan(
    checked: &Checked,
    overrides: &Overrides,
    settings: &RunSettings,
    inputs_sha256: &str,
) -> Result<Plan, Vec<Diagnostic>> {
    let spec = &checked.spec;
    // The generator draws outcomes from the models' own terms: diary
    // columns it would have to invent (covariates, a clock, trials) and
    // the serial or carryover terms of issue 12 are not simulated yet.
    let unsupported: Vec<Diagnostic> = spec
        .models
        .iter()
        .filter_map(|m| {
            let outcome = spec.outcomes.get(m.outcome)?;
            let term = if !m.covariates.is_empty() {
                "covariates"
            } else if m.lag.is_some() {
                "a lagged outcome"
            } else if m.clock.is_some() {
                "a clock"
            } else if m.latent_ar1.is_some() {
                "a latent AR(1) process"
            } else if m.carryover_decay.is_some() {
                "carryover decay"
            } else if matches!(outcome.kind, hir::OutcomeType::Binomial { .. }) {
                "a binomial outcome"
            } else {
                return None;
            };
            Some(
                Diagnostic::error(
                    crate::codes::E1105,
                    format!("`trialc simulate` cannot yet simulate the model of `{}`: it has {term}", outcome.name),
                )
                .with_primary(m.span, "this model")
                .with_help("simulate a version of the spec without these terms, or analyse real diaries with `trialc run`"),
            )
        })
        .collect();
    if !unsupported.is_empty() {
        return Err(unsupported);
    }
    let written = spec.simulate.clone().unwrap_or_default();
    let cli = overrides.block.clone().unwrap_or_default();
    // Requirements point at scenarios by index into the list they were
    // checked against: the command line's scenarios, else the spec's, else
    // the defaults (`null`, `mcid`).
    let spec_scenarios = if written.scenarios.is_empty() {
        default_scenarios(&spec.arms, &spec.outcomes, &spec.models)
    } else {
        written.scenarios
    };
    let (scenarios, requirements) = if !cli.scenarios.is_empty() {
        (cli.scenarios, cli.requirements)
    } else if !cli.requirements.is_empty() {
        (spec_scenarios, cli.requirements)
    } else {
        (spec_scenarios, written.requirements)
    };
    let sweep = cli.sweep.or(written.sweep);
    let replicates = overrides
        .replicates
        .or(cli.replicates)
        .or(written.replicates)
        .unwrap_or(DEFAULT_REPLICATES);

    let mut diagnostics = Vec::new();
    let mut expanded = Vec::new();
    for s in &scenarios {
        match expand(s, checked) {
            Ok(mut list) => expanded.append(&mut list),
            Err(mut d) => diagnostics.append(&mut d),
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    // A requirement names a written scenario without a grid, whose plan
    // has the same name.
    let requirements: Vec<RequirementPlan> = requirements
        .iter()
        .filter_map(|r| {
            let name = &scenarios.get(r.scenario)?.name;
            let scenario = expanded.iter().position(|s| &s.name == name)?;
            let (event, arm) = match r.event {
                SimulatedEvent::Recommend(arm) => ("recommend", Some(arm)),
                SimulatedEvent::StopEarly => ("stop early", None),
                SimulatedEvent::Inconclusive => ("inconclusive", None),
            };
            Some(RequirementPlan {
                text: r.text.clone(),
                event: event.into(),
                arm,
                comparison: r.comparison.symbol().into(),
                probability: r.probability,
                scenario,
            })
        })
        .collect();
    let scenarios = expanded;

    let k = spec.arms.len().max(1) as u64;
    let designs: Vec<(String, u64, crate::schedule::PeriodLengths)> = match &sweep {
        None => vec![(
            "as specified".into(),
            spec.schedule.n_periods,
            spec.schedule.period.clone(),
        )],
        Some(Sweep::Cycles(cycles)) => {
            let mut c = cycles.clone();
            c.sort_unstable();
            c.into_iter()
                .map(|n| {
                    (
                        format!("{n} cycle{}", if n == 1 { "" } else { "s" }),
                        n * k,
                        spec.schedule.period.clone(),
                    )
                })
                .collect()
        }
        Some(Sweep::PeriodDays(days)) => {
            let mut d = days.clone();
            d.sort_unstable();
            d.into_iter()
                .map(|p| {
                    (
                        format!("period {p} days"),
                        spec.schedule.n_periods,
                        crate::schedule::PeriodLengths::Equal(p),
                    )
                })
                .collect()
        }
    };
    let mut specs = Vec::new();
    let mut design_plans = Vec::new();
    for (label, periods, period_days) in designs {
        let mut s = spec.clone();
        s.schedule.n_periods = periods;
        s.schedule.period = period_days.clone();
        let mut looks: Vec<u64> = s
            .rules
            .iter()
            .filter_map(|r| match r {
                Rule::When {
                    kind:
                        RuleKind::StopEarly {
                            after_periods: Some(n),
                        },
                    ..
                } if *n >= 1 && *n < periods => Some(*n),
                _ => None,
            })
            .collect();
        looks.sort_unstable();
        looks.dedup();
        design_plans.push(DesignPlan {
            label,
            cycles: periods.div_ceil(k),
            periods,
            // The shortest period (the lengths' list, if any, is the spec's).
            period_days: period_days.shortest().unwrap_or(0),
            total_days: s.schedule.run_in_days
                + u64::try_from(period_days.total(periods)).unwrap_or(u64::MAX),
            looks,
        });
        specs.push(s);
    }

    let rules = spec
        .rules
        .iter()
        .filter_map(|r| match r {
            Rule::When {
                kind, conditions, ..
            } => Some(RulePlan {
                kind: match kind {
                    RuleKind::Recommend { .. } => "recommend".into(),
                    RuleKind::StopEarly { .. } => "stop early".into(),
                },
                recommends: match kind {
                    RuleKind::Recommend { arm } => Some(*arm),
                    RuleKind::StopEarly { .. } => None,
                },
                after_periods: match kind {
                    RuleKind::StopEarly { after_periods } => *after_periods,
                    RuleKind::Recommend { .. } => None,
                },
                text: rule_text(spec, kind, conditions),
            }),
            Rule::Otherwise { .. } => None,
        })
        .collect();
    let effects = spec
        .models
        .iter()
        .flat_map(|m| {
            m.effects.iter().map(move |e| EffectPlan {
                outcome: m.outcome,
                arm: e.arm,
            })
        })
        .collect();
    let header = Header {
        trial: spec.trial.id.clone(),
        inputs_sha256: inputs_sha256.to_string(),
        method: settings.method.name().to_string(),
        approximation: settings.method == Method::Laplace,
        chains: settings.chains,
        warmup: settings.warmup,
        draws: settings.draws,
        seed: settings.seed,
        replicates,
        interval: spec.report.interval,
        arms: spec.arms.iter().map(|a| a.name.clone()).collect(),
        reference: spec.reference,
        outcomes: spec.outcomes.iter().map(|o| o.name.clone()).collect(),
        bounds: spec
            .outcomes
            .iter()
            .map(|o| match o.kind {
                hir::OutcomeType::Continuous { bounds } => bounds,
                _ => None,
            })
            .collect(),
        rules,
        effects,
        designs: design_plans,
        scenarios: scenarios
            .iter()
            .map(|s| ScenarioHeader {
                name: s.name.clone(),
                grid: s.grid.clone(),
                settings: s.settings.clone(),
            })
            .collect(),
        requirements,
    };
    Ok(Plan {
        header,
        scenarios,
        specs,
        settings: *settings,
    })
}

/// The rule as the spec language writes it.
fn rule_text(spec: &hir::Spec, kind: &RuleKind, conditions: &[hir::Condition]) -> String {
    let conditions = conditions
        .iter()
        .map(|c| {
            format!(
                "P({} {} {}) {} {}",
                crate::analysis::decide::quantity_text(spec, &c.statement.quantity),
                c.statement.comparison.symbol(),
                c.statement.threshold_text,
                c.probability_comparison.symbol(),
                crate::analysis::decide::required(c.probability)
            )
        })
        .collect::<Vec<_>>()
        .join(" and ");
    match kind {
        RuleKind::Recommend { arm } => format!(
            "recommend {} if {conditions}",
            spec.arms.get(*arm).map_or("?", |a| a.name.as_str())
        ),
        RuleKind::StopEarly { after_periods } => match after_periods {
            Some(n) => format!("stop early if {conditions} after {n} periods"),
            None => format!("stop early if {conditions}"),
        },
    }
}

/// A written scenario as one plan per grid value (or one without a grid),
/// hypotheses resolved to their effect's mean.
fn expand(s: &Scenario, checked: &Checked) -> Result<Vec<ScenarioPlan>, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let mut truths = Vec::new();
    let mut settings = Vec::new();
    // The grid: its outcome, parameter, text and (value, as written) points.
    type Grid = (usize, TrueParameter, String, Vec<(f64, String)>);
    let mut grid: Option<Grid> = None;
    for setting in &s.values {
        let mut resolved = Vec::new();
        for (value, text) in setting.values.iter().zip(&setting.value_texts) {
            let truth = match value {
                TrueValue::Number(x) => Truth::Number(*x),
                TrueValue::Vector(v) => Truth::Vector(v.clone()),
                TrueValue::Prior => Truth::Prior,
                TrueValue::Hypothesis { source, id, span } => {
                    let found = checked
                        .hypotheses
                        .iter()
                        .find(|(name, _)| name == source)
                        .and_then(|(_, file)| file.get(id));
                    match found {
                        Some(h) => Truth::Number(h.effect.mean),
                        None => {
                            diagnostics.push(
                                Diagnostic::error(
                                    codes::E0520,
                                    format!("the hypotheses `{source}` have no hypothesis `{id}`"),
                                )
                                .with_primary(*span, "no such hypothesis")
                                .with_help("name a hypothesis id of the file (`trialc check` lists the file's ids in its notes)"),
                            );
                            continue;
                        }
                    }
                }
            };
            resolved.push((truth, text.clone()));
        }
        if setting.values.len() > 1 {
            let points = resolved
                .iter()
                .map(|(t, text)| match t {
                    Truth::Number(x) => (*x, text.clone()),
                    _ => (f64::NAN, text.clone()),
                })
                .collect();
            grid = Some((
                setting.outcome,
                setting.parameter,
                setting.text.clone(),
                points,
            ));
            settings.push(format!(
                "{} in [{}]",
                setting.text,
                setting.value_texts.join(", ")
            ));
        } else if let Some((truth, text)) = resolved.into_iter().next() {
            truths.push((setting.outcome, setting.parameter, truth));
            settings.push(format!("{} = {text}", setting.text));
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    if s.missing > 0.0 {
        settings.push(format!("missing {}", trialc_runtime::fmt::num(s.missing)));
    }
    if s.dropout > 0.0 {
        settings.push(format!(
            "dropout {} per period",
            trialc_runtime::fmt::num(s.dropout)
        ));
    }
    if s.adherence < 1.0 {
        settings.push(format!(
            "adherence {}{}",
            trialc_runtime::fmt::num(s.adherence),
            if s.adherence_recorded {
                ""
            } else {
                " unrecorded"
            }
        ));
    }
    let base = ScenarioPlan {
        name: s.name.clone(),
        grid: None,
        settings,
        truths,
        missing: s.missing,
        dropout: s.dropout,
        adherence: s.adherence,
        adherence_recorded: s.adherence_recorded,
    };
    Ok(match grid {
        None => vec![base],
        Some((outcome, parameter, text, points)) => points
            .into_iter()
            .map(|(value, written)| {
                let mut p = base.clone();
                p.name = format!("{}[{written}]", s.name);
                p.truths.push((outcome, parameter, Truth::Number(value)));
                p.grid = Some(GridPoint {
                    setting: text.clone(),
                    value,
                    text: written,
                });
                p
            })
            .collect(),
    })
}
