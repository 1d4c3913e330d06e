//! The priors of the series: each person's effect prior as their spec
//! gives it (what an exported posterior must be divided by, and mu's
//! default prior), the documented defaults of tau and gamma, priors written
//! on the command line, the LFM hypothesis behind an effect's prior, and
//! the likelihood an exported posterior implies.

use trialc_runtime::mir::{Dist, MixtureComponent, Prior};

use crate::hir::{self, PriorDist};
use crate::hypotheses::HypothesesFile;

/// The hypotheses files a checked spec read, by the spec's source name.
pub type Hypotheses = [(String, HypothesesFile)];

/// The spec's model of outcome `outcome`, if it has one.
pub fn model_of(spec: &hir::Spec, outcome: usize) -> Option<&hir::Model> {
    spec.models.iter().find(|m| m.outcome == outcome)
}

/// The prior of the effect of `arm` on `outcome` as the runtime would use
/// it (mixtures multiplied out, LFM hypotheses resolved with their discount,
/// robust weight and vague component). `unit_scale` is the outcome's
/// unit-information scale, needed only by a hypothesis' default vague
/// component; `Err` says why the prior cannot be had.
pub fn effect_prior(
    spec: &hir::Spec,
    hypotheses: &Hypotheses,
    outcome: usize,
    arm: usize,
    unit_scale: Option<f64>,
) -> Result<Prior, String> {
    let model = model_of(spec, outcome).ok_or("the spec has no model of the outcome")?;
    let effect = model
        .effects
        .iter()
        .find(|e| e.arm == arm)
        .ok_or("the model has no effect of the arm")?;
    let mut out = Vec::new();
    components(&effect.prior, 1.0, hypotheses, unit_scale, &mut out)?;
    Ok(match out.as_slice() {
        [(_, d)] => Prior::Dist(d.clone()),
        _ => Prior::Mixture(
            out.into_iter()
                .map(|(weight, dist)| MixtureComponent { weight, dist })
                .collect(),
        ),
    })
}

fn components(
    prior: &hir::Prior,
    weight: f64,
    hypotheses: &Hypotheses,
    unit_scale: Option<f64>,
    out: &mut Vec<(f64, Dist)>,
) -> Result<(), String> {
    match &prior.dist {
        PriorDist::Dist(d) => out.push((weight, d.clone())),
        PriorDist::Mixture(parts) => {
            for (w, p) in parts {
                components(p, weight * w, hypotheses, unit_scale, out)?;
            }
        }
        PriorDist::Hypothesis {
            source,
            id,
            discount,
            robust,
            vague,
        } => {
            let h = hypotheses
                .iter()
                .find(|(s, _)| s == source)
                .and_then(|(_, f)| f.get(id))
                .ok_or_else(|| format!("hypothesis `{source}.{id}` was not read"))?;
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
            let informative: Vec<(f64, Dist)> = match &h.effect.mixture {
                Some(parts) if !parts.is_empty() => parts
                    .iter()
                    .map(|c| {
                        (
                            c.weight,
                            Dist::Normal {
                                mu: c.mean,
                                sigma: c.sd / w.sqrt(),
                            },
                        )
                    })
                    .collect(),
                _ => vec![(
                    1.0,
                    Dist::Normal {
                        mu: h.effect.mean,
                        sigma: h.effect.sd / w.sqrt(),
                    },
                )],
            };
            let scale = if r > 0.0 { 1.0 - r } else { 1.0 };
            out.extend(
                informative
                    .into_iter()
                    .map(|(wk, d)| (weight * scale * wk, d)),
            );
            if r > 0.0 {
                match vague {
                    Some(v) => components(v, weight * r, hypotheses, unit_scale, out)?,
                    None => {
                        let u = unit_scale.ok_or(
                            "its default vague component's scale depends on the diary (an unbounded continuous outcome)",
                        )?;
                        out.push((weight * r, Dist::Normal { mu: 0.0, sigma: u }));
                    }
                }
            }
        }
        PriorDist::InducedDirichlet { .. } => {
            return Err("an effect cannot have an induced Dirichlet prior".into())
        }
    }
    Ok(())
}

/// An LFM hypothesis as the prior of an effect: what the model predicted
/// for this person, and how the spec took it.
#[derive(Debug, Clone, PartialEq)]
pub struct LfmUse {
    /// `source.id`.
    pub hypothesis: String,
    /// The generator (model and version) of its file.
    pub model: String,
    pub mean: f64,
    pub sd: f64,
    pub rank: u32,
    pub discount: f64,
    pub robust: f64,
}

/// The LFM hypothesis the spec takes as the prior of `arm`'s effect on
/// `outcome` (the first, if a mixture holds several), if any.
pub fn lfm_use(
    spec: &hir::Spec,
    hypotheses: &Hypotheses,
    outcome: usize,
    arm: usize,
) -> Option<LfmUse> {
    let effect = model_of(spec, outcome)?
        .effects
        .iter()
        .find(|e| e.arm == arm)?;
    fn find(p: &hir::Prior) -> Option<&hir::Prior> {
        match &p.dist {
            PriorDist::Hypothesis { .. } => Some(p),
            PriorDist::Mixture(parts) => parts.iter().find_map(|(_, q)| find(q)),
            _ => None,
        }
    }
    let PriorDist::Hypothesis {
        source,
        id,
        discount,
        robust,
        ..
    } = &find(&effect.prior)?.dist
    else {
        return None;
    };
    let file = &hypotheses.iter().find(|(s, _)| s == source)?.1;
    let h = file.get(id)?;
    Some(LfmUse {
        hypothesis: format!("{source}.{id}"),
        model: format!("{} {}", file.generator.model, file.generator.version),
        mean: h.effect.mean,
        sd: h.effect.sd,
        rank: h.rank,
        discount: *discount,
        robust: *robust,
    })
}

/// The SD of the outcome's default effect prior (docs/model.md 4.1): the
/// scale of tau's and gamma's default priors.
pub fn effect_scale(kind: &hir::OutcomeType) -> f64 {
    match kind.default_priors().effect {
        PriorDist::Dist(Dist::Normal { sigma, .. }) => sigma,
        _ => 1.0,
    }
}

/// tau's default prior: half_normal(S / 2), S the SD of the outcome's
/// default effect prior.
pub fn default_tau(kind: &hir::OutcomeType) -> Prior {
    Prior::Dist(Dist::HalfNormal {
        sigma: effect_scale(kind) / 2.0,
    })
}

/// gamma's default prior: normal(0, S / 2) per SD of the covariate.
pub fn default_gamma(kind: &hir::OutcomeType) -> Prior {
    Prior::Dist(Dist::Normal {
        mu: 0.0,
        sigma: effect_scale(kind) / 2.0,
    })
}

/// A prior written on the command line: `NAME(ARG, …)`, a distribution of
/// the runtime's table with its arguments checked.
pub fn parse_prior(text: &str) -> Result<Prior, String> {
    let t = text.trim();
    let (name, rest) = t
        .split_once('(')
        .ok_or_else(|| format!("`{t}` is not a prior: write it as `normal(0, 1)`"))?;
    let inner = rest
        .strip_suffix(')')
        .ok_or_else(|| format!("`{t}` is missing its closing `)`"))?;
    let args = inner
        .split(',')
        .map(|a| {
            a.trim()
                .parse::<f64>()
                .map_err(|_| format!("`{}` in `{t}` is not a number", a.trim()))
        })
        .collect::<Result<Vec<f64>, String>>()?;
    Dist::from_args(name.trim(), &args)
        .map(Prior::Dist)
        .map_err(|e| e.to_string())
}

/// The support of a univariate prior (over all components of a mixture).
pub fn support(prior: &Prior) -> (f64, f64) {
    match prior {
        Prior::Dist(d) => d.support(),
        Prior::Mixture(cs) => cs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
                let (a, b) = c.dist.support();
                (lo.min(a), hi.max(b))
            }),
        Prior::InducedDirichlet { .. } => (f64::NEG_INFINITY, f64::INFINITY),
    }
}

/// log density of a univariate prior (log-sum-exp over a mixture's components).
pub fn ln_density(prior: &Prior, x: f64) -> f64 {
    match prior {
        Prior::Dist(d) => d.log_density(x).0,
        Prior::Mixture(cs) => {
            let terms: Vec<f64> = cs
                .iter()
                .map(|c| c.weight.ln() + c.dist.log_density(x).0)
                .collect();
            let top = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            if top == f64::NEG_INFINITY {
                return top;
            }
            top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln()
        }
        Prior::InducedDirichlet { .. } => f64::NAN,
    }
}

/// The widest normal component of a normal or normal-mixture prior; `None`
/// when a component is not normal (its tails are heavier than any normal's).
fn widest_normal(prior: &Prior) -> Option<f64> {
    prior
        .normal_components()
        .map(|cs| cs.iter().map(|c| c.2).fold(0.0, f64::max))
}

/// The likelihood an exported posterior `q` implies under the prior `pi`
/// it was computed with, q / pi, summarised by its mean and SD (a fine
/// quadrature). `Err` when q / pi is not a proper density: q is at least
/// as wide as pi in a tail, so the posterior carries no information the
/// summary could pass on.
pub fn implied_likelihood(q: &Prior, pi: &Prior) -> Result<(f64, f64), String> {
    let q_wide = widest_normal(q).ok_or("the exported posterior is not a normal mixture")?;
    if let Some(p_wide) = widest_normal(pi) {
        if q_wide >= 0.999 * p_wide {
            return Err(format!(
                "the exported posterior (widest SD {}) is no narrower than the prior it was computed under (widest SD {}): it implies no likelihood",
                trialc_runtime::fmt::num(q_wide),
                trialc_runtime::fmt::num(p_wide)
            ));
        }
    }
    let comps = q.normal_components().unwrap_or_default();
    let lo = comps
        .iter()
        .map(|c| c.1 - 12.0 * c.2)
        .fold(f64::INFINITY, f64::min);
    let hi = comps
        .iter()
        .map(|c| c.1 + 12.0 * c.2)
        .fold(f64::NEG_INFINITY, f64::max);
    let n = 20_000;
    let step = (hi - lo) / n as f64;
    let logs: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let x = lo + (i as f64 + 0.5) * step;
            (x, ln_density(q, x) - ln_density(pi, x))
        })
        .collect();
    let top = logs
        .iter()
        .map(|(_, l)| *l)
        .fold(f64::NEG_INFINITY, f64::max);
    let (mut s0, mut s1, mut s2) = (0.0, 0.0, 0.0);
    for (x, l) in &logs {
        let w = (l - top).exp();
        s0 += w;
        s1 += w * x;
        s2 += w * x * x;
    }
    let mean = s1 / s0;
    let var = s2 / s0 - mean * mean;
    if !(var > 0.0 && mean.is_finite()) {
        return Err("the implied likelihood has no finite moments".into());
    }
    Ok((mean, var.sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(mu: f64, sigma: f64) -> Prior {
        Prior::Dist(Dist::Normal { mu, sigma })
    }

    #[test]
    fn a_normal_posterior_under_a_normal_prior_implies_the_precision_difference() {
        // Posterior N(m, q) under prior N(0, 3): likelihood precision
        // 1/q^2 - 1/9, mean m (1/q^2) / (1/q^2 - 1/9).
        let (m, q) = (0.8, 0.6);
        let (mean, sd) = implied_likelihood(&normal(m, q), &normal(0.0, 3.0)).expect("proper");
        let prec = 1.0 / (q * q) - 1.0 / 9.0;
        assert!((sd - 1.0 / prec.sqrt()).abs() < 1e-6, "{sd}");
        assert!((mean - m / (q * q) / prec).abs() < 1e-6, "{mean}");
        // A posterior as wide as its prior implies nothing.
        assert!(implied_likelihood(&normal(0.1, 3.0), &normal(0.0, 3.0)).is_err());
        // A heavy-tailed prior always leaves a proper ratio.
        let t = Prior::Dist(Dist::StudentT {
            nu: 3.0,
            mu: 0.0,
            sigma: 1.0,
        });
        assert!(implied_likelihood(&normal(0.0, 2.0), &t).is_ok());
    }

    #[test]
    fn command_line_priors_are_checked_by_the_table() {
        assert_eq!(
            parse_prior("half_normal(0.5)"),
            Ok(Prior::Dist(Dist::HalfNormal { sigma: 0.5 }))
        );
        assert_eq!(
            parse_prior(" student_t(3, 0, 1) "),
            Ok(Prior::Dist(Dist::StudentT {
                nu: 3.0,
                mu: 0.0,
                sigma: 1.0
            }))
        );
        assert!(parse_prior("normal(0)").is_err());
        assert!(parse_prior("normal(0, -1)").is_err());
        assert!(parse_prior("nromal(0, 1)").is_err());
        assert!(parse_prior("normal 0 1").is_err());
    }
}
