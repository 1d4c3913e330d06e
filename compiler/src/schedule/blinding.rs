//! Blinding codes: which arm hides behind "Treatment 1", "Treatment 2", ….
//!
//! The codes come from their own ChaCha20 stream (domain
//! `trialc/blinding/v1`), so knowing the coding of one trial says nothing
//! about its sequence, and changing the sequence design does not reshuffle the
//! codes. Anyone holding the seed can recompute both: the seed is unblinding
//! material and belongs with the pharmacy, like the key document.

use super::rng::{StreamRng, BLINDING_DOMAIN};

/// A uniform random coding of the arms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlindingCodes {
    /// `arm_of_code[c]` is the arm coded "Treatment c+1".
    arm_of_code: Vec<usize>,
}

impl BlindingCodes {
    /// The codes for `n_arms` arms under `seed`: a uniform permutation drawn
    /// by Fisher–Yates from the blinding stream.
    pub fn draw(seed: u64, n_arms: usize) -> Self {
        let mut rng = StreamRng::for_domain(BLINDING_DOMAIN, seed);
        BlindingCodes {
            arm_of_code: rng.permutation(n_arms),
        }
    }

    /// The arm behind 0-based code `code`.
    pub fn arm_of_code(&self, code: usize) -> Option<usize> {
        self.arm_of_code.get(code).copied()
    }

    /// The 0-based code of `arm`.
    pub fn code_of_arm(&self, arm: usize) -> Option<usize> {
        self.arm_of_code.iter().position(|&a| a == arm)
    }

    /// "Treatment N" for `arm` (N = code + 1).
    pub fn label_of_arm(&self, arm: usize) -> String {
        match self.code_of_arm(arm) {
            Some(code) => label(code),
            None => "Treatment ?".into(),
        }
    }

    /// Number of codes (= number of arms).
    pub fn len(&self) -> usize {
        self.arm_of_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.arm_of_code.is_empty()
    }
}

/// The label of 0-based code `code`.
pub fn label(code: usize) -> String {
    format!("Treatment {}", code + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_a_bijection() {
        for seed in 0..20 {
            let codes = BlindingCodes::draw(seed, 4);
            for arm in 0..4 {
                let code = codes.code_of_arm(arm).expect("every arm has a code");
                assert_eq!(codes.arm_of_code(code), Some(arm));
            }
        }
    }

    #[test]
    fn codes_vary_with_seed() {
        let first = BlindingCodes::draw(0, 3);
        assert!((1..50).any(|s| BlindingCodes::draw(s, 3) != first));
    }
}
