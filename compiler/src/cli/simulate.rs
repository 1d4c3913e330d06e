//! `trialc simulate`: the design's operating characteristics
//! (docs/simulate.md), in one piece, as one shard of many (`--shard i/n`),
//! or merged from shards (`trialc simulate merge`).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use clap::{Subcommand, ValueEnum};
use trialc::driver::{Checked, Session, SessionOptions};
use trialc::fit::RunSettings;
use trialc::io::{FsSources, OutDir};
use trialc::simulate::{self, summary, Overrides, Part, Shard, Simulation};
use trialc::source::FileKind;
use trialc_runtime::posterior::{Init, Method};

use super::args::FitMethod;
use super::term::{emit, print_diagnostics, print_for_text, stopped};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SimulateArgs {
    #[command(subcommand)]
    pub command: Option<SimulateCommand>,
    /// The spec (its `simulate` block gives the scenarios).
    pub file: Option<PathBuf>,
    /// Simulated trials per scenario and design (default: the spec's
    /// `replicates`, else 1000).
    #[arg(long)]
    pub replicates: Option<u64>,
    /// A scenario, as in the `simulate` block: `NAME[: SETTING, …]`, e.g.
    /// `benefit: effect on pain = -mcid, missing 0.1`. Repeatable; replaces
    /// the spec's scenarios (and requirements).
    #[arg(long = "scenario", value_name = "SCENARIO")]
    pub scenarios: Vec<String>,
    /// A requirement: `P(recommend ARM) >= 0.8 under SCENARIO`. Repeatable;
    /// replaces the spec's.
    #[arg(long = "require", value_name = "REQUIREMENT")]
    pub requirements: Vec<String>,
    /// Designs to compare: `cycles [2, 3, 4]` or `period [1 week, 2 weeks]`.
    #[arg(long)]
    pub sweep: Option<String>,
    /// `nuts` (the analysis `trialc run` does), or `laplace`: a fast screen
    /// with the Laplace approximation, labelled as such.
    #[arg(long, value_enum, default_value_t = FitMethod::Nuts)]
    pub method: FitMethod,
    /// NUTS chains per outcome of each replicate's analysis.
    #[arg(long, default_value_t = 4)]
    pub chains: usize,
    /// Warmup iterations per chain of each replicate's analysis.
    #[arg(long, default_value_t = 1000)]
    pub warmup: usize,
    /// Draws kept per chain of each replicate's analysis.
    #[arg(long, default_value_t = 1000)]
    pub draws: usize,
    /// The simulation's seed (default: the schedule's seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run only shard i of n (`--shard 2/8`) and write its part, to merge
    /// with `trialc simulate merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Write the part of `--shard` to this file (default: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// `text` for people, `json` for programs (docs/simulate.md).
    #[arg(long, value_enum, default_value_t = SimulateFormat::Text)]
    pub format: SimulateFormat,
    /// Also write simulation.json, simulation.txt and power-curve.svg into
    /// this folder (a new or empty one, or one trialc wrote before).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum SimulateCommand {
    /// Combine the parts of `--shard i/n` runs into the results of one run.
    #[command(
        after_help = "Example:\n  trialc simulate merge part1.json part2.json part3.json --out results/\n\nExit codes: 0 merged, 1 the parts do not belong together, 2 a part could not be read."
    )]
    Merge {
        /// Every part, in any order.
        parts: Vec<PathBuf>,
        /// `text` for people, `json` for programs.
        #[arg(long, value_enum, default_value_t = SimulateFormat::Text)]
        format: SimulateFormat,
        /// Also write the merged results into this folder.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SimulateFormat {
    Text,
    Json,
}

/// `trialc simulate …`
pub fn run(args: &SimulateArgs, options: SessionOptions) -> ExitCode {
    if let Some(SimulateCommand::Merge { parts, format, out }) = &args.command {
        return merge(parts, *format, out.as_deref());
    }
    let Some(file) = &args.file else {
        eprintln!("error: no spec given\nhelp: trialc simulate spec.trial (or `trialc simulate merge PART…`)");
        return ExitCode::from(2);
    };
    if args.chains == 0 || args.draws < 2 || args.threads == Some(0) || args.replicates == Some(0) {
        eprintln!("error: `--chains`, `--threads` and `--replicates` must be at least 1, `--draws` at least 2");
        return ExitCode::from(2);
    }
    let shard = match args.shard.as_deref().map(parse_shard) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut session = Session::new(FsSources, options);
    let name = file.display().to_string();
    let checked = match session.open(&name).and_then(|f| session.check(f)) {
        Ok(c) => c,
        Err(stop) => {
            print_diagnostics(&session, 0);
            return stopped(&session, &name, stop);
        }
    };
    print_diagnostics(&session, 0);
    let block = match command_line_entries(args, &checked) {
        Ok(block) => block,
        Err(code) => return code,
    };
    let settings = settings(args, &checked);
    // The spec and its hypotheses files, in order: what the results depend on.
    let texts: Vec<&str> = session
        .files()
        .iter()
        .filter(|(_, f)| {
            matches!(
                f.kind,
                FileKind::Spec | FileKind::Markdown | FileKind::Hypotheses
            )
        })
        .map(|(_, f)| f.text.as_str())
        .collect();
    let overrides = Overrides {
        block,
        replicates: args.replicates,
    };
    let plan = match simulate::plan(
        &checked,
        &overrides,
        &settings,
        &trialc::evidence::inputs_sha256(&texts),
    ) {
        Ok(p) => p,
        Err(diagnostics) => {
            let text = session.files().text(checked.file).to_string();
            print_for_text(&diagnostics, &name, &text);
            return ExitCode::from(1);
        }
    };
    let out_dir = match (&args.out, shard) {
        (Some(_), Some(_)) => {
            eprintln!("error: `--out` is for whole runs; write a shard's part with `-o FILE`");
            return ExitCode::from(2);
        }
        (Some(dir), None) => match OutDir::check(dir) {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        (None, _) => None,
    };
    let bar = Bar::new(std::io::stderr().is_terminal());
    let result = match shard {
        Some(shard) => {
            simulate::simulate_part(&checked, &plan, shard, args.threads, &bar).map(Outcome::Part)
        }
        None => simulate::simulate(&checked, &plan, args.threads, &bar).map(Outcome::Whole),
    };
    match result {
        Err(simulate::Failure::Diagnostics(d)) => {
            let text = session.files().text(checked.file).to_string();
            print_for_text(&d, &name, &text);
            ExitCode::from(1)
        }
        Err(simulate::Failure::Message(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Ok(Outcome::Part(part)) => write_part(&part, args.output.as_deref()),
        Ok(Outcome::Whole(sim)) => present(&sim, args.format, out_dir.as_ref()),
    }
}

enum Outcome {
    Whole(Simulation),
    Part(Part),
}

fn settings(args: &SimulateArgs, checked: &Checked) -> RunSettings {
    let laplace = args.method == FitMethod::Laplace;
    RunSettings {
        chains: if laplace { 1 } else { args.chains },
        warmup: if laplace { 0 } else { args.warmup },
        draws: args.draws,
        seed: args.seed.unwrap_or(checked.spec.schedule.seed),
        method: if laplace {
            Method::Laplace
        } else {
            Method::Nuts
        },
        init: if laplace { Init::None } else { Init::Random },
        ..RunSettings::default()
    }
}

/// `--scenario`, `--require` and `--sweep` as a `simulate` block of their
/// own, parsed and checked like the spec's; errors are shown in that text.
fn command_line_entries(
    args: &SimulateArgs,
    checked: &Checked,
) -> Result<Option<trialc::hir::simulate::Simulate>, ExitCode> {
    if args.scenarios.is_empty() && args.requirements.is_empty() && args.sweep.is_none() {
        return Ok(None);
    }
    let mut text = String::from("simulate {\n");
    for s in &args.scenarios {
        text.push_str(&format!("  scenario {}\n", one_line(s)));
    }
    for r in &args.requirements {
        text.push_str(&format!("  require {}\n", one_line(r)));
    }
    if let Some(s) = &args.sweep {
        text.push_str(&format!("  sweep {}\n", one_line(s)));
    }
    text.push_str("}\n");
    let name = "<command line>";
    let (ast, mut diagnostics) = trialc::syntax::parse(&text);
    let (block, more) = trialc::hir::check_simulate(&ast, &checked.spec);
    diagnostics.extend(more);
    let errors = diagnostics.iter().any(|d| d.is_error());
    print_for_text(&diagnostics, name, &text);
    if errors {
        eprintln!("error: the command line's simulation entries have errors (shown above as a `simulate` block)");
        return Err(ExitCode::from(1));
    }
    Ok(block)
}

/// An entry on one line: a line break would end it inside the block.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    let parsed = text
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?)));
    match parsed {
        Some((index, count)) if index >= 1 && index <= count => Ok(Shard { index, count }),
        _ => Err(format!(
            "`--shard {}` is not a shard: give I/N with 1 <= I <= N, e.g. `--shard 2/8`",
            trialc::render::inline(text)
        )),
    }
}

fn write_part(part: &Part, output: Option<&Path>) -> ExitCode {
    let json = summary::to_json(part);
    match output {
        None => emit(&json),
        Some(path) => match trialc::io::write_atomic(path, json.as_bytes()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                ExitCode::from(2)
            }
        },
    }
}

/// The results on stdout, and into `--out DIR`.
fn present(sim: &Simulation, format: SimulateFormat, out: Option<&OutDir>) -> ExitCode {
    let json = summary::to_json(sim);
    let text = simulate::text::text(sim);
    if let Some(dir) = out {
        let mut files = vec![
            ("simulation.json".to_string(), json.clone()),
            ("simulation.txt".to_string(), text.clone()),
        ];
        if let Some(svg) = simulate::svg::power_curve(sim) {
            files.push(("power-curve.svg".to_string(), svg));
        }
        if let Err(e) = dir.write(&files) {
            eprintln!("error: cannot write the outputs: {e}");
            return ExitCode::from(2);
        }
    }
    emit(match format {
        SimulateFormat::Text => &text,
        SimulateFormat::Json => &json,
    })
}

fn merge(paths: &[PathBuf], format: SimulateFormat, out: Option<&Path>) -> ExitCode {
    if paths.is_empty() {
        eprintln!("error: no parts given\nhelp: trialc simulate merge part-1.json part-2.json …");
        return ExitCode::from(2);
    }
    let mut parts = Vec::new();
    for path in paths {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        match serde_json::from_str::<Part>(&text) {
            Ok(p) => parts.push(p),
            Err(e) => {
                eprintln!(
                    "error: `{}` is not a part of a sharded simulation (`{}`): {e}",
                    path.display(),
                    summary::PART_FORMAT
                );
                return ExitCode::from(2);
            }
        }
    }
    let dir = match out.map(OutDir::check) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match simulate::merge(&parts) {
        Ok(sim) => present(&sim, format, dir.as_ref()),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Replicates done, with the rate so far and the time left, on stderr,
/// only when stderr is a terminal (logs and pipes stay clean).
struct Bar {
    enabled: bool,
    state: Mutex<(u64, Option<Instant>, Option<Instant>)>,
}

impl Bar {
    fn new(enabled: bool) -> Self {
        Bar {
            enabled,
            state: Mutex::new((0, None, None)),
        }
    }
}

fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

impl simulate::Progress for Bar {
    fn start(&self, total: u64) {
        if let Ok(mut s) = self.state.lock() {
            *s = (total, Some(Instant::now()), None);
        }
    }

    fn advance(&self, done: u64) {
        if !self.enabled {
            return;
        }
        let Ok(mut s) = self.state.lock() else { return };
        let (total, Some(start), last) = *s else {
            return;
        };
        let now = Instant::now();
        // At most ten redraws a second, and always the last.
        if done < total && last.is_some_and(|l| now.duration_since(l).as_millis() < 100) {
            return;
        }
        s.2 = Some(now);
        const WIDTH: usize = 24;
        let filled = ((done * WIDTH as u64).checked_div(total).unwrap_or(0) as usize).min(WIDTH);
        let elapsed = now.duration_since(start).as_secs_f64();
        let eta = if done > 0 {
            format!(
                ", {} left",
                duration(elapsed / done as f64 * (total - done.min(total)) as f64)
            )
        } else {
            String::new()
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2Ksimulating [{}{}] {done}/{total} replicates, {}{eta}",
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            duration(elapsed)
        );
        let _ = err.flush();
    }

    fn end(&self) {
        if self.enabled {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}
