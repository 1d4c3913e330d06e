// binomial / on_time: binomial-logit with the day's trials from the diary
// and a standardised covariate.
data {
  int<lower=1> N;
  array[N] int<lower=0> y;
  array[N] int<lower=1> n;   // trials (planned doses)
  vector[N] x;            // indicator: arm = app
  int<lower=1> K;
  matrix[N, K] C;         // workload, centred and standardised by trialc
}
parameters {
  real alpha;
  real delta;
  vector[K] b;
}
model {
  alpha ~ normal(0, 1.5);
  delta ~ normal(0, 1);
  b ~ normal(0, 0.5);
  y ~ binomial_logit(n, alpha + delta * x + C * b);
}
