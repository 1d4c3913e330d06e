//! The command line's grammar (clap): commands, arguments and their help.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use trialc::analysis::loo::{parse_request, Request};
use trialc::driver::FitOptions;
use trialc::report::{Adapt, RunSettings};
use trialc_runtime::posterior::{Init, Method};

#[derive(Parser)]
#[command(
    name = "trialc",
    version,
    about = "Compiler and runtime for personalized (N-of-1) clinical trials",
    after_help = "Examples:
  trialc check examples/magnesium-migraine/magnesium-migraine.trial
  trialc run examples/magnesium-migraine/magnesium-migraine.trial --out results/

Exit codes: 0 success, 1 errors in the spec, 2 the command could not run, 3 convergence warnings (`run`).
`trialc explain CODE` explains a diagnostic code."
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
    #[command(after_help = concat!("Example:\n  trialc check spec.trial protocol.md\n\nDiagnostics go to stderr, the result line (`spec.trial: ok (0 warnings)`) to stdout.\n\n", "Exit codes: 0 no errors, 1 errors, 2 a file could not be read."))]
    Check {
        /// The specs to check: `.trial` files, or Markdown protocols whose
        /// ```trial blocks are checked.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// How diagnostics are written.
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
        /// Print only errors and warnings, not the result line of each file.
        #[arg(short, long)]
        quiet: bool,
        /// Also check the spec as a protocol: every SPIRIT/SPENT item it
        /// does not address (W1101-W1105), listed in full.
        #[arg(long)]
        protocol: bool,
    },
    /// Render the trial protocol (SPIRIT/SPENT) as HTML, Markdown or PDF;
    /// `trialc protocol diff OLD NEW` describes an amendment.
    #[command(
        after_help = "Examples:\n  trialc protocol spec.trial -o protocol.html\n  trialc protocol spec.trial --format pdf -o protocol.pdf\n  trialc protocol diff v1.trial v2.trial\n\nThe seed and the allocation never appear in the document.\n\nExit codes: 0 written, 1 errors in the spec, 2 the command could not run."
    )]
    Protocol(ProtocolArgs),
    /// Print the randomized schedule; make the pharmacy's key (`--new-key`).
    #[command(
        after_help = "Examples:\n  trialc schedule spec.trial --new-key PHARMACY-SECRET.key\n  trialc schedule spec.trial --key PHARMACY-SECRET.key\n  trialc schedule spec.trial --blinded --format ics > trial.ics\n\nA spec that commits to a key (`seed commitment \"…\"`) needs the key file for every view\n(`--key FILE`, or `key \"…\"` after the commitment); the protocol never does.\n\nExit codes: 0 printed, 1 errors in the spec or a key that does not match, 2 the command could not run."
    )]
    Schedule(ScheduleArgs),
    /// Fit the spec's models to the participant's diary and report the decision.
    #[command(after_help = concat!("Examples:\n  trialc run spec.trial\n  trialc run spec.trial --data diary.csv --seed 7 --out results/\n  trialc run spec.trial --report html result.html\n  trialc run spec.trial --format json > report.json\n  trialc run spec.trial --compare-loo \"pain: errors independent\"\n\n", "Exit codes:\n  0  the report is written\n  1  the spec, the diary or a hypotheses file has errors\n  2  the command could not run (unreadable files, bad options)\n  3  the report is written, but the sampler raised convergence warnings"))]
    Run(RunArgs),
    /// Pool a series of N-of-1 trials: population effect, each person's shrunken effect, the next person's prior.
    #[command(after_help = concat!("Examples:\n  trialc pool series.trial --diaries diaries/ --out pooled/\n  trialc pool series.trial --manifest manifest.csv --shared sigma --export-prior next.json\n  trialc pool series.trial --evidence evidence/   # pool exported posteriors, no diary\n\n", "Exit codes:\n  0  the report is written\n  1  the spec has errors, participants were excluded for errors (the others are pooled and reported), or the series cannot be pooled as asked (too few participants, a `--shared` name that cannot be shared)\n  2  the command could not run (unreadable files, bad options)\n  3  the report is written, but the sampler raised convergence warnings"))]
    Pool(super::pool::PoolArgs),
    /// Scaffold a spec that tests an LFM's top hypotheses (docs/hypotheses.md).
    #[command(
        after_help = "Example:\n  trialc init --from hypotheses/p0042.json --top 2 -o spec.trial\n\nExit codes: 0 written, 1 the hypotheses file has errors, 2 the command could not run."
    )]
    Init(InitArgs),
    /// Format specs in place (or check that they are formatted); `-` formats stdin to stdout.
    #[command(
        after_help = "Examples:\n  trialc fmt spec.trial\n  trialc fmt --check examples/*/*.trial\n  trialc fmt - < spec.trial\n\nExit codes: 0 formatted, 1 a file has syntax errors or (with --check) is not formatted, 2 a file could not be read or written."
    )]
    Fmt {
        /// The specs to format in place, or `-` for stdin to stdout.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Do not write; exit 1 if a file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Explain a diagnostic code, e.g. `trialc explain E0305`.
    #[command(
        after_help = "Example:\n  trialc explain E0305\n\nExit codes: 0 explained, 2 no such code."
    )]
    Explain {
        /// A code such as `E0305` or `W0601` (case does not matter).
        code: String,
    },
    /// Print a shell completion script, e.g. `trialc completions bash`.
    #[command(
        after_help = "Install (see README):\n  trialc completions bash > ~/.local/share/bash-completion/completions/trialc\n  trialc completions zsh > ~/.zfunc/_trialc\n  trialc completions fish > ~/.config/fish/completions/trialc.fish"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff): `trialc man` is trialc(1), `trialc man run` trialc-run(1).
    #[command(
        after_help = "Install (see README):\n  trialc man > ~/.local/share/man/man1/trialc.1\n  trialc man run > ~/.local/share/man/man1/trialc-run.1"
    )]
    Man {
        /// A command whose own page to print (default: trialc's).
        command: Option<String>,
    },
    /// Print an intermediate representation.
    #[command(
        after_help = "Examples:\n  trialc debug ast spec.trial\n  trialc debug mir spec.trial --format json\n\nExit codes: 0 printed, 1 errors in the spec, 2 the command could not run."
    )]
    Debug(DebugArgs),
    /// The language server (Language Server Protocol on stdin and stdout) for editors.
    #[command(
        after_help = "Editors start it themselves (README: VS Code, Neovim, Helix).\n\nExit codes: 0 after the client's shutdown and exit, 1 when the client exits without shutdown."
    )]
    Lsp,
    /// Make specs and diaries from another platform's study (docs/import-studyu.md).
    #[command(
        after_help = "Example:\n  trialc import studyu study_definition.json measurements.csv -o imported/\n\nExit codes: 0 written, 1 the study or its export has errors, 2 the command could not run."
    )]
    Import(ImportArgs),
    /// Simulate the design: how often each rule fires under scenarios,
    /// stopping, duration, bias and coverage (docs/simulate.md).
    #[command(
        after_help = "Examples:\n  trialc simulate spec.trial --replicates 1000\n  trialc simulate spec.trial --method laplace --sweep \"cycles [2, 3, 4]\"\n  trialc simulate spec.trial --shard 1/4 -o part1.json && trialc simulate merge part*.json\n\nExit codes: 0 simulated, 1 errors in the spec, 2 the command could not run."
    )]
    Simulate(super::simulate::SimulateArgs),
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// The spec to run (`.trial` or a Markdown protocol with a ```trial block).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The diary CSV (default: the spec's `data "…"`, relative to the spec).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Independent NUTS chains per outcome (R-hat needs at least 2).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub chains: u32,
    /// Warmup (adaptation) iterations per chain, not kept.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32))]
    pub warmup: u32,
    /// Draws kept per chain (the report uses chains x draws in all); with
    /// `--method laplace`, the number of independent draws.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub draws: u32,
    /// Sampler seed; the same inputs and seed give byte-identical outputs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads, at least 1 (default: all cores); results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub threads: Option<u32>,
    /// NUTS target acceptance rate (Stan's adapt delta), in (0, 1); raise it
    /// (0.95, 0.99) when the report warns of divergences.
    #[arg(long, default_value_t = 0.8, value_parser = probability)]
    pub adapt_delta: f64,
    /// NUTS maximum tree depth, 1 to 30 (Stan's max_depth); raise it when
    /// the report warns that trajectories hit it.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=30))]
    pub max_depth: u32,
    /// `text` for people, `json` for programs (schema: docs/report.md).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Also write report.json, CmdStan CSV draws (with log_lik and y_rep),
    /// arviz.json and SVG plots into this folder: a new or empty one, or
    /// one an earlier run wrote (its files are replaced).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The pharmacy's key file, for a spec that commits to one (default: the
    /// spec's `key "…"`); checked against the commitment before use.
    #[arg(long, value_name = "KEYFILE")]
    pub key: Option<PathBuf>,
    /// Also write the result document (CENT 2015) for the clinician:
    /// `--report html FILE` (one self-contained file), `--report pdf FILE`
    /// (the HTML printed by headless Chromium) or `--report markdown FILE`.
    #[arg(long, num_args = 2, value_names = ["FORMAT", "FILE"])]
    pub report: Option<Vec<String>>,
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
    /// Compare the spec's model of an outcome with an alternative by PSIS
    /// leave-one-out cross-validation: `OUTCOME: errors independent`,
    /// `errors ar1`, `no trend` or `no covariate COLUMN`. The alternative
    /// is fitted too (same settings, its own seed); may be repeated.
    #[arg(long, value_name = "OUTCOME: CHANGE", value_parser = loo_request)]
    pub compare_loo: Vec<Request>,
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
    /// The syntax tree with spans.
    Ast,
    /// The checked spec.
    Hir,
    /// The schedule the spec's seed draws.
    Schedule,
    /// The model IR per outcome (needs the diary).
    Mir,
}

impl RunArgs {
    /// The sampler settings and threads these arguments ask for.
    pub fn fit_options(&self) -> FitOptions {
        let laplace = self.method == FitMethod::Laplace;
        let settings = RunSettings {
            chains: if laplace { 1 } else { self.chains as usize },
            warmup: if laplace { 0 } else { self.warmup as usize },
            draws: self.draws as usize,
            seed: self.seed,
            max_depth: self.max_depth as usize,
            adapt_delta: self.adapt_delta,
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
        };
        FitOptions {
            settings,
            threads: self.threads.map(|t| t as usize),
        }
    }
}

#[derive(clap::Args)]
pub struct ScheduleArgs {
    /// The spec whose schedule to print.
    #[arg(value_name = "FILE", required_unless_present = "new_key")]
    pub file: Option<PathBuf>,
    /// `table` for people, `csv` and `json` for programs, `ics` for a calendar.
    #[arg(long, value_enum, default_value_t = ScheduleFormat::Table)]
    pub format: ScheduleFormat,
    /// Code the arms as "Treatment 1", "Treatment 2", … (which is which is
    /// printed by --codes). The default for `--format ics` of a blinded trial.
    #[arg(long, conflicts_with_all = ["codes", "unblinded"])]
    pub blinded: bool,
    /// Arm names even in the calendar of a blinded trial.
    #[arg(long)]
    pub unblinded: bool,
    /// Print only the blinding codes: which code is which arm, for the pharmacy.
    #[arg(long)]
    pub codes: bool,
    /// The pharmacy's key file, checked against the spec's `seed commitment`
    /// before anything is drawn from it (default: the spec's `key "…"`).
    #[arg(long, value_name = "KEYFILE")]
    pub key: Option<PathBuf>,
    /// Write a new key file (a random salt; the spec's plain seed, else a
    /// random one) and print the `seed commitment "…"` line for the spec.
    /// Never overwrites a file.
    #[arg(long, value_name = "KEYFILE", conflicts_with_all = ["key", "codes", "blinded", "unblinded"])]
    pub new_key: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct InitArgs {
    /// The hypotheses file (`trialc-hypotheses/1`).
    #[arg(long)]
    pub from: PathBuf,
    /// How many hypotheses to test, best rank first (at least 1).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub top: u32,
    /// Only hypotheses about this outcome.
    #[arg(long)]
    pub outcome: Option<String>,
    /// Write the spec here instead of stdout (not overwritten if it exists).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct DebugArgs {
    /// The stage to print.
    #[arg(value_enum)]
    pub stage: Stage,
    /// The spec.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// `mir` only: `json` is the lowered model as the Stan comparison reads it.
    #[arg(long, value_enum, default_value_t = DebugFormat::Text)]
    pub format: DebugFormat,
    /// `schedule`, `mir`: the pharmacy's key file, for a spec that commits to one.
    #[arg(long, value_name = "KEYFILE")]
    pub key: Option<PathBuf>,
    /// `mir` only: the diary CSV to lower with (default: the spec's
    /// `data "…"`, relative to the spec).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub from: ImportFrom,
}

#[derive(Subcommand)]
pub enum ImportFrom {
    /// A StudyU study: its definition and results export become one spec
    /// and one diary per participant.
    #[command(
        after_help = "Example:\n  trialc import studyu study_definition.json measurements.csv -o imported/\n\nExit codes: 0 written, 1 the study or its export has errors, 2 the command could not run."
    )]
    Studyu(StudyuArgs),
}

#[derive(clap::Args)]
pub struct StudyuArgs {
    /// The study definition: `study_definition.json` of StudyU's export.
    pub study: PathBuf,
    /// The results: `measurements.csv` of StudyU's export.
    pub results: PathBuf,
    /// The folder the specs and diaries are written to (created if needed).
    #[arg(short, long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Only this participant: an id, or the start of exactly one.
    #[arg(long)]
    pub participant: Option<String>,
    /// The outcome question, by id or prompt (default: the study report's
    /// primary outcome).
    #[arg(long, value_name = "QUESTION")]
    pub outcome: Option<String>,
    /// The reference arm, by intervention name or id (default: the
    /// participant's intervention listed first in the study).
    #[arg(long, value_name = "INTERVENTION")]
    pub reference: Option<String>,
    /// Replace spec and diary files that exist (never the inputs).
    #[arg(long)]
    pub force: bool,
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ProtocolArgs {
    #[command(subcommand)]
    pub command: Option<ProtocolCommand>,
    /// The spec (`.trial`, or a Markdown document with ```trial blocks).
    #[arg(required = true)]
    pub file: Option<PathBuf>,
    /// `html`: one self-contained file; `markdown`; `pdf`: the HTML printed
    /// by headless Chromium (needs `-o`).
    #[arg(long, value_enum, default_value_t = ProtocolFormat::Html)]
    pub format: ProtocolFormat,
    /// Write the document here instead of stdout (replaced if it exists).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum ProtocolCommand {
    /// An amendment in protocol terms: what changed from OLD to NEW (arms,
    /// periods, outcomes, priors, rules).
    #[command(
        after_help = "Example:\n  trialc protocol diff v1.trial v2.trial -o amendment.md\n\nExit codes: 0 written, 1 errors in a spec, 2 the command could not run."
    )]
    Diff {
        /// The protocol's spec before the amendment.
        old: PathBuf,
        /// The spec after it.
        new: PathBuf,
        /// `markdown` or `html`.
        #[arg(long, value_enum, default_value_t = ProtocolFormat::Markdown)]
        format: ProtocolFormat,
        /// Write the amendment here instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum ProtocolFormat {
    Html,
    Markdown,
    Pdf,
}

/// `OUTCOME: CHANGE` (`--compare-loo`).
fn loo_request(text: &str) -> Result<Request, String> {
    parse_request(text)
}

/// A probability strictly between 0 and 1 (`--adapt-delta`).
fn probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if p > 0.0 && p < 1.0 => Ok(p),
        Ok(_) => Err("must be strictly between 0 and 1, e.g. 0.95".into()),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every command, argument and option says what it is for, and every
    /// command's help ends with an example or the exit codes.
    #[test]
    fn every_argument_has_help() {
        let root = Cli::command();
        root.clone().debug_assert();
        let mut missing = Vec::new();
        let mut commands: Vec<clap::Command> = root.get_subcommands().cloned().collect();
        let nested: Vec<clap::Command> = commands
            .iter()
            .flat_map(|c| c.get_subcommands().cloned())
            .collect();
        commands.extend(nested);
        for command in &commands {
            if command.get_about().is_none() {
                missing.push(command.get_name().to_string());
            }
            if command.get_after_help().is_none() {
                missing.push(format!("{}: no examples or exit codes", command.get_name()));
            }
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() {
                    missing.push(format!("{} {id}", command.get_name()));
                }
            }
        }
        assert!(missing.is_empty(), "without help: {missing:?}");
    }
}
