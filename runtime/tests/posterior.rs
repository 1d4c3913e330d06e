//! The compiler-facing `fit`: a robust (mixture) prior on a treatment effect
//! against data that agree or conflict with it. With sigma pinned at 1 the
//! posterior is an exact mixture of normals, so the posterior component
//! weights, the mean and P(delta > 0) are known in closed form.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use statrs::distribution::{ContinuousCDF, Normal};
use trialc_runtime::density::Transform;
use trialc_runtime::diagnostics::mcse_mean;
use trialc_runtime::mir::*;
use trialc_runtime::nuts::NutsConfig;
use trialc_runtime::optimize::OptimizeConfig;
use trialc_runtime::posterior::{approximate, fit, fit_laplace, RuntimeError};

const W: [f64; 2] = [0.8, 0.2];
const M: [f64; 2] = [-0.5, 0.0];
const S: [f64; 2] = [0.2, 3.0];

fn model(y: Vec<f64>) -> Model {
    let n = y.len();
    Model {
        params: vec![
            Parameter {
                name: "delta".into(),
                transform: Transform::Identity,
                size: 1,
                origin: Some((10, 15)),
            },
            Parameter {
                name: "sigma".into(),
                transform: Transform::Lower(0.0),
                size: 1,
                origin: None,
            },
        ],
        priors: vec![
            PriorTerm {
                param: 0,
                prior: Prior::Mixture(vec![
                    MixtureComponent {
                        weight: W[0],
                        dist: Dist::Normal {
                            mu: M[0],
                            sigma: S[0],
                        },
                    },
                    MixtureComponent {
                        weight: W[1],
                        dist: Dist::Normal {
                            mu: M[1],
                            sigma: S[1],
                        },
                    },
                ]),
            },
            // sigma pinned at 1 (sd 1e-4 on the log scale).
            PriorTerm {
                param: 1,
                prior: Prior::Dist(Dist::LogNormal {
                    mu: 0.0,
                    sigma: 1e-4,
                }),
            },
        ],
        likelihoods: vec![Likelihood {
            outcome: "pain".into(),
            family: Family::Normal { sigma: 1 },
            y,
            days: vec![],
            predictor: LinearPredictor {
                intercept: None,
                arm_effects: vec![Covariate {
                    param: 0,
                    values: vec![1.0; n],
                }],
                trend: None,
                carryover: vec![],
                latent_ar1: None,
                ..Default::default()
            },
        }],
    }
}

/// Exact posterior: component weights, mean, P(delta > 0).
fn exact(y: &[f64]) -> ([f64; 2], f64, f64) {
    let n = y.len() as f64;
    let ybar = y.iter().sum::<f64>() / n;
    let mut w = [0.0; 2];
    let mut means = [0.0; 2];
    let mut sds = [0.0; 2];
    for k in 0..2 {
        let marg = Normal::new(M[k], (S[k] * S[k] + 1.0 / n).sqrt()).expect("normal");
        w[k] = W[k] * statrs::distribution::Continuous::pdf(&marg, ybar);
        let prec = 1.0 / (S[k] * S[k]) + n;
        means[k] = (M[k] / (S[k] * S[k]) + n * ybar) / prec;
        sds[k] = prec.sqrt().recip();
    }
    let tot = w[0] + w[1];
    let w = [w[0] / tot, w[1] / tot];
    let mean = w[0] * means[0] + w[1] * means[1];
    let p_pos = (0..2)
        .map(|k| w[k] * (1.0 - Normal::new(means[k], sds[k]).expect("normal").cdf(0.0)))
        .sum();
    (w, mean, p_pos)
}

fn data(centre: f64) -> Vec<f64> {
    (0..12)
        .map(|i| centre + ((i * 5) % 7) as f64 / 3.5 - 0.857_142_857_142_857_1)
        .collect()
}

fn check(centre: f64, seed: u64) -> [f64; 2] {
    let y = data(centre);
    let (w_exact, mean_exact, p_exact) = exact(&y);
    let m = model(y);
    let cfg = NutsConfig {
        seed,
        ..NutsConfig::default()
    };
    let post = fit(m, &cfg).expect("fit runs");
    assert_eq!(post.names, vec!["delta".to_string(), "sigma".to_string()]);
    let k = post.index("delta").expect("delta");
    let s = post.summaries[k];
    assert!(
        (s.mean - mean_exact).abs() < 4.0 * s.mcse_mean,
        "mean {} vs {mean_exact}",
        s.mean
    );
    let (p, p_mcse) = post.probability(|t| t[0] > 0.0);
    assert!(
        (p - p_exact).abs() < 4.0 * p_mcse.max(1e-4),
        "P(delta > 0) {p} vs {p_exact} (mcse {p_mcse})"
    );
    let m = post.mixture(0).expect("mixture prior");
    assert_eq!((m.param, m.element, m.name.as_str()), (0, 0, "delta"));
    assert_eq!(m.prior, W.to_vec());
    assert!(post.mixture(1).is_none(), "sigma's prior is not a mixture");
    assert_eq!(post.mixtures().len(), 1);
    // The responsibilities recomputed here from statrs densities, per chain:
    // the stored weights are their means and the MCSEs their mcse_mean.
    let resp = |k: usize| -> Vec<Vec<f64>> {
        let pdf = |j: usize, x: f64| {
            W[j] * statrs::distribution::Continuous::pdf(
                &Normal::new(M[j], S[j]).expect("normal"),
                x,
            )
        };
        (0..post.num_chains)
            .map(|c| {
                post.iter_draws()
                    .skip(c * post.num_draws)
                    .take(post.num_draws)
                    .map(|t| pdf(k, t[0]) / (pdf(0, t[0]) + pdf(1, t[0])))
                    .collect()
            })
            .collect()
    };
    for (k, &exact) in w_exact.iter().enumerate() {
        let r = resp(k);
        let n = (post.num_chains * post.num_draws) as f64;
        let mean = r.iter().flatten().sum::<f64>() / n;
        assert!(
            (m.posterior[k] - mean).abs() < 1e-12,
            "{} vs {mean}",
            m.posterior[k]
        );
        let mc = mcse_mean(&r);
        assert!((m.mcse[k] - mc).abs() < 1e-9 * mc, "{} vs {mc}", m.mcse[k]);
        assert!(m.mcse[k] > 0.0 && m.mcse[k] < 0.02, "mcse {}", m.mcse[k]);
        // The exact answer, within 4 MCSE.
        assert!(
            (m.posterior[k] - exact).abs() < 4.0 * m.mcse[k],
            "weight of component {k}: {} vs exact {exact} (mcse {})",
            m.posterior[k],
            m.mcse[k]
        );
    }
    assert!((m.posterior[0] + m.posterior[1] - 1.0).abs() < 1e-12);
    [m.posterior[0], m.posterior[1]]
}

/// Without data the posterior is the prior, so each element's posterior
/// component weights are the prior weights: exact, per element of a vector.
#[test]
fn mixture_weights_of_a_prior_alone_are_the_prior_weights() {
    let prior = Prior::Mixture(vec![
        MixtureComponent {
            weight: 0.7,
            dist: Dist::Normal {
                mu: 0.0,
                sigma: 1.0,
            },
        },
        MixtureComponent {
            weight: 0.3,
            dist: Dist::Normal {
                mu: 1.0,
                sigma: 2.0,
            },
        },
    ]);
    let m = Model {
        params: vec![Parameter {
            name: "z".into(),
            transform: Transform::Identity,
            size: 2,
            origin: None,
        }],
        priors: vec![PriorTerm { param: 0, prior }],
        likelihoods: vec![],
    };
    let post = fit(
        m,
        &NutsConfig {
            seed: 5,
            ..NutsConfig::default()
        },
    )
    .expect("fit runs");
    let all = post.mixtures();
    assert_eq!(all.len(), 2);
    assert_eq!(post.mixture(0), all.first());
    for (e, w) in all.iter().enumerate() {
        assert_eq!((w.param, w.element), (0, e));
        assert_eq!(w.name, format!("z[{}]", e + 1));
        for k in 0..2 {
            assert!(w.mcse[k] > 0.0 && w.mcse[k] < 0.02, "mcse {}", w.mcse[k]);
            assert!(
                (w.posterior[k] - w.prior[k]).abs() < 4.0 * w.mcse[k],
                "z[{}] component {k}: {} vs {} (mcse {})",
                e + 1,
                w.posterior[k],
                w.prior[k],
                w.mcse[k]
            );
        }
    }
}

/// The Laplace method's independent draws: the weights are the mean
/// responsibilities of its draws, the MCSE sd / sqrt(n) as for its means.
#[test]
fn laplace_posteriors_carry_mixture_weights_too() {
    let post =
        fit_laplace(model(data(-0.5)), &OptimizeConfig::default(), 2000, 3).expect("laplace fit");
    let w = post.mixture(0).expect("mixture prior");
    let d = MirDensity::new(model(data(-0.5))).expect("valid model");
    let r: Vec<f64> = post
        .iter_draws()
        .map(|t| d.mixture_weights(0, t).expect("mixture")[0][1])
        .collect();
    let n = r.len() as f64;
    assert_eq!(n, 2000.0);
    let mean = r.iter().sum::<f64>() / n;
    let sd = (r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!((w.posterior[1] - mean).abs() < 1e-12);
    assert!((w.mcse[1] - sd / n.sqrt()).abs() < 1e-12 * sd);
    assert!(w.mcse[1] > 0.0);
    assert!((w.posterior[0] + w.posterior[1] - 1.0).abs() < 1e-12);
}

#[test]
fn robust_prior_weights_agreeing_data() {
    let w = check(-0.5, 21);
    // Data agree with the hypothesis: the informative component keeps its weight.
    assert!(w[0] > 0.8, "{w:?}");
}

#[test]
fn robust_prior_weights_conflicting_data() {
    // Exact vague weight 0.964 (prior 0.2). A harsher conflict makes the
    // informative component's posterior weight a rare-event average that
    // 4000 draws cannot estimate to its MCSE.
    let w = check(0.8, 22);
    assert!(w[1] > 0.9, "{w:?}");
}

#[test]
fn errors_come_back_typed() {
    let mut m = model(data(0.0));
    m.priors.pop();
    match fit(m, &NutsConfig::default()) {
        Err(RuntimeError::Model(e)) => {
            assert!(e.message.contains("sigma"), "{e}");
        }
        other => panic!("expected a model error, got {other:?}"),
    }
    let mut m = model(data(0.0));
    m.priors[0] = PriorTerm {
        param: 0,
        prior: Prior::Dist(Dist::HalfNormal { sigma: 1.0 }),
    };
    match fit(m, &NutsConfig::default()) {
        Err(RuntimeError::Model(e)) => assert_eq!(e.origin, Some((10, 15)), "{e}"),
        other => panic!("expected a model error, got {other:?}"),
    }
}

#[test]
fn approximate_gives_the_mode_of_a_unimodal_posterior() {
    // With agreeing data the posterior is dominated by the informative component.
    let y = data(-0.5);
    let (_, lap) = approximate(model(y.clone()), &OptimizeConfig::default()).expect("laplace");
    let n = y.len() as f64;
    let ybar = y.iter().sum::<f64>() / n;
    // Mode of the dominant component, shifted slightly by the vague one.
    let dominant = (M[0] / (S[0] * S[0]) + n * ybar) / (1.0 / (S[0] * S[0]) + n);
    assert!(
        (lap.mode.x[0] - dominant).abs() < 0.01,
        "{} vs {dominant}",
        lap.mode.x[0]
    );
    assert!(lap.mode.x[1].abs() < 1e-3);
}

#[test]
fn posterior_serialises_to_json() {
    let post = fit(
        model(data(-0.5)),
        &NutsConfig {
            num_warmup: 200,
            num_draws: 100,
            num_chains: 2,
            ..NutsConfig::default()
        },
    )
    .expect("fit runs");
    let v = serde_json::to_value(&post).expect("serialisable");
    assert_eq!(v["names"][0], "delta");
    assert_eq!(v["summaries"].as_array().map(|a| a.len()), Some(2));
    assert_eq!(v["stats"][1].as_array().map(|a| a.len()), Some(100));
    let mean = v["summaries"][0]["mean"].as_f64().expect("mean");
    assert!((mean - post.summaries[0].mean).abs() < 1e-12);
}

#[test]
fn degenerate_run_lengths_do_not_panic() {
    // No draws: summaries are NaN and flagged, nothing panics.
    let cfg = NutsConfig {
        num_warmup: 30,
        num_draws: 0,
        num_chains: 1,
        ..NutsConfig::default()
    };
    let post = fit(model(data(0.0)), &cfg).expect("fit runs");
    assert_eq!(post.num_draws, 0);
    assert!(post.summaries[0].mean.is_nan());
    assert!(post.warnings.iter().any(|w| w.contains("R-hat")));
    // One chain, no warmup: split chains still give an R-hat.
    let cfg = NutsConfig {
        num_warmup: 0,
        num_draws: 200,
        num_chains: 1,
        ..NutsConfig::default()
    };
    let post = fit(model(data(0.0)), &cfg).expect("fit runs");
    assert!(post.summaries[0].rhat.is_finite());
    assert_eq!(post.probability(|_| true), (1.0, 0.0));
}
