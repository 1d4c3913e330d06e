//! A series of N-of-1 trials with each arm effect partially pooled across
//! people: [`PooledDensity`], one [`LogDensity`] built from every person's
//! own model (docs/model.md, as lowered for `trialc run`) and a population
//! layer on their effects.
//!
//! **Model** (docs/pool.md). Person i = 1..N has K arm effects (one per
//! non-reference arm) and P person-level covariates x_i (standardised by
//! the caller). Non-centred:
//!
//! ```text
//! delta_ik = mu_k + x_i . gamma_k + tau_k z_ik,   z_ik ~ normal(0, 1)
//! mu_k ~ mu_priors[k],  tau_k ~ tau_priors[k],  gamma_kp ~ gamma_prior
//! ```
//!
//! so that delta_ik ~ normal(mu_k + x_i . gamma_k, tau_k), and person i's
//! data enter through their own model with its effect parameters set to
//! delta_i. The effect's own prior in the person's model is removed: the
//! population layer takes its place. Every other parameter of a person's
//! model (intercept, sigma, phi, trend, …) is either the person's own, with
//! the prior the person's spec gives it, or **shared**: one value for the
//! whole series, with one prior ([`SharedParam`]).
//!
//! **Composition.** Each member's contribution is `own(x_i) - removed(x_i)`:
//! `own` is the person's [`MirDensity`] with each effect's prior replaced by
//! a fixed wide normal ([`PLACEHOLDER_SD`]), and `removed` a prior-only
//! density of the effects (that same normal) and the shared parameters (with
//! the person's own priors and transforms). The difference is the person's
//! likelihood times the priors of their own parameters, with the
//! log-Jacobians of their own transforms: the effect priors, and the shared
//! parameters' priors and Jacobians, cancel exactly, and the series' own
//! priors enter once, through a prior-only density of the global parameters.
//! The gradient follows by the chain rule (d delta_ik / d mu_k = 1,
//! / d z_ik = tau_k, / d tau_k = z_ik, / d gamma_kp = x_ip).
//!
//! **Summaries instead of diaries** ([`MemberData::Summary`]): a person known
//! only through exported evidence, the posterior q_k of each effect under a
//! prior pi_k, contributes log q_k(delta_ik) - log pi_k(delta_ik), the
//! likelihood that posterior implies, through the same composition (`own` is
//! a prior-only density with q as the prior, `removed` one with pi).
//!
//! Evaluation is sequential over members, in order: the sum and so every
//! bit of the result is the same on any thread.

use crate::density::{LogDensity, Transform};
use crate::mir::{Dist, MirDensity, MirError, Model, ParamId, Parameter, Prior, PriorTerm};
use std::cell::RefCell;

/// The SD of the normal that stands in for each effect's prior inside a
/// person's model (and is subtracted again). Any fixed proper prior would
/// do; a wide one keeps the cancelled terms small, so no precision is lost.
pub const PLACEHOLDER_SD: f64 = 1000.0;

/// A nuisance parameter with one value for the whole series.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedParam {
    pub name: String,
    pub transform: Transform,
    pub size: usize,
    pub prior: Prior,
}

/// How one person enters the series.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberData {
    /// The person's own model. `effects[k]` is the id of the (scalar,
    /// unconstrained) parameter of effect k; `shared[s]` the id of the
    /// parameter that takes the value of the series' shared parameter s.
    Model {
        model: Model,
        effects: Vec<ParamId>,
        shared: Vec<ParamId>,
    },
    /// The person's exported posterior of each effect, `posterior[k]`, and
    /// the prior it was computed under, `prior[k]` (both on the real line).
    Summary {
        posterior: Vec<Prior>,
        prior: Vec<Prior>,
    },
}

/// One person of the series.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The person's id (for messages).
    pub name: String,
    /// Person-level covariates, one per [`PoolModel::covariates`].
    pub covariates: Vec<f64>,
    pub data: MemberData,
}

/// The whole series.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolModel {
    /// One name per pooled effect (the non-reference arms).
    pub effects: Vec<String>,
    /// Names of the person-level covariates.
    pub covariates: Vec<String>,
    /// Prior of the population mean effect mu_k, one per effect.
    pub mu_priors: Vec<Prior>,
    /// Prior of the between-person SD tau_k, one per effect (support in (0, inf)).
    pub tau_priors: Vec<Prior>,
    /// Prior of every covariate coefficient gamma_kp.
    pub gamma_prior: Prior,
    /// Parameters pooled completely (one value for everyone).
    pub shared: Vec<SharedParam>,
    pub members: Vec<Member>,
}

/// Where one output quantity comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Output {
    Mu(usize),
    Tau(usize),
    /// (effect, covariate)
    Gamma(usize, usize),
    /// (shared parameter, element)
    Shared(usize, usize),
    /// (person, effect)
    Delta(usize, usize),
    /// (person, own parameter among `Compiled::free`, element)
    Own(usize, usize, usize),
}

/// The outputs in order, with their names (see `output_names`).
fn layout(model: &PoolModel, members: &[Compiled]) -> (Vec<(String, Output)>, usize) {
    let (k, p, n) = (model.effects.len(), model.covariates.len(), members.len());
    let mut out = Vec::new();
    out.extend((0..k).map(|j| (format!("mu[{}]", j + 1), Output::Mu(j))));
    out.extend((0..k).map(|j| (format!("tau[{}]", j + 1), Output::Tau(j))));
    for q in 0..p {
        for j in 0..k {
            out.push((format!("gamma[{},{}]", j + 1, q + 1), Output::Gamma(j, q)));
        }
    }
    for (si, sp) in model.shared.iter().enumerate() {
        let base = flat(&sp.name);
        if sp.size == 1 {
            out.push((base, Output::Shared(si, 0)));
        } else {
            out.extend((0..sp.size).map(|e| (format!("{base}[{}]", e + 1), Output::Shared(si, e))));
        }
    }
    let delta_first = out.len();
    for j in 0..k {
        for i in 0..n {
            out.push((format!("delta[{},{}]", i + 1, j + 1), Output::Delta(i, j)));
        }
    }
    // Own parameters by name, in the order they first appear.
    let name = |c: &Compiled, f: usize| flat(&c.own.model().params[c.free[f].0].name);
    let mut names: Vec<(String, usize)> = Vec::new();
    for c in members {
        for f in 0..c.free.len() {
            let nm = name(c, f);
            if !names.iter().any(|(x, _)| *x == nm) {
                names.push((nm, c.free[f].2));
            }
        }
    }
    for (nm, size) in names {
        let holders: Vec<(usize, usize)> = members
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                (0..c.free.len())
                    .find(|&f| name(c, f) == nm && c.free[f].2 == size)
                    .map(|f| (i, f))
            })
            .collect();
        if holders.len() == n {
            for e in 0..size {
                for &(i, f) in &holders {
                    let label = if size == 1 {
                        format!("{nm}[{}]", i + 1)
                    } else {
                        format!("{nm}[{},{}]", i + 1, e + 1)
                    };
                    out.push((label, Output::Own(i, f, e)));
                }
            }
        } else {
            for &(i, f) in &holders {
                for e in 0..size {
                    let label = if size == 1 {
                        format!("{nm}_{}", i + 1)
                    } else {
                        format!("{nm}_{}[{}]", i + 1, e + 1)
                    };
                    out.push((label, Output::Own(i, f, e)));
                }
            }
        }
    }
    // Members whose own parameter has the name but another size.
    for (i, c) in members.iter().enumerate() {
        for f in 0..c.free.len() {
            if !out
                .iter()
                .any(|(_, o)| matches!(o, Output::Own(a, b, _) if *a == i && *b == f))
            {
                let nm = name(c, f);
                for e in 0..c.free[f].2 {
                    out.push((format!("{nm}_{}[{}]", i + 1, e + 1), Output::Own(i, f, e)));
                }
            }
        }
    }
    (out, delta_first)
}

/// A member compiled for evaluation.
#[derive(Debug, Clone)]
struct Compiled {
    own: MirDensity,
    removed: MirDensity,
    /// Offset of effect k in `own`'s vector.
    effects: Vec<usize>,
    /// (offset in `own`, size, offset in `removed`, shared index).
    shared: Vec<(usize, usize, usize, usize)>,
    /// Person-specific parameters: (param id in `own`, offset in `own`,
    /// size, offset in the pooled vector).
    free: Vec<(ParamId, usize, usize, usize)>,
    covariates: Vec<f64>,
}

/// Per-thread buffers of one evaluation.
#[derive(Debug, Default)]
struct Scratch {
    xl: Vec<f64>,
    gl: Vec<f64>,
    xr: Vec<f64>,
    gr: Vec<f64>,
    gtau: Vec<f64>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The log density of a [`PoolModel`] on the unconstrained scale.
///
/// Layout of the unconstrained vector: the global block (mu_1..K,
/// tau_1..K on their transform's scale, gamma as K rows of P, z as N rows
/// of K, then each shared parameter), then each person's own parameters in
/// their model's order.
#[derive(Debug, Clone)]
pub struct PooledDensity {
    model: PoolModel,
    k: usize,
    p: usize,
    global: MirDensity,
    /// Offsets in the global block.
    mu: Vec<usize>,
    tau: Vec<usize>,
    gamma: usize,
    z: usize,
    shared: Vec<usize>,
    members: Vec<Compiled>,
    global_dim: usize,
    dim: usize,
    max_own: usize,
    max_removed: usize,
    layout: Vec<(String, Output)>,
    delta_first: usize,
}

fn err(message: String) -> MirError {
    MirError {
        message,
        origin: None,
    }
}

fn scalar(name: String, transform: Transform) -> Parameter {
    Parameter {
        name,
        transform,
        size: 1,
        origin: None,
    }
}

fn placeholder() -> Prior {
    Prior::Dist(Dist::Normal {
        mu: 0.0,
        sigma: PLACEHOLDER_SD,
    })
}

/// The transform onto (0, inf) intersected with the support of `prior`
/// (tau's): `Lower(0)` unless the prior bounds it above.
pub fn positive_transform(prior: &Prior) -> Transform {
    let supports: Vec<(f64, f64)> = match prior {
        Prior::Dist(d) => vec![d.support()],
        Prior::Mixture(cs) => cs.iter().map(|c| c.dist.support()).collect(),
        Prior::InducedDirichlet { .. } => Vec::new(),
    };
    let (mut lo, mut hi) = (0.0f64, f64::INFINITY);
    for (a, b) in supports {
        lo = lo.max(a);
        hi = hi.min(b);
    }
    match (lo < hi, hi.is_finite()) {
        (true, true) => Transform::Interval(lo, hi),
        (true, false) => Transform::Lower(lo),
        _ => Transform::Lower(0.0),
    }
}

/// A name without a bracketed index: `carryover[placebo]` → `carryover_placebo`.
fn flat(name: &str) -> String {
    name.replace('[', "_").replace([']', ','], "")
}

impl PooledDensity {
    /// Validates and compiles the series: every member's model, its effect
    /// and shared parameters (scalar real-line effects; shared parameters of
    /// the shared transform and size), the global priors.
    pub fn new(model: PoolModel) -> Result<Self, MirError> {
        let k = model.effects.len();
        let p = model.covariates.len();
        let n = model.members.len();
        if k == 0 {
            return Err(err("the series has no effect to pool".into()));
        }
        if n == 0 {
            return Err(err("the series has no member".into()));
        }
        if model.mu_priors.len() != k || model.tau_priors.len() != k {
            return Err(err(format!(
                "{k} effects need {k} priors for mu and for tau"
            )));
        }
        // The global block as a prior-only model.
        let mut params = Vec::new();
        let mut priors = Vec::new();
        let mut push = |param: Parameter, prior: Prior, params: &mut Vec<Parameter>| {
            priors.push(PriorTerm {
                param: params.len(),
                prior,
            });
            params.push(param);
        };
        for (name, prior) in model.effects.iter().zip(&model.mu_priors) {
            push(
                scalar(format!("mu[{name}]"), Transform::Identity),
                prior.clone(),
                &mut params,
            );
        }
        for (name, prior) in model.effects.iter().zip(&model.tau_priors) {
            push(
                scalar(format!("tau[{name}]"), positive_transform(prior)),
                prior.clone(),
                &mut params,
            );
        }
        let gamma_param = (p > 0).then_some(params.len());
        if p > 0 {
            push(
                Parameter {
                    name: "gamma".into(),
                    transform: Transform::Identity,
                    size: k * p,
                    origin: None,
                },
                model.gamma_prior.clone(),
                &mut params,
            );
        }
        let z_param = params.len();
        push(
            Parameter {
                name: "z".into(),
                transform: Transform::Identity,
                size: n * k,
                origin: None,
            },
            Prior::Dist(Dist::Normal {
                mu: 0.0,
                sigma: 1.0,
            }),
            &mut params,
        );
        let first_shared = params.len();
        for s in &model.shared {
            push(
                Parameter {
                    name: s.name.clone(),
                    transform: s.transform.clone(),
                    size: s.size,
                    origin: None,
                },
                s.prior.clone(),
                &mut params,
            );
        }
        let global = MirDensity::new(Model {
            params,
            priors,
            likelihoods: Vec::new(),
        })?;
        let offs = global.offsets().to_vec();
        let global_dim = global.dim();
        let mu = offs[..k].to_vec();
        let tau = offs[k..2 * k].to_vec();
        let gamma = gamma_param.map_or(0, |g| offs[g]);
        let z = offs[z_param];
        let shared = offs[first_shared..].to_vec();

        let mut members = Vec::with_capacity(n);
        let mut dim = global_dim;
        for m in &model.members {
            let named = |e: MirError| MirError {
                message: format!("participant `{}`: {}", m.name, e.message),
                origin: e.origin,
            };
            if m.covariates.len() != p || m.covariates.iter().any(|c| !c.is_finite()) {
                return Err(err(format!(
                    "participant `{}`: expected {p} finite covariates",
                    m.name
                )));
            }
            let c = compile_member(m, &model, &mut dim).map_err(named)?;
            members.push(c);
        }
        let max_own = members.iter().map(|c| c.own.dim()).max().unwrap_or(0);
        let max_removed = members.iter().map(|c| c.removed.dim()).max().unwrap_or(0);
        let (layout, delta_first) = layout(&model, &members);
        Ok(PooledDensity {
            model,
            k,
            p,
            global,
            mu,
            tau,
            gamma,
            z,
            shared,
            members,
            global_dim,
            dim,
            max_own,
            max_removed,
            layout,
            delta_first,
        })
    }

    /// The series as given.
    pub fn model(&self) -> &PoolModel {
        &self.model
    }

    /// Names of the constrained quantities [`outputs`](Self::outputs)
    /// returns, laid out as CmdStan writes arrays (each array's elements
    /// contiguous, the first index fastest), so that cmdstanpy and ArviZ
    /// read them back as arrays: `mu[k]`, `tau[k]`, `gamma[k,p]`, each
    /// shared parameter (`sigma`, `cutpoints[2]`), `delta[i,k]` (person i,
    /// effect k), then each own parameter across people (`intercept[i]`,
    /// `cutpoints[i,j]`); an own parameter that not every person has is
    /// named per person (`trend_3`). Indices are 1-based.
    pub fn output_names(&self) -> Vec<String> {
        self.layout.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Index in [`outputs`](Self::outputs) of `delta[i,k]` (0-based i, k).
    pub fn delta_output(&self, i: usize, k: usize) -> usize {
        self.delta_first + k * self.members.len() + i
    }

    /// Index in [`outputs`](Self::outputs) of the first element of shared
    /// parameter `s`.
    pub fn shared_output_offset(&self, s: usize) -> usize {
        2 * self.k
            + self.k * self.p
            + self
                .model
                .shared
                .iter()
                .take(s)
                .map(|s| s.size)
                .sum::<usize>()
    }

    /// The constrained quantities at `x` (see [`output_names`](Self::output_names)).
    pub fn outputs(&self, x: &[f64]) -> Vec<f64> {
        if x.len() != self.dim {
            return Vec::new();
        }
        let (mu, tau, gamma, z) = self.globals(x);
        // Each shared and own parameter constrained once.
        let shared: Vec<Vec<f64>> = self
            .model
            .shared
            .iter()
            .zip(&self.shared)
            .map(|(s, o)| {
                let mut theta = vec![0.0; s.size];
                s.transform.constrain(&x[*o..*o + s.size], &mut theta);
                theta
            })
            .collect();
        let own: Vec<Vec<Vec<f64>>> = self
            .members
            .iter()
            .map(|c| {
                c.free
                    .iter()
                    .map(|&(id, _, size, off)| {
                        let mut theta = vec![0.0; size];
                        c.own.model().params[id]
                            .transform
                            .constrain(&x[off..off + size], &mut theta);
                        theta
                    })
                    .collect()
            })
            .collect();
        self.layout
            .iter()
            .map(|(_, q)| match *q {
                Output::Mu(k) => mu[k],
                Output::Tau(k) => tau[k],
                Output::Gamma(k, q) => gamma[k * self.p + q],
                Output::Shared(s, j) => shared[s][j],
                Output::Delta(i, k) => self.delta(&mu, &tau, &gamma, z, &self.members[i], i, k),
                Output::Own(i, f, j) => own[i][f][j],
            })
            .collect()
    }

    /// mu, tau (constrained), gamma and the z block of `x`.
    fn globals<'a>(&self, x: &'a [f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>, &'a [f64]) {
        let mu: Vec<f64> = self.mu.iter().map(|&o| x[o]).collect();
        let tau: Vec<f64> = self
            .tau
            .iter()
            .zip(&self.global.model().params[self.k..2 * self.k])
            .map(|(&o, p)| {
                let mut t = [0.0];
                p.transform.constrain(&x[o..o + 1], &mut t);
                t[0]
            })
            .collect();
        let gamma = x[self.gamma..self.gamma + self.k * self.p].to_vec();
        let z = &x[self.z..self.z + self.members.len() * self.k];
        (mu, tau, gamma, z)
    }

    #[allow(clippy::too_many_arguments)]
    fn delta(
        &self,
        mu: &[f64],
        tau: &[f64],
        gamma: &[f64],
        z: &[f64],
        c: &Compiled,
        i: usize,
        kk: usize,
    ) -> f64 {
        let mut d = mu[kk];
        for (q, xq) in c.covariates.iter().enumerate() {
            d += gamma[kk * self.p + q] * xq;
        }
        d + tau[kk] * z[i * self.k + kk]
    }

    fn eval(&self, x: &[f64], grad: &mut [f64], s: &mut Scratch) -> f64 {
        let k = self.k;
        if s.xl.len() < self.max_own {
            s.xl.resize(self.max_own, 0.0);
            s.gl.resize(self.max_own, 0.0);
        }
        if s.xr.len() < self.max_removed {
            s.xr.resize(self.max_removed, 0.0);
            s.gr.resize(self.max_removed, 0.0);
        }
        s.gtau.clear();
        s.gtau.resize(k, 0.0);
        grad.fill(0.0);
        let gd = self.global_dim;
        let mut lp = self.global.logp_grad(&x[..gd], &mut grad[..gd]);
        let (mu, tau, gamma, z) = self.globals(x);
        for (i, c) in self.members.iter().enumerate() {
            let (nl, nr) = (c.own.dim(), c.removed.dim());
            let (xl, gl) = (&mut s.xl[..nl], &mut s.gl[..nl]);
            let (xr, gr) = (&mut s.xr[..nr], &mut s.gr[..nr]);
            for kk in 0..k {
                let d = self.delta(&mu, &tau, &gamma, z, c, i, kk);
                xl[c.effects[kk]] = d;
                xr[kk] = d;
            }
            for &(ol, size, or, sh) in &c.shared {
                let g = self.shared[sh];
                xl[ol..ol + size].copy_from_slice(&x[g..g + size]);
                xr[or..or + size].copy_from_slice(&x[g..g + size]);
            }
            for &(_, ol, size, off) in &c.free {
                xl[ol..ol + size].copy_from_slice(&x[off..off + size]);
            }
            lp += c.own.logp_grad(xl, gl) - c.removed.logp_grad(xr, gr);
            for kk in 0..k {
                let g = gl[c.effects[kk]] - gr[kk];
                let zi = i * k + kk;
                grad[self.mu[kk]] += g;
                grad[self.z + zi] += g * tau[kk];
                s.gtau[kk] += g * z[zi];
                for (q, xq) in c.covariates.iter().enumerate() {
                    grad[self.gamma + kk * self.p + q] += g * xq;
                }
            }
            for &(ol, size, or, sh) in &c.shared {
                let g = self.shared[sh];
                for j in 0..size {
                    grad[g + j] += gl[ol + j] - gr[or + j];
                }
            }
            for &(_, ol, size, off) in &c.free {
                grad[off..off + size].copy_from_slice(&gl[ol..ol + size]);
            }
        }
        // d delta / d tau_k = z_ik, times d tau_k / d x (the log-Jacobian's
        // gradient is already in the global block's).
        for (kk, (&o, &t)) in self.tau.iter().zip(&tau).enumerate() {
            let transform = &self.global.model().params[k + kk].transform;
            let xs = &x[o..o + 1];
            let (mut with, mut without) = ([0.0], [0.0]);
            transform.backprop(xs, &[t], &[s.gtau[kk]], &mut with);
            transform.backprop(xs, &[t], &[0.0], &mut without);
            grad[o] += with[0] - without[0];
        }
        lp
    }
}

/// Compiles one member; `dim` is the pooled vector's length so far (the
/// member's own parameters are appended).
fn compile_member(m: &Member, series: &PoolModel, dim: &mut usize) -> Result<Compiled, MirError> {
    let k = series.effects.len();
    match &m.data {
        MemberData::Summary { posterior, prior } => {
            if posterior.len() != k || prior.len() != k {
                return Err(err(format!(
                    "a summary needs a posterior and a prior for each of the {k} effects"
                )));
            }
            let only = |priors: &[Prior]| {
                MirDensity::new(Model {
                    params: series
                        .effects
                        .iter()
                        .map(|e| scalar(format!("delta[{e}]"), Transform::Identity))
                        .collect(),
                    priors: priors
                        .iter()
                        .enumerate()
                        .map(|(param, prior)| PriorTerm {
                            param,
                            prior: prior.clone(),
                        })
                        .collect(),
                    likelihoods: Vec::new(),
                })
            };
            Ok(Compiled {
                own: only(posterior)?,
                removed: only(prior)?,
                effects: (0..k).collect(),
                shared: Vec::new(),
                free: Vec::new(),
                covariates: m.covariates.clone(),
            })
        }
        MemberData::Model {
            model,
            effects,
            shared,
        } => {
            if effects.len() != k {
                return Err(err(format!(
                    "the model has {} effect parameters, the series {k}",
                    effects.len()
                )));
            }
            if shared.len() != series.shared.len() {
                return Err(err(format!(
                    "the model names {} shared parameters, the series {}",
                    shared.len(),
                    series.shared.len()
                )));
            }
            let mut used = vec![false; model.params.len()];
            for &id in effects.iter().chain(shared) {
                match used.get_mut(id) {
                    Some(u) if !*u => *u = true,
                    Some(_) => return Err(err(format!("parameter #{id} is named twice"))),
                    None => return Err(err(format!("no parameter #{id}"))),
                }
            }
            for &id in effects {
                let p = &model.params[id];
                if p.size != 1 || p.transform != Transform::Identity {
                    return Err(err(format!(
                        "the effect `{}` must be a scalar on the real line",
                        p.name
                    )));
                }
            }
            for (&id, s) in shared.iter().zip(&series.shared) {
                let p = &model.params[id];
                if p.size != s.size || p.transform != s.transform {
                    return Err(err(format!(
                        "`{}` cannot be shared: its size or support differs from the series' `{}`",
                        p.name, s.name
                    )));
                }
            }
            // `own`: the effects' priors replaced by the placeholder.
            let mut own_model = model.clone();
            for pt in &mut own_model.priors {
                if effects.contains(&pt.param) {
                    pt.prior = placeholder();
                }
            }
            let own = MirDensity::new(own_model)?;
            // `removed`: the effects (placeholder) and the shared parameters
            // with the person's own priors and transforms.
            let mut params = Vec::new();
            let mut priors = Vec::new();
            for &id in effects {
                priors.push(PriorTerm {
                    param: params.len(),
                    prior: placeholder(),
                });
                params.push(model.params[id].clone());
            }
            for &id in shared {
                let prior = model
                    .priors
                    .iter()
                    .find(|pt| pt.param == id)
                    .map(|pt| pt.prior.clone())
                    .ok_or_else(|| err(format!("`{}` has no prior", model.params[id].name)))?;
                priors.push(PriorTerm {
                    param: params.len(),
                    prior,
                });
                params.push(model.params[id].clone());
            }
            let removed = MirDensity::new(Model {
                params,
                priors,
                likelihoods: Vec::new(),
            })?;
            let offs = own.offsets().to_vec();
            let roffs = removed.offsets().to_vec();
            let effect_offsets = effects.iter().map(|&id| offs[id]).collect();
            let shared_map = shared
                .iter()
                .enumerate()
                .map(|(s, &id)| (offs[id], model.params[id].size, roffs[k + s], s))
                .collect();
            let mut free = Vec::new();
            for (id, p) in model.params.iter().enumerate() {
                if used[id] {
                    continue;
                }
                free.push((id, offs[id], p.size, *dim));
                *dim += p.size;
            }
            Ok(Compiled {
                own,
                removed,
                effects: effect_offsets,
                shared: shared_map,
                free,
                covariates: m.covariates.clone(),
            })
        }
    }
}

impl LogDensity for PooledDensity {
    fn dim(&self) -> usize {
        self.dim
    }

    fn logp_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        if x.len() != self.dim || grad.len() != self.dim {
            return f64::NAN;
        }
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut s) => self.eval(x, grad, &mut s),
            Err(_) => self.eval(x, grad, &mut Scratch::default()),
        })
    }

    fn coordinate_names(&self) -> Vec<String> {
        let mut names = self.global.coordinate_names();
        for (i, c) in self.members.iter().enumerate() {
            let own = c.own.coordinate_names();
            for &(_, ol, size, _) in &c.free {
                for j in 0..size {
                    names.push(format!(
                        "{} of participant {} (`{}`)",
                        own[ol + j],
                        i + 1,
                        self.model.members[i].name
                    ));
                }
            }
        }
        names
    }

    fn nonfinite_terms(&self, x: &[f64]) -> Vec<String> {
        if x.len() != self.dim {
            return vec!["(wrong dimension)".into()];
        }
        let mut g = vec![0.0; self.dim];
        let mut bad = self.global.nonfinite_terms(&x[..self.global_dim]);
        let lp = self.logp_grad(x, &mut g);
        if bad.is_empty() && !(lp.is_finite() && g.iter().all(|v| v.is_finite())) {
            bad.push("a participant's likelihood".into());
        }
        bad
    }
}
