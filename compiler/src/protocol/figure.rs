//! The protocol's figure: the trial's days, from run-in to the last period,
//! with washout days and each outcome's measurement days, as inline SVG.
//!
//! A randomized sequence is not drawn: every period looks alike, so the
//! figure can go into a document the blinded participant reads. A design
//! that fixes its sequence shows each period's arm, as the spec does.

use std::fmt::Write as _;

use super::doc::html_escape as esc;
use crate::schedule::{Phase, Schedule};

const WIDTH: f64 = 720.0;
const LEFT: f64 = 118.0;
const RIGHT: f64 = 8.0;
const ARM_FILLS: [&str; 6] = [
    "#8fb0d8", "#e6a873", "#8cc59a", "#d98b8e", "#b3a6d6", "#c2ad8f",
];
const CONCEALED_FILL: &str = "#a9bfd9";
const WASHOUT_FILL: &str = "#f3dcc0";
const RUN_IN_FILL: &str = "#d4d4d4";

fn c(v: f64) -> String {
    let s = format!("{v:.1}");
    if s == "-0.0" {
        "0.0".into()
    } else {
        s
    }
}

/// Consecutive runs of days with the same class: (first, last, class).
fn runs<T: Copy + PartialEq>(days: &[u64], class: impl Fn(u64) -> T) -> Vec<(u64, u64, T)> {
    let mut out: Vec<(u64, u64, T)> = Vec::new();
    for &d in days {
        let k = class(d);
        match out.last_mut() {
            Some((_, last, kc)) if *last + 1 == d && *kc == k => *last = d,
            _ => out.push((d, d, k)),
        }
    }
    out
}

/// The timeline of `schedule`; `show_arms` draws each period's arm and its
/// washout (only for designs whose sequence the spec itself fixes).
pub fn timeline(schedule: &Schedule, show_arms: bool) -> String {
    let total = schedule.total_days.max(1) as f64;
    let plot = WIDTH - LEFT - RIGHT;
    let x = |day_boundary: f64| LEFT + day_boundary / total * plot;
    let legend_y = 14.0;
    let bar_y = 30.0;
    let bar_h = 26.0;
    let row_h = 18.0;
    let rows_y = bar_y + bar_h + 10.0;
    let axis_y = rows_y + schedule.outcomes.len() as f64 * row_h + 6.0;
    let height = axis_y + 30.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"Trial timeline\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">",
        c(WIDTH),
        c(height)
    );
    // Legend.
    let mut lx = LEFT;
    let mut legend = |s: &mut String, fill: &str, label: &str| {
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"10\" fill=\"{fill}\" stroke=\"#555\" stroke-width=\"0.5\"/><text x=\"{}\" y=\"{}\">{}</text>",
            c(lx),
            c(legend_y - 9.0),
            c(lx + 16.0),
            c(legend_y),
            esc(label)
        );
        lx += 16.0 + label.chars().count() as f64 * 6.4 + 14.0;
    };
    if schedule.run_in_days > 0 {
        legend(&mut s, RUN_IN_FILL, "run-in");
    }
    if show_arms {
        for (i, arm) in schedule.arms.iter().enumerate() {
            legend(&mut s, ARM_FILLS[i % ARM_FILLS.len()], &arm.name);
        }
    } else {
        legend(&mut s, CONCEALED_FILL, "treatment period (arm concealed)");
    }
    if schedule.washout_days > 0 {
        let label = if show_arms {
            "washout (not analysed)"
        } else {
            "washout if the arm changed"
        };
        legend(&mut s, WASHOUT_FILL, label);
    }
    // Phases.
    let _ = writeln!(
        s,
        "<text x=\"0\" y=\"{}\">periods</text>",
        c(bar_y + bar_h / 2.0 + 4.0)
    );
    if schedule.run_in_days > 0 {
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{RUN_IN_FILL}\" stroke=\"#555\" stroke-width=\"0.6\"/>",
            c(x(0.0)),
            c(bar_y),
            c(x(schedule.run_in_days as f64) - x(0.0)),
            c(bar_h)
        );
    }
    for p in &schedule.periods {
        let fill = if show_arms {
            ARM_FILLS[p.arm % ARM_FILLS.len()]
        } else {
            CONCEALED_FILL
        };
        let (x0, x1) = (x((p.first_day - 1) as f64), x(p.last_day as f64));
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"#555\" stroke-width=\"0.6\"/>",
            c(x0),
            c(bar_y),
            c(x1 - x0),
            c(bar_h)
        );
        // A concealed sequence shows where a washout falls if the arm changed.
        let washout = if show_arms {
            p.washout_days
        } else if p.number > 1 {
            schedule.washout_days
        } else {
            0
        };
        if washout > 0 {
            let xw = x((p.first_day - 1 + washout) as f64);
            let _ = writeln!(
                s,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{WASHOUT_FILL}\" stroke=\"#555\" stroke-width=\"0.6\"/>",
                c(x0),
                c(bar_y),
                c(xw - x0),
                c(bar_h)
            );
        }
        let label = if show_arms {
            format!(
                "P{} {}",
                p.number,
                schedule.arms.get(p.arm).map_or("?", |a| a.name.as_str())
            )
        } else {
            format!("P{}", p.number)
        };
        // Only what fits inside its box.
        let fits = label.chars().count() as f64 * 6.6 + 4.0 <= x1 - x0;
        let short = format!("P{}", p.number);
        let shown = if fits {
            Some(label)
        } else if short.chars().count() as f64 * 6.6 + 4.0 <= x1 - x0 {
            Some(short)
        } else {
            None
        };
        if let Some(label) = shown {
            let _ = writeln!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                c((x0 + x1) / 2.0),
                c(bar_y + bar_h / 2.0 + 4.0),
                esc(&label)
            );
        }
    }
    // Measurement days per outcome: dark where analysed, grey where not
    // (for a concealed sequence, only the run-in is known not to be).
    for (i, o) in schedule.outcomes.iter().enumerate() {
        let y = rows_y + i as f64 * row_h;
        let name: String = o.name.chars().take(17).collect();
        let _ = writeln!(
            s,
            "<text x=\"0\" y=\"{}\">{}</text>",
            c(y + 10.0),
            esc(&name)
        );
        let analysed = |d: u64| match schedule.phase_on_day(d) {
            Some(Phase::Treatment) => true,
            Some(Phase::Washout) => !show_arms,
            _ => false,
        };
        for (first, last, yes) in runs(&o.days, analysed) {
            let (x0, x1) = (x((first - 1) as f64), x(last as f64));
            let _ = writeln!(
                s,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"10\" fill=\"{}\"/>",
                c(x0 + 0.3),
                c(y + 2.0),
                c((x1 - x0 - 0.6).max(0.8)),
                if yes { "#2b4f7a" } else { "#b5b5b5" }
            );
        }
    }
    // Axis: trial days at the start of the first period and after each cycle.
    let _ = writeln!(
        s,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\" stroke-width=\"0.8\"/>",
        c(x(0.0)),
        c(axis_y),
        c(x(total)),
        c(axis_y)
    );
    let k = schedule.n_arms().max(1);
    let mut ticks: Vec<u64> = vec![1];
    ticks.extend(schedule.periods.iter().step_by(k).map(|p| p.first_day));
    ticks.push(schedule.total_days);
    ticks.sort_unstable();
    ticks.dedup();
    let mut last_x = f64::NEG_INFINITY;
    for d in ticks {
        let tx = x((d - 1) as f64 + 0.5);
        if tx - last_x < 34.0 && d != schedule.total_days {
            continue;
        }
        last_x = tx;
        let _ = writeln!(
            s,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\" stroke-width=\"0.8\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{d}</text>",
            c(tx),
            c(axis_y),
            c(tx),
            c(axis_y + 4.0),
            c(tx.min(WIDTH - 14.0)),
            c(axis_y + 16.0)
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"0\" y=\"{}\">trial day</text>",
        c(axis_y + 16.0)
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_merge_consecutive_days_of_one_class() {
        let r = runs(&[1, 2, 3, 5, 6, 9], |d| d < 6);
        assert_eq!(
            r,
            vec![(1, 3, true), (5, 5, true), (6, 6, false), (9, 9, false)]
        );
    }
}
