// clock / heart_rate: continuous, AR(1) errors exact across gaps counted in
// hours (the diary's clock), several readings a day.
data {
  int<lower=2> N;
  vector[N] y;
  vector[N] x;            // indicator: arm = bisoprolol
  array[N] int day;       // hour of each reading, increasing
}
parameters {
  real alpha;
  real delta;
  real<lower=0> sigma;
  real<lower=-1, upper=1> phi;
}
model {
  vector[N] e = y - (alpha + delta * x);
  alpha ~ normal(70, 15);
  delta ~ normal(0, 10);
  sigma ~ normal(0, 5);     // half-normal through <lower=0>
  phi ~ uniform(-1, 1);
  e[1] ~ normal(0, sigma / sqrt(1 - square(phi)));
  for (i in 2:N) {
    int g = day[i] - day[i - 1];
    e[i] ~ normal(phi ^ g * e[i - 1], sigma * sqrt((1 - phi ^ (2 * g)) / (1 - square(phi))));
  }
}
