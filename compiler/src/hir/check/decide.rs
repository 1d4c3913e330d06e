//! The decide block: recommendation and stopping rules.

use super::*;

impl Checker {
    pub(super) fn rules(
        &mut self,
        file: &ast::File,
        arms: &[Arm],
        reference: Option<usize>,
        outcomes: &[Outcome],
        schedule: Option<&ScheduleDecl>,
    ) -> Vec<Rule> {
        let mut rules = Vec::new();
        let mut first_block: Option<Span> = None;
        let mut otherwise: Option<Span> = None;
        for item in &file.items {
            let ast::ItemKind::Decide(block) = &item.kind else {
                continue;
            };
            if let Some(first) = first_block {
                self.duplicate_field_span("decide", item.span, first);
                continue;
            }
            first_block = Some(item.span);
            for rule in &block.rules {
                match &rule.kind {
                    ast::RuleKind::Otherwise => {
                        if let Some(first) = otherwise {
                            self.duplicate_field_span("otherwise", rule.span, first);
                            continue;
                        }
                        otherwise = Some(rule.span);
                        rules.push(Rule::Otherwise { span: rule.span });
                    }
                    ast::RuleKind::Recommend { arm, conditions } => {
                        // Any arm may be recommended, the reference too
                        // ("stay on usual care") when the data favour it.
                        let arm_index = self.arm_ref(arm, arms);
                        let Some(conditions) =
                            self.conditions(conditions, arms, reference, outcomes)
                        else {
                            continue;
                        };
                        let Some(arm_index) = arm_index else {
                            continue;
                        };
                        for condition in &conditions {
                            self.recommendation_direction(
                                arm,
                                arm_index,
                                condition,
                                arms,
                                &outcomes[condition.statement.quantity.outcome],
                            );
                        }
                        rules.push(Rule::When {
                            kind: RuleKind::Recommend { arm: arm_index },
                            conditions,
                            span: rule.span,
                        });
                    }
                    ast::RuleKind::StopEarly { conditions, after } => {
                        let Some(conditions) =
                            self.conditions(conditions, arms, reference, outcomes)
                        else {
                            continue;
                        };
                        // A schedule without periods is E0305 already.
                        let schedule = schedule.filter(|s| s.n_periods > 0);
                        if let (Some(after), Some(schedule)) = (after, schedule) {
                            if after.node == 0 || after.node > schedule.n_periods {
                                self.push(
                                    Diagnostic::error(codes::E0605, format!("the trial has {} periods; `after {}` can never be reached", schedule.n_periods, after.node))
                                        .with_primary(after.span, "never reached")
                                        .with_help(format!("give a number of completed periods between 1 and {}", schedule.n_periods)),
                                );
                                continue;
                            }
                        }
                        rules.push(Rule::When {
                            kind: RuleKind::StopEarly {
                                after_periods: after.as_ref().map(|a| a.node),
                            },
                            conditions,
                            span: rule.span,
                        });
                    }
                }
            }
            if otherwise.is_none() && !block.rules.is_empty() {
                self.push(
                    Diagnostic::warning(codes::W0601, "the decision rules have no `otherwise`")
                        .with_primary(Span::new(item.span.start, item.span.start + "decide".len().min(item.span.end - item.span.start)), "this decide block")
                        .with_note("when no rule fires the trial is inconclusive; the protocol should say so")
                        .with_help("add `otherwise inconclusive` as the last rule"),
                );
            }
        }
        rules
    }

    /// The `report` block (at most one): interval level, point estimate,
    /// and the quantities reported without a decision.
    pub(super) fn report(
        &mut self,
        file: &ast::File,
        arms: &[Arm],
        reference: Option<usize>,
        outcomes: &[Outcome],
    ) -> ReportSettings {
        let mut settings = ReportSettings::default();
        let mut first_block: Option<Span> = None;
        let mut interval: Option<Span> = None;
        let mut estimate: Option<Span> = None;
        for item in &file.items {
            let ast::ItemKind::Report(block) = &item.kind else {
                continue;
            };
            if let Some(first) = first_block {
                self.duplicate_field_span("report", item.span, first);
                continue;
            }
            first_block = Some(item.span);
            for entry in &block.entries {
                match &entry.kind {
                    ast::ReportEntryKind::Interval(level) => {
                        if let Some(first) = interval {
                            self.duplicate_field_span("interval", entry.span, first);
                            continue;
                        }
                        interval = Some(entry.span);
                        let v = level.node;
                        if v > 0.0 && v < 1.0 {
                            settings.interval = v;
                        } else {
                            self.push(
                                Diagnostic::error(codes::E0610, format!("the interval's probability {} is not strictly between 0 and 1", trialc_runtime::fmt::exact(v)))
                                    .with_primary(level.span, "interval probability")
                                    .with_help("write `interval 0.90` or `interval 0.95` (a probability, not a percentage)"),
                            );
                        }
                    }
                    ast::ReportEntryKind::Estimate(word) => {
                        if let Some(first) = estimate {
                            self.duplicate_field_span("estimate", entry.span, first);
                            continue;
                        }
                        estimate = Some(entry.span);
                        match word.node.as_str() {
                            "mean" => settings.estimate = Estimate::Mean,
                            "median" => settings.estimate = Estimate::Median,
                            other => {
                                self.push(
                                    Diagnostic::error(
                                        codes::E0610,
                                        format!("`{other}` is not a point estimate"),
                                    )
                                    .with_primary(word.span, "expected `median` or `mean`")
                                    .with_help(suggestion(
                                        "point estimate",
                                        other,
                                        &["median", "mean"],
                                    )),
                                );
                            }
                        }
                    }
                    ast::ReportEntryKind::Probability(statement) => {
                        if let Some(s) = self.statement(statement, arms, reference, outcomes) {
                            settings.probabilities.push(s);
                        }
                    }
                    ast::ReportEntryKind::Summary(quantity) => {
                        if let Some(q) = self.quantity(quantity, arms, reference, outcomes) {
                            settings.summaries.push(q);
                        }
                    }
                }
            }
        }
        settings
    }

    pub(super) fn arm_ref(&mut self, arm: &ast::Ident, arms: &[Arm]) -> Option<usize> {
        let found = arms.iter().position(|a| a.name == arm.node);
        if found.is_none() {
            let names: Vec<&str> = arms.iter().map(|a| a.name.as_str()).collect();
            self.push(
                Diagnostic::error(codes::E0201, format!("there is no arm `{}`", arm.node))
                    .with_primary(arm.span, "unknown arm")
                    .with_help(suggestion("arm", &arm.node, &names)),
            );
        }
        found
    }

    /// Every condition of a rule, each checked; `None` when any has an error.
    fn conditions(
        &mut self,
        conditions: &[ast::Condition],
        arms: &[Arm],
        reference: Option<usize>,
        outcomes: &[Outcome],
    ) -> Option<Vec<Condition>> {
        let checked: Vec<Option<Condition>> = conditions
            .iter()
            .map(|c| self.condition(c, arms, reference, outcomes))
            .collect();
        checked.into_iter().collect()
    }

    pub(super) fn condition(
        &mut self,
        condition: &ast::Condition,
        arms: &[Arm],
        reference: Option<usize>,
        outcomes: &[Outcome],
    ) -> Option<Condition> {
        let statement = self.statement(&condition.statement, arms, reference, outcomes);
        let p = condition.probability.node;
        if !(p > 0.0 && p < 1.0) {
            self.push(
                Diagnostic::error(codes::E0601, format!("the probability threshold {p} is not strictly between 0 and 1"))
                    .with_primary(condition.probability.span, "threshold")
                    .with_note("a posterior probability of exactly 0 or 1 is never reached from finitely many draws")
                    .with_help("use a threshold such as 0.8 or 0.95"),
            );
            return None;
        }
        Some(Condition {
            statement: statement?,
            probability_comparison: comparison(condition.probability_comparison.node),
            probability: p,
            span: condition.span,
        })
    }

    /// `QUANTITY CMP THRESHOLD`: the quantity checked, the threshold on its
    /// scale (`mcid` substituted on the effect scale only; ratios positive;
    /// risk differences between -1 and 1).
    pub(super) fn statement(
        &mut self,
        statement: &ast::Statement,
        arms: &[Arm],
        reference: Option<usize>,
        outcomes: &[Outcome],
    ) -> Option<Statement> {
        let quantity = self.quantity(&statement.quantity, arms, reference, outcomes)?;
        let outcome = &outcomes[quantity.outcome];
        let scale = quantity.scale;
        let (threshold, threshold_text) = match statement.threshold.node {
            ast::Threshold::Value(v) => (v, trialc_runtime::fmt::exact(v)),
            ast::Threshold::Mcid { negative } => {
                if scale != Scale::Effect {
                    self.push(
                        Diagnostic::error(
                            codes::E0609,
                            format!(
                                "the MCID of `{}` is on the effect's scale, not on the `{}` scale",
                                outcome.name,
                                scale.word()
                            ),
                        )
                        .with_primary(statement.threshold.span, "mcid")
                        .with_secondary(
                            statement.quantity.scale.span,
                            format!("a statement about the {}", scale.word().replace('_', " ")),
                        )
                        .with_help(format!(
                            "compare the `{}` with a number, e.g. `< {}`",
                            scale.word(),
                            if scale.is_ratio() { "0.8" } else { "-0.1" }
                        )),
                    );
                    return None;
                }
                match outcome.mcid {
                    Some(m) => (
                        if negative { -m } else { m },
                        if negative { "-mcid" } else { "mcid" }.to_string(),
                    ),
                    None => {
                        self.push(
                            Diagnostic::error(
                                codes::E0602,
                                format!(
                                    "the rule uses the MCID of `{}`, which has none",
                                    outcome.name
                                ),
                            )
                            .with_primary(statement.threshold.span, "mcid")
                            .with_secondary(outcome.span, "no `mcid` in this outcome")
                            .with_help("add `mcid N` to the outcome, or compare with a number"),
                        );
                        return None;
                    }
                }
            }
        };
        let outside = match scale {
            Scale::Effect => !threshold.is_finite(),
            Scale::OddsRatio | Scale::RateRatio => !(threshold > 0.0 && threshold.is_finite()),
            Scale::RiskDifference => !(threshold > -1.0 && threshold < 1.0),
        };
        if outside {
            let range = match scale {
                Scale::OddsRatio | Scale::RateRatio => "a ratio is positive: 1 is no difference",
                _ => "a risk difference lies strictly between -1 and 1: 0 is no difference",
            };
            self.push(
                Diagnostic::error(
                    codes::E0608,
                    format!(
                        "the threshold {threshold_text} is outside the `{}` scale",
                        scale.word()
                    ),
                )
                .with_primary(statement.threshold.span, "outside the scale")
                .with_note(range)
                .with_help(match scale {
                    Scale::OddsRatio | Scale::RateRatio => {
                        "e.g. `< 0.8` for a 20% reduction, `< 2` for less than a doubling"
                    }
                    _ => "e.g. `< -0.1` for 10 percentage points fewer events",
                }),
            );
            return None;
        }
        Some(Statement {
            quantity,
            comparison: comparison(statement.comparison.node),
            threshold,
            threshold_text,
            span: statement.span,
        })
    }

    /// `SCALE [of ARM [vs ARM]] on OUTCOME`
    pub(super) fn quantity(
        &mut self,
        quantity: &ast::QuantityRef,
        arms: &[Arm],
        reference: Option<usize>,
        outcomes: &[Outcome],
    ) -> Option<Quantity> {
        let mut ok = true;
        let declared = self.declared_outcomes.clone();
        let outcome_names: Vec<&str> = declared.iter().map(String::as_str).collect();
        let outcome_index = outcomes
            .iter()
            .position(|o| o.name == quantity.outcome.node);
        let invalid = self
            .invalid_outcomes
            .iter()
            .any(|o| o.name == quantity.outcome.node);
        if outcome_index.is_none() && invalid {
            // Declared with errors of its own (reported): nothing to add.
            ok = false;
        } else if outcome_index.is_none() {
            ok = false;
            self.push(
                Diagnostic::error(
                    codes::E0202,
                    format!("there is no outcome `{}`", quantity.outcome.node),
                )
                .with_primary(quantity.outcome.span, "unknown outcome")
                .with_help(suggestion(
                    "outcome",
                    &quantity.outcome.node,
                    &outcome_names,
                )),
            );
        }
        // The arm compared with: the reference unless `vs` names another.
        let versus = match &quantity.versus {
            Some(v) => {
                let index = self.arm_ref(v, arms);
                ok &= index.is_some();
                index
            }
            None => reference,
        };
        // Without a reference arm (E0302/E0303) the arm is still checked.
        let arm_index = match &quantity.arm {
            Some(arm) => {
                let index = self.arm_ref(arm, arms);
                if index.is_some() && index == versus {
                    if quantity.versus.is_some() {
                        self.push(
                            Diagnostic::error(
                                codes::E0606,
                                format!("the quantity compares `{}` with itself", arm.node),
                            )
                            .with_primary(quantity.span, "the same arm on both sides")
                            .with_help("compare two different arms: `of A vs B`"),
                        );
                    } else {
                        self.push(
                            Diagnostic::error(
                                codes::E0604,
                                format!(
                                    "`{}` is the reference arm; its effect is zero by definition",
                                    arm.node
                                ),
                            )
                            .with_primary(arm.span, "reference arm")
                            .with_help("test the effect of a treatment arm against the reference, or compare two arms with `of A vs B`"),
                        );
                    }
                    return None;
                }
                index
            }
            None => {
                let others: Vec<usize> = match reference {
                    Some(reference) => (0..arms.len()).filter(|&i| i != reference).collect(),
                    None => Vec::new(),
                };
                match others.as_slice() {
                    [only] => Some(*only),
                    // No arm besides the reference (E0301), or no reference.
                    [] => None,
                    _ => {
                        self.push(
                            Diagnostic::error(codes::E0603, "with more than two arms the rule must say which arm's effect it tests")
                                .with_primary(quantity.span, "effect of which arm?")
                                .with_help(format!(
                                    "write `{} of {} on {} …`",
                                    quantity.scale.node.word(),
                                    others.first().map(|&i| arms[i].name.as_str()).unwrap_or("ARM"),
                                    quantity.outcome.node
                                )),
                        );
                        None
                    }
                }
            }
        };
        let scale = hir_scale(quantity.scale.node);
        if let Some(o) = outcome_index.map(|i| &outcomes[i]) {
            let fits = match scale {
                Scale::Effect => true,
                Scale::OddsRatio => {
                    matches!(
                        o.kind,
                        OutcomeType::Binary
                            | OutcomeType::Binomial { .. }
                            | OutcomeType::Ordinal { .. }
                    )
                }
                Scale::RateRatio => matches!(o.kind, OutcomeType::Count { .. }),
                Scale::RiskDifference => {
                    matches!(o.kind, OutcomeType::Binary | OutcomeType::Binomial { .. })
                }
            };
            if !fits {
                ok = false;
                let which = match scale {
                    Scale::OddsRatio => "binary, binomial and ordinal outcomes",
                    Scale::RateRatio => "count outcomes",
                    _ => "binary and binomial outcomes",
                };
                self.push(
                    Diagnostic::error(
                        codes::E0607,
                        format!(
                            "`{}` is not a scale of `{}`, a {} outcome",
                            scale.word(),
                            o.name,
                            o.kind.name()
                        ),
                    )
                    .with_primary(quantity.scale.span, format!("defined for {which}"))
                    .with_secondary(o.span, "declared here")
                    .with_help(format!(
                        "use `effect` (the {}){}",
                        match o.kind {
                            OutcomeType::Continuous { .. } => "difference in means",
                            _ => o.kind.effect_scale(),
                        },
                        match o.kind {
                            OutcomeType::Binary | OutcomeType::Binomial { .. } => {
                                ", `odds_ratio` or `risk_difference`"
                            }
                            OutcomeType::Ordinal { .. } =>
                                " or `odds_ratio` (the cumulative odds ratio)",
                            OutcomeType::Count { .. } => " or `rate_ratio`",
                            _ => "",
                        }
                    )),
                );
            }
        }
        let (arm_index, outcome_index, versus) = (arm_index?, outcome_index?, versus?);
        if !ok {
            return None;
        }
        Some(Quantity {
            scale,
            arm: arm_index,
            versus,
            outcome: outcome_index,
            span: quantity.span,
        })
    }

    /// A `recommend` condition read for the recommended arm: about another
    /// pair of arms (W0604), requiring that the recommended arm is likely
    /// worse (W0602), or that its benefit is unlikely (W0603).
    fn recommendation_direction(
        &mut self,
        arm: &ast::Ident,
        recommended: usize,
        condition: &Condition,
        arms: &[Arm],
        outcome: &Outcome,
    ) {
        let q = &condition.statement.quantity;
        let orientation = if q.arm == recommended {
            1.0
        } else if q.versus == recommended {
            -1.0
        } else {
            self.push(
                Diagnostic::warning(
                    codes::W0604,
                    format!(
                        "the rule recommends `{}` on a comparison of `{}` with `{}`",
                        arm.node, arms[q.arm].name, arms[q.versus].name
                    ),
                )
                .with_primary(arm.span, "recommended arm")
                .with_secondary(condition.span, "a comparison that leaves it out")
                .with_help(
                    "make the rule test the arm it recommends, against the reference or with `vs`",
                ),
            );
            return;
        };
        let side = side_of(&condition.statement, outcome).map(|worse| {
            // `of A vs B` worse for A is better for B.
            if orientation < 0.0 {
                !worse
            } else {
                worse
            }
        });
        let likely = matches!(
            condition.probability_comparison,
            Comparison::Greater | Comparison::GreaterEqual
        );
        match (side, likely) {
            (Some(true), true) => {
                let better = match outcome.better {
                    Direction::Lower => "lower",
                    Direction::Higher => "higher",
                };
                self.push(
                    Diagnostic::warning(
                        codes::W0602,
                        format!(
                            "this rule recommends `{}` when `{}` gets worse on it",
                            arm.node, outcome.name
                        ),
                    )
                    .with_primary(condition.statement.span, "tests for harm")
                    .with_secondary(outcome.span, format!("`better {better}`"))
                    .with_help(match outcome.better {
                        Direction::Lower => {
                            "for `better lower`, benefit of an arm is `effect of ARM … < -mcid` (or `< 0`)"
                        }
                        Direction::Higher => {
                            "for `better higher`, benefit of an arm is `effect of ARM … > mcid` (or `> 0`)"
                        }
                    }),
                );
            }
            (Some(false), false) => {
                self.push(
                    Diagnostic::warning(
                        codes::W0603,
                        "this rule recommends the arm when its benefit is unlikely",
                    )
                    .with_primary(condition.span, "probability compared with `<`")
                    .with_note("a recommendation needs the posterior probability of benefit to be high, not low")
                    .with_help(format!(
                        "write `P(…) >= {}`",
                        trialc_runtime::fmt::exact(condition.probability)
                    )),
                );
            }
            _ => {}
        }
    }
}

/// Which side of "no difference" a statement's set of values lies on, for
/// the statement's own arm: `Some(true)` when every value it allows is worse
/// than no difference (the outcome's `better` read the other way),
/// `Some(false)` when every value is better, `None` when it allows both.
fn side_of(statement: &Statement, outcome: &Outcome) -> Option<bool> {
    let null = statement.quantity.scale.null();
    let t = statement.threshold;
    let above = matches!(
        statement.comparison,
        Comparison::Greater | Comparison::GreaterEqual
    );
    // The set is (t, inf) or (-inf, t): wholly above null when t >= null.
    let wholly_above = above && t >= null;
    let wholly_below = !above && t <= null;
    let higher_is_worse = matches!(outcome.better, Direction::Lower);
    if wholly_above {
        Some(higher_is_worse)
    } else if wholly_below {
        Some(!higher_is_worse)
    } else {
        None
    }
}

fn hir_scale(scale: ast::Scale) -> Scale {
    match scale {
        ast::Scale::Effect => Scale::Effect,
        ast::Scale::OddsRatio => Scale::OddsRatio,
        ast::Scale::RateRatio => Scale::RateRatio,
        ast::Scale::RiskDifference => Scale::RiskDifference,
    }
}

pub(super) fn comparison(c: ast::Comparison) -> Comparison {
    match c {
        ast::Comparison::Less => Comparison::Less,
        ast::Comparison::LessEqual => Comparison::LessEqual,
        ast::Comparison::Greater => Comparison::Greater,
        ast::Comparison::GreaterEqual => Comparison::GreaterEqual,
    }
}
