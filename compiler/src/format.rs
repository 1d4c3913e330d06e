//! The formatter (`trialc fmt`): one canonical layout, every comment kept,
//! and never a change of meaning.
//!
//! Layout rules: two-space indentation; one field or statement per line;
//! keys aligned within a block; `~` aligned within a model; one blank line
//! between blocks; runs of one-line declarations (`use`, `arm`, `hypotheses`
//! without a block, `data`, `prior`) stay together unless the source separated them by a blank
//! line. Numbers and strings are printed as written (the source text of
//! their span), so `1.0` stays `1.0` and escapes stay escapes.
//!
//! Comments are placed by position: a comment before a field stays before it,
//! a comment at the end of a field's line stays at the end of that line, and a
//! comment before a closing brace stays inside the block. A comment written
//! *inside* a field or item (between two of its tokens, e.g. inside brackets)
//! moves to its own line after that field. Trailing whitespace is removed from
//! comments; their text is otherwise kept byte for byte, in order.
//!
//! `///` lines document the item directly below them, so the formatter keeps
//! each item's documentation exactly: its `///` lines stay directly above it
//! (a `///` at the end of the previous item's line moves to its own line when
//! needed), and any other `///` comment that would land directly above an item
//! or its documentation is followed by a blank line, so that it documents
//! nothing, as in the source.
//!
//! Line endings: the output uses the style of the file's first line break,
//! LF, CRLF or a lone CR (the grammar's `NEWLINE` accepts all three); a file
//! that mixes styles is normalised to its first one, and a file without a line
//! break gets LF. CR-only files are preserved rather than converted, because
//! `fmt` must not rewrite every line of a file it was only asked to lay out.
//! A byte-order mark is kept at the start of the file.
//!
//! As a last guard, the output is parsed again and compared with the input
//! (the AST up to spans, every comment's text and order); if they ever differ
//! the formatter refuses with an internal error (E0001) instead of writing a
//! file that means something else.

use crate::codes;
use crate::diagnostic::{Diagnostic, Span};
use crate::syntax::lexer::{self, Token};
use crate::syntax::{self, ast};

/// Format a source text; refuses (with the syntax errors, whose spans are
/// into `source`) when it does not parse. This is the one entry point: the
/// output is the whole new file, ready to compare with `source` (`--check`)
/// or to write back.
pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    let (file, diagnostics) = syntax::parse(source);
    let errors: Vec<Diagnostic> = diagnostics.into_iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let ending = LineEnding::of(source);
    let (body, bom) = normalise(source);
    let (body_file, body_diagnostics) = syntax::parse(&body);
    if body_diagnostics.iter().any(Diagnostic::is_error) || !same_meaning(&file, &body_file) {
        return Err(vec![internal_error(
            "normalising the line endings changed how the file parses",
        )]);
    }
    let formatted = Formatter::new(&body, &body_file).file(&body_file);
    let (out_file, out_diagnostics) = syntax::parse(&formatted);
    if out_diagnostics.iter().any(Diagnostic::is_error) || !same_meaning(&file, &out_file) {
        return Err(vec![internal_error(
            "the formatted file would not mean what the original means",
        )]);
    }
    let mut out = String::with_capacity(formatted.len() + formatted.len() / 16 + 3);
    if bom {
        out.push('\u{FEFF}');
    }
    match ending {
        LineEnding::Lf => out.push_str(&formatted),
        LineEnding::CrLf => out.push_str(&formatted.replace('\n', "\r\n")),
        LineEnding::Cr => out.push_str(&formatted.replace('\n', "\r")),
    }
    Ok(out)
}

fn internal_error(what: &str) -> Diagnostic {
    Diagnostic::error(
        codes::E0001,
        format!("internal error in the formatter: {what}"),
    )
    .with_primary(Span::new(0, 0), "the file is left as it is")
    .with_help("please report this with the file; `trialc check` is not affected")
}

/// The line-break style of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineEnding {
    Lf,
    CrLf,
    Cr,
}

impl LineEnding {
    /// The style of the first line break; LF when there is none.
    fn of(source: &str) -> Self {
        let bytes = source.as_bytes();
        match bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(i) if bytes[i] == b'\n' => LineEnding::Lf,
            Some(i) if bytes.get(i + 1) == Some(&b'\n') => LineEnding::CrLf,
            Some(_) => LineEnding::Cr,
            None => LineEnding::Lf,
        }
    }
}

/// The source with every line break as `\n` and the byte-order mark removed
/// (the lexer's `Bom` tokens, which a source without syntax errors has only
/// before its first token), and whether there was one. Line breaks and the
/// mark are whitespace to the grammar, so this parses to the same AST.
fn normalise(source: &str) -> (String, bool) {
    let boms: Vec<Span> = lexer::lex(source)
        .into_iter()
        .filter(|l| l.token == Token::Bom)
        .map(|l| l.span)
        .collect();
    let mut body = String::with_capacity(source.len());
    let mut from = 0;
    for span in &boms {
        push_with_lf(&mut body, source.get(from..span.start).unwrap_or(""));
        from = span.end;
    }
    push_with_lf(&mut body, source.get(from..).unwrap_or(""));
    (body, !boms.is_empty())
}

/// `text` with `\r\n` and lone `\r` turned into `\n`.
fn push_with_lf(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        if let Some(after) = rest.strip_prefix('\n') {
            rest = after;
        }
    }
    out.push_str(rest);
}

/// Do two parses mean the same: the same items (spans aside, documentation
/// included) and the same comments in the same order (trailing whitespace aside)?
fn same_meaning(a: &ast::File, b: &ast::File) -> bool {
    let comments = |f: &ast::File| -> Vec<(bool, String)> {
        f.comments
            .iter()
            .map(|c| (c.doc, c.text.trim_end().to_string()))
            .collect()
    };
    if comments(a) != comments(b) {
        return false;
    }
    match (
        serde_json::to_value(&a.items),
        serde_json::to_value(&b.items),
    ) {
        (Ok(mut x), Ok(mut y)) => {
            strip_spans(&mut x);
            strip_spans(&mut y);
            x == y
        }
        _ => false,
    }
}

/// Remove every span from a serialised AST: `span` fields go, and a bare span
/// (e.g. the `reference` keyword's) becomes `true` ("present").
fn strip_spans(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map)
            if map.len() == 2 && map.contains_key("start") && map.contains_key("end") =>
        {
            *value = serde_json::Value::Bool(true);
        }
        serde_json::Value::Object(map) => {
            map.remove("span");
            map.values_mut().for_each(strip_spans);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_spans),
        _ => {}
    }
}

struct Formatter<'a> {
    /// The normalised source: `\n` line breaks only, no byte-order mark.
    source: &'a str,
    comments: &'a [ast::Comment],
    /// For each comment: is it one of the `///` lines documenting an item?
    documents: Vec<bool>,
    /// Index of the next comment not yet printed.
    next_comment: usize,
    /// Every `arm` printed, for aligning descriptions afterwards.
    arms: Vec<ArmLine>,
    out: String,
}

/// An `arm` line in the output: where its description's padding goes.
struct ArmLine {
    /// Offset in `out` of the start of the line.
    line_start: usize,
    /// Offset in `out` just after the name, when a description follows.
    pad_at: Option<usize>,
    /// The name's width in characters.
    width: usize,
}

/// One line inside a block: its text without indentation, and its span in the source.
struct Line {
    text: String,
    span: Span,
}

/// Is there nothing but spaces and tabs in `text` (no line break, no token)?
fn is_blank_inline(text: &str) -> bool {
    text.bytes().all(|b| b == b' ' || b == b'\t')
}

impl<'a> Formatter<'a> {
    fn new(source: &'a str, file: &'a ast::File) -> Self {
        let mut documents = vec![false; file.comments.len()];
        for item in &file.items {
            let Some(doc) = &item.doc else { continue };
            // The documentation is the last `doc.lines` comments before the item.
            let lines = doc.split('\n').count();
            let before = file
                .comments
                .partition_point(|c| c.span.start < item.span.start);
            if let Some(first) = before.checked_sub(lines) {
                for flag in &mut documents[first..before] {
                    *flag = true;
                }
            }
        }
        Formatter {
            source,
            comments: &file.comments,
            documents,
            next_comment: 0,
            arms: Vec::new(),
            out: String::new(),
        }
    }

    fn text(&self, span: Span) -> &'a str {
        self.source.get(span.start..span.end).unwrap_or("")
    }

    /// A number as written (a sign is always attached to its number).
    fn number(&self, span: Span) -> String {
        self.text(span).to_string()
    }

    fn string(&self, s: &ast::Spanned<String>) -> String {
        let written = self.text(s.span);
        if written.starts_with('"') && written.ends_with('"') && written.len() >= 2 {
            written.to_string()
        } else {
            format!("{:?}", s.node)
        }
    }

    /// Is there an empty line in the source between these offsets?
    fn blank_lines_between(&self, from: usize, to: usize) -> bool {
        let between = self
            .source
            .get(from..to.min(self.source.len()))
            .unwrap_or("");
        let mut lines = between.split('\n');
        lines.next();
        let mut middle: Vec<&str> = lines.collect();
        middle.pop();
        middle.iter().any(|l| l.trim().is_empty())
    }

    /// Comments that start before `before`, printed on their own lines at
    /// `indent`. `above_item`: an item follows at the top level, so a `///`
    /// comment that does not document it must not end up directly above it
    /// or above its documentation.
    fn leading_comments(&mut self, before: usize, indent: &str, above_item: bool) {
        let mut previous: Option<usize> = None;
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.span.start >= before {
                break;
            }
            if let Some(p) = previous {
                let stray_doc = self.comments[p].doc && !self.documents[p];
                if self.blank_lines_between(self.comments[p].span.end, comment.span.start)
                    || (above_item && stray_doc && self.documents[self.next_comment])
                {
                    self.out.push('\n');
                }
            }
            self.out.push_str(indent);
            self.out.push_str(&self.comment_text(comment));
            self.out.push('\n');
            previous = Some(self.next_comment);
            self.next_comment += 1;
        }
        if let Some(p) = previous {
            let stray_doc = self.comments[p].doc && !self.documents[p];
            if self.blank_lines_between(self.comments[p].span.end, before)
                || (above_item && stray_doc)
            {
                self.out.push('\n');
            }
        }
    }

    /// The next comment, when it follows `end` on the same source line with
    /// only spaces between (and does not document the next item).
    fn trailing_comment(&mut self, end: usize) -> Option<String> {
        let comment = self.comments.get(self.next_comment)?;
        if self.documents[self.next_comment] {
            return None;
        }
        let between = self.source.get(end..comment.span.start)?;
        if !is_blank_inline(between) {
            return None;
        }
        self.next_comment += 1;
        Some(self.comment_text(comment))
    }

    fn comment_text(&self, comment: &ast::Comment) -> String {
        let written = self.text(comment.span).trim_end();
        if written.starts_with("//") {
            written.to_string()
        } else if comment.doc {
            format!("///{}", comment.text.trim_end())
        } else {
            format!("//{}", comment.text.trim_end())
        }
    }

    fn file(mut self, file: &ast::File) -> String {
        let mut previous: Option<(&ast::Item, bool)> = None;
        for item in &file.items {
            let one_line = is_one_line(&item.kind);
            if let Some((prev, prev_one_line)) = previous {
                // Where the item's own leading comments start, for blank-line detection.
                let start = self
                    .comments
                    .get(self.next_comment)
                    .filter(|c| c.span.start < item.span.start)
                    .map(|c| c.span.start)
                    .unwrap_or(item.span.start);
                let separated = self.blank_lines_between(prev.span.end, start);
                if separated || !(one_line && prev_one_line && same_kind(&prev.kind, &item.kind)) {
                    self.out.push('\n');
                }
            }
            self.leading_comments(item.span.start, "", true);
            self.item(item);
            previous = Some((item, one_line));
        }
        // Comments after the last item.
        if self.next_comment < self.comments.len() {
            if !self.out.is_empty() {
                let last_end = file.items.last().map(|i| i.span.end).unwrap_or(0);
                let next = self.comments[self.next_comment].span.start;
                if self.blank_lines_between(last_end, next) {
                    self.out.push('\n');
                }
            }
            self.leading_comments(usize::MAX, "", false);
        }
        self.align_arms();
        self.out
    }

    /// Pad arm names so that descriptions line up within each run of `arm`
    /// lines that no blank line separates (decided on the output, so that
    /// formatting the output again finds the same runs).
    fn align_arms(&mut self) {
        if self.arms.is_empty() {
            return;
        }
        let mut runs: Vec<(usize, usize)> = Vec::new(); // [start, end) into self.arms
        let mut start = 0;
        for i in 1..self.arms.len() {
            let between = &self.out[self.arms[i - 1].line_start..self.arms[i].line_start];
            if between.contains("\n\n") {
                runs.push((start, i));
                start = i;
            }
        }
        runs.push((start, self.arms.len()));
        let mut inserts: Vec<(usize, usize)> = Vec::new(); // (offset, spaces)
        for (from, to) in runs {
            let width = self.arms[from..to]
                .iter()
                .map(|a| a.width)
                .max()
                .unwrap_or(0);
            for arm in &self.arms[from..to] {
                if let Some(at) = arm.pad_at {
                    if width > arm.width {
                        inserts.push((at, width - arm.width));
                    }
                }
            }
        }
        if inserts.is_empty() {
            return;
        }
        let extra: usize = inserts.iter().map(|(_, n)| n).sum();
        let mut out = String::with_capacity(self.out.len() + extra);
        let mut from = 0;
        for (at, spaces) in inserts {
            out.push_str(&self.out[from..at]);
            out.extend(std::iter::repeat_n(' ', spaces));
            from = at;
        }
        out.push_str(&self.out[from..]);
        self.out = out;
    }

    fn item(&mut self, item: &ast::Item) {
        match &item.kind {
            ast::ItemKind::Use(decl) => {
                let path = decl
                    .path
                    .iter()
                    .map(|s| s.node.as_str())
                    .collect::<Vec<_>>()
                    .join(".");
                let glob = if decl.glob { ".*" } else { "" };
                self.single(format!("use {path}{glob}"), item.span);
            }
            ast::ItemKind::Hypotheses(decl) => {
                let line = format!(
                    "hypotheses {} from {}",
                    decl.name.node,
                    self.string(&decl.path)
                );
                match &decl.mappings {
                    None => self.single(line, item.span),
                    Some(mappings) => {
                        let lines = mappings
                            .iter()
                            .map(|m| {
                                (
                                    m.kind.node.keyword().to_string(),
                                    format!("{} is {}", self.string(&m.text), m.target.node),
                                    m.span,
                                )
                            })
                            .collect();
                        self.block(&line, aligned(lines), item.span);
                    }
                }
            }
            ast::ItemKind::Data(path) => {
                let line = format!("data {}", self.string(path));
                self.single(line, item.span);
            }
            ast::ItemKind::Arm(arm) => {
                let line_start = self.out.len();
                self.out.push_str("arm ");
                self.out.push_str(&arm.name.node);
                let mut pad_at = None;
                if let Some(d) = &arm.description {
                    pad_at = Some(self.out.len());
                    self.out.push(' ');
                    self.out.push_str(&self.string(d));
                }
                self.arms.push(ArmLine {
                    line_start,
                    pad_at,
                    width: arm.name.node.chars().count(),
                });
                let rest = if arm.reference.is_some() {
                    " reference"
                } else {
                    ""
                };
                self.single(rest.to_string(), item.span);
            }
            ast::ItemKind::PriorPreset(p) => {
                let line = format!("prior {} = {}", p.name.node, self.prior(&p.prior));
                self.single(line, item.span);
            }
            ast::ItemKind::Trial(block) => {
                let lines = block
                    .fields
                    .iter()
                    .map(|f| {
                        (
                            f.key.node.clone(),
                            self.string(&f.value),
                            f.key.span.to(f.value.span),
                        )
                    })
                    .collect::<Vec<_>>();
                let header = format!("trial {}", self.string(&block.id));
                self.block(&header, aligned(lines), item.span);
            }
            ast::ItemKind::Schedule(block) => {
                let header = match &block.from {
                    Some(from) => format!("schedule from {}", from.node),
                    None => "schedule".to_string(),
                };
                let lines = self.schedule_fields(&block.fields);
                self.block(&header, lines, item.span);
            }
            ast::ItemKind::Design(design) => {
                let header = format!("design {}", design.name.node);
                let lines = self.schedule_fields(&design.fields);
                self.block(&header, lines, item.span);
            }
            ast::ItemKind::Outcome(block) => {
                let mut header = format!("outcome {}", block.name.node);
                if let Some(d) = &block.description {
                    header.push(' ');
                    header.push_str(&self.string(d));
                }
                let lines = block
                    .fields
                    .iter()
                    .map(|f| {
                        let (key, value) = self.outcome_field(&f.kind);
                        (key.to_string(), value, f.span)
                    })
                    .collect();
                self.block(&header, aligned(lines), item.span);
            }
            ast::ItemKind::Model(block) => {
                let header = format!("model {}", block.outcome.node);
                let lines = block
                    .statements
                    .iter()
                    .map(|s| {
                        let (left, right) = self.model_statement(&s.kind);
                        (left, right, s.span)
                    })
                    .collect::<Vec<_>>();
                self.block(&header, aligned_at_tilde(lines), item.span);
            }
            ast::ItemKind::Decide(block) => {
                // `recommend X` and `stop early` padded so that every `if`
                // lines up; a further condition starts below, with `and`
                // one column left of `if` so that the `P`s line up.
                let heads: Vec<(String, Option<Vec<String>>, Span)> = block
                    .rules
                    .iter()
                    .map(|r| {
                        let (head, conditions) = self.rule(&r.kind);
                        (head, conditions, r.span)
                    })
                    .collect();
                let width = heads
                    .iter()
                    .filter(|(_, conditions, _)| conditions.is_some())
                    .map(|(head, _, _)| head.chars().count())
                    .max()
                    .unwrap_or(0);
                let continuation = format!("\n  {}", " ".repeat(width));
                let lines = heads
                    .into_iter()
                    .map(|(head, conditions, span)| Line {
                        text: match conditions {
                            Some(conditions) => {
                                format!(
                                    "{}{}",
                                    padded(&head, width),
                                    conditions.join(&continuation)
                                )
                            }
                            None => head,
                        },
                        span,
                    })
                    .collect();
                self.block("decide", lines, item.span);
            }
            ast::ItemKind::Report(block) => {
                let lines = block
                    .entries
                    .iter()
                    .map(|e| Line {
                        text: self.report_entry(&e.kind),
                        span: e.span,
                    })
                    .collect();
                self.block("report", lines, item.span);
            }
            ast::ItemKind::Simulate(block) => {
                let lines = block
                    .entries
                    .iter()
                    .map(|e| Line {
                        text: self.simulate_entry(&e.kind),
                        span: e.span,
                    })
                    .collect();
                self.block("simulate", lines, item.span);
            }
        }
    }

    /// The rest of a one-line item (its start is already in `out`), then any
    /// comment at the end of its line.
    fn single(&mut self, line: String, span: Span) {
        self.out.push_str(&line);
        if let Some(comment) = self.trailing_comment(span.end) {
            self.out.push_str("  ");
            self.out.push_str(&comment);
        }
        self.out.push('\n');
    }

    /// Just after the block's opening brace (the first `{` token of the item).
    fn open_brace(&self, span: Span) -> usize {
        lexer::lex(self.text(span))
            .into_iter()
            .find(|l| l.token == Token::LBrace)
            .map(|l| span.start + l.span.end)
            .unwrap_or(span.start)
    }

    fn block(&mut self, header: &str, lines: Vec<Line>, span: Span) {
        self.out.push_str(header);
        self.out.push_str(" {");
        // A comment after the opening brace stays there.
        let brace = self.open_brace(span);
        if let Some(comment) = self.trailing_comment(brace) {
            self.out.push_str("  ");
            self.out.push_str(&comment);
        }
        self.out.push('\n');
        let mut previous_end: Option<usize> = None;
        for line in lines {
            if let Some(end) = previous_end {
                let start = self
                    .comments
                    .get(self.next_comment)
                    .filter(|c| c.span.start < line.span.start)
                    .map(|c| c.span.start)
                    .unwrap_or(line.span.start);
                if self.blank_lines_between(end, start) {
                    self.out.push('\n');
                }
            }
            self.leading_comments(line.span.start, "  ", false);
            self.out.push_str("  ");
            self.out.push_str(line.text.trim_end());
            if let Some(comment) = self.trailing_comment(line.span.end) {
                self.out.push_str("  ");
                self.out.push_str(&comment);
            }
            self.out.push('\n');
            previous_end = Some(line.span.end);
        }
        // Comments before the closing brace (and any left inside the last line).
        let close = span.end.saturating_sub(1);
        self.leading_comments(close, "  ", false);
        self.out.push('}');
        if let Some(comment) = self.trailing_comment(span.end) {
            self.out.push_str("  ");
            self.out.push_str(&comment);
        }
        self.out.push('\n');
    }

    fn duration(&self, d: &ast::Duration) -> String {
        let unit = match d.unit.as_ref().map(|u| u.node) {
            Some(ast::TimeUnit::Days) if d.amount.node == 1 => " day",
            Some(ast::TimeUnit::Days) => " days",
            Some(ast::TimeUnit::Weeks) if d.amount.node == 1 => " week",
            Some(ast::TimeUnit::Weeks) => " weeks",
            None => "",
        };
        format!("{}{unit}", d.amount.node)
    }

    /// `[10, 14, 10, 14] days`: the unit in the plural, as every list is.
    fn duration_list(&self, d: &ast::DurationList) -> String {
        let amounts: Vec<String> = d.amounts.iter().map(|a| a.node.to_string()).collect();
        let unit = match d.unit.as_ref().map(|u| u.node) {
            Some(ast::TimeUnit::Days) => " days",
            Some(ast::TimeUnit::Weeks) => " weeks",
            None => "",
        };
        format!("[{}]{unit}", amounts.join(", "))
    }

    fn schedule_fields(&self, fields: &[ast::ScheduleField]) -> Vec<Line> {
        use ast::ScheduleFieldKind as K;
        let lines = fields
            .iter()
            .map(|f| {
                let (key, value) = match &f.kind {
                    K::Start(d) => (
                        "start",
                        format!("{:04}-{:02}-{:02}", d.node.year, d.node.month, d.node.day),
                    ),
                    K::RunIn(d) => ("run_in", self.duration(d)),
                    K::Period(d) => ("period", self.duration(d)),
                    K::PeriodLengths(d) => ("period", self.duration_list(d)),
                    K::Cycles(n) => ("cycles", n.node.to_string()),
                    K::Periods(n) => ("periods", n.node.to_string()),
                    K::Sequence(s) => (
                        "sequence",
                        match &s.node {
                            ast::SequenceDesign::Alternating => "alternating".to_string(),
                            ast::SequenceDesign::Counterbalanced => "counterbalanced".to_string(),
                            ast::SequenceDesign::Fixed(p) => format!("fixed {}", self.string(p)),
                            ast::SequenceDesign::RandomizedPairs => "randomized pairs".to_string(),
                            ast::SequenceDesign::RandomizedBlocks => {
                                "randomized blocks".to_string()
                            }
                            ast::SequenceDesign::RandomizedPeriods => {
                                "randomized periods".to_string()
                            }
                            ast::SequenceDesign::FromData => "from data".to_string(),
                        },
                    ),
                    K::MaxRun(n) => ("max_run", n.node.to_string()),
                    K::Washout(d) => ("washout", self.duration(d)),
                    K::Carryover(_) => ("carryover", "modelled".to_string()),
                    K::Blinding(b) => (
                        "blinding",
                        match b.node {
                            ast::Blinding::Open => "open",
                            ast::Blinding::Single => "single",
                            ast::Blinding::Double => "double",
                        }
                        .to_string(),
                    ),
                    K::Seed(n) => ("seed", n.node.to_string()),
                    K::Window(w) => ("window", format!("days {}..{}", w.first.node, w.last.node)),
                };
                (key.to_string(), value, f.span)
            })
            .collect();
        aligned(lines)
    }

    fn outcome_field(&self, kind: &ast::OutcomeFieldKind) -> (&'static str, String) {
        use ast::OutcomeFieldKind as K;
        match kind {
            K::Type(t) => (
                "type",
                match t {
                    ast::OutcomeType::Continuous { bounds: None } => "continuous".to_string(),
                    ast::OutcomeType::Continuous { bounds: Some(b) } => {
                        format!("continuous in {}", self.bracketed(b.span))
                    }
                    ast::OutcomeType::Binary => "binary".to_string(),
                    ast::OutcomeType::Binomial { trials } => match &trials.node {
                        ast::Trials::Fixed(n) => format!("binomial of {n}"),
                        ast::Trials::Column(c) => format!("binomial of {c}"),
                    },
                    ast::OutcomeType::Count {
                        overdispersed: false,
                    } => "count".to_string(),
                    ast::OutcomeType::Count {
                        overdispersed: true,
                    } => "count overdispersed".to_string(),
                    ast::OutcomeType::Ordinal { levels } => {
                        format!("ordinal {}..{}", levels.node.0, levels.node.1)
                    }
                },
            ),
            K::Measured(m) => (
                "measured",
                match m {
                    ast::Measured::Daily => "daily".to_string(),
                    ast::Measured::Weekly => "weekly".to_string(),
                    ast::Measured::PerPeriod => "per period".to_string(),
                    ast::Measured::OnDays(days) => format!(
                        "on days [{}]",
                        days.iter()
                            .map(|d| d.node.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
            ),
            K::Better(d) => (
                "better",
                match d.node {
                    ast::Direction::Lower => "lower",
                    ast::Direction::Higher => "higher",
                }
                .to_string(),
            ),
            K::Mcid(m) => ("mcid", self.number(m.span)),
            K::Unit(u) => ("unit", self.string(u)),
            K::Primary => ("primary", String::new()),
            K::Secondary => ("secondary", String::new()),
        }
    }

    /// `[0, 10]` from the written bounds: numbers as written, one space
    /// after the comma. Taken from the tokens between the brackets, so a
    /// comment inside them is not copied (it is printed after the field).
    fn bracketed(&self, span: Span) -> String {
        let text = self.text(span);
        let mut parts: Vec<String> = vec![String::new()];
        let mut inside = false;
        for lexeme in lexer::lex(text) {
            match lexeme.token {
                Token::LBracket => inside = true,
                Token::RBracket => break,
                Token::Comment => {}
                Token::Comma if inside => parts.push(String::new()),
                _ if inside => {
                    if let Some(part) = parts.last_mut() {
                        part.push_str(text.get(lexeme.span.range()).unwrap_or(""));
                    }
                }
                _ => {}
            }
        }
        format!("[{}]", parts.join(", "))
    }

    fn model_statement(&self, kind: &ast::ModelStatementKind) -> (String, String) {
        use ast::ModelStatementKind as K;
        match kind {
            K::Effect { arm, prior } => (
                format!("effect {}", arm.node),
                format!("~ {}", self.prior(prior)),
            ),
            K::Carryover { arm, prior } => (
                format!("carryover {}", arm.node),
                format!("~ {}", self.prior(prior)),
            ),
            K::Intercept(prior) => ("intercept".into(), format!("~ {}", self.prior(prior))),
            K::Trend { prior, per } => (
                "trend".into(),
                match per {
                    Some(d) => format!("~ {} per {}", self.prior(prior), self.duration(d)),
                    None => format!("~ {}", self.prior(prior)),
                },
            ),
            K::Errors { structure, params } => {
                let name = match structure.node {
                    ast::ErrorStructure::Independent => "independent",
                    ast::ErrorStructure::Ar1 => "ar1",
                };
                let params = params
                    .iter()
                    .map(|p| format!("{} ~ {}", p.name.node, self.prior(&p.prior)))
                    .collect::<Vec<_>>()
                    .join(", ");
                ("errors".into(), format!("{name}({params})"))
            }
            K::Cutpoints(prior) => ("cutpoints".into(), format!("~ {}", self.prior(prior))),
            K::Dispersion(prior) => ("dispersion".into(), format!("~ {}", self.prior(prior))),
            K::CarryoverDecay { params, .. } => (
                "carryover".into(),
                format!(
                    "decay({})",
                    params
                        .iter()
                        .map(|p| format!("{} ~ {}", p.name.node, self.prior(&p.prior)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            K::Covariate {
                column,
                standardised,
                prior,
                missing_excluded,
            } => (
                match standardised {
                    Some(_) => format!("covariate {} standardised", column.node),
                    None => format!("covariate {}", column.node),
                },
                match missing_excluded {
                    Some(_) => format!("~ {} missing excluded", self.prior(prior)),
                    None => format!("~ {}", self.prior(prior)),
                },
            ),
            K::Lag(prior) => ("lag".into(), format!("~ {}", self.prior(prior))),
            K::Clock(column) => ("clock".into(), column.node.clone()),
        }
    }

    fn prior(&self, prior: &ast::Prior) -> String {
        match &prior.kind {
            ast::PriorKind::Distribution { name, args } => format!(
                "{}({})",
                name.node,
                args.iter()
                    .map(|a| self.number(a.span))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ast::PriorKind::Mixture(parts) => format!(
                "mixture({})",
                parts
                    .iter()
                    .map(|p| format!("{}: {}", self.number(p.weight.span), self.prior(&p.prior)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ast::PriorKind::Hypothesis {
                source,
                id,
                discount,
                robust,
                vague,
            } => {
                let mut text = format!("{}.{}", source.node, id.node);
                if let Some(d) = discount {
                    text.push_str(&format!(" discount {}", self.number(d.span)));
                }
                if let Some(r) = robust {
                    text.push_str(&format!(" robust {}", self.number(r.span)));
                }
                if let Some(v) = vague {
                    text.push_str(&format!(" vague {}", self.prior(v)));
                }
                text
            }
            ast::PriorKind::Preset(name) => name.node.clone(),
        }
    }

    /// A rule as its head (`recommend X`, `stop early`, `otherwise
    /// inconclusive`) and its conditions from `if` on, when it has them:
    /// one per line, each further one starting with `and`.
    fn rule(&self, kind: &ast::RuleKind) -> (String, Option<Vec<String>>) {
        match kind {
            ast::RuleKind::Recommend { arm, conditions } => (
                format!("recommend {}", arm.node),
                Some(self.conditions(conditions)),
            ),
            ast::RuleKind::StopEarly { conditions, after } => {
                let mut lines = self.conditions(conditions);
                if let (Some(n), Some(last)) = (after, lines.last_mut()) {
                    last.push_str(&format!(
                        " after {} period{}",
                        n.node,
                        if n.node == 1 { "" } else { "s" }
                    ));
                }
                ("stop early".into(), Some(lines))
            }
            ast::RuleKind::Otherwise => ("otherwise inconclusive".into(), None),
        }
    }

    fn conditions(&self, conditions: &[ast::Condition]) -> Vec<String> {
        conditions
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!(
                    "{} {}",
                    if i == 0 { " if" } else { "and" },
                    self.condition(c)
                )
            })
            .collect()
    }

    fn condition(&self, c: &ast::Condition) -> String {
        format!(
            "P({}) {} {}",
            self.statement(&c.statement),
            comparison(c.probability_comparison.node),
            self.number(c.probability.span)
        )
    }

    fn statement(&self, s: &ast::Statement) -> String {
        let threshold = match s.threshold.node {
            ast::Threshold::Value(_) => self.number(s.threshold.span),
            ast::Threshold::Mcid { negative: true } => "-mcid".into(),
            ast::Threshold::Mcid { negative: false } => "mcid".into(),
        };
        format!(
            "{} {} {threshold}",
            quantity(&s.quantity),
            comparison(s.comparison.node)
        )
    }

    fn report_entry(&self, kind: &ast::ReportEntryKind) -> String {
        match kind {
            ast::ReportEntryKind::Interval(level) => {
                format!("interval {}", self.number(level.span))
            }
            ast::ReportEntryKind::Estimate(name) => format!("estimate {}", name.node),
            ast::ReportEntryKind::Probability(s) => format!("P({})", self.statement(s)),
            ast::ReportEntryKind::Summary(q) => quantity(q),
        }
    }

    /// One entry of a `simulate` block; a scenario's further settings go on
    /// lines of their own, aligned under the first.
    fn simulate_entry(&self, kind: &ast::SimulateEntryKind) -> String {
        use ast::SimulateEntryKind as E;
        match kind {
            E::Replicates(n) => format!("replicates {}", n.node),
            E::Scenario { name, settings } => {
                let head = format!("scenario {}", name.node);
                if settings.is_empty() {
                    return head;
                }
                let continuation = format!(",\n  {}", " ".repeat(head.chars().count() + 2));
                let settings: Vec<String> = settings
                    .iter()
                    .map(|s| self.scenario_setting(&s.kind))
                    .collect();
                format!("{head}: {}", settings.join(&continuation))
            }
            E::Require {
                event,
                comparison: c,
                probability,
                scenario,
            } => {
                let event = match &event.node {
                    ast::SimulatedEvent::Recommend(arm) => format!("recommend {}", arm.node),
                    ast::SimulatedEvent::StopEarly => "stop early".into(),
                    ast::SimulatedEvent::Inconclusive => "inconclusive".into(),
                };
                format!(
                    "require P({event}) {} {} under {}",
                    comparison(c.node),
                    self.number(probability.span),
                    scenario.node
                )
            }
            E::Sweep(ast::SweepValues::Cycles(values)) => format!(
                "sweep cycles [{}]",
                values
                    .iter()
                    .map(|v| v.node.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            E::Sweep(ast::SweepValues::Period(values)) => format!(
                "sweep period [{}]",
                values
                    .iter()
                    .map(|d| self.duration(d))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn scenario_setting(&self, kind: &ast::ScenarioSettingKind) -> String {
        use ast::ScenarioSettingKind as K;
        match kind {
            K::Missing(p) => format!("missing {}", self.number(p.span)),
            K::Dropout(p) => format!("dropout {} per period", self.number(p.span)),
            K::Adherence { share, unrecorded } => format!(
                "adherence {}{}",
                self.number(share.span),
                if unrecorded.is_some() {
                    " unrecorded"
                } else {
                    ""
                }
            ),
            K::Parameter {
                parameter,
                arm,
                outcome,
                values,
                grid,
            } => {
                let mut text = parameter.node.word().to_string();
                if let Some(arm) = arm {
                    text.push_str(&format!(" of {}", arm.node));
                }
                text.push_str(&format!(" on {}", outcome.node));
                let values: Vec<String> = values.iter().map(|v| self.simulated_value(v)).collect();
                if *grid {
                    text.push_str(&format!(" in [{}]", values.join(", ")));
                } else {
                    text.push_str(&format!(" = {}", values.join(", ")));
                }
                text
            }
        }
    }

    fn simulated_value(&self, value: &ast::Spanned<ast::SimulatedValue>) -> String {
        match &value.node {
            ast::SimulatedValue::Number(_) => self.number(value.span),
            ast::SimulatedValue::Mcid { negative: true } => "-mcid".into(),
            ast::SimulatedValue::Mcid { negative: false } => "mcid".into(),
            ast::SimulatedValue::Prior => "prior".into(),
            ast::SimulatedValue::Hypothesis { source, id } => {
                format!("{}.{}", source.node, id.node)
            }
            ast::SimulatedValue::Vector(_) => self.bracketed(value.span),
        }
    }
}

/// `SCALE [of ARM [vs ARM]] on OUTCOME`
fn quantity(q: &ast::QuantityRef) -> String {
    let mut text = q.scale.node.word().to_string();
    if let Some(arm) = &q.arm {
        text.push_str(&format!(" of {}", arm.node));
    }
    if let Some(versus) = &q.versus {
        text.push_str(&format!(" vs {}", versus.node));
    }
    text.push_str(&format!(" on {}", q.outcome.node));
    text
}

fn comparison(c: ast::Comparison) -> &'static str {
    match c {
        ast::Comparison::Less => "<",
        ast::Comparison::LessEqual => "<=",
        ast::Comparison::Greater => ">",
        ast::Comparison::GreaterEqual => ">=",
    }
}

fn is_one_line(kind: &ast::ItemKind) -> bool {
    matches!(
        kind,
        ast::ItemKind::Use(_)
            | ast::ItemKind::Hypotheses(ast::HypothesesDecl { mappings: None, .. })
            | ast::ItemKind::Data(_)
            | ast::ItemKind::Arm(_)
            | ast::ItemKind::PriorPreset(_)
    )
}

fn same_kind(a: &ast::ItemKind, b: &ast::ItemKind) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// `key  value` lines with values aligned two spaces after the longest key
/// (the layout of the protocol sketches: keys read as a column).
fn aligned(lines: Vec<(String, String, Span)>) -> Vec<Line> {
    let width = lines
        .iter()
        .filter(|(_, value, _)| !value.is_empty())
        .map(|(key, _, _)| key.chars().count())
        .max()
        .unwrap_or(0);
    lines
        .into_iter()
        .map(|(key, value, span)| Line {
            text: if value.is_empty() {
                key
            } else {
                format!("{}  {value}", padded(&key, width))
            },
            span,
        })
        .collect()
}

/// Model statements in two columns: `~` (or the error structure) aligned.
fn aligned_at_tilde(lines: Vec<(String, String, Span)>) -> Vec<Line> {
    let width = lines
        .iter()
        .map(|(left, _, _)| left.chars().count())
        .max()
        .unwrap_or(0);
    lines
        .into_iter()
        .map(|(left, right, span)| Line {
            text: format!("{} {right}", padded(&left, width)),
            span,
        })
        .collect()
}

/// `text` padded with spaces to `width` characters. (Not `{:width$}`: a
/// format width above 65,535 panics, and names may be that long.)
fn padded(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + width);
    out.push_str(text);
    out.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(text.chars().count()),
    ));
    out
}
