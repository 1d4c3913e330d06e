//! MAP, Laplace and MAP-initialised NUTS on the real example models.

use std::collections::HashMap;
use trialc::data::read_diary;
use trialc::diagnostic::Diagnostic;
use trialc::hir;

use trialc::lower::{lower, LoweredOutcome};
use trialc::schedule;
use trialc::syntax;
use trialc_runtime::density::LogDensity;
use trialc_runtime::mir::MirDensity;
use trialc_runtime::optimize::{find_mode, laplace, OptimizeConfig};

const EXAMPLES: [&str; 5] = [
    "magnesium-migraine",
    "hpi-milk-sleep",
    "naproxen-dose",
    "bp-chronotherapy",
    "sleep-coach-styles",
];

fn lowered(name: &str) -> Vec<LoweredOutcome> {
    let dir = format!("{}/../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(format!("{dir}/{name}.trial")).expect("spec");
    let csv = std::fs::read_to_string(format!("{dir}/diary.csv")).expect("diary");
    let (file, mut diagnostics) = syntax::parse(&text);
    let (spec, more) = hir::check(&file);
    diagnostics.extend(more);
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}");
    let spec = spec.expect("checked spec");
    let schedule = schedule::build(&spec.schedule_spec()).expect("schedule");
    let (diary, diagnostics) = read_diary(&csv, &spec, &schedule);
    let diary = diary.unwrap_or_else(|| panic!("{name}: {diagnostics:#?}"));
    // The hypotheses files the spec names, read as the CLI would.
    let mut hyp: HashMap<(String, String), (f64, f64)> = HashMap::new();
    for source in &spec.hypotheses {
        let text =
            std::fs::read_to_string(format!("{dir}/{}", source.path)).expect("hypotheses file");
        let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        for h in json["hypotheses"].as_array().expect("hypotheses array") {
            let id = h["id"].as_str().expect("id").to_string();
            let mean = h["effect"]["mean"].as_f64().expect("mean");
            let sd = h["effect"]["sd"].as_f64().expect("sd");
            hyp.insert((source.name.clone(), id), (mean, sd));
        }
    }
    lower(&spec, &schedule, &diary, &hyp).unwrap_or_else(|d| panic!("{name}: {d:#?}"))
}

/// Regression (issue 3): from 0 the first L-BFGS step of this model
/// overflowed (sigma = exp(1300)), argmin stopped, and `find_mode` reported
/// the start point as the mode; `laplace` then failed with NotConcave.
#[test]
fn hpi_milk_sleep_mode_from_zero_is_the_mode() {
    let l = &lowered("hpi-milk-sleep")[0];
    let d = MirDensity::new(l.model.clone()).expect("model");
    assert_eq!(
        d.coordinate_names(),
        ["intercept", "effect[warm_milk]", "sigma"]
    );
    let cfg = OptimizeConfig::default();
    let from_zero = find_mode(&d, &[0.0; 3], &cfg).expect("mode from 0");
    assert!(from_zero.grad_norm < 1e-6, "{from_zero:?}");
    // The same mode from near the answer (arm means 8.09 and 6.62, log sigma 0).
    let near = find_mode(&d, &[8.0, -1.5, 0.0], &cfg).expect("mode from near");
    for (a, b) in from_zero.x.iter().zip(&near.x) {
        assert!((a - b).abs() < 1e-6, "{:?} vs {:?}", from_zero.x, near.x);
    }
    // Weak priors: the effect's mode is near the difference of arm means.
    assert!(
        (from_zero.x[1] - (6.62 - 8.09)).abs() < 0.1,
        "{:?}",
        from_zero.x
    );
    let lap = laplace(&d, &[0.0; 3], &cfg).expect("Laplace from 0");
    assert!(lap.sd().iter().all(|s| s.is_finite() && *s > 0.0));
}

/// Every outcome of every example: the mode from 0 (the `--method laplace`
/// start) is found, with a small gradient, and has a Laplace approximation.
#[test]
fn every_example_model_has_a_mode_and_laplace_from_zero() {
    for name in EXAMPLES {
        for l in lowered(name) {
            let d = MirDensity::new(l.model.clone()).expect("model");
            let lap = laplace(&d, &vec![0.0; d.dim()], &OptimizeConfig::default())
                .unwrap_or_else(|e| panic!("{name} outcome {}: {e}", l.outcome));
            assert!(lap.mode.grad_norm < 1e-5, "{name}: {:?}", lap.mode);
        }
    }
}
