//! Whether a fit can be trusted: docs/model.md's thresholds as one typed set,
//! and the warnings W0901–W0905 pointing at the spec. The report and the
//! sensitivity refit judge their fits with the same [`THRESHOLDS`] and the
//! same [`diagnostics`].

use trialc_runtime::posterior::Posterior;

use crate::codes;
use crate::diagnostic::{Diagnostic, Span};
use crate::fit::RunSettings;
use crate::hir;
use crate::lower::LoweredOutcome;

use super::effects::offsets;

/// When a fit's numbers may not be trusted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// R-hat above this: the chains disagree (docs/model.md: 1.01).
    pub rhat_max: f64,
    /// Bulk-ESS below this: too few effective draws (docs/model.md: 400).
    pub ess_bulk_min: f64,
    /// E-BFMI below this in a chain (Stan's rule of thumb: 0.3).
    pub e_bfmi_min: f64,
}

/// docs/model.md's thresholds (and Stan's E-BFMI rule of thumb).
pub const THRESHOLDS: Thresholds = Thresholds {
    rhat_max: 1.01,
    ess_bulk_min: 400.0,
    e_bfmi_min: 0.3,
};

/// The same numbers as constants, for text.
pub const RHAT_MAX: f64 = THRESHOLDS.rhat_max;
pub const ESS_BULK_MIN: f64 = THRESHOLDS.ess_bulk_min;
pub const E_BFMI_MIN: f64 = THRESHOLDS.e_bfmi_min;

/// Whether any of `diagnostics` is a convergence warning (W0901–W0905).
pub fn any_problem(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.code.starts_with("W09"))
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
pub fn diagnostics(
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
pub fn fmt_stat(v: f64, digits: usize) -> String {
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
