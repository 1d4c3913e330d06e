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
use cli::term::{checked, emit, out, plural, print_diagnostics, stopped, unsealed, Bar};
use std::io::IsTerminal;
use std::process::ExitCode;
use trialc::driver::{DiarySource, KeySource, Session, SessionOptions};
use trialc::io::{FsSources, Outputs};
use trialc::lower;
use trialc::report;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = SessionOptions {
        allow_outside: cli.allow_outside,
    };
    let session = || Session::new(FsSources, options);
    match cli.command {
        Command::Check {
            files,
            format,
            quiet,
            protocol,
        } => cli::check::check(
            &files,
            cli::check::CheckOptions {
                format,
                protocol,
                quiet,
            },
            options,
        ),
        Command::Protocol(args) => cli::protocol::run(&args, options),
        Command::Schedule(args) => cli::schedule::run(&args, options),
        Command::Run(args) => run(&mut session(), &args),
        Command::Pool(args) => cli::pool::run(&args, options),
        Command::Init(args) => cli::text::init(&args),
        Command::Fmt { files, check } => cli::text::fmt(&files, check),
        Command::Explain { code } => cli::text::explain(&code),
        Command::Completions { shell } => cli::text::completions(shell),
        Command::Man { command } => cli::text::man(command.as_deref()),
        Command::Debug(args) => debug(&mut session(), &args),
        Command::Lsp => cli::lsp::lsp(),
        Command::Import(args) => cli::import::run(&args),
        Command::Simulate(args) => cli::simulate::run(&args, options),
    }
}

fn run(session: &mut Session<FsSources>, args: &RunArgs) -> ExitCode {
    if args.chains == 0 || args.draws == 0 || args.threads == Some(0) {
        eprintln!("error: `--chains`, `--draws` and `--threads` must be at least 1");
        return ExitCode::from(2);
    }
    let options = args.fit_options();
    let document = match cli::result::requested(args) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let name = args.file.display().to_string();
    let data = args.data.as_ref().map(|p| p.display().to_string());
    let diary = data.as_deref().map_or(DiarySource::Spec, DiarySource::Path);
    let key = args.key.as_ref().map(|k| k.display().to_string());
    let key = key.as_deref().map_or(KeySource::Spec, KeySource::Path);
    let prepared = match session
        .open(&name)
        .and_then(|f| session.check(f))
        .and_then(|c| session.unseal(c, key))
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
    let outputs = match outputs.and_then(|o| match &document {
        Some(d) => cli::result::check_inputs(d, session.files()).map(|()| o),
        None => Ok(o),
    }) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // And a `--compare-loo` alternative that cannot be compared.
    let alternatives = match session.loo_alternatives(&prepared, &args.compare_loo) {
        Ok(a) => a,
        Err(stop) => return stopped(session, &name, stop),
    };
    let progress = Bar::new(std::io::stderr().is_terminal());
    let result = session
        .fit(&prepared, &options, &progress)
        .and_then(|fits| {
            let mut analysed = session.analyse(&prepared, &fits, &options, &progress)?;
            analysed.report.loo =
                session.compare_loo(&prepared, &fits, &alternatives, &options, &progress)?;
            Ok((fits, analysed))
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
                    &analysed.predictive,
                )
            })
        });
    let written = written.and_then(|done| {
        let Some(requested) = &document else {
            return Ok(done);
        };
        let doc = report::document::document(
            &analysed.report,
            &c.spec,
            &c.schedule,
            &prepared.diary,
            &fits,
        );
        cli::result::write(requested, &doc).map(|()| done)
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

fn debug(session: &mut Session<FsSources>, args: &DebugArgs) -> ExitCode {
    let (path, stage, format) = (&args.file, args.stage, args.format);
    let name = path.display().to_string();
    let data = args.data.as_ref().map(|p| p.display().to_string());
    if data.is_some() && !matches!(stage, Stage::Mir) {
        eprintln!("error: `--data` is read only by `trialc debug mir`; the other stages do not read the diary");
        return ExitCode::from(2);
    }
    if args.key.is_some() && !matches!(stage, Stage::Schedule | Stage::Mir) {
        eprintln!("error: `--key` is read only by `trialc debug schedule` and `trialc debug mir`; the other stages show no allocation");
        return ExitCode::from(2);
    }
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
        Stage::Schedule => {
            match checked(session, path).and_then(|c| unsealed(session, c, args.key.as_deref())) {
                Ok(c) => format!("{:#?}\n", c.schedule),
                Err(code) => return code,
            }
        }
        Stage::Mir => {
            let prepared = match checked(session, path)
                .and_then(|c| unsealed(session, c, args.key.as_deref()))
                .and_then(|c| {
                    let printed = session.diagnostics().len();
                    let diary = data.as_deref().map_or(DiarySource::Spec, DiarySource::Path);
                    let result = session.prepare(c, diary);
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
