//! The results of a simulation: every estimate with its Monte Carlo
//! standard error, computed from the replicates' records in task order, so
//! that a run in one piece and the merge of its shards give the same
//! numbers, bit for bit, and the same JSON, byte for byte.
//!
//! Monte Carlo standard errors (Morris, White and Crowther 2019): a share p
//! of n replicates, sqrt(p (1 - p) / n); a mean, sd / sqrt(n); the bias
//! (the mean of estimate - truth), its sd / sqrt(n); the RMSE, by the
//! delta method from the MSE's sd(err^2) / sqrt(n): that / (2 RMSE);
//! interval coverage, as a share.

use serde::{Deserialize, Serialize};

use super::plan::Header;
use super::replicate::Record;
use crate::hir::Comparison;

/// The format of a simulation's results.
pub const FORMAT: &str = "trialc-simulation/1";
/// The format of one shard's part.
pub const PART_FORMAT: &str = "trialc-simulation-part/1";

/// An estimate and its Monte Carlo standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Mc {
    pub estimate: f64,
    pub mcse: f64,
}

/// A share of replicates.
fn share(k: u64, n: u64) -> Mc {
    if n == 0 {
        return Mc {
            estimate: 0.0,
            mcse: 0.0,
        };
    }
    let p = k as f64 / n as f64;
    Mc {
        estimate: p,
        mcse: (p * (1.0 - p) / n as f64).sqrt(),
    }
}

/// A mean of values, with sd / sqrt(n); `None` without values.
fn mean(values: &[f64]) -> Option<Mc> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let m = values.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    Some(Mc {
        estimate: m,
        mcse: sd / (n as f64).sqrt(),
    })
}

/// The probability that the conclusion recommends an arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmShare {
    pub arm: String,
    pub probability: Mc,
}

/// The probability of stopping at one interim look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LookShare {
    pub after_periods: u64,
    pub probability: Mc,
}

/// How well one effect is estimated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectSummary {
    pub outcome: String,
    pub arm: String,
    /// Replicates that estimated it.
    pub n: u64,
    /// Mean of estimate - truth.
    pub bias: Option<Mc>,
    pub rmse: Option<Mc>,
    /// Share of intervals (at the header's `interval`) containing the truth.
    pub coverage: Option<Mc>,
}

/// Values of an outcome outside its declared range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutsideRange {
    pub outcome: String,
    /// Share of all recorded values.
    pub values: Mc,
    /// Share of diaries with at least one.
    pub diaries: Mc,
}

/// The results of one scenario under one design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub design: usize,
    pub scenario: usize,
    pub replicates: u64,
    /// Share of replicates with a final analysis (a dropout can leave too
    /// few days).
    pub analysed: Mc,
    /// P(fires) of each rule of the header, in the final analysis.
    pub rules: Vec<Mc>,
    /// P(the conclusion recommends ARM), for every arm.
    pub recommend: Vec<ArmShare>,
    pub inconclusive: Mc,
    /// P(a stop-early rule stopped the trial), over all looks.
    pub stopped: Mc,
    pub looks: Vec<LookShare>,
    /// Periods complete and days at the end of the trial.
    pub duration_periods: Mc,
    pub duration_days: Mc,
    pub effects: Vec<EffectSummary>,
    pub convergence_warnings: Mc,
    pub failed_fits: u64,
    /// Replicates that could not be generated (a prior with no mass where
    /// a parameter lives).
    pub errors: u64,
    pub outside_range: Vec<OutsideRange>,
}

/// One requirement under one design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequirementOutcome {
    pub design: usize,
    pub probability: Mc,
    pub met: bool,
    /// The estimate is more than two MCSE from the threshold.
    pub settled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequirementResult {
    pub text: String,
    pub designs: Vec<RequirementOutcome>,
}

/// The shortest design meeting every requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shortest {
    pub design: usize,
    pub label: String,
    pub total_days: u64,
    /// Every requirement is settled (more than two MCSE from its threshold).
    pub settled: bool,
}

/// The results of a simulation (`trialc-simulation/1`, docs/simulate.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    pub format: String,
    /// What was simulated (the same as every part's `header`).
    #[serde(rename = "plan")]
    pub header: Header,
    /// One per design and scenario, design-major.
    pub results: Vec<Cell>,
    pub requirements: Vec<RequirementResult>,
    /// When there are requirements: the shortest design meeting them all,
    /// `None` when none does.
    pub shortest_design: Option<Shortest>,
}

/// Which slice of a sharded run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1-based.
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Whether task `t` belongs to this shard (tasks are dealt round-robin).
    pub fn has(&self, task: u64) -> bool {
        self.count > 0 && task % self.count == self.index.saturating_sub(1)
    }
}

/// One shard's records (`trialc-simulation-part/1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub format: String,
    pub shard: Shard,
    pub header: Header,
    pub records: Vec<Record>,
}

/// The results of `records` (in task order) under `header`.
pub fn summarise(header: &Header, records: &[Record]) -> Simulation {
    let scenarios = header.scenarios.len().max(1);
    let mut results = Vec::new();
    for d in 0..header.designs.len() {
        for s in 0..header.scenarios.len() {
            let first = ((d * scenarios + s) as u64) * header.replicates;
            let last = first + header.replicates;
            let cell: Vec<&Record> = records
                .iter()
                .filter(|r| r.task >= first && r.task < last)
                .collect();
            results.push(summarise_cell(header, d, s, &cell));
        }
    }
    let mut requirements = Vec::new();
    for req in &header.requirements {
        let mut designs = Vec::new();
        for d in 0..header.designs.len() {
            let Some(cell) = results
                .iter()
                .find(|c| c.design == d && c.scenario == req.scenario)
            else {
                continue;
            };
            let p = match (req.event.as_str(), req.arm) {
                ("recommend", Some(arm)) => cell
                    .recommend
                    .get(arm)
                    .map_or(share(0, 0), |a| a.probability),
                ("stop early", _) => cell.stopped,
                _ => cell.inconclusive,
            };
            let comparison = match req.comparison.as_str() {
                "<" => Comparison::Less,
                "<=" => Comparison::LessEqual,
                ">" => Comparison::Greater,
                _ => Comparison::GreaterEqual,
            };
            designs.push(RequirementOutcome {
                design: d,
                probability: p,
                met: comparison.holds(p.estimate, req.probability),
                settled: (p.estimate - req.probability).abs() > 2.0 * p.mcse,
            });
        }
        requirements.push(RequirementResult {
            text: req.text.clone(),
            designs,
        });
    }
    let shortest_design = if requirements.is_empty() {
        None
    } else {
        let mut order: Vec<usize> = (0..header.designs.len()).collect();
        order.sort_by_key(|&d| (header.designs[d].total_days, d));
        order
            .into_iter()
            .find(|&d| {
                requirements
                    .iter()
                    .all(|r| r.designs.iter().any(|o| o.design == d && o.met))
            })
            .map(|d| Shortest {
                design: d,
                label: header.designs[d].label.clone(),
                total_days: header.designs[d].total_days,
                settled: requirements
                    .iter()
                    .all(|r| r.designs.iter().any(|o| o.design == d && o.settled)),
            })
    };
    Simulation {
        format: FORMAT.into(),
        header: header.clone(),
        results,
        requirements,
        shortest_design,
    }
}

fn summarise_cell(header: &Header, design: usize, scenario: usize, records: &[&Record]) -> Cell {
    let n = records.len() as u64;
    let count = |f: &dyn Fn(&Record) -> bool| records.iter().filter(|r| f(r)).count() as u64;
    let rules = (0..header.rules.len())
        .map(|i| share(count(&|r| r.fires.get(i).copied().unwrap_or(false)), n))
        .collect();
    let recommend = header
        .arms
        .iter()
        .enumerate()
        .map(|(k, arm)| ArmShare {
            arm: arm.clone(),
            probability: share(count(&|r| r.recommended == Some(k)), n),
        })
        .collect();
    let looks = header.designs[design]
        .looks
        .iter()
        .map(|&after| LookShare {
            after_periods: after,
            probability: share(count(&|r| r.stopped_after == Some(after)), n),
        })
        .collect();
    let periods: Vec<f64> = records.iter().map(|r| r.periods as f64).collect();
    let days: Vec<f64> = records.iter().map(|r| r.days as f64).collect();
    let zero = Mc {
        estimate: 0.0,
        mcse: 0.0,
    };
    let effects = header
        .effects
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let estimates: Vec<_> = records
                .iter()
                .filter_map(|r| r.effects.get(i).copied().flatten())
                .collect();
            let errors: Vec<f64> = estimates.iter().map(|x| x.estimate.0 - x.truth.0).collect();
            let squared: Vec<f64> = errors.iter().map(|x| x * x).collect();
            let rmse = mean(&squared).map(|mse| {
                let rmse = mse.estimate.sqrt();
                Mc {
                    estimate: rmse,
                    mcse: if rmse > 0.0 {
                        mse.mcse / (2.0 * rmse)
                    } else {
                        0.0
                    },
                }
            });
            let covered = estimates
                .iter()
                .filter(|x| x.lower.0 <= x.truth.0 && x.truth.0 <= x.upper.0)
                .count() as u64;
            let m = estimates.len() as u64;
            EffectSummary {
                outcome: header.outcomes.get(e.outcome).cloned().unwrap_or_default(),
                arm: header.arms.get(e.arm).cloned().unwrap_or_default(),
                n: m,
                bias: mean(&errors),
                rmse,
                coverage: (m > 0).then(|| share(covered, m)),
            }
        })
        .collect();
    let outside_range = header
        .bounds
        .iter()
        .enumerate()
        .filter(|(_, b)| b.is_some())
        .map(|(j, _)| {
            let (mut outside, mut values, mut diaries) = (0u64, 0u64, 0u64);
            for r in records {
                if let Some([o, v]) = r.outside.get(j) {
                    outside += u64::from(*o);
                    values += u64::from(*v);
                    diaries += u64::from(*o > 0);
                }
            }
            OutsideRange {
                outcome: header.outcomes.get(j).cloned().unwrap_or_default(),
                values: share(outside, values),
                diaries: share(diaries, n),
            }
        })
        .collect();
    Cell {
        design,
        scenario,
        replicates: n,
        analysed: share(count(&|r| r.analysed), n),
        rules,
        recommend,
        inconclusive: share(count(&|r| r.recommended.is_none()), n),
        stopped: share(count(&|r| r.stopped_after.is_some()), n),
        looks,
        duration_periods: mean(&periods).unwrap_or(zero),
        duration_days: mean(&days).unwrap_or(zero),
        effects,
        convergence_warnings: share(count(&|r| r.convergence_warnings), n),
        failed_fits: records.iter().map(|r| u64::from(r.failed_fits)).sum(),
        errors: count(&|r| r.error.is_some()),
        outside_range,
    }
}

/// Why parts cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeError(pub String);

impl std::fmt::Display for MergeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The results of a sharded run from all its parts, in any order: exactly
/// what the run in one piece gives. Every part must come from the same
/// simulation (equal headers) and every shard must be there once.
pub fn merge(parts: &[Part]) -> Result<Simulation, MergeError> {
    let Some(first) = parts.first() else {
        return Err(MergeError("no parts to merge".into()));
    };
    let count = first.shard.count;
    let mut seen = vec![false; usize::try_from(count).unwrap_or(0)];
    for (i, part) in parts.iter().enumerate() {
        if part.format != PART_FORMAT {
            return Err(MergeError(format!(
                "part {} is `{}`, not a `{PART_FORMAT}` part",
                i + 1,
                part.format
            )));
        }
        if part.header != first.header {
            return Err(MergeError(format!(
                "part {} (shard {}/{}) is from a different simulation than part 1: other spec, settings, seed or scenarios",
                i + 1,
                part.shard.index,
                part.shard.count
            )));
        }
        if part.shard.count != count {
            return Err(MergeError(format!(
                "part {} is shard {}/{}, part 1 of {count} shards",
                i + 1,
                part.shard.index,
                part.shard.count
            )));
        }
        let index = usize::try_from(part.shard.index).unwrap_or(0);
        match seen.get_mut(index.wrapping_sub(1)) {
            Some(s) if !*s => *s = true,
            Some(_) => {
                return Err(MergeError(format!(
                    "shard {}/{count} is given twice",
                    part.shard.index
                )))
            }
            None => {
                return Err(MergeError(format!(
                    "shard {}/{count} does not exist",
                    part.shard.index
                )))
            }
        }
        if part.records.iter().any(|r| !part.shard.has(r.task)) {
            return Err(MergeError(format!(
                "part {} has replicates of another shard",
                i + 1
            )));
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(MergeError(format!(
            "shard {}/{count} is missing",
            missing + 1
        )));
    }
    let mut records: Vec<Record> = parts.iter().flat_map(|p| p.records.clone()).collect();
    records.sort_by_key(|r| r.task);
    let header = &first.header;
    let tasks = (header.designs.len() as u64)
        .saturating_mul(header.scenarios.len() as u64)
        .saturating_mul(header.replicates);
    if records.len() as u64 != tasks || records.iter().enumerate().any(|(i, r)| r.task != i as u64)
    {
        return Err(MergeError(format!(
            "the parts hold {} replicates of the {tasks} the simulation has",
            records.len()
        )));
    }
    Ok(summarise(header, &records))
}

/// The results as JSON (one trailing newline).
pub fn to_json<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    text.push('\n');
    text
}
