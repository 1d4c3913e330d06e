//! The command line's grammar (clap): commands, arguments and their help.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use trialc::driver::FitOptions;
use trialc::report::{Adapt, RunSettings};
use trialc_runtime::posterior::{Init, Method};

#[derive(Parser)]
#[command(
    name = "trialc",
    version,
    about = "Compiler and runtime for personalized (N-of-1) clinical trials"
)]
pub struct Cli {
    /// Let a spec name files outside its own folder (`data`, `hypotheses`).
    #[arg(long, global = true)]
    pub allow_outside: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check a spec (`.trial`, or the ```trial blocks of a Markdown protocol).
    Check {
        files: Vec<PathBuf>,
        /// How diagnostics are written.
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
    },
    /// Print the randomized schedule.
    Schedule(ScheduleArgs),
    /// Fit the spec's models to the participant's diary and report the decision.
    Run(RunArgs),
    /// Scaffold a spec that tests an LFM's top hypotheses (docs/hypotheses.md).
    Init(InitArgs),
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
    Debug(DebugArgs),
    /// Simulate the design: how often each rule fires under scenarios,
    /// stopping, duration, bias and coverage (docs/simulate.md).
    Simulate(super::simulate::SimulateArgs),
}

#[derive(clap::Args)]
pub struct RunArgs {
    pub file: PathBuf,
    /// The diary CSV (default: the spec's `data "…"`, relative to the spec).
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long, default_value_t = 4)]
    pub chains: usize,
    #[arg(long, default_value_t = 1000)]
    pub warmup: usize,
    #[arg(long, default_value_t = 1000)]
    pub draws: usize,
    /// Sampler seed; the same inputs and seed give byte-identical outputs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// `text` for people, `json` for programs (schema: docs/report.md).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Also write report.json, CmdStan CSV draws and SVG plots into this
    /// folder: a new or empty one, or one an earlier run wrote (its files are replaced).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write each effect's posterior as a `trialc-hypotheses/1` file
    /// (docs/hypotheses.md), to be the next trial's prior. Never an input file.
    #[arg(long, value_name = "FILE")]
    pub export_evidence: Option<PathBuf>,
    /// `nuts` (MCMC), or `laplace`: a fast Gaussian approximation at the
    /// posterior mode with `--draws` iid draws (confirm decisions with NUTS).
    #[arg(long, value_enum, default_value_t = FitMethod::Nuts)]
    pub method: FitMethod,
    /// Where NUTS chains start: `random` (Stan's uniform(-2, 2)) or `map`
    /// (each chain at its own draw from the Laplace approximation at the mode).
    #[arg(long, value_enum, default_value_t = InitMethod::Random)]
    pub init: InitMethod,
    /// NUTS variant: `stan` (Stan's windowed warmup and U-turn criterion,
    /// the model contract) or `nutpie` (nutpie's warmup and the
    /// displacement U-turn: about 1.4x fewer gradients per effective draw).
    #[arg(long, value_enum, default_value_t = AdaptMethod::Stan)]
    pub adapt: AdaptMethod,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum DiagnosticFormat {
    Human,
    Json,
}
#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum FitMethod {
    Nuts,
    Laplace,
}
#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum InitMethod {
    Random,
    Map,
}
#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum AdaptMethod {
    Stan,
    Nutpie,
}
#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}
#[derive(Clone, Copy, ValueEnum)]
pub enum ScheduleFormat {
    Table,
    Csv,
    Json,
    Ics,
}
#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum DebugFormat {
    Text,
    Json,
}
#[derive(Clone, Copy, ValueEnum)]
pub enum Stage {
    Ast,
    Hir,
    Schedule,
    /// The model IR per outcome (needs the diary).
    Mir,
}

impl RunArgs {
    /// The sampler settings and threads these arguments ask for.
    pub fn fit_options(&self) -> FitOptions {
        let laplace = self.method == FitMethod::Laplace;
        let settings = RunSettings {
            chains: if laplace { 1 } else { self.chains },
            warmup: if laplace { 0 } else { self.warmup },
            draws: self.draws,
            seed: self.seed,
            method: if laplace {
                Method::Laplace
            } else {
                Method::Nuts
            },
            init: match (laplace, self.init) {
                (true, _) => Init::None,
                (false, InitMethod::Random) => Init::Random,
                (false, InitMethod::Map) => Init::Map,
            },
            adapt: match self.adapt {
                AdaptMethod::Stan => Adapt::Stan,
                AdaptMethod::Nutpie => Adapt::Nutpie,
            },
            ..RunSettings::default()
        };
        FitOptions {
            settings,
            threads: self.threads,
        }
    }
}

#[derive(clap::Args)]
pub struct ScheduleArgs {
    pub file: PathBuf,
    #[arg(long, value_enum, default_value_t = ScheduleFormat::Table)]
    pub format: ScheduleFormat,
    /// Code the arms as "Treatment 1", "Treatment 2", … (the key is printed by --key).
    /// The default for `--format ics` of a blinded trial.
    #[arg(long, conflicts_with_all = ["key", "unblinded"])]
    pub blinded: bool,
    /// Arm names even in the calendar of a blinded trial.
    #[arg(long)]
    pub unblinded: bool,
    /// Print only the blinding key: which code is which arm.
    #[arg(long)]
    pub key: bool,
}

#[derive(clap::Args)]
pub struct InitArgs {
    /// The hypotheses file (`trialc-hypotheses/1`).
    #[arg(long)]
    pub from: PathBuf,
    /// How many hypotheses to test, best rank first.
    #[arg(long, default_value_t = 1)]
    pub top: usize,
    /// Only hypotheses about this outcome.
    #[arg(long)]
    pub outcome: Option<String>,
    /// Write the spec here instead of stdout (not overwritten if it exists).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct DebugArgs {
    #[arg(value_enum)]
    pub stage: Stage,
    pub file: PathBuf,
    /// `mir` only: `json` is the lowered model as the Stan comparison reads it.
    #[arg(long, value_enum, default_value_t = DebugFormat::Text)]
    pub format: DebugFormat,
}
