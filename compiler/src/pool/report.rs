//! The report of a pooled series: what the population layer says (mu, tau,
//! covariate effects, the predictive distribution of a new person's
//! effect), each person's shrunken effect beside their own single-trial
//! estimate, who was excluded and why, the LFM calibration, and the next
//! person's prior as a `trialc-hypotheses/1` file. Text for people, JSON
//! (`trialc-pool/1`, docs/pool.md) for programs.

use serde::Serialize;
use std::fmt::Write as _;
use trialc_runtime::fmt::num;
use trialc_runtime::mir::Prior;
use trialc_runtime::pool::PooledDensity;
use trialc_runtime::posterior::Posterior;

use super::calibration::Calibration;
use super::mixture;
use super::{Data, PoolOptions, Series, State};
use crate::analysis::effects::{element_of, flat_draws};
use crate::driver::Checked;
use crate::evidence::sha256_hex;
use crate::fit::RunSettings;
use crate::hir::Direction;
use crate::hypotheses::{
    EffectSize, Generator, HypothesesFile, Hypothesis, MixtureComponent, TrialProvenance, FORMAT,
};
use crate::lower::Role;
use crate::source::Sources;

/// The JSON report's format name.
pub const REPORT_FORMAT: &str = "trialc-pool/1";

/// A posterior summary of one quantity of the pooled model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantity {
    /// Its name in the draws (`mu[1]`; `mu.1` in the CmdStan CSV).
    pub name: String,
    pub mean: f64,
    pub sd: f64,
    pub median: f64,
    pub q5: f64,
    pub q95: f64,
    pub rhat: f64,
    pub ess_bulk: f64,
    pub ess_tail: f64,
    pub mcse_mean: f64,
}

/// A probability with its Monte Carlo standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Probability {
    pub p: f64,
    pub mcse: f64,
}

/// The predictive distribution of the effect in a new person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Predictive {
    pub mean: f64,
    pub sd: f64,
    pub median: f64,
    pub q5: f64,
    pub q95: f64,
    /// P(the new person's effect is in the better direction).
    pub p_benefit: Probability,
    /// P(beyond the MCID in the better direction), when the outcome has one.
    pub p_mcid: Option<Probability>,
}

/// The next person's prior: a normal mixture fitted to the predictive
/// draws (BIC), robustified.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextPrior {
    /// The hypothesis' id in the exported file.
    pub id: String,
    /// The fitted mixture, before the robust component.
    pub fitted: Vec<MixtureComponent>,
    pub bic: f64,
    pub robust_weight: f64,
    pub robust_mean: f64,
    pub robust_sd: f64,
    /// The whole prior, the robust component last.
    pub components: Vec<MixtureComponent>,
    /// As a spec would write it.
    pub text: String,
}

/// One pooled effect (a non-reference arm).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PooledEffect {
    pub arm: String,
    /// The population mean effect.
    pub mu: Quantity,
    /// The SD of the effect between people.
    pub tau: Quantity,
    /// P(mu in the better direction).
    pub p_mu_benefit: Probability,
    /// Each covariate's coefficient (per SD of the covariate).
    pub gamma: Vec<(String, Quantity)>,
    pub predictive: Predictive,
    pub next_prior: NextPrior,
}

/// A person's own single-trial estimate of an effect.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Single {
    /// `diary` (their own fit, as `trialc run` fits it) or `evidence`.
    pub source: &'static str,
    pub mean: f64,
    pub sd: f64,
    pub q5: f64,
    pub q95: f64,
    pub p_benefit: f64,
    /// The prior it was computed under.
    pub prior: String,
}

/// One person's effect of one arm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonEffect {
    pub participant: String,
    /// 1-based index in the draws (`delta[i,k]`).
    pub index: usize,
    pub arm: String,
    /// The shrunken (partially pooled) effect.
    pub pooled: Quantity,
    pub p_benefit: Probability,
    pub single: Option<Single>,
}

/// A participant in the analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParticipantRow {
    pub index: usize,
    pub id: String,
    pub source: &'static str,
    pub file: String,
    pub covariates: Vec<f64>,
    /// Analysed days (diaries).
    pub analysed_days: Option<usize>,
}

/// A participant left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExcludedRow {
    pub id: String,
    pub file: String,
    pub code: String,
    pub reason: String,
}

/// A covariate and how it was standardised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CovariateInfo {
    pub name: String,
    pub mean: f64,
    pub sd: f64,
}

/// The model as fitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    pub effects: Vec<String>,
    pub reference: String,
    pub mu_priors: Vec<String>,
    pub tau_prior: String,
    pub gamma_prior: Option<String>,
    pub covariates: Vec<CovariateInfo>,
    /// Nuisance parameters with one value for everyone, and their prior.
    pub shared: Vec<(String, String)>,
    /// Nuisance parameters each person has of their own.
    pub own: Vec<String>,
}

/// The outcome pooled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeInfo {
    pub name: String,
    pub scale: &'static str,
    pub better: &'static str,
    pub mcid: Option<f64>,
    pub unit: Option<String>,
}

/// The sampler's health.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sampler {
    pub divergences: usize,
    pub treedepth_hits: usize,
    pub grad_evals: u64,
    pub max_rhat: f64,
    pub min_ess_bulk: f64,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolReport {
    pub format: &'static str,
    pub trialc_version: &'static str,
    pub trial: String,
    pub spec: String,
    pub outcome: OutcomeInfo,
    /// `diaries`, `evidence`, or `diaries and evidence`.
    pub mode: String,
    pub settings: RunSettings,
    pub model: ModelInfo,
    pub participants: Vec<ParticipantRow>,
    pub excluded: Vec<ExcludedRow>,
    pub effects: Vec<PooledEffect>,
    pub people: Vec<PersonEffect>,
    /// Shared nuisance parameters.
    pub shared: Vec<Quantity>,
    pub calibration: Option<Calibration>,
    pub sampler: Sampler,
    /// Convergence warnings (R-hat, ESS, divergences, tree depth, E-BFMI)
    /// of the pooled fit and of the single-trial fits.
    pub warnings: Vec<String>,
}

fn quantity(post: &Posterior, name: &str) -> Option<Quantity> {
    let k = post.index(name)?;
    let s = post.summaries.get(k)?;
    let q = post.quantiles(k, &[0.05, 0.5, 0.95]);
    Some(Quantity {
        name: name.to_string(),
        mean: s.mean,
        sd: s.sd,
        median: q[1],
        q5: q[0],
        q95: q[2],
        rhat: s.rhat,
        ess_bulk: s.ess_bulk,
        ess_tail: s.ess_tail,
        mcse_mean: s.mcse_mean,
    })
}

fn probability(post: &Posterior, name: &str, event: impl Fn(f64) -> bool) -> Probability {
    let Some(k) = post.index(name) else {
        return Probability {
            p: f64::NAN,
            mcse: f64::NAN,
        };
    };
    let (p, mcse) = post.probability(|x| event(x[k]));
    Probability { p, mcse }
}

/// Everything [`build`] needs beside the series.
pub struct Parts<'a> {
    pub checked: &'a Checked,
    /// The participants (indices into the series) in the pooled model's order.
    pub order: &'a [usize],
    pub density: &'a PooledDensity,
    pub posterior: &'a Posterior,
    /// Each diary's own fit, by slot in `order`.
    pub singles: &'a [(usize, Result<Posterior, String>)],
    pub calibration: Option<Calibration>,
    pub options: &'a PoolOptions,
    /// Covariate means and SDs.
    pub centre: &'a [f64],
    pub scale: &'a [f64],
    /// The vague component's SD for the next prior.
    pub robust_sd: f64,
}

/// The report and the next person's prior.
pub fn build<S: Sources>(
    series: &Series<S>,
    parts: Parts<'_>,
) -> Result<(PoolReport, HypothesesFile), String> {
    let spec = &parts.checked.spec;
    let outcome = &spec.outcomes[series.outcome];
    let post = parts.posterior;
    let better = |v: f64| match outcome.better {
        Direction::Lower => v < 0.0,
        Direction::Higher => v > 0.0,
    };
    let beyond = outcome.mcid.map(|m| {
        move |v: f64| match outcome.better {
            Direction::Lower => v < -m,
            Direction::Higher => v > m,
        }
    });
    let arms: Vec<String> = series
        .arms
        .iter()
        .map(|&a| spec.arms[a].name.clone())
        .collect();
    let q = |name: &str| quantity(post, name).ok_or_else(|| format!("no draws of `{name}`"));

    // Participants.
    let mut participants = Vec::new();
    let mut excluded = Vec::new();
    let (mut diaries, mut evidence) = (0, 0);
    for p in &series.participants {
        match &p.state {
            State::Excluded(e) => excluded.push(ExcludedRow {
                id: p.id.clone(),
                file: p.file.clone(),
                code: e.code.clone(),
                reason: e.reason.clone(),
            }),
            State::Included(_) => {}
        }
    }
    for (slot, &i) in parts.order.iter().enumerate() {
        let p = &series.participants[i];
        let Some(m) = p.member() else { continue };
        let (source, days) = match &m.data {
            Data::Diary { prepared, outcome } => {
                diaries += 1;
                ("diary", Some(prepared.lowered[*outcome].analysis.n()))
            }
            Data::Evidence { .. } => {
                evidence += 1;
                ("evidence", None)
            }
        };
        participants.push(ParticipantRow {
            index: slot + 1,
            id: p.id.clone(),
            source,
            file: p.file.clone(),
            covariates: p.covariates.clone(),
            analysed_days: days,
        });
    }
    let mode = match (diaries, evidence) {
        (_, 0) => "diaries",
        (0, _) => "evidence",
        _ => "diaries and evidence",
    }
    .to_string();

    // Population.
    let mut effects = Vec::new();
    let mut hypotheses = Vec::new();
    let unit = outcome.kind.effect_scale();
    for (k, arm) in arms.iter().enumerate() {
        let j = k + 1;
        let new = format!("delta_new[{j}]");
        let draws = flat_draws(post, post.index(&new).ok_or("no predictive draws")?);
        let (fitted, bic) = mixture::automix(&draws);
        let components = mixture::robustify(&fitted, parts.options.robust, 0.0, parts.robust_sd);
        let id = format!("POOL{j}");
        let text = Prior::Mixture(
            components
                .iter()
                .map(|c| trialc_runtime::mir::MixtureComponent {
                    weight: c.weight,
                    dist: trialc_runtime::mir::Dist::Normal {
                        mu: c.mean,
                        sigma: c.sd,
                    },
                })
                .collect(),
        )
        .to_string();
        let pq = q(&new)?;
        let predictive = Predictive {
            mean: pq.mean,
            sd: pq.sd,
            median: pq.median,
            q5: pq.q5,
            q95: pq.q95,
            p_benefit: probability(post, &new, better),
            p_mcid: beyond.map(|f| probability(post, &new, f)),
        };
        let (mean, sd) = mixture::moments(&components);
        let p_benefit = predictive.p_benefit.p;
        hypotheses.push((
            p_benefit,
            Hypothesis {
                id: id.clone(),
                rank: 0,
                intervention: arm.clone(),
                outcome: outcome.name.clone(),
                effect: EffectSize {
                    mean,
                    sd,
                    scale: Some(unit.to_string()),
                    mixture: Some(components.clone()),
                },
                rationale: Some(format!(
                    "Meta-analytic-predictive prior of the effect of {arm} against {} on {} in a new person, from a partially pooled series of {} N-of-1 trials ({mode}) of `{}`: a {}-component normal mixture fitted by EM (BIC) to {} predictive draws, robustified with weight {} on normal(0, {}). Population mean effect {} (90% interval {} to {}), between-person SD {}; P(benefit) for a new person {:.3}. The robust component is included: take it with `discount 1 robust 0`.",
                    spec.arms[spec.reference].name,
                    outcome.name,
                    parts.order.len(),
                    spec.trial.id,
                    fitted.len(),
                    draws.len(),
                    num(parts.options.robust),
                    num(parts.robust_sd),
                    num(q(&format!("mu[{j}]"))?.mean),
                    num(q(&format!("mu[{j}]"))?.q5),
                    num(q(&format!("mu[{j}]"))?.q95),
                    num(q(&format!("tau[{j}]"))?.mean),
                    p_benefit
                )),
            },
        ));
        let gamma = series
            .covariates
            .iter()
            .enumerate()
            .map(|(c, name)| Ok((name.clone(), q(&format!("gamma[{j},{}]", c + 1))?)))
            .collect::<Result<Vec<_>, String>>()?;
        effects.push(PooledEffect {
            arm: arm.clone(),
            mu: q(&format!("mu[{j}]"))?,
            tau: q(&format!("tau[{j}]"))?,
            p_mu_benefit: probability(post, &format!("mu[{j}]"), better),
            gamma,
            predictive,
            next_prior: NextPrior {
                id,
                fitted,
                bic,
                robust_weight: parts.options.robust,
                robust_mean: 0.0,
                robust_sd: parts.robust_sd,
                components,
                text,
            },
        });
    }

    // People.
    let mut people = Vec::new();
    let mut warnings: Vec<String> = post
        .warnings
        .iter()
        .map(|w| format!("pooled model: {w}"))
        .collect();
    for (slot, &i) in parts.order.iter().enumerate() {
        let p = &series.participants[i];
        let Some(m) = p.member() else { continue };
        let single_fit = parts
            .singles
            .iter()
            .find(|(s, _)| *s == slot)
            .map(|(_, r)| r);
        if let Some(Ok(fit)) = single_fit {
            warnings.extend(
                fit.warnings
                    .iter()
                    .map(|w| format!("{}'s own fit: {w}", p.id)),
            );
        }
        if let Some(Err(e)) = single_fit {
            warnings.push(format!("{}'s own fit failed: {e}", p.id));
        }
        for (k, arm) in arms.iter().enumerate() {
            let name = format!("delta[{},{}]", slot + 1, k + 1);
            let single = match (&m.data, single_fit) {
                (Data::Diary { prepared, outcome }, Some(Ok(fit))) => {
                    let lowered = &prepared.lowered[*outcome];
                    lowered
                        .params
                        .iter()
                        .find(|x| {
                            x.role
                                == Role::Effect {
                                    arm: series.arms[k],
                                }
                        })
                        .and_then(|info| {
                            let e = element_of(lowered, info)?;
                            let draws = flat_draws(fit, e);
                            let s = fit.summaries.get(e)?;
                            let qs = fit.quantiles(e, &[0.05, 0.95]);
                            Some(Single {
                                source: "diary",
                                mean: s.mean,
                                sd: s.sd,
                                q5: qs[0],
                                q95: qs[1],
                                p_benefit: draws.iter().filter(|v| better(**v)).count() as f64
                                    / draws.len().max(1) as f64,
                                prior: info.prior_text.clone(),
                            })
                        })
                }
                (
                    Data::Evidence {
                        posterior,
                        summary,
                        prior,
                        ..
                    },
                    _,
                ) => {
                    let mix: Vec<MixtureComponent> = posterior[k]
                        .normal_components()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(weight, mean, sd)| MixtureComponent { weight, mean, sd })
                        .collect();
                    let below0 = mixture::cdf(&mix, 0.0);
                    Some(Single {
                        source: "evidence",
                        mean: summary[k].0,
                        sd: summary[k].1,
                        q5: mixture::quantile(&mix, 0.05),
                        q95: mixture::quantile(&mix, 0.95),
                        p_benefit: match outcome.better {
                            Direction::Lower => below0,
                            Direction::Higher => 1.0 - below0,
                        },
                        prior: prior[k].to_string(),
                    })
                }
                _ => None,
            };
            people.push(PersonEffect {
                participant: p.id.clone(),
                index: slot + 1,
                arm: arm.clone(),
                pooled: q(&name)?,
                p_benefit: probability(post, &name, better),
                single,
            });
        }
    }

    // The model.
    let pm = parts.density.model();
    let shared: Vec<Quantity> = pm
        .shared
        .iter()
        .enumerate()
        .flat_map(|(s, sp)| {
            let o = parts.density.shared_output_offset(s);
            (o..o + sp.size).filter_map(|e| post.names.get(e).and_then(|n| quantity(post, n)))
        })
        .collect();
    let own: Vec<String> = parts
        .order
        .iter()
        .find_map(|&i| match &series.participants[i].member()?.data {
            Data::Diary { prepared, outcome } => Some(
                prepared.lowered[*outcome]
                    .params
                    .iter()
                    .filter(|x| {
                        !matches!(x.role, Role::Effect { .. })
                            && !parts.options.shared.contains(&x.name)
                    })
                    .map(|x| x.name.clone())
                    .collect(),
            ),
            Data::Evidence { .. } => None,
        })
        .unwrap_or_default();
    let model = ModelInfo {
        effects: arms.clone(),
        reference: spec.arms[spec.reference].name.clone(),
        mu_priors: pm.mu_priors.iter().map(|p| p.to_string()).collect(),
        tau_prior: pm
            .tau_priors
            .first()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        gamma_prior: (!series.covariates.is_empty()).then(|| pm.gamma_prior.to_string()),
        covariates: series
            .covariates
            .iter()
            .enumerate()
            .map(|(c, name)| CovariateInfo {
                name: name.clone(),
                mean: parts.centre[c],
                sd: parts.scale[c],
            })
            .collect(),
        shared: pm
            .shared
            .iter()
            .map(|s| (s.name.clone(), s.prior.to_string()))
            .collect(),
        own,
    };
    let health = &post.health;
    let sampler = Sampler {
        divergences: health.iter().map(|h| h.divergences).sum(),
        treedepth_hits: health.iter().map(|h| h.max_treedepth_hits).sum(),
        grad_evals: post.grad_evals,
        max_rhat: post
            .summaries
            .iter()
            .map(|s| s.rhat)
            .fold(f64::NAN, f64::max),
        min_ess_bulk: post
            .summaries
            .iter()
            .map(|s| s.ess_bulk)
            .fold(f64::NAN, f64::min),
    };

    // The next person's prior, as a hypotheses file.
    hypotheses.sort_by(|a, b| b.0.total_cmp(&a.0));
    let hypotheses: Vec<Hypothesis> = hypotheses
        .into_iter()
        .enumerate()
        .map(|(r, (_, mut h))| {
            h.rank = r as u32 + 1;
            h
        })
        .collect();
    let (first, last) = dates(series, parts.order);
    let spec_text = series.spec_session.files().text(parts.checked.file);
    let next_prior = HypothesesFile {
        format: FORMAT.to_string(),
        generator: Generator {
            model: "trialc pool".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            prompt_sha256: series.inputs_sha256(),
            created: last.clone(),
        },
        participant: None,
        trial: Some(TrialProvenance {
            id: spec.trial.id.clone(),
            spec_sha256: sha256_hex(spec_text),
            first_date: first,
            last_date: last,
            spec_version: spec.trial.version.clone(),
        }),
        hypotheses,
    };
    let report = PoolReport {
        format: REPORT_FORMAT,
        trialc_version: env!("CARGO_PKG_VERSION"),
        trial: spec.trial.id.clone(),
        spec: series
            .spec_session
            .files()
            .name(parts.checked.file)
            .to_string(),
        outcome: OutcomeInfo {
            name: outcome.name.clone(),
            scale: unit,
            better: match outcome.better {
                Direction::Lower => "lower",
                Direction::Higher => "higher",
            },
            mcid: outcome.mcid,
            unit: outcome.unit.clone(),
        },
        mode,
        settings: parts.options.fit.settings,
        model,
        participants,
        excluded,
        effects,
        people,
        shared,
        calibration: parts.calibration,
        sampler,
        warnings,
    };
    Ok((report, next_prior))
}

/// The first and last dates of the series' diaries (or the evidence's
/// creation dates), `unknown` without any.
fn dates<S: Sources>(series: &Series<S>, order: &[usize]) -> (String, String) {
    let mut all = Vec::new();
    for &i in order {
        let Some(m) = series.participants[i].member() else {
            continue;
        };
        match &m.data {
            Data::Diary { prepared, .. } => {
                let sched = &prepared.checked.schedule;
                for row in [prepared.diary.rows.first(), prepared.diary.rows.last()]
                    .into_iter()
                    .flatten()
                {
                    if let Some(d) = sched.date_of_day(row.day) {
                        all.push(d.format("%Y-%m-%d").to_string());
                    }
                }
            }
            Data::Evidence { created, .. } => {
                if created.len() == 10 && created.as_bytes()[4] == b'-' {
                    all.push(created.clone());
                }
            }
        }
    }
    all.sort();
    (
        all.first().cloned().unwrap_or_else(|| "unknown".into()),
        all.last().cloned().unwrap_or_else(|| "unknown".into()),
    )
}

/// Pretty JSON with a final newline.
pub fn json(report: &PoolReport) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

fn interval(q: &Quantity) -> String {
    format!("{} [{}, {}]", num3(q.mean), num3(q.q5), num3(q.q95))
}

fn num3(v: f64) -> String {
    if v.is_finite() && v.abs() < 1e5 && (v == 0.0 || v.abs() >= 1e-3) {
        format!("{v:.2}")
    } else {
        num(v)
    }
}

/// The report for people.
pub fn text(r: &PoolReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Series `{}`: {} participant{} pooled from {} ({} excluded), outcome `{}` ({}; {} is better)",
        r.trial,
        r.participants.len(),
        if r.participants.len() == 1 { "" } else { "s" },
        r.mode,
        r.excluded.len(),
        r.outcome.name,
        r.outcome.scale,
        r.outcome.better
    );
    let _ = writeln!(
        s,
        "Model: each person's effect ~ normal(mu{}, tau), non-centred; mu ~ {}; tau ~ {}{}",
        if r.model.covariates.is_empty() {
            ""
        } else {
            " + x . gamma, x the person-level covariates"
        },
        r.model.mu_priors.join(" / "),
        r.model.tau_prior,
        r.model
            .gamma_prior
            .as_ref()
            .map(|g| format!("; gamma ~ {g} per SD of each covariate"))
            .unwrap_or_default()
    );
    if !r.model.shared.is_empty() || !r.model.own.is_empty() {
        let _ = writeln!(
            s,
            "       shared by everyone: {}; each person's own: {}",
            if r.model.shared.is_empty() {
                "none".to_string()
            } else {
                r.model
                    .shared
                    .iter()
                    .map(|(n, p)| format!("{n} ~ {p}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            if r.model.own.is_empty() {
                "none".to_string()
            } else {
                r.model.own.join(", ")
            }
        );
    }
    let _ = writeln!(
        s,
        "Sampler: {} chains x {} draws (warmup {}), seed {}, adapt delta {}; {} divergent transitions",
        r.settings.chains,
        r.settings.draws,
        r.settings.warmup,
        r.settings.seed,
        num(r.settings.adapt_delta),
        r.sampler.divergences
    );
    for e in &r.effects {
        let _ = writeln!(s, "\n== {} vs {} ==", e.arm, r.model.reference);
        let _ = writeln!(
            s,
            "  population mean effect mu   {}   P(benefit) = {:.3}",
            interval(&e.mu),
            e.p_mu_benefit.p
        );
        let _ = writeln!(s, "  between-person SD tau       {}", interval(&e.tau));
        for (name, g) in &e.gamma {
            let _ = writeln!(s, "  per SD of {name:<17} {}", interval(g));
        }
        let p = &e.predictive;
        let _ = writeln!(
            s,
            "  a new person's effect       {} [{}, {}]   P(benefit) = {:.3}{}",
            num3(p.mean),
            num3(p.q5),
            num3(p.q95),
            p.p_benefit.p,
            p.p_mcid
                .map(|m| format!(", P(beyond MCID) = {:.3}", m.p))
                .unwrap_or_default()
        );
        let _ = writeln!(
            s,
            "  next person's prior (`{}`): {}",
            e.next_prior.id, e.next_prior.text
        );
        let _ = writeln!(
            s,
            "\n  {:<14} {:>24} {:>24} {:>11}",
            "participant", "own trial [90%]", "pooled [90%]", "P(benefit)"
        );
        for pe in r.people.iter().filter(|p| p.arm == e.arm) {
            let own = pe.single.as_ref().map_or_else(
                || "-".to_string(),
                |o| format!("{} [{}, {}]", num3(o.mean), num3(o.q5), num3(o.q95)),
            );
            let _ = writeln!(
                s,
                "  {:<14} {:>24} {:>24} {:>11.3}",
                crate::render::inline(&pe.participant),
                own,
                interval(&pe.pooled),
                pe.p_benefit.p
            );
        }
    }
    for q in &r.shared {
        let _ = writeln!(s, "\nshared {:<20} {}", q.name, interval(q));
    }
    if let Some(c) = &r.calibration {
        let _ = writeln!(
            s,
            "\n== LFM calibration ({} hypotheses) ==",
            c.entries.len()
        );
        let _ = writeln!(
            s,
            "  coverage of the model's intervals: {}",
            c.coverage
                .iter()
                .map(|x| format!("{:.0}%: {:.0}%", 100.0 * x.level, 100.0 * x.observed))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(s, "  PIT histogram (10 bins): {:?}", c.pit_histogram);
        if let Some(rho) = c.rank_correlation {
            let _ = writeln!(
                s,
                "  rank correlation of predicted and observed benefit: {rho:.2}"
            );
        }
        if let Some(f) = c.pairs_ordered_alike {
            let _ = writeln!(
                s,
                "  pairs within a person ordered alike: {:.0}%",
                100.0 * f
            );
        }
        let _ = writeln!(
            s,
            "  discount w {:.2} [{:.2}, {:.2}], robust weight r {:.2} [{:.2}, {:.2}]",
            c.discount.median,
            c.discount.q5,
            c.discount.q95,
            c.robust.median,
            c.robust.q5,
            c.robust.q95
        );
        let _ = writeln!(
            s,
            "  for the next person's spec: `discount {:.2} robust {:.2}`; {}",
            c.recommended_discount, c.recommended_robust, c.verdict
        );
    }
    if !r.excluded.is_empty() {
        let _ = writeln!(s, "\nExcluded:");
        for x in &r.excluded {
            let _ = writeln!(
                s,
                "  {} ({}): [{}] {}",
                crate::render::inline(&x.id),
                crate::render::inline(&x.file),
                x.code,
                crate::render::inline(&x.reason)
            );
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(
            s,
            "\nWarnings (do not act on the results until they are resolved):"
        );
        for w in &r.warnings {
            let _ = writeln!(s, "  {}", crate::render::inline(w));
        }
    }
    s
}
