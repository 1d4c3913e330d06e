//! One document analysed: the session's diagnostics, the AST and tokens of
//! what the parser saw, every name's occurrences, the hypotheses files the
//! spec names, and (when it can be built) the schedule.
//!
//! Everything here is computed from a snapshot of the open buffers and the
//! files on disk, through a [`Session`] over an overlay of both; nothing is
//! kept between edits but the analysis itself.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Span};
use crate::driver::{Session, SessionOptions};
use crate::hir;
use crate::hypotheses::{self, HypothesesFile, JsonSpans};
use crate::markdown;
use crate::schedule::{self, Schedule};
use crate::source::{normalise, resolve_within, Access, ReadError, SourceMap, Sources};
use crate::syntax::{self, ast, lexer};

use super::text::LineIndex;

/// Open buffers first, then the disk (or whatever the server was given).
#[derive(Clone, Copy)]
pub struct Overlay<'a> {
    pub open: &'a BTreeMap<String, String>,
    pub disk: &'a dyn Sources,
}

impl Sources for Overlay<'_> {
    fn read(&self, path: &str, access: Access<'_>) -> Result<String, ReadError> {
        match self.open.get(&normalise(path)) {
            Some(text) => Ok(text.clone()),
            None => self.disk.read(path, access),
        }
    }
}

/// What a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Arm,
    Outcome,
    /// A hypotheses source (`hypotheses lfm from "…"`).
    Source,
    /// A hypothesis id of a source (`lfm.H1`), defined in the JSON file.
    Hypothesis,
    Preset,
    Design,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Arm => "arm",
            Kind::Outcome => "outcome",
            Kind::Source => "hypotheses source",
            Kind::Hypothesis => "hypothesis",
            Kind::Preset => "prior preset",
            Kind::Design => "design",
        }
    }
}

/// What an occurrence does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Declares the name in this spec.
    Def,
    /// Uses it.
    Ref,
    /// `use std.MODULE.NAME`: brings a standard-library name in.
    Import,
}

/// One name written in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub kind: Kind,
    pub name: String,
    /// The hypotheses source of a hypothesis id; empty otherwise.
    pub scope: String,
    pub span: Span,
    pub role: Role,
}

/// A hypotheses file the spec names, as far as it could be read.
#[derive(Debug, Clone)]
pub struct HypothesesSource {
    /// The spec's name for it (`lfm`).
    pub name: String,
    /// The session's path of the file, when it resolved.
    pub path: Option<String>,
    pub text: Option<String>,
    /// The file, when it reads as the format (leniently: ids, effects and
    /// provenance even when the checker has complaints).
    pub file: Option<HypothesesFile>,
    pub spans: JsonSpans,
}

impl HypothesesSource {
    /// The span of hypothesis `id`'s `"id"` value in the JSON text.
    pub fn id_span(&self, id: &str) -> Option<Span> {
        let file = self.file.as_ref()?;
        let index = file.hypotheses.iter().position(|h| h.id == id)?;
        self.spans.value(&format!("hypotheses[{index}].id"))
    }
}

/// The schedule the spec describes, when its schedule part checks (the
/// rest of the spec may have errors).
#[derive(Debug, Clone)]
pub struct ScheduleFacts {
    pub schedule: Schedule,
}

pub struct Analysis {
    /// The session's name of the spec (its path, or the URI's last part).
    pub name: String,
    pub text: String,
    /// What the parser saw: the text, or the Markdown document masked.
    pub spec_text: String,
    pub markdown: bool,
    /// A Markdown document without a ```trial block: nothing to serve.
    pub empty: bool,
    pub index: LineIndex,
    pub ast: ast::File,
    pub tokens: Vec<lexer::Lexeme>,
    /// The session's files (the spec is `FileId(0)`) and diagnostics.
    pub files: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub spec: Option<hir::Spec>,
    pub occurrences: Vec<Occurrence>,
    pub sources: Vec<HypothesesSource>,
    schedule: OnceCell<Option<ScheduleFacts>>,
}

impl Analysis {
    /// Analyses `text`, named `name` (a path: its folder is where the files
    /// the spec names are looked up).
    pub fn new(name: &str, text: &str, sources: &Overlay<'_>) -> Analysis {
        let is_markdown = markdown::is_markdown(name);
        let (spec_text, blocks) = if is_markdown {
            markdown::extract(text)
        } else {
            (text.to_string(), 1)
        };
        let empty = is_markdown && blocks == 0;
        let (ast, _) = syntax::parse(&spec_text);
        let tokens = lexer::lex(&spec_text);
        let mut session = Session::new(*sources, SessionOptions::default());
        let file = session.open_text(name, text.to_string());
        let checked = if empty {
            None
        } else {
            session.check(file).ok()
        };
        let (spec, schedule) = match checked {
            Some(c) => (
                Some(c.spec),
                Some(Some(ScheduleFacts {
                    schedule: c.schedule,
                })),
            ),
            None => (None, None),
        };
        let diagnostics = if empty {
            Vec::new()
        } else {
            session.diagnostics().to_vec()
        };
        let occurrences = occurrences(&ast);
        let hypotheses_sources = read_sources(name, &ast, sources);
        let cell = OnceCell::new();
        if let Some(s) = schedule {
            let _ = cell.set(s);
        }
        Analysis {
            name: name.to_string(),
            text: text.to_string(),
            index: LineIndex::new(text),
            spec_text,
            markdown: is_markdown,
            empty,
            ast,
            tokens,
            files: session.files().clone(),
            diagnostics,
            spec,
            occurrences,
            sources: hypotheses_sources,
            schedule: cell,
        }
    }

    /// The occurrence of a name at `offset` (the cursor may be just after it).
    pub fn occurrence_at(&self, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| o.span.start <= offset && offset <= o.span.end)
            .min_by_key(|o| o.span.end - o.span.start)
    }

    /// Every occurrence of the same name as `o`.
    pub fn same_name<'a>(&'a self, o: &'a Occurrence) -> impl Iterator<Item = &'a Occurrence> {
        self.occurrences
            .iter()
            .filter(move |x| x.kind == o.kind && x.name == o.name && x.scope == o.scope)
    }

    /// The declaration in this spec of a name, if it has one.
    pub fn declaration(&self, kind: Kind, name: &str) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .find(|o| o.kind == kind && o.name == name && o.role == Role::Def)
    }

    /// The hypotheses source the spec names `name`.
    pub fn source(&self, name: &str) -> Option<&HypothesesSource> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// The token at `offset` (or ending there), if any.
    pub fn token_at(&self, offset: usize) -> Option<&lexer::Lexeme> {
        let i = self.tokens.partition_point(|t| t.span.end <= offset);
        match self.tokens.get(i) {
            Some(t) if t.span.start <= offset => Some(t),
            _ => i
                .checked_sub(1)
                .and_then(|j| self.tokens.get(j))
                .filter(|t| t.span.end == offset),
        }
    }

    /// The text of a span of what the parser saw.
    pub fn slice(&self, span: Span) -> &str {
        self.spec_text.get(span.range()).unwrap_or("")
    }

    /// The schedule, built from the spec when it checks, else from its
    /// arms, imports and schedule block alone.
    pub fn schedule(&self) -> Option<&ScheduleFacts> {
        self.schedule
            .get_or_init(|| schedule_alone(&self.ast))
            .as_ref()
    }

    /// The item whose span contains `offset`.
    pub fn item_at(&self, offset: usize) -> Option<&ast::Item> {
        self.ast
            .items
            .iter()
            .find(|i| i.span.start <= offset && offset <= i.span.end)
    }
}

/// Checks only what the schedule depends on (imports, designs, arms, the
/// trial block and the schedule block) with a stand-in outcome, so that a
/// schedule is known while the rest of the spec is being written.
fn schedule_alone(file: &ast::File) -> Option<ScheduleFacts> {
    let mut items: Vec<ast::Item> = file
        .items
        .iter()
        .filter(|i| {
            matches!(
                i.kind,
                ast::ItemKind::Use(_)
                    | ast::ItemKind::Design(_)
                    | ast::ItemKind::Arm(_)
                    | ast::ItemKind::Schedule(_)
                    | ast::ItemKind::Trial(_)
            )
        })
        .cloned()
        .collect();
    let stand_in = if items
        .iter()
        .any(|i| matches!(i.kind, ast::ItemKind::Trial(_)))
    {
        STAND_IN_OUTCOME.to_string()
    } else {
        format!("trial \"schedule\" {{}}\n{STAND_IN_OUTCOME}")
    };
    let (extra, _) = syntax::parse(&stand_in);
    items.extend(extra.items);
    let reduced = ast::File {
        items,
        comments: Vec::new(),
    };
    let (spec, _) = hir::check(&reduced);
    let schedule = schedule::build(&spec?.schedule_spec()).ok()?;
    Some(ScheduleFacts { schedule })
}

const STAND_IN_OUTCOME: &str =
    "outcome lsp_stand_in { type binary\n measured daily\n better lower\n primary }";

/// Reads every hypotheses file the spec names (confined to the spec's folder).
fn read_sources(spec_name: &str, file: &ast::File, sources: &Overlay<'_>) -> Vec<HypothesesSource> {
    let mut out = Vec::new();
    for item in &file.items {
        let ast::ItemKind::Hypotheses(decl) = &item.kind else {
            continue;
        };
        let mut source = HypothesesSource {
            name: decl.name.node.clone(),
            path: None,
            text: None,
            file: None,
            spans: JsonSpans::default(),
        };
        if let Ok(resolved) = resolve_within(spec_name, &decl.path.node, false) {
            let text = sources
                .read(&resolved.path, Access::Within(&resolved.folder))
                .ok();
            if let Some(text) = &text {
                source.spans = JsonSpans::scan(text);
                source.file = hypotheses::read(text)
                    .0
                    .or_else(|| serde_json::from_str(text.trim_start_matches('\u{feff}')).ok());
            }
            source.path = Some(resolved.path);
            source.text = text;
        }
        out.push(source);
    }
    out
}

/// Every name written in the spec, in source order.
pub fn occurrences(file: &ast::File) -> Vec<Occurrence> {
    let mut out = Vec::new();
    let mut push = |kind: Kind, ident: &ast::Ident, role: Role, scope: &str| {
        if !ident.node.is_empty() {
            out.push(Occurrence {
                kind,
                name: ident.node.clone(),
                scope: scope.to_string(),
                span: ident.span,
                role,
            });
        }
    };
    for item in &file.items {
        match &item.kind {
            ast::ItemKind::Use(decl) => {
                let module = decl.path.get(1).map(|i| i.node.as_str());
                let kind = match module {
                    Some("designs") => Some(Kind::Design),
                    Some("priors") => Some(Kind::Preset),
                    _ => None,
                };
                if let (Some(kind), false, Some(last)) = (kind, decl.glob, decl.path.get(2)) {
                    push(kind, last, Role::Import, "");
                }
            }
            ast::ItemKind::Hypotheses(decl) => {
                push(Kind::Source, &decl.name, Role::Def, "");
                for m in decl.mappings.iter().flatten() {
                    let kind = match m.kind.node {
                        ast::MappingKind::Intervention => Kind::Arm,
                        ast::MappingKind::Outcome => Kind::Outcome,
                    };
                    push(kind, &m.target, Role::Ref, "");
                }
            }
            ast::ItemKind::Arm(arm) => push(Kind::Arm, &arm.name, Role::Def, ""),
            ast::ItemKind::Schedule(block) => {
                if let Some(from) = &block.from {
                    push(Kind::Design, from, Role::Ref, "");
                }
            }
            ast::ItemKind::Design(design) => push(Kind::Design, &design.name, Role::Def, ""),
            ast::ItemKind::PriorPreset(preset) => {
                push(Kind::Preset, &preset.name, Role::Def, "");
                prior_names(&preset.prior, &mut push);
            }
            ast::ItemKind::Outcome(outcome) => {
                push(Kind::Outcome, &outcome.name, Role::Def, "");
            }
            ast::ItemKind::Model(model) => {
                push(Kind::Outcome, &model.outcome, Role::Ref, "");
                for statement in &model.statements {
                    use ast::ModelStatementKind as S;
                    match &statement.kind {
                        S::Effect { arm, prior } | S::Carryover { arm, prior } => {
                            push(Kind::Arm, arm, Role::Ref, "");
                            prior_names(prior, &mut push);
                        }
                        S::Intercept(prior)
                        | S::Cutpoints(prior)
                        | S::Dispersion(prior)
                        | S::Trend { prior, .. } => prior_names(prior, &mut push),
                        S::Errors { params, .. } | S::CarryoverDecay { params, .. } => {
                            for p in params {
                                prior_names(&p.prior, &mut push);
                            }
                        }
                        S::Covariate { prior, .. } | S::Lag(prior) => prior_names(prior, &mut push),
                        S::Clock(_) => {}
                    }
                }
            }
            ast::ItemKind::Decide(block) => {
                for rule in &block.rules {
                    let conditions = match &rule.kind {
                        ast::RuleKind::Recommend { arm, conditions } => {
                            push(Kind::Arm, arm, Role::Ref, "");
                            conditions.as_slice()
                        }
                        ast::RuleKind::StopEarly { conditions, .. } => conditions.as_slice(),
                        ast::RuleKind::Otherwise => &[],
                    };
                    for c in conditions {
                        quantity_names(&c.statement.quantity, &mut push);
                    }
                }
            }
            ast::ItemKind::Report(block) => {
                for entry in &block.entries {
                    match &entry.kind {
                        ast::ReportEntryKind::Probability(statement) => {
                            quantity_names(&statement.quantity, &mut push)
                        }
                        ast::ReportEntryKind::Summary(quantity) => {
                            quantity_names(quantity, &mut push)
                        }
                        _ => {}
                    }
                }
            }
            // The simulate block names outcomes and arms inside scenario
            // values; navigation into it is not served yet.
            ast::ItemKind::Trial(_) | ast::ItemKind::Data(_) | ast::ItemKind::Simulate(_) => {}
        }
    }
    out.sort_by_key(|o| (o.span.start, o.span.end));
    out
}

fn quantity_names(q: &ast::QuantityRef, push: &mut impl FnMut(Kind, &ast::Ident, Role, &str)) {
    if let Some(arm) = &q.arm {
        push(Kind::Arm, arm, Role::Ref, "");
    }
    if let Some(versus) = &q.versus {
        push(Kind::Arm, versus, Role::Ref, "");
    }
    push(Kind::Outcome, &q.outcome, Role::Ref, "");
}

fn prior_names(prior: &ast::Prior, push: &mut impl FnMut(Kind, &ast::Ident, Role, &str)) {
    match &prior.kind {
        ast::PriorKind::Distribution { .. } => {}
        ast::PriorKind::Mixture(components) => {
            for c in components {
                prior_names(&c.prior, push);
            }
        }
        ast::PriorKind::Hypothesis {
            source, id, vague, ..
        } => {
            push(Kind::Source, source, Role::Ref, "");
            push(Kind::Hypothesis, id, Role::Ref, &source.node);
            if let Some(v) = vague {
                prior_names(v, push);
            }
        }
        ast::PriorKind::Preset(name) => push(Kind::Preset, name, Role::Ref, ""),
    }
}

/// Every prior written in the spec whose span contains `offset`, outermost first.
pub fn priors_at(file: &ast::File, offset: usize) -> Vec<&ast::Prior> {
    fn visit<'a>(prior: &'a ast::Prior, offset: usize, out: &mut Vec<&'a ast::Prior>) {
        if prior.span.start > offset || offset > prior.span.end {
            return;
        }
        out.push(prior);
        match &prior.kind {
            ast::PriorKind::Mixture(components) => {
                for c in components {
                    visit(&c.prior, offset, out);
                }
            }
            ast::PriorKind::Hypothesis { vague: Some(v), .. } => visit(v, offset, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for prior in all_priors(file) {
        visit(prior, offset, &mut out);
    }
    out
}

/// The top-level priors of the spec (model statements and presets).
pub fn all_priors(file: &ast::File) -> Vec<&ast::Prior> {
    let mut out = Vec::new();
    for item in &file.items {
        match &item.kind {
            ast::ItemKind::PriorPreset(p) => out.push(&p.prior),
            ast::ItemKind::Model(m) => {
                for s in &m.statements {
                    use ast::ModelStatementKind as S;
                    match &s.kind {
                        S::Effect { prior, .. }
                        | S::Carryover { prior, .. }
                        | S::Intercept(prior)
                        | S::Cutpoints(prior)
                        | S::Dispersion(prior)
                        | S::Trend { prior, .. }
                        | S::Covariate { prior, .. }
                        | S::Lag(prior) => out.push(prior),
                        S::Errors { params, .. } | S::CarryoverDecay { params, .. } => {
                            out.extend(params.iter().map(|p| &p.prior))
                        }
                        S::Clock(_) => {}
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemorySources;

    const SPEC: &str = r#"use std.designs.crossover_2x3
trial "t" {}
hypotheses lfm from "h.json" {
  intervention "Magnesium" is mg
}
arm mg "Magnesium"
arm placebo "Placebo" reference
schedule from crossover_2x3 {
  period 14 days
  seed 1
}
outcome pain "Pain" {
  type continuous in [0, 10]
  better lower
  primary
}
model pain {
  effect mg ~ lfm.H1 discount 0.5
}
decide {
  recommend mg if P(effect of mg vs placebo on pain < 0) >= 0.8 and P(effect on pain < 1) >= 0.5
  otherwise inconclusive
}
"#;

    #[test]
    fn every_name_is_found_with_its_role() {
        let (file, diagnostics) = syntax::parse(SPEC);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let found = occurrences(&file);
        let named = |kind: Kind, name: &str| {
            found
                .iter()
                .filter(|o| o.kind == kind && o.name == name)
                .map(|o| (o.role, &SPEC[o.span.range()]))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            named(Kind::Arm, "mg"),
            vec![
                (Role::Ref, "mg"),
                (Role::Def, "mg"),
                (Role::Ref, "mg"),
                (Role::Ref, "mg"),
                (Role::Ref, "mg")
            ]
        );
        assert_eq!(named(Kind::Arm, "placebo").len(), 2);
        assert_eq!(named(Kind::Outcome, "pain").len(), 4);
        assert_eq!(
            named(Kind::Design, "crossover_2x3"),
            vec![
                (Role::Import, "crossover_2x3"),
                (Role::Ref, "crossover_2x3")
            ]
        );
        let h = found.iter().find(|o| o.kind == Kind::Hypothesis);
        assert_eq!(h.map(|o| o.scope.as_str()), Some("lfm"));
    }

    #[test]
    fn the_schedule_is_known_while_the_rest_has_errors() {
        let broken = SPEC.replace("otherwise inconclusive", "otherwise inconclu");
        let open = BTreeMap::new();
        let disk = MemorySources::new();
        let overlay = Overlay {
            open: &open,
            disk: &disk,
        };
        let a = Analysis::new("dir/spec.trial", &broken, &overlay);
        assert!(a.spec.is_none());
        assert!(a.diagnostics.iter().any(Diagnostic::is_error));
        let facts = a.schedule().expect("the schedule part checks");
        assert_eq!(facts.schedule.periods.len(), 6);
        // crossover_2x3: three pairs, each AB or BA; pairs never make a run
        // longer than 2, so max_run 2 rules nothing out: 2^3.
        assert_eq!(facts.schedule.admissible_count, 8);
        assert_eq!(facts.schedule.total_days, 84);
    }

    #[test]
    fn hypotheses_files_are_read_through_the_overlay() {
        let json = r#"{"format": "trialc-hypotheses/1", "generator": {"model": "m", "version": "1", "prompt_sha256": "00", "created": "2026-01-01"},
 "hypotheses": [{"id": "H1", "rank": 1, "intervention": "Magnesium", "outcome": "pain", "effect": {"mean": -1.0, "sd": 0.5}}]}"#;
        let mut open = BTreeMap::new();
        open.insert("dir/h.json".to_string(), json.to_string());
        let disk = MemorySources::new();
        let overlay = Overlay {
            open: &open,
            disk: &disk,
        };
        let a = Analysis::new("dir/spec.trial", SPEC, &overlay);
        let source = a.source("lfm").expect("declared");
        assert_eq!(source.path.as_deref(), Some("dir/h.json"));
        let span = source.id_span("H1").expect("the id's value");
        assert_eq!(&json[span.range()], "\"H1\"");
        assert!(a.spec.is_some(), "{:?}", a.diagnostics);
    }
}
