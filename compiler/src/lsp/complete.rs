//! Completion: the keywords the grammar allows where the cursor is, arm and
//! outcome names, distributions with their parameters as snippets (from the
//! runtime's distribution table), prior presets and designs (the standard
//! library's with the `use` they need), hypothesis ids read from the JSON
//! file a source names.
//!
//! The context is read from the tokens before the cursor (the block they
//! are in, the open parenthesis, the tokens of the current line), so it
//! works on the half-typed text it is asked about.

use lsp_types as lsp;
use trialc_runtime::fmt::num;
use trialc_runtime::mir::{DistSupport, DISTRIBUTIONS};

use crate::diagnostic::Span;
use crate::stdlib;
use crate::syntax::{self, ast, lexer};

use super::analysis::{Analysis, Kind};
use super::{text, Ctx};

const ITEM_KEYWORDS: &[&str] = &[
    "use",
    "trial",
    "hypotheses",
    "data",
    "arm",
    "schedule",
    "design",
    "prior",
    "outcome",
    "model",
    "decide",
    "report",
];

const SCHEDULE_FIELDS: &[(&str, &str, &str)] = &[
    ("start", "start ${1:2027-01-01}", "calendar date of day 1"),
    ("run_in", "run_in ${1:7} days", "baseline days before the first period"),
    ("period", "period ${1:14} days", "length of every period"),
    ("cycles", "cycles ${1:3}", "cycles of one period per arm"),
    ("periods", "periods ${1:6}", "number of periods"),
    ("sequence", "sequence ${1|randomized pairs,randomized blocks,alternating,counterbalanced,fixed \"ABBA\"|}", "sequence design"),
    ("max_run", "max_run ${1:2}", "longest run of periods on one arm"),
    ("washout", "washout ${1:3} days", "days not analysed after a switch"),
    ("carryover", "carryover modelled", "carryover terms in the model"),
    ("blinding", "blinding ${1|double,single,open|}", "who knows the allocation"),
    ("seed", "seed ${1:1}", "randomization seed"),
];

const OUTCOME_FIELDS: &[(&str, &str, &str)] = &[
    ("type", "type ${1|continuous,continuous in [0\\, 10],binary,count,count overdispersed,ordinal 1..5|}", "likelihood and effect scale"),
    ("measured", "measured ${1|daily,weekly,per period,on days [1]|}", "when it is recorded"),
    ("better", "better ${1|lower,higher|}", "direction of benefit"),
    ("mcid", "mcid ${1:1.0}", "minimal clinically important difference"),
    ("unit", "unit \"${1:points}\"", "unit in the report"),
    ("primary", "primary", "the primary outcome"),
    ("secondary", "secondary", "a secondary outcome"),
];

/// What the cursor is in.
struct Place<'a> {
    /// The block (`schedule`, `outcome`, …), `None` at the top level.
    block: Option<&'a str>,
    /// The item being written at the top level (its first keyword).
    item: Option<&'a str>,
    /// The word before the innermost open parenthesis, and the tokens after it.
    paren: Option<(&'a str, Vec<&'a str>)>,
    /// Tokens of the current line before the word being typed.
    line: Vec<&'a str>,
    /// The significant tokens before the word, last first.
    back: Vec<&'a str>,
}

impl Place<'_> {
    fn prev(&self) -> Option<&str> {
        self.back.first().copied()
    }
    fn prev2(&self) -> Option<&str> {
        self.back.get(1).copied()
    }
}

fn place<'a>(a: &'a Analysis, word_start: usize) -> Place<'a> {
    let tokens: Vec<&lexer::Lexeme> = a
        .tokens
        .iter()
        .filter(|t| t.span.end <= word_start && t.token != lexer::Token::Comment)
        .collect();
    let mut block = None;
    let mut item = None;
    let mut depth = 0usize;
    let mut parens: Vec<(usize, &str)> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let text = a.slice(t.span);
        match t.token {
            lexer::Token::LBrace => {
                if depth == 0 {
                    block = item;
                }
                depth += 1;
                parens.clear();
            }
            lexer::Token::RBrace => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    block = None;
                    item = None;
                }
                parens.clear();
            }
            lexer::Token::LParen => {
                let owner = i.checked_sub(1).map_or("", |j| a.slice(tokens[j].span));
                parens.push((i + 1, owner));
            }
            lexer::Token::RParen => {
                parens.pop();
            }
            lexer::Token::Ident if depth == 0 && ITEM_KEYWORDS.contains(&text) => {
                // `schedule from design` names a design, not a new item.
                let naming = i
                    .checked_sub(1)
                    .map(|j| a.slice(tokens[j].span))
                    .is_some_and(|p| {
                        matches!(p, "from" | "model" | "arm" | "prior" | "hypotheses" | ".")
                    });
                if !naming {
                    item = Some(text);
                }
            }
            _ => {}
        }
    }
    let paren = parens.last().map(|&(from, owner)| {
        (
            owner,
            tokens[from.min(tokens.len())..]
                .iter()
                .map(|t| a.slice(t.span))
                .collect(),
        )
    });
    let line_no = a.index.line_of(word_start);
    let line = tokens
        .iter()
        .filter(|t| a.index.line_of(t.span.start) == line_no)
        .map(|t| a.slice(t.span))
        .collect();
    let back = tokens
        .iter()
        .rev()
        .take(8)
        .map(|t| a.slice(t.span))
        .collect();
    Place {
        block,
        item,
        paren,
        line,
        back,
    }
}

struct Items<'a> {
    cx: &'a Ctx<'a>,
    range: lsp::Range,
    out: Vec<lsp::CompletionItem>,
}

impl Items<'_> {
    fn push(
        &mut self,
        label: &str,
        kind: lsp::CompletionItemKind,
        detail: Option<String>,
        snippet: Option<&str>,
        doc: Option<String>,
    ) {
        let (text, format) = match snippet {
            Some(s) if self.cx.snippets => (s.to_string(), lsp::InsertTextFormat::SNIPPET),
            _ => (label.to_string(), lsp::InsertTextFormat::PLAIN_TEXT),
        };
        let sort = format!("{:04}", self.out.len());
        self.out.push(lsp::CompletionItem {
            label: label.to_string(),
            kind: Some(kind),
            detail,
            documentation: doc.map(|d| {
                lsp::Documentation::MarkupContent(lsp::MarkupContent {
                    kind: lsp::MarkupKind::Markdown,
                    value: d,
                })
            }),
            insert_text_format: Some(format),
            text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit::new(
                self.range, text,
            ))),
            sort_text: Some(sort),
            ..Default::default()
        });
    }

    fn keyword(&mut self, word: &str) {
        self.push(word, lsp::CompletionItemKind::KEYWORD, None, None, None);
    }

    fn keywords(&mut self, words: &[&str]) {
        for w in words {
            self.keyword(w);
        }
    }

    fn snippet(&mut self, label: &str, snippet: &str, detail: &str) {
        self.push(
            label,
            lsp::CompletionItemKind::SNIPPET,
            Some(detail.to_string()),
            Some(snippet),
            None,
        );
    }
}

pub fn complete(cx: &Ctx<'_>, offset: usize) -> Option<lsp::CompletionResponse> {
    let a = cx.a;
    let offset = offset.min(a.spec_text.len());
    if a.markdown
        && !text::trial_blocks(&a.text)
            .iter()
            .any(|b| b.start <= offset && offset <= b.end)
    {
        return None;
    }
    // Not inside a comment or a string.
    if a.tokens.iter().any(|t| {
        matches!(t.token, lexer::Token::Comment | lexer::Token::Str(_))
            && t.span.start < offset
            && (offset < t.span.end
                || (offset == t.span.end
                    && matches!(t.token, lexer::Token::Comment | lexer::Token::Str(false))))
    }) {
        return None;
    }
    let bytes = a.spec_text.as_bytes();
    let mut word_start = offset;
    while word_start > 0 {
        let prev = a.spec_text[..word_start].chars().next_back().unwrap_or(' ');
        if prev.is_alphanumeric() || prev == '_' {
            word_start -= prev.len_utf8();
        } else {
            break;
        }
    }
    // `-mcid`: the minus belongs to the word.
    if word_start > 0
        && bytes[word_start - 1] == b'-'
        && a.spec_text[word_start..offset].starts_with('m')
    {
        word_start -= 1;
    }
    let mut items = Items {
        cx,
        range: cx.range(Span::new(word_start, offset)),
        out: Vec::new(),
    };
    let p = place(a, word_start);
    fill(&mut items, a, &p, word_start);
    Some(lsp::CompletionResponse::List(lsp::CompletionList {
        is_incomplete: false,
        items: items.out,
    }))
}

fn arms(a: &Analysis, with_reference: bool) -> Vec<(String, String)> {
    a.ast
        .items
        .iter()
        .filter_map(|i| match &i.kind {
            ast::ItemKind::Arm(arm) if with_reference || arm.reference.is_none() => Some((
                arm.name.node.clone(),
                arm.description
                    .as_ref()
                    .map_or(String::new(), |d| d.node.clone()),
            )),
            _ => None,
        })
        .collect()
}

fn outcomes(a: &Analysis) -> Vec<(String, String)> {
    a.ast
        .items
        .iter()
        .filter_map(|i| match &i.kind {
            ast::ItemKind::Outcome(o) => Some((
                o.name.node.clone(),
                o.description
                    .as_ref()
                    .map_or(String::new(), |d| d.node.clone()),
            )),
            _ => None,
        })
        .collect()
}

fn push_arms(items: &mut Items<'_>, a: &Analysis, with_reference: bool) {
    for (name, description) in arms(a, with_reference) {
        items.push(
            &name,
            lsp::CompletionItemKind::ENUM_MEMBER,
            Some(description),
            None,
            None,
        );
    }
}

fn push_outcomes(items: &mut Items<'_>, a: &Analysis) {
    for (name, description) in outcomes(a) {
        items.push(
            &name,
            lsp::CompletionItemKind::PROPERTY,
            Some(description),
            None,
            None,
        );
    }
}

/// The names a standard-library module declares, with their doc comments.
fn stdlib_names(module: &str) -> Vec<(String, Option<String>)> {
    let Some(source) = stdlib::module(module) else {
        return Vec::new();
    };
    let (file, _) = syntax::parse(source);
    file.items
        .iter()
        .filter_map(|i| match &i.kind {
            ast::ItemKind::Design(d) => Some((d.name.node.clone(), i.doc.clone())),
            ast::ItemKind::PriorPreset(p) => Some((p.name.node.clone(), i.doc.clone())),
            _ => None,
        })
        .collect()
}

/// Whether `use` brings `name` of `module` (`designs`, `priors`) in.
fn imported(a: &Analysis, module: &str, name: &str) -> bool {
    a.ast.items.iter().any(|i| match &i.kind {
        ast::ItemKind::Use(u) => {
            u.path.get(1).is_some_and(|m| m.node == module)
                && (u.glob || u.path.get(2).is_some_and(|n| n.node == name))
        }
        _ => false,
    })
}

/// The edit that adds `use std.MODULE.NAME` at the top of the spec.
fn import_edit(cx: &Ctx<'_>, module: &str, name: &str) -> lsp::TextEdit {
    let a = cx.a;
    let at = if a.markdown {
        text::trial_blocks(&a.text).first().map_or(0, |b| b.start)
    } else {
        a.ast
            .items
            .iter()
            .filter(|i| matches!(i.kind, ast::ItemKind::Use(_)))
            .map(|i| {
                let line = a.index.line_of(i.span.end);
                a.index.line_range(&a.text, line + 1).start
            })
            .max()
            .unwrap_or(0)
    };
    lsp::TextEdit::new(
        cx.range(Span::new(at, at)),
        format!("use std.{module}.{name}\n"),
    )
}

/// Designs: the spec's own, imported ones, then the rest of the standard
/// library with the `use` they need.
fn push_designs(items: &mut Items<'_>, a: &Analysis) {
    for item in &a.ast.items {
        if let ast::ItemKind::Design(d) = &item.kind {
            items.push(
                &d.name.node,
                lsp::CompletionItemKind::STRUCT,
                Some("design".into()),
                None,
                item.doc.clone(),
            );
        }
    }
    for (name, doc) in stdlib_names("std.designs") {
        let has = imported(a, "designs", &name);
        items.push(
            &name,
            lsp::CompletionItemKind::STRUCT,
            Some(if has {
                "std.designs".into()
            } else {
                "std.designs (adds its `use`)".into()
            }),
            None,
            doc,
        );
        if !has {
            let edit = import_edit(items.cx, "designs", &name);
            if let Some(last) = items.out.last_mut() {
                last.additional_text_edits = Some(vec![edit]);
            }
        }
    }
}

/// What a prior is for, from the statement it is in.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    Real,
    Positive,
    Correlation,
    Cutpoints,
    Any,
}

fn target(p: &Place<'_>) -> Target {
    if let Some((owner, inner)) = &p.paren {
        if matches!(*owner, "ar1" | "independent") {
            // The parameter name before the last `~`.
            let name = inner.iter().rev().skip_while(|t| **t != "~").nth(1);
            return match name.copied() {
                Some("phi") => Target::Correlation,
                Some("sigma") => Target::Positive,
                _ => Target::Any,
            };
        }
    }
    match p.line.first().copied() {
        Some("effect" | "intercept" | "trend" | "carryover") => Target::Real,
        Some("dispersion") => Target::Positive,
        Some("cutpoints") => Target::Cutpoints,
        _ => Target::Any,
    }
}

fn push_priors(items: &mut Items<'_>, a: &Analysis, p: &Place<'_>) {
    let target = target(p);
    if target == Target::Real {
        for source in &a.sources {
            items.push(
                &format!("{}.", source.name),
                lsp::CompletionItemKind::MODULE,
                Some(format!(
                    "hypotheses from {}",
                    source.path.as_deref().unwrap_or("?")
                )),
                Some(&format!("{}.", source.name)),
                None,
            );
            if let Some(last) = items.out.last_mut() {
                last.command = Some(lsp::Command::new(
                    "suggest".into(),
                    "editor.action.triggerSuggest".into(),
                    None,
                ));
            }
        }
    }
    for info in DISTRIBUTIONS {
        let fits = match target {
            Target::Any => true,
            Target::Real => info.support == DistSupport::Real,
            Target::Positive => info.support == DistSupport::Positive,
            Target::Correlation => matches!(
                info.support,
                DistSupport::Between | DistSupport::UnitInterval
            ),
            Target::Cutpoints => info.support == DistSupport::OrderedCutpoints,
        };
        if !fits || (target != Target::Cutpoints && info.support == DistSupport::OrderedCutpoints) {
            continue;
        }
        let args: Vec<String> = info
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| format!("${{{}:{}}}", i + 1, p.name))
            .collect();
        let snippet = format!("{}({})", info.name, args.join(", "));
        let rules: Vec<String> = info
            .params
            .iter()
            .map(|p| format!("{} {}", p.name, p.rule.describe()))
            .collect();
        items.push(
            info.name,
            lsp::CompletionItemKind::FUNCTION,
            Some(info.signature()),
            Some(&snippet),
            Some(format!(
                "{}; support {}.",
                rules.join(", "),
                info.support.describe()
            )),
        );
    }
    if target != Target::Cutpoints {
        items.push(
            "mixture",
            lsp::CompletionItemKind::FUNCTION,
            Some("mixture(w: PRIOR, …)".into()),
            Some("mixture(${1:0.8}: ${2:normal(0, 1)}, ${3:0.2}: ${4:normal(0, 5)})"),
            Some("Weights in (0, 1) adding up to 1; marginalised, not sampled.".into()),
        );
        for item in &a.ast.items {
            if let ast::ItemKind::PriorPreset(preset) = &item.kind {
                items.push(
                    &preset.name.node,
                    lsp::CompletionItemKind::VARIABLE,
                    Some(format!(
                        "prior = {}",
                        super::hover::prior_text(&preset.prior)
                    )),
                    None,
                    item.doc.clone(),
                );
            }
        }
        let (std, _) = syntax::parse(stdlib::module("std.priors").unwrap_or(""));
        for item in &std.items {
            let ast::ItemKind::PriorPreset(preset) = &item.kind else {
                continue;
            };
            let name = &preset.name.node;
            let has = imported(a, "priors", name);
            items.push(
                name,
                lsp::CompletionItemKind::VARIABLE,
                Some(format!(
                    "std.priors: {}{}",
                    super::hover::prior_text(&preset.prior),
                    if has { "" } else { " (adds its `use`)" }
                )),
                None,
                item.doc.clone(),
            );
            if !has {
                let edit = import_edit(items.cx, "priors", name);
                if let Some(last) = items.out.last_mut() {
                    last.additional_text_edits = Some(vec![edit]);
                }
            }
        }
    }
}

fn push_hypotheses(items: &mut Items<'_>, a: &Analysis, source: &str) {
    let Some(file) = a.source(source).and_then(|s| s.file.as_ref()) else {
        return;
    };
    let mut ranked: Vec<_> = file.hypotheses.iter().collect();
    ranked.sort_by_key(|h| h.rank);
    for h in ranked {
        items.push(
            &h.id,
            lsp::CompletionItemKind::CONSTANT,
            Some(format!(
                "rank {}: {} on {}, effect {} (sd {})",
                h.rank,
                h.intervention,
                h.outcome,
                num(h.effect.mean),
                num(h.effect.sd)
            )),
            Some(&format!("{} discount ${{1:0.5}} robust ${{2:0.2}}", h.id)),
            h.rationale.clone(),
        );
    }
}

fn fill(items: &mut Items<'_>, a: &Analysis, p: &Place<'_>, word_start: usize) {
    let prev = p.prev();
    let prev2 = p.prev2();
    // `use std.MODULE.NAME`
    if p.line.first() == Some(&"use") && p.block.is_none() {
        match p.line.as_slice() {
            ["use"] => items.push(
                "std",
                lsp::CompletionItemKind::MODULE,
                None,
                Some("std."),
                None,
            ),
            ["use", "std", "."] => {
                items.keywords(&["designs", "priors"]);
            }
            ["use", "std", ".", module, "."] => {
                items.push(
                    "*",
                    lsp::CompletionItemKind::KEYWORD,
                    Some("every name".into()),
                    None,
                    None,
                );
                for (name, doc) in stdlib_names(&format!("std.{module}")) {
                    items.push(&name, lsp::CompletionItemKind::VALUE, None, None, doc);
                }
            }
            _ => {}
        }
        return;
    }
    // `SOURCE.` → hypothesis ids.
    if prev == Some(".") {
        if let Some(source) = prev2.filter(|s| a.source(s).is_some()) {
            push_hypotheses(items, a, source);
        }
        return;
    }
    // Inside `P(…)`.
    if let Some(("P", inner)) = &p.paren {
        quantity(items, a, inner, true);
        return;
    }
    // Inside `errors ar1(…)`.
    if let Some((owner @ ("ar1" | "independent"), inner)) = &p.paren {
        if prev == Some("~") {
            push_priors(items, a, p);
        } else if matches!(inner.last().copied(), None | Some(",")) {
            items.snippet(
                "sigma",
                "sigma ~ ${1:half_normal(2)}",
                "innovation or residual SD",
            );
            if *owner == "ar1" {
                items.snippet("phi", "phi ~ ${1:uniform(-1, 1)}", "autocorrelation");
            }
        }
        return;
    }
    if let Some(("mixture", _)) = &p.paren {
        if prev == Some(":") {
            push_priors(items, a, p);
        }
        return;
    }
    // A prior is expected.
    if prev == Some("~") || prev == Some("vague") || (prev == Some("=") && p.item == Some("prior"))
    {
        push_priors(items, a, p);
        return;
    }
    // After `SOURCE.ID …` of a hypothesis prior.
    if let Some(tilde) = p.line.iter().position(|t| *t == "~") {
        let rest = &p.line[tilde + 1..];
        if rest.len() >= 3 && rest[1] == "." && a.source(rest[0]).is_some() {
            for word in ["discount", "robust", "vague"] {
                if !rest.contains(&word) {
                    items.keyword(word);
                }
            }
            return;
        }
        if p.line.first() == Some(&"trend") && !p.line.contains(&"per") && prev == Some(")") {
            items.snippet("per", "per ${1:28} days", "the trend's time unit");
            return;
        }
    }
    match p.block {
        None => top_level(items, a, p, word_start),
        Some("trial") => {
            if p.line.is_empty() {
                items.keywords(&["title", "version", "sponsor", "registry"]);
            }
        }
        Some("hypotheses") => match (p.line.first().copied(), prev) {
            (None, _) => {
                items.snippet(
                    "intervention",
                    "intervention \"${1:text}\" is ${2:arm}",
                    "map the file's wording to an arm",
                );
                items.snippet(
                    "outcome",
                    "outcome \"${1:text}\" is ${2:outcome}",
                    "map the file's wording to an outcome",
                );
            }
            (Some("intervention"), Some("is")) => push_arms(items, a, true),
            (Some("outcome"), Some("is")) => push_outcomes(items, a),
            (Some(_), Some(s)) if s.starts_with('"') => items.keyword("is"),
            _ => {}
        },
        Some("schedule" | "design") => schedule(items, a, p),
        Some("outcome") => outcome(items, p),
        Some("model") => model(items, a, p),
        Some("decide") => decide(items, a, p),
        Some("report") => report(items, a, p),
        Some(_) => {}
    }
}

fn top_level(items: &mut Items<'_>, a: &Analysis, p: &Place<'_>, word_start: usize) {
    let prev = p.prev();
    match (p.item, prev) {
        (Some("schedule"), Some("from")) => push_designs(items, a),
        (Some("model"), Some("model")) => {
            let modelled: Vec<&str> = a
                .ast
                .items
                .iter()
                .filter_map(|i| match &i.kind {
                    ast::ItemKind::Model(m) => Some(m.outcome.node.as_str()),
                    _ => None,
                })
                .collect();
            for (name, description) in outcomes(a) {
                if !modelled.contains(&name.as_str()) {
                    items.push(
                        &name,
                        lsp::CompletionItemKind::PROPERTY,
                        Some(description),
                        None,
                        None,
                    );
                }
            }
        }
        (Some("arm"), Some(s)) if s.starts_with('"') && p.line.len() == 3 => {
            items.keyword("reference")
        }
        (Some("schedule"), Some("schedule")) => items.keyword("from"),
        (Some("hypotheses"), _) if p.line.len() == 2 => items.keyword("from"),
        _ if p.line.is_empty() || word_at_line_start(a, word_start) => item_snippets(items, a),
        _ => {}
    }
}

fn word_at_line_start(a: &Analysis, word_start: usize) -> bool {
    let line = a.index.line_of(word_start);
    let start = a.index.line_range(&a.text, line).start;
    a.spec_text[start..word_start].trim().is_empty()
}

fn item_snippets(items: &mut Items<'_>, a: &Analysis) {
    items.snippet(
        "use",
        "use std.${1|designs,priors|}.${2:*}",
        "import from the standard library",
    );
    items.snippet(
        "trial",
        "trial \"${1:id}\" {\n  title    \"${2:title}\"\n  version  \"${3:1.0.0}\"\n}",
        "trial metadata",
    );
    items.snippet(
        "hypotheses",
        "hypotheses ${1:lfm} from \"${2:hypotheses.json}\"",
        "LFM hypotheses file",
    );
    items.snippet("data", "data \"${1:diary.csv}\"", "the diary");
    items.snippet(
        "arm",
        "arm ${1:name} \"${2:description}\"",
        "a treatment condition",
    );
    items.snippet(
        "schedule",
        "schedule {\n  run_in    ${1:7} days\n  period    ${2:14} days\n  cycles    ${3:3}\n  sequence  ${4|randomized pairs,randomized blocks,alternating,counterbalanced|}\n  max_run   ${5:2}\n  washout   ${6:3} days\n  blinding  ${7|double,single,open|}\n  seed      ${8:1}\n}",
        "periods and their order",
    );
    items.snippet(
        "outcome",
        "outcome ${1:name} \"${2:description}\" {\n  type      ${3|continuous,binary,count,ordinal 1..5|}\n  measured  ${4|daily,weekly,per period|}\n  better    ${5|lower,higher|}\n  ${6|primary,secondary|}\n}",
        "what is measured",
    );
    let non_reference = arms(a, false);
    for (outcome, _) in outcomes(a) {
        let has_model = a.declaration(Kind::Outcome, &outcome).is_some()
            && a.ast
                .items
                .iter()
                .any(|i| matches!(&i.kind, ast::ItemKind::Model(m) if m.outcome.node == outcome));
        if has_model {
            continue;
        }
        let effects: String = non_reference
            .iter()
            .enumerate()
            .map(|(i, (arm, _))| format!("  effect {arm} ~ ${{{}:normal(0, 1)}}\n", i + 1))
            .collect();
        items.snippet(
            &format!("model {outcome}"),
            &format!("model {outcome} {{\n{effects}}}"),
            "the priors of this outcome's model",
        );
    }
    items.snippet(
        "model",
        "model ${1:outcome} {\n  $0\n}",
        "an outcome's priors",
    );
    items.snippet(
        "decide",
        "decide {\n  recommend ${1:arm} if P(effect of ${1:arm} on ${2:outcome} < -mcid) >= ${3:0.80}\n  otherwise inconclusive\n}",
        "decision rules",
    );
    items.snippet(
        "report",
        "report {\n  interval ${1:0.90}\n}",
        "how the report presents the posterior",
    );
    items.snippet(
        "design",
        "design ${1:name} {\n  $0\n}",
        "a named set of schedule fields",
    );
    items.snippet(
        "prior",
        "prior ${1:name} = ${2:normal(0, 1)}",
        "a prior preset",
    );
}

fn schedule(items: &mut Items<'_>, a: &Analysis, p: &Place<'_>) {
    let prev = p.prev();
    match (p.line.as_slice(), prev) {
        ([], _) => {
            for (label, snippet, detail) in SCHEDULE_FIELDS {
                items.snippet(label, snippet, detail);
            }
        }
        (["sequence"], _) => {
            items.keywords(&["randomized", "alternating", "counterbalanced"]);
            items.snippet(
                "fixed",
                "fixed \"${1:ABBA}\"",
                "a fixed pattern; letters name arms in declaration order",
            );
            let _ = a;
        }
        (["sequence", "randomized"], _) => items.keywords(&["pairs", "blocks"]),
        (["blinding"], _) => items.keywords(&["open", "single", "double"]),
        (["carryover"], _) => items.keyword("modelled"),
        ([field, _], _) if matches!(*field, "run_in" | "period" | "washout") => {
            items.keywords(&["days", "weeks"]);
        }
        _ => {}
    }
}

fn outcome(items: &mut Items<'_>, p: &Place<'_>) {
    match p.line.as_slice() {
        [] => {
            for (label, snippet, detail) in OUTCOME_FIELDS {
                items.snippet(label, snippet, detail);
            }
        }
        ["type"] => {
            items.keywords(&["continuous", "binary", "count"]);
            items.snippet("ordinal", "ordinal ${1:1}..${2:5}", "levels LOW..HIGH");
        }
        ["type", "continuous"] => items.snippet("in", "in [${1:0}, ${2:10}]", "bounds"),
        ["type", "count"] => items.keyword("overdispersed"),
        ["measured"] => {
            items.keywords(&["daily", "weekly"]);
            items.snippet(
                "per period",
                "per period",
                "once, on the last day of each period",
            );
            items.snippet("on days", "on days [${1:1}]", "these days of every period");
        }
        ["measured", "per"] => items.keyword("period"),
        ["measured", "on"] => items.keyword("days"),
        ["better"] => items.keywords(&["lower", "higher"]),
        _ => {}
    }
}

fn model(items: &mut Items<'_>, a: &Analysis, p: &Place<'_>) {
    match p.line.as_slice() {
        [] => {
            for (arm, _) in arms(a, false) {
                items.snippet(
                    &format!("effect {arm}"),
                    &format!("effect {arm} ~ ${{1:normal(0, 1)}}"),
                    "the arm's effect against the reference",
                );
            }
            items.snippet(
                "intercept",
                "intercept ~ ${1:normal(0, 2.5)}",
                "the reference level",
            );
            items.snippet(
                "trend",
                "trend ~ ${1:normal(0, 0.5)} per ${2:28} days",
                "a linear time trend",
            );
            items.snippet(
                "errors",
                "errors ${1|ar1(phi ~ uniform(-1\\, 1)\\, sigma ~ half_normal(2)),independent(sigma ~ half_normal(2))|}",
                "residual structure",
            );
            items.snippet(
                "cutpoints",
                "cutpoints ~ induced_dirichlet(${1:1})",
                "ordinal cutpoints",
            );
            items.snippet(
                "dispersion",
                "dispersion ~ ${1:gamma(2, 0.1)}",
                "NB2 overdispersion",
            );
            items.snippet(
                "carryover",
                "carryover ${1:arm} ~ ${2:normal(0, 1)}",
                "carryover of an arm",
            );
        }
        ["effect" | "carryover"] => push_arms(items, a, false),
        ["errors"] => {
            items.snippet(
                "ar1",
                "ar1(phi ~ ${1:uniform(-1, 1)}, sigma ~ ${2:half_normal(2)})",
                "AR(1) errors",
            );
            items.snippet(
                "independent",
                "independent(sigma ~ ${1:half_normal(2)})",
                "independent errors",
            );
        }
        _ => {}
    }
}

/// The parts of `SCALE [of ARM [vs ARM]] on OUTCOME [CMP THRESHOLD]`.
fn quantity(items: &mut Items<'_>, a: &Analysis, inner: &[&str], statement: bool) {
    const SCALES: [&str; 4] = ["effect", "odds_ratio", "rate_ratio", "risk_difference"];
    let last = inner.last().copied();
    match last {
        None => items.keywords(&SCALES),
        Some("of" | "vs") => push_arms(items, a, true),
        Some("on") => push_outcomes(items, a),
        Some(s) if SCALES.contains(&s) => items.keywords(&["of", "on"]),
        Some("<" | "<=" | ">" | ">=") if statement => {
            items.keywords(&["mcid", "-mcid"]);
        }
        Some(_) => {
            let n = inner.len();
            let before = n.checked_sub(2).map(|i| inner[i]);
            match before {
                Some("of") => items.keywords(&["vs", "on"]),
                Some("vs") => items.keyword("on"),
                _ => {}
            }
        }
    }
}

fn condition_snippet(items: &mut Items<'_>) {
    items.snippet(
        "P(…)",
        "P(${1|effect,odds_ratio,rate_ratio,risk_difference|} on ${2:outcome} ${3|<,>,<=,>=|} ${4:-mcid}) >= ${5:0.80}",
        "a posterior probability condition",
    );
}

fn decide(items: &mut Items<'_>, a: &Analysis, p: &Place<'_>) {
    let prev = p.prev();
    match (p.line.as_slice(), prev) {
        ([], _) => {
            for (arm, _) in arms(a, true) {
                items.snippet(
                    &format!("recommend {arm}"),
                    &format!("recommend {arm} if P(effect of {arm} on ${{1:outcome}} < ${{2:-mcid}}) >= ${{3:0.80}}"),
                    "a recommendation rule",
                );
            }
            items.snippet(
                "stop early",
                "stop early if P(${1:effect on outcome < 0}) >= ${2:0.95} after ${3:4} periods",
                "a stopping rule",
            );
            items.snippet(
                "otherwise inconclusive",
                "otherwise inconclusive",
                "what holds when no rule fires",
            );
            items.keyword("and");
        }
        (["recommend"], _) => push_arms(items, a, true),
        (_, Some("if" | "and")) => condition_snippet(items),
        (["stop"], _) => items.keyword("early"),
        (["stop", "early"], _) => items.keyword("if"),
        (["otherwise"], _) => items.keyword("inconclusive"),
        (_, Some(")")) => items.keywords(&[">=", ">"]),
        (line, Some(_)) if line.contains(&"P") => {
            items.keyword("and");
            if line.first() == Some(&"stop") || line.first() == Some(&"and") {
                items.snippet(
                    "after",
                    "after ${1:4} periods",
                    "active once N periods are complete",
                );
            }
        }
        _ => {}
    }
}

fn report(items: &mut Items<'_>, a: &Analysis, p: &Place<'_>) {
    match p.line.as_slice() {
        [] => {
            items.snippet(
                "interval",
                "interval ${1:0.90}",
                "central interval probability",
            );
            items.snippet("estimate", "estimate ${1|mean,median|}", "point estimate");
            items.snippet(
                "P(…)",
                "P(${1:effect} on ${2:outcome} ${3:<} ${4:0})",
                "a probability reported without a decision",
            );
            items.keywords(&["effect", "odds_ratio", "rate_ratio", "risk_difference"]);
        }
        ["estimate"] => items.keywords(&["mean", "median"]),
        [scale, rest @ ..]
            if matches!(
                *scale,
                "effect" | "odds_ratio" | "rate_ratio" | "risk_difference"
            ) =>
        {
            let mut inner = vec![*scale];
            inner.extend(rest.iter().copied());
            quantity(items, a, &inner, false);
        }
        _ => {}
    }
}
