// Ordinal outcome naproxen-dose / pgic 1..7: ordered logistic,
// P(y <= k) = inv_logit(c_k - eta), no intercept, effects of the P
// non-reference arms, cutpoints ~ induced_dirichlet(1) (Betancourt 2019,
// anchor 0); the spec writes `effect ~ normal(0, 1)` for every arm.
// (magnesium-migraine / sleep_quality has a robust LFM prior:
// ordinal_magnesium.stan.)
functions {
  // Betancourt, "Ordinal Regression" case study (2019), verbatim.
  real induced_dirichlet_lpdf(vector c, vector alpha, real phi) {
    int K = num_elements(c) + 1;
    vector[K - 1] sigma = inv_logit(phi - c);
    vector[K] p;
    matrix[K, K] J = rep_matrix(0, K, K);
    // Induced ordinal probabilities
    p[1] = 1 - sigma[1];
    for (k in 2:(K - 1))
      p[k] = sigma[k - 1] - sigma[k];
    p[K] = sigma[K - 1];
    // Baseline column of Jacobian
    for (k in 1:K) J[k, 1] = 1;
    // Diagonal entries of Jacobian
    for (k in 2:K) {
      real rho = sigma[k - 1] * (1 - sigma[k - 1]);
      J[k, k] = - rho;
      J[k - 1, k] = rho;
    }
    return dirichlet_lpdf(p | alpha) + log_determinant(J);
  }
}
data {
  int<lower=1> N;
  int<lower=2> K;
  array[N] int<lower=1, upper=K> y;
  int<lower=1> P;
  matrix[N, P] X;         // indicators of the non-reference arms
}
parameters {
  ordered[K - 1] c;
  vector[P] delta;
}
model {
  c ~ induced_dirichlet(rep_vector(1, K), 0);
  delta ~ normal(0, 1);
  y ~ ordered_logistic(X * delta, c);
}
