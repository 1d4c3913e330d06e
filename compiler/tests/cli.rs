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

/// `trialc debug mir --data FILE` lowers with that diary instead of the
/// spec's `data`, as `--help` says; the stages that read no diary refuse it.
#[test]
fn debug_mir_lowers_the_diary_given_with_data() {
    let dir = scratch("debug-data");
    let spec = path("examples/hpi-milk-sleep/hpi-milk-sleep.trial");
    let original =
        std::fs::read_to_string(root().join("examples/hpi-milk-sleep/diary.csv")).expect("diary");
    // Day 2 (a cold-milk answer) left unanswered: 23 analysed days, not 24.
    let edited: String = original
        .lines()
        .map(|l| {
            if l.starts_with("2,") {
                "2,cold_milk,".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let diary = dir.join("fewer.csv");
    std::fs::write(&diary, edited).expect("write diary");
    let diary = diary.display().to_string();
    let mir = |extra: &[&str]| {
        let mut args = vec!["debug", "mir", spec.as_str()];
        args.extend_from_slice(extra);
        let out = trialc(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let default = mir(&[]);
    assert!(
        default.contains("analysis set: 24 days")
            && default.contains("cold_milk (reference): 11 days"),
        "{default}"
    );
    let given = mir(&["--data", &diary]);
    assert!(
        given.contains("analysis set: 23 days") && given.contains("cold_milk (reference): 10 days"),
        "{given}"
    );
    assert!(given.contains("n = 23"), "{given}");
    // JSON, as the Stan comparison reads it, from the same diary.
    let json: serde_json::Value =
        serde_json::from_str(&mir(&["--data", &diary, "--format", "json"])).expect("JSON");
    let days: Vec<u64> = json[0]["days"]
        .as_array()
        .expect("days")
        .iter()
        .filter_map(serde_json::Value::as_u64)
        .collect();
    assert_eq!(days.len(), 23);
    assert_eq!(days.first(), Some(&4), "day 2 is no longer analysed");
    // A diary that cannot be read, and a stage that reads none.
    assert_eq!(
        trialc(&["debug", "mir", &spec, "--data", "no/such.csv"])
            .status
            .code(),
        Some(2)
    );
    let hir = trialc(&["debug", "hir", &spec, "--data", &diary]);
    assert_eq!(hir.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&hir.stderr).contains("read only by `trialc debug mir`"));
    let _ = std::fs::remove_dir_all(&dir);
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

/// `check` writes its result line to stdout and diagnostics to stderr;
/// `--quiet` drops the result line; nonsense option values are refused
/// with exit 2 before anything runs.
#[test]
fn check_streams_quiet_and_refused_values() {
    let spec = path("examples/hpi-milk-sleep/hpi-milk-sleep.trial");
    let out = trialc(&["check", &spec]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.ends_with(": ok (0 warnings)\n"), "{stdout}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let quiet = trialc(&["check", "--quiet", &spec]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(quiet.stdout.is_empty());
    for bad in [
        vec!["run", "--threads", "0", &spec],
        vec!["run", "--adapt-delta", "1", &spec],
        vec!["run", "--adapt-delta", "0", &spec],
        vec!["run", "--max-depth", "0", &spec],
        vec!["run", "--max-depth", "31", &spec],
        vec!["run", "--chains", "0", &spec],
        vec!["run", "--draws", "0", &spec],
        vec!["init", "--from", "x.json", "--top", "0"],
    ] {
        let out = trialc(&bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("invalid value"), "{bad:?}: {stderr}");
    }
}

/// `--adapt-delta` and `--max-depth` reach the sampler and are recorded in
/// the report and in the CmdStan CSV header.
#[test]
fn sampler_options_are_recorded() {
    let spec = path("examples/hpi-milk-sleep/hpi-milk-sleep.trial");
    let dir = std::env::temp_dir().join(format!("trialc-cli-{}-sampler", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = trialc(&[
        "run",
        &spec,
        "--adapt-delta",
        "0.95",
        "--max-depth",
        "12",
        "--warmup",
        "300",
        "--draws",
        "500",
        "--out",
        &dir.display().to_string(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("adapt delta 0.95, max depth 12"), "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("report"))
            .expect("JSON");
    assert_eq!(report["settings"]["adapt_delta"], 0.95);
    assert_eq!(report["settings"]["max_depth"], 12);
    let csv = std::fs::read_to_string(dir.join("sleep_quality-1.csv")).expect("csv");
    assert!(csv.contains("#       delta = 0.95\n"), "{csv}");
    assert!(csv.contains("#             max_depth = 12\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Completion scripts for each shell and manual pages for trialc and each
/// command; `explain` lays its Markdown out for the terminal.
#[test]
fn completions_man_pages_and_explain() {
    for (shell, marker) in [
        ("bash", "_trialc()"),
        ("zsh", "#compdef trialc"),
        ("fish", "complete -c trialc"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = trialc(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("adapt-delta"),
            "{shell}: run's options completed"
        );
    }
    let man = trialc(&["man"]);
    assert_eq!(man.status.code(), Some(0));
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(page.contains(".TH trialc 1"), "{page}");
    let run = String::from_utf8_lossy(&trialc(&["man", "run"]).stdout).into_owned();
    assert!(run.contains(".TH trialc-run 1"), "{run}");
    assert!(run.contains("Draws kept per chain"), "{run}");
    assert_eq!(trialc(&["man", "nosuch"]).status.code(), Some(2));
    let explain = trialc(&["explain", "e0305"]);
    assert_eq!(explain.status.code(), Some(0));
    let text = String::from_utf8_lossy(&explain.stdout);
    assert!(text.starts_with("E0305: "), "{text}");
    assert!(!text.contains("## ") && !text.contains("```"), "{text}");
}

/// Colour follows the conventions: off when stderr is not a terminal, off
/// for `NO_COLOR` and `TERM=dumb`, forced by `CLICOLOR_FORCE`.
#[test]
fn colour_follows_the_conventions() {
    let dir = std::env::temp_dir().join(format!("trialc-cli-{}-colour", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let spec = dir.join("bad.trial");
    std::fs::write(&spec, "arm a \"A\"\n").expect("spec");
    let run = |env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_trialc"));
        c.arg("check").arg(&spec);
        for name in ["NO_COLOR", "CLICOLOR_FORCE", "TERM"] {
            c.env_remove(name);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().expect("runs");
        String::from_utf8_lossy(&out.stderr).contains('\x1b')
    };
    // stderr is a pipe here: no colour unless forced.
    assert!(!run(&[]));
    assert!(run(&[("CLICOLOR_FORCE", "1")]));
    assert!(!run(&[("CLICOLOR_FORCE", "0")]));
    assert!(!run(&[("NO_COLOR", "1"), ("TERM", "xterm")]));
    let _ = std::fs::remove_dir_all(&dir);
}

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
