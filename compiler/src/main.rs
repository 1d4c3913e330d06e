//! The `trialc` command line: the only place that touches files, the terminal and the environment.
//!
//! Exit codes: 0 success, 1 the spec has errors (or `fmt --check` found
//! unformatted files), 2 usage or input/output problems.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use trialc::diagnostic::{self, Diagnostic};
use trialc::{codes, hir, markdown, render, schedule, syntax};

#[derive(Parser)]
#[command(
    name = "trialc",
    version,
    about = "Compiler and runtime for personalized (N-of-1) clinical trials"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a spec (`.trial`, or the ```trial blocks of a Markdown protocol).
    Check {
        files: Vec<PathBuf>,
        /// How diagnostics are written.
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
    },
    /// Print the randomized schedule.
    Schedule {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = ScheduleFormat::Table)]
        format: ScheduleFormat,
        /// Code the arms as "Treatment 1", "Treatment 2", … (the key is printed by --key).
        #[arg(long, conflicts_with = "key")]
        blinded: bool,
        /// Print only the blinding key: which code is which arm.
        #[arg(long)]
        key: bool,
    },
    /// Format specs in place (or check that they are formatted).
    Fmt {
        files: Vec<PathBuf>,
        /// Do not write; exit 1 if a file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Explain a diagnostic code, e.g. `trialc explain E0305`.
    Explain { code: String },
    /// Print an intermediate representation.
    Debug {
        #[arg(value_enum)]
        stage: Stage,
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum DiagnosticFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScheduleFormat {
    Table,
    Csv,
    Json,
    Ics,
}

#[derive(Clone, Copy, ValueEnum)]
enum Stage {
    Ast,
    Hir,
    Schedule,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files, format } => check(&files, format),
        Command::Schedule {
            file,
            format,
            blinded,
            key,
        } => schedule_command(&file, format, blinded, key),
        Command::Fmt { files, check } => fmt(&files, check),
        Command::Explain { code } => explain(&code),
        Command::Debug { stage, file } => debug(stage, &file),
    }
}

/// A spec read from disk: what to show in diagnostics and what to parse.
struct Input {
    name: String,
    /// The file as written (shown in diagnostics).
    text: String,
    /// What the parser sees: the file itself, or a Markdown file with everything
    /// outside ```trial blocks blanked (same byte offsets).
    spec: String,
}

fn read_input(path: &Path) -> Result<Input, ExitCode> {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read `{name}`: {e}");
            eprintln!("help: check the path; trialc reads `.trial` specs and Markdown protocols");
            return Err(ExitCode::from(2));
        }
    };
    let spec = if markdown::is_markdown(&name) {
        let (masked, blocks) = markdown::extract(&text);
        if blocks == 0 {
            eprintln!("error: `{name}` has no ```trial block");
            eprintln!("help: fence the spec in the document with ```trial … ```");
            return Err(ExitCode::from(2));
        }
        masked
    } else {
        text.clone()
    };
    Ok(Input { name, text, spec })
}

/// Parse and check; diagnostics come back sorted by position.
fn compile(input: &Input) -> (syntax::ast::File, Option<hir::Spec>, Vec<Diagnostic>) {
    let (file, mut diagnostics) = syntax::parse(&input.spec);
    let (spec, more) = hir::check(&file);
    diagnostics.extend(more);
    diagnostic::sort(&mut diagnostics);
    (file, spec, diagnostics)
}

fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

fn print_human(input: &Input, diagnostics: &[Diagnostic]) {
    let color = use_color();
    let mut stderr = std::io::stderr().lock();
    for d in diagnostics {
        let _ = stderr.write_all(render::human(d, &input.name, &input.text, color).as_bytes());
    }
}

fn summary(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    (errors, diagnostics.len() - errors)
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn check(files: &[PathBuf], format: DiagnosticFormat) -> ExitCode {
    if files.is_empty() {
        eprintln!("error: no file given\nhelp: trialc check spec.trial");
        return ExitCode::from(2);
    }
    let mut failed = false;
    let mut json_files = Vec::new();
    for path in files {
        let input = match read_input(path) {
            Ok(input) => input,
            Err(code) => return code,
        };
        let (_, _, diagnostics) = compile(&input);
        let (errors, warnings) = summary(&diagnostics);
        failed |= errors > 0;
        match format {
            DiagnosticFormat::Human => {
                print_human(&input, &diagnostics);
                if errors > 0 {
                    eprintln!("{}: {} and {}", input.name, plural(errors, "error"), plural(warnings, "warning"));
                } else {
                    eprintln!("{}: ok ({})", input.name, plural(warnings, "warning"));
                }
            }
            DiagnosticFormat::Json => json_files.push(serde_json::json!({
                "file": input.name,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": diagnostics.iter().map(|d| render::json_value(d, &input.name, &input.text)).collect::<Vec<_>>(),
            })),
        }
    }
    if let DiagnosticFormat::Json = format {
        let document = serde_json::json!({ "format": "trialc-diagnostics/1", "files": json_files });
        println!(
            "{}",
            serde_json::to_string_pretty(&document).unwrap_or_default()
        );
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Compile a spec for a command that needs it whole; diagnostics go to stderr.
fn checked_spec(path: &Path) -> Result<hir::Spec, ExitCode> {
    let input = read_input(path)?;
    let (_, spec, diagnostics) = compile(&input);
    print_human(&input, &diagnostics);
    match spec {
        Some(spec) => Ok(spec),
        None => {
            let (errors, _) = summary(&diagnostics);
            eprintln!(
                "{}: {}; fix them first (`trialc check {}`)",
                input.name,
                plural(errors, "error"),
                input.name
            );
            Err(ExitCode::from(1))
        }
    }
}

fn schedule_command(path: &Path, format: ScheduleFormat, blinded: bool, key: bool) -> ExitCode {
    let spec = match checked_spec(path) {
        Ok(spec) => spec,
        Err(code) => return code,
    };
    let built = match schedule::build(&spec.schedule_spec()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::from(1);
        }
    };
    if key {
        print!("{}", schedule::render::blinding_key(&built));
        return ExitCode::SUCCESS;
    }
    let view = if blinded {
        schedule::View::Blinded
    } else {
        schedule::View::Open
    };
    let text = match format {
        ScheduleFormat::Table => schedule::render::table(&built, view),
        ScheduleFormat::Csv => schedule::render::csv(&built, view),
        ScheduleFormat::Json => schedule::render::json(&built, view),
        ScheduleFormat::Ics => match schedule::render::ics(&built, view) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(1);
            }
        },
    };
    print!("{text}");
    ExitCode::SUCCESS
}

fn fmt(files: &[PathBuf], check_only: bool) -> ExitCode {
    if files.is_empty() {
        eprintln!("error: no file given\nhelp: trialc fmt spec.trial");
        return ExitCode::from(2);
    }
    let mut unformatted = false;
    for path in files {
        let input = match read_input(path) {
            Ok(input) => input,
            Err(code) => return code,
        };
        if markdown::is_markdown(&input.name) {
            eprintln!(
                "error: `{}`: trialc fmt formats `.trial` files, not Markdown documents",
                input.name
            );
            return ExitCode::from(2);
        }
        let formatted = match trialc::format::format(&input.text) {
            Ok(text) => text,
            Err(diagnostics) => {
                print_human(&input, &diagnostics);
                eprintln!("{}: not formatted, it has syntax errors", input.name);
                return ExitCode::from(1);
            }
        };
        if formatted == input.text {
            continue;
        }
        if check_only {
            unformatted = true;
            eprintln!(
                "{}: not formatted (run `trialc fmt {}`)",
                input.name, input.name
            );
        } else if let Err(e) = std::fs::write(path, formatted) {
            eprintln!("error: cannot write `{}`: {e}", input.name);
            return ExitCode::from(2);
        }
    }
    if unformatted {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn explain(code: &str) -> ExitCode {
    match codes::explain(code) {
        Some(page) => {
            print!("{page}");
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("error: there is no diagnostic code `{code}`");
            eprintln!(
                "help: codes look like E0305 or W0301; every code trialc prints can be explained"
            );
            ExitCode::from(2)
        }
    }
}

fn debug(stage: Stage, path: &Path) -> ExitCode {
    match stage {
        Stage::Ast => {
            let input = match read_input(path) {
                Ok(input) => input,
                Err(code) => return code,
            };
            let (file, diagnostics) = syntax::parse(&input.spec);
            print_human(&input, &diagnostics);
            println!("{file:#?}");
            ExitCode::SUCCESS
        }
        Stage::Hir => match checked_spec(path) {
            Ok(spec) => {
                println!("{spec:#?}");
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Stage::Schedule => {
            match checked_spec(path).map(|spec| schedule::build(&spec.schedule_spec())) {
                Ok(Ok(built)) => {
                    println!("{built:#?}");
                    ExitCode::SUCCESS
                }
                Ok(Err(e)) => {
                    eprintln!("error: {}: {e}", path.display());
                    ExitCode::from(1)
                }
                Err(code) => code,
            }
        }
    }
}
