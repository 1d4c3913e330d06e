//! Hover: a keyword's reference text; an arm's, outcome's, design's or
//! preset's declaration with its doc comment; a prior's mean and 90%
//! interval (for an LFM prior the hypothesis, its provenance and the
//! tempered components); a schedule's days and admissible sequences.

use lsp_types as lsp;
use trialc_runtime::fmt::num;
use trialc_runtime::mir::{Dist, DistKind};

use crate::hypotheses::{HypothesesFile, Hypothesis};
use crate::schedule::render::day_ranges;
use crate::stdlib;
use crate::syntax::{self, ast, lexer};

use super::analysis::{self, Analysis, Kind, ScheduleFacts};
use super::prior::{self, Context, Flat};
use super::{keywords, Ctx};

pub fn hover(cx: &Ctx<'_>, offset: usize) -> Option<lsp::Hover> {
    let a = cx.a;
    let token = a.token_at(offset)?;
    let (text, span) = match token.token {
        lexer::Token::Ident => {
            let word = a.slice(token.span);
            let text = if let Some(o) = a.occurrence_at(offset) {
                name_hover(a, o.kind, &o.name, &o.scope)
            } else if let Some(p) = analysis::priors_at(&a.ast, offset).last() {
                Some(prior_hover(a, p, Some(word)))
            } else if lexer::KEYWORDS.contains(&word) {
                let mut text = keywords::hover(word)?;
                if matches!(
                    word,
                    "schedule" | "sequence" | "period" | "cycles" | "periods"
                ) && a
                    .item_at(offset)
                    .is_some_and(|i| matches!(i.kind, ast::ItemKind::Schedule(_)))
                {
                    if let Some(facts) = a.schedule() {
                        text.push_str("\n\n---\n");
                        text.push_str(&schedule_text(facts));
                    }
                }
                Some(text)
            } else {
                None
            }?;
            (text, token.span)
        }
        _ => {
            let p = analysis::priors_at(&a.ast, offset).last().copied()?;
            (prior_hover(a, p, None), p.span)
        }
    };
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: text,
        }),
        range: Some(cx.range(span)),
    })
}

fn code(text: &str) -> String {
    format!("```trial\n{}\n```", text.trim_end())
}

fn with_doc(mut text: String, doc: Option<&str>) -> String {
    if let Some(doc) = doc {
        text.push('\n');
        text.push_str(doc.trim());
    }
    text
}

fn item_source<'a>(a: &'a Analysis, item: &ast::Item) -> &'a str {
    a.slice(item.span)
}

fn name_hover(a: &Analysis, kind: Kind, name: &str, scope: &str) -> Option<String> {
    match kind {
        Kind::Arm | Kind::Outcome => {
            let decl = a.declaration(kind, name)?;
            let item = a.item_at(decl.span.start)?;
            let mut text = with_doc(code(item_source(a, item)), item.doc.as_deref());
            if kind == Kind::Arm {
                let arms: Vec<&ast::ArmDecl> = a
                    .ast
                    .items
                    .iter()
                    .filter_map(|i| match &i.kind {
                        ast::ItemKind::Arm(arm) => Some(arm),
                        _ => None,
                    })
                    .collect();
                if let Some(i) = arms.iter().position(|arm| arm.name.node == name) {
                    let letter = char::from(b'A' + (i.min(25) as u8));
                    let role = if arms[i].reference.is_some() {
                        "the reference arm: every effect is relative to it"
                    } else {
                        "effects of this arm are relative to the reference arm"
                    };
                    text.push_str(&format!("\n\nArm {letter} in fixed patterns; {role}."));
                }
            }
            Some(text)
        }
        Kind::Source => {
            let mut text = a
                .declaration(Kind::Source, name)
                .and_then(|d| a.item_at(d.span.start))
                .map(|item| with_doc(code(item_source(a, item)), item.doc.as_deref()))
                .unwrap_or_else(|| format!("hypotheses source `{name}` (not declared)"));
            if let Some(file) = a.source(name).and_then(|s| s.file.as_ref()) {
                text.push_str("\n\n");
                text.push_str(&provenance(file));
                text.push_str("\n\n");
                for h in &file.hypotheses {
                    text.push_str(&format!(
                        "- `{}` (rank {}): {} on {}, effect {} (sd {})\n",
                        h.id,
                        h.rank,
                        h.intervention,
                        h.outcome,
                        num(h.effect.mean),
                        num(h.effect.sd)
                    ));
                }
            }
            Some(text)
        }
        Kind::Hypothesis => {
            let source = a.source(scope)?;
            let file = source.file.as_ref()?;
            let Some(h) = file.get(name) else {
                return Some(format!(
                    "`{scope}.{name}`: no hypothesis `{name}` in `{}`",
                    source.path.as_deref().unwrap_or("the hypotheses file")
                ));
            };
            Some(format!(
                "{}\n\n{}",
                hypothesis_text(scope, h),
                provenance(file)
            ))
        }
        Kind::Preset => {
            let (p, doc, std) = prior::preset(&a.ast, name)?;
            let mut text = with_doc(
                code(&format!("prior {name} = {}", prior_text(&p))),
                doc.as_deref(),
            );
            if std {
                text.push_str("\n\n(from `std.priors`)");
            }
            text.push_str("\n\n");
            text.push_str(&prior_hover_body(a, &p));
            Some(text)
        }
        Kind::Design => {
            let local = a
                .ast
                .items
                .iter()
                .find(|i| matches!(&i.kind, ast::ItemKind::Design(d) if d.name.node == name));
            if let Some(item) = local {
                return Some(with_doc(code(item_source(a, item)), item.doc.as_deref()));
            }
            let source = stdlib::module("std.designs")?;
            let (file, _) = syntax::parse(source);
            let item = file
                .items
                .iter()
                .find(|i| matches!(&i.kind, ast::ItemKind::Design(d) if d.name.node == name))?;
            Some(format!(
                "{}\n\n(from `std.designs`)",
                with_doc(
                    code(source.get(item.span.range()).unwrap_or("")),
                    item.doc.as_deref()
                )
            ))
        }
    }
}

/// The source text of a prior, re-printed compactly.
pub fn prior_text(p: &ast::Prior) -> String {
    match &p.kind {
        ast::PriorKind::Distribution { name, args } => format!(
            "{}({})",
            name.node,
            args.iter()
                .map(|a| num(a.node))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ast::PriorKind::Mixture(parts) => format!(
            "mixture({})",
            parts
                .iter()
                .map(|c| format!("{}: {}", num(c.weight.node), prior_text(&c.prior)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ast::PriorKind::Hypothesis {
            source,
            id,
            discount,
            robust,
            vague,
        } => {
            let mut s = format!("{}.{}", source.node, id.node);
            if let Some(d) = discount {
                s.push_str(&format!(" discount {}", num(d.node)));
            }
            if let Some(r) = robust {
                s.push_str(&format!(" robust {}", num(r.node)));
            }
            if let Some(v) = vague {
                s.push_str(&format!(" vague {}", prior_text(v)));
            }
            s
        }
        ast::PriorKind::Preset(name) => name.node.clone(),
    }
}

/// How hypotheses are looked up for a prior of this spec.
pub fn lookup(a: &Analysis) -> impl Fn(&str, &str) -> Option<(Hypothesis, HypothesesFile)> + '_ {
    move |source: &str, id: &str| {
        let file = a.source(source)?.file.as_ref()?;
        Some((file.get(id)?.clone(), file.clone()))
    }
}

pub fn flatten(a: &Analysis, p: &ast::Prior) -> Result<Flat, String> {
    let find = lookup(a);
    prior::flatten(
        p,
        &Context {
            file: &a.ast,
            hypothesis: &find,
        },
    )
}

fn prior_hover(a: &Analysis, p: &ast::Prior, word: Option<&str>) -> String {
    let mut text = code(&prior_text(p));
    if let Some(kind) = word.and_then(DistKind::from_name) {
        let info = kind.info();
        let params: Vec<String> = info
            .params
            .iter()
            .map(|p| format!("{} {}", p.name, p.rule.describe()))
            .collect();
        text.push_str(&format!(
            "\n`{}`: {}; support {}.",
            info.signature(),
            params.join(", "),
            info.support.describe()
        ));
    }
    text.push_str("\n\n");
    text.push_str(&prior_hover_body(a, p));
    text
}

/// Mean, sd and 90% interval, and an LFM prior's hypothesis and tempering.
fn prior_hover_body(a: &Analysis, p: &ast::Prior) -> String {
    let flat = match flatten(a, p) {
        Ok(flat) => flat,
        Err(why) => return format!("Cannot summarise this prior: {why}."),
    };
    let mut text = String::new();
    if let Some(alpha) = flat.cutpoints {
        return format!(
            "A joint prior on the K−1 ordered cutpoints: a Dirichlet({}) on the K category probabilities at the cutpoints' centre.",
            num(alpha)
        );
    }
    for t in &flat.tempered {
        text.push_str(&hypothesis_text(&t.source, &t.hypothesis));
        text.push_str("\n\n");
        text.push_str(&provenance(&t.file));
        text.push_str("\n\n**Tempered**: ");
        text.push_str(&format!(
            "discount {} (sd {} → {}), robust {}:\n\n",
            num(t.discount),
            num(t.hypothesis.effect.sd),
            num(t.hypothesis.effect.sd / t.discount.sqrt()),
            num(t.robust)
        ));
        let keep = if t.robust > 0.0 { 1.0 - t.robust } else { 1.0 };
        for (w, d) in &t.informative {
            text.push_str(&format!(
                "- {} × {} (informative)\n",
                num(keep * w),
                dist_text(d)
            ));
        }
        if t.robust > 0.0 {
            match &t.vague {
                Some(parts) => {
                    for (w, d) in parts {
                        text.push_str(&format!("- {} × {} (vague)\n", num(t.robust * w), dist_text(d)));
                    }
                }
                None => text.push_str(&format!(
                    "- {} × normal(0, U) (vague; U is the outcome's unit-information scale, from the diary when the outcome is unbounded)\n",
                    num(t.robust)
                )),
            }
        }
        text.push('\n');
    }
    match prior::summary(&flat.components) {
        Some(s) => {
            let what = if flat.complete {
                "Prior"
            } else {
                "Informative part"
            };
            let mut parts = Vec::new();
            if let Some(m) = s.mean {
                parts.push(format!("mean {}", num(m)));
            }
            if let Some(sd) = s.sd {
                parts.push(format!("sd {}", num(sd)));
            }
            parts.push(format!("90% interval [{}, {}]", num(s.q5), num(s.q95)));
            text.push_str(&format!("{what}: {}.", parts.join(", ")));
            if s.mean.is_none() {
                text.push_str(" (It has no mean: its tails are too heavy.)");
            }
        }
        None => text.push_str("No summary for this prior."),
    }
    text
}

fn dist_text(d: &Dist) -> String {
    format!(
        "{}({})",
        d.name(),
        d.args()
            .iter()
            .map(|v| num(*v))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn hypothesis_text(source: &str, h: &Hypothesis) -> String {
    let mut text = format!(
        "**Hypothesis `{source}.{}`** (rank {}): {} on {}; effect mean {}, sd {}",
        h.id,
        h.rank,
        h.intervention,
        h.outcome,
        num(h.effect.mean),
        num(h.effect.sd)
    );
    if let Some(scale) = &h.effect.scale {
        text.push_str(&format!(" ({scale})"));
    }
    if let Some(parts) = &h.effect.mixture {
        text.push_str(&format!(", as a mixture of {} normals", parts.len()));
    }
    text.push('.');
    if let Some(r) = &h.rationale {
        text.push_str(&format!("\n\n> {}", r.replace('\n', "\n> ")));
    }
    text
}

fn provenance(file: &HypothesesFile) -> String {
    let g = &file.generator;
    let mut text = format!(
        "Provenance: model {} version {}, created {}, prompt SHA-256 `{}`",
        g.model, g.version, g.created, g.prompt_sha256
    );
    if let Some(p) = &file.participant {
        text.push_str(&format!(", participant {p}"));
    }
    if let Some(t) = &file.trial {
        text.push_str(&format!(
            "; evidence exported from trial `{}` ({} to {})",
            t.id, t.first_date, t.last_date
        ));
    }
    text.push('.');
    text
}

/// A schedule's days, periods and admissible sequences (never which arm is
/// in which period: the allocation of a blinded trial stays out of the editor).
pub fn schedule_text(facts: &ScheduleFacts) -> String {
    let s = &facts.schedule;
    let n = s.periods.len();
    let mut text = format!(
        "**Schedule**: {} of {}",
        plural(n as u64, "period"),
        crate::schedule::render::period_length(s)
    );
    if s.run_in_days > 0 {
        text.push_str(&format!(
            " after {} of run-in",
            plural(s.run_in_days, "day")
        ));
    }
    text.push_str(&format!(": {} in all", plural(s.total_days, "day")));
    if let (Some(first), Some(last)) = (s.date_of_day(1), s.date_of_day(s.total_days)) {
        text.push_str(&format!(" ({first} to {last})"));
    }
    text.push_str(".\n\n");
    let ranges: Vec<String> = s
        .periods
        .iter()
        .map(|p| format!("{}: days {}–{}", p.number, p.first_day, p.last_day))
        .collect();
    text.push_str(&format!("Periods: {}.\n\n", ranges.join(", ")));
    if s.washout_days > 0 {
        text.push_str(&format!(
            "Washout: the first {} of each period after a switch are not analysed.\n\n",
            plural(s.washout_days, "day")
        ));
    }
    text.push_str(&format!(
        "Sequence `{}`: {} admissible {}",
        s.design.name(),
        s.admissible_count,
        if s.admissible_count == 1 {
            "sequence"
        } else {
            "sequences"
        }
    ));
    if s.design.is_randomized() {
        text.push_str(&format!("; seed {} draws one uniformly", s.seed));
    }
    text.push('.');
    for o in &s.outcomes {
        if o.name != "lsp_stand_in" && !o.days.is_empty() {
            text.push_str(&format!(
                "\n\n`{}` measured on {}: days {}",
                o.name,
                plural(o.days.len() as u64, "day"),
                day_ranges(&o.days)
            ));
        }
    }
    text
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
