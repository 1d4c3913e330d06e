//! The model terms of issue 12 in the MIR: diary covariates, the lagged
//! outcome (its weight rho^g across a gap of g), the decaying carryover, the
//! binomial family, and the latent AR(1) on binary and binomial outcomes.
//! Gradients equal finite differences (Ridders' extrapolation, within its
//! own error estimate) at random points; values equal statrs and a direct
//! evaluation of the linear predictor written here; malformed terms are
//! rejected with a message, never a panic.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

mod common;

use proptest::prelude::*;
use statrs::distribution::{Bernoulli, Continuous};
use statrs::distribution::{Binomial, Discrete, Normal, Poisson};
use trialc_runtime::density::{inv_logit, LogDensity, Transform};
use trialc_runtime::mir::*;

fn p(name: &str, t: Transform, size: usize) -> Parameter {
    Parameter {
        name: name.into(),
        transform: t,
        size,
        origin: None,
    }
}

fn pr(param: usize, d: Dist) -> PriorTerm {
    PriorTerm {
        param,
        prior: Prior::Dist(d),
    }
}

fn normal(mu: f64, sigma: f64) -> Dist {
    Dist::Normal { mu, sigma }
}

/// The models of this file, by name.
const MODELS: [&str; 9] = [
    "binomial",
    "binomial_latent",
    "bernoulli_latent",
    "covariates",
    "lag",
    "lag_ar1",
    "decay",
    "decay_binomial",
    "everything",
];

/// Observation times with gaps of 1, 3 and 21 units.
fn times(n: usize) -> Vec<i64> {
    let mut t = 1i64;
    (0..n)
        .map(|i| {
            let now = t;
            t += 1 + (i % 4 == 2) as i64 * 2 + (i % 7 == 5) as i64 * 20;
            now
        })
        .collect()
}

/// Trials of observation i of a binomial model (1 to 12).
fn trials(n: usize) -> Vec<u64> {
    (0..n).map(|i| 1 + (i as u64 * 5) % 12).collect()
}

/// Data for a model: `seeds` decide the values.
fn data_for(name: &str, seeds: &[u32]) -> Vec<f64> {
    let n = seeds.len();
    let tr = trials(n);
    seeds
        .iter()
        .enumerate()
        .map(|(i, &s)| match name {
            "binomial" | "binomial_latent" | "decay_binomial" => (s as u64 % (tr[i] + 1)) as f64,
            "bernoulli_latent" => (s % 2) as f64,
            "decay" => (s % 9) as f64,
            _ => (s % 1000) as f64 / 100.0 - 5.0,
        })
        .collect()
}

/// A model named `name` on data `y`. Parameters: 0 alpha, 1 delta_1, 2
/// delta_2 (two treatment arms), then the terms' own.
fn model(name: &str, y: Vec<f64>) -> Model {
    let n = y.len();
    let days = times(n);
    let mut params = vec![
        p("alpha", Transform::Identity, 1),
        p("delta1", Transform::Identity, 1),
        p("delta2", Transform::Identity, 1),
    ];
    let mut priors = vec![
        pr(0, normal(0.0, 2.0)),
        pr(1, normal(0.0, 1.0)),
        pr(
            2,
            Dist::StudentT {
                nu: 3.0,
                mu: 0.0,
                sigma: 1.0,
            },
        ),
    ];
    let mut add = |q: Parameter, d: Dist| {
        params.push(q);
        priors.push(pr(params.len() - 1, d));
        params.len() - 1
    };
    // Arms: 0 (reference), 1, 2 in runs of three observations.
    let arm: Vec<usize> = (0..n).map(|i| (i / 3) % 3).collect();
    let indicator = |k: usize| -> Vec<f64> {
        arm.iter()
            .map(|&a| if a == k { 1.0 } else { 0.0 })
            .collect()
    };
    let mut predictor = LinearPredictor {
        intercept: Some(0),
        arm_effects: vec![
            Covariate {
                param: 1,
                values: indicator(1),
            },
            Covariate {
                param: 2,
                values: indicator(2),
            },
        ],
        ..Default::default()
    };
    let with = |s: &str| name == s || name == "everything";
    let family = match name {
        "binomial" | "binomial_latent" | "decay_binomial" => {
            Family::BinomialLogit { trials: trials(n) }
        }
        "bernoulli_latent" => Family::BernoulliLogit,
        "decay" => Family::PoissonLog,
        "lag_ar1" => {
            let sigma = add(
                p("sigma", Transform::Lower(0.0), 1),
                Dist::HalfNormal { sigma: 2.0 },
            );
            let phi = add(
                p("phi", Transform::Interval(-1.0, 1.0), 1),
                Dist::Uniform {
                    lower: -1.0,
                    upper: 1.0,
                },
            );
            Family::NormalAr1 { sigma, phi }
        }
        _ => Family::Normal {
            sigma: add(
                p("sigma", Transform::Lower(0.0), 1),
                Dist::HalfNormal { sigma: 2.0 },
            ),
        },
    };
    if with("covariates") {
        for (k, scale) in [(0usize, 1.0), (1, 0.3)] {
            let param = add(
                p(&format!("cov{k}"), Transform::Identity, 1),
                normal(0.0, 1.0),
            );
            let values = (0..n)
                .map(|i| scale * (((i * 7 + k * 3) % 11) as f64 - 5.0))
                .collect();
            predictor.covariates.push(Covariate { param, values });
        }
    }
    if with("lag") || name == "lag_ar1" {
        let param = add(
            p("rho", Transform::Interval(-1.0, 1.0), 1),
            Dist::Uniform {
                lower: -1.0,
                upper: 1.0,
            },
        );
        let values = (0..n).map(|i| ((i * 5) % 9) as f64 - 4.0).collect();
        let gaps = (0..n)
            .map(|i| if i == 0 { 1 } else { days[i] - days[i - 1] })
            .collect();
        predictor.lagged_outcome = Some(LaggedOutcome {
            param,
            values,
            gaps,
        });
    }
    if with("decay") || name == "decay_binomial" {
        let rate = add(
            p("rate", Transform::Lower(0.0), 1),
            Dist::Gamma {
                shape: 2.0,
                rate: 2.0,
            },
        );
        // Every observation in the first two of a run of three follows a
        // switch: elapsed 1 and 2 days, from the previous run's arm.
        let effect = |k: usize| if k == 0 { None } else { Some(k) };
        let transitions = (3..n)
            .filter(|i| i % 3 != 2)
            .map(|i| Transition {
                obs: i,
                elapsed: (i % 3 + 1) as f64,
                from: effect(arm[i - 3]),
                to: effect(arm[i]),
            })
            .collect();
        predictor.carryover_decay = Some(CarryoverDecay { rate, transitions });
    }
    if matches!(name, "binomial_latent" | "bernoulli_latent") {
        let sigma = add(
            p("tau", Transform::Lower(0.0), 1),
            Dist::HalfNormal { sigma: 1.0 },
        );
        let phi = add(
            p("phi", Transform::Interval(-1.0, 1.0), 1),
            Dist::Uniform {
                lower: -1.0,
                upper: 1.0,
            },
        );
        let z = add(p("z", Transform::Identity, n), normal(0.0, 1.0));
        predictor.latent_ar1 = Some(LatentAr1 { z, sigma, phi });
    }
    Model {
        params,
        priors,
        likelihoods: vec![Likelihood {
            outcome: "y".into(),
            family,
            y,
            days,
            predictor,
        }],
    }
}

/// Offsets of the parameters in the constrained vector.
fn offsets(m: &Model) -> Vec<usize> {
    let mut o = 0;
    m.params
        .iter()
        .map(|q| {
            let here = o;
            o += q.size;
            here
        })
        .collect()
}

/// The linear predictor written out term by term from the model's
/// definition (docs/model.md), latent states included.
fn etas(m: &Model, theta: &[f64]) -> Vec<f64> {
    let off = offsets(m);
    let l = &m.likelihoods[0];
    let lp = &l.predictor;
    let n = l.y.len();
    let at = |id: usize| theta[off[id]];
    let mut eta: Vec<f64> = (0..n)
        .map(|i| {
            let mut e = lp.intercept.map_or(0.0, at);
            for c in lp.arm_effects.iter().chain(&lp.covariates) {
                e += at(c.param) * c.values[i];
            }
            e
        })
        .collect();
    if let Some(lo) = &lp.lagged_outcome {
        for ((e, g), v) in eta.iter_mut().zip(&lo.gaps).zip(&lo.values) {
            *e += at(lo.param).powf(*g as f64) * v;
        }
    }
    if let Some(cd) = &lp.carryover_decay {
        for t in &cd.transitions {
            let w = (-at(cd.rate) * t.elapsed).exp();
            let from = t.from.map_or(0.0, at);
            let to = t.to.map_or(0.0, at);
            // (1 - w) delta_to + w delta_from, with delta_to already in eta.
            eta[t.obs] += (1.0 - w) * to + w * from - to;
        }
    }
    if let Some(la) = &lp.latent_ar1 {
        let (sigma, phi) = (at(la.sigma), at(la.phi));
        let z = &theta[off[la.z]..off[la.z] + n];
        let mut e = sigma / (1.0 - phi * phi).sqrt() * z[0];
        eta[0] += e;
        for i in 1..n {
            let g = (l.days[i] - l.days[i - 1]) as f64;
            let sd = sigma * ((1.0 - phi.powf(2.0 * g)) / (1.0 - phi * phi)).sqrt();
            e = phi.powf(g) * e + sd * z[i];
            eta[i] += e;
        }
    }
    eta
}

/// Log density with the likelihood minus the same model without it.
fn likelihood_value(m: &Model, x: &[f64]) -> f64 {
    let full = MirDensity::new(m.clone()).expect("valid model");
    let mut prior_only = m.clone();
    prior_only.likelihoods.clear();
    let prior_only = MirDensity::new(prior_only).expect("valid model");
    let mut g = vec![0.0; full.dim()];
    full.logp_grad(x, &mut g) - prior_only.logp_grad(x, &mut g)
}

proptest! {
    #![proptest_config(common::proptest_config(64, 0x0de5_0012))]

    #[test]
    fn gradients_match_finite_differences(
        which in 0usize..MODELS.len(),
        seeds in proptest::collection::vec(0u32..100_000, 4..30),
        x in proptest::collection::vec(-2.0f64..2.0, 48),
    ) {
        let name = MODELS[which];
        let d = MirDensity::new(model(name, data_for(name, &seeds))).expect("valid model");
        let x = &x[..d.dim()];
        if let Err(e) = common::check_gradient(&d, x) {
            prop_assert!(false, "{}: {}", name, e);
        }
    }
}

#[test]
fn values_match_statrs_and_the_written_out_predictor() {
    let seeds: Vec<u32> = (0..23).map(|i| (i * 7919 + 13) % 100_000).collect();
    for name in MODELS {
        let m = model(name, data_for(name, &seeds));
        let d = MirDensity::new(m.clone()).expect("valid model");
        let x: Vec<f64> = (0..d.dim())
            .map(|i| ((i * 37 % 17) as f64 - 8.0) / 10.0)
            .collect();
        let theta = d.constrain(&x).expect("constrain");
        let eta = etas(&m, &theta);
        let l = &m.likelihoods[0];
        let off = offsets(&m);
        let want: f64 = match &l.family {
            Family::BinomialLogit { trials } => {
                l.y.iter()
                    .zip(&eta)
                    .zip(trials)
                    .map(|((y, e), &t)| {
                        Binomial::new(inv_logit(*e), t)
                            .expect("binomial")
                            .ln_pmf(*y as u64)
                    })
                    .sum()
            }
            Family::BernoulliLogit => {
                l.y.iter()
                    .zip(&eta)
                    .map(|(y, e)| {
                        Bernoulli::new(inv_logit(*e))
                            .expect("bernoulli")
                            .ln_pmf(*y as u64)
                    })
                    .sum()
            }
            Family::PoissonLog => {
                l.y.iter()
                    .zip(&eta)
                    .map(|(y, e)| Poisson::new(e.exp()).expect("poisson").ln_pmf(*y as u64))
                    .sum()
            }
            Family::Normal { sigma } => {
                l.y.iter()
                    .zip(&eta)
                    .map(|(y, e)| {
                        Normal::new(*e, theta[off[*sigma]])
                            .expect("normal")
                            .ln_pdf(*y)
                    })
                    .sum()
            }
            Family::NormalAr1 { sigma, phi } => {
                // The exact AR(1) density by its conditional terms.
                let (s, ph) = (theta[off[*sigma]], theta[off[*phi]]);
                let r: Vec<f64> = l.y.iter().zip(&eta).map(|(y, e)| y - e).collect();
                let mut lp = Normal::new(0.0, s / (1.0 - ph * ph).sqrt())
                    .expect("normal")
                    .ln_pdf(r[0]);
                for i in 1..r.len() {
                    let g = (l.days[i] - l.days[i - 1]) as f64;
                    let sd = s * ((1.0 - ph.powf(2.0 * g)) / (1.0 - ph * ph)).sqrt();
                    lp += Normal::new(ph.powf(g) * r[i - 1], sd)
                        .expect("normal")
                        .ln_pdf(r[i]);
                }
                lp
            }
            other => panic!("no reference for {other:?}"),
        };
        let got = likelihood_value(&m, &x);
        assert!(
            (got - want).abs() < 1e-9 * (1.0 + want.abs()),
            "{name}: {got} vs {want}"
        );
    }
}

/// A lag with every gap 1 is the plain regressor rho * v, and a decaying
/// carryover at rate 0 moves the whole effect to the previous arm: both
/// agree with the same model written as ordinary covariate columns.
#[test]
fn limits_of_the_lag_and_the_decay_are_ordinary_columns() {
    let seeds: Vec<u32> = (0..18).map(|i| (i * 104_729 + 7) % 100_000).collect();
    let y = data_for("lag", &seeds);
    let n = y.len();
    let mut lagged = model("lag", y.clone());
    let lo = lagged.likelihoods[0]
        .predictor
        .lagged_outcome
        .as_mut()
        .expect("lag");
    lo.gaps = vec![1; n];
    let (rho, values) = (lo.param, lo.values.clone());
    let mut plain = lagged.clone();
    plain.likelihoods[0].predictor.lagged_outcome = None;
    plain.likelihoods[0]
        .predictor
        .covariates
        .push(Covariate { param: rho, values });
    let x: Vec<f64> = (0..5).map(|i| 0.3 * i as f64 - 0.5).collect();
    let (a, b) = (
        MirDensity::new(lagged).expect("valid"),
        MirDensity::new(plain).expect("valid"),
    );
    let (mut ga, mut gb) = (vec![0.0; 5], vec![0.0; 5]);
    let (la, lb) = (a.logp_grad(&x, &mut ga), b.logp_grad(&x, &mut gb));
    assert!((la - lb).abs() < 1e-12 * (1.0 + la.abs()), "{la} vs {lb}");
    for (u, v) in ga.iter().zip(&gb) {
        assert!((u - v).abs() < 1e-10 * (1.0 + u.abs()), "{ga:?} vs {gb:?}");
    }

    // Decay: at rate -> 0 (x -> -inf on the log scale) w = 1 everywhere.
    let y = data_for("decay", &seeds);
    let decayed = model("decay", y);
    let mut columns = decayed.clone();
    let cd = columns.likelihoods[0]
        .predictor
        .carryover_decay
        .take()
        .expect("decay");
    // delta_k gains +1 where k is the previous arm and -1 where k is taken.
    for c in columns.likelihoods[0].predictor.arm_effects.iter_mut() {
        for t in &cd.transitions {
            if t.from == Some(c.param) {
                c.values[t.obs] += 1.0;
            }
            if t.to == Some(c.param) {
                c.values[t.obs] -= 1.0;
            }
        }
    }
    // The rate's prior and Jacobian are the same on both sides (the
    // parameter stays in the column model, unused by its likelihood).
    let mut x = vec![0.2, -0.4, 0.7, -60.0];
    let (la, lb) = (
        likelihood_value(&decayed, &x),
        likelihood_value(&columns, &x),
    );
    assert!((la - lb).abs() < 1e-9 * (1.0 + la.abs()), "{la} vs {lb}");
    // And at a large rate the decay vanishes: the model without it.
    x[3] = 6.0; // rate = e^6: w = e^(-403) on the first day
    let mut none = decayed.clone();
    none.likelihoods[0].predictor.carryover_decay = None;
    let (la, ln) = (likelihood_value(&decayed, &x), likelihood_value(&none, &x));
    assert!((la - ln).abs() < 1e-12 * (1.0 + la.abs()), "{la} vs {ln}");
}

#[test]
fn malformed_terms_are_rejected_with_a_message() {
    let y = data_for("everything", &[1, 2, 3, 4, 5, 6, 7, 8]);
    let base = model("everything", y.clone());
    let reject = |m: Model, needle: &str| {
        let e = MirDensity::new(m).expect_err(needle);
        assert!(e.message.contains(needle), "{needle}: {e}");
    };
    let mut m = base.clone();
    m.likelihoods[0]
        .predictor
        .lagged_outcome
        .as_mut()
        .expect("lag")
        .gaps[2] = 0;
    reject(m, "gap to the previous measurement");
    let mut m = base.clone();
    m.likelihoods[0]
        .predictor
        .lagged_outcome
        .as_mut()
        .expect("lag")
        .values
        .pop();
    reject(m, "lagged outcome has");
    // rho unconstrained: rho^g would not stay bounded.
    let mut m = base.clone();
    let rho = m.likelihoods[0]
        .predictor
        .lagged_outcome
        .as_ref()
        .expect("lag")
        .param;
    m.params[rho].transform = Transform::Identity;
    m.priors[rho].prior = Prior::Dist(normal(0.0, 1.0));
    reject(m, "must be constrained to (-1, 1)");
    let mut m = base.clone();
    m.likelihoods[0]
        .predictor
        .carryover_decay
        .as_mut()
        .expect("decay")
        .transitions
        .reverse();
    reject(m, "increasing observations");
    let mut m = base.clone();
    m.likelihoods[0]
        .predictor
        .carryover_decay
        .as_mut()
        .expect("decay")
        .transitions[0]
        .elapsed = f64::NAN;
    reject(m, "time since the switch");
    let mut m = base.clone();
    m.likelihoods[0].predictor.covariates[1].values[0] = f64::INFINITY;
    reject(m, "not finite");
    // Binomial: more successes than trials, zero trials, wrong length.
    let bin = model("binomial", data_for("binomial", &[1, 2, 3, 4, 5, 6]));
    let mut m = bin.clone();
    m.likelihoods[0].y[0] = 2.0; // observation 1 has 1 trial
    reject(m, "more than its 1 trials");
    let mut m = bin.clone();
    if let Family::BinomialLogit { trials } = &mut m.likelihoods[0].family {
        trials[3] = 0;
    }
    reject(m, "observation 4 has 0 trials");
    let mut m = bin;
    if let Family::BinomialLogit { trials } = &mut m.likelihoods[0].family {
        trials.pop();
    }
    reject(m, "numbers of trials");
}

/// Extreme linear predictors keep the binomial kernel finite, its
/// derivative k - n p exact in the tails.
#[test]
fn binomial_kernel_is_stable_in_the_tails() {
    let m = Model {
        params: vec![p("alpha", Transform::Identity, 1)],
        priors: vec![pr(0, normal(0.0, 1000.0))],
        likelihoods: vec![Likelihood {
            outcome: "y".into(),
            family: Family::BinomialLogit {
                trials: vec![10, 10],
            },
            y: vec![0.0, 10.0],
            days: vec![],
            predictor: LinearPredictor {
                intercept: Some(0),
                ..Default::default()
            },
        }],
    };
    let d = MirDensity::new(m).expect("valid");
    for eta in [-800.0, -40.0, 40.0, 800.0] {
        let mut g = [0.0];
        let lp = d.logp_grad(&[eta], &mut g);
        assert!(lp.is_finite() && g[0].is_finite(), "eta {eta}: {lp} {g:?}");
        // d/d eta of both observations: (0 - 10 p) + (10 - 10 p) = 10 - 20 p.
        let want = 10.0 - 20.0 * inv_logit(eta) - eta / 1000.0_f64.powi(2);
        assert!((g[0] - want).abs() < 1e-9, "eta {eta}: {} vs {want}", g[0]);
    }
}

#[test]
fn pointwise_log_lik_sums_to_the_likelihood_with_every_term() {
    // Each model of this file (covariates, lag, lag with AR(1) errors,
    // decay, binomial, latent AR(1), everything at once) at random points:
    // the observations' log likelihoods add up to the log density minus
    // the same model without its likelihood, to 1e-10 relative.
    for (k, name) in MODELS.iter().enumerate() {
        let seeds: Vec<u32> = (0..19)
            .map(|i| (i * 104_729 + k as u32 * 31) % 100_000)
            .collect();
        let m = model(name, data_for(name, &seeds));
        let d = MirDensity::new(m.clone()).expect("valid model");
        for point in 0..4 {
            let x: Vec<f64> = (0..d.dim())
                .map(|i| (((i * 53 + point * 17 + k * 5) % 41) as f64 - 20.0) / 12.0)
                .collect();
            let theta = d.constrain(&x).expect("constrain");
            let mut ll = Vec::new();
            d.pointwise_log_lik(0, &theta, &mut ll).expect("pointwise");
            let sum: f64 = ll.iter().sum();
            let lik = likelihood_value(&m, &x);
            let mut g = vec![0.0; d.dim()];
            let by_prior = d.logp_grad(&x, &mut g) - d.log_prior_jacobian(&x);
            assert!(
                (sum - lik).abs() <= 1e-10 * lik.abs().max(1.0),
                "{name} point {point}: sum {sum} vs likelihood {lik}"
            );
            assert!(
                (by_prior - lik).abs() <= 1e-10 * lik.abs().max(1.0),
                "{name}: log density minus prior and Jacobian {by_prior} vs {lik}"
            );
            // The linear predictor is the one written out from the model.
            let eta = d.linear_predictor(0, &theta).expect("eta");
            for (a, b) in eta.iter().zip(etas(&m, &theta)) {
                assert!(
                    (a - b).abs() <= 1e-10 * b.abs().max(1.0),
                    "{name}: eta {a} vs {b}"
                );
            }
            // A replicate is data the model accepts: put in place of y, the
            // model still validates (counts whole, successes within trials).
            let mut rng = trialc_runtime::rng::ChainRng::new(point as u64, k as u64);
            let rep = d.replicate(0, &theta, &mut rng).expect("replicate");
            assert_eq!(rep.len(), m.likelihoods[0].y.len());
            let mut again = m.clone();
            again.likelihoods[0].y = rep;
            MirDensity::new(again).unwrap_or_else(|e| panic!("{name}: replicate rejected: {e}"));
        }
    }
}
