// count_ar1 from a spec: Poisson with a latent stationary AR(1) on the log
// scale, non-centred, exact across gaps (here none); the Stan reference
// bench's count_ar1.stan with the gap rule of docs/model.md 3.3.
data {
  int<lower=2> N;
  array[N] int<lower=0> y;
  vector[N] x;            // indicator: arm = b
  vector[N] t;            // (d - dbar) / L, from the lowered MIR
  array[N] int day;       // time of each observation, increasing
}
parameters {
  real alpha;
  real delta;
  real beta;
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
  alpha ~ normal(0, 10);
  delta ~ normal(-0.5, 0.3);
  beta ~ normal(0, 1);
  sigma ~ normal(0, 5);     // half-normal through <lower=0>
  phi ~ uniform(-1, 1);
  z ~ std_normal();
  y ~ poisson_log(alpha + delta * x + beta * t + e);
}
