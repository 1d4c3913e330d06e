// naproxen-dose / rescue: poisson-log, two active arms against placebo.
data {
  int<lower=1> N;
  array[N] int<lower=0> y;
  matrix[N, 2] X;         // indicators: naproxen_250, naproxen_500
}
parameters {
  real alpha;
  vector[2] delta;
}
model {
  alpha ~ normal(0, 1);
  delta ~ normal(0, 1);
  y ~ poisson_log(alpha + X * delta);
}
