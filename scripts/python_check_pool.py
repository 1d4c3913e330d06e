"""Checks `trialc pool --out DIR` draws with the real cmdstanpy and ArviZ.

Usage: python_check_pool.py OUT_DIR

Reads draws-1.csv, draws-2.csv, ... with `cmdstanpy.from_csv` and
`arviz.from_cmdstan` and asserts that both accept them as CmdStan sampler
output with the report's chain and draw counts; that ArviZ reads `delta` as
a (chain, draw, person, effect) array, `mu`, `tau` and `delta_new` as
(chain, draw, effect); that the posterior means of mu, tau, every person's
delta from both readers equal report.json's (round-trip precision, 1e-9);
and that the divergences agree. Exits non-zero naming every mismatch.
"""

import json
import os
import sys

import arviz as az
import cmdstanpy
import numpy as np


def close(a, b, tol=1e-9):
    return abs(a - b) <= tol * (1.0 + max(abs(a), abs(b)))


def main(out_dir):
    problems = []

    def check(ok, message):
        if not ok:
            problems.append(message)

    report = json.load(open(os.path.join(out_dir, "report.json")))
    check(report.get("format") == "trialc-pool/1", f"report format {report.get('format')!r}")
    chains, draws = report["settings"]["chains"], report["settings"]["draws"]
    files = [os.path.join(out_dir, f"draws-{c}.csv") for c in range(1, chains + 1)]
    people, effects = len(report["participants"]), len(report["effects"])

    fit = cmdstanpy.from_csv(files, method="sample")
    check(fit.chains == chains, f"cmdstanpy sees {fit.chains} chains, report {chains}")
    check(fit.num_draws_sampling == draws, f"cmdstanpy sees {fit.num_draws_sampling} draws")
    delta = fit.stan_variable("delta")
    check(delta.shape == (chains * draws, people, effects), f"cmdstanpy delta shape {delta.shape}")
    for k, e in enumerate(report["effects"]):
        check(close(float(fit.stan_variable("mu")[:, k].mean()), e["mu"]["mean"]), f"cmdstanpy mu[{k + 1}]")
        check(close(float(fit.stan_variable("tau")[:, k].mean()), e["tau"]["mean"]), f"cmdstanpy tau[{k + 1}]")
    for p in report["people"]:
        k = [e["arm"] for e in report["effects"]].index(p["arm"])
        m = float(delta[:, p["index"] - 1, k].mean())
        check(close(m, p["pooled"]["mean"]), f"cmdstanpy delta of {p['participant']}: {m} != {p['pooled']['mean']}")
    check(int(np.sum(fit.divergences)) == report["sampler"]["divergences"], "cmdstanpy divergences")

    idata = az.from_cmdstan(posterior=files)
    post = idata.posterior
    check(post.sizes.get("chain") == chains and post.sizes.get("draw") == draws, "ArviZ chains/draws")
    check(post["delta"].shape == (chains, draws, people, effects), f"ArviZ delta shape {post['delta'].shape}")
    for name in ("mu", "tau", "delta_new"):
        check(post[name].shape == (chains, draws, effects), f"ArviZ {name} shape {post[name].shape}")
    for k, e in enumerate(report["effects"]):
        check(close(float(post["mu"].values[..., k].mean()), e["mu"]["mean"]), f"ArviZ mu[{k + 1}]")
    for p in report["people"]:
        k = [e["arm"] for e in report["effects"]].index(p["arm"])
        m = float(post["delta"].values[..., p["index"] - 1, k].mean())
        check(close(m, p["pooled"]["mean"]), f"ArviZ delta of {p['participant']}")
    n_div = int(idata.sample_stats["diverging"].values.sum())
    check(n_div == report["sampler"]["divergences"], f"ArviZ divergences {n_div}")
    az.summary(idata, var_names=["mu", "tau", "delta"], kind="diagnostics")

    if problems:
        for p in problems:
            print("python-check (pool):", p, file=sys.stderr)
        sys.exit(1)
    print(f"python-check (pool): {out_dir}: cmdstanpy {cmdstanpy.__version__} and ArviZ {az.__version__} read "
          f"{chains} chains x {draws} draws of {people} people; means and divergences agree with report.json")


if __name__ == "__main__":
    main(sys.argv[1])
