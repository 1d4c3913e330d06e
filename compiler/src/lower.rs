//! Lowering: checked spec + schedule + diary → one runtime model (MIR) per
//! outcome, exactly as `docs/model.md` says.
//!
//! **Analysis set.** Every day of outcome j — each day the diary has a row
//! for, and each day the outcome is scheduled to be measured — is counted
//! under exactly one reason, the first that applies:
//!
//! 1. `run-in`: the day is in the run-in;
//! 2. `washout`: the day is in a washout (the schedule's: the first
//!    `washout` days of a period that follows a switch of arm);
//! 3. `outside window`: the spec's `window days A..B` leaves the day out;
//! 4. `not reached`: a scheduled day after the diary's last row (an interim
//!    analysis);
//! 5. `no arm taken`: the diary says `none` for the day;
//! 6. `arm unknown`: the day is in no period (in a realised schedule, a day
//!    between two runs of different arms whose arm the diary does not give);
//! 7. `no previous value`: the model has a lagged outcome and no value of
//!    the outcome was recorded before this one;
//! 8. `covariate missing`: a covariate with `missing excluded` has no value;
//! 9. *analysed*: a value is recorded and the arm is known;
//! 10. `missing`: a scheduled measurement day without a value;
//! 11. `not scheduled`: a diary row without a value on a day the outcome
//!     is not measured (a weekly outcome on a daily diary).
//!
//! A model with `carryover decay(…)` analyses the washout days (the
//! previous arm's fading effect is modelled instead), so reason 2 does not
//! apply to it. With a clock, a day may have several values of the outcome
//! (hourly readings): each value is counted once, under the day's reason,
//! and a day without a value once.
//!
//! So the counts always add up to the days ([`AnalysisSet::total`]). Washout
//! follows the schedule even where the `arm` column deviates from it: the
//! washout is a property of the protocol, and deviations are reported
//! (W0701) rather than re-planned. With `sequence from data` the schedule
//! *is* the `arm` column (`Diary::schedule` realises it), so washout follows
//! the switches actually taken. Values recorded on days the outcome was
//! not scheduled (a weekly outcome answered on day 3) are analysed: they are
//! observations like any other.
//!
//! **Linear predictor.** For an analysed day d with arm a(d) (the arm taken:
//! the diary's `arm` where recorded, else the schedule's),
//! `eta_d = alpha + sum_{k != ref} delta_k [a(d) = k] + beta (d - dbar) / L`
//! with dbar the mean analysed day of this outcome and L the trend's `per`.
//! With `carryover modelled`, each arm k with a carryover term adds
//! `gamma_k [previous period's arm = k and a(d) != k]` on every day of a
//! period that follows a period on k (the previous period's arm is the
//! schedule's; first-order carryover as in classical crossover analysis).
//! Each covariate adds `beta_c (x_d - xbar) / s` (s the SD of the analysed
//! values when `standardised`, else 1); the lagged outcome adds
//! `rho^g (y_prev - ybar_prev)` with y_prev the previous recorded value (any
//! phase) g clock units earlier; `carryover decay(rate)` adds
//! `exp(-rate s) (delta_prev - delta_a(d))` on the s-th day (s = 1, 2, …)
//! of a period that follows a period on another arm (docs/model.md, 3.1).
//! `errors ar1` on a binary, binomial or count outcome adds a latent
//! stationary AR(1) process in standard-normal innovations `z`.
//!
//! **Likelihood** by outcome type: normal (independent or AR(1) with the
//! exact likelihood across gaps, the runtime's `NormalAr1` fed the trial
//! days), Bernoulli-logit, Poisson-log, NB2-log with `psi` = the dispersion,
//! ordered logistic with levels `low..=high` mapped to `1..=K` and K-1
//! cutpoints (no intercept).
//!
//! **Priors** come from the HIR (defaults already filled in by the checker).
//! A parameter's constraining transform is its natural support (real line;
//! (0, ∞) for `sigma` and `dispersion`; (-1, 1) for `phi`) intersected with
//! the support of its prior, so `phi ~ beta(2, 2)` samples phi on (0, 1).
//!
//! **LFM hypotheses.** `effect ARM ~ src.ID discount w robust r [vague V]`
//! with the hypothesis' effect mean m and sd s becomes
//! `(1 - r) normal(m, s / sqrt(w)) + r V`, a mixture the runtime
//! marginalises; r = 0 gives the plain `normal(m, s / sqrt(w))`. When the
//! hypothesis gives its effect as a normal mixture (`effect.mixture`, as
//! exported evidence does for a non-normal posterior), that mixture takes
//! the place of `normal(m, s / sqrt(w))`, each component's sd divided by
//! sqrt(w). Without an
//! explicit V the vague component is `normal(0, U)` with U the outcome's
//! *unit-information scale* (`OutcomeType::unit_scale` in `family.rs`:
//! half the bounds' range, 2.5 sample SDs without bounds, 2.5 on link
//! scales). Lowering also records, per hypothesis prior, the prior of the
//! sceptical reference (the vague component alone), which the sensitivity
//! refit puts in its place.
//!
//! **Families.** Each outcome family's likelihood and parameters come from
//! the HIR's `Likelihood` (the checker filled in every default, from
//! `family.rs`); lowering has no defaults of its own.
//!
//! An unresolvable hypothesis is E0520; fewer than 2 analysed days on an arm
//! is E0716. Spans of the spec travel into `Parameter::origin` so runtime
//! errors and warnings point at the spec line that declared the parameter.

use crate::codes;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::BuildHasher;

use trialc_runtime::density::Transform;
use trialc_runtime::fmt::num;
use trialc_runtime::mir::{
    CarryoverDecay, Covariate, Dist, Family, LaggedOutcome, LatentAr1, Likelihood, LinearPredictor,
    MixtureComponent, Model, ParamId, Parameter, Prior, PriorTerm, Transition,
};

use crate::data::{ArmRecord, Diary};
use crate::diagnostic::{Diagnostic, Span};
use crate::hir::{self, ErrorStructure, OutcomeType, PriorDist};
use crate::hypotheses::HypothesesFile;
use crate::schedule::{Phase, Schedule};

/// Where the effect of an LFM hypothesis comes from. The session fills it
/// from the hypotheses JSON files the spec names; lowering never reads files.
pub trait HypothesisLookup {
    /// The effect `(mean, sd)` of hypothesis `id` in source `source` (the
    /// name after `hypotheses`), if the file has it.
    fn effect(&self, source: &str, id: &str) -> Option<(f64, f64)>;
    /// The effect as a normal mixture `(weight, mean, sd)`, when the file
    /// gives one (`effect.mixture`, e.g. exported non-normal evidence): then
    /// the prior's informative part is that mixture, not one normal.
    fn mixture(&self, _source: &str, _id: &str) -> Option<Vec<(f64, f64, f64)>> {
        None
    }
}

/// The hypotheses files as read, by the spec's source name: effects and
/// their mixtures.
impl HypothesisLookup for Vec<(String, HypothesesFile)> {
    fn effect(&self, source: &str, id: &str) -> Option<(f64, f64)> {
        let h = self.iter().find(|(s, _)| s == source)?.1.get(id)?;
        Some((h.effect.mean, h.effect.sd))
    }
    fn mixture(&self, source: &str, id: &str) -> Option<Vec<(f64, f64, f64)>> {
        let h = self.iter().find(|(s, _)| s == source)?.1.get(id)?;
        let components = h.effect.mixture.as_ref()?;
        Some(
            components
                .iter()
                .map(|c| (c.weight, c.mean, c.sd))
                .collect(),
        )
    }
}

/// `(source, id) → (mean, sd)`.
impl<S: BuildHasher> HypothesisLookup for HashMap<(String, String), (f64, f64), S> {
    fn effect(&self, source: &str, id: &str) -> Option<(f64, f64)> {
        self.get(&(source.to_string(), id.to_string())).copied()
    }
}

/// For specs without hypotheses: every lookup fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHypotheses;

impl HypothesisLookup for NoHypotheses {
    fn effect(&self, _source: &str, _id: &str) -> Option<(f64, f64)> {
        None
    }
}

/// What a model parameter is, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Intercept,
    /// Effect of this arm against the reference.
    Effect {
        arm: usize,
    },
    Trend,
    Sigma,
    Phi,
    Dispersion,
    Cutpoints,
    /// Carryover of this arm into the following period.
    Carryover {
        arm: usize,
    },
    /// Coefficient of the covariate `covariates[index]` of the lowered outcome.
    Covariate {
        index: usize,
    },
    /// Coefficient rho of the lagged outcome.
    Lag,
    /// Rate of the decaying carryover, per day.
    CarryoverRate,
    /// The standard-normal innovations z of a latent AR(1) (whose sigma
    /// and phi have the roles `Sigma` and `Phi`).
    Innovations,
}

/// How an outcome's analysis treats the previous arm's effect after a
/// switch of arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CarryoverHandling {
    /// No washout and no carryover term.
    None,
    /// The schedule's washout days are excluded.
    Washout,
    /// `carryover modelled`: a constant term per arm on every day of a
    /// period that follows it.
    Constant,
    /// `carryover decay(…)`: the previous arm's effect fades exponentially;
    /// washout days are analysed.
    Decay,
}

impl CarryoverHandling {
    /// As the report's JSON names it.
    pub fn name(self) -> &'static str {
        match self {
            CarryoverHandling::None => "none",
            CarryoverHandling::Washout => "washout excluded",
            CarryoverHandling::Constant => "constant terms",
            CarryoverHandling::Decay => "exponential decay",
        }
    }
}

/// A covariate as lowered: its column, centre and scale.
#[derive(Debug, Clone, PartialEq)]
pub struct CovariateInfo {
    /// The diary column.
    pub column: String,
    /// Its coefficient.
    pub param: ParamId,
    pub standardised: bool,
    /// The mean of the analysed values, subtracted.
    pub centre: f64,
    /// The divisor: their SD when standardised, else 1.
    pub scale: f64,
}

/// A resolved LFM hypothesis prior (provenance for the report).
#[derive(Debug, Clone, PartialEq)]
pub struct HypothesisPrior {
    pub source: String,
    pub id: String,
    /// The hypothesis' effect mean and sd as read.
    pub mean: f64,
    pub sd: f64,
    /// w and r as in the spec.
    pub discount: f64,
    pub robust: f64,
    /// sd after discounting, s / sqrt(w).
    pub discounted_sd: f64,
    /// How many of the prior's first components are the informative part
    /// (1, or the number of the hypothesis' mixture components); the vague
    /// components follow them.
    pub informative: usize,
    /// The vague component as text (`normal(0, 5)`), when r > 0.
    pub vague: Option<String>,
    /// Whether the vague component is the default one.
    pub vague_default: bool,
    /// The prior of the sceptical reference (each hypothesis replaced by its
    /// vague component alone), with its transform and text: what the
    /// sensitivity refit uses instead of this prior.
    pub sceptical: Prior,
    pub sceptical_transform: Transform,
    pub sceptical_text: String,
}

/// One parameter of a lowered model, with what the report prints about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    /// Index into `model.params`.
    pub id: ParamId,
    /// `intercept`, `effect[ARM]`, `trend`, `sigma`, `phi`, `dispersion`,
    /// `cutpoints`, `carryover[ARM]`.
    pub name: String,
    pub role: Role,
    /// The prior as the runtime uses it, e.g. `normal(0, 2.5)` or
    /// `0.8 normal(-1.2, 0.8485) + 0.2 normal(0, 3)`.
    pub prior_text: String,
    /// True when the spec did not write this prior (documented default).
    pub default: bool,
    /// The written prior, or the construct that received the default.
    pub span: Span,
    pub hypothesis: Option<HypothesisPrior>,
}

/// Which days of one outcome are analysed, and why the others are not.
/// All lists are of trial days, increasing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalysisSet {
    /// Analysed days.
    pub days: Vec<u64>,
    /// The arm taken on each analysed day.
    pub arms: Vec<usize>,
    /// Days in the run-in.
    pub run_in: Vec<u64>,
    /// Days in a washout.
    pub washout: Vec<u64>,
    /// Days outside the spec's analysis window.
    pub outside_window: Vec<u64>,
    /// Scheduled measurement days after the diary's last row.
    pub not_reached: Vec<u64>,
    /// Days on which the diary says no arm was taken.
    pub no_arm: Vec<u64>,
    /// Days in no period whose arm the diary does not give (between two
    /// runs of different arms of a realised schedule).
    pub arm_unknown: Vec<u64>,
    /// Scheduled measurement days of a treatment phase without a value.
    pub missing: Vec<u64>,
    /// Diary rows without a value on a day the outcome is not measured.
    pub not_scheduled: Vec<u64>,
    /// The diary row (index into `Diary::rows`) of each analysed value.
    pub rows: Vec<usize>,
    /// Values without an earlier value to lag (models with `lag`).
    pub no_previous: Vec<u64>,
    /// Values on days a `missing excluded` covariate has no value.
    pub missing_covariate: Vec<u64>,
}

impl AnalysisSet {
    /// Number of analysed observations.
    pub fn n(&self) -> usize {
        self.days.len()
    }
    /// Every day counted, analysed or not: each under exactly one reason.
    pub fn total(&self) -> usize {
        self.days.len() + self.excluded().iter().map(|(_, d)| d.len()).sum::<usize>()
    }
    /// The days not analysed, by reason, in the order of precedence.
    pub fn excluded(&self) -> [(&'static str, &[u64]); 10] {
        [
            ("run-in", &self.run_in),
            ("washout", &self.washout),
            ("outside window", &self.outside_window),
            ("not reached", &self.not_reached),
            ("no arm taken", &self.no_arm),
            ("arm unknown", &self.arm_unknown),
            ("no previous value", &self.no_previous),
            ("covariate missing", &self.missing_covariate),
            ("missing", &self.missing),
            ("not scheduled", &self.not_scheduled),
        ]
    }
    /// Number of analysed days on `arm`.
    pub fn n_on_arm(&self, arm: usize) -> usize {
        self.arms.iter().filter(|&&a| a == arm).count()
    }
}

/// One outcome's model, ready for the runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct LoweredOutcome {
    /// Index into the spec's outcomes.
    pub outcome: usize,
    pub model: Model,
    pub analysis: AnalysisSet,
    pub params: Vec<ParamInfo>,
    /// Mean analysed day, the trend's centre.
    pub dbar: f64,
    /// The trend's unit L in days, when the model has a trend.
    pub per_days: Option<u64>,
    /// The unit-information scale used for default vague components.
    pub unit_scale: f64,
    /// The covariates, in spec order.
    pub covariates: Vec<CovariateInfo>,
    /// The mean of the lagged values (their centre), with a lagged outcome.
    pub lag_centre: Option<f64>,
    /// The diary column the serial terms count time in (trial days if none).
    pub clock: Option<String>,
    /// What the analysis does about carryover.
    pub carryover: CarryoverHandling,
}

impl LoweredOutcome {
    /// The parameter info of the effect of `arm`, if the model has one.
    pub fn effect(&self, arm: usize) -> Option<&ParamInfo> {
        self.params.iter().find(|p| p.role == Role::Effect { arm })
    }
}

/// Lowers every outcome's model. Either all outcomes lower, or every
/// problem is returned (E0520, E0716, E0719), with spans into the spec.
pub fn lower(
    spec: &hir::Spec,
    schedule: &Schedule,
    diary: &Diary,
    hypotheses: &dyn HypothesisLookup,
) -> Result<Vec<LoweredOutcome>, Vec<Diagnostic>> {
    let mut lowered = Vec::with_capacity(spec.models.len());
    let mut diagnostics = Vec::new();
    for model in &spec.models {
        match lower_outcome(spec, schedule, diary, hypotheses, model) {
            Ok(l) => lowered.push(l),
            Err(mut d) => diagnostics.append(&mut d),
        }
    }
    if diagnostics.is_empty() {
        Ok(lowered)
    } else {
        Err(diagnostics)
    }
}

/// The analysis set of outcome `outcome` (spec index), washout days
/// excluded; see the module doc for the reasons and their precedence.
pub fn analysis_set(outcome: usize, schedule: &Schedule, diary: &Diary) -> AnalysisSet {
    analysis_set_with(outcome, schedule, diary, false)
}

/// The analysis set by reasons 1-6 and 9-11; `washout_analysed` (a model
/// with `carryover decay`) analyses the schedule's washout days like other
/// treatment days. Reasons 7 and 8 depend on the model's terms and are
/// applied by lowering.
fn analysis_set_with(
    outcome: usize,
    schedule: &Schedule,
    diary: &Diary,
    washout_analysed: bool,
) -> AnalysisSet {
    let mut set = AnalysisSet::default();
    let n_arms = schedule.n_arms();
    let scheduled: &[u64] = schedule
        .outcomes
        .get(outcome)
        .map_or(&[], |plan| plan.days.as_slice());
    let last_row = diary.rows.last().map_or(0, |r| r.day);
    // Every day with a row or a scheduled measurement, in order, once.
    let mut days: Vec<u64> = diary.rows.iter().map(|r| r.day).collect();
    days.extend_from_slice(scheduled);
    days.sort_unstable();
    days.dedup();
    for day in days {
        // The day's rows with a value: each is one unit of the count (one
        // at most without a clock); a day without a value is one unit.
        let first = diary.rows.partition_point(|r| r.day < day);
        let valued: Vec<usize> = (first..diary.rows.len())
            .take_while(|&r| diary.rows[r].day == day)
            .filter(|&r| {
                diary.rows[r]
                    .values
                    .get(outcome)
                    .copied()
                    .flatten()
                    .is_some()
            })
            .collect();
        let units = valued.len().max(1);
        let push = |list: &mut Vec<u64>| list.extend(std::iter::repeat_n(day, units));
        let phase = match schedule.phase_on_day(day) {
            Some(Phase::Washout) if washout_analysed => Some(Phase::Treatment),
            phase => phase,
        };
        match phase {
            Some(Phase::RunIn) => push(&mut set.run_in),
            Some(Phase::Washout) => push(&mut set.washout),
            _ if !schedule.in_window(day) => push(&mut set.outside_window),
            _ if day > last_row => push(&mut set.not_reached),
            // `read_diary` rejects days outside the schedule, so a day
            // without a phase lies between the periods of a realised
            // schedule: its arm is known only if the diary says `none`.
            None if diary
                .rows_of_day(day)
                .iter()
                .any(|r| r.arm == ArmRecord::NoArm) =>
            {
                push(&mut set.no_arm)
            }
            None => push(&mut set.arm_unknown),
            Some(Phase::Treatment) => match diary.arm_taken(day, schedule) {
                Some(arm) if arm < n_arms && !valued.is_empty() => {
                    for r in valued {
                        set.days.push(day);
                        set.arms.push(arm);
                        set.rows.push(r);
                    }
                }
                None => push(&mut set.no_arm),
                Some(_) if !valued.is_empty() => push(&mut set.no_arm),
                Some(_) if scheduled.binary_search(&day).is_ok() => set.missing.push(day),
                Some(_) => set.not_scheduled.push(day),
            },
        }
    }
    set
}

/// Moves the analysed values at `drop` (indices into the analysed lists)
/// to `into`, keeping the others in order.
fn exclude(set: &mut AnalysisSet, drop: &[bool], into: fn(&mut AnalysisSet) -> &mut Vec<u64>) {
    let mut keep = drop.iter().map(|d| !d);
    let mut moved = Vec::new();
    let (mut days, mut arms, mut rows) = (Vec::new(), Vec::new(), Vec::new());
    for ((&d, &a), &r) in set.days.iter().zip(&set.arms).zip(&set.rows) {
        if keep.next().unwrap_or(true) {
            days.push(d);
            arms.push(a);
            rows.push(r);
        } else {
            moved.push(d);
        }
    }
    (set.days, set.arms, set.rows) = (days, arms, rows);
    let list = into(set);
    list.extend(moved);
    list.sort_unstable();
}

/// The natural support of a parameter before its prior narrows it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Base {
    Real,
    Positive,
    Correlation,
    Ordered,
}

struct Builder<'a> {
    hypotheses: &'a dyn HypothesisLookup,
    unit_scale: f64,
    /// Number of ordinal categories K (cutpoints only).
    levels: usize,
    params: Vec<Parameter>,
    priors: Vec<PriorTerm>,
    infos: Vec<ParamInfo>,
    diagnostics: Vec<Diagnostic>,
}

impl Builder<'_> {
    /// Adds a parameter with its prior; `None` after reporting why the prior
    /// cannot be lowered.
    fn add(
        &mut self,
        name: String,
        role: Role,
        base: Base,
        size: usize,
        prior: &hir::Prior,
    ) -> Option<ParamId> {
        let mut hypothesis = None;
        let (mir_prior, text) =
            if let (Base::Ordered, PriorDist::InducedDirichlet { alpha }) = (base, &prior.dist) {
                (
                    Prior::InducedDirichlet {
                        alpha: vec![*alpha; self.levels],
                    },
                    format!("induced_dirichlet({})", num(*alpha)),
                )
            } else {
                let mut components = Vec::new();
                let mut sceptical = Vec::new();
                self.components(prior, 1.0, &mut components, &mut sceptical, &mut hypothesis)?;
                let text = components_text(&components);
                if let Some(h) = &mut hypothesis {
                    h.sceptical_text = components_text(&sceptical);
                    h.sceptical = prior_of(sceptical);
                    h.sceptical_transform = transform_for(base, &h.sceptical);
                }
                let text = match &hypothesis {
                    Some(h) => format!(
                        "{}.{} discount {} robust {} = {text}",
                        h.source,
                        h.id,
                        num(h.discount),
                        num(h.robust)
                    ),
                    None => text,
                };
                (prior_of(components), text)
            };
        let transform = transform_for(base, &mir_prior);
        let id = self.params.len();
        self.params.push(Parameter {
            name: name.clone(),
            transform,
            size,
            origin: Some((prior.span.start, prior.span.end)),
        });
        self.priors.push(PriorTerm {
            param: id,
            prior: mir_prior,
        });
        self.infos.push(ParamInfo {
            id,
            name,
            role,
            prior_text: text,
            default: prior.default,
            span: prior.span,
            hypothesis,
        });
        Some(id)
    }

    /// Flattens a prior into weighted components (mixtures multiply out,
    /// hypotheses resolve) into `out`, and into `sceptical` the same with
    /// every hypothesis replaced by its vague component alone; `None` after
    /// a diagnostic.
    fn components(
        &mut self,
        prior: &hir::Prior,
        weight: f64,
        out: &mut Vec<(f64, Dist)>,
        sceptical: &mut Vec<(f64, Dist)>,
        hypothesis: &mut Option<HypothesisPrior>,
    ) -> Option<()> {
        let simple = match &prior.dist {
            PriorDist::Dist(d) => d.clone(),
            PriorDist::Mixture(parts) => {
                for (w, p) in parts {
                    self.components(p, weight * w, out, sceptical, hypothesis)?;
                }
                return Some(());
            }
            PriorDist::Hypothesis {
                source,
                id,
                discount,
                robust,
                vague,
            } => {
                let Some((mean, sd)) = self
                    .hypotheses
                    .effect(source, id)
                    .filter(|(m, s)| m.is_finite() && s.is_finite() && *s > 0.0)
                else {
                    let found = self.hypotheses.effect(source, id).is_some();
                    self.diagnostics.push(
                        Diagnostic::error(
                            codes::E0520,
                            if found {
                                format!("hypothesis `{source}.{id}` has no usable effect (its mean must be finite and its sd positive)")
                            } else {
                                format!("hypothesis `{source}.{id}` is not in the hypotheses file")
                            },
                        )
                        .with_primary(prior.span, "this prior needs the hypothesis' effect mean and sd")
                        .with_help(format!(
                            "check the id against the `hypotheses` of the file `{source}` is read from, and its `effect` {{\"mean\", \"sd\"}}"
                        )),
                    );
                    return None;
                };
                let w = if *discount > 0.0 && *discount <= 1.0 {
                    *discount
                } else {
                    1.0
                };
                let r = if (0.0..1.0).contains(robust) {
                    *robust
                } else {
                    0.0
                };
                let discounted_sd = sd / w.sqrt();
                // The informative part: the hypothesis' mixture when it gives
                // one (each component's sd discounted alike), else one normal.
                let informative: Vec<(f64, Dist)> = match self.hypotheses.mixture(source, id) {
                    Some(parts) if !parts.is_empty() => parts
                        .iter()
                        .map(|&(wk, mk, sk)| {
                            (
                                wk,
                                Dist::Normal {
                                    mu: mk,
                                    sigma: sk / w.sqrt(),
                                },
                            )
                        })
                        .collect(),
                    _ => vec![(
                        1.0,
                        Dist::Normal {
                            mu: mean,
                            sigma: discounted_sd,
                        },
                    )],
                };
                let mut vague_parts = Vec::new();
                match vague {
                    Some(v) => {
                        self.components(v, 1.0, &mut vague_parts, &mut Vec::new(), &mut None)?
                    }
                    None => vague_parts.push((
                        1.0,
                        Dist::Normal {
                            mu: 0.0,
                            sigma: self.unit_scale,
                        },
                    )),
                }
                sceptical.extend(vague_parts.iter().map(|(wv, d)| (weight * wv, d.clone())));
                let mut info = HypothesisPrior {
                    source: source.clone(),
                    id: id.clone(),
                    mean,
                    sd,
                    discount: w,
                    robust: r,
                    discounted_sd,
                    informative: informative.len(),
                    vague: None,
                    vague_default: vague.is_none(),
                    // Filled in by `add` once the whole prior is flattened.
                    sceptical: Prior::Mixture(Vec::new()),
                    sceptical_transform: Transform::Identity,
                    sceptical_text: String::new(),
                };
                if r > 0.0 {
                    out.extend(
                        informative
                            .into_iter()
                            .map(|(wk, d)| (weight * (1.0 - r) * wk, d)),
                    );
                    info.vague = Some(components_text(&vague_parts));
                    out.extend(vague_parts.into_iter().map(|(wv, d)| (weight * r * wv, d)));
                } else {
                    out.extend(informative.into_iter().map(|(wk, d)| (weight * wk, d)));
                }
                *hypothesis = Some(info);
                return Some(());
            }
            PriorDist::InducedDirichlet { .. } => {
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::E0719,
                        "`induced_dirichlet` can only be the prior of the cutpoints",
                    )
                    .with_primary(prior.span, "used here")
                    .with_help("give this parameter a univariate prior such as `normal(0, 1)`"),
                );
                return None;
            }
        };
        sceptical.push((weight, simple.clone()));
        out.push((weight, simple));
        Some(())
    }
}

/// The parameter's natural support intersected with its prior's (every
/// mixture component must cover the parameter's support, so the
/// intersection is over components).
/// One distribution as itself, several as a mixture.
fn prior_of(components: Vec<(f64, Dist)>) -> Prior {
    match components.as_slice() {
        [(_, d)] => Prior::Dist(d.clone()),
        _ => Prior::Mixture(
            components
                .into_iter()
                .map(|(weight, dist)| MixtureComponent { weight, dist })
                .collect(),
        ),
    }
}

fn transform_for(base: Base, prior: &Prior) -> Transform {
    let (mut lo, mut hi) = match base {
        Base::Real => (f64::NEG_INFINITY, f64::INFINITY),
        Base::Positive => (0.0, f64::INFINITY),
        Base::Correlation => (-1.0, 1.0),
        Base::Ordered => return Transform::CumulativeLogit,
    };
    let fallback = (lo, hi);
    let supports: Vec<(f64, f64)> = match prior {
        Prior::Dist(d) => vec![d.support()],
        Prior::Mixture(cs) => cs.iter().map(|c| c.dist.support()).collect(),
        Prior::InducedDirichlet { .. } => Vec::new(),
    };
    for (a, b) in supports {
        lo = lo.max(a);
        hi = hi.min(b);
    }
    // An empty intersection cannot come from a checked spec; keep the
    // natural support and let the runtime name the misfit prior.
    if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
        (lo, hi) = fallback;
    }
    match (lo.is_finite(), hi.is_finite()) {
        (false, false) => Transform::Identity,
        (true, false) => Transform::Lower(lo),
        (false, true) => Transform::Upper(hi),
        (true, true) => Transform::Interval(lo, hi),
    }
}

fn lower_outcome(
    spec: &hir::Spec,
    schedule: &Schedule,
    diary: &Diary,
    hypotheses: &dyn HypothesisLookup,
    model: &hir::Model,
) -> Result<LoweredOutcome, Vec<Diagnostic>> {
    let j = model.outcome;
    let Some(outcome) = spec.outcomes.get(j) else {
        return Err(vec![Diagnostic::error(
            codes::E0001,
            "a model refers to an outcome the spec does not have",
        )
        .with_primary(model.span, "this model")]);
    };
    let mut analysis = analysis_set_with(j, schedule, diary, model.carryover_decay.is_some());
    let data = model_data(spec, diary, model, &mut analysis)?;

    // Effects need data on both sides of every contrast.
    let mut too_few = Vec::new();
    for (arm_index, arm) in spec.arms.iter().enumerate() {
        let n = analysis.n_on_arm(arm_index);
        if n < 2 {
            let span = model
                .effects
                .iter()
                .find(|e| e.arm == arm_index)
                .map_or(model.span, |e| e.prior.span);
            too_few.push(
                Diagnostic::error(
                    codes::E0716,
                    format!(
                        "outcome `{}` has {n} analysed day{} on arm `{}`; at least 2 are needed",
                        outcome.name,
                        if n == 1 { "" } else { "s" },
                        arm.name
                    ),
                )
                .with_primary(
                    span,
                    format!(
                        "the model of `{}` needs observations on `{}`",
                        outcome.name, arm.name
                    ),
                )
                .with_secondary(outcome.span, "the outcome")
                .with_note(format!(
                    "days not analysed: {}",
                    analysis
                        .excluded()
                        .iter()
                        .map(|(reason, days)| format!("{} {reason}", days.len()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .with_help(
                    "analyse when the diary covers at least two treatment days on every arm",
                ),
            );
        }
    }
    if !too_few.is_empty() {
        return Err(too_few);
    }

    let n = analysis.n();
    let y: Vec<f64> = analysis
        .rows
        .iter()
        .map(|&r| {
            outcome.kind.model_value(
                diary
                    .rows
                    .get(r)
                    .and_then(|row| row.values.get(j).copied().flatten())
                    .unwrap_or(f64::NAN),
            )
        })
        .collect();
    let dbar = if n == 0 {
        0.0
    } else {
        analysis.days.iter().map(|&d| d as f64).sum::<f64>() / n as f64
    };
    let levels = outcome.kind.levels();
    let mut b = Builder {
        hypotheses,
        unit_scale: outcome.kind.unit_scale(&y),
        levels,
        params: Vec::new(),
        priors: Vec::new(),
        infos: Vec::new(),
        diagnostics: Vec::new(),
    };
    let arm_name = |k: usize| {
        spec.arms
            .get(k)
            .map_or_else(|| format!("#{k}"), |a| a.name.clone())
    };

    let mut predictor = LinearPredictor::default();
    // Cutpoints come first, where the intercept would be.
    let mut cutpoints = None;
    if let hir::Likelihood::OrderedLogistic { cutpoints: prior } = &model.likelihood {
        cutpoints = b.add(
            "cutpoints".into(),
            Role::Cutpoints,
            Base::Ordered,
            levels.saturating_sub(1).max(1),
            prior,
        );
    } else if let Some(prior) = model.intercept() {
        predictor.intercept = b.add("intercept".into(), Role::Intercept, Base::Real, 1, prior);
    }
    for effect in &model.effects {
        let values = analysis
            .arms
            .iter()
            .map(|&a| if a == effect.arm { 1.0 } else { 0.0 })
            .collect();
        if let Some(param) = b.add(
            format!("effect[{}]", arm_name(effect.arm)),
            Role::Effect { arm: effect.arm },
            Base::Real,
            1,
            &effect.prior,
        ) {
            predictor.arm_effects.push(Covariate { param, values });
        }
    }
    let per_days = model.trend.as_ref().map(|t| t.per_days.max(1));
    if let (Some(trend), Some(l)) = (&model.trend, per_days) {
        let values = analysis
            .days
            .iter()
            .map(|&d| (d as f64 - dbar) / l as f64)
            .collect();
        if let Some(param) = b.add("trend".into(), Role::Trend, Base::Real, 1, &trend.prior) {
            predictor.trend = Some(Covariate { param, values });
        }
    }
    for carry in &model.carryover {
        let values = analysis
            .days
            .iter()
            .zip(&analysis.arms)
            .map(|(&d, &a)| {
                let previous = schedule
                    .period_of_day(d)
                    .and_then(|p| p.number.checked_sub(2))
                    .and_then(|i| usize::try_from(i).ok())
                    .and_then(|i| schedule.periods.get(i))
                    .map(|p| p.arm);
                if previous == Some(carry.arm) && a != carry.arm {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        if let Some(param) = b.add(
            format!("carryover[{}]", arm_name(carry.arm)),
            Role::Carryover { arm: carry.arm },
            Base::Real,
            1,
            &carry.prior,
        ) {
            predictor.carryover.push(Covariate { param, values });
        }
    }
    let mut covariates = Vec::new();
    for (index, (term, raw)) in model.covariates.iter().zip(&data.covariates).enumerate() {
        let centre = raw.iter().sum::<f64>() / n.max(1) as f64;
        let sd =
            (raw.iter().map(|v| (v - centre).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64).sqrt();
        let scale = if term.standardised { sd } else { 1.0 };
        if let Some(param) = b.add(
            format!("covariate[{}]", term.column),
            Role::Covariate { index },
            Base::Real,
            1,
            &term.prior,
        ) {
            predictor.covariates.push(Covariate {
                param,
                values: raw.iter().map(|v| (v - centre) / scale).collect(),
            });
            covariates.push(CovariateInfo {
                column: term.column.clone(),
                param,
                standardised: term.standardised,
                centre,
                scale,
            });
        }
    }
    let mut lag_centre = None;
    if let (Some(prior), Some((values, gaps))) = (&model.lag, &data.lag) {
        let centre = values.iter().sum::<f64>() / n.max(1) as f64;
        if let Some(param) = b.add("lag".into(), Role::Lag, Base::Correlation, 1, prior) {
            predictor.lagged_outcome = Some(LaggedOutcome {
                param,
                values: values.iter().map(|v| v - centre).collect(),
                gaps: gaps.clone(),
            });
            lag_centre = Some(centre);
        }
    }
    if let Some(prior) = &model.carryover_decay {
        let effect_of = |arm: usize| {
            b.infos
                .iter()
                .find(|p| p.role == Role::Effect { arm })
                .map(|p| p.id)
        };
        let transitions: Vec<Transition> = analysis
            .days
            .iter()
            .zip(&analysis.arms)
            .enumerate()
            .filter_map(|(obs, (&d, &a))| {
                let period = schedule.period_of_day(d)?;
                let previous = schedule
                    .periods
                    .get(usize::try_from(period.number.checked_sub(2)?).ok()?)?
                    .arm;
                (previous != a).then(|| Transition {
                    obs,
                    elapsed: (d + 1).saturating_sub(period.first_day) as f64,
                    from: effect_of(previous),
                    to: effect_of(a),
                })
            })
            .collect();
        if let Some(rate) = b.add(
            "carryover_rate".into(),
            Role::CarryoverRate,
            Base::Positive,
            1,
            prior,
        ) {
            predictor.carryover_decay = Some(CarryoverDecay { rate, transitions });
        }
    }

    // The family's own parameters, in the order the likelihood takes them.
    let family = match &model.likelihood {
        hir::Likelihood::Normal { errors, .. } => {
            let sigma = b.add(
                "sigma".into(),
                Role::Sigma,
                Base::Positive,
                1,
                &errors.sigma,
            );
            match (errors.structure, &errors.phi) {
                (ErrorStructure::Ar1, Some(phi)) => {
                    let phi = b.add("phi".into(), Role::Phi, Base::Correlation, 1, phi);
                    sigma
                        .zip(phi)
                        .map(|(sigma, phi)| Family::NormalAr1 { sigma, phi })
                }
                _ => sigma.map(|sigma| Family::Normal { sigma }),
            }
        }
        hir::Likelihood::Bernoulli { .. } => Some(Family::BernoulliLogit),
        hir::Likelihood::Binomial { .. } => Some(Family::BinomialLogit {
            trials: data.trials.clone(),
        }),
        hir::Likelihood::Poisson { .. } => Some(Family::PoissonLog),
        hir::Likelihood::NegBinomial { dispersion, .. } => b
            .add(
                "dispersion".into(),
                Role::Dispersion,
                Base::Positive,
                1,
                dispersion,
            )
            .map(|psi| Family::NegBinomial2Log { psi }),
        hir::Likelihood::OrderedLogistic { .. } => {
            cutpoints.map(|cutpoints| Family::OrderedLogistic { cutpoints })
        }
    };
    if let Some(latent) = &model.latent_ar1 {
        let sigma = b.add(
            "sigma".into(),
            Role::Sigma,
            Base::Positive,
            1,
            &latent.sigma,
        );
        let phi = b.add("phi".into(), Role::Phi, Base::Correlation, 1, &latent.phi);
        let standard = hir::Prior {
            dist: PriorDist::Dist(Dist::Normal {
                mu: 0.0,
                sigma: 1.0,
            }),
            default: true,
            span: model.span,
        };
        let z = b.add(
            "z".into(),
            Role::Innovations,
            Base::Real,
            n.max(1),
            &standard,
        );
        if let (Some(sigma), Some(phi), Some(z)) = (sigma, phi, z) {
            predictor.latent_ar1 = Some(LatentAr1 { z, sigma, phi });
        }
    }
    // `add` returned `None` only after a diagnostic.
    let Some(family) = family.filter(|_| b.diagnostics.is_empty()) else {
        return Err(b.diagnostics);
    };
    let days = data.times;
    let unit_scale = b.unit_scale;
    Ok(LoweredOutcome {
        outcome: j,
        model: Model {
            params: b.params,
            priors: b.priors,
            likelihoods: vec![Likelihood {
                outcome: outcome.name.clone(),
                family,
                y,
                days,
                predictor,
            }],
        },
        analysis,
        params: b.infos,
        dbar,
        per_days,
        unit_scale,
        covariates,
        lag_centre,
        clock: model.clock.as_ref().map(|c| c.value.clone()),
        carryover: if model.carryover_decay.is_some() {
            CarryoverHandling::Decay
        } else if !model.carryover.is_empty() {
            CarryoverHandling::Constant
        } else if schedule.washout_days > 0 {
            CarryoverHandling::Washout
        } else {
            CarryoverHandling::None
        },
    })
}

/// What the model's terms read from the diary for each analysed value,
/// after the model's own exclusions.
struct ModelData {
    /// The time of each value on the model's clock (trial days without one).
    times: Vec<i64>,
    /// The previous recorded value of the outcome and the gap to it.
    lag: Option<(Vec<f64>, Vec<i64>)>,
    /// Each covariate's raw values, in `model.covariates` order.
    covariates: Vec<Vec<f64>>,
    /// A binomial outcome's trials.
    trials: Vec<u64>,
}

/// Where a covariate's values are in the diary.
#[derive(Clone, Copy)]
enum Source {
    Outcome(usize),
    Column(usize),
}

fn cell(diary: &Diary, row: usize, source: Source) -> Option<f64> {
    let r = diary.rows.get(row)?;
    match source {
        Source::Outcome(j) => r.values.get(j).copied().flatten(),
        Source::Column(k) => r.extra.get(k).copied().flatten(),
    }
}

/// A covariate's value for the analysed value on diary row `row`: the
/// row's own, else the day's when exactly one row of the day has one (a
/// daily covariate in an hourly diary).
fn covariate_value(diary: &Diary, row: usize, source: Source) -> Option<f64> {
    if let Some(v) = cell(diary, row, source) {
        return Some(v);
    }
    let day = diary.rows.get(row)?.day;
    let first = diary.rows.partition_point(|r| r.day < day);
    let of_day: Vec<f64> = (first..diary.rows.len())
        .take_while(|&r| diary.rows[r].day == day)
        .filter_map(|r| cell(diary, r, source))
        .collect();
    match of_day.as_slice() {
        [v] => Some(*v),
        _ => None,
    }
}

/// Reasons 5 (`no previous value`) and 6 (`covariate missing`) of the
/// analysis set, and the data the model's terms read for the values that
/// remain; E0730 for a covariate without a value on an analysed day, E0735
/// for one that does not vary.
fn model_data(
    spec: &hir::Spec,
    diary: &Diary,
    model: &hir::Model,
    analysis: &mut AnalysisSet,
) -> Result<ModelData, Vec<Diagnostic>> {
    let j = model.outcome;
    let outcome_name = spec.outcomes.get(j).map_or("?", |o| o.name.as_str());
    let clock = model.clock.as_ref().and_then(|c| diary.column(&c.value));
    let time = |row: usize| -> i64 {
        let r = &diary.rows[row];
        match clock {
            Some(k) => r
                .extra
                .get(k)
                .copied()
                .flatten()
                .map_or(i64::MAX, |t| t as i64),
            None => i64::try_from(r.day).unwrap_or(i64::MAX),
        }
    };
    // The previous row with a value of the outcome, for every row.
    let mut previous = Vec::with_capacity(diary.rows.len());
    let mut last = None;
    for (r, row) in diary.rows.iter().enumerate() {
        previous.push(last);
        if row.values.get(j).copied().flatten().is_some() {
            last = Some(r);
        }
    }
    let sources: Vec<Source> = model
        .covariates
        .iter()
        .map(
            |c| match spec.outcomes.iter().position(|o| o.name == c.column) {
                Some(k) => Source::Outcome(k),
                None => Source::Column(diary.column(&c.column).unwrap_or(usize::MAX)),
            },
        )
        .collect();
    // 5. no previous value.
    if model.lag.is_some() {
        let drop: Vec<bool> = analysis
            .rows
            .iter()
            .map(|&r| previous[r].is_none())
            .collect();
        exclude(analysis, &drop, |a| &mut a.no_previous);
    }
    // 6. covariate missing, for the covariates that say `missing excluded`.
    let drop: Vec<bool> = analysis
        .rows
        .iter()
        .map(|&r| {
            model
                .covariates
                .iter()
                .zip(&sources)
                .any(|(c, &s)| c.exclude_missing && covariate_value(diary, r, s).is_none())
        })
        .collect();
    exclude(analysis, &drop, |a| &mut a.missing_covariate);
    let mut diagnostics = Vec::new();
    let mut covariates = Vec::new();
    for (c, &source) in model.covariates.iter().zip(&sources) {
        let values: Vec<Option<f64>> = analysis
            .rows
            .iter()
            .map(|&r| covariate_value(diary, r, source))
            .collect();
        let missing: Vec<usize> = analysis
            .rows
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(&r, _)| r)
            .collect();
        if let Some(&first) = missing.first() {
            let row = &diary.rows[first];
            let message = format!(
                "row {}, column `{}`: no value on day {}, an analysed day of `{outcome_name}`",
                row.line, c.column, row.day
            );
            let mut d = Diagnostic::error(codes::E0730, message);
            d = match diary.file {
                Some(file) => d
                    .with_primary_in(file, row.span, format!("no `{}` on this row", c.column))
                    .with_secondary(c.span, "the covariate"),
                None => d.with_primary(c.span, format!("no `{}` on row {}", c.column, row.line)),
            };
            if missing.len() > 1 {
                d = d.with_note(format!(
                    "{} analysed days have no `{}`: rows {}",
                    missing.len(),
                    c.column,
                    missing
                        .iter()
                        .map(|&r| diary.rows[r].line.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            diagnostics.push(d.with_help(
                "record the values, or write `missing excluded` after the covariate's prior to exclude such days (the report counts them)",
            ));
            continue;
        }
        let values: Vec<f64> = values.into_iter().flatten().collect();
        if let Some(&v0) = values.first() {
            if values.len() > 1 && values.iter().all(|v| *v == v0) {
                diagnostics.push(
                    Diagnostic::error(
                        codes::E0735,
                        format!(
                            "covariate `{}` is {} on every analysed day of `{outcome_name}`",
                            c.column,
                            num(v0)
                        ),
                    )
                    .with_primary(c.span, "a covariate that does not vary")
                    .with_note("a constant covariate carries no information about the outcome")
                    .with_help("check the column and the diary, or remove the line"),
                );
            }
        }
        covariates.push(values);
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let times: Vec<i64> = analysis.rows.iter().map(|&r| time(r)).collect();
    let lag = model.lag.as_ref().map(|_| {
        analysis
            .rows
            .iter()
            .zip(&times)
            .filter_map(|(&r, &t)| {
                let p = previous[r]?;
                let raw = cell(diary, p, Source::Outcome(j))?;
                let value = spec
                    .outcomes
                    .get(j)
                    .map_or(raw, |o| o.kind.model_value(raw));
                Some((value, t.saturating_sub(time(p))))
            })
            .unzip()
    });
    let trials = match spec.outcomes.get(j).map(|o| (o.kind, &o.trials_column)) {
        Some((OutcomeType::Binomial { trials: Some(n) }, _)) => vec![n; analysis.n()],
        Some((OutcomeType::Binomial { trials: None }, Some(column))) => {
            let k = diary.column(&column.value).unwrap_or(usize::MAX);
            analysis
                .rows
                .iter()
                .map(|&r| cell(diary, r, Source::Column(k)).map_or(0, |n| n as u64))
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(ModelData {
        times,
        lag,
        covariates,
        trials,
    })
}

/// The lowered models as JSON, for the Stan comparison
/// (`scripts/stan-compare`): per outcome the runtime model, the trend's
/// centre and unit, the unit-information scale, the analysed days and arms,
/// and each parameter's name and prior as text.
pub fn dump_json(lowered: &[LoweredOutcome], spec: &hir::Spec) -> serde_json::Value {
    serde_json::Value::Array(
        lowered
            .iter()
            .map(|l| {
                serde_json::json!({
                    "outcome": spec.outcomes.get(l.outcome).map_or("?", |o| o.name.as_str()),
                    "model": l.model,
                    "dbar": l.dbar,
                    "per_days": l.per_days,
                    "unit_scale": l.unit_scale,
                    "days": l.analysis.days,
                    "arms": l.analysis.arms,
                    "params": l.params.iter().map(|p| serde_json::json!({
                        "id": p.id, "name": p.name, "prior": p.prior_text,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// A prior's components as text, as the runtime displays the prior.
fn components_text(components: &[(f64, Dist)]) -> String {
    prior_of(components.to_vec()).to_string()
}

fn transform_text(t: &Transform) -> String {
    match t {
        Transform::Identity => "real".into(),
        Transform::Lower(a) => format!("lower {}", num(*a)),
        Transform::Upper(b) => format!("upper {}", num(*b)),
        Transform::Interval(a, b) => format!("interval ({}, {})", num(*a), num(*b)),
        // The support, as for the others (the map is in the MIR's JSON).
        Transform::Ordered | Transform::CumulativeLogit => "ordered".into(),
    }
}

fn family_text(f: &Family, params: &[Parameter]) -> String {
    let name = |id: ParamId| params.get(id).map_or("?", |p| p.name.as_str());
    match f {
        Family::Normal { sigma } => format!("normal(eta, {})", name(*sigma)),
        Family::NormalAr1 { sigma, phi } => format!(
            "normal_ar1(eta, {}, {}), exact across gaps",
            name(*sigma),
            name(*phi)
        ),
        Family::BernoulliLogit => "bernoulli_logit(eta)".into(),
        Family::BinomialLogit { .. } => "binomial_logit(trials, eta)".into(),
        Family::PoissonLog => "poisson_log(eta)".into(),
        Family::NegBinomial2Log { psi } => format!("neg_binomial_2_log(eta, {})", name(*psi)),
        Family::OrderedLogistic { cutpoints } => {
            format!("ordered_logistic(eta, {})", name(*cutpoints))
        }
    }
}

/// A readable dump of the lowered models (`trialc debug mir`): per outcome
/// the analysis set and its exclusions, the parameters with transforms and
/// priors (defaults marked), the linear predictor and the likelihood.
pub fn dump(lowered: &[LoweredOutcome], spec: &hir::Spec) -> String {
    let mut out = String::new();
    for l in lowered {
        let Some(outcome) = spec.outcomes.get(l.outcome) else {
            continue;
        };
        let kind = match outcome.kind {
            OutcomeType::Continuous {
                bounds: Some((lo, hi)),
            } => format!("continuous in [{}, {}]", num(lo), num(hi)),
            OutcomeType::Continuous { bounds: None } => "continuous".into(),
            OutcomeType::Binary => "binary".into(),
            OutcomeType::Binomial { trials: Some(n) } => format!("binomial of {n}"),
            OutcomeType::Binomial { trials: None } => "binomial".into(),
            OutcomeType::Count { overdispersed } => {
                if overdispersed {
                    "count overdispersed".into()
                } else {
                    "count".into()
                }
            }
            OutcomeType::Ordinal { low, high } => format!("ordinal {low}..{high}"),
        };
        let a = &l.analysis;
        let _ = writeln!(
            out,
            "model {} ({kind}; effects on the {} scale)",
            outcome.name,
            outcome.kind.effect_scale()
        );
        let _ = writeln!(
            out,
            "  analysis set: {} days; excluded: run-in {}, washout {}, no arm {}; missing {}",
            a.n(),
            a.run_in.len(),
            a.washout.len(),
            a.no_arm.len(),
            a.missing.len()
        );
        let model_reasons: Vec<String> = [
            ("no previous value", a.no_previous.len()),
            ("covariate missing", a.missing_covariate.len()),
        ]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(reason, n)| format!("{reason} {n}"))
        .collect();
        if !model_reasons.is_empty() {
            let _ = writeln!(
                out,
                "    excluded by the model's terms: {}",
                model_reasons.join(", ")
            );
        }
        let _ = writeln!(out, "    carryover: {}", l.carryover.name());
        if let Some(c) = &l.clock {
            let _ = writeln!(out, "    clock: `{c}` (gaps of the serial terms)");
        }
        for (k, arm) in spec.arms.iter().enumerate() {
            let reference = if k == spec.reference {
                " (reference)"
            } else {
                ""
            };
            let _ = writeln!(out, "    {}{reference}: {} days", arm.name, a.n_on_arm(k));
        }
        if let (Some(first), Some(last)) = (a.days.first(), a.days.last()) {
            let _ = writeln!(out, "    days {first}..{last}, dbar = {}", num(l.dbar));
        }
        let _ = writeln!(out, "  parameters:");
        let width = l.params.iter().map(|p| p.name.len()).max().unwrap_or(0);
        for p in &l.params {
            let transform = l.model.params.get(p.id).map_or_else(String::new, |q| {
                let size = if q.size > 1 {
                    format!("[{}] ", q.size)
                } else {
                    String::new()
                };
                format!("{size}{}", transform_text(&q.transform))
            });
            let default = if p.default { "  (default)" } else { "" };
            let per = match (p.role, l.per_days) {
                (Role::Trend, Some(days)) => format!(" per {days} days"),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "    {:<width$}  {:<16}  ~ {}{per}{default}",
                p.name, transform, p.prior_text
            );
        }
        for lik in &l.model.likelihoods {
            let pred = &lik.predictor;
            let name = |id: ParamId| l.model.params.get(id).map_or("?", |p| p.name.as_str());
            let mut terms = Vec::new();
            if let Some(i) = pred.intercept {
                terms.push(name(i).to_string());
            }
            for c in &pred.arm_effects {
                terms.push(format!(
                    "{} * [arm = {}]",
                    name(c.param),
                    name(c.param)
                        .trim_start_matches("effect[")
                        .trim_end_matches(']')
                ));
            }
            if let (Some(c), Some(per)) = (&pred.trend, l.per_days) {
                terms.push(format!(
                    "{} * (day - {}) / {per}",
                    name(c.param),
                    num(l.dbar)
                ));
            }
            for c in &pred.carryover {
                let n1 = c.values.iter().filter(|v| **v != 0.0).count();
                terms.push(format!(
                    "{} * [after a period on it] ({n1} days)",
                    name(c.param)
                ));
            }
            for (c, info) in pred.covariates.iter().zip(&l.covariates) {
                terms.push(if info.standardised {
                    format!(
                        "{} * ({} - {}) / {}",
                        name(c.param),
                        info.column,
                        num(info.centre),
                        num(info.scale)
                    )
                } else {
                    format!(
                        "{} * ({} - {})",
                        name(c.param),
                        info.column,
                        num(info.centre)
                    )
                });
            }
            if let (Some(lo), Some(centre)) = (&pred.lagged_outcome, l.lag_centre) {
                terms.push(format!(
                    "{}^gap * (previous {} - {})",
                    name(lo.param),
                    lik.outcome,
                    num(centre)
                ));
            }
            if let Some(cd) = &pred.carryover_decay {
                terms.push(format!(
                    "exp(-{} * s) * (effect[previous arm] - effect[arm]) ({} days after a switch)",
                    name(cd.rate),
                    cd.transitions.len()
                ));
            }
            if let Some(la) = &pred.latent_ar1 {
                terms.push(format!(
                    "latent_ar1({}, {}, {})",
                    name(la.sigma),
                    name(la.phi),
                    name(la.z)
                ));
            }
            if terms.is_empty() {
                terms.push("0".into());
            }
            let _ = writeln!(out, "  eta = {}", terms.join(" + "));
            let _ = writeln!(
                out,
                "  likelihood: {} ~ {}, n = {}",
                lik.outcome,
                family_text(&lik.family, &l.model.params),
                lik.y.len()
            );
        }
        let _ = writeln!(out);
    }
    out
}
