//! Hand-written SVG plots for `--out DIR`: the outcome over time with arm
//! periods shaded and washout marked; the posterior density of each effect
//! with 0 and ±MCID marked; trace and rank plots per parameter element.
//!
//! No plotting crate: the plots are simple, and writing SVG text keeps them
//! byte-identical for equal inputs (coordinates are printed with one
//! decimal). The predictive check draws the observed series on bands of
//! its replicates. Traces are thinned to at most [`TRACE_POINTS`] points per chain
//! (every k-th draw) to keep files small; rank plots use all draws.

use std::fmt::Write as _;

use trialc_runtime::posterior::Posterior;

use trialc_runtime::diagnostics::quantiles;

use crate::analysis::effects::{element_of, flat_draws};
use crate::analysis::predictive::Predictive;
use crate::data::Diary;
use crate::hir::{self, OutcomeType};
use crate::lower::{LoweredOutcome, ParamInfo};
use crate::schedule::{Phase, Schedule};

/// At most this many points per chain in a trace panel.
pub const TRACE_POINTS: usize = 400;

const ARM_COLOURS: [&str; 6] = [
    "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860",
];
const CHAIN_COLOURS: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];

pub(super) fn arm_colour(arm: usize) -> &'static str {
    ARM_COLOURS
        .get(arm % ARM_COLOURS.len())
        .copied()
        .unwrap_or("#888888")
}

fn chain_colour(chain: usize) -> &'static str {
    CHAIN_COLOURS
        .get(chain % CHAIN_COLOURS.len())
        .copied()
        .unwrap_or("#888888")
}

/// Text content and attribute values, escaped for XML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with one decimal (enough at these sizes), never `-0.0`.
pub(super) fn c(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.1}");
    if s == "-0.0" {
        "0.0".into()
    } else {
        s
    }
}

/// A tick label: few digits, no `-0`.
pub(super) fn tick(v: f64) -> String {
    let s = if v.abs() >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.starts_with('-') && s[1..].chars().all(|ch| ch == '0' || ch == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// A linear map from data to pixels.
#[derive(Clone, Copy)]
pub(super) struct Scale {
    pub(super) d0: f64,
    pub(super) d1: f64,
    pub(super) p0: f64,
    pub(super) p1: f64,
}

impl Scale {
    pub(super) fn new(mut d0: f64, mut d1: f64, p0: f64, p1: f64) -> Scale {
        if !(d0.is_finite() && d1.is_finite()) {
            (d0, d1) = (0.0, 1.0);
        }
        if d1 <= d0 {
            (d0, d1) = (d0 - 0.5, d0 + 0.5);
        }
        Scale { d0, d1, p0, p1 }
    }
    pub(super) fn at(&self, v: f64) -> f64 {
        self.p0 + (v - self.d0) / (self.d1 - self.d0) * (self.p1 - self.p0)
    }
}

/// About `n` round tick values covering [lo, hi].
pub(super) fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let mut out = Vec::new();
    let mut v = (lo / step).ceil() * step;
    while v <= hi + step * 1e-9 && out.len() < 50 {
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        v += step;
    }
    out
}

fn open(w: f64, h: f64, title: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = writeln!(s, "<title>{}</title>", escape(title));
    let _ = writeln!(
        s,
        "<rect width=\"{w:.0}\" height=\"{h:.0}\" fill=\"white\"/>"
    );
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"16\" font-size=\"13\">{}</text>",
        escape(title)
    );
    s
}

fn axes(s: &mut String, x: Scale, y: Scale, xt: &[f64], yt: &[f64], xlabel: &str, ylabel: &str) {
    let (x0, x1, y0, y1) = (x.p0, x.p1, y.p0, y.p1);
    let _ = writeln!(
        s,
        "<path d=\"M{} {}H{}M{} {}V{}\" stroke=\"black\" fill=\"none\"/>",
        c(x0),
        c(y0),
        c(x1),
        c(x0),
        c(y0),
        c(y1)
    );
    for &t in xt {
        let px = x.at(t);
        let _ = writeln!(
            s,
            "<path d=\"M{} {}v4\" stroke=\"black\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            c(px),
            c(y0),
            c(px),
            c(y0 + 15.0),
            escape(&tick(t))
        );
    }
    for &t in yt {
        let py = y.at(t);
        let _ = writeln!(
            s,
            "<path d=\"M{} {}h-4\" stroke=\"black\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            c(x0),
            c(py),
            c(x0 - 6.0),
            c(py + 4.0),
            escape(&tick(t))
        );
    }
    if !xlabel.is_empty() {
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            c((x0 + x1) / 2.0),
            c(y0 + 30.0),
            escape(xlabel)
        );
    }
    if !ylabel.is_empty() {
        let _ = writeln!(
            s,
            "<text x=\"12\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {})\">{}</text>",
            c((y0 + y1) / 2.0),
            c((y0 + y1) / 2.0),
            escape(ylabel)
        );
    }
}

/// The outcome over time: periods shaded by arm, washout and run-in
/// hatched grey, analysed values filled, excluded values hollow.
pub fn timeline(
    spec: &hir::Spec,
    schedule: &Schedule,
    diary: &Diary,
    lowered: &LoweredOutcome,
) -> String {
    let j = lowered.outcome;
    let outcome = spec.outcomes.get(j);
    let name = outcome.map_or("outcome", |o| o.name.as_str());
    let (w, h) = (760.0, 300.0);
    let points: Vec<(u64, f64)> = diary
        .rows
        .iter()
        .filter_map(|r| Some((r.day, r.values.get(j).copied().flatten()?)))
        .collect();
    let (mut lo, mut hi) = match outcome.map(|o| o.kind) {
        Some(OutcomeType::Continuous {
            bounds: Some((a, b)),
        }) => (a, b),
        Some(OutcomeType::Binary) => (0.0, 1.0),
        Some(OutcomeType::Binomial { trials: Some(n) }) => (0.0, n as f64),
        Some(OutcomeType::Ordinal { low, high }) => (low as f64, high as f64),
        _ => (f64::INFINITY, f64::NEG_INFINITY),
    };
    for &(_, v) in &points {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(0.05);
    let x = Scale::new(0.5, schedule.total_days as f64 + 0.5, 55.0, w - 15.0);
    let y = Scale::new(lo - pad, hi + pad, h - 45.0, 50.0);
    let unit = outcome.and_then(|o| o.unit.clone()).unwrap_or_default();
    let mut s = open(w, h, &format!("{name} over time"));
    let _ = writeln!(
        s,
        "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#eeeeee\"/><path d=\"M0 0V6\" stroke=\"#999999\" stroke-width=\"2\"/></pattern></defs>"
    );
    let band = |s: &mut String, first: u64, last: u64, fill: &str, opacity: &str| {
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" fill-opacity=\"{opacity}\"/>",
            c(x.at(first as f64 - 0.5)),
            c(y.p1),
            c(x.at(last as f64 + 0.5) - x.at(first as f64 - 0.5)),
            c(y.p0 - y.p1)
        );
    };
    if schedule.run_in_days > 0 {
        band(&mut s, 1, schedule.run_in_days, "url(#hatch)", "1");
    }
    for p in &schedule.periods {
        band(&mut s, p.first_day, p.last_day, arm_colour(p.arm), "0.18");
        if p.washout_days > 0 {
            band(
                &mut s,
                p.first_day,
                p.first_day + p.washout_days - 1,
                "url(#hatch)",
                "1",
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555555\">{}</text>",
            c((x.at(p.first_day as f64 - 0.5) + x.at(p.last_day as f64 + 0.5)) / 2.0),
            c(y.p1 - 3.0),
            p.number
        );
    }
    let xt: Vec<f64> = std::iter::once(1.0)
        .chain(schedule.periods.iter().map(|p| p.last_day as f64))
        .collect();
    let yt = match outcome.map(|o| o.kind) {
        Some(OutcomeType::Binary) => vec![0.0, 1.0],
        Some(OutcomeType::Ordinal { low, high }) if high - low <= 10 => {
            (low..=high).map(|v| v as f64).collect()
        }
        _ => ticks(lo, hi, 5),
    };
    axes(
        &mut s,
        x,
        y,
        &xt,
        &yt,
        "trial day",
        &if unit.is_empty() {
            name.to_string()
        } else {
            format!("{name} ({unit})")
        },
    );
    for &(day, v) in &points {
        let analysed = schedule.phase_on_day(day) == Some(Phase::Treatment)
            && lowered.analysis.days.binary_search(&day).is_ok();
        let (cx, cy) = (c(x.at(day as f64)), c(y.at(v)));
        if analysed {
            let arm = diary.arm_taken(day, schedule).unwrap_or(0);
            let _ = writeln!(
                s,
                "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"2.5\" fill=\"{}\"/>",
                arm_colour(arm)
            );
        } else {
            let _ = writeln!(
                s,
                "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"2.5\" fill=\"none\" stroke=\"#777777\"/>"
            );
        }
    }
    // Legend: arms, then the excluded phases.
    let mut lx = 250.0;
    for (k, arm) in spec.arms.iter().enumerate() {
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"24\" width=\"10\" height=\"10\" fill=\"{}\" fill-opacity=\"0.5\"/><text x=\"{}\" y=\"33\">{}</text>",
            c(lx),
            arm_colour(k),
            c(lx + 14.0),
            escape(&arm.name)
        );
        lx += 24.0 + 7.0 * arm.name.len() as f64;
    }
    let _ = writeln!(
        s,
        "<rect x=\"{}\" y=\"24\" width=\"10\" height=\"10\" fill=\"url(#hatch)\"/><text x=\"{}\" y=\"33\">run-in / washout (not analysed)</text>",
        c(lx),
        c(lx + 14.0)
    );
    s.push_str("</svg>\n");
    s
}

/// Histogram density of one effect's draws with its prior's density over
/// it, 0 and ±MCID marked.
pub fn effect_density(
    outcome: &hir::Outcome,
    lowered: &LoweredOutcome,
    post: &Posterior,
    param: &ParamInfo,
) -> String {
    let draws = element_of(lowered, param)
        .map(|k| flat_draws(post, k))
        .unwrap_or_default();
    let (w, h) = (560.0, 300.0);
    let mcid = outcome.mcid.filter(|m| m.is_finite() && *m > 0.0);
    let mut lo = draws.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
    let mut hi = draws
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .max(0.0);
    if let Some(m) = mcid {
        lo = lo.min(-m);
        hi = hi.max(m);
    }
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        (lo, hi) = (-1.0, 1.0);
    }
    // A margin so the marker labels at the range's ends stay inside.
    let margin = 0.06 * (hi - lo);
    (lo, hi) = (lo - margin, hi + margin);
    let bins = 40usize;
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for d in &draws {
        let i = (((d - lo) / width).floor() as usize).min(bins - 1);
        if let Some(cnt) = counts.get_mut(i) {
            *cnt += 1;
        }
    }
    let n = draws.len().max(1) as f64;
    let dens: Vec<f64> = counts.iter().map(|&k| k as f64 / (n * width)).collect();
    let top = dens.iter().copied().fold(0.0, f64::max).max(1e-12);
    let x = Scale::new(lo, hi, 55.0, w - 20.0);
    let y = Scale::new(0.0, top * 1.1, h - 45.0, 40.0);
    let mut s = open(
        w,
        h,
        &format!(
            "posterior of {} on {} ({})",
            param.name,
            outcome.name,
            outcome.kind.effect_scale()
        ),
    );
    let mut path = String::new();
    for (i, d) in dens.iter().enumerate() {
        let x0 = x.at(lo + i as f64 * width);
        let x1 = x.at(lo + (i + 1) as f64 * width);
        let _ = write!(
            path,
            "M{} {}V{}H{}V{}Z",
            c(x0),
            c(y.at(0.0)),
            c(y.at(*d)),
            c(x1),
            c(y.at(0.0))
        );
    }
    let _ = writeln!(
        s,
        "<path d=\"{path}\" fill=\"#4c72b0\" fill-opacity=\"0.6\" stroke=\"#4c72b0\"/>"
    );
    // The prior's density over the same range (clipped at the top), so the
    // reader sees what the data changed; an LFM prior shows both components.
    let prior = lowered
        .model
        .priors
        .iter()
        .find(|t| t.param == param.id)
        .map(|t| &t.prior);
    if let Some(prior) = prior {
        let steps = 200usize;
        let mut curve = String::new();
        for i in 0..=steps {
            let v = lo + (hi - lo) * i as f64 / steps as f64;
            let Some(p) = prior.density(v).filter(|p| p.is_finite()) else {
                curve.clear();
                break;
            };
            let _ = write!(
                curve,
                "{}{} {}",
                if i == 0 { "M" } else { "L" },
                c(x.at(v)),
                c(y.at(p.min(top * 1.1)))
            );
        }
        if !curve.is_empty() {
            let _ = writeln!(
                s,
                "<path d=\"{curve}\" fill=\"none\" stroke=\"#55a868\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>"
            );
            let _ = writeln!(
                s,
                "<rect x=\"{}\" y=\"24\" width=\"10\" height=\"10\" fill=\"#4c72b0\" fill-opacity=\"0.6\"/><text x=\"{}\" y=\"33\">posterior</text><path d=\"M{} 29H{}\" stroke=\"#55a868\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/><text x=\"{}\" y=\"33\">prior</text>",
                c(w - 190.0),
                c(w - 176.0),
                c(w - 105.0),
                c(w - 85.0),
                c(w - 80.0)
            );
        }
    }
    let vline = |s: &mut String, v: f64, colour: &str, dash: &str, label: &str| {
        let _ = writeln!(
            s,
            "<path d=\"M{} {}V{}\" stroke=\"{colour}\" stroke-width=\"1.5\" stroke-dasharray=\"{dash}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{colour}\">{}</text>",
            c(x.at(v)),
            c(y.p0),
            c(y.p1),
            c(x.at(v)),
            c(y.p1 - 3.0),
            escape(label)
        );
    };
    vline(&mut s, 0.0, "black", "4 3", "0");
    if let Some(m) = mcid {
        vline(&mut s, -m, "#c44e52", "2 2", "-MCID");
        vline(&mut s, m, "#c44e52", "2 2", "+MCID");
    }
    axes(
        &mut s,
        x,
        y,
        &ticks(lo, hi, 6),
        &[],
        &format!("{} ({})", param.name, outcome.kind.effect_scale()),
        "density",
    );
    s.push_str("</svg>\n");
    s
}

/// One panel per posterior element, one polyline per chain.
pub fn trace(outcome: &hir::Outcome, post: &Posterior) -> String {
    let (w, panel) = (720.0, 110.0);
    let h = 30.0 + panel * post.names.len().max(1) as f64;
    let mut s = open(
        w,
        h,
        &format!("trace plots: {} ({} chains)", outcome.name, post.num_chains),
    );
    let step = post.num_draws.div_ceil(TRACE_POINTS).max(1);
    for (k, name) in post.names.iter().enumerate() {
        let top = 30.0 + panel * k as f64;
        let x_chains = post.element(k);
        let all: Vec<f64> = x_chains
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let x = Scale::new(
            0.0,
            post.num_draws.saturating_sub(1).max(1) as f64,
            70.0,
            w - 15.0,
        );
        let y = Scale::new(lo, hi, top + panel - 25.0, top + 12.0);
        let _ = writeln!(
            s,
            "<text x=\"70\" y=\"{}\">{}</text>",
            c(top + 8.0),
            escape(name)
        );
        for (ch, xs) in x_chains.iter().enumerate() {
            let pts: Vec<String> = xs
                .iter()
                .enumerate()
                .step_by(step)
                .map(|(i, v)| format!("{},{}", c(x.at(i as f64)), c(y.at(*v))))
                .collect();
            let _ = writeln!(
                s,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"0.8\" stroke-opacity=\"0.8\"/>",
                pts.join(" "),
                chain_colour(ch)
            );
        }
        axes(
            &mut s,
            x,
            y,
            &ticks(0.0, post.num_draws as f64, 5),
            &ticks(lo, hi, 3),
            "",
            "",
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Rank plots (Vehtari et al. 2021): for each element, the ranks of all
/// draws pooled over chains, histogrammed per chain; uniform histograms
/// mean the chains mix. The dashed line is the uniform expectation.
pub fn rank(outcome: &hir::Outcome, post: &Posterior) -> String {
    let (w, panel) = (720.0, 110.0);
    let h = 30.0 + panel * post.names.len().max(1) as f64;
    let mut s = open(
        w,
        h,
        &format!("rank plots: {} ({} chains)", outcome.name, post.num_chains),
    );
    let bins = 20usize;
    let total = post.num_chains * post.num_draws;
    for (k, name) in post.names.iter().enumerate() {
        let top = 30.0 + panel * k as f64;
        let x_chains = post.element(k);
        // Pooled ranks, ties broken by position so the result is deterministic.
        let mut order: Vec<(f64, usize, usize)> = x_chains
            .iter()
            .enumerate()
            .flat_map(|(ch, xs)| xs.iter().enumerate().map(move |(i, v)| (*v, ch, i)))
            .collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut counts = vec![vec![0usize; bins]; post.num_chains];
        for (r, (_, ch, _)) in order.iter().enumerate() {
            let b = (r * bins / total.max(1)).min(bins - 1);
            if let Some(cell) = counts.get_mut(*ch).and_then(|row| row.get_mut(b)) {
                *cell += 1;
            }
        }
        let expected = post.num_draws as f64 / bins as f64;
        let peak = counts.iter().flatten().copied().max().unwrap_or(0) as f64;
        let x = Scale::new(0.0, bins as f64, 70.0, w - 15.0);
        let y = Scale::new(
            0.0,
            peak.max(expected * 1.5).max(1.0),
            top + panel - 25.0,
            top + 12.0,
        );
        let _ = writeln!(
            s,
            "<text x=\"70\" y=\"{}\">{}</text>",
            c(top + 8.0),
            escape(name)
        );
        for (ch, row) in counts.iter().enumerate() {
            let mut path = format!("M{} {}", c(x.at(0.0)), c(y.at(0.0)));
            for (b, &n) in row.iter().enumerate() {
                let _ = write!(path, "V{}H{}", c(y.at(n as f64)), c(x.at((b + 1) as f64)));
            }
            let _ = write!(path, "V{}", c(y.at(0.0)));
            let _ = writeln!(
                s,
                "<path d=\"{path}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1\"/>",
                chain_colour(ch)
            );
        }
        let _ = writeln!(
            s,
            "<path d=\"M{} {}H{}\" stroke=\"black\" stroke-dasharray=\"4 3\"/>",
            c(x.at(0.0)),
            c(y.at(expected)),
            c(x.at(bins as f64))
        );
        axes(&mut s, x, y, &[], &ticks(0.0, y.d1, 3), "", "");
    }
    s.push_str("</svg>\n");
    s
}

/// The posterior predictive check of one outcome: the observed series (the
/// analysed values on the model's scale, over the model's clock) on the
/// central 50% and 90% bands of its replicates y_rep and their mean, with
/// the verdict underneath.
pub fn predictive(outcome: &hir::Outcome, pred: Option<&Predictive>) -> String {
    let (w, h) = (760.0, 320.0);
    let title = format!("{}: posterior predictive check", outcome.name);
    let mut s = open(w, h, &title);
    let Some((p, rep)) = pred.and_then(|p| Some((p, p.replicates()?))) else {
        let why = pred.map_or("no replicates".to_string(), |p| p.check.summary.clone());
        let _ = writeln!(
            s,
            "<text x=\"10\" y=\"40\">{}</text>",
            escape(&format!("not available: {why}"))
        );
        s.push_str("</svg>\n");
        return s;
    };
    let n = p.observed.len();
    let times: Vec<f64> = if p.times.len() == n {
        p.times.iter().map(|&t| t as f64).collect()
    } else {
        (1..=n).map(|i| i as f64).collect()
    };
    // Per observation: the 5%, 25%, 75% and 95% quantiles of its replicates.
    let bands: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let col: Vec<f64> = rep
                .column(i)
                .into_iter()
                .filter(|v| v.is_finite())
                .collect();
            quantiles(&col, &[0.05, 0.25, 0.75, 0.95])
        })
        .collect();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in p.observed.iter().chain(bands.iter().flatten()) {
        if v.is_finite() {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(0.05);
    let (t0, t1) = (
        times.first().copied().unwrap_or(0.0),
        times.last().copied().unwrap_or(1.0),
    );
    let x = Scale::new(t0 - 0.5, t1 + 0.5, 55.0, w - 15.0);
    let y = Scale::new(lo - pad, hi + pad, h - 75.0, 40.0);
    // A band as one polygon: its upper edge left to right, lower edge back.
    let band = |s: &mut String, a: usize, b: usize, fill: &str, opacity: &str| {
        let mut d = String::new();
        for (i, t) in times.iter().enumerate() {
            let _ = write!(
                d,
                "{}{} {}",
                if i == 0 { "M" } else { "L" },
                c(x.at(*t)),
                c(y.at(bands[i][b]))
            );
        }
        for (i, t) in times.iter().enumerate().rev() {
            let _ = write!(d, "L{} {}", c(x.at(*t)), c(y.at(bands[i][a])));
        }
        let _ = writeln!(
            s,
            "<path d=\"{d}Z\" fill=\"{fill}\" fill-opacity=\"{opacity}\" stroke=\"none\"/>"
        );
    };
    if n > 0 {
        band(&mut s, 0, 3, "#4c72b0", "0.2");
        band(&mut s, 1, 2, "#4c72b0", "0.35");
        // The replicates' mean: for a binary outcome, whose bands span 0
        // to 1, the predicted probability of each day.
        let mut d = String::new();
        for (i, t) in times.iter().enumerate() {
            let col = rep.column(i);
            let finite: Vec<f64> = col.into_iter().filter(|v| v.is_finite()).collect();
            let mean = finite.iter().sum::<f64>() / finite.len().max(1) as f64;
            let _ = write!(
                d,
                "{}{} {}",
                if i == 0 { "M" } else { "L" },
                c(x.at(*t)),
                c(y.at(mean))
            );
        }
        let _ = writeln!(
            s,
            "<path d=\"{d}\" fill=\"none\" stroke=\"#2a4a80\" stroke-width=\"1.2\"/>"
        );
    }
    let xlabel = "time of the observation (trial day, or the outcome's clock)";
    axes(
        &mut s,
        x,
        y,
        &ticks(t0, t1, 8),
        &ticks(lo, hi, 5),
        xlabel,
        &format!("{} (model scale)", outcome.name),
    );
    for (t, v) in times.iter().zip(&p.observed) {
        let _ = writeln!(
            s,
            "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"black\"/>",
            c(x.at(*t)),
            c(y.at(*v))
        );
    }
    let _ = writeln!(
        s,
        "<rect x=\"400\" y=\"24\" width=\"10\" height=\"10\" fill=\"#4c72b0\" fill-opacity=\"0.35\"/><text x=\"414\" y=\"33\">50% of replicates</text><rect x=\"530\" y=\"24\" width=\"10\" height=\"10\" fill=\"#4c72b0\" fill-opacity=\"0.2\"/><text x=\"544\" y=\"33\">90%</text><path d=\"M580 29h14\" stroke=\"#2a4a80\" stroke-width=\"1.2\"/><text x=\"598\" y=\"33\">mean</text><circle cx=\"650\" cy=\"29\" r=\"2.5\" fill=\"black\"/><text x=\"657\" y=\"33\">observed</text>"
    );
    let summary = &p.check.summary;
    let mut line_y = h - 30.0;
    for line in wrap_words(summary, 120) {
        let _ = writeln!(
            s,
            "<text x=\"10\" y=\"{}\">{}</text>",
            c(line_y),
            escape(&line)
        );
        line_y += 13.0;
    }
    s.push_str("</svg>\n");
    s
}

/// Words of `text` on lines of at most about `width` characters.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut last = String::new();
    for word in text.split_whitespace() {
        if !last.is_empty() && last.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut last));
        }
        if !last.is_empty() {
            last.push(' ');
        }
        last.push_str(word);
    }
    lines.push(last);
    lines.retain(|l| !l.is_empty());
    lines
}
