// magnesium-migraine / attack: bernoulli-logit, robust LFM mixture on the effect.
data {
  int<lower=1> N;
  array[N] int<lower=0, upper=1> y;
  vector[N] x;            // indicator: arm = magnesium
}
parameters {
  real alpha;
  real delta;
}
model {
  alpha ~ normal(-1, 1.5);
  // lfm.H2 (mean -0.5, sd 0.35) discount 0.5 robust 0.3, default vague normal(0, 2.5)
  target += log_mix(0.7, normal_lpdf(delta | -0.5, 0.35 / sqrt(0.5)), normal_lpdf(delta | 0, 2.5));
  y ~ bernoulli_logit(alpha + delta * x);
}
