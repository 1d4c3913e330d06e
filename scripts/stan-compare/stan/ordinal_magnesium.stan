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
// Dirichlet(1) on c in the coordinates trialc uses
// (Transform::CumulativeLogit) instead of the `ordered` ones (see
// ordinal.stan). Here all 5 levels occur in the 11 answers, and neither
// form diverged: with Stan seeds 1..100, 4 chains x (1000 warmup + 1000
// draws) each, the `ordered` program (before f79da2d; `git show
// 92c81ac:scripts/stan-compare/stan/ordinal_magnesium.stan`) and this one
// both had no divergent draw on any seed. c_1's bulk ESS averaged 2280
// (1744 to 2790) with `ordered`, 4032 (3212 to 4564) with this program.
// Command: as in ordinal.stan, with --case ordinal_5.
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
