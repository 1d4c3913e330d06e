//! The checker: AST → HIR, with every error a careful protocol reviewer would raise.
//!
//! It never stops at the first problem: each check adds diagnostics and goes
//! on with what it could resolve. A `Spec` is returned only when no error was
//! found; warnings come back either way.
//!
//! One file per block the checker handles: `imports` (`use`, designs, prior
//! presets), `trial` (trial block, arms, hypotheses, data), `schedule`,
//! `outcomes`, `models`, `priors` and `decide`; `look_alikes` compares the
//! names of arms and of outcomes. This file holds the shared state and the
//! order in which the blocks are checked.

use super::names::suggestion;
use super::*;
use crate::codes;
use crate::diagnostic::{Diagnostic, Span};
use crate::stdlib;
use crate::syntax::ast;
use std::collections::HashMap;

mod decide;
mod imports;
mod look_alikes;
mod models;
mod outcomes;
mod priors;
mod schedule;
mod simulate;
mod trial;

pub use simulate::check_simulate;

use imports::FailedImport;

/// A declared outcome with errors of its own (reported).
struct InvalidOutcome {
    name: String,
    /// The outcome as far as it could be checked, when its type is known.
    stand_in: Option<Outcome>,
}

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
    /// Outcomes that are declared but had errors of their own, in
    /// declaration order: references to them are not reported again as
    /// undefined, and their models are still checked.
    invalid_outcomes: Vec<InvalidOutcome>,
    /// Every declared outcome's name, valid or not, in declaration order:
    /// the candidates of "did you mean".
    declared_outcomes: Vec<String>,
    /// Whether the schedule block models carryover; `None` without one.
    /// Known even when the rest of the schedule has errors.
    carryover_modelled: Option<bool>,
    /// The imports that failed (E0205), with the index of their error. A
    /// preset or design name that one of them would have provided is
    /// labelled on that import's error instead of raising its own
    /// E0206/E0207 (no cascade of errors from one wrong `use`).
    failed_imports: Vec<FailedImport>,
    /// W0301 as the schedule raised it, with the place in `diagnostics` it
    /// belongs: withheld until the models are known, since an outcome that
    /// models a decaying carryover needs no washout.
    pending_washout: Option<(usize, Diagnostic)>,
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

    fn run(&mut self, file: &ast::File) -> Option<Spec> {
        self.resolve_imports(file);

        let trial = self.trial(file);
        let (arms, reference) = self.arms(file);
        let hypotheses = self.hypotheses(file);
        let data = self.data(file);
        let schedule = self.schedule(file, &arms);
        let outcomes = self.outcomes(file, schedule.as_ref());
        let models = self.models(file, &arms, reference, &outcomes, &hypotheses);
        self.settle_washout_warning(&outcomes, models.as_deref());
        self.look_alikes(file);
        let rules = self.rules(file, &arms, reference, &outcomes, schedule.as_ref());
        let report = self.report(file, &arms, reference, &outcomes);

        let complete =
            trial.is_some() && reference.is_some() && schedule.is_some() && models.is_some();
        if !complete {
            // Its names are still checked against what could be resolved.
            let context = simulate::Context {
                arms: &arms,
                reference,
                outcomes: &outcomes,
                models: models.as_deref(),
                schedule: schedule.as_ref(),
                hypotheses: &hypotheses,
                spec: None,
                fallback: crate::hir::simulate::default_scenarios(
                    &arms,
                    &outcomes,
                    models.as_deref().unwrap_or_default(),
                ),
            };
            self.simulate(file, &context);
        }
        let mut spec = Spec {
            trial: trial?,
            arms,
            reference: reference?,
            schedule: schedule?,
            outcomes,
            models: models?,
            rules,
            report,
            hypotheses,
            data,
            simulate: None,
        };
        let simulate = self.simulate(file, &simulate::Context::of(&spec));
        spec.simulate = simulate;
        Some(spec)
    }

    /// Raises the withheld W0301 unless every outcome models a decaying
    /// carryover; when some do, it names the outcomes that do not.
    fn settle_washout_warning(&mut self, outcomes: &[Outcome], models: Option<&[Model]>) {
        let Some((at, mut warning)) = self.pending_washout.take() else {
            return;
        };
        if let Some(models) = models {
            let bare: Vec<&str> = models
                .iter()
                .filter(|m| m.carryover_decay.is_none())
                .map(|m| outcomes[m.outcome].name.as_str())
                .collect();
            if bare.is_empty() {
                return;
            }
            if bare.len() < models.len() {
                let names: Vec<String> = bare.iter().map(|n| format!("`{n}`")).collect();
                warning = warning.with_note(format!(
                    "{} model{} no `carryover decay`, so {} still exposed to carryover",
                    names.join(", "),
                    if bare.len() == 1 { "s" } else { "" },
                    if bare.len() == 1 { "it is" } else { "they are" },
                ));
            }
        }
        let at = at.min(self.diagnostics.len());
        self.diagnostics.insert(at, warning);
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
}
