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

    /// One W0201 for each name that looks like an earlier one. Names are
    /// grouped by their skeleton (what they look like), so this is linear
    /// in the number of names, however many a hostile spec declares.
    fn look_alike_names(&mut self, what: &str, names: &[&ast::Ident]) {
        // Per skeleton, the first declaration of each distinct spelling.
        let mut seen: std::collections::HashMap<String, Vec<&ast::Ident>> =
            std::collections::HashMap::new();
        for name in names {
            let spellings = seen.entry(confusables::skeleton(&name.node)).or_default();
            let first = spellings
                .iter()
                .find(|earlier| earlier.node != name.node)
                .copied();
            if !spellings.iter().any(|earlier| earlier.node == name.node) {
                spellings.push(name);
            }
            let Some(first) = first else {
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

#[cfg(test)]
mod tests {
    use crate::{hir, syntax};

    /// Many names (a hostile spec declares 20,000 arms): every look-alike
    /// is still found once, against the first spelling; the grouping by
    /// skeleton keeps this linear (the pairwise search took seconds).
    #[test]
    fn many_names_each_look_alike_found_once() {
        let mut spec = String::new();
        for i in 0..20_000 {
            spec.push_str(&format!("arm a{i} \"A\"\n"));
        }
        // Cyrillic `а` (U+0430) for Latin `a`: looks like `a7`, `a9`.
        spec.push_str("arm \u{430}7 \"A\"\narm \u{430}9 \"A\"\narm \u{430}7 \"again\"\n");
        let (ast, _) = syntax::parse(&spec);
        let (_, diagnostics) = hir::check(&ast);
        let looks: Vec<&str> = diagnostics
            .iter()
            .filter(|d| d.code == "W0201")
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(looks.len(), 3, "{looks:?}");
        assert!(
            looks[0].contains("`\u{430}7` looks like arm `a7`"),
            "{looks:?}"
        );
        assert!(
            looks[1].contains("`\u{430}9` looks like arm `a9`"),
            "{looks:?}"
        );
    }
}
