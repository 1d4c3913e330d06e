// latent_binary / attack: bernoulli-logit with a latent stationary AR(1) on
// the log-odds scale, non-centred, exact across the washout gaps.
data {
  int<lower=2> N;
  array[N] int<lower=0, upper=1> y;
  vector[N] x;            // indicator: arm = magnesium
  array[N] int day;       // trial day of each analysed observation, increasing
}
parameters {
  real alpha;
  real delta;
  real<lower=0> sigma;
  real<lower=-1, upper=1> phi;
  vector[N] z;
}
transformed parameters {
  vector[N] e;
  e[1] = sigma / sqrt(1 - square(phi)) * z[1];
  for (i in 2:N) {
    int g = day[i] - day[i - 1];
    e[i] = phi ^ g * e[i - 1] + sigma * sqrt((1 - phi ^ (2 * g)) / (1 - square(phi))) * z[i];
  }
}
model {
  alpha ~ normal(0, 1.5);
  delta ~ normal(0, 1);
  sigma ~ normal(0, 1);     // half-normal through <lower=0>
  phi ~ uniform(-1, 1);
  z ~ std_normal();
  y ~ bernoulli_logit(alpha + delta * x + e);
}
