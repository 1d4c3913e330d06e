//! LFM hypotheses end to end: the interchange format against its JSON
//! Schema; the checks of their use against a spec (E0809–E0811, W0808), also
//! through the spec's mappings of the file's wording (E0812, E0813, W0810),
//! with spans into both files; the robust mixture prior through the real lowering
//! and NUTS on a synthetic diary (agreement keeps the informative
//! component's weight, conflict moves it onto the vague component); the
//! sensitivity refit; `trialc init` output through the real checker; and the
//! evidence round trip (export, import as the next spec's prior).
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use std::collections::HashMap;

use serde_json::Value;
use trialc::analysis::sensitivity;
use trialc::data::{read_diary, Diary};
use trialc::diagnostic::Diagnostic;
use trialc::evidence;
use trialc::hir::{self, Spec};
use trialc::hypotheses::{self, HypothesesFile, Loaded};
use trialc::lower::{lower, LoweredOutcome, NoHypotheses, Role};
use trialc::report::RunSettings;
use trialc::schedule::{self, Phase, Schedule};
use trialc::{init, syntax};
use trialc_runtime::mir::Prior;
use trialc_runtime::nuts::NutsConfig;
use trialc_runtime::posterior::{fit, Posterior};

fn root() -> String {
    format!("{}/..", env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(format!("{}/{relative}", root())).expect(relative)
}

// ----- the JSON Schema, walked structurally ------------------------------------

/// Checks `value` against the parts of JSON Schema the format's schema uses:
/// type, required, properties, items, const, minLength, minimum, maximum,
/// exclusiveMinimum. Returns every violation with its JSON path.
fn validate(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            "boolean" => value.is_boolean(),
            _ => true,
        };
        if !ok {
            errors.push(format!("{path}: not of type {t}"));
            return;
        }
    }
    if let Some(c) = schema.get("const") {
        if c != value {
            errors.push(format!("{path}: must be {c}"));
        }
    }
    if let (Some(min), Some(s)) = (
        schema.get("minLength").and_then(Value::as_u64),
        value.as_str(),
    ) {
        if (s.chars().count() as u64) < min {
            errors.push(format!("{path}: shorter than {min}"));
        }
    }
    if let Some(x) = value.as_f64() {
        let bound = |k: &str| schema.get(k).and_then(Value::as_f64);
        if bound("minimum").is_some_and(|m| x < m)
            || bound("maximum").is_some_and(|m| x > m)
            || bound("exclusiveMinimum").is_some_and(|m| x <= m)
        {
            errors.push(format!("{path}: {x} out of range"));
        }
    }
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for key in required.iter().filter_map(Value::as_str) {
            if value.get(key).is_none() {
                errors.push(format!("{path}: missing `{key}`"));
            }
        }
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (key, sub) in props {
            if let Some(v) = obj.get(key) {
                validate(sub, v, &format!("{path}.{key}"), errors);
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            validate(items, v, &format!("{path}[{i}]"), errors);
        }
    }
}

fn schema() -> Value {
    serde_json::from_str(&read("docs/hypotheses.schema.json")).expect("schema is JSON")
}

fn schema_errors(text: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(text).expect("JSON");
    let mut errors = Vec::new();
    validate(&schema(), &value, "$", &mut errors);
    errors
}

#[test]
fn example_files_follow_the_schema_and_read_cleanly() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["properties"]["format"]["const"], hypotheses::FORMAT);
    let mut files = vec!["tests/ui/hypotheses/h.json".to_string()];
    for entry in std::fs::read_dir(format!("{}/examples", root())).expect("examples") {
        let dir = entry.expect("entry").path().join("hypotheses");
        if let Ok(inner) = std::fs::read_dir(&dir) {
            for f in inner.flatten() {
                if f.path().extension().and_then(|e| e.to_str()) == Some("json") {
                    files.push(
                        f.path()
                            .display()
                            .to_string()
                            .replace(&format!("{}/", root()), ""),
                    );
                }
            }
        }
    }
    assert!(files.len() >= 2, "{files:?}");
    for f in &files {
        let text = read(f);
        assert_eq!(schema_errors(&text), Vec::<String>::new(), "{f}");
        let (file, diagnostics) = hypotheses::read(&text);
        assert!(
            file.is_some() && diagnostics.is_empty(),
            "{f}: {diagnostics:?}"
        );
    }
}

#[test]
fn the_schema_walker_catches_what_the_reader_rejects() {
    let good = read("tests/ui/hypotheses/h.json");
    for (from, to, expect) in [
        (
            "\"prompt_sha256\": \"e46ad168\", ",
            "",
            "missing `prompt_sha256`",
        ),
        ("trialc-hypotheses/1", "trialc-hypotheses/2", "must be"),
        ("\"sd\": 0.6", "\"sd\": 0", "out of range"),
        ("\"rank\": 1", "\"rank\": \"1\"", "not of type integer"),
        (
            "\"created\": \"2026-11-20\"",
            "\"created\": \"\"",
            "shorter than 1",
        ),
    ] {
        let bad = good.replacen(from, to, 1);
        assert_ne!(bad, good, "{from}");
        let errors = schema_errors(&bad);
        assert!(
            errors.iter().any(|e| e.contains(expect)),
            "{from}: {errors:?}"
        );
        let (file, _) = hypotheses::read(&bad);
        assert!(file.is_none(), "the reader rejects it too: {from}");
    }
}

// ----- checks of the use against the spec ------------------------------------------

fn check(spec_text: &str) -> (Option<Spec>, Vec<Diagnostic>) {
    let (file, mut diagnostics) = syntax::parse(spec_text);
    let (spec, more) = hir::check(&file);
    diagnostics.extend(more);
    (spec, diagnostics)
}

fn load(spec: &Spec, spec_text: &str, files: &[(&str, &str)]) -> Loaded {
    let files: HashMap<String, String> = files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    hypotheses::load(spec, "spec.trial", spec_text, &mut |path| {
        (
            path.to_string(),
            files
                .get(path)
                .cloned()
                .ok_or_else(|| "not found".to_string()),
        )
    })
}

fn ui(name: &str) -> String {
    read(&format!("tests/ui/hypotheses/{name}.trial"))
}

#[test]
fn outcome_and_intervention_mismatches_are_one_diagnostic_in_both_files() {
    let json = read("tests/ui/hypotheses/h.json");
    for (name, code, json_value) in [
        ("hypothesis-outcome-mismatch", "E0809", "\"attack\""),
        (
            "hypothesis-intervention-mismatch",
            "E0810",
            "\"riboflavin\"",
        ),
    ] {
        let text = ui(name);
        let (spec, diagnostics) = check(&text);
        assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:?}");
        let loaded = load(&spec.expect("spec"), &text, &[("h.json", &json)]);
        assert!(loaded.has_errors());
        let in_spec = loaded
            .spec_diagnostics
            .iter()
            .find(|d| d.code == code)
            .expect("spec diagnostic");
        let at = in_spec.primary_span().expect("span");
        assert!(
            text[at.range()].starts_with("lfm.H"),
            "{}",
            &text[at.range()]
        );
        assert!(
            in_spec.labels.iter().any(|l| !l.primary),
            "a secondary label"
        );
        // One diagnostic: a label on the JSON value, in the JSON file.
        let json_file = loaded.files[0].id;
        let in_json = in_spec
            .labels
            .iter()
            .find(|l| l.file == Some(json_file))
            .expect("a label in the JSON file");
        assert!(!in_json.primary);
        assert_eq!(&json[in_json.span.range()], json_value, "the exact value");
        assert!(
            loaded.files[0].diagnostics.iter().all(|d| d.code != code),
            "not reported a second time in the JSON file"
        );
    }
}

#[test]
fn unknown_ids_unused_hypotheses_and_missing_files() {
    let json = read("tests/ui/hypotheses/h.json");
    let text = ui("unknown-hypothesis-id");
    let (spec, _) = check(&text);
    let loaded = load(&spec.expect("spec"), &text, &[("h.json", &json)]);
    let codes: Vec<&str> = loaded.spec_diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0811"]);
    assert_eq!(
        loaded.spec_diagnostics[0].help.as_deref(),
        Some("did you mean `lfm.H1`?")
    );

    let text = ui("unused-hypotheses");
    let (spec, _) = check(&text);
    let spec = spec.expect("spec");
    let loaded = load(&spec, &text, &[("h.json", &json)]);
    assert!(!loaded.has_errors());
    let warnings: Vec<&Diagnostic> = loaded.files[0].diagnostics.iter().collect();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].code, "W0808");
    assert_eq!(warnings[0].labels.len(), 2, "H3 and H4");
    assert_eq!(&json[warnings[0].labels[0].span.range()], "\"H3\"");
    assert_eq!(loaded.effects().len(), 4);

    let loaded = load(&spec, &text, &[]);
    assert_eq!(loaded.spec_diagnostics[0].code, "E0807");
    assert!(loaded.has_errors());
}

// ----- the robust prior through lowering and NUTS ----------------------------------

const SYNTHETIC: &str = r#"trial "robust-synthetic" {
  title "Synthetic robust-prior check"
}

hypotheses lfm from "h.json"

arm active  "Active" 
arm placebo "Placebo" reference

schedule {
  start     2026-01-01
  period    14 days
  cycles    4
  sequence  randomized pairs
  washout   2 days
  seed      7
}

outcome pain "Daily pain" {
  type      continuous
  measured  daily
  better    lower
  mcid      0.5
  primary
}

model pain {
  effect active ~ lfm.H1 discount 1 robust 0.2 vague normal(0, 5)
  intercept     ~ normal(5, 5)
  errors        independent(sigma ~ half_normal(2))
}

decide {
  recommend active if P(effect on pain < -mcid) >= 0.80
  otherwise inconclusive
}
"#;

fn hypotheses_json(id: &str, mean: f64, sd: f64) -> String {
    format!(
        r#"{{"format": "trialc-hypotheses/1",
 "generator": {{"model": "m", "version": "1", "prompt_sha256": "ab", "created": "2026-01-01"}},
 "participant": "P-1",
 "hypotheses": [{{"id": "{id}", "rank": 1, "intervention": "active", "outcome": "pain",
   "effect": {{"mean": {mean}, "sd": {sd}, "scale": "outcome units"}}}}]}}"#
    )
}

/// A diary where the active arm lowers pain by `effect` (noise sd 1, fixed stream).
fn synthetic_diary(schedule: &Schedule, effect: f64) -> String {
    let mut state: u64 = 42;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut csv = String::from("day,pain\n");
    let mut day = 1;
    while schedule.phase_on_day(day).is_some() {
        let z = (-2.0 * uniform().ln()).sqrt() * (2.0 * std::f64::consts::PI * uniform()).cos();
        let on_active =
            schedule.arm_on_day(day) == Some(0) && schedule.phase_on_day(day) != Some(Phase::RunIn);
        let y = 5.0 + if on_active { effect } else { 0.0 } + z;
        csv.push_str(&format!("{day},{:.3}\n", y));
        day += 1;
    }
    csv
}

struct Synthetic {
    spec: Spec,
    text: String,
    schedule: Schedule,
    diary: Diary,
}

fn synthetic(text: &str, effect: f64) -> Synthetic {
    let (spec, diagnostics) = check(text);
    let spec = spec.unwrap_or_else(|| panic!("{diagnostics:#?}"));
    let schedule = schedule::build(&spec.schedule_spec()).expect("schedule");
    let csv = synthetic_diary(&schedule, effect);
    let (diary, diagnostics) = read_diary(&csv, &spec, &schedule);
    let diary = diary.unwrap_or_else(|| panic!("{diagnostics:#?}"));
    Synthetic {
        spec,
        text: text.to_string(),
        schedule,
        diary,
    }
}

fn config(seed: u64) -> NutsConfig {
    NutsConfig {
        num_chains: 2,
        num_warmup: 400,
        num_draws: 500,
        seed,
        ..NutsConfig::default()
    }
}

fn fitted(s: &Synthetic, json: &str) -> Vec<(LoweredOutcome, Posterior)> {
    let loaded = load(&s.spec, &s.text, &[("h.json", json)]);
    assert!(!loaded.has_errors(), "{:?}", loaded.spec_diagnostics);
    let lowered = lower(&s.spec, &s.schedule, &s.diary, &loaded.effects()).expect("lowered");
    lowered
        .into_iter()
        .map(|l| {
            let post = fit(l.model.clone(), &config(11)).expect("fit");
            (l, post)
        })
        .collect()
}

/// Posterior weight of the vague component of the effect's robust prior.
fn vague_weight(fits: &[(LoweredOutcome, Posterior)]) -> f64 {
    let (l, post) = &fits[0];
    let p = l.effect(0).expect("effect");
    let w = &post.mixture(p.id).expect("a mixture prior").posterior;
    assert_eq!(w.len(), 2);
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    w[1]
}

#[test]
fn agreeing_data_keep_the_informative_component_conflicting_data_move_to_the_vague_one() {
    let s = synthetic(SYNTHETIC, -1.0);
    // The hypothesis says what the data say.
    let agree = fitted(&s, &hypotheses_json("H1", -1.0, 0.5));
    let w_agree = vague_weight(&agree);
    assert!(
        w_agree < 0.2,
        "agreement: the vague weight falls below its prior 0.2, got {w_agree}"
    );
    // The hypothesis says +2.5 where the data say -1.
    let conflict = fitted(&s, &hypotheses_json("H1", 2.5, 0.5));
    let w_conflict = vague_weight(&conflict);
    assert!(
        w_conflict > 0.5,
        "conflict: most weight moves onto the vague component, got {w_conflict}"
    );
    // The report says so in words.
    let settings = trialc::report::RunSettings::default();
    for (fits, conflicts) in [(&agree, false), (&conflict, true)] {
        let report = trialc::report::build(&s.spec, &s.schedule, &s.diary, fits, &settings);
        let c = report.outcomes[0].effects[0]
            .prior_conflict
            .as_ref()
            .expect("prior conflict");
        assert_eq!(c.conflict, conflicts);
    }
    // Under conflict the posterior follows the data, not the hypothesis.
    let (l, post) = &conflict[0];
    let k = post.index("effect[active]").expect("effect draws");
    assert!(post.summaries[k].mean < -0.5, "{}", post.summaries[k].mean);
    assert!(l.params.iter().any(|p| p.role == Role::Effect { arm: 0 }));
}

#[test]
fn sensitivity_replaces_each_hypothesis_prior_by_its_vague_component() {
    let s = synthetic(SYNTHETIC, -1.0);
    let json = hypotheses_json("H1", -1.0, 0.5);
    let loaded = load(&s.spec, &s.text, &[("h.json", &json)]);
    let lowered = lower(&s.spec, &s.schedule, &s.diary, &loaded.effects()).expect("lowered");
    let again = sensitivity::sceptical(&lowered).expect("a hypothesis prior");
    let p = again[0].effect(0).expect("effect");
    assert!(p.hypothesis.is_none());
    assert_eq!(p.prior_text, "normal(0, 5)");
    match &again[0].model.priors[p.id].prior {
        Prior::Dist(trialc_runtime::mir::Dist::Normal { mu, sigma }) => {
            assert_eq!((*mu, *sigma), (0.0, 5.0));
        }
        other => panic!("{other:?}"),
    }
    // Without a written vague component: normal(0, U), U as lowering chose it.
    let bare = SYNTHETIC.replace(" vague normal(0, 5)", "");
    let b = synthetic(&bare, -1.0);
    let lowered = lower(&b.spec, &b.schedule, &b.diary, &loaded.effects()).expect("lowered");
    let again = sensitivity::sceptical(&lowered).expect("a hypothesis prior");
    match &again[0].model.priors[again[0].effect(0).expect("effect").id].prior {
        Prior::Dist(trialc_runtime::mir::Dist::Normal { mu, sigma }) => {
            assert_eq!(*mu, 0.0);
            assert!((sigma - lowered[0].unit_scale).abs() < 1e-12);
        }
        other => panic!("{other:?}"),
    }
    // Everything else in the model is untouched.
    assert_eq!(again[0].model.likelihoods, lowered[0].model.likelihoods);
    assert_eq!(again[0].model.params.len(), lowered[0].model.params.len());
    // A spec without hypotheses has nothing to replace.
    let plain = SYNTHETIC
        .replace("hypotheses lfm from \"h.json\"\n", "")
        .replace(
            "lfm.H1 discount 1 robust 0.2 vague normal(0, 5)",
            "normal(0, 5)",
        );
    let p = synthetic(&plain, -1.0);
    let lowered = lower(&p.spec, &p.schedule, &p.diary, &NoHypotheses).expect("lowered");
    assert!(sensitivity::sceptical(&lowered).is_none());
}

#[test]
fn the_decision_is_flagged_when_it_depends_on_the_lfm_prior() {
    // Little data (two cycles of 7 days), a confident hypothesis of a
    // benefit: the LFM prior carries the recommendation.
    let text = SYNTHETIC
        .replace("cycles    4", "cycles    2")
        .replace("period    14 days", "period    7 days")
        .replace("robust 0.2", "robust 0.05");
    let s = synthetic(&text, -0.8);
    let json = hypotheses_json("H1", -1.2, 0.25);
    let lfm = fitted(&s, &json);
    let lowered: Vec<LoweredOutcome> = lfm.iter().map(|(l, _)| l.clone()).collect();
    let sceptical: Vec<(LoweredOutcome, Posterior)> = sensitivity::sceptical(&lowered)
        .expect("sceptical")
        .into_iter()
        .map(|l| {
            let post = fit(
                l.model.clone(),
                &config(trialc::fit::sensitivity_seed(11, 0)),
            )
            .expect("fit");
            (l, post)
        })
        .collect();
    let result = sensitivity::compare(&s.spec, &lfm, &sceptical, 2, &RunSettings::default());
    assert_eq!(result.rules.len(), 1);
    assert!(result.rules[0].fires_lfm, "{result:?}");
    assert!(!result.rules[0].fires_sceptical, "{result:?}");
    assert!(result.depends_on_lfm_prior);
    assert_eq!(result.recommendation_lfm.as_deref(), Some("active"));
    assert_eq!(result.recommendation_sceptical, None);
    assert!(
        result.verdict.contains("depends on the LFM prior"),
        "{}",
        result.verdict
    );
    let w = sensitivity::warnings(&s.spec, &result);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].code, "W0809");
    let at = w[0].primary_span().expect("span");
    assert!(
        s.text[at.range()].starts_with("recommend active"),
        "{}",
        &s.text[at.range()]
    );
    // The same fit on both sides: nothing depends on the prior.
    let same = sensitivity::compare(&s.spec, &lfm, &lfm, 2, &RunSettings::default());
    assert!(!same.depends_on_lfm_prior);
    assert!(sensitivity::warnings(&s.spec, &same).is_empty());
}

// ----- init --------------------------------------------------------------------------

#[test]
fn init_writes_a_spec_that_passes_the_checker() {
    let json = read("examples/magnesium-migraine/hypotheses/p0042.json");
    let (file, _) = hypotheses::read(&json);
    let file: HypothesesFile = file.expect("example file");
    for (top, outcome) in [(1, None), (2, None), (3, None), (5, Some("attack"))] {
        let options = init::Options {
            path: "p0042.json",
            top,
            outcome,
        };
        let text = init::generate(&file, &options).expect("scaffold");
        let (spec, diagnostics) = check(&text);
        let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{text}\n{errors:#?}");
        let spec = spec.expect("spec");
        let loaded = load(&spec, &text, &[("p0042.json", &json)]);
        assert!(
            !loaded.has_errors(),
            "{text}\n{:#?}",
            loaded.spec_diagnostics
        );
        let used = hypotheses::uses(&spec);
        assert_eq!(used.len(), if outcome.is_some() { 1 } else { top.min(3) });
        for what in ["washout", "period length", "MCID"] {
            assert!(
                text.lines()
                    .any(|l| l.contains("TODO:") && l.contains(what))
                    || (what == "MCID" && !text.contains("mcid")),
                "a TODO about {what}:\n{text}"
            );
        }
        // Already in `trialc fmt`'s layout.
        assert_eq!(trialc::format::format(&text).expect("formats"), text);
    }
    let none = init::generate(
        &file,
        &init::Options {
            path: "p0042.json",
            top: 1,
            outcome: Some("nausea"),
        },
    );
    assert!(none.is_err());
    // A model's free text: every selection checks cleanly, with its mappings.
    let (free, _) = hypotheses::read(FREE_TEXT);
    let free: HypothesesFile = free.expect("free-text file");
    for (top, outcome) in [
        (1, None),
        (2, None),
        (4, None),
        (5, None),
        (3, Some("type")),
    ] {
        let options = init::Options {
            path: "free.json",
            top,
            outcome,
        };
        let text = init::generate(&free, &options).expect("scaffold");
        let (spec, diagnostics) = check(&text);
        assert!(diagnostics.is_empty(), "{text}\n{diagnostics:#?}");
        let spec = spec.expect("spec");
        let loaded = load(&spec, &text, &[("free.json", FREE_TEXT)]);
        assert!(
            loaded.spec_diagnostics.is_empty(),
            "{text}\n{:#?}",
            loaded.spec_diagnostics
        );
        let used = hypotheses::uses(&spec);
        assert_eq!(
            used.len(),
            if outcome.is_some() { 1 } else { top },
            "{text}"
        );
        assert_eq!(trialc::format::format(&text).expect("formats"), text);
    }
}

/// A file as models write them: free text for interventions and outcomes
/// (the issue's example, accents, CJK, quotes, a near-duplicate, keywords).
const FREE_TEXT: &str = r#"{
  "format": "trialc-hypotheses/1",
  "generator": {"model": "example-lfm", "version": "2027-01", "prompt_sha256": "9b1c3f0e", "created": "2027-01-15"},
  "participant": "P-0107",
  "hypotheses": [
    {"id": "H1", "rank": 1, "intervention": "Evening light exposure reduction (blue-light glasses after 8 pm)",
     "outcome": "Sleep onset latency", "effect": {"mean": -8.0, "sd": 4.0, "scale": "outcome units"}},
    {"id": "H2", "rank": 2, "intervention": "Réduction de la lumière le soir",
     "outcome": "Sleep onset latency", "effect": {"mean": -6.0, "sd": 4.0, "scale": "outcome units"}},
    {"id": "H3", "rank": 3, "intervention": "褪黑素",
     "outcome": "Sleep onset latency", "effect": {"mean": -4.0, "sd": 3.0, "scale": "outcome units"}},
    {"id": "H4", "rank": 4, "intervention": "Evening light exposure reduction!",
     "outcome": "夜間覚醒", "effect": {"mean": -0.3, "sd": 0.2, "scale": "log rate ratio"}},
    {"id": "H5", "rank": 5, "intervention": "washout",
     "outcome": "type", "effect": {"mean": 0.4, "sd": 0.3, "scale": "log odds ratio"}},
    {"id": "H6", "rank": 6, "intervention": "Tea \"chamomile\" \\ honey",
     "outcome": "Sleep onset latency", "effect": {"mean": -2.0, "sd": 2.0, "scale": "outcome units"}},
    {"id": "H7", "rank": 7, "intervention": "placebo",
     "outcome": "Sleep onset latency", "effect": {"mean": -1.0, "sd": 2.0, "scale": "outcome units"}}
  ]
}"#;

#[test]
fn init_names_free_text_and_maps_it_so_the_scaffold_checks_cleanly() {
    let (file, diagnostics) = hypotheses::read(FREE_TEXT);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let file: HypothesesFile = file.expect("file");
    let options = init::Options {
        path: "free.json",
        top: 10,
        outcome: None,
    };
    let text = init::generate(&file, &options).expect("scaffold");
    let (spec, diagnostics) = check(&text);
    assert!(diagnostics.is_empty(), "{text}\n{diagnostics:#?}");
    let spec = spec.expect("spec");
    let loaded = load(&spec, &text, &[("free.json", FREE_TEXT)]);
    assert!(
        loaded.spec_diagnostics.is_empty() && loaded.files[0].diagnostics.is_empty(),
        "every hypothesis used, every mapping used:\n{text}\n{:#?}{:#?}",
        loaded.spec_diagnostics,
        loaded.files[0].diagnostics
    );
    assert_eq!(hypotheses::uses(&spec).len(), 7);
    let source = &spec.hypotheses[0];
    let arms = [
        (
            "Evening light exposure reduction (blue-light glasses after 8 pm)",
            "evening_light_exposure_reduction",
        ),
        ("Réduction de la lumière le soir", "reduction_lumiere_soir"),
        ("褪黑素", "arm_3"),
        // The same words as H1's: the name is made unique.
        (
            "Evening light exposure reduction!",
            "evening_light_exposure_reduction_2",
        ),
        // A keyword is never a name.
        ("washout", "washout_arm"),
        ("Tea \"chamomile\" \\ honey", "tea_chamomile_honey"),
        // A plain name stays as it is, unmapped.
        ("placebo", "placebo"),
    ];
    for (text_of_file, name) in arms {
        assert_eq!(source.arm_name(text_of_file), name, "{text}");
        let arm = spec
            .arms
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("no arm {name}:\n{text}"));
        if name != "placebo" {
            // The model's words are the arm's description.
            assert_eq!(arm.description.as_deref(), Some(text_of_file));
        }
    }
    assert!(source.intervention_mapping("placebo").is_none());
    assert_eq!(source.interventions.len(), 6);
    // `placebo` is an intervention, so the reference arm is `control`.
    assert_eq!(spec.arms[spec.reference].name, "control");
    for (text_of_file, name) in [
        ("Sleep onset latency", "sleep_onset_latency"),
        ("夜間覚醒", "outcome_2"),
        ("type", "type_outcome"),
    ] {
        assert_eq!(source.outcome_name(text_of_file), name, "{text}");
        assert!(spec.outcomes.iter().any(|o| o.name == name), "{text}");
    }
    // Escapes as the grammar's strings require.
    assert!(
        text.contains(r#""Tea \"chamomile\" \\ honey" is tea_chamomile_honey"#),
        "{text}"
    );
    // Already in `trialc fmt`'s layout.
    assert_eq!(trialc::format::format(&text).expect("formats"), text);
    // `--outcome` takes the file's text or the derived name.
    for outcome in ["Sleep onset latency", "sleep_onset_latency"] {
        let options = init::Options {
            path: "free.json",
            top: 10,
            outcome: Some(outcome),
        };
        let text = init::generate(&file, &options).expect("scaffold");
        let (spec, _) = check(&text);
        assert_eq!(hypotheses::uses(&spec.expect("spec")).len(), 5, "{text}");
    }
}

#[test]
fn mappings_compare_the_files_words_with_the_specs_names() {
    let json = read("tests/ui/hypotheses/free-text.json");
    // Mapped correctly: no diagnostic at all.
    let text = ui("mapped-intervention-mismatch").replace(
        "effect glasses       ~ lfm.H2 discount 0.5\n  effect caffeine_noon ~ lfm.H1 discount 0.5",
        "effect glasses       ~ lfm.H1 discount 0.5\n  effect caffeine_noon ~ lfm.H2 discount 0.5",
    );
    let (spec, diagnostics) = check(&text);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let loaded = load(&spec.expect("spec"), &text, &[("free-text.json", &json)]);
    assert!(
        loaded.spec_diagnostics.is_empty(),
        "{:#?}",
        loaded.spec_diagnostics
    );
    assert!(loaded.files[0].diagnostics.is_empty());

    // Swapped priors: E0810 through the mapping, labelled at the mapping.
    let text = ui("mapped-intervention-mismatch");
    let (spec, _) = check(&text);
    let loaded = load(&spec.expect("spec"), &text, &[("free-text.json", &json)]);
    let codes: Vec<&str> = loaded.spec_diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0810", "E0810"]);
    let d = &loaded.spec_diagnostics[0];
    assert!(
        d.message.contains("(mapped to `caffeine_noon`)"),
        "{}",
        d.message
    );
    let mapping = d
        .labels
        .iter()
        .find(|l| l.message.contains("maps the hypothesis' intervention"))
        .expect("a label at the mapping");
    assert_eq!(
        &text[mapping.span.range()],
        "\"Caffeine cut-off at noon\" is caffeine_noon"
    );
    let in_json = d
        .labels
        .iter()
        .find(|l| l.file == Some(loaded.files[0].id))
        .expect("a label in the JSON file");
    assert_eq!(&json[in_json.span.range()], "\"Caffeine cut-off at noon\"");

    // Without a mapping, E0810's help writes the mapping to add.
    let text = ui("mapping-unused");
    let (spec, _) = check(&text);
    let loaded = load(&spec.expect("spec"), &text, &[("free-text.json", &json)]);
    let codes: Vec<&str> = loaded.spec_diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0810", "W0810"]);
    assert_eq!(
        loaded.spec_diagnostics[0].help.as_deref(),
        Some("if `Evening light exposure reduction (blue-light glasses after 8 pm)` is the arm `glasses`, map it in the spec: add `intervention \"Evening light exposure reduction (blue-light glasses after 8 pm)\" is glasses` to the block of `hypotheses lfm`; otherwise use a hypothesis about `glasses` here")
    );
    // W0810 at the mapping's text, with the file's closest text marked.
    let w = &loaded.spec_diagnostics[1];
    assert!(!w.is_error());
    let at = w.primary_span().expect("span");
    assert_eq!(
        &text[at.range()],
        "\"Evening light exposure reduction (blue-light glasses after 8pm)\""
    );
    let closest = w
        .labels
        .iter()
        .find(|l| l.file == Some(loaded.files[0].id))
        .expect("the closest text in the file");
    assert_eq!(
        &json[closest.span.range()],
        "\"Evening light exposure reduction (blue-light glasses after 8 pm)\""
    );
    assert!(w
        .help
        .as_deref()
        .is_some_and(|h| h.starts_with("did you mean \"Evening")));

    // The spec's own mistakes in the block, found by the checker.
    for (name, expected) in [
        ("mapping-unknown-name", vec!["E0812", "E0812", "E0812"]),
        ("mapping-text-twice", vec!["E0813"]),
    ] {
        let (spec, diagnostics) = check(&ui(name));
        assert!(spec.is_none());
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, expected, "{name}");
    }
}

// ----- evidence round trip ---------------------------------------------------------

/// A hypothesis given as a mixture (as exported evidence is, for a skewed
/// posterior) is a mixture prior: each component discounted, weighted by
/// 1 - r, then the vague part; the conflict weight counts only the vague
/// components.
#[test]
fn a_hypothesis_mixture_is_the_prior() {
    let text = SYNTHETIC.replace(
        "lfm.H1 discount 1 robust 0.2 vague normal(0, 5)",
        "lfm.H1 discount 0.25 robust 0.2 vague normal(0, 5)",
    );
    let s = synthetic(&text, -1.0);
    let json = hypotheses_json("H1", -1.0, 0.5).replace(
        "\"scale\": \"outcome units\"",
        "\"scale\": \"outcome units\", \"mixture\": [{\"weight\": 0.3, \"mean\": -2, \"sd\": 0.4}, {\"weight\": 0.7, \"mean\": -0.6, \"sd\": 0.2}]",
    );
    let (file, diagnostics) = hypotheses::read(&json);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let files = vec![("lfm".to_string(), file.expect("reads"))];
    let lowered = lower(&s.spec, &s.schedule, &s.diary, &files).expect("lowered");
    let p = lowered[0].effect(0).expect("effect");
    assert_eq!(p.hypothesis.as_ref().map(|h| h.informative), Some(2));
    let Prior::Mixture(c) = &lowered[0].model.priors[p.id].prior else {
        panic!("a mixture prior")
    };
    let got: Vec<(f64, f64, f64)> = c
        .iter()
        .map(|m| match m.dist {
            trialc_runtime::mir::Dist::Normal { mu, sigma } => (m.weight, mu, sigma),
            ref other => panic!("{other:?}"),
        })
        .collect();
    // sd / sqrt(0.25) = 2 sd; weights (1 - 0.2) w_k, then 0.2 for the vague.
    let want = [
        (0.8 * 0.3, -2.0, 0.8),
        (0.8 * 0.7, -0.6, 0.4),
        (0.2, 0.0, 5.0),
    ];
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g.0 - w.0).abs() < 1e-12 && g.1 == w.1 && (g.2 - w.2).abs() < 1e-12,
            "{got:?}"
        );
    }
    // The sceptical reference keeps only the vague component.
    let again = sensitivity::sceptical(&lowered).expect("a hypothesis prior");
    assert_eq!(
        again[0].effect(0).expect("effect").prior_text,
        "normal(0, 5)"
    );
}

#[test]
fn exported_evidence_is_the_next_trials_prior() {
    let s = synthetic(SYNTHETIC, -1.0);
    let json = hypotheses_json("H1", -1.0, 0.5);
    let fits = fitted(&s, &json);
    let inputs = evidence::inputs_sha256(&[&s.text, &json]);
    let file = evidence::export(
        &s.spec,
        &s.text,
        &inputs,
        &s.schedule,
        &s.diary,
        &fits,
        Some("P-1"),
    );
    let exported = evidence::to_json(&file);
    assert_eq!(schema_errors(&exported), Vec::<String>::new());
    let (read_back, diagnostics) = hypotheses::read(&exported);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let read_back = read_back.expect("reads");
    assert_eq!(read_back.hypotheses.len(), file.hypotheses.len());
    assert_eq!(read_back.trial, file.trial);
    // Provenance: trialc, the spec's hash, the diary's dates, no wall clock.
    assert_eq!(file.generator.model, "trialc");
    assert_eq!(file.generator.version, env!("CARGO_PKG_VERSION"));
    let trial = file.trial.as_ref().expect("trial provenance");
    assert_eq!(trial.id, "robust-synthetic");
    assert_eq!(trial.spec_sha256, evidence::sha256_hex(&s.text));
    // The "prompt" of exported evidence is the run's inputs, not the spec.
    assert_eq!(file.generator.prompt_sha256, inputs);
    assert_ne!(file.generator.prompt_sha256, trial.spec_sha256);
    assert_eq!(trial.spec_sha256.len(), 64);
    assert_eq!(trial.first_date, "2026-01-01");
    assert_eq!(file.generator.created, trial.last_date);
    assert_eq!(
        trial.last_date, "2026-04-22",
        "day 112 of a 2026-01-01 start"
    );
    assert_eq!(file.participant.as_deref(), Some("P-1"));
    // The exported effect is the posterior's mean and sd.
    let h = file.get("E1").expect("E1");
    let (l, post) = &fits[0];
    let k = post.index("effect[active]").expect("draws");
    let draws: Vec<f64> = post.element(k).into_iter().flatten().collect();
    let m = evidence::moments(&draws);
    assert_eq!((h.effect.mean, h.effect.sd), (m.mean, m.sd));
    // As written in the file (JSON keeps 17 significant digits, the last
    // one may differ when read back).
    let written = &read_back.get("E1").expect("E1").effect;
    assert!((written.mean - m.mean).abs() <= 1e-14 * m.mean.abs().max(1.0));
    assert!((written.sd - m.sd).abs() <= 1e-14 * m.sd);
    assert_eq!(
        (h.intervention.as_str(), h.outcome.as_str()),
        ("active", "pain")
    );
    assert!(l.effect(0).is_some());
    // Import it into a new spec as the prior, check and lower.
    let next = SYNTHETIC
        .replace("\"h.json\"", "\"evidence.json\"")
        .replace("lfm.H1 discount 1 robust 0.2 vague normal(0, 5)", "lfm.E1");
    let n = synthetic(&next, -1.0);
    let loaded = load(&n.spec, &n.text, &[("evidence.json", &exported)]);
    assert!(!loaded.has_errors(), "{:?}", loaded.spec_diagnostics);
    let lowered = lower(&n.spec, &n.schedule, &n.diary, &loaded.effects()).expect("lowered");
    let p = lowered[0].effect(0).expect("effect");
    let hp = p.hypothesis.as_ref().expect("provenance");
    assert_eq!((hp.mean, hp.sd), (written.mean, written.sd));
    match &lowered[0].model.priors[p.id].prior {
        Prior::Dist(trialc_runtime::mir::Dist::Normal { mu, sigma }) => {
            assert_eq!((*mu, *sigma), (written.mean, written.sd));
        }
        other => panic!("{other:?}"),
    }
}

// ----- the binary -------------------------------------------------------------------

fn trialc(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_trialc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the trialc binary runs")
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("trialc-hyp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn check_shows_mismatches_against_the_spec_and_the_json_file() {
    let spec = format!(
        "{}/tests/ui/hypotheses/hypothesis-outcome-mismatch.trial",
        root()
    );
    let out = trialc(&["check", &spec]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("hypothesis-outcome-mismatch.trial:36:22"),
        "{stderr}"
    );
    assert!(stderr.contains("h.json:7:69"), "{stderr}");
    assert!(stderr.contains("W0808"), "{stderr}");
    let out = trialc(&["check", "--format", "json", &spec]);
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let files: Vec<&str> = json["files"][0]["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["file"].as_str())
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with(".trial")) && files.iter().any(|f| f.ends_with("h.json")),
        "{files:?}"
    );
}

#[test]
fn init_then_check_then_run_with_evidence_export() {
    let dir = scratch("init");
    let json = dir.join("p0042.json");
    std::fs::copy(
        format!(
            "{}/examples/magnesium-migraine/hypotheses/p0042.json",
            root()
        ),
        &json,
    )
    .expect("copy");
    let spec = dir.join("spec.trial");
    let out = trialc(&[
        "init",
        "--from",
        &json.display().to_string(),
        "--top",
        "2",
        "-o",
        &spec.display().to_string(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&spec).expect("spec written");
    assert!(
        text.contains("hypotheses lfm from \"p0042.json\""),
        "{text}"
    );
    let out = trialc(&["check", &spec.display().to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // The warning on stderr, the result line on stdout.
    assert!(stderr.contains("W0808"), "H3 unused: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ok (1 warning)"), "{stdout}");
    // Not overwritten.
    let again = trialc(&[
        "init",
        "--from",
        &json.display().to_string(),
        "-o",
        &spec.display().to_string(),
    ]);
    assert_eq!(again.status.code(), Some(2));

    // The example, run short, with the sensitivity section and the export.
    let example = format!(
        "{}/examples/magnesium-migraine/magnesium-migraine.trial",
        root()
    );
    let evidence = dir.join("evidence.json");
    let out = trialc(&[
        "run",
        &example,
        "--chains",
        "2",
        "--warmup",
        "200",
        "--draws",
        "200",
        "--export-evidence",
        &evidence.display().to_string(),
    ]);
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("Sensitivity to the LFM prior"), "{report}");
    assert!(report.contains("sceptical prior: P ="), "{report}");
    assert!(
        report.contains("prior vs posterior (outcome units): prior lfm.H1 tempered -0.960"),
        "{report}"
    );
    // Only pain is decided on: the other LFM-prior outcomes keep their fit.
    assert!(
        report.contains("Not refitted, as no decision rule reads them: attack, sleep_quality"),
        "{report}"
    );
    assert!(
        report.contains("effect[magnesium] on pain: lfm.H1"),
        "{report}"
    );
    assert!(
        !report.contains("effect[magnesium] on attack: lfm.H2"),
        "{report}"
    );
    let exported = std::fs::read_to_string(&evidence).expect("evidence written");
    assert_eq!(schema_errors(&exported), Vec::<String>::new());
    let (file, diagnostics) = hypotheses::read(&exported);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let file = file.expect("evidence reads");
    assert_eq!(file.participant.as_deref(), Some("P-0042"));
    assert_eq!(
        file.hypotheses.len(),
        3,
        "one per effect: pain, attack, sleep_quality"
    );
    let spec_text = std::fs::read_to_string(&example).expect("spec");
    assert_eq!(
        file.trial.as_ref().map(|t| t.spec_sha256.clone()),
        Some(evidence::sha256_hex(&spec_text))
    );
    // The "prompt" is the run's inputs: spec, hypotheses file, diary.
    let folder = format!("{}/examples/magnesium-migraine", root());
    let hyp = std::fs::read_to_string(format!("{folder}/hypotheses/p0042.json")).expect("json");
    let diary = std::fs::read_to_string(format!("{folder}/diary.csv")).expect("diary");
    assert_eq!(
        file.generator.prompt_sha256,
        evidence::inputs_sha256(&[&spec_text, &hyp, &diary])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// With the intercept and sigma pinned by very tight priors, the effect's
/// likelihood is normal(d, 1/sqrt(n)) with d the mean of (y - 5) over the
/// analysed active days, so the posterior of a two-component normal mixture
/// prior is again a mixture with weights proportional to
/// w_k N(d | m_k, sqrt(s_k^2 + 1/n)). The mean responsibility of the vague
/// component over NUTS draws must match that exact posterior weight.
#[test]
fn posterior_vague_weight_matches_the_conjugate_answer() {
    let text = SYNTHETIC
        .replace(
            "lfm.H1 discount 1 robust 0.2 vague normal(0, 5)",
            "lfm.H1 discount 1 robust 0.5 vague normal(0, 5)",
        )
        .replace(
            "intercept     ~ normal(5, 5)",
            "intercept     ~ normal(5, 0.002)",
        )
        .replace("sigma ~ half_normal(2)", "sigma ~ lognormal(0, 0.002)");
    let s = synthetic(&text, -1.0);
    let (m, sd) = (-0.3, 0.3);
    let fits = fitted(&s, &hypotheses_json("H1", m, sd));
    let (l, _) = &fits[0];
    let active: Vec<f64> = l
        .analysis
        .days
        .iter()
        .zip(&l.analysis.arms)
        .filter(|(_, a)| **a == 0)
        .filter_map(|(d, _)| s.diary.value(0, *d))
        .map(|y| y - 5.0)
        .collect();
    let n = active.len() as f64;
    let d = active.iter().sum::<f64>() / n;
    let normal = |x: f64, mu: f64, s: f64| {
        (-0.5 * ((x - mu) / s).powi(2)).exp() / (s * (2.0 * std::f64::consts::PI).sqrt())
    };
    let informative = 0.5 * normal(d, m, (sd * sd + 1.0 / n).sqrt());
    let vague = 0.5 * normal(d, 0.0, (25.0 + 1.0 / n).sqrt());
    let exact = vague / (informative + vague);
    assert!(exact > 0.1 && exact < 0.9, "an informative case: {exact}");
    let estimated = vague_weight(&fits);
    assert!(
        (estimated - exact).abs() < 0.05,
        "NUTS {estimated} vs exact {exact} (d = {d}, n = {n})"
    );
}

/// When no decision rule reads an outcome with an LFM prior, the rules
/// cannot depend on those priors: no sceptical refit and no sensitivity
/// section (the outcomes' own sections still show prior against posterior).
#[test]
fn no_sensitivity_section_when_no_rule_reads_an_lfm_prior() {
    let dir = scratch("no-sensitivity");
    let src = format!("{}/examples/magnesium-migraine", root());
    std::fs::create_dir_all(dir.join("hypotheses")).expect("dir");
    for f in ["diary.csv", "hypotheses/p0042.json", "PHARMACY-SECRET.key"] {
        std::fs::copy(format!("{src}/{f}"), dir.join(f)).expect("copy");
    }
    let spec = std::fs::read_to_string(format!("{src}/magnesium-migraine.trial"))
        .expect("spec")
        .replace(
            "effect magnesium ~ lfm.H1 discount 0.5 robust 0.2 vague normal(0, 3)",
            "effect magnesium ~ normal(0, 2)",
        );
    assert!(!spec.contains("lfm.H1"));
    let path = dir.join("spec.trial");
    std::fs::write(&path, spec).expect("write");
    let out = trialc(&[
        "run",
        &path.display().to_string(),
        "--chains",
        "2",
        "--warmup",
        "150",
        "--draws",
        "150",
        "--format",
        "json",
    ]);
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(json.get("sensitivity").is_none(), "{json:#}");
    // attack still reports its LFM prior against its posterior.
    let attack = json["outcomes"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["name"] == "attack"))
        .expect("attack");
    assert_eq!(attack["effects"][0]["hypothesis"], "lfm.H2");
    assert!(attack["effects"][0]["prior"]["q95"].as_f64().is_some());
    let _ = std::fs::remove_dir_all(&dir);
}
