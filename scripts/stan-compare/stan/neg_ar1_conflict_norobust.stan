// NEGATIVE CONTROL: ar1_conflict.stan without the robust mixture component.
// gaps; robust LFM mixture on the effect that the data contradict; no trend.
data {
  int<lower=2> N;
  vector[N] y;
  vector[N] x;            // indicator: arm = magnesium
  array[N] int day;       // trial day of each analysed observation, increasing
}
parameters {
  real alpha;
  real delta;
  real<lower=0> sigma;
  real<lower=-1, upper=1> phi;
}
model {
  vector[N] e = y - (alpha + delta * x);
  alpha ~ normal(5, 2.5);
  // NEGATIVE CONTROL: the robust component dropped (plain discounted normal)
  delta ~ normal(-1.2, 0.6 / sqrt(0.5));
  sigma ~ normal(0, 2);
  phi ~ uniform(-1, 1);
  e[1] ~ normal(0, sigma / sqrt(1 - square(phi)));
  for (i in 2:N) {
    int g = day[i] - day[i - 1];
    e[i] ~ normal(phi^g * e[i - 1], sigma * sqrt((1 - phi^(2 * g)) / (1 - square(phi))));
  }
}
