//! `trialc pool`: a series of N-of-1 trials (docs/pool.md). The folders are
//! listed here (the library does no IO); the library reads, checks, fits
//! and reports; this prints each participant's diagnostics under their
//! name and writes the outputs.

use clap::ValueEnum;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use trialc::diagnostic::Diagnostic;
use trialc::driver::{FitOptions, SessionOptions, Stop};
use trialc::io::{FsSources, Outputs};
use trialc::pool::{self, Participants, PoolOptions, Series, State};
use trialc::render::{self, Renderer, Shown};
use trialc::report::{Adapt, RunSettings};
use trialc_runtime::posterior::{Init, Method};

use super::term::{out, plural, print_diagnostics, use_color, Bar};

#[derive(clap::Args)]
pub struct PoolArgs {
    /// The series' spec: its arms, the outcome pooled and the per-person
    /// model; its prior of each effect is the default prior of the
    /// population mean effect mu.
    #[arg(value_name = "SPEC")]
    pub file: PathBuf,
    /// A folder of diary CSVs, one per participant (the id is the file's
    /// name without `.csv`), all under SPEC.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["manifest", "evidence"])]
    pub diaries: Option<PathBuf>,
    /// A folder of `trialc run --export-evidence` files, one per
    /// participant: pools their posteriors, no diary needed.
    #[arg(long, value_name = "DIR", conflicts_with = "manifest")]
    pub evidence: Option<PathBuf>,
    /// A manifest CSV: `participant`, `diary` or `evidence`, optional
    /// `spec` (the person's own), numeric covariates (docs/pool.md).
    #[arg(long, value_name = "CSV")]
    pub manifest: Option<PathBuf>,
    /// The outcome to pool (default: the spec's primary outcome).
    #[arg(long)]
    pub outcome: Option<String>,
    /// Nuisance parameters with one value for everyone, comma-separated
    /// (`sigma,phi`); the others (by default all) are each person's own.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub shared: Vec<String>,
    /// Prior of the population mean effect mu, e.g. `normal(0, 1)`
    /// (default: the spec's prior of the effect, an LFM hypothesis included).
    #[arg(long, value_name = "PRIOR")]
    pub mu_prior: Option<String>,
    /// Prior of the between-person SD tau, e.g. `half_student_t(3, 1)`
    /// (default: half_normal(S / 2), S the outcome's default effect SD).
    #[arg(long, value_name = "PRIOR")]
    pub tau_prior: Option<String>,
    /// Prior of each covariate coefficient per SD of the covariate
    /// (default: normal(0, S / 2)).
    #[arg(long, value_name = "PRIOR")]
    pub gamma_prior: Option<String>,
    /// Weight of the robust component of the next person's prior, in [0, 1).
    #[arg(long, default_value_t = 0.2, value_parser = unit_interval)]
    pub robust: f64,
    /// Independent NUTS chains (R-hat needs at least 2).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub chains: u32,
    /// Warmup iterations per chain.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32))]
    pub warmup: u32,
    /// Draws kept per chain.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(2..))]
    pub draws: u32,
    /// Seed; the same inputs and seed give byte-identical outputs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads, at least 1 (default: all cores); results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub threads: Option<u32>,
    /// NUTS target acceptance rate; 0.99 by default for the hierarchical
    /// model, as RBesT's gMAP (smaller steps where the data pin a person's
    /// effect and tau nears 0).
    #[arg(long, default_value_t = 0.99, value_parser = open_unit)]
    pub adapt_delta: f64,
    /// NUTS maximum tree depth, 1 to 30.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=30))]
    pub max_depth: u32,
    /// `text` for people, `json` for programs (`trialc-pool/1`, docs/pool.md).
    #[arg(long, value_enum, default_value_t = PoolFormat::Text)]
    pub format: PoolFormat,
    /// Also write report.json, the next prior, CmdStan CSV draws and SVG
    /// plots into this folder (new, empty, or written by trialc before).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write the next person's prior (`trialc-hypotheses/1`) to this file.
    #[arg(long, value_name = "FILE")]
    pub export_prior: Option<PathBuf>,
    /// Do not fit each diary's own single-trial model (the report then has
    /// no own estimates beside the pooled ones): for large series.
    #[arg(long)]
    pub skip_own_fits: bool,
    /// Print each included participant's lowered model as JSON (the Stan
    /// comparison's input) instead of fitting.
    #[arg(long)]
    pub dump_mir: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PoolFormat {
    Text,
    Json,
}

fn unit_interval(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..1.0).contains(&p) => Ok(p),
        Ok(_) => Err("must be in [0, 1), e.g. 0.2".into()),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

fn open_unit(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if p > 0.0 && p < 1.0 => Ok(p),
        Ok(_) => Err("must be strictly between 0 and 1, e.g. 0.95".into()),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

/// The files of `dir` ending in `.ext`, sorted by name.
fn files_in(dir: &Path, ext: &str) -> Result<Vec<String>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the folder `{}`: {e}", dir.display()))?;
    let mut out: Vec<String> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().and_then(|e| e.to_str()) == Some(ext))
        .map(|p| p.display().to_string())
        .collect();
    out.sort();
    if out.is_empty() {
        return Err(format!(
            "the folder `{}` has no `.{ext}` files",
            dir.display()
        ));
    }
    Ok(out)
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {}", render::inline(message));
    ExitCode::from(2)
}

/// Prints what the series found: the spec's diagnostics, the manifest's
/// and evidence files', then each participant's under their name.
fn print_series(series: &Series<FsSources>) {
    print_diagnostics(&series.spec_session, 0);
    let mut stderr = std::io::stderr().lock();
    let mut renderer = Renderer::new(&series.files, use_color());
    let (placed, unplaced): (Vec<_>, Vec<_>) = series
        .diagnostics
        .iter()
        .cloned()
        .partition(|d| d.primary_span().is_some());
    for shown in render::summarise(&placed, 10) {
        let text = match shown {
            Shown::One(d) => renderer.human(d),
            Shown::More { code, file, count } => {
                render::more_line(&series.files, code, file, count)
            }
        };
        let _ = stderr.write_all(text.as_bytes());
    }
    for p in &series.participants {
        let Some(session) = &p.session else { continue };
        let shown = session.diagnostics().len() > p.shown_from;
        if let State::Excluded(e) = &p.state {
            print_excluded(&mut stderr, &p.id, &p.file, e);
        } else if shown {
            let _ = writeln!(
                stderr,
                "participant `{}` ({}):",
                render::inline(&p.id),
                render::inline(&p.file)
            );
        }
        drop(stderr);
        print_diagnostics(session, p.shown_from);
        stderr = std::io::stderr().lock();
    }
    for d in &unplaced {
        print_unplaced(&mut stderr, d);
    }
}

/// A diagnostic about the series as a whole (no file to point into).
fn print_unplaced(stderr: &mut impl Write, d: &Diagnostic) {
    let _ = write!(
        stderr,
        "error[{}]: {}\n{}",
        d.code,
        render::inline(&d.message),
        d.help
            .as_ref()
            .map(|h| format!("  help: {}\n", render::inline(h)))
            .unwrap_or_default()
    );
}

/// Participant `p`'s exclusion, one line.
fn print_excluded(stderr: &mut impl Write, id: &str, file: &str, e: &pool::Exclusion) {
    let _ = writeln!(
        stderr,
        "participant `{}` ({}) is excluded: [{}] {}",
        render::inline(id),
        render::inline(file),
        e.code,
        render::inline(&e.reason)
    );
}

pub fn run(args: &PoolArgs, options: SessionOptions) -> ExitCode {
    let participants = match (&args.diaries, &args.evidence, &args.manifest) {
        (Some(dir), None, None) => match files_in(dir, "csv") {
            Ok(f) => Participants::Diaries(f),
            Err(e) => return usage(&e),
        },
        (None, Some(dir), None) => match files_in(dir, "json") {
            Ok(f) => Participants::Evidence(f),
            Err(e) => return usage(&e),
        },
        (None, None, Some(m)) => Participants::Manifest(m.display().to_string()),
        _ => {
            return usage(
                "give the participants: `--diaries DIR`, `--evidence DIR` or `--manifest CSV`",
            )
        }
    };
    let parse =
        |p: &Option<String>, what: &str| -> Result<Option<trialc_runtime::mir::Prior>, String> {
            p.as_deref()
                .map(pool::prior::parse_prior)
                .transpose()
                .map_err(|e| format!("{what}: {e}"))
        };
    let (mu_prior, tau_prior, gamma_prior) = match (
        parse(&args.mu_prior, "--mu-prior"),
        parse(&args.tau_prior, "--tau-prior"),
        parse(&args.gamma_prior, "--gamma-prior"),
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return usage(&e),
    };
    if let Some(t) = &tau_prior {
        if pool::prior::support(t).0 < 0.0 {
            return usage("--tau-prior: tau is a standard deviation; give a prior on (0, inf) such as `half_normal(1)`");
        }
    }
    let settings = RunSettings {
        chains: args.chains as usize,
        warmup: args.warmup as usize,
        draws: args.draws as usize,
        seed: args.seed,
        max_depth: args.max_depth as usize,
        adapt_delta: args.adapt_delta,
        method: Method::Nuts,
        init: Init::Random,
        adapt: Adapt::Stan,
    };
    let pool_options = PoolOptions {
        outcome: args.outcome.clone(),
        shared: args
            .shared
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        mu_prior,
        tau_prior,
        gamma_prior,
        robust: args.robust,
        own_fits: !args.skip_own_fits,
        fit: FitOptions {
            settings,
            threads: args.threads.map(|t| t as usize),
        },
    };
    let spec = args.file.display().to_string();
    let mut series = pool::assemble(
        || FsSources,
        options,
        &spec,
        &participants,
        args.outcome.as_deref(),
    );
    print_series(&series);
    match &series.stop {
        Some(Stop::Unusable(p)) => {
            eprintln!("error: {}\nhelp: {}", render::inline(&p.message), p.help);
            return ExitCode::from(2);
        }
        Some(Stop::Invalid) => {
            eprintln!(
                "{}: the series cannot be pooled; fix the errors above",
                render::inline(&spec)
            );
            return ExitCode::from(1);
        }
        None => {}
    }
    let excluded = series
        .participants
        .iter()
        .filter(|p| matches!(p.state, State::Excluded(_)))
        .count();
    if args.dump_mir {
        return dump_mir(&series);
    }
    let arms: Vec<String> = series
        .checked
        .as_ref()
        .map(|c| {
            series
                .arms
                .iter()
                .map(|&a| c.spec.arms[a].name.clone())
                .collect()
        })
        .unwrap_or_default();
    let inputs: Vec<PathBuf> = std::iter::once(args.file.clone())
        .chain(series.participants.iter().map(|p| PathBuf::from(&p.file)))
        .chain(args.manifest.clone())
        .collect();
    let names = pool::cmdstan::output_names(&arms, settings.chains, true);
    let outputs = match Outputs::check(
        &inputs,
        args.export_prior.as_deref(),
        args.out.as_deref(),
        &names,
    ) {
        Ok(o) => o,
        Err(e) => return usage(&e),
    };
    let progress = Bar::new(std::io::stderr().is_terminal());
    let known = series.diagnostics.len();
    let included: Vec<bool> = series
        .participants
        .iter()
        .map(|p| p.member().is_some())
        .collect();
    let fitted = match pool::fit_series(&mut series, &pool_options, &progress) {
        Ok(f) => f,
        Err(e) => {
            // What the fit found: participants it excluded, then why it
            // stopped (coded when the series' diagnostics have it).
            let mut stderr = std::io::stderr().lock();
            for (p, was) in series.participants.iter().zip(included) {
                if let (true, State::Excluded(x)) = (was, &p.state) {
                    print_excluded(&mut stderr, &p.id, &p.file, x);
                }
            }
            let new = series.diagnostics.get(known..).unwrap_or_default();
            if new.is_empty() {
                let _ = writeln!(stderr, "error: {}", render::inline(&e));
            }
            for d in new {
                print_unplaced(&mut stderr, d);
            }
            return ExitCode::from(1);
        }
    };
    let written = outputs
        .write_evidence(|| trialc::evidence::to_json(&fitted.next_prior))
        .and_then(|()| {
            outputs.write_dir(|| {
                pool::cmdstan::outputs(
                    &fitted.report,
                    &fitted.posterior,
                    &fitted.next_prior,
                    fitted.seed,
                )
            })
        });
    match written {
        Ok(Some((n, dir))) if progress.enabled => {
            eprintln!("wrote {} to {}", plural(n, "file"), dir.display())
        }
        Ok(_) => {}
        Err(e) => return usage(&e),
    }
    let text = match args.format {
        PoolFormat::Text => pool::report::text(&fitted.report),
        PoolFormat::Json => pool::report::json(&fitted.report),
    };
    if let Err(code) = out(&text) {
        return code;
    }
    let now_excluded = fitted.report.excluded.len();
    if excluded > 0 || now_excluded > 0 || series.diagnostics.iter().any(|d| d.is_error()) {
        eprintln!(
            "{}: {} excluded (see above and the report); the others were pooled",
            render::inline(&spec),
            plural(now_excluded.max(excluded), "participant")
        );
        ExitCode::from(1)
    } else if !fitted.report.warnings.is_empty() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// `--dump-mir`: each included diary's lowered model of the pooled outcome.
fn dump_mir(series: &Series<FsSources>) -> ExitCode {
    let Some(checked) = &series.checked else {
        return ExitCode::from(1);
    };
    let outcome = &checked.spec.outcomes[series.outcome].name;
    let people: Vec<serde_json::Value> = series
        .included()
        .filter_map(|(p, m)| match &m.data {
            pool::Data::Diary {
                prepared,
                outcome: k,
            } => {
                let all = trialc::lower::dump_json(&prepared.lowered, &prepared.checked.spec);
                let one = all.as_array()?.get(*k)?.clone();
                Some(serde_json::json!({
                    "participant": p.id,
                    "file": p.file,
                    "covariates": p.covariates,
                    "mir": one,
                }))
            }
            pool::Data::Evidence { .. } => None,
        })
        .collect();
    let doc = serde_json::json!({
        "outcome": outcome,
        "arms": series.arms.iter().map(|&a| checked.spec.arms[a].name.clone()).collect::<Vec<_>>(),
        "covariates": series.covariates,
        "participants": people,
    });
    super::term::emit(&format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    ))
}
