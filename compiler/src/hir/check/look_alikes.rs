//! Names that look alike (W0201): two arms, or two outcomes, whose names are
//! different strings drawn the same, such as Latin `placebo` and `plаcebo`
//! with a Cyrillic `а`.

use super::*;
use crate::hir::confusables;

impl Checker {
    pub(super) fn look_alikes(&mut self, file: &ast::File) {
        let arms: Vec<&ast::Ident> = file
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ast::ItemKind::Arm(decl) => Some(&decl.name),
                _ => None,
            })
            .collect();
        self.look_alike_names("arm", &arms);
        let outcomes: Vec<&ast::Ident> = file
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ast::ItemKind::Outcome(block) => Some(&block.name),
                _ => None,
            })
            .collect();
        self.look_alike_names("outcome", &outcomes);
    }

    /// One W0201 for each name that looks like an earlier one.
    fn look_alike_names(&mut self, what: &str, names: &[&ast::Ident]) {
        for (i, name) in names.iter().enumerate() {
            let Some(first) = names[..i]
                .iter()
                .find(|earlier| confusables::look_alike(&earlier.node, &name.node))
            else {
                continue;
            };
            let mut d = Diagnostic::warning(
                codes::W0201,
                format!(
                    "{what} `{}` looks like {what} `{}` but is a different name",
                    name.node, first.node
                ),
            )
            .with_primary(name.span, "this name")
            .with_secondary(first.span, "looks the same as this one")
            .with_help(format!(
                "give the {what}s names that look different, typed in one alphabet"
            ));
            if let Some(difference) = confusables::first_difference(&name.node, &first.node) {
                d = d.with_note(format!(
                    "{difference}; a reader of the protocol cannot tell the two apart"
                ));
            }
            self.push(d);
        }
    }
}
