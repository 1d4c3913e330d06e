//! Outcome families: one description per outcome type, read by the
//! checker (default priors, which model statements apply), the diary reader
//! (what a value looks like), lowering (the likelihood, the scale of the
//! data, the unit-information scale) and the report (the effect's scale and
//! its interpretable measure).
//!
//! | type | likelihood | link | effect scale | measure | nuisance |
//! |---|---|---|---|---|---|
//! | continuous | normal (independent or AR(1)) | identity | outcome units | difference in means | sigma (phi) |
//! | binary | Bernoulli | logit | log odds ratio | odds ratio (and risk difference) | – |
//! | binomial | binomial | logit | log odds ratio | odds ratio (and risk difference) | – |
//! | count | Poisson | log | log rate ratio | rate ratio | – |
//! | count overdispersed | negative binomial (NB2) | log | log rate ratio | rate ratio | dispersion |
//! | ordinal | ordered logistic | cumulative logit | log cumulative odds ratio | cumulative odds ratio | cutpoints |
//!
//! Adding a family means adding a row here (`Family` and the `OutcomeType`
//! match arms below), its likelihood in the runtime (`mir::Family`), and
//! its lowering; every other stage reads it from here.

use crate::hir::{Dist, OutcomeType, PriorDist};

/// What every stage needs to know about one outcome family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// The type's keyword (`continuous`, `binary`, `count`, `ordinal`).
    pub name: &'static str,
    pub likelihood: &'static str,
    pub link: &'static str,
    /// The scale of `effect` parameters.
    pub effect_scale: &'static str,
    /// The interpretable measure of an effect.
    pub measure: &'static str,
    /// Whether the measure is `exp(effect)` (ratio scales).
    pub exponentiated: bool,
}

const CONTINUOUS: Family = Family {
    name: "continuous",
    likelihood: "normal",
    link: "identity",
    effect_scale: "outcome units",
    measure: "difference in means",
    exponentiated: false,
};
const BINARY: Family = Family {
    name: "binary",
    likelihood: "Bernoulli",
    link: "logit",
    effect_scale: "log odds ratio",
    measure: "odds ratio",
    exponentiated: true,
};
const BINOMIAL: Family = Family {
    name: "binomial",
    likelihood: "binomial",
    ..BINARY
};
const COUNT: Family = Family {
    name: "count",
    likelihood: "Poisson",
    link: "log",
    effect_scale: "log rate ratio",
    measure: "rate ratio",
    exponentiated: true,
};
const OVERDISPERSED: Family = Family {
    likelihood: "negative binomial (NB2)",
    ..COUNT
};
const ORDINAL: Family = Family {
    name: "ordinal",
    likelihood: "ordered logistic",
    link: "cumulative logit",
    effect_scale: "log cumulative odds ratio",
    measure: "cumulative odds ratio",
    exponentiated: true,
};

/// The documented default priors of a family (docs/language.md, "Default
/// priors"); `None` where the family has no such parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultPriors {
    pub intercept: Option<PriorDist>,
    pub effect: PriorDist,
    /// Trends default like effects, per unit of time.
    pub sigma: Option<PriorDist>,
    pub phi: Option<PriorDist>,
    pub dispersion: Option<PriorDist>,
    pub cutpoints: Option<PriorDist>,
    /// `sigma` and `phi` of a latent AR(1) (`errors ar1` on a binary,
    /// binomial or count outcome), on the link scale.
    pub latent: Option<(PriorDist, PriorDist)>,
    /// The rate of `carryover decay(…)`, per day.
    pub decay_rate: PriorDist,
}

/// Why a diary value is not a value of the outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueProblem {
    /// Continuous outside its declared bounds.
    OutOfBounds { lo: f64, hi: f64 },
    /// Binary other than 0 or 1.
    NotZeroOrOne,
    /// Count below zero.
    NegativeCount,
    /// Count or ordinal level with a fraction.
    NotWhole,
    /// Ordinal outside its levels.
    NotALevel { low: i64, high: i64 },
    /// Binomial successes above the number of trials.
    MoreThanTrials { trials: u64 },
}

fn normal(mu: f64, sigma: f64) -> PriorDist {
    PriorDist::Dist(Dist::Normal { mu, sigma })
}

fn half_normal(sigma: f64) -> PriorDist {
    PriorDist::Dist(Dist::HalfNormal { sigma })
}

impl OutcomeType {
    /// The family's description.
    pub fn family(&self) -> &'static Family {
        match self {
            OutcomeType::Continuous { .. } => &CONTINUOUS,
            OutcomeType::Binary => &BINARY,
            OutcomeType::Binomial { .. } => &BINOMIAL,
            OutcomeType::Count {
                overdispersed: false,
            } => &COUNT,
            OutcomeType::Count {
                overdispersed: true,
            } => &OVERDISPERSED,
            OutcomeType::Ordinal { .. } => &ORDINAL,
        }
    }

    /// The type's keyword.
    pub fn name(&self) -> &'static str {
        self.family().name
    }

    /// The scale effects are reported on.
    pub fn effect_scale(&self) -> &'static str {
        self.family().effect_scale
    }

    /// The default priors: weakly informative on the outcome's own scale.
    pub fn default_priors(&self) -> DefaultPriors {
        let uniform_phi = PriorDist::Dist(Dist::Uniform {
            lower: -1.0,
            upper: 1.0,
        });
        let latent = Some((half_normal(1.0), uniform_phi.clone()));
        let none = DefaultPriors {
            intercept: None,
            effect: normal(0.0, 1.0),
            sigma: None,
            phi: None,
            dispersion: None,
            cutpoints: None,
            latent: None,
            decay_rate: PriorDist::Dist(Dist::Gamma {
                shape: 2.0,
                rate: 2.0,
            }),
        };
        match *self {
            OutcomeType::Continuous {
                bounds: Some((lo, hi)),
            } => {
                let range = hi - lo;
                DefaultPriors {
                    intercept: Some(normal((lo + hi) / 2.0, range / 2.0)),
                    effect: normal(0.0, range / 4.0),
                    sigma: Some(half_normal(range / 4.0)),
                    phi: Some(PriorDist::Dist(Dist::Uniform {
                        lower: -1.0,
                        upper: 1.0,
                    })),
                    ..none
                }
            }
            OutcomeType::Continuous { bounds: None } => DefaultPriors {
                intercept: Some(normal(0.0, 10.0)),
                effect: normal(0.0, 2.5),
                sigma: Some(half_normal(5.0)),
                phi: Some(PriorDist::Dist(Dist::Uniform {
                    lower: -1.0,
                    upper: 1.0,
                })),
                ..none
            },
            OutcomeType::Binary | OutcomeType::Binomial { .. } => DefaultPriors {
                intercept: Some(normal(0.0, 1.5)),
                latent,
                ..none
            },
            OutcomeType::Count { overdispersed } => DefaultPriors {
                intercept: Some(normal(0.0, 2.5)),
                latent,
                dispersion: overdispersed.then_some(PriorDist::Dist(Dist::Gamma {
                    shape: 2.0,
                    rate: 0.1,
                })),
                ..none
            },
            OutcomeType::Ordinal { .. } => DefaultPriors {
                cutpoints: Some(PriorDist::InducedDirichlet { alpha: 1.0 }),
                ..none
            },
        }
    }

    /// Checks one diary value (already a finite number) against the type.
    pub fn check_value(&self, v: f64) -> Result<f64, ValueProblem> {
        match *self {
            OutcomeType::Continuous {
                bounds: Some((lo, hi)),
            } if v < lo || v > hi => Err(ValueProblem::OutOfBounds { lo, hi }),
            OutcomeType::Continuous { .. } => Ok(v),
            OutcomeType::Binary if v == 0.0 || v == 1.0 => Ok(v),
            OutcomeType::Binary => Err(ValueProblem::NotZeroOrOne),
            OutcomeType::Binomial { .. } if v < 0.0 => Err(ValueProblem::NegativeCount),
            OutcomeType::Binomial { .. } if v.fract() != 0.0 => Err(ValueProblem::NotWhole),
            OutcomeType::Binomial { trials: Some(n) } if v > n as f64 => {
                Err(ValueProblem::MoreThanTrials { trials: n })
            }
            OutcomeType::Binomial { .. } => Ok(v),
            OutcomeType::Count { .. } if v < 0.0 => Err(ValueProblem::NegativeCount),
            OutcomeType::Count { .. } if v.fract() != 0.0 => Err(ValueProblem::NotWhole),
            OutcomeType::Count { .. } => Ok(v),
            OutcomeType::Ordinal { low, high }
                if v.fract() == 0.0 && v >= low as f64 && v <= high as f64 =>
            {
                Ok(v)
            }
            OutcomeType::Ordinal { low, high } => Err(ValueProblem::NotALevel { low, high }),
        }
    }

    /// What a value looks like, for diagnostics.
    pub fn expected_value(&self) -> String {
        match *self {
            OutcomeType::Continuous {
                bounds: Some((lo, hi)),
            } => format!("a number from {lo} to {hi}"),
            OutcomeType::Continuous { bounds: None } => "a number".into(),
            OutcomeType::Binary => "0 or 1".into(),
            OutcomeType::Binomial { trials: Some(n) } => {
                format!("a whole number of successes from 0 to {n}")
            }
            OutcomeType::Binomial { trials: None } => {
                "a whole number of successes, at most the day's trials".into()
            }
            OutcomeType::Count { .. } => "a whole number 0, 1, 2, …".into(),
            OutcomeType::Ordinal { low, high } => format!("a whole number from {low} to {high}"),
        }
    }

    /// A diary value as the runtime's likelihood takes it: ordinal levels
    /// `low..=high` become categories `1..=K`; other values are themselves.
    pub fn model_value(&self, v: f64) -> f64 {
        match *self {
            OutcomeType::Ordinal { low, .. } => v - low as f64 + 1.0,
            _ => v,
        }
    }

    /// Number of ordinal categories K (0 for other types).
    pub fn levels(&self) -> usize {
        match *self {
            OutcomeType::Ordinal { low, high } => {
                usize::try_from(high.saturating_sub(low).saturating_add(1)).unwrap_or(0)
            }
            _ => 0,
        }
    }

    /// The unit-information scale U, the sd of a default vague component
    /// of an LFM prior: for a continuous outcome with bounds `[lo, hi]`,
    /// `(hi - lo) / 2` (the largest shift that stays inside the scale from
    /// its middle); without bounds, 2.5 sample SDs of the analysed values
    /// `y` (2.5 when that SD is 0 or undefined); on link scales (binary,
    /// count, ordinal) 2.5 — the "weakly informative" 2.5 of Gelman et al.
    /// (2008).
    pub fn unit_scale(&self, y: &[f64]) -> f64 {
        match *self {
            OutcomeType::Continuous {
                bounds: Some((lo, hi)),
            } if hi > lo => (hi - lo) / 2.0,
            OutcomeType::Continuous { .. } => {
                let n = y.len() as f64;
                if y.len() < 2 {
                    return 2.5;
                }
                let mean = y.iter().sum::<f64>() / n;
                let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
                if sd.is_finite() && sd > 0.0 {
                    2.5 * sd
                } else {
                    2.5
                }
            }
            _ => 2.5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_defaults_for_exactly_its_parameters() {
        let kinds = [
            OutcomeType::Continuous { bounds: None },
            OutcomeType::Continuous {
                bounds: Some((0.0, 10.0)),
            },
            OutcomeType::Binary,
            OutcomeType::Binomial { trials: Some(10) },
            OutcomeType::Binomial { trials: None },
            OutcomeType::Count {
                overdispersed: false,
            },
            OutcomeType::Count {
                overdispersed: true,
            },
            OutcomeType::Ordinal { low: 1, high: 5 },
        ];
        for k in kinds {
            let d = k.default_priors();
            let continuous = matches!(k, OutcomeType::Continuous { .. });
            let ordinal = matches!(k, OutcomeType::Ordinal { .. });
            assert_eq!(d.sigma.is_some(), continuous, "{k:?}");
            assert_eq!(d.phi.is_some(), continuous, "{k:?}");
            assert_eq!(d.cutpoints.is_some(), ordinal, "{k:?}");
            assert_eq!(d.intercept.is_some(), !ordinal, "{k:?}");
            assert_eq!(
                d.dispersion.is_some(),
                k == OutcomeType::Count {
                    overdispersed: true
                },
                "{k:?}"
            );
            assert_eq!(k.family().exponentiated, !continuous, "{k:?}");
            // A latent AR(1) where `errors ar1` is a latent process.
            assert_eq!(d.latent.is_some(), !continuous && !ordinal, "{k:?}");
        }
    }

    #[test]
    fn diary_values_are_checked_by_type() {
        let bounded = OutcomeType::Continuous {
            bounds: Some((0.0, 10.0)),
        };
        assert_eq!(bounded.check_value(10.0), Ok(10.0));
        assert!(bounded.check_value(10.5).is_err());
        assert_eq!(
            OutcomeType::Binary.check_value(0.5),
            Err(ValueProblem::NotZeroOrOne)
        );
        let count = OutcomeType::Count {
            overdispersed: false,
        };
        assert_eq!(count.check_value(-1.0), Err(ValueProblem::NegativeCount));
        assert_eq!(count.check_value(1.5), Err(ValueProblem::NotWhole));
        let ordinal = OutcomeType::Ordinal { low: 0, high: 4 };
        assert_eq!(ordinal.check_value(4.0), Ok(4.0));
        assert!(ordinal.check_value(5.0).is_err());
        assert_eq!(ordinal.model_value(0.0), 1.0);
        let binomial = OutcomeType::Binomial { trials: Some(8) };
        assert_eq!(binomial.check_value(8.0), Ok(8.0));
        assert_eq!(
            binomial.check_value(9.0),
            Err(ValueProblem::MoreThanTrials { trials: 8 })
        );
        assert_eq!(binomial.check_value(2.5), Err(ValueProblem::NotWhole));
        assert_eq!(
            OutcomeType::Binomial { trials: None }.check_value(1e6),
            Ok(1e6)
        );
        assert_eq!(ordinal.levels(), 5);
    }

    #[test]
    fn the_unit_scale_is_half_the_range_or_two_and_a_half_sds() {
        let bounded = OutcomeType::Continuous {
            bounds: Some((0.0, 10.0)),
        };
        assert_eq!(bounded.unit_scale(&[]), 5.0);
        let free = OutcomeType::Continuous { bounds: None };
        // Sample SD of 1, 2, 3 is 1.
        assert!((free.unit_scale(&[1.0, 2.0, 3.0]) - 2.5).abs() < 1e-12);
        assert!((free.unit_scale(&[2.0, 4.0, 6.0]) - 5.0).abs() < 1e-12);
        assert_eq!(free.unit_scale(&[3.0, 3.0]), 2.5);
        assert_eq!(OutcomeType::Binary.unit_scale(&[0.0, 1.0]), 2.5);
    }
}
