//! Renderings of a [`Schedule`]: a table for people, CSV and JSON for
//! programs, iCalendar for the participant's calendar, and the blinding key.
//!
//! All are pure functions returning a `String`. The blinded [`View`] shows
//! "Treatment N" codes instead of arms and leaves out everything that would
//! tie a code to an arm (names, descriptions, the reference marker, the
//! declaration-order letters of a fixed pattern); [`blinding_key`] is the
//! separate document that does tie them, for the pharmacy.

use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::blinding::label;
use super::{pattern_letters, Design, Phase, Schedule, ScheduleError};

/// Whether arms are shown by name or by blinding code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Open,
    Blinded,
}

/// Version tag of the JSON document; bump it when a field changes meaning.
pub const JSON_FORMAT: &str = "trialc-schedule/1";

/// Local hour of the measurement reminders in the calendar (evening diary).
pub const REMINDER_HOUR: u32 = 19;

fn arm_label(s: &Schedule, arm: usize, view: View) -> String {
    match view {
        View::Open => s
            .arms
            .get(arm)
            .map_or_else(|| "?".into(), |a| a.name.clone()),
        View::Blinded => s.codes.label_of_arm(arm),
    }
}

fn design_label(s: &Schedule, view: View) -> String {
    match (&s.design, view) {
        // The letters follow declaration order, so together with the coded
        // sequence they would reveal which code is which arm.
        (Design::Fixed(_), View::Blinded) => "fixed pattern".into(),
        (design, _) => design.name(),
    }
}

fn date_string(date: Option<NaiveDate>) -> String {
    date.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `1-3, 7, 9-10`: sorted distinct days as ranges.
pub fn day_ranges(days: &[u64]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j + 1] == days[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            days[i].to_string()
        } else {
            format!("{}-{}", days[i], days[j])
        });
        i = j + 1;
    }
    parts.join(", ")
}

fn span(first: u64, last: u64) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first}-{last}")
    }
}

fn date_span(s: &Schedule, first: u64, last: u64) -> String {
    match (s.date_of_day(first), s.date_of_day(last)) {
        (Some(a), _) if first == last => date_string(Some(a)),
        (Some(a), Some(b)) => format!("{} to {}", date_string(Some(a)), date_string(Some(b))),
        _ => String::new(),
    }
}

/// Left-aligned columns separated by two spaces, trailing blanks trimmed.
fn columns(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < row.len() {
                let pad = widths[c] - cell.chars().count() + 2;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `14 days`, `1 day`, `7 to 14 days` (periods of unequal length).
pub fn period_length(s: &Schedule) -> String {
    match (s.period_days(), s.period_range()) {
        (Some(days), _) => plural(days, "day", "days"),
        (None, Some((shortest, longest))) => format!("{shortest} to {longest} days"),
        (None, None) => "no days".into(),
    }
}

/// The schedule as a table for people.
pub fn table(s: &Schedule, view: View) -> String {
    let mut out = String::new();
    let k = s.n_arms() as u64;
    let _ = writeln!(out, "Schedule for trial \"{}\"", s.trial_id);
    let mut design = if s.is_realised() {
        format!(
            "Sequence: {}, the diary's runs of one arm: {} of {}",
            design_label(s, view),
            plural(s.periods.len() as u64, "period", "periods"),
            period_length(s),
        )
    } else {
        format!(
            "Sequence: {}, {} x {} = {} of {}",
            design_label(s, view),
            plural(s.n_cycles(), "cycle", "cycles"),
            plural(k, "arm", "arms"),
            plural(s.periods.len() as u64, "period", "periods"),
            period_length(s),
        )
    };
    if let Some(m) = s.max_run {
        let _ = write!(design, ", at most {m} consecutive on one arm");
    }
    let _ = writeln!(out, "{design}");
    if s.is_realised() {
        let _ = writeln!(
            out,
            "Randomization: outside trialc; this is the realised sequence the diary records"
        );
    } else if s.design.is_randomized() {
        // The seed recomputes the blinding codes, so a blinded view omits it.
        let seed = match view {
            View::Open => format!(", seed {}", s.seed),
            View::Blinded => String::new(),
        };
        let _ = writeln!(
            out,
            "Randomization: drawn uniformly from {} admissible sequences (ChaCha20{seed})",
            s.admissible_count
        );
    } else {
        let _ = writeln!(
            out,
            "Randomization: none, the design fixes the sequence ({} admissible sequence)",
            s.admissible_count
        );
    }
    let _ = writeln!(
        out,
        "Blinding: {}{}",
        s.blinding.name(),
        match view {
            View::Open => " (open view: arms named; do not show a blinded participant)",
            View::Blinded => " (blinded view: arms coded; the key is a separate document)",
        }
    );
    if s.run_in_days > 0 {
        let dates = date_span(s, 1, s.run_in_days);
        let _ = writeln!(
            out,
            "Run-in: days {}{}, no study treatment, not analysed for effect",
            span(1, s.run_in_days),
            if dates.is_empty() {
                String::new()
            } else {
                format!(" ({dates})")
            }
        );
    }
    if s.washout_days > 0 {
        let _ = writeln!(
            out,
            "Washout: first {} of each period that follows a switch of arm, not analysed",
            plural(s.washout_days, "day", "days")
        );
    }
    if let Some(w) = s.window {
        let _ = writeln!(
            out,
            "Analysis window: days {}; days outside it are recorded, not analysed",
            span(w.first_day, w.last_day)
        );
    }
    let dates = date_span(s, 1, s.total_days);
    let _ = writeln!(
        out,
        "Total: {}{}",
        plural(s.total_days, "day", "days"),
        if dates.is_empty() {
            String::new()
        } else {
            format!(" ({dates})")
        }
    );
    out.push('\n');

    let mut rows = vec![vec![
        "Period".to_string(),
        "Cycle".into(),
        "Arm".into(),
        "Days".into(),
        "Dates".into(),
        "Washout".into(),
        "Analysed".into(),
    ]];
    if s.run_in_days > 0 {
        rows.push(vec![
            "run-in".into(),
            String::new(),
            "(none)".into(),
            span(1, s.run_in_days),
            date_span(s, 1, s.run_in_days),
            String::new(),
            "not analysed".into(),
        ]);
    }
    for p in &s.periods {
        rows.push(vec![
            p.number.to_string(),
            p.cycle.to_string(),
            arm_label(s, p.arm, view),
            span(p.first_day, p.last_day),
            date_span(s, p.first_day, p.last_day),
            if p.washout_days == 0 {
                "-".into()
            } else {
                span(p.first_day, p.first_analysed_day() - 1)
            },
            format!(
                "{} ({})",
                span(p.first_analysed_day(), p.last_day),
                plural(p.analysed_days(), "day", "days")
            ),
        ]);
    }
    out.push_str(&columns(&rows));

    out.push_str("\nArms\n");
    let mut arm_rows = Vec::new();
    match view {
        View::Open => {
            for (i, arm) in s.arms.iter().enumerate() {
                let mut description = arm.description.clone().unwrap_or_default();
                if i == s.reference {
                    description.push_str(if description.is_empty() {
                        "(reference)"
                    } else {
                        " (reference)"
                    });
                }
                arm_rows.push(vec![
                    format!("  {}", pattern_letters(&[i])),
                    arm.name.clone(),
                    description,
                ]);
            }
        }
        View::Blinded => {
            for code in 0..s.codes.len() {
                arm_rows.push(vec![format!("  {}", label(code))]);
            }
        }
    }
    out.push_str(&columns(&arm_rows));

    if !s.outcomes.is_empty() {
        out.push_str("\nMeasurements\n");
        for o in &s.outcomes {
            let _ = writeln!(
                out,
                "  {} ({}): {}, days {}",
                o.name,
                o.measured.name(),
                plural(o.days.len() as u64, "day", "days"),
                day_ranges(&o.days)
            );
        }
    }
    out
}

/// RFC 4180 quoting: only when a field needs it.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// One row per trial day: `day,date,period,arm,phase` and one 0/1 column per
/// outcome (1 = measured that day). `date` is empty without a start date;
/// `period` and `arm` are empty during run-in. CRLF line endings (RFC 4180).
pub fn csv(s: &Schedule, view: View) -> String {
    let mut header: Vec<String> = ["day", "date", "period", "arm", "phase"]
        .iter()
        .map(|h| h.to_string())
        .collect();
    header.extend(s.outcomes.iter().map(|o| o.name.clone()));
    let mut out = String::new();
    let line = |fields: &[String]| -> String {
        let cells: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        format!("{}\r\n", cells.join(","))
    };
    out.push_str(&line(&header));
    for day in 1..=s.total_days {
        let period = s.period_of_day(day);
        let mut row = vec![
            day.to_string(),
            date_string(s.date_of_day(day)),
            period.map(|p| p.number.to_string()).unwrap_or_default(),
            period
                .map(|p| arm_label(s, p.arm, view))
                .unwrap_or_default(),
            s.phase_on_day(day).map_or("", Phase::name).to_string(),
        ];
        for o in &s.outcomes {
            let measured = o.days.binary_search(&day).is_ok();
            row.push(if measured { "1" } else { "0" }.to_string());
        }
        out.push_str(&line(&row));
    }
    out
}

#[derive(Serialize)]
struct JsonDoc {
    format: &'static str,
    view: &'static str,
    trial_id: String,
    design: String,
    randomized: bool,
    /// Decimal string: it may exceed what JSON numbers carry exactly.
    admissible_sequences: String,
    generator: &'static str,
    /// Absent from the blinded view: the seed recomputes the blinding codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    blinding: &'static str,
    max_run: Option<u64>,
    run_in_days: u64,
    /// `null` when the periods differ in length (each period has its days).
    period_days: Option<u64>,
    washout_days: u64,
    total_days: u64,
    start_date: Option<String>,
    end_date: Option<String>,
    /// Only when the spec gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis_window: Option<JsonWindow>,
    arms: Vec<JsonArm>,
    periods: Vec<JsonPeriod>,
    outcomes: Vec<JsonOutcome>,
}

#[derive(Serialize)]
struct JsonWindow {
    first_day: u64,
    last_day: u64,
}

#[derive(Serialize)]
struct JsonArm {
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    letter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<bool>,
}

#[derive(Serialize)]
struct JsonPeriod {
    period: u64,
    cycle: u64,
    arm: String,
    first_day: u64,
    last_day: u64,
    first_date: Option<String>,
    last_date: Option<String>,
    washout_days: u64,
    first_analysed_day: u64,
    analysed_days: u64,
}

#[derive(Serialize)]
struct JsonOutcome {
    name: String,
    measured: String,
    days: Vec<u64>,
}

/// The schedule as JSON (`"format": "trialc-schedule/1"`). Field names are
/// stable; `arm` is the arm's name in the open view and its code in the
/// blinded one.
pub fn json(s: &Schedule, view: View) -> String {
    let opt_date = |day: u64| s.date_of_day(day).map(|d| date_string(Some(d)));
    let arms = match view {
        View::Open => s
            .arms
            .iter()
            .enumerate()
            .map(|(i, a)| JsonArm {
                label: a.name.clone(),
                letter: Some(pattern_letters(&[i])),
                description: a.description.clone(),
                reference: Some(i == s.reference),
            })
            .collect(),
        View::Blinded => (0..s.codes.len())
            .map(|c| JsonArm {
                label: label(c),
                letter: None,
                description: None,
                reference: None,
            })
            .collect(),
    };
    let doc = JsonDoc {
        format: JSON_FORMAT,
        view: match view {
            View::Open => "open",
            View::Blinded => "blinded",
        },
        trial_id: s.trial_id.clone(),
        design: design_label(s, view),
        randomized: s.design.is_randomized(),
        admissible_sequences: s.admissible_count.to_string(),
        generator: "ChaCha20/trialc-schedule-v1",
        seed: match view {
            View::Open => Some(s.seed),
            View::Blinded => None,
        },
        blinding: s.blinding.name(),
        max_run: s.max_run,
        run_in_days: s.run_in_days,
        period_days: s.period_days(),
        washout_days: s.washout_days,
        total_days: s.total_days,
        start_date: opt_date(1),
        end_date: opt_date(s.total_days),
        analysis_window: s.window.map(|w| JsonWindow {
            first_day: w.first_day,
            last_day: w.last_day,
        }),
        arms,
        periods: s
            .periods
            .iter()
            .map(|p| JsonPeriod {
                period: p.number,
                cycle: p.cycle,
                arm: arm_label(s, p.arm, view),
                first_day: p.first_day,
                last_day: p.last_day,
                first_date: opt_date(p.first_day),
                last_date: opt_date(p.last_day),
                washout_days: p.washout_days,
                first_analysed_day: p.first_analysed_day(),
                analysed_days: p.analysed_days(),
            })
            .collect(),
        outcomes: s
            .outcomes
            .iter()
            .map(|o| JsonOutcome {
                name: o.name.clone(),
                measured: o.measured.name(),
                days: o.days.clone(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc)
        .expect("a document of strings, integers and lists always serializes");
    text.push('\n');
    text
}

/// RFC 5545 TEXT escaping.
fn ics_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded so no physical line exceeds 75 octets (RFC 5545
/// §3.1), never inside a UTF-8 character, each ending in CRLF.
pub fn fold_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > 75 {
            out.push_str("\r\n ");
            used = 1; // the leading space of the continuation line
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
    out
}

fn ics_date(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// Stable identifier of this trial's calendar, so re-importing an updated
/// file replaces its events instead of doubling them. The open view derives
/// it from trial id and seed. The blinded view leaves the seed out: seeds are
/// often low-entropy (a date), so anything computed from one, even a hash,
/// lets a participant search for the seed and recompute the blinding codes.
fn uid_stem(s: &Schedule, view: View) -> String {
    let mut hasher = Sha256::new();
    match view {
        View::Open => hasher.update(b"trialc/ics/v1"),
        View::Blinded => hasher.update(b"trialc/ics-blinded/v1"),
    }
    hasher.update((s.trial_id.len() as u64).to_le_bytes());
    hasher.update(s.trial_id.as_bytes());
    if view == View::Open {
        hasher.update(s.seed.to_le_bytes());
    }
    hasher.finalize()[..12]
        .iter()
        .fold(String::new(), |mut acc, b| {
            let _ = write!(acc, "{b:02x}");
            acc
        })
}

/// Reminder alarms, one per day in `first..=last` with a measurement, at
/// [`REMINDER_HOUR`] local time, triggered relative to the all-day event's start.
fn alarms(s: &Schedule, first: u64, last: u64, lines: &mut Vec<String>) {
    for day in first..=last {
        let due: Vec<&str> = s
            .outcomes
            .iter()
            .filter(|o| o.days.binary_search(&day).is_ok())
            .map(|o| o.name.as_str())
            .collect();
        if due.is_empty() {
            continue;
        }
        let offset = day - first;
        let trigger = if offset == 0 {
            format!("PT{REMINDER_HOUR}H")
        } else {
            format!("P{offset}DT{REMINDER_HOUR}H")
        };
        lines.push("BEGIN:VALARM".into());
        lines.push("ACTION:DISPLAY".into());
        lines.push(format!("TRIGGER:{trigger}"));
        lines.push(format!(
            "DESCRIPTION:{}",
            ics_text(&format!("Day {day}: record {}", due.join(", ")))
        ));
        lines.push("END:VALARM".into());
    }
}

/// The schedule as an iCalendar file (RFC 5545): one all-day event for the
/// run-in and one per period, each with a reminder on every day that has a
/// measurement. Needs a start date.
pub fn ics(s: &Schedule, view: View) -> Result<String, ScheduleError> {
    let start = s.start.ok_or(ScheduleError::IcsNeedsStart)?;
    let stem = uid_stem(s, view);
    let date = |day: u64| s.date_of_day(day).ok_or(ScheduleError::DateOutOfRange);
    // DTSTAMP is required; a wall-clock stamp would make the file differ on
    // every run, so it is the trial's start (the schedule's own date).
    let stamp = format!("{}T000000Z", ics_date(start));
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//trialc//trialc schedule//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!(
            "X-WR-CALNAME:{}",
            ics_text(&format!("Trial {}", s.trial_id))
        ),
    ];
    let event = |uid: String,
                 first: u64,
                 last: u64,
                 summary: String,
                 description: String,
                 lines: &mut Vec<String>|
     -> Result<(), ScheduleError> {
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:{uid}"));
        lines.push(format!("DTSTAMP:{stamp}"));
        lines.push(format!("DTSTART;VALUE=DATE:{}", ics_date(date(first)?)));
        // DTEND of an all-day event is exclusive: the day after the last day.
        lines.push(format!("DTEND;VALUE=DATE:{}", ics_date(date(last + 1)?)));
        lines.push(format!("SUMMARY:{}", ics_text(&summary)));
        lines.push(format!("DESCRIPTION:{}", ics_text(&description)));
        lines.push("TRANSP:TRANSPARENT".into());
        alarms(s, first, last, lines);
        lines.push("END:VEVENT".into());
        Ok(())
    };
    if s.run_in_days > 0 {
        event(
            format!("{stem}-run-in@trialc"),
            1,
            s.run_in_days,
            format!("{}: run-in (no study treatment)", s.trial_id),
            format!(
                "Days 1-{}. Baseline: take no study treatment, keep your diary.",
                s.run_in_days
            ),
            &mut lines,
        )?;
    }
    for p in &s.periods {
        let arm = arm_label(s, p.arm, view);
        let what = match (view, s.arms.get(p.arm).and_then(|a| a.description.as_ref())) {
            (View::Open, Some(description)) => format!("{arm}: {description}"),
            _ => arm.clone(),
        };
        let mut description = format!(
            "Period {} of {}, days {}-{}. Take: {}.",
            p.number,
            s.periods.len(),
            p.first_day,
            p.last_day,
            what
        );
        if p.washout_days > 0 {
            let _ = write!(
                description,
                " Washout days {}-{} (not analysed; keep your diary).",
                p.first_day,
                p.first_analysed_day() - 1
            );
        }
        event(
            format!("{stem}-period-{}@trialc", p.number),
            p.first_day,
            p.last_day,
            format!("{}: period {} - {}", s.trial_id, p.number, arm),
            description,
            &mut lines,
        )?;
    }
    lines.push("END:VCALENDAR".into());
    Ok(lines.iter().map(|l| fold_line(l)).collect())
}

/// The blinding key: which code is which arm, and the unblinded sequence. For
/// the pharmacy and the unblinded statistician only.
pub fn blinding_key(s: &Schedule) -> String {
    let mut out = String::new();
    out.push_str("BLINDING KEY - CONFIDENTIAL\n");
    let _ = writeln!(
        out,
        "Trial \"{}\", seed {}, blinding {}",
        s.trial_id,
        s.seed,
        s.blinding.name()
    );
    out.push_str(
        "For the pharmacy and the unblinded statistician only. Do not give this page,\n\
         or the spec's seed, to the participant or to outcome assessors.\n\n",
    );
    let mut rows = vec![vec!["Code".to_string(), "Arm".into(), "Description".into()]];
    for code in 0..s.codes.len() {
        let Some(arm) = s.codes.arm_of_code(code) else {
            continue;
        };
        let info = s.arms.get(arm);
        let mut description = info.and_then(|a| a.description.clone()).unwrap_or_default();
        if arm == s.reference {
            description.push_str(" (reference)");
        }
        rows.push(vec![
            label(code),
            info.map(|a| a.name.clone()).unwrap_or_default(),
            description.trim_start().to_string(),
        ]);
    }
    out.push_str(&columns(&rows));
    out.push_str("\nSequence\n");
    let mut seq_rows = Vec::new();
    for p in &s.periods {
        seq_rows.push(vec![
            format!("  Period {}", p.number),
            span(p.first_day, p.last_day),
            date_span(s, p.first_day, p.last_day),
            s.codes.label_of_arm(p.arm),
            s.arms
                .get(p.arm)
                .map(|a| a.name.clone())
                .unwrap_or_default(),
        ]);
    }
    out.push_str(&columns(&seq_rows));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_respects_75_octets_and_utf8() {
        let line = format!("DESCRIPTION:{}", "µ".repeat(100));
        let folded = fold_line(&line);
        for physical in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{} octets", physical.len());
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{line}\r\n"));
    }

    #[test]
    fn ranges_compress_runs() {
        assert_eq!(day_ranges(&[1, 2, 3, 7, 9, 10]), "1-3, 7, 9-10");
        assert_eq!(day_ranges(&[]), "");
    }

    #[test]
    fn ics_text_escapes_specials() {
        assert_eq!(ics_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
