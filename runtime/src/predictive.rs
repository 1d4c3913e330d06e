//! Posterior predictive quantities of a fit, per likelihood block: the
//! pointwise log likelihood of every retained draw (the S x N matrix that
//! PSIS-LOO and WAIC read), replicated outcomes y_rep (one data set per
//! draw), and the test statistics and posterior predictive p-values of the
//! predictive check.
//!
//! Nothing here touches the sampler's random streams. The replicate of the
//! draw d of chain c comes from its own ChaCha20 stream `(c << 32) | d`
//! keyed by a seed the caller derives for the purpose (the compiler's
//! `fit::predictive_seed`), so the matrices are the same bit for bit
//! whatever the number of threads, and computing them leaves the draws,
//! and everything pinned by `tests/reproducibility.rs`, as they were.

use crate::mir::{Family, MirDensity, MirError};
use crate::posterior::Posterior;
use crate::rng::ChainRng;
use rayon::prelude::*;

/// A draws x observations matrix (S x N) of one likelihood block, draws in
/// the posterior's order (chain after chain, draws in order within a
/// chain), stored row-major: row s is draw s's N values.
#[derive(Debug, Clone, PartialEq)]
pub struct PointwiseMatrix {
    chains: usize,
    draws_per_chain: usize,
    observations: usize,
    values: Vec<f64>,
}

impl PointwiseMatrix {
    /// A matrix from its rows, `chains * draws_per_chain` of them, each of
    /// `observations` values, chain after chain. `None` when the numbers
    /// disagree.
    pub fn from_rows(
        chains: usize,
        draws_per_chain: usize,
        observations: usize,
        values: Vec<f64>,
    ) -> Option<Self> {
        (chains
            .checked_mul(draws_per_chain)?
            .checked_mul(observations)?
            == values.len())
        .then_some(PointwiseMatrix {
            chains,
            draws_per_chain,
            observations,
            values,
        })
    }

    /// Number of chains the draws came from.
    pub fn chains(&self) -> usize {
        self.chains
    }

    /// Draws per chain.
    pub fn draws_per_chain(&self) -> usize {
        self.draws_per_chain
    }

    /// S, the number of rows (all chains' draws).
    pub fn draws(&self) -> usize {
        self.chains * self.draws_per_chain
    }

    /// N, the number of columns (observations).
    pub fn observations(&self) -> usize {
        self.observations
    }

    /// Row `s` (draw s in the posterior's order): N values.
    pub fn row(&self, s: usize) -> &[f64] {
        &self.values[s * self.observations..(s + 1) * self.observations]
    }

    /// Every row in order.
    pub fn rows(&self) -> impl Iterator<Item = &[f64]> {
        self.values.chunks(self.observations.max(1))
    }

    /// Column `i` (observation i over all draws): S values.
    pub fn column(&self, i: usize) -> Vec<f64> {
        self.rows().map(|r| r[i]).collect()
    }

    /// The whole matrix, row-major (S * N values).
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}

/// Applies `f` to every draw of `post` (in parallel, results in order) and
/// stacks the N-vectors it returns into a matrix.
fn per_draw(
    post: &Posterior,
    observations: usize,
    f: impl Fn(usize, &[f64]) -> Result<Vec<f64>, MirError> + Sync,
) -> Result<PointwiseMatrix, MirError> {
    let draws: Vec<&[f64]> = post.iter_draws().collect();
    let rows: Vec<Vec<f64>> = draws
        .par_iter()
        .enumerate()
        .map(|(s, theta)| f(s, theta))
        .collect::<Result<_, _>>()?;
    let mut values = Vec::with_capacity(rows.len() * observations);
    for r in rows {
        values.extend(r);
    }
    PointwiseMatrix::from_rows(post.num_chains, post.num_draws, observations, values).ok_or_else(
        || MirError {
            message: "the posterior's draws do not match its chains".into(),
            origin: None,
        },
    )
}

/// The pointwise log likelihood of likelihood block `lik` at every draw of
/// `post` (which `d` was fitted to): S x N, as
/// [`MirDensity::pointwise_log_lik`] defines each value. No random numbers.
pub fn pointwise_log_lik(
    d: &MirDensity,
    post: &Posterior,
    lik: usize,
) -> Result<PointwiseMatrix, MirError> {
    let n = observations(d, lik)?;
    per_draw(post, n, |_, theta| {
        let mut out = Vec::with_capacity(n);
        d.pointwise_log_lik(lik, theta, &mut out)?;
        Ok(out)
    })
}

/// The stream of the replicate of draw `draw` of chain `chain`.
pub fn replicate_stream(chain: usize, draw: usize) -> u64 {
    ((chain as u64) << 32) | draw as u64
}

/// One replicated data set y_rep of likelihood block `lik` per draw of
/// `post`: S x N, draw d of chain c from `ChainRng::new(seed,
/// replicate_stream(c, d))` through [`MirDensity::replicate`].
pub fn replicate(
    d: &MirDensity,
    post: &Posterior,
    lik: usize,
    seed: u64,
) -> Result<PointwiseMatrix, MirError> {
    let n = observations(d, lik)?;
    let per_chain = post.num_draws.max(1);
    per_draw(post, n, |s, theta| {
        let mut rng = ChainRng::new(seed, replicate_stream(s / per_chain, s % per_chain));
        d.replicate(lik, theta, &mut rng)
    })
}

fn observations(d: &MirDensity, lik: usize) -> Result<usize, MirError> {
    d.model()
        .likelihoods
        .get(lik)
        .map(|l| l.y.len())
        .ok_or_else(|| MirError {
            message: format!("the model has no likelihood block #{lik}"),
            origin: None,
        })
}

/// A test statistic T(y) of the predictive check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// The mean of the values.
    Mean,
    /// Their standard deviation (divisor n - 1).
    Sd,
    /// The lag-1 autocorrelation between consecutive analysed values,
    /// sum (y_i - m)(y_{i+1} - m) / sum (y_i - m)^2; 0 for a constant series.
    Autocorrelation,
    /// The share of values equal to 0.
    Zeros,
}

impl Statistic {
    /// As reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Statistic::Mean => "mean",
            Statistic::Sd => "sd",
            Statistic::Autocorrelation => "lag-1 autocorrelation",
            Statistic::Zeros => "share of zeros",
        }
    }

    /// T(y). NaN when a value is not finite (a replicate whose draw was
    /// extreme), or for the mean and sd of an empty series.
    pub fn of(self, y: &[f64]) -> f64 {
        if y.iter().any(|v| !v.is_finite()) {
            return f64::NAN;
        }
        let n = y.len() as f64;
        let mean = y.iter().sum::<f64>() / n;
        match self {
            Statistic::Mean => mean,
            Statistic::Sd => {
                if y.len() < 2 {
                    return f64::NAN;
                }
                (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            }
            Statistic::Autocorrelation => {
                let ss: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
                if !(ss > 0.0) {
                    return 0.0;
                }
                y.windows(2)
                    .map(|w| (w[0] - mean) * (w[1] - mean))
                    .sum::<f64>()
                    / ss
            }
            Statistic::Zeros => y.iter().filter(|v| **v == 0.0).count() as f64 / n,
        }
    }

    /// The statistics the check uses for a family: mean, sd and lag-1
    /// autocorrelation, the sd left out for a binary outcome (a function of
    /// its mean) and the share of zeros added for counts.
    pub fn for_family(family: &Family) -> &'static [Statistic] {
        use Statistic::*;
        match family {
            Family::BernoulliLogit => &[Mean, Autocorrelation],
            Family::PoissonLog | Family::NegBinomial2Log { .. } | Family::BinomialLogit { .. } => {
                &[Mean, Sd, Autocorrelation, Zeros]
            }
            Family::Normal { .. } | Family::NormalAr1 { .. } | Family::OrderedLogistic { .. } => {
                &[Mean, Sd, Autocorrelation]
            }
        }
    }
}

/// The posterior predictive p-value of one statistic.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PredictiveP {
    pub statistic: Statistic,
    /// T(y) of the observed data.
    pub observed: f64,
    /// The mean of T(y_rep) over the draws.
    pub replicated_mean: f64,
    /// The 5% and 95% quantiles of T(y_rep).
    pub replicated_q5: f64,
    pub replicated_q95: f64,
    /// P(T(y_rep) > T(y)) + P(T(y_rep) = T(y)) / 2 over the draws whose
    /// T(y_rep) is defined (ties count half: discrete statistics tie often).
    pub p: f64,
}

/// T(y) against T(y_rep) of every row of `y_rep`, for each of `statistics`.
/// Statistics undefined on the observed data, or on every replicate, are
/// left out.
pub fn predictive_p_values(
    y: &[f64],
    y_rep: &PointwiseMatrix,
    statistics: &[Statistic],
) -> Vec<PredictiveP> {
    statistics
        .iter()
        .filter_map(|&statistic| {
            let observed = statistic.of(y);
            if !observed.is_finite() {
                return None;
            }
            let reps: Vec<f64> = y_rep
                .rows()
                .map(|r| statistic.of(r))
                .filter(|t| t.is_finite())
                .collect();
            if reps.is_empty() {
                return None;
            }
            let s = reps.len() as f64;
            let above = reps.iter().filter(|&&t| t > observed).count() as f64;
            let ties = reps.iter().filter(|&&t| t == observed).count() as f64;
            let q = crate::diagnostics::quantiles(&reps, &[0.05, 0.95]);
            Some(PredictiveP {
                statistic,
                observed,
                replicated_mean: reps.iter().sum::<f64>() / s,
                replicated_q5: q[0],
                replicated_q95: q[1],
                p: (above + 0.5 * ties) / s,
            })
        })
        .collect()
}

/// A p-value the check flags: below 0.05 or above 0.95 (the observed
/// statistic in a 5% tail of the replicated ones).
pub fn flagged(p: f64) -> bool {
    !(0.05..=0.95).contains(&p)
}
