// decay / pain: continuous, independent errors; after a switch the arm
// effect moves from the previous arm's to the current one's:
// eta += exp(-rate * s) * (effect[from] - effect[to]) on day s of the period.
data {
  int<lower=1> N;
  vector[N] y;
  vector[N] x;            // indicator: arm = naproxen
  int<lower=0> M;         // observations after a switch
  array[M] int<lower=1, upper=N> obs;
  vector[M] s;            // days since the switch (1 on the first day)
  vector[M] from_eff;     // 1 when the previous arm is naproxen
  vector[M] to_eff;       // 1 when the current arm is naproxen
}
parameters {
  real alpha;
  real delta;
  real<lower=0> rate;
  real<lower=0> sigma;
}
model {
  vector[N] eta = alpha + delta * x;
  for (m in 1:M) eta[obs[m]] += exp(-rate * s[m]) * delta * (from_eff[m] - to_eff[m]);
  alpha ~ normal(5, 2.5);
  delta ~ normal(0, 2);
  rate ~ gamma(2, 2);
  sigma ~ normal(0, 2);     // half-normal through <lower=0>
  y ~ normal(eta, sigma);
}
