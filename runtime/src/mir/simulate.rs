//! The generative side of the model IR: data drawn from the model instead of
//! a density evaluated at data.
//!
//! Three layers, each usable alone:
//!
//! - [`draw_dist`], [`draw_prior`]: one value (or vector) from a prior
//!   distribution, a mixture or the induced Dirichlet on cutpoints,
//!   restricted to a transform's support;
//! - [`Observation`] and [`draw_observations`]: given the linear predictor
//!   eta of every observation and the family's nuisance values (sigma, phi,
//!   psi, cutpoints), one draw of y per observation, exactly as
//!   `docs/model.md` (section 3.2 and 3.3, the AR(1) exact across gaps of
//!   trial days) writes the likelihood;
//! - [`linear_predictor`] and [`draw_likelihood`]: both of the above at a
//!   constrained parameter vector of a [`Model`] (a posterior draw, laid out
//!   as the posterior's elements), the posterior predictive y_rep of one
//!   likelihood block.
//!
//! Every variate is computed here from the uniforms and normals of
//! [`ChainRng`] (ChaCha20 with our own conversions), with published
//! algorithms written out below, so that a simulation is reproducible bit
//! for bit whatever a dependency's samplers do in future versions.

use super::{err, Dist, Family, Likelihood, MirError, Model, Prior};
use crate::rng::ChainRng;
use statrs::function::gamma::ln_gamma;

/// The value of a family's own parameters, what an observation needs
/// besides its linear predictor.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// y ~ normal(eta, sigma), independent.
    Normal { sigma: f64 },
    /// y = eta + e, e a stationary AR(1) in trial days with innovation SD
    /// sigma and day-to-day correlation phi.
    NormalAr1 { sigma: f64, phi: f64 },
    /// y ~ Bernoulli(logistic(eta)).
    Bernoulli,
    /// y_i ~ binomial(trials_i, logistic(eta_i)).
    Binomial { trials: Vec<u64> },
    /// y ~ Poisson(exp(eta)).
    Poisson,
    /// y ~ NB2(exp(eta), psi): mean mu, variance mu + mu^2 / psi.
    NegBinomial2 { psi: f64 },
    /// Cumulative logit with increasing cutpoints; y in 1..=K, K =
    /// cutpoints + 1.
    OrderedLogistic { cutpoints: Vec<f64> },
}

impl Observation {
    /// The family of `family` with its parameters read from the constrained
    /// vector `theta` (parameter p's elements start at `offsets[p]`).
    pub fn from_family(
        model: &Model,
        family: &Family,
        theta: &[f64],
        offsets: &[usize],
    ) -> Result<Self, MirError> {
        let scalar = |id: usize| -> Result<f64, MirError> {
            offsets
                .get(id)
                .and_then(|&o| theta.get(o))
                .copied()
                .ok_or_else(|| err(format!("parameter #{id} is not in the parameter vector")))
        };
        Ok(match family {
            Family::Normal { sigma } => Observation::Normal {
                sigma: scalar(*sigma)?,
            },
            Family::NormalAr1 { sigma, phi } => Observation::NormalAr1 {
                sigma: scalar(*sigma)?,
                phi: scalar(*phi)?,
            },
            Family::BernoulliLogit => Observation::Bernoulli,
            Family::BinomialLogit { trials } => Observation::Binomial {
                trials: trials.clone(),
            },
            Family::PoissonLog => Observation::Poisson,
            Family::NegBinomial2Log { psi } => Observation::NegBinomial2 { psi: scalar(*psi)? },
            Family::OrderedLogistic { cutpoints } => {
                let size = model.params.get(*cutpoints).map_or(0, |p| p.size);
                let start = offsets.get(*cutpoints).copied().unwrap_or(usize::MAX);
                let values = theta
                    .get(start..start.saturating_add(size))
                    .ok_or_else(|| err("the cutpoints are not in the parameter vector".into()))?;
                Observation::OrderedLogistic {
                    cutpoints: values.to_vec(),
                }
            }
        })
    }

    /// Whether the nuisance values are inside their supports.
    fn validate(&self) -> Result<(), MirError> {
        let ok = match self {
            Observation::Normal { sigma } => *sigma > 0.0 && sigma.is_finite(),
            Observation::NormalAr1 { sigma, phi } => {
                *sigma > 0.0 && sigma.is_finite() && phi.abs() < 1.0
            }
            Observation::Bernoulli | Observation::Poisson => true,
            Observation::Binomial { trials } => trials.iter().all(|&n| n >= 1),
            Observation::NegBinomial2 { psi } => *psi > 0.0 && psi.is_finite(),
            Observation::OrderedLogistic { cutpoints } => {
                !cutpoints.is_empty()
                    && cutpoints.iter().all(|c| c.is_finite())
                    && cutpoints.windows(2).all(|w| w[0] < w[1])
            }
        };
        if ok {
            Ok(())
        } else {
            Err(err(format!(
                "the family's parameters are outside their support: {self:?}"
            )))
        }
    }
}

/// One draw of every observation: y_i given eta_i (and, for AR(1) errors,
/// the trial day of each observation, strictly increasing, so that two
/// observations g days apart have residual correlation phi^g). Values are
/// on the model's scale: 0/1, whole counts, ordinal categories 1..=K.
pub fn draw_observations(
    observation: &Observation,
    eta: &[f64],
    days: &[i64],
    rng: &mut ChainRng,
) -> Result<Vec<f64>, MirError> {
    observation.validate()?;
    if let Some(i) = eta.iter().position(|e| !e.is_finite()) {
        return Err(err(format!(
            "the linear predictor of observation {} is not finite",
            i + 1
        )));
    }
    let n = eta.len();
    Ok(match observation {
        Observation::Normal { sigma } => eta.iter().map(|e| e + sigma * rng.normal()).collect(),
        Observation::NormalAr1 { sigma, phi } => {
            if days.len() != n {
                return Err(err(format!(
                    "AR(1) errors need one day per observation ({} days for {n})",
                    days.len()
                )));
            }
            let residuals = ar1_residuals(*sigma, *phi, days, rng)?;
            eta.iter().zip(residuals).map(|(e, r)| e + r).collect()
        }
        Observation::Bernoulli => eta
            .iter()
            .map(|&e| f64::from(u8::from(rng.uniform() < crate::density::inv_logit(e))))
            .collect(),
        Observation::Binomial { trials } => {
            if trials.len() != n {
                return Err(err(format!(
                    "a binomial needs one number of trials per observation ({} for {n})",
                    trials.len()
                )));
            }
            // The sum of n Bernoulli trials, each drawn as above: exact, and
            // the numbers of trials of a diary are small.
            eta.iter()
                .zip(trials)
                .map(|(&e, &n)| {
                    let p = crate::density::inv_logit(e);
                    (0..n).filter(|_| rng.uniform() < p).count() as f64
                })
                .collect()
        }
        Observation::Poisson => eta.iter().map(|&e| poisson(e.exp(), rng)).collect(),
        Observation::NegBinomial2 { psi } => eta
            .iter()
            .map(|&e| {
                // Gamma-Poisson: lambda ~ gamma(psi, psi / mu) has mean mu and
                // variance mu^2 / psi.
                let mu = e.exp();
                let lambda = gamma(*psi, rng) * mu / psi;
                poisson(lambda, rng)
            })
            .collect(),
        Observation::OrderedLogistic { cutpoints } => eta
            .iter()
            .map(|&e| {
                // P(y <= k) = logistic(c_k - eta); y is 1 + the number of
                // cumulative probabilities below one uniform.
                let u = rng.uniform();
                let below = cutpoints
                    .iter()
                    .take_while(|&&c| crate::density::inv_logit(c - e) <= u)
                    .count();
                (below + 1) as f64
            })
            .collect(),
    })
}

/// Residuals of a stationary AR(1) process observed on increasing `days`:
/// e_1 ~ normal(0, sigma / sqrt(1 - phi^2)) and, across a gap of g days,
/// e_i = phi^g e_{i-1} + sigma sqrt((1 - phi^(2g)) / (1 - phi^2)) z_i,
/// the process that `docs/model.md` 3.3 writes the likelihood of.
pub fn ar1_residuals(
    sigma: f64,
    phi: f64,
    days: &[i64],
    rng: &mut ChainRng,
) -> Result<Vec<f64>, MirError> {
    if !(sigma > 0.0) || !(phi.abs() < 1.0) {
        return Err(err(format!(
            "AR(1) needs sigma > 0 and |phi| < 1 (sigma = {sigma}, phi = {phi})"
        )));
    }
    let omp2 = 1.0 - phi * phi;
    let mut out = Vec::with_capacity(days.len());
    let mut previous: Option<(i64, f64)> = None;
    for &day in days {
        let e = match previous {
            None => sigma / omp2.sqrt() * rng.normal(),
            Some((last, e_prev)) => {
                let gap = day - last;
                if gap < 1 {
                    return Err(err(format!(
                        "AR(1) days must increase (day {day} after day {last})"
                    )));
                }
                let g = u32::try_from(gap).map_err(|_| err(format!("gap of {gap} days")))?;
                let (pg, ratio) = gap_terms(phi, g);
                pg * e_prev + sigma * ratio.sqrt() * rng.normal()
            }
        };
        out.push(e);
        previous = Some((day, e));
    }
    Ok(out)
}

/// phi^g and the variance ratio (1 - phi^(2g)) / (1 - phi^2), summed as
/// 1 + phi^2 + … + phi^(2(g-1)) for gaps up to 16 days (accurate as |phi|
/// approaches 1), in closed form beyond.
fn gap_terms(phi: f64, gap: u32) -> (f64, f64) {
    let g = i32::try_from(gap).unwrap_or(i32::MAX);
    let pg = phi.powi(g);
    let ratio = if gap <= 16 {
        let p2 = phi * phi;
        let mut sum = 0.0;
        let mut power = 1.0;
        for _ in 0..gap {
            sum += power;
            power *= p2;
        }
        sum
    } else {
        (1.0 - pg * pg) / (1.0 - phi * phi)
    };
    (pg, ratio)
}

/// eta of every observation of likelihood block `lik` at the constrained
/// parameter vector `theta` (parameter p's elements from `offsets[p]`):
/// intercept, arm effects, trend and carryover columns, and the latent
/// AR(1) process where the block has one (its innovations read from
/// `theta`).
pub fn linear_predictor(
    lik: &Likelihood,
    theta: &[f64],
    offsets: &[usize],
) -> Result<Vec<f64>, MirError> {
    let at = |id: usize| -> Result<f64, MirError> {
        offsets
            .get(id)
            .and_then(|&o| theta.get(o))
            .copied()
            .ok_or_else(|| err(format!("parameter #{id} is not in the parameter vector")))
    };
    let n = lik.y.len();
    let p = &lik.predictor;
    let mut eta = vec![
        match p.intercept {
            Some(id) => at(id)?,
            None => 0.0,
        };
        n
    ];
    for c in p.arm_effects.iter().chain(&p.trend).chain(&p.carryover) {
        if c.values.len() != n {
            return Err(err(format!(
                "outcome `{}`: a covariate has {} values for {n} observations",
                lik.outcome,
                c.values.len()
            )));
        }
        let b = at(c.param)?;
        for (e, v) in eta.iter_mut().zip(&c.values) {
            *e += b * v;
        }
    }
    if let Some(latent) = &p.latent_ar1 {
        let (sigma, phi) = (at(latent.sigma)?, at(latent.phi)?);
        if !(sigma > 0.0) || !(phi.abs() < 1.0) {
            return Err(err(format!(
                "outcome `{}`: latent AR(1) outside its support",
                lik.outcome
            )));
        }
        let z0 = offsets.get(latent.z).copied().unwrap_or(usize::MAX);
        let z = theta
            .get(z0..z0.saturating_add(n))
            .ok_or_else(|| err("the latent innovations are not in the parameter vector".into()))?;
        let omp2 = 1.0 - phi * phi;
        let mut state = 0.0;
        for i in 0..n {
            state = if i == 0 {
                sigma / omp2.sqrt() * z[0]
            } else {
                let gap = lik.days.get(i).zip(lik.days.get(i - 1)).map(|(d, p)| d - p);
                let g = gap
                    .and_then(|g| u32::try_from(g).ok())
                    .filter(|g| *g >= 1)
                    .ok_or_else(|| err(format!("outcome `{}`: days must increase", lik.outcome)))?;
                let (pg, ratio) = gap_terms(phi, g);
                pg * state + sigma * ratio.sqrt() * z[i]
            };
            eta[i] += state;
        }
    }
    Ok(eta)
}

/// The posterior predictive y_rep of likelihood block `lik` of `model` at
/// one constrained parameter vector (a posterior draw, elements in the
/// order of the model's parameters): eta from [`linear_predictor`], then
/// [`draw_observations`] on the block's days.
pub fn draw_likelihood(
    model: &Model,
    lik: usize,
    theta: &[f64],
    rng: &mut ChainRng,
) -> Result<Vec<f64>, MirError> {
    let block = model
        .likelihoods
        .get(lik)
        .ok_or_else(|| err(format!("the model has no likelihood block #{lik}")))?;
    let offsets = offsets(model);
    let eta = linear_predictor(block, theta, &offsets)?;
    let observation = Observation::from_family(model, &block.family, theta, &offsets)?;
    draw_observations(&observation, &eta, &block.days, rng)
}

/// Where each parameter's elements start in a constrained vector.
pub fn offsets(model: &Model) -> Vec<usize> {
    let mut next = 0;
    model
        .params
        .iter()
        .map(|p| {
            let o = next;
            next += p.size;
            o
        })
        .collect()
}

/// How many times a draw outside the support is redrawn before giving up.
const MAX_REJECTIONS: usize = 10_000;

/// `size` values from `prior` (element-wise; jointly for the induced
/// Dirichlet on cutpoints), each inside `support` (the parameter's
/// transform's: a prior is narrowed to it, so a draw outside is redrawn).
pub fn draw_prior(
    prior: &Prior,
    size: usize,
    support: (f64, f64),
    rng: &mut ChainRng,
) -> Result<Vec<f64>, MirError> {
    if let Prior::InducedDirichlet { alpha } = prior {
        if alpha.len() != size + 1 {
            return Err(err(format!(
                "induced_dirichlet has {} concentrations for {size} cutpoints",
                alpha.len()
            )));
        }
        return Ok(induced_dirichlet(alpha, rng));
    }
    // Transforms map onto open sets: a draw on a bound is redrawn too.
    let inside = |v: f64| v > support.0 && v < support.1;
    (0..size)
        .map(|_| {
            for _ in 0..MAX_REJECTIONS {
                let v = match prior {
                    Prior::Dist(d) => draw_dist(d, rng),
                    Prior::Mixture(components) => {
                        let u = rng.uniform();
                        let mut acc = 0.0;
                        let mut chosen = components.last().map(|c| &c.dist);
                        for c in components {
                            acc += c.weight;
                            if u < acc {
                                chosen = Some(&c.dist);
                                break;
                            }
                        }
                        match chosen {
                            Some(d) => draw_dist(d, rng),
                            None => return Err(err("an empty mixture".into())),
                        }
                    }
                    Prior::InducedDirichlet { .. } => {
                        return Err(err("induced_dirichlet is a joint prior".into()))
                    }
                };
                if v.is_finite() && inside(v) {
                    return Ok(v);
                }
            }
            Err(err(format!(
                "the prior puts (almost) no mass on ({}, {})",
                support.0, support.1
            )))
        })
        .collect()
}

/// Cutpoints from Betancourt's induced Dirichlet (anchor 0): category
/// probabilities p ~ Dirichlet(alpha) at eta = 0, and c_k = logit(p_1 + …
/// + p_k), the cumulative logits (`docs/model.md` 4.1).
fn induced_dirichlet(alpha: &[f64], rng: &mut ChainRng) -> Vec<f64> {
    let g: Vec<f64> = alpha.iter().map(|&a| gamma(a, rng)).collect();
    let total: f64 = g.iter().sum();
    let mut cumulative = 0.0;
    let mut above = total;
    let mut cut = Vec::with_capacity(alpha.len().saturating_sub(1));
    for gk in &g[..g.len().saturating_sub(1)] {
        cumulative += gk;
        above -= gk;
        // logit(P(y <= k)) = log(cumulative / above), in sums of gammas so
        // that neither tail cancels.
        cut.push(cumulative.ln() - above.max(f64::MIN_POSITIVE).ln());
    }
    // Strictly increasing even when a gamma underflows to 0 (a measure-zero
    // event kept harmless).
    for k in 1..cut.len() {
        if !(cut[k] > cut[k - 1]) {
            cut[k] = cut[k - 1] + f64::EPSILON * cut[k - 1].abs().max(1.0);
        }
    }
    cut
}

/// One draw from a univariate distribution of the spec language's table.
pub fn draw_dist(d: &Dist, rng: &mut ChainRng) -> f64 {
    match *d {
        Dist::Normal { mu, sigma } => mu + sigma * rng.normal(),
        Dist::StudentT { nu, mu, sigma } => mu + sigma * student_t(nu, rng),
        Dist::Cauchy { mu, sigma } => {
            // Inversion: tan(pi (u - 1/2)), u in (0, 1).
            let u = open_uniform(rng);
            mu + sigma * (std::f64::consts::PI * (u - 0.5)).tan()
        }
        Dist::LogNormal { mu, sigma } => (mu + sigma * rng.normal()).exp(),
        Dist::HalfNormal { sigma } => (sigma * rng.normal()).abs(),
        Dist::HalfStudentT { nu, sigma } => (sigma * student_t(nu, rng)).abs(),
        Dist::Exponential { rate } => -open_uniform(rng).ln() / rate,
        Dist::Gamma { shape, rate } => gamma(shape, rng) / rate,
        Dist::Beta { a, b } => {
            let x = gamma(a, rng);
            let y = gamma(b, rng);
            x / (x + y)
        }
        Dist::Uniform { lower, upper } => lower + (upper - lower) * rng.uniform(),
    }
}

/// Uniform on the open interval (0, 1).
fn open_uniform(rng: &mut ChainRng) -> f64 {
    loop {
        let u = rng.uniform();
        if u > 0.0 {
            return u;
        }
    }
}

/// Student-t with nu degrees of freedom: z / sqrt(chi2_nu / nu), chi2_nu =
/// 2 gamma(nu / 2).
fn student_t(nu: f64, rng: &mut ChainRng) -> f64 {
    let z = rng.normal();
    let chi2 = 2.0 * gamma(0.5 * nu, rng);
    z / (chi2 / nu).sqrt()
}

/// Gamma(shape, 1) by Marsaglia and Tsang (2000): for shape >= 1, d = shape -
/// 1/3, c = 1 / sqrt(9 d); draw z normal, v = (1 + c z)^3, accept d v when
/// log u < z^2 / 2 + d - d v + d log v. For shape < 1, gamma(shape + 1)
/// times u^(1 / shape).
pub fn gamma(shape: f64, rng: &mut ChainRng) -> f64 {
    if !(shape > 0.0) || !shape.is_finite() {
        return f64::NAN;
    }
    if shape < 1.0 {
        let u = open_uniform(rng);
        return gamma(shape + 1.0, rng) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let z = rng.normal();
        let t = 1.0 + c * z;
        if t <= 0.0 {
            continue;
        }
        let v = t * t * t;
        let u = open_uniform(rng);
        // The squeeze accepts most draws without a logarithm.
        if u < 1.0 - 0.0331 * z * z * z * z {
            return d * v;
        }
        if u.ln() < 0.5 * z * z + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
}

/// Below this mean, Poisson draws invert the CDF; above it, PTRS.
const POISSON_INVERSION_MAX: f64 = 10.0;

/// Poisson(mu): inversion by sequential search for small means; for larger
/// ones Hörmann's transformed rejection with squeeze (PTRS, 1993), whose
/// expected number of uniforms per draw is below 3 for every mean.
pub fn poisson(mu: f64, rng: &mut ChainRng) -> f64 {
    if !(mu > 0.0) {
        return if mu == 0.0 { 0.0 } else { f64::NAN };
    }
    if !mu.is_finite() {
        return f64::NAN;
    }
    if mu < POISSON_INVERSION_MAX {
        let u = rng.uniform();
        let mut k = 0.0;
        let mut p = (-mu).exp();
        let mut cdf = p;
        // The tail beyond 1000 has probability far below 2^-53 for mu < 10.
        while u >= cdf && k < 1000.0 {
            k += 1.0;
            p *= mu / k;
            cdf += p;
        }
        return k;
    }
    let smu = mu.sqrt();
    let b = 0.931 + 2.53 * smu;
    let a = -0.059 + 0.02483 * b;
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let vr = 0.9277 - 3.6224 / (b - 2.0);
    let log_mu = mu.ln();
    loop {
        let u = rng.uniform() - 0.5;
        let v = open_uniform(rng);
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + mu + 0.43).floor();
        if us >= 0.07 && v <= vr {
            return k;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        let lhs = v.ln() + inv_alpha.ln() - (a / (us * us) + b).ln();
        let rhs = -mu + k * log_mu - ln_gamma(k + 1.0);
        if lhs <= rhs {
            return k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mir::MixtureComponent;
    use statrs::distribution::{ContinuousCDF, DiscreteCDF};

    fn mean_var(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        (m, v)
    }

    /// |sample mean - mu| within 5 standard errors (a deterministic draw:
    /// fixed seeds; 5 SE would be exceeded by chance once in 1.7 million).
    fn assert_mean(xs: &[f64], mu: f64, var: f64, what: &str) {
        let (m, _) = mean_var(xs);
        let se = (var / xs.len() as f64).sqrt();
        assert!(
            (m - mu).abs() < 5.0 * se,
            "{what}: mean {m} vs {mu} (se {se})"
        );
    }

    /// The sample variance within 5 of its standard errors, given the
    /// fourth central moment mu4.
    fn assert_var(xs: &[f64], var: f64, mu4: f64, what: &str) {
        let (_, v) = mean_var(xs);
        let se = ((mu4 - var * var) / xs.len() as f64).sqrt();
        assert!(
            (v - var).abs() < 5.0 * se,
            "{what}: var {v} vs {var} (se {se})"
        );
    }

    /// Kolmogorov-Smirnov distance of the sample from a CDF.
    fn ks(xs: &mut [f64], cdf: impl Fn(f64) -> f64) -> f64 {
        xs.sort_by(f64::total_cmp);
        let n = xs.len() as f64;
        xs.iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = cdf(x);
                (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
            })
            .fold(0.0, f64::max)
    }

    /// The KS distance's 0.1% critical value, 1.95 / sqrt(n).
    fn ks_bound(n: usize) -> f64 {
        1.95 / (n as f64).sqrt()
    }

    #[test]
    fn continuous_distributions_match_their_cdfs() {
        use statrs::distribution as sd;
        let n = 20_000;
        type Cdf = Box<dyn Fn(f64) -> f64>;
        let cases: Vec<(Dist, Cdf)> = vec![
            (
                Dist::Normal {
                    mu: 1.0,
                    sigma: 2.0,
                },
                Box::new(|x| sd::Normal::new(1.0, 2.0).expect("valid").cdf(x)),
            ),
            (
                Dist::StudentT {
                    nu: 3.0,
                    mu: -1.0,
                    sigma: 0.5,
                },
                Box::new(|x| sd::StudentsT::new(-1.0, 0.5, 3.0).expect("valid").cdf(x)),
            ),
            (
                Dist::Cauchy {
                    mu: 0.0,
                    sigma: 2.0,
                },
                Box::new(|x| sd::Cauchy::new(0.0, 2.0).expect("valid").cdf(x)),
            ),
            (
                Dist::LogNormal {
                    mu: 0.5,
                    sigma: 0.3,
                },
                Box::new(|x| sd::LogNormal::new(0.5, 0.3).expect("valid").cdf(x)),
            ),
            (
                Dist::HalfNormal { sigma: 2.0 },
                Box::new(|x| 2.0 * sd::Normal::new(0.0, 2.0).expect("valid").cdf(x) - 1.0),
            ),
            (
                Dist::HalfStudentT {
                    nu: 4.0,
                    sigma: 1.5,
                },
                Box::new(|x| 2.0 * sd::StudentsT::new(0.0, 1.5, 4.0).expect("valid").cdf(x) - 1.0),
            ),
            (
                Dist::Exponential { rate: 3.0 },
                Box::new(|x| sd::Exp::new(3.0).expect("valid").cdf(x)),
            ),
            (
                Dist::Gamma {
                    shape: 2.0,
                    rate: 0.1,
                },
                Box::new(|x| sd::Gamma::new(2.0, 0.1).expect("valid").cdf(x)),
            ),
            (
                Dist::Gamma {
                    shape: 0.3,
                    rate: 2.0,
                },
                Box::new(|x| sd::Gamma::new(0.3, 2.0).expect("valid").cdf(x)),
            ),
            (
                Dist::Beta { a: 2.0, b: 5.0 },
                Box::new(|x| sd::Beta::new(2.0, 5.0).expect("valid").cdf(x)),
            ),
            (
                Dist::Uniform {
                    lower: -1.0,
                    upper: 1.0,
                },
                Box::new(|x| ((x + 1.0) / 2.0).clamp(0.0, 1.0)),
            ),
        ];
        for (k, (d, cdf)) in cases.iter().enumerate() {
            let mut rng = ChainRng::new(11, k as u64);
            let mut xs: Vec<f64> = (0..n).map(|_| draw_dist(d, &mut rng)).collect();
            let distance = ks(&mut xs, cdf);
            assert!(distance < ks_bound(n), "{d:?}: KS distance {distance}");
        }
    }

    #[test]
    fn poisson_matches_its_cdf_on_both_sides_of_the_switch() {
        for (k, mu) in [0.3, 4.0, 9.99, 10.0, 37.5, 1000.0].into_iter().enumerate() {
            let mut rng = ChainRng::new(5, k as u64);
            let n = 20_000;
            let xs: Vec<f64> = (0..n).map(|_| poisson(mu, &mut rng)).collect();
            assert!(xs.iter().all(|x| *x >= 0.0 && x.fract() == 0.0));
            assert_mean(&xs, mu, mu, "poisson");
            // Fourth central moment of the Poisson: mu (1 + 3 mu).
            assert_var(&xs, mu, mu * (1.0 + 3.0 * mu), "poisson");
            // The whole distribution: the largest gap between the empirical
            // and the exact CDF at the integers.
            let exact = statrs::distribution::Poisson::new(mu).expect("valid");
            let lo = (mu - 6.0 * mu.sqrt()).max(0.0).floor() as u64;
            let hi = (mu + 6.0 * mu.sqrt()).ceil() as u64 + 2;
            let worst = (lo..=hi)
                .map(|j| {
                    let empirical = xs.iter().filter(|&&x| x <= j as f64).count() as f64 / n as f64;
                    (empirical - exact.cdf(j)).abs()
                })
                .fold(0.0, f64::max);
            assert!(worst < ks_bound(n), "poisson({mu}): CDF gap {worst}");
        }
        let mut rng = ChainRng::new(5, 99);
        assert_eq!(poisson(0.0, &mut rng), 0.0);
    }

    #[test]
    fn negative_binomial_has_the_nb2_mean_and_variance() {
        let (mu, psi) = (4.0_f64, 2.5);
        let obs = Observation::NegBinomial2 { psi };
        let mut rng = ChainRng::new(8, 0);
        let eta = vec![mu.ln(); 40_000];
        let xs = draw_observations(&obs, &eta, &[], &mut rng).expect("valid");
        let var = mu + mu * mu / psi;
        assert_mean(&xs, mu, var, "nb2");
        let exact =
            statrs::distribution::NegativeBinomial::new(psi, psi / (psi + mu)).expect("valid");
        let worst = (0..40u64)
            .map(|j| {
                let e = xs.iter().filter(|&&x| x <= j as f64).count() as f64 / xs.len() as f64;
                (e - exact.cdf(j)).abs()
            })
            .fold(0.0, f64::max);
        assert!(worst < ks_bound(xs.len()), "nb2 CDF gap {worst}");
    }

    #[test]
    fn bernoulli_and_ordinal_follow_their_link() {
        let mut rng = ChainRng::new(3, 0);
        let eta = vec![0.7; 40_000];
        let xs = draw_observations(&Observation::Bernoulli, &eta, &[], &mut rng).expect("valid");
        let p = crate::density::inv_logit(0.7);
        assert_mean(&xs, p, p * (1.0 - p), "bernoulli");

        let cut = vec![-1.0, 0.2, 1.5];
        let obs = Observation::OrderedLogistic {
            cutpoints: cut.clone(),
        };
        let eta = vec![0.4; 40_000];
        let ys = draw_observations(&obs, &eta, &[], &mut rng).expect("valid");
        let cdf = |k: usize| {
            if k == 0 {
                0.0
            } else if k > cut.len() {
                1.0
            } else {
                crate::density::inv_logit(cut[k - 1] - 0.4)
            }
        };
        for level in 1..=4usize {
            let p = cdf(level) - cdf(level - 1);
            let share = ys.iter().filter(|&&y| y == level as f64).count() as f64 / ys.len() as f64;
            let se = (p * (1.0 - p) / ys.len() as f64).sqrt();
            assert!(
                (share - p).abs() < 5.0 * se,
                "level {level}: {share} vs {p}"
            );
        }
    }

    #[test]
    fn ar1_residuals_have_the_stationary_variance_and_gap_correlation() {
        // Pairs of observations 1 and 3 days apart, many independent series:
        // var = sigma^2 / (1 - phi^2), corr(gap g) = phi^g.
        let (sigma, phi) = (1.5, 0.8);
        let var = sigma * sigma / (1.0 - phi * phi);
        let mut rng = ChainRng::new(21, 0);
        let days = [1_i64, 2, 5];
        let n = 30_000;
        let series: Vec<Vec<f64>> = (0..n)
            .map(|_| ar1_residuals(sigma, phi, &days, &mut rng).expect("valid"))
            .collect();
        for k in 0..3 {
            let xs: Vec<f64> = series.iter().map(|s| s[k]).collect();
            assert_mean(&xs, 0.0, var, "ar1 mean");
            assert_var(&xs, var, 3.0 * var * var, "ar1 variance");
        }
        let corr = |a: usize, b: usize| {
            let s: f64 = series.iter().map(|s| s[a] * s[b]).sum();
            s / n as f64 / var
        };
        // For a standard bivariate normal pair with correlation r, the
        // product xy has variance 1 + r^2.
        for (a, b, g) in [(0, 1, 1), (1, 2, 3), (0, 2, 4)] {
            let r = phi.powi(g);
            let se = ((1.0 + r * r) / n as f64).sqrt();
            assert!(
                (corr(a, b) - r).abs() < 5.0 * se,
                "gap {g}: {} vs {r}",
                corr(a, b)
            );
        }
        // Long gaps use the closed form; both agree where they meet.
        let (_, r16) = gap_terms(0.9, 16);
        let closed = (1.0 - 0.9f64.powi(32)) / (1.0 - 0.81);
        assert!((r16 - closed).abs() < 1e-12 * closed);
        assert!(ar1_residuals(1.0, 1.0, &days, &mut rng).is_err());
        assert!(ar1_residuals(1.0, 0.5, &[3, 3], &mut rng).is_err());
    }

    #[test]
    fn priors_are_drawn_inside_the_support_and_mixtures_by_weight() {
        let mut rng = ChainRng::new(4, 0);
        // normal(0.5, 1) narrowed to (-1, 1): every draw inside.
        let prior = Prior::Dist(Dist::Normal {
            mu: 0.5,
            sigma: 1.0,
        });
        let xs = draw_prior(&prior, 5000, (-1.0, 1.0), &mut rng).expect("valid");
        assert!(xs.iter().all(|x| (-1.0..1.0).contains(x)));
        // A mixture's share of draws near each component is its weight.
        let mix = Prior::Mixture(vec![
            MixtureComponent {
                weight: 0.3,
                dist: Dist::Normal {
                    mu: -10.0,
                    sigma: 0.1,
                },
            },
            MixtureComponent {
                weight: 0.7,
                dist: Dist::Normal {
                    mu: 10.0,
                    sigma: 0.1,
                },
            },
        ]);
        let xs =
            draw_prior(&mix, 20_000, (f64::NEG_INFINITY, f64::INFINITY), &mut rng).expect("valid");
        let low: Vec<f64> = xs.iter().map(|&x| f64::from(u8::from(x < 0.0))).collect();
        assert_mean(&low, 0.3, 0.21, "mixture weight");
        // No mass on the support: an error, not a hang.
        let far = Prior::Dist(Dist::Normal {
            mu: 100.0,
            sigma: 1.0,
        });
        assert!(draw_prior(&far, 1, (-1.0, 1.0), &mut rng).is_err());
    }

    #[test]
    fn induced_dirichlet_cutpoints_give_dirichlet_category_probabilities() {
        // With alpha = (1, 2, 3), P(y = k | eta = 0) ~ Dirichlet(alpha): its
        // mean is alpha / sum(alpha).
        let alpha = vec![1.0, 2.0, 3.0];
        let prior = Prior::InducedDirichlet {
            alpha: alpha.clone(),
        };
        let mut rng = ChainRng::new(6, 0);
        let n = 20_000;
        let mut first = Vec::with_capacity(n);
        let mut last = Vec::with_capacity(n);
        for _ in 0..n {
            let c =
                draw_prior(&prior, 2, (f64::NEG_INFINITY, f64::INFINITY), &mut rng).expect("valid");
            assert!(c[0] < c[1]);
            let p1 = crate::density::inv_logit(c[0]);
            let p3 = 1.0 - crate::density::inv_logit(c[1]);
            first.push(p1);
            last.push(p3);
        }
        // Dirichlet marginals are Beta(alpha_k, sum - alpha_k).
        let beta_var = |a: f64, b: f64| a * b / ((a + b) * (a + b) * (a + b + 1.0));
        assert_mean(&first, 1.0 / 6.0, beta_var(1.0, 5.0), "p1");
        assert_mean(&last, 3.0 / 6.0, beta_var(3.0, 3.0), "p3");
        assert!(draw_prior(&prior, 3, (f64::NEG_INFINITY, f64::INFINITY), &mut rng).is_err());
    }

    #[test]
    fn draws_are_reproducible_from_the_stream() {
        let d = Dist::Gamma {
            shape: 2.5,
            rate: 1.0,
        };
        let a: Vec<f64> = {
            let mut rng = ChainRng::new(9, 2);
            (0..50).map(|_| draw_dist(&d, &mut rng)).collect()
        };
        let b: Vec<f64> = {
            let mut rng = ChainRng::new(9, 2);
            (0..50).map(|_| draw_dist(&d, &mut rng)).collect()
        };
        assert_eq!(a, b);
    }

    #[test]
    fn the_posterior_predictive_reads_the_model_at_a_draw() {
        use crate::density::Transform;
        use crate::mir::{Covariate, LinearPredictor, Parameter, PriorTerm};
        let param = |name: &str, transform| Parameter {
            name: name.into(),
            transform,
            size: 1,
            origin: None,
        };
        let model = Model {
            params: vec![
                param("alpha", Transform::Identity),
                param("delta", Transform::Identity),
                param("sigma", Transform::Lower(0.0)),
            ],
            priors: vec![PriorTerm {
                param: 0,
                prior: Prior::Dist(Dist::Normal {
                    mu: 0.0,
                    sigma: 1.0,
                }),
            }],
            likelihoods: vec![Likelihood {
                outcome: "y".into(),
                family: Family::Normal { sigma: 2 },
                y: vec![0.0; 4],
                days: vec![1, 2, 3, 4],
                predictor: LinearPredictor {
                    intercept: Some(0),
                    arm_effects: vec![Covariate {
                        param: 1,
                        values: vec![0.0, 1.0, 0.0, 1.0],
                    }],
                    ..LinearPredictor::default()
                },
            }],
        };
        let theta = [2.0, -1.0, 1e-9];
        let eta = linear_predictor(&model.likelihoods[0], &theta, &offsets(&model)).expect("valid");
        assert_eq!(eta, vec![2.0, 1.0, 2.0, 1.0]);
        let mut rng = ChainRng::new(1, 0);
        let y = draw_likelihood(&model, 0, &theta, &mut rng).expect("valid");
        for (a, b) in y.iter().zip(&eta) {
            assert!((a - b).abs() < 1e-6);
        }
        assert!(draw_likelihood(&model, 1, &theta, &mut rng).is_err());
        assert!(draw_likelihood(&model, 0, &[2.0, -1.0, -1.0], &mut rng).is_err());
    }
}
