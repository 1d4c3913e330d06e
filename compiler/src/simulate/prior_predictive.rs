//! The prior predictive check of `trialc check` (and `trialc simulate`):
//! diaries drawn with every parameter from its prior (effects included),
//! schedules as the randomization draws them, and for each continuous
//! outcome with a declared range the share of simulated values outside it
//! (and of diaries with at least one). Priors under which most simulated
//! values are impossible contradict what the spec says about the outcome:
//! W0530.
//!
//! Why values and not diaries: the normal model of a bounded score puts
//! some mass beyond the bounds for any participant whose level is near one,
//! and over a diary of 90 days a small daily share becomes a large share of
//! diaries. A single plausible participant of the magnesium example (level
//! 3 points on 0-10, day-to-day SD 1.5, phi 0.55) has a value below 0 in
//! every simulated diary but in only 9% of the days; the share of diaries
//! grows with the trial's length, the share of values does not.

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::fit::derive_seed;
use crate::hir::simulate::TrueParameter;
use crate::hir::{self, OutcomeType};
use crate::lower::{self, HypothesisLookup};
use crate::schedule::Schedule;

use super::generate::generate;
use super::plan::{ScenarioPlan, Truth};

/// Diaries drawn per check: the share's Monte Carlo standard error is at
/// most 0.5 / sqrt(400) = 0.025.
pub const DIARIES: u64 = 400;
/// Domain of the check's diary seeds (with the schedule's seed).
pub const DOMAIN: &[u8] = b"trialc/prior-predictive/v1";
/// W0530 when more than this share of the simulated values is outside the
/// declared range: most of the data impossible. For comparison, a
/// plausible participant near a bound gives under 10%; the documented
/// default priors of a bounded outcome (intercept sd half the range, sigma
/// a quarter of it) about 40%; an intercept prior in the wrong units close
/// to 100%.
pub const WARN_SHARE: f64 = 0.5;

/// One outcome's check.
#[derive(Debug, Clone, PartialEq)]
pub struct OutsideShare {
    /// Index into the spec's outcomes.
    pub outcome: usize,
    /// Share of diaries with at least one value outside the range.
    pub diaries: f64,
    /// Share of all values outside the range.
    pub values: f64,
    /// Diaries drawn.
    pub n: u64,
}

/// The check of every continuous outcome with a declared range; empty when
/// there is none or the models cannot be lowered on the schedule.
pub fn check(
    spec: &hir::Spec,
    schedule: &Schedule,
    hypotheses: &dyn HypothesisLookup,
) -> Vec<OutsideShare> {
    let bounded: Vec<usize> = spec
        .outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o.kind, OutcomeType::Continuous { bounds: Some(_) }))
        .map(|(j, _)| j)
        .collect();
    if bounded.is_empty() {
        return Vec::new();
    }
    let diary = super::placeholder_diary(spec, schedule);
    let Ok(template) = lower::lower(spec, schedule, &diary, hypotheses) else {
        return Vec::new();
    };
    // Every parameter from its prior, effects and carryover included.
    let mut scenario = ScenarioPlan {
        name: "prior".into(),
        grid: None,
        settings: Vec::new(),
        truths: Vec::new(),
        missing: 0.0,
        dropout: 0.0,
        adherence: 1.0,
        adherence_recorded: true,
    };
    for l in &template {
        for p in &l.params {
            let target = match p.role {
                lower::Role::Effect { arm } => TrueParameter::Effect { arm },
                lower::Role::Carryover { arm } => TrueParameter::Carryover { arm },
                _ => continue,
            };
            scenario.truths.push((l.outcome, target, Truth::Prior));
        }
    }
    let mut counts = vec![(0u64, 0u64, 0u64); spec.outcomes.len()];
    let mut drawn = 0u64;
    for i in 0..DIARIES {
        let seed = derive_seed(DOMAIN, spec.schedule.seed, i);
        let Ok(g) = generate(spec, &template, &scenario, seed) else {
            continue;
        };
        drawn += 1;
        for &j in &bounded {
            let [outside, values] = g.outside[j];
            counts[j].0 += u64::from(outside > 0);
            counts[j].1 += u64::from(outside);
            counts[j].2 += u64::from(values);
        }
    }
    if drawn == 0 {
        return Vec::new();
    }
    bounded
        .into_iter()
        .map(|j| {
            let (diaries, outside, values) = counts[j];
            OutsideShare {
                outcome: j,
                diaries: diaries as f64 / drawn as f64,
                values: if values == 0 {
                    0.0
                } else {
                    outside as f64 / values as f64
                },
                n: drawn,
            }
        })
        .collect()
}

/// W0530 for each outcome whose priors put more than [`WARN_SHARE`] of
/// the simulated values outside its range.
pub fn warnings(spec: &hir::Spec, shares: &[OutsideShare]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for s in shares.iter().filter(|s| s.values > WARN_SHARE) {
        let Some(outcome) = spec.outcomes.get(s.outcome) else {
            continue;
        };
        let OutcomeType::Continuous {
            bounds: Some((lo, hi)),
        } = outcome.kind
        else {
            continue;
        };
        let model = spec.models.iter().find(|m| m.outcome == s.outcome);
        let pct = |v: f64| format!("{:.0}%", v * 100.0);
        let mut d = Diagnostic::warning(
            codes::W0530,
            format!(
                "the priors of `{}` put {} of simulated values outside its range [{}, {}]",
                outcome.name,
                pct(s.values),
                trialc_runtime::fmt::num(lo),
                trialc_runtime::fmt::num(hi)
            ),
        )
        .with_primary(
            outcome.span,
            format!(
                "declared `in [{}, {}]`",
                trialc_runtime::fmt::num(lo),
                trialc_runtime::fmt::num(hi)
            ),
        )
        .with_note(format!(
            "{} diaries drawn with every parameter from its prior (defaults included), schedules as randomized; {} of them have at least one value outside the range",
            s.n,
            pct(s.diaries),
        ))
        .with_help("the priors contradict the scale: give the intercept and sigma priors the scale allows, and keep phi away from ±1 (e.g. `phi ~ beta(2, 2)`); `trialc simulate` shows the share under each scenario");
        if let Some(m) = model.filter(|m| m.span != outcome.span) {
            d = d.with_secondary(m.span, "its model's priors");
        }
        out.push(d);
    }
    out
}
