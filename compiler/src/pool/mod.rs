//! `trialc pool`: a series of N-of-1 trials, each arm effect partially
//! pooled across people, and the prior for the next person
//! ([`docs/pool.md`](../../docs/pool.md)).
//!
//! **Stages.** [`assemble`] reads the series: the pool's spec (checked as
//! `trialc check` checks it), then every participant, each in its own
//! [`Session`]: a diary is checked and lowered exactly as `trialc run` does
//! (with the participant's own spec when the manifest names one); exported
//! evidence is read as a hypotheses file and divided by the prior it was
//! computed under. A participant with any error is **excluded, named, with
//! the reason**; the others go on. [`fit_series`] fits the pooled model
//! (`trialc_runtime::pool`), each diary's own single-trial model beside it,
//! the LFM calibration where the specs took LFM priors, and builds the
//! report, the draws and the next person's prior.
//!
//! Pure: no files, no clock. Texts come through a [`Sources`]; the CLI
//! lists folders and writes outputs.

pub mod calibration;
pub mod cmdstan;
pub mod manifest;
pub mod mixture;
pub mod prior;
pub mod report;
pub mod svg;

use rayon::prelude::*;
use std::sync::Arc;
use trialc_runtime::mir::{Dist, Model, ParamId, Prior};
use trialc_runtime::nuts::{sample, NutsConfig, ProgressCounter};
use trialc_runtime::pool::{
    Member as PoolMember, MemberData, PoolModel, PooledDensity, SharedParam,
};
use trialc_runtime::posterior::Posterior;
use trialc_runtime::progress::Counter;
use trialc_runtime::rng::ChainRng;

use crate::codes;
use crate::diagnostic::{Diagnostic, Span};
use crate::driver::{
    Checked, DiarySource, FitOptions, Prepared, Progress, Session, SessionOptions, Stop,
};
use crate::evidence::{inputs_sha256, sha256_hex};
use crate::fit::{self, derive_seed};
use crate::hir;
use crate::hypotheses::{self, HypothesesFile, JsonSpans};
use crate::lower::{LoweredOutcome, Role};
use crate::source::{Access, FileId, FileKind, SourceMap, Sources};
use manifest::{Input, Row};
use prior::LfmUse;

/// Domain tags of the series' random streams (`fit.rs`'s derivation).
pub const FIT_DOMAIN: &[u8] = b"trialc/pool/fit/v1";
pub const PERSON_DOMAIN: &[u8] = b"trialc/pool/person/v1";
pub const PREDICTIVE_DOMAIN: &[u8] = b"trialc/pool/predictive/v1";
pub const SCEPTICAL_DOMAIN: &[u8] = b"trialc/pool/sceptical/v1";

/// How the series is modelled and fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolOptions {
    /// The outcome pooled (default: the spec's primary outcome).
    pub outcome: Option<String>,
    /// Nuisance parameters with one value for everyone (`sigma`, `phi`,
    /// `intercept`, …); the others are each person's own.
    pub shared: Vec<String>,
    /// Priors replacing the defaults (docs/pool.md).
    pub mu_prior: Option<Prior>,
    pub tau_prior: Option<Prior>,
    pub gamma_prior: Option<Prior>,
    /// Weight of the robust component of the next person's prior.
    pub robust: f64,
    /// Fit each diary's own single-trial model beside the pooled one (the
    /// report's own estimates); off for large series or benchmarks.
    pub own_fits: bool,
    pub fit: FitOptions,
}

/// Where the participants come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Participants {
    /// A manifest CSV (module `manifest`).
    Manifest(String),
    /// Diary CSVs, one per participant (id: the file's stem), under the
    /// series' spec.
    Diaries(Vec<String>),
    /// `--export-evidence` files, one per participant (id: the file's
    /// `participant`, else its stem).
    Evidence(Vec<String>),
}

/// Why a participant is not in the analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Exclusion {
    pub code: String,
    pub reason: String,
}

/// What an included participant brings.
#[derive(Debug, Clone)]
pub enum Data {
    /// A diary, checked and lowered as `trialc run` does; `outcome` is the
    /// index of the pooled outcome among `prepared.lowered`.
    Diary {
        prepared: Box<Prepared>,
        outcome: usize,
    },
    /// Exported evidence: per effect, its posterior q, the prior pi it was
    /// computed under, the likelihood q / pi implies (mean, sd) and the
    /// posterior's own (mean, sd).
    Evidence {
        file: FileId,
        posterior: Vec<Prior>,
        prior: Vec<Prior>,
        likelihood: Vec<(f64, f64)>,
        summary: Vec<(f64, f64)>,
        created: String,
    },
}

/// An included participant.
#[derive(Debug, Clone)]
pub struct Member {
    pub data: Data,
    /// Per effect, the LFM hypothesis the participant's spec took as its prior.
    pub lfm: Vec<Option<LfmUse>>,
}

/// A participant's place in the analysis.
#[derive(Debug, Clone)]
pub enum State {
    Included(Box<Member>),
    Excluded(Exclusion),
}

/// One participant of the series.
pub struct Participant<S: Sources> {
    pub id: String,
    /// The diary or evidence file, as named.
    pub file: String,
    pub covariates: Vec<f64>,
    /// The participant's session (their spec and diary), whose diagnostics
    /// from `shown_from` on are theirs to show.
    pub session: Option<Session<S>>,
    pub shown_from: usize,
    pub state: State,
}

impl<S: Sources> Participant<S> {
    pub fn member(&self) -> Option<&Member> {
        match &self.state {
            State::Included(m) => Some(m),
            State::Excluded(_) => None,
        }
    }
}

/// The series as read.
pub struct Series<S: Sources> {
    /// The session of the series' spec (its diagnostics are shown once).
    pub spec_session: Session<S>,
    pub checked: Option<Checked>,
    /// The pooled outcome's index in the series' spec.
    pub outcome: usize,
    /// The pooled effects: the non-reference arms of the outcome's model.
    pub arms: Vec<usize>,
    pub covariates: Vec<String>,
    pub participants: Vec<Participant<S>>,
    /// The manifest and the evidence files, and the diagnostics about them.
    pub files: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    /// Set when the series cannot be fitted (the diagnostics say why).
    pub stop: Option<Stop>,
    /// The texts of the inputs, in order, for the provenance hash.
    inputs: Vec<String>,
}

impl<S: Sources> Series<S> {
    /// The included participants, in order, with their index among all.
    pub fn included(&self) -> impl Iterator<Item = (&Participant<S>, &Member)> {
        self.participants
            .iter()
            .filter_map(|p| p.member().map(|m| (p, m)))
    }

    /// Errors anywhere: the spec, the manifest, an excluded participant.
    pub fn has_errors(&self) -> bool {
        self.spec_session.has_errors()
            || self.diagnostics.iter().any(Diagnostic::is_error)
            || self
                .participants
                .iter()
                .any(|p| matches!(p.state, State::Excluded(_)))
    }

    /// SHA-256 of every input (spec, manifest, each participant's files).
    pub fn inputs_sha256(&self) -> String {
        let texts: Vec<&str> = self.inputs.iter().map(String::as_str).collect();
        inputs_sha256(&texts)
    }
}

/// The name of a file without its folder and last extension:
/// `dir/p03.csv` → `p03`, `dir/tea.p03.csv` → `tea.p03`.
pub fn stem(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.rsplit_once('.').map_or(name, |(s, _)| s).to_string()
}

/// The folder of a path (`""` for none).
fn folder_of(path: &str) -> &str {
    path.rfind(['/', '\\']).map_or("", |i| &path[..i])
}

/// The first error of a session from `from` on, as an exclusion.
fn first_error<S: Sources>(session: &Session<S>, from: usize, stop: &Stop) -> Exclusion {
    if let Stop::Unusable(p) = stop {
        return Exclusion {
            code: "E1702".into(),
            reason: p.message.clone(),
        };
    }
    let errors: Vec<&Diagnostic> = session.diagnostics()[from.min(session.diagnostics().len())..]
        .iter()
        .filter(|d| d.is_error())
        .collect();
    match errors.first() {
        Some(d) => Exclusion {
            code: d.code.to_string(),
            reason: if errors.len() > 1 {
                format!("{} (and {} more errors)", d.message, errors.len() - 1)
            } else {
                d.message.clone()
            },
        },
        None => Exclusion {
            code: "E1702".into(),
            reason: "the participant's inputs could not be read".into(),
        },
    }
}

fn excluded(code: crate::codes::Code, reason: impl Into<String>) -> State {
    State::Excluded(Exclusion {
        code: code.to_string(),
        reason: reason.into(),
    })
}

/// Reads the series: the spec, the participants (module doc). Never fails:
/// a series that cannot be fitted has `stop` set and says why in its
/// diagnostics.
pub fn assemble<S: Sources>(
    sources: impl Fn() -> S,
    options: SessionOptions,
    spec_path: &str,
    participants: &Participants,
    outcome_name: Option<&str>,
) -> Series<S> {
    let mut spec_session = Session::new(sources(), options);
    let checked = spec_session
        .open(spec_path)
        .and_then(|f| spec_session.check(f));
    let mut series = Series {
        spec_session,
        checked: None,
        outcome: 0,
        arms: Vec::new(),
        covariates: Vec::new(),
        participants: Vec::new(),
        files: SourceMap::default(),
        diagnostics: Vec::new(),
        stop: None,
        inputs: Vec::new(),
    };
    let checked = match checked {
        Ok(c) => c,
        Err(stop) => {
            series.stop = Some(stop);
            return series;
        }
    };
    let spec = &checked.spec;
    let outcome = match outcome_name {
        Some(name) => spec.outcomes.iter().position(|o| o.name == name),
        None => spec.outcomes.iter().position(|o| o.primary),
    };
    let Some(outcome) = outcome else {
        series.stop = Some(Stop::Unusable(crate::driver::Problem {
            message: format!(
                "the spec has no outcome `{}`",
                outcome_name.unwrap_or("(primary)")
            ),
            help: format!(
                "`--outcome` takes one of: {}",
                spec.outcomes
                    .iter()
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }));
        return series;
    };
    series.outcome = outcome;
    series.arms = prior::model_of(spec, outcome)
        .map(|m| m.effects.iter().map(|e| e.arm).collect())
        .unwrap_or_default();
    series
        .inputs
        .push(series.spec_session.files().text(checked.file).to_string());

    // The rows to read, and the manifest's rows that cannot be read (each
    // with its place in the manifest, so that the series keeps its order).
    let mut bad: Vec<(usize, Participant<S>)> = Vec::new();
    let rows: Vec<Row> = match participants {
        Participants::Manifest(path) => {
            let text = match sources().read(path, Access::Direct) {
                Ok(t) => t,
                Err(e) => {
                    series.stop = Some(Stop::Unusable(crate::driver::Problem {
                        message: format!("cannot read the manifest `{path}`: {e}"),
                        help: "check the path given to `--manifest`".into(),
                    }));
                    return series;
                }
            };
            series.inputs.push(text.clone());
            let file = series.files.add(path, FileKind::Diary, text.clone());
            match manifest::read(&text, folder_of(path)) {
                Ok(m) => {
                    series.covariates = m.covariates;
                    for (id, d) in m.excluded {
                        let reason = d.message.clone();
                        let at = d.primary_span().map_or(usize::MAX, |s| s.start);
                        series.diagnostics.push(d.in_file(file));
                        bad.push((
                            at,
                            Participant {
                                id,
                                file: path.clone(),
                                covariates: Vec::new(),
                                session: None,
                                shown_from: 0,
                                state: excluded(codes::E1702, reason),
                            },
                        ));
                    }
                    m.rows
                }
                Err(d) => {
                    series.diagnostics.push(d.in_file(file));
                    series.stop = Some(Stop::Invalid);
                    return series;
                }
            }
        }
        Participants::Diaries(paths) => paths
            .iter()
            .map(|p| Row {
                id: stem(p),
                input: Input::Diary(p.clone()),
                spec: None,
                covariates: Vec::new(),
                span: None,
            })
            .collect(),
        Participants::Evidence(paths) => paths
            .iter()
            .map(|p| Row {
                id: stem(p),
                input: Input::Evidence(p.clone()),
                spec: None,
                covariates: Vec::new(),
                span: None,
            })
            .collect(),
    };
    let mut bad = bad.into_iter().peekable();
    for row in rows {
        let at = row.span.map_or(usize::MAX, |s| s.start);
        while let Some((_, p)) = bad.next_if(|(b, _)| *b < at) {
            series.participants.push(p);
        }
        let mut participant =
            read_participant(&mut series, &checked, &sources, options, spec_path, row);
        // Two files of one person (two evidence files naming the same
        // `participant`): the second is left out, by name.
        if participant.member().is_some()
            && series
                .participants
                .iter()
                .any(|p| p.id == participant.id && p.member().is_some())
        {
            participant.state = excluded(
                codes::E1702,
                format!(
                    "participant `{}` is already in the series (from another file); this one is left out",
                    participant.id
                ),
            );
        }
        series.participants.push(participant);
    }
    series.participants.extend(bad.map(|(_, p)| p));
    // Shared parameters are checked when the model is built; here, enough
    // people to pool.
    let n = series.included().count();
    if n < 2 {
        let d = Diagnostic::error(
            codes::E1705,
            format!(
                "the series has {n} usable participant{}; pooling needs at least 2",
                if n == 1 { "" } else { "s" }
            ),
        )
        .with_help(
            "fix the excluded participants' inputs (their errors are above), or add participants",
        );
        series.diagnostics.push(d);
        series.stop = Some(Stop::Invalid);
    }
    series.checked = Some(checked);
    series
}

/// Reads one participant (module doc); never fails: problems exclude.
fn read_participant<S: Sources>(
    series: &mut Series<S>,
    pool: &Checked,
    sources: &impl Fn() -> S,
    options: SessionOptions,
    pool_spec: &str,
    row: Row,
) -> Participant<S> {
    let mut session = Session::new(sources(), options);
    let spec_path = row.spec.clone().unwrap_or_else(|| pool_spec.to_string());
    let own_spec = row.spec.is_some();
    let mut participant = Participant {
        id: row.id.clone(),
        file: match &row.input {
            Input::Diary(p) | Input::Evidence(p) => p.clone(),
        },
        covariates: row.covariates.clone(),
        session: None,
        shown_from: 0,
        state: excluded(codes::E1702, "not read"),
    };
    let checked = session.open(&spec_path).and_then(|f| session.check(f));
    // The series' spec was checked once already; its warnings are shown once.
    participant.shown_from = if own_spec {
        0
    } else {
        session.diagnostics().len()
    };
    let checked = match checked {
        Ok(c) => c,
        Err(stop) => {
            participant.state = State::Excluded(first_error(&session, 0, &stop));
            participant.session = Some(session);
            return participant;
        }
    };
    let spec = &checked.spec;
    // The participant's spec must ask the series' question.
    let outcome_name = &pool.spec.outcomes[series.outcome].name;
    let compatible = compatible(&pool.spec, series.outcome, spec);
    let outcome = match compatible {
        Ok(j) => j,
        Err(reason) => {
            participant.state = excluded(
                codes::E1703,
                format!("its spec `{spec_path}` is not compatible with the series' spec: {reason}"),
            );
            participant.session = Some(session);
            return participant;
        }
    };
    let lfm: Vec<Option<LfmUse>> = series
        .arms
        .iter()
        .map(|&arm| prior::lfm_use(spec, &checked.hypotheses, outcome, arm))
        .collect();
    match row.input {
        Input::Diary(path) => {
            let from = session.diagnostics().len();
            match session.prepare(checked, DiarySource::Path(&path)) {
                Ok(prepared) => {
                    let index = prepared.lowered.iter().position(|l| l.outcome == outcome);
                    for (_, f) in session.files().iter() {
                        series.inputs.push(f.text.clone());
                    }
                    participant.state = match index {
                        Some(index) => State::Included(Box::new(Member {
                            data: Data::Diary {
                                prepared: Box::new(prepared),
                                outcome: index,
                            },
                            lfm,
                        })),
                        None => excluded(
                            codes::E1703,
                            format!("its model of `{outcome_name}` was not lowered"),
                        ),
                    };
                }
                Err(stop) => {
                    participant.state = State::Excluded(first_error(&session, from, &stop));
                }
            }
        }
        Input::Evidence(path) => {
            let text = sources().read(&path, Access::Direct);
            participant.state = match text {
                Ok(text) => {
                    let spec_text = session.files().text(checked.file).to_string();
                    read_evidence(
                        series,
                        &checked,
                        &spec_text,
                        outcome,
                        &path,
                        text,
                        &mut participant.id,
                        lfm,
                    )
                }
                Err(e) => excluded(
                    codes::E1704,
                    format!("cannot read the evidence `{path}`: {e}"),
                ),
            };
        }
    }
    participant.session = Some(session);
    participant
}

/// Whether `spec` asks the question of the series' spec `pool` about its
/// outcome `outcome`: the same arms in the same order with the same
/// reference, an outcome of the same name, type and direction (a binomial
/// outcome's number of trials may differ: the effect is a log odds ratio
/// per trial either way), and a lagged outcome in both models or in
/// neither (with a lag the effect is the change given yesterday's value,
/// not the change of the level: another quantity). The outcome's index in
/// `spec`, or why not.
pub fn compatible(pool: &hir::Spec, outcome: usize, spec: &hir::Spec) -> Result<usize, String> {
    let names = |s: &hir::Spec| s.arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
    if names(pool) != names(spec) {
        return Err(format!(
            "its arms are {} where the series has {}",
            names(spec).join(", "),
            names(pool).join(", ")
        ));
    }
    if pool.reference != spec.reference {
        return Err(format!(
            "its reference arm is `{}`, the series' `{}`",
            spec.arms[spec.reference].name, pool.arms[pool.reference].name
        ));
    }
    let o = &pool.outcomes[outcome];
    let j = spec
        .outcomes
        .iter()
        .position(|x| x.name == o.name)
        .ok_or_else(|| format!("it has no outcome `{}`", o.name))?;
    let mine = &spec.outcomes[j];
    let same_type = match (mine.kind, o.kind) {
        (hir::OutcomeType::Binomial { .. }, hir::OutcomeType::Binomial { .. }) => true,
        (a, b) => a == b,
    };
    if !same_type {
        return Err(format!(
            "its outcome `{}` has another type or range",
            o.name
        ));
    }
    if mine.better != o.better {
        return Err(format!(
            "its outcome `{}` has the opposite direction of benefit",
            o.name
        ));
    }
    let lagged = |s: &hir::Spec, k: usize| prior::model_of(s, k).is_some_and(|m| m.lag.is_some());
    match (lagged(spec, j), lagged(pool, outcome)) {
        (true, false) => {
            return Err(format!(
                "its model of `{}` has a lagged outcome and the series' has none: its effect is the change given the previous value, not the change of the level",
                o.name
            ))
        }
        (false, true) => {
            return Err(format!(
                "its model of `{}` has no lagged outcome and the series' has one: its effect is the change of the level, not the change given the previous value",
                o.name
            ))
        }
        _ => {}
    }
    Ok(j)
}

/// Reads one evidence file into a member (or an exclusion). `id` becomes
/// the file's `participant` when it names one.
#[allow(clippy::too_many_arguments)]
fn read_evidence<S: Sources>(
    series: &mut Series<S>,
    checked: &Checked,
    spec_text: &str,
    outcome: usize,
    path: &str,
    text: String,
    id: &mut String,
    lfm: Vec<Option<LfmUse>>,
) -> State {
    series.inputs.push(text.clone());
    let file = series.files.add(path, FileKind::Hypotheses, text.clone());
    let (read, diagnostics) = hypotheses::read(&text);
    let first = diagnostics
        .iter()
        .find(|d| d.is_error())
        .map(|d| (d.code.to_string(), d.message.clone()));
    series
        .diagnostics
        .extend(diagnostics.into_iter().map(|d| d.in_file(file)));
    let evidence = match (read, first) {
        (Some(f), None) => f,
        (_, Some((code, reason))) => return State::Excluded(Exclusion { code, reason }),
        (None, None) => return excluded(codes::E1704, "the evidence file could not be read"),
    };
    if let Some(p) = &evidence.participant {
        if id.as_str() == stem(path) {
            *id = p.clone();
        }
    }
    let spec = &checked.spec;
    let spans = JsonSpans::scan(&text);
    let spec_text_hash = sha256_hex(spec_text);
    let whole = Span::new(0, text.len().min(1));
    match &evidence.trial {
        Some(t) if t.spec_sha256 != spec_text_hash => {
            series.diagnostics.push(
                Diagnostic::warning(
                    codes::W1701,
                    format!("`{path}` was exported from another spec than the one it is pooled under"),
                )
                .with_primary_in(file, spans.value("trial.spec_sha256").unwrap_or(whole), "this spec's SHA-256")
                .with_note("the prior the evidence was computed under is taken from the spec it is pooled under; if the participant's spec had another effect prior, the likelihood divided out is wrong")
                .with_help("name the participant's own spec in the manifest's `spec` column"),
            );
        }
        None => {
            series.diagnostics.push(
                Diagnostic::warning(
                    codes::W1701,
                    format!("`{path}` does not say which spec it was exported from"),
                )
                .with_primary_in(file, whole, "no `trial` object")
                .with_note("the prior the evidence was computed under is taken from the spec it is pooled under")
                .with_help("pool files written by `trialc run --export-evidence`, which record their spec"),
            );
        }
        _ => {}
    }
    let o = &spec.outcomes[outcome];
    let unit = match o.kind {
        hir::OutcomeType::Continuous { bounds: None } => None,
        kind => Some(kind.unit_scale(&[])),
    };
    let mut posterior = Vec::new();
    let mut priors = Vec::new();
    let mut likelihood = Vec::new();
    let mut summary = Vec::new();
    for &arm in &series.arms {
        let arm_name = &spec.arms[arm].name;
        let Some((i, h)) = evidence
            .hypotheses
            .iter()
            .enumerate()
            .find(|(_, h)| &h.intervention == arm_name && h.outcome == o.name)
        else {
            let d = Diagnostic::error(
                codes::E1704,
                format!("`{path}` has no effect of `{arm_name}` on `{}`", o.name),
            )
            .with_primary_in(
                file,
                spans.value("hypotheses").unwrap_or(whole),
                "the hypotheses of the file",
            );
            let reason = d.message.clone();
            series.diagnostics.push(d);
            return excluded(codes::E1704, reason);
        };
        let q = match &h.effect.mixture {
            Some(parts) if !parts.is_empty() => Prior::Mixture(
                parts
                    .iter()
                    .map(|c| trialc_runtime::mir::MixtureComponent {
                        weight: c.weight,
                        dist: Dist::Normal {
                            mu: c.mean,
                            sigma: c.sd,
                        },
                    })
                    .collect(),
            ),
            _ => Prior::Dist(Dist::Normal {
                mu: h.effect.mean,
                sigma: h.effect.sd,
            }),
        };
        let pi = match prior::effect_prior(spec, &checked.hypotheses, outcome, arm, unit) {
            Ok(p) => p,
            Err(why) => {
                let d = Diagnostic::error(
                    codes::E1704,
                    format!("the prior `{path}` was computed under cannot be divided out: {why}"),
                )
                .with_primary_in(
                    file,
                    spans
                        .value(&format!("hypotheses[{i}].effect"))
                        .unwrap_or(whole),
                    "this posterior",
                );
                let reason = d.message.clone();
                series.diagnostics.push(d);
                return excluded(codes::E1704, reason);
            }
        };
        match prior::implied_likelihood(&q, &pi) {
            Ok(l) => likelihood.push(l),
            Err(why) => {
                let d = Diagnostic::error(codes::E1704, format!("`{path}`, effect of `{arm_name}`: {why}"))
                    .with_primary_in(file, spans.value(&format!("hypotheses[{i}].effect")).unwrap_or(whole), "this posterior")
                    .with_help("a participant whose data say nothing about the effect adds nothing to the series; pool their diary instead, or leave them out");
                let reason = d.message.clone();
                series.diagnostics.push(d);
                return excluded(codes::E1704, reason);
            }
        }
        summary.push((h.effect.mean, h.effect.sd));
        posterior.push(q);
        priors.push(pi);
    }
    State::Included(Box::new(Member {
        data: Data::Evidence {
            file,
            posterior,
            prior: priors,
            likelihood,
            summary,
            created: evidence.generator.created.clone(),
        },
        lfm,
    }))
}

/// What a participant's model is, for the series: its effects' parameter
/// ids, and the ids of the parameters named `shared`.
fn roles(
    lowered: &LoweredOutcome,
    arms: &[usize],
    shared: &[String],
) -> Result<(Vec<ParamId>, Vec<ParamId>), String> {
    let effects = arms
        .iter()
        .map(|&arm| {
            lowered
                .params
                .iter()
                .find(|p| p.role == Role::Effect { arm })
                .map(|p| p.id)
                .ok_or_else(|| "its model lacks an effect".to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let shared = shared
        .iter()
        .map(|name| {
            lowered
                .params
                .iter()
                .find(|p| &p.name == name && !matches!(p.role, Role::Effect { .. }))
                .map(|p| p.id)
                .ok_or_else(|| format!("its model has no `{name}` to share"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((effects, shared))
}

/// A participant's model with the ids of its effects and shared parameters.
type Roles = (Model, Vec<ParamId>, Vec<ParamId>);

/// A fitted series.
#[derive(Debug, Clone)]
pub struct Fitted {
    pub report: report::PoolReport,
    /// The pooled model's draws: the density's outputs, then `delta_new[k]`.
    pub posterior: Posterior,
    /// The next person's prior (`trialc-hypotheses/1`).
    pub next_prior: HypothesesFile,
    /// The seed of the pooled fit (derived from the run's).
    pub seed: u64,
}

/// A counter for one fit, announced to `progress`.
fn counter(progress: &dyn Progress, name: &str, settings: &fit::RunSettings) -> Arc<Counter> {
    let c = Arc::new(Counter::new(
        settings.chains,
        settings.warmup,
        settings.draws,
    ));
    progress.fit_started(name, &c);
    c
}

fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, String> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n.max(1));
    }
    builder
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))
}

/// Refuses the series: `message` as an error with `code` among the
/// series' diagnostics (the CLI prints them), and as the `Err` of
/// [`fit_series`].
fn refuse<S: Sources>(
    series: &mut Series<S>,
    code: crate::codes::Code,
    message: String,
    help: &str,
) -> String {
    series
        .diagnostics
        .push(Diagnostic::error(code, message.clone()).with_help(help));
    message
}

/// Checks `--shared` before the model is built: each name a parameter of
/// some included diary's model, and none an arm effect (pooled partially
/// already) or a latent AR(1)'s innovations (each person's own noise, one
/// per analysed observation). E1706 otherwise.
fn check_shared<S: Sources>(series: &mut Series<S>, shared: &[String]) -> Result<(), String> {
    const HELP: &str = "`--shared` takes nuisance parameters of the per-person model: the names in the report's line \"each person's own\" (docs/pool.md, section 2)";
    for name in shared {
        let mut found = None;
        for p in &series.participants {
            let Some(Member {
                data: Data::Diary { prepared, outcome },
                ..
            }) = p.member()
            else {
                continue;
            };
            if let Some(x) = prepared.lowered[*outcome]
                .params
                .iter()
                .find(|x| &x.name == name)
            {
                found = Some((p.id.clone(), x.role));
                if matches!(x.role, Role::Innovations | Role::Effect { .. }) {
                    break;
                }
            }
        }
        let message = match found {
            None => {
                // What could be shared: the first diary's nuisance parameters.
                let candidates: Vec<String> = series
                    .included()
                    .find_map(|(_, m)| match &m.data {
                        Data::Diary { prepared, outcome } => Some(
                            prepared.lowered[*outcome]
                                .params
                                .iter()
                                .filter(|x| {
                                    !matches!(x.role, Role::Innovations | Role::Effect { .. })
                                })
                                .map(|x| format!("`{}`", x.name))
                                .collect(),
                        ),
                        Data::Evidence { .. } => None,
                    })
                    .unwrap_or_default();
                let message = format!(
                    "`--shared {name}`: no included participant's diary model has a parameter `{name}`"
                );
                let help = if candidates.is_empty() {
                    "only diaries have nuisance parameters to share; exported evidence holds the effects alone".to_string()
                } else {
                    format!("the per-person model's nuisance parameters are {}", candidates.join(", "))
                };
                return Err(refuse(series, codes::E1706, message, &help));
            }
            Some((id, Role::Innovations)) => format!(
                "`--shared {name}`: `{name}` are the innovations of participant `{id}`'s latent AR(1), one per analysed observation of their own diary; they cannot have one value for everyone"
            ),
            Some((_, Role::Effect { .. })) => format!(
                "`--shared {name}`: `{name}` is an arm effect, which the series pools partially (mu, tau); it cannot also be shared"
            ),
            Some(_) => continue,
        };
        return Err(refuse(series, codes::E1706, message, HELP));
    }
    Ok(())
}

/// Fits the series (module doc). `Err` when the model cannot be built or
/// fitted (`--shared` naming what cannot be shared, E1706; fewer than two
/// participants left, E1705; a constant covariate; no prior for mu): the
/// message says why, and the coded ones are also among the series'
/// diagnostics.
pub fn fit_series<S: Sources>(
    series: &mut Series<S>,
    options: &PoolOptions,
    progress: &dyn Progress,
) -> Result<Fitted, String> {
    let checked = series
        .checked
        .clone()
        .ok_or("the series' spec has errors")?;
    let spec = &checked.spec;
    let outcome = &spec.outcomes[series.outcome];
    let settings = options.fit.settings;
    check_shared(series, &options.shared)?;
    // Shared parameters: every diary's model must have them, alike.
    let mut shared_params: Vec<SharedParam> = Vec::new();
    let mut models: Vec<Option<Roles>> = Vec::new();
    for p in &mut series.participants {
        let mut model = None;
        let mut exclusion = None;
        if let State::Included(m) = &p.state {
            if let Data::Diary { prepared, outcome } = &m.data {
                let lowered = &prepared.lowered[*outcome];
                match roles(lowered, &series.arms, &options.shared) {
                    Ok((effects, shared)) => {
                        for (s, &id) in shared.iter().enumerate() {
                            let param = &lowered.model.params[id];
                            match shared_params.get(s) {
                                None => shared_params.push(SharedParam {
                                    name: options.shared[s].clone(),
                                    transform: param.transform.clone(),
                                    size: param.size,
                                    prior: lowered
                                        .model
                                        .priors
                                        .iter()
                                        .find(|pt| pt.param == id)
                                        .map(|pt| pt.prior.clone())
                                        .ok_or("a parameter without a prior")?,
                                }),
                                Some(sp)
                                    if sp.transform != param.transform || sp.size != param.size =>
                                {
                                    exclusion = Some(format!(
                                        "its `{}` has another support or size than the first participant's, so it cannot be shared",
                                        sp.name
                                    ));
                                    break;
                                }
                                Some(_) => {}
                            }
                        }
                        if exclusion.is_none() {
                            model = Some((lowered.model.clone(), effects, shared));
                        }
                    }
                    Err(why) => exclusion = Some(why),
                }
            }
        }
        if let Some(why) = exclusion {
            p.state = excluded(codes::E1703, why);
        }
        models.push(model);
    }
    if !options.shared.is_empty() && shared_params.len() != options.shared.len() {
        let message = format!(
            "`--shared {}`: no included participant's diary model has all of them",
            options.shared.join(",")
        );
        return Err(refuse(
            series,
            codes::E1706,
            message,
            "share only parameters every participant's model has (the excluded participants above say which they lack)",
        ));
    }
    let included: Vec<usize> = (0..series.participants.len())
        .filter(|&i| series.participants[i].member().is_some())
        .collect();
    if included.len() < 2 {
        let n = included.len();
        let message = format!(
            "the series has {n} usable participant{}; pooling needs at least 2",
            if n == 1 { "" } else { "s" }
        );
        return Err(refuse(
            series,
            codes::E1705,
            message,
            "fix the excluded participants' inputs (their reasons are above), or share fewer parameters",
        ));
    }
    // Covariates, standardised over the included participants.
    let p = series.covariates.len();
    let mut centre = vec![0.0; p];
    let mut scale = vec![1.0; p];
    for q in 0..p {
        let values: Vec<f64> = included
            .iter()
            .map(|&i| series.participants[i].covariates[q])
            .collect();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        if sd.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return Err(format!(
                "the covariate `{}` has the same value for every participant: it cannot explain a difference between them",
                series.covariates[q]
            ));
        }
        centre[q] = mean;
        scale[q] = sd;
    }
    // The analysed values of every diary: the unit-information scale of an
    // unbounded outcome.
    let pooled_y: Vec<f64> = included
        .iter()
        .filter_map(|&i| match &series.participants[i].member()?.data {
            Data::Diary { prepared, outcome } => Some(
                prepared.lowered[*outcome]
                    .model
                    .likelihoods
                    .iter()
                    .flat_map(|l| l.y.clone())
                    .collect::<Vec<f64>>(),
            ),
            Data::Evidence { .. } => None,
        })
        .flatten()
        .collect();
    let unit = match outcome.kind {
        hir::OutcomeType::Continuous { bounds: None } if pooled_y.len() < 2 => None,
        kind => Some(kind.unit_scale(&pooled_y)),
    };
    let mu_priors = series
        .arms
        .iter()
        .map(|&arm| match &options.mu_prior {
            Some(prior) => Ok(prior.clone()),
            None => prior::effect_prior(spec, &checked.hypotheses, series.outcome, arm, unit)
                .map_err(|why| format!("mu's default prior, the spec's prior of the effect of `{}`, cannot be built ({why}); give `--mu-prior`", spec.arms[arm].name)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tau_prior = options
        .tau_prior
        .clone()
        .unwrap_or_else(|| prior::default_tau(&outcome.kind));
    let gamma_prior = options
        .gamma_prior
        .clone()
        .unwrap_or_else(|| prior::default_gamma(&outcome.kind));
    let mut members = Vec::new();
    for &i in &included {
        let part = &series.participants[i];
        let covariates: Vec<f64> = (0..p)
            .map(|q| (part.covariates[q] - centre[q]) / scale[q])
            .collect();
        let Some(m) = part.member() else { continue };
        let data = match (&m.data, &models[i]) {
            (Data::Diary { .. }, Some((model, effects, shared))) => MemberData::Model {
                model: model.clone(),
                effects: effects.clone(),
                shared: shared.clone(),
            },
            (
                Data::Evidence {
                    posterior, prior, ..
                },
                _,
            ) => MemberData::Summary {
                posterior: posterior.clone(),
                prior: prior.clone(),
            },
            (Data::Diary { .. }, None) => continue,
        };
        members.push((
            i,
            PoolMember {
                name: part.id.clone(),
                covariates,
                data,
            },
        ));
    }
    let order: Vec<usize> = members.iter().map(|(i, _)| *i).collect();
    let pool_model = PoolModel {
        effects: series
            .arms
            .iter()
            .map(|&a| spec.arms[a].name.clone())
            .collect(),
        covariates: series.covariates.clone(),
        mu_priors,
        tau_priors: vec![tau_prior; series.arms.len()],
        gamma_prior,
        shared: shared_params,
        members: members.into_iter().map(|(_, m)| m).collect(),
    };
    let density =
        PooledDensity::new(pool_model).map_err(|e| format!("the pooled model is invalid: {e}"))?;
    let pool = thread_pool(options.fit.threads)?;
    let seed = derive_seed(FIT_DOMAIN, settings.seed, series.outcome as u64);
    let k = series.arms.len();

    // The pooled fit, then every diary's own fit, in the same pool.
    progress.start("fitting", 1);
    let config = NutsConfig {
        progress: Some(ProgressCounter(counter(progress, "the series", &settings))),
        ..settings.nuts_config(seed)
    };
    let fit = pool
        .install(|| sample(&density, &config))
        .map_err(|e| format!("the pooled model could not be fitted: {e}"))?;
    progress.finished("the series");
    progress.end();
    let mut names = density.output_names();
    names.extend((1..=k).map(|j| format!("delta_new[{j}]")));
    let (mu_idx, tau_idx) = (0, k);
    let predictive_seed = derive_seed(PREDICTIVE_DOMAIN, settings.seed, series.outcome as u64);
    let mut drawn = 0usize;
    let mut rng = ChainRng::new(predictive_seed, 0);
    let num_draws = settings.draws.max(1);
    let posterior = Posterior::from_fit_outputs(names, &fit, settings.max_depth, |x| {
        if drawn.is_multiple_of(num_draws) {
            rng = ChainRng::new(predictive_seed, (drawn / num_draws) as u64);
        }
        drawn += 1;
        let mut out = density.outputs(x);
        // A new person at the average covariates: mu + tau * normal(0, 1).
        let new: Vec<f64> = (0..k)
            .map(|j| out[mu_idx + j] + out[tau_idx + j] * rng.normal())
            .collect();
        out.extend(new);
        out
    });

    let diaries: Vec<(usize, LoweredOutcome)> = order
        .iter()
        .enumerate()
        .filter_map(|(slot, &i)| match &series.participants[i].member()?.data {
            Data::Diary { prepared, outcome } => Some((slot, prepared.lowered[*outcome].clone())),
            Data::Evidence { .. } => None,
        })
        .collect();
    let ids: Vec<String> = order
        .iter()
        .map(|&i| series.participants[i].id.clone())
        .collect();
    let own: &[(usize, LoweredOutcome)] = if options.own_fits { &diaries } else { &[] };
    progress.start("single-trial fits", own.len());
    let singles: Vec<(usize, Result<Posterior, String>)> = pool.install(|| {
        own.par_iter()
            .map(|(slot, lowered)| {
                let name = &ids[*slot];
                let c = counter(progress, name, &settings);
                let seed = derive_seed(PERSON_DOMAIN, settings.seed, order[*slot] as u64);
                let r = fit::fit_model(lowered.model.clone(), &settings, seed, Some(c));
                progress.finished(name);
                (*slot, r)
            })
            .collect()
    });
    progress.end();
    // The LFM calibration: each hypothesis against its person's likelihood.
    let sceptical: Vec<(usize, LoweredOutcome)> = diaries
        .iter()
        .filter(|(slot, _)| {
            series.participants[order[*slot]]
                .member()
                .is_some_and(|m| m.lfm.iter().any(Option::is_some))
        })
        .filter_map(|(slot, l)| {
            crate::analysis::sensitivity::sceptical(std::slice::from_ref(l))
                .and_then(|v| v.into_iter().next())
                .map(|s| (*slot, s))
        })
        .collect();
    progress.start("sceptical fits", sceptical.len());
    let sceptical_fits: Vec<(usize, LoweredOutcome, Result<Posterior, String>)> =
        pool.install(|| {
            sceptical
                .par_iter()
                .map(|(slot, lowered)| {
                    let name = &ids[*slot];
                    let c = counter(progress, name, &settings);
                    let seed = derive_seed(SCEPTICAL_DOMAIN, settings.seed, order[*slot] as u64);
                    let r = fit::fit_model(lowered.model.clone(), &settings, seed, Some(c));
                    progress.finished(name);
                    (*slot, lowered.clone(), r)
                })
                .collect()
        });
    progress.end();
    let vague_sd = unit.unwrap_or(2.5);
    let mut entries = Vec::new();
    for (slot, &i) in order.iter().enumerate() {
        let part = &series.participants[i];
        let Some(m) = part.member() else { continue };
        for (k, lfm) in m.lfm.iter().enumerate() {
            let Some(lfm) = lfm else { continue };
            let observed = match &m.data {
                Data::Evidence { likelihood, .. } => Some(likelihood[k]),
                Data::Diary { .. } => sceptical_fits.iter().find(|(s, _, _)| *s == slot).and_then(
                    |(_, lowered, fit)| {
                        likelihood_from_fit(lowered, fit.as_ref().ok()?, series.arms[k])
                    },
                ),
            };
            if let Some(observed) = observed {
                entries.push(calibration::Entry::new(
                    part.id.clone(),
                    spec.arms[series.arms[k]].name.clone(),
                    lfm.hypothesis.clone(),
                    lfm.model.clone(),
                    lfm.rank,
                    (lfm.mean, lfm.sd),
                    observed,
                ));
            }
        }
    }
    let benefit = match outcome.better {
        hir::Direction::Lower => -1.0,
        hir::Direction::Higher => 1.0,
    };
    let calibration = calibration::calibrate(entries, vague_sd, benefit);
    // The next person's prior: its robust component normal(0, U).
    let robust_sd = unit.unwrap_or_else(|| {
        let k = posterior.index("delta_new[1]").unwrap_or(0);
        2.5 * posterior.summaries.get(k).map_or(1.0, |s| s.sd)
    });
    let (report, next_prior) = report::build(
        series,
        report::Parts {
            checked: &checked,
            order: &order,
            density: &density,
            posterior: &posterior,
            singles: &singles,
            calibration,
            options,
            centre: &centre,
            scale: &scale,
            robust_sd,
        },
    )?;
    Ok(Fitted {
        report,
        posterior,
        next_prior,
        seed,
    })
}

/// A participant's likelihood of the effect of `arm`, as (mean, sd): the
/// draws of their sceptical fit reweighted by 1 / V(delta), V the vague
/// prior they were fitted under (nearly flat over the likelihood, so the
/// weights are stable).
fn likelihood_from_fit(
    lowered: &LoweredOutcome,
    fit: &Posterior,
    arm: usize,
) -> Option<(f64, f64)> {
    let info = lowered
        .params
        .iter()
        .find(|p| p.role == Role::Effect { arm })?;
    let e = crate::analysis::effects::element_of(lowered, info)?;
    let prior = &lowered
        .model
        .priors
        .iter()
        .find(|pt| pt.param == info.id)?
        .prior;
    let draws = crate::analysis::effects::flat_draws(fit, e);
    let logw: Vec<f64> = draws
        .iter()
        .map(|d| -prior::ln_density(prior, *d))
        .collect();
    let top = logw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let (mut s0, mut s1, mut s2) = (0.0, 0.0, 0.0);
    for (d, l) in draws.iter().zip(&logw) {
        let w = (l - top).exp();
        s0 += w;
        s1 += w * d;
        s2 += w * d * d;
    }
    let mean = s1 / s0;
    let var = s2 / s0 - mean * mean;
    (var > 0.0 && mean.is_finite()).then(|| (mean, var.sqrt()))
}
