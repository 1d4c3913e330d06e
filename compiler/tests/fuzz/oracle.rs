//! The formatter's oracle, shared by `format.rs` (its property tests) and
//! the `format` fuzz target (`fuzz.rs`, and the cargo-fuzz crate in `fuzz/`).
//!
//! For every input that parses without errors, `format` succeeds and its
//! output
//!   (a) parses without errors,
//!   (b) has the input's AST up to spans (item documentation included),
//!   (c) has every comment of the input, once, in order, with its text
//!       (trailing whitespace aside),
//!   (d) is a fixed point: formatting it again changes nothing,
//!   (e) keeps the input's line-ending style (of its first line break) and
//!       its byte-order mark.
//!
//! An input with syntax errors is refused with syntax codes (E01xx) only.
#![allow(dead_code)] // each includer uses its own part

use trialc::format::format;
use trialc::syntax::lexer::{lex, Token};
use trialc::syntax::parse;

/// The AST as JSON with every span removed, for comparison up to layout.
pub fn shape(source: &str) -> serde_json::Value {
    let (file, _) = parse(source);
    let mut value = serde_json::to_value(&file.items).expect("the AST serialises");
    strip_spans(&mut value);
    value
}

pub fn strip_spans(value: &mut serde_json::Value) {
    match value {
        // A bare span (e.g. the `reference` keyword's) only says "present".
        serde_json::Value::Object(map)
            if map.len() == 2 && map.contains_key("start") && map.contains_key("end") =>
        {
            *value = serde_json::Value::Bool(true);
        }
        serde_json::Value::Object(map) => {
            map.remove("span");
            for v in map.values_mut() {
                strip_spans(v);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_spans),
        _ => {}
    }
}

/// Every comment as (is it `///`, its text without trailing whitespace), in order.
pub fn comments(source: &str) -> Vec<(bool, String)> {
    parse(source)
        .0
        .comments
        .into_iter()
        .map(|c| (c.doc, c.text.trim_end().to_string()))
        .collect()
}

pub fn parses_cleanly(source: &str) -> bool {
    !parse(source).1.iter().any(|d| d.is_error())
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ending {
    Lf,
    CrLf,
    Cr,
}

pub fn first_ending(source: &str) -> Ending {
    match source.find(['\r', '\n']) {
        Some(i) if source[i..].starts_with("\r\n") => Ending::CrLf,
        Some(i) if source[i..].starts_with('\r') => Ending::Cr,
        _ => Ending::Lf,
    }
}

/// Check (a)–(e); an input with syntax errors must be refused instead.
pub fn check_properties(name: &str, source: &str) -> Result<(), String> {
    let once = match format(source) {
        Ok(once) => once,
        Err(diagnostics) if parses_cleanly(source) => {
            return Err(format!(
                "{name}: refused an input without syntax errors: {diagnostics:?}\n{source:?}"
            ))
        }
        Err(diagnostics) => {
            if !diagnostics
                .iter()
                .all(|d| d.is_error() && d.code.starts_with("E01"))
            {
                return Err(format!(
                    "{name}: refused with non-syntax codes: {diagnostics:?}"
                ));
            }
            return Ok(());
        }
    };
    if !parses_cleanly(&once) {
        return Err(format!(
            "{name}: the output has syntax errors\n--- input\n{source:?}\n--- output\n{once:?}"
        ));
    }
    if shape(source) != shape(&once) {
        return Err(format!(
            "{name}: formatting changed the AST\n--- input\n{source:?}\n--- output\n{once:?}"
        ));
    }
    if comments(source) != comments(&once) {
        return Err(format!(
            "{name}: comments changed: {:?} became {:?}\n--- output\n{once:?}",
            comments(source),
            comments(&once)
        ));
    }
    match format(&once) {
        Ok(twice) if twice == once => {}
        Ok(twice) => {
            return Err(format!(
                "{name}: not idempotent\n--- input\n{source:?}\n--- once\n{once:?}\n--- twice\n{twice:?}"
            ))
        }
        Err(e) => return Err(format!("{name}: the output is refused: {e:?}")),
    }
    let ending = first_ending(source);
    let consistent = match ending {
        Ending::Lf => !once.contains('\r'),
        Ending::CrLf => {
            once.matches('\n').count() == once.matches("\r\n").count()
                && once.matches('\r').count() == once.matches("\r\n").count()
        }
        Ending::Cr => !once.contains('\n'),
    };
    if !consistent || (once.contains(['\r', '\n']) && first_ending(&once) != ending) {
        return Err(format!(
            "{name}: line endings not kept ({ending:?})\n{once:?}"
        ));
    }
    let bom = |s: &str| lex(s).iter().any(|l| l.token == Token::Bom);
    if bom(source) != once.starts_with('\u{FEFF}') {
        return Err(format!("{name}: byte-order mark not kept\n{once:?}"));
    }
    Ok(())
}
