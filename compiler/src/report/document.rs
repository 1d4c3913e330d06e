//! The result document (`trialc run … --report html FILE`): the report as
//! the participant's clinician reads it, structured by CENT 2015 (the
//! CONSORT extension for N-of-1 trials) and written as one self-contained
//! HTML file (or Markdown, or a PDF of the HTML).
//!
//! The conclusion in plain language comes first. Then, per outcome, a
//! picture of each effect on its natural scale (the side that favours each
//! arm and the clinically important zone shaded, the deciding probability
//! written on it), the outcome over time with each period's mean and the
//! dates, and the raw means per period and arm; the decision rules as the
//! protocol fixed them; the flow of days (analysed, excluded by reason) and
//! the deviations; the methods in brief; the sampler's diagnostics folded
//! away; and the provenance of every input (`report.json` carries the same).
//!
//! Built on the protocol's document tree ([`crate::protocol::doc`]), so the
//! HTML loads nothing, escapes everything a spec or a diary writes and is
//! byte-identical for equal inputs.

use trialc_runtime::posterior::{Method, Posterior};

use super::decide::{num, prob_text, required};
use super::figures::{self, EffectPicture, Written};
use super::text::{percent, val};
use super::{OutcomeReport, Report};
use crate::analysis::convergence::fmt_stat;
use crate::analysis::effects::{element_of, flat_draws, logistic};
use crate::data::Diary;
use crate::hir::{self, Direction, OutcomeType};
use crate::lower::{LoweredOutcome, Role};
use crate::protocol::doc::{code_spans, Block, Callout, Document, Line, L};
use crate::schedule::render::day_ranges;
use crate::schedule::Schedule;

/// The result document of a run.
pub fn document(
    r: &Report,
    spec: &hir::Spec,
    schedule: &Schedule,
    diary: &Diary,
    fits: &[(LoweredOutcome, Posterior)],
) -> Document {
    let title = r.trial.title.clone().unwrap_or_else(|| r.trial.id.clone());
    let mut doc = Document::new(format!("Result: {title} — an N-of-1 trial"));
    let b = Builder {
        r,
        spec,
        schedule,
        diary,
        fits,
    };
    b.front(&mut doc);
    b.conclusion(&mut doc);
    b.outcomes(&mut doc);
    b.rules(&mut doc);
    b.flow(&mut doc);
    b.methods(&mut doc);
    b.diagnostics(&mut doc);
    b.provenance(&mut doc);
    doc
}

struct Builder<'a> {
    r: &'a Report,
    spec: &'a hir::Spec,
    schedule: &'a Schedule,
    diary: &'a Diary,
    fits: &'a [(LoweredOutcome, Posterior)],
}

fn text(s: impl Into<String>) -> Line {
    code_spans(&s.into())
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A unit for an amount: "1 point", "2 points".
fn unit_for(unit: &str, amount: f64) -> String {
    if amount.abs() == 1.0 {
        unit.strip_suffix('s').unwrap_or(unit).to_string()
    } else {
        unit.to_string()
    }
}

impl Builder<'_> {
    fn date(&self, day: u64) -> Option<String> {
        self.schedule
            .date_of_day(day)
            .map(|d| d.format("%Y-%m-%d").to_string())
    }

    fn dates(&self, first: u64, last: u64) -> String {
        match (self.date(first), self.date(last)) {
            (Some(a), Some(b)) => format!("{a} to {b}"),
            _ => String::new(),
        }
    }

    fn reference(&self) -> &str {
        self.r
            .trial
            .arms
            .iter()
            .find(|a| a.reference)
            .map_or("the reference", |a| a.name.as_str())
    }

    fn settings_text(&self) -> String {
        let s = &self.r.settings;
        if self.r.approximation.is_some() {
            format!(
                "Laplace approximation at the posterior mode, {} independent draws, seed {}",
                s.draws, s.seed
            )
        } else {
            format!(
                "NUTS, {} chains × ({} warm-up + {} kept draws), seed {}",
                s.chains, s.warmup, s.draws, s.seed
            )
        }
    }

    // ------------------------------------------------------------ front

    fn front(&self, doc: &mut Document) {
        let t = &self.r.trial;
        let mut rows = vec![vec![text("Trial"), L::new().c(&t.id).done()]];
        if let Some(title) = &t.title {
            rows.push(vec![
                text("Title"),
                vec![crate::protocol::doc::Inline::Text(title.clone())],
            ]);
        }
        for (k, v) in [("Version", &t.version), ("Registration", &t.registry)] {
            if let Some(v) = v {
                rows.push(vec![
                    text(k),
                    vec![crate::protocol::doc::Inline::Text(v.clone())],
                ]);
            }
        }
        if let Some(p) = self
            .r
            .hypotheses
            .iter()
            .find_map(|h| h.participant.as_deref())
        {
            rows.push(vec![
                text("Participant"),
                vec![crate::protocol::doc::Inline::Text(p.to_string())],
            ]);
        }
        let d = &self.r.data;
        let days = match (d.first_day, d.last_day) {
            (Some(a), Some(b)) => {
                let dates = self.dates(a, b);
                format!(
                    "days {a}–{b}{}; {} of {} periods complete",
                    if dates.is_empty() {
                        String::new()
                    } else {
                        format!(" ({dates})")
                    },
                    d.periods_complete,
                    d.periods_planned
                )
            }
            _ => "empty".into(),
        };
        rows.push(vec![text("Diary"), text(days)]);
        rows.push(vec![text("Analysis"), text(self.settings_text())]);
        if let Some(spec) = &self.r.provenance.spec {
            rows.push(vec![
                text("Protocol"),
                L::new()
                    .t("the spec ")
                    .c(&spec.name)
                    .t(", SHA-256 ")
                    .c(&spec.sha256)
                    .done(),
            ]);
        }
        rows.push(vec![
            text("Written by"),
            L::new()
                .c(format!("trialc {}", self.r.provenance.trialc))
                .t(" (trialc run --report)")
                .done(),
        ]);
        doc.sized(&["", ""], &[22, 78], rows);
        doc.para(text("This result follows CENT 2015, the CONSORT extension for N-of-1 trials: the conclusion first, then each outcome's estimate with its picture, the decision rules as the protocol fixed them, the participant's days and deviations, the methods in brief, the sampler's diagnostics (folded) and the provenance of every input."));
    }

    // ------------------------------------------------------------ 1

    fn conclusion(&self, doc: &mut Document) {
        let r = self.r;
        doc.heading(2, "conclusion", "1. Conclusion");
        let title = match (&r.conclusion.kind, &r.conclusion.arm) {
            (super::ConclusionKind::Recommend, Some(arm)) => format!("Recommendation: {arm}."),
            _ => "No recommendation.".to_string(),
        };
        doc.push(Block::Callout {
            kind: Callout::Decision,
            title,
            text: text(r.conclusion.text.clone()),
        });
        if let Some(note) = &r.approximation {
            doc.push(Block::Callout {
                kind: Callout::Warning,
                title: "An approximation.".into(),
                text: text(note.clone()),
            });
        }
        if !r.diagnostics.is_empty() {
            let mut codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code).collect();
            codes.sort_unstable();
            codes.dedup();
            doc.push(Block::Callout {
                kind: Callout::Warning,
                title: format!("Convergence warnings ({}).", codes.join(", ")),
                text: text("The sampler did not converge well enough to trust every number: treat the probabilities as provisional until a longer run confirms them (section 6)."),
            });
        }
        if let Some(s) = r.sensitivity.as_ref().filter(|s| s.depends_on_lfm_prior) {
            doc.push(Block::Callout {
                kind: Callout::Warning,
                title: if s.recommendation_lfm != s.recommendation_sceptical {
                    "The recommendation depends on the foundation model's prior.".into()
                } else {
                    "A rule's verdict depends on the foundation model's prior.".into()
                },
                text: text(s.verdict.clone()),
            });
        }
        // The primary outcome's effects in one sentence each.
        for o in r.outcomes.iter().filter(|o| o.primary) {
            for e in &o.effects {
                doc.para(text(self.effect_sentence(o, e)));
            }
        }
    }

    /// "magnesium vs placebo: difference in mean pain -0.87 points (90%
    /// interval -1.55 to -0.18); pain is lower on magnesium with probability 0.98."
    fn effect_sentence(&self, o: &OutcomeReport, e: &super::EffectReport) -> String {
        let reference = self.reference();
        let (what, estimate) = self.estimate_text(o, e);
        let better = if o.better == "lower" {
            "lower"
        } else {
            "higher"
        };
        format!(
            "{} vs {reference}: {what} {estimate}; `{}` is {better} on {} with probability {}.",
            e.arm,
            o.name,
            e.arm,
            prob_text(Some(e.p_better))
        )
    }

    /// The measure's name and its estimate with interval, on the natural scale.
    fn estimate_text(&self, o: &OutcomeReport, e: &super::EffectReport) -> (String, String) {
        let level = percent(e.interpretable.level);
        if e.measure == "difference in means" {
            let unit = o.unit.as_deref().unwrap_or("units");
            let centre = self.centre(&e.interpretable);
            (
                format!("difference in mean {}", o.name),
                format!(
                    "{} {} ({level} interval {} to {})",
                    val(centre),
                    unit_for(unit, centre),
                    val(e.interpretable.lower),
                    val(e.interpretable.upper)
                ),
            )
        } else {
            // Ratios are skewed: the median is the honest point estimate.
            (
                format!("{} of {}", e.measure, o.name),
                format!(
                    "{} (median; {level} interval {} to {})",
                    val(e.interpretable.median),
                    val(e.interpretable.lower),
                    val(e.interpretable.upper)
                ),
            )
        }
    }

    fn centre(&self, i: &super::Interval) -> f64 {
        if self.r.reported.estimate == "median" {
            i.median
        } else {
            i.mean
        }
    }

    // ------------------------------------------------------------ 2

    fn outcomes(&self, doc: &mut Document) {
        doc.heading(2, "outcomes", "2. The outcomes");
        doc.para(text("Each effect is drawn on its natural scale: the shaded side favours the arm it names, the darker zone is a clinically important benefit (the MCID), and the probability the decision reads is written above the picture and shaded under the curve. The bar under the curve is the estimate with its interval."));
        let mut ordered: Vec<&OutcomeReport> =
            self.r.outcomes.iter().filter(|o| o.primary).collect();
        ordered.extend(self.r.outcomes.iter().filter(|o| !o.primary));
        for o in ordered {
            self.outcome(doc, o);
        }
    }

    fn outcome(&self, doc: &mut Document, o: &OutcomeReport) {
        let Some((index, outcome)) = self
            .spec
            .outcomes
            .iter()
            .enumerate()
            .find(|(_, x)| x.name == o.name)
        else {
            return;
        };
        let Some((lowered, post)) = self.fits.iter().find(|(l, _)| l.outcome == index) else {
            return;
        };
        let role = if o.primary { "primary" } else { "secondary" };
        let heading = match &o.description {
            Some(d) => format!("{} — {d} ({role})", o.name),
            None => format!("{} ({role})", o.name),
        };
        doc.heading(3, format!("outcome-{}", o.name), heading);
        let mut facts = vec![o.kind.to_string(), format!("better {}", o.better)];
        if let Some(m) = o.mcid {
            let unit = o.unit.as_deref().unwrap_or("units");
            facts.push(format!("MCID {} {}", num(m), unit_for(unit, m)));
        }
        let per_arm: Vec<String> = o
            .analysis
            .per_arm
            .iter()
            .map(|c| format!("{} {}", c.arm, c.days))
            .collect();
        facts.push(format!(
            "{} of {} days analysed ({})",
            o.analysis.analysed,
            o.analysis.days,
            per_arm.join(", ")
        ));
        doc.para(text(facts.join("; ") + "."));

        for e in &o.effects {
            doc.para(text(self.effect_sentence(o, e)));
            let Some(arm) = self.spec.arms.iter().position(|a| a.name == e.arm) else {
                continue;
            };
            if let Some(svg) = self.picture(outcome, lowered, post, arm, self.spec.reference) {
                doc.push(Block::Plot {
                    svg,
                    caption: format!(
                        "The effect of {} against {} on {}: the posterior distribution on the natural scale.",
                        e.arm,
                        self.reference(),
                        o.name
                    ),
                });
            }
            if let Some(c) = &e.prior_conflict {
                doc.para(text(format!(
                    "Prior from {}: the vague component's weight was {} before the data and {} after (MCSE {}): {}.",
                    c.hypothesis,
                    num(c.prior_vague_weight),
                    fmt_stat(c.posterior_vague_weight, 2),
                    fmt_stat(c.posterior_vague_weight_mcse, 3),
                    if c.conflict {
                        "the data conflict with the hypothesis and moved weight onto the vague component"
                    } else {
                        "the data do not conflict with the hypothesis"
                    }
                )));
            }
        }
        // Contrasts between two treatment arms that the decision reads.
        for (a, b) in self.contrasts(&o.name) {
            if let Some(svg) = self.picture(outcome, lowered, post, a, b) {
                let (an, bn) = (arm_name(self.spec, a), arm_name(self.spec, b));
                doc.para(text(format!(
                    "{an} vs {bn}, as the decision rules compare them:"
                )));
                doc.push(Block::Plot {
                    svg,
                    caption: format!("The effect of {an} against {bn} on {}.", o.name),
                });
            }
        }
        if let Some(text_line) = self.per_month(outcome, lowered, post) {
            doc.para(text(text_line));
        }
        doc.push(Block::Plot {
            svg: figures::over_time(self.spec, self.schedule, self.diary, lowered),
            caption: format!(
                "{} day by day: analysed values filled in the colour of the arm taken, others hollow; the bars are each period's mean on its analysed days.",
                o.name
            ),
        });
        self.period_table(doc, outcome, lowered);
    }

    /// Pairs of treatment arms (neither the reference) that a rule or the
    /// report block compares on `outcome`.
    fn contrasts(&self, outcome: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        let statements = self
            .r
            .rules
            .iter()
            .flat_map(|r| r.conditions.iter().map(|c| &c.statement))
            .chain(self.r.reported.probabilities.iter());
        for s in statements {
            if s.outcome != outcome {
                continue;
            }
            let a = self.spec.arms.iter().position(|x| x.name == s.arm);
            let b = self.spec.arms.iter().position(|x| x.name == s.versus);
            if let (Some(a), Some(b)) = (a, b) {
                let pair = (a, b);
                if a != self.spec.reference
                    && b != self.spec.reference
                    && !out.contains(&pair)
                    && !out.contains(&(b, a))
                {
                    out.push(pair);
                }
            }
        }
        out
    }

    /// The draws of effect(a) − effect(b) on the model's scale.
    fn contrast_draws(
        &self,
        lowered: &LoweredOutcome,
        post: &Posterior,
        a: usize,
        b: usize,
    ) -> Option<Vec<f64>> {
        let draws = |arm: usize| -> Option<Option<Vec<f64>>> {
            if arm == self.spec.reference {
                return Some(None);
            }
            let p = lowered.effect(arm)?;
            Some(Some(flat_draws(post, element_of(lowered, p)?)))
        };
        let (da, db) = (draws(a)?, draws(b)?);
        let n = post.num_chains * post.num_draws;
        let at = |d: &Option<Vec<f64>>, i: usize| {
            d.as_ref().and_then(|v| v.get(i).copied()).unwrap_or(0.0)
        };
        Some((0..n).map(|i| at(&da, i) - at(&db, i)).collect())
    }

    fn picture(
        &self,
        outcome: &hir::Outcome,
        lowered: &LoweredOutcome,
        post: &Posterior,
        a: usize,
        b: usize,
    ) -> Option<String> {
        let family = outcome.kind.family();
        let ratio = family.exponentiated;
        let linear = self.contrast_draws(lowered, post, a, b)?;
        let values: Vec<f64> = if ratio {
            linear.iter().map(|v| v.exp()).collect()
        } else {
            linear.clone()
        };
        let (an, bn) = (arm_name(self.spec, a), arm_name(self.spec, b));
        let level = self.spec.report.interval;
        let summary = crate::analysis::effects::summarise_values(&values, level);
        let unit = outcome.unit.as_deref().unwrap_or("units");
        let benefit_below = outcome.better == Direction::Lower;
        let null = if ratio { 1.0 } else { 0.0 };
        let mcid = outcome.mcid.filter(|m| *m > 0.0 && m.is_finite()).map(|m| {
            let edge = if benefit_below { -m } else { m };
            if ratio {
                edge.exp()
            } else {
                edge
            }
        });
        let (centre_name, centre) = if ratio || self.r.reported.estimate == "median" {
            ("median", summary.median)
        } else {
            ("mean", summary.mean)
        };
        let measured = if ratio {
            format!("{} of {} ({an} vs {bn})", family.measure, outcome.name)
        } else {
            format!("difference in mean {} ({an} − {bn}), {unit}", outcome.name)
        };
        let summary_text = if ratio {
            format!(
                "{} {} (median; {} interval {} to {}).",
                capitalise(family.measure),
                val(centre),
                percent(level),
                val(summary.lower),
                val(summary.upper)
            )
        } else {
            format!(
                "Difference in means {} {} ({centre_name}; {} interval {} to {}).",
                val(centre),
                unit_for(unit, centre),
                percent(level),
                val(summary.lower),
                val(summary.upper)
            )
        };
        let mut written = Vec::new();
        let matches = |s: &super::decide::StatementReport| -> Option<bool> {
            if s.outcome != outcome.name {
                return None;
            }
            if s.arm == an && s.versus == bn {
                Some(false)
            } else if s.arm == bn && s.versus == an {
                Some(true)
            } else {
                None
            }
        };
        let on_scale = |s: &super::decide::StatementReport, swapped: bool| -> Option<(f64, bool)> {
            let below = matches!(s.comparison, "<" | "<=");
            let t = match s.scale {
                "effect" if ratio => s.threshold.exp(),
                "effect" => s.threshold,
                "odds_ratio" | "rate_ratio" if ratio => s.threshold,
                _ => return None,
            };
            if !t.is_finite() {
                return None;
            }
            Some(match (swapped, ratio) {
                (false, _) => (t, below),
                (true, true) => (1.0 / t, !below),
                (true, false) => (-t, !below),
            })
        };
        for (i, rule) in self.r.rules.iter().enumerate() {
            let what = match (&rule.recommends, rule.after_periods) {
                (Some(arm), _) => format!("to recommend {arm}"),
                (None, Some(n)) => format!("to stop early after {n} periods"),
                (None, None) => "to stop early".to_string(),
            };
            for c in &rule.conditions {
                let Some(swapped) = matches(&c.statement) else {
                    continue;
                };
                written.push(Written {
                    text: format!(
                        "Rule {} ({what}): the probability of {} is {}{}; the rule needs {} {}: {}.",
                        i + 1,
                        c.statement.meaning,
                        prob_text(c.statement.probability),
                        c.statement
                            .mcse
                            .map(|se| format!(" (MCSE {})", fmt_stat(se, 3)))
                            .unwrap_or_default(),
                        symbol(c.required_comparison),
                        required(c.required_probability),
                        if c.met { "met" } else { "not met" }
                    ),
                    threshold: on_scale(&c.statement, swapped),
                });
            }
        }
        for s in &self.r.reported.probabilities {
            let Some(swapped) = matches(s) else {
                continue;
            };
            written.push(Written {
                text: format!(
                    "Reported: the probability of {} is {}.",
                    s.meaning,
                    prob_text(s.probability)
                ),
                threshold: on_scale(s, swapped),
            });
        }
        if written.is_empty() {
            let n = values.len().max(1) as f64;
            let p = values
                .iter()
                .filter(|v| {
                    if benefit_below {
                        **v < null
                    } else {
                        **v > null
                    }
                })
                .count() as f64
                / n;
            written.push(Written {
                text: format!(
                    "The probability that {} is {} on {an} than on {bn} is {}.",
                    outcome.name,
                    if benefit_below { "lower" } else { "higher" },
                    prob_text(Some(p))
                ),
                threshold: Some((null, benefit_below)),
            });
        }
        Some(figures::effect_picture(&EffectPicture {
            title: format!("{an} vs {bn} on {}", outcome.name),
            axis: measured,
            ratio,
            values: &values,
            benefit_below,
            mcid,
            arm: an.to_string(),
            versus: bn.to_string(),
            summary: summary_text,
            interval: (centre, summary.lower, summary.upper),
            written,
        }))
    }

    /// For a binary outcome: the expected days with the event per 30 days on
    /// each arm, at the reference's level mid-trial (the intercept).
    fn per_month(
        &self,
        outcome: &hir::Outcome,
        lowered: &LoweredOutcome,
        post: &Posterior,
    ) -> Option<String> {
        if outcome.kind != OutcomeType::Binary {
            return None;
        }
        let intercept = lowered
            .params
            .iter()
            .find(|p| p.role == Role::Intercept)
            .and_then(|p| element_of(lowered, p))?;
        let alpha = flat_draws(post, intercept);
        let level = self.spec.report.interval;
        let mut parts = Vec::new();
        for (k, arm) in self.spec.arms.iter().enumerate() {
            let effect = if k == self.spec.reference {
                None
            } else {
                Some(flat_draws(post, element_of(lowered, lowered.effect(k)?)?))
            };
            let days: Vec<f64> = alpha
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let d = effect
                        .as_ref()
                        .and_then(|e| e.get(i).copied())
                        .unwrap_or(0.0);
                    30.0 * logistic(a + d)
                })
                .collect();
            let s = crate::analysis::effects::summarise_values(&days, level);
            parts.push(format!(
                "{} {} ({} to {})",
                arm.name,
                fmt_stat(self.centre(&s), 1),
                fmt_stat(s.lower, 1),
                fmt_stat(s.upper, 1)
            ));
        }
        Some(format!(
            "On the natural scale: days with `{}` per 30 days, as the model expects them on each arm at the reference's level mid-trial ({}, {} interval): {}.",
            outcome.name,
            self.r.reported.estimate,
            percent(level),
            parts.join("; ")
        ))
    }

    /// The raw data per period and arm: analysed days and their mean.
    fn period_table(&self, doc: &mut Document, outcome: &hir::Outcome, lowered: &LoweredOutcome) {
        let means = figures::period_means(self.schedule, self.diary, lowered);
        let binary = outcome.kind == OutcomeType::Binary;
        let what = if binary {
            "days with the event"
        } else {
            "mean"
        };
        let mut rows = Vec::new();
        for p in &self.schedule.periods {
            let mut cells: Vec<(usize, usize, f64)> = Vec::new();
            for (i, &day) in lowered.analysis.days.iter().enumerate() {
                if !p.contains(day) {
                    continue;
                }
                let (Some(&arm), Some(v)) = (
                    lowered.analysis.arms.get(i),
                    self.diary.value(lowered.outcome, day),
                ) else {
                    continue;
                };
                match cells.iter_mut().find(|c| c.0 == arm) {
                    Some(c) => {
                        c.1 += 1;
                        c.2 += v;
                    }
                    None => cells.push((arm, 1, v)),
                }
            }
            if cells.is_empty() {
                rows.push(vec![
                    text(p.number.to_string()),
                    L::new().c(arm_name(self.spec, p.arm)).done(),
                    text(self.dates(p.first_day, p.last_day)),
                    text("0"),
                    text("—"),
                ]);
            }
            for (arm, n, sum) in cells {
                let shown = if binary {
                    format!("{} of {n}", sum.round() as u64)
                } else {
                    val(sum / n as f64)
                };
                rows.push(vec![
                    text(p.number.to_string()),
                    L::new().c(arm_name(self.spec, arm)).done(),
                    text(self.dates(p.first_day, p.last_day)),
                    text(n.to_string()),
                    text(shown),
                ]);
            }
        }
        // All periods of each arm.
        for (k, arm) in self.spec.arms.iter().enumerate() {
            let (mut n, mut sum) = (0usize, 0.0);
            for (i, &day) in lowered.analysis.days.iter().enumerate() {
                if lowered.analysis.arms.get(i) == Some(&k) {
                    if let Some(v) = self.diary.value(lowered.outcome, day) {
                        n += 1;
                        sum += v;
                    }
                }
            }
            if n == 0 {
                continue;
            }
            let shown = if binary {
                format!(
                    "{} of {n} ({}%)",
                    sum.round() as u64,
                    fmt_stat(100.0 * sum / n as f64, 0)
                )
            } else {
                val(sum / n as f64)
            };
            rows.push(vec![
                L::new().b("all").done(),
                L::new().c(&arm.name).done(),
                text(""),
                text(n.to_string()),
                L::new().b(shown).done(),
            ]);
        }
        let _ = means;
        doc.para(text(format!(
            "The diary's values of `{}` on analysed days, per period and arm (raw, before any model):",
            outcome.name
        )));
        doc.table(&["period", "arm", "dates", "analysed days", what], rows);
    }

    // ------------------------------------------------------------ 3

    fn rules(&self, doc: &mut Document) {
        let r = self.r;
        doc.heading(2, "rules", "3. The decision rules");
        if r.rules.is_empty() {
            doc.para(text("The protocol has no decision rules."));
        } else {
            doc.para(text("As the protocol fixed them before the trial. Each probability is the share of posterior draws for which the statement holds, with its Monte Carlo standard error; a rule fires when each of its conditions meets its requirement (and, for a stop-early rule, enough periods are complete)."));
            let mut rows = Vec::new();
            for (i, rule) in r.rules.iter().enumerate() {
                let head = match (&rule.recommends, rule.after_periods) {
                    (Some(arm), _) => format!("recommend {arm} if"),
                    (None, _) => "stop early if".into(),
                };
                let last = rule.conditions.len().saturating_sub(1);
                for (j, c) in rule.conditions.iter().enumerate() {
                    let mut written = format!(
                        "{} P({}) {} {}",
                        if j == 0 { head.as_str() } else { "and" },
                        c.statement.statement,
                        c.required_comparison,
                        required(c.required_probability)
                    );
                    if let (true, Some(n)) = (j == last, rule.after_periods) {
                        written.push_str(&format!(" after {n} periods"));
                    }
                    let p = match (c.statement.probability, c.statement.mcse) {
                        (Some(p), Some(se)) => format!(
                            "{p:.3} ± {}; needs {} {}",
                            fmt_stat(se, 3),
                            symbol(c.required_comparison),
                            required(c.required_probability)
                        ),
                        _ => "not available".into(),
                    };
                    let met = if c.met { "met" } else { "not met" };
                    let verdict = match (j == last, rule.fires) {
                        (true, true) => format!("{met}: the rule fires"),
                        (true, false) => format!("{met}: the rule does not fire"),
                        (false, _) => met.to_string(),
                    };
                    rows.push(vec![
                        L::new()
                            .t(if j == 0 {
                                format!("{}. ", i + 1)
                            } else {
                                String::new()
                            })
                            .c(written)
                            .done(),
                        text(c.statement.meaning.clone()),
                        text(p),
                        text(verdict),
                    ]);
                }
            }
            doc.sized(
                &[
                    "rule, as the protocol states it",
                    "in words",
                    "P (± MCSE)",
                    "verdict",
                ],
                &[32, 34, 18, 16],
                rows,
            );
            for (i, rule) in r.rules.iter().enumerate() {
                if let Some(note) = &rule.note {
                    doc.para(text(format!("Rule {}: {note}.", i + 1)));
                }
            }
        }
        let rep = &r.reported;
        if !rep.probabilities.is_empty() || !rep.quantities.is_empty() {
            doc.para(text(
                "Reported as the protocol pre-specified, deciding nothing:",
            ));
            let mut rows = Vec::new();
            for p in &rep.probabilities {
                rows.push(vec![
                    L::new().c(format!("P({})", p.statement)).done(),
                    text(p.meaning.clone()),
                    text(match (p.probability, p.mcse) {
                        (Some(v), Some(se)) => format!("{v:.3} ± {}", fmt_stat(se, 3)),
                        _ => p.note.clone().unwrap_or_else(|| "not available".into()),
                    }),
                ]);
            }
            for q in &rep.quantities {
                let value = match &q.summary {
                    Some(i) => {
                        let median = rep.estimate == "median" || q.scale.ends_with("ratio");
                        format!(
                            "{} {} ({} interval {} to {}){}",
                            if median { "median" } else { "mean" },
                            val(if median { i.median } else { i.mean }),
                            percent(i.level),
                            val(i.lower),
                            val(i.upper),
                            q.p_better
                                .map(|p| format!(
                                    "; favours {} with probability {}",
                                    q.arm,
                                    prob_text(Some(p))
                                ))
                                .unwrap_or_default()
                        )
                    }
                    None => q.note.clone().unwrap_or_else(|| "not available".into()),
                };
                rows.push(vec![
                    L::new().c(q.quantity.clone()).done(),
                    text(format!(
                        "{} of {} vs {} on {}",
                        q.scale.replace('_', " "),
                        q.arm,
                        q.versus,
                        q.outcome
                    )),
                    text(value),
                ]);
            }
            doc.sized(&["quantity", "what", "estimate"], &[30, 30, 40], rows);
        }
        if let Some(s) = &r.sensitivity {
            doc.para(text("Sensitivity to the foundation model's prior: the same rules with each prior from an LFM hypothesis replaced by its vague component alone, fitted again with the same settings."));
            let mut rows = Vec::new();
            for rule in &s.rules {
                let head = match (&rule.recommends, rule.after_periods) {
                    (Some(arm), _) => format!("recommend {arm}"),
                    (None, Some(n)) => format!("stop early after {n} periods"),
                    (None, None) => "stop early".into(),
                };
                let side = |lfm: bool| {
                    let fires = if lfm {
                        rule.fires_lfm
                    } else {
                        rule.fires_sceptical
                    };
                    format!(
                        "P = {}: {}",
                        rule.probabilities(lfm),
                        if fires { "fires" } else { "does not fire" }
                    )
                };
                rows.push(vec![
                    L::new().c(head).done(),
                    text(side(true)),
                    text(side(false)),
                ]);
            }
            doc.table(&["rule", "LFM prior", "sceptical prior"], rows);
            doc.para(text(s.verdict.clone()));
        }
    }

    // ------------------------------------------------------------ 4

    fn flow(&self, doc: &mut Document) {
        let r = self.r;
        let d = &r.data;
        doc.heading(2, "flow", "4. The participant's days");
        let span = match (d.first_day, d.last_day) {
            (Some(a), Some(b)) => {
                let dates = self.dates(a, b);
                format!(
                    ", days {a}–{b}{}",
                    if dates.is_empty() {
                        String::new()
                    } else {
                        format!(" ({dates})")
                    }
                )
            }
            _ => String::new(),
        };
        doc.para(text(format!(
            "The diary has {}{span}; {} of {} periods are complete. {}",
            plural(d.rows as u64, "row", "rows"),
            d.periods_complete,
            d.periods_planned,
            if d.has_arm_column {
                "Its `arm` column records what was taken."
            } else {
                "It has no `arm` column: the schedule's arms are assumed."
            }
        )));
        let mut rows = Vec::new();
        for p in &r.trial.periods {
            rows.push(vec![
                text(p.number.to_string()),
                L::new().c(&p.arm).done(),
                text(format!("{}–{}", p.first_day, p.last_day)),
                text(self.dates(p.first_day, p.last_day)),
                text(if p.washout_days > 0 {
                    format!("days {}–{}", p.first_day, p.first_day + p.washout_days - 1)
                } else {
                    "none".into()
                }),
            ]);
        }
        doc.para(text("The sequence given (unblinded for the analysis):"));
        doc.table(&["period", "arm", "days", "dates", "washout"], rows);
        doc.para(text("The flow of days for each outcome: every day the diary has a row for or the outcome is scheduled is counted once, as analysed or under the first reason that excludes it."));
        let mut rows = Vec::new();
        for o in &r.outcomes {
            let per_arm: Vec<String> = o
                .analysis
                .per_arm
                .iter()
                .map(|c| format!("{} {}", c.arm, c.days))
                .collect();
            let excluded: Vec<String> = o
                .analysis
                .exclusions
                .iter()
                .map(|e| format!("{} {} (days {})", e.reason, e.count, day_ranges(&e.days)))
                .collect();
            rows.push(vec![
                L::new().c(&o.name).done(),
                text(o.analysis.days.to_string()),
                text(format!("{} ({})", o.analysis.analysed, per_arm.join(", "))),
                text(if excluded.is_empty() {
                    "none".into()
                } else {
                    excluded.join("; ")
                }),
            ]);
        }
        doc.sized(
            &[
                "outcome",
                "days counted",
                "analysed",
                "not analysed, by reason",
            ],
            &[16, 12, 24, 48],
            rows,
        );
        if d.deviations.is_empty() {
            doc.para(text(if d.has_arm_column {
                "Deviations: none; the diary's arms agree with the schedule."
            } else {
                "Deviations: not recorded (no arm column)."
            }));
        } else {
            doc.para(text(format!(
                "Deviations: on {} the arm taken differs from the schedule; those days are analysed under the arm taken.",
                plural(d.deviations.len() as u64, "day", "days")
            )));
            let rows = d
                .deviations
                .iter()
                .map(|v| {
                    vec![
                        text(v.day.to_string()),
                        text(v.date.clone().unwrap_or_default()),
                        text(
                            v.scheduled
                                .clone()
                                .unwrap_or_else(|| "none (run-in)".into()),
                        ),
                        text(v.taken.clone().unwrap_or_else(|| "none".into())),
                    ]
                })
                .collect();
            doc.table(&["day", "date", "scheduled", "taken"], rows);
        }
    }

    // ------------------------------------------------------------ 5

    fn methods(&self, doc: &mut Document) {
        let t = &self.r.trial;
        doc.heading(2, "methods", "5. Methods in brief");
        let allocation = match self.r.provenance.allocation {
            "commitment" => "drawn from the pharmacy's key, verified against the spec's commitment before the analysis",
            "seed" => "drawn from the spec's seed",
            "diary" => "randomized outside trialc and recorded in the diary's `arm` column (`sequence from data`)",
            _ => "fixed by the design",
        };
        // Periods of one length, of listed lengths, or the diary's runs.
        let lengths = t.periods.iter().map(|p| p.last_day + 1 - p.first_day);
        let periods = match (t.period_days, lengths.clone().min(), lengths.max()) {
            (Some(days), _, _) => format!(
                "{} of {}",
                plural(t.periods.len() as u64, "period", "periods"),
                plural(days, "day", "days")
            ),
            (None, Some(shortest), Some(longest)) => format!(
                "{} periods of {shortest} to {longest} days",
                t.periods.len()
            ),
            (None, _, _) => "no periods".to_string(),
        };
        let window = t.window.map_or(String::new(), |w| {
            format!(
                " Only days {} to {} were analysed (the analysis window).",
                w.first_day, w.last_day
            )
        });
        doc.para(text(format!(
            "A {}-blind multiple crossover trial in one participant: {periods} (`{}`), after a run-in of {} days; the first {} days after a change of arm are washout and not analysed. The allocation was {allocation}.{window} The analysis is the protocol's: one Bayesian model per outcome, fitted to this participant's diary alone ({}); each parameter's prior is listed beside its posterior in section 6.",
            t.blinding,
            t.design,
            t.run_in_days,
            t.washout_days,
            self.settings_text()
        ).replace("open-blind", "open-label")));
        for o in &self.r.outcomes {
            if let Some(tr) = &o.trend {
                doc.para(text(format!(
                    "`{}` has a linear trend per {} days, centred on day {} (the mean analysed day); the intercept is the reference arm's level there.",
                    o.name,
                    tr.per_days,
                    num(tr.centre_day)
                )));
            }
        }
        if !self.r.hypotheses.is_empty() {
            doc.para(text("Priors from a foundation model's hypotheses (trialc reads what a model produced; it never calls one):"));
            let mut rows = Vec::new();
            for h in &self.r.hypotheses {
                for u in &h.hypotheses {
                    rows.push(vec![
                        L::new().c(format!("{}.{}", h.source, u.id)).done(),
                        text(u.rank.to_string()),
                        text(format!("{} on {}", u.intervention, u.outcome)),
                        text(format!("mean {}, sd {}", num(u.mean), num(u.sd))),
                        text(if u.used_by.is_empty() {
                            "not used".to_string()
                        } else {
                            format!("prior of {}", u.used_by.join(", "))
                        }),
                    ]);
                }
            }
            doc.table(
                &["hypothesis", "rank", "about", "effect", "in this analysis"],
                rows,
            );
        }
        self.model_checks(doc);
    }

    /// Each outcome's posterior predictive check in one line, then each
    /// `--compare-loo`: the spec's model and the alternative by PSIS-LOO,
    /// their difference and the verdict, as the text report has them.
    fn model_checks(&self, doc: &mut Document) {
        let checks: Vec<Line> = self
            .r
            .outcomes
            .iter()
            .filter_map(|o| {
                o.predictive_check
                    .as_ref()
                    .map(|c| text(format!("`{}`: {}", o.name, c.summary)))
            })
            .collect();
        if !checks.is_empty() {
            doc.para(text(
                "Posterior predictive checks (the diary against the data the fitted model replicates):",
            ));
            doc.push(Block::List(checks));
        }
        for c in &self.r.loo {
            doc.para(text(format!(
                "Model check of `{}` (`--compare-loo`): the spec's model against an alternative, by leave-one-out cross-validation (PSIS-LOO, {} draws, {} observations); the higher elpd_loo predicts the left-out days better.",
                c.outcome, c.draws, c.observations
            )));
            let row = |m: &crate::analysis::loo::LooModel, whose: &str| {
                vec![
                    text(format!("{}{whose}", m.description)),
                    text(format!("{:.1}", m.elpd_loo)),
                    text(format!("{:.1}", m.se)),
                    text(format!("{:.1}", m.p_loo)),
                    text(if m.high_k.is_empty() {
                        "none".to_string()
                    } else {
                        let days: Vec<u64> = m.high_k.iter().map(|h| h.day).collect();
                        let word = if days.len() == 1 { "day" } else { "days" };
                        format!("{word} {}", day_ranges(&days))
                    }),
                ]
            };
            let unreliable = format!("k-hat above {:.2}", c.k_threshold);
            doc.table(
                &["model", "elpd_loo", "SE", "p_loo", &unreliable],
                vec![row(&c.model, " (the spec's)"), row(&c.alternative, "")],
            );
            // The verdict states the difference and its SE.
            let mut after = c.verdict.clone();
            if !c.convergence_warnings.is_empty() {
                after.push_str(
                    " The alternative's fit had convergence warnings: its elpd_loo is provisional.",
                );
            }
            doc.para(text(after));
        }
    }

    // ------------------------------------------------------------ 6

    fn diagnostics(&self, doc: &mut Document) {
        let r = self.r;
        doc.heading(2, "diagnostics", "6. Sampler diagnostics");
        let laplace = r.approximation.is_some();
        let summary = if laplace {
            "Diagnostics: not applicable to the Laplace approximation (no Markov chains)"
                .to_string()
        } else if r.diagnostics.is_empty() {
            format!(
                "Sampler diagnostics: no warnings (R-hat ≤ {}, bulk-ESS ≥ {:.0}, no divergences, no saturated tree depth, E-BFMI ≥ {})",
                super::RHAT_MAX,
                super::ESS_BULK_MIN,
                super::E_BFMI_MIN
            )
        } else {
            let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code).collect();
            format!(
                "Sampler diagnostics: {} ({})",
                plural(codes.len() as u64, "warning", "warnings"),
                codes.join(", ")
            )
        };
        let mut blocks = Vec::new();
        blocks.push(Block::Para(text(format!("{}.", self.settings_text()))));
        for d in &r.diagnostics {
            blocks.push(Block::Para(text(format!("{}: {}", d.code, d.message))));
        }
        let level = r.reported.interval;
        let tails = [percent((1.0 - level) / 2.0), percent((1.0 + level) / 2.0)];
        for o in &r.outcomes {
            let s = &o.sampler;
            blocks.push(Block::Para(
                L::new()
                    .b(o.name.clone())
                    .t(if laplace {
                        String::new()
                    } else {
                        format!(
                            ": {} divergent transitions, {} at the maximum tree depth, E-BFMI {}; step sizes {}; {} gradient evaluations; chains started {}.",
                            s.divergences,
                            s.max_treedepth_hits,
                            s.e_bfmi.iter().map(|v| fmt_stat(*v, 2)).collect::<Vec<_>>().join(" / "),
                            s.stepsizes.iter().map(|v| fmt_stat(*v, 3)).collect::<Vec<_>>().join(" / "),
                            s.grad_evals,
                            s.init
                        )
                    })
                    .done(),
            ));
            let stat = |v: f64, digits: usize| {
                if laplace {
                    "n/a".to_string()
                } else {
                    fmt_stat(v, digits)
                }
            };
            let rows = o
                .parameters
                .iter()
                .map(|p| {
                    vec![
                        L::new().c(&p.name).done(),
                        text(val(p.mean)),
                        text(val(p.lower)),
                        text(val(p.upper)),
                        text(stat(p.rhat, 3)),
                        text(stat(p.ess_bulk, 0)),
                        text(stat(p.ess_tail, 0)),
                        text(val(p.mcse_mean)),
                        L::new()
                            .c(&p.prior)
                            .t(if p.prior_default { " (default)" } else { "" })
                            .done(),
                    ]
                })
                .collect();
            blocks.push(Block::Sized {
                widths: vec![20, 9, 9, 9, 8, 9, 9, 8, 19],
                head: [
                    "parameter",
                    "mean",
                    tails[0].as_str(),
                    tails[1].as_str(),
                    "R-hat",
                    "ESS bulk",
                    "ESS tail",
                    "MCSE",
                    "prior",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
                rows,
            });
        }
        let method = if self.r.settings.method == Method::Laplace {
            "The draws are independent (Laplace): R-hat and ESS do not apply."
        } else {
            "Trace and rank plots, and the draws as CmdStan CSV, are written by `trialc run --out DIR`."
        };
        blocks.push(Block::Para(text(method)));
        doc.push(Block::Details { summary, blocks });
    }

    // ------------------------------------------------------------ 7

    fn provenance(&self, doc: &mut Document) {
        let p = &self.r.provenance;
        doc.heading(2, "provenance", "7. Provenance");
        let mut rows = vec![
            vec![text("trialc"), L::new().c(p.trialc).done()],
            vec![
                text("grammar"),
                L::new().t("SHA-256 ").c(&p.grammar_sha256).done(),
            ],
        ];
        let mut file = |what: &str, f: &super::FileDigest| {
            rows.push(vec![
                text(what.to_string()),
                L::new().c(&f.name).t(", SHA-256 ").c(&f.sha256).done(),
            ]);
        };
        if let Some(f) = &p.spec {
            file("spec", f);
        }
        if let Some(f) = &p.diary {
            file("diary", f);
        }
        for f in &p.hypotheses {
            file("hypotheses", f);
        }
        rows.push(vec![
            text("allocation"),
            match (&p.seed_commitment, p.allocation) {
                (Some(c), _) => L::new()
                    .t("drawn from the pharmacy's key; seed commitment ")
                    .c(c)
                    .done(),
                (None, "seed") => text("drawn from the spec's plain seed (not shown)"),
                (None, "diary") => text("the diary's `arm` column (`sequence from data`)"),
                _ => text("fixed by the design"),
            },
        ]);
        rows.push(vec![text("sampler"), text(self.settings_text())]);
        doc.para(text("Every input by its SHA-256; `report.json` (`trialc run --format json`, or `--out DIR`) carries the same under `provenance`."));
        doc.sized(&["input", "identity"], &[16, 84], rows);
    }
}

/// `>=` as a clinician reads it.
fn symbol(comparison: &str) -> &str {
    match comparison {
        ">=" => "≥",
        "<=" => "≤",
        other => other,
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

fn arm_name(spec: &hir::Spec, arm: usize) -> &str {
    spec.arms.get(arm).map_or("?", |a| a.name.as_str())
}
