// pool-series / latency pooled (trialc pool --manifest manifest.csv): each
// person's model is their spec's (intercept, effect, AR(1) errors exact
// across gaps with their own sigma and phi); the effect partially pooled on
// two standardised covariates (age, baseline), non-centred. Priors from the
// specs: intercept ~ normal(30, 20), sigma ~ half_normal(15), phi ~
// uniform(-1, 1); mu ~ the series spec's effect prior normal(0, 15); tau ~
// half_normal(22.5) and gamma ~ normal(0, 22.5) (trialc pool's defaults, S =
// (180 - 0) / 4 = 45, halved).
data {
  int<lower=1> J;
  int<lower=1> N;
  array[J] int<lower=1> start;
  array[J] int<lower=1> len;
  vector[N] y;
  vector[N] x;            // indicator: arm = glasses
  array[N] int day;       // trial day, increasing within each person
  int<lower=0> P;
  matrix[J, P] X;         // covariates standardised over the series
}
parameters {
  real mu;
  real<lower=0> tau;
  vector[P] gamma;
  vector[J] z;
  vector[J] alpha;
  vector<lower=0>[J] sigma;
  vector<lower=-1, upper=1>[J] phi;
}
transformed parameters {
  vector[J] delta = mu + X * gamma + tau * z;
}
model {
  mu ~ normal(0, 15);
  tau ~ normal(0, 22.5);
  gamma ~ normal(0, 22.5);
  z ~ std_normal();
  alpha ~ normal(30, 20);
  sigma ~ normal(0, 15);
  phi ~ uniform(-1, 1);
  for (j in 1:J) {
    int s = start[j];
    int n = len[j];
    vector[n] e = segment(y, s, n) - (alpha[j] + delta[j] * segment(x, s, n));
    e[1] ~ normal(0, sigma[j] / sqrt(1 - square(phi[j])));
    for (i in 2:n) {
      int g = day[s + i - 1] - day[s + i - 2];
      e[i] ~ normal(phi[j]^g * e[i - 1], sigma[j] * sqrt((1 - phi[j]^(2 * g)) / (1 - square(phi[j]))));
    }
  }
}
