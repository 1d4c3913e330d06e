//! The power curve: the probability that the conclusion recommends each
//! arm, against the value a grid scenario varies (one line per design),
//! or, without a grid, against the trial's length over the designs of a
//! sweep (one line per scenario), or per scenario for one design. Error
//! bars are ±2 Monte Carlo standard errors; dashed lines mark the
//! requirements' thresholds. Hand-written SVG, byte-identical for equal
//! results (as the report's plots).

use std::fmt::Write as _;

use super::summary::{Mc, Simulation};
use crate::report::svg::escape;

const COLOURS: [&str; 8] = [
    "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c",
];

struct Series {
    name: String,
    points: Vec<(f64, Mc)>,
}

struct Panel {
    title: String,
    x_label: String,
    /// Names of the x positions 0, 1, … when the axis is categorical.
    categories: Option<Vec<String>>,
    series: Vec<Series>,
}

/// The arms some `recommend` rule recommends.
fn recommended_arms(sim: &Simulation) -> Vec<usize> {
    let mut arms: Vec<usize> = sim
        .header
        .rules
        .iter()
        .filter_map(|r| r.recommends)
        .collect();
    arms.sort_unstable();
    arms.dedup();
    arms
}

fn probability(sim: &Simulation, design: usize, scenario: usize, arm: usize) -> Option<Mc> {
    sim.results
        .iter()
        .find(|c| c.design == design && c.scenario == scenario)
        .and_then(|c| c.recommend.get(arm))
        .map(|a| a.probability)
}

fn panels(sim: &Simulation) -> Vec<Panel> {
    let h = &sim.header;
    let arms = recommended_arms(sim);
    let mut panels = Vec::new();
    // Grid scenarios, grouped by the scenario they came from.
    let mut groups: Vec<(String, String, Vec<usize>)> = Vec::new();
    for (s, scenario) in h.scenarios.iter().enumerate() {
        let Some(grid) = &scenario.grid else { continue };
        let base = scenario
            .name
            .split('[')
            .next()
            .unwrap_or(&scenario.name)
            .to_string();
        match groups.iter_mut().find(|g| g.0 == base) {
            Some(g) => g.2.push(s),
            None => groups.push((base, grid.setting.clone(), vec![s])),
        }
    }
    for (base, setting, members) in &groups {
        let mut series = Vec::new();
        for (d, design) in h.designs.iter().enumerate() {
            for &arm in &arms {
                let points = members
                    .iter()
                    .filter_map(|&s| {
                        let x = h.scenarios[s].grid.as_ref()?.value;
                        Some((x, probability(sim, d, s, arm)?))
                    })
                    .collect();
                let name = match (h.designs.len(), arms.len()) {
                    (1, _) => format!("recommend {}", h.arms[arm]),
                    (_, 1) => design.label.clone(),
                    _ => format!("{}: recommend {}", design.label, h.arms[arm]),
                };
                series.push(Series { name, points });
            }
        }
        panels.push(Panel {
            title: format!("Power curve of scenario `{base}`"),
            x_label: format!("true {setting}"),
            categories: None,
            series,
        });
    }
    let plain: Vec<usize> = (0..h.scenarios.len())
        .filter(|&s| h.scenarios[s].grid.is_none())
        .collect();
    if !plain.is_empty() && h.designs.len() > 1 {
        let mut series = Vec::new();
        for &s in &plain {
            for &arm in &arms {
                let points = h
                    .designs
                    .iter()
                    .enumerate()
                    .filter_map(|(d, design)| {
                        Some((design.total_days as f64, probability(sim, d, s, arm)?))
                    })
                    .collect();
                let name = if arms.len() == 1 {
                    h.scenarios[s].name.clone()
                } else {
                    format!("{}: recommend {}", h.scenarios[s].name, h.arms[arm])
                };
                series.push(Series { name, points });
            }
        }
        panels.push(Panel {
            title: "P(recommend) against the trial's length".into(),
            x_label: "days (run-in and every period)".into(),
            categories: None,
            series,
        });
    } else if !plain.is_empty() && groups.is_empty() {
        let mut series = Vec::new();
        for &arm in &arms {
            let points = plain
                .iter()
                .enumerate()
                .filter_map(|(i, &s)| Some((i as f64, probability(sim, 0, s, arm)?)))
                .collect();
            series.push(Series {
                name: format!("recommend {}", h.arms[arm]),
                points,
            });
        }
        panels.push(Panel {
            title: "P(recommend) per scenario".into(),
            x_label: "scenario".into(),
            categories: Some(plain.iter().map(|&s| h.scenarios[s].name.clone()).collect()),
            series,
        });
    }
    panels
}

/// A coordinate with one decimal, never `-0.0`.
fn c(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        "0".into()
    } else {
        format!("{r:.1}")
    }
}

/// The power curve(s) as one SVG document; `None` when there is nothing to
/// plot (no recommend rule).
pub fn power_curve(sim: &Simulation) -> Option<String> {
    let panels = panels(sim);
    if panels.is_empty() || panels.iter().all(|p| p.series.is_empty()) {
        return None;
    }
    let (width, panel_height) = (720.0, 380.0);
    let (left, right, top, bottom) = (64.0, 200.0, 40.0, 56.0);
    let height = panel_height * panels.len() as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" font-family=\"sans-serif\" font-size=\"12\">",
        c(width), c(height), c(width), c(height)
    );
    let _ = writeln!(out, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
    let method = if sim.header.approximation {
        " (Laplace approximation)"
    } else {
        " (NUTS)"
    };
    for (i, panel) in panels.iter().enumerate() {
        let y0 = i as f64 * panel_height;
        let plot_w = width - left - right;
        let plot_h = panel_height - top - bottom;
        let xs: Vec<f64> = panel
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .filter(|x| x.is_finite())
            .collect();
        let (mut lo, mut hi) = xs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        if !lo.is_finite() {
            continue;
        }
        if hi - lo < 1e-12 {
            lo -= 0.5;
            hi += 0.5;
        }
        let pad = (hi - lo) * 0.05;
        let (lo, hi) = (lo - pad, hi + pad);
        let px = |x: f64| left + (x - lo) / (hi - lo) * plot_w;
        let py = |p: f64| y0 + top + (1.0 - p) * plot_h;
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"14\">{}</text>",
            c(left),
            c(y0 + 22.0),
            escape(&format!("{}{method}", panel.title))
        );
        // Axes and the probability grid.
        for k in 0..=5 {
            let p = k as f64 / 5.0;
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#dddddd\"/>",
                c(left),
                c(py(p)),
                c(left + plot_w),
                c(py(p))
            );
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{p:.1}</text>",
                c(left - 6.0),
                c(py(p) + 4.0)
            );
        }
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333333\"/>",
            c(left),
            c(y0 + top),
            c(plot_w),
            c(plot_h)
        );
        // Requirements' thresholds.
        for r in &sim.header.requirements {
            let y = py(r.probability);
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888888\" stroke-dasharray=\"5,4\"><title>{}</title></line>",
                c(left),
                c(y),
                c(left + plot_w),
                c(y),
                escape(&r.text)
            );
        }
        // x ticks: the points' own x values (at most 12), or the categories.
        let mut ticks: Vec<f64> = xs.clone();
        ticks.sort_by(f64::total_cmp);
        ticks.dedup();
        let step = ticks.len().div_ceil(12).max(1);
        for (k, &x) in ticks.iter().enumerate().step_by(step) {
            let label = match &panel.categories {
                Some(names) => names.get(k).cloned().unwrap_or_default(),
                None => trialc_runtime::fmt::num(x),
            };
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                c(px(x)),
                c(y0 + top + plot_h + 16.0),
                escape(&label)
            );
        }
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            c(left + plot_w / 2.0),
            c(y0 + top + plot_h + 36.0),
            escape(&panel.x_label)
        );
        let _ = writeln!(
            out,
            "<text transform=\"translate({} {}) rotate(-90)\" text-anchor=\"middle\">probability</text>",
            c(16.0),
            c(y0 + top + plot_h / 2.0)
        );
        for (k, series) in panel.series.iter().enumerate() {
            let colour = COLOURS[k % COLOURS.len()];
            let mut points = series.points.clone();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            if panel.categories.is_none() && points.len() > 1 {
                let path: Vec<String> = points
                    .iter()
                    .map(|(x, m)| format!("{},{}", c(px(*x)), c(py(m.estimate))))
                    .collect();
                let _ = writeln!(
                    out,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
                    path.join(" ")
                );
            }
            for (x, m) in &points {
                let (a, b) = (
                    (m.estimate - 2.0 * m.mcse).max(0.0),
                    (m.estimate + 2.0 * m.mcse).min(1.0),
                );
                let _ = writeln!(
                    out,
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{colour}\"/>",
                    c(px(*x)),
                    c(py(a)),
                    c(px(*x)),
                    c(py(b))
                );
                let _ = writeln!(
                    out,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{colour}\"><title>{}</title></circle>",
                    c(px(*x)),
                    c(py(m.estimate)),
                    escape(&format!(
                        "{}: {:.3} ± {:.3}",
                        series.name, m.estimate, m.mcse
                    ))
                );
            }
            let ly = y0 + top + 12.0 + 18.0 * k as f64;
            let lx = left + plot_w + 12.0;
            let _ = writeln!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>",
                c(lx),
                c(ly - 10.0)
            );
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\">{}</text>",
                c(lx + 18.0),
                c(ly),
                escape(&series.name)
            );
        }
    }
    out.push_str("</svg>\n");
    Some(out)
}
