//! The posterior predictive side of each outcome's fit: its pointwise log
//! likelihood (S x N, kept for PSIS-LOO: [`Predictive::pointwise_log_lik`]),
//! replicated outcomes y_rep (one data set per retained draw), and the
//! posterior predictive check (docs/report.md): test statistics of the
//! observed series against their replicates, and a one-line verdict.
//!
//! Replicates are drawn on their own streams (`fit::predictive_seed`: the
//! run seed and the outcome; then chain and draw, see
//! `trialc_runtime::predictive`), never the sampler's, so they are the same
//! whatever `--threads` and the fits are unchanged. What y_rep is for each
//! model term: independent observations given the draw's linear predictor;
//! for AR(1) errors a whole stationary series (so that its sd and
//! autocorrelation are comparable with the observed series'); with a lagged
//! outcome, also a whole series, each replicate feeding the next one's lag
//! (the first observation, and one whose previous measurement was not
//! analysed, keep the observed previous value); with a latent AR(1), given
//! the draw's latent states.

use serde::Serialize;
use trialc_runtime::fmt::num;
use trialc_runtime::mir::MirDensity;
use trialc_runtime::posterior::Posterior;
use trialc_runtime::predictive::{
    self, flagged, predictive_p_values, PointwiseMatrix, PredictiveP, Statistic,
};

use crate::fit::{predictive_seed, RunSettings};
use crate::lower::LoweredOutcome;

/// The predictive check of one outcome, as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictiveCheck {
    /// `consistent` (no statistic flagged), `flagged`, or `unavailable`
    /// (the replicates could not be drawn; `summary` says why).
    pub verdict: &'static str,
    /// The one-line verdict.
    pub summary: String,
    /// Replicated data sets (one per retained draw).
    pub draws: usize,
    /// Each test statistic with its posterior predictive p-value.
    pub statistics: Vec<PredictiveP>,
}

/// One outcome's posterior predictive quantities.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictive {
    /// Index into the spec's outcomes.
    pub outcome: usize,
    /// The observed outcome on the model's scale (the likelihood's y).
    pub observed: Vec<f64>,
    /// The time of each observation on the model's clock (trial days, or
    /// the diary's own unit).
    pub times: Vec<i64>,
    /// (log_lik, y_rep), absent when the replicates could not be drawn.
    matrices: Option<(PointwiseMatrix, PointwiseMatrix)>,
    pub check: PredictiveCheck,
}

impl Predictive {
    /// The pointwise log likelihood, S x N (draws chain after chain, in the
    /// order of the CmdStan CSVs): what `loo::psis_loo` takes. `None` only
    /// when the check is `unavailable`.
    pub fn pointwise_log_lik(&self) -> Option<&PointwiseMatrix> {
        self.matrices.as_ref().map(|(ll, _)| ll)
    }

    /// The replicated outcomes y_rep, S x N, on the model's scale.
    pub fn replicates(&self) -> Option<&PointwiseMatrix> {
        self.matrices.as_ref().map(|(_, rep)| rep)
    }
}

/// The predictive quantities of every fit, in spec order (of the fits'
/// outcomes), each on its own stream from `settings.seed`. Uses the
/// current rayon pool.
pub fn predict(fits: &[(LoweredOutcome, Posterior)], settings: &RunSettings) -> Vec<Predictive> {
    let mut ordered: Vec<&(LoweredOutcome, Posterior)> = fits.iter().collect();
    ordered.sort_by_key(|(l, _)| l.outcome);
    ordered
        .into_iter()
        .map(|(lowered, post)| {
            predict_outcome(
                lowered,
                post,
                predictive_seed(settings.seed, lowered.outcome),
            )
        })
        .collect()
}

/// The predictive quantities of one fit with replicates keyed by `seed`.
pub fn predict_outcome(lowered: &LoweredOutcome, post: &Posterior, seed: u64) -> Predictive {
    let (observed, times) = lowered
        .model
        .likelihoods
        .first()
        .map(|l| (l.y.clone(), l.days.clone()))
        .unwrap_or_default();
    let draws = post.num_chains * post.num_draws;
    let computed = MirDensity::new(lowered.model.clone()).and_then(|d| {
        let ll = predictive::pointwise_log_lik(&d, post, 0)?;
        let rep = predictive::replicate(&d, post, 0, seed)?;
        Ok((ll, rep))
    });
    let (matrices, check) = match computed {
        Ok((ll, rep)) => {
            let family = &lowered.model.likelihoods[0].family;
            let statistics = predictive_p_values(&observed, &rep, Statistic::for_family(family));
            let check = verdict(statistics, draws);
            (Some((ll, rep)), check)
        }
        Err(e) => (
            None,
            PredictiveCheck {
                verdict: "unavailable",
                summary: format!("not available: {e}"),
                draws,
                statistics: Vec::new(),
            },
        ),
    };
    Predictive {
        outcome: lowered.outcome,
        observed,
        times,
        matrices,
        check,
    }
}

/// A p-value as the verdict prints it: two decimals, or `< 0.01` and
/// `> 0.99` in the extremes (a p of 0 or 1 from finitely many draws).
pub fn p_text(p: f64) -> String {
    if p < 0.01 {
        "< 0.01".into()
    } else if p > 0.99 {
        "> 0.99".into()
    } else {
        format!("{p:.2}")
    }
}

/// The verdict of the statistics: `flagged` when any p-value is below 0.05
/// or above 0.95, with the flagged statistics named; `consistent` otherwise.
pub fn verdict(statistics: Vec<PredictiveP>, draws: usize) -> PredictiveCheck {
    let flagged_ones: Vec<&PredictiveP> = statistics.iter().filter(|s| flagged(s.p)).collect();
    let summary = if flagged_ones.is_empty() {
        format!(
            "consistent: no statistic in a 5% tail of its {draws} replicates (p: {})",
            statistics
                .iter()
                .map(|s| format!("{} {}", s.statistic.name(), p_text(s.p)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        format!(
            "flagged: {}; the model may miss {} of the data",
            flagged_ones
                .iter()
                .map(|s| format!(
                    "{} {} observed, {} to {} replicated (p {})",
                    s.statistic.name(),
                    num(s.observed),
                    num(s.replicated_q5),
                    num(s.replicated_q95),
                    p_text(s.p)
                ))
                .collect::<Vec<_>>()
                .join("; "),
            if flagged_ones.len() == 1 {
                "this feature"
            } else {
                "these features"
            }
        )
    };
    PredictiveCheck {
        verdict: if flagged_ones.is_empty() {
            "consistent"
        } else {
            "flagged"
        },
        summary,
        draws,
        statistics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(statistic: Statistic, p: f64) -> PredictiveP {
        PredictiveP {
            statistic,
            observed: 0.5,
            replicated_mean: 0.1,
            replicated_q5: -0.2,
            replicated_q95: 0.25,
            p,
        }
    }

    #[test]
    fn the_verdict_names_every_flagged_statistic() {
        let c = verdict(vec![p(Statistic::Mean, 0.5), p(Statistic::Sd, 0.05)], 400);
        assert_eq!(c.verdict, "consistent");
        assert_eq!(
            c.summary,
            "consistent: no statistic in a 5% tail of its 400 replicates (p: mean 0.50, sd 0.05)"
        );
        let c = verdict(
            vec![
                p(Statistic::Mean, 0.5),
                p(Statistic::Autocorrelation, 0.001),
                p(Statistic::Zeros, 0.999),
            ],
            400,
        );
        assert_eq!(c.verdict, "flagged");
        assert_eq!(
            c.summary,
            "flagged: lag-1 autocorrelation 0.5 observed, -0.2 to 0.25 replicated (p < 0.01); share of zeros 0.5 observed, -0.2 to 0.25 replicated (p > 0.99); the model may miss these features of the data"
        );
        assert_eq!(p_text(0.0), "< 0.01");
        assert_eq!(p_text(0.951), "0.95");
    }
}
