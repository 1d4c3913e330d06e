//! LFM hypotheses files (`hypotheses NAME from "file.json"`): the interchange
//! format `trialc-hypotheses/1` (docs/hypotheses.md, schema
//! docs/hypotheses.schema.json), read and checked, and checked against the
//! spec that uses them. trialc never calls a model; it reads what one
//! produced.
//!
//! Pure: the session reads the files and passes their text (or a reader
//! closure to [`load`]). Diagnostics about a JSON file carry byte spans into
//! that file's text and render against it; diagnostics about the spec's use
//! of a hypothesis carry spans into the spec. When a problem involves both
//! (E0809, E0810), it is one diagnostic: its primary label at the spec's
//! use, a secondary label on the JSON value, each label in its own file.
//!
//! Codes: E0801 not JSON, E0802 not the format, E0803 wrong version, E0804
//! empty provenance, E0805 duplicate id or rank, E0806 unusable effect, E0807
//! file missing, E0809 outcome mismatch, E0810 intervention mismatch, E0811
//! unknown id, E0814 unusable effect mixture, W0808 hypotheses never used, W0810 a mapping (`intervention
//! "…" is ARM`) whose text no hypothesis has. The spec's mappings
//! themselves (E0812, E0813) are checked with the spec (`hir::check`).

use crate::codes;
use crate::diagnostic::{Diagnostic, Span};
use crate::hir::{self, PriorDist};
use crate::source::FileId;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The only format version this trialc reads (and writes).
pub const FORMAT: &str = "trialc-hypotheses/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HypothesesFile {
    pub format: String,
    pub generator: Generator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant: Option<String>,
    /// Set when the file is evidence exported by `trialc run
    /// --export-evidence`: which trial and spec the posterior came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial: Option<TrialProvenance>,
    pub hypotheses: Vec<Hypothesis>,
}

/// Provenance: mandatory, because it goes into the protocol and the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generator {
    pub model: String,
    pub version: String,
    pub prompt_sha256: String,
    pub created: String,
}

/// Where exported evidence came from (optional in the format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialProvenance {
    /// The spec's `trial "…"` id.
    pub id: String,
    /// SHA-256 of the spec text, lower-case hex.
    pub spec_sha256: String,
    /// First and last diary dates (`YYYY-MM-DD`), or "unknown".
    pub first_date: String,
    pub last_date: String,
    /// The spec's `version`, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hypothesis {
    pub id: String,
    pub rank: u32,
    pub intervention: String,
    pub outcome: String,
    pub effect: EffectSize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectSize {
    pub mean: f64,
    pub sd: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<String>,
    /// Optional finer description of a non-normal effect distribution: a
    /// normal mixture whose weights sum to 1. When given, it is the prior's
    /// informative part (each sd discounted); `mean` and `sd` remain the
    /// distribution's moments, for people and for tools that read only them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixture: Option<Vec<MixtureComponent>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixtureComponent {
    pub weight: f64,
    pub mean: f64,
    pub sd: f64,
}

impl HypothesesFile {
    pub fn get(&self, id: &str) -> Option<&Hypothesis> {
        self.hypotheses.iter().find(|h| h.id == id)
    }
}

// ----- spans into the JSON text ---------------------------------------------

/// Byte spans of every value (and member key) of a JSON text, by path:
/// `format`, `generator.model`, `hypotheses[0].effect.sd`. A small scanner
/// that follows the JSON grammar; on malformed input it stops early and
/// keeps what it found.
#[derive(Debug, Default, Clone)]
pub struct JsonSpans {
    values: HashMap<String, Span>,
    keys: HashMap<String, Span>,
}

impl JsonSpans {
    pub fn scan(text: &str) -> JsonSpans {
        let mut spans = JsonSpans::default();
        let mut scanner = Scanner {
            bytes: text.as_bytes(),
            text,
            pos: 0,
        };
        let _ = scanner.value(String::new(), &mut spans, 0);
        spans
    }
    /// The span of the value at `path`.
    pub fn value(&self, path: &str) -> Option<Span> {
        self.values.get(path).copied()
    }
    /// The span of the key of the member at `path`.
    pub fn key(&self, path: &str) -> Option<Span> {
        self.keys.get(path).copied()
    }
    /// The innermost object whose closing brace is at `offset`: its path.
    fn object_closing_at(&self, text: &str, offset: usize) -> Option<&str> {
        self.values
            .iter()
            .filter(|(_, s)| s.end == offset + 1 && text.as_bytes().get(s.start) == Some(&b'{'))
            .max_by_key(|(_, s)| s.start)
            .map(|(p, _)| p.as_str())
    }
    /// The value's span, else the object's that should hold it, else (0, 0).
    fn best(&self, path: &str) -> Span {
        let mut p = path;
        loop {
            if let Some(s) = self.value(p) {
                return s;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => return Span::new(0, 0),
            }
        }
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }
    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.bytes.get(self.pos) == Some(&b)).then(|| self.pos += 1)
    }
    /// A string starting at `pos` (the quote); returns its span with quotes.
    fn string(&mut self) -> Option<Span> {
        let start = self.pos;
        if self.bytes.get(self.pos) != Some(&b'"') {
            return None;
        }
        self.pos += 1;
        while let Some(&b) = self.bytes.get(self.pos) {
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'"' => return Some(Span::new(start, self.pos)),
                _ => {}
            }
        }
        None
    }
    fn value(&mut self, path: String, spans: &mut JsonSpans, depth: usize) -> Option<()> {
        if depth > 64 {
            return None;
        }
        self.ws();
        let start = self.pos;
        match self.bytes.get(self.pos)? {
            b'{' => {
                self.pos += 1;
                if self.eat(b'}').is_none() {
                    loop {
                        self.ws();
                        let key_span = self.string()?;
                        let raw = &self.text[key_span.range()];
                        let key: String = serde_json::from_str(raw).unwrap_or_default();
                        let child = if path.is_empty() {
                            key
                        } else {
                            format!("{path}.{key}")
                        };
                        self.eat(b':')?;
                        spans.keys.insert(child.clone(), key_span);
                        self.value(child, spans, depth + 1)?;
                        if self.eat(b',').is_none() {
                            self.eat(b'}')?;
                            break;
                        }
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                if self.eat(b']').is_none() {
                    let mut i = 0;
                    loop {
                        self.value(format!("{path}[{i}]"), spans, depth + 1)?;
                        i += 1;
                        if self.eat(b',').is_none() {
                            self.eat(b']')?;
                            break;
                        }
                    }
                }
            }
            b'"' => {
                self.string()?;
            }
            _ => {
                while self
                    .bytes
                    .get(self.pos)
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    self.pos += 1;
                }
                if self.pos == start {
                    return None;
                }
            }
        }
        spans.values.insert(path, Span::new(start, self.pos));
        Some(())
    }
}

/// Byte offset of a 1-based line and column (serde_json's error position).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

// ----- reading one file -----------------------------------------------------

/// The span of the one character at or around byte `at` of `text`: serde
/// reports a byte, which may sit inside a multibyte character (or the BOM
/// read as spaces), and a label must start and end on character boundaries.
fn character_at(text: &str, at: usize) -> Span {
    let mut start = at.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let width = text[start..].chars().next().map_or(0, char::len_utf8);
    Span::new(start, start + width)
}

/// The largest effect mean or sd a hypothesis may state. Effects are on a
/// log or outcome scale, so real ones are small; a larger value (`1.6e308`)
/// would overflow once tempered (sd / sqrt(discount)) or squared.
pub const MAX_EFFECT: f64 = 1e100;

fn usable_mean(mean: f64) -> bool {
    mean.is_finite() && mean.abs() <= MAX_EFFECT
}

fn usable_sd(sd: f64) -> bool {
    sd > 0.0 && sd <= MAX_EFFECT
}

/// Parse and check a hypotheses file (E0801–E0806). The file comes back only
/// when it has no errors.
pub fn read(text: &str) -> (Option<HypothesesFile>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let given = text;
    // A byte order mark (some editors write one) is not JSON; read it as
    // three spaces, so every offset still points into the text as given.
    let unmarked;
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => {
            unmarked = format!("   {rest}");
            unmarked.as_str()
        }
        None => text,
    };
    let file: HypothesesFile = match serde_json::from_str(text) {
        Ok(file) => file,
        Err(e) => {
            let at = offset_of(text, e.line(), e.column());
            let (code, headline, help) = if e.is_syntax() || e.is_eof() {
                (
                    codes::E0801,
                    "the hypotheses file is not valid JSON",
                    "check brackets, commas and quotes at the marked place",
                )
            } else {
                (codes::E0802, "the hypotheses file does not follow the trialc-hypotheses/1 format", "see docs/hypotheses.md for the fields each hypothesis needs (provenance is mandatory)")
            };
            // serde's message without its " at line L column C" (the label shows where).
            let message = e.to_string();
            let message = message
                .rfind(" at line ")
                .map_or(message.as_str(), |i| &message[..i])
                .to_string();
            let mut d = Diagnostic::error(code, headline)
                .with_primary(character_at(given, at), message)
                .with_help(help);
            // serde reports a missing field at the closing brace of the
            // object that lacks it: name that object.
            let missing = e.to_string();
            let field = missing
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next());
            if let (Some(field), codes::E0802) = (field, code) {
                let spans = JsonSpans::scan(text);
                if let Some(path) = spans.object_closing_at(text, at) {
                    let brace = spans.best(path).start;
                    let (span, name) = match spans.key(path) {
                        Some(key) => (key, format!("`{path}`")),
                        None if path.is_empty() => {
                            (Span::new(brace, brace + 1), "the file".to_string())
                        }
                        None => (Span::new(brace, brace + 1), format!("`{path}`")),
                    };
                    d = d.with_secondary(span, format!("{name} has no `{field}`"));
                }
            }
            diagnostics.push(d);
            return (None, diagnostics);
        }
    };
    let spans = JsonSpans::scan(text);
    if file.format != FORMAT {
        diagnostics.push(
            Diagnostic::error(
                codes::E0803,
                format!("unsupported hypotheses format `{}`", file.format),
            )
            .with_primary(spans.best("format"), "format version")
            .with_help(format!(
                "this trialc reads `{FORMAT}`; export the hypotheses in that format"
            )),
        );
    }
    for (field, value) in [
        ("model", &file.generator.model),
        ("version", &file.generator.version),
        ("prompt_sha256", &file.generator.prompt_sha256),
        ("created", &file.generator.created),
    ] {
        if value.trim().is_empty() {
            diagnostics.push(
                Diagnostic::error(codes::E0804, format!("the provenance field `generator.{field}` is empty"))
                    .with_primary(spans.best(&format!("generator.{field}")), "empty provenance")
                    .with_note("the protocol must say which model produced a prior, when, and from which prompt")
                    .with_help("fill in the generator's model, version, prompt hash and creation date"),
            );
        }
    }
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut ranks: HashMap<u32, usize> = HashMap::new();
    for (i, hypothesis) in file.hypotheses.iter().enumerate() {
        let at = |field: &str| spans.best(&format!("hypotheses[{i}].{field}"));
        if let Some(&first) = ids.get(hypothesis.id.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    codes::E0805,
                    format!("hypothesis id `{}` appears twice", hypothesis.id),
                )
                .with_primary(at("id"), "duplicate id")
                .with_secondary(
                    spans.best(&format!("hypotheses[{first}].id")),
                    "first used here",
                )
                .with_help("give every hypothesis its own id"),
            );
        } else {
            ids.insert(&hypothesis.id, i);
        }
        if let Some(&first) = ranks.get(&hypothesis.rank) {
            diagnostics.push(
                Diagnostic::error(
                    codes::E0805,
                    format!(
                        "hypotheses `{}` and `{}` have the same rank {}",
                        file.hypotheses[first].id, hypothesis.id, hypothesis.rank
                    ),
                )
                .with_primary(at("rank"), "same rank as another hypothesis")
                .with_secondary(
                    spans.best(&format!("hypotheses[{first}].rank")),
                    "this rank",
                )
                .with_help("ranks order the hypotheses: make them distinct"),
            );
        } else {
            ranks.insert(hypothesis.rank, i);
        }
        let effect = &hypothesis.effect;
        if !(usable_sd(effect.sd) && usable_mean(effect.mean)) {
            let (field, what, message) = if usable_mean(effect.mean) {
                (
                    "sd",
                    "effect sd",
                    format!(
                        "hypothesis `{}` has an effect sd of {}; it must be positive and at most {}",
                        hypothesis.id, effect.sd, trialc_runtime::fmt::exact(MAX_EFFECT)
                    ),
                )
            } else {
                (
                    "mean",
                    "effect mean",
                    format!(
                        "hypothesis `{}` has an effect mean of {}; it must be a number of magnitude at most {}",
                        hypothesis.id, effect.mean, trialc_runtime::fmt::exact(MAX_EFFECT)
                    ),
                )
            };
            diagnostics.push(
                Diagnostic::error(codes::E0806, message)
                    .with_primary(at(&format!("effect.{field}")), what)
                    .with_help("a hypothesis states its effect on the effect's scale: a mean and a positive sd of a size the model can use"),
            );
        }
        if let Some(parts) = &effect.mixture {
            let total: f64 = parts.iter().map(|c| c.weight).sum();
            let bad = parts.iter().position(|c| {
                !(c.weight > 0.0 && c.weight.is_finite() && usable_mean(c.mean) && usable_sd(c.sd))
            });
            let problem = if parts.is_empty() {
                Some("has no components".to_string())
            } else if let Some(k) = bad {
                Some(format!(
                    "component {} needs a positive weight, a finite mean and a positive sd",
                    k + 1
                ))
            } else if (total - 1.0).abs() > 1e-6 {
                Some(format!("has weights that add up to {total}, not 1"))
            } else {
                None
            };
            if let Some(problem) = problem {
                diagnostics.push(
                    Diagnostic::error(
                        codes::E0814,
                        format!("the effect mixture of hypothesis `{}` {problem}", hypothesis.id),
                    )
                    .with_primary(at("effect.mixture"), "this mixture")
                    .with_help("a mixture is `[{\"weight\", \"mean\", \"sd\"}, …]` with positive weights adding up to 1; it becomes the prior, so it must be a distribution"),
                );
            }
        }
    }
    let has_error = diagnostics.iter().any(Diagnostic::is_error);
    (if has_error { None } else { Some(file) }, diagnostics)
}

// ----- the spec's use of its hypotheses --------------------------------------

/// One hypotheses file named by the spec, as read.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    /// The name the spec gives it (`hypotheses lfm from …`).
    pub source: String,
    /// The file in the session's source map (labels of its diagnostics are
    /// placed in it).
    pub id: FileId,
    /// The file's name as shown in diagnostics (its path).
    pub name: String,
    /// The file's text (empty when it could not be read).
    pub text: String,
    /// The file, when it was read without errors.
    pub file: Option<HypothesesFile>,
    /// Diagnostics with spans into `text`.
    pub diagnostics: Vec<Diagnostic>,
}

/// Every hypotheses file of a spec, and what the spec's use of them raised.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub files: Vec<LoadedFile>,
    /// Diagnostics with spans into the spec (E0807, E0811), and those
    /// about the spec's use of a file's hypothesis (E0809, E0810), whose
    /// labels are in both files.
    pub spec_diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// Whether any file or the spec's use of them has an error.
    pub fn has_errors(&self) -> bool {
        self.spec_diagnostics.iter().any(Diagnostic::is_error)
            || self
                .files
                .iter()
                .any(|f| f.file.is_none() || f.diagnostics.iter().any(Diagnostic::is_error))
    }
    /// The files read without errors, by source name, in spec order.
    pub fn usable(&self) -> Vec<(String, HypothesesFile)> {
        self.files
            .iter()
            .filter_map(|f| f.file.clone().map(|file| (f.source.clone(), file)))
            .collect()
    }
    /// `(source, id) -> (effect mean, effect sd)`, what lowering needs.
    pub fn effects(&self) -> HashMap<(String, String), (f64, f64)> {
        effects(&self.usable())
    }
}

/// `(source, id) -> (effect mean, effect sd)` of files read.
pub fn effects(files: &[(String, HypothesesFile)]) -> HashMap<(String, String), (f64, f64)> {
    let mut map = HashMap::new();
    for (source, file) in files {
        for h in &file.hypotheses {
            map.insert((source.clone(), h.id.clone()), (h.effect.mean, h.effect.sd));
        }
    }
    map
}

/// Given a path as written in the spec: the name to show, and the file's
/// text or why it cannot be read.
pub type FileReader<'a> = dyn FnMut(&str) -> (String, Result<String, String>) + 'a;

/// Reads every hypotheses file the spec names through `read_file` (given the
/// path as written in the spec, it returns the name to show and the text or
/// an error message), checks each (E0801–E0806, E0807 when it cannot be
/// read) and then the spec's use of them ([`check_uses`]). File ids: the
/// spec is `FileId(0)` and the files follow in spec order, as a session
/// that opened the spec first would number them.
pub fn load(
    spec: &hir::Spec,
    spec_name: &str,
    spec_text: &str,
    read_file: &mut FileReader<'_>,
) -> Loaded {
    let _ = spec_name;
    let mut loaded = Loaded::default();
    let mut next = 1;
    for source in &spec.hypotheses {
        let (name, result) = read_file(&source.path);
        match result {
            Ok(text) => {
                loaded
                    .files
                    .push(read_loaded(&source.name, FileId(next), name, text));
                next += 1;
            }
            Err(e) => loaded.spec_diagnostics.push(unreadable(source, &name, &e)),
        }
    }
    check_uses(spec, FileId(0), spec_text, &mut loaded);
    loaded
}

/// One file the spec names, read and checked (E0801–E0806); its
/// diagnostics are placed in `id`.
pub fn read_loaded(source: &str, id: FileId, name: String, text: String) -> LoadedFile {
    let (file, diagnostics) = read(&text);
    LoadedFile {
        source: source.to_string(),
        id,
        name,
        text,
        file,
        diagnostics: diagnostics.into_iter().map(|d| d.in_file(id)).collect(),
    }
}

/// E0807: the file the spec names cannot be read (`why` says why).
pub fn unreadable(source: &hir::HypothesesSource, name: &str, why: &str) -> Diagnostic {
    Diagnostic::error(
        codes::E0807,
        format!("cannot read the hypotheses file `{name}`: {why}"),
    )
    .with_primary(source.path_span, "named here")
    .with_help("the path is relative to the spec's folder; check it, or export the file there")
}

/// One use of a hypothesis as a prior in the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    pub source: String,
    pub id: String,
    /// Index into the spec's models.
    pub model: usize,
    /// The arm whose effect (or carryover) the prior is of.
    pub arm: usize,
    pub carryover: bool,
    /// The whole prior.
    pub span: Span,
}

/// Every hypothesis the spec's models use, in spec order (through mixtures).
pub fn uses(spec: &hir::Spec) -> Vec<Use> {
    fn walk(prior: &hir::Prior, out: &mut Vec<(String, String, Span)>) {
        match &prior.dist {
            PriorDist::Hypothesis { source, id, .. } => {
                out.push((source.clone(), id.clone(), prior.span))
            }
            PriorDist::Mixture(parts) => {
                for (_, p) in parts {
                    walk(p, out);
                }
            }
            _ => {}
        }
    }
    let mut uses = Vec::new();
    for (m, model) in spec.models.iter().enumerate() {
        let effects = model.effects.iter().map(|e| (e, false));
        let carry = model.carryover.iter().map(|e| (e, true));
        for (effect, carryover) in effects.chain(carry) {
            let mut found = Vec::new();
            walk(&effect.prior, &mut found);
            uses.extend(found.into_iter().map(|(source, id, span)| Use {
                source,
                id,
                model: m,
                arm: effect.arm,
                carryover,
                span,
            }));
        }
    }
    uses
}

/// The span of `word` (as a whole word) inside `within`, else `within`.
fn word_span(text: &str, within: Span, word: &str) -> Span {
    let Some(hay) = text.get(within.range()) else {
        return within;
    };
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(i) = hay[from..].find(word) {
        let start = from + i;
        let end = start + word.len();
        let before = hay[..start].chars().next_back().is_some_and(is_ident);
        let after = hay[end..].chars().next().is_some_and(is_ident);
        if !before && !after {
            return Span::new(within.start + start, within.start + end);
        }
        from = end;
    }
    within
}

/// The span of `source.id` inside a prior, else the prior.
fn reference_span(text: &str, prior: Span, source: &str, id: &str) -> Span {
    let s = word_span(text, prior, source);
    if s == prior {
        return prior;
    }
    let rest = Span::new(s.end, prior.end);
    let i = word_span(text, rest, id);
    if i == rest {
        prior
    } else {
        s.to(i)
    }
}

/// How to map `text` to `name`: the line to add to the declaration's block
/// (or the block to add, when it has none).
fn mapping_advice(
    source: &str,
    declared: Option<&hir::HypothesesSource>,
    keyword: &str,
    text: &str,
    name: &str,
) -> String {
    let literal = crate::syntax::quote(text).unwrap_or_else(|| format!("{text:?}"));
    let line = format!("{keyword} {literal} is {name}");
    match declared {
        Some(d) if !d.interventions.is_empty() || !d.outcomes.is_empty() => {
            format!("add `{line}` to the block of `hypotheses {source}`")
        }
        Some(d) => format!(
            "`hypotheses {source} from {} {{ {line} }}`",
            crate::syntax::quote(&d.path).unwrap_or_else(|| format!("{:?}", d.path))
        ),
        None => format!("`{line}`"),
    }
}

/// W0810: a mapping whose text no hypothesis of its (readable) file has,
/// with the closest text of the file, if one is close.
fn unused_mappings(spec: &hir::Spec, spec_file: FileId, loaded: &mut Loaded) {
    for declared in &spec.hypotheses {
        let Some(f) = loaded.files.iter().find(|f| f.source == declared.name) else {
            continue;
        };
        let Some(file) = &f.file else {
            continue;
        };
        let spans = JsonSpans::scan(&f.text);
        for (keyword, mappings) in [
            ("intervention", &declared.interventions),
            ("outcome", &declared.outcomes),
        ] {
            let texts: Vec<&str> = file
                .hypotheses
                .iter()
                .map(|h| match keyword {
                    "intervention" => h.intervention.as_str(),
                    _ => h.outcome.as_str(),
                })
                .collect();
            for m in mappings.iter() {
                if texts.contains(&m.text.as_str()) {
                    continue;
                }
                let literal = |t: &str| crate::syntax::quote(t).unwrap_or_else(|| format!("{t:?}"));
                let mut d = Diagnostic::warning(
                    codes::W0810,
                    format!(
                        "no hypothesis of `{}` has the {keyword} {}",
                        declared.name,
                        literal(&m.text)
                    ),
                )
                .with_primary(m.text_span, format!("no hypothesis has this {keyword}"));
                let close = hir::names::did_you_mean(&m.text, texts.iter().copied());
                d = match close {
                    Some(text) => {
                        if let Some(i) = texts.iter().position(|t| *t == text) {
                            d = d.with_secondary_in(
                                f.id,
                                spans.best(&format!("hypotheses[{i}].{keyword}")),
                                format!("the closest {keyword} in `{}`", f.name),
                            );
                        }
                        d.with_help(format!(
                            "did you mean {}? A mapping's text must be the file's, character for character",
                            literal(text)
                        ))
                    }
                    None => d.with_help(format!(
                        "copy the {keyword} exactly from `{}`, or remove the mapping if no hypothesis needs it",
                        f.name
                    )),
                };
                loaded.spec_diagnostics.push(
                    d.with_note("the hypotheses with this text are compared with the spec's names as they are")
                        .in_file(spec_file),
                );
            }
        }
    }
}

/// Checks every use of a hypothesis against the spec and the files:
/// E0811 unknown id, E0809 the hypothesis is about another outcome, E0810
/// about another intervention (one diagnostic at the use in the spec, with
/// a label on the JSON value in the file), W0808 hypotheses of a file the
/// spec never uses, W0810 mappings whose text no hypothesis has. A
/// hypothesis' `intervention` and `outcome` are compared with the spec's
/// names through the declaration's mappings
/// ([`hir::HypothesesSource::arm_name`]). Files that could not be read are skipped (their errors
/// stand). `spec_file` is the spec's id in the session.
pub fn check_uses(spec: &hir::Spec, spec_file: FileId, spec_text: &str, loaded: &mut Loaded) {
    let mut used: HashSet<(String, String)> = HashSet::new();
    for u in uses(spec) {
        let Some(f) = loaded.files.iter_mut().find(|f| f.source == u.source) else {
            continue;
        };
        let Some(file) = &f.file else {
            continue;
        };
        let at = reference_span(spec_text, u.span, &u.source, &u.id);
        let json_file = f.id;
        let reference = format!("{}.{}", u.source, u.id);
        let Some((index, h)) = file
            .hypotheses
            .iter()
            .enumerate()
            .find(|(_, h)| h.id == u.id)
        else {
            let ids: Vec<&str> = file.hypotheses.iter().map(|h| h.id.as_str()).collect();
            let mut d = Diagnostic::error(
                codes::E0811,
                format!("hypothesis `{reference}` is not in `{}`", f.name),
            )
            .with_primary(at, "unknown hypothesis id")
            .with_note(if ids.is_empty() {
                format!("`{}` has no hypotheses", f.name)
            } else {
                format!("`{}` has {}", f.name, ids.join(", "))
            });
            let close = ids
                .iter()
                .map(|id| {
                    let score = if id.eq_ignore_ascii_case(&u.id) {
                        1.0
                    } else {
                        strsim::jaro_winkler(id, &u.id)
                    };
                    (score, *id)
                })
                .filter(|(s, _)| *s > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            d = match close {
                Some((_, id)) => d.with_help(format!("did you mean `{}.{id}`?", u.source)),
                None => {
                    d.with_help("use one of the file's ids, or export the hypothesis into the file")
                }
            };
            loaded.spec_diagnostics.push(d.in_file(spec_file));
            continue;
        };
        used.insert((u.source.clone(), u.id.clone()));
        let spans = JsonSpans::scan(&f.text);
        let json_at = |field: &str| spans.best(&format!("hypotheses[{index}].{field}"));
        let Some(model) = spec.models.get(u.model) else {
            continue;
        };
        let Some(outcome) = spec.outcomes.get(model.outcome) else {
            continue;
        };
        let parameter = match spec.arms.get(u.arm) {
            Some(arm) if u.carryover => format!("carryover[{}]", arm.name),
            Some(arm) => format!("effect[{}]", arm.name),
            None => "an effect".to_string(),
        };
        let declared = spec.hypotheses.iter().find(|s| s.name == u.source);
        let outcome_mapping = declared.and_then(|s| s.outcome_mapping(&h.outcome));
        let about_outcome = outcome_mapping.map_or(h.outcome.as_str(), |m| m.target.as_str());
        if about_outcome != outcome.name {
            let there = json_at("outcome");
            let elsewhere = spec.outcomes.iter().find(|o| o.name == about_outcome);
            let about = match outcome_mapping {
                Some(m) => format!("`{}` (mapped to `{}`)", h.outcome, m.target),
                None => format!("`{}`", h.outcome),
            };
            let headline = match elsewhere {
                Some(_) => format!(
                    "hypothesis `{reference}` is about {about}, but it is the prior of {parameter} on `{}`",
                    outcome.name
                ),
                None => format!(
                    "hypothesis `{reference}` is about an outcome `{}` that the spec does not have",
                    h.outcome
                ),
            };
            let mut d = Diagnostic::error(codes::E0809, headline)
                .with_primary(at, format!("a hypothesis about `{}`", h.outcome))
                .with_secondary(
                    word_span(spec_text, outcome.span, &outcome.name),
                    format!("the model is of `{}`", outcome.name),
                )
                .with_secondary_in(
                    json_file,
                    there,
                    format!(
                        "the hypothesis is about `{}`; the spec has it as the prior of {parameter} on `{}`",
                        h.outcome, outcome.name
                    ),
                );
            if let Some(m) = outcome_mapping {
                d = d.with_secondary(
                    m.text_span.to(m.target_span),
                    format!("the spec maps the hypothesis' outcome to `{}`", m.target),
                );
            }
            if let Some(o) = elsewhere {
                d = d.with_secondary(
                    word_span(spec_text, o.span, &o.name),
                    "the outcome the hypothesis is about",
                );
            }
            d = d.with_help(match (elsewhere, outcome_mapping) {
                (Some(o), None) => format!(
                    "use a hypothesis about `{}` here, or move this prior to the model of `{}`",
                    outcome.name, o.name
                ),
                (Some(o), Some(_)) => format!(
                    "use a hypothesis about `{}` here, move this prior to the model of `{}`, or map the text to `{}` if that is the outcome it means",
                    outcome.name, o.name, outcome.name
                ),
                (None, _) => format!(
                    "if `{}` is the outcome `{}`, map it in the spec: {}; otherwise use a hypothesis about `{}` here",
                    h.outcome,
                    outcome.name,
                    mapping_advice(&u.source, declared, "outcome", &h.outcome, &outcome.name),
                    outcome.name
                ),
            });
            loaded.spec_diagnostics.push(d.in_file(spec_file));
        }
        if let Some(arm) = spec.arms.get(u.arm) {
            let arm_mapping = declared.and_then(|s| s.intervention_mapping(&h.intervention));
            let about_arm = arm_mapping.map_or(h.intervention.as_str(), |m| m.target.as_str());
            if about_arm != arm.name {
                let there = json_at("intervention");
                let elsewhere = spec.arms.iter().find(|a| a.name == about_arm);
                let about = match arm_mapping {
                    Some(m) => format!("`{}` (mapped to `{}`)", h.intervention, m.target),
                    None => format!("`{}`", h.intervention),
                };
                let headline = match elsewhere {
                    Some(_) => format!(
                        "hypothesis `{reference}` is about {about}, but it is the prior of {parameter}"
                    ),
                    None => format!(
                        "hypothesis `{reference}` is about an intervention `{}` that the spec has no arm for",
                        h.intervention
                    ),
                };
                let mut d = Diagnostic::error(codes::E0810, headline)
                    .with_primary(at, format!("a hypothesis about `{}`", h.intervention))
                    .with_secondary(
                        word_span(spec_text, arm.span, &arm.name),
                        format!("the effect is of arm `{}`", arm.name),
                    )
                    .with_secondary_in(
                        json_file,
                        there,
                        format!(
                            "the hypothesis is about `{}`; the spec has it as the prior of {parameter}",
                            h.intervention
                        ),
                    );
                if let Some(m) = arm_mapping {
                    d = d.with_secondary(
                        m.text_span.to(m.target_span),
                        format!(
                            "the spec maps the hypothesis' intervention to `{}`",
                            m.target
                        ),
                    );
                }
                let d = d
                    .with_note(
                        "a hypothesis names its intervention by the arm's name, or by a text the spec maps to an arm, so the prior cannot go to the wrong arm",
                    )
                    .with_help(match (elsewhere, arm_mapping) {
                        (Some(a), None) => format!(
                            "use it as the prior of `effect {}`, or use a hypothesis about `{}` here",
                            a.name, arm.name
                        ),
                        (Some(a), Some(_)) => format!(
                            "use it as the prior of `effect {}`, use a hypothesis about `{}` here, or map the text to `{}` if that is the arm it means",
                            a.name, arm.name, arm.name
                        ),
                        (None, _) => format!(
                            "if `{}` is the arm `{}`, map it in the spec: {}; otherwise use a hypothesis about `{}` here",
                            h.intervention,
                            arm.name,
                            mapping_advice(&u.source, declared, "intervention", &h.intervention, &arm.name),
                            arm.name
                        ),
                    });
                loaded.spec_diagnostics.push(d.in_file(spec_file));
            }
        }
    }
    unused_mappings(spec, spec_file, loaded);
    for f in &mut loaded.files {
        let Some(file) = &f.file else {
            continue;
        };
        let unused: Vec<(usize, &Hypothesis)> = file
            .hypotheses
            .iter()
            .enumerate()
            .filter(|(_, h)| !used.contains(&(f.source.clone(), h.id.clone())))
            .collect();
        let Some(&(first, _)) = unused.first() else {
            continue;
        };
        let spans = JsonSpans::scan(&f.text);
        let ids: Vec<String> = unused.iter().map(|(_, h)| format!("`{}`", h.id)).collect();
        let headline = if unused.len() == file.hypotheses.len() {
            format!("no hypothesis of `{}` is used by the spec", f.source)
        } else if unused.len() == 1 {
            format!("hypothesis {} of `{}` is never used", ids[0], f.source)
        } else {
            format!(
                "hypotheses {} of `{}` are never used",
                ids.join(", "),
                f.source
            )
        };
        let mut d = Diagnostic::warning(codes::W0808, headline).with_primary(
            spans.best(&format!("hypotheses[{first}].id")),
            "not the prior of any effect",
        );
        for (i, _) in unused.iter().skip(1) {
            d = d.with_secondary(
                spans.best(&format!("hypotheses[{i}].id")),
                "not used either",
            );
        }
        f.diagnostics.push(
            d.in_file(f.id).with_note("the protocol reports every hypothesis the model proposed; a hypothesis the trial does not test is not evidence either way")
                .with_help(format!(
                    "use it as a prior (`effect ARM ~ {}.ID …`), or leave it and accept the warning",
                    f.source
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"format": "trialc-hypotheses/1",
 "generator": {"model": "m", "version": "1", "prompt_sha256": "ab", "created": "2026-11-20"},
 "hypotheses": [{"id": "H1", "rank": 1, "intervention": "a", "outcome": "pain", "effect": {"mean": -1.2, "sd": 0.6}}]}"#;

    #[test]
    fn reads_a_valid_file() {
        let (file, diagnostics) = read(GOOD);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let file = file.expect("valid file");
        assert_eq!(file.get("H1").map(|h| h.effect.mean), Some(-1.2));
    }

    #[test]
    fn syntax_errors_point_into_the_json() {
        let text = "{\"format\": \"trialc-hypotheses/1\",\n  \"generator\": }";
        let (_, diagnostics) = read(text);
        assert_eq!(diagnostics[0].code, "E0801");
        let span = diagnostics[0].primary_span().expect("span");
        assert_eq!(&text[span.start..span.start + 1], "}");
    }

    /// An sd or mean so large that tempering (sd / sqrt(discount)) or the
    /// prior's square would overflow is refused where the file states it.
    #[test]
    fn effects_beyond_the_usable_range_are_refused() {
        for (field, value) in [
            ("\"sd\": 0.6", "\"sd\": 1.6e308"),
            ("\"mean\": -1.2", "\"mean\": -1e101"),
        ] {
            let text = GOOD.replace(field, value);
            let (file, diagnostics) = read(&text);
            assert!(file.is_none(), "{value}");
            assert_eq!(diagnostics[0].code, "E0806", "{value}");
        }
        let (file, _) = read(&GOOD.replace("\"sd\": 0.6", "\"sd\": 1e100"));
        assert!(file.is_some(), "1e100 is still usable");
    }

    #[test]
    fn missing_provenance_is_a_format_error() {
        let text = GOOD.replace("\"prompt_sha256\": \"ab\", ", "");
        let (_, diagnostics) = read(&text);
        assert_eq!(diagnostics[0].code, "E0802");
        assert!(diagnostics[0].labels[0].message.contains("prompt_sha256"));
        assert!(!diagnostics[0].labels[0].message.contains(" at line "));
        // The object that lacks the field is named, at its key.
        let lacking = &diagnostics[0].labels[1];
        assert_eq!(&text[lacking.span.range()], "\"generator\"");
        assert_eq!(lacking.message, "`generator` has no `prompt_sha256`");
    }

    #[test]
    fn semantic_errors_are_all_collected() {
        let text = GOOD
            .replace("trialc-hypotheses/1", "trialc-hypotheses/9")
            .replace("\"sd\": 0.6", "\"sd\": 0")
            .replace("\"created\": \"2026-11-20\"", "\"created\": \"\"");
        let (file, diagnostics) = read(&text);
        assert!(file.is_none());
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec!["E0803", "E0804", "E0806"]);
        // Each points at the value itself.
        let at = |i: usize| {
            let s = diagnostics[i].primary_span().expect("span");
            &text[s.range()]
        };
        assert_eq!(at(0), "\"trialc-hypotheses/9\"");
        assert_eq!(at(1), "\"\"");
        assert_eq!(at(2), "0");
    }

    #[test]
    fn a_byte_order_mark_is_accepted_and_errors_at_non_ascii_render() {
        let (file, diagnostics) = read(&format!("\u{feff}{GOOD}"));
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert!(file.is_some());
        // A JSON error right at a multi-byte character renders without panic.
        for text in [
            "\u{feff}{\"format\": é}".to_string(),
            "{\"format\": \"trialc-hypotheses/1\", é".to_string(),
            "\u{feff}\u{feff}{}".to_string(),
        ] {
            let (_, diagnostics) = read(&text);
            assert!(!diagnostics.is_empty(), "{text}");
            for d in &diagnostics {
                let shown = crate::render::human(d, "h.json", &text, false);
                assert!(shown.contains(d.code), "{shown}");
            }
        }
    }

    #[test]
    fn a_mixture_must_be_a_distribution() {
        let with = |mixture: &str| {
            GOOD.replace(
                "\"sd\": 0.6}",
                &format!("\"sd\": 0.6, \"mixture\": {mixture}}}"),
            )
        };
        let ok = with(
            r#"[{"weight": 0.25, "mean": -2, "sd": 0.5}, {"weight": 0.75, "mean": -0.9, "sd": 0.3}]"#,
        );
        let (file, diagnostics) = read(&ok);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert!(file.is_some());
        for bad in [
            "[]",
            r#"[{"weight": 0.5, "mean": 0, "sd": 1}]"#,
            r#"[{"weight": 1, "mean": 0, "sd": 0}]"#,
            r#"[{"weight": -0.5, "mean": 0, "sd": 1}, {"weight": 1.5, "mean": 0, "sd": 1}]"#,
        ] {
            let text = with(bad);
            let (file, diagnostics) = read(&text);
            assert!(file.is_none(), "{bad}");
            assert_eq!(diagnostics[0].code, "E0814", "{bad}");
            let at = diagnostics[0].primary_span().expect("span");
            assert!(
                text[at.range()].starts_with('['),
                "{bad}: {}",
                &text[at.range()]
            );
        }
    }

    #[test]
    fn json_spans_find_nested_values() {
        let spans = JsonSpans::scan(GOOD);
        let at = |p: &str| &GOOD[spans.value(p).expect(p).range()];
        assert_eq!(at("format"), "\"trialc-hypotheses/1\"");
        assert_eq!(at("generator.created"), "\"2026-11-20\"");
        assert_eq!(at("hypotheses[0].effect.sd"), "0.6");
        assert_eq!(at("hypotheses[0].id"), "\"H1\"");
        assert_eq!(
            &GOOD[spans.key("hypotheses[0].rank").expect("key").range()],
            "\"rank\""
        );
        assert!(spans.value("hypotheses[1]").is_none());
    }

    #[test]
    fn duplicates_point_at_both_values() {
        let text = GOOD.replace(
            "]}",
            r#", {"id": "H1", "rank": 1, "intervention": "a", "outcome": "pain", "effect": {"mean": 0, "sd": 1}}]}"#,
        );
        let (_, diagnostics) = read(&text);
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec!["E0805", "E0805"]);
        let primary = diagnostics[0].primary_span().expect("span");
        let secondary = diagnostics[0].labels[1].span;
        assert_eq!(&text[primary.range()], "\"H1\"");
        assert!(secondary.start < primary.start);
        assert_eq!(
            &text[diagnostics[1].primary_span().expect("span").range()],
            "1"
        );
    }
}
