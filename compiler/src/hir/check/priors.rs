//! Priors: distributions, presets, mixtures, LFM hypotheses; support checks.

use super::*;
use trialc_runtime::mir::{DistArgError, DistKind, DistSupport};

/// What a parameter's prior must support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Support {
    /// Effects, intercept, trend, carryover: the whole real line.
    Real,
    /// Scales and dispersions: (0, ∞).
    Positive,
    /// AR(1) coefficient: (-1, 1).
    Correlation,
    /// Ordered cutpoints.
    Cutpoints,
}

impl Support {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Support::Real => "any real value",
            Support::Positive => "positive values",
            Support::Correlation => "values in (-1, 1)",
            Support::Cutpoints => "ordered cutpoints",
        }
    }
}

impl Checker {
    pub(super) fn prior(
        &mut self,
        prior: &ast::Prior,
        support: Support,
        effect: bool,
        hypotheses: &[HypothesesSource],
    ) -> Option<Prior> {
        self.prior_depth(prior, support, effect, hypotheses, 0)
    }

    pub(super) fn prior_depth(
        &mut self,
        prior: &ast::Prior,
        support: Support,
        effect: bool,
        hypotheses: &[HypothesesSource],
        depth: usize,
    ) -> Option<Prior> {
        let dist = match &prior.kind {
            ast::PriorKind::Distribution { name, args } => {
                self.distribution(name, args, prior.span, support)?
            }
            ast::PriorKind::Preset(name) => {
                let Some(preset) = self.presets.get(&name.node).cloned() else {
                    if self.blame_failed_import("prior", name) {
                        return None;
                    }
                    let known: Vec<&str> = self.presets.keys().map(String::as_str).collect();
                    self.push(
                        Diagnostic::error(codes::E0206, format!("there is no prior `{}`", name.node))
                            .with_primary(name.span, "unknown prior")
                            .with_help(if known.is_empty() {
                                "import presets with `use std.priors.*`, or write a distribution such as `normal(0, 1)`".to_string()
                            } else {
                                suggestion("prior", &name.node, &known)
                            }),
                    );
                    return None;
                };
                if depth > 8 {
                    self.push(
                        Diagnostic::error(
                            codes::E0206,
                            format!("prior `{}` refers to itself", name.node),
                        )
                        .with_primary(name.span, "circular prior"),
                    );
                    return None;
                }
                let before = self.diagnostics.len();
                let resolved = self.prior_depth(&preset, support, effect, hypotheses, depth + 1);
                // Problems inside a preset point at its definition (or import);
                // also show where this spec uses it.
                for d in &mut self.diagnostics[before..] {
                    d.labels.push(crate::diagnostic::Label {
                        file: None,
                        span: name.span,
                        message: format!("`{}` used here", name.node),
                        primary: false,
                    });
                }
                let mut resolved = resolved?;
                resolved.span = prior.span;
                return Some(resolved);
            }
            ast::PriorKind::Mixture(components) => {
                let mut parts = Vec::new();
                let mut ok = true;
                let mut total = 0.0;
                for component in components {
                    let w = component.weight.node;
                    if !(w > 0.0 && w < 1.0) {
                        ok = false;
                        self.push(
                            Diagnostic::error(
                                codes::E0509,
                                format!("mixture weight {w} is not between 0 and 1"),
                            )
                            .with_primary(component.weight.span, "weight")
                            .with_help(
                                "each weight must be in (0, 1) and the weights must add up to 1",
                            ),
                        );
                    }
                    total += w;
                    match self.prior_depth(&component.prior, support, effect, hypotheses, depth + 1)
                    {
                        Some(p) => parts.push((w, p)),
                        None => ok = false,
                    }
                }
                if ok && (total - 1.0).abs() > 1e-9 {
                    self.push(
                        Diagnostic::error(
                            codes::E0509,
                            format!(
                                "the mixture weights add up to {}, not 1",
                                (total * 1e9).round() / 1e9
                            ),
                        )
                        .with_primary(prior.span, "this mixture")
                        .with_help("make the weights add up to exactly 1"),
                    );
                    return None;
                }
                if !ok {
                    return None;
                }
                PriorDist::Mixture(parts)
            }
            ast::PriorKind::Hypothesis {
                source,
                id,
                discount,
                robust,
                vague,
            } => {
                if !effect {
                    self.push(
                        Diagnostic::error(codes::E0515, "an LFM hypothesis can only be the prior of a treatment effect")
                            .with_primary(prior.span, "hypothesis used here")
                            .with_note("hypotheses state how much an intervention changes the outcome, not the outcome's level or noise")
                            .with_help("use it as `effect ARM ~ lfm.H1 …`"),
                    );
                    return None;
                }
                let mut ok = true;
                if !hypotheses.iter().any(|h| h.name == source.node) {
                    ok = false;
                    let names: Vec<&str> = hypotheses.iter().map(|h| h.name.as_str()).collect();
                    self.push(
                        Diagnostic::error(
                            codes::E0203,
                            format!("there are no hypotheses named `{}`", source.node),
                        )
                        .with_primary(source.span, "unknown hypotheses source")
                        .with_help(if names.is_empty() {
                            format!(
                                "declare them: `hypotheses {} from \"file.json\"`",
                                source.node
                            )
                        } else {
                            suggestion("hypotheses source", &source.node, &names)
                        }),
                    );
                }
                if let Some(w) = discount {
                    if !(w.node > 0.0 && w.node <= 1.0) {
                        ok = false;
                        self.push(
                            Diagnostic::error(codes::E0510, format!("discount {} is not in (0, 1]", w.node))
                                .with_primary(w.span, "discount")
                                .with_note("the discount w inflates the hypothesis' variance: sd becomes sd / sqrt(w); 1 keeps it")
                                .with_help("use a value such as 0.5 (half the information)"),
                        );
                    }
                }
                if let Some(r) = robust {
                    if !(r.node >= 0.0 && r.node < 1.0) {
                        ok = false;
                        self.push(
                            Diagnostic::error(codes::E0511, format!("robust weight {} is not in [0, 1)", r.node))
                                .with_primary(r.span, "robust weight")
                                .with_note("the robust weight is the prior probability that the hypothesis does not apply to this person")
                                .with_help("use a value such as 0.2"),
                        );
                    }
                }
                let vague = match vague {
                    Some(v) => {
                        match self.prior_depth(v, Support::Real, false, hypotheses, depth + 1) {
                            Some(p) => Some(Box::new(p)),
                            None => {
                                ok = false;
                                None
                            }
                        }
                    }
                    None => None,
                };
                if !ok {
                    return None;
                }
                PriorDist::Hypothesis {
                    source: source.node.clone(),
                    id: id.node.clone(),
                    discount: discount.as_ref().map(|w| w.node).unwrap_or(1.0),
                    robust: robust.as_ref().map(|r| r.node).unwrap_or(0.0),
                    vague,
                }
            }
        };
        Some(Prior {
            dist,
            default: false,
            span: prior.span,
        })
    }

    pub(super) fn distribution(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Spanned<f64>],
        span: Span,
        support: Support,
    ) -> Option<PriorDist> {
        let Some(kind) = DistKind::from_name(&name.node) else {
            let known: Vec<&str> = DistKind::ALL.iter().map(|k| k.name()).collect();
            self.push(
                Diagnostic::error(
                    codes::E0501,
                    format!("there is no distribution `{}`", name.node),
                )
                .with_primary(name.span, "unknown distribution")
                .with_help(suggestion("distribution", &name.node, &known)),
            );
            return None;
        };
        let info = kind.info();
        let values: Vec<f64> = args.iter().map(|a| a.node).collect();
        let errors = kind.arg_errors(&values);
        for e in &errors {
            let d = match e {
                DistArgError::Arity { given, .. } => Diagnostic::error(codes::E0502, e.to_string())
                    .with_primary(span, format!("{given} given"))
                    .with_help(format!("write `{}`", info.signature())),
                DistArgError::Rule { index, .. } => {
                    let param = info.params.get(*index);
                    let (param, rule) =
                        param.map_or(("argument", "valid"), |p| (p.name, p.rule.describe()));
                    Diagnostic::error(codes::E0503, e.to_string())
                        .with_primary(
                            args.get(*index).map_or(span, |a| a.span),
                            format!("invalid {param}"),
                        )
                        .with_help(format!("give `{param}` a {rule} value"))
                }
                DistArgError::Order { .. } => Diagnostic::error(codes::E0503, e.to_string())
                    .with_primary(span, "empty interval")
                    .with_help("write the lower end first"),
                // `from_name` found it, and arity errors come alone.
                DistArgError::Unknown { .. } | DistArgError::NotUnivariate { .. } => continue,
            };
            self.push(d);
        }
        if !errors.is_empty() {
            return None;
        }
        let dist = if kind.is_univariate() {
            PriorDist::Dist(Dist::from_args(kind.name(), &values).ok()?)
        } else {
            PriorDist::InducedDirichlet {
                alpha: values.first().copied()?,
            }
        };
        // Does the distribution's support fit the parameter's?
        let fits = match (support, info.support) {
            (Support::Cutpoints, DistSupport::OrderedCutpoints) => true,
            (Support::Real, DistSupport::Real) => true,
            (Support::Positive, DistSupport::Positive) => true,
            (Support::Correlation, DistSupport::UnitInterval) => true,
            (Support::Correlation, DistSupport::Between) => info
                .support
                .bounds(&values)
                .is_some_and(|(lo, hi)| lo >= -1.0 && hi <= 1.0),
            _ => false,
        };
        if !fits {
            let help = match support {
                Support::Real => "use normal, student_t or cauchy (or a mixture of them) for effects, intercepts and trends",
                Support::Positive => "use half_normal, half_student_t, exponential, gamma or lognormal for scales",
                Support::Correlation => "use uniform(a, b) with -1 <= a < b <= 1, or beta(a, b) for a positive autocorrelation",
                Support::Cutpoints => "use `cutpoints ~ induced_dirichlet(alpha)`",
            };
            self.push(
                Diagnostic::error(codes::E0504, format!("`{}` does not fit a parameter that takes {}", kind.name(), support.describe()))
                    .with_primary(span, "prior with the wrong support")
                    .with_note("a prior that puts mass where the parameter cannot go, or none where it can, changes the analysis silently")
                    .with_help(help),
            );
            return None;
        }
        Some(dist)
    }
}
