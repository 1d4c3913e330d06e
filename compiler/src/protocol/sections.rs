//! The protocol's sections, item by item, and the checklist.

use trialc_runtime::fmt::{exact, num};

use super::doc::{code_spans as md_code_spans, text as plain, Block, Document, Line, L};
use super::items::{by_id, Item, ITEMS};
use super::model::{self, arm_name, outcome_name, prior_spec};
use super::{figure, grammar_sha256, sha256_hex, shown_spec, Input, Protocol, Row, Status};
use super::{SEALED, TRIALC_VERSION};
use crate::analysis::convergence::{ESS_BULK_MIN, E_BFMI_MIN, RHAT_MAX};
use crate::codes::{self, Code};
use crate::diagnostic::{Diagnostic, Span};
use crate::fit::RunSettings;
use crate::hir::{self, Blinding, OutcomeType, PriorDist};
use crate::schedule::render::day_ranges;
use crate::schedule::{Design, Measured, SCHEDULE_DOMAIN};
use crate::syntax::ast;

/// Where the unlabelled paragraphs of a doc comment belong.
#[derive(Debug, Clone, PartialEq)]
enum Home {
    Trial,
    Hypotheses(String),
    Data,
    Arm(String),
    Schedule,
    Outcome(String),
    Model(String),
    Decide,
    Report,
}

struct Builder<'a> {
    input: &'a Input,
    spec: &'a hir::Spec,
    doc: Document,
    /// Labelled paragraphs: (item, text, the spec item they were written on).
    labelled: Vec<(&'static Item, String, String)>,
    /// Unlabelled paragraphs by home.
    homed: Vec<(Home, String)>,
    rows: Vec<Row>,
    diagnostics: Vec<Diagnostic>,
    section: usize,
    subsection: usize,
    /// Section number of each item's anchor, for references.
    numbers: Vec<(&'static str, String)>,
}

pub fn build(input: &Input) -> Protocol {
    let spec = &input.spec;
    let title = spec
        .trial
        .title
        .clone()
        .unwrap_or_else(|| spec.trial.id.clone());
    let mut b = Builder {
        input,
        spec,
        doc: Document::new(format!("Protocol: {title} — an N-of-1 trial")),
        labelled: Vec::new(),
        homed: Vec::new(),
        rows: Vec::new(),
        diagnostics: Vec::new(),
        section: 0,
        subsection: 0,
        numbers: Vec::new(),
    };
    b.collect_docs();
    b.number_items();
    b.front_matter();
    b.administrative();
    b.introduction();
    b.methods();
    b.assignment();
    b.analysis();
    b.monitoring();
    b.ethics();
    b.checklist();
    b.appendix();
    Protocol {
        document: b.doc,
        checklist: b.rows,
        diagnostics: b.diagnostics,
    }
}

/// Which items each numbered section holds, in order.
const SECTIONS: &[(&str, &str, &[&str])] = &[
    (
        "admin",
        "Administrative information",
        &["title", "registration", "version", "funding", "roles"],
    ),
    (
        "introduction",
        "Introduction",
        &[
            "background",
            "why-n-of-1",
            "comparator",
            "objectives",
            "design",
        ],
    ),
    (
        "methods",
        "Participant, interventions and outcomes",
        &[
            "setting",
            "eligibility",
            "interventions",
            "appearance",
            "run-in",
            "washout",
            "modifications",
            "adherence",
            "concomitant",
            "outcomes",
            "mcid",
            "timeline",
            "length",
            "recruitment",
        ],
    ),
    (
        "assignment",
        "Assignment of interventions",
        &[
            "sequence",
            "concealment",
            "implementation",
            "blinding",
            "unblinding",
        ],
    ),
    (
        "analysis",
        "Data collection, management and analysis",
        &[
            "data-collection",
            "retention",
            "data-management",
            "model",
            "decision",
            "sensitivity",
            "missing",
        ],
    ),
    (
        "monitoring-section",
        "Monitoring",
        &["monitoring", "interim", "harms", "auditing"],
    ),
    (
        "ethics-section",
        "Ethics and dissemination",
        &[
            "ethics",
            "amendments",
            "consent",
            "confidentiality",
            "interests",
            "data-access",
            "post-trial",
            "dissemination",
            "consent-materials",
            "specimens",
        ],
    ),
];

fn date(b: &Builder<'_>, day: u64) -> Option<String> {
    b.input
        .schedule
        .date_of_day(day)
        .map(|d| d.format("%Y-%m-%d").to_string())
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl<'a> Builder<'a> {
    fn collect_docs(&mut self) {
        for item in &self.input.ast.items {
            let Some(doc) = &item.doc else { continue };
            let (home, from) = match &item.kind {
                ast::ItemKind::Trial(_) => (Some(Home::Trial), "trial".to_string()),
                ast::ItemKind::Hypotheses(h) => (
                    Some(Home::Hypotheses(h.name.node.clone())),
                    format!("hypotheses {}", h.name.node),
                ),
                ast::ItemKind::Data(_) => (Some(Home::Data), "data".into()),
                ast::ItemKind::Arm(a) => (
                    Some(Home::Arm(a.name.node.clone())),
                    format!("arm {}", a.name.node),
                ),
                ast::ItemKind::Schedule(_) => (Some(Home::Schedule), "schedule".into()),
                ast::ItemKind::Outcome(o) => (
                    Some(Home::Outcome(o.name.node.clone())),
                    format!("outcome {}", o.name.node),
                ),
                ast::ItemKind::Model(m) => (
                    Some(Home::Model(m.outcome.node.clone())),
                    format!("model {}", m.outcome.node),
                ),
                ast::ItemKind::Decide(_) => (Some(Home::Decide), "decide".into()),
                ast::ItemKind::Report(_) => (Some(Home::Report), "report".into()),
                ast::ItemKind::Simulate(_) => (None, "simulate".into()),
                ast::ItemKind::Use(_) => (None, "use".into()),
                ast::ItemKind::Design(d) => (None, format!("design {}", d.name.node)),
                ast::ItemKind::PriorPreset(p) => (None, format!("prior {}", p.name.node)),
            };
            let seeds: Vec<u64> = super::seeds(&self.input.ast)
                .iter()
                .map(|s| s.node)
                .collect();
            for (label, paragraph) in super::paragraphs(doc) {
                let paragraph = super::seal(&paragraph, &seeds);
                match (label, &home) {
                    (Some(item), _) => self.labelled.push((item, paragraph, from.clone())),
                    (None, Some(h)) => self.homed.push((h.clone(), paragraph)),
                    (None, None) => {}
                }
            }
        }
    }

    fn number_items(&mut self) {
        for (s, (_, _, ids)) in SECTIONS.iter().enumerate() {
            for (i, id) in ids.iter().enumerate() {
                self.numbers.push((id, format!("{}.{}", s + 1, i + 1)));
            }
        }
    }

    fn number(&self, id: &str) -> String {
        self.numbers
            .iter()
            .find(|(i, _)| *i == id)
            .map_or_else(|| "?".into(), |(_, n)| n.clone())
    }

    fn section(&mut self, id: &str, title: &str) {
        self.section += 1;
        self.subsection = 0;
        self.doc
            .heading(2, id, format!("{}. {title}", self.section));
    }

    /// Starts an item's subsection.
    fn item(&mut self, id: &str) -> &'static Item {
        self.subsection += 1;
        let item = by_id(id);
        let tag = if item.n_of_1 {
            format!("SPIRIT {}, SPENT", item.number)
        } else {
            format!("SPIRIT {}", item.number)
        };
        self.doc.heading(
            3,
            item.id,
            format!("{}.{} {} ({tag})", self.section, self.subsection, item.name),
        );
        item
    }

    fn homed(&self, home: &Home) -> Vec<String> {
        self.homed
            .iter()
            .filter(|(h, _)| h == home)
            .map(|(_, p)| p.clone())
            .collect()
    }

    /// Writes the item's labelled paragraphs; where they were written.
    fn labelled_text(&mut self, item: &'static Item) -> Option<String> {
        let found: Vec<(String, String)> = self
            .labelled
            .iter()
            .filter(|(i, _, _)| std::ptr::eq(*i, item))
            .map(|(_, t, f)| (t.clone(), f.clone()))
            .collect();
        if found.is_empty() {
            return None;
        }
        let mut froms: Vec<String> = found.iter().map(|(_, f)| format!("`{f}`")).collect();
        froms.dedup();
        self.doc
            .push(Block::Quote(found.into_iter().map(|(t, _)| t).collect()));
        Some(format!(
            "`{}:` in the doc comment of {}",
            item.labels[0],
            froms.join(", ")
        ))
    }

    fn quote(&mut self, paragraphs: Vec<String>) -> bool {
        if paragraphs.is_empty() {
            return false;
        }
        self.doc.push(Block::Quote(paragraphs));
        true
    }

    fn addressed(&mut self, item: &'static Item, by: impl Into<String>) {
        self.rows.push(Row {
            item,
            status: Status::Addressed { by: by.into() },
        });
    }

    /// Flags an item nothing addresses: a gap in the text, a warning, a row.
    fn gap(
        &mut self,
        item: &'static Item,
        code: Code,
        what: &str,
        help: String,
        span: Span,
        label: &str,
    ) {
        self.doc.push(Block::Gap {
            code: code.as_str().into(),
            text: text(format!("{what} {help}")),
        });
        let tag = if item.n_of_1 {
            "SPIRIT/SPENT"
        } else {
            "SPIRIT"
        };
        self.diagnostics.push(
            Diagnostic::warning(
                code,
                format!(
                    "the protocol does not address {tag} item {} ({}): {}",
                    item.number,
                    lower_first(item.name),
                    lower_first(what.trim_end_matches('.'))
                ),
            )
            .with_primary(span, label)
            .with_help(help),
        );
        self.rows.push(Row {
            item,
            status: Status::Missing { code },
        });
    }

    /// The usual gap: a `Label:` paragraph that nobody wrote.
    fn prose_gap(&mut self, item: &'static Item, what: &str) {
        let help = format!(
            "Write it in the spec as a doc-comment paragraph that starts `{}:` (for instance in the `///` comment above `trial`).",
            item.labels[0]
        );
        let span = self.spec.trial.span;
        self.gap(
            item,
            codes::W1101,
            what,
            help,
            span,
            "no doc comment of this trial's spec addresses it",
        );
    }

    /// An item only prose can address: its paragraphs, or a gap.
    fn prose(&mut self, id: &str, what: &str) {
        let item = self.item(id);
        match self.labelled_text(item) {
            Some(by) => self.addressed(item, by),
            None => self.prose_gap(item, what),
        }
    }

    /// A generated item: what the spec says, then any labelled paragraphs.
    fn generated(&mut self, item: &'static Item, by: &str) {
        let extra = self.labelled_text(item);
        let by = match extra {
            Some(e) => format!("{by}; {e}"),
            None => by.to_string(),
        };
        self.addressed(item, by);
    }

    // ------------------------------------------------------------ front

    fn front_matter(&mut self) {
        let spec = self.spec;
        let t = &spec.trial;
        let mut rows = vec![vec![text("Trial"), L::new().c(&t.id).done()]];
        if let Some(title) = &t.title {
            rows.push(vec![text("Title"), plain(title.clone())]);
        }
        for (k, v) in [
            ("Version", &t.version),
            ("Sponsor", &t.sponsor),
            ("Registration", &t.registry),
        ] {
            rows.push(vec![
                text(k),
                plain(v.clone().unwrap_or_else(|| "not given".into())),
            ]);
        }
        rows.push(vec![
            text("Spec"),
            L::new()
                .c(&self.input.name)
                .t(", SHA-256 (as shown in ")
                .r("Appendix A", "appendix-spec")
                .t(") ")
                .c(sha256_hex(shown_spec(self.input).as_bytes()))
                .done(),
        ]);
        rows.push(vec![
            text("Generated by"),
            L::new()
                .c(format!("trialc {TRIALC_VERSION}"))
                .t(" (trialc protocol)")
                .done(),
        ]);
        self.doc.table(&["", ""], rows);
        self.doc.para(
            L::new()
                .t("This protocol is generated from the trial's machine-readable spec. It follows SPIRIT 2013 item by item, with the N-of-1 items of its extension SPENT 2019. What the spec fixes (arms, schedule, outcomes, model, priors, decision rules) is written from the checked spec; the rest comes from the spec's ")
                .c("///")
                .t(" doc comments. Items nothing addresses are marked ")
                .b("Not addressed")
                .t(" with a warning code; the ")
                .r("checklist", "checklist")
                .t(" at the end lists every item. The randomization seed is not in this document (")
                .r(format!("§{}", self.number("concealment")), "concealment")
                .t(").")
                .done(),
        );
    }

    // ------------------------------------------------------------ 1

    fn administrative(&mut self) {
        let t = self.spec.trial.clone();
        self.section(SECTIONS[0].0, SECTIONS[0].1);

        let item = self.item("title");
        match &t.title {
            Some(title) => {
                self.doc.para(
                    L::new()
                        .i(title.clone())
                        .t(": an N-of-1 (single-participant, multiple crossover) trial.")
                        .done(),
                );
                self.generated(item, "`title` of `trial`, and this document's title");
            }
            None => {
                self.doc.para(
                    L::new()
                        .t("The spec gives no title; the trial's id ")
                        .c(&t.id)
                        .t(" stands in.")
                        .done(),
                );
                let span = self.spec.trial.span;
                self.gap(
                    item,
                    codes::W1101,
                    "The trial has no title.",
                    "Add `title \"…\"` to the `trial` block.".into(),
                    span,
                    "no `title`",
                );
            }
        }

        let item = self.item("registration");
        let extra = self.labelled_text(item);
        match (&t.registry, extra) {
            (Some(r), extra) => {
                self.doc.para(plain(format!("Registered as: {r}.")));
                let by = extra.map_or(String::new(), |e| format!("; {e}"));
                self.addressed(item, format!("`registry` of `trial`{by}"));
            }
            (None, Some(e)) => self.addressed(item, e),
            (None, None) => {
                let span = self.spec.trial.span;
                self.gap(
                    item,
                    codes::W1101,
                    "The trial has no registration.",
                    "Add `registry \"…\"` to the `trial` block (the register and its number)."
                        .into(),
                    span,
                    "no `registry`",
                );
            }
        }

        let item = self.item("version");
        match &t.version {
            Some(v) => {
                self.doc.para(
                    L::new()
                        .t(format!(
                            "Protocol version {v}. Every amendment changes it ("
                        ))
                        .r(format!("§{}", self.number("amendments")), "amendments")
                        .t(").")
                        .done(),
                );
                self.generated(item, "`version` of `trial`");
            }
            None => {
                let span = self.spec.trial.span;
                self.gap(item, codes::W1101, "The protocol has no version.", "Add `version \"1.0.0\"` to the `trial` block and change it with every amendment.".into(), span, "no `version`");
            }
        }

        self.prose(
            "funding",
            "Who funds the trial and supplies the treatments.",
        );
        let item = self.item("roles");
        if let Some(s) = &t.sponsor {
            self.doc.para(plain(format!("Sponsor: {s}.")));
        }
        match self.labelled_text(item) {
            Some(by) => self.addressed(item, by),
            None => self.prose_gap(item, "Who does what: the treating clinician, who prepares and dispenses the treatments, who analyses, who may unblind."),
        }
    }

    // ------------------------------------------------------------ 2

    fn introduction(&mut self) {
        let spec = self.spec;
        self.section(SECTIONS[1].0, SECTIONS[1].1);

        let item = self.item("background");
        let own = self.quote(self.homed(&Home::Trial));
        let extra = self.labelled_text(item);
        self.hypotheses();
        match (own, extra) {
            (true, Some(e)) => self.addressed(item, format!("the doc comment of `trial`; {e}")),
            (true, None) => self.addressed(item, "the doc comment of `trial`"),
            (false, Some(e)) => self.addressed(item, e),
            (false, None) => self.prose_gap(item, "The background: the participant's condition, the treatments tried, the evidence for the arms."),
        }

        let item = self.item("why-n-of-1");
        self.doc.para(text("SPENT asks why the question suits an N-of-1 trial: a chronic, stable condition; a treatment whose effect starts and wears off quickly enough for the periods; an outcome the participant can measure often; and a decision that is about this participant."));
        match self.labelled_text(item) {
            Some(by) => self.addressed(item, by),
            None => self.prose_gap(
                item,
                "Why this question is answered by an N-of-1 trial for this participant.",
            ),
        }

        let item = self.item("comparator");
        let reference = &spec.arms[spec.reference];
        self.doc.para(
            L::new()
                .t("Every effect is estimated against the reference arm ")
                .c(&reference.name)
                .t(format!(
                    ": {}.",
                    reference.description.as_deref().unwrap_or("no description")
                ))
                .done(),
        );
        let own = self.quote(self.homed(&Home::Arm(reference.name.clone())));
        let extra = self.labelled_text(item);
        match (own, extra) {
            (true, e) => self.addressed(
                item,
                format!(
                    "the doc comment of `arm {}`{}",
                    reference.name,
                    e.map_or(String::new(), |e| format!("; {e}"))
                ),
            ),
            (false, Some(e)) => self.addressed(item, e),
            (false, None) => self.prose_gap(
                item,
                "Why this reference arm (placebo, usual care, the current treatment).",
            ),
        }

        let item = self.item("objectives");
        let primary = spec.outcomes.iter().position(|o| o.primary).unwrap_or(0);
        let p = &spec.outcomes[primary];
        let arms: Vec<String> = spec
            .arms
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != spec.reference)
            .map(|(_, a)| format!("`{}`", a.name))
            .collect();
        let mut l = L::new()
            .b("Primary:")
            .t(" to estimate, for this participant, the effect of ");
        l.0.extend(md_code_spans(&arms.join(" and of ")));
        let mut l = l
            .t(" against ")
            .c(&reference.name)
            .t(" on ")
            .c(&p.name)
            .t(format!(
                " ({})",
                p.description.as_deref().unwrap_or("no description")
            ));
        if spec.rules.iter().any(|r| {
            matches!(
                r,
                hir::Rule::When {
                    kind: hir::RuleKind::Recommend { .. },
                    ..
                }
            )
        }) {
            l = l
                .t(", and to decide by the pre-specified rules (")
                .r(format!("§{}", self.number("decision")), "decision")
                .t(") which arm to recommend.");
        } else {
            l = l.t(".");
        }
        self.doc.para(l.done());
        let secondary: Vec<Line> = spec
            .outcomes
            .iter()
            .filter(|o| !o.primary)
            .map(|o| {
                L::new()
                    .c(&o.name)
                    .t(format!(
                        ": {}",
                        o.description.as_deref().unwrap_or("no description")
                    ))
                    .done()
            })
            .collect();
        if !secondary.is_empty() {
            self.doc.para(
                L::new()
                    .b("Secondary:")
                    .t(" to estimate the same effects on")
                    .done(),
            );
            self.doc.push(Block::List(secondary));
        }
        self.generated(item, "the primary outcome and the `decide` block");

        let item = self.item("design");
        self.design_paragraph();
        let show = !self.input.schedule.design.is_randomized();
        self.doc.push(Block::Figure {
            svg: figure::timeline(&self.input.schedule, show),
            caption: format!(
                "The trial's {} days: {}periods, and the days on which each outcome is measured ({}).",
                self.input.schedule.total_days,
                if self.input.schedule.run_in_days > 0 { "run-in, " } else { "" },
                match (show, self.input.schedule.washout_days > 0) {
                    (true, true) => "dark: analysed; grey: run-in or washout",
                    (true, false) | (false, false) => "dark: analysed; grey: run-in",
                    (false, true) => "dark: in a period, analysed unless in a washout; grey: run-in",
                }
            ),
        });
        self.generated(item, "the `schedule` block");
    }

    fn design_paragraph(&mut self) {
        let spec = self.spec;
        let s = &self.input.schedule;
        let k = s.n_arms() as u64;
        let n = s.periods.len() as u64;
        let randomized = s.design.is_randomized();
        let blinding = match spec.schedule.blinding {
            Blinding::Open => "open-label",
            Blinding::Single => "single-blind",
            Blinding::Double => "double-blind",
        };
        let mut l = L::new().t(format!(
            "{} {blinding} multiple crossover trial in one participant: {} ({}), {} of {} (",
            if randomized {
                "A randomized,"
            } else {
                "A non-randomized,"
            },
            plural(k, "arm", "arms"),
            spec.arms
                .iter()
                .map(|a| a.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
            plural(n, "period", "periods"),
            crate::schedule::render::period_length(s),
        ));
        l = l.c(format!("sequence {}", design_words(&s.design, randomized)));
        if n.is_multiple_of(k) {
            l = l.t(format!(", {}", plural(n / k, "cycle", "cycles")));
        }
        if let Some(m) = s.max_run {
            l = l.t(format!(", at most {m} consecutive periods on one arm"));
        }
        l = l.t(")");
        if s.run_in_days > 0 {
            l = l.t(format!(
                ", after a run-in of {}",
                plural(s.run_in_days, "day", "days")
            ));
        }
        if s.washout_days > 0 {
            l = l.t(format!(
                "; the first {} of a period after a change of arm are not analysed",
                plural(s.washout_days, "day", "days")
            ));
        }
        if spec.schedule.carryover_modelled {
            l = l.t("; carryover is modelled");
        }
        l = l.t(format!(". {} in all", plural(s.total_days, "day", "days")));
        if let (Some(a), Some(b)) = (date(self, 1), date(self, s.total_days)) {
            l = l.t(format!(", from {a} to {b}"));
        }
        l = l.t(".");
        self.doc.para(l.done());
    }

    fn hypotheses(&mut self) {
        let spec = self.spec;
        if self.input.hypotheses.is_empty() {
            return;
        }
        self.doc.para(L::new().b("Prior knowledge from a foundation model.").t(" The spec reads ranked hypotheses produced by a foundation model (LFM); trialc never calls a model, it reads what one produced. Each file's provenance is in ").r("Appendix B", "appendix-provenance").t("; the hypotheses the model proposed:").done());
        for h in &self.input.hypotheses {
            let source = spec.hypotheses.iter().find(|s| s.name == h.source);
            let g = &h.file.generator;
            self.doc.para(
                L::new()
                    .c(&h.source)
                    .t(" (")
                    .c(&h.path)
                    .t(format!(
                        "): {} {}, created {}{}.",
                        g.model,
                        g.version,
                        g.created,
                        h.file
                            .participant
                            .as_ref()
                            .map_or(String::new(), |p| format!(", participant {p}"))
                    ))
                    .done(),
            );
            let mut rows = Vec::new();
            let mut hyps: Vec<&crate::hypotheses::Hypothesis> = h.file.hypotheses.iter().collect();
            hyps.sort_by_key(|x| x.rank);
            for x in hyps {
                let arm = source.map_or(x.intervention.as_str(), |s| s.arm_name(&x.intervention));
                let outcome = source.map_or(x.outcome.as_str(), |s| s.outcome_name(&x.outcome));
                let used = uses_hypothesis(spec, &h.source, &x.id);
                rows.push(vec![
                    L::new().c(format!("{}.{}", h.source, x.id)).done(),
                    text(x.rank.to_string()),
                    L::new().t(x.intervention.clone()).t(" → ").c(arm).done(),
                    L::new().t(x.outcome.clone()).t(" → ").c(outcome).done(),
                    text(format!(
                        "mean {}, sd {}{}",
                        num(x.effect.mean),
                        num(x.effect.sd),
                        x.effect
                            .scale
                            .as_ref()
                            .map_or(String::new(), |s| format!(" ({s})"))
                    )),
                    text(if used { "prior" } else { "not used" }),
                    plain(x.rationale.clone().unwrap_or_default()),
                ]);
            }
            self.doc.table(
                &[
                    "hypothesis",
                    "rank",
                    "intervention",
                    "outcome",
                    "effect",
                    "in this trial",
                    "the model's rationale",
                ],
                rows,
            );
        }
        if let Some(paragraphs) = Some(
            spec.hypotheses
                .iter()
                .flat_map(|s| self.homed(&Home::Hypotheses(s.name.clone())))
                .collect::<Vec<_>>(),
        ) {
            self.quote(paragraphs);
        }
    }

    // ------------------------------------------------------------ 3

    fn methods(&mut self) {
        let spec = self.spec;
        let s = &self.input.schedule;
        self.section(SECTIONS[2].0, SECTIONS[2].1);
        self.prose(
            "setting",
            "Where the trial runs (clinic, home) and who supervises it.",
        );
        self.prose(
            "eligibility",
            "Why this participant is eligible: diagnosis, inclusion and exclusion criteria.",
        );

        let item = self.item("interventions");
        let rows: Vec<Vec<Line>> = spec
            .arms
            .iter()
            .map(|a| {
                vec![
                    L::new().c(&a.name).done(),
                    plain(
                        a.description
                            .clone()
                            .unwrap_or_else(|| "no description".into()),
                    ),
                    text(if a.is_reference {
                        "reference"
                    } else {
                        "treatment"
                    }),
                ]
            })
            .collect();
        self.doc
            .table(&["arm", "description (dose, form, timing)", "role"], rows);
        for a in &spec.arms {
            let paragraphs = self.homed(&Home::Arm(a.name.clone()));
            if !paragraphs.is_empty() {
                self.doc.para(L::new().c(&a.name).t(":").done());
                self.quote(paragraphs);
            }
        }
        self.generated(item, "the `arm` declarations");

        let item = self.item("appearance");
        if spec.schedule.blinding == Blinding::Open {
            self.doc.para(text("Open-label: the participant and the clinician know which arm is taken, so the arms need not look alike."));
            self.generated(item, "`blinding open`");
        } else {
            self.doc.para(text(format!(
                "The trial is {}-blind, so the arms must be indistinguishable to those blinded: appearance, taste, packaging, timing.",
                spec.schedule.blinding.name()
            )));
            match self.labelled_text(item) {
                Some(by) => self.addressed(item, by),
                None => self.prose_gap(
                    item,
                    "How the arms are made to look alike (matching capsules, packaging, taste).",
                ),
            }
        }

        let item = self.item("run-in");
        if s.run_in_days > 0 {
            let dates = match (date(self, 1), date(self, s.run_in_days)) {
                (Some(a), Some(b)) => format!(", {a} to {b}"),
                _ => String::new(),
            };
            self.doc.para(text(format!(
                "A run-in of {} (days 1–{}{dates}) precedes the first period: no study treatment, the diary is kept, and the days are not analysed for effects.",
                plural(s.run_in_days, "day", "days"),
                s.run_in_days
            )));
            self.generated(item, "`run_in` of `schedule`");
        } else {
            self.doc
                .para(text("No run-in: the first period starts on day 1."));
            self.generated(item, "the `schedule` block (no `run_in`)");
        }

        let item = self.item("washout");
        let mut l = L::new();
        if s.washout_days > 0 {
            l = l.t(format!(
                "The first {} of every period that follows a period on another arm are washout: the new arm is taken and the diary kept, but the days are not analysed, because the previous arm may still act. A period that repeats the previous arm, and the first period, have no washout; at least {} of every period are analysed.",
                plural(s.washout_days, "day", "days"),
                plural(
                    s.period_range()
                        .map_or(0, |(shortest, _)| shortest.saturating_sub(s.washout_days)),
                    "day",
                    "days"
                )
            ));
        } else {
            l = l.t("No washout: every day of every period is analysed.");
        }
        if spec.schedule.carryover_modelled {
            l = l.t(" Carryover is modelled: a term for the previous arm enters the model on every day of a period that follows a change (").r(format!("§{}", self.number("model")), "model").t(").");
        }
        self.doc.para(l.done());
        let own = self.quote(self.homed(&Home::Schedule));
        let extra = self.labelled_text(item);
        match (own, extra) {
            (true, e) => self.addressed(item, format!("`washout` and the doc comment of `schedule`{}", e.map_or(String::new(), |e| format!("; {e}")))),
            (false, Some(e)) => self.addressed(item, format!("`washout` of `schedule`; {e}")),
            (false, None) => self.prose_gap(
                item,
                if s.washout_days > 0 {
                    "Why this washout is long enough (the treatment's half-life, how fast its effect fades)."
                } else {
                    "Why no washout is needed (the effect starts and stops at once, or carryover is modelled)."
                },
            ),
        }

        self.prose("modifications", "When an arm is modified or stopped for this participant (intolerance, a serious adverse event).");
        self.prose(
            "adherence",
            "How adherence is checked (capsule counts, the diary's arm column).",
        );
        self.prose(
            "concomitant",
            "Which other treatments are allowed or forbidden during the trial (rescue medication).",
        );
        self.outcomes();
        self.timeline();
        self.length();
        self.prose(
            "recruitment",
            "How the participant came to the trial (referral in routine care, self-referral).",
        );
    }

    fn outcomes(&mut self) {
        let spec = self.spec;
        let item = self.item("outcomes");
        let mut rows = Vec::new();
        for o in &spec.outcomes {
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
                OutcomeType::Count {
                    overdispersed: false,
                } => "count".into(),
                OutcomeType::Count {
                    overdispersed: true,
                } => "count, overdispersed".into(),
                OutcomeType::Ordinal { low, high } => format!("ordinal {low}..{high}"),
            };
            let days = self
                .input
                .schedule
                .outcomes
                .iter()
                .find(|d| d.name == o.name)
                .map_or(0, |d| d.days.len());
            rows.push(vec![
                L::new().c(&o.name).done(),
                plain(
                    o.description
                        .clone()
                        .unwrap_or_else(|| "no description".into()),
                ),
                text(if o.primary { "primary" } else { "secondary" }),
                text(kind),
                text(format!("{} ({days} days)", measured_words(&o.measured))),
                text(match o.better {
                    hir::Direction::Lower => "lower",
                    hir::Direction::Higher => "higher",
                }),
                text(match o.mcid {
                    Some(m) => format!(
                        "{} {}",
                        exact(m),
                        match (o.kind, &o.unit) {
                            (OutcomeType::Continuous { .. }, Some(u)) => u.clone(),
                            _ => o.kind.effect_scale().to_string(),
                        }
                    ),
                    None => "none".into(),
                }),
            ]);
        }
        self.doc.table(
            &[
                "outcome",
                "what is measured",
                "role",
                "type",
                "measured",
                "better",
                "MCID",
            ],
            rows,
        );
        for o in &spec.outcomes {
            let paragraphs = self.homed(&Home::Outcome(o.name.clone()));
            if !paragraphs.is_empty() {
                self.doc.para(L::new().c(&o.name).t(":").done());
                self.quote(paragraphs);
            }
        }
        self.doc.para(text("Measurement days: daily = every trial day; weekly = days 7, 14, 21, … counted from day 1; per period = the last day of each period; on days [...] = those days of every period. Run-in days are recorded but never used to estimate effects."));
        self.generated(item, "the `outcome` blocks");

        let item = self.item("mcid");
        let primary = spec.outcomes.iter().find(|o| o.primary);
        match primary {
            Some(p) if p.mcid.is_some() => {
                self.doc.para(
                    L::new()
                        .t("The smallest effect worth having on the primary outcome ")
                        .c(&p.name)
                        .t(format!(
                            " is {} ({}), in the direction ",
                            exact(p.mcid.unwrap_or_default()),
                            match (p.kind, &p.unit) {
                                (OutcomeType::Continuous { .. }, Some(u)) => u.clone(),
                                _ => p.kind.effect_scale().to_string(),
                            },
                        ))
                        .c(format!(
                            "better {}",
                            if p.better == hir::Direction::Lower {
                                "lower"
                            } else {
                                "higher"
                            }
                        ))
                        .t(".")
                        .done(),
                );
                let extra = self.labelled_text(item);
                self.addressed(
                    item,
                    format!(
                        "`mcid` of `outcome {}`{}",
                        p.name,
                        extra.map_or(String::new(), |e| format!("; {e}"))
                    ),
                );
            }
            Some(p) => {
                let (name, span) = (p.name.clone(), p.span);
                let extra = self.labelled_text(item);
                if let Some(e) = extra {
                    self.addressed(item, e);
                } else {
                    self.gap(
                        item,
                        codes::W1103,
                        &format!("The primary outcome `{name}` has no MCID."),
                        format!("Add `mcid N` to `outcome {name}`: the smallest change the participant would call worthwhile, on the effect's scale."),
                        span,
                        "the primary outcome",
                    );
                }
            }
            None => {}
        }
    }

    fn timeline(&mut self) {
        let s = &self.input.schedule;
        let item = self.item("timeline");
        let exact_days = !s.design.is_randomized();
        let mut rows = Vec::new();
        if s.run_in_days > 0 {
            rows.push(vec![
                text("run-in"),
                text(""),
                text(format!("1–{}", s.run_in_days)),
                text(match (date(self, 1), date(self, s.run_in_days)) {
                    (Some(a), Some(b)) => format!("{a} to {b}"),
                    _ => String::new(),
                }),
                text("none"),
                text("—"),
            ]);
        }
        for p in &s.periods {
            let washout = if exact_days {
                if p.washout_days > 0 {
                    format!("days {}–{}", p.first_day, p.first_day + p.washout_days - 1)
                } else {
                    "none".into()
                }
            } else if s.washout_days > 0 && p.number > 1 {
                format!(
                    "days {}–{} if the arm changed",
                    p.first_day,
                    p.first_day + s.washout_days - 1
                )
            } else {
                "none".into()
            };
            let arm: Line = if exact_days {
                L::new().c(arm_name(self.spec, p.arm)).done()
            } else {
                text("concealed")
            };
            rows.push(vec![
                text(format!("period {}", p.number)),
                text(p.cycle.to_string()),
                text(format!("{}–{}", p.first_day, p.last_day)),
                text(match (date(self, p.first_day), date(self, p.last_day)) {
                    (Some(a), Some(b)) => format!("{a} to {b}"),
                    _ => String::new(),
                }),
                arm,
                text(washout),
            ]);
        }
        self.doc
            .table(&["phase", "cycle", "days", "dates", "arm", "washout"], rows);
        let mut measured = Vec::new();
        for o in &s.outcomes {
            let shown = if o.measured == Measured::Daily {
                format!("every day, 1–{}", s.total_days)
            } else {
                let days = day_ranges(&o.days);
                if days.len() > 160 {
                    format!("{} days", o.days.len())
                } else {
                    format!("days {days}")
                }
            };
            measured.push(L::new().c(&o.name).t(format!(": {shown}")).done());
        }
        self.doc.para(text("Measurement days by outcome:"));
        self.doc.push(Block::List(measured));
        if !exact_days {
            self.doc.para(text("The arm of each period is not shown: it is drawn at random and concealed. The participant's copy of the schedule codes the arms (`trialc schedule --blinded`)."));
        }
        self.generated(item, "the schedule built from `schedule`");
    }

    fn length(&mut self) {
        let s = &self.input.schedule;
        let spec = self.spec;
        let item = self.item("length");
        let k = s.n_arms().max(1) as u64;
        let n = s.periods.len() as u64;
        let per_arm = crate::schedule::periods_per_arm(&s.design, s.n_arms(), n);
        let least = per_arm.iter().copied().min().unwrap_or(0);
        let shortest = s.period_range().map_or(0, |(shortest, _)| shortest);
        let analysed_min = least * shortest.saturating_sub(s.washout_days);
        let _ = k;
        self.doc.para(text(format!(
            "The trial lasts {} ({} of {}). Each arm is given in at least {}; with a daily outcome and no day missing, that is at least {} analysed days per arm (after washouts).",
            plural(s.total_days, "day", "days"),
            plural(n, "period", "periods"),
            crate::schedule::render::period_length(s),
            plural(least, "period", "periods"),
            analysed_min
        )));
        self.doc.para(text("trialc has no design simulation yet: it cannot yet compute how often these decision rules reach a recommendation at this length. Until it can, the justification is the trialists' own."));
        match self.labelled_text(item) {
            Some(by) => self.addressed(item, by),
            None => {
                let span = spec
                    .schedule
                    .field_spans
                    .cycles
                    .or(spec.schedule.field_spans.periods)
                    .unwrap_or(spec.schedule.span);
                self.gap(
                    item,
                    codes::W1102,
                    "Nothing justifies the number and length of the periods.",
                    "Write a doc-comment paragraph that starts `Trial length:` (above `schedule`): the expected precision of the primary effect, or how often the rules decide at this length.".into(),
                    span,
                    "the trial's length",
                );
            }
        }
        let _ = spec;
    }

    // ------------------------------------------------------------ 4

    fn assignment(&mut self) {
        let spec = self.spec;
        let s = &self.input.schedule;
        self.section(SECTIONS[3].0, SECTIONS[3].1);
        let randomized = s.design.is_randomized();

        let item = self.item("sequence");
        if randomized {
            let restriction = match s.design {
                Design::RandomizedPairs => {
                    "each cycle is the pair in one order or the other".to_string()
                }
                _ => "each cycle is an order of all arms".to_string(),
            };
            let mut l = L::new().t(format!(
                "The sequence of arms is drawn uniformly at random among the {} admissible sequences of the design ",
                s.admissible_count
            ))
            .c(design_words(&s.design, true))
            .t(format!(" over {}: {restriction}", plural(s.n_cycles(), "cycle", "cycles")));
            if let Some(m) = s.max_run {
                l = l.t(format!(", and no arm is given in more than {m} consecutive periods (across cycle boundaries)"));
            }
            l = l.t(". The draw is ChaCha20 keyed by SHA-256 of ").c(String::from_utf8_lossy(SCHEDULE_DOMAIN).into_owned()).t(" and the seed, with trialc's own exact uniform unranking: the same spec gives the same sequence on every machine and with every version of trialc (docs/schedule.md).");
            self.doc.para(l.done());
        } else {
            let letters: Vec<String> = s
                .sequence()
                .iter()
                .map(|&a| arm_name(spec, a).to_string())
                .collect();
            self.doc.para(
                L::new()
                    .t("Not randomized: the design ")
                    .c(design_words(&s.design, false))
                    .t(format!(" fixes the sequence, {}.", letters.join(", ")))
                    .done(),
            );
        }
        self.generated(
            item,
            "`sequence`, `max_run` and `cycles`/`periods` of `schedule`",
        );

        let item = self.item("concealment");
        let seeded = spec.schedule.field_spans.seed.is_some();
        if randomized || (seeded && spec.schedule.blinding != Blinding::Open) {
            self.doc.para(L::new()
                .t("This document holds neither the seed, which draws both the sequence and the blinding codes, nor the sequence, nor the codes: any of them would unblind the trial. The seed is replaced by ")
                .c(SEALED)
                .t(" wherever it would appear (")
                .r("Appendix A", "appendix-spec")
                .t("). Only the party that prepares and dispenses the treatments (usually the pharmacy) keeps the full spec. From it, ")
                .c("trialc schedule")
                .t(" prints the unblinded schedule and ")
                .c("trialc schedule --key")
                .t(" the blinding key, for the pharmacy only; the participant and whoever assesses the outcomes receive the blinded schedule (")
                .c("trialc schedule --blinded")
                .t(", arms coded \"Treatment 1\", \"Treatment 2\", …). The spec with its seed is not given to the participant, the clinician or the ethics board.")
                .done());
            self.doc.para(L::new()
                .t("The SHA-256 in ")
                .r("Appendix A", "appendix-spec")
                .t(" is of the spec as shown, seed sealed: running ")
                .c("trialc protocol")
                .t(" on the pharmacy's spec gives the same hash, so anyone holding this protocol can check that a spec is the approved one without learning the seed. It does not fix the seed itself: trialc does not yet commit to it (a SHA-256 commitment in the spec to a secret key kept by the pharmacy, verified by the schedule command, is the planned design), so until then the pharmacy's copy of the spec is the record of the seed.")
                .done());
            let extra = self.labelled_text(item);
            self.addressed(
                item,
                format!(
                    "generated: seed sealed{}",
                    extra.map_or(String::new(), |e| format!("; {e}"))
                ),
            );
        } else if spec.schedule.blinding != Blinding::Open {
            self.doc.para(text("The design fixes the sequence, so there is no allocation to conceal; but the blinding codes are drawn from the seed, and this spec gives none."));
            let extra = self.labelled_text(item);
            match extra {
                Some(e) => self.addressed(item, e),
                None => {
                    let span = spec.schedule.span;
                    self.gap(
                        item,
                        codes::W1101,
                        "The trial is blinded, but without a seed its blinding codes are the same for every trial of this design and anyone can recompute them.",
                        "Give the schedule a `seed` and keep the spec with the pharmacy (the protocol seals it), or explain in a `Concealment:` paragraph how the arms are coded.".into(),
                        span,
                        "blinded, without a seed",
                    );
                }
            }
        } else {
            self.doc.para(text("Open-label and not randomized: the sequence is fixed by the design and known to everyone; there is no allocation to conceal."));
            let extra = self.labelled_text(item);
            self.addressed(
                item,
                format!(
                    "`sequence` and `blinding open`{}",
                    extra.map_or(String::new(), |e| format!("; {e}"))
                ),
            );
        }

        self.prose("implementation", "Who generates the schedule, who prepares and dispenses the treatments, who enrols the participant.");

        let item = self.item("blinding");
        let (who, how) = match spec.schedule.blinding {
            Blinding::Open => ("Open-label: nobody is blinded.", ""),
            Blinding::Single => ("Single-blind: the participant does not know which arm is taken.", " The participant's schedule codes the arms as \"Treatment 1\", \"Treatment 2\", …; the key is a separate document."),
            Blinding::Double => ("Double-blind: neither the participant nor the clinician who assesses the outcomes knows which arm is taken.", " Their schedules code the arms as \"Treatment 1\", \"Treatment 2\", …, in an order of codes drawn separately from the sequence; the key is a separate document for the pharmacy."),
        };
        self.doc.para(text(format!("{who}{how}")));
        self.generated(item, "`blinding` of `schedule`");

        let item = self.item("unblinding");
        if spec.schedule.blinding == Blinding::Open {
            self.doc.para(text("Open-label: nothing to unblind."));
            self.generated(item, "`blinding open`");
        } else {
            match self.labelled_text(item) {
                Some(by) => self.addressed(item, by),
                None => self.prose_gap(item, "When and by whom the blinding may be broken before the analysis (a serious adverse event), and when it is broken for the analysis."),
            }
        }
    }

    // ------------------------------------------------------------ 5

    fn analysis(&mut self) {
        let spec = self.spec;
        self.section(SECTIONS[4].0, SECTIONS[4].1);

        let item = self.item("data-collection");
        let columns: Vec<String> = spec.outcomes.iter().map(|o| o.name.clone()).collect();
        let mut l = L::new()
            .t("The participant keeps a diary, read as a CSV file with one row per day: ")
            .c("day")
            .t(" (or ")
            .c("date")
            .t("), ")
            .c("arm")
            .t(" (what was actually taken), and one column per outcome: ")
            .c(columns.join(", "))
            .t(". Values are checked against each outcome's type when the diary is read; a value out of range is an error naming its row, never clipped.");
        if let Some(d) = &spec.data {
            l = l.t(" The spec names the diary ").c(&d.value).t(".");
        }
        self.doc.para(l.done());
        self.quote(self.homed(&Home::Data));
        self.generated(item, "the outcomes and `data`");

        self.prose("retention", "How a complete diary is encouraged (reminders, the calendar export) and what happens if the participant stops early.");
        self.prose(
            "data-management",
            "Where the diary is stored, who can change it, and how it is checked.",
        );
        self.model_section();
        self.decision_section();
        self.sensitivity_section();

        let item = self.item("missing");
        self.doc.para(text("For each outcome the analysis uses the days with a recorded value on an arm, and counts every other day by reason, in this order: run-in, washout, not reached (after the diary's last day), no arm taken (the diary says none), missing (a scheduled day without a value), not scheduled. Missing values are not imputed: the model's likelihood covers the recorded days only, and AR(1) errors are exact across the gaps. A day on which the diary's arm differs from the schedule is a deviation: it is listed in the report and analysed under the arm taken. An arm with fewer than 2 analysed days for an outcome stops the analysis (E0716)."));
        self.generated(item, "trialc's analysis set (docs/model.md §2)");
    }

    fn model_section(&mut self) {
        let spec = self.spec;
        let item = self.item("model");
        self.doc.para(text("One Bayesian model per outcome, fitted to this participant's diary alone; outcomes share no parameters. Every prior is listed with where it comes from."));
        for model in &spec.models {
            let Some(outcome) = spec.outcomes.get(model.outcome) else {
                continue;
            };
            self.doc.para(
                L::new()
                    .b(outcome.name.clone())
                    .t(format!(
                        " ({}).",
                        outcome.description.as_deref().unwrap_or("no description")
                    ))
                    .done(),
            );
            self.doc
                .para(md_code_spans(&model::model_words(spec, outcome, model)));
            self.doc.push(Block::Pre {
                lang: "text".into(),
                text: model::formula(spec, outcome, model),
            });
            let mut rows = Vec::new();
            let mut details = Vec::new();
            for (name, prior, meaning) in model::parameters(spec, model) {
                let (source, detail) = self.prior_source(outcome, prior);
                rows.push(vec![
                    L::new().c(&name).done(),
                    L::new().c(prior_spec(prior)).done(),
                    source,
                    text(meaning),
                ]);
                details.extend(detail);
            }
            self.doc
                .table(&["parameter", "prior", "source", "meaning"], rows);
            for d in details {
                self.doc.para(d);
            }
            self.quote(self.homed(&Home::Model(outcome.name.clone())));
        }
        let settings = RunSettings::default();
        self.doc.para(
            L::new()
                .t(format!(
                    "Fitting: NUTS as Stan implements it, {} chains × {} warm-up and {} kept draws. A result is acted on only when no convergence warning is raised: R-hat at most {}, bulk-ESS at least {}, no divergent transition, no saturated tree depth, E-BFMI at least {} (docs/model.md §7).",
                    settings.chains, settings.warmup, settings.draws, num(RHAT_MAX), num(ESS_BULK_MIN), num(E_BFMI_MIN)
                ))
                .done(),
        );
        let extra = self.labelled_text(item);
        self.addressed(
            item,
            format!(
                "the `model` blocks and trialc's defaults{}",
                extra.map_or(String::new(), |e| format!("; {e}"))
            ),
        );
    }

    /// Where a prior comes from, and for hypotheses their provenance and tempering.
    fn prior_source(&mut self, outcome: &hir::Outcome, prior: &hir::Prior) -> (Line, Vec<Line>) {
        if prior.default {
            return (
                text("default (docs/language.md, default priors)"),
                Vec::new(),
            );
        }
        match &prior.dist {
            PriorDist::Hypothesis {
                source,
                id,
                discount,
                robust,
                vague,
            } => {
                let mut details = Vec::new();
                let file = self.input.hypotheses.iter().find(|h| &h.source == source);
                let hyp = file.and_then(|f| f.file.get(id));
                let (Some(file), Some(hyp)) = (file, hyp) else {
                    return (
                        L::new()
                            .t("LFM hypothesis ")
                            .c(format!("{source}.{id}"))
                            .done(),
                        details,
                    );
                };
                let (m, s) = (hyp.effect.mean, hyp.effect.sd);
                let sd = s / discount.sqrt();
                let g = &file.file.generator;
                let mut l = L::new()
                    .c(format!("{source}.{id}"))
                    .t(format!(
                        " (rank {}) predicts an effect of mean {}, sd {}{} (model {} {}, created {}, prompt SHA-256 ",
                        hyp.rank,
                        num(m),
                        num(s),
                        hyp.effect.scale.as_ref().map_or(String::new(), |x| format!(" on the {x} scale")),
                        g.model,
                        g.version,
                        g.created
                    ))
                    .c(&g.prompt_sha256)
                    .t(format!(
                        "). Tempering: discount {} counts it as {} of its stated information, sd {}/√{} = {}",
                        num(*discount),
                        num(*discount),
                        num(s),
                        num(*discount),
                        num(sd)
                    ));
                if hyp.effect.mixture.as_ref().is_some_and(|m| !m.is_empty()) {
                    l = l.t(" (the hypothesis gives its effect as a mixture of normals; each component's sd is discounted alike)");
                }
                if *robust > 0.0 {
                    let v = match vague {
                        Some(v) => format!("{} (written)", prior_spec(v)),
                        None => match unit_scale(outcome.kind) {
                            Some(u) => format!(
                                "normal(0, {}) (default: the outcome's unit-information scale)",
                                num(u)
                            ),
                            None => {
                                "normal(0, 2.5 × the SD of the analysed values) (default)".into()
                            }
                        },
                    };
                    l = l.t(format!(
                        "; robust {} mixes in a vague component with that weight, so that data that contradict the hypothesis move the posterior onto it: {} · normal({}, {}) + {} · {v}.",
                        num(*robust),
                        num(1.0 - robust),
                        num(m),
                        num(sd),
                        num(*robust)
                    ));
                    if vague.is_none() && unit_scale(outcome.kind).is_none() {
                        let span = prior.span;
                        let name = outcome.name.clone();
                        self.data_dependent(span, &name);
                    }
                } else {
                    l = l.t(format!(
                        "; not robust: the prior is normal({}, {}).",
                        num(m),
                        num(sd)
                    ));
                }
                details.push(l.done());
                if let Some(r) = &hyp.rationale {
                    details.push(
                        L::new()
                            .t(format!("The model's rationale for {source}.{id}: "))
                            .i(r.clone())
                            .done(),
                    );
                }
                (
                    L::new().t("LFM hypothesis, tempered (below)").done(),
                    details,
                )
            }
            _ => {
                let preset = preset_at(&self.input.ast, prior.span);
                match preset {
                    Some(name) => (L::new().t("written, preset ").c(name).done(), Vec::new()),
                    None => (text("written"), Vec::new()),
                }
            }
        }
    }

    fn data_dependent(&mut self, span: Span, outcome: &str) {
        let text_line = format!("The vague component of this prior on `{outcome}` depends on the data (2.5 × the SD of the analysed values): the prior is not fixed before the trial.");
        self.doc.push(Block::Gap {
            code: codes::W1105.as_str().into(),
            text: text(format!("{text_line} Write it: `vague normal(0, U)` with U from the outcome's plausible range.")),
        });
        self.diagnostics.push(
            Diagnostic::warning(codes::W1105, format!("the prior's vague component on `{outcome}` depends on the data"))
                .with_primary(span, "no `vague` prior, and the outcome has no bounds")
                .with_note("without bounds, the default vague component is normal(0, 2.5 × the SD of the analysed values), known only after the trial")
                .with_help("write the vague component: `vague normal(0, U)`, with U the largest effect that is still plausible"),
        );
    }

    fn decision_section(&mut self) {
        let spec = self.spec;
        let s = &self.input.schedule;
        let item = self.item("decision");
        let mut rows = Vec::new();
        for (i, rule) in spec.rules.iter().enumerate() {
            let words = match rule {
                hir::Rule::Otherwise { .. } => "If no recommend rule fires, the result is inconclusive: the decision is left to the participant and the clinician with the full posterior.".to_string(),
                hir::Rule::When { kind, conditions, .. } => {
                    let conds: Vec<String> = conditions.iter().map(|c| model::condition_words(spec, c)).collect();
                    let conds = conds.join("; and ");
                    match kind {
                        hir::RuleKind::Recommend { arm } => format!("Recommend {} if {conds}.", arm_name(spec, *arm)),
                        hir::RuleKind::StopEarly { after_periods } => match after_periods {
                            Some(n) => format!(
                                "Stop the trial early if {conds}; active once {} are complete (day {}{}).",
                                plural(*n, "period", "periods"),
                                end_of_period(s, *n),
                                date(self, end_of_period(s, *n)).map_or(String::new(), |d| format!(", {d}"))
                            ),
                            None => format!("Stop the trial early if {conds}."),
                        },
                    }
                }
            };
            rows.push(vec![
                text((i + 1).to_string()),
                L::new().c(model::rule_spec(spec, rule)).done(),
                text(words),
            ]);
        }
        let recommends = spec.rules.iter().any(|r| {
            matches!(
                r,
                hir::Rule::When {
                    kind: hir::RuleKind::Recommend { .. },
                    ..
                }
            )
        });
        if rows.is_empty() {
            self.doc.para(text("The spec has no decision rules."));
        } else {
            self.doc
                .table(&["#", "rule (as the spec states it)", "in words"], rows);
            self.doc.para(text("Each probability is the share of posterior draws for which the statement holds, reported with its Monte Carlo standard error; conditions joined by `and` must each hold, each with its own probability. The first recommend rule, in this order, that fires gives the recommendation."));
        }
        self.quote(self.homed(&Home::Decide));
        self.report_block();
        let extra = self.labelled_text(item);
        if recommends {
            self.addressed(
                item,
                format!(
                    "the `decide` block{}",
                    extra.map_or(String::new(), |e| format!("; {e}"))
                ),
            );
        } else if let Some(e) = extra {
            self.addressed(item, e);
        } else {
            let span = spec.trial.span;
            self.gap(
                item,
                codes::W1104,
                "The spec pre-specifies no decision: no `recommend` rule.",
                "Add a `decide` block with `recommend ARM if P(…) >= …` rules and `otherwise inconclusive`.".into(),
                span,
                "this trial decides nothing",
            );
        }
    }

    fn report_block(&mut self) {
        let spec = self.spec;
        let r = &spec.report;
        let mut l = L::new().t(format!(
            "Every effect and quantity is reported with its central {}% posterior interval and its posterior {}.",
            num(r.interval * 100.0),
            match r.estimate {
                hir::Estimate::Mean => "mean",
                hir::Estimate::Median => "median",
            }
        ));
        if !r.probabilities.is_empty() || !r.summaries.is_empty() {
            l = l.t(" Also reported, deciding nothing:");
        }
        self.doc.para(l.done());
        let mut items: Vec<Line> = r
            .probabilities
            .iter()
            .map(|st| {
                L::new()
                    .c(format!("P({})", model::statement_spec(spec, st)))
                    .done()
            })
            .collect();
        items.extend(r.summaries.iter().map(|q| {
            L::new()
                .c(model::quantity_spec(spec, q))
                .t(format!(": {}", model::quantity_words(spec, q)))
                .done()
        }));
        if !items.is_empty() {
            self.doc.push(Block::List(items));
        }
        self.quote(self.homed(&Home::Report));
    }

    fn sensitivity_section(&mut self) {
        let spec = self.spec;
        let item = self.item("sensitivity");
        let read: Vec<usize> = decision_outcomes(spec);
        let lfm: Vec<&str> = spec
            .models
            .iter()
            .filter(|m| {
                read.contains(&m.outcome) && m.effects.iter().any(|e| has_hypothesis(&e.prior))
            })
            .map(|m| outcome_name(spec, m.outcome))
            .collect();
        if !lfm.is_empty() {
            self.doc.para(
                L::new()
                    .t("The decision reads outcomes whose effect priors come from LFM hypotheses (")
                    .c(lfm.join(", "))
                    .t("). Each such outcome is fitted a second time under the sceptical reference prior (every hypothesis-derived prior replaced by its vague component), with the same settings and its own seed, and every rule is evaluated under both fits; where a verdict differs, the report says that the decision depends on the LFM prior (W0809).")
                    .done(),
            );
            let extra = self.labelled_text(item);
            self.addressed(
                item,
                format!(
                    "generated from the LFM priors{}",
                    extra.map_or(String::new(), |e| format!("; {e}"))
                ),
            );
        } else {
            self.doc.para(text("No decision reads a prior from an LFM hypothesis, so trialc runs no sensitivity refit of its own."));
            match self.labelled_text(item) {
                Some(by) => self.addressed(item, by),
                None => self.prose_gap(item, "Which sensitivity analyses are planned (other priors, the analysis without the trend, a complete-case check)."),
            }
        }
    }

    // ------------------------------------------------------------ 6, 7

    fn monitoring(&mut self) {
        let spec = self.spec;
        let s = &self.input.schedule;
        self.section(SECTIONS[5].0, SECTIONS[5].1);
        self.prose(
            "monitoring",
            "Who reviews the diary during the trial, and how often.",
        );
        let item = self.item("interim");
        let stops: Vec<Line> = spec
            .rules
            .iter()
            .filter_map(|r| match r {
                hir::Rule::When {
                    kind: hir::RuleKind::StopEarly { after_periods },
                    ..
                } => Some(match after_periods {
                    Some(n) => {
                        let day = end_of_period(s, *n);
                        L::new()
                            .c(model::rule_spec(spec, r))
                            .t(format!(
                                ": from day {day}{} on",
                                date(self, day).map_or(String::new(), |d| format!(" ({d})"))
                            ))
                            .done()
                    }
                    None => L::new()
                        .c(model::rule_spec(spec, r))
                        .t(": at any interim analysis")
                        .done(),
                }),
                _ => None,
            })
            .collect();
        if stops.is_empty() {
            self.doc.para(text(format!(
                "No interim analysis: the rules are evaluated once, after day {}{}.",
                s.total_days,
                date(self, s.total_days).map_or(String::new(), |d| format!(" ({d})"))
            )));
        } else {
            self.doc.para(text("Interim analyses may stop the trial by these rules (a period counts once its last day is in the diary):"));
            self.doc.push(Block::List(stops));
            self.doc.para(text(format!(
                "The final analysis follows day {}{}.",
                s.total_days,
                date(self, s.total_days).map_or(String::new(), |d| format!(" ({d})"))
            )));
        }
        self.generated(item, "the `stop early` rules");
        self.prose("harms", "How adverse events are recorded and acted on.");
        self.prose(
            "auditing",
            "Whether and how the trial's conduct is audited.",
        );
    }

    fn ethics(&mut self) {
        self.section(SECTIONS[6].0, SECTIONS[6].1);
        self.prose(
            "ethics",
            "The ethics committee's approval (or why none is needed).",
        );
        let item = self.item("amendments");
        self.doc.para(
            L::new()
                .t("Every change of the spec is an amendment: it changes the trial's ")
                .c("version")
                .t(" and is described item by item, in protocol terms, by ")
                .c("trialc protocol diff OLD NEW")
                .t(". A change after the first period is reported with the result.")
                .done(),
        );
        self.generated(item, "trialc protocol diff");
        self.prose("consent", "How and by whom informed consent is obtained.");
        self.prose(
            "confidentiality",
            "How the participant's data are kept confidential (pseudonyms, storage).",
        );
        self.prose(
            "interests",
            "Competing interests of those who run the trial.",
        );
        self.prose("data-access", "Who may see the diary and the result.");
        self.prose(
            "post-trial",
            "What the participant receives after the trial (the recommended treatment, follow-up).",
        );
        self.prose("dissemination", "How the result is shared: with the participant and clinician, and whether it is published.");
        self.prose(
            "consent-materials",
            "The consent form and the information given to the participant.",
        );
        self.prose(
            "specimens",
            "Whether biological specimens are collected (for most N-of-1 trials: none).",
        );
    }

    // ------------------------------------------------------------ checklist and appendix

    fn checklist(&mut self) {
        self.section("checklist", "SPENT checklist");
        self.doc.para(text("Every item of SPIRIT 2013 and the N-of-1 items of SPENT 2019, where this protocol addresses it, or the warning that flags it. `trialc check --protocol` lists the warnings."));
        let mut rows = Vec::new();
        for item in ITEMS {
            let Some(row) = self.rows.iter().find(|r| std::ptr::eq(r.item, item)) else {
                continue;
            };
            let number = format!("§{}", self.number(item.id));
            let where_: Line = match &row.status {
                Status::Addressed { by } => {
                    let mut l = L::new().r(number, item.id).t(", ");
                    l.0.extend(md_code_spans(by));
                    l.done()
                }
                Status::Missing { code } => L::new()
                    .b(format!("not addressed ({code})"))
                    .t(", ")
                    .r(number, item.id)
                    .done(),
            };
            rows.push(vec![
                text(item.number),
                text(if item.n_of_1 {
                    format!("{} (SPENT)", item.name)
                } else {
                    item.name.to_string()
                }),
                where_,
            ]);
        }
        self.doc.table(&["item", "what", "where"], rows);
        let missing = self
            .rows
            .iter()
            .filter(|r| matches!(r.status, Status::Missing { .. }))
            .count();
        self.doc.para(text(format!(
            "{} of {} items addressed; {missing} not addressed.",
            self.rows.len() - missing,
            self.rows.len()
        )));
    }

    fn appendix(&mut self) {
        let input = self.input;
        let shown = shown_spec(input);
        self.doc.heading(2, "appendix-spec", "Appendix A. The spec");
        self.doc.para(
            L::new()
                .c(&input.name)
                .t(if input.markdown {
                    ", its ```trial blocks, "
                } else {
                    " verbatim, "
                })
                .t("with the seed sealed (")
                .c(SEALED)
                .t("). This text is the analysis plan; trialc reads it as it stands.")
                .done(),
        );
        self.doc.push(Block::Pre {
            lang: "text".into(),
            text: shown.clone(),
        });
        self.doc.para(
            L::new()
                .t("SHA-256 of the text above: ")
                .c(sha256_hex(shown.as_bytes()))
                .done(),
        );
        self.doc
            .heading(2, "appendix-provenance", "Appendix B. Provenance");
        let mut rows = vec![
            vec![text("trialc"), L::new().c(TRIALC_VERSION).done()],
            vec![
                text("grammar"),
                L::new()
                    .t("grammar/trial.pest of trialc ")
                    .c(TRIALC_VERSION)
                    .t(", SHA-256 ")
                    .c(grammar_sha256())
                    .done(),
            ],
            vec![
                text("spec"),
                L::new()
                    .c(&input.name)
                    .t(", SHA-256 as shown ")
                    .c(sha256_hex(shown.as_bytes()))
                    .done(),
            ],
        ];
        for h in &input.hypotheses {
            let g = &h.file.generator;
            let mut l = L::new()
                .c(&h.path)
                .t(", SHA-256 ")
                .c(&h.sha256)
                .t(format!(
                    "; format {}; generated by {} {} on {}; prompt SHA-256 ",
                    h.file.format, g.model, g.version, g.created
                ))
                .c(&g.prompt_sha256)
                .t(format!(
                    "; {}",
                    plural(h.file.hypotheses.len() as u64, "hypothesis", "hypotheses")
                ));
            if let Some(p) = &h.file.participant {
                l = l.t(format!("; participant {p}"));
            }
            if let Some(t) = &h.file.trial {
                l = l
                    .t(format!(
                        "; evidence exported from trial {} (spec SHA-256 ",
                        t.id
                    ))
                    .c(&t.spec_sha256)
                    .t(")");
            }
            rows.push(vec![
                L::new().t("hypotheses ").c(&h.source).done(),
                l.done(),
            ]);
        }
        self.doc.table(&["input", "identity"], rows);
    }
}

/// Generated text: its backticked parts are code.
fn text(s: impl Into<String>) -> Line {
    md_code_spans(&s.into())
}

/// `Why an N-of-1 design` → `why an N-of-1 design`; an acronym stays.
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if !b.is_uppercase() => {
            let mut out: String = a.to_lowercase().collect();
            out.push(b);
            out.extend(chars);
            out
        }
        _ => s.to_string(),
    }
}

fn design_words(design: &Design, randomized: bool) -> String {
    let _ = randomized;
    design.name()
}

fn measured_words(m: &Measured) -> String {
    m.name()
}

/// The unit-information scale when it does not depend on the data.
fn unit_scale(kind: OutcomeType) -> Option<f64> {
    match kind {
        OutcomeType::Continuous {
            bounds: Some((lo, hi)),
        } if hi > lo => Some((hi - lo) / 2.0),
        OutcomeType::Continuous { .. } => None,
        _ => Some(2.5),
    }
}

fn has_hypothesis(prior: &hir::Prior) -> bool {
    match &prior.dist {
        PriorDist::Hypothesis { .. } => true,
        PriorDist::Mixture(parts) => parts.iter().any(|(_, p)| has_hypothesis(p)),
        _ => false,
    }
}

fn uses_hypothesis(spec: &hir::Spec, source: &str, id: &str) -> bool {
    fn walk(p: &hir::Prior, source: &str, id: &str) -> bool {
        match &p.dist {
            PriorDist::Hypothesis {
                source: s, id: i, ..
            } => s == source && i == id,
            PriorDist::Mixture(parts) => parts.iter().any(|(_, q)| walk(q, source, id)),
            _ => false,
        }
    }
    spec.models
        .iter()
        .any(|m| m.effects.iter().any(|e| walk(&e.prior, source, id)))
}

/// The outcomes some decision rule reads.
fn decision_outcomes(spec: &hir::Spec) -> Vec<usize> {
    let mut out = Vec::new();
    for r in &spec.rules {
        if let hir::Rule::When { conditions, .. } = r {
            for c in conditions {
                if !out.contains(&c.statement.quantity.outcome) {
                    out.push(c.statement.quantity.outcome);
                }
            }
        }
    }
    out
}

/// The preset a prior was written as, found by its span in the AST.
fn preset_at(file: &ast::File, span: Span) -> Option<String> {
    for item in &file.items {
        let ast::ItemKind::Model(m) = &item.kind else {
            continue;
        };
        for st in &m.statements {
            let priors: Vec<&ast::Prior> = match &st.kind {
                ast::ModelStatementKind::Effect { prior, .. }
                | ast::ModelStatementKind::Intercept(prior)
                | ast::ModelStatementKind::Trend { prior, .. }
                | ast::ModelStatementKind::Cutpoints(prior)
                | ast::ModelStatementKind::Dispersion(prior)
                | ast::ModelStatementKind::Carryover { prior, .. }
                | ast::ModelStatementKind::Covariate { prior, .. }
                | ast::ModelStatementKind::Lag(prior) => vec![prior],
                ast::ModelStatementKind::Errors { params, .. }
                | ast::ModelStatementKind::CarryoverDecay { params, .. } => {
                    params.iter().map(|p| &p.prior).collect()
                }
                ast::ModelStatementKind::Clock(_) => Vec::new(),
            };
            for p in priors {
                if p.span == span {
                    if let ast::PriorKind::Preset(name) = &p.kind {
                        return Some(name.node.clone());
                    }
                }
            }
        }
    }
    None
}

/// The last day of period `n` (1-based): the day a look `after n periods`
/// can first be taken (periods may differ in length).
fn end_of_period(s: &crate::schedule::Schedule, n: u64) -> u64 {
    usize::try_from(n)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| s.periods.get(i))
        .map_or(s.total_days, |p| p.last_day)
}
