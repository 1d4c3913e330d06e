//! The result document's pictures, drawn for a clinician rather than a
//! statistician: the effect on its natural scale with the side that favours
//! each arm and the clinically important zone shaded and the deciding
//! probability written on it; and the outcome over time with each period's
//! mean and calendar dates on the axis.
//!
//! Every text is placed in a band of its own (title, the probabilities, the
//! "favours" labels, the legend), wrapped to the picture's width, so nothing
//! is drawn over a label. Hand-written SVG with coordinates printed to one
//! decimal: equal inputs give equal bytes.

use std::fmt::Write as _;

use super::svg::{arm_colour, c, escape, tick, ticks, Scale};
use crate::data::Diary;
use crate::hir::{self, OutcomeType};
use crate::lower::LoweredOutcome;
use crate::schedule::{Phase, Schedule};

/// Width of both pictures, in SVG units (scaled to the page).
const WIDTH: f64 = 680.0;
/// Height of one line of text.
const LINE: f64 = 15.0;
/// A generous estimate of the width of one character at 11 px (DejaVu
/// Sans, the widest of the fonts the style sheet names), so wrapped lines
/// stay inside the picture.
const CHAR: f64 = 6.9;

/// `text` wrapped to lines of at most `width` pixels at 11 px.
pub fn wrap(text: &str, width: f64) -> Vec<String> {
    let most = ((width / CHAR).floor() as usize).max(10);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > most {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Estimated width of `text` at 11 px.
fn width_of(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR
}

/// A probability to write on the effect picture, with the threshold it is
/// about when that threshold is on the picture's scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub text: String,
    /// The threshold on the natural scale and whether the statement is
    /// about the values below it.
    pub threshold: Option<(f64, bool)>,
}

/// One effect (an arm against another) on its natural scale.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectPicture<'a> {
    pub title: String,
    /// The axis: what is measured, in its unit.
    pub axis: String,
    /// A ratio: drawn on a log axis, no difference at 1.
    pub ratio: bool,
    /// Draws on the natural scale.
    pub values: &'a [f64],
    /// Whether values below "no difference" favour `arm`.
    pub benefit_below: bool,
    /// Where clinically important benefit begins, on the natural scale.
    pub mcid: Option<f64>,
    pub arm: String,
    pub versus: String,
    /// The estimate and interval in words.
    pub summary: String,
    /// Estimate, lower and upper end of the interval.
    pub interval: (f64, f64, f64),
    /// The probabilities the decision reads, in words.
    pub written: Vec<Written>,
}

/// Quantile `q` of sorted values (type 7).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let (i, f) = (h.floor() as usize, h - h.floor());
    let a = sorted[i.min(sorted.len() - 1)];
    let b = sorted[(i + 1).min(sorted.len() - 1)];
    a + f * (b - a)
}

/// A Gaussian kernel density estimate of `values` on `grid` (Silverman's
/// bandwidth), evaluated in a fixed order.
fn density(values: &[f64], grid: &[f64]) -> Vec<f64> {
    let n = values.len();
    if n == 0 {
        return vec![0.0; grid.len()];
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let iqr = quantile(&sorted, 0.75) - quantile(&sorted, 0.25);
    let spread = if iqr > 0.0 { sd.min(iqr / 1.34) } else { sd };
    let h = (0.9 * spread * (n as f64).powf(-0.2)).max(1e-9);
    let norm = 1.0 / (n as f64 * h * (2.0 * std::f64::consts::PI).sqrt());
    grid.iter()
        .map(|g| {
            norm * values
                .iter()
                .map(|v| (-0.5 * ((g - v) / h).powi(2)).exp())
                .sum::<f64>()
        })
        .collect()
}

/// Round ratios for a log axis within `[lo, hi]` (natural scale).
fn ratio_ticks(lo: f64, hi: f64) -> Vec<f64> {
    const NICE: [f64; 19] = [
        0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0,
        10.0, 20.0,
    ];
    let mut inside: Vec<f64> = NICE
        .iter()
        .copied()
        .filter(|v| *v >= lo && *v <= hi)
        .collect();
    while inside.len() > 7 {
        // Keep 1 (no difference) and every other tick.
        let keep: Vec<f64> = inside
            .iter()
            .enumerate()
            .filter(|(i, v)| i % 2 == 0 || **v == 1.0)
            .map(|(_, v)| *v)
            .collect();
        if keep.len() == inside.len() {
            break;
        }
        inside = keep;
    }
    if inside.len() < 2 {
        inside = vec![lo, 1.0_f64.clamp(lo, hi), hi];
        inside.dedup();
    }
    inside
}

/// Text at (x, y), escaped.
fn text(s: &mut String, x: f64, y: f64, anchor: &str, extra: &str, body: &str) {
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\"{extra}>{}</text>",
        c(x),
        c(y),
        escape(body)
    );
}

/// The effect of `arm` against `versus` on the natural scale.
pub fn effect_picture(p: &EffectPicture<'_>) -> String {
    let t = |v: f64| if p.ratio { v.max(1e-300).ln() } else { v };
    let mut sorted: Vec<f64> = p.values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let mut lo = t(quantile(&sorted, 0.005)).min(0.0);
    let mut hi = t(quantile(&sorted, 0.995)).max(0.0);
    let mut marks: Vec<f64> = p
        .written
        .iter()
        .filter_map(|w| w.threshold.map(|(v, _)| t(v)))
        .collect();
    if let Some(m) = p.mcid {
        marks.push(t(m));
    }
    for m in marks.iter().copied().filter(|m| m.is_finite()) {
        lo = lo.min(m);
        hi = hi.max(m);
    }
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        (lo, hi) = (-1.0, 1.0);
    }
    // Each side of "no difference" gets at least a quarter of the width,
    // so that both can say which arm they favour.
    lo = lo.min(-hi / 3.0);
    hi = hi.max(-lo / 3.0);
    let pad = (0.06 * (hi - lo)).max(1e-6);
    (lo, hi) = (lo - pad, hi + pad);

    let text_width = WIDTH - 24.0;
    let mut header: Vec<(String, &str)> = Vec::new();
    for l in wrap(&p.title, text_width * 11.0 / 13.0) {
        header.push((l, " font-size=\"13\" font-weight=\"bold\""));
    }
    for l in wrap(&p.summary, text_width) {
        header.push((l, ""));
    }
    for w in &p.written {
        for l in wrap(&w.text, text_width) {
            header.push((l, " fill=\"#1a4d2e\""));
        }
    }
    let header_end = 8.0 + LINE * header.len() as f64;
    let favours_y = header_end + 16.0;
    let top = favours_y + 8.0;
    let bottom = top + 110.0;
    let bar_y = bottom + 12.0;
    let axis_y = bottom + 24.0;
    let h = axis_y + 38.0;
    let x = Scale::new(lo, hi, 24.0, WIDTH - 16.0);
    let null = x.at(0.0);

    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg width=\"{WIDTH:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {WIDTH:.0} {h:.0}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\" role=\"img\">"
    );
    let _ = writeln!(s, "<title>{}</title>", escape(&p.title));
    let _ = writeln!(
        s,
        "<rect width=\"{WIDTH:.0}\" height=\"{h:.0}\" fill=\"white\"/>"
    );
    for (i, (line, style)) in header.iter().enumerate() {
        text(
            &mut s,
            12.0,
            8.0 + LINE * (i as f64 + 1.0) - 3.0,
            "start",
            style,
            line,
        );
    }

    // The side that favours `arm`, and within it the clinically important zone.
    let (b0, b1) = if p.benefit_below {
        (x.p0, null)
    } else {
        (null, x.p1)
    };
    let _ = writeln!(
        s,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#e3f2e7\"/>",
        c(b0),
        c(top),
        c((b1 - b0).max(0.0)),
        c(bar_y + 8.0 - top)
    );
    if let Some(m) = p.mcid.filter(|m| m.is_finite()) {
        let edge = x.at(t(m));
        let (m0, m1) = if p.benefit_below {
            (x.p0, edge)
        } else {
            (edge, x.p1)
        };
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#b9e0c4\"/>",
            c(m0),
            c(top),
            c((m1 - m0).max(0.0)),
            c(bar_y + 8.0 - top)
        );
        let label = "clinically important";
        let short = "important";
        let room = m1 - m0 - 8.0;
        let shown = if width_of(label) <= room {
            Some(label)
        } else if width_of(short) <= room {
            Some(short)
        } else {
            None
        };
        if let Some(label) = shown {
            let (lx, anchor) = if p.benefit_below {
                (m1 - 4.0, "end")
            } else {
                (m0 + 4.0, "start")
            };
            text(&mut s, lx, top + 12.0, anchor, " fill=\"#1a4d2e\"", label);
        }
    }
    // Which side favours which arm, above the plot, each within its side
    // (shortened to the arm's name when the side is narrow).
    let (left_arm, right_arm) = if p.benefit_below {
        (&p.arm, &p.versus)
    } else {
        (&p.versus, &p.arm)
    };
    let left_room = null - x.p0 - 8.0;
    let right_room = x.p1 - null - 8.0;
    let fit = |long: String, short: String, room: f64| {
        if width_of(&long) * 1.1 <= room {
            Some(long)
        } else if width_of(&short) * 1.1 <= room {
            Some(short)
        } else {
            None
        }
    };
    if let Some(l) = fit(
        format!("← favours {left_arm}"),
        format!("← {left_arm}"),
        left_room,
    ) {
        text(
            &mut s,
            null - 6.0,
            favours_y,
            "end",
            " font-weight=\"bold\"",
            &l,
        );
    }
    if let Some(r) = fit(
        format!("favours {right_arm} →"),
        format!("{right_arm} →"),
        right_room,
    ) {
        text(
            &mut s,
            null + 6.0,
            favours_y,
            "start",
            " font-weight=\"bold\"",
            &r,
        );
    }

    // The posterior density, and the mass beyond the deciding threshold.
    let n = 160usize;
    let grid: Vec<f64> = (0..=n)
        .map(|i| lo + (hi - lo) * i as f64 / n as f64)
        .collect();
    let tv: Vec<f64> = sorted
        .iter()
        .map(|v| t(*v))
        .filter(|v| v.is_finite())
        .collect();
    let dens = density(&tv, &grid);
    let peak = dens.iter().copied().fold(0.0, f64::max).max(1e-12);
    let y = Scale::new(0.0, peak * 1.08, bottom, top + 18.0);
    let area = |from: usize, to: usize| -> String {
        let mut d = format!("M{} {}", c(x.at(grid[from])), c(bottom));
        for i in from..=to {
            let _ = write!(d, "L{} {}", c(x.at(grid[i])), c(y.at(dens[i])));
        }
        let _ = write!(d, "L{} {}Z", c(x.at(grid[to])), c(bottom));
        d
    };
    let _ = writeln!(
        s,
        "<path d=\"{}\" fill=\"#4c72b0\" fill-opacity=\"0.3\" stroke=\"#4c72b0\" stroke-width=\"1.5\"/>",
        area(0, n)
    );
    if let Some((at, below)) = p.written.iter().find_map(|w| w.threshold) {
        let g = t(at);
        if g.is_finite() {
            let split = grid.iter().position(|v| *v >= g).unwrap_or(n);
            let (from, to) = if below {
                (0, split.min(n))
            } else {
                (split.min(n), n)
            };
            if to > from {
                let _ = writeln!(
                    s,
                    "<path d=\"{}\" fill=\"#4c72b0\" fill-opacity=\"0.55\"/>",
                    area(from, to)
                );
            }
            let tx = x.at(g);
            let _ = writeln!(
                s,
                "<path d=\"M{} {}V{}\" stroke=\"#1a4d2e\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>",
                c(tx),
                c(top),
                c(bottom)
            );
        }
    }
    // No difference.
    let _ = writeln!(
        s,
        "<path d=\"M{} {}V{}\" stroke=\"#333333\" stroke-width=\"1\"/>",
        c(null),
        c(top),
        c(axis_y)
    );
    // The estimate and its interval.
    let (est, l, u) = p.interval;
    let _ = writeln!(
        s,
        "<path d=\"M{} {}H{}\" stroke=\"#111111\" stroke-width=\"3\"/><circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"#111111\"/>",
        c(x.at(t(l))),
        c(bar_y),
        c(x.at(t(u))),
        c(x.at(t(est))),
        c(bar_y)
    );
    // The axis.
    let _ = writeln!(
        s,
        "<path d=\"M{} {}H{}\" stroke=\"black\"/>",
        c(x.p0),
        c(axis_y),
        c(x.p1)
    );
    let tick_values: Vec<f64> = if p.ratio {
        ratio_ticks(lo.exp(), hi.exp())
    } else {
        ticks(lo, hi, 6)
    };
    let mut last_right = f64::NEG_INFINITY;
    for v in tick_values {
        let px = x.at(t(v));
        let label = tick(v);
        let half = width_of(&label) / 2.0;
        if px - half < last_right + 4.0 || px - half < 0.0 || px + half > WIDTH {
            continue;
        }
        last_right = px + half;
        let _ = writeln!(
            s,
            "<path d=\"M{} {}v4\" stroke=\"black\"/>",
            c(px),
            c(axis_y)
        );
        text(&mut s, px, axis_y + 15.0, "middle", "", &label);
    }
    for (i, l) in wrap(&p.axis, WIDTH - 40.0).iter().take(1).enumerate() {
        text(
            &mut s,
            WIDTH / 2.0,
            axis_y + 31.0 + LINE * i as f64,
            "middle",
            "",
            l,
        );
    }
    s.push_str("</svg>\n");
    s
}

/// The outcome day by day, each period's mean on its analysed days as a
/// bar in its arm's colour, run-in and washout hatched, and calendar dates
/// (or trial days) at the periods' starts on the axis.
pub fn over_time(
    spec: &hir::Spec,
    schedule: &Schedule,
    diary: &Diary,
    lowered: &LoweredOutcome,
) -> String {
    let j = lowered.outcome;
    let outcome = spec.outcomes.get(j);
    let name = outcome.map_or("outcome", |o| o.name.as_str());
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

    // The legend in its own rows above the plot.
    let mut legend: Vec<(String, String)> = spec
        .arms
        .iter()
        .enumerate()
        .map(|(k, a)| (a.name.clone(), arm_colour(k).to_string()))
        .collect();
    legend.push(("period mean (analysed days)".into(), "mean".into()));
    legend.push(("not analysed (run-in, washout)".into(), "hatch".into()));
    let mut rows: Vec<Vec<(f64, usize)>> = vec![Vec::new()];
    let mut lx = 12.0;
    for (i, (label, _)) in legend.iter().enumerate() {
        let w = 26.0 + width_of(label);
        if lx + w > WIDTH - 8.0 && lx > 12.0 {
            rows.push(Vec::new());
            lx = 12.0;
        }
        if let Some(row) = rows.last_mut() {
            row.push((lx, i));
        }
        lx += w + 12.0;
    }
    let title = match outcome.and_then(|o| o.description.as_deref()) {
        Some(d) => format!("{name} over time: {d}"),
        None => format!("{name} over time"),
    };
    let title_lines = wrap(&title, (WIDTH - 24.0) * 11.0 / 13.0);
    let legend_top = 8.0 + LINE * title_lines.len() as f64 + 4.0;
    let top = legend_top + LINE * rows.len() as f64 + 18.0;
    let bottom = top + 200.0;
    let h = bottom + 46.0;
    let x = Scale::new(0.5, schedule.total_days as f64 + 0.5, 52.0, WIDTH - 14.0);
    let y = Scale::new(lo - pad, hi + pad, bottom, top);

    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg width=\"{WIDTH:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {WIDTH:.0} {h:.0}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\" role=\"img\">"
    );
    let _ = writeln!(s, "<title>{}</title>", escape(&title));
    let _ = writeln!(
        s,
        "<rect width=\"{WIDTH:.0}\" height=\"{h:.0}\" fill=\"white\"/>"
    );
    let _ = writeln!(
        s,
        "<defs><pattern id=\"hatch-{j}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#eeeeee\"/><path d=\"M0 0V6\" stroke=\"#aaaaaa\" stroke-width=\"2\"/></pattern></defs>"
    );
    for (i, line) in title_lines.iter().enumerate() {
        text(
            &mut s,
            12.0,
            8.0 + LINE * (i as f64 + 1.0) - 3.0,
            "start",
            " font-size=\"13\" font-weight=\"bold\"",
            line,
        );
    }
    for (r, row) in rows.iter().enumerate() {
        let ly = legend_top + LINE * (r as f64 + 1.0) - 3.0;
        for &(px, i) in row {
            let (label, kind) = &legend[i];
            match kind.as_str() {
                "mean" => {
                    let _ = writeln!(
                        s,
                        "<path d=\"M{} {}h18\" stroke=\"#333333\" stroke-width=\"3\"/>",
                        c(px),
                        c(ly - 4.0)
                    );
                }
                "hatch" => {
                    let _ = writeln!(
                        s,
                        "<rect x=\"{}\" y=\"{}\" width=\"18\" height=\"10\" fill=\"url(#hatch-{j})\"/>",
                        c(px),
                        c(ly - 9.0)
                    );
                }
                colour => {
                    let _ = writeln!(
                        s,
                        "<rect x=\"{}\" y=\"{}\" width=\"18\" height=\"10\" fill=\"{colour}\" fill-opacity=\"0.45\"/>",
                        c(px),
                        c(ly - 9.0)
                    );
                }
            }
            text(&mut s, px + 24.0, ly, "start", "", label);
        }
    }

    let band = |s: &mut String, first: u64, last: u64, fill: &str, opacity: &str| {
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" fill-opacity=\"{opacity}\"/>",
            c(x.at(first as f64 - 0.5)),
            c(top),
            c(x.at(last as f64 + 0.5) - x.at(first as f64 - 0.5)),
            c(bottom - top)
        );
    };
    if schedule.run_in_days > 0 {
        band(
            &mut s,
            1,
            schedule.run_in_days,
            &format!("url(#hatch-{j})"),
            "1",
        );
    }
    let analysed = &lowered.analysis;
    for p in &schedule.periods {
        band(&mut s, p.first_day, p.last_day, arm_colour(p.arm), "0.16");
        if p.washout_days > 0 {
            band(
                &mut s,
                p.first_day,
                p.first_day + p.washout_days - 1,
                &format!("url(#hatch-{j})"),
                "1",
            );
        }
        let mid = (x.at(p.first_day as f64 - 0.5) + x.at(p.last_day as f64 + 0.5)) / 2.0;
        if x.at(p.last_day as f64 + 0.5) - x.at(p.first_day as f64 - 0.5) >= 14.0 {
            text(
                &mut s,
                mid,
                top - 4.0,
                "middle",
                " fill=\"#555555\"",
                &p.number.to_string(),
            );
        }
    }
    // The values: analysed filled in the colour of the arm taken, others hollow.
    for &(day, v) in &points {
        let (cx, cy) = (c(x.at(day as f64)), c(y.at(v)));
        match analysed.days.binary_search(&day) {
            Ok(i) if schedule.phase_on_day(day) == Some(Phase::Treatment) => {
                let arm = analysed.arms.get(i).copied().unwrap_or(0);
                let _ = writeln!(
                    s,
                    "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"2.4\" fill=\"{}\" fill-opacity=\"0.8\"/>",
                    arm_colour(arm)
                );
            }
            _ => {
                let _ = writeln!(
                    s,
                    "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"2.4\" fill=\"none\" stroke=\"#888888\"/>"
                );
            }
        }
    }
    // Each period's mean on its analysed days, by the arm taken.
    for (first, last, arm, mean) in period_means(schedule, diary, lowered) {
        let _ = writeln!(
            s,
            "<path d=\"M{} {}H{}\" stroke=\"{}\" stroke-width=\"3.5\" stroke-linecap=\"round\"/>",
            c(x.at(first as f64 - 0.4)),
            c(y.at(mean)),
            c(x.at(last as f64 + 0.4)),
            arm_colour(arm)
        );
    }
    // Axes: values on the left, dates (or days) at the periods' starts below.
    let _ = writeln!(
        s,
        "<path d=\"M{} {}H{}M{} {}V{}\" stroke=\"black\" fill=\"none\"/>",
        c(x.p0),
        c(bottom),
        c(x.p1),
        c(x.p0),
        c(bottom),
        c(top)
    );
    let yt = match outcome.map(|o| o.kind) {
        // Days are 0 or 1; the period means are shares of days.
        Some(OutcomeType::Binary) => vec![0.0, 0.5, 1.0],
        Some(OutcomeType::Ordinal { low, high }) if high - low <= 10 => {
            (low..=high).map(|v| v as f64).collect()
        }
        _ => ticks(lo, hi, 5),
    };
    for v in yt {
        let py = y.at(v);
        let _ = writeln!(
            s,
            "<path d=\"M{} {}h-4\" stroke=\"black\"/>",
            c(x.p0),
            c(py)
        );
        text(&mut s, x.p0 - 6.0, py + 4.0, "end", "", &tick(v));
    }
    let label_of = |day: u64| match schedule.date_of_day(day) {
        Some(d) => d.format("%Y-%m-%d").to_string(),
        None => format!("day {day}"),
    };
    // The periods' first days, as many as fit without touching; then day 1
    // when it fits before them. (tick, left edge, label)
    let mut placed: Vec<(f64, f64, String)> = Vec::new();
    for day in schedule.periods.iter().map(|p| p.first_day) {
        let px = x.at(day as f64 - 0.5);
        let label = label_of(day);
        let w = width_of(&label);
        let left = (px - w / 2.0).max(2.0);
        let after_last = placed
            .last()
            .is_none_or(|(_, l, prev)| left >= l + width_of(prev) + 8.0);
        if left + w <= WIDTH - 2.0 && after_last {
            placed.push((px, left, label));
        }
    }
    if schedule.run_in_days > 0 {
        let label = label_of(1);
        let px = x.at(0.5);
        let left = (px - width_of(&label) / 2.0).max(2.0);
        if placed
            .first()
            .is_none_or(|(_, l, _)| left + width_of(&label) + 8.0 <= *l)
        {
            placed.insert(0, (px, left, label));
        }
    }
    for (px, left, label) in &placed {
        let _ = writeln!(
            s,
            "<path d=\"M{} {}v4\" stroke=\"black\"/>",
            c(*px),
            c(bottom)
        );
        text(&mut s, *left, bottom + 15.0, "start", "", label);
    }
    let unit = outcome.and_then(|o| o.unit.clone());
    let axis = match (schedule.start.is_some(), unit) {
        (true, Some(u)) => format!("date (period numbers above); {name} in {u}"),
        (true, None) => "date (period numbers above)".to_string(),
        (false, Some(u)) => format!("trial day (period numbers above); {name} in {u}"),
        (false, None) => "trial day (period numbers above)".to_string(),
    };
    text(
        &mut s,
        (x.p0 + x.p1) / 2.0,
        bottom + 32.0,
        "middle",
        "",
        &axis,
    );
    s.push_str("</svg>\n");
    s
}

/// Each period's analysed days grouped by the arm taken: (first day, last
/// day, arm, mean value), in period order.
pub fn period_means(
    schedule: &Schedule,
    diary: &Diary,
    lowered: &LoweredOutcome,
) -> Vec<(u64, u64, usize, f64)> {
    let a = &lowered.analysis;
    let mut out = Vec::new();
    for p in &schedule.periods {
        let mut groups: Vec<(usize, u64, u64, f64, usize)> = Vec::new();
        for (i, &day) in a.days.iter().enumerate() {
            if !p.contains(day) {
                continue;
            }
            let (Some(&arm), Some(v)) = (a.arms.get(i), diary.value(lowered.outcome, day)) else {
                continue;
            };
            match groups.iter_mut().find(|g| g.0 == arm) {
                Some(g) => {
                    g.2 = day;
                    g.3 += v;
                    g.4 += 1;
                }
                None => groups.push((arm, day, day, v, 1)),
            }
        }
        for (arm, first, last, sum, n) in groups {
            out.push((first, last, arm, sum / n as f64));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_fit_the_width() {
        let text = "P(a clinically important reduction in pain (more than 1 point) with magnesium compared with placebo) = 0.38; the rule to recommend magnesium needs at least 0.80";
        let lines = wrap(text, 300.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width_of(l) <= 300.0), "{lines:?}");
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn the_density_integrates_to_one() {
        // Draws from a standard normal by its quantiles: the estimate's
        // integral over a wide grid is 1 up to the grid's trapezoid error.
        let values: Vec<f64> = (1..1000)
            .map(|i| {
                let p = i as f64 / 1000.0;
                // Inverse normal CDF by bisection on erf-free logistic-ish bounds.
                let (mut a, mut b) = (-8.0_f64, 8.0_f64);
                for _ in 0..80 {
                    let m = 0.5 * (a + b);
                    let cdf = 0.5 * (1.0 + erf(m / std::f64::consts::SQRT_2));
                    if cdf < p {
                        a = m;
                    } else {
                        b = m;
                    }
                }
                0.5 * (a + b)
            })
            .collect();
        let grid: Vec<f64> = (0..=800).map(|i| -8.0 + 16.0 * i as f64 / 800.0).collect();
        let d = density(&values, &grid);
        let step = 16.0 / 800.0;
        let integral: f64 = d.windows(2).map(|w| 0.5 * (w[0] + w[1]) * step).sum();
        assert!((integral - 1.0).abs() < 1e-3, "{integral}");
        // Smoothed, the peak is a little below the normal's 0.3989.
        let peak = d.iter().copied().fold(0.0, f64::max);
        assert!(peak < 0.3989 && peak > 0.36, "{peak}");
    }

    /// erf by its Abramowitz–Stegun 7.1.26 approximation (|error| < 1.5e-7).
    fn erf(x: f64) -> f64 {
        let t = 1.0 / (1.0 + 0.3275911 * x.abs());
        let y = 1.0
            - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
                + 0.254829592)
                * t
                * (-x * x).exp();
        if x >= 0.0 {
            y
        } else {
            -y
        }
    }

    /// Every text of the effect picture lies inside the picture, whatever
    /// the arms are called and wherever "no difference" falls.
    #[test]
    fn effect_picture_texts_stay_inside() {
        for (values, ratio, below) in [
            (
                (0..400)
                    .map(|i| -2.0 + i as f64 / 200.0)
                    .collect::<Vec<f64>>(),
                false,
                true,
            ),
            (
                (0..400).map(|i| 0.2 + i as f64 / 100.0).collect(),
                false,
                false,
            ),
            (
                (0..400).map(|i| (0.01 * i as f64 - 3.0).exp()).collect(),
                true,
                true,
            ),
        ] {
            let long = "a_treatment_arm_with_a_very_long_name_indeed".to_string();
            let svg = effect_picture(&EffectPicture {
                title: format!("{long} vs placebo on a long outcome name, for the record"),
                axis: "difference in mean pain (points)".into(),
                ratio,
                values: &values,
                benefit_below: below,
                mcid: Some(if ratio { 0.6 } else if below { -1.0 } else { 1.0 }),
                arm: long.clone(),
                versus: "placebo".into(),
                summary: "Difference in means -0.5 points (mean; 90% interval -1.8 to 0.8).".into(),
                interval: (values[200], values[20], values[380]),
                written: vec![Written {
                    text: "Rule 1 (to recommend it): the probability of a clinically important reduction in pain (more than 1 point) with it compared with placebo is 0.36 (MCSE 0.008); the rule needs ≥ 0.80: not met.".into(),
                    threshold: Some((if ratio { 0.6 } else { -1.0 }, true)),
                }],
            });
            let mut texts = 0;
            for part in svg.split("<text ").skip(1) {
                texts += 1;
                let attr = |name: &str| -> f64 {
                    let at = part.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
                    part[at..at + part[at..].find('"').expect("quote")]
                        .parse()
                        .expect("number")
                };
                let body =
                    &part[part.find('>').expect(">") + 1..part.find("</text>").expect("end")];
                let w = width_of(&body.replace("&amp;", "&").replace("&lt;", "<"));
                let x = attr("x");
                let (left, right) = if part.contains("text-anchor=\"end\"") {
                    (x - w, x)
                } else if part.contains("text-anchor=\"middle\"") {
                    (x - w / 2.0, x + w / 2.0)
                } else {
                    (x, x + w)
                };
                let scale = if part.contains("font-size=\"13\"") {
                    13.0 / 11.0
                } else {
                    1.0
                };
                assert!(
                    left >= -0.5 && left + (right - left) * scale <= WIDTH + 0.5,
                    "`{body}` from {left} to {right}"
                );
            }
            assert!(texts > 8, "{svg}");
            // The deciding probability is written, and its mass shaded.
            assert!(svg.contains("the rule needs ≥ 0.80"), "{svg}");
            assert!(svg.contains("fill-opacity=\"0.55\""));
        }
    }

    #[test]
    fn ratio_ticks_are_few_and_include_one() {
        let t = ratio_ticks(0.2, 4.0);
        assert!(t.contains(&1.0) && t.len() <= 7, "{t:?}");
        assert!(t.iter().all(|v| (0.2..=4.0).contains(v)));
        assert_eq!(ratio_ticks(0.9, 1.1).len(), 3);
    }
}
