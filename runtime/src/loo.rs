//! Approximate leave-one-out cross-validation by Pareto-smoothed importance
//! sampling (PSIS-LOO), and the comparison of two models on the same
//! observations.
//!
//! Everything here is a pure function of a pointwise log-likelihood matrix
//! `log p(y_i | theta_s)` (S posterior draws by N observations, the draws
//! chain after chain). The algorithm is the one of
//!
//! - Vehtari, Gelman & Gabry (2017), *Practical Bayesian model evaluation
//!   using leave-one-out cross-validation and WAIC*, Statistics and
//!   Computing 27: the importance ratios `1 / p(y_i | theta_s)`, elpd_loo,
//!   its standard error, p_loo, and the comparison of models by pointwise
//!   differences;
//! - Vehtari, Simpson, Gelman, Yao & Gabry (2024), *Pareto smoothed
//!   importance sampling*, JMLR 25(72): the tail of `M = ceil(min(S / 5,
//!   3 sqrt(S / r_eff)))` largest ratios, a generalized Pareto fit to it
//!   (Zhang & Stephens 2009, with the weakly informative prior on the shape
//!   that the R packages `loo`/`posterior` and ArviZ use), the tail replaced
//!   by the fit's expected order statistics, the smoothed weights truncated
//!   at the largest raw weight, and the sample-size dependent threshold
//!   `min(1 - 1 / log10(S), 0.7)` on the shape estimate k-hat.
//!
//! [`Truncation::S34Mean`] keeps the truncation of the 2017 paper and of the
//! deprecated `psislw` (smoothed weights capped at `S^(3/4)` times their
//! mean) for comparison; the default is the 2024 paper's, which `loo` >= 2.0
//! and ArviZ use, so that trialc's numbers are theirs (scripts/
//! python_check_loo.py compares with ArviZ).
//!
//! For models whose likelihood does not factorise over observations (AR(1)
//! errors), the pointwise term must be the leave-one-out predictive density
//! `log p(y_i | y_-i, theta)` (Bürkner, Gabry & Vehtari 2021), not the
//! sequential `log p(y_i | y_<i, theta)`: [`ar1_loo_log_density`] computes
//! it for a Gaussian AR(1) observed on increasing days with gaps.

use serde::Serialize;
use std::fmt;

use crate::diagnostics::ess_raw;

/// The pointwise log-likelihood of N observations at S posterior draws.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLik {
    draws: usize,
    obs: usize,
    chains: usize,
    /// Draw-major: `values[s * obs + i]`.
    values: Vec<f64>,
}

/// Why a log-likelihood matrix or a comparison cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum LooError {
    /// Fewer than 2 draws or 2 observations.
    TooSmall { draws: usize, obs: usize },
    /// A draw's row has another length than the first.
    Ragged {
        draw: usize,
        len: usize,
        expected: usize,
    },
    /// The draws do not divide into the chains.
    Chains { draws: usize, chains: usize },
    /// A value is NaN or infinite.
    NotFinite { draw: usize, obs: usize, value: f64 },
    /// A given relative efficiency is not a positive number, or there is
    /// not one per observation.
    REff(String),
    /// Two models compared on different numbers of observations.
    Mismatch { a: usize, b: usize },
}

impl fmt::Display for LooError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LooError::TooSmall { draws, obs } => write!(
                f,
                "leave-one-out needs at least 2 draws and 2 observations ({draws} draws, {obs} observations)"
            ),
            LooError::Ragged {
                draw,
                len,
                expected,
            } => write!(
                f,
                "draw {} has {len} log-likelihood values, the first has {expected}",
                draw + 1
            ),
            LooError::Chains { draws, chains } => {
                write!(f, "{draws} draws do not divide into {chains} chains of equal length")
            }
            LooError::NotFinite { draw, obs, value } => write!(
                f,
                "the log-likelihood of observation {} at draw {} is {value}",
                obs + 1,
                draw + 1
            ),
            LooError::REff(m) => write!(f, "relative efficiency: {m}"),
            LooError::Mismatch { a, b } => write!(
                f,
                "the models have {a} and {b} observations; leave-one-out compares models on the same observations"
            ),
        }
    }
}

impl std::error::Error for LooError {}

impl LogLik {
    /// One row of N values per draw, chain after chain (`chains` chains of
    /// equal length; 1 for independent draws).
    pub fn new(rows: &[Vec<f64>], chains: usize) -> Result<Self, LooError> {
        let draws = rows.len();
        let obs = rows.first().map_or(0, Vec::len);
        if draws < 2 || obs < 2 {
            return Err(LooError::TooSmall { draws, obs });
        }
        if chains == 0 || !draws.is_multiple_of(chains) {
            return Err(LooError::Chains { draws, chains });
        }
        let mut values = Vec::with_capacity(draws * obs);
        for (s, row) in rows.iter().enumerate() {
            if row.len() != obs {
                return Err(LooError::Ragged {
                    draw: s,
                    len: row.len(),
                    expected: obs,
                });
            }
            if let Some(i) = row.iter().position(|v| !v.is_finite()) {
                return Err(LooError::NotFinite {
                    draw: s,
                    obs: i,
                    value: row[i],
                });
            }
            values.extend_from_slice(row);
        }
        Ok(LogLik {
            draws,
            obs,
            chains,
            values,
        })
    }

    /// S, the number of draws.
    pub fn draws(&self) -> usize {
        self.draws
    }

    /// N, the number of observations.
    pub fn observations(&self) -> usize {
        self.obs
    }

    pub fn chains(&self) -> usize {
        self.chains
    }

    /// Observation i's log-likelihood at every draw.
    pub fn column(&self, i: usize) -> Vec<f64> {
        (0..self.draws)
            .map(|s| self.values[s * self.obs + i])
            .collect()
    }
}

/// A generalized Pareto distribution fitted to exceedances: shape `k`
/// (k > 0 a heavy tail; the mean is infinite from k = 1) and scale `sigma`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GpdFit {
    /// `f64::INFINITY` when the sample does not allow a fit.
    pub k: f64,
    pub sigma: f64,
}

/// Zhang & Stephens' (2009) empirical Bayes estimate of the generalized
/// Pareto distribution from positive exceedances `x` sorted ascending.
///
/// theta = -k / sigma is averaged over a grid of `30 + floor(sqrt(n))`
/// points weighted by the profile likelihood; k and sigma follow from the
/// averaged theta. With `weakly_informative`, k is then pulled towards 0.5
/// as if by 10 extra observations, `(n k + 5) / (n + 10)`, the prior that
/// `loo`, `posterior` and ArviZ apply (sigma is computed before it, as they
/// do). A sample whose first quartile is its minimum (ties at the bottom,
/// or 5 values), or fewer than 2 values, gives `k = inf`, as `posterior`'s
/// `gpdfit` (ArviZ fits such a sample anyway; PSIS meets it only with
/// fewer than about 30 draws).
pub fn gpd_fit(x: &[f64], weakly_informative: bool) -> GpdFit {
    let failed = GpdFit {
        k: f64::INFINITY,
        sigma: f64::NAN,
    };
    let n = x.len();
    if n < 2 || x.iter().any(|v| !v.is_finite()) {
        return failed;
    }
    let nf = n as f64;
    // The first quartile: element floor(n/4 + 0.5) counting from 1.
    let quartile = ((nf / 4.0 + 0.5).floor() as usize).max(1);
    let xstar = x[quartile - 1];
    let xmax = x[n - 1];
    if !(xstar > x[0]) || !(xmax > 0.0) {
        return failed;
    }
    const PRIOR: f64 = 3.0;
    let m = 30 + nf.sqrt().floor() as usize;
    let mf = m as f64;
    let mean_log1p = |theta: f64| x.iter().map(|&v| (-theta * v).ln_1p()).sum::<f64>() / nf;
    let grid: Vec<f64> = (1..=m)
        .map(|j| 1.0 / xmax + (1.0 - (mf / (j as f64 - 0.5)).sqrt()) / (PRIOR * xstar))
        .collect();
    // The profile log-likelihood of each theta.
    let profile: Vec<f64> = grid
        .iter()
        .map(|&theta| {
            let k = mean_log1p(theta);
            let l = nf * ((-theta / k).ln() - k - 1.0);
            // theta = 0 exactly (0 / 0) carries no weight.
            if l.is_nan() {
                f64::NEG_INFINITY
            } else {
                l
            }
        })
        .collect();
    let lse = log_sum_exp(&profile);
    let theta: f64 = grid
        .iter()
        .zip(&profile)
        .map(|(t, l)| t * (l - lse).exp())
        .sum();
    let k = mean_log1p(theta);
    let sigma = -k / theta;
    let k = if weakly_informative {
        (k * nf + 0.5 * 10.0) / (nf + 10.0)
    } else {
        k
    };
    if k.is_nan() || !sigma.is_finite() || !(sigma > 0.0) {
        return failed;
    }
    GpdFit { k, sigma }
}

/// The quantile function of the generalized Pareto distribution with
/// location 0, at probability `p` in (0, 1): `sigma (1 - p)^(-k) - 1) / k`,
/// and the exponential's `-sigma log(1 - p)` at k = 0.
pub fn gpd_quantile(p: f64, k: f64, sigma: f64) -> f64 {
    if !(sigma > 0.0 && p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    if k == 0.0 {
        -sigma * (-p).ln_1p()
    } else {
        sigma * (-k * (-p).ln_1p()).exp_m1() / k
    }
}

/// The number of largest ratios the Pareto fit uses:
/// `ceil(min(S / 5, 3 sqrt(S / r_eff)))`.
pub fn tail_length(draws: usize, r_eff: f64) -> usize {
    let s = draws as f64;
    (0.2 * s).min(3.0 * (s / r_eff).sqrt()).ceil() as usize
}

/// The largest k-hat for which PSIS with S draws is reliable (Vehtari et
/// al. 2024): `min(1 - 1 / log10(S), 0.7)`.
pub fn khat_threshold(draws: usize) -> f64 {
    (1.0 - 1.0 / (draws as f64).log10()).min(0.7)
}

/// Where smoothed weights are capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Truncation {
    /// At the largest raw weight (Vehtari et al. 2024; `loo` >= 2.0, ArviZ).
    #[default]
    MaxRawWeight,
    /// At `S^(3/4)` times the mean smoothed weight (Vehtari, Gelman & Gabry
    /// 2017; the deprecated `psislw`).
    S34Mean,
}

/// Pareto-smoothed log weights of one set of log importance ratios.
#[derive(Debug, Clone, PartialEq)]
pub struct Psis {
    /// Normalised: `log_sum_exp(log_weights) = 0`.
    pub log_weights: Vec<f64>,
    /// The Pareto shape estimate; `inf` when the tail could not be fitted
    /// (fewer than 5 tail draws, or all equal), the weights then raw.
    pub k_hat: f64,
    /// M, the number of ratios in the tail.
    pub tail_len: usize,
}

/// Pareto smoothed importance sampling of `log_ratios` (for LOO, minus
/// the log-likelihood of one observation at every draw): the largest M
/// ratios replaced by the expected order statistics of a generalized Pareto
/// distribution fitted to their exceedances of the (M+1)-th largest, then
/// truncated as `truncation` says and normalised. `r_eff` (the relative
/// efficiency of the draws, 1 for independent draws) sets M.
pub fn psis(log_ratios: &[f64], r_eff: f64, truncation: Truncation) -> Psis {
    let s = log_ratios.len();
    let max = log_ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut lw: Vec<f64> = log_ratios.iter().map(|v| v - max).collect();
    let tail_len = tail_length(s, r_eff).min(s.saturating_sub(1));
    let mut k_hat = f64::INFINITY;
    if tail_len >= 5 {
        let mut order: Vec<usize> = (0..s).collect();
        order.sort_by(|&a, &b| lw[a].total_cmp(&lw[b]));
        let tail = &order[s - tail_len..];
        let (lo, hi) = (lw[tail[0]], lw[tail[tail_len - 1]]);
        if (hi - lo).abs() >= f64::EPSILON / 100.0 {
            let cutoff = lw[order[s - tail_len - 1]];
            let exp_cutoff = cutoff.exp();
            let exceedances: Vec<f64> = tail.iter().map(|&j| lw[j].exp() - exp_cutoff).collect();
            let fit = gpd_fit(&exceedances, true);
            k_hat = fit.k;
            if fit.k.is_finite() {
                let m = tail_len as f64;
                for (rank, &j) in tail.iter().enumerate() {
                    let p = (rank as f64 + 0.5) / m;
                    lw[j] = (gpd_quantile(p, fit.k, fit.sigma) + exp_cutoff).ln();
                }
            }
        }
    }
    let cap = match truncation {
        // The largest raw log weight is 0 after the shift.
        Truncation::MaxRawWeight => 0.0,
        Truncation::S34Mean => {
            let log_s = (s as f64).ln();
            0.75 * log_s - log_s + log_sum_exp(&lw)
        }
    };
    for v in &mut lw {
        if *v > cap {
            *v = cap;
        }
    }
    let lse = log_sum_exp(&lw);
    for v in &mut lw {
        *v -= lse;
    }
    Psis {
        log_weights: lw,
        k_hat,
        tail_len,
    }
}

/// The relative efficiency of one observation's draws as `loo`'s
/// `relative_eff`: the effective sample size (Stan's, Geyer's initial
/// monotone sequence over the chains, not split) of `exp(log_lik)`,
/// divided by S. `column` holds the draws chain after chain. Falls back
/// to 1 when the ESS is undefined (a constant column, fewer than 4 draws
/// per chain).
pub fn relative_eff(column: &[f64], chains: usize) -> f64 {
    if chains == 0 || !column.len().is_multiple_of(chains) {
        return 1.0;
    }
    let max = column.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let per = column.len() / chains;
    let x: Vec<Vec<f64>> = (0..chains)
        .map(|c| {
            column[c * per..(c + 1) * per]
                .iter()
                .map(|v| (v - max).exp())
                .collect()
        })
        .collect();
    let ess = ess_raw(&x);
    if ess.is_finite() && ess > 0.0 {
        ess / column.len() as f64
    } else {
        1.0
    }
}

/// How the relative efficiency that sets the tail length is chosen.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum REff {
    /// Per observation from the chains ([`relative_eff`]), as `loo` does.
    #[default]
    FromChains,
    /// One value for every observation (ArviZ passes a scalar; 1 for
    /// independent draws).
    Scalar(f64),
    /// One value per observation.
    PerObservation(Vec<f64>),
}

/// How [`loo`] runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LooOptions {
    pub r_eff: REff,
    pub truncation: Truncation,
}

/// One observation's leave-one-out terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pointwise {
    /// log p(y_i | y_-i), PSIS estimate.
    pub elpd_loo: f64,
    /// log of the posterior mean of p(y_i | theta).
    pub lppd: f64,
    /// lppd - elpd_loo.
    pub p_loo: f64,
    pub k_hat: f64,
    pub r_eff: f64,
}

/// How many observations' k-hat fall in each band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KCounts {
    /// k-hat <= threshold: the estimate is reliable.
    pub good: usize,
    /// threshold < k-hat <= 1: unreliable (too few draws for this
    /// observation's importance weights).
    pub bad: usize,
    /// k-hat > 1 (or not estimable): the estimate is meaningless.
    pub very_bad: usize,
}

/// PSIS-LOO of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Loo {
    /// The expected log pointwise predictive density, sum of `elpd_loo_i`.
    pub elpd_loo: f64,
    /// Its standard error, `sqrt(N) sd(elpd_loo_i)` (sd with N - 1).
    pub se: f64,
    /// The effective number of parameters, lppd - elpd_loo.
    pub p_loo: f64,
    pub se_p_loo: f64,
    /// The log pointwise predictive density of the data the model saw.
    pub lppd: f64,
    pub draws: usize,
    pub observations: usize,
    /// [`khat_threshold`] of the draws.
    pub k_threshold: f64,
    pub k_counts: KCounts,
    /// The largest k-hat (`inf` when some tail could not be fitted).
    pub k_max: f64,
    pub truncation: Truncation,
    pub pointwise: Vec<Pointwise>,
}

impl Loo {
    /// Observations whose k-hat exceeds the threshold (bad or very bad), in
    /// observation order (0-based).
    pub fn bad_observations(&self) -> Vec<usize> {
        self.pointwise
            .iter()
            .enumerate()
            .filter(|(_, p)| !(p.k_hat <= self.k_threshold))
            .map(|(i, _)| i)
            .collect()
    }
}

/// PSIS-LOO of the model whose pointwise log-likelihood is `ll`.
pub fn loo(ll: &LogLik, options: &LooOptions) -> Result<Loo, LooError> {
    let (s, n) = (ll.draws, ll.obs);
    let r_eff: Vec<f64> = match &options.r_eff {
        REff::FromChains => (0..n)
            .map(|i| relative_eff(&ll.column(i), ll.chains))
            .collect(),
        REff::Scalar(r) => vec![*r; n],
        REff::PerObservation(v) => {
            if v.len() != n {
                return Err(LooError::REff(format!(
                    "{} values for {n} observations",
                    v.len()
                )));
            }
            v.clone()
        }
    };
    if let Some(r) = r_eff.iter().find(|r| !(**r > 0.0 && r.is_finite())) {
        return Err(LooError::REff(format!("{r} is not a positive number")));
    }
    let log_s = (s as f64).ln();
    let mut pointwise = Vec::with_capacity(n);
    for (i, &r) in r_eff.iter().enumerate() {
        let column = ll.column(i);
        let ratios: Vec<f64> = column.iter().map(|v| -v).collect();
        let smoothed = psis(&ratios, r, options.truncation);
        let weighted: Vec<f64> = smoothed
            .log_weights
            .iter()
            .zip(&column)
            .map(|(w, l)| w + l)
            .collect();
        let elpd = log_sum_exp(&weighted);
        let lppd = log_sum_exp(&column) - log_s;
        pointwise.push(Pointwise {
            elpd_loo: elpd,
            lppd,
            p_loo: lppd - elpd,
            k_hat: smoothed.k_hat,
            r_eff: r,
        });
    }
    let threshold = khat_threshold(s);
    let mut counts = KCounts {
        good: 0,
        bad: 0,
        very_bad: 0,
    };
    for p in &pointwise {
        if p.k_hat <= threshold {
            counts.good += 1;
        } else if p.k_hat <= 1.0 {
            counts.bad += 1;
        } else {
            counts.very_bad += 1;
        }
    }
    let elpd: Vec<f64> = pointwise.iter().map(|p| p.elpd_loo).collect();
    let p_loo: Vec<f64> = pointwise.iter().map(|p| p.p_loo).collect();
    Ok(Loo {
        elpd_loo: elpd.iter().sum(),
        se: sum_se(&elpd),
        p_loo: p_loo.iter().sum(),
        se_p_loo: sum_se(&p_loo),
        lppd: pointwise.iter().map(|p| p.lppd).sum(),
        draws: s,
        observations: n,
        k_threshold: threshold,
        k_counts: counts,
        k_max: pointwise
            .iter()
            .map(|p| p.k_hat)
            .fold(f64::NEG_INFINITY, f64::max),
        truncation: options.truncation,
        pointwise,
    })
}

/// Two models compared on the same observations, as `loo_compare`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    /// elpd_loo of the first model minus that of the second: positive when
    /// the first predicts left-out observations better.
    pub elpd_diff: f64,
    /// `sqrt(N) sd(elpd_a_i - elpd_b_i)`: the pointwise differences are
    /// paired, so this is smaller than the two SEs combined.
    pub se_diff: f64,
    pub observations: usize,
    /// N < 100: the normal approximation behind `elpd_diff / se_diff` may
    /// be poor (Sivula et al. 2025; `loo_compare`'s `diag_diff`).
    pub few_observations: bool,
    /// |elpd_diff| < 4: the models predict about equally well, and the SE
    /// understates the uncertainty (same source).
    pub small_difference: bool,
}

/// `a` against `b`: the sum of the pointwise elpd_loo differences and its
/// standard error.
pub fn compare(a: &Loo, b: &Loo) -> Result<Comparison, LooError> {
    if a.observations != b.observations {
        return Err(LooError::Mismatch {
            a: a.observations,
            b: b.observations,
        });
    }
    let diffs: Vec<f64> = a
        .pointwise
        .iter()
        .zip(&b.pointwise)
        .map(|(x, y)| x.elpd_loo - y.elpd_loo)
        .collect();
    let elpd_diff: f64 = diffs.iter().sum();
    Ok(Comparison {
        elpd_diff,
        se_diff: sum_se(&diffs),
        observations: a.observations,
        few_observations: a.observations < 100,
        small_difference: elpd_diff.abs() < 4.0,
    })
}

/// The leave-one-out log predictive density `log p(y_i | y_-i)` of every
/// observation of a Gaussian AR(1) process observed on strictly increasing
/// `days`: residuals `e = y - eta`, innovation SD `sigma`, correlation
/// `phi` per day, the first residual from the stationary distribution
/// `normal(0, sigma / sqrt(1 - phi^2))` and across a gap of g days
/// `e_i | e_(i-1) ~ normal(phi^g e_(i-1), sigma^2 (1 - phi^(2g)) / (1 - phi^2))`
/// (docs/model.md 3.3). With Q the (tridiagonal) precision of e,
/// `y_i | y_-i ~ normal(y_i - (Q e)_i / Q_ii, 1 / Q_ii)` (Bürkner, Gabry &
/// Vehtari 2021, for any multivariate normal). `None` when the inputs do
/// not define the process (lengths differ, days do not increase, sigma not
/// positive, |phi| >= 1).
pub fn ar1_loo_log_density(e: &[f64], days: &[i64], sigma: f64, phi: f64) -> Option<Vec<f64>> {
    let n = e.len();
    if days.len() != n || n == 0 || !(sigma > 0.0) || !(phi.abs() < 1.0) {
        return None;
    }
    let omp2 = 1.0 - phi * phi;
    // Conditional coefficient a_i and variance v_i of e_i given e_(i-1).
    let mut a = vec![0.0; n];
    let mut v = vec![sigma * sigma / omp2; n];
    for i in 1..n {
        let gap = days[i] - days[i - 1];
        if gap < 1 {
            return None;
        }
        let g = i32::try_from(gap).ok()?;
        let pg = phi.powi(g);
        a[i] = pg;
        // (1 - phi^(2g)) / (1 - phi^2), summed for short gaps so that it
        // stays accurate as |phi| approaches 1.
        let ratio = if g <= 16 {
            (0..g).map(|j| phi.powi(2 * j)).sum::<f64>()
        } else {
            (1.0 - pg * pg) / omp2
        };
        v[i] = sigma * sigma * ratio;
        if !(v[i] > 0.0) {
            return None;
        }
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut q_ii = 1.0 / v[i];
        let mut qe = e[i] / v[i];
        if i > 0 {
            qe -= a[i] * e[i - 1] / v[i];
        }
        if i + 1 < n {
            q_ii += a[i + 1] * a[i + 1] / v[i + 1];
            qe += a[i + 1] * a[i + 1] * e[i] / v[i + 1] - a[i + 1] * e[i + 1] / v[i + 1];
        }
        let z2 = qe * qe / q_ii;
        out.push(-0.5 * (std::f64::consts::TAU).ln() + 0.5 * q_ii.ln() - 0.5 * z2);
    }
    Some(out)
}

/// `log(sum(exp(x)))`, shifted by the maximum; `-inf` for an empty slice.
pub fn log_sum_exp(x: &[f64]) -> f64 {
    let max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + x.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// The standard error of a sum of N terms: `sqrt(N) sd(x)`, sd with N - 1.
fn sum_se(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    (n * var).sqrt()
}
