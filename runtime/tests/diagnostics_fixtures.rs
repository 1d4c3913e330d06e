//! Diagnostics against the Stan/posterior reference values in
//! fixtures/expected.json (computed by diag.py), to 1e-6 relative.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

mod common;

use trialc_runtime::diagnostics::*;

fn load(case: &str) -> Vec<Vec<f64>> {
    let text =
        std::fs::read_to_string(common::fixture(&format!("{case}.csv"))).expect("csv fixture");
    let mut chains: Vec<Vec<f64>> = Vec::new();
    for line in text.lines().skip(1) {
        let mut f = line.split(',');
        let chain: usize = f.next().expect("chain").trim().parse().expect("chain id");
        let _draw = f.next();
        let raw = f.next().expect("value").trim();
        // Values are written as `np.float64(...)` by the generator.
        let v: f64 = raw
            .trim_start_matches("np.float64(")
            .trim_end_matches(')')
            .parse()
            .expect("value");
        if chains.len() < chain {
            chains.resize(chain, Vec::new());
        }
        chains[chain - 1].push(v);
    }
    chains
}

fn close(name: &str, got: f64, want: f64) {
    let rel = (got - want).abs() / want.abs().max(1e-300);
    assert!(
        rel < 1e-6,
        "{name}: got {got}, expected {want} (rel {rel:e})"
    );
}

#[test]
fn all_cases_match_expected_json_to_1e6_relative() {
    let expected = common::read_json("expected.json");
    let cases = expected["cases"].as_object().expect("cases");
    assert_eq!(cases.len(), 5);
    for (case, e) in cases {
        let x = load(case);
        let s = summarise(&x);
        let want = |k: &str| e[k].as_f64().expect("number");
        close(&format!("{case} rhat"), s.rhat, want("rhat"));
        close(&format!("{case} rhat_bulk"), s.rhat_bulk, want("rhat_bulk"));
        close(&format!("{case} rhat_tail"), s.rhat_tail, want("rhat_tail"));
        close(&format!("{case} ess_bulk"), s.ess_bulk, want("ess_bulk"));
        close(&format!("{case} ess_tail"), s.ess_tail, want("ess_tail"));
        close(&format!("{case} ess_mean"), s.ess_mean, want("ess_mean"));
        close(&format!("{case} mcse_mean"), s.mcse_mean, want("mcse_mean"));
        close(&format!("{case} mean"), s.mean, want("mean"));
        close(&format!("{case} sd"), s.sd, want("sd"));
    }
}

#[test]
fn odd_length_split_drops_the_middle_draw() {
    let x = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0]];
    assert_eq!(split_chains(&x), vec![vec![1.0, 2.0], vec![4.0, 5.0]]);
}

#[test]
fn e_bfmi_and_quantile_known_values() {
    // Alternating energies: sum of squared jumps 4*(n-1), variance sum n.
    let e: Vec<f64> = (0..10)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    assert!((e_bfmi(&e) - 36.0 / 10.0).abs() < 1e-12);
    assert_eq!(quantile(&[4.0, 1.0, 3.0, 2.0], 0.5), 2.5);
    assert!((quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.05) - 1.2).abs() < 1e-12);
    // Several at once, sorting once: the same type-7 values.
    assert_eq!(
        quantiles(&[5.0, 1.0, 4.0, 2.0, 3.0], &[0.05, 0.5, 0.975]),
        vec![1.2, 3.0, 4.9]
    );
}

#[test]
fn mcse_of_quantile_and_probability_are_consistent_for_iid_draws() {
    // Independent uniform-ish sequence (golden-ratio scrambling): the
    // probability MCSE must be close to sqrt(p(1-p)/S).
    let s = 4000usize;
    let v: Vec<f64> = (0..s)
        .map(|i| ((i as f64) * 0.618_033_988_749_895).fract())
        .collect();
    let x: Vec<Vec<f64>> = v.chunks(1000).map(|c| c.to_vec()).collect();
    let ind: Vec<Vec<bool>> = x
        .iter()
        .map(|c| c.iter().map(|&u| u < 0.3).collect())
        .collect();
    let m = mcse_probability(&ind);
    let iid = (0.3f64 * 0.7 / s as f64).sqrt();
    assert!(m > 0.0 && (m / iid - 1.0).abs() < 0.5, "{m} vs {iid}");
    let q = mcse_quantile(&x, 0.5);
    assert!(q > 0.0 && q < 0.05, "{q}");
}

mod no_panic {
    use proptest::prelude::*;
    use trialc_runtime::diagnostics::*;

    proptest! {
        #![proptest_config(crate::common::proptest_config(64, 0xd1a6_0001))]
        /// Any shape (ragged, empty, tiny, constant, non-finite) gives numbers
        /// or NaN, never a panic.
        #[test]
        fn diagnostics_never_panic(
            chains in proptest::collection::vec(
                proptest::collection::vec(prop_oneof![Just(0.0), Just(f64::NAN), Just(f64::INFINITY), -5.0f64..5.0], 0..12),
                0..4),
            p in -0.5f64..1.5,
        ) {
            let _ = summarise(&chains);
            let _ = mcse_quantile(&chains, p);
            let _ = quantile(&chains.iter().flatten().copied().collect::<Vec<_>>(), p);
            let ind: Vec<Vec<bool>> = chains.iter().map(|c| c.iter().map(|v| *v > 0.0).collect()).collect();
            let _ = mcse_probability(&ind);
            let _ = e_bfmi(chains.first().map(|c| c.as_slice()).unwrap_or(&[]));
        }
    }
}

#[test]
fn mcse_of_the_median_of_iid_normals_matches_asymptotics() {
    // For S iid N(0,1) draws, sd(median) -> sqrt(p(1-p)/S) / phi(0).
    let mut r = trialc_runtime::rng::ChainRng::new(17, 0);
    let x: Vec<Vec<f64>> = (0..4)
        .map(|_| (0..10_000).map(|_| r.normal()).collect())
        .collect();
    let s = 40_000.0;
    let want = (0.25f64 / s).sqrt() / (1.0 / (2.0 * std::f64::consts::PI).sqrt());
    let got = mcse_quantile(&x, 0.5);
    // The estimate is itself noisy: the indicator's ESS (~5-10%) and the
    // spacing of the ~220 order statistics it spans (~7%).
    let q = quantile(&x.iter().flatten().copied().collect::<Vec<_>>(), 0.5);
    let ind: Vec<Vec<f64>> = split_chains(&x)
        .iter()
        .map(|c| c.iter().map(|v| if *v <= q { 1.0 } else { 0.0 }).collect())
        .collect();
    let ess = ess_raw(&ind);
    println!("indicator ESS {ess} of {s}; mcse {got} vs asymptotic {want}");
    assert!((ess / s - 1.0).abs() < 0.15, "{ess}");
    assert!((got / want - 1.0).abs() < 0.2, "{got} vs {want}");
    // And the MCSE of P(x > 1) is sqrt(p(1-p)/S) for iid draws.
    let p = 1.0
        - statrs::distribution::ContinuousCDF::cdf(&statrs::distribution::Normal::standard(), 1.0);
    let ind: Vec<Vec<bool>> = x
        .iter()
        .map(|c| c.iter().map(|v| *v > 1.0).collect())
        .collect();
    let got = mcse_probability(&ind);
    let want = (p * (1.0 - p) / s).sqrt();
    assert!((got / want - 1.0).abs() < 0.15, "{got} vs {want}");
}
