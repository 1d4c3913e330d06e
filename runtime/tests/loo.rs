//! PSIS-LOO against exact answers: the generalized Pareto fit on samples of
//! known shape and scale, leave-one-out predictive densities of a conjugate
//! normal model in closed form, an influential outlier, the comparison's
//! algebra, and the AR(1) leave-one-out density against the dense
//! multivariate normal conditional. All draws come from fixed ChaCha20
//! streams, so every test is deterministic; tolerances are Monte Carlo or
//! sampling errors, stated where they are used.
//!
//! `write_arviz_matrices` (ignored) writes matrices and trialc's results for
//! scripts/python_check_loo.py, which recomputes them with ArviZ.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test is an IO edge of its own

use nalgebra::{DMatrix, DVector};
use serde_json::{json, Value};
use trialc_runtime::loo::{
    ar1_loo_log_density, compare, gpd_fit, gpd_quantile, khat_threshold, log_sum_exp, loo, psis,
    relative_eff, tail_length, LogLik, LooError, LooOptions, REff, Truncation,
};
use trialc_runtime::rng::ChainRng;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

fn normal_lpdf(y: f64, mu: f64, sd: f64) -> f64 {
    -0.5 * LN_2PI - sd.ln() - 0.5 * ((y - mu) / sd).powi(2)
}

/// A uniform strictly inside (0, 1).
fn open_uniform(rng: &mut ChainRng) -> f64 {
    loop {
        let u = rng.uniform();
        if u > 0.0 {
            return u;
        }
    }
}

#[test]
fn gpd_quantile_inverts_the_distribution_function() {
    // F(x) = 1 - (1 + k x / sigma)^(-1/k); k = 0 the exponential.
    for &(k, sigma) in &[(0.5, 2.0), (-0.3, 1.0), (1.2, 0.1), (0.0, 3.0)] {
        for &p in &[0.01, 0.3, 0.5, 0.9, 0.999] {
            let x = gpd_quantile(p, k, sigma);
            let cdf = if k == 0.0 {
                1.0 - (-x / sigma).exp()
            } else {
                1.0 - (1.0 + k * x / sigma).powf(-1.0 / k)
            };
            assert!((cdf - p).abs() < 1e-12, "k {k} sigma {sigma} p {p}: {cdf}");
        }
    }
    assert!(gpd_quantile(0.0, 0.5, 1.0).is_nan());
    assert!(gpd_quantile(0.5, 0.5, -1.0).is_nan());
}

/// The fit recovers (k, sigma) from n = 20000 draws within 4 asymptotic
/// standard errors of the maximum likelihood estimator, which Zhang and
/// Stephens' estimator matches in efficiency: n Var(k) -> (1 + k)^2 and
/// n Var(sigma / sigma_true) -> 2 (1 + k) (for k > -1/2).
#[test]
fn gpd_fit_recovers_known_shape_and_scale() {
    let n = 20_000;
    for (stream, &(k, sigma)) in [(0.2, 1.0), (0.5, 2.0), (0.8, 0.5), (-0.2, 1.0)]
        .iter()
        .enumerate()
    {
        let mut rng = ChainRng::new(2024, stream as u64);
        let mut x: Vec<f64> = (0..n)
            .map(|_| gpd_quantile(open_uniform(&mut rng), k, sigma))
            .collect();
        x.sort_by(f64::total_cmp);
        let fit = gpd_fit(&x, false);
        let nf = n as f64;
        let se_k = (1.0 + k) / nf.sqrt();
        let se_log_sigma = (2.0 * (1.0 + k) / nf).sqrt();
        assert!(
            (fit.k - k).abs() < 4.0 * se_k,
            "k {k}: estimated {} (4 SE = {})",
            fit.k,
            4.0 * se_k
        );
        assert!(
            (fit.sigma / sigma - 1.0).abs() < 4.0 * se_log_sigma,
            "sigma {sigma}: estimated {} (4 SE relative = {})",
            fit.sigma,
            4.0 * se_log_sigma
        );
        // The weakly informative prior is 10 pseudo-observations at 0.5.
        let wip = gpd_fit(&x, true);
        assert!((wip.k - (nf * fit.k + 5.0) / (nf + 10.0)).abs() < 1e-12);
        assert_eq!(wip.sigma, fit.sigma);
    }
}

#[test]
fn gpd_fit_refuses_samples_it_cannot_fit() {
    assert!(gpd_fit(&[1.0], true).k.is_infinite());
    // The first quartile equals the minimum.
    assert!(gpd_fit(&[0.5, 0.5, 0.5, 0.5, 0.5, 1.0, 2.0, 3.0], true)
        .k
        .is_infinite());
    assert!(gpd_fit(&[0.1, f64::NAN, 0.3], true).k.is_infinite());
}

#[test]
fn tail_length_and_threshold_are_the_papers() {
    assert_eq!(tail_length(4000, 1.0), 190); // 3 sqrt(4000) = 189.7
    assert_eq!(tail_length(100, 1.0), 20); // S / 5
    assert_eq!(tail_length(4000, 0.25), 380);
    assert!((khat_threshold(4000) - 0.7).abs() < 1e-15);
    let s = 400.0_f64;
    assert!((khat_threshold(400) - (1.0 - 1.0 / s.log10())).abs() < 1e-15);
}

/// The conjugate normal model: y_i ~ normal(mu, sigma) with sigma known,
/// mu ~ normal(0, tau0). The posterior of mu, with or without y_i, is
/// normal, so p(y_i | y_-i) is the normal density with the leave-one-out
/// posterior mean and variance sigma^2 + posterior variance.
struct Conjugate {
    y: Vec<f64>,
    sigma: f64,
    tau0: f64,
}

impl Conjugate {
    fn posterior(&self, leave_out: Option<usize>) -> (f64, f64) {
        let mut precision = 1.0 / (self.tau0 * self.tau0);
        let mut weighted = 0.0;
        for (i, y) in self.y.iter().enumerate() {
            if Some(i) != leave_out {
                precision += 1.0 / (self.sigma * self.sigma);
                weighted += y / (self.sigma * self.sigma);
            }
        }
        (weighted / precision, 1.0 / precision)
    }

    /// Exact elpd_loo_i.
    fn exact_loo(&self) -> Vec<f64> {
        (0..self.y.len())
            .map(|i| {
                let (m, v) = self.posterior(Some(i));
                normal_lpdf(self.y[i], m, (self.sigma * self.sigma + v).sqrt())
            })
            .collect()
    }

    /// Exact lppd_i = log E_post p(y_i | mu).
    fn exact_lppd(&self) -> Vec<f64> {
        let (m, v) = self.posterior(None);
        self.y
            .iter()
            .map(|&y| normal_lpdf(y, m, (self.sigma * self.sigma + v).sqrt()))
            .collect()
    }

    /// `chains` x `per_chain` independent exact posterior draws of mu and
    /// the log-likelihood rows they give.
    fn log_lik(&self, chains: usize, per_chain: usize, seed: u64) -> Vec<Vec<f64>> {
        let (m, v) = self.posterior(None);
        let mut rows = Vec::new();
        for c in 0..chains {
            let mut rng = ChainRng::new(seed, c as u64);
            for _ in 0..per_chain {
                let mu = m + v.sqrt() * rng.normal();
                rows.push(
                    self.y
                        .iter()
                        .map(|&y| normal_lpdf(y, mu, self.sigma))
                        .collect(),
                );
            }
        }
        rows
    }
}

fn simulated_y(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChainRng::new(seed, 99);
    (0..n).map(|_| 0.3 + rng.normal()).collect()
}

/// The delta-method Monte Carlo SE of each PSIS estimate log p_i = log
/// sum_s w_s p_s (self-normalised importance sampling): Var(p_hat) / p^2
/// ~ sum_s w_s^2 (p_s / p_hat - 1)^2, with the draws independent.
fn is_mcse(rows: &[Vec<f64>], i: usize, log_weights: &[f64], estimate: f64) -> f64 {
    rows.iter()
        .zip(log_weights)
        .map(|(row, lw)| {
            let w = lw.exp();
            let rel = (row[i] - estimate).exp() - 1.0;
            w * w * rel * rel
        })
        .sum::<f64>()
        .sqrt()
}

#[test]
fn psis_loo_matches_the_exact_loo_of_a_conjugate_normal_model() {
    let model = Conjugate {
        y: simulated_y(20, 7),
        sigma: 1.0,
        tau0: 10.0,
    };
    let rows = model.log_lik(4, 1000, 11);
    let ll = LogLik::new(&rows, 4).expect("a valid matrix");
    let result = loo(&ll, &LooOptions::default()).expect("loo runs");
    let exact = model.exact_loo();
    let exact_lppd = model.exact_lppd();
    let mut total_mcse = 0.0;
    let mut total_lppd_mcse = 0.0;
    for (i, p) in result.pointwise.iter().enumerate() {
        let column: Vec<f64> = rows.iter().map(|r| -r[i]).collect();
        let smoothed = psis(&column, p.r_eff, Truncation::MaxRawWeight);
        let se = is_mcse(&rows, i, &smoothed.log_weights, p.elpd_loo);
        total_mcse += se;
        assert!(
            (p.elpd_loo - exact[i]).abs() < 4.0 * se,
            "observation {i}: PSIS {} exact {} (4 MCSE = {})",
            p.elpd_loo,
            exact[i],
            4.0 * se
        );
        // lppd_i is a plain mean of p(y_i | mu_s): its MCSE is sd / sqrt(S)
        // relative to the mean.
        let ps: Vec<f64> = rows.iter().map(|r| r[i].exp()).collect();
        let mean = ps.iter().sum::<f64>() / ps.len() as f64;
        let var = ps.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (ps.len() as f64 - 1.0);
        total_lppd_mcse += (var / ps.len() as f64).sqrt() / mean;
        // Independent exact draws of a one-parameter posterior with n = 20:
        // the ratios' tail index is s_n^2 / sigma^2 = 1/20, far below 0.5.
        assert!(p.k_hat < 0.3, "observation {i}: k-hat {}", p.k_hat);
        assert!((p.r_eff - 1.0).abs() < 0.2, "iid draws: r_eff {}", p.r_eff);
    }
    let exact_elpd: f64 = exact.iter().sum();
    // The errors of the observations share the draws, so they are added
    // (perfect correlation), not in quadrature: a conservative bound.
    assert!(
        (result.elpd_loo - exact_elpd).abs() < 3.0 * total_mcse,
        "elpd_loo {} exact {} (3 MCSE = {})",
        result.elpd_loo,
        exact_elpd,
        3.0 * total_mcse
    );
    let exact_p_loo = exact_lppd.iter().sum::<f64>() - exact_elpd;
    assert!(
        (result.p_loo - exact_p_loo).abs() < 3.0 * (total_mcse + total_lppd_mcse),
        "p_loo {} exact {exact_p_loo}",
        result.p_loo
    );
    assert_eq!(result.k_counts.good, 20);
    assert!(result.bad_observations().is_empty());
    // The SE is sqrt(N) sd of the pointwise values, sd with N - 1.
    let n = 20.0;
    let mean = result.elpd_loo / n;
    let var = result
        .pointwise
        .iter()
        .map(|p| (p.elpd_loo - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    assert!((result.se - (n * var).sqrt()).abs() < 1e-12);
    assert!((result.lppd - result.elpd_loo - result.p_loo).abs() < 1e-9);
}

/// Ten observations near 0 and one at 12: the posterior with the outlier
/// sits ~1 from the one without it, about 3.5 posterior SDs, so the
/// importance ratios of the outlier have a heavy pre-asymptotic tail.
#[test]
fn an_influential_outlier_has_a_large_k_hat() {
    let mut y = simulated_y(10, 3);
    y.push(12.0);
    let model = Conjugate {
        y,
        sigma: 1.0,
        tau0: 10.0,
    };
    let rows = model.log_lik(4, 1000, 5);
    let ll = LogLik::new(&rows, 4).expect("a valid matrix");
    let result = loo(&ll, &LooOptions::default()).expect("loo runs");
    let outlier = &result.pointwise[10];
    assert!(outlier.k_hat > 0.7, "outlier k-hat {}", outlier.k_hat);
    assert!(result.bad_observations().contains(&10));
    assert!(result.k_counts.bad + result.k_counts.very_bad >= 1);
    for (i, p) in result.pointwise.iter().enumerate().take(10) {
        assert!(p.k_hat < outlier.k_hat, "observation {i}: {}", p.k_hat);
    }
    assert_eq!(result.k_max, outlier.k_hat);
    // PSIS still moves towards the exact value: the exact elpd of the
    // outlier is far below its in-sample lppd.
    let exact = model.exact_loo()[10];
    assert!(outlier.elpd_loo < outlier.lppd);
    assert!(exact < outlier.lppd);
}

#[test]
fn psis_weights_are_normalised_and_truncated() {
    let mut rng = ChainRng::new(1, 0);
    // Log-normal ratios with a heavy tail.
    let ratios: Vec<f64> = (0..2000).map(|_| 2.5 * rng.normal()).collect();
    let max = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for truncation in [Truncation::MaxRawWeight, Truncation::S34Mean] {
        let p = psis(&ratios, 1.0, truncation);
        assert!(log_sum_exp(&p.log_weights).abs() < 1e-12);
        assert!(p.k_hat.is_finite() && p.k_hat > 0.5, "k-hat {}", p.k_hat);
        assert_eq!(p.tail_len, tail_length(2000, 1.0));
        // The body keeps its raw weights: the smallest ratio's weight gives
        // the normalising constant.
        let min_i = (0..2000)
            .min_by(|&a, &b| ratios[a].total_cmp(&ratios[b]))
            .expect("non-empty");
        let log_norm = ratios[min_i] - p.log_weights[min_i];
        for (r, w) in ratios.iter().zip(&p.log_weights) {
            if *r < -1.0 {
                assert!((r - w - log_norm).abs() < 1e-9);
            }
        }
        if truncation == Truncation::MaxRawWeight {
            // No smoothed weight above the largest raw one.
            for &w in &p.log_weights {
                assert!(w + log_norm <= max + 1e-9);
            }
        }
    }
    // Too few draws for a tail of 5: raw weights, k-hat infinite; with
    // S = 8 one ratio e^10 times the others is capped (S34Mean) at
    // 8^(3/4) times the mean weight, (1 + 7 e^-10) 8^(-1/4) after the shift.
    let mut lopsided = vec![0.0; 8];
    lopsided[7] = 10.0;
    let raw = psis(&lopsided, 1.0, Truncation::MaxRawWeight);
    assert!(raw.k_hat.is_infinite());
    assert!((raw.log_weights[7] - raw.log_weights[0] - 10.0).abs() < 1e-12);
    let capped = psis(&lopsided, 1.0, Truncation::S34Mean);
    let cap = (1.0 + 7.0 * (-10f64).exp()).ln() - 0.25 * 8f64.ln();
    assert!((capped.log_weights[7] - capped.log_weights[0] - (cap + 10.0)).abs() < 1e-12);
}

#[test]
fn relative_efficiency_is_the_ess_of_the_likelihood() {
    // iid draws: about 1. An AR(0.5) likelihood: about (1 - 0.5) / (1 + 0.5).
    let mut rng = ChainRng::new(8, 0);
    let iid: Vec<f64> = (0..4000).map(|_| (10.0 + rng.normal()).ln()).collect();
    let r = relative_eff(&iid, 4);
    assert!((r - 1.0).abs() < 0.15, "iid r_eff {r}");
    let mut ar = Vec::new();
    for _ in 0..4 {
        let mut x = rng.normal() / (1.0f64 - 0.25).sqrt();
        for _ in 0..1000 {
            x = 0.5 * x + rng.normal();
            ar.push((20.0 + x).ln());
        }
    }
    let r = relative_eff(&ar, 4);
    assert!((r - 1.0 / 3.0).abs() < 0.1, "AR(0.5) r_eff {r}");
    // A constant column has no ESS: 1.
    assert_eq!(relative_eff(&[0.5; 40], 4), 1.0);
}

#[test]
fn the_comparison_is_the_sum_of_pointwise_differences() {
    let model = Conjugate {
        y: simulated_y(12, 21),
        sigma: 1.0,
        tau0: 5.0,
    };
    let rows = model.log_lik(2, 500, 4);
    // Model b's log-likelihood is a's plus c_i: the importance weights are
    // the same, so elpd_b_i = elpd_a_i + c_i exactly.
    let c: Vec<f64> = (0..12).map(|i| 0.1 * i as f64 - 0.4).collect();
    let shifted: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| r.iter().zip(&c).map(|(v, ci)| v + ci).collect())
        .collect();
    let options = LooOptions::default();
    let a = loo(&LogLik::new(&rows, 2).expect("valid"), &options).expect("loo");
    let b = loo(&LogLik::new(&shifted, 2).expect("valid"), &options).expect("loo");
    let d = compare(&a, &b).expect("same observations");
    let sum_c: f64 = c.iter().sum();
    assert!((d.elpd_diff + sum_c).abs() < 1e-9, "{}", d.elpd_diff);
    let mean = sum_c / 12.0;
    let sd = (c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 11.0).sqrt();
    assert!(
        (d.se_diff - 12f64.sqrt() * sd).abs() < 1e-9,
        "{}",
        d.se_diff
    );
    assert!(d.few_observations);
    assert!(d.small_difference);
    let reverse = compare(&b, &a).expect("same observations");
    assert!((reverse.elpd_diff + d.elpd_diff).abs() < 1e-12);
    assert_eq!(reverse.se_diff, d.se_diff);
    let itself = compare(&a, &a).expect("same observations");
    assert_eq!((itself.elpd_diff, itself.se_diff), (0.0, 0.0));
    // Different observations cannot be compared.
    let fewer: Vec<Vec<f64>> = rows.iter().map(|r| r[..11].to_vec()).collect();
    let f = loo(&LogLik::new(&fewer, 2).expect("valid"), &options).expect("loo");
    assert_eq!(compare(&a, &f), Err(LooError::Mismatch { a: 12, b: 11 }));
}

#[test]
fn bad_matrices_are_refused_with_a_reason() {
    assert_eq!(
        LogLik::new(&[vec![0.0, 1.0]], 1),
        Err(LooError::TooSmall { draws: 1, obs: 2 })
    );
    assert_eq!(
        LogLik::new(&[vec![0.0, 1.0], vec![0.0]], 1),
        Err(LooError::Ragged {
            draw: 1,
            len: 1,
            expected: 2
        })
    );
    assert_eq!(
        LogLik::new(&vec![vec![0.0, 1.0]; 3], 2),
        Err(LooError::Chains {
            draws: 3,
            chains: 2
        })
    );
    let e = LogLik::new(&[vec![0.0, 1.0], vec![f64::NEG_INFINITY, 0.0]], 1)
        .expect_err("-inf is refused");
    assert_eq!(
        e.to_string(),
        "the log-likelihood of observation 1 at draw 2 is -inf"
    );
    let ll = LogLik::new(&[vec![0.0, 1.0], vec![0.5, 0.2]], 1).expect("valid");
    let bad = LooOptions {
        r_eff: REff::PerObservation(vec![1.0]),
        ..LooOptions::default()
    };
    assert!(matches!(loo(&ll, &bad), Err(LooError::REff(_))));
    let zero = LooOptions {
        r_eff: REff::Scalar(0.0),
        ..LooOptions::default()
    };
    assert!(matches!(loo(&ll, &zero), Err(LooError::REff(_))));
}

/// log p(y_i | y_-i) of a stationary AR(1) observed with gaps, from the
/// dense covariance sigma^2 / (1 - phi^2) phi^|d_i - d_j| by the Schur
/// complement, without the precision matrix.
fn dense_ar1_loo(e: &[f64], days: &[i64], sigma: f64, phi: f64) -> Vec<f64> {
    let n = e.len();
    let cov = |i: usize, j: usize| {
        sigma * sigma / (1.0 - phi * phi) * phi.powi((days[i] - days[j]).abs() as i32)
    };
    (0..n)
        .map(|i| {
            let others: Vec<usize> = (0..n).filter(|&j| j != i).collect();
            let m = others.len();
            let s_oo = DMatrix::from_fn(m, m, |a, b| cov(others[a], others[b]));
            let s_io = DVector::from_fn(m, |a, _| cov(i, others[a]));
            let e_o = DVector::from_fn(m, |a, _| e[others[a]]);
            let chol = s_oo.cholesky().expect("positive definite");
            let mean = s_io.dot(&chol.solve(&e_o));
            let var = cov(i, i) - s_io.dot(&chol.solve(&s_io));
            normal_lpdf(e[i], mean, var.sqrt())
        })
        .collect()
}

#[test]
fn ar1_loo_density_is_the_multivariate_normal_conditional() {
    let mut rng = ChainRng::new(31, 0);
    let days = [1, 2, 3, 5, 6, 9, 10, 11, 12, 20, 21];
    let e: Vec<f64> = days.iter().map(|_| rng.normal()).collect();
    for &(sigma, phi) in &[(1.0, 0.6), (0.5, -0.4), (2.0, 0.95), (1.0, 0.0)] {
        let fast = ar1_loo_log_density(&e, &days, sigma, phi).expect("a valid process");
        let dense = dense_ar1_loo(&e, &days, sigma, phi);
        for (i, (a, b)) in fast.iter().zip(&dense).enumerate() {
            assert!(
                (a - b).abs() < 1e-9,
                "sigma {sigma} phi {phi} obs {i}: {a} vs {b}"
            );
        }
    }
    // phi = 0 is independent errors: each term is the normal density.
    let ind = ar1_loo_log_density(&e, &days, 1.3, 0.0).expect("valid");
    for (a, x) in ind.iter().zip(&e) {
        assert!((a - normal_lpdf(*x, 0.0, 1.3)).abs() < 1e-12);
    }
    assert!(ar1_loo_log_density(&e, &days, 1.0, 1.0).is_none());
    assert!(ar1_loo_log_density(&e[..3], &[1, 1, 2], 1.0, 0.5).is_none());
}

/// `chains` x `per_chain` draws of mu | y in the conjugate model with sigma
/// 1 and prior sd 10, each chain an AR(`rho`) sequence with the posterior
/// as its stationary distribution (rho = 0: independent draws), and the
/// log-likelihood rows they give.
fn autocorrelated_log_lik(
    y: &[f64],
    chains: usize,
    per_chain: usize,
    rho: f64,
    seed: u64,
) -> Vec<Vec<f64>> {
    let precision = 0.01 + y.len() as f64;
    let (m, sd) = (y.iter().sum::<f64>() / precision, precision.powf(-0.5));
    let mut rows = Vec::new();
    for c in 0..chains {
        let mut rng = ChainRng::new(seed, c as u64);
        let mut z = rng.normal();
        for _ in 0..per_chain {
            z = rho * z + (1.0 - rho * rho).sqrt() * rng.normal();
            let mu = m + sd * z;
            rows.push(y.iter().map(|&v| normal_lpdf(v, mu, 1.0)).collect());
        }
    }
    rows
}

/// One case for the ArviZ check: the matrix, the scalar r_eff (the form in
/// which ArviZ takes it) and trialc's results with both truncations.
fn arviz_case(name: &str, rows: Vec<Vec<f64>>, chains: usize, r_eff: f64) -> Value {
    let ll = LogLik::new(&rows, chains).expect("the matrices are valid");
    let run = |truncation| {
        let options = LooOptions {
            r_eff: REff::Scalar(r_eff),
            truncation,
        };
        let result = loo(&ll, &options).expect("loo runs");
        json!({
            "elpd_loo": result.elpd_loo,
            "se": result.se,
            "p_loo": result.p_loo,
            "lppd": result.lppd,
            "k_threshold": result.k_threshold,
            "pareto_k": result.pointwise.iter().map(|p| p.k_hat).collect::<Vec<_>>(),
            "elpd_loo_i": result.pointwise.iter().map(|p| p.elpd_loo).collect::<Vec<_>>(),
        })
    };
    json!({
        "name": name,
        "chains": chains,
        "draws": rows.len() / chains,
        "observations": rows[0].len(),
        "r_eff": r_eff,
        "log_lik": rows,
        "trialc": run(Truncation::MaxRawWeight),
        "trialc_s34": run(Truncation::S34Mean),
    })
}

/// Writes `$TRIALC_LOO_MATRICES` for scripts/python_check_loo.py (run by
/// scripts/python-check.sh): well-behaved data, an influential outlier
/// (a k-hat above 0.7), and autocorrelated draws with r_eff 0.25 (a longer
/// tail), all as exact posterior draws of the conjugate normal model.
#[test]
#[ignore = "writes a file for the Python check"]
fn write_arviz_matrices() {
    let Ok(path) = std::env::var("TRIALC_LOO_MATRICES") else {
        return;
    };
    let y = simulated_y(20, 12);
    let mut with_outlier = y[..10].to_vec();
    with_outlier.push(12.0);
    let cases = vec![
        arviz_case(
            "conjugate normal",
            autocorrelated_log_lik(&y, 4, 1000, 0.0, 1),
            4,
            1.0,
        ),
        arviz_case(
            "influential outlier",
            autocorrelated_log_lik(&with_outlier, 4, 1000, 0.0, 2),
            4,
            1.0,
        ),
        arviz_case(
            "autocorrelated draws",
            autocorrelated_log_lik(&y, 2, 1000, 0.6, 3),
            2,
            0.25,
        ),
    ];
    let text = serde_json::to_string(&json!({ "cases": cases })).expect("JSON");
    std::fs::write(&path, text).expect("write the matrices");
}
