// Ordinal outcome naproxen-dose / pgic 1..7: ordered logistic,
// P(y <= k) = inv_logit(c_k - eta), no intercept, effects of the P
// non-reference arms, cutpoints ~ induced_dirichlet(1) (Betancourt 2019,
// anchor 0); the spec writes `effect ~ normal(0, 1)` for every arm.
// (magnesium-migraine / sleep_quality has a robust LFM prior:
// ordinal_magnesium.stan.)
//
// The induced Dirichlet(alpha) on c is, by construction, a Dirichlet(alpha)
// on the reference-arm category probabilities p, with c_k = logit(p_1 + ... +
// p_k). So the program samples p as a simplex (Stan's stick-breaking
// transform, Jacobian included) and computes c from it: the same model as
// `ordered[K - 1] c; c ~ induced_dirichlet(alpha, 0)` in other coordinates.
// With the `ordered` parametrisation (c_1 = x_1, c_k = c_{k-1} + exp(x_k);
// this program before f79da2d) a never-observed lowest level (pgic 1 is never
// answered here) leaves c_1 with a long left tail while c_2 is pinned by the
// data, so x_2 = log(c_2 - c_1) has to follow c_1 along a curved ridge.
// Measured on this data (11 answers) with Stan seeds 1..100, 4 chains x
// (1000 warmup + 1000 draws) each:
//   `ordered` program: divergences on 16 of 100 seeds (9, 14, 16, 20, 24, 27,
//     30, 42, 47, 77, 80, 84, 90, 92, 93, 100), 25 divergent draws in all,
//     14 of them with c_1 < -8 (c_1's 1% quantile is about -7.6); c_1's bulk
//     ESS 1491 on average (363 to 2361);
//   this program: no divergence on any of the 100 seeds; c_1's bulk ESS 4405
//     on average (3527 to 5139).
// Command (from the repository root, run.sh's venv; PROGRAM is this file or
// `git show 92c81ac:scripts/stan-compare/stan/ordinal.stan`):
//   python scripts/stan-compare/seeds.py --trialc target/release/trialc \
//     --case ordinal_7 --program PROGRAM --seeds 1 100
// trialc samples the cutpoints the same way (Transform::CumulativeLogit).
data {
  int<lower=1> N;
  int<lower=2> K;
  array[N] int<lower=1, upper=K> y;
  int<lower=1> P;
  matrix[N, P] X;         // indicators of the non-reference arms
}
parameters {
  simplex[K] p;           // reference-arm category probabilities
  vector[P] delta;
}
transformed parameters {
  // c_k = log(p_1 + ... + p_k) - log(p_{k+1} + ... + p_K): both sums are
  // taken directly, so neither tail rounds to log(0) through 1 - sum.
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
  delta ~ normal(0, 1);
  y ~ ordered_logistic(X * delta, c);
}
