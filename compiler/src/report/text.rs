//! The terminal report: trial and data, exclusions by reason, per outcome the
//! parameter table and the effects on their interpretable scale, the
//! decision rules, and the conclusion, for a clinician to read.
//!
//! Plain ASCII with aligned columns, so it survives any terminal, e-mail or
//! log file; convergence warnings are not printed here because the CLI
//! renders them against the spec (they are in `Report::diagnostics`).

use std::fmt::Write as _;

use super::decide::{num, prob_text, required};
use super::{EffectReport, Interval, OutcomeReport, ParamRow, Report};
use crate::analysis::convergence::fmt_stat;

/// The whole terminal report.
pub fn text(r: &Report) -> String {
    let mut out = String::new();
    trial(&mut out, r);
    data(&mut out, r);
    hypotheses(&mut out, r);
    for o in &r.outcomes {
        outcome(&mut out, o, r);
    }
    rules(&mut out, r);
    reported(&mut out, r);
    sensitivity(&mut out, r);
    loo(&mut out, r);
    let _ = writeln!(out, "Conclusion");
    for line in wrap(&r.conclusion.text, 76) {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out);
    let n = r.diagnostics.len();
    if let Some(note) = &r.approximation {
        let _ = writeln!(out, "Convergence: not applicable (no Markov chains).");
        for line in wrap(&format!("Note: {note}"), 78) {
            let _ = writeln!(out, "{line}");
        }
    } else if n == 0 {
        let _ = writeln!(
            out,
            "Convergence: no warnings (R-hat <= {}, bulk-ESS >= {:.0}, no divergences, no tree-depth saturation, E-BFMI >= {}).",
            super::RHAT_MAX,
            super::ESS_BULK_MIN,
            super::E_BFMI_MIN
        );
    } else {
        let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code).collect();
        let _ = writeln!(
            out,
            "Convergence: {n} warning{} ({}); see the messages against the spec.",
            if n == 1 { "" } else { "s" },
            codes.join(", ")
        );
    }
    out
}

fn trial(out: &mut String, r: &Report) {
    let t = &r.trial;
    let _ = writeln!(
        out,
        "Trial {}{}",
        t.id,
        t.title
            .as_ref()
            .map(|s| format!(": {s}"))
            .unwrap_or_default()
    );
    let meta: Vec<String> = [
        ("version", &t.version),
        ("sponsor", &t.sponsor),
        ("registry", &t.registry),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
    .collect();
    if !meta.is_empty() {
        let _ = writeln!(out, "  {}", meta.join("; "));
    }
    for a in &t.arms {
        let _ = writeln!(
            out,
            "  arm {}{}{}",
            a.name,
            if a.reference { " (reference)" } else { "" },
            a.description
                .as_ref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        );
    }
    let lengths = t.periods.iter().map(|p| p.last_day + 1 - p.first_day);
    let periods = match (t.period_days, lengths.clone().min(), lengths.max()) {
        (Some(1), _, _) => format!("{} periods of 1 day", t.periods.len()),
        (Some(days), _, _) => format!("{} periods of {days} days", t.periods.len()),
        (None, Some(shortest), Some(longest)) => format!(
            "{} periods of {shortest} to {longest} days",
            t.periods.len()
        ),
        (None, _, _) => "no periods".to_string(),
    };
    let _ = writeln!(
        out,
        "  design {}, {periods}, run-in {} days, washout {} days, {} blinding{}",
        t.design,
        t.run_in_days,
        t.washout_days,
        t.blinding,
        t.start
            .as_ref()
            .map(|s| format!(", day 1 = {s}"))
            .unwrap_or_default()
    );
    let seq: Vec<String> = t
        .periods
        .iter()
        .map(|p| {
            format!(
                "{}:{} (days {}-{})",
                p.number, p.arm, p.first_day, p.last_day
            )
        })
        .collect();
    // One-day periods (a design randomized per day) read better as one
    // letter a day, a week to a group, than as dozens of "(days 5-5)".
    let by_day = t.period_days == Some(1)
        && t.periods.len() > 1
        && t.periods
            .windows(2)
            .all(|w| w[1].first_day == w[0].last_day + 1);
    let letter = |arm: &str| {
        t.arms
            .iter()
            .position(|a| a.name == arm)
            .map_or("?".to_string(), |i| crate::schedule::pattern_letters(&[i]))
    };
    if t.realised {
        for line in wrap(
            "realised sequence: the diary's arm column, randomized outside trialc \
             (not trialc's randomization); its runs of one arm are the periods and \
             washout follows the switches actually taken",
            76,
        ) {
            let _ = writeln!(out, "  {line}");
        }
    }
    let sequence = if by_day {
        let letters: String = t.periods.iter().map(|p| letter(&p.arm)).collect();
        let weeks: Vec<&str> = letters
            .as_bytes()
            .chunks(7)
            .map(|w| std::str::from_utf8(w).unwrap_or("?"))
            .collect();
        let key: Vec<String> = t
            .arms
            .iter()
            .map(|a| format!("{} {}", letter(&a.name), a.name))
            .collect();
        format!(
            "sequence by day from day {} ({}): {}",
            t.periods.first().map_or(1, |p| p.first_day),
            key.join(", "),
            weeks.join(" ")
        )
    } else {
        format!("sequence {}", seq.join(", "))
    };
    for line in wrap(&sequence, 76) {
        let _ = writeln!(out, "  {line}");
    }
    if let Some(w) = &t.window {
        let _ = writeln!(
            out,
            "  analysis window days {}-{}; days outside it are recorded, not analysed",
            w.first_day, w.last_day
        );
    }
    let s = &r.settings;
    if r.approximation.is_some() {
        let _ = writeln!(
            out,
            "  method LAPLACE APPROXIMATION (not NUTS): {} iid draws at the posterior mode, seed {}",
            s.draws, s.seed
        );
    } else {
        let _ = writeln!(
            out,
            "  sampler NUTS, {} chains x ({} warmup + {} draws), seed {}{}{}",
            s.chains,
            s.warmup,
            s.draws,
            s.seed,
            if s.adapt_delta == 0.8 && s.max_depth == 10 {
                String::new()
            } else {
                format!(
                    ", adapt delta {}, max depth {}",
                    num(s.adapt_delta),
                    s.max_depth
                )
            },
            match (s.init == trialc_runtime::posterior::Init::Map, s.adapt) {
                (false, super::Adapt::Stan) => "",
                (true, super::Adapt::Stan) => {
                    ", chains started near the posterior mode (--init map)"
                }
                (false, super::Adapt::Nutpie) => {
                    ", nutpie warmup and displacement U-turn (--adapt nutpie)"
                }
                (true, super::Adapt::Nutpie) => {
                    ", chains started near the posterior mode (--init map), nutpie warmup and displacement U-turn (--adapt nutpie)"
                }
            }
        );
    }
    let _ = writeln!(out);
}

fn data(out: &mut String, r: &Report) {
    let d = &r.data;
    let _ = writeln!(out, "Data");
    let span = match (d.first_day, d.last_day) {
        (Some(a), Some(b)) => format!(", days {a}-{b}"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "  {} diary rows{span}; {} of {} periods complete",
        d.rows, d.periods_complete, d.periods_planned
    );
    if d.deviations.is_empty() {
        let _ = writeln!(
            out,
            "  arm deviations: {}",
            if r.trial.realised {
                "none (the arm column is the realised schedule)"
            } else if d.has_arm_column {
                "none (the arm column agrees with the schedule)"
            } else {
                "not recorded (no arm column; the schedule is assumed)"
            }
        );
    } else {
        let _ = writeln!(
            out,
            "  arm deviations ({} day{}, analysed as taken):",
            d.deviations.len(),
            if d.deviations.len() == 1 { "" } else { "s" }
        );
        for dev in &d.deviations {
            let _ = writeln!(
                out,
                "    day {}{}: scheduled {}, taken {}",
                dev.day,
                dev.date
                    .as_ref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default(),
                dev.scheduled.as_deref().unwrap_or("none (run-in)"),
                dev.taken.as_deref().unwrap_or("none")
            );
        }
    }
    let _ = writeln!(out);
}

fn outcome(out: &mut String, o: &OutcomeReport, r: &Report) {
    let mut tags = vec![
        if o.primary { "primary" } else { "secondary" }.to_string(),
        o.kind.to_string(),
    ];
    tags.push(format!("better {}", o.better));
    if let Some(m) = o.mcid {
        let unit = o.unit.as_deref().unwrap_or("units");
        // "1 points" reads wrong: a plural unit loses its `s` at exactly 1.
        let unit = if m == 1.0 {
            unit.strip_suffix('s').unwrap_or(unit)
        } else {
            unit
        };
        tags.push(format!("MCID {} {unit}", num(m)));
    }
    let _ = writeln!(out, "Outcome {} ({})", o.name, tags.join(", "));
    if let Some(d) = &o.description {
        let _ = writeln!(out, "  {d}");
    }
    let a = &o.analysis;
    let per_arm: Vec<String> = a
        .per_arm
        .iter()
        .map(|c| format!("{} {}", c.arm, c.days))
        .collect();
    let _ = writeln!(
        out,
        "  analysed {} of {} {}s: {}",
        a.analysed,
        a.days,
        a.unit,
        per_arm.join(", ")
    );
    if a.exclusions.is_empty() {
        let _ = writeln!(out, "  nothing excluded, nothing missing");
    }
    for e in &a.exclusions {
        // With a clock a day may count several values: each day once here.
        let mut days = e.days.clone();
        days.dedup();
        let what = match e.reason {
            "missing" => "missing (scheduled, not recorded)",
            "not reached" => "not reached yet (scheduled after the diary's last day)",
            "not scheduled" => "not scheduled (no value on a day it is not measured)",
            "outside window" => "outside the analysis window",
            "arm unknown" => "arm unknown (between periods)",
            other => other,
        };
        for (i, line) in wrap(
            &format!(
                "{} {}",
                if days.len() == 1 { "day" } else { "days" },
                day_ranges(&days)
            ),
            56,
        )
        .into_iter()
        .enumerate()
        {
            if i == 0 {
                let _ = writeln!(out, "  {:<34} {:>4}  {line}", format!("{what}:"), e.count);
            } else {
                let _ = writeln!(out, "  {:<34} {:>4}  {line}", "", "");
            }
        }
    }
    let _ = writeln!(out);
    // A latent AR(1)'s innovations (one per analysed value) are summarised
    // in one line rather than listed.
    let innovations = o.latent_ar1.as_ref().map(|l| l.innovations.as_str());
    let rows: Vec<ParamRow> = o
        .parameters
        .iter()
        .filter(|p| Some(p.parameter.as_str()) != innovations)
        .cloned()
        .collect();
    table(out, &rows, r.approximation.is_some(), r.reported.interval);
    let mut notes = Vec::new();
    if let Some(l) = &o.latent_ar1 {
        notes.push(if r.approximation.is_some() {
            format!(
                "{}[1..{}]: the latent AR(1)'s standard-normal innovations (not listed)",
                l.innovations, l.elements
            )
        } else {
            format!(
                "{}[1..{}]: the latent AR(1)'s standard-normal innovations (not listed; worst R-hat {}, lowest bulk-ESS {})",
                l.innovations,
                l.elements,
                fmt_stat(l.worst_rhat, 3),
                fmt_stat(l.lowest_ess_bulk, 0)
            )
        });
    }
    if let Some(t) = &o.trend {
        notes.push(format!(
            "trend: change per {} days, centred on day {} (the mean analysed day), where the intercept is the reference arm's level",
            t.per_days,
            num(t.centre_day)
        ));
    }
    for c in &o.covariates {
        notes.push(if c.standardised {
            format!(
                "{}: per SD of `{}`, standardised with the analysed days' mean {} and SD {}",
                c.parameter,
                c.column,
                num(c.centre),
                num(c.scale)
            )
        } else {
            format!(
                "{}: per unit of `{}`, centred on the analysed days' mean {}",
                c.parameter,
                c.column,
                num(c.centre)
            )
        });
    }
    let clock = o.clock.as_deref().unwrap_or("day");
    if let Some(l) = &o.lag {
        notes.push(format!(
            "{}: the previous recorded {} (centred on {}), weighted {}^g across a gap of g {clock}s",
            l.parameter,
            o.name,
            num(l.centre),
            l.parameter
        ));
    }
    if let Some(c) = &o.clock {
        notes.push(format!(
            "the serial terms count time in `{c}`, the diary's own clock, not in trial days"
        ));
    }
    let carry = &o.carryover;
    match carry.method {
        "washout excluded" => notes.push(format!(
            "carryover: the washout days ({} after each switch) are excluded",
            carry.washout_days
        )),
        "exponential decay" => notes.push(match &carry.half_life {
            Some(h) => format!(
                "carryover: the previous arm's effect fades as exp(-rate x day of the period), half-life {} days ({} to {}); washout days are analysed",
                val(h.median),
                val(h.lower),
                val(h.upper)
            ),
            None => "carryover: the previous arm's effect fades exponentially; washout days are analysed".into(),
        }),
        "constant terms" => notes.push(
            "carryover: a constant term per arm on the periods that follow it (`carryover modelled`)".into(),
        ),
        _ => {}
    }
    for note in notes {
        for (i, line) in wrap(&note, 76).into_iter().enumerate() {
            let _ = writeln!(out, "  {}{line}", if i == 0 { "" } else { "  " });
        }
    }
    let reference = r
        .trial
        .arms
        .iter()
        .find(|a| a.reference)
        .map_or("the reference", |a| a.name.as_str());
    if !o.effects.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  Effects against {reference} (posterior {} and {} interval unless stated):",
            r.reported.estimate,
            percent(r.reported.interval)
        );
        for e in &o.effects {
            effect(out, e, o, reference, r.reported.estimate);
        }
    }
    let s = &o.sampler;
    if r.approximation.is_some() {
        let _ = writeln!(
            out,
            "  Laplace approximation: R-hat and ESS not applicable (iid draws); MCSE = sd / sqrt(draws)"
        );
    } else {
        let _ = writeln!(
            out,
            "  sampler: {} divergences, {} at max tree depth, E-BFMI {}",
            s.divergences,
            s.max_treedepth_hits,
            s.e_bfmi
                .iter()
                .map(|v| fmt_stat(*v, 2))
                .collect::<Vec<_>>()
                .join(" / ")
        );
    }
    if let Some(note) = &s.init_note {
        for line in wrap(&format!("warning: {note}"), 76) {
            let _ = writeln!(out, "  {line}");
        }
    }
    if let Some(check) = &o.predictive_check {
        for (i, line) in wrap(&format!("predictive check: {}", check.summary), 76)
            .into_iter()
            .enumerate()
        {
            let _ = writeln!(out, "  {}{line}", if i == 0 { "" } else { "  " });
        }
    }
    let _ = writeln!(out);
}

/// A value for a table cell: more decimals for small magnitudes.
pub(super) fn val(v: f64) -> String {
    // Very large or very small magnitudes in exponent notation with three
    // significant digits: 1e300 is not 301 digits, 2e-5 is not "0.000".
    if v.is_finite() && v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        return format!("{v:.2e}");
    }
    let digits = if !v.is_finite() || v.abs() >= 100.0 {
        1
    } else if v.abs() >= 1.0 {
        2
    } else {
        3
    };
    let s = fmt_stat(v, digits);
    // "-0.000" reads as a sign that is not there.
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// `approximate`: iid draws (Laplace), whose R-hat and ESS are `n/a`.
fn table(out: &mut String, rows: &[ParamRow], approximate: bool, level: f64) {
    let stat = |v: f64, digits: usize| {
        if approximate {
            "n/a".to_string()
        } else {
            fmt_stat(v, digits)
        }
    };
    let tails = [percent((1.0 - level) / 2.0), percent((1.0 + level) / 2.0)];
    let header = [
        "parameter",
        "mean",
        "sd",
        tails[0].as_str(),
        tails[1].as_str(),
        "R-hat",
        "ESS-bulk",
        "ESS-tail",
        "MCSE",
        "prior",
    ];
    // Long priors (mixtures, LFM hypotheses) go below the table as numbered
    // notes so the numeric columns stay within a terminal's width; a vector
    // parameter shows its prior on its first element only.
    let mut notes: Vec<String> = Vec::new();
    let mut previous: Option<&str> = None;
    let cells: Vec<[String; 10]> = rows
        .iter()
        .map(|p| {
            let prior = if p.prior_default {
                format!("{} (default)", p.prior)
            } else {
                p.prior.clone()
            };
            let prior = if previous == Some(p.parameter.as_str()) {
                String::new()
            } else if prior.len() > PRIOR_WIDTH {
                notes.push(format!("[{}] {} ~ {prior}", notes.len() + 1, p.parameter));
                format!("see [{}]", notes.len())
            } else {
                prior
            };
            previous = Some(p.parameter.as_str());
            [
                p.name.clone(),
                val(p.mean),
                val(p.sd),
                val(p.lower),
                val(p.upper),
                stat(p.rhat, 3),
                stat(p.ess_bulk, 0),
                stat(p.ess_tail, 0),
                val(p.mcse_mean),
                prior,
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.len());
        }
    }
    let line = |cols: [&str; 10]| -> String {
        let mut s = String::from("  ");
        for (i, (c, w)) in cols.iter().zip(width).enumerate() {
            match i {
                0 => s.push_str(&format!("{c:<w$}")),
                9 => s.push_str(&format!("  {c}")),
                _ => s.push_str(&format!("  {c:>w$}")),
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(header));
    for row in &cells {
        let cols: [&str; 10] = std::array::from_fn(|i| row[i].as_str());
        let _ = writeln!(out, "{}", line(cols));
    }
    for note in notes {
        for (i, l) in wrap(&note, 74).into_iter().enumerate() {
            let _ = writeln!(out, "  {}{l}", if i == 0 { "" } else { "    " });
        }
    }
}

/// Priors longer than this are printed as notes below the parameter table.
const PRIOR_WIDTH: usize = 32;

/// A probability as a percentage: `90%`, `2.5%`, `97.5%`.
pub(super) fn percent(p: f64) -> String {
    format!("{}%", num((p * 100.0 * 1e6).round() / 1e6))
}

/// The point estimate (`mean` or `median`) and the central interval.
fn interval(i: &Interval, estimate: &str) -> String {
    let centre = if estimate == "median" {
        i.median
    } else {
        i.mean
    };
    format!("{} ({} to {})", val(centre), val(i.lower), val(i.upper))
}

fn effect(out: &mut String, e: &EffectReport, o: &OutcomeReport, reference: &str, estimate: &str) {
    let unit = o.unit.as_deref().unwrap_or("units");
    let better = if o.better == "lower" {
        "lower"
    } else {
        "higher"
    };
    match e.measure {
        "difference in means" => {
            let _ = writeln!(
                out,
                "    {}: difference in mean {} {} {unit}",
                e.arm,
                o.name,
                interval(&e.effect, estimate)
            );
        }
        measure => {
            // Ratios are skewed: the median (= exp of the effect's median)
            // is the honest point estimate, not the mean of exp(effect).
            let i = &e.interpretable;
            let _ = writeln!(
                out,
                "    {}: {measure} {} (median; {} interval {} to {})",
                e.arm,
                val(i.median),
                percent(i.level),
                val(i.lower),
                val(i.upper)
            );
            let _ = writeln!(out, "      ({} {})", e.scale, interval(&e.effect, estimate));
        }
    }
    if let Some(rd) = &e.risk_difference {
        let _ = writeln!(
            out,
            "      risk difference {} at {reference}'s level mid-trial",
            interval(rd, estimate)
        );
    }
    let _ = writeln!(
        out,
        "      P({better} {} on {} than on {reference}) = {}",
        o.name,
        e.arm,
        prob_text(Some(e.p_better))
    );
    if let (Some(h), Some(prior)) = (&e.hypothesis, &e.prior) {
        for line in wrap(
            &format!(
                "prior vs posterior ({}): prior {h} tempered {} ({}{} to {}), posterior {}",
                e.scale,
                val(prior.mean),
                // The prior's interval is always the 90% one.
                if e.effect.level == 0.9 { "" } else { "90%: " },
                val(prior.q5),
                val(prior.q95),
                interval(&e.effect, estimate)
            ),
            70,
        ) {
            let _ = writeln!(out, "      {line}");
        }
    }
    if let Some(c) = &e.prior_conflict {
        let verdict = if c.conflict {
            "the data pulled weight onto the vague component: they conflict with the hypothesis"
        } else {
            "the data do not conflict with the hypothesis"
        };
        for line in wrap(
            &format!(
                "robust prior {}: weight of the vague component {} before the data, {} after (MCSE {}); {verdict}",
                c.hypothesis,
                num(c.prior_vague_weight),
                fmt_stat(c.posterior_vague_weight, 2),
                fmt_stat(c.posterior_vague_weight_mcse, 3)
            ),
            70,
        ) {
            let _ = writeln!(out, "      {line}");
        }
    }
}

fn rules(out: &mut String, r: &Report) {
    let _ = writeln!(out, "Decision rules");
    if r.rules.is_empty() {
        let _ = writeln!(out, "  (the spec has no decision rules)");
    }
    for rule in &r.rules {
        let head = match (&rule.recommends, rule.after_periods) {
            (Some(arm), _) => format!("recommend {arm} if {}", rule.statement),
            (None, Some(n)) => format!("stop early if {} after {n} periods", rule.statement),
            (None, None) => format!("stop early if {}", rule.statement),
        };
        let _ = writeln!(out, "  {head}");
        let verdict = if rule.fires { "FIRES" } else { "does not fire" };
        let single = rule.conditions.len() == 1;
        for c in &rule.conditions {
            let outcome = if single {
                verdict
            } else if c.met {
                "met"
            } else {
                "not met"
            };
            match (c.statement.probability, c.statement.mcse) {
                (Some(p), Some(se)) => {
                    let _ = writeln!(
                        out,
                        "    {}P = {:.3} +/- {:.3} (MCSE); required {} {}: {outcome}",
                        if single {
                            String::new()
                        } else {
                            format!("P({}): ", c.statement.statement)
                        },
                        p,
                        se,
                        c.required_comparison,
                        required(c.required_probability)
                    );
                }
                _ => {
                    let _ = writeln!(out, "    P not available: {outcome}");
                }
            }
            for line in wrap(&format!("({})", c.statement.meaning), 72) {
                let _ = writeln!(out, "    {line}");
            }
        }
        if !single {
            let _ = writeln!(out, "    all conditions together: {verdict}");
        }
        if let Some(note) = &rule.note {
            for line in wrap(note, 72) {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    let _ = writeln!(out);
}

/// The `report` block's quantities: probabilities and summaries the
/// protocol pre-specifies without a decision.
fn reported(out: &mut String, r: &Report) {
    let rep = &r.reported;
    if rep.probabilities.is_empty() && rep.quantities.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Reported quantities (pre-specified; they decide nothing)"
    );
    for p in &rep.probabilities {
        match (p.probability, p.mcse) {
            (Some(v), Some(se)) => {
                let _ = writeln!(out, "  P({}) = {v:.3} +/- {se:.3} (MCSE)", p.statement);
            }
            _ => {
                let _ = writeln!(out, "  P({}): not available", p.statement);
            }
        }
        for line in wrap(&format!("({})", p.meaning), 72) {
            let _ = writeln!(out, "    {line}");
        }
        if let Some(note) = &p.note {
            let _ = writeln!(out, "    {note}");
        }
    }
    for q in &rep.quantities {
        match &q.summary {
            Some(i) => {
                // Ratios are skewed: their median is the honest estimate.
                let median = rep.estimate == "median" || q.scale.ends_with("ratio");
                let _ = writeln!(
                    out,
                    "  {}: {} {}, {} interval {} to {}",
                    q.quantity,
                    if median { "median" } else { "mean" },
                    val(if median { i.median } else { i.mean }),
                    percent(i.level),
                    val(i.lower),
                    val(i.upper)
                );
                if let Some(p) = q.p_better {
                    let _ = writeln!(
                        out,
                        "    P(favours {} over {}) = {}",
                        q.arm,
                        q.versus,
                        prob_text(Some(p))
                    );
                }
            }
            None => {
                let _ = writeln!(
                    out,
                    "  {}: {}",
                    q.quantity,
                    q.note.as_deref().unwrap_or("not available")
                );
            }
        }
    }
    let _ = writeln!(out);
}

/// `1-7, 22-24, 30`.
pub fn day_ranges(days: &[u64]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while let Some(&start) = days.get(i) {
        let mut end = start;
        while days.get(i + 1) == Some(&(end + 1)) {
            end += 1;
            i += 1;
        }
        parts.push(if end == start {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

/// Greedy word wrap at `width` columns.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn hypotheses(out: &mut String, r: &Report) {
    for h in &r.hypotheses {
        let _ = writeln!(out, "Hypotheses `{}` ({})", h.source, h.path);
        let _ = writeln!(
            out,
            "  generated by {} {} on {}{}",
            h.generator_model,
            h.generator_version,
            h.created,
            h.participant
                .as_ref()
                .map(|p| format!(" for participant {p}"))
                .unwrap_or_default()
        );
        let _ = writeln!(out, "  prompt sha256 {}", h.prompt_sha256);
        for u in &h.hypotheses {
            let used = if u.used_by.is_empty() {
                "not used".to_string()
            } else {
                format!("prior of {}", u.used_by.join(", "))
            };
            let _ = writeln!(
                out,
                "  {} (rank {}): {} on {}, effect {} (sd {}); {used}",
                u.id,
                u.rank,
                u.intervention,
                u.outcome,
                num(u.mean),
                num(u.sd)
            );
            if let Some(rationale) = u.rationale.as_deref().filter(|r| !r.trim().is_empty()) {
                for line in wrap(&format!("rationale: {rationale}"), 72) {
                    let _ = writeln!(out, "      {line}");
                }
            }
        }
        let _ = writeln!(out);
    }
}

/// The decision rules under the LFM prior and under the sceptical reference
/// prior (each hypothesis prior replaced by its vague component), side by side.
fn sensitivity(out: &mut String, r: &Report) {
    let Some(s) = &r.sensitivity else {
        return;
    };
    let _ = writeln!(out, "Sensitivity to the LFM prior");
    for line in wrap(
        "The same rules under the sceptical reference prior: each prior from an LFM hypothesis replaced by its vague component alone, fitted again with the same settings.",
        76,
    ) {
        let _ = writeln!(out, "  {line}");
    }
    for replaced in &s.replaced {
        for line in wrap(replaced, 74) {
            let _ = writeln!(out, "    {line}");
        }
    }
    if !s.not_refitted.is_empty() {
        let text = format!(
            "Not refitted, as no decision rule reads them: {} (their priors and posteriors are in their own sections).",
            s.not_refitted.join(", ")
        );
        for line in wrap(&text, 76) {
            let _ = writeln!(out, "  {line}");
        }
    }
    let p = |rule: &crate::analysis::sensitivity::SensitivityRule, lfm: bool| {
        let fires = if lfm {
            rule.fires_lfm
        } else {
            rule.fires_sceptical
        };
        format!(
            "P = {} {}",
            rule.probabilities(lfm),
            if fires { "FIRES" } else { "does not fire" }
        )
    };
    for rule in &s.rules {
        let head = match (&rule.recommends, rule.after_periods) {
            (Some(arm), _) => format!("recommend {arm} if {}", rule.statement),
            (None, Some(n)) => format!("stop early if {} after {n} periods", rule.statement),
            (None, None) => format!("stop early if {}", rule.statement),
        };
        let _ = writeln!(out, "  {head}");
        let _ = writeln!(out, "    LFM prior:       {}", p(rule, true));
        let _ = writeln!(out, "    sceptical prior: {}", p(rule, false));
    }
    if s.depends_on_lfm_prior {
        let _ = writeln!(out, "  !! THE DECISION DEPENDS ON THE LFM PRIOR");
    }
    for line in wrap(&s.verdict, 76) {
        let _ = writeln!(out, "  {line}");
    }
    if !s.convergence_warnings.is_empty() {
        let n = s.convergence_warnings.len();
        for line in wrap(
            &format!(
                "The sceptical refit had {n} convergence warning{}: its probabilities are provisional.",
                if n == 1 { "" } else { "s" }
            ),
            76,
        ) {
            let _ = writeln!(out, "  {line}");
        }
    }
    let _ = writeln!(out);
}

/// Each `--compare-loo`: both models' elpd_loo, p_loo and k-hat
/// diagnostics, the paired difference and the verdict.
fn loo(out: &mut String, r: &Report) {
    for c in &r.loo {
        let _ = writeln!(
            out,
            "Leave-one-out comparison: {} (PSIS-LOO, {} draws, {} observations)",
            c.outcome, c.draws, c.observations
        );
        let _ = writeln!(
            out,
            "  {:<34} {:>9} {:>7} {:>7}  k-hat > {:.2}",
            "model", "elpd_loo", "SE", "p_loo", c.k_threshold
        );
        for (m, whose) in [(&c.model, " (the spec's)"), (&c.alternative, "")] {
            let high = if m.high_k.is_empty() {
                "0".to_string()
            } else {
                let days: Vec<String> = m.high_k.iter().map(|h| h.day.to_string()).collect();
                format!(
                    "{} (day{} {})",
                    m.high_k.len(),
                    if days.len() == 1 { "" } else { "s" },
                    days.join(", ")
                )
            };
            let _ = writeln!(
                out,
                "  {:<34} {:>9.1} {:>7.1} {:>7.1}  {high}",
                format!("{}{whose}", m.description),
                m.elpd_loo,
                m.se,
                m.p_loo
            );
        }
        let _ = writeln!(
            out,
            "  difference (the spec's - the alternative): {:.1} +/- {:.1}",
            c.elpd_diff, c.se_diff
        );
        for line in wrap(&c.verdict, 76) {
            let _ = writeln!(out, "  {line}");
        }
        if c.few_observations && c.reliable {
            for line in wrap(
                "With fewer than 100 observations the SE of the difference is a rough guide (Sivula et al. 2025).",
                76,
            ) {
                let _ = writeln!(out, "  {line}");
            }
        }
        if !c.convergence_warnings.is_empty() {
            let n = c.convergence_warnings.len();
            for line in wrap(
                &format!(
                    "The alternative's fit had {n} convergence warning{}: its elpd_loo is provisional.",
                    if n == 1 { "" } else { "s" }
                ),
                76,
            ) {
                let _ = writeln!(out, "  {line}");
            }
        }
        let _ = writeln!(out);
    }
}

#[cfg(test)]
mod tests {
    use super::val;

    /// Report numbers stay short and honest at any magnitude.
    #[test]
    fn values_at_any_magnitude() {
        let cases: &[(f64, &str)] = &[
            (1e300, "1.00e300"),
            (-2.5e7, "-2.50e7"),
            (123456.0, "123456.0"),
            (4.27, "4.27"),
            (-0.859, "-0.859"),
            (0.0012, "0.001"),
            (2e-5, "2.00e-5"),
            (-0.0, "0.000"),
            (0.0, "0.000"),
            (f64::NAN, "NaN"),
        ];
        for &(v, want) in cases {
            assert_eq!(val(v), want, "{v:e}");
        }
        assert!(val(f64::MAX).len() <= 10);
    }
}
