//! The `trialc` command line: the only place that touches files, the terminal and the environment.
//!
//! Exit codes: 0 success, 1 the spec or its data have errors (or `fmt
//! --check` found unformatted files), 2 usage or input/output problems, 3 the
//! fit finished but did not converge well enough to trust (see the warnings).

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use trialc::diagnostic::{self, Diagnostic};
use trialc::{codes, data, hir, hypotheses, lower, markdown, render, report, schedule, syntax};
use trialc_runtime::nuts::NutsConfig;
use trialc_runtime::posterior::{self, Posterior};

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
    /// Fit the spec's models to the participant's diary and report the decision.
    Run {
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
        /// Also write report.json, CmdStan CSV draws and SVG plots here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write each effect's posterior as a `trialc-hypotheses/1` file
        /// (docs/hypotheses.md), to be the next trial's prior.
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
    },
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
    match cli.command {
        Command::Check { files, format } => check(&files, format),
        Command::Schedule {
            file,
            format,
            blinded,
            key,
        } => schedule_command(&file, format, blinded, key),
        Command::Run {
            file,
            data,
            chains,
            warmup,
            draws,
            seed,
            threads,
            format,
            out,
            export_evidence,
            method,
            init,
            adapt,
        } => {
            let laplace = method == FitMethod::Laplace;
            let settings = report::RunSettings {
                chains: if laplace { 1 } else { chains },
                warmup: if laplace { 0 } else { warmup },
                draws,
                seed,
                method: if laplace {
                    posterior::Method::Laplace
                } else {
                    posterior::Method::Nuts
                },
                init: match (laplace, init) {
                    (true, _) => posterior::Init::None,
                    (false, InitMethod::Random) => posterior::Init::Random,
                    (false, InitMethod::Map) => posterior::Init::Map,
                },
                adapt: match adapt {
                    AdaptMethod::Stan => report::Adapt::Stan,
                    AdaptMethod::Nutpie => report::Adapt::Nutpie,
                },
                ..report::RunSettings::default()
            };
            run(
                &file,
                data.as_deref(),
                &settings,
                threads,
                format,
                out.as_deref(),
                export_evidence.as_deref(),
            )
        }
        Command::Init {
            from,
            top,
            outcome,
            output,
        } => init(&from, top, outcome.as_deref(), output.as_deref()),
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
        let (_, spec, mut diagnostics) = compile(&input);
        let loaded = spec
            .as_ref()
            .map(|spec| load_hypotheses(path, &input, spec))
            .unwrap_or_default();
        diagnostics.extend(loaded.spec_diagnostics.iter().cloned());
        diagnostic::sort(&mut diagnostics);
        let in_files = loaded.files.iter().flat_map(|f| &f.diagnostics);
        let (file_errors, file_warnings) = summary(&in_files.cloned().collect::<Vec<_>>());
        let (errors, warnings) = summary(&diagnostics);
        let (errors, warnings) = (errors + file_errors, warnings + file_warnings);
        failed |= errors > 0;
        match format {
            DiagnosticFormat::Human => {
                print_human(&input, &diagnostics);
                for f in &loaded.files {
                    print_for_file(&f.name, &f.text, &f.diagnostics);
                }
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
                "diagnostics": diagnostics.iter().map(|d| render::json_value(d, &input.name, &input.text))
                    .chain(loaded.files.iter().flat_map(|f| f.diagnostics.iter().map(|d| render::json_value(d, &f.name, &f.text))))
                    .collect::<Vec<_>>(),
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

fn init(from: &Path, top: usize, outcome: Option<&str>, output: Option<&Path>) -> ExitCode {
    let name = from.display().to_string();
    let text = match std::fs::read_to_string(from) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read the hypotheses file `{name}`: {e}");
            return ExitCode::from(2);
        }
    };
    let (file, diagnostics) = hypotheses::read(&text);
    print_for_file(&name, &text, &diagnostics);
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
        None => {
            print!("{spec}");
            ExitCode::SUCCESS
        }
        Some(o) if o.exists() => {
            eprintln!(
                "error: `{}` exists; trialc init does not overwrite files",
                o.display()
            );
            ExitCode::from(2)
        }
        Some(o) => match std::fs::write(o, spec) {
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
        Stage::Mir => match prepare(path, None) {
            Ok(prepared) => {
                print!("{}", lower::dump(&prepared.lowered, &prepared.spec));
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

/// Everything `run` needs before sampling: the checked spec, its schedule, the
/// diary and one lowered model per outcome.
struct Prepared {
    hypothesis_files: HypothesisFiles,
    spec_input: Input,
    spec: hir::Spec,
    schedule: schedule::Schedule,
    diary: data::Diary,
    lowered: Vec<lower::LoweredOutcome>,
}

/// Print diagnostics found in another file (diary, hypotheses) against that file.
fn print_for_file(name: &str, text: &str, diagnostics: &[Diagnostic]) {
    let color = use_color();
    let mut stderr = std::io::stderr().lock();
    for d in diagnostics {
        let _ = stderr.write_all(render::human(d, name, text, color).as_bytes());
    }
}

/// A file named in the spec, relative to the spec's folder.
fn beside(spec_path: &Path, relative: &str) -> PathBuf {
    let relative = Path::new(relative);
    if relative.is_absolute() {
        return relative.to_path_buf();
    }
    spec_path.parent().unwrap_or(Path::new(".")).join(relative)
}

/// The hypotheses files the spec names, by source name, in spec order.
type HypothesisFiles = Vec<(String, hypotheses::HypothesesFile)>;

/// Reads every hypotheses file the spec names and checks the spec's use of
/// them (E0801–E0811, W0808); nothing is printed. The spec's diagnostics
/// are in `spec_diagnostics`, each file's with the file.
fn load_hypotheses(spec_path: &Path, spec_input: &Input, spec: &hir::Spec) -> hypotheses::Loaded {
    hypotheses::load(spec, &spec_input.name, &spec_input.text, &mut |relative| {
        let path = beside(spec_path, relative);
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string());
        (path.display().to_string(), text)
    })
}

fn prepare(path: &Path, data_override: Option<&Path>) -> Result<Prepared, ExitCode> {
    let spec_input = read_input(path)?;
    let (_, spec, mut diagnostics) = compile(&spec_input);
    let loaded = spec
        .as_ref()
        .map(|spec| load_hypotheses(path, &spec_input, spec));
    if let Some(loaded) = &loaded {
        diagnostics.extend(loaded.spec_diagnostics.iter().cloned());
        diagnostic::sort(&mut diagnostics);
    }
    print_human(&spec_input, &diagnostics);
    let in_files: Vec<Diagnostic> = loaded
        .iter()
        .flat_map(|l| &l.files)
        .flat_map(|f| {
            print_for_file(&f.name, &f.text, &f.diagnostics);
            f.diagnostics.iter().cloned()
        })
        .collect();
    let spec = spec.filter(|_| !loaded.as_ref().is_some_and(hypotheses::Loaded::has_errors));
    let Some(spec) = spec else {
        let (errors, _) = summary(&diagnostics);
        let errors = errors + summary(&in_files).0;
        eprintln!(
            "{}: {}; fix them first (`trialc check {}`)",
            spec_input.name,
            plural(errors, "error"),
            spec_input.name
        );
        return Err(ExitCode::from(1));
    };
    let built = schedule::build(&spec.schedule_spec()).map_err(|e| {
        eprintln!("error: {}: {e}", path.display());
        ExitCode::from(1)
    })?;
    let diary_path = match (data_override, &spec.data) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(data)) => beside(path, &data.value),
        (None, None) => {
            eprintln!("error: no diary for `{}`", spec_input.name);
            eprintln!("help: name it in the spec (`data \"diary.csv\"`) or pass `--data FILE`");
            return Err(ExitCode::from(2));
        }
    };
    let diary_name = diary_path.display().to_string();
    let diary_text = std::fs::read_to_string(&diary_path).map_err(|e| {
        eprintln!("error: cannot read the diary `{diary_name}`: {e}");
        eprintln!("help: the spec's `data` path is relative to the spec's folder; `--data FILE` overrides it");
        ExitCode::from(2)
    })?;
    let (diary, diagnostics) = data::read_diary(&diary_text, &spec, &built);
    print_for_file(&diary_name, &diary_text, &diagnostics);
    let Some(diary) = diary else {
        let (errors, _) = summary(&diagnostics);
        eprintln!(
            "{diary_name}: {}; nothing was analysed",
            plural(errors, "error")
        );
        return Err(ExitCode::from(1));
    };
    let hypothesis_files = loaded.map(|l| l.usable()).unwrap_or_default();
    let lowered = match lower::lower(
        &spec,
        &built,
        &diary,
        &hypotheses::effects(&hypothesis_files),
    ) {
        Ok(lowered) => lowered,
        Err(diagnostics) => {
            print_human(&spec_input, &diagnostics);
            return Err(ExitCode::from(1));
        }
    };
    Ok(Prepared {
        hypothesis_files,
        spec_input,
        spec,
        schedule: built,
        diary,
        lowered,
    })
}

fn run(
    path: &Path,
    data_override: Option<&Path>,
    settings: &report::RunSettings,
    threads: Option<usize>,
    format: ReportFormat,
    out: Option<&Path>,
    export_evidence: Option<&Path>,
) -> ExitCode {
    if settings.chains == 0 || settings.draws == 0 {
        eprintln!("error: `--chains` and `--draws` must be at least 1");
        return ExitCode::from(2);
    }
    let prepared = match prepare(path, data_override) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n.max(1));
    }
    let pool = match builder.build() {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("error: cannot start worker threads: {e}");
            return ExitCode::from(2);
        }
    };
    let progress = Progress::new(std::io::stderr().is_terminal(), prepared.lowered.len());
    let results: Vec<Result<Posterior, String>> = pool.install(|| {
        use rayon::prelude::*;
        prepared
            .lowered
            .par_iter()
            .map(|l| {
                let config = settings.nuts_config(report::outcome_seed(settings.seed, l.outcome));
                let result = fit_outcome(l.model.clone(), &config, settings);
                progress.finished(&prepared.spec.outcomes[l.outcome].name);
                result
            })
            .collect()
    });
    progress.clear();
    let mut fits = Vec::new();
    let mut failed = false;
    for (lowered, result) in prepared.lowered.iter().zip(results) {
        match result {
            Ok(post) => fits.push((lowered.clone(), post)),
            Err(message) => {
                failed = true;
                let name = &prepared.spec.outcomes[lowered.outcome].name;
                let d = Diagnostic::error(codes::E0910, format!("the model of `{name}` could not be fitted: {message}"))
                    .with_primary(prepared.spec.outcomes[lowered.outcome].span, "this outcome")
                    .with_help("check the priors and the data of this outcome; `trialc debug mir` shows the model");
                print_human(&prepared.spec_input, &[d]);
            }
        }
    }
    if failed {
        return ExitCode::from(1);
    }
    let sources: Vec<(&str, &hypotheses::HypothesesFile)> = prepared
        .hypothesis_files
        .iter()
        .map(|(name, file)| (name.as_str(), file))
        .collect();
    let mut built = report::build(
        &prepared.spec,
        &prepared.schedule,
        &prepared.diary,
        &fits,
        settings,
    )
    .with_hypotheses(&prepared.spec, &sources);
    match fit_sceptical(&prepared, &fits, settings, &pool) {
        Ok(Some(sceptical)) => {
            let sensitivity = trialc::evidence::compare(
                &prepared.spec,
                &fits,
                &sceptical,
                built.data.periods_complete,
            );
            print_human(
                &prepared.spec_input,
                &trialc::evidence::warnings(&prepared.spec, &sensitivity),
            );
            built.sensitivity = Some(sensitivity);
        }
        Ok(None) => {}
        Err(d) => {
            print_human(&prepared.spec_input, &d);
            return ExitCode::from(1);
        }
    }
    if let Some(file) = export_evidence {
        let participant = sources.iter().find_map(|(_, f)| f.participant.as_deref());
        let exported = trialc::evidence::export(
            &prepared.spec,
            &prepared.spec_input.text,
            &prepared.schedule,
            &prepared.diary,
            &fits,
            participant,
        );
        if let Err(e) = std::fs::write(file, trialc::evidence::to_json(&exported)) {
            eprintln!(
                "error: cannot write the evidence file `{}`: {e}",
                file.display()
            );
            return ExitCode::from(2);
        }
    }
    print_human(&prepared.spec_input, &built.diagnostics);
    match format {
        ReportFormat::Text => print!("{}", report::text(&built)),
        ReportFormat::Json => print!("{}", report::json(&built)),
    }
    if let Some(dir) = out {
        match report::write_outputs(
            dir,
            &built,
            &prepared.spec,
            &prepared.schedule,
            &prepared.diary,
            &fits,
        ) {
            Ok(files) => {
                if progress.enabled {
                    eprintln!("wrote {} to {}", plural(files.len(), "file"), dir.display());
                }
            }
            Err(e) => {
                eprintln!("error: cannot write outputs to `{}`: {e}", dir.display());
                return ExitCode::from(2);
            }
        }
    }
    if report::has_convergence_problems(&built) {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// One outcome's fit as `--method` and `--init` ask: NUTS from random inits
/// (`fit`), NUTS from draws at the mode, or the Laplace approximation with
/// `settings.draws` iid draws seeded like the sampler would be.
fn fit_outcome(
    model: trialc_runtime::mir::Model,
    config: &NutsConfig,
    settings: &report::RunSettings,
) -> Result<Posterior, String> {
    use trialc_runtime::optimize::OptimizeConfig;
    let result = match (settings.method, settings.init) {
        (posterior::Method::Laplace, _) => posterior::fit_laplace(
            model,
            &OptimizeConfig::default(),
            config.num_draws,
            config.seed,
        ),
        (posterior::Method::Nuts, posterior::Init::Map) => {
            posterior::fit_from_mode(model, config, &OptimizeConfig::default())
        }
        _ => posterior::fit(model, config),
    };
    result.map_err(|e| e.to_string())
}

/// The sensitivity refit: every outcome whose model has a prior from an LFM
/// hypothesis and that a decision rule reads, fitted again with that prior
/// replaced by its vague component (same settings, a derived seed); other
/// outcomes reuse their fit. `None` when no decision rule reads an outcome
/// with a prior from a hypothesis.
fn fit_sceptical(
    prepared: &Prepared,
    fits: &[(lower::LoweredOutcome, Posterior)],
    settings: &report::RunSettings,
    pool: &rayon::ThreadPool,
) -> Result<Option<Vec<(lower::LoweredOutcome, Posterior)>>, Vec<Diagnostic>> {
    use trialc::evidence;
    // No rule reads an outcome with an LFM prior: the rules cannot depend on
    // those priors, and there is nothing to compare.
    if !fits
        .iter()
        .any(|(f, _)| evidence::needs_refit(&prepared.spec, f))
    {
        return Ok(None);
    }
    let Some(spec) = evidence::sceptical_spec(&prepared.spec, &prepared.lowered) else {
        return Ok(None);
    };
    let lowered = lower::lower(
        &spec,
        &prepared.schedule,
        &prepared.diary,
        &lower::NoHypotheses,
    )?;
    let refit: Vec<Result<Option<(lower::LoweredOutcome, Posterior)>, String>> =
        pool.install(|| {
            use rayon::prelude::*;
            lowered
                .par_iter()
                .map(|l| {
                    let uses = fits.iter().any(|(f, _)| {
                        f.outcome == l.outcome && evidence::needs_refit(&prepared.spec, f)
                    });
                    if !uses {
                        return Ok(None);
                    }
                    let config =
                        settings.nuts_config(evidence::sceptical_seed(settings.seed, l.outcome));
                    fit_outcome(l.model.clone(), &config, settings)
                        .map(|post| Some((l.clone(), post)))
                })
                .collect()
        });
    let mut out = Vec::new();
    for ((lowered, post), result) in fits.iter().zip(refit) {
        match result {
            Ok(Some(fit)) => out.push(fit),
            Ok(None) => out.push((lowered.clone(), post.clone())),
            Err(message) => {
                let outcome = &prepared.spec.outcomes[lowered.outcome];
                return Err(vec![Diagnostic::error(
                    codes::E0910,
                    format!("the sceptical sensitivity model of `{}` could not be fitted: {message}", outcome.name),
                )
                .with_primary(outcome.span, "this outcome")
                .with_help("the sensitivity analysis replaces each LFM prior by its vague component; check that component")]);
            }
        }
    }
    Ok(Some(out))
}

/// A one-line progress bar on stderr, only when stderr is a terminal: one
/// step per fitted outcome. Silent otherwise, so logs and pipes stay clean.
struct Progress {
    enabled: bool,
    total: usize,
    done: std::sync::atomic::AtomicUsize,
}

impl Progress {
    fn new(enabled: bool, total: usize) -> Self {
        let progress = Progress {
            enabled,
            total,
            done: std::sync::atomic::AtomicUsize::new(0),
        };
        progress.draw(0, "");
        progress
    }

    fn draw(&self, done: usize, last: &str) {
        if !self.enabled {
            return;
        }
        const WIDTH: usize = 24;
        let filled = (done * WIDTH).checked_div(self.total).unwrap_or(WIDTH);
        let bar: String = "#".repeat(filled) + &"-".repeat(WIDTH - filled);
        let last = if last.is_empty() {
            String::new()
        } else {
            format!(" ({last} done)")
        };
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\r\x1b[2Kfitting [{bar}] {done}/{} outcomes{last}",
            self.total
        );
        let _ = stderr.flush();
    }

    fn finished(&self, outcome: &str) {
        let done = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        self.draw(done, outcome);
    }

    fn clear(&self) {
        if self.enabled {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}
