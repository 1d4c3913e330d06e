//! Bit-for-bit reproducibility of the sampler and the summaries: a hash of
//! everything a fit returns (draws, per-draw statistics, warmup statistics,
//! step sizes, metrics, gradient counts, constrained draws, summaries,
//! warnings, and the quantiles and probabilities the report asks for) for
//! fixed seeds, pinned on the code before any performance work (and re-pinned
//! once, deliberately, when the momenta of the cross-subtree U-turn checks
//! were corrected to Stan's: p_bck_fwd = p_fwd_fwd). A change to
//! the sampler or the diagnostics that moves a single bit of any result fails
//! here; an intended change of results must update the pins deliberately.
//!
//! Models: the three outcomes of the magnesium-migraine example as the
//! compiler lowers them (`fixtures/migraine/*.json`: AR(1) normal,
//! Bernoulli-logit, ordinal with 11 observations) and the 89-dimensional
//! latent AR(1) Poisson reference model.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

mod common;

use trialc_runtime::mir::{MirDensity, Model};
use trialc_runtime::nuts::{sample, Fit, NutsConfig, SampleStats};
use trialc_runtime::posterior::Posterior;

/// FNV-1a over 64-bit words.
struct Hash(u64);

impl Hash {
    fn new() -> Self {
        Hash(0xcbf2_9ce4_8422_2325)
    }
    fn word(&mut self, w: u64) {
        for b in w.to_le_bytes() {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn f(&mut self, x: f64) {
        self.word(x.to_bits());
    }
    fn fs(&mut self, xs: &[f64]) {
        self.word(xs.len() as u64);
        for &x in xs {
            self.f(x);
        }
    }
    fn stats(&mut self, s: &[SampleStats]) {
        self.word(s.len() as u64);
        for s in s {
            self.f(s.lp);
            self.f(s.accept_stat);
            self.f(s.stepsize);
            self.word(u64::from(s.treedepth));
            self.word(u64::from(s.n_leapfrog));
            self.word(u64::from(s.divergent));
            self.f(s.energy);
        }
    }
    fn text(&mut self, s: &str) {
        self.word(s.len() as u64);
        for b in s.bytes() {
            self.word(u64::from(b));
        }
    }
}

fn sampler_hash(fit: &Fit) -> u64 {
    let mut h = Hash::new();
    for c in &fit.chains {
        h.fs(&c.draws);
        h.stats(&c.stats);
        h.stats(&c.warmup_stats);
        h.f(c.stepsize);
        h.fs(&c.inv_metric);
        h.word(c.n_grad_evals);
    }
    h.0
}

fn posterior_hash(p: &Posterior) -> u64 {
    let mut h = Hash::new();
    for d in p.iter_draws() {
        h.fs(d);
    }
    for s in &p.summaries {
        h.fs(&[
            s.mean,
            s.sd,
            s.rhat,
            s.rhat_bulk,
            s.rhat_tail,
            s.ess_bulk,
            s.ess_tail,
            s.ess_mean,
            s.mcse_mean,
        ]);
    }
    for c in &p.health {
        h.word(c.divergences as u64);
        h.word(c.max_treedepth_hits as u64);
        h.f(c.e_bfmi);
        h.f(c.mean_accept);
    }
    for w in &p.warnings {
        h.text(w);
    }
    h.word(p.grad_evals);
    h.fs(&p.stepsizes);
    h.0
}

/// What the report asks of a posterior: quantiles with their MCSE and a
/// probability with its MCSE.
fn report_hash(p: &Posterior) -> u64 {
    let mut h = Hash::new();
    for k in 0..p.names.len() {
        for q in [0.05, 0.5, 0.95] {
            let (v, se) = p.quantile(k, q);
            h.f(v);
            h.f(se);
        }
        let (pr, se) = p.probability(|t| t[k] > 0.0);
        h.f(pr);
        h.f(se);
    }
    h.0
}

fn migraine(name: &str) -> Model {
    let text = std::fs::read_to_string(common::fixture(&format!("migraine/{name}.json")))
        .expect("fixture is readable");
    serde_json::from_str(&text).expect("fixture is a model")
}

/// (sampler hash, posterior hash, report hash) of a fit of `model` under `cfg`.
fn hashes(model: Model, cfg: &NutsConfig) -> (u64, u64, u64) {
    let d = MirDensity::new(model).expect("valid model");
    let fit = sample(&d, cfg).expect("sampling runs");
    let p = Posterior::from_fit(&d, &fit, cfg.max_depth).expect("summaries");
    (sampler_hash(&fit), posterior_hash(&p), report_hash(&p))
}

fn check(label: &str, model: Model, cfg: &NutsConfig, expect: (u64, u64, u64)) {
    let got = hashes(model, cfg);
    assert_eq!(
        got, expect,
        "{label}: results changed: got ({:#018x}, {:#018x}, {:#018x})",
        got.0, got.1, got.2
    );
}

fn default_cfg() -> NutsConfig {
    NutsConfig {
        keep_warmup_stats: true,
        ..NutsConfig::default()
    }
}

#[test]
fn migraine_pain_is_bit_identical() {
    check(
        "pain",
        migraine("pain"),
        &default_cfg(),
        (0x63257f95aa14bda1, 0x29032fefd4e0e27b, 0x0bfd95b7fa8a75d5),
    );
}

#[test]
fn migraine_attack_is_bit_identical() {
    check(
        "attack",
        migraine("attack"),
        &default_cfg(),
        (0x3730be4c98ca894a, 0xa57f90a8dcfd1a99, 0xabc61f3c3cafc86d),
    );
}

#[test]
fn migraine_sleep_quality_is_bit_identical() {
    check(
        "sleep_quality",
        migraine("sleep_quality"),
        &default_cfg(),
        (0x1f933346d01fe859, 0x3dc9529e4e1e9df8, 0xac2005a96acaa67f),
    );
}

#[test]
fn latent_ar1_count_is_bit_identical() {
    let cfg = NutsConfig {
        num_chains: 2,
        num_warmup: 300,
        num_draws: 300,
        seed: 20261129,
        ..default_cfg()
    };
    check(
        "count_ar1",
        common::reference_mir("count_ar1"),
        &cfg,
        (0x322c42524456fa2c, 0x1a0566e33ccf1bca, 0x954cc99da281e434),
    );
}

/// The rank normalisation as first written (stable sort of indices): the
/// faster one must give the same bits, ties and signed zeros included.
fn z_scale_reference(x: &[Vec<f64>]) -> Vec<Vec<f64>> {
    use statrs::distribution::{ContinuousCDF, Normal};
    let flat: Vec<f64> = x.iter().flatten().copied().collect();
    let s = flat.len();
    let mut idx: Vec<usize> = (0..s).collect();
    idx.sort_by(|&a, &b| flat[a].total_cmp(&flat[b]));
    let mut ranks = vec![0.0; s];
    let mut i = 0;
    while i < s {
        let mut j = i;
        while j + 1 < s && flat[idx[j + 1]] == flat[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = r;
        }
        i = j + 1;
    }
    let std = Normal::standard();
    let z: Vec<f64> = ranks
        .iter()
        .map(|r| std.inverse_cdf((r - 0.375) / (s as f64 + 0.25)))
        .collect();
    let mut out = Vec::new();
    let mut off = 0;
    for c in x {
        out.push(z[off..off + c.len()].to_vec());
        off += c.len();
    }
    out
}

fn bits(x: &[Vec<f64>]) -> Vec<Vec<u64>> {
    x.iter()
        .map(|c| c.iter().map(|v| v.to_bits()).collect())
        .collect()
}

#[test]
fn summaries_equal_the_separate_diagnostics_bit_for_bit() {
    use trialc_runtime::diagnostics::*;
    // Continuous draws, heavy ties (a discrete quantity), signed zeros and
    // infinities, an odd number of draws.
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let smooth: Vec<Vec<f64>> = (0..4)
        .map(|_| (0..501).map(|_| next() * 2.0 - 1.0).collect())
        .collect();
    let ties: Vec<Vec<f64>> = (0..4)
        .map(|_| (0..400).map(|_| (next() * 5.0).floor()).collect())
        .collect();
    let zeros: Vec<Vec<f64>> = (0..3)
        .map(|_| {
            (0..300)
                .map(|i| match i % 5 {
                    0 => 0.0,
                    1 => -0.0,
                    2 => f64::INFINITY,
                    _ => next(),
                })
                .collect()
        })
        .collect();
    for x in [&smooth, &ties, &zeros] {
        assert_eq!(bits(&z_scale(x)), bits(&z_scale_reference(x)));
        let s = summarise(x);
        let (r, rb, rt) = rhat(x);
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        assert!(same(s.rhat, r) && same(s.rhat_bulk, rb) && same(s.rhat_tail, rt));
        assert!(same(s.ess_bulk, ess_bulk(x)));
        assert!(same(s.ess_tail, ess_tail(x)));
        assert!(same(s.ess_mean, ess_mean(x)));
        assert!(same(s.mcse_mean, mcse_mean(x)));
        let mut v: Vec<f64> = x.iter().flatten().copied().collect();
        v.sort_by(|a, b| a.total_cmp(b));
        for p in [0.0, 0.05, 0.5, 0.95, 1.0] {
            let h = (v.len() - 1) as f64 * p;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(v.len() - 1);
            let expect = v[lo] + (h - lo as f64) * (v[hi] - v[lo]);
            assert!(same(quantile(&v, p), expect));
            let (q, se) = quantile_and_mcse(x, p);
            assert!(same(q, expect) && same(se, mcse_quantile(x, p)));
        }
    }
}
