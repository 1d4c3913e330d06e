//! The pointwise log-likelihood of a fitted outcome, the input of the
//! leave-one-out comparison ([`super::loo`]).
//!
//! **Provisional.** The draws are to carry their own pointwise `log_lik`
//! (issue 12, "Predictive checks and ArviZ", the wt-ppc branch, in the
//! runtime's model IR). Until that is merged, [`pointwise_log_lik`] computes
//! it here from the model IR and the posterior draws. LEAD, after merging
//! wt-ppc: make [`pointwise_log_lik`] return the runtime's `log_lik` (same
//! signature, same layout: one row per draw, chain after chain, one value
//! per analysed observation) and delete [`at_draw`] and its helpers; keep
//! the tests, which check the values against the runtime's own likelihood
//! and so check wt-ppc's as well. For AR(1) errors the value must be the
//! leave-one-out density `log p(y_i | y_-i, theta)` (what PSIS-LOO's
//! importance ratios need for a likelihood that does not factorise over
//! observations), not the sequential `log p(y_i | y_<i, theta)`;
//! `trialc_runtime::loo::ar1_loo_log_density` computes it.

use statrs::function::gamma::ln_gamma;
use trialc_runtime::loo::ar1_loo_log_density;
use trialc_runtime::mir::simulate::{linear_predictor, offsets, Observation};
use trialc_runtime::mir::{Likelihood, Model};
use trialc_runtime::posterior::Posterior;

use crate::lower::LoweredOutcome;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// `log p(y_i | theta_s)` (for AR(1) errors `log p(y_i | y_-i, theta_s)`)
/// of every analysed observation `i` at every posterior draw `s`: one row
/// per draw, the draws chain after chain.
pub fn pointwise_log_lik(
    lowered: &LoweredOutcome,
    posterior: &Posterior,
) -> Result<Vec<Vec<f64>>, String> {
    posterior
        .iter_draws()
        .map(|theta| at_draw(&lowered.model, theta))
        .collect()
}

/// The pointwise log-likelihood of every likelihood block of `model` at
/// one constrained parameter vector (laid out as the posterior's elements),
/// the blocks one after another.
pub fn at_draw(model: &Model, theta: &[f64]) -> Result<Vec<f64>, String> {
    let offs = offsets(model);
    let mut out = Vec::new();
    for block in &model.likelihoods {
        out.extend(block_at_draw(model, block, theta, &offs)?);
    }
    Ok(out)
}

fn block_at_draw(
    model: &Model,
    block: &Likelihood,
    theta: &[f64],
    offs: &[usize],
) -> Result<Vec<f64>, String> {
    let at = |id: usize| -> Result<f64, String> {
        offs.get(id)
            .and_then(|&o| theta.get(o))
            .copied()
            .ok_or_else(|| format!("parameter #{id} is not in the draw"))
    };
    // Intercept, arm effects, trend, carryover columns and a latent AR(1)
    // from the runtime; the terms it leaves out (covariates, the lagged
    // outcome, decaying carryover) as the runtime's likelihood adds them.
    let mut eta = linear_predictor(block, theta, offs).map_err(|e| e.message)?;
    let p = &block.predictor;
    for c in &p.covariates {
        let b = at(c.param)?;
        for (e, v) in eta.iter_mut().zip(&c.values) {
            *e += b * v;
        }
    }
    if let Some(lag) = &p.lagged_outcome {
        let rho = at(lag.param)?;
        for ((e, v), &g) in eta.iter_mut().zip(&lag.values).zip(&lag.gaps) {
            let g = i32::try_from(g).map_err(|_| format!("a gap of {g}"))?;
            *e += rho.powi(g) * v;
        }
    }
    if let Some(decay) = &p.carryover_decay {
        let rate = at(decay.rate)?;
        for t in &decay.transitions {
            let from = t.from.map(at).transpose()?.unwrap_or(0.0);
            let to = t.to.map(at).transpose()?.unwrap_or(0.0);
            if let Some(e) = eta.get_mut(t.obs) {
                *e += (-rate * t.elapsed).exp() * (from - to);
            }
        }
    }
    let observation =
        Observation::from_family(model, &block.family, theta, offs).map_err(|e| e.message)?;
    let y = &block.y;
    let values = match &observation {
        Observation::Normal { sigma } => y
            .iter()
            .zip(&eta)
            .map(|(y, e)| -0.5 * LN_2PI - sigma.ln() - 0.5 * ((y - e) / sigma).powi(2))
            .collect(),
        Observation::NormalAr1 { sigma, phi } => {
            let residuals: Vec<f64> = y.iter().zip(&eta).map(|(y, e)| y - e).collect();
            ar1_loo_log_density(&residuals, &block.days, *sigma, *phi).ok_or_else(|| {
                format!(
                    "AR(1) errors with sigma {sigma}, phi {phi} on these days are not a process"
                )
            })?
        }
        Observation::Bernoulli => y
            .iter()
            .zip(&eta)
            .map(|(&y, &e)| if y > 0.5 { -softplus(-e) } else { -softplus(e) })
            .collect(),
        Observation::Binomial { trials } => y
            .iter()
            .zip(&eta)
            .zip(trials)
            .map(|((&k, &e), &n)| {
                let n = n as f64;
                ln_choose(n, k) - k * softplus(-e) - (n - k) * softplus(e)
            })
            .collect(),
        Observation::Poisson => y
            .iter()
            .zip(&eta)
            .map(|(&k, &e)| k * e - e.exp() - ln_gamma(k + 1.0))
            .collect(),
        Observation::NegBinomial2 { psi } => {
            let log_psi = psi.ln();
            y.iter()
                .zip(&eta)
                .map(|(&k, &e)| {
                    // log(mu + psi), mu = exp(eta)
                    let log_total = log_add_exp(e, log_psi);
                    ln_gamma(k + psi) - ln_gamma(*psi) - ln_gamma(k + 1.0)
                        + psi * (log_psi - log_total)
                        + k * (e - log_total)
                })
                .collect()
        }
        Observation::OrderedLogistic { cutpoints } => {
            let levels = cutpoints.len() + 1;
            y.iter()
                .zip(&eta)
                .map(|(&level, &e)| ordinal_log_p(level, e, cutpoints, levels))
                .collect::<Result<Vec<f64>, String>>()?
        }
    };
    Ok(values)
}

/// log(1 + exp(x)) without overflow.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

fn log_add_exp(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// log P(y = level) of the cumulative logit model: P(y <= k) =
/// 1 - logistic(eta - c_k), levels 1..=K.
fn ordinal_log_p(level: f64, eta: f64, cut: &[f64], levels: usize) -> Result<f64, String> {
    let y = level as usize;
    if level.fract() != 0.0 || y < 1 || y > levels {
        return Err(format!("ordinal level {level} is not in 1..={levels}"));
    }
    Ok(if y == 1 {
        -softplus(eta - cut[0])
    } else if y == levels {
        -softplus(cut[levels - 2] - eta)
    } else {
        // log(logistic(a) - logistic(b)) with a = eta - c_(y-1) > b = eta - c_y:
        // logistic(a) - logistic(b) = logistic(a) logistic(-b) (1 - exp(b - a)).
        let (a, b) = (eta - cut[y - 2], eta - cut[y - 1]);
        -softplus(-a) - softplus(b) + (-(b - a).exp()).ln_1p()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trialc_runtime::density::{LogDensity, Transform};
    use trialc_runtime::mir::{
        CarryoverDecay, Covariate, Dist, Family, LaggedOutcome, LatentAr1, LinearPredictor,
        MirDensity, Parameter, Prior, PriorTerm, Transition,
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
        let pointwise = at_draw(m, theta).expect("log-lik");
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
        let base = at_draw(&m, &theta).expect("log-lik");
        let joint = runtime_log_lik(&m, &theta);
        for i in 0..y.len() {
            let mut moved = m.clone();
            moved.likelihoods[0].y[i] += 0.75;
            let after = at_draw(&moved, &theta).expect("log-lik");
            let joint_after = runtime_log_lik(&moved, &theta);
            let want = joint_after - joint;
            let got = after[i] - base[i];
            assert!((got - want).abs() < 1e-9, "obs {i}: {got} vs {want}");
        }
    }
}
