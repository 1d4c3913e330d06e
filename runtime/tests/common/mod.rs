//! Shared test and bench helpers: the four Stan reference models built from
//! the fixture data (three as MIR, count_ar1 as a hand-written density) and a
//! finite-difference gradient checker.
#![allow(dead_code)]

pub mod sbc;

use std::path::PathBuf;
use trialc_runtime::density::Transform;
use trialc_runtime::density::{inv_logit, log1p_exp, LogDensity};
use trialc_runtime::mir::*;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

pub fn read_json(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture is readable");
    serde_json::from_str(&text).expect("fixture is valid JSON")
}

/// The data of one reference model.
pub struct RefData {
    pub y: Vec<f64>,
    pub treat_b: Vec<f64>,
    pub time_scaled: Vec<f64>,
}

pub fn ref_data(model: &str) -> RefData {
    let v = read_json(&format!("{model}.json"));
    let col = |k: &str| -> Vec<f64> {
        v[k].as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect()
    };
    RefData {
        y: col("y"),
        treat_b: col("treatB"),
        time_scaled: col("time_scaled"),
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

fn normal(p: usize, mu: f64, sigma: f64) -> PriorTerm {
    PriorTerm {
        param: p,
        prior: Prior::Dist(Dist::Normal { mu, sigma }),
    }
}

/// The Stan reference model `model` ("continuous", "binary", "count",
/// "count_ar1") as MIR,
/// parameters in Stan's order.
pub fn reference_mir(model: &str) -> Model {
    let d = ref_data(model);
    let mut params = vec![
        scalar("mu", Transform::Identity),
        scalar("delta", Transform::Identity),
        scalar("beta_trend", Transform::Identity),
    ];
    let mut priors = vec![
        normal(0, 0.0, 10.0),
        normal(1, -0.5, 0.3),
        normal(2, 0.0, 1.0),
    ];
    let family = match model {
        "continuous" => {
            params.push(scalar("phi", Transform::Interval(-1.0, 1.0)));
            params.push(scalar("sigma", Transform::Lower(0.0)));
            priors.push(PriorTerm {
                param: 3,
                prior: Prior::Dist(Dist::Uniform {
                    lower: -1.0,
                    upper: 1.0,
                }),
            });
            priors.push(PriorTerm {
                param: 4,
                prior: Prior::Dist(Dist::HalfNormal { sigma: 5.0 }),
            });
            Family::NormalAr1 { sigma: 4, phi: 3 }
        }
        "binary" => Family::BernoulliLogit,
        "count" | "count_ar1" => Family::PoissonLog,
        other => panic!("no MIR for {other}"),
    };
    let n = d.y.len();
    let latent_ar1 = (model == "count_ar1").then(|| {
        params.push(scalar("phi", Transform::Interval(-1.0, 1.0)));
        params.push(scalar("sigma", Transform::Lower(0.0)));
        params.push(Parameter {
            name: "z".into(),
            transform: Transform::Identity,
            size: n,
            origin: None,
        });
        priors.push(PriorTerm {
            param: 3,
            prior: Prior::Dist(Dist::Uniform {
                lower: -1.0,
                upper: 1.0,
            }),
        });
        priors.push(PriorTerm {
            param: 4,
            prior: Prior::Dist(Dist::HalfNormal { sigma: 5.0 }),
        });
        priors.push(normal(5, 0.0, 1.0));
        LatentAr1 {
            z: 5,
            sigma: 4,
            phi: 3,
        }
    });
    Model {
        params,
        priors,
        likelihoods: vec![Likelihood {
            outcome: "y".into(),
            family,
            y: d.y,
            days: (1..=n as i64).collect(),
            predictor: LinearPredictor {
                intercept: Some(0),
                arm_effects: vec![Covariate {
                    param: 1,
                    values: d.treat_b,
                }],
                trend: Some(Covariate {
                    param: 2,
                    values: d.time_scaled,
                }),
                carryover: vec![],
                latent_ar1,
            },
        }],
    }
}

/// Stan's `count_ar1.stan`: Poisson with a latent non-centred stationary
/// AR(1); x = (mu, delta, beta_trend, phi_u, sigma_u, z[1..T]).
pub struct CountAr1 {
    pub d: RefData,
    lgamma_const: f64,
}

const MAX_T: usize = 512;

impl CountAr1 {
    pub fn new() -> Self {
        let d = ref_data("count_ar1");
        assert!(d.y.len() <= MAX_T);
        let lgamma_const =
            -d.y.iter()
                .map(|y| statrs::function::gamma::ln_gamma(y + 1.0))
                .sum::<f64>();
        CountAr1 { d, lgamma_const }
    }
}

impl LogDensity for CountAr1 {
    fn dim(&self) -> usize {
        5 + self.d.y.len()
    }

    fn logp_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let t_len = self.d.y.len();
        if x.len() != self.dim() || g.len() != self.dim() {
            return f64::NAN;
        }
        let (mu, delta, beta) = (x[0], x[1], x[2]);
        let s = inv_logit(x[3]);
        let phi = 2.0 * s - 1.0;
        let sigma = x[4].exp();
        let z = &x[5..];
        let omp2 = 1.0 - phi * phi;
        let sd0 = sigma / omp2.sqrt();
        // Jacobians: phi (interval), sigma (log).
        let mut lp = 2f64.ln() - log1p_exp(-x[3]) - log1p_exp(x[3]) + x[4];
        // Priors with constants (normal, uniform(-1,1), half-normal(0,5)).
        let ln2pi = trialc_runtime::density::LN_2PI;
        let nl = |v: f64, m: f64, sd: f64| -0.5 * ln2pi - sd.ln() - 0.5 * ((v - m) / sd).powi(2);
        lp += nl(mu, 0.0, 10.0) + nl(delta, -0.5, 0.3) + nl(beta, 0.0, 1.0) - 2f64.ln();
        lp += 2f64.ln() + nl(sigma, 0.0, 5.0);
        let mut e = [0.0; MAX_T];
        let mut a = [0.0; MAX_T];
        let (mut gmu, mut gdelta, mut gbeta) = (0.0, 0.0, 0.0);
        lp += self.lgamma_const;
        for t in 0..t_len {
            e[t] = if t == 0 {
                sd0 * z[0]
            } else {
                phi * e[t - 1] + sigma * z[t]
            };
            lp += -0.5 * ln2pi - 0.5 * z[t] * z[t];
            let eta = mu + delta * self.d.treat_b[t] + beta * self.d.time_scaled[t] + e[t];
            let m = eta.exp();
            lp += self.d.y[t] * eta - m;
            a[t] = self.d.y[t] - m;
            gmu += a[t];
            gdelta += a[t] * self.d.treat_b[t];
            gbeta += a[t] * self.d.time_scaled[t];
        }
        // Reverse pass through the AR(1) recursion.
        let mut ge = 0.0;
        let (mut gsigma, mut gphi) = (0.0, 0.0);
        for t in (0..t_len).rev() {
            ge = a[t] + phi * ge;
            if t == 0 {
                g[5] = sd0 * ge - z[0];
                gsigma += ge * z[0] / omp2.sqrt();
                gphi += ge * sigma * z[0] * phi / (omp2 * omp2.sqrt());
            } else {
                g[5 + t] = sigma * ge - z[t];
                gsigma += ge * z[t];
                gphi += ge * e[t - 1];
            }
        }
        g[0] = gmu - mu / 100.0;
        g[1] = gdelta - (delta + 0.5) / 0.09;
        g[2] = gbeta - beta;
        // sigma prior derivative -sigma/25, then chain rule d sigma/d x4 = sigma (+1 Jacobian).
        g[4] = (gsigma - sigma / 25.0) * sigma + 1.0;
        // d phi / d x3 = 2 s (1 - s); Jacobian derivative 1 - 2 s.
        g[3] = gphi * 2.0 * s * (1.0 - s) + 1.0 - 2.0 * s;
        lp
    }
}

/// Max relative error between the analytic gradient and central finite
/// differences at `x` (relative to 1 + |fd|). The differences are
/// Richardson-extrapolated (h and h/2), so that truncation error stays far
/// below the tolerance even where the density curves sharply (exp links).
pub fn fd_gradient_error<D: LogDensity>(d: &D, x: &[f64]) -> f64 {
    let n = d.dim();
    let mut g = vec![0.0; n];
    d.logp_grad(x, &mut g);
    let mut scratch = vec![0.0; n];
    let mut worst: f64 = 0.0;
    let mut central = |i: usize, h: f64| {
        let mut xp = x.to_vec();
        xp[i] += h;
        let fp = d.logp_grad(&xp, &mut scratch);
        xp[i] -= 2.0 * h;
        let fm = d.logp_grad(&xp, &mut scratch);
        (fp - fm) / (2.0 * h)
    };
    for i in 0..n {
        let h = 1e-4 * (1.0 + x[i].abs());
        let (d1, d2) = (central(i, h), central(i, h / 2.0));
        let fd = (4.0 * d2 - d1) / 3.0;
        let err = (fd - g[i]).abs() / (1.0 + fd.abs());
        worst = worst.max(err);
    }
    worst
}

/// Constrained draws of the named scalar parameters of a reference model:
/// for each parameter, `chains x draws`.
pub fn reference_draws(
    model: &str,
    fit: &trialc_runtime::nuts::Fit,
) -> Vec<(String, Vec<Vec<f64>>)> {
    let names = ["mu", "delta", "beta_trend", "phi", "sigma"];
    let k = if model == "continuous" || model == "count_ar1" {
        5
    } else {
        3
    };
    (0..k)
        .map(|j| {
            let draws = fit.map_draws(|x| match j {
                3 => 2.0 * inv_logit(x[3]) - 1.0,
                4 => x[4].exp(),
                _ => x[j],
            });
            (names[j].to_string(), draws)
        })
        .collect()
}

/// Stan's stored posterior summary (mean, sd, mcse_mean) of `param`.
pub fn stan_summary(model: &str, param: &str) -> (f64, f64, f64) {
    let s = read_json("stan_summary.json");
    let p = &s[format!("stan_{model}")]["params"][param];
    let f = |k: &str| p[k].as_f64().expect("number");
    (f("mean"), f("sd"), f("mcse_mean"))
}

/// Fits the reference model `model` with `cfg` and asserts Stan's answer:
/// at most `max_divergences`, every reported quantity's mean within 4
/// combined MCSE of Stan's stored mean, sd within 10%, R-hat below 1.02.
pub fn assert_agrees_with_stan<D: LogDensity>(
    model: &str,
    d: &D,
    cfg: &trialc_runtime::nuts::NutsConfig,
    max_divergences: usize,
) {
    use trialc_runtime::diagnostics::{chain_health, summarise};
    let fit = trialc_runtime::nuts::sample(d, cfg).expect("sampling runs");
    let div: usize = fit
        .chains
        .iter()
        .map(|c| chain_health(&c.stats, 10).divergences)
        .sum();
    assert!(div <= max_divergences, "{model}: {div} divergences");
    for (name, draws) in reference_draws(model, &fit) {
        let s = summarise(&draws);
        let (mean, sd, mcse) = stan_summary(model, &name);
        let z = (s.mean - mean) / (s.mcse_mean.powi(2) + mcse.powi(2)).sqrt();
        assert!(
            z.abs() < 4.0,
            "{model}/{name}: mean {} vs Stan {mean} (z = {z:.2})",
            s.mean
        );
        assert!(
            (s.sd / sd - 1.0).abs() < 0.1,
            "{model}/{name}: sd {} vs Stan {sd}",
            s.sd
        );
        assert!(s.rhat < 1.02, "{model}/{name}: R-hat {}", s.rhat);
    }
}
