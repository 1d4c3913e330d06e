//! NUTS as in Stan's `base_nuts.hpp` with a diagonal metric: multinomial
//! sampling within subtrees, biased progressive sampling between them, the
//! generalized no-U-turn criterion with the extra checks across merged
//! subtrees; Stan's warmup (`adapt_diag_e_nuts`) and initialisation; several
//! chains in parallel, each on its own random stream.

use crate::adapt::{
    symmetric_accept, Adaptation, MetricEstimator, NutpieSchedule, StepSizeAdapter, VarAdapter,
};

/// When a trajectory (and each of its subtrees) stops growing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UTurn {
    /// Stan's generalized criterion on the summed momenta (rho) of the
    /// trajectory, with the extra checks across merged subtrees.
    #[default]
    Generalized,
    /// The original criterion of Hoffman & Gelman (2014) on the end-to-end
    /// displacement, (q_end - q_beg) . p >= 0 at both ends (in the metric's
    /// scaled coordinates this is the dot product with the velocity), with
    /// the same extra checks across merged subtrees: what nuts-rs / nutpie
    /// use. It stops slightly earlier than Stan's, which counts both end
    /// momenta fully in rho. Opt-in: not Stan's algorithm.
    Displacement,
}
use crate::density::{log_sum_exp, LogDensity};
use crate::rng::ChainRng;
use rayon::prelude::*;
use std::fmt;

/// Sampler settings; `Default` gives Stan's.
#[derive(Debug, Clone, PartialEq)]
pub struct NutsConfig {
    pub num_chains: usize,
    pub num_warmup: usize,
    pub num_draws: usize,
    pub seed: u64,
    pub max_depth: usize,
    pub target_accept: f64,
    /// A trajectory diverges when the energy error exceeds this.
    pub max_delta_h: f64,
    /// Initial values are uniform(-init_radius, init_radius).
    pub init_radius: f64,
    pub init_attempts: usize,
    /// Optional fixed initial point (unconstrained), e.g. from MAP.
    pub init: Option<Vec<f64>>,
    pub init_stepsize: f64,
    pub init_buffer: usize,
    pub term_buffer: usize,
    pub base_window: usize,
    /// Keep warmup draws' sample statistics (not the draws) in the result.
    pub keep_warmup_stats: bool,
    /// Metric estimator of the slow windows; Stan's by default.
    pub metric: MetricEstimator,
    /// Warmup schedule; Stan's by default. `Adaptation::Nutpie` ignores
    /// `metric`, `init_buffer`, `term_buffer` and `base_window`.
    pub adaptation: Adaptation,
    /// No-U-turn criterion; Stan's by default.
    pub uturn: UTurn,
    /// Ticked once per iteration of each chain, for a progress display; it
    /// does not affect the draws.
    pub progress: Option<ProgressCounter>,
}

/// A shared [`Counter`](crate::progress::Counter) in a configuration (equal
/// when it is the same counter).
#[derive(Debug, Clone)]
pub struct ProgressCounter(pub std::sync::Arc<crate::progress::Counter>);

impl PartialEq for ProgressCounter {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Default for NutsConfig {
    fn default() -> Self {
        NutsConfig {
            num_chains: 4,
            num_warmup: 1000,
            num_draws: 1000,
            seed: 1,
            max_depth: 10,
            target_accept: 0.8,
            max_delta_h: 1000.0,
            init_radius: 2.0,
            init_attempts: 100,
            init: None,
            init_stepsize: 1.0,
            init_buffer: 75,
            term_buffer: 50,
            base_window: 25,
            keep_warmup_stats: false,
            metric: MetricEstimator::Variance,
            adaptation: Adaptation::Stan,
            uturn: UTurn::Generalized,
            progress: None,
        }
    }
}

/// Per-draw statistics (Stan's `*__` columns).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SampleStats {
    pub lp: f64,
    pub accept_stat: f64,
    pub stepsize: f64,
    pub treedepth: u32,
    pub n_leapfrog: u32,
    pub divergent: bool,
    pub energy: f64,
}

/// One chain's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// Post-warmup draws, row-major `num_draws x dim`, unconstrained scale.
    pub draws: Vec<f64>,
    pub stats: Vec<SampleStats>,
    pub warmup_stats: Vec<SampleStats>,
    pub stepsize: f64,
    pub inv_metric: Vec<f64>,
    /// Log-density + gradient evaluations, warmup and initialisation included.
    pub n_grad_evals: u64,
}

/// All chains.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub dim: usize,
    pub names: Vec<String>,
    pub chains: Vec<Chain>,
}

impl Fit {
    /// Draws of coordinate `k` as `chains x draws`.
    pub fn coordinate(&self, k: usize) -> Vec<Vec<f64>> {
        self.chains
            .iter()
            .map(|c| {
                c.draws
                    .iter()
                    .skip(k)
                    .step_by(self.dim.max(1))
                    .copied()
                    .collect()
            })
            .collect()
    }

    /// Applies `f` to every draw (e.g. `MirDensity::constrain`), returning
    /// `chains x draws x outputs`.
    pub fn map_draws<T>(&self, mut f: impl FnMut(&[f64]) -> T) -> Vec<Vec<T>> {
        self.chains
            .iter()
            .map(|c| c.draws.chunks(self.dim.max(1)).map(&mut f).collect())
            .collect()
    }

    pub fn total_grad_evals(&self) -> u64 {
        self.chains.iter().map(|c| c.n_grad_evals).sum()
    }
}

/// Why sampling could not run.
#[derive(Debug, Clone, PartialEq)]
pub enum SampleError {
    /// No finite log density and gradient in `attempts` random inits; `terms`
    /// names what stayed non-finite in every attempt.
    Init {
        chain: usize,
        attempts: usize,
        terms: Vec<String>,
    },
    /// Step size search ran off to 0 or infinity (improper posterior).
    StepSize {
        chain: usize,
        message: String,
    },
    Config(String),
}

impl fmt::Display for SampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SampleError::Init { chain, attempts, terms } => write!(
                f,
                "chain {chain}: no initial value with a finite log density and gradient after {attempts} attempts; non-finite: {}",
                terms.join(", ")
            ),
            SampleError::StepSize { chain, message } => write!(f, "chain {chain}: {message}"),
            SampleError::Config(m) => write!(f, "invalid sampler settings: {m}"),
        }
    }
}

impl std::error::Error for SampleError {}

/// Runs all chains in parallel (rayon's current pool). Chain `c` uses stream
/// `c` of `seed`, so the result does not depend on the number of threads.
pub fn sample<D: LogDensity>(d: &D, cfg: &NutsConfig) -> Result<Fit, SampleError> {
    validate(d, cfg)?;
    let chains: Vec<Result<Chain, SampleError>> = (0..cfg.num_chains)
        .into_par_iter()
        .map(|c| run_chain(d, cfg, c))
        .collect();
    let chains = chains.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Fit {
        dim: d.dim(),
        names: d.coordinate_names(),
        chains,
    })
}

fn validate<D: LogDensity>(d: &D, cfg: &NutsConfig) -> Result<(), SampleError> {
    let bad = |m: &str| Err(SampleError::Config(m.into()));
    if d.dim() == 0 {
        return bad("the model has no parameters");
    }
    if cfg.num_chains == 0 {
        return bad("num_chains must be at least 1");
    }
    if cfg.max_depth == 0 || cfg.max_depth > 30 {
        return bad("max_depth must be in 1..=30");
    }
    if !(cfg.target_accept > 0.0 && cfg.target_accept < 1.0) {
        return bad("target_accept must be in (0, 1)");
    }
    if !(cfg.init_stepsize > 0.0 && cfg.init_stepsize.is_finite()) {
        return bad("init_stepsize must be positive and finite");
    }
    if !(cfg.init_radius >= 0.0 && cfg.init_radius.is_finite()) {
        return bad("init_radius must be non-negative and finite");
    }
    if !(cfg.max_delta_h > 0.0) {
        return bad("max_delta_h must be positive");
    }
    // Bound the draw storage so that a typo cannot abort on allocation.
    let cells = cfg
        .num_draws
        .checked_mul(d.dim())
        .and_then(|c| c.checked_mul(cfg.num_chains));
    if cells.is_none_or(|c| c > 1 << 31) {
        return bad("num_chains x num_draws x dimension exceeds 2^31 stored values");
    }
    if cfg.num_warmup > 1 << 31 {
        return bad("num_warmup is larger than 2^31");
    }
    if let Some(x) = &cfg.init {
        if x.len() != d.dim() {
            return bad("init has the wrong length");
        }
    }
    Ok(())
}

/// A point in phase space with its potential and gradient cached.
#[derive(Debug, Clone)]
struct Point {
    q: Vec<f64>,
    p: Vec<f64>,
    /// Gradient of the log density (= -dV/dq).
    g: Vec<f64>,
    /// Log density (= -V); non-finite means outside the support.
    lp: f64,
    /// Signed number of leapfrog steps from the start of the transition.
    idx: i64,
}

impl Point {
    fn new(n: usize) -> Self {
        Point {
            q: vec![0.0; n],
            p: vec![0.0; n],
            g: vec![0.0; n],
            lp: 0.0,
            idx: 0,
        }
    }
    fn copy_from(&mut self, o: &Point) {
        self.q.copy_from_slice(&o.q);
        self.p.copy_from_slice(&o.p);
        self.g.copy_from_slice(&o.g);
        self.lp = o.lp;
        self.idx = o.idx;
    }
}

/// Temporaries of one recursion level of `build_tree`, allocated once per
/// chain so that transitions do not allocate.
#[derive(Debug, Clone)]
struct Level {
    z_final: Point,
    p_init_end: Vec<f64>,
    ps_init_end: Vec<f64>,
    rho_init: Vec<f64>,
    p_final_beg: Vec<f64>,
    ps_final_beg: Vec<f64>,
    rho_final: Vec<f64>,
    /// Positions at the same points as p_init_end / p_final_beg
    /// (`UTurn::Displacement` only).
    q_init_end: Vec<f64>,
    q_final_beg: Vec<f64>,
}

impl Level {
    fn new(n: usize) -> Self {
        Level {
            z_final: Point::new(n),
            p_init_end: vec![0.0; n],
            ps_init_end: vec![0.0; n],
            rho_init: vec![0.0; n],
            p_final_beg: vec![0.0; n],
            ps_final_beg: vec![0.0; n],
            rho_final: vec![0.0; n],
            q_init_end: vec![0.0; n],
            q_final_beg: vec![0.0; n],
        }
    }
}

/// Top-level trajectory state of one transition.
#[derive(Debug, Clone)]
struct Top {
    z_fwd: Point,
    z_bck: Point,
    z_sample: Point,
    z_propose: Point,
    p_fwd_fwd: Vec<f64>,
    ps_fwd_fwd: Vec<f64>,
    p_fwd_bck: Vec<f64>,
    ps_fwd_bck: Vec<f64>,
    p_bck_fwd: Vec<f64>,
    ps_bck_fwd: Vec<f64>,
    p_bck_bck: Vec<f64>,
    ps_bck_bck: Vec<f64>,
    rho: Vec<f64>,
    rho_fwd: Vec<f64>,
    rho_bck: Vec<f64>,
    /// `UTurn::Displacement`: position and momentum of the old trajectory's
    /// end on the side being extended, positions of the new subtree's ends.
    q_old: Vec<f64>,
    p_old: Vec<f64>,
    q_sub_beg: Vec<f64>,
    q_sub_end: Vec<f64>,
}

impl Top {
    fn new(n: usize) -> Self {
        let v = || vec![0.0; n];
        Top {
            z_fwd: Point::new(n),
            z_bck: Point::new(n),
            z_sample: Point::new(n),
            z_propose: Point::new(n),
            p_fwd_fwd: v(),
            ps_fwd_fwd: v(),
            p_fwd_bck: v(),
            ps_fwd_bck: v(),
            p_bck_fwd: v(),
            ps_bck_fwd: v(),
            p_bck_bck: v(),
            ps_bck_bck: v(),
            rho: v(),
            rho_fwd: v(),
            rho_bck: v(),
            q_old: v(),
            p_old: v(),
            q_sub_beg: v(),
            q_sub_end: v(),
        }
    }
}

impl Top {
    /// Sets rho = rho_bck + rho_fwd and evaluates
    /// `criterion(ps_bck_bck, ps_fwd_fwd, rho, [])`,
    /// `criterion(ps_bck_bck, ps_fwd_bck, rho_bck, p_fwd_bck)` and
    /// `criterion(ps_bck_fwd, ps_fwd_fwd, rho_fwd, p_bck_fwd)` in one pass,
    /// each dot product accumulated in index order from -0.0 as `dot` does
    /// (the empty dot of the first check is a signed zero, which changes no
    /// comparison with 0).
    fn merge(&mut self, n: usize) -> bool {
        let rho = &mut self.rho[..n];
        let (rho_bck, rho_fwd) = (&self.rho_bck[..n], &self.rho_fwd[..n]);
        let (ps_ff, ps_fb) = (&self.ps_fwd_fwd[..n], &self.ps_fwd_bck[..n]);
        let (ps_bf, ps_bb) = (&self.ps_bck_fwd[..n], &self.ps_bck_bck[..n]);
        let (p_fb, p_bf) = (&self.p_fwd_bck[..n], &self.p_bck_fwd[..n]);
        let mut d = [-0.0f64; 10];
        for i in 0..n {
            rho[i] = rho_bck[i] + rho_fwd[i];
            d[0] += ps_ff[i] * rho[i];
            d[1] += ps_bb[i] * rho[i];
            d[2] += ps_fb[i] * rho_bck[i];
            d[3] += ps_fb[i] * p_fb[i];
            d[4] += ps_bb[i] * rho_bck[i];
            d[5] += ps_bb[i] * p_fb[i];
            d[6] += ps_ff[i] * rho_fwd[i];
            d[7] += ps_ff[i] * p_bf[i];
            d[8] += ps_bf[i] * rho_fwd[i];
            d[9] += ps_bf[i] * p_bf[i];
        }
        let whole = d[0] > 0.0 && d[1] > 0.0;
        let bck = d[2] + d[3] > 0.0 && d[4] + d[5] > 0.0;
        let fwd = d[6] + d[7] > 0.0 && d[8] + d[9] > 0.0;
        whole & bck & fwd
    }
}

#[cfg(test)]
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Generalized no-U-turn criterion on rho = rho1 + rho2 (summed lazily).
#[cfg(test)]
fn criterion(ps_minus: &[f64], ps_plus: &[f64], rho1: &[f64], rho2: &[f64]) -> bool {
    dot(ps_plus, rho1) + dot(ps_plus, rho2) > 0.0 && dot(ps_minus, rho1) + dot(ps_minus, rho2) > 0.0
}

/// The three checks of a merge of an initial and a final subtree:
/// `criterion(ps_beg, ps_end, rho_init, rho_final)` (the whole tree),
/// `criterion(ps_beg, ps_final_beg, rho_init, p_final_beg)` and
/// `criterion(ps_init_end, ps_end, rho_final, p_init_end)` (across the
/// halves), with the ten distinct dot products accumulated in one pass, each
/// in index order from -0.0 as `dot` does: the same sums, the same answer.
#[allow(clippy::too_many_arguments)]
#[inline]
fn merge_criteria(
    ps_beg: &[f64],
    ps_end: &[f64],
    ps_final_beg: &[f64],
    ps_init_end: &[f64],
    rho_init: &[f64],
    rho_final: &[f64],
    p_final_beg: &[f64],
    p_init_end: &[f64],
) -> bool {
    let n = ps_beg.len();
    let (ps_end, ps_final_beg, ps_init_end) = (&ps_end[..n], &ps_final_beg[..n], &ps_init_end[..n]);
    let (rho_init, rho_final) = (&rho_init[..n], &rho_final[..n]);
    let (p_final_beg, p_init_end) = (&p_final_beg[..n], &p_init_end[..n]);
    let mut d = [-0.0f64; 10];
    for i in 0..n {
        d[0] += ps_end[i] * rho_init[i];
        d[1] += ps_end[i] * rho_final[i];
        d[2] += ps_beg[i] * rho_init[i];
        d[3] += ps_beg[i] * rho_final[i];
        d[4] += ps_final_beg[i] * rho_init[i];
        d[5] += ps_final_beg[i] * p_final_beg[i];
        d[6] += ps_beg[i] * p_final_beg[i];
        d[7] += ps_end[i] * p_init_end[i];
        d[8] += ps_init_end[i] * rho_final[i];
        d[9] += ps_init_end[i] * p_init_end[i];
    }
    let whole = d[0] + d[1] > 0.0 && d[2] + d[3] > 0.0;
    let left = d[4] + d[5] > 0.0 && d[2] + d[6] > 0.0;
    let right = d[7] + d[1] > 0.0 && d[8] + d[9] > 0.0;
    whole & left & right
}

/// No U-turn on the span from `a` to `b` (`a` built first; `sign` is the
/// direction of time the span was built in): the displacement in forward
/// time, `sign (q_b - q_a)`, has a non-negative dot product with the
/// momentum at both ends.
#[inline]
fn no_turn(sign: f64, q_a: &[f64], q_b: &[f64], p_a: &[f64], p_b: &[f64]) -> bool {
    let n = q_a.len();
    let (q_b, p_a, p_b) = (&q_b[..n], &p_a[..n], &p_b[..n]);
    let (mut da, mut db) = (0.0, 0.0);
    for i in 0..n {
        let d = q_b[i] - q_a[i];
        da += d * p_a[i];
        db += d * p_b[i];
    }
    sign * da >= 0.0 && sign * db >= 0.0
}

struct Sampler<'a, D: LogDensity> {
    d: &'a D,
    n: usize,
    eps: f64,
    inv_metric: Vec<f64>,
    rng: ChainRng,
    max_depth: usize,
    max_delta_h: f64,
    n_grad: u64,
    z: Point,
    divergent: bool,
    /// Accumulate the symmetric acceptance statistic (nutpie warmup only:
    /// the default path does not pay for its exp).
    track_sym: bool,
    /// `UTurn::Displacement`: track the positions of subtree ends.
    displacement: bool,
    sum_sym: f64,
    /// Mean symmetric acceptance statistic of the last transition (when
    /// `track_sym`).
    sym_accept: f64,
    /// Per-transition buffers (allocated once per chain; taken out of the
    /// sampler for the duration of a transition, which needs `&mut self`).
    scratch: Option<Box<(Top, Vec<Level>)>>,
    /// The progress counter and this chain's index in it.
    progress: Option<(&'a crate::progress::Counter, usize)>,
}

impl<'a, D: LogDensity> Sampler<'a, D> {
    fn update_gradient(&mut self) {
        self.n_grad += 1;
        let lp = self.d.logp_grad(&self.z.q, &mut self.z.g);
        self.z.lp = if lp.is_nan() { f64::NEG_INFINITY } else { lp };
    }

    fn kinetic(&self, p: &[f64]) -> f64 {
        0.5 * p
            .iter()
            .zip(&self.inv_metric)
            .map(|(p, m)| p * p * m)
            .sum::<f64>()
    }

    /// H = V + tau; NaN becomes +inf (a divergence), as Stan.
    fn hamiltonian(&self) -> f64 {
        let h = -self.z.lp + self.kinetic(&self.z.p);
        if h.is_nan() {
            f64::INFINITY
        } else {
            h
        }
    }

    fn sample_momentum(&mut self) {
        for i in 0..self.n {
            self.z.p[i] = self.rng.normal() / self.inv_metric[i].sqrt();
        }
    }

    /// Leapfrog (Stan's `expl_leapfrog`).
    fn leapfrog(&mut self, eps: f64) {
        let half = 0.5 * eps;
        // Half step in p and full step in q fused: element i of q only
        // needs element i of the updated p (same operations, same values).
        let z = &mut self.z;
        for (((q, p), g), m) in z.q.iter_mut().zip(&mut z.p).zip(&z.g).zip(&self.inv_metric) {
            *p += half * g;
            *q += eps * m * *p;
        }
        self.update_gradient();
        let z = &mut self.z;
        for (p, g) in z.p.iter_mut().zip(&z.g) {
            *p += half * g;
        }
    }

    /// Stan's `init_stepsize`: double or halve until the one-step acceptance
    /// crosses 0.8.
    fn init_stepsize(&mut self, chain: usize) -> Result<(), SampleError> {
        if self.eps == 0.0 || self.eps > 1e7 || self.eps.is_nan() {
            return Ok(());
        }
        let z_init = self.z.clone();
        let one_step = |s: &mut Self| -> f64 {
            s.z.copy_from(&z_init);
            s.sample_momentum();
            let h0 = s.hamiltonian();
            let eps = s.eps;
            s.leapfrog(eps);
            h0 - s.hamiltonian()
        };
        let target = 0.8f64.ln();
        let dh = one_step(self);
        let up = dh > target;
        loop {
            let dh = one_step(self);
            if (up && !(dh > target)) || (!up && !(dh < target)) {
                break;
            }
            self.eps = if up { 2.0 * self.eps } else { 0.5 * self.eps };
            if self.eps > 1e7 {
                return Err(SampleError::StepSize {
                    chain,
                    message: "the step size grew beyond 1e7 during initialisation: the posterior is probably improper"
                        .into(),
                });
            }
            if self.eps == 0.0 {
                return Err(SampleError::StepSize {
                    chain,
                    message: "no acceptably small step size: the log density or its gradient is not finite near the initial value".into(),
                });
            }
        }
        self.z.copy_from(&z_init);
        Ok(())
    }

    /// One NUTS transition from `self.z` (position and gradient set).
    fn transition(&mut self) -> SampleStats {
        if let Some((counter, chain)) = self.progress {
            counter.tick(chain);
        }
        self.sample_momentum();
        self.z.idx = 0;
        self.sum_sym = 0.0;
        let mut scratch = self
            .scratch
            .take()
            .unwrap_or_else(|| Box::new((Top::new(self.n), Vec::new())));
        if scratch.1.len() < self.max_depth {
            scratch.1 = (0..self.max_depth).map(|_| Level::new(self.n)).collect();
        }
        let (top, levels) = &mut *scratch;
        let n = self.n;
        top.z_fwd.copy_from(&self.z);
        top.z_bck.copy_from(&self.z);
        top.z_sample.copy_from(&self.z);
        // z_propose is written by the first leaf before it is read.
        // Every end momentum is p, every sharp momentum M^-1 p, rho is p
        // (one pass).
        {
            let t = &mut *top;
            let (p, m) = (&self.z.p[..n], &self.inv_metric[..n]);
            let (p_ff, p_fb) = (&mut t.p_fwd_fwd[..n], &mut t.p_fwd_bck[..n]);
            let (p_bf, p_bb) = (&mut t.p_bck_fwd[..n], &mut t.p_bck_bck[..n]);
            let (ps_ff, ps_fb) = (&mut t.ps_fwd_fwd[..n], &mut t.ps_fwd_bck[..n]);
            let (ps_bf, ps_bb) = (&mut t.ps_bck_fwd[..n], &mut t.ps_bck_bck[..n]);
            let rho = &mut t.rho[..n];
            for i in 0..n {
                let (pi, psi) = (p[i], m[i] * p[i]);
                (p_ff[i], p_fb[i], p_bf[i], p_bb[i]) = (pi, pi, pi, pi);
                (ps_ff[i], ps_fb[i], ps_bf[i], ps_bb[i]) = (psi, psi, psi, psi);
                rho[i] = pi;
            }
        }
        let mut log_sum_weight = 0.0;
        let h0 = self.hamiltonian();
        let mut n_leapfrog = 0u32;
        let mut sum_metro = 0.0;
        let mut depth = 0usize;
        self.divergent = false;
        while depth < self.max_depth {
            let mut lsw_subtree = f64::NEG_INFINITY;
            // The trajectory end moves into self.z and back by swapping
            // buffers (the state left in the end's slot is overwritten).
            let forward = self.rng.uniform() > 0.5;
            if self.displacement {
                // self.z is about to hold the end being extended.
                let old = if forward { &top.z_fwd } else { &top.z_bck };
                top.q_old.copy_from_slice(&old.q);
                top.p_old.copy_from_slice(&old.p);
            }
            let valid = if forward {
                std::mem::swap(&mut self.z, &mut top.z_fwd);
                // The old trajectory becomes the backward half: its
                // forward end is the old forward end (Stan's base_nuts:
                // p_bck_fwd = p_fwd_fwd).
                let t = &mut *top;
                let (rho, rho_fwd, rho_bck) =
                    (&t.rho[..n], &mut t.rho_fwd[..n], &mut t.rho_bck[..n]);
                let (p_bf, p_ff) = (&mut t.p_bck_fwd[..n], &t.p_fwd_fwd[..n]);
                let (ps_bf, ps_ff) = (&mut t.ps_bck_fwd[..n], &t.ps_fwd_fwd[..n]);
                for i in 0..n {
                    rho_fwd[i] = 0.0;
                    rho_bck[i] = rho[i];
                    p_bf[i] = p_ff[i];
                    ps_bf[i] = ps_ff[i];
                }
                let v = self.build_tree(
                    depth,
                    levels,
                    &mut top.z_propose,
                    &mut top.ps_fwd_bck,
                    &mut top.ps_fwd_fwd,
                    &mut top.rho_fwd,
                    &mut top.p_fwd_bck,
                    &mut top.p_fwd_fwd,
                    &mut top.q_sub_beg,
                    &mut top.q_sub_end,
                    h0,
                    1.0,
                    &mut n_leapfrog,
                    &mut lsw_subtree,
                    &mut sum_metro,
                );
                std::mem::swap(&mut self.z, &mut top.z_fwd);
                v
            } else {
                std::mem::swap(&mut self.z, &mut top.z_bck);
                // The old trajectory becomes the forward half: its
                // backward end is the old backward end (p_fwd_bck =
                // p_bck_bck).
                let t = &mut *top;
                let (rho, rho_fwd, rho_bck) =
                    (&t.rho[..n], &mut t.rho_fwd[..n], &mut t.rho_bck[..n]);
                let (p_fb, p_bb) = (&mut t.p_fwd_bck[..n], &t.p_bck_bck[..n]);
                let (ps_fb, ps_bb) = (&mut t.ps_fwd_bck[..n], &t.ps_bck_bck[..n]);
                for i in 0..n {
                    rho_bck[i] = 0.0;
                    rho_fwd[i] = rho[i];
                    p_fb[i] = p_bb[i];
                    ps_fb[i] = ps_bb[i];
                }
                let v = self.build_tree(
                    depth,
                    levels,
                    &mut top.z_propose,
                    &mut top.ps_bck_fwd,
                    &mut top.ps_bck_bck,
                    &mut top.rho_bck,
                    &mut top.p_bck_fwd,
                    &mut top.p_bck_bck,
                    &mut top.q_sub_beg,
                    &mut top.q_sub_end,
                    h0,
                    -1.0,
                    &mut n_leapfrog,
                    &mut lsw_subtree,
                    &mut sum_metro,
                );
                std::mem::swap(&mut self.z, &mut top.z_bck);
                v
            };
            if !valid {
                break;
            }
            depth += 1;
            // Biased progressive sampling: favour the new subtree.
            // (Swaps, not copies: z_propose is rewritten before it is read.)
            if lsw_subtree > log_sum_weight {
                std::mem::swap(&mut top.z_sample, &mut top.z_propose);
            } else {
                let accept = (lsw_subtree - log_sum_weight).exp();
                if self.rng.uniform() < accept {
                    std::mem::swap(&mut top.z_sample, &mut top.z_propose);
                }
            }
            log_sum_weight = log_sum_exp(log_sum_weight, lsw_subtree);
            // rho = rho_bck + rho_fwd, and the checks around the merged
            // trajectory and across the two halves (rho of one side plus the
            // neighbouring end momentum of the other).
            if self.displacement {
                // The whole trajectory, and each half with the neighbouring
                // point of the other (in forward time: back end first).
                let t = &*top;
                let (bck, fwd) = (&t.z_bck, &t.z_fwd);
                let ok = no_turn(1.0, &bck.q, &fwd.q, &bck.p, &fwd.p)
                    && if forward {
                        no_turn(1.0, &t.q_old, &fwd.q, &t.p_old, &fwd.p)
                            && no_turn(1.0, &bck.q, &t.q_sub_beg, &bck.p, &t.p_fwd_bck)
                    } else {
                        no_turn(1.0, &bck.q, &t.q_old, &bck.p, &t.p_old)
                            && no_turn(1.0, &t.q_sub_beg, &fwd.q, &t.p_bck_fwd, &fwd.p)
                    };
                if !ok {
                    break;
                }
            } else if !top.merge(n) {
                break;
            }
        }
        let accept_stat = if n_leapfrog > 0 {
            sum_metro / n_leapfrog as f64
        } else {
            0.0
        };
        if self.track_sym {
            self.sym_accept = if n_leapfrog > 0 {
                self.sum_sym / n_leapfrog as f64
            } else {
                0.0
            };
        }
        std::mem::swap(&mut self.z, &mut top.z_sample);
        let energy = self.hamiltonian();
        self.scratch = Some(scratch);
        SampleStats {
            lp: self.z.lp,
            accept_stat,
            stepsize: self.eps,
            treedepth: depth as u32,
            n_leapfrog,
            divergent: self.divergent,
            energy,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn build_tree(
        &mut self,
        depth: usize,
        levels: &mut [Level],
        z_propose: &mut Point,
        ps_beg: &mut [f64],
        ps_end: &mut [f64],
        rho: &mut [f64],
        p_beg: &mut [f64],
        p_end: &mut [f64],
        q_beg: &mut [f64],
        q_end: &mut [f64],
        h0: f64,
        sign: f64,
        n_leapfrog: &mut u32,
        log_sum_weight: &mut f64,
        sum_metro: &mut f64,
    ) -> bool {
        if depth == 0 {
            self.leapfrog(sign * self.eps);
            *n_leapfrog += 1;
            let h = self.hamiltonian();
            if h - h0 > self.max_delta_h {
                self.divergent = true;
            }
            *log_sum_weight = log_sum_exp(*log_sum_weight, h0 - h);
            *sum_metro += if h0 - h > 0.0 { 1.0 } else { (h0 - h).exp() };
            self.z.idx += if sign > 0.0 { 1 } else { -1 };
            if self.track_sym {
                self.sum_sym += symmetric_accept(h - h0);
            }
            z_propose.copy_from(&self.z);
            // A one-point subtree: both ends are this point (one pass).
            let n = self.n;
            let (p, m) = (&self.z.p[..n], &self.inv_metric[..n]);
            let (ps_beg, ps_end, rho) = (&mut ps_beg[..n], &mut ps_end[..n], &mut rho[..n]);
            let (p_beg, p_end) = (&mut p_beg[..n], &mut p_end[..n]);
            for i in 0..n {
                let psi = m[i] * p[i];
                ps_beg[i] = psi;
                ps_end[i] = psi;
                rho[i] += p[i];
                p_beg[i] = p[i];
                p_end[i] = p[i];
            }
            if self.displacement {
                q_beg[..n].copy_from_slice(&self.z.q);
                q_end[..n].copy_from_slice(&self.z.q);
            }
            return !self.divergent;
        }
        let (lower, rest) = levels.split_at_mut(depth - 1);
        let Some(lv) = rest.first_mut() else {
            return false;
        };
        // Initial subtree.
        let mut lsw_init = f64::NEG_INFINITY;
        lv.rho_init.fill(0.0);
        let valid_init = self.build_tree(
            depth - 1,
            lower,
            z_propose,
            ps_beg,
            &mut lv.ps_init_end,
            &mut lv.rho_init,
            p_beg,
            &mut lv.p_init_end,
            q_beg,
            &mut lv.q_init_end,
            h0,
            sign,
            n_leapfrog,
            &mut lsw_init,
            sum_metro,
        );
        if !valid_init {
            return false;
        }
        // Final subtree (its proposal is written by its first leaf).
        let mut lsw_final = f64::NEG_INFINITY;
        lv.rho_final.fill(0.0);
        let valid_final = self.build_tree(
            depth - 1,
            lower,
            &mut lv.z_final,
            &mut lv.ps_final_beg,
            ps_end,
            &mut lv.rho_final,
            &mut lv.p_final_beg,
            p_end,
            &mut lv.q_final_beg,
            q_end,
            h0,
            sign,
            n_leapfrog,
            &mut lsw_final,
            sum_metro,
        );
        if !valid_final {
            return false;
        }
        // Multinomial (uniform, not biased) sample within the subtree.
        let lsw_subtree = log_sum_exp(lsw_init, lsw_final);
        *log_sum_weight = log_sum_exp(*log_sum_weight, lsw_subtree);
        // (Swaps, not copies: z_final is rewritten before it is read.)
        if lsw_final > lsw_subtree {
            std::mem::swap(z_propose, &mut lv.z_final);
        } else {
            let accept = (lsw_final - lsw_subtree).exp();
            if self.rng.uniform() < accept {
                std::mem::swap(z_propose, &mut lv.z_final);
            }
        }
        for ((r, a), b) in rho.iter_mut().zip(&lv.rho_init).zip(&lv.rho_final) {
            *r += a + b;
        }
        if self.displacement {
            return no_turn(sign, q_beg, q_end, p_beg, p_end)
                && no_turn(sign, q_beg, &lv.q_final_beg, p_beg, &lv.p_final_beg)
                && no_turn(sign, &lv.q_init_end, q_end, &lv.p_init_end, p_end);
        }
        merge_criteria(
            ps_beg,
            ps_end,
            &lv.ps_final_beg,
            &lv.ps_init_end,
            &lv.rho_init,
            &lv.rho_final,
            &lv.p_final_beg,
            &lv.p_init_end,
        )
    }
}

/// Runs one chain (initialisation, warmup with adaptation, sampling).
pub fn run_chain<D: LogDensity>(
    d: &D,
    cfg: &NutsConfig,
    chain: usize,
) -> Result<Chain, SampleError> {
    validate(d, cfg)?;
    let n = d.dim();
    let mut s = Sampler {
        d,
        n,
        eps: cfg.init_stepsize,
        inv_metric: vec![1.0; n],
        rng: ChainRng::new(cfg.seed, chain as u64),
        max_depth: cfg.max_depth,
        max_delta_h: cfg.max_delta_h,
        n_grad: 0,
        z: Point::new(n),
        divergent: false,
        track_sym: false,
        displacement: cfg.uturn == UTurn::Displacement,
        sum_sym: 0.0,
        sym_accept: 0.0,
        scratch: Some(Box::new((
            Top::new(n),
            (0..cfg.max_depth).map(|_| Level::new(n)).collect(),
        ))),
        progress: cfg.progress.as_ref().map(|p| (&*p.0, chain)),
    };
    initialise(&mut s, cfg, chain)?;

    let mut warmup_stats = Vec::with_capacity(if cfg.keep_warmup_stats {
        cfg.num_warmup
    } else {
        0
    });
    match cfg.adaptation {
        Adaptation::Stan => warmup_stan(&mut s, cfg, chain, &mut warmup_stats)?,
        Adaptation::Nutpie => warmup_nutpie(&mut s, cfg, chain, &mut warmup_stats)?,
    }

    let mut draws = Vec::with_capacity(cfg.num_draws * n);
    let mut stats = Vec::with_capacity(cfg.num_draws);
    for _ in 0..cfg.num_draws {
        let st = s.transition();
        draws.extend_from_slice(&s.z.q);
        stats.push(st);
    }
    Ok(Chain {
        draws,
        stats,
        warmup_stats,
        stepsize: s.eps,
        inv_metric: s.inv_metric,
        n_grad_evals: s.n_grad,
    })
}

/// Stan's warmup (`adapt_diag_e_nuts`): windowed metric, dual averaging
/// restarted after each metric update.
fn warmup_stan<D: LogDensity>(
    s: &mut Sampler<'_, D>,
    cfg: &NutsConfig,
    chain: usize,
    warmup_stats: &mut Vec<SampleStats>,
) -> Result<(), SampleError> {
    let n = s.n;
    let mut step = StepSizeAdapter::new(cfg.target_accept);
    // Stan sets mu from the user's step size before init_stepsize.
    step.mu = (10.0 * cfg.init_stepsize).ln();
    let mut var = VarAdapter::new(
        n,
        cfg.num_warmup,
        cfg.init_buffer,
        cfg.term_buffer,
        cfg.base_window,
    )
    .with_estimator(cfg.metric);
    s.init_stepsize(chain)?;

    for _ in 0..cfg.num_warmup {
        let st = s.transition();
        if cfg.keep_warmup_stats {
            warmup_stats.push(st);
        }
        s.eps = step.learn(st.accept_stat);
        let mut metric = std::mem::take(&mut s.inv_metric);
        let updated = var.learn(&mut metric, &s.z.q, &s.z.g);
        s.inv_metric = metric;
        if updated {
            s.init_stepsize(chain)?;
            step.mu = (10.0 * s.eps).ln();
            step.restart();
        }
    }
    if cfg.num_warmup > 0 {
        s.eps = step.final_stepsize();
    }
    Ok(())
}

/// nutpie's warmup (see `NutpieSchedule`): one dual averaging run, step
/// size re-initialised only at the first metric update, the symmetric
/// acceptance statistic in the late phase, the averaged iterate after the
/// last warmup draw.
fn warmup_nutpie<D: LogDensity>(
    s: &mut Sampler<'_, D>,
    cfg: &NutsConfig,
    chain: usize,
    warmup_stats: &mut Vec<SampleStats>,
) -> Result<(), SampleError> {
    let nw = cfg.num_warmup;
    if nw == 0 {
        // Nothing to adapt: unit metric, the step size of init_stepsize.
        return s.init_stepsize(chain);
    }
    let mut sched = NutpieSchedule::new(s.n, nw);
    let mut metric = std::mem::take(&mut s.inv_metric);
    sched.init(&mut metric, &s.z.q, &s.z.g);
    s.inv_metric = metric;
    s.init_stepsize(chain)?;
    let mut step = StepSizeAdapter::new(cfg.target_accept);
    step.max_stepsize = std::f64::consts::PI;
    step.recentre(s.eps);
    s.track_sym = true;
    let mut first_update = true;
    for i in 0..nw {
        let st = s.transition();
        if cfg.keep_warmup_stats {
            warmup_stats.push(st);
        }
        if i < sched.final_start() {
            // A draw that stayed at the start (or diverged next to it) says
            // little about the spread of the posterior.
            let good = if st.divergent {
                s.z.idx.abs() > 4
            } else {
                s.z.idx != 0
            };
            let mut metric = std::mem::take(&mut s.inv_metric);
            let out = sched.learn(i, &mut metric, &s.z.q, &s.z.g, good);
            s.inv_metric = metric;
            let eps = step.learn(if out.late {
                s.sym_accept
            } else {
                st.accept_stat
            });
            if out.metric_changed && first_update {
                first_update = false;
                s.init_stepsize(chain)?;
                step.recentre(s.eps);
            } else {
                s.eps = eps;
            }
        } else {
            s.eps = step.learn(s.sym_accept);
        }
    }
    s.track_sym = false;
    s.eps = step.final_stepsize();
    Ok(())
}

/// Stan's initialisation: uniform(-R, R) until the log density and its
/// gradient are finite.
fn initialise<D: LogDensity>(
    s: &mut Sampler<'_, D>,
    cfg: &NutsConfig,
    chain: usize,
) -> Result<(), SampleError> {
    let mut stuck: Option<Vec<String>> = None;
    let attempts = if cfg.init.is_some() {
        1
    } else {
        cfg.init_attempts.max(1)
    };
    for _ in 0..attempts {
        match &cfg.init {
            Some(x) => s.z.q.copy_from_slice(x),
            None => {
                for i in 0..s.n {
                    s.z.q[i] = cfg.init_radius * (2.0 * s.rng.uniform() - 1.0);
                }
            }
        }
        s.update_gradient();
        if s.z.lp.is_finite() && s.z.g.iter().all(|g| g.is_finite()) {
            return Ok(());
        }
        // Keep only what is non-finite in every attempt.
        let terms = s.d.nonfinite_terms(&s.z.q);
        stuck = Some(match stuck {
            None => terms,
            Some(prev) => prev.into_iter().filter(|t| terms.contains(t)).collect(),
        });
    }
    let mut terms = stuck.unwrap_or_default();
    if terms.is_empty() {
        terms.push("a different part in each attempt".into());
    }
    Err(SampleError::Init {
        chain,
        attempts,
        terms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors with mixed signs, zeros and signed zeros, so that the
    /// criteria land on both sides of 0.
    fn vectors(seed: u64, n: usize, k: usize) -> Vec<Vec<f64>> {
        let mut rng = ChainRng::new(seed, 0);
        (0..k)
            .map(|_| {
                (0..n)
                    .map(|_| match (rng.uniform() * 8.0) as u32 {
                        0 => 0.0,
                        1 => -0.0,
                        _ => rng.normal(),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn no_turn_by_hand() {
        // Forward in time from a = (0, 0) to b = (2, 1).
        let (qa, qb) = ([0.0, 0.0], [2.0, 1.0]);
        assert!(no_turn(1.0, &qa, &qb, &[1.0, 0.0], &[0.0, 1.0]));
        // The momentum at b points back along the displacement: U-turn.
        assert!(!no_turn(1.0, &qa, &qb, &[1.0, 0.0], &[-1.0, 1.0]));
        // Orthogonal counts as no U-turn (nuts-rs: turning iff < 0).
        assert!(no_turn(1.0, &qa, &qb, &[1.0, -2.0], &[1.0, 0.0]));
        // Built backward in time (b is earlier than a): the forward-time
        // displacement is a - b, so forward momenta at both ends mean a
        // U-turn of the span and backward ones none.
        assert!(!no_turn(-1.0, &qa, &qb, &[1.0, 0.0], &[1.0, 0.0]));
        assert!(no_turn(-1.0, &qa, &qb, &[-1.0, 0.0], &[-1.0, 0.0]));
    }

    #[test]
    fn fused_merge_checks_equal_the_separate_criteria() {
        for seed in 0..2000 {
            let n = 1 + (seed as usize % 5);
            let v = vectors(seed, n, 8);
            let expect = criterion(&v[0], &v[1], &v[4], &v[5])
                & criterion(&v[0], &v[2], &v[4], &v[6])
                & criterion(&v[3], &v[1], &v[5], &v[7]);
            let got = merge_criteria(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
            assert_eq!(got, expect, "seed {seed}");

            let mut top = Top::new(n);
            let w = vectors(seed + 10_000, n, 8);
            top.rho_bck.copy_from_slice(&w[0]);
            top.rho_fwd.copy_from_slice(&w[1]);
            top.ps_fwd_fwd.copy_from_slice(&w[2]);
            top.ps_fwd_bck.copy_from_slice(&w[3]);
            top.ps_bck_fwd.copy_from_slice(&w[4]);
            top.ps_bck_bck.copy_from_slice(&w[5]);
            top.p_fwd_bck.copy_from_slice(&w[6]);
            top.p_bck_fwd.copy_from_slice(&w[7]);
            let rho: Vec<f64> = w[0].iter().zip(&w[1]).map(|(a, b)| a + b).collect();
            let expect = criterion(&w[5], &w[2], &rho, &[])
                & criterion(&w[5], &w[3], &w[0], &w[6])
                & criterion(&w[4], &w[2], &w[1], &w[7]);
            assert_eq!(top.merge(n), expect, "seed {seed}");
            let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&top.rho), bits(&rho));
        }
    }
}
