//! The results for people: per design and scenario, the conclusion's
//! distribution, each rule's probability of firing, stopping, duration and
//! the effects' bias, RMSE and coverage, each with its Monte Carlo error;
//! then the requirements and the shortest design meeting them.

use std::fmt::Write as _;

use super::summary::{Mc, Simulation};
use trialc_runtime::fmt::num;

fn p(m: &Mc) -> String {
    format!("{:.3} (±{:.3})", m.estimate, m.mcse)
}

fn x(m: &Mc, digits: usize) -> String {
    format!("{:.digits$} (±{:.digits$})", m.estimate, m.mcse)
}

/// The results as text.
pub fn text(sim: &Simulation) -> String {
    let h = &sim.header;
    let mut out = String::new();
    let _ = writeln!(out, "Design simulation of `{}`", h.trial);
    let method = if h.approximation {
        format!(
            "Laplace approximation at the posterior mode ({} draws): a fast screen, NOT the analysis; confirm with NUTS",
            h.draws
        )
    } else {
        format!(
            "NUTS, {} chains x ({} warmup + {} draws), as `trialc run`",
            h.chains, h.warmup, h.draws
        )
    };
    let _ = writeln!(
        out,
        "  {} replicates per scenario and design; {method}; seed {}",
        h.replicates, h.seed
    );
    let _ = writeln!(
        out,
        "  every probability is a share of replicates, ± its Monte Carlo standard error"
    );
    for (d, design) in h.designs.iter().enumerate() {
        let looks = if design.looks.is_empty() {
            String::new()
        } else {
            format!(
                "; interim look{} after {} periods",
                if design.looks.len() == 1 { "" } else { "s" },
                design
                    .looks
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(
            out,
            "\nDesign: {} ({} cycles, {} periods of {} days, {} days{looks})",
            design.label, design.cycles, design.periods, design.period_days, design.total_days
        );
        for cell in sim.results.iter().filter(|c| c.design == d) {
            let Some(scenario) = h.scenarios.get(cell.scenario) else {
                continue;
            };
            let settings = if scenario.settings.is_empty() {
                "every effect 0, the other parameters drawn from their priors".to_string()
            } else {
                scenario.settings.join(", ")
            };
            let _ = writeln!(out, "\n  scenario {}: {settings}", scenario.name);
            let width = 28;
            for a in cell.recommend.iter().filter(|a| {
                h.rules
                    .iter()
                    .any(|r| r.recommends.map(|k| &h.arms[k]) == Some(&a.arm))
            }) {
                let _ = writeln!(
                    out,
                    "    {:<width$}{}",
                    format!("recommend {}", a.arm),
                    p(&a.probability)
                );
            }
            let _ = writeln!(
                out,
                "    {:<width$}{}",
                "inconclusive",
                p(&cell.inconclusive)
            );
            for look in &cell.looks {
                let _ = writeln!(
                    out,
                    "    {:<width$}{}",
                    format!("stop after {} periods", look.after_periods),
                    p(&look.probability)
                );
            }
            let _ = writeln!(
                out,
                "    {:<width$}{} days, {} periods",
                "duration",
                x(&cell.duration_days, 1),
                x(&cell.duration_periods, 2)
            );
            for (i, rule) in h.rules.iter().enumerate() {
                if let Some(m) = cell.rules.get(i) {
                    let _ = writeln!(out, "    rule {}: {} fires {}", i + 1, rule.text, p(m));
                }
            }
            for e in &cell.effects {
                match (&e.bias, &e.rmse, &e.coverage) {
                    (Some(bias), Some(rmse), Some(coverage)) => {
                        let _ = writeln!(
                            out,
                            "    effect of {} on {}: bias {}, RMSE {}, {}% interval covers {} ({} replicates)",
                            e.arm,
                            e.outcome,
                            x(bias, 3),
                            x(rmse, 3),
                            num(h.interval * 100.0),
                            p(coverage),
                            e.n
                        );
                    }
                    _ => {
                        let _ = writeln!(
                            out,
                            "    effect of {} on {}: not estimated",
                            e.arm, e.outcome
                        );
                    }
                }
            }
            for o in &cell.outside_range {
                if o.diaries.estimate > 0.0 {
                    let bounds = h
                        .outcomes
                        .iter()
                        .position(|n| n == &o.outcome)
                        .and_then(|j| h.bounds.get(j).copied().flatten())
                        .map_or_else(String::new, |(lo, hi)| {
                            format!(" [{}, {}]", num(lo), num(hi))
                        });
                    let _ = writeln!(
                        out,
                        "    values of {} outside its range{bounds}: {} of values, {} of diaries",
                        o.outcome,
                        p(&o.values),
                        p(&o.diaries)
                    );
                }
            }
            if cell.analysed.estimate < 1.0 {
                let _ = writeln!(
                    out,
                    "    analysable (enough days on every arm): {}",
                    p(&cell.analysed)
                );
            }
            if !h.approximation && cell.convergence_warnings.estimate > 0.0 {
                let _ = writeln!(
                    out,
                    "    replicates with convergence warnings: {}",
                    p(&cell.convergence_warnings)
                );
            }
            if cell.failed_fits > 0 || cell.errors > 0 {
                let _ = writeln!(
                    out,
                    "    fits that failed: {}; replicates that could not be generated: {}",
                    cell.failed_fits, cell.errors
                );
            }
        }
    }
    if !sim.requirements.is_empty() {
        let _ = writeln!(out, "\nRequirements:");
        for r in &sim.requirements {
            let _ = writeln!(out, "  {}", r.text);
            for o in &r.designs {
                let label = h.designs.get(o.design).map_or("?", |d| d.label.as_str());
                let _ = writeln!(
                    out,
                    "    {label}: {} {}{}",
                    p(&o.probability),
                    if o.met { "met" } else { "not met" },
                    if o.settled {
                        ""
                    } else {
                        " (within two Monte Carlo errors of the threshold: more replicates would settle it)"
                    }
                );
            }
        }
        match &sim.shortest_design {
            Some(s) => {
                let _ = writeln!(
                    out,
                    "\nShortest design meeting every requirement: {} ({} days){}",
                    s.label,
                    s.total_days,
                    if s.settled {
                        ""
                    } else {
                        "; not every requirement is settled by the replicates"
                    }
                );
            }
            None => {
                let _ = writeln!(out, "\nNo design meets every requirement.");
            }
        }
    }
    if h.approximation {
        let _ = writeln!(
            out,
            "\nThese are operating characteristics of the Laplace approximation, not of the NUTS analysis the protocol specifies: confirm the chosen design with `--method nuts`."
        );
    }
    out
}
