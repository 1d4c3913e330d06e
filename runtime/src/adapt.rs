//! Warmup adaptation as in Stan: dual averaging of the step size
//! (`stepsize_adaptation.hpp`) and windowed diagonal metric estimation
//! (`windowed_adaptation.hpp`, `var_adaptation.hpp`), with Stan's constants.

/// Nesterov dual averaging of log step size toward a target acceptance.
#[derive(Debug, Clone)]
pub struct StepSizeAdapter {
    pub mu: f64,
    pub delta: f64,
    pub gamma: f64,
    pub kappa: f64,
    pub t0: f64,
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
        let x = self.mu - self.s_bar * self.counter.sqrt() / self.gamma;
        // ...and a polynomially weighted average of the iterates.
        let x_eta = self.counter.powf(-self.kappa);
        self.x_bar = (1.0 - x_eta) * self.x_bar + x_eta * x;
        x.exp()
    }

    /// Step size used after warmup: exp of the averaged iterate.
    pub fn final_stepsize(&self) -> f64 {
        self.x_bar.exp()
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
