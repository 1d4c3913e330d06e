// sleep-coach-styles / sleep_efficiency: continuous, AR(1) errors across gaps,
// phi ~ beta(2, 2) so phi lives on (0, 1) (support of the prior).
data {
  int<lower=2> N;
  vector[N] y;
  vector[N] x;            // indicator: arm = supportive
  vector[N] t;            // (d - dbar) / 28
  array[N] int day;
}
parameters {
  real alpha;
  real delta;
  real beta;
  real<lower=0> sigma;
  real<lower=0, upper=1> phi;
}
model {
  vector[N] e = y - (alpha + delta * x + beta * t);
  alpha ~ normal(75, 10);
  delta ~ normal(0, 5);
  beta ~ normal(0, 3);
  sigma ~ normal(0, 10);
  phi ~ beta(2, 2);
  e[1] ~ normal(0, sigma / sqrt(1 - square(phi)));
  for (i in 2:N) {
    int g = day[i] - day[i - 1];
    e[i] ~ normal(phi^g * e[i - 1], sigma * sqrt((1 - phi^(2 * g)) / (1 - square(phi))));
  }
}
