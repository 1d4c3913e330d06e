//! `trialc check FILE…` (and `--protocol`): every error and warning of
//! each spec in one run.

use std::path::PathBuf;
use std::process::ExitCode;

use trialc::driver::{Session, SessionOptions, Stop};
use trialc::io::FsSources;
use trialc::render;

use super::args::DiagnosticFormat;
use super::term::{out, plural, print_all_diagnostics, print_diagnostics};

pub fn check(
    files: &[PathBuf],
    format: DiagnosticFormat,
    protocol: bool,
    options: SessionOptions,
) -> ExitCode {
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
        if let (true, Ok(checked)) = (protocol, &result) {
            session.protocol(checked);
        }
        if let Err(Stop::Unusable(p)) = &result {
            eprintln!("error: {}\nhelp: {}", render::inline(&p.message), p.help);
            unusable = true;
            continue;
        }
        let (errors, warnings) = session.counts();
        failed |= errors > 0;
        match format {
            DiagnosticFormat::Human => {
                // What a protocol lacks is listed in full, never summarised.
                if protocol {
                    print_all_diagnostics(&session, 0);
                } else {
                    print_diagnostics(&session, 0);
                }
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
