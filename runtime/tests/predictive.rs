//! The posterior predictive side of a fit (`trialc_runtime::predictive`):
//!
//! * the pointwise log likelihood sums to the likelihood part of the log
//!   density (the log density minus the log prior and Jacobian) to 1e-10
//!   relative, for every family and model term, at random points; the AR(1)
//!   factors equal normal densities written out from docs/model.md 3.3;
//! * replicates have the closed-form distribution of the model at a fixed
//!   parameter value (moments within 5 Monte Carlo standard errors, fixed
//!   seeds): normal, AR(1) as a whole stationary series, NB2;
//! * the S x N matrices of a posterior are the same bit for bit with one
//!   thread or several, and leave the draws untouched;
//! * test statistics and p-values equal hand-computed values;
//! * the check finds nothing on data simulated from the fitted model and
//!   flags strong AR(1) data fitted with independent errors and
//!   overdispersed counts fitted as Poisson.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

mod common;

use common::sbc;
use statrs::distribution::{Continuous, Normal};
use trialc_runtime::density::{LogDensity, Transform};
use trialc_runtime::mir::*;
use trialc_runtime::nuts::NutsConfig;
use trialc_runtime::posterior::fit;
use trialc_runtime::predictive::{
    flagged, pointwise_log_lik, predictive_p_values, replicate, replicate_stream, PointwiseMatrix,
    Statistic,
};
use trialc_runtime::rng::ChainRng;

/// A valid placeholder outcome for `family` (0 for counts, binaries and
/// reals, level 1 for ordinal).
fn placeholder(family: &str, n: usize) -> Vec<f64> {
    let v = if family.starts_with("ordinal") {
        1.0
    } else {
        0.0
    };
    vec![v; n]
}

/// The model of `family` (the SBC builders) on data replicated from it at
/// the point `x`: every family's data are then valid and typical.
fn model_with_data(family: &str, n: usize, x_seed: u64) -> (Model, Vec<f64>) {
    let lag = family == "lag";
    let days = sbc::days(n + usize::from(lag), true);
    let delta = Dist::Normal {
        mu: 0.0,
        sigma: 1.0,
    };
    let m0 = sbc::model(
        family,
        placeholder(family, n + usize::from(lag)),
        days.clone(),
        delta.clone(),
    );
    let d0 = MirDensity::new(m0).expect("valid model");
    let mut r = ChainRng::new(x_seed, 0);
    let x: Vec<f64> = (0..d0.dim()).map(|_| 1.5 * r.uniform() - 0.75).collect();
    let theta = d0.constrain(&x).expect("constrain");
    let mut y = d0.replicate(0, &theta, &mut r).expect("replicate");
    if lag {
        y.insert(0, 0.3);
    }
    (sbc::model(family, y, days, delta), x)
}

/// |a - b| <= tol * max(1, |a|, |b|).
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

/// The likelihood part of the log density: log density minus log prior
/// and Jacobian.
fn likelihood_part(d: &MirDensity, x: &[f64]) -> f64 {
    let mut g = vec![0.0; d.dim()];
    d.logp_grad(x, &mut g) - d.log_prior_jacobian(x)
}

#[test]
fn pointwise_log_lik_sums_to_the_likelihood_of_every_family_and_term() {
    let families = sbc::FAMILIES
        .iter()
        .chain(sbc::TERMS.iter())
        .chain([sbc::ORDINAL_ORDERED].iter());
    for family in families {
        for seed in 0..5u64 {
            let (m, _) = model_with_data(family, 17, 100 + seed);
            let d = MirDensity::new(m).expect("valid model");
            let mut r = ChainRng::new(seed, 7);
            // Random points, some far from the data's typical set.
            let x: Vec<f64> = (0..d.dim()).map(|_| 3.0 * r.uniform() - 1.5).collect();
            let theta = d.constrain(&x).expect("constrain");
            let mut ll = Vec::new();
            d.pointwise_log_lik(0, &theta, &mut ll).expect("pointwise");
            assert_eq!(ll.len(), d.model().likelihoods[0].y.len());
            let sum: f64 = ll.iter().sum();
            let lik = likelihood_part(&d, &x);
            assert!(lik.is_finite(), "{family}: likelihood {lik}");
            assert!(
                close(sum, lik, 1e-10),
                "{family} seed {seed}: sum of pointwise {sum} vs likelihood {lik}"
            );
        }
    }
}

#[test]
fn ar1_factors_are_the_stationary_term_then_each_value_given_the_previous() {
    // y = alpha + e; days 1, 2, 5, 6, 30: gaps 1, 3, 1, 24.
    let days = vec![1i64, 2, 5, 6, 30];
    let y = vec![0.4, -0.3, 1.2, 0.9, -0.5];
    let (alpha, sigma, phi) = (0.2, 0.7, 0.6);
    let m = Model {
        params: vec![
            Parameter {
                name: "alpha".into(),
                transform: Transform::Identity,
                size: 1,
                origin: None,
            },
            Parameter {
                name: "sigma".into(),
                transform: Transform::Lower(0.0),
                size: 1,
                origin: None,
            },
            Parameter {
                name: "phi".into(),
                transform: Transform::Interval(-1.0, 1.0),
                size: 1,
                origin: None,
            },
        ],
        priors: (0..3)
            .map(|param| PriorTerm {
                param,
                prior: Prior::Dist(Dist::Uniform {
                    lower: -1.0,
                    upper: 1.0,
                }),
            })
            .collect(),
        likelihoods: vec![Likelihood {
            outcome: "y".into(),
            family: Family::NormalAr1 { sigma: 1, phi: 2 },
            y: y.clone(),
            days: days.clone(),
            predictor: LinearPredictor {
                intercept: Some(0),
                ..Default::default()
            },
        }],
    };
    // Priors of support (-1, 1) do not cover sigma's (0, inf): use a wide
    // half-normal there instead.
    let mut m = m;
    m.priors[1].prior = Prior::Dist(Dist::HalfNormal { sigma: 1.0 });
    m.priors[0].prior = Prior::Dist(Dist::Normal {
        mu: 0.0,
        sigma: 1.0,
    });
    let d = MirDensity::new(m).expect("valid model");
    let mut ll = Vec::new();
    d.pointwise_log_lik(0, &[alpha, sigma, phi], &mut ll)
        .expect("pointwise");
    let e: Vec<f64> = y.iter().map(|v| v - alpha).collect();
    let stationary = sigma / (1.0 - phi * phi).sqrt();
    let first = Normal::new(0.0, stationary).expect("valid").ln_pdf(e[0]);
    assert!(close(ll[0], first, 1e-13), "{} vs {first}", ll[0]);
    for i in 1..y.len() {
        let g = (days[i] - days[i - 1]) as i32;
        let sd = sigma * ((1.0 - phi.powi(2 * g)) / (1.0 - phi * phi)).sqrt();
        let expected = Normal::new(phi.powi(g) * e[i - 1], sd)
            .expect("valid")
            .ln_pdf(e[i]);
        assert!(
            close(ll[i], expected, 1e-12),
            "obs {i}: {} vs {expected}",
            ll[i]
        );
    }
    // Outside the support: -inf everywhere, as the log density.
    d.pointwise_log_lik(0, &[alpha, sigma, 1.5], &mut ll)
        .expect("pointwise");
    assert!(ll.iter().all(|v| *v == f64::NEG_INFINITY));
    assert!(d
        .pointwise_log_lik(1, &[alpha, sigma, phi], &mut ll)
        .is_err());
    assert!(d.pointwise_log_lik(0, &[alpha, sigma], &mut ll).is_err());
}

/// Sample mean and variance.
fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (
        m,
        xs.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

/// A model on `y` with an intercept, one arm effect on every other
/// observation and `family` (its own parameters after the two).
fn simple_model(family: Family, y: Vec<f64>, days: Vec<i64>, extra: &[(Transform, Dist)]) -> Model {
    let n = y.len();
    let mut params = vec![
        Parameter {
            name: "alpha".into(),
            transform: Transform::Identity,
            size: 1,
            origin: None,
        },
        Parameter {
            name: "delta".into(),
            transform: Transform::Identity,
            size: 1,
            origin: None,
        },
    ];
    let mut priors = vec![
        PriorTerm {
            param: 0,
            prior: Prior::Dist(Dist::Normal {
                mu: 0.0,
                sigma: 5.0,
            }),
        },
        PriorTerm {
            param: 1,
            prior: Prior::Dist(Dist::Normal {
                mu: 0.0,
                sigma: 2.0,
            }),
        },
    ];
    for (k, (t, dist)) in extra.iter().enumerate() {
        params.push(Parameter {
            name: format!("p{k}"),
            transform: t.clone(),
            size: 1,
            origin: None,
        });
        priors.push(PriorTerm {
            param: params.len() - 1,
            prior: Prior::Dist(dist.clone()),
        });
    }
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
                arm_effects: vec![Covariate {
                    param: 1,
                    values: (0..n).map(|i| (i % 2) as f64).collect(),
                }],
                ..Default::default()
            },
        }],
    }
}

fn sigma_prior() -> (Transform, Dist) {
    (Transform::Lower(0.0), Dist::HalfNormal { sigma: 2.0 })
}

fn phi_prior() -> (Transform, Dist) {
    (
        Transform::Interval(-1.0, 1.0),
        Dist::Uniform {
            lower: -1.0,
            upper: 1.0,
        },
    )
}

#[test]
fn replicates_have_the_model_distribution_at_a_fixed_point() {
    let reps = 4000;
    // Normal: y_rep_i - eta_i ~ normal(0, sigma), independent.
    let n = 6;
    let days: Vec<i64> = (1..=n as i64).collect();
    let m = simple_model(
        Family::Normal { sigma: 2 },
        vec![0.0; n],
        days.clone(),
        &[sigma_prior()],
    );
    let d = MirDensity::new(m).expect("valid");
    let (alpha, delta, sigma) = (1.5, -0.8, 0.7);
    let theta = [alpha, delta, sigma];
    let eta = d.linear_predictor(0, &theta).expect("eta");
    let mut rng = ChainRng::new(31, 0);
    let rows: Vec<Vec<f64>> = (0..reps)
        .map(|_| d.replicate(0, &theta, &mut rng).expect("replicate"))
        .collect();
    for i in 0..n {
        let col: Vec<f64> = rows.iter().map(|r| r[i]).collect();
        let (m, v) = mean_var(&col);
        let mu = alpha + delta * (i % 2) as f64;
        assert_eq!(eta[i], mu);
        let se_m = sigma / (reps as f64).sqrt();
        assert!((m - mu).abs() < 5.0 * se_m, "normal mean {i}: {m} vs {mu}");
        // Var of the sample variance of a normal: 2 sigma^4 / (n - 1).
        let se_v = (2.0 * sigma.powi(4) / (reps as f64 - 1.0)).sqrt();
        assert!(
            (v - sigma * sigma).abs() < 5.0 * se_v,
            "normal var {i}: {v}"
        );
    }
    // Independent across observations: the correlation of neighbours is
    // within 5 SE (1 / sqrt(reps)) of 0.
    let c = correlation(&rows, 0, 1);
    assert!(c.abs() < 5.0 / (reps as f64).sqrt(), "normal corr {c}");

    // AR(1): a whole stationary series, var sigma^2 / (1 - phi^2) and
    // correlation phi^g across a gap g (days 1, 2, 4: gaps 1 and 2).
    let days = vec![1i64, 2, 4];
    let m = simple_model(
        Family::NormalAr1 { sigma: 2, phi: 3 },
        vec![0.0; 3],
        days,
        &[sigma_prior(), phi_prior()],
    );
    let d = MirDensity::new(m).expect("valid");
    let (sigma, phi) = (0.5, 0.8);
    let theta = [0.0, 1.0, sigma, phi];
    let rows: Vec<Vec<f64>> = (0..reps)
        .map(|_| d.replicate(0, &theta, &mut rng).expect("replicate"))
        .collect();
    let var = sigma * sigma / (1.0 - phi * phi);
    for i in 0..3 {
        let col: Vec<f64> = rows.iter().map(|r| r[i]).collect();
        let (m, v) = mean_var(&col);
        let mu = (i % 2) as f64;
        assert!(
            (m - mu).abs() < 5.0 * (var / reps as f64).sqrt(),
            "ar1 mean {i}: {m}"
        );
        let se_v = (2.0 * var * var / (reps as f64 - 1.0)).sqrt();
        assert!((v - var).abs() < 5.0 * se_v, "ar1 var {i}: {v} vs {var}");
    }
    for (a, b, g) in [(0, 1, 1), (1, 2, 2), (0, 2, 3)] {
        let r = phi.powi(g);
        // The SE of a sample correlation: (1 - r^2) / sqrt(n).
        let se = (1.0 - r * r) / (reps as f64).sqrt();
        let c = correlation(&rows, a, b);
        assert!((c - r).abs() < 5.0 * se, "ar1 corr gap {g}: {c} vs {r}");
    }

    // NB2: mean mu, variance mu + mu^2 / psi.
    let m = simple_model(
        Family::NegBinomial2Log { psi: 2 },
        vec![0.0; 2],
        vec![],
        &[sigma_prior()],
    );
    let d = MirDensity::new(m).expect("valid");
    let (mu, psi) = (3.0f64, 1.5);
    let theta = [mu.ln(), 0.0, psi];
    let rows: Vec<Vec<f64>> = (0..reps)
        .map(|_| d.replicate(0, &theta, &mut rng).expect("replicate"))
        .collect();
    let col: Vec<f64> = rows.iter().map(|r| r[0]).collect();
    let (m, v) = mean_var(&col);
    let var = mu + mu * mu / psi;
    assert!(
        (m - mu).abs() < 5.0 * (var / reps as f64).sqrt(),
        "nb2 mean {m}"
    );
    assert!(
        v > mu * 1.5,
        "nb2 variance {v} should be overdispersed (exact {var})"
    );
    assert!(col.iter().all(|y| *y >= 0.0 && y.fract() == 0.0));
}

/// The sample correlation of columns a and b of `rows`.
fn correlation(rows: &[Vec<f64>], a: usize, b: usize) -> f64 {
    let xa: Vec<f64> = rows.iter().map(|r| r[a]).collect();
    let xb: Vec<f64> = rows.iter().map(|r| r[b]).collect();
    let (ma, va) = mean_var(&xa);
    let (mb, vb) = mean_var(&xb);
    let n = rows.len() as f64;
    let cov = xa
        .iter()
        .zip(&xb)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (n - 1.0);
    cov / (va * vb).sqrt()
}

/// NUTS on `m`: 2 chains, short but enough for the checks here.
fn quick_fit(m: Model, seed: u64) -> (MirDensity, trialc_runtime::posterior::Posterior) {
    let cfg = NutsConfig {
        num_chains: 2,
        num_warmup: 300,
        num_draws: 300,
        seed,
        ..NutsConfig::default()
    };
    let d = MirDensity::new(m.clone()).expect("valid");
    let post = fit(m, &cfg).expect("fit");
    (d, post)
}

#[test]
fn matrices_are_deterministic_whatever_the_threads_and_leave_the_draws_alone() {
    let n = 20;
    let days: Vec<i64> = (1..=n as i64).collect();
    let mut r = ChainRng::new(3, 0);
    let y: Vec<f64> = (0..n)
        .map(|i| 1.0 + 0.5 * (i % 2) as f64 + r.normal())
        .collect();
    let m = simple_model(Family::Normal { sigma: 2 }, y, days, &[sigma_prior()]);
    let (d, post) = quick_fit(m, 11);
    let before = post.clone();
    let run = |threads: usize| -> (PointwiseMatrix, PointwiseMatrix) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            (
                pointwise_log_lik(&d, &post, 0).expect("log_lik"),
                replicate(&d, &post, 0, 99).expect("y_rep"),
            )
        })
    };
    let (ll1, rep1) = run(1);
    let (ll3, rep3) = run(3);
    assert_eq!(ll1, ll3);
    assert_eq!(rep1, rep3);
    assert_eq!(post, before);
    assert_eq!((ll1.chains(), ll1.draws_per_chain()), (2, 300));
    assert_eq!((ll1.draws(), ll1.observations()), (600, n));
    // Row s is draw s: its log_lik and its replicate from the documented stream.
    for (s, theta) in post.iter_draws().enumerate().step_by(97) {
        let mut ll = Vec::new();
        d.pointwise_log_lik(0, theta, &mut ll).expect("pointwise");
        assert_eq!(ll1.row(s), &ll[..]);
        let mut rng = ChainRng::new(99, replicate_stream(s / 300, s % 300));
        assert_eq!(
            rep1.row(s),
            &d.replicate(0, theta, &mut rng).expect("rep")[..]
        );
    }
    assert_eq!(ll1.column(3).len(), 600);
    assert_eq!(ll1.column(3)[5], ll1.row(5)[3]);
    // Another seed, other replicates.
    assert_ne!(replicate(&d, &post, 0, 100).expect("y_rep"), rep1);
}

#[test]
fn statistics_and_p_values_equal_hand_computed_values() {
    let y = [1.0, 0.0, 3.0, 0.0];
    assert_eq!(Statistic::Mean.of(&y), 1.0);
    assert!((Statistic::Sd.of(&y) - 2.0f64.sqrt()).abs() < 1e-15);
    // (0)(-1) + (-1)(2) + (2)(-1) = -4 over 0 + 1 + 4 + 1 = 6.
    assert!((Statistic::Autocorrelation.of(&y) + 4.0 / 6.0).abs() < 1e-15);
    assert_eq!(Statistic::Zeros.of(&y), 0.5);
    assert_eq!(Statistic::Autocorrelation.of(&[2.0, 2.0, 2.0]), 0.0);
    assert!(Statistic::Mean.of(&[1.0, f64::NAN]).is_nan());
    // Replicated means 0.5, 1, 1, 2, 3 against 1: two above, two ties -> p = 3/5.
    let rows = vec![
        0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 0.0, 2.0, 2.0, 0.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0,
        3.0, 3.0,
    ];
    let m = PointwiseMatrix::from_rows(1, 5, 4, rows).expect("shape");
    let p = predictive_p_values(&y, &m, &[Statistic::Mean, Statistic::Zeros]);
    assert_eq!(p[0].p, (2.0 + 0.5 * 2.0) / 5.0);
    assert_eq!(p[0].observed, 1.0);
    assert_eq!(p[0].replicated_mean, 7.5 / 5.0);
    // Zeros: replicated 0, 0, 0.5, 0, 0 against 0.5: one tie -> 0.1.
    assert_eq!(p[1].p, 0.5 / 5.0);
    assert!(!flagged(0.05) && !flagged(0.5) && !flagged(0.95));
    assert!(flagged(0.049) && flagged(0.951));
    assert!(PointwiseMatrix::from_rows(2, 5, 4, vec![0.0; 20]).is_none());
}

/// Whether any statistic of the check is flagged, and which.
fn flags(y: &[f64], rep: &PointwiseMatrix, family: &Family) -> Vec<&'static str> {
    predictive_p_values(y, rep, Statistic::for_family(family))
        .into_iter()
        .filter(|p| flagged(p.p))
        .map(|p| p.statistic.name())
        .collect()
}

#[test]
fn the_check_passes_the_right_model_and_flags_misspecified_ones() {
    let n = 60;
    let days: Vec<i64> = (1..=n as i64).collect();
    let mut r = ChainRng::new(2026, 0);
    // Strong AR(1) data: phi 0.85, innovation sd 0.5.
    let e = trialc_runtime::mir::simulate::ar1_residuals(0.5, 0.85, &days, &mut r).expect("ar1");
    let y: Vec<f64> = e
        .iter()
        .enumerate()
        .map(|(i, e)| 2.0 + 0.5 * (i % 2) as f64 + e)
        .collect();
    let ar1 = Family::NormalAr1 { sigma: 2, phi: 3 };
    let m = simple_model(
        ar1.clone(),
        y.clone(),
        days.clone(),
        &[sigma_prior(), phi_prior()],
    );
    let (d, post) = quick_fit(m, 5);
    let rep = replicate(&d, &post, 0, 1).expect("y_rep");
    assert_eq!(
        flags(&y, &rep, &ar1),
        Vec::<&str>::new(),
        "AR(1) fitted with AR(1)"
    );
    let independent = Family::Normal { sigma: 2 };
    let m = simple_model(
        independent.clone(),
        y.clone(),
        days.clone(),
        &[sigma_prior()],
    );
    let (d, post) = quick_fit(m, 5);
    let rep = replicate(&d, &post, 0, 1).expect("y_rep");
    assert!(
        flags(&y, &rep, &independent).contains(&"lag-1 autocorrelation"),
        "AR(1) data fitted with independent errors: {:?}",
        flags(&y, &rep, &independent)
    );

    // Overdispersed counts: NB2 with mean 4 and psi 0.8.
    let nb = simple_model(
        Family::NegBinomial2Log { psi: 2 },
        vec![0.0; n],
        vec![],
        &[sigma_prior()],
    );
    let dnb = MirDensity::new(nb).expect("valid");
    let y = dnb
        .replicate(0, &[4.0f64.ln(), 0.0, 0.8], &mut r)
        .expect("counts");
    let negbin = Family::NegBinomial2Log { psi: 2 };
    let m = simple_model(negbin.clone(), y.clone(), vec![], &[sigma_prior()]);
    let (d, post) = quick_fit(m, 6);
    let rep = replicate(&d, &post, 0, 1).expect("y_rep");
    assert_eq!(
        flags(&y, &rep, &negbin),
        Vec::<&str>::new(),
        "NB2 fitted with NB2"
    );
    let m = simple_model(Family::PoissonLog, y.clone(), vec![], &[]);
    let (d, post) = quick_fit(m, 6);
    let rep = replicate(&d, &post, 0, 1).expect("y_rep");
    let f = flags(&y, &rep, &Family::PoissonLog);
    assert!(
        f.contains(&"sd") && f.contains(&"share of zeros"),
        "overdispersed counts fitted as Poisson: {f:?}"
    );
}

#[test]
fn a_lagged_outcome_is_replicated_as_a_whole_series() {
    // y_i = alpha + rho^g (prev_i - c) + sigma z_i. Observations on days
    // 1..=n; the previous measurement of observation 0 is an unanalysed
    // value (its gap, 2, is not a difference of analysed times), and
    // observation 5's previous measurement is not observation 4 either
    // (gap 1 where the times differ by 1 but the gap says 3).
    let n = 400;
    let days: Vec<i64> = (1..=n as i64).collect();
    let mut r = ChainRng::new(8, 0);
    let y: Vec<f64> = (0..n).map(|_| r.normal()).collect();
    let centre = 0.25;
    let mut values: Vec<f64> = vec![1.5 - centre];
    values.extend(y[..n - 1].iter().map(|v| v - centre));
    let mut gaps = vec![1i64; n];
    gaps[0] = 2;
    gaps[5] = 3;
    let mut m = simple_model(
        Family::Normal { sigma: 2 },
        y.clone(),
        days,
        &[sigma_prior()],
    );
    m.params.push(Parameter {
        name: "rho".into(),
        transform: Transform::Interval(-1.0, 1.0),
        size: 1,
        origin: None,
    });
    m.priors.push(PriorTerm {
        param: 3,
        prior: Prior::Dist(Dist::Uniform {
            lower: -1.0,
            upper: 1.0,
        }),
    });
    m.likelihoods[0].predictor.lagged_outcome = Some(LaggedOutcome {
        param: 3,
        values: values.clone(),
        gaps: gaps.clone(),
    });
    let d = MirDensity::new(m).expect("valid");
    let (alpha, delta, sigma, rho) = (0.5, 0.0, 0.8, 0.7);
    let theta = [alpha, delta, sigma, rho];
    let rep = d
        .replicate(0, &theta, &mut ChainRng::new(4, 0))
        .expect("replicate");
    // The same recursion written out, on the same normals.
    let mut z = ChainRng::new(4, 0);
    let mut expected: Vec<f64> = Vec::with_capacity(n);
    for i in 0..n {
        let previous = if i == 0 || i == 5 {
            values[i]
        } else {
            expected[i - 1] - centre
        };
        let g = gaps[i] as i32;
        expected.push(alpha + rho.powi(g) * previous + sigma * z.normal());
    }
    for (i, (a, b)) in rep.iter().zip(&expected).enumerate() {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "obs {i}: {a} vs {b}"
        );
    }
    // So the replicate has the lag's autocorrelation rho (within 5 SE of
    // the sample autocorrelation of an AR(1), sqrt((1 - rho^2) / n)).
    let acf = Statistic::Autocorrelation.of(&rep);
    let se = ((1.0 - rho * rho) / n as f64).sqrt();
    assert!(
        (acf - rho).abs() < 5.0 * se,
        "autocorrelation {acf} vs {rho}"
    );
}
