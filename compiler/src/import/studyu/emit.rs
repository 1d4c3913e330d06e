//! The spec's and the diary's text for one participant.

use std::fmt::Write as _;

use chrono::NaiveDate;

use super::definition::{Intervention, Question, Study};
use super::{Note, NoteKind};

pub(super) enum OutcomeKind {
    Continuous { low: f64, high: f64 },
    Binary,
}

pub(super) struct Arm<'a> {
    pub name: String,
    pub intervention: &'a Intervention,
    pub reference: bool,
}

pub(super) struct SpecParts<'a> {
    pub trial_id: String,
    pub study: &'a Study,
    pub participant: &'a str,
    /// In the participant's order: A (first phase) then B.
    pub arms: [Arm<'a>; 2],
    pub first: &'a Intervention,
    /// One letter per treatment phase.
    pub pattern: String,
    pub start: NaiveDate,
    pub outcome_name: String,
    pub question: &'a Question,
    pub questionnaire_title: &'a str,
    pub kind: OutcomeKind,
    pub higher_is_better: Option<bool>,
    pub diary_file: String,
    pub notes: &'a [Note],
}

/// A string literal of the language: one line, `"` and `\` escaped,
/// control characters as spaces.
fn literal(s: &str) -> String {
    let one_line: String = s
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "\"{}\"",
        one_line.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

/// Comment lines wrap here (a word longer than the line stays whole).
const WIDTH: usize = 100;

/// Free text as comment lines: each of its lines word-wrapped, the first
/// after `marker` and the rest after `continued` (`///` and `///`, or
/// `//  -` and `//   `).
fn comment(out: &mut String, marker: &str, continued: &str, text: &str) {
    for line in text.lines() {
        let line: String = line
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut current = marker.to_string();
        let mut words = 0;
        for word in line.split_whitespace() {
            if words > 0 && current.chars().count() + 1 + word.chars().count() > WIDTH {
                let _ = writeln!(out, "{current}");
                current = continued.to_string();
                words = 0;
            }
            current.push(' ');
            current.push_str(word);
            words += 1;
        }
        let _ = writeln!(out, "{current}");
    }
}

/// A number as the language writes it: shortest decimal, at most 6
/// decimals for derived values.
pub(super) fn number(x: f64) -> String {
    let exact = format!("{x}");
    if exact.len() <= 12 {
        return exact;
    }
    let rounded = format!("{x:.6}");
    let trimmed = rounded.trim_end_matches('0').trim_end_matches('.');
    trimmed.to_string()
}

pub(super) fn spec(p: &SpecParts<'_>) -> String {
    let mut out = String::new();
    let study_title = p.study.title.as_deref().unwrap_or("StudyU study");
    let _ = writeln!(
        out,
        "// Imported from StudyU by `trialc import studyu` (docs/import-studyu.md)."
    );
    let about = format!(
        "Study {}{}, participant {}.",
        literal(study_title),
        p.study
            .id
            .as_deref()
            .map(|id| format!(" ({})", crate::render::inline(id)))
            .unwrap_or_default(),
        crate::render::inline(p.participant)
    );
    comment(&mut out, "//", "//", &about);
    for (kind, heading) in [
        (NoteKind::Warning, "Warning"),
        (NoteKind::Assumed, "Assumed"),
        (NoteKind::Dropped, "Not imported"),
    ] {
        let notes: Vec<&Note> = p.notes.iter().filter(|n| n.kind == kind).collect();
        if notes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "//\n// {heading}:");
        for note in notes {
            comment(&mut out, "//  -", "//   ", &note.text);
        }
    }
    out.push('\n');

    if let Some(description) = &p.study.description {
        comment(&mut out, "///", "///", description);
    }
    let _ = writeln!(out, "trial {} {{", literal(&p.trial_id));
    let _ = writeln!(
        out,
        "  title {}",
        literal(&format!(
            "{study_title}, participant {}",
            short(p.participant)
        ))
    );
    let _ = writeln!(out, "}}\n");
    let _ = writeln!(out, "data {}\n", literal(&p.diary_file));

    for arm in &p.arms {
        let iv = arm.intervention;
        let _ = writeln!(
            out,
            "/// StudyU intervention `{}`.",
            crate::render::inline(&iv.id)
        );
        let description = if iv.description.trim().is_empty() {
            iv.name.clone()
        } else {
            format!("{}: {}", iv.name.trim(), iv.description.trim())
        };
        let _ = writeln!(
            out,
            "arm {} {}{}",
            arm.name,
            literal(&description),
            if arm.reference { " reference" } else { "" }
        );
    }
    out.push('\n');

    let s = &p.study.schedule;
    let sequence = match s.sequence {
        super::definition::Sequence::Alternating => "alternating",
        super::definition::Sequence::CounterBalanced => "counterbalanced",
        super::definition::Sequence::Randomized => {
            "randomized (StudyU drew the order of each later cycle)"
        }
        super::definition::Sequence::Customized => "custom",
    };
    let design = format!(
        "StudyU's {sequence} design as this participant was given it: {} cycle{} of {} phase{} of {} day{}{}, `{}` first. StudyU has no washout and no blinding.",
        s.cycles,
        if s.cycles == 1 { "" } else { "s" },
        s.cycle_len(),
        if s.cycle_len() == 1 { "" } else { "s" },
        s.phase_days,
        if s.phase_days == 1 { "" } else { "s" },
        if s.baseline {
            format!(", after a {}-day baseline (the run-in)", s.phase_days)
        } else {
            String::new()
        },
        p.first.name.trim()
    );
    comment(&mut out, "///", "///", &design);
    let _ = writeln!(out, "schedule {{");
    let _ = writeln!(out, "  start {}", p.start.format("%Y-%m-%d"));
    if s.baseline {
        let _ = writeln!(out, "  run_in {} days", s.phase_days);
    }
    let _ = writeln!(out, "  period {} days", s.phase_days);
    let _ = writeln!(out, "  periods {}", p.pattern.len());
    let _ = writeln!(out, "  sequence fixed \"{}\"", p.pattern);
    let _ = writeln!(out, "  blinding open");
    let _ = writeln!(out, "}}\n");

    let q = p.question;
    let (type_line, scale_words) = match p.kind {
        OutcomeKind::Continuous { low, high } => (
            format!("continuous in [{}, {}]", number(low), number(high)),
            format!("a scale from {} to {}", number(low), number(high)),
        ),
        OutcomeKind::Binary => ("binary".to_string(), "a yes/no question".to_string()),
    };
    let about = format!(
        "StudyU question `{}` of the questionnaire {}, {scale_words}, answered daily.",
        crate::render::inline(&q.id),
        literal(p.questionnaire_title),
    );
    comment(&mut out, "///", "///", &about);
    match p.higher_is_better {
        Some(_) => {
            let _ = writeln!(
                out,
                "/// The direction of benefit is the study report's `improvement`."
            );
        }
        None => {
            let _ = writeln!(
                out,
                "/// ASSUMED: higher is better (the study's report gives no direction); check it."
            );
        }
    }
    let _ = writeln!(
        out,
        "/// No MCID: StudyU has none; add one before writing decision rules."
    );
    let prompt = if q.prompt.trim().is_empty() {
        p.outcome_name.clone()
    } else {
        q.prompt.clone()
    };
    let _ = writeln!(out, "outcome {} {} {{", p.outcome_name, literal(&prompt));
    let _ = writeln!(out, "  type {type_line}");
    let _ = writeln!(out, "  measured daily");
    let _ = writeln!(
        out,
        "  better {}",
        if p.higher_is_better == Some(false) {
            "lower"
        } else {
            "higher"
        }
    );
    let _ = writeln!(out, "  primary");
    let _ = writeln!(out, "}}\n");

    let treated = p
        .arms
        .iter()
        .find(|a| !a.reference)
        .map_or("", |a| a.name.as_str());
    comment(
        &mut out,
        "///",
        "///",
        "trialc's default priors, written out; independent errors, as in StudyU's own linear regression report.",
    );
    let _ = writeln!(out, "model {} {{", p.outcome_name);
    match p.kind {
        OutcomeKind::Continuous { low, high } => {
            let range = high - low;
            let _ = writeln!(
                out,
                "  effect {treated} ~ normal(0, {})",
                number(range / 4.0)
            );
            let _ = writeln!(
                out,
                "  intercept ~ normal({}, {})",
                number((low + high) / 2.0),
                number(range / 2.0)
            );
            let _ = writeln!(
                out,
                "  errors independent(sigma ~ half_normal({}))",
                number(range / 4.0)
            );
        }
        OutcomeKind::Binary => {
            let _ = writeln!(out, "  effect {treated} ~ normal(0, 1)");
            let _ = writeln!(out, "  intercept ~ normal(0, 1.5)");
        }
    }
    let _ = writeln!(out, "}}");
    // The formatter lays the spec out as `trialc fmt` would; it refuses
    // only specs it cannot keep the meaning of, and then the text stays.
    crate::format::format(&out).unwrap_or(out)
}

/// The participant in a title: the first 8 characters of the id.
fn short(id: &str) -> String {
    crate::render::inline(id).chars().take(8).collect()
}

/// `day,arm,OUTCOME`, one row per day; an empty cell is a missing answer.
pub(super) fn diary(outcome: &str, rows: &[(usize, &str, Option<f64>)]) -> String {
    let mut out = format!("day,arm,{outcome}\n");
    for (day, arm, value) in rows {
        let value = value.map(number).unwrap_or_default();
        let _ = writeln!(out, "{day},{arm},{value}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_exact_where_they_can_be() {
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(5.0), "5");
        assert_eq!(number(-1.25), "-1.25");
        assert_eq!(number(6.8 / 4.0), "1.7");
        assert_eq!(number(10.0 / 3.0), "3.333333");
        assert_eq!(number(1e-9), "0.000000001");
        assert_eq!(number(0.1 + 0.2), "0.3");
    }

    #[test]
    fn comments_wrap_at_words() {
        let mut out = String::new();
        let long = "word ".repeat(40);
        comment(&mut out, "//  -", "//   ", &format!("{long}\nshort"));
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH), "{out}");
        assert!(lines[0].starts_with("//  - word") && lines[1].starts_with("//    word"));
        assert_eq!(lines.last(), Some(&"//  - short"));
        assert_eq!(out.matches("word").count(), 40);
    }

    #[test]
    fn literals_stay_one_line_and_escaped() {
        assert_eq!(literal(" a \"b\"\n\\c "), "\"a \\\"b\\\" \\\\c\"");
    }
}
