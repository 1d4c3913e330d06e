//! The stable driver's input source: mutations of the corpus and inputs
//! built from each target's grammar, from one seeded ChaCha20 stream
//! (trialc's own `StreamRng`), so a budget of N inputs is the same N inputs
//! on every machine and every run.

use trialc::schedule::StreamRng;

/// Inputs never grow past this (a spec or diary of 256 KiB is already far
/// beyond a real one; the "huge" cases of the corpus are below it).
pub const MAX_INPUT: usize = 256 * 1024;

pub struct Rng(StreamRng);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(StreamRng::for_domain(b"trialc-fuzz", seed))
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.0.below(n as u128) as usize
        }
    }

    /// True with probability `n / d`.
    pub fn chance(&mut self, n: usize, d: usize) -> bool {
        self.below(d) < n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of `items` (a word list).
    pub fn word_of<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    pub fn word(&mut self) -> u64 {
        self.0.next_word()
    }
}

// ------------------------------------------------------------------ dictionaries

/// Numbers that sit on boundaries: zero, signs, the parser's 18-digit limit,
/// u32/u64/i64 limits, f64 overflow and subnormals, spellings serde and
/// Rust's parser treat differently.
pub const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "7",
    "8",
    "9",
    "10",
    "13",
    "127",
    "128",
    "129",
    "255",
    "256",
    "1000",
    "65535",
    "65536",
    "999999",
    "1000000",
    "1000001",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "999999999999999999",
    "1000000000000000000",
    "99999999999999999999999999",
    "0.5",
    "-0",
    "-0.0",
    "1e308",
    "1e309",
    "-1e309",
    "1e-320",
    "4.9e-324",
    "1E+2",
    "1.7976931348623157e308",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "0x10",
    "1_000",
    "00000000000000000000001",
    "1.",
    ".5",
    "+1",
];

/// Dates: valid, leap, the ends of chrono's range, impossible ones.
pub const DATES: &[&str] = &[
    "2026-12-01",
    "2024-02-29",
    "2026-02-29",
    "2026-13-01",
    "2026-00-10",
    "2026-12-32",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "+262143-12-31",
    "262143-12-31",
    "-0001-01-01",
    "2026-1-5",
    "2026-12-01T00:00",
];

/// Text that trips up readers: BOM, line ends, NUL and other controls,
/// bidi overrides, combining marks, astral characters, U+FFFD.
pub const NASTY: &[&str] = &[
    "\u{feff}",
    "\r",
    "\r\n",
    "\n",
    "\0",
    "\t",
    "\u{b}",
    "\u{c}",
    "\u{1b}[31m",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "\u{202e}",
    "\u{200b}",
    "\u{301}",
    "é",
    "𝔘",
    "\u{fffd}",
    "\\",
    "\"",
    "\\u0000",
    "\\ud800",
];

pub const SPEC_TOKENS: &[&str] = &[
    "trial",
    "title",
    "version",
    "arm",
    "reference",
    "schedule",
    "from",
    "design",
    "use",
    "std",
    "std.designs.*",
    "std.priors.*",
    "std.designs.abab",
    "data",
    "hypotheses",
    "lfm",
    "start",
    "run_in",
    "period",
    "periods",
    "cycles",
    "sequence",
    "alternating",
    "counterbalanced",
    "fixed",
    "\"ABBA\"",
    "\"ABAB BABA\"",
    "\"ZZ\"",
    "randomized",
    "pairs",
    "blocks",
    "max_run",
    "washout",
    "carryover",
    "modelled",
    "blinding",
    "open",
    "single",
    "double",
    "seed",
    "commitment",
    "key",
    "\"1f129cbced7c8f8686bc73cf159cd894f85298ea4eee21b77db7d54e80f8be07\"",
    "\"PHARMACY-SECRET.key\"",
    "days",
    "day",
    "weeks",
    "week",
    "outcome",
    "type",
    "continuous",
    "binary",
    "count",
    "overdispersed",
    "ordinal",
    "in",
    "measured",
    "daily",
    "weekly",
    "per",
    "on",
    "better",
    "lower",
    "higher",
    "mcid",
    "unit",
    "primary",
    "secondary",
    "model",
    "effect",
    "intercept",
    "trend",
    "errors",
    "ar1",
    "independent",
    "cutpoints",
    "dispersion",
    "prior",
    "normal",
    "student_t",
    "half_normal",
    "uniform",
    "mixture",
    "induced_dirichlet",
    "vague",
    "discount",
    "robust",
    "decide",
    "recommend",
    "stop",
    "early",
    "if",
    "after",
    "otherwise",
    "inconclusive",
    "P",
    "of",
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
    "<=",
    ">",
    ">=",
    "//",
    "///",
    "// c\n",
    "/// d\n",
    "```trial\n",
    "\n```\n",
    "lfm.H1",
    "-mcid",
    // The keywords of issues 11, 12 and 15 (decisions, model terms, simulate).
    "and",
    "vs",
    "odds_ratio",
    "rate_ratio",
    "risk_difference",
    "report",
    "interval",
    "estimate",
    "intervention",
    "is",
    "decay",
    "covariate",
    "standardised",
    "missing",
    "excluded",
    "lag",
    "clock",
    "binomial",
    "window",
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
];

pub const CSV_TOKENS: &[&str] = &[
    ",",
    ",,",
    "\"",
    "\"\"",
    "\"a,b\"",
    "\"x\ny\"",
    "day",
    "date",
    "arm",
    "none",
    "None",
    "NONE",
    "pain",
    "attack",
    "sleep_quality",
    "rescue",
    "gi_upset",
    "pgic",
    "sbp",
    "dizziness",
    "sleep_efficiency",
    "awakenings",
    "magnesium",
    "placebo",
    "morning",
    "evening",
    "cold_milk",
    "warm_milk",
    "day,arm,pain,attack,sleep_quality\n",
    "true",
    "false",
    "yes",
    " ",
    "#",
];

pub const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "null",
    "true",
    "false",
    "\"format\"",
    "\"trialc-hypotheses/1\"",
    "\"trialc-hypotheses/2\"",
    "\"generator\"",
    "\"model\"",
    "\"version\"",
    "\"prompt_sha256\"",
    "\"created\"",
    "\"participant\"",
    "\"hypotheses\"",
    "\"id\"",
    "\"rank\"",
    "\"intervention\"",
    "\"outcome\"",
    "\"effect\"",
    "\"mean\"",
    "\"sd\"",
    "\"scale\"",
    "\"mixture\"",
    "\"weight\"",
    "\"rationale\"",
    "\"trial\"",
    "\"H1\"",
    "\"H9\"",
    "\"magnesium\"",
    "\"placebo\"",
    "\"pain\"",
    "\"attack\"",
    "\"sleep_quality\"",
    "\"\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\ud83d\\ude00\"",
];

// ------------------------------------------------------------------ mutation

/// One to four stacked mutations of `input`; `others` is the pool to splice
/// from, `tokens` the target's vocabulary.
pub fn mutate(rng: &mut Rng, input: &[u8], others: &[Vec<u8>], tokens: &[&str]) -> Vec<u8> {
    let mut data = input.to_vec();
    let steps = 1 + rng.below(4);
    for _ in 0..steps {
        mutate_once(rng, &mut data, others, tokens);
        data.truncate(MAX_INPUT);
    }
    data
}

fn token<'a>(rng: &mut Rng, tokens: &'a [&'a str]) -> &'a str {
    match rng.below(10) {
        0..=4 => rng.word_of(tokens),
        5..=6 => rng.word_of(NUMBERS),
        7 => rng.word_of(DATES),
        _ => rng.word_of(NASTY),
    }
}

/// A position, preferring the start of a token (after a space, a line
/// break, punctuation), where insertions make sense.
fn position(rng: &mut Rng, data: &[u8]) -> usize {
    let at = rng.below(data.len() + 1);
    if rng.chance(1, 2) {
        return at;
    }
    let boundary = |b: u8| {
        matches!(
            b,
            b' ' | b'\n' | b'\r' | b'\t' | b',' | b'{' | b'(' | b'[' | b':'
        )
    };
    (at..data.len())
        .find(|&i| boundary(data[i]))
        .map_or(at, |i| i + 1)
}

/// A run of ASCII digits (a number's span) in `data`, if any.
fn number_span(rng: &mut Rng, data: &[u8]) -> Option<(usize, usize)> {
    let digits: Vec<usize> = (0..data.len())
        .filter(|&i| data[i].is_ascii_digit())
        .collect();
    if digits.is_empty() {
        return None;
    }
    let mut start = *rng.pick(&digits);
    while start > 0 && (data[start - 1].is_ascii_digit() || data[start - 1] == b'.') {
        start -= 1;
    }
    let mut end = start;
    while end < data.len()
        && (data[end].is_ascii_digit() || matches!(data[end], b'.' | b'e' | b'E'))
    {
        end += 1;
    }
    Some((start, end))
}

fn line_spans(data: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, &b) in data.iter().enumerate() {
        if b == b'\n' {
            spans.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < data.len() {
        spans.push((start, data.len()));
    }
    spans
}

fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, others: &[Vec<u8>], tokens: &[&str]) {
    let len = data.len();
    match rng.below(16) {
        // A byte changed, inserted or removed.
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] = match rng.below(4) {
                0 => data[i] ^ (1 << rng.below(8)),
                1 => rng.below(128) as u8,
                2 => *rng.pick(b"0123456789{}()[]\",.:;~-<>=\\/ \n\r\t\0"),
                _ => rng.below(256) as u8,
            };
        }
        1 => {
            let at = rng.below(len + 1);
            data.insert(at, rng.below(256) as u8);
        }
        2 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(len.min(64))).min(len);
            data.drain(start..end);
        }
        // A token of the target's language, a boundary number, a date, nasty text.
        3..=5 => {
            let at = position(rng, data);
            let t = token(rng, tokens);
            let spaced = if rng.chance(1, 2) {
                format!(" {t} ")
            } else {
                t.to_string()
            };
            data.splice(at..at, spaced.into_bytes());
        }
        // A number replaced by a boundary number.
        6 | 7 => {
            if let Some((start, end)) = number_span(rng, data) {
                let n = rng.pick(NUMBERS).as_bytes().to_vec();
                data.splice(start..end, n);
            }
        }
        // Lines deleted, duplicated, swapped.
        8 => {
            let lines = line_spans(data);
            if !lines.is_empty() {
                let (s, e) = *rng.pick(&lines);
                match rng.below(3) {
                    0 => {
                        data.drain(s..e);
                    }
                    1 => {
                        let line = data[s..e].to_vec();
                        let times = if rng.chance(1, 8) {
                            1 + rng.below(2000)
                        } else {
                            1
                        };
                        for _ in 0..times {
                            data.splice(e..e, line.iter().copied());
                            if data.len() > MAX_INPUT {
                                break;
                            }
                        }
                    }
                    _ => {
                        let (s2, e2) = *rng.pick(&lines);
                        if e <= s2 {
                            let second = data[s2..e2].to_vec();
                            let first = data[s..e].to_vec();
                            data.splice(s2..e2, first);
                            data.splice(s..e, second);
                        }
                    }
                }
            }
        }
        // A range copied elsewhere.
        9 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(256)).min(len);
            let piece = data[start..end].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, piece);
        }
        // Spliced with another input.
        10 if !others.is_empty() => {
            let other = rng.pick(others);
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        // Something repeated many times: nesting, braces, a token.
        11 => {
            let piece = match rng.below(6) {
                0 => "mixture(1: ",
                1 => "{",
                2 => "(",
                3 => "[",
                4 => "\"",
                _ => token(rng, tokens),
            };
            let times = 1 + {
                let big = rng.chance(1, 4);
                rng.below(if big { 20_000 } else { 100 })
            };
            let at = position(rng, data);
            let run = piece.repeat(times).into_bytes();
            data.splice(at..at, run);
        }
        // Line endings and byte-order mark.
        12 => {
            let text = String::from_utf8_lossy(data).into_owned();
            let text = match rng.below(4) {
                0 => text.replace('\n', "\r\n"),
                1 => text.replace('\n', "\r"),
                2 => text.replace("\r\n", "\n"),
                _ => format!("\u{feff}{text}"),
            };
            *data = text.into_bytes();
        }
        // Cut short.
        13 => {
            let at = rng.below(len + 1);
            data.truncate(at);
        }
        // A word replaced by a token.
        14 => {
            let lines = line_spans(data);
            if !lines.is_empty() {
                let (s, e) = *rng.pick(&lines);
                let words: Vec<(usize, usize)> = word_spans(&data[s..e])
                    .into_iter()
                    .map(|(a, b)| (s + a, s + b))
                    .collect();
                if !words.is_empty() {
                    let (a, b) = *rng.pick(&words);
                    let t = token(rng, tokens).as_bytes().to_vec();
                    data.splice(a..b, t);
                }
            }
        }
        // Invalid UTF-8 (the session target reads such bytes from disk).
        _ => {
            let at = rng.below(len + 1);
            const BAD: [&[u8]; 5] = [
                b"\xff",
                b"\xc3",
                b"\xed\xa0\x80",
                b"\xf4\x90\x80\x80",
                b"\xc0\xaf",
            ];
            let bad = *rng.pick(&BAD);
            data.splice(at..at, bad.iter().copied());
        }
    }
}

fn word_spans(line: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, &b) in line.iter().enumerate() {
        let word = b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-';
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, line.len()));
    }
    spans
}

// ------------------------------------------------------------------ generators

/// A value of one schedule field: mostly realistic, sometimes a boundary.
fn amount(rng: &mut Rng, realistic: std::ops::Range<usize>) -> String {
    if rng.chance(3, 4) {
        (realistic.start + rng.below(realistic.len())).to_string()
    } else {
        rng.pick(NUMBERS).to_string()
    }
}

fn unit(rng: &mut Rng) -> &'static str {
    rng.word_of(&["days", "days", "days", "day", "weeks", "week"])
}

/// A spec built around a generated schedule block: arm count, every field
/// in realistic ranges or at adversarial values, designs, patterns, dates,
/// measurement plans, sometimes from a standard-library design.
pub fn schedule_spec(rng: &mut Rng) -> Vec<u8> {
    let mut out = String::from("trial \"gen\" { title \"Generated schedule\" }\n");
    let arms = if rng.chance(1, 10) {
        1 + rng.below(30)
    } else {
        2 + rng.below(3)
    };
    let reference = rng.below(arms + 1);
    for i in 0..arms {
        let r = if i == reference { " reference" } else { "" };
        out.push_str(&format!("arm a{i} \"Arm {i}\"{r}\n"));
    }
    if rng.chance(1, 4) {
        out.push_str("use std.designs.*\n");
    }
    if rng.chance(1, 8) {
        out.push_str(&format!(
            "design d {{ periods {} sequence fixed \"ABBA\" }}\n",
            amount(rng, 1..9)
        ));
    }
    let from = if rng.chance(1, 4) {
        format!(
            " from {}",
            rng.pick(&[
                "abab",
                "abba_baab",
                "crossover_2x3",
                "crossover_2x4",
                "d",
                "missing"
            ])
        )
    } else {
        String::new()
    };
    out.push_str(&format!("schedule{from} {{\n"));
    let mut fields = Vec::new();
    if rng.chance(1, 3) {
        fields.push(format!("start {}", rng.pick(DATES)));
    }
    if rng.chance(1, 2) {
        fields.push(format!("run_in {} {}", amount(rng, 0..15), unit(rng)));
    }
    if rng.chance(9, 10) {
        fields.push(format!("period {} {}", amount(rng, 1..30), unit(rng)));
    }
    match rng.below(4) {
        0 => {}
        1 => fields.push(format!("periods {}", amount(rng, 1..13))),
        2 | 3 => fields.push(format!("cycles {}", amount(rng, 1..7))),
        _ => unreachable!(),
    }
    if rng.chance(1, 10) {
        fields.push(format!("periods {}", amount(rng, 1..13)));
    }
    let sequence = match rng.below(6) {
        0 => "alternating".to_string(),
        1 => "counterbalanced".to_string(),
        2 => "randomized pairs".to_string(),
        3 => "randomized blocks".to_string(),
        4 => {
            let len = if rng.chance(1, 10) {
                rng.below(3000)
            } else {
                rng.below(13)
            };
            let letters: String = (0..len)
                .map(|_| {
                    let max = if rng.chance(1, 20) { 26 } else { arms.min(26) };
                    char::from(b'A' + rng.below(max.max(1)) as u8)
                })
                .collect();
            format!("fixed \"{letters}\"")
        }
        _ => String::new(),
    };
    if !sequence.is_empty() {
        fields.push(format!("sequence {sequence}"));
    }
    if rng.chance(1, 2) {
        fields.push(format!("max_run {}", amount(rng, 0..4)));
    }
    if rng.chance(2, 3) {
        fields.push(format!("washout {} {}", amount(rng, 0..8), unit(rng)));
    }
    if rng.chance(1, 5) {
        fields.push("carryover modelled".into());
    }
    if rng.chance(2, 3) {
        fields.push(format!(
            "blinding {}",
            rng.pick(&["open", "single", "double"])
        ));
    }
    if rng.chance(4, 5) {
        let seed = if rng.chance(1, 2) {
            (rng.word() % 1_000_000_000_000_000_000).to_string()
        } else {
            amount(rng, 0..100)
        };
        fields.push(format!("seed {seed}"));
    }
    // Fields in any order, sometimes one twice.
    for _ in 0..fields.len() {
        let (i, j) = (rng.below(fields.len()), rng.below(fields.len()));
        fields.swap(i, j);
    }
    if rng.chance(1, 10) && !fields.is_empty() {
        let again = rng.pick(&fields).clone();
        fields.push(again);
    }
    for f in &fields {
        out.push_str(&format!("  {f}\n"));
    }
    out.push_str("}\n");
    let outcomes = 1 + rng.below(3);
    for o in 0..outcomes {
        let measured = match rng.below(5) {
            0 | 1 => "daily".to_string(),
            2 => "weekly".to_string(),
            3 => "per period".to_string(),
            _ => {
                let n = 1 + {
                    let big = rng.chance(1, 10);
                    rng.below(if big { 500 } else { 5 })
                };
                let days: Vec<String> = (0..n).map(|_| amount(rng, 0..30)).collect();
                format!("on days [{}]", days.join(", "))
            }
        };
        let kind = rng.pick(&["continuous in [0, 10]", "binary", "count", "ordinal 1..5"]);
        let role = if o == 0 { "primary" } else { "secondary" };
        out.push_str(&format!(
            "outcome o{o} {{ type {kind} measured {measured} better lower mcid 1 {role} }}\n"
        ));
        out.push_str(&format!("model o{o} {{ effect a0 ~ normal(0, 1) }}\n"));
    }
    out.push_str(
        "decide {\n  recommend a0 if P(effect on o0 < 0) >= 0.9\n  otherwise inconclusive\n}\n",
    );
    out.into_bytes()
}

/// A diary for one of the examples' outcome sets: headers in any order
/// (some missing, doubled or unknown), days and dates in and out of range,
/// arms real and not, values in and out of range, quoting, ragged rows.
pub fn diary(rng: &mut Rng) -> Vec<u8> {
    let outcomes = rng.pick(OUTCOMES);
    diary_for(rng, outcomes)
}

/// The outcome columns of the bundled examples, in example order.
const OUTCOMES: &[&[&str]] = &[
    &["pain", "attack", "sleep_quality"],
    &["sleep_quality"],
    &["pain", "rescue", "gi_upset", "pgic"],
    &["sbp", "dizziness"],
    &["sleep_efficiency", "awakenings"],
];

/// [`diary`] with these outcome columns.
pub fn diary_for(rng: &mut Rng, outcomes: &[&str]) -> Vec<u8> {
    const ARMS: &[&str] = &[
        "magnesium",
        "placebo",
        "none",
        "",
        "cold_milk",
        "warm_milk",
        "morning",
        "evening",
        "naproxen_500",
        "naproxen_250",
        "coach",
        "app",
        "MAGNESIUM",
        "x",
    ];
    let mut columns: Vec<String> = Vec::new();
    let by_date = rng.chance(1, 4);
    columns.push(if by_date { "date" } else { "day" }.into());
    if rng.chance(3, 4) {
        columns.push("arm".into());
    }
    for o in outcomes.iter() {
        if rng.chance(9, 10) {
            columns.push((*o).into());
        }
    }
    if rng.chance(1, 10) {
        columns.push(
            rng.pick(&["extra", "day", "pain", "", "\"quoted\""])
                .to_string(),
        );
    }
    if rng.chance(1, 5) {
        let (i, j) = (rng.below(columns.len()), rng.below(columns.len()));
        columns.swap(i, j);
    }
    let eol = *rng.pick(&["\n", "\n", "\n", "\r\n", "\r"]);
    let mut out = String::new();
    if rng.chance(1, 10) {
        out.push('\u{feff}');
    }
    out.push_str(&columns.join(","));
    out.push_str(eol);
    let rows = if rng.chance(1, 20) {
        rng.below(5000)
    } else {
        rng.below(120)
    };
    let mut day = 0u64;
    for _ in 0..rows {
        day = match rng.below(20) {
            0 => day,
            1 => day.saturating_sub(rng.below(5) as u64),
            2 => day + 2 + rng.below(10) as u64,
            _ => day + 1,
        };
        let mut cells = Vec::new();
        for c in &columns {
            let cell = match c.as_str() {
                "day" => {
                    if rng.chance(1, 30) {
                        rng.pick(NUMBERS).to_string()
                    } else {
                        day.to_string()
                    }
                }
                "date" => {
                    if rng.chance(1, 10) {
                        rng.pick(DATES).to_string()
                    } else {
                        let base = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date");
                        (base + chrono::Days::new(day.saturating_sub(1)))
                            .format("%Y-%m-%d")
                            .to_string()
                    }
                }
                "arm" => rng.pick(ARMS).to_string(),
                _ => match rng.below(12) {
                    0 => String::new(),
                    1 => rng.pick(NUMBERS).to_string(),
                    2 => rng.pick(NASTY).to_string(),
                    3 => format!("\"{}\"", rng.below(11)),
                    4 => format!(" {} ", rng.below(6)),
                    5 => format!("{}.{}", rng.below(11), rng.below(100)),
                    _ => rng.below(6).to_string(),
                },
            };
            cells.push(cell);
        }
        if rng.chance(1, 30) {
            cells.pop();
        }
        if rng.chance(1, 30) {
            cells.push(String::new());
        }
        out.push_str(&cells.join(","));
        out.push_str(eol);
    }
    out.into_bytes()
}

fn json_number(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => rng.pick(NUMBERS).to_string(),
        1 => format!("-{}.{}", rng.below(3), rng.below(100)),
        _ => format!("{}.{}", rng.below(3), rng.below(100)),
    }
}

fn json_string(rng: &mut Rng, realistic: &[&str]) -> String {
    match rng.below(10) {
        0 => "\"\"".into(),
        1 => format!(
            "\"{}\"",
            rng.pick(&["\\u0000", "\\ud800", "\\\"", "\\n", "é", "\\u202e"])
        ),
        2 => "null".into(),
        3 => json_number(rng),
        4 => format!("\"{}\"", "x".repeat(rng.below(70_000))),
        _ => format!("\"{}\"", rng.pick(realistic)),
    }
}

/// A hypotheses file: every field present, missing, of the wrong type or
/// at a boundary; duplicate ids and ranks; hypotheses naming other arms and
/// outcomes; deep nesting now and then.
pub fn hypotheses(rng: &mut Rng) -> Vec<u8> {
    let mut fields = Vec::new();
    let skip = |rng: &mut Rng| rng.chance(1, 12);
    if !skip(rng) {
        fields.push(format!(
            "\"format\": {}",
            json_string(
                rng,
                &[
                    "trialc-hypotheses/1",
                    "trialc-hypotheses/1",
                    "trialc-hypotheses/2"
                ]
            )
        ));
    }
    if !skip(rng) {
        let mut g = Vec::new();
        for k in ["model", "version", "prompt_sha256", "created"] {
            if !skip(rng) {
                g.push(format!(
                    "\"{k}\": {}",
                    json_string(rng, &["m", "2026-10", "ab12", "2026-11-20"])
                ));
            }
        }
        fields.push(format!("\"generator\": {{{}}}", g.join(", ")));
    }
    if rng.chance(1, 2) {
        fields.push(format!("\"participant\": {}", json_string(rng, &["P-1"])));
    }
    if !skip(rng) {
        let n = if rng.chance(1, 20) {
            rng.below(2000)
        } else {
            rng.below(5)
        };
        let hs: Vec<String> = (0..n)
            .map(|i| {
                let mut h = Vec::new();
                if !skip(rng) {
                    let id = format!(
                        "H{}",
                        if rng.chance(1, 5) {
                            rng.below(3)
                        } else {
                            i + 1
                        }
                    );
                    h.push(format!("\"id\": {}", json_string(rng, &[&id])));
                }
                if !skip(rng) {
                    let rank = if rng.chance(1, 5) {
                        rng.pick(NUMBERS).to_string()
                    } else {
                        (i + 1).to_string()
                    };
                    h.push(format!("\"rank\": {rank}"));
                }
                if !skip(rng) {
                    h.push(format!(
                        "\"intervention\": {}",
                        json_string(rng, &["magnesium", "magnesium", "placebo", "other"])
                    ));
                }
                if !skip(rng) {
                    h.push(format!(
                        "\"outcome\": {}",
                        json_string(rng, &["pain", "attack", "sleep_quality", "other"])
                    ));
                }
                if !skip(rng) {
                    let mut e = Vec::new();
                    if !skip(rng) {
                        e.push(format!("\"mean\": {}", json_number(rng)));
                    }
                    if !skip(rng) {
                        e.push(format!("\"sd\": {}", json_number(rng)));
                    }
                    if rng.chance(1, 2) {
                        e.push(format!(
                            "\"scale\": {}",
                            json_string(rng, &["outcome units", "log odds ratio"])
                        ));
                    }
                    if rng.chance(1, 5) {
                        e.push(format!(
                            "\"mixture\": [{{\"weight\": {}, \"mean\": {}, \"sd\": {}}}]",
                            json_number(rng),
                            json_number(rng),
                            json_number(rng)
                        ));
                    }
                    h.push(format!("\"effect\": {{{}}}", e.join(", ")));
                }
                if rng.chance(1, 2) {
                    h.push(format!("\"rationale\": {}", json_string(rng, &["because"])));
                }
                format!("{{{}}}", h.join(", "))
            })
            .collect();
        fields.push(format!("\"hypotheses\": [{}]", hs.join(", ")));
    }
    if rng.chance(1, 10) {
        let depth = rng.below(5000);
        fields.push(format!(
            "\"deep\": {}1{}",
            "[".repeat(depth),
            "]".repeat(depth)
        ));
    }
    for _ in 0..fields.len() {
        let (i, j) = (rng.below(fields.len()), rng.below(fields.len()));
        fields.swap(i, j);
    }
    let mut out = format!("{{{}}}", fields.join(", "));
    if rng.chance(1, 10) {
        out.insert(0, '\u{feff}');
    }
    out.into_bytes()
}

/// The magnesium example's key file, which its spec commits to and names
/// (`key "PHARMACY-SECRET.key"`).
const MAGNESIUM_KEY: &str =
    include_str!("../../../examples/magnesium-migraine/PHARMACY-SECRET.key");

/// Words of a key file (`trialc-key/1`).
const KEY_TOKENS: &[&str] = &[
    "trialc-key/1",
    "seed ",
    "salt ",
    "# ",
    "00",
    "ff",
    "\n",
    "\r\n",
];

/// A session bundle: the magnesium example's spec (sometimes mutated) with
/// a generated diary and hypotheses file, paths sometimes leaving the folder,
/// and mostly the pharmacy's key the spec commits to (sometimes missing or
/// changed, for E1111 and E1110).
pub fn session(rng: &mut Rng, spec: &str) -> Vec<u8> {
    let mut spec = spec.as_bytes().to_vec();
    if rng.chance(1, 2) {
        spec = mutate(rng, &spec, &[], SPEC_TOKENS);
    }
    let diary_name = *rng.pick(&[
        "diary.csv",
        "diary.csv",
        "diary.csv",
        "../diary.csv",
        "d/../diary.csv",
    ]);
    let h_name = *rng.pick(&[
        "hypotheses/p0042.json",
        "hypotheses/p0042.json",
        "hypotheses/./p0042.json",
    ]);
    let mut out = b"=== magnesium-migraine.trial\n".to_vec();
    out.extend_from_slice(&spec);
    out.extend_from_slice(format!("\n=== {diary_name}\n").as_bytes());
    out.extend_from_slice(&diary_for(rng, OUTCOMES[0]));
    out.extend_from_slice(format!("\n=== {h_name}\n").as_bytes());
    out.extend_from_slice(&hypotheses(rng));
    out.push(b'\n');
    // Last, so the bundle keeps its final line break: the key's SHA-256 is
    // over its exact bytes. (The line break above separates.)
    if !rng.chance(1, 8) {
        out.extend_from_slice(b"=== PHARMACY-SECRET.key\n");
        if rng.chance(1, 8) {
            out.extend_from_slice(&mutate(rng, MAGNESIUM_KEY.as_bytes(), &[], KEY_TOKENS));
        } else {
            out.extend_from_slice(MAGNESIUM_KEY.as_bytes());
        }
    }
    out
}
