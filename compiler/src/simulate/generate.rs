//! One simulated trial's data: the schedule as the randomization draws it,
//! the true parameter values of the scenario (set, or drawn from the
//! priors), and the diary the participant keeps, generated from the model
//! of `docs/model.md` with the runtime's `mir::simulate`.
//!
//! **The data-generating process.** For outcome j and a scheduled
//! measurement day d, the linear predictor is
//!
//! ```text
//! eta_d = alpha + delta[a(d)] + beta (d - c) / L + gamma_k [previous period on k, a(d) != k]
//! ```
//!
//! where a(d) is the arm acting that day: nothing in the run-in (the
//! reference level), the previous period's arm during a washout (the
//! treatment is still acting, which is why those days are not analysed),
//! and on treatment days the scheduled arm, or nothing on a day the
//! participant does not take it (`adherence`). c is the middle of the
//! scheduled treatment days (so alpha is the reference level mid-trial, as
//! in the analysis) and L the trend's `per`. The observations are drawn
//! from the outcome's family with these eta; an AR(1) runs through every
//! trial day, observed on the measurement days (exact across gaps). Then
//! each value goes missing with probability `missing`, and in each period
//! the participant drops out with probability `dropout` at a uniformly
//! drawn day, the diary ending the day before.
//!
//! Continuous values are not clipped to the outcome's declared range: the
//! model does not know the range, and the share of values outside it is
//! reported (a prior or scenario that puts much data outside the scale is
//! worth knowing about).

use trialc_runtime::mir::simulate::{draw_observations, draw_prior, Observation};
use trialc_runtime::mir::{Family, Prior};
use trialc_runtime::rng::ChainRng;

use super::plan::{ScenarioPlan, Truth};
use crate::data::{ArmDeviation, ArmRecord, Diary, DiaryRow};
use crate::fit::derive_seed;
use crate::hir::simulate::TrueParameter;
use crate::hir::{self, OutcomeType};
use crate::lower::{LoweredOutcome, Role};
use crate::schedule::{self, Phase, Schedule};

/// Domain of the schedule seed of a replicate.
pub const SCHEDULE_DOMAIN: &[u8] = b"trialc/simulate/schedule/v1";

/// Streams of a replicate's ChaCha20 key: per outcome j, its true values,
/// its noise and its missing values; the participant's dropout and
/// adherence on one more.
const TRUTH_STREAM: u64 = 0;
const NOISE_STREAM: u64 = 1;
const MISSING_STREAM: u64 = 2;
const STREAMS_PER_OUTCOME: u64 = 8;
const PARTICIPANT_STREAM: u64 = 1 << 32;

/// The true values of one outcome's parameters in one replicate.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeTruth {
    pub intercept: f64,
    /// The effect of each arm (0 for the reference).
    pub effects: Vec<f64>,
    /// Per `per_days` days.
    pub trend: f64,
    pub per_days: u64,
    /// The carryover of each arm into the next period.
    pub carryover: Vec<f64>,
    pub observation: Observation,
}

/// One simulated trial.
#[derive(Debug, Clone)]
pub struct Generated {
    pub schedule: Schedule,
    pub diary: Diary,
    /// One per outcome, in spec order.
    pub truths: Vec<OutcomeTruth>,
    /// Per outcome: values outside the declared range, and values recorded.
    pub outside: Vec<[u32; 2]>,
}

/// The schedule of a replicate: the design's, drawn with the replicate's
/// own seed exactly as the randomization draws a schedule.
pub fn schedule_of(spec: &hir::Spec, replicate_seed: u64) -> Result<Schedule, String> {
    let mut s = spec.schedule_spec();
    s.seed = derive_seed(SCHEDULE_DOMAIN, replicate_seed, 0);
    schedule::build(&s).map_err(|e| e.to_string())
}

/// Generates one trial of `scenario` under `spec` (one design), with the
/// parameters and priors of `template` (the outcome models lowered once
/// per design), from the streams of `replicate_seed`.
pub fn generate(
    spec: &hir::Spec,
    template: &[LoweredOutcome],
    scenario: &ScenarioPlan,
    replicate_seed: u64,
) -> Result<Generated, String> {
    let schedule = schedule_of(spec, replicate_seed)?;
    let n_arms = spec.arms.len();
    let last = schedule.total_days;

    // The participant: days the scheduled arm is taken, and dropout.
    let mut rng = ChainRng::new(replicate_seed, PARTICIPANT_STREAM);
    let mut taken = vec![true; usize::try_from(last + 1).unwrap_or(0)];
    let mut last_day = last;
    for p in &schedule.periods {
        if scenario.dropout > 0.0 && rng.uniform() < scenario.dropout {
            let length = p.last_day - p.first_day + 1;
            let offset = (rng.uniform() * length as f64).floor() as u64;
            last_day = p.first_day + offset.min(length - 1) - 1;
            break;
        }
    }
    if scenario.adherence < 1.0 {
        for day in 1..=last_day {
            if schedule.phase_on_day(day) == Some(Phase::Treatment) {
                let u = rng.uniform();
                if let Some(t) = taken.get_mut(day as usize) {
                    *t = u < scenario.adherence;
                }
            }
        }
    }
    let acting = |day: u64| -> Option<usize> {
        let period = schedule.period_of_day(day)?;
        match schedule.phase_on_day(day)? {
            Phase::RunIn => None,
            Phase::Washout => period
                .number
                .checked_sub(2)
                .and_then(|i| schedule.periods.get(i as usize))
                .map(|p| p.arm),
            Phase::Treatment => taken
                .get(day as usize)
                .copied()
                .unwrap_or(true)
                .then_some(period.arm),
        }
    };
    let previous_arm = |day: u64| -> Option<usize> {
        schedule
            .period_of_day(day)
            .and_then(|p| p.number.checked_sub(2))
            .and_then(|i| schedule.periods.get(i as usize))
            .map(|p| p.arm)
    };

    let n_outcomes = spec.outcomes.len();
    let mut values: Vec<Vec<Option<f64>>> =
        vec![vec![None; n_outcomes]; usize::try_from(last_day).unwrap_or(0)];
    let mut truths = Vec::with_capacity(n_outcomes);
    let mut outside = vec![[0u32; 2]; n_outcomes];
    for (j, outcome) in spec.outcomes.iter().enumerate() {
        let lowered = template
            .iter()
            .find(|l| l.outcome == j)
            .ok_or_else(|| format!("outcome `{}` has no model", outcome.name))?;
        let base = j as u64 * STREAMS_PER_OUTCOME;
        let mut truth_rng = ChainRng::new(replicate_seed, base + TRUTH_STREAM);
        let truth = outcome_truth(lowered, scenario, j, n_arms, &mut truth_rng)
            .map_err(|e| format!("outcome `{}`: {e}", outcome.name))?;
        let plan = schedule.outcomes.get(j).map_or(&[][..], |p| &p.days[..]);
        // The trend's centre: the middle of the scheduled treatment days.
        let treatment: Vec<u64> = plan
            .iter()
            .copied()
            .filter(|&d| schedule.phase_on_day(d) == Some(Phase::Treatment))
            .collect();
        let centre = if treatment.is_empty() {
            0.0
        } else {
            treatment.iter().map(|&d| d as f64).sum::<f64>() / treatment.len() as f64
        };
        let days: Vec<u64> = plan.iter().copied().filter(|&d| d <= last_day).collect();
        let eta: Vec<f64> = days
            .iter()
            .map(|&d| {
                let arm = acting(d);
                let mut eta = truth.intercept
                    + arm.map_or(0.0, |a| truth.effects.get(a).copied().unwrap_or(0.0))
                    + truth.trend * (d as f64 - centre) / truth.per_days.max(1) as f64;
                if schedule.phase_on_day(d) == Some(Phase::Treatment) {
                    if let Some(k) = previous_arm(d).filter(|&k| arm != Some(k)) {
                        eta += truth.carryover.get(k).copied().unwrap_or(0.0);
                    }
                }
                eta
            })
            .collect();
        let trial_days: Vec<i64> = days
            .iter()
            .map(|&d| i64::try_from(d).unwrap_or(i64::MAX))
            .collect();
        let mut noise = ChainRng::new(replicate_seed, base + NOISE_STREAM);
        let y = draw_observations(&truth.observation, &eta, &trial_days, &mut noise)
            .map_err(|e| format!("outcome `{}`: {e}", outcome.name))?;
        let mut missing = ChainRng::new(replicate_seed, base + MISSING_STREAM);
        let bounds = match outcome.kind {
            OutcomeType::Continuous { bounds } => bounds,
            _ => None,
        };
        for (&d, v) in days.iter().zip(y) {
            if scenario.missing > 0.0 && missing.uniform() < scenario.missing {
                continue;
            }
            let value = match outcome.kind {
                OutcomeType::Ordinal { low, .. } => v + low as f64 - 1.0,
                _ => v,
            };
            if let Some((lo, hi)) = bounds {
                outside[j][1] += 1;
                if value < lo || value > hi {
                    outside[j][0] += 1;
                }
            }
            if let Some(row) = values.get_mut(d as usize - 1) {
                row[j] = Some(value);
            }
        }
        truths.push(truth);
    }

    let recorded_misses = scenario.adherence < 1.0 && scenario.adherence_recorded;
    let mut rows = Vec::with_capacity(values.len());
    let mut deviations = Vec::new();
    for (i, row) in values.into_iter().enumerate() {
        let day = i as u64 + 1;
        let missed = recorded_misses
            && schedule.phase_on_day(day) == Some(Phase::Treatment)
            && !taken.get(day as usize).copied().unwrap_or(true);
        if missed {
            deviations.push(ArmDeviation {
                day,
                scheduled: schedule.arm_on_day(day),
                taken: None,
            });
        }
        rows.push(DiaryRow {
            day,
            line: day + 1,
            values: row,
            arm: if missed {
                ArmRecord::NoArm
            } else {
                ArmRecord::NotRecorded
            },
            extra: Vec::new(),
            span: crate::diagnostic::Span::new(0, 0),
        });
    }
    let diary = Diary {
        outcomes: spec.outcomes.iter().map(|o| o.name.clone()).collect(),
        rows,
        has_arm_column: recorded_misses,
        deviations,
        columns: Vec::new(),
        file: None,
    };
    Ok(Generated {
        schedule,
        diary,
        truths,
        outside,
    })
}

/// The diary up to and including `day` (an interim look).
pub fn truncated(diary: &Diary, day: u64) -> Diary {
    Diary {
        outcomes: diary.outcomes.clone(),
        rows: diary
            .rows
            .iter()
            .filter(|r| r.day <= day)
            .cloned()
            .collect(),
        has_arm_column: diary.has_arm_column,
        deviations: diary
            .deviations
            .iter()
            .filter(|d| d.day <= day)
            .copied()
            .collect(),
        columns: diary.columns.clone(),
        file: diary.file,
    }
}

/// The true values of one outcome's parameters: the scenario's where it
/// sets them; otherwise effects and carryover 0 and every other parameter
/// drawn from its prior (as lowering gives it to the runtime, narrowed to
/// the parameter's support).
fn outcome_truth(
    lowered: &LoweredOutcome,
    scenario: &ScenarioPlan,
    outcome: usize,
    n_arms: usize,
    rng: &mut ChainRng,
) -> Result<OutcomeTruth, String> {
    let model = &lowered.model;
    let mut t = OutcomeTruth {
        intercept: 0.0,
        effects: vec![0.0; n_arms],
        trend: 0.0,
        per_days: lowered.per_days.unwrap_or(1),
        carryover: vec![0.0; n_arms],
        observation: Observation::Bernoulli,
    };
    // Values of the model's parameters by parameter id, constrained.
    let mut theta: Vec<Vec<f64>> = vec![Vec::new(); model.params.len()];
    for info in &lowered.params {
        let Some(param) = model.params.get(info.id) else {
            continue;
        };
        let target = match info.role {
            Role::Intercept => TrueParameter::Intercept,
            Role::Effect { arm } => TrueParameter::Effect { arm },
            Role::Trend => TrueParameter::Trend,
            Role::Sigma => TrueParameter::Sigma,
            Role::Phi => TrueParameter::Phi,
            Role::Dispersion => TrueParameter::Dispersion,
            Role::Cutpoints => TrueParameter::Cutpoints,
            Role::Carryover { arm } => TrueParameter::Carryover { arm },
            // Issue 12's terms: `plan` refuses models that have them.
            _ => continue,
        };
        let default = match info.role {
            Role::Effect { .. } | Role::Carryover { .. } => Truth::Number(0.0),
            _ => Truth::Prior,
        };
        let truth = scenario.truth(outcome, target).unwrap_or(&default);
        let value = match truth {
            Truth::Number(x) => vec![*x],
            Truth::Vector(v) => v.clone(),
            Truth::Prior => {
                let prior = model
                    .priors
                    .iter()
                    .find(|p| p.param == info.id)
                    .map(|p| &p.prior)
                    .ok_or_else(|| format!("`{}` has no prior", info.name))?;
                let mut v = draw_prior(prior, param.size, param.transform.support(), rng)
                    .map_err(|e| format!("`{}`: {e}", info.name))?;
                if param.transform.is_ordered() && !matches!(prior, Prior::InducedDirichlet { .. })
                {
                    // Element-wise priors on an ordered vector: the order
                    // statistics of the draws.
                    v.sort_by(f64::total_cmp);
                }
                v
            }
        };
        if value.len() != param.size {
            return Err(format!(
                "`{}` has {} elements, the scenario gives {}",
                info.name,
                param.size,
                value.len()
            ));
        }
        match info.role {
            Role::Intercept => t.intercept = value[0],
            Role::Effect { arm } => {
                if let Some(e) = t.effects.get_mut(arm) {
                    *e = value[0];
                }
            }
            Role::Trend => t.trend = value[0],
            Role::Carryover { arm } => {
                if let Some(c) = t.carryover.get_mut(arm) {
                    *c = value[0];
                }
            }
            _ => {}
        }
        theta[info.id] = value;
    }
    // Carryover a scenario sets for an arm the model has no term for.
    for (o, p, truth) in &scenario.truths {
        if let (true, TrueParameter::Carryover { arm }, Truth::Number(x)) =
            (*o == outcome, p, truth)
        {
            if lowered
                .params
                .iter()
                .all(|i| i.role != Role::Carryover { arm: *arm })
            {
                if let Some(c) = t.carryover.get_mut(*arm) {
                    *c = *x;
                }
            }
        }
    }
    let scalar = |id: usize| {
        theta
            .get(id)
            .and_then(|v| v.first())
            .copied()
            .unwrap_or(f64::NAN)
    };
    let family = model
        .likelihoods
        .first()
        .map(|l| l.family.clone())
        .ok_or("the model has no likelihood")?;
    t.observation = match family {
        Family::Normal { sigma } => Observation::Normal {
            sigma: scalar(sigma),
        },
        Family::NormalAr1 { sigma, phi } => Observation::NormalAr1 {
            sigma: scalar(sigma),
            phi: scalar(phi),
        },
        Family::BernoulliLogit => Observation::Bernoulli,
        Family::PoissonLog => Observation::Poisson,
        Family::NegBinomial2Log { psi } => Observation::NegBinomial2 { psi: scalar(psi) },
        Family::OrderedLogistic { cutpoints } => Observation::OrderedLogistic {
            cutpoints: theta.get(cutpoints).cloned().unwrap_or_default(),
        },
        // `plan` refuses binomial outcomes (their trials per day are not
        // generated yet).
        Family::BinomialLogit { .. } => {
            return Err("binomial outcomes are not simulated yet".into())
        }
    };
    Ok(t)
}
