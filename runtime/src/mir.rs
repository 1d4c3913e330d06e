//! Model IR (MIR): what the compiler lowers a trial spec into, and its
//! evaluator [`MirDensity`], a [`LogDensity`] with exact analytic gradients.
//!
//! The IR is deliberately small: named parameters with a constraining
//! transform, one prior per parameter, and likelihood blocks made of a linear
//! predictor (intercept + arm-effect indicators + centred trend + carryover
//! indicators, all given as data columns, plus an optional latent AR(1)
//! process) and one outcome family from `model.md`.
//!
//! Evaluation: eta is formed column by column, each family's fused kernel
//! makes one pass over the observations computing the value, d logp / d eta
//! and the nuisance derivatives in closed form, then X' (d logp / d eta) goes
//! into the coefficients' gradient and the transforms' chain rule finishes
//! the job. The buffers live in per-thread scratch reused across calls, so
//! an evaluation allocates nothing (after the first on a thread).

use crate::density::{log1m_exp_with, LogDensity, Logistic, Transform, LN_2PI};
use serde::{Deserialize, Serialize};
use statrs::function::gamma::{digamma, ln_gamma};
use std::cell::RefCell;
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

/// A univariate distribution used as a prior.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Dist {
    Normal {
        mu: f64,
        sigma: f64,
    },
    StudentT {
        nu: f64,
        mu: f64,
        sigma: f64,
    },
    Cauchy {
        mu: f64,
        sigma: f64,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    /// Normal(0, sigma) folded onto [0, inf).
    HalfNormal {
        sigma: f64,
    },
    /// Student-t(nu, 0, sigma) folded onto [0, inf).
    HalfStudentT {
        nu: f64,
        sigma: f64,
    },
    Exponential {
        rate: f64,
    },
    /// Shape / rate parameterisation (as Stan).
    Gamma {
        shape: f64,
        rate: f64,
    },
    Beta {
        a: f64,
        b: f64,
    },
    Uniform {
        lower: f64,
        upper: f64,
    },
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

/// eta_i = intercept + sum arm_effects + trend + sum carryover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LinearPredictor {
    /// Scalar intercept parameter (must be `None` for ordinal outcomes, whose
    /// cutpoints play that role).
    pub intercept: Option<ParamId>,
    pub arm_effects: Vec<Covariate>,
    pub trend: Option<Covariate>,
    pub carryover: Vec<Covariate>,
    /// Optional latent stationary AR(1) process added to eta (non-centred:
    /// count outcomes with day-to-day autocorrelation, Stan's count_ar1).
    #[serde(default)]
    pub latent_ar1: Option<LatentAr1>,
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

/// Outcome family (model.md "Likelihoods by outcome type").
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
    /// Trial day of each observation, strictly increasing (needed by the AR(1)
    /// gaps; may be empty for the other families).
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

fn err(message: String) -> MirError {
    MirError {
        message,
        origin: None,
    }
}

impl Dist {
    /// Support (lower, upper) of the distribution.
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Dist::LogNormal { .. }
            | Dist::HalfNormal { .. }
            | Dist::HalfStudentT { .. }
            | Dist::Exponential { .. }
            | Dist::Gamma { .. } => (0.0, f64::INFINITY),
            Dist::Beta { .. } => (0.0, 1.0),
            Dist::Uniform { lower, upper } => (lower, upper),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    fn validate(&self) -> Result<(), String> {
        let pos = |v: f64, n: &str| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{n} = {v} must be finite and > 0"))
            }
        };
        let fin = |v: f64, n: &str| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(format!("{n} = {v} must be finite"))
            }
        };
        match *self {
            Dist::Normal { mu, sigma }
            | Dist::Cauchy { mu, sigma }
            | Dist::LogNormal { mu, sigma } => {
                fin(mu, "location")?;
                pos(sigma, "scale")
            }
            Dist::StudentT { nu, mu, sigma } => {
                pos(nu, "nu")?;
                fin(mu, "location")?;
                pos(sigma, "scale")
            }
            Dist::HalfNormal { sigma } => pos(sigma, "scale"),
            Dist::HalfStudentT { nu, sigma } => {
                pos(nu, "nu")?;
                pos(sigma, "scale")
            }
            Dist::Exponential { rate } => pos(rate, "rate"),
            Dist::Gamma { shape, rate } => {
                pos(shape, "shape")?;
                pos(rate, "rate")
            }
            Dist::Beta { a, b } => {
                pos(a, "a")?;
                pos(b, "b")
            }
            Dist::Uniform { lower, upper } => {
                if lower.is_finite() && upper.is_finite() && lower < upper {
                    Ok(())
                } else {
                    Err(format!(
                        "uniform({lower}, {upper}) needs finite lower < upper"
                    ))
                }
            }
        }
    }

    /// Normalising constant of the log density (the part that does not depend
    /// on the argument), computed once at model construction.
    fn log_const(&self) -> f64 {
        match *self {
            Dist::Normal { sigma, .. } | Dist::LogNormal { sigma, .. } => {
                -0.5 * LN_2PI - sigma.ln()
            }
            Dist::HalfNormal { sigma } => std::f64::consts::LN_2 - 0.5 * LN_2PI - sigma.ln(),
            Dist::StudentT { nu, sigma, .. } => student_t_const(nu, sigma),
            Dist::HalfStudentT { nu, sigma } => std::f64::consts::LN_2 + student_t_const(nu, sigma),
            Dist::Cauchy { sigma, .. } => -std::f64::consts::PI.ln() - sigma.ln(),
            Dist::Exponential { rate } => rate.ln(),
            Dist::Gamma { shape, rate } => shape * rate.ln() - ln_gamma(shape),
            Dist::Beta { a, b } => ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b),
            Dist::Uniform { lower, upper } => -(upper - lower).ln(),
        }
    }

    /// log density at `t` given its constant `c`; adds the derivative to `g`.
    #[inline]
    fn lpdf(&self, c: f64, t: f64, g: &mut f64) -> f64 {
        match *self {
            Dist::Normal { mu, sigma } => {
                let z = (t - mu) / sigma;
                *g -= z / sigma;
                c - 0.5 * z * z
            }
            Dist::HalfNormal { sigma } => {
                if t < 0.0 {
                    return f64::NEG_INFINITY;
                }
                let z = t / sigma;
                *g -= z / sigma;
                c - 0.5 * z * z
            }
            Dist::StudentT { nu, mu, sigma } => student_t_kernel(nu, mu, sigma, c, t, g),
            Dist::HalfStudentT { nu, sigma } => {
                if t < 0.0 {
                    return f64::NEG_INFINITY;
                }
                student_t_kernel(nu, 0.0, sigma, c, t, g)
            }
            Dist::Cauchy { mu, sigma } => {
                let z = (t - mu) / sigma;
                let q = 1.0 + z * z;
                *g -= 2.0 * z / (sigma * q);
                c - q.ln()
            }
            Dist::LogNormal { mu, sigma } => {
                if t <= 0.0 {
                    return f64::NEG_INFINITY;
                }
                let lt = t.ln();
                let z = (lt - mu) / sigma;
                *g -= (1.0 + z / sigma) / t;
                c - lt - 0.5 * z * z
            }
            Dist::Exponential { rate } => {
                if t < 0.0 {
                    return f64::NEG_INFINITY;
                }
                *g -= rate;
                c - rate * t
            }
            Dist::Gamma { shape, rate } => {
                if t <= 0.0 {
                    return f64::NEG_INFINITY;
                }
                *g += (shape - 1.0) / t - rate;
                c + (shape - 1.0) * t.ln() - rate * t
            }
            Dist::Beta { a, b } => {
                if t <= 0.0 || t >= 1.0 {
                    return f64::NEG_INFINITY;
                }
                *g += (a - 1.0) / t - (b - 1.0) / (1.0 - t);
                c + (a - 1.0) * t.ln() + (b - 1.0) * (-t).ln_1p()
            }
            Dist::Uniform { lower, upper } => {
                if t < lower || t > upper {
                    f64::NEG_INFINITY
                } else {
                    c
                }
            }
        }
    }

    /// Full log density with its derivative (for tests and reporting).
    pub fn log_density(&self, t: f64) -> (f64, f64) {
        let mut g = 0.0;
        let v = self.lpdf(self.log_const(), t, &mut g);
        (v, g)
    }
}

fn student_t_const(nu: f64, sigma: f64) -> f64 {
    ln_gamma(0.5 * (nu + 1.0))
        - ln_gamma(0.5 * nu)
        - 0.5 * (nu * std::f64::consts::PI).ln()
        - sigma.ln()
}

#[inline]
fn student_t_kernel(nu: f64, mu: f64, sigma: f64, c: f64, t: f64, g: &mut f64) -> f64 {
    let z = (t - mu) / sigma;
    let q = 1.0 + z * z / nu;
    *g -= (nu + 1.0) * z / (sigma * nu * q);
    c - 0.5 * (nu + 1.0) * q.ln()
}

/// A prior with its constants precomputed.
#[derive(Debug, Clone)]
enum PriorKernel {
    Dist(Dist, f64),
    /// (log weight + log constant, dist) per component.
    Mixture(Vec<(f64, Dist)>),
    InducedDirichlet {
        alpha: Vec<f64>,
        log_const: f64,
    },
}

impl PriorKernel {
    fn new(prior: &Prior) -> Result<Self, String> {
        match prior {
            Prior::Dist(d) => {
                d.validate()?;
                Ok(PriorKernel::Dist(d.clone(), d.log_const()))
            }
            Prior::Mixture(comps) => {
                if comps.is_empty() {
                    return Err("mixture prior has no components".into());
                }
                let mut total = 0.0;
                for c in comps {
                    c.dist.validate()?;
                    if !(c.weight.is_finite() && c.weight > 0.0) {
                        return Err(format!("mixture weight {} must be > 0", c.weight));
                    }
                    total += c.weight;
                }
                if (total - 1.0).abs() > 1e-9 {
                    return Err(format!("mixture weights sum to {total}, not 1"));
                }
                Ok(PriorKernel::Mixture(
                    comps
                        .iter()
                        .map(|c| (c.weight.ln() + c.dist.log_const(), c.dist.clone()))
                        .collect(),
                ))
            }
            Prior::InducedDirichlet { alpha } => {
                if alpha.len() < 2 || alpha.iter().any(|a| !(a.is_finite() && *a > 0.0)) {
                    return Err("induced_dirichlet needs at least 2 concentrations, all > 0".into());
                }
                let sum: f64 = alpha.iter().sum();
                let log_const = ln_gamma(sum) - alpha.iter().map(|a| ln_gamma(*a)).sum::<f64>()
                    + (alpha.len() as f64).ln();
                Ok(PriorKernel::InducedDirichlet {
                    alpha: alpha.clone(),
                    log_const,
                })
            }
        }
    }

    /// Log prior of the elements `theta`, gradient added to `g`.
    fn eval(&self, theta: &[f64], g: &mut [f64]) -> f64 {
        match self {
            // Vector parameters with a normal prior (latent innovations) get
            // a tight loop without the per-element dispatch.
            PriorKernel::Dist(Dist::Normal { mu, sigma }, c) => {
                let inv = 1.0 / sigma;
                let mut ss = 0.0;
                for (t, gi) in theta.iter().zip(g.iter_mut()) {
                    let z = (t - mu) * inv;
                    ss += z * z;
                    *gi -= z * inv;
                }
                c * theta.len() as f64 - 0.5 * ss
            }
            PriorKernel::Dist(d, c) => {
                let mut lp = 0.0;
                for (t, gi) in theta.iter().zip(g.iter_mut()) {
                    lp += d.lpdf(*c, *t, gi);
                }
                lp
            }
            PriorKernel::Mixture(comps) => {
                let mut lp = 0.0;
                for (t, gi) in theta.iter().zip(g.iter_mut()) {
                    let (v, d) = mixture_lpdf(comps, *t);
                    lp += v;
                    *gi += d;
                }
                lp
            }
            PriorKernel::InducedDirichlet { alpha, log_const } => {
                induced_dirichlet(alpha, *log_const, theta, g)
            }
        }
    }
}

/// log sum_k w_k p_k(t) and its derivative, by an online log-sum-exp (no
/// buffer): the derivative is the responsibility-weighted component slopes.
fn mixture_lpdf(comps: &[(f64, Dist)], t: f64) -> (f64, f64) {
    let mut m = f64::NEG_INFINITY;
    let mut s = 0.0;
    let mut gs = 0.0;
    for (c, d) in comps {
        let mut gk = 0.0;
        let v = d.lpdf(*c, t, &mut gk);
        if v == f64::NEG_INFINITY {
            continue;
        }
        if v > m {
            let scale = (m - v).exp();
            s = s * scale + 1.0;
            gs = gs * scale + gk;
            m = v;
        } else {
            let w = (v - m).exp();
            s += w;
            gs += w * gk;
        }
    }
    if m == f64::NEG_INFINITY {
        return (f64::NEG_INFINITY, 0.0);
    }
    (m + s.ln(), gs / s)
}

/// Induced Dirichlet (Betancourt 2019) with anchor 0: the probabilities
/// p = (1 - s_1, s_1 - s_2, ..., s_{K-1}) with s_k = logistic(-c_k) follow a
/// Dirichlet(alpha), times |J| = K * prod_k s_k (1 - s_k) (the determinant of
/// Betancourt's Jacobian in closed form).
fn induced_dirichlet(alpha: &[f64], log_const: f64, c: &[f64], g: &mut [f64]) -> f64 {
    let km1 = c.len();
    if alpha.len() != km1 + 1 {
        return f64::NAN;
    }
    let mut lp = log_const;
    // p_k for k = 0..K-1 uses s_{k-1} (1 for k = 0) and s_k (0 for k = K-1);
    // s_k is computed once and carried to the next k.
    let mut s_prev = 1.0;
    // The exp of each cutpoint, kept for the Jacobian loop below.
    const KEPT: usize = 16;
    let mut kept = [Logistic::default(); KEPT];
    for (k, &alpha_k) in alpha.iter().enumerate() {
        let s_k = if k == km1 {
            0.0
        } else {
            let e = Logistic::new(c[k]);
            if k < KEPT {
                kept[k] = e;
            }
            e.inv_logit_neg()
        };
        let (hi, dhi) = if k == 0 {
            (1.0, None)
        } else {
            (s_prev, Some((k - 1, s_prev)))
        };
        let (lo, dlo) = if k == km1 {
            (0.0, None)
        } else {
            (s_k, Some((k, s_k)))
        };
        s_prev = s_k;
        let p = hi - lo;
        if p <= 0.0 {
            return f64::NEG_INFINITY;
        }
        let a1 = alpha_k - 1.0;
        // alpha_k = 1 (the default uniform prior): the term is 0 * log p
        // with p in (0, 1], i.e. -0.0 for p < 1 and +0.0 for p = 1; that
        // zero is added without computing the log (same bits).
        lp += if a1 == 0.0 && p <= 1.0 {
            if p == 1.0 {
                0.0
            } else {
                -0.0
            }
        } else {
            a1 * p.ln()
        };
        // d s_j / d c_j = -s_j (1 - s_j).
        if let Some((j, s)) = dhi {
            g[j] += a1 / p * (-s * (1.0 - s));
        }
        if let Some((j, s)) = dlo {
            g[j] -= a1 / p * (-s * (1.0 - s));
        }
    }
    for (k, &ck) in c.iter().enumerate() {
        // One log1p (the exp is kept from above) for s, log1p(e^c) and
        // log1p(e^-c).
        let e = if k < KEPT { kept[k] } else { Logistic::new(ck) };
        let s = e.inv_logit_neg();
        let l = e.l();
        // log(s(1-s)) = -log1p(e^c) - log1p(e^-c); derivative 2s - 1.
        lp += -e.log1p_exp_with(l) - e.log1p_exp_neg_with(l);
        g[k] += 2.0 * s - 1.0;
    }
    lp
}

/// A likelihood block compiled for fast evaluation.
#[derive(Debug, Clone)]
struct LikKernel {
    family: KFamily,
    y: Vec<f64>,
    /// Gap to the previous analysed day (AR(1) only; 0 for the first).
    gaps: Vec<u32>,
    /// Column-major n x (number of covariates) values.
    x: Vec<f64>,
    /// theta index of each column's coefficient.
    col_theta: Vec<usize>,
    intercept: Option<usize>,
    /// Data-only additive constant (e.g. -sum log y!).
    constant: f64,
    /// theta offsets of (z, sigma, phi) of the latent AR(1), if any.
    latent: Option<(usize, usize, usize)>,
}

#[derive(Debug, Clone, Copy)]
enum KFamily {
    Normal { sigma: usize },
    NormalAr1 { sigma: usize, phi: usize },
    Bernoulli,
    Poisson,
    NegBin { psi: usize },
    Ordinal { cut: usize, k: usize },
}

/// Buffers of one evaluation: constrained values, their gradient, the linear
/// predictor and d logp / d eta.
#[derive(Debug, Default)]
struct Scratch {
    theta: Vec<f64>,
    gtheta: Vec<f64>,
    eta: Vec<f64>,
    d: Vec<f64>,
    /// Latent AR(1) states.
    lat: Vec<f64>,
}

impl Scratch {
    fn ensure(&mut self, dim: usize, n: usize) {
        if self.theta.len() < dim {
            self.theta.resize(dim, 0.0);
            self.gtheta.resize(dim, 0.0);
        }
        if self.eta.len() < n {
            self.eta.resize(n, 0.0);
            self.d.resize(n, 0.0);
            self.lat.resize(n, 0.0);
        }
    }
}

/// Largest gap between analysed days accepted by the AR(1) terms.
const MAX_GAP: i64 = 100_000;

/// Log probability of level `y` of an ordinal observation with predictor
/// `eta`, with (for the end levels) F = inv_logit(eta - cut) or (for the
/// middle levels) the derivatives in the two logistic arguments. Each
/// logistic argument costs one exp and one log1p (`Logistic`), the
/// difference one exp and one expm1, shared by log1m_exp and the
/// derivatives: the values are bit for bit those of the separate functions.
fn ordinal_terms(theta: &[f64], cut: usize, k: usize, eta: f64, y: usize) -> (f64, f64, f64) {
    if y == 1 {
        let a = Logistic::new(eta - theta[cut]);
        (-a.log1p_exp_with(a.l()), a.inv_logit(), 0.0)
    } else if y == k {
        let a = Logistic::new(eta - theta[cut + k - 2]);
        (-a.log1p_exp_neg_with(a.l()), a.inv_logit(), 0.0)
    } else {
        // log(F(a) - F(b)), a = eta - c_{y-1} > b = eta - c_y.
        let a = eta - theta[cut + y - 2];
        let b = eta - theta[cut + y - 1];
        let dlt = b - a;
        let em1 = dlt.exp_m1();
        let edlt = dlt.exp();
        let (la, lb) = (Logistic::new(a), Logistic::new(b));
        let v = a + log1m_exp_with(dlt, em1, edlt)
            - la.log1p_exp_with(la.l())
            - lb.log1p_exp_with(lb.l());
        let da = -1.0 / em1 - la.inv_logit();
        let db = edlt / em1 - lb.inv_logit();
        (v, da, db)
    }
}

/// What the AR(1) likelihood needs of a gap of `g` days: phi^g, the
/// variance ratio and its derivative, half its log, the conditional SD and
/// d phi^g / d phi.
#[derive(Debug, Clone, Copy, Default)]
struct GapTerms {
    pg: f64,
    ratio: f64,
    dratio: f64,
    half_lr: f64,
    s: f64,
    dmean: f64,
}

impl GapTerms {
    fn new(phi: f64, omp2: f64, sigma: f64, gap: u32) -> Self {
        let gi = gap as i32;
        let (ratio, dratio) = gap_ratio(phi, omp2, gap);
        GapTerms {
            pg: phi.powi(gi),
            ratio,
            dratio,
            half_lr: 0.5 * ratio.ln(),
            s: sigma * ratio.sqrt(),
            dmean: gi as f64 * phi.powi(gi - 1), // d phi^g / d phi
        }
    }
}

/// (1 - phi^(2g)) / (1 - phi^2) = sum_{j<g} phi^(2j) and its derivative in
/// phi: by the sum for short gaps (no cancellation near |phi| = 1), by the
/// closed form for long ones.
fn gap_ratio(phi: f64, omp2: f64, gap: u32) -> (f64, f64) {
    if gap <= 16 {
        let p2 = phi * phi;
        let mut r = 0.0;
        let mut dr = 0.0;
        let mut pw = 1.0; // phi^(2j)
        for j in 0..gap {
            r += pw;
            if j > 0 {
                dr += 2.0 * j as f64 * phi.powi(2 * j as i32 - 1);
            }
            pw *= p2;
        }
        (r, dr)
    } else {
        let gi = gap as i32;
        let p2g = phi.powi(2 * gi);
        let r = (1.0 - p2g) / omp2;
        let dr = (-2.0 * gi as f64 * phi.powi(2 * gi - 1) * omp2 + 2.0 * phi * (1.0 - p2g))
            / (omp2 * omp2);
        (r, dr)
    }
}

thread_local! {
    /// Per-thread scratch for constrained values and their gradient, reused
    /// across calls so that an evaluation does not allocate.
    static SCRATCH: RefCell<Scratch> = const { RefCell::new(Scratch { theta: Vec::new(), gtheta: Vec::new(), eta: Vec::new(), d: Vec::new(), lat: Vec::new() }) };
}

/// Evaluator of a validated [`Model`].
#[derive(Debug, Clone)]
pub struct MirDensity {
    model: Model,
    offsets: Vec<usize>,
    dim: usize,
    priors: Vec<(usize, usize, PriorKernel)>,
    liks: Vec<LikKernel>,
    /// Largest number of observations of a likelihood (scratch size).
    max_n: usize,
}

impl MirDensity {
    /// Validates the model (parameter references, prior supports against the
    /// transforms, data shapes and values) and compiles it.
    pub fn new(model: Model) -> Result<Self, MirError> {
        let mut offsets = Vec::with_capacity(model.params.len());
        let mut dim = 0usize;
        for p in &model.params {
            let with_origin = |m: String| MirError {
                message: format!("parameter `{}`: {m}", p.name),
                origin: p.origin,
            };
            p.transform.validate().map_err(with_origin)?;
            if p.size == 0 {
                return Err(with_origin("size must be at least 1".into()));
            }
            offsets.push(dim);
            // Bounded so that layouts and buffers can never overflow.
            dim = dim
                .checked_add(p.size)
                .filter(|d| *d <= 1 << 28)
                .ok_or_else(|| with_origin("the model has too many parameters".into()))?;
        }
        let param = |id: ParamId| -> Result<&Parameter, MirError> {
            model
                .params
                .get(id)
                .ok_or_else(|| err(format!("reference to unknown parameter #{id}")))
        };
        let mut priors = Vec::with_capacity(model.priors.len());
        let mut has_prior = vec![false; model.params.len()];
        for pt in &model.priors {
            let p = param(pt.param)?;
            let with_origin = |m: String| MirError {
                message: format!("prior on `{}`: {m}", p.name),
                origin: p.origin,
            };
            if has_prior[pt.param] {
                return Err(with_origin("the parameter has two priors".into()));
            }
            has_prior[pt.param] = true;
            let kernel = PriorKernel::new(&pt.prior).map_err(with_origin)?;
            let (lo, hi) = p.transform.support();
            let check = |d: &Dist| -> Result<(), MirError> {
                let (dlo, dhi) = d.support();
                if lo < dlo || hi > dhi {
                    Err(with_origin(format!(
                        "the prior's support ({dlo}, {dhi}) does not cover the parameter's ({lo}, {hi})"
                    )))
                } else {
                    Ok(())
                }
            };
            match &pt.prior {
                Prior::Dist(d) => check(d)?,
                Prior::Mixture(cs) => {
                    for c in cs {
                        check(&c.dist)?;
                    }
                }
                Prior::InducedDirichlet { alpha } => {
                    if p.transform != Transform::Ordered || alpha.len() != p.size + 1 {
                        return Err(with_origin(format!(
                            "induced_dirichlet needs an ordered vector with {} concentrations",
                            p.size + 1
                        )));
                    }
                }
            }
            priors.push((offsets[pt.param], p.size, kernel));
        }
        if let Some(i) = has_prior.iter().position(|h| !h) {
            return Err(MirError {
                message: format!("parameter `{}` has no prior", model.params[i].name),
                origin: model.params[i].origin,
            });
        }
        let mut liks = Vec::with_capacity(model.likelihoods.len());
        for l in &model.likelihoods {
            liks.push(compile_likelihood(&model, &offsets, l)?);
        }
        let max_n = liks.iter().map(|l| l.n()).max().unwrap_or(0);
        Ok(MirDensity {
            model,
            offsets,
            dim,
            priors,
            liks,
            max_n,
        })
    }

    /// The validated model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Offset of each parameter's first element in the unconstrained vector
    /// (and in the constrained vector: both have the same layout).
    pub fn offsets(&self) -> &[usize] {
        &self.offsets
    }

    /// Constrained values of all parameters (same layout as `x`).
    pub fn constrain(&self, x: &[f64]) -> Result<Vec<f64>, MirError> {
        if x.len() != self.dim {
            return Err(err(format!(
                "expected {} unconstrained values, got {}",
                self.dim,
                x.len()
            )));
        }
        let mut theta = vec![0.0; self.dim];
        for (p, &o) in self.model.params.iter().zip(&self.offsets) {
            p.transform
                .constrain(&x[o..o + p.size], &mut theta[o..o + p.size]);
        }
        Ok(theta)
    }

    /// Inverse of [`constrain`](Self::constrain), for user-supplied initial values.
    pub fn unconstrain(&self, theta: &[f64]) -> Result<Vec<f64>, MirError> {
        if theta.len() != self.dim {
            return Err(err(format!(
                "expected {} values, got {}",
                self.dim,
                theta.len()
            )));
        }
        let mut x = vec![0.0; self.dim];
        for (p, &o) in self.model.params.iter().zip(&self.offsets) {
            p.transform
                .unconstrain(&theta[o..o + p.size], &mut x[o..o + p.size])
                .ok_or_else(|| MirError {
                    message: format!("value of `{}` is outside its support", p.name),
                    origin: p.origin,
                })?;
        }
        Ok(x)
    }

    /// Posterior responsibilities of each mixture component of the prior on
    /// `param` at the constrained point `theta` (one row per element). This is
    /// the per-draw weight the report averages to say whether the data
    /// conflict with a robust prior's informative component.
    pub fn mixture_weights(&self, param: ParamId, theta: &[f64]) -> Option<Vec<Vec<f64>>> {
        let pt = self.model.priors.iter().find(|p| p.param == param)?;
        let Prior::Mixture(comps) = &pt.prior else {
            return None;
        };
        if theta.len() != self.dim {
            return None;
        }
        let (o, size) = (self.offsets[param], self.model.params[param].size);
        let rows = theta[o..o + size]
            .iter()
            .map(|&t| {
                let lw: Vec<f64> = comps
                    .iter()
                    .map(|c| {
                        let mut g = 0.0;
                        c.weight.ln() + c.dist.lpdf(c.dist.log_const(), t, &mut g)
                    })
                    .collect();
                let m = lw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let s: f64 = lw.iter().map(|v| (v - m).exp()).sum();
                lw.iter().map(|v| (v - m).exp() / s).collect()
            })
            .collect();
        Some(rows)
    }

    fn eval(&self, x: &[f64], grad: &mut [f64], s: &mut Scratch) -> f64 {
        s.ensure(self.dim, self.max_n);
        let theta = &mut s.theta[..self.dim];
        let gtheta = &mut s.gtheta[..self.dim];
        let mut lp = 0.0;
        for (p, &o) in self.model.params.iter().zip(&self.offsets) {
            lp += p
                .transform
                .constrain(&x[o..o + p.size], &mut theta[o..o + p.size]);
        }
        gtheta.fill(0.0);
        for (o, size, k) in &self.priors {
            lp += k.eval(&theta[*o..*o + *size], &mut gtheta[*o..*o + *size]);
        }
        for l in &self.liks {
            lp += l.eval(theta, gtheta, &mut s.eta, &mut s.d, &mut s.lat);
        }
        for (p, &o) in self.model.params.iter().zip(&self.offsets) {
            let r = o..o + p.size;
            p.transform.backprop(
                &x[r.clone()],
                &theta[r.clone()],
                &gtheta[r.clone()],
                &mut grad[r],
            );
        }
        lp
    }
}

impl LogDensity for MirDensity {
    fn dim(&self) -> usize {
        self.dim
    }

    fn logp_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        if x.len() != self.dim || grad.len() != self.dim {
            return f64::NAN;
        }
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut s) => self.eval(x, grad, &mut s),
            // Re-entrant call (a density evaluated inside another): fall back
            // to fresh buffers rather than fail.
            Err(_) => self.eval(x, grad, &mut Scratch::default()),
        })
    }

    fn coordinate_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.dim);
        for p in &self.model.params {
            if p.size == 1 {
                names.push(p.name.clone());
            } else {
                names.extend((1..=p.size).map(|k| format!("{}[{k}]", p.name)));
            }
        }
        names
    }

    fn nonfinite_terms(&self, x: &[f64]) -> Vec<String> {
        let Ok(theta) = self.constrain(x) else {
            return vec!["(wrong dimension)".into()];
        };
        let mut bad = Vec::new();
        let mut g = vec![0.0; self.dim];
        for (p, &o) in self.model.params.iter().zip(&self.offsets) {
            if theta[o..o + p.size].iter().any(|t| !t.is_finite()) {
                bad.push(format!("parameter `{}` (transform overflows)", p.name));
            }
        }
        for ((o, size, k), pt) in self.priors.iter().zip(&self.model.priors) {
            let v = k.eval(&theta[*o..*o + *size], &mut g[*o..*o + *size]);
            if !v.is_finite() {
                bad.push(format!("prior on `{}`", self.model.params[pt.param].name));
            }
        }
        for (l, m) in self.liks.iter().zip(&self.model.likelihoods) {
            let (mut eta, mut d, mut lat) = (vec![0.0; l.n()], vec![0.0; l.n()], vec![0.0; l.n()]);
            if !l
                .eval(&theta, &mut g, &mut eta, &mut d, &mut lat)
                .is_finite()
            {
                bad.push(format!("likelihood of `{}`", m.outcome));
            }
        }
        if g.iter().any(|v| !v.is_finite()) && bad.is_empty() {
            bad.push("gradient".into());
        }
        bad
    }
}

fn compile_likelihood(
    model: &Model,
    offsets: &[usize],
    l: &Likelihood,
) -> Result<LikKernel, MirError> {
    let name = &l.outcome;
    let n = l.y.len();
    let lerr = |m: String| err(format!("outcome `{name}`: {m}"));
    let scalar = |id: ParamId, role: &str| -> Result<usize, MirError> {
        let p = model
            .params
            .get(id)
            .ok_or_else(|| lerr(format!("{role} refers to unknown parameter #{id}")))?;
        if p.size != 1 {
            return Err(lerr(format!("{role} `{}` must be a scalar", p.name)));
        }
        Ok(offsets[id])
    };
    let need_support = |id: ParamId, lo: f64, hi: f64, role: &str| -> Result<(), MirError> {
        let p = &model.params[id];
        let (a, b) = p.transform.support();
        if a < lo || b > hi {
            Err(lerr(format!(
                "{role} `{}` must be constrained to ({lo}, {hi})",
                p.name
            )))
        } else {
            Ok(())
        }
    };
    if n == 0 {
        return Err(lerr("no observations".into()));
    }
    if let Some(i) = l.y.iter().position(|v| !v.is_finite()) {
        return Err(lerr(format!("observation {} is not finite", i + 1)));
    }
    let integer = |lo: f64, hi: f64, what: &str| -> Result<(), MirError> {
        match l
            .y
            .iter()
            .position(|v| v.fract() != 0.0 || *v < lo || *v > hi)
        {
            Some(i) => Err(lerr(format!(
                "observation {} = {} is not {what}",
                i + 1,
                l.y[i]
            ))),
            None => Ok(()),
        }
    };
    let mut constant = 0.0;
    let family = match l.family {
        Family::Normal { sigma } => {
            let s = scalar(sigma, "sigma")?;
            need_support(sigma, 0.0, f64::INFINITY, "sigma")?;
            constant = -0.5 * LN_2PI * n as f64;
            KFamily::Normal { sigma: s }
        }
        Family::NormalAr1 { sigma, phi } => {
            let s = scalar(sigma, "sigma")?;
            need_support(sigma, 0.0, f64::INFINITY, "sigma")?;
            let p = scalar(phi, "phi")?;
            need_support(phi, -1.0, 1.0, "phi")?;
            constant = -0.5 * LN_2PI * n as f64;
            KFamily::NormalAr1 { sigma: s, phi: p }
        }
        Family::BernoulliLogit => {
            integer(0.0, 1.0, "0 or 1")?;
            KFamily::Bernoulli
        }
        Family::PoissonLog => {
            integer(0.0, f64::INFINITY, "a non-negative integer")?;
            constant = -l.y.iter().map(|v| ln_gamma(v + 1.0)).sum::<f64>();
            KFamily::Poisson
        }
        Family::NegBinomial2Log { psi } => {
            integer(0.0, f64::INFINITY, "a non-negative integer")?;
            let p = scalar(psi, "psi")?;
            need_support(psi, 0.0, f64::INFINITY, "psi")?;
            constant = -l.y.iter().map(|v| ln_gamma(v + 1.0)).sum::<f64>();
            KFamily::NegBin { psi: p }
        }
        Family::OrderedLogistic { cutpoints } => {
            let p = model.params.get(cutpoints).ok_or_else(|| {
                lerr(format!("cutpoints refer to unknown parameter #{cutpoints}"))
            })?;
            if p.transform != Transform::Ordered {
                return Err(lerr(format!(
                    "cutpoints `{}` must be an ordered vector",
                    p.name
                )));
            }
            if l.predictor.intercept.is_some() {
                return Err(lerr(
                    "an ordinal outcome has no intercept (the cutpoints play that role)".into(),
                ));
            }
            let k = p.size + 1;
            integer(1.0, k as f64, &format!("a level in 1..={k}"))?;
            KFamily::Ordinal {
                cut: offsets[cutpoints],
                k,
            }
        }
    };
    let mut gaps = Vec::new();
    let has_latent = l.predictor.latent_ar1.is_some();
    if matches!(family, KFamily::NormalAr1 { .. }) || has_latent {
        if l.days.len() != n {
            return Err(lerr(format!("{} days for {n} observations", l.days.len())));
        }
        gaps.push(0);
        for w in l.days.windows(2) {
            let g = w[1] - w[0];
            // Gaps are bounded so that phi^g stays an i32 power.
            if !(1..=MAX_GAP).contains(&g) {
                return Err(lerr(format!(
                    "days must be strictly increasing with gaps of at most {MAX_GAP} (day {} after {})",
                    w[1], w[0]
                )));
            }
            gaps.push(g as u32);
        }
    } else if !l.days.is_empty() && l.days.len() != n {
        return Err(lerr(format!("{} days for {n} observations", l.days.len())));
    }
    let lp = &l.predictor;
    let latent = match &lp.latent_ar1 {
        None => None,
        Some(la) => {
            if matches!(family, KFamily::NormalAr1 { .. }) {
                return Err(lerr(
                    "a latent AR(1) cannot be combined with AR(1) errors".into(),
                ));
            }
            let zp = model
                .params
                .get(la.z)
                .ok_or_else(|| lerr(format!("latent z refers to unknown parameter #{}", la.z)))?;
            if zp.size != n || zp.transform != Transform::Identity {
                return Err(lerr(format!(
                    "latent innovations `{}` must be an unconstrained vector of {n} elements",
                    zp.name
                )));
            }
            let s = scalar(la.sigma, "latent sigma")?;
            need_support(la.sigma, 0.0, f64::INFINITY, "latent sigma")?;
            let p = scalar(la.phi, "latent phi")?;
            need_support(la.phi, -1.0, 1.0, "latent phi")?;
            Some((offsets[la.z], s, p))
        }
    };
    let intercept = match lp.intercept {
        Some(id) => Some(scalar(id, "intercept")?),
        None => None,
    };
    let cols: Vec<&Covariate> = lp
        .arm_effects
        .iter()
        .chain(lp.trend.iter())
        .chain(lp.carryover.iter())
        .collect();
    let ncols = cols.len();
    let mut col_theta = Vec::with_capacity(ncols);
    let mut x = vec![0.0; n * ncols];
    for (k, c) in cols.iter().enumerate() {
        col_theta.push(scalar(c.param, "coefficient")?);
        if c.values.len() != n {
            return Err(lerr(format!(
                "covariate of `{}` has {} values for {n} observations",
                model.params[c.param].name,
                c.values.len()
            )));
        }
        if c.values.iter().any(|v| !v.is_finite()) {
            return Err(lerr(format!(
                "covariate of `{}` is not finite",
                model.params[c.param].name
            )));
        }
        for (i, v) in c.values.iter().enumerate() {
            x[k * n + i] = *v;
        }
    }
    Ok(LikKernel {
        family,
        y: l.y.clone(),
        gaps,
        x,
        col_theta,
        intercept,
        constant,
        latent,
    })
}

impl LikKernel {
    fn n(&self) -> usize {
        self.y.len()
    }

    /// eta = intercept + X theta, column by column (contiguous, vectorisable).
    fn fill_eta(&self, theta: &[f64], eta: &mut [f64]) {
        let n = self.n();
        eta.fill(self.intercept.map_or(0.0, |j| theta[j]));
        for (k, &j) in self.col_theta.iter().enumerate() {
            let b = theta[j];
            for (e, v) in eta.iter_mut().zip(&self.x[k * n..(k + 1) * n]) {
                *e += b * v;
            }
        }
    }

    /// Adds X' d (and sum d for the intercept) to the coefficients' gradient,
    /// `d` being d logp / d eta.
    fn scatter_all(&self, g: &mut [f64], d: &[f64]) {
        let n = self.n();
        if let Some(j) = self.intercept {
            g[j] += d.iter().sum::<f64>();
        }
        for (k, &j) in self.col_theta.iter().enumerate() {
            g[j] += self.x[k * n..(k + 1) * n]
                .iter()
                .zip(d)
                .map(|(v, d)| v * d)
                .sum::<f64>();
        }
    }

    /// Log likelihood with gradient added to `g`; `eta` and `d` are scratch
    /// buffers of at least `n` elements.
    fn eval(
        &self,
        theta: &[f64],
        g: &mut [f64],
        eta: &mut [f64],
        d: &mut [f64],
        lat: &mut [f64],
    ) -> f64 {
        let n = self.n();
        let (eta, d, lat) = (&mut eta[..n], &mut d[..n], &mut lat[..n]);
        self.fill_eta(theta, eta);
        if let Some((z, s, p)) = self.latent {
            if !self.latent_forward(theta, z, s, p, lat) {
                return f64::NEG_INFINITY;
            }
            for (e, l) in eta.iter_mut().zip(lat.iter()) {
                *e += l;
            }
        }
        let mut lp = self.constant;
        match self.family {
            KFamily::Normal { sigma } => {
                let s = theta[sigma];
                if !(s > 0.0) {
                    return f64::NEG_INFINITY;
                }
                let inv = 1.0 / s;
                let mut ss = 0.0;
                for ((di, e), y) in d.iter_mut().zip(eta.iter()).zip(&self.y) {
                    let z = (y - e) * inv;
                    ss += z * z;
                    *di = z * inv;
                }
                lp += -(n as f64) * s.ln() - 0.5 * ss;
                g[sigma] += (ss - n as f64) * inv;
            }
            KFamily::NormalAr1 { sigma, phi } => {
                lp += self.ar1(theta, g, sigma, phi, eta, d);
            }
            KFamily::Bernoulli => {
                // Without a trend the linear predictor takes a handful of
                // values, in runs (days on one arm): the exp and log of the
                // previous observation are reused when eta is the same bit
                // pattern (the same operations on the same value).
                let mut last: Option<(u64, f64, f64)> = None;
                for ((di, &e), &y) in d.iter_mut().zip(eta.iter()).zip(&self.y) {
                    // log p(y) = y eta - log(1 + exp(eta)) with one exp and one
                    // log: t = exp(-|eta|), log(1 + exp(eta)) = max(eta, 0) +
                    // log(1 + t). log(1 + t) for t in (0, 1] has an absolute
                    // error of an ulp, all a sum of log terms needs (log1p
                    // would only add relative accuracy, at twice the cost).
                    let (p, log_u) = match last {
                        Some((bits, p, log_u)) if bits == e.to_bits() => (p, log_u),
                        _ => {
                            let t = (-e.abs()).exp();
                            let u = 1.0 + t;
                            let inv = 1.0 / u;
                            let p = if e >= 0.0 { inv } else { t * inv };
                            let log_u = u.ln();
                            last = Some((e.to_bits(), p, log_u));
                            (p, log_u)
                        }
                    };
                    lp += y * e - e.max(0.0) - log_u;
                    *di = y - p;
                }
            }
            KFamily::Poisson => {
                for ((di, &e), &y) in d.iter_mut().zip(eta.iter()).zip(&self.y) {
                    let mu = e.exp();
                    lp += y * e - mu;
                    *di = y - mu;
                }
            }
            KFamily::NegBin { psi } => {
                let phi = theta[psi];
                if !(phi > 0.0) {
                    return f64::NEG_INFINITY;
                }
                let lphi = phi.ln();
                let lg_phi = ln_gamma(phi);
                let dg_phi = digamma(phi);
                let mut dpsi = 0.0;
                for ((di, &e), &y) in d.iter_mut().zip(eta.iter()).zip(&self.y) {
                    // log(mu + psi) = lse(eta, log psi), stable for large |eta|.
                    let lse = crate::density::log_sum_exp(e, lphi);
                    let frac = (e - lse).exp(); // mu / (mu + psi)
                    lp += ln_gamma(y + phi) - lg_phi + phi * (lphi - lse) + y * (e - lse);
                    *di = y - (phi + y) * frac;
                    // (psi + y) / (mu + psi) = (psi + y) / psi * (1 - mu / (mu + psi)).
                    dpsi += digamma(y + phi) - dg_phi + lphi - lse + 1.0
                        - (phi + y) / phi * (1.0 - frac);
                }
                g[psi] += dpsi;
            }
            KFamily::Ordinal { cut, k } => {
                // The terms of an observation depend on (eta, y) only; eta
                // takes few values without a trend, so recent terms are kept
                // by (eta bits, y) and reused (the same values, bit for bit).
                let mut memo = [(0u64, 0usize, 0.0, 0.0, 0.0); 8];
                let (mut n_memo, mut next) = (0, 0);
                for ((di, &eta), &yv) in d.iter_mut().zip(eta.iter()).zip(&self.y) {
                    let y = yv as usize; // validated: 1..=k
                    let bits = eta.to_bits();
                    let (v, x1, x2) = match memo[..n_memo].iter().find(|m| m.0 == bits && m.1 == y)
                    {
                        Some(m) => (m.2, m.3, m.4),
                        None => {
                            let t = ordinal_terms(theta, cut, k, eta, y);
                            memo[next] = (bits, y, t.0, t.1, t.2);
                            next = (next + 1) % memo.len();
                            n_memo = (n_memo + 1).min(memo.len());
                            t
                        }
                    };
                    let dv = if y == 1 {
                        g[cut] += x1;
                        -x1
                    } else if y == k {
                        g[cut + k - 2] -= 1.0 - x1;
                        1.0 - x1
                    } else {
                        g[cut + y - 2] -= x1;
                        g[cut + y - 1] -= x2;
                        x1 + x2
                    };
                    lp += v;
                    *di = dv;
                }
            }
        }
        self.scatter_all(g, d);
        if let Some((z, s, p)) = self.latent {
            self.latent_backward(theta, g, z, s, p, lat, d);
        }
        lp
    }

    /// Latent states e from the innovations; false outside the support.
    fn latent_forward(
        &self,
        theta: &[f64],
        z: usize,
        isig: usize,
        iphi: usize,
        lat: &mut [f64],
    ) -> bool {
        let (sigma, phi) = (theta[isig], theta[iphi]);
        if !(sigma > 0.0) || !(phi.abs() < 1.0) {
            return false;
        }
        let omp2 = 1.0 - phi * phi;
        lat[0] = sigma / omp2.sqrt() * theta[z];
        for i in 1..lat.len() {
            let gap = self.gaps[i];
            lat[i] = if gap == 1 {
                phi * lat[i - 1] + sigma * theta[z + i]
            } else {
                let (ratio, _) = gap_ratio(phi, omp2, gap);
                phi.powi(gap as i32) * lat[i - 1] + sigma * ratio.sqrt() * theta[z + i]
            };
        }
        true
    }

    /// Reverse pass through the latent recursion: `d` holds d logp / d e_i
    /// (= d logp / d eta_i); accumulates into z, sigma and phi.
    #[allow(clippy::too_many_arguments)]
    fn latent_backward(
        &self,
        theta: &[f64],
        g: &mut [f64],
        z: usize,
        isig: usize,
        iphi: usize,
        lat: &[f64],
        d: &[f64],
    ) {
        let (sigma, phi) = (theta[isig], theta[iphi]);
        let omp2 = 1.0 - phi * phi;
        let n = lat.len();
        let mut ge = 0.0; // total derivative w.r.t. e_{i+1} carried backwards
        let mut carry = 0.0; // phi^{g_{i+1}}
        let (mut gsig, mut gphi) = (0.0, 0.0);
        for i in (0..n).rev() {
            ge = d[i] + carry * ge;
            let zi = theta[z + i];
            if i == 0 {
                let r = omp2.sqrt();
                g[z] += ge * sigma / r;
                gsig += ge * zi / r;
                gphi += ge * sigma * zi * phi / (omp2 * r);
            } else {
                let gap = self.gaps[i];
                if gap == 1 {
                    g[z + i] += ge * sigma;
                    gsig += ge * zi;
                    gphi += ge * lat[i - 1];
                    carry = phi;
                } else {
                    let (ratio, dratio) = gap_ratio(phi, omp2, gap);
                    let sr = ratio.sqrt();
                    let gi = gap as i32;
                    g[z + i] += ge * sigma * sr;
                    gsig += ge * sr * zi;
                    gphi += ge
                        * (gi as f64 * phi.powi(gi - 1) * lat[i - 1]
                            + sigma * zi * 0.5 * dratio / sr);
                    carry = phi.powi(gi);
                }
            }
        }
        g[isig] += gsig;
        g[iphi] += gphi;
    }

    /// Exact AR(1) likelihood with gaps (model.md). `eta` is turned into the
    /// residuals e in place; `d` receives d logp / d eta = -d logp / d e, each
    /// e_i collecting from its own term and from term i+1's conditional mean.
    fn ar1(
        &self,
        theta: &[f64],
        g: &mut [f64],
        isig: usize,
        iphi: usize,
        eta: &mut [f64],
        d: &mut [f64],
    ) -> f64 {
        let sigma = theta[isig];
        let phi = theta[iphi];
        if !(sigma > 0.0) || !(phi.abs() < 1.0) {
            return f64::NEG_INFINITY;
        }
        let n = self.n();
        for (e, y) in eta.iter_mut().zip(&self.y) {
            *e = y - *e;
        }
        let res = &*eta;
        let omp2 = 1.0 - phi * phi;
        let lsig = sigma.ln();
        let inv_sig = 1.0 / sigma;
        let inv_s2 = inv_sig * inv_sig;
        let mut lp = 0.0;
        let mut dphi = 0.0;
        // First residual: N(0, sigma / sqrt(1 - phi^2)).
        let e0 = res[0];
        let q0 = e0 * e0 * omp2 * inv_s2;
        lp += -lsig + 0.5 * omp2.ln() - 0.5 * q0;
        // d/de_i is built as (own term) + (term i+1's conditional mean) and
        // stored negated (d logp / d eta = -d logp / d e); the running
        // element stays in a register until term i+1 has added to it.
        let mut d_prev = -e0 * omp2 * inv_s2; // d/de_0 for now
        let mut sum_r2m1 = q0 - 1.0; // sum of (r^2 - 1): d/dsigma = that / sigma
        dphi += -phi / omp2 + e0 * e0 * phi * inv_s2;
        let mut cache = [(0u32, GapTerms::default()); 8];
        let mut n_cached = 0;
        let pairs = res.windows(2).zip(&self.gaps[1..n]);
        for ((w, &gap), di) in pairs.zip(d.iter_mut()) {
            let (e_prev, e) = (w[0], w[1]);
            if gap == 1 {
                // The common case: e_i | e_{i-1} ~ N(phi e_{i-1}, sigma).
                let r = (e - phi * e_prev) * inv_sig;
                let rs = r * inv_sig;
                lp -= 0.5 * r * r;
                *di = -(d_prev + rs * phi);
                d_prev = -rs;
                sum_r2m1 += r * r - 1.0;
                dphi += rs * e_prev;
                continue;
            }
            // The terms of a gap depend on the gap only (and the
            // parameters): computed once per distinct gap and evaluation.
            let t = match cache[..n_cached].iter().find(|c| c.0 == gap) {
                Some(c) => c.1,
                None => {
                    let t = GapTerms::new(phi, omp2, sigma, gap);
                    if n_cached < cache.len() {
                        cache[n_cached] = (gap, t);
                        n_cached += 1;
                    }
                    t
                }
            };
            let GapTerms {
                pg,
                ratio,
                dratio,
                half_lr,
                s,
                dmean,
            } = t;
            let r = (e - pg * e_prev) / s;
            let rs = r / s;
            // -log s = -log sigma - log(ratio)/2; the -log sigma of all terms is added below.
            lp += -half_lr - 0.5 * r * r;
            *di = -(d_prev + rs * pg);
            d_prev = -rs;
            sum_r2m1 += r * r - 1.0;
            dphi += rs * dmean * e_prev + (r * r - 1.0) * 0.5 * dratio / ratio;
        }
        d[n - 1] = -d_prev;
        // Every term has -log sigma in -log s; the first term's is counted above.
        lp -= (n - 1) as f64 * lsig;
        g[isig] += sum_r2m1 * inv_sig;
        g[iphi] += dphi;
        lp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `induced_dirichlet` as first written (three logistic evaluations per
    /// cutpoint, every log computed): the faster one must match it bit for bit.
    fn induced_dirichlet_reference(alpha: &[f64], log_const: f64, c: &[f64], g: &mut [f64]) -> f64 {
        use crate::density::{inv_logit, log1p_exp};
        let km1 = c.len();
        let mut lp = log_const;
        let s_at = |k: usize| inv_logit(-c[k]);
        for (k, &alpha_k) in alpha.iter().enumerate() {
            let (hi, dhi) = if k == 0 {
                (1.0, None)
            } else {
                let s = s_at(k - 1);
                (s, Some((k - 1, s)))
            };
            let (lo, dlo) = if k == km1 {
                (0.0, None)
            } else {
                let s = s_at(k);
                (s, Some((k, s)))
            };
            let p = hi - lo;
            if p <= 0.0 {
                return f64::NEG_INFINITY;
            }
            let a1 = alpha_k - 1.0;
            lp += a1 * p.ln();
            if let Some((j, s)) = dhi {
                g[j] += a1 / p * (-s * (1.0 - s));
            }
            if let Some((j, s)) = dlo {
                g[j] -= a1 / p * (-s * (1.0 - s));
            }
        }
        for (k, &ck) in c.iter().enumerate() {
            let s = s_at(k);
            lp += -log1p_exp(ck) - log1p_exp(-ck);
            g[k] += 2.0 * s - 1.0;
        }
        lp
    }

    #[test]
    fn induced_dirichlet_matches_the_reference_bit_for_bit() {
        let mut rng = crate::rng::ChainRng::new(7, 0);
        for case in 0..3000 {
            let km1 = 1 + case % 6;
            let mut c: Vec<f64> = Vec::new();
            let mut prev = -3.0 * rng.uniform() - if case % 7 == 0 { 800.0 } else { 0.0 };
            for _ in 0..km1 {
                c.push(prev);
                prev += if case % 11 == 0 {
                    0.0
                } else {
                    3.0 * rng.uniform()
                };
            }
            if case % 5 == 0 {
                c[0] = 800.0;
            }
            let alpha: Vec<f64> = (0..=km1)
                .map(|k| if case % 3 == 0 { 0.5 + k as f64 } else { 1.0 })
                .collect();
            let mut g1 = vec![0.25; km1];
            let mut g2 = g1.clone();
            let a = induced_dirichlet(&alpha, 0.5, &c, &mut g1);
            let b = induced_dirichlet_reference(&alpha, 0.5, &c, &mut g2);
            assert_eq!(a.to_bits(), b.to_bits(), "case {case}: {a} vs {b}");
            if a.is_finite() {
                let bits = |g: &[f64]| g.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&g1), bits(&g2), "case {case}");
            }
        }
    }

    fn scalar(name: &str, t: Transform) -> Parameter {
        Parameter {
            name: name.into(),
            transform: t,
            size: 1,
            origin: None,
        }
    }

    #[test]
    fn rejects_models_with_clear_messages() {
        let m = Model {
            params: vec![scalar("sigma", Transform::Lower(0.0))],
            priors: vec![],
            likelihoods: vec![],
        };
        let e = MirDensity::new(m).expect_err("no prior");
        assert!(
            e.message.contains("sigma") && e.message.contains("no prior"),
            "{e}"
        );
        let m = Model {
            params: vec![scalar("mu", Transform::Identity)],
            priors: vec![PriorTerm {
                param: 0,
                prior: Prior::Dist(Dist::HalfNormal { sigma: 1.0 }),
            }],
            likelihoods: vec![],
        };
        let e = MirDensity::new(m).expect_err("support");
        assert!(e.message.contains("support"), "{e}");
        let m = Model {
            params: vec![scalar("mu", Transform::Identity)],
            priors: vec![PriorTerm {
                param: 0,
                prior: Prior::Dist(Dist::Normal {
                    mu: 0.0,
                    sigma: 1.0,
                }),
            }],
            likelihoods: vec![Likelihood {
                outcome: "count".into(),
                family: Family::PoissonLog,
                y: vec![1.0, 2.5],
                days: vec![],
                predictor: LinearPredictor {
                    intercept: Some(0),
                    ..Default::default()
                },
            }],
        };
        let e = MirDensity::new(m).expect_err("non-integer count");
        assert!(e.message.contains("observation 2"), "{e}");
    }
}
