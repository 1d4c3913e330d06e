//! How models are fitted: the sampler settings of a run, the seeds every
//! random stream comes from, and one model fitted as the settings ask.
//!
//! **Seeds: one derivation scheme.** Every random stream of trialc is
//! ChaCha20 keyed from the user's seed through SHA-256 with a domain tag, so
//! streams never overlap and none depends on a dependency's conveniences:
//!
//! | stream | key |
//! |---|---|
//! | schedule sequence | SHA-256(`trialc/schedule/v1` ‖ seed) (`schedule::rng`) |
//! | blinding codes | SHA-256(`trialc/blinding/v1` ‖ seed) |
//! | the fit of outcome j | [`outcome_seed`]: the first 8 bytes of SHA-256(`trialc/fit/outcome/v1` ‖ seed ‖ j) |
//! | the sensitivity refit of outcome j | [`sensitivity_seed`]: the same with `trialc/fit/sensitivity/v1` |
//! | the alternative model of the k-th `--compare-loo` | [`loo_seed`]: the same with `trialc/fit/loo/v1` and k |
//! | the replicates y_rep of outcome j (posterior predictive check) | [`predictive_seed`]: the same with `trialc/predictive/v1`; draw d of chain c on stream (c << 32) \| d |
//! | replicate r of a design simulation | `simulate::replicate::replicate_seed`: SHA-256(`trialc/simulate/replicate/v1` ‖ seed ‖ design ‖ scenario ‖ r); its schedule, data and fits derive from it (docs/simulate.md) |
//! | the prior predictive check's diary i | SHA-256(`trialc/prior-predictive/v1` ‖ schedule seed ‖ i) |
//!
//! (seed and j as 8 little-endian bytes.) Inside one fit the runtime keys
//! ChaCha20 with the fit's seed and gives chain c the stream c, and the
//! draw at the mode that starts chain c (`--init map`) the stream 2^40 + c;
//! so a chain's numbers depend on neither the thread count nor the other
//! chains.

use serde::Serialize;
use sha2::{Digest, Sha256};
use trialc_runtime::mir::Model;
use trialc_runtime::optimize::OptimizeConfig;
use trialc_runtime::posterior::{self, Init, Method, Posterior};

/// How the sampler was run (printed, and written into the CmdStan CSV headers).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RunSettings {
    pub chains: usize,
    pub warmup: usize,
    pub draws: usize,
    pub seed: u64,
    /// NUTS maximum tree depth (10 as in Stan); saturation is W0904.
    pub max_depth: usize,
    /// Target acceptance rate of the step-size adaptation (Stan's
    /// `adapt delta`, 0.8); raise it (0.95, 0.99) when W0903 reports
    /// divergences, for smaller steps.
    pub adapt_delta: f64,
    /// `--method`: NUTS (default) or the Laplace approximation.
    pub method: Method,
    /// `--init`: where NUTS chains start (`random`, Stan's, by default; `map`).
    pub init: Init,
    /// `--adapt`: Stan's warmup and U-turn criterion (default), or nutpie's.
    pub adapt: Adapt,
}

/// The NUTS variant: `stan` (docs/model.md's contract: Stan's windowed warmup and
/// generalized U-turn criterion) or `nutpie` (opt-in: nutpie's warmup
/// schedule with the Fisher-divergence metric and the displacement U-turn
/// criterion, as nuts-rs; runtime/BENCH.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Adapt {
    Stan,
    Nutpie,
}

impl RunSettings {
    /// The sampler configuration of one fit with the stream seeded by `seed`.
    pub fn nuts_config(&self, seed: u64) -> trialc_runtime::nuts::NutsConfig {
        use trialc_runtime::adapt::Adaptation;
        use trialc_runtime::nuts::{NutsConfig, UTurn};
        let (adaptation, uturn) = match self.adapt {
            Adapt::Stan => (Adaptation::Stan, UTurn::Generalized),
            Adapt::Nutpie => (Adaptation::Nutpie, UTurn::Displacement),
        };
        NutsConfig {
            num_chains: self.chains,
            num_warmup: self.warmup,
            num_draws: self.draws,
            seed,
            max_depth: self.max_depth,
            target_accept: self.adapt_delta,
            adaptation,
            uturn,
            ..NutsConfig::default()
        }
    }
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            chains: 4,
            warmup: 1000,
            draws: 1000,
            seed: 1,
            max_depth: 10,
            adapt_delta: 0.8,
            method: Method::Nuts,
            init: Init::Random,
            adapt: Adapt::Stan,
        }
    }
}

/// Domain tag of the fits of outcomes.
pub const OUTCOME_DOMAIN: &[u8] = b"trialc/fit/outcome/v1";
/// Domain tag of the sensitivity refits.
pub const SENSITIVITY_DOMAIN: &[u8] = b"trialc/fit/sensitivity/v1";
/// Domain tag of the alternative models of `--compare-loo`.
pub const LOO_DOMAIN: &[u8] = b"trialc/fit/loo/v1";

/// Domain tag of the replicates of the posterior predictive check.
pub const PREDICTIVE_DOMAIN: &[u8] = b"trialc/predictive/v1";

/// The first 8 bytes (little-endian) of SHA-256(`domain` ‖ `seed` ‖ `index`).
pub fn derive_seed(domain: &[u8], seed: u64, index: u64) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(domain);
    hasher.update(seed.to_le_bytes());
    hasher.update(index.to_le_bytes());
    let digest: [u8; 32] = hasher.finalize().into();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// The sampler seed of outcome `outcome` (spec index) in a run with `seed`:
/// each outcome gets its own stream. The CmdStan CSV records it.
pub fn outcome_seed(seed: u64, outcome: usize) -> u64 {
    derive_seed(OUTCOME_DOMAIN, seed, outcome as u64)
}

/// The seed of an outcome's sensitivity refit, distinct from its fit's.
pub fn sensitivity_seed(seed: u64, outcome: usize) -> u64 {
    derive_seed(SENSITIVITY_DOMAIN, seed, outcome as u64)
}

/// The seed of the alternative model of the `request`-th (from 0)
/// `--compare-loo` of a run, distinct from every fit's and refit's.
pub fn loo_seed(seed: u64, request: usize) -> u64 {
    derive_seed(LOO_DOMAIN, seed, request as u64)
}

/// The seed of outcome `outcome`'s replicated outcomes y_rep, distinct
/// from its fit's: replicates never take numbers from the sampler's streams.
pub fn predictive_seed(seed: u64, outcome: usize) -> u64 {
    derive_seed(PREDICTIVE_DOMAIN, seed, outcome as u64)
}

/// One model fitted as `settings` ask: NUTS from random inits, NUTS from
/// draws at the mode, or the Laplace approximation with `settings.draws`
/// iid draws, on the streams keyed by `seed`.
pub fn fit_model(
    model: Model,
    settings: &RunSettings,
    seed: u64,
    progress: Option<std::sync::Arc<trialc_runtime::progress::Counter>>,
) -> Result<Posterior, String> {
    let config = trialc_runtime::nuts::NutsConfig {
        progress: progress.map(trialc_runtime::nuts::ProgressCounter),
        ..settings.nuts_config(seed)
    };
    let result = match (settings.method, settings.init) {
        (Method::Laplace, _) => posterior::fit_laplace(
            model,
            &OptimizeConfig::default(),
            config.num_draws,
            config.seed,
        ),
        (Method::Nuts, Init::Map) => {
            posterior::fit_from_mode(model, &config, &OptimizeConfig::default())
        }
        _ => posterior::fit(model, &config),
    };
    result.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_follow_the_documented_derivation() {
        // SHA-256("trialc/fit/outcome/v1" ‖ 1u64 LE ‖ 0u64 LE), first 8 bytes LE,
        // computed independently of `derive_seed` from the digest bytes.
        let mut input = OUTCOME_DOMAIN.to_vec();
        input.extend(1u64.to_le_bytes());
        input.extend(0u64.to_le_bytes());
        let digest = Sha256::digest(&input);
        let expected = digest[..8]
            .iter()
            .rev()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        assert_eq!(outcome_seed(1, 0), expected);
        // Domains and indices give different streams.
        assert_ne!(outcome_seed(1, 0), outcome_seed(1, 1));
        assert_ne!(outcome_seed(1, 0), sensitivity_seed(1, 0));
        assert_ne!(outcome_seed(1, 0), loo_seed(1, 0));
        assert_ne!(sensitivity_seed(1, 0), loo_seed(1, 0));
        assert_ne!(outcome_seed(1, 0), predictive_seed(1, 0));
        assert_ne!(sensitivity_seed(1, 0), predictive_seed(1, 0));
        assert_ne!(outcome_seed(1, 0), outcome_seed(2, 0));
    }
}
