//! `trialc protocol`: the trial protocol generated from a checked spec,
//! structured by SPIRIT 2013 with the SPENT 2019 extension for N-of-1
//! trials, rendered as Markdown and as one self-contained HTML file.
//!
//! Every SPENT item gets a section. What the spec says (arms, schedule,
//! outcomes, models, priors, decision rules) is written from the checked
//! spec; what only prose can say (eligibility, consent, harms, …) comes from
//! the spec's `///` doc comments: a paragraph of a doc comment that starts
//! with an item's label (`Eligibility: …`) goes to that item's section, and
//! the other paragraphs stay with the item they document (an outcome's doc
//! comment under that outcome). An item that nothing addresses is flagged in
//! its section and in the checklist at the end, with a warning code
//! (W1101–W1105), so `trialc check --protocol` lists what a protocol still
//! lacks.
//!
//! **Allocation concealment.** No part of the document holds what unblinds
//! the trial: the seed (which draws both the sequence and the blinding codes)
//! is replaced by `<sealed>` wherever it would appear, the sequence of a
//! randomized design is never shown, and the appendix hashes the spec as
//! shown, never the spec with its seed (a low-entropy seed could be found
//! from such a hash by trying candidates). The party that prepares the
//! treatments keeps the full spec; `trialc protocol` run on it gives the same
//! document and the same hash.
//!
//! Pure: the [`Input`] is gathered by the session
//! (`driver::Session::protocol_input`), and the output is text. The same
//! spec gives the same bytes.

pub mod diff;
pub mod doc;
mod figure;
mod items;
mod model;
mod sections;

use sha2::{Digest, Sha256};

use crate::diagnostic::Diagnostic;
use crate::hir;
use crate::hypotheses::HypothesesFile;
use crate::schedule::Schedule;
use crate::syntax::ast;

pub use doc::{html, markdown, Document};
pub use items::{Item, ITEMS};

/// What the protocol is made from, gathered by the session.
#[derive(Debug, Clone)]
pub struct Input {
    /// The spec's file name without its folders (the document never
    /// depends on where it was run).
    pub name: String,
    /// Whether the spec came from the ```trial blocks of a Markdown document.
    pub markdown: bool,
    /// The text the parser saw (for Markdown: everything outside the blocks blanked).
    pub text: String,
    pub ast: ast::File,
    pub spec: hir::Spec,
    pub schedule: Schedule,
    /// The hypotheses files the spec names, in spec order.
    pub hypotheses: Vec<HypothesesInput>,
}

/// One hypotheses file as the protocol cites it.
#[derive(Debug, Clone)]
pub struct HypothesesInput {
    /// The spec's name for it (`lfm`).
    pub source: String,
    /// The path as the spec writes it.
    pub path: String,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    pub file: HypothesesFile,
}

/// Where a checklist item is addressed.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Addressed in the section with this anchor; `by` says from what.
    Addressed { by: String },
    /// Not addressed: the warning raised.
    Missing { code: crate::codes::Code },
}

/// One row of the SPENT checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub item: &'static Item,
    pub status: Status,
}

/// The generated protocol.
#[derive(Debug, Clone)]
pub struct Protocol {
    pub document: Document,
    pub checklist: Vec<Row>,
    /// W1101–W1105, with spans into the spec.
    pub diagnostics: Vec<Diagnostic>,
}

/// The version of trialc that renders protocols.
pub const TRIALC_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The normative grammar, whose hash the appendix records.
const GRAMMAR: &str = include_str!("../../../grammar/trial.pest");

/// SHA-256 of the grammar this trialc implements.
pub fn grammar_sha256() -> String {
    sha256_hex(GRAMMAR.as_bytes())
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Builds the protocol of a checked spec.
pub fn build(input: &Input) -> Protocol {
    sections::build(input)
}

/// What replaces the seed in every shared document.
pub const SEALED: &str = "<sealed>";

/// The seeds the spec writes (schedule and design blocks).
pub fn seeds(ast: &ast::File) -> Vec<ast::Spanned<u64>> {
    let mut out = Vec::new();
    for item in &ast.items {
        let fields = match &item.kind {
            ast::ItemKind::Schedule(s) => &s.fields,
            ast::ItemKind::Design(d) => &d.fields,
            _ => continue,
        };
        for f in fields {
            if let ast::ScheduleFieldKind::Seed(seed) = &f.kind {
                out.push(seed.clone());
            }
        }
    }
    out
}

/// `text` with every seed the spec writes, and every other whole number
/// equal to one of them (in a comment, say), replaced by [`SEALED`].
pub fn seal(text: &str, seeds: &[u64]) -> String {
    if seeds.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()) {
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            let digits = &text[i..j];
            let value = digits.trim_start_matches('0');
            let sealed = seeds
                .iter()
                .any(|s| s.to_string() == if value.is_empty() { "0" } else { value });
            out.push_str(if sealed { SEALED } else { digits });
            i = j;
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// The spec as the appendix shows it: the file verbatim (for Markdown, its
/// ```trial blocks with the prose between them left out), seeds sealed.
pub fn shown_spec(input: &Input) -> String {
    let seeds: Vec<u64> = seeds(&input.ast).iter().map(|s| s.node).collect();
    let text = if input.markdown {
        let mut lines: Vec<&str> = Vec::new();
        for line in input.text.lines() {
            let line = line.trim_end();
            if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
                continue;
            }
            lines.push(line);
        }
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        let mut joined = lines.join("\n");
        joined.push('\n');
        joined
    } else {
        input.text.clone()
    };
    seal(&text, &seeds)
}

/// A doc-comment paragraph and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    pub text: String,
    /// The item it documents, as the reader should find it (`trial`, `arm placebo`).
    pub from: String,
}

/// The paragraphs of a doc comment: split at blank lines, each either
/// labelled (`Eligibility: …`, for the item with that label) or not.
pub fn paragraphs(doc: &str) -> Vec<(Option<&'static Item>, String)> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let flush = |current: &mut Vec<&str>, out: &mut Vec<(Option<&'static Item>, String)>| {
        if current.is_empty() {
            return;
        }
        let text = current.join("\n");
        current.clear();
        match items::labelled(&text) {
            Some((item, rest)) => out.push((Some(item), rest)),
            None => out.push((None, text)),
        }
    };
    for line in doc.lines() {
        if line.trim().is_empty() {
            flush(&mut current, &mut out);
        } else {
            current.push(line.trim_end());
        }
    }
    flush(&mut current, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_replaces_every_whole_number_equal_to_a_seed() {
        let text =
            "seed 20261201\n// 20261201 was drawn; 120261201 and 2026-12-01 are not it\nseed 007";
        assert_eq!(
            seal(text, &[20261201, 7]),
            "seed <sealed>\n// <sealed> was drawn; 120261201 and 2026-12-01 are not it\nseed <sealed>"
        );
        assert_eq!(seal("seed 0 µ 5", &[0]), "seed <sealed> µ 5");
        assert_eq!(seal("nothing", &[]), "nothing");
    }

    #[test]
    fn labelled_paragraphs_go_to_their_item() {
        let doc = "Why magnesium.\nSecond line.\n\nEligibility: adults with migraine.\n\neligibility : lower case works";
        let ps = paragraphs(doc);
        assert_eq!(ps.len(), 3);
        assert_eq!(ps[0], (None, "Why magnesium.\nSecond line.".to_string()));
        assert_eq!(ps[1].0.map(|i| i.number), Some("10"));
        assert_eq!(ps[1].1, "adults with migraine.");
        assert_eq!(ps[2].0.map(|i| i.number), Some("10"));
    }

    #[test]
    fn the_grammar_hash_is_a_sha256() {
        assert_eq!(grammar_sha256().len(), 64);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
