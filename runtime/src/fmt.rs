//! The one number formatter for everything trialc shows a person (priors,
//! bounds, thresholds): short, and never misleading about magnitude.

/// A number as a person writes it.
///
/// - `NaN`, `inf`, `-inf` for the non-finite values, `0` for either zero;
/// - an integer below 1e15 in magnitude without decimals: `5`, `-3`;
/// - a value that would show as zero with 4 decimals, or of magnitude 1e15
///   or more, in scientific notation with at most 4 significant digits and
///   no trailing zeros: `1e-5`, `-2.25e-7`, `1.5e300`;
/// - anything else with 4 decimals, trailing zeros trimmed: `0.8485`,
///   `2.5`, `12.3457`.
///
/// So a non-zero value never prints as `0`, and the text parses back to
/// within 5e-5 (fixed notation) or 5e-4 relative (scientific notation).
pub fn num(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() >= 1e15 {
        return scientific(v);
    }
    if v.fract() == 0.0 {
        return format!("{v:.0}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "0" || s == "-0" {
        scientific(v)
    } else {
        s.to_string()
    }
}

/// A number a person wrote (a threshold, a setting), shown exactly: the
/// shortest text that reads back to the same `f64`, in fixed notation for
/// magnitudes from 1e-4 to below 1e15 and in exponent notation otherwise
/// (`0.12345`, `-1.5`, `2`, `1e-5`, `1.5e300`), so neither precision nor
/// magnitude is ever misrepresented.
pub fn exact(v: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return num(v);
    }
    if (1e-4..1e15).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// `v` with 4 significant digits in Rust's exponent notation (`1.5e300`,
/// `-2.25e-7`), trailing zeros of the mantissa trimmed.
fn scientific(v: f64) -> String {
    let s = format!("{v:.3e}");
    match s.split_once('e') {
        Some((mantissa, exponent)) => {
            let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{mantissa}e{exponent}")
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::{exact, num};

    #[test]
    fn exact_reads_back_and_keeps_magnitude() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (0.8, "0.8"),
            (0.12345, "0.12345"),
            (-1.5, "-1.5"),
            (2.0, "2"),
            (1e-5, "1e-5"),
            (0.0001, "0.0001"),
            (1.5e300, "1.5e300"),
            (1e15, "1e15"),
            (123_456_789.125, "123456789.125"),
        ];
        for &(v, want) in cases {
            assert_eq!(exact(v), want, "{v:e}");
            assert_eq!(exact(v).parse::<f64>().ok(), Some(v), "{v:e}");
        }
    }

    #[test]
    fn representative_values() {
        let cases: &[(f64, &str)] = &[
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (0.0, "0"),
            (-0.0, "0"),
            (5.0, "5"),
            (-3.0, "-3"),
            (100.0, "100"),
            (999_999_999_999_999.0, "999999999999999"),
            (1e15, "1e15"),
            (-1e15, "-1e15"),
            (1.5e300, "1.5e300"),
            (1e300, "1e300"),
            (f64::MAX, "1.798e308"),
            (1e-5, "1e-5"),
            (0.00001, "1e-5"),
            (-2.25e-7, "-2.25e-7"),
            (1.23456e-9, "1.235e-9"),
            (4e-5, "4e-5"),
            (5e-324, "4.941e-324"),
            (0.8485, "0.8485"),
            (0.848_528_137, "0.8485"),
            (2.5, "2.5"),
            (-2.5, "-2.5"),
            (12.345_67, "12.3457"),
            (0.0001, "0.0001"),
            (-0.0001, "-0.0001"),
            (0.1 + 0.2, "0.3"),
            (2.999_999_9, "3"),
            (1e14 + 0.5, "100000000000000.5"),
        ];
        for &(v, want) in cases {
            assert_eq!(num(v), want, "{v:e}");
        }
    }

    /// The fixed notation of the formatter the compiler used before this one
    /// (lower.rs and report/decide.rs), which printed 1e-5 as `0` (lower.rs)
    /// or `0.00001` as `1e-5` with all 16 digits of the f64 (decide.rs) and
    /// 1e300 with 301 digits. `None` where it did not print a non-zero
    /// number in fixed notation below 1e15: there `num` must print the
    /// same text.
    fn before(v: f64) -> Option<String> {
        if v == 0.0 || !(v.abs() < 1e15) {
            return None;
        }
        if v.fract() == 0.0 {
            return Some(format!("{v:.0}"));
        }
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        (s != "0" && s != "-0").then(|| s.to_string())
    }

    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, RngSeed};

    /// Finite values of every magnitude, both signs, and short decimals.
    fn any_value() -> impl Strategy<Value = f64> {
        prop_oneof![
            proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL,
            (-1e6f64..1e6),
            (-1.0f64..1.0),
            (-1000i64..1000, 0u32..6).prop_map(|(m, k)| m as f64 / 10f64.powi(k as i32)),
            (1.0f64..10.0, -330i32..309).prop_map(|(m, e)| m * 10f64.powi(e)),
        ]
    }

    proptest! {
        #![proptest_config(Config {
            cases: 4096,
            rng_algorithm: RngAlgorithm::ChaCha,
            rng_seed: RngSeed::Fixed(0x5eed_0f01),
            failure_persistence: None,
            ..Config::default()
        })]

        #[test]
        fn parses_back_and_never_shows_zero(v in any_value()) {
            prop_assume!(v.is_finite());
            let s = num(v);
            let back: f64 = s.parse().map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
            if v != 0.0 {
                prop_assert!(back != 0.0, "{:e} printed as {}", v, s);
                prop_assert!(back.signum() == v.signum(), "{:e} printed as {}", v, s);
            }
            let err = (back - v).abs();
            if s.contains('e') {
                // 4 significant digits: half a unit of the 4th digit.
                prop_assert!(err <= 5e-4 * v.abs() * (1.0 + 1e-12), "{:e} printed as {}", v, s);
            } else {
                // 4 decimals; above 2^53 / 1e4 the f64 itself is coarser.
                prop_assert!(err <= 5e-5 + v.abs() * f64::EPSILON, "{:e} printed as {}", v, s);
            }
        }

        #[test]
        fn prints_what_the_compiler_printed_for_nonzero_values(v in any_value()) {
            if let Some(old) = before(v) {
                prop_assert_eq!(num(v), old);
            }
        }
    }
}
