//! The syntax layer: source text to AST, never failing.
//!
//! `parse` is a pure function `&str -> (ast::File, Vec<Diagnostic>)`: a logos
//! lexer and a recursive-descent parser that recovers from errors, so that one
//! run reports every syntax error and the checker still sees what parsed.
//! The normative grammar is `grammar/trial.pest`; `tests/conformance.rs`
//! keeps this parser accepting exactly what that grammar accepts.

pub mod ast;
pub mod lexer;
pub mod parser;

use crate::diagnostic::Diagnostic;

/// Parse a `.trial` source. Never panics; every span lies within `source`.
/// The spec is syntactically valid iff no diagnostic is an error.
pub fn parse(source: &str) -> (ast::File, Vec<Diagnostic>) {
    parser::Parser::new(source).parse_file()
}

/// The string literal that reads back as `text`: `"` and `\` escaped, a
/// line break written `\n`. `None` when no literal can hold the text: a
/// carriage return (strings stay on one line, and `\r` is not an escape).
pub fn quote(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => return None,
            c => out.push(c),
        }
    }
    out.push('"');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_reads_back_exactly() {
        for text in [
            "plain",
            "Blue-light glasses (after 8 pm), \"amber\"",
            "a \\ b \\\" c",
            "two\nlines",
            "tab\there, µg ≥ 1, 褪黑素",
            "",
        ] {
            let literal = quote(text).expect("quotable");
            let (file, diagnostics) = parse(&format!("data {literal}"));
            assert!(diagnostics.is_empty(), "{literal}: {diagnostics:?}");
            let Some(ast::ItemKind::Data(value)) = file.items.first().map(|i| &i.kind) else {
                panic!("{literal} is not read back");
            };
            assert_eq!(value.node, text);
        }
        assert_eq!(quote("a\r\nb"), None);
    }
}
