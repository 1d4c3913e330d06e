//! `trialc protocol diff OLD NEW`: an amendment in protocol terms. What
//! changed between two checked specs, item by item (trial, arms, schedule,
//! outcomes, priors, decision rules, reporting, hypotheses files and the
//! rationale in doc comments), each with its value before and after. A
//! changed seed is reported as changed, never with its values.

use trialc_runtime::fmt::{exact, num};

use super::doc::{code_spans, text, Block, Document, Line, L};
use super::model::{parameters, prior_spec, quantity_spec, rule_spec, statement_spec};
use super::{sha256_hex, shown_spec, Input};
use crate::hir::{self, OutcomeType};

/// Rows of one category: (what, before, after), only where they differ.
#[derive(Default)]
struct Changes(Vec<(String, Option<String>, Option<String>)>);

impl Changes {
    fn compare(&mut self, what: impl Into<String>, before: Option<String>, after: Option<String>) {
        if before != after {
            self.0.push((what.into(), before, after));
        }
    }
    fn same(&mut self, what: impl Into<String>, before: String, after: String) {
        self.compare(what, Some(before), Some(after));
    }
}

fn cell(v: &Option<String>) -> Line {
    match v {
        Some(s) => L::new().c(s).done(),
        None => text("—"),
    }
}

/// The amendment from `old` to `new`.
pub fn amendment(old: &Input, new: &Input) -> Document {
    let (a, b) = (&old.spec, &new.spec);
    let title = b.trial.title.clone().unwrap_or_else(|| b.trial.id.clone());
    let version = |s: &hir::Spec| {
        s.trial
            .version
            .clone()
            .unwrap_or_else(|| "(no version)".into())
    };
    let mut doc = Document::new(format!(
        "Amendment: {title}, version {} → {}",
        version(a),
        version(b)
    ));
    doc.table(
        &["", "spec", "SHA-256 (seed sealed)"],
        vec![
            vec![
                text("before"),
                L::new().c(&old.name).done(),
                L::new().c(sha256_hex(shown_spec(old).as_bytes())).done(),
            ],
            vec![
                text("after"),
                L::new().c(&new.name).done(),
                L::new().c(sha256_hex(shown_spec(new).as_bytes())).done(),
            ],
        ],
    );

    let mut sections: Vec<(&str, &str, Changes)> = vec![
        ("trial", "Trial", trial(a, b)),
        ("arms", "Arms", arms(a, b)),
        ("periods", "Schedule and periods", schedule(old, new)),
        ("outcomes", "Outcomes", outcomes(a, b)),
        ("priors", "Models and priors", priors(a, b)),
        ("rules", "Decision rules", rules(a, b)),
        ("reporting", "Reporting", reporting(a, b)),
        ("hypotheses", "Hypotheses files", hypotheses(old, new)),
        ("rationale", "Rationale (doc comments)", rationale(old, new)),
    ];
    let changed: usize = sections.iter().map(|(_, _, c)| c.0.len()).sum();
    if changed == 0 {
        doc.para(text("No change in protocol terms: the two specs differ at most in layout and ordinary comments."));
        return doc;
    }
    if a.trial.version == b.trial.version {
        doc.para(
            L::new()
                .b("The version did not change.")
                .t(" An amendment needs a new ")
                .c("version")
                .t(" in the ")
                .c("trial")
                .t(" block, so that the protocol, the schedule and the report say which plan they follow.")
                .done(),
        );
    }
    let total = changed;
    doc.para(text(format!(
        "{total} change{} in protocol terms.",
        if total == 1 { "" } else { "s" }
    )));
    for (id, name, changes) in sections.iter_mut() {
        if changes.0.is_empty() {
            continue;
        }
        doc.heading(2, *id, *name);
        let rows = changes
            .0
            .drain(..)
            .map(|(what, before, after)| vec![code_spans(&what), cell(&before), cell(&after)])
            .collect();
        doc.push(Block::Table {
            head: vec!["what".into(), "before".into(), "after".into()],
            rows,
        });
    }
    doc
}

fn trial(a: &hir::Spec, b: &hir::Spec) -> Changes {
    let mut c = Changes::default();
    c.same("id", a.trial.id.clone(), b.trial.id.clone());
    c.compare("title", a.trial.title.clone(), b.trial.title.clone());
    c.compare("version", a.trial.version.clone(), b.trial.version.clone());
    c.compare("sponsor", a.trial.sponsor.clone(), b.trial.sponsor.clone());
    c.compare(
        "registry",
        a.trial.registry.clone(),
        b.trial.registry.clone(),
    );
    c
}

fn arm_text(spec: &hir::Spec, name: &str) -> Option<String> {
    spec.arms.iter().find(|x| x.name == name).map(|x| {
        format!(
            "arm {} \"{}\"{}",
            x.name,
            x.description.as_deref().unwrap_or(""),
            if x.is_reference { " reference" } else { "" }
        )
    })
}

/// Names in `a`'s order, then those only in `b`.
fn union<'s>(a: impl Iterator<Item = &'s str>, b: impl Iterator<Item = &'s str>) -> Vec<&'s str> {
    let mut out: Vec<&str> = a.collect();
    for n in b {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

fn arms(a: &hir::Spec, b: &hir::Spec) -> Changes {
    let mut c = Changes::default();
    for name in union(
        a.arms.iter().map(|x| x.name.as_str()),
        b.arms.iter().map(|x| x.name.as_str()),
    ) {
        c.compare(
            format!("arm `{name}`"),
            arm_text(a, name),
            arm_text(b, name),
        );
    }
    c
}

fn schedule(old: &Input, new: &Input) -> Changes {
    let (a, b) = (&old.spec.schedule, &new.spec.schedule);
    let (sa, sb) = (&old.schedule, &new.schedule);
    let mut c = Changes::default();
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    c.compare("start", date(a.start), date(b.start));
    c.same(
        "run-in",
        format!("{} days", a.run_in_days),
        format!("{} days", b.run_in_days),
    );
    c.same("period length", a.period.text(), b.period.text());
    c.same(
        "number of periods",
        a.n_periods.to_string(),
        b.n_periods.to_string(),
    );
    c.same("sequence", a.design.name(), b.design.name());
    c.compare(
        "max_run",
        a.max_run.map(|m| m.to_string()),
        b.max_run.map(|m| m.to_string()),
    );
    c.same(
        "washout",
        format!("{} days", a.washout_days),
        format!("{} days", b.washout_days),
    );
    c.same(
        "carryover modelled",
        a.carryover_modelled.to_string(),
        b.carryover_modelled.to_string(),
    );
    c.same(
        "blinding",
        a.blinding.name().into(),
        b.blinding.name().into(),
    );
    c.same(
        "total length",
        format!("{} days", sa.total_days),
        format!("{} days", sb.total_days),
    );
    c.same(
        "admissible sequences",
        sa.admissible_count.to_string(),
        sb.admissible_count.to_string(),
    );
    if a.seed != b.seed || a.field_spans.seed.is_some() != b.field_spans.seed.is_some() {
        let shown = |written: bool| {
            if written {
                "a seed (sealed)"
            } else {
                "no seed"
            }
        };
        c.0.push((
            "randomization seed: changed, so the sequence and the blinding codes are drawn anew"
                .into(),
            Some(shown(a.field_spans.seed.is_some()).into()),
            Some(shown(b.field_spans.seed.is_some()).into()),
        ));
    }
    c
}

fn outcome_text(o: &hir::Outcome) -> Vec<(&'static str, Option<String>)> {
    let kind = match o.kind {
        OutcomeType::Continuous {
            bounds: Some((lo, hi)),
        } => format!("continuous in [{}, {}]", num(lo), num(hi)),
        OutcomeType::Continuous { bounds: None } => "continuous".into(),
        OutcomeType::Binary => "binary".into(),
        OutcomeType::Binomial { trials: Some(n) } => format!("binomial of {n}"),
        OutcomeType::Binomial { trials: None } => format!(
            "binomial of `{}`",
            o.trials_column
                .as_ref()
                .map_or("the trials column", |c| c.value.as_str())
        ),
        OutcomeType::Count { overdispersed } => {
            if overdispersed {
                "count overdispersed".into()
            } else {
                "count".into()
            }
        }
        OutcomeType::Ordinal { low, high } => format!("ordinal {low}..{high}"),
    };
    vec![
        ("description", o.description.clone()),
        ("type", Some(kind)),
        ("measured", Some(o.measured.name())),
        (
            "better",
            Some(if o.better == hir::Direction::Lower {
                "lower".into()
            } else {
                "higher".into()
            }),
        ),
        ("mcid", o.mcid.map(exact)),
        ("unit", o.unit.clone()),
        (
            "role",
            Some(if o.primary {
                "primary".into()
            } else {
                "secondary".into()
            }),
        ),
    ]
}

fn outcomes(a: &hir::Spec, b: &hir::Spec) -> Changes {
    let mut c = Changes::default();
    for name in union(
        a.outcomes.iter().map(|o| o.name.as_str()),
        b.outcomes.iter().map(|o| o.name.as_str()),
    ) {
        let (x, y) = (
            a.outcomes.iter().find(|o| o.name == name),
            b.outcomes.iter().find(|o| o.name == name),
        );
        match (x, y) {
            (Some(x), Some(y)) => {
                for ((field, before), (_, after)) in
                    outcome_text(x).into_iter().zip(outcome_text(y))
                {
                    c.compare(format!("`{name}`: {field}"), before, after);
                }
            }
            (x, y) => c.compare(
                format!("outcome `{name}`"),
                x.map(|o| {
                    format!(
                        "outcome {} \"{}\"",
                        o.name,
                        o.description.as_deref().unwrap_or("")
                    )
                }),
                y.map(|o| {
                    format!(
                        "outcome {} \"{}\"",
                        o.name,
                        o.description.as_deref().unwrap_or("")
                    )
                }),
            ),
        }
    }
    c
}

fn model_priors(spec: &hir::Spec, outcome: &str) -> Vec<(String, String)> {
    let Some(index) = spec.outcomes.iter().position(|o| o.name == outcome) else {
        return Vec::new();
    };
    let Some(model) = spec.models.iter().find(|m| m.outcome == index) else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = parameters(spec, model)
        .into_iter()
        .map(|(name, prior, _)| {
            let shown = prior_spec(prior);
            (
                name,
                if prior.default {
                    format!("{shown} (default)")
                } else {
                    shown
                },
            )
        })
        .collect();
    out.push(("likelihood".into(), model_structure(spec, model)));
    out
}

fn model_structure(spec: &hir::Spec, model: &hir::Model) -> String {
    let outcome = &spec.outcomes[model.outcome];
    let mut s = outcome.kind.family().likelihood.to_string();
    if let hir::Likelihood::Normal { errors, .. } = &model.likelihood {
        s.push_str(match errors.structure {
            hir::ErrorStructure::Ar1 => ", AR(1) errors",
            hir::ErrorStructure::Independent => ", independent errors",
        });
    }
    if let Some(t) = &model.trend {
        s.push_str(&format!(", trend per {} days", t.per_days));
    }
    s
}

fn priors(a: &hir::Spec, b: &hir::Spec) -> Changes {
    let mut c = Changes::default();
    for outcome in union(
        a.outcomes.iter().map(|o| o.name.as_str()),
        b.outcomes.iter().map(|o| o.name.as_str()),
    ) {
        let (x, y) = (model_priors(a, outcome), model_priors(b, outcome));
        if x.is_empty() || y.is_empty() {
            continue; // an added or removed outcome is reported with the outcomes
        }
        let names = union(
            x.iter().map(|(n, _)| n.as_str()),
            y.iter().map(|(n, _)| n.as_str()),
        );
        for name in names {
            let find = |v: &Vec<(String, String)>| {
                v.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone())
            };
            c.compare(format!("`{outcome}`: {name}"), find(&x), find(&y));
        }
    }
    c
}

fn rules(a: &hir::Spec, b: &hir::Spec) -> Changes {
    let mut c = Changes::default();
    let x: Vec<String> = a.rules.iter().map(|r| rule_spec(a, r)).collect();
    let y: Vec<String> = b.rules.iter().map(|r| rule_spec(b, r)).collect();
    for i in 0..x.len().max(y.len()) {
        c.compare(
            format!("rule {}", i + 1),
            x.get(i).cloned(),
            y.get(i).cloned(),
        );
    }
    c
}

fn reporting(a: &hir::Spec, b: &hir::Spec) -> Changes {
    let mut c = Changes::default();
    c.same("interval", num(a.report.interval), num(b.report.interval));
    let estimate = |s: &hir::Spec| match s.report.estimate {
        hir::Estimate::Mean => "mean".to_string(),
        hir::Estimate::Median => "median".to_string(),
    };
    c.same("estimate", estimate(a), estimate(b));
    let entries = |s: &hir::Spec| {
        let mut v: Vec<String> = s
            .report
            .probabilities
            .iter()
            .map(|st| format!("P({})", statement_spec(s, st)))
            .collect();
        v.extend(s.report.summaries.iter().map(|q| quantity_spec(s, q)));
        v
    };
    let (x, y) = (entries(a), entries(b));
    for e in &x {
        if !y.contains(e) {
            c.compare("reported quantity", Some(e.clone()), None);
        }
    }
    for e in &y {
        if !x.contains(e) {
            c.compare("reported quantity", None, Some(e.clone()));
        }
    }
    c
}

fn hypotheses(old: &Input, new: &Input) -> Changes {
    let mut c = Changes::default();
    let names = union(
        old.hypotheses.iter().map(|h| h.source.as_str()),
        new.hypotheses.iter().map(|h| h.source.as_str()),
    );
    for name in names {
        let show = |i: &Input| {
            i.hypotheses
                .iter()
                .find(|h| h.source == name)
                .map(|h| format!("{} (SHA-256 {})", h.path, h.sha256))
        };
        c.compare(format!("`{name}`"), show(old), show(new));
    }
    c
}

fn docs(input: &Input) -> Vec<(String, String)> {
    use crate::syntax::ast::ItemKind;
    let seeds: Vec<u64> = super::seeds(&input.ast).iter().map(|s| s.node).collect();
    input
        .ast
        .items
        .iter()
        .filter_map(|item| {
            let doc = item.doc.as_ref()?;
            let what = match &item.kind {
                ItemKind::Trial(_) => "trial".to_string(),
                ItemKind::Hypotheses(h) => format!("hypotheses {}", h.name.node),
                ItemKind::Data(_) => "data".into(),
                ItemKind::Arm(a) => format!("arm {}", a.name.node),
                ItemKind::Schedule(_) => "schedule".into(),
                ItemKind::Outcome(o) => format!("outcome {}", o.name.node),
                ItemKind::Model(m) => format!("model {}", m.outcome.node),
                ItemKind::Decide(_) => "decide".into(),
                ItemKind::Report(_) => "report".into(),
                ItemKind::Simulate(_) => "simulate".into(),
                ItemKind::Use(_) => return None,
                ItemKind::Design(d) => format!("design {}", d.name.node),
                ItemKind::PriorPreset(p) => format!("prior {}", p.name.node),
            };
            Some((what, super::seal(doc, &seeds)))
        })
        .collect()
}

fn rationale(old: &Input, new: &Input) -> Changes {
    let mut c = Changes::default();
    let (x, y) = (docs(old), docs(new));
    for name in union(
        x.iter().map(|(n, _)| n.as_str()),
        y.iter().map(|(n, _)| n.as_str()),
    ) {
        let find = |v: &Vec<(String, String)>| {
            v.iter()
                .find(|(n, _)| n == name)
                .map(|(_, d)| d.replace('\n', " "))
        };
        c.compare(format!("doc comment of `{name}`"), find(&x), find(&y));
    }
    c
}
