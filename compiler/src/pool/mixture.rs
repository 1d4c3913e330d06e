//! Normal mixtures fitted to draws, as RBesT's `automixfit` fits a
//! meta-analytic-predictive prior: EM for 1 to [`MAX_COMPONENTS`]
//! components, each started from equal-count slices of the sorted draws
//! (deterministic), the number of components chosen by BIC (RBesT's
//! default is AIC; with thousands of draws AIC keeps narrow components that
//! describe Monte Carlo noise, BIC does not); then a robust component added
//! with a fixed weight (RBesT's `robustify`).
//!
//! Pure and deterministic: the same draws give the same mixture, bit for bit.

use crate::hypotheses::MixtureComponent;

/// The most components tried.
pub const MAX_COMPONENTS: usize = 4;

/// A component whose weight falls below this makes that number of
/// components a failed fit (it describes no part of the draws).
const MIN_WEIGHT: f64 = 0.005;

fn ln_normal(v: f64, m: f64, s: f64) -> f64 {
    -0.5 * ((v - m) / s).powi(2) - s.ln() - 0.918_938_533_204_672_8
}

/// Mean and SD (n - 1) of a sample.
fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

/// A `k`-component normal mixture fitted to `x` by EM, and its log
/// likelihood; `None` when the sample is too small or degenerate or a
/// component vanishes.
pub fn fit(x: &[f64], k: usize) -> Option<(Vec<MixtureComponent>, f64)> {
    let n = x.len();
    if k == 0 || n < 10 * k {
        return None;
    }
    let (_, total_sd) = mean_sd(x);
    if !(total_sd > 0.0 && total_sd.is_finite()) {
        return None;
    }
    let floor = total_sd * 1e-3;
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut w = vec![1.0 / k as f64; k];
    let mut mu = Vec::with_capacity(k);
    let mut sd = Vec::with_capacity(k);
    for j in 0..k {
        let slice = &sorted[j * n / k..(j + 1) * n / k];
        let (m, s) = mean_sd(slice);
        mu.push(m);
        sd.push(s.max(floor).max(total_sd / (4.0 * k as f64)));
    }
    let mut resp = vec![0.0; n * k];
    let mut last = f64::NEG_INFINITY;
    let mut loglik = f64::NEG_INFINITY;
    for _ in 0..2000 {
        // E step, in logs.
        loglik = 0.0;
        for (i, &v) in x.iter().enumerate() {
            let row = &mut resp[i * k..(i + 1) * k];
            let mut top = f64::NEG_INFINITY;
            for j in 0..k {
                row[j] = w[j].ln() + ln_normal(v, mu[j], sd[j]);
                top = top.max(row[j]);
            }
            let mut s = 0.0;
            for r in row.iter_mut() {
                *r = (*r - top).exp();
                s += *r;
            }
            for r in row.iter_mut() {
                *r /= s;
            }
            loglik += top + s.ln();
        }
        // M step.
        for j in 0..k {
            let nj: f64 = (0..n).map(|i| resp[i * k + j]).sum();
            if nj < MIN_WEIGHT * n as f64 {
                return None;
            }
            let m = (0..n).map(|i| resp[i * k + j] * x[i]).sum::<f64>() / nj;
            let v = (0..n)
                .map(|i| resp[i * k + j] * (x[i] - m).powi(2))
                .sum::<f64>()
                / nj;
            w[j] = nj / n as f64;
            mu[j] = m;
            sd[j] = v.sqrt().max(floor);
        }
        if (loglik - last).abs() < 1e-10 * n as f64 {
            break;
        }
        last = loglik;
    }
    if !loglik.is_finite() {
        return None;
    }
    let mut comps: Vec<MixtureComponent> = (0..k)
        .map(|j| MixtureComponent {
            weight: w[j],
            mean: mu[j],
            sd: sd[j],
        })
        .collect();
    // Heaviest first; weights renormalised to add up to 1 exactly enough.
    comps.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    Some((comps, loglik))
}

/// The mixture with 1..=[`MAX_COMPONENTS`] components that has the
/// smallest BIC (-2 log likelihood + (3k - 1) ln n), with that BIC; one
/// normal (the draws' mean and SD) when nothing else fits.
pub fn automix(x: &[f64]) -> (Vec<MixtureComponent>, f64) {
    let mut best: Option<(Vec<MixtureComponent>, f64)> = None;
    for k in 1..=MAX_COMPONENTS {
        if let Some((comps, ll)) = fit(x, k) {
            let bic = -2.0 * ll + (3 * k - 1) as f64 * (x.len() as f64).ln();
            if best.as_ref().is_none_or(|(_, b)| bic < *b) {
                best = Some((comps, bic));
            }
        }
    }
    best.unwrap_or_else(|| {
        let (mean, sd) = if x.len() >= 2 {
            mean_sd(x)
        } else {
            (x.first().copied().unwrap_or(0.0), 1.0)
        };
        (
            vec![MixtureComponent {
                weight: 1.0,
                mean,
                sd: if sd > 0.0 { sd } else { 1.0 },
            }],
            f64::NAN,
        )
    })
}

/// `mix` robustified: its weights scaled by (1 - r) and a vague component
/// normal(`mean`, `sd`) of weight r appended (r = 0 leaves it as it is).
pub fn robustify(mix: &[MixtureComponent], r: f64, mean: f64, sd: f64) -> Vec<MixtureComponent> {
    if r <= 0.0 {
        return mix.to_vec();
    }
    let mut out: Vec<MixtureComponent> = mix
        .iter()
        .map(|c| MixtureComponent {
            weight: c.weight * (1.0 - r),
            ..c.clone()
        })
        .collect();
    out.push(MixtureComponent {
        weight: r,
        mean,
        sd,
    });
    out
}

/// Mean and SD of a normal mixture.
pub fn moments(mix: &[MixtureComponent]) -> (f64, f64) {
    let mean: f64 = mix.iter().map(|c| c.weight * c.mean).sum();
    let second: f64 = mix
        .iter()
        .map(|c| c.weight * (c.sd * c.sd + c.mean * c.mean))
        .sum();
    (mean, (second - mean * mean).max(0.0).sqrt())
}

/// The CDF of a normal mixture at `v`.
pub fn cdf(mix: &[MixtureComponent], v: f64) -> f64 {
    trialc_runtime::mir::Prior::Mixture(
        mix.iter()
            .map(|c| trialc_runtime::mir::MixtureComponent {
                weight: c.weight,
                dist: trialc_runtime::mir::Dist::Normal {
                    mu: c.mean,
                    sigma: c.sd,
                },
            })
            .collect(),
    )
    .normal_mixture_cdf(v)
    .unwrap_or(f64::NAN)
}

/// The `p` quantile of a normal mixture (bisection on the CDF).
pub fn quantile(mix: &[MixtureComponent], p: f64) -> f64 {
    let lo0 = mix
        .iter()
        .map(|c| c.mean - 40.0 * c.sd)
        .fold(f64::INFINITY, f64::min);
    let hi0 = mix
        .iter()
        .map(|c| c.mean + 40.0 * c.sd)
        .fold(f64::NEG_INFINITY, f64::max);
    let (mut lo, mut hi) = (lo0, hi0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cdf(mix, mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic normal draws (Box-Muller on a fixed LCG).
    fn draws(parts: &[(f64, f64, usize)], seed: u64) -> Vec<f64> {
        let mut state = seed;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let mut out = Vec::new();
        for &(m, s, n) in parts {
            for _ in 0..n {
                let (u, v) = (uniform(), uniform());
                out.push(m + s * (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos());
            }
        }
        out
    }

    #[test]
    fn bic_picks_one_normal_for_normal_draws_and_two_for_two() {
        let one = draws(&[(0.3, 1.2, 4000)], 1);
        let (m, _) = automix(&one);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!((m[0].mean - 0.3).abs() < 0.06 && (m[0].sd - 1.2).abs() < 0.05);
        let two = draws(&[(-2.0, 0.5, 2800), (1.5, 0.7, 1200)], 2);
        let (m, _) = automix(&two);
        assert!(m.len() >= 2, "{m:?}");
        assert!((m[0].weight - 0.7).abs() < 0.05, "{m:?}");
        assert!((m[0].mean + 2.0).abs() < 0.1 && (m[1].mean - 1.5).abs() < 0.15);
        // The fit keeps the sample's mean (EM's fixed point).
        let (mean, _) = moments(&m);
        let sample = two.iter().sum::<f64>() / two.len() as f64;
        assert!((mean - sample).abs() < 1e-6);
    }

    #[test]
    fn robustify_adds_the_vague_component_and_quantiles_invert_the_cdf() {
        let base = vec![MixtureComponent {
            weight: 1.0,
            mean: 1.0,
            sd: 0.5,
        }];
        let r = robustify(&base, 0.2, 0.0, 5.0);
        assert_eq!(r.len(), 2);
        assert!((r[0].weight - 0.8).abs() < 1e-15 && (r[1].weight - 0.2).abs() < 1e-15);
        let (mean, sd) = moments(&r);
        assert!((mean - 0.8).abs() < 1e-12);
        // Var = 0.8 (0.25 + 1) + 0.2 (25) - 0.64.
        assert!((sd * sd - (0.8 * 1.25 + 5.0 - 0.64)).abs() < 1e-12);
        for p in [0.05, 0.5, 0.95] {
            assert!((cdf(&r, quantile(&r, p)) - p).abs() < 1e-10);
        }
        // A normal's quantile is the textbook one.
        assert!((quantile(&base, 0.975) - (1.0 + 0.5 * 1.959_963_984_540_054)).abs() < 1e-9);
    }
}
