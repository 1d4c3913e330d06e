//! The report as one JSON document (`--format json`, `report.json`).
//!
//! serde_json prints floats with the shortest representation that reads
//! back exactly (ryu), so equal reports print to equal bytes; non-finite
//! values (an R-hat of constant draws) become `null`. The schema is in
//! `docs/report.md`.

use super::Report;

/// Pretty-printed JSON with a final newline.
pub fn json(report: &Report) -> String {
    match serde_json::to_string_pretty(report) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // Serialising plain structs cannot fail; keep the output valid JSON
        // naming the format anyway rather than panicking.
        Err(e) => format!(
            "{{\"format\": {:?}, \"error\": {:?}}}\n",
            super::FORMAT,
            e.to_string()
        ),
    }
}
