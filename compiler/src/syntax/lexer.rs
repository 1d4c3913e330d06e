//! The lexer: source text to tokens with byte spans (logos).
//!
//! The token classes mirror the lexical rules of `grammar/trial.pest`
//! exactly (the conformance test depends on it): a number is digits with an
//! optional `.digits` and an optional exponent, each taken only when complete,
//! so `1..5` is `1`, `..`, `5` and `3e` is `3`, `e`. Keywords are contextual,
//! so every word is an `Ident` and the parser compares its text.
//!
//! Lexing never fails: a character outside the language becomes an `Error`
//! token, an unterminated string a `Str(false)` token, and the
//! parser reports both.

use crate::diagnostic::Span;
use logos::Logos;

#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
#[logos(skip r"[ \t\r\n]+")]
pub enum Token {
    /// `// …` or `/// …` up to (not including) the line break.
    #[regex(r"//[^\r\n]*", allow_greedy = true)]
    Comment,
    /// `"…"`; the flag is false when the line or the file ends before the closing quote.
    #[token("\"", lex_string)]
    Str(bool),
    #[regex(r"[0-9]+", lex_number)]
    Number,
    #[regex(r"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]")]
    Date,
    #[regex(r"[\p{XID_Start}_]\p{XID_Continue}*")]
    Ident,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("..")]
    DotDot,
    #[token("~")]
    Tilde,
    #[token("=")]
    Eq,
    #[token("<")]
    Less,
    #[token("<=")]
    LessEq,
    #[token(">")]
    Greater,
    #[token(">=")]
    GreaterEq,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    /// A byte-order mark; allowed only at the very start of the file.
    #[token("\u{FEFF}")]
    Bom,
    /// A character that no token starts with (reported by the parser).
    Error,
}

/// Every word the grammar gives a meaning somewhere: its `kw_*` rules and
/// the time units (`grammar/trial.pest`; a conformance test keeps the two
/// lists equal). Keywords are contextual, so a name may be one of these; a
/// name that trialc writes itself (`trialc init`) never is, so that the
/// spec reads unambiguously.
pub const KEYWORDS: &[&str] = &[
    "and",
    "vs",
    "odds_ratio",
    "rate_ratio",
    "risk_difference",
    "report",
    "interval",
    "estimate",
    "use",
    "trial",
    "hypotheses",
    "from",
    "intervention",
    "is",
    "data",
    "arm",
    "reference",
    "schedule",
    "design",
    "start",
    "run_in",
    "period",
    "cycles",
    "periods",
    "sequence",
    "max_run",
    "washout",
    "carryover",
    "modelled",
    "decay",
    "covariate",
    "standardised",
    "missing",
    "excluded",
    "lag",
    "clock",
    "binomial",
    "blinding",
    "open",
    "single",
    "double",
    "seed",
    "window",
    "alternating",
    "counterbalanced",
    "fixed",
    "randomized",
    "pairs",
    "blocks",
    "outcome",
    "type",
    "measured",
    "better",
    "mcid",
    "unit",
    "primary",
    "secondary",
    "continuous",
    "in",
    "binary",
    "count",
    "overdispersed",
    "ordinal",
    "daily",
    "weekly",
    "per",
    "on",
    "days",
    "lower",
    "higher",
    "model",
    "effect",
    "intercept",
    "trend",
    "errors",
    "cutpoints",
    "dispersion",
    "independent",
    "ar1",
    "prior",
    "mixture",
    "discount",
    "robust",
    "vague",
    "decide",
    "recommend",
    "if",
    "stop",
    "early",
    "after",
    "otherwise",
    "inconclusive",
    "P",
    "of",
    "simulate",
    "replicates",
    "scenario",
    "require",
    "under",
    "sweep",
    "dropout",
    "adherence",
    "unrecorded",
    "sigma",
    "phi",
    "day",
    "week",
    "weeks",
];

/// A token and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lexeme {
    pub token: Token,
    pub span: Span,
}

/// Scan the rest of a string after its opening quote. A backslash protects
/// the next character (validity of the escape is the parser's business), but
/// never a line break: strings stay on one line, so an unterminated string
/// ends at the end of its line and the next line lexes normally.
fn lex_string(lex: &mut logos::Lexer<Token>) -> bool {
    let rest = lex.remainder();
    let mut chars = rest.char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '"' => {
                lex.bump(offset + 1);
                return true;
            }
            '\r' | '\n' => {
                lex.bump(offset);
                return false;
            }
            '\\' => match chars.clone().next() {
                Some((_, '\r' | '\n')) | None => {}
                Some(_) => {
                    chars.next();
                }
            },
            _ => {}
        }
    }
    lex.bump(rest.len());
    false
}

/// Extend `[0-9]+` by `.digits` and by an exponent, each only when complete,
/// the way pest's optional groups backtrack.
fn lex_number(lex: &mut logos::Lexer<Token>) {
    let rest = lex.remainder().as_bytes();
    let digits_from = |from: usize| {
        rest.iter()
            .skip(from)
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut used = 0;
    if rest.first() == Some(&b'.') {
        let n = digits_from(1);
        if n > 0 {
            used = 1 + n;
        }
    }
    if matches!(rest.get(used), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(rest.get(used + 1), Some(b'+' | b'-')));
        let n = digits_from(used + 1 + sign);
        if n > 0 {
            used += 1 + sign + n;
        }
    }
    lex.bump(used);
}

/// Every token of `source`, comments included, in order. Consecutive
/// unrecognised characters become one `Error` token whose span covers whole
/// characters, so a diagnostic never splits a UTF-8 sequence.
pub fn lex(source: &str) -> Vec<Lexeme> {
    let mut out: Vec<Lexeme> = Vec::new();
    let mut lexer = Token::lexer(source);
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        let mut span = Span::new(range.start, range.end.max(range.start));
        let token = match result {
            Ok(token) => token,
            Err(()) => {
                span = whole_chars(source, span);
                if let Some(last) = out.last_mut() {
                    if last.token == Token::Error && last.span.end >= span.start {
                        last.span.end = last.span.end.max(span.end);
                        continue;
                    }
                }
                Token::Error
            }
        };
        out.push(Lexeme { token, span });
    }
    out
}

/// Widen a span to character boundaries (at least one character).
fn whole_chars(source: &str, span: Span) -> Span {
    let mut start = span.start.min(source.len());
    while start > 0 && !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.max(start + 1).min(source.len());
    while end < source.len() && !source.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end.max(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<(Token, &str)> {
        lex(source)
            .into_iter()
            .map(|l| (l.token, source.get(l.span.range()).unwrap_or("?")))
            .collect()
    }

    #[test]
    fn numbers_take_only_complete_fractions_and_exponents() {
        use Token::*;
        assert_eq!(
            kinds("1..5"),
            vec![(Number, "1"), (DotDot, ".."), (Number, "5")]
        );
        assert_eq!(kinds("3e"), vec![(Number, "3"), (Ident, "e")]);
        assert_eq!(kinds("1.5e-3"), vec![(Number, "1.5e-3")]);
        assert_eq!(kinds("2."), vec![(Number, "2"), (Dot, ".")]);
        assert_eq!(kinds("2026-12-01"), vec![(Date, "2026-12-01")]);
        assert_eq!(
            kinds("2026-1"),
            vec![(Number, "2026"), (Minus, "-"), (Number, "1")]
        );
    }

    #[test]
    fn strings_stop_at_the_end_of_the_line() {
        let tokens = lex("\"abc\nx");
        assert_eq!(tokens[0].token, Token::Str(false));
        assert_eq!(tokens[0].span, Span::new(0, 4));
        assert_eq!(tokens[1].token, Token::Ident);
        assert_eq!(lex(r#""a\"b""#)[0].token, Token::Str(true));
    }

    #[test]
    fn unicode_identifiers_and_error_characters() {
        use Token::*;
        assert_eq!(
            kinds("café ≥ 2"),
            vec![(Ident, "café"), (Error, "≥"), (Number, "2")]
        );
    }
}
