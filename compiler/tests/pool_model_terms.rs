//! `trialc pool` with the model terms of issue 12 in the per-person model:
//! covariates and a lagged outcome (mood-walks), a decaying carryover, a
//! binomial outcome, a latent AR(1) on counts (with a trend) and on a
//! binary outcome, AR(1) errors on a clock. Each person's model enters the
//! pooled density whole, so for every term the pooled log density must be
//! the hierarchical model written out from the person's own MIR density
//! (value and gradient), and what cannot be pooled is refused with a code:
//! a lagged and an unlagged model of the same outcome (E1703), `--shared`
//! naming a latent AR(1)'s innovations, an arm effect or a parameter no
//! model has (E1706).
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

#[path = "../../runtime/tests/common/mod.rs"]
mod common;

use statrs::distribution::{Continuous, Normal};
use trialc::driver::{FitOptions, SessionOptions, Silent};
use trialc::lower::Role;
use trialc::pool::{self, Data, Participants, PoolOptions, Series, State};
use trialc::report::RunSettings;
use trialc::source::MemorySources;
use trialc_runtime::density::{LogDensity, Transform};
use trialc_runtime::mir::{Dist, MirDensity, Model, Prior};
use trialc_runtime::pool::{Member, MemberData, PoolModel, PooledDensity};
use trialc_runtime::rng::ChainRng;

/// (name, spec, diary, the role the term gives a parameter).
const CASES: [(&str, &str, &str, Role); 6] = [
    (
        "mood-walks",
        include_str!("../../examples/mood-walks/mood-walks.trial"),
        include_str!("../../examples/mood-walks/diary.csv"),
        Role::Lag,
    ),
    (
        "decay",
        include_str!("../../scripts/stan-compare/cases/decay/decay.trial"),
        include_str!("../../scripts/stan-compare/cases/decay/diary.csv"),
        Role::CarryoverRate,
    ),
    (
        "binomial",
        include_str!("../../scripts/stan-compare/cases/binomial/binomial.trial"),
        include_str!("../../scripts/stan-compare/cases/binomial/diary.csv"),
        Role::Covariate { index: 0 },
    ),
    (
        "count_ar1",
        include_str!("../../scripts/stan-compare/cases/count_ar1/count_ar1.trial"),
        include_str!("../../scripts/stan-compare/cases/count_ar1/diary.csv"),
        Role::Innovations,
    ),
    (
        "latent_binary",
        include_str!("../../scripts/stan-compare/cases/latent_binary/latent_binary.trial"),
        include_str!("../../scripts/stan-compare/cases/latent_binary/diary.csv"),
        Role::Innovations,
    ),
    (
        "clock",
        include_str!("../../scripts/stan-compare/cases/clock/clock.trial"),
        include_str!("../../scripts/stan-compare/cases/clock/diary.csv"),
        Role::Phi,
    ),
];

/// The first `keep` of a diary's data rows (and its header).
fn head(diary: &str, keep: f64) -> String {
    let lines: Vec<&str> = diary.lines().collect();
    let n = 1 + ((lines.len() - 1) as f64 * keep) as usize;
    lines[..n].join("\n") + "\n"
}

/// A series of two people under `spec`: the whole diary, and its first
/// three quarters (another number of analysed observations, so that a
/// latent AR(1)'s innovations differ in size).
fn two_people(spec: &str, diary: &str) -> Series<MemorySources> {
    let m = MemorySources::new()
        .with("s/series.trial", spec)
        .with("s/a.csv", diary)
        .with("s/b.csv", head(diary, 0.75));
    pool::assemble(
        || m.clone(),
        SessionOptions::default(),
        "s/series.trial",
        &Participants::Diaries(vec!["s/a.csv".into(), "s/b.csv".into()]),
        None,
    )
}

fn normal(mu: f64, sigma: f64) -> Prior {
    Prior::Dist(Dist::Normal { mu, sigma })
}

fn ln_normal(x: f64, mu: f64, sigma: f64) -> f64 {
    Normal::new(mu, sigma).expect("normal").ln_pdf(x)
}

/// Each included person's lowered model and the id of their effect.
fn people(series: &Series<MemorySources>) -> Vec<(Model, usize)> {
    series
        .included()
        .map(|(p, m)| match &m.data {
            Data::Diary { prepared, outcome } => {
                let lowered = &prepared.lowered[*outcome];
                let effect = lowered
                    .params
                    .iter()
                    .find(|x| matches!(x.role, Role::Effect { .. }))
                    .unwrap_or_else(|| panic!("{}: no effect", p.id));
                (lowered.model.clone(), effect.id)
            }
            Data::Evidence { .. } => panic!("{}: a diary was expected", p.id),
        })
        .collect()
}

const MU: (f64, f64) = (0.1, 1.3);
const TAU_SD: f64 = 0.7;

/// The pooled model of `people`: one effect, no covariate, nothing shared.
fn pooled(people: &[(Model, usize)]) -> PooledDensity {
    PooledDensity::new(PoolModel {
        effects: vec!["a".into()],
        covariates: Vec::new(),
        mu_priors: vec![normal(MU.0, MU.1)],
        tau_priors: vec![Prior::Dist(Dist::HalfNormal { sigma: TAU_SD })],
        gamma_prior: normal(0.0, 1.0),
        shared: Vec::new(),
        members: people
            .iter()
            .enumerate()
            .map(|(i, (model, effect))| Member {
                name: format!("P{i}"),
                covariates: Vec::new(),
                data: MemberData::Model {
                    model: model.clone(),
                    effects: vec![*effect],
                    shared: Vec::new(),
                },
            })
            .collect(),
    })
    .expect("a valid series")
}

/// The hierarchical model written out at `x` (the layout of
/// `PooledDensity`: mu, log tau, z_1..z_N, then each person's own
/// parameters in their model's order): mu's and tau's priors, tau's
/// log-Jacobian, z_i ~ normal(0, 1), and for each person their own MIR
/// density (every term of their model, their priors and Jacobians) at
/// delta_i = mu + tau z_i with the effect's prior divided out. The effect's
/// prior is set to normal(0, 1) here, not the runtime's placeholder, so the
/// division is this test's own.
fn written_out(people: &[(Model, usize)], x: &[f64]) -> f64 {
    let n = people.len();
    let (mu, tau) = (x[0], x[1].exp());
    let mut lp =
        ln_normal(mu, MU.0, MU.1) + std::f64::consts::LN_2 + ln_normal(tau, 0.0, TAU_SD) + x[1];
    let mut cursor = 2 + n;
    for (i, (model, effect)) in people.iter().enumerate() {
        let z = x[2 + i];
        let delta = mu + tau * z;
        lp += ln_normal(z, 0.0, 1.0);
        let mut own = model.clone();
        for pt in &mut own.priors {
            if pt.param == *effect {
                pt.prior = normal(0.0, 1.0);
            }
        }
        let density = MirDensity::new(own).expect("the person's model");
        let offsets = density.offsets().to_vec();
        let mut v = vec![0.0; density.dim()];
        for (id, &off) in offsets.iter().enumerate() {
            let end = offsets.get(id + 1).copied().unwrap_or(density.dim());
            if id == *effect {
                v[off] = delta;
            } else {
                let len = end - off;
                v[off..end].copy_from_slice(&x[cursor..cursor + len]);
                cursor += len;
            }
        }
        assert_eq!(model.params[*effect].transform, Transform::Identity);
        lp += density.logp_grad(&v, &mut vec![0.0; v.len()]) - ln_normal(delta, 0.0, 1.0);
    }
    assert_eq!(cursor, x.len(), "every coordinate used once");
    lp
}

#[test]
fn every_model_term_pools_as_the_hierarchical_model_written_out() {
    for (name, spec, diary, role) in CASES {
        let series = two_people(spec, diary);
        let states: Vec<String> = series
            .participants
            .iter()
            .map(|p| match &p.state {
                State::Included(_) => "included".to_string(),
                State::Excluded(e) => format!("{}: {}", e.code, e.reason),
            })
            .collect();
        assert!(series.stop.is_none(), "{name}: {states:?}");
        let people = people(&series);
        assert_eq!(people.len(), 2, "{name}: {states:?}");
        // The term is in the lowered model, so the case tests it.
        let has_role = series.included().all(|(_, m)| match &m.data {
            Data::Diary { prepared, outcome } => prepared.lowered[*outcome]
                .params
                .iter()
                .any(|x| x.role == role),
            Data::Evidence { .. } => false,
        });
        assert!(has_role, "{name}: no parameter with the role {role:?}");
        let d = pooled(&people);
        let mut rng = ChainRng::new(2027, 0);
        for _ in 0..3 {
            // Near the posterior's scale: every unconstrained coordinate
            // within 0.5 of 0 (a latent process of 0.3 or so, a rate near 1).
            let x: Vec<f64> = (0..d.dim()).map(|_| rng.uniform() - 0.5).collect();
            let lp = d.logp_grad(&x, &mut vec![0.0; d.dim()]);
            let hand = written_out(&people, &x);
            assert!(
                (lp - hand).abs() <= 1e-9 * (1.0 + hand.abs()),
                "{name}: pooled {lp} vs written out {hand}"
            );
            common::check_gradient(&d, &x).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        // Innovations of another size per person are named per person.
        if role == Role::Innovations {
            let names = d.output_names();
            assert!(names.iter().any(|n| n == "z_1[1]"), "{name}: {names:?}");
            assert!(names.iter().any(|n| n == "z_2[1]"), "{name}: {names:?}");
            assert!(!names.iter().any(|n| n.starts_with("z[")), "{name}");
        }
    }
}

fn fast() -> PoolOptions {
    PoolOptions {
        outcome: None,
        shared: Vec::new(),
        mu_prior: None,
        tau_prior: None,
        gamma_prior: None,
        robust: 0.2,
        own_fits: false,
        fit: FitOptions {
            settings: RunSettings {
                chains: 2,
                warmup: 150,
                draws: 150,
                seed: 5,
                adapt_delta: 0.95,
                ..RunSettings::default()
            },
            threads: Some(1),
        },
    }
}

/// The E1706 refusal of `--shared names` on the series, with its message.
fn refused(case: usize, names: &[&str]) -> (String, String) {
    let (_, spec, diary, _) = CASES[case];
    let mut series = two_people(spec, diary);
    let mut options = fast();
    options.shared = names.iter().map(|s| s.to_string()).collect();
    let before = series.diagnostics.len();
    let err = pool::fit_series(&mut series, &options, &Silent)
        .err()
        .unwrap_or_else(|| panic!("`--shared {names:?}` was fitted"));
    let d = series.diagnostics.get(before..).unwrap_or_default();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code.to_string(), "E1706");
    assert_eq!(d[0].message, err);
    (err, d[0].help.clone().unwrap_or_default())
}

#[test]
fn shared_innovations_effects_and_unknown_names_are_refused_with_e1706() {
    // count_ar1: a latent AR(1) on counts, innovations `z`.
    let (err, _) = refused(3, &["sigma", "z"]);
    assert!(err.contains("`z` are the innovations"), "{err}");
    let (err, _) = refused(3, &["effect[b]"]);
    assert!(err.contains("arm effect"), "{err}");
    let (err, help) = refused(0, &["rho"]);
    assert!(err.contains("no included participant"), "{err}");
    // The help lists what the mood-walks model could share.
    for name in ["`intercept`", "`lag`", "`covariate[stress]`", "`sigma`"] {
        assert!(help.contains(name), "{help}");
    }
    // The latent AR(1)'s sigma and phi can be shared.
    let (_, spec, diary, _) = CASES[3];
    let mut series = two_people(spec, diary);
    let mut options = fast();
    options.shared = vec!["sigma".into(), "phi".into()];
    let fitted = pool::fit_series(&mut series, &options, &Silent).expect("fits");
    let shared: Vec<&str> = fitted
        .report
        .model
        .shared
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(shared, ["sigma", "phi"]);
    assert_eq!(fitted.report.model.own, ["intercept", "trend", "z"]);
}

/// The second participant's state in a series under `series` whose
/// manifest names `own` as that participant's spec (the first takes the
/// series' spec); both have `diary`.
fn second_with_own_spec(series: &str, own: &str, diary: &str) -> State {
    second_with_own(series, own, diary, diary)
}

/// As [`second_with_own_spec`], the second participant with `own_diary`.
fn second_with_own(series: &str, own: &str, diary: &str, own_diary: &str) -> State {
    let m = MemorySources::new()
        .with("s/series.trial", series)
        .with("s/own.trial", own)
        .with("s/a.csv", diary)
        .with("s/b.csv", own_diary)
        .with(
            "s/manifest.csv",
            "participant,diary,spec\na,a.csv,\nb,b.csv,own.trial\n",
        );
    let series = pool::assemble(
        || m.clone(),
        SessionOptions::default(),
        "s/series.trial",
        &Participants::Manifest("s/manifest.csv".into()),
        None,
    );
    let b = series.participants.into_iter().nth(1).expect("listed");
    assert_eq!(b.id, "b");
    b.state
}

#[test]
fn a_lagged_and_an_unlagged_model_of_the_outcome_are_not_pooled_together() {
    let (_, spec, diary, _) = CASES[0];
    let lag_line = "  lag                                ~ uniform(-1, 1)\n";
    assert!(spec.contains(lag_line));
    let unlagged = spec.replace(lag_line, "");
    for (series, own, needle) in [
        (
            spec,
            unlagged.as_str(),
            "has no lagged outcome and the series' has one",
        ),
        (
            unlagged.as_str(),
            spec,
            "has a lagged outcome and the series' has none",
        ),
    ] {
        match second_with_own_spec(series, own, diary) {
            State::Excluded(e) => {
                assert_eq!(e.code, "E1703");
                assert!(e.reason.contains(needle), "{}", e.reason);
            }
            State::Included(_) => panic!("a lag mismatch was pooled"),
        }
    }
    // Both lagged (another prior of rho): compatible.
    let other_prior = spec.replace(
        "lag                                ~ uniform(-1, 1)",
        "lag ~ uniform(-0.5, 0.9)",
    );
    assert!(matches!(
        second_with_own_spec(spec, &other_prior, diary),
        State::Included(_)
    ));
}

#[test]
fn binomial_outcomes_pool_whatever_their_number_of_trials() {
    let (_, spec, diary, _) = CASES[2];
    assert!(spec.contains("type      binomial of planned"));
    let fixed = spec.replace("type      binomial of planned", "type      binomial of 40");
    // Without the column of trials, which the spec no longer reads.
    let without: String = diary
        .lines()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), 5, "day,arm,on_time,planned,workload");
            format!("{},{},{},{}\n", cells[0], cells[1], cells[2], cells[4])
        })
        .collect();
    let state = second_with_own(spec, &fixed, diary, &without);
    assert!(
        matches!(state, State::Included(_)),
        "{:?}",
        match state {
            State::Excluded(e) => e.reason,
            State::Included(_) => String::new(),
        }
    );
    // A binary outcome is still another type.
    let binary = spec.replace("type      binomial of planned", "type      binary");
    match second_with_own_spec(spec, &binary, diary) {
        State::Excluded(e) => assert_eq!(e.code, "E1703"),
        State::Included(_) => panic!("a binary outcome was pooled with a binomial one"),
    }
}
