//! The model terms of issue 12 from spec and diary to the runtime's model,
//! against answers worked out here from the raw CSV: covariates (centred,
//! standardised, their missing values an error naming row and column or a
//! counted exclusion), the lagged outcome (the previous recorded value and
//! the gap to it), the clock (several rows a day, gaps in the diary's own
//! unit), the decaying carryover (washout days analysed, the days since
//! the switch), binomial trials, and the latent AR(1) of the Stan reference
//! bench's `count_ar1` model written as a spec. Every analysed set counts
//! each value once under one reason.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use trialc::codes;
use trialc::diagnostic::Diagnostic;
use trialc::driver::{DiarySource, Session, SessionOptions, Stop};
use trialc::lower::{lower, CarryoverHandling, LoweredOutcome, NoHypotheses, Role};
use trialc::source::MemorySources;
use trialc_runtime::density::LogDensity;
use trialc_runtime::mir::{Family, MirDensity};

mod common;

use common::{build, example, lowered};

/// The header shared by the specs of this file: two arms, weekly periods
/// in a fixed order A B B A A B (days 8..49 after a 7-day run-in).
fn spec(washout: &str, outcomes_and_models: &str) -> String {
    format!(
        r#"trial "terms" {{ title "Model terms" }}
arm walking "A walk after dinner"
arm usual   "Usual evenings" reference
schedule {{
  run_in    7 days
  period    7 days
  periods   6
  sequence  fixed "ABBAAB"
  {washout}
}}
{outcomes_and_models}
"#
    )
}

const MOOD: &str = r#"outcome mood "Mood, 0-10" {
  type      continuous in [0, 10]
  measured  daily
  better    higher
  primary
}
"#;

/// The arm of day `d` in the fixed pattern (`None` in the run-in).
fn arm_of(d: u64) -> Option<&'static str> {
    if d <= 7 {
        return None;
    }
    Some(["walking", "usual", "usual", "walking", "walking", "usual"][((d - 8) / 7) as usize])
}

/// A deterministic diary value in [lo, hi] (a simple LCG on `seed`).
fn value(seed: u64, lo: f64, hi: f64) -> f64 {
    let x = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let u = ((x >> 11) as f64) / ((1u64 << 53) as f64);
    ((lo + (hi - lo) * u) * 10.0).round() / 10.0
}

/// Lowers `text` with diary `csv` through a session; the lowered models,
/// or every diagnostic.
fn session(text: &str, csv: &str) -> Result<Vec<LoweredOutcome>, Vec<Diagnostic>> {
    let sources = MemorySources::new()
        .with("t/spec.trial".to_string(), text.to_string())
        .with("t/diary.csv".to_string(), csv.to_string());
    let mut s = Session::new(sources, SessionOptions::default());
    let prepared = s
        .open("t/spec.trial")
        .and_then(|f| s.check(f))
        .and_then(|c| s.prepare(c, DiarySource::Path("t/diary.csv")));
    match prepared {
        Ok(p) => Ok(p.lowered),
        Err(Stop::Invalid | Stop::Unusable(_)) => Err(s.diagnostics().to_vec()),
    }
}

fn codes_of(d: &[Diagnostic]) -> Vec<&'static str> {
    d.iter().filter(|d| d.is_error()).map(|d| d.code).collect()
}

// ------------------------------------------------------------ covariates

/// The mood-walks example against its raw CSV: every analysed day has
/// mood and temperature on a treatment day; the covariate columns are the
/// values centred on their mean and divided by their SD over those days;
/// days with a mood but no temperature are counted under `covariate
/// missing`; the lag is the previous recorded mood (any earlier day, the
/// run-in included) with the gap in days, centred on its mean.
#[test]
fn mood_walks_covariates_and_lag_follow_the_csv() {
    let ex = example("mood-walks");
    let l = &lowered(&ex)[0];
    type Row = (u64, Option<f64>, Option<f64>, Option<f64>);
    let rows: Vec<Row> = ex
        .csv
        .lines()
        .skip(1)
        .map(|line| {
            let c: Vec<&str> = line.split(',').collect();
            let num = |s: &str| s.parse::<f64>().ok();
            (c[0].parse().expect("day"), num(c[2]), num(c[3]), num(c[4]))
        })
        .collect();
    let mut analysed = Vec::new();
    let mut excluded = Vec::new();
    for (i, &(day, mood, stress, temp)) in rows.iter().enumerate() {
        if day <= 7 || mood.is_none() {
            continue;
        }
        let previous = rows[..i].iter().rev().find(|r| r.1.is_some());
        assert!(previous.is_some(), "the run-in gives every day a lag");
        if temp.is_none() {
            excluded.push(day);
            continue;
        }
        let p = previous.expect("previous");
        analysed.push((
            day,
            mood.expect("mood"),
            stress.expect("stress"),
            temp.expect("t"),
            p.1.expect("prev"),
            day - p.0,
        ));
    }
    let a = &l.analysis;
    assert_eq!(a.days, analysed.iter().map(|r| r.0).collect::<Vec<_>>());
    assert_eq!(a.missing_covariate, excluded);
    assert!(!excluded.is_empty());
    assert!(a.no_previous.is_empty());
    let lik = &l.model.likelihoods[0];
    let n = analysed.len() as f64;
    for (k, column) in [(0usize, 2usize), (1, 3)] {
        let raw: Vec<f64> = analysed
            .iter()
            .map(|r| if column == 2 { r.2 } else { r.3 })
            .collect();
        let mean = raw.iter().sum::<f64>() / n;
        let sd = (raw.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let info = &l.covariates[k];
        assert!((info.centre - mean).abs() < 1e-12 && (info.scale - sd).abs() < 1e-12);
        for (got, want) in lik.predictor.covariates[k].values.iter().zip(&raw) {
            assert!((got - (want - mean) / sd).abs() < 1e-12, "{got} vs {want}");
        }
    }
    let lag = lik.predictor.lagged_outcome.as_ref().expect("lag");
    let centre = analysed.iter().map(|r| r.4).sum::<f64>() / n;
    assert!((l.lag_centre.expect("centre") - centre).abs() < 1e-12);
    for ((v, g), r) in lag.values.iter().zip(&lag.gaps).zip(&analysed) {
        assert!((v - (r.4 - centre)).abs() < 1e-12);
        assert_eq!(*g, r.5 as i64);
    }
    assert!(lag.gaps.iter().any(|g| *g > 1), "the diary has gaps");
    assert_eq!(l.model.params[lag.param].name, "lag");
    // Every day counted once.
    let mut all: Vec<u64> = a.days.clone();
    for (_, days) in a.excluded() {
        all.extend_from_slice(days);
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), a.total());
    assert_eq!(a.total(), 77);
}

fn walks_csv(rows: &[(u64, Option<f64>, Option<f64>)]) -> String {
    let mut csv = String::from("day,arm,mood,stress\n");
    for &(d, mood, stress) in rows {
        let cell = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        csv.push_str(&format!(
            "{d},{},{},{}\n",
            arm_of(d).unwrap_or("none"),
            cell(mood),
            cell(stress)
        ));
    }
    csv
}

/// The diary without the stress column.
fn mood_only(csv: &str) -> String {
    csv.lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(a, _)| a).to_string() + "\n")
        .collect()
}

fn daily(days: u64) -> Vec<(u64, Option<f64>, Option<f64>)> {
    (1..=days)
        .map(|d| {
            (
                d,
                Some(value(d, 2.0, 8.0)),
                Some(value(d + 1000, 0.0, 10.0)),
            )
        })
        .collect()
}

/// Without `missing excluded`, an analysed day without the covariate is
/// E0730 naming its row and column, the label on the diary's row; with
/// it, the day is counted under `covariate missing`. A constant covariate
/// is E0735; a covariate column the diary lacks E0732, a cell that is not
/// a number E0731.
#[test]
fn covariate_values_missing_constant_or_invalid() {
    let model = |excluded: &str| {
        spec(
            "",
            &format!("{MOOD}model mood {{\n  effect walking ~ normal(0, 2)\n  covariate stress ~ normal(0, 1){excluded}\n}}"),
        )
    };
    let mut rows = daily(49);
    rows[19].2 = None; // day 20, row 21 of the CSV
    rows[30].2 = None; // day 31, row 32
    let csv = walks_csv(&rows);
    let errors = session(&model(""), &csv).expect_err("E0730");
    assert_eq!(codes_of(&errors), ["E0730"]);
    let e = &errors[0];
    assert_eq!(
        e.message,
        "row 21, column `stress`: no value on day 20, an analysed day of `mood`"
    );
    assert!(e.notes.iter().any(|n| n.contains("rows 21, 32")), "{e:?}");
    // The primary label is on the diary's row (a file of its own).
    let primary = e.labels.iter().find(|l| l.primary).expect("primary");
    let line = csv.lines().nth(20).expect("row 21");
    assert_eq!(&csv[primary.span.range()], line);

    let l = session(&model(" missing excluded"), &csv).expect("lowers");
    assert_eq!(l[0].analysis.missing_covariate, [20, 31]);
    assert_eq!(l[0].analysis.n(), 42 - 2);
    assert_eq!(l[0].analysis.total(), 49);

    let constant: Vec<_> = daily(49)
        .into_iter()
        .map(|(d, m, _)| (d, m, Some(3.0)))
        .collect();
    let errors = session(&model(""), &walks_csv(&constant)).expect_err("E0735");
    assert_eq!(codes_of(&errors), ["E0735"]);

    let no_column = mood_only(&walks_csv(&daily(49)));
    let errors = session(&model(""), &no_column).expect_err("E0732");
    assert!(codes_of(&errors).contains(&"E0732"), "{errors:?}");

    let bad = walks_csv(&daily(49)).replace("\n12,walking,", "\n12,walking,x");
    let bad = bad.replacen(",x", ",", 1);
    let bad = bad.replace(
        &format!("{}\n", bad.lines().nth(12).expect("row")),
        &format!(
            "{},high\n",
            bad.lines()
                .nth(12)
                .expect("row")
                .rsplit_once(',')
                .expect(",")
                .0
        ),
    );
    let errors = session(&model(""), &bad).expect_err("E0731");
    assert_eq!(codes_of(&errors), ["E0731"], "{errors:?}");
    assert!(errors[0].message.contains("`high` is not a number"));
}

/// A covariate may be another outcome's column: its values are that
/// outcome's.
#[test]
fn another_outcomes_column_is_a_covariate() {
    let text = spec(
        "",
        &format!(
            r#"{MOOD}
outcome sleep "Hours slept" {{
  type      continuous in [0, 14]
  measured  daily
  better    higher
  secondary
}}
model mood {{
  effect walking ~ normal(0, 2)
  covariate sleep ~ normal(0, 1)
}}"#
        ),
    );
    let mut csv = String::from("day,arm,mood,sleep\n");
    for d in 1..=49 {
        csv.push_str(&format!(
            "{d},{},{},{}\n",
            arm_of(d).unwrap_or("none"),
            value(d, 2.0, 8.0),
            value(d + 7, 4.0, 9.0)
        ));
    }
    let l = session(&text, &csv).expect("lowers");
    let days = &l[0].analysis.days;
    let raw: Vec<f64> = days.iter().map(|&d| value(d + 7, 4.0, 9.0)).collect();
    let mean = raw.iter().sum::<f64>() / raw.len() as f64;
    for (got, want) in l[0].model.likelihoods[0].predictor.covariates[0]
        .values
        .iter()
        .zip(&raw)
    {
        assert!((got - (want - mean)).abs() < 1e-12);
    }
    assert_eq!(l[0].covariates[0].scale, 1.0);
}

// ------------------------------------------------------------ lag

/// Without a run-in value the first recorded value has nothing to lag:
/// counted under `no previous value`; its value is the next day's lag.
#[test]
fn the_first_value_has_no_previous_value() {
    let text = spec(
        "",
        &format!(
            "{MOOD}model mood {{\n  effect walking ~ normal(0, 2)\n  lag ~ uniform(-1, 1)\n}}"
        ),
    );
    // No run-in values at all; day 8 is the first value.
    let rows: Vec<_> = daily(49).into_iter().filter(|r| r.0 >= 8).collect();
    let l = session(&text, &mood_only(&walks_csv(&rows))).expect("lowers");
    let a = &l[0].analysis;
    assert_eq!(a.no_previous, [8]);
    assert_eq!(a.days.first(), Some(&9));
    let lag = l[0].model.likelihoods[0]
        .predictor
        .lagged_outcome
        .as_ref()
        .expect("lag");
    let centre = l[0].lag_centre.expect("centre");
    assert!((lag.values[0] + centre - value(8, 2.0, 8.0)).abs() < 1e-12);
    assert_eq!(lag.gaps[0], 1);
    assert_eq!(a.total(), 49 - 7 + 7, "run-in days are scheduled days too");
}

// ------------------------------------------------------------ clock

/// Hourly readings: several rows a day, one value each, analysed one by
/// one; the AR(1) gaps are in hours (the likelihood's times are the
/// clock); a daily outcome in the same diary keeps one value a day.
#[test]
fn an_hourly_clock_counts_every_reading_once() {
    let text = spec(
        "",
        r#"outcome heart_rate "Heart rate, bpm" {
  type      continuous in [30, 200]
  measured  daily
  better    lower
  primary
}
outcome mood "Mood, 0-10" {
  type      continuous in [0, 10]
  measured  daily
  better    higher
  secondary
}
model heart_rate {
  effect walking ~ normal(0, 5)
  errors ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(5))
  clock hour
}
"#,
    );
    let mut csv = String::from("day,hour,arm,heart_rate,mood\n");
    let mut readings = 0;
    for d in 1..=49u64 {
        let arm = arm_of(d).unwrap_or("none");
        // Three readings a day (hours 8, 14, 20 of the day), none on day 20;
        // the day's mood on the evening row.
        for (k, h) in [8u64, 14, 20].iter().enumerate() {
            if d == 20 {
                continue;
            }
            let hour = (d - 1) * 24 + h;
            let mood = if k == 2 {
                value(d, 2.0, 8.0).to_string()
            } else {
                String::new()
            };
            csv.push_str(&format!(
                "{d},{hour},{arm},{},{mood}\n",
                value(hour, 55.0, 80.0)
            ));
            if d > 7 {
                readings += 1;
            }
        }
    }
    let l = session(&text, &csv).expect("lowers");
    let hr = &l[0];
    assert_eq!(hr.analysis.n(), readings);
    assert_eq!(hr.analysis.missing, [20]);
    assert_eq!(hr.analysis.run_in.len(), 21);
    assert_eq!(hr.analysis.total(), readings + 21 + 1);
    let lik = &hr.model.likelihoods[0];
    assert!(matches!(lik.family, Family::NormalAr1 { .. }));
    let gaps: Vec<i64> = lik.days.windows(2).map(|w| w[1] - w[0]).collect();
    // 6 hours within a day, 12 overnight, 36 across the day without readings.
    assert!(gaps.iter().all(|g| [6, 12, 36].contains(g)), "{gaps:?}");
    assert_eq!(gaps.iter().filter(|g| **g == 36).count(), 1);
    assert_eq!(hr.clock.as_deref(), Some("hour"));
    let mood = &l[1];
    assert_eq!(mood.analysis.n(), 41);
    assert_eq!(mood.model.likelihoods[0].days.len(), 41);
    let d = MirDensity::new(hr.model.clone()).expect("valid");
    let mut g = vec![0.0; d.dim()];
    assert!(d.logp_grad(&vec![0.1; d.dim()], &mut g).is_finite());
}

/// The clock's rows must make sense: E0734 for a repeated clock value, a
/// clock going back, a clocked value without a clock, two values of an
/// outcome without a clock on one day, and two arms on one day.
#[test]
fn several_rows_a_day_need_a_consistent_clock() {
    let text = spec(
        "",
        r#"outcome heart_rate "Heart rate, bpm" {
  type      continuous in [30, 200]
  measured  daily
  better    lower
  primary
}
outcome mood "Mood, 0-10" {
  type      continuous in [0, 10]
  measured  daily
  better    higher
  secondary
}
model heart_rate {
  effect walking ~ normal(0, 5)
  errors ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(5))
  clock hour
}
"#,
    );
    let good = "day,hour,arm,heart_rate,mood\n8,200,walking,70,5\n8,205,walking,72,\n";
    assert!(session(&text, good).is_err(), "too few days, but no E0734");
    let cases = [
        (
            "8,200,walking,70,5\n8,200,walking,72,\n",
            "two rows at hour 200",
        ),
        (
            "8,200,walking,70,5\n9,190,walking,72,\n",
            "the clock goes back",
        ),
        ("8,200,walking,70,5\n8,,walking,72,\n", "no `hour`"),
        (
            "8,200,walking,70,5\n8,201,walking,72,6\n",
            "`mood` has two values on day 8",
        ),
        (
            "8,200,walking,70,5\n8,201,usual,72,\n",
            "name different arms",
        ),
    ];
    for (rows, needle) in cases {
        let csv = format!("day,hour,arm,heart_rate,mood\n{rows}");
        let errors = session(&text, &csv).expect_err(needle);
        let e0734: Vec<&Diagnostic> = errors.iter().filter(|d| d.code == "E0734").collect();
        assert_eq!(e0734.len(), 1, "{needle}: {errors:#?}");
        assert!(e0734[0].message.contains(needle), "{}", e0734[0].message);
    }
    // Without a clock, a second row of a day is still E0712.
    let no_clock = text.replace("  clock hour\n", "");
    let csv = "day,hour,arm,heart_rate,mood\n8,200,walking,70,5\n8,201,walking,72,\n";
    let errors = session(&no_clock, csv).expect_err("E0712");
    assert!(codes_of(&errors).contains(&"E0712") || codes_of(&errors).contains(&"E0704"));
}

// ------------------------------------------------------------ carryover

/// `carryover decay` analyses the washout days and puts one transition on
/// every analysed day of a period that follows a period on the other arm:
/// s = day - first day of the period + 1, from the previous arm's effect
/// (none for the reference) to the current one's.
#[test]
fn a_decaying_carryover_analyses_the_washout() {
    let text = |decay: &str| {
        spec(
            "washout 2 days",
            &format!("{MOOD}model mood {{\n  effect walking ~ normal(0, 2){decay}\n}}"),
        )
    };
    let csv = mood_only(&walks_csv(&daily(49)));
    let plain = session(&text(""), &csv).expect("lowers");
    assert_eq!(plain[0].carryover, CarryoverHandling::Washout);
    // Switches before periods 2, 4 and 6 (A B B A A B): 2 washout days each.
    assert_eq!(plain[0].analysis.washout, [15, 16, 29, 30, 43, 44]);
    let decayed = session(&text("\n  carryover decay(rate ~ gamma(2, 2))"), &csv).expect("lowers");
    let l = &decayed[0];
    assert_eq!(l.carryover, CarryoverHandling::Decay);
    assert!(l.analysis.washout.is_empty());
    assert_eq!(l.analysis.n(), 42);
    let effect = l.effect(0).expect("effect").id;
    let cd = l.model.likelihoods[0]
        .predictor
        .carryover_decay
        .as_ref()
        .expect("decay");
    let want: Vec<(u64, f64, Option<usize>, Option<usize>)> = l
        .analysis
        .days
        .iter()
        .filter_map(|&d| {
            let period = (d - 8) / 7;
            let first = 8 + 7 * period;
            let (prev, now) = (arm_of(first.checked_sub(1)?)?, arm_of(d)?);
            let id = |a: &str| (a == "walking").then_some(effect);
            (prev != now).then(|| (d, (d - first + 1) as f64, id(prev), id(now)))
        })
        .collect();
    assert_eq!(cd.transitions.len(), want.len());
    for (t, w) in cd.transitions.iter().zip(&want) {
        assert_eq!(l.analysis.days[t.obs], w.0);
        assert_eq!((t.elapsed, t.from, t.to), (w.1, w.2, w.3));
    }
    assert_eq!(want.len(), 21, "periods 2, 4 and 6 follow a switch");
    let rate = l
        .params
        .iter()
        .find(|p| p.role == Role::CarryoverRate)
        .expect("rate");
    assert_eq!(rate.prior_text, "gamma(2, 2)");
}

// ------------------------------------------------------------ binomial

/// Binomial trials: a constant, or the day's cell; successes above the
/// trials are E0733 either way.
#[test]
fn binomial_trials_come_from_the_spec_or_the_diary() {
    let outcome = |trials: &str| {
        spec(
            "",
            &format!(
                r#"outcome doses "Doses taken as prescribed" {{
  type      binomial of {trials}
  measured  daily
  better    higher
  primary
}}"#
            ),
        )
    };
    let mut fixed = String::from("day,arm,doses\n");
    let mut column = String::from("day,arm,doses,planned\n");
    for d in 1..=49u64 {
        let arm = arm_of(d).unwrap_or("none");
        let n = 2 + d % 3;
        fixed.push_str(&format!("{d},{arm},{}\n", d % 4));
        column.push_str(&format!("{d},{arm},{},{n}\n", d % (n + 1)));
    }
    let l = session(&outcome("3"), &fixed).expect("lowers");
    let Family::BinomialLogit { trials } = &l[0].model.likelihoods[0].family else {
        panic!("binomial");
    };
    assert_eq!(trials, &vec![3; 42]);
    let l = session(&outcome("planned"), &column).expect("lowers");
    let Family::BinomialLogit { trials } = &l[0].model.likelihoods[0].family else {
        panic!("binomial");
    };
    let want: Vec<u64> = l[0].analysis.days.iter().map(|d| 2 + d % 3).collect();
    assert_eq!(trials, &want);
    let errors = session(
        &outcome("3"),
        &fixed.replace("\n9,walking,1\n", "\n9,walking,4\n"),
    )
    .expect_err("E0733");
    assert_eq!(codes_of(&errors), ["E0733"]);
    let errors = session(
        &outcome("planned"),
        &column.replace("\n9,walking,0,2\n", "\n9,walking,3,2\n"),
    )
    .expect_err("E0733");
    assert_eq!(codes_of(&errors), ["E0733"]);
    let errors = session(
        &outcome("planned"),
        &column.replace("\n9,walking,0,2\n", "\n9,walking,0,0\n"),
    )
    .expect_err("E0731");
    assert_eq!(codes_of(&errors), ["E0731"]);
}

// ------------------------------------------------------------ latent AR(1)

/// The Stan reference bench's `count_ar1` as a spec
/// (`scripts/stan-compare/cases/count_ar1`): 89 parameters, and its log
/// density at a point equals the bench's model written out here (Poisson
/// with the latent non-centred AR(1) recursion, the priors of
/// count_ar1.stan, the log-Jacobians of sigma and phi).
#[test]
fn count_ar1_from_a_spec_is_the_reference_model() {
    let dir = format!(
        "{}/../scripts/stan-compare/cases/count_ar1",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(format!("{dir}/count_ar1.trial")).expect("spec");
    let csv = std::fs::read_to_string(format!("{dir}/diary.csv")).expect("diary");
    let ex = build(dir, text, csv.clone());
    let l = lower(&ex.spec, &ex.schedule, &ex.diary, &NoHypotheses).expect("lowers");
    let m = &l[0].model;
    let d = MirDensity::new(m.clone()).expect("valid");
    assert_eq!(d.dim(), 89);
    let names: Vec<&str> = m.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["intercept", "effect[b]", "trend", "sigma", "phi", "z"]
    );
    let data: Vec<(f64, f64, f64)> = csv
        .lines()
        .skip(1)
        .map(|line| {
            let c: Vec<&str> = line.split(',').collect();
            let t: f64 = c[0].parse().expect("day");
            (
                f64::from(u8::from(c[1] == "b")),
                (t - 42.5) / 83.0,
                c[2].parse().expect("y"),
            )
        })
        .collect();
    let x: Vec<f64> = (0..89)
        .map(|i| ((i * 37 % 23) as f64 - 11.0) / 12.0)
        .collect();
    let (mu, delta, beta) = (x[0], x[1], x[2]);
    let sigma = x[3].exp();
    let s = 1.0 / (1.0 + (-x[4]).exp());
    let phi = 2.0 * s - 1.0;
    let z = &x[5..];
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    let normal = |v: f64, m: f64, sd: f64| -0.5 * ln2pi - sd.ln() - 0.5 * ((v - m) / sd).powi(2);
    let mut want = normal(mu, 0.0, 10.0) + normal(delta, -0.5, 0.3) + normal(beta, 0.0, 1.0);
    want += 2f64.ln() + normal(sigma, 0.0, 5.0) + x[3]; // half-normal, log-Jacobian
    want += -2f64.ln() + (2.0 * s * (1.0 - s)).ln(); // uniform(-1, 1), Jacobian of phi
    let mut e = sigma / (1.0 - phi * phi).sqrt() * z[0];
    for (i, (b, t, y)) in data.iter().enumerate() {
        if i > 0 {
            e = phi * e + sigma * z[i];
        }
        want += normal(z[i], 0.0, 1.0);
        let eta = mu + delta * b + beta * t + e;
        want += y * eta - eta.exp() - statrs::function::gamma::ln_gamma(y + 1.0);
    }
    let mut g = vec![0.0; 89];
    let got = d.logp_grad(&x, &mut g);
    assert!(
        (got - want).abs() < 1e-9 * want.abs().max(1.0),
        "{got} vs {want}"
    );
}

/// `errors ar1` on a binary outcome is a latent AR(1) with the family's
/// defaults (sigma ~ half_normal(1), phi ~ uniform(-1, 1)); its innovations
/// follow the analysed days.
#[test]
fn errors_ar1_on_a_binary_outcome_is_latent() {
    let text = spec(
        "washout 2 days",
        r#"outcome attack "Migraine attack today" {
  type      binary
  measured  daily
  better    lower
  primary
}
model attack {
  effect walking ~ normal(0, 1)
  errors ar1()
}
"#,
    );
    let mut csv = String::from("day,arm,attack\n");
    for d in 1..=49u64 {
        csv.push_str(&format!(
            "{d},{},{}\n",
            arm_of(d).unwrap_or("none"),
            d % 3 % 2
        ));
    }
    let l = session(&text, &csv).expect("lowers");
    let lik = &l[0].model.likelihoods[0];
    let la = lik.predictor.latent_ar1.as_ref().expect("latent");
    assert_eq!(l[0].model.params[la.z].size, l[0].analysis.n());
    let priors: Vec<&str> = l[0].params.iter().map(|p| p.prior_text.as_str()).collect();
    assert!(priors.contains(&"half_normal(1)") && priors.contains(&"uniform(-1, 1)"));
    assert_eq!(lik.days.len(), l[0].analysis.n());
    assert!(
        lik.days.windows(2).any(|w| w[1] - w[0] == 3),
        "the washout is a gap"
    );
}

// ------------------------------------------------------------ every day once

/// Any diary the reader accepts for a model with a lag and a `missing
/// excluded` covariate lowers to a valid model or to E0716/E0735 only, and
/// counts every day once: the analysed and excluded days are each day of
/// the diary or the schedule, no day twice.
fn counted_once(cells: &[(Option<u8>, Option<u8>, u8)]) -> Result<(), String> {
    let text = spec(
        "washout 1 day",
        &format!(
            "{MOOD}model mood {{\n  effect walking ~ normal(0, 2)\n  lag ~ uniform(-1, 1)\n  covariate stress ~ normal(0, 1) missing excluded\n}}"
        ),
    );
    let mut csv = String::from("day,arm,mood,stress\n");
    for (i, (mood, stress, arm)) in cells.iter().enumerate() {
        let d = i as u64 + 1;
        let arm = match arm {
            0 => "",
            1 => "none",
            _ => arm_of(d).unwrap_or("none"),
        };
        let cell = |v: &Option<u8>| v.map_or(String::new(), |v| v.to_string());
        csv.push_str(&format!("{d},{arm},{},{}\n", cell(mood), cell(stress)));
    }
    match session(&text, &csv) {
        Ok(l) => {
            let a = &l[0].analysis;
            let mut all: Vec<u64> = a.days.clone();
            for (_, days) in a.excluded() {
                all.extend_from_slice(days);
            }
            let n = all.len();
            all.sort_unstable();
            all.dedup();
            if all.len() != n || a.total() != n || n != 49 {
                return Err(format!("{n} counted, {} distinct: {a:?}", all.len()));
            }
            MirDensity::new(l[0].model.clone()).map_err(|e| e.to_string())?;
            Ok(())
        }
        Err(d)
            if d.iter()
                .filter(|d| d.is_error())
                .all(|d| ["E0716", "E0735"].contains(&d.code)) =>
        {
            Ok(())
        }
        Err(d) => Err(format!("{d:#?}")),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 64,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x0012_7e57),
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    #[test]
    fn every_day_is_counted_once_with_the_models_exclusions(
        cells in proptest::collection::vec(
            (proptest::option::of(0u8..=10), proptest::option::weighted(0.8, 0u8..=10), 0u8..4),
            49,
        ),
    ) {
        if let Err(e) = counted_once(&cells) {
            proptest::prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn the_codes_this_file_tests_exist() {
    for code in [
        codes::E0730,
        codes::E0731,
        codes::E0732,
        codes::E0733,
        codes::E0734,
        codes::E0735,
    ] {
        assert!(codes::explain(code.as_str()).is_some(), "{}", code.as_str());
    }
}

// ------------------------------------------------------------ the report

fn fitted(
    spec: &trialc::hir::Spec,
    lowered: &[LoweredOutcome],
) -> (
    Vec<(LoweredOutcome, trialc_runtime::posterior::Posterior)>,
    trialc::report::RunSettings,
) {
    let settings = trialc::report::RunSettings {
        chains: 2,
        warmup: 300,
        draws: 300,
        seed: 7,
        max_depth: 10,
        ..trialc::report::RunSettings::default()
    };
    let fits = lowered
        .iter()
        .map(|l| {
            let cfg = trialc_runtime::nuts::NutsConfig {
                num_chains: settings.chains,
                num_warmup: settings.warmup,
                num_draws: settings.draws,
                seed: trialc::fit::outcome_seed(settings.seed, l.outcome),
                ..trialc_runtime::nuts::NutsConfig::default()
            };
            let post = trialc_runtime::posterior::fit(l.model.clone(), &cfg).expect("fit");
            (l.clone(), post)
        })
        .collect();
    let _ = spec;
    (fits, settings)
}

/// The report says how each outcome dealt with carryover (the decaying
/// one with its half-life: log(2) / rate summarised over the draws), gives
/// each covariate's centre and scale and the lag's centre as lowered, and
/// folds a latent AR(1)'s innovations into one line of the text.
#[test]
fn the_report_says_which_terms_and_which_carryover() {
    // mood-walks: covariates and lag, no washout.
    let ex = example("mood-walks");
    let l = lowered(&ex);
    let (fits, settings) = fitted(&ex.spec, &l);
    let r = trialc::report::build(&ex.spec, &ex.schedule, &ex.diary, &fits, &settings);
    let o = &r.outcomes[0];
    assert_eq!(o.carryover.method, "none");
    assert_eq!(o.covariates.len(), 2);
    for (c, info) in o.covariates.iter().zip(&l[0].covariates) {
        assert_eq!(
            (c.centre, c.scale, c.standardised),
            (info.centre, info.scale, true)
        );
        assert_eq!(c.parameter, format!("covariate[{}]", info.column));
    }
    assert_eq!(o.lag.as_ref().map(|g| g.centre), l[0].lag_centre);
    let json = trialc::report::json(&r);
    assert!(json.contains("\"covariate missing\""), "{json}");
    let text = trialc::report::text(&r);
    assert!(
        text.contains("covariate[stress]: per SD of `stress`"),
        "{text}"
    );
    assert!(
        text.contains("lag: the previous recorded mood (centred on"),
        "{text}"
    );

    // A decaying carryover: washout days analysed, the half-life reported.
    let decay = spec(
        "washout 2 days",
        &format!("{MOOD}model mood {{\n  effect walking ~ normal(0, 2)\n  carryover decay(rate ~ gamma(2, 2))\n}}"),
    );
    let csv = mood_only(&walks_csv(&daily(49)));
    let ex = build(".".into(), decay.clone(), csv.clone());
    let l = lower(&ex.spec, &ex.schedule, &ex.diary, &NoHypotheses).expect("lowers");
    let (fits, settings) = fitted(&ex.spec, &l);
    let r = trialc::report::build(&ex.spec, &ex.schedule, &ex.diary, &fits, &settings);
    let c = &r.outcomes[0].carryover;
    assert_eq!((c.method, c.washout_days), ("exponential decay", 2));
    let rate = r.outcomes[0]
        .parameters
        .iter()
        .find(|p| p.name == "carryover_rate")
        .expect("rate");
    let h = c.half_life.expect("half-life");
    let ln2 = std::f64::consts::LN_2;
    // The interval of log(2) / rate is the rate's turned over: the same
    // order statistics, up to the type-7 interpolation between neighbours
    // (linear in the half-life there, in the rate here).
    assert!(
        (h.lower - ln2 / rate.upper).abs() < 0.01 * h.lower,
        "{h:?} {rate:?}"
    );
    assert!(
        (h.upper - ln2 / rate.lower).abs() < 0.01 * h.upper,
        "{h:?} {rate:?}"
    );
    assert!(h.lower < h.median && h.median < h.upper);
    assert!(trialc::report::text(&r).contains("washout days are analysed"));
    // The same spec without the decay excludes the washout, and says so.
    let ex = build(
        ".".into(),
        decay.replace("\n  carryover decay(rate ~ gamma(2, 2))", ""),
        csv,
    );
    let l = lower(&ex.spec, &ex.schedule, &ex.diary, &NoHypotheses).expect("lowers");
    let (fits, settings) = fitted(&ex.spec, &l);
    let r = trialc::report::build(&ex.spec, &ex.schedule, &ex.diary, &fits, &settings);
    assert_eq!(r.outcomes[0].carryover.method, "washout excluded");
    assert!(
        trialc::report::text(&r).contains("the washout days (2 after each switch) are excluded")
    );

    // A latent AR(1): the innovations are parameters (JSON) but one line of text.
    let latent = spec(
        "",
        r#"outcome attack "Migraine attack today" {
  type      binary
  measured  daily
  better    lower
  primary
}
model attack {
  effect walking ~ normal(0, 1)
  errors ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(1))
}
"#,
    );
    let mut csv = String::from("day,arm,attack\n");
    for d in 1..=49u64 {
        csv.push_str(&format!(
            "{d},{},{}\n",
            arm_of(d).unwrap_or("none"),
            d % 3 % 2
        ));
    }
    let ex = build(".".into(), latent, csv);
    let l = lower(&ex.spec, &ex.schedule, &ex.diary, &NoHypotheses).expect("lowers");
    let (fits, settings) = fitted(&ex.spec, &l);
    let r = trialc::report::build(&ex.spec, &ex.schedule, &ex.diary, &fits, &settings);
    let o = &r.outcomes[0];
    let latent = o.latent_ar1.as_ref().expect("latent");
    assert_eq!(latent.elements, 42);
    assert_eq!(
        o.parameters.iter().filter(|p| p.parameter == "z").count(),
        42
    );
    let worst = o
        .parameters
        .iter()
        .filter(|p| p.parameter == "z")
        .map(|p| p.rhat)
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(latent.worst_rhat, worst);
    let text = trialc::report::text(&r);
    assert!(text.contains("z[1..42]: the latent AR(1)'s standard-normal innovations"));
    assert!(
        !text.contains("\n  z[1] "),
        "innovations are not listed one by one"
    );
}

/// W0301 (a dosed arm and no washout) is withheld when every outcome models
/// a decaying carryover, and names the outcomes left exposed when only some
/// do; without any decay it is raised as before.
#[test]
fn a_decaying_carryover_answers_the_washout_warning() {
    let header = |models: &str| {
        format!(
            r#"trial "mg" {{ title "Magnesium" }}
arm magnesium "Magnesium citrate 600 mg once daily"
arm placebo   "Matching placebo capsule" reference
schedule {{
  period    7 days
  cycles    2
  sequence  randomized pairs
  seed      7
}}
outcome pain "Pain, 0-10" {{
  type      continuous in [0, 10]
  measured  daily
  better    lower
  primary
}}
outcome sleep "Sleep, 0-10" {{
  type      continuous in [0, 10]
  measured  daily
  better    higher
}}
{models}
"#
        )
    };
    let w0301 = |models: &str| -> Vec<Diagnostic> {
        let (file, parse) = trialc::syntax::parse(&header(models));
        assert!(parse.is_empty(), "{parse:?}");
        let (spec, diagnostics) = trialc::hir::check(&file);
        assert!(spec.is_some(), "{diagnostics:?}");
        diagnostics
            .into_iter()
            .filter(|d| d.code == codes::W0301.as_str())
            .collect()
    };
    let decay = "  carryover decay(rate ~ gamma(2, 2))\n";
    let model = |name: &str, arm_decay: &str| {
        format!("model {name} {{\n  effect magnesium ~ normal(0, 2)\n{arm_decay}}}\n")
    };

    let none = w0301(&(model("pain", "") + &model("sleep", "")));
    assert_eq!(none.len(), 1);
    assert!(!none[0].notes.iter().any(|n| n.contains("carryover decay")));

    assert!(w0301(&(model("pain", decay) + &model("sleep", decay))).is_empty());

    let some = w0301(&(model("pain", decay) + &model("sleep", "")));
    assert_eq!(some.len(), 1);
    assert!(
        some[0]
            .notes
            .iter()
            .any(|n| n.contains("`sleep` models no `carryover decay`")),
        "{:?}",
        some[0].notes
    );
}
