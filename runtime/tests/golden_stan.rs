//! Log densities and gradients of the four reference models against Stan's
//! values at fixed unconstrained points (fixtures/golden_logp.json). Stan's
//! `propto=true` drops additive constants, so values are compared as
//! differences from the first point; gradients are compared directly.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

mod common;

use trialc_runtime::density::LogDensity;
use trialc_runtime::mir::MirDensity;

fn check<D: LogDensity>(name: &str, d: &D) {
    let golden = common::read_json("golden_logp.json");
    let g = &golden[name];
    let n = g["n_unconstrained"].as_u64().expect("n") as usize;
    assert_eq!(d.dim(), n, "{name}: dimension");
    let points = g["points"].as_array().expect("points");
    assert!(points.len() >= 6);
    let vec = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect()
    };
    let mut grad = vec![0.0; n];
    let mut base: Option<(f64, f64)> = None;
    for (k, p) in points.iter().enumerate() {
        let x = vec(&p["unconstrained"]);
        let lp = d.logp_grad(&x, &mut grad);
        let stan_lp = p["log_prob_jacobian"].as_f64().expect("lp");
        let stan_grad = vec(&p["grad_log_prob"]);
        for i in 0..n {
            let tol = 1e-8 * (1.0 + stan_grad[i].abs());
            assert!(
                (grad[i] - stan_grad[i]).abs() < tol,
                "{name} point {k} grad[{i}]: {} vs Stan {}",
                grad[i],
                stan_grad[i]
            );
        }
        match base {
            None => base = Some((lp, stan_lp)),
            Some((lp0, s0)) => {
                let (ours, stans) = (lp - lp0, stan_lp - s0);
                assert!(
                    (ours - stans).abs() < 1e-9 * (1.0 + stans.abs()),
                    "{name} point {k}: lp difference {ours} vs Stan {stans}"
                );
            }
        }
    }
}

#[test]
fn continuous_matches_stan() {
    check(
        "continuous",
        &MirDensity::new(common::reference_mir("continuous")).expect("valid model"),
    );
}

#[test]
fn binary_matches_stan() {
    check(
        "binary",
        &MirDensity::new(common::reference_mir("binary")).expect("valid model"),
    );
}

#[test]
fn count_matches_stan() {
    check(
        "count",
        &MirDensity::new(common::reference_mir("count")).expect("valid model"),
    );
}

#[test]
fn count_ar1_matches_stan() {
    check("count_ar1", &common::CountAr1::new());
    check(
        "count_ar1",
        &MirDensity::new(common::reference_mir("count_ar1")).expect("valid model"),
    );
}

#[test]
fn reference_gradients_match_finite_differences() {
    let golden = common::read_json("golden_logp.json");
    for name in ["continuous", "binary", "count", "count_ar1"] {
        let d = MirDensity::new(common::reference_mir(name)).expect("valid model");
        for p in golden[name]["points"].as_array().expect("points") {
            let x: Vec<f64> = p["unconstrained"]
                .as_array()
                .expect("x")
                .iter()
                .map(|v| v.as_f64().expect("f"))
                .collect();
            let e = common::fd_gradient_error(&d, &x);
            assert!(e < 1e-5, "{name}: {e}");
        }
    }
}
