//! `trialc import studyu STUDY.json RESULTS.csv`: a StudyU study (its
//! definition and its results export) becomes, for each participant, a
//! `.trial` spec and a diary CSV that `trialc run` accepts.
//!
//! The mapping is documented in `docs/import-studyu.md`; in short:
//!
//! - each participant is one N-of-1 trial: their two interventions are the
//!   arms, declared in the participant's order (A = the intervention of
//!   their first treatment phase in StudyU's sequence), the study's first
//!   listed intervention the reference unless [`Options::reference`] says
//!   otherwise;
//! - StudyU's schedule (baseline, cycles of phases, the sequence) becomes a
//!   `fixed` pattern of the phases the participant was given, starting on
//!   the participant's start date; a baseline is a run-in;
//! - the outcome is one questionnaire question (the report's primary
//!   outcome unless [`Options::outcome`] names another): a scale question
//!   becomes a bounded continuous outcome, a yes/no question a binary one;
//! - the diary has one row per day of every phase the participant reached:
//!   the scheduled arm and the day's answer (the mean of the day's answers
//!   when a continuous question was answered more than once).
//!
//! Nothing is dropped silently: every row of the export is either used or
//! counted under the reason it was left out ([`Rows`]), and every
//! assumption is a [`Note`] (also written into the spec as a comment).
//!
//! Pure: the CLI reads both files and writes the outputs.

mod definition;
mod emit;
mod participant;
mod results;

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

use crate::codes;
use crate::diagnostic::{Diagnostic, Span};
use crate::source::FileId;

use definition::{QuestionKind, Study, BASELINE_ID};
use results::{Cell, Table};

pub use definition::MAX_DAYS;

/// One input text and the file it came from (diagnostics point into it).
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub file: FileId,
    pub text: &'a str,
}

/// Choices the export cannot make.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// Only this participant: an id, or the start of exactly one id.
    pub participant: Option<&'a str>,
    /// The outcome question: its id or its prompt. Default: the question
    /// the report specification's primary section reads.
    pub outcome: Option<&'a str>,
    /// The reference arm: an intervention's name or id. Default: of each
    /// participant's two interventions, the one listed first in the study.
    pub reference: Option<&'a str>,
}

/// Everything imported: one trial per participant with answers.
#[derive(Debug, Clone)]
pub struct Imported {
    pub trials: Vec<Trial>,
    /// What holds for the whole study (assumptions, questions not imported,
    /// participants not imported).
    pub notes: Vec<Note>,
    pub rows: Rows,
}

/// One participant's trial.
#[derive(Debug, Clone)]
pub struct Trial {
    pub participant: String,
    /// File names (no folder): the spec names the diary by `diary_file`,
    /// relative to its own folder, so both go into one folder.
    pub spec_file: String,
    pub spec: String,
    pub diary_file: String,
    pub diary: String,
    /// What was assumed or left out for this participant.
    pub notes: Vec<Note>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// A choice the import made that the inputs do not determine.
    Assumed,
    /// Something in the inputs that is not in the spec or the diary.
    Dropped,
    /// What the user must know before running the spec.
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub kind: NoteKind,
    pub text: String,
}

impl Note {
    fn assumed(text: impl Into<String>) -> Note {
        Note {
            kind: NoteKind::Assumed,
            text: text.into(),
        }
    }
    fn dropped(text: impl Into<String>) -> Note {
        Note {
            kind: NoteKind::Dropped,
            text: text.into(),
        }
    }
    fn warning(text: impl Into<String>) -> Note {
        Note {
            kind: NoteKind::Warning,
            text: text.into(),
        }
    }
}

/// The export's rows: each is used (its answer is in a diary) or counted
/// once under the first reason that excludes it. `used + Σ excluded = total`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows {
    pub total: usize,
    pub used: usize,
    /// Reason → rows, in the order reasons were first met.
    pub excluded: Vec<(String, usize)>,
}

impl Rows {
    fn exclude(&mut self, reason: &str) {
        match self.excluded.iter_mut().find(|(r, _)| r == reason) {
            Some((_, n)) => *n += 1,
            None => self.excluded.push((reason.to_string(), 1)),
        }
    }
    pub fn excluded_total(&self) -> usize {
        self.excluded.iter().map(|(_, n)| n).sum()
    }
}

/// Imports the study. `None` when there are errors (all of them are in the
/// diagnostics); the import is all or nothing.
pub fn import(
    definition: Input<'_>,
    results: Input<'_>,
    options: &Options<'_>,
) -> (Option<Imported>, Vec<Diagnostic>) {
    let study = definition::read(definition.file, definition.text);
    let table = results::read(results.file, results.text);
    let (study, table) = match (study, table) {
        (Ok(s), Ok(t)) => (s, t),
        (s, t) => {
            let mut errors = s.err().unwrap_or_default();
            errors.extend(t.err().unwrap_or_default());
            return (None, errors);
        }
    };
    let mut importer = Importer {
        study: &study,
        table: &table,
        def_file: definition.file,
        res_file: results.file,
        errors: Vec::new(),
        notes: Vec::new(),
        unknown: BTreeMap::new(),
    };
    let imported = importer.run(options);
    match imported {
        Some(i) if importer.errors.is_empty() => (Some(i), Vec::new()),
        _ => (None, importer.errors),
    }
}

/// The outcome: which question, and what it becomes.
#[derive(Debug, Clone)]
struct Outcome {
    questionnaire: usize,
    question: usize,
    /// The export's response column.
    column: usize,
    name_hint: Option<String>,
    higher_is_better: Option<bool>,
}

/// One row of an included participant, read.
#[derive(Debug, Clone)]
struct Record {
    row: usize,
    /// 0-based study day (StudyU's `current_day_of_study`).
    day: i64,
    /// `None` for StudyU's baseline pseudo-intervention.
    intervention: Option<usize>,
    intervention_cell: usize,
    /// The outcome's answer, when this row is of the outcome's questionnaire
    /// and answers it.
    value: Option<f64>,
    of_outcome_questionnaire: bool,
}

struct Participant {
    id: String,
    start: NaiveDate,
    records: Vec<Record>,
}

struct Importer<'a> {
    study: &'a Study,
    table: &'a Table,
    def_file: FileId,
    res_file: FileId,
    errors: Vec<Diagnostic>,
    notes: Vec<Note>,
    /// Interventions the definition lacks: the error reporting each (once)
    /// and how many rows name it.
    unknown: BTreeMap<String, (usize, usize)>,
}

/// The columns every row has (checked by `results::read`).
struct Columns {
    measurement: usize,
    participant: usize,
    started: usize,
    day: usize,
    intervention: usize,
}

impl Importer<'_> {
    fn cell(&self, row: usize, column: usize) -> &Cell {
        &self.table.rows[row].cells[column]
    }

    fn run(&mut self, options: &Options<'_>) -> Option<Imported> {
        let column = |name: &str| self.table.column(name).unwrap_or(0);
        let columns = Columns {
            measurement: column("measurement_id"),
            participant: column("participant_id"),
            started: column("participant_started_at"),
            day: column("current_day_of_study"),
            intervention: column("current_intervention_id"),
        };
        // Every problem with the study and the options, not just the first.
        let outcome = self.outcome(options);
        let wanted = self.participants_wanted(options, &columns);
        let design = self.design_is_analysable();
        let reference = self.reference_exists(options);
        let (outcome, wanted) = (outcome?, wanted?);
        design?;
        reference?;
        self.study_notes(&outcome);

        let mut rows = Rows {
            total: self.table.rows.len(),
            ..Rows::default()
        };
        let outcome_questionnaire = &self.study.questionnaires[outcome.questionnaire];
        // Participants in order of first appearance in the export.
        let mut participants: Vec<Participant> = Vec::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        // Row → why it is excluded (first reason), decided in one pass.
        let mut reasons: Vec<Option<String>> = vec![None; self.table.rows.len()];
        for (r, reason) in reasons.iter_mut().enumerate() {
            let pid = self.cell(r, columns.participant).text.trim().to_string();
            if !wanted.contains(&pid) {
                *reason = Some("rows of other participants (not asked for)".into());
                continue;
            }
            let Some(record) = self.record(r, &columns, &outcome) else {
                continue;
            };
            let p = match index.get(&pid) {
                Some(&p) => p,
                None => {
                    let Some(start) = self.start_date(r, columns.started) else {
                        continue;
                    };
                    participants.push(Participant {
                        id: pid.clone(),
                        start,
                        records: Vec::new(),
                    });
                    index.insert(pid.clone(), participants.len() - 1);
                    participants.len() - 1
                }
            };
            // One start per participant.
            let started = self.cell(r, columns.started);
            let first = participants[p].records.first().map(|f| f.row);
            if let Some(first) = first {
                let first_started = self.cell(first, columns.started);
                if first_started.text.trim() != started.text.trim() {
                    self.errors.push(
                        Diagnostic::error(
                            codes::E1005,
                            format!("participant `{pid}` has two start times in the export"),
                        )
                        .with_primary_in(self.res_file, started.span, "this start")
                        .with_secondary_in(self.res_file, first_started.span, "and this one")
                        .with_help("give the export StudyU wrote, unchanged"),
                    );
                }
            }
            if !record.of_outcome_questionnaire {
                let title = self
                    .study
                    .questionnaires
                    .iter()
                    .find(|q| q.id == self.cell(r, columns.measurement).text.trim())
                    .map_or_else(
                        || "rows of tasks the study definition does not have".to_string(),
                        |q| format!("rows of the questionnaire \"{}\" (not imported)", q.title),
                    );
                *reason = Some(title);
            } else if record.value.is_none() {
                *reason = Some(format!(
                    "rows of \"{}\" without an answer to the outcome question",
                    outcome_questionnaire.title
                ));
            }
            participants[p].records.push(record);
        }
        for (error, rows) in std::mem::take(&mut self.unknown).into_values() {
            if rows > 1 {
                let d = &mut self.errors[error];
                d.notes.push(format!("{rows} rows name it"));
            }
        }
        if !self.errors.is_empty() {
            return None;
        }
        let mut trials = Vec::new();
        let mut used_names: Vec<String> = Vec::new();
        for participant in &participants {
            let answered = participant.records.iter().any(|r| r.value.is_some());
            if !answered {
                self.notes.push(Note::dropped(format!(
                    "participant {}: no answer to the outcome question; no spec written",
                    participant.id
                )));
                continue;
            }
            if let Some(trial) = self.participant_trial(
                participant,
                &outcome,
                options,
                &mut reasons,
                &mut used_names,
            ) {
                trials.push(trial);
            }
        }
        if !self.errors.is_empty() {
            return None;
        }
        for reason in &reasons {
            match reason {
                Some(r) => rows.exclude(r),
                None => rows.used += 1,
            }
        }
        if trials.is_empty() {
            self.errors.push(
                Diagnostic::error(codes::E1007, "no participant of the export can be imported")
                    .with_primary_in(
                        self.res_file,
                        self.table.header_span,
                        "no participant has an answer to the outcome question and known arms",
                    )
                    .with_help(
                        "check that the export belongs to this study definition and choose the outcome with `--outcome`",
                    ),
            );
            return None;
        }
        Some(Imported {
            trials,
            notes: std::mem::take(&mut self.notes),
            rows,
        })
    }

    /// The outcome question and its response column (E1006 when none can be
    /// chosen, E1005 when the export has no column for it).
    fn outcome(&mut self, options: &Options<'_>) -> Option<Outcome> {
        let study = self.study;
        let find = |pred: &dyn Fn(&definition::Question) -> bool| {
            study
                .questionnaires
                .iter()
                .enumerate()
                .flat_map(|(i, q)| q.questions.iter().enumerate().map(move |(j, x)| (i, j, x)))
                .find(|(_, _, x)| pred(x))
                .map(|(i, j, _)| (i, j))
        };
        let candidates: Vec<String> = study
            .questionnaires
            .iter()
            .flat_map(|q| &q.questions)
            .filter(|x| !matches!(x.kind, QuestionKind::Other(_)))
            .map(|x| format!("{} ({})", x.id, x.prompt.trim()))
            .collect();
        let listed = if candidates.is_empty() {
            "the study has no scale or yes/no question".to_string()
        } else {
            format!(
                "the scale and yes/no questions are: {}",
                candidates.join("; ")
            )
        };
        let (found, primary) = match options.outcome {
            Some(wanted) => {
                let w = wanted.trim();
                let found = find(&|x| x.id == w || x.prompt.trim().eq_ignore_ascii_case(w));
                if found.is_none() {
                    self.errors.push(
                        Diagnostic::error(
                            codes::E1006,
                            format!(
                                "`--outcome {}` names no question of the study",
                                crate::render::inline(wanted)
                            ),
                        )
                        .with_primary_in(
                            self.def_file,
                            study.observations_span,
                            "the study's questionnaires",
                        )
                        .with_note(listed)
                        .with_help("give a question's id or its prompt"),
                    );
                    return None;
                }
                (found, None)
            }
            None => match &study.primary {
                Some(p) => {
                    let found = find(&|x| x.id == p.property)
                        .filter(|&(i, _)| study.questionnaires[i].id == p.task);
                    if found.is_none() {
                        self.errors.push(
                            Diagnostic::error(
                                codes::E1006,
                                "the report's primary outcome is not a question of the study's questionnaires",
                            )
                            .with_primary_in(self.def_file, p.span, "this question")
                            .with_note(listed)
                            .with_help("choose the outcome with `--outcome QUESTION`"),
                        );
                        return None;
                    }
                    (found, Some(p))
                }
                None => {
                    self.errors.push(
                        Diagnostic::error(
                            codes::E1006,
                            "the study's report names no primary outcome, so the import cannot choose one",
                        )
                        .with_primary_in(
                            self.def_file,
                            study.observations_span,
                            "the study's questionnaires",
                        )
                        .with_note(listed)
                        .with_help("choose the outcome with `--outcome QUESTION` (an id or a prompt)"),
                    );
                    return None;
                }
            },
        };
        let (qi, xi) = found?;
        let question = &study.questionnaires[qi].questions[xi];
        if let QuestionKind::Other(kind) = &question.kind {
            self.errors.push(
                Diagnostic::error(
                    codes::E1006,
                    format!(
                        "the outcome question is a `{}` question, which is not an outcome trialc can analyse",
                        crate::render::inline(kind)
                    ),
                )
                .with_primary_in(self.def_file, question.type_span, "this question's type")
                .with_note(listed)
                .with_help("choose a scale (continuous) or yes/no (binary) question with `--outcome`"),
            );
            return None;
        }
        // The response column: `survey{i}_question{j}_response` where the
        // row's `survey{i}_question{j}_id` is the question's id.
        let column = (0..self.table.header.len()).find(|&c| {
            let name = self.table.header[c].text.trim();
            name.strip_prefix("survey")
                .and_then(|rest| rest.strip_suffix("_id"))
                .is_some_and(|mid| mid.contains("_question"))
                && self
                    .table
                    .rows
                    .iter()
                    .any(|r| r.cells.get(c).is_some_and(|x| x.text.trim() == question.id))
        });
        let response = column.and_then(|c| {
            let name = self.table.header[c].text.trim();
            let response = format!("{}_response", name.strip_suffix("_id").unwrap_or(name));
            self.table.column(&response)
        });
        let Some(column) = response else {
            self.errors.push(
                Diagnostic::error(
                    codes::E1005,
                    format!(
                        "the results export has no answers column for the outcome question `{}`",
                        question.id
                    ),
                )
                .with_primary_in(self.res_file, self.table.header_span, "no `survey…_question…_id` column holds this id")
                .with_secondary_in(self.def_file, question.span, "the outcome question")
                .with_help("give the export of this study (StudyU writes each question's id in its `_id` column)"),
            );
            return None;
        };
        let name_hint = primary
            .and_then(|p| p.title.clone())
            .or_else(|| Some(question.prompt.clone()).filter(|p| !p.trim().is_empty()));
        Some(Outcome {
            questionnaire: qi,
            question: xi,
            column,
            name_hint,
            higher_is_better: primary.and_then(|p| p.higher_is_better),
        })
    }

    /// The participants to import, in order of first appearance (E1007 for
    /// `--participant` matching none or several).
    fn participants_wanted(
        &mut self,
        options: &Options<'_>,
        columns: &Columns,
    ) -> Option<Vec<String>> {
        let mut all: Vec<String> = Vec::new();
        for row in &self.table.rows {
            let id = row.cells[columns.participant].text.trim();
            if !id.is_empty() && !all.iter().any(|a| a == id) {
                all.push(id.to_string());
            }
        }
        let Some(wanted) = options.participant.map(str::trim) else {
            return Some(all);
        };
        let matches: Vec<&String> = match all.iter().find(|a| *a == wanted) {
            Some(exact) => vec![exact],
            None if wanted.is_empty() => Vec::new(),
            None => all.iter().filter(|a| a.starts_with(wanted)).collect(),
        };
        if matches.len() == 1 {
            return Some(vec![matches[0].clone()]);
        }
        let listed = all.join(", ");
        let (message, label) = if matches.is_empty() {
            (
                format!(
                    "no participant of the export has an id starting `{}`",
                    crate::render::inline(wanted)
                ),
                "the participants are in this column",
            )
        } else {
            (
                format!(
                    "{} participants have ids starting `{}`",
                    matches.len(),
                    crate::render::inline(wanted)
                ),
                "the participants are in this column",
            )
        };
        self.errors.push(
            Diagnostic::error(codes::E1007, message)
                .with_primary_in(
                    self.res_file,
                    self.table.header[columns.participant].span,
                    label,
                )
                .with_note(format!("the export's participants: {listed}"))
                .with_help("give an id, or enough of its start to name one participant"),
        );
        None
    }

    /// E1008 when StudyU's design gives an arm fewer than two phases: an
    /// N-of-1 analysis needs each arm at least twice (E0305).
    fn design_is_analysable(&mut self) -> Option<()> {
        let schedule = &self.study.schedule;
        let letters = schedule.letters();
        let per_arm = |l: u8| {
            letters
                .iter()
                .enumerate()
                .filter(|(p, x)| **x == Some(l) || (x.is_none() && p % 2 == usize::from(l)))
                .count()
        };
        if per_arm(0) >= 2 && per_arm(1) >= 2 {
            return Some(());
        }
        self.errors.push(
            Diagnostic::error(
                codes::E1008,
                format!(
                    "StudyU's design gives an intervention fewer than two phases ({} phase{} in all)",
                    letters.len(),
                    if letters.len() == 1 { "" } else { "s" }
                ),
            )
            .with_primary_in(self.def_file, schedule.span, "this schedule")
            .with_note("an N-of-1 analysis compares each arm over at least two periods (E0305); with one, arm and time cannot be told apart")
            .with_help("such a study cannot be analysed as an N-of-1 trial; a study with two or more cycles can"),
        );
        None
    }

    /// E1009 when `--reference` names no intervention of the study.
    fn reference_exists(&mut self, options: &Options<'_>) -> Option<()> {
        let Some(wanted) = options.reference else {
            return Some(());
        };
        let w = wanted.trim();
        if self
            .study
            .interventions
            .iter()
            .any(|i| i.id == w || i.name.trim().eq_ignore_ascii_case(w))
        {
            return Some(());
        }
        let names: Vec<&str> = self
            .study
            .interventions
            .iter()
            .map(|i| i.name.trim())
            .collect();
        self.errors.push(
            Diagnostic::error(
                codes::E1009,
                format!(
                    "`--reference {}` names no intervention of the study",
                    crate::render::inline(wanted)
                ),
            )
            .with_primary_in(
                self.def_file,
                self.study.interventions_span,
                "the study's interventions",
            )
            .with_note(format!("the interventions are: {}", names.join(", ")))
            .with_help("give an intervention's name or id"),
        );
        None
    }

    /// What holds for every participant: the outcome's mapping and what the
    /// spec leaves out.
    fn study_notes(&mut self, outcome: &Outcome) {
        let questionnaire = &self.study.questionnaires[outcome.questionnaire];
        let question = &questionnaire.questions[outcome.question];
        let mapping = match &question.kind {
            QuestionKind::Scale { name, min, max } => format!(
                "a `{name}` question from {min} to {max}, so a continuous outcome in [{min}, {max}]"
            ),
            _ => "a yes/no question, so a binary outcome (yes = 1)".to_string(),
        };
        let mut notes = vec![Note::assumed(format!(
            "the outcome is the question \"{}\" of \"{}\": {mapping}",
            question.prompt.trim(),
            questionnaire.title
        ))];
        notes.push(Note::assumed(match outcome.higher_is_better {
            Some(true) => "higher is better (the report's `improvement` is positive)".to_string(),
            Some(false) => "lower is better (the report's `improvement` is negative)".to_string(),
            None => "higher is better: the report gives no direction, so this is a guess to check"
                .to_string(),
        }));
        notes.push(Note::assumed(
            "trialc's default priors, written out, and independent errors (StudyU's report fits a linear regression without autocorrelation); consider `errors ar1(…)` for daily ratings",
        ));
        notes.push(Note::assumed(
            "no washout, as in StudyU; if the answers describe the day or night before, the first day of each phase reports on the previous intervention, and `washout 1 day` leaves those days out",
        ));
        for (i, q) in self.study.questionnaires.iter().enumerate() {
            let others: Vec<&str> = q
                .questions
                .iter()
                .filter(|x| x.id != question.id)
                .map(|x| x.prompt.trim())
                .collect();
            if others.is_empty() {
                continue;
            }
            let what = if i == outcome.questionnaire {
                "its other questions"
            } else {
                "its questions"
            };
            notes.push(Note::dropped(format!(
                "questionnaire \"{}\": {what} ({}); one outcome is imported, another with `--outcome`",
                q.title,
                others.join("; ")
            )));
        }
        notes.push(Note::dropped(
            "decision rules: StudyU defines none, and the spec has no MCID (the report gives the effect's posterior)",
        ));
        self.notes.extend(notes);
    }

    /// Reads one row of an included participant (E1004, E1005 on bad cells).
    fn record(&mut self, r: usize, columns: &Columns, outcome: &Outcome) -> Option<Record> {
        let questionnaire = &self.study.questionnaires[outcome.questionnaire];
        let day_cell = self.cell(r, columns.day).clone();
        let day = match day_cell.text.trim().parse::<i64>() {
            Ok(d) => d,
            Err(_) => {
                self.bad_cell(
                    &day_cell,
                    "`current_day_of_study` is not a whole number",
                    "expected StudyU's 0-based day of the study",
                );
                return None;
            }
        };
        let iv = self.cell(r, columns.intervention).clone();
        let intervention = if iv.text.trim() == BASELINE_ID {
            None
        } else {
            match self
                .study
                .interventions
                .iter()
                .position(|i| i.id == iv.text.trim())
            {
                Some(i) => Some(i),
                None => {
                    if let Some((_, rows)) = self.unknown.get_mut(iv.text.trim()) {
                        *rows += 1;
                        return None;
                    }
                    self.unknown
                        .insert(iv.text.trim().to_string(), (self.errors.len(), 1));
                    self.errors.push(
                        Diagnostic::error(
                            codes::E1005,
                            format!(
                                "the export names an intervention `{}` the study definition does not have",
                                crate::render::inline(iv.text.trim())
                            ),
                        )
                        .with_primary_in(self.res_file, iv.span, "not an intervention of the study")
                        .with_secondary_in(self.def_file, self.study.interventions_span, "the study's interventions")
                        .with_help("give the definition and the export of the same study, both from one StudyU export"),
                    );
                    return None;
                }
            }
        };
        let of_outcome_questionnaire =
            self.cell(r, columns.measurement).text.trim() == questionnaire.id;
        let value = if of_outcome_questionnaire {
            let cell = self.cell(r, outcome.column).clone();
            self.value(&cell, outcome)?
        } else {
            None
        };
        Some(Record {
            row: r,
            day,
            intervention,
            intervention_cell: columns.intervention,
            value,
            of_outcome_questionnaire,
        })
    }

    /// An answer: `None` for an empty cell; `Some(None)` after an error.
    #[allow(clippy::option_option)]
    fn value(&mut self, cell: &Cell, outcome: &Outcome) -> Option<Option<f64>> {
        let text = cell.text.trim();
        if text.is_empty() {
            return Some(None);
        }
        let question =
            &self.study.questionnaires[outcome.questionnaire].questions[outcome.question];
        match &question.kind {
            QuestionKind::Scale { min, max, .. } => match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= *min && v <= *max => Some(Some(v)),
                Ok(v) if v.is_finite() => {
                    self.bad_cell(
                        cell,
                        &format!(
                            "the answer {text} is outside the question's scale, {min} to {max}"
                        ),
                        "outside the scale",
                    );
                    let _ = v;
                    None
                }
                _ => {
                    self.bad_cell(
                        cell,
                        &format!(
                            "the answer `{}` is not a number",
                            crate::render::inline(text)
                        ),
                        "expected a number on the question's scale",
                    );
                    None
                }
            },
            QuestionKind::Boolean => match text {
                "true" => Some(Some(1.0)),
                "false" => Some(Some(0.0)),
                _ => {
                    self.bad_cell(
                        cell,
                        &format!(
                            "the answer `{}` is not true or false",
                            crate::render::inline(text)
                        ),
                        "expected true or false",
                    );
                    None
                }
            },
            QuestionKind::Other(_) => Some(None),
        }
    }

    fn bad_cell(&mut self, cell: &Cell, message: &str, label: &str) {
        self.errors.push(
            Diagnostic::error(codes::E1004, message.to_string())
                .with_primary_in(self.res_file, cell.span, label.to_string())
                .with_help("give the export StudyU wrote, unchanged"),
        );
    }

    /// The participant's start date: StudyU starts a participant at local
    /// midnight and stores it in UTC, so the date is the nearest midnight's.
    fn start_date(&mut self, r: usize, column: usize) -> Option<NaiveDate> {
        let cell = self.cell(r, column).clone();
        match parse_time(cell.text.trim()) {
            Some(t) => Some((t + TimeDelta::hours(12)).date()),
            None => {
                self.bad_cell(
                    &cell,
                    &format!(
                        "`participant_started_at` is `{}`, not a time",
                        crate::render::inline(cell.text.trim())
                    ),
                    "expected a time like 2023-07-26 22:00:00.000Z",
                );
                None
            }
        }
    }

    /// The time of a participant's start, for the notes.
    fn start_text(&self, participant: &Participant) -> String {
        let columns_started = self.table.column("participant_started_at").unwrap_or(0);
        participant
            .records
            .first()
            .map(|r| self.cell(r.row, columns_started).text.trim().to_string())
            .unwrap_or_default()
    }
}

/// `2023-07-26 22:00:00.000Z` (StudyU's UTC form), the same with `T`, with
/// an offset, or without a zone. The time as written (UTC for `Z`).
fn parse_time(text: &str) -> Option<NaiveDateTime> {
    let t = text.replacen(' ', "T", 1);
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(&t) {
        return Some(dt.naive_local());
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(&t, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
}

/// Whether `t` can be a local midnight somewhere: on a quarter hour (time
/// zones are whole, half or three-quarter hours off UTC).
// `is_multiple_of` needs Rust 1.87; the workspace promises 1.85.
#[allow(clippy::manual_is_multiple_of)]
fn on_a_quarter_hour(t: NaiveDateTime) -> bool {
    use chrono::Timelike;
    t.minute() % 15 == 0 && t.second() == 0 && t.nanosecond() == 0
}

/// Spans of a participant's rows, for diagnostics about their arms.
fn span_of(table: &Table, record: &Record) -> Span {
    table.rows[record.row].cells[record.intervention_cell].span
}
