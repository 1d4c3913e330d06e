// hpi-milk-sleep / sleep_quality: continuous, independent normal errors.
data {
  int<lower=1> N;
  vector[N] y;
  vector[N] x;            // indicator: arm = warm_milk
}
parameters {
  real alpha;
  real delta;
  real<lower=0> sigma;
}
model {
  alpha ~ normal(5, 5);
  delta ~ normal(0, 3);
  sigma ~ normal(0, 3);
  y ~ normal(alpha + delta * x, sigma);
}
