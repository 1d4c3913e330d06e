//! The `trialc` command line: clap, files, the terminal and rendering, over
//! the library's [`Session`] (which does the work and no IO).
//!
//! Exit codes: 0 success, 1 the spec or its data have errors (or `fmt
//! --check` found unformatted files), 2 usage or input/output problems, 3 the
//! fit finished but did not converge well enough to trust (see the warnings).
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)]

mod cli;

use clap::Parser;
use cli::args::*;
use cli::term::{checked, emit, out, plural, print_diagnostics, print_for_text, stopped, Bar};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use trialc::driver::{DiarySource, Session, SessionOptions, Stop};
use trialc::io::{FsSources, Outputs};
use trialc::render;
use trialc::report;
use trialc::{codes, hypotheses, lower, markdown, schedule};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = SessionOptions {
        allow_outside: cli.allow_outside,
    };
    let session = || Session::new(FsSources, options);
    match cli.command {
        Command::Check { files, format } => check(&files, format, options),
        Command::Schedule(args) => schedule_command(&mut session(), &args),
        Command::Run(args) => run(&mut session(), &args),
        Command::Init(args) => init(&args),
        Command::Fmt { files, check } => fmt(&files, check),
        Command::Explain { code } => explain(&code),
        Command::Debug(args) => debug(&mut session(), &args),
        Command::Simulate(args) => cli::simulate::run(&args, options),
    }
}

fn check(files: &[PathBuf], format: DiagnosticFormat, options: SessionOptions) -> ExitCode {
    if files.is_empty() {
        eprintln!("error: no file given\nhelp: trialc check spec.trial");
        return ExitCode::from(2);
    }
    let (mut failed, mut unusable) = (false, false);
    let mut json_files = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let mut session = Session::new(FsSources, options);
        let result = session.open(&name).and_then(|file| session.check(file));
        if let Err(Stop::Unusable(p)) = &result {
            eprintln!("error: {}\nhelp: {}", render::inline(&p.message), p.help);
            unusable = true;
            continue;
        }
        let (errors, warnings) = session.counts();
        failed |= errors > 0;
        match format {
            DiagnosticFormat::Human => {
                print_diagnostics(&session, 0);
                let shown = render::inline(&name);
                if errors > 0 {
                    eprintln!(
                        "{shown}: {} and {}",
                        plural(errors, "error"),
                        plural(warnings, "warning")
                    );
                } else {
                    eprintln!("{shown}: ok ({})", plural(warnings, "warning"));
                }
            }
            DiagnosticFormat::Json => json_files.push(render::json_entry(
                &name,
                session.files(),
                session.diagnostics(),
            )),
        }
    }
    if let DiagnosticFormat::Json = format {
        if let Err(code) = out(&render::json_document(json_files)) {
            return code;
        }
    }
    match (unusable, failed) {
        (true, _) => ExitCode::from(2),
        (_, true) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

fn schedule_command(session: &mut Session<FsSources>, args: &ScheduleArgs) -> ExitCode {
    let (path, format) = (&args.file, args.format);
    let built = match checked(session, path) {
        Ok(c) => c.schedule,
        Err(code) => return code,
    };
    if args.key {
        return emit(&schedule::render::blinding_key(&built));
    }
    // A participant's calendar of a blinded trial is blinded unless asked.
    let blind_calendar =
        matches!(format, ScheduleFormat::Ics) && built.blinding != schedule::Blinding::Open;
    let view = if args.blinded || (blind_calendar && !args.unblinded) {
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
    emit(&text)
}

fn run(session: &mut Session<FsSources>, args: &RunArgs) -> ExitCode {
    if args.chains == 0 || args.draws == 0 || args.threads == Some(0) {
        eprintln!("error: `--chains`, `--draws` and `--threads` must be at least 1");
        return ExitCode::from(2);
    }
    let options = args.fit_options();
    let name = args.file.display().to_string();
    let data = args.data.as_ref().map(|p| p.display().to_string());
    let diary = data.as_deref().map_or(DiarySource::Spec, DiarySource::Path);
    let prepared = match session
        .open(&name)
        .and_then(|f| session.check(f))
        .and_then(|c| session.prepare(c, diary))
    {
        Ok(p) => p,
        Err(stop) => {
            print_diagnostics(session, 0);
            return stopped(session, &name, stop);
        }
    };
    let printed = print_diagnostics(session, 0);
    // What can go wrong with the outputs is found before the fit.
    let outputs = Outputs::for_run(
        session.files(),
        &prepared.checked.spec,
        &options.settings,
        args.export_evidence.as_deref(),
        args.out.as_deref(),
    );
    let outputs = match outputs {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let progress = Bar::new(std::io::stderr().is_terminal());
    let result = session
        .fit(&prepared, &options, &progress)
        .and_then(|fits| {
            session
                .analyse(&prepared, &fits, &options, &progress)
                .map(|a| (fits, a))
        });
    print_diagnostics(session, printed);
    let (fits, analysed) = match result {
        Ok(done) => done,
        Err(stop) => return stopped(session, &name, stop),
    };
    let c = &prepared.checked;
    let written = outputs
        .write_evidence(|| trialc::evidence::to_json(&session.export_evidence(&prepared, &fits)))
        .and_then(|()| {
            outputs.write_dir(|| {
                report::outputs(
                    &analysed.report,
                    &c.spec,
                    &c.schedule,
                    &prepared.diary,
                    &fits,
                )
            })
        });
    match written {
        Ok(Some((n, dir))) if progress.enabled => {
            eprintln!("wrote {} to {}", plural(n, "file"), dir.display())
        }
        Ok(_) => {}
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    let text = match args.format {
        ReportFormat::Text => report::text(&analysed.report),
        ReportFormat::Json => report::json(&analysed.report),
    };
    if let Err(code) = out(&text) {
        return code;
    }
    if report::has_convergence_problems(&analysed.report) {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// Formats each file in turn; a file that cannot be formatted is reported
/// and the others are still done. `-` is stdin, formatted to stdout.
fn fmt(files: &[PathBuf], check_only: bool) -> ExitCode {
    if files.is_empty() {
        eprintln!("error: no file given\nhelp: trialc fmt spec.trial (or `-` for stdin)");
        return ExitCode::from(2);
    }
    let mut worst = 0u8;
    let mut fail = |code: u8, message: String| {
        eprintln!("{message}");
        worst = worst.max(code);
    };
    for path in files {
        let name = render::inline(&path.display().to_string()).into_owned();
        let stdin = name == "-";
        let text = if stdin {
            trialc::io::read_stdin()
        } else {
            std::fs::read_to_string(path)
        };
        let text = match text {
            Ok(_) if markdown::is_markdown(&name) => {
                fail(2, format!("error: `{name}`: trialc fmt formats `.trial` files, not Markdown documents"));
                continue;
            }
            Ok(text) => text,
            Err(e) => {
                fail(2, format!("error: cannot read `{name}`: {e}"));
                continue;
            }
        };
        match trialc::format::format(&text) {
            Err(diagnostics) => {
                print_for_text(&diagnostics, &name, &text);
                fail(1, format!("{name}: not formatted (see the errors above)"));
            }
            Ok(formatted) if stdin && !check_only => {
                if let Err(code) = out(&formatted) {
                    return code;
                }
            }
            Ok(formatted) if formatted == text => {}
            Ok(_) if check_only => fail(
                1,
                format!("{name}: not formatted (run `trialc fmt {name}`)"),
            ),
            Ok(formatted) => {
                if let Err(e) = trialc::io::write_atomic(path, formatted.as_bytes()) {
                    fail(2, format!("error: cannot write `{name}`: {e}"));
                }
            }
        }
    }
    ExitCode::from(worst)
}

fn init(args: &InitArgs) -> ExitCode {
    let (from, top, outcome, output) = (
        &args.from,
        args.top,
        args.outcome.as_deref(),
        args.output.as_deref(),
    );
    if top == 0 {
        eprintln!("error: `--top` must be at least 1");
        return ExitCode::from(2);
    }
    let name = from.display().to_string();
    let text = match std::fs::read_to_string(from) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read the hypotheses file `{name}`: {e}");
            return ExitCode::from(2);
        }
    };
    let (file, diagnostics) = hypotheses::read(&text);
    print_for_text(&diagnostics, &name, &text);
    let Some(file) = file else {
        return ExitCode::from(1);
    };
    // The spec names the file relative to its own folder.
    let path = trialc::io::relative_to_folder_of(from, output);
    let options = trialc::init::Options {
        path: &path,
        top,
        outcome,
    };
    let spec = match trialc::init::generate(&file, &options) {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    match output {
        None => emit(&spec),
        Some(o) if o.exists() => {
            eprintln!(
                "error: `{}` exists; trialc init does not overwrite files",
                o.display()
            );
            ExitCode::from(2)
        }
        Some(o) => match trialc::io::write_atomic(o, spec.as_bytes()) {
            Ok(()) => {
                eprintln!(
                    "wrote {}; now `trialc check {}` and resolve its TODOs",
                    o.display(),
                    o.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot write `{}`: {e}", o.display());
                ExitCode::from(2)
            }
        },
    }
}

fn explain(code: &str) -> ExitCode {
    match codes::explain(code) {
        Some(page) => emit(page),
        None => {
            eprintln!(
                "error: there is no diagnostic code `{}`",
                render::inline(code)
            );
            eprintln!(
                "help: codes look like E0305 or W0301; every code trialc prints can be explained"
            );
            ExitCode::from(2)
        }
    }
}

fn debug(session: &mut Session<FsSources>, args: &DebugArgs) -> ExitCode {
    let (path, stage, format) = (&args.file, args.stage, args.format);
    let name = path.display().to_string();
    let text = match stage {
        Stage::Ast => {
            let file = match session.open(&name) {
                Ok(f) => f,
                Err(stop) => return stopped(session, &name, stop),
            };
            let ast = session.parse(file);
            print_diagnostics(session, 0);
            format!("{ast:#?}\n")
        }
        Stage::Hir => match checked(session, path) {
            Ok(c) => format!("{:#?}\n", c.spec),
            Err(code) => return code,
        },
        Stage::Schedule => match checked(session, path) {
            Ok(c) => format!("{:#?}\n", c.schedule),
            Err(code) => return code,
        },
        Stage::Mir => {
            let prepared = match checked(session, path).and_then(|c| {
                let printed = session.diagnostics().len();
                let result = session.prepare(c, DiarySource::Spec);
                print_diagnostics(session, printed);
                result.map_err(|stop| stopped(session, &name, stop))
            }) {
                Ok(p) => p,
                Err(code) => return code,
            };
            let spec = &prepared.checked.spec;
            match format {
                DebugFormat::Text => lower::dump(&prepared.lowered, spec),
                DebugFormat::Json => format!(
                    "{}\n",
                    serde_json::to_string_pretty(&lower::dump_json(&prepared.lowered, spec))
                        .unwrap_or_default()
                ),
            }
        }
    };
    emit(&text)
}
