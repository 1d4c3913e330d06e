//! Model blocks: one per outcome, statements that fit its type, default priors.

use super::priors::Support;
use super::*;
use crate::family::DefaultPriors;

impl Checker {
    /// One model per valid outcome, `None` if any has an error. The model
    /// blocks of outcomes with errors of their own are checked too (against
    /// what is known of the outcome), and so is every block when the arms or
    /// the schedule have errors: one run reports every error.
    pub(super) fn models(
        &mut self,
        file: &ast::File,
        arms: &[Arm],
        reference: Option<usize>,
        outcomes: &[Outcome],
        hypotheses: &[HypothesesSource],
    ) -> Option<Vec<Model>> {
        let mut blocks: Vec<Option<(&ast::ModelBlock, Span)>> = vec![None; outcomes.len()];
        // Model blocks of invalid outcomes, by index into `invalid_outcomes`.
        let mut invalid_blocks: Vec<Option<(&ast::ModelBlock, Span)>> =
            vec![None; self.invalid_outcomes.len()];
        let declared = self.declared_outcomes.clone();
        let declared: Vec<&str> = declared.iter().map(String::as_str).collect();
        for item in &file.items {
            let ast::ItemKind::Model(block) = &item.kind else {
                continue;
            };
            let name = &block.outcome.node;
            let slot = match outcomes.iter().position(|o| &o.name == name) {
                Some(i) => &mut blocks[i],
                None => match self.invalid_outcomes.iter().position(|o| &o.name == name) {
                    Some(i) => &mut invalid_blocks[i],
                    None => {
                        self.push(
                            Diagnostic::error(
                                codes::E0202,
                                format!("there is no outcome `{name}`"),
                            )
                            .with_primary(block.outcome.span, "unknown outcome")
                            .with_help(suggestion("outcome", name, &declared)),
                        );
                        continue;
                    }
                },
            };
            match slot {
                Some((_, first)) => self.push(
                    Diagnostic::error(
                        codes::E0204,
                        format!("outcome `{name}` has two model blocks"),
                    )
                    .with_primary(block.outcome.span, "second model")
                    .with_secondary(*first, "first model")
                    .with_help("merge the statements into one model block"),
                ),
                None => *slot = Some((block, block.outcome.span)),
            }
        }
        // A binomial outcome's trials column is a column of its own.
        for outcome in outcomes {
            if let Some(column) = &outcome.trials_column {
                if let Some(why) = reserved_column(&column.value, &declared) {
                    self.push(
                        Diagnostic::error(
                            codes::E0409,
                            format!("the trials of `{}` cannot be in the column `{}`", outcome.name, column.value),
                        )
                        .with_primary(column.span, why)
                        .with_help("name the diary column that records the day's number of trials, e.g. `binomial of attempts`"),
                    );
                }
            }
        }
        let carryover_modelled = self.carryover_modelled;
        let mut models = Vec::new();
        let mut ok = true;
        for (index, outcome) in outcomes.iter().enumerate() {
            let context = ModelContext {
                arms,
                reference,
                outcome,
                hypotheses,
                carryover_modelled,
            };
            match self.model(index, blocks[index].map(|(b, _)| b), &context) {
                Some(model) => models.push(model),
                None => ok = false,
            }
        }
        // One diary, one clock: every `clock` names the same column.
        let clocks: Vec<&Located<String>> =
            models.iter().filter_map(|m| m.clock.as_ref()).collect();
        if let Some((first, rest)) = clocks.split_first() {
            for other in rest.iter().filter(|c| c.value != first.value) {
                ok = false;
                self.push(
                    Diagnostic::error(
                        codes::E0518,
                        format!(
                            "two models count time in different diary columns, `{}` and `{}`",
                            first.value, other.value
                        ),
                    )
                    .with_primary(other.span, "a second clock")
                    .with_secondary(first.span, "the first clock")
                    .with_note("the diary's rows are ordered by one clock; a day may have several rows only if they differ in it")
                    .with_help(format!("count time in `{}` in every model that needs a clock", first.value)),
                );
            }
        }
        // The spec has errors already; these checks only report more of them.
        let stand_ins: Vec<(usize, Outcome)> = invalid_blocks
            .iter()
            .enumerate()
            .filter(|(_, block)| block.is_some())
            .filter_map(|(i, _)| Some((i, self.invalid_outcomes[i].stand_in.clone()?)))
            .collect();
        for (i, outcome) in &stand_ins {
            let context = ModelContext {
                arms,
                reference,
                outcome,
                hypotheses,
                carryover_modelled,
            };
            let _ = self.model(usize::MAX, invalid_blocks[*i].map(|(b, _)| b), &context);
        }
        ok.then_some(models)
    }

    pub(super) fn model(
        &mut self,
        outcome_index: usize,
        block: Option<&ast::ModelBlock>,
        cx: &ModelContext,
    ) -> Option<Model> {
        let outcome = cx.outcome;
        let anchor = block.map(|b| b.outcome.span).unwrap_or(outcome.span);
        let defaults = outcome.kind.default_priors();
        let mut effects: Vec<Option<Prior>> = vec![None; cx.arms.len()];
        let mut carryover: Vec<Option<Prior>> = vec![None; cx.arms.len()];
        let mut intercept_prior = None;
        let mut trend = None;
        let mut errors = None;
        let mut cutpoints = None;
        let mut dispersion = None;
        let mut covariates = Vec::new();
        let mut lag = None;
        let mut clock: Option<Located<String>> = None;
        let mut decay = None;
        let mut latent = None;
        let mut seen: HashMap<String, Span> = HashMap::new();
        let declared = self.declared_outcomes.clone();
        let declared: Vec<&str> = declared.iter().map(String::as_str).collect();
        let mut ok = true;
        let arm_names: Vec<&str> = cx.arms.iter().map(|a| a.name.as_str()).collect();
        let statements = block.map(|b| b.statements.as_slice()).unwrap_or(&[]);
        for statement in statements {
            let key = match &statement.kind {
                ast::ModelStatementKind::Effect { arm, .. } => format!("effect {}", arm.node),
                ast::ModelStatementKind::Carryover { arm, .. } => format!("carryover {}", arm.node),
                ast::ModelStatementKind::Covariate { column, .. } => {
                    format!("covariate {}", column.node)
                }
                other => model_statement_name(other).to_string(),
            };
            if let Some(first) = seen.get(&key) {
                ok = false;
                self.push(
                    Diagnostic::error(
                        codes::E0508,
                        format!("`{key}` is given twice in the model of `{}`", outcome.name),
                    )
                    .with_primary(statement.span, "given again here")
                    .with_secondary(*first, "first given here")
                    .with_help("keep one prior per parameter"),
                );
                continue;
            }
            seen.insert(key, statement.span);
            if let Some(problem) =
                statement_fits_outcome(&statement.kind, outcome, cx.carryover_modelled)
            {
                ok = false;
                self.push(
                    Diagnostic::error(codes::E0507, problem.0)
                        .with_primary(statement.span, "not for this outcome")
                        .with_secondary(
                            outcome.span,
                            format!("`{}` is {}", outcome.name, outcome.kind.name()),
                        )
                        .with_help(problem.1),
                );
                continue;
            }
            match &statement.kind {
                ast::ModelStatementKind::Effect { arm, prior }
                | ast::ModelStatementKind::Carryover { arm, prior } => {
                    let is_effect =
                        matches!(statement.kind, ast::ModelStatementKind::Effect { .. });
                    let Some(arm_index) = cx.arms.iter().position(|a| a.name == arm.node) else {
                        ok = false;
                        self.push(
                            Diagnostic::error(
                                codes::E0201,
                                format!("there is no arm `{}`", arm.node),
                            )
                            .with_primary(arm.span, "unknown arm")
                            .with_help(suggestion("arm", &arm.node, &arm_names)),
                        );
                        continue;
                    };
                    if is_effect && Some(arm_index) == cx.reference {
                        ok = false;
                        self.push(
                            Diagnostic::error(codes::E0506, format!("`{}` is the reference arm; its effect is zero by definition", arm.node))
                                .with_primary(arm.span, "reference arm")
                                .with_secondary(cx.arms[arm_index].span, "declared `reference` here")
                                .with_help("give priors to the effects of the other arms; the intercept is the reference arm's level"),
                        );
                        continue;
                    }
                    match self.prior(prior, Support::Real, is_effect, cx.hypotheses) {
                        Some(p) if is_effect => effects[arm_index] = Some(p),
                        Some(p) => carryover[arm_index] = Some(p),
                        None => ok = false,
                    }
                }
                ast::ModelStatementKind::Intercept(prior) => {
                    match self.prior(prior, Support::Real, false, cx.hypotheses) {
                        Some(p) => intercept_prior = Some(p),
                        None => ok = false,
                    }
                }
                ast::ModelStatementKind::Trend { prior, per } => {
                    let prior = self.prior(prior, Support::Real, false, cx.hypotheses);
                    let per_days = match per {
                        Some(d) => self.duration_days(d, "trend unit"),
                        None => {
                            self.push(
                                Diagnostic::error(codes::E0514, "the trend needs a time unit")
                                    .with_primary(statement.span, "trend without `per`")
                                    .with_note("a trend coefficient means nothing without the time it spans")
                                    .with_help("add the unit, e.g. `trend ~ normal(0, 0.5) per 28 days`"),
                            );
                            None
                        }
                    };
                    match (prior, per_days) {
                        (Some(prior), Some(per_days)) if per_days > 0 => {
                            trend = Some(Trend { prior, per_days })
                        }
                        (_, Some(0)) => {
                            ok = false;
                            self.push(
                                Diagnostic::error(codes::E0311, "a trend cannot be per zero days")
                                    .with_primary(statement.span, "zero-length unit"),
                            );
                        }
                        _ => ok = false,
                    }
                }
                ast::ModelStatementKind::Errors { structure, params }
                    if matches!(outcome.kind, OutcomeType::Continuous { .. }) =>
                {
                    match self.errors(structure, params, cx.hypotheses, &defaults) {
                        Some(e) => errors = Some(e),
                        None => ok = false,
                    }
                }
                ast::ModelStatementKind::Errors { structure, params } => {
                    // `errors ar1` on a binary, binomial or count outcome (the
                    // only structure `statement_fits_outcome` lets through):
                    // a latent AR(1) with the family's link-scale defaults.
                    let Some((sigma, phi)) = defaults.latent.clone() else {
                        ok = false;
                        continue;
                    };
                    let latent_defaults = DefaultPriors {
                        sigma: Some(sigma),
                        phi: Some(phi),
                        ..defaults.clone()
                    };
                    match self.errors(structure, params, cx.hypotheses, &latent_defaults) {
                        Some(Errors {
                            sigma,
                            phi: Some(phi),
                            ..
                        }) => latent = Some(LatentAr1 { sigma, phi }),
                        _ => ok = false,
                    }
                }
                ast::ModelStatementKind::Covariate {
                    column,
                    standardised,
                    prior,
                    missing_excluded,
                } => {
                    if let Some(why) = reserved_column(&column.node, &[]) {
                        ok = false;
                        self.push(
                            Diagnostic::error(
                                codes::E0513,
                                format!("`{}` cannot be a covariate", column.node),
                            )
                            .with_primary(column.span, why)
                            .with_help("name the diary column that holds the covariate, e.g. `covariate stress ~ normal(0, 1)`"),
                        );
                        continue;
                    }
                    if column.node == outcome.name {
                        ok = false;
                        self.push(
                            Diagnostic::error(
                                codes::E0513,
                                format!("`{}` is the model's own outcome, not a covariate", column.node),
                            )
                            .with_primary(column.span, "the outcome itself")
                            .with_note("the same day's value would explain itself")
                            .with_help("for the previous measurement of the outcome write `lag ~ uniform(-1, 1)`"),
                        );
                        continue;
                    }
                    match self.prior(prior, Support::Real, false, cx.hypotheses) {
                        Some(p) => covariates.push(CovariateTerm {
                            column: column.node.clone(),
                            standardised: standardised.is_some(),
                            exclude_missing: missing_excluded.is_some(),
                            prior: p,
                            span: statement.span,
                            column_span: column.span,
                        }),
                        None => ok = false,
                    }
                }
                ast::ModelStatementKind::Lag(prior) => {
                    match self.prior(prior, Support::Correlation, false, cx.hypotheses) {
                        Some(p) => lag = Some(p),
                        None => ok = false,
                    }
                }
                ast::ModelStatementKind::Clock(column) => {
                    if let Some(why) = reserved_column(&column.node, &declared) {
                        ok = false;
                        let help = if column.node == "day" {
                            "remove the line: trial days are the clock unless the model names another".to_string()
                        } else {
                            "name the diary column that counts the model's time unit, e.g. `clock hour` or `clock session`".to_string()
                        };
                        self.push(
                            Diagnostic::error(
                                codes::E0516,
                                format!("`{}` cannot be the clock", column.node),
                            )
                            .with_primary(column.span, why)
                            .with_help(help),
                        );
                        continue;
                    }
                    clock = Some(Located {
                        value: column.node.clone(),
                        span: column.span,
                    });
                }
                ast::ModelStatementKind::CarryoverDecay { keyword, params } => {
                    if cx.carryover_modelled == Some(true) {
                        ok = false;
                        self.push(
                            Diagnostic::error(
                                codes::E0517,
                                format!("the model of `{}` asks for a decaying carryover, but the schedule already models carryover", outcome.name),
                            )
                            .with_primary(statement.span, "a decaying carryover")
                            .with_note("`carryover modelled` in the schedule adds a constant carryover term per arm to every model; the two would describe the same thing twice")
                            .with_help("remove `carryover modelled` from the schedule, or this line"),
                        );
                        continue;
                    }
                    match self.decay_rate(*keyword, params, cx.hypotheses, &defaults) {
                        Some(p) => decay = Some(p),
                        None => ok = false,
                    }
                }
                ast::ModelStatementKind::Cutpoints(prior) => {
                    match self.prior(prior, Support::Cutpoints, false, cx.hypotheses) {
                        Some(p) => cutpoints = Some(p),
                        None => ok = false,
                    }
                }
                ast::ModelStatementKind::Dispersion(prior) => {
                    match self.prior(prior, Support::Positive, false, cx.hypotheses) {
                        Some(p) => dispersion = Some(p),
                        None => ok = false,
                    }
                }
            }
        }
        // Without a reference arm (E0302/E0303) or a schedule block (E0304)
        // there is no model to build, only the checks above.
        let (true, Some(reference), Some(carryover_modelled)) =
            (ok, cx.reference, cx.carryover_modelled)
        else {
            return None;
        };
        let default = |dist: PriorDist| Prior {
            dist,
            default: true,
            span: anchor,
        };
        let effects = (0..cx.arms.len())
            .filter(|&i| i != reference)
            .map(|arm| Effect {
                arm,
                prior: effects[arm]
                    .take()
                    .unwrap_or_else(|| default(defaults.effect.clone())),
            })
            .collect();
        let carryover = if carryover_modelled {
            (0..cx.arms.len())
                .map(|arm| Effect {
                    arm,
                    prior: carryover[arm]
                        .take()
                        .unwrap_or_else(|| default(defaults.effect.clone())),
                })
                .collect()
        } else {
            Vec::new()
        };
        // The family's parameters, each the written prior or its default.
        let intercept = |written: Option<Prior>, d: &Option<PriorDist>| {
            written.or_else(|| d.clone().map(default))
        };
        let likelihood = match outcome.kind {
            OutcomeType::Continuous { .. } => Likelihood::Normal {
                intercept: intercept(intercept_prior, &defaults.intercept)?,
                errors: match errors {
                    Some(e) => e,
                    None => Errors {
                        structure: ErrorStructure::Independent,
                        sigma: default(defaults.sigma.clone()?),
                        phi: None,
                    },
                },
            },
            OutcomeType::Binary => Likelihood::Bernoulli {
                intercept: intercept(intercept_prior, &defaults.intercept)?,
            },
            OutcomeType::Binomial { .. } => Likelihood::Binomial {
                intercept: intercept(intercept_prior, &defaults.intercept)?,
            },
            OutcomeType::Count {
                overdispersed: false,
            } => Likelihood::Poisson {
                intercept: intercept(intercept_prior, &defaults.intercept)?,
            },
            OutcomeType::Count {
                overdispersed: true,
            } => Likelihood::NegBinomial {
                intercept: intercept(intercept_prior, &defaults.intercept)?,
                dispersion: intercept(dispersion, &defaults.dispersion)?,
            },
            OutcomeType::Ordinal { .. } => Likelihood::OrderedLogistic {
                cutpoints: intercept(cutpoints, &defaults.cutpoints)?,
            },
        };
        let has_serial = lag.is_some()
            || latent.is_some()
            || matches!(&likelihood, Likelihood::Normal { errors, .. } if errors.structure == ErrorStructure::Ar1);
        if let (Some(c), false) = (&clock, has_serial) {
            self.push(
                Diagnostic::warning(
                    codes::W0501,
                    format!(
                        "the clock `{}` of the model of `{}` has no effect",
                        c.value, outcome.name
                    ),
                )
                .with_primary(c.span, "counts gaps for nothing")
                .with_note(
                    "a clock sets the time unit of the serial terms: `errors ar1(…)` and `lag`",
                )
                .with_help("add `errors ar1(…)` or `lag ~ …`, or remove the line"),
            );
        }
        Some(Model {
            outcome: outcome_index,
            effects,
            trend,
            likelihood,
            carryover,
            span: anchor,
            covariates,
            lag,
            latent_ar1: latent,
            carryover_decay: decay,
            clock,
        })
    }

    /// `carryover decay(rate ~ PRIOR)`: the rate's prior, written or default.
    fn decay_rate(
        &mut self,
        keyword: Span,
        params: &[ast::NamedPrior],
        hypotheses: &[HypothesesSource],
        defaults: &DefaultPriors,
    ) -> Option<Prior> {
        let mut rate = None;
        let mut ok = true;
        let mut seen = HashMap::new();
        for param in params {
            if let Some(first) = find_duplicate(&mut seen, &param.name) {
                self.duplicate_field(&param.name, first);
                ok = false;
                continue;
            }
            if param.name.node == "rate" {
                rate = self.prior(&param.prior, Support::Positive, false, hypotheses);
                ok &= rate.is_some();
            } else {
                ok = false;
                self.push(
                    Diagnostic::error(
                        codes::E0512,
                        format!("`carryover decay` has no parameter `{}`", param.name.node),
                    )
                    .with_primary(param.name.span, "unknown parameter")
                    .with_help(suggestion(
                        "parameter",
                        &param.name.node,
                        &["rate"],
                    )),
                );
            }
        }
        if !ok {
            return None;
        }
        Some(rate.unwrap_or_else(|| Prior {
            dist: defaults.decay_rate.clone(),
            default: true,
            span: keyword,
        }))
    }

    pub(super) fn errors(
        &mut self,
        structure: &ast::Spanned<ast::ErrorStructure>,
        params: &[ast::NamedPrior],
        hypotheses: &[HypothesesSource],
        defaults: &DefaultPriors,
    ) -> Option<Errors> {
        let allowed: &[&str] = match structure.node {
            ast::ErrorStructure::Independent => &["sigma"],
            ast::ErrorStructure::Ar1 => &["phi", "sigma"],
        };
        let mut sigma = None;
        let mut phi = None;
        let mut ok = true;
        let mut seen = HashMap::new();
        for param in params {
            if let Some(first) = find_duplicate(&mut seen, &param.name) {
                self.duplicate_field(&param.name, first);
                ok = false;
                continue;
            }
            match param.name.node.as_str() {
                "sigma" => {
                    sigma = self
                        .prior(&param.prior, Support::Positive, false, hypotheses)
                        .map(Some)
                        .unwrap_or_else(|| {
                            ok = false;
                            None
                        })
                }
                "phi" if structure.node == ast::ErrorStructure::Ar1 => {
                    phi = self
                        .prior(&param.prior, Support::Correlation, false, hypotheses)
                        .map(Some)
                        .unwrap_or_else(|| {
                            ok = false;
                            None
                        })
                }
                other => {
                    ok = false;
                    let kind = match structure.node {
                        ast::ErrorStructure::Independent => "independent",
                        ast::ErrorStructure::Ar1 => "ar1",
                    };
                    self.push(
                        Diagnostic::error(
                            codes::E0512,
                            format!("`{kind}` errors have no parameter `{other}`"),
                        )
                        .with_primary(param.name.span, "unknown parameter")
                        .with_help(suggestion("parameter", other, allowed)),
                    );
                }
            }
        }
        if !ok {
            return None;
        }
        let default = |dist: PriorDist| Prior {
            dist,
            default: true,
            span: structure.span,
        };
        Some(Errors {
            structure: match structure.node {
                ast::ErrorStructure::Independent => ErrorStructure::Independent,
                ast::ErrorStructure::Ar1 => ErrorStructure::Ar1,
            },
            sigma: match sigma {
                Some(s) => s,
                None => default(defaults.sigma.clone()?),
            },
            phi: match structure.node {
                ast::ErrorStructure::Ar1 => Some(match phi {
                    Some(p) => p,
                    None => default(defaults.phi.clone()?),
                }),
                ast::ErrorStructure::Independent => None,
            },
        })
    }
}

pub(super) struct ModelContext<'a> {
    arms: &'a [Arm],
    reference: Option<usize>,
    outcome: &'a Outcome,
    hypotheses: &'a [HypothesesSource],
    /// Whether the schedule models carryover; `None` without a schedule block.
    carryover_modelled: Option<bool>,
}

pub(super) fn model_statement_name(kind: &ast::ModelStatementKind) -> &'static str {
    match kind {
        ast::ModelStatementKind::Effect { .. } => "effect",
        ast::ModelStatementKind::Intercept(_) => "intercept",
        ast::ModelStatementKind::Trend { .. } => "trend",
        ast::ModelStatementKind::Errors { .. } => "errors",
        ast::ModelStatementKind::Cutpoints(_) => "cutpoints",
        ast::ModelStatementKind::Dispersion(_) => "dispersion",
        ast::ModelStatementKind::Carryover { .. } => "carryover",
        ast::ModelStatementKind::CarryoverDecay { .. } => "carryover decay()",
        ast::ModelStatementKind::Covariate { .. } => "covariate",
        ast::ModelStatementKind::Lag(_) => "lag",
        ast::ModelStatementKind::Clock(_) => "clock",
    }
}

/// Why `name` cannot be a column of its own (covariate, clock, trials):
/// the diary's reserved columns, or an outcome's column in `outcomes`.
pub(super) fn reserved_column(name: &str, outcomes: &[&str]) -> Option<&'static str> {
    match name {
        "day" | "date" => Some("the diary's day column"),
        "arm" => Some("the diary's arm column"),
        _ if outcomes.contains(&name) => Some("an outcome's column"),
        _ => None,
    }
}

/// Whether a model statement makes sense for the outcome's type; if not, the
/// headline and the help.
pub(super) fn statement_fits_outcome(
    kind: &ast::ModelStatementKind,
    outcome: &Outcome,
    carryover_modelled: Option<bool>,
) -> Option<(String, String)> {
    let name = &outcome.name;
    match (kind, outcome.kind) {
        (ast::ModelStatementKind::Errors { .. }, OutcomeType::Continuous { .. }) => None,
        (
            ast::ModelStatementKind::Errors { structure, .. },
            OutcomeType::Binary | OutcomeType::Binomial { .. } | OutcomeType::Count { .. },
        ) if structure.node == ast::ErrorStructure::Ar1 => None,
        (ast::ModelStatementKind::Errors { .. }, other @ OutcomeType::Ordinal { .. }) => Some((
            format!("`errors` applies to continuous, binary, binomial and count outcomes; `{name}` is {}", other.name()),
            "an ordinal likelihood has no error term and no latent AR(1) yet: remove the line".into(),
        )),
        (ast::ModelStatementKind::Errors { .. }, other) => Some((
            format!("`errors independent` applies to continuous outcomes; `{name}` is {}", other.name()),
            "the likelihood of binary, binomial and count outcomes has no error term; for serial dependence write `errors ar1(…)`, a latent AR(1) on the link scale".into(),
        )),
        (ast::ModelStatementKind::Lag(_), OutcomeType::Continuous { .. }) => None,
        (ast::ModelStatementKind::Lag(_), other) => Some((
            format!("`lag` applies to continuous outcomes; `{name}` is {}", other.name()),
            "the previous value of a binary, binomial, count or ordinal outcome is not on its linear predictor's scale; for serial dependence write `errors ar1(…)`, a latent AR(1)".into(),
        )),
        (ast::ModelStatementKind::Cutpoints(_), OutcomeType::Ordinal { .. }) => None,
        (ast::ModelStatementKind::Cutpoints(_), other) => Some((
            format!("`cutpoints` apply to ordinal outcomes; `{name}` is {}", other.name()),
            "remove the line".into(),
        )),
        (ast::ModelStatementKind::Intercept(_), OutcomeType::Ordinal { .. }) => Some((
            format!("an ordinal model has cutpoints instead of an intercept; `{name}` is ordinal"),
            "give the cutpoints a prior instead: `cutpoints ~ induced_dirichlet(1)`".into(),
        )),
        (ast::ModelStatementKind::Dispersion(_), OutcomeType::Count { overdispersed: true }) => None,
        (ast::ModelStatementKind::Dispersion(_), _) => Some((
            format!("`dispersion` applies to overdispersed counts; `{name}` is not one"),
            "declare the outcome `type count overdispersed`, or remove the line".into(),
        )),
        (ast::ModelStatementKind::Carryover { .. }, _) if carryover_modelled == Some(false) => Some((
            "a carryover prior is given but the schedule does not model carryover".to_string(),
            "add `carryover modelled` to the schedule, or remove the line".into(),
        )),
        _ => None,
    }
}
