//! One participant: which intervention each phase had, the diary, the spec.

use super::definition::{QuestionKind, Sequence};
use super::emit::{self, Arm, OutcomeKind, SpecParts};
use super::{span_of, Importer, Note, Options, Outcome, Participant, Record, Trial};
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::init::{derive_name, Names};

/// Where a study day falls.
enum Day {
    Baseline,
    Phase(usize),
    Outside,
}

/// Why a row of a participant who is imported is left out.
const OUTSIDE: &str = "rows on days outside the study's schedule";
const CONFLICTING: &str = "yes/no answers that contradict another answer of the same day";
const ARMS_UNKNOWN: &str = "rows of participants whose two interventions the export does not show";

impl Importer<'_> {
    fn day(&self, day: i64) -> Day {
        let schedule = &self.study.schedule;
        let Ok(day) = usize::try_from(day) else {
            return Day::Outside;
        };
        if day < schedule.baseline_days() {
            Day::Baseline
        } else if day < schedule.total_days() {
            Day::Phase((day - schedule.baseline_days()) / schedule.phase_days)
        } else {
            Day::Outside
        }
    }

    fn intervention_name(&self, i: usize) -> &str {
        &self.study.interventions[i].name
    }

    pub(super) fn participant_trial(
        &mut self,
        participant: &Participant,
        outcome: &Outcome,
        options: &Options<'_>,
        reasons: &mut [Option<String>],
        file_names: &mut Vec<String>,
    ) -> Option<Trial> {
        let schedule = &self.study.schedule;
        let phases = schedule.phases();
        let mut notes = Vec::new();
        let errors_before = self.errors.len();

        // 1. The intervention of every phase the export shows.
        let mut phase_arm: Vec<Option<(usize, &Record)>> = vec![None; phases];
        let mut last_day: Option<usize> = None;
        for record in &participant.records {
            let reached = match self.day(record.day) {
                Day::Outside => {
                    reasons[record.row].get_or_insert_with(|| OUTSIDE.to_string());
                    continue;
                }
                Day::Baseline => {
                    if let Some(i) = record.intervention {
                        self.arm_error(
                            record,
                            format!(
                                "day {} is in StudyU's baseline, but the export gives it the intervention `{}`",
                                record.day + 1,
                                self.intervention_name(i)
                            ),
                            None,
                        );
                    }
                    schedule.baseline_days()
                }
                Day::Phase(p) => {
                    match (record.intervention, phase_arm[p]) {
                        (None, _) => self.arm_error(
                            record,
                            format!(
                                "day {} is in treatment phase {}, but the export puts it in the baseline",
                                record.day + 1,
                                p + 1
                            ),
                            None,
                        ),
                        (Some(i), None) => phase_arm[p] = Some((i, record)),
                        (Some(i), Some((j, earlier))) if i != j => self.arm_error(
                            record,
                            format!(
                                "the export gives phase {} two interventions, `{}` and `{}`",
                                p + 1,
                                self.intervention_name(j),
                                self.intervention_name(i)
                            ),
                            Some(earlier),
                        ),
                        _ => {}
                    }
                    schedule.baseline_days() + (p + 1) * schedule.phase_days
                }
            };
            last_day = Some(last_day.map_or(reached, |l: usize| l.max(reached)));
        }

        // 2. Which intervention is A (the participant's first) and which B.
        let mut letters = schedule.letters();
        let mut arm_of: [Option<(usize, &Record)>; 2] = [None, None];
        let sequence = schedule.sequence;
        for known in [true, false] {
            for p in 0..phases {
                let Some((i, record)) = phase_arm[p] else {
                    continue;
                };
                if letters[p].is_some() != known {
                    continue;
                }
                let position = |i: usize, arm_of: &[Option<(usize, &Record)>; 2]| {
                    arm_of.iter().position(|a| a.is_some_and(|(x, _)| x == i))
                };
                let letter = match letters[p] {
                    Some(l) => usize::from(l),
                    None => match position(i, &arm_of)
                        .or_else(|| arm_of.iter().position(Option::is_none))
                    {
                        Some(l) => l,
                        None => {
                            self.arm_error(
                                record,
                                format!(
                                    "the export gives one participant a third intervention, `{}`",
                                    self.intervention_name(i)
                                ),
                                arm_of[0].map(|x| x.1),
                            );
                            continue;
                        }
                    },
                };
                match (arm_of[letter], arm_of[1 - letter]) {
                    (Some((j, earlier)), _) if j != i => self.arm_error(
                        record,
                        format!(
                            "the export does not follow the study's {} sequence: phase {} has `{}` where the sequence has `{}`",
                            sequence_name(sequence),
                            p + 1,
                            self.intervention_name(i),
                            self.intervention_name(j)
                        ),
                        Some(earlier),
                    ),
                    (None, Some((j, earlier))) if j == i => self.arm_error(
                        record,
                        format!(
                            "the export does not follow the study's {} sequence: phase {} has `{}`, which the sequence gives other phases",
                            sequence_name(sequence),
                            p + 1,
                            self.intervention_name(i)
                        ),
                        Some(earlier),
                    ),
                    _ => {
                        arm_of[letter].get_or_insert((i, record));
                        letters[p] = Some(letter as u8);
                    }
                }
            }
        }
        if self.errors.len() > errors_before {
            return None;
        }
        // A randomized design draws each later cycle's order: a cycle with
        // one phase seen has the other intervention in the other phase; a
        // cycle with none seen is taken as A B (its days are all missing).
        if sequence == Sequence::Randomized {
            let reached_phase = last_day.map_or(0, |l| {
                l.saturating_sub(schedule.baseline_days()) / schedule.phase_days
            });
            for cycle in 1..schedule.cycles {
                let (a, b) = (2 * cycle, 2 * cycle + 1);
                match (letters[a], letters[b]) {
                    (Some(x), Some(y)) if x == y => {
                        if let Some((_, record)) = phase_arm[b] {
                            self.arm_error(
                                record,
                                format!(
                                    "StudyU's randomized design gives each intervention one phase per cycle, but the export has `{}` in both phases of cycle {}",
                                    self.intervention_name(phase_arm[a].map_or(0, |x| x.0)),
                                    cycle + 1
                                ),
                                phase_arm[a].map(|x| x.1),
                            );
                        }
                    }
                    (Some(x), None) => letters[b] = Some(1 - x),
                    (None, Some(y)) => letters[a] = Some(1 - y),
                    (None, None) => {
                        letters[a] = Some(0);
                        letters[b] = Some(1);
                        if a < reached_phase {
                            notes.push(Note::assumed(format!(
                                "cycle {}: no answers in either phase, so StudyU's random order is unknown; taken as A B (its days are missing either way)",
                                cycle + 1
                            )));
                        }
                    }
                    _ => {}
                }
            }
            if self.errors.len() > errors_before {
                return None;
            }
        }
        // The intervention never seen: the study's other one, if it has two.
        let seen: Vec<usize> = arm_of.iter().flatten().map(|(i, _)| *i).collect();
        let mut arms = [arm_of[0].map(|x| x.0), arm_of[1].map(|x| x.0)];
        if seen.len() == 1 && self.study.interventions.len() == 2 {
            let other = 1 - seen[0];
            let free = usize::from(arms[0].is_some());
            arms[free] = Some(other);
            notes.push(Note::assumed(format!(
                "`{}` has no answers in any of its phases; it is the study's other intervention",
                self.intervention_name(other)
            )));
        }
        let (Some(a), Some(b)) = (arms[0], arms[1]) else {
            for record in &participant.records {
                reasons[record.row].get_or_insert_with(|| ARMS_UNKNOWN.to_string());
            }
            self.notes.push(Note::dropped(format!(
                "participant {}: the export does not show which two of the study's interventions they had; no spec written",
                participant.id
            )));
            return None;
        };
        let letters: Vec<u8> = letters.iter().map(|l| l.unwrap_or(0)).collect();

        // 3. The reference arm.
        let reference = match options.reference {
            Some(wanted) => {
                let w = wanted.trim();
                let matches = |i: usize| {
                    let iv = &self.study.interventions[i];
                    iv.id == w || iv.name.trim().eq_ignore_ascii_case(w)
                };
                if matches(a) {
                    0
                } else if matches(b) {
                    1
                } else {
                    self.errors.push(
                        Diagnostic::error(
                            codes::E1009,
                            format!(
                                "`--reference {}` is neither of participant {}'s interventions, `{}` and `{}`",
                                crate::render::inline(wanted),
                                participant.id,
                                self.intervention_name(a),
                                self.intervention_name(b)
                            ),
                        )
                        .with_primary_in(self.def_file, self.study.interventions_span, "the study's interventions")
                        .with_help("give the name or id of one of the participant's interventions (or import the participant with `--participant`)"),
                    );
                    return None;
                }
            }
            None => usize::from(b < a),
        };

        // 4. The diary: every day of the phases reached.
        let last_day = last_day.unwrap_or(0);
        let question =
            &self.study.questionnaires[outcome.questionnaire].questions[outcome.question];
        let binary = question.kind == QuestionKind::Boolean;
        let mut answers: Vec<Vec<&Record>> = vec![Vec::new(); last_day];
        for record in &participant.records {
            if record.value.is_none() || reasons[record.row].is_some() {
                continue;
            }
            if let Ok(d) = usize::try_from(record.day) {
                if let Some(day) = answers.get_mut(d) {
                    day.push(record);
                }
            }
        }
        let (mut repeated, mut differing, mut conflicting) = (Vec::new(), Vec::new(), Vec::new());
        let mut values: Vec<Option<f64>> = Vec::with_capacity(last_day);
        for (d, day) in answers.iter().enumerate() {
            let v: Vec<f64> = day.iter().filter_map(|r| r.value).collect();
            if v.len() > 1 {
                repeated.push(d + 1);
                if v.iter().any(|x| *x != v[0]) {
                    differing.push(d + 1);
                }
            }
            let value = if v.is_empty() {
                None
            } else if binary && v.iter().any(|x| *x != v[0]) {
                conflicting.push(d + 1);
                for record in day {
                    reasons[record.row] = Some(CONFLICTING.to_string());
                }
                None
            } else {
                Some(v.iter().sum::<f64>() / v.len() as f64)
            };
            values.push(value);
        }
        let answered = values.iter().filter(|v| v.is_some()).count();
        for (k, &i) in [a, b].iter().enumerate() {
            let on_arm = (0..last_day)
                .filter(|&d| values[d].is_some())
                .filter(|&d| matches!(self.day(d as i64), Day::Phase(p) if usize::from(letters[p]) == k))
                .count();
            if on_arm < 2 {
                notes.push(Note::warning(format!(
                    "{on_arm} answered day{} on `{}`: `trialc run` needs 2 per arm (E0716) and stops until the diary has more",
                    if on_arm == 1 { "" } else { "s" },
                    self.intervention_name(i)
                )));
            }
        }
        let rows_used = answers.iter().map(Vec::len).sum::<usize>()
            - answers
                .iter()
                .enumerate()
                .filter(|(d, _)| conflicting.contains(&(d + 1)))
                .map(|(_, day)| day.len())
                .sum::<usize>();
        notes.push(Note::assumed(format!(
            "{answered} of {last_day} days answered ({rows_used} answers); the diary covers every day of the phases the participant reached, and `arm` is the intervention StudyU scheduled (the export records no adherence)"
        )));
        if !repeated.is_empty() {
            let how = if binary {
                "answers that agree are one answer"
            } else {
                "the day's value is the mean of its answers"
            };
            let agree = if differing.is_empty() {
                "the answers agree".to_string()
            } else {
                format!(
                    "different answers on day{} {}",
                    if differing.len() == 1 { "" } else { "s" },
                    list(&differing)
                )
            };
            notes.push(Note::assumed(format!(
                "day{} {} answered more than once ({agree}); {how}",
                if repeated.len() == 1 { "" } else { "s" },
                list(&repeated),
            )));
        }
        if !conflicting.is_empty() {
            notes.push(Note::dropped(format!(
                "day{} {}: contradicting yes/no answers; the day is missing",
                if conflicting.len() == 1 { "" } else { "s" },
                list(&conflicting)
            )));
        }
        let start_text = self.start_text(participant);
        notes.push(Note::assumed(format!(
            "day 1 is {}: StudyU starts a participant at local midnight and exports it in UTC ({start_text}); the nearest midnight's date is taken{}",
            participant.start,
            match super::parse_time(&start_text) {
                Some(t) if !super::on_a_quarter_hour(t) => ", although this time is no midnight in any time zone",
                _ => "",
            }
        )));

        // 5. Names and texts.
        let mut names = Names::default();
        for reserved in ["day", "date", "arm", "none"] {
            names.claim(reserved, "");
        }
        let arm_names: Vec<String> = [a, b]
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let base = derive_name(&self.study.interventions[i].name, "arm")
                    .unwrap_or_else(|| format!("arm_{}", ["a", "b"][k]));
                names.claim(&base, "arm")
            })
            .collect();
        let outcome_name = {
            let base = outcome
                .name_hint
                .as_deref()
                .and_then(|h| derive_name(h, "outcome"))
                .unwrap_or_else(|| "outcome".to_string());
            names.claim(&base, "outcome")
        };
        let key = self.study_key();
        let short = short_id(&participant.id, file_names);
        let stem = format!("{key}.{short}");
        let spec_file = format!("{stem}.trial");
        let diary_file = format!("{stem}.diary.csv");
        file_names.push(short.clone());

        let kind = match &question.kind {
            QuestionKind::Scale { min, max, .. } => OutcomeKind::Continuous {
                low: *min,
                high: *max,
            },
            _ => OutcomeKind::Binary,
        };
        let pattern: String = letters
            .iter()
            .map(|&l| if l == 0 { 'A' } else { 'B' })
            .collect();
        let arms_out = [a, b].map(|i| &self.study.interventions[i]);
        let diary_rows: Vec<(usize, &str, Option<f64>)> = (0..last_day)
            .map(|d| {
                let arm = match self.day(d as i64) {
                    Day::Phase(p) => arm_names[usize::from(letters[p])].as_str(),
                    _ => "none",
                };
                (d + 1, arm, values[d])
            })
            .collect();
        let mut all_notes = self.notes.clone();
        all_notes.extend(notes.iter().cloned());
        let parts = SpecParts {
            trial_id: format!("{key}-{short}"),
            study: self.study,
            participant: &participant.id,
            arms: [0, 1].map(|k| Arm {
                name: arm_names[k].clone(),
                intervention: arms_out[k],
                reference: k == reference,
            }),
            first: arms_out[0],
            pattern,
            start: participant.start,
            outcome_name: outcome_name.clone(),
            question,
            questionnaire_title: &self.study.questionnaires[outcome.questionnaire].title,
            kind,
            higher_is_better: outcome.higher_is_better,
            diary_file: diary_file.clone(),
            notes: &all_notes,
        };
        Some(Trial {
            participant: participant.id.clone(),
            spec_file,
            spec: emit::spec(&parts),
            diary_file,
            diary: emit::diary(&outcome_name, &diary_rows),
            notes,
        })
    }

    fn arm_error(&mut self, record: &Record, message: String, earlier: Option<&Record>) {
        let mut d = Diagnostic::error(codes::E1005, message)
            .with_primary_in(self.res_file, span_of(self.table, record), "this row's intervention")
            .with_help("give the definition and the export of the same study, both from one StudyU export (a design changed after participants started cannot be imported)");
        if let Some(e) = earlier {
            d = d.with_secondary_in(self.res_file, span_of(self.table, e), "this row's");
        }
        self.errors.push(d);
    }

    /// A name for the study in file names and trial ids: its title in
    /// kebab case, else `studyu`.
    pub(super) fn study_key(&self) -> String {
        let title = self.study.title.as_deref().unwrap_or("");
        let base = derive_name(title, "study").unwrap_or_else(|| "studyu".to_string());
        base.replace('_', "-")
    }
}

fn sequence_name(s: Sequence) -> &'static str {
    match s {
        Sequence::Alternating => "alternating",
        Sequence::CounterBalanced => "counterbalanced",
        Sequence::Randomized => "randomized",
        Sequence::Customized => "custom",
    }
}

/// Days as `1, 3, 8`.
fn list(days: &[usize]) -> String {
    days.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The participant in file names: the first 8 characters of the id (its
/// letters, digits and `-`), longer when another participant's start the
/// same way.
fn short_id(id: &str, taken: &[String]) -> String {
    let clean: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let (clean, mut n) = if clean.is_empty() {
        ("participant".to_string(), "participant".len())
    } else {
        let n = 8.min(clean.len());
        (clean, n)
    };
    loop {
        let candidate = clean[..n].to_string();
        if !taken.contains(&candidate) && (!candidate.ends_with('-') || n == clean.len()) {
            return candidate;
        }
        if n == clean.len() {
            let mut k = 2;
            while taken.contains(&format!("{clean}-{k}")) {
                k += 1;
            }
            return format!("{clean}-{k}");
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_stay_unique() {
        let mut taken = Vec::new();
        for id in ["5c8fe994-0067", "5c8fe994-0068", "5c8fe994-00", "??", ""] {
            let s = short_id(id, &taken);
            assert!(!taken.contains(&s), "{s} twice");
            taken.push(s);
        }
        assert_eq!(
            taken,
            [
                "5c8fe994",
                "5c8fe994-0",
                "5c8fe994-00",
                "participant",
                "participant-2"
            ]
        );
    }
}
