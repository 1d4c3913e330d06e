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
// `ordered[K - 1] c; c ~ induced_dirichlet(alpha, 0)`, without its funnel.
// With the `ordered` parametrisation a never-observed lowest level (pgic 1
// is never answered here) leaves c_1 with a long left tail while c_2 is
// pinned by the data, and c_2 = c_1 + exp(x_2) makes a funnel: that program
// diverged on 12 of 100 seeds (33 divergent draws, 4 x 1000) and under-
// sampled c_1's tail. This one had none on seeds 1..20. trialc samples the
// cutpoints the same way (Transform::CumulativeLogit).
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
