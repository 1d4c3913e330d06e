//! The `trialc` binary as a user meets it: exit codes, where errors point,
//! and byte-identical results whatever the thread count.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn trialc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trialc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the trialc binary runs")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn path(relative: &str) -> String {
    root().join(relative).display().to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trialc-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("output dir")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn exit_codes() {
    assert_eq!(
        trialc(&[
            "check",
            &path("examples/hpi-milk-sleep/hpi-milk-sleep.trial")
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        trialc(&["check", &path("tests/ui/syntax/three-errors.trial")])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        trialc(&["check", "no/such/file.trial"]).status.code(),
        Some(2)
    );
    assert_eq!(trialc(&["explain", "E9999"]).status.code(), Some(2));
    assert_eq!(trialc(&["explain", "e0305"]).status.code(), Some(0));
    assert_eq!(trialc(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn a_bad_diary_is_reported_at_its_file_line_and_column() {
    let dir = scratch("bad-diary");
    let spec = path("examples/hpi-milk-sleep/hpi-milk-sleep.trial");
    let original =
        std::fs::read_to_string(root().join("examples/hpi-milk-sleep/diary.csv")).expect("diary");
    // Corrupt the value of the third data row (line 4 of the file).
    let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
    let last_comma = lines[3].rfind(',').expect("a row with columns");
    lines[3] = format!("{},seven", &lines[3][..last_comma]);
    let bad = dir.join("diary.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").expect("write diary");
    let out = trialc(&[
        "run",
        &spec,
        "--data",
        &bad.display().to_string(),
        "--draws",
        "10",
        "--warmup",
        "10",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("E0706"), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:4:", bad.display())),
        "the error names the file and line 4:\n{stderr}"
    );
    assert!(out.stdout.is_empty(), "no report from bad data");
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let spec = path("examples/magnesium-migraine/magnesium-migraine.trial");
    let mut runs = Vec::new();
    for threads in ["1", "2", "3"] {
        let dir = scratch(&format!("threads-{threads}"));
        let out = trialc(&[
            "run",
            &spec,
            "--chains",
            "3",
            "--warmup",
            "150",
            "--draws",
            "150",
            "--seed",
            "7",
            "--threads",
            threads,
            "--out",
            &dir.display().to_string(),
        ]);
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        runs.push((out.stdout, files_in(&dir)));
    }
    assert!(
        runs[0].1.len() > 5,
        "report.json, draws and plots are written"
    );
    assert!(runs[0].1.iter().any(|(name, _)| name == "pain-3.csv"));
    for other in &runs[1..] {
        assert_eq!(
            other.0, runs[0].0,
            "terminal report differs between thread counts"
        );
        assert_eq!(
            other.1, runs[0].1,
            "output files differ between thread counts"
        );
    }
}

#[test]
fn a_different_seed_gives_different_draws() {
    let spec = path("examples/hpi-milk-sleep/hpi-milk-sleep.trial");
    let run = |seed: &str| {
        trialc(&[
            "run", &spec, "--format", "json", "--warmup", "100", "--draws", "100", "--seed", seed,
        ])
        .stdout
    };
    assert_eq!(run("5"), run("5"));
    assert_ne!(run("5"), run("6"));
}

#[test]
fn markdown_protocol_diagnostics_point_at_the_markdown_line() {
    let out = trialc(&["check", &path("tests/ui/names/protocol-embedded.md")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("protocol-embedded.md:50:"), "{stderr}");
}

#[test]
fn json_diagnostics_are_one_document() {
    let out = trialc(&[
        "check",
        "--format",
        "json",
        &path("tests/ui/syntax/three-errors.trial"),
    ]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(value["format"], "trialc-diagnostics/1");
    let diagnostics = value["files"][0]["diagnostics"]
        .as_array()
        .expect("diagnostics");
    let errors = diagnostics
        .iter()
        .filter(|d| d["severity"] == "error")
        .count();
    assert_eq!(
        errors, 3,
        "three independent syntax errors, three diagnostics"
    );
}

#[test]
fn schedule_formats_and_blinding() {
    let spec = path("examples/magnesium-migraine/magnesium-migraine.trial");
    let open = String::from_utf8_lossy(&trialc(&["schedule", &spec]).stdout).into_owned();
    assert!(
        open.contains("magnesium") && open.contains("8 admissible sequences"),
        "{open}"
    );
    let blinded =
        String::from_utf8_lossy(&trialc(&["schedule", &spec, "--blinded"]).stdout).into_owned();
    // The trial id (first line) may name the drug under study, which the
    // participant consented to; no period may show which arm it is.
    let body: Vec<&str> = blinded.lines().skip(1).collect();
    assert!(
        body.iter()
            .all(|l| !l.contains("magnesium") && !l.contains("placebo")),
        "{blinded}"
    );
    assert!(
        blinded.contains("Treatment 1") && blinded.contains("Treatment 2"),
        "{blinded}"
    );
    let key = String::from_utf8_lossy(&trialc(&["schedule", &spec, "--key"]).stdout).into_owned();
    assert!(
        key.contains("magnesium") && key.contains("Treatment"),
        "{key}"
    );
    let ics = String::from_utf8_lossy(&trialc(&["schedule", &spec, "--format", "ics"]).stdout)
        .into_owned();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.trim_end().ends_with("END:VCALENDAR"));
}

/// A realised schedule (`sequence from data`): `trialc schedule` has nothing
/// of its own to print and says so (exit 2, a usage problem); `trialc run`
/// says in the report, text and JSON, that the sequence is the diary's.
#[test]
fn a_realised_schedule_is_reported_as_such() {
    let dir = scratch("realised");
    let spec = std::fs::read_to_string(path("examples/hpi-milk-sleep/hpi-milk-sleep.trial"))
        .expect("spec")
        .replace(
            "  period    7 days\n  periods   4\n  sequence  fixed \"ABAB\"\n",
            "  sequence  from data\n  washout   1 day\n",
        );
    assert!(spec.contains("from data"));
    std::fs::write(dir.join("realised.trial"), spec).expect("write spec");
    std::fs::copy(
        path("examples/hpi-milk-sleep/diary.csv"),
        dir.join("diary.csv"),
    )
    .expect("copy diary");
    let spec = dir.join("realised.trial").display().to_string();

    let out = trialc(&["check", &spec]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = trialc(&["schedule", &spec]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no schedule of its own to print") && stderr.contains("trialc run"),
        "{stderr}"
    );

    let run = |format: &str| {
        let out = trialc(&[
            "run", &spec, "--format", format, "--warmup", "200", "--draws", "200", "--seed", "3",
        ]);
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = run("text");
    assert!(
        text.contains("design from data, 4 periods of 7 days")
            && text.contains("randomized outside trialc")
            && text.contains("the arm column is the realised schedule"),
        "{text}"
    );
    // Washout after each switch actually taken: days 8, 15 and 22.
    assert!(text.contains("days 8, 15, 22"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("JSON report");
    assert_eq!(json["trial"]["realised"], true);
    assert_eq!(json["trial"]["design"], "from data");
    assert_eq!(json["trial"]["period_days"], 7);
    assert_eq!(json["trial"]["periods"].as_array().map(Vec::len), Some(4));
}

/// The example randomized per day with an analysis window: the schedule
/// and the report say so.
#[test]
fn a_window_and_one_day_periods_in_schedule_and_report() {
    let spec = path("examples/headphones-focus/headphones-focus.trial");
    let out = trialc(&["check", &spec]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("W0302"),
        "one-day periods without a washout are the design, not a warning"
    );
    let table = String::from_utf8_lossy(&trialc(&["schedule", &spec]).stdout).into_owned();
    assert!(
        table.contains("70 periods of 1 day") && table.contains("Analysis window: days 15-70"),
        "{table}"
    );
    let out = trialc(&[
        "run", &spec, "--format", "json", "--warmup", "200", "--draws", "200",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(json["trial"]["window"]["first_day"], 15);
    assert_eq!(json["trial"]["window"]["last_day"], 70);
    assert_eq!(json["trial"]["realised"], false);
    let exclusions = &json["outcomes"][0]["analysis"]["exclusions"];
    assert_eq!(exclusions[0]["reason"], "outside window");
    assert_eq!(exclusions[0]["count"], 14);
}
