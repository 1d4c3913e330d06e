//! The entry point the compiler calls: fit a [`Model`] with NUTS and get the
//! constrained draws with their summaries, sampler health, model.md's
//! warnings, and helpers for decision rules (probabilities with MCSE) and
//! robust-prior conflict reporting (posterior mixture weights).

use crate::density::LogDensity;
use crate::diagnostics::{
    chain_health, mcse_probability, quantile_and_mcse, quantity_warnings, sampler_warnings,
    summarise, ChainHealth, Summary,
};
use crate::mir::{MirDensity, MirError, Model, ParamId};
use crate::nuts::{sample, Fit, NutsConfig, SampleError, SampleStats};
use crate::optimize::{laplace, Laplace, OptimizeConfig, OptimizeError};
use std::fmt;

/// Any failure of a fit.
#[derive(Debug, Clone, PartialEq)]
pub enum RuntimeError {
    Model(MirError),
    Sample(SampleError),
    Optimize(OptimizeError),
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::Model(e) => write!(f, "invalid model: {e}"),
            RuntimeError::Sample(e) => write!(f, "sampling failed: {e}"),
            RuntimeError::Optimize(e) => write!(f, "optimisation failed: {e}"),
        }
    }
}

impl std::error::Error for RuntimeError {}

impl From<MirError> for RuntimeError {
    fn from(e: MirError) -> Self {
        RuntimeError::Model(e)
    }
}
impl From<SampleError> for RuntimeError {
    fn from(e: SampleError) -> Self {
        RuntimeError::Sample(e)
    }
}
impl From<OptimizeError> for RuntimeError {
    fn from(e: OptimizeError) -> Self {
        RuntimeError::Optimize(e)
    }
}

/// Posterior draws on the constrained scale, with diagnostics.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Posterior {
    /// One name per constrained element (`sigma`, `cut[2]`, ...).
    pub names: Vec<String>,
    pub num_chains: usize,
    pub num_draws: usize,
    /// `[chain][draw][element]`, flattened.
    draws: Vec<f64>,
    pub stats: Vec<Vec<SampleStats>>,
    pub health: Vec<ChainHealth>,
    /// One summary per element, in `names` order.
    pub summaries: Vec<Summary>,
    /// model.md's warnings (R-hat > 1.01, bulk-ESS < 400, divergences) plus
    /// tree depth saturation and low E-BFMI.
    pub warnings: Vec<String>,
    pub grad_evals: u64,
    pub stepsizes: Vec<f64>,
}

/// Validates and compiles `model`, runs NUTS, summarises.
pub fn fit(model: Model, cfg: &NutsConfig) -> Result<Posterior, RuntimeError> {
    let d = MirDensity::new(model)?;
    fit_density(&d, cfg)
}

/// As [`fit`] for an already compiled density.
pub fn fit_density(d: &MirDensity, cfg: &NutsConfig) -> Result<Posterior, RuntimeError> {
    let f = sample(d, cfg)?;
    Posterior::from_fit(d, &f, cfg.max_depth)
}

/// MAP and Laplace approximation of `model`, started at 0 (the centre of the
/// init box) on the unconstrained scale.
pub fn approximate(
    model: Model,
    cfg: &OptimizeConfig,
) -> Result<(MirDensity, Laplace), RuntimeError> {
    let d = MirDensity::new(model)?;
    let lap = laplace(&d, &vec![0.0; d.dim()], cfg)?;
    Ok((d, lap))
}

impl Posterior {
    /// Constrains every draw of `fit` through `d` and computes diagnostics.
    pub fn from_fit(d: &MirDensity, fit: &Fit, max_depth: usize) -> Result<Self, RuntimeError> {
        let dim = d.dim();
        let num_chains = fit.chains.len();
        let num_draws = fit.chains.first().map_or(0, |c| c.stats.len());
        let mut draws = Vec::with_capacity(num_chains * num_draws * dim);
        for c in &fit.chains {
            for x in c.draws.chunks(dim.max(1)) {
                draws.extend(d.constrain(x)?);
            }
        }
        let mut p = Posterior {
            names: d.coordinate_names(),
            num_chains,
            num_draws,
            draws,
            stats: fit.chains.iter().map(|c| c.stats.clone()).collect(),
            health: fit
                .chains
                .iter()
                .map(|c| chain_health(&c.stats, max_depth))
                .collect(),
            summaries: Vec::new(),
            warnings: Vec::new(),
            grad_evals: fit.total_grad_evals(),
            stepsizes: fit.chains.iter().map(|c| c.stepsize).collect(),
        };
        p.summaries = (0..dim).map(|k| summarise(&p.element(k))).collect();
        for (name, s) in p.names.iter().zip(&p.summaries) {
            p.warnings.extend(quantity_warnings(name, s));
        }
        p.warnings.extend(sampler_warnings(&p.health));
        Ok(p)
    }

    fn dim(&self) -> usize {
        self.names.len()
    }

    /// Index of the element called `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Draws of element `k` as `chains x draws` (empty if out of range).
    pub fn element(&self, k: usize) -> Vec<Vec<f64>> {
        let dim = self.dim();
        if k >= dim {
            return Vec::new();
        }
        (0..self.num_chains)
            .map(|c| {
                (0..self.num_draws)
                    .map(|i| self.draws[(c * self.num_draws + i) * dim + k])
                    .collect()
            })
            .collect()
    }

    /// The constrained vector of every draw, chain by chain.
    pub fn iter_draws(&self) -> impl Iterator<Item = &[f64]> {
        self.draws.chunks(self.dim().max(1))
    }

    /// Posterior probability that `event` holds, and its MCSE (the decision
    /// rules' P(statement)).
    pub fn probability(&self, event: impl Fn(&[f64]) -> bool) -> (f64, f64) {
        let dim = self.dim().max(1);
        let ind: Vec<Vec<bool>> = (0..self.num_chains)
            .map(|c| {
                (0..self.num_draws)
                    .map(|i| {
                        let o = (c * self.num_draws + i) * dim;
                        event(&self.draws[o..o + dim])
                    })
                    .collect()
            })
            .collect();
        let total = ind.iter().flatten().filter(|b| **b).count() as f64;
        let n = (self.num_chains * self.num_draws) as f64;
        (total / n, mcse_probability(&ind))
    }

    /// Quantile `q` of element `k` and its MCSE.
    pub fn quantile(&self, k: usize, q: f64) -> (f64, f64) {
        quantile_and_mcse(&self.element(k), q)
    }

    /// Posterior weight of each component of the mixture prior on the scalar
    /// parameter `param`: the average over draws of the components'
    /// responsibilities. A robust prior whose vague component gains weight
    /// signals data in conflict with the informative component.
    pub fn mixture_weights(&self, d: &MirDensity, param: ParamId) -> Option<Vec<f64>> {
        let mut acc: Option<Vec<f64>> = None;
        let mut n = 0.0;
        for theta in self.iter_draws() {
            let w = d.mixture_weights(param, theta)?;
            let row = w.first()?;
            let a = acc.get_or_insert_with(|| vec![0.0; row.len()]);
            for (s, v) in a.iter_mut().zip(row) {
                *s += v;
            }
            n += 1.0;
        }
        acc.map(|a| a.into_iter().map(|s| s / n).collect())
    }
}
