//! Whether a [`ScheduleSpec`] can be built, and every reason it cannot.
//!
//! [`validate`] is the one place the schedule's validity rules live. The
//! checker calls it and points each [`Problem`] at the field of the spec it
//! concerns; [`super::build`] calls it and refuses to build on the first
//! problem. So a spec that `trialc check` accepts always has a schedule.

use super::sequence::{self, Plan};
use super::{Design, Measured, PeriodLengths, ScheduleError, ScheduleSpec, MAX_BLOCK_ARMS};

/// The last date written with a 4-digit year.
const LAST_DATE: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => panic!("9999-12-31 is a date"),
};

/// The longest trial a schedule may describe, run-in included: 3,653 days,
/// ten years with their leap days. No N-of-1 trial runs that long; a longer
/// spec is a typo (`period 14 weeks` for `period 14 days`). The bound also
/// keeps every schedule small: its periods, days and outputs, and the exact
/// count of admissible sequences, grow linearly with the days.
pub const MAX_TRIAL_DAYS: u64 = 3653;

/// The part of a [`ScheduleSpec`] a [`Problem`] concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecField {
    /// `arms`, their number.
    Arms,
    /// `reference`.
    Reference,
    /// `run_in_days`.
    RunIn,
    /// `period`: its length, or the list of lengths.
    Period,
    /// `n_periods`: the spec's `cycles` or `periods` (or a fixed pattern's length).
    Periods,
    /// `design`: the spec's `sequence`.
    Sequence,
    /// `max_run`.
    MaxRun,
    /// `washout_days`.
    Washout,
    /// `start`.
    Start,
    /// `window`.
    Window,
    /// The measurement plan of `outcomes[i]`.
    Outcome(usize),
}

/// One reason a schedule cannot be built, and the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: SpecField,
    pub error: ScheduleError,
}

/// Every reason `spec` cannot be built, in a fixed order (arms, period,
/// number of periods, `max_run`, sequence design, washout, measurement days,
/// length, dates, window, and last the admissible sequences). Empty exactly
/// when [`super::build`] succeeds.
///
/// A `sequence from data` spec has no periods of its own: its period rules
/// wait for the diary, and only the arms, the run-in's length, measurement
/// days, the start date and the window are checked here.
///
/// Problems that make others meaningless hide them: without two arms or a
/// nonzero period there are no cycles to check, and the admissible sequences
/// are counted only for a spec whose arms, periods, design and length are
/// valid, so the work is bounded by [`MAX_TRIAL_DAYS`].
pub fn validate(spec: &ScheduleSpec) -> Vec<Problem> {
    examine(spec).problems
}

/// What [`examine`] found.
pub(crate) struct Examined<'a> {
    /// Every problem, in the documented order.
    pub problems: Vec<Problem>,
    /// The plan and the exact number of admissible sequences (possibly 0),
    /// when the spec could be counted and the count fits in 128 bits.
    pub counted: Option<(Plan<'a>, u128)>,
}

pub(crate) fn examine(spec: &ScheduleSpec) -> Examined<'_> {
    if spec.design.is_realised() {
        return examine_realised(spec);
    }
    let mut problems = Vec::new();
    let mut push = |field, error| problems.push(Problem { field, error });
    // Whether the sequence can be counted: its inputs are all valid.
    let mut countable = true;

    let k = spec.arms.len();
    if k < 2 {
        countable = false;
        push(SpecField::Arms, ScheduleError::TooFewArms { found: k });
    }
    if spec.reference >= k && k > 0 {
        push(
            SpecField::Reference,
            ScheduleError::ReferenceOutOfRange {
                reference: spec.reference,
                arms: k,
            },
        );
    }
    // The shortest period: with a list, a zero anywhere is a zero-length period.
    let shortest = spec.period.shortest().unwrap_or(0);
    if shortest == 0 {
        countable = false;
        push(SpecField::Period, ScheduleError::ZeroPeriodLength);
    }
    if spec.n_periods == 0 {
        countable = false;
        push(SpecField::Periods, ScheduleError::NoPeriods);
    }
    if let PeriodLengths::Each(lengths) = &spec.period {
        if lengths.len() as u64 != spec.n_periods && spec.n_periods > 0 {
            countable = false;
            push(
                SpecField::Period,
                ScheduleError::PeriodLengthsCount {
                    listed: lengths.len(),
                    n_periods: spec.n_periods,
                },
            );
        }
    }
    if spec.max_run == Some(0) {
        countable = false;
        push(SpecField::MaxRun, ScheduleError::MaxRunZero);
    }
    match &spec.design {
        Design::Fixed(pattern) => {
            if pattern.len() as u64 != spec.n_periods {
                countable = false;
                push(
                    SpecField::Sequence,
                    ScheduleError::FixedPatternLength {
                        expected: spec.n_periods,
                        found: pattern.len(),
                    },
                );
            }
            if let Some((position, &arm)) = pattern.iter().enumerate().find(|(_, &a)| a >= k) {
                countable = false;
                push(
                    SpecField::Sequence,
                    ScheduleError::FixedPatternUnknownArm {
                        position,
                        arm,
                        arms: k,
                    },
                );
            }
        }
        // A deterministic design may end in a partial cycle (A B A B A):
        // nothing is drawn per cycle, and the checker makes sure that every
        // arm still gets two periods.
        Design::Alternating | Design::Counterbalanced => {}
        Design::RandomizedPairs | Design::RandomizedBlocks | Design::RandomizedPeriods
            if k >= 2 =>
        {
            // `is_multiple_of` needs Rust 1.87; the workspace promises 1.85.
            #[allow(clippy::manual_is_multiple_of)]
            if spec.n_periods % k as u64 != 0 {
                countable = false;
                push(
                    SpecField::Periods,
                    ScheduleError::PeriodsNotWholeCycles {
                        n_periods: spec.n_periods,
                        arms: k,
                    },
                );
            }
            if spec.design == Design::RandomizedPairs && k != 2 {
                countable = false;
                push(
                    SpecField::Sequence,
                    ScheduleError::PairsNeedTwoArms { found: k },
                );
            }
            if spec.design == Design::RandomizedBlocks && k > MAX_BLOCK_ARMS {
                countable = false;
                push(
                    SpecField::Sequence,
                    ScheduleError::TooManyArmsForBlocks {
                        found: k,
                        max: MAX_BLOCK_ARMS,
                    },
                );
            }
        }
        // Fewer than two arms: reported above.
        Design::RandomizedPairs | Design::RandomizedBlocks | Design::RandomizedPeriods => {}
        // Handled by `examine_realised`.
        Design::FromData => {}
    }
    if shortest > 0 && spec.washout_days >= shortest {
        push(
            SpecField::Washout,
            ScheduleError::WashoutTooLong {
                washout_days: spec.washout_days,
                period_days: shortest,
            },
        );
    }
    for (index, outcome) in spec.outcomes.iter().enumerate() {
        if let Measured::OnDays(days) = &outcome.measured {
            for &day in days {
                if day == 0 || (shortest > 0 && day > shortest) {
                    push(
                        SpecField::Outcome(index),
                        ScheduleError::MeasurementDayOutsidePeriod {
                            outcome: outcome.name.clone(),
                            day,
                            period_days: shortest,
                        },
                    );
                }
            }
        }
    }
    // In u128 the total cannot overflow: (2^64)^2 + 2^64 < 2^129, and a
    // list has fewer than 2^64 entries of less than 2^64 days.
    let total_days = u128::from(spec.run_in_days) + spec.period.total(spec.n_periods);
    if total_days > u128::from(MAX_TRIAL_DAYS) {
        countable = false;
        push(
            SpecField::Periods,
            ScheduleError::TooManyDays { total_days },
        );
    } else {
        // total_days <= MAX_TRIAL_DAYS, so the cast is exact.
        let total_days = total_days as u64;
        if let Some(start) = spec.start {
            // Dates are written YYYY-MM-DD (the diary, the calendar): the
            // day after the last (a calendar event's exclusive end) must
            // still have 4 digits.
            let end = start.checked_add_days(chrono::Days::new(total_days));
            if end.is_none_or(|end| end > LAST_DATE) {
                push(SpecField::Start, ScheduleError::DateOutOfRange);
            }
        }
        if let Some(error) = window_problem(spec, Some(total_days)) {
            push(SpecField::Window, error);
        }
    }

    let mut counted = None;
    if countable {
        let mut plan = sequence::plan(&spec.design, k, spec.n_periods, spec.max_run);
        match plan.count() {
            Ok(count) => {
                if count == 0 {
                    push(
                        SpecField::MaxRun,
                        ScheduleError::MaxRunUnsatisfiable {
                            max_run: spec.max_run.unwrap_or(0),
                            design: spec.design.name(),
                        },
                    );
                }
                counted = Some((plan, count));
            }
            Err(error) => push(SpecField::Sequence, error),
        }
    }
    Examined { problems, counted }
}

/// [`examine`] for `sequence from data`: what can be known before the diary.
/// The plan has one sequence, the empty one, until [`super::realise`].
fn examine_realised(spec: &ScheduleSpec) -> Examined<'_> {
    let mut problems = Vec::new();
    let mut push = |field, error| problems.push(Problem { field, error });
    let k = spec.arms.len();
    if k < 2 {
        push(SpecField::Arms, ScheduleError::TooFewArms { found: k });
    }
    if spec.reference >= k && k > 0 {
        push(
            SpecField::Reference,
            ScheduleError::ReferenceOutOfRange {
                reference: spec.reference,
                arms: k,
            },
        );
    }
    if spec.max_run == Some(0) {
        push(SpecField::MaxRun, ScheduleError::MaxRunZero);
    }
    for (index, outcome) in spec.outcomes.iter().enumerate() {
        if let Measured::OnDays(days) = &outcome.measured {
            for &day in days.iter().filter(|&&d| d == 0) {
                push(
                    SpecField::Outcome(index),
                    ScheduleError::MeasurementDayOutsidePeriod {
                        outcome: outcome.name.clone(),
                        day,
                        period_days: 0,
                    },
                );
            }
        }
    }
    // The diary may run to the longest trial; its dates must exist.
    if spec.run_in_days > MAX_TRIAL_DAYS {
        push(
            SpecField::RunIn,
            ScheduleError::TooManyDays {
                total_days: u128::from(spec.run_in_days),
            },
        );
    } else if let Some(start) = spec.start {
        if start
            .checked_add_days(chrono::Days::new(MAX_TRIAL_DAYS - 1))
            .is_none()
        {
            push(SpecField::Start, ScheduleError::DateOutOfRange);
        }
    }
    if let Some(error) = window_problem(spec, None) {
        push(SpecField::Window, error);
    }
    let plan = sequence::plan(&spec.design, k, 0, None);
    Examined {
        problems,
        counted: Some((plan, 1)),
    }
}

/// What is wrong with the spec's analysis window, if anything: it must hold
/// a day (from day 1, first before last), end by the trial's last day when
/// that is known, and reach past the run-in.
fn window_problem(spec: &ScheduleSpec, total_days: Option<u64>) -> Option<ScheduleError> {
    let window = spec.window?;
    if window.first_day == 0 || window.first_day > window.last_day {
        return Some(ScheduleError::WindowEmpty {
            first_day: window.first_day,
            last_day: window.last_day,
        });
    }
    if let Some(total_days) = total_days.filter(|&t| window.last_day > t) {
        return Some(ScheduleError::WindowPastEnd {
            last_day: window.last_day,
            total_days,
        });
    }
    (window.last_day <= spec.run_in_days).then_some(ScheduleError::WindowInRunIn {
        last_day: window.last_day,
        run_in_days: spec.run_in_days,
    })
}
