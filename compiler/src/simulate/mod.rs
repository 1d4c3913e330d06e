//! Design simulation (`trialc simulate`, docs/simulate.md): is this trial
//! long enough, and how often would its rules mislead?
//!
//! A [`plan::Plan`] names the designs (the spec's schedule, or each design
//! of a sweep), the scenarios (true effects and nuisance values, set or
//! drawn from the priors; missing data, dropout, adherence) and the
//! replicates. Each replicate draws a schedule as the randomization would
//! draw it and a diary from the model of `docs/model.md` (`generate`), then
//! analyses it as `trialc run` does, with the interim looks of `stop early
//! … after N periods` (`replicate`). The results ([`summary::Simulation`],
//! JSON `trialc-simulation/1`) give each rule's probability of firing, the
//! conclusion's distribution, the stopping probability at each look, the
//! expected duration, the bias, RMSE and interval coverage of each effect,
//! and whether each design meets the requirements, every estimate with its
//! Monte Carlo standard error.
//!
//! **Reproducible, whatever the threads or shards.** Replicate r of a
//! scenario under a design has its own seed
//! ([`replicate::replicate_seed`], SHA-256 with a domain tag, as every seed
//! of trialc: `fit.rs`), and every random stream of the replicate (its
//! schedule, true values, noise, missing values, dropout, adherence, fits)
//! derives from it. Results are computed from the replicates' records in
//! task order. So `--threads` changes nothing, and the parts of `--shard
//! i/n` merge ([`summary::merge`]) into exactly the run in one piece.
//!
//! Pure like the rest of the library: no clock, no files; progress goes to
//! a [`Progress`] the caller supplies.

pub mod generate;
pub mod plan;
pub mod prior_predictive;
pub mod replicate;
pub mod summary;
pub mod svg;
pub mod text;

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::data::{ArmRecord, Diary, DiaryRow};
use crate::diagnostic::Diagnostic;
use crate::driver::Checked;
use crate::hir::{self, OutcomeType};
use crate::lower::{self, LoweredOutcome};
use crate::schedule;

pub use plan::{plan, Overrides, Plan};
pub use replicate::Record;
pub use summary::{merge, summarise, Part, Shard, Simulation};

/// What a simulation tells its caller while it runs (from worker threads).
pub trait Progress: Sync {
    /// `total` replicates are about to run.
    fn start(&self, _total: u64) {}
    /// `done` replicates have finished.
    fn advance(&self, _done: u64) {}
    fn end(&self) {}
}

/// Reports nothing.
pub struct Silent;
impl Progress for Silent {}

/// Why a simulation cannot run.
#[derive(Debug, Clone)]
pub enum Failure {
    /// Problems with places in the spec.
    Diagnostics(Vec<Diagnostic>),
    /// Anything else.
    Message(String),
}

/// The replicates of `plan` that `shard` holds (all without one), on
/// `threads` worker threads (`None`: all cores).
pub fn run(
    checked: &Checked,
    plan: &Plan,
    shard: Option<Shard>,
    threads: Option<usize>,
    progress: &dyn Progress,
) -> Result<Vec<Record>, Failure> {
    let templates = templates(plan, checked)?;
    let cx = replicate::Context {
        plan,
        hypotheses: &checked.hypotheses,
        templates: &templates,
    };
    let tasks: Vec<u64> = (0..plan.tasks())
        .filter(|&t| shard.is_none_or(|s| s.has(t)))
        .collect();
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n.max(1));
    }
    let pool = builder
        .build()
        .map_err(|e| Failure::Message(format!("cannot start worker threads: {e}")))?;
    progress.start(tasks.len() as u64);
    let done = AtomicU64::new(0);
    let records = pool.install(|| {
        tasks
            .par_iter()
            .map(|&t| {
                let record = replicate::run(&cx, t);
                progress.advance(done.fetch_add(1, Ordering::Relaxed) + 1);
                record
            })
            .collect()
    });
    progress.end();
    Ok(records)
}

/// The whole simulation of `plan`, summarised.
pub fn simulate(
    checked: &Checked,
    plan: &Plan,
    threads: Option<usize>,
    progress: &dyn Progress,
) -> Result<Simulation, Failure> {
    let records = run(checked, plan, None, threads, progress)?;
    Ok(summarise(&plan.header, &records))
}

/// One shard of the simulation of `plan`, to be merged with the others.
pub fn simulate_part(
    checked: &Checked,
    plan: &Plan,
    shard: Shard,
    threads: Option<usize>,
    progress: &dyn Progress,
) -> Result<Part, Failure> {
    if shard.count == 0 || shard.index == 0 || shard.index > shard.count {
        return Err(Failure::Message(format!(
            "shard {}/{} does not exist: give i/n with 1 <= i <= n",
            shard.index, shard.count
        )));
    }
    let records = run(checked, plan, Some(shard), threads, progress)?;
    Ok(Part {
        format: summary::PART_FORMAT.into(),
        shard,
        header: plan.header.clone(),
        records,
    })
}

/// The outcome models of each design, lowered once on a placeholder diary
/// (every scheduled measurement recorded): their parameters, transforms
/// and priors are what the replicates' true values are drawn from.
fn templates(plan: &Plan, checked: &Checked) -> Result<Vec<Vec<LoweredOutcome>>, Failure> {
    plan.specs
        .iter()
        .map(|spec| {
            let schedule = schedule::build(&spec.schedule_spec())
                .map_err(|e| Failure::Message(format!("the design cannot be scheduled: {e}")))?;
            let diary = placeholder_diary(spec, &schedule);
            lower::lower(spec, &schedule, &diary, &checked.hypotheses).map_err(Failure::Diagnostics)
        })
        .collect()
}

/// A diary with a value on every scheduled measurement day: the middle of
/// a continuous outcome's range (0 without one), 0 for binary, 1 for
/// counts, the lowest ordinal level.
pub fn placeholder_diary(spec: &hir::Spec, schedule: &schedule::Schedule) -> Diary {
    let days = schedule.total_days;
    let rows = (1..=days)
        .map(|day| DiaryRow {
            day,
            line: day + 1,
            values: spec
                .outcomes
                .iter()
                .enumerate()
                .map(|(j, o)| {
                    let scheduled = schedule
                        .outcomes
                        .get(j)
                        .is_some_and(|p| p.days.binary_search(&day).is_ok());
                    scheduled.then_some(match o.kind {
                        OutcomeType::Continuous {
                            bounds: Some((lo, hi)),
                        } => 0.5 * (lo + hi),
                        OutcomeType::Continuous { bounds: None } | OutcomeType::Binary => 0.0,
                        OutcomeType::Count { .. } | OutcomeType::Binomial { .. } => 1.0,
                        OutcomeType::Ordinal { low, .. } => low as f64,
                    })
                })
                .collect(),
            arm: ArmRecord::NotRecorded,
            extra: Vec::new(),
            span: crate::diagnostic::Span::new(0, 0),
        })
        .collect();
    Diary {
        outcomes: spec.outcomes.iter().map(|o| o.name.clone()).collect(),
        rows,
        has_arm_column: false,
        deviations: Vec::new(),
        columns: Vec::new(),
        file: None,
    }
}
