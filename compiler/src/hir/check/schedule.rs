//! The schedule block: durations, the sequence design, washout, seed, `max_run`.

use super::imports::reanchor_field;
use super::*;

impl Checker {
    pub(super) fn schedule(&mut self, file: &ast::File, arms: &[Arm]) -> Option<ScheduleDecl> {
        let mut blocks = file.items.iter().filter_map(|item| match &item.kind {
            ast::ItemKind::Schedule(block) => Some((block, item.span)),
            _ => None,
        });
        let Some((block, block_span)) = blocks.next() else {
            self.push(
                Diagnostic::error(codes::E0304, "the spec has no `schedule` block")
                    .with_primary(Span::new(0, 0), "expected a schedule in this file")
                    .with_help("add `schedule { period 14 days  cycles 3  sequence randomized pairs  seed 1 }`"),
            );
            return None;
        };
        for (extra, extra_span) in blocks {
            let _ = extra;
            self.duplicate_field_span("schedule", extra_span, block_span);
        }
        let header_span = header(block_span);

        // Fields from the design come first; the block's own fields override them.
        // When the design does not resolve (E0207), fields it would have given
        // are not reported again as missing.
        let mut from_failed = false;
        let mut fields: Vec<ast::ScheduleField> = Vec::new();
        if let Some(from) = &block.from {
            match self.designs.get(&from.node).cloned() {
                Some(design_fields) => fields.extend(
                    design_fields
                        .into_iter()
                        .map(|f| reanchor_field(f, from.span)),
                ),
                None if self.blame_failed_import("design", from) => from_failed = true,
                None => {
                    from_failed = true;
                    let known: Vec<&str> = self.designs.keys().map(String::as_str).collect();
                    self.push(
                        Diagnostic::error(
                            codes::E0207,
                            format!("there is no design `{}`", from.node),
                        )
                        .with_primary(from.span, "unknown design")
                        .with_help(if known.is_empty() {
                            "import one first, e.g. `use std.designs.*`".to_string()
                        } else {
                            suggestion("design", &from.node, &known)
                        }),
                    );
                }
            }
        }
        let own_start = fields.len();
        fields.extend(block.fields.iter().cloned());

        let mut start = None;
        let mut run_in = None;
        let mut period: Option<(PeriodLengths, Span)> = None;
        let mut cycles = None;
        let mut periods = None;
        let mut sequence: Option<ast::Spanned<ast::SequenceDesign>> = None;
        let mut max_run = None;
        let mut washout = None;
        let mut carryover = None;
        let mut blinding = None;
        let mut seed = None;
        let mut window = None;
        // Fields whose value was read, with their spans: `period` among them
        // even when its length was wrong (reported), for E0318.
        let mut seen: HashMap<&'static str, Span> = HashMap::new();
        for (index, field) in fields.iter().enumerate() {
            let key = schedule_field_name(&field.kind);
            // A design's field may be overridden by the block; a field given twice
            // by the same source is a mistake.
            if let Some(first) = seen.get(key) {
                let first_is_design = first_is_from_design(*first, &fields[..own_start]);
                if !(index >= own_start && first_is_design) {
                    self.duplicate_field_span(key, field.span, *first);
                    continue;
                }
            }
            seen.insert(key, field.span);
            match &field.kind {
                ast::ScheduleFieldKind::Start(date) => match chrono::NaiveDate::from_ymd_opt(
                    date.node.year,
                    date.node.month,
                    date.node.day,
                ) {
                    Some(d) => start = Some((d, date.span)),
                    None => self.push(
                        Diagnostic::error(
                            codes::E0312,
                            format!(
                                "{:04}-{:02}-{:02} is not a calendar date",
                                date.node.year, date.node.month, date.node.day
                            ),
                        )
                        .with_primary(date.span, "no such day")
                        .with_help("write the date as YYYY-MM-DD with a valid month and day"),
                    ),
                },
                ast::ScheduleFieldKind::RunIn(d) => {
                    run_in = self.duration_days(d, "run-in").map(|days| (days, d.span))
                }
                ast::ScheduleFieldKind::Period(d) => {
                    period = self
                        .duration_days(d, "period")
                        .map(|days| (PeriodLengths::Equal(days), d.span))
                }
                ast::ScheduleFieldKind::PeriodLengths(list) => {
                    period = self
                        .period_lengths(list)
                        .map(|days| (PeriodLengths::Each(days), list.span))
                }
                ast::ScheduleFieldKind::Cycles(n) => cycles = Some((n.node, n.span)),
                ast::ScheduleFieldKind::Periods(n) => periods = Some((n.node, n.span)),
                ast::ScheduleFieldKind::Sequence(s) => sequence = Some(s.clone()),
                ast::ScheduleFieldKind::MaxRun(n) => max_run = Some((n.node, n.span)),
                ast::ScheduleFieldKind::Washout(d) => {
                    washout = self.duration_days(d, "washout").map(|days| (days, d.span))
                }
                ast::ScheduleFieldKind::Carryover(span) => carryover = Some(*span),
                ast::ScheduleFieldKind::Blinding(b) => {
                    blinding = Some(match b.node {
                        ast::Blinding::Open => Blinding::Open,
                        ast::Blinding::Single => Blinding::Single,
                        ast::Blinding::Double => Blinding::Double,
                    })
                }
                ast::ScheduleFieldKind::Seed(n) => seed = Some((n.node, n.span)),
                ast::ScheduleFieldKind::Window(range) => {
                    window = Some((
                        Window {
                            first_day: range.first.node,
                            last_day: range.last.node,
                        },
                        range.span,
                    ))
                }
            }
        }
        // A field whose value did not parse has been reported; it counts as
        // given, so no "missing" error or warning follows from it.
        let rejected = |key: &str| block.rejected.iter().any(|k| k.node == key);
        let given = |key: &str| seen.contains_key(key) || rejected(key);
        // Models need this even when the rest of the schedule has errors.
        self.carryover_modelled = Some(carryover.is_some() || rejected("carryover"));

        // `sequence from data`: the diary gives the periods; the fields that
        // would describe them are errors, and the rest is checked as usual.
        let realised = sequence
            .as_ref()
            .is_some_and(|s| s.node == ast::SequenceDesign::FromData);
        if realised {
            return self.realised_schedule(RealisedFields {
                block_span,
                sequence: sequence.as_ref().map_or(block_span, |s| s.span),
                seen: &seen,
                start,
                run_in,
                washout,
                carryover: carryover.is_some(),
                blinding,
                seed,
                window,
                arms,
            });
        }

        let n_arms = arms.len() as u64;
        let Some((period, period_span)) = period else {
            // A period field that was written but did not parse (e.g. no unit)
            // has been reported already.
            if from_failed || given("period") {
                return None;
            }
            self.push(
                Diagnostic::error(
                    codes::E0304,
                    "the schedule does not say how long a period is",
                )
                .with_primary(header_span, "this schedule")
                .with_help("add `period 14 days` (or the length the protocol gives)"),
            );
            return None;
        };
        if period == PeriodLengths::Equal(0) {
            self.push(
                Diagnostic::error(codes::E0311, "a period cannot last zero days")
                    .with_primary(period_span, "zero-length period")
                    .with_help("give the period length in days or weeks, e.g. `period 14 days`"),
            );
            return None;
        }
        let Some(sequence) = sequence else {
            if from_failed || given("sequence") {
                return None;
            }
            self.push(
                Diagnostic::error(codes::E0304, "the schedule does not say how periods are ordered")
                    .with_primary(header_span, "this schedule")
                    .with_help("add `sequence randomized pairs` (or alternating, counterbalanced, fixed \"ABBA\", randomized blocks, randomized periods, from data)"),
            );
            return None;
        };
        let design = match &sequence.node {
            ast::SequenceDesign::Alternating => SequenceDesign::Alternating,
            ast::SequenceDesign::Counterbalanced => SequenceDesign::Counterbalanced,
            ast::SequenceDesign::RandomizedPairs => SequenceDesign::RandomizedPairs,
            ast::SequenceDesign::RandomizedBlocks => SequenceDesign::RandomizedBlocks,
            ast::SequenceDesign::RandomizedPeriods => SequenceDesign::RandomizedPeriods,
            // Handled above.
            ast::SequenceDesign::FromData => SequenceDesign::FromData,
            ast::SequenceDesign::Fixed(pattern) => {
                SequenceDesign::Fixed(self.fixed_pattern(pattern, arms)?)
            }
        };
        // The fixed pattern, or else the list of lengths, gives the number of
        // periods; `cycles` or `periods` must then agree with it.
        let intrinsic = match (&design, &period) {
            (SequenceDesign::Fixed(pattern), _) => {
                Some((pattern.len() as u64, sequence.span, "the fixed pattern"))
            }
            (_, PeriodLengths::Each(days)) => Some((days.len() as u64, period_span, "the list")),
            _ => None,
        };
        if let (SequenceDesign::Fixed(pattern), PeriodLengths::Each(days)) = (&design, &period) {
            if pattern.len() != days.len() {
                self.push(
                    Diagnostic::error(
                        codes::E0308,
                        format!(
                            "the list gives {} period lengths but the fixed pattern has {} periods",
                            days.len(),
                            pattern.len()
                        ),
                    )
                    .with_primary(period_span, format!("{} lengths", days.len()))
                    .with_secondary(sequence.span, format!("{} periods", pattern.len()))
                    .with_help("give one length per letter of the pattern"),
                );
                return None;
            }
        }
        let n_periods = match (intrinsic, cycles, periods) {
            (_, Some((_, c_span)), Some((_, p_span))) => {
                self.push(
                    Diagnostic::error(
                        codes::E0308,
                        "the schedule gives both `cycles` and `periods`",
                    )
                    .with_primary(p_span, "periods given here")
                    .with_secondary(c_span, "cycles given here")
                    .with_help("keep one: `cycles N` means N periods per arm"),
                );
                return None;
            }
            (Some((n, n_span, what)), c, p) => {
                let given = c.map(|(c, s)| (c.saturating_mul(n_arms), s)).or(p);
                if let Some((given, span)) = given {
                    if given != n {
                        let code = if matches!(design, SequenceDesign::Fixed(_)) {
                            codes::E0309
                        } else {
                            codes::E0308
                        };
                        let headline = if code == codes::E0309 {
                            format!("{what} has {n} periods but the schedule asks for {given}")
                        } else {
                            format!("{what} gives {n} lengths but the schedule asks for {given} periods")
                        };
                        self.push(
                            Diagnostic::error(code, headline)
                                .with_primary(span, format!("{given} periods"))
                                .with_secondary(n_span, format!("{n} {}", if code == codes::E0309 { "periods" } else { "lengths" }))
                                .with_help(if code == codes::E0309 {
                                    "drop `cycles`/`periods` (the pattern gives the length) or make them agree"
                                } else {
                                    "drop `cycles`/`periods` (the list gives the number of periods) or make them agree"
                                }),
                        );
                        return None;
                    }
                }
                n
            }
            // Saturated, a count too large for a u64 is still too many days.
            (None, Some((c, _)), None) => c.saturating_mul(n_arms),
            (None, None, Some((p, _))) => p,
            (None, None, None) if from_failed || given("cycles") || given("periods") => {
                return None
            }
            (None, None, None) => {
                self.push(
                    Diagnostic::error(
                        codes::E0304,
                        "the schedule does not say how many periods there are",
                    )
                    .with_primary(header_span, "this schedule")
                    .with_help("add `cycles 3` (each arm given 3 times) or `periods 6`"),
                );
                return None;
            }
        };

        // Every arm must be given in at least two periods.
        let per_arm = crate::schedule::periods_per_arm(&design, arms.len(), n_periods);
        for (arm_index, arm) in arms.iter().enumerate() {
            let count = per_arm.get(arm_index).copied().unwrap_or(0);
            if count < 2 {
                self.push(
                    Diagnostic::error(codes::E0305, format!("arm `{}` is given in {count} period{}; it needs at least two", arm.name, if count == 1 { "" } else { "s" }))
                        .with_primary(sequence.span, "this sequence")
                        .with_secondary(arm.span, "this arm")
                        .with_note("with one period per arm, the treatment effect cannot be told apart from what else changed between the periods")
                        .with_help("use at least 2 cycles (`cycles 2`)"),
                );
            }
        }

        let washout_days = washout.map(|(d, _)| d).unwrap_or(0);
        // Without a washout every day of every period is analysed, and the
        // model is of days, not of period means: short periods (one-day
        // periods of an alternating-treatments design) are no problem in
        // themselves. A washout that leaves a period almost nothing is.
        if let (Some((w, w_span)), Some(shortest)) = (washout, period.shortest()) {
            // A washout as long as a period is the schedule's E0306.
            if w > 0 && w < shortest && shortest - w < 3 {
                let left = shortest - w;
                let which = match period {
                    PeriodLengths::Equal(_) => "per period",
                    PeriodLengths::Each(_) => "in the shortest period",
                };
                self.push(
                    Diagnostic::warning(
                        codes::W0302,
                        format!(
                            "only {left} analysed day{} {which} after the washout",
                            if left == 1 { "" } else { "s" }
                        ),
                    )
                    .with_primary(w_span, "washout")
                    .with_secondary(period_span, "period")
                    .with_note(
                        "with fewer than 3 analysed days a period tells little about the treatment",
                    )
                    .with_help("lengthen the period"),
                );
            }
        }

        self.washout_warning(&given, header_span, arms);

        let randomized = design.is_randomized();
        // The seed draws the sequence of a randomized design and the blinding
        // codes of a blinded one.
        let blinded = matches!(blinding, Some(Blinding::Single | Blinding::Double));
        let seed_value = match (seed, randomized || blinded) {
            (Some((s, _)), true) => s,
            (None, _) if rejected("seed") => 0,
            (None, true) => {
                let (headline, label) = if randomized {
                    ("a randomized schedule needs a seed", "randomized here")
                } else {
                    (
                        "a blinded schedule needs a seed to draw its blinding codes",
                        "blinded, not randomized",
                    )
                };
                self.push(
                    Diagnostic::error(codes::E0313, headline)
                        .with_primary(sequence.span, label)
                        .with_note("the seed makes the allocation reproducible for the pharmacy and the unblinded statistician; it also recomputes the allocation, so keep it with the blinding key")
                        .with_help("add `seed N` with a number chosen once, and keep the spec away from blinded staff and the participant"),
                );
                0
            }
            // Perhaps blinded: the blinding level did not parse.
            (Some((s, _)), false) if rejected("blinding") => s,
            (Some((s, s_span)), false) => {
                self.push(
                    Diagnostic::warning(
                        codes::W0303,
                        format!(
                            "the seed has no effect: `{}` is not randomized",
                            design.name()
                        ),
                    )
                    .with_primary(s_span, "unused seed")
                    .with_help("remove the seed, or use a randomized sequence"),
                );
                s
            }
            (None, false) => 0,
        };

        let decl = ScheduleDecl {
            start: start.map(|(d, _)| d),
            run_in_days: run_in.map_or(0, |(d, _)| d),
            period,
            n_periods,
            design,
            max_run: max_run.map(|(m, _)| m),
            washout_days,
            carryover_modelled: carryover.is_some(),
            blinding: blinding.unwrap_or(Blinding::Open),
            seed: seed_value,
            window: window.map(|(w, _)| w),
            span: block_span,
            field_spans: ScheduleSpans {
                period: Some(period_span),
                washout: washout.map(|(_, s)| s),
                max_run: max_run.map(|(_, s)| s),
                sequence: Some(sequence.span),
                cycles: cycles.map(|(_, s)| s),
                seed: seed.map(|(_, s)| s),
                periods: periods.map(|(_, s)| s),
                run_in: run_in.map(|(_, s)| s),
                start: start.map(|(_, s)| s),
                window: window.map(|(_, s)| s),
            },
        };
        // The schedule's own rules, the ones `schedule::build` applies.
        // Measurement days are checked with the outcomes, at each day.
        self.schedule_problems(&decl, arms);
        // Complete, though perhaps with errors (reported, so no spec is
        // returned): later blocks are checked against it.
        Some(decl)
    }

    /// W0301: a dosed arm, and neither a washout nor modelled carryover
    /// (nor, checked later, a decaying carryover in every outcome's model).
    fn washout_warning(&mut self, given: &dyn Fn(&str) -> bool, header_span: Span, arms: &[Arm]) {
        if given("washout") || given("carryover") {
            return;
        }
        if let Some(arm) = arms
            .iter()
            .find(|a| !a.is_reference && a.description.as_deref().is_some_and(mentions_dose))
        {
            let warning = Diagnostic::warning(codes::W0301, format!("arm `{}` looks like a drug but the schedule has no washout", arm.name))
                .with_primary(header_span, "no washout here")
                .with_secondary(arm.span, "dosed arm")
                .with_note("a drug's effect can carry over into the next period and bias the comparison")
                .with_help("add `washout N days` (days excluded after each switch), `carryover modelled`, or `carryover decay()` in each outcome's model");
            // Raised once the models are checked (`settle_washout_warning`).
            self.pending_washout = Some((self.diagnostics.len(), warning));
        }
    }

    /// The schedule of `sequence from data`: the diary's `arm` column gives
    /// the periods, so `period`, `cycles`, `periods` and `max_run` have no
    /// meaning (E0318) and the seed draws nothing (W0303).
    fn realised_schedule(&mut self, f: RealisedFields<'_>) -> Option<ScheduleDecl> {
        let mut ok = true;
        for (key, what) in [
            ("period", "the periods are the runs of one arm in the diary, whatever their length"),
            ("cycles", "the diary's runs of one arm are the periods, however many there are"),
            ("periods", "the diary's runs of one arm are the periods, however many there are"),
            ("max_run", "the diary's sequence was randomized outside trialc, with whatever restriction it had"),
        ] {
            if let Some(&span) = f.seen.get(key) {
                ok = false;
                self.push(
                    Diagnostic::error(
                        codes::E0318,
                        format!("`{key}` has no meaning with `sequence from data`"),
                    )
                    .with_primary(span, format!("`{key}` given here"))
                    .with_secondary(f.sequence, "the sequence comes from the diary")
                    .with_note(what)
                    .with_help(format!(
                        "remove `{key}`; state the planned design in the protocol's text, or let trialc draw the sequence with a randomized design"
                    )),
                );
            }
        }
        let seen = f.seen;
        self.washout_warning(&|key| seen.contains_key(key), header(f.block_span), f.arms);
        if let Some((_, s_span)) = f.seed {
            self.push(
                Diagnostic::warning(
                    codes::W0303,
                    "the seed has no effect: with `sequence from data` the diary gives the sequence",
                )
                .with_primary(s_span, "unused seed")
                .with_secondary(f.sequence, "randomized outside trialc")
                .with_note("trialc draws nothing for a realised schedule: not the sequence, and no blinding codes, as there is no schedule to print")
                .with_help("remove the seed; record the platform's or pharmacy's randomization in the protocol's text"),
            );
        }
        let decl = ScheduleDecl {
            start: f.start.map(|(d, _)| d),
            run_in_days: f.run_in.map_or(0, |(d, _)| d),
            period: PeriodLengths::Equal(0),
            n_periods: 0,
            design: SequenceDesign::FromData,
            max_run: None,
            washout_days: f.washout.map_or(0, |(d, _)| d),
            carryover_modelled: f.carryover,
            blinding: f.blinding.unwrap_or(Blinding::Open),
            seed: f.seed.map_or(0, |(s, _)| s),
            window: f.window.map(|(w, _)| w),
            span: f.block_span,
            field_spans: ScheduleSpans {
                washout: f.washout.map(|(_, s)| s),
                sequence: Some(f.sequence),
                seed: f.seed.map(|(_, s)| s),
                run_in: f.run_in.map(|(_, s)| s),
                start: f.start.map(|(_, s)| s),
                window: f.window.map(|(_, s)| s),
                ..ScheduleSpans::default()
            },
        };
        if ok {
            self.schedule_problems(&decl, f.arms);
        }
        Some(decl)
    }

    /// The days of `period [a, b, …] days`, each checked like a duration;
    /// `None` after reporting a zero or an overflow (or a missing unit,
    /// which the parser reported).
    fn period_lengths(&mut self, list: &ast::DurationList) -> Option<Vec<u64>> {
        let unit = list.unit.as_ref()?;
        let mut days = Vec::with_capacity(list.amounts.len());
        let mut ok = true;
        for amount in &list.amounts {
            match amount.node.checked_mul(unit.node.days()) {
                Some(0) => {
                    ok = false;
                    self.push(
                        Diagnostic::error(codes::E0311, "a period cannot last zero days")
                            .with_primary(amount.span, "zero-length period")
                            .with_help("give every period at least one day"),
                    );
                }
                Some(d) => days.push(d),
                None => {
                    ok = false;
                    self.push(
                        Diagnostic::error(
                            codes::E0311,
                            "the period is too long to be a real duration",
                        )
                        .with_primary(amount.span, "this length"),
                    );
                }
            }
        }
        ok.then_some(days)
    }

    /// Run [`crate::schedule::validate`] on the schedule as declared and
    /// report each problem at the field it concerns.
    fn schedule_problems(&mut self, decl: &ScheduleDecl, arms: &[Arm]) {
        let spec = crate::schedule::ScheduleSpec {
            trial_id: String::new(),
            arms: arms
                .iter()
                .map(|a| crate::schedule::ArmInfo {
                    name: a.name.clone(),
                    description: a.description.clone(),
                })
                .collect(),
            // Validity does not depend on which arm is the reference; a
            // missing or doubled reference is E0302/E0303.
            reference: 0,
            run_in_days: decl.run_in_days,
            period: decl.period.clone(),
            n_periods: decl.n_periods,
            design: decl.design.clone(),
            max_run: decl.max_run,
            washout_days: decl.washout_days,
            seed: decl.seed,
            start: decl.start,
            blinding: decl.blinding,
            outcomes: Vec::new(),
            window: decl.window,
        };
        for problem in &crate::schedule::validate(&spec) {
            if let Some(diagnostic) = schedule_diagnostic(problem, decl, arms) {
                self.push(diagnostic);
            }
        }
    }

    pub(super) fn duration_days(&mut self, duration: &ast::Duration, what: &str) -> Option<u64> {
        // A missing unit is a syntax error reported by the parser.
        let unit = duration.unit.as_ref()?;
        match duration.amount.node.checked_mul(unit.node.days()) {
            Some(days) => Some(days),
            None => {
                self.push(
                    Diagnostic::error(
                        codes::E0311,
                        format!("the {what} is too long to be a real duration"),
                    )
                    .with_primary(duration.span, "this duration"),
                );
                None
            }
        }
    }

    pub(super) fn fixed_pattern(
        &mut self,
        pattern: &ast::Spanned<String>,
        arms: &[Arm],
    ) -> Option<Vec<usize>> {
        let mut result = Vec::new();
        let mut ok = true;
        // The pattern's text starts one byte after the opening quote.
        let mut offset = pattern.span.start + 1;
        for ch in pattern.node.chars() {
            let width = ch.len_utf8();
            if ch.is_whitespace() {
                offset += width;
                continue;
            }
            let index = (ch.is_ascii_uppercase()).then(|| (ch as u8 - b'A') as usize);
            match index {
                Some(i) if i < arms.len() => result.push(i),
                _ => {
                    ok = false;
                    let letters: String =
                        (0..arms.len()).map(|i| (b'A' + i as u8) as char).collect();
                    self.push(
                        Diagnostic::error(
                            codes::E0309,
                            format!("`{ch}` in the fixed pattern does not name an arm"),
                        )
                        .with_primary(Span::new(offset, offset + width), "not an arm letter")
                        .with_note(format!(
                            "letters name arms in declaration order: {}",
                            arms.iter()
                                .enumerate()
                                .map(|(i, a)| format!("{} = {}", (b'A' + i as u8) as char, a.name))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                        .with_help(format!("use only the letters {letters}")),
                    );
                }
            }
            offset += width;
        }
        if result.is_empty() && ok {
            self.push(
                Diagnostic::error(codes::E0309, "the fixed pattern is empty")
                    .with_primary(pattern.span, "empty pattern")
                    .with_help("write one letter per period, e.g. `fixed \"ABBA BAAB\"`"),
            );
            return None;
        }
        ok.then_some(result)
    }
}

/// What [`Checker::realised_schedule`] needs of the schedule block.
struct RealisedFields<'a> {
    block_span: Span,
    /// `from data`.
    sequence: Span,
    seen: &'a HashMap<&'static str, Span>,
    start: Option<(chrono::NaiveDate, Span)>,
    run_in: Option<(u64, Span)>,
    washout: Option<(u64, Span)>,
    carryover: bool,
    blinding: Option<Blinding>,
    seed: Option<(u64, Span)>,
    window: Option<(Window, Span)>,
    arms: &'a [Arm],
}

/// The `schedule` keyword of a block.
fn header(block_span: Span) -> Span {
    Span::new(
        block_span.start,
        block_span.start + "schedule".len().min(block_span.end - block_span.start),
    )
}

pub(super) fn schedule_field_name(kind: &ast::ScheduleFieldKind) -> &'static str {
    match kind {
        ast::ScheduleFieldKind::Start(_) => "start",
        ast::ScheduleFieldKind::RunIn(_) => "run_in",
        ast::ScheduleFieldKind::Period(_) | ast::ScheduleFieldKind::PeriodLengths(_) => "period",
        ast::ScheduleFieldKind::Cycles(_) => "cycles",
        ast::ScheduleFieldKind::Periods(_) => "periods",
        ast::ScheduleFieldKind::Sequence(_) => "sequence",
        ast::ScheduleFieldKind::MaxRun(_) => "max_run",
        ast::ScheduleFieldKind::Washout(_) => "washout",
        ast::ScheduleFieldKind::Carryover(_) => "carryover",
        ast::ScheduleFieldKind::Blinding(_) => "blinding",
        ast::ScheduleFieldKind::Seed(_) => "seed",
        ast::ScheduleFieldKind::Window(_) => "window",
    }
}

/// The diagnostic for one problem [`crate::schedule::validate`] found, at the
/// span of the field it concerns; `None` when another check has reported it.
fn schedule_diagnostic(
    problem: &crate::schedule::Problem,
    decl: &ScheduleDecl,
    arms: &[Arm],
) -> Option<Diagnostic> {
    use crate::schedule::ScheduleError as E;
    let spans = &decl.field_spans;
    // Fields from a design are anchored on its name; the block's span is
    // the last resort.
    let or_block = |span: Option<Span>| span.unwrap_or(decl.span);
    let sequence = or_block(spans.sequence);
    // `cycles`, `periods`, or for a fixed pattern its text.
    let count = spans.cycles.or(spans.periods).unwrap_or(sequence);
    let message = problem.error.to_string();
    Some(match &problem.error {
        // E0301 reports a spec with fewer than two arms.
        E::TooFewArms { .. } => return None,
        // With arms, E0305 reports each one given in no period.
        E::NoPeriods if !arms.is_empty() => return None,
        E::NoPeriods => Diagnostic::error(codes::E0308, message)
            .with_primary(count, "no periods")
            .with_help("give `cycles 3` (each arm given 3 times) or more"),
        E::ZeroPeriodLength => Diagnostic::error(codes::E0311, "a period cannot last zero days")
            .with_primary(or_block(spans.period), "zero-length period")
            .with_help("give the period length in days or weeks, e.g. `period 14 days`"),
        E::PeriodsNotWholeCycles { n_periods, arms } => Diagnostic::error(
            codes::E0308,
            format!("{n_periods} periods do not make whole cycles of {arms} arms"),
        )
        .with_primary(count, "not a multiple of the number of arms")
        .with_help(format!(
            "randomized designs allocate whole cycles: use a multiple of {arms}"
        )),
        E::PeriodLengthsCount { listed, n_periods } => Diagnostic::error(
            codes::E0308,
            format!("the list gives {listed} period lengths but the schedule has {n_periods} periods"),
        )
        .with_primary(or_block(spans.period), format!("{listed} lengths"))
        .with_help("give one length per period"),
        E::TooManyArrangements { .. } => Diagnostic::error(codes::E0315, message)
            .with_primary(count, "too many cycles to count")
            .with_secondary(sequence, "randomized here")
            .with_note(format!(
                "trialc counts the admissible sequences exactly, so that every one is drawn \
                 with the same probability; for `randomized periods` that takes a table of \
                 (cycles + 1)^arms x arms x (run lengths) states, at most {}",
                crate::schedule::MAX_ARRANGEMENT_STATES
            ))
            .with_help("use fewer cycles or fewer arms, or `randomized blocks`"),
        E::WindowEmpty { first_day, last_day } => Diagnostic::error(
            codes::E0317,
            format!("the analysis window days {first_day}..{last_day} holds no day"),
        )
        .with_primary(or_block(spans.window), "this window")
        .with_help("give the first and the last analysed day, from day 1, first one first: `window days 18..70`"),
        E::WindowPastEnd { last_day, total_days } => Diagnostic::error(
            codes::E0317,
            format!("the analysis window ends on day {last_day}, after the trial's last day ({total_days})"),
        )
        .with_primary(or_block(spans.window), format!("the trial has days 1 to {total_days}"))
        .with_help(format!("end the window by day {total_days}")),
        E::WindowInRunIn { last_day, run_in_days } => Diagnostic::error(
            codes::E0317,
            format!("the analysis window ends on day {last_day}, before the first period"),
        )
        .with_primary(or_block(spans.window), "only run-in days")
        .with_secondary(
            or_block(spans.run_in),
            format!("the run-in takes days 1 to {run_in_days}"),
        )
        .with_note("run-in days are never analysed for the effect, so this window analyses nothing")
        .with_help("let the window reach into the periods"),
        E::FixedPatternLength { .. } | E::FixedPatternUnknownArm { .. } => {
            Diagnostic::error(codes::E0309, message).with_primary(sequence, "this pattern")
        }
        E::PairsNeedTwoArms { found } => Diagnostic::error(
            codes::E0310,
            format!("randomized pairs need exactly two arms; this spec has {found}"),
        )
        .with_primary(sequence, "pairs of two arms")
        .with_help(
            "use `sequence randomized blocks` to randomize the order of all arms in each cycle",
        ),
        E::TooManyArmsForBlocks { found, max } => Diagnostic::error(
            codes::E0314,
            format!("`randomized blocks` supports at most {max} arms; this spec has {found}"),
        )
        .with_primary(sequence, "one random order of all arms per cycle")
        .with_note(format!(
            "trialc lists every order of the arms in a cycle to draw one uniformly; \
             {max} arms already have {} orders",
            (1..=*max as u64).product::<u64>()
        ))
        .with_help("compare fewer arms in one trial, or give a `fixed` pattern"),
        E::WashoutTooLong {
            washout_days,
            period_days,
        } => Diagnostic::error(
            codes::E0306,
            format!(
                "the washout ({washout_days} days) leaves no analysed day in a \
                 {period_days}-day period"
            ),
        )
        .with_primary(or_block(spans.washout), "washout")
        .with_secondary(or_block(spans.period), "period")
        .with_help("make the washout shorter than the period, or the period longer"),
        E::MaxRunZero => Diagnostic::error(codes::E0307, message)
            .with_primary(or_block(spans.max_run), "this limit")
            .with_secondary(sequence, "this sequence")
            .with_help("raise `max_run`, or change the sequence design"),
        E::MaxRunUnsatisfiable { max_run, design } => Diagnostic::error(
            codes::E0307,
            format!(
                "no {design} sequence of {} periods keeps every run of one arm within \
                 `max_run {max_run}`",
                decl.n_periods
            ),
        )
        .with_primary(or_block(spans.max_run), "this limit")
        .with_secondary(sequence, "this sequence")
        .with_help("raise `max_run`, or change the sequence design"),
        E::CountOverflow { .. } => Diagnostic::error(codes::E0315, message)
            .with_primary(count, "too many cycles to count")
            .with_secondary(sequence, "randomized here")
            .with_note(
                "trialc counts the admissible sequences exactly, so that every one is \
                 drawn with the same probability; the count must fit in 128 bits",
            )
            .with_help("use fewer cycles, or longer periods"),
        E::TooManyDays { .. } => {
            let days = |n: u64| format!("{n} day{}", if n == 1 { "" } else { "s" });
            let mut d = Diagnostic::error(codes::E0316, message)
                .with_primary(count, format!("{} periods", decl.n_periods))
                .with_secondary(
                    or_block(spans.period),
                    format!("of {}", decl.period.text()),
                );
            if let Some(run_in) = spans.run_in {
                d = d.with_secondary(run_in, format!("after {}", days(decl.run_in_days)));
            }
            d.with_help("check the units and counts: `period 14 days`, not `period 14 weeks`")
        }
        E::DateOutOfRange => Diagnostic::error(
            codes::E0316,
            "the trial runs past the last date trialc can represent",
        )
        .with_primary(or_block(spans.start), "start date")
        .with_help("check the year of the start date"),
        E::MeasurementDayOutsidePeriod { day, .. } => Diagnostic::error(codes::E0411, message)
            .with_primary(decl.span, format!("day {day} is outside the period")),
        E::ReferenceOutOfRange { .. } | E::IcsNeedsStart | E::Realised | E::Internal(_) => {
            Diagnostic::error(codes::E0001, format!("internal error: {message}"))
                .with_primary(decl.span, "while checking this schedule")
        }
    })
}

/// A dose written in an arm's description (`600 mg`, `50 µg`, `2 ml`).
pub(super) fn mentions_dose(description: &str) -> bool {
    let lower = description.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    const UNITS: [&str; 8] = ["mg", "µg", "mcg", "g", "ml", "iu", "mmol", "mg/day"];
    words
        .windows(2)
        .any(|pair| pair[0].chars().any(|c| c.is_ascii_digit()) && UNITS.contains(&pair[1]))
        || words.iter().any(|w| {
            let digits_end = w
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(w.len());
            digits_end > 0 && UNITS.contains(&&w[digits_end..])
        })
}

pub(super) fn first_is_from_design(first: Span, design_fields: &[ast::ScheduleField]) -> bool {
    design_fields.iter().any(|f| f.span == first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dose_detection() {
        assert!(mentions_dose("Magnesium citrate 600 mg once daily"));
        assert!(mentions_dose("Naproxen 250mg"));
        assert!(mentions_dose("Vitamin D 50 µg"));
        assert!(!mentions_dose("Matching placebo capsule"));
        assert!(!mentions_dose("Coaching style 2 (motivational)"));
    }
}
