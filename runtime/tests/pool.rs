//! The pooled density of a series of N-of-1 trials (`trialc_runtime::pool`):
//! its value against a hand-written hierarchical model, its gradient against
//! finite differences, its posterior against the exact normal-normal answer
//! (quadrature over tau of the conjugate posterior of mu given tau), and
//! simulation-based calibration with tau's prior mass near zero.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

mod common;

use rayon::prelude::*;
use statrs::distribution::{Continuous, Normal};
use trialc_runtime::density::{LogDensity, Transform};
use trialc_runtime::diagnostics::summarise;
use trialc_runtime::mir::*;
use trialc_runtime::nuts::{run_chain, sample, NutsConfig};
use trialc_runtime::pool::*;
use trialc_runtime::rng::ChainRng;

fn scalar(name: &str, t: Transform) -> Parameter {
    Parameter {
        name: name.into(),
        transform: t,
        size: 1,
        origin: None,
    }
}

fn normal(mu: f64, sigma: f64) -> Prior {
    Prior::Dist(Dist::Normal { mu, sigma })
}

fn half_normal(sigma: f64) -> Prior {
    Prior::Dist(Dist::HalfNormal { sigma })
}

/// One person's model as lowering makes it: intercept, the effects of
/// `arms` arms (arm of observation t: `t / 4 % (arms + 1)`, 0 the
/// reference), sigma; AR(1) errors with phi when `ar1`.
/// Parameters: intercept 0, effects 1..=arms, sigma, then phi.
fn person(y: Vec<f64>, arms: usize, ar1: bool, intercept_prior: Prior) -> Model {
    let n = y.len();
    let mut params = vec![scalar("intercept", Transform::Identity)];
    let mut priors = vec![PriorTerm {
        param: 0,
        prior: intercept_prior,
    }];
    let mut arm_effects = Vec::new();
    for a in 1..=arms {
        params.push(scalar(&format!("effect[a{a}]"), Transform::Identity));
        priors.push(PriorTerm {
            param: a,
            prior: normal(0.0, 3.0),
        });
        arm_effects.push(Covariate {
            param: a,
            values: (0..n)
                .map(|t| f64::from(u8::from((t / 4) % (arms + 1) == a)))
                .collect(),
        });
    }
    let sigma = params.len();
    params.push(scalar("sigma", Transform::Lower(0.0)));
    priors.push(PriorTerm {
        param: sigma,
        prior: half_normal(2.0),
    });
    let family = if ar1 {
        let phi = params.len();
        params.push(scalar("phi", Transform::Interval(-1.0, 1.0)));
        priors.push(PriorTerm {
            param: phi,
            prior: Prior::Dist(Dist::Uniform {
                lower: -1.0,
                upper: 1.0,
            }),
        });
        Family::NormalAr1 { sigma, phi }
    } else {
        Family::Normal { sigma }
    };
    // Days with a gap after every fifth observation.
    let days = (0..n as i64).map(|t| 1 + t + 2 * (t / 5)).collect();
    Model {
        params,
        priors,
        likelihoods: vec![Likelihood {
            outcome: "y".into(),
            family,
            y,
            days,
            predictor: LinearPredictor {
                intercept: Some(0),
                arm_effects,
                ..Default::default()
            },
        }],
    }
}

fn data(rng: &mut ChainRng, n: usize, level: f64) -> Vec<f64> {
    (0..n).map(|_| level + rng.normal()).collect()
}

/// A series of two AR(1) people (two effects, phi shared, own intercept and
/// sigma) and one known through a summary (a normal posterior under a
/// normal prior, and a mixture posterior), with two covariates.
fn mixed_series() -> PoolModel {
    let mut rng = ChainRng::new(7, 0);
    let a = person(data(&mut rng, 18, 5.0), 2, true, normal(5.0, 2.0));
    let b = person(data(&mut rng, 24, 4.0), 2, true, normal(5.0, 2.0));
    let phi = SharedParam {
        name: "phi".into(),
        transform: Transform::Interval(-1.0, 1.0),
        size: 1,
        prior: Prior::Dist(Dist::Uniform {
            lower: -1.0,
            upper: 1.0,
        }),
    };
    let member = |name: &str, model: Model, cov: [f64; 2]| Member {
        name: name.into(),
        covariates: cov.to_vec(),
        data: MemberData::Model {
            model,
            effects: vec![1, 2],
            shared: vec![4],
        },
    };
    PoolModel {
        effects: vec!["a1".into(), "a2".into()],
        covariates: vec!["age".into(), "severity".into()],
        mu_priors: vec![normal(0.0, 2.0), normal(0.5, 1.0)],
        tau_priors: vec![
            half_normal(1.0),
            Prior::Dist(Dist::HalfStudentT {
                nu: 3.0,
                sigma: 1.0,
            }),
        ],
        gamma_prior: normal(0.0, 1.0),
        shared: vec![phi],
        members: vec![
            member("A", a, [0.5, -1.0]),
            member("B", b, [-0.5, 1.0]),
            Member {
                name: "C".into(),
                covariates: vec![0.0, 0.3],
                data: MemberData::Summary {
                    posterior: vec![
                        normal(-0.4, 0.5),
                        Prior::Mixture(vec![
                            MixtureComponent {
                                weight: 0.6,
                                dist: Dist::Normal {
                                    mu: -1.0,
                                    sigma: 0.4,
                                },
                            },
                            MixtureComponent {
                                weight: 0.4,
                                dist: Dist::Normal {
                                    mu: 0.5,
                                    sigma: 0.6,
                                },
                            },
                        ]),
                    ],
                    prior: vec![normal(0.0, 3.0), normal(0.0, 3.0)],
                },
            },
        ],
    }
}

#[test]
fn the_gradient_agrees_with_finite_differences() {
    let d = PooledDensity::new(mixed_series()).expect("valid series");
    // mu 2, tau 2, gamma 4, z 6, phi 1; A and B: intercept, sigma each.
    assert_eq!(d.dim(), 2 + 2 + 4 + 6 + 1 + 2 + 2);
    let mut rng = ChainRng::new(11, 0);
    for _ in 0..6 {
        let x: Vec<f64> = (0..d.dim()).map(|_| 3.0 * rng.uniform() - 1.5).collect();
        common::check_gradient(&d, &x).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn outputs_are_named_and_follow_the_non_centred_map() {
    let d = PooledDensity::new(mixed_series()).expect("valid series");
    let names = d.output_names();
    let x: Vec<f64> = (0..d.dim()).map(|i| 0.1 * i as f64 - 0.7).collect();
    let out = d.outputs(&x);
    assert_eq!(names.len(), out.len());
    let at = |n: &str| out[names.iter().position(|m| m == n).expect(n)];
    // delta[2,1] = mu_1 + x_B . gamma_1 + tau_1 z[B, 1].
    let (mu1, tau1) = (x[0], x[2].exp());
    let gamma1 = [x[4], x[5]];
    assert_eq!(at("gamma[1,2]"), x[5]);
    assert_eq!(at("gamma[2,1]"), x[6]);
    let z_b1 = x[8 + 2];
    let expected = mu1 + 0.5 * -gamma1[0] + gamma1[1] * 1.0 + tau1 * z_b1;
    assert!((at("delta[2,1]") - expected).abs() < 1e-12);
    assert_eq!(at("mu[1]"), mu1);
    assert!((at("tau[1]") - tau1).abs() < 1e-15);
    assert!(names.contains(&"phi".to_string()));
    // C is known by a summary: the own parameters of A and B are named per
    // person (an array would have a hole at C).
    assert!(names.contains(&"intercept_1".to_string()));
    assert!(names.contains(&"sigma_2".to_string()));
    assert!(
        !names.iter().any(|n| n.starts_with("sigma_3")),
        "C has no model"
    );
    assert_eq!(names[d.delta_output(1, 0)], "delta[2,1]");
    // CmdStan's array layout: delta's elements contiguous, person fastest.
    let deltas: Vec<&str> = names
        .iter()
        .filter(|n| n.starts_with("delta["))
        .map(String::as_str)
        .collect();
    assert_eq!(
        deltas,
        [
            "delta[1,1]",
            "delta[2,1]",
            "delta[3,1]",
            "delta[1,2]",
            "delta[2,2]",
            "delta[3,2]"
        ]
    );
    let first = names.iter().position(|n| n == "delta[1,1]").expect("delta");
    assert_eq!(names[first + 5], "delta[3,2]");
    let sigmas: Vec<&str> = names
        .iter()
        .filter(|n| n.starts_with("sigma"))
        .map(String::as_str)
        .collect();
    assert_eq!(sigmas, ["sigma_1", "sigma_2"]);
    assert_eq!(names[d.shared_output_offset(0)], "phi");
}

/// The pooled density is the hand-written hierarchical model, constants
/// included: independent normal errors, sigma shared, own intercepts, one
/// covariate.
#[test]
fn the_density_is_the_hierarchical_model_written_out() {
    let mut rng = ChainRng::new(3, 0);
    let ys: Vec<Vec<f64>> = (0..3).map(|i| data(&mut rng, 12 + 4 * i, 5.0)).collect();
    let cov = [-1.0, 0.25, 0.75];
    let series = PoolModel {
        effects: vec!["a1".into()],
        covariates: vec!["age".into()],
        mu_priors: vec![normal(0.0, 1.5)],
        tau_priors: vec![half_normal(0.5)],
        gamma_prior: normal(0.0, 0.7),
        shared: vec![SharedParam {
            name: "sigma".into(),
            transform: Transform::Lower(0.0),
            size: 1,
            prior: half_normal(1.5),
        }],
        members: ys
            .iter()
            .zip(cov)
            .enumerate()
            .map(|(i, (y, c))| Member {
                name: format!("P{i}"),
                covariates: vec![c],
                data: MemberData::Model {
                    model: person(y.clone(), 1, false, normal(5.0, 2.0)),
                    effects: vec![1],
                    shared: vec![2],
                },
            })
            .collect(),
    };
    let d = PooledDensity::new(series).expect("valid");
    // x = mu, log tau, gamma, z1..z3, log sigma, alpha1..alpha3.
    assert_eq!(d.dim(), 10);
    let ln_n = |v: f64, m: f64, s: f64| Normal::new(m, s).expect("normal").ln_pdf(v);
    let ln_half = |v: f64, s: f64| std::f64::consts::LN_2 + ln_n(v, 0.0, s);
    let mut rng = ChainRng::new(5, 0);
    for _ in 0..5 {
        let x: Vec<f64> = (0..10).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        let (mu, tau, gamma, sigma) = (x[0], x[1].exp(), x[2], x[6].exp());
        let mut hand = ln_n(mu, 0.0, 1.5)
            + ln_half(tau, 0.5)
            + x[1]
            + ln_n(gamma, 0.0, 0.7)
            + ln_half(sigma, 1.5)
            + x[6];
        for i in 0..3 {
            let z = x[3 + i];
            let alpha = x[7 + i];
            let delta = mu + cov[i] * gamma + tau * z;
            hand += ln_n(z, 0.0, 1.0) + ln_n(alpha, 5.0, 2.0);
            for (t, y) in ys[i].iter().enumerate() {
                let on = f64::from(u8::from((t / 4) % 2 == 1));
                hand += ln_n(*y, alpha + delta * on, sigma);
            }
        }
        let lp = d.logp_grad(&x, &mut [0.0; 10]);
        assert!(
            (lp - hand).abs() <= 1e-10 * hand.abs(),
            "pooled {lp} vs written out {hand}"
        );
    }
}

/// The exact posterior of the normal-normal hierarchical model with known
/// within-person SDs s_i (estimates y_i), mu ~ normal(m0, s0), tau ~
/// half_normal(h): given tau, mu is conjugate normal, and tau's marginal
/// posterior is known up to a constant; a fine quadrature over tau gives
/// the posterior moments of mu, tau and every delta_i.
struct Exact {
    mu: (f64, f64),
    tau: (f64, f64),
    delta: Vec<(f64, f64)>,
}

fn exact_normal_normal(y: &[f64], s: &[f64], m0: f64, s0: f64, h: f64) -> Exact {
    let ln_n = |v: f64, m: f64, sd: f64| {
        -0.5 * ((v - m) / sd).powi(2) - sd.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
    };
    let grid = 200_000usize;
    let top = 12.0 * h;
    let step = top / grid as f64;
    let mut ws = Vec::with_capacity(grid);
    let mut rows = Vec::with_capacity(grid);
    for j in 0..grid {
        let tau = (j as f64 + 0.5) * step;
        let mut prec = 1.0 / (s0 * s0);
        let mut num = m0 / (s0 * s0);
        for (yi, si) in y.iter().zip(s) {
            let v = si * si + tau * tau;
            prec += 1.0 / v;
            num += yi / v;
        }
        let v_mu = 1.0 / prec;
        let mu_hat = v_mu * num;
        // log p(y | tau) = sum log N(y_i | mu_hat, v_i) + log N(mu_hat | m0, s0)
        //                  - log N(mu_hat | mu_hat, sqrt(v_mu)).
        let mut lw = ln_n(tau, 0.0, h) + ln_n(mu_hat, m0, s0) - ln_n(mu_hat, mu_hat, v_mu.sqrt());
        for (yi, si) in y.iter().zip(s) {
            lw += ln_n(*yi, mu_hat, (si * si + tau * tau).sqrt());
        }
        ws.push(lw);
        rows.push((tau, mu_hat, v_mu));
    }
    let m = ws.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = ws.iter().map(|l| (l - m).exp()).collect();
    let total: f64 = w.iter().sum();
    let moments = |f: &dyn Fn(f64, f64, f64) -> (f64, f64)| {
        // f gives the conditional mean and variance given tau.
        let (mut e, mut e2) = (0.0, 0.0);
        for (wj, &(tau, mu_hat, v_mu)) in w.iter().zip(&rows) {
            let (cm, cv) = f(tau, mu_hat, v_mu);
            e += wj * cm;
            e2 += wj * (cv + cm * cm);
        }
        let mean = e / total;
        (mean, (e2 / total - mean * mean).sqrt())
    };
    Exact {
        mu: moments(&|_, mh, v| (mh, v)),
        tau: moments(&|t, _, _| (t, 0.0)),
        delta: y
            .iter()
            .zip(s)
            .map(|(&yi, &si)| {
                moments(&|t, mh, v| {
                    let (t2, s2) = (t * t, si * si);
                    let b = s2 / (s2 + t2);
                    (b * mh + (1.0 - b) * yi, s2 * t2 / (s2 + t2) + b * b * v)
                })
            })
            .collect(),
    }
}

#[test]
fn summaries_pool_to_the_exact_normal_normal_posterior() {
    // Eight people known through their exported posteriors N(m_i, q_i) under
    // the prior N(0, 3): the likelihood they imply is normal with precision
    // 1/q^2 - 1/9 and mean m q^-2 / (q^-2 - 1/9) (Rubin's eight schools,
    // scaled).
    let y = [2.8, 0.8, -0.3, 0.7, -0.1, 0.1, 1.8, 1.2];
    let s = [1.5, 1.0, 1.6, 1.1, 0.9, 1.1, 1.0, 1.8];
    let prior_sd: f64 = 3.0;
    let members = y
        .iter()
        .zip(&s)
        .enumerate()
        .map(|(i, (&yi, &si))| {
            let prec = 1.0 / (si * si) + 1.0 / (prior_sd * prior_sd);
            let q = 1.0 / prec.sqrt();
            let m = yi / (si * si) / prec;
            Member {
                name: format!("P{i}"),
                covariates: vec![],
                data: MemberData::Summary {
                    posterior: vec![normal(m, q)],
                    prior: vec![normal(0.0, prior_sd)],
                },
            }
        })
        .collect();
    let (m0, s0, h) = (0.0, 2.0, 1.0);
    let d = PooledDensity::new(PoolModel {
        effects: vec!["a".into()],
        covariates: vec![],
        mu_priors: vec![normal(m0, s0)],
        tau_priors: vec![half_normal(h)],
        gamma_prior: normal(0.0, 1.0),
        shared: vec![],
        members,
    })
    .expect("valid");
    let exact = exact_normal_normal(&y, &s, m0, s0, h);
    let cfg = NutsConfig {
        num_chains: 4,
        num_warmup: 1000,
        num_draws: 2500,
        seed: 2026,
        target_accept: 0.9,
        ..NutsConfig::default()
    };
    let fit = sample(&d, &cfg).expect("sampling");
    let names = d.output_names();
    let divergent: usize = fit
        .chains
        .iter()
        .map(|c| c.stats.iter().filter(|s| s.divergent).count())
        .sum();
    assert!(divergent <= 5, "{divergent} divergences");
    let check = |name: &str, (mean, sd): (f64, f64)| {
        let k = names.iter().position(|n| n == name).expect(name);
        let draws = fit.map_draws(|x| d.outputs(x)[k]);
        let sm = summarise(&draws);
        let z = (sm.mean - mean) / sm.mcse_mean;
        assert!(
            z.abs() < 4.0,
            "{name}: mean {} vs exact {mean} (z = {z:.2})",
            sm.mean
        );
        assert!(
            (sm.sd / sd - 1.0).abs() < 0.06,
            "{name}: sd {} vs exact {sd}",
            sm.sd
        );
    };
    check("mu[1]", exact.mu);
    check("tau[1]", exact.tau);
    for (i, dl) in exact.delta.iter().enumerate() {
        check(&format!("delta[{},1]", i + 1), *dl);
    }
}

/// Simulation-based calibration of the pooled model: tau ~ half_normal(0.3)
/// puts much of its mass near 0, where a centred parametrisation funnels;
/// ranks of mu, tau, a person's delta, the shared sigma and an intercept
/// must be uniform, and the non-centred fits free of divergences at a
/// target acceptance of 0.95, below `trialc pool`'s default of 0.99, so
/// the default has margin.
///
/// Measured (5 people x 16 observations, 1 chain x (300 + 198), seed 2027):
/// at Stan's default 0.8, 10 of 100 fits had 1 to 3 divergent transitions
/// (most where sigma is small, so that the data pin each delta and the
/// non-centred z_i and tau form a ridge); at 0.95, none of 400.
#[test]
fn simulation_based_calibration_of_the_pooled_model() {
    let sims: usize = std::env::var("POOL_SBC_SIMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    const PEOPLE: usize = 5;
    const OBS: usize = 16;
    let (kept, thin, bins) = (99usize, 2usize, 10usize);
    let build = |ys: Vec<Vec<f64>>| -> PooledDensity {
        PooledDensity::new(PoolModel {
            effects: vec!["a1".into()],
            covariates: vec![],
            mu_priors: vec![normal(0.0, 1.0)],
            tau_priors: vec![half_normal(0.3)],
            gamma_prior: normal(0.0, 1.0),
            shared: vec![SharedParam {
                name: "sigma".into(),
                transform: Transform::Lower(0.0),
                size: 1,
                prior: half_normal(1.0),
            }],
            members: ys
                .into_iter()
                .enumerate()
                .map(|(i, y)| Member {
                    name: format!("P{i}"),
                    covariates: vec![],
                    data: MemberData::Model {
                        model: person(y, 1, false, normal(0.0, 1.0)),
                        effects: vec![1],
                        shared: vec![2],
                    },
                })
                .collect(),
        })
        .expect("valid")
    };
    let tracked = ["mu[1]", "tau[1]", "sigma", "delta[1,1]", "intercept[1]"];
    let results: Vec<Option<(Vec<usize>, usize)>> = (0..sims)
        .into_par_iter()
        .map(|sim| {
            let mut r = ChainRng::new(2027, sim as u64);
            let mu = r.normal();
            let tau = (0.3 * r.normal()).abs();
            let sigma = r.normal().abs();
            let mut truth = vec![mu, tau, sigma];
            let mut ys = Vec::new();
            for i in 0..PEOPLE {
                let delta = mu + tau * r.normal();
                let alpha = r.normal();
                if i == 0 {
                    truth.push(delta);
                    truth.push(alpha);
                }
                ys.push(
                    (0..OBS)
                        .map(|t| {
                            let on = f64::from(u8::from((t / 4) % 2 == 1));
                            alpha + delta * on + sigma * r.normal()
                        })
                        .collect(),
                );
            }
            let d = build(ys);
            let names = d.output_names();
            let idx: Vec<usize> = tracked
                .iter()
                .map(|t| names.iter().position(|n| n == t).expect("tracked"))
                .collect();
            let cfg = NutsConfig {
                num_chains: 1,
                num_warmup: 300,
                num_draws: kept * thin,
                seed: 9000 + sim as u64,
                target_accept: 0.95,
                ..NutsConfig::default()
            };
            let chain = run_chain(&d, &cfg, 0).ok()?;
            let mut ranks = vec![0usize; tracked.len()];
            for x in chain
                .draws
                .chunks(d.dim())
                .skip(thin - 1)
                .step_by(thin)
                .take(kept)
            {
                let out = d.outputs(x);
                for (j, &k) in idx.iter().enumerate() {
                    if out[k] < truth[j] {
                        ranks[j] += 1;
                    }
                }
            }
            let divergences = chain.stats.iter().filter(|s| s.divergent).count();
            Some((ranks, divergences))
        })
        .collect();
    let ok: Vec<&(Vec<usize>, usize)> = results.iter().flatten().collect();
    assert_eq!(ok.len(), sims, "fits failed");
    let divergent_fits = ok.iter().filter(|(_, d)| *d > 0).count();
    let crit = common::sbc::chi2_9_critical(1e-3 / tracked.len() as f64);
    for (j, name) in tracked.iter().enumerate() {
        let mut hist = vec![0usize; bins];
        for (ranks, _) in &ok {
            hist[ranks[j] * bins / (kept + 1)] += 1;
        }
        let expected = sims as f64 / bins as f64;
        let chi2: f64 = hist
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(
            chi2 < crit,
            "{name}: rank histogram {hist:?} (chi2 {chi2:.1})"
        );
    }
    assert_eq!(
        divergent_fits, 0,
        "{divergent_fits} of {sims} fits had divergent transitions"
    );
}

#[test]
fn invalid_series_are_refused_with_reasons() {
    let mut s = mixed_series();
    s.tau_priors.pop();
    assert!(PooledDensity::new(s).is_err());
    let mut s = mixed_series();
    if let MemberData::Model { effects, .. } = &mut s.members[0].data {
        effects[1] = 3; // sigma is not on the real line
    }
    let e = PooledDensity::new(s).expect_err("sigma as an effect");
    assert!(e.message.contains("participant `A`"), "{e}");
    let mut s = mixed_series();
    s.shared[0].transform = Transform::Lower(0.0);
    s.shared[0].prior = half_normal(1.0);
    let e = PooledDensity::new(s).expect_err("phi shared on the wrong support");
    assert!(e.message.contains("cannot be shared"), "{e}");
    let mut s = mixed_series();
    s.members[1].covariates = vec![f64::NAN, 0.0];
    assert!(PooledDensity::new(s).is_err());
}
