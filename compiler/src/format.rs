//! The formatter (`trialc fmt`): one canonical layout, every comment kept.
//!
//! Layout rules: two-space indentation; one field or statement per line;
//! keys aligned within a block; `~` aligned within a model; one blank line
//! between blocks; runs of one-line declarations (`use`, `arm`, `hypotheses`,
//! `data`, `prior`) stay together unless the source separated them by a blank
//! line. Numbers and strings are printed as written (the source text of
//! their span), so `1.0` stays `1.0` and escapes stay escapes.
//!
//! Comments are placed by position: a comment before a field stays before it,
//! a comment at the end of a field's line stays at the end of that line, and a
//! comment before a closing brace stays inside the block.

use crate::diagnostic::{Diagnostic, Span};
use crate::syntax::{self, ast};

/// Format a source text; refuses (with the syntax errors) when it does not parse.
pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    let (file, diagnostics) = syntax::parse(source);
    let errors: Vec<Diagnostic> = diagnostics.into_iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Formatter::new(source, &file).file(&file))
}

struct Formatter<'a> {
    source: &'a str,
    comments: &'a [ast::Comment],
    /// Index of the next comment not yet printed.
    next_comment: usize,
    /// Width of the longest arm name in the current run of `arm` lines, so
    /// that their descriptions line up.
    arm_name_width: usize,
    out: String,
}

/// One line inside a block: its text without indentation, and its span in the source.
struct Line {
    text: String,
    span: Span,
}

impl<'a> Formatter<'a> {
    fn new(source: &'a str, file: &'a ast::File) -> Self {
        Formatter {
            source,
            comments: &file.comments,
            next_comment: 0,
            arm_name_width: 0,
            out: String::new(),
        }
    }

    fn text(&self, span: Span) -> &'a str {
        self.source.get(span.start..span.end).unwrap_or("")
    }

    /// A number as written, with any space after a unary minus removed.
    fn number(&self, span: Span) -> String {
        self.text(span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("")
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
        let lines: Vec<&str> = between.split('\n').collect();
        lines.len() >= 3
            && lines[1..lines.len() - 1]
                .iter()
                .any(|l| l.trim().is_empty())
    }

    /// Comments that start before `before`, printed on their own lines at `indent`.
    fn leading_comments(&mut self, before: usize, indent: &str) {
        let mut previous_end: Option<usize> = None;
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.span.start >= before {
                break;
            }
            if let Some(end) = previous_end {
                if self.blank_lines_between(end, comment.span.start) {
                    self.out.push('\n');
                }
            }
            self.out.push_str(indent);
            self.out.push_str(&self.comment_text(comment));
            self.out.push('\n');
            previous_end = Some(comment.span.end);
            self.next_comment += 1;
        }
        if let Some(end) = previous_end {
            if self.blank_lines_between(end, before) {
                self.out.push('\n');
            }
        }
    }

    /// A comment starting on the same source line after `end`, if any.
    fn trailing_comment(&mut self, end: usize) -> Option<String> {
        let comment = self.comments.get(self.next_comment)?;
        let between = self.source.get(end..comment.span.start)?;
        if between.contains('\n') {
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
            format!("///{}", comment.text)
        } else {
            format!("//{}", comment.text)
        }
    }

    fn file(mut self, file: &ast::File) -> String {
        let mut previous: Option<(&ast::Item, bool)> = None;
        for (index, item) in file.items.iter().enumerate() {
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
                    self.arm_name_width = 0;
                }
            }
            if let ast::ItemKind::Arm(_) = item.kind {
                if self.arm_name_width == 0 {
                    self.arm_name_width = arm_run_width(&file.items[index..], self.source);
                }
            }
            self.leading_comments(item.span.start, "");
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
            self.leading_comments(usize::MAX, "");
        }
        self.out
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
                self.single(line, item.span);
            }
            ast::ItemKind::Data(path) => {
                let line = format!("data {}", self.string(path));
                self.single(line, item.span);
            }
            ast::ItemKind::Arm(arm) => {
                let width = self.arm_name_width;
                let mut line = format!("arm {}", arm.name.node);
                if let Some(d) = &arm.description {
                    let pad = width.saturating_sub(arm.name.node.chars().count());
                    line.push_str(&" ".repeat(pad + 1));
                    line.push_str(&self.string(d));
                }
                if arm.reference.is_some() {
                    line.push_str(" reference");
                }
                self.single(line, item.span);
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
                // `recommend X` and `stop early` padded so that every `if` lines up.
                let heads: Vec<(String, String, Span)> = block
                    .rules
                    .iter()
                    .map(|r| {
                        let text = self.rule(&r.kind);
                        match text.split_once(" if ") {
                            Some((head, rest)) => (head.to_string(), format!("if {rest}"), r.span),
                            None => (text, String::new(), r.span),
                        }
                    })
                    .collect();
                let width = heads
                    .iter()
                    .filter(|(_, rest, _)| !rest.is_empty())
                    .map(|(head, _, _)| head.chars().count())
                    .max()
                    .unwrap_or(0);
                let lines = heads
                    .into_iter()
                    .map(|(head, rest, span)| Line {
                        text: if rest.is_empty() {
                            head
                        } else {
                            format!("{head:width$} {rest}")
                        },
                        span,
                    })
                    .collect();
                self.block("decide", lines, item.span);
            }
        }
    }

    fn single(&mut self, line: String, span: Span) {
        self.out.push_str(&line);
        if let Some(comment) = self.trailing_comment(span.end) {
            self.out.push_str("  ");
            self.out.push_str(&comment);
        }
        self.out.push('\n');
    }

    fn block(&mut self, header: &str, lines: Vec<Line>, span: Span) {
        self.out.push_str(header);
        self.out.push_str(" {");
        // A comment after the opening brace stays there.
        let brace = self
            .text(span)
            .find('{')
            .map(|i| span.start + i + 1)
            .unwrap_or(span.start);
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
            self.leading_comments(line.span.start, "  ");
            self.out.push_str("  ");
            self.out.push_str(line.text.trim_end());
            if let Some(comment) = self.trailing_comment(line.span.end) {
                self.out.push_str("  ");
                self.out.push_str(&comment);
            }
            self.out.push('\n');
            previous_end = Some(line.span.end);
        }
        // Comments before the closing brace.
        let close = span.end.saturating_sub(1);
        self.leading_comments(close, "  ");
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

    /// `[0, 10]` normalized from the written bounds: numbers as written, one space after the comma.
    fn bracketed(&self, span: Span) -> String {
        // The span may or may not include the `in` keyword: take what is between the brackets.
        let text = self.text(span);
        let open = text.find('[').map(|i| i + 1).unwrap_or(0);
        let close = text.rfind(']').filter(|&i| i >= open).unwrap_or(text.len());
        let inner = &text[open..close];
        let parts: Vec<String> = inner
            .split(',')
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(""))
            .collect();
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

    fn rule(&self, kind: &ast::RuleKind) -> String {
        match kind {
            ast::RuleKind::Recommend { arm, condition } => {
                format!("recommend {} if {}", arm.node, self.condition(condition))
            }
            ast::RuleKind::StopEarly { condition, after } => {
                let mut text = format!("stop early if {}", self.condition(condition));
                if let Some(n) = after {
                    text.push_str(&format!(
                        " after {} period{}",
                        n.node,
                        if n.node == 1 { "" } else { "s" }
                    ));
                }
                text
            }
            ast::RuleKind::Otherwise => "otherwise inconclusive".into(),
        }
    }

    fn condition(&self, c: &ast::Condition) -> String {
        let arm = c
            .arm
            .as_ref()
            .map(|a| format!(" of {}", a.node))
            .unwrap_or_default();
        let threshold = match c.threshold.node {
            ast::Threshold::Value(_) => self.number(c.threshold.span),
            ast::Threshold::Mcid { negative: true } => "-mcid".into(),
            ast::Threshold::Mcid { negative: false } => "mcid".into(),
        };
        format!(
            "P(effect{arm} on {} {} {threshold}) {} {}",
            c.outcome.node,
            comparison(c.comparison.node),
            comparison(c.probability_comparison.node),
            self.number(c.probability.span)
        )
    }
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
            | ast::ItemKind::Hypotheses(_)
            | ast::ItemKind::Data(_)
            | ast::ItemKind::Arm(_)
            | ast::ItemKind::PriorPreset(_)
    )
}

/// The longest arm name among consecutive `arm` items (no blank line between).
fn arm_run_width(items: &[ast::Item], source: &str) -> usize {
    let mut width = 0;
    for (i, item) in items.iter().enumerate() {
        let ast::ItemKind::Arm(arm) = &item.kind else {
            break;
        };
        if i > 0 {
            let between = source
                .get(items[i - 1].span.end..item.span.start)
                .unwrap_or("");
            let lines: Vec<&str> = between.split('\n').collect();
            if lines.len() >= 3
                && lines[1..lines.len() - 1]
                    .iter()
                    .any(|l| l.trim().is_empty())
            {
                break;
            }
        }
        width = width.max(arm.name.node.chars().count());
    }
    width
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
                format!("{key:width$}  {value}")
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
            text: format!("{left:width$} {right}"),
            span,
        })
        .collect()
}
