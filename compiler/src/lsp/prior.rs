//! What a prior written in the spec amounts to: its components (mixtures
//! multiplied out, presets and LFM hypotheses resolved and tempered) and
//! its mean, sd and central 90% interval.
//!
//! Normal and normal-mixture priors (every LFM prior) are summarised by
//! `analysis::effects::prior_summary`, the summary the report prints. Other
//! distributions use their exact CDFs and quantile functions (statrs; the
//! folded ones through their unfolded parent), and a mixture's quantile is
//! found by bisection on its CDF between the components' own quantiles,
//! which bracket it.

use statrs::distribution::{
    Beta, Cauchy, ContinuousCDF, Exp, Gamma, LogNormal, Normal, StudentsT, Uniform,
};
use statrs::statistics::Distribution as _;
use trialc_runtime::mir::{self, Dist, MixtureComponent};

use crate::analysis::effects::prior_summary;
use crate::hypotheses::{HypothesesFile, Hypothesis};
use crate::stdlib;
use crate::syntax::{self, ast};

/// Mean, sd (when they exist) and the central 90% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub q5: f64,
    pub q95: f64,
}

/// An LFM hypothesis turned into a prior by `discount` and `robust`.
#[derive(Debug, Clone)]
pub struct Tempered {
    pub source: String,
    pub hypothesis: Hypothesis,
    pub file: HypothesesFile,
    /// `discount w`, 1 when not written.
    pub discount: f64,
    /// `robust r`, 0 when not written.
    pub robust: f64,
    /// The informative part: the hypothesis' normal (or its mixture), each sd
    /// divided by √w.
    pub informative: Vec<(f64, Dist)>,
    /// The vague component's parts; `None` when the spec leaves it to the
    /// default, whose scale depends on the diary.
    pub vague: Option<Vec<(f64, Dist)>>,
}

/// A prior flattened into weighted components.
#[derive(Debug, Clone, Default)]
pub struct Flat {
    pub components: Vec<(f64, Dist)>,
    /// False when a part is unknown until the diary is read (a default
    /// vague component): `components` then lacks it.
    pub complete: bool,
    pub tempered: Vec<Tempered>,
    /// `induced_dirichlet(alpha)`: a joint prior, no components.
    pub cutpoints: Option<f64>,
}

/// Looks a hypothesis up by (source, id): the hypothesis and its file.
pub type Lookup<'a> = &'a dyn Fn(&str, &str) -> Option<(Hypothesis, HypothesesFile)>;

/// Where presets and hypotheses come from.
pub struct Context<'a> {
    /// The spec's own `prior NAME = …` declarations.
    pub file: &'a ast::File,
    /// Hypotheses by (source, id).
    pub hypothesis: Lookup<'a>,
}

/// The prior preset `name`: the spec's own, else the standard library's,
/// with its doc comment.
pub fn preset(file: &ast::File, name: &str) -> Option<(ast::Prior, Option<String>, bool)> {
    let find = |f: &ast::File| {
        f.items.iter().find_map(|i| match &i.kind {
            ast::ItemKind::PriorPreset(p) if p.name.node == name => {
                Some((p.prior.clone(), i.doc.clone()))
            }
            _ => None,
        })
    };
    if let Some((p, doc)) = find(file) {
        return Some((p, doc, false));
    }
    let (std, _) = syntax::parse(stdlib::module("std.priors")?);
    find(&std).map(|(p, doc)| (p, doc, true))
}

/// Flattens `prior`; `Err` says why it cannot be (an unknown preset, a
/// hypothesis not in its file, arguments a distribution refuses).
pub fn flatten(prior: &ast::Prior, cx: &Context<'_>) -> Result<Flat, String> {
    let mut flat = Flat {
        complete: true,
        ..Flat::default()
    };
    add(prior, 1.0, cx, &mut flat, 0)?;
    Ok(flat)
}

fn add(
    prior: &ast::Prior,
    weight: f64,
    cx: &Context<'_>,
    flat: &mut Flat,
    depth: usize,
) -> Result<(), String> {
    if depth > 16 {
        return Err("presets refer to each other in a loop".to_string());
    }
    match &prior.kind {
        ast::PriorKind::Distribution { name, args } => {
            let values: Vec<f64> = args.iter().map(|a| a.node).collect();
            if name.node == "induced_dirichlet" {
                flat.cutpoints = values.first().copied();
                return Ok(());
            }
            let dist = Dist::from_args(&name.node, &values).map_err(|e| e.to_string())?;
            flat.components.push((weight, dist));
        }
        ast::PriorKind::Mixture(parts) => {
            for part in parts {
                add(&part.prior, weight * part.weight.node, cx, flat, depth + 1)?;
            }
        }
        ast::PriorKind::Preset(name) => {
            let (p, _, _) = preset(cx.file, &name.node)
                .ok_or_else(|| format!("there is no prior preset `{}`", name.node))?;
            add(&p, weight, cx, flat, depth + 1)?;
        }
        ast::PriorKind::Hypothesis {
            source,
            id,
            discount,
            robust,
            vague,
        } => {
            let (hypothesis, file) = (cx.hypothesis)(&source.node, &id.node).ok_or_else(|| {
                format!(
                    "hypothesis `{}.{}` is not in the hypotheses file",
                    source.node, id.node
                )
            })?;
            let w = discount.as_ref().map_or(1.0, |d| d.node);
            let r = robust.as_ref().map_or(0.0, |r| r.node);
            if !(w > 0.0 && w <= 1.0 && (0.0..1.0).contains(&r)) {
                return Err("discount must be in (0, 1] and robust in [0, 1)".to_string());
            }
            let effect = &hypothesis.effect;
            if !(effect.mean.is_finite() && effect.sd.is_finite() && effect.sd > 0.0) {
                return Err("the hypothesis has no usable effect".to_string());
            }
            let informative: Vec<(f64, Dist)> = match &effect.mixture {
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
                        mu: effect.mean,
                        sigma: effect.sd / w.sqrt(),
                    },
                )],
            };
            let vague_parts = match vague {
                Some(v) => {
                    let mut inner = Flat {
                        complete: true,
                        ..Flat::default()
                    };
                    add(v, 1.0, cx, &mut inner, depth + 1)?;
                    Some(inner.components)
                }
                None => None,
            };
            let keep = if r > 0.0 { 1.0 - r } else { 1.0 };
            flat.components.extend(
                informative
                    .iter()
                    .map(|(wk, d)| (weight * keep * wk, d.clone())),
            );
            if r > 0.0 {
                match &vague_parts {
                    Some(parts) => flat
                        .components
                        .extend(parts.iter().map(|(wv, d)| (weight * r * wv, d.clone()))),
                    None => flat.complete = false,
                }
            }
            flat.tempered.push(Tempered {
                source: source.node.clone(),
                hypothesis,
                file,
                discount: w,
                robust: r,
                informative,
                vague: vague_parts,
            });
        }
    }
    Ok(())
}

/// The summary of weighted components (weights summing to 1).
pub fn summary(components: &[(f64, Dist)]) -> Option<Summary> {
    if components.is_empty() {
        return None;
    }
    let as_prior = match components {
        [(_, d)] => mir::Prior::Dist(d.clone()),
        _ => mir::Prior::Mixture(
            components
                .iter()
                .map(|(weight, dist)| MixtureComponent {
                    weight: *weight,
                    dist: dist.clone(),
                })
                .collect(),
        ),
    };
    if let Some(s) = prior_summary(&as_prior) {
        return Some(Summary {
            mean: Some(s.mean),
            sd: Some(s.sd),
            q5: s.q5,
            q95: s.q95,
        });
    }
    let total: f64 = components.iter().map(|(w, _)| w).sum();
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    let mut mean = Some(0.0);
    let mut second = Some(0.0);
    for (w, d) in components {
        let (m, v) = moments(d);
        mean = mean.zip(m).map(|(acc, m)| acc + w / total * m);
        second = second
            .zip(m.zip(v))
            .map(|(acc, (m, v))| acc + w / total * (v + m * m));
    }
    let sd = mean.zip(second).map(|(m, s)| (s - m * m).max(0.0).sqrt());
    Some(Summary {
        mean,
        sd,
        q5: mixture_quantile(components, total, 0.05)?,
        q95: mixture_quantile(components, total, 0.95)?,
    })
}

fn mixture_quantile(components: &[(f64, Dist)], total: f64, p: f64) -> Option<f64> {
    if let [(_, d)] = components {
        return Some(quantile(d, p)).filter(|q| q.is_finite());
    }
    // F(x) = Σ w_k F_k(x) lies between min_k F_k(x) and max_k F_k(x), so the
    // p-quantile lies between the smallest and largest component p-quantile.
    let qs: Vec<f64> = components.iter().map(|(_, d)| quantile(d, p)).collect();
    let (mut lo, mut hi) = (
        qs.iter().copied().fold(f64::INFINITY, f64::min),
        qs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let cdf = |x: f64| {
        components
            .iter()
            .map(|(w, d)| w / total * cdf(d, x))
            .sum::<f64>()
    };
    let width = (hi - lo).max(f64::MIN_POSITIVE);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * width {
            break;
        }
    }
    Some(0.5 * (lo + hi))
}

/// The CDF of one distribution of the table.
pub fn cdf(d: &Dist, x: f64) -> f64 {
    let folded = |parent: f64| (2.0 * parent - 1.0).max(0.0);
    match *d {
        Dist::Normal { mu, sigma } => Normal::new(mu, sigma).map_or(f64::NAN, |n| n.cdf(x)),
        Dist::StudentT { nu, mu, sigma } => {
            StudentsT::new(mu, sigma, nu).map_or(f64::NAN, |t| t.cdf(x))
        }
        Dist::Cauchy { mu, sigma } => Cauchy::new(mu, sigma).map_or(f64::NAN, |c| c.cdf(x)),
        Dist::LogNormal { mu, sigma } => LogNormal::new(mu, sigma).map_or(f64::NAN, |l| l.cdf(x)),
        Dist::HalfNormal { sigma } if x > 0.0 => {
            folded(Normal::new(0.0, sigma).map_or(f64::NAN, |n| n.cdf(x)))
        }
        Dist::HalfStudentT { nu, sigma } if x > 0.0 => {
            folded(StudentsT::new(0.0, sigma, nu).map_or(f64::NAN, |t| t.cdf(x)))
        }
        Dist::HalfNormal { .. } | Dist::HalfStudentT { .. } => 0.0,
        Dist::Exponential { rate } => Exp::new(rate).map_or(f64::NAN, |e| e.cdf(x)),
        Dist::Gamma { shape, rate } => Gamma::new(shape, rate).map_or(f64::NAN, |g| g.cdf(x)),
        Dist::Beta { a, b } => Beta::new(a, b).map_or(f64::NAN, |b| b.cdf(x)),
        Dist::Uniform { lower, upper } => Uniform::new(lower, upper).map_or(f64::NAN, |u| u.cdf(x)),
    }
}

/// The p-quantile of one distribution of the table.
pub fn quantile(d: &Dist, p: f64) -> f64 {
    // A folded distribution's p-quantile is its parent's (1 + p)/2-quantile.
    let up = 0.5 * (1.0 + p);
    match *d {
        Dist::Normal { mu, sigma } => Normal::new(mu, sigma).map_or(f64::NAN, |n| n.inverse_cdf(p)),
        Dist::StudentT { nu, mu, sigma } => {
            StudentsT::new(mu, sigma, nu).map_or(f64::NAN, |t| t.inverse_cdf(p))
        }
        Dist::Cauchy { mu, sigma } => Cauchy::new(mu, sigma).map_or(f64::NAN, |c| c.inverse_cdf(p)),
        Dist::LogNormal { mu, sigma } => {
            LogNormal::new(mu, sigma).map_or(f64::NAN, |l| l.inverse_cdf(p))
        }
        Dist::HalfNormal { sigma } => {
            Normal::new(0.0, sigma).map_or(f64::NAN, |n| n.inverse_cdf(up))
        }
        Dist::HalfStudentT { nu, sigma } => {
            StudentsT::new(0.0, sigma, nu).map_or(f64::NAN, |t| t.inverse_cdf(up))
        }
        Dist::Exponential { rate } => Exp::new(rate).map_or(f64::NAN, |e| e.inverse_cdf(p)),
        Dist::Gamma { shape, rate } => {
            Gamma::new(shape, rate).map_or(f64::NAN, |g| g.inverse_cdf(p))
        }
        Dist::Beta { a, b } => Beta::new(a, b).map_or(f64::NAN, |b| b.inverse_cdf(p)),
        Dist::Uniform { lower, upper } => lower + p * (upper - lower),
    }
}

/// Mean and variance, when they exist.
pub fn moments(d: &Dist) -> (Option<f64>, Option<f64>) {
    use std::f64::consts::PI;
    match *d {
        Dist::Normal { mu, sigma } => (Some(mu), Some(sigma * sigma)),
        Dist::StudentT { nu, mu, sigma } => (
            (nu > 1.0).then_some(mu),
            (nu > 2.0).then(|| sigma * sigma * nu / (nu - 2.0)),
        ),
        Dist::Cauchy { .. } => (None, None),
        Dist::LogNormal { mu, sigma } => {
            let s2 = sigma * sigma;
            (
                Some((mu + s2 / 2.0).exp()),
                Some((s2.exp() - 1.0) * (2.0 * mu + s2).exp()),
            )
        }
        Dist::HalfNormal { sigma } => (
            Some(sigma * (2.0 / PI).sqrt()),
            Some(sigma * sigma * (1.0 - 2.0 / PI)),
        ),
        Dist::HalfStudentT { nu, sigma } => {
            use statrs::function::gamma::ln_gamma;
            // E|T| = 2 σ √ν Γ((ν+1)/2) / (√π Γ(ν/2) (ν − 1)), ν > 1.
            let mean = (nu > 1.0).then(|| {
                2.0 * sigma * nu.sqrt() * (ln_gamma((nu + 1.0) / 2.0) - ln_gamma(nu / 2.0)).exp()
                    / (PI.sqrt() * (nu - 1.0))
            });
            let variance = mean
                .filter(|_| nu > 2.0)
                .map(|m| sigma * sigma * nu / (nu - 2.0) - m * m);
            (mean, variance)
        }
        Dist::Exponential { rate } => (Some(1.0 / rate), Some(1.0 / (rate * rate))),
        Dist::Gamma { shape, rate } => (Some(shape / rate), Some(shape / (rate * rate))),
        Dist::Beta { a, b } => Beta::new(a, b)
            .map(|d| (d.mean(), d.variance()))
            .unwrap_or((None, None)),
        Dist::Uniform { lower, upper } => (
            Some(0.5 * (lower + upper)),
            Some((upper - lower).powi(2) / 12.0),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Z95: f64 = 1.644_853_626_951_472_2;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn single_distributions_match_closed_forms() {
        let s = summary(&[(
            1.0,
            Dist::Normal {
                mu: 1.0,
                sigma: 2.0,
            },
        )])
        .expect("normal");
        assert!(close(s.q95, 1.0 + 2.0 * Z95, 1e-9), "{s:?}");
        assert!(close(s.q5, 1.0 - 2.0 * Z95, 1e-9));
        assert_eq!(s.mean, Some(1.0));

        // Half-normal: q = σ Φ⁻¹((1 + p)/2); Φ⁻¹(0.975) = 1.959963984540054.
        let s = summary(&[(1.0, Dist::HalfNormal { sigma: 2.0 })]).expect("half");
        assert!(close(s.q95, 2.0 * 1.959_963_984_540_054, 1e-9), "{s:?}");
        assert!(close(
            s.mean.unwrap_or(0.0),
            2.0 * (2.0 / std::f64::consts::PI).sqrt(),
            1e-12
        ));

        let s = summary(&[(1.0, Dist::Exponential { rate: 0.5 })]).expect("exp");
        assert!(close(s.q95, -(0.05f64.ln()) / 0.5, 1e-9), "{s:?}");
        assert!(close(s.q5, -(0.95f64.ln()) / 0.5, 1e-9));

        let s = summary(&[(
            1.0,
            Dist::Uniform {
                lower: -1.0,
                upper: 1.0,
            },
        )])
        .expect("uniform");
        assert!(close(s.q5, -0.9, 1e-12) && close(s.q95, 0.9, 1e-12));
        assert!(close(s.sd.unwrap_or(0.0), (4.0f64 / 12.0).sqrt(), 1e-12));

        // Cauchy: no mean, quantile μ + σ tan(π (p − 1/2)).
        let s = summary(&[(
            1.0,
            Dist::Cauchy {
                mu: 0.0,
                sigma: 1.0,
            },
        )])
        .expect("cauchy");
        assert_eq!(s.mean, None);
        assert!(
            close(s.q95, (std::f64::consts::PI * 0.45).tan(), 1e-9),
            "{s:?}"
        );

        // Student-t with 1 degree of freedom is the Cauchy.
        let t = quantile(
            &Dist::StudentT {
                nu: 1.0,
                mu: 0.0,
                sigma: 1.0,
            },
            0.95,
        );
        assert!(close(t, (std::f64::consts::PI * 0.45).tan(), 1e-6), "{t}");
    }

    #[test]
    fn half_student_t_mean_matches_its_integral() {
        // ν = 3, σ = 1: E|T| = 2√3 / π.
        let (m, v) = moments(&Dist::HalfStudentT {
            nu: 3.0,
            sigma: 1.0,
        });
        assert!(close(
            m.unwrap_or(0.0),
            2.0 * 3f64.sqrt() / std::f64::consts::PI,
            1e-12
        ));
        assert!(close(
            v.unwrap_or(0.0),
            3.0 - 12.0 / std::f64::consts::PI.powi(2),
            1e-12
        ));
    }

    #[test]
    fn mixture_quantiles_solve_the_mixture_cdf() {
        let parts = [
            (0.7, Dist::HalfNormal { sigma: 1.0 }),
            (
                0.3,
                Dist::Gamma {
                    shape: 2.0,
                    rate: 0.5,
                },
            ),
        ];
        let s = summary(&parts).expect("mixture");
        let f = |x: f64| parts.iter().map(|(w, d)| w * cdf(d, x)).sum::<f64>();
        assert!((f(s.q5) - 0.05).abs() < 1e-9, "{}", f(s.q5));
        assert!((f(s.q95) - 0.95).abs() < 1e-9, "{}", f(s.q95));
        let mean = 0.7 * (2.0 / std::f64::consts::PI).sqrt() + 0.3 * 4.0;
        assert!(close(s.mean.unwrap_or(0.0), mean, 1e-12));
    }
}
