// NEGATIVE CONTROL for pool_normal_tea: one sigma for everyone instead of
// each person's own (trialc pool was run with each person's own).
data {
  int<lower=1> J;
  int<lower=1> N;
  array[J] int<lower=1> start;
  array[J] int<lower=1> len;
  vector[N] y;
  vector[N] x;
}
parameters {
  real mu;
  real<lower=0> tau;
  vector[J] z;
  vector[J] alpha;
  real<lower=0> sigma_all;
}
transformed parameters {
  vector[J] delta = mu + tau * z;
  vector[J] sigma = rep_vector(sigma_all, J);
}
model {
  mu ~ normal(0, 3);
  tau ~ normal(0, 1.25);
  z ~ std_normal();
  alpha ~ normal(5, 5);
  sigma_all ~ normal(0, 3);
  for (j in 1:J) {
    segment(y, start[j], len[j]) ~ normal(alpha[j] + delta[j] * segment(x, start[j], len[j]), sigma[j]);
  }
}
