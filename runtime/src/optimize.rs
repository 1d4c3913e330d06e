//! Posterior mode (L-BFGS via argmin) and a Laplace approximation around it
//! (Cholesky of the finite-difference Hessian of the exact gradient), used to
//! initialise chains and as a fast approximate fit.
//!
//! Both work on the unconstrained scale of the [`LogDensity`], i.e. with the
//! log-Jacobian included (Stan's `jacobian=true` mode, the one a Laplace
//! approximation of the sampled density needs). For unconstrained parameters
//! this is the ordinary posterior mode.

use crate::density::LogDensity;
use crate::rng::ChainRng;
use argmin::core::{
    CostFunction, Executor, Gradient, IterState, LineSearch, Problem, Solver, State,
    TerminationReason, KV,
};
use argmin::solver::quasinewton::LBFGS;
use nalgebra::DMatrix;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why an optimisation or Laplace approximation failed.
#[derive(Debug, Clone, PartialEq)]
pub enum OptimizeError {
    /// The starting point has a non-finite density or gradient.
    BadStart(Vec<String>),
    /// The solver stopped on an error.
    Solver(String),
    /// The optimiser stopped without reaching a point where the gradient is
    /// small: there is no mode to report.
    NotConverged {
        iterations: u64,
        grad_norm: f64,
        /// Why the last L-BFGS run stopped.
        reason: String,
    },
    /// The mode found has a non-finite density or gradient.
    NotFinite,
    /// The Hessian at the mode is not negative definite (no proper Gaussian
    /// approximation: flat or saddle direction).
    NotConcave,
}

impl fmt::Display for OptimizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptimizeError::BadStart(t) => {
                write!(f, "the starting point is not finite in: {}", t.join(", "))
            }
            OptimizeError::Solver(m) => write!(f, "L-BFGS failed: {m}"),
            OptimizeError::NotConverged {
                iterations,
                grad_norm,
                reason,
            } => write!(
                f,
                "L-BFGS did not converge after {iterations} iterations: the gradient norm is {grad_norm:.3e} ({reason})"
            ),
            OptimizeError::NotFinite => {
                f.write_str("the optimum has a non-finite log density or gradient")
            }
            OptimizeError::NotConcave => f.write_str(
                "the log density is not strictly concave at the mode: no Laplace approximation",
            ),
        }
    }
}

impl std::error::Error for OptimizeError {}

/// Settings for [`find_mode`].
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizeConfig {
    /// L-BFGS iterations in total, over all restarts.
    pub max_iters: u64,
    /// L-BFGS stops when the gradient's norm falls below this.
    pub tol_grad: f64,
    /// The point reached is reported as a mode only if its gradient norm is
    /// at most this (L-BFGS may stall slightly above `tol_grad` in rounding
    /// noise); otherwise [`OptimizeError::NotConverged`]. It is an absolute
    /// norm on the unconstrained scale: near a Gaussian mode the position
    /// error is about sd^2 times it (1e-3 sd for sd 1, 0.1 sd for sd 100).
    pub accept_grad: f64,
    /// L-BFGS memory.
    pub memory: usize,
    /// Longest first trial step of a line search (unconstrained scale);
    /// longer steps are reached by doubling, so a steep start cannot throw
    /// the first step into overflow.
    pub max_step: f64,
    /// L-BFGS runs restarted from the best point so far after a run stops
    /// without converging (a failed line search).
    pub max_restarts: usize,
}

impl Default for OptimizeConfig {
    fn default() -> Self {
        OptimizeConfig {
            max_iters: 2000,
            tol_grad: 1e-8,
            accept_grad: 1e-3,
            memory: 7,
            max_step: 10.0,
            max_restarts: 20,
        }
    }
}

/// The mode found.
#[derive(Debug, Clone, PartialEq)]
pub struct Mode {
    /// Unconstrained coordinates of the mode.
    pub x: Vec<f64>,
    pub lp: f64,
    pub grad_norm: f64,
    /// L-BFGS iterations, all runs together.
    pub iterations: u64,
    pub grad_evals: u64,
    /// L-BFGS runs (1 + restarts; 0 if the start was already a mode).
    pub runs: usize,
}

/// argmin minimises: cost = -logp. A non-finite density or gradient is
/// passed as cost +inf (with a zero gradient), never as an error, so the
/// solver's bookkeeping of the best point stays valid; a line search that
/// cannot cope with it ends the run, and [`find_mode`] restarts from the
/// best point with a bounded first step.
struct Negated<'a, D: LogDensity> {
    d: &'a D,
    evals: &'a AtomicU64,
}

impl<D: LogDensity> Negated<'_, D> {
    fn eval(&self, x: &[f64], g: &mut [f64]) -> f64 {
        self.evals.fetch_add(1, Ordering::Relaxed);
        let lp = self.d.logp_grad(x, g);
        if lp.is_finite() && g.iter().all(|v| v.is_finite()) {
            -lp
        } else {
            f64::INFINITY
        }
    }
}

impl<D: LogDensity> CostFunction for Negated<'_, D> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Self::Param) -> Result<f64, argmin::core::Error> {
        let mut g = vec![0.0; x.len()];
        Ok(self.eval(x, &mut g))
    }
}

impl<D: LogDensity> Gradient for Negated<'_, D> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Self::Param) -> Result<Vec<f64>, argmin::core::Error> {
        let mut g = vec![0.0; x.len()];
        let c = self.eval(x, &mut g);
        if !c.is_finite() {
            return Ok(vec![0.0; x.len()]);
        }
        Ok(g.into_iter().map(|v| -v).collect())
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// The line search of every L-BFGS step: the weak Wolfe conditions found by
/// bisection and doubling (Lewis & Overton 2013). A non-finite density at a
/// trial step counts as "too far" and halves the step, so a first step into
/// overflow is backed off instead of ending the run (argmin's More–Thuente
/// line search stops with an error on a non-finite value). An accepted step
/// satisfies the curvature condition, so L-BFGS's update stays positive
/// definite. The first trial step is at most `max_step` long.
#[derive(Debug, Clone)]
struct WolfeBisection {
    direction: Option<Vec<f64>>,
    alpha: f64,
    max_step: f64,
}

const WOLFE_C1: f64 = 1e-4;
const WOLFE_C2: f64 = 0.9;
const WOLFE_TRIALS: usize = 60;

impl LineSearch<Vec<f64>, f64> for WolfeBisection {
    fn search_direction(&mut self, direction: Vec<f64>) {
        self.direction = Some(direction);
    }
    fn initial_step_length(&mut self, alpha: f64) -> Result<(), argmin::core::Error> {
        if !(alpha > 0.0 && alpha.is_finite()) {
            return Err(argmin::core::Error::msg(
                "the initial step must be positive",
            ));
        }
        self.alpha = alpha;
        Ok(())
    }
}

type LineState = IterState<Vec<f64>, Vec<f64>, (), (), (), f64>;

impl<O> Solver<O, LineState> for WolfeBisection
where
    O: CostFunction<Param = Vec<f64>, Output = f64>
        + Gradient<Param = Vec<f64>, Gradient = Vec<f64>>,
{
    fn name(&self) -> &str {
        "weak Wolfe bisection"
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        mut state: LineState,
    ) -> Result<(LineState, Option<KV>), argmin::core::Error> {
        let x0 = state
            .take_param()
            .ok_or_else(|| argmin::core::Error::msg("line search without a start point"))?;
        let f0 = match state.get_cost() {
            c if c.is_finite() => c,
            _ => problem.cost(&x0)?,
        };
        let g0 = match state.take_gradient() {
            Some(g) => g,
            None => problem.gradient(&x0)?,
        };
        let d = self
            .direction
            .clone()
            .ok_or_else(|| argmin::core::Error::msg("line search without a direction"))?;
        let slope0 = dot(&g0, &d);
        if !(slope0 < 0.0) {
            return Err(argmin::core::Error::msg(
                "the L-BFGS direction is not a descent direction",
            ));
        }
        let mut t = self.alpha.min(self.max_step / norm(&d));
        let (mut lo, mut hi) = (0.0, f64::INFINITY);
        let mut x = x0.clone();
        for _ in 0..WOLFE_TRIALS {
            for ((xi, x0i), di) in x.iter_mut().zip(&x0).zip(&d) {
                *xi = x0i + t * di;
            }
            let f = problem.cost(&x)?;
            // `!(<=)` also rejects +inf and NaN.
            if !(f <= f0 + WOLFE_C1 * t * slope0) {
                hi = t;
            } else {
                let g = problem.gradient(&x)?;
                if dot(&g, &d) < WOLFE_C2 * slope0 {
                    lo = t;
                } else {
                    return Ok((
                        state
                            .param(x)
                            .cost(f)
                            .gradient(g)
                            .terminate_with(TerminationReason::SolverConverged),
                        None,
                    ));
                }
            }
            t = if hi.is_finite() {
                0.5 * (lo + hi)
            } else {
                2.0 * t
            };
        }
        Err(argmin::core::Error::msg(format!(
            "no step satisfying the Wolfe conditions in {WOLFE_TRIALS} trials"
        )))
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// One L-BFGS run from `x`; returns the best point it saw, its iterations
/// and why it stopped.
fn lbfgs_run<D: LogDensity>(
    problem: Negated<'_, D>,
    x: &[f64],
    alpha: f64,
    max_iters: u64,
    cfg: &OptimizeConfig,
) -> (Option<Vec<f64>>, u64, String) {
    let ls = WolfeBisection {
        direction: None,
        alpha,
        max_step: cfg.max_step,
    };
    let solver = match LBFGS::new(ls, cfg.memory.max(1))
        .with_tolerance_grad(cfg.tol_grad)
        .and_then(|s| s.with_tolerance_cost(0.0))
    {
        Ok(s) => s,
        Err(e) => return (None, 0, e.to_string()),
    };
    match Executor::new(problem, solver)
        .configure(|state| state.param(x.to_vec()).max_iters(max_iters))
        .run()
    {
        Ok(res) => {
            let state = res.state();
            let reason = state
                .get_termination_reason()
                .map_or_else(|| "no reason given".to_string(), |r| r.text().to_string());
            (state.get_best_param().cloned(), state.get_iter(), reason)
        }
        Err(e) => (None, 0, e.to_string()),
    }
}

/// Maximises the log density from `init` (unconstrained) with argmin's
/// L-BFGS and a weak Wolfe line search that backs off from non-finite
/// densities (see `WolfeBisection`).
///
/// A run that stops without converging (a failed line search) is restarted
/// from the best point so far with fresh memory, with a first step ten times
/// shorter when it made no progress. The result is a mode only if the
/// gradient norm there is at most `cfg.accept_grad`; otherwise
/// [`OptimizeError::NotConverged`] says how far it got.
pub fn find_mode<D: LogDensity>(
    d: &D,
    init: &[f64],
    cfg: &OptimizeConfig,
) -> Result<Mode, OptimizeError> {
    if init.len() != d.dim() {
        return Err(OptimizeError::BadStart(vec![format!(
            "expected {} values, got {}",
            d.dim(),
            init.len()
        )]));
    }
    let mut g = vec![0.0; d.dim()];
    let mut lp = d.logp_grad(init, &mut g);
    if !lp.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Err(OptimizeError::BadStart(d.nonfinite_terms(init)));
    }
    let evals = AtomicU64::new(1);
    let mut x = init.to_vec();
    let mut gn = norm(&g);
    let mut iterations = 0;
    let mut runs = 0;
    let mut shrink = 1.0;
    let mut stalled = 0;
    let mut reason = String::from("not started");
    let mut gc = vec![0.0; d.dim()];
    while gn > cfg.tol_grad && iterations < cfg.max_iters && runs <= cfg.max_restarts {
        let problem = Negated { d, evals: &evals };
        let (best, iters, why) = lbfgs_run(problem, &x, shrink, cfg.max_iters - iterations, cfg);
        runs += 1;
        iterations += iters.max(1);
        reason = why;
        let converged = reason == TerminationReason::SolverConverged.text();
        let improved = best.and_then(|cand| {
            evals.fetch_add(1, Ordering::Relaxed);
            let lc = d.logp_grad(&cand, &mut gc);
            (lc.is_finite() && gc.iter().all(|v| v.is_finite()) && lc > lp).then_some((cand, lc))
        });
        match improved {
            Some((cand, lc)) => {
                x = cand;
                lp = lc;
                std::mem::swap(&mut g, &mut gc);
                gn = norm(&g);
                shrink = 1.0;
                stalled = 0;
                // argmin stops at `tol_grad`; when that was measured at a
                // non-finite trial point (zero gradient) the check above
                // decides instead.
                if converged && gn <= cfg.accept_grad {
                    break;
                }
            }
            None => {
                // No progress. Near the mode this is rounding noise: stop.
                if gn <= cfg.accept_grad {
                    break;
                }
                // Otherwise a shorter first step, a few times at most.
                stalled += 1;
                if stalled > 4 {
                    break;
                }
                shrink *= 0.1;
            }
        }
    }
    if gn > cfg.accept_grad || gn.is_nan() {
        return Err(OptimizeError::NotConverged {
            iterations,
            grad_norm: gn,
            reason,
        });
    }
    Ok(Mode {
        grad_norm: gn,
        x,
        lp,
        iterations,
        grad_evals: evals.load(Ordering::Relaxed),
        runs,
    })
}

/// Gaussian approximation N(mode, cov) of the unconstrained posterior.
#[derive(Debug, Clone, PartialEq)]
pub struct Laplace {
    pub mode: Mode,
    /// Covariance, row-major dim x dim.
    pub cov: Vec<f64>,
    /// Lower Cholesky factor of `cov`, row-major.
    chol: Vec<f64>,
    /// log det(cov), for the evidence approximation.
    pub log_det_cov: f64,
}

impl Laplace {
    pub fn dim(&self) -> usize {
        self.mode.x.len()
    }

    /// Marginal standard deviations.
    pub fn sd(&self) -> Vec<f64> {
        let n = self.dim();
        (0..n).map(|i| self.cov[i * n + i].sqrt()).collect()
    }

    /// Laplace estimate of the log normalising constant of the density:
    /// lp(mode) + n/2 log(2π) + 1/2 log det(cov).
    pub fn log_evidence(&self) -> f64 {
        self.mode.lp + 0.5 * self.dim() as f64 * crate::density::LN_2PI + 0.5 * self.log_det_cov
    }

    /// `n` draws (row-major n x dim, unconstrained) from the approximation,
    /// reproducible from `seed` (ChaCha20 stream `u64::MAX` of the seed).
    pub fn draws(&self, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = ChainRng::new(seed, u64::MAX);
        let mut out = Vec::with_capacity(n * self.dim());
        for _ in 0..n {
            out.extend(self.draw(&mut rng));
        }
        out
    }

    /// One draw (unconstrained) from the approximation: mode + L z with
    /// z ~ N(0, I) from `rng`.
    pub fn draw(&self, rng: &mut ChainRng) -> Vec<f64> {
        let dim = self.dim();
        let z: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
        (0..dim)
            .map(|i| {
                let row = &self.chol[i * dim..i * dim + i + 1];
                self.mode.x[i] + row.iter().zip(&z).map(|(l, z)| l * z).sum::<f64>()
            })
            .collect()
    }
}

/// Mode plus the inverse of the negative Hessian, the Hessian from central
/// differences of the exact gradient (symmetrised).
pub fn laplace<D: LogDensity>(
    d: &D,
    init: &[f64],
    cfg: &OptimizeConfig,
) -> Result<Laplace, OptimizeError> {
    let mode = find_mode(d, init, cfg)?;
    let n = d.dim();
    let mut h = DMatrix::<f64>::zeros(n, n);
    let mut gp = vec![0.0; n];
    let mut gm = vec![0.0; n];
    let mut x = mode.x.clone();
    for j in 0..n {
        let step = 1e-5 * (1.0 + mode.x[j].abs());
        x[j] = mode.x[j] + step;
        let a = d.logp_grad(&x, &mut gp);
        x[j] = mode.x[j] - step;
        let b = d.logp_grad(&x, &mut gm);
        x[j] = mode.x[j];
        if !a.is_finite() || !b.is_finite() {
            return Err(OptimizeError::NotFinite);
        }
        for i in 0..n {
            h[(i, j)] = (gp[i] - gm[i]) / (2.0 * step);
        }
    }
    let neg_h = -(&h + h.transpose()) * 0.5;
    if neg_h.iter().any(|v| !v.is_finite()) {
        return Err(OptimizeError::NotFinite);
    }
    let chol_prec = neg_h.cholesky().ok_or(OptimizeError::NotConcave)?;
    let cov = chol_prec.inverse();
    let chol_cov = cov.clone().cholesky().ok_or(OptimizeError::NotConcave)?;
    let l = chol_cov.l();
    let log_det_cov = 2.0 * l.diagonal().iter().map(|v| v.ln()).sum::<f64>();
    let row_major = |m: &DMatrix<f64>| -> Vec<f64> {
        (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|(i, j)| m[(i, j)])
            .collect()
    };
    Ok(Laplace {
        mode,
        cov: row_major(&cov),
        chol: row_major(&l),
        log_det_cov,
    })
}
