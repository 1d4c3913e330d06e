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
pub mod render;
mod rng;
mod sequence;
mod validate;

use std::fmt;

use chrono::NaiveDate;

pub use blinding::BlindingCodes;
pub use render::View;
pub use rng::{derive_key, StreamRng, BLINDING_DOMAIN, SCHEDULE_DOMAIN};
pub use sequence::{longest_run, periods_per_arm, MAX_ARRANGEMENT_STATES, MAX_BLOCK_ARMS};
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
    /// Any number of arms; the arm of every period is drawn, each arm given
    /// in the same number of periods (`cycles`): one random arrangement of
    /// all periods. With one-day periods, a randomized alternating-treatments
    /// design (single-case designs randomize per day or per session).
    RandomizedPeriods,
    /// `sequence from data`: the diary's `arm` column is the sequence (it was
    /// randomized outside trialc, by a platform or a pharmacy). The periods
    /// are its maximal runs of one arm, known only once the diary is read
    /// ([`realise`]); before that the schedule has no periods.
    FromData,
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
            Design::RandomizedPeriods => "randomized periods".into(),
            Design::FromData => "from data".into(),
        }
    }

    /// Whether trialc draws the sequence at random (otherwise the design
    /// fixes it, or for [`Design::FromData`] the diary gives it).
    pub fn is_randomized(&self) -> bool {
        matches!(
            self,
            Design::RandomizedPairs | Design::RandomizedBlocks | Design::RandomizedPeriods
        )
    }

    /// Whether the sequence is the one the diary records (`sequence from data`).
    pub fn is_realised(&self) -> bool {
        matches!(self, Design::FromData)
    }
}

/// How long the periods last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodLengths {
    /// Every period lasts this many days: `period 14 days`.
    Equal(u64),
    /// Each period in turn: `period [10, 14, 10, 14] days`. The list has one
    /// entry per period.
    Each(Vec<u64>),
}

impl PeriodLengths {
    /// The length in days of period `index` (0-based). A list shorter than
    /// the schedule ([`validate`] reports it) gives 0 past its end.
    pub fn of(&self, index: u64) -> u64 {
        match self {
            PeriodLengths::Equal(days) => *days,
            PeriodLengths::Each(days) => usize::try_from(index)
                .ok()
                .and_then(|i| days.get(i))
                .copied()
                .unwrap_or(0),
        }
    }

    /// The shortest period, `None` for an empty list.
    pub fn shortest(&self) -> Option<u64> {
        match self {
            PeriodLengths::Equal(days) => Some(*days),
            PeriodLengths::Each(days) => days.iter().copied().min(),
        }
    }

    /// The days of `n_periods` periods together (exact: at most 2^64 periods
    /// of less than 2^64 days).
    pub fn total(&self, n_periods: u64) -> u128 {
        match self {
            PeriodLengths::Equal(days) => u128::from(n_periods) * u128::from(*days),
            PeriodLengths::Each(days) => days.iter().map(|&d| u128::from(d)).sum(),
        }
    }

    /// `14 days`, `1 day`, `[10, 14, 10, 14] days`: as the spec writes it.
    pub fn text(&self) -> String {
        match self {
            PeriodLengths::Equal(1) => "1 day".into(),
            PeriodLengths::Equal(days) => format!("{days} days"),
            PeriodLengths::Each(days) => {
                let list: Vec<String> = days.iter().map(u64::to_string).collect();
                format!("[{}] days", list.join(", "))
            }
        }
    }
}

/// The analysis window: only days `first_day..=last_day` are analysed; the
/// days outside are still diary days, counted under their own reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub first_day: u64,
    pub last_day: u64,
}

impl Window {
    pub fn contains(self, day: u64) -> bool {
        (self.first_day..=self.last_day).contains(&day)
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
    /// The periods' lengths (for [`Design::FromData`] unused: the diary
    /// gives the periods).
    pub period: PeriodLengths,
    /// cycles × number of arms, or the length of a fixed pattern or of a
    /// list of period lengths (0 for [`Design::FromData`]).
    pub n_periods: u64,
    pub design: Design,
    pub max_run: Option<u64>,
    pub washout_days: u64,
    pub seed: u64,
    /// Calendar date of day 1.
    pub start: Option<NaiveDate>,
    pub blinding: Blinding,
    pub outcomes: Vec<MeasurementPlan>,
    /// The analysis window, when the spec gives one.
    pub window: Option<Window>,
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
    /// A list of period lengths whose length is not the number of periods.
    PeriodLengthsCount {
        listed: usize,
        n_periods: u64,
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
    /// `randomized periods` with more arms and cycles than the exact count
    /// can tabulate ([`MAX_ARRANGEMENT_STATES`]).
    TooManyArrangements {
        arms: usize,
        cycles: u64,
    },
    /// The analysis window starts on day 0 or ends before it starts.
    WindowEmpty {
        first_day: u64,
        last_day: u64,
    },
    /// The analysis window ends after the trial's last day.
    WindowPastEnd {
        last_day: u64,
        total_days: u64,
    },
    /// The analysis window holds run-in days only.
    WindowInRunIn {
        last_day: u64,
        run_in_days: u64,
    },
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
    /// `sequence from data`: the periods are the diary's, so there is no
    /// schedule to print before the trial.
    Realised,
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
            E::PeriodLengthsCount { listed, n_periods } => write!(
                f,
                "the list of period lengths has {listed} entries but the schedule has \
                 {n_periods} periods"
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
            E::TooManyArrangements { arms, cycles } => write!(
                f,
                "`randomized periods` with {arms} arms and {cycles} cycles has too many \
                 arrangements for trialc to count exactly; use fewer cycles or fewer arms"
            ),
            E::WindowEmpty {
                first_day,
                last_day,
            } => write!(
                f,
                "the analysis window days {first_day}..{last_day} holds no day; \
                 days count from 1 and the window's first day comes first"
            ),
            E::WindowPastEnd {
                last_day,
                total_days,
            } => write!(
                f,
                "the analysis window ends on day {last_day}, after the trial's last day \
                 ({total_days})"
            ),
            E::WindowInRunIn {
                last_day,
                run_in_days,
            } => write!(
                f,
                "the analysis window ends on day {last_day}, within the run-in (days 1 to \
                 {run_in_days}), so it holds no treatment day"
            ),
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
            E::Realised => write!(
                f,
                "the schedule is `sequence from data`: its periods are the runs of one arm \
                 in the diary's `arm` column, so trialc has no schedule of its own to print"
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
    /// previous period had the same arm, and for the first period). In a
    /// realised schedule a period shorter than the washout is washout
    /// throughout.
    pub washout_days: u64,
}

impl Period {
    /// First analysed day (after the washout).
    pub fn first_analysed_day(&self) -> u64 {
        self.first_day + self.washout_days
    }

    /// Number of analysed days.
    pub fn analysed_days(&self) -> u64 {
        (self.last_day + 1).saturating_sub(self.first_analysed_day())
    }

    /// Number of days.
    pub fn days(&self) -> u64 {
        self.last_day + 1 - self.first_day
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
    pub washout_days: u64,
    pub total_days: u64,
    pub start: Option<NaiveDate>,
    /// In day order, disjoint. They follow one another without a gap,
    /// except in a realised schedule, where the days between two runs of
    /// different arms whose arm the diary does not give belong to none.
    pub periods: Vec<Period>,
    pub outcomes: Vec<OutcomeDays>,
    /// How many sequences the design admits; the drawn one is uniform among them.
    pub admissible_count: u128,
    /// Code `i` ("Treatment i+1") → arm, from the separate blinding stream.
    pub codes: BlindingCodes,
    /// The analysis window, when the spec gives one.
    pub window: Option<Window>,
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

    /// Whether the periods are the diary's (`sequence from data`), not
    /// trialc's. Before [`realise`] such a schedule has no periods.
    pub fn is_realised(&self) -> bool {
        self.design.is_realised()
    }

    /// The length every period has, `None` when they differ (or there are none).
    pub fn period_days(&self) -> Option<u64> {
        let first = self.periods.first()?.days();
        self.periods
            .iter()
            .all(|p| p.days() == first)
            .then_some(first)
    }

    /// The shortest and the longest period, `None` without periods.
    pub fn period_range(&self) -> Option<(u64, u64)> {
        let days = self.periods.iter().map(Period::days);
        Some((days.clone().min()?, days.max()?))
    }

    /// The period containing `day`, if any (run-in days have none, nor the
    /// days between two periods of a realised schedule).
    pub fn period_of_day(&self, day: u64) -> Option<&Period> {
        let after = self.periods.partition_point(|p| p.first_day <= day);
        self.periods
            .get(after.checked_sub(1)?)
            .filter(|p| p.contains(day))
    }

    /// The arm taken on `day` (1-based), `None` during run-in or outside the trial.
    pub fn arm_on_day(&self, day: u64) -> Option<usize> {
        self.period_of_day(day).map(|p| p.arm)
    }

    /// The phase of `day`, `None` outside the trial (and between the periods
    /// of a realised schedule).
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

    /// Whether `day` is inside the analysis window (every day is, without one).
    pub fn in_window(&self, day: u64) -> bool {
        self.window.is_none_or(|w| w.contains(day))
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
///
/// For [`Design::FromData`] this is the plan before the diary: run-in,
/// washout rule, window, no periods; [`realise`] adds the diary's periods.
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
    let mut first_day = spec.run_in_days + 1;
    for (i, &arm) in arms.iter().enumerate() {
        let i = i as u64;
        let length = spec.period.of(i);
        // Washout only where the arm changes: after the run-in nothing is
        // being washed out, and a repeated arm has nothing to wash out either.
        let switched = i > 0 && arms[(i - 1) as usize] != arm;
        periods.push(Period {
            number: i + 1,
            cycle: i / k as u64 + 1,
            arm,
            first_day,
            last_day: first_day + length - 1,
            washout_days: if switched { spec.washout_days } else { 0 },
        });
        first_day += length;
    }
    // validate bounds this by MAX_TRIAL_DAYS and the start date plus it.
    let total_days = first_day - 1;

    let outcomes = outcome_days(&spec.outcomes, total_days, &periods);
    Ok(Schedule {
        trial_id: spec.trial_id.clone(),
        arms: spec.arms.clone(),
        reference: spec.reference,
        design: spec.design.clone(),
        max_run: spec.max_run,
        seed: spec.seed,
        blinding: spec.blinding,
        run_in_days: spec.run_in_days,
        washout_days: spec.washout_days,
        total_days,
        start: spec.start,
        periods,
        outcomes,
        admissible_count: count,
        codes: BlindingCodes::draw(spec.seed, k),
        window: spec.window,
    })
}

/// What a diary's `arm` column says was taken on one day, for [`realise`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// This arm (index into the spec's arms).
    Arm(usize),
    /// Nothing (`none`).
    Nothing,
}

/// The realised schedule of a `sequence from data` plan: its periods are the
/// maximal runs of one arm in `taken` (the days whose `arm` cell names an
/// arm or says `none`, increasing), after the run-in, up to `last_day` (the
/// diary's last day, which ends the trial).
///
/// - A period runs from the first to the last day recorded on its arm; days
///   inside it that record nothing or `none` belong to it.
/// - Between two periods on different arms, the days the diary records no
///   arm for belong to no period: the switch happened on one of them, and
///   which one is unknown. The next period starts on the first day recorded
///   on its arm, so its washout never starts before the switch.
/// - Every period but the first follows a switch, so it begins with the
///   washout (all of it, when the period is shorter).
pub fn realise(
    plan: &Schedule,
    last_day: u64,
    taken: &[(u64, Taken)],
) -> Result<Schedule, ScheduleError> {
    if !plan.is_realised() {
        return Err(ScheduleError::Internal(
            "only a `sequence from data` schedule is realised from a diary",
        ));
    }
    if last_day > MAX_TRIAL_DAYS {
        return Err(ScheduleError::TooManyDays {
            total_days: u128::from(last_day),
        });
    }
    let k = plan.arms.len();
    let mut periods: Vec<Period> = Vec::new();
    let mut previous_day = 0;
    for &(day, record) in taken {
        if day <= previous_day || day > last_day {
            return Err(ScheduleError::Internal(
                "the days of a realised schedule are not increasing within the diary",
            ));
        }
        previous_day = day;
        let Taken::Arm(arm) = record else { continue };
        if arm >= k {
            return Err(ScheduleError::Internal("a diary arm out of range"));
        }
        if day <= plan.run_in_days {
            continue;
        }
        match periods.last_mut() {
            Some(period) if period.arm == arm => period.last_day = day,
            _ => {
                let number = periods.len() as u64 + 1;
                periods.push(Period {
                    number,
                    cycle: (number - 1) / k.max(1) as u64 + 1,
                    arm,
                    first_day: day,
                    last_day: day,
                    washout_days: 0,
                });
            }
        }
    }
    for period in periods.iter_mut().skip(1) {
        period.washout_days = plan.washout_days.min(period.days());
    }
    let plans: Vec<MeasurementPlan> = plan
        .outcomes
        .iter()
        .map(|o| MeasurementPlan {
            name: o.name.clone(),
            measured: o.measured.clone(),
        })
        .collect();
    Ok(Schedule {
        total_days: last_day,
        outcomes: outcome_days(&plans, last_day, &periods),
        periods,
        admissible_count: 1,
        ..plan.clone()
    })
}

fn outcome_days(
    plans: &[MeasurementPlan],
    total_days: u64,
    periods: &[Period],
) -> Vec<OutcomeDays> {
    plans
        .iter()
        .map(|plan| OutcomeDays {
            name: plan.name.clone(),
            measured: plan.measured.clone(),
            days: measurement_days(&plan.measured, total_days, periods),
        })
        .collect()
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
        // Checked to fit every period of a planned schedule; a realised
        // period may be shorter, and then lacks the later days.
        Measured::OnDays(within) => periods
            .iter()
            .flat_map(|p| {
                within
                    .iter()
                    .map(move |&d| p.first_day + d - 1)
                    .filter(move |&day| p.contains(day))
            })
            .collect(),
    };
    days.sort_unstable();
    days.dedup();
    days
}
