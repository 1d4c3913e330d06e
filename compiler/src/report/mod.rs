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
//! floats printed by fixed rules ([`text`], [`json`]). The only file IO is
//! [`write_outputs`], which the CLI calls for `--out DIR`.
//!
//! The JSON schema is documented in `docs/report.md`; its `format` field is
//! [`FORMAT`].

pub mod cmdstan;
pub mod decide;
pub mod json;
pub mod svg;
pub mod text;

use crate::codes;
use std::path::{Path, PathBuf};

use serde::Serialize;
use trialc_runtime::diagnostics::quantile;
use trialc_runtime::posterior::{Init, Method, Posterior};

use crate::data::Diary;
use crate::diagnostic::{Diagnostic, Span};
use crate::hir::{self, Direction, OutcomeType};
use crate::lower::{LoweredOutcome, ParamInfo, Role};
use crate::schedule::Schedule;

pub use decide::{ConclusionKind, RuleReport};
pub use json::json;
pub use text::text;

/// The `format` field of every JSON report; bumped on incompatible changes.
pub const FORMAT: &str = "trialc-report/1";

/// Convergence thresholds of model.md (and Stan's E-BFMI rule of thumb).
pub const RHAT_MAX: f64 = 1.01;
pub const ESS_BULK_MIN: f64 = 400.0;
pub const E_BFMI_MIN: f64 = 0.3;

/// How the sampler was run (printed, and written into the CmdStan CSV headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RunSettings {
    pub chains: usize,
    pub warmup: usize,
    pub draws: usize,
    pub seed: u64,
    /// NUTS maximum tree depth (10 as in Stan); saturation is W0904.
    pub max_depth: usize,
    /// `--method`: NUTS (default) or the Laplace approximation.
    pub method: Method,
    /// `--init`: where NUTS chains start (`random`, Stan's, by default; `map`).
    pub init: Init,
    /// `--adapt`: Stan's warmup and U-turn criterion (default), or nutpie's.
    pub adapt: Adapt,
}

/// The NUTS variant: `stan` (model.md's contract: Stan's windowed warmup and
/// generalized U-turn criterion) or `nutpie` (opt-in: nutpie's warmup
/// schedule with the Fisher-divergence metric and the displacement U-turn
/// criterion, as nuts-rs; runtime/BENCH.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Adapt {
    Stan,
    Nutpie,
}

impl RunSettings {
    /// The sampler configuration of one fit with the stream seeded by `seed`.
    pub fn nuts_config(&self, seed: u64) -> trialc_runtime::nuts::NutsConfig {
        use trialc_runtime::adapt::Adaptation;
        use trialc_runtime::nuts::{NutsConfig, UTurn};
        let (adaptation, uturn) = match self.adapt {
            Adapt::Stan => (Adaptation::Stan, UTurn::Generalized),
            Adapt::Nutpie => (Adaptation::Nutpie, UTurn::Displacement),
        };
        NutsConfig {
            num_chains: self.chains,
            num_warmup: self.warmup,
            num_draws: self.draws,
            seed,
            max_depth: self.max_depth,
            adaptation,
            uturn,
            ..NutsConfig::default()
        }
    }
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            chains: 4,
            warmup: 1000,
            draws: 1000,
            seed: 1,
            max_depth: 10,
            method: Method::Nuts,
            init: Init::Random,
            adapt: Adapt::Stan,
        }
    }
}

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
    pub sensitivity: Option<crate::evidence::Sensitivity>,
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
    pub period_days: u64,
    pub washout_days: u64,
    pub total_days: u64,
    pub periods: Vec<PeriodSummary>,
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
    /// `run-in`, `washout`, `no arm taken` or `missing`.
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
    pub analysed: usize,
    pub per_arm: Vec<ArmCount>,
    /// Values recorded but not analysed, and scheduled values not recorded,
    /// by reason (only reasons that occur).
    pub exclusions: Vec<Exclusion>,
}

/// One row of the parameter table: one element of a parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamRow {
    /// The element, as the runtime names it (`sigma`, `cutpoints[2]`).
    pub name: String,
    /// The parameter it belongs to (`cutpoints`).
    pub parameter: String,
    pub mean: f64,
    pub sd: f64,
    pub q5: f64,
    pub q95: f64,
    pub rhat: f64,
    pub ess_bulk: f64,
    pub ess_tail: f64,
    pub mcse_mean: f64,
    pub prior: String,
    /// The documented default prior applied (the spec gave none).
    pub prior_default: bool,
}

/// A posterior summary of a derived quantity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interval {
    pub mean: f64,
    pub median: f64,
    pub q5: f64,
    pub q95: f64,
}

/// Posterior weights of a robust mixture prior's components.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriorConflict {
    /// `source.id` of the hypothesis.
    pub hypothesis: String,
    /// Prior weight of the vague component, r.
    pub prior_vague_weight: f64,
    /// Posterior weight of the vague component (mean responsibility over draws).
    pub posterior_vague_weight: f64,
    /// The data moved weight onto the vague component (posterior > prior).
    pub conflict: bool,
}

/// One arm's effect, on the model's scale and on the interpretable scale.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectReport {
    pub arm: String,
    /// The parameter (`effect[magnesium]`).
    pub parameter: String,
    /// The model's scale (`outcome units`, `log odds ratio`, …).
    pub scale: &'static str,
    pub effect: Interval,
    /// `difference in means`, `odds ratio`, `rate ratio`, `cumulative odds ratio`.
    pub measure: &'static str,
    /// The effect on `measure`'s scale (exp of the effect for link scales).
    pub interpretable: Interval,
    /// Binary outcomes: P(event | arm) − P(event | reference) at the
    /// reference level mid-trial, per draw.
    pub risk_difference: Option<Interval>,
    /// P(effect is in the `better` direction): P(effect < 0) for `better lower`.
    pub p_better: f64,
    pub prior_conflict: Option<PriorConflict>,
    /// `source.id` of the LFM hypothesis the prior came from.
    pub hypothesis: Option<String>,
    /// The prior on the same scale, to set against `effect` (normal and
    /// normal-mixture priors, which every LFM-derived prior is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prior: Option<PriorSummary>,
}

/// Mean, sd and 90% interval of a prior.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PriorSummary {
    pub mean: f64,
    pub sd: f64,
    pub q5: f64,
    pub q95: f64,
}

/// The summary of a normal or normal-mixture prior: mean and sd exactly,
/// the 5% and 95% quantiles by bisection on its exact CDF (to 1e-12 of the
/// range, whatever the components' widths). `None` for other priors.
pub fn prior_summary(prior: &trialc_runtime::mir::Prior) -> Option<PriorSummary> {
    let components = prior.normal_components()?;
    let mean: f64 = components.iter().map(|(w, m, _)| w * m).sum();
    let second: f64 = components.iter().map(|(w, m, s)| w * (s * s + m * m)).sum();
    let sd = (second - mean * mean).max(0.0).sqrt();
    // Every quantile in (0.05, 0.95) lies inside the components' mean ± 10 sd.
    let lo = components
        .iter()
        .map(|(_, m, s)| m - 10.0 * s)
        .fold(f64::INFINITY, f64::min);
    let hi = components
        .iter()
        .map(|(_, m, s)| m + 10.0 * s)
        .fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite() && sd.is_finite()) {
        return None;
    }
    let quantile = |level: f64| -> Option<f64> {
        let (mut a, mut b) = (lo, hi);
        for _ in 0..200 {
            let m = 0.5 * (a + b);
            if prior.normal_mixture_cdf(m)? < level {
                a = m;
            } else {
                b = m;
            }
            if b - a <= 1e-12 * (hi - lo) {
                break;
            }
        }
        Some(0.5 * (a + b))
    };
    Some(PriorSummary {
        mean,
        sd,
        q5: quantile(0.05)?,
        q95: quantile(0.95)?,
    })
}

/// Sampler health of one outcome's fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SamplerSummary {
    pub divergences: usize,
    pub max_treedepth_hits: usize,
    /// Per chain.
    pub e_bfmi: Vec<f64>,
    /// Adapted step size per chain.
    pub stepsizes: Vec<f64>,
    pub grad_evals: u64,
    /// Where the chains started: `random` (Stan's uniform(-2, 2)), `map`
    /// (draws from the Laplace approximation at the mode), `none` (Laplace
    /// method: no chains).
    pub init: &'static str,
    /// Why the init asked for was not used (`--init map` without a mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_note: Option<String>,
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
    pub parameters: Vec<ParamRow>,
    pub effects: Vec<EffectReport>,
    pub sampler: SamplerSummary,
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
    let data = data_summary(schedule, diary);
    let mut outcomes = Vec::new();
    let mut diagnostics = Vec::new();
    // Spec order, whatever the order of `fits`, so the report is stable.
    let mut ordered: Vec<&(LoweredOutcome, Posterior)> = fits.iter().collect();
    ordered.sort_by_key(|(l, _)| l.outcome);
    for (lowered, post) in &ordered {
        let Some(outcome) = spec.outcomes.get(lowered.outcome) else {
            continue;
        };
        outcomes.push(outcome_report(spec, outcome, lowered, post));
        // Convergence diagnostics are about Markov chains; iid draws from
        // the Laplace approximation have none (and no R-hat or ESS).
        if post.method == Method::Nuts {
            diagnostics.extend(convergence_diagnostics(
                spec, outcome, lowered, post, settings,
            ));
        }
    }
    let rules = decide::evaluate_rules(spec, fits, data.periods_complete);
    let conclusion = decide::conclude(&rules, !diagnostics.is_empty());
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
        rules,
        conclusion,
        diagnostics,
        hypotheses: Vec::new(),
        sensitivity: None,
    }
}

/// True when any convergence warning (W0901–W0905) was raised: the CLI
/// exits with its distinct code, because the numbers may not be trustworthy.
pub fn has_convergence_problems(report: &Report) -> bool {
    report.diagnostics.iter().any(|d| d.code.starts_with("W09"))
}

/// Writes `report.json`, one CmdStan CSV per chain per outcome
/// (`OUTCOME-CHAIN.csv`) and the SVG plots into `dir` (created if needed).
/// Returns the files written, in a stable order.
pub fn write_outputs(
    dir: &Path,
    report: &Report,
    spec: &hir::Spec,
    schedule: &Schedule,
    diary: &Diary,
    fits: &[(LoweredOutcome, Posterior)],
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut put = |name: String, contents: String| -> std::io::Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, contents)?;
        written.push(path);
        Ok(())
    };
    put("report.json".into(), json(report))?;
    for (name, contents) in output_files(report, spec, schedule, diary, fits) {
        put(name, contents)?;
    }
    Ok(written)
}

/// Every file of `--out` except `report.json`, as (file name, contents):
/// pure, so tests can check the contents without touching the disk.
pub fn output_files(
    report: &Report,
    spec: &hir::Spec,
    schedule: &Schedule,
    diary: &Diary,
    fits: &[(LoweredOutcome, Posterior)],
) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut ordered: Vec<&(LoweredOutcome, Posterior)> = fits.iter().collect();
    ordered.sort_by_key(|(l, _)| l.outcome);
    for (lowered, post) in ordered {
        let Some(outcome) = spec.outcomes.get(lowered.outcome) else {
            continue;
        };
        let name = &outcome.name;
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
                ),
            ));
        }
        files.push((
            format!("{name}-timeline.svg"),
            svg::timeline(spec, schedule, diary, lowered),
        ));
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

/// The sampler seed of outcome `outcome` (spec index) in a run with `seed`:
/// each outcome gets its own stream, so outcomes never share random numbers.
/// The CLI seeds each fit with it, and the CmdStan CSV records it.
pub fn outcome_seed(seed: u64, outcome: usize) -> u64 {
    seed.wrapping_add((outcome as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Offset of each parameter's first element in the posterior's element
/// vector (parameters are laid out in `model.params` order).
pub(crate) fn offsets(lowered: &LoweredOutcome) -> Vec<usize> {
    let mut out = Vec::with_capacity(lowered.model.params.len());
    let mut o = 0;
    for p in &lowered.model.params {
        out.push(o);
        o += p.size;
    }
    out
}

/// The element index of a scalar parameter.
pub(crate) fn element_of(lowered: &LoweredOutcome, param: &ParamInfo) -> Option<usize> {
    offsets(lowered).get(param.id).copied()
}

/// All draws of element `k`, chain after chain.
pub(crate) fn flat_draws(post: &Posterior, k: usize) -> Vec<f64> {
    post.element(k).into_iter().flatten().collect()
}

fn summarise_values(values: &[f64]) -> Interval {
    let n = values.len().max(1) as f64;
    Interval {
        mean: values.iter().sum::<f64>() / n,
        median: quantile(values, 0.5),
        q5: quantile(values, 0.05),
        q95: quantile(values, 0.95),
    }
}

fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
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
        period_days: schedule.period_days,
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
    }
}

/// Periods complete: those whose last day the diary has reached (the last
/// diary row is on or after it). A stop-early rule `after N periods` needs N.
pub fn periods_complete(schedule: &Schedule, diary: &Diary) -> u64 {
    let Some(last) = diary.rows.last().map(|r| r.day) else {
        return 0;
    };
    schedule
        .periods
        .iter()
        .filter(|p| p.last_day <= last)
        .count() as u64
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

fn analysis_summary(spec: &hir::Spec, lowered: &LoweredOutcome) -> AnalysisSummary {
    let a = &lowered.analysis;
    let mut exclusions = Vec::new();
    for (reason, days) in [
        ("run-in", &a.run_in),
        ("washout", &a.washout),
        ("no arm taken", &a.no_arm),
        ("missing", &a.missing),
    ] {
        if !days.is_empty() {
            exclusions.push(Exclusion {
                reason,
                count: days.len(),
                days: days.clone(),
            });
        }
    }
    AnalysisSummary {
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

fn outcome_report(
    spec: &hir::Spec,
    outcome: &hir::Outcome,
    lowered: &LoweredOutcome,
    post: &Posterior,
) -> OutcomeReport {
    let offs = offsets(lowered);
    let mut parameters = Vec::new();
    for p in &lowered.params {
        let (Some(&start), Some(size)) = (
            offs.get(p.id),
            lowered.model.params.get(p.id).map(|q| q.size),
        ) else {
            continue;
        };
        for k in start..start + size {
            let (Some(name), Some(s)) = (post.names.get(k), post.summaries.get(k)) else {
                continue;
            };
            parameters.push(ParamRow {
                name: name.clone(),
                parameter: p.name.clone(),
                mean: s.mean,
                sd: s.sd,
                q5: post.quantile(k, 0.05).0,
                q95: post.quantile(k, 0.95).0,
                rhat: s.rhat,
                ess_bulk: s.ess_bulk,
                ess_tail: s.ess_tail,
                mcse_mean: s.mcse_mean,
                prior: p.prior_text.clone(),
                prior_default: p.default,
            });
        }
    }
    let intercept = lowered
        .params
        .iter()
        .find(|p| p.role == Role::Intercept)
        .and_then(|p| element_of(lowered, p));
    let mut effects = Vec::new();
    for p in &lowered.params {
        let Role::Effect { arm } = p.role else {
            continue;
        };
        let Some(k) = element_of(lowered, p) else {
            continue;
        };
        let draws = flat_draws(post, k);
        let (measure, interpretable) = match outcome.kind {
            OutcomeType::Continuous { .. } => ("difference in means", summarise_values(&draws)),
            OutcomeType::Binary => ("odds ratio", exp_summary(&draws)),
            OutcomeType::Count { .. } => ("rate ratio", exp_summary(&draws)),
            OutcomeType::Ordinal { .. } => ("cumulative odds ratio", exp_summary(&draws)),
        };
        let risk_difference = match (outcome.kind, intercept) {
            (OutcomeType::Binary, Some(i)) => {
                let alpha = flat_draws(post, i);
                let rd: Vec<f64> = alpha
                    .iter()
                    .zip(&draws)
                    .map(|(a, d)| logistic(a + d) - logistic(*a))
                    .collect();
                Some(summarise_values(&rd))
            }
            _ => None,
        };
        let better = |d: f64| match outcome.better {
            Direction::Lower => d < 0.0,
            Direction::Higher => d > 0.0,
        };
        let p_better =
            draws.iter().filter(|d| better(**d)).count() as f64 / draws.len().max(1) as f64;
        let prior_conflict = match &p.hypothesis {
            Some(h) if h.robust > 0.0 => post.mixture(p.id).map(|m| {
                // Components: the informative one first, then the vague part.
                let vague: f64 = m.posterior.iter().skip(1).sum();
                PriorConflict {
                    hypothesis: format!("{}.{}", h.source, h.id),
                    prior_vague_weight: h.robust,
                    posterior_vague_weight: vague,
                    conflict: vague > h.robust,
                }
            }),
            _ => None,
        };
        effects.push(EffectReport {
            arm: arm_name(spec, arm),
            parameter: p.name.clone(),
            scale: outcome.kind.effect_scale(),
            effect: summarise_values(&draws),
            measure,
            interpretable,
            risk_difference,
            p_better,
            prior_conflict,
            hypothesis: p
                .hypothesis
                .as_ref()
                .map(|h| format!("{}.{}", h.source, h.id)),
            prior: lowered
                .model
                .priors
                .iter()
                .find(|t| t.param == p.id)
                .and_then(|t| prior_summary(&t.prior)),
        });
    }
    let health = &post.health;
    OutcomeReport {
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
        parameters,
        effects,
        sampler: SamplerSummary {
            divergences: health.iter().map(|h| h.divergences).sum(),
            max_treedepth_hits: health.iter().map(|h| h.max_treedepth_hits).sum(),
            e_bfmi: health.iter().map(|h| h.e_bfmi).collect(),
            stepsizes: post.stepsizes.clone(),
            grad_evals: post.grad_evals,
            init: post.init.name(),
            init_note: post.init_note.clone(),
        },
    }
}

fn exp_summary(draws: &[f64]) -> Interval {
    let e: Vec<f64> = draws.iter().map(|d| d.exp()).collect();
    summarise_values(&e)
}

/// The span of the model block of outcome `outcome` (for sampler-wide warnings).
fn model_span(spec: &hir::Spec, outcome: usize) -> Option<Span> {
    spec.models
        .iter()
        .find(|m| m.outcome == outcome)
        .map(|m| m.span)
}

/// W0901–W0905 for one outcome's fit. Element-level problems (R-hat, ESS)
/// are reported once per parameter, at the span of its prior in the spec;
/// sampler-wide ones (divergences, tree depth, E-BFMI) at the model block.
fn convergence_diagnostics(
    spec: &hir::Spec,
    outcome: &hir::Outcome,
    lowered: &LoweredOutcome,
    post: &Posterior,
    settings: &RunSettings,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let offs = offsets(lowered);
    let more_draws = format!(
        "run longer chains (e.g. `--warmup {} --draws {}`) and check the model",
        (settings.warmup * 2).max(1000),
        (settings.draws * 2).max(1000)
    );
    for p in &lowered.params {
        let (Some(&start), Some(size)) = (
            offs.get(p.id),
            lowered.model.params.get(p.id).map(|q| q.size),
        ) else {
            continue;
        };
        let elements: Vec<(String, f64, f64)> = (start..start + size)
            .filter_map(|k| {
                Some((
                    post.names.get(k)?.clone(),
                    post.summaries.get(k)?.rhat,
                    post.summaries.get(k)?.ess_bulk,
                ))
            })
            .collect();
        // The worst element; NaN (e.g. constant draws) counts as failing.
        let worst_rhat = elements
            .iter()
            .filter(|(_, r, _)| r.is_nan() || *r > RHAT_MAX)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((name, rhat, _)) = worst_rhat {
            out.push(
                Diagnostic::warning(
                    codes::W0901,
                    if rhat.is_nan() {
                        format!("R-hat of `{name}` in the model of `{}` could not be computed (constant or too few draws)", outcome.name)
                    } else {
                        format!("R-hat of `{name}` in the model of `{}` is {} (above {RHAT_MAX})", outcome.name, fmt_stat(*rhat, 3))
                    },
                )
                .with_primary(p.span, format!("the chains disagree about `{}`", p.name))
                .with_note("R-hat compares the chains with each other; above 1.01 they have not converged to the same distribution")
                .with_help(more_draws.clone()),
            );
        }
        let worst_ess = elements
            .iter()
            .filter(|(_, _, e)| e.is_nan() || *e < ESS_BULK_MIN)
            // NaN (not computable) counts as the worst.
            .min_by(|a, b| {
                let key = |v: f64| if v.is_nan() { f64::NEG_INFINITY } else { v };
                key(a.2).total_cmp(&key(b.2))
            });
        if let Some((name, _, ess)) = worst_ess {
            out.push(
                Diagnostic::warning(
                    codes::W0902,
                    if ess.is_nan() {
                        format!("bulk-ESS of `{name}` in the model of `{}` could not be computed (constant or too few draws)", outcome.name)
                    } else {
                        format!("bulk-ESS of `{name}` in the model of `{}` is {} (below {ESS_BULK_MIN:.0})", outcome.name, fmt_stat(*ess, 0))
                    },
                )
                .with_primary(p.span, format!("too few effective draws of `{}`", p.name))
                .with_note(if ess.is_nan() {
                    "without an effective sample size the MCSEs and the probabilities near a threshold are unknown".to_string()
                } else {
                    format!(
                        "{} draws in total are worth about {} independent ones; MCSEs and probabilities near a threshold are unreliable",
                        post.num_chains * post.num_draws,
                        fmt_stat(*ess, 0)
                    )
                })
                .with_help(more_draws.clone()),
            );
        }
    }
    let span = model_span(spec, lowered.outcome).unwrap_or(outcome.span);
    let per_chain = |f: &dyn Fn(usize) -> Option<String>| -> Vec<String> {
        (0..post.health.len()).filter_map(f).collect()
    };
    let divergences: usize = post.health.iter().map(|h| h.divergences).sum();
    if divergences > 0 {
        let mut d = Diagnostic::warning(
            codes::W0903,
            format!(
                "{divergences} divergent transition{} in the fit of `{}`",
                if divergences == 1 { "" } else { "s" },
                outcome.name
            ),
        )
        .with_primary(span, "the sampler could not follow this model's posterior everywhere")
        .with_help("divergences bias the posterior; look for weakly identified parameters (tight or vague priors, few days per arm) and read the trace plots");
        for note in per_chain(&|c| {
            let h = post.health.get(c)?;
            (h.divergences > 0).then(|| {
                format!(
                    "chain {}: {} of {} draws divergent",
                    c + 1,
                    h.divergences,
                    post.num_draws
                )
            })
        }) {
            d = d.with_note(note);
        }
        out.push(d);
    }
    let hits: usize = post.health.iter().map(|h| h.max_treedepth_hits).sum();
    if hits > 0 {
        let mut d = Diagnostic::warning(
            codes::W0904,
            format!("{hits} transition{} hit the maximum tree depth {} in the fit of `{}`", if hits == 1 { "" } else { "s" }, settings.max_depth, outcome.name),
        )
        .with_primary(span, "trajectories were cut short in this model")
        .with_help("this is an efficiency problem: the sampler explores slowly; check for strongly correlated or badly scaled parameters");
        for note in per_chain(&|c| {
            let h = post.health.get(c)?;
            (h.max_treedepth_hits > 0).then(|| {
                format!(
                    "chain {}: {} of {} draws",
                    c + 1,
                    h.max_treedepth_hits,
                    post.num_draws
                )
            })
        }) {
            d = d.with_note(note);
        }
        out.push(d);
    }
    let low: Vec<String> = per_chain(&|c| {
        let h = post.health.get(c)?;
        (h.e_bfmi < E_BFMI_MIN)
            .then(|| format!("chain {}: E-BFMI {}", c + 1, fmt_stat(h.e_bfmi, 2)))
    });
    if !low.is_empty() {
        let mut d = Diagnostic::warning(
            codes::W0905,
            format!("E-BFMI below {E_BFMI_MIN} in {} chain{} of the fit of `{}`", low.len(), if low.len() == 1 { "" } else { "s" }, outcome.name),
        )
        .with_primary(span, "the sampler's momentum resampling explores this posterior poorly")
        .with_help("low E-BFMI points to heavy tails or a funnel; consider more informative priors for scale parameters");
        for note in low {
            d = d.with_note(note);
        }
        out.push(d);
    }
    out
}

/// A diagnostic statistic with `digits` decimals; `NaN` stays readable.
pub(crate) fn fmt_stat(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else if v.is_nan() {
        "NaN".into()
    } else if v > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}
