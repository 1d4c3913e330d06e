//! The random stream behind every randomized schedule and blinding code.
//!
//! A schedule is a protocol document: the same seed must give the same
//! schedule on every machine, today and in ten years. So the only thing we take
//! from a dependency is the ChaCha20 keystream, which is a published standard
//! (RFC 8439) and is pinned by a test against the RFC test vector. Everything
//! on top of it — how the key is derived from the seed, how keystream words
//! become 64-bit words, how a 64-bit word becomes a bounded integer — is
//! written here, so a change in `rand_core`'s conveniences can never move a
//! schedule.

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

/// Domain tag for the sequence (period → arm) stream.
pub const SCHEDULE_DOMAIN: &[u8] = b"trialc/schedule/v1";
/// Domain tag for the blinding-code stream. A separate key means the codes
/// tell nothing about the sequence and vice versa.
pub const BLINDING_DOMAIN: &[u8] = b"trialc/blinding/v1";

/// The ChaCha20 key for a domain and a seed: SHA-256(tag ‖ seed as 8 little-endian bytes).
pub fn derive_key(domain: &[u8], seed: u64) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(domain);
    hasher.update(seed.to_le_bytes());
    hasher.finalize().into()
}

/// ChaCha20 (20 rounds, block counter starting at 0, all-zero nonce/stream)
/// with our own word assembly and bounded integers.
#[derive(Clone, Debug)]
pub struct StreamRng {
    chacha: ChaCha20Rng,
}

impl StreamRng {
    /// The stream for `seed` in `domain` (see [`derive_key`]).
    pub fn for_domain(domain: &[u8], seed: u64) -> Self {
        Self::from_key(derive_key(domain, seed))
    }

    /// The stream for a raw 32-byte ChaCha20 key (used by the RFC test vector).
    pub fn from_key(key: [u8; 32]) -> Self {
        StreamRng {
            chacha: ChaCha20Rng::from_seed(key),
        }
    }

    /// The next 32-bit keystream word: four keystream bytes read little-endian
    /// (RFC 8439 serializes its state words little-endian).
    pub fn next_u32(&mut self) -> u32 {
        self.chacha.next_u32()
    }

    /// The next 64-bit word: the next two keystream words, the first one as
    /// the low half. Assembled here rather than via `next_u64` so that our
    /// stream does not depend on how `rand_core` chooses to combine words.
    pub fn next_word(&mut self) -> u64 {
        let lo = u64::from(self.next_u32());
        let hi = u64::from(self.next_u32());
        (hi << 32) | lo
    }

    /// A uniform integer in `[0, n)`, by masked rejection sampling.
    ///
    /// With `b` the bit length of `n - 1`, draw `b` bits (one 64-bit word when
    /// `b <= 64`, else two: the first is the low half), keep them if the value
    /// is below `n`, otherwise draw again. Every value in `[0, 2^b)` is equally
    /// likely and `n > 2^(b-1)`, so the result is exactly uniform and each try
    /// succeeds with probability above 1/2. `n == 1` consumes nothing.
    ///
    /// # Panics
    /// If `n == 0` (an empty range has no uniform element; callers check).
    pub fn below(&mut self, n: u128) -> u128 {
        assert!(n > 0, "below(0): empty range");
        if n == 1 {
            return 0;
        }
        let bits = 128 - (n - 1).leading_zeros();
        let mask = if bits == 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        loop {
            let raw = if bits <= 64 {
                u128::from(self.next_word())
            } else {
                let lo = u128::from(self.next_word());
                let hi = u128::from(self.next_word());
                (hi << 64) | lo
            };
            let candidate = raw & mask;
            if candidate < n {
                return candidate;
            }
        }
    }

    /// A uniform random permutation of `0..n` (Fisher–Yates, from the last
    /// position down, each swap partner drawn with [`StreamRng::below`]).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut items: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            // i + 1 <= n fits in u128, and the result is <= i, so it fits in usize.
            let j = self.below(i as u128 + 1) as usize;
            items.swap(i, j);
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8439 §2.3.2 / A.1 test vector #1: all-zero key, all-zero nonce,
    /// block counter 0. rand_chacha puts the 32-byte seed in the key words and
    /// starts both the 64-bit counter and the 64-bit stream id at zero, which
    /// is exactly this configuration.
    #[test]
    fn reproduces_rfc8439_zero_key_keystream() {
        let expected: [u8; 64] = [
            0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86,
            0xbd, 0x28, 0xbd, 0xd2, 0x19, 0xb8, 0xa0, 0x8d, 0xed, 0x1a, 0xa8, 0x36, 0xef, 0xcc,
            0x8b, 0x77, 0x0d, 0xc7, 0xda, 0x41, 0x59, 0x7c, 0x51, 0x57, 0x48, 0x8d, 0x77, 0x24,
            0xe0, 0x3f, 0xb8, 0xd8, 0x4a, 0x37, 0x6a, 0x43, 0xb8, 0xf4, 0x15, 0x18, 0xa1, 0x1c,
            0xc3, 0x87, 0xb6, 0x69, 0xb2, 0xee, 0x65, 0x86,
        ];
        let mut rng = StreamRng::from_key([0u8; 32]);
        let mut bytes = Vec::new();
        for _ in 0..8 {
            bytes.extend_from_slice(&rng.next_word().to_le_bytes());
        }
        assert_eq!(bytes, expected);
    }

    #[test]
    fn first_word_is_little_endian_assembly() {
        let mut rng = StreamRng::from_key([0u8; 32]);
        assert_eq!(rng.next_word(), 0x903d_f1a0_ade0_b876);
    }

    #[test]
    fn below_stays_in_range_and_hits_every_value() {
        let mut rng = StreamRng::for_domain(b"test", 1);
        let mut seen = [false; 7];
        for _ in 0..500 {
            let x = rng.below(7);
            assert!(x < 7);
            seen[x as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        for _ in 0..100 {
            assert!(rng.below(u128::MAX) < u128::MAX);
            let big = (1u128 << 100) + 3;
            assert!(rng.below(big) < big);
        }
        assert_eq!(rng.clone().below(1), 0);
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut rng = StreamRng::for_domain(b"test", 2);
        for n in 0..9 {
            let mut p = rng.permutation(n);
            p.sort_unstable();
            assert_eq!(p, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn domains_give_different_keys() {
        assert_ne!(
            derive_key(SCHEDULE_DOMAIN, 7),
            derive_key(BLINDING_DOMAIN, 7)
        );
        assert_ne!(
            derive_key(SCHEDULE_DOMAIN, 7),
            derive_key(SCHEDULE_DOMAIN, 8)
        );
    }
}
