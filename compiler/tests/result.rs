//! The result document (`trialc run … --report`, CENT 2015): its order
//! (the conclusion first), each outcome's pictures with the deciding
//! probability written on them, the raw means per period and arm against
//! numbers computed here from the diary, the flow of days, the provenance
//! (the same in `report.json`), nothing secret and nothing loaded, equal
//! bytes for equal inputs, and the command line.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test is an IO edge of its own

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use trialc::driver::{DiarySource, FitOptions, Session, SessionOptions, Silent};
use trialc::io::FsSources;
use trialc::protocol::{self, sha256_hex};
use trialc::report::{self, Report, RunSettings};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const SPEC: &str = "examples/magnesium-migraine/magnesium-migraine.trial";

fn options() -> FitOptions {
    FitOptions {
        settings: RunSettings {
            chains: 2,
            warmup: 300,
            draws: 300,
            seed: 3,
            ..RunSettings::default()
        },
        threads: Some(1),
    }
}

/// The example run through the session, and its result document.
fn result() -> (Report, protocol::Document) {
    let path = root().join(SPEC).display().to_string();
    let mut session = Session::new(FsSources, SessionOptions::default());
    let file = session.open(&path).expect("opens");
    let checked = session.check(file).expect("checks");
    let prepared = session
        .prepare(checked, DiarySource::Spec)
        .expect("prepares");
    let options = options();
    let fits = session.fit(&prepared, &options, &Silent).expect("fits");
    let analysed = session
        .analyse(&prepared, &fits, &options, &Silent)
        .expect("analyses");
    let c = &prepared.checked;
    let doc = report::document::document(
        &analysed.report,
        &c.spec,
        &c.schedule,
        &prepared.diary,
        &fits,
    );
    (analysed.report, doc)
}

fn sha_of(relative: &str) -> String {
    sha256_hex(&std::fs::read(root().join(relative)).expect("file"))
}

#[test]
fn the_result_document_reads_as_cent_asks() {
    let (r, doc) = result();
    let html = protocol::html(&doc);
    let md = protocol::markdown(&doc);

    // The conclusion first, then the outcomes, rules, days, methods,
    // diagnostics and provenance.
    let order = [
        "1. Conclusion",
        "2. The outcomes",
        "3. The decision rules",
        "4. The participant's days",
        "5. Methods in brief",
        "6. Sampler diagnostics",
        "7. Provenance",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|h| {
            md.find(&format!("## {h}"))
                .unwrap_or_else(|| panic!("no {h}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    assert!(html.contains("<div class=\"callout decision\"><strong>"));
    let verdict = match r.conclusion.arm.as_deref() {
        Some(arm) => format!("> **Recommendation: {arm}.** "),
        None => "> **No recommendation.** ".to_string(),
    };
    assert!(md[at[0]..at[1]].contains(&verdict), "{md}");

    // Per outcome: one effect picture and one picture over time.
    let svgs: Vec<&str> = html.split("<svg ").skip(1).collect();
    assert_eq!(svgs.len(), 2 * r.outcomes.len(), "two pictures per outcome");
    let pain = svgs
        .iter()
        .find(|s| s.contains("magnesium vs placebo on pain</title>"))
        .expect("the pain effect");
    // Benefit side and MCID shaded, the sides named, the deciding
    // probability written with the value the rules report.
    assert!(pain.contains("fill=\"#e3f2e7\"") && pain.contains("fill=\"#b9e0c4\""));
    assert!(pain.contains("← favours magnesium") && pain.contains("favours placebo →"));
    let p = r.rules[0].conditions[0].statement.probability.expect("p");
    let written = "Rule 1 (to recommend magnesium): the probability of a clinically important reduction in pain";
    assert!(pain.contains(written), "{pain}");
    assert!(
        pain.contains(&format!(
            "is {}",
            trialc::report::decide::prob_text(Some(p))
        )),
        "{pain}"
    );
    // attack has no MCID: no clinically important zone; its axis is a ratio.
    let attack = svgs
        .iter()
        .find(|s| s.contains("magnesium vs placebo on attack</title>"))
        .expect("the attack effect");
    assert!(!attack.contains("#b9e0c4") && attack.contains("odds ratio of attack"));
    // Over time: calendar dates on the axis, one mean bar per period.
    let over = svgs
        .iter()
        .find(|s| s.contains("pain over time"))
        .expect("pain over time");
    assert!(
        over.contains(">2026-12-08<") && over.contains(">2027-02-16<"),
        "{over}"
    );
    assert_eq!(
        over.matches("stroke-width=\"3.5\"").count(),
        6,
        "one mean per period"
    );

    // The raw means per arm, as the example's README computes them from the diary.
    assert!(
        md.contains("| **all** | `magnesium` |  | 31 | **3.42** |"),
        "{md}"
    );
    assert!(
        md.contains("| **all** | `placebo` |  | 34 | **4.26** |"),
        "{md}"
    );
    // Attack days per 30 days on the natural scale.
    assert!(md.contains("days with `attack` per 30 days"));
    // The flow of days and the deviations.
    assert!(
        md.contains(
            "| `pain` | 91 | 65 (magnesium 31, placebo 34) | run-in 7 (days 1-7); washout 15"
        ),
        "{md}"
    );
    assert!(md.contains("Deviations: none"));
    // The diagnostics are folded away in HTML, unfolded for print.
    assert!(html.contains("<details>\n<summary>Sampler diagnostics"));
    assert!(protocol::doc::html_for_print(&doc).contains("<details open>"));
}

#[test]
fn provenance_is_in_the_document_and_in_report_json() {
    let (r, doc) = result();
    let p = &r.provenance;
    let spec = p.spec.as_ref().expect("spec");
    assert_eq!(spec.name, "magnesium-migraine.trial");
    assert_eq!(spec.sha256, sha_of(SPEC));
    let diary = p.diary.as_ref().expect("diary");
    assert_eq!(
        diary.sha256,
        sha_of("examples/magnesium-migraine/diary.csv")
    );
    assert_eq!(p.hypotheses.len(), 1);
    assert_eq!(p.hypotheses[0].name, "hypotheses/p0042.json");
    assert_eq!(
        p.hypotheses[0].sha256,
        sha_of("examples/magnesium-migraine/hypotheses/p0042.json")
    );
    assert_eq!(p.allocation, "commitment");
    let key =
        std::fs::read(root().join("examples/magnesium-migraine/PHARMACY-SECRET.key")).expect("key");
    assert_eq!(
        p.seed_commitment.as_deref(),
        Some(sha256_hex(&key).as_str())
    );
    assert_eq!(p.trialc, env!("CARGO_PKG_VERSION"));

    let json: serde_json::Value = serde_json::from_str(&report::json(&r)).expect("JSON");
    assert_eq!(json["provenance"]["spec"]["sha256"], spec.sha256.as_str());
    assert_eq!(json["provenance"]["diary"]["sha256"], diary.sha256.as_str());
    assert_eq!(
        json["provenance"]["seed_commitment"],
        p.seed_commitment.as_deref().unwrap_or_default()
    );

    let html = protocol::html(&doc);
    for hash in [&spec.sha256, &diary.sha256, &p.hypotheses[0].sha256] {
        assert!(html.contains(hash.as_str()), "{hash}");
    }
    assert!(html.contains(p.seed_commitment.as_deref().unwrap_or("?")));
    // Nothing secret: neither the key's seed nor its salt.
    let key = String::from_utf8(key).expect("text");
    for secret in key
        .lines()
        .filter_map(|l| l.strip_prefix("seed ").or_else(|| l.strip_prefix("salt ")))
    {
        assert!(!html.contains(secret), "{secret} in the document");
    }
}

#[test]
fn the_document_is_self_contained_and_reproducible() {
    let (_, a) = result();
    let (_, b) = result();
    let html = protocol::html(&a);
    assert_eq!(html, protocol::html(&b), "equal inputs, equal bytes");
    assert_eq!(protocol::markdown(&a), protocol::markdown(&b));
    for outside in [
        "http:", "https:", "//www", "<script", "<link", "<img", "<iframe", "@import", " src=",
    ] {
        assert!(
            !html.contains(outside),
            "`{outside}` in the result document"
        );
    }
}

fn trialc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trialc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the trialc binary runs")
}

#[test]
fn run_writes_the_document_and_never_over_an_input() {
    let dir = std::env::temp_dir().join(format!("trialc-result-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let spec = root().join(SPEC).display().to_string();
    let out = dir.join("result.html").display().to_string();
    let fast = ["--chains", "2", "--warmup", "200", "--draws", "200"];
    let mut args = vec!["run", spec.as_str(), "--report", "html", out.as_str()];
    args.extend(fast);
    let run = trialc(&args);
    assert!(
        matches!(run.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let html = std::fs::read_to_string(&out).expect("written");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("1. Conclusion"));
    let md = dir.join("result.md").display().to_string();
    let mut args = vec!["run", spec.as_str(), "--report", "markdown", md.as_str()];
    args.extend(fast);
    assert!(matches!(trialc(&args).status.code(), Some(0 | 3)));
    assert!(std::fs::read_to_string(&md)
        .expect("markdown")
        .starts_with("# Result: Magnesium citrate vs placebo"));
    // Refused before anything is fitted: an unknown format, an input.
    let bad = trialc(&["run", &spec, "--report", "docx", &out]);
    assert_eq!(bad.status.code(), Some(2));
    let before = std::fs::read(root().join(SPEC)).expect("spec");
    let over = trialc(&["run", &spec, "--report", "html", &spec]);
    assert_eq!(over.status.code(), Some(2));
    assert_eq!(std::fs::read(root().join(SPEC)).expect("spec"), before);
    let diary = root()
        .join("examples/magnesium-migraine/diary.csv")
        .display()
        .to_string();
    let over = trialc(&["run", &spec, "--report", "html", &diary]);
    assert_eq!(
        over.status.code(),
        Some(2),
        "the diary the spec names is an input"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The model checks are in the methods: each outcome's posterior
/// predictive check, and a `--compare-loo` comparison with both models'
/// elpd_loo and the verdict, the same numbers as the report's.
#[test]
fn model_checks_are_in_the_methods() {
    let path = root().join(SPEC).display().to_string();
    let mut session = Session::new(FsSources, SessionOptions::default());
    let file = session.open(&path).expect("opens");
    let checked = session.check(file).expect("checks");
    let prepared = session
        .prepare(checked, DiarySource::Spec)
        .expect("prepares");
    let request =
        trialc::analysis::loo::parse_request("pain: errors independent").expect("a request");
    let alternatives = session
        .loo_alternatives(&prepared, &[request])
        .expect("applicable");
    let options = options();
    let fits = session.fit(&prepared, &options, &Silent).expect("fits");
    let mut analysed = session
        .analyse(&prepared, &fits, &options, &Silent)
        .expect("analyses");
    analysed.report.loo = session
        .compare_loo(&prepared, &fits, &alternatives, &options, &Silent)
        .expect("compares");
    let c = &prepared.checked;
    let doc = report::document::document(
        &analysed.report,
        &c.spec,
        &c.schedule,
        &prepared.diary,
        &fits,
    );
    let md = protocol::markdown(&doc);
    let methods = &md[md.find("## 5. Methods").expect("methods")
        ..md.find("## 6. Sampler diagnostics").expect("diagnostics")];
    let l = &analysed.report.loo[0];
    assert!(
        methods.contains("Model check of `pain` (`--compare-loo`)"),
        "{methods}"
    );
    for (m, whose) in [(&l.model, " (the spec's)"), (&l.alternative, "")] {
        let row = format!(
            "| {}{whose} | {:.1} | {:.1} | {:.1} |",
            m.description, m.elpd_loo, m.se, m.p_loo
        );
        assert!(methods.contains(&row), "{row} not in {methods}");
    }
    // The verdict, which states the difference and its SE (Markdown
    // escapes the underscores of elpd_loo).
    assert!(
        l.verdict
            .contains(&format!("{:.1} +/- {:.1}", l.elpd_diff, l.se_diff)),
        "{}",
        l.verdict
    );
    assert!(
        methods.replace("\\_", "_").contains(&l.verdict),
        "{methods}"
    );
    // Each outcome's posterior predictive check, before the comparison.
    let unescaped = methods.replace('\\', "");
    let mut at = 0;
    for o in &analysed.report.outcomes {
        let check = o.predictive_check.as_ref().expect("a NUTS fit is checked");
        let line = format!("`{}`: {}", o.name, check.summary);
        let found = unescaped
            .find(&line)
            .unwrap_or_else(|| panic!("{line} not in {unescaped}"));
        assert!(found > at, "outcomes in spec order");
        at = found;
    }
    assert!(at < unescaped.find("Model check of").expect("the comparison"));
}
