//! `use` of the standard library, the designs and prior presets a spec
//! declares, and the names a hypotheses file's wording is mapped to.

use super::*;

/// A `use` that did not resolve.
pub(super) struct FailedImport {
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
    pub(super) fn could_provide(&self, kind: &str, name: &str) -> bool {
        match &self.item {
            Some(item) => item == name,
            None => {
                let other = if kind == "prior" { "design" } else { "prior" };
                self.module_missing && !self.module.contains(other)
            }
        }
    }
}

impl Checker {
    /// E0205 for an import, remembered so that names it may have provided
    /// are attached to it rather than reported again.
    pub(super) fn push_failed_import(
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
    pub(super) fn blame_failed_import(&mut self, kind: &str, name: &ast::Ident) -> bool {
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

    pub(super) fn resolve_imports(&mut self, file: &ast::File) {
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

    pub(super) fn import(&mut self, decl: &ast::UseDecl, span: Span) {
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
}

/// A text as the spec writes it (texts in the spec are read from literals).
fn literal(text: &str) -> String {
    crate::syntax::quote(text).unwrap_or_else(|| format!("{text:?}"))
}

impl Checker {
    /// The block of a `hypotheses` declaration, `{ intervention "…" is ARM
    /// outcome "…" is OUTCOME }`: every mapping names a declared arm (or
    /// outcome) (E0812), and no text is mapped twice (E0813). Returns the
    /// valid mappings, interventions then outcomes. Names are looked up
    /// among every declaration (valid or not), so an arm or outcome with
    /// errors of its own raises nothing more here.
    pub(super) fn name_mappings(
        &mut self,
        decl: &ast::HypothesesDecl,
        file: &ast::File,
    ) -> (Vec<NameMapping>, Vec<NameMapping>) {
        let (mut interventions, mut outcomes) = (Vec::new(), Vec::new());
        let Some(mappings) = &decl.mappings else {
            return (interventions, outcomes);
        };
        let mut arms = Vec::new();
        let mut declared_outcomes = Vec::new();
        for item in &file.items {
            match &item.kind {
                ast::ItemKind::Arm(arm) => arms.push(arm.name.node.as_str()),
                ast::ItemKind::Outcome(o) => declared_outcomes.push(o.name.node.as_str()),
                _ => {}
            }
        }
        let mut seen: Vec<&ast::NameMapping> = Vec::new();
        for mapping in mappings {
            let kind = mapping.kind.node;
            let (what, names, others, other_kind, other_what) = match kind {
                ast::MappingKind::Intervention => {
                    ("arm", &arms, &declared_outcomes, "outcome", "an outcome")
                }
                ast::MappingKind::Outcome => (
                    "outcome",
                    &declared_outcomes,
                    &arms,
                    "intervention",
                    "an arm",
                ),
            };
            let target = &mapping.target;
            let mut valid = true;
            if !names.contains(&target.node.as_str()) {
                valid = false;
                let close = super::names::did_you_mean(&target.node, names.iter().copied());
                let help = match close {
                    None if others.contains(&target.node.as_str()) => format!(
                        "`{}` is {other_what}: write `{other_kind} {} is {}`",
                        target.node,
                        literal(&mapping.text.node),
                        target.node
                    ),
                    _ => suggestion(what, &target.node, names),
                };
                self.push(
                    Diagnostic::error(
                        codes::E0812,
                        format!(
                            "the mapping names an {what} `{}` that the spec does not declare",
                            target.node
                        ),
                    )
                    .with_primary(target.span, format!("not a declared {what}"))
                    .with_help(help),
                );
            }
            if let Some(first) = seen
                .iter()
                .find(|m| m.kind.node == kind && m.text.node == mapping.text.node)
            {
                valid = false;
                let same = first.target.node == target.node;
                self.push(
                    Diagnostic::error(
                        codes::E0813,
                        format!(
                            "the {} {} is mapped twice",
                            kind.keyword(),
                            literal(&mapping.text.node)
                        ),
                    )
                    .with_primary(mapping.text.span, format!("mapped again here, to `{}`", target.node))
                    .with_secondary(first.text.span, format!("first mapped here, to `{}`", first.target.node))
                    .with_help(if same {
                        "remove the repeated mapping".to_string()
                    } else {
                        format!(
                            "a text means one {what}: keep the mapping to the {what} the hypotheses with this text are about (`{}` or `{}`)",
                            first.target.node, target.node
                        )
                    }),
                );
            } else {
                seen.push(mapping);
            }
            if valid {
                let mapped = NameMapping {
                    text: mapping.text.node.clone(),
                    text_span: mapping.text.span,
                    target: target.node.clone(),
                    target_span: target.span,
                };
                match kind {
                    ast::MappingKind::Intervention => interventions.push(mapped),
                    ast::MappingKind::Outcome => outcomes.push(mapped),
                }
            }
        }
        (interventions, outcomes)
    }
}

pub(super) fn reanchor_field(mut field: ast::ScheduleField, anchor: Span) -> ast::ScheduleField {
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
        K::PeriodLengths(list) => {
            list.span = anchor;
            for amount in &mut list.amounts {
                amount.span = anchor;
            }
            if let Some(u) = &mut list.unit {
                u.span = anchor;
            }
        }
        K::Window(range) => {
            range.span = anchor;
            range.first.span = anchor;
            range.last.span = anchor;
        }
    }
    field
}

pub(super) fn reanchor_duration(d: &mut ast::Duration, anchor: Span) {
    d.span = anchor;
    d.amount.span = anchor;
    if let Some(u) = &mut d.unit {
        u.span = anchor;
    }
}

pub(super) fn reanchor_prior(prior: &mut ast::Prior, anchor: Span) {
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
