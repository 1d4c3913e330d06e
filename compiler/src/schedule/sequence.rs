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
//! `randomized periods` draws every period's arm, with each arm given
//! equally often: one arrangement of the multiset of periods. Its sequences
//! are counted the same way, one period at a time, with state (periods given
//! to each arm so far, last arm, length of its run); see [`Arrangements`].
//!
//! For the block designs the coupling is mild: a block is a permutation, so a
//! run can only straddle a cycle boundary, runs never exceed 2, and only
//! `max_run 1` binds. Then every admissible prefix happens to have the same
//! number of completions and even a greedy cycle-by-cycle draw would be
//! uniform. We count exactly anyway: the count is printed in the protocol
//! ("drawn uniformly from N"), uniformity then holds by construction rather
//! than by an argument about the design, and it stays true for any block set
//! (e.g. a future design with repeated arms inside a cycle).

use super::rng::StreamRng;
use super::{Design, ScheduleError};

/// Randomized blocks enumerates the k! orders of one cycle; beyond 8 arms
/// (40,320 orders) that table gets large, and no N-of-1 trial has that many.
pub const MAX_BLOCK_ARMS: usize = 8;

/// The largest table of run states `randomized periods` fills to count its
/// arrangements exactly: (cycles + 1)^arms × arms × (tracked run lengths).
/// 2^20 states hold every alternating-treatments design in practice (2 arms
/// of up to 127 cycles with no `max_run` or one up to 32, 3 arms of 40 cycles
/// with `max_run 2`, 4 arms of 10 cycles with `max_run 2`) in 32 MB at most
/// while counting, and bound the work of checking any spec. (Beyond 127
/// cycles of 2 arms the count exceeds 2^128 anyway, unless `max_run 1`.)
pub const MAX_ARRANGEMENT_STATES: u64 = 1 << 20;

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
        // The diary gives the sequence; the plan before it has none.
        Design::FromData => Some(Vec::new()),
        Design::RandomizedPairs | Design::RandomizedBlocks | Design::RandomizedPeriods => None,
    }
}

/// Exact counting over a randomized design: one block per cycle.
///
/// The count from a run state depends only on the state and on how many
/// cycles are left, so it is a table `ways[n][s]` filled bottom-up, layer by
/// layer, with no recursion. Blocks that lead from one state to the same
/// state are counted together, so a layer costs (states)² steps however many
/// blocks there are: the table's size and the work to fill it grow linearly
/// with the number of cycles, which [`super::MAX_TRIAL_DAYS`] bounds.
pub(crate) struct BlockDesign<'a> {
    blocks: Vec<Vec<usize>>,
    cycles: u64,
    max_run: Option<u64>,
    design: &'a Design,
    /// Every run state that can follow whole cycles, [`RunState::START`] first.
    states: Vec<RunState>,
    /// For each state, the states one admissible block leads to, each with
    /// the number of blocks that lead there.
    successors: Vec<Vec<(usize, u128)>>,
    /// `ways[n][s]`: admissible ways to fill the last `n` cycles from state
    /// `s`, `None` when more than `u128` holds. Empty until [`Self::count`].
    ways: Vec<Vec<Option<u128>>>,
}

impl<'a> BlockDesign<'a> {
    fn new(design: &'a Design, blocks: Vec<Vec<usize>>, cycles: u64, max_run: Option<u64>) -> Self {
        // The states reachable from the start, breadth first. Finite: `run`
        // is 0 without `max_run` and at most `max_run` with it, and it only
        // grows when a block repeats the last arm, so it stays at most the
        // longest run the blocks can form (2 for permutations).
        let mut states = vec![RunState::START];
        let mut successors: Vec<Vec<(usize, u128)>> = Vec::new();
        let mut i = 0;
        while i < states.len() {
            let mut row: Vec<(usize, u128)> = Vec::new();
            for block in &blocks {
                let Some(next) = states[i].extend(block, max_run) else {
                    continue;
                };
                let to = index_of(&mut states, next);
                match row.iter_mut().find(|(t, _)| *t == to) {
                    Some((_, blocks_to)) => *blocks_to += 1,
                    None => row.push((to, 1)),
                }
            }
            successors.push(row);
            i += 1;
        }
        BlockDesign {
            blocks,
            cycles,
            max_run,
            design,
            states,
            successors,
            ways: Vec::new(),
        }
    }

    /// Fill `ways` for `0..=cycles` cycles left and return the number of
    /// admissible sequences, or [`ScheduleError::CountOverflow`].
    ///
    /// A count that does not fit is kept as `None` rather than failing at
    /// once: only the total decides. Every count the unranking reads is the
    /// number of completions of an admissible prefix, so it is at most the
    /// total and exact whenever the total is.
    fn count(&mut self) -> Result<u128, ScheduleError> {
        let cycles = usize::try_from(self.cycles)
            .map_err(|_| ScheduleError::Internal("more cycles than memory can index"))?;
        let mut ways: Vec<Vec<Option<u128>>> = Vec::with_capacity(cycles + 1);
        ways.push(vec![Some(1); self.states.len()]);
        for left in 1..=cycles {
            let below = &ways[left - 1];
            let layer: Vec<Option<u128>> = self
                .successors
                .iter()
                .map(|row| {
                    row.iter().try_fold(0u128, |total, &(to, blocks)| {
                        total.checked_add(below[to]?.checked_mul(blocks)?)
                    })
                })
                .collect();
            ways.push(layer);
        }
        let total = ways[cycles][0];
        self.ways = ways;
        total.ok_or_else(|| ScheduleError::CountOverflow {
            design: self.design.name(),
        })
    }

    /// The admissible sequence with index `rank` (lexicographic in block
    /// choices, blocks in lexicographic order). [`Self::count`] must have
    /// succeeded and `rank` be below its result.
    fn unrank(&self, mut rank: u128) -> Result<Vec<usize>, ScheduleError> {
        let cycles = self.ways.len().saturating_sub(1);
        let k = self.blocks.first().map_or(0, Vec::len);
        let mut sequence = Vec::with_capacity(cycles * k);
        let mut state = RunState::START;
        for left in (1..=cycles).rev() {
            let mut chosen = None;
            for (b, block) in self.blocks.iter().enumerate() {
                let Some(next) = state.extend(block, self.max_run) else {
                    continue;
                };
                let ways = self
                    .states
                    .iter()
                    .position(|&s| s == next)
                    .and_then(|to| self.ways[left - 1][to])
                    .ok_or(ScheduleError::Internal(
                        "an admissible prefix has no exact count of completions",
                    ))?;
                if rank < ways {
                    chosen = Some((b, next));
                    break;
                }
                rank -= ways;
            }
            // rank < ways[left][state] by construction, so some block takes it.
            let (b, next) = chosen.ok_or(ScheduleError::Internal(
                "unranking ran past the admissible count",
            ))?;
            sequence.extend_from_slice(&self.blocks[b]);
            state = next;
        }
        Ok(sequence)
    }
}

/// Exact counting over `randomized periods`: every sequence of
/// `k × per_arm` periods that gives each arm exactly `per_arm` of them and
/// keeps runs within `max_run`.
///
/// A state is (periods given to each arm so far, last arm, length of its
/// run). The number of completions from a state is a table over all states,
/// indexed by the counts in base `per_arm + 1`, then the last arm, then the
/// run; appending a period raises one count, so a state's successors have
/// larger indices and one pass from the last index down fills the table, with
/// no recursion. Runs are tracked only when `max_run` can bind (below
/// `per_arm`: an arm cannot run longer than its own periods); otherwise they
/// do not matter. [`MAX_ARRANGEMENT_STATES`] bounds the table.
pub(crate) struct Arrangements<'a> {
    k: usize,
    per_arm: u64,
    /// The limit on runs when it binds, else `None` (and runs are not tracked).
    max_run: Option<u64>,
    design: &'a Design,
    /// Run lengths tracked: `max_run` when it binds, else 1.
    runs: u64,
    /// `ways[state]` completions from each state (see [`Self::index`]),
    /// `None` when more than `u128` holds. Empty until [`Self::count`].
    ways: Vec<Option<u128>>,
}

impl<'a> Arrangements<'a> {
    fn new(design: &'a Design, k: usize, per_arm: u64, max_run: Option<u64>) -> Self {
        let max_run = max_run.filter(|&m| m < per_arm);
        Arrangements {
            k,
            per_arm,
            max_run,
            design,
            runs: max_run.unwrap_or(1),
            ways: Vec::new(),
        }
    }

    /// The number of states, when it is within [`MAX_ARRANGEMENT_STATES`].
    fn states(&self) -> Option<usize> {
        let base = self.per_arm.checked_add(1)?;
        let counts = base.checked_pow(u32::try_from(self.k).ok()?)?;
        let states = counts.checked_mul(self.k as u64)?.checked_mul(self.runs)?;
        if states > MAX_ARRANGEMENT_STATES {
            return None;
        }
        usize::try_from(states).ok()
    }

    /// The table index of (counts as a base-`per_arm + 1` number, last arm,
    /// run length ≥ 1). Runs past the tracked ones share the last slot; they
    /// are only stored when runs are not tracked, where the slot is 0.
    fn index(&self, counts: u64, last: usize, run: u64) -> usize {
        let run = if self.max_run.is_some() { run - 1 } else { 0 };
        ((counts as usize * self.k) + last) * self.runs as usize + run as usize
    }

    /// The state after `arm` follows (`last`, `run`) with `given[arm]`
    /// periods given so far, or `None` when that breaks a rule.
    fn step(&self, given: u64, last: Option<usize>, run: u64, arm: usize) -> Option<u64> {
        if given >= self.per_arm {
            return None;
        }
        let run = if last == Some(arm) { run + 1 } else { 1 };
        match self.max_run {
            Some(limit) if run > limit => None,
            _ => Some(run),
        }
    }

    /// Fill the table and return the number of admissible sequences,
    /// [`ScheduleError::TooManyArrangements`] or [`ScheduleError::CountOverflow`].
    fn count(&mut self) -> Result<u128, ScheduleError> {
        let Some(states) = self.states() else {
            return Err(ScheduleError::TooManyArrangements {
                arms: self.k,
                cycles: self.per_arm,
            });
        };
        let base = self.per_arm + 1;
        let n_counts = states / (self.k * self.runs as usize);
        let mut ways: Vec<Option<u128>> = vec![Some(0); states];
        let mut given = vec![0u64; self.k];
        for counts in (0..n_counts).rev() {
            let mut rest = counts as u64;
            for g in given.iter_mut() {
                *g = rest % base;
                rest /= base;
            }
            let complete = given.iter().all(|&g| g == self.per_arm);
            for last in 0..self.k {
                // The last arm has been given, and its run is within its periods.
                for run in 1..=self.runs.min(given[last]) {
                    let total = if complete {
                        Some(1)
                    } else {
                        let mut total = Some(0u128);
                        for (arm, &given_arm) in given.iter().enumerate() {
                            let Some(next_run) = self.step(given_arm, Some(last), run, arm) else {
                                continue;
                            };
                            let next =
                                self.index(counts as u64 + base.pow(arm as u32), arm, next_run);
                            total = total.and_then(|t| t.checked_add(ways[next]?));
                        }
                        total
                    };
                    let here = self.index(counts as u64, last, run);
                    ways[here] = total;
                }
            }
        }
        self.ways = ways;
        let mut total = Some(0u128);
        for arm in 0..self.k {
            if self.step(0, None, 0, arm).is_some() {
                let first = self.index(base.pow(arm as u32), arm, 1);
                total = total.and_then(|t| t.checked_add(self.ways[first]?));
            }
        }
        total.ok_or_else(|| ScheduleError::CountOverflow {
            design: self.design.name(),
        })
    }

    /// The admissible sequence with index `rank` in lexicographic order of
    /// the arms. [`Self::count`] must have succeeded and `rank` be below it.
    fn unrank(&self, mut rank: u128) -> Result<Vec<usize>, ScheduleError> {
        let n = self.per_arm as usize * self.k;
        let base = self.per_arm + 1;
        let mut sequence = Vec::with_capacity(n);
        let mut given = vec![0u64; self.k];
        let mut counts = 0u64;
        let (mut last, mut run) = (None, 0);
        for _ in 0..n {
            let mut chosen = None;
            for (arm, &given_arm) in given.iter().enumerate() {
                let Some(next_run) = self.step(given_arm, last, run, arm) else {
                    continue;
                };
                let next = self.index(counts + base.pow(arm as u32), arm, next_run);
                let ways =
                    self.ways
                        .get(next)
                        .copied()
                        .flatten()
                        .ok_or(ScheduleError::Internal(
                            "an admissible prefix has no exact count of completions",
                        ))?;
                if rank < ways {
                    chosen = Some((arm, next_run));
                    break;
                }
                rank -= ways;
            }
            let (arm, next_run) = chosen.ok_or(ScheduleError::Internal(
                "unranking ran past the admissible count",
            ))?;
            sequence.push(arm);
            given[arm] += 1;
            counts += base.pow(arm as u32);
            last = Some(arm);
            run = next_run;
        }
        Ok(sequence)
    }
}

/// The index of `state` in `states`, appended if new.
fn index_of(states: &mut Vec<RunState>, state: RunState) -> usize {
    match states.iter().position(|&s| s == state) {
        Some(i) => i,
        None => {
            states.push(state);
            states.len() - 1
        }
    }
}

/// How the sequence of a validated spec comes about.
pub(crate) enum Plan<'a> {
    /// Alternating, counterbalanced or fixed: one sequence, admissible or not.
    Fixed {
        sequence: Vec<usize>,
        max_run: Option<u64>,
    },
    /// Randomized: blocks per cycle, counted exactly.
    Blocks(BlockDesign<'a>),
    /// Randomized periods: arrangements of all periods, counted exactly.
    Arrangements(Arrangements<'a>),
}

/// The plan for `design` with `k` arms over `n_periods` periods. The caller
/// has validated the spec: `k` arms (at most [`MAX_BLOCK_ARMS`] for blocks),
/// whole cycles for randomized designs, and at most
/// [`super::MAX_TRIAL_DAYS`] periods. A plan does no work until counted.
pub(crate) fn plan(design: &Design, k: usize, n_periods: u64, max_run: Option<u64>) -> Plan<'_> {
    if let Some(sequence) = deterministic(design, k, n_periods) {
        return Plan::Fixed { sequence, max_run };
    }
    if *design == Design::RandomizedPeriods {
        return Plan::Arrangements(Arrangements::new(design, k, n_periods / k as u64, max_run));
    }
    let blocks = permutations(k);
    Plan::Blocks(BlockDesign::new(
        design,
        blocks,
        n_periods / k as u64,
        max_run,
    ))
}

impl Plan<'_> {
    /// Exact number of admissible sequences.
    pub fn count(&mut self) -> Result<u128, ScheduleError> {
        match self {
            Plan::Fixed { sequence, max_run } => Ok(match max_run {
                Some(limit) if longest_run(sequence) > *limit => 0,
                _ => 1,
            }),
            Plan::Blocks(blocks) => blocks.count(),
            Plan::Arrangements(arrangements) => arrangements.count(),
        }
    }

    /// The sequence: the fixed one, or a uniform draw among `count` admissible
    /// ones. `count` must be what [`Plan::count`] returned and be nonzero.
    pub fn draw(self, count: u128, rng: &mut StreamRng) -> Result<Vec<usize>, ScheduleError> {
        match self {
            Plan::Fixed { sequence, .. } => Ok(sequence),
            Plan::Blocks(blocks) => {
                let rank = rng.below(count);
                blocks.unrank(rank)
            }
            Plan::Arrangements(arrangements) => {
                let rank = rng.below(count);
                arrangements.unrank(rank)
            }
        }
    }

    /// Every admissible sequence in rank order (tests cross-check unranking).
    #[cfg(test)]
    pub fn enumerate(self, count: u128) -> Result<Vec<Vec<usize>>, ScheduleError> {
        match self {
            Plan::Fixed { sequence, .. } => Ok(if count == 0 { vec![] } else { vec![sequence] }),
            Plan::Blocks(blocks) => (0..count).map(|r| blocks.unrank(r)).collect(),
            Plan::Arrangements(arrangements) => {
                (0..count).map(|r| arrangements.unrank(r)).collect()
            }
        }
    }
}

/// How many periods each arm gets, in closed form (no sequence is built, so
/// this is cheap for any number of periods). Randomized designs give every
/// arm `n_periods / k` periods when the cycles are whole; a fixed pattern
/// counts its letters, ignoring letters past the `k` arms.
pub fn periods_per_arm(design: &Design, k: usize, n_periods: u64) -> Vec<u64> {
    let mut counts = vec![0u64; k];
    if k == 0 {
        return counts;
    }
    let k64 = k as u64;
    let (whole, rest) = (n_periods / k64, (n_periods % k64) as usize);
    match design {
        Design::Fixed(pattern) => {
            for &arm in pattern {
                if let Some(c) = counts.get_mut(arm) {
                    *c += 1;
                }
            }
        }
        // The partial last cycle runs forward: A B C … for its first `rest` arms.
        Design::Alternating => {
            for (arm, c) in counts.iter_mut().enumerate() {
                *c = whole + u64::from(arm < rest);
            }
        }
        // The partial last cycle runs forward after an even number of whole
        // cycles, backward (… C B A) after an odd number.
        Design::Counterbalanced => {
            let backward = whole % 2 == 1;
            for (arm, c) in counts.iter_mut().enumerate() {
                let in_partial = if backward {
                    arm >= k - rest
                } else {
                    arm < rest
                };
                *c = whole + u64::from(in_partial);
            }
        }
        Design::RandomizedPairs | Design::RandomizedBlocks | Design::RandomizedPeriods => {
            counts.fill(whole)
        }
        // The diary decides.
        Design::FromData => {}
    }
    counts
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
        let count = p.count().expect("small count");
        let all = p.enumerate(count).expect("enumerates");
        assert_eq!(all.len() as u128, count);
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, all, "distinct and in lexicographic order");
        assert!(all.iter().all(|s| longest_run(s) <= 2));
    }

    #[test]
    fn periods_per_arm_counts_the_sequence() {
        for k in 2..=5usize {
            for n in 0..=23u64 {
                for design in [Design::Alternating, Design::Counterbalanced] {
                    let sequence = deterministic(&design, k, n).expect("deterministic");
                    let mut expected = vec![0u64; k];
                    for arm in sequence {
                        expected[arm] += 1;
                    }
                    assert_eq!(
                        periods_per_arm(&design, k, n),
                        expected,
                        "{} k={k} n={n}",
                        design.name()
                    );
                }
            }
        }
        let fixed = Design::Fixed(vec![0, 1, 1, 0, 2, 7]);
        assert_eq!(periods_per_arm(&fixed, 3, 6), vec![2, 2, 1]);
        assert_eq!(
            periods_per_arm(&Design::RandomizedBlocks, 3, 9),
            vec![3, 3, 3]
        );
        // Closed form: no sequence of 10^18 periods is built.
        assert_eq!(
            periods_per_arm(&Design::Alternating, 2, 1_000_000_000_000_000_001),
            vec![500_000_000_000_000_001, 500_000_000_000_000_000]
        );
    }

    /// Far more cycles than any trial (the day limit is not applied here):
    /// the table is filled iteratively, so nothing recurses per cycle.
    #[test]
    fn many_cycles_count_and_draw_without_recursion() {
        let design = Design::RandomizedPairs;
        let cycles = 100_000u64;
        let mut p = plan(&design, 2, 2 * cycles, Some(1));
        assert_eq!(p.count(), Ok(2));
        let sequence = p.enumerate(2).expect("unranks");
        let abab: Vec<usize> = (0..2 * cycles as usize).map(|i| i % 2).collect();
        let baba: Vec<usize> = abab.iter().map(|&a| 1 - a).collect();
        assert_eq!(sequence, vec![abab, baba]);

        let mut p = plan(&design, 2, 2 * cycles, Some(2));
        assert!(matches!(
            p.count(),
            Err(ScheduleError::CountOverflow { .. })
        ));
    }

    /// The overflow boundary is exact: 8! ^ c fits in 128 bits for c = 8 and
    /// not for c = 9, whatever happens to intermediate counts.
    #[test]
    fn overflow_is_decided_by_the_total_alone() {
        let design = Design::RandomizedBlocks;
        let mut p = plan(&design, 8, 8 * 8, None);
        assert_eq!(p.count(), Ok(40_320u128.pow(8)));
        let mut p = plan(&design, 8, 8 * 9, None);
        assert!(matches!(
            p.count(),
            Err(ScheduleError::CountOverflow { .. })
        ));
        // 3 arms, max_run 1: 6 · 4^(c-1), the largest that fits is c = 63.
        let mut p = plan(&design, 3, 3 * 63, Some(1));
        assert_eq!(p.count(), Ok(6 * 4u128.pow(62)));
        let mut p = plan(&design, 3, 3 * 64, Some(1));
        assert!(matches!(
            p.count(),
            Err(ScheduleError::CountOverflow { .. })
        ));
    }
}
