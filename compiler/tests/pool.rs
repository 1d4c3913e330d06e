//! `trialc pool` through the library: a series read from memory with bad
//! inputs excluded by name, outputs that do not depend on the thread count,
//! shrinkage on the real HPI tea series, and pooling exported evidence
//! against pooling the diaries of the same synthetic series.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use trialc::driver::{FitOptions, SessionOptions, Silent};
use trialc::io::FsSources;
use trialc::pool::{self, Participants, PoolOptions, State};
use trialc::report::RunSettings;
use trialc::source::MemorySources;

const SPEC: &str = include_str!("../../examples/hpi-tea-series/hpi-tea-series.trial");
const DIARIES: [(&str, &str); 4] = [
    (
        "026ff51a",
        include_str!("../../examples/hpi-tea-series/diaries/026ff51a.csv"),
    ),
    (
        "0889f7fb",
        include_str!("../../examples/hpi-tea-series/diaries/0889f7fb.csv"),
    ),
    (
        "b6a716a4",
        include_str!("../../examples/hpi-tea-series/diaries/b6a716a4.csv"),
    ),
    (
        "c8bafe93",
        include_str!("../../examples/hpi-tea-series/diaries/c8bafe93.csv"),
    ),
];

fn options(threads: usize, chains: usize, draws: usize) -> PoolOptions {
    PoolOptions {
        outcome: None,
        shared: Vec::new(),
        mu_prior: None,
        tau_prior: None,
        gamma_prior: None,
        robust: 0.2,
        own_fits: true,
        fit: FitOptions {
            settings: RunSettings {
                chains,
                warmup: draws,
                draws,
                seed: 11,
                adapt_delta: 0.99,
                ..RunSettings::default()
            },
            threads: Some(threads),
        },
    }
}

/// The tea series in memory, with a manifest: the four real diaries, a
/// diary with a rating of 11 on a 0-10 scale, a row without a diary, and a
/// made-up covariate.
fn tea_buffers() -> MemorySources {
    let mut m = MemorySources::new().with("tea/series.trial", SPEC);
    for (id, text) in DIARIES {
        m.insert(format!("tea/diaries/{id}.csv"), text);
    }
    let broken = DIARIES[0].1.replace("2,herbal_tea,6", "2,herbal_tea,11");
    m.insert("tea/diaries/broken.csv", broken);
    m.insert(
        "tea/manifest.csv",
        "participant,diary,sleepiness\n\
         026ff51a,diaries/026ff51a.csv,3\n\
         0889f7fb,diaries/0889f7fb.csv,5\n\
         b6a716a4,diaries/b6a716a4.csv,2\n\
         c8bafe93,diaries/c8bafe93.csv,4\n\
         broken,diaries/broken.csv,1\n\
         nodiary,,2\n",
    );
    m
}

#[test]
fn bad_participants_are_excluded_by_name_with_the_reason_and_the_rest_pooled() {
    let mut series = pool::assemble(
        tea_buffers,
        SessionOptions::default(),
        "tea/series.trial",
        &Participants::Manifest("tea/manifest.csv".into()),
        None,
    );
    assert!(series.stop.is_none());
    assert_eq!(series.covariates, ["sleepiness"]);
    let states: Vec<(String, Option<String>)> = series
        .participants
        .iter()
        .map(|p| {
            (
                p.id.clone(),
                match &p.state {
                    State::Excluded(e) => Some(e.code.clone()),
                    State::Included(_) => None,
                },
            )
        })
        .collect();
    assert_eq!(states.len(), 6);
    assert!(
        states.contains(&("nodiary".into(), Some("E1702".into()))),
        "{states:?}"
    );
    assert!(
        states.contains(&("broken".into(), Some("E0707".into()))),
        "{states:?}"
    );
    assert_eq!(states.iter().filter(|s| s.1.is_none()).count(), 4);
    assert!(series.has_errors());
    // The broken diary's error points at its cell, in its own session.
    let broken = series
        .participants
        .iter()
        .find(|p| p.id == "broken")
        .expect("listed");
    let session = broken.session.as_ref().expect("has a session");
    let d = session.diagnostics()[broken.shown_from..]
        .iter()
        .find(|d| d.is_error())
        .expect("an error");
    let file = d.primary_file().expect("placed");
    let span = d.primary_span().expect("span");
    assert_eq!(&session.files().text(file)[span.range()], "11");

    let fitted = pool::fit_series(&mut series, &options(2, 2, 300), &Silent).expect("fits");
    let r = &fitted.report;
    assert_eq!(r.participants.len(), 4);
    let excluded: Vec<&str> = r.excluded.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(excluded, ["broken", "nodiary"]);
    assert!(r.excluded.iter().all(|x| !x.reason.is_empty()));
    assert!(pool::report::text(r).contains("Excluded:"));
    assert_eq!(r.effects[0].gamma.len(), 1, "the covariate's coefficient");
    // The next prior is a valid hypotheses file with the robust component.
    let json = trialc::evidence::to_json(&fitted.next_prior);
    let (read, diags) = trialc::hypotheses::read(&json);
    assert!(diags.is_empty(), "{diags:?}");
    let h = &read.expect("reads").hypotheses[0];
    let mix = h.effect.mixture.as_ref().expect("a mixture");
    let last = mix.last().expect("components");
    assert_eq!((last.weight, last.mean, last.sd), (0.2, 0.0, 5.0));
    assert!((mix.iter().map(|c| c.weight).sum::<f64>() - 1.0).abs() < 1e-12);
}

/// The files of `--out`, from the tea series with `threads` worker threads.
fn tea_outputs(threads: usize) -> Vec<(String, String)> {
    let mut m = MemorySources::new().with("tea/series.trial", SPEC);
    let mut paths = Vec::new();
    for (id, text) in DIARIES {
        m.insert(format!("tea/d/{id}.csv"), text);
        paths.push(format!("tea/d/{id}.csv"));
    }
    let mut series = pool::assemble(
        || m.clone(),
        SessionOptions::default(),
        "tea/series.trial",
        &Participants::Diaries(paths),
        None,
    );
    let fitted = pool::fit_series(&mut series, &options(threads, 3, 250), &Silent).expect("fits");
    pool::cmdstan::outputs(
        &fitted.report,
        &fitted.posterior,
        &fitted.next_prior,
        fitted.seed,
    )
}

#[test]
fn outputs_are_byte_identical_whatever_the_thread_count() {
    let one = tea_outputs(1);
    let three = tea_outputs(3);
    let names: Vec<&str> = one.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "report.json",
            "next-prior.json",
            "draws-1.csv",
            "draws-2.csv",
            "draws-3.csv",
            "forest-herbal_tea.svg",
            "predictive-herbal_tea.svg"
        ]
    );
    for ((n, a), (_, b)) in one.iter().zip(&three) {
        assert!(a == b, "{n} differs between 1 and 3 threads");
    }
    // The CmdStan CSV holds the report's draws: delta.i.k columns, one row per draw.
    let csv = &one[2].1;
    let rows: Vec<&str> = csv.lines().filter(|l| !l.starts_with('#')).collect();
    let header: Vec<&str> = rows[0].split(',').collect();
    assert!(header.contains(&"mu.1") && header.contains(&"tau.1"));
    assert!(header.contains(&"delta.4.1") && header.contains(&"delta_new.1"));
    assert!(header.contains(&"intercept.2") && header.contains(&"sigma.3"));
    assert_eq!(rows.len(), 1 + 250);
    let report: serde_json::Value = serde_json::from_str(&one[0].1).expect("JSON");
    let k = header.iter().position(|h| *h == "mu.1").expect("mu");
    let mean_chain1: f64 = rows[1..]
        .iter()
        .map(|r| {
            r.split(',')
                .nth(k)
                .and_then(|v| v.parse::<f64>().ok())
                .expect("number")
        })
        .sum::<f64>()
        / 250.0;
    let mean = report["effects"][0]["mu"]["mean"].as_f64().expect("mean");
    let sd = report["effects"][0]["mu"]["sd"].as_f64().expect("sd");
    assert!(
        (mean_chain1 - mean).abs() < sd,
        "chain 1 mean {mean_chain1} vs {mean}"
    );
}

/// Partial pooling on the real tea series: each person's pooled estimate
/// moves from their own estimate towards the population mean and is no
/// less precise than their own.
#[test]
fn the_real_tea_series_shrinks_each_person_towards_the_population() {
    let mut paths = Vec::new();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/hpi-tea-series");
    for (id, _) in DIARIES {
        paths.push(format!("{root}/diaries/{id}.csv"));
    }
    let mut series = pool::assemble(
        || FsSources,
        SessionOptions::default(),
        &format!("{root}/hpi-tea-series.trial"),
        &Participants::Diaries(paths),
        None,
    );
    let fitted = pool::fit_series(&mut series, &options(2, 4, 1000), &Silent).expect("fits");
    let r = &fitted.report;
    let mu = r.effects[0].mu.mean;
    assert!(r.sampler.divergences == 0, "{:?}", r.warnings);
    for p in &r.people {
        let own = p.single.as_ref().expect("own fit");
        let pooled = p.pooled.mean;
        // Between the own estimate and mu (allowing Monte Carlo error).
        let slack = 4.0 * p.pooled.mcse_mean + 0.02;
        let (lo, hi) = if own.mean < mu {
            (own.mean, mu)
        } else {
            (mu, own.mean)
        };
        assert!(
            pooled >= lo - slack && pooled <= hi + slack,
            "{}: pooled {pooled} not between own {} and mu {mu}",
            p.participant,
            own.mean
        );
        assert!(
            p.pooled.sd < own.sd * 1.02,
            "{}: {} vs {}",
            p.participant,
            p.pooled.sd,
            own.sd
        );
    }
}

/// Pooling without pooling the data: the same synthetic series (16 people,
/// AR(1) diaries of 84 days, LFM priors) pooled from the exported evidence
/// files gives nearly the population estimate, the shrunken effects, the
/// next person's prior and the LFM calibration that pooling the diaries
/// gives (docs/pool.md, "Pooling without pooling the data").
#[test]
fn pooling_evidence_comes_close_to_pooling_the_diaries() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/pool-series");
    let run = |manifest: &str| {
        let mut series = pool::assemble(
            || FsSources,
            SessionOptions::default(),
            &format!("{root}/series.trial"),
            &Participants::Manifest(format!("{root}/{manifest}")),
            None,
        );
        assert!(!series.has_errors(), "{manifest}");
        pool::fit_series(&mut series, &options(2, 4, 1000), &Silent).expect("fits")
    };
    let diaries = run("manifest.csv");
    let evidence = run("manifest-evidence.csv");
    let (d, e) = (&diaries.report, &evidence.report);
    assert_eq!(d.mode, "diaries");
    assert_eq!(e.mode, "evidence");
    let close = |what: &str,
                 a: &trialc::pool::report::Quantity,
                 b: &trialc::pool::report::Quantity,
                 frac: f64| {
        let mcse = (a.mcse_mean.powi(2) + b.mcse_mean.powi(2)).sqrt();
        assert!(
            (a.mean - b.mean).abs() <= frac * a.sd + 4.0 * mcse,
            "{what}: diaries {} vs evidence {} (sd {})",
            a.mean,
            b.mean,
            a.sd
        );
        assert!(
            (b.sd / a.sd - 1.0).abs() < 0.2,
            "{what}: sd {} vs {}",
            a.sd,
            b.sd
        );
    };
    close("mu", &d.effects[0].mu, &e.effects[0].mu, 0.2);
    close("tau", &d.effects[0].tau, &e.effects[0].tau, 0.25);
    for (a, b) in d.people.iter().zip(&e.people) {
        assert_eq!(a.participant, b.participant);
        close(&a.participant, &a.pooled, &b.pooled, 0.3);
    }
    let (pd, pe) = (&d.effects[0].predictive, &e.effects[0].predictive);
    assert!((pd.p_benefit.p - pe.p_benefit.p).abs() < 0.03);
    assert!((pd.sd / pe.sd - 1.0).abs() < 0.15, "{} vs {}", pd.sd, pe.sd);
    // The LFM calibration finds the over-confidence (true discount 0.25)
    // either way.
    for r in [d, e] {
        let c = r.calibration.as_ref().expect("calibration");
        assert_eq!(c.entries.len(), 16);
        assert!(
            c.discount.q5 < 0.25 && 0.25 < c.discount.q95,
            "{:?}",
            c.discount
        );
        assert!(c.inflation.q5 > 1.0, "{:?}", c.inflation);
    }
}

// ----- the command line -----------------------------------------------------

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn trialc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trialc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the trialc binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trialc-pool-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The tea series on disk: the spec, the four diaries and a broken fifth.
fn tea_on_disk(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("diaries")).expect("dir");
    std::fs::write(dir.join("series.trial"), SPEC).expect("write");
    for (id, text) in DIARIES {
        std::fs::write(dir.join("diaries").join(format!("{id}.csv")), text).expect("write");
    }
    std::fs::write(
        dir.join("diaries/zz-broken.csv"),
        DIARIES[0].1.replace("2,herbal_tea,6", "2,herbal_tea,11"),
    )
    .expect("write");
    dir
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

const FAST: [&str; 6] = ["--chains", "2", "--warmup", "200", "--draws", "200"];

#[test]
fn the_command_names_the_excluded_and_writes_what_it_pooled() {
    let dir = tea_on_disk("cli");
    let out = dir.join("out");
    let prior = dir.join("next.json");
    let mut args = vec![
        "pool".to_string(),
        s(&dir.join("series.trial")),
        "--diaries".into(),
        s(&dir.join("diaries")),
        "--out".into(),
        s(&out),
        "--export-prior".into(),
        s(&prior),
    ];
    args.extend(FAST.iter().map(|a| a.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = trialc(&refs);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let stdout = String::from_utf8_lossy(&o.stdout);
    // Excluded for an error: exit 1, the others pooled and reported.
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("participant `zz-broken`"), "{stderr}");
    assert!(
        stderr.contains("[E0707]") && stderr.contains("zz-broken.csv:3"),
        "{stderr}"
    );
    assert!(
        stdout.contains("4 participants pooled from diaries (1 excluded)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("zz-broken") && stdout.contains("Excluded:"),
        "{stdout}"
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "draws-1.csv",
            "draws-2.csv",
            "forest-herbal_tea.svg",
            "next-prior.json",
            "predictive-herbal_tea.svg",
            "report.json"
        ]
    );
    let exported = std::fs::read_to_string(&prior).expect("the prior is written");
    assert_eq!(
        exported,
        std::fs::read_to_string(out.join("next-prior.json")).expect("written")
    );
    // The next person's spec can take the exported prior as it is.
    let next = dir.join("next.trial");
    std::fs::write(
        &next,
        SPEC.replace(
            "arm no_tea",
            "hypotheses pool from \"next.json\"\n\narm no_tea",
        )
        .replace(
            "effect herbal_tea ~ normal(0, 3)",
            "effect herbal_tea ~ pool.POOL1",
        ),
    )
    .expect("write");
    let o = trialc(&["check", &s(&next)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = trialc(&[
        "run",
        &s(&next),
        "--data",
        &s(&dir.join("diaries/0889f7fb.csv")),
        "--chains",
        "2",
        "--warmup",
        "200",
        "--draws",
        "200",
    ]);
    assert!(
        matches!(o.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("pool.POOL1"));

    // The prior file is never an input.
    let o = trialc(&[
        "pool",
        &s(&dir.join("series.trial")),
        "--diaries",
        &s(&dir.join("diaries")),
        "--export-prior",
        &s(&dir.join("diaries/0889f7fb.csv")),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn usage_problems_exit_2_and_model_problems_say_why() {
    let dir = tea_on_disk("usage");
    let spec = s(&dir.join("series.trial"));
    let diaries = s(&dir.join("diaries"));
    assert_eq!(trialc(&["pool", &spec]).status.code(), Some(2));
    let o = trialc(&[
        "pool",
        &spec,
        "--diaries",
        &diaries,
        "--tau-prior",
        "normal(0, 1)",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("(0, inf)"));
    let o = trialc(&[
        "pool",
        &spec,
        "--diaries",
        &diaries,
        "--mu-prior",
        "nromal(0, 1)",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = trialc(&["pool", &spec, "--diaries", &diaries, "--outcome", "pain"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("sleep_quality"));
    let mut args = vec!["pool", &spec, "--diaries", &diaries, "--shared", "phi"];
    args.extend(FAST);
    let o = trialc(&args);
    assert_eq!(o.status.code(), Some(1));
    // The tea models have independent errors: no `phi` to share (E1706).
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("error[E1706]: `--shared phi`") && stderr.contains("`sigma`"),
        "{stderr}"
    );
    // The lowered models for the Stan comparison.
    let o = trialc(&["pool", &spec, "--diaries", &diaries, "--dump-mir"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(doc["participants"].as_array().map(Vec::len), Some(4));
    assert_eq!(doc["arms"][0], "herbal_tea");
    assert!(doc["participants"][0]["mir"]["model"]["likelihoods"][0]["y"].is_array());
}

#[test]
fn evidence_wider_than_its_prior_is_excluded_with_e1704() {
    let dir = scratch("evidence");
    std::fs::write(dir.join("series.trial"), SPEC).expect("write");
    let evidence = |mean: f64, sd: f64, who: &str| {
        format!(
            r#"{{"format": "trialc-hypotheses/1",
  "generator": {{"model": "trialc", "version": "0.1.0", "prompt_sha256": "00", "created": "2023-08-28"}},
  "participant": "{who}",
  "trial": {{"id": "hpi-tea-series", "spec_sha256": "{}", "first_date": "unknown", "last_date": "unknown"}},
  "hypotheses": [{{"id": "E1", "rank": 1, "intervention": "herbal_tea", "outcome": "sleep_quality",
    "effect": {{"mean": {mean}, "sd": {sd}}}}}]}}"#,
            trialc::evidence::sha256_hex(SPEC)
        )
    };
    std::fs::create_dir_all(dir.join("ev")).expect("dir");
    std::fs::write(dir.join("ev/a.json"), evidence(0.3, 0.5, "A")).expect("write");
    std::fs::write(dir.join("ev/b.json"), evidence(0.1, 0.6, "B")).expect("write");
    std::fs::write(dir.join("ev/c.json"), evidence(0.0, 3.0, "C")).expect("write");
    // A second file of participant A: excluded by name.
    std::fs::write(dir.join("ev/e.json"), evidence(0.4, 0.5, "A")).expect("write");
    // Exported from another spec: pooled, with W1701.
    std::fs::write(
        dir.join("ev/d.json"),
        evidence(0.2, 0.7, "D").replace(&trialc::evidence::sha256_hex(SPEC), "0123"),
    )
    .expect("write");
    let mut args = vec![
        "pool".to_string(),
        s(&dir.join("series.trial")),
        "--evidence".into(),
        s(&dir.join("ev")),
    ];
    args.extend(FAST.iter().map(|a| a.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = trialc(&refs);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("[E1704]") && stderr.contains("no narrower"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("3 participants pooled from evidence (2 excluded)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("[W1701]") && stderr.contains("d.json"),
        "{stderr}"
    );
    assert!(stdout.contains("already in the series"), "{stdout}");
    assert_eq!(pool::stem("dir/tea.p03.csv"), "tea.p03");
    // The participant ids come from the files.
    assert!(
        stdout.contains("  A ") && stdout.contains("C ("),
        "{stdout}"
    );
}

/// An LFM hypothesis as the series spec's effect prior becomes mu's prior;
/// `--shared sigma` gives everyone one sigma; a participant whose spec has
/// another reference arm is excluded with E1703.
#[test]
fn an_lfm_prior_for_mu_a_shared_sigma_and_an_incompatible_spec() {
    let hypotheses = r#"{"format": "trialc-hypotheses/1",
  "generator": {"model": "example-lfm", "version": "1", "prompt_sha256": "ab", "created": "2023-07-01"},
  "hypotheses": [{"id": "H1", "rank": 1, "intervention": "herbal_tea", "outcome": "sleep_quality",
    "effect": {"mean": 0.5, "sd": 0.4}}]}"#;
    let lfm_spec = SPEC
        .replace(
            "arm no_tea",
            "hypotheses lfm from \"lfm.json\"\n\narm no_tea",
        )
        .replace(
            "effect herbal_tea ~ normal(0, 3)",
            "effect herbal_tea ~ lfm.H1 discount 0.5 robust 0.2",
        );
    let other = SPEC
        .replace(
            "arm no_tea     \"No tea before bed\" reference",
            "arm no_tea     \"No tea before bed\"",
        )
        .replace(
            "arm herbal_tea \"A cup of herbal tea before bed\"",
            "arm herbal_tea \"A cup of herbal tea before bed\" reference",
        )
        .replace("effect herbal_tea", "effect no_tea");
    let mut m = MemorySources::new()
        .with("s/series.trial", lfm_spec)
        .with("s/lfm.json", hypotheses)
        .with("s/other.trial", other);
    let mut manifest = "participant,diary,spec\n".to_string();
    for (id, text) in DIARIES {
        m.insert(format!("s/d/{id}.csv"), text);
        manifest.push_str(&format!("{id},d/{id}.csv,\n"));
    }
    manifest.push_str("swapped,d/0889f7fb.csv,other.trial\n");
    m.insert("s/manifest.csv", manifest);
    let mut series = pool::assemble(
        || m.clone(),
        SessionOptions::default(),
        "s/series.trial",
        &Participants::Manifest("s/manifest.csv".into()),
        None,
    );
    let swapped = series.participants.last().expect("listed");
    match &swapped.state {
        State::Excluded(e) => {
            assert_eq!(e.code, "E1703");
            assert!(e.reason.contains("reference arm"), "{}", e.reason);
        }
        State::Included(_) => panic!("an incompatible spec was pooled"),
    }
    let mut opts = options(2, 2, 300);
    opts.shared = vec!["sigma".into()];
    let fitted = pool::fit_series(&mut series, &opts, &Silent).expect("fits");
    let r = &fitted.report;
    // (1 - 0.2) normal(0.5, 0.4 / sqrt(0.5)) + 0.2 normal(0, U), U = 10 / 2.
    assert_eq!(
        r.model.mu_priors,
        ["0.8 normal(0.5, 0.5657) + 0.2 normal(0, 5)"]
    );
    assert_eq!(r.model.shared.len(), 1);
    assert_eq!(r.model.shared[0].0, "sigma");
    assert_eq!(r.model.own, ["intercept"]);
    assert_eq!(r.shared.len(), 1);
    assert_eq!(r.shared[0].name, "sigma");
    // The participants' own fits keep their LFM prior; the calibration
    // compares each with their data.
    assert!(r.people[0]
        .single
        .as_ref()
        .expect("own")
        .prior
        .contains("lfm.H1"));
    assert_eq!(
        r.calibration.as_ref().expect("calibration").entries.len(),
        4
    );
}
