//! The evaluator [`MirDensity`]: validates and compiles a [`Model`], and
//! evaluates its log density and gradient with per-thread scratch buffers.

use super::dist::{Dist, PriorKernel};
use super::likelihood::{compile_likelihood, LikKernel};
use super::{err, MirError, Model, ParamId, Parameter, Prior};
use crate::density::LogDensity;
use std::cell::RefCell;

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
                    if !p.transform.is_ordered() || alpha.len() != p.size + 1 {
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
        if !matches!(pt.prior, Prior::Mixture(_)) || theta.len() != self.dim {
            return None;
        }
        let (o, size) = (self.offsets[param], self.model.params[param].size);
        theta[o..o + size]
            .iter()
            .map(|&t| pt.prior.responsibilities(t))
            .collect()
    }

    /// The compiled block `lik`, or an error naming it.
    fn block(&self, lik: usize) -> Result<&super::likelihood::LikKernel, MirError> {
        self.liks
            .get(lik)
            .ok_or_else(|| err(format!("the model has no likelihood block #{lik}")))
    }

    /// Checks that `theta` is a whole constrained vector.
    fn check_theta(&self, theta: &[f64]) -> Result<(), MirError> {
        if theta.len() == self.dim {
            Ok(())
        } else {
            Err(err(format!(
                "expected {} constrained values, got {}",
                self.dim,
                theta.len()
            )))
        }
    }

    /// The linear predictor of every observation of likelihood block `lik`
    /// at the constrained point `theta`, exactly as the log density forms
    /// it: intercept, every column, the lagged outcome, the decaying
    /// carryover and the latent AR(1) states.
    pub fn linear_predictor(&self, lik: usize, theta: &[f64]) -> Result<Vec<f64>, MirError> {
        self.check_theta(theta)?;
        self.block(lik)?.linear_predictor(theta).ok_or_else(|| {
            err(format!(
                "outcome `{}`: the latent AR(1) is outside its support",
                self.model.likelihoods[lik].outcome
            ))
        })
    }

    /// The pointwise log likelihood of likelihood block `lik` at the
    /// constrained point `theta`, one value per observation, into `out`
    /// (cleared first): log p(y_i | theta) for independent observations
    /// (given the latent states when the block has a latent AR(1)), and
    /// for AR(1) errors the factors of the joint density, the first
    /// observation's stationary term then each observation given the
    /// previous one. Their sum is the block's part of the log density
    /// (the log density minus [`log_prior_jacobian`](Self::log_prior_jacobian)
    /// and the other blocks), normalising constants included.
    pub fn pointwise_log_lik(
        &self,
        lik: usize,
        theta: &[f64],
        out: &mut Vec<f64>,
    ) -> Result<(), MirError> {
        self.check_theta(theta)?;
        let block = self.block(lik)?;
        out.clear();
        out.resize(block.n(), 0.0);
        block.pointwise(theta, out);
        Ok(())
    }

    /// One replicate y_rep of likelihood block `lik`'s observations at the
    /// constrained point `theta`, a whole series: the linear predictor as
    /// [`linear_predictor`](Self::linear_predictor) forms it (with the
    /// draw's latent states), then `simulate::draw_observations` on the
    /// block's days, which draws AR(1) errors as a whole stationary series.
    /// With a lagged outcome the series is generated in order: where an
    /// observation's previous measurement is the observation before it
    /// (its gap is the difference of their times), the lag term takes that
    /// observation's replicate instead of its observed value; the first
    /// observation, and one whose previous measurement was not analysed,
    /// keep the observed previous value the model conditions on.
    pub fn replicate(
        &self,
        lik: usize,
        theta: &[f64],
        rng: &mut crate::rng::ChainRng,
    ) -> Result<Vec<f64>, MirError> {
        use super::simulate::{ar1_residuals, draw_observations, Observation};
        let eta = self.linear_predictor(lik, theta)?;
        let block = &self.model.likelihoods[lik];
        let observation =
            Observation::from_family(&self.model, &block.family, theta, &self.offsets)?;
        let Some(lag) = &block.predictor.lagged_outcome else {
            return draw_observations(&observation, &eta, &block.days, rng);
        };
        let n = eta.len();
        let rho = theta[self.offsets[lag.param]];
        let chained = |i: usize| {
            i > 0 && block.days.len() == n && block.days[i] - block.days[i - 1] == lag.gaps[i]
        };
        // AR(1) errors: the residual path first, then the lag recursion on top.
        let residuals = match observation {
            Observation::NormalAr1 { sigma, phi } => {
                Some(ar1_residuals(sigma, phi, &block.days, rng)?)
            }
            _ => None,
        };
        let mut y: Vec<f64> = Vec::with_capacity(n);
        for i in 0..n {
            let mut e = eta[i];
            if chained(i) {
                // The lag column is the centred previous value: replacing
                // the observed y_{i-1} by its replicate shifts it by the
                // difference.
                e += rho.powi(lag.gaps[i] as i32) * (y[i - 1] - block.y[i - 1]);
            }
            let value = match (&residuals, &observation) {
                (Some(r), _) => e + r[i],
                (None, Observation::Binomial { trials }) => {
                    let one = Observation::Binomial {
                        trials: vec![trials.get(i).copied().unwrap_or(0)],
                    };
                    draw_observations(&one, &[e], &[], rng)?[0]
                }
                (None, obs) => draw_observations(obs, &[e], &[], rng)?[0],
            };
            y.push(value);
        }
        Ok(y)
    }

    /// The log prior plus the log Jacobian of the transforms at the
    /// unconstrained point `x`: the log density without its likelihood
    /// blocks. `NaN` for a vector of the wrong length.
    pub fn log_prior_jacobian(&self, x: &[f64]) -> f64 {
        if x.len() != self.dim {
            return f64::NAN;
        }
        let mut theta = vec![0.0; self.dim];
        let mut g = vec![0.0; self.dim];
        let mut lp = 0.0;
        for (p, &o) in self.model.params.iter().zip(&self.offsets) {
            lp += p
                .transform
                .constrain(&x[o..o + p.size], &mut theta[o..o + p.size]);
        }
        for (o, size, k) in &self.priors {
            lp += k.eval(&theta[*o..*o + *size], &mut g[*o..*o + *size]);
        }
        lp
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::density::Transform;
    use crate::mir::{Family, Likelihood, LinearPredictor, PriorTerm};

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
