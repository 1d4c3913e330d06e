//! What the fits say, apart from how it is presented: the decision rules
//! evaluated on the posterior ([`decide`]), each outcome's parameters and
//! effects on interpretable scales ([`effects`]), whether the fits can be
//! trusted ([`convergence`]), how the decision depends on LFM priors
//! ([`sensitivity`]), and how two model choices for an outcome predict
//! left-out observations ([`loo`], from [`loglik`]). The report (`crate::report`) presents an [`Analysis`];
//! evidence export reads the same effects. Pure: no IO, no clock.

pub mod convergence;
pub mod decide;
pub mod effects;
pub mod loglik;
pub mod loo;
pub mod predictive;
pub mod reported;
pub mod sensitivity;

use trialc_runtime::posterior::{Method, Posterior};

use crate::data::Diary;
use crate::diagnostic::Diagnostic;
use crate::fit::RunSettings;
use crate::hir;
use crate::lower::LoweredOutcome;
use crate::schedule::Schedule;

use decide::{Conclusion, RuleReport};
use effects::{EffectReport, ParamRow, SamplerSummary};
use reported::Reported;

/// What one outcome's fit says.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeFindings {
    /// Index into the spec's outcomes.
    pub outcome: usize,
    pub parameters: Vec<ParamRow>,
    pub effects: Vec<EffectReport>,
    pub sampler: SamplerSummary,
}

/// What all fits of a run say.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// One per fitted outcome, in spec order.
    pub outcomes: Vec<OutcomeFindings>,
    /// Every `when` rule of the `decide` block, in spec order.
    pub rules: Vec<RuleReport>,
    /// The `report` block's quantities, reported without a decision.
    pub reported: Reported,
    pub conclusion: Conclusion,
    /// Convergence warnings W0901–W0905, with labels into the spec.
    pub diagnostics: Vec<Diagnostic>,
    /// Periods whose last day the diary has reached.
    pub periods_complete: u64,
}

/// Analyses the fits: `fits` holds one lowered outcome with its posterior
/// per fitted outcome, in any order; outcomes without a fit are left out,
/// and rules about them are not evaluable.
pub fn analyse(
    spec: &hir::Spec,
    schedule: &Schedule,
    diary: &Diary,
    fits: &[(LoweredOutcome, Posterior)],
    settings: &RunSettings,
) -> Analysis {
    let periods_complete = periods_complete(schedule, diary);
    let mut outcomes = Vec::new();
    let mut diagnostics = Vec::new();
    // Spec order, whatever the order of `fits`, so the report is stable.
    let mut ordered: Vec<&(LoweredOutcome, Posterior)> = fits.iter().collect();
    ordered.sort_by_key(|(l, _)| l.outcome);
    for (lowered, post) in ordered {
        let Some(outcome) = spec.outcomes.get(lowered.outcome) else {
            continue;
        };
        outcomes.push(OutcomeFindings {
            outcome: lowered.outcome,
            parameters: effects::parameters(lowered, post, spec.report.interval),
            effects: effects::effects(spec, outcome, lowered, post, spec.report.interval),
            sampler: effects::sampler(post),
        });
        // Convergence diagnostics are about Markov chains; iid draws from
        // the Laplace approximation have none (and no R-hat or ESS).
        if post.method == Method::Nuts {
            diagnostics.extend(convergence::diagnostics(
                spec, outcome, lowered, post, settings,
            ));
        }
    }
    let rules = decide::evaluate_rules(spec, fits, periods_complete);
    let conclusion = decide::conclude(&rules, !diagnostics.is_empty());
    let reported = reported::evaluate(spec, fits);
    Analysis {
        outcomes,
        rules,
        reported,
        conclusion,
        diagnostics,
        periods_complete,
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
