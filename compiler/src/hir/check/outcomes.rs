//! Outcome blocks: type, measurement plan, direction, MCID, primary.

use super::*;

/// What [`Checker::outcome`] found.
pub(super) enum CheckedOutcome {
    Valid(Outcome),
    /// With errors (reported); the outcome as far as it could be checked,
    /// when its type is known.
    Invalid(Option<Outcome>),
}

impl Checker {
    pub(super) fn outcomes(
        &mut self,
        file: &ast::File,
        schedule: Option<&ScheduleDecl>,
    ) -> Vec<Outcome> {
        let mut outcomes = Vec::new();
        let mut seen = HashMap::new();
        let mut primaries: Vec<Span> = Vec::new();
        for item in &file.items {
            let ast::ItemKind::Outcome(block) = &item.kind else {
                continue;
            };
            if let Some(first) = find_duplicate(&mut seen, &block.name) {
                self.push(
                    Diagnostic::error(
                        codes::E0204,
                        format!("outcome `{}` is declared twice", block.name.node),
                    )
                    .with_primary(block.name.span, "declared again here")
                    .with_secondary(first, "first declared here"),
                );
                continue;
            }
            self.declared_outcomes.push(block.name.node.clone());
            match self.outcome(block, schedule) {
                CheckedOutcome::Valid(outcome) => {
                    if outcome.primary {
                        primaries.push(outcome.span);
                    }
                    outcomes.push(outcome);
                }
                CheckedOutcome::Invalid(stand_in) => {
                    // Already reported; it still counts as declared (and as
                    // primary if it says so), so nothing cascades from it,
                    // and its model is checked against the stand-in.
                    self.invalid_outcomes.push(InvalidOutcome {
                        name: block.name.node.clone(),
                        stand_in,
                    });
                    let marked = |want: fn(&ast::OutcomeFieldKind) -> bool| {
                        block.fields.iter().any(|f| want(&f.kind))
                    };
                    let primary = marked(|k| matches!(k, ast::OutcomeFieldKind::Primary))
                        && !marked(|k| matches!(k, ast::OutcomeFieldKind::Secondary));
                    if primary {
                        primaries.push(block.name.span);
                    }
                }
            }
        }
        match primaries.as_slice() {
            [_] => {}
            [] => {
                let d = Diagnostic::error(codes::E0401, "no outcome is marked primary")
                    .with_note(
                        "the protocol's conclusion rests on one pre-specified primary outcome",
                    )
                    .with_help("add `primary` to the outcome the trial is powered for");
                self.push(match outcomes.first() {
                    Some(o) => d.with_primary(o.span, "an outcome without `primary`"),
                    None => d.with_primary(Span::new(0, 0), "no outcome in this file"),
                });
            }
            [first, rest @ ..] => {
                for span in rest {
                    self.push(
                        Diagnostic::error(codes::E0402, "more than one outcome is marked primary")
                            .with_primary(*span, "also primary")
                            .with_secondary(*first, "first primary outcome")
                            .with_note("several primary outcomes inflate the chance of a false recommendation")
                            .with_help("keep one primary outcome and mark the others `secondary`"),
                    );
                }
            }
        }
        outcomes
    }

    pub(super) fn outcome(
        &mut self,
        block: &ast::OutcomeBlock,
        schedule: Option<&ScheduleDecl>,
    ) -> CheckedOutcome {
        let mut kind = None;
        let mut measured = None;
        let mut better = None;
        let mut mcid: Option<ast::Spanned<f64>> = None;
        let mut unit = None;
        let mut trials_column = None;
        let mut primary: Option<Span> = None;
        let mut secondary: Option<Span> = None;
        let mut seen: HashMap<&'static str, Span> = HashMap::new();
        // A field whose value did not parse is reported; it counts as given
        // (no "missing" error), and the outcome as invalid.
        let rejected = |key: &str| block.rejected.iter().any(|k| k.node == key);
        let mut ok = block.rejected.is_empty();
        for field in &block.fields {
            let key = outcome_field_name(&field.kind);
            if let Some(first) = seen.get(key) {
                self.duplicate_field_span(key, field.span, *first);
                continue;
            }
            seen.insert(key, field.span);
            match &field.kind {
                ast::OutcomeFieldKind::Type(t) => {
                    kind = self.outcome_type(t, field.span);
                    ok &= kind.is_some();
                    if let ast::OutcomeType::Binomial { trials } = t {
                        if let ast::Trials::Column(c) = &trials.node {
                            trials_column = Some(Located {
                                value: c.clone(),
                                span: trials.span,
                            });
                        }
                    }
                }
                ast::OutcomeFieldKind::Measured(m) => {
                    measured = Some(match m {
                        ast::Measured::Daily => Measured::Daily,
                        ast::Measured::Weekly => Measured::Weekly,
                        ast::Measured::PerPeriod => Measured::PerPeriod,
                        ast::Measured::OnDays(days) => {
                            for day in days {
                                // Without a valid schedule only day 0 is known to be wrong.
                                let period_days = schedule.and_then(|s| s.shortest_period());
                                let outside =
                                    day.node == 0 || period_days.is_some_and(|p| day.node > p);
                                if outside {
                                    ok = false;
                                    let headline = match period_days {
                                        Some(p) => format!(
                                            "day {} is not a day of {} {p}-day period",
                                            day.node,
                                            if schedule.is_some_and(|s| matches!(
                                                s.period,
                                                crate::schedule::PeriodLengths::Each(_)
                                            )) {
                                                "the shortest,"
                                            } else {
                                                "a"
                                            }
                                        ),
                                        None => {
                                            format!("day {} is not a day of a period", day.node)
                                        }
                                    };
                                    self.push(
                                        Diagnostic::error(codes::E0411, headline)
                                            .with_primary(day.span, "outside the period")
                                            .with_help(
                                                "days are counted from 1 within each period",
                                            ),
                                    );
                                }
                            }
                            // A washout that fills the period is E0306 already.
                            let washout = schedule
                                .filter(|s| s.shortest_period().is_none_or(|p| s.washout_days < p))
                                .map_or(0, |s| s.washout_days);
                            if washout > 0
                                && !days.is_empty()
                                && days.iter().all(|d| d.node <= washout)
                            {
                                let span = days[0].span.to(days[days.len() - 1].span);
                                self.push(
                                    Diagnostic::warning(
                                        codes::W0304,
                                        format!("every measurement day of `{}` falls in the washout after a switch", block.name.node),
                                    )
                                    .with_primary(span, format!("days within the first {washout} of a period"))
                                    .with_note("washout days are not analysed, so periods that follow a switch contribute no measurement of this outcome")
                                    .with_help(format!("measure on a later day of the period (after day {washout})")),
                                );
                            }
                            Measured::OnDays(days.iter().map(|d| d.node).collect())
                        }
                    })
                }
                ast::OutcomeFieldKind::Better(d) => {
                    better = Some(match d.node {
                        ast::Direction::Lower => Direction::Lower,
                        ast::Direction::Higher => Direction::Higher,
                    })
                }
                ast::OutcomeFieldKind::Mcid(m) => mcid = Some(m.clone()),
                ast::OutcomeFieldKind::Unit(u) => unit = Some(u.node.clone()),
                ast::OutcomeFieldKind::Primary => primary = Some(field.span),
                ast::OutcomeFieldKind::Secondary => secondary = Some(field.span),
            }
        }
        if let (Some(p), Some(s)) = (primary, secondary) {
            ok = false;
            self.push(
                Diagnostic::error(
                    codes::E0412,
                    format!(
                        "outcome `{}` is marked both primary and secondary",
                        block.name.node
                    ),
                )
                .with_primary(s, "secondary")
                .with_secondary(p, "primary")
                .with_help("keep one of the two"),
            );
        }
        let Some(kind) = kind else {
            if !seen.contains_key("type") && !rejected("type") {
                self.push(
                    Diagnostic::error(
                        codes::E0403,
                        format!("outcome `{}` has no type", block.name.node),
                    )
                    .with_primary(block.name.span, "this outcome")
                    .with_note(
                        "the type fixes the likelihood: continuous, binary, count or ordinal",
                    )
                    .with_help("add e.g. `type continuous in [0, 10]`"),
                );
            }
            return CheckedOutcome::Invalid(None);
        };
        let stand_in = |better: Direction, mcid: Option<f64>| Outcome {
            name: block.name.node.clone(),
            description: block.description.as_ref().map(|d| d.node.clone()),
            kind,
            measured: measured.clone().unwrap_or(Measured::Daily),
            better,
            mcid,
            unit: unit.clone(),
            primary: primary.is_some(),
            span: block.name.span,
            trials_column: trials_column.clone(),
        };
        let Some(better) = better else {
            if rejected("better") {
                return CheckedOutcome::Invalid(Some(stand_in(Direction::Lower, None)));
            }
            self.push(
                Diagnostic::error(
                    codes::E0408,
                    format!(
                        "outcome `{}` does not say which direction is better",
                        block.name.node
                    ),
                )
                .with_primary(block.name.span, "this outcome")
                .with_note("decision rules read benefit through this direction")
                .with_help(
                    "add `better lower` (e.g. pain) or `better higher` (e.g. sleep quality)",
                ),
            );
            return CheckedOutcome::Invalid(Some(stand_in(Direction::Lower, None)));
        };
        if let Some(m) = &mcid {
            if m.node.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || !m.node.is_finite()
            {
                ok = false;
                self.push(
                    Diagnostic::error(codes::E0406, "the MCID must be a positive number")
                        .with_primary(m.span, "not positive")
                        .with_note(
                            "the MCID is a size of change; its direction comes from `better`",
                        )
                        .with_help("write the MCID as a positive amount, e.g. `mcid 1.0`"),
                );
            } else {
                let range = match kind {
                    OutcomeType::Continuous {
                        bounds: Some((lo, hi)),
                    } => Some((hi - lo, "the outcome's range")),
                    // Binary, count and ordinal MCIDs are on the effect's
                    // (log odds / log rate) scale, which has no fixed range.
                    _ => None,
                };
                if let Some((range, what)) = range {
                    if m.node >= range {
                        ok = false;
                        self.push(
                            Diagnostic::error(
                                codes::E0407,
                                format!("the MCID {} is not smaller than {what} ({range})", m.node),
                            )
                            .with_primary(m.span, "too large for this scale")
                            .with_help("give the MCID in the outcome's own units"),
                        );
                    }
                }
            }
        }
        let mcid = mcid.map(|m| m.node);
        if ok {
            CheckedOutcome::Valid(stand_in(better, mcid))
        } else {
            CheckedOutcome::Invalid(Some(stand_in(better, mcid)))
        }
    }

    pub(super) fn outcome_type(&mut self, t: &ast::OutcomeType, span: Span) -> Option<OutcomeType> {
        Some(match t {
            ast::OutcomeType::Continuous { bounds } => {
                if let Some(b) = bounds {
                    let (lo, hi) = b.node;
                    if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
                        self.push(
                            Diagnostic::error(
                                codes::E0404,
                                format!("the bounds [{lo}, {hi}] are empty"),
                            )
                            .with_primary(b.span, "lower bound is not below the upper bound")
                            .with_help("write the lowest possible value first, e.g. `in [0, 10]`"),
                        );
                        return None;
                    }
                }
                OutcomeType::Continuous {
                    bounds: bounds.as_ref().map(|b| b.node),
                }
            }
            ast::OutcomeType::Binary => OutcomeType::Binary,
            ast::OutcomeType::Binomial { trials } => match trials.node {
                ast::Trials::Fixed(0) => {
                    self.push(
                        Diagnostic::error(
                            codes::E0409,
                            "a binomial outcome needs at least one trial a day",
                        )
                        .with_primary(trials.span, "zero trials")
                        .with_help("write the number of trials each day, e.g. `binomial of 10`, or the diary column that records it"),
                    );
                    return None;
                }
                ast::Trials::Fixed(n) => OutcomeType::Binomial { trials: Some(n) },
                ast::Trials::Column(_) => OutcomeType::Binomial { trials: None },
            },
            ast::OutcomeType::Count { overdispersed } => OutcomeType::Count {
                overdispersed: *overdispersed,
            },
            ast::OutcomeType::Ordinal { levels } => {
                let (low, high) = levels.node;
                if high <= low {
                    self.push(
                        Diagnostic::error(codes::E0405, format!("an ordinal outcome needs at least two levels; `{low}..{high}` has {}", if high < low { 0 } else { 1 }))
                            .with_primary(levels.span, "levels")
                            .with_help("write the lowest and highest level, e.g. `ordinal 1..5`"),
                    );
                    return None;
                }
                let _ = span;
                OutcomeType::Ordinal { low, high }
            }
        })
    }
}

pub(super) fn outcome_field_name(kind: &ast::OutcomeFieldKind) -> &'static str {
    match kind {
        ast::OutcomeFieldKind::Type(_) => "type",
        ast::OutcomeFieldKind::Measured(_) => "measured",
        ast::OutcomeFieldKind::Better(_) => "better",
        ast::OutcomeFieldKind::Mcid(_) => "mcid",
        ast::OutcomeFieldKind::Unit(_) => "unit",
        ast::OutcomeFieldKind::Primary => "primary",
        ast::OutcomeFieldKind::Secondary => "secondary",
    }
}
