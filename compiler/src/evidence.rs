//! Evidence back out: each fitted effect's posterior as the next trial's prior.
//!
//! **Export** (`trialc run --export-evidence FILE`): each fitted effect's
//! posterior in the interchange format `trialc-hypotheses/1`
//! (docs/hypotheses.md), so it can be the next trial's prior or go back to
//! the population model. The normal approximation is the draws' mean and SD;
//! when the draws are clearly non-normal (|skewness| > 0.5 or |excess
//! kurtosis| > 1) a two-component normal mixture fitted by EM is added.
//! Provenance: generator `trialc` + version; `prompt_sha256` = the SHA-256
//! of the run's inputs ([`inputs_sha256`]: the spec, the hypotheses files it
//! read and the diary — what trialc was "asked"); `trial.spec_sha256` = the
//! SHA-256 of the spec text; `created` = the diary's last date (never the
//! wall clock).
//!
//! The sensitivity of the decision to LFM priors is in
//! `analysis::sensitivity`.
//!
//! Pure: no files, no clock.

use sha2::{Digest, Sha256};
use trialc_runtime::posterior::Posterior;

use crate::analysis::effects::{element_of, flat_draws};
use crate::data::Diary;
use crate::hir::{self, Direction};
use crate::hypotheses::{
    EffectSize, Generator, HypothesesFile, Hypothesis, MixtureComponent, TrialProvenance, FORMAT,
};
use crate::lower::{LoweredOutcome, Role};
use crate::schedule::Schedule;

/// SHA-256 of a text, lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The SHA-256 of a run's inputs, in order (the spec, each hypotheses file
/// in spec order, the diary), each preceded by its length in bytes as 8
/// little-endian bytes so that no two different input lists hash alike.
pub fn inputs_sha256(texts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for text in texts {
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Mean, SD (n - 1), skewness and excess kurtosis of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub mean: f64,
    pub sd: f64,
    pub skewness: f64,
    pub excess_kurtosis: f64,
}

pub fn moments(x: &[f64]) -> Moments {
    let n = x.len() as f64;
    if x.len() < 2 {
        return Moments {
            mean: x.first().copied().unwrap_or(0.0),
            sd: 0.0,
            skewness: 0.0,
            excess_kurtosis: 0.0,
        };
    }
    let mean = x.iter().sum::<f64>() / n;
    let m2 = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m3 = x.iter().map(|v| (v - mean).powi(3)).sum::<f64>() / n;
    let m4 = x.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
    let (skewness, excess_kurtosis) = if m2 > 0.0 {
        (m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0)
    } else {
        (0.0, 0.0)
    };
    Moments {
        mean,
        sd: (m2 * n / (n - 1.0)).sqrt(),
        skewness,
        excess_kurtosis,
    }
}

/// The rule of docs/hypotheses.md for adding a mixture to exported evidence.
pub fn clearly_non_normal(m: &Moments) -> bool {
    m.skewness.abs() > 0.5 || m.excess_kurtosis.abs() > 1.0
}

/// A two-component normal mixture fitted to `x` by EM (started from the
/// lower and upper halves of the sorted sample; deterministic). `None` when
/// the sample is too small or degenerate, or a component vanishes.
pub fn fit_two_normals(x: &[f64]) -> Option<Vec<MixtureComponent>> {
    if x.len() < 20 {
        return None;
    }
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let half = sorted.len() / 2;
    let (lo, hi) = sorted.split_at(half);
    let (a, b) = (moments(lo), moments(hi));
    let total = moments(x);
    if total.sd <= 0.0 {
        return None;
    }
    let floor = total.sd * 1e-3;
    let mut w = [0.5, 0.5];
    let mut mu = [a.mean, b.mean];
    let mut sd = [a.sd.max(floor), b.sd.max(floor)];
    let normal = |v: f64, m: f64, s: f64| {
        (-0.5 * ((v - m) / s).powi(2)).exp() / (s * (2.0 * std::f64::consts::PI).sqrt())
    };
    let mut resp = vec![0.0; x.len()];
    for _ in 0..500 {
        for (r, &v) in resp.iter_mut().zip(x) {
            let p0 = w[0] * normal(v, mu[0], sd[0]);
            let p1 = w[1] * normal(v, mu[1], sd[1]);
            *r = if p0 + p1 > 0.0 { p0 / (p0 + p1) } else { 0.5 };
        }
        let n0: f64 = resp.iter().sum();
        let n1 = x.len() as f64 - n0;
        if n0 < 1.0 || n1 < 1.0 {
            return None;
        }
        let m0 = resp.iter().zip(x).map(|(r, v)| r * v).sum::<f64>() / n0;
        let m1 = resp.iter().zip(x).map(|(r, v)| (1.0 - r) * v).sum::<f64>() / n1;
        let v0 = resp
            .iter()
            .zip(x)
            .map(|(r, v)| r * (v - m0).powi(2))
            .sum::<f64>()
            / n0;
        let v1 = resp
            .iter()
            .zip(x)
            .map(|(r, v)| (1.0 - r) * (v - m1).powi(2))
            .sum::<f64>()
            / n1;
        let new_w = [n0 / x.len() as f64, n1 / x.len() as f64];
        let moved = (new_w[0] - w[0]).abs() + (m0 - mu[0]).abs() / total.sd;
        w = new_w;
        mu = [m0, m1];
        sd = [v0.sqrt().max(floor), v1.sqrt().max(floor)];
        if moved < 1e-9 {
            break;
        }
    }
    if w.iter().any(|w| *w < 0.05) {
        return None;
    }
    Some(
        (0..2)
            .map(|k| MixtureComponent {
                weight: w[k],
                mean: mu[k],
                sd: sd[k],
            })
            .collect(),
    )
}

/// The date of a trial day, or "unknown" when the schedule has no start.
fn date(schedule: &Schedule, day: Option<u64>) -> String {
    day.and_then(|d| schedule.date_of_day(d)).map_or_else(
        || "unknown".to_string(),
        |d| d.format("%Y-%m-%d").to_string(),
    )
}

/// Each fitted effect's posterior as a hypotheses file (see the module doc).
/// `participant` comes from the hypotheses file the spec read, if any;
/// `inputs` is [`inputs_sha256`] of the run's inputs.
#[allow(clippy::too_many_arguments)]
pub fn export(
    spec: &hir::Spec,
    spec_text: &str,
    inputs: &str,
    schedule: &Schedule,
    diary: &Diary,
    fits: &[(LoweredOutcome, Posterior)],
    participant: Option<&str>,
) -> HypothesesFile {
    let hash = sha256_hex(spec_text);
    let first = diary.rows.first().map(|r| r.day);
    let last = diary.rows.last().map(|r| r.day);
    let mut ordered: Vec<&(LoweredOutcome, Posterior)> = fits.iter().collect();
    ordered.sort_by_key(|(l, _)| l.outcome);
    let reference = spec
        .arms
        .get(spec.reference)
        .map_or("the reference arm", |a| a.name.as_str());
    let mut found: Vec<(f64, Hypothesis)> = Vec::new();
    for (lowered, post) in ordered {
        let Some(outcome) = spec.outcomes.get(lowered.outcome) else {
            continue;
        };
        for p in &lowered.params {
            let Role::Effect { arm } = p.role else {
                continue;
            };
            let Some(k) = element_of(lowered, p) else {
                continue;
            };
            let draws = flat_draws(post, k);
            if draws.is_empty() {
                continue;
            }
            let m = moments(&draws);
            let mixture = if clearly_non_normal(&m) {
                fit_two_normals(&draws)
            } else {
                None
            };
            let better = draws
                .iter()
                .filter(|d| match outcome.better {
                    Direction::Lower => **d < 0.0,
                    Direction::Higher => **d > 0.0,
                })
                .count() as f64
                / draws.len() as f64;
            let arm_name = spec.arms.get(arm).map_or("?", |a| a.name.as_str());
            let rationale = format!(
                "Posterior of {} on {} against {reference} in trial `{}` ({} analysed days: {} on {arm_name}, {} on {reference}; {} chains x {} draws), under the prior {}. P(effect in the better direction) = {:.3}.{}",
                p.name,
                outcome.name,
                spec.trial.id,
                lowered.analysis.n(),
                lowered.analysis.n_on_arm(arm),
                lowered.analysis.n_on_arm(spec.reference),
                post.num_chains,
                post.num_draws,
                p.prior_text,
                better,
                if mixture.is_some() {
                    " The draws are not normal (skewness or kurtosis), so a two-component normal mixture fitted by EM is given too."
                } else {
                    ""
                }
            );
            found.push((
                better,
                Hypothesis {
                    id: String::new(),
                    rank: 0,
                    intervention: arm_name.to_string(),
                    outcome: outcome.name.clone(),
                    effect: EffectSize {
                        mean: m.mean,
                        sd: m.sd,
                        scale: Some(outcome.kind.effect_scale().to_string()),
                        mixture,
                    },
                    rationale: Some(rationale),
                },
            ));
        }
    }
    // Rank by the probability of benefit; stable, so ties keep spec order.
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    let hypotheses = found
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut h))| {
            h.id = format!("E{}", i + 1);
            h.rank = i as u32 + 1;
            h
        })
        .collect();
    HypothesesFile {
        format: FORMAT.to_string(),
        generator: Generator {
            model: "trialc".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            prompt_sha256: inputs.to_string(),
            created: date(schedule, last),
        },
        participant: participant.map(str::to_string),
        trial: Some(TrialProvenance {
            id: spec.trial.id.clone(),
            spec_sha256: hash,
            first_date: date(schedule, first),
            last_date: date(schedule, last),
            spec_version: spec.trial.version.clone(),
        }),
        hypotheses,
    }
}

/// Pretty JSON with a final newline.
pub fn to_json(file: &HypothesesFile) -> String {
    let mut text = serde_json::to_string_pretty(file).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_known_text() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn inputs_hash_their_lengths_and_texts_in_order() {
        // SHA-256 of (3 as u64 LE) "abc" (0 as u64 LE), computed byte by byte.
        let mut bytes = 3u64.to_le_bytes().to_vec();
        bytes.extend(b"abc");
        bytes.extend(0u64.to_le_bytes());
        let expected: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(inputs_sha256(&["abc", ""]), expected);
        // Moving a byte between inputs changes the hash.
        assert_ne!(inputs_sha256(&["ab", "c"]), inputs_sha256(&["a", "bc"]));
    }

    #[test]
    fn em_recovers_two_separated_normals() {
        // Deterministic normal draws: Box-Muller on a fixed LCG stream.
        let mut state: u64 = 12345;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let mut grid = |m: f64, s: f64, n: usize| -> Vec<f64> {
            (0..n)
                .map(|_| {
                    let (u, v) = (uniform(), uniform());
                    m + s * (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
                })
                .collect()
        };
        let mut x = grid(-2.0, 0.5, 700);
        x.extend(grid(1.5, 0.7, 300));
        let m = moments(&x);
        assert!(clearly_non_normal(&m), "{m:?}");
        let c = fit_two_normals(&x).expect("fit");
        assert!((c[0].weight - 0.7).abs() < 0.05, "{c:?}");
        assert!(
            (c[0].mean + 2.0).abs() < 0.15 && (c[1].mean - 1.5).abs() < 0.2,
            "{c:?}"
        );
        // The mixture keeps the sample's mean.
        let mean: f64 = c.iter().map(|k| k.weight * k.mean).sum();
        assert!((mean - m.mean).abs() < 1e-6);
        // A unimodal symmetric sample is not flagged.
        assert!(!clearly_non_normal(&moments(&grid(0.0, 1.0, 1000))));
    }
}
