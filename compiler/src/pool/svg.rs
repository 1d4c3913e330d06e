//! Hand-written SVG plots of a pooled series (as `report::svg`: plain text,
//! one decimal, byte-identical for equal inputs): the forest plot of each
//! effect (each person's own estimate beside their shrunken one, the
//! population mean and a new person's predictive interval), the predictive
//! distribution with the fitted next-person prior over it, and the PIT
//! histogram of the LFM calibration.

use std::fmt::Write as _;

use super::mixture;
use super::report::{PoolReport, PooledEffect};
use crate::report::svg::escape;

/// A coordinate with one decimal, never `-0.0`.
fn c(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.1}");
    if s == "-0.0" {
        "0.0".into()
    } else {
        s
    }
}

/// A tick label.
fn tick(v: f64) -> String {
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

/// About `n` round values covering [lo, hi].
fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
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
    while v <= hi + 1e-9 * step {
        out.push(if v.abs() < 1e-12 * step { 0.0 } else { v });
        v += step;
    }
    out
}

/// A linear map from [d0, d1] to [p0, p1] (padded when degenerate).
fn scale(d0: f64, d1: f64, p0: f64, p1: f64) -> impl Fn(f64) -> f64 {
    let (d0, d1) = if d1 > d0 {
        (d0, d1)
    } else {
        (d0 - 0.5, d0 + 0.5)
    };
    move |v| p0 + (v - d0) / (d1 - d0) * (p1 - p0)
}

const WIDTH: f64 = 760.0;
const LEFT: f64 = 170.0;
const RIGHT: f64 = 30.0;
const ROW: f64 = 22.0;

/// The forest plot of one effect (module doc).
pub fn forest(report: &PoolReport, effect: &PooledEffect) -> String {
    let people: Vec<_> = report
        .people
        .iter()
        .filter(|p| p.arm == effect.arm)
        .collect();
    let rows = people.len() + 3;
    let top = 56.0;
    let height = top + ROW * rows as f64 + 50.0;
    // The range: every interval shown, and 0.
    let mut lo: f64 = 0.0;
    let mut hi: f64 = 0.0;
    for p in &people {
        lo = lo.min(p.pooled.q5);
        hi = hi.max(p.pooled.q95);
        if let Some(o) = &p.single {
            lo = lo.min(o.q5);
            hi = hi.max(o.q95);
        }
    }
    lo = lo.min(effect.predictive.q5).min(effect.mu.q5);
    hi = hi.max(effect.predictive.q95).max(effect.mu.q95);
    let pad = 0.05 * (hi - lo).max(1e-9);
    let (lo, hi) = (lo - pad, hi + pad);
    let x = scale(lo, hi, LEFT, WIDTH - RIGHT);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" font-family=\"sans-serif\" font-size=\"12\">",
        c(WIDTH), c(height), c(WIDTH), c(height)
    );
    let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"20\" font-size=\"14\">Effect of {} vs {} on {} ({}): each person's own trial and pooled</text>",
        c(10.0),
        escape(&effect.arm),
        escape(&report.model.reference),
        escape(&report.outcome.name),
        escape(report.outcome.scale)
    );
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"38\" fill=\"#555\">90% intervals; grey: own single-trial estimate, blue: shrunken (partially pooled); {} is better</text>",
        escape(report.outcome.better)
    );
    let bottom = top + ROW * rows as f64;
    // Grid, zero and the MCID.
    for t in ticks(lo, hi, 6) {
        let _ = writeln!(
            s,
            "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#eee\"/><text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
            c(x(t)), c(top - 6.0), c(bottom), c(bottom + 16.0), tick(t)
        );
    }
    let _ = writeln!(
        s,
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>",
        c(x(0.0)), c(top - 6.0), c(bottom)
    );
    if let Some(m) = report.outcome.mcid {
        let m = if report.outcome.better == "lower" {
            -m
        } else {
            m
        };
        if m > lo && m < hi {
            let _ = writeln!(
                s,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#c44e52\" stroke-dasharray=\"2 3\"/><text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\" fill=\"#c44e52\">MCID</text>",
                c(x(m)), c(top - 6.0), c(bottom), c(top - 10.0)
            );
        }
    }
    let line = |s: &mut String, y: f64, a: f64, b: f64, colour: &str, width: f64| {
        let _ = writeln!(
            s,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"{}\"/>",
            c(x(a)),
            c(x(b)),
            c(width),
            y = c(y)
        );
    };
    for (r, p) in people.iter().enumerate() {
        let y = top + ROW * (r as f64 + 0.5);
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            c(LEFT - 10.0),
            c(y + 4.0),
            escape(&p.participant)
        );
        if let Some(o) = &p.single {
            line(&mut s, y - 4.0, o.q5, o.q95, "#999999", 2.0);
            let _ = writeln!(
                s,
                "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"white\" stroke=\"#777777\"/>",
                c(x(o.mean)),
                c(y - 4.0)
            );
        }
        line(&mut s, y + 4.0, p.pooled.q5, p.pooled.q95, "#4c72b0", 2.5);
        let _ = writeln!(
            s,
            "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"#4c72b0\"/>",
            c(x(p.pooled.mean)),
            c(y + 4.0)
        );
    }
    // The population mean and a new person.
    let y = top + ROW * (people.len() as f64 + 1.0);
    let _ = writeln!(
        s,
        "<line x1=\"10\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#ccc\"/>",
        c(y - ROW * 0.5),
        c(WIDTH - 10.0)
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-weight=\"bold\">population mean (mu)</text>",
        c(LEFT - 10.0),
        c(y + 4.0)
    );
    let (d0, d1) = (x(effect.mu.q5), x(effect.mu.q95));
    let xm = x(effect.mu.mean);
    let _ = writeln!(
        s,
        "<polygon points=\"{},{} {},{} {},{} {},{}\" fill=\"#2f3e66\"/>",
        c(d0),
        c(y),
        c(xm),
        c(y - 6.0),
        c(d1),
        c(y),
        c(xm),
        c(y + 6.0)
    );
    let y = y + ROW;
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-weight=\"bold\">a new person</text>",
        c(LEFT - 10.0),
        c(y + 4.0)
    );
    line(
        &mut s,
        y,
        effect.predictive.q5,
        effect.predictive.q95,
        "#55a868",
        6.0,
    );
    let _ = writeln!(
        s,
        "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"#2d6a3e\"/>",
        c(x(effect.predictive.mean)),
        c(y)
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">effect ({}), tau = {:.2}</text>",
        c((LEFT + WIDTH - RIGHT) / 2.0),
        c(bottom + 34.0),
        escape(report.outcome.scale),
        effect.tau.mean
    );
    s.push_str("</svg>\n");
    s
}

/// The predictive draws' histogram under the next person's prior (module doc).
pub fn predictive(report: &PoolReport, effect: &PooledEffect, draws: &[f64]) -> String {
    let (w, h) = (640.0, 320.0);
    let (l, r, t, b) = (50.0, 20.0, 40.0, 40.0);
    let comps = &effect.next_prior.components;
    let lo = mixture::quantile(&effect.next_prior.fitted, 0.001).min(0.0);
    let hi = mixture::quantile(&effect.next_prior.fitted, 0.999).max(0.0);
    let bins = 50usize;
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for &v in draws {
        if v >= lo && v < hi {
            counts[(((v - lo) / width) as usize).min(bins - 1)] += 1;
        }
    }
    let n = draws.len().max(1) as f64;
    let density: Vec<f64> = counts.iter().map(|&k| k as f64 / (n * width)).collect();
    let pdf = |v: f64| -> f64 {
        comps
            .iter()
            .map(|k| {
                k.weight * (-0.5 * ((v - k.mean) / k.sd).powi(2)).exp()
                    / (k.sd * (2.0 * std::f64::consts::PI).sqrt())
            })
            .sum()
    };
    let grid: Vec<(f64, f64)> = (0..=200)
        .map(|i| {
            let v = lo + (hi - lo) * i as f64 / 200.0;
            (v, pdf(v))
        })
        .collect();
    let ymax = density
        .iter()
        .cloned()
        .chain(grid.iter().map(|g| g.1))
        .fold(0.0, f64::max)
        * 1.08;
    let x = scale(lo, hi, l, w - r);
    let y = scale(0.0, ymax.max(1e-12), h - b, t);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"20\" font-size=\"14\">A new person's effect of {} on {}: predictive draws and the exported prior `{}`</text>",
        escape(&effect.arm),
        escape(&report.outcome.name),
        escape(&effect.next_prior.id)
    );
    for (i, d) in density.iter().enumerate() {
        let x0 = x(lo + i as f64 * width);
        let x1 = x(lo + (i + 1) as f64 * width);
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#a6c8a6\"/>",
            c(x0),
            c(y(*d)),
            c((x1 - x0 - 0.5).max(0.1)),
            c(y(0.0) - y(*d))
        );
    }
    let points: Vec<String> = grid
        .iter()
        .map(|(v, p)| format!("{},{}", c(x(*v)), c(y(*p))))
        .collect();
    let _ = writeln!(
        s,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#2d6a3e\" stroke-width=\"2\"/>",
        points.join(" ")
    );
    for tk in ticks(lo, hi, 6) {
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            c(x(tk)),
            c(h - b + 16.0),
            tick(tk)
        );
    }
    let _ = writeln!(
        s,
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>",
        c(x(0.0)),
        c(t),
        c(h - b)
    );
    let _ = writeln!(
        s,
        "<line x1=\"{l}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#333\"/>",
        c(h - b),
        c(w - r)
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">effect ({}); line: {}-component mixture + robust weight {}</text>",
        c((l + w - r) / 2.0),
        c(h - 8.0),
        escape(report.outcome.scale),
        effect.next_prior.fitted.len(),
        effect.next_prior.robust_weight
    );
    s.push_str("</svg>\n");
    s
}

/// The PIT histogram of the LFM calibration.
pub fn pit(counts: &[usize]) -> String {
    let (w, h) = (420.0, 260.0);
    let (l, r, t, b) = (40.0, 20.0, 40.0, 40.0);
    let total: usize = counts.iter().sum();
    let expected = total as f64 / counts.len().max(1) as f64;
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.15;
    let top = top.max(expected * 1.3);
    let y = scale(0.0, top, h - b, t);
    let bw = (w - l - r) / counts.len().max(1) as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"20\" font-size=\"14\">LFM calibration: PIT of each person's effect ({total} hypotheses)</text>"
    );
    for (i, &k) in counts.iter().enumerate() {
        let x0 = l + bw * i as f64;
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#8172b3\"/>",
            c(x0 + 1.0),
            c(y(k as f64)),
            c(bw - 2.0),
            c(y(0.0) - y(k as f64))
        );
    }
    let _ = writeln!(
        s,
        "<line x1=\"{l}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#c44e52\" stroke-dasharray=\"4 3\"/>",
        c(y(expected)),
        c(w - r)
    );
    for i in 0..=counts.len() {
        if i % 2 == 0 {
            let _ = writeln!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                c(l + bw * i as f64),
                c(h - b + 16.0),
                tick(i as f64 / counts.len().max(1) as f64)
            );
        }
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">uniform when calibrated (dashed); U-shaped: over-confident</text>",
        c(w / 2.0),
        c(h - 8.0)
    );
    s.push_str("</svg>\n");
    s
}
