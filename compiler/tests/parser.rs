//! Parser tests: the AST shape of representative inputs, byte spans with
//! non-ASCII text, doc comments, error recovery, and "never panics".
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use proptest::prelude::*;
use trialc::diagnostic::{Diagnostic, Span};
use trialc::syntax::ast::*;
use trialc::syntax::parse;

fn workspace_file(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn text(source: &str, span: Span) -> &str {
    &source[span.range()]
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code).collect()
}

/// Parse a source that must be valid.
fn parse_ok(source: &str) -> File {
    let (file, diagnostics) = parse(source);
    assert!(
        diagnostics.is_empty(),
        "unexpected diagnostics: {diagnostics:#?}"
    );
    file
}

fn only_item(source: &str) -> ItemKind {
    let mut file = parse_ok(source);
    assert_eq!(file.items.len(), 1);
    file.items.remove(0).kind
}

#[test]
fn full_spec_uses_every_item_kind() {
    let source = workspace_file("tests/syntax/full.trial");
    let file = parse_ok(&source);
    let kinds: Vec<&str> = file
        .items
        .iter()
        .map(|item| match item.kind {
            ItemKind::Use(_) => "use",
            ItemKind::Trial(_) => "trial",
            ItemKind::Hypotheses(_) => "hypotheses",
            ItemKind::Data(_) => "data",
            ItemKind::Arm(_) => "arm",
            ItemKind::Schedule(_) => "schedule",
            ItemKind::Outcome(_) => "outcome",
            ItemKind::Model(_) => "model",
            ItemKind::Decide(_) => "decide",
            ItemKind::Report(_) => "report",
            ItemKind::Design(_) => "design",
            ItemKind::PriorPreset(_) => "prior",
            ItemKind::Simulate(_) => "simulate",
        })
        .collect();
    for kind in [
        "use",
        "trial",
        "hypotheses",
        "data",
        "arm",
        "schedule",
        "outcome",
        "model",
        "decide",
        "report",
        "design",
        "prior",
    ] {
        assert!(kinds.contains(&kind), "no `{kind}` item in full.trial");
    }
    // Every item's span starts at its keyword and ends at its last token.
    for item in &file.items {
        let written = text(&source, item.span);
        assert!(
            !written.starts_with("//"),
            "item span includes a comment: {written:?}"
        );
        assert!(
            !written.ends_with(char::is_whitespace),
            "item span ends in whitespace: {written:?}"
        );
    }
    let trial = file
        .items
        .iter()
        .find(|i| matches!(i.kind, ItemKind::Trial(_)))
        .expect("trial item");
    assert_eq!(
        trial.doc.as_deref(),
        Some("Does oral magnesium reduce this participant's daily headache pain enough\nto be worth taking?")
    );
    let ItemKind::Trial(block) = &trial.kind else {
        unreachable!()
    };
    let registry = block
        .fields
        .iter()
        .find(|f| f.key.node == "registry")
        .expect("registry field");
    assert_eq!(registry.value.node, "N1-2026-0042 \"full\" \\ edition");
    assert!(text(&source, registry.value.span).starts_with('"'));
    // Comments are all kept, in order, doc comments marked.
    assert!(file
        .comments
        .windows(2)
        .all(|w| w[0].span.start < w[1].span.start));
    assert_eq!(file.comments.iter().filter(|c| c.doc).count(), 8);
    let mapped = file
        .items
        .iter()
        .find_map(|i| match &i.kind {
            ItemKind::Hypotheses(h) => h.mappings.as_ref(),
            _ => None,
        })
        .expect("a hypotheses block");
    assert_eq!(mapped.len(), 3);
    assert_eq!(mapped[0].text.node, "Oral magnesium (600 mg, \"citrate\")");
    assert_eq!(mapped[1].target.node, "café");
    let design = file
        .items
        .iter()
        .find(|i| matches!(i.kind, ItemKind::Design(_)))
        .expect("design item");
    assert_eq!(
        design.doc.as_deref(),
        Some("Two-week periods in randomized blocks.")
    );
    assert!(file
        .comments
        .iter()
        .any(|c| !c.doc && c.text == " optional: gives calendar dates"));
}

#[test]
fn spans_are_bytes_with_non_ascii_text() {
    let source = "arm café \"200 µg ≥ 1\" reference\narm placebo";
    let ItemKind::Arm(arm) = &parse_ok(source).items[0].kind else {
        panic!("not an arm")
    };
    assert_eq!(arm.name.node, "café");
    assert_eq!(text(source, arm.name.span), "café");
    assert_eq!(arm.name.span, Span::new(4, 9), "é is two bytes");
    let description = arm.description.as_ref().expect("description");
    assert_eq!(description.node, "200 µg ≥ 1");
    assert_eq!(text(source, description.span), "\"200 µg ≥ 1\"");
    assert_eq!(text(source, arm.reference.expect("reference")), "reference");

    // A diagnostic after non-ASCII text points at the right bytes.
    let source = "arm µg \"≥ 5 µg\"\nschedule {\n  period 14\n}";
    let (_, diagnostics) = parse(source);
    assert_eq!(codes(&diagnostics), ["E0106"]);
    assert_eq!(
        text(source, diagnostics[0].primary_span().expect("span")),
        "14"
    );
}

#[test]
fn missing_duration_unit_parses_with_no_unit_and_a_fix() {
    let source = "schedule {\n  period 14\n  cycles 3\n}";
    let (file, diagnostics) = parse(source);
    assert_eq!(codes(&diagnostics), ["E0106"]);
    assert_eq!(
        diagnostics[0].help.as_deref(),
        Some("write `14 days` (or `14 weeks`)")
    );
    let ItemKind::Schedule(schedule) = &file.items[0].kind else {
        panic!("not a schedule")
    };
    assert_eq!(schedule.fields.len(), 2, "both fields kept");
    let ScheduleFieldKind::Period(period) = &schedule.fields[0].kind else {
        panic!("not a period")
    };
    assert_eq!(period.amount.node, 14);
    assert_eq!(period.unit, None);
    assert!(matches!(
        schedule.fields[1].kind,
        ScheduleFieldKind::Cycles(Spanned { node: 3, .. })
    ));
}

#[test]
fn durations_convert_units() {
    let ItemKind::Schedule(schedule) =
        only_item("schedule { period 2 weeks washout 1 day run_in 7 days }")
    else {
        panic!("not a schedule")
    };
    let units: Vec<Option<TimeUnit>> = schedule
        .fields
        .iter()
        .map(|f| match &f.kind {
            ScheduleFieldKind::Period(d)
            | ScheduleFieldKind::Washout(d)
            | ScheduleFieldKind::RunIn(d) => d.unit.as_ref().map(|u| u.node),
            _ => None,
        })
        .collect();
    assert_eq!(
        units,
        [
            Some(TimeUnit::Weeks),
            Some(TimeUnit::Days),
            Some(TimeUnit::Days)
        ]
    );
}

#[test]
fn three_independent_errors_are_all_reported_and_the_rest_kept() {
    let source = workspace_file("tests/ui/syntax/three-errors.trial");
    let (file, diagnostics) = parse(&source);
    assert_eq!(
        codes(&diagnostics),
        ["E0106", "E0110", "E0101"],
        "{diagnostics:#?}"
    );
    let kinds: Vec<&str> = file
        .items
        .iter()
        .map(|i| match i.kind {
            ItemKind::Trial(_) => "trial",
            ItemKind::Arm(_) => "arm",
            ItemKind::Schedule(_) => "schedule",
            ItemKind::Outcome(_) => "outcome",
            ItemKind::Model(_) => "model",
            ItemKind::Decide(_) => "decide",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["trial", "arm", "arm", "schedule", "outcome", "model", "decide"]
    );
    let ItemKind::Schedule(schedule) = &file.items[3].kind else {
        panic!("not a schedule")
    };
    // Nine fields written, one misspelled: eight kept (run_in without its unit).
    assert_eq!(schedule.fields.len(), 8);
    let ItemKind::Decide(decide) = &file.items[6].kind else {
        panic!("not a decide block")
    };
    assert_eq!(decide.rules.len(), 1, "the recommend rule is kept");
}

#[test]
fn separate_errors_on_separate_lines_each_get_one_diagnostic() {
    let source = "arm a \"x\nschedule {\n  perod 14 days\n  cycles 2.5\n  start 2026-13-01\n  blinding triple\n}\narn b\n";
    let (file, diagnostics) = parse(source);
    assert_eq!(
        codes(&diagnostics),
        ["E0102", "E0110", "E0104", "E0105", "E0101", "E0107"]
    );
    assert_eq!(file.items.len(), 2, "the arm and the schedule are kept");
    let unknown_field = &diagnostics[1];
    assert_eq!(
        unknown_field.help.as_deref(),
        Some("did you mean `period`?")
    );
    assert_eq!(diagnostics[5].help.as_deref(), Some("did you mean `arm`?"));
}

#[test]
fn unclosed_block_keeps_its_fields_and_the_next_item() {
    let source = "outcome pain {\n  type binary\n  better lower\n\nmodel pain {\n  intercept ~ normal(0, 1)\n}\n";
    let (file, diagnostics) = parse(source);
    assert_eq!(codes(&diagnostics), ["E0109"]);
    assert_eq!(
        text(source, diagnostics[0].primary_span().expect("span")),
        "{"
    );
    assert_eq!(file.items.len(), 2);
    let ItemKind::Outcome(outcome) = &file.items[0].kind else {
        panic!("not an outcome")
    };
    assert_eq!(outcome.fields.len(), 2);
    assert!(matches!(file.items[1].kind, ItemKind::Model(_)));
}

#[test]
fn stray_character_is_reported_once() {
    let source = "decide {\n  recommend a if P(effect on pain < 0) ≥ 0.8\n}";
    let (_, diagnostics) = parse(source);
    assert_eq!(codes(&diagnostics), ["E0108"]);
    assert_eq!(
        text(source, diagnostics[0].primary_span().expect("span")),
        "≥"
    );
    assert_eq!(
        diagnostics[0].help.as_deref(),
        Some("write `>=` for \"greater than or equal\"")
    );
}

#[test]
fn doc_comments_attach_to_the_item_directly_below() {
    let source = "/// Line one\n///line two\narm a\n\n/// detached by a blank line\n\narm b\n/// doc\n// ordinary\narm c\n";
    let file = parse_ok(source);
    let docs: Vec<Option<&str>> = file.items.iter().map(|i| i.doc.as_deref()).collect();
    assert_eq!(docs, [Some("Line one\nline two"), None, None]);
    assert_eq!(file.comments.len(), 5);
    assert_eq!(file.comments[1].text, "line two");
    assert!(file.comments[1].doc);
    assert!(!file.comments[4].doc);
    assert_eq!(file.comments[4].text, " ordinary");
    assert_eq!(text(source, file.comments[0].span), "/// Line one");
}

#[test]
fn priors_of_every_form() {
    let source = "model pain {\n  effect a ~ mixture(0.8: normal(0, -1.5e1), 0.2: sceptical)\n  effect b ~ lfm.H1 discount 0.5 robust 0.2 vague normal(0, 3)\n  trend ~ trend_small per 4 weeks\n  errors ar1(sigma ~ half_normal(2), phi ~ uniform(-1, 1))\n}";
    let ItemKind::Model(model) = only_item(source) else {
        panic!("not a model")
    };
    assert_eq!(model.outcome.node, "pain");
    assert_eq!(model.statements.len(), 4);
    let ModelStatementKind::Effect { arm, prior } = &model.statements[0].kind else {
        panic!("not an effect")
    };
    assert_eq!(arm.node, "a");
    let PriorKind::Mixture(components) = &prior.kind else {
        panic!("not a mixture")
    };
    assert_eq!(components.len(), 2);
    assert_eq!(components[0].weight.node, 0.8);
    let PriorKind::Distribution { name, args } = &components[0].prior.kind else {
        panic!("not a distribution")
    };
    assert_eq!(name.node, "normal");
    assert_eq!(
        args.iter().map(|a| a.node).collect::<Vec<_>>(),
        [0.0, -15.0]
    );
    assert_eq!(text(source, args[1].span), "-1.5e1");
    assert!(matches!(&components[1].prior.kind, PriorKind::Preset(p) if p.node == "sceptical"));
    assert_eq!(
        text(source, prior.span),
        "mixture(0.8: normal(0, -1.5e1), 0.2: sceptical)"
    );

    let ModelStatementKind::Effect { prior, .. } = &model.statements[1].kind else {
        panic!("not an effect")
    };
    let PriorKind::Hypothesis {
        source: from,
        id,
        discount,
        robust,
        vague,
    } = &prior.kind
    else {
        panic!("not a hypothesis")
    };
    assert_eq!((from.node.as_str(), id.node.as_str()), ("lfm", "H1"));
    assert_eq!(discount.as_ref().map(|d| d.node), Some(0.5));
    assert_eq!(robust.as_ref().map(|r| r.node), Some(0.2));
    assert!(matches!(
        &vague.as_deref().map(|v| &v.kind),
        Some(PriorKind::Distribution { .. })
    ));

    let ModelStatementKind::Trend { per: Some(per), .. } = &model.statements[2].kind else {
        panic!("not a trend with per")
    };
    assert_eq!(
        (per.amount.node, per.unit.as_ref().map(|u| u.node)),
        (4, Some(TimeUnit::Weeks))
    );
    let ModelStatementKind::Errors { structure, params } = &model.statements[3].kind else {
        panic!("not errors")
    };
    assert_eq!(structure.node, ErrorStructure::Ar1);
    assert_eq!(
        params
            .iter()
            .map(|p| p.name.node.as_str())
            .collect::<Vec<_>>(),
        ["sigma", "phi"]
    );
    assert_eq!(
        text(source, model.statements[3].span),
        "errors ar1(sigma ~ half_normal(2), phi ~ uniform(-1, 1))"
    );
}

#[test]
fn outcome_fields() {
    let source = "outcome sbp \"Home SBP\" {\n  type continuous in [-70, 250.5]\n  measured on days [8, 9]\n  better lower\n  mcid -5\n  unit \"mmHg\"\n  primary\n}\noutcome s { type ordinal -2..2 measured per period secondary type count overdispersed }";
    let file = parse_ok(source);
    let ItemKind::Outcome(sbp) = &file.items[0].kind else {
        panic!("not an outcome")
    };
    let kinds: Vec<&OutcomeFieldKind> = sbp.fields.iter().map(|f| &f.kind).collect();
    let OutcomeFieldKind::Type(OutcomeType::Continuous {
        bounds: Some(bounds),
    }) = kinds[0]
    else {
        panic!("not bounded")
    };
    assert_eq!(bounds.node, (-70.0, 250.5));
    assert_eq!(text(source, bounds.span), "in [-70, 250.5]");
    let OutcomeFieldKind::Measured(Measured::OnDays(days)) = kinds[1] else {
        panic!("not on days")
    };
    assert_eq!(days.iter().map(|d| d.node).collect::<Vec<_>>(), [8, 9]);
    assert!(matches!(kinds[2], OutcomeFieldKind::Better(d) if d.node == Direction::Lower));
    assert!(matches!(kinds[3], OutcomeFieldKind::Mcid(m) if m.node == -5.0));
    assert!(matches!(kinds[4], OutcomeFieldKind::Unit(u) if u.node == "mmHg"));
    assert!(matches!(kinds[5], OutcomeFieldKind::Primary));
    assert_eq!(text(source, sbp.fields[1].span), "measured on days [8, 9]");
    let ItemKind::Outcome(s) = &file.items[1].kind else {
        panic!("not an outcome")
    };
    let OutcomeFieldKind::Type(OutcomeType::Ordinal { levels }) = &s.fields[0].kind else {
        panic!("not ordinal")
    };
    assert_eq!(levels.node, (-2, 2));
    assert!(matches!(
        s.fields[1].kind,
        OutcomeFieldKind::Measured(Measured::PerPeriod)
    ));
    assert!(matches!(
        s.fields[3].kind,
        OutcomeFieldKind::Type(OutcomeType::Count {
            overdispersed: true
        })
    ));
}

#[test]
fn decision_rules_and_conditions() {
    let source = "decide {\n  recommend a if P(effect of a on pain < -mcid) >= 0.80\n  stop early if P(effect on pain > 0.7) > 0.9 after 6 periods\n  otherwise inconclusive\n}";
    let ItemKind::Decide(decide) = only_item(source) else {
        panic!("not decide")
    };
    assert_eq!(decide.rules.len(), 3);
    let RuleKind::Recommend { arm, conditions } = &decide.rules[0].kind else {
        panic!("not recommend")
    };
    assert_eq!(arm.node, "a");
    let [condition] = conditions.as_slice() else {
        panic!("one condition")
    };
    let q = &condition.statement.quantity;
    assert_eq!(q.scale.node, Scale::Effect);
    assert_eq!(q.arm.as_ref().map(|a| a.node.as_str()), Some("a"));
    assert_eq!(q.versus, None);
    assert_eq!(q.outcome.node, "pain");
    assert_eq!(condition.statement.comparison.node, Comparison::Less);
    assert_eq!(
        condition.statement.threshold.node,
        Threshold::Mcid { negative: true }
    );
    assert_eq!(text(source, condition.statement.threshold.span), "-mcid");
    assert_eq!(
        condition.probability_comparison.node,
        Comparison::GreaterEqual
    );
    assert_eq!(condition.probability.node, 0.8);
    assert_eq!(
        text(source, condition.span),
        "P(effect of a on pain < -mcid) >= 0.80"
    );
    let RuleKind::StopEarly { conditions, after } = &decide.rules[1].kind else {
        panic!("not stop")
    };
    assert_eq!(conditions[0].statement.quantity.arm, None);
    assert_eq!(
        conditions[0].statement.threshold.node,
        Threshold::Value(0.7)
    );
    assert_eq!(after.as_ref().map(|a| a.node), Some(6));
    assert!(matches!(decide.rules[2].kind, RuleKind::Otherwise));
    assert_eq!(text(source, decide.rules[2].span), "otherwise inconclusive");
}

/// Contrasts between two arms, ratio and risk-difference scales, and rules
/// whose conditions must all hold.
#[test]
fn combined_conditions_contrasts_and_scales() {
    let source = "decide {\n  recommend b if P(effect of b vs a on pain < -mcid) >= 0.8\n    and P(odds_ratio of b on gi < 2) >= 0.8\n  stop early if P(risk_difference of b on gi > 0.1) > 0.9 and P(rate_ratio of b vs a on n < 0.5) > 0.9 after 2 periods\n}";
    let ItemKind::Decide(decide) = only_item(source) else {
        panic!("not decide")
    };
    let RuleKind::Recommend { conditions, .. } = &decide.rules[0].kind else {
        panic!("not recommend")
    };
    assert_eq!(conditions.len(), 2);
    let q = &conditions[0].statement.quantity;
    assert_eq!(q.versus.as_ref().map(|v| v.node.as_str()), Some("a"));
    assert_eq!(text(source, q.span), "effect of b vs a on pain");
    assert_eq!(
        conditions[1].statement.quantity.scale.node,
        Scale::OddsRatio
    );
    assert_eq!(
        text(source, conditions[1].span),
        "P(odds_ratio of b on gi < 2) >= 0.8"
    );
    let RuleKind::StopEarly { conditions, after } = &decide.rules[1].kind else {
        panic!("not stop")
    };
    let scales: Vec<Scale> = conditions
        .iter()
        .map(|c| c.statement.quantity.scale.node)
        .collect();
    assert_eq!(scales, [Scale::RiskDifference, Scale::RateRatio]);
    assert_eq!(after.as_ref().map(|a| a.node), Some(2));
}

#[test]
fn report_block_entries() {
    let source = "report {\n  interval 0.95\n  estimate median\n  P(effect of b vs a on pain < 0)\n  odds_ratio of b on gi\n}";
    let ItemKind::Report(report) = only_item(source) else {
        panic!("not report")
    };
    let kinds: Vec<&str> = report
        .entries
        .iter()
        .map(|e| match &e.kind {
            ReportEntryKind::Interval(v) => {
                assert_eq!(v.node, 0.95);
                "interval"
            }
            ReportEntryKind::Estimate(w) => {
                assert_eq!(w.node, "median");
                "estimate"
            }
            ReportEntryKind::Probability(s) => {
                assert_eq!(text(source, s.span), "effect of b vs a on pain < 0");
                "probability"
            }
            ReportEntryKind::Summary(q) => {
                assert_eq!(q.scale.node, Scale::OddsRatio);
                "summary"
            }
        })
        .collect();
    assert_eq!(kinds, ["interval", "estimate", "probability", "summary"]);
}

#[test]
fn keywords_are_contextual() {
    let file = parse_ok(
        "arm reference reference\nprior vague = normal(0, 5)\nmodel effect { effect of ~ vague }",
    );
    let ItemKind::Arm(arm) = &file.items[0].kind else {
        panic!("not an arm")
    };
    assert_eq!(arm.name.node, "reference");
    assert!(arm.reference.is_some());
    let ItemKind::Model(model) = &file.items[2].kind else {
        panic!("not a model")
    };
    assert_eq!(model.outcome.node, "effect");
    assert!(
        matches!(&model.statements[0].kind, ModelStatementKind::Effect { arm, prior } if arm.node == "of" && matches!(&prior.kind, PriorKind::Preset(p) if p.node == "vague"))
    );
}

#[test]
fn hypotheses_mappings() {
    let source = "hypotheses lfm from \"h.json\" {\n  intervention \"Blue-light glasses, \\\"amber\\\" (après 8 pm)\" is glasses\n  outcome \"Sleep onset latency\" is sleep\n}\nhypotheses prev from \"e.json\"\n";
    let file = parse_ok(source);
    assert_eq!(file.items.len(), 2);
    let ItemKind::Hypotheses(decl) = &file.items[0].kind else {
        panic!("not hypotheses")
    };
    assert!(text(source, file.items[0].span).ends_with("is sleep\n}"));
    let mappings = decl.mappings.as_ref().expect("a block");
    assert_eq!(mappings.len(), 2);
    let m = &mappings[0];
    assert_eq!(m.kind.node, MappingKind::Intervention);
    assert_eq!(text(source, m.kind.span), "intervention");
    assert_eq!(m.text.node, "Blue-light glasses, \"amber\" (après 8 pm)");
    assert_eq!(
        text(source, m.text.span),
        "\"Blue-light glasses, \\\"amber\\\" (après 8 pm)\""
    );
    assert_eq!(text(source, m.target.span), "glasses");
    assert!(
        text(source, m.span).starts_with("intervention")
            && text(source, m.span).ends_with("glasses")
    );
    // `outcome` followed by a string is a mapping, not the next item.
    assert_eq!(mappings[1].kind.node, MappingKind::Outcome);
    assert_eq!(mappings[1].target.node, "sleep");
    let ItemKind::Hypotheses(plain) = &file.items[1].kind else {
        panic!("not hypotheses")
    };
    assert!(plain.mappings.is_none());

    // A wrong mapping is reported once; the others and the next item are kept.
    let source = "hypotheses lfm from \"h.json\" {\n  intervention \"a\" glasses\n  intervenion \"b\" is x\n  outcome \"c\" is sleep\n}\narm x\n";
    let (file, diagnostics) = parse(source);
    assert_eq!(codes(&diagnostics), ["E0101", "E0110"], "{diagnostics:#?}");
    assert_eq!(diagnostics[0].message, "expected `is`, found `glasses`");
    assert_eq!(
        diagnostics[1].help.as_deref(),
        Some("did you mean `intervention`?")
    );
    let ItemKind::Hypotheses(decl) = &file.items[0].kind else {
        panic!("not hypotheses")
    };
    assert_eq!(decl.mappings.as_ref().map(Vec::len), Some(1));
    assert!(matches!(file.items[1].kind, ItemKind::Arm(_)));

    // An unclosed block ends where an item starts: `outcome NAME {` is one.
    let source = "hypotheses lfm from \"h.json\" {\n  outcome \"c\" is sleep\noutcome sleep { type binary }\n";
    let (file, diagnostics) = parse(source);
    assert_eq!(codes(&diagnostics), ["E0109"]);
    assert_eq!(file.items.len(), 2);
    assert!(matches!(file.items[1].kind, ItemKind::Outcome(_)));
}

#[test]
fn use_and_schedule_headers() {
    let file = parse_ok("use std.priors.*\nuse std.designs.abab\nschedule from abab { sequence fixed \"AB BA\" start 2027-02-28 }");
    let ItemKind::Use(glob) = &file.items[0].kind else {
        panic!("not use")
    };
    assert!(glob.glob);
    assert_eq!(
        glob.path
            .iter()
            .map(|p| p.node.as_str())
            .collect::<Vec<_>>(),
        ["std", "priors"]
    );
    let ItemKind::Use(one) = &file.items[1].kind else {
        panic!("not use")
    };
    assert!(!one.glob);
    assert_eq!(one.path.len(), 3);
    let ItemKind::Schedule(schedule) = &file.items[2].kind else {
        panic!("not schedule")
    };
    assert_eq!(
        schedule.from.as_ref().map(|f| f.node.as_str()),
        Some("abab")
    );
    assert!(
        matches!(&schedule.fields[0].kind, ScheduleFieldKind::Sequence(s) if matches!(&s.node, SequenceDesign::Fixed(p) if p.node == "AB BA"))
    );
    assert!(
        matches!(&schedule.fields[1].kind, ScheduleFieldKind::Start(d) if d.node == Date { year: 2027, month: 2, day: 28 })
    );
}

#[test]
fn string_escapes_and_errors() {
    let ItemKind::Data(path) = only_item(r#"data "a\"b\\c\nd""#) else {
        panic!("not data")
    };
    assert_eq!(path.node, "a\"b\\c\nd");
    let (_, diagnostics) = parse(r#"data "C:\trial""#);
    assert_eq!(codes(&diagnostics), ["E0103"]);
    let (file, diagnostics) = parse("data \"open\narm b");
    assert_eq!(codes(&diagnostics), ["E0102"]);
    assert_eq!(file.items.len(), 2, "the next line still parses");
}

fn assert_well_formed(source: &str) {
    let (file, diagnostics) = parse(source);
    for d in &diagnostics {
        assert!(!d.labels.is_empty(), "diagnostic without a label: {d:?}");
        for label in &d.labels {
            assert!(
                label.span.start <= label.span.end && label.span.end <= source.len(),
                "span out of range: {d:?}"
            );
            assert!(
                source.is_char_boundary(label.span.start)
                    && source.is_char_boundary(label.span.end),
                "span splits a character: {d:?}"
            );
        }
        assert!(
            d.code.starts_with("E01"),
            "syntax diagnostics use E01 codes: {d:?}"
        );
    }
    for item in &file.items {
        assert!(item.span.end <= source.len());
    }
    for comment in &file.comments {
        assert!(comment.span.end <= source.len());
    }
}

proptest! {
    // A fixed ChaCha seed and no failure file: CI runs the same cases every time.
    #![proptest_config(ProptestConfig {
        cases: 2000,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x7061_7273_6572),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn never_panics_on_arbitrary_text(source in any::<String>()) {
        assert_well_formed(&source);
    }

    /// Text made of the language's own pieces finds the deeper paths.
    #[test]
    fn never_panics_on_token_soup(pieces in prop::collection::vec(prop::sample::select(vec![
        "arm", "schedule", "{", "}", "(", ")", "[", "]", "~", "-", "mcid", "P", "effect", "on", "of", "\"", "\"s\"", "\\", "14", "1.5",
        "2026-12-01", "2026-1-5", "days", "period", "lfm", ".", "..", "*", ":", ",", "mixture", "vague", "µg", "≥", "é", "\n", " ", "//", "///",
        "decide", "recommend", "if", ">=", "<", "outcome", "type", "ordinal", "model", "trend", "per", "errors", "ar1", "use", "\u{FEFF}",
    ]), 0..60)) {
        assert_well_formed(&pieces.concat());
    }
}

#[test]
fn deep_nesting_does_not_exhaust_the_stack() {
    let source = format!(
        "prior p = {}normal(0, 1){}",
        "mixture(1: ".repeat(10_000),
        ")".repeat(10_000)
    );
    let (_, diagnostics) = parse(&source);
    assert!(diagnostics
        .iter()
        .any(|d| d.message == "priors nested too deeply"));
}

/// The schedule forms of issue 11: a list of period lengths with one unit,
/// `randomized periods`, `from data`, and `window days A..B`, each with the
/// span of what was written.
#[test]
fn issue_11_schedule_forms_parse() {
    use trialc::syntax::ast::{ScheduleFieldKind as K, SequenceDesign, TimeUnit};
    let source = "schedule {\n  period [10, 14, 10] days\n  sequence randomized periods\n  window days 18..70\n}\ndesign d {\n  sequence from data\n}\n";
    let file = parse_ok(source);
    let ItemKind::Schedule(block) = &file.items[0].kind else {
        panic!("a schedule")
    };
    let K::PeriodLengths(list) = &block.fields[0].kind else {
        panic!("a list of lengths: {:?}", block.fields[0])
    };
    let amounts: Vec<u64> = list.amounts.iter().map(|a| a.node).collect();
    assert_eq!(amounts, [10, 14, 10]);
    assert_eq!(list.unit.as_ref().map(|u| u.node), Some(TimeUnit::Days));
    assert_eq!(text(source, list.span), "[10, 14, 10] days");
    assert_eq!(text(source, list.amounts[1].span), "14");
    let K::Sequence(design) = &block.fields[1].kind else {
        panic!("a sequence")
    };
    assert_eq!(design.node, SequenceDesign::RandomizedPeriods);
    assert_eq!(text(source, design.span), "randomized periods");
    let K::Window(range) = &block.fields[2].kind else {
        panic!("a window")
    };
    assert_eq!((range.first.node, range.last.node), (18, 70));
    assert_eq!(text(source, range.span), "days 18..70");
    assert_eq!(text(source, block.fields[2].span), "window days 18..70");
    let ItemKind::Design(design) = &file.items[1].kind else {
        panic!("a design")
    };
    let K::Sequence(from) = &design.fields[0].kind else {
        panic!("a sequence")
    };
    assert_eq!(from.node, SequenceDesign::FromData);
    assert_eq!(text(source, from.span), "from data");
}

/// Malformed forms are syntax errors with a code, never a panic.
#[test]
fn issue_11_schedule_forms_report_their_errors() {
    for (source, code) in [
        ("schedule {\n  period [10, 14]\n}\n", "E0106"),
        ("schedule {\n  period [10, 14] dys\n}\n", "E0106"),
        ("schedule {\n  period [10, 14 days\n}\n", "E0101"),
        ("schedule {\n  period [] days\n}\n", "E0101"),
        ("schedule {\n  window 18..70\n}\n", "E0101"),
        ("schedule {\n  window days 18-70\n}\n", "E0101"),
        ("schedule {\n  sequence from diary\n}\n", "E0101"),
        ("schedule {\n  sequence randomized days\n}\n", "E0101"),
    ] {
        let (_, diagnostics) = trialc::syntax::parse(source);
        assert!(
            diagnostics.iter().any(|d| d.code == code),
            "{source:?}: {diagnostics:#?}"
        );
    }
}
