//! Name suggestions ("did you mean") for undefined names.

use super::confusables;

/// The candidate closest to `name`, if it is close enough to be a plausible
/// typo. A candidate that looks the same ([`confusables::look_alike`]) is
/// the closest of all.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        if confusables::look_alike(name, candidate) {
            return Some(candidate);
        }
        let score = strsim::jaro_winkler(&name.to_lowercase(), &candidate.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// "did you mean `x`?" help text, or a list of what exists.
pub fn suggestion(what: &str, name: &str, candidates: &[&str]) -> String {
    match did_you_mean(name, candidates.iter().copied()) {
        Some(c) => match confusables::first_difference(c, name) {
            Some(difference) if confusables::look_alike(c, name) => format!(
                "did you mean `{c}`? It looks the same, but {difference}: retype one of them"
            ),
            _ => format!("did you mean `{c}`?"),
        },
        None if candidates.is_empty() => format!("no {what} is declared in this spec"),
        None => format!(
            "the declared {what}s are {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let arms = ["magnesium", "placebo"];
        assert_eq!(did_you_mean("magnesim", arms), Some("magnesium"));
        assert_eq!(did_you_mean("Placebo", arms), Some("placebo"));
        assert_eq!(did_you_mean("ibuprofen", arms), None);
    }

    #[test]
    fn look_alikes_are_suggested_and_explained() {
        // A one-letter name is never "close" by edit distance, but a
        // look-alike is the closest candidate of all.
        assert_eq!(did_you_mean("a", ["\u{430}", "b"]), Some("\u{430}"));
        assert_eq!(
            suggestion("arm", "placebo", &["magnesium", "pl\u{430}cebo"]),
            "did you mean `pl\u{430}cebo`? It looks the same, but `pl\u{430}cebo` has \
             Cyrillic `\u{430}` (U+0430) where `placebo` has Latin `a` (U+0061): retype one of them"
        );
    }

    #[test]
    fn suggestion_lists_candidates_when_nothing_is_close() {
        let text = suggestion("arm", "zzz", &["a1", "b2"]);
        assert_eq!(text, "the declared arms are `a1`, `b2`");
        assert_eq!(
            suggestion("arm", "zzz", &[]),
            "no arm is declared in this spec"
        );
    }
}
