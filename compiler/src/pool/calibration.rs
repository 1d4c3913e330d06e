//! How far to trust the foundation model: each LFM hypothesis that a
//! participant's spec took as the prior of an effect, against what that
//! participant's own data say about the effect.
//!
//! For hypothesis i (predicted mean m_i, stated SD s_i) the data give a
//! likelihood for the effect, summarised as a normal with mean d_i and SD
//! e_i (from the participant's fit under the sceptical prior with that
//! prior divided out, or from their exported evidence divided by its
//! prior). Then:
//!
//! - **PIT** u_i = Phi((d_i - m_i) / sqrt(s_i^2 + e_i^2)), uniform when the
//!   model is calibrated (the estimate's own noise included); a histogram
//!   of 10 bins, and the **coverage** of the model's central 50%, 80% and
//!   90% intervals (|z_i| below 0.674, 1.282, 1.645) against the nominal.
//! - **Ranking**: Spearman's correlation between the predicted and the
//!   observed benefit over all hypotheses, and within people who tested
//!   several, the fraction of pairs the model ordered as the data did.
//! - **The discount w and robust weight r the series supports**, as a
//!   posterior on a grid (w in (0, 1], r in [0, 1), both uniform a priori):
//!
//!   ```text
//!   p(d_i | w, r) = (1 - r) N(d_i | m_i, sqrt(s_i^2 / w + e_i^2))
//!                   + r N(d_i | 0, sqrt(V^2 + e_i^2))
//!   ```
//!
//!   with V the outcome's unit-information scale: the same mixture a spec
//!   writes as `discount w robust r`, each person's data summarised by
//!   their likelihood. An over-confident model (true spread c s_i) gives
//!   w near 1 / c^2.
//!
//! Pure and deterministic (quadrature, no sampling).

use serde::Serialize;

/// One hypothesis against its participant's data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub participant: String,
    pub arm: String,
    /// `source.id` of the hypothesis.
    pub hypothesis: String,
    /// The model that produced it (generator model and version).
    pub model: String,
    pub rank: u32,
    pub predicted_mean: f64,
    pub predicted_sd: f64,
    /// The likelihood's summary: mean d and SD e.
    pub observed: f64,
    pub observed_sd: f64,
    /// (d - m) / sqrt(s^2 + e^2) and its normal CDF.
    pub z: f64,
    pub pit: f64,
}

impl Entry {
    /// An entry with its z and PIT computed.
    pub fn new(
        participant: String,
        arm: String,
        hypothesis: String,
        model: String,
        rank: u32,
        (m, s): (f64, f64),
        (d, e): (f64, f64),
    ) -> Entry {
        let z = (d - m) / (s * s + e * e).sqrt();
        Entry {
            participant,
            arm,
            hypothesis,
            model,
            rank,
            predicted_mean: m,
            predicted_sd: s,
            observed: d,
            observed_sd: e,
            z,
            pit: phi(z),
        }
    }
}

/// The coverage of the model's central intervals at one level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub level: f64,
    /// The fraction of hypotheses whose interval held the observed effect.
    pub observed: f64,
}

/// A posterior on a grid, summarised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub mean: f64,
    pub median: f64,
    pub q5: f64,
    pub q95: f64,
}

/// The calibration of a series' LFM hypotheses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub entries: Vec<Entry>,
    pub coverage: Vec<Coverage>,
    /// Counts of the PIT values in 10 equal bins of [0, 1].
    pub pit_histogram: Vec<usize>,
    /// Spearman's rank correlation of predicted and observed benefit
    /// (at least 3 hypotheses).
    pub rank_correlation: Option<f64>,
    /// Among people with several hypotheses: the fraction of pairs ordered
    /// by the model as by the data.
    pub pairs_ordered_alike: Option<f64>,
    /// The discount w the series supports.
    pub discount: Summary,
    /// The robust weight r the series supports.
    pub robust: Summary,
    /// 1 / sqrt(w): how many times too narrow the model's SDs are.
    pub inflation: Summary,
    /// The vague component's SD V.
    pub vague_sd: f64,
    /// The values for the next person's spec (posterior medians).
    pub recommended_discount: f64,
    pub recommended_robust: f64,
    pub verdict: String,
}

/// The standard normal CDF.
pub fn phi(z: f64) -> f64 {
    trialc_runtime::mir::Prior::Dist(trialc_runtime::mir::Dist::Normal {
        mu: 0.0,
        sigma: 1.0,
    })
    .normal_mixture_cdf(z)
    .unwrap_or(f64::NAN)
}

fn ln_normal(v: f64, m: f64, s: f64) -> f64 {
    -0.5 * ((v - m) / s).powi(2) - s.ln() - 0.918_938_533_204_672_8
}

/// Average ranks (1-based; ties share their mean rank).
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = mean;
        }
        i = j + 1;
    }
    r
}

/// Pearson's correlation of two equally long samples (NaN if constant).
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    sab / (saa * sbb).sqrt()
}

/// Summary of a 1-D grid posterior (values increasing, weights >= 0).
fn summarise(values: &[f64], weights: &[f64]) -> Summary {
    let total: f64 = weights.iter().sum();
    let mean = values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total;
    let quantile = |p: f64| {
        let mut acc = 0.0;
        for (v, w) in values.iter().zip(weights) {
            acc += w / total;
            if acc >= p {
                return *v;
            }
        }
        values.last().copied().unwrap_or(f64::NAN)
    };
    Summary {
        mean,
        median: quantile(0.5),
        q5: quantile(0.05),
        q95: quantile(0.95),
    }
}

/// Grid sizes of the discount posterior.
const W_POINTS: usize = 400;
const R_POINTS: usize = 100;

/// The calibration of `entries` (at least one); `benefit` is +1 when
/// higher effects are better, -1 when lower; `vague_sd` is V.
pub fn calibrate(entries: Vec<Entry>, vague_sd: f64, benefit: f64) -> Option<Calibration> {
    if entries.is_empty() || vague_sd.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let n = entries.len() as f64;
    let coverage = [
        (0.5, 0.674_489_750_196_081_7),
        (0.8, 1.281_551_565_544_600_5),
        (0.9, 1.644_853_626_951_472_7),
    ]
    .iter()
    .map(|&(level, zc)| Coverage {
        level,
        observed: entries.iter().filter(|e| e.z.abs() <= zc).count() as f64 / n,
    })
    .collect();
    let mut pit_histogram = vec![0usize; 10];
    for e in &entries {
        pit_histogram[((e.pit * 10.0) as usize).min(9)] += 1;
    }
    let rank_correlation = (entries.len() >= 3).then(|| {
        let p: Vec<f64> = entries.iter().map(|e| benefit * e.predicted_mean).collect();
        let o: Vec<f64> = entries.iter().map(|e| benefit * e.observed).collect();
        correlation(&ranks(&p), &ranks(&o))
    });
    let mut pairs = (0usize, 0usize);
    for (i, a) in entries.iter().enumerate() {
        for b in entries.iter().skip(i + 1) {
            if a.participant == b.participant && a.predicted_mean != b.predicted_mean {
                pairs.1 += 1;
                let model = (a.predicted_mean - b.predicted_mean) * benefit;
                let data = (a.observed - b.observed) * benefit;
                if model * data > 0.0 {
                    pairs.0 += 1;
                }
            }
        }
    }
    let pairs_ordered_alike = (pairs.1 > 0).then(|| pairs.0 as f64 / pairs.1 as f64);

    // The (w, r) grid.
    let ws: Vec<f64> = (0..W_POINTS)
        .map(|j| (j as f64 + 0.5) / W_POINTS as f64)
        .collect();
    let rs: Vec<f64> = (0..R_POINTS)
        .map(|l| (l as f64 + 0.5) / R_POINTS as f64)
        .collect();
    let vague: Vec<f64> = entries
        .iter()
        .map(|e| {
            ln_normal(
                e.observed,
                0.0,
                (vague_sd * vague_sd + e.observed_sd.powi(2)).sqrt(),
            )
        })
        .collect();
    let mut logpost = vec![0.0; W_POINTS * R_POINTS];
    for (j, &w) in ws.iter().enumerate() {
        let informative: Vec<f64> = entries
            .iter()
            .map(|e| {
                let sd = (e.predicted_sd.powi(2) / w + e.observed_sd.powi(2)).sqrt();
                ln_normal(e.observed, e.predicted_mean, sd)
            })
            .collect();
        for (l, &r) in rs.iter().enumerate() {
            let (a, b) = ((1.0 - r).ln(), r.ln());
            let mut total = 0.0;
            for (li, lv) in informative.iter().zip(&vague) {
                let (x, y) = (a + li, b + lv);
                let top = x.max(y);
                total += top + ((x - top).exp() + (y - top).exp()).ln();
            }
            logpost[j * R_POINTS + l] = total;
        }
    }
    let top = logpost.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logpost.iter().map(|l| (l - top).exp()).collect();
    let w_marginal: Vec<f64> = (0..W_POINTS)
        .map(|j| weights[j * R_POINTS..(j + 1) * R_POINTS].iter().sum())
        .collect();
    let r_marginal: Vec<f64> = (0..R_POINTS)
        .map(|l| (0..W_POINTS).map(|j| weights[j * R_POINTS + l]).sum())
        .collect();
    let discount = summarise(&ws, &w_marginal);
    let robust = summarise(&rs, &r_marginal);
    // 1 / sqrt(w) is decreasing in w: its values in increasing order.
    let inflation_values: Vec<f64> = ws.iter().rev().map(|w| 1.0 / w.sqrt()).collect();
    let inflation_weights: Vec<f64> = w_marginal.iter().rev().copied().collect();
    let inflation = summarise(&inflation_values, &inflation_weights);
    let verdict = if inflation.q5 > 1.2 {
        format!(
            "the model is over-confident: its stated SDs are about {:.1} times too small (90% interval {:.1} to {:.1}); take its hypotheses with discount {:.2}",
            inflation.median, inflation.q5, inflation.q95, discount.median
        )
    } else if discount.q5 > 0.5 {
        format!(
            "the model's stated uncertainty fits the data (discount 90% interval {:.2} to {:.2}); its hypotheses may be taken close to face value",
            discount.q5, discount.q95
        )
    } else {
        format!(
            "the series cannot yet tell how far to trust the model (discount 90% interval {:.2} to {:.2}); a cautious discount is {:.2}",
            discount.q5, discount.q95, discount.median
        )
    };
    Some(Calibration {
        entries,
        coverage,
        pit_histogram,
        rank_correlation,
        pairs_ordered_alike,
        recommended_discount: discount.median,
        recommended_robust: robust.median,
        discount,
        robust,
        inflation,
        vague_sd,
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trialc_runtime::rng::ChainRng;

    /// A simulated series: the model predicts m_i with stated SD s_i, the
    /// true effects spread `c` s_i around m_i, each trial estimates its
    /// effect with SD e_i.
    fn series(c: f64, people: usize, seed: u64) -> Vec<Entry> {
        let mut r = ChainRng::new(seed, 0);
        (0..people)
            .map(|i| {
                let m = -1.0 + r.normal();
                let s = 0.4 + 0.4 * r.uniform();
                let truth = m + c * s * r.normal();
                let e = 0.2 + 0.3 * r.uniform();
                let d = truth + e * r.normal();
                Entry::new(
                    format!("P{i}"),
                    "a".into(),
                    format!("lfm.H{i}"),
                    "lfm 1".into(),
                    1,
                    (m, s),
                    (d, e),
                )
            })
            .collect()
    }

    #[test]
    fn an_over_confident_model_is_found_out_by_the_factor_it_is_off() {
        // Twice too confident: w = 1 / 4.
        let c = calibrate(series(2.0, 300, 1), 5.0, -1.0).expect("calibration");
        assert!(
            c.discount.q5 < 0.25 && 0.25 < c.discount.q95,
            "{:?}",
            c.discount
        );
        assert!((c.discount.median - 0.25).abs() < 0.08, "{:?}", c.discount);
        assert!(
            c.inflation.q5 > 1.5 && c.inflation.q95 < 2.6,
            "{:?}",
            c.inflation
        );
        assert!(c.robust.median < 0.15, "{:?}", c.robust);
        assert!(c.verdict.contains("over-confident"), "{}", c.verdict);
        // Its 50% intervals hold far fewer than half of the effects.
        assert!(c.coverage[0].observed < 0.4, "{:?}", c.coverage);
        // A calibrated model is taken at face value.
        let c = calibrate(series(1.0, 300, 2), 5.0, -1.0).expect("calibration");
        assert!(
            c.discount.q95 > 0.9 && c.discount.median > 0.6,
            "{:?}",
            c.discount
        );
        assert!(
            (c.coverage[0].observed - 0.5).abs() < 0.1,
            "{:?}",
            c.coverage
        );
        assert!(c.rank_correlation.expect("n >= 3") > 0.5);
    }

    #[test]
    fn a_model_wrong_for_some_people_needs_a_robust_weight() {
        // A third of the people have effects far from the prediction.
        let mut e = series(1.0, 300, 3);
        for (i, x) in e.iter_mut().enumerate() {
            if i % 3 == 0 {
                *x = Entry::new(
                    x.participant.clone(),
                    x.arm.clone(),
                    x.hypothesis.clone(),
                    x.model.clone(),
                    1,
                    (x.predicted_mean, x.predicted_sd),
                    (x.predicted_mean + 4.0, x.observed_sd),
                );
            }
        }
        let c = calibrate(e, 5.0, -1.0).expect("calibration");
        assert!(c.robust.q5 > 0.15 && c.robust.q95 < 0.55, "{:?}", c.robust);
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
        assert!((correlation(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-15);
    }
}
