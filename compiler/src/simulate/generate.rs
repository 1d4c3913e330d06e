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
//! scheduled days the analysis analyses (so alpha is the reference level
//! mid-trial, as in the analysis) and L the trend's `per`. The terms of
//! issue 12 the spec says enough to generate:
//!
//! - **`carryover decay(rate)`** (rate lambda): the participant is on the
//!   period's arm from its first day (washout days included, and adherence
//!   applies to them), and on the s-th day (s = 1, 2, …) of a period that
//!   follows a period on another arm k the arm effect is
//!   `w delta[k] + (1 - w) delta[a(d)]`, w = exp(-lambda s): exactly the
//!   term the analysis fits on those days, washout days included
//!   (`docs/model.md` 3.1).
//! - **`errors ar1` on a binary, binomial or count outcome**: a stationary
//!   latent AR(1) x (innovation SD sigma, correlation phi per day) runs
//!   through every trial day and is observed on the measurement days
//!   (exact across gaps: x_i = phi^g x_{i-1} + sigma sqrt((1 - phi^(2g)) /
//!   (1 - phi^2)) z_i); eta_d + x_d is the observation's linear predictor.
//! - **`lag`** (rho, continuous outcomes): values are generated in time
//!   order, each recorded value adding `rho^g (y_prev - ybar_prev)` with
//!   y_prev the previous recorded value of the outcome (any phase), g the
//!   days since it, and ybar_prev the mean of y_prev over the values the
//!   analysis analyses, the centre the analysis uses. Every value is
//!   linear in that centre, so it is solved for exactly: the analysed
//!   values then follow the analysis' model term for term, whatever the
//!   gaps (missing values, weekly measurements).
//! - **binomial outcomes with a constant number of trials** (`binomial of
//!   N`): N trials every day.
//!
//! The observations are drawn from the outcome's family with these eta;
//! AR(1) errors of a continuous outcome run through every trial day,
//! observed on the measurement days (exact across gaps). Then each value
//! goes missing with probability `missing`, and in each period the
//! participant drops out with probability `dropout` at a uniformly drawn
//! day, the diary ending the day before. (Which values go missing is drawn
//! before the values, from a stream of its own: a lagged outcome needs to
//! know which values are recorded.)
//!
//! Not generated (`plan` refuses them, E1106): covariates, a clock and
//! a binomial outcome's trials from a diary column are diary columns whose
//! values the spec does not give.
//!
//! Continuous values are not clipped to the outcome's declared range: the
//! model does not know the range, and the share of values outside it is
//! reported (a prior or scenario that puts much data outside the scale is
//! worth knowing about).

use trialc_runtime::mir::simulate::{ar1_residuals, draw_observations, draw_prior, Observation};
use trialc_runtime::mir::{Family, Prior};
use trialc_runtime::rng::ChainRng;

use super::plan::{ScenarioPlan, Truth};
use crate::data::{ArmDeviation, ArmRecord, Diary, DiaryRow};
use crate::fit::derive_seed;
use crate::hir::simulate::TrueParameter;
use crate::hir::{self, OutcomeType};
use crate::lower::{self, LoweredOutcome, Role};
use crate::schedule::{self, Phase, Schedule};

/// Domain of the schedule seed of a replicate.
pub const SCHEDULE_DOMAIN: &[u8] = b"trialc/simulate/schedule/v1";

/// Streams of a replicate's ChaCha20 key: per outcome j, its true values,
/// its noise, its missing values and its latent AR(1) process; the
/// participant's dropout and adherence on one more.
const TRUTH_STREAM: u64 = 0;
const NOISE_STREAM: u64 = 1;
const MISSING_STREAM: u64 = 2;
const LATENT_STREAM: u64 = 3;
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
    /// rho of the lagged outcome, when the model has one.
    pub lag: Option<f64>,
    /// The centre of the lagged values, ybar_prev, as the generated diary
    /// realises it (the mean previous value over the analysed values).
    pub lag_centre: Option<f64>,
    /// The rate per day of a decaying carryover, when the model has one.
    pub carryover_rate: Option<f64>,
    /// The latent AR(1) process of a binary, binomial or count outcome.
    pub latent: Option<LatentTruth>,
}

/// sigma and phi of a latent AR(1) process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatentTruth {
    pub sigma: f64,
    pub phi: f64,
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
    // With a decaying carryover the participant is on the new arm from the
    // first day of a period (its washout days are analysed), so adherence
    // applies to washout days too; otherwise to treatment days only.
    let decaying = spec.models.iter().any(|m| m.carryover_decay.is_some());
    let dosed = |day: u64| match schedule.phase_on_day(day) {
        Some(Phase::Treatment) => true,
        Some(Phase::Washout) => decaying,
        _ => false,
    };

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
            if dosed(day) {
                let u = rng.uniform();
                if let Some(t) = taken.get_mut(day as usize) {
                    *t = u < scenario.adherence;
                }
            }
        }
    }
    let taken_on = |day: u64| taken.get(day as usize).copied().unwrap_or(true);
    let previous_arm = |day: u64| -> Option<usize> {
        schedule
            .period_of_day(day)
            .and_then(|p| p.number.checked_sub(2))
            .and_then(|i| schedule.periods.get(i as usize))
            .map(|p| p.arm)
    };
    // The arm acting on `day`: in a washout the previous period's (the
    // days are not analysed); with a decaying carryover the period's own
    // from its first day (the previous arm's fading effect is a term of
    // its own).
    let acting = |day: u64, decay: bool| -> Option<usize> {
        let period = schedule.period_of_day(day)?;
        match schedule.phase_on_day(day)? {
            Phase::RunIn => None,
            Phase::Washout if !decay => previous_arm(day),
            Phase::Washout | Phase::Treatment => taken_on(day).then_some(period.arm),
        }
    };
    // The diary's `arm` column: `none` on the dosed days the arm was not
    // taken, when misses are recorded.
    let recorded_misses = scenario.adherence < 1.0 && scenario.adherence_recorded;
    let missed = |day: u64| recorded_misses && dosed(day) && !taken_on(day);
    let arm_record = |day: u64| {
        if missed(day) {
            ArmRecord::NoArm
        } else {
            ArmRecord::NotRecorded
        }
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
        let mut truth = outcome_truth(lowered, scenario, j, n_arms, &mut truth_rng)
            .map_err(|e| format!("outcome `{}`: {e}", outcome.name))?;
        let decay = truth.carryover_rate;
        let plan = schedule.outcomes.get(j).map_or(&[][..], |p| &p.days[..]);
        // The trend's centre: the middle of the scheduled days the analysis
        // analyses (treatment days; washout days too with a decaying
        // carryover).
        let analysed_phase = |d: u64| match schedule.phase_on_day(d) {
            Some(Phase::Treatment) => true,
            Some(Phase::Washout) => decay.is_some(),
            _ => false,
        };
        let analysed: Vec<u64> = plan
            .iter()
            .copied()
            .filter(|&d| analysed_phase(d))
            .collect();
        let centre = if analysed.is_empty() {
            0.0
        } else {
            analysed.iter().map(|&d| d as f64).sum::<f64>() / analysed.len() as f64
        };
        let days: Vec<u64> = plan.iter().copied().filter(|&d| d <= last_day).collect();
        let effect =
            |arm: Option<usize>| arm.map_or(0.0, |a| truth.effects.get(a).copied().unwrap_or(0.0));
        let eta: Vec<f64> = days
            .iter()
            .map(|&d| {
                let arm = acting(d, decay.is_some());
                let mut eta = truth.intercept
                    + effect(arm)
                    + truth.trend * (d as f64 - centre) / truth.per_days.max(1) as f64;
                match decay {
                    None => {
                        if schedule.phase_on_day(d) == Some(Phase::Treatment) {
                            if let Some(k) = previous_arm(d).filter(|&k| arm != Some(k)) {
                                eta += truth.carryover.get(k).copied().unwrap_or(0.0);
                            }
                        }
                    }
                    Some(rate) => {
                        if let (Some(period), Some(k)) =
                            (schedule.period_of_day(d), previous_arm(d))
                        {
                            if k != period.arm {
                                // The s-th day after the switch: the
                                // previous arm's effect fading.
                                let s = (d + 1 - period.first_day) as f64;
                                eta += (-rate * s).exp() * (effect(Some(k)) - effect(arm));
                            }
                            if arm != Some(k) {
                                eta += truth.carryover.get(k).copied().unwrap_or(0.0);
                            }
                        }
                    }
                }
                eta
            })
            .collect();
        let trial_days: Vec<i64> = days
            .iter()
            .map(|&d| i64::try_from(d).unwrap_or(i64::MAX))
            .collect();
        let eta = match truth.latent {
            None => eta,
            Some(LatentTruth { sigma, phi }) => {
                let mut latent = ChainRng::new(replicate_seed, base + LATENT_STREAM);
                let x = ar1_residuals(sigma, phi, &trial_days, &mut latent)
                    .map_err(|e| format!("outcome `{}`: {e}", outcome.name))?;
                eta.iter().zip(x).map(|(e, x)| e + x).collect()
            }
        };
        // Which values go missing, drawn first (in day order, one draw a
        // day): a lagged outcome's values depend on which are recorded.
        let mut missing = ChainRng::new(replicate_seed, base + MISSING_STREAM);
        let recorded: Vec<bool> = days
            .iter()
            .map(|_| !(scenario.missing > 0.0 && missing.uniform() < scenario.missing))
            .collect();
        let mut observation = truth.observation.clone();
        if let Observation::Binomial { trials } = &mut observation {
            let OutcomeType::Binomial { trials: Some(n) } = outcome.kind else {
                return Err(format!(
                    "outcome `{}`: its number of trials comes from a diary column, which the spec does not give",
                    outcome.name
                ));
            };
            *trials = vec![n; days.len()];
        }
        let mut noise = ChainRng::new(replicate_seed, base + NOISE_STREAM);
        let mut y = draw_observations(&observation, &eta, &trial_days, &mut noise)
            .map_err(|e| format!("outcome `{}`: {e}", outcome.name))?;
        if let Some(rho) = truth.lag {
            let model = spec
                .models
                .iter()
                .find(|m| m.outcome == j)
                .ok_or_else(|| format!("outcome `{}` has no model", outcome.name))?;
            // The analysis set depends on which values are recorded and on
            // the `arm` column, not on the values.
            let presence = Diary {
                outcomes: spec.outcomes.iter().map(|o| o.name.clone()).collect(),
                rows: (1..=last_day)
                    .map(|day| {
                        let mut row = vec![None; n_outcomes];
                        row[j] = days
                            .binary_search(&day)
                            .ok()
                            .filter(|&i| recorded[i])
                            .map(|_| 0.0);
                        diary_row(day, row, arm_record(day))
                    })
                    .collect(),
                has_arm_column: recorded_misses,
                deviations: Vec::new(),
                columns: Vec::new(),
                file: None,
            };
            let set = lower::model_analysis_set(spec, model, &schedule, &presence);
            let analysed: Vec<bool> = days
                .iter()
                .map(|d| set.days.binary_search(d).is_ok())
                .collect();
            let c = add_lag(&mut y, &days, &recorded, &analysed, rho)
                .map_err(|e| format!("outcome `{}`: {e}", outcome.name))?;
            truth.lag_centre = Some(c);
        }
        let bounds = match outcome.kind {
            OutcomeType::Continuous { bounds } => bounds,
            _ => None,
        };
        for ((&d, v), keep) in days.iter().zip(y).zip(recorded) {
            if !keep {
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

    let mut rows = Vec::with_capacity(values.len());
    let mut deviations = Vec::new();
    for (i, row) in values.into_iter().enumerate() {
        let day = i as u64 + 1;
        if missed(day) {
            deviations.push(ArmDeviation {
                day,
                scheduled: schedule.arm_on_day(day),
                taken: None,
            });
        }
        rows.push(diary_row(day, row, arm_record(day)));
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

/// A generated diary's row.
fn diary_row(day: u64, values: Vec<Option<f64>>, arm: ArmRecord) -> DiaryRow {
    DiaryRow {
        day,
        line: day + 1,
        values,
        arm,
        extra: Vec::new(),
        span: crate::diagnostic::Span::new(0, 0),
    }
}

/// Adds the lagged outcome to the values `y` of `days` (those not
/// `recorded` are not in the diary and lag nothing): in time order, each
/// recorded value gets `rho^g (y_prev - c)`, y_prev the previous recorded
/// value (final, lag included) and g the days since it, and c the mean of
/// y_prev over the `analysed` values, the centre the analysis uses.
/// Recorded value i is A_i + B_i c with A_i = y_i + rho^g A_prev and
/// B_i = rho^g (B_prev - 1) (A = y, B = 0 for the first), so
/// c = mean(A_prev) / (1 - mean(B_prev)) over the analysed values, exactly.
/// Returns c.
fn add_lag(
    y: &mut [f64],
    days: &[u64],
    recorded: &[bool],
    analysed: &[bool],
    rho: f64,
) -> Result<f64, String> {
    let n = y.len();
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    let (mut sum_a, mut sum_b, mut count) = (0.0, 0.0, 0usize);
    let mut previous: Option<usize> = None;
    for i in 0..n {
        if !recorded[i] {
            continue;
        }
        match previous {
            None => a[i] = y[i],
            Some(p) => {
                let gap = i32::try_from(days[i] - days[p]).map_err(|_| "a gap too long")?;
                let w = rho.powi(gap);
                a[i] = y[i] + w * a[p];
                b[i] = w * (b[p] - 1.0);
                if analysed[i] {
                    sum_a += a[p];
                    sum_b += b[p];
                    count += 1;
                }
            }
        }
        previous = Some(i);
    }
    let c = if count == 0 {
        0.0
    } else {
        let denominator = 1.0 - sum_b / count as f64;
        if denominator.is_nan() || denominator.abs() <= 1e-9 {
            return Err("the centre of the lagged values is not determined".into());
        }
        sum_a / count as f64 / denominator
    };
    for i in 0..n {
        if recorded[i] {
            y[i] = a[i] + b[i] * c;
        }
    }
    Ok(c)
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
        lag: None,
        lag_centre: None,
        carryover_rate: None,
        latent: None,
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
            Role::Lag => TrueParameter::Lag,
            Role::CarryoverRate => TrueParameter::CarryoverRate,
            // A latent AR(1)'s innovations are the process itself, drawn
            // when the diary is; covariates are not generated (`plan`
            // refuses them).
            Role::Innovations | Role::Covariate { .. } => continue,
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
    let likelihood = model
        .likelihoods
        .first()
        .ok_or("the model has no likelihood")?;
    let predictor = &likelihood.predictor;
    t.lag = predictor.lagged_outcome.as_ref().map(|l| scalar(l.param));
    t.carryover_rate = predictor.carryover_decay.as_ref().map(|c| scalar(c.rate));
    t.latent = predictor.latent_ar1.as_ref().map(|l| LatentTruth {
        sigma: scalar(l.sigma),
        phi: scalar(l.phi),
    });
    if let Some(rho) = t.lag.filter(|rho| rho.is_nan() || rho.abs() >= 1.0) {
        return Err(format!("the lag's rho {rho} is outside (-1, 1)"));
    }
    if let Some(rate) = t.carryover_rate.filter(|r| !r.is_finite() || *r <= 0.0) {
        return Err(format!("the carryover's decay rate {rate} is not positive"));
    }
    let family = likelihood.family.clone();
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
        // The trials of each day are filled in with the days.
        Family::BinomialLogit { .. } => Observation::Binomial { trials: Vec::new() },
    };
    Ok(t)
}
