#!/usr/bin/env python3
"""Fit one Stan program to one case's data over a range of Stan seeds and count
divergent transitions (issue 10: does Stan diverge on the same model and data
as trialc?).

The data are the case's, from the lowered MIR exactly as compare.py builds
them (`trialc debug mir --format json`); each seed is a full pystan fit of
4 chains x (1000 warmup + 1000 draws), compare.py's settings, with only
random_seed changed. Divergences are counted over the post-warmup draws, as
in compare.py and CmdStan's summary.

usage (from the repository root, with run.sh's venv and a trialc binary):
  VENV/bin/python scripts/stan-compare/seeds.py --trialc target/release/trialc \\
      --case ordinal_7 --program scripts/stan-compare/stan/ordinal.stan \\
      --seeds 1 20 [--json OUT.json]

--program may be any file, e.g. an older version from git history:
  git show 92c81ac:scripts/stan-compare/stan/ordinal.stan > /tmp/ordinal-ordered.stan

Prints one line per seed (divergent draws, chains with one, the first
cutpoint's mean / sd / 1% quantile / bulk ESS, rejected proposals reported by
Stan during the whole run, c_1 at each divergent draw) and a summary line. OUT.json keeps the per-seed
records and is resumed if it exists.
"""
import argparse
import contextlib
import io
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402
import diag  # noqa: E402


def fit(code, data, seed):
    import stan
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        post = stan.build(code, data=data, random_seed=seed)
        f = post.sample(num_chains=compare.CHAINS, num_warmup=compare.WARMUP, num_samples=compare.DRAWS)
    names = list(f.sample_and_sampler_param_names) + list(f.constrained_param_names)
    draws = {nm: f._draws[i].T for i, nm in enumerate(names)}  # (chains, draws)
    return draws, buf.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trialc", required=True)
    ap.add_argument("--case", required=True, help="a case name of compare.py (its spec, outcome and data)")
    ap.add_argument("--program", required=True, help="Stan program file")
    ap.add_argument("--seeds", nargs=2, type=int, required=True, metavar=("FIRST", "LAST"))
    ap.add_argument("--json")
    args = ap.parse_args()
    case = next(c for c in compare.CASES if c[0] == args.case)
    _, spec, outcome, _, _, tweak = case
    data, _ = compare.stan_data(compare.mir(args.trialc, spec)[outcome], tweak)
    code = open(args.program).read()
    recs = json.load(open(args.json)) if args.json and os.path.exists(args.json) else []
    done = {r["seed"] for r in recs}
    for seed in range(args.seeds[0], args.seeds[1] + 1):
        if seed in done:
            continue
        d, log = fit(code, data, seed)
        div = d["divergent__"]
        c1 = d["c.1"]
        sm = diag.summarise(c1)
        r = {"seed": seed, "divergent": int(div.sum()), "chains_with_divergence": int((div.sum(axis=1) > 0).sum()),
             "c1_mean": float(sm["mean"]), "c1_sd": float(sm["sd"]), "c1_q01": float(np.quantile(c1, 0.01)),
             "c1_ess_bulk": float(sm["ess_bulk"]), "rejections": log.count("proposal is about to be rejected"),
             "treedepth_max": int(d["treedepth__"].max()),
             # where the divergent transitions ended: the first cutpoint of each divergent draw
             "c1_at_divergences": [round(float(v), 2) for v in c1[div == 1]]}
        recs.append(r)
        print(json.dumps(r), flush=True)
        if args.json:
            json.dump(recs, open(args.json, "w"), indent=0)
    recs = [r for r in recs if args.seeds[0] <= r["seed"] <= args.seeds[1]]
    bad = [r["seed"] for r in recs if r["divergent"]]
    print(f"{os.path.basename(args.program)} on {args.case} ({outcome}, n={data['N']}), seeds "
          f"{args.seeds[0]}..{args.seeds[1]}: {len(bad)} of {len(recs)} seeds with divergences, "
          f"{sum(r['divergent'] for r in recs)} divergent draws in all "
          f"({compare.CHAINS} x {compare.DRAWS} draws after {compare.WARMUP} warmup per seed); "
          f"seeds with divergences: {bad}", flush=True)


if __name__ == "__main__":
    main()
