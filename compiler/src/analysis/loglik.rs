//! The pointwise log-likelihood of a fitted outcome, the input of the
//! leave-one-out comparison ([`super::loo`]).
//!
//! The values are the runtime's (`MirDensity::pointwise_log_lik`, the
//! `log_lik` columns of the draws) for every family but one: for AR(1)
//! errors the draws carry the factors of the joint density, log p(y_i |
//! y_<i, theta), which sum to the likelihood but make leaving one out a
//! one-step-ahead assessment. PSIS-LOO's importance ratios need the
//! leave-one-out density log p(y_i | y_-i, theta) of a likelihood that
//! does not factorise over observations, so for AR(1) errors this module
//! takes the runtime's linear predictor and
//! `trialc_runtime::loo::ar1_loo_log_density` instead.

use trialc_runtime::loo::ar1_loo_log_density;
use trialc_runtime::mir::simulate::{offsets, Observation};
use trialc_runtime::mir::MirDensity;
use trialc_runtime::posterior::Posterior;

use crate::lower::LoweredOutcome;

/// `log p(y_i | theta_s)` (for AR(1) errors `log p(y_i | y_-i, theta_s)`)
/// of every analysed observation `i` at every posterior draw `s`: one row
/// per draw, the draws chain after chain.
pub fn pointwise_log_lik(
    lowered: &LoweredOutcome,
    posterior: &Posterior,
) -> Result<Vec<Vec<f64>>, String> {
    let density = MirDensity::new(lowered.model.clone()).map_err(|e| e.message)?;
    posterior
        .iter_draws()
        .map(|theta| at_draw(&density, theta))
        .collect()
}

/// The pointwise log-likelihood of every likelihood block of `density` at
/// one constrained parameter vector (laid out as the posterior's
/// elements), the blocks one after another.
pub fn at_draw(density: &MirDensity, theta: &[f64]) -> Result<Vec<f64>, String> {
    let model = density.model();
    let offs = offsets(model);
    let mut out = Vec::new();
    let mut block_values = Vec::new();
    for (lik, block) in model.likelihoods.iter().enumerate() {
        let observation =
            Observation::from_family(model, &block.family, theta, &offs).map_err(|e| e.message)?;
        if let Observation::NormalAr1 { sigma, phi } = observation {
            let eta = density
                .linear_predictor(lik, theta)
                .map_err(|e| e.message)?;
            let residuals: Vec<f64> = block.y.iter().zip(&eta).map(|(y, e)| y - e).collect();
            out.extend(
                ar1_loo_log_density(&residuals, &block.days, sigma, phi).ok_or_else(|| {
                    format!(
                        "AR(1) errors with sigma {sigma}, phi {phi} on these days are not a process"
                    )
                })?,
            );
        } else {
            density
                .pointwise_log_lik(lik, theta, &mut block_values)
                .map_err(|e| e.message)?;
            out.extend_from_slice(&block_values);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trialc_runtime::density::{LogDensity, Transform};
    use trialc_runtime::mir::{
        CarryoverDecay, Covariate, Dist, Family, LaggedOutcome, LatentAr1, Likelihood,
        LinearPredictor, MirDensity, Model, Parameter, Prior, PriorTerm, Transition,
    };

    fn param(name: &str, size: usize, transform: Transform) -> Parameter {
        Parameter {
            name: name.into(),
            size,
            transform,
            origin: None,
        }
    }

    fn normal_prior(param: usize, sd: f64) -> PriorTerm {
        PriorTerm {
            param,
            prior: Prior::Dist(Dist::Normal { mu: 0.0, sigma: sd }),
        }
    }

    /// A model with every linear-predictor term: intercept (0), effect
    /// (1), trend (2), covariate (3), lag rho (4), decay rate (5), and the
    /// family's own parameters from 6 on; 8 observations.
    fn model(family: Family, extra: Vec<Parameter>, y: Vec<f64>) -> Model {
        let mut params = vec![
            param("alpha", 1, Transform::Identity),
            param("delta", 1, Transform::Identity),
            param("trend", 1, Transform::Identity),
            param("beta", 1, Transform::Identity),
            param("rho", 1, Transform::Interval(-1.0, 1.0)),
            param("rate", 1, Transform::Lower(0.0)),
        ];
        params.extend(extra);
        let priors = (0..params.len()).map(|p| normal_prior(p, 1.0)).collect();
        let n = y.len();
        let arm: Vec<f64> = (0..n)
            .map(|i| if (i / 2) % 2 == 1 { 1.0 } else { 0.0 })
            .collect();
        Model {
            params,
            priors,
            likelihoods: vec![Likelihood {
                outcome: "y".into(),
                family,
                days: vec![1, 2, 3, 5, 6, 7, 10, 11][..n].to_vec(),
                predictor: LinearPredictor {
                    intercept: Some(0),
                    arm_effects: vec![Covariate {
                        param: 1,
                        values: arm,
                    }],
                    trend: Some(Covariate {
                        param: 2,
                        values: (0..n).map(|i| (i as f64 - 3.5) / 10.0).collect(),
                    }),
                    covariates: vec![Covariate {
                        param: 3,
                        values: (0..n).map(|i| ((i * 7) % 5) as f64 - 2.0).collect(),
                    }],
                    lagged_outcome: Some(LaggedOutcome {
                        param: 4,
                        values: (0..n).map(|i| 0.3 * i as f64 - 1.0).collect(),
                        gaps: vec![1, 1, 1, 2, 1, 1, 3, 1][..n].to_vec(),
                    }),
                    carryover_decay: Some(CarryoverDecay {
                        rate: 5,
                        transitions: vec![
                            Transition {
                                obs: 2,
                                elapsed: 1.0,
                                from: None,
                                to: Some(1),
                            },
                            Transition {
                                obs: 4,
                                elapsed: 1.0,
                                from: Some(1),
                                to: None,
                            },
                        ],
                    }),
                    ..LinearPredictor::default()
                },
                y,
            }],
        }
    }

    /// The runtime's log-likelihood: the log density of the model minus
    /// that of the same model without its likelihood, at the same point
    /// (the priors and Jacobians cancel).
    fn runtime_log_lik(m: &Model, theta: &[f64]) -> f64 {
        let full = MirDensity::new(m.clone()).expect("valid model");
        let priors = MirDensity::new(Model {
            likelihoods: vec![],
            ..m.clone()
        })
        .expect("valid prior model");
        let x = full.unconstrain(theta).expect("theta in support");
        let mut g = vec![0.0; full.dim()];
        full.logp_grad(&x, &mut g) - priors.logp_grad(&x, &mut g)
    }

    /// Base parameter values: alpha, delta, trend, beta, rho, rate.
    const BASE: [f64; 6] = [0.4, -0.7, 0.5, 0.2, 0.35, 0.8];

    fn check_sum(m: &Model, theta: &[f64]) {
        let pointwise =
            at_draw(&MirDensity::new(m.clone()).expect("density"), theta).expect("log-lik");
        assert_eq!(pointwise.len(), m.likelihoods[0].y.len());
        let sum: f64 = pointwise.iter().sum();
        let runtime = runtime_log_lik(m, theta);
        assert!(
            (sum - runtime).abs() < 1e-9 * (1.0 + runtime.abs()),
            "{:?}: pointwise sum {sum}, runtime {runtime}",
            m.likelihoods[0].family
        );
    }

    #[test]
    fn factorising_families_sum_to_the_runtime_likelihood() {
        let counts = vec![0.0, 3.0, 1.0, 7.0, 2.0, 0.0, 4.0, 1.0];
        let binary = vec![0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
        let normal = vec![0.3, -1.2, 2.5, 0.9, 1.1, -0.4, 0.0, 1.7];
        let sigma = || param("sigma", 1, Transform::Lower(0.0));
        let cases: Vec<(Model, Vec<f64>)> = vec![
            (
                model(Family::Normal { sigma: 6 }, vec![sigma()], normal),
                vec![1.3],
            ),
            (model(Family::BernoulliLogit, vec![], binary), vec![]),
            (model(Family::PoissonLog, vec![], counts.clone()), vec![]),
            (
                model(
                    Family::NegBinomial2Log { psi: 6 },
                    vec![param("psi", 1, Transform::Lower(0.0))],
                    counts.clone(),
                ),
                vec![2.5],
            ),
            (
                model(
                    Family::BinomialLogit {
                        trials: vec![7, 5, 9, 8, 10, 7, 7, 6],
                    },
                    vec![],
                    counts,
                ),
                vec![],
            ),
            (
                model(
                    Family::OrderedLogistic { cutpoints: 6 },
                    vec![param("cutpoints", 3, Transform::Ordered)],
                    vec![1.0, 2.0, 4.0, 3.0, 3.0, 1.0, 4.0, 2.0],
                ),
                vec![-1.0, 0.2, 1.5],
            ),
        ];
        for (mut m, extra) in cases {
            if matches!(m.likelihoods[0].family, Family::OrderedLogistic { .. }) {
                m.likelihoods[0].predictor.intercept = None;
            }
            let mut theta = BASE.to_vec();
            theta.extend(extra);
            check_sum(&m, &theta);
        }
    }

    #[test]
    fn a_latent_ar1_enters_through_the_linear_predictor() {
        let mut m = model(
            Family::PoissonLog,
            vec![
                param("z", 8, Transform::Identity),
                param("sigma_latent", 1, Transform::Lower(0.0)),
                param("phi", 1, Transform::Interval(-1.0, 1.0)),
            ],
            vec![0.0, 3.0, 1.0, 7.0, 2.0, 0.0, 4.0, 1.0],
        );
        m.likelihoods[0].predictor.latent_ar1 = Some(LatentAr1 {
            z: 6,
            sigma: 7,
            phi: 8,
        });
        let mut theta = BASE.to_vec();
        theta.extend([0.5, -1.0, 0.3, 1.2, -0.2, 0.0, 0.8, -0.6, 0.7, 0.6]);
        check_sum(&m, &theta);
    }

    /// AR(1) errors do not factorise: changing y_i alone changes the joint
    /// density by exactly the change of log p(y_i | y_-i), since
    /// p(y) = p(y_i | y_-i) p(y_-i).
    #[test]
    fn ar1_errors_give_the_leave_one_out_conditional() {
        let y = vec![0.3, -1.2, 2.5, 0.9, 1.1, -0.4, 0.0, 1.7];
        let m = model(
            Family::NormalAr1 { sigma: 6, phi: 7 },
            vec![
                param("sigma", 1, Transform::Lower(0.0)),
                param("phi", 1, Transform::Interval(-1.0, 1.0)),
            ],
            y.clone(),
        );
        let mut theta = BASE.to_vec();
        theta.extend([0.9, 0.6]);
        let base = at_draw(&MirDensity::new(m.clone()).expect("density"), &theta).expect("log-lik");
        let joint = runtime_log_lik(&m, &theta);
        for i in 0..y.len() {
            let mut moved = m.clone();
            moved.likelihoods[0].y[i] += 0.75;
            let after = at_draw(&MirDensity::new(moved.clone()).expect("density"), &theta)
                .expect("log-lik");
            let joint_after = runtime_log_lik(&moved, &theta);
            let want = joint_after - joint;
            let got = after[i] - base[i];
            assert!((got - want).abs() < 1e-9, "obs {i}: {got} vs {want}");
        }
    }
}
