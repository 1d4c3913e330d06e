//! The recursive-descent parser: tokens to `ast::File`, recovering from errors.
//!
//! The parser follows `grammar/trial.pest` rule by rule and makes the same
//! choices a PEG makes (optional parts are greedy, alternatives are tried in
//! the grammar's order), so that it accepts exactly what the grammar accepts;
//! `tests/conformance.rs` checks that. Unlike pest it does not stop at the
//! first error: a failed field or statement is reported once, the parser skips
//! to the next line (or the closing brace), and a failed item header skips to
//! the next item keyword that starts a line. Everything that parsed is kept.
//!
//! Lexical problems (stray characters, unterminated strings, bad escapes) are
//! reported in a first pass over the tokens, so they are found even inside
//! text that recovery later skips.

mod simulate;

use super::ast::{self, Ident, Spanned};
use super::lexer::{self, Lexeme, Token};
use crate::codes;
use crate::diagnostic::{Diagnostic, Span};

/// Words that start an item. Keywords are contextual; these matter for
/// recovery, which resynchronises on them.
const ITEM_KEYWORDS: &[&str] = &[
    "use",
    "trial",
    "hypotheses",
    "data",
    "arm",
    "schedule",
    "design",
    "prior",
    "outcome",
    "model",
    "decide",
    "report",
    "simulate",
];
const SCHEDULE_FIELDS: &[&str] = &[
    "start",
    "run_in",
    "period",
    "cycles",
    "periods",
    "sequence",
    "max_run",
    "washout",
    "carryover",
    "blinding",
    "seed",
    "window",
];
const OUTCOME_FIELDS: &[&str] = &[
    "type",
    "measured",
    "better",
    "mcid",
    "unit",
    "primary",
    "secondary",
];
const MODEL_STATEMENTS: &[&str] = &[
    "effect",
    "intercept",
    "trend",
    "errors",
    "cutpoints",
    "dispersion",
    "carryover",
    "covariate",
    "lag",
    "clock",
];
const DECIDE_RULES: &[&str] = &["recommend", "stop", "otherwise"];
const REPORT_ENTRIES: &[&str] = &[
    "interval",
    "estimate",
    "P",
    "effect",
    "odds_ratio",
    "rate_ratio",
    "risk_difference",
];
/// The entries of a hypotheses declaration's block. `outcome` is also an
/// item keyword: followed by a string, it is a mapping (an `outcome` item
/// is followed by its name).
const MAPPINGS: &[&str] = &["intervention", "outcome"];
const TIME_UNITS: &[&str] = &["day", "days", "week", "weeks"];
/// Whole numbers have at most this many digits (the grammar's `integer`), so
/// every accepted one fits both `u64` and `i64`.
const MAX_INTEGER_DIGITS: usize = 18;
/// Priors nest (mixtures, `vague`); beyond this depth the parser refuses
/// rather than risk exhausting the stack on hostile input.
const MAX_PRIOR_DEPTH: usize = 64;

pub struct Parser<'s> {
    source: &'s str,
    /// Tokens the grammar sees: no comments, no unrecognised characters.
    tokens: Vec<Lexeme>,
    /// Whether each token is the first on its line (recovery points).
    line_start: Vec<bool>,
    pos: usize,
    /// End of the last consumed token: where a node that just ended ends.
    prev_end: usize,
    comments: Vec<ast::Comment>,
    diagnostics: Vec<Diagnostic>,
    prior_depth: usize,
    /// Spans of unrecognised characters (already reported): a parse error
    /// right after one is a consequence, not a second mistake.
    stray_characters: Vec<Span>,
}

/// What a block's entries are: a fixed set of keywords, or (the trial block)
/// any `NAME "value"` pair.
#[derive(Clone, Copy)]
enum Entries {
    Keywords {
        kind: &'static str,
        words: &'static [&'static str],
    },
    TrialFields,
}

impl<'s> Parser<'s> {
    pub fn new(source: &'s str) -> Self {
        let mut parser = Parser {
            source,
            tokens: Vec::new(),
            line_start: Vec::new(),
            pos: 0,
            prev_end: 0,
            comments: Vec::new(),
            diagnostics: Vec::new(),
            prior_depth: 0,
            stray_characters: Vec::new(),
        };
        let mut previous_end = 0;
        for lexeme in lexer::lex(source) {
            match lexeme.token {
                Token::Comment => {
                    let written = parser.text(lexeme.span);
                    let doc = written.starts_with("///");
                    let text = written
                        .get(if doc { 3 } else { 2 }..)
                        .unwrap_or("")
                        .to_string();
                    parser.comments.push(ast::Comment {
                        span: lexeme.span,
                        text,
                        doc,
                    });
                }
                Token::Error => {
                    parser.stray_characters.push(lexeme.span);
                    let written = parser.text(lexeme.span);
                    let mut d = Diagnostic::error(
                        codes::E0108,
                        format!("unexpected character `{}`", written.escape_debug()),
                    )
                    .with_primary(lexeme.span, "not part of the language");
                    if let Some(help) = character_help(written) {
                        d = d.with_help(help);
                    }
                    parser.diagnostics.push(d);
                }
                Token::Bom if parser.tokens.is_empty() => {}
                Token::Bom => parser.diagnostics.push(
                    Diagnostic::error(codes::E0108, "unexpected byte-order mark")
                        .with_primary(
                            lexeme.span,
                            "a byte-order mark is allowed only at the start of the file",
                        )
                        .with_help("remove this invisible character"),
                ),
                token => {
                    if let Token::Str(terminated) = token {
                        parser.check_string(lexeme.span, terminated);
                    }
                    let gap = source.get(previous_end..lexeme.span.start).unwrap_or("");
                    parser
                        .line_start
                        .push(parser.tokens.is_empty() || gap.contains(['\n', '\r']));
                    parser.tokens.push(lexeme);
                    previous_end = lexeme.span.end;
                }
            }
        }
        parser
    }

    pub fn parse_file(mut self) -> (ast::File, Vec<Diagnostic>) {
        let mut items = Vec::new();
        while let Some(token) = self.peek() {
            let word = self.word_at(self.pos);
            if let Some(keyword) = word.filter(|w| ITEM_KEYWORDS.contains(w)) {
                let doc = self.doc_before(self.pos);
                let start = token.span;
                self.bump();
                match self.item(keyword) {
                    Some(kind) => items.push(ast::Item {
                        doc,
                        kind,
                        span: start.to(Span::new(self.prev_end, self.prev_end)),
                    }),
                    None => self.recover_top(),
                }
            } else {
                let d = match word {
                    Some(word) => {
                        let mut d =
                            Diagnostic::error(codes::E0107, format!("unknown item `{word}`"))
                                .with_primary(token.span, "not an item keyword");
                        if let Some(best) = suggest(word, ITEM_KEYWORDS) {
                            d = d.with_help(format!("did you mean `{best}`?"));
                        } else {
                            d = d.with_note(format!(
                                "a spec is a list of items, each starting with one of {}",
                                list(ITEM_KEYWORDS)
                            ));
                        }
                        d
                    }
                    None => Diagnostic::error(
                        codes::E0101,
                        format!("expected an item, found {}", self.describe(token)),
                    )
                    .with_primary(token.span, "an item must start here")
                    .with_note(format!("items start with one of {}", list(ITEM_KEYWORDS))),
                };
                self.diagnostics.push(d);
                self.bump();
                self.recover_top();
            }
        }
        let file = ast::File {
            items,
            comments: self.comments,
        };
        (file, self.diagnostics)
    }

    // ------------------------------------------------------------ items

    fn item(&mut self, keyword: &str) -> Option<ast::ItemKind> {
        use ast::ItemKind as K;
        Some(match keyword {
            "use" => K::Use(self.use_decl()?),
            "trial" => {
                let id = self.string("the trial id, e.g. `\"magnesium-migraine\"`")?;
                let mut fields = Vec::new();
                self.block(Entries::TrialFields, |p, _| {
                    let key = p.ident("a field name")?;
                    let value = p.string("a string value")?;
                    fields.push(ast::TrialField { key, value });
                    Some(())
                })?;
                K::Trial(ast::TrialBlock { id, fields })
            }
            "hypotheses" => {
                let name = self.ident("a name for the hypotheses source, e.g. `lfm`")?;
                self.expect_word("from")?;
                let path = self.string("the path of the hypotheses file")?;
                let mappings = if self.at(Token::LBrace) {
                    let mut mappings = Vec::new();
                    let entries = Entries::Keywords {
                        kind: "mapping",
                        words: MAPPINGS,
                    };
                    self.block(entries, |p, start| {
                        let mapping = p.name_mapping(start)?;
                        mappings.push(mapping);
                        Some(())
                    })?;
                    Some(mappings)
                } else {
                    None
                };
                K::Hypotheses(ast::HypothesesDecl {
                    name,
                    path,
                    mappings,
                })
            }
            "data" => K::Data(self.string("the path of the diary CSV, e.g. `\"diary.csv\"`")?),
            "arm" => {
                let name = self.ident("the arm's name")?;
                let description = if matches!(self.peek().map(|t| t.token), Some(Token::Str(_))) {
                    self.string("a description")
                } else {
                    None
                };
                let reference = self.eat_word("reference");
                K::Arm(ast::ArmDecl {
                    name,
                    description,
                    reference,
                })
            }
            "schedule" => {
                let from = match self.eat_word("from") {
                    Some(_) => Some(self.ident("the name of a design")?),
                    None => None,
                };
                let (fields, rejected) = self.schedule_fields()?;
                K::Schedule(ast::ScheduleBlock {
                    from,
                    fields,
                    rejected,
                })
            }
            "design" => {
                let name = self.ident("the design's name")?;
                let (fields, _) = self.schedule_fields()?;
                K::Design(ast::DesignDecl { name, fields })
            }
            "prior" => {
                let name = self.ident("the preset's name")?;
                self.expect(Token::Eq, "`=`")?;
                let prior = self.prior()?;
                K::PriorPreset(ast::PriorPresetDecl { name, prior })
            }
            "outcome" => {
                let name = self.ident("the outcome's name")?;
                let description = if matches!(self.peek().map(|t| t.token), Some(Token::Str(_))) {
                    self.string("a description")
                } else {
                    None
                };
                let mut fields = Vec::new();
                let mut rejected = Vec::new();
                let entries = Entries::Keywords {
                    kind: "outcome field",
                    words: OUTCOME_FIELDS,
                };
                self.block(entries, |p, start| {
                    let keyword = p.word_at(p.pos).unwrap_or_default().to_string();
                    let Some(kind) = p.outcome_field() else {
                        rejected.push(Spanned::new(keyword, start));
                        return None;
                    };
                    fields.push(ast::OutcomeField {
                        kind,
                        span: p.since(start),
                    });
                    Some(())
                })?;
                K::Outcome(ast::OutcomeBlock {
                    name,
                    description,
                    fields,
                    rejected,
                })
            }
            "model" => {
                let outcome = self.ident("the name of the outcome this model is for")?;
                let mut statements = Vec::new();
                let entries = Entries::Keywords {
                    kind: "model statement",
                    words: MODEL_STATEMENTS,
                };
                self.block(entries, |p, start| {
                    let kind = p.model_statement()?;
                    statements.push(ast::ModelStatement {
                        kind,
                        span: p.since(start),
                    });
                    Some(())
                })?;
                K::Model(ast::ModelBlock {
                    outcome,
                    statements,
                })
            }
            "decide" => {
                let mut rules = Vec::new();
                let entries = Entries::Keywords {
                    kind: "decision rule",
                    words: DECIDE_RULES,
                };
                self.block(entries, |p, start| {
                    let kind = p.decision_rule()?;
                    rules.push(ast::Rule {
                        kind,
                        span: p.since(start),
                    });
                    Some(())
                })?;
                K::Decide(ast::DecideBlock { rules })
            }
            "report" => {
                let mut entries = Vec::new();
                let words = Entries::Keywords {
                    kind: "report entry",
                    words: REPORT_ENTRIES,
                };
                self.block(words, |p, start| {
                    let kind = p.report_entry()?;
                    entries.push(ast::ReportEntry {
                        kind,
                        span: p.since(start),
                    });
                    Some(())
                })?;
                K::Report(ast::ReportBlock { entries })
            }
            "simulate" => K::Simulate(self.simulate_block()?),
            _ => return None,
        })
    }

    fn use_decl(&mut self) -> Option<ast::UseDecl> {
        let mut path = vec![self.ident("a module path, e.g. `std.designs.abab`")?];
        let mut glob = false;
        while self.at(Token::Dot) {
            match self.peek_at(1).map(|t| t.token) {
                Some(Token::Ident) => {
                    self.bump();
                    path.push(self.ident("a name")?);
                }
                Some(Token::Star) => {
                    self.bump();
                    self.bump();
                    glob = true;
                    break;
                }
                _ => {
                    self.bump();
                    self.error_expected("a name or `*` after `.`");
                    return None;
                }
            }
        }
        Some(ast::UseDecl { path, glob })
    }

    /// `{ entry* }` with recovery. Returns `None` only when the opening brace
    /// is missing (the caller then skips the item). An unclosed block is
    /// reported and ends where the next item starts, keeping its entries.
    fn block(
        &mut self,
        entries: Entries,
        mut entry: impl FnMut(&mut Self, Span) -> Option<()>,
    ) -> Option<()> {
        let open = self.expect(Token::LBrace, "`{`")?;
        loop {
            let Some(token) = self.peek() else {
                self.unclosed(open, None);
                return Some(());
            };
            if token.token == Token::RBrace {
                self.bump();
                return Some(());
            }
            let entry_pos = self.pos;
            let word = self.word_at(self.pos);
            if self.line_start[self.pos] && word.is_some_and(|w| ITEM_KEYWORDS.contains(&w)) {
                // An item keyword that is also an entry of this block (a
                // trial field `data "…"`, a mapping `outcome "…" is …`) is
                // the entry when a string follows: items are followed by a
                // name (or, `data`, at the top level only, by its path).
                let is_entry = match entries {
                    Entries::TrialFields => true,
                    Entries::Keywords { words, .. } => word.is_some_and(|w| words.contains(&w)),
                } && matches!(self.peek_at(1).map(|t| t.token), Some(Token::Str(_)));
                if !is_entry {
                    self.unclosed(open, Some(token.span));
                    return Some(());
                }
            }
            let ok = match (entries, word) {
                (Entries::TrialFields, Some(_)) => entry(self, token.span),
                (Entries::Keywords { words, .. }, Some(w)) if words.contains(&w) => {
                    entry(self, token.span)
                }
                (Entries::Keywords { kind, words }, Some(w)) => {
                    let mut d = Diagnostic::error(codes::E0110, format!("unknown {kind} `{w}`"))
                        .with_primary(token.span, format!("not a {kind}"));
                    d = match suggest(w, words) {
                        Some(best) => d.with_help(format!("did you mean `{best}`?")),
                        None => d.with_note(format!("a {kind} starts with one of {}", list(words))),
                    };
                    self.diagnostics.push(d);
                    None
                }
                (Entries::TrialFields, None) => {
                    self.error_expected("a field such as `title \"…\"`, or `}`");
                    None
                }
                (Entries::Keywords { kind, .. }, None) => {
                    self.error_expected(&format!("a {kind} or `}}`"));
                    None
                }
            };
            if ok.is_none() {
                self.recover_in_block(entry_pos);
            }
        }
    }

    fn unclosed(&mut self, open: Span, next_item: Option<Span>) {
        let mut d = Diagnostic::error(codes::E0109, "unclosed block: `{` has no matching `}`")
            .with_primary(open, "this block is never closed");
        if let Some(span) = next_item {
            d = d.with_secondary(span, "the next item starts here");
        }
        self.diagnostics
            .push(d.with_help("add `}` at the end of the block"));
    }

    /// After a failed entry: skip to the next line, a closing brace or the end.
    fn recover_in_block(&mut self, entry_pos: usize) {
        let mut depth = 0usize;
        while let Some(token) = self.peek() {
            let moved = self.pos > entry_pos;
            if depth == 0 && (token.token == Token::RBrace || (moved && self.line_start[self.pos]))
            {
                return;
            }
            match token.token {
                Token::LBrace => depth += 1,
                Token::RBrace => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
        }
    }

    /// After a failed item: skip to the next item keyword that starts a line,
    /// outside braces (or in column 0, in case the braces never close).
    fn recover_top(&mut self) {
        let mut depth = 0usize;
        while let Some(token) = self.peek() {
            if self.line_start[self.pos]
                && self
                    .word_at(self.pos)
                    .is_some_and(|w| ITEM_KEYWORDS.contains(&w))
            {
                let column_zero = token.span.start == 0
                    || matches!(
                        self.source.as_bytes().get(token.span.start - 1),
                        Some(b'\n' | b'\r')
                    );
                if depth == 0 || column_zero {
                    return;
                }
            }
            match token.token {
                Token::LBrace => depth += 1,
                Token::RBrace => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
        }
    }

    /// `intervention "TEXT" is ARM` or `outcome "TEXT" is OUTCOME` (the
    /// block has checked the keyword).
    fn name_mapping(&mut self, start: Span) -> Option<ast::NameMapping> {
        let kind = match self.bump_word() {
            "intervention" => ast::MappingKind::Intervention,
            _ => ast::MappingKind::Outcome,
        };
        let kind = Spanned::new(kind, start);
        let text = self.string(&format!(
            "the hypotheses' `{}` as the file writes it",
            kind.node.keyword()
        ))?;
        self.expect_word("is")?;
        let target = self.ident(match kind.node {
            ast::MappingKind::Intervention => "the name of the arm it is",
            ast::MappingKind::Outcome => "the name of the outcome it is",
        })?;
        Some(ast::NameMapping {
            kind,
            text,
            target,
            span: self.since(start),
        })
    }

    // ------------------------------------------------------------ schedule

    /// The fields of a schedule block, and the keywords of those whose value
    /// did not parse.
    fn schedule_fields(&mut self) -> Option<(Vec<ast::ScheduleField>, Vec<ast::Ident>)> {
        let mut fields = Vec::new();
        let mut rejected = Vec::new();
        let entries = Entries::Keywords {
            kind: "schedule field",
            words: SCHEDULE_FIELDS,
        };
        self.block(entries, |p, start| {
            let keyword = p.word_at(p.pos).unwrap_or_default().to_string();
            let Some(kind) = p.schedule_field() else {
                rejected.push(Spanned::new(keyword, start));
                return None;
            };
            fields.push(ast::ScheduleField {
                kind,
                span: p.since(start),
            });
            Some(())
        })?;
        Some((fields, rejected))
    }

    fn schedule_field(&mut self) -> Option<ast::ScheduleFieldKind> {
        use ast::ScheduleFieldKind as K;
        let keyword = self.bump_word();
        Some(match keyword {
            "start" => K::Start(self.date()?),
            "run_in" => K::RunIn(self.duration()?),
            "period" if self.at(Token::LBracket) => K::PeriodLengths(self.duration_list()?),
            "period" => K::Period(self.duration()?),
            "cycles" => K::Cycles(self.integer("the number of cycles")?),
            "periods" => K::Periods(self.integer("the number of periods")?),
            "max_run" => K::MaxRun(self.integer("the longest allowed run of periods on one arm")?),
            "seed" => K::Seed(self.integer("the randomization seed")?),
            "washout" => K::Washout(self.duration()?),
            "sequence" => K::Sequence(self.sequence_design()?),
            "window" => {
                let start = self.expect_word("days")?;
                let first = self.integer("the first analysed day")?;
                self.expect(Token::DotDot, "`..` between the first and the last day")?;
                let last = self.integer("the last analysed day")?;
                K::Window(ast::DayRange {
                    first,
                    last,
                    span: self.since(start),
                })
            }
            "carryover" => {
                if self.word_at(self.pos) == Some("modeled") {
                    let span = self.peek().map(|t| t.span).unwrap_or_default();
                    self.diagnostics.push(
                        Diagnostic::error(codes::E0101, "expected `modelled`, found `modeled`")
                            .with_primary(span, "spelled differently from the keyword")
                            .with_help("write `carryover modelled` (British spelling)"),
                    );
                    self.bump();
                    return None;
                }
                K::Carryover(self.expect_word("modelled")?)
            }
            "blinding" => {
                let (word, span) =
                    self.one_of(&["open", "single", "double"], "a blinding level")?;
                let level = match word {
                    "open" => ast::Blinding::Open,
                    "single" => ast::Blinding::Single,
                    _ => ast::Blinding::Double,
                };
                K::Blinding(Spanned::new(level, span))
            }
            _ => return None,
        })
    }

    fn sequence_design(&mut self) -> Option<Spanned<ast::SequenceDesign>> {
        use ast::SequenceDesign as S;
        let words = [
            "alternating",
            "counterbalanced",
            "fixed",
            "randomized",
            "from",
        ];
        let (word, start) = self.one_of(&words, "a sequence design")?;
        let design = match word {
            "alternating" => S::Alternating,
            "counterbalanced" => S::Counterbalanced,
            "fixed" => S::Fixed(self.string("the pattern, e.g. `\"ABBA BAAB\"`")?),
            "from" => {
                self.expect_word("data")?;
                S::FromData
            }
            _ => match self
                .one_of(
                    &["pairs", "blocks", "periods"],
                    "`pairs`, `blocks` or `periods` after `randomized`",
                )?
                .0
            {
                "pairs" => S::RandomizedPairs,
                "blocks" => S::RandomizedBlocks,
                _ => S::RandomizedPeriods,
            },
        };
        Some(Spanned::new(design, self.since(start)))
    }

    /// `N days` / `N weeks`. A missing unit is reported here and the duration
    /// kept with `unit: None`, so the rest of the field still reaches the checker.
    fn duration(&mut self) -> Option<ast::Duration> {
        let amount = self.integer("a length, e.g. `14 days`")?;
        let n = amount.node;
        let unit = self.time_unit(
            amount.span,
            |unit| format!("`{n} {unit}`"),
            "duration without a unit",
        );
        let span = self.since(amount.span);
        Some(ast::Duration { amount, unit, span })
    }

    /// `[10, 14, 10, 14] days`: the parser is at `[`. A missing unit is
    /// reported and the list kept with `unit: None`, as for a duration.
    fn duration_list(&mut self) -> Option<ast::DurationList> {
        let open = self.expect(Token::LBracket, "`[`")?;
        let mut amounts = vec![self.integer("the length of a period, e.g. `14`")?];
        while self.eat(Token::Comma).is_some() {
            amounts.push(self.integer("the length of a period, e.g. `14`")?);
        }
        self.expect(Token::RBracket, "`,` or `]`")?;
        let list = self.since(open);
        let written = self.text(list).to_string();
        let unit = self.time_unit(
            list,
            |unit| format!("`{written} {unit}`"),
            "period lengths without a unit",
        );
        Some(ast::DurationList {
            amounts,
            unit,
            span: self.since(open),
        })
    }

    /// The time unit after the amount (or list) at `amount`: `day(s)` or
    /// `week(s)`. An unknown word is reported and skipped; a missing unit is
    /// reported (`missing`); either way `None`. `with_unit` writes the
    /// amount with a unit for the help.
    fn time_unit(
        &mut self,
        amount: Span,
        with_unit: impl Fn(&str) -> String,
        missing: &str,
    ) -> Option<Spanned<ast::TimeUnit>> {
        let Some(token) = self.peek().filter(|t| t.token == Token::Ident) else {
            self.missing_unit(amount, &with_unit, missing);
            return None;
        };
        let word = self.text(token.span);
        let time_unit = match word {
            "day" | "days" => Some(ast::TimeUnit::Days),
            "week" | "weeks" => Some(ast::TimeUnit::Weeks),
            _ => None,
        };
        if let Some(time_unit) = time_unit {
            self.bump();
            return Some(Spanned::new(time_unit, token.span));
        }
        if !self.line_start[self.pos] && !is_keyword(word) {
            let mut d = Diagnostic::error(codes::E0106, format!("unknown time unit `{word}`"))
                .with_primary(token.span, "not a time unit")
                .with_secondary(amount, "this duration");
            d = match suggest(word, TIME_UNITS) {
                Some(best) => d.with_help(format!("did you mean `{best}`?")),
                None => d.with_help(format!(
                    "durations are in days or weeks: write {} or {}",
                    with_unit("days"),
                    with_unit("weeks")
                )),
            };
            self.diagnostics.push(d);
            self.bump();
        } else {
            self.missing_unit(amount, &with_unit, missing);
        }
        None
    }

    fn missing_unit(&mut self, amount: Span, with_unit: &dyn Fn(&str) -> String, message: &str) {
        self.diagnostics.push(
            Diagnostic::error(codes::E0106, message.to_string())
                .with_primary(amount, "days or weeks?")
                .with_note("a protocol must not leave the unit of a duration to the reader")
                .with_help(format!(
                    "write {} (or {})",
                    with_unit("days"),
                    with_unit("weeks")
                )),
        );
    }

    fn date(&mut self) -> Option<Spanned<ast::Date>> {
        let token = self.peek();
        match token.map(|t| t.token) {
            Some(Token::Date) => {
                let span = self.bump().span;
                let text = self.text(span);
                let part = |range: std::ops::Range<usize>| {
                    text.get(range)
                        .and_then(|s| s.parse::<u32>().ok())
                        .unwrap_or(0)
                };
                let (year, month, day) = (part(0..4), part(5..7), part(8..10));
                let problem = if !(1..=12).contains(&month) {
                    Some(format!("there is no month {month}"))
                } else if !(1..=31).contains(&day) {
                    Some(format!("there is no day {day} in any month"))
                } else {
                    None
                };
                if let Some(problem) = problem {
                    self.diagnostics.push(
                        Diagnostic::error(codes::E0105, format!("invalid date `{text}`"))
                            .with_primary(span, problem)
                            .with_help("write the date as YYYY-MM-DD, e.g. `2026-12-01`"),
                    );
                    return None;
                }
                let year = i32::try_from(year).unwrap_or(0);
                Some(Spanned::new(ast::Date { year, month, day }, span))
            }
            Some(Token::Number) => {
                // Something date-like but malformed (`2026-1-5`, `01-12-2026`):
                // take the whole run of numbers and dashes as the bad date.
                let start = self.bump().span;
                while let (Some(token), Some(previous)) =
                    (self.peek(), self.tokens.get(self.pos.wrapping_sub(1)))
                {
                    let adjacent = token.span.start == previous.span.end;
                    if adjacent
                        && matches!(
                            token.token,
                            Token::Number | Token::Minus | Token::Date | Token::Dot
                        )
                    {
                        self.bump();
                    } else {
                        break;
                    }
                }
                let span = self.since(start);
                self.diagnostics.push(
                    Diagnostic::error(codes::E0105, format!("invalid date `{}`", self.text(span)))
                        .with_primary(span, "not a YYYY-MM-DD date")
                        .with_help("write the date as YYYY-MM-DD, e.g. `2026-12-01`"),
                );
                None
            }
            _ => {
                self.error_expected("a date (YYYY-MM-DD)");
                None
            }
        }
    }

    // ------------------------------------------------------------ outcomes

    fn outcome_field(&mut self) -> Option<ast::OutcomeFieldKind> {
        use ast::OutcomeFieldKind as K;
        let keyword = self.bump_word();
        Some(match keyword {
            "type" => K::Type(self.outcome_type()?),
            "measured" => K::Measured(self.measurement()?),
            "better" => {
                let (word, span) = self.one_of(&["lower", "higher"], "`lower` or `higher`")?;
                let direction = if word == "lower" {
                    ast::Direction::Lower
                } else {
                    ast::Direction::Higher
                };
                K::Better(Spanned::new(direction, span))
            }
            "mcid" => K::Mcid(self.signed_number("the MCID, e.g. `1.0`")?),
            "unit" => K::Unit(self.string("the unit, e.g. `\"mmHg\"`")?),
            "primary" => K::Primary,
            "secondary" => K::Secondary,
            _ => return None,
        })
    }

    fn outcome_type(&mut self) -> Option<ast::OutcomeType> {
        use ast::OutcomeType as T;
        let words = ["continuous", "binary", "binomial", "count", "ordinal"];
        let (word, _) = self.one_of(&words, "an outcome type")?;
        Some(match word {
            "continuous" => {
                let bounds = match self.eat_word("in") {
                    Some(start) => {
                        self.expect(Token::LBracket, "`[`")?;
                        let low = self.signed_number("the lower bound")?;
                        self.expect(Token::Comma, "`,`")?;
                        let high = self.signed_number("the upper bound")?;
                        let close = self.expect(Token::RBracket, "`]`")?;
                        Some(Spanned::new((low.node, high.node), start.to(close)))
                    }
                    None => None,
                };
                T::Continuous { bounds }
            }
            "binary" => T::Binary,
            "binomial" => {
                self.expect_word("of")?;
                let trials = match self.peek().map(|t| t.token) {
                    Some(Token::Ident) => {
                        let name = self.ident("the diary column of the trials")?;
                        Spanned::new(ast::Trials::Column(name.node), name.span)
                    }
                    _ => {
                        let n =
                            self.integer("the number of trials, or the diary column that has it")?;
                        Spanned::new(ast::Trials::Fixed(n.node), n.span)
                    }
                };
                T::Binomial { trials }
            }
            "count" => T::Count {
                overdispersed: self.eat_word("overdispersed").is_some(),
            },
            _ => {
                let low = self.signed_integer("the lowest level")?;
                self.expect(Token::DotDot, "`..`")?;
                let high = self.signed_integer("the highest level")?;
                T::Ordinal {
                    levels: Spanned::new((low.node, high.node), low.span.to(high.span)),
                }
            }
        })
    }

    fn measurement(&mut self) -> Option<ast::Measured> {
        use ast::Measured as M;
        let words = ["daily", "weekly", "per", "on"];
        let (word, _) =
            self.one_of(&words, "`daily`, `weekly`, `per period` or `on days [...]`")?;
        Some(match word {
            "daily" => M::Daily,
            "weekly" => M::Weekly,
            "per" => {
                self.expect_word("period")?;
                M::PerPeriod
            }
            _ => {
                self.expect_word("days")?;
                self.expect(Token::LBracket, "`[`")?;
                let mut days = vec![self.integer("a day of the period")?];
                while self.eat(Token::Comma).is_some() {
                    days.push(self.integer("a day of the period")?);
                }
                self.expect(Token::RBracket, "`,` or `]`")?;
                M::OnDays(days)
            }
        })
    }

    // ------------------------------------------------------------ models

    fn model_statement(&mut self) -> Option<ast::ModelStatementKind> {
        use ast::ModelStatementKind as K;
        let keyword = self.bump_word();
        Some(match keyword {
            "effect" => {
                let arm = self.ident("the arm whose effect this is")?;
                self.expect(Token::Tilde, "`~`")?;
                K::Effect {
                    arm,
                    prior: self.prior()?,
                }
            }
            "carryover" => {
                // `carryover decay(…)`; an arm called `decay` is followed by `~`.
                if self.word_at(self.pos) == Some("decay")
                    && self.peek_at(1).map(|t| t.token) == Some(Token::LParen)
                {
                    let keyword = self.bump().span;
                    return Some(K::CarryoverDecay {
                        keyword,
                        params: self.named_priors("a parameter name (`rate`)")?,
                    });
                }
                let arm = self.ident("the arm whose carryover this is")?;
                self.expect(Token::Tilde, "`~`")?;
                K::Carryover {
                    arm,
                    prior: self.prior()?,
                }
            }
            "covariate" => {
                let column = self.ident("the diary column of the covariate")?;
                let standardised = self.eat_word("standardised");
                self.expect(Token::Tilde, "`~`")?;
                let prior = self.prior()?;
                let missing_excluded = match self.eat_word("missing") {
                    Some(start) => Some(start.to(self.expect_word("excluded")?)),
                    None => None,
                };
                K::Covariate {
                    column,
                    standardised,
                    prior,
                    missing_excluded,
                }
            }
            "lag" => {
                self.expect(Token::Tilde, "`~`")?;
                K::Lag(self.prior()?)
            }
            "clock" => K::Clock(self.ident("the diary column of the clock")?),
            "intercept" | "cutpoints" | "dispersion" => {
                self.expect(Token::Tilde, "`~`")?;
                let prior = self.prior()?;
                match keyword {
                    "intercept" => K::Intercept(prior),
                    "cutpoints" => K::Cutpoints(prior),
                    _ => K::Dispersion(prior),
                }
            }
            "trend" => {
                self.expect(Token::Tilde, "`~`")?;
                let prior = self.prior()?;
                let per = match self.eat_word("per") {
                    Some(_) => Some(self.duration()?),
                    None => None,
                };
                K::Trend { prior, per }
            }
            "errors" => {
                let (word, span) =
                    self.one_of(&["independent", "ar1"], "`independent` or `ar1`")?;
                let structure = if word == "ar1" {
                    ast::ErrorStructure::Ar1
                } else {
                    ast::ErrorStructure::Independent
                };
                K::Errors {
                    structure: Spanned::new(structure, span),
                    params: self.named_priors("a parameter name (`sigma` or `phi`)")?,
                }
            }
            _ => return None,
        })
    }

    /// `( [NAME ~ PRIOR {, NAME ~ PRIOR}] )`
    fn named_priors(&mut self, what: &str) -> Option<Vec<ast::NamedPrior>> {
        self.expect(Token::LParen, "`(`")?;
        let mut params = Vec::new();
        if !self.at(Token::RParen) {
            loop {
                let name = self.ident(what)?;
                self.expect(Token::Tilde, "`~`")?;
                params.push(ast::NamedPrior {
                    name,
                    prior: self.prior()?,
                });
                if self.eat(Token::Comma).is_none() {
                    break;
                }
            }
        }
        self.expect(Token::RParen, "`,` or `)`")?;
        Some(params)
    }

    fn prior(&mut self) -> Option<ast::Prior> {
        if self.prior_depth >= MAX_PRIOR_DEPTH {
            let span = self.peek().map(|t| t.span).unwrap_or(self.eof_span());
            self.diagnostics.push(
                Diagnostic::error(codes::E0101, "priors nested too deeply")
                    .with_primary(
                        span,
                        format!("more than {MAX_PRIOR_DEPTH} levels of nesting"),
                    )
                    .with_help("give the prior a name with `prior NAME = …` and use the name"),
            );
            return None;
        }
        self.prior_depth += 1;
        let prior = self.prior_inner();
        self.prior_depth -= 1;
        prior
    }

    /// The grammar's ordered choice `mixture | hypothesis_prior | distribution
    /// | preset`, decided with the lookahead that makes each alternative the
    /// one a PEG would end up with.
    fn prior_inner(&mut self) -> Option<ast::Prior> {
        use ast::PriorKind as K;
        let Some(name) = self.peek().filter(|t| t.token == Token::Ident) else {
            self.error_expected("a prior, e.g. `normal(0, 1)`");
            return None;
        };
        let next = |n: usize| self.peek_at(n).map(|t| t.token);
        let is_mixture = self.text(name.span) == "mixture"
            && next(1) == Some(Token::LParen)
            && next(2) == Some(Token::Number)
            && next(3) == Some(Token::Colon);
        let kind = if is_mixture {
            self.bump();
            self.bump();
            let mut components = Vec::new();
            loop {
                let weight = self.number("a mixture weight")?;
                self.expect(Token::Colon, "`:`")?;
                components.push(ast::MixtureComponent {
                    weight,
                    prior: self.prior()?,
                });
                if self.eat(Token::Comma).is_none() {
                    break;
                }
            }
            self.expect(Token::RParen, "`,` or `)`")?;
            K::Mixture(components)
        } else if next(1) == Some(Token::Dot) {
            let source = self.ident("a hypotheses source")?;
            self.bump();
            let id = self.ident("a hypothesis id, e.g. `H1`")?;
            let discount = match self.eat_word("discount") {
                Some(_) => Some(self.signed_number("the discount, e.g. `0.5`")?),
                None => None,
            };
            let robust = match self.eat_word("robust") {
                Some(_) => Some(self.signed_number("the robust weight, e.g. `0.2`")?),
                None => None,
            };
            let vague = match self.eat_word("vague") {
                Some(_) => Some(Box::new(self.prior()?)),
                None => None,
            };
            K::Hypothesis {
                source,
                id,
                discount,
                robust,
                vague,
            }
        } else if next(1) == Some(Token::LParen) {
            let name = self.ident("a distribution")?;
            self.bump();
            let mut args = Vec::new();
            if !self.at(Token::RParen) {
                loop {
                    args.push(self.signed_number("a parameter value")?);
                    if self.eat(Token::Comma).is_none() {
                        break;
                    }
                }
            }
            self.expect(Token::RParen, "`,` or `)`")?;
            K::Distribution { name, args }
        } else {
            K::Preset(self.ident("a prior")?)
        };
        Some(ast::Prior {
            kind,
            span: self.since(name.span),
        })
    }

    // ------------------------------------------------------------ decisions

    fn decision_rule(&mut self) -> Option<ast::RuleKind> {
        use ast::RuleKind as R;
        let keyword = self.bump_word();
        Some(match keyword {
            "recommend" => {
                let arm = self.ident("the arm to recommend")?;
                self.expect_word("if")?;
                R::Recommend {
                    arm,
                    conditions: self.conditions()?,
                }
            }
            "stop" => {
                self.expect_word("early")?;
                self.expect_word("if")?;
                let conditions = self.conditions()?;
                let after = match self.eat_word("after") {
                    Some(_) => {
                        let n = self.integer("a number of periods")?;
                        self.one_of(&["periods", "period"], "`periods`")?;
                        Some(n)
                    }
                    None => None,
                };
                R::StopEarly { conditions, after }
            }
            "otherwise" => {
                self.expect_word("inconclusive")?;
                R::Otherwise
            }
            _ => return None,
        })
    }

    /// `CONDITION (and CONDITION)*`
    fn conditions(&mut self) -> Option<Vec<ast::Condition>> {
        let mut conditions = vec![self.condition()?];
        while self.eat_word("and").is_some() {
            conditions.push(self.condition()?);
        }
        Some(conditions)
    }

    fn condition(&mut self) -> Option<ast::Condition> {
        let start = self.expect_word("P")?;
        self.expect(Token::LParen, "`(`")?;
        let statement = self.statement()?;
        self.expect(Token::RParen, "`)`")?;
        let probability_comparison = self.comparison()?;
        let probability = self.signed_number("a probability, e.g. `0.80`")?;
        Some(ast::Condition {
            statement,
            probability_comparison,
            probability,
            span: self.since(start),
        })
    }

    /// `QUANTITY CMP THRESHOLD`
    fn statement(&mut self) -> Option<ast::Statement> {
        let quantity = self.quantity()?;
        let comparison = self.comparison()?;
        let threshold = self.threshold()?;
        Some(ast::Statement {
            span: quantity.span.to(threshold.span),
            quantity,
            comparison,
            threshold,
        })
    }

    /// `SCALE [of ARM [vs ARM]] on OUTCOME`
    fn quantity(&mut self) -> Option<ast::QuantityRef> {
        let scale = match self.word_at(self.pos).and_then(ast::Scale::from_word) {
            Some(scale) => Spanned::new(scale, self.bump().span),
            None => {
                self.error_expected("`effect`, `odds_ratio`, `rate_ratio` or `risk_difference`");
                return None;
            }
        };
        let (arm, versus) = match self.eat_word("of") {
            Some(_) => {
                let arm = self.ident("an arm")?;
                let versus = match self.eat_word("vs") {
                    Some(_) => Some(self.ident("the arm it is compared with")?),
                    None => None,
                };
                (Some(arm), versus)
            }
            None => (None, None),
        };
        self.expect_word("on")?;
        let outcome = self.ident("an outcome")?;
        Some(ast::QuantityRef {
            span: self.since(scale.span),
            scale,
            arm,
            versus,
            outcome,
        })
    }

    fn report_entry(&mut self) -> Option<ast::ReportEntryKind> {
        use ast::ReportEntryKind as E;
        Some(match self.word_at(self.pos) {
            Some("interval") => {
                self.bump();
                E::Interval(self.signed_number("the interval's probability, e.g. `0.95`")?)
            }
            Some("estimate") => {
                self.bump();
                E::Estimate(self.ident("`median` or `mean`")?)
            }
            Some("P") => {
                self.bump();
                self.expect(Token::LParen, "`(`")?;
                let statement = self.statement()?;
                self.expect(Token::RParen, "`)`")?;
                E::Probability(statement)
            }
            _ => E::Summary(self.quantity()?),
        })
    }

    fn comparison(&mut self) -> Option<Spanned<ast::Comparison>> {
        use ast::Comparison as C;
        let comparison = match self.peek().map(|t| t.token) {
            Some(Token::Less) => C::Less,
            Some(Token::LessEq) => C::LessEqual,
            Some(Token::Greater) => C::Greater,
            Some(Token::GreaterEq) => C::GreaterEqual,
            _ => {
                self.error_expected("a comparison (`<`, `<=`, `>` or `>=`)");
                return None;
            }
        };
        Some(Spanned::new(comparison, self.bump().span))
    }

    fn threshold(&mut self) -> Option<Spanned<ast::Threshold>> {
        let minus = self.peek().filter(|t| t.token == Token::Minus);
        let word_pos = self.pos + usize::from(minus.is_some());
        if self.word_at(word_pos) == Some("mcid") {
            let word = self.tokens[word_pos];
            if let Some(minus) = minus {
                if minus.span.end != word.span.start {
                    self.bump();
                    self.minus_not_adjacent(minus.span);
                    return None;
                }
                self.bump();
            }
            self.bump();
            let start = minus.map(|m| m.span).unwrap_or(word.span);
            return Some(Spanned::new(
                ast::Threshold::Mcid {
                    negative: minus.is_some(),
                },
                start.to(word.span),
            ));
        }
        let value = self.signed_number("a threshold: a number, `mcid` or `-mcid`")?;
        Some(Spanned::new(ast::Threshold::Value(value.node), value.span))
    }

    // ------------------------------------------------------------ terminals

    /// An unsigned decimal number.
    fn number(&mut self, what: &str) -> Option<Spanned<f64>> {
        if !self.at(Token::Number) {
            self.error_expected(what);
            return None;
        }
        let span = self.bump().span;
        // The token's form (digits, fraction, exponent) always parses; a
        // value too large for f64 becomes infinity and is the checker's concern.
        let value = self.text(span).parse::<f64>().unwrap_or(f64::NAN);
        Some(Spanned::new(value, span))
    }

    /// `-` directly followed by the number, or the number alone.
    fn signed_number(&mut self, what: &str) -> Option<Spanned<f64>> {
        match self.leading_minus(what)? {
            Some(minus) => {
                let n = self.number(what)?;
                Some(Spanned::new(-n.node, minus.to(n.span)))
            }
            None => self.number(what),
        }
    }

    /// Consumes a `-` if present; errors when it is not directly followed by a number.
    fn leading_minus(&mut self, what: &str) -> Option<Option<Span>> {
        let Some(minus) = self.peek().filter(|t| t.token == Token::Minus) else {
            return Some(None);
        };
        self.bump();
        match self.peek() {
            Some(n) if n.token == Token::Number && n.span.start == minus.span.end => {
                Some(Some(minus.span))
            }
            Some(n) if n.token == Token::Number => {
                self.minus_not_adjacent(minus.span);
                None
            }
            _ => {
                self.error_expected(what);
                None
            }
        }
    }

    fn minus_not_adjacent(&mut self, minus: Span) {
        self.diagnostics.push(
            Diagnostic::error(codes::E0101, "space after a minus sign")
                .with_primary(minus, "this minus sign is separated from what it negates")
                .with_help("write the sign directly before the number, e.g. `-1.5`, `-mcid`"),
        );
    }

    /// A whole number of at most `MAX_INTEGER_DIGITS` digits.
    fn integer(&mut self, what: &str) -> Option<Spanned<u64>> {
        if !self.at(Token::Number) {
            self.error_expected(&format!("a whole number ({what})"));
            return None;
        }
        let span = self.bump().span;
        let text = self.text(span);
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::E0104,
                    format!("expected a whole number, found `{text}`"),
                )
                .with_primary(span, format!("{what}: must be a whole number"))
                .with_help("counts, days, durations and seeds are whole numbers"),
            );
            return None;
        }
        if text.len() > MAX_INTEGER_DIGITS {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::E0104,
                    format!("number too long: `{text}` has {} digits", text.len()),
                )
                .with_primary(span, format!("{what}: at most {MAX_INTEGER_DIGITS} digits"))
                .with_help("whole numbers have at most 18 digits; this is probably a typo"),
            );
            return None;
        }
        // At most 18 digits always fits in u64.
        let value = text.parse::<u64>().unwrap_or(0);
        Some(Spanned::new(value, span))
    }

    fn signed_integer(&mut self, what: &str) -> Option<Spanned<i64>> {
        let minus = self.leading_minus(what)?;
        let n = self.integer(what)?;
        let value = i64::try_from(n.node).unwrap_or(i64::MAX);
        Some(match minus {
            Some(minus) => Spanned::new(-value, minus.to(n.span)),
            None => Spanned::new(value, n.span),
        })
    }

    fn ident(&mut self, what: &str) -> Option<Ident> {
        if !self.at(Token::Ident) {
            self.error_expected(what);
            return None;
        }
        let span = self.bump().span;
        Some(Spanned::new(self.text(span).to_string(), span))
    }

    /// A string's value; its span includes the quotes. Lexical problems were
    /// reported in the first pass.
    fn string(&mut self, what: &str) -> Option<Spanned<String>> {
        match self.peek() {
            Some(Lexeme {
                token: Token::Str(terminated),
                span,
            }) => {
                self.bump();
                let written = self.text(span);
                let inner_end = if terminated {
                    written.len().saturating_sub(1)
                } else {
                    written.len()
                };
                let inner = written.get(1..inner_end.max(1)).unwrap_or("");
                Some(Spanned::new(unescape(inner), span))
            }
            _ => {
                self.error_expected(&format!("{what} in double quotes"));
                None
            }
        }
    }

    /// Report an unterminated string and escapes other than `\"`, `\\`, `\n`.
    fn check_string(&mut self, span: Span, terminated: bool) {
        if !terminated {
            self.diagnostics.push(
                Diagnostic::error(codes::E0102, "unterminated string")
                    .with_primary(span, "this string has no closing `\"` on its line")
                    .with_help("close the string with `\"`; a string cannot span lines (write `\\n` for a line break)"),
            );
        }
        let written = self.text(span);
        let mut chars = written.char_indices().skip(1);
        while let Some((offset, c)) = chars.next() {
            if c != '\\' {
                continue;
            }
            match chars.next() {
                Some((_, '"' | '\\' | 'n')) => {}
                Some((next_offset, next)) => {
                    let start = span.start + offset;
                    let escape = Span::new(start, span.start + next_offset + next.len_utf8());
                    self.diagnostics.push(
                        Diagnostic::error(codes::E0103, format!("invalid escape `\\{}` in a string", next.escape_debug()))
                            .with_primary(escape, "not a known escape")
                            .with_help("the escapes are `\\\"`, `\\\\` and `\\n`; write `\\\\` for a backslash"),
                    );
                }
                None => {
                    let start = span.start + offset;
                    self.diagnostics.push(
                        Diagnostic::error(codes::E0103, "a backslash at the end of a string")
                            .with_primary(Span::new(start, start + 1), "escapes nothing")
                            .with_help("write `\\\\` for a backslash"),
                    );
                }
            }
        }
    }

    // ------------------------------------------------------------ helpers

    fn text(&self, span: Span) -> &'s str {
        self.source.get(span.range()).unwrap_or("")
    }

    fn peek(&self) -> Option<Lexeme> {
        self.tokens.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<Lexeme> {
        self.tokens.get(self.pos + n).copied()
    }

    fn at(&self, token: Token) -> bool {
        self.peek().is_some_and(|t| t.token == token)
    }

    /// The text of the token at `pos` if it is a word.
    fn word_at(&self, pos: usize) -> Option<&'s str> {
        self.tokens
            .get(pos)
            .filter(|t| t.token == Token::Ident)
            .map(|t| self.text(t.span))
    }

    /// Consume the current token (callers check there is one; at the end of
    /// the input this returns an empty token at the end).
    fn bump(&mut self) -> Lexeme {
        match self.peek() {
            Some(token) => {
                self.pos += 1;
                self.prev_end = token.span.end;
                token
            }
            None => Lexeme {
                token: Token::Error,
                span: self.eof_span(),
            },
        }
    }

    fn bump_word(&mut self) -> &'s str {
        let token = self.bump();
        self.text(token.span)
    }

    fn eat(&mut self, token: Token) -> Option<Span> {
        self.at(token).then(|| self.bump().span)
    }

    fn eat_word(&mut self, word: &str) -> Option<Span> {
        (self.word_at(self.pos) == Some(word)).then(|| self.bump().span)
    }

    fn expect(&mut self, token: Token, what: &str) -> Option<Span> {
        let found = self.eat(token);
        if found.is_none() {
            self.error_expected(what);
        }
        found
    }

    fn expect_word(&mut self, word: &str) -> Option<Span> {
        let found = self.eat_word(word);
        if found.is_none() {
            self.error_expected(&format!("`{word}`"));
        }
        found
    }

    /// One of several keywords; reports the alternatives (and a near miss) otherwise.
    fn one_of(&mut self, words: &[&'static str], what: &str) -> Option<(&'static str, Span)> {
        let current = self.word_at(self.pos);
        if let Some(word) = current.and_then(|c| words.iter().find(|w| **w == c)) {
            return Some((word, self.bump().span));
        }
        if self.after_stray_character() {
            return None;
        }
        let span = self.peek().map(|t| t.span).unwrap_or(self.eof_span());
        let found = self
            .peek()
            .map(|t| self.describe(t))
            .unwrap_or_else(|| "the end of the file".into());
        let mut d = Diagnostic::error(codes::E0101, format!("expected {what}, found {found}"))
            .with_primary(span, format!("expected one of {}", list(words)));
        if let Some(best) = current.and_then(|c| suggest(c, words)) {
            d = d.with_help(format!("did you mean `{best}`?"));
        }
        self.diagnostics.push(d);
        None
    }

    /// Whether an unrecognised character lies between the last consumed
    /// token and the current one.
    fn after_stray_character(&self) -> bool {
        let next_start = self.peek().map_or(self.source.len(), |t| t.span.start);
        self.stray_characters
            .iter()
            .any(|s| s.start >= self.prev_end && s.end <= next_start)
    }

    fn error_expected(&mut self, what: &str) {
        if self.after_stray_character() {
            return;
        }
        let (span, found) = match self.peek() {
            Some(token) => (token.span, self.describe(token)),
            None => (self.eof_span(), "the end of the file".to_string()),
        };
        self.diagnostics.push(
            Diagnostic::error(codes::E0101, format!("expected {what}, found {found}"))
                .with_primary(span, format!("expected {what} here")),
        );
    }

    fn describe(&self, token: Lexeme) -> String {
        match token.token {
            Token::Str(_) => "a string".into(),
            Token::Number => format!("the number `{}`", self.text(token.span)),
            Token::Date => format!("the date `{}`", self.text(token.span)),
            _ => format!("`{}`", self.text(token.span)),
        }
    }

    fn eof_span(&self) -> Span {
        Span::new(self.source.len(), self.source.len())
    }

    /// From `start` to the end of the last consumed token.
    fn since(&self, start: Span) -> Span {
        Span::new(start.start, self.prev_end.max(start.start))
    }

    /// The `///` lines directly above the token at `pos`: consecutive lines,
    /// no blank line between them and the item, no ordinary comment between.
    fn doc_before(&self, pos: usize) -> Option<String> {
        let item_start = self.tokens.get(pos)?.span.start;
        let after = if pos == 0 {
            0
        } else {
            self.tokens.get(pos - 1).map_or(0, |t| t.span.end)
        };
        let mut lines = Vec::new();
        let mut next_start = item_start;
        for comment in self.comments.iter().rev() {
            if comment.span.start >= item_start {
                continue;
            }
            if comment.span.end < after || !comment.doc {
                break;
            }
            let gap = self.source.get(comment.span.end..next_start).unwrap_or("");
            // A byte-order mark the grammar accepts before the first item is
            // invisible: it does not separate a doc comment from its item.
            let blank = gap
                .trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}')
                .is_empty();
            if line_breaks(gap) > 1 || !blank {
                break;
            }
            lines.push(
                comment
                    .text
                    .strip_prefix(' ')
                    .unwrap_or(&comment.text)
                    .trim_end(),
            );
            next_start = comment.span.start;
        }
        if lines.is_empty() {
            return None;
        }
        lines.reverse();
        Some(lines.join("\n"))
    }
}

/// Line breaks in `text`, each of `\r\n`, `\n` and a lone `\r` counted
/// once (the grammar's `NEWLINE`), so CR-only files keep their blank lines.
fn line_breaks(text: &str) -> usize {
    text.matches('\n').count() + text.matches('\r').count() - text.matches("\r\n").count()
}

/// Whether a word is a keyword somewhere in the grammar (for deciding that a
/// word after a duration is the next field, not a misspelled unit).
fn is_keyword(word: &str) -> bool {
    [
        ITEM_KEYWORDS,
        SCHEDULE_FIELDS,
        OUTCOME_FIELDS,
        MODEL_STATEMENTS,
        DECIDE_RULES,
        simulate::SIMULATE_ENTRIES,
    ]
    .iter()
    .any(|set| set.contains(&word))
        || matches!(word, "per" | "after" | "discount" | "robust" | "vague")
}

/// The value of a string body: `\"`, `\\`, `\n` decoded, anything else kept as written.
fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The closest word within a small edit distance, for "did you mean".
fn suggest(word: &str, candidates: &[&'static str]) -> Option<&'static str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(distance, c)| *distance <= (c.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

fn list(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Characters people type for the language's operators and quotes.
fn character_help(written: &str) -> Option<&'static str> {
    let first = written.chars().next()?;
    Some(match first {
        '≥' => "write `>=` for \"greater than or equal\"",
        '≤' => "write `<=` for \"less than or equal\"",
        '“' | '”' | '„' | '«' | '»' => "strings use straight double quotes: `\"…\"`",
        '−' | '–' | '—' => "write the minus sign as `-` (ASCII hyphen-minus)",
        ';' => "fields are separated by line breaks, not semicolons",
        '#' => "comments start with `//`",
        '+' => "write positive numbers without a sign",
        _ => return None,
    })
}
