//! Warmup adaptation as in Stan: dual averaging of the step size
//! (`stepsize_adaptation.hpp`) and windowed diagonal metric estimation
//! (`windowed_adaptation.hpp`, `var_adaptation.hpp`), with Stan's constants.
//!
//! Opt-in alternative ([`Adaptation::Nutpie`]): the design of the warmup
//! schedule of nutpie / nuts-rs 0.19 (its `adapt_strategy.rs`; Seyboldt et
//! al. 2024), reimplemented here on our own streams: the Fisher-divergence
//! diagonal updated after every draw from overlapping growing windows, one
//! dual averaging run through the whole warmup, and the symmetric acceptance
//! statistic ([`symmetric_accept`]) in the late phase.

/// Which warmup schedule adapts the step size and the diagonal metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Adaptation {
    /// Stan's: dual averaging restarted after each of the windows
    /// 75 / 25, 50, 100, 200, 500 / 50 of `VarAdapter`, on
    /// min(1, e^-dH); the metric estimator is `NutsConfig::metric`.
    #[default]
    Stan,
    /// nutpie's schedule ([`NutpieSchedule`]): the Fisher-divergence diagonal
    /// (whatever `NutsConfig::metric` says) re-estimated after every warmup
    /// draw, dual averaging never restarted, the symmetric acceptance
    /// statistic once the metric windows stop growing and in the final 15%
    /// of warmup, which adapts the step size only. Opt-in: not Stan's
    /// algorithm, and its draws are not pinned.
    Nutpie,
}

/// Symmetric acceptance statistic of one leapfrog state with energy error
/// `delta_h = H(state) - H(start)`: `2 / (1 + e^|delta_h|)`, i.e.
/// `2 min(1, e^-dH) / (1 + e^-dH)`. It equals 1 only without an energy
/// error and penalises energy gains as much as losses, so averaged over a
/// trajectory it does not reward the cancellation of large errors of both
/// signs. 0 for a divergent (infinite or NaN) error.
pub fn symmetric_accept(delta_h: f64) -> f64 {
    if delta_h.is_nan() {
        return 0.0;
    }
    2.0 / (1.0 + delta_h.abs().exp())
}

/// Nesterov dual averaging of log step size toward a target acceptance.
#[derive(Debug, Clone)]
pub struct StepSizeAdapter {
    pub mu: f64,
    pub delta: f64,
    pub gamma: f64,
    pub kappa: f64,
    pub t0: f64,
    /// Upper bound on the step size of every iterate (infinite for Stan).
    pub max_stepsize: f64,
    counter: f64,
    s_bar: f64,
    x_bar: f64,
}

impl StepSizeAdapter {
    /// Stan's defaults: delta 0.8, gamma 0.05, kappa 0.75, t0 10.
    pub fn new(delta: f64) -> Self {
        StepSizeAdapter {
            mu: 0.5,
            delta,
            gamma: 0.05,
            kappa: 0.75,
            t0: 10.0,
            max_stepsize: f64::INFINITY,
            counter: 0.0,
            s_bar: 0.0,
            x_bar: 0.0,
        }
    }

    /// Forgets the history (after a metric update).
    pub fn restart(&mut self) {
        self.counter = 0.0;
        self.s_bar = 0.0;
        self.x_bar = 0.0;
    }

    /// One dual-averaging update from the acceptance statistic of the last
    /// transition; returns the new step size.
    pub fn learn(&mut self, adapt_stat: f64) -> f64 {
        self.counter += 1.0;
        let a = if adapt_stat > 1.0 { 1.0 } else { adapt_stat };
        // Nesterov's primal-dual: running average of the acceptance error...
        let eta = 1.0 / (self.counter + self.t0);
        self.s_bar = (1.0 - eta) * self.s_bar + eta * (self.delta - a);
        // ...shrunk toward mu...
        // (A cap of ln(inf) = inf leaves Stan's iterate untouched; a NaN
        // iterate stays NaN, as in Stan, instead of becoming the cap.)
        let x = self.mu - self.s_bar * self.counter.sqrt() / self.gamma;
        let cap = self.max_stepsize.ln();
        let x = if x > cap { cap } else { x };
        // ...and a polynomially weighted average of the iterates.
        let x_eta = self.counter.powf(-self.kappa);
        self.x_bar = (1.0 - x_eta) * self.x_bar + x_eta * x;
        x.exp()
    }

    /// Step size used after warmup: exp of the averaged iterate.
    pub fn final_stepsize(&self) -> f64 {
        self.x_bar.exp()
    }

    /// Re-centres on a new initial step size (mu = log(10 eps), averaged
    /// iterate = log eps) but keeps the accumulated acceptance error and the
    /// iteration count: nutpie's response to its first metric update.
    pub fn recentre(&mut self, stepsize: f64) {
        self.mu = (10.0 * stepsize).ln();
        let cap = self.max_stepsize.ln();
        let x = stepsize.ln();
        self.x_bar = if x > cap { cap } else { x };
    }
}

/// Welford accumulator of per-coordinate mean and variance.
#[derive(Debug, Clone)]
struct Welford {
    n: f64,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl Welford {
    fn new(dim: usize) -> Self {
        Welford {
            n: 0.0,
            mean: vec![0.0; dim],
            m2: vec![0.0; dim],
        }
    }
    fn restart(&mut self) {
        self.n = 0.0;
        self.mean.fill(0.0);
        self.m2.fill(0.0);
    }
    fn add(&mut self, q: &[f64]) {
        self.n += 1.0;
        for ((m, s), &x) in self.mean.iter_mut().zip(self.m2.iter_mut()).zip(q) {
            let d = x - *m;
            *m += d / self.n;
            *s += d * (x - *m);
        }
    }
}

/// How a slow window turns its draws into a diagonal inverse metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricEstimator {
    /// Stan: the regularized sample variance of the positions.
    #[default]
    Variance,
    /// sqrt(var(q) / var(grad log p)) per coordinate, the diagonal that
    /// minimises the Fisher divergence (Seyboldt et al. 2024, the estimator
    /// nutpie / nuts-rs use), with Stan's shrinkage applied to it. Equal to
    /// the variance for a Gaussian with diagonal covariance; better for
    /// correlated posteriors. Opt-in: not Stan's algorithm.
    GradVariance,
}

/// Windowed diagonal metric adaptation: an initial fast buffer (step size
/// only), doubling slow windows that estimate the variance, a final fast
/// buffer.
#[derive(Debug, Clone)]
pub struct VarAdapter {
    num_warmup: usize,
    init_buffer: usize,
    term_buffer: usize,
    window_counter: usize,
    window_size: usize,
    next_window: usize,
    est: Welford,
    grad_est: Welford,
    estimator: MetricEstimator,
}

impl VarAdapter {
    /// Stan's `set_window_params`, including its fallback to 15% / 75% / 10%
    /// when the default buffers do not fit, and no adaptation below 20
    /// warmup iterations.
    pub fn new(
        dim: usize,
        num_warmup: usize,
        init_buffer: usize,
        term_buffer: usize,
        base_window: usize,
    ) -> Self {
        let (mut nw, mut ib, mut tb, mut bw) = (num_warmup, init_buffer, term_buffer, base_window);
        if num_warmup < 20 {
            // Stan leaves all window parameters at zero: never adapts.
            nw = 0;
            ib = 0;
            tb = 0;
            bw = 0;
        } else if init_buffer + base_window + term_buffer > num_warmup {
            ib = (0.15 * num_warmup as f64) as usize;
            tb = (0.1 * num_warmup as f64) as usize;
            bw = num_warmup - (ib + tb);
        }
        VarAdapter {
            num_warmup: nw,
            init_buffer: ib,
            term_buffer: tb,
            window_counter: 0,
            window_size: bw,
            // Stan computes init + size - 1 in unsigned arithmetic; with no
            // adaptation the window end is never reached.
            next_window: (ib + bw).wrapping_sub(1),
            est: Welford::new(dim),
            grad_est: Welford::new(0),
            estimator: MetricEstimator::Variance,
        }
    }

    /// Selects the estimator (the default is Stan's).
    pub fn with_estimator(mut self, estimator: MetricEstimator) -> Self {
        self.estimator = estimator;
        if estimator == MetricEstimator::GradVariance {
            self.grad_est = Welford::new(self.est.mean.len());
        }
        self
    }

    fn in_window(&self) -> bool {
        let c = self.window_counter;
        c >= self.init_buffer && c + self.term_buffer < self.num_warmup && c != self.num_warmup
    }

    fn end_of_window(&self) -> bool {
        self.window_counter == self.next_window && self.window_counter != self.num_warmup
    }

    fn compute_next_window(&mut self) {
        let last = (self.num_warmup - self.term_buffer).wrapping_sub(1);
        if self.next_window == last {
            return;
        }
        self.window_size *= 2;
        self.next_window = self.window_counter + self.window_size;
        if self.next_window != last {
            let boundary = self.next_window + 2 * self.window_size;
            if boundary >= self.num_warmup - self.term_buffer {
                self.next_window = last;
            }
        }
    }

    /// Records the position of one warmup iteration; at the end of a slow
    /// window writes the regularized variance into `inv_metric` and returns
    /// true (the caller then re-initializes the step size).
    pub fn learn(&mut self, inv_metric: &mut [f64], q: &[f64], grad: &[f64]) -> bool {
        if self.in_window() {
            self.est.add(q);
            if self.estimator == MetricEstimator::GradVariance {
                self.grad_est.add(grad);
            }
        }
        if self.end_of_window() {
            self.compute_next_window();
            let n = self.est.n;
            for (i, v) in inv_metric.iter_mut().enumerate() {
                let var = self.est.m2[i] / (n - 1.0);
                let est = match self.estimator {
                    MetricEstimator::Variance => var,
                    MetricEstimator::GradVariance => {
                        let gvar = self.grad_est.m2[i] / (n - 1.0);
                        let r = (var / gvar).sqrt();
                        // A coordinate the density does not depend on has
                        // no gradient variance: fall back to the variance.
                        if r.is_finite() && r > 0.0 {
                            r
                        } else {
                            var
                        }
                    }
                };
                // Shrink toward 1e-3 with weight 5/(n+5), as Stan. Where Stan
                // would throw on a non-finite variance, keep the old value.
                let new = (n / (n + 5.0)) * est + 1e-3 * (5.0 / (n + 5.0));
                if new.is_finite() && new > 0.0 {
                    *v = new;
                }
            }
            self.est.restart();
            self.grad_est.restart();
            self.window_counter += 1;
            return true;
        }
        self.window_counter += 1;
        false
    }
}

/// nutpie's warmup schedule for the metric, and which acceptance statistic
/// the step size adapts on. With `N` warmup draws: the final
/// `floor(0.15 N)` draws adapt the step size only; before them, the metric
/// is re-estimated after every draw from a foreground estimator while a
/// background estimator collects the same draws; when the background holds
/// a full window it becomes the foreground and a new background starts
/// (windows of 10 draws in the first `floor(0.3 N)`, then 80 growing by 1.5x).
/// A window that would end inside the final phase is not started: from
/// then on the phase is "late" (symmetric acceptance statistic) and the
/// foreground keeps growing. The estimate is sqrt(var(q) / var(grad)) per
/// coordinate, unshrunk (clamped to [1e-20, 1e20]); the initial metric is
/// 1 / |grad| at the initial point.
#[derive(Debug, Clone)]
pub struct NutpieSchedule {
    early_end: usize,
    final_start: usize,
    early_window: usize,
    window: usize,
    growth: f64,
    last_update: usize,
    fg_q: Welford,
    fg_g: Welford,
    bg_q: Welford,
    bg_g: Welford,
}

/// What one warmup draw did to the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NutpieStep {
    /// Adapt the step size on the symmetric statistic.
    pub late: bool,
    /// The metric was re-estimated.
    pub metric_changed: bool,
}

impl NutpieSchedule {
    pub fn new(dim: usize, num_warmup: usize) -> Self {
        let n = num_warmup as f64;
        NutpieSchedule {
            early_end: (0.3 * n) as usize,
            final_start: num_warmup - (0.15 * n) as usize,
            early_window: 10,
            window: 80,
            growth: 1.5,
            last_update: 0,
            fg_q: Welford::new(dim),
            fg_g: Welford::new(dim),
            bg_q: Welford::new(dim),
            bg_g: Welford::new(dim),
        }
    }

    /// First warmup draw of the step-size-only phase.
    pub fn final_start(&self) -> usize {
        self.final_start
    }

    /// Counts the initial point in both estimators and sets the initial
    /// metric to 1 / |grad| (1 where the gradient is zero or not finite).
    pub fn init(&mut self, inv_metric: &mut [f64], q: &[f64], grad: &[f64]) {
        self.add(q, grad);
        for (m, g) in inv_metric.iter_mut().zip(grad) {
            let a = g.abs();
            *m = if a.is_finite() && a > 0.0 {
                1.0 / a.clamp(1e-20, 1e20)
            } else {
                1.0
            };
        }
    }

    fn add(&mut self, q: &[f64], grad: &[f64]) {
        self.fg_q.add(q);
        self.fg_g.add(grad);
        self.bg_q.add(q);
        self.bg_g.add(grad);
    }

    /// Warmup draw `i` (`i < final_start()`) ended at `q` with gradient
    /// `grad`; `good` is false when the chain did not move (or diverged
    /// within 4 steps of the start), and such a draw is not counted.
    pub fn learn(
        &mut self,
        i: usize,
        inv_metric: &mut [f64],
        q: &[f64],
        grad: &[f64],
        good: bool,
    ) -> NutpieStep {
        let early = i < self.early_end;
        if i == self.early_end {
            // Never shrink the window below what the background holds.
            self.window = self.window.max(self.bg_q.n as usize);
        }
        if good {
            self.add(q, grad);
        }
        let (size, next) = if early {
            (self.early_window, self.early_window)
        } else {
            let grown = (self.window as f64 * self.growth).round() as usize;
            (self.window, grown.max(self.window + 1))
        };
        let late = i + next > self.final_start;
        let mut switched = false;
        if !late && self.bg_q.n as usize >= size {
            std::mem::swap(&mut self.fg_q, &mut self.bg_q);
            std::mem::swap(&mut self.fg_g, &mut self.bg_g);
            self.bg_q.restart();
            self.bg_g.restart();
            if !early {
                self.window = next;
            }
            switched = true;
        }
        let mut metric_changed = false;
        if (switched || i > self.last_update) && self.fg_q.n >= 3.0 {
            for (k, m) in inv_metric.iter_mut().enumerate() {
                let r = (self.fg_q.m2[k] / self.fg_g.m2[k]).sqrt();
                if r.is_finite() && r > 0.0 {
                    *m = r.clamp(1e-20, 1e20);
                }
            }
            metric_changed = true;
            self.last_update = i;
        }
        NutpieStep {
            late,
            metric_changed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stan_default_windows_end_where_stan_ends_them() {
        // Stan with 1000 warmup: windows end at iterations 99, 149, 249, 449, 949
        // (0-based counter), i.e. 25, 50, 100, 200, 500 draws.
        let mut a = VarAdapter::new(1, 1000, 75, 50, 25);
        let mut m = [1.0];
        let mut ends = Vec::new();
        for i in 0..1000 {
            if a.learn(&mut m, &[i as f64], &[0.0]) {
                ends.push(i);
            }
        }
        assert_eq!(ends, vec![99, 149, 249, 449, 949]);
        // Last window holds draws 450..=949: variance of 0..500 consecutive integers.
        let n = 500.0;
        let var = n * (n + 1.0) / 12.0;
        let expect = n / (n + 5.0) * var + 1e-3 * 5.0 / (n + 5.0);
        assert!((m[0] - expect).abs() < 1e-9 * expect);
    }

    #[test]
    fn short_warmup_falls_back_like_stan() {
        let mut a = VarAdapter::new(1, 100, 75, 50, 25);
        let mut m = [1.0];
        let ends: Vec<usize> = (0..100)
            .filter(|&i| a.learn(&mut m, &[i as f64], &[0.0]))
            .collect();
        // 15 / 75 / 10: a single window 15..=89.
        assert_eq!(ends, vec![89]);
        let mut a = VarAdapter::new(1, 10, 75, 50, 25);
        assert!(!(0..10).any(|i| a.learn(&mut m, &[i as f64], &[0.0])));
    }

    #[test]
    fn gradient_variance_estimator_recovers_a_gaussian_variance() {
        // Positions of a N(0, 4) coordinate with their exact gradients -q/4:
        // sqrt(var(q) / var(g)) = 4 whatever the positions.
        let mut a =
            VarAdapter::new(2, 1000, 75, 50, 25).with_estimator(MetricEstimator::GradVariance);
        let mut m = [1.0, 1.0];
        let mut last = false;
        for i in 0..1000 {
            let q = [((i * 7919) % 101) as f64 / 10.0 - 5.0, (i % 13) as f64];
            // Second coordinate: a flat direction (zero gradient) falls back
            // to the variance.
            last = a.learn(&mut m, &q, &[-q[0] / 4.0, 0.0]);
            if i == 949 {
                assert!(last);
                break;
            }
        }
        assert!(last);
        let n = 500.0;
        let shrink = |v: f64| n / (n + 5.0) * v + 1e-3 * 5.0 / (n + 5.0);
        assert!((m[0] - shrink(4.0)).abs() < 1e-9, "{}", m[0]);
        // Draws 450..=949 of i % 13.
        let xs: Vec<f64> = (450..950).map(|i| (i % 13) as f64).collect();
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        assert!((m[1] - shrink(var)).abs() < 1e-9);
    }

    /// Runs the schedule with every draw good; returns the draws at which the
    /// phase turned late and at which the metric changed.
    fn nutpie_phases(num_warmup: usize) -> (Option<usize>, Vec<usize>, NutpieSchedule) {
        let mut s = NutpieSchedule::new(1, num_warmup);
        let mut m = [1.0];
        s.init(&mut m, &[18.0], &[-2.0]);
        assert_eq!(m[0], 0.5, "initial metric 1 / |grad|");
        let mut first_late = None;
        let mut changes = Vec::new();
        for i in 0..s.final_start() {
            let q = [((i * 7919) % 101) as f64];
            let out = s.learn(i, &mut m, &q, &[-q[0] / 9.0], true);
            if out.late && first_late.is_none() {
                first_late = Some(i);
            }
            if !out.late {
                assert!(first_late.is_none(), "late is final");
            }
            if out.metric_changed {
                changes.push(i);
                // Gaussian with variance 9: var(q) / var(grad) = 81.
                assert!((m[0] - 9.0).abs() < 1e-9, "{}", m[0]);
            }
        }
        (first_late, changes, s)
    }

    #[test]
    fn nutpie_schedule_phases_by_hand() {
        // 1000 warmup: step size only from 850; early windows of 10 until
        // 300, then windows of 80, 120, 180: the next one (270) would end
        // after 850, so the phase is late from draw 851 - 270 = 581.
        let (late, changes, s) = nutpie_phases(1000);
        assert_eq!(s.final_start(), 850);
        assert_eq!(late, Some(581));
        // The foreground holds the initial point and draw 0 after draw 0;
        // from draw 1 on (3 points) the metric is re-estimated every draw.
        assert_eq!(changes, (1..850).collect::<Vec<_>>());
        // 150 warmup: final phase from 128; the first main window (120)
        // cannot fit after draw 45, so the phase is late from there.
        let (late, _, s) = nutpie_phases(150);
        assert_eq!(s.final_start(), 128);
        assert_eq!(late, Some(45));
        // 10 warmup: final phase from 9, late from draw 0 (0 + 10 > 9).
        let (late, changes, s) = nutpie_phases(10);
        assert_eq!(s.final_start(), 9);
        assert_eq!(late, Some(0));
        assert_eq!(changes, (1..9).collect::<Vec<_>>());
        // 1 warmup: no metric phase at all.
        let (late, changes, s) = nutpie_phases(1);
        assert_eq!((s.final_start(), late, changes.len()), (1, Some(0), 0));
    }

    #[test]
    fn nutpie_schedule_skips_bad_draws_and_keeps_invalid_estimates_out() {
        let mut s = NutpieSchedule::new(2, 1000);
        let mut m = [1.0, 1.0];
        // A zero gradient gives the unit metric, not 1 / 0.
        s.init(&mut m, &[0.0, 0.0], &[2.0, 0.0]);
        assert_eq!(m, [0.5, 1.0]);
        // Draws that did not move are not counted: no estimate from 2 points.
        for i in 0..5 {
            let out = s.learn(i, &mut m, &[9.0, 9.0], &[1.0, 1.0], false);
            assert!(!out.metric_changed);
        }
        // Second coordinate: a gradient that is always 0 (no variance)
        // keeps its old value.
        s.learn(5, &mut m, &[1.0, 1.0], &[-1.0, 0.0], true);
        let out = s.learn(6, &mut m, &[2.0, 2.0], &[-2.0, 0.0], true);
        assert!(out.metric_changed);
        // q: 0, 1, 2; grad: 2, -1, -2 (var of q 1, of grad 13/3).
        assert!((m[0] - (3.0f64 / 13.0).sqrt()).abs() < 1e-12, "{}", m[0]);
        assert_eq!(m[1], 1.0);
    }

    #[test]
    fn symmetric_accept_by_hand() {
        assert_eq!(symmetric_accept(0.0), 1.0);
        // e^|dH| = 3: 2 / 4.
        assert!((symmetric_accept(3f64.ln()) - 0.5).abs() < 1e-15);
        assert!((symmetric_accept(-(3f64.ln())) - 0.5).abs() < 1e-15);
        assert_eq!(symmetric_accept(f64::INFINITY), 0.0);
        assert_eq!(symmetric_accept(f64::NAN), 0.0);
    }

    #[test]
    fn recentre_keeps_the_accumulated_error() {
        let mut a = StepSizeAdapter::new(0.8);
        a.mu = 10f64.ln();
        a.learn(0.5);
        let mut b = a.clone();
        b.recentre(0.1);
        assert!((b.final_stepsize() - 0.1).abs() < 1e-15);
        // Second update: counter 2, s_bar from both errors, new mu.
        let e = b.learn(0.9);
        let s_bar = (1.0 - 1.0 / 12.0) * (0.3 / 11.0) + (0.8 - 0.9) / 12.0;
        let x = 1f64.ln() - s_bar * 2f64.sqrt() / 0.05;
        assert!((e - x.exp()).abs() < 1e-12, "{e} vs {}", x.exp());
        // The cap applies to every iterate.
        let mut c = StepSizeAdapter::new(0.8);
        c.max_stepsize = std::f64::consts::PI;
        c.mu = 1000f64.ln();
        assert_eq!(c.learn(1.0), std::f64::consts::PI.ln().exp());
    }

    #[test]
    fn dual_averaging_first_step_matches_hand_computation() {
        let mut s = StepSizeAdapter::new(0.8);
        s.mu = (10.0f64).ln();
        let e = s.learn(0.5);
        // s_bar = (0.8-0.5)/11; x = mu - s_bar / 0.05; x_bar = x.
        let x = 10f64.ln() - (0.3 / 11.0) / 0.05;
        assert!((e - x.exp()).abs() < 1e-14);
        assert!((s.final_stepsize() - x.exp()).abs() < 1e-14);
    }
}
