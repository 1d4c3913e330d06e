//! Conformance: the normative pest grammar and the production parser accept
//! exactly the same inputs.
//!
//! The corpus: every `.trial` file under `examples/`, `stdlib/` and `tests/`,
//! every ```` ```trial ```` block in `docs/`, pinned edge cases, and a seeded
//! generated corpus of valid programs with random token mutations. "Accept"
//! for the production parser means: no error-severity diagnostic. Set
//! `TRIALC_CONFORMANCE_PROGRAMS` for a longer run (default 500 programs, each
//! with 4 mutants).
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use std::path::{Path, PathBuf};
use trialc_grammar::{Parser as _, Rule, TrialGrammar};

fn pest_accepts(source: &str) -> bool {
    TrialGrammar::parse(Rule::file, source).is_ok()
}

fn production_accepts(source: &str) -> bool {
    !trialc::syntax::parse(source).1.iter().any(|d| d.is_error())
}

/// `None` when both agree, otherwise a description of the disagreement.
fn disagreement(source: &str) -> Option<String> {
    let pest = pest_accepts(source);
    let production = production_accepts(source);
    if pest == production {
        return None;
    }
    let detail = if production {
        format!(
            "pest rejects: {:?}",
            TrialGrammar::parse(Rule::file, source)
                .err()
                .map(|e| e.to_string())
        )
    } else {
        let codes: Vec<String> = trialc::syntax::parse(source)
            .1
            .iter()
            .map(|d| format!("{} {}", d.code, d.message))
            .collect();
        format!("production rejects: {codes:?}")
    };
    Some(format!(
        "pest={pest} production={production}: {detail}\n--- source ---\n{source}\n---"
    ))
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn walk(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, extension, out);
        } else if path.extension().and_then(|e| e.to_str()) == Some(extension) {
            out.push(path);
        }
    }
}

/// The contents of every ```` ```trial ```` fence of a Markdown text.
fn trial_fences(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        match current.as_mut() {
            None if trimmed.starts_with("```trial") => current = Some(String::new()),
            None => {}
            Some(_) if trimmed.starts_with("```") => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    blocks
}

#[test]
fn repository_files_agree() {
    let root = workspace();
    let mut files = Vec::new();
    for dir in ["examples", "stdlib", "tests"] {
        walk(&root.join(dir), "trial", &mut files);
    }
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("examples")),
        "the bundled examples were not found under {}",
        root.display()
    );
    let mut failures = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap_or_default();
        if let Some(why) = disagreement(&source) {
            failures.push(format!("{}: {why}", file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files disagree:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn examples_and_stdlib_are_accepted() {
    let root = workspace();
    let mut files = Vec::new();
    walk(&root.join("examples"), "trial", &mut files);
    walk(&root.join("stdlib"), "trial", &mut files);
    walk(&root.join("tests/syntax"), "trial", &mut files);
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap_or_default();
        assert!(pest_accepts(&source), "pest rejects {}", file.display());
    }
}

#[test]
fn docs_fences_agree() {
    let root = workspace();
    let mut pages = Vec::new();
    walk(&root.join("docs"), "md", &mut pages);
    let mut checked = 0;
    let mut failures = Vec::new();
    for page in &pages {
        let markdown = std::fs::read_to_string(page).unwrap_or_default();
        for (index, block) in trial_fences(&markdown).iter().enumerate() {
            checked += 1;
            if let Some(why) = disagreement(block) {
                failures.push(format!("{} block {}: {why}", page.display(), index + 1));
            }
        }
    }
    assert!(checked > 0, "no ```trial blocks found under docs/");
    assert!(
        failures.is_empty(),
        "{} blocks disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// (input, valid?): both parsers must agree with each other and with the pin.
const PINNED: &[(&str, bool)] = &[
    // Issue 11's schedule forms.
    ("schedule { period [10, 14, 10] days }", true),
    ("schedule { period [1] week }", true),
    ("schedule { period [10, 14] }", false),
    ("schedule { period [] days }", false),
    ("schedule { period [10, 14,] days }", false),
    ("schedule { sequence randomized periods }", true),
    ("schedule { sequence from data }", true),
    ("schedule { sequence from }", false),
    ("schedule { window days 18..70 }", true),
    ("schedule { window days 18 .. 70 }", true),
    ("schedule { window 18..70 }", false),
    ("schedule { window days 18..}", false),
    ("schedule { window days 18-70 }", false),
    ("", true),
    ("// only a comment", true),
    ("/// a doc comment at the end of the file", true),
    ("\u{FEFF}arm a", true),
    ("arm a\n\u{FEFF}", false),
    ("arm a \"x\" reference", true),
    ("arm reference reference", true),
    ("arm café \"Café au lait, 200 µg ≥ 1\"", true),
    ("arm a \"unterminated", false),
    ("arm a \"bad \\t escape\"", false),
    ("arm a \"ok \\\" \\\\ \\n escapes\"", true),
    ("arm a \"line\nbreak\"", false),
    ("arn a", false),
    ("use std.priors.*", true),
    ("use std.designs.abab", true),
    ("use std.", false),
    ("use std.*.x", false),
    ("trial \"x\" { title \"t\" anything \"goes\" }", true),
    ("trial \"x\" { title }", false),
    ("schedule { period 14 days cycles 3 }", true),
    ("schedule { period 14 }", false),
    ("schedule { period 14 months }", false),
    ("schedule { period 14days }", true),
    ("schedule { period 1.5 weeks }", false),
    ("schedule { period 2 week run_in 1 day }", true),
    ("schedule { cycles 123456789012345678 }", true),
    ("schedule { cycles 1234567890123456789 }", false),
    ("schedule { seed 3e2 }", false),
    ("schedule { start 2026-12-01 }", true),
    ("schedule { start 2026-02-31 }", true),
    ("schedule { start 2026-13-01 }", false),
    ("schedule { start 2026-12-00 }", false),
    ("schedule { start 2026-1-05 }", false),
    ("schedule { sequence fixed \"ABBA BAAB\" max_run 2 }", true),
    ("schedule { sequence randomized }", false),
    ("schedule { carryover modelled }", true),
    ("schedule { carryover modeled }", false),
    ("schedule from abab { washout 3 days }", true),
    ("schedule from { }", false),
    ("schedule { period 14 days", false),
    ("design d { blinding double seed 1 }", true),
    ("outcome o { type continuous in [-1.5, 1e2] }", true),
    ("outcome o { type continuous in [- 1, 2] }", false),
    ("outcome o \"d\" { type ordinal -2..2 measured on days [1, 2] }", true),
    ("outcome o { type ordinal 1...5 }", false),
    ("outcome o { measured on days [] }", false),
    ("outcome o { measured per period better lower mcid -1.0 primary }", true),
    ("outcome o { type count overdispersed secondary unit \"n\" }", true),
    ("outcome o { typ binary }", false),
    ("model m { effect a ~ normal(0, 1) intercept ~ normal(-1, 1.5) }", true),
    ("model m { effect a ~ normal() }", true),
    ("model m { effect a ~ normal(0,) }", false),
    ("model m { effect a ~ mixture(0.8: normal(0, 1), 0.2: sceptical) }", true),
    ("model m { effect a ~ mixture(1, 2) }", true),
    ("model m { effect a ~ mixture(-0.5: normal(0, 1)) }", false),
    ("model m { effect a ~ mixture }", true),
    ("model m { effect a ~ lfm.H1 discount 0.5 robust 0.2 vague normal(0, 3) }", true),
    ("model m { effect a ~ lfm.H1 robust 0.2 discount 0.5 }", false),
    ("model m { effect a ~ lfm.H1 vague lfm.H2 discount 0.5 }", true),
    ("model m { effect a ~ lfm. }", false),
    ("model m { trend ~ trend_small per 28 days }", true),
    ("model m { trend ~ normal(0, 0.5) per 28 }", false),
    ("model m { trend ~ per per 1 week }", true),
    ("model m { errors ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(2)) }", true),
    ("model m { errors independent() }", true),
    ("model m { errors markov(sigma ~ half_normal(2)) }", false),
    ("model m { covariate stress standardised ~ normal(0, 1) missing excluded }", true),
    ("model m { covariate stress ~ normal(0, 1) missing }", false),
    ("model m { covariate stress standardised normal(0, 1) }", false),
    ("model m { covariate standardised ~ sceptical missing excluded }", true),
    ("model m { lag ~ uniform(-1, 1) clock hour }", true),
    ("model m { clock }", false),
    ("model m { carryover decay(rate ~ gamma(2, 2)) }", true),
    ("model m { carryover decay() }", true),
    ("model m { carryover decay ~ normal(0, 1) }", true),
    ("model m { carryover decay(rate ~ gamma(2, 2) }", false),
    ("outcome o { type binomial of 10 }", true),
    ("outcome o { type binomial of attempts measured daily }", true),
    ("outcome o { type binomial 10 }", false),
    ("model m { carryover a ~ normal(0, 2) cutpoints ~ induced_dirichlet(1) dispersion ~ gamma(2, 0.1) }", true),
    ("prior p = normal(0, 0.5)", true),
    ("prior p normal(0, 0.5)", false),
    ("decide { recommend a if P(effect on pain < -mcid) >= 0.80 otherwise inconclusive }", true),
    ("decide { recommend a if P(effect of on on pain < 0) >= 0.8 }", true),
    ("decide { recommend a if P(effect of on pain < 0) >= 0.8 }", false),
    ("decide { stop early if P(effect on pain > mcid) >= 0.95 after 4 periods }", true),
    ("decide { stop early if P(effect on pain > 1.5e-1) >= 0.95 after 1 period }", true),
    ("decide { recommend a if P(effect on pain < - mcid) >= 0.8 }", false),
    ("decide { recommend a if P(effect on pain ≤ 0) >= 0.8 }", false),
    ("decide { recommend a if P(effect on pain < = 0) >= 0.8 }", false),
    ("decide { recommend a if P(effect on pain < 0) >= 80 }", true),
    ("decide { otherwise }", false),
    ("} arm a", false),
    ("arm a; arm b", false),
    ("arm a /* no block comments */", false),
    ("arm a // trailing\r\narm b", true),
    ("hypotheses lfm from \"h.json\" { intervention \"Blue-light glasses (after 8 pm)\" is glasses }", true),
    ("hypotheses lfm from \"h.json\" {\n  intervention \"a\" is x\n  outcome \"Sleep onset latency\" is sleep\n}", true),
    ("hypotheses lfm from \"h.json\" {\noutcome \"s\" is sleep\n}\noutcome sleep { type binary }", true),
    ("hypotheses lfm from \"h.json\" {}", true),
    ("hypotheses lfm from \"h.json\" { intervention \"x\" is is }", true),
    ("hypotheses lfm from \"h.json\" { intervention \"µg ≥ 1, café\" is café }", true),
    ("hypotheses lfm from \"h.json\" { intervention glasses is glasses }", false),
    ("hypotheses lfm from \"h.json\" { intervention \"x\" glasses }", false),
    ("hypotheses lfm from \"h.json\" { intervention \"x\" isglasses }", false),
    ("hypotheses lfm from \"h.json\" { intervention \"x\" is \"glasses\" }", false),
    ("hypotheses lfm from \"h.json\" { intervention \"x\" = glasses }", false),
    ("hypotheses lfm from \"h.json\" { arm \"x\" is glasses }", false),
    ("hypotheses lfm from \"h.json\" { intervention \"x\" is glasses", false),
    ("hypotheses lfm from \"h.json\" {\n  outcome sleep is x\n}", false),
    ("hypotheses lfm from \"h.json\" {\n  data \"d.csv\"\n}", false),
    ("hypotheses lfm { intervention \"x\" is glasses }", false),
];

/// `KEYWORDS` (the words `trialc init` never uses as a name) is exactly the
/// grammar's `kw_*` rules and its time units.
#[test]
fn keyword_list_matches_the_grammar() {
    let grammar = std::fs::read_to_string(workspace().join("grammar/trial.pest")).expect("grammar");
    let mut from_grammar: Vec<String> = grammar
        .lines()
        .filter(|l| l.starts_with("kw_"))
        .filter_map(|l| l.split('"').nth(1).map(str::to_string))
        .collect();
    let units = grammar
        .lines()
        .find(|l| l.starts_with("time_unit"))
        .expect("time_unit rule");
    from_grammar.extend(units.split('"').skip(1).step_by(2).map(str::to_string));
    from_grammar.sort();
    from_grammar.dedup();
    let mut listed: Vec<String> = trialc::syntax::lexer::KEYWORDS
        .iter()
        .map(|k| k.to_string())
        .collect();
    listed.sort();
    assert_eq!(
        listed.len(),
        trialc::syntax::lexer::KEYWORDS.len(),
        "no duplicates"
    );
    assert!(from_grammar.len() > 70, "{from_grammar:?}");
    assert_eq!(listed, from_grammar);
}

#[test]
fn pinned_edge_cases_agree() {
    assert!(PINNED.len() >= 30);
    let mut failures = Vec::new();
    for (source, valid) in PINNED {
        let pest = pest_accepts(source);
        let production = production_accepts(source);
        if pest != *valid || production != *valid {
            failures.push(format!(
                "{source:?}: pinned {valid}, pest {pest}, production {production}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "pinned cases failed:\n{}",
        failures.join("\n")
    );
}

// ---------------------------------------------------------------- generator

/// xorshift64*: small, seedable, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len())]
    }
}

/// A valid program as a list of tokens (a comment token carries its line break).
struct Gen {
    rng: Rng,
    out: Vec<String>,
}

const NAMES: &[&str] = &[
    "magnesium",
    "placebo",
    "pain",
    "sleep_quality",
    "café",
    "µg_dose",
    "_x1",
    "effect",
    "reference",
    "vague",
    "per",
    "on",
    "of",
    "P",
    "days",
    "mcid",
    "is",
    "intervention",
];

impl Gen {
    fn push(&mut self, token: &str) {
        self.out.push(token.to_string());
    }
    fn name(&mut self) {
        let name = self.rng.pick(NAMES);
        self.push(name);
    }
    fn string(&mut self) {
        let body = self.rng.pick(&[
            "",
            "Magnesium 600 mg",
            "µg ≥ 1, café",
            "quote \\\" and \\\\ and \\n",
            "ABBA BAAB",
        ]);
        self.out.push(format!("\"{body}\""));
    }
    fn integer(&mut self) {
        let value = self
            .rng
            .pick(&["0", "1", "3", "14", "28", "20261201", "007"]);
        self.push(value);
    }
    fn number(&mut self) {
        let value = self
            .rng
            .pick(&["0", "1", "0.5", "0.80", "2.5", "1e3", "1.5E-2", "15"]);
        self.push(value);
    }
    fn signed_number(&mut self) {
        if self.rng.chance(30) {
            let value = self.rng.pick(&["-1", "-0.5", "-2.5e1"]);
            self.push(value);
        } else {
            self.number();
        }
    }
    fn duration(&mut self) {
        self.integer();
        let unit = self.rng.pick(&["day", "days", "week", "weeks"]);
        self.push(unit);
    }
    fn comment(&mut self) {
        if self.rng.chance(15) {
            let text = self
                .rng
                .pick(&["// note\n", "/// doc ≥ µg\n", "//\n", "/// why\n"]);
            self.push(text);
        }
    }

    fn program(&mut self) {
        let items = 1 + self.rng.below(8);
        for _ in 0..items {
            self.comment();
            self.item();
        }
        self.comment();
    }

    fn item(&mut self) {
        match self.rng.below(12) {
            0 => {
                self.push("use");
                self.push("std");
                for _ in 0..self.rng.below(3) {
                    self.push(".");
                    self.name();
                }
                if self.rng.chance(50) {
                    self.push(".");
                    self.push("*");
                }
            }
            1 => {
                self.push("trial");
                self.string();
                self.push("{");
                for _ in 0..self.rng.below(4) {
                    let key = self
                        .rng
                        .pick(&["title", "version", "sponsor", "registry", "data"]);
                    self.push(key);
                    self.string();
                }
                self.push("}");
            }
            2 => {
                self.push("hypotheses");
                self.name();
                self.push("from");
                self.string();
                if self.rng.chance(50) {
                    self.block(Self::name_mapping);
                }
            }
            3 => {
                self.push("data");
                self.string();
            }
            4 => {
                self.push("arm");
                self.name();
                if self.rng.chance(70) {
                    self.string();
                }
                if self.rng.chance(40) {
                    self.push("reference");
                }
            }
            5 | 6 => {
                if self.rng.chance(50) {
                    self.push("schedule");
                    if self.rng.chance(30) {
                        self.push("from");
                        self.name();
                    }
                } else {
                    self.push("design");
                    self.name();
                }
                self.block(Self::schedule_field);
            }
            7 => {
                self.push("prior");
                self.name();
                self.push("=");
                self.prior(0);
            }
            8 => {
                self.push("outcome");
                self.name();
                if self.rng.chance(70) {
                    self.string();
                }
                self.block(Self::outcome_field);
            }
            9 => {
                self.push("model");
                self.name();
                self.block(Self::model_statement);
            }
            10 => {
                self.push("decide");
                self.block(Self::decision_rule);
            }
            _ => {
                self.push("simulate");
                self.block(Self::simulate_entry);
            }
        }
    }

    fn simulate_entry(&mut self) {
        match self.rng.below(4) {
            0 => {
                self.push("replicates");
                self.integer();
            }
            1 => {
                self.push("scenario");
                self.name();
                if self.rng.chance(70) {
                    self.push(":");
                    let n = 1 + self.rng.below(3);
                    for i in 0..n {
                        if i > 0 {
                            self.push(",");
                        }
                        self.scenario_setting();
                    }
                }
            }
            2 => {
                self.push("require");
                self.push("P");
                self.push("(");
                match self.rng.below(3) {
                    0 => {
                        self.push("recommend");
                        self.name();
                    }
                    1 => {
                        self.push("stop");
                        self.push("early");
                    }
                    _ => self.push("inconclusive"),
                }
                self.push(")");
                self.comparison();
                self.signed_number();
                self.push("under");
                self.name();
            }
            _ => {
                self.push("sweep");
                let cycles = self.rng.chance(50);
                self.push(if cycles { "cycles" } else { "period" });
                self.push("[");
                for i in 0..1 + self.rng.below(3) {
                    if i > 0 {
                        self.push(",");
                    }
                    if cycles {
                        self.integer();
                    } else {
                        self.duration();
                    }
                }
                self.push("]");
            }
        }
    }

    fn scenario_setting(&mut self) {
        match self.rng.below(6) {
            0 => {
                self.push("missing");
                self.number();
            }
            1 => {
                self.push("dropout");
                self.number();
                self.push("per");
                self.push("period");
            }
            2 => {
                self.push("adherence");
                self.number();
                if self.rng.chance(50) {
                    self.push("unrecorded");
                }
            }
            _ => {
                let parameter = self.rng.pick(&[
                    "effect",
                    "carryover",
                    "intercept",
                    "trend",
                    "sigma",
                    "phi",
                    "dispersion",
                    "cutpoints",
                ]);
                self.push(parameter);
                if parameter == "carryover" || (parameter == "effect" && self.rng.chance(50)) {
                    self.push("of");
                    self.name();
                }
                self.push("on");
                self.name();
                if self.rng.chance(30) {
                    self.push("in");
                    self.push("[");
                    for i in 0..1 + self.rng.below(3) {
                        if i > 0 {
                            self.push(",");
                        }
                        if self.rng.chance(30) {
                            let m = self.rng.pick(&["mcid", "-mcid"]);
                            self.push(m);
                        } else {
                            self.signed_number();
                        }
                    }
                    self.push("]");
                } else {
                    self.push("=");
                    match self.rng.below(5) {
                        0 => self.push("prior"),
                        1 => {
                            let m = self.rng.pick(&["mcid", "-mcid"]);
                            self.push(m);
                        }
                        2 => {
                            self.name();
                            self.push(".");
                            self.name();
                        }
                        3 => {
                            self.push("[");
                            self.signed_number();
                            self.push(",");
                            self.signed_number();
                            self.push("]");
                        }
                        _ => self.signed_number(),
                    }
                }
            }
        }
    }

    fn block(&mut self, entry: fn(&mut Self)) {
        self.push("{");
        for _ in 0..self.rng.below(6) {
            self.comment();
            entry(self);
        }
        self.push("}");
    }

    fn name_mapping(&mut self) {
        let kind = self.rng.pick(&["intervention", "outcome"]);
        self.push(kind);
        self.string();
        self.push("is");
        self.name();
    }

    fn schedule_field(&mut self) {
        match self.rng.below(11) {
            0 => {
                self.push("start");
                let date = self
                    .rng
                    .pick(&["2026-12-01", "2027-02-30", "1999-01-31", "2030-10-10"]);
                self.push(date);
            }
            1..=3 => {
                let key = self.rng.pick(&["run_in", "period", "washout"]);
                self.push(key);
                if key == "period" && self.rng.chance(10) {
                    // A list of lengths with one unit: `[10, 14] days`.
                    self.push("[");
                    self.integer();
                    while self.rng.chance(50) {
                        self.push(",");
                        self.integer();
                    }
                    self.push("]");
                    let unit = self.rng.pick(&["days", "day", "weeks", "week"]);
                    self.push(unit);
                } else {
                    self.duration();
                }
            }
            4..=6 => {
                let key = self.rng.pick(&["cycles", "periods", "max_run", "seed"]);
                self.push(key);
                self.integer();
            }
            7 => {
                self.push("sequence");
                match self.rng.below(5) {
                    0 => self.push("alternating"),
                    1 => self.push("counterbalanced"),
                    2 => {
                        self.push("fixed");
                        self.string();
                    }
                    3 => {
                        self.push("from");
                        self.push("data");
                    }
                    _ => {
                        self.push("randomized");
                        let kind = self.rng.pick(&["pairs", "blocks", "periods"]);
                        self.push(kind);
                    }
                }
            }
            8 => {
                self.push("carryover");
                self.push("modelled");
            }
            9 => {
                self.push("blinding");
                let level = self.rng.pick(&["open", "single", "double"]);
                self.push(level);
            }
            10 if self.rng.chance(20) => {
                self.push("window");
                self.push("days");
                self.integer();
                self.push("..");
                self.integer();
            }
            _ => {
                self.push("seed");
                self.integer();
            }
        }
    }

    fn outcome_field(&mut self) {
        match self.rng.below(7) {
            0 => {
                self.push("type");
                match self.rng.below(4) {
                    0 => {
                        self.push("continuous");
                        if self.rng.chance(50) {
                            self.push("in");
                            self.push("[");
                            self.signed_number();
                            self.push(",");
                            self.signed_number();
                            self.push("]");
                        }
                    }
                    1 => {
                        if self.rng.chance(70) {
                            self.push("binary");
                        } else {
                            self.push("binomial");
                            self.push("of");
                            if self.rng.chance(50) {
                                self.integer();
                            } else {
                                self.name();
                            }
                        }
                    }
                    2 => {
                        self.push("count");
                        if self.rng.chance(50) {
                            self.push("overdispersed");
                        }
                    }
                    _ => {
                        self.push("ordinal");
                        let low = self.rng.pick(&["1", "0", "-2"]);
                        self.push(low);
                        self.push("..");
                        self.integer();
                    }
                }
            }
            1 => {
                self.push("measured");
                match self.rng.below(4) {
                    0 => self.push("daily"),
                    1 => self.push("weekly"),
                    2 => {
                        self.push("per");
                        self.push("period");
                    }
                    _ => {
                        self.push("on");
                        self.push("days");
                        self.push("[");
                        self.integer();
                        for _ in 0..self.rng.below(3) {
                            self.push(",");
                            self.integer();
                        }
                        self.push("]");
                    }
                }
            }
            2 => {
                self.push("better");
                let direction = self.rng.pick(&["lower", "higher"]);
                self.push(direction);
            }
            3 => {
                self.push("mcid");
                self.signed_number();
            }
            4 => {
                self.push("unit");
                self.string();
            }
            5 => self.push("primary"),
            _ => self.push("secondary"),
        }
    }

    fn model_statement(&mut self) {
        match self.rng.below(8) {
            0 | 1 => {
                let key = self.rng.pick(&["effect", "carryover"]);
                self.push(key);
                self.name();
                self.push("~");
                self.prior(0);
            }
            2 | 3 => {
                let key = self.rng.pick(&["intercept", "cutpoints", "dispersion"]);
                self.push(key);
                self.push("~");
                self.prior(0);
            }
            4 => {
                self.push("trend");
                self.push("~");
                self.prior(0);
                if self.rng.chance(60) {
                    self.push("per");
                    self.duration();
                }
            }
            5 if self.rng.chance(50) => {
                self.push("covariate");
                self.name();
                if self.rng.chance(50) {
                    self.push("standardised");
                }
                self.push("~");
                self.prior(0);
                if self.rng.chance(40) {
                    self.push("missing");
                    self.push("excluded");
                }
            }
            5 => match self.rng.below(3) {
                0 => {
                    self.push("lag");
                    self.push("~");
                    self.prior(0);
                }
                1 => {
                    self.push("clock");
                    self.name();
                }
                _ => {
                    self.push("carryover");
                    self.push("decay");
                    self.push("(");
                    if self.rng.chance(70) {
                        self.push("rate");
                        self.push("~");
                        self.prior(0);
                    }
                    self.push(")");
                }
            },
            _ => {
                self.push("errors");
                let structure = self.rng.pick(&["independent", "ar1"]);
                self.push(structure);
                self.push("(");
                let n = self.rng.below(3);
                for i in 0..n {
                    if i > 0 {
                        self.push(",");
                    }
                    let name = self.rng.pick(&["sigma", "phi"]);
                    self.push(name);
                    self.push("~");
                    self.prior(0);
                }
                self.push(")");
            }
        }
    }

    fn prior(&mut self, depth: usize) {
        let choice = if depth > 2 {
            2 + self.rng.below(2)
        } else {
            self.rng.below(4)
        };
        match choice {
            0 => {
                self.push("mixture");
                self.push("(");
                for i in 0..1 + self.rng.below(2) {
                    if i > 0 {
                        self.push(",");
                    }
                    self.number();
                    self.push(":");
                    self.prior(depth + 1);
                }
                self.push(")");
            }
            1 => {
                self.name();
                self.push(".");
                let id = self.rng.pick(&["H1", "H2", "hypothèse"]);
                self.push(id);
                if self.rng.chance(50) {
                    self.push("discount");
                    self.signed_number();
                }
                if self.rng.chance(50) {
                    self.push("robust");
                    self.signed_number();
                }
                if self.rng.chance(30) {
                    self.push("vague");
                    self.prior(depth + 1);
                }
            }
            2 => {
                let name = self.rng.pick(&[
                    "normal",
                    "half_normal",
                    "student_t",
                    "uniform",
                    "mixture",
                    "gamma",
                ]);
                self.push(name);
                self.push("(");
                for i in 0..self.rng.below(4) {
                    if i > 0 {
                        self.push(",");
                    }
                    self.signed_number();
                }
                self.push(")");
            }
            _ => self.name(),
        }
    }

    fn decision_rule(&mut self) {
        match self.rng.below(3) {
            0 => {
                self.push("recommend");
                self.name();
                self.push("if");
                self.condition();
            }
            1 => {
                self.push("stop");
                self.push("early");
                self.push("if");
                self.condition();
                if self.rng.chance(50) {
                    self.push("after");
                    self.integer();
                    let unit = self.rng.pick(&["periods", "period"]);
                    self.push(unit);
                }
            }
            _ => {
                self.push("otherwise");
                self.push("inconclusive");
            }
        }
    }

    fn condition(&mut self) {
        self.push("P");
        self.push("(");
        self.push("effect");
        if self.rng.chance(50) {
            self.push("of");
            self.name();
        }
        self.push("on");
        self.name();
        self.comparison();
        if self.rng.chance(50) {
            let threshold = self.rng.pick(&["mcid", "-mcid"]);
            self.push(threshold);
        } else {
            self.signed_number();
        }
        self.push(")");
        self.comparison();
        self.signed_number();
    }

    fn comparison(&mut self) {
        let comparison = self.rng.pick(&["<", "<=", ">", ">="]);
        self.push(comparison);
    }
}

/// Tokens a mutation may insert: punctuation, near-miss words and lexical traps.
const NOISE: &[&str] = &[
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
    "~",
    "=",
    "<",
    ">=",
    "-",
    "*",
    "\"s\"",
    "\"open",
    "1",
    "1.5",
    "2026-13-01",
    "12345678901234567890",
    "days",
    "effect",
    "mcid",
    "-mcid",
    "≥",
    "é",
    "per",
    "of",
    "// c\n",
    "P",
    "\\",
    "arm",
    "}",
    "modeled",
    "\u{FEFF}",
    "is",
    "outcome",
];

fn join(tokens: &[String], rng: &mut Rng, allow_glued: bool) -> String {
    let mut out = String::new();
    for (i, token) in tokens.iter().enumerate() {
        if i > 0 && !out.ends_with('\n') {
            let separator = if allow_glued && rng.chance(8) {
                ""
            } else {
                rng.pick(&[" ", " ", "\n", "  ", "\t", "\r\n"])
            };
            out.push_str(separator);
        }
        out.push_str(token);
    }
    out
}

fn mutate(tokens: &[String], rng: &mut Rng) -> Vec<String> {
    let mut tokens = tokens.to_vec();
    for _ in 0..1 + rng.below(3) {
        if tokens.is_empty() {
            break;
        }
        let at = rng.below(tokens.len());
        match rng.below(5) {
            0 => {
                tokens.remove(at);
            }
            1 => {
                let copy = tokens[at].clone();
                tokens.insert(at, copy);
            }
            2 => {
                let other = rng.below(tokens.len());
                tokens.swap(at, other);
            }
            3 => tokens[at] = rng.pick(NOISE).to_string(),
            _ => tokens.insert(at, rng.pick(NOISE).to_string()),
        }
    }
    tokens
}

#[test]
fn generated_corpus_agrees() {
    let programs: usize = std::env::var("TRIALC_CONFORMANCE_PROGRAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let mut rng = Rng::new(20261201);
    let mut failures = Vec::new();
    let (mut valid_mutants, mut invalid_mutants) = (0usize, 0usize);
    for _ in 0..programs {
        let mut generator = Gen {
            rng: Rng::new(rng.next()),
            out: Vec::new(),
        };
        generator.program();
        let tokens = generator.out;
        let source = join(&tokens, &mut rng, false);
        if !pest_accepts(&source) || !production_accepts(&source) {
            failures.push(format!(
                "generated program not accepted (pest {}, production {}):\n{source}",
                pest_accepts(&source),
                production_accepts(&source)
            ));
        }
        for _ in 0..4 {
            let mutant = join(&mutate(&tokens, &mut rng), &mut rng, true);
            match disagreement(&mutant) {
                Some(why) => failures.push(why),
                None if pest_accepts(&mutant) => valid_mutants += 1,
                None => invalid_mutants += 1,
            }
        }
        if failures.len() > 5 {
            break;
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements, first ones:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    // The corpus must exercise both outcomes, or it tests little.
    assert!(
        invalid_mutants > programs,
        "only {invalid_mutants} invalid mutants"
    );
    assert!(
        valid_mutants > programs / 20,
        "only {valid_mutants} valid mutants"
    );
}
