//! Issue 10's faults, each reproduced through the binary: nothing an input
//! or the terminal does makes trialc panic, write half a file, overwrite an
//! input, or write control characters to the terminal.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn trialc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trialc"));
    c.env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> Output {
    trialc().args(args).output().expect("trialc runs")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn example(name: &str) -> PathBuf {
    root().join(format!("examples/{name}"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trialc-safety-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A copy of an example's folder, to change or write into.
fn copy_example(name: &str, to: &Path) -> PathBuf {
    let from = example(name);
    let mut stack = vec![from.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
            let p = entry.path();
            let target = to.join(p.strip_prefix(&from).expect("below"));
            if p.is_dir() {
                std::fs::create_dir_all(&target).expect("mkdir");
                stack.push(p);
            } else {
                std::fs::copy(&p, &target).expect("copy");
            }
        }
    }
    to.join(format!("{name}.trial"))
}

const QUICK: [&str; 6] = ["--chains", "2", "--warmup", "60", "--draws", "60"];

fn no_panic(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let spec = example("hpi-milk-sleep/hpi-milk-sleep.trial");
    for args in [
        vec!["debug", "ast"],
        vec!["check", "--format", "json"],
        vec!["schedule"],
    ] {
        let mut child = trialc()
            .args(&args)
            .arg(&spec)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Read one byte, then close the pipe as `| head -c 1` does.
        let mut byte = [0u8; 1];
        let mut stdout = child.stdout.take().expect("stdout");
        let _ = stdout.read(&mut byte);
        drop(stdout);
        let out = child.wait_with_output().expect("wait");
        no_panic(&out);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_an_error_not_a_panic() {
    let spec = example("hpi-milk-sleep/hpi-milk-sleep.trial");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = trialc()
        .arg("schedule")
        .arg(&spec)
        .stdout(full)
        .output()
        .expect("run");
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the output"));
}

#[test]
fn fmt_formats_every_file_it_can_and_reads_stdin() {
    let dir = scratch("fmt");
    let broken = dir.join("a-broken.trial");
    let messy = dir.join("b-messy.trial");
    std::fs::write(&broken, "trial \"x\" {\n  title \"t\"\n").expect("write");
    let tidy =
        std::fs::read_to_string(example("hpi-milk-sleep/hpi-milk-sleep.trial")).expect("example");
    let untidy = tidy.replace("arm cold_milk", "arm    cold_milk");
    assert_ne!(untidy, tidy);
    std::fs::write(&messy, &untidy).expect("write");
    let readme = dir.join("notes.md");
    std::fs::write(&readme, "# notes\n").expect("write");
    let out = run(&[
        "fmt",
        &broken.display().to_string(),
        &readme.display().to_string(),
        &messy.display().to_string(),
    ]);
    no_panic(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a Markdown file is a usage error"
    );
    // The file after the broken one and the Markdown one was still formatted.
    assert_eq!(std::fs::read_to_string(&messy).expect("read"), tidy);
    // `fmt -`: stdin to stdout.
    let mut child = trialc()
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(untidy.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), tidy);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_calendar_of_a_blinded_trial_is_blinded_unless_asked() {
    let spec = example("magnesium-migraine/magnesium-migraine.trial");
    let spec = spec.display().to_string();
    let blinded = run(&["schedule", "--format", "ics", &spec]);
    assert_eq!(blinded.status.code(), Some(0));
    let text = String::from_utf8_lossy(&blinded.stdout);
    assert!(text.contains("BEGIN:VCALENDAR"));
    // The trial's id is `magnesium-migraine`; the arms must not appear.
    let arms = |ics: &str| -> Vec<String> {
        ics.lines()
            .filter(|l| l.starts_with("SUMMARY:") || l.starts_with("DESCRIPTION:"))
            .map(|l| l.replace("magnesium-migraine", ""))
            .filter(|l| l.contains("magnesium") || l.contains("placebo"))
            .collect()
    };
    assert!(arms(&text).is_empty(), "{:?}", arms(&text));
    assert!(text.contains("Treatment 1"));
    let open = run(&["schedule", "--format", "ics", "--unblinded", &spec]);
    assert!(!arms(&String::from_utf8_lossy(&open.stdout)).is_empty());
}

#[test]
fn outputs_never_overwrite_inputs_and_replace_only_their_own_files() {
    let dir = scratch("outputs");
    let spec = copy_example("hpi-milk-sleep", &dir);
    let spec_s = spec.display().to_string();
    let diary = dir.join("diary.csv");
    let before = std::fs::read(&diary).expect("diary");
    // The evidence file may not be an input; refused before any fit.
    let out = run(&[
        "run",
        &spec_s,
        "--export-evidence",
        &diary.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "refused before printing a report");
    assert_eq!(std::fs::read(&diary).expect("diary"), before);
    let out = run(&["run", &spec_s, "--export-evidence", &spec_s]);
    assert_eq!(out.status.code(), Some(2));
    // --out into the spec's own folder: not trialc's, refused before fitting.
    let out = run(&["run", &spec_s, "--out", &dir.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    // A 4-chain run, then a 2-chain run into the same folder: no stale chains.
    let fit = dir.join("fit");
    let fit_s = fit.display().to_string();
    let mut args = vec![
        "run", &spec_s, "--out", &fit_s, "--warmup", "60", "--draws", "60",
    ];
    let out = run(&args);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{out:?}");
    assert!(fit.join("sleep_quality-4.csv").exists());
    args.extend(["--chains", "2"]);
    let out = run(&args);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{out:?}");
    assert!(fit.join("sleep_quality-2.csv").exists());
    assert!(!fit.join("sleep_quality-3.csv").exists());
    assert!(!fit.join("sleep_quality-4.csv").exists());
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&fit)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn control_characters_in_inputs_never_reach_the_terminal() {
    let dir = scratch("escapes");
    let spec = copy_example("hpi-milk-sleep", &dir);
    let text = std::fs::read_to_string(&spec).expect("spec");
    let title_at = text.find("Cold vs warm").expect("the title");
    let mut evil = text.clone();
    evil.insert_str(title_at, "\u{1b}]0;pwned\u{7}\u{1b}[2J");
    std::fs::write(&spec, &evil).expect("write");
    let spec_s = spec.display().to_string();
    let mut args = vec!["run", spec_s.as_str()];
    args.extend(QUICK);
    let out = run(&args);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{out:?}");
    for stream in [&out.stdout, &out.stderr] {
        let s = String::from_utf8_lossy(stream);
        assert!(!s.contains('\u{1b}') && !s.contains('\u{7}'), "{s:?}");
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("\\u{1b}"));
    // And in diagnostics: a broken line with an escape in it.
    let broken = evil.replacen("arm cold_milk", "arm cold_milk \u{1b}[31m", 1);
    std::fs::write(&spec, broken).expect("write");
    let out = run(&["check", &spec_s]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\u{1b}'));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_spec_cannot_read_files_outside_its_folder() {
    let dir = scratch("confined");
    std::fs::create_dir_all(dir.join("trial")).expect("mkdir");
    let spec = copy_example("hpi-milk-sleep", &dir.join("trial"));
    std::fs::write(dir.join("secret.csv"), "root:x:0:0:secret\n").expect("write");
    let text = std::fs::read_to_string(&spec).expect("spec");
    std::fs::write(
        &spec,
        text.replace("data \"diary.csv\"", "data \"../secret.csv\""),
    )
    .expect("write");
    let out = run(&["run", &spec.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("E0212"), "{stderr}");
    assert!(
        !stderr.contains("root:x"),
        "the file's content is never shown: {stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_that_is_not_a_diary_is_not_quoted() {
    let dir = scratch("not-a-diary");
    let spec = copy_example("hpi-milk-sleep", &dir);
    let other = dir.join("shadow");
    std::fs::write(&other, "root:$6$secret:19000:0:99999:7:::\n").expect("write");
    let out = run(&[
        "run",
        &spec.display().to_string(),
        "--data",
        &other.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("E0703") && stderr.contains("not a diary"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hundreds_of_unused_hypotheses_give_a_short_warning() {
    let dir = scratch("unused");
    let spec = copy_example("magnesium-migraine", &dir);
    let path = dir.join("hypotheses/p0042.json");
    let text = std::fs::read_to_string(&path).expect("hypotheses");
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("json");
    let first = json["hypotheses"][0].clone();
    let list = json["hypotheses"].as_array_mut().expect("array");
    for i in 0..300 {
        let mut h = first.clone();
        h["id"] = serde_json::json!(format!("X{i}"));
        h["rank"] = serde_json::json!(100 + i);
        list.push(h);
    }
    // One line, as a model's output often is.
    std::fs::write(&path, serde_json::to_string(&json).expect("json")).expect("write");
    let out = run(&["check", &spec.display().to_string()]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("W0808"), "{stderr}");
    assert!(stderr.len() < 20_000, "{} bytes of warnings", stderr.len());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_output_name_the_file_system_cannot_take_is_refused_before_the_fit() {
    let dir = scratch("long-name");
    let spec = copy_example("hpi-milk-sleep", &dir);
    let long = "q".repeat(300);
    let text = std::fs::read_to_string(&spec).expect("spec");
    let diary = std::fs::read_to_string(dir.join("diary.csv")).expect("diary");
    std::fs::write(&spec, text.replace("sleep_quality", &long)).expect("write");
    std::fs::write(dir.join("diary.csv"), diary.replace("sleep_quality", &long)).expect("write");
    let out_dir = dir.join("fit");
    let out = run(&[
        "run",
        &spec.display().to_string(),
        "--out",
        &out_dir.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "refused before any report");
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than file systems allow"));
    let _ = std::fs::remove_dir_all(&dir);
}
