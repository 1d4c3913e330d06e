//! Model IR (MIR): what the compiler lowers a trial spec into, and its
//! evaluator [`MirDensity`], a [`LogDensity`](crate::density::LogDensity) with exact analytic gradients.
//!
//! The IR is deliberately small: named parameters with a constraining
//! transform, one prior per parameter, and likelihood blocks made of a linear
//! predictor (intercept + arm-effect indicators + centred trend + carryover
//! indicators + diary covariates, all given as data columns, plus an
//! optional lagged outcome, decaying carryover and latent AR(1) process)
//! and one outcome family from `docs/model.md`.
//!
//! Evaluation: eta is formed column by column, each family's fused kernel
//! makes one pass over the observations computing the value, d logp / d eta
//! and the nuisance derivatives in closed form, then X' (d logp / d eta) goes
//! into the coefficients' gradient and the transforms' chain rule finishes
//! the job. The buffers live in per-thread scratch reused across calls, so
//! an evaluation allocates nothing (after the first on a thread).
//!
//! Layout: this module holds the IR types; `dist` the univariate
//! distributions and the prior kernels, `likelihood` the family kernels and
//! the AR(1) gap terms, `eval` the evaluator and its scratch buffers, `table`
//! the table of the distributions a spec can write ([`DISTRIBUTIONS`]).

mod dist;
mod eval;
mod likelihood;
pub mod simulate;
mod table;

pub use dist::Dist;
pub use eval::MirDensity;
pub use table::{
    DistArgError, DistInfo, DistKind, DistSupport, ParamInfo, ParamRule, DISTRIBUTIONS,
};

use crate::density::Transform;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Index of a parameter in [`Model::params`].
pub type ParamId = usize;

/// A (possibly vector-valued) parameter of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// Name shown in reports and errors.
    pub name: String,
    /// Constraining transform; its log-Jacobian is part of the density.
    pub transform: Transform,
    /// Number of elements (1 for a scalar).
    pub size: usize,
    /// Byte span in the spec source that declared it, filled by the compiler
    /// so that runtime errors can point at the spec.
    pub origin: Option<(usize, usize)>,
}

/// One component of a finite mixture prior.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixtureComponent {
    pub weight: f64,
    pub dist: Dist,
}

/// A prior, applied element-wise to every element of its parameter (except
/// `InducedDirichlet`, which is a joint prior on an ordered cutpoint vector).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Prior {
    Dist(Dist),
    /// Finite mixture with fixed weights summing to 1, marginalised in the
    /// density (robust LFM priors).
    Mixture(Vec<MixtureComponent>),
    /// Betancourt's induced Dirichlet on K-1 cutpoints (anchor 0), `alpha`
    /// has K entries.
    InducedDirichlet {
        alpha: Vec<f64>,
    },
}

impl Prior {
    /// The normalised density of a scalar prior at `x` (a mixture's is the
    /// weighted sum of its components'); `None` for the joint induced
    /// Dirichlet on cutpoints.
    pub fn density(&self, x: f64) -> Option<f64> {
        match self {
            Prior::Dist(d) => Some(d.log_density(x).0.exp()),
            Prior::Mixture(components) => Some(
                components
                    .iter()
                    .map(|c| c.weight * c.dist.log_density(x).0.exp())
                    .sum(),
            ),
            Prior::InducedDirichlet { .. } => None,
        }
    }

    /// The responsibility of each component of a mixture prior for the
    /// value `x`: w_k p_k(x) / sum_j w_j p_j(x), the probability that `x`
    /// came from component k. `None` for priors that are not mixtures.
    pub fn responsibilities(&self, x: f64) -> Option<Vec<f64>> {
        let Prior::Mixture(comps) = self else {
            return None;
        };
        let lw: Vec<f64> = comps
            .iter()
            .map(|c| {
                let mut g = 0.0;
                c.weight.ln() + c.dist.lpdf(c.dist.log_const(), x, &mut g)
            })
            .collect();
        let m = lw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = lw.iter().map(|v| (v - m).exp()).sum();
        Some(lw.iter().map(|v| (v - m).exp() / s).collect())
    }

    /// `(weight, mu, sigma)` of each component of a normal or normal-mixture
    /// prior (every LFM prior is one); `None` for other priors.
    pub fn normal_components(&self) -> Option<Vec<(f64, f64, f64)>> {
        let normal = |w: f64, d: &Dist| match *d {
            Dist::Normal { mu, sigma } => Some((w, mu, sigma)),
            _ => None,
        };
        match self {
            Prior::Dist(d) => Some(vec![normal(1.0, d)?]),
            Prior::Mixture(components) => components
                .iter()
                .map(|c| normal(c.weight, &c.dist))
                .collect(),
            Prior::InducedDirichlet { .. } => None,
        }
    }

    /// The exact CDF at `x` of a normal or normal-mixture prior; `None` for
    /// other priors.
    pub fn normal_mixture_cdf(&self, x: f64) -> Option<f64> {
        Some(
            self.normal_components()?
                .into_iter()
                .map(|(w, mu, sigma)| {
                    w * 0.5
                        * statrs::function::erf::erfc(
                            -(x - mu) / (sigma * std::f64::consts::SQRT_2),
                        )
                })
                .sum(),
        )
    }
}

/// A prior statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorTerm {
    pub param: ParamId,
    pub prior: Prior,
}

/// `param * values[i]` in the linear predictor of observation i.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Covariate {
    /// A scalar parameter.
    pub param: ParamId,
    /// One value per observation (an indicator 0/1 or the centred trend
    /// covariate (d - dbar) / L).
    pub values: Vec<f64>,
}

/// eta_i = intercept + sum arm_effects + trend + sum carryover + sum
/// covariates + lagged outcome + decaying carryover + latent AR(1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LinearPredictor {
    /// Scalar intercept parameter (must be `None` for ordinal outcomes, whose
    /// cutpoints play that role).
    pub intercept: Option<ParamId>,
    pub arm_effects: Vec<Covariate>,
    pub trend: Option<Covariate>,
    pub carryover: Vec<Covariate>,
    /// Optional latent stationary AR(1) process added to eta (non-centred:
    /// count and binary outcomes with serial dependence, Stan's count_ar1).
    #[serde(default)]
    pub latent_ar1: Option<LatentAr1>,
    /// Time-varying covariates from the diary (centred or standardised by
    /// the compiler): `param * values[i]`, columns after `carryover`.
    #[serde(default)]
    pub covariates: Vec<Covariate>,
    /// The previous measurement of the outcome, its influence decaying
    /// across gaps as the AR(1) correlation does.
    #[serde(default)]
    pub lagged_outcome: Option<LaggedOutcome>,
    /// The previous arm's effect fading exponentially after a switch.
    #[serde(default)]
    pub carryover_decay: Option<CarryoverDecay>,
}

/// `rho^g_i * values[i]`: the previous measurement's value (centred by the
/// compiler), `g_i` time units before observation i. With g = 1 it is the
/// ordinary lagged regressor rho * y_{i-1}; across a gap of g units its
/// weight is rho^g, the correlation of a stationary AR(1) process g steps
/// apart (docs/model.md, 3.3), so `rho` lies in (-1, 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaggedOutcome {
    /// Scalar parameter constrained to (-1, 1).
    pub param: ParamId,
    /// The previous measurement's value, one per observation.
    pub values: Vec<f64>,
    /// Time units (>= 1) from the previous measurement to each observation.
    pub gaps: Vec<i64>,
}

/// The arm effect moving from the previous period's arm to the current
/// one: on an observation `elapsed` days after a switch,
/// `eta += exp(-rate * elapsed) * (delta_from - delta_to)`, so that the
/// effect is `(1 - w) delta_to + w delta_from` with w = exp(-rate elapsed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarryoverDecay {
    /// The decay rate per day (positive).
    pub rate: ParamId,
    /// The observations after a switch of arm; the others have no term.
    pub transitions: Vec<Transition>,
}

/// One observation after a switch of arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// Index of the observation.
    pub obs: usize,
    /// Days since the switch (1 on the first day of the new period).
    pub elapsed: f64,
    /// Effect parameter of the previous arm (`None`: the reference arm, 0).
    pub from: Option<ParamId>,
    /// Effect parameter of the arm taken (`None`: the reference arm, 0).
    pub to: Option<ParamId>,
}

/// e_{d_1} = sigma / sqrt(1 - phi^2) z_1 and, across a gap g,
/// e_{d_i} = phi^g e_{d_{i-1}} + sigma sqrt((1 - phi^(2g)) / (1 - phi^2)) z_i:
/// the exact stationary AR(1) on the analysed days, written in terms of
/// standard normal innovations `z` (which need a normal(0, 1) prior).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentAr1 {
    /// Unconstrained vector parameter with one element per observation.
    pub z: ParamId,
    /// Innovation SD (positive).
    pub sigma: ParamId,
    /// Autocorrelation per day, constrained to (-1, 1).
    pub phi: ParamId,
}

/// Outcome family (docs/model.md, "Likelihood by outcome family").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Family {
    /// y ~ normal(eta, sigma), independent errors.
    Normal {
        sigma: ParamId,
    },
    /// Normal with AR(1) errors on the analysed days, exact likelihood with
    /// gaps; `sigma` is the innovation SD, `phi` the autocorrelation.
    NormalAr1 {
        sigma: ParamId,
        phi: ParamId,
    },
    BernoulliLogit,
    PoissonLog,
    /// neg_binomial_2(exp(eta), psi).
    NegBinomial2Log {
        psi: ParamId,
    },
    /// y_i successes of `trials[i]` ~ binomial(trials[i], inv_logit(eta_i)).
    BinomialLogit {
        trials: Vec<u64>,
    },
    /// Cumulative logit with an ordered cutpoint vector; y in 1..=K.
    OrderedLogistic {
        cutpoints: ParamId,
    },
}

/// One outcome's likelihood.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Likelihood {
    /// Display name of the outcome.
    pub outcome: String,
    pub family: Family,
    /// Observations on the analysed days (counts, 0/1 and levels as exact
    /// integers stored in f64).
    pub y: Vec<f64>,
    /// Time of each observation on the model's clock (trial days, or the
    /// diary's own unit: hours, sessions), strictly increasing (needed by the
    /// AR(1) gaps; may be empty for the other families).
    pub days: Vec<i64>,
    pub predictor: LinearPredictor,
}

/// The whole model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Model {
    pub params: Vec<Parameter>,
    pub priors: Vec<PriorTerm>,
    pub likelihoods: Vec<Likelihood>,
}

/// An invalid model: the message names the parameter or outcome concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct MirError {
    pub message: String,
    /// Span of the offending parameter's declaration, when known.
    pub origin: Option<(usize, usize)>,
}

impl fmt::Display for MirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MirError {}

pub(super) fn err(message: String) -> MirError {
    MirError {
        message,
        origin: None,
    }
}
