//! The entry point the compiler calls: fit a [`Model`] with NUTS and get the
//! constrained draws with their summaries, sampler health, docs/model.md's
//! warnings, and helpers for decision rules (probabilities with MCSE) and
//! robust-prior conflict reporting (posterior mixture weights).
//!
//! Three ways to get a [`Posterior`]: [`fit`] (NUTS from Stan's random
//! inits), [`fit_from_mode`] (NUTS with each chain started at a draw from the
//! Laplace approximation at the posterior mode) and [`fit_laplace`] (iid
//! draws from the Laplace approximation itself: fast, approximate, no
//! sampler). All three give the same type, so the report code is the same.

use crate::density::LogDensity;
use crate::diagnostics::{
    chain_health, mcse_mean, mcse_probability, quantile_and_mcse, quantity_warnings,
    sampler_warnings, summarise, ChainHealth, Summary,
};
use crate::mir::{MirDensity, MirError, Model, ParamId, Prior};
use crate::nuts::{run_chain, sample, Fit, NutsConfig, SampleError, SampleStats};
use crate::optimize::{find_mode, laplace, Laplace, OptimizeConfig, OptimizeError};
use crate::rng::ChainRng;
use rayon::prelude::*;
use std::fmt;

/// Any failure of a fit.
#[derive(Debug, Clone, PartialEq)]
pub enum RuntimeError {
    Model(MirError),
    Sample(SampleError),
    Optimize(OptimizeError),
    /// Invalid settings (e.g. no draws asked for).
    Config(String),
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::Model(e) => write!(f, "invalid model: {e}"),
            RuntimeError::Sample(e) => write!(f, "sampling failed: {e}"),
            RuntimeError::Optimize(e) => write!(f, "optimisation failed: {e}"),
            RuntimeError::Config(m) => write!(f, "invalid settings: {m}"),
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

/// How the draws of a [`Posterior`] were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// NUTS chains (Markov chain Monte Carlo, exact in the limit).
    Nuts,
    /// Independent draws from the Laplace approximation (a Gaussian at the
    /// mode, on the unconstrained scale), constrained: approximate.
    Laplace,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Nuts => "nuts",
            Method::Laplace => "laplace",
        }
    }
}

/// Where the NUTS chains started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// Stan's: uniform(-2, 2) on the unconstrained scale, from each chain's stream.
    Random,
    /// A draw from the Laplace approximation at the mode ([`mode_inits`]).
    Map,
    /// The one point given in `NutsConfig::init`.
    Given,
    /// No chains (the Laplace method): the mode search starts at 0.
    None,
}

impl Init {
    pub fn name(self) -> &'static str {
        match self {
            Init::Random => "random",
            Init::Map => "map",
            Init::Given => "given",
            Init::None => "none",
        }
    }
}

/// Posterior draws on the constrained scale, with diagnostics.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Posterior {
    /// NUTS or the Laplace approximation.
    pub method: Method,
    /// Where the chains started.
    pub init: Init,
    /// Why the asked-for init could not be used (e.g. `--init map` without a
    /// mode: the chains fell back to random inits), for the report.
    pub init_note: Option<String>,
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
    /// docs/model.md's warnings (R-hat > 1.01, bulk-ESS < 400, divergences) plus
    /// tree depth saturation and low E-BFMI.
    pub warnings: Vec<String>,
    pub grad_evals: u64,
    pub stepsizes: Vec<f64>,
    /// Each chain's adapted diagonal inverse metric (unconstrained scale);
    /// empty for the Laplace method.
    pub inv_metrics: Vec<Vec<f64>>,
    /// Posterior component weights of every mixture prior, per element, in
    /// parameter order; computed once when the posterior is built.
    mixtures: Vec<MixtureWeights>,
}

/// The posterior weights of the components of a mixture prior on one
/// element of a parameter. A robust prior whose vague component gains
/// weight signals data in conflict with the informative component.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MixtureWeights {
    /// The parameter whose prior is the mixture.
    pub param: ParamId,
    /// The element of that parameter (0 for a scalar).
    pub element: usize,
    /// The element's name (`delta`, `z[2]`).
    pub name: String,
    /// Each component's prior weight, in the prior's order.
    pub prior: Vec<f64>,
    /// Each component's posterior weight: the mean over all draws of its
    /// responsibility w_k p_k(x) / sum_j w_j p_j(x) (which is the posterior
    /// probability that the parameter came from component k).
    pub posterior: Vec<f64>,
    /// Monte Carlo standard error of each posterior weight, as for a
    /// posterior mean: from the chains' series of responsibilities with the
    /// ESS of [`mcse_mean`] (NUTS), or sd / sqrt(n) (the Laplace method's
    /// independent draws).
    pub mcse: Vec<f64>,
}

/// Validates and compiles `model`, runs NUTS, summarises.
pub fn fit(model: Model, cfg: &NutsConfig) -> Result<Posterior, RuntimeError> {
    let d = MirDensity::new(model)?;
    fit_density(&d, cfg)
}

/// As [`fit`] for an already compiled density.
pub fn fit_density(d: &MirDensity, cfg: &NutsConfig) -> Result<Posterior, RuntimeError> {
    let f = sample(d, cfg)?;
    let mut p = Posterior::from_fit(d, &f, cfg.max_depth)?;
    if cfg.init.is_some() {
        p.init = Init::Given;
    }
    Ok(p)
}

/// ChaCha20 streams of the MAP inits: chain `c` draws its start point from
/// stream `INIT_STREAM + c` of the seed (stream `c` stays the sampler's).
pub const INIT_STREAM: u64 = 1 << 40;

/// NUTS started at the mode: as [`fit`], but each chain starts at its own
/// draw from the Laplace approximation at the posterior mode
/// ([`mode_inits`]). The mode search is deterministic and each chain's
/// start comes from its own stream, so the result does not depend on the
/// number of threads. Without a mode the chains start from Stan's random
/// inits and `init_note` says why.
pub fn fit_from_mode(
    model: Model,
    cfg: &NutsConfig,
    opt: &OptimizeConfig,
) -> Result<Posterior, RuntimeError> {
    let d = MirDensity::new(model)?;
    fit_density_from_mode(&d, cfg, opt)
}

/// As [`fit_from_mode`] for an already compiled density.
pub fn fit_density_from_mode(
    d: &MirDensity,
    cfg: &NutsConfig,
    opt: &OptimizeConfig,
) -> Result<Posterior, RuntimeError> {
    if cfg.num_chains == 0 {
        return Err(RuntimeError::Config(
            "at least one chain is needed".to_string(),
        ));
    }
    let inits = match mode_inits(d, cfg.num_chains, cfg.seed, opt) {
        Ok(inits) => inits,
        Err(e) => {
            let random = NutsConfig {
                init: None,
                ..cfg.clone()
            };
            let mut p = fit_density(d, &random)?;
            p.init_note = Some(format!(
                "no posterior mode to start from ({e}); the chains started from Stan's random inits"
            ));
            return Ok(p);
        }
    };
    let chains: Vec<Result<_, SampleError>> = inits
        .into_par_iter()
        .enumerate()
        .map(|(c, x)| {
            let one = NutsConfig {
                init: Some(x),
                ..cfg.clone()
            };
            run_chain(d, &one, c)
        })
        .collect();
    let f = Fit {
        dim: d.dim(),
        names: d.coordinate_names(),
        chains: chains.into_iter().collect::<Result<Vec<_>, _>>()?,
    };
    let mut p = Posterior::from_fit(d, &f, cfg.max_depth)?;
    p.init = Init::Map;
    Ok(p)
}

/// One start point per chain near the posterior mode (unconstrained): the
/// mode is found from 0 (deterministic), then chain `c` takes a draw from
/// the Laplace approximation there, from stream [`INIT_STREAM`]` + c` of
/// `seed`, so that the chains are dispersed on the posterior's own scale
/// (R-hat stays meaningful). When the Hessian is not negative definite the
/// jitter is uniform(-0.1, 0.1) per coordinate instead; a start with a
/// non-finite density is redrawn (10 tries, then the mode itself). Fails
/// only when there is no mode.
pub fn mode_inits(
    d: &MirDensity,
    num_chains: usize,
    seed: u64,
    opt: &OptimizeConfig,
) -> Result<Vec<Vec<f64>>, OptimizeError> {
    let dim = d.dim();
    let start = vec![0.0; dim];
    let (mode, lap) = match laplace(d, &start, opt) {
        Ok(lap) => (lap.mode.x.clone(), Some(lap)),
        Err(OptimizeError::NotConcave | OptimizeError::NotFinite) => {
            (find_mode(d, &start, opt)?.x, None)
        }
        Err(e) => return Err(e),
    };
    let mut g = vec![0.0; dim];
    Ok((0..num_chains)
        .map(|c| {
            let mut rng = ChainRng::new(seed, INIT_STREAM + c as u64);
            for _ in 0..10 {
                let x = match &lap {
                    Some(lap) => lap.draw(&mut rng),
                    None => mode
                        .iter()
                        .map(|m| m + 0.1 * (2.0 * rng.uniform() - 1.0))
                        .collect(),
                };
                let lp = d.logp_grad(&x, &mut g);
                if lp.is_finite() && g.iter().all(|v| v.is_finite()) {
                    return x;
                }
            }
            mode.clone()
        })
        .collect())
}

/// The fast approximate mode: the Laplace approximation of `model` at its
/// mode (found from 0 on the unconstrained scale), and `num_draws`
/// independent draws from it (stream `u64::MAX` of `seed`), constrained.
/// Deterministic and single-threaded. Its `summaries` have no R-hat or ESS
/// (NaN: not applicable to iid draws); `mcse_mean` is sd / sqrt(n).
pub fn fit_laplace(
    model: Model,
    opt: &OptimizeConfig,
    num_draws: usize,
    seed: u64,
) -> Result<Posterior, RuntimeError> {
    let d = MirDensity::new(model)?;
    fit_density_laplace(&d, opt, num_draws, seed)
}

/// As [`fit_laplace`] for an already compiled density.
pub fn fit_density_laplace(
    d: &MirDensity,
    opt: &OptimizeConfig,
    num_draws: usize,
    seed: u64,
) -> Result<Posterior, RuntimeError> {
    if num_draws < 2 {
        return Err(RuntimeError::Config(
            "the Laplace method needs at least 2 draws".into(),
        ));
    }
    let lap = laplace(d, &vec![0.0; d.dim()], opt)?;
    Posterior::from_laplace(d, &lap, num_draws, seed)
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
            method: Method::Nuts,
            init: Init::Random,
            init_note: None,
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
            inv_metrics: fit.chains.iter().map(|c| c.inv_metric.clone()).collect(),
            mixtures: Vec::new(),
        };
        p.summaries = (0..dim).map(|k| summarise(&p.element(k))).collect();
        p.mixtures = p.mixture_weights_of(d);
        for (name, s) in p.names.iter().zip(&p.summaries) {
            p.warnings.extend(quantity_warnings(name, s));
        }
        p.warnings.extend(sampler_warnings(&p.health));
        Ok(p)
    }

    /// The draws of a fit of any [`LogDensity`] (a pooled series of trials,
    /// `crate::pool`), each mapped by `outputs` to the constrained
    /// quantities called `names`, with summaries, sampler health and
    /// warnings as [`from_fit`](Self::from_fit) gives them; no mixture
    /// weights (the quantities are not a MIR model's parameters). `outputs`
    /// sees the draws in order, chain after chain.
    pub fn from_fit_outputs(
        names: Vec<String>,
        fit: &Fit,
        max_depth: usize,
        mut outputs: impl FnMut(&[f64]) -> Vec<f64>,
    ) -> Self {
        let num_chains = fit.chains.len();
        let num_draws = fit.chains.first().map_or(0, |c| c.stats.len());
        let mut draws = Vec::with_capacity(num_chains * num_draws * names.len());
        for c in &fit.chains {
            for x in c.draws.chunks(fit.dim.max(1)) {
                let mut o = outputs(x);
                o.resize(names.len(), f64::NAN);
                draws.extend(o);
            }
        }
        let mut p = Posterior {
            method: Method::Nuts,
            init: Init::Random,
            init_note: None,
            names,
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
            inv_metrics: fit.chains.iter().map(|c| c.inv_metric.clone()).collect(),
            mixtures: Vec::new(),
        };
        p.summaries = (0..p.dim()).map(|k| summarise(&p.element(k))).collect();
        for (name, s) in p.names.iter().zip(&p.summaries) {
            p.warnings.extend(quantity_warnings(name, s));
        }
        p.warnings.extend(sampler_warnings(&p.health));
        p
    }

    /// `num_draws` iid draws from `lap`, constrained through `d`, as one
    /// "chain". R-hat and ESS are NaN (not applicable); no sampler stats.
    pub fn from_laplace(
        d: &MirDensity,
        lap: &Laplace,
        num_draws: usize,
        seed: u64,
    ) -> Result<Self, RuntimeError> {
        let dim = d.dim();
        let mut draws = Vec::with_capacity(num_draws * dim);
        for x in lap.draws(num_draws, seed).chunks(dim.max(1)) {
            draws.extend(d.constrain(x)?);
        }
        let mut p = Posterior {
            method: Method::Laplace,
            init: Init::None,
            init_note: None,
            names: d.coordinate_names(),
            num_chains: 1,
            num_draws,
            draws,
            stats: vec![Vec::new()],
            health: Vec::new(),
            summaries: Vec::new(),
            warnings: Vec::new(),
            // The mode search plus two gradients per coordinate for the Hessian.
            grad_evals: lap.mode.grad_evals + 2 * dim as u64,
            stepsizes: Vec::new(),
            inv_metrics: Vec::new(),
            mixtures: Vec::new(),
        };
        let n = num_draws as f64;
        p.summaries = (0..dim)
            .map(|k| {
                let x = p.element(k).concat();
                let mean = x.iter().sum::<f64>() / n;
                let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
                Summary {
                    mean,
                    sd,
                    rhat: f64::NAN,
                    rhat_bulk: f64::NAN,
                    rhat_tail: f64::NAN,
                    ess_bulk: f64::NAN,
                    ess_tail: f64::NAN,
                    ess_mean: f64::NAN,
                    mcse_mean: sd / n.sqrt(),
                }
            })
            .collect();
        p.mixtures = p.mixture_weights_of(d);
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
        let p = total / n;
        match self.method {
            Method::Nuts => (p, mcse_probability(&ind)),
            // Independent draws: the binomial standard error.
            Method::Laplace => (p, (p * (1.0 - p) / n).sqrt()),
        }
    }

    /// Quantiles `ps` of element `k` (all chains pooled), without MCSE.
    pub fn quantiles(&self, k: usize, ps: &[f64]) -> Vec<f64> {
        let flat: Vec<f64> = self.element(k).concat();
        crate::diagnostics::quantiles(&flat, ps)
    }

    /// Quantile `q` of element `k` and its MCSE.
    pub fn quantile(&self, k: usize, q: f64) -> (f64, f64) {
        quantile_and_mcse(&self.element(k), q)
    }

    /// The posterior component weights of the mixture prior on `param`
    /// (its first element: a scalar's only one); `None` when its prior is
    /// not a mixture or there are no draws. See [`mixtures`](Self::mixtures)
    /// for every element of a vector parameter.
    pub fn mixture(&self, param: ParamId) -> Option<&MixtureWeights> {
        self.mixtures.iter().find(|m| m.param == param)
    }

    /// The posterior component weights of every element of every parameter
    /// with a mixture prior, in parameter then element order.
    pub fn mixtures(&self) -> &[MixtureWeights] {
        &self.mixtures
    }

    /// [`MixtureWeights`] of every mixture prior of `d`'s model, from this
    /// posterior's draws (which `d` constrained).
    fn mixture_weights_of(&self, d: &MirDensity) -> Vec<MixtureWeights> {
        let n_total = self.num_chains * self.num_draws;
        if n_total == 0 {
            return Vec::new();
        }
        let model = d.model();
        let names = d.coordinate_names();
        let mut out = Vec::new();
        for pt in &model.priors {
            let Prior::Mixture(comps) = &pt.prior else {
                continue;
            };
            let offset = d.offsets()[pt.param];
            for element in 0..model.params[pt.param].size {
                let k = offset + element;
                // responsibilities[component][chain][draw]
                let mut resp =
                    vec![vec![Vec::with_capacity(self.num_draws); self.num_chains]; comps.len()];
                for (i, theta) in self.iter_draws().enumerate() {
                    let chain = i / self.num_draws;
                    let r = pt.prior.responsibilities(theta[k]).unwrap_or_default();
                    for (series, v) in resp.iter_mut().zip(r) {
                        series[chain].push(v);
                    }
                }
                let n = n_total as f64;
                let (posterior, mcse) = resp
                    .iter()
                    .map(|series| {
                        // Summed in draw order, as the report did before.
                        let mut total = 0.0;
                        for v in series.iter().flatten() {
                            total += v;
                        }
                        let mean = total / n;
                        let ss: f64 = series.iter().flatten().map(|v| (v - mean).powi(2)).sum();
                        let se = if ss == 0.0 {
                            0.0
                        } else {
                            match self.method {
                                Method::Nuts => mcse_mean(series),
                                Method::Laplace => (ss / (n - 1.0)).sqrt() / n.sqrt(),
                            }
                        };
                        (mean, se)
                    })
                    .unzip();
                out.push(MixtureWeights {
                    param: pt.param,
                    element,
                    name: names[k].clone(),
                    prior: comps.iter().map(|c| c.weight).collect(),
                    posterior,
                    mcse,
                });
            }
        }
        out
    }
}
