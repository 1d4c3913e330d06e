// sleep-coach-styles / awakenings: neg_binomial_2 with log link, trend.
data {
  int<lower=1> N;
  array[N] int<lower=0> y;
  vector[N] x;            // indicator: arm = supportive
  vector[N] t;            // (d - dbar) / 28
}
parameters {
  real alpha;
  real delta;
  real beta;
  real<lower=0> psi;
}
model {
  alpha ~ normal(1, 1);
  delta ~ normal(0, 0.5);
  beta ~ normal(0, 0.5);
  psi ~ gamma(2, 0.1);
  y ~ neg_binomial_2_log(alpha + delta * x + beta * t, psi);
}
