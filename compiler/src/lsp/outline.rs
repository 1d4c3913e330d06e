//! The shape of a spec: document symbols, folding ranges, semantic tokens.

use std::collections::HashMap;

use lsp_types as lsp;

use crate::diagnostic::Span;
use crate::syntax::{ast, lexer};

use super::analysis::{Kind, Role};
use super::Ctx;

// ---------------------------------------------------------------- symbols

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written
fn symbol(
    cx: &Ctx<'_>,
    name: String,
    detail: Option<String>,
    kind: lsp::SymbolKind,
    span: Span,
    selection: Span,
    children: Vec<lsp::DocumentSymbol>,
) -> lsp::DocumentSymbol {
    lsp::DocumentSymbol {
        name: if name.is_empty() { "?".into() } else { name },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: cx.range(span),
        selection_range: cx.range(selection),
        children: (!children.is_empty()).then_some(children),
    }
}

fn first_word(cx: &Ctx<'_>, span: Span) -> Span {
    let text = cx.a.slice(span);
    let len = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    Span::new(span.start, span.start + len)
}

pub fn symbols(cx: &Ctx<'_>) -> Vec<lsp::DocumentSymbol> {
    use lsp::SymbolKind as K;
    let a = cx.a;
    let mut out = Vec::new();
    for item in &a.ast.items {
        let s = item.span;
        let head = first_word(cx, s);
        let line = |span: Span| {
            a.slice(span)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let sym = match &item.kind {
            ast::ItemKind::Use(u) => symbol(
                cx,
                line(s),
                None,
                K::PACKAGE,
                s,
                u.path.last().map_or(head, |p| p.span),
                vec![],
            ),
            ast::ItemKind::Trial(t) => symbol(
                cx,
                format!("trial \"{}\"", t.id.node),
                t.fields
                    .iter()
                    .find(|f| f.key.node == "title")
                    .map(|f| f.value.node.clone()),
                K::MODULE,
                s,
                t.id.span,
                t.fields
                    .iter()
                    .map(|f| {
                        symbol(
                            cx,
                            f.key.node.clone(),
                            Some(f.value.node.clone()),
                            K::FIELD,
                            f.key.span.to(f.value.span),
                            f.key.span,
                            vec![],
                        )
                    })
                    .collect(),
            ),
            ast::ItemKind::Hypotheses(h) => symbol(
                cx,
                h.name.node.clone(),
                Some(format!("hypotheses from \"{}\"", h.path.node)),
                K::NAMESPACE,
                s,
                h.name.span,
                vec![],
            ),
            ast::ItemKind::Data(d) => symbol(
                cx,
                "data".into(),
                Some(d.node.clone()),
                K::FILE,
                s,
                head,
                vec![],
            ),
            ast::ItemKind::Simulate(_) => {
                symbol(cx, "simulate".into(), None, K::OBJECT, s, head, vec![])
            }
            ast::ItemKind::Arm(arm) => symbol(
                cx,
                arm.name.node.clone(),
                Some(format!(
                    "arm{}{}",
                    arm.description
                        .as_ref()
                        .map_or(String::new(), |d| format!(": {}", d.node)),
                    if arm.reference.is_some() {
                        " (reference)"
                    } else {
                        ""
                    }
                )),
                K::ENUM_MEMBER,
                s,
                arm.name.span,
                vec![],
            ),
            ast::ItemKind::Schedule(block) => symbol(
                cx,
                "schedule".into(),
                block.from.as_ref().map(|f| format!("from {}", f.node)),
                K::STRUCT,
                s,
                head,
                fields(cx, &block.fields),
            ),
            ast::ItemKind::Design(d) => symbol(
                cx,
                d.name.node.clone(),
                Some("design".into()),
                K::STRUCT,
                s,
                d.name.span,
                fields(cx, &d.fields),
            ),
            ast::ItemKind::PriorPreset(p) => symbol(
                cx,
                p.name.node.clone(),
                Some(format!("prior = {}", super::hover::prior_text(&p.prior))),
                K::CONSTANT,
                s,
                p.name.span,
                vec![],
            ),
            ast::ItemKind::Outcome(o) => symbol(
                cx,
                o.name.node.clone(),
                o.description.as_ref().map(|d| d.node.clone()),
                K::PROPERTY,
                s,
                o.name.span,
                o.fields
                    .iter()
                    .map(|f| {
                        symbol(
                            cx,
                            line(f.span),
                            None,
                            K::FIELD,
                            f.span,
                            first_word(cx, f.span),
                            vec![],
                        )
                    })
                    .collect(),
            ),
            ast::ItemKind::Model(m) => symbol(
                cx,
                format!("model {}", m.outcome.node),
                None,
                K::FUNCTION,
                s,
                m.outcome.span,
                m.statements
                    .iter()
                    .map(|st| {
                        symbol(
                            cx,
                            line(st.span),
                            None,
                            K::FIELD,
                            st.span,
                            first_word(cx, st.span),
                            vec![],
                        )
                    })
                    .collect(),
            ),
            ast::ItemKind::Decide(d) => symbol(
                cx,
                "decide".into(),
                None,
                K::EVENT,
                s,
                head,
                d.rules
                    .iter()
                    .map(|r| {
                        let name = match &r.kind {
                            ast::RuleKind::Recommend { arm, .. } => {
                                format!("recommend {}", arm.node)
                            }
                            ast::RuleKind::StopEarly { .. } => "stop early".into(),
                            ast::RuleKind::Otherwise => "otherwise inconclusive".into(),
                        };
                        symbol(
                            cx,
                            name,
                            None,
                            K::EVENT,
                            r.span,
                            first_word(cx, r.span),
                            vec![],
                        )
                    })
                    .collect(),
            ),
            ast::ItemKind::Report(r) => symbol(
                cx,
                "report".into(),
                None,
                K::OBJECT,
                s,
                head,
                r.entries
                    .iter()
                    .map(|e| {
                        symbol(
                            cx,
                            line(e.span),
                            None,
                            K::FIELD,
                            e.span,
                            first_word(cx, e.span),
                            vec![],
                        )
                    })
                    .collect(),
            ),
        };
        out.push(sym);
    }
    out
}

fn fields(cx: &Ctx<'_>, fields: &[ast::ScheduleField]) -> Vec<lsp::DocumentSymbol> {
    fields
        .iter()
        .map(|f| {
            let text = cx.a.slice(f.span).trim().to_string();
            symbol(
                cx,
                text,
                None,
                lsp::SymbolKind::FIELD,
                f.span,
                first_word(cx, f.span),
                vec![],
            )
        })
        .collect()
}

// ---------------------------------------------------------------- folding

pub fn folding(cx: &Ctx<'_>) -> Vec<lsp::FoldingRange> {
    let a = cx.a;
    let line = |offset: usize| a.index.line_of(offset) as u32;
    let mut out = Vec::new();
    let mut fold = |start: u32, end: u32, kind: Option<lsp::FoldingRangeKind>| {
        if end > start {
            out.push(lsp::FoldingRange {
                start_line: start,
                end_line: end,
                kind,
                ..Default::default()
            });
        }
    };
    // Blocks: from the item's first line to the line before its closing brace.
    for item in &a.ast.items {
        let (first, last) = (line(item.span.start), line(item.span.end.saturating_sub(1)));
        if last > first {
            let closes_alone = a.slice(item.span).ends_with('}')
                && a.text
                    .get(a.index.line_range(&a.text, last as usize))
                    .is_some_and(|l| l.trim() == "}");
            fold(first, if closes_alone { last - 1 } else { last }, None);
        }
    }
    // Runs of comment lines and of `use` lines.
    let mut run: Option<(u32, u32, bool)> = None; // (first, last, is_use)
    let flush = |run: &mut Option<(u32, u32, bool)>,
                 fold: &mut dyn FnMut(u32, u32, Option<lsp::FoldingRangeKind>)| {
        if let Some((first, last, is_use)) = run.take() {
            let kind = if is_use {
                lsp::FoldingRangeKind::Imports
            } else {
                lsp::FoldingRangeKind::Comment
            };
            fold(first, last, Some(kind));
        }
    };
    let mut spans: Vec<(u32, bool)> = a
        .ast
        .comments
        .iter()
        .map(|c| (line(c.span.start), false))
        .collect();
    for item in &a.ast.items {
        if matches!(item.kind, ast::ItemKind::Use(_)) {
            spans.push((line(item.span.start), true));
        }
    }
    spans.sort_unstable();
    for (l, is_use) in spans {
        match run {
            Some((first, last, u)) if u == is_use && l <= last + 1 => run = Some((first, l, u)),
            _ => {
                flush(&mut run, &mut fold);
                run = Some((l, l, is_use));
            }
        }
    }
    flush(&mut run, &mut fold);
    out
}

// ---------------------------------------------------------------- tokens

const TYPES: &[lsp::SemanticTokenType] = &[
    lsp::SemanticTokenType::KEYWORD,
    lsp::SemanticTokenType::STRING,
    lsp::SemanticTokenType::NUMBER,
    lsp::SemanticTokenType::COMMENT,
    lsp::SemanticTokenType::OPERATOR,
    lsp::SemanticTokenType::ENUM_MEMBER, // arm
    lsp::SemanticTokenType::PROPERTY,    // outcome
    lsp::SemanticTokenType::NAMESPACE,   // hypotheses source
    lsp::SemanticTokenType::VARIABLE,    // hypothesis, preset
    lsp::SemanticTokenType::TYPE,        // design
    lsp::SemanticTokenType::FUNCTION,    // distribution
    lsp::SemanticTokenType::PARAMETER,   // errors parameter
];

const MODIFIERS: &[lsp::SemanticTokenModifier] = &[
    lsp::SemanticTokenModifier::DECLARATION,
    lsp::SemanticTokenModifier::READONLY,
    lsp::SemanticTokenModifier::DOCUMENTATION,
    lsp::SemanticTokenModifier::DEFAULT_LIBRARY,
];

const DECLARATION: u32 = 1;
const READONLY: u32 = 2;
const DOCUMENTATION: u32 = 4;
const DEFAULT_LIBRARY: u32 = 8;

fn type_index(t: &lsp::SemanticTokenType) -> u32 {
    TYPES.iter().position(|x| x == t).unwrap_or(0) as u32
}

pub fn legend() -> lsp::SemanticTokensLegend {
    lsp::SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: MODIFIERS.to_vec(),
    }
}

/// Names whose class the AST knows: by span start, (type, modifiers).
fn classified(cx: &Ctx<'_>) -> HashMap<usize, (u32, u32)> {
    use lsp::SemanticTokenType as T;
    let a = cx.a;
    let mut map = HashMap::new();
    for o in &a.occurrences {
        let t = match o.kind {
            Kind::Arm => T::ENUM_MEMBER,
            Kind::Outcome => T::PROPERTY,
            Kind::Source => T::NAMESPACE,
            Kind::Hypothesis | Kind::Preset => T::VARIABLE,
            Kind::Design => T::TYPE,
        };
        let mut m = match o.role {
            Role::Def => DECLARATION,
            _ => 0,
        };
        if o.kind == Kind::Preset {
            m |= READONLY;
        }
        if matches!(o.kind, Kind::Preset | Kind::Design) && a.declaration(o.kind, &o.name).is_none()
        {
            m |= DEFAULT_LIBRARY;
        }
        map.insert(o.span.start, (type_index(&t), m));
    }
    fn prior(p: &ast::Prior, map: &mut HashMap<usize, (u32, u32)>) {
        match &p.kind {
            ast::PriorKind::Distribution { name, .. } => {
                map.insert(
                    name.span.start,
                    (
                        type_index(&lsp::SemanticTokenType::FUNCTION),
                        DEFAULT_LIBRARY,
                    ),
                );
            }
            ast::PriorKind::Mixture(parts) => parts.iter().for_each(|c| prior(&c.prior, map)),
            ast::PriorKind::Hypothesis { vague: Some(v), .. } => prior(v, map),
            _ => {}
        }
    }
    for p in super::analysis::all_priors(&a.ast) {
        prior(p, &mut map);
    }
    for item in &a.ast.items {
        if let ast::ItemKind::Model(m) = &item.kind {
            for s in &m.statements {
                if let ast::ModelStatementKind::Errors { params, .. } = &s.kind {
                    for p in params {
                        map.insert(
                            p.name.span.start,
                            (type_index(&lsp::SemanticTokenType::PARAMETER), 0),
                        );
                    }
                }
            }
        }
    }
    map
}

pub fn semantic_tokens(cx: &Ctx<'_>) -> lsp::SemanticTokens {
    use lexer::Token as L;
    use lsp::SemanticTokenType as T;
    let a = cx.a;
    let names = classified(cx);
    let mut data = Vec::new();
    let (mut last_line, mut last_start) = (0u32, 0u32);
    for t in &a.tokens {
        let text = a.slice(t.span);
        let (kind, mods) = match t.token {
            L::Comment => (
                type_index(&T::COMMENT),
                if text.starts_with("///") {
                    DOCUMENTATION
                } else {
                    0
                },
            ),
            L::Str(_) => (type_index(&T::STRING), 0),
            L::Number | L::Date => (type_index(&T::NUMBER), 0),
            L::Tilde
            | L::Eq
            | L::Less
            | L::LessEq
            | L::Greater
            | L::GreaterEq
            | L::Minus
            | L::Star
            | L::DotDot => (type_index(&T::OPERATOR), 0),
            L::Ident => match names.get(&t.span.start) {
                Some(&c) => c,
                None if lexer::KEYWORDS.contains(&text) => (type_index(&T::KEYWORD), 0),
                None => continue,
            },
            _ => continue,
        };
        let start = cx.range(t.span);
        if start.start.line != start.end.line {
            continue;
        }
        let (line, col) = (start.start.line, start.start.character);
        let delta_line = line - last_line;
        let delta_start = if delta_line == 0 {
            col - last_start
        } else {
            col
        };
        data.push(lsp::SemanticToken {
            delta_line,
            delta_start,
            length: start.end.character - col,
            token_type: kind,
            token_modifiers_bitset: mods,
        });
        last_line = line;
        last_start = col;
    }
    lsp::SemanticTokens {
        result_id: None,
        data,
    }
}
