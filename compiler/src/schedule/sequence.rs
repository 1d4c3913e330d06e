//! Which arm each period gets: the sequence designs, the exact count of
//! admissible sequences, and the uniform draw among them.
//!
//! A randomized design is a choice of one *block* per cycle (for randomized
//! pairs the two orders of the pair, for randomized blocks every permutation
//! of the arms). `max_run` couples neighbouring cycles, so the admissible
//! sequences are not a product set and drawing each cycle independently with
//! rejection would not be uniform. Instead we count exactly, by dynamic
//! programming over cycles with state (last arm, length of the current run),
//! and draw one sequence by *unranking*: a uniform integer in `[0, count)`
//! picks the sequence with that index in lexicographic order of block choices.
//!
//! For today's designs the coupling is mild: a block is a permutation, so a
//! run can only straddle a cycle boundary, runs never exceed 2, and only
//! `max_run 1` binds. Then every admissible prefix happens to have the same
//! number of completions and even a greedy cycle-by-cycle draw would be
//! uniform. We count exactly anyway: the count is printed in the protocol
//! ("drawn uniformly from N"), uniformity then holds by construction rather
//! than by an argument about the design, and it stays true for any block set
//! (e.g. a future design with repeated arms inside a cycle).

use std::collections::HashMap;

use super::rng::StreamRng;
use super::{Design, ScheduleError};

/// Randomized blocks enumerates the k! orders of one cycle; beyond 8 arms
/// (40,320 orders) that table gets large, and no N-of-1 trial has that many.
pub const MAX_BLOCK_ARMS: usize = 8;

/// Run state after a prefix of the sequence: the last arm and how many
/// periods in a row it has been given. `run` is kept at 0 when there is no
/// `max_run`, because then the run length never matters (this keeps the
/// memo table small).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct RunState {
    last: Option<usize>,
    run: u64,
}

impl RunState {
    const START: RunState = RunState { last: None, run: 0 };

    /// The state after appending `block`, or `None` if that breaks `max_run`.
    fn extend(self, block: &[usize], max_run: Option<u64>) -> Option<RunState> {
        let mut state = self;
        for &arm in block {
            let run = if state.last == Some(arm) {
                state.run + 1
            } else {
                1
            };
            match max_run {
                Some(limit) if run > limit => return None,
                Some(_) => {
                    state = RunState {
                        last: Some(arm),
                        run,
                    }
                }
                None => {
                    state = RunState {
                        last: Some(arm),
                        run: 0,
                    }
                }
            }
        }
        Some(state)
    }
}

/// The longest run of one arm in `sequence`.
pub fn longest_run(sequence: &[usize]) -> u64 {
    let mut best = 0;
    let mut run = 0;
    for (i, &arm) in sequence.iter().enumerate() {
        run = if i > 0 && sequence[i - 1] == arm {
            run + 1
        } else {
            1
        };
        best = best.max(run);
    }
    best
}

/// All permutations of `0..k` in lexicographic order (the unranking order).
fn permutations(k: usize) -> Vec<Vec<usize>> {
    fn go(prefix: &mut Vec<usize>, used: &mut [bool], out: &mut Vec<Vec<usize>>) {
        if prefix.len() == used.len() {
            out.push(prefix.clone());
            return;
        }
        for arm in 0..used.len() {
            if !used[arm] {
                used[arm] = true;
                prefix.push(arm);
                go(prefix, used, out);
                prefix.pop();
                used[arm] = false;
            }
        }
    }
    let mut out = Vec::new();
    go(&mut Vec::with_capacity(k), &mut vec![false; k], &mut out);
    out
}

/// The sequence of a deterministic design, or `None` for a randomized one.
/// The caller has validated arm count and lengths.
fn deterministic(design: &Design, k: usize, n_periods: u64) -> Option<Vec<usize>> {
    let n = usize::try_from(n_periods).unwrap_or(usize::MAX);
    match design {
        Design::Alternating => Some((0..n).map(|i| i % k).collect()),
        Design::Counterbalanced => Some(
            (0..n)
                .map(|i| {
                    let (cycle, pos) = (i / k, i % k);
                    if cycle % 2 == 0 {
                        pos
                    } else {
                        k - 1 - pos
                    }
                })
                .collect(),
        ),
        Design::Fixed(pattern) => Some(pattern.clone()),
        Design::RandomizedPairs | Design::RandomizedBlocks => None,
    }
}

/// Exact counting over a randomized design: one block per cycle.
pub(crate) struct BlockDesign<'a> {
    blocks: Vec<Vec<usize>>,
    cycles: u64,
    max_run: Option<u64>,
    memo: HashMap<(u64, RunState), u128>,
    design: &'a Design,
}

impl BlockDesign<'_> {
    /// Number of admissible ways to fill cycles `cycle..` from `state`.
    fn count(&mut self, cycle: u64, state: RunState) -> Result<u128, ScheduleError> {
        if cycle == self.cycles {
            return Ok(1);
        }
        if let Some(&known) = self.memo.get(&(cycle, state)) {
            return Ok(known);
        }
        let mut total: u128 = 0;
        for b in 0..self.blocks.len() {
            if let Some(next) = state.extend(&self.blocks[b], self.max_run) {
                let ways = self.count(cycle + 1, next)?;
                total = total
                    .checked_add(ways)
                    .ok_or_else(|| ScheduleError::CountOverflow {
                        design: self.design.name(),
                    })?;
            }
        }
        self.memo.insert((cycle, state), total);
        Ok(total)
    }

    /// The admissible sequence with index `rank` (lexicographic in block
    /// choices, blocks in lexicographic order).
    fn unrank(&mut self, mut rank: u128) -> Result<Vec<usize>, ScheduleError> {
        let mut sequence = Vec::new();
        let mut state = RunState::START;
        for cycle in 0..self.cycles {
            let mut chosen = None;
            for b in 0..self.blocks.len() {
                if let Some(next) = state.extend(&self.blocks[b], self.max_run) {
                    let ways = self.count(cycle + 1, next)?;
                    if rank < ways {
                        chosen = Some((b, next));
                        break;
                    }
                    rank -= ways;
                }
            }
            // rank < count(cycle, state) by construction, so some block takes it.
            let (b, next) = chosen.ok_or(ScheduleError::Internal(
                "unranking ran past the admissible count",
            ))?;
            sequence.extend_from_slice(&self.blocks[b]);
            state = next;
        }
        Ok(sequence)
    }
}

/// How the sequence of a validated spec comes about.
pub(crate) enum Plan<'a> {
    /// Alternating, counterbalanced or fixed: one sequence, admissible or not.
    Fixed(Vec<usize>),
    /// Randomized: blocks per cycle, counted exactly.
    Blocks(BlockDesign<'a>),
}

/// The plan for `design` with `k` arms over `n_periods` periods.
pub(crate) fn plan(design: &Design, k: usize, n_periods: u64, max_run: Option<u64>) -> Plan<'_> {
    if let Some(sequence) = deterministic(design, k, n_periods) {
        return Plan::Fixed(sequence);
    }
    let blocks = permutations(k);
    Plan::Blocks(BlockDesign {
        blocks,
        cycles: n_periods / k as u64,
        max_run,
        memo: HashMap::new(),
        design,
    })
}

impl Plan<'_> {
    /// Exact number of admissible sequences.
    pub fn count(&mut self, max_run: Option<u64>) -> Result<u128, ScheduleError> {
        match self {
            Plan::Fixed(sequence) => Ok(match max_run {
                Some(limit) if longest_run(sequence) > limit => 0,
                _ => 1,
            }),
            Plan::Blocks(blocks) => blocks.count(0, RunState::START),
        }
    }

    /// The sequence: the fixed one, or a uniform draw among `count` admissible
    /// ones. `count` must be what [`Plan::count`] returned and be nonzero.
    pub fn draw(self, count: u128, rng: &mut StreamRng) -> Result<Vec<usize>, ScheduleError> {
        match self {
            Plan::Fixed(sequence) => Ok(sequence),
            Plan::Blocks(mut blocks) => {
                let rank = rng.below(count);
                blocks.unrank(rank)
            }
        }
    }

    /// Every admissible sequence in rank order (tests cross-check unranking).
    #[cfg(test)]
    pub fn enumerate(self, count: u128) -> Result<Vec<Vec<usize>>, ScheduleError> {
        match self {
            Plan::Fixed(sequence) => Ok(if count == 0 { vec![] } else { vec![sequence] }),
            Plan::Blocks(mut blocks) => (0..count).map(|r| blocks.unrank(r)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_run_counts_across_everything() {
        assert_eq!(longest_run(&[]), 0);
        assert_eq!(longest_run(&[0, 1, 1, 0, 0, 0, 1]), 3);
    }

    #[test]
    fn permutations_are_lexicographic() {
        assert_eq!(
            permutations(3),
            vec![
                vec![0, 1, 2],
                vec![0, 2, 1],
                vec![1, 0, 2],
                vec![1, 2, 0],
                vec![2, 0, 1],
                vec![2, 1, 0]
            ]
        );
    }

    #[test]
    fn unrank_walks_every_sequence_once_in_order() {
        let design = Design::RandomizedPairs;
        let mut p = plan(&design, 2, 6, Some(2));
        let count = p.count(Some(2)).expect("small count");
        let all = p.enumerate(count).expect("enumerates");
        assert_eq!(all.len() as u128, count);
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, all, "distinct and in lexicographic order");
        assert!(all.iter().all(|s| longest_run(s) <= 2));
    }
}
