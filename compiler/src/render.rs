//! Rendering diagnostics: ariadne for people, JSON for editors and scripts.
//!
//! The only module that knows ariadne. Spans are byte offsets (what logos
//! gives); ariadne is told so, so that `µg`, `≥` or accented names do not
//! shift a label. JSON reports both byte offsets and 1-based line and
//! character columns.

use crate::diagnostic::{Diagnostic, Severity, Span};
use ariadne::{Color, Config, IndexType, Label, Report, ReportKind, Source};
use serde::Serialize;

/// Render for a terminal or a log. `color` only when the output is a terminal
/// and `NO_COLOR` is unset; the caller decides.
pub fn human(diagnostic: &Diagnostic, file_name: &str, source: &str, color: bool) -> String {
    let clamp = |span: Span| {
        let end = span.end.min(source.len());
        let start = span.start.min(end);
        start..end
    };
    let kind = match diagnostic.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let anchor = diagnostic.primary_span().map(clamp).unwrap_or(0..0);
    let mut report = Report::build(kind, (file_name, anchor))
        .with_config(
            Config::default()
                .with_index_type(IndexType::Byte)
                .with_color(color),
        )
        .with_code(diagnostic.code)
        .with_message(&diagnostic.message);
    // ariadne starts a new snippet (with a repeated header) whenever a label
    // lies above the previous one, so labels go in source order.
    let mut labels: Vec<_> = diagnostic.labels.iter().collect();
    labels.sort_by_key(|l| (l.span.start, l.span.end));
    for label in labels {
        let color = if label.primary {
            match diagnostic.severity {
                Severity::Error => Color::Red,
                Severity::Warning => Color::Yellow,
            }
        } else {
            Color::Cyan
        };
        report = report.with_label(
            Label::new((file_name, clamp(label.span)))
                .with_message(&label.message)
                .with_color(color),
        );
    }
    for note in &diagnostic.notes {
        report = report.with_note(note);
    }
    if let Some(help) = &diagnostic.help {
        report = report.with_help(help);
    }
    let mut out = Vec::new();
    // Writing into a Vec cannot fail for IO reasons; if ariadne itself fails,
    // fall back to a plain line so a diagnostic is never lost.
    match report
        .finish()
        .write((file_name, Source::from(source)), &mut out)
    {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(_) => plain(diagnostic, file_name, source),
    }
}

/// `file:line:column: error[E0101]: message`, one line; also the fallback.
pub fn plain(diagnostic: &Diagnostic, file_name: &str, source: &str) -> String {
    let position = diagnostic
        .primary_span()
        .map(|s| line_column(source, s.start))
        .unwrap_or((1, 1));
    format!(
        "{}:{}:{}: {}[{}]: {}\n",
        file_name,
        position.0,
        position.1,
        severity_name(diagnostic.severity),
        diagnostic.code,
        diagnostic.message
    )
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// 1-based line and 1-based column counted in characters, for a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = source[line_start..offset].chars().count() + 1;
    (line, column)
}

#[derive(Serialize)]
struct JsonPosition {
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    start: usize,
    end: usize,
    from: JsonPosition,
    to: JsonPosition,
    message: &'a str,
    primary: bool,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    code: &'a str,
    severity: &'a str,
    message: &'a str,
    labels: Vec<JsonLabel<'a>>,
    notes: &'a [String],
    help: Option<&'a str>,
}

/// The JSON form of one diagnostic (an object; the CLI wraps them in a document).
pub fn json_value(diagnostic: &Diagnostic, file_name: &str, source: &str) -> serde_json::Value {
    let position = |offset: usize| {
        let (line, column) = line_column(source, offset);
        JsonPosition { line, column }
    };
    let value = JsonDiagnostic {
        file: file_name,
        code: diagnostic.code,
        severity: severity_name(diagnostic.severity),
        message: &diagnostic.message,
        labels: diagnostic
            .labels
            .iter()
            .map(|l| JsonLabel {
                start: l.span.start.min(source.len()),
                end: l.span.end.min(source.len()),
                from: position(l.span.start),
                to: position(l.span.end),
                message: &l.message,
                primary: l.primary,
            })
            .collect(),
        notes: &diagnostic.notes,
        help: diagnostic.help.as_deref(),
    };
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let source = "arm a \"µg ≥ 5\"\nx";
        let offset = source.find('5').unwrap_or(0);
        assert_eq!(line_column(source, offset), (1, 13));
        assert_eq!(line_column(source, source.len()), (2, 2));
        // An offset inside a multi-byte character does not panic.
        assert_eq!(line_column(source, 8), (1, 8));
    }

    #[test]
    fn labels_past_the_end_are_clamped() {
        let d = Diagnostic::error(crate::codes::E0101, "x").with_primary(Span::new(3, 99), "here");
        let text = human(&d, "f.trial", "abc", false);
        assert!(text.contains("E0101"), "{text}");
    }

    #[test]
    fn byte_spans_point_at_the_right_text_after_non_ascii() {
        let source = "arm café \"µg\" referenc\n";
        let start = source.find("referenc").unwrap_or(0);
        let d = Diagnostic::error(crate::codes::E0101, "typo")
            .with_primary(Span::new(start, start + 8), "this word");
        let text = human(&d, "f.trial", source, false);
        // The label's underline starts under `referenc`: same column as the word.
        let line = text
            .lines()
            .find(|l| l.contains("arm café"))
            .unwrap_or_default();
        let under = text
            .lines()
            .skip_while(|l| !l.contains("arm café"))
            .nth(1)
            .unwrap_or_default();
        let word_col = line
            .find("referenc")
            .map(|b| line[..b].chars().count())
            .unwrap_or(0);
        let mark_col = under
            .chars()
            .position(|c| c == '─' || c == '^' || c == '┬')
            .unwrap_or(usize::MAX);
        assert_eq!(word_col, mark_col, "\n{text}");
    }
}
