//! `trialc check FILE…` (and `--protocol`): every error and warning of
//! each spec in one run; diagnostics to stderr, each file's result line to
//! stdout (not with `--quiet`).

use std::path::PathBuf;
use std::process::ExitCode;

use trialc::driver::{Session, SessionOptions, Stop};
use trialc::io::FsSources;
use trialc::render;

use super::args::DiagnosticFormat;
use super::term::{out, plural, print_all_diagnostics, print_diagnostics};

/// How `check` was asked to run.
#[derive(Clone, Copy)]
pub struct CheckOptions {
    pub format: DiagnosticFormat,
    /// Also check the spec as a protocol (W1101–W1105).
    pub protocol: bool,
    /// No result lines.
    pub quiet: bool,
}

pub fn check(files: &[PathBuf], how: CheckOptions, options: SessionOptions) -> ExitCode {
    let (mut failed, mut unusable) = (false, false);
    let mut json_files = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let mut session = Session::new(FsSources, options);
        let result = session.open(&name).and_then(|file| session.check(file));
        if let (true, Ok(checked)) = (how.protocol, &result) {
            session.protocol(checked);
        }
        if let Err(Stop::Unusable(p)) = &result {
            eprintln!("error: {}\nhelp: {}", render::inline(&p.message), p.help);
            unusable = true;
            continue;
        }
        let (errors, warnings) = session.counts();
        failed |= errors > 0;
        // A file the spec names that cannot be read is a file problem.
        unusable |= session.unreadable_file();
        match how.format {
            DiagnosticFormat::Human => {
                // What a protocol lacks is listed in full, never summarised.
                if how.protocol {
                    print_all_diagnostics(&session, 0);
                } else {
                    print_diagnostics(&session, 0);
                }
                let shown = render::inline(&name);
                let line = if errors > 0 {
                    format!(
                        "{shown}: {} and {}\n",
                        plural(errors, "error"),
                        plural(warnings, "warning")
                    )
                } else {
                    format!("{shown}: ok ({})\n", plural(warnings, "warning"))
                };
                if !how.quiet {
                    if let Err(code) = out(&line) {
                        return code;
                    }
                }
            }
            DiagnosticFormat::Json => json_files.push(render::json_entry(
                &name,
                session.files(),
                session.diagnostics(),
            )),
        }
    }
    if let DiagnosticFormat::Json = how.format {
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
