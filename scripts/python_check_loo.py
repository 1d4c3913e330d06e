"""Checks trialc's PSIS-LOO (runtime/src/loo.rs) against ArviZ's `az.loo`.

Usage: python_check_loo.py MATRICES.json

MATRICES.json is written by the Rust test `write_arviz_matrices`
(`TRIALC_LOO_MATRICES=MATRICES.json cargo test -p trialc-runtime --test loo
write_arviz_matrices -- --ignored`; scripts/python-check.sh runs both): for
each case (exact posterior draws of a conjugate normal model: well behaved,
an influential outlier, autocorrelated draws), a pointwise log-likelihood
matrix (draws chain after chain, by observations), the scalar relative
efficiency r_eff used, and trialc's results. For every case this script
builds an InferenceData from the same matrix, runs `az.loo(..., reff=r_eff,
pointwise=True)` and asserts that

  * elpd_loo, p_loo, every pointwise elpd_loo_i and every Pareto k-hat
    agree to 1e-6 (the algorithms are the same: Zhang-Stephens fit with
    the weakly informative prior, the same tail length, truncation at the
    largest raw weight);
  * the standard errors agree after ArviZ's convention is undone: ArviZ
    uses the population variance (ddof 0), `sqrt(N var0(elpd_i))`, where
    trialc, like R's loo (and Vehtari, Gelman & Gabry 2017, eq. 23),
    uses the sample variance; so ArviZ's se = trialc's se * sqrt((N-1)/N);
  * ArviZ's good_k is trialc's k-hat threshold, and ArviZ warns exactly
    when some k-hat of trialc's is above it.

r_eff is passed explicitly: by default `az.loo` computes one scalar r_eff
as the mean ESS of the *posterior parameters* divided by S, while trialc
(like R's loo) computes one per observation from the ESS of
exp(log_lik_i). The two coincide only when a single value is given, and
the tail length M = ceil(min(S/5, 3 sqrt(S/r_eff))) depends on it.

It also prints, for information, how far trialc's optional 2017 truncation
(S^(3/4) times the mean smoothed weight, the deprecated `psislw`) moves
elpd_loo from ArviZ's. Exits non-zero, naming every mismatch.
"""

import json
import math
import sys
import warnings

import arviz as az
import numpy as np

TOL = 1e-6


def close(a, b, tol=TOL):
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol * (1.0 + max(abs(a), abs(b)))


def main(path):
    with open(path) as f:
        cases = json.load(f)["cases"]
    problems = []
    for case in cases:
        name = case["name"]
        chains, draws, n = case["chains"], case["draws"], case["observations"]
        ll = np.asarray(case["log_lik"], dtype=float)
        if ll.shape != (chains * draws, n):
            problems.append(f"{name}: matrix shape {ll.shape}")
            continue
        idata = az.from_dict(log_likelihood={"y": ll.reshape(chains, draws, n)})
        with warnings.catch_warnings():
            # ArviZ warns of a k-hat above good_k; its flag is checked below.
            warnings.simplefilter("ignore", UserWarning)
            result = az.loo(idata, pointwise=True, reff=case["r_eff"])
        ours = case["trialc"]

        def check(ok, message):
            if not ok:
                problems.append(f"{name}: {message}")

        check(close(result["elpd_loo"], ours["elpd_loo"]),
              f"elpd_loo ArviZ {result['elpd_loo']!r} trialc {ours['elpd_loo']!r}")
        check(close(result["p_loo"], ours["p_loo"]),
              f"p_loo ArviZ {result['p_loo']!r} trialc {ours['p_loo']!r}")
        se_as_arviz = ours["se"] * math.sqrt((n - 1) / n)
        check(close(result["se"], se_as_arviz),
              f"se ArviZ {result['se']!r} trialc (ddof 0) {se_as_arviz!r}")
        check(close(result["good_k"], ours["k_threshold"], 1e-12),
              f"good_k ArviZ {result['good_k']!r} trialc {ours['k_threshold']!r}")
        high = any(k > ours["k_threshold"] for k in ours["pareto_k"])
        check(bool(result["warning"]) == high,
              f"ArviZ's warning flag {bool(result['warning'])}, trialc has a k-hat above the threshold: {high}")
        khat = np.asarray(result["pareto_k"]).ravel()
        loo_i = np.asarray(result["loo_i"]).ravel()
        for i in range(n):
            check(close(float(khat[i]), ours["pareto_k"][i]),
                  f"k-hat of observation {i + 1}: ArviZ {float(khat[i])!r} trialc {ours['pareto_k'][i]!r}")
            check(close(float(loo_i[i]), ours["elpd_loo_i"][i]),
                  f"elpd_loo of observation {i + 1}: ArviZ {float(loo_i[i])!r} trialc {ours['elpd_loo_i'][i]!r}")
        max_k_diff = float(np.max(np.abs(khat - np.asarray(ours["pareto_k"]))))
        s34 = case["trialc_s34"]["elpd_loo"]
        print(
            f"{name}: S={chains * draws} N={n} r_eff={case['r_eff']}: elpd_loo {ours['elpd_loo']:.6f} "
            f"(ArviZ {result['elpd_loo']:.6f}), p_loo {ours['p_loo']:.4f}, max k-hat {max(ours['pareto_k']):.3f}, "
            f"max |k-hat - ArviZ| {max_k_diff:.1e}; the 2017 truncation gives elpd_loo {s34:.6f} "
            f"({s34 - result['elpd_loo']:+.1e})"
        )
    if problems:
        print("python_check_loo: trialc's PSIS-LOO differs from ArviZ:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print(f"python_check_loo: {len(cases)} cases agree with ArviZ {az.__version__} to {TOL:g}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
