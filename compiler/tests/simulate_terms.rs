//! The simulator's generation of issue 12's model terms, against
//! re-computations written here from the drawn truths (docs/simulate.md,
//! "One replicate"; `simulate/generate.rs`): a decaying carryover (washout
//! days analysed, the previous arm's effect fading), a lagged outcome
//! (rho^g across gaps, centred as the analysis centres it), a latent AR(1)
//! on binary, binomial and count outcomes (exact across gaps) and binomial
//! outcomes with a constant number of trials. Then calibration: with known
//! true values, the fitted posteriors recover them within their
//! uncertainty, on average over a few replicates. And the terms whose data
//! the spec does not give (covariates, a clock, trials from a column) are
//! refused with E1106.
//!
//! Every test uses fixed seeds, so it is deterministic.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use trialc::codes;
use trialc::data::ArmRecord;
use trialc::driver::{Checked, Session, SessionOptions};
use trialc::fit::RunSettings;
use trialc::lower::{self, LoweredOutcome};
use trialc::schedule::{Phase, Schedule};
use trialc::simulate::generate::{generate, Generated};
use trialc::simulate::{self, Overrides, Plan};
use trialc::source::MemorySources;
use trialc_runtime::posterior::{Init, Method};
use trialc_runtime::rng::ChainRng;

fn checked(spec: &str) -> Checked {
    let sources = MemorySources::new().with("spec.trial", spec.to_string());
    let mut session = Session::new(sources, SessionOptions::default());
    let file = session.open("spec.trial").expect("open");
    match session.check(file) {
        Ok(c) => c,
        Err(_) => panic!("{:#?}", session.diagnostics()),
    }
}

fn settings(method: Method, seed: u64, warmup: usize, draws: usize) -> RunSettings {
    RunSettings {
        chains: 1,
        warmup,
        draws,
        seed,
        method,
        init: Init::None,
        ..RunSettings::default()
    }
}

fn plan_of(checked: &Checked) -> Plan {
    simulate::plan(
        checked,
        &Overrides::default(),
        &settings(Method::Laplace, 1, 0, 100),
        "test",
    )
    .expect("plan")
}

/// The outcome models of the plan's (only) design on a placeholder diary,
/// as `trialc simulate` lowers them once per design.
fn template(checked: &Checked, plan: &Plan) -> Vec<LoweredOutcome> {
    let spec = &plan.specs[0];
    let schedule = trialc::schedule::build(&spec.schedule_spec()).expect("schedule");
    let diary = simulate::placeholder_diary(spec, &schedule);
    lower::lower(spec, &schedule, &diary, &checked.hypotheses).expect("lower")
}

/// Replicate `seed` of the plan's scenario `name`.
fn generated(checked: &Checked, plan: &Plan, name: &str, seed: u64) -> Generated {
    let scenario = plan
        .scenarios
        .iter()
        .find(|s| s.name == name)
        .expect("scenario");
    generate(&plan.specs[0], &template(checked, plan), scenario, seed).expect("generate")
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The arm of the period before the one of `day`, if any.
fn previous_arm(schedule: &Schedule, day: u64) -> Option<usize> {
    let period = schedule.period_of_day(day)?;
    let index = usize::try_from(period.number.checked_sub(2)?).ok()?;
    schedule.periods.get(index).map(|p| p.arm)
}

/// Two arms, four randomized pairs of 10-day periods after a 4-day run-in,
/// a 3-day washout after each switch; a decaying carryover.
const DECAY: &str = r#"
trial "decay" { title "Decaying carryover" }
arm drug "Drug"
arm placebo "Placebo" reference
schedule {
  run_in    4 days
  period    10 days
  cycles    4
  sequence  randomized pairs
  washout   3 days
  seed      5
}
outcome pain "Pain" {
  type      continuous
  measured  daily
  better    lower
  mcid      1
  primary
}
model pain {
  effect drug ~ normal(0, 5)
  intercept   ~ normal(0, 10)
  trend       ~ normal(0, 1) per 10 days
  carryover   decay(rate ~ gamma(2, 4))
  errors      independent(sigma ~ half_normal(2))
}
simulate {
  scenario exact: effect on pain = -2, intercept on pain = 5, trend on pain = 0.3,
                  sigma on pain = 0.000001, carryover decay on pain = 0.4, adherence 0.8
  scenario noisy: effect on pain = -1.5, intercept on pain = 5, trend on pain = 0,
                  sigma on pain = 1, carryover decay on pain = 0.5
  scenario drawn: effect on pain = -1
}
"#;

#[test]
fn a_decaying_carryover_fades_the_previous_arms_effect_washout_days_included() {
    let checked = checked(DECAY);
    let plan = plan_of(&checked);
    let (delta, alpha, beta, rate) = (-2.0, 5.0, 0.3, 0.4);
    let effect = |arm: Option<usize>| if arm == Some(0) { delta } else { 0.0 };
    let (mut switches, mut washout_none, mut repeats) = (0, 0, 0);
    for seed in [3, 4, 5] {
        let g = generated(&checked, &plan, "exact", seed);
        let s = &g.schedule;
        assert_eq!(g.truths[0].carryover_rate, Some(rate));
        // The trend's centre: the middle of the days the analysis analyses,
        // every period day (washout days are analysed with the decay).
        let period_days: Vec<u64> = s
            .periods
            .iter()
            .flat_map(|p| p.first_day..=p.last_day)
            .collect();
        let centre = period_days.iter().sum::<u64>() as f64 / period_days.len() as f64;
        repeats += s
            .periods
            .windows(2)
            .filter(|w| w[0].arm == w[1].arm)
            .count();
        for row in &g.diary.rows {
            let d = row.day;
            let y = row.values[0].expect("every day has a value");
            let period = s.period_of_day(d);
            // On treatment from the period's first day, unless a missed dose.
            let arm = period
                .filter(|_| row.arm != ArmRecord::NoArm)
                .map(|p| p.arm);
            let mut mean = alpha + effect(arm) + beta * (d as f64 - centre) / 10.0;
            if let (Some(p), Some(k)) = (period, previous_arm(s, d)) {
                if k != p.arm {
                    let days_since = (d + 1 - p.first_day) as f64;
                    mean += (-rate * days_since).exp() * (effect(Some(k)) - effect(arm));
                    switches += 1;
                }
            }
            assert!((y - mean).abs() < 1e-4, "day {d}: {y} vs {mean}");
            if s.phase_on_day(d) == Some(Phase::Washout) && row.arm == ArmRecord::NoArm {
                washout_none += 1;
            }
        }
        // The analysis reads every period day, washout days included.
        let lowered =
            lower::lower(&plan.specs[0], s, &g.diary, &checked.hypotheses).expect("lower");
        let set = &lowered[0].analysis;
        assert!(set.washout.is_empty());
        let taken = g
            .diary
            .rows
            .iter()
            .filter(|r| s.period_of_day(r.day).is_some() && r.arm != ArmRecord::NoArm)
            .count();
        assert_eq!(set.n(), taken);
    }
    // The seeds exercise switches, repeated arms and doses missed in a washout.
    assert!(
        switches > 0 && repeats > 0 && washout_none > 0,
        "{switches} {repeats} {washout_none}"
    );
    // Without a scenario value the rate is drawn from its prior, gamma(2, 4).
    let rates: Vec<f64> = (0..400)
        .map(|seed| {
            generated(&checked, &plan, "drawn", seed).truths[0]
                .carryover_rate
                .expect("rate")
        })
        .collect();
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    // Mean 0.5, sd sqrt(2) / 4.
    let se = 2f64.sqrt() / 4.0 / (rates.len() as f64).sqrt();
    assert!((mean - 0.5).abs() < 4.0 * se, "mean rate {mean}");
}

/// A lagged outcome: daily values over a 5-day run-in and three cycles of
/// 8-day periods with a 2-day washout, 30% of them missing (gaps of 2, 3, …).
const LAG: &str = r#"
trial "lag" { title "Lagged outcome" }
arm drug "Drug"
arm placebo "Placebo" reference
schedule {
  run_in    5 days
  period    8 days
  cycles    3
  sequence  alternating
  washout   2 days
}
outcome mood "Mood" {
  type      continuous
  measured  daily
  better    higher
  mcid      1
  primary
}
model mood {
  effect drug ~ normal(0, 5)
  intercept   ~ normal(0, 10)
  lag         ~ uniform(-1, 1)
  errors      independent(sigma ~ half_normal(2))
}
simulate {
  scenario gaps: effect on mood = 1.5, intercept on mood = 4, sigma on mood = 0.7,
                 lag on mood = 0.6, missing 0.3
  scenario calibration: effect on mood = 1, intercept on mood = 4, sigma on mood = 1,
                        lag on mood = 0.5
}
"#;

#[test]
fn a_lagged_outcome_weighs_the_previous_recorded_value_by_rho_to_the_gap() {
    let checked = checked(LAG);
    let plan = plan_of(&checked);
    let (alpha, delta, sigma, rho): (f64, f64, f64, f64) = (4.0, 1.5, 0.7, 0.6);
    let mut gaps = std::collections::BTreeSet::new();
    for seed in [1, 2] {
        let g = generated(&checked, &plan, "gaps", seed);
        let s = &g.schedule;
        // The recorded values in time order.
        let recorded: Vec<(u64, f64)> = g
            .diary
            .rows
            .iter()
            .filter_map(|r| r.values[0].map(|v| (r.day, v)))
            .collect();
        // The analysed values: treatment days with an earlier value; the
        // centre is the mean of their previous values.
        let analysed: Vec<usize> = (1..recorded.len())
            .filter(|&i| s.phase_on_day(recorded[i].0) == Some(Phase::Treatment))
            .collect();
        let centre =
            analysed.iter().map(|&i| recorded[i - 1].1).sum::<f64>() / analysed.len() as f64;
        assert!((g.truths[0].lag_centre.expect("centre") - centre).abs() < 1e-9);
        // The analysis centres the lag there too.
        let lowered =
            lower::lower(&plan.specs[0], s, &g.diary, &checked.hypotheses).expect("lower");
        assert!((lowered[0].lag_centre.expect("lag") - centre).abs() < 1e-9);
        assert_eq!(lowered[0].analysis.n(), analysed.len());
        // The noise: one normal a scheduled day (recorded or not), stream 1.
        let mut rng = ChainRng::new(seed, 1);
        let z: Vec<f64> = (1..=s.total_days).map(|_| rng.normal()).collect();
        for (i, &(d, y)) in recorded.iter().enumerate() {
            // The arm acting: the previous period's in a washout.
            let arm = match s.phase_on_day(d) {
                Some(Phase::Treatment) => s.arm_on_day(d),
                Some(Phase::Washout) => previous_arm(s, d),
                _ => None,
            };
            let mut mean = alpha + if arm == Some(0) { delta } else { 0.0 };
            if i > 0 {
                let (d0, y0) = recorded[i - 1];
                let gap = (d - d0) as i32;
                gaps.insert(gap);
                mean += rho.powi(gap) * (y0 - centre);
            }
            let residual = y - mean;
            assert!(
                (residual - sigma * z[d as usize - 1]).abs() < 1e-9,
                "day {d}: residual {residual} vs {}",
                sigma * z[d as usize - 1]
            );
        }
    }
    assert!(gaps.len() >= 3, "gaps {gaps:?}");
}

/// A binary, a binomial (6 trials a day) and a count outcome, each with a
/// latent AR(1); the count measured on days 1, 2, 4 and 7 of each week.
const LATENT: &str = r#"
trial "latent" { title "Latent AR(1)" }
arm drug "Drug"
arm placebo "Placebo" reference
schedule {
  run_in    3 days
  period    7 days
  cycles    4
  sequence  randomized pairs
  seed      9
}
outcome attack "Attack" {
  type      binary
  measured  daily
  better    lower
  primary
}
outcome taken "Doses on time" {
  type      binomial of 6
  measured  daily
  better    higher
  secondary
}
outcome headaches "Headaches" {
  type      count
  measured  on days [1, 2, 4, 7]
  better    lower
  secondary
}
model attack {
  effect drug ~ normal(0, 2)
  intercept   ~ normal(0, 2)
  errors      ar1(phi ~ beta(2, 2), sigma ~ half_normal(1))
}
model taken {
  effect drug ~ normal(0, 2)
  intercept   ~ normal(0, 2)
  errors      ar1(phi ~ beta(2, 2), sigma ~ half_normal(1))
}
model headaches {
  effect drug ~ normal(0, 2)
  intercept   ~ normal(0, 2)
  errors      ar1(phi ~ beta(2, 2), sigma ~ half_normal(1))
}
simulate {
  scenario known: effect on attack = -1, intercept on attack = -0.5,
                  sigma on attack = 0.8, phi on attack = 0.7,
                  effect on taken = 0.5, intercept on taken = 1,
                  sigma on taken = 0.6, phi on taken = -0.4,
                  effect on headaches = -0.7, intercept on headaches = 1.2,
                  sigma on headaches = 0.5, phi on headaches = 0.8,
                  missing 0.2
}
"#;

#[test]
fn a_latent_ar1_runs_across_gaps_under_binary_binomial_and_count_observations() {
    let checked = checked(LATENT);
    let plan = plan_of(&checked);
    // (effect, intercept, sigma, phi) of each outcome.
    let truths = [
        (-1.0, -0.5, 0.8, 0.7),
        (0.5, 1.0, 0.6, -0.4),
        (-0.7, 1.2, 0.5, 0.8),
    ];
    let seed = 17;
    let g = generated(&checked, &plan, "known", seed);
    let s = &g.schedule;
    let mut gaps = std::collections::BTreeSet::new();
    for (j, &(delta, alpha, sigma, phi)) in truths.iter().enumerate() {
        let latent = g.truths[j].latent.expect("a latent AR(1)");
        assert_eq!((latent.sigma, latent.phi), (sigma, phi));
        let days = &s.outcomes[j].days;
        // The latent process on the measurement days, exact across gaps,
        // from the outcome's latent stream (8j + 3).
        let mut rng = ChainRng::new(seed, 8 * j as u64 + 3);
        let mut x = Vec::with_capacity(days.len());
        for (i, &d) in days.iter().enumerate() {
            let z = rng.normal();
            x.push(if i == 0 {
                sigma / (1.0 - phi * phi).sqrt() * z
            } else {
                let g = (d - days[i - 1]) as i32;
                gaps.insert(g);
                let sd = sigma * ((1.0 - phi.powi(2 * g)) / (1.0 - phi * phi)).sqrt();
                phi.powi(g) * x[i - 1] + sd * z
            });
        }
        // The observations from the noise stream (8j + 1): one uniform per
        // day for the binary, one per trial for the binomial, the
        // runtime's Poisson for the count.
        let mut noise = ChainRng::new(seed, 8 * j as u64 + 1);
        let mut recorded = 0;
        for (i, &d) in days.iter().enumerate() {
            let arm = s
                .arm_on_day(d)
                .filter(|_| s.phase_on_day(d) == Some(Phase::Treatment));
            let eta = alpha + if arm == Some(0) { delta } else { 0.0 } + x[i];
            let expected = match j {
                0 => f64::from(u8::from(noise.uniform() < logistic(eta))),
                1 => (0..6).filter(|_| noise.uniform() < logistic(eta)).count() as f64,
                _ => trialc_runtime::mir::simulate::poisson(eta.exp(), &mut noise),
            };
            if let Some(v) = g.diary.value(j, d) {
                assert_eq!(v, expected, "outcome {j}, day {d}");
                recorded += 1;
            }
        }
        assert!(recorded > days.len() / 2);
    }
    assert!(
        gaps.contains(&1) && gaps.contains(&2) && gaps.contains(&3),
        "{gaps:?}"
    );
}

/// Fits `scenario` of `spec` on `replicates` generated diaries and returns,
/// per named parameter, the mean and the mean square of the z-scores
/// (posterior mean - truth) / posterior sd.
fn calibration(
    spec: &str,
    scenario: &str,
    parameters: &[(&str, f64)],
    settings: &RunSettings,
    replicates: u64,
) -> Vec<(f64, f64)> {
    let checked = checked(spec);
    let plan = plan_of(&checked);
    let template = template(&checked, &plan);
    let scenario = plan
        .scenarios
        .iter()
        .find(|s| s.name == scenario)
        .expect("scenario");
    let mut z = vec![Vec::new(); parameters.len()];
    for r in 0..replicates {
        let seed = 1000 + r;
        let g = generate(&plan.specs[0], &template, scenario, seed).expect("generate");
        let lowered = lower::lower(&plan.specs[0], &g.schedule, &g.diary, &checked.hypotheses)
            .expect("lower");
        let posterior =
            trialc::fit::fit_model(lowered[0].model.clone(), settings, seed, None).expect("fit");
        for (k, (name, truth)) in parameters.iter().enumerate() {
            let draws = posterior
                .element(posterior.index(name).expect("parameter"))
                .concat();
            let n = draws.len() as f64;
            let mean = draws.iter().sum::<f64>() / n;
            let sd = (draws.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            z[k].push((mean - truth) / sd);
        }
    }
    z.iter()
        .map(|zs| {
            let n = zs.len() as f64;
            (
                zs.iter().sum::<f64>() / n,
                zs.iter().map(|v| v * v).sum::<f64>() / n,
            )
        })
        .collect()
}

/// With R replicates of z-scores that are N(0, 1) when the posterior is
/// calibrated, the mean z is within 3.5 / sqrt(R) of 0 and the mean z^2
/// (chi-square with R degrees of freedom over R) within its 0.9995 bounds
/// for R = 20 (0.33, 2.2).
fn assert_calibrated(name: &str, (mean, square): (f64, f64), replicates: u64) {
    let r = replicates as f64;
    assert!(mean.abs() < 3.5 / r.sqrt(), "{name}: mean z {mean}");
    assert!(square > 0.33 && square < 2.2, "{name}: mean z^2 {square}");
}

#[test]
fn the_decay_rate_and_the_effect_are_recovered_from_simulated_diaries() {
    let r = 20;
    let found = calibration(
        DECAY,
        "noisy",
        &[("effect[drug]", -1.5), ("carryover_rate", 0.5)],
        &settings(Method::Nuts, 1, 300, 300),
        r,
    );
    assert_calibrated("effect", found[0], r);
    assert_calibrated("rate", found[1], r);
}

#[test]
fn the_lag_and_the_effect_are_recovered_from_simulated_diaries() {
    let r = 20;
    let found = calibration(
        LAG,
        "calibration",
        &[("effect[drug]", 1.0), ("lag", 0.5), ("intercept", 4.0)],
        &settings(Method::Laplace, 1, 0, 1000),
        r,
    );
    assert_calibrated("effect", found[0], r);
    assert_calibrated("lag", found[1], r);
    assert_calibrated("intercept", found[2], r);
}

/// One count outcome with a latent AR(1) over 8 weeks.
const COUNT_AR1: &str = r#"
trial "count-ar1" { title "Count with a latent AR(1)" }
arm drug "Drug"
arm placebo "Placebo" reference
schedule {
  period    14 days
  cycles    2
  sequence  alternating
}
outcome headaches "Headaches" {
  type      count
  measured  daily
  better    lower
  primary
}
model headaches {
  effect drug ~ normal(0, 2)
  intercept   ~ normal(1, 1)
  errors      ar1(phi ~ beta(3, 2), sigma ~ half_normal(0.5))
}
simulate {
  scenario known: effect on headaches = -0.6, intercept on headaches = 1.5,
                  sigma on headaches = 0.4, phi on headaches = 0.6
}
"#;

#[test]
fn a_count_outcomes_effect_and_latent_ar1_are_recovered_by_nuts() {
    let r = 20;
    let found = calibration(
        COUNT_AR1,
        "known",
        &[
            ("effect[drug]", -0.6),
            ("intercept", 1.5),
            ("sigma", 0.4),
            ("phi", 0.6),
        ],
        &settings(Method::Nuts, 7, 300, 300),
        r,
    );
    for (name, f) in ["effect", "intercept", "sigma", "phi"].iter().zip(&found) {
        assert_calibrated(name, *f, r);
    }
}

#[test]
fn covariates_a_clock_and_trials_from_a_column_are_refused_with_e1106() {
    let spec = |outcome: &str, model: &str| {
        format!(
            r#"
trial "refused" {{ title "Refused" }}
arm drug "Drug"
arm placebo "Placebo" reference
schedule {{
  period    7 days
  cycles    2
  sequence  alternating
}}
{outcome}
model y {{
  effect drug ~ normal(0, 1)
  {model}
}}
"#
        )
    };
    let continuous = r#"outcome y "Y" { type continuous  measured daily  better lower  primary }
outcome sleep "Sleep" { type continuous  measured daily  better higher  secondary }"#;
    let refused = |text: &str| -> Vec<trialc::diagnostic::Diagnostic> {
        let checked = checked(text);
        simulate::plan(
            &checked,
            &Overrides::default(),
            &settings(Method::Laplace, 1, 0, 100),
            "test",
        )
        .err()
        .unwrap_or_default()
    };
    let d = refused(&spec(continuous, "covariate stress ~ normal(0, 1)"));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, codes::E1106.as_str());
    assert!(
        d[0].message.contains(
            "its covariate `stress` is a diary column whose values the spec does not give"
        ),
        "{}",
        d[0].message
    );
    let d = refused(&spec(continuous, "covariate sleep ~ normal(0, 1)"));
    assert!(
        d[0].message.contains("`sleep` is another outcome"),
        "{}",
        d[0].message
    );
    let d = refused(&spec(
        continuous,
        "errors ar1(phi ~ beta(2, 2), sigma ~ half_normal(1))\n  clock hour",
    ));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, codes::E1106.as_str());
    assert!(
        d[0].message.contains("its clock `hour`"),
        "{}",
        d[0].message
    );
    let d = refused(&spec(
        r#"outcome y "Y" { type binomial of attempts  measured daily  better higher  primary }"#,
        "",
    ));
    assert_eq!(d.len(), 1);
    assert!(
        d[0].message.contains("the diary column `attempts`"),
        "{}",
        d[0].message
    );
    // What the spec gives is simulated.
    for (outcome, model) in [
        (continuous, "lag ~ uniform(-1, 1)"),
        (continuous, "carryover decay(rate ~ gamma(2, 4))"),
        (
            r#"outcome y "Y" { type binomial of 8  measured daily  better higher  primary }"#,
            "errors ar1(phi ~ beta(2, 2), sigma ~ half_normal(1))",
        ),
        (
            r#"outcome y "Y" { type count overdispersed  measured daily  better lower  primary }"#,
            "errors ar1(phi ~ beta(2, 2), sigma ~ half_normal(1))",
        ),
    ] {
        assert!(refused(&spec(outcome, model)).is_empty(), "{model}");
    }
}
