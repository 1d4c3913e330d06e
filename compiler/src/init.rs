//! `trialc init --from hypotheses.json [--top K] [--outcome NAME]`: a spec
//! scaffolded from an LFM hypotheses file.
//!
//! The spec tests the top K hypotheses (by rank; only those about one
//! outcome with `--outcome`) against a reference arm (`placebo`, or
//! `control` when an intervention is called `placebo`, and so on): one arm per
//! intervention, one outcome per hypothesised outcome (its type read from
//! the effect's `scale`), each hypothesis the tempered prior
//! `discount 0.5 robust 0.2` of its arm's effect on its outcome, and a
//! default decision rule per arm on the primary outcome (the top
//! hypothesis'). It passes `trialc check` as written; `// TODO:` comments
//! mark what the trialist must still decide (washout, period length, MCID,
//! outcome scales and descriptions, thresholds).
//!
//! Models write free text where the format asks for the spec's names
//! (`"intervention": "Blue-light glasses after 8 pm"`). Such a text becomes
//! the description of an arm (or outcome) whose name is derived from it
//! ([`derive_name`]: lower snake case ASCII of its first words, stop words
//! dropped, never a keyword, unique in the spec), and the `hypotheses`
//! declaration maps the text to that name (`intervention "…" is
//! blue_light_glasses_8`), so the scaffold checks cleanly and the report
//! still quotes the model's words.
//!
//! Pure: the CLI reads the file and writes the result.

use std::fmt::Write as _;

use crate::hypotheses::{HypothesesFile, Hypothesis};
use crate::syntax::lexer::KEYWORDS;

/// What to scaffold.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// The hypotheses file's path as the spec should name it (relative to
    /// the spec's folder).
    pub path: &'a str,
    /// How many hypotheses, best rank first.
    pub top: usize,
    /// Only hypotheses about this outcome.
    pub outcome: Option<&'a str>,
}

/// The default tempering of scaffolded LFM priors.
pub const DISCOUNT: f64 = 0.5;
pub const ROBUST: f64 = 0.2;

/// A name the scaffold may write as it is: an ASCII identifier that is not
/// a keyword (keywords are contextual, but a spec that names an arm `per`
/// reads badly).
fn is_plain_name(s: &str) -> bool {
    is_identifier(s) && !KEYWORDS.contains(&s)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A spec's string literal: quotes and backslashes escaped, one line.
fn literal(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "\"{}\"",
        one_line.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

/// Words that carry no meaning of their own in a name: dropped when a name
/// is derived from a text (unless nothing else is left).
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "of", "for", "and", "or", "with", "without", "to", "in", "on", "at", "by",
    "after", "before", "from", "per", "via", "as", "is", "are", "be", "vs", "versus", "into",
    "during", "than", "then", "its", "their", "your", "my", "each", "every", "some", "any",
    // French, Spanish, German and Italian articles and prepositions.
    "de", "du", "des", "la", "le", "les", "et", "au", "aux", "el", "los", "las", "del", "der",
    "die", "das", "den", "dem", "und", "mit", "von", "zu", "il", "di", "con",
];

/// A derived name has at most this many words and (unless its first word
/// alone is longer) this many characters.
const NAME_WORDS: usize = 4;
const NAME_LENGTH: usize = 32;

/// The ASCII spelling of a Latin letter with a diacritic (`é` → `e`,
/// `ß` → `ss`), of an ASCII letter or digit itself (lower case); `None`
/// for anything else (CJK, Greek, punctuation).
fn ascii_fold(c: char) -> Option<&'static str> {
    const ASCII: &str = "0123456789abcdefghijklmnopqrstuvwxyz";
    let lower = c.to_lowercase().next().unwrap_or(c);
    if lower.is_ascii_alphanumeric() {
        let i = ASCII.find(lower)?;
        return ASCII.get(i..i + 1);
    }
    Some(match lower {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// A spec name derived from a text of the hypotheses file: its words (runs
/// of letters and digits; accents folded to ASCII, apostrophes and
/// combining marks dropped, any other character a separator), lower case,
/// stop words dropped, the first [`NAME_WORDS`] joined with `_` while the
/// name stays within [`NAME_LENGTH`] characters. A name that would start
/// with a digit gets the prefix `{kind}_`. `None` when the text has no
/// ASCII word at all (CJK text, say): the caller numbers it instead.
/// Whether the name is a keyword or taken is the caller's concern
/// ([`Names::claim`]).
pub fn derive_name(text: &str, kind: &str) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if matches!(c, '\'' | '’') || ('\u{300}'..='\u{36F}').contains(&c) {
            continue;
        }
        match ascii_fold(c) {
            Some(ascii) => word.push_str(ascii),
            None => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let meaningful: Vec<&String> = words
        .iter()
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect();
    let words: Vec<&String> = if meaningful.is_empty() {
        words.iter().collect()
    } else {
        meaningful
    };
    let mut name = String::new();
    for w in words.into_iter().take(NAME_WORDS) {
        if name.is_empty() {
            name = w.chars().take(NAME_LENGTH).collect();
        } else if name.len() + 1 + w.len() <= NAME_LENGTH {
            name.push('_');
            name.push_str(w);
        } else {
            break;
        }
    }
    if name.is_empty() {
        return None;
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("{kind}_{name}");
    }
    Some(name)
}

/// The names a scaffold has given out (arms and outcomes share them, so
/// that no arm is called like an outcome).
#[derive(Debug, Default)]
pub struct Names {
    taken: Vec<String>,
}

impl Names {
    /// Takes `name` if it is free, else `name_2`, `name_3`, …; a keyword
    /// gets the suffix `_{kind}` first (`washout` → `washout_arm`).
    pub fn claim(&mut self, name: &str, kind: &str) -> String {
        let base = if KEYWORDS.contains(&name) {
            format!("{name}_{kind}")
        } else {
            name.to_string()
        };
        let mut candidate = base.clone();
        let mut n = 2;
        while self.taken.contains(&candidate) || KEYWORDS.contains(&candidate.as_str()) {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        self.taken.push(candidate.clone());
        candidate
    }
    fn is_taken(&self, name: &str) -> bool {
        self.taken.iter().any(|t| t == name)
    }
}

/// The spec's name for each distinct text (interventions or outcomes), in
/// order: a text that is a plain name already keeps it (claimed first, so
/// a derived name never takes it away); any other text gets a derived
/// name, or `{kind}_{n}` (n counting that kind's texts from 1) when it has
/// no ASCII word. The flag says whether the spec must map the text.
fn name_texts(texts: &[&str], kind: &str, names: &mut Names) -> Vec<(String, bool)> {
    let mut out: Vec<Option<(String, bool)>> = texts
        .iter()
        .map(|t| {
            is_plain_name(t).then(|| {
                let name = names.claim(t, kind);
                let mapped = name != *t;
                (name, mapped)
            })
        })
        .collect();
    for (i, text) in texts.iter().enumerate() {
        if out[i].is_none() {
            let base = derive_name(text, kind).unwrap_or_else(|| format!("{kind}_{}", i + 1));
            out[i] = Some((names.claim(&base, kind), true));
        }
    }
    out.into_iter().flatten().collect()
}

/// A number as the spec writes it.
fn num(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.contains('.') {
        s.to_string()
    } else {
        format!("{s}.0")
    }
}

/// Wraps a `///` doc comment.
fn doc(out: &mut String, text: &str) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + word.len() + 1 > 74 {
            let _ = writeln!(out, "/// {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "/// {line}");
    }
}

/// The outcome's declaration from the effect scale of its hypothesis.
fn outcome_type(h: &Hypothesis) -> (&'static str, &'static str) {
    match h.effect.scale.as_deref().map(str::trim) {
        Some("log odds ratio") => ("binary", ""),
        Some("log rate ratio") => ("count", ""),
        Some("log cumulative odds ratio") => (
            "ordinal 1..5",
            "   // TODO: the levels of the scale (here 1..5)",
        ),
        Some("outcome units") => (
            "continuous",
            "   // TODO: its bounds, if any, e.g. `continuous in [0, 10]`",
        ),
        _ => (
            "continuous",
            "   // TODO: the effect's scale was not given; check the type (and bounds)",
        ),
    }
}

/// Writes the spec; `Err` says why the file cannot be scaffolded.
pub fn generate(file: &HypothesesFile, options: &Options) -> Result<String, String> {
    let mut chosen: Vec<&Hypothesis> = file
        .hypotheses
        .iter()
        .filter(|h| {
            options.outcome.is_none_or(|o| {
                h.outcome == o || derive_name(&h.outcome, "outcome").as_deref() == Some(o)
            })
        })
        .collect();
    chosen.sort_by_key(|h| h.rank);
    if chosen.is_empty() {
        return Err(match options.outcome {
            Some(o) => format!("the file has no hypothesis about the outcome `{o}`"),
            None => "the file has no hypotheses".to_string(),
        });
    }
    // One prior per (arm, outcome): a later hypothesis about the same pair is skipped.
    let mut selected: Vec<&Hypothesis> = Vec::new();
    let mut skipped: Vec<&Hypothesis> = Vec::new();
    for h in chosen {
        if selected.len() >= options.top.max(1) {
            break;
        }
        if selected
            .iter()
            .any(|s| s.intervention == h.intervention && s.outcome == h.outcome)
        {
            skipped.push(h);
            continue;
        }
        selected.push(h);
    }
    for h in &selected {
        if !is_identifier(&h.id) {
            return Err(format!(
                "hypothesis id `{}` cannot be written as `lfm.{}` in a spec",
                h.id, h.id
            ));
        }
        for (what, text) in [("intervention", &h.intervention), ("outcome", &h.outcome)] {
            if text.contains('\r') {
                return Err(format!(
                    "hypothesis `{}` has a carriage return in its {what}, which no spec string can hold",
                    h.id
                ));
            }
        }
    }
    // The file's texts, each once, in order of rank; then their spec names.
    let mut intervention_texts: Vec<&str> = Vec::new();
    let mut outcome_texts: Vec<&str> = Vec::new();
    let mut outcomes: Vec<&Hypothesis> = Vec::new();
    for h in &selected {
        if !intervention_texts.contains(&h.intervention.as_str()) {
            intervention_texts.push(&h.intervention);
        }
        if !outcome_texts.contains(&h.outcome.as_str()) {
            outcome_texts.push(&h.outcome);
            outcomes.push(h);
        }
    }
    let mut names = Names::default();
    let arm_names = name_texts(&intervention_texts, "arm", &mut names);
    let outcome_names = name_texts(&outcome_texts, "outcome", &mut names);
    let outcome_of = |text: &str| -> String {
        outcome_texts
            .iter()
            .position(|t| *t == text)
            .map_or_else(|| text.to_string(), |i| outcome_names[i].0.clone())
    };
    let arms: Vec<&str> = arm_names.iter().map(|(n, _)| n.as_str()).collect();
    let reference = ["placebo", "control", "usual_care", "comparator"]
        .into_iter()
        .find(|r| !names.is_taken(r))
        .map_or_else(|| names.claim("comparator", "arm"), str::to_string);
    let g = &file.generator;
    let participant = file.participant.as_deref().unwrap_or("the participant");
    let slug: String = file
        .participant
        .as_deref()
        .unwrap_or("participant")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let seed = u64::from_str_radix(g.prompt_sha256.get(..8).unwrap_or(""), 16)
        .unwrap_or(20_260_101)
        % 100_000_000;

    let mut out = String::new();
    let ids: Vec<&str> = selected.iter().map(|h| h.id.as_str()).collect();
    let _ = writeln!(
        out,
        "// Scaffolded by `trialc init` from {} (hypotheses {}).",
        options.path,
        ids.join(", ")
    );
    let _ = writeln!(
        out,
        "// It passes `trialc check` as written. Every `TODO:` marks a decision the"
    );
    let _ = writeln!(
        out,
        "// trialist must still make; the model only proposed what to test."
    );
    if !skipped.is_empty() {
        let ids: Vec<&str> = skipped.iter().map(|h| h.id.as_str()).collect();
        let _ = writeln!(
            out,
            "// Not used: {} (same intervention and outcome as a better-ranked hypothesis).",
            ids.join(", ")
        );
    }
    let _ = writeln!(out);
    doc(
        &mut out,
        &format!("TODO: the question this trial answers for {participant}, in one sentence."),
    );
    let _ = writeln!(out, "trial \"n-of-1-{slug}\" {{");
    let _ = writeln!(
        out,
        "  title    {}",
        literal(&format!(
            "{} vs {reference} for {participant}",
            intervention_texts.join(", ")
        ))
    );
    let _ = writeln!(out, "  version  \"0.1.0\"");
    let _ = writeln!(out, "}}");
    let _ = writeln!(out);
    doc(
        &mut out,
        &format!(
            "Ranked hypotheses from {} {} (created {}, prompt SHA-256 {}).",
            g.model, g.version, g.created, g.prompt_sha256
        ),
    );
    let header = format!("hypotheses lfm from {}", literal(options.path));
    let mappings: Vec<String> = intervention_texts
        .iter()
        .zip(&arm_names)
        .map(|(text, name)| ("intervention", text, name))
        .chain(
            outcome_texts
                .iter()
                .zip(&outcome_names)
                .map(|(text, name)| ("outcome", text, name)),
        )
        .filter(|(_, _, (_, mapped))| *mapped)
        .filter_map(|(keyword, text, (name, _))| {
            crate::syntax::quote(text).map(|literal| format!("  {keyword} {literal} is {name}"))
        })
        .collect();
    if mappings.is_empty() {
        let _ = writeln!(out, "{header}");
    } else {
        let _ = writeln!(
            out,
            "{header} {{  // TODO: check the names derived from the model's words"
        );
        for line in &mappings {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "}}");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "data \"diary.csv\"   // TODO: where the participant's diary will be"
    );
    let _ = writeln!(out);
    for (text, (arm, mapped)) in intervention_texts.iter().zip(&arm_names) {
        let rationale = selected
            .iter()
            .find(|h| h.intervention == *text)
            .and_then(|h| h.rationale.as_deref());
        if let Some(r) = rationale {
            doc(&mut out, r);
        }
        if *mapped {
            let _ = writeln!(
                out,
                "arm {arm} {}   // TODO: product, dose, timing (the description is the model's words)",
                literal(text)
            );
        } else {
            let _ = writeln!(
                out,
                "arm {arm} {}",
                literal(&format!("TODO: {arm}: product, dose, timing"))
            );
        }
    }
    let _ = writeln!(
        out,
        "arm {reference} {} reference",
        literal("TODO: the comparator (matching placebo, or usual care)")
    );
    let _ = writeln!(out);
    let sequence = if arms.len() == 1 {
        "randomized pairs"
    } else {
        "randomized blocks"
    };
    let _ = writeln!(out, "schedule {{");
    let _ = writeln!(
        out,
        "  run_in    7 days    // TODO: baseline days before the first period"
    );
    let _ = writeln!(
        out,
        "  period    14 days   // TODO: period length: long enough for the effect to appear and be measured"
    );
    let _ = writeln!(
        out,
        "  cycles    3         // TODO: how many cycles the participant can do"
    );
    let _ = writeln!(out, "  sequence  {sequence}");
    let _ = writeln!(out, "  max_run   2");
    let _ = writeln!(
        out,
        "  washout   3 days    // TODO: washout: at least the time the previous arm's effect takes to wear off"
    );
    let _ = writeln!(
        out,
        "  blinding  double    // TODO: open, single or double, as the comparator allows"
    );
    let _ = writeln!(
        out,
        "  seed      {seed}   // TODO: anyone with the hypotheses file can compute this seed: commit to the pharmacy's key instead (`trialc schedule SPEC --new-key PHARMACY-SECRET.key` prints the line)"
    );
    let _ = writeln!(out, "}}");
    let _ = writeln!(out);
    let primary_text = &selected[0].outcome;
    let primary = outcome_of(primary_text);
    for (h, (name, mapped)) in outcomes.iter().zip(&outcome_names) {
        let (kind, kind_todo) = outcome_type(h);
        let better = if h.effect.mean < 0.0 {
            "lower"
        } else {
            "higher"
        };
        if *mapped {
            let _ = writeln!(
                out,
                "outcome {name} {} {{  // TODO: what it measures, and how (the description is the model's words)",
                literal(&h.outcome)
            );
        } else {
            let _ = writeln!(
                out,
                "outcome {name} {} {{",
                literal(&format!("TODO: what {name} measures, and how"))
            );
        }
        let _ = writeln!(out, "  type      {kind}{kind_todo}");
        let _ = writeln!(
            out,
            "  measured  daily     // TODO: daily, weekly, per period"
        );
        let _ = writeln!(
            out,
            "  better    {better}    // TODO: check: read from the sign of the hypothesised effect"
        );
        if &h.outcome == primary_text && kind == "continuous" {
            let mcid = (h.effect.mean.abs() / 2.0).max(0.01);
            let _ = writeln!(
                out,
                "  mcid      {}       // TODO: MCID: the smallest change the participant would call worthwhile (placeholder: half the hypothesised effect)",
                num((mcid * 100.0).round() / 100.0)
            );
        }
        let _ = writeln!(
            out,
            "  {}",
            if &h.outcome == primary_text {
                "primary"
            } else {
                "secondary"
            }
        );
        let _ = writeln!(out, "}}");
        let _ = writeln!(out);
    }
    for (o, (outcome, _)) in outcomes.iter().zip(&outcome_names) {
        let _ = writeln!(out, "model {outcome} {{");
        for (text, arm) in intervention_texts.iter().zip(&arms) {
            match selected
                .iter()
                .find(|h| h.intervention == *text && h.outcome == o.outcome)
            {
                Some(h) => {
                    let _ = writeln!(
                        out,
                        "  effect {arm} ~ lfm.{} discount {} robust {}   // TODO: how far to trust the model (discount), and the chance it does not apply (robust)",
                        h.id,
                        num(DISCOUNT),
                        num(ROBUST)
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "  effect {arm} ~ normal(0, 2.5)   // no hypothesis about {arm} on {outcome}: weakly informative"
                    );
                }
            }
        }
        let _ = writeln!(out, "}}");
        let _ = writeln!(out);
    }
    let primary_h = selected[0];
    let continuous = outcome_type(primary_h).0 == "continuous";
    let lower = primary_h.effect.mean < 0.0;
    let _ = writeln!(
        out,
        "// TODO: the decision rules and their probability thresholds."
    );
    let _ = writeln!(out, "decide {{");
    for (text, arm) in intervention_texts.iter().zip(&arms) {
        if !selected
            .iter()
            .any(|h| h.intervention == *text && &h.outcome == primary_text)
        {
            continue;
        }
        let (threshold, p) = match (continuous, lower) {
            (true, true) => ("< -mcid", "0.80"),
            (true, false) => ("> mcid", "0.80"),
            (false, true) => ("< 0", "0.95"),
            (false, false) => ("> 0", "0.95"),
        };
        let _ = writeln!(
            out,
            "  recommend {arm} if P(effect of {arm} on {primary} {threshold}) >= {p}"
        );
    }
    let _ = writeln!(out, "  otherwise inconclusive");
    let _ = writeln!(out, "}}");
    // In `trialc fmt`'s layout, so formatting it later changes nothing.
    Ok(crate::format::format(&out).unwrap_or(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_derived_from_the_words_of_a_text() {
        let cases = [
            (
                "Evening light exposure reduction (blue-light glasses after 8 pm)",
                Some("evening_light_exposure_reduction"),
            ),
            ("Caffeine cut-off at noon", Some("caffeine_cut_off_noon")),
            ("Sleep onset latency", Some("sleep_onset_latency")),
            (
                "Réduction de la lumière le soir",
                Some("reduction_lumiere_soir"),
            ),
            ("Café au lait, décaféiné", Some("cafe_lait_decafeine")),
            ("Straße, Œuvre, Łódź", Some("strasse_oeuvre_lodz")),
            // Decomposed accents (a combining mark) and apostrophes join.
            (
                "Cafe\u{301} participant\u{2019}s",
                Some("cafe_participants"),
            ),
            ("褪黑素", None),
            ("褪黑素 3 mg", Some("arm_3_mg")),
            ("", None),
            ("-- ! --", None),
            // Only stop words: they are kept rather than nothing.
            ("The", Some("the")),
            // One long word is cut at the length limit.
            (
                "Supercalifragilisticexpialidocious-therapy",
                Some("supercalifragilisticexpialidocio"),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(derive_name(text, "arm").as_deref(), expected, "{text:?}");
        }
        for text in [
            "Evening light exposure reduction",
            "A very, very long name of many words indeed",
        ] {
            let name = derive_name(text, "arm").expect("a name");
            assert!(
                name.len() <= NAME_LENGTH && name.split('_').count() <= NAME_WORDS,
                "{name}"
            );
            assert!(is_plain_name(&name), "{name}");
        }
    }

    #[test]
    fn claimed_names_are_unique_and_never_keywords() {
        let mut names = Names::default();
        assert_eq!(names.claim("glasses", "arm"), "glasses");
        assert_eq!(names.claim("glasses", "arm"), "glasses_2");
        assert_eq!(names.claim("glasses", "outcome"), "glasses_3");
        assert_eq!(names.claim("washout", "arm"), "washout_arm");
        assert_eq!(names.claim("washout", "arm"), "washout_arm_2");
        assert_eq!(names.claim("type", "outcome"), "type_outcome");
        assert!(names.is_taken("glasses_2") && !names.is_taken("washout"));
    }

    #[test]
    fn plain_names_are_kept_and_claimed_before_derived_ones() {
        let mut names = Names::default();
        let named = name_texts(
            &[
                "Glasses!",
                "glasses",
                "褪黑素",
                "per day",
                "washout",
                "Washout",
            ],
            "arm",
            &mut names,
        );
        let expected = [
            ("glasses_2", true),
            ("glasses", false),
            ("arm_3", true),
            ("day_arm", true),
            // A keyword is not a plain name; a capitalised one is.
            ("washout_arm", true),
            ("Washout", false),
        ];
        assert_eq!(named.len(), expected.len());
        for ((name, mapped), (want, want_mapped)) in named.iter().zip(expected) {
            assert_eq!((name.as_str(), *mapped), (want, want_mapped));
        }
        // A plain name already taken by the other kind is renamed, and mapped.
        let named = name_texts(&["glasses"], "outcome", &mut names);
        assert_eq!(named, vec![("glasses_3".to_string(), true)]);
    }
}
