//! The checker: AST → HIR, with every error a careful protocol reviewer would raise.
//!
//! It never stops at the first problem: each check adds diagnostics and goes
//! on with what it could resolve. A `Spec` is returned only when no error was
//! found; warnings come back either way.

use super::names::suggestion;
use super::*;
use crate::codes;
use crate::diagnostic::{Diagnostic, Span};
use crate::stdlib;
use crate::syntax::ast;
use std::collections::HashMap;

/// Check a parsed file. Returns the HIR when there is no error, and all diagnostics.
pub fn check(file: &ast::File) -> (Option<Spec>, Vec<Diagnostic>) {
    let mut checker = Checker::default();
    let spec = checker.run(file);
    let has_error = checker.diagnostics.iter().any(Diagnostic::is_error);
    (if has_error { None } else { spec }, checker.diagnostics)
}

#[derive(Default)]
struct Checker {
    diagnostics: Vec<Diagnostic>,
    /// Prior presets visible to the spec: imported and declared.
    presets: HashMap<String, ast::Prior>,
    /// Designs visible to the spec: imported and declared.
    designs: HashMap<String, Vec<ast::ScheduleField>>,
    /// Outcomes that are declared but had errors of their own: references to
    /// them are not reported again as undefined.
    invalid_outcomes: std::collections::HashSet<String>,
    /// The imports that failed (E0205), with the index of their error. A
    /// preset or design name that one of them would have provided is
    /// labelled on that import's error instead of raising its own
    /// E0206/E0207 (no cascade of errors from one wrong `use`).
    failed_imports: Vec<FailedImport>,
}

/// A `use` that did not resolve.
struct FailedImport {
    /// Index of its E0205 in `Checker::diagnostics`.
    diagnostic: usize,
    /// The module path as written (`std.prior`).
    module: String,
    /// `None` for a glob import.
    item: Option<String>,
    /// Whether the module itself does not exist (else: it lacks `item`).
    module_missing: bool,
}

impl FailedImport {
    /// Whether this import could have provided the `kind` (`prior` or
    /// `design`) called `name`: a named import of exactly that name, or a
    /// glob over a module that does not exist and whose name does not say
    /// it holds the other kind.
    fn could_provide(&self, kind: &str, name: &str) -> bool {
        match &self.item {
            Some(item) => item == name,
            None => {
                let other = if kind == "prior" { "design" } else { "prior" };
                self.module_missing && !self.module.contains(other)
            }
        }
    }
}

/// What a parameter's prior must support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Support {
    /// Effects, intercept, trend, carryover: the whole real line.
    Real,
    /// Scales and dispersions: (0, ∞).
    Positive,
    /// AR(1) coefficient: (-1, 1).
    Correlation,
    /// Ordered cutpoints.
    Cutpoints,
}

impl Support {
    fn describe(self) -> &'static str {
        match self {
            Support::Real => "any real value",
            Support::Positive => "positive values",
            Support::Correlation => "values in (-1, 1)",
            Support::Cutpoints => "ordered cutpoints",
        }
    }
}

fn find_duplicate(seen: &mut HashMap<String, Span>, name: &ast::Ident) -> Option<Span> {
    match seen.get(&name.node) {
        Some(first) => Some(*first),
        None => {
            seen.insert(name.node.clone(), name.span);
            None
        }
    }
}

impl Checker {
    fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// E0205 for an import, remembered so that names it may have provided
    /// are attached to it rather than reported again.
    fn push_failed_import(
        &mut self,
        diagnostic: Diagnostic,
        module: &str,
        item: Option<&str>,
        module_missing: bool,
    ) {
        self.failed_imports.push(FailedImport {
            diagnostic: self.diagnostics.len(),
            module: module.to_string(),
            item: item.map(str::to_string),
            module_missing,
        });
        self.diagnostics.push(diagnostic);
    }

    /// When a failed import could have provided the unresolved `kind` name,
    /// the name becomes a label on that import's error (true); otherwise the
    /// caller reports it with its own code and suggestions (false).
    fn blame_failed_import(&mut self, kind: &str, name: &ast::Ident) -> bool {
        let Some(index) = self
            .failed_imports
            .iter()
            .find(|f| f.could_provide(kind, &name.node))
            .map(|f| f.diagnostic)
        else {
            return false;
        };
        if let Some(d) = self.diagnostics.get_mut(index) {
            d.labels.push(crate::diagnostic::Label {
                file: None,
                span: name.span,
                message: format!(
                    "{kind} `{}` unresolved, perhaps from this import",
                    name.node
                ),
                primary: false,
            });
        }
        true
    }

    fn run(&mut self, file: &ast::File) -> Option<Spec> {
        self.resolve_imports(file);

        let trial = self.trial(file);
        let (arms, reference) = self.arms(file);
        let hypotheses = self.hypotheses(file);
        let data = self.data(file);
        let schedule = self.schedule(file, &arms);
        let outcomes = self.outcomes(file, schedule.as_ref());
        let models = self.models(
            file,
            &arms,
            reference,
            &outcomes,
            &hypotheses,
            schedule.as_ref(),
        );
        let rules = self.rules(file, &arms, reference, &outcomes, schedule.as_ref());

        Some(Spec {
            trial: trial?,
            arms,
            reference: reference?,
            schedule: schedule?,
            outcomes,
            models: models?,
            rules,
            hypotheses,
            data,
        })
    }

    // ----- imports --------------------------------------------------------

    fn resolve_imports(&mut self, file: &ast::File) {
        for item in &file.items {
            match &item.kind {
                ast::ItemKind::Use(decl) => self.import(decl, item.span),
                ast::ItemKind::Design(design) => {
                    if self.designs.contains_key(&design.name.node) {
                        self.push(
                            Diagnostic::error(
                                codes::E0204,
                                format!("`{}` is defined twice", design.name.node),
                            )
                            .with_primary(design.name.span, "second definition of this design"),
                        );
                    }
                    self.designs
                        .insert(design.name.node.clone(), design.fields.clone());
                }
                ast::ItemKind::PriorPreset(preset) => {
                    if self.presets.contains_key(&preset.name.node) {
                        self.push(
                            Diagnostic::error(
                                codes::E0204,
                                format!("`{}` is defined twice", preset.name.node),
                            )
                            .with_primary(preset.name.span, "second definition of this prior"),
                        );
                    }
                    self.presets
                        .insert(preset.name.node.clone(), preset.prior.clone());
                }
                _ => {}
            }
        }
    }

    fn import(&mut self, decl: &ast::UseDecl, span: Span) {
        let segments: Vec<&str> = decl.path.iter().map(|s| s.node.as_str()).collect();
        let (module_path, item_name) = if decl.glob {
            (segments.as_slice(), None)
        } else if let Some((last, rest)) = segments.split_last() {
            (rest, Some(*last))
        } else {
            return;
        };
        let module_name = module_path.join(".");
        let Some(source) = stdlib::module(&module_name) else {
            let known = stdlib::MODULES
                .iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>();
            self.push_failed_import(
                Diagnostic::error(
                    codes::E0205,
                    format!("there is no module `{module_name}` to import"),
                )
                .with_primary(span, "this import")
                .with_help(suggestion("module", &module_name, &known)),
                &module_name,
                item_name,
                true,
            );
            return;
        };
        // The standard library is tested to parse and check cleanly; its
        // diagnostics would point into another file, so they are not shown here.
        let (module, _) = crate::syntax::parse(source);
        let mut found = false;
        let mut names = Vec::new();
        for item in module.items {
            let (name, is_match) = match &item.kind {
                ast::ItemKind::Design(d) => (
                    d.name.node.clone(),
                    item_name.is_none_or(|n| n == d.name.node),
                ),
                ast::ItemKind::PriorPreset(p) => (
                    p.name.node.clone(),
                    item_name.is_none_or(|n| n == p.name.node),
                ),
                _ => continue,
            };
            names.push(name);
            if !is_match {
                continue;
            }
            found = true;
            match item.kind {
                ast::ItemKind::Design(d) => {
                    // Spans of imported fields point into the stdlib source;
                    // re-anchor them on the import so diagnostics land in this file.
                    let fields = d
                        .fields
                        .into_iter()
                        .map(|f| reanchor_field(f, span))
                        .collect();
                    self.designs.insert(d.name.node, fields);
                }
                ast::ItemKind::PriorPreset(p) => {
                    let mut prior = p.prior;
                    reanchor_prior(&mut prior, span);
                    self.presets.insert(p.name.node, prior);
                }
                _ => {}
            }
        }
        if !found {
            if let Some(item_name) = item_name {
                let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
                self.push_failed_import(
                    Diagnostic::error(
                        codes::E0205,
                        format!("module `{module_name}` has no `{item_name}`"),
                    )
                    .with_primary(span, "this import")
                    .with_help(suggestion("name", item_name, &candidates)),
                    &module_name,
                    Some(item_name),
                    false,
                );
            }
        }
    }

    // ----- trial metadata -------------------------------------------------

    fn trial(&mut self, file: &ast::File) -> Option<TrialMeta> {
        let mut result: Option<TrialMeta> = None;
        for item in &file.items {
            let ast::ItemKind::Trial(block) = &item.kind else {
                continue;
            };
            if let Some(first) = &result {
                self.push(
                    Diagnostic::error(codes::E0204, "the spec has two `trial` blocks")
                        .with_primary(block.id.span, "second trial block")
                        .with_secondary(first.span, "first trial block")
                        .with_help("a spec describes one trial: merge the blocks"),
                );
                continue;
            }
            let mut meta = TrialMeta {
                id: block.id.node.clone(),
                title: None,
                version: None,
                sponsor: None,
                registry: None,
                doc: item.doc.clone(),
                span: block.id.span,
            };
            if block.id.node.trim().is_empty() {
                self.push(
                    Diagnostic::error(codes::E0211, "the trial id is empty")
                        .with_primary(block.id.span, "empty id")
                        .with_help(
                            "give the trial a short stable id, e.g. `trial \"magnesium-migraine\"`",
                        ),
                );
            }
            let mut seen = HashMap::new();
            for field in &block.fields {
                if let Some(first) = find_duplicate(&mut seen, &field.key) {
                    self.duplicate_field(&field.key, first);
                    continue;
                }
                let slot = match field.key.node.as_str() {
                    "title" => &mut meta.title,
                    "version" => &mut meta.version,
                    "sponsor" => &mut meta.sponsor,
                    "registry" => &mut meta.registry,
                    other => {
                        let known = ["title", "version", "sponsor", "registry"];
                        self.push(
                            Diagnostic::error(
                                codes::E0209,
                                format!("`{other}` is not a field of a trial block"),
                            )
                            .with_primary(field.key.span, "unknown field")
                            .with_help(suggestion("field", other, &known)),
                        );
                        continue;
                    }
                };
                *slot = Some(field.value.node.clone());
            }
            result = Some(meta);
        }
        if result.is_none() {
            self.push(
                Diagnostic::error(codes::E0210, "the spec has no `trial` block")
                    .with_primary(Span::new(0, 0), "expected a trial block in this file")
                    .with_help("start the spec with `trial \"my-trial-id\" { title \"…\" }`"),
            );
        }
        result
    }

    fn duplicate_field(&mut self, name: &ast::Ident, first: Span) {
        self.push(
            Diagnostic::error(codes::E0208, format!("`{}` is given twice", name.node))
                .with_primary(name.span, "given again here")
                .with_secondary(first, "first given here")
                .with_help("keep one of them"),
        );
    }

    fn duplicate_field_span(&mut self, what: &str, span: Span, first: Span) {
        self.push(
            Diagnostic::error(codes::E0208, format!("`{what}` is given twice"))
                .with_primary(span, "given again here")
                .with_secondary(first, "first given here")
                .with_help("keep one of them"),
        );
    }

    // ----- arms -----------------------------------------------------------

    fn arms(&mut self, file: &ast::File) -> (Vec<Arm>, Option<usize>) {
        let mut arms: Vec<Arm> = Vec::new();
        let mut seen = HashMap::new();
        let mut last_span = Span::new(0, 0);
        for item in &file.items {
            let ast::ItemKind::Arm(decl) = &item.kind else {
                continue;
            };
            last_span = item.span;
            if let Some(first) = find_duplicate(&mut seen, &decl.name) {
                self.push(
                    Diagnostic::error(
                        codes::E0204,
                        format!("arm `{}` is declared twice", decl.name.node),
                    )
                    .with_primary(decl.name.span, "declared again here")
                    .with_secondary(first, "first declared here")
                    .with_help("give each arm its own name"),
                );
                continue;
            }
            arms.push(Arm {
                name: decl.name.node.clone(),
                description: decl.description.as_ref().map(|d| d.node.clone()),
                is_reference: decl.reference.is_some(),
                span: decl.name.span,
            });
        }
        if arms.len() < 2 {
            let d = Diagnostic::error(codes::E0301, format!("an N-of-1 trial needs at least two arms; this spec declares {}", arms.len()))
                .with_note("the trial compares treatments within one person: without a second arm there is nothing to compare")
                .with_help("declare the comparator, e.g. `arm placebo \"Matching placebo\" reference`");
            let d = match arms.first() {
                Some(arm) => d.with_primary(arm.span, "the only arm"),
                None => d.with_primary(Span::new(0, 0), "no `arm` in this file"),
            };
            self.push(d);
        }
        let references: Vec<usize> = (0..arms.len()).filter(|&i| arms[i].is_reference).collect();
        let reference = match references.as_slice() {
            [single] => Some(*single),
            [] => {
                if !arms.is_empty() {
                    self.push(
                        Diagnostic::error(codes::E0302, "no arm is marked as the reference")
                            .with_primary(last_span, "arms declared here")
                            .with_note("effects are estimated against the reference arm (placebo or usual care)")
                            .with_help("add `reference` after the comparator arm's description"),
                    );
                }
                None
            }
            [first, rest @ ..] => {
                for &other in rest {
                    self.push(
                        Diagnostic::error(
                            codes::E0303,
                            "more than one arm is marked as the reference",
                        )
                        .with_primary(arms[other].span, "also marked `reference`")
                        .with_secondary(arms[*first].span, "first reference arm")
                        .with_help("keep `reference` on exactly one arm"),
                    );
                }
                None
            }
        };
        (arms, reference)
    }

    // ----- hypotheses and data ---------------------------------------------

    fn hypotheses(&mut self, file: &ast::File) -> Vec<HypothesesSource> {
        let mut sources = Vec::new();
        let mut seen = HashMap::new();
        for item in &file.items {
            let ast::ItemKind::Hypotheses(decl) = &item.kind else {
                continue;
            };
            if let Some(first) = find_duplicate(&mut seen, &decl.name) {
                self.push(
                    Diagnostic::error(
                        codes::E0204,
                        format!("hypotheses `{}` are declared twice", decl.name.node),
                    )
                    .with_primary(decl.name.span, "declared again here")
                    .with_secondary(first, "first declared here"),
                );
                continue;
            }
            sources.push(HypothesesSource {
                name: decl.name.node.clone(),
                path: decl.path.node.clone(),
                span: decl.name.span,
                path_span: decl.path.span,
            });
        }
        sources
    }

    fn data(&mut self, file: &ast::File) -> Option<Located<String>> {
        let mut result: Option<Located<String>> = None;
        for item in &file.items {
            let ast::ItemKind::Data(path) = &item.kind else {
                continue;
            };
            if let Some(first) = &result {
                self.duplicate_field_span("data", path.span, first.span);
                continue;
            }
            result = Some(Located {
                value: path.node.clone(),
                span: path.span,
            });
        }
        result
    }

    // ----- schedule ---------------------------------------------------------

    fn schedule(&mut self, file: &ast::File, arms: &[Arm]) -> Option<ScheduleDecl> {
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
        let header_span = Span::new(
            block_span.start,
            block_span.start + "schedule".len().min(block_span.end - block_span.start),
        );

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
        let mut period = None;
        let mut cycles = None;
        let mut periods = None;
        let mut sequence: Option<ast::Spanned<ast::SequenceDesign>> = None;
        let mut max_run = None;
        let mut washout = None;
        let mut carryover = None;
        let mut blinding = None;
        let mut seed = None;
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
                    Some(d) => start = Some(d),
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
                ast::ScheduleFieldKind::RunIn(d) => run_in = self.duration_days(d, "run-in"),
                ast::ScheduleFieldKind::Period(d) => {
                    period = self.duration_days(d, "period").map(|days| (days, d.span))
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
            }
        }

        let n_arms = arms.len() as u64;
        let Some((period_days, period_span)) = period else {
            // A period field that was written but did not parse (e.g. no unit)
            // has been reported already.
            if from_failed || seen.contains_key("period") {
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
        if period_days == 0 {
            self.push(
                Diagnostic::error(codes::E0311, "a period cannot last zero days")
                    .with_primary(period_span, "zero-length period")
                    .with_help("give the period length in days or weeks, e.g. `period 14 days`"),
            );
            return None;
        }
        let Some(sequence) = sequence else {
            if from_failed {
                return None;
            }
            self.push(
                Diagnostic::error(codes::E0304, "the schedule does not say how periods are ordered")
                    .with_primary(header_span, "this schedule")
                    .with_help("add `sequence randomized pairs` (or alternating, counterbalanced, fixed \"ABBA\", randomized blocks)"),
            );
            return None;
        };
        let design = match &sequence.node {
            ast::SequenceDesign::Alternating => SequenceDesign::Alternating,
            ast::SequenceDesign::Counterbalanced => SequenceDesign::Counterbalanced,
            ast::SequenceDesign::RandomizedPairs => SequenceDesign::RandomizedPairs,
            ast::SequenceDesign::RandomizedBlocks => SequenceDesign::RandomizedBlocks,
            ast::SequenceDesign::Fixed(pattern) => {
                SequenceDesign::Fixed(self.fixed_pattern(pattern, arms)?)
            }
        };
        if matches!(design, SequenceDesign::RandomizedPairs) && n_arms != 2 && n_arms >= 2 {
            self.push(
                Diagnostic::error(codes::E0310, format!("randomized pairs need exactly two arms; this spec has {n_arms}"))
                    .with_primary(sequence.span, "pairs of two arms")
                    .with_help("use `sequence randomized blocks` to randomize the order of all arms in each cycle"),
            );
            return None;
        }

        let n_periods = match (&design, cycles, periods) {
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
            (SequenceDesign::Fixed(pattern), c, p) => {
                let n = pattern.len() as u64;
                let given = c.map(|(c, s)| (c * n_arms, s)).or(p);
                if let Some((given, span)) = given {
                    if given != n {
                        self.push(
                            Diagnostic::error(codes::E0309, format!("the fixed pattern has {n} periods but the schedule asks for {given}"))
                                .with_primary(span, format!("{given} periods"))
                                .with_secondary(sequence.span, format!("{n} periods"))
                                .with_help("drop `cycles`/`periods` (the pattern gives the length) or make them agree"),
                        );
                        return None;
                    }
                }
                n
            }
            (_, Some((c, _)), None) => c * n_arms,
            (design, None, Some((p, p_span))) => {
                if design.is_randomized() && n_arms > 0 && p % n_arms != 0 {
                    self.push(
                        Diagnostic::error(
                            codes::E0308,
                            format!("{p} periods do not make whole cycles of {n_arms} arms"),
                        )
                        .with_primary(p_span, "not a multiple of the number of arms")
                        .with_help(format!(
                            "randomized designs allocate whole cycles: use a multiple of {n_arms}"
                        )),
                    );
                    return None;
                }
                p
            }
            (_, None, None) if from_failed => return None,
            (_, None, None) => {
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
        let per_arm = periods_per_arm(&design, n_periods, n_arms as usize);
        let mut ok = true;
        for (arm_index, arm) in arms.iter().enumerate() {
            let count = per_arm.get(arm_index).copied().unwrap_or(0);
            if count < 2 {
                ok = false;
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
        if let Some((w, w_span)) = washout {
            if w >= period_days {
                ok = false;
                self.push(
                    Diagnostic::error(codes::E0306, format!("the washout ({w} days) leaves no analysed day in a {period_days}-day period"))
                        .with_primary(w_span, "washout")
                        .with_secondary(period_span, "period")
                        .with_help("make the washout shorter than the period, or the period longer"),
                );
            } else if period_days - w < 3 {
                self.push(
                    Diagnostic::warning(
                        codes::W0302,
                        format!(
                            "only {} analysed day{} per period after the washout",
                            period_days - w,
                            if period_days - w == 1 { "" } else { "s" }
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
        } else if period_days < 3 {
            self.push(
                Diagnostic::warning(
                    codes::W0302,
                    format!(
                        "periods of {period_days} day{} give fewer than 3 analysed days",
                        if period_days == 1 { "" } else { "s" }
                    ),
                )
                .with_primary(period_span, "period")
                .with_help("lengthen the period"),
            );
        }

        if washout.is_none() && carryover.is_none() {
            if let Some(arm) = arms
                .iter()
                .find(|a| !a.is_reference && a.description.as_deref().is_some_and(mentions_dose))
            {
                self.push(
                    Diagnostic::warning(codes::W0301, format!("arm `{}` looks like a drug but the schedule has no washout", arm.name))
                        .with_primary(header_span, "no washout here")
                        .with_secondary(arm.span, "dosed arm")
                        .with_note("a drug's effect can carry over into the next period and bias the comparison")
                        .with_help("add `washout N days` (days excluded after each switch), or `carryover modelled`"),
                );
            }
        }

        let randomized = design.is_randomized();
        // The seed draws the sequence of a randomized design and the blinding
        // codes of a blinded one.
        let blinded = matches!(blinding, Some(Blinding::Single | Blinding::Double));
        let seed_value = match (seed, randomized || blinded) {
            (Some((s, _)), true) => s,
            (None, true) => {
                ok = false;
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

        if let Some((m, m_span)) = max_run {
            // The schedule stage counts admissible sequences exactly; zero means
            // the limit cannot be met by this design.
            let probe = crate::schedule::ScheduleSpec {
                trial_id: String::new(),
                arms: arms
                    .iter()
                    .map(|a| crate::schedule::ArmInfo {
                        name: a.name.clone(),
                        description: None,
                    })
                    .collect(),
                reference: 0,
                run_in_days: 0,
                period_days,
                n_periods,
                design: design.clone(),
                max_run: Some(m),
                washout_days: 0,
                seed: seed_value,
                start: None,
                blinding: Blinding::Open,
                outcomes: Vec::new(),
            };
            let problem = match crate::schedule::admissible_count(&probe) {
                Ok(0) => Some(format!("no {} sequence of {n_periods} periods keeps every run of one arm within `max_run {m}`", design.name())),
                Ok(_) => None,
                Err(e @ (crate::schedule::ScheduleError::MaxRunZero | crate::schedule::ScheduleError::CountOverflow { .. } | crate::schedule::ScheduleError::TooManyArmsForBlocks { .. })) => Some(e.to_string()),
                Err(_) => None,
            };
            if let Some(message) = problem {
                ok = false;
                self.push(
                    Diagnostic::error(codes::E0307, message)
                        .with_primary(m_span, "this limit")
                        .with_secondary(sequence.span, "this sequence")
                        .with_help("raise `max_run`, or change the sequence design"),
                );
            }
        }

        ok.then(|| ScheduleDecl {
            start,
            run_in_days: run_in.unwrap_or(0),
            period_days,
            n_periods,
            design,
            max_run: max_run.map(|(m, _)| m),
            washout_days,
            carryover_modelled: carryover.is_some(),
            blinding: blinding.unwrap_or(Blinding::Open),
            seed: seed_value,
            span: block_span,
            field_spans: ScheduleSpans {
                period: Some(period_span),
                washout: washout.map(|(_, s)| s),
                max_run: max_run.map(|(_, s)| s),
                sequence: Some(sequence.span),
                cycles: cycles.map(|(_, s)| s),
                seed: seed.map(|(_, s)| s),
            },
        })
    }

    fn duration_days(&mut self, duration: &ast::Duration, what: &str) -> Option<u64> {
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

    fn fixed_pattern(
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

    // ----- outcomes -------------------------------------------------------

    fn outcomes(&mut self, file: &ast::File, schedule: Option<&ScheduleDecl>) -> Vec<Outcome> {
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
            match self.outcome(block, schedule) {
                Some(outcome) => {
                    if outcome.primary {
                        primaries.push(outcome.span);
                    }
                    outcomes.push(outcome);
                }
                None => {
                    // Already reported; it still counts as declared (and as
                    // primary if it says so), so nothing cascades from it.
                    self.invalid_outcomes.insert(block.name.node.clone());
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

    fn outcome(
        &mut self,
        block: &ast::OutcomeBlock,
        schedule: Option<&ScheduleDecl>,
    ) -> Option<Outcome> {
        let mut kind = None;
        let mut measured = None;
        let mut better = None;
        let mut mcid: Option<ast::Spanned<f64>> = None;
        let mut unit = None;
        let mut primary: Option<Span> = None;
        let mut secondary: Option<Span> = None;
        let mut seen: HashMap<&'static str, Span> = HashMap::new();
        let mut ok = true;
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
                }
                ast::OutcomeFieldKind::Measured(m) => {
                    measured = Some(match m {
                        ast::Measured::Daily => Measured::Daily,
                        ast::Measured::Weekly => Measured::Weekly,
                        ast::Measured::PerPeriod => Measured::PerPeriod,
                        ast::Measured::OnDays(days) => {
                            for day in days {
                                // Without a valid schedule only day 0 is known to be wrong.
                                let period_days = schedule.map(|s| s.period_days);
                                let outside =
                                    day.node == 0 || period_days.is_some_and(|p| day.node > p);
                                if outside {
                                    ok = false;
                                    let headline = match period_days {
                                        Some(p) => format!(
                                            "day {} is not a day of a {p}-day period",
                                            day.node
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
                            let washout = schedule.map(|s| s.washout_days).unwrap_or(0);
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
            if !seen.contains_key("type") {
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
            return None;
        };
        let Some(better) = better else {
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
            return None;
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
        ok.then(|| Outcome {
            name: block.name.node.clone(),
            description: block.description.as_ref().map(|d| d.node.clone()),
            kind,
            measured: measured.unwrap_or(Measured::Daily),
            better,
            mcid: mcid.map(|m| m.node),
            unit,
            primary: primary.is_some(),
            span: block.name.span,
        })
    }

    fn outcome_type(&mut self, t: &ast::OutcomeType, span: Span) -> Option<OutcomeType> {
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

    // ----- models -----------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn models(
        &mut self,
        file: &ast::File,
        arms: &[Arm],
        reference: Option<usize>,
        outcomes: &[Outcome],
        hypotheses: &[HypothesesSource],
        schedule: Option<&ScheduleDecl>,
    ) -> Option<Vec<Model>> {
        let mut blocks: Vec<Option<(&ast::ModelBlock, Span)>> = vec![None; outcomes.len()];
        let outcome_names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
        for item in &file.items {
            let ast::ItemKind::Model(block) = &item.kind else {
                continue;
            };
            match outcomes.iter().position(|o| o.name == block.outcome.node) {
                Some(i) => {
                    if let Some((_, first)) = blocks[i] {
                        self.push(
                            Diagnostic::error(
                                codes::E0204,
                                format!("outcome `{}` has two model blocks", block.outcome.node),
                            )
                            .with_primary(block.outcome.span, "second model")
                            .with_secondary(first, "first model")
                            .with_help("merge the statements into one model block"),
                        );
                    } else {
                        blocks[i] = Some((block, block.outcome.span));
                    }
                }
                None if self.invalid_outcomes.contains(&block.outcome.node) => {}
                None => {
                    self.push(
                        Diagnostic::error(
                            codes::E0202,
                            format!("there is no outcome `{}`", block.outcome.node),
                        )
                        .with_primary(block.outcome.span, "unknown outcome")
                        .with_help(suggestion(
                            "outcome",
                            &block.outcome.node,
                            &outcome_names,
                        )),
                    );
                }
            }
        }
        let reference = reference?;
        let schedule = schedule?;
        let mut models = Vec::new();
        let mut ok = true;
        for (index, outcome) in outcomes.iter().enumerate() {
            let context = ModelContext {
                arms,
                reference,
                outcome,
                hypotheses,
                schedule,
            };
            match self.model(index, blocks[index].map(|(b, _)| b), &context) {
                Some(model) => models.push(model),
                None => ok = false,
            }
        }
        ok.then_some(models)
    }

    fn model(
        &mut self,
        outcome_index: usize,
        block: Option<&ast::ModelBlock>,
        cx: &ModelContext,
    ) -> Option<Model> {
        let outcome = cx.outcome;
        let anchor = block.map(|b| b.outcome.span).unwrap_or(outcome.span);
        let defaults = DefaultPriors::for_outcome(outcome);
        let mut effects: Vec<Option<Prior>> = vec![None; cx.arms.len()];
        let mut carryover: Vec<Option<Prior>> = vec![None; cx.arms.len()];
        let mut intercept = None;
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
            if let Some(problem) = statement_fits_outcome(&statement.kind, outcome, cx.schedule) {
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
                    if arm_index == cx.reference && is_effect {
                        ok = false;
                        self.push(
                            Diagnostic::error(codes::E0506, format!("`{}` is the reference arm; its effect is zero by definition", arm.node))
                                .with_primary(arm.span, "reference arm")
                                .with_secondary(cx.arms[cx.reference].span, "declared `reference` here")
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
                        Some(p) => intercept = Some(p),
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
        if !ok {
            return None;
        }
        let default = |dist: PriorDist| Prior {
            dist,
            default: true,
            span: anchor,
        };
        let effects = (0..cx.arms.len())
            .filter(|&i| i != cx.reference)
            .map(|arm| Effect {
                arm,
                prior: effects[arm]
                    .take()
                    .unwrap_or_else(|| default(defaults.effect.clone())),
            })
            .collect();
        let carryover = if cx.schedule.carryover_modelled {
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
        let is_ordinal = matches!(outcome.kind, OutcomeType::Ordinal { .. });
        Some(Model {
            outcome: outcome_index,
            effects,
            intercept: if is_ordinal {
                None
            } else {
                Some(intercept.unwrap_or_else(|| default(defaults.intercept.clone())))
            },
            trend,
            errors: match outcome.kind {
                OutcomeType::Continuous { .. } => Some(errors.unwrap_or_else(|| Errors {
                    structure: ErrorStructure::Independent,
                    sigma: default(defaults.sigma.clone()),
                    phi: None,
                })),
                _ => None,
            },
            cutpoints: if is_ordinal {
                Some(
                    cutpoints
                        .unwrap_or_else(|| default(PriorDist::InducedDirichlet { alpha: 1.0 })),
                )
            } else {
                None
            },
            dispersion: match outcome.kind {
                OutcomeType::Count {
                    overdispersed: true,
                } => Some(dispersion.unwrap_or_else(|| {
                    default(PriorDist::Gamma {
                        shape: 2.0,
                        rate: 0.1,
                    })
                })),
                _ => None,
            },
            carryover,
            span: anchor,
        })
    }

    fn errors(
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
            sigma: sigma.unwrap_or_else(|| default(defaults.sigma.clone())),
            phi: match structure.node {
                ast::ErrorStructure::Ar1 => Some(phi.unwrap_or_else(|| {
                    default(PriorDist::Uniform {
                        lower: -1.0,
                        upper: 1.0,
                    })
                })),
                ast::ErrorStructure::Independent => None,
            },
        })
    }

    // ----- priors -----------------------------------------------------------

    fn prior(
        &mut self,
        prior: &ast::Prior,
        support: Support,
        effect: bool,
        hypotheses: &[HypothesesSource],
    ) -> Option<Prior> {
        self.prior_depth(prior, support, effect, hypotheses, 0)
    }

    fn prior_depth(
        &mut self,
        prior: &ast::Prior,
        support: Support,
        effect: bool,
        hypotheses: &[HypothesesSource],
        depth: usize,
    ) -> Option<Prior> {
        let dist = match &prior.kind {
            ast::PriorKind::Distribution { name, args } => {
                self.distribution(name, args, prior.span, support)?
            }
            ast::PriorKind::Preset(name) => {
                let Some(preset) = self.presets.get(&name.node).cloned() else {
                    if self.blame_failed_import("prior", name) {
                        return None;
                    }
                    let known: Vec<&str> = self.presets.keys().map(String::as_str).collect();
                    self.push(
                        Diagnostic::error(codes::E0206, format!("there is no prior `{}`", name.node))
                            .with_primary(name.span, "unknown prior")
                            .with_help(if known.is_empty() {
                                "import presets with `use std.priors.*`, or write a distribution such as `normal(0, 1)`".to_string()
                            } else {
                                suggestion("prior", &name.node, &known)
                            }),
                    );
                    return None;
                };
                if depth > 8 {
                    self.push(
                        Diagnostic::error(
                            codes::E0206,
                            format!("prior `{}` refers to itself", name.node),
                        )
                        .with_primary(name.span, "circular prior"),
                    );
                    return None;
                }
                let before = self.diagnostics.len();
                let resolved = self.prior_depth(&preset, support, effect, hypotheses, depth + 1);
                // Problems inside a preset point at its definition (or import);
                // also show where this spec uses it.
                for d in &mut self.diagnostics[before..] {
                    d.labels.push(crate::diagnostic::Label {
                        file: None,
                        span: name.span,
                        message: format!("`{}` used here", name.node),
                        primary: false,
                    });
                }
                let mut resolved = resolved?;
                resolved.span = prior.span;
                return Some(resolved);
            }
            ast::PriorKind::Mixture(components) => {
                let mut parts = Vec::new();
                let mut ok = true;
                let mut total = 0.0;
                for component in components {
                    let w = component.weight.node;
                    if !(w > 0.0 && w < 1.0) {
                        ok = false;
                        self.push(
                            Diagnostic::error(
                                codes::E0509,
                                format!("mixture weight {w} is not between 0 and 1"),
                            )
                            .with_primary(component.weight.span, "weight")
                            .with_help(
                                "each weight must be in (0, 1) and the weights must add up to 1",
                            ),
                        );
                    }
                    total += w;
                    match self.prior_depth(&component.prior, support, effect, hypotheses, depth + 1)
                    {
                        Some(p) => parts.push((w, p)),
                        None => ok = false,
                    }
                }
                if ok && (total - 1.0).abs() > 1e-9 {
                    self.push(
                        Diagnostic::error(
                            codes::E0509,
                            format!(
                                "the mixture weights add up to {}, not 1",
                                (total * 1e9).round() / 1e9
                            ),
                        )
                        .with_primary(prior.span, "this mixture")
                        .with_help("make the weights add up to exactly 1"),
                    );
                    return None;
                }
                if !ok {
                    return None;
                }
                PriorDist::Mixture(parts)
            }
            ast::PriorKind::Hypothesis {
                source,
                id,
                discount,
                robust,
                vague,
            } => {
                if !effect {
                    self.push(
                        Diagnostic::error(codes::E0515, "an LFM hypothesis can only be the prior of a treatment effect")
                            .with_primary(prior.span, "hypothesis used here")
                            .with_note("hypotheses state how much an intervention changes the outcome, not the outcome's level or noise")
                            .with_help("use it as `effect ARM ~ lfm.H1 …`"),
                    );
                    return None;
                }
                let mut ok = true;
                if !hypotheses.iter().any(|h| h.name == source.node) {
                    ok = false;
                    let names: Vec<&str> = hypotheses.iter().map(|h| h.name.as_str()).collect();
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
                }
                if let Some(w) = discount {
                    if !(w.node > 0.0 && w.node <= 1.0) {
                        ok = false;
                        self.push(
                            Diagnostic::error(codes::E0510, format!("discount {} is not in (0, 1]", w.node))
                                .with_primary(w.span, "discount")
                                .with_note("the discount w inflates the hypothesis' variance: sd becomes sd / sqrt(w); 1 keeps it")
                                .with_help("use a value such as 0.5 (half the information)"),
                        );
                    }
                }
                if let Some(r) = robust {
                    if !(r.node >= 0.0 && r.node < 1.0) {
                        ok = false;
                        self.push(
                            Diagnostic::error(codes::E0511, format!("robust weight {} is not in [0, 1)", r.node))
                                .with_primary(r.span, "robust weight")
                                .with_note("the robust weight is the prior probability that the hypothesis does not apply to this person")
                                .with_help("use a value such as 0.2"),
                        );
                    }
                }
                let vague = match vague {
                    Some(v) => {
                        match self.prior_depth(v, Support::Real, false, hypotheses, depth + 1) {
                            Some(p) => Some(Box::new(p)),
                            None => {
                                ok = false;
                                None
                            }
                        }
                    }
                    None => None,
                };
                if !ok {
                    return None;
                }
                PriorDist::Hypothesis {
                    source: source.node.clone(),
                    id: id.node.clone(),
                    discount: discount.as_ref().map(|w| w.node).unwrap_or(1.0),
                    robust: robust.as_ref().map(|r| r.node).unwrap_or(0.0),
                    vague,
                }
            }
        };
        Some(Prior {
            dist,
            default: false,
            span: prior.span,
        })
    }

    fn distribution(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Spanned<f64>],
        span: Span,
        support: Support,
    ) -> Option<PriorDist> {
        let Some(spec) = DISTRIBUTIONS.iter().find(|d| d.name == name.node) else {
            let known: Vec<&str> = DISTRIBUTIONS.iter().map(|d| d.name).collect();
            self.push(
                Diagnostic::error(
                    codes::E0501,
                    format!("there is no distribution `{}`", name.node),
                )
                .with_primary(name.span, "unknown distribution")
                .with_help(suggestion("distribution", &name.node, &known)),
            );
            return None;
        };
        if args.len() != spec.params.len() {
            self.push(
                Diagnostic::error(
                    codes::E0502,
                    format!(
                        "`{}` takes {} argument{}, not {}",
                        spec.name,
                        spec.params.len(),
                        if spec.params.len() == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .with_primary(span, format!("{} given", args.len()))
                .with_help(format!(
                    "write `{}({})`",
                    spec.name,
                    spec.params.join(", ")
                )),
            );
            return None;
        }
        let mut ok = true;
        for (arg, (param, rule)) in args.iter().zip(spec.params.iter().zip(spec.rules)) {
            let valid = arg.node.is_finite()
                && match rule {
                    ParamRule::Any => true,
                    ParamRule::Positive => arg.node > 0.0,
                };
            if !valid {
                ok = false;
                self.push(
                    Diagnostic::error(
                        codes::E0503,
                        format!(
                            "`{param}` of `{}` must be {}; it is {}",
                            spec.name,
                            rule.describe(),
                            arg.node
                        ),
                    )
                    .with_primary(arg.span, format!("invalid {param}"))
                    .with_help(format!("give `{param}` a {} value", rule.describe())),
                );
            }
        }
        if !ok {
            return None;
        }
        let a = |i: usize| args[i].node;
        let dist = match spec.name {
            "normal" => PriorDist::Normal {
                mu: a(0),
                sigma: a(1),
            },
            "student_t" => PriorDist::StudentT {
                nu: a(0),
                mu: a(1),
                sigma: a(2),
            },
            "cauchy" => PriorDist::Cauchy {
                mu: a(0),
                sigma: a(1),
            },
            "lognormal" => PriorDist::LogNormal {
                mu: a(0),
                sigma: a(1),
            },
            "half_normal" => PriorDist::HalfNormal { sigma: a(0) },
            "half_student_t" => PriorDist::HalfStudentT {
                nu: a(0),
                sigma: a(1),
            },
            "exponential" => PriorDist::Exponential { rate: a(0) },
            "gamma" => PriorDist::Gamma {
                shape: a(0),
                rate: a(1),
            },
            "beta" => PriorDist::Beta { a: a(0), b: a(1) },
            "uniform" => {
                if a(0) >= a(1) {
                    self.push(
                        Diagnostic::error(
                            codes::E0503,
                            format!(
                                "`uniform({}, {})` is empty: the lower end must be below the upper",
                                a(0),
                                a(1)
                            ),
                        )
                        .with_primary(span, "empty interval")
                        .with_help("write the lower end first"),
                    );
                    return None;
                }
                PriorDist::Uniform {
                    lower: a(0),
                    upper: a(1),
                }
            }
            _ => PriorDist::InducedDirichlet { alpha: a(0) },
        };
        // Does the distribution's support fit the parameter's?
        let fits = match (support, &dist) {
            (Support::Cutpoints, PriorDist::InducedDirichlet { .. }) => true,
            (Support::Cutpoints, _) | (_, PriorDist::InducedDirichlet { .. }) => false,
            (
                Support::Real,
                PriorDist::Normal { .. } | PriorDist::StudentT { .. } | PriorDist::Cauchy { .. },
            ) => true,
            (Support::Real, _) => false,
            (
                Support::Positive,
                PriorDist::HalfNormal { .. }
                | PriorDist::HalfStudentT { .. }
                | PriorDist::Exponential { .. }
                | PriorDist::Gamma { .. }
                | PriorDist::LogNormal { .. },
            ) => true,
            (Support::Positive, _) => false,
            (Support::Correlation, PriorDist::Uniform { lower, upper }) => {
                *lower >= -1.0 && *upper <= 1.0
            }
            (Support::Correlation, PriorDist::Beta { .. }) => true,
            (Support::Correlation, _) => false,
        };
        if !fits {
            let help = match support {
                Support::Real => "use normal, student_t or cauchy (or a mixture of them) for effects, intercepts and trends",
                Support::Positive => "use half_normal, half_student_t, exponential, gamma or lognormal for scales",
                Support::Correlation => "use uniform(a, b) with -1 <= a < b <= 1, or beta(a, b) for a positive autocorrelation",
                Support::Cutpoints => "use `cutpoints ~ induced_dirichlet(alpha)`",
            };
            self.push(
                Diagnostic::error(codes::E0504, format!("`{}` does not fit a parameter that takes {}", spec.name, support.describe()))
                    .with_primary(span, "prior with the wrong support")
                    .with_note("a prior that puts mass where the parameter cannot go, or none where it can, changes the analysis silently")
                    .with_help(help),
            );
            return None;
        }
        Some(dist)
    }

    // ----- decision rules -----------------------------------------------------

    fn rules(
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

    fn arm_ref(&mut self, arm: &ast::Ident, arms: &[Arm]) -> Option<usize> {
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

    fn condition(
        &mut self,
        condition: &ast::Condition,
        arms: &[Arm],
        reference: Option<usize>,
        outcomes: &[Outcome],
    ) -> Option<Condition> {
        let mut ok = true;
        let outcome_names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
        let outcome_index = outcomes
            .iter()
            .position(|o| o.name == condition.outcome.node);
        if outcome_index.is_none() && self.invalid_outcomes.contains(&condition.outcome.node) {
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
        let reference = reference?;
        let arm_index = match &condition.arm {
            Some(arm) => {
                let index = self.arm_ref(arm, arms);
                if index == Some(reference) {
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
                let others: Vec<usize> = (0..arms.len()).filter(|&i| i != reference).collect();
                match others.as_slice() {
                    [only] => Some(*only),
                    // No arm besides the reference: E0301 has said so.
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
    fn benefit_direction(&mut self, condition: &Condition, outcome: &Outcome) {
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

struct ModelContext<'a> {
    arms: &'a [Arm],
    reference: usize,
    outcome: &'a Outcome,
    hypotheses: &'a [HypothesesSource],
    schedule: &'a ScheduleDecl,
}

/// The documented default priors (docs/language.md, "Default priors").
struct DefaultPriors {
    intercept: PriorDist,
    effect: PriorDist,
    sigma: PriorDist,
}

impl DefaultPriors {
    fn for_outcome(outcome: &Outcome) -> Self {
        match outcome.kind {
            OutcomeType::Continuous {
                bounds: Some((lo, hi)),
            } => {
                let range = hi - lo;
                DefaultPriors {
                    intercept: PriorDist::Normal {
                        mu: (lo + hi) / 2.0,
                        sigma: range / 2.0,
                    },
                    effect: PriorDist::Normal {
                        mu: 0.0,
                        sigma: range / 4.0,
                    },
                    sigma: PriorDist::HalfNormal { sigma: range / 4.0 },
                }
            }
            OutcomeType::Continuous { bounds: None } => DefaultPriors {
                intercept: PriorDist::Normal {
                    mu: 0.0,
                    sigma: 10.0,
                },
                effect: PriorDist::Normal {
                    mu: 0.0,
                    sigma: 2.5,
                },
                sigma: PriorDist::HalfNormal { sigma: 5.0 },
            },
            OutcomeType::Binary => DefaultPriors {
                intercept: PriorDist::Normal {
                    mu: 0.0,
                    sigma: 1.5,
                },
                effect: PriorDist::Normal {
                    mu: 0.0,
                    sigma: 1.0,
                },
                sigma: PriorDist::HalfNormal { sigma: 1.0 },
            },
            OutcomeType::Count { .. } => DefaultPriors {
                intercept: PriorDist::Normal {
                    mu: 0.0,
                    sigma: 2.5,
                },
                effect: PriorDist::Normal {
                    mu: 0.0,
                    sigma: 1.0,
                },
                sigma: PriorDist::HalfNormal { sigma: 1.0 },
            },
            OutcomeType::Ordinal { .. } => DefaultPriors {
                intercept: PriorDist::Normal {
                    mu: 0.0,
                    sigma: 2.5,
                },
                effect: PriorDist::Normal {
                    mu: 0.0,
                    sigma: 1.0,
                },
                sigma: PriorDist::HalfNormal { sigma: 1.0 },
            },
        }
    }
}

#[derive(Clone, Copy)]
enum ParamRule {
    Any,
    Positive,
}

impl ParamRule {
    fn describe(self) -> &'static str {
        match self {
            ParamRule::Any => "finite",
            ParamRule::Positive => "positive",
        }
    }
}

struct DistributionSpec {
    name: &'static str,
    params: &'static [&'static str],
    rules: &'static [ParamRule],
}

use ParamRule::{Any, Positive};

/// Every distribution a prior may name, with its parameters in order.
const DISTRIBUTIONS: &[DistributionSpec] = &[
    DistributionSpec {
        name: "normal",
        params: &["mu", "sigma"],
        rules: &[Any, Positive],
    },
    DistributionSpec {
        name: "student_t",
        params: &["nu", "mu", "sigma"],
        rules: &[Positive, Any, Positive],
    },
    DistributionSpec {
        name: "cauchy",
        params: &["mu", "sigma"],
        rules: &[Any, Positive],
    },
    DistributionSpec {
        name: "lognormal",
        params: &["mu", "sigma"],
        rules: &[Any, Positive],
    },
    DistributionSpec {
        name: "half_normal",
        params: &["sigma"],
        rules: &[Positive],
    },
    DistributionSpec {
        name: "half_student_t",
        params: &["nu", "sigma"],
        rules: &[Positive, Positive],
    },
    DistributionSpec {
        name: "exponential",
        params: &["rate"],
        rules: &[Positive],
    },
    DistributionSpec {
        name: "gamma",
        params: &["shape", "rate"],
        rules: &[Positive, Positive],
    },
    DistributionSpec {
        name: "beta",
        params: &["a", "b"],
        rules: &[Positive, Positive],
    },
    DistributionSpec {
        name: "uniform",
        params: &["lower", "upper"],
        rules: &[Any, Any],
    },
    DistributionSpec {
        name: "induced_dirichlet",
        params: &["alpha"],
        rules: &[Positive],
    },
];

fn comparison(c: ast::Comparison) -> Comparison {
    match c {
        ast::Comparison::Less => Comparison::Less,
        ast::Comparison::LessEqual => Comparison::LessEqual,
        ast::Comparison::Greater => Comparison::Greater,
        ast::Comparison::GreaterEqual => Comparison::GreaterEqual,
    }
}

fn format_number(v: f64) -> String {
    format!("{v}")
}

fn schedule_field_name(kind: &ast::ScheduleFieldKind) -> &'static str {
    match kind {
        ast::ScheduleFieldKind::Start(_) => "start",
        ast::ScheduleFieldKind::RunIn(_) => "run_in",
        ast::ScheduleFieldKind::Period(_) => "period",
        ast::ScheduleFieldKind::Cycles(_) => "cycles",
        ast::ScheduleFieldKind::Periods(_) => "periods",
        ast::ScheduleFieldKind::Sequence(_) => "sequence",
        ast::ScheduleFieldKind::MaxRun(_) => "max_run",
        ast::ScheduleFieldKind::Washout(_) => "washout",
        ast::ScheduleFieldKind::Carryover(_) => "carryover",
        ast::ScheduleFieldKind::Blinding(_) => "blinding",
        ast::ScheduleFieldKind::Seed(_) => "seed",
    }
}

fn outcome_field_name(kind: &ast::OutcomeFieldKind) -> &'static str {
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

fn model_statement_name(kind: &ast::ModelStatementKind) -> &'static str {
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
fn statement_fits_outcome(
    kind: &ast::ModelStatementKind,
    outcome: &Outcome,
    schedule: &ScheduleDecl,
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
        (ast::ModelStatementKind::Carryover { .. }, _) if !schedule.carryover_modelled => Some((
            "a carryover prior is given but the schedule does not model carryover".to_string(),
            "add `carryover modelled` to the schedule, or remove the line".into(),
        )),
        _ => None,
    }
}

fn periods_per_arm(design: &SequenceDesign, n_periods: u64, n_arms: usize) -> Vec<u64> {
    let mut counts = vec![0u64; n_arms];
    match design {
        SequenceDesign::Fixed(pattern) => {
            for &arm in pattern {
                if let Some(c) = counts.get_mut(arm) {
                    *c += 1;
                }
            }
        }
        _ if n_arms > 0 => {
            for i in 0..n_periods as usize {
                counts[i % n_arms] += 1;
            }
        }
        _ => {}
    }
    counts
}

/// A dose written in an arm's description (`600 mg`, `50 µg`, `2 ml`).
fn mentions_dose(description: &str) -> bool {
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

fn first_is_from_design(first: Span, design_fields: &[ast::ScheduleField]) -> bool {
    design_fields.iter().any(|f| f.span == first)
}

fn reanchor_field(mut field: ast::ScheduleField, anchor: Span) -> ast::ScheduleField {
    field.span = anchor;
    use ast::ScheduleFieldKind as K;
    match &mut field.kind {
        K::Start(d) => d.span = anchor,
        K::RunIn(d) | K::Period(d) | K::Washout(d) => reanchor_duration(d, anchor),
        K::Cycles(n) | K::Periods(n) | K::MaxRun(n) | K::Seed(n) => n.span = anchor,
        K::Sequence(s) => {
            s.span = anchor;
            if let ast::SequenceDesign::Fixed(p) = &mut s.node {
                p.span = anchor;
            }
        }
        K::Carryover(s) => *s = anchor,
        K::Blinding(b) => b.span = anchor,
    }
    field
}

fn reanchor_duration(d: &mut ast::Duration, anchor: Span) {
    d.span = anchor;
    d.amount.span = anchor;
    if let Some(u) = &mut d.unit {
        u.span = anchor;
    }
}

fn reanchor_prior(prior: &mut ast::Prior, anchor: Span) {
    prior.span = anchor;
    match &mut prior.kind {
        ast::PriorKind::Distribution { name, args } => {
            name.span = anchor;
            for a in args {
                a.span = anchor;
            }
        }
        ast::PriorKind::Mixture(parts) => {
            for p in parts {
                p.weight.span = anchor;
                reanchor_prior(&mut p.prior, anchor);
            }
        }
        ast::PriorKind::Hypothesis {
            source,
            id,
            discount,
            robust,
            vague,
        } => {
            source.span = anchor;
            id.span = anchor;
            if let Some(d) = discount {
                d.span = anchor;
            }
            if let Some(r) = robust {
                r.span = anchor;
            }
            if let Some(v) = vague {
                reanchor_prior(v, anchor);
            }
        }
        ast::PriorKind::Preset(name) => name.span = anchor,
    }
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
