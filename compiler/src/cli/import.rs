//! `trialc import studyu STUDY.json RESULTS.csv [-o DIR]`: reads the two
//! files, lets the library import them ([`trialc::import::studyu`]), prints
//! its diagnostics and notes, and writes each participant's spec and diary.
//!
//! Writing is all or nothing and never destroys anything: every output is
//! checked first (never one of the inputs; not an existing file unless
//! `--force`), then each is written atomically.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::args::{ImportArgs, ImportFrom, StudyuArgs};
use super::term::{out, plural, use_color};
use trialc::import::studyu::{self, Imported, Input, NoteKind, Options};
use trialc::io::{same_file, write_atomic};
use trialc::render::{self, Renderer};
use trialc::source::{FileKind, SourceMap};

pub fn run(args: &ImportArgs) -> ExitCode {
    match &args.from {
        ImportFrom::Studyu(a) => studyu_command(a),
    }
}

fn read(path: &Path, what: &str) -> Result<String, ExitCode> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            eprintln!(
                "error: the {what} `{}` is not UTF-8 text",
                render::inline(&path.display().to_string())
            );
            ExitCode::from(2)
        }),
        Err(e) => {
            eprintln!(
                "error: cannot read the {what} `{}`: {e}",
                render::inline(&path.display().to_string())
            );
            Err(ExitCode::from(2))
        }
    }
}

fn studyu_command(args: &StudyuArgs) -> ExitCode {
    let (study, results) = match (
        read(&args.study, "study definition"),
        read(&args.results, "results export"),
    ) {
        (Ok(s), Ok(r)) => (s, r),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let mut map = SourceMap::default();
    let definition_file = map.add(args.study.display().to_string(), FileKind::Import, study);
    let results_file = map.add(
        args.results.display().to_string(),
        FileKind::Import,
        results,
    );
    let options = Options {
        participant: args.participant.as_deref(),
        outcome: args.outcome.as_deref(),
        reference: args.reference.as_deref(),
    };
    let (imported, diagnostics) = studyu::import(
        Input {
            file: definition_file,
            text: map.text(definition_file),
        },
        Input {
            file: results_file,
            text: map.text(results_file),
        },
        &options,
    );
    {
        let mut renderer = Renderer::new(&map, use_color());
        let mut stderr = std::io::stderr().lock();
        for d in diagnostics.iter().take(20) {
            let _ = stderr.write_all(renderer.human(d).as_bytes());
        }
        if diagnostics.len() > 20 {
            let _ = writeln!(
                stderr,
                "… and {} more",
                plural(diagnostics.len() - 20, "error")
            );
        }
    }
    let Some(imported) = imported else {
        eprintln!(
            "{}: nothing written",
            plural(diagnostics.iter().filter(|d| d.is_error()).count(), "error")
        );
        return ExitCode::from(1);
    };
    let files: Vec<(PathBuf, &str)> = imported
        .trials
        .iter()
        .flat_map(|t| {
            [
                (args.out.join(&t.spec_file), t.spec.as_str()),
                (args.out.join(&t.diary_file), t.diary.as_str()),
            ]
        })
        .collect();
    // Everything that could stop the writing is found before anything is written.
    let inputs = [&args.study, &args.results];
    for (path, _) in &files {
        let shown = render::inline(&path.display().to_string()).into_owned();
        if inputs.iter().any(|i| same_file(i, path)) {
            eprintln!("error: `{shown}` is an input of this import; trialc never overwrites its inputs (write to another folder with `-o`)");
            return ExitCode::from(2);
        }
        if path.exists() && !args.force {
            eprintln!("error: `{shown}` exists; trialc import does not overwrite files unless `--force` (or write to another folder with `-o`)");
            return ExitCode::from(2);
        }
        if path.is_dir() {
            eprintln!("error: `{shown}` is a folder");
            return ExitCode::from(2);
        }
    }
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!(
            "error: cannot create `{}`: {e}",
            render::inline(&args.out.display().to_string())
        );
        return ExitCode::from(2);
    }
    for (path, contents) in &files {
        if let Err(e) = write_atomic(path, contents.as_bytes()) {
            eprintln!(
                "error: cannot write `{}`: {e}",
                render::inline(&path.display().to_string())
            );
            return ExitCode::from(2);
        }
    }
    match out(&summary(&imported, &files)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// What was written, assumed and left out, for the user (stdout).
fn summary(imported: &Imported, files: &[(PathBuf, &str)]) -> String {
    let mut s = String::new();
    let rows = &imported.rows;
    s.push_str(&format!(
        "read {}: {} used, {} left out\n",
        plural(rows.total, "row"),
        rows.used,
        rows.excluded_total()
    ));
    for (reason, n) in &rows.excluded {
        s.push_str(&format!("  {n:>5}  {reason}\n"));
    }
    for (kind, heading) in [
        (NoteKind::Assumed, "assumed"),
        (NoteKind::Dropped, "not imported"),
    ] {
        let notes: Vec<_> = imported.notes.iter().filter(|n| n.kind == kind).collect();
        if !notes.is_empty() {
            s.push_str(&format!("{heading}:\n"));
            for n in notes {
                s.push_str(&format!("  - {}\n", n.text));
            }
        }
    }
    for (trial, pair) in imported.trials.iter().zip(files.chunks(2)) {
        s.push_str(&format!("participant {}:\n", trial.participant));
        for n in &trial.notes {
            let mark = match n.kind {
                NoteKind::Warning => "warning",
                NoteKind::Assumed => "assumed",
                NoteKind::Dropped => "not imported",
            };
            s.push_str(&format!("  - {mark}: {}\n", n.text));
        }
        for (path, _) in pair {
            s.push_str(&format!("  wrote {}\n", path.display()));
        }
    }
    if let Some((spec, _)) = files.first() {
        s.push_str(&format!(
            "next: `trialc check {0}`, then `trialc run {0}`\n",
            spec.display()
        ));
    }
    s
}
