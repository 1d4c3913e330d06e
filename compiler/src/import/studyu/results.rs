//! StudyU's results export (`measurements.csv`): one row per completed
//! questionnaire, read as cells with byte spans into the text as given.
//!
//! The export's columns (StudyU Designer's `study_export.dart`):
//! `measurement_time`, `measurement_id` (the questionnaire), `measurement_name`,
//! `participant_id`, `participant_started_at`, `invite_code`,
//! `current_day_of_study` (0-based: whole days from the participant's start),
//! `current_intervention_id`, `current_intervention_name`, then for every
//! questionnaire *i* of the study `survey{i}_id`, `survey{i}_name`,
//! `is_survey{i}` and for each of its questions *j* `survey{i}_question{j}_id`,
//! `…_text` and `…_response`. The survey and question columns are numbered
//! in the definition's order at export time; the import finds a question's
//! column by the id in its `…_id` cells, not by position.

use crate::codes;
use crate::diagnostic::{Diagnostic, Span};
use crate::source::FileId;

/// One CSV field: its content (quotes removed) and where it is.
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub cells: Vec<Cell>,
    /// The whole record.
    pub span: Span,
    /// 1-based line of the record's start.
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub header: Vec<Cell>,
    pub rows: Vec<Row>,
    /// Where the header is (for problems with columns).
    pub header_span: Span,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|c| c.text.trim() == name)
    }
}

/// The columns every row needs.
pub const REQUIRED: [&str; 5] = [
    "measurement_id",
    "participant_id",
    "participant_started_at",
    "current_day_of_study",
    "current_intervention_id",
];

/// Reads the CSV (RFC 4180: commas, `"` quoting with `""` inside quotes,
/// LF or CRLF line ends, a byte order mark allowed) and checks that it has
/// the export's columns and a cell for each of them in every row (E1003).
pub fn read(file: FileId, text: &str) -> Result<Table, Vec<Diagnostic>> {
    let not_export = |span: Span, message: String, label: &str| {
        Diagnostic::error(codes::E1003, message)
            .with_primary_in(file, span, label.to_string())
            .with_help(
                "give the `measurements.csv` of StudyU's export (Designer: Analyze, Export), unchanged",
            )
    };
    let records = records(text).map_err(|(span, message)| {
        vec![not_export(
            span,
            format!("the results file cannot be read as CSV: {message}"),
            "reading stopped here",
        )]
    })?;
    let mut records = records.into_iter();
    let Some(header) = records.next() else {
        return Err(vec![not_export(
            Span::new(0, 0),
            "the results file is empty".into(),
            "no header row",
        )]);
    };
    let table = Table {
        header_span: header.span,
        header: header.cells,
        rows: records.collect(),
    };
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| table.column(c).is_none())
        .collect();
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(vec![not_export(
            table.header_span,
            format!("the results file is not a StudyU measurements export: no column {list}"),
            "the header row",
        )
        .with_note(format!(
            "a StudyU export's header starts `measurement_time,measurement_id,measurement_name,participant_id,…`; the import needs {}",
            REQUIRED.join(", ")
        ))]);
    }
    let width = table.header.len();
    let short: Vec<Diagnostic> = table
        .rows
        .iter()
        .filter(|r| r.cells.len() != width)
        .take(10)
        .map(|r| {
            not_export(
                r.span,
                format!(
                    "row {} of the results file has {} cells, the header {}",
                    r.line,
                    r.cells.len(),
                    width
                ),
                "this row",
            )
        })
        .collect();
    if short.is_empty() {
        Ok(table)
    } else {
        Err(short)
    }
}

/// The text's records; blank lines are skipped. `Err` for a quote that is
/// never closed, with its span.
fn records(text: &str) -> Result<Vec<Row>, (Span, String)> {
    let bytes = text.as_bytes();
    let mut i = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut line = 1usize;
    let mut rows = Vec::new();
    while i < bytes.len() {
        let start = i;
        let start_line = line;
        let mut cells = Vec::new();
        loop {
            // One field from `i`.
            let field_start = i;
            let mut content = String::new();
            if bytes.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => {
                            return Err((
                                Span::new(field_start, field_start + 1),
                                format!("the quote opened on line {line} is never closed"),
                            ))
                        }
                        Some(b'"') if bytes.get(i + 1) == Some(&b'"') => {
                            content.push('"');
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => {
                            let next = next_char(text, i);
                            if bytes[i] == b'\n' {
                                line += 1;
                            }
                            content.push_str(&text[i..next]);
                            i = next;
                        }
                    }
                }
            }
            // Unquoted text (or what follows a closing quote) up to the delimiter.
            let rest = i;
            while let Some(&b) = bytes.get(i) {
                if matches!(b, b',' | b'\n' | b'\r') {
                    break;
                }
                i += 1;
            }
            content.push_str(&text[rest..i]);
            cells.push(Cell {
                text: content,
                span: Span::new(field_start, i),
            });
            if bytes.get(i) == Some(&b',') {
                i += 1;
                continue;
            }
            break;
        }
        let end = i;
        // The line end: CRLF, LF or CR.
        if bytes.get(i) == Some(&b'\r') {
            i += 1;
        }
        if bytes.get(i) == Some(&b'\n') {
            i += 1;
        }
        line += 1;
        let blank = cells.len() == 1 && cells[0].text.trim().is_empty();
        if !blank {
            rows.push(Row {
                cells,
                span: Span::new(start, end),
                line: start_line,
            });
        }
    }
    Ok(rows)
}

/// The byte after the character at `i` (a character boundary).
fn next_char(text: &str, i: usize) -> usize {
    text[i..].chars().next().map_or(i + 1, |c| i + c.len_utf8())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_their_spans_through_quotes_and_line_ends() {
        let text = "\u{feff}a,b,c\r\n1,\"x, \"\"y\"\"\nz\",3\r\n\n4,,6";
        let rows = records(text).expect("csv");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].cells[0].span, Span::new(3, 4));
        let quoted = &rows[1].cells[1];
        assert_eq!(quoted.text, "x, \"y\"\nz");
        assert_eq!(&text[quoted.span.range()], "\"x, \"\"y\"\"\nz\"");
        assert_eq!(rows[1].line, 2);
        assert_eq!(rows[2].line, 5);
        assert_eq!(rows[2].cells[1].text, "");
        assert_eq!(&text[rows[2].cells[2].span.range()], "6");
    }

    #[test]
    fn an_open_quote_is_an_error_not_a_panic() {
        let (span, message) = records("a,b\n1,\"open").expect_err("open quote");
        assert_eq!(span, Span::new(6, 7));
        assert!(message.contains("line 2"), "{message}");
        for text in ["\"", "\"é", ",\"\"\"", "\r", "é,\"é\"é"] {
            let _ = records(text);
        }
    }

    #[test]
    fn missing_columns_and_ragged_rows_are_e1003() {
        let errors = read(FileId(1), "participant_id,x\np,1\n").expect_err("columns");
        assert_eq!(errors[0].code, "E1003");
        assert!(errors[0].message.contains("`measurement_id`"));
        let header = REQUIRED.join(",");
        let errors = read(FileId(1), &format!("{header}\na,b,c\n")).expect_err("ragged");
        assert!(errors[0]
            .message
            .contains("row 2 of the results file has 3 cells, the header 5"));
        assert_eq!(read(FileId(1), "").expect_err("empty")[0].code, "E1003");
    }
}
