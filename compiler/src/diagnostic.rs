//! The one diagnostic type every phase produces; rendering lives in `render`.
//!
//! Phases never print. They return `Diagnostic`s with byte spans into the
//! source they were given; the CLI decides how to show them (ariadne for
//! people, JSON for editors and scripts).
//!
//! **Files.** A stage that reads one text (the parser, the diary reader)
//! makes labels without a file; the session that gave it the text places
//! them with [`Diagnostic::in_file`]. A stage that relates two files (a
//! hypothesis in a JSON file used by a spec line) names each label's file
//! itself ([`Diagnostic::with_primary_in`], [`Diagnostic::with_secondary_in`]).
//! Every diagnostic a session hands out has a file on every label.

use crate::codes::Code;
use crate::source::FileId;
use serde::Serialize;
use std::ops::Range;

/// A half-open byte range into one source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end);
        Span { start, end }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A span with a short text saying what the span *is* in this diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    /// The file `span` is in; `None` until the session places the
    /// diagnostic ([`Diagnostic::in_file`]).
    pub file: Option<FileId>,
    pub span: Span,
    pub message: String,
    /// The primary label is where the problem is; secondary labels give context.
    pub primary: bool,
}

/// A problem found in a spec, its data or its fit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `E0201`; see `codes` and `docs/codes/`. Set only
    /// through the constructors, which take a typed [`Code`].
    pub code: &'static str,
    pub severity: Severity,
    /// The headline: what is wrong, in one sentence without a full stop.
    pub message: String,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.as_str(),
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }
    /// Where the problem is.
    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            file: None,
            span,
            message: message.into(),
            primary: true,
        });
        self
    }
    /// Context for the problem, e.g. the earlier definition of a duplicate.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            file: None,
            span,
            message: message.into(),
            primary: false,
        });
        self
    }
    /// Where the problem is, in a file other stages may not know about.
    pub fn with_primary_in(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            file: Some(file),
            span,
            message: message.into(),
            primary: true,
        });
        self
    }
    /// Context in a given file (e.g. the JSON value a spec line uses).
    pub fn with_secondary_in(
        mut self,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        self.labels.push(Label {
            file: Some(file),
            span,
            message: message.into(),
            primary: false,
        });
        self
    }
    /// Places every label that has no file yet in `file`.
    pub fn in_file(mut self, file: FileId) -> Self {
        for label in &mut self.labels {
            label.file.get_or_insert(file);
        }
        self
    }
    /// The file of the primary label (else of the first label).
    pub fn primary_file(&self) -> Option<FileId> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .and_then(|l| l.file)
    }
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
    /// The primary span, if any (used to sort diagnostics by position).
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).map(|l| l.span)
    }
}

/// Sort diagnostics by file, then position, then code, so output is stable.
/// The sort is stable: diagnostics without a position keep their order.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| (d.primary_file(), d.primary_span().map(|s| (s.start, s.end)));
        key(a).cmp(&key(b)).then(a.code.cmp(b.code))
    });
}
