// bp-chronotherapy / sbp: continuous, independent errors; student-t intercept
// prior and a two-component mixture prior on the effect.
data {
  int<lower=1> N;
  vector[N] y;
  vector[N] x;            // indicator: arm = evening
}
parameters {
  real alpha;
  real delta;
  real<lower=0> sigma;
}
model {
  alpha ~ student_t(3, 140, 15);
  target += log_mix(0.5, normal_lpdf(delta | -5, 3), normal_lpdf(delta | 0, 3));
  sigma ~ normal(0, 15);
  y ~ normal(alpha + delta * x, sigma);
}
