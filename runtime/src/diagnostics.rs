//! Convergence diagnostics: rank-normalized split R-hat, bulk/tail ESS, MCSE
//! (Vehtari et al. 2021; Stan `analyze/mcmc`), ported line by line from the
//! reference `diag.py`, plus the sampler checks (divergences, tree depth
//! saturation, E-BFMI). Input draws are `chains x draws`.

use crate::nuts::SampleStats;
use statrs::distribution::{ContinuousCDF, Normal};

/// Summary of one quantity.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    pub mean: f64,
    pub sd: f64,
    pub rhat: f64,
    pub rhat_bulk: f64,
    pub rhat_tail: f64,
    pub ess_bulk: f64,
    pub ess_tail: f64,
    pub ess_mean: f64,
    pub mcse_mean: f64,
}

fn shape_ok(x: &[Vec<f64>]) -> bool {
    !x.is_empty() && x.iter().all(|c| c.len() == x[0].len()) && !x[0].is_empty()
}

/// (C, N) -> (2C, N/2); the middle draw is dropped when N is odd.
pub fn split_chains(x: &[Vec<f64>]) -> Vec<Vec<f64>> {
    // Same order as diag.py: all first halves, then all second halves.
    let firsts = x.iter().map(|c| c[..c.len() / 2].to_vec());
    let seconds = x.iter().map(|c| {
        let (half, tail) = (c.len() / 2, c.len().div_ceil(2));
        c[tail..tail + half].to_vec()
    });
    firsts.chain(seconds).collect()
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Variance with `ddof` (0 population, 1 sample).
fn var(x: &[f64], ddof: f64) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - ddof)
}

/// Biased (1/N) autocovariance at lag k of a centred chain. Like Stan's and
/// diag.py's FFT version, which normalise by the lag-0 value, a constant
/// chain gives NaN (0/0); the Geyer loop then stops at once and the ESS is
/// S/2. The reference values depend on this (slow_mixing's tail ESS).
fn acov_lag(xc: &[f64], k: usize) -> f64 {
    let n = xc.len();
    if k >= n {
        return 0.0;
    }
    xc[..n - k]
        .iter()
        .zip(&xc[k..])
        .map(|(a, b)| a * b)
        .sum::<f64>()
        / n as f64
}

/// Stan's `ess` on a (chains, draws) matrix: Geyer's initial positive
/// sequence with the monotone correction. Autocovariances are computed lag by
/// lag, only as far as the sequence needs (same values as the FFT of diag.py
/// to rounding).
pub fn ess_raw(x: &[Vec<f64>]) -> f64 {
    if !shape_ok(x) {
        return f64::NAN;
    }
    let m = x.len();
    let n = x[0].len();
    let all_finite = x.iter().flatten().all(|v| v.is_finite());
    let (lo, hi) = x
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if n < 4 || !all_finite || hi - lo == 0.0 {
        return f64::NAN;
    }
    let centred: Vec<Vec<f64>> = x
        .iter()
        .map(|c| {
            let mu = mean(c);
            c.iter().map(|v| v - mu).collect()
        })
        .collect();
    let any_constant = centred.iter().any(|c| c.iter().all(|v| *v == 0.0));
    let mean_acov = |k: usize| {
        if any_constant {
            f64::NAN
        } else {
            centred.iter().map(|c| acov_lag(c, k)).sum::<f64>() / m as f64
        }
    };
    let chain_mean: Vec<f64> = x.iter().map(|c| mean(c)).collect();
    let nf = n as f64;
    let w = mean_acov(0) * nf / (nf - 1.0);
    let mut var_plus = w * (nf - 1.0) / nf;
    if m > 1 {
        var_plus += var(&chain_mean, 1.0);
    }
    let mut rho = vec![0.0; n];
    let mut rho_even = 1.0;
    rho[0] = rho_even;
    let mut rho_odd = 1.0 - (w - mean_acov(1)) / var_plus;
    rho[1] = rho_odd;
    let mut t = 1usize;
    while t + 4 < n && rho_even + rho_odd > 0.0 && (rho_even + rho_odd).is_finite() {
        rho_even = 1.0 - (w - mean_acov(t + 1)) / var_plus;
        rho_odd = 1.0 - (w - mean_acov(t + 2)) / var_plus;
        if rho_even + rho_odd >= 0.0 {
            rho[t + 1] = rho_even;
            rho[t + 2] = rho_odd;
        }
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t] {
            rho[t + 1] = (rho[t - 1] + rho[t]) / 2.0;
            rho[t + 2] = rho[t + 1];
        }
        t += 2;
    }
    let max_t = t;
    if rho_even > 0.0 {
        rho[max_t + 1] = rho_even;
    }
    let total = (m * n) as f64;
    let mut tau = -1.0 + 2.0 * rho[..max_t].iter().sum::<f64>() + rho[max_t + 1];
    tau = tau.max(1.0 / total.log10());
    total / tau
}

/// Classic (non-split) potential scale reduction.
pub fn rhat_raw(x: &[Vec<f64>]) -> f64 {
    if !shape_ok(x) || x.len() < 2 || x[0].len() < 2 {
        return f64::NAN;
    }
    let n = x[0].len() as f64;
    let means: Vec<f64> = x.iter().map(|c| mean(c)).collect();
    let b = n * var(&means, 1.0);
    let w = x.iter().map(|c| var(c, 1.0)).sum::<f64>() / x.len() as f64;
    ((b / w + n - 1.0) / n).sqrt()
}

/// Rank-normalisation: average ranks for ties, Blom offset
/// (r - 3/8) / (S + 1/4), standard normal quantile.
pub fn z_scale(x: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let flat: Vec<f64> = x.iter().flatten().copied().collect();
    let s = flat.len();
    // The order of a stable sort of the indices by `total_cmp`: ascending
    // (total-order key, index) pairs, which sort without indirection.
    let mut keyed: Vec<(i64, usize)> = flat
        .iter()
        .enumerate()
        .map(|(i, v)| (total_order_key(*v), i))
        .collect();
    keyed.sort_unstable();
    let mut z = vec![0.0; s];
    let std = Normal::standard();
    let denom = s as f64 + 0.25;
    let mut i = 0;
    while i < s {
        let mut j = i;
        while j + 1 < s && flat[keyed[j + 1].1] == flat[keyed[i].1] {
            j += 1;
        }
        // Positions i..=j (0-based) share the average 1-based rank (and so
        // its normal score, computed once).
        let r: f64 = (i + j) as f64 / 2.0 + 1.0;
        let score = std.inverse_cdf((r - 0.375) / denom);
        for &(_, k) in &keyed[i..=j] {
            z[k] = score;
        }
        i = j + 1;
    }
    let mut out = Vec::with_capacity(x.len());
    let mut off = 0;
    for c in x {
        out.push(z[off..off + c.len()].to_vec());
        off += c.len();
    }
    out
}

/// An integer whose order is `f64::total_cmp`'s (the same bit trick).
#[inline]
fn total_order_key(v: f64) -> i64 {
    let b = v.to_bits() as i64;
    b ^ (((b >> 63) as u64) >> 1) as i64
}

/// A sorted copy (by `total_cmp`; equal keys are equal bit patterns, so an
/// unstable sort gives the same sequence as a stable one).
fn sorted(x: &[f64]) -> Vec<f64> {
    // Sorting the integer keys is faster than sorting with `total_cmp`; the
    // key map flips the low 63 bits of negative values, so it is its own
    // inverse and the keys map back to the original bit patterns.
    let mut keys: Vec<i64> = x.iter().map(|v| total_order_key(*v)).collect();
    keys.sort_unstable();
    keys.into_iter()
        .map(|k| f64::from_bits((k ^ (((k >> 63) as u64) >> 1) as i64) as u64))
        .collect()
}

/// Quantile with linear interpolation (R type 7, numpy's default).
pub fn quantile(x: &[f64], p: f64) -> f64 {
    quantile_sorted(&sorted(x), p)
}

/// Several quantiles of `x` (as [`quantile`]), sorting once.
pub fn quantiles(x: &[f64], ps: &[f64]) -> Vec<f64> {
    let v = sorted(x);
    ps.iter().map(|&p| quantile_sorted(&v, p)).collect()
}

fn quantile_sorted(v: &[f64], p: f64) -> f64 {
    if v.is_empty() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// (max(bulk, tail), bulk, tail) rank-normalised split R-hat.
pub fn rhat(x: &[Vec<f64>]) -> (f64, f64, f64) {
    let bulk = rhat_raw(&z_scale(&split_chains(x)));
    let flat: Vec<f64> = x.iter().flatten().copied().collect();
    let med = quantile(&flat, 0.5);
    rhat_with(x, bulk, med)
}

/// `rhat` given the bulk R-hat and the median.
fn rhat_with(x: &[Vec<f64>], bulk: f64, med: f64) -> (f64, f64, f64) {
    let folded: Vec<Vec<f64>> = x
        .iter()
        .map(|c| c.iter().map(|v| (v - med).abs()).collect())
        .collect();
    let tail = rhat_raw(&z_scale(&split_chains(&folded)));
    (bulk.max(tail), bulk, tail)
}

pub fn ess_bulk(x: &[Vec<f64>]) -> f64 {
    ess_raw(&z_scale(&split_chains(x)))
}

/// min of the ESS of the 5% and 95% tail indicators (NaN ignored).
pub fn ess_tail(x: &[Vec<f64>]) -> f64 {
    let s = split_chains(x);
    let flat: Vec<f64> = x.iter().flatten().copied().collect();
    let v = sorted(&flat);
    ess_tail_with(&s, quantile_sorted(&v, 0.05), quantile_sorted(&v, 0.95))
}

/// `ess_tail` of the split chains `s` given the 5% and 95% quantiles.
fn ess_tail_with(s: &[Vec<f64>], q05: f64, q95: f64) -> f64 {
    let ind = |f: &dyn Fn(f64) -> bool| -> Vec<Vec<f64>> {
        s.iter()
            .map(|c| c.iter().map(|&v| if f(v) { 1.0 } else { 0.0 }).collect())
            .collect()
    };
    let a = ess_raw(&ind(&|v| v <= q05));
    let b = ess_raw(&ind(&|v| v >= q95));
    match (a.is_nan(), b.is_nan()) {
        (true, true) => f64::NAN,
        (true, false) => b,
        (false, true) => a,
        (false, false) => a.min(b),
    }
}

pub fn ess_mean(x: &[Vec<f64>]) -> f64 {
    ess_raw(&split_chains(x))
}

pub fn mcse_mean(x: &[Vec<f64>]) -> f64 {
    let flat: Vec<f64> = x.iter().flatten().copied().collect();
    (var(&flat, 1.0) / ess_mean(x)).sqrt()
}

/// MCSE of the posterior probability of an event, given its indicator per
/// draw (the decision rules' P(statement)).
pub fn mcse_probability(indicator: &[Vec<bool>]) -> f64 {
    let x: Vec<Vec<f64>> = indicator
        .iter()
        .map(|c| c.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect())
        .collect();
    let flat: Vec<f64> = x.iter().flatten().copied().collect();
    let v = var(&flat, 1.0);
    if v == 0.0 {
        return 0.0;
    }
    (v / ess_mean(&x)).sqrt()
}

/// MCSE of the `p` quantile (Vehtari et al. 2021, the posterior package's
/// `mcse_quantile`): ESS of the indicator x <= q_p (split chains), a beta
/// interval on the rank scale for ±1 sd, mapped back through the sorted
/// draws; half its width.
pub fn mcse_quantile(x: &[Vec<f64>], p: f64) -> f64 {
    quantile_and_mcse(x, p).1
}

/// (`quantile` of the pooled draws, `mcse_quantile`) from one sort.
pub fn quantile_and_mcse(x: &[Vec<f64>], p: f64) -> (f64, f64) {
    let flat: Vec<f64> = x.iter().flatten().copied().collect();
    if flat.is_empty() || !(0.0..=1.0).contains(&p) {
        return (f64::NAN, f64::NAN);
    }
    let v = sorted(&flat);
    let q = quantile_sorted(&v, p);
    (q, mcse_quantile_sorted(x, &v, q, p))
}

/// `mcse_quantile` given the sorted pooled draws `v` and the quantile `q`.
fn mcse_quantile_sorted(x: &[Vec<f64>], v: &[f64], q: f64, p: f64) -> f64 {
    let ind: Vec<Vec<f64>> = split_chains(x)
        .iter()
        .map(|c| c.iter().map(|&v| if v <= q { 1.0 } else { 0.0 }).collect())
        .collect();
    let ess = ess_raw(&ind);
    let s = v.len() as f64;
    let a = p * ess + 1.0;
    let b = (1.0 - p) * ess + 1.0;
    let Ok(beta) = statrs::distribution::Beta::new(a, b) else {
        return f64::NAN;
    };
    let std = Normal::standard();
    let lo = beta.inverse_cdf(std.cdf(-1.0));
    let hi = beta.inverse_cdf(std.cdf(1.0));
    // posterior's 1-based indices: max(floor(a1 S), 1) and min(ceil(a2 S), S).
    let i_lo = ((lo * s).floor() as usize).clamp(1, v.len()) - 1;
    let i_hi = ((hi * s).ceil() as usize).clamp(1, v.len()) - 1;
    (v[i_hi] - v[i_lo]) / 2.0
}

/// All of diag.py's `summarise`. Shares the intermediate results of the
/// separate functions (one split, one sort for the quantiles, one bulk
/// rank-normalisation for R-hat and ESS, one mean ESS for ESS and MCSE): the
/// same operations on the same values, so the same bits.
pub fn summarise(x: &[Vec<f64>]) -> Summary {
    let split = split_chains(x);
    let flat: Vec<f64> = x.iter().flatten().copied().collect();
    let v = sorted(&flat);
    let z_bulk = z_scale(&split);
    let (r, rb, rt) = rhat_with(x, rhat_raw(&z_bulk), quantile_sorted(&v, 0.5));
    let ess_m = ess_raw(&split);
    let var_flat = var(&flat, 1.0);
    Summary {
        mean: mean(&flat),
        sd: var_flat.sqrt(),
        rhat: r,
        rhat_bulk: rb,
        rhat_tail: rt,
        ess_bulk: ess_raw(&z_bulk),
        ess_tail: ess_tail_with(&split, quantile_sorted(&v, 0.05), quantile_sorted(&v, 0.95)),
        ess_mean: ess_m,
        mcse_mean: (var_flat / ess_m).sqrt(),
    }
}

/// Energy Bayesian fraction of missing information of one chain's energies.
pub fn e_bfmi(energy: &[f64]) -> f64 {
    if energy.len() < 2 {
        return f64::NAN;
    }
    let num: f64 = energy
        .windows(2)
        .map(|w| (w[1] - w[0]) * (w[1] - w[0]))
        .sum();
    let m = mean(energy);
    let den: f64 = energy.iter().map(|e| (e - m) * (e - m)).sum();
    num / den
}

/// Sampler health of one chain.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ChainHealth {
    pub divergences: usize,
    pub max_treedepth_hits: usize,
    pub e_bfmi: f64,
    pub mean_accept: f64,
}

pub fn chain_health(stats: &[SampleStats], max_depth: usize) -> ChainHealth {
    let energy: Vec<f64> = stats.iter().map(|s| s.energy).collect();
    ChainHealth {
        divergences: stats.iter().filter(|s| s.divergent).count(),
        max_treedepth_hits: stats
            .iter()
            .filter(|s| s.treedepth as usize >= max_depth)
            .count(),
        e_bfmi: e_bfmi(&energy),
        mean_accept: if stats.is_empty() {
            f64::NAN
        } else {
            stats.iter().map(|s| s.accept_stat).sum::<f64>() / stats.len() as f64
        },
    }
}

/// docs/model.md's warnings for one quantity: R-hat > 1.01, bulk-ESS < 400.
pub fn quantity_warnings(name: &str, s: &Summary) -> Vec<String> {
    let mut w = Vec::new();
    if !(s.rhat <= 1.01) {
        w.push(format!("{name}: R-hat {:.3} > 1.01", s.rhat));
    }
    if !(s.ess_bulk >= 400.0) {
        w.push(format!("{name}: bulk-ESS {:.0} < 400", s.ess_bulk));
    }
    w
}

/// Sampler warnings: any divergence, tree depth saturation, E-BFMI < 0.3 (as Stan).
pub fn sampler_warnings(health: &[ChainHealth]) -> Vec<String> {
    let mut w = Vec::new();
    for (c, h) in health.iter().enumerate() {
        if h.divergences > 0 {
            w.push(format!(
                "chain {}: {} divergent transitions",
                c + 1,
                h.divergences
            ));
        }
        if h.max_treedepth_hits > 0 {
            w.push(format!(
                "chain {}: {} transitions hit the maximum tree depth",
                c + 1,
                h.max_treedepth_hits
            ));
        }
        if h.e_bfmi < 0.3 {
            w.push(format!("chain {}: E-BFMI {:.2} < 0.3", c + 1, h.e_bfmi));
        }
    }
    w
}
