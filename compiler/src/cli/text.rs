//! The commands that work on texts rather than on a trial's data: `fmt`,
//! `init` and `explain`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::args::InitArgs;
use super::term::{emit, out, print_for_text};
use trialc::{codes, hypotheses, markdown, render};

/// Formats each file in turn; a file that cannot be formatted is reported
/// and the others are still done. `-` is stdin, formatted to stdout.
pub fn fmt(files: &[PathBuf], check_only: bool) -> ExitCode {
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

pub fn init(args: &InitArgs) -> ExitCode {
    let (from, top, outcome, output) = (
        &args.from,
        args.top as usize,
        args.outcome.as_deref(),
        args.output.as_deref(),
    );
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

pub fn explain(code: &str) -> ExitCode {
    match codes::explain(code) {
        Some(page) => emit(&super::markdown::render(
            page,
            super::term::use_color_on_stdout(),
        )),
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

/// A completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = <super::args::Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "trialc", &mut script);
    emit(&String::from_utf8_lossy(&script))
}

/// The manual page (roff) of trialc, or of one of its commands
/// (`trialc-run(1)`), on stdout.
pub fn man(command: Option<&str>) -> ExitCode {
    let root = <super::args::Cli as clap::CommandFactory>::command();
    let page = match command {
        None => root,
        Some(name) => match root.find_subcommand(name) {
            Some(sub) => {
                let full = format!("trialc-{name}");
                sub.clone()
                    .name(full.clone())
                    .display_name(full.clone())
                    .bin_name(full)
            }
            None => {
                eprintln!(
                    "error: there is no command `{}`\nhelp: `trialc --help` lists them",
                    render::inline(name)
                );
                return ExitCode::from(2);
            }
        },
    };
    let mut roff = Vec::new();
    if let Err(e) = clap_mangen::Man::new(page).render(&mut roff) {
        eprintln!("error: cannot render the manual page: {e}");
        return ExitCode::from(2);
    }
    emit(&String::from_utf8_lossy(&roff))
}
