//! Is the randomized sequence drawn uniformly among the admissible ones?
//!
//! Draw one schedule for each of many consecutive seeds and compare the
//! frequencies of the sequences with the uniform distribution by Pearson's
//! chi-square. Consecutive seeds also exercise the key derivation: if nearby
//! seeds gave related streams, the frequencies would show it.
//!
//! A test that cannot fail proves nothing, so the same statistic is computed
//! for two plausible but wrong samplers and must reject them. (A greedy
//! arm-by-arm sampler that redraws an arm when it would break `max_run` is
//! *not* among them: for permutation blocks a run can only span a cycle
//! boundary, every admissible prefix has the same number of completions, and
//! that greedy sampler happens to be exactly uniform. The module docs of
//! `schedule::sequence` explain why we count anyway. For `randomized
//! periods` it is not uniform, and the test must reject it.)
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use std::collections::HashMap;

use trialc::schedule::{
    admissible_count, build, longest_run, pattern_letters, ArmInfo, Blinding, Design,
    PeriodLengths, ScheduleSpec, StreamRng,
};

/// 3 arms, randomized blocks, 3 cycles, max_run 1: 6 · 4 · 4 = 96 sequences.
fn spec(seed: u64) -> ScheduleSpec {
    ScheduleSpec {
        trial_id: "uniformity".into(),
        arms: (0..3)
            .map(|i| ArmInfo {
                name: pattern_letters(&[i]),
                description: None,
            })
            .collect(),
        reference: 0,
        run_in_days: 0,
        period: PeriodLengths::Equal(7),
        n_periods: 9,
        design: Design::RandomizedBlocks,
        max_run: Some(1),
        washout_days: 0,
        seed,
        start: None,
        blinding: Blinding::Open,
        outcomes: vec![],
        window: None,
    }
}

const DRAWS_PER_CELL: u64 = 300;

/// All admissible sequences by brute force over the 3^9 arm sequences.
fn admissible() -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for code in 0..3usize.pow(9) {
        let seq: Vec<usize> = (0..9).map(|i| (code / 3usize.pow(i)) % 3).collect();
        let blocks_ok = seq.chunks(3).all(|c| {
            let mut s = c.to_vec();
            s.sort_unstable();
            s == [0, 1, 2]
        });
        if blocks_ok && longest_run(&seq) <= 1 {
            out.push(seq);
        }
    }
    out
}

/// Pearson's chi-square of `samples` against the uniform distribution over
/// `cells`; a sample outside `cells` is a failure in itself.
fn chi_square(cells: &[Vec<usize>], samples: impl Iterator<Item = Vec<usize>>) -> f64 {
    let mut counts: HashMap<Vec<usize>, u64> = cells.iter().map(|c| (c.clone(), 0)).collect();
    let mut n = 0u64;
    for s in samples {
        *counts
            .get_mut(&s)
            .expect("sampled an inadmissible sequence") += 1;
        n += 1;
    }
    let expected = n as f64 / cells.len() as f64;
    counts
        .values()
        .map(|&o| (o as f64 - expected).powi(2) / expected)
        .sum()
}

/// The 0.999 quantile of chi-square with `df` degrees of freedom, by the
/// Wilson–Hilferty cube approximation (relative error well under 1% at
/// df ≈ 100: for df = 95 it gives 143.4).
fn chi_square_quantile_999(df: f64) -> f64 {
    const Z_999: f64 = 3.090_232_306;
    let a = 2.0 / (9.0 * df);
    df * (1.0 - a + Z_999 * a.sqrt()).powi(3)
}

/// The cycle-by-cycle sequence with each block drawn from all 3! orders and,
/// when it would repeat the boundary arm, "repaired" by rotating it one place:
/// admissible, but the rotated blocks get double weight.
fn repaired_sampler(rng: &mut StreamRng) -> Vec<usize> {
    const ORDERS: [[usize; 3]; 6] = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let mut seq: Vec<usize> = Vec::new();
    for _ in 0..3 {
        let mut block = ORDERS[rng.below(6) as usize];
        if seq.last() == Some(&block[0]) {
            block.rotate_left(1);
        }
        seq.extend_from_slice(&block);
    }
    seq
}

/// Uniform over the admissible list, except that the index comes from one
/// byte reduced modulo the count (the classic modulo bias).
fn modulo_byte_sampler(rng: &mut StreamRng, all: &[Vec<usize>]) -> Vec<usize> {
    let byte = (rng.next_word() & 0xff) as usize;
    all[byte % all.len()].clone()
}

#[test]
fn draws_are_uniform_over_admissible_sequences() {
    let all = admissible();
    assert_eq!(all.len(), 96);
    assert_eq!(admissible_count(&spec(0)), Ok(96));
    let n = DRAWS_PER_CELL * all.len() as u64;
    let stat = chi_square(
        &all,
        (0..n).map(|seed| build(&spec(seed)).expect("builds").sequence()),
    );
    let limit = chi_square_quantile_999(all.len() as f64 - 1.0);
    println!("chi-square, trialc draws over {n} seeds: {stat:.1} (0.999 quantile {limit:.1})");
    assert!(stat < limit, "chi-square {stat:.1} >= {limit:.1}");
}

#[test]
fn the_same_test_rejects_biased_samplers() {
    let all = admissible();
    let n = DRAWS_PER_CELL * all.len() as u64;
    let limit = chi_square_quantile_999(all.len() as f64 - 1.0);

    let mut rng = StreamRng::for_domain(b"test/biased", 1);
    let repaired = chi_square(&all, (0..n).map(|_| repaired_sampler(&mut rng)));
    println!("chi-square, rotate-to-repair sampler: {repaired:.1}");
    assert!(repaired > limit, "repair bias not detected: {repaired:.1}");

    let mut rng = StreamRng::for_domain(b"test/biased", 2);
    let modulo = chi_square(&all, (0..n).map(|_| modulo_byte_sampler(&mut rng, &all)));
    println!("chi-square, byte-modulo sampler: {modulo:.1}");
    assert!(modulo > limit, "modulo bias not detected: {modulo:.1}");
}

/// The blinding codes: uniform over the 3! codings, from their own stream.
#[test]
fn blinding_codes_are_uniform() {
    let perms: Vec<Vec<usize>> = vec![
        vec![0, 1, 2],
        vec![0, 2, 1],
        vec![1, 0, 2],
        vec![1, 2, 0],
        vec![2, 0, 1],
        vec![2, 1, 0],
    ];
    let n = 6 * 1000;
    let stat = chi_square(
        &perms,
        (0..n).map(|seed| {
            let codes = trialc::schedule::BlindingCodes::draw(seed, 3);
            (0..3).filter_map(|c| codes.arm_of_code(c)).collect()
        }),
    );
    let limit = chi_square_quantile_999(5.0);
    println!("chi-square, blinding codes over {n} seeds: {stat:.1} (0.999 quantile {limit:.1})");
    assert!(stat < limit);
}

/// `randomized periods`, 2 arms on 4 one-day periods each, `max_run 2`:
/// 34 admissible arrangements.
fn periods_spec(seed: u64) -> ScheduleSpec {
    ScheduleSpec {
        period: PeriodLengths::Equal(1),
        n_periods: 8,
        design: Design::RandomizedPeriods,
        max_run: Some(2),
        arms: (0..2)
            .map(|i| ArmInfo {
                name: pattern_letters(&[i]),
                description: None,
            })
            .collect(),
        ..spec(seed)
    }
}

/// The admissible arrangements by brute force over the 2^8 sequences.
fn arrangements() -> Vec<Vec<usize>> {
    (0..256usize)
        .map(|code| (0..8).map(|i| (code >> i) & 1).collect::<Vec<usize>>())
        .filter(|seq| seq.iter().sum::<usize>() == 4 && longest_run(seq) <= 2)
        .collect()
}

/// Period by period, each arm drawn among those that still allow a
/// completion: every draw admissible, but a prefix with fewer completions
/// gets as much weight as one with many (the sampler a greedy
/// implementation would write).
fn greedy_periods_sampler(rng: &mut StreamRng, all: &[Vec<usize>]) -> Vec<usize> {
    let mut prefix: Vec<usize> = Vec::new();
    while prefix.len() < 8 {
        let open: Vec<usize> = (0..2)
            .filter(|&arm| {
                let mut next = prefix.clone();
                next.push(arm);
                all.iter().any(|s| s.starts_with(&next))
            })
            .collect();
        prefix.push(open[rng.below(open.len() as u128) as usize]);
    }
    prefix
}

/// `randomized periods` draws uniformly among the arrangements; the same
/// statistic rejects the greedy period-by-period sampler, which is far from
/// uniform here (its probabilities run from 1/128 to 1/16, against 1/34).
#[test]
fn randomized_periods_draw_uniformly_and_greedy_would_not() {
    let all = arrangements();
    assert_eq!(all.len(), 34);
    assert_eq!(admissible_count(&periods_spec(0)), Ok(34));
    let n = DRAWS_PER_CELL * all.len() as u64;
    let limit = chi_square_quantile_999(all.len() as f64 - 1.0);
    let stat = chi_square(
        &all,
        (0..n).map(|seed| build(&periods_spec(seed)).expect("builds").sequence()),
    );
    println!(
        "chi-square, randomized periods over {n} seeds: {stat:.1} (0.999 quantile {limit:.1})"
    );
    assert!(stat < limit, "chi-square {stat:.1} >= {limit:.1}");

    let mut rng = StreamRng::for_domain(b"test/greedy", 1);
    let greedy = chi_square(&all, (0..n).map(|_| greedy_periods_sampler(&mut rng, &all)));
    println!("chi-square, greedy period sampler: {greedy:.1}");
    assert!(greedy > limit, "greedy bias not detected: {greedy:.1}");
}

#[test]
fn quantile_approximation_is_sane() {
    // Tabulated 0.999 quantiles: df 10 → 29.59, df 100 → 149.45.
    assert!((chi_square_quantile_999(10.0) - 29.59).abs() < 0.2);
    assert!((chi_square_quantile_999(100.0) - 149.45).abs() < 0.2);
}
