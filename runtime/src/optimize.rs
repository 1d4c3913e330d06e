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
use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use nalgebra::DMatrix;
use std::fmt;

/// Why an optimisation or Laplace approximation failed.
#[derive(Debug, Clone, PartialEq)]
pub enum OptimizeError {
    /// The starting point has a non-finite density or gradient.
    BadStart(Vec<String>),
    /// The solver stopped on an error.
    Solver(String),
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
    pub max_iters: u64,
    /// Stop when the gradient's norm falls below this.
    pub tol_grad: f64,
    /// L-BFGS memory.
    pub memory: usize,
}

impl Default for OptimizeConfig {
    fn default() -> Self {
        OptimizeConfig {
            max_iters: 2000,
            tol_grad: 1e-8,
            memory: 7,
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
    pub iterations: u64,
    pub grad_evals: u64,
}

/// argmin minimises: cost = -logp. Non-finite values are passed as +inf so
/// that the line search backs off instead of failing.
struct Negated<'a, D: LogDensity> {
    d: &'a D,
    evals: std::sync::atomic::AtomicU64,
}

impl<D: LogDensity> Negated<'_, D> {
    fn eval(&self, x: &[f64], g: &mut [f64]) -> f64 {
        self.evals
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
            // A direction the line search will reject (its cost is +inf).
            return Ok(vec![0.0; x.len()]);
        }
        Ok(g.into_iter().map(|v| -v).collect())
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Maximises the log density from `init` (unconstrained) with L-BFGS.
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
    let lp0 = d.logp_grad(init, &mut g);
    if !lp0.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Err(OptimizeError::BadStart(d.nonfinite_terms(init)));
    }
    let problem = Negated {
        d,
        evals: std::sync::atomic::AtomicU64::new(1),
    };
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), cfg.memory.max(1))
        .with_tolerance_grad(cfg.tol_grad)
        .and_then(|s| s.with_tolerance_cost(0.0))
        .map_err(|e| OptimizeError::Solver(e.to_string()))?;
    let res = Executor::new(problem, solver)
        .configure(|state| state.param(init.to_vec()).max_iters(cfg.max_iters))
        .run()
        .map_err(|e| OptimizeError::Solver(e.to_string()))?;
    let iterations = res.state().get_iter();
    let x = res
        .state()
        .get_best_param()
        .cloned()
        .ok_or(OptimizeError::NotFinite)?;
    let grad_evals = res
        .problem()
        .problem
        .as_ref()
        .map(|p| p.evals.load(std::sync::atomic::Ordering::Relaxed));
    let lp = d.logp_grad(&x, &mut g);
    if !lp.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Err(OptimizeError::NotFinite);
    }
    Ok(Mode {
        grad_norm: norm(&g),
        x,
        lp,
        iterations,
        grad_evals: grad_evals.unwrap_or(0) + 1,
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
    /// reproducible from `seed`.
    pub fn draws(&self, n: usize, seed: u64) -> Vec<f64> {
        let dim = self.dim();
        let mut rng = ChainRng::new(seed, u64::MAX);
        let mut out = Vec::with_capacity(n * dim);
        let mut z = vec![0.0; dim];
        for _ in 0..n {
            for v in z.iter_mut() {
                *v = rng.normal();
            }
            for i in 0..dim {
                let row = &self.chol[i * dim..i * dim + i + 1];
                out.push(self.mode.x[i] + row.iter().zip(&z).map(|(l, z)| l * z).sum::<f64>());
            }
        }
        out
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
