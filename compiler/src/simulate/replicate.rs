//! One replicate: generate the trial, then analyse it as `trialc run`
//! would, at each interim look of a `stop early … after N periods` rule and
//! at the end, and keep what the summary needs ([`Record`]).
//!
//! **Interim looks.** The looks are the distinct `after N` of the
//! stop-early rules (N below the design's number of periods), in order. At
//! look N the diary up to the last day of period N is lowered, the
//! outcomes that the stop-early rules due by then read are fitted, and
//! those rules are evaluated. If one fires the trial stops: the other
//! outcomes are fitted on the same diary and that analysis is the trial's
//! final one. Otherwise the trial goes on to the next look, and to the end
//! (or to the participant's dropout). A look the diary does not reach, or
//! whose diary cannot be analysed (an arm with fewer than 2 analysed days),
//! stops nothing.
//!
//! **The analysis** is the library's: `lower::lower`, `fit::fit_model`
//! per outcome with its own seed, `analysis::analyse` (rules, conclusion,
//! effects, convergence). The sensitivity refit of `trialc run` is left
//! out: it changes no rule's verdict (W0809 only warns).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use trialc_runtime::posterior::{Method, Posterior};

use super::generate::{generate, truncated};
use super::plan::Plan;
use crate::analysis::{self, decide};
use crate::data::Diary;
use crate::fit::{self, derive_seed, RunSettings};
use crate::hir::{self, Estimate, Rule, RuleKind};
use crate::hypotheses::HypothesesFile;
use crate::lower::{self, LoweredOutcome};
use crate::schedule::Schedule;

type Fits = Vec<(LoweredOutcome, Posterior)>;

/// Domain of a replicate's seed.
pub const REPLICATE_DOMAIN: &[u8] = b"trialc/simulate/replicate/v1";
/// Domain of the seeds of the fits at an interim look.
pub const INTERIM_DOMAIN: &[u8] = b"trialc/simulate/interim/v1";

/// The seed of replicate `r` of `scenario` under `design`: the first 8
/// bytes (little-endian) of SHA-256(`trialc/simulate/replicate/v1` ‖ seed ‖
/// len(design) ‖ design ‖ len(scenario) ‖ scenario ‖ r), numbers as 8
/// little-endian bytes. Every stream of the replicate derives from it, so
/// a replicate is the same whatever else runs, on any thread or shard.
pub fn replicate_seed(seed: u64, design: &str, scenario: &str, replicate: u64) -> u64 {
    let mut h = Sha256::new();
    h.update(REPLICATE_DOMAIN);
    h.update(seed.to_le_bytes());
    h.update((design.len() as u64).to_le_bytes());
    h.update(design.as_bytes());
    h.update((scenario.len() as u64).to_le_bytes());
    h.update(scenario.as_bytes());
    h.update(replicate.to_le_bytes());
    let digest: [u8; 32] = h.finalize().into();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// An f64 kept as its bits, so that a record survives JSON exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exact(pub f64);

impl Serialize for Exact {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0.to_bits())
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u64::deserialize(d).map(|bits| Exact(f64::from_bits(bits)))
    }
}

/// One effect's estimate in one replicate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EffectRecord {
    pub truth: Exact,
    /// The report's point estimate (`estimate mean` or `median`).
    pub estimate: Exact,
    /// The central interval at the report's `interval`.
    pub lower: Exact,
    pub upper: Exact,
}

/// What one replicate found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The task's number (design-major, then scenario, then replicate).
    pub task: u64,
    /// A final analysis ran (the diary could be lowered).
    pub analysed: bool,
    /// The look (its N periods) at which a stop-early rule stopped the trial.
    pub stopped_after: Option<u64>,
    /// Periods complete and the last diary day at the end.
    pub periods: u64,
    pub days: u64,
    /// Whether each `when` rule fired in the final analysis.
    pub fires: Vec<bool>,
    /// The arm the conclusion recommends.
    pub recommended: Option<usize>,
    /// One per effect of the header, `None` when not estimated.
    pub effects: Vec<Option<EffectRecord>>,
    /// Fits that failed (the rules on them could not be evaluated).
    pub failed_fits: u32,
    /// Some fit raised a convergence warning (W0901-W0905).
    pub convergence_warnings: bool,
    /// Per outcome: values outside the declared range, values recorded.
    pub outside: Vec<[u32; 2]>,
    /// Why the replicate could not be generated, if it could not.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// What every replicate of a run shares.
pub struct Context<'a> {
    pub plan: &'a Plan,
    pub hypotheses: &'a Vec<(String, HypothesesFile)>,
    /// The outcome models of each design, lowered once (their parameters
    /// and priors).
    pub templates: &'a [Vec<LoweredOutcome>],
}

/// Runs task `task` of the plan.
pub fn run(cx: &Context<'_>, task: u64) -> Record {
    let plan = cx.plan;
    let header = &plan.header;
    let (d, s, r) = plan.task(task);
    let spec = &plan.specs[d];
    let design = &header.designs[d];
    let scenario = &plan.scenarios[s];
    let settings = &plan.settings;
    let seed = replicate_seed(header.seed, &design.label, &scenario.name, r);
    let mut record = Record {
        task,
        analysed: false,
        stopped_after: None,
        periods: 0,
        days: 0,
        fires: vec![false; header.rules.len()],
        recommended: None,
        effects: vec![None; header.effects.len()],
        failed_fits: 0,
        convergence_warnings: false,
        outside: vec![[0, 0]; header.outcomes.len()],
        error: None,
    };
    let generated = match generate(spec, &cx.templates[d], scenario, seed) {
        Ok(g) => g,
        Err(e) => {
            record.error = Some(e);
            return record;
        }
    };
    record.outside = generated.outside.clone();
    let schedule = &generated.schedule;
    let diary = &generated.diary;
    let last = diary.rows.last().map_or(0, |row| row.day);

    // Interim looks.
    let mut terminal: Option<(Diary, Fits, u64)> = None;
    for (look, &n) in design.looks.iter().enumerate() {
        let Some(end) = usize::try_from(n)
            .ok()
            .and_then(|i| schedule.periods.get(i.wrapping_sub(1)))
            .map(|p| p.last_day)
        else {
            continue;
        };
        if last < end {
            break;
        }
        let interim = truncated(diary, end);
        let Ok(lowered) = lower::lower(spec, schedule, &interim, cx.hypotheses) else {
            continue;
        };
        let due = stop_outcomes(spec, n);
        let interim_seed =
            |j: usize| derive_seed(INTERIM_DOMAIN, seed, ((look as u64) << 32) | j as u64);
        let mut fits = Vec::new();
        for l in lowered.iter().filter(|l| due.contains(&l.outcome)) {
            fit_into(l, settings, interim_seed(l.outcome), &mut fits, &mut record);
        }
        let complete = analysis::periods_complete(schedule, &interim);
        let rules = decide::evaluate_rules(spec, &fits, complete);
        if rules.iter().any(|r| r.kind == "stop early" && r.fires) {
            for l in lowered.iter().filter(|l| !due.contains(&l.outcome)) {
                fit_into(l, settings, interim_seed(l.outcome), &mut fits, &mut record);
            }
            terminal = Some((interim, fits, n));
            break;
        }
    }
    let (final_diary, fits, stopped) = match terminal {
        Some((diary, fits, n)) => (diary, fits, Some(n)),
        None => {
            let Ok(lowered) = lower::lower(spec, schedule, diary, cx.hypotheses) else {
                record.periods = analysis::periods_complete(schedule, diary);
                record.days = last;
                return record;
            };
            let mut fits = Vec::new();
            for l in &lowered {
                fit_into(
                    l,
                    settings,
                    fit::outcome_seed(seed, l.outcome),
                    &mut fits,
                    &mut record,
                );
            }
            (diary.clone(), fits, None)
        }
    };
    finish(
        &mut record,
        spec,
        schedule,
        &final_diary,
        &fits,
        settings,
        &generated.truths,
        header,
    );
    record.stopped_after = stopped;
    record
}

/// Fits one lowered outcome; a failure is counted, the fit left out.
fn fit_into(
    lowered: &LoweredOutcome,
    settings: &RunSettings,
    seed: u64,
    fits: &mut Vec<(LoweredOutcome, Posterior)>,
    record: &mut Record,
) {
    match fit::fit_model(lowered.model.clone(), settings, seed, None) {
        Ok(post) => {
            if post.method == Method::Nuts && !post.warnings.is_empty() {
                record.convergence_warnings = true;
            }
            fits.push((lowered.clone(), post));
        }
        Err(_) => record.failed_fits += 1,
    }
}

/// The outcomes read by the stop-early rules due after `n` periods.
fn stop_outcomes(spec: &hir::Spec, n: u64) -> BTreeSet<usize> {
    spec.rules
        .iter()
        .filter_map(|r| match r {
            Rule::When {
                kind:
                    RuleKind::StopEarly {
                        after_periods: Some(after),
                    },
                conditions,
                ..
            } if *after <= n => Some(conditions),
            _ => None,
        })
        .flatten()
        .map(|c| c.statement.quantity.outcome)
        .collect()
}

/// The final analysis, as `trialc run` analyses the diary.
#[allow(clippy::too_many_arguments)]
fn finish(
    record: &mut Record,
    spec: &hir::Spec,
    schedule: &Schedule,
    diary: &Diary,
    fits: &[(LoweredOutcome, Posterior)],
    settings: &RunSettings,
    truths: &[super::generate::OutcomeTruth],
    header: &super::plan::Header,
) {
    let analysis = analysis::analyse(spec, schedule, diary, fits, settings);
    record.analysed = true;
    record.periods = analysis.periods_complete;
    record.days = diary.rows.last().map_or(0, |r| r.day);
    record.convergence_warnings |= analysis::convergence::any_problem(&analysis.diagnostics);
    for (fires, rule) in record.fires.iter_mut().zip(&analysis.rules) {
        *fires = rule.fires;
    }
    record.recommended = analysis
        .conclusion
        .arm
        .as_ref()
        .and_then(|name| spec.arms.iter().position(|a| &a.name == name));
    for (slot, effect) in record.effects.iter_mut().zip(&header.effects) {
        let Some(findings) = analysis
            .outcomes
            .iter()
            .find(|o| o.outcome == effect.outcome)
        else {
            continue;
        };
        let arm = spec.arms.get(effect.arm).map(|a| a.name.as_str());
        let Some(report) = findings
            .effects
            .iter()
            .find(|e| Some(e.arm.as_str()) == arm)
        else {
            continue;
        };
        let truth = truths
            .get(effect.outcome)
            .and_then(|t| t.effects.get(effect.arm))
            .copied()
            .unwrap_or(0.0);
        let e = &report.effect;
        *slot = Some(EffectRecord {
            truth: Exact(truth),
            estimate: Exact(match spec.report.estimate {
                Estimate::Mean => e.mean,
                Estimate::Median => e.median,
            }),
            lower: Exact(e.lower),
            upper: Exact(e.upper),
        });
    }
}
