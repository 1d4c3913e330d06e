//! `trialc init --from hypotheses.json [--top K] [--outcome NAME]`: a spec
//! scaffolded from an LFM hypotheses file.
//!
//! The spec tests the top K hypotheses (by rank; only those about one
//! outcome with `--outcome`) against a reference arm (`placebo`, or
//! `control` when an intervention is called `placebo`): one arm per
//! intervention, one outcome per hypothesised outcome (its type read from
//! the effect's `scale`), each hypothesis the tempered prior
//! `discount 0.5 robust 0.2` of its arm's effect on its outcome, and a
//! default decision rule per arm on the primary outcome (the top
//! hypothesis'). It passes `trialc check` as written; `// TODO:` comments
//! mark what the trialist must still decide (washout, period length, MCID,
//! outcome scales and descriptions, thresholds).
//!
//! Pure: the CLI reads the file and writes the result.

use std::fmt::Write as _;

use crate::hypotheses::{HypothesesFile, Hypothesis};

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
        .filter(|h| options.outcome.is_none_or(|o| h.outcome == o))
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
        for (what, name) in [("intervention", &h.intervention), ("outcome", &h.outcome)] {
            if !is_identifier(name) {
                return Err(format!(
                    "hypothesis `{}` names its {what} `{name}`, which is not a spec name (letters, digits and `_`); the format asks for the spec's arm and outcome names",
                    h.id
                ));
            }
        }
        if !is_identifier(&h.id) {
            return Err(format!(
                "hypothesis id `{}` cannot be written as `lfm.{}` in a spec",
                h.id, h.id
            ));
        }
    }
    let mut arms: Vec<&str> = Vec::new();
    let mut outcomes: Vec<&Hypothesis> = Vec::new();
    for h in &selected {
        if !arms.contains(&h.intervention.as_str()) {
            arms.push(&h.intervention);
        }
        if !outcomes.iter().any(|o| o.outcome == h.outcome) {
            outcomes.push(h);
        }
    }
    let reference = if arms.contains(&"placebo") {
        "control"
    } else {
        "placebo"
    };
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
    let names: Vec<String> = arms.iter().map(|a| a.to_string()).collect();
    let _ = writeln!(
        out,
        "  title    {}",
        literal(&format!(
            "{} vs {reference} for {participant}",
            names.join(", ")
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
    let _ = writeln!(out, "hypotheses lfm from {}", literal(options.path));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "data \"diary.csv\"   // TODO: where the participant's diary will be"
    );
    let _ = writeln!(out);
    for arm in &arms {
        let rationale = selected
            .iter()
            .find(|h| h.intervention == *arm)
            .and_then(|h| h.rationale.as_deref());
        if let Some(r) = rationale {
            doc(&mut out, r);
        }
        let _ = writeln!(
            out,
            "arm {arm} {}",
            literal(&format!("TODO: {arm}: product, dose, timing"))
        );
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
    let _ = writeln!(out, "  seed      {seed}");
    let _ = writeln!(out, "}}");
    let _ = writeln!(out);
    let primary = &selected[0].outcome;
    for h in &outcomes {
        let (kind, kind_todo) = outcome_type(h);
        let better = if h.effect.mean < 0.0 {
            "lower"
        } else {
            "higher"
        };
        let _ = writeln!(
            out,
            "outcome {} {} {{",
            h.outcome,
            literal(&format!("TODO: what {} measures, and how", h.outcome))
        );
        let _ = writeln!(out, "  type      {kind}{kind_todo}");
        let _ = writeln!(
            out,
            "  measured  daily     // TODO: daily, weekly, per period"
        );
        let _ = writeln!(
            out,
            "  better    {better}    // TODO: check: read from the sign of the hypothesised effect"
        );
        if &h.outcome == primary && kind == "continuous" {
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
            if &h.outcome == primary {
                "primary"
            } else {
                "secondary"
            }
        );
        let _ = writeln!(out, "}}");
        let _ = writeln!(out);
    }
    for o in &outcomes {
        let _ = writeln!(out, "model {} {{", o.outcome);
        for arm in &arms {
            match selected
                .iter()
                .find(|h| h.intervention == *arm && h.outcome == o.outcome)
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
                        "  effect {arm} ~ normal(0, 2.5)   // no hypothesis about {arm} on {}: weakly informative",
                        o.outcome
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
    for arm in &arms {
        if !selected
            .iter()
            .any(|h| h.intervention == *arm && &h.outcome == primary)
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
