//! MAP and Laplace on models with known answers: a conjugate Gaussian linear
//! regression (exact mode and covariance), and the count reference model
//! (Laplace sd close to Stan's posterior sd).
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

mod common;

use nalgebra::{DMatrix, DVector};
use trialc_runtime::density::LogDensity;
use trialc_runtime::mir::MirDensity;
use trialc_runtime::optimize::{find_mode, laplace, OptimizeConfig, OptimizeError};

/// y = a + b t + c u + N(0, s^2), s known; (a, b, c) ~ N(m0, diag(s0^2)).
struct Regression {
    x: DMatrix<f64>,
    y: DVector<f64>,
    s: f64,
    m0: DVector<f64>,
    s0: DVector<f64>,
}

impl Regression {
    fn new() -> Self {
        let n = 30;
        let x = DMatrix::from_fn(n, 3, |i, j| match j {
            0 => 1.0,
            1 => i as f64 / 10.0 - 1.5,
            _ => ((i * 7) % 5) as f64 - 2.0,
        });
        let y = DVector::from_fn(n, |i, _| {
            2.0 + 0.3 * (i as f64 / 10.0) - 0.2 * (((i * 7) % 5) as f64)
                + ((i * 37 % 11) as f64 - 5.0) / 5.0
        });
        Regression {
            x,
            y,
            s: 0.8,
            m0: DVector::from_vec(vec![0.0, 1.0, -1.0]),
            s0: DVector::from_vec(vec![10.0, 2.0, 0.5]),
        }
    }

    /// Exact posterior: precision X'X/s^2 + diag(1/s0^2).
    fn exact(&self) -> (DVector<f64>, DMatrix<f64>) {
        let prior_prec = DMatrix::from_diagonal(&self.s0.map(|v| 1.0 / (v * v)));
        let prec = self.x.transpose() * &self.x / (self.s * self.s) + &prior_prec;
        let cov = prec.clone().try_inverse().expect("invertible");
        let mean =
            &cov * (self.x.transpose() * &self.y / (self.s * self.s) + prior_prec * &self.m0);
        (mean, cov)
    }
}

impl LogDensity for Regression {
    fn dim(&self) -> usize {
        3
    }
    fn logp_grad(&self, b: &[f64], g: &mut [f64]) -> f64 {
        let beta = DVector::from_column_slice(b);
        let r = &self.y - &self.x * &beta;
        let dp = (&beta - &self.m0).component_div(&self.s0);
        let grad = self.x.transpose() * &r / (self.s * self.s)
            - (&beta - &self.m0).component_div(&self.s0.map(|v| v * v));
        g.copy_from_slice(grad.as_slice());
        -0.5 * r.dot(&r) / (self.s * self.s) - 0.5 * dp.dot(&dp)
    }
}

#[test]
fn mode_and_covariance_of_a_gaussian_posterior_are_exact() {
    let d = Regression::new();
    let (mean, cov) = d.exact();
    let lap = laplace(&d, &[0.0, 0.0, 0.0], &OptimizeConfig::default()).expect("laplace");
    for i in 0..3 {
        assert!(
            (lap.mode.x[i] - mean[i]).abs() < 1e-7,
            "mode[{i}] {} vs {}",
            lap.mode.x[i],
            mean[i]
        );
        for j in 0..3 {
            let c = lap.cov[i * 3 + j];
            assert!(
                (c - cov[(i, j)]).abs() < 1e-6 * cov[(i, i)].max(cov[(j, j)]),
                "cov[{i},{j}] {c} vs {}",
                cov[(i, j)]
            );
        }
    }
    assert!(lap.mode.grad_norm < 1e-6);
    // Draws from the approximation have its moments.
    let n = 20_000;
    let draws = lap.draws(n, 9);
    let sd = lap.sd();
    for i in 0..3 {
        let m = draws.iter().skip(i).step_by(3).sum::<f64>() / n as f64;
        assert!(
            (m - mean[i]).abs() < 4.0 * sd[i] / (n as f64).sqrt(),
            "draw mean {i}"
        );
        let v = draws
            .iter()
            .skip(i)
            .step_by(3)
            .map(|x| (x - m).powi(2))
            .sum::<f64>()
            / (n - 1) as f64;
        assert!((v / cov[(i, i)] - 1.0).abs() < 0.04, "draw variance {i}");
    }
    // The Laplace evidence is exact for a Gaussian integrand.
    let logz_exact = {
        let mut g = [0.0; 3];
        d.logp_grad(mean.as_slice(), &mut g)
            + 1.5 * trialc_runtime::density::LN_2PI
            + 0.5 * cov.determinant().ln()
    };
    assert!((lap.log_evidence() - logz_exact).abs() < 1e-6);
}

#[test]
fn laplace_on_the_count_model_is_close_to_stan() {
    let d = MirDensity::new(common::reference_mir("count")).expect("valid model");
    let lap = laplace(&d, &[0.0; 3], &OptimizeConfig::default()).expect("laplace");
    let sd = lap.sd();
    for (i, name) in ["mu", "delta", "beta_trend"].iter().enumerate() {
        let (mean, stan_sd, _) = common::stan_summary("count", name);
        // A Poisson GLM posterior is nearly Gaussian: mode within a tenth of
        // an sd of Stan's mean, sd within 10%.
        assert!(
            (lap.mode.x[i] - mean).abs() < 0.1 * stan_sd,
            "{name}: mode {} vs mean {mean}",
            lap.mode.x[i]
        );
        assert!(
            (sd[i] / stan_sd - 1.0).abs() < 0.1,
            "{name}: sd {} vs {stan_sd}",
            sd[i]
        );
    }
}

struct Ridge;

impl LogDensity for Ridge {
    fn dim(&self) -> usize {
        2
    }
    fn logp_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        g[0] = -x[0];
        g[1] = 0.0;
        -0.5 * x[0] * x[0]
    }
}

#[test]
fn failures_are_errors() {
    let d = Regression::new();
    assert!(matches!(
        find_mode(&d, &[0.0], &OptimizeConfig::default()),
        Err(OptimizeError::BadStart(_))
    ));
    let m = MirDensity::new(common::reference_mir("continuous")).expect("valid model");
    // phi far in the tail: the start point is fine, so the mode is found.
    assert!(find_mode(&m, &[9.0, 0.0, 0.0, 0.0, 0.0], &OptimizeConfig::default()).is_ok());
    assert!(matches!(
        find_mode(&m, &[f64::NAN; 5], &OptimizeConfig::default()),
        Err(OptimizeError::BadStart(_))
    ));
    // A flat direction has no Laplace approximation.
    assert!(matches!(
        laplace(&Ridge, &[1.0, 1.0], &OptimizeConfig::default()),
        Err(OptimizeError::NotConcave)
    ));
}

/// Log density of a log-scale `tau` (Jacobian included) and an independent
/// normal coordinate: lp = -k tau - s/2 exp(-2 tau) - (x - 3)^2 / (2 * 0.25).
/// Mode: tau = ln(s / k) / 2, x = 3; curvature -2k and -4, so the Laplace
/// sds are 1/sqrt(2k) and 0.5. From 0 the gradient in tau is s - k = -999:
/// a first L-BFGS step of that length overflows exp(-2 tau).
struct Steep {
    k: f64,
    s: f64,
}

impl LogDensity for Steep {
    fn dim(&self) -> usize {
        2
    }
    fn logp_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let e = (-2.0 * x[0]).exp();
        g[0] = -self.k + self.s * e;
        g[1] = -(x[1] - 3.0) / 0.25;
        -self.k * x[0] - 0.5 * self.s * e - 0.5 * (x[1] - 3.0).powi(2) / 0.25
    }
}

#[test]
fn a_first_step_into_overflow_is_backed_off_not_reported_as_a_mode() {
    let d = Steep { k: 1000.0, s: 1.0 };
    let mut g = [0.0; 2];
    d.logp_grad(&[-999.0, 0.0], &mut g);
    assert!(!g[0].is_finite(), "the plain first step overflows");
    let lap = laplace(&d, &[0.0, 0.0], &OptimizeConfig::default()).expect("mode and Laplace");
    let tau = 0.5 * (1.0f64 / 1000.0).ln();
    assert!(
        (lap.mode.x[0] - tau).abs() < 1e-6,
        "{} vs {tau}",
        lap.mode.x[0]
    );
    assert!((lap.mode.x[1] - 3.0).abs() < 1e-6);
    assert!(lap.mode.grad_norm <= 1e-3);
    let sd = lap.sd();
    assert!((sd[0] * 2000f64.sqrt() - 1.0).abs() < 1e-4, "{}", sd[0]);
    assert!((sd[1] - 0.5).abs() < 1e-5);
}

/// lp = x has no mode; Rosenbrock has one that 3 iterations do not reach.
struct Unbounded;

impl LogDensity for Unbounded {
    fn dim(&self) -> usize {
        1
    }
    fn logp_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        g[0] = 1.0;
        x[0]
    }
}

struct Rosenbrock;

impl LogDensity for Rosenbrock {
    fn dim(&self) -> usize {
        2
    }
    fn logp_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let (a, b) = (x[0], x[1]);
        g[0] = 2.0 * (1.0 - a) + 400.0 * a * (b - a * a);
        g[1] = -200.0 * (b - a * a);
        -((1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2))
    }
}

#[test]
fn no_convergence_is_an_error_that_says_how_far_it_got() {
    match find_mode(&Unbounded, &[0.0], &OptimizeConfig::default()) {
        Err(e @ OptimizeError::NotConverged { grad_norm, .. }) => {
            assert_eq!(grad_norm, 1.0);
            let text = e.to_string();
            assert!(
                text.contains("did not converge") && text.contains("iterations"),
                "{text}"
            );
        }
        other => panic!("expected NotConverged, got {other:?}"),
    }
    let short = OptimizeConfig {
        max_iters: 3,
        ..OptimizeConfig::default()
    };
    match find_mode(&Rosenbrock, &[-1.2, 1.0], &short) {
        Err(OptimizeError::NotConverged {
            iterations,
            grad_norm,
            ..
        }) => {
            assert!(iterations <= 3, "{iterations}");
            assert!(grad_norm > 1e-3);
        }
        other => panic!("expected NotConverged, got {other:?}"),
    }
    // With the default budget it converges to (1, 1).
    let m = find_mode(&Rosenbrock, &[-1.2, 1.0], &OptimizeConfig::default()).expect("mode");
    assert!(
        (m.x[0] - 1.0).abs() < 1e-5 && (m.x[1] - 1.0).abs() < 1e-5,
        "{m:?}"
    );
}
