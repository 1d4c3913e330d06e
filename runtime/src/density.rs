//! Log densities on the unconstrained scale and the constraining transforms.
//!
//! The sampler, the optimiser and the diagnostics only ever see a
//! [`LogDensity`]: a function of an unconstrained vector that returns the log
//! posterior density (up to a constant) *including* the log-Jacobian of every
//! constraining transform, and writes its exact gradient.

/// A log density on the unconstrained scale.
///
/// `logp_grad` must not panic on any input: a point outside the support, an
/// overflow or a NaN is reported as a non-finite return value (the sampler
/// treats it as a divergence, the initialiser retries).
pub trait LogDensity: Sync {
    /// Number of unconstrained coordinates.
    fn dim(&self) -> usize;

    /// Log density at `x` (length `dim()`); writes d logp / dx into `grad`
    /// (length `dim()`, overwritten, not accumulated).
    fn logp_grad(&self, x: &[f64], grad: &mut [f64]) -> f64;

    /// Human-readable name of each unconstrained coordinate, used in error
    /// messages (`sigma`, `cutpoints[2]`, ...).
    fn coordinate_names(&self) -> Vec<String> {
        (0..self.dim()).map(|i| format!("x[{i}]")).collect()
    }

    /// Names of the parts of the model that are non-finite at `x`, used to
    /// explain a failed initialisation. The default names the coordinates
    /// whose gradient is not finite (or all of them if only the value is).
    fn nonfinite_terms(&self, x: &[f64]) -> Vec<String> {
        let mut g = vec![0.0; self.dim()];
        let lp = self.logp_grad(x, &mut g);
        let names = self.coordinate_names();
        let bad: Vec<String> = g
            .iter()
            .zip(names.iter())
            .filter(|(v, _)| !v.is_finite())
            .map(|(_, n)| n.clone())
            .collect();
        if bad.is_empty() && !lp.is_finite() {
            names
        } else {
            bad
        }
    }
}

/// ln(2π), used by every Gaussian normalising constant.
pub const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// log(1 + exp(x)) without overflow or loss of precision for large |x|.
#[inline]
pub fn log1p_exp(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// The one transcendental pair behind `inv_logit(±x)` and `log1p_exp(±x)`:
/// t = exp(-|x|) and l = log1p(t). Every one of those four functions
/// evaluates exactly these two (when it needs them) and then only adds or
/// divides, so computing them once and deriving the four from `Logistic`
/// gives results bit for bit equal to the separate calls at a third of the
/// libm calls (the ordinal likelihood, the induced Dirichlet and the interval
/// transform need several of them at the same argument).
#[derive(Debug, Clone, Copy, Default)]
pub struct Logistic {
    x: f64,
    t: f64,
}

impl Logistic {
    #[inline]
    pub fn new(x: f64) -> Self {
        Logistic {
            x,
            t: (-x.abs()).exp(),
        }
    }
    /// `inv_logit(x)`.
    #[inline]
    pub fn inv_logit(&self) -> f64 {
        if self.x >= 0.0 {
            1.0 / (1.0 + self.t)
        } else {
            self.t / (1.0 + self.t)
        }
    }
    /// `inv_logit(-x)`.
    #[inline]
    pub fn inv_logit_neg(&self) -> f64 {
        if -self.x >= 0.0 {
            1.0 / (1.0 + self.t)
        } else {
            self.t / (1.0 + self.t)
        }
    }
    /// log1p(exp(-|x|)), the `l` of `log1p_exp_with`.
    #[inline]
    pub fn l(&self) -> f64 {
        self.t.ln_1p()
    }
    /// `log1p_exp(x)` given `l = self.l()`.
    #[inline]
    pub fn log1p_exp_with(&self, l: f64) -> f64 {
        if self.x > 0.0 {
            self.x + l
        } else {
            l
        }
    }
    /// `log1p_exp(-x)` given `l = self.l()`.
    #[inline]
    pub fn log1p_exp_neg_with(&self, l: f64) -> f64 {
        let y = -self.x;
        if y > 0.0 {
            y + l
        } else {
            l
        }
    }
}

/// Logistic function, evaluated so that it never overflows.
#[inline]
pub fn inv_logit(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// log(exp(a) + exp(b)), exact when one side is -inf.
#[inline]
pub fn log_sum_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    // One of the two differences is 0 and exp(0) = 1 exactly: skipping that
    // libm call changes no bit.
    let exp = |x: f64| if x == 0.0 { 1.0 } else { x.exp() };
    m + (exp(a - m) + exp(b - m)).ln()
}

/// log(1 - exp(x)) for x < 0 (Mächler's switch between expm1 and log1p).
#[inline]
pub fn log1m_exp(x: f64) -> f64 {
    if x > -std::f64::consts::LN_2 {
        (-x.exp_m1()).ln()
    } else {
        (-x.exp()).ln_1p()
    }
}

/// `log1m_exp(x)` from `em1 = x.exp_m1()` and `e = x.exp()` already at hand
/// (the same branch, bit for bit).
#[inline]
pub fn log1m_exp_with(x: f64, em1: f64, e: f64) -> f64 {
    if x > -std::f64::consts::LN_2 {
        (-em1).ln()
    } else {
        (-e).ln_1p()
    }
}

/// A constraining transform from the real line (or R^n) onto the support of a
/// parameter. The unconstrained → constrained maps match Stan's, so that the
/// log densities (and Stan's golden values) agree.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Transform {
    /// No constraint.
    Identity,
    /// theta = lower + exp(x) (sigma, rates, dispersion).
    Lower(f64),
    /// theta = upper - exp(x).
    Upper(f64),
    /// theta = lower + (upper - lower) * logistic(x); phi uses (-1, 1).
    Interval(f64, f64),
    /// Strictly increasing vector: theta_0 = x_0, theta_k = theta_{k-1} + exp(x_k)
    /// (Stan's `ordered`).
    Ordered,
    /// Strictly increasing vector as the cumulative logits of a simplex
    /// (ordinal cutpoints): with n = len and K = n + 1 categories, Stan's
    /// stick-breaking w_k = logistic(x_k - ln(n - k)) (k = 0..n-1, so x = 0 is
    /// the uniform simplex), r_k = prod_{j<=k} (1 - w_j) the mass above
    /// cutpoint k and theta_k = logit(1 - r_k). Onto the same set as
    /// `Ordered`, but a rarely or never observed category is the tail of one
    /// coordinate (w_k near 0 or 1), not a location that every other cutpoint
    /// has to follow: with `Ordered`, x_0 = theta_0 and the well-identified
    /// theta_1 = x_0 + exp(x_1) make a funnel when the lowest category is rare.
    CumulativeLogit,
}

impl Transform {
    /// Whether the transform is well defined (finite, ordered bounds).
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Transform::Lower(a) | Transform::Upper(a) if !a.is_finite() => {
                Err(format!("bound {a} is not finite"))
            }
            Transform::Interval(a, b) if !(a.is_finite() && b.is_finite() && a < b) => Err(
                format!("interval ({a}, {b}) is not a finite interval with lower < upper"),
            ),
            _ => Ok(()),
        }
    }

    /// Whether the image is a strictly increasing vector (cutpoints).
    pub fn is_ordered(&self) -> bool {
        matches!(self, Transform::Ordered | Transform::CumulativeLogit)
    }

    /// Support of one constrained element as (lower, upper); ordered vectors
    /// are unbounded element-wise.
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Transform::Identity | Transform::Ordered | Transform::CumulativeLogit => {
                (f64::NEG_INFINITY, f64::INFINITY)
            }
            Transform::Lower(a) => (a, f64::INFINITY),
            Transform::Upper(b) => (f64::NEG_INFINITY, b),
            Transform::Interval(a, b) => (a, b),
        }
    }

    /// Maps `x` onto `theta` and returns the log-Jacobian log|d theta / d x|.
    /// Slices must have equal length.
    pub fn constrain(&self, x: &[f64], theta: &mut [f64]) -> f64 {
        let mut lj = 0.0;
        match *self {
            // Scalars are the common case: no memcpy call for one value.
            Transform::Identity if x.len() == 1 => theta[0] = x[0],
            Transform::Identity => theta.copy_from_slice(x),
            Transform::Lower(a) => {
                for (t, &u) in theta.iter_mut().zip(x) {
                    *t = a + u.exp();
                    lj += u;
                }
            }
            Transform::Upper(b) => {
                for (t, &u) in theta.iter_mut().zip(x) {
                    *t = b - u.exp();
                    lj += u;
                }
            }
            Transform::Interval(a, b) => {
                let w = b - a;
                let lw = w.ln();
                for (t, &u) in theta.iter_mut().zip(x) {
                    let e = Logistic::new(u);
                    *t = a + w * e.inv_logit();
                    // log s + log(1 - s) = -log1p(e^-u) - log1p(e^u), stable in both tails.
                    let l = e.l();
                    lj += lw - e.log1p_exp_neg_with(l) - e.log1p_exp_with(l);
                }
            }
            Transform::Ordered => {
                let mut prev = 0.0;
                for (k, (t, &u)) in theta.iter_mut().zip(x).enumerate() {
                    if k == 0 {
                        *t = u;
                    } else {
                        *t = prev + u.exp();
                        lj += u;
                    }
                    prev = *t;
                }
            }
            Transform::CumulativeLogit => {
                // In logs, so that no tail cancels: P_k = 1 - r_k = P_{k-1} +
                // r_{k-1} w_k, theta_k = log P_k - log r_k, and log|J| =
                // sum_k log w_k - log P_k (triangular: d theta_k / d x_j =
                // w_j / P_k for j <= k).
                let n = x.len();
                let (mut log_p, mut log_r) = (f64::NEG_INFINITY, 0.0);
                for (k, (t, &xk)) in theta.iter_mut().zip(x).enumerate() {
                    let e = Logistic::new(xk - ((n - k) as f64).ln());
                    let l = e.l();
                    let log_w = -e.log1p_exp_neg_with(l);
                    log_p = log_sum_exp(log_p, log_r + log_w);
                    log_r -= e.log1p_exp_with(l);
                    *t = log_p - log_r;
                    lj += log_w - log_p;
                }
            }
        }
        lj
    }

    /// Inverse map theta → x (for user-supplied inits and tests). Returns
    /// `None` when `theta` is outside the support.
    pub fn unconstrain(&self, theta: &[f64], x: &mut [f64]) -> Option<()> {
        match *self {
            Transform::Identity => x.copy_from_slice(theta),
            Transform::Lower(a) => {
                for (u, &t) in x.iter_mut().zip(theta) {
                    if t <= a {
                        return None;
                    }
                    *u = (t - a).ln();
                }
            }
            Transform::Upper(b) => {
                for (u, &t) in x.iter_mut().zip(theta) {
                    if t >= b {
                        return None;
                    }
                    *u = (b - t).ln();
                }
            }
            Transform::Interval(a, b) => {
                for (u, &t) in x.iter_mut().zip(theta) {
                    if t <= a || t >= b {
                        return None;
                    }
                    let s = (t - a) / (b - a);
                    *u = (s / (1.0 - s)).ln();
                }
            }
            Transform::Ordered => {
                for k in 0..theta.len() {
                    if k == 0 {
                        x[0] = theta[0];
                    } else {
                        let d = theta[k] - theta[k - 1];
                        if d <= 0.0 {
                            return None;
                        }
                        x[k] = d.ln();
                    }
                }
            }
            Transform::CumulativeLogit => {
                // logit w_k = log(P_k - P_{k-1}) - log r_k with P = inv_logit(theta),
                // r = 1 - P, all in logs.
                let n = theta.len();
                let mut log_p_prev = f64::NEG_INFINITY;
                for k in 0..n {
                    let log_p = -log1p_exp(-theta[k]);
                    if !(log_p > log_p_prev) {
                        return None;
                    }
                    let log_dp = if k == 0 {
                        log_p
                    } else {
                        log_p + log1m_exp(log_p_prev - log_p)
                    };
                    x[k] = log_dp + log1p_exp(theta[k]) + ((n - k) as f64).ln();
                    log_p_prev = log_p;
                }
            }
        }
        Some(())
    }

    /// Chain rule: given `gtheta` = d f / d theta at the point `x` (with
    /// `theta` its image), *overwrites* `gx` with d f / d x plus the gradient
    /// of the log-Jacobian.
    pub fn backprop(&self, x: &[f64], theta: &[f64], gtheta: &[f64], gx: &mut [f64]) {
        match *self {
            Transform::Identity if gtheta.len() == 1 => gx[0] = gtheta[0],
            Transform::Identity => gx.copy_from_slice(gtheta),
            Transform::Lower(a) => {
                for i in 0..x.len() {
                    gx[i] = gtheta[i] * (theta[i] - a) + 1.0;
                }
            }
            Transform::Upper(b) => {
                for i in 0..x.len() {
                    gx[i] = -gtheta[i] * (b - theta[i]) + 1.0;
                }
            }
            Transform::Interval(a, b) => {
                let w = b - a;
                for i in 0..x.len() {
                    let s = inv_logit(x[i]);
                    gx[i] = gtheta[i] * w * s * (1.0 - s) + 1.0 - 2.0 * s;
                }
            }
            Transform::Ordered => {
                // theta_k depends on x_j (j <= k): d theta_k / d x_0 = 1,
                // d theta_k / d x_j = exp(x_j) for 1 <= j <= k; so
                // d f / d x_j = exp(x_j) * sum_{k >= j} gtheta_k (+1 Jacobian).
                let mut tail = 0.0;
                for j in (0..x.len()).rev() {
                    tail += gtheta[j];
                    gx[j] = if j == 0 {
                        tail
                    } else {
                        x[j].exp() * tail + 1.0
                    };
                }
            }
            Transform::CumulativeLogit => {
                // With G_j = sum_{k>=j} g_k, q_j = w_j e^{-theta_j} (<= r_j) and
                // T_j = sum_{k>=j} (g_k - 1) e^{theta_j - theta_k} (each factor
                // <= 1, no overflow in the tails):
                // d f / d x_j = w_j G_j + q_j T_j + 1 - w_j (the log-Jacobian's
                // gradient is (1 - w_j) - w_j sum_{k>=j} e^{-theta_k}).
                let n = x.len();
                let (mut big_g, mut big_t) = (0.0, 0.0);
                for j in (0..n).rev() {
                    let u = x[j] - ((n - j) as f64).ln();
                    let w = inv_logit(u);
                    big_g += gtheta[j];
                    big_t = if j + 1 < n {
                        (gtheta[j] - 1.0) + (theta[j] - theta[j + 1]).exp() * big_t
                    } else {
                        gtheta[j] - 1.0
                    };
                    let q = (-log1p_exp(-u) - theta[j]).exp();
                    gx[j] = w * big_g + q * big_t + 1.0 - w;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fd_check(t: &Transform, x: &[f64]) {
        // f(theta) = sum_k c_k theta_k with fixed weights; the gradient of
        // f(constrain(x)) + logJ(x) must equal central differences.
        let n = x.len();
        let c: Vec<f64> = (0..n).map(|k| 0.3 + 0.1 * k as f64).collect();
        let f = |x: &[f64]| {
            let mut th = vec![0.0; n];
            let lj = t.constrain(x, &mut th);
            th.iter().zip(&c).map(|(a, b)| a * b).sum::<f64>() + lj
        };
        let mut th = vec![0.0; n];
        t.constrain(x, &mut th);
        let mut g = vec![0.0; n];
        t.backprop(x, &th, &c, &mut g);
        for i in 0..n {
            let h = 1e-6;
            let mut xp = x.to_vec();
            let mut xm = x.to_vec();
            xp[i] += h;
            xm[i] -= h;
            let fd = (f(&xp) - f(&xm)) / (2.0 * h);
            assert!(
                (fd - g[i]).abs() < 1e-6 * (1.0 + fd.abs()),
                "{t:?} {i}: {fd} vs {}",
                g[i]
            );
        }
    }

    #[test]
    fn transforms_gradients_match_finite_differences() {
        let x = [0.3, -1.2, 0.7];
        for t in [
            Transform::Identity,
            Transform::Lower(0.5),
            Transform::Upper(-1.0),
            Transform::Interval(-1.0, 1.0),
            Transform::Interval(2.0, 7.5),
            Transform::Ordered,
            Transform::CumulativeLogit,
        ] {
            fd_check(&t, &x);
        }
        // Far in the tails of the cutpoint transform (an empty lowest or
        // highest category, a nearly empty middle one).
        for x in [[-30.0, 2.0, 5.0], [3.0, -12.0, 25.0], [1.0, 2.0, 30.0]] {
            fd_check(&Transform::CumulativeLogit, &x);
        }
    }

    #[test]
    fn transforms_round_trip_and_known_values() {
        let mut th = [0.0; 3];
        let lj = Transform::Lower(0.0).constrain(&[0.0, 1.0, -1.0], &mut th);
        assert_eq!(th, [1.0, 1.0f64.exp(), (-1.0f64).exp()]);
        assert_eq!(lj, 0.0);
        // phi transform at 0 maps to 0 with Jacobian (b-a) * 1/4 = 1/2.
        let lj = Transform::Interval(-1.0, 1.0).constrain(&[0.0], &mut th[..1]);
        assert_eq!(th[0], 0.0);
        assert!((lj - 0.5f64.ln()).abs() < 1e-15);
        let lj = Transform::Ordered.constrain(&[1.0, 0.0, 2.0f64.ln()], &mut th);
        assert_eq!(th, [1.0, 2.0, 4.0]);
        assert!((lj - 2.0f64.ln()).abs() < 1e-15);
        for t in [
            Transform::Lower(0.5),
            Transform::Interval(-1.0, 1.0),
            Transform::Ordered,
            Transform::CumulativeLogit,
        ] {
            let x = [0.2, -0.4, 1.1];
            let mut th = [0.0; 3];
            t.constrain(&x, &mut th);
            let mut back = [0.0; 3];
            assert!(t.unconstrain(&th, &mut back).is_some());
            for i in 0..3 {
                assert!((back[i] - x[i]).abs() < 1e-12);
            }
        }
        let mut back = [0.0; 1];
        assert!(Transform::Lower(0.0)
            .unconstrain(&[-1.0], &mut back)
            .is_none());
        assert!(Transform::Interval(-1.0, 1.0)
            .unconstrain(&[1.0], &mut back)
            .is_none());
    }

    #[test]
    fn cumulative_logit_is_the_stick_breaking_simplex() {
        // theta_k = logit(p_1 + ... + p_k) for Stan's stick-breaking simplex p,
        // and log|d theta / d x| + log|d p / d theta| is the stick-breaking
        // log-Jacobian sum_k log w_k + log(1 - w_k) + log r_{k-1}, so that with
        // the induced Dirichlet on theta the density on x is Dirichlet(p) times
        // Stan's simplex Jacobian (the same model as `simplex[K] p`).
        let x = [0.4, -2.3, 1.7, 0.0, -0.6];
        let n = x.len();
        let mut th = [0.0; 5];
        let lj = Transform::CumulativeLogit.constrain(&x, &mut th);
        let (mut r, mut cum, mut sb) = (1.0, 0.0, 0.0);
        let mut dp = 0.0;
        for k in 0..n {
            let w = inv_logit(x[k] - ((n - k) as f64).ln());
            sb += w.ln() + (1.0 - w).ln() + f64::ln(r);
            cum += w * r;
            r *= 1.0 - w;
            assert!((inv_logit(th[k]) - cum).abs() < 1e-15, "{k}");
            let s = inv_logit(th[k]);
            dp += (s * (1.0 - s)).ln();
        }
        assert!((lj + dp - sb).abs() < 1e-12, "{} vs {sb}", lj + dp);
        // x = 0 is the uniform simplex: theta_k = logit(k / K).
        Transform::CumulativeLogit.constrain(&[0.0; 3], &mut th[..3]);
        for (k, t) in th.iter().take(3).enumerate() {
            let q = (k + 1) as f64 / 4.0;
            assert!((t - (q / (1.0 - q)).ln()).abs() < 1e-14);
        }
    }

    #[test]
    fn cumulative_logit_is_finite_and_ordered_in_the_tails() {
        for x in [
            [-800.0, -800.0, -800.0],
            [800.0, 800.0, 800.0],
            [-800.0, 0.0, 800.0],
            [40.0, -5.0, 0.0],
            [-40.0, 40.0, -3.0],
        ] {
            let mut th = [0.0; 3];
            let lj = Transform::CumulativeLogit.constrain(&x, &mut th);
            assert!(lj.is_finite(), "{x:?}: {lj}");
            assert!(th.iter().all(|t| t.is_finite()), "{x:?}: {th:?}");
            assert!(th[0] < th[1] && th[1] < th[2], "{x:?}: {th:?}");
            let mut g = [0.0; 3];
            Transform::CumulativeLogit.backprop(&x, &th, &[0.3, -0.2, 0.1], &mut g);
            assert!(g.iter().all(|v| v.is_finite()), "{x:?}: {g:?}");
        }
    }

    #[test]
    fn interval_jacobian_is_finite_in_the_tails() {
        let mut th = [0.0];
        let lj = Transform::Interval(-1.0, 1.0).constrain(&[800.0], &mut th);
        assert!(lj.is_finite());
        assert!((lj - (2.0f64.ln() - 800.0)).abs() < 1e-9);
    }

    #[test]
    fn helpers_are_stable() {
        assert!((log1p_exp(1000.0) - 1000.0).abs() < 1e-12);
        assert!((log1p_exp(-1000.0)).abs() < 1e-300);
        assert_eq!(inv_logit(-1000.0), 0.0);
        assert!((log_sum_exp(1000.0, 1000.0) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert!((log1m_exp(-1e-10) - (1e-10f64).ln()).abs() < 1e-6);
        assert!((log1m_exp(-5.0) - (1.0 - (-5.0f64).exp()).ln()).abs() < 1e-15);
    }
}
