//! The report of `trialc run`: what the fit says about this participant, in
//! numbers, words and pictures.
//!
//! [`build`] turns the checked spec, its schedule, the diary and one fitted
//! posterior per outcome into a [`Report`]: trial and data summary, the
//! analysis set with its exclusions by reason, a parameter table, each effect
//! on its interpretable scale, every decision rule with its probability, MCSE
//! and whether it fires, a plain-language conclusion, and the convergence
//! warnings W0901–W0905 as [`Diagnostic`]s pointing at the spec.
//!
//! Everything here is a pure function of its inputs, so the same inputs give
//! a byte-identical report: no clock, no environment, no hash-map iteration,
//! floats printed by fixed rules ([`text`], [`json`]). No file IO: the CLI
//! writes [`output_files`] for `--out DIR` (through `io::OutDir`).
//!
//! The JSON schema is documented in `docs/report.md`; its `format` field is
//! [`FORMAT`].

pub mod arviz;
pub mod cmdstan;
pub mod document;
mod figures;
pub mod json;
pub mod svg;
pub mod text;

use serde::Serialize;
use trialc_runtime::posterior::{Method, Posterior};

use crate::analysis::loo::LooComparison;
use crate::analysis::predictive::{Predictive, PredictiveCheck};
use crate::analysis::sensitivity::Sensitivity;
use crate::analysis::{self, convergence, Analysis};
use crate::data::Diary;
use crate::diagnostic::Diagnostic;
use crate::hir::{self, Direction};
use crate::lower::{CarryoverHandling, LoweredOutcome, Role};
use crate::schedule::Schedule;

pub use crate::analysis::convergence::{ESS_BULK_MIN, E_BFMI_MIN, RHAT_MAX};
pub use crate::analysis::decide::{self, ConclusionKind, RuleReport};
pub use crate::analysis::effects::{
    prior_summary, EffectReport, Interval, ParamRow, PriorConflict, PriorSummary, SamplerSummary,
};
pub use crate::analysis::periods_complete;
pub use json::json;
pub use text::text;

/// The `format` field of every JSON report; bumped on incompatible changes.
pub const FORMAT: &str = "trialc-report/2";

pub use crate::fit::{Adapt, RunSettings};

/// The whole report; serialises to the documented JSON schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// `nuts`, or `laplace` for the fast approximation (`--method laplace`).
    pub method: &'static str,
    /// For the Laplace approximation: what it is and that decisions should
    /// be confirmed with NUTS. Absent for NUTS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximation: Option<String>,
    pub trial: TrialSummary,
    pub settings: RunSettings,
    pub data: DataSummary,
    pub outcomes: Vec<OutcomeReport>,
    /// Every `when` rule of the `decide` block, in spec order.
    pub rules: Vec<RuleReport>,
    /// The `report` block: interval level, point estimate, and quantities
    /// reported without a decision.
    pub reported: crate::analysis::reported::Reported,
    pub conclusion: decide::Conclusion,
    /// Convergence warnings W0901–W0905, with labels into the spec.
    pub diagnostics: Vec<Diagnostic>,
    /// Provenance of the LFM hypotheses files the priors came from (filled by
    /// [`Report::with_hypotheses`]; empty when the CLI does not add them).
    pub hypotheses: Vec<HypothesesProvenance>,
    /// The decision rules under the sceptical reference prior (each LFM
    /// hypothesis prior replaced by its vague component), side by side with
    /// the LFM prior's; filled by the CLI (`evidence::compare`), absent when
    /// no prior comes from a hypothesis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<Sensitivity>,
    /// Leave-one-out comparisons of the spec's model of an outcome with an
    /// alternative (`--compare-loo`), in the order asked; filled by the
    /// CLI, absent when none was asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loo: Vec<LooComparison>,
    /// What the report was computed from: trialc, the spec, the diary and
    /// the hypotheses files with their SHA-256, and how the allocation was
    /// drawn (the seed commitment); the files are filled by the session
    /// ([`Report::with_files`]).
    pub provenance: Provenance,
}

/// The inputs of a report and their identities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// The version of trialc that wrote the report.
    pub trialc: &'static str,
    /// SHA-256 of the grammar it implements.
    pub grammar_sha256: String,
    /// The spec file as read (`None` when the caller did not add it).
    pub spec: Option<FileDigest>,
    /// The diary as read.
    pub diary: Option<FileDigest>,
    /// Each hypotheses file, by the path the spec writes.
    pub hypotheses: Vec<FileDigest>,
    /// How the sequence and the blinding codes were drawn: `commitment`
    /// (the pharmacy's key, verified against the spec's commitment),
    /// `seed` (the spec's plain seed), `diary` (`sequence from data`: the
    /// diary records a sequence randomized outside trialc) or `design` (no
    /// seed: the design fixes the sequence).
    pub allocation: &'static str,
    /// The spec's seed commitment: the SHA-256 of the pharmacy's key file.
    pub seed_commitment: Option<String>,
}

/// A file by name (without its folders, so the report does not depend on
/// where it was run) and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileDigest {
    pub name: String,
    pub sha256: String,
}

impl FileDigest {
    /// `path`'s file name and the SHA-256 of `bytes`.
    pub fn of(path: &str, bytes: &[u8]) -> FileDigest {
        FileDigest {
            name: path.rsplit(['/', '\\']).next().unwrap_or(path).to_string(),
            sha256: crate::protocol::sha256_hex(bytes),
        }
    }
}

impl Provenance {
    /// What the spec alone says: trialc, the grammar and the allocation.
    pub fn of_spec(spec: &hir::Spec) -> Provenance {
        let s = &spec.schedule;
        Provenance {
            trialc: crate::protocol::TRIALC_VERSION,
            grammar_sha256: crate::protocol::grammar_sha256(),
            spec: None,
            diary: None,
            hypotheses: Vec::new(),
            allocation: if s.design.is_realised() {
                "diary"
            } else if s.commitment.is_some() {
                "commitment"
            } else if s.field_spans.seed.is_some() {
                "seed"
            } else {
                "design"
            },
            seed_commitment: s.commitment.map(|c| c.hex()),
        }
    }
}

/// Where an LFM hypotheses file came from, and which of its hypotheses
/// became priors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HypothesesProvenance {
    /// The name the spec gives the source (`hypotheses lfm from …`).
    pub source: String,
    pub path: String,
    pub generator_model: String,
    pub generator_version: String,
    pub prompt_sha256: String,
    pub created: String,
    pub participant: Option<String>,
    pub hypotheses: Vec<HypothesisUse>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HypothesisUse {
    pub id: String,
    pub rank: u32,
    pub intervention: String,
    pub outcome: String,
    pub mean: f64,
    pub sd: f64,
    pub rationale: Option<String>,
    /// `effect[ARM] on OUTCOME` for each prior built from it.
    pub used_by: Vec<String>,
}

impl Report {
    /// Adds the inputs' identities: the spec and the diary as (path, bytes),
    /// and each hypotheses file as (the path the spec writes, bytes).
    pub fn with_files(
        mut self,
        spec: (&str, &[u8]),
        diary: (&str, &[u8]),
        hypotheses: &[(&str, &[u8])],
    ) -> Report {
        self.provenance.spec = Some(FileDigest::of(spec.0, spec.1));
        self.provenance.diary = Some(FileDigest::of(diary.0, diary.1));
        self.provenance.hypotheses = hypotheses
            .iter()
            .map(|(path, bytes)| FileDigest {
                name: (*path).to_string(),
                sha256: crate::protocol::sha256_hex(bytes),
            })
            .collect();
        self
    }

    /// Adds the provenance of the hypotheses files, given as (source name
    /// in the spec, file as read), in the spec's order. Every hypothesis of
    /// a file is listed; `used_by` says which priors it became.
    pub fn with_hypotheses(
        mut self,
        spec: &hir::Spec,
        files: &[(&str, &crate::hypotheses::HypothesesFile)],
    ) -> Report {
        self.hypotheses = files
            .iter()
            .map(|(source, file)| HypothesesProvenance {
                source: (*source).to_string(),
                path: spec
                    .hypotheses
                    .iter()
                    .find(|h| h.name == *source)
                    .map_or_else(String::new, |h| h.path.clone()),
                generator_model: file.generator.model.clone(),
                generator_version: file.generator.version.clone(),
                prompt_sha256: file.generator.prompt_sha256.clone(),
                created: file.generator.created.clone(),
                participant: file.participant.clone(),
                hypotheses: file
                    .hypotheses
                    .iter()
                    .map(|h| {
                        let key = format!("{source}.{}", h.id);
                        HypothesisUse {
                            id: h.id.clone(),
                            rank: h.rank,
                            intervention: h.intervention.clone(),
                            outcome: h.outcome.clone(),
                            mean: h.effect.mean,
                            sd: h.effect.sd,
                            rationale: h.rationale.clone(),
                            used_by: self
                                .outcomes
                                .iter()
                                .flat_map(|o| {
                                    o.effects
                                        .iter()
                                        .filter(|e| e.hypothesis.as_deref() == Some(key.as_str()))
                                        .map(move |e| format!("{} on {}", e.parameter, o.name))
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            })
            .collect();
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmSummary {
    pub name: String,
    pub description: Option<String>,
    pub reference: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodSummary {
    pub number: u64,
    pub arm: String,
    pub first_day: u64,
    pub last_day: u64,
    pub washout_days: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrialSummary {
    pub id: String,
    pub title: Option<String>,
    pub version: Option<String>,
    pub sponsor: Option<String>,
    pub registry: Option<String>,
    pub arms: Vec<ArmSummary>,
    pub design: String,
    pub blinding: &'static str,
    /// `YYYY-MM-DD` of day 1, when the spec gives a start date.
    pub start: Option<String>,
    pub run_in_days: u64,
    /// The length of every period; `None` when they differ (see `periods`).
    pub period_days: Option<u64>,
    pub washout_days: u64,
    pub total_days: u64,
    pub periods: Vec<PeriodSummary>,
    /// The sequence is the diary's `arm` column (`sequence from data`),
    /// randomized outside trialc: the periods are its runs of one arm.
    pub realised: bool,
    /// The analysis window, when the spec gives one.
    pub window: Option<WindowSummary>,
}

/// `window days A..B`: only these days are analysed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WindowSummary {
    pub first_day: u64,
    pub last_day: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deviation {
    pub day: u64,
    pub date: Option<String>,
    /// The schedule's arm (`None` in the run-in).
    pub scheduled: Option<String>,
    /// The arm taken (`None` = nothing taken).
    pub taken: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSummary {
    /// Diary rows (one per day).
    pub rows: usize,
    pub first_day: Option<u64>,
    pub last_day: Option<u64>,
    /// Periods whose last day the diary has reached.
    pub periods_complete: u64,
    pub periods_planned: u64,
    pub has_arm_column: bool,
    /// Days where the `arm` column differs from the schedule (analysed as taken).
    pub deviations: Vec<Deviation>,
}

/// A group of days excluded from (or missing in) an outcome's analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exclusion {
    /// `run-in`, `washout`, `outside window`, `not reached`, `no arm
    /// taken`, `arm unknown`, `missing` or `not scheduled` (lowering's
    /// precedence, `lower::AnalysisSet`).
    pub reason: &'static str,
    pub count: usize,
    pub days: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmCount {
    pub arm: String,
    pub days: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisSummary {
    /// What is counted: `day`, or `value` when the model has a clock and a
    /// day may hold several values (each counted once, and a day without a
    /// value once).
    pub unit: &'static str,
    /// Every day counted for the outcome (diary rows and scheduled days):
    /// `analysed` plus the exclusions' counts.
    pub days: usize,
    pub analysed: usize,
    pub per_arm: Vec<ArmCount>,
    /// The days not analysed, each under exactly one reason (only reasons
    /// that occur).
    pub exclusions: Vec<Exclusion>,
}

/// The trend's centring day (dbar, the mean analysed day) and unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrendSummary {
    pub centre_day: f64,
    pub per_days: u64,
}

/// What the analysis did about the previous arm's effect after a switch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CarryoverSummary {
    /// `washout excluded` (the schedule's washout days are not analysed),
    /// `exponential decay` (`carryover decay`: the previous arm's effect
    /// fades, washout days analysed), `constant terms` (`carryover
    /// modelled`) or `none` (no washout, no carryover term).
    pub method: &'static str,
    /// The schedule's washout after each switch, in days.
    pub washout_days: u64,
    /// For `exponential decay`: the half-life log(2) / rate in days, its
    /// posterior median and central interval at the report's level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub half_life: Option<HalfLife>,
}

/// The half-life of a decaying carryover, in days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HalfLife {
    pub median: f64,
    pub lower: f64,
    pub upper: f64,
}

/// A covariate: its column and how its values were centred and scaled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CovariateSummary {
    pub column: String,
    /// The coefficient (`covariate[COLUMN]`).
    pub parameter: String,
    pub standardised: bool,
    /// Subtracted from every value: the mean over the analysed days.
    pub centre: f64,
    /// Divided into every centred value: the SD over the analysed days
    /// when standardised, else 1. The coefficient is the change of the
    /// linear predictor per `scale` units of the covariate.
    pub scale: f64,
}

/// The lagged outcome: the previous recorded value, centred.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LagSummary {
    /// The coefficient rho (`lag`); its weight across a gap of g clock
    /// units is rho^g.
    pub parameter: String,
    /// Subtracted from every previous value: their mean.
    pub centre: f64,
}

/// A latent AR(1) process on the linear predictor (`errors ar1` on a
/// binary, binomial or count outcome): its innovations are parameters too.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatentSummary {
    /// The innovations (`z`), one per analysed value; the rows of
    /// `parameters` include them.
    pub innovations: String,
    pub elements: usize,
    /// Their worst R-hat and lowest bulk-ESS.
    pub worst_rhat: f64,
    pub lowest_ess_bulk: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeReport {
    pub name: String,
    pub description: Option<String>,
    /// `continuous`, `binary`, `count` or `ordinal`.
    pub kind: &'static str,
    /// `lower` or `higher`.
    pub better: &'static str,
    pub mcid: Option<f64>,
    pub unit: Option<String>,
    pub primary: bool,
    pub analysis: AnalysisSummary,
    /// Where the linear trend is centred and its unit, when the model has a
    /// trend: `trend` is the change per `per_days` days, and the intercept is
    /// the reference arm's level on `centre_day`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trend: Option<TrendSummary>,
    /// How the previous arm's effect after a switch was handled.
    pub carryover: CarryoverSummary,
    /// The covariates, in spec order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub covariates: Vec<CovariateSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag: Option<LagSummary>,
    /// The diary column the serial terms count time in, when not trial days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latent_ar1: Option<LatentSummary>,
    pub parameters: Vec<ParamRow>,
    pub effects: Vec<EffectReport>,
    pub sampler: SamplerSummary,
    /// The posterior predictive check: test statistics of the observed
    /// series against their replicates, and the verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predictive_check: Option<PredictiveCheck>,
}

/// Builds the report. `fits` holds one lowered outcome with its posterior per
/// fitted outcome, in any order; outcomes without a fit are left out, and
/// rules about them are reported as not evaluable.
pub fn build(
    spec: &hir::Spec,
    schedule: &Schedule,
    diary: &Diary,
    fits: &[(LoweredOutcome, Posterior)],
    settings: &RunSettings,
) -> Report {
    let analysis = analysis::analyse(spec, schedule, diary, fits, settings);
    let predictive = crate::analysis::predictive::predict(fits, settings);
    present(spec, schedule, diary, fits, analysis, &predictive, settings)
}

/// The report of an analysis: the trial, the data and each outcome's
/// analysis set around what the analysis found, with the predictive check
/// of each outcome in `predictive` (`analysis::predictive::predict`).
pub fn present(
    spec: &hir::Spec,
    schedule: &Schedule,
    diary: &Diary,
    fits: &[(LoweredOutcome, Posterior)],
    analysis: Analysis,
    predictive: &[Predictive],
    settings: &RunSettings,
) -> Report {
    let data = data_summary(schedule, diary);
    let level = analysis.reported.interval;
    let outcomes = analysis
        .outcomes
        .into_iter()
        .filter_map(|found| {
            let outcome = spec.outcomes.get(found.outcome)?;
            let (lowered, post) = fits.iter().find(|(l, _)| l.outcome == found.outcome)?;
            Some(OutcomeReport {
                name: outcome.name.clone(),
                description: outcome.description.clone(),
                kind: outcome.kind.name(),
                better: match outcome.better {
                    Direction::Lower => "lower",
                    Direction::Higher => "higher",
                },
                mcid: outcome.mcid,
                unit: outcome.unit.clone(),
                primary: outcome.primary,
                analysis: analysis_summary(spec, lowered),
                trend: lowered.per_days.map(|per_days| TrendSummary {
                    centre_day: lowered.dbar,
                    per_days,
                }),
                carryover: carryover_summary(schedule, lowered, post, level),
                covariates: lowered
                    .covariates
                    .iter()
                    .map(|c| CovariateSummary {
                        column: c.column.clone(),
                        parameter: format!("covariate[{}]", c.column),
                        standardised: c.standardised,
                        centre: c.centre,
                        scale: c.scale,
                    })
                    .collect(),
                lag: lowered.lag_centre.map(|centre| LagSummary {
                    parameter: "lag".into(),
                    centre,
                }),
                clock: lowered.clock.clone(),
                latent_ar1: latent_summary(lowered, &found.parameters),
                parameters: found.parameters,
                effects: found.effects,
                sampler: found.sampler,
                predictive_check: predictive
                    .iter()
                    .find(|p| p.outcome == found.outcome)
                    .map(|p| p.check.clone()),
            })
        })
        .collect();
    Report {
        format: FORMAT,
        method: settings.method.name(),
        approximation: (settings.method == Method::Laplace).then(|| {
            format!(
                "Laplace approximation, not MCMC: {} independent draws from a Gaussian at the posterior mode on the unconstrained scale, transformed back. Fast but approximate (skewed or bounded posteriors are not Gaussian), with no convergence diagnostics; confirm any decision with NUTS (`trialc run` without `--method laplace`).",
                settings.draws
            )
        }),
        trial: trial_summary(spec, schedule),
        settings: *settings,
        data,
        outcomes,
        rules: analysis.rules,
        reported: analysis.reported,
        conclusion: analysis.conclusion,
        diagnostics: analysis.diagnostics,
        hypotheses: Vec::new(),
        sensitivity: None,
        provenance: Provenance::of_spec(spec),
        loo: Vec::new(),
    }
}

/// True when any convergence warning (W0901–W0905) was raised: the CLI
/// exits with its distinct code, because the numbers may not be trustworthy.
pub fn has_convergence_problems(report: &Report) -> bool {
    convergence::any_problem(&report.diagnostics)
}

/// The names of the files [`outputs`] will write for `spec` (known before
/// anything is fitted, so a name the file system cannot take is found
/// first): `report.json`, `arviz.json` (NUTS only), then per outcome its
/// chains' CSVs and observed data (NUTS only), the timeline, the predictive
/// check, one effect plot per non-reference arm, and the trace and rank
/// plots (NUTS only).
pub fn output_names(spec: &hir::Spec, chains: usize, nuts: bool) -> Vec<String> {
    let mut names = vec!["report.json".to_string()];
    if nuts {
        names.push(arviz::FILE.to_string());
    }
    for outcome in &spec.outcomes {
        let name = &outcome.name;
        if nuts {
            names.extend((1..=chains).map(|c| format!("{name}-{c}.csv")));
            names.push(arviz::observed_file(name));
        }
        names.push(format!("{name}-timeline.svg"));
        names.push(format!("{name}-ppc.svg"));
        for (k, arm) in spec.arms.iter().enumerate() {
            if k != spec.reference {
                names.push(format!("{name}-effect-{}.svg", arm.name));
            }
        }
        if nuts {
            names.push(format!("{name}-trace.svg"));
            names.push(format!("{name}-rank.svg"));
        }
    }
    names
}

/// Every file of `--out`, `report.json` first, as (file name, contents).
pub fn outputs(
    report: &Report,
    spec: &hir::Spec,
    schedule: &Schedule,
    diary: &Diary,
    fits: &[(LoweredOutcome, Posterior)],
    predictive: &[Predictive],
) -> Vec<(String, String)> {
    let mut files = vec![("report.json".to_string(), json(report))];
    files.extend(output_files(
        report, spec, schedule, diary, fits, predictive,
    ));
    files
}

/// Every file of `--out` except `report.json`, as (file name, contents):
/// pure, so tests can check the contents without touching the disk.
/// `predictive` holds each outcome's log likelihood and replicates
/// (`analysis::predictive::predict`), written into the CSVs as `log_lik`
/// and `y_rep` and drawn in the predictive check's plot.
pub fn output_files(
    report: &Report,
    spec: &hir::Spec,
    schedule: &Schedule,
    diary: &Diary,
    fits: &[(LoweredOutcome, Posterior)],
    predictive: &[Predictive],
) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut ordered: Vec<&(LoweredOutcome, Posterior)> = fits.iter().collect();
    ordered.sort_by_key(|(l, _)| l.outcome);
    let nuts: Vec<&(LoweredOutcome, Posterior)> = ordered
        .iter()
        .copied()
        .filter(|(_, post)| post.method == Method::Nuts)
        .collect();
    if !nuts.is_empty() {
        files.push((
            arviz::FILE.to_string(),
            arviz::sidecar(spec, &nuts, predictive),
        ));
    }
    for (lowered, post) in ordered {
        let Some(outcome) = spec.outcomes.get(lowered.outcome) else {
            continue;
        };
        let name = &outcome.name;
        let pred = predictive.iter().find(|p| p.outcome == lowered.outcome);
        // Laplace draws are not Markov chains: no CmdStan sampler CSV, trace
        // or rank plots (they would pass for NUTS output).
        let chains = if post.method == Method::Nuts {
            post.num_chains
        } else {
            0
        };
        for chain in 0..chains {
            files.push((
                format!("{name}-{}.csv", chain + 1),
                cmdstan::chain_csv(
                    &spec.trial.id,
                    outcome,
                    lowered,
                    post,
                    chain,
                    &report.settings,
                    pred,
                ),
            ));
        }
        if chains > 0 {
            files.push((arviz::observed_file(name), arviz::observed(pred, lowered)));
        }
        files.push((
            format!("{name}-timeline.svg"),
            svg::timeline(spec, schedule, diary, lowered),
        ));
        files.push((format!("{name}-ppc.svg"), svg::predictive(outcome, pred)));
        for p in &lowered.params {
            if let Role::Effect { arm } = p.role {
                let arm_name = spec.arms.get(arm).map_or("arm", |a| a.name.as_str());
                files.push((
                    format!("{name}-effect-{arm_name}.svg"),
                    svg::effect_density(outcome, lowered, post, p),
                ));
            }
        }
        if post.method == Method::Nuts {
            files.push((format!("{name}-trace.svg"), svg::trace(outcome, post)));
            files.push((format!("{name}-rank.svg"), svg::rank(outcome, post)));
        }
    }
    files
}

fn date_text(schedule: &Schedule, day: u64) -> Option<String> {
    schedule
        .date_of_day(day)
        .map(|d| d.format("%Y-%m-%d").to_string())
}

fn arm_name(spec: &hir::Spec, arm: usize) -> String {
    spec.arms
        .get(arm)
        .map_or_else(|| format!("#{arm}"), |a| a.name.clone())
}

fn trial_summary(spec: &hir::Spec, schedule: &Schedule) -> TrialSummary {
    let t = &spec.trial;
    TrialSummary {
        id: t.id.clone(),
        title: t.title.clone(),
        version: t.version.clone(),
        sponsor: t.sponsor.clone(),
        registry: t.registry.clone(),
        arms: spec
            .arms
            .iter()
            .map(|a| ArmSummary {
                name: a.name.clone(),
                description: a.description.clone(),
                reference: a.is_reference,
            })
            .collect(),
        design: schedule.design.name(),
        blinding: schedule.blinding.name(),
        start: schedule.start.map(|d| d.format("%Y-%m-%d").to_string()),
        run_in_days: schedule.run_in_days,
        period_days: schedule.period_days(),
        washout_days: schedule.washout_days,
        total_days: schedule.total_days,
        periods: schedule
            .periods
            .iter()
            .map(|p| PeriodSummary {
                number: p.number,
                arm: arm_name(spec, p.arm),
                first_day: p.first_day,
                last_day: p.last_day,
                washout_days: p.washout_days,
            })
            .collect(),
        realised: schedule.is_realised(),
        window: schedule.window.map(|w| WindowSummary {
            first_day: w.first_day,
            last_day: w.last_day,
        }),
    }
}

fn data_summary(schedule: &Schedule, diary: &Diary) -> DataSummary {
    let name = |k: Option<usize>| {
        k.map(|k| {
            schedule
                .arms
                .get(k)
                .map_or_else(|| format!("#{k}"), |a| a.name.clone())
        })
    };
    DataSummary {
        rows: diary.rows.len(),
        first_day: diary.rows.first().map(|r| r.day),
        last_day: diary.rows.last().map(|r| r.day),
        periods_complete: periods_complete(schedule, diary),
        periods_planned: schedule.periods.len() as u64,
        has_arm_column: diary.has_arm_column,
        deviations: diary
            .deviations
            .iter()
            .map(|d| Deviation {
                day: d.day,
                date: date_text(schedule, d.day),
                scheduled: name(d.scheduled),
                taken: name(d.taken),
            })
            .collect(),
    }
}

fn carryover_summary(
    schedule: &Schedule,
    lowered: &LoweredOutcome,
    post: &Posterior,
    level: f64,
) -> CarryoverSummary {
    let half_life = (lowered.carryover == CarryoverHandling::Decay)
        .then(|| {
            let rate = lowered
                .params
                .iter()
                .find(|p| p.role == Role::CarryoverRate)?;
            let k = crate::analysis::effects::element_of(lowered, rate)?;
            let draws: Vec<f64> = crate::analysis::effects::flat_draws(post, k)
                .into_iter()
                .map(|r| std::f64::consts::LN_2 / r)
                .collect();
            let summary = crate::analysis::effects::summarise_values(&draws, level);
            Some(HalfLife {
                median: summary.median,
                lower: summary.lower,
                upper: summary.upper,
            })
        })
        .flatten();
    CarryoverSummary {
        method: lowered.carryover.name(),
        washout_days: schedule.washout_days,
        half_life,
    }
}

fn latent_summary(lowered: &LoweredOutcome, parameters: &[ParamRow]) -> Option<LatentSummary> {
    let z = lowered
        .params
        .iter()
        .find(|p| p.role == Role::Innovations)?;
    let rows: Vec<&ParamRow> = parameters
        .iter()
        .filter(|p| p.parameter == z.name)
        .collect();
    Some(LatentSummary {
        innovations: z.name.clone(),
        elements: rows.len(),
        worst_rhat: rows.iter().map(|p| p.rhat).fold(f64::NEG_INFINITY, |a, b| {
            if b.is_nan() {
                b
            } else {
                a.max(b)
            }
        }),
        lowest_ess_bulk: rows.iter().map(|p| p.ess_bulk).fold(f64::INFINITY, |a, b| {
            if b.is_nan() {
                b
            } else {
                a.min(b)
            }
        }),
    })
}

fn analysis_summary(spec: &hir::Spec, lowered: &LoweredOutcome) -> AnalysisSummary {
    let a = &lowered.analysis;
    let mut exclusions = Vec::new();
    for (reason, days) in a.excluded() {
        if !days.is_empty() {
            exclusions.push(Exclusion {
                reason,
                count: days.len(),
                days: days.to_vec(),
            });
        }
    }
    AnalysisSummary {
        unit: if lowered.clock.is_some() {
            "value"
        } else {
            "day"
        },
        days: a.total(),
        analysed: a.n(),
        per_arm: spec
            .arms
            .iter()
            .enumerate()
            .map(|(k, arm)| ArmCount {
                arm: arm.name.clone(),
                days: a.n_on_arm(k),
            })
            .collect(),
        exclusions,
    }
}
