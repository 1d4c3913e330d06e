//! Univariate distributions (values, derivatives and constants) and the
//! prior kernels built from them: single distributions, marginalised
//! mixtures and the induced Dirichlet on cutpoints.

use super::{DistKind, Prior};
use crate::density::{Logistic, LN_2PI};
use serde::{Deserialize, Serialize};
use statrs::function::gamma::ln_gamma;

/// A univariate distribution used as a prior. Its name, argument order and
/// rules are those of its row in [`DISTRIBUTIONS`](super::DISTRIBUTIONS).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Dist {
    Normal {
        mu: f64,
        sigma: f64,
    },
    StudentT {
        nu: f64,
        mu: f64,
        sigma: f64,
    },
    Cauchy {
        mu: f64,
        sigma: f64,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    /// Normal(0, sigma) folded onto [0, inf).
    HalfNormal {
        sigma: f64,
    },
    /// Student-t(nu, 0, sigma) folded onto [0, inf).
    HalfStudentT {
        nu: f64,
        sigma: f64,
    },
    Exponential {
        rate: f64,
    },
    /// Shape / rate parameterisation (as Stan).
    Gamma {
        shape: f64,
        rate: f64,
    },
    Beta {
        a: f64,
        b: f64,
    },
    Uniform {
        lower: f64,
        upper: f64,
    },
}

impl Dist {
    /// Normalising constant of the log density (the part that does not depend
    /// on the argument), computed once at model construction.
    pub(super) fn log_const(&self) -> f64 {
        match *self {
            Dist::Normal { sigma, .. } | Dist::LogNormal { sigma, .. } => {
                -0.5 * LN_2PI - sigma.ln()
            }
            Dist::HalfNormal { sigma } => std::f64::consts::LN_2 - 0.5 * LN_2PI - sigma.ln(),
            Dist::StudentT { nu, sigma, .. } => student_t_const(nu, sigma),
            Dist::HalfStudentT { nu, sigma } => std::f64::consts::LN_2 + student_t_const(nu, sigma),
            Dist::Cauchy { sigma, .. } => -std::f64::consts::PI.ln() - sigma.ln(),
            Dist::Exponential { rate } => rate.ln(),
            Dist::Gamma { shape, rate } => shape * rate.ln() - ln_gamma(shape),
            Dist::Beta { a, b } => ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b),
            Dist::Uniform { lower, upper } => -(upper - lower).ln(),
        }
    }

    /// log density at `t` given its constant `c`; adds the derivative to `g`.
    #[inline]
    pub(super) fn lpdf(&self, c: f64, t: f64, g: &mut f64) -> f64 {
        match *self {
            Dist::Normal { mu, sigma } => {
                let z = (t - mu) / sigma;
                *g -= z / sigma;
                c - 0.5 * z * z
            }
            Dist::HalfNormal { sigma } => {
                if t < 0.0 {
                    return f64::NEG_INFINITY;
                }
                let z = t / sigma;
                *g -= z / sigma;
                c - 0.5 * z * z
            }
            Dist::StudentT { nu, mu, sigma } => student_t_kernel(nu, mu, sigma, c, t, g),
            Dist::HalfStudentT { nu, sigma } => {
                if t < 0.0 {
                    return f64::NEG_INFINITY;
                }
                student_t_kernel(nu, 0.0, sigma, c, t, g)
            }
            Dist::Cauchy { mu, sigma } => {
                let z = (t - mu) / sigma;
                let q = 1.0 + z * z;
                *g -= 2.0 * z / (sigma * q);
                c - q.ln()
            }
            Dist::LogNormal { mu, sigma } => {
                if t <= 0.0 {
                    return f64::NEG_INFINITY;
                }
                let lt = t.ln();
                let z = (lt - mu) / sigma;
                *g -= (1.0 + z / sigma) / t;
                c - lt - 0.5 * z * z
            }
            Dist::Exponential { rate } => {
                if t < 0.0 {
                    return f64::NEG_INFINITY;
                }
                *g -= rate;
                c - rate * t
            }
            Dist::Gamma { shape, rate } => {
                if t <= 0.0 {
                    return f64::NEG_INFINITY;
                }
                *g += (shape - 1.0) / t - rate;
                c + (shape - 1.0) * t.ln() - rate * t
            }
            Dist::Beta { a, b } => {
                if t <= 0.0 || t >= 1.0 {
                    return f64::NEG_INFINITY;
                }
                *g += (a - 1.0) / t - (b - 1.0) / (1.0 - t);
                c + (a - 1.0) * t.ln() + (b - 1.0) * (-t).ln_1p()
            }
            Dist::Uniform { lower, upper } => {
                if t < lower || t > upper {
                    f64::NEG_INFINITY
                } else {
                    c
                }
            }
        }
    }

    /// Full log density with its derivative (for tests and reporting).
    pub fn log_density(&self, t: f64) -> (f64, f64) {
        let mut g = 0.0;
        let v = self.lpdf(self.log_const(), t, &mut g);
        (v, g)
    }
}

fn student_t_const(nu: f64, sigma: f64) -> f64 {
    ln_gamma(0.5 * (nu + 1.0))
        - ln_gamma(0.5 * nu)
        - 0.5 * (nu * std::f64::consts::PI).ln()
        - sigma.ln()
}

#[inline]
fn student_t_kernel(nu: f64, mu: f64, sigma: f64, c: f64, t: f64, g: &mut f64) -> f64 {
    let z = (t - mu) / sigma;
    let q = 1.0 + z * z / nu;
    *g -= (nu + 1.0) * z / (sigma * nu * q);
    c - 0.5 * (nu + 1.0) * q.ln()
}

/// A prior with its constants precomputed.
#[derive(Debug, Clone)]
pub(super) enum PriorKernel {
    Dist(Dist, f64),
    /// (log weight + log constant, dist) per component.
    Mixture(Vec<(f64, Dist)>),
    InducedDirichlet {
        alpha: Vec<f64>,
        log_const: f64,
    },
}

impl PriorKernel {
    pub(super) fn new(prior: &Prior) -> Result<Self, String> {
        match prior {
            Prior::Dist(d) => {
                d.validate().map_err(|e| e.to_string())?;
                Ok(PriorKernel::Dist(d.clone(), d.log_const()))
            }
            Prior::Mixture(comps) => {
                if comps.is_empty() {
                    return Err("mixture prior has no components".into());
                }
                let mut total = 0.0;
                for c in comps {
                    c.dist.validate().map_err(|e| e.to_string())?;
                    if !(c.weight.is_finite() && c.weight > 0.0) {
                        return Err(format!("mixture weight {} must be > 0", c.weight));
                    }
                    total += c.weight;
                }
                if (total - 1.0).abs() > 1e-9 {
                    return Err(format!("mixture weights sum to {total}, not 1"));
                }
                Ok(PriorKernel::Mixture(
                    comps
                        .iter()
                        .map(|c| (c.weight.ln() + c.dist.log_const(), c.dist.clone()))
                        .collect(),
                ))
            }
            Prior::InducedDirichlet { alpha } => {
                let rule = DistKind::InducedDirichlet.info().params[0].rule;
                if alpha.len() < 2 || alpha.iter().any(|a| !rule.holds(*a)) {
                    return Err(format!(
                        "induced_dirichlet needs at least 2 concentrations, all {}",
                        rule.describe()
                    ));
                }
                let sum: f64 = alpha.iter().sum();
                let log_const = ln_gamma(sum) - alpha.iter().map(|a| ln_gamma(*a)).sum::<f64>()
                    + (alpha.len() as f64).ln();
                Ok(PriorKernel::InducedDirichlet {
                    alpha: alpha.clone(),
                    log_const,
                })
            }
        }
    }

    /// Log prior of the elements `theta`, gradient added to `g`.
    pub(super) fn eval(&self, theta: &[f64], g: &mut [f64]) -> f64 {
        match self {
            // Vector parameters with a normal prior (latent innovations) get
            // a tight loop without the per-element dispatch.
            PriorKernel::Dist(Dist::Normal { mu, sigma }, c) => {
                let inv = 1.0 / sigma;
                let mut ss = 0.0;
                for (t, gi) in theta.iter().zip(g.iter_mut()) {
                    let z = (t - mu) * inv;
                    ss += z * z;
                    *gi -= z * inv;
                }
                c * theta.len() as f64 - 0.5 * ss
            }
            PriorKernel::Dist(d, c) => {
                let mut lp = 0.0;
                for (t, gi) in theta.iter().zip(g.iter_mut()) {
                    lp += d.lpdf(*c, *t, gi);
                }
                lp
            }
            PriorKernel::Mixture(comps) => {
                let mut lp = 0.0;
                for (t, gi) in theta.iter().zip(g.iter_mut()) {
                    let (v, d) = mixture_lpdf(comps, *t);
                    lp += v;
                    *gi += d;
                }
                lp
            }
            PriorKernel::InducedDirichlet { alpha, log_const } => {
                induced_dirichlet(alpha, *log_const, theta, g)
            }
        }
    }
}

/// log sum_k w_k p_k(t) and its derivative, by an online log-sum-exp (no
/// buffer): the derivative is the responsibility-weighted component slopes.
fn mixture_lpdf(comps: &[(f64, Dist)], t: f64) -> (f64, f64) {
    let mut m = f64::NEG_INFINITY;
    let mut s = 0.0;
    let mut gs = 0.0;
    for (c, d) in comps {
        let mut gk = 0.0;
        let v = d.lpdf(*c, t, &mut gk);
        if v == f64::NEG_INFINITY {
            continue;
        }
        if v > m {
            let scale = (m - v).exp();
            s = s * scale + 1.0;
            gs = gs * scale + gk;
            m = v;
        } else {
            let w = (v - m).exp();
            s += w;
            gs += w * gk;
        }
    }
    if m == f64::NEG_INFINITY {
        return (f64::NEG_INFINITY, 0.0);
    }
    (m + s.ln(), gs / s)
}

/// Induced Dirichlet (Betancourt 2019) with anchor 0: the probabilities
/// p = (1 - s_1, s_1 - s_2, ..., s_{K-1}) with s_k = logistic(-c_k) follow a
/// Dirichlet(alpha), times |J| = K * prod_k s_k (1 - s_k) (the determinant of
/// Betancourt's Jacobian in closed form).
fn induced_dirichlet(alpha: &[f64], log_const: f64, c: &[f64], g: &mut [f64]) -> f64 {
    let km1 = c.len();
    if alpha.len() != km1 + 1 {
        return f64::NAN;
    }
    let mut lp = log_const;
    // p_k for k = 0..K-1 uses s_{k-1} (1 for k = 0) and s_k (0 for k = K-1);
    // s_k is computed once and carried to the next k.
    let mut s_prev = 1.0;
    // The exp of each cutpoint, kept for the Jacobian loop below.
    const KEPT: usize = 16;
    let mut kept = [Logistic::default(); KEPT];
    for (k, &alpha_k) in alpha.iter().enumerate() {
        let s_k = if k == km1 {
            0.0
        } else {
            let e = Logistic::new(c[k]);
            if k < KEPT {
                kept[k] = e;
            }
            e.inv_logit_neg()
        };
        let (hi, dhi) = if k == 0 {
            (1.0, None)
        } else {
            (s_prev, Some((k - 1, s_prev)))
        };
        let (lo, dlo) = if k == km1 {
            (0.0, None)
        } else {
            (s_k, Some((k, s_k)))
        };
        s_prev = s_k;
        let p = hi - lo;
        if p <= 0.0 {
            return f64::NEG_INFINITY;
        }
        let a1 = alpha_k - 1.0;
        // alpha_k = 1 (the default uniform prior): the term is 0 * log p
        // with p in (0, 1], i.e. -0.0 for p < 1 and +0.0 for p = 1; that
        // zero is added without computing the log (same bits).
        lp += if a1 == 0.0 && p <= 1.0 {
            if p == 1.0 {
                0.0
            } else {
                -0.0
            }
        } else {
            a1 * p.ln()
        };
        // d s_j / d c_j = -s_j (1 - s_j).
        if let Some((j, s)) = dhi {
            g[j] += a1 / p * (-s * (1.0 - s));
        }
        if let Some((j, s)) = dlo {
            g[j] -= a1 / p * (-s * (1.0 - s));
        }
    }
    for (k, &ck) in c.iter().enumerate() {
        // One log1p (the exp is kept from above) for s, log1p(e^c) and
        // log1p(e^-c).
        let e = if k < KEPT { kept[k] } else { Logistic::new(ck) };
        let s = e.inv_logit_neg();
        let l = e.l();
        // log(s(1-s)) = -log1p(e^c) - log1p(e^-c); derivative 2s - 1.
        lp += -e.log1p_exp_with(l) - e.log1p_exp_neg_with(l);
        g[k] += 2.0 * s - 1.0;
    }
    lp
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cutpoint, every log computed): the faster one must match it bit for bit.
    fn induced_dirichlet_reference(alpha: &[f64], log_const: f64, c: &[f64], g: &mut [f64]) -> f64 {
        use crate::density::{inv_logit, log1p_exp};
        let km1 = c.len();
        let mut lp = log_const;
        let s_at = |k: usize| inv_logit(-c[k]);
        for (k, &alpha_k) in alpha.iter().enumerate() {
            let (hi, dhi) = if k == 0 {
                (1.0, None)
            } else {
                let s = s_at(k - 1);
                (s, Some((k - 1, s)))
            };
            let (lo, dlo) = if k == km1 {
                (0.0, None)
            } else {
                let s = s_at(k);
                (s, Some((k, s)))
            };
            let p = hi - lo;
            if p <= 0.0 {
                return f64::NEG_INFINITY;
            }
            let a1 = alpha_k - 1.0;
            lp += a1 * p.ln();
            if let Some((j, s)) = dhi {
                g[j] += a1 / p * (-s * (1.0 - s));
            }
            if let Some((j, s)) = dlo {
                g[j] -= a1 / p * (-s * (1.0 - s));
            }
        }
        for (k, &ck) in c.iter().enumerate() {
            let s = s_at(k);
            lp += -log1p_exp(ck) - log1p_exp(-ck);
            g[k] += 2.0 * s - 1.0;
        }
        lp
    }

    #[test]
    fn induced_dirichlet_matches_the_reference_bit_for_bit() {
        let mut rng = crate::rng::ChainRng::new(7, 0);
        for case in 0..3000 {
            let km1 = 1 + case % 6;
            let mut c: Vec<f64> = Vec::new();
            let mut prev = -3.0 * rng.uniform() - if case % 7 == 0 { 800.0 } else { 0.0 };
            for _ in 0..km1 {
                c.push(prev);
                prev += if case % 11 == 0 {
                    0.0
                } else {
                    3.0 * rng.uniform()
                };
            }
            if case % 5 == 0 {
                c[0] = 800.0;
            }
            let alpha: Vec<f64> = (0..=km1)
                .map(|k| if case % 3 == 0 { 0.5 + k as f64 } else { 1.0 })
                .collect();
            let mut g1 = vec![0.25; km1];
            let mut g2 = g1.clone();
            let a = induced_dirichlet(&alpha, 0.5, &c, &mut g1);
            let b = induced_dirichlet_reference(&alpha, 0.5, &c, &mut g2);
            assert_eq!(a.to_bits(), b.to_bits(), "case {case}: {a} vs {b}");
            if a.is_finite() {
                let bits = |g: &[f64]| g.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&g1), bits(&g2), "case {case}");
            }
        }
    }
}
