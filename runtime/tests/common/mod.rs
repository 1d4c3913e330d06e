//! Shared test and bench helpers: the four Stan reference models built from
//! the fixture data (three as MIR, count_ar1 as a hand-written density), a
//! finite-difference gradient checker with error estimates, and the
//! deterministic property-test configuration.
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
                ..Default::default()
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

/// A finite-difference derivative and an estimate of its error.
#[derive(Debug, Clone, Copy)]
pub struct FdDerivative {
    pub value: f64,
    pub error: f64,
}

/// d logp / d x_i from finite differences, with an error estimate.
///
/// Ridders' method ([`ridders`]) from two first steps, 1e-2 and 1e-3 times
/// (1 + |x_i|): the result with the smaller estimated error, whose error is
/// then at least the two results' difference. One tableau can be fooled by
/// an accidental near-agreement of two of its entries (a small estimate
/// beside a wrong value); two tableaus from different steps are not fooled
/// the same way, and where they disagree the estimate says so.
pub fn fd_derivative<D: LogDensity>(d: &D, x: &[f64], i: usize) -> FdDerivative {
    let f0 = d.logp_grad(x, &mut vec![0.0; x.len()]);
    let scale = 1.0 + x[i].abs();
    let a = ridders(d, x, i, 1e-2 * scale, f0);
    let b = ridders(d, x, i, 1e-3 * scale, f0);
    let best = if a.error <= b.error { a } else { b };
    FdDerivative {
        value: best.value,
        error: best.error.max((a.value - b.value).abs()),
    }
}

/// Bound on the rounding error of an extrapolated central difference whose
/// smallest step is `h`, for a density of size `f0`: each value carries
/// about eps |f0| of rounding, a difference over 2h turns that into
/// eps |f0| / h, and the tableau's weights amplify it less than tenfold.
fn rounding_floor(f0: f64, h: f64) -> f64 {
    10.0 * f64::EPSILON * f0.abs() / h
}

/// Ridders' method from first step `h`: central differences at steps h,
/// h/1.4, h/1.4^2, ... extrapolated to step 0 in a Richardson tableau (each
/// column removes the next even power of the step). The error estimate of
/// an entry is its larger change against the two entries it came from (the
/// truncation error still in it), and at least the rounding floor of its
/// smallest step (a near-agreement below that is an accident); the entry
/// with the smallest estimate is the result. The tableau stops growing once
/// rounding makes the higher orders worse. `f0` is logp at `x`. Infinite
/// error when even the first difference is not finite.
pub fn ridders<D: LogDensity>(d: &D, x: &[f64], i: usize, h: f64, f0: f64) -> FdDerivative {
    const SHRINK: f64 = 1.4;
    const SHRINK2: f64 = SHRINK * SHRINK;
    const ROWS: usize = 12;
    let mut scratch = vec![0.0; x.len()];
    let mut xs = x.to_vec();
    let mut central = |h: f64| {
        // The steps actually taken (x +- h rounded), not the nominal h.
        let (up, down) = (x[i] + h, x[i] - h);
        xs[i] = up;
        let fp = d.logp_grad(&xs, &mut scratch);
        xs[i] = down;
        let fm = d.logp_grad(&xs, &mut scratch);
        xs[i] = x[i];
        (fp - fm) / (up - down)
    };
    let mut h = h;
    let first = central(h);
    let mut best = FdDerivative {
        value: first,
        error: f64::INFINITY,
    };
    if !first.is_finite() {
        return best;
    }
    let mut prev = vec![first];
    for k in 1..ROWS {
        h /= SHRINK;
        let c = central(h);
        if !c.is_finite() {
            break;
        }
        let mut row = vec![c];
        let mut fac = SHRINK2;
        for j in 1..=k {
            let v = (row[j - 1] * fac - prev[j - 1]) / (fac - 1.0);
            fac *= SHRINK2;
            let err = (v - row[j - 1])
                .abs()
                .max((v - prev[j - 1]).abs())
                .max(rounding_floor(f0, h));
            row.push(v);
            if err <= best.error {
                best = FdDerivative {
                    value: v,
                    error: err,
                };
            }
        }
        // The highest order moved more than twice the best error: rounding
        // dominates from here on.
        if (row[k] - prev[k - 1]).abs() >= 2.0 * best.error {
            break;
        }
        prev = row;
    }
    best
}

/// Checks the analytic gradient at `x` against [`fd_derivative`] in every
/// coordinate: each component must lie within 4 times the finite
/// difference's estimated error (plus 1e-10 relative to 1 + |derivative|,
/// for the analytic gradient's own rounding).
///
/// The check must also mean something: the estimated error may not exceed
/// 1e-4 (1 + |derivative|) plus the rounding floor of the first step,
/// 1e-3 (1 + |x_i|). That floor is about 1e-12 |logp|: negligible unless
/// logp is huge (1e9 and more in the latent AR(1) Poisson model's far
/// tails), where a small component cannot be resolved by any finite
/// difference and is checked as tightly as the density's own precision
/// allows. The error names the coordinate.
pub fn check_gradient<D: LogDensity>(d: &D, x: &[f64]) -> Result<(), String> {
    let mut g = vec![0.0; d.dim()];
    let lp = d.logp_grad(x, &mut g);
    if !lp.is_finite() {
        return Err(format!("logp = {lp} at {x:?}"));
    }
    for (i, &gi) in g.iter().enumerate() {
        let fd = fd_derivative(d, x, i);
        let scale = 1.0 + fd.value.abs();
        let attainable = 1e-4 * scale + rounding_floor(lp, 1e-3 * (1.0 + x[i].abs()));
        // Written so that NaN fails.
        let informative = fd.error <= attainable;
        if !informative {
            return Err(format!(
                "coordinate {i}: the finite differences {} +- {} are too uncertain to check \
                 the gradient (logp {lp})",
                fd.value, fd.error
            ));
        }
        let agrees = (gi - fd.value).abs() <= 4.0 * fd.error + 1e-10 * scale;
        if !agrees {
            return Err(format!(
                "coordinate {i}: analytic {gi} vs finite differences {} +- {} (logp {lp})",
                fd.value, fd.error
            ));
        }
    }
    Ok(())
}

/// Deterministic property tests: a fixed ChaCha seed per test, so a run in
/// CI is the same run everywhere, and no failure file written (a case worth
/// keeping becomes an explicit test).
pub fn proptest_config(cases: u32, seed: u64) -> proptest::test_runner::Config {
    use proptest::test_runner::{Config, RngAlgorithm, RngSeed};
    Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    }
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
