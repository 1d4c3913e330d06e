//! What each fit says about its outcome's parameters and effects, on the
//! model's scale and on the interpretable one (difference in means, odds,
//! rate and cumulative odds ratios, risk difference), with each LFM prior's
//! summary and, for a robust prior, the posterior weight of its vague
//! component. Pure functions of the lowered model and its posterior.

use serde::Serialize;
use trialc_runtime::diagnostics::quantiles;
use trialc_runtime::posterior::Posterior;

use crate::hir::{self, Direction, OutcomeType};
use crate::lower::{LoweredOutcome, ParamInfo, Role};

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
    /// The central interval at the report's level (`report { interval … }`;
    /// equal to `q5`, `q95` at the default 0.90).
    pub lower: f64,
    pub upper: f64,
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
    /// Probability of the central interval `lower`..`upper` (the report's
    /// `interval`, 0.90 by default).
    pub level: f64,
    pub lower: f64,
    pub upper: f64,
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
    /// Its Monte Carlo standard error (from the chains' responsibilities;
    /// the components' errors added in quadrature, an upper bound).
    pub posterior_vague_weight_mcse: f64,
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

/// One row per element of every parameter of the model.
pub fn parameters(lowered: &LoweredOutcome, post: &Posterior, level: f64) -> Vec<ParamRow> {
    let tail = (1.0 - level) / 2.0;
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
            // One sort for all four quantiles (their MCSEs are not shown).
            let q = post.quantiles(k, &[0.05, 0.95, tail, 1.0 - tail]);
            parameters.push(ParamRow {
                name: name.clone(),
                parameter: p.name.clone(),
                mean: s.mean,
                sd: s.sd,
                q5: q[0],
                q95: q[1],
                lower: q[2],
                upper: q[3],
                rhat: s.rhat,
                ess_bulk: s.ess_bulk,
                ess_tail: s.ess_tail,
                mcse_mean: s.mcse_mean,
                prior: p.prior_text.clone(),
                prior_default: p.default,
            });
        }
    }
    parameters
}

/// Every arm's effect against the reference, summarised.
pub fn effects(
    spec: &hir::Spec,
    outcome: &hir::Outcome,
    lowered: &LoweredOutcome,
    post: &Posterior,
    level: f64,
) -> Vec<EffectReport> {
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
        let family = outcome.kind.family();
        let measure = family.measure;
        let interpretable = if family.exponentiated {
            exp_summary(&draws, level)
        } else {
            summarise_values(&draws, level)
        };
        let risk_difference = match (outcome.kind, intercept) {
            (OutcomeType::Binary | OutcomeType::Binomial { .. }, Some(i)) => {
                let alpha = flat_draws(post, i);
                let rd: Vec<f64> = alpha
                    .iter()
                    .zip(&draws)
                    .map(|(a, d)| logistic(a + d) - logistic(*a))
                    .collect();
                Some(summarise_values(&rd, level))
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
            // The runtime computed the components' posterior weights with the fit.
            Some(h) if h.robust > 0.0 => post.mixture(p.id).map(|m| {
                // Components: the informative part first, then the vague part.
                let vague: f64 = m.posterior.iter().skip(h.informative).sum();
                // One vague component (the usual case): its own MCSE.
                let mcse = m
                    .mcse
                    .iter()
                    .skip(h.informative)
                    .map(|se| se * se)
                    .sum::<f64>()
                    .sqrt();
                PriorConflict {
                    hypothesis: format!("{}.{}", h.source, h.id),
                    prior_vague_weight: h.robust,
                    posterior_vague_weight: vague,
                    posterior_vague_weight_mcse: mcse,
                    conflict: vague > h.robust,
                }
            }),
            _ => None,
        };
        effects.push(EffectReport {
            arm: arm_name(spec, arm),
            parameter: p.name.clone(),
            scale: outcome.kind.effect_scale(),
            effect: summarise_values(&draws, level),
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
    effects
}

/// How the sampler did on one outcome's fit.
pub fn sampler(post: &Posterior) -> SamplerSummary {
    let health = &post.health;
    SamplerSummary {
        divergences: health.iter().map(|h| h.divergences).sum(),
        max_treedepth_hits: health.iter().map(|h| h.max_treedepth_hits).sum(),
        e_bfmi: health.iter().map(|h| h.e_bfmi).collect(),
        stepsizes: post.stepsizes.clone(),
        grad_evals: post.grad_evals,
        init: post.init.name(),
        init_note: post.init_note.clone(),
    }
}

fn exp_summary(draws: &[f64], level: f64) -> Interval {
    let e: Vec<f64> = draws.iter().map(|d| d.exp()).collect();
    summarise_values(&e, level)
}

/// Offset of each parameter's first element in the posterior's element
/// vector (parameters are laid out in `model.params` order).
pub fn offsets(lowered: &LoweredOutcome) -> Vec<usize> {
    let mut out = Vec::with_capacity(lowered.model.params.len());
    let mut o = 0;
    for p in &lowered.model.params {
        out.push(o);
        o += p.size;
    }
    out
}

/// The element index of a scalar parameter.
pub fn element_of(lowered: &LoweredOutcome, param: &ParamInfo) -> Option<usize> {
    offsets(lowered).get(param.id).copied()
}

/// All draws of element `k`, chain after chain.
pub fn flat_draws(post: &Posterior, k: usize) -> Vec<f64> {
    post.element(k).into_iter().flatten().collect()
}

/// Mean, median, the 90% interval and the central interval at `level`.
pub fn summarise_values(values: &[f64], level: f64) -> Interval {
    let n = values.len().max(1) as f64;
    let tail = (1.0 - level) / 2.0;
    let q = quantiles(values, &[0.5, 0.05, 0.95, tail, 1.0 - tail]);
    Interval {
        mean: values.iter().sum::<f64>() / n,
        median: q[0],
        q5: q[1],
        q95: q[2],
        level,
        lower: q[3],
        upper: q[4],
    }
}

pub fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

fn arm_name(spec: &hir::Spec, arm: usize) -> String {
    spec.arms
        .get(arm)
        .map_or_else(|| format!("#{arm}"), |a| a.name.clone())
}
