//! The formatter never changes meaning. For every input that parses without
//! errors, `format` succeeds and its output
//!   (a) parses without errors,
//!   (b) has the input's AST up to spans (item documentation included),
//!   (c) has every comment of the input, once, in order, with its text
//!       (trailing whitespace aside),
//!   (d) is a fixed point: formatting it again changes nothing,
//!   (e) keeps the input's line-ending style (of its first line break) and
//!       its byte-order mark.
//!
//! Checked on every spec in the repository, on line-ending and BOM variants
//! of them, and on generated and mutated ones (proptest with a fixed seed and
//! no failure file, so CI runs the same cases every time). Any input at all,
//! however broken, gives `Ok` or `Err`, never a panic.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use trialc::format::format;
use trialc::syntax::lexer::{lex, Token};
use trialc::syntax::parse;

// ------------------------------------------------------------------ oracle

#[path = "fuzz/oracle.rs"]
mod oracle;
use oracle::{check_properties, parses_cleanly};

fn assert_properties(name: &str, source: &str) {
    if let Err(message) = check_properties(name, source) {
        panic!("{message}");
    }
}

// ------------------------------------------------------------------ corpus

fn trial_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            trial_files(&path, out);
        } else if path.extension().and_then(|e| e.to_str()) == Some("trial") {
            out.push(path);
        }
    }
}

/// Every `.trial` file of examples/, stdlib/, tests/ui/ and tests/syntax/, sorted.
fn corpus() -> &'static [(String, String)] {
    static CORPUS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for dir in ["examples", "stdlib", "tests/ui", "tests/syntax"] {
            trial_files(&root.join(dir), &mut files);
        }
        files.sort();
        files
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).expect("readable spec");
                (path.display().to_string(), text)
            })
            .collect()
    })
}

fn with_endings(source: &str, ending: &str) -> String {
    source.replace('\n', ending)
}

#[test]
fn repository_specs_keep_their_meaning() {
    let files = corpus();
    assert!(files.len() >= 100, "found only {} specs", files.len());
    let mut formatted = 0;
    for (name, source) in files {
        assert_properties(name, source);
        let Ok(lf) = format(source) else { continue };
        formatted += 1;
        // The same file with other line endings and a BOM formats the same,
        // in its own line-ending style.
        for ending in ["\r\n", "\r"] {
            let variant = with_endings(source, ending);
            assert_properties(name, &variant);
            assert_eq!(
                format(&variant).ok(),
                Some(with_endings(&lf, ending)),
                "{name} with {ending:?} line endings"
            );
        }
        let bom = format!("\u{FEFF}{source}");
        assert_properties(name, &bom);
        assert_eq!(
            format(&bom).ok(),
            Some(format!("\u{FEFF}{lf}")),
            "{name} with a BOM"
        );
    }
    assert!(
        formatted >= 20,
        "expected many valid specs in the repository, found {formatted}"
    );
}

/// The bundled examples and the standard library are in the canonical layout
/// (`trialc fmt --check` passes on them), so the formatter's output is what
/// trialists see in every example.
#[test]
fn examples_and_stdlib_are_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["examples", "stdlib"] {
        trial_files(&root.join(dir), &mut files);
    }
    assert!(files.len() >= 5);
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap_or_default();
        let formatted = format(&source).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        assert_eq!(
            formatted,
            source,
            "{} is not formatted (run `trialc fmt`)",
            path.display()
        );
    }
}

// ------------------------------------------------------------------ layout

#[test]
fn canonical_layout() {
    let source = "// header comment\ntrial \"t\" {title \"T\"   version \"1\"}\narm a \"A 5 mg\"   // the drug\narm b \"B\" reference\n\n\nschedule {\n period 14 days\n\n  seed 3 // fixed\n cycles 2 sequence randomized pairs\n}\nmodel pain {\n effect a ~ normal(0,  1.0)\n errors ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(2))\n}\n";
    let expected = "// header comment\ntrial \"t\" {\n  title    \"T\"\n  version  \"1\"\n}\n\narm a \"A 5 mg\"  // the drug\narm b \"B\" reference\n\nschedule {\n  period    14 days\n\n  seed      3  // fixed\n  cycles    2\n  sequence  randomized pairs\n}\n\nmodel pain {\n  effect a ~ normal(0, 1.0)\n  errors   ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(2))\n}\n";
    let formatted = format(source).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(formatted, expected);
    assert_properties("canonical layout", source);
}

/// The schedule forms of issue 11 in canonical layout: a list of lengths
/// with its unit in the plural, the window's range as written.
#[test]
fn issue_11_schedule_forms_have_a_canonical_layout() {
    let source = "schedule {\n period [10,14 ,10]   days\n sequence randomized   periods\n window days 18 .. 70\n}\ndesign d { sequence from   data }\n";
    let expected = "schedule {\n  period    [10, 14, 10] days\n  sequence  randomized periods\n  window    days 18..70\n}\n\ndesign d {\n  sequence  from data\n}\n";
    let formatted = format(source).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(formatted, expected);
    assert_properties("issue 11 forms", source);
    let weeks = format("schedule {\n  period [1, 2] week\n}\n").expect("formats");
    assert_eq!(weeks, "schedule {\n  period  [1, 2] weeks\n}\n");
}

#[test]
fn refuses_sources_with_syntax_errors() {
    let errors = format("arm a \"x\nschedule {").expect_err("has syntax errors");
    assert!(errors
        .iter()
        .all(|d| d.is_error() && d.code.starts_with("E01")));
}

#[test]
fn arm_descriptions_align_within_a_run() {
    let source = "arm a \"A\"\narm long_name \"L\" reference\narm b\n\narm c \"C\"\n";
    let expected = "arm a         \"A\"\narm long_name \"L\" reference\narm b\n\narm c \"C\"\n";
    assert_eq!(format(source).ok().as_deref(), Some(expected));
}

#[test]
fn hypotheses_mappings_are_a_block_with_aligned_keywords() {
    let source = "hypotheses lfm from \"h.json\" {  // the model's wording\n intervention \"Blue-light glasses (after 8 pm)\"   is glasses // amber\n\n  // the file's outcome\noutcome \"Sleep onset latency\" is\n sleep }\nhypotheses prev from \"e.json\"\nhypotheses none from \"n.json\" { }\n";
    let expected = "hypotheses lfm from \"h.json\" {  // the model's wording\n  intervention  \"Blue-light glasses (after 8 pm)\" is glasses  // amber\n\n  // the file's outcome\n  outcome       \"Sleep onset latency\" is sleep\n}\n\nhypotheses prev from \"e.json\"\n\nhypotheses none from \"n.json\" {\n}\n";
    let formatted = format(source).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(formatted, expected);
    assert_properties("hypotheses mappings", source);
}

#[test]
fn simulate_block_one_entry_per_line_and_settings_aligned() {
    let source = "simulate { replicates  500 // enough\n scenario null\n scenario benefit : effect of mg on pain=-mcid,missing 0.10, // per day\n dropout 0.05 per period,adherence 0.9 unrecorded\n scenario cut: cutpoints on sleep = [ -1,0 , 1.5 ], effect on sleep in [-1,  0]\n require P( recommend mg )>=0.80 under benefit\n sweep period [1 week,14 days]\n}\n";
    let expected = "simulate {\n  replicates 500  // enough\n  scenario null\n  scenario benefit: effect of mg on pain = -mcid,\n                    missing 0.10,\n                    dropout 0.05 per period,\n                    adherence 0.9 unrecorded\n  // per day\n  scenario cut: cutpoints on sleep = [-1, 0, 1.5],\n                effect on sleep in [-1, 0]\n  require P(recommend mg) >= 0.80 under benefit\n  sweep period [1 week, 14 days]\n}\n";
    let formatted = format(source).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(formatted, expected);
    assert_properties("simulate block", source);
}

// ------------------------------------------------------------------ faults of issue 10

/// `fmt` panicked ("Formatting argument out of range"): a `{:width$}` width
/// above 65,535. Names of 65,536 characters or more, in every aligned place.
#[test]
fn names_of_65536_characters_or_more_do_not_panic() {
    for length in [65_535, 65_536, 70_000] {
        let name = "n".repeat(length);
        let sources = [
            format!("model pain {{\n  effect {name} ~ normal(0, 1)\n  intercept ~ normal(0, 1)\n}}\n"),
            format!("arm {name} \"A\"\narm b \"B\" reference\n"),
            format!("trial \"t\" {{\n  {name} \"x\"\n  title \"T\"\n}}\n"),
            format!("decide {{\n  recommend {name} if P(effect on pain < 0) >= 0.9\n  stop early if P(effect on pain < 0) >= 0.99\n}}\n"),
        ];
        for source in &sources {
            let formatted = format(source).unwrap_or_else(|e| panic!("{e:?}"));
            assert!(formatted.contains(&name));
            assert_properties(&format!("name of {length} characters"), source);
        }
    }
    // The alignment itself is still there for such names.
    let name = "n".repeat(65_536);
    let formatted = format(&format!(
        "model pain {{\n  effect {name} ~ normal(0, 1)\n  intercept ~ normal(0, 1)\n}}\n"
    ))
    .unwrap_or_else(|e| panic!("{e:?}"));
    let padding = " ".repeat(65_536 + 7 - "intercept".len());
    assert!(formatted.contains(&format!("  intercept{padding} ~ normal(0, 1)\n")));
}

/// A line comment inside brackets was copied into the bounds (`[0, 10//c]`,
/// which no longer parses) and printed a second time.
#[test]
fn a_comment_inside_brackets_is_kept_once_and_outside() {
    let source = "outcome pain {\n  type continuous in [0, 10 // c\n]\n}\n";
    let formatted = format(source).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        formatted,
        "outcome pain {\n  type  continuous in [0, 10]\n  // c\n}\n"
    );
    assert_properties("comment in brackets", source);
    // Also between the bracket and the first bound, and after the comma.
    for source in [
        "outcome pain {\n  type continuous in [ // low\n -1.5, 10]\n  better lower\n}\n",
        "outcome pain {\n  type continuous in [0, // high\n 10] measured daily\n}\n",
        "outcome pain { type continuous in /// doc-like\n [0, 10] }\n",
    ] {
        assert_properties("comment in brackets", source);
    }
}

/// CR-only line endings: `///` comments went to the wrong items and blank
/// lines were lost, because line breaks were looked for as `\n` only.
#[test]
fn cr_only_files_keep_docs_blank_lines_and_their_line_endings() {
    let source = "/// doc a\rarm a \"A\"\r\r/// doc b\rarm b \"B\" reference\r\r/// not a doc\r\rmodel pain {\r  effect a ~ normal(0, 1)  // why\r}\r";
    let formatted = format(source).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        formatted,
        "/// doc a\rarm a \"A\"\r\r/// doc b\rarm b \"B\" reference\r\r/// not a doc\r\rmodel pain {\r  effect a ~ normal(0, 1)  // why\r}\r"
    );
    let (file, _) = parse(source);
    let docs: Vec<Option<&str>> = file.items.iter().map(|i| i.doc.as_deref()).collect();
    assert_eq!(docs, [Some("doc a"), Some("doc b"), None]);
    assert_properties("CR-only", source);
    // An unformatted CR-only file becomes the CR version of the LF result.
    let messy =
        "arm a \"A\"   // first\rarm bb \"B\"\r\r\r/// the trial\rtrial \"t\" {title \"T\"}\r";
    let lf = format(&messy.replace('\r', "\n")).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(format(messy).ok(), Some(lf.replace('\n', "\r")));
    assert_properties("CR-only, unformatted", messy);
}

/// CRLF and a byte-order mark were silently turned into LF and dropped.
#[test]
fn crlf_and_a_bom_are_kept() {
    let source = "\u{FEFF}// header\r\narm a \"A\"\r\narm b \"B\" reference\r\n";
    assert_eq!(format(source).ok().as_deref(), Some(source));
    let unformatted = "\u{FEFF}arm a   \"A\"\r\n\r\n\r\narm b \"B\"   reference   // r\r\n";
    assert_eq!(
        format(unformatted).ok().as_deref(),
        Some("\u{FEFF}arm a \"A\"\r\n\r\narm b \"B\" reference  // r\r\n")
    );
    // Mixed endings take the first line break's style.
    assert_eq!(
        format("arm a \"A\"\r\narm b \"B\"\narm c \"C\"\r")
            .ok()
            .as_deref(),
        Some("arm a \"A\"\r\narm b \"B\"\r\narm c \"C\"\r\n")
    );
    // No line break at all: LF.
    assert_eq!(format("arm a \"A\"").ok().as_deref(), Some("arm a \"A\"\n"));
    // A BOM after a leading comment (the grammar allows it before the first
    // item) moves to the start and still does not separate a doc comment.
    let late = "/// doc\n\u{FEFF}arm a \"A\"\n";
    assert_eq!(parse(late).0.items[0].doc.as_deref(), Some("doc"));
    assert_eq!(
        format(late).ok().as_deref(),
        Some("\u{FEFF}/// doc\narm a \"A\"\n")
    );
    for source in [source, unformatted, late] {
        assert_properties("CRLF and BOM", source);
    }
}

// ------------------------------------------------------------------ found by the properties

/// Comments between the tokens of an item or a field, and `///` lines
/// near items. The first group changed the AST (an item's documentation) or
/// gave output that does not parse before this fix; the property tests below
/// find each of them in the old formatter. The second group pins where such
/// comments go now.
#[test]
fn comments_in_awkward_places_keep_their_meaning() {
    let broke_before = [
        // A `///` inside one item became the next item's documentation.
        "arm a /// x\n \"A\"\narm b \"B\"\n",
        "arm a /// x\n \"A\"\n/// doc b\narm b \"B\"\n",
        "arm a /// x\n \"A\"\narm bbbb \"B\"\n",
        // A `///` at the end of an arm's line documents the next item; the
        // blank line put before a block item separated it from that item.
        "arm a \"A\" /// doc of the model\nmodel pain {\n  intercept ~ normal(0, 1)\n}\n",
        // A comment after a later token on the same line was attached to an
        // earlier element: here a `///` after `}` or after a whole item moved
        // into the block or onto the wrong item and stopped documenting.
        "model pain {\n  intercept ~ normal(0, 1) } /// doc of b\narm b \"B\"\n",
        "arm a \"A\" arm b \"B\" /// doc of c\narm c \"C\"\n",
        "trial \"t\" { title \"T\" } /// doc\ntrial \"u\" { title \"U\" }\n",
        // A comment inside brackets was copied into the bounds.
        "outcome pain { type continuous in [-1.5 // note\n, 1e1] }\n",
        // Trailing whitespace of a doc comment was kept in the item's doc
        // but removed by the formatter (the parser now trims it).
        "/// doc   \narm a \"A\"\n",
    ];
    for source in broke_before {
        assert!(
            parses_cleanly(source),
            "test input has syntax errors: {source:?}"
        );
        assert_properties("awkward comment", source);
    }
    let placed = [
        (
            "arm a /// x\n \"A\"\n/// doc b\narm b \"B\"\n",
            "arm a \"A\"\n/// x\n\n/// doc b\narm b \"B\"\n",
        ),
        (
            "arm a \"A\" /// doc of the model\nmodel pain {\n  intercept ~ normal(0, 1)\n}\n",
            "arm a \"A\"\n\n/// doc of the model\nmodel pain {\n  intercept ~ normal(0, 1)\n}\n",
        ),
        (
            "arm a \"A\" arm b \"B\" /// doc of c\narm c \"C\"\n",
            "arm a \"A\"\narm b \"B\"\n/// doc of c\narm c \"C\"\n",
        ),
        (
            "schedule { seed 3 cycles 2 // about cycles\n}\n",
            "schedule {\n  seed    3\n  cycles  2  // about cycles\n}\n",
        ),
        (
            "model pain {\n  effect a ~ normal(0, // scale\n 1)  // end\n  intercept ~ normal(0, 1)\n}\n",
            "model pain {\n  effect a  ~ normal(0, 1)\n  // scale\n  // end\n  intercept ~ normal(0, 1)\n}\n",
        ),
        (
            "outcome // o\n pain \"P\" // before the brace\n { // after it\n type binary }\n",
            "outcome pain \"P\" {\n  // o\n  // before the brace\n  // after it\n  type  binary\n}\n",
        ),
        ("model pain // m\n {}\n", "model pain {\n  // m\n}\n"),
        // `{` inside the header's string is not the block's brace.
        (
            "outcome pain \"a { b\" { // after the brace\n  type binary\n}\n",
            "outcome pain \"a { b\" {  // after the brace\n  type  binary\n}\n",
        ),
        // An arm or outcome named like a keyword.
        (
            "decide {\n  recommend if if P(effect on if < 0) >= 0.9\n  otherwise inconclusive\n}\n",
            "decide {\n  recommend if if P(effect on if < 0) >= 0.9\n  otherwise inconclusive\n}\n",
        ),
        // The case proptest once saved in format.proptest-regressions.
        (
            "data \"diary.csv\"\narm beta \"Beta\" reference\n",
            "data \"diary.csv\"\n\narm beta \"Beta\" reference\n",
        ),
    ];
    for (source, expected) in placed {
        assert_eq!(format(source).ok().as_deref(), Some(expected), "{source:?}");
        assert_properties("awkward comment", source);
    }
}

/// Priors nested as deep as the parser allows format and round-trip; deeper
/// ones are refused without exhausting the stack.
#[test]
fn deep_nesting() {
    let nested = |depth: usize| {
        format!(
            "prior p = {}normal(0, 1){}\n",
            "mixture(1: ".repeat(depth),
            ")".repeat(depth)
        )
    };
    let mut deepest_ok = 0;
    for depth in [1, 10, 40, 62, 63, 64, 65, 100, 10_000] {
        let source = nested(depth);
        assert_properties(&format!("depth {depth}"), &source);
        if format(&source).is_ok() {
            deepest_ok = depth;
        }
    }
    assert!(deepest_ok >= 62, "only depth {deepest_ok} formats");
    assert!(format(&nested(10_000)).is_err());
}

// ------------------------------------------------------------------ generated inputs

/// A fixed seed and no failure file: every run, here and in CI, tries the same cases.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x7269_616c_666d_7431),
        ..ProptestConfig::default()
    }
}

/// Items a generated spec is made of; each parses on its own.
const ITEMS: &[&str] = &[
    "trial \"gen\" { title \"Generated\" version \"0.1\" }",
    "arm alpha \"Alpha 10 mg\"",
    "arm beta \"Beta\" reference",
    "arm gamma_long_name",
    "use std.designs.*",
    "use std.priors.sceptical",
    "hypotheses lfm from \"h.json\"",
    "hypotheses lfm from \"h.json\" { intervention \"Blue-light glasses (after 8 pm), \\\"amber\\\"\" is alpha outcome \"Sleep onset latency\" is sleep intervention \"µg ≥ 1\" is café }",
    "hypotheses other from \"o.json\" {}",
    "data \"diary.csv\"",
    "prior wide = normal(0, 10)",
    "schedule { run_in 7 days period 2 weeks cycles 3 sequence randomized pairs max_run 2 washout 3 days blinding double seed 11 }",
    "schedule from abab { period 7 days start 2026-12-01 carryover modelled }",
    "design d { period 1 week periods 4 sequence fixed \"AB BA\" }",
    "outcome pain \"Pain\" { type continuous in [-1.5, 1e1] measured daily better lower mcid 1.5 unit \"pts\" primary }",
    "outcome attack { type binary measured on days [1, 7] better lower secondary }",
    "outcome sleep { type ordinal -1..5 measured weekly better higher }",
    "outcome n { type count overdispersed measured per period }",
    "model pain { effect alpha ~ lfm.H1 discount 0.5 robust 0.2 vague normal(0, 3) intercept ~ normal(5, 2.5) trend ~ normal(0, 0.5) per 28 days errors ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(2)) }",
    "model sleep { effect alpha ~ mixture(0.8: normal(0, 1), 0.2: student_t(3, 0, 2.5)) cutpoints ~ induced_dirichlet(1) dispersion ~ sceptical carryover alpha ~ normal(0, 1) }",
    "decide { recommend alpha if P(effect on pain < -mcid) >= 0.8 stop early if P(effect of alpha on pain < 0) >= 0.95 after 4 periods otherwise inconclusive }",
    "decide { stop early if P(effect on pain > 1E+2) < 0.5 after 1 period recommend beta if P(effect of beta on pain <= -0.5) > 0.9 }",
    "trial \"kw\" { data \"d\" model \"m\" arm \"a\" title \"T \\\"quoted\\\" \\\\ µg\" }",
    "arm café \"Café au lait ≥ 8 h\" reference",
    "prior h2 = lfm.H2",
    "use std",
    "model n { errors independent(sigma ~ half_normal(1)) trend ~ normal(0, 1) per 1 week }",
    "model empty {}",
    "decide {}",
];

/// What may stand between two tokens: layout, line endings and comments of every kind.
const SEPARATORS: &[&str] = &[
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\n\n\n",
    "\r\n",
    "\r",
    "\r\r",
    "\r\n\r\n",
    " // note\n",
    " /// doc\n",
    "\n/// doc\n",
    "/// doc\n",
    "\n// c\n\n",
    "\n///\n",
    " //\n",
    " // trailing spaces   \t\n",
    "\n/// a\n/// b\n",
    "\n\n/// lone\n\n",
    " ///doc with trailing   \r\n",
    "\n// é ≥ µg 𝔘 \u{0301} { } [ ] \"\n",
];

/// `source` with the whitespace between its tokens replaced: `picks[i]`
/// chooses the separator of the i-th gap (values past the list keep the
/// original). A minus stays attached to its number; a comment keeps a line
/// break after it.
fn respace(source: &str, picks: &[usize]) -> String {
    let lexemes = lex(source);
    let mut out = String::new();
    let mut previous_end = 0;
    let mut previous: Option<Token> = None;
    for (i, lexeme) in lexemes.iter().enumerate() {
        let gap = &source[previous_end..lexeme.span.start];
        let pick = picks.get(i).copied().unwrap_or(usize::MAX);
        let separator = match SEPARATORS.get(pick) {
            _ if previous == Some(Token::Minus) && gap.is_empty() => "",
            _ if previous.is_none() => gap,
            Some(s) if previous == Some(Token::Comment) && !s.starts_with(['\n', '\r']) => gap,
            Some(s) => s,
            None => gap,
        };
        out.push_str(separator);
        out.push_str(&source[lexeme.span.range()]);
        previous_end = lexeme.span.end;
        previous = Some(lexeme.token);
    }
    out.push_str(&source[previous_end..]);
    out
}

/// Line endings and BOM applied to a whole text: 0 keep, 1 CRLF, 2 CR, 3 BOM, 4 CRLF and BOM.
fn dress(source: String, style: u8) -> String {
    match style {
        1 => source.replace('\n', "\r\n"),
        2 => source.replace('\n', "\r"),
        3 => format!("\u{FEFF}{source}"),
        4 => format!("\u{FEFF}{}", source.replace('\n', "\r\n")),
        _ => source,
    }
}

/// Pieces for text that is mostly not a valid spec.
const SOUP: &[&str] = &[
    "arm",
    "trial",
    "schedule",
    "model",
    "outcome",
    "decide",
    "design",
    "prior",
    "use",
    "data",
    "hypotheses",
    "intervention",
    "is",
    "effect",
    "intercept",
    "errors",
    "ar1",
    "type",
    "continuous",
    "in",
    "ordinal",
    "recommend",
    "stop",
    "early",
    "if",
    "P",
    "on",
    "of",
    "mcid",
    "~",
    "=",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    ".",
    "..",
    "*",
    "-",
    "<",
    ">=",
    "normal",
    "mixture",
    "1",
    "1.5",
    "-2",
    "1e400",
    "2026-12-01",
    "days",
    "\"s\"",
    "\"",
    "\"a\\\"b\"",
    "\\",
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "//",
    "///",
    "// c\n",
    "/// d\n",
    "\u{FEFF}",
    "é",
    "≥",
    "µg",
    "𝔘",
    "\u{0301}",
    "\u{202E}",
    "\u{0}",
    "a",
    "b",
    "café",
];

proptest! {
    #![proptest_config(config(256))]

    /// Specs assembled from items, with every kind of layout and comment between tokens.
    #[test]
    fn generated_specs_keep_their_meaning(
        prefix in 0..SEPARATORS.len() * 3,
        picks in prop::collection::vec((0..ITEMS.len(), 0..SEPARATORS.len() + 2), 1..10),
        gaps in prop::collection::vec(0..SEPARATORS.len() * 4, 0..200),
        style in 0u8..5,
    ) {
        let mut source = SEPARATORS.get(prefix).copied().unwrap_or("").to_string();
        for (index, separator) in &picks {
            source.push_str(ITEMS[*index]);
            source.push_str(SEPARATORS.get(*separator).copied().unwrap_or("\n"));
        }
        let source = dress(respace(&source, &gaps), style);
        prop_assert!(parses_cleanly(&source), "the generator made {:?}", source);
        check_properties("generated", &source).map_err(TestCaseError::fail)?;
    }

    /// The repository's specs with their layout, comments and line endings mutated.
    #[test]
    fn mutated_repository_specs_keep_their_meaning(
        file in any::<prop::sample::Index>(),
        gaps in prop::collection::vec(0..SEPARATORS.len() * 8, 0..600),
        style in 0u8..5,
    ) {
        let (name, source) = &corpus()[file.index(corpus().len())];
        let source = dress(respace(source, &gaps), style);
        check_properties(name, &source).map_err(TestCaseError::fail)?;
    }

    /// Any text: `Ok` or `Err`, never a panic; and when `Ok`, the properties hold.
    #[test]
    fn arbitrary_text_never_panics(source in any::<String>()) {
        check_properties("arbitrary", &source).map_err(TestCaseError::fail)?;
    }

    /// Text made of the language's own pieces reaches deeper into the parser and formatter.
    #[test]
    fn token_soup_never_panics(
        pieces in prop::collection::vec(prop::sample::select(SOUP), 0..80),
        huge in prop::option::of((0usize..4, 0usize..80)),
        style in 0u8..5,
    ) {
        let mut source = pieces.concat();
        if let Some((kind, at)) = huge {
            let piece = match kind {
                0 => "x".repeat(70_000),
                1 => "mixture(1: ".repeat(5_000),
                2 => "{".repeat(20_000),
                _ => "\r\n".repeat(20_000),
            };
            let at = pieces.iter().take(at).map(|p| p.len()).sum::<usize>();
            source.insert_str(at, &piece);
        }
        let source = dress(source, style);
        check_properties("soup", &source).map_err(TestCaseError::fail)?;
    }
}
