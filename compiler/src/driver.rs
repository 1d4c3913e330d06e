//! The pipeline as a library: one [`Session`] that the CLI, the tests, the
//! editor, the protocol renderer and design simulation share.
//!
//! A session owns the texts it loaded (a [`SourceMap`]) and every
//! diagnostic raised on them, each label placed in its file. The stages are
//! calls, each taking what the one before returned:
//!
//! ```text
//! open ─► check ─► prepare ─► fit ─► analyse
//!  spec    parse, hir,  schedule (checked), diary,   NUTS or Laplace,   rules, effects, convergence,
//!          hypotheses,  lowering to one model        one per outcome    sensitivity refit, report
//!          schedule     per outcome
//! ```
//!
//! `trialc run --compare-loo` adds two calls: `loo_alternatives` (after
//! `prepare`, before any fit: each alternative model lowered and checked)
//! and `compare_loo` (after `fit`: the alternatives fitted and compared
//! with the spec's models by PSIS-LOO).
//!
//! A stage returns `Err(Stop)` when anything so far has an error: a spec
//! with any error (a syntax error included) never reaches the schedule, the
//! diary or the sampler. The session does no IO of its own: texts come
//! from a [`Sources`] (files for the CLI, buffers for an editor), and
//! nothing is printed or written; callers render [`Session::diagnostics`].

use rayon::prelude::*;
use std::sync::Arc;
use trialc_runtime::posterior::Posterior;
use trialc_runtime::progress::Counter;

use crate::analysis::loo::{self as loo_compare, LooComparison, Request};
use crate::analysis::{self, loglik, sensitivity};
use crate::codes;
use crate::data::{self, Diary};
use crate::diagnostic::{self, Diagnostic};
use crate::evidence;
use crate::fit::{self, RunSettings};
use crate::hir;
use crate::hypotheses::{self, HypothesesFile, Loaded};
use crate::lower::{self, LoweredOutcome};
use crate::markdown;
use crate::protocol;
use crate::report::{self, Report};
use crate::schedule::key::KeyError;
use crate::schedule::{self, Allocation, Key, Schedule};
use crate::source::{
    resolve_within, Access, FileId, FileKind, PathProblem, ReadError, SourceMap, Sources,
};
use crate::syntax::{self, ast};

/// Why a stage stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The inputs have errors; they are in [`Session::diagnostics`].
    Invalid,
    /// A file given on the command line cannot be used at all (there is
    /// no place in a file to point at).
    Unusable(Problem),
}

/// A problem with no place in a file: what, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub help: String,
}

impl Stop {
    fn unusable(message: impl Into<String>, help: impl Into<String>) -> Stop {
        Stop::Unusable(Problem {
            message: message.into(),
            help: help.into(),
        })
    }
}

/// How a session may read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionOptions {
    /// Allow paths named in a spec to leave the spec's folder tree (the
    /// CLI's `--allow-outside`); refused by default, because specs come
    /// from other people and from models.
    pub allow_outside: bool,
}

/// A spec that checked without errors, with its hypotheses files and schedule.
#[derive(Debug, Clone)]
pub struct Checked {
    pub file: FileId,
    pub spec: hir::Spec,
    /// The hypotheses files the spec names, read without errors, by the
    /// spec's source name, in spec order.
    pub hypotheses: Vec<(String, HypothesesFile)>,
    pub schedule: Schedule,
}

/// Everything a fit needs: the checked spec, the diary and one lowered
/// model per outcome.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub checked: Checked,
    pub diary_file: FileId,
    pub diary: Diary,
    pub lowered: Vec<LoweredOutcome>,
}

/// Which diary to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiarySource<'a> {
    /// The spec's `data "…"`, relative to the spec (confined to its tree).
    Spec,
    /// A path the user gave (read as given).
    Path(&'a str),
}

/// Where the pharmacy's key file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource<'a> {
    /// The path the spec writes after its commitment (`key "…"`, relative
    /// to the spec, confined to its tree), if it writes one.
    Spec,
    /// A path the user gave (`--key FILE`, read as given).
    Path(&'a str),
}

/// Whether the spec's allocation is drawn from a key it commits to: it
/// writes a commitment, and its sequence is randomized or its arms coded.
pub fn needs_key(spec: &hir::Spec) -> bool {
    let s = &spec.schedule;
    s.commitment.is_some() && (s.design.is_randomized() || s.blinding != schedule::Blinding::Open)
}

/// One fitted model per outcome, in spec order.
pub type Fits = Vec<(LoweredOutcome, Posterior)>;

/// How fits run: sampler settings and worker threads. Results do not depend
/// on `threads`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    pub settings: RunSettings,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
}

/// What a long stage tells its caller while it works. Called from worker
/// threads.
pub trait Progress: Sync {
    /// `total` fits are about to run (`phase`: `fitting` or `sensitivity`).
    fn start(&self, _phase: &str, _total: usize) {}
    /// The fit of outcome `name` starts; `counter` counts its chains'
    /// iterations as the sampler goes (warmup, then draws).
    fn fit_started(&self, _name: &str, _counter: &Arc<Counter>) {}
    /// One fit finished.
    fn finished(&self, _name: &str) {}
    /// The phase is over.
    fn end(&self) {}
}

/// A counter for one fit with `settings`, announced to `progress`.
fn counter_for(progress: &dyn Progress, name: &str, settings: &RunSettings) -> Arc<Counter> {
    let counter = Arc::new(Counter::new(
        settings.chains,
        settings.warmup,
        settings.draws,
    ));
    progress.fit_started(name, &counter);
    counter
}

/// Reports nothing.
pub struct Silent;
impl Progress for Silent {}

/// One `--compare-loo` alternative, lowered and checked before any fit.
#[derive(Debug, Clone)]
pub struct LooAlternative {
    /// The request's position among the run's, which keys its seed.
    pub index: usize,
    pub request: Request,
    /// Index into the spec's outcomes.
    pub outcome: usize,
    /// The spec's model in the request's terms (`errors ar1`).
    pub spec_side: String,
    pub lowered: LoweredOutcome,
}

/// The report and what it was built from.
#[derive(Debug, Clone)]
pub struct Analysed {
    pub report: Report,
    /// Each fitted outcome's pointwise log likelihood and replicates (spec
    /// order): what `--out` writes as `log_lik` and `y_rep`, and what
    /// PSIS-LOO reads ([`analysis::predictive::Predictive::pointwise_log_lik`]).
    pub predictive: Vec<analysis::predictive::Predictive>,
}

/// One run of the pipeline over one spec and what it read.
pub struct Session<S: Sources> {
    sources: S,
    options: SessionOptions,
    map: SourceMap,
    diagnostics: Vec<Diagnostic>,
}

impl<S: Sources> Session<S> {
    pub fn new(sources: S, options: SessionOptions) -> Self {
        Session {
            sources,
            options,
            map: SourceMap::default(),
            diagnostics: Vec::new(),
        }
    }

    /// Every loaded text, by id.
    pub fn files(&self) -> &SourceMap {
        &self.map
    }

    /// Every diagnostic so far, in the order the stages raised them (each
    /// stage's sorted by file and position).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Errors and warnings so far.
    pub fn counts(&self) -> (usize, usize) {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        (errors, self.diagnostics.len() - errors)
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Whether a file the spec names could not be read (E0720 the diary,
    /// E0807 a hypotheses file): a file problem, which the CLI reports with
    /// the same exit code (2) as an unreadable spec or `--data` file.
    pub fn unreadable_file(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.code == codes::E0720.as_str() || d.code == codes::E0807.as_str())
    }

    /// Adds one stage's diagnostics, each placed in `file` where its labels
    /// have no file yet, sorted by position.
    fn raise(&mut self, file: FileId, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        let mut batch: Vec<Diagnostic> = diagnostics.into_iter().map(|d| d.in_file(file)).collect();
        diagnostic::sort(&mut batch);
        self.diagnostics.extend(batch);
    }

    fn stop_if_errors(&self) -> Result<(), Stop> {
        if self.has_errors() {
            Err(Stop::Invalid)
        } else {
            Ok(())
        }
    }

    /// Loads a spec: a `.trial` file, or a Markdown protocol whose
    /// ```trial blocks form the spec (everything else blanked, so spans are
    /// offsets into the document).
    pub fn open(&mut self, path: &str) -> Result<FileId, Stop> {
        let text = self.sources.read(path, Access::Direct).map_err(|e| {
            Stop::unusable(
                format!("cannot read `{path}`: {e}"),
                "check the path; trialc reads `.trial` specs and Markdown protocols",
            )
        })?;
        let kind = if markdown::is_markdown(path) {
            if markdown::extract(&text).1 == 0 {
                return Err(Stop::unusable(
                    format!("`{path}` has no ```trial block"),
                    "fence the spec in the document with ```trial … ```",
                ));
            }
            FileKind::Markdown
        } else {
            FileKind::Spec
        };
        Ok(self.map.add(path, kind, text))
    }

    /// Loads a spec from a text the caller has (an editor's buffer).
    pub fn open_text(&mut self, name: &str, text: String) -> FileId {
        let kind = if markdown::is_markdown(name) {
            FileKind::Markdown
        } else {
            FileKind::Spec
        };
        self.map.add(name, kind, text)
    }

    /// What the parser sees of a loaded spec.
    fn spec_text(&self, file: FileId) -> String {
        let text = self.map.text(file);
        match self.map.get(file).map(|f| f.kind) {
            Some(FileKind::Markdown) => markdown::extract(text).0,
            _ => text.to_string(),
        }
    }

    /// Parses a loaded spec; syntax errors join the session's diagnostics.
    /// Parsing never fails: what parsed is returned.
    pub fn parse(&mut self, file: FileId) -> ast::File {
        let (ast, diagnostics) = syntax::parse(&self.spec_text(file));
        self.raise(file, diagnostics);
        ast
    }

    /// Parses and checks a spec, reads and checks the hypotheses files it
    /// names, and builds its schedule. `Ok` only when nothing has an error.
    pub fn check(&mut self, file: FileId) -> Result<Checked, Stop> {
        let (ast, mut diagnostics) = syntax::parse(&self.spec_text(file));
        if self.map.get(file).map(|f| f.kind) == Some(FileKind::Markdown) {
            diagnostics.extend(changed_since_recorded(self.map.text(file)));
        }
        let (spec, more) = hir::check(&ast);
        diagnostics.extend(more);
        self.raise(file, diagnostics);
        let spec = spec.ok_or(Stop::Invalid)?;
        let loaded = self.load_hypotheses(file, &spec);
        let mut in_files = Vec::new();
        for f in &loaded.files {
            in_files.extend(f.diagnostics.iter().cloned());
        }
        self.raise(
            file,
            loaded.spec_diagnostics.iter().cloned().chain(in_files),
        );
        let schedule = match schedule::build(&spec.schedule_spec()) {
            Ok(s) => Some(s),
            Err(e) => {
                // The checker validates what `schedule::build` needs; a
                // failure here is a gap in the checker.
                let d = Diagnostic::error(
                    codes::E0001,
                    format!("the schedule cannot be built although the spec checked: {e}"),
                )
                .with_primary(spec.schedule.span, "this schedule");
                self.raise(file, [d]);
                None
            }
        };
        self.stop_if_errors()?;
        let mut schedule = schedule.ok_or(Stop::Invalid)?;
        if needs_key(&spec) {
            // Drawn from seed 0 as a placeholder: the days are real, the
            // allocation is not (`unseal` draws it from the key).
            schedule.allocation = Allocation::Concealed;
        }
        let hypotheses = loaded.usable();
        // The prior predictive check (W0530): do the priors respect the
        // outcomes' declared ranges?
        let shares = crate::simulate::prior_predictive::check(&spec, &schedule, &hypotheses);
        self.raise(
            file,
            crate::simulate::prior_predictive::warnings(&spec, &shares),
        );
        Ok(Checked {
            file,
            spec,
            hypotheses,
            schedule,
        })
    }

    /// Draws the allocation of a spec that commits to the pharmacy's key:
    /// reads the key (from `key`, or the path the spec writes after its
    /// commitment), checks its SHA-256 against the commitment, and builds
    /// the schedule from its seed. E1111 when the key is needed and not
    /// there, E1110 when it is not the key committed to (or a key is given
    /// for a spec that commits to none). A spec that writes its own seed, or
    /// needs none, is returned as it is.
    ///
    /// The key's text never joins the session's files, so no diagnostic
    /// can quote it.
    pub fn unseal(&mut self, mut checked: Checked, key: KeySource<'_>) -> Result<Checked, Stop> {
        let spec_file = checked.file;
        let decl = &checked.spec.schedule;
        let at = decl.field_spans.seed.unwrap_or(decl.span);
        let Some(commitment) = decl.commitment else {
            if let KeySource::Path(path) = key {
                let d = Diagnostic::error(
                    codes::E1110,
                    format!("the key `{path}` was given, but this spec commits to no key"),
                )
                .with_primary(at, if decl.field_spans.seed.is_some() { "the seed is written here instead" } else { "no `seed commitment` in this schedule" })
                .with_help("drop `--key`; or, to conceal the allocation, replace the spec's seed with the key's commitment (`trialc schedule SPEC --new-key FILE`)");
                self.raise(spec_file, [d]);
                return Err(Stop::Invalid);
            }
            return Ok(checked);
        };
        let spec_name = self.map.name(spec_file).to_string();
        let read = match key {
            KeySource::Path(path) => self
                .sources
                .read(path, Access::Direct)
                .map(|text| (path.to_string(), text))
                .map_err(|e| (path.to_string(), e.to_string())),
            KeySource::Spec => match &decl.key {
                None if checked.schedule.allocation == Allocation::Drawn => return Ok(checked),
                None => {
                    let d = Diagnostic::error(
                        codes::E1111,
                        "the allocation is concealed: the spec commits to the pharmacy's key, and this needs the key",
                    )
                    .with_primary(at, "the commitment to the key")
                    .with_note("the sequence and the blinding codes are drawn from the key's seed; the spec holds only the key file's SHA-256")
                    .with_help("give the key file with `--key FILE` (or write `key \"PATH\"` after the commitment); the protocol needs no key (`trialc protocol`)");
                    self.raise(spec_file, [d]);
                    return Err(Stop::Invalid);
                }
                Some(path) => {
                    match resolve_within(&spec_name, &path.value, self.options.allow_outside) {
                        Err(problem) => {
                            let d = path_refused(path.span, &path.value, problem);
                            self.raise(spec_file, [d]);
                            return Err(Stop::Invalid);
                        }
                        Ok(resolved) => {
                            let access = if self.options.allow_outside {
                                Access::Direct
                            } else {
                                Access::Within(&resolved.folder)
                            };
                            self.sources
                                .read(&resolved.path, access)
                                .map(|text| (resolved.path.clone(), text))
                                .map_err(|e| (resolved.path.clone(), e.to_string()))
                        }
                    }
                }
            },
        };
        let (name, text) = match read {
            Ok(read) => read,
            Err((name, e)) => {
                let label = match (&decl.key, key) {
                    (Some(k), KeySource::Spec) => (k.span, "the key file named here"),
                    _ => (at, "the commitment to the key"),
                };
                let d = Diagnostic::error(
                    codes::E1111,
                    format!("cannot read the key `{name}`: {e}"),
                )
                .with_primary(label.0, label.1)
                .with_note("only the party that prepares the treatments (the pharmacy) holds the key; without it the allocation stays concealed")
                .with_help("give the pharmacy's key file with `--key FILE`");
                self.raise(spec_file, [d]);
                return Err(Stop::Invalid);
            }
        };
        match Key::verify(&text, &commitment) {
            Ok(found) => {
                let mut plan = checked.spec.schedule_spec();
                plan.seed = found.seed;
                match schedule::build(&plan) {
                    Ok(built) => {
                        checked.schedule = built;
                        Ok(checked)
                    }
                    Err(e) => {
                        let d = Diagnostic::error(
                            codes::E0001,
                            format!("the schedule cannot be built from the key although the spec checked: {e}"),
                        )
                        .with_primary(decl.span, "this schedule");
                        self.raise(spec_file, [d]);
                        Err(Stop::Invalid)
                    }
                }
            }
            Err(why) => {
                let help = match why {
                    KeyError::Mismatch { .. } => "use the key file whose SHA-256 (`sha256sum FILE`) is the spec's commitment; a key file must not be edited, not even its line endings",
                    KeyError::Format(_) => "the file matches the commitment but is not a `trialc-key/1` file: the commitment was made of the wrong file; make a new key with `trialc schedule SPEC --new-key FILE` and amend the spec",
                };
                let d = Diagnostic::error(
                    codes::E1110,
                    format!("`{name}` is not the key this spec commits to: {why}"),
                )
                .with_primary(at, format!("the spec commits to {}", commitment.hex()))
                .with_help(help);
                self.raise(spec_file, [d]);
                Err(Stop::Invalid)
            }
        }
    }

    /// W1106 when the spec writes its seed in plain text and a shared
    /// document is made from it: `document` names it ("blinded schedule").
    pub fn warn_plain_seed(&mut self, checked: &Checked, document: &str) {
        if let Some(d) = protocol::plain_seed_warning(&checked.spec, document) {
            self.raise(checked.file, [d]);
        }
    }

    /// Reads every hypotheses file `spec` names (confined to the spec's
    /// folder) and checks the spec's use of them.
    fn load_hypotheses(&mut self, spec_file: FileId, spec: &hir::Spec) -> Loaded {
        let spec_name = self.map.name(spec_file).to_string();
        let mut loaded = Loaded::default();
        for source in &spec.hypotheses {
            match self.read_named(&spec_name, &source.path, FileKind::Hypotheses) {
                Ok((id, name)) => {
                    let text = self.map.text(id).to_string();
                    if !looks_like_json_object(&text) {
                        // Not what the spec says it is: say so at the spec,
                        // without quoting a line of it.
                        loaded.spec_diagnostics.push(
                            Diagnostic::error(
                                codes::E0801,
                                format!("`{name}` is not a hypotheses file: it does not start with a JSON object"),
                            )
                            .with_primary(source.path_span, "named here as a hypotheses file")
                            .with_help("name a `trialc-hypotheses/1` JSON file (docs/hypotheses.md)"),
                        );
                        continue;
                    }
                    loaded
                        .files
                        .push(hypotheses::read_loaded(&source.name, id, name, text));
                }
                Err(Refused::Path(problem)) => loaded.spec_diagnostics.push(path_refused(
                    source.path_span,
                    &source.path,
                    problem,
                )),
                Err(Refused::Read(name, e)) => loaded
                    .spec_diagnostics
                    .push(hypotheses::unreadable(source, &name, &e.to_string())),
            }
        }
        let spec_text = self.spec_text(spec_file);
        hypotheses::check_uses(spec, spec_file, &spec_text, &mut loaded);
        loaded
    }

    /// Reads a file named inside the spec at `spec_name`, confined to its
    /// folder tree unless the session allows more.
    fn read_named(
        &mut self,
        spec_name: &str,
        written: &str,
        kind: FileKind,
    ) -> Result<(FileId, String), Refused> {
        let resolved = resolve_within(spec_name, written, self.options.allow_outside)
            .map_err(Refused::Path)?;
        let access = if self.options.allow_outside {
            Access::Direct
        } else {
            Access::Within(&resolved.folder)
        };
        match self.sources.read(&resolved.path, access) {
            Ok(text) => Ok((
                self.map.add(resolved.path.clone(), kind, text),
                resolved.path,
            )),
            Err(e) => Err(Refused::Read(resolved.path, e)),
        }
    }

    /// Reads the diary, checks it against the spec and its schedule, and
    /// lowers one model per outcome. A spec that commits to a key is
    /// unsealed first with the key it names ([`Session::unseal`]). For
    /// `sequence from data` the schedule of the result is the realised one
    /// (its periods the diary's runs of one arm), which the analysis and the
    /// report then use.
    pub fn prepare(&mut self, checked: Checked, diary: DiarySource<'_>) -> Result<Prepared, Stop> {
        // The allocation of a spec that commits to a key is drawn from the
        // key it names, unless the caller unsealed it with another.
        let mut checked = if checked.schedule.allocation == Allocation::Concealed {
            self.unseal(checked, KeySource::Spec)?
        } else {
            checked
        };
        let (diary_file, diary) = self.read_diary(&checked, diary)?;
        checked.schedule = match diary.schedule(&checked.schedule) {
            Ok(schedule) => schedule,
            Err(e) => {
                // `read_diary` checked what realising needs; a failure here
                // is a gap in that check.
                let d = Diagnostic::error(
                    codes::E0001,
                    format!("the realised schedule cannot be built from the diary: {e}"),
                )
                .with_primary(checked.spec.schedule.span, "this schedule");
                self.raise(checked.file, [d]);
                return Err(Stop::Invalid);
            }
        };
        let lowered = match lower::lower(
            &checked.spec,
            &checked.schedule,
            &diary,
            &checked.hypotheses,
        ) {
            Ok(lowered) => lowered,
            Err(diagnostics) => {
                self.raise(checked.file, diagnostics);
                return Err(Stop::Invalid);
            }
        };
        Ok(Prepared {
            checked,
            diary_file,
            diary,
            lowered,
        })
    }

    /// Reads the diary and checks it against the spec and its schedule.
    pub fn read_diary(
        &mut self,
        checked: &Checked,
        diary: DiarySource<'_>,
    ) -> Result<(FileId, Diary), Stop> {
        let spec_file = checked.file;
        if checked.schedule.allocation == Allocation::Concealed {
            let decl = &checked.spec.schedule;
            let d = Diagnostic::error(
                codes::E1111,
                "the allocation is concealed: the spec commits to the pharmacy's key, and the analysis needs the key",
            )
            .with_primary(decl.field_spans.seed.unwrap_or(decl.span), "the commitment to the key")
            .with_note("the diary is read against the schedule, whose arms are drawn from the key's seed")
            .with_help("give the key file with `--key FILE` (or write `key \"PATH\"` after the commitment)");
            self.raise(spec_file, [d]);
            return Err(Stop::Invalid);
        }
        let spec_name = self.map.name(spec_file).to_string();
        let diary_file = match (diary, &checked.spec.data) {
            (DiarySource::Path(path), _) => {
                let text = self.sources.read(path, Access::Direct).map_err(|e| {
                    Stop::unusable(
                        format!("cannot read the diary `{path}`: {e}"),
                        "check the path given to `--data`",
                    )
                })?;
                self.map.add(path, FileKind::Diary, text)
            }
            (DiarySource::Spec, Some(data)) => {
                match self.read_named(&spec_name, &data.value, FileKind::Diary) {
                    Ok((id, _)) => id,
                    Err(Refused::Path(problem)) => {
                        let d = path_refused(data.span, &data.value, problem);
                        self.raise(spec_file, [d]);
                        return Err(Stop::Invalid);
                    }
                    Err(Refused::Read(name, e)) => {
                        let d = Diagnostic::error(
                            codes::E0720,
                            format!("cannot read the diary `{name}`: {e}"),
                        )
                        .with_primary(data.span, "named here")
                        .with_help("the path is relative to the spec's folder; `--data FILE` reads another diary");
                        self.raise(spec_file, [d]);
                        return Err(Stop::Invalid);
                    }
                }
            }
            (DiarySource::Spec, None) => {
                return Err(Stop::unusable(
                    format!("no diary for `{spec_name}`"),
                    "name it in the spec (`data \"diary.csv\"`) or pass `--data FILE`",
                ));
            }
        };
        let text = self.map.text(diary_file).to_string();
        let (read, diagnostics) = data::read_diary(&text, &checked.spec, &checked.schedule);
        self.raise(diary_file, diagnostics);
        self.stop_if_errors()?;
        let mut diary = read.ok_or(Stop::Invalid)?;
        // Lowering points at the diary's rows (a covariate without a value).
        diary.file = Some(diary_file);
        Ok((diary_file, diary))
    }

    /// Fits every outcome's model as `options` say (NUTS from random or MAP
    /// inits, or the Laplace approximation), in parallel, each on its own
    /// seed. E0910 for a model that cannot be fitted.
    pub fn fit(
        &mut self,
        prepared: &Prepared,
        options: &FitOptions,
        progress: &dyn Progress,
    ) -> Result<Fits, Stop> {
        let settings = &options.settings;
        let spec = &prepared.checked.spec;
        let pool = thread_pool(options.threads)?;
        progress.start("fitting", prepared.lowered.len());
        let results: Vec<Result<Posterior, String>> = pool.install(|| {
            prepared
                .lowered
                .par_iter()
                .map(|l| {
                    let seed = fit::outcome_seed(settings.seed, l.outcome);
                    let name = spec
                        .outcomes
                        .get(l.outcome)
                        .map_or("?", |o| o.name.as_str());
                    let counter = counter_for(progress, name, settings);
                    let result = fit::fit_model(l.model.clone(), settings, seed, Some(counter));
                    progress.finished(name);
                    result
                })
                .collect()
        });
        progress.end();
        let mut fits = Vec::new();
        let mut failed = Vec::new();
        for (lowered, result) in prepared.lowered.iter().zip(results) {
            match result {
                Ok(post) => fits.push((lowered.clone(), post)),
                Err(message) => {
                    let outcome = &spec.outcomes[lowered.outcome];
                    failed.push(
                        Diagnostic::error(
                            codes::E0910,
                            format!("the model of `{}` could not be fitted: {message}", outcome.name),
                        )
                        .with_primary(outcome.span, "this outcome")
                        .with_help("check the priors and the data of this outcome; `trialc debug mir` shows the model"),
                    );
                }
            }
        }
        if !failed.is_empty() {
            self.raise(prepared.checked.file, failed);
            return Err(Stop::Invalid);
        }
        Ok(fits)
    }

    /// Evaluates the decision rules, effects and convergence of the fits,
    /// refits the outcomes whose decision may rest on an LFM prior under the
    /// sceptical reference prior, and builds the report. Convergence and
    /// sensitivity warnings join the session's diagnostics.
    pub fn analyse(
        &mut self,
        prepared: &Prepared,
        fits: &Fits,
        options: &FitOptions,
        progress: &dyn Progress,
    ) -> Result<Analysed, Stop> {
        let c = &prepared.checked;
        let settings = &options.settings;
        let analysis = analysis::analyse(&c.spec, &c.schedule, &prepared.diary, fits, settings);
        // Replicates and pointwise log likelihoods over the retained draws,
        // on their own streams, in the run's thread pool.
        let predictive =
            thread_pool(options.threads)?.install(|| analysis::predictive::predict(fits, settings));
        let periods_complete = analysis.periods_complete;
        let convergence = analysis.diagnostics.clone();
        let sources: Vec<(&str, &HypothesesFile)> = c
            .hypotheses
            .iter()
            .map(|(name, file)| (name.as_str(), file))
            .collect();
        let hypotheses_files: Vec<(&str, &[u8])> = c
            .spec
            .hypotheses
            .iter()
            .zip(
                self.map
                    .iter()
                    .filter(|(_, f)| f.kind == FileKind::Hypotheses),
            )
            .map(|(source, (_, f))| (source.path.as_str(), f.text.as_bytes()))
            .collect();
        let mut built = report::present(
            &c.spec,
            &c.schedule,
            &prepared.diary,
            fits,
            analysis,
            &predictive,
            settings,
        )
        .with_hypotheses(&c.spec, &sources)
        .with_files(
            (self.map.name(c.file), self.map.text(c.file).as_bytes()),
            (
                self.map.name(prepared.diary_file),
                self.map.text(prepared.diary_file).as_bytes(),
            ),
            &hypotheses_files,
        );
        if let Some(refits) = self.fit_sceptical(prepared, fits, options, progress)? {
            let result = sensitivity::compare(&c.spec, fits, &refits, periods_complete, settings);
            self.raise(c.file, sensitivity::warnings(&c.spec, &result));
            built.sensitivity = Some(result);
        }
        self.raise(c.file, convergence);
        Ok(Analysed {
            report: built,
            predictive,
        })
    }

    /// The sensitivity refit: every outcome whose model has a prior from an
    /// LFM hypothesis and that a decision rule reads, fitted again as the
    /// sceptical reference model (each such prior replaced by its vague
    /// component; same settings, its own seed); other outcomes reuse their
    /// fit. `None` when no decision rule reads an outcome with a prior from
    /// a hypothesis.
    fn fit_sceptical(
        &mut self,
        prepared: &Prepared,
        fits: &Fits,
        options: &FitOptions,
        progress: &dyn Progress,
    ) -> Result<Option<Fits>, Stop> {
        let spec = &prepared.checked.spec;
        let refit: Vec<&LoweredOutcome> = fits
            .iter()
            .map(|(l, _)| l)
            .filter(|l| sensitivity::needs_refit(spec, l))
            .collect();
        if refit.is_empty() {
            return Ok(None);
        }
        let owned: Vec<LoweredOutcome> = refit.iter().map(|l| (*l).clone()).collect();
        let Some(sceptical) = sensitivity::sceptical(&owned) else {
            return Ok(None);
        };
        let settings = &options.settings;
        let pool = thread_pool(options.threads)?;
        progress.start("sensitivity", sceptical.len());
        let results: Vec<Result<Posterior, String>> = pool.install(|| {
            sceptical
                .par_iter()
                .map(|l| {
                    let seed = fit::sensitivity_seed(settings.seed, l.outcome);
                    let name = spec
                        .outcomes
                        .get(l.outcome)
                        .map_or("?", |o| o.name.as_str());
                    let counter = counter_for(progress, name, settings);
                    let fit = fit::fit_model(l.model.clone(), settings, seed, Some(counter));
                    progress.finished(name);
                    fit
                })
                .collect()
        });
        progress.end();
        let mut refitted = Vec::new();
        for (l, result) in sceptical.into_iter().zip(results) {
            match result {
                Ok(post) => refitted.push((l, post)),
                Err(message) => {
                    let outcome = &spec.outcomes[l.outcome];
                    let d = Diagnostic::error(
                        codes::E0910,
                        format!("the sceptical sensitivity model of `{}` could not be fitted: {message}", outcome.name),
                    )
                    .with_primary(outcome.span, "this outcome")
                    .with_help("the sensitivity analysis replaces each LFM prior by its vague component; check that component");
                    self.raise(prepared.checked.file, [d]);
                    return Err(Stop::Invalid);
                }
            }
        }
        // One fit per outcome: the refit where there is one, else the fit.
        Ok(Some(
            fits.iter()
                .map(|(l, post)| {
                    refitted
                        .iter()
                        .find(|(r, _)| r.outcome == l.outcome)
                        .cloned()
                        .unwrap_or_else(|| (l.clone(), post.clone()))
                })
                .collect(),
        ))
    }

    /// The alternative model of every `--compare-loo` request, lowered
    /// from the spec with the outcome's model changed, before anything is
    /// fitted: an unknown outcome, a change that does not apply, or an
    /// alternative that analyses other observations than the spec's model
    /// (leave-one-out compares models on the same ones) stops the run.
    pub fn loo_alternatives(
        &mut self,
        prepared: &Prepared,
        requests: &[Request],
    ) -> Result<Vec<LooAlternative>, Stop> {
        let c = &prepared.checked;
        let mut out = Vec::new();
        for (index, request) in requests.iter().enumerate() {
            let (outcome, spec, spec_side) = loo_compare::alternative(&c.spec, request)
                .map_err(|r| Stop::unusable(r.message, r.help))?;
            let name = &c.spec.outcomes[outcome].name;
            let what = format!(
                "the alternative `{}` of `{name}`",
                request.change.describe()
            );
            let lowered = lower::lower(&spec, &c.schedule, &prepared.diary, &c.hypotheses)
                .map_err(|d| {
                    let first = d.first().map_or("", |d| d.message.as_str()).to_string();
                    Stop::unusable(
                        format!("`--compare-loo`: {what} cannot be lowered: {first}"),
                        "compare a change the spec could itself make (`trialc check` a copy of the spec with the change)",
                    )
                })?
                .into_iter()
                .find(|l| l.outcome == outcome)
                .ok_or_else(|| {
                    Stop::unusable(
                        format!("`--compare-loo`: {what} has no model"),
                        "compare models of an outcome the spec analyses",
                    )
                })?;
            let main = prepared
                .lowered
                .iter()
                .find(|l| l.outcome == outcome)
                .ok_or_else(|| {
                    Stop::unusable(
                        format!("`--compare-loo`: `{name}` has no model"),
                        "compare models of an outcome the spec analyses",
                    )
                })?;
            loo_compare::same_observations(main, &lowered).map_err(|e| {
                Stop::unusable(
                    format!("`--compare-loo`: {what}: {e}"),
                    "leave-one-out compares models on the same observations; choose a change that keeps the analysed days (a covariate with `missing excluded` changes them)",
                )
            })?;
            out.push(LooAlternative {
                index,
                request: request.clone(),
                outcome,
                spec_side,
                lowered,
            });
        }
        Ok(out)
    }

    /// Fits every `--compare-loo` alternative (same settings, its own seed
    /// [`fit::loo_seed`]) and compares it with the spec's model of its
    /// outcome by PSIS-LOO. E0910 for an alternative that cannot be fitted.
    pub fn compare_loo(
        &mut self,
        prepared: &Prepared,
        fits: &Fits,
        alternatives: &[LooAlternative],
        options: &FitOptions,
        progress: &dyn Progress,
    ) -> Result<Vec<LooComparison>, Stop> {
        if alternatives.is_empty() {
            return Ok(Vec::new());
        }
        let spec = &prepared.checked.spec;
        let settings = &options.settings;
        let pool = thread_pool(options.threads)?;
        progress.start("loo", alternatives.len());
        let results: Vec<Result<Posterior, String>> = pool.install(|| {
            alternatives
                .par_iter()
                .map(|a| {
                    let name = spec.outcomes[a.outcome].name.as_str();
                    let counter = counter_for(progress, name, settings);
                    let seed = fit::loo_seed(settings.seed, a.index);
                    let fit =
                        fit::fit_model(a.lowered.model.clone(), settings, seed, Some(counter));
                    progress.finished(name);
                    fit
                })
                .collect()
        });
        progress.end();
        let mut out = Vec::new();
        for (a, result) in alternatives.iter().zip(results) {
            let outcome = &spec.outcomes[a.outcome];
            let alt_post = match result {
                Ok(post) => post,
                Err(message) => {
                    let d = Diagnostic::error(
                        codes::E0910,
                        format!(
                            "the alternative model `{}` of `{}` could not be fitted: {message}",
                            a.request.change.describe(),
                            outcome.name
                        ),
                    )
                    .with_primary(outcome.span, "this outcome")
                    .with_help("`--compare-loo` fits the outcome's model with one term changed; check that model's priors and data");
                    self.raise(prepared.checked.file, [d]);
                    return Err(Stop::Invalid);
                }
            };
            let Some((main, main_post)) = fits.iter().find(|(l, _)| l.outcome == a.outcome) else {
                continue;
            };
            let failed = |e: String| {
                Stop::unusable(
                    format!(
                        "the leave-one-out comparison of `{}` failed: {e}",
                        outcome.name
                    ),
                    "this is a bug in trialc; please report it with the spec and diary",
                )
            };
            let main_ll = loglik::pointwise_log_lik(main, main_post).map_err(failed)?;
            let alt_ll = loglik::pointwise_log_lik(&a.lowered, &alt_post).map_err(failed)?;
            let comparison = loo_compare::compare(
                spec,
                (main, main_post, &main_ll),
                (&a.lowered, &alt_post, &alt_ll),
                a.spec_side.clone(),
                a.request.change.describe(),
                settings,
            )
            .map_err(failed)?;
            out.push(comparison);
        }
        Ok(out)
    }

    /// What `trialc protocol` renders a checked spec from: its text, syntax
    /// tree and checked form, its schedule, and the hypotheses files it
    /// names with their hashes.
    pub fn protocol_input(&self, checked: &Checked) -> protocol::Input {
        let name = self.map.name(checked.file);
        let text = self.spec_text(checked.file);
        let (ast, _) = syntax::parse(&text);
        let files = self
            .map
            .iter()
            .filter(|(_, f)| f.kind == FileKind::Hypotheses)
            .map(|(_, f)| f);
        // A checked spec read every file it names, in spec order.
        let hypotheses = checked
            .spec
            .hypotheses
            .iter()
            .zip(files)
            .filter_map(|(source, f)| {
                let (_, file) = checked.hypotheses.iter().find(|(n, _)| *n == source.name)?;
                Some(protocol::HypothesesInput {
                    source: source.name.clone(),
                    path: source.path.clone(),
                    sha256: protocol::sha256_hex(f.text.as_bytes()),
                    file: file.clone(),
                })
            })
            .collect();
        protocol::Input {
            name: name.rsplit(['/', '\\']).next().unwrap_or(name).to_string(),
            markdown: self.map.get(checked.file).map(|f| f.kind) == Some(FileKind::Markdown),
            text,
            document: self.map.text(checked.file).to_string(),
            ast,
            spec: checked.spec.clone(),
            schedule: checked.schedule.clone(),
            hypotheses,
        }
    }

    /// The protocol of a checked spec; what it does not address (W1101–W1105)
    /// joins the session's diagnostics.
    pub fn protocol(&mut self, checked: &Checked) -> protocol::Protocol {
        let built = protocol::build(&self.protocol_input(checked));
        self.raise(checked.file, built.diagnostics.iter().cloned());
        built
    }

    /// Each effect's posterior as a `trialc-hypotheses/1` file, the next
    /// trial's prior (`--export-evidence`).
    pub fn export_evidence(&self, prepared: &Prepared, fits: &Fits) -> HypothesesFile {
        let participant = prepared
            .checked
            .hypotheses
            .iter()
            .find_map(|(_, f)| f.participant.as_deref());
        // The run's inputs in order: the spec, its hypotheses files, the diary.
        let mut inputs = vec![self.map.text(prepared.checked.file)];
        inputs.extend(
            self.map
                .iter()
                .filter(|(_, f)| f.kind == FileKind::Hypotheses)
                .map(|(_, f)| f.text.as_str()),
        );
        inputs.push(self.map.text(prepared.diary_file));
        evidence::export(
            &prepared.checked.spec,
            self.map.text(prepared.checked.file),
            &evidence::inputs_sha256(&inputs),
            &prepared.checked.schedule,
            &prepared.diary,
            fits,
            participant,
        )
    }
}

/// W1107 for each ```trial block of a Markdown document whose text no
/// longer has the SHA-256 the document recorded beside it (a generated
/// protocol records one for the spec it embeds).
fn changed_since_recorded(document: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for block in markdown::blocks(document) {
        let Some((recorded, at)) = &block.recorded else {
            continue;
        };
        let text = document.get(block.content.clone()).unwrap_or("");
        let now = protocol::sha256_hex(text.as_bytes());
        if now == *recorded {
            continue;
        }
        out.push(
            Diagnostic::warning(
                codes::W1107,
                format!(
                    "```trial block {} (line {}) no longer matches the SHA-256 its document recorded",
                    block.number, block.line
                ),
            )
            .with_primary(
                crate::diagnostic::Span::new(block.fence.start, block.fence.end),
                format!("this block's text now has SHA-256 {}…", &now[..12]),
            )
            .with_secondary(
                crate::diagnostic::Span::new(at.start, at.end),
                "recorded when the document was generated",
            )
            .with_note("the spec was changed after the protocol was generated: the document's prose and its hashes describe the spec as it was")
            .with_help("regenerate the protocol from the spec (`trialc protocol SPEC --format markdown`); if the change is an amendment, describe it with `trialc protocol diff OLD NEW`"),
        );
    }
    out
}

/// Why a path named in a spec was not read.
enum Refused {
    Path(PathProblem),
    Read(String, ReadError),
}

/// E0212: a path in the spec that leaves the spec's folder tree.
fn path_refused(span: crate::diagnostic::Span, written: &str, problem: PathProblem) -> Diagnostic {
    let what = match problem {
        PathProblem::Absolute => "is absolute",
        PathProblem::Escapes => "climbs out of the spec's folder",
        PathProblem::Empty => "names no file",
    };
    Diagnostic::error(
        codes::E0212,
        format!("the path `{written}` {what}; trialc reads only files inside the spec's folder"),
    )
    .with_primary(span, "this path")
    .with_note("specs come from other people and from models, so the files they name are confined to the spec's folder tree")
    .with_help("move the file next to the spec (or below it) and name it relative to the spec; to read it where it is, run with `--allow-outside`")
}

/// Whether a text starts (after a BOM and blanks) with `{`.
fn looks_like_json_object(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
}

fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, Stop> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n.max(1));
    }
    builder.build().map_err(|e| {
        Stop::unusable(
            format!("cannot start worker threads: {e}"),
            "try `--threads 1`",
        )
    })
}
