//! LFM hypotheses files (`hypotheses NAME from "file.json"`): the interchange
//! format `trialc-hypotheses/1`, read and checked. trialc never calls a model;
//! it reads what one produced.
//!
//! Pure: the CLI reads the file and passes its text. Diagnostics carry byte
//! spans into the JSON text, so they render against the JSON file.

use crate::diagnostic::{Diagnostic, Span};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The only format version this trialc reads.
pub const FORMAT: &str = "trialc-hypotheses/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HypothesesFile {
    pub format: String,
    pub generator: Generator,
    #[serde(default)]
    pub participant: Option<String>,
    pub hypotheses: Vec<Hypothesis>,
}

/// Provenance: mandatory, because it goes into the protocol and the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generator {
    pub model: String,
    pub version: String,
    pub prompt_sha256: String,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hypothesis {
    pub id: String,
    pub rank: u32,
    pub intervention: String,
    pub outcome: String,
    pub effect: EffectSize,
    #[serde(default)]
    pub rationale: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectSize {
    pub mean: f64,
    pub sd: f64,
    #[serde(default)]
    pub scale: Option<String>,
}

/// Byte offset of a 1-based line and column (serde_json's error position).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// The span of the first occurrence of `"key": <value>` for this value text,
/// or of the key alone; used to point semantic errors at the JSON.
fn find_span(text: &str, needle: &str, after: usize) -> Span {
    match text.get(after..).and_then(|rest| rest.find(needle)) {
        Some(i) => Span::new(after + i, after + i + needle.len()),
        None => Span::new(0, 0),
    }
}

/// Parse and check a hypotheses file.
pub fn read(text: &str) -> (Option<HypothesesFile>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let file: HypothesesFile = match serde_json::from_str(text) {
        Ok(file) => file,
        Err(e) => {
            let at = offset_of(text, e.line(), e.column());
            let (code, headline, help) = if e.is_syntax() || e.is_eof() {
                (
                    "E0801",
                    "the hypotheses file is not valid JSON",
                    "check brackets, commas and quotes at the marked place",
                )
            } else {
                ("E0802", "the hypotheses file does not follow the trialc-hypotheses/1 format", "see docs/hypotheses.md for the fields each hypothesis needs (provenance is mandatory)")
            };
            diagnostics.push(
                Diagnostic::error(code, headline)
                    .with_primary(Span::new(at, (at + 1).min(text.len())), e.to_string())
                    .with_help(help),
            );
            return (None, diagnostics);
        }
    };
    if file.format != FORMAT {
        diagnostics.push(
            Diagnostic::error(
                "E0803",
                format!("unsupported hypotheses format `{}`", file.format),
            )
            .with_primary(
                find_span(text, &format!("\"{}\"", file.format), 0),
                "format version",
            )
            .with_help(format!(
                "this trialc reads `{FORMAT}`; export the hypotheses in that format"
            )),
        );
    }
    for (field, value) in [
        ("model", &file.generator.model),
        ("version", &file.generator.version),
        ("prompt_sha256", &file.generator.prompt_sha256),
        ("created", &file.generator.created),
    ] {
        if value.trim().is_empty() {
            diagnostics.push(
                Diagnostic::error("E0804", format!("the provenance field `generator.{field}` is empty"))
                    .with_primary(find_span(text, &format!("\"{field}\""), 0), "empty provenance")
                    .with_note("the protocol must say which model produced a prior, when, and from which prompt")
                    .with_help("fill in the generator's model, version, prompt hash and creation date"),
            );
        }
    }
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut ranks: HashMap<u32, &str> = HashMap::new();
    let mut cursor = 0;
    for hypothesis in &file.hypotheses {
        let id_span = find_span(text, &format!("\"{}\"", hypothesis.id), cursor);
        cursor = id_span.end.max(cursor);
        if ids.insert(&hypothesis.id, 0).is_some() {
            diagnostics.push(
                Diagnostic::error(
                    "E0805",
                    format!("hypothesis id `{}` appears twice", hypothesis.id),
                )
                .with_primary(id_span, "duplicate id")
                .with_help("give every hypothesis its own id"),
            );
        }
        if let Some(other) = ranks.insert(hypothesis.rank, &hypothesis.id) {
            diagnostics.push(
                Diagnostic::error(
                    "E0805",
                    format!(
                        "hypotheses `{other}` and `{}` have the same rank {}",
                        hypothesis.id, hypothesis.rank
                    ),
                )
                .with_primary(id_span, "same rank as another hypothesis")
                .with_help("ranks order the hypotheses: make them distinct"),
            );
        }
        if !(hypothesis.effect.sd > 0.0
            && hypothesis.effect.sd.is_finite()
            && hypothesis.effect.mean.is_finite())
        {
            diagnostics.push(
                Diagnostic::error(
                    "E0806",
                    format!(
                        "hypothesis `{}` has an effect sd of {}; it must be positive",
                        hypothesis.id, hypothesis.effect.sd
                    ),
                )
                .with_primary(find_span(text, "\"sd\"", cursor), "effect sd")
                .with_help("a hypothesis states its uncertainty as a positive sd"),
            );
        }
    }
    let has_error = diagnostics.iter().any(Diagnostic::is_error);
    (if has_error { None } else { Some(file) }, diagnostics)
}

impl HypothesesFile {
    pub fn get(&self, id: &str) -> Option<&Hypothesis> {
        self.hypotheses.iter().find(|h| h.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"format": "trialc-hypotheses/1",
 "generator": {"model": "m", "version": "1", "prompt_sha256": "ab", "created": "2026-11-20"},
 "hypotheses": [{"id": "H1", "rank": 1, "intervention": "a", "outcome": "pain", "effect": {"mean": -1.2, "sd": 0.6}}]}"#;

    #[test]
    fn reads_a_valid_file() {
        let (file, diagnostics) = read(GOOD);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let file = file.expect("valid file");
        assert_eq!(file.get("H1").map(|h| h.effect.mean), Some(-1.2));
    }

    #[test]
    fn syntax_errors_point_into_the_json() {
        let text = "{\"format\": \"trialc-hypotheses/1\",\n  \"generator\": }";
        let (_, diagnostics) = read(text);
        assert_eq!(diagnostics[0].code, "E0801");
        let span = diagnostics[0].primary_span().expect("span");
        assert_eq!(&text[span.start..span.start + 1], "}");
    }

    #[test]
    fn missing_provenance_is_a_format_error() {
        let text = GOOD.replace("\"prompt_sha256\": \"ab\", ", "");
        let (_, diagnostics) = read(&text);
        assert_eq!(diagnostics[0].code, "E0802");
        assert!(diagnostics[0].labels[0].message.contains("prompt_sha256"));
    }

    #[test]
    fn semantic_errors_are_all_collected() {
        let text = GOOD
            .replace("trialc-hypotheses/1", "trialc-hypotheses/9")
            .replace("\"sd\": 0.6", "\"sd\": 0")
            .replace("\"created\": \"2026-11-20\"", "\"created\": \"\"");
        let (file, diagnostics) = read(&text);
        assert!(file.is_none());
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec!["E0803", "E0804", "E0806"]);
    }
}
