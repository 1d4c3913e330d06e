//! How far a fit has got: one iteration counter per chain, ticked by the
//! sampler after each transition (warmup first, then sampling) and read by
//! whoever shows progress. Reading never affects the draws.

use std::sync::atomic::{AtomicU64, Ordering};

/// Iterations done per chain of one fit.
#[derive(Debug)]
pub struct Counter {
    chains: Vec<AtomicU64>,
    warmup: u64,
    draws: u64,
}

/// A snapshot of a [`Counter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Iterations done over all chains.
    pub done: u64,
    /// Iterations of the whole fit: chains x (warmup + draws).
    pub total: u64,
    /// Chains still in warmup, in sampling, and finished.
    pub warming_up: usize,
    pub sampling: usize,
    pub finished: usize,
}

impl Counter {
    pub fn new(chains: usize, warmup: usize, draws: usize) -> Counter {
        Counter {
            chains: (0..chains).map(|_| AtomicU64::new(0)).collect(),
            warmup: warmup as u64,
            draws: draws as u64,
        }
    }

    /// One more iteration of `chain`.
    pub fn tick(&self, chain: usize) {
        if let Some(c) = self.chains.get(chain) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let per_chain = self.warmup + self.draws;
        let mut s = Snapshot {
            done: 0,
            total: per_chain * self.chains.len() as u64,
            warming_up: 0,
            sampling: 0,
            finished: 0,
        };
        for c in &self.chains {
            let done = c.load(Ordering::Relaxed).min(per_chain);
            s.done += done;
            if done >= per_chain {
                s.finished += 1;
            } else if done >= self.warmup {
                s.sampling += 1;
            } else {
                s.warming_up += 1;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_follow_the_ticks() {
        let c = Counter::new(3, 2, 3);
        for _ in 0..5 {
            c.tick(0);
        }
        c.tick(1);
        c.tick(1);
        c.tick(2);
        c.tick(7); // no such chain: ignored
        assert_eq!(
            c.snapshot(),
            Snapshot {
                done: 8,
                total: 15,
                warming_up: 1,
                sampling: 1,
                finished: 1
            }
        );
    }
}
