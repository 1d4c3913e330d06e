//! Rendering diagnostics: ariadne for people, JSON for editors and scripts.
//!
//! The only module that knows ariadne. Spans are byte offsets (what logos
//! gives); ariadne is told so, so that `µg`, `≥` or accented names do not
//! shift a label. JSON reports both byte offsets and 1-based line and
//! character columns, and names the file of every label.
//!
//! A [`Renderer`] renders many diagnostics over one [`SourceMap`] in time
//! linear in the input: each file's line index is built once, not once per
//! diagnostic. Texts from outside (specs, diaries, LFM output) may hold
//! terminal control characters; they are shown as visible escapes, never
//! written raw ([`inline`], and the source lines ariadne quotes).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::source::{FileId, FileKind, SourceMap};
use ariadne::{Cache, Color, Config, IndexType, Label, Report, ReportKind, Source};
use serde::Serialize;

/// Renders diagnostics of one session's files.
pub struct Renderer<'a> {
    map: &'a SourceMap,
    color: bool,
    /// Per file: the text with control characters made visible (same byte
    /// length) as ariadne's source, and its line starts for JSON.
    files: BTreeMap<FileId, Prepared>,
}

struct Prepared {
    name: String,
    source: Source<String>,
    lines: LineIndex,
}

impl<'a> Renderer<'a> {
    /// `color` only when the output is a terminal that wants it; the caller decides.
    pub fn new(map: &'a SourceMap, color: bool) -> Self {
        Renderer {
            map,
            color,
            files: BTreeMap::new(),
        }
    }

    fn prepare(&mut self, file: FileId) {
        let map = self.map;
        self.files.entry(file).or_insert_with(|| {
            let text = map.text(file);
            Prepared {
                name: inline(map.name(file)).into_owned(),
                source: Source::from(visible_source(text).into_owned()),
                lines: LineIndex::new(text),
            }
        });
    }

    /// The human form of one diagnostic (ariadne), ending in a newline.
    ///
    /// Output stays proportional to the diagnostic, whatever the input: at
    /// most [`MAX_LABELS`] labels are drawn (the rest are counted in a
    /// note), and a label on a line longer than [`MAX_LINE`] bytes (a
    /// one-line JSON file, a CSV header with thousands of columns) is shown
    /// as `file:line:column` instead of quoting the line.
    pub fn human(&mut self, diagnostic: &Diagnostic) -> String {
        let home = diagnostic.primary_file().unwrap_or_default();
        let files: Vec<FileId> = std::iter::once(home)
            .chain(diagnostic.labels.iter().map(|l| l.file.unwrap_or(home)))
            .collect();
        for f in &files {
            self.prepare(*f);
        }
        let kept = kept_labels(diagnostic);
        let long_line = kept.iter().any(|l| {
            let file = l.file.unwrap_or(home);
            self.files
                .get(&file)
                .is_some_and(|p| p.lines.line_len(self.map.text(file), l.span.start) > MAX_LINE)
        });
        if long_line || kept.len() < diagnostic.labels.len() {
            let mut trimmed = diagnostic.clone();
            trimmed.labels = kept.iter().map(|l| (*l).clone()).collect();
            let left = diagnostic.labels.len() - kept.len();
            if left > 0 {
                trimmed.notes.push(format!(
                    "{left} more place{} not shown (`trialc check --format json` lists every label)",
                    if left == 1 { " is" } else { "s are" }
                ));
            }
            if long_line {
                return self.compact(&trimmed);
            }
            return self.draw(&trimmed);
        }
        self.draw(diagnostic)
    }

    /// A diagnostic whose lines are too long to quote: a header line, then
    /// one `at file:line:column: label` line per label, notes and help.
    fn compact(&mut self, diagnostic: &Diagnostic) -> String {
        let home = diagnostic.primary_file().unwrap_or_default();
        let mut out = self.plain(diagnostic);
        for l in &diagnostic.labels {
            let file = l.file.unwrap_or(home);
            self.prepare(file);
            let (line, column) = self.files.get(&file).map_or((1, 1), |p| {
                p.lines.line_column(self.map.text(file), l.span.start)
            });
            out.push_str(&format!(
                "  at {}:{line}:{column}: {}\n",
                inline(self.map.name(file)),
                inline(&l.message)
            ));
        }
        for note in &diagnostic.notes {
            out.push_str(&format!("  note: {}\n", inline(note)));
        }
        if let Some(help) = &diagnostic.help {
            out.push_str(&format!("  help: {}\n", inline(help)));
        }
        out
    }

    /// The ariadne drawing.
    fn draw(&mut self, diagnostic: &Diagnostic) -> String {
        let home = diagnostic.primary_file().unwrap_or_default();
        let map = self.map;
        let clamp = |file: FileId, span: Span| clamp(map.text(file), span);
        let kind = match diagnostic.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let anchor = diagnostic
            .primary_span()
            .map(|s| clamp(home, s))
            .unwrap_or(0..0);
        let message = inline(&diagnostic.message);
        let mut report = Report::build(kind, (home, anchor))
            .with_config(
                Config::default()
                    .with_index_type(IndexType::Byte)
                    .with_color(self.color),
            )
            .with_code(diagnostic.code)
            .with_message(&message);
        // ariadne starts a new snippet (with a repeated header) whenever a label
        // lies above the previous one, so labels go in file, then source, order.
        let mut labels: Vec<_> = diagnostic.labels.iter().collect();
        labels.sort_by_key(|l| {
            (
                l.file.unwrap_or(home) != home,
                l.file,
                l.span.start,
                l.span.end,
            )
        });
        for label in labels {
            let color = if label.primary {
                match diagnostic.severity {
                    Severity::Error => Color::Red,
                    Severity::Warning => Color::Yellow,
                }
            } else {
                Color::Cyan
            };
            let file = label.file.unwrap_or(home);
            report = report.with_label(
                Label::new((file, clamp(file, label.span)))
                    .with_message(inline(&label.message))
                    .with_color(color),
            );
        }
        for note in &diagnostic.notes {
            report = report.with_note(inline(note));
        }
        if let Some(help) = &diagnostic.help {
            report = report.with_help(inline(help));
        }
        let mut out = Vec::new();
        // Writing into a Vec cannot fail for IO reasons; if ariadne itself fails,
        // fall back to a plain line so a diagnostic is never lost.
        match report.finish().write(Files(&self.files), &mut out) {
            Ok(()) => String::from_utf8_lossy(&out).into_owned(),
            Err(_) => self.plain(diagnostic),
        }
    }

    /// `file:line:column: error[E0101]: message`, one line; also the fallback.
    pub fn plain(&mut self, diagnostic: &Diagnostic) -> String {
        let file = diagnostic.primary_file().unwrap_or_default();
        self.prepare(file);
        let (line, column) = diagnostic.primary_span().map_or((1, 1), |s| {
            self.files.get(&file).map_or((1, 1), |p| {
                p.lines.line_column(self.map.text(file), s.start)
            })
        });
        format!(
            "{}:{line}:{column}: {}[{}]: {}\n",
            inline(self.map.name(file)),
            severity_name(diagnostic.severity),
            diagnostic.code,
            inline(&diagnostic.message)
        )
    }

    /// The JSON form of one diagnostic (an object; callers wrap them in a document).
    pub fn json(&mut self, diagnostic: &Diagnostic) -> serde_json::Value {
        let home = diagnostic.primary_file().unwrap_or_default();
        for l in &diagnostic.labels {
            self.prepare(l.file.unwrap_or(home));
        }
        self.prepare(home);
        let map = self.map;
        let files = &self.files;
        let position = |file: FileId, offset: usize| {
            let (line, column) = files
                .get(&file)
                .map_or((1, 1), |p| p.lines.line_column(map.text(file), offset));
            JsonPosition { line, column }
        };
        let value = JsonDiagnostic {
            file: map.name(home),
            code: diagnostic.code,
            severity: severity_name(diagnostic.severity),
            message: &diagnostic.message,
            labels: diagnostic
                .labels
                .iter()
                .map(|l| {
                    let file = l.file.unwrap_or(home);
                    let range = clamp(map.text(file), l.span);
                    JsonLabel {
                        file: map.name(file),
                        start: range.start,
                        end: range.end,
                        from: position(file, range.start),
                        to: position(file, range.end),
                        message: &l.message,
                        primary: l.primary,
                    }
                })
                .collect(),
            notes: &diagnostic.notes,
            help: diagnostic.help.as_deref(),
        };
        serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
    }
}

/// At most this many labels of one diagnostic are drawn.
pub const MAX_LABELS: usize = 12;
/// A label on a line longer than this (in bytes) is not quoted.
pub const MAX_LINE: usize = 1000;

/// The labels to draw: the primary ones, then the others in order, up to
/// [`MAX_LABELS`].
fn kept_labels(diagnostic: &Diagnostic) -> Vec<&crate::diagnostic::Label> {
    let primary = diagnostic.labels.iter().filter(|l| l.primary);
    let secondary = diagnostic.labels.iter().filter(|l| !l.primary);
    primary.chain(secondary).take(MAX_LABELS).collect()
}

/// ariadne's view of the prepared files.
struct Files<'a>(&'a BTreeMap<FileId, Prepared>);

impl Cache<FileId> for Files<'_> {
    type Storage = String;

    fn fetch(&mut self, id: &FileId) -> Result<&Source<String>, impl fmt::Debug> {
        self.0
            .get(id)
            .map(|p| &p.source)
            .ok_or_else(|| format!("no file {}", id.0))
    }

    fn display<'b>(&self, id: &'b FileId) -> Option<impl fmt::Display + 'b> {
        Some(
            self.0
                .get(id)
                .map_or_else(|| "?".to_string(), |p| p.name.clone()),
        )
    }
}

/// A span clamped into the text and onto character boundaries (a span from
/// a byte-oriented source, like a JSON parser's column, may cut a `é` or a
/// BOM; a label past the end would make ariadne panic).
fn clamp(text: &str, span: Span) -> Range<usize> {
    let mut end = span.end.min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let mut start = span.start.min(end);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    start..end
}

/// Render one diagnostic against one file (for callers with a single text).
pub fn human(diagnostic: &Diagnostic, file_name: &str, source: &str, color: bool) -> String {
    let (map, file) = single(file_name, source);
    Renderer::new(&map, color).human(&diagnostic.clone().in_file(file))
}

/// `file:line:column: error[E0101]: message` against one file.
pub fn plain(diagnostic: &Diagnostic, file_name: &str, source: &str) -> String {
    let (map, file) = single(file_name, source);
    Renderer::new(&map, false).plain(&diagnostic.clone().in_file(file))
}

/// The JSON form of one diagnostic against one file.
pub fn json_value(diagnostic: &Diagnostic, file_name: &str, source: &str) -> serde_json::Value {
    let (map, file) = single(file_name, source);
    Renderer::new(&map, false).json(&diagnostic.clone().in_file(file))
}

fn single(file_name: &str, source: &str) -> (SourceMap, FileId) {
    let mut map = SourceMap::default();
    let file = map.add(file_name, FileKind::Spec, source.to_string());
    (map, file)
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Line starts of a text, for line and column in O(log n + line length).
struct LineIndex {
    starts: Vec<usize>,
    /// `(byte offset, characters before it)` at the first character
    /// boundary of every [`CHECKPOINT`] bytes, so that a column on a very
    /// long line (a diary written with CR line ends is one line to this
    /// index) costs at most one checkpoint's worth of counting.
    checkpoints: Vec<(usize, usize)>,
}

/// Bytes between two character-count checkpoints.
const CHECKPOINT: usize = 1024;

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut checkpoints = vec![(0, 0)];
        let mut next = CHECKPOINT;
        for (chars, (i, _)) in text.char_indices().enumerate() {
            if i >= next {
                checkpoints.push((i, chars));
                next = i + CHECKPOINT;
            }
        }
        LineIndex {
            starts,
            checkpoints,
        }
    }

    /// Characters before byte `offset` (a character boundary).
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let k = self
            .checkpoints
            .partition_point(|&(b, _)| b <= offset)
            .max(1);
        let (byte, chars) = self.checkpoints[k - 1];
        chars + text.get(byte..offset).map_or(0, |s| s.chars().count())
    }

    /// The length in bytes of the line holding `offset`.
    fn line_len(&self, text: &str, offset: usize) -> usize {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let end = self.starts.get(line).copied().unwrap_or(text.len());
        end - start
    }

    /// 1-based line and 1-based column counted in characters.
    fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let column = self.chars_before(text, offset) - self.chars_before(text, start) + 1;
        (line.max(1), column)
    }
}

/// 1-based line and 1-based column counted in characters, for a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(source).line_column(source, offset)
}

/// Whether a character would act on a terminal instead of being shown:
/// C0 and C1 controls (but tab and line breaks), DEL, and the bidirectional
/// overrides and isolates that reorder what a reader sees.
fn is_active(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A one-line text from outside (a name, a message quoting a diary cell)
/// with every active character written as a visible escape (`\u{1b}`).
pub fn inline(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_active(c) || c == '\r') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_active(c) || c == '\r' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text for a terminal or a log: active characters escaped as in [`inline`],
/// line breaks kept (a carriage return only as part of CRLF).
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone_cr = bytes
        .iter()
        .enumerate()
        .any(|(i, b)| *b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
    if !lone_cr && !text.chars().any(|c| is_active(c) && c != '\r') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            out.push(c);
        } else if is_active(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The source as ariadne shows it: each active character replaced by as
/// many `?`s as it has bytes, so every byte offset still points at the same
/// place.
fn visible_source(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_active(c) && c != '\r') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_active(c) && c != '\r' {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A diagnostic to show, or a line standing for the repeats left out.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown<'a> {
    One(&'a Diagnostic),
    /// `count` more diagnostics with this code in this file.
    More {
        code: &'static str,
        file: Option<FileId>,
        count: usize,
    },
}

/// The diagnostics to print, with repeats summarised: after `keep`
/// diagnostics of one code in one file, the rest become one [`Shown::More`]
/// at the place of the first one left out. Output stays linear in the
/// number of diagnostics, and a diary with ten thousand bad rows gives a
/// readable page, not ten thousand snippets.
pub fn summarise(diagnostics: &[Diagnostic], keep: usize) -> Vec<Shown<'_>> {
    let mut seen: BTreeMap<(Option<FileId>, &'static str), usize> = BTreeMap::new();
    let mut out = Vec::new();
    let mut more_at: BTreeMap<(Option<FileId>, &'static str), usize> = BTreeMap::new();
    for d in diagnostics {
        let key = (d.primary_file(), d.code);
        let n = seen.entry(key).or_insert(0);
        *n += 1;
        if *n <= keep {
            out.push(Shown::One(d));
        } else if let Some(&i) = more_at.get(&key) {
            if let Some(Shown::More { count, .. }) = out.get_mut(i) {
                *count += 1;
            }
        } else {
            more_at.insert(key, out.len());
            out.push(Shown::More {
                code: d.code,
                file: key.0,
                count: 1,
            });
        }
    }
    out
}

/// The line a [`Shown::More`] prints.
pub fn more_line(map: &SourceMap, code: &str, file: Option<FileId>, count: usize) -> String {
    let place = file.map_or(String::new(), |f| format!(" in {}", inline(map.name(f))));
    format!(
        "… and {count} more {code} diagnostic{}{place} (`trialc check --format json` lists every one)\n",
        if count == 1 { "" } else { "s" }
    )
}

/// One checked file in `trialc check --format json`: its name, counts and
/// every diagnostic with each label's file.
pub fn json_entry(name: &str, map: &SourceMap, diagnostics: &[Diagnostic]) -> serde_json::Value {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let mut renderer = Renderer::new(map, false);
    serde_json::json!({
        "file": name,
        "errors": errors,
        "warnings": diagnostics.len() - errors,
        "diagnostics": diagnostics.iter().map(|d| renderer.json(d)).collect::<Vec<_>>(),
    })
}

/// The document of `trialc check --format json` (`trialc-diagnostics/1`).
pub fn json_document(entries: Vec<serde_json::Value>) -> String {
    let document = serde_json::json!({ "format": "trialc-diagnostics/1", "files": entries });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    )
}

#[derive(Serialize)]
struct JsonPosition {
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
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

    /// Columns on long lines (past several checkpoints, with multi-byte
    /// characters on both sides of them) equal a plain count.
    #[test]
    fn columns_on_long_lines_match_a_plain_count() {
        let line: String = (0..3000)
            .map(|i| if i % 7 == 0 { 'é' } else { 'x' })
            .collect();
        let source = format!("first\n{line}\nlast");
        let index = LineIndex::new(&source);
        for (offset, _) in source.char_indices().step_by(97) {
            let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
            let line_no = source[..offset].matches('\n').count() + 1;
            let column = source[line_start..offset].chars().count() + 1;
            assert_eq!(
                index.line_column(&source, offset),
                (line_no, column),
                "{offset}"
            );
        }
    }

    #[test]
    fn labels_past_the_end_are_clamped() {
        let d = Diagnostic::error(crate::codes::E0101, "x").with_primary(Span::new(3, 99), "here");
        let text = human(&d, "f.trial", "abc", false);
        assert!(text.contains("E0101"), "{text}");
    }

    #[test]
    fn spans_inside_a_character_do_not_panic() {
        // A BOM is three bytes; an é two. Spans that cut either are moved
        // to the character's edges.
        let source = "\u{feff}{\"a\": é}";
        for (start, end) in [(1, 2), (0, 1), (10, 11), (11, 11), (2, 12)] {
            let d = Diagnostic::error(crate::codes::E0801, "x")
                .with_primary(Span::new(start, end), "here");
            let text = human(&d, "h.json", source, false);
            assert!(text.contains("E0801"), "{text}");
        }
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

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let source = "trial \"x\u{1b}[2J\" {\n}\n";
        let d = Diagnostic::error(crate::codes::E0101, "bad \u{1b}]0;title\u{7}")
            .with_primary(Span::new(7, 11), "arm `\u{9b}x` \u{202e}here")
            .with_note("cell `a\rb`");
        let text = human(&d, "f\u{1b}.trial", source, false);
        assert!(!text.chars().any(|c| is_active(c) || c == '\r'), "{text:?}");
        assert!(text.contains("\\u{1b}"), "{text}");
        assert_eq!(terminal_safe("a\r\nb\rc\u{1b}"), "a\r\nb\\u{d}c\\u{1b}");
    }

    #[test]
    fn labels_name_their_files_in_json() {
        let mut map = SourceMap::default();
        let spec = map.add("s.trial", FileKind::Spec, "model m {\n}\n".to_string());
        let json = map.add(
            "h.json",
            FileKind::Hypotheses,
            "{\n \"a\": 1}\n".to_string(),
        );
        let d = Diagnostic::error(crate::codes::E0809, "mismatch")
            .with_primary(Span::new(6, 7), "here")
            .with_secondary_in(json, Span::new(3, 6), "there")
            .in_file(spec);
        let mut r = Renderer::new(&map, false);
        let v = r.json(&d);
        assert_eq!(v["labels"][0]["file"], "s.trial");
        assert_eq!(v["labels"][1]["file"], "h.json");
        assert_eq!(v["labels"][1]["from"]["line"], 2);
        let text = r.human(&d);
        assert!(
            text.contains("s.trial") && text.contains("h.json"),
            "{text}"
        );
    }

    #[test]
    fn output_stays_small_for_many_labels_and_long_lines() {
        // 300 labels on one 100 kB line: the case of 300 unused hypotheses
        // in a one-line JSON file.
        let line: String = (0..300)
            .map(|i| format!("{{\"id\": \"X{i:03}\", {}}}, ", "x".repeat(300)))
            .collect();
        let source = format!("[{line}]\n");
        let mut d = Diagnostic::warning(crate::codes::W0808, "unused");
        for i in 0..300 {
            let at = source.find(&format!("X{i:03}")).unwrap_or(0);
            d = if i == 0 {
                d.with_primary(Span::new(at, at + 4), "this one")
            } else {
                d.with_secondary(Span::new(at, at + 4), "and this")
            };
        }
        let text = human(&d, "h.json", &source, false);
        assert!(text.len() < 5_000, "{} bytes", text.len());
        assert!(text.contains("288 more places are not shown"), "{text}");
        assert!(text.contains("h.json:1:"), "{text}");
        // A few labels on short lines are drawn as usual.
        let short = "a\nb\nc\n";
        let d = Diagnostic::error(crate::codes::E0101, "x")
            .with_primary(Span::new(2, 3), "here")
            .with_secondary(Span::new(4, 5), "there");
        let text = human(&d, "f.trial", short, false);
        assert!(
            text.contains("here") && text.contains("there") && text.contains("─"),
            "{text}"
        );
    }

    #[test]
    fn repeats_are_summarised_after_a_few() {
        let ds: Vec<Diagnostic> = (0..10)
            .map(|i| {
                Diagnostic::error(crate::codes::E0704, "x")
                    .with_primary(Span::new(i, i + 1), "y")
                    .in_file(FileId(1))
            })
            .chain(std::iter::once(
                Diagnostic::warning(crate::codes::W0701, "w").in_file(FileId(1)),
            ))
            .collect();
        let shown = summarise(&ds, 3);
        assert_eq!(shown.len(), 5);
        assert_eq!(
            shown[3],
            Shown::More {
                code: "E0704",
                file: Some(FileId(1)),
                count: 7
            }
        );
    }
}
