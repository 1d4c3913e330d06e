//! `trialc simulate` as a cluster runs it: shards run as separate
//! processes (a Slurm job array, a Kubernetes Indexed Job), their parts
//! merged with `trialc simulate merge`, give byte for byte the files of the
//! run in one piece; and command-line scenarios are checked like the spec's.
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

fn spec() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/magnesium-migraine/magnesium-migraine.trial")
        .display()
        .to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trialc-sim-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A small Laplace simulation of the bundled example with two scenarios
/// (one with missing data and dropout) and its interim look.
const ARGS: &[&str] = &[
    "--method",
    "laplace",
    "--draws",
    "200",
    "--replicates",
    "5",
    "--scenario",
    "null",
    "--scenario",
    "benefit: effect on pain = -mcid, missing 0.1, dropout 0.05 per period",
    "--require",
    "P(recommend magnesium) >= 0.8 under benefit",
];

#[test]
fn shards_run_as_processes_merge_into_the_files_of_one_run() {
    let dir = scratch("shards");
    let spec = spec();
    let whole = dir.join("whole");
    let mut args = vec!["simulate", spec.as_str()];
    args.extend_from_slice(ARGS);
    let out_arg = whole.display().to_string();
    let mut whole_args = args.clone();
    whole_args.extend_from_slice(&["--out", &out_arg, "--format", "json", "--threads", "1"]);
    let run = trialc(&whole_args);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut parts = Vec::new();
    for i in 1..=3 {
        let part = dir.join(format!("part-{i}.json")).display().to_string();
        let shard = format!("{i}/3");
        let mut shard_args = args.clone();
        shard_args.extend_from_slice(&["--shard", &shard, "-o", &part, "--threads", "2"]);
        let run = trialc(&shard_args);
        assert_eq!(
            run.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        parts.push(part);
    }
    let merged = dir.join("merged");
    let merged_arg = merged.display().to_string();
    let mut merge_args = vec!["simulate", "merge", &parts[2], &parts[0], &parts[1]];
    merge_args.extend_from_slice(&["--out", &merged_arg, "--format", "json"]);
    let run = trialc(&merge_args);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // stdout of the merge is the whole run's JSON.
    let whole_json = std::fs::read(whole.join("simulation.json")).expect("whole json");
    assert_eq!(run.stdout, whole_json);
    for file in ["simulation.json", "simulation.txt", "power-curve.svg"] {
        let a = std::fs::read(whole.join(file)).expect("whole file");
        let b = std::fs::read(merged.join(file)).expect("merged file");
        assert!(a == b, "{file} differs between the whole run and the merge");
    }
    // A missing shard is an error naming it.
    let run = trialc(&["simulate", "merge", &parts[0], &parts[1]]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("shard 3/3 is missing"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn command_line_scenarios_are_checked_like_the_spec() {
    let spec = spec();
    let run = trialc(&[
        "simulate",
        &spec,
        "--method",
        "laplace",
        "--replicates",
        "2",
        "--scenario",
        "calm: effect on pian = -1, phi on pain = 1.5",
    ]);
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("E0202") && stderr.contains("E1102"),
        "{stderr}"
    );
    assert!(stderr.contains("<command line>"), "{stderr}");
    let run = trialc(&["simulate", &spec, "--shard", "4/3"]);
    assert_eq!(run.status.code(), Some(2));
}

#[test]
fn a_laplace_screen_is_labelled_as_an_approximation() {
    let spec = spec();
    let run = trialc(&[
        "simulate",
        &spec,
        "--method",
        "laplace",
        "--draws",
        "200",
        "--replicates",
        "3",
        "--scenario",
        "null",
    ]);
    assert_eq!(run.status.code(), Some(0));
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("Laplace approximation"), "{text}");
    assert!(text.contains("confirm"), "{text}");
    let json = trialc(&[
        "simulate",
        &spec,
        "--method",
        "laplace",
        "--draws",
        "200",
        "--replicates",
        "3",
        "--scenario",
        "null",
        "--format",
        "json",
    ]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(value["format"], "trialc-simulation/1");
    assert_eq!(value["plan"]["method"], "laplace");
    assert_eq!(value["plan"]["approximation"], true);
}
