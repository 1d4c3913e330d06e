//! trialc runtime: log densities with exact gradients, the model IR and its
//! evaluator, NUTS with Stan's warmup, convergence diagnostics, MAP/Laplace and
//! PSIS leave-one-out cross-validation.

// Checks are written `!(x > 0.0)` on purpose: they must also reject NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod adapt;
pub mod density;
pub mod diagnostics;
pub mod fmt;
pub mod loo;
pub mod mir;
pub mod nuts;
pub mod optimize;
pub mod pool;
pub mod posterior;
pub mod predictive;
pub mod progress;
pub mod rng;
