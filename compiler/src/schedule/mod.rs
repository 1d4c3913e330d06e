//! The schedule IR: which arm the participant takes on which day, which days
//! are run-in or washout, and on which days each outcome is measured.
//!
//! Input is a [`ScheduleSpec`] built by the checker from a validated spec (this
//! module never sees the AST). [`build`] turns it into a [`Schedule`], which
//! the renderers in [`render`] print as a table, CSV, JSON or an iCalendar
//! file, openly or blinded. Everything here is a pure function of the spec:
//! no clock, no environment, no files. The semantics a trialist needs are in
//! `docs/schedule.md`.

pub mod blinding;
pub mod key;
pub mod render;
mod rng;
mod sequence;
mod validate;

use std::fmt;

use chrono::NaiveDate;

pub use blinding::BlindingCodes;
pub use key::{Allocation, Commitment, Key};
pub use render::View;
pub use rng::{derive_key, StreamRng, BLINDING_DOMAIN, SCHEDULE_DOMAIN};
pub use sequence::{longest_run, periods_per_arm, MAX_BLOCK_ARMS};
pub use validate::{validate, Problem, SpecField, MAX_TRIAL_DAYS};

/// What the schedule needs to know about an arm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmInfo {
    /// Identifier from the spec, e.g. `magnesium`.
    pub name: String,
    /// The arm's description, e.g. "Magnesium citrate 600 mg once daily".
    pub description: Option<String>,
}

/// How periods are assigned to arms. Arms are numbered in declaration order
/// (0 = the first `arm`, written `A` in fixed patterns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Design {
    /// A B A B … (k arms: A B C A B C …).
    Alternating,
    /// Cycles alternate forward and reversed order: AB BA AB … / ABC CBA ABC ….
    Counterbalanced,
    /// The given arm for each period, one entry per period.
    Fixed(Vec<usize>),
    /// Two arms; each cycle is AB or BA at random.
    RandomizedPairs,
    /// Any number of arms; each cycle is a random order of all arms.
    RandomizedBlocks,
}

impl Design {
    /// The design as the spec writes it (`fixed "ABBA"` with letters).
    pub fn name(&self) -> String {
        match self {
            Design::Alternating => "alternating".into(),
            Design::Counterbalanced => "counterbalanced".into(),
            Design::Fixed(pattern) => format!("fixed \"{}\"", pattern_letters(pattern)),
            Design::RandomizedPairs => "randomized pairs".into(),
            Design::RandomizedBlocks => "randomized blocks".into(),
        }
    }

    /// Whether the sequence is drawn at random (otherwise the design fixes it).
    pub fn is_randomized(&self) -> bool {
        matches!(self, Design::RandomizedPairs | Design::RandomizedBlocks)
    }
}

/// `[0, 1, 1, 0]` → `"ABBA"`; arms past `Z` (never in practice) print as `?`.
pub fn pattern_letters(pattern: &[usize]) -> String {
    pattern
        .iter()
        .map(|&arm| {
            u8::try_from(arm)
                .ok()
                .filter(|&a| a < 26)
                .map_or('?', |a| char::from(b'A' + a))
        })
        .collect()
}

/// Who is blinded; recorded in the outputs, and the reason a blinded view exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blinding {
    Open,
    Single,
    Double,
}

impl Blinding {
    pub fn name(self) -> &'static str {
        match self {
            Blinding::Open => "open",
            Blinding::Single => "single",
            Blinding::Double => "double",
        }
    }
}

/// When an outcome is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measured {
    /// Every day, run-in included.
    Daily,
    /// Every 7th day: days 7, 14, 21, … counted from day 1.
    Weekly,
    /// Once per period, on its last day.
    PerPeriod,
    /// These days of every period, 1-based within the period.
    OnDays(Vec<u64>),
}

impl Measured {
    pub fn name(&self) -> String {
        match self {
            Measured::Daily => "daily".into(),
            Measured::Weekly => "weekly".into(),
            Measured::PerPeriod => "per period".into(),
            Measured::OnDays(days) => {
                let list: Vec<String> = days.iter().map(u64::to_string).collect();
                format!("on days [{}]", list.join(", "))
            }
        }
    }
}

/// One outcome's measurement plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasurementPlan {
    pub name: String,
    pub measured: Measured,
}

/// Everything the schedule depends on, with durations already in days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSpec {
    pub trial_id: String,
    /// In declaration order.
    pub arms: Vec<ArmInfo>,
    /// Index into `arms` of the reference arm.
    pub reference: usize,
    pub run_in_days: u64,
    pub period_days: u64,
    /// cycles × number of arms.
    pub n_periods: u64,
    pub design: Design,
    pub max_run: Option<u64>,
    pub washout_days: u64,
    pub seed: u64,
    /// Calendar date of day 1.
    pub start: Option<NaiveDate>,
    pub blinding: Blinding,
    pub outcomes: Vec<MeasurementPlan>,
}

/// Why a schedule cannot be built. [`validate`] finds them; the checker
/// reports each at the field of the spec it concerns, and [`build`] refuses
/// to build on the first, so it is total on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleError {
    TooFewArms {
        found: usize,
    },
    ReferenceOutOfRange {
        reference: usize,
        arms: usize,
    },
    ZeroPeriodLength,
    NoPeriods,
    PeriodsNotWholeCycles {
        n_periods: u64,
        arms: usize,
    },
    FixedPatternLength {
        expected: u64,
        found: usize,
    },
    FixedPatternUnknownArm {
        position: usize,
        arm: usize,
        arms: usize,
    },
    PairsNeedTwoArms {
        found: usize,
    },
    TooManyArmsForBlocks {
        found: usize,
        max: usize,
    },
    WashoutTooLong {
        washout_days: u64,
        period_days: u64,
    },
    MaxRunZero,
    /// No sequence of the design respects `max_run`.
    MaxRunUnsatisfiable {
        max_run: u64,
        design: String,
    },
    /// More admissible sequences than fit in 128 bits.
    CountOverflow {
        design: String,
    },
    MeasurementDayOutsidePeriod {
        outcome: String,
        day: u64,
        period_days: u64,
    },
    /// Run-in plus periods last longer than [`MAX_TRIAL_DAYS`].
    TooManyDays {
        total_days: u128,
    },
    DateOutOfRange,
    /// The iCalendar view needs calendar dates.
    IcsNeedsStart,
    /// A broken invariant inside this module (a bug, never a spec problem).
    Internal(&'static str),
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ScheduleError as E;
        match self {
            E::TooFewArms { found } => write!(
                f,
                "a crossover needs at least two arms, the spec declares {found}"
            ),
            E::ReferenceOutOfRange { reference, arms } => write!(
                f,
                "reference arm index {reference} is out of range for {arms} arms"
            ),
            E::ZeroPeriodLength => write!(f, "the period length must be at least 1 day"),
            E::NoPeriods => write!(
                f,
                "the schedule has no periods; give `cycles` of at least 1"
            ),
            E::PeriodsNotWholeCycles { n_periods, arms } => write!(
                f,
                "{n_periods} periods do not make whole cycles of {arms} arms; \
                 use a multiple of {arms}"
            ),
            E::FixedPatternLength { expected, found } => write!(
                f,
                "the fixed pattern has {found} periods but the schedule has {expected}"
            ),
            E::FixedPatternUnknownArm {
                position,
                arm,
                arms,
            } => write!(
                f,
                "period {} of the fixed pattern names arm `{}`, but only {} arms are declared ({})",
                position + 1,
                pattern_letters(&[*arm]),
                arms,
                pattern_letters(&(0..*arms).collect::<Vec<_>>())
            ),
            E::PairsNeedTwoArms { found } => write!(
                f,
                "`randomized pairs` needs exactly 2 arms, the spec declares {found}; \
                 use `randomized blocks` for more"
            ),
            E::TooManyArmsForBlocks { found, max } => write!(
                f,
                "`randomized blocks` supports at most {max} arms, the spec declares {found}"
            ),
            E::WashoutTooLong {
                washout_days,
                period_days,
            } => write!(
                f,
                "a washout of {washout_days} days leaves no analysed day in a period of \
                 {period_days} days; the washout must be shorter than the period"
            ),
            E::MaxRunZero => write!(f, "`max_run` must be at least 1"),
            E::MaxRunUnsatisfiable { max_run, design } => write!(
                f,
                "no {design} sequence keeps every run of one arm to at most {max_run} \
                 consecutive periods; raise `max_run` or change the sequence design"
            ),
            E::CountOverflow { design } => write!(
                f,
                "the {design} design has at least 2^128 admissible sequences, too many to \
                 count exactly; use fewer cycles"
            ),
            E::MeasurementDayOutsidePeriod {
                outcome,
                day,
                period_days,
            } => write!(
                f,
                "outcome `{outcome}` is measured on day {day} of each period, but periods \
                 have days 1 to {period_days}"
            ),
            E::TooManyDays { total_days } => write!(
                f,
                "the trial would last {total_days} days; the longest trial trialc \
                 schedules is {MAX_TRIAL_DAYS} days (10 years)"
            ),
            E::DateOutOfRange => write!(f, "the schedule runs past the supported calendar range"),
            E::IcsNeedsStart => write!(
                f,
                "a calendar needs dates: add `start YYYY-MM-DD` to the schedule block"
            ),
            E::Internal(what) => write!(f, "internal error in the schedule: {what}"),
        }
    }
}

impl std::error::Error for ScheduleError {}

/// The part of a period a day belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Baseline before the first period: no arm, not analysed for effect.
    RunIn,
    /// The first days of a period that follows a switch of arm: not analysed.
    Washout,
    /// An analysed day on the period's arm.
    Treatment,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::RunIn => "run_in",
            Phase::Washout => "washout",
            Phase::Treatment => "treatment",
        }
    }
}

/// One treatment period. Days are 1-based from the first run-in day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// 1-based period number.
    pub number: u64,
    /// 1-based cycle number (periods `(c-1)·k + 1 ..= c·k` for k arms).
    pub cycle: u64,
    /// Index into the spec's arms.
    pub arm: usize,
    pub first_day: u64,
    pub last_day: u64,
    /// Number of washout days at the start of this period (0 when the
    /// previous period had the same arm, and for the first period).
    pub washout_days: u64,
}

impl Period {
    /// First analysed day (after the washout).
    pub fn first_analysed_day(&self) -> u64 {
        self.first_day + self.washout_days
    }

    /// Number of analysed days.
    pub fn analysed_days(&self) -> u64 {
        self.last_day + 1 - self.first_analysed_day()
    }

    pub fn contains(&self, day: u64) -> bool {
        (self.first_day..=self.last_day).contains(&day)
    }
}

/// The days on which one outcome is measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeDays {
    pub name: String,
    pub measured: Measured,
    /// Sorted, distinct, 1-based trial days.
    pub days: Vec<u64>,
}

/// A built schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub trial_id: String,
    pub arms: Vec<ArmInfo>,
    pub reference: usize,
    pub design: Design,
    pub max_run: Option<u64>,
    pub seed: u64,
    pub blinding: Blinding,
    pub run_in_days: u64,
    pub period_days: u64,
    pub washout_days: u64,
    pub total_days: u64,
    pub start: Option<NaiveDate>,
    pub periods: Vec<Period>,
    pub outcomes: Vec<OutcomeDays>,
    /// How many sequences the design admits; the drawn one is uniform among them.
    pub admissible_count: u128,
    /// Code `i` ("Treatment i+1") → arm, from the separate blinding stream.
    pub codes: BlindingCodes,
    /// Whether the sequence and codes were drawn, or are placeholders of a
    /// spec that commits to a key not given (set by the session).
    pub allocation: Allocation,
}

impl Schedule {
    /// Number of arms.
    pub fn n_arms(&self) -> usize {
        self.arms.len()
    }

    /// Number of cycles (periods ÷ arms, rounded up for odd fixed patterns).
    pub fn n_cycles(&self) -> u64 {
        let k = self.arms.len().max(1) as u64;
        (self.periods.len() as u64).div_ceil(k)
    }

    /// The arm sequence, one entry per period.
    pub fn sequence(&self) -> Vec<usize> {
        self.periods.iter().map(|p| p.arm).collect()
    }

    /// The period containing `day`, if any (run-in days have none).
    pub fn period_of_day(&self, day: u64) -> Option<&Period> {
        if day <= self.run_in_days || day > self.total_days {
            return None;
        }
        let index = (day - self.run_in_days - 1) / self.period_days;
        self.periods.get(usize::try_from(index).ok()?)
    }

    /// The arm taken on `day` (1-based), `None` during run-in or outside the trial.
    pub fn arm_on_day(&self, day: u64) -> Option<usize> {
        self.period_of_day(day).map(|p| p.arm)
    }

    /// The phase of `day`, `None` outside the trial.
    pub fn phase_on_day(&self, day: u64) -> Option<Phase> {
        if day == 0 || day > self.total_days {
            None
        } else if day <= self.run_in_days {
            Some(Phase::RunIn)
        } else {
            let period = self.period_of_day(day)?;
            Some(if day < period.first_analysed_day() {
                Phase::Washout
            } else {
                Phase::Treatment
            })
        }
    }

    /// Calendar date of `day`, when the spec has a start date.
    /// Dates of days 1..=total_days are checked representable by [`build`].
    pub fn date_of_day(&self, day: u64) -> Option<NaiveDate> {
        let start = self.start?;
        start.checked_add_days(chrono::Days::new(day.checked_sub(1)?))
    }
}

/// The exact number of sequences the design admits under `max_run`.
/// `Ok(0)` means `max_run` cannot be satisfied by this design (the checker
/// reports it); [`build`] then fails with [`ScheduleError::MaxRunUnsatisfiable`].
/// Any other problem [`validate`] finds is the error, the first one.
pub fn admissible_count(spec: &ScheduleSpec) -> Result<u128, ScheduleError> {
    let examined = validate::examine(spec);
    let other = examined
        .problems
        .into_iter()
        .find(|p| !matches!(p.error, ScheduleError::MaxRunUnsatisfiable { .. }));
    match (other, examined.counted) {
        (Some(problem), _) => Err(problem.error),
        (None, Some((_, count))) => Ok(count),
        (None, None) => Err(ScheduleError::Internal(
            "a spec without problems was not counted",
        )),
    }
}

/// Build the schedule: draw the sequence (uniformly among the admissible ones
/// for a randomized design), lay out days, washouts and measurement days, and
/// draw the blinding codes. Fails with the first problem [`validate`] finds.
pub fn build(spec: &ScheduleSpec) -> Result<Schedule, ScheduleError> {
    let examined = validate::examine(spec);
    if let Some(problem) = examined.problems.into_iter().next() {
        return Err(problem.error);
    }
    let Some((plan, count)) = examined.counted else {
        return Err(ScheduleError::Internal(
            "a spec without problems was not counted",
        ));
    };
    let k = spec.arms.len();
    let mut rng = StreamRng::for_domain(SCHEDULE_DOMAIN, spec.seed);
    let arms = plan.draw(count, &mut rng)?;

    let mut periods = Vec::with_capacity(arms.len());
    for (i, &arm) in arms.iter().enumerate() {
        let i = i as u64;
        let first_day = spec.run_in_days + i * spec.period_days + 1;
        // Washout only where the arm changes: after the run-in nothing is
        // being washed out, and a repeated arm has nothing to wash out either.
        let switched = i > 0 && arms[(i - 1) as usize] != arm;
        periods.push(Period {
            number: i + 1,
            cycle: i / k as u64 + 1,
            arm,
            first_day,
            last_day: first_day + spec.period_days - 1,
            washout_days: if switched { spec.washout_days } else { 0 },
        });
    }
    // validate bounds this by MAX_TRIAL_DAYS and the start date plus it.
    let total_days = spec.run_in_days + spec.n_periods * spec.period_days;

    let outcomes = spec
        .outcomes
        .iter()
        .map(|plan| OutcomeDays {
            name: plan.name.clone(),
            measured: plan.measured.clone(),
            days: measurement_days(&plan.measured, total_days, &periods),
        })
        .collect();

    Ok(Schedule {
        trial_id: spec.trial_id.clone(),
        arms: spec.arms.clone(),
        reference: spec.reference,
        design: spec.design.clone(),
        max_run: spec.max_run,
        seed: spec.seed,
        blinding: spec.blinding,
        run_in_days: spec.run_in_days,
        period_days: spec.period_days,
        washout_days: spec.washout_days,
        total_days,
        start: spec.start,
        periods,
        outcomes,
        admissible_count: count,
        codes: BlindingCodes::draw(spec.seed, k),
        allocation: Allocation::Drawn,
    })
}

/// The trial days on which an outcome with plan `measured` is recorded.
fn measurement_days(measured: &Measured, total_days: u64, periods: &[Period]) -> Vec<u64> {
    let mut days: Vec<u64> = match measured {
        Measured::Daily => (1..=total_days).collect(),
        // A weekly questionnaire asks about the past 7 days, so it falls on
        // the last day of each week: with run-in and periods in whole weeks,
        // every answer then covers days of one phase only.
        Measured::Weekly => (1..=total_days / 7).map(|w| 7 * w).collect(),
        Measured::PerPeriod => periods.iter().map(|p| p.last_day).collect(),
        Measured::OnDays(within) => periods
            .iter()
            .flat_map(|p| within.iter().map(move |&d| p.first_day + d - 1))
            .collect(),
    };
    days.sort_unstable();
    days.dedup();
    days
}
