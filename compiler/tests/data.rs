//! Diary reader tests: every diary error code triggered by a small CSV, with
//! the line and column its primary label points at; several errors collected
//! in one pass; BOM, CRLF, blanks and quotes; date mode; arm deviations; and
//! a property test that no input text makes the reader panic.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use proptest::prelude::*;
use trialc::data::{read_diary, ArmDeviation, ArmRecord, Diary};
use trialc::diagnostic::{Diagnostic, Severity};
use trialc::hir::{self, Spec};
use trialc::schedule::{self, Schedule};
use trialc::syntax;

/// Days 1-7 run-in; periods of 7 days A (8-14), B (15-21, washout 15-16),
/// B (22-28, no washout: same arm), A (29-35, washout 29-30).
const SPEC: &str = r#"
trial "diary-test" {
  title "Diary reader test"
}

arm a "Treatment A"
arm b "Treatment B" reference

schedule {
  start     2026-12-01
  run_in    7 days
  period    7 days
  periods   4
  sequence  fixed "ABBA"
  washout   2 days
  blinding  open
}

outcome pain "Pain, 0-10" {
  type      continuous in [0, 10]
  measured  daily
  better    lower
  mcid      1
  primary
}

outcome attack "Attack today" {
  type      binary
  measured  daily
  better    lower
  secondary
}

outcome episodes "Episodes today" {
  type      count
  measured  daily
  better    lower
  secondary
}

outcome mood "Mood, 1-5" {
  type      ordinal 1..5
  measured  weekly
  better    higher
  secondary
}
"#;

fn checked(text: &str) -> (Spec, Schedule) {
    let (file, mut diagnostics) = syntax::parse(text);
    let (spec, more) = hir::check(&file);
    diagnostics.extend(more);
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "the test spec has errors: {errors:#?}");
    let spec = spec.expect("checked spec");
    let schedule = schedule::build(&spec.schedule_spec()).expect("schedule");
    (spec, schedule)
}

fn test_spec() -> (Spec, Schedule) {
    checked(SPEC)
}

fn read(csv: &str) -> (Option<Diary>, Vec<Diagnostic>) {
    let (spec, schedule) = test_spec();
    read_diary(csv, &spec, &schedule)
}

/// 1-based (line, column in characters) of a byte offset, as a renderer shows it.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

/// The single diagnostic with `code`, its primary position and the text it covers.
fn at<'a>(
    csv: &'a str,
    diagnostics: &'a [Diagnostic],
    code: &str,
) -> (&'a Diagnostic, (usize, usize), &'a str) {
    let found: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.code == code).collect();
    assert_eq!(found.len(), 1, "expected one {code}, got {diagnostics:#?}");
    let d = found[0];
    let span = d.primary_span().expect("primary span");
    (d, line_col(csv, span.start), &csv[span.range()])
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code).collect()
}

const HEADER: &str = "day,arm,pain,attack,episodes,mood\n";

#[test]
fn a_valid_diary_is_read_with_every_type() {
    let csv =
        format!("{HEADER}1,none,4,0,0,\n7,none,5.5,1,2,3\n8,a,3,0,1,\n9,,,,,\n14,a,2,1,0,5\n");
    let (diary, diagnostics) = read(&csv);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let diary = diary.expect("diary");
    assert_eq!(diary.outcomes, ["pain", "attack", "episodes", "mood"]);
    assert_eq!(
        diary.rows.iter().map(|r| r.day).collect::<Vec<_>>(),
        [1, 7, 8, 9, 14]
    );
    assert_eq!(
        diary.row(7).expect("day 7").values,
        [Some(5.5), Some(1.0), Some(2.0), Some(3.0)]
    );
    assert_eq!(
        diary.row(9).expect("day 9").values,
        [None, None, None, None]
    );
    assert_eq!(diary.row(1).expect("day 1").arm, ArmRecord::NoArm);
    assert_eq!(diary.row(9).expect("day 9").arm, ArmRecord::NotRecorded);
    assert_eq!(diary.row(8).expect("day 8").arm, ArmRecord::Arm(0));
    assert_eq!(diary.row(14).expect("day 14").line, 6);
    assert_eq!(diary.value(3, 14), Some(5.0));
    assert_eq!(diary.value(0, 2), None, "a day without a row is missing");
    assert!(diary.deviations.is_empty());
    assert!(diary.has_arm_column);
}

#[test]
fn bom_crlf_blanks_and_quotes_are_tolerated() {
    let csv = "\u{feff}day , arm,pain,attack,episodes,mood\r\n 8 , a , 3.5 ,0,\"1\",\r\n\"9\",a,\"4\",1,0,\r\n";
    let (diary, diagnostics) = read(csv);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let diary = diary.expect("diary");
    assert_eq!(diary.value(0, 8), Some(3.5));
    assert_eq!(diary.value(2, 8), Some(1.0));
    assert_eq!(diary.value(0, 9), Some(4.0));
}

#[test]
fn positions_stay_right_after_a_bom_and_crlf() {
    let csv = "\u{feff}day,arm,pain,attack,episodes,mood\r\n8,a,3,0,0,\r\n9,a, 11 ,0,0,\r\n";
    let (diary, diagnostics) = read(csv);
    assert!(diary.is_none());
    let (_, pos, text) = at(csv, &diagnostics, "E0707");
    assert_eq!(pos, (3, 6), "blank before the value is trimmed");
    assert_eq!(text, "11");
}

#[test]
fn e0701_empty_and_header_only() {
    let (diary, diagnostics) = read("");
    assert!(diary.is_none());
    assert_eq!(codes(&diagnostics), ["E0701"]);
    let (diary, diagnostics) = read("   \n\n");
    assert!(diary.is_none());
    assert_eq!(codes(&diagnostics), ["E0701"]);
    let (diary, diagnostics) = read(HEADER);
    assert!(diary.is_none());
    let (d, pos, _) = at(HEADER, &diagnostics, "E0701");
    assert_eq!(pos, (1, 1));
    assert!(d.message.contains("no rows"), "{}", d.message);
}

#[test]
fn e0702_ragged_row() {
    let csv = format!("{HEADER}8,a,3,0,0,\n9,a,4,0\n10,a,4,0,0,,7\n");
    let (diary, diagnostics) = read(&csv);
    assert!(diary.is_none());
    assert_eq!(codes(&diagnostics), ["E0702", "E0702"]);
    let lines: Vec<(usize, usize)> = diagnostics
        .iter()
        .map(|d| line_col(&csv, d.primary_span().expect("span").start))
        .collect();
    assert_eq!(lines, [(3, 1), (4, 1)]);
    assert!(diagnostics[0]
        .message
        .contains("4 fields but the header has 6"));
}

#[test]
fn e0703_no_day_column_or_both() {
    let csv = "arm,pain,attack,episodes,mood\na,3,0,0,\n";
    let (diary, diagnostics) = read(csv);
    assert!(diary.is_none());
    let (_, pos, _) = at(csv, &diagnostics, "E0703");
    assert_eq!(pos, (1, 1));

    let csv = "day,date,pain,attack,episodes,mood\n8,2026-12-08,3,0,0,\n";
    let (_, diagnostics) = read(csv);
    let (_, pos, text) = at(csv, &diagnostics, "E0703");
    assert_eq!((pos, text), ((1, 5), "date"));
}

#[test]
fn e0704_unknown_column_with_suggestion() {
    let csv = "day,arm,pian,pain,attack,episodes,mood,\n8,a,1,3,0,0,,\n";
    let (diary, diagnostics) = read(csv);
    assert!(diary.is_none());
    let found: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.code == "E0704").collect();
    assert_eq!(found.len(), 2, "{diagnostics:#?}");
    let span = found[0].primary_span().expect("span");
    assert_eq!(line_col(csv, span.start), (1, 9));
    assert_eq!(&csv[span.range()], "pian");
    assert_eq!(found[0].help.as_deref(), Some("did you mean `pain`?"));
    assert!(
        found[1].message.contains("without a name"),
        "{}",
        found[1].message
    );
}

#[test]
fn e0705_missing_outcome_column() {
    let csv = "day,arm,pain,attack,episodes\n8,a,3,0,0\n";
    let (diary, diagnostics) = read(csv);
    assert!(diary.is_none());
    let (d, pos, _) = at(csv, &diagnostics, "E0705");
    assert_eq!(pos, (1, 1));
    assert!(d.message.contains("`mood`"));
}

#[test]
fn e0706_non_numeric_values() {
    let csv = format!("{HEADER}8,a,n/a,0,0,\n9,a,NaN,0,0,\n10,a,4,yes,0,\n");
    let (diary, diagnostics) = read(&csv);
    assert!(diary.is_none());
    let positions: Vec<(usize, usize)> = diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.code, "E0706");
            line_col(&csv, d.primary_span().expect("span").start)
        })
        .collect();
    assert_eq!(positions, [(2, 5), (3, 5), (4, 8)]);
}

/// Numbers `f64` parsing would change or that the model cannot use are
/// refused where they stand, not read as 0 or left to fail the fit.
#[test]
fn e0721_values_that_cannot_be_analysed_as_written() {
    let csv = format!(
        "{HEADER}8,a,1e-400,0,0,\n9,a,3,0,1e20,\n10,a,3e-310,0,0,\n11,a,3,0,0.0e-999,\n12,a,3,0,9007199254740992,\n"
    );
    let (diary, diagnostics) = read(&csv);
    assert!(diary.is_none());
    let found: Vec<(usize, &str)> = diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.code, "E0721", "{}", d.message);
            let span = d.primary_span().expect("span");
            (line_col(&csv, span.start).0, &csv[span.start..span.end])
        })
        .collect();
    // `0.0e-999` is a zero written as zero, and 2^53 is still exact.
    assert_eq!(found, [(2, "1e-400"), (3, "1e20"), (4, "3e-310")]);
    assert!(diagnostics[0].message.contains("read as 0"));
    assert!(diagnostics[1].message.contains("2^53"));
}

#[test]
fn e0707_value_outside_bounds() {
    let csv = format!("{HEADER}8,a,10,0,0,\n9,a,-0.5,0,0,\n");
    let (_, diagnostics) = read(&csv);
    let (d, pos, text) = at(&csv, &diagnostics, "E0707");
    assert_eq!((pos, text), ((3, 5), "-0.5"));
    assert!(d.message.contains("[0, 10]"), "{}", d.message);
}

#[test]
fn e0708_binary_not_0_1() {
    let csv = format!("{HEADER}8,a,3,2,0,\n");
    let (_, diagnostics) = read(&csv);
    let (_, pos, text) = at(&csv, &diagnostics, "E0708");
    assert_eq!((pos, text), ((2, 7), "2"));
}

#[test]
fn e0709_negative_or_fractional_count() {
    let csv = format!("{HEADER}8,a,3,0,-1,\n9,a,3,0,1.5,\n10,a,3,0,2.0,\n");
    let (diary, diagnostics) = read(&csv);
    assert!(diary.is_none());
    assert_eq!(codes(&diagnostics), ["E0709", "E0709"]);
    assert_eq!(
        line_col(&csv, diagnostics[0].primary_span().expect("span").start),
        (2, 9)
    );
    assert!(diagnostics[0].message.contains("negative"));
    assert!(diagnostics[1].message.contains("not a whole number"));
}

#[test]
fn e0710_ordinal_level() {
    let csv = format!("{HEADER}14,a,3,0,0,6\n21,b,3,0,0,2.5\n28,b,3,0,0,0\n");
    let (_, diagnostics) = read(&csv);
    assert_eq!(codes(&diagnostics), ["E0710", "E0710", "E0710"]);
    assert_eq!(
        line_col(&csv, diagnostics[0].primary_span().expect("span").start),
        (2, 12)
    );
}

#[test]
fn e0711_invalid_days_and_dates() {
    let csv = format!("{HEADER}0,none,3,0,0,\n3.5,none,3,0,0,\n,none,3,0,0,\n-2,none,3,0,0,\n");
    let (diary, diagnostics) = read(&csv);
    assert!(diary.is_none());
    assert_eq!(codes(&diagnostics), ["E0711"; 4]);
    let lines: Vec<usize> = diagnostics
        .iter()
        .map(|d| line_col(&csv, d.primary_span().expect("span").start).0)
        .collect();
    assert_eq!(lines, [2, 3, 4, 5]);

    // Exactly YYYY-MM-DD: `2026-12-9` and `2026-12-09 ` are not dates.
    let csv = "date,arm,pain,attack,episodes,mood\n2026-13-01,a,3,0,0,\n08.12.2026,a,3,0,0,\n2026-12-9,a,3,0,0,\n+2026-12-10,a,3,0,0,\n";
    let (_, diagnostics) = read(csv);
    assert_eq!(codes(&diagnostics), ["E0711"; 4]);
    assert_eq!(
        line_col(csv, diagnostics[1].primary_span().expect("span").start),
        (3, 1)
    );
}

#[test]
fn e0712_duplicate_day_points_at_both_rows() {
    let csv = format!("{HEADER}9,a,3,0,0,\n8,a,3,0,0,\n9,a,4,0,0,\n");
    let (diary, diagnostics) = read(&csv);
    assert!(diary.is_none());
    let (d, pos, _) = at(&csv, &diagnostics, "E0712");
    assert_eq!(pos, (4, 1));
    let secondary = d
        .labels
        .iter()
        .find(|l| !l.primary)
        .expect("secondary label");
    assert_eq!(line_col(&csv, secondary.span.start), (2, 1));
}

#[test]
fn e0713_day_after_the_schedule() {
    let csv = format!("{HEADER}35,a,3,0,0,5\n36,a,3,0,0,\n");
    let (_, diagnostics) = read(&csv);
    let (d, pos, text) = at(&csv, &diagnostics, "E0713");
    assert_eq!((pos, text), ((3, 1), "36"));
    assert!(d.labels[0].message.contains("1 to 35"));

    let csv = "date,arm,pain,attack,episodes,mood\n2027-01-04,a,3,0,0,5\n2027-01-05,a,3,0,0,\n";
    let (_, diagnostics) = read(csv);
    let (_, pos, _) = at(csv, &diagnostics, "E0713");
    assert_eq!(pos, (3, 1), "2027-01-04 is day 35, the last");
}

#[test]
fn e0714_date_before_start() {
    let csv = "date,arm,pain,attack,episodes,mood\n2026-11-30,none,3,0,0,\n";
    let (diary, diagnostics) = read(csv);
    assert!(diary.is_none());
    let (d, pos, text) = at(csv, &diagnostics, "E0714");
    assert_eq!((pos, text), ((2, 1), "2026-11-30"));
    assert!(d.message.contains("2026-12-01"));
}

#[test]
fn e0715_unknown_arm_with_suggestion() {
    let csv = "day,arm,pain,attack,episodes,mood\n8,A,3,0,0,\n9,zzz,3,0,0,\n";
    let (diary, diagnostics) = read(csv);
    assert!(diary.is_none());
    assert_eq!(codes(&diagnostics), ["E0715", "E0715"]);
    assert_eq!(
        line_col(csv, diagnostics[0].primary_span().expect("span").start),
        (2, 3)
    );
    assert!(diagnostics[0]
        .help
        .as_deref()
        .unwrap_or_default()
        .contains("did you mean `a`?"));
    assert!(diagnostics[1]
        .help
        .as_deref()
        .unwrap_or_default()
        .contains("`a`, `b`"));
}

#[test]
fn e0717_duplicate_column() {
    let csv = "day,arm,pain,attack,episodes,mood,pain\n8,a,3,0,0,,3\n";
    let (diary, diagnostics) = read(csv);
    assert!(diary.is_none());
    let (_, pos, text) = at(csv, &diagnostics, "E0717");
    assert_eq!((pos, text), ((1, 35), "pain"));
}

#[test]
fn e0718_dates_without_a_start() {
    let (spec, schedule) = checked(&SPEC.replace("  start     2026-12-01\n", ""));
    let csv = "date,arm,pain,attack,episodes,mood\n2026-12-08,a,3,0,0,\n";
    let (diary, diagnostics) = read_diary(csv, &spec, &schedule);
    assert!(diary.is_none());
    let (_, pos, text) = at(csv, &diagnostics, "E0718");
    assert_eq!((pos, text), ((1, 1), "date"));
}

#[test]
fn date_mode_maps_dates_to_days() {
    let csv = "date,arm,pain,attack,episodes,mood\n2026-12-01,none,3,0,0,\n2026-12-08,a,4,1,0,\n2027-01-04,a,2,0,0,4\n";
    let (diary, diagnostics) = read(csv);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let diary = diary.expect("diary");
    assert_eq!(
        diary.rows.iter().map(|r| r.day).collect::<Vec<_>>(),
        [1, 8, 35]
    );
    assert_eq!(diary.value(0, 8), Some(4.0));
}

#[test]
fn w0701_lists_deviating_days_and_arms_are_taken_as_recorded() {
    // Day 9 is scheduled A (taken B), day 16 B (taken none), day 3 run-in
    // (taken a); day 22 is as scheduled, day 23 not recorded.
    let csv = format!("{HEADER}3,a,3,0,0,\n9,b,3,0,0,\n16,none,3,0,0,\n22,b,3,0,0,\n23,,3,0,0,\n");
    let (diary, diagnostics) = read(&csv);
    assert_eq!(codes(&diagnostics), ["W0701"]);
    let w = &diagnostics[0];
    assert_eq!(w.severity, Severity::Warning);
    assert!(w.message.ends_with("on 3 days: 3, 9, 16"), "{}", w.message);
    assert_eq!(
        line_col(&csv, w.primary_span().expect("span").start),
        (2, 3)
    );
    assert_eq!(w.labels.len(), 3);
    assert!(
        w.notes[0].contains("day 9: scheduled a, taken b"),
        "{:?}",
        w.notes
    );
    let diary = diary.expect("warnings do not stop the diary");
    assert_eq!(
        diary.deviations,
        [
            ArmDeviation {
                day: 3,
                scheduled: None,
                taken: Some(0)
            },
            ArmDeviation {
                day: 9,
                scheduled: Some(0),
                taken: Some(1)
            },
            ArmDeviation {
                day: 16,
                scheduled: Some(1),
                taken: None
            },
        ]
    );
    let (_, schedule) = test_spec();
    assert_eq!(diary.arm_taken(9, &schedule), Some(1));
    assert_eq!(diary.arm_taken(16, &schedule), None);
    assert_eq!(
        diary.arm_taken(23, &schedule),
        Some(1),
        "empty cell: as scheduled"
    );
    assert_eq!(
        diary.arm_taken(30, &schedule),
        Some(0),
        "no row: as scheduled"
    );
}

/// The test spec with the sequence left to the diary (`sequence from data`).
fn realised_spec() -> (Spec, Schedule) {
    checked(&SPEC.replace(
        "  period    7 days\n  periods   4\n  sequence  fixed \"ABBA\"\n",
        "  sequence  from data\n",
    ))
}

fn read_realised(csv: &str) -> (Option<Diary>, Vec<Diagnostic>) {
    let (spec, schedule) = realised_spec();
    assert!(schedule.is_realised());
    read_diary(csv, &spec, &schedule)
}

#[test]
fn e0722_a_realised_schedule_needs_the_arm_column() {
    let csv = "day,pain,attack,episodes,mood\n8,3,0,0,\n";
    let (diary, diagnostics) = read_realised(csv);
    assert!(diary.is_none());
    let (d, pos, text) = at(csv, &diagnostics, "E0722");
    assert_eq!((pos, text), ((1, 1), "day,pain,attack,episodes,mood"));
    assert!(d.message.contains("no `arm` column"), "{}", d.message);

    // An arm column that names an arm only in the run-in is no sequence.
    let csv = format!("{HEADER}3,a,3,0,0,\n8,none,3,0,0,\n9,,3,0,0,\n");
    let (diary, diagnostics) = read_realised(&csv);
    assert!(diary.is_none());
    let (d, pos, text) = at(&csv, &diagnostics, "E0722");
    assert_eq!((pos, text), ((1, 5), "arm"));
    assert!(
        d.message.contains("names no arm after the run-in"),
        "{}",
        d.message
    );

    // The same diary against a written schedule is fine: nothing requires arms.
    let csv = "day,pain,attack,episodes,mood\n8,3,0,0,\n";
    let (diary, diagnostics) = read(csv);
    assert!(
        diary.is_some() && diagnostics.is_empty(),
        "{diagnostics:#?}"
    );
}

/// A realised schedule ends with the diary, so days past the written
/// schedule's 35 are read (up to the longest trial), and nothing deviates:
/// the arm column is the schedule.
#[test]
fn a_realised_diary_runs_as_long_as_it_runs_and_never_deviates() {
    let csv = format!("{HEADER}3,none,3,0,0,\n8,a,3,0,0,\n9,a,3,0,0,\n40,b,3,0,0,\n90,b,3,0,0,\n");
    let (diary, diagnostics) = read_realised(&csv);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let diary = diary.expect("read");
    assert!(diary.deviations.is_empty());
    assert_eq!(diary.last_day(), 90);
    let (_, plan) = realised_spec();
    let realised = diary.schedule(&plan).expect("realises");
    assert_eq!(realised.total_days, 90);
    let periods: Vec<(usize, u64, u64, u64)> = realised
        .periods
        .iter()
        .map(|p| (p.arm, p.first_day, p.last_day, p.washout_days))
        .collect();
    assert_eq!(periods, vec![(0, 8, 9, 0), (1, 40, 90, 2)]);
    // An empty cell inside a period takes the period's arm; between periods,
    // no arm.
    assert_eq!(diary.arm_taken(60, &realised), Some(1));
    assert_eq!(diary.arm_taken(20, &realised), None);
    // The written schedule's reader would have stopped at day 35.
    let (_, diagnostics) = read(&csv);
    assert_eq!(codes(&diagnostics), ["E0713", "E0713"]);

    // The longest trial still bounds the days.
    let csv = format!("{HEADER}8,a,3,0,0,\n3654,b,3,0,0,\n");
    let (_, diagnostics) = read_realised(&csv);
    let (d, _, text) = at(&csv, &diagnostics, "E0713");
    assert_eq!(text, "3654");
    assert!(d.labels[0].message.contains("1 to 3653"), "{:?}", d.labels);
    // A written schedule's diary is its own plan.
    let (_, written) = test_spec();
    let (diary, _) = read(&format!("{HEADER}8,a,3,0,0,\n"));
    assert_eq!(diary.expect("read").schedule(&written), Ok(written));
}

#[test]
fn every_error_is_collected_in_one_pass() {
    let csv = "day,arm,pian,attack,episodes,mood\n0,none,3,0,0,\n8,placebo,3,2,0,\n9,a,3,0,-1,7\n9,a,3,0,0,\n40,a,3,0,0,\n10,a,3\n";
    let (diary, diagnostics) = read(csv);
    assert!(diary.is_none());
    let mut found = codes(&diagnostics);
    found.sort_unstable();
    assert_eq!(
        found,
        [
            "E0702", "E0704", "E0705", "E0708", "E0709", "E0710", "E0711", "E0712", "E0713",
            "E0715"
        ]
    );
}

#[test]
fn the_bundled_example_diaries_read_cleanly() {
    for name in [
        "magnesium-migraine",
        "hpi-milk-sleep",
        "naproxen-dose",
        "bp-chronotherapy",
        "sleep-coach-styles",
    ] {
        let dir = format!("{}/../examples/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(format!("{dir}/{name}.trial")).expect("spec");
        let csv = std::fs::read_to_string(format!("{dir}/diary.csv")).expect("diary");
        let (spec, schedule) = checked(&text);
        let (diary, diagnostics) = read_diary(&csv, &spec, &schedule);
        let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let diary = diary.expect("diary");
        assert_eq!(
            diary.rows.len(),
            csv.lines().count() - 1,
            "{name}: one row per line"
        );
    }
}

proptest! {
    // A fixed ChaCha seed and no failure file: CI runs the same cases every time.
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x6469_6172_7931),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Any text: no panic, spans inside the text on char boundaries, and a
    /// diary exactly when there is no error.
    #[test]
    fn no_input_makes_the_reader_panic(body in "(\u{feff})?((day|date|arm|pain|mood|x|\"|,| |\r|\n|[0-9]|-|\\.|a|b|none|2026-12-0[0-9]|é)){0,80}") {
        let (spec, schedule) = test_spec();
        let (diary, diagnostics) = read_diary(&body, &spec, &schedule);
        prop_assert_eq!(diary.is_some(), !diagnostics.iter().any(Diagnostic::is_error));
        for d in &diagnostics {
            for l in &d.labels {
                prop_assert!(l.span.end <= body.len());
                prop_assert!(body.is_char_boundary(l.span.start) && body.is_char_boundary(l.span.end));
            }
        }
    }

    /// Random well-formed diaries round-trip: every value written is read back.
    #[test]
    fn valid_values_round_trip(values in proptest::collection::vec((0u32..=100, 0u32..2, 0u32..20), 1..35)) {
        let (spec, schedule) = test_spec();
        let mut csv = String::from(HEADER);
        for (i, (pain, attack, episodes)) in values.iter().enumerate() {
            csv.push_str(&format!("{},,{},{attack},{episodes},\n", i + 1, f64::from(*pain) / 10.0));
        }
        let (diary, diagnostics) = read_diary(&csv, &spec, &schedule);
        prop_assert!(diagnostics.is_empty(), "{:?}", diagnostics);
        let diary = diary.expect("diary");
        for (i, (pain, attack, episodes)) in values.iter().enumerate() {
            let day = i as u64 + 1;
            prop_assert_eq!(diary.value(0, day), Some(f64::from(*pain) / 10.0));
            prop_assert_eq!(diary.value(1, day), Some(f64::from(*attack)));
            prop_assert_eq!(diary.value(2, day), Some(f64::from(*episodes)));
        }
    }
}
