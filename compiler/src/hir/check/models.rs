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
        let mut seen: HashMap<String, Span> = HashMap::new();
        let mut ok = true;
        let arm_names: Vec<&str> = cx.arms.iter().map(|a| a.name.as_str()).collect();
        let statements = block.map(|b| b.statements.as_slice()).unwrap_or(&[]);
        for statement in statements {
            let key = match &statement.kind {
                ast::ModelStatementKind::Effect { arm, .. } => format!("effect {}", arm.node),
                ast::ModelStatementKind::Carryover { arm, .. } => format!("carryover {}", arm.node),
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
                ast::ModelStatementKind::Errors { structure, params } => {
                    match self.errors(structure, params, cx.hypotheses, &defaults) {
                        Some(e) => errors = Some(e),
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
        Some(Model {
            outcome: outcome_index,
            effects,
            trend,
            likelihood,
            carryover,
            span: anchor,
        })
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
        (ast::ModelStatementKind::Errors { .. }, other) => Some((
            format!("`errors` applies to continuous outcomes; `{name}` is {}", other.name()),
            "the likelihood of binary, count and ordinal outcomes has no error term: remove the line".into(),
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
