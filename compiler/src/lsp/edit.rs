//! Edits the server proposes: formatting (`format.rs`, block by block in a
//! Markdown protocol), quick fixes for diagnostics, and inlay hints.

use std::collections::HashMap;

use lsp_types as lsp;
use trialc_runtime::fmt::num;

use crate::codes;
use crate::diagnostic::{Diagnostic, Span};
use crate::format;
use crate::source::FileId;
use crate::syntax::ast;

use super::analysis::{self, Analysis};
use super::{convert, hover, text, Ctx};

// ---------------------------------------------------------------- formatting

/// The edits that lay the document out canonically; `None` when it does not
/// parse (the formatter refuses rather than guess) or is already laid out.
pub fn format(cx: &Ctx<'_>) -> Option<Vec<lsp::TextEdit>> {
    let a = cx.a;
    let parts: Vec<Span> = if a.markdown {
        text::trial_blocks(&a.text)
            .into_iter()
            .map(|r| Span::new(r.start, r.end))
            .collect()
    } else {
        vec![Span::new(0, a.text.len())]
    };
    let mut edits = Vec::new();
    for part in parts {
        let old = &a.text[part.range()];
        let Ok(new) = format::format(old) else {
            continue;
        };
        if new != old {
            edits.push(lsp::TextEdit::new(cx.range(part), new));
        }
    }
    (!edits.is_empty()).then_some(edits)
}

// ---------------------------------------------------------------- quick fixes

struct Fix {
    title: String,
    edits: Vec<(Span, String)>,
    preferred: bool,
}

/// The name a "did you mean `X`?" help suggests.
pub fn did_you_mean(help: &str) -> Option<&str> {
    let rest = help.strip_prefix("did you mean `")?;
    let end = rest.find('`')?;
    Some(&rest[..end])
}

fn fixes(a: &Analysis, d: &Diagnostic) -> Vec<Fix> {
    let Some(primary) = d.labels.iter().find(|l| l.primary) else {
        return Vec::new();
    };
    let span = primary.span;
    let written = a.text.get(span.range()).unwrap_or("");
    let mut out = Vec::new();
    if let Some(name) = d.help.as_deref().and_then(did_you_mean) {
        let one_word = !written.is_empty() && !written.contains(char::is_whitespace);
        if one_word && written != name {
            out.push(Fix {
                title: format!("Replace `{written}` with `{name}`"),
                edits: vec![(span, name.to_string())],
                preferred: true,
            });
        }
    }
    let line_of = |offset: usize| {
        let line = a.index.line_of(offset);
        let r = a.index.line_range(&a.text, line);
        let next = a.index.line_range(&a.text, line + 1).start.max(r.end);
        (r, next)
    };
    match d.code {
        c if c == codes::E0106.as_str() && d.message == "duration without a unit" => {
            for unit in ["days", "weeks"] {
                out.push(Fix {
                    title: format!("Write `{written} {unit}`"),
                    edits: vec![(Span::new(span.end, span.end), format!(" {unit}"))],
                    preferred: unit == "days",
                });
            }
        }
        c if c == codes::W0601.as_str() => {
            let decide = a.ast.items.iter().find(|i| {
                matches!(i.kind, ast::ItemKind::Decide(_))
                    && i.span.start <= span.start
                    && span.end <= i.span.end
            });
            if let Some(item) = decide.filter(|i| a.text[i.span.range()].ends_with('}')) {
                let close = item.span.end - 1;
                let (line, _) = line_of(close);
                let indent = "  ";
                let edit = if a.text[line.start..close].trim().is_empty() {
                    (
                        Span::new(line.start, line.start),
                        format!("{indent}otherwise inconclusive\n"),
                    )
                } else {
                    (
                        Span::new(close, close),
                        "\n  otherwise inconclusive\n".to_string(),
                    )
                };
                out.push(Fix {
                    title: "Add `otherwise inconclusive`".into(),
                    edits: vec![edit],
                    preferred: true,
                });
            }
        }
        c if c == codes::E0302.as_str() => {
            for item in &a.ast.items {
                if let ast::ItemKind::Arm(arm) = &item.kind {
                    out.push(Fix {
                        title: format!("Make `{}` the reference arm", arm.name.node),
                        edits: vec![(Span::new(item.span.end, item.span.end), " reference".into())],
                        preferred: false,
                    });
                }
            }
        }
        c if c == codes::E0208.as_str() || c == codes::W0303.as_str() => {
            let (line, next) = line_of(span.start);
            let line_text = &a.text[line.clone()];
            let field_alone = line_text.trim_start().starts_with(written.trim())
                && a.ast
                    .items
                    .iter()
                    .all(|i| i.span.start < line.start || i.span.start >= next);
            if field_alone && !written.is_empty() {
                let what = if c == codes::W0303.as_str() {
                    "Remove the unused seed".to_string()
                } else {
                    format!(
                        "Remove this `{}`",
                        written.split_whitespace().next().unwrap_or(written)
                    )
                };
                out.push(Fix {
                    title: what,
                    edits: vec![(Span::new(line.start, next), String::new())],
                    preferred: false,
                });
            }
        }
        _ => {}
    }
    out
}

#[allow(clippy::mutable_key_type)] // `WorkspaceEdit::changes` is keyed by `Uri`
pub fn code_actions(
    cx: &Ctx<'_>,
    start: usize,
    end: usize,
    code_docs: &str,
) -> Vec<lsp::CodeActionOrCommand> {
    let a = cx.a;
    let converted = convert::diagnostics(a, cx.uri, cx.encoding, code_docs)
        .remove(cx.uri)
        .unwrap_or_default();
    let own = a
        .diagnostics
        .iter()
        .filter(|d| d.primary_file().unwrap_or_default() == FileId(0));
    let mut out = Vec::new();
    for (d, lsp_d) in own.zip(converted) {
        let Some(span) = d.primary_span() else {
            continue;
        };
        if span.end < start || span.start > end {
            continue;
        }
        for fix in fixes(a, d) {
            let edits: Vec<lsp::TextEdit> = fix
                .edits
                .iter()
                .map(|(s, t)| lsp::TextEdit::new(cx.range(*s), t.clone()))
                .collect();
            let Ok(uri) = cx.uri.parse::<lsp::Uri>() else {
                continue;
            };
            out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: fix.title,
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp_d.clone()]),
                edit: Some(lsp::WorkspaceEdit {
                    changes: Some(HashMap::from([(uri, edits)])),
                    ..Default::default()
                }),
                is_preferred: Some(fix.preferred),
                ..Default::default()
            }));
        }
    }
    out
}

// ---------------------------------------------------------------- inlay hints

fn hint(cx: &Ctx<'_>, at: usize, label: String) -> lsp::InlayHint {
    lsp::InlayHint {
        position: cx.range(Span::new(at, at)).start,
        label: lsp::InlayHintLabel::String(label),
        kind: None,
        text_edits: None,
        tooltip: None,
        padding_left: Some(true),
        padding_right: None,
        data: None,
    }
}

/// Derived facts: a period's days, durations in weeks as days, cycles as
/// periods, a tempered LFM prior's components.
pub fn inlay_hints(cx: &Ctx<'_>, start: usize, end: usize) -> Vec<lsp::InlayHint> {
    let a = cx.a;
    let mut out = Vec::new();
    let facts = a.schedule();
    for item in &a.ast.items {
        if item.span.end < start || item.span.start > end {
            continue;
        }
        let fields = match &item.kind {
            ast::ItemKind::Schedule(block) => &block.fields,
            ast::ItemKind::Design(design) => &design.fields,
            _ => continue,
        };
        let in_schedule = matches!(item.kind, ast::ItemKind::Schedule(_));
        for field in fields {
            use ast::ScheduleFieldKind as F;
            let days = |d: &ast::Duration| {
                d.unit
                    .as_ref()
                    .map(|u| d.amount.node.saturating_mul(u.node.days()))
            };
            let weeks = |d: &ast::Duration| {
                d.unit
                    .as_ref()
                    .is_some_and(|u| u.node == ast::TimeUnit::Weeks)
            };
            let label = match &field.kind {
                F::Period(d) => {
                    let mut parts = Vec::new();
                    if weeks(d) {
                        parts.push(format!("= {} days", days(d).unwrap_or(0)));
                    }
                    if let Some(f) = facts.filter(|_| in_schedule) {
                        let s = &f.schedule;
                        if let (Some(first), Some(last)) = (s.periods.first(), s.periods.last()) {
                            parts.push(format!(
                                "× {} periods: days {}–{}",
                                s.periods.len(),
                                first.first_day,
                                last.last_day
                            ));
                        }
                    }
                    parts.join(" ")
                }
                F::RunIn(d) | F::Washout(d) if weeks(d) => {
                    format!("= {} days", days(d).unwrap_or(0))
                }
                F::Cycles(_) => match facts.filter(|_| in_schedule) {
                    Some(f) => format!("= {} periods", f.schedule.periods.len()),
                    None => String::new(),
                },
                _ => String::new(),
            };
            if !label.is_empty() {
                out.push(hint(cx, field.span.end, label));
            }
        }
    }
    for p in analysis::all_priors(&a.ast) {
        if p.span.end < start || p.span.start > end {
            continue;
        }
        if !matches!(p.kind, ast::PriorKind::Hypothesis { .. }) {
            continue;
        }
        let Ok(flat) = hover::flatten(a, p) else {
            continue;
        };
        let Some(t) = flat.tempered.first() else {
            continue;
        };
        let keep = if t.robust > 0.0 { 1.0 - t.robust } else { 1.0 };
        let mut parts: Vec<String> = t
            .informative
            .iter()
            .map(|(w, d)| weighted(keep * w, d))
            .collect();
        if t.robust > 0.0 {
            match &t.vague {
                Some(v) => parts.extend(v.iter().map(|(w, d)| weighted(t.robust * w, d))),
                None => parts.push(format!("{} × normal(0, U)", num(t.robust))),
            }
        }
        out.push(hint(cx, p.span.end, format!("= {}", parts.join(" + "))));
    }
    out
}

fn weighted(w: f64, d: &trialc_runtime::mir::Dist) -> String {
    let text = format!(
        "{}({})",
        d.name(),
        d.args()
            .iter()
            .map(|v| num(*v))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if (w - 1.0).abs() < 1e-12 {
        text
    } else {
        format!("{} × {text}", num(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_takes_the_name() {
        assert_eq!(did_you_mean("did you mean `placebo`?"), Some("placebo"));
        assert_eq!(
            did_you_mean("did you mean `lfm.H1`? A mapping's text must be"),
            Some("lfm.H1")
        );
        assert_eq!(did_you_mean("the declared arms are `a`"), None);
    }
}
