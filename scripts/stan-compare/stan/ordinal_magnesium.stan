// magnesium-migraine / sleep_quality 1..5: ordered logistic,
// P(y <= k) = inv_logit(c_k - eta), no intercept, cutpoints ~
// induced_dirichlet(1) (Betancourt 2019, anchor 0), and the effect's robust
// LFM mixture prior: lfm.H3 (mean 0.3, sd 0.4) discount 0.5 robust 0.5 with
// the default vague component normal(0, 2.5) (the unit-information scale the
// lowering uses for an ordinal effect; `trialc debug mir` prints
// 0.5 normal(0.3, 0.5657) + 0.5 normal(0, 2.5)).
//
// The cutpoints are sampled as in ordinal.stan: p ~ dirichlet(1) on the
// reference-arm category probabilities (a simplex, Stan's stick-breaking
// transform) and c_k = logit(p_1 + ... + p_k), which is the induced
// Dirichlet(1) on c without the funnel of the `ordered` parametrisation
// (see ordinal.stan).
data {
  int<lower=1> N;
  int<lower=2> K;
  array[N] int<lower=1, upper=K> y;
  int<lower=1, upper=1> P;
  matrix[N, P] X;         // indicator: arm = magnesium
}
parameters {
  simplex[K] p;           // reference-arm category probabilities
  real delta;
}
transformed parameters {
  // c_k = log(p_1 + ... + p_k) - log(p_{k+1} + ... + p_K)
  ordered[K - 1] c;
  {
    vector[K] head = cumulative_sum(p);
    vector[K] tail = reverse(cumulative_sum(reverse(p)));
    for (k in 1:(K - 1))
      c[k] = log(head[k]) - log(tail[k + 1]);
  }
}
model {
  p ~ dirichlet(rep_vector(1, K));    // = c ~ induced_dirichlet(1), anchor 0
  // lfm.H3 (mean 0.3, sd 0.4) discount 0.5 robust 0.5, default vague normal(0, 2.5)
  target += log_mix(0.5, normal_lpdf(delta | 0.3, 0.4 / sqrt(0.5)), normal_lpdf(delta | 0, 2.5));
  y ~ ordered_logistic(col(X, 1) * delta, c);
}
