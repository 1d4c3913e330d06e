//! The StudyU study definition (`study_definition.json`, StudyU's
//! `Study.toJson()`): the parts an N-of-1 spec needs, read with spans.
//!
//! Only what the import uses is required: the interventions, the
//! questionnaires and their questions, the schedule, and (optionally) the
//! report's primary outcome. Every other field is ignored. Problems are
//! E1001 (not JSON) and E1002 (a field the import needs is missing, has the
//! wrong type or a value StudyU does not define), each pointing at the value
//! or at the object that lacks it.

use serde_json::Value;

use crate::codes;
use crate::diagnostic::{Diagnostic, Span};
use crate::hypotheses::JsonSpans;
use crate::source::FileId;

/// StudyU's id of the baseline phase's pseudo-intervention.
pub const BASELINE_ID: &str = "__baseline";

/// The longest study trialc analyses (E0316's limit): 10 years.
pub const MAX_DAYS: usize = 3653;

#[derive(Debug, Clone)]
pub struct Study {
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub interventions: Vec<Intervention>,
    pub questionnaires: Vec<Questionnaire>,
    pub schedule: Schedule,
    pub primary: Option<Primary>,
    /// Where `interventions` and `observations` are (for diagnostics about
    /// options that name neither).
    pub interventions_span: Span,
    pub observations_span: Span,
}

#[derive(Debug, Clone)]
pub struct Intervention {
    pub id: String,
    pub name: String,
    pub description: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Questionnaire {
    pub id: String,
    pub title: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone)]
pub struct Question {
    pub id: String,
    pub prompt: String,
    pub kind: QuestionKind,
    /// The question's `id` value, and its `type` value.
    pub span: Span,
    pub type_span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QuestionKind {
    /// `scale`, `annotatedScale`, `visualAnalogue`: a number in [min, max].
    Scale { name: String, min: f64, max: f64 },
    /// `boolean`: yes or no.
    Boolean,
    /// Any other question type (choice, free text, date, media, …).
    Other(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sequence {
    Alternating,
    CounterBalanced,
    Randomized,
    Customized,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub cycles: usize,
    pub phase_days: usize,
    pub baseline: bool,
    pub sequence: Sequence,
    /// `customized` only: the cycle's letters, 0 = A, 1 = B.
    pub custom: Vec<u8>,
    pub span: Span,
}

impl Schedule {
    /// Phases per cycle: two, or the custom pattern's length.
    pub fn cycle_len(&self) -> usize {
        match self.sequence {
            Sequence::Customized => self.custom.len(),
            _ => 2,
        }
    }
    pub fn phases(&self) -> usize {
        self.cycles * self.cycle_len()
    }
    /// StudyU's baseline lasts one phase.
    pub fn baseline_days(&self) -> usize {
        if self.baseline {
            self.phase_days
        } else {
            0
        }
    }
    pub fn total_days(&self) -> usize {
        self.baseline_days() + self.phases() * self.phase_days
    }
    /// The letter (0 = the participant's first intervention, 1 = the
    /// second) of every treatment phase, as StudyU generates them; `None`
    /// where StudyU draws the order (cycles after the first of a
    /// `randomized` design).
    pub fn letters(&self) -> Vec<Option<u8>> {
        let mut letters = Vec::with_capacity(self.phases());
        for cycle in 0..self.cycles {
            match self.sequence {
                Sequence::Alternating => letters.extend([Some(0), Some(1)]),
                // StudyU reverses the pair when ((cycle + 1) / 2) is odd:
                // AB BA BA AB AB BA …
                Sequence::CounterBalanced if cycle.div_ceil(2) % 2 == 1 => {
                    letters.extend([Some(1), Some(0)])
                }
                Sequence::CounterBalanced => letters.extend([Some(0), Some(1)]),
                Sequence::Randomized if cycle == 0 => letters.extend([Some(0), Some(1)]),
                Sequence::Randomized => letters.extend([None, None]),
                Sequence::Customized => letters.extend(self.custom.iter().map(|&l| Some(l))),
            }
        }
        letters
    }
}

#[derive(Debug, Clone)]
pub struct Primary {
    /// The questionnaire and question the report's primary section reads.
    pub task: String,
    pub property: String,
    pub title: Option<String>,
    /// `improvement`: `Some(true)` positive (higher is better), `Some(false)`
    /// negative, `None` not given.
    pub higher_is_better: Option<bool>,
    pub span: Span,
}

/// Reads the definition; every problem found is reported, not only the first.
pub fn read(file: FileId, given: &str) -> Result<Study, Vec<Diagnostic>> {
    // A byte order mark is not JSON: read it as spaces, so offsets still
    // point into the text as given.
    let unmarked;
    let text = match given.strip_prefix('\u{feff}') {
        Some(rest) => {
            unmarked = format!("   {rest}");
            unmarked.as_str()
        }
        None => given,
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let at = character_at(given, offset_of(text, e.line(), e.column()));
            let message = e.to_string();
            let message = message
                .rfind(" at line ")
                .map_or(message.as_str(), |i| &message[..i])
                .to_string();
            return Err(vec![Diagnostic::error(
                codes::E1001,
                "the study definition is not valid JSON",
            )
            .with_primary_in(file, at, message)
            .with_help(
                "give the `study_definition.json` of StudyU's export (Designer: Analyze, Export), unchanged",
            )]);
        }
    };
    if !value.is_object() {
        return Err(vec![Diagnostic::error(
            codes::E1001,
            "the study definition is not a JSON object",
        )
        .with_primary_in(
            file,
            Span::new(0, given.len().min(1)),
            "a StudyU study definition is one object",
        )
        .with_help(
            "give the `study_definition.json` of StudyU's export, unchanged",
        )]);
    }
    let mut reader = Reader {
        file,
        spans: JsonSpans::scan(text),
        errors: Vec::new(),
    };
    let study = reader.study(&value);
    match study {
        Some(study) if reader.errors.is_empty() => Ok(study),
        _ => Err(reader.errors),
    }
}

struct Reader {
    file: FileId,
    spans: JsonSpans,
    errors: Vec<Diagnostic>,
}

impl Reader {
    /// The value's span, else the nearest enclosing value's.
    fn span(&self, path: &str) -> Span {
        let mut p = path;
        loop {
            if let Some(s) = self.spans.value(p) {
                return s;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => return self.spans.value("").unwrap_or_default(),
            }
        }
    }

    fn fail(&mut self, path: &str, message: String, label: &str) {
        let shown = if path.is_empty() { "the study" } else { path };
        self.errors.push(
            Diagnostic::error(codes::E1002, message)
                .with_primary_in(self.file, self.span(path), label.to_string())
                .with_note(format!("at `{shown}` of the study definition"))
                .with_help(
                    "give the `study_definition.json` of StudyU's export, unchanged; docs/import-studyu.md lists the fields the import reads",
                ),
        );
    }

    fn get<'v>(&mut self, object: &'v Value, parent: &str, key: &str) -> Option<&'v Value> {
        let path = join(parent, key);
        match object.get(key) {
            Some(Value::Null) | None => {
                self.fail(
                    &path,
                    format!("the study definition has no `{path}`"),
                    &format!("`{key}` is missing here"),
                );
                None
            }
            Some(v) => Some(v),
        }
    }

    fn string(&mut self, object: &Value, parent: &str, key: &str) -> Option<String> {
        let value = self.get(object, parent, key)?;
        match value.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                let path = join(parent, key);
                self.fail(
                    &path,
                    format!("`{path}` is not a string"),
                    "expected a string",
                );
                None
            }
        }
    }

    fn optional_string(object: &Value, key: &str) -> Option<String> {
        object
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|s| !s.trim().is_empty())
    }

    fn count(&mut self, object: &Value, parent: &str, key: &str) -> Option<usize> {
        let value = self.get(object, parent, key)?;
        let path = join(parent, key);
        match value.as_u64().or_else(|| {
            value
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e15)
                .map(|f| f as u64)
        }) {
            Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => {
                self.fail(
                    &path,
                    format!("`{path}` is not a whole number of at least 1"),
                    "expected a whole number, at least 1",
                );
                None
            }
        }
    }

    fn array<'v>(&mut self, object: &'v Value, parent: &str, key: &str) -> Option<&'v Vec<Value>> {
        let value = self.get(object, parent, key)?;
        match value.as_array() {
            Some(a) => Some(a),
            None => {
                let path = join(parent, key);
                self.fail(&path, format!("`{path}` is not a list"), "expected a list");
                None
            }
        }
    }

    fn study(&mut self, root: &Value) -> Option<Study> {
        let interventions = self.interventions(root);
        let questionnaires = self.questionnaires(root);
        let schedule = self.schedule(root);
        let primary = self.primary(root);
        Some(Study {
            id: Self::optional_string(root, "id"),
            title: Self::optional_string(root, "title"),
            description: Self::optional_string(root, "description"),
            interventions: interventions?,
            questionnaires: questionnaires?,
            schedule: schedule?,
            primary,
            interventions_span: self.span("interventions"),
            observations_span: self.span("observations"),
        })
    }

    fn interventions(&mut self, root: &Value) -> Option<Vec<Intervention>> {
        let list = self.array(root, "", "interventions")?;
        let mut out = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let path = format!("interventions[{i}]");
            let id = self.string(item, &path, "id");
            let name = Self::optional_string(item, "name");
            if let Some(id) = id {
                if id == BASELINE_ID {
                    self.fail(
                        &join(&path, "id"),
                        format!("an intervention has StudyU's baseline id `{BASELINE_ID}`"),
                        "reserved for the baseline phase",
                    );
                    continue;
                }
                out.push(Intervention {
                    name: name.unwrap_or_else(|| format!("Intervention {}", i + 1)),
                    description: Self::optional_string(item, "description").unwrap_or_default(),
                    span: self.span(&path),
                    id,
                });
            }
        }
        for (i, a) in out.iter().enumerate() {
            if out[..i].iter().any(|b| b.id == a.id) {
                self.errors.push(
                    Diagnostic::error(
                        codes::E1002,
                        format!("two interventions have the id `{}`", a.id),
                    )
                    .with_primary_in(self.file, a.span, "this id is taken")
                    .with_help("give the `study_definition.json` of StudyU's export, unchanged"),
                );
            }
        }
        if out.len() < 2 && list.len() == out.len() {
            self.fail(
                "interventions",
                format!(
                    "the study has {} intervention{}; an N-of-1 trial compares two",
                    out.len(),
                    if out.len() == 1 { "" } else { "s" }
                ),
                "fewer than two interventions",
            );
        }
        Some(out)
    }

    fn questionnaires(&mut self, root: &Value) -> Option<Vec<Questionnaire>> {
        let list = self.array(root, "", "observations")?;
        let mut out = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let path = format!("observations[{i}]");
            // StudyU's only observation type; anything else is not read.
            if item.get("type").and_then(Value::as_str) != Some("questionnaire") {
                continue;
            }
            let id = self.string(item, &path, "id");
            let questions = self.array(item, &path, "questions");
            let mut read = Vec::new();
            for (j, q) in questions.into_iter().flatten().enumerate() {
                if let Some(q) = self.question(q, &format!("{path}.questions[{j}]")) {
                    read.push(q);
                }
            }
            if let Some(id) = id {
                out.push(Questionnaire {
                    title: Self::optional_string(item, "title").unwrap_or_else(|| id.clone()),
                    id,
                    questions: read,
                });
            }
        }
        Some(out)
    }

    fn question(&mut self, item: &Value, path: &str) -> Option<Question> {
        let kind = self.string(item, path, "type");
        let id = self.string(item, path, "id");
        let kind = match kind?.as_str() {
            name @ ("scale" | "annotatedScale" | "visualAnalogue") => {
                let min = self.number(item, path, "minimum");
                let max = self.number(item, path, "maximum");
                let (min, max) = (min?, max?);
                if min >= max {
                    self.fail(
                        &join(path, "maximum"),
                        format!("the scale of `{path}` is empty: minimum {min}, maximum {max}"),
                        "not above the minimum",
                    );
                    return None;
                }
                QuestionKind::Scale {
                    name: name.to_string(),
                    min,
                    max,
                }
            }
            "boolean" => QuestionKind::Boolean,
            other => QuestionKind::Other(other.to_string()),
        };
        Some(Question {
            prompt: Self::optional_string(item, "prompt").unwrap_or_default(),
            id: id?,
            kind,
            span: self.span(&join(path, "id")),
            type_span: self.span(&join(path, "type")),
        })
    }

    fn number(&mut self, object: &Value, parent: &str, key: &str) -> Option<f64> {
        let value = self.get(object, parent, key)?;
        match value.as_f64().filter(|f| f.is_finite()) {
            Some(n) => Some(n),
            None => {
                let path = join(parent, key);
                self.fail(
                    &path,
                    format!("`{path}` is not a number"),
                    "expected a number",
                );
                None
            }
        }
    }

    fn schedule(&mut self, root: &Value) -> Option<Schedule> {
        let schedule = self.get(root, "", "schedule")?;
        if !schedule.is_object() {
            self.fail(
                "schedule",
                "`schedule` is not an object".into(),
                "expected an object",
            );
            return None;
        }
        let cycles = self.count(schedule, "schedule", "numberOfCycles");
        let phase_days = self.count(schedule, "schedule", "phaseDuration");
        let baseline = match self.get(schedule, "schedule", "includeBaseline") {
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.fail(
                    "schedule.includeBaseline",
                    "`schedule.includeBaseline` is not true or false".into(),
                    "expected true or false",
                );
                None
            }
            None => None,
        };
        let sequence = match self.string(schedule, "schedule", "sequence")?.as_str() {
            "alternating" => Some(Sequence::Alternating),
            "counterBalanced" => Some(Sequence::CounterBalanced),
            "randomized" => Some(Sequence::Randomized),
            "customized" => Some(Sequence::Customized),
            other => {
                self.fail(
                    "schedule.sequence",
                    format!(
                        "`schedule.sequence` is `{}`, which StudyU does not define",
                        crate::render::inline(other)
                    ),
                    "expected alternating, counterBalanced, randomized or customized",
                );
                None
            }
        };
        let mut custom = Vec::new();
        if sequence == Some(Sequence::Customized) {
            let pattern = self.string(schedule, "schedule", "sequenceCustom")?;
            for c in pattern.trim().chars() {
                match c.to_ascii_uppercase() {
                    'A' => custom.push(0),
                    'B' => custom.push(1),
                    _ => {
                        self.fail(
                            "schedule.sequenceCustom",
                            format!(
                                "`schedule.sequenceCustom` is `{}`: StudyU's custom sequences use only the letters A and B",
                                crate::render::inline(&pattern)
                            ),
                            "only A and B",
                        );
                        return None;
                    }
                }
            }
            if custom.is_empty() {
                self.fail(
                    "schedule.sequenceCustom",
                    "`schedule.sequenceCustom` is empty".into(),
                    "no phases",
                );
                return None;
            }
        }
        let schedule = Schedule {
            cycles: cycles?,
            phase_days: phase_days?,
            baseline: baseline?,
            sequence: sequence?,
            custom,
            span: self.span("schedule"),
        };
        // Checked in factors, so that no product can overflow.
        let too_long = schedule.phase_days > MAX_DAYS
            || schedule.cycles > MAX_DAYS
            || schedule.cycle_len() > MAX_DAYS
            || schedule.total_days() > MAX_DAYS;
        if too_long {
            self.fail(
                "schedule",
                format!(
                    "the study would last more than {MAX_DAYS} days (10 years), longer than trialc analyses"
                ),
                "numberOfCycles × phases × phaseDuration",
            );
            return None;
        }
        Some(schedule)
    }

    /// The report's primary section, if it names a questionnaire question.
    fn primary(&mut self, root: &Value) -> Option<Primary> {
        let primary = root.get("report_specification")?.get("primary")?;
        let property = primary.get("resultProperty")?;
        let path = "report_specification.primary.resultProperty";
        let task = self.string(property, path, "task");
        let question = self.string(property, path, "property");
        let higher_is_better = match primary.get("improvement").and_then(Value::as_str) {
            Some("positive") => Some(true),
            Some("negative") => Some(false),
            _ => None,
        };
        Some(Primary {
            task: task?,
            property: question?,
            title: Self::optional_string(primary, "title"),
            higher_is_better,
            span: self.span(path),
        })
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Byte offset of a 1-based line and column (serde_json's error position).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// The one character at or around byte `at` (a label starts and ends on
/// character boundaries).
fn character_at(text: &str, at: usize) -> Span {
    let mut start = at.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let width = text[start..].chars().next().map_or(0, char::len_utf8);
    Span::new(start, start + width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(sequence: Sequence, cycles: usize, custom: &[u8]) -> Schedule {
        Schedule {
            cycles,
            phase_days: 7,
            baseline: false,
            sequence,
            custom: custom.to_vec(),
            span: Span::default(),
        }
    }

    fn letters(s: &Schedule) -> String {
        s.letters()
            .iter()
            .map(|l| match l {
                Some(0) => 'A',
                Some(_) => 'B',
                None => '?',
            })
            .collect()
    }

    /// The sequences StudyU's `StudySchedule.generateWith(0)` produces.
    #[test]
    fn phase_letters_follow_studyu() {
        assert_eq!(letters(&schedule(Sequence::Alternating, 3, &[])), "ABABAB");
        assert_eq!(
            letters(&schedule(Sequence::CounterBalanced, 5, &[])),
            "ABBABAABAB"
        );
        assert_eq!(letters(&schedule(Sequence::Randomized, 3, &[])), "AB????");
        assert_eq!(
            letters(&schedule(Sequence::Customized, 2, &[0, 1, 1])),
            "ABBABB"
        );
    }

    #[test]
    fn problems_are_coded_and_all_reported() {
        let text = r#"{"interventions": [{"id": "a", "name": "A"}],
            "observations": [],
            "schedule": {"numberOfCycles": 0, "phaseDuration": 7, "includeBaseline": "no", "sequence": "zigzag"}}"#;
        let errors = read(FileId(0), text).expect_err("invalid");
        assert!(errors.iter().all(|d| d.code == "E1002"), "{errors:?}");
        let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(errors.len(), 4, "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("1 intervention")));
        assert!(messages.iter().any(|m| m.contains("numberOfCycles")));
        assert!(messages.iter().any(|m| m.contains("includeBaseline")));
        assert!(messages.iter().any(|m| m.contains("zigzag")));
        // The label is on the offending value.
        let cycles = errors
            .iter()
            .find(|d| d.message.contains("numberOfCycles"))
            .and_then(|d| d.primary_span())
            .expect("span");
        assert_eq!(&text[cycles.range()], "0");
    }

    #[test]
    fn not_json_points_at_the_fault() {
        let errors = read(FileId(0), "{\"id\": }").expect_err("not JSON");
        assert_eq!(errors[0].code, "E1001");
        assert_eq!(errors[0].primary_span().map(|s| s.start), Some(7));
        assert_eq!(read(FileId(0), "[1]").expect_err("array")[0].code, "E1001");
        assert_eq!(read(FileId(0), "").expect_err("empty")[0].code, "E1001");
    }

    #[test]
    fn overlong_studies_are_refused_without_overflow() {
        let text = r#"{"interventions": [{"id": "a"}, {"id": "b"}], "observations": [],
            "schedule": {"numberOfCycles": 18446744073709551615, "phaseDuration": 18446744073709551615,
                         "includeBaseline": true, "sequence": "alternating"}}"#;
        let errors = read(FileId(0), text).expect_err("too long");
        assert!(errors[0].message.contains("3653 days"), "{errors:?}");
    }
}
