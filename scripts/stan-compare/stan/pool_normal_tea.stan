// hpi-tea-series and hpi-window-series / sleep_quality pooled (trialc pool;
// the two specs have the same priors): each person's model
// is the spec's (intercept, effect, independent normal errors with their own
// sigma); the effect partially pooled, non-centred. Priors from the spec:
// intercept ~ normal(5, 5), sigma ~ half_normal(3); mu ~ the spec's effect
// prior normal(0, 3); tau ~ trialc pool's default half_normal(S / 2) with S
// = (10 - 0) / 4 = 2.5.
data {
  int<lower=1> J;
  int<lower=1> N;
  array[J] int<lower=1> start;
  array[J] int<lower=1> len;
  vector[N] y;
  vector[N] x;            // indicator: the non-reference arm
}
parameters {
  real mu;
  real<lower=0> tau;
  vector[J] z;
  vector[J] alpha;
  vector<lower=0>[J] sigma;
}
transformed parameters {
  vector[J] delta = mu + tau * z;
}
model {
  mu ~ normal(0, 3);
  tau ~ normal(0, 1.25);
  z ~ std_normal();
  alpha ~ normal(5, 5);
  sigma ~ normal(0, 3);
  for (j in 1:J) {
    segment(y, start[j], len[j]) ~ normal(alpha[j] + delta[j] * segment(x, start[j], len[j]), sigma[j]);
  }
}
