//! The trial block, arms, hypotheses sources and the diary path.

use super::*;

impl Checker {
    pub(super) fn trial(&mut self, file: &ast::File) -> Option<TrialMeta> {
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

    pub(super) fn arms(&mut self, file: &ast::File) -> (Vec<Arm>, Option<usize>) {
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

    pub(super) fn hypotheses(&mut self, file: &ast::File) -> Vec<HypothesesSource> {
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
            let (interventions, outcomes) = self.name_mappings(decl, file);
            sources.push(HypothesesSource {
                name: decl.name.node.clone(),
                path: decl.path.node.clone(),
                span: decl.name.span,
                path_span: decl.path.span,
                interventions,
                outcomes,
            });
        }
        sources
    }

    pub(super) fn data(&mut self, file: &ast::File) -> Option<Located<String>> {
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
}
