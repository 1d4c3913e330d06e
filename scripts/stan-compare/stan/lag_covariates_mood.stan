// mood-walks / mood: continuous, independent normal errors, a lagged outcome
// weighted rho^g across a gap of g days, two standardised covariates.
// eta = alpha + delta * [arm = walking] + C * b + rho^gap * lagv
data {
  int<lower=1> N;
  vector[N] y;
  vector[N] x;            // indicator: arm = walking
  int<lower=1> K;
  matrix[N, K] C;         // covariates, centred and standardised by trialc
  vector[N] lagv;         // previous recorded mood, centred
  array[N] int<lower=1> gap;  // days since the previous recorded mood
}
parameters {
  real alpha;
  real delta;
  vector[K] b;
  real<lower=-1, upper=1> rho;
  real<lower=0> sigma;
}
model {
  vector[N] w;
  for (i in 1:N) w[i] = rho ^ gap[i];
  alpha ~ normal(5, 2.5);
  delta ~ normal(0, 1.5);
  b ~ normal(0, 1);
  rho ~ uniform(-1, 1);
  sigma ~ normal(0, 2);     // half-normal through <lower=0>
  y ~ normal(alpha + delta * x + C * b + w .* lagv, sigma);
}
