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

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use trialc::driver::{Checked, DiarySource, FitOptions, Progress, Session, SessionOptions, Stop};
use trialc::io::{FsSources, OutDir};
use trialc::render::{self, Renderer, Shown};
use trialc::report::{self, Adapt, RunSettings};
use trialc::{codes, hypotheses, lower, markdown, schedule};
use trialc_runtime::posterior::{Init, Method};

#[derive(Parser)]
#[command(
    name = "trialc",
    version,
    about = "Compiler and runtime for personalized (N-of-1) clinical trials"
)]
struct Cli {
    /// Let a spec name files outside its own folder (`data`, `hypotheses`).
    #[arg(long, global = true)]
    allow_outside: bool,
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
        /// The default for `--format ics` of a blinded trial.
        #[arg(long, conflicts_with_all = ["key", "unblinded"])]
        blinded: bool,
        /// Arm names even in the calendar of a blinded trial.
        #[arg(long)]
        unblinded: bool,
        /// Print only the blinding key: which code is which arm.
        #[arg(long)]
        key: bool,
    },
    /// Fit the spec's models to the participant's diary and report the decision.
    Run(RunArgs),
    /// Scaffold a spec that tests an LFM's top hypotheses (docs/hypotheses.md).
    Init {
        /// The hypotheses file (`trialc-hypotheses/1`).
        #[arg(long)]
        from: PathBuf,
        /// How many hypotheses to test, best rank first.
        #[arg(long, default_value_t = 1)]
        top: usize,
        /// Only hypotheses about this outcome.
        #[arg(long)]
        outcome: Option<String>,
        /// Write the spec here instead of stdout (not overwritten if it exists).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Format specs in place (or check that they are formatted); `-` formats stdin to stdout.
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
        /// `mir` only: `json` is the lowered model as the Stan comparison reads it.
        #[arg(long, value_enum, default_value_t = DebugFormat::Text)]
        format: DebugFormat,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    file: PathBuf,
    /// The diary CSV (default: the spec's `data "…"`, relative to the spec).
    #[arg(long)]
    data: Option<PathBuf>,
    #[arg(long, default_value_t = 4)]
    chains: usize,
    #[arg(long, default_value_t = 1000)]
    warmup: usize,
    #[arg(long, default_value_t = 1000)]
    draws: usize,
    /// Sampler seed; the same inputs and seed give byte-identical outputs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// `text` for people, `json` for programs (schema: docs/report.md).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Also write report.json, CmdStan CSV draws and SVG plots into this
    /// folder: a new or empty one, or one an earlier run wrote (its files are replaced).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write each effect's posterior as a `trialc-hypotheses/1` file
    /// (docs/hypotheses.md), to be the next trial's prior. Never an input file.
    #[arg(long, value_name = "FILE")]
    export_evidence: Option<PathBuf>,
    /// `nuts` (MCMC), or `laplace`: a fast Gaussian approximation at the
    /// posterior mode with `--draws` iid draws (confirm decisions with NUTS).
    #[arg(long, value_enum, default_value_t = FitMethod::Nuts)]
    method: FitMethod,
    /// Where NUTS chains start: `random` (Stan's uniform(-2, 2)) or `map`
    /// (each chain at its own draw from the Laplace approximation at the mode).
    #[arg(long, value_enum, default_value_t = InitMethod::Random)]
    init: InitMethod,
    /// NUTS variant: `stan` (Stan's windowed warmup and U-turn criterion,
    /// the model contract) or `nutpie` (nutpie's warmup and the
    /// displacement U-turn: about 1.4x fewer gradients per effective draw).
    #[arg(long, value_enum, default_value_t = AdaptMethod::Stan)]
    adapt: AdaptMethod,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiagnosticFormat {
    Human,
    Json,
}
#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum FitMethod {
    Nuts,
    Laplace,
}
#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum InitMethod {
    Random,
    Map,
}
#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum AdaptMethod {
    Stan,
    Nutpie,
}
#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}
#[derive(Clone, Copy, ValueEnum)]
enum ScheduleFormat {
    Table,
    Csv,
    Json,
    Ics,
}
#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum DebugFormat {
    Text,
    Json,
}
#[derive(Clone, Copy, ValueEnum)]
enum Stage {
    Ast,
    Hir,
    Schedule,
    /// The model IR per outcome (needs the diary).
    Mir,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = SessionOptions {
        allow_outside: cli.allow_outside,
    };
    let session = || Session::new(FsSources, options);
    match cli.command {
        Command::Check { files, format } => check(&files, format, options),
        Command::Schedule {
            file,
            format,
            blinded,
            unblinded,
            key,
        } => schedule_command(&mut session(), &file, format, blinded, unblinded, key),
        Command::Run(args) => run(&mut session(), &args),
        Command::Init {
            from,
            top,
            outcome,
            output,
        } => init(&from, top, outcome.as_deref(), output.as_deref()),
        Command::Fmt { files, check } => fmt(&files, check),
        Command::Explain { code } => explain(&code),
        Command::Debug {
            stage,
            file,
            format,
        } => debug(&mut session(), stage, &file, format),
    }
}

/// Colour on stderr: forced by `CLICOLOR_FORCE`, off for `NO_COLOR`,
/// `TERM=dumb` and anything that is not a terminal.
fn use_color() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    if set("CLICOLOR_FORCE") {
        return true;
    }
    std::env::var_os("NO_COLOR").is_none()
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        && std::io::stderr().is_terminal()
}

/// Writes to stdout. A closed pipe (`| head`) ends the output quietly;
/// any other failure (a full disk) is an error, exit 2.
fn out(text: &str) -> Result<(), ExitCode> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(render::terminal_safe(text).as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// Prints the session's diagnostics from `from` on (repeats of one code in
/// one file summarised after 10) and returns how many there are now.
fn print_diagnostics<S: trialc::source::Sources>(session: &Session<S>, from: usize) -> usize {
    let all = session.diagnostics();
    let mut renderer = Renderer::new(session.files(), use_color());
    let mut stderr = std::io::stderr().lock();
    for shown in render::summarise(all.get(from..).unwrap_or_default(), 10) {
        let text = match shown {
            Shown::One(d) => renderer.human(d),
            Shown::More { code, file, count } => {
                render::more_line(session.files(), code, file, count)
            }
        };
        let _ = stderr.write_all(text.as_bytes());
    }
    all.len()
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// What a failed stage means for the user, after its diagnostics are printed.
fn stopped<S: trialc::source::Sources>(session: &Session<S>, spec: &str, stop: Stop) -> ExitCode {
    match stop {
        Stop::Invalid => {
            let (errors, _) = session.counts();
            eprintln!(
                "{}: {}; fix them first (`trialc check {spec}`)",
                render::inline(spec),
                plural(errors, "error")
            );
            ExitCode::from(1)
        }
        Stop::Unusable(p) => {
            eprintln!("error: {}\nhelp: {}", render::inline(&p.message), p.help);
            ExitCode::from(2)
        }
    }
}

/// Opens and checks a spec, printing its diagnostics.
fn checked(session: &mut Session<FsSources>, path: &Path) -> Result<Checked, ExitCode> {
    let name = path.display().to_string();
    let result = session.open(&name).and_then(|file| session.check(file));
    print_diagnostics(session, 0);
    result.map_err(|stop| stopped(session, &name, stop))
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
            DiagnosticFormat::Json => {
                let mut renderer = Renderer::new(session.files(), false);
                json_files.push(serde_json::json!({
                    "file": name,
                    "errors": errors,
                    "warnings": warnings,
                    "diagnostics": session.diagnostics().iter().map(|d| renderer.json(d)).collect::<Vec<_>>(),
                }));
            }
        }
    }
    if let DiagnosticFormat::Json = format {
        let document = serde_json::json!({ "format": "trialc-diagnostics/1", "files": json_files });
        if let Err(code) = out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&document).unwrap_or_default()
        )) {
            return code;
        }
    }
    match (unusable, failed) {
        (true, _) => ExitCode::from(2),
        (_, true) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

fn schedule_command(
    session: &mut Session<FsSources>,
    path: &Path,
    format: ScheduleFormat,
    blinded: bool,
    unblinded: bool,
    key: bool,
) -> ExitCode {
    let built = match checked(session, path) {
        Ok(c) => c.schedule,
        Err(code) => return code,
    };
    if key {
        return out(&schedule::render::blinding_key(&built))
            .err()
            .unwrap_or(ExitCode::SUCCESS);
    }
    // A participant's calendar of a blinded trial is blinded unless asked.
    let blind_calendar =
        matches!(format, ScheduleFormat::Ics) && built.blinding != schedule::Blinding::Open;
    let view = if blinded || (blind_calendar && !unblinded) {
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
    out(&text).err().unwrap_or(ExitCode::SUCCESS)
}

fn run(session: &mut Session<FsSources>, args: &RunArgs) -> ExitCode {
    if args.chains == 0 || args.draws == 0 || args.threads == Some(0) {
        eprintln!("error: `--chains`, `--draws` and `--threads` must be at least 1");
        return ExitCode::from(2);
    }
    let laplace = args.method == FitMethod::Laplace;
    let settings = RunSettings {
        chains: if laplace { 1 } else { args.chains },
        warmup: if laplace { 0 } else { args.warmup },
        draws: args.draws,
        seed: args.seed,
        method: if laplace {
            Method::Laplace
        } else {
            Method::Nuts
        },
        init: match (laplace, args.init) {
            (true, _) => Init::None,
            (false, InitMethod::Random) => Init::Random,
            (false, InitMethod::Map) => Init::Map,
        },
        adapt: match args.adapt {
            AdaptMethod::Stan => Adapt::Stan,
            AdaptMethod::Nutpie => Adapt::Nutpie,
        },
        ..RunSettings::default()
    };
    let options = FitOptions {
        settings,
        threads: args.threads,
    };
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
    let mut printed = print_diagnostics(session, 0);
    // What can go wrong with the outputs is found before the fit.
    let inputs: Vec<PathBuf> = session
        .files()
        .iter()
        .map(|(_, f)| PathBuf::from(&f.name))
        .collect();
    if let Some(file) = &args.export_evidence {
        if inputs.iter().any(|i| trialc::io::same_file(i, file)) {
            eprintln!("error: `{}` is an input of this run; trialc never overwrites its inputs\nhelp: export the evidence to a new file", file.display());
            return ExitCode::from(2);
        }
    }
    let out_dir = match args.out.as_deref().map(OutDir::check).transpose() {
        Ok(dir) => dir,
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
    printed = print_diagnostics(session, printed);
    let (fits, analysed) = match result {
        Ok(done) => done,
        Err(stop) => return stopped(session, &name, stop),
    };
    let _ = printed;
    if let Some(file) = &args.export_evidence {
        let exported = trialc::evidence::to_json(&session.export_evidence(&prepared, &fits));
        if let Err(e) = trialc::io::write_atomic(file, exported.as_bytes()) {
            eprintln!(
                "error: cannot write the evidence file `{}`: {e}",
                file.display()
            );
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
    if let (Some(dir), Some(path)) = (out_dir, &args.out) {
        let c = &prepared.checked;
        let files = report::outputs(
            &analysed.report,
            &c.spec,
            &c.schedule,
            &prepared.diary,
            &fits,
        );
        match dir.write(&files) {
            Ok(written) if progress.enabled => eprintln!(
                "wrote {} to {}",
                plural(written.len(), "file"),
                path.display()
            ),
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: cannot write outputs to `{}`: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    if report::has_convergence_problems(&analysed.report) {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

fn fmt(files: &[PathBuf], check_only: bool) -> ExitCode {
    if files.is_empty() {
        eprintln!("error: no file given\nhelp: trialc fmt spec.trial (or `-` for stdin)");
        return ExitCode::from(2);
    }
    let mut worst = 0u8;
    for path in files {
        let name = path.display().to_string();
        let stdin = name == "-";
        let text = if stdin {
            trialc::io::read_stdin()
        } else {
            std::fs::read_to_string(path)
        };
        let text = match text {
            Ok(text) => text,
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", render::inline(&name));
                worst = worst.max(2);
                continue;
            }
        };
        if markdown::is_markdown(&name) {
            eprintln!(
                "error: `{}`: trialc fmt formats `.trial` files, not Markdown documents",
                render::inline(&name)
            );
            worst = worst.max(2);
            continue;
        }
        let formatted = match trialc::format::format(&text) {
            Ok(formatted) => formatted,
            Err(diagnostics) => {
                let mut stderr = std::io::stderr().lock();
                for d in &diagnostics {
                    let _ =
                        stderr.write_all(render::human(d, &name, &text, use_color()).as_bytes());
                }
                eprintln!(
                    "{}: not formatted, it has syntax errors",
                    render::inline(&name)
                );
                worst = worst.max(1);
                continue;
            }
        };
        if stdin && !check_only {
            if let Err(code) = out(&formatted) {
                return code;
            }
        } else if formatted != text {
            if check_only {
                eprintln!(
                    "{}: not formatted (run `trialc fmt {}`)",
                    render::inline(&name),
                    render::inline(&name)
                );
                worst = worst.max(1);
            } else if let Err(e) = trialc::io::write_atomic(path, formatted.as_bytes()) {
                eprintln!("error: cannot write `{}`: {e}", render::inline(&name));
                worst = worst.max(2);
            }
        }
    }
    ExitCode::from(worst)
}

fn init(from: &Path, top: usize, outcome: Option<&str>, output: Option<&Path>) -> ExitCode {
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
    let mut stderr = std::io::stderr().lock();
    for d in &diagnostics {
        let _ = stderr.write_all(render::human(d, &name, &text, use_color()).as_bytes());
    }
    let Some(file) = file else {
        return ExitCode::from(1);
    };
    // The spec names the file relative to its own folder.
    let path = match output.and_then(|o| o.parent()) {
        Some(dir) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            match (dir.canonicalize(), from.canonicalize()) {
                (Ok(d), Ok(f)) => f.strip_prefix(&d).map(Path::to_path_buf).unwrap_or(f),
                _ => from.to_path_buf(),
            }
        }
        None => from.to_path_buf(),
    };
    let path = path.display().to_string().replace('\\', "/");
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
        None => out(&spec).err().unwrap_or(ExitCode::SUCCESS),
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
        Some(page) => out(page).err().unwrap_or(ExitCode::SUCCESS),
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

fn debug(
    session: &mut Session<FsSources>,
    stage: Stage,
    path: &Path,
    format: DebugFormat,
) -> ExitCode {
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
                let result = session.prepare(c, DiarySource::Spec);
                print_diagnostics(session, 0);
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
    out(&text).err().unwrap_or(ExitCode::SUCCESS)
}

/// A one-line progress bar on stderr, only when stderr is a terminal: one
/// step per fitted outcome. Silent otherwise, so logs and pipes stay clean.
struct Bar {
    enabled: bool,
    state: std::sync::Mutex<(String, usize, usize)>,
}

impl Bar {
    fn new(enabled: bool) -> Self {
        Bar {
            enabled,
            state: std::sync::Mutex::new((String::new(), 0, 0)),
        }
    }

    fn draw(&self, phase: &str, done: usize, total: usize, last: &str) {
        const WIDTH: usize = 24;
        let filled = (done * WIDTH)
            .checked_div(total)
            .unwrap_or(WIDTH)
            .min(WIDTH);
        let bar = "#".repeat(filled) + &"-".repeat(WIDTH - filled);
        let last = if last.is_empty() {
            String::new()
        } else {
            format!(" ({} done)", render::inline(last))
        };
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\r\x1b[2K{phase} [{bar}] {done}/{total} outcomes{last}"
        );
        let _ = stderr.flush();
    }
}

impl Progress for Bar {
    fn start(&self, phase: &str, total: usize) {
        if let Ok(mut s) = self.state.lock() {
            *s = (phase.to_string(), 0, total);
        }
        if self.enabled {
            self.draw(phase, 0, total, "");
        }
    }

    fn finished(&self, name: &str) {
        let Ok(mut s) = self.state.lock() else { return };
        s.1 += 1;
        if self.enabled {
            self.draw(&s.0, s.1, s.2, name);
        }
    }

    fn end(&self) {
        if self.enabled {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}
