//! The `simulate` block: scenarios, requirements and a sweep of designs,
//! checked against the arms, outcomes, models and schedule. The same check
//! runs on entries given on the command line (`trialc simulate --scenario
//! …`), parsed as a `simulate { … }` block of their own.

use super::*;
use crate::hir::simulate::{
    default_scenarios, Requirement, Scenario, Simulate, SimulatedEvent, Sweep, TrueParameter,
    TrueSetting, TrueValue,
};
use crate::schedule::validate;

/// What the simulate check needs of the rest of the spec.
pub(super) struct Context<'a> {
    pub arms: &'a [Arm],
    pub reference: Option<usize>,
    pub outcomes: &'a [Outcome],
    pub models: Option<&'a [Model]>,
    pub schedule: Option<&'a ScheduleDecl>,
    pub hypotheses: &'a [HypothesesSource],
    pub spec: Option<&'a Spec>,
    /// The scenarios requirements name when the block declares none: the
    /// spec's (for command-line entries), else the defaults.
    pub fallback: Vec<Scenario>,
}

impl<'a> Context<'a> {
    /// Everything from a checked spec.
    pub(super) fn of(spec: &'a Spec) -> Self {
        Context {
            arms: &spec.arms,
            reference: Some(spec.reference),
            outcomes: &spec.outcomes,
            models: Some(&spec.models),
            schedule: Some(&spec.schedule),
            hypotheses: &spec.hypotheses,
            spec: Some(spec),
            fallback: default_scenarios(&spec.arms, &spec.outcomes, &spec.models),
        }
    }
}

/// Checks the `simulate` entries of `file` (a spec, or command-line
/// entries parsed as a `simulate { … }` block) against a checked spec.
/// `None` when there is no simulate block; every problem as a diagnostic.
pub fn check_simulate(file: &ast::File, spec: &Spec) -> (Option<Simulate>, Vec<Diagnostic>) {
    let mut checker = Checker {
        declared_outcomes: spec.outcomes.iter().map(|o| o.name.clone()).collect(),
        ..Checker::default()
    };
    let mut context = Context::of(spec);
    if let Some(written) = spec.simulate.as_ref().filter(|s| !s.scenarios.is_empty()) {
        context.fallback = written.scenarios.clone();
    }
    let simulate = checker.simulate(file, &context);
    (simulate, checker.diagnostics)
}

impl Checker {
    /// The (at most one) `simulate` block.
    pub(super) fn simulate(&mut self, file: &ast::File, cx: &Context<'_>) -> Option<Simulate> {
        let mut result: Option<Simulate> = None;
        let mut first_block: Option<Span> = None;
        for item in &file.items {
            let ast::ItemKind::Simulate(block) = &item.kind else {
                continue;
            };
            if let Some(first) = first_block {
                self.duplicate_field_span("simulate", item.span, first);
                continue;
            }
            first_block = Some(item.span);
            result = Some(self.simulate_block(block, cx));
        }
        result
    }

    fn simulate_block(&mut self, block: &ast::SimulateBlock, cx: &Context<'_>) -> Simulate {
        let mut out = Simulate::default();
        let mut replicates_at: Option<Span> = None;
        let mut sweep_at: Option<Span> = None;
        let mut names: HashMap<String, Span> = HashMap::new();
        // Requirements are checked after every scenario is known.
        let mut requirements = Vec::new();
        for entry in &block.entries {
            match &entry.kind {
                ast::SimulateEntryKind::Replicates(n) => {
                    if let Some(first) = replicates_at {
                        self.duplicate_field_span("replicates", entry.span, first);
                        continue;
                    }
                    replicates_at = Some(entry.span);
                    if n.node == 0 {
                        self.push(
                            Diagnostic::error(codes::E1102, "a simulation needs at least 1 replicate")
                                .with_primary(n.span, "no replicates")
                                .with_help("write e.g. `replicates 1000`; the Monte Carlo error of a probability is at most 0.5 / sqrt(replicates)"),
                        );
                    } else {
                        out.replicates = Some(n.node);
                    }
                }
                ast::SimulateEntryKind::Scenario { name, settings } => {
                    if let Some(first) = find_duplicate(&mut names, name) {
                        self.push(
                            Diagnostic::error(
                                codes::E0204,
                                format!("scenario `{}` is declared twice", name.node),
                            )
                            .with_primary(name.span, "declared again here")
                            .with_secondary(first, "first declared here"),
                        );
                        continue;
                    }
                    if let Some(s) = self.scenario(name, settings, entry.span, cx) {
                        out.scenarios.push(s);
                    }
                }
                ast::SimulateEntryKind::Require { .. } => requirements.push(entry),
                ast::SimulateEntryKind::Sweep(values) => {
                    if let Some(first) = sweep_at {
                        self.duplicate_field_span("sweep", entry.span, first);
                        continue;
                    }
                    sweep_at = Some(entry.span);
                    out.sweep = self.sweep(values, cx);
                }
            }
        }
        // Without scenarios of its own, requirements name the fallback's.
        let pool = if out.scenarios.is_empty() && names.is_empty() {
            &cx.fallback
        } else {
            &out.scenarios
        };
        let mut checked = Vec::new();
        for entry in requirements {
            if let Some(r) = self.requirement(entry, pool, &names, cx) {
                checked.push(r);
            }
        }
        out.requirements = checked;
        out
    }

    fn scenario(
        &mut self,
        name: &ast::Ident,
        settings: &[ast::ScenarioSetting],
        span: Span,
        cx: &Context<'_>,
    ) -> Option<Scenario> {
        let mut scenario = Scenario {
            name: name.node.clone(),
            values: Vec::new(),
            missing: 0.0,
            dropout: 0.0,
            adherence: 1.0,
            adherence_recorded: true,
            span,
        };
        let mut ok = true;
        let mut seen: HashMap<String, Span> = HashMap::new();
        let mut grid: Option<Span> = None;
        for setting in settings {
            let key = match &setting.kind {
                ast::ScenarioSettingKind::Missing(_) => "missing".to_string(),
                ast::ScenarioSettingKind::Dropout(_) => "dropout".to_string(),
                ast::ScenarioSettingKind::Adherence { .. } => "adherence".to_string(),
                ast::ScenarioSettingKind::Parameter {
                    parameter,
                    arm,
                    outcome,
                    ..
                } => format!(
                    "{}{} on {}",
                    parameter.node.word(),
                    arm.as_ref()
                        .map_or_else(String::new, |a| format!(" of {}", a.node)),
                    outcome.node
                ),
            };
            if let Some(first) = seen.get(&key) {
                self.duplicate_field_span(&key, setting.span, *first);
                ok = false;
                continue;
            }
            seen.insert(key, setting.span);
            match &setting.kind {
                ast::ScenarioSettingKind::Missing(p) => {
                    match self.probability_setting(p, "missing", 0.0, false, 1.0, false) {
                        Some(v) => scenario.missing = v,
                        None => ok = false,
                    }
                }
                ast::ScenarioSettingKind::Dropout(p) => {
                    match self.probability_setting(p, "dropout", 0.0, false, 1.0, true) {
                        Some(v) => scenario.dropout = v,
                        None => ok = false,
                    }
                }
                ast::ScenarioSettingKind::Adherence { share, unrecorded } => {
                    match self.probability_setting(share, "adherence", 0.0, true, 1.0, false) {
                        Some(v) => {
                            scenario.adherence = v;
                            scenario.adherence_recorded = unrecorded.is_none();
                        }
                        None => ok = false,
                    }
                }
                ast::ScenarioSettingKind::Parameter {
                    parameter,
                    arm,
                    outcome,
                    values,
                    grid: is_grid,
                } => {
                    if *is_grid {
                        if let Some(first) = grid {
                            self.push(
                                Diagnostic::error(
                                    codes::E1103,
                                    format!("scenario `{}` has two grids", name.node),
                                )
                                .with_primary(setting.span, "a second grid")
                                .with_secondary(first, "the first grid")
                                .with_help("vary one parameter per scenario; write another scenario for the other grid"),
                            );
                            ok = false;
                            continue;
                        }
                        grid = Some(setting.span);
                    }
                    match self.true_setting(
                        parameter,
                        arm.as_ref(),
                        outcome,
                        values,
                        setting.span,
                        cx,
                    ) {
                        Some(s) => scenario.values.push(s),
                        None => ok = false,
                    }
                }
            }
        }
        ok.then_some(scenario)
    }

    /// A probability-like scenario setting in its documented range
    /// (`low`/`high` open or closed as flagged).
    fn probability_setting(
        &mut self,
        p: &ast::Spanned<f64>,
        what: &str,
        low: f64,
        low_open: bool,
        high: f64,
        high_open: bool,
    ) -> Option<f64> {
        let v = p.node;
        let above = if low_open { v > low } else { v >= low };
        let below = if high_open { v < high } else { v <= high };
        if above && below && v.is_finite() {
            return Some(v);
        }
        let range = format!(
            "{}{}, {}{}",
            if low_open { "(" } else { "[" },
            num(low),
            num(high),
            if high_open { ")" } else { "]" }
        );
        self.push(
            Diagnostic::error(
                codes::E1102,
                format!("`{what}` {} is outside {range}", num(v)),
            )
            .with_primary(p.span, "a probability")
            .with_help(match what {
                "missing" => "the probability that a scheduled measurement is missing, e.g. `missing 0.1`",
                "dropout" => "the probability of leaving the trial during a period, e.g. `dropout 0.05 per period`",
                _ => "the share of treatment days the scheduled arm is taken, e.g. `adherence 0.9`",
            }),
        );
        None
    }

    fn true_setting(
        &mut self,
        parameter: &ast::Spanned<ast::SimulatedParameter>,
        arm: Option<&ast::Ident>,
        outcome: &ast::Ident,
        values: &[ast::Spanned<ast::SimulatedValue>],
        span: Span,
        cx: &Context<'_>,
    ) -> Option<TrueSetting> {
        use ast::SimulatedParameter as P;
        // Effects resolve their arm and outcome as decision rules do.
        let (outcome_index, target) = match parameter.node {
            P::Effect => {
                let quantity = ast::QuantityRef {
                    scale: ast::Spanned::new(ast::Scale::Effect, parameter.span),
                    arm: arm.cloned(),
                    versus: None,
                    outcome: outcome.clone(),
                    span,
                };
                let q = self.quantity(&quantity, cx.arms, cx.reference, cx.outcomes)?;
                (q.outcome, TrueParameter::Effect { arm: q.arm })
            }
            other => {
                let index = self.simulated_outcome(outcome, cx)?;
                let target = match other {
                    P::Carryover => {
                        let a = arm?;
                        TrueParameter::Carryover {
                            arm: self.arm_ref(a, cx.arms)?,
                        }
                    }
                    P::Intercept => TrueParameter::Intercept,
                    P::Trend => TrueParameter::Trend,
                    P::Sigma => TrueParameter::Sigma,
                    P::Phi => TrueParameter::Phi,
                    P::Dispersion => TrueParameter::Dispersion,
                    P::Cutpoints | P::Effect => TrueParameter::Cutpoints,
                };
                (index, target)
            }
        };
        let o = &cx.outcomes[outcome_index];
        let model = cx
            .models
            .and_then(|models| models.iter().find(|m| m.outcome == outcome_index));
        // The parameter must be one the outcome's model has (carryover may be
        // set whether or not it is modelled: a misspecified scenario).
        if let Some(model) = model {
            let has = match target {
                TrueParameter::Effect { .. } | TrueParameter::Carryover { .. } => true,
                TrueParameter::Intercept => model.intercept().is_some(),
                TrueParameter::Trend => model.trend.is_some(),
                TrueParameter::Sigma => matches!(model.likelihood, Likelihood::Normal { .. }),
                TrueParameter::Phi => matches!(
                    &model.likelihood,
                    Likelihood::Normal { errors, .. } if errors.structure == ErrorStructure::Ar1
                ),
                TrueParameter::Dispersion => {
                    matches!(model.likelihood, Likelihood::NegBinomial { .. })
                }
                TrueParameter::Cutpoints => {
                    matches!(model.likelihood, Likelihood::OrderedLogistic { .. })
                }
            };
            if !has {
                self.push(
                    Diagnostic::error(
                        codes::E1101,
                        format!(
                            "the model of `{}` has no `{}`",
                            o.name,
                            parameter.node.word()
                        ),
                    )
                    .with_primary(parameter.span, "not a parameter of this model")
                    .with_secondary(model.span, "the model")
                    .with_help(format!(
                        "a scenario sets parameters of the outcome's model: {}",
                        model_parameters(model)
                    )),
                );
                return None;
            }
        }
        let mut resolved = Vec::new();
        let mut texts = Vec::new();
        for value in values {
            let (v, text) = self.true_value(value, target, o, cx)?;
            resolved.push(v);
            texts.push(text);
        }
        let text = format!(
            "{}{} on {}",
            parameter.node.word(),
            match target {
                TrueParameter::Effect { arm } | TrueParameter::Carryover { arm } =>
                    format!(" of {}", cx.arms.get(arm).map_or("?", |a| a.name.as_str())),
                _ => String::new(),
            },
            o.name
        );
        Some(TrueSetting {
            outcome: outcome_index,
            parameter: target,
            values: resolved,
            text,
            value_texts: texts,
            span,
        })
    }

    fn simulated_outcome(&mut self, outcome: &ast::Ident, cx: &Context<'_>) -> Option<usize> {
        if let Some(i) = cx.outcomes.iter().position(|o| o.name == outcome.node) {
            return Some(i);
        }
        if self.invalid_outcomes.iter().any(|o| o.name == outcome.node) {
            return None;
        }
        let names: Vec<&str> = cx.outcomes.iter().map(|o| o.name.as_str()).collect();
        self.push(
            Diagnostic::error(
                codes::E0202,
                format!("there is no outcome `{}`", outcome.node),
            )
            .with_primary(outcome.span, "unknown outcome")
            .with_help(suggestion("outcome", &outcome.node, &names)),
        );
        None
    }

    /// One value, checked against its parameter: `(value, as written)`.
    fn true_value(
        &mut self,
        value: &ast::Spanned<ast::SimulatedValue>,
        target: TrueParameter,
        outcome: &Outcome,
        cx: &Context<'_>,
    ) -> Option<(TrueValue, String)> {
        let is_effect = matches!(
            target,
            TrueParameter::Effect { .. } | TrueParameter::Carryover { .. }
        );
        let invalid = |checker: &mut Self, message: String, help: &str| {
            checker.push(
                Diagnostic::error(codes::E1102, message)
                    .with_primary(value.span, "this value")
                    .with_help(help.to_string()),
            );
            None
        };
        match &value.node {
            ast::SimulatedValue::Prior => Some((TrueValue::Prior, "prior".into())),
            ast::SimulatedValue::Mcid { negative } => {
                if !is_effect {
                    return invalid(
                        self,
                        "`mcid` is the size of an effect; it cannot be the value of this parameter"
                            .into(),
                        "give a number",
                    );
                }
                match outcome.mcid {
                    Some(m) => Some((
                        TrueValue::Number(if *negative { -m } else { m }),
                        if *negative { "-mcid" } else { "mcid" }.into(),
                    )),
                    None => {
                        self.push(
                            Diagnostic::error(
                                codes::E0602,
                                format!(
                                    "the scenario uses the MCID of `{}`, which has none",
                                    outcome.name
                                ),
                            )
                            .with_primary(value.span, "mcid")
                            .with_secondary(outcome.span, "no `mcid` in this outcome")
                            .with_help("add `mcid N` to the outcome, or give a number"),
                        );
                        None
                    }
                }
            }
            ast::SimulatedValue::Hypothesis { source, id } => {
                if !matches!(target, TrueParameter::Effect { .. }) {
                    return invalid(
                        self,
                        "an LFM hypothesis gives an effect; it cannot be the value of this parameter".into(),
                        "give a number, or `prior`",
                    );
                }
                if !cx.hypotheses.iter().any(|h| h.name == source.node) {
                    let names: Vec<&str> = cx.hypotheses.iter().map(|h| h.name.as_str()).collect();
                    self.push(
                        Diagnostic::error(
                            codes::E0203,
                            format!("there are no hypotheses named `{}`", source.node),
                        )
                        .with_primary(source.span, "unknown hypotheses source")
                        .with_help(if names.is_empty() {
                            format!(
                                "declare them: `hypotheses {} from \"file.json\"`",
                                source.node
                            )
                        } else {
                            suggestion("hypotheses source", &source.node, &names)
                        }),
                    );
                    return None;
                }
                Some((
                    TrueValue::Hypothesis {
                        source: source.node.clone(),
                        id: id.node.clone(),
                        span: value.span,
                    },
                    format!("{}.{}", source.node, id.node),
                ))
            }
            ast::SimulatedValue::Vector(values) => {
                let levels = match outcome.kind {
                    OutcomeType::Ordinal { low, high } => usize::try_from(high - low + 1).ok(),
                    _ => None,
                };
                let Some(levels) = levels.filter(|_| target == TrueParameter::Cutpoints) else {
                    return invalid(
                        self,
                        "a list of numbers is the value of ordinal cutpoints only".into(),
                        "give one number",
                    );
                };
                let v: Vec<f64> = values.iter().map(|x| x.node).collect();
                if v.len() + 1 != levels {
                    return invalid(
                        self,
                        format!(
                            "`{}` has {levels} levels, so {} cutpoints; {} given",
                            outcome.name,
                            levels - 1,
                            v.len()
                        ),
                        "give one cutpoint between each pair of neighbouring levels, increasing",
                    );
                }
                if !v.windows(2).all(|w| w[0] < w[1]) || v.iter().any(|x| !x.is_finite()) {
                    return invalid(
                        self,
                        "cutpoints must increase".into(),
                        "the cutpoints are the logits of P(level <= k) on a reference day, e.g. `[-1.5, -0.5, 0.5, 1.5]`",
                    );
                }
                let text = format!(
                    "[{}]",
                    v.iter().map(|x| num(*x)).collect::<Vec<_>>().join(", ")
                );
                Some((TrueValue::Vector(v), text))
            }
            ast::SimulatedValue::Number(x) => {
                let x = *x;
                let (ok, help) = match target {
                    TrueParameter::Sigma => (x > 0.0, "sigma is positive"),
                    TrueParameter::Dispersion => (x > 0.0, "the dispersion is positive"),
                    TrueParameter::Phi => {
                        (x > -1.0 && x < 1.0, "phi lies strictly between -1 and 1")
                    }
                    TrueParameter::Cutpoints => (false, "cutpoints are a list: `[-1, 0, 1]`"),
                    _ => (true, ""),
                };
                if !ok || !x.is_finite() {
                    return invalid(
                        self,
                        format!("{} is not a possible value of this parameter", num(x)),
                        help,
                    );
                }
                Some((TrueValue::Number(x), num(x)))
            }
        }
    }

    fn requirement(
        &mut self,
        entry: &ast::SimulateEntry,
        scenarios: &[Scenario],
        names: &HashMap<String, Span>,
        cx: &Context<'_>,
    ) -> Option<Requirement> {
        let ast::SimulateEntryKind::Require {
            event,
            comparison: cmp,
            probability,
            scenario,
        } = &entry.kind
        else {
            return None;
        };
        let (resolved, event_text) = match &event.node {
            ast::SimulatedEvent::Recommend(arm) => (
                SimulatedEvent::Recommend(self.arm_ref(arm, cx.arms)?),
                format!("recommend {}", arm.node),
            ),
            ast::SimulatedEvent::StopEarly => (SimulatedEvent::StopEarly, "stop early".into()),
            ast::SimulatedEvent::Inconclusive => {
                (SimulatedEvent::Inconclusive, "inconclusive".into())
            }
        };
        let p = probability.node;
        if !(p > 0.0 && p < 1.0) {
            self.push(
                Diagnostic::error(
                    codes::E0601,
                    format!(
                        "the probability threshold {} is not strictly between 0 and 1",
                        num(p)
                    ),
                )
                .with_primary(probability.span, "threshold")
                .with_help("e.g. `>= 0.80` for power, `<= 0.05` for a false recommendation"),
            );
            return None;
        }
        let index = scenarios.iter().position(|s| s.name == scenario.node);
        let Some(index) = index else {
            // A scenario declared with errors (reported) is not reported again.
            if names.contains_key(&scenario.node) {
                return None;
            }
            let known: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
            self.push(
                Diagnostic::error(
                    codes::E1104,
                    format!("there is no scenario `{}`", scenario.node),
                )
                .with_primary(scenario.span, "unknown scenario")
                .with_help(if known.is_empty() {
                    format!("declare it: `scenario {}: effect … = …`", scenario.node)
                } else {
                    suggestion("scenario", &scenario.node, &known)
                }),
            );
            return None;
        };
        if let Some(grid) = scenarios[index].grid() {
            self.push(
                Diagnostic::error(
                    codes::E1104,
                    format!(
                        "scenario `{}` is a grid of {} scenarios; a requirement needs one",
                        scenario.node,
                        grid.values.len()
                    ),
                )
                .with_primary(scenario.span, "a grid")
                .with_secondary(grid.span, "the grid")
                .with_help(
                    "declare the scenario the requirement is about on its own, with one value",
                ),
            );
            return None;
        }
        let comparison = super::decide::comparison(cmp.node);
        Some(Requirement {
            event: resolved,
            comparison,
            probability: p,
            scenario: index,
            text: format!(
                "P({event_text}) {} {} under {}",
                comparison.symbol(),
                num(p),
                scenario.node
            ),
            span: entry.span,
        })
    }

    fn sweep(&mut self, values: &ast::SweepValues, cx: &Context<'_>) -> Option<Sweep> {
        let mut seen: HashMap<u64, Span> = HashMap::new();
        let mut ok = true;
        let (sweep, written): (Sweep, Vec<(u64, Span)>) = match values {
            ast::SweepValues::Cycles(cycles) => {
                let list: Vec<(u64, Span)> = cycles.iter().map(|c| (c.node, c.span)).collect();
                (Sweep::Cycles(list.iter().map(|c| c.0).collect()), list)
            }
            ast::SweepValues::Period(periods) => {
                let mut list = Vec::new();
                for d in periods {
                    // A missing unit is E0106 already.
                    let Some(unit) = &d.unit else {
                        ok = false;
                        continue;
                    };
                    list.push((d.amount.node.saturating_mul(unit.node.days()), d.span));
                }
                (Sweep::PeriodDays(list.iter().map(|c| c.0).collect()), list)
            }
        };
        for (value, at) in &written {
            if let Some(first) = seen.get(value) {
                self.duplicate_field_span(&value.to_string(), *at, *first);
                ok = false;
            }
            seen.insert(*value, *at);
        }
        // Each swept design must be a schedule trialc can build.
        if let (Some(spec), true) = (cx.spec, ok) {
            for (value, at) in &written {
                let mut schedule = spec.schedule_spec();
                match sweep {
                    Sweep::Cycles(_) => {
                        schedule.n_periods = value.saturating_mul(spec.arms.len() as u64)
                    }
                    Sweep::PeriodDays(_) => {
                        schedule.period = crate::schedule::PeriodLengths::Equal(*value)
                    }
                }
                if let Some(problem) = validate(&schedule).into_iter().next() {
                    self.push(
                        Diagnostic::error(
                            codes::E1105,
                            format!(
                                "this design of the sweep cannot be scheduled: {}",
                                problem.error
                            ),
                        )
                        .with_primary(*at, "this design")
                        .with_help("sweep only values for which the spec's schedule is valid"),
                    );
                    ok = false;
                }
            }
        } else if cx.schedule.is_none() {
            ok = false;
        }
        ok.then_some(sweep)
    }
}

/// The parameters a model has, for help texts.
fn model_parameters(model: &Model) -> String {
    let mut names = vec!["effect"];
    if model.intercept().is_some() {
        names.push("intercept");
    }
    if model.trend.is_some() {
        names.push("trend");
    }
    match &model.likelihood {
        Likelihood::Normal { errors, .. } => {
            names.push("sigma");
            if errors.structure == ErrorStructure::Ar1 {
                names.push("phi");
            }
        }
        Likelihood::NegBinomial { .. } => names.push("dispersion"),
        Likelihood::OrderedLogistic { .. } => names.push("cutpoints"),
        Likelihood::Bernoulli { .. } | Likelihood::Binomial { .. } | Likelihood::Poisson { .. } => {
        }
    }
    names.push("carryover");
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn num(v: f64) -> String {
    trialc_runtime::fmt::num(v)
}
