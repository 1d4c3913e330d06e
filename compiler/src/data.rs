//! The participant's diary: CSV text → checked per-day values ([`Diary`]).
//!
//! [`read_diary`] is pure: the CLI reads the file and renders the diagnostics.
//! Every span is a byte span **into the CSV text as given** (a UTF-8 BOM
//! included), so the CLI can show file, line and column with the same renderer
//! it uses for specs.
//!
//! Format (docs/language.md, "Data: the diary CSV"): a header row; a `day`
//! column (1-based, day 1 = first run-in day) or a `date` column
//! (`YYYY-MM-DD`, needs `start` in the schedule); one column per outcome,
//! named as in the spec; an optional `arm` column with the arm actually taken
//! (`none` or empty on run-in days). An empty cell is a missing value. Cells
//! are trimmed; CRLF line ends and a BOM are accepted.
//!
//! Nothing is dropped or clipped silently: every problem is an error naming
//! its row and column, and all of them are reported in one pass. Where the
//! `arm` column disagrees with the schedule, one warning (W0701) lists the
//! days; the analysis then uses what was taken.
//!
//! With `sequence from data` the `arm` column is the schedule: it is
//! required (E0722), the diary may run to the longest trial, nothing can
//! deviate from it, and [`Diary::schedule`] turns the plan into the realised
//! schedule, its periods the column's runs of one arm.
//!
//! Models may read further columns: covariates (`covariate stress …`, any
//! number), the clock (`clock hour`, whole numbers increasing with time)
//! and a binomial outcome's trials (`binomial of attempts`, whole numbers
//! from 1). With a clock a day may have several rows, one per clock value
//! (hourly readings); an outcome whose model has no clock still has at most
//! one value a day, and the rows of a day agree on the arm (E0734).

use crate::codes;
use std::collections::HashMap;

use chrono::NaiveDate;

use crate::diagnostic::{Diagnostic, Span};
use crate::family::ValueProblem;
use crate::hir::{self, OutcomeType};
use crate::schedule::{self, Schedule, ScheduleError, Taken, MAX_TRIAL_DAYS};
use crate::source::FileId;

/// What the `arm` column says about one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArmRecord {
    /// No `arm` column, or an empty cell: the schedule's arm is assumed.
    NotRecorded,
    /// `none`: nothing was taken (run-in days, or a missed period day).
    NoArm,
    /// This arm (index into the spec's arms) was taken.
    Arm(usize),
}

/// One diary row after checking.
#[derive(Debug, Clone, PartialEq)]
pub struct DiaryRow {
    /// 1-based trial day.
    pub day: u64,
    /// 1-based line of the row in the CSV text (for reports).
    pub line: u64,
    /// One entry per spec outcome, in spec order; `None` = missing. Binary
    /// values are 0/1, counts whole numbers, ordinal values the level as
    /// written (e.g. 1..=5), all stored exactly in `f64`.
    pub values: Vec<Option<f64>>,
    pub arm: ArmRecord,
    /// The values of the model columns ([`Diary::columns`]), in that order;
    /// `None` = empty cell.
    pub extra: Vec<Option<f64>>,
    /// The row's line in the CSV text (for diagnostics of later stages).
    pub span: Span,
}

/// A day on which the recorded arm differs from the schedule's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArmDeviation {
    pub day: u64,
    /// The schedule's arm (`None` on run-in days).
    pub scheduled: Option<usize>,
    /// What the diary says was taken (`None` for `none`).
    pub taken: Option<usize>,
}

/// A checked diary: rows sorted by day (and clock), at most one per day
/// unless the spec has a clock.
#[derive(Debug, Clone, PartialEq)]
pub struct Diary {
    /// The spec's outcome names, in spec order (the order of `DiaryRow::values`).
    pub outcomes: Vec<String>,
    pub rows: Vec<DiaryRow>,
    /// Whether the diary has an `arm` column.
    pub has_arm_column: bool,
    /// Days where `arm` disagrees with the schedule (also reported as W0701).
    pub deviations: Vec<ArmDeviation>,
    /// The columns models read besides the outcomes' (covariates, the
    /// clock, binomial trials), in the order of `DiaryRow::extra`.
    pub columns: Vec<String>,
    /// The diary's file, when a session read it: later stages (lowering)
    /// point at its rows.
    pub file: Option<FileId>,
}

impl Diary {
    /// The rows of `day` (several only with a clock), in clock order.
    pub fn rows_of_day(&self, day: u64) -> &[DiaryRow] {
        let start = self.rows.partition_point(|r| r.day < day);
        let end = self.rows.partition_point(|r| r.day <= day);
        self.rows.get(start..end).unwrap_or(&[])
    }

    /// The (first) row of `day`, if the diary has one.
    pub fn row(&self, day: u64) -> Option<&DiaryRow> {
        self.rows_of_day(day).first()
    }

    /// The value of outcome `outcome` (spec index) on `day`, if recorded
    /// (the first of the day's rows that has one).
    pub fn value(&self, outcome: usize, day: u64) -> Option<f64> {
        self.rows_of_day(day)
            .iter()
            .find_map(|r| r.values.get(outcome).copied().flatten())
    }

    /// The diary's last day (0 for no rows).
    pub fn last_day(&self) -> u64 {
        self.rows.last().map_or(0, |r| r.day)
    }

    /// The schedule this diary is analysed under: `plan` itself, or for a
    /// `sequence from data` plan the realised schedule, whose periods are the
    /// runs of one arm in the `arm` column ([`schedule::realise`]) and which
    /// ends on the diary's last day.
    pub fn schedule(&self, plan: &Schedule) -> Result<Schedule, ScheduleError> {
        if !plan.is_realised() {
            return Ok(plan.clone());
        }
        let taken: Vec<(u64, Taken)> = self
            .rows
            .iter()
            .filter_map(|r| match r.arm {
                ArmRecord::NotRecorded => None,
                ArmRecord::NoArm => Some((r.day, Taken::Nothing)),
                ArmRecord::Arm(k) => Some((r.day, Taken::Arm(k))),
            })
            .collect();
        schedule::realise(plan, self.last_day(), &taken)
    }

    /// The arm taken on `day`: the diary's `arm` where recorded (the rows of
    /// a day agree), otherwise the schedule's. `None` during run-in or when
    /// the diary says `none`.
    pub fn arm_taken(&self, day: u64, schedule: &Schedule) -> Option<usize> {
        let record = self
            .rows_of_day(day)
            .iter()
            .map(|r| r.arm)
            .find(|a| *a != ArmRecord::NotRecorded)
            .unwrap_or(ArmRecord::NotRecorded);
        match record {
            ArmRecord::NotRecorded => schedule.arm_on_day(day),
            ArmRecord::NoArm => None,
            ArmRecord::Arm(k) => Some(k),
        }
    }

    /// The index of a model column in `DiaryRow::extra`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// What the spec's models read from a column besides the outcomes.
#[derive(Debug, Clone, Default, PartialEq)]
struct ModelColumn {
    name: String,
    /// A covariate: any number.
    covariate: bool,
    /// The clock: whole numbers from 0, increasing with time.
    clock: bool,
    /// A binomial outcome's trials: whole numbers from 1.
    trials: bool,
}

/// The columns the spec's models read besides the outcomes', in order of
/// first mention: covariates (other than outcome columns), the clock, the
/// trials of binomial outcomes.
fn model_columns(spec: &hir::Spec) -> Vec<ModelColumn> {
    let mut columns: Vec<ModelColumn> = Vec::new();
    let mut add = |name: &str, set: fn(&mut ModelColumn)| {
        let i = match columns.iter().position(|c| c.name == name) {
            Some(i) => i,
            None => {
                columns.push(ModelColumn {
                    name: name.to_string(),
                    ..ModelColumn::default()
                });
                columns.len() - 1
            }
        };
        if let Some(c) = columns.get_mut(i) {
            set(c);
        }
    };
    let is_outcome = |name: &str| spec.outcomes.iter().any(|o| o.name == name);
    for model in &spec.models {
        for c in &model.covariates {
            if !is_outcome(&c.column) {
                add(&c.column, |c| c.covariate = true);
            }
        }
        if let Some(clock) = &model.clock {
            add(&clock.value, |c| c.clock = true);
        }
    }
    for outcome in &spec.outcomes {
        if let Some(t) = &outcome.trials_column {
            add(&t.value, |c| c.trials = true);
        }
    }
    columns
}

/// What a header column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Day,
    Date,
    Arm,
    Outcome(usize),
    /// A column a model reads (index into the model columns).
    Model(usize),
    /// Unknown or duplicate: reported, then ignored so the rest is checked.
    Ignored,
}

/// The UTF-8 byte order mark some spreadsheet programs write.
const BOM: &str = "\u{feff}";

/// Reads and checks a diary against the spec and its schedule.
///
/// Returns the diary when there is no error (warnings may accompany it), and
/// every diagnostic found. Never panics, whatever the text.
pub fn read_diary(
    text: &str,
    spec: &hir::Spec,
    schedule: &Schedule,
) -> (Option<Diary>, Vec<Diagnostic>) {
    let mut reader = DiaryReader {
        text,
        spec,
        schedule,
        diagnostics: Vec::new(),
        model_columns: model_columns(spec),
        invalid_lines: Vec::new(),
    };
    let diary = reader.read();
    let has_error = reader.diagnostics.iter().any(Diagnostic::is_error);
    (if has_error { None } else { diary }, reader.diagnostics)
}

/// One CSV record with the raw spans of its fields.
struct RawRecord {
    fields: Vec<String>,
    spans: Vec<Span>,
    /// The whole line (without its line end).
    line_span: Span,
    line: u64,
}

struct DiaryReader<'a> {
    text: &'a str,
    spec: &'a hir::Spec,
    schedule: &'a Schedule,
    diagnostics: Vec<Diagnostic>,
    model_columns: Vec<ModelColumn>,
    /// Lines with an invalid model cell (E0731): not checked further.
    invalid_lines: Vec<u64>,
}

impl DiaryReader<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn read(&mut self) -> Option<Diary> {
        let mut records = self.records()?;
        // A line of blanks only (an editor's trailing line) is no row.
        records.retain(|r| !(r.fields.len() == 1 && r.fields.iter().all(String::is_empty)));
        let Some((header, rows)) = records.split_first() else {
            self.push(
                Diagnostic::error(codes::E0701, "the diary is empty")
                    .with_primary(Span::new(0, self.text.len()), "no header row here")
                    .with_help(header_help(self.spec)),
            );
            return None;
        };
        let columns = self.columns(header)?;
        let date_mode = columns.contains(&Column::Date);
        if date_mode && self.schedule.start.is_none() {
            // Reported once at the header: without a start date no date can be
            // turned into a trial day, so the rows' dates are not checked.
            let span = column_span(header, &columns, Column::Date);
            self.push(
                Diagnostic::error(
                    codes::E0718,
                    "the diary gives dates but the schedule has no start date",
                )
                .with_primary(span, "dates need `start` in the schedule")
                .with_help(
                    "add `start YYYY-MM-DD` to the schedule block, or give a `day` column instead",
                ),
            );
        }
        let realised = self.schedule.is_realised();
        if realised && !columns.contains(&Column::Arm) {
            self.push(
                Diagnostic::error(
                    codes::E0722,
                    "the schedule is `sequence from data`, but the diary has no `arm` column",
                )
                .with_primary(header.line_span, "no `arm` column in this header")
                .with_note("with a realised schedule the `arm` column is the sequence: its runs of one arm are the periods")
                .with_help("add an `arm` column with the arm taken each day (`none` when nothing was taken)"),
            );
        }
        if rows.is_empty() {
            self.push(
                Diagnostic::error(codes::E0701, "the diary has a header but no rows")
                    .with_primary(header.line_span, "only this header row")
                    .with_help("add one row per observation day below the header"),
            );
        }

        let mut out: Vec<DiaryRow> = Vec::with_capacity(rows.len());
        let mut first_row_of_day: HashMap<u64, Span> = HashMap::new();
        let clock = self.model_columns.iter().position(|c| c.clock);
        // With a clock: the first row of each (day, clock value).
        let mut first_row_at: HashMap<(u64, Option<u64>), Span> = HashMap::new();
        let mut arm_cells: Vec<(u64, ArmRecord, Span)> = Vec::new();
        for record in rows {
            if record.fields.len() != header.fields.len() {
                self.push(
                    Diagnostic::error(
                        codes::E0702,
                        format!(
                            "row {} has {} fields but the header has {}",
                            record.line,
                            record.fields.len(),
                            header.fields.len()
                        ),
                    )
                    .with_primary(record.line_span, format!("{} fields", record.fields.len()))
                    .with_secondary(header.line_span, format!("{} columns", header.fields.len()))
                    .with_help("every row needs one field per column; leave a cell empty for a missing value"),
                );
                continue;
            }
            let mut day = None;
            let mut arm = ArmRecord::NotRecorded;
            let mut arm_span = record.line_span;
            let mut values = vec![None; self.spec.outcomes.len()];
            let mut extra = vec![None; self.model_columns.len()];
            for (i, column) in columns.iter().enumerate() {
                let (Some(cell), Some(&span)) = (record.fields.get(i), record.spans.get(i)) else {
                    continue;
                };
                match *column {
                    Column::Day => day = self.day_cell(cell, span, record.line),
                    Column::Date => day = self.date_cell(cell, span, record.line),
                    Column::Arm => {
                        arm_span = span;
                        arm = self.arm_cell(cell, span, record.line);
                    }
                    Column::Outcome(j) => {
                        let value = self.value_cell(j, cell, span, record.line);
                        if let Some(slot) = values.get_mut(j) {
                            *slot = value;
                        }
                    }
                    Column::Model(k) => {
                        let value = self.model_cell(k, cell, span, record.line);
                        if let Some(slot) = extra.get_mut(k) {
                            *slot = value;
                        }
                    }
                    Column::Ignored => {}
                }
            }
            let Some(day) = day else { continue };
            let day_span = record
                .spans
                .get(
                    columns
                        .iter()
                        .position(|c| matches!(c, Column::Day | Column::Date))
                        .unwrap_or(0),
                )
                .copied()
                .unwrap_or(record.line_span);
            if let Some(k) = clock {
                // Several rows a day, told apart by the clock.
                let at = extra.get(k).copied().flatten().map(|v| v as u64);
                let name = &self.model_columns[k].name;
                if let Some(&first) = first_row_at.get(&(day, at)) {
                    let when = match at {
                        Some(t) => format!("at {name} {t}"),
                        None => format!("without a value of `{name}`"),
                    };
                    self.push(
                        Diagnostic::error(
                            codes::E0734,
                            format!("day {day} has two rows {when} (row {})", record.line),
                        )
                        .with_primary(record.line_span, "second row")
                        .with_secondary(first, "first row")
                        .with_help(format!("a day may have several rows only with different values of `{name}`; merge the two rows")),
                    );
                    continue;
                }
                first_row_at.insert((day, at), record.line_span);
            } else if let Some(&first) = first_row_of_day.get(&day) {
                self.push(
                    Diagnostic::error(
                        codes::E0712,
                        format!("day {day} appears twice in the diary (row {})", record.line),
                    )
                    .with_primary(day_span, "second row for this day")
                    .with_secondary(first, "first row for this day")
                    .with_help("keep one row per day; merge the two rows' values"),
                );
                continue;
            }
            first_row_of_day.entry(day).or_insert(day_span);
            if arm != ArmRecord::NotRecorded {
                arm_cells.push((day, arm, arm_span));
            }
            out.push(DiaryRow {
                day,
                line: record.line,
                values,
                arm,
                extra,
                span: record.line_span,
            });
        }
        let clock_of = |r: &DiaryRow| clock.and_then(|k| r.extra.get(k).copied().flatten());
        out.sort_by(|a, b| {
            a.day.cmp(&b.day).then(
                clock_of(a)
                    .partial_cmp(&clock_of(b))
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
        });
        self.several_rows_a_day(&out, clock);
        self.binomial_trials(&out);
        // The rows of a day agree on the arm (checked above): one cell a day.
        arm_cells.sort_by_key(|c| c.0);
        arm_cells.dedup_by_key(|c| c.0);
        let run_in = self.schedule.run_in_days;
        let names_an_arm = |r: &DiaryRow| r.day > run_in && matches!(r.arm, ArmRecord::Arm(_));
        if realised
            && columns.contains(&Column::Arm)
            && !out.is_empty()
            && !out.iter().any(names_an_arm)
        {
            let span = column_span(header, &columns, Column::Arm);
            self.push(
                Diagnostic::error(
                    codes::E0722,
                    "the schedule is `sequence from data`, but the diary's `arm` column names no arm after the run-in",
                )
                .with_primary(span, "no arm in this column after the run-in")
                .with_note("with a realised schedule the `arm` column is the sequence: its runs of one arm are the periods")
                .with_help("write the arm taken on each treatment day (`none` when nothing was taken)"),
            );
        }
        // A realised schedule is the `arm` column: nothing deviates from it.
        let deviations = if realised {
            Vec::new()
        } else {
            self.deviations(&mut arm_cells)
        };
        Some(Diary {
            outcomes: self.spec.outcomes.iter().map(|o| o.name.clone()).collect(),
            rows: out,
            has_arm_column: columns.contains(&Column::Arm),
            deviations,
            columns: self.model_columns.iter().map(|c| c.name.clone()).collect(),
            file: None,
        })
    }

    /// With a clock: the clock increases from row to row, a clocked
    /// outcome's value has a clock value, an outcome without a clock has at
    /// most one value a day, and the rows of a day agree on the arm (E0734).
    fn several_rows_a_day(&mut self, rows: &[DiaryRow], clock: Option<usize>) {
        let Some(k) = clock else {
            return;
        };
        let name = self.model_columns[k].name.clone();
        let clocked: Vec<bool> = (0..self.spec.outcomes.len())
            .map(|j| {
                self.spec
                    .models
                    .iter()
                    .any(|m| m.outcome == j && m.clock.is_some())
            })
            .collect();
        let mut last: Option<(&DiaryRow, f64)> = None;
        for row in rows {
            let Some(t) = row.extra.get(k).copied().flatten() else {
                if let Some(j) = (0..clocked.len()).find(|&j| clocked[j] && row.values[j].is_some())
                {
                    self.push(
                        Diagnostic::error(
                            codes::E0734,
                            format!("row {} has a value of `{}` but no `{name}`", row.line, self.spec.outcomes[j].name),
                        )
                        .with_primary(row.span, format!("no `{name}` on this row"))
                        .with_help(format!("the model of `{}` counts time in `{name}`: give every row with its value a `{name}`", self.spec.outcomes[j].name)),
                    );
                }
                continue;
            };
            if let Some((prev, pt)) = last {
                if t <= pt {
                    self.push(
                        Diagnostic::error(
                            codes::E0734,
                            format!("the clock goes back: row {} (day {}) has {name} {t}, row {} (day {}) before it has {pt}", row.line, row.day, prev.line, prev.day),
                        )
                        .with_primary(row.span, format!("{name} {t}"))
                        .with_secondary(prev.span, format!("{name} {pt}"))
                        .with_help(format!("`{name}` counts time from the start of the trial: it increases from each row to the next, across days")),
                    );
                }
            }
            last = Some((row, t));
        }
        let mut start = 0;
        while start < rows.len() {
            let day = rows[start].day;
            let end = start + rows[start..].iter().take_while(|r| r.day == day).count();
            let of_day = &rows[start..end];
            for (j, _) in clocked.iter().enumerate().filter(|(_, c)| !**c) {
                let with: Vec<&DiaryRow> =
                    of_day.iter().filter(|r| r.values[j].is_some()).collect();
                if let [first, second, ..] = with.as_slice() {
                    let outcome = &self.spec.outcomes[j].name;
                    self.push(
                        Diagnostic::error(
                            codes::E0734,
                            format!("`{outcome}` has two values on day {day} (rows {} and {})", first.line, second.line),
                        )
                        .with_primary(second.span, "second value")
                        .with_secondary(first.span, "first value")
                        .with_help(format!("the model of `{outcome}` has no clock, so it takes one value a day: keep one, or add `clock {name}` to its model")),
                    );
                }
            }
            let arms: Vec<&DiaryRow> = of_day
                .iter()
                .filter(|r| r.arm != ArmRecord::NotRecorded)
                .collect();
            if let Some(other) = arms.iter().find(|r| r.arm != arms[0].arm) {
                self.push(
                    Diagnostic::error(
                        codes::E0734,
                        format!(
                            "the rows of day {day} name different arms (rows {} and {})",
                            arms[0].line, other.line
                        ),
                    )
                    .with_primary(other.span, "another arm")
                    .with_secondary(arms[0].span, "this arm")
                    .with_help(
                        "an arm is taken for a whole day: correct the `arm` cells of the day",
                    ),
                );
            }
            start = end;
        }
    }

    /// A binomial outcome's successes against its trials on each row (E0733).
    fn binomial_trials(&mut self, rows: &[DiaryRow]) {
        for (j, outcome) in self.spec.outcomes.iter().enumerate() {
            let Some(column) = &outcome.trials_column else {
                continue;
            };
            let Some(k) = self
                .model_columns
                .iter()
                .position(|c| c.name == column.value)
            else {
                continue;
            };
            for row in rows {
                let Some(successes) = row.values[j] else {
                    continue;
                };
                if self.invalid_lines.contains(&row.line) {
                    continue;
                }
                let problem = match row.extra.get(k).copied().flatten() {
                    None => format!(
                        "row {}: `{}` is {successes} but `{}` is empty",
                        row.line, outcome.name, column.value
                    ),
                    Some(n) if successes > n => format!(
                        "row {}: `{}` is {successes}, more than its {n} trials (`{}`)",
                        row.line, outcome.name, column.value
                    ),
                    Some(_) => continue,
                };
                self.push(
                    Diagnostic::error(codes::E0733, problem)
                        .with_primary(row.span, "successes and trials disagree")
                        .with_help(format!("a binomial value counts successes out of the day's `{}` trials: record both, successes at most trials", column.value)),
                );
            }
        }
    }

    /// A cell of a model column: empty (missing), or a number that fits
    /// every use the spec makes of the column.
    fn model_cell(&mut self, k: usize, cell: &str, span: Span, line: u64) -> Option<f64> {
        if cell.is_empty() {
            return None;
        }
        let column = self.model_columns.get(k)?.clone();
        let name = &column.name;
        let v = cell.parse::<f64>().ok().filter(|v| v.is_finite());
        let whole = v.filter(|v| v.fract() == 0.0 && v.abs() < 1e15);
        let (ok, expected) = if column.trials {
            (
                whole.is_some_and(|v| v >= 1.0),
                "a whole number of trials from 1",
            )
        } else if column.clock {
            (
                whole.is_some_and(|v| v >= 0.0),
                "a whole number from 0 (the clock)",
            )
        } else {
            (v.is_some(), "a number")
        };
        if !ok {
            self.invalid_lines.push(line);
            self.push(
                Diagnostic::error(
                    codes::E0731,
                    format!("row {line}, column `{name}`: `{cell}` is not {expected}"),
                )
                .with_primary(span, format!("expected {expected}"))
                .with_help("leave the cell empty when the value is missing"),
            );
            return None;
        }
        v
    }

    /// All CSV records with their raw field spans, or `None` after an E0701.
    fn records(&mut self) -> Option<Vec<RawRecord>> {
        let offset = if self.text.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        let body = self.text.get(offset..).unwrap_or_default();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(body.as_bytes());
        let mut records = Vec::new();
        let mut record = csv::StringRecord::new();
        // Lines are counted here: after a CRLF the csv crate's record
        // position can sit on the `\n`, and its line count with it.
        let (mut counted_to, mut line) = (0usize, 1u64);
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {
                    let mut start = record
                        .position()
                        .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0))
                        .min(body.len());
                    while matches!(body.as_bytes().get(start), Some(b'\r' | b'\n')) {
                        start += 1;
                    }
                    if start >= counted_to {
                        line += body
                            .get(counted_to..start)
                            .map_or(0, |t| t.matches('\n').count())
                            as u64;
                        counted_to = start;
                    }
                    let (mut spans, end) = field_spans(body, start);
                    let line_span = Span::new(start, end);
                    // Never lose a value over a span: fall back to the line.
                    spans.resize(record.len().max(spans.len()), line_span);
                    let shift = |s: Span| Span::new(s.start + offset, s.end + offset);
                    records.push(RawRecord {
                        fields: record.iter().map(str::to_string).collect(),
                        spans: spans.into_iter().map(shift).collect(),
                        line_span: shift(line_span),
                        line,
                    });
                }
                Ok(false) => break,
                Err(e) => {
                    let at = e
                        .position()
                        .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0))
                        .min(body.len());
                    let line = e.position().map_or(0, csv::Position::line);
                    self.push(
                        Diagnostic::error(
                            codes::E0701,
                            format!("the diary cannot be read as CSV (row {line}): {e}"),
                        )
                        .with_primary(Span::new(at + offset, at + offset), "reading stopped here"),
                    );
                    return None;
                }
            }
        }
        Some(records)
    }

    /// Classifies the header; `None` when the day cannot be known (no day or
    /// date column), after reporting why.
    fn columns(&mut self, header: &RawRecord) -> Option<Vec<Column>> {
        let outcome_names: Vec<&str> = self.spec.outcomes.iter().map(|o| o.name.as_str()).collect();
        let model_names: Vec<String> = self.model_columns.iter().map(|c| c.name.clone()).collect();
        let mut candidates = vec!["day", "date", "arm"];
        candidates.extend(outcome_names.iter().copied());
        candidates.extend(model_names.iter().map(String::as_str));
        // A first line that names none of the columns a diary can have is
        // not a diary (a wrong path, another kind of file): say so once, and
        // quote nothing of it.
        if !header
            .fields
            .iter()
            .any(|f| candidates.contains(&f.as_str()))
        {
            self.push(
                Diagnostic::error(
                    codes::E0703,
                    "this file is not a diary: its first line names no `day`, `date`, `arm` or outcome column",
                )
                .with_note("the file's content is not shown, as it may be something else entirely")
                .with_help(header_help(self.spec)),
            );
            return None;
        }
        let mut columns = Vec::with_capacity(header.fields.len());
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for (name, &span) in header.fields.iter().zip(&header.spans) {
            if let Some(&first) = seen.get(name.as_str()) {
                self.push(
                    Diagnostic::error(
                        codes::E0717,
                        format!("the diary has two columns named `{name}`"),
                    )
                    .with_primary(span, "second column with this name")
                    .with_secondary(first, "first column with this name")
                    .with_help("remove or rename one of the two columns"),
                );
                columns.push(Column::Ignored);
                continue;
            }
            seen.insert(name, span);
            let column = match name.as_str() {
                "day" => Column::Day,
                "date" => Column::Date,
                "arm" => Column::Arm,
                other => match outcome_names.iter().position(|n| *n == other) {
                    Some(j) => Column::Outcome(j),
                    None if model_names.iter().any(|n| n == other) => Column::Model(
                        model_names
                            .iter()
                            .position(|n| n == other)
                            .unwrap_or_default(),
                    ),
                    None => {
                        let (message, label) = if other.is_empty() {
                            (
                                "the diary has a column without a name".to_string(),
                                "empty column name",
                            )
                        } else {
                            (
                                format!("the diary has an unknown column `{other}`"),
                                "not an outcome of the spec, `day`, `date` or `arm`",
                            )
                        };
                        self.push(
                            Diagnostic::error(codes::E0704, message)
                                .with_primary(span, label)
                                .with_help(crate::hir::names::suggestion(
                                    "column",
                                    other,
                                    &candidates,
                                )),
                        );
                        Column::Ignored
                    }
                },
            };
            columns.push(column);
        }
        for (j, name) in outcome_names.iter().enumerate() {
            if !columns.contains(&Column::Outcome(j)) {
                self.push(
                    Diagnostic::error(
                        codes::E0705,
                        format!("the diary has no column for outcome `{name}`"),
                    )
                    .with_primary(
                        header.line_span,
                        format!("no `{name}` column in this header"),
                    )
                    .with_help(format!(
                        "add a `{name}` column (leave its cells empty on days it was not recorded)"
                    )),
                );
            }
        }
        for (k, column) in self.model_columns.iter().enumerate() {
            if !columns.contains(&Column::Model(k)) {
                let role = if column.clock {
                    "the clock of a model"
                } else if column.trials {
                    "the trials of a binomial outcome"
                } else {
                    "a covariate of a model"
                };
                let name = &column.name;
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::E0732,
                        format!("the diary has no column `{name}`, {role}"),
                    )
                    .with_primary(
                        header.line_span,
                        format!("no `{name}` column in this header"),
                    )
                    .with_help(format!(
                        "add a `{name}` column (leave its cells empty where it was not recorded)"
                    )),
                );
            }
        }
        let has_day = columns.contains(&Column::Day);
        let has_date = columns.contains(&Column::Date);
        match (has_day, has_date) {
            (false, false) => {
                self.push(
                    Diagnostic::error(codes::E0703, "the diary has no `day` or `date` column")
                        .with_primary(header.line_span, "header without `day` or `date`")
                        .with_help(header_help(self.spec)),
                );
                None
            }
            (true, true) => {
                self.push(
                    Diagnostic::error(
                        codes::E0703,
                        "the diary has both a `day` and a `date` column",
                    )
                    .with_primary(column_span(header, &columns, Column::Date), "`date` column")
                    .with_secondary(column_span(header, &columns, Column::Day), "`day` column")
                    .with_help("keep one of the two: each row's day must come from one place"),
                );
                None
            }
            _ => Some(columns),
        }
    }

    /// The last day a row may have: the schedule's, or for a realised
    /// schedule (which ends with the diary) the longest trial's.
    fn last_allowed_day(&self) -> u64 {
        if self.schedule.is_realised() {
            MAX_TRIAL_DAYS
        } else {
            self.schedule.total_days
        }
    }

    /// A `day` cell: a whole number from 1 to the last day of the schedule.
    fn day_cell(&mut self, cell: &str, span: Span, line: u64) -> Option<u64> {
        let total = self.last_allowed_day();
        match cell.parse::<u64>() {
            Ok(day) if day >= 1 && day <= total => Some(day),
            Ok(day) if day > total => {
                self.push(
                    Diagnostic::error(
                        codes::E0713,
                        format!("day {day} in row {line} is after the end of the schedule"),
                    )
                    .with_primary(
                        span,
                        if self.schedule.is_realised() {
                            format!("a trial has days 1 to {total} at most")
                        } else {
                            format!("the schedule has days 1 to {total}")
                        },
                    )
                    .with_help("check the day number; days count from 1 at the first run-in day"),
                );
                None
            }
            _ => {
                let what = if cell.is_empty() {
                    "empty".to_string()
                } else {
                    format!("`{cell}`")
                };
                self.push(
                    Diagnostic::error(
                        codes::E0711,
                        format!("row {line} has an invalid day: {what}"),
                    )
                    .with_primary(
                        span,
                        "expected a whole number from 1 (the first run-in day)",
                    )
                    .with_help(format!(
                        "give the trial day as a whole number from 1 to {total}"
                    )),
                );
                None
            }
        }
    }

    /// A `date` cell: `YYYY-MM-DD`, on or after the start, within the schedule.
    fn date_cell(&mut self, cell: &str, span: Span, line: u64) -> Option<u64> {
        let start = self.schedule.start?;
        // Exactly YYYY-MM-DD: chrono alone also takes `2026-12-5`.
        let shaped = cell.len() == 10
            && cell.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        let parsed = NaiveDate::parse_from_str(cell, "%Y-%m-%d").ok();
        let Some(date) = parsed.filter(|_| shaped) else {
            let what = if cell.is_empty() {
                "empty".to_string()
            } else {
                format!("`{cell}`")
            };
            self.push(
                Diagnostic::error(
                    codes::E0711,
                    format!("row {line} has an invalid date: {what}"),
                )
                .with_primary(span, "expected a date written YYYY-MM-DD")
                .with_help("write dates as YYYY-MM-DD, e.g. 2026-12-01"),
            );
            return None;
        };
        let offset = (date - start).num_days();
        if offset < 0 {
            self.push(
                Diagnostic::error(codes::E0714, format!("the date {date} in row {line} is before the trial's start ({start})"))
                    .with_primary(span, format!("the schedule starts on {start}"))
                    .with_help("remove rows from before the trial, or correct the date or the schedule's `start`"),
            );
            return None;
        }
        let day = u64::try_from(offset).ok()?.checked_add(1)?;
        let total = self.last_allowed_day();
        if day > total {
            let last = self.schedule.date_of_day(total);
            let label = last.map_or_else(
                || "after the last day of the schedule".to_string(),
                |d| format!("the schedule ends on {d}"),
            );
            self.push(
                Diagnostic::error(codes::E0713, format!("the date {date} in row {line} (day {day}) is after the end of the schedule"))
                    .with_primary(span, label)
                    .with_help("check the date; rows after the last day cannot be analysed"),
            );
            return None;
        }
        Some(day)
    }

    /// An `arm` cell: empty (not recorded), `none`, or an arm's name.
    fn arm_cell(&mut self, cell: &str, span: Span, line: u64) -> ArmRecord {
        if cell.is_empty() {
            return ArmRecord::NotRecorded;
        }
        // An arm literally named `none` wins over the keyword.
        if let Some(k) = self.spec.arms.iter().position(|a| a.name == cell) {
            return ArmRecord::Arm(k);
        }
        if cell == "none" {
            return ArmRecord::NoArm;
        }
        let names: Vec<&str> = self.spec.arms.iter().map(|a| a.name.as_str()).collect();
        self.push(
            Diagnostic::error(
                codes::E0715,
                format!("row {line} names an unknown arm `{cell}`"),
            )
            .with_primary(span, "not an arm of the spec")
            .with_help(format!(
                "{} (write `none` when nothing was taken)",
                crate::hir::names::suggestion("arm", cell, &names)
            )),
        );
        ArmRecord::NotRecorded
    }

    /// One outcome value, checked against the outcome's type.
    fn value_cell(&mut self, outcome: usize, cell: &str, span: Span, line: u64) -> Option<f64> {
        if cell.is_empty() {
            return None;
        }
        let o = self.spec.outcomes.get(outcome)?;
        let name = o.name.clone();
        let kind = o.kind;
        // `f64::from_str` also accepts `inf` and `NaN`: neither is a diary value.
        let Some(v) = cell.parse::<f64>().ok().filter(|v| v.is_finite()) else {
            self.push(
                Diagnostic::error(
                    codes::E0706,
                    format!("row {line}, column `{name}`: `{cell}` is not a number"),
                )
                .with_primary(span, format!("expected {}", kind.expected_value()))
                .with_help("leave the cell empty when the value is missing"),
            );
            return None;
        };
        if let Err(why) = analysable(cell, v, kind) {
            self.push(
                Diagnostic::error(
                    codes::E0721,
                    format!("row {line}, column `{name}`: `{cell}` {why}"),
                )
                .with_primary(span, format!("expected {}", kind.expected_value()))
                .with_help("correct the value (check its unit and its exponent), or leave the cell empty when it is missing"),
            );
            return None;
        }
        let problem = match kind.check_value(v) {
            Ok(v) => return Some(v),
            Err(problem) => problem,
        };
        let d = match problem {
            ValueProblem::OutOfBounds { lo, hi } => Diagnostic::error(codes::E0707, format!("row {line}, column `{name}`: {cell} is outside the outcome's bounds [{lo}, {hi}]"))
                .with_primary(span, format!("expected a number from {lo} to {hi}"))
                .with_help("correct the value; values are never clipped to the bounds"),
            ValueProblem::NotZeroOrOne => Diagnostic::error(
                codes::E0708,
                format!("row {line}, column `{name}`: {cell} is not 0 or 1"),
            )
            .with_primary(span, "a binary outcome is 0 (no) or 1 (yes)")
            .with_help("write 1 for yes, 0 for no, and leave the cell empty when unknown"),
            ValueProblem::MoreThanTrials { trials } => Diagnostic::error(
                codes::E0733,
                format!("row {line}, column `{name}`: {cell} successes are more than the {trials} trials"),
            )
            .with_primary(span, format!("expected 0 to {trials}"))
            .with_help(format!("the spec declares `binomial of {trials}`: successes out of {trials} trials a day")),
            ValueProblem::NegativeCount | ValueProblem::NotWhole
                if matches!(kind, OutcomeType::Count { .. } | OutcomeType::Binomial { .. }) =>
            {
                let what = if problem == ValueProblem::NegativeCount {
                    "negative"
                } else {
                    "not a whole number"
                };
                Diagnostic::error(
                    codes::E0709,
                    format!("row {line}, column `{name}`: the count {cell} is {what}"),
                )
                .with_primary(span, "expected a whole number 0, 1, 2, …")
                .with_help("a count is how many times something happened that day")
            }
            _ => Diagnostic::error(
                codes::E0710,
                format!("row {line}, column `{name}`: {cell} is not a level of the outcome"),
            )
            .with_primary(span, format!("expected {}", kind.expected_value()))
            .with_help(match kind {
                OutcomeType::Ordinal { low, high } => format!("the spec declares `ordinal {low}..{high}`"),
                _ => format!("a value of `{name}` is {}", kind.expected_value()),
            }),
        };
        self.push(d);
        None
    }

    /// Compares recorded arms with the schedule and emits one W0701.
    fn deviations(&mut self, cells: &mut [(u64, ArmRecord, Span)]) -> Vec<ArmDeviation> {
        cells.sort_by_key(|c| c.0);
        let mut deviations = Vec::new();
        let mut spans = Vec::new();
        for &(day, record, span) in cells.iter() {
            let taken = match record {
                ArmRecord::NotRecorded => continue,
                ArmRecord::NoArm => None,
                ArmRecord::Arm(k) => Some(k),
            };
            let scheduled = self.schedule.arm_on_day(day);
            if taken != scheduled {
                deviations.push(ArmDeviation {
                    day,
                    scheduled,
                    taken,
                });
                spans.push(span);
            }
        }
        let Some((&first, rest)) = spans.split_first() else {
            return deviations;
        };
        let name = |a: Option<usize>| {
            a.and_then(|k| self.spec.arms.get(k))
                .map_or_else(|| "none".to_string(), |a| a.name.clone())
        };
        let days: Vec<String> = deviations.iter().map(|d| d.day.to_string()).collect();
        let detail: Vec<String> = deviations
            .iter()
            .map(|d| {
                format!(
                    "day {}: scheduled {}, taken {}",
                    d.day,
                    name(d.scheduled),
                    name(d.taken)
                )
            })
            .collect();
        let first_dev = deviations.first().copied();
        let mut diagnostic = Diagnostic::warning(
            codes::W0701,
            format!(
                "the arm taken differs from the schedule on {} day{}: {}",
                deviations.len(),
                if deviations.len() == 1 { "" } else { "s" },
                days.join(", ")
            ),
        )
        .with_primary(
            first,
            first_dev.map_or_else(String::new, |d| format!("scheduled: {}", name(d.scheduled))),
        );
        // Enough labels to find the rows; the note lists every day.
        for (span, d) in rest.iter().zip(deviations.iter().skip(1)).take(9) {
            diagnostic =
                diagnostic.with_secondary(*span, format!("scheduled: {}", name(d.scheduled)));
        }
        self.push(diagnostic.with_note(detail.join("; ")).with_note(
            "these days are analysed under the arm actually taken (`none`: not analysed)",
        ));
        deviations
    }
}

/// The header a diary for this spec should have.
fn header_help(spec: &hir::Spec) -> String {
    let mut header = vec!["day", "arm"];
    header.extend(spec.outcomes.iter().map(|o| o.name.as_str()));
    format!(
        "a diary starts with a header row such as `{}`",
        header.join(",")
    )
}

/// The span of the first header cell of this column kind.
fn column_span(header: &RawRecord, columns: &[Column], column: Column) -> Span {
    columns
        .iter()
        .position(|c| *c == column)
        .and_then(|i| header.spans.get(i).copied())
        .unwrap_or(header.line_span)
}

/// The raw, trimmed byte spans of the fields of the record starting at
/// `start`, and the end of its line. The csv crate gives field *contents*
/// (unquoted), not where they are, so the spans come from this scan; it
/// follows the same rules (a field quoted from its first non-blank character
/// may contain commas, line ends and doubled quotes).
fn field_spans(body: &str, start: usize) -> (Vec<Span>, usize) {
    let bytes = body.as_bytes();
    let mut spans = Vec::new();
    let mut i = start.min(bytes.len());
    let mut field_start = i;
    let mut in_quotes = false;
    let mut at_field_start = true;
    while let Some(&b) = bytes.get(i) {
        if in_quotes {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 2;
                    continue;
                }
                in_quotes = false;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' if at_field_start => in_quotes = true,
            b',' => {
                spans.push(trimmed(bytes, field_start, i));
                field_start = i + 1;
                at_field_start = true;
                i += 1;
                continue;
            }
            b'\n' | b'\r' => break,
            b' ' | b'\t' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        at_field_start = false;
        i += 1;
    }
    spans.push(trimmed(bytes, field_start, i));
    (spans, i)
}

/// `[a, b)` without leading and trailing blanks.
fn trimmed(bytes: &[u8], mut a: usize, mut b: usize) -> Span {
    while a < b && matches!(bytes.get(a), Some(b' ' | b'\t')) {
        a += 1;
    }
    while b > a && matches!(bytes.get(b - 1), Some(b' ' | b'\t')) {
        b -= 1;
    }
    Span::new(a, b)
}

/// Whether a diary number can be analysed as written: `f64` parsing turns
/// `1e-400` into 0 and keeps `1e300`, which would then overflow the model's
/// sums; counts above 2^53 are not even whole numbers any more. `Err` says
/// why, for E0721.
fn analysable(cell: &str, v: f64, kind: OutcomeType) -> Result<(), &'static str> {
    let mantissa = cell.split(['e', 'E']).next().unwrap_or(cell);
    let nonzero_written = mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
    if (v == 0.0 && nonzero_written) || (v != 0.0 && v.abs() < f64::MIN_POSITIVE) {
        return Err("is too small to represent: it would be read as 0");
    }
    if v.abs() > 1e100 {
        return Err("is too large to analyse (above 1e100 in magnitude)");
    }
    if matches!(kind, OutcomeType::Count { .. }) && v > 9_007_199_254_740_992.0 {
        return Err("is too large a count to represent exactly (above 2^53)");
    }
    Ok(())
}
