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
                    ast::RuleKind::Recommend { arm, condition } => {
                        let Some(arm_index) = self.arm_ref(arm, arms) else {
                            continue;
                        };
                        if Some(arm_index) == reference {
                            self.push(
                                Diagnostic::error(codes::E0604, format!("`{}` is the reference arm; a rule cannot recommend it by its own effect", arm.node))
                                    .with_primary(arm.span, "reference arm")
                                    .with_help("recommend the arm whose effect against the reference the rule tests"),
                            );
                            continue;
                        }
                        let Some(condition) = self.condition(condition, arms, reference, outcomes)
                        else {
                            continue;
                        };
                        if condition.arm != arm_index {
                            self.push(
                                Diagnostic::warning(
                                    codes::W0604,
                                    format!(
                                        "the rule recommends `{}` on the effect of `{}`",
                                        arm.node, arms[condition.arm].name
                                    ),
                                )
                                .with_primary(arm.span, "recommended arm")
                                .with_secondary(condition.span, "condition about another arm")
                                .with_help(
                                    "make the rule test the effect of the arm it recommends",
                                ),
                            );
                        }
                        self.benefit_direction(&condition, &outcomes[condition.outcome]);
                        if matches!(
                            condition.probability_comparison,
                            Comparison::Less | Comparison::LessEqual
                        ) {
                            self.push(
                                Diagnostic::warning(
                                    codes::W0603,
                                    "this rule recommends the arm when its condition is unlikely",
                                )
                                .with_primary(condition.span, "probability compared with `<`")
                                .with_note("a recommendation needs the posterior probability of benefit to be high, not low")
                                .with_help(format!(
                                    "write `P(…) >= {}`",
                                    format_number(condition.probability)
                                )),
                            );
                        }
                        rules.push(Rule::When {
                            kind: RuleKind::Recommend { arm: arm_index },
                            condition,
                            span: rule.span,
                        });
                    }
                    ast::RuleKind::StopEarly { condition, after } => {
                        let Some(condition) = self.condition(condition, arms, reference, outcomes)
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
                            condition,
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

    pub(super) fn condition(
        &mut self,
        condition: &ast::Condition,
        arms: &[Arm],
        reference: Option<usize>,
        outcomes: &[Outcome],
    ) -> Option<Condition> {
        let mut ok = true;
        let declared = self.declared_outcomes.clone();
        let outcome_names: Vec<&str> = declared.iter().map(String::as_str).collect();
        let outcome_index = outcomes
            .iter()
            .position(|o| o.name == condition.outcome.node);
        let invalid = self
            .invalid_outcomes
            .iter()
            .any(|o| o.name == condition.outcome.node);
        if outcome_index.is_none() && invalid {
            // Declared with errors of its own (reported): nothing to add.
            ok = false;
        } else if outcome_index.is_none() {
            ok = false;
            self.push(
                Diagnostic::error(
                    codes::E0202,
                    format!("there is no outcome `{}`", condition.outcome.node),
                )
                .with_primary(condition.outcome.span, "unknown outcome")
                .with_help(suggestion(
                    "outcome",
                    &condition.outcome.node,
                    &outcome_names,
                )),
            );
        }
        // Without a reference arm (E0302/E0303) the arm and the probability
        // are still checked.
        let arm_index = match &condition.arm {
            Some(arm) => {
                let index = self.arm_ref(arm, arms);
                if index.is_some() && index == reference {
                    self.push(
                        Diagnostic::error(
                            codes::E0604,
                            format!(
                                "`{}` is the reference arm; its effect is zero by definition",
                                arm.node
                            ),
                        )
                        .with_primary(arm.span, "reference arm")
                        .with_help("test the effect of a treatment arm against the reference"),
                    );
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
                                .with_primary(condition.span, "effect of which arm?")
                                .with_help(format!(
                                    "write `P(effect of {} on {} …)`",
                                    others.first().map(|&i| arms[i].name.as_str()).unwrap_or("ARM"),
                                    condition.outcome.node
                                )),
                        );
                        None
                    }
                }
            }
        };
        let p = condition.probability.node;
        if !(p > 0.0 && p < 1.0) {
            ok = false;
            self.push(
                Diagnostic::error(codes::E0601, format!("the probability threshold {p} is not strictly between 0 and 1"))
                    .with_primary(condition.probability.span, "threshold")
                    .with_note("a posterior probability of exactly 0 or 1 is never reached from finitely many draws")
                    .with_help("use a threshold such as 0.8 or 0.95"),
            );
        }
        let (arm_index, outcome_index) = (arm_index?, outcome_index?);
        let outcome = &outcomes[outcome_index];
        let (threshold, threshold_text) = match condition.threshold.node {
            ast::Threshold::Value(v) => (v, format_number(v)),
            ast::Threshold::Mcid { negative } => match outcome.mcid {
                Some(m) => (
                    if negative { -m } else { m },
                    if negative {
                        "-mcid".to_string()
                    } else {
                        "mcid".to_string()
                    },
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
                        .with_primary(condition.threshold.span, "mcid")
                        .with_secondary(outcome.span, "no `mcid` in this outcome")
                        .with_help("add `mcid N` to the outcome, or compare with a number"),
                    );
                    return None;
                }
            },
        };
        if !ok {
            return None;
        }
        Some(Condition {
            arm: arm_index,
            outcome: outcome_index,
            comparison: comparison(condition.comparison.node),
            threshold,
            threshold_text,
            probability_comparison: comparison(condition.probability_comparison.node),
            probability: p,
            span: condition.span,
        })
    }

    /// A recommendation whose condition describes harm is almost always a sign error.
    pub(super) fn benefit_direction(&mut self, condition: &Condition, outcome: &Outcome) {
        let towards_higher = matches!(
            condition.comparison,
            Comparison::Greater | Comparison::GreaterEqual
        );
        let harmful = match outcome.better {
            Direction::Lower => towards_higher && condition.threshold >= 0.0,
            Direction::Higher => !towards_higher && condition.threshold <= 0.0,
        };
        if harmful {
            let better = match outcome.better {
                Direction::Lower => "lower",
                Direction::Higher => "higher",
            };
            self.push(
                Diagnostic::warning(
                    codes::W0602,
                    format!(
                        "this rule recommends an arm when `{}` gets worse",
                        outcome.name
                    ),
                )
                .with_primary(condition.span, "tests for harm")
                .with_secondary(outcome.span, format!("`better {better}`"))
                .with_help(match outcome.better {
                    Direction::Lower => {
                        "for `better lower`, benefit is `effect < -mcid` (or `< 0`)"
                    }
                    Direction::Higher => {
                        "for `better higher`, benefit is `effect > mcid` (or `> 0`)"
                    }
                }),
            );
        }
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

pub(super) fn format_number(v: f64) -> String {
    format!("{v}")
}
