//! Whether a [`ScheduleSpec`] can be built, and every reason it cannot.
//!
//! [`validate`] is the one place the schedule's validity rules live. The
//! checker calls it and points each [`Problem`] at the field of the spec it
//! concerns; [`super::build`] calls it and refuses to build on the first
//! problem. So a spec that `trialc check` accepts always has a schedule.

use super::sequence::{self, Plan};
use super::{Design, Measured, ScheduleError, ScheduleSpec, MAX_BLOCK_ARMS};

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
    /// `period_days`.
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
/// length, dates, and last the admissible sequences). Empty exactly when
/// [`super::build`] succeeds.
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
    if spec.period_days == 0 {
        countable = false;
        push(SpecField::Period, ScheduleError::ZeroPeriodLength);
    }
    if spec.n_periods == 0 {
        countable = false;
        push(SpecField::Periods, ScheduleError::NoPeriods);
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
        Design::RandomizedPairs | Design::RandomizedBlocks if k >= 2 => {
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
        Design::RandomizedPairs | Design::RandomizedBlocks => {}
    }
    if spec.period_days > 0 && spec.washout_days >= spec.period_days {
        push(
            SpecField::Washout,
            ScheduleError::WashoutTooLong {
                washout_days: spec.washout_days,
                period_days: spec.period_days,
            },
        );
    }
    for (index, outcome) in spec.outcomes.iter().enumerate() {
        if let Measured::OnDays(days) = &outcome.measured {
            for &day in days {
                if day == 0 || (spec.period_days > 0 && day > spec.period_days) {
                    push(
                        SpecField::Outcome(index),
                        ScheduleError::MeasurementDayOutsidePeriod {
                            outcome: outcome.name.clone(),
                            day,
                            period_days: spec.period_days,
                        },
                    );
                }
            }
        }
    }
    // In u128 the total cannot overflow: (2^64)^2 + 2^64 < 2^129.
    let total_days =
        u128::from(spec.run_in_days) + u128::from(spec.n_periods) * u128::from(spec.period_days);
    if total_days > u128::from(MAX_TRIAL_DAYS) {
        countable = false;
        push(
            SpecField::Periods,
            ScheduleError::TooManyDays { total_days },
        );
    } else if let Some(start) = spec.start {
        // total_days <= MAX_TRIAL_DAYS, so the cast is exact. Dates are
        // written YYYY-MM-DD (the diary, the calendar): the day after the
        // last (a calendar event's exclusive end) must still have 4 digits.
        let after_last = total_days as u64;
        let end = start.checked_add_days(chrono::Days::new(after_last));
        if end.is_none_or(|end| end > LAST_DATE) {
            push(SpecField::Start, ScheduleError::DateOutOfRange);
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
