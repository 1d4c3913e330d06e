//! Report tests against independently computed answers: decision
//! probabilities recounted here from the raw draws; odds ratios and risk
//! differences recomputed with our own quantiles; rules fire exactly when
//! their probability meets the threshold (and the periods are complete);
//! byte-identical reports and files for the same inputs; the CmdStan CSV
//! layout (header, columns, draw count, column means equal the report's);
//! every SVG well-formed XML; and W0901–W0905 raised on a deliberately short
//! fit with the primary label at the parameter's span in the spec.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)] // a test or bench is an IO edge of its own

use trialc::analysis::predictive::Predictive;
use trialc::diagnostic::Diagnostic;
use trialc::hir::{self, Comparison, Rule, RuleKind};
use trialc::lower::{LoweredOutcome, Role};
use trialc::report::{self, cmdstan, Report, RunSettings};
use trialc_runtime::density::LogDensity;
use trialc_runtime::mir::{Family, MirDensity};
use trialc_runtime::nuts::NutsConfig;
use trialc_runtime::posterior::{fit, Posterior};

mod common;

use common::{lowered_example as example, Lowered as Example};

fn settings(chains: usize, warmup: usize, draws: usize, seed: u64) -> RunSettings {
    RunSettings {
        chains,
        warmup,
        draws,
        seed,
        max_depth: 10,
        ..RunSettings::default()
    }
}

fn fits(ex: &Example, s: &RunSettings) -> Vec<(LoweredOutcome, Posterior)> {
    let cfg = NutsConfig {
        num_chains: s.chains,
        num_warmup: s.warmup,
        num_draws: s.draws,
        seed: s.seed,
        max_depth: s.max_depth,
        ..NutsConfig::default()
    };
    ex.lowered
        .iter()
        .map(|l| {
            let cfg = NutsConfig {
                seed: trialc::fit::outcome_seed(s.seed, l.outcome),
                ..cfg.clone()
            };
            (l.clone(), fit(l.model.clone(), &cfg).expect("fit"))
        })
        .collect()
}

fn report_for(ex: &Example, f: &[(LoweredOutcome, Posterior)], s: &RunSettings) -> Report {
    report::build(&ex.spec, &ex.schedule, &ex.diary, f, s)
}

/// Each outcome's log likelihood and replicates, as `trialc run` computes them.
fn predictive(f: &[(LoweredOutcome, Posterior)], s: &RunSettings) -> Vec<Predictive> {
    trialc::analysis::predictive::predict(f, s)
}

/// The posterior element index of `name` (as the runtime names elements).
fn index(post: &Posterior, name: &str) -> usize {
    post.names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no element {name} in {:?}", post.names))
}

fn all_draws(post: &Posterior, k: usize) -> Vec<f64> {
    post.element(k).concat()
}

/// Type-7 quantile, written out here rather than taken from the runtime.
fn q7(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

/// The draws of a quantity, computed here from the effect and intercept
/// draws by the definitions of docs/language.md: effect of A vs B is
/// delta_A - delta_B (the reference's delta is 0), a ratio is its exp, a
/// risk difference is logistic(alpha + delta_A) - logistic(alpha + delta_B).
fn quantity_draws(ex: &Example, f: &[(LoweredOutcome, Posterior)], q: &hir::Quantity) -> Vec<f64> {
    let (_, post) = f
        .iter()
        .find(|(l, _)| l.outcome == q.outcome)
        .expect("fit of the quantity's outcome");
    let n = post.num_chains * post.num_draws;
    let effect = |arm: usize| -> Vec<f64> {
        if arm == ex.spec.reference {
            vec![0.0; n]
        } else {
            all_draws(
                post,
                index(post, &format!("effect[{}]", ex.spec.arms[arm].name)),
            )
        }
    };
    let (a, b) = (effect(q.arm), effect(q.versus));
    let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());
    match q.scale {
        hir::Scale::Effect => a.iter().zip(&b).map(|(x, y)| x - y).collect(),
        hir::Scale::OddsRatio | hir::Scale::RateRatio => {
            a.iter().zip(&b).map(|(x, y)| (x - y).exp()).collect()
        }
        hir::Scale::RiskDifference => {
            let alpha = all_draws(post, index(post, "intercept"));
            alpha
                .iter()
                .zip(a.iter().zip(&b))
                .map(|(al, (x, y))| logistic(al + x) - logistic(al + y))
                .collect()
        }
    }
}

#[test]
fn decision_probabilities_are_shares_of_draws_and_rules_fire_iff_met() {
    for name in ["magnesium-migraine", "naproxen-dose"] {
        decision_probabilities_on(name);
    }
}

/// Rules with several conditions, two-arm contrasts and the ratio scales
/// (naproxen), one-condition rules on the effect scale (magnesium).
fn decision_probabilities_on(name: &str) {
    let ex = example(name);
    let s = settings(2, 200, 200, 11);
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    let rules: Vec<(&RuleKind, &Vec<hir::Condition>)> = ex
        .spec
        .rules
        .iter()
        .filter_map(|rule| match rule {
            Rule::When {
                kind, conditions, ..
            } => Some((kind, conditions)),
            Rule::Otherwise { .. } => None,
        })
        .collect();
    assert_eq!(r.rules.len(), rules.len());
    assert!(!rules.is_empty());
    let last_day = ex.diary.rows.last().expect("rows").day;
    let complete = ex
        .schedule
        .periods
        .iter()
        .filter(|p| p.last_day <= last_day)
        .count() as u64;
    for (rule, (kind, conditions)) in r.rules.iter().zip(rules) {
        assert_eq!(rule.conditions.len(), conditions.len());
        let mut all_met = true;
        for (got, c) in rule.conditions.iter().zip(conditions) {
            let s = &c.statement;
            let values = quantity_draws(&ex, &f, &s.quantity);
            let hits = values
                .iter()
                .filter(|&&x| match s.comparison {
                    Comparison::Less => x < s.threshold,
                    Comparison::LessEqual => x <= s.threshold,
                    Comparison::Greater => x > s.threshold,
                    Comparison::GreaterEqual => x >= s.threshold,
                })
                .count();
            let draws = values;
            let p = hits as f64 / draws.len() as f64;
            assert_eq!(got.statement.probability, Some(p), "{}", rule.statement);
            let mcse = got.statement.mcse.expect("mcse");
            assert!((0.0..=0.5).contains(&mcse), "{mcse}");
            let met = match c.probability_comparison {
                Comparison::Less => p < c.probability,
                Comparison::LessEqual => p <= c.probability,
                Comparison::Greater => p > c.probability,
                Comparison::GreaterEqual => p >= c.probability,
            };
            assert_eq!(got.met, met, "{}", rule.statement);
            all_met &= met;
        }
        let periods_ok = match kind {
            RuleKind::StopEarly {
                after_periods: Some(n),
            } => complete >= *n,
            _ => true,
        };
        assert_eq!(rule.fires, all_met && periods_ok, "{}", rule.statement);
        assert_eq!(rule.periods_complete, complete);
    }
    // The conclusion follows the first firing recommend rule.
    let first = r
        .rules
        .iter()
        .position(|x| x.kind == "recommend" && x.fires);
    assert_eq!(r.conclusion.rule, first);
    match first {
        Some(i) => {
            assert!(r.conclusion.text.starts_with(&format!(
                "The data support {}",
                r.rules[i].recommends.as_deref().expect("arm")
            )));
        }
        None => assert!(r.conclusion.text.contains("do not yet support")),
    }
}

/// Moves the required probability of every rule to just at / just above
/// the observed probability: the rule must fire at, and not above.
#[test]
fn rule_fires_exactly_at_the_threshold_and_waits_for_periods() {
    let ex = example("magnesium-migraine");
    let s = settings(2, 150, 150, 3);
    let f = fits(&ex, &s);
    let base = report_for(&ex, &f, &s);
    for (delta, expect) in [(0.0, true), (1e-9, false)] {
        let mut spec = ex.spec.clone();
        let mut i = 0;
        for rule in &mut spec.rules {
            if let Rule::When {
                kind, conditions, ..
            } = rule
            {
                for (k, condition) in conditions.iter_mut().enumerate() {
                    let p = base.rules[i].conditions[k].statement.probability;
                    condition.probability_comparison = Comparison::GreaterEqual;
                    condition.probability = p.expect("p") + delta;
                }
                if let RuleKind::StopEarly { after_periods } = kind {
                    *after_periods = Some(1);
                }
                i += 1;
            }
        }
        let r = report::build(&spec, &ex.schedule, &ex.diary, &f, &s);
        for rule in &r.rules {
            assert_eq!(rule.fires, expect, "delta {delta}: {}", rule.statement);
        }
        assert_eq!(
            r.conclusion.kind == report::ConclusionKind::Recommend,
            expect
        );
    }
    // A stop-early rule needing more periods than the diary has never fires,
    // whatever its probability, and says why.
    let mut spec = ex.spec.clone();
    for rule in &mut spec.rules {
        if let Rule::When {
            kind: RuleKind::StopEarly { after_periods },
            conditions,
            ..
        } = rule
        {
            *after_periods = Some(1000);
            for condition in conditions {
                condition.probability_comparison = Comparison::GreaterEqual;
                condition.probability = 0.0;
            }
        }
    }
    let r = report::build(&spec, &ex.schedule, &ex.diary, &f, &s);
    let stop: Vec<_> = r.rules.iter().filter(|x| x.kind == "stop early").collect();
    assert!(!stop.is_empty());
    for x in stop {
        assert!(!x.fires);
        assert!(
            x.note
                .as_deref()
                .is_some_and(|n| n.contains("1000 complete periods")),
            "{:?}",
            x.note
        );
    }
}

#[test]
fn odds_ratio_and_risk_difference_match_the_draws() {
    let ex = example("magnesium-migraine");
    let s = settings(2, 150, 150, 5);
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    let j = ex
        .spec
        .outcomes
        .iter()
        .position(|o| o.name == "attack")
        .expect("binary outcome");
    let (_, post) = f.iter().find(|(l, _)| l.outcome == j).expect("fit");
    let o = r
        .outcomes
        .iter()
        .find(|o| o.name == "attack")
        .expect("report");
    let e = &o.effects[0];
    assert_eq!(e.measure, "odds ratio");
    let delta = all_draws(post, index(post, "effect[magnesium]"));
    let alpha = all_draws(post, index(post, "intercept"));
    let or: Vec<f64> = delta.iter().map(|d| d.exp()).collect();
    let n = or.len() as f64;
    assert!(close(
        e.interpretable.mean,
        or.iter().sum::<f64>() / n,
        1e-12
    ));
    assert!(close(e.interpretable.q5, q7(&or, 0.05), 1e-12));
    assert!(close(e.interpretable.q95, q7(&or, 0.95), 1e-12));
    assert!(close(e.interpretable.median, q7(&or, 0.5), 1e-12));
    let inv = |x: f64| 1.0 / (1.0 + (-x).exp());
    let rd: Vec<f64> = alpha
        .iter()
        .zip(&delta)
        .map(|(a, d)| inv(a + d) - inv(*a))
        .collect();
    let rdr = e.risk_difference.as_ref().expect("risk difference");
    assert!(close(rdr.mean, rd.iter().sum::<f64>() / n, 1e-12));
    assert!(close(rdr.q5, q7(&rd, 0.05), 1e-12));
    assert!(close(rdr.q95, q7(&rd, 0.95), 1e-12));
    // The risk difference has the odds ratio's sign, draw by draw.
    assert!(rd
        .iter()
        .zip(&or)
        .all(|(r, o)| (*r < 0.0) == (*o < 1.0) || r.abs() < 1e-15));
    // The ordinal outcome reports cumulative odds ratios, no risk difference;
    // the continuous one reports the effect itself.
    let sleep = r
        .outcomes
        .iter()
        .find(|o| o.name == "sleep_quality")
        .expect("ordinal");
    assert_eq!(sleep.effects[0].measure, "cumulative odds ratio");
    assert!(sleep.effects[0].risk_difference.is_none());
    let pain = r
        .outcomes
        .iter()
        .find(|o| o.name == "pain")
        .expect("continuous");
    assert_eq!(pain.effects[0].interpretable, pain.effects[0].effect);
    // P(better): pain is `better lower`.
    let jp = ex
        .spec
        .outcomes
        .iter()
        .position(|o| o.name == "pain")
        .expect("pain");
    let (_, pp) = f.iter().find(|(l, _)| l.outcome == jp).expect("fit");
    let d = all_draws(pp, index(pp, "effect[magnesium]"));
    assert_eq!(
        pain.effects[0].p_better,
        d.iter().filter(|x| **x < 0.0).count() as f64 / d.len() as f64
    );
    // The robust prior of pain's effect reports its component weights.
    let c = pain.effects[0]
        .prior_conflict
        .as_ref()
        .expect("robust prior weights");
    assert_eq!(c.prior_vague_weight, 0.2);
    assert!((0.0..=1.0).contains(&c.posterior_vague_weight));
    assert_eq!(c.conflict, c.posterior_vague_weight > 0.2);
}

#[test]
fn same_inputs_give_byte_identical_reports_and_files() {
    let ex = example("magnesium-migraine");
    let s = settings(2, 100, 100, 9);
    let a = fits(&ex, &s);
    let b = fits(&ex, &s);
    let ra = report_for(&ex, &a, &s);
    // Fits given in another order still give the same report.
    let mut b_rev = b.clone();
    b_rev.reverse();
    let rb = report_for(&ex, &b_rev, &s);
    assert_eq!(report::json(&ra), report::json(&rb));
    assert_eq!(report::text(&ra), report::text(&rb));
    let (pa, pb) = (predictive(&a, &s), predictive(&b_rev, &s));
    let fa = report::output_files(&ra, &ex.spec, &ex.schedule, &ex.diary, &a, &pa);
    let fb = report::output_files(&rb, &ex.spec, &ex.schedule, &ex.diary, &b_rev, &pb);
    assert_eq!(fa, fb);
    // A different seed changes the draws, so the check above can fail.
    let s2 = settings(2, 100, 100, 10);
    let c = fits(&ex, &s2);
    assert_ne!(report::json(&ra), report::json(&report_for(&ex, &c, &s2)));
    // JSON: the documented format field, and it parses.
    let v: serde_json::Value = serde_json::from_str(&report::json(&ra)).expect("valid JSON");
    assert_eq!(v["format"], "trialc-report/2");
    assert_eq!(v["outcomes"].as_array().map(Vec::len), Some(3));
}

#[test]
fn write_outputs_writes_every_file() {
    let ex = example("magnesium-migraine");
    let s = settings(2, 60, 40, 2);
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    let dir = std::env::temp_dir().join(format!("trialc-report-test-{}", std::process::id()));
    let written = trialc::io::write_outputs(
        &dir,
        &report::outputs(
            &r,
            &ex.spec,
            &ex.schedule,
            &ex.diary,
            &f,
            &predictive(&f, &s),
        ),
    )
    .expect("write");
    let names: Vec<String> = written
        .iter()
        .map(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    // The names known before the fit are exactly the files written.
    assert_eq!(names, report::output_names(&ex.spec, s.chains, true));
    for expected in [
        "report.json",
        "pain-1.csv",
        "pain-2.csv",
        "attack-2.csv",
        "sleep_quality-1.csv",
        "pain-timeline.svg",
        "pain-effect-magnesium.svg",
        "pain-trace.svg",
        "pain-rank.svg",
        "pain-ppc.svg",
        "pain-observed.json",
        "arviz.json",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    for p in &written {
        assert!(
            std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false),
            "{}",
            p.display()
        );
    }
    let json = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    assert_eq!(json, report::json(&r));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cmdstan_csv_layout_and_means() {
    let ex = example("magnesium-migraine");
    let s = settings(2, 100, 120, 4);
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    let files = report::output_files(
        &r,
        &ex.spec,
        &ex.schedule,
        &ex.diary,
        &f,
        &predictive(&f, &s),
    );
    for (l, post) in &f {
        let outcome = &ex.spec.outcomes[l.outcome];
        let rep = r
            .outcomes
            .iter()
            .find(|o| o.name == outcome.name)
            .expect("outcome report");
        let mut sums = vec![0.0; post.names.len()];
        let mut n = 0usize;
        let density = MirDensity::new(l.model.clone()).expect("valid model");
        for chain in 1..=post.num_chains {
            let name = format!("{}-{chain}.csv", outcome.name);
            let (_, csv) = files
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("{name}"));
            let lines: Vec<&str> = csv.lines().collect();
            let header_at = lines
                .iter()
                .position(|l| !l.starts_with('#'))
                .expect("header row");
            let config = &lines[..header_at];
            for key in [
                "# model = ",
                "# method = sample",
                "num_samples = 120",
                "num_warmup = 100",
                "# id = ",
                "trialc_run_seed = 4",
                "metric = diag_e",
                "engine = nuts",
                "max_depth = 10",
            ] {
                assert!(
                    config.iter().any(|l| l.contains(key)),
                    "{name}: no `{key}` in the config block"
                );
            }
            assert!(config.iter().any(|l| *l == format!("# id = {chain}")));
            let seed = trialc::fit::outcome_seed(4, l.outcome);
            assert!(config.iter().any(|l| *l == format!("#   seed = {seed}")));
            let header: Vec<&str> = lines[header_at].split(',').collect();
            assert_eq!(&header[..7], &cmdstan::STAT_COLUMNS[..]);
            let n_obs = l.model.likelihoods[0].y.len();
            assert_eq!(header.len(), 7 + post.names.len() + 2 * n_obs);
            // Effects are one vector `effect.K` in the spec's order of
            // effects; the other elements keep their names; then log_lik
            // and y_rep, one column per analysed observation.
            let mut effect = 0;
            let mut expected: Vec<String> = post
                .names
                .iter()
                .map(|n| {
                    if n.starts_with("effect[") {
                        effect += 1;
                        format!("effect.{effect}")
                    } else {
                        cmdstan::column_name(n)
                    }
                })
                .collect();
            assert_eq!(effect, cmdstan::effect_params(l).len());
            assert!(effect > 0);
            expected.extend((1..=n_obs).map(|i| format!("log_lik.{i}")));
            expected.extend((1..=n_obs).map(|i| format!("y_rep.{i}")));
            assert_eq!(
                &header[7..],
                expected
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .as_slice()
            );
            assert!(lines[header_at + 1].starts_with("# Adaptation terminated"));
            assert!(lines[header_at + 2].starts_with("# Step size = "));
            assert_eq!(
                lines[header_at + 3],
                "# Diagonal elements of inverse mass matrix:"
            );
            assert_eq!(lines[header_at + 4].split(',').count(), post.names.len());
            let rows: Vec<&str> = lines[header_at + 5..]
                .iter()
                .copied()
                .take_while(|l| !l.starts_with('#'))
                .collect();
            assert_eq!(rows.len(), 120, "{name}: draw count");
            assert!(lines[header_at + 5 + rows.len()..]
                .iter()
                .all(|l| l.starts_with('#')));
            assert!(csv.contains("Elapsed Time"));
            for row in rows {
                let cells: Vec<f64> = row.split(',').map(|c| c.parse().expect("number")).collect();
                assert_eq!(cells.len(), header.len());
                assert!(cells[5] == 0.0 || cells[5] == 1.0);
                let dim = post.names.len();
                for (k, v) in cells[7..7 + dim].iter().enumerate() {
                    sums[k] += v;
                }
                // The log_lik columns add up to lp__ less the log prior and
                // Jacobian at the row's draw: the likelihood part of the
                // log density the sampler saw.
                let theta = &cells[7..7 + dim];
                let x = density.unconstrain(theta).expect("inside the support");
                let log_lik: f64 = cells[7 + dim..7 + dim + n_obs].iter().sum();
                let lik = cells[0] - density.log_prior_jacobian(&x);
                assert!(
                    close(log_lik, lik, 1e-8),
                    "{name}: sum of log_lik {log_lik} vs lp__ less prior {lik}"
                );
                // Replicates are on the outcome's scale: levels and 0/1 are whole.
                for y in &cells[7 + dim + n_obs..] {
                    assert!(y.is_finite());
                    if !matches!(
                        l.model.likelihoods[0].family,
                        Family::Normal { .. } | Family::NormalAr1 { .. }
                    ) {
                        assert_eq!(y.fract(), 0.0, "{name}: y_rep {y}");
                    }
                }
                n += 1;
            }
        }
        // Means from the CSV are the report's means: the values round-trip.
        for (k, row) in rep.parameters.iter().enumerate() {
            assert_eq!(row.name, post.names[k]);
            assert!(
                close(sums[k] / n as f64, row.mean, 1e-12),
                "{}: {} vs {}",
                row.name,
                sums[k] / n as f64,
                row.mean
            );
        }
    }
}

#[test]
fn cmdstan_names_round_trip() {
    assert_eq!(cmdstan::column_name("sigma"), "sigma");
    assert_eq!(cmdstan::column_name("cutpoints[2]"), "cutpoints.2");
    // Effects are not named here: the CSV writes them as one vector
    // effect.K (cmdstan_csv_layout_and_means).
    assert_eq!(
        cmdstan::column_name("covariate[stress]"),
        "covariate_stress"
    );
    assert_eq!(
        cmdstan::column_name("carryover[naproxen_500]"),
        "carryover_naproxen_500"
    );
    assert_eq!(
        cmdstan::model_name("magnesium-migraine", "pain"),
        "magnesium_migraine_pain"
    );
}

/// A minimal XML well-formedness check: balanced, properly nested tags,
/// quoted attributes, only the five predefined entities, one root.
fn well_formed(xml: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = xml;
    while let Some(i) = rest.find(['<', '&']) {
        let (text, tail) = rest.split_at(i);
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root: {text:?}"));
        }
        if tail.starts_with('&') {
            let end = tail.find(';').ok_or("unterminated entity")?;
            if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&&tail[..=end]) {
                return Err(format!("unknown entity {}", &tail[..=end]));
            }
            rest = &tail[end + 1..];
            continue;
        }
        let end = tail.find('>').ok_or("unterminated tag")?;
        let tag = &tail[1..end];
        if tag.contains('<') {
            return Err(format!("`<` inside a tag: {tag}"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .ok_or(format!("closing {name} with nothing open"))?;
            if open != name.trim() {
                return Err(format!("</{name}> closes <{open}>"));
            }
        } else {
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name: String = body.chars().take_while(|c| !c.is_whitespace()).collect();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
            {
                return Err(format!("bad tag name {name:?}"));
            }
            // Attributes: name="value" pairs, values without `<`, `&` unescaped.
            let mut attrs = body[name.len()..].trim();
            while !attrs.is_empty() {
                let eq = attrs
                    .find('=')
                    .ok_or(format!("attribute without value in <{name}>"))?;
                let after = &attrs[eq + 1..];
                if !after.starts_with('"') {
                    return Err(format!("unquoted attribute in <{name}>"));
                }
                let close = after[1..].find('"').ok_or("unterminated attribute")?;
                let value = &after[1..=close];
                if value.contains('<')
                    || value
                        .replace("&amp;", "")
                        .replace("&quot;", "")
                        .replace("&lt;", "")
                        .replace("&gt;", "")
                        .replace("&apos;", "")
                        .contains('&')
                {
                    return Err(format!("unescaped value {value:?}"));
                }
                attrs = after[close + 2..].trim();
            }
            if stack.is_empty() {
                roots += 1;
            }
            if !self_closing {
                stack.push(name);
            }
        }
        rest = &tail[end + 1..];
    }
    if !rest.trim().is_empty() && stack.is_empty() {
        return Err("text after the root".into());
    }
    if !stack.is_empty() {
        return Err(format!("unclosed {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(())
}

#[test]
fn xml_checker_rejects_broken_documents() {
    assert!(well_formed("<svg><g/></svg>").is_ok());
    assert!(well_formed("<svg><g></svg>").is_err());
    assert!(well_formed("<svg a=1></svg>").is_err());
    assert!(well_formed("<svg>a & b</svg>").is_err());
    assert!(well_formed("<svg></svg><svg></svg>").is_err());
}

#[test]
fn every_example_reports_and_every_svg_is_well_formed() {
    for name in common::EXAMPLES {
        let ex = example(name);
        let s = settings(2, 50, 40, 1);
        let f = fits(&ex, &s);
        let r = report_for(&ex, &f, &s);
        // Every example also reports in words and as JSON.
        let t = report::text(&r);
        assert!(
            t.contains("Conclusion") && t.contains("Decision rules"),
            "{name}"
        );
        let v: serde_json::Value = serde_json::from_str(&report::json(&r)).expect("JSON");
        assert_eq!(
            v["outcomes"].as_array().map(Vec::len),
            Some(ex.lowered.len()),
            "{name}"
        );
        let files = report::output_files(
            &r,
            &ex.spec,
            &ex.schedule,
            &ex.diary,
            &f,
            &predictive(&f, &s),
        );
        let svgs: Vec<&(String, String)> =
            files.iter().filter(|(n, _)| n.ends_with(".svg")).collect();
        // timeline, trace, rank, predictive check per outcome and one
        // density per effect.
        let effects: usize = ex
            .lowered
            .iter()
            .map(|l| {
                l.params
                    .iter()
                    .filter(|p| matches!(p.role, Role::Effect { .. }))
                    .count()
            })
            .sum();
        assert_eq!(svgs.len(), 4 * ex.lowered.len() + effects, "{name}");
        for (file, svg) in svgs {
            well_formed(svg).unwrap_or_else(|e| panic!("{name}/{file}: {e}"));
            assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
            assert!(svg.len() < 400_000, "{file}: {} bytes", svg.len());
        }
    }
}

#[test]
fn short_fit_raises_convergence_warnings_at_the_parameter_span() {
    let ex = example("magnesium-migraine");
    let s = settings(1, 20, 20, 1);
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    assert!(report::has_convergence_problems(&r));
    let ess: Vec<&Diagnostic> = r.diagnostics.iter().filter(|d| d.code == "W0902").collect();
    assert!(!ess.is_empty(), "{:#?}", r.diagnostics);
    for d in &r.diagnostics {
        assert!(d.code.starts_with("W09"));
        assert!(!d.is_error());
        assert!(
            trialc::codes::explain(d.code).is_some(),
            "{} has no docs page",
            d.code
        );
        assert!(d.primary_span().is_some());
    }
    // Every W0902 points at the prior of a parameter whose worst element is
    // below 400 bulk-ESS.
    for d in ess {
        let span = d.primary_span().expect("span");
        let (l, post) = f
            .iter()
            .find(|(l, _)| l.params.iter().any(|p| p.span == span))
            .expect("span of a parameter");
        let p = l.params.iter().find(|p| p.span == span).expect("param");
        let size = l.model.params[p.id].size;
        let first = l.model.params[..p.id].iter().map(|q| q.size).sum::<usize>();
        assert!((first..first + size)
            .any(|k| post.summaries[k].ess_bulk < 400.0 || post.summaries[k].ess_bulk.is_nan()));
    }
    assert!(r.conclusion.text.contains("provisional"));
    let t = report::text(&r);
    assert!(t.contains("W0902"));
}

#[test]
fn long_enough_fit_has_no_element_warnings() {
    // The hpi-milk-sleep model is small and well identified: a default-sized
    // run must not warn, so the warnings above are not raised unconditionally.
    let ex = example("hpi-milk-sleep");
    let s = settings(4, 1000, 1000, 20230727);
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code).collect();
    assert!(
        !codes.contains(&"W0901") && !codes.contains(&"W0902"),
        "{codes:?}"
    );
}

#[test]
fn text_report_has_every_section() {
    let ex = example("magnesium-migraine");
    let s = settings(2, 150, 150, 8);
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    let t = report::text(&r);
    for needle in [
        "Trial magnesium-migraine",
        "Data",
        "Outcome pain (primary",
        "washout:",
        "run-in:",
        "parameter",
        "R-hat",
        "ESS-bulk",
        "odds ratio",
        "risk difference",
        "cumulative odds ratio",
        "Decision rules",
        "recommend magnesium if P(effect of magnesium on pain < -mcid)",
        "Conclusion",
    ] {
        assert!(t.contains(needle), "missing `{needle}` in\n{t}");
    }
    let defaults = r
        .outcomes
        .iter()
        .flat_map(|o| &o.parameters)
        .any(|p| p.prior_default);
    assert_eq!(t.contains("(default)"), defaults);
    for rule in &r.rules {
        let verdict = if rule.fires { "FIRES" } else { "does not fire" };
        assert!(t.contains(verdict));
    }
    // Aligned table: every row of the pain table starts its columns at the
    // same offsets as the header.
    let lines: Vec<&str> = t.lines().collect();
    let h = lines
        .iter()
        .position(|l| l.trim_start().starts_with("parameter"))
        .expect("table");
    let col = lines[h].find("R-hat").expect("R-hat column") + "R-hat".len();
    // Rows run until the blank line or the prior notes (`[1] …`).
    let rows: Vec<&&str> = lines[h + 1..]
        .iter()
        .take_while(|l| !l.trim().is_empty() && !l.trim_start().starts_with('['))
        .collect();
    assert_eq!(rows.len(), 5, "pain has 5 parameters");
    assert!(lines[h + 1 + rows.len()]
        .trim_start()
        .starts_with("[1] effect[magnesium] ~ lfm.H1"));
    for l in rows {
        assert_eq!(
            l.as_bytes()
                .get(col - 1)
                .map(|b| b.is_ascii_digit() || *b == b'N' || *b == b'f'),
            Some(true),
            "{l}"
        );
    }
}

#[test]
fn exclusions_are_counted_by_reason() {
    let ex = example("magnesium-migraine");
    let s = settings(1, 30, 30, 1);
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    for (l, _) in &f {
        let o = r
            .outcomes
            .iter()
            .find(|o| o.name == ex.spec.outcomes[l.outcome].name)
            .expect("outcome");
        assert_eq!(o.analysis.analysed, l.analysis.days.len());
        let get = |reason: &str| {
            o.analysis
                .exclusions
                .iter()
                .find(|e| e.reason == reason)
                .map_or(0, |e| e.count)
        };
        assert_eq!(get("run-in"), l.analysis.run_in.len());
        assert_eq!(get("washout"), l.analysis.washout.len());
        assert_eq!(get("missing"), l.analysis.missing.len());
        assert_eq!(get("no arm taken"), l.analysis.no_arm.len());
        assert_eq!(
            o.analysis.per_arm.iter().map(|a| a.days).sum::<usize>(),
            o.analysis.analysed
        );
    }
    assert_eq!(r.data.rows, ex.diary.rows.len());
    assert_eq!(r.data.deviations.len(), ex.diary.deviations.len());
}

#[test]
#[ignore = "prints the report for a person to read"]
fn print_report() {
    let name = std::env::var("TRIALC_EXAMPLE").unwrap_or_else(|_| "magnesium-migraine".into());
    let ex = example(&name);
    let s = settings(4, 1000, 1000, 1);
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    println!("{}", report::text(&r));
}

/// Writes `--out` files for the magnesium example into `$TRIALC_REPORT_OUT`
/// (2 chains x (200 + 200), seed 1), for `scripts/python-check.sh --from-test`
/// when the CLI is not at hand.
#[test]
#[ignore = "writes files for the Python check"]
fn write_example_outputs() {
    let Ok(dir) = std::env::var("TRIALC_REPORT_OUT") else {
        return;
    };
    let ex = example("magnesium-migraine");
    let s = settings(2, 200, 200, 1);
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    trialc::io::write_outputs(
        std::path::Path::new(&dir),
        &report::outputs(
            &r,
            &ex.spec,
            &ex.schedule,
            &ex.diary,
            &f,
            &predictive(&f, &s),
        ),
    )
    .expect("write outputs");
}

#[test]
fn saturated_tree_depth_is_w0904_at_the_model_block() {
    let ex = example("magnesium-migraine");
    // Max tree depth 1: nearly every transition saturates.
    let s = RunSettings {
        max_depth: 1,
        ..settings(1, 100, 100, 1)
    };
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    let w: Vec<&Diagnostic> = r.diagnostics.iter().filter(|d| d.code == "W0904").collect();
    assert_eq!(w.len(), f.len(), "{:#?}", r.diagnostics);
    for (d, (l, post)) in w.iter().zip(&f) {
        let model = ex
            .spec
            .models
            .iter()
            .find(|m| m.outcome == l.outcome)
            .expect("model");
        assert_eq!(d.primary_span(), Some(model.span));
        let hits: usize = post.health.iter().map(|h| h.max_treedepth_hits).sum();
        assert!(
            d.message.starts_with(&format!("{hits} transition")),
            "{}",
            d.message
        );
    }
    assert!(report::has_convergence_problems(&r));
}

#[test]
fn hypotheses_provenance_names_the_priors_they_became() {
    let ex = example("magnesium-migraine");
    let s = settings(1, 50, 50, 1);
    let f = fits(&ex, &s);
    let dir = format!(
        "{}/../examples/magnesium-migraine",
        env!("CARGO_MANIFEST_DIR")
    );
    let source = &ex.spec.hypotheses[0];
    let text = std::fs::read_to_string(format!("{dir}/{}", source.path)).expect("hypotheses file");
    let (file, diagnostics) = trialc::hypotheses::read(&text);
    let file = file.unwrap_or_else(|| panic!("{diagnostics:#?}"));
    let r = report_for(&ex, &f, &s).with_hypotheses(&ex.spec, &[(source.name.as_str(), &file)]);
    assert_eq!(r.hypotheses.len(), 1);
    let h = &r.hypotheses[0];
    assert_eq!(h.prompt_sha256, file.generator.prompt_sha256);
    assert_eq!(h.generator_model, file.generator.model);
    assert_eq!(h.hypotheses.len(), file.hypotheses.len());
    // The spec uses lfm.H1 for pain and lfm.H2 for attack.
    let used = |id: &str| {
        h.hypotheses
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.used_by.clone())
            .unwrap_or_default()
    };
    assert_eq!(used("H1"), vec!["effect[magnesium] on pain".to_string()]);
    assert_eq!(used("H2"), vec!["effect[magnesium] on attack".to_string()]);
    let t = report::text(&r);
    assert!(t.contains(&format!("prompt sha256 {}", file.generator.prompt_sha256)));
    assert!(t.contains("prior of effect[magnesium] on pain"));
    // Where each prior came from, in the model's own words.
    let h1 = file
        .hypotheses
        .iter()
        .find(|h| h.id == "H1")
        .and_then(|h| h.rationale.clone())
        .expect("H1 has a rationale");
    let first_words: String = h1.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
    assert!(
        t.contains(&format!("rationale: {first_words}")),
        "{first_words}\n{t}"
    );
}

/// The effect's density plot draws its prior over the posterior: the dashed
/// curve is there, its heights are proportional to the prior density, and
/// its peak sits on the hypothesis' side of 0 (H1: -1.2 for pain, H3: +0.3
/// for sleep quality), so a mis-signed or misplaced prior would fail.
#[test]
fn effect_plots_draw_the_prior_where_the_hypothesis_puts_it() {
    let ex = example("magnesium-migraine");
    let s = settings(2, 100, 100, 1);
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    let files = report::output_files(
        &r,
        &ex.spec,
        &ex.schedule,
        &ex.diary,
        &f,
        &predictive(&f, &s),
    );
    let svg = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    // "M x y L x y ..." of the path with the given attributes.
    let points = |svg: &str, attrs: &str| -> Vec<(f64, f64)> {
        let line = svg
            .lines()
            .find(|l| l.contains(attrs) && l.contains('L'))
            .unwrap_or_else(|| panic!("no path with {attrs}"));
        let d = line
            .split("d=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("d");
        d.split(['M', 'L'])
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                let mut xy = p.split_whitespace().map(|v| v.parse::<f64>().expect("num"));
                (xy.next().expect("x"), xy.next().expect("y"))
            })
            .collect()
    };
    let zero_x = |svg: &str| -> f64 {
        let line = svg
            .lines()
            .find(|l| l.contains("stroke=\"black\" stroke-width=\"1.5\""))
            .expect("0 line");
        line.split("d=\"M")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("x of 0")
    };
    let prior_attrs = "stroke=\"#55a868\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>";
    for (file, left_of_zero) in [
        ("pain-effect-magnesium.svg", true),
        ("sleep_quality-effect-magnesium.svg", false),
    ] {
        let text = svg(file);
        assert!(text.contains(">prior</text>"), "{file}: no legend");
        let pts = points(&text, prior_attrs);
        assert_eq!(pts.len(), 201, "{file}");
        // Baseline y = 255 (plot height 300 - 45); heights above it.
        let heights: Vec<f64> = pts.iter().map(|(_, y)| 255.0 - y).collect();
        assert!(heights.iter().all(|h| *h >= -0.05), "{file}: {heights:?}");
        let (peak_x, _) =
            pts.iter()
                .copied()
                .fold((f64::NAN, f64::INFINITY), |(bx, by), (x, y)| {
                    if y < by {
                        (x, y)
                    } else {
                        (bx, by)
                    }
                });
        assert_eq!(
            peak_x < zero_x(&text),
            left_of_zero,
            "{file}: prior peak at x = {peak_x}, 0 at {}",
            zero_x(&text)
        );
    }
}

/// The prior summary the report sets against the posterior: mean and sd
/// exact, the 90% interval at the 5% and 95% points of the exact CDF (statrs
/// normals), for a normal and for an LFM robust mixture; nothing for priors
/// it does not summarise.
#[test]
fn prior_summary_matches_the_exact_mixture_cdf() {
    use statrs::distribution::{ContinuousCDF, Normal};
    use trialc_runtime::mir::{Dist, MixtureComponent, Prior};
    let n = |mu: f64, sigma: f64| Dist::Normal { mu, sigma };
    let one = report::prior_summary(&Prior::Dist(n(0.3, 0.5))).expect("normal");
    assert!((one.mean - 0.3).abs() < 1e-15 && (one.sd - 0.5).abs() < 1e-15);
    assert!(
        (one.q5 - (0.3 - 1.644_853_626_951_472_2 * 0.5)).abs() < 1e-6,
        "{one:?}"
    );
    assert!(
        (one.q95 - (0.3 + 1.644_853_626_951_472_2 * 0.5)).abs() < 1e-6,
        "{one:?}"
    );
    let comps = [(0.8, -1.2, 0.6 / 0.5f64.sqrt()), (0.2, 0.0, 3.0)];
    let mix = Prior::Mixture(
        comps
            .iter()
            .map(|&(weight, mu, sigma)| MixtureComponent {
                weight,
                dist: n(mu, sigma),
            })
            .collect(),
    );
    let s = report::prior_summary(&mix).expect("mixture");
    let cdf = |x: f64| -> f64 {
        comps
            .iter()
            .map(|&(w, m, sd)| w * Normal::new(m, sd).expect("normal").cdf(x))
            .sum()
    };
    let mean: f64 = comps.iter().map(|(w, m, _)| w * m).sum();
    let var: f64 = comps
        .iter()
        .map(|(w, m, sd)| w * (sd * sd + m * m))
        .sum::<f64>()
        - mean * mean;
    assert!(
        (s.mean - mean).abs() < 1e-12 && (s.sd - var.sqrt()).abs() < 1e-12,
        "{s:?}"
    );
    assert!(
        (cdf(s.q5) - 0.05).abs() < 1e-6,
        "{s:?}: F(q5) = {}",
        cdf(s.q5)
    );
    assert!(
        (cdf(s.q95) - 0.95).abs() < 1e-6,
        "{s:?}: F(q95) = {}",
        cdf(s.q95)
    );
    // Components of very different widths (a grid would miss the narrow
    // one): 0.5 N(0.3, 0.01) + 0.5 N(0, 100).
    let wild = Prior::Mixture(vec![
        MixtureComponent {
            weight: 0.5,
            dist: n(0.3, 0.01),
        },
        MixtureComponent {
            weight: 0.5,
            dist: n(0.0, 100.0),
        },
    ]);
    let w = report::prior_summary(&wild).expect("mixture");
    let wcdf = |x: f64| {
        0.5 * Normal::new(0.3, 0.01).expect("n").cdf(x)
            + 0.5 * Normal::new(0.0, 100.0).expect("n").cdf(x)
    };
    assert!((wcdf(w.q5) - 0.05).abs() < 1e-9, "{w:?}");
    assert!((wcdf(w.q95) - 0.95).abs() < 1e-9, "{w:?}");
    assert!(w.q95 > 100.0, "{w:?}");
    assert_eq!(
        report::prior_summary(&Prior::Dist(Dist::StudentT {
            nu: 3.0,
            mu: 0.0,
            sigma: 1.0
        })),
        None
    );
}

/// The `report` block: each pre-specified probability is the share of
/// draws where its statement holds, each quantity's summary is taken from
/// its draws at the block's interval level, and the text shows that level.
#[test]
fn reported_quantities_follow_their_draws_and_the_interval_level() {
    let mut ex = example("naproxen-dose");
    ex.spec.report.interval = 0.95;
    ex.spec.report.estimate = hir::Estimate::Median;
    let s = settings(2, 200, 200, 5);
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    assert_eq!(r.reported.interval, 0.95);
    assert_eq!(
        r.reported.probabilities.len(),
        ex.spec.report.probabilities.len()
    );
    assert!(!r.reported.probabilities.is_empty());
    for (got, st) in r
        .reported
        .probabilities
        .iter()
        .zip(&ex.spec.report.probabilities)
    {
        let values = quantity_draws(&ex, &f, &st.quantity);
        let hits = values
            .iter()
            .filter(|&&x| st.comparison.holds(x, st.threshold))
            .count();
        assert_eq!(
            got.probability,
            Some(hits as f64 / values.len() as f64),
            "{}",
            got.statement
        );
    }
    assert_eq!(r.reported.quantities.len(), ex.spec.report.summaries.len());
    assert!(!r.reported.quantities.is_empty());
    for (got, q) in r.reported.quantities.iter().zip(&ex.spec.report.summaries) {
        let values = quantity_draws(&ex, &f, q);
        let n = values.len() as f64;
        let i = got.summary.as_ref().expect("summary");
        let mean = values.iter().sum::<f64>() / n;
        assert!(
            (i.mean - mean).abs() <= 1e-12 * (1.0 + mean.abs()),
            "{}",
            got.quantity
        );
        // The interval's ends are the 2.5% and 97.5% quantiles: at most
        // 2.5% of the draws (give or take one) lie beyond each.
        let below = values.iter().filter(|v| **v < i.lower).count() as f64 / n;
        let above = values.iter().filter(|v| **v > i.upper).count() as f64 / n;
        assert!(
            below <= 0.025 + 1.0 / n && above <= 0.025 + 1.0 / n,
            "{}",
            got.quantity
        );
        assert!(
            i.lower < i.q5 && i.q95 < i.upper,
            "{}: 95% wider than 90%",
            got.quantity
        );
    }
    let text = report::text(&r);
    assert!(
        text.contains("(posterior median and 95% interval unless stated)"),
        "{text}"
    );
    assert!(text.contains("2.5%") && text.contains("97.5%"), "{text}");
    assert!(text.contains("Reported quantities"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&report::json(&r)).expect("JSON");
    assert_eq!(json["reported"]["interval"], 0.95);
    assert_eq!(json["reported"]["estimate"], "median");
}

/// "Stay on usual care": the real hpi-milk-sleep trial (StudyU) favours the
/// reference arm, cold milk (published warm - cold: -1.385 points, 95% CI
/// -2.578 to -0.191), and its spec's rule recommending cold milk fires on the
/// posterior's P(warm - cold < 0), which the data put near 0.99.
#[test]
fn the_reference_arm_is_recommended_when_the_data_favour_it() {
    let ex = example("hpi-milk-sleep");
    let s = settings(4, 500, 500, 1);
    let f = fits(&ex, &s);
    let r = report_for(&ex, &f, &s);
    let cold = r
        .rules
        .iter()
        .position(|x| x.recommends.as_deref() == Some("cold_milk"))
        .expect("a rule recommending cold milk");
    let rule = &r.rules[cold];
    assert_eq!(rule.conditions[0].statement.versus, "cold_milk");
    let p = rule.conditions[0].statement.probability.expect("p");
    assert!(p > 0.95, "P(warm - cold < 0) = {p}");
    assert!(rule.fires);
    assert_eq!(r.conclusion.rule, Some(cold));
    assert_eq!(r.conclusion.arm.as_deref(), Some("cold_milk"));
    assert!(
        r.conclusion.text.starts_with("The data support cold_milk"),
        "{}",
        r.conclusion.text
    );
    // The published 95% interval, reproduced with the spec's 95% interval
    // (weakly informative priors: within 0.15 points at each end).
    let e = &r.outcomes[0].effects[0];
    assert_eq!(e.effect.level, 0.95);
    assert!((e.effect.lower - -2.578).abs() < 0.15, "{:?}", e.effect);
    assert!((e.effect.upper - -0.191).abs() < 0.15, "{:?}", e.effect);
}

/// The predictive check end to end on the example's `pain` model (normal
/// with AR(1) errors, intercept, effect, trend): data simulated from that
/// model at strong serial correlation (phi 0.85) are `consistent`; the
/// same data fitted with independent errors are `flagged`, on the lag-1
/// autocorrelation. Fixed seeds throughout.
#[test]
fn the_predictive_check_passes_the_model_and_flags_independent_errors() {
    let ex = example("magnesium-migraine");
    let pain = ex
        .lowered
        .iter()
        .find(|l| ex.spec.outcomes[l.outcome].name == "pain")
        .expect("pain")
        .clone();
    let d = MirDensity::new(pain.model.clone()).expect("valid");
    // intercept 5, effect -1, trend 0.1, sigma 0.6, phi 0.85 (model order).
    let names = d.coordinate_names();
    let theta: Vec<f64> = names
        .iter()
        .map(|n| match n.as_str() {
            "intercept" => 5.0,
            "trend" => 0.1,
            "sigma" => 0.6,
            "phi" => 0.85,
            _ => -1.0,
        })
        .collect();
    let y = d
        .replicate(0, &theta, &mut trialc_runtime::rng::ChainRng::new(12, 0))
        .expect("simulated diary");
    let mut right = pain.clone();
    right.model.likelihoods[0].y = y;
    let mut wrong = right.clone();
    let Family::NormalAr1 { sigma, .. } = wrong.model.likelihoods[0].family else {
        panic!("pain has AR(1) errors");
    };
    wrong.model.likelihoods[0].family = Family::Normal { sigma };
    let check = |l: &LoweredOutcome| {
        let cfg = NutsConfig {
            num_chains: 2,
            num_warmup: 300,
            num_draws: 300,
            seed: 3,
            ..NutsConfig::default()
        };
        let post = fit(l.model.clone(), &cfg).expect("fit");
        trialc::analysis::predictive::predict_outcome(l, &post, 5).check
    };
    let c = check(&right);
    assert_eq!(c.verdict, "consistent", "{}", c.summary);
    assert_eq!(c.draws, 600);
    assert_eq!(c.statistics.len(), 3);
    let c = check(&wrong);
    assert_eq!(c.verdict, "flagged", "{}", c.summary);
    assert!(c.summary.contains("lag-1 autocorrelation"), "{}", c.summary);
}
