//! Likelihood blocks compiled for evaluation: the linear predictor, each
//! outcome family's fused kernel (value, d logp / d eta and the nuisance
//! derivatives in one pass), the lagged outcome and decaying carryover
//! terms, the latent AR(1) recursion and the exact AR(1) terms across gaps.

use super::{err, Covariate, Family, Likelihood, MirError, Model, ParamId};
use crate::density::{log1m_exp_with, Logistic, Transform, LN_2PI};
use statrs::function::gamma::{digamma, ln_gamma};

/// A likelihood block compiled for fast evaluation.
#[derive(Debug, Clone)]
pub(super) struct LikKernel {
    family: KFamily,
    y: Vec<f64>,
    /// Gap to the previous analysed day (AR(1) only; 0 for the first).
    gaps: Vec<u32>,
    /// Column-major n x (number of covariates) values.
    x: Vec<f64>,
    /// theta index of each column's coefficient.
    col_theta: Vec<usize>,
    intercept: Option<usize>,
    /// Data-only additive constant (e.g. -sum log y!).
    constant: f64,
    /// theta offsets of (z, sigma, phi) of the latent AR(1), if any.
    latent: Option<(usize, usize, usize)>,
    /// Binomial trials per observation (binomial family only).
    trials: Vec<f64>,
    /// The lagged outcome, if any.
    lag: Option<LagKernel>,
    /// The decaying carryover, if any.
    decay: Option<DecayKernel>,
}

/// `rho^g_i * v_i` compiled: theta offset of rho, the values and gaps.
#[derive(Debug, Clone)]
struct LagKernel {
    rho: usize,
    values: Vec<f64>,
    gaps: Vec<u32>,
}

/// `exp(-rate s) (delta_from - delta_to)` on the observations after a
/// switch: theta offset of the rate, and per transition (observation,
/// elapsed days, theta offsets of the two effects).
#[derive(Debug, Clone)]
struct DecayKernel {
    rate: usize,
    transitions: Vec<(usize, f64, Option<usize>, Option<usize>)>,
}

#[derive(Debug, Clone, Copy)]
enum KFamily {
    Normal { sigma: usize },
    NormalAr1 { sigma: usize, phi: usize },
    Bernoulli,
    Binomial,
    Poisson,
    NegBin { psi: usize },
    Ordinal { cut: usize, k: usize },
}

/// Largest gap between analysed days accepted by the AR(1) terms.
const MAX_GAP: i64 = 100_000;

/// Largest number of binomial trials on one observation.
const MAX_TRIALS: u64 = 1 << 40;

/// One binomial-logit observation of `k` successes in `n` trials at `eta`,
/// without the data constant log C(n, k): the log probability
/// k eta - n log(1 + exp(eta)) and its derivative k - n inv_logit(eta).
/// log(1 + exp(eta)) = max(eta, 0) + log(1 + exp(-|eta|)), as the
/// Bernoulli kernel computes it.
fn binomial_logit_term(k: f64, n: f64, eta: f64) -> (f64, f64) {
    let t = (-eta.abs()).exp();
    let u = 1.0 + t;
    let inv = 1.0 / u;
    let p = if eta >= 0.0 { inv } else { t * inv };
    (k * eta - n * (eta.max(0.0) + u.ln()), k - n * p)
}

/// log C(n, k) for whole numbers 0 <= k <= n.
fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// Log probability of level `y` of an ordinal observation with predictor
/// `eta`, with (for the end levels) F = inv_logit(eta - cut) or (for the
/// middle levels) the derivatives in the two logistic arguments. Each
/// logistic argument costs one exp and one log1p (`Logistic`), the
/// difference one exp and one expm1, shared by log1m_exp and the
/// derivatives: the values are bit for bit those of the separate functions.
fn ordinal_terms(theta: &[f64], cut: usize, k: usize, eta: f64, y: usize) -> (f64, f64, f64) {
    if y == 1 {
        let a = Logistic::new(eta - theta[cut]);
        (-a.log1p_exp_with(a.l()), a.inv_logit(), 0.0)
    } else if y == k {
        let a = Logistic::new(eta - theta[cut + k - 2]);
        (-a.log1p_exp_neg_with(a.l()), a.inv_logit(), 0.0)
    } else {
        // log(F(a) - F(b)), a = eta - c_{y-1} > b = eta - c_y.
        let a = eta - theta[cut + y - 2];
        let b = eta - theta[cut + y - 1];
        let dlt = b - a;
        let em1 = dlt.exp_m1();
        let edlt = dlt.exp();
        let (la, lb) = (Logistic::new(a), Logistic::new(b));
        let v = a + log1m_exp_with(dlt, em1, edlt)
            - la.log1p_exp_with(la.l())
            - lb.log1p_exp_with(lb.l());
        let da = -1.0 / em1 - la.inv_logit();
        let db = edlt / em1 - lb.inv_logit();
        (v, da, db)
    }
}

/// What the AR(1) likelihood needs of a gap of `g` days: phi^g, the
/// variance ratio and its derivative, half its log, the conditional SD and
/// d phi^g / d phi.
#[derive(Debug, Clone, Copy, Default)]
struct GapTerms {
    pg: f64,
    ratio: f64,
    dratio: f64,
    half_lr: f64,
    s: f64,
    dmean: f64,
}

impl GapTerms {
    fn new(phi: f64, omp2: f64, sigma: f64, gap: u32) -> Self {
        let gi = gap as i32;
        let (ratio, dratio) = gap_ratio(phi, omp2, gap);
        GapTerms {
            pg: phi.powi(gi),
            ratio,
            dratio,
            half_lr: 0.5 * ratio.ln(),
            s: sigma * ratio.sqrt(),
            dmean: gi as f64 * phi.powi(gi - 1), // d phi^g / d phi
        }
    }
}

/// (1 - phi^(2g)) / (1 - phi^2) = sum_{j<g} phi^(2j) and its derivative in
/// phi: by the sum for short gaps (no cancellation near |phi| = 1), by the
/// closed form for long ones.
fn gap_ratio(phi: f64, omp2: f64, gap: u32) -> (f64, f64) {
    if gap <= 16 {
        let p2 = phi * phi;
        let mut r = 0.0;
        let mut dr = 0.0;
        let mut pw = 1.0; // phi^(2j)
        for j in 0..gap {
            r += pw;
            if j > 0 {
                dr += 2.0 * j as f64 * phi.powi(2 * j as i32 - 1);
            }
            pw *= p2;
        }
        (r, dr)
    } else {
        let gi = gap as i32;
        let p2g = phi.powi(2 * gi);
        let r = (1.0 - p2g) / omp2;
        let dr = (-2.0 * gi as f64 * phi.powi(2 * gi - 1) * omp2 + 2.0 * phi * (1.0 - p2g))
            / (omp2 * omp2);
        (r, dr)
    }
}

pub(super) fn compile_likelihood(
    model: &Model,
    offsets: &[usize],
    l: &Likelihood,
) -> Result<LikKernel, MirError> {
    let name = &l.outcome;
    let n = l.y.len();
    let lerr = |m: String| err(format!("outcome `{name}`: {m}"));
    let scalar = |id: ParamId, role: &str| -> Result<usize, MirError> {
        let p = model
            .params
            .get(id)
            .ok_or_else(|| lerr(format!("{role} refers to unknown parameter #{id}")))?;
        if p.size != 1 {
            return Err(lerr(format!("{role} `{}` must be a scalar", p.name)));
        }
        Ok(offsets[id])
    };
    let need_support = |id: ParamId, lo: f64, hi: f64, role: &str| -> Result<(), MirError> {
        let p = &model.params[id];
        let (a, b) = p.transform.support();
        if a < lo || b > hi {
            Err(lerr(format!(
                "{role} `{}` must be constrained to ({lo}, {hi})",
                p.name
            )))
        } else {
            Ok(())
        }
    };
    if n == 0 {
        return Err(lerr("no observations".into()));
    }
    if let Some(i) = l.y.iter().position(|v| !v.is_finite()) {
        return Err(lerr(format!("observation {} is not finite", i + 1)));
    }
    let integer = |lo: f64, hi: f64, what: &str| -> Result<(), MirError> {
        match l
            .y
            .iter()
            .position(|v| v.fract() != 0.0 || *v < lo || *v > hi)
        {
            Some(i) => Err(lerr(format!(
                "observation {} = {} is not {what}",
                i + 1,
                l.y[i]
            ))),
            None => Ok(()),
        }
    };
    let mut constant = 0.0;
    let mut trials = Vec::new();
    let family = match l.family {
        Family::Normal { sigma } => {
            let s = scalar(sigma, "sigma")?;
            need_support(sigma, 0.0, f64::INFINITY, "sigma")?;
            constant = -0.5 * LN_2PI * n as f64;
            KFamily::Normal { sigma: s }
        }
        Family::NormalAr1 { sigma, phi } => {
            let s = scalar(sigma, "sigma")?;
            need_support(sigma, 0.0, f64::INFINITY, "sigma")?;
            let p = scalar(phi, "phi")?;
            need_support(phi, -1.0, 1.0, "phi")?;
            constant = -0.5 * LN_2PI * n as f64;
            KFamily::NormalAr1 { sigma: s, phi: p }
        }
        Family::BernoulliLogit => {
            integer(0.0, 1.0, "0 or 1")?;
            KFamily::Bernoulli
        }
        Family::BinomialLogit {
            trials: ref n_trials,
        } => {
            if n_trials.len() != n {
                return Err(lerr(format!(
                    "{} numbers of trials for {n} observations",
                    n_trials.len()
                )));
            }
            if let Some(i) = n_trials.iter().position(|&t| t == 0 || t > MAX_TRIALS) {
                return Err(lerr(format!(
                    "observation {} has {} trials (1 to {MAX_TRIALS})",
                    i + 1,
                    n_trials[i]
                )));
            }
            integer(0.0, f64::INFINITY, "a non-negative integer")?;
            if let Some(i) = l.y.iter().zip(n_trials).position(|(y, &t)| *y > t as f64) {
                return Err(lerr(format!(
                    "observation {} = {} is more than its {} trials",
                    i + 1,
                    l.y[i],
                    n_trials[i]
                )));
            }
            trials = n_trials.iter().map(|&t| t as f64).collect();
            constant =
                l.y.iter()
                    .zip(&trials)
                    .map(|(&k, &t)| ln_choose(t, k))
                    .sum::<f64>();
            KFamily::Binomial
        }
        Family::PoissonLog => {
            integer(0.0, f64::INFINITY, "a non-negative integer")?;
            constant = -l.y.iter().map(|v| ln_gamma(v + 1.0)).sum::<f64>();
            KFamily::Poisson
        }
        Family::NegBinomial2Log { psi } => {
            integer(0.0, f64::INFINITY, "a non-negative integer")?;
            let p = scalar(psi, "psi")?;
            need_support(psi, 0.0, f64::INFINITY, "psi")?;
            constant = -l.y.iter().map(|v| ln_gamma(v + 1.0)).sum::<f64>();
            KFamily::NegBin { psi: p }
        }
        Family::OrderedLogistic { cutpoints } => {
            let p = model.params.get(cutpoints).ok_or_else(|| {
                lerr(format!("cutpoints refer to unknown parameter #{cutpoints}"))
            })?;
            if !p.transform.is_ordered() {
                return Err(lerr(format!(
                    "cutpoints `{}` must be an ordered vector",
                    p.name
                )));
            }
            if l.predictor.intercept.is_some() {
                return Err(lerr(
                    "an ordinal outcome has no intercept (the cutpoints play that role)".into(),
                ));
            }
            let k = p.size + 1;
            integer(1.0, k as f64, &format!("a level in 1..={k}"))?;
            KFamily::Ordinal {
                cut: offsets[cutpoints],
                k,
            }
        }
    };
    let mut gaps = Vec::new();
    let has_latent = l.predictor.latent_ar1.is_some();
    if matches!(family, KFamily::NormalAr1 { .. }) || has_latent {
        if l.days.len() != n {
            return Err(lerr(format!("{} days for {n} observations", l.days.len())));
        }
        gaps.push(0);
        for w in l.days.windows(2) {
            let g = w[1] - w[0];
            // Gaps are bounded so that phi^g stays an i32 power.
            if !(1..=MAX_GAP).contains(&g) {
                return Err(lerr(format!(
                    "days must be strictly increasing with gaps of at most {MAX_GAP} (day {} after {})",
                    w[1], w[0]
                )));
            }
            gaps.push(g as u32);
        }
    } else if !l.days.is_empty() && l.days.len() != n {
        return Err(lerr(format!("{} days for {n} observations", l.days.len())));
    }
    let lp = &l.predictor;
    let latent = match &lp.latent_ar1 {
        None => None,
        Some(la) => {
            if matches!(family, KFamily::NormalAr1 { .. }) {
                return Err(lerr(
                    "a latent AR(1) cannot be combined with AR(1) errors".into(),
                ));
            }
            let zp = model
                .params
                .get(la.z)
                .ok_or_else(|| lerr(format!("latent z refers to unknown parameter #{}", la.z)))?;
            if zp.size != n || zp.transform != Transform::Identity {
                return Err(lerr(format!(
                    "latent innovations `{}` must be an unconstrained vector of {n} elements",
                    zp.name
                )));
            }
            let s = scalar(la.sigma, "latent sigma")?;
            need_support(la.sigma, 0.0, f64::INFINITY, "latent sigma")?;
            let p = scalar(la.phi, "latent phi")?;
            need_support(la.phi, -1.0, 1.0, "latent phi")?;
            Some((offsets[la.z], s, p))
        }
    };
    let intercept = match lp.intercept {
        Some(id) => Some(scalar(id, "intercept")?),
        None => None,
    };
    let cols: Vec<&Covariate> = lp
        .arm_effects
        .iter()
        .chain(lp.trend.iter())
        .chain(lp.carryover.iter())
        .chain(lp.covariates.iter())
        .collect();
    let ncols = cols.len();
    let mut col_theta = Vec::with_capacity(ncols);
    let mut x = vec![0.0; n * ncols];
    for (k, c) in cols.iter().enumerate() {
        col_theta.push(scalar(c.param, "coefficient")?);
        if c.values.len() != n {
            return Err(lerr(format!(
                "covariate of `{}` has {} values for {n} observations",
                model.params[c.param].name,
                c.values.len()
            )));
        }
        if c.values.iter().any(|v| !v.is_finite()) {
            return Err(lerr(format!(
                "covariate of `{}` is not finite",
                model.params[c.param].name
            )));
        }
        for (i, v) in c.values.iter().enumerate() {
            x[k * n + i] = *v;
        }
    }
    let lag = match &lp.lagged_outcome {
        None => None,
        Some(lo) => {
            let rho = scalar(lo.param, "lagged outcome")?;
            need_support(lo.param, -1.0, 1.0, "lagged outcome coefficient")?;
            if lo.values.len() != n || lo.gaps.len() != n {
                return Err(lerr(format!(
                    "lagged outcome has {} values and {} gaps for {n} observations",
                    lo.values.len(),
                    lo.gaps.len()
                )));
            }
            if lo.values.iter().any(|v| !v.is_finite()) {
                return Err(lerr("a lagged outcome value is not finite".into()));
            }
            if let Some(i) = lo.gaps.iter().position(|g| !(1..=MAX_GAP).contains(g)) {
                return Err(lerr(format!(
                    "observation {}: the gap to the previous measurement is {} (1 to {MAX_GAP})",
                    i + 1,
                    lo.gaps[i]
                )));
            }
            Some(LagKernel {
                rho,
                values: lo.values.clone(),
                gaps: lo.gaps.iter().map(|&g| g as u32).collect(),
            })
        }
    };
    let decay = match &lp.carryover_decay {
        None => None,
        Some(cd) => {
            let rate = scalar(cd.rate, "carryover decay rate")?;
            need_support(cd.rate, 0.0, f64::INFINITY, "carryover decay rate")?;
            let mut transitions = Vec::with_capacity(cd.transitions.len());
            let mut last = None;
            for t in &cd.transitions {
                if t.obs >= n || last.is_some_and(|o| t.obs <= o) {
                    return Err(lerr(format!(
                        "carryover transitions must name increasing observations below {n} (found {})",
                        t.obs
                    )));
                }
                last = Some(t.obs);
                if !(t.elapsed.is_finite() && t.elapsed >= 0.0) {
                    return Err(lerr(format!(
                        "observation {}: the time since the switch is {}",
                        t.obs + 1,
                        t.elapsed
                    )));
                }
                let from = t
                    .from
                    .map(|id| scalar(id, "carryover effect"))
                    .transpose()?;
                let to = t.to.map(|id| scalar(id, "carryover effect")).transpose()?;
                transitions.push((t.obs, t.elapsed, from, to));
            }
            Some(DecayKernel { rate, transitions })
        }
    };
    Ok(LikKernel {
        family,
        y: l.y.clone(),
        gaps,
        x,
        col_theta,
        intercept,
        constant,
        latent,
        trials,
        lag,
        decay,
    })
}

impl LikKernel {
    pub(super) fn n(&self) -> usize {
        self.y.len()
    }

    /// eta = intercept + X theta, column by column (contiguous, vectorisable).
    fn fill_eta(&self, theta: &[f64], eta: &mut [f64]) {
        let n = self.n();
        eta.fill(self.intercept.map_or(0.0, |j| theta[j]));
        for (k, &j) in self.col_theta.iter().enumerate() {
            let b = theta[j];
            for (e, v) in eta.iter_mut().zip(&self.x[k * n..(k + 1) * n]) {
                *e += b * v;
            }
        }
    }

    /// Adds the lagged outcome and the decaying carryover to eta.
    fn add_terms(&self, theta: &[f64], eta: &mut [f64]) {
        if let Some(lag) = &self.lag {
            let rho = theta[lag.rho];
            for ((e, v), &g) in eta.iter_mut().zip(&lag.values).zip(&lag.gaps) {
                *e += if g == 1 { rho } else { rho.powi(g as i32) } * v;
            }
        }
        if let Some(decay) = &self.decay {
            let rate = theta[decay.rate];
            for &(i, s, from, to) in &decay.transitions {
                let diff = from.map_or(0.0, |j| theta[j]) - to.map_or(0.0, |j| theta[j]);
                eta[i] += (-rate * s).exp() * diff;
            }
        }
    }

    /// The gradient of the lagged outcome and the decaying carryover from
    /// `d` = d logp / d eta: d/d rho of rho^g v is g rho^(g-1) v; with
    /// w = exp(-rate s), d/d delta_from = w, d/d delta_to = -w and
    /// d/d rate = -s w (delta_from - delta_to).
    fn scatter_terms(&self, theta: &[f64], g: &mut [f64], d: &[f64]) {
        if let Some(lag) = &self.lag {
            let rho = theta[lag.rho];
            let mut acc = 0.0;
            for ((di, v), &gap) in d.iter().zip(&lag.values).zip(&lag.gaps) {
                let dw = if gap == 1 {
                    1.0
                } else {
                    f64::from(gap) * rho.powi(gap as i32 - 1)
                };
                acc += di * dw * v;
            }
            g[lag.rho] += acc;
        }
        if let Some(decay) = &self.decay {
            let rate = theta[decay.rate];
            let mut grate = 0.0;
            for &(i, s, from, to) in &decay.transitions {
                let w = (-rate * s).exp();
                let wd = w * d[i];
                let diff = from.map_or(0.0, |j| theta[j]) - to.map_or(0.0, |j| theta[j]);
                if let Some(j) = from {
                    g[j] += wd;
                }
                if let Some(j) = to {
                    g[j] -= wd;
                }
                grate -= s * wd * diff;
            }
            g[decay.rate] += grate;
        }
    }

    /// Adds X' d (and sum d for the intercept) to the coefficients' gradient,
    /// `d` being d logp / d eta.
    fn scatter_all(&self, g: &mut [f64], d: &[f64]) {
        let n = self.n();
        if let Some(j) = self.intercept {
            g[j] += d.iter().sum::<f64>();
        }
        for (k, &j) in self.col_theta.iter().enumerate() {
            g[j] += self.x[k * n..(k + 1) * n]
                .iter()
                .zip(d)
                .map(|(v, d)| v * d)
                .sum::<f64>();
        }
    }

    /// Log likelihood with gradient added to `g`; `eta` and `d` are scratch
    /// buffers of at least `n` elements.
    pub(super) fn eval(
        &self,
        theta: &[f64],
        g: &mut [f64],
        eta: &mut [f64],
        d: &mut [f64],
        lat: &mut [f64],
    ) -> f64 {
        let n = self.n();
        let (eta, d, lat) = (&mut eta[..n], &mut d[..n], &mut lat[..n]);
        self.fill_eta(theta, eta);
        self.add_terms(theta, eta);
        if let Some((z, s, p)) = self.latent {
            if !self.latent_forward(theta, z, s, p, lat) {
                return f64::NEG_INFINITY;
            }
            for (e, l) in eta.iter_mut().zip(lat.iter()) {
                *e += l;
            }
        }
        let mut lp = self.constant;
        match self.family {
            KFamily::Normal { sigma } => {
                let s = theta[sigma];
                if !(s > 0.0) {
                    return f64::NEG_INFINITY;
                }
                let inv = 1.0 / s;
                let mut ss = 0.0;
                for ((di, e), y) in d.iter_mut().zip(eta.iter()).zip(&self.y) {
                    let z = (y - e) * inv;
                    ss += z * z;
                    *di = z * inv;
                }
                lp += -(n as f64) * s.ln() - 0.5 * ss;
                g[sigma] += (ss - n as f64) * inv;
            }
            KFamily::NormalAr1 { sigma, phi } => {
                lp += self.ar1(theta, g, sigma, phi, eta, d);
            }
            KFamily::Bernoulli => {
                // Without a trend the linear predictor takes a handful of
                // values, in runs (days on one arm): the exp and log of the
                // previous observation are reused when eta is the same bit
                // pattern (the same operations on the same value).
                let mut last: Option<(u64, f64, f64)> = None;
                for ((di, &e), &y) in d.iter_mut().zip(eta.iter()).zip(&self.y) {
                    // log p(y) = y eta - log(1 + exp(eta)) with one exp and one
                    // log: t = exp(-|eta|), log(1 + exp(eta)) = max(eta, 0) +
                    // log(1 + t). log(1 + t) for t in (0, 1] has an absolute
                    // error of an ulp, all a sum of log terms needs (log1p
                    // would only add relative accuracy, at twice the cost).
                    let (p, log_u) = match last {
                        Some((bits, p, log_u)) if bits == e.to_bits() => (p, log_u),
                        _ => {
                            let t = (-e.abs()).exp();
                            let u = 1.0 + t;
                            let inv = 1.0 / u;
                            let p = if e >= 0.0 { inv } else { t * inv };
                            let log_u = u.ln();
                            last = Some((e.to_bits(), p, log_u));
                            (p, log_u)
                        }
                    };
                    lp += y * e - e.max(0.0) - log_u;
                    *di = y - p;
                }
            }
            KFamily::Binomial => {
                for (((di, &e), &k), &t) in
                    d.iter_mut().zip(eta.iter()).zip(&self.y).zip(&self.trials)
                {
                    let (v, dv) = binomial_logit_term(k, t, e);
                    lp += v;
                    *di = dv;
                }
            }
            KFamily::Poisson => {
                for ((di, &e), &y) in d.iter_mut().zip(eta.iter()).zip(&self.y) {
                    let mu = e.exp();
                    lp += y * e - mu;
                    *di = y - mu;
                }
            }
            KFamily::NegBin { psi } => {
                let phi = theta[psi];
                if !(phi > 0.0) {
                    return f64::NEG_INFINITY;
                }
                let lphi = phi.ln();
                let lg_phi = ln_gamma(phi);
                let dg_phi = digamma(phi);
                let mut dpsi = 0.0;
                for ((di, &e), &y) in d.iter_mut().zip(eta.iter()).zip(&self.y) {
                    // log(mu + psi) = lse(eta, log psi), stable for large |eta|.
                    let lse = crate::density::log_sum_exp(e, lphi);
                    let frac = (e - lse).exp(); // mu / (mu + psi)
                    lp += ln_gamma(y + phi) - lg_phi + phi * (lphi - lse) + y * (e - lse);
                    *di = y - (phi + y) * frac;
                    // (psi + y) / (mu + psi) = (psi + y) / psi * (1 - mu / (mu + psi)).
                    dpsi += digamma(y + phi) - dg_phi + lphi - lse + 1.0
                        - (phi + y) / phi * (1.0 - frac);
                }
                g[psi] += dpsi;
            }
            KFamily::Ordinal { cut, k } => {
                // The terms of an observation depend on (eta, y) only; eta
                // takes few values without a trend, so recent terms are kept
                // by (eta bits, y) and reused (the same values, bit for bit).
                let mut memo = [(0u64, 0usize, 0.0, 0.0, 0.0); 8];
                let (mut n_memo, mut next) = (0, 0);
                for ((di, &eta), &yv) in d.iter_mut().zip(eta.iter()).zip(&self.y) {
                    let y = yv as usize; // validated: 1..=k
                    let bits = eta.to_bits();
                    let (v, x1, x2) = match memo[..n_memo].iter().find(|m| m.0 == bits && m.1 == y)
                    {
                        Some(m) => (m.2, m.3, m.4),
                        None => {
                            let t = ordinal_terms(theta, cut, k, eta, y);
                            memo[next] = (bits, y, t.0, t.1, t.2);
                            next = (next + 1) % memo.len();
                            n_memo = (n_memo + 1).min(memo.len());
                            t
                        }
                    };
                    let dv = if y == 1 {
                        g[cut] += x1;
                        -x1
                    } else if y == k {
                        g[cut + k - 2] -= 1.0 - x1;
                        1.0 - x1
                    } else {
                        g[cut + y - 2] -= x1;
                        g[cut + y - 1] -= x2;
                        x1 + x2
                    };
                    lp += v;
                    *di = dv;
                }
            }
        }
        self.scatter_all(g, d);
        self.scatter_terms(theta, g, d);
        if let Some((z, s, p)) = self.latent {
            self.latent_backward(theta, g, z, s, p, lat, d);
        }
        lp
    }

    /// Latent states e from the innovations; false outside the support.
    fn latent_forward(
        &self,
        theta: &[f64],
        z: usize,
        isig: usize,
        iphi: usize,
        lat: &mut [f64],
    ) -> bool {
        let (sigma, phi) = (theta[isig], theta[iphi]);
        if !(sigma > 0.0) || !(phi.abs() < 1.0) {
            return false;
        }
        let omp2 = 1.0 - phi * phi;
        lat[0] = sigma / omp2.sqrt() * theta[z];
        for i in 1..lat.len() {
            let gap = self.gaps[i];
            lat[i] = if gap == 1 {
                phi * lat[i - 1] + sigma * theta[z + i]
            } else {
                let (ratio, _) = gap_ratio(phi, omp2, gap);
                phi.powi(gap as i32) * lat[i - 1] + sigma * ratio.sqrt() * theta[z + i]
            };
        }
        true
    }

    /// Reverse pass through the latent recursion: `d` holds d logp / d e_i
    /// (= d logp / d eta_i); accumulates into z, sigma and phi.
    #[allow(clippy::too_many_arguments)]
    fn latent_backward(
        &self,
        theta: &[f64],
        g: &mut [f64],
        z: usize,
        isig: usize,
        iphi: usize,
        lat: &[f64],
        d: &[f64],
    ) {
        let (sigma, phi) = (theta[isig], theta[iphi]);
        let omp2 = 1.0 - phi * phi;
        let n = lat.len();
        let mut ge = 0.0; // total derivative w.r.t. e_{i+1} carried backwards
        let mut carry = 0.0; // phi^{g_{i+1}}
        let (mut gsig, mut gphi) = (0.0, 0.0);
        for i in (0..n).rev() {
            ge = d[i] + carry * ge;
            let zi = theta[z + i];
            if i == 0 {
                let r = omp2.sqrt();
                g[z] += ge * sigma / r;
                gsig += ge * zi / r;
                gphi += ge * sigma * zi * phi / (omp2 * r);
            } else {
                let gap = self.gaps[i];
                if gap == 1 {
                    g[z + i] += ge * sigma;
                    gsig += ge * zi;
                    gphi += ge * lat[i - 1];
                    carry = phi;
                } else {
                    let (ratio, dratio) = gap_ratio(phi, omp2, gap);
                    let sr = ratio.sqrt();
                    let gi = gap as i32;
                    g[z + i] += ge * sigma * sr;
                    gsig += ge * sr * zi;
                    gphi += ge
                        * (gi as f64 * phi.powi(gi - 1) * lat[i - 1]
                            + sigma * zi * 0.5 * dratio / sr);
                    carry = phi.powi(gi);
                }
            }
        }
        g[isig] += gsig;
        g[iphi] += gphi;
    }

    /// Exact AR(1) likelihood with gaps (docs/model.md). `eta` is turned into the
    /// residuals e in place; `d` receives d logp / d eta = -d logp / d e, each
    /// e_i collecting from its own term and from term i+1's conditional mean.
    fn ar1(
        &self,
        theta: &[f64],
        g: &mut [f64],
        isig: usize,
        iphi: usize,
        eta: &mut [f64],
        d: &mut [f64],
    ) -> f64 {
        let sigma = theta[isig];
        let phi = theta[iphi];
        if !(sigma > 0.0) || !(phi.abs() < 1.0) {
            return f64::NEG_INFINITY;
        }
        let n = self.n();
        for (e, y) in eta.iter_mut().zip(&self.y) {
            *e = y - *e;
        }
        let res = &*eta;
        let omp2 = 1.0 - phi * phi;
        let lsig = sigma.ln();
        let inv_sig = 1.0 / sigma;
        let inv_s2 = inv_sig * inv_sig;
        let mut lp = 0.0;
        let mut dphi = 0.0;
        // First residual: N(0, sigma / sqrt(1 - phi^2)).
        let e0 = res[0];
        let q0 = e0 * e0 * omp2 * inv_s2;
        lp += -lsig + 0.5 * omp2.ln() - 0.5 * q0;
        // d/de_i is built as (own term) + (term i+1's conditional mean) and
        // stored negated (d logp / d eta = -d logp / d e); the running
        // element stays in a register until term i+1 has added to it.
        let mut d_prev = -e0 * omp2 * inv_s2; // d/de_0 for now
        let mut sum_r2m1 = q0 - 1.0; // sum of (r^2 - 1): d/dsigma = that / sigma
        dphi += -phi / omp2 + e0 * e0 * phi * inv_s2;
        let mut cache = [(0u32, GapTerms::default()); 8];
        let mut n_cached = 0;
        let pairs = res.windows(2).zip(&self.gaps[1..n]);
        for ((w, &gap), di) in pairs.zip(d.iter_mut()) {
            let (e_prev, e) = (w[0], w[1]);
            if gap == 1 {
                // The common case: e_i | e_{i-1} ~ N(phi e_{i-1}, sigma).
                let r = (e - phi * e_prev) * inv_sig;
                let rs = r * inv_sig;
                lp -= 0.5 * r * r;
                *di = -(d_prev + rs * phi);
                d_prev = -rs;
                sum_r2m1 += r * r - 1.0;
                dphi += rs * e_prev;
                continue;
            }
            // The terms of a gap depend on the gap only (and the
            // parameters): computed once per distinct gap and evaluation.
            let t = match cache[..n_cached].iter().find(|c| c.0 == gap) {
                Some(c) => c.1,
                None => {
                    let t = GapTerms::new(phi, omp2, sigma, gap);
                    if n_cached < cache.len() {
                        cache[n_cached] = (gap, t);
                        n_cached += 1;
                    }
                    t
                }
            };
            let GapTerms {
                pg,
                ratio,
                dratio,
                half_lr,
                s,
                dmean,
            } = t;
            let r = (e - pg * e_prev) / s;
            let rs = r / s;
            // -log s = -log sigma - log(ratio)/2; the -log sigma of all terms is added below.
            lp += -half_lr - 0.5 * r * r;
            *di = -(d_prev + rs * pg);
            d_prev = -rs;
            sum_r2m1 += r * r - 1.0;
            dphi += rs * dmean * e_prev + (r * r - 1.0) * 0.5 * dratio / ratio;
        }
        d[n - 1] = -d_prev;
        // Every term has -log sigma in -log s; the first term's is counted above.
        lp -= (n - 1) as f64 * lsig;
        g[isig] += sum_r2m1 * inv_sig;
        g[iphi] += dphi;
        lp
    }
}

/// The pointwise side of a likelihood block: the linear predictor at a
/// constrained point and each observation's own log likelihood term, whose
/// sum is the block's part of the log density (`eval`), constants
/// included. One function per family below; the linear predictor is the
/// evaluator's own (`fill_eta`, `add_terms`, `latent_forward`).
impl LikKernel {
    /// eta of every observation at the constrained point `theta`: every
    /// column, the lagged outcome, the decaying carryover and the latent
    /// AR(1) states. `None` when the latent process is outside its support.
    pub(super) fn linear_predictor(&self, theta: &[f64]) -> Option<Vec<f64>> {
        let n = self.n();
        let mut eta = vec![0.0; n];
        self.fill_eta(theta, &mut eta);
        self.add_terms(theta, &mut eta);
        if let Some((z, s, p)) = self.latent {
            let mut lat = vec![0.0; n];
            if !self.latent_forward(theta, z, s, p, &mut lat) {
                return None;
            }
            for (e, l) in eta.iter_mut().zip(&lat) {
                *e += l;
            }
        }
        Some(eta)
    }

    /// Each observation's log likelihood at `theta` into `out` (n values):
    /// log p(y_i | eta_i) for the families with independent observations
    /// (given the latent states, for a latent AR(1)); for AR(1) errors the
    /// factors of the joint density, the first residual's stationary term
    /// and then each residual given the previous one across its gap. The
    /// values are -inf outside the support, as the log density is.
    pub(super) fn pointwise(&self, theta: &[f64], out: &mut [f64]) {
        let out = &mut out[..self.n()];
        let Some(eta) = self.linear_predictor(theta) else {
            out.fill(f64::NEG_INFINITY);
            return;
        };
        match self.family {
            KFamily::Normal { sigma } => pointwise_normal(theta[sigma], &self.y, &eta, out),
            KFamily::NormalAr1 { sigma, phi } => {
                pointwise_ar1(theta[sigma], theta[phi], &self.gaps, &self.y, &eta, out)
            }
            KFamily::Bernoulli => pointwise_bernoulli(&self.y, &eta, out),
            KFamily::Binomial => pointwise_binomial(&self.y, &self.trials, &eta, out),
            KFamily::Poisson => pointwise_poisson(&self.y, &eta, out),
            KFamily::NegBin { psi } => pointwise_negbin(theta[psi], &self.y, &eta, out),
            KFamily::Ordinal { cut, k } => {
                for ((o, &e), &y) in out.iter_mut().zip(&eta).zip(&self.y) {
                    *o = ordinal_terms(theta, cut, k, e, y as usize).0;
                }
            }
        }
    }
}

/// normal(y | eta, sigma): -log(2 pi)/2 - log sigma - z^2/2.
fn pointwise_normal(sigma: f64, y: &[f64], eta: &[f64], out: &mut [f64]) {
    if !(sigma > 0.0) {
        out.fill(f64::NEG_INFINITY);
        return;
    }
    let c = -0.5 * LN_2PI - sigma.ln();
    for ((o, e), y) in out.iter_mut().zip(eta).zip(y) {
        let z = (y - e) / sigma;
        *o = c - 0.5 * z * z;
    }
}

/// The AR(1) factors: e_1 ~ normal(0, sigma / sqrt(1 - phi^2)), then
/// e_i | e_{i-1} ~ normal(phi^g e_{i-1}, sigma sqrt(ratio(g))) across a gap
/// of g, with e = y - eta (docs/model.md 3.3).
fn pointwise_ar1(sigma: f64, phi: f64, gaps: &[u32], y: &[f64], eta: &[f64], out: &mut [f64]) {
    if !(sigma > 0.0) || !(phi.abs() < 1.0) {
        out.fill(f64::NEG_INFINITY);
        return;
    }
    let omp2 = 1.0 - phi * phi;
    let lsig = sigma.ln();
    let mut previous = 0.0;
    for (i, ((o, e), y)) in out.iter_mut().zip(eta).zip(y).enumerate() {
        let res = y - e;
        *o = if i == 0 {
            let q = res * res * omp2 / (sigma * sigma);
            -0.5 * LN_2PI - lsig + 0.5 * omp2.ln() - 0.5 * q
        } else if gaps[i] == 1 {
            // The common case: e_i | e_{i-1} ~ normal(phi e_{i-1}, sigma).
            let r = (res - phi * previous) / sigma;
            -0.5 * LN_2PI - lsig - 0.5 * r * r
        } else {
            let t = GapTerms::new(phi, omp2, sigma, gaps[i]);
            let r = (res - t.pg * previous) / t.s;
            -0.5 * LN_2PI - lsig - t.half_lr - 0.5 * r * r
        };
        previous = res;
    }
}

/// Bernoulli-logit: y eta - log(1 + exp(eta)).
fn pointwise_bernoulli(y: &[f64], eta: &[f64], out: &mut [f64]) {
    for ((o, &e), &y) in out.iter_mut().zip(eta).zip(y) {
        *o = y * e - e.max(0.0) - (1.0 + (-e.abs()).exp()).ln();
    }
}

/// Binomial-logit with its constant: log C(n, k) + k eta - n log(1 + exp(eta)).
fn pointwise_binomial(y: &[f64], trials: &[f64], eta: &[f64], out: &mut [f64]) {
    for (((o, &e), &k), &n) in out.iter_mut().zip(eta).zip(y).zip(trials) {
        *o = ln_choose(n, k) + binomial_logit_term(k, n, e).0;
    }
}

/// Poisson-log: y eta - exp(eta) - log y!.
fn pointwise_poisson(y: &[f64], eta: &[f64], out: &mut [f64]) {
    for ((o, &e), &y) in out.iter_mut().zip(eta).zip(y) {
        *o = y * e - e.exp() - ln_gamma(y + 1.0);
    }
}

/// NB2 with mean exp(eta) and dispersion psi: log Gamma(y + psi) - log
/// Gamma(psi) - log y! + psi log(psi / (mu + psi)) + y log(mu / (mu + psi)).
fn pointwise_negbin(psi: f64, y: &[f64], eta: &[f64], out: &mut [f64]) {
    if !(psi > 0.0) {
        out.fill(f64::NEG_INFINITY);
        return;
    }
    let lpsi = psi.ln();
    let lg_psi = ln_gamma(psi);
    for ((o, &e), &y) in out.iter_mut().zip(eta).zip(y) {
        let lse = crate::density::log_sum_exp(e, lpsi);
        *o = ln_gamma(y + psi) - lg_psi - ln_gamma(y + 1.0) + psi * (lpsi - lse) + y * (e - lse);
    }
}
