//! The manifest of a series: one row per participant.
//!
//! ```csv
//! participant,diary,spec,age,baseline
//! P01,diaries/p01.csv,,54,6.5
//! P02,,,61,7.0          <- an error: neither a diary nor evidence
//! P03,evidence/p03.json,specs/p03.trial,47,5.5
//! ```
//!
//! Columns (header names, any order): `participant` (required: a unique
//! id), `diary` and/or `evidence` (at least one of the two columns; each
//! row fills exactly one of them: the participant's diary CSV, or their
//! `--export-evidence` file), `spec` (optional: the participant's own spec,
//! when it is not the series' spec, e.g. their own randomization seed or
//! LFM prior); every other column is a numeric person-level covariate.
//! Paths are relative to the manifest's folder. A plain CSV: fields are
//! trimmed, may be wrapped in double quotes, and hold no commas.
//!
//! A problem with the manifest as a whole (no `participant` column, no
//! `diary` or `evidence` column, no rows) is E1701 and stops the series. A
//! problem with one row (no id, a repeated id, neither or both of diary and
//! evidence, a covariate that is not a number) is E1702: that participant
//! is excluded, named in the report with the reason, and the others go on.

use crate::codes;
use crate::diagnostic::{Diagnostic, Span};

/// What a participant brings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A diary CSV (path as given to the session).
    Diary(String),
    /// An exported-evidence file (`trialc run --export-evidence`).
    Evidence(String),
}

/// One row of a manifest (or one file of a folder).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    pub input: Input,
    /// The participant's own spec, when not the series' spec.
    pub spec: Option<String>,
    /// One value per covariate column.
    pub covariates: Vec<f64>,
    /// The row in the manifest, for diagnostics.
    pub span: Option<Span>,
}

/// A read manifest: the usable rows, the covariates' names, and the rows
/// excluded (their id, or `row N`, and the reason as a diagnostic).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Manifest {
    pub covariates: Vec<String>,
    pub rows: Vec<Row>,
    pub excluded: Vec<(String, Diagnostic)>,
}

/// One field: its text (trimmed, quotes removed) and span.
fn fields(line: &str, start: usize) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let mut offset = start;
    for raw in line.split(',') {
        let lead = raw.len() - raw.trim_start().len();
        let trimmed = raw.trim();
        let s = offset + lead;
        let text = trimmed
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(trimmed);
        out.push((text.to_string(), Span::new(s, s + trimmed.len())));
        offset += raw.len() + 1;
    }
    out
}

/// `folder/path` unless `path` is absolute (no file system access).
pub fn join(folder: &str, path: &str) -> String {
    if path.starts_with('/') || folder.is_empty() || folder == "." {
        path.to_string()
    } else {
        format!("{}/{path}", folder.trim_end_matches('/'))
    }
}

/// Reads a manifest's text; `folder` is the manifest's folder (paths in it
/// are relative to it). `Err` holds E1701 when the manifest cannot be used
/// at all; spans are into `text`.
pub fn read(text: &str, folder: &str) -> Result<Manifest, Diagnostic> {
    let body_start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut lines = Vec::new();
    let mut offset = body_start;
    for line in text[body_start..].split('\n') {
        let content = line.strip_suffix('\r').unwrap_or(line);
        if !content.trim().is_empty() {
            lines.push((content, offset));
        }
        offset += line.len() + 1;
    }
    let Some(((header, hstart), rows)) = lines.split_first() else {
        return Err(Diagnostic::error(codes::E1701, "the manifest is empty")
            .with_primary(Span::new(0, text.len()), "no header row")
            .with_help("start with a header such as `participant,diary,age`"));
    };
    let head = fields(header, *hstart);
    let header_span = Span::new(*hstart, hstart + header.len());
    let column = |name: &str| head.iter().position(|(h, _)| h.eq_ignore_ascii_case(name));
    let participant = column("participant").ok_or_else(|| {
        Diagnostic::error(codes::E1701, "the manifest has no `participant` column")
            .with_primary(header_span, "this header")
            .with_help("name the column of participant ids `participant`")
    })?;
    let diary = column("diary");
    let evidence = column("evidence");
    if diary.is_none() && evidence.is_none() {
        return Err(Diagnostic::error(
            codes::E1701,
            "the manifest has neither a `diary` nor an `evidence` column",
        )
        .with_primary(header_span, "this header")
        .with_help("add a `diary` column (paths of diary CSVs) or an `evidence` column (files of `trialc run --export-evidence`)"));
    }
    let spec = column("spec");
    let covariate_columns: Vec<usize> = (0..head.len())
        .filter(|&i| {
            Some(i) != Some(participant)
                && Some(i) != diary
                && Some(i) != evidence
                && Some(i) != spec
        })
        .collect();
    if rows.is_empty() {
        return Err(
            Diagnostic::error(codes::E1701, "the manifest has no participants")
                .with_primary(header_span, "only this header")
                .with_help("add one row per participant below the header"),
        );
    }
    let mut manifest = Manifest {
        covariates: covariate_columns
            .iter()
            .map(|&i| head[i].0.clone())
            .collect(),
        ..Manifest::default()
    };
    let mut seen: Vec<(String, Span)> = Vec::new();
    for (n, (line, start)) in rows.iter().enumerate() {
        let row_no = n + 2;
        let cells = fields(line, *start);
        let row_span = Span::new(*start, start + line.len());
        let cell = |i: Option<usize>| i.and_then(|i| cells.get(i)).filter(|(t, _)| !t.is_empty());
        let id = cell(Some(participant)).map(|(t, _)| t.clone());
        let name = id.clone().unwrap_or_else(|| format!("row {row_no}"));
        let problem = |message: String, span: Span, label: &str, help: &str| {
            Diagnostic::error(codes::E1702, message)
                .with_primary(span, label.to_string())
                .with_help(help.to_string())
        };
        if cells.len() != head.len() {
            let d = problem(
                format!(
                    "manifest row {row_no} has {} fields but the header has {}",
                    cells.len(),
                    head.len()
                ),
                row_span,
                "this row",
                "give every row one field per column (an empty field for a missing path)",
            );
            manifest.excluded.push((name, d));
            continue;
        }
        let Some(id) = id else {
            let d = problem(
                format!("manifest row {row_no} has no participant id"),
                row_span,
                "this row",
                "give every participant an id in the `participant` column",
            );
            manifest.excluded.push((name, d));
            continue;
        };
        let id_span = cells[participant].1;
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == id) {
            let d = problem(
                format!("participant `{id}` appears twice in the manifest"),
                id_span,
                "second row",
                "give each participant one row; the second is excluded",
            )
            .with_secondary(*first, "first row");
            manifest.excluded.push((id, d));
            continue;
        }
        seen.push((id.clone(), id_span));
        let input = match (cell(diary), cell(evidence)) {
            (Some((d, _)), None) => Input::Diary(join(folder, d)),
            (None, Some((e, _))) => Input::Evidence(join(folder, e)),
            (Some(_), Some(_)) => {
                let d = problem(
                    format!("participant `{id}` has both a diary and evidence"),
                    row_span,
                    "this row",
                    "give one of the two: the diary, or the evidence exported from it",
                );
                manifest.excluded.push((id, d));
                continue;
            }
            (None, None) => {
                let d = problem(
                    format!("participant `{id}` has neither a diary nor evidence"),
                    row_span,
                    "this row",
                    "fill in the `diary` (or `evidence`) field of the row",
                );
                manifest.excluded.push((id, d));
                continue;
            }
        };
        let mut covariates = Vec::new();
        let mut bad = None;
        for &c in &covariate_columns {
            let (text, span) = &cells[c];
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v.abs() < 1e100 => covariates.push(v),
                _ => {
                    bad = Some(problem(
                        if text.is_empty() {
                            format!("participant `{id}` has no value of the covariate `{}`", head[c].0)
                        } else {
                            format!("participant `{id}`: the covariate `{}` is `{text}`, not a number", head[c].0)
                        },
                        if text.is_empty() { row_span } else { *span },
                        "here",
                        "every covariate needs a number for every participant; a participant without one is excluded",
                    ));
                    break;
                }
            }
        }
        if let Some(d) = bad {
            manifest.excluded.push((id, d));
            continue;
        }
        manifest.rows.push(Row {
            id,
            input,
            spec: cell(spec).map(|(s, _)| join(folder, s)),
            covariates,
            span: Some(row_span),
        });
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_problems_are_excluded_by_name_and_the_rest_read() {
        let text = "participant,diary,evidence,spec,age\n\
                    P1,d/p1.csv,,,54\n\
                    P2,,,,60\n\
                    P3,d/p3.csv,e/p3.json,,60\n\
                    P1,d/p1b.csv,,,50\n\
                    P4,,e/p4.json,own.trial,x\n\
                    P5,\"d/p5.csv\",,own.trial, 47.5 \n";
        let m = read(text, "series").expect("usable");
        assert_eq!(m.covariates, ["age"]);
        let ids: Vec<&str> = m.rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["P1", "P5"]);
        assert_eq!(m.rows[0].input, Input::Diary("series/d/p1.csv".into()));
        assert_eq!(m.rows[1].spec.as_deref(), Some("series/own.trial"));
        assert_eq!(m.rows[1].covariates, [47.5]);
        let excluded: Vec<(&str, String)> = m
            .excluded
            .iter()
            .map(|(id, d)| (id.as_str(), d.message.clone()))
            .collect();
        assert_eq!(excluded.len(), 4, "{excluded:?}");
        assert!(excluded[0].1.contains("neither"));
        assert!(excluded[1].1.contains("both"));
        assert!(excluded[2].1.contains("twice"));
        assert!(excluded[3].1.contains("not a number"));
        // Spans point at the cell: P4's `x`.
        let span = m.excluded[3].1.primary_span().expect("span");
        assert_eq!(&text[span.range()], "x");
    }

    #[test]
    fn a_manifest_without_the_columns_it_needs_is_e1701() {
        assert!(read("", ".").is_err());
        let e = read("id,diary\nP1,a.csv\n", ".").expect_err("no participant column");
        assert!(e.message.contains("participant"));
        let e = read("participant,age\nP1,3\n", ".").expect_err("no input column");
        assert!(e.message.contains("diary"));
        assert!(read("participant,diary\n", ".").is_err());
    }
}
