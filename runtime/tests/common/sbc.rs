//! Simulation-based calibration (Talts et al. 2018) for each likelihood
//! family of the MIR: draw parameters from the prior, simulate data, fit with
//! NUTS, record the rank of each true value among thinned posterior draws;
//! ranks are uniform iff the sampler (and density) are right. Shared by the
//! CI test (small) and the bench (large).
#![allow(dead_code)]

use rayon::prelude::*;
use trialc_runtime::adapt::MetricEstimator;
use trialc_runtime::density::{inv_logit, Transform};
use trialc_runtime::mir::*;
use trialc_runtime::nuts::{run_chain, NutsConfig};
use trialc_runtime::rng::ChainRng;

/// Likelihood families, plus "robust" (normal likelihood, mixture prior on
/// the effect) and "latent" (Poisson with a latent AR(1)). "ordinal" samples
/// its cutpoints as the lowering does (`Transform::CumulativeLogit`); the
/// extra family [`ORDINAL_ORDERED`] is the same model sampled through
/// `Transform::Ordered`, the parametrisation the lowering used before, kept as
/// a control for the divergence check.
pub const FAMILIES: [&str; 8] = [
    "normal",
    "ar1",
    "bernoulli",
    "poisson",
    "negbin",
    "ordinal",
    "latent",
    "robust",
];

/// The model terms of issue 12, each on a family it is calibrated with:
/// "binomial" (successes of 1 to 8 trials), "latent_binary" (Bernoulli
/// with a latent AR(1) across gaps), "covariates" (normal, two diary
/// covariate columns), "lag" (normal, the previous measurement weighted
/// rho^g across gaps of g days) and "decay" (normal, the arm effect moving
/// from the previous period's arm at an exponential rate).
pub const TERMS: [&str; 5] = ["binomial", "latent_binary", "covariates", "lag", "decay"];

/// Trials of observation i of the binomial model.
fn binomial_trials(n: usize) -> Vec<u64> {
    (0..n).map(|i| 1 + (i as u64 * 3) % 8).collect()
}

/// Samplers for simulation (own code, like the sampler's).
fn gamma(r: &mut ChainRng, shape: f64) -> f64 {
    // Marsaglia–Tsang, with the shape < 1 boost.
    if shape < 1.0 {
        let u = 1.0 - r.uniform();
        return gamma(r, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = r.normal();
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = 1.0 - r.uniform();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

fn poisson(r: &mut ChainRng, lambda: f64) -> f64 {
    // Knuth's product method on a capped mean (priors keep it small).
    let l = (-lambda.min(500.0)).exp();
    let mut k = 0.0;
    let mut p = 1.0;
    loop {
        p *= r.uniform();
        if p <= l {
            return k;
        }
        k += 1.0;
    }
}

/// The model of one family with `n` observations, and its priors.
pub struct Spec {
    pub model: Model,
}

/// The ordinal model with its cutpoints sampled through `Transform::Ordered`
/// (same prior, same posterior, different unconstrained space).
pub const ORDINAL_ORDERED: &str = "ordinal_ordered";

/// Cutpoints of the ordinal model: K = 5 categories (as magnesium-migraine's
/// sleep quality), so 4 cutpoints.
const CUTPOINTS: usize = 4;

fn scalar(name: &str, t: Transform) -> Parameter {
    Parameter {
        name: name.into(),
        transform: t,
        size: 1,
        origin: None,
    }
}

/// Builds the SBC model for `family`; `delta_prior` lets the mis-specified
/// check fit with a prior different from the one that simulated the data.
/// For "lag", `y` and `days` have one more entry than the model has
/// observations: the first value is only the second's previous measurement.
pub fn model(family: &str, y: Vec<f64>, days: Vec<i64>, delta_prior: Dist) -> Model {
    let (lag_values, y, days) = if family == "lag" {
        let gaps: Vec<i64> = days.windows(2).map(|w| w[1] - w[0]).collect();
        (
            Some((y[..y.len() - 1].to_vec(), gaps)),
            y[1..].to_vec(),
            days[1..].to_vec(),
        )
    } else {
        (None, y, days)
    };
    let n = y.len();
    let arm: Vec<f64> = (0..n).map(|i| ((i / 4) % 2) as f64).collect();
    let dbar = days.iter().sum::<i64>() as f64 / n as f64;
    let trend: Vec<f64> = days.iter().map(|d| (*d as f64 - dbar) / 28.0).collect();
    let ordinal = family == "ordinal" || family == ORDINAL_ORDERED;
    let mut params = vec![
        scalar("delta", Transform::Identity),
        scalar("beta", Transform::Identity),
    ];
    let mut priors = vec![
        PriorTerm {
            param: 0,
            // "robust": the LFM robust prior, a marginalised mixture (the
            // simulation draws a component, then delta from it).
            prior: if family == "robust" {
                Prior::Mixture(vec![
                    MixtureComponent {
                        weight: 0.7,
                        dist: Dist::Normal {
                            mu: -0.5,
                            sigma: 0.3,
                        },
                    },
                    MixtureComponent {
                        weight: 0.3,
                        dist: Dist::Normal {
                            mu: 0.0,
                            sigma: 2.0,
                        },
                    },
                ])
            } else {
                Prior::Dist(delta_prior)
            },
        },
        PriorTerm {
            param: 1,
            prior: Prior::Dist(Dist::Normal {
                mu: 0.0,
                sigma: 0.5,
            }),
        },
    ];
    let mut add = |p: Parameter, pr: Prior| {
        params.push(p);
        priors.push(PriorTerm {
            param: params.len() - 1,
            prior: pr,
        });
        params.len() - 1
    };
    let intercept = if ordinal {
        None
    } else {
        let mu = if matches!(family, "poisson" | "negbin" | "latent") {
            1.0
        } else {
            0.0
        };
        Some(add(
            scalar("alpha", Transform::Identity),
            Prior::Dist(Dist::Normal { mu, sigma: 0.5 }),
        ))
    };
    let fam = match family {
        "normal" | "robust" | "covariates" | "lag" | "decay" => Family::Normal {
            sigma: add(
                scalar("sigma", Transform::Lower(0.0)),
                Prior::Dist(Dist::HalfNormal { sigma: 1.0 }),
            ),
        },
        "ar1" => {
            let sigma = add(
                scalar("sigma", Transform::Lower(0.0)),
                Prior::Dist(Dist::HalfNormal { sigma: 1.0 }),
            );
            let phi = add(
                scalar("phi", Transform::Interval(-1.0, 1.0)),
                Prior::Dist(Dist::Uniform {
                    lower: -1.0,
                    upper: 1.0,
                }),
            );
            Family::NormalAr1 { sigma, phi }
        }
        "bernoulli" | "latent_binary" => Family::BernoulliLogit,
        "binomial" => Family::BinomialLogit {
            trials: binomial_trials(n),
        },
        "poisson" | "latent" => Family::PoissonLog,
        "negbin" => Family::NegBinomial2Log {
            psi: add(
                scalar("psi", Transform::Lower(0.0)),
                Prior::Dist(Dist::LogNormal {
                    mu: 1.5,
                    sigma: 0.5,
                }),
            ),
        },
        _ => {
            // As the lowering makes them: an induced Dirichlet(1) (uniform
            // category probabilities at the reference), sampled through the
            // stick-breaking cumulative logits.
            let transform = if family == ORDINAL_ORDERED {
                Transform::Ordered
            } else {
                Transform::CumulativeLogit
            };
            let cut = add(
                Parameter {
                    name: "cut".into(),
                    transform,
                    size: CUTPOINTS,
                    origin: None,
                },
                Prior::InducedDirichlet {
                    alpha: vec![1.0; CUTPOINTS + 1],
                },
            );
            Family::OrderedLogistic { cutpoints: cut }
        }
    };
    let latent_ar1 = (family == "latent" || family == "latent_binary").then(|| {
        let sigma = add(
            scalar("sigma", Transform::Lower(0.0)),
            Prior::Dist(Dist::HalfNormal { sigma: 0.5 }),
        );
        let phi = add(
            scalar("phi", Transform::Interval(-1.0, 1.0)),
            Prior::Dist(Dist::Uniform {
                lower: -1.0,
                upper: 1.0,
            }),
        );
        let z = add(
            Parameter {
                name: "z".into(),
                transform: Transform::Identity,
                size: n,
                origin: None,
            },
            Prior::Dist(Dist::Normal {
                mu: 0.0,
                sigma: 1.0,
            }),
        );
        LatentAr1 { z, sigma, phi }
    });
    let mut covariates = Vec::new();
    if family == "covariates" {
        for (k, name) in ["stress", "steps"].iter().enumerate() {
            let param = add(
                scalar(name, Transform::Identity),
                Prior::Dist(Dist::Normal {
                    mu: 0.0,
                    sigma: 0.5,
                }),
            );
            let values = (0..n)
                .map(|i| (((i * (5 + 2 * k) + 3 * k) % 9) as f64 - 4.0) / 2.5)
                .collect();
            covariates.push(Covariate { param, values });
        }
    }
    let lagged_outcome = lag_values.map(|(values, gaps)| {
        let param = add(
            scalar("rho", Transform::Interval(-1.0, 1.0)),
            Prior::Dist(Dist::Uniform {
                lower: -1.0,
                upper: 1.0,
            }),
        );
        LaggedOutcome {
            param,
            values,
            gaps,
        }
    });
    let carryover_decay = (family == "decay").then(|| {
        let rate = add(
            scalar("rate", Transform::Lower(0.0)),
            Prior::Dist(Dist::Gamma {
                shape: 2.0,
                rate: 2.0,
            }),
        );
        // Periods of 4 observations alternating reference and treatment:
        // the first two of each later period follow a switch.
        let effect = |i: usize| (arm[i] == 1.0).then_some(0);
        let transitions = (4..n)
            .filter(|i| i % 4 < 2)
            .map(|i| Transition {
                obs: i,
                elapsed: (i % 4 + 1) as f64,
                from: effect(i - 4),
                to: effect(i),
            })
            .collect();
        CarryoverDecay { rate, transitions }
    });
    Model {
        params,
        priors,
        likelihoods: vec![Likelihood {
            outcome: "y".into(),
            family: fam,
            y,
            days,
            predictor: LinearPredictor {
                intercept,
                arm_effects: vec![Covariate {
                    param: 0,
                    values: arm,
                }],
                trend: Some(Covariate {
                    param: 1,
                    values: trend,
                }),
                carryover: vec![],
                latent_ar1,
                covariates,
                lagged_outcome,
                carryover_decay,
            },
        }],
    }
}

fn draw_prior(r: &mut ChainRng, d: &Dist) -> f64 {
    match *d {
        Dist::Normal { mu, sigma } => mu + sigma * r.normal(),
        Dist::HalfNormal { sigma } => (sigma * r.normal()).abs(),
        Dist::LogNormal { mu, sigma } => (mu + sigma * r.normal()).exp(),
        Dist::Uniform { lower, upper } => lower + (upper - lower) * r.uniform(),
        Dist::Gamma { shape, rate } => gamma(r, shape) / rate,
        _ => f64::NAN,
    }
}

/// Draws the true parameters (constrained, model layout) from the priors of
/// `m` (whose data are placeholders) and simulates new data.
fn simulate(family: &str, m: &Model, r: &mut ChainRng, days: &[i64]) -> (Vec<f64>, Vec<f64>) {
    let dens_layout: Vec<usize> = m.params.iter().map(|p| p.size).collect();
    let mut offsets = Vec::new();
    let mut o = 0;
    for s in &dens_layout {
        offsets.push(o);
        o += s;
    }
    let mut theta = vec![0.0; o];
    for pt in &m.priors {
        let off = offsets[pt.param];
        match &pt.prior {
            Prior::Dist(d) => {
                for k in 0..m.params[pt.param].size {
                    theta[off + k] = draw_prior(r, d);
                }
            }
            Prior::InducedDirichlet { alpha } => {
                let g: Vec<f64> = alpha.iter().map(|a| gamma(r, *a)).collect();
                let tot: f64 = g.iter().sum();
                let mut cum = 0.0;
                for k in 0..alpha.len() - 1 {
                    cum += g[k] / tot;
                    theta[off + k] = (cum / (1.0 - cum)).ln();
                }
            }
            Prior::Mixture(comps) => {
                for k in 0..m.params[pt.param].size {
                    let u = r.uniform();
                    let mut acc = 0.0;
                    let mut chosen = &comps[comps.len() - 1].dist;
                    for c in comps {
                        acc += c.weight;
                        if u < acc {
                            chosen = &c.dist;
                            break;
                        }
                    }
                    theta[off + k] = draw_prior(r, chosen);
                }
            }
        }
    }
    let l = &m.likelihoods[0];
    // Observations of the model (the lag model's data have one more value).
    let n = l.y.len();
    let lp = &l.predictor;
    let eta: Vec<f64> = (0..n)
        .map(|i| {
            lp.intercept.map(|j| theta[offsets[j]]).unwrap_or(0.0)
                + lp.arm_effects
                    .iter()
                    .chain(lp.trend.iter())
                    .map(|c| theta[offsets[c.param]] * c.values[i])
                    .sum::<f64>()
        })
        .collect();
    let mut eta = eta;
    for c in &lp.covariates {
        for (e, v) in eta.iter_mut().zip(&c.values) {
            *e += theta[offsets[c.param]] * v;
        }
    }
    if let Some(cd) = &lp.carryover_decay {
        let rate = theta[offsets[cd.rate]];
        let at = |p: Option<usize>| p.map_or(0.0, |j| theta[offsets[j]]);
        for t in &cd.transitions {
            let w = (-rate * t.elapsed).exp();
            eta[t.obs] += w * (at(t.from) - at(t.to));
        }
    }
    if let Some(lo) = &lp.lagged_outcome {
        // n + 1 values: the first is the previous measurement of the first
        // observation, drawn from the model without a lag; each later one
        // is the outcome given the value before it.
        let (Family::Normal { sigma }, Some(&e0)) = (&l.family, eta.first()) else {
            unreachable!("the lag model is normal");
        };
        let (s, rho) = (theta[offsets[*sigma]], theta[offsets[lo.param]]);
        let mut y = vec![e0 + s * r.normal()];
        for i in 0..n {
            let g = (days[i + 1] - days[i]) as i32;
            let prev = y[i];
            y.push(eta[i] + rho.powi(g) * prev + s * r.normal());
        }
        return (theta, y);
    }
    if let Some(la) = &lp.latent_ar1 {
        let (s, ph) = (theta[offsets[la.sigma]], theta[offsets[la.phi]]);
        let z = &theta[offsets[la.z]..offsets[la.z] + n];
        let mut e = s / (1.0 - ph * ph).sqrt() * z[0];
        eta[0] += e;
        for i in 1..n {
            let g = (days[i] - days[i - 1]) as i32;
            e = ph.powi(g) * e + s * ((1.0 - ph.powi(2 * g)) / (1.0 - ph * ph)).sqrt() * z[i];
            eta[i] += e;
        }
    }
    let y: Vec<f64> = match l.family {
        Family::Normal { sigma } => eta
            .iter()
            .map(|e| e + theta[offsets[sigma]] * r.normal())
            .collect(),
        Family::NormalAr1 { sigma, phi } => {
            let (s, ph) = (theta[offsets[sigma]], theta[offsets[phi]]);
            let mut e = s / (1.0 - ph * ph).sqrt() * r.normal();
            let mut y = vec![eta[0] + e];
            for i in 1..n {
                let g = (days[i] - days[i - 1]) as i32;
                let sd = s * ((1.0 - ph.powi(2 * g)) / (1.0 - ph * ph)).sqrt();
                e = ph.powi(g) * e + sd * r.normal();
                y.push(eta[i] + e);
            }
            y
        }
        Family::BernoulliLogit => eta
            .iter()
            .map(|e| {
                if r.uniform() < inv_logit(*e) {
                    1.0
                } else {
                    0.0
                }
            })
            .collect(),
        Family::PoissonLog => eta.iter().map(|e| poisson(r, e.exp())).collect(),
        Family::BinomialLogit { ref trials } => eta
            .iter()
            .zip(trials)
            .map(|(e, &t)| {
                let p = inv_logit(*e);
                (0..t).filter(|_| r.uniform() < p).count() as f64
            })
            .collect(),
        Family::NegBinomial2Log { psi } => {
            let ps = theta[offsets[psi]];
            eta.iter()
                .map(|e| {
                    let g = gamma(r, ps);
                    poisson(r, g * e.exp() / ps)
                })
                .collect()
        }
        Family::OrderedLogistic { cutpoints } => {
            let c = &theta[offsets[cutpoints]..offsets[cutpoints] + CUTPOINTS];
            eta.iter()
                .map(|e| {
                    let u = 1.0 - r.uniform();
                    let z = e + (u / (1.0 - u)).ln();
                    1.0 + c.iter().filter(|ck| **ck < z).count() as f64
                })
                .collect()
        }
    };
    let _ = family;
    (theta, y)
}

pub fn days(n: usize, gaps: bool) -> Vec<i64> {
    let mut d = Vec::with_capacity(n);
    let mut day = 1;
    for i in 0..n {
        d.push(day);
        day += if gaps && i % 7 == 6 { 3 } else { 1 };
    }
    d
}

/// Result of an SBC run: for each scalar quantity (constrained layout
/// index), the rank histogram and its chi-square statistic; and the
/// post-warmup divergences, which rank histograms of this size do not see.
pub struct SbcResult {
    pub names: Vec<String>,
    pub hist: Vec<Vec<usize>>,
    pub chi2: Vec<f64>,
    pub sims: usize,
    pub failed_fits: usize,
    /// Fits with at least one divergent post-warmup transition.
    pub divergent_fits: usize,
    /// Divergent post-warmup transitions over all fits.
    pub divergences: usize,
}

/// Runs `sims` simulations; `thin_draws` kept per fit (ranks in
/// 0..=thin_draws), histogram in `bins` bins (bins must divide
/// thin_draws + 1).
pub fn run(family: &str, sims: usize, n_obs: usize, fit_delta_prior: Dist, seed: u64) -> SbcResult {
    run_with(
        family,
        sims,
        n_obs,
        fit_delta_prior,
        seed,
        MetricEstimator::Variance,
    )
}

/// As [`run`] with a chosen metric estimator.
pub fn run_with(
    family: &str,
    sims: usize,
    n_obs: usize,
    fit_delta_prior: Dist,
    seed: u64,
    metric: MetricEstimator,
) -> SbcResult {
    let kept = 99usize;
    let bins = 10usize;
    let thin = 2usize;
    let gaps = matches!(family, "ar1" | "latent" | "latent_binary" | "lag");
    // The lag model's data start one measurement earlier.
    let dd = days(n_obs + usize::from(family == "lag"), gaps);
    let template = model(
        family,
        vec![1.0; dd.len()],
        dd.clone(),
        Dist::Normal {
            mu: 0.0,
            sigma: 0.5,
        },
    );
    let names: Vec<String> = template
        .params
        .iter()
        .flat_map(|p| {
            (0..p.size).map(move |k| {
                if p.size == 1 {
                    p.name.clone()
                } else {
                    format!("{}[{}]", p.name, k + 1)
                }
            })
        })
        .collect();
    let ranks: Vec<Option<(Vec<usize>, usize)>> = (0..sims)
        .into_par_iter()
        .map(|s| {
            let mut r = ChainRng::new(seed, 1_000_000 + s as u64);
            let (theta, y) = simulate(family, &template, &mut r, &dd);
            let m = model(family, y, dd.clone(), fit_delta_prior.clone());
            let d = MirDensity::new(m).ok()?;
            let cfg = NutsConfig {
                num_chains: 1,
                num_warmup: 200,
                num_draws: kept * thin,
                seed: seed.wrapping_add(s as u64),
                metric,
                ..NutsConfig::default()
            };
            let chain = run_chain(&d, &cfg, 0).ok()?;
            let dim = theta.len();
            let mut rk = vec![0usize; dim];
            for draw in chain
                .draws
                .chunks(dim)
                .skip(thin - 1)
                .step_by(thin)
                .take(kept)
            {
                let t = d.constrain(draw).ok()?;
                for k in 0..dim {
                    if t[k] < theta[k] {
                        rk[k] += 1;
                    }
                }
            }
            let divergences = chain.stats.iter().filter(|st| st.divergent).count();
            Some((rk, divergences))
        })
        .collect();
    let failed_fits = ranks.iter().filter(|r| r.is_none()).count();
    let divergent_fits = ranks.iter().flatten().filter(|(_, d)| *d > 0).count();
    let divergences = ranks.iter().flatten().map(|(_, d)| d).sum();
    let dim = names.len();
    let mut hist = vec![vec![0usize; bins]; dim];
    let mut used = 0;
    for (rk, _) in ranks.iter().flatten() {
        used += 1;
        for k in 0..dim {
            hist[k][rk[k] * bins / (kept + 1)] += 1;
        }
    }
    let expected = used as f64 / bins as f64;
    let chi2 = hist
        .iter()
        .map(|h| {
            h.iter()
                .map(|&c| (c as f64 - expected).powi(2) / expected)
                .sum()
        })
        .collect();
    SbcResult {
        names,
        hist,
        chi2,
        sims,
        failed_fits,
        divergent_fits,
        divergences,
    }
}

/// P(chi-square(9) >= x): the p-value of a 10-bin histogram's statistic.
pub fn chi2_9_pvalue(x: f64) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    ChiSquared::new(9.0)
        .map(|c| 1.0 - c.cdf(x))
        .unwrap_or(f64::NAN)
}

/// Upper quantile of the chi-square(9) distribution (10 bins).
pub fn chi2_9_critical(p: f64) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    ChiSquared::new(9.0)
        .map(|c| c.inverse_cdf(1.0 - p))
        .unwrap_or(f64::NAN)
}
