//! Between the compiler's terms and the protocol's: spans and ranges, edits
//! of a buffer, diagnostics.

use std::collections::BTreeMap;

use lsp_types as lsp;

use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::source::{FileId, SourceMap};

use super::analysis::Analysis;
use super::text::{self, Encoding, LineIndex, Pos};

pub fn position(index: &LineIndex, text: &str, offset: usize, encoding: Encoding) -> lsp::Position {
    let p = index.position(text, offset, encoding);
    lsp::Position::new(p.line, p.character)
}

pub fn range(index: &LineIndex, text: &str, span: Span, encoding: Encoding) -> lsp::Range {
    lsp::Range::new(
        position(index, text, span.start, encoding),
        position(index, text, span.end.max(span.start), encoding),
    )
}

/// Applies one `didChange` content change to a buffer.
pub fn apply_change(
    buffer: &mut String,
    change: &lsp::TextDocumentContentChangeEvent,
    encoding: Encoding,
) {
    match change.range {
        None => *buffer = change.text.clone(),
        Some(r) => {
            let index = LineIndex::new(buffer);
            let at = |p: lsp::Position| {
                index.offset(
                    buffer,
                    Pos {
                        line: p.line,
                        character: p.character,
                    },
                    encoding,
                )
            };
            let (start, end) = (at(r.start), at(r.end));
            let (start, end) = (start.min(end), start.max(end));
            buffer.replace_range(start..end, &change.text);
        }
    }
}

/// A file of the session as a URI (its name is a path) and its line index.
pub struct FileView<'a> {
    pub uri: String,
    pub text: &'a str,
    pub index: LineIndex,
}

pub fn file_view<'a>(map: &'a SourceMap, file: FileId, spec_uri: &str) -> FileView<'a> {
    let text = map.text(file);
    let uri = if file == FileId(0) {
        spec_uri.to_string()
    } else {
        text::path_to_uri(map.name(file))
    };
    FileView {
        uri,
        text,
        index: LineIndex::new(text),
    }
}

/// The analysis' diagnostics as the protocol's, grouped by the URI of the
/// file each belongs to (its primary label's).
pub fn diagnostics(
    a: &Analysis,
    spec_uri: &str,
    encoding: Encoding,
    code_docs: &str,
) -> BTreeMap<String, Vec<lsp::Diagnostic>> {
    let mut views: BTreeMap<FileId, FileView<'_>> = BTreeMap::new();
    let mut out: BTreeMap<String, Vec<lsp::Diagnostic>> = BTreeMap::new();
    out.insert(spec_uri.to_string(), Vec::new());
    for d in &a.diagnostics {
        for label in &d.labels {
            let file = label.file.unwrap_or_default();
            views
                .entry(file)
                .or_insert_with(|| file_view(&a.files, file, spec_uri));
        }
        let home = d.primary_file().unwrap_or_default();
        let view = views
            .entry(home)
            .or_insert_with(|| file_view(&a.files, home, spec_uri));
        let target = view.uri.clone();
        let converted = diagnostic(d, &views, home, encoding, code_docs);
        out.entry(target).or_default().push(converted);
    }
    out
}

fn diagnostic(
    d: &Diagnostic,
    views: &BTreeMap<FileId, FileView<'_>>,
    home: FileId,
    encoding: Encoding,
    code_docs: &str,
) -> lsp::Diagnostic {
    let primary_index = d
        .labels
        .iter()
        .position(|l| l.primary)
        .or((!d.labels.is_empty()).then_some(0));
    let primary = primary_index.map(|i| &d.labels[i]);
    let place = |file: FileId, span: Span| {
        views
            .get(&file)
            .map(|v| range(&v.index, v.text, span, encoding))
            .unwrap_or_default()
    };
    let main_range = primary.map_or_else(lsp::Range::default, |l| {
        place(l.file.unwrap_or(home), l.span)
    });
    let mut message = d.message.clone();
    if let Some(label) = primary.filter(|l| !l.message.is_empty()) {
        message.push_str(&format!(" ({})", label.message));
    }
    for note in &d.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != primary_index)
        .filter_map(|(_, l)| {
            let file = l.file.unwrap_or(home);
            let uri = views.get(&file)?.uri.parse::<lsp::Uri>().ok()?;
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location::new(uri, place(file, l.span)),
                message: if l.message.is_empty() {
                    "here".to_string()
                } else {
                    l.message.clone()
                },
            })
        })
        .collect();
    lsp::Diagnostic {
        range: main_range,
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.to_string())),
        code_description: format!("{code_docs}{}.md", d.code)
            .parse::<lsp::Uri>()
            .ok()
            .map(|href| lsp::CodeDescription { href }),
        source: Some("trialc".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_changes_edit_the_buffer() {
        let mut buffer = "arm a\narm b\n".to_string();
        let change = lsp::TextDocumentContentChangeEvent {
            range: Some(lsp::Range::new(
                lsp::Position::new(1, 4),
                lsp::Position::new(1, 5),
            )),
            range_length: None,
            text: "béta".to_string(),
        };
        apply_change(&mut buffer, &change, Encoding::Utf16);
        assert_eq!(buffer, "arm a\narm béta\n");
        let change = lsp::TextDocumentContentChangeEvent {
            range: Some(lsp::Range::new(
                lsp::Position::new(1, 5),
                lsp::Position::new(1, 7),
            )),
            range_length: None,
            text: String::new(),
        };
        apply_change(&mut buffer, &change, Encoding::Utf16);
        assert_eq!(buffer, "arm a\narm ba\n");
    }
}
