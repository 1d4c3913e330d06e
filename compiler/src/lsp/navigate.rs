//! Go to definition, find references and rename: arms, outcomes, designs
//! and presets (declared in the spec or imported with `use`), hypotheses
//! sources, and hypothesis ids, whose definition is in the JSON file.
//!
//! A rename changes every occurrence in the spec, the `"id"` of a renamed
//! hypothesis in its JSON file, and the diary the spec names: an outcome's
//! column header, an arm's cells in the `arm` column. Names from the
//! standard library cannot be renamed.

use std::collections::HashMap;

use lsp_server::{ErrorCode, ResponseError};
use lsp_types as lsp;

use crate::diagnostic::Span;
use crate::source::{resolve_within, Access, Sources};
use crate::syntax::{ast, lexer};

use super::analysis::{Analysis, Kind, Occurrence, Overlay, Role};
use super::convert;
use super::text::{self, LineIndex};
use super::Ctx;

fn location(uri: &str, range: lsp::Range) -> Option<lsp::Location> {
    Some(lsp::Location::new(uri.parse().ok()?, range))
}

/// Where a name is defined: its declaration in the spec, the `use` that
/// imports it, or a hypothesis' `"id"` in its JSON file.
fn target(cx: &Ctx<'_>, o: &Occurrence) -> Option<lsp::Location> {
    let a = cx.a;
    if o.kind == Kind::Hypothesis {
        let source = a.source(&o.scope)?;
        let span = source.id_span(&o.name)?;
        let text = source.text.as_deref()?;
        let index = LineIndex::new(text);
        let uri = text::path_to_uri(source.path.as_deref()?);
        return location(&uri, convert::range(&index, text, span, cx.encoding));
    }
    if let Some(def) = a.declaration(o.kind, &o.name) {
        return location(cx.uri, cx.range(def.span));
    }
    if let Some(import) = a
        .occurrences
        .iter()
        .find(|x| x.kind == o.kind && x.name == o.name && x.role == Role::Import)
    {
        return location(cx.uri, cx.range(import.span));
    }
    // A glob import that provides it.
    let module = match o.kind {
        Kind::Design => "designs",
        Kind::Preset => "priors",
        _ => return None,
    };
    let glob = a.ast.items.iter().find_map(|i| match &i.kind {
        ast::ItemKind::Use(u) if u.glob && u.path.get(1).is_some_and(|m| m.node == module) => {
            Some(i.span)
        }
        _ => None,
    })?;
    location(cx.uri, cx.range(glob))
}

pub fn definition(cx: &Ctx<'_>, offset: usize) -> Option<lsp::GotoDefinitionResponse> {
    let o = cx.a.occurrence_at(offset)?;
    target(cx, o).map(lsp::GotoDefinitionResponse::Scalar)
}

pub fn references(
    cx: &Ctx<'_>,
    offset: usize,
    include_declaration: bool,
) -> Option<Vec<lsp::Location>> {
    let a = cx.a;
    let o = a.occurrence_at(offset)?;
    let mut out = Vec::new();
    if include_declaration && o.kind == Kind::Hypothesis {
        out.extend(target(cx, o));
    }
    for x in a.same_name(o) {
        if x.role == Role::Def && !include_declaration {
            continue;
        }
        out.extend(location(cx.uri, cx.range(x.span)));
    }
    Some(out)
}

fn refuse(message: impl Into<String>) -> ResponseError {
    ResponseError {
        code: ErrorCode::InvalidRequest as i32,
        message: message.into(),
        data: None,
    }
}

/// What a rename at `offset` would rename, or why it cannot.
fn renamable(a: &Analysis, offset: usize) -> Result<&Occurrence, ResponseError> {
    let o = a
        .occurrence_at(offset)
        .ok_or_else(|| refuse("only arms, outcomes, hypotheses sources, hypotheses, designs and presets can be renamed"))?;
    match o.kind {
        Kind::Design | Kind::Preset if a.declaration(o.kind, &o.name).is_none() => {
            Err(refuse(format!(
                "`{}` is a {} of the standard library; its name cannot be changed",
                o.name,
                o.kind.word()
            )))
        }
        Kind::Hypothesis
            if a.source(&o.scope)
                .and_then(|s| s.id_span(&o.name))
                .is_none() =>
        {
            Err(refuse(format!(
                "hypothesis `{}.{}` is not in a readable hypotheses file",
                o.scope, o.name
            )))
        }
        _ => Ok(o),
    }
}

pub fn prepare_rename(
    cx: &Ctx<'_>,
    offset: usize,
) -> Result<Option<lsp::PrepareRenameResponse>, ResponseError> {
    let o = renamable(cx.a, offset)?;
    Ok(Some(lsp::PrepareRenameResponse::RangeWithPlaceholder {
        range: cx.range(o.span),
        placeholder: o.name.clone(),
    }))
}

/// Whether `name` can be written as a name in a spec.
fn is_name(name: &str) -> bool {
    let tokens = lexer::lex(name);
    matches!(tokens.as_slice(), [t] if t.token == lexer::Token::Ident && t.span.start == 0 && t.span.end == name.len())
}

// `WorkspaceEdit::changes` is keyed by `lsp_types::Uri`, whose parsed
// form caches lazily (clippy sees interior mutability); the keys never change.
#[allow(clippy::mutable_key_type)]
pub fn rename(
    cx: &Ctx<'_>,
    offset: usize,
    new_name: &str,
    sources: &Overlay<'_>,
) -> Result<Option<lsp::WorkspaceEdit>, ResponseError> {
    let a = cx.a;
    let o = renamable(a, offset)?;
    if !is_name(new_name) {
        return Err(refuse(format!(
            "`{new_name}` is not a name: a letter or `_`, then letters, digits or `_`"
        )));
    }
    if lexer::KEYWORDS.contains(&new_name) {
        return Err(refuse(format!(
            "`{new_name}` is a keyword; a name that is not one keeps the spec unambiguous"
        )));
    }
    if new_name == o.name {
        return Ok(None);
    }
    let taken = match o.kind {
        Kind::Hypothesis => a
            .source(&o.scope)
            .and_then(|s| s.file.as_ref())
            .is_some_and(|f| f.get(new_name).is_some()),
        kind => a.declaration(kind, new_name).is_some(),
    };
    if taken {
        return Err(refuse(format!(
            "there is already a {} `{new_name}`",
            o.kind.word()
        )));
    }
    let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
    let spec_uri: lsp::Uri = cx
        .uri
        .parse()
        .map_err(|_| refuse("the document's URI is not valid"))?;
    let edits: Vec<lsp::TextEdit> = a
        .same_name(o)
        .map(|x| lsp::TextEdit::new(cx.range(x.span), new_name.to_string()))
        .collect();
    changes.insert(spec_uri, edits);
    match o.kind {
        Kind::Hypothesis => {
            if let Some(source) = a.source(&o.scope) {
                if let (Some(span), Some(text), Some(path)) =
                    (source.id_span(&o.name), &source.text, &source.path)
                {
                    let index = LineIndex::new(text);
                    let quoted = serde_json::to_string(new_name).unwrap_or_default();
                    if let Ok(uri) = text::path_to_uri(path).parse() {
                        changes.insert(
                            uri,
                            vec![lsp::TextEdit::new(
                                convert::range(&index, text, span, cx.encoding),
                                quoted,
                            )],
                        );
                    }
                }
            }
        }
        Kind::Arm | Kind::Outcome => {
            if let Some((path, text)) = diary(a, sources) {
                let spans = diary_cells(&text, o.kind, &o.name);
                if !spans.is_empty() {
                    let index = LineIndex::new(&text);
                    if let Ok(uri) = text::path_to_uri(&path).parse() {
                        changes.insert(
                            uri,
                            spans
                                .into_iter()
                                .map(|s| {
                                    lsp::TextEdit::new(
                                        convert::range(&index, &text, s, cx.encoding),
                                        new_name.to_string(),
                                    )
                                })
                                .collect(),
                        );
                    }
                }
            }
        }
        _ => {}
    }
    Ok(Some(lsp::WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    }))
}

/// The diary the spec names, as (path, text).
fn diary(a: &Analysis, sources: &Overlay<'_>) -> Option<(String, String)> {
    let written = a.ast.items.iter().find_map(|i| match &i.kind {
        ast::ItemKind::Data(d) => Some(d.node.clone()),
        _ => None,
    })?;
    let resolved = resolve_within(&a.name, &written, false).ok()?;
    let text = sources
        .read(&resolved.path, Access::Within(&resolved.folder))
        .ok()?;
    Some((resolved.path, text))
}

/// The cells of a diary that hold an outcome's name (its column header) or
/// an arm's (cells of the `arm` column), without surrounding blanks.
pub fn diary_cells(text: &str, kind: Kind, name: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut arm_column = None;
    for (row, line) in text.split_inclusive('\n').enumerate() {
        let body = line.trim_end_matches(['\n', '\r']);
        let mut start = offset;
        for (column, cell) in body.split(',').enumerate() {
            let trimmed = cell.trim();
            let lead = cell.len() - cell.trim_start().len();
            let inner = trimmed
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .map_or((trimmed, 0), |t| (t, 1));
            let at = start + lead + inner.1;
            let header = row == 0;
            let clean = inner.0.trim_start_matches('\u{feff}');
            let at = at + (inner.0.len() - clean.len());
            if header && clean == "arm" {
                arm_column = Some(column);
            }
            let hit = match kind {
                Kind::Outcome => header && clean == name,
                Kind::Arm => !header && Some(column) == arm_column && clean == name,
                _ => false,
            };
            if hit {
                out.push(Span::new(at, at + clean.len()));
            }
            start += cell.len() + 1;
        }
        offset += line.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diary_cells_of_outcomes_and_arms() {
        let diary = "\u{feff}day,arm,pain\r\n1,none,4\r\n2,magnesium, 3\r\n3, \"magnesium\",\n";
        let pain = diary_cells(diary, Kind::Outcome, "pain");
        assert_eq!(
            pain.iter().map(|s| &diary[s.range()]).collect::<Vec<_>>(),
            ["pain"]
        );
        let arm = diary_cells(diary, Kind::Arm, "magnesium");
        assert_eq!(arm.len(), 2);
        assert!(arm.iter().all(|s| &diary[s.range()] == "magnesium"));
        assert!(diary_cells(diary, Kind::Arm, "pain").is_empty());
    }

    #[test]
    fn names_are_identifiers() {
        assert!(is_name("placebo_2"));
        assert!(is_name("café"));
        assert!(!is_name("2x"));
        assert!(!is_name("a b"));
        assert!(!is_name(""));
    }
}
