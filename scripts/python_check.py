"""Checks trialc's `--out DIR` files with the real cmdstanpy and ArviZ readers.

Usage: python_check.py OUT_DIR

For every outcome in OUT_DIR/report.json, reads its chain files
(OUTCOME-1.csv, OUTCOME-2.csv, ...) with `cmdstanpy.from_csv` and
`arviz.from_cmdstan`, and asserts that
  * both readers accept the files as CmdStan sampler output;
  * chain and draw counts equal the report's settings;
  * the sampler-diagnostic columns are CmdStan's, and the parameter columns
    are the report's parameters under trialc's documented CmdStan naming
    (`cutpoints[2]` -> `cutpoints.2`, `effect[magnesium]` -> `effect_magnesium`);
  * every parameter's posterior mean from each reader equals the report's
    (the CSV values are written in round-trip precision, so to 1e-9);
  * divergence counts agree with the report.
Exits non-zero, naming every mismatch, if anything differs.
"""

import glob
import json
import math
import os
import re
import sys

import arviz as az
import cmdstanpy
import numpy as np

STAT_COLUMNS = [
    "lp__",
    "accept_stat__",
    "stepsize__",
    "treedepth__",
    "n_leapfrog__",
    "divergent__",
    "energy__",
]


def csv_column(name):
    """trialc's CmdStan column name for a posterior element name."""
    m = re.fullmatch(r"([^\[]+)\[([^\]]*)\]", name)
    if not m:
        return name
    base, index = m.group(1), [p.strip() for p in m.group(2).split(",")]
    if all(p.isdigit() for p in index):
        return base + "." + ".".join(index)
    return base + "_" + "_".join(index)


def cmdstanpy_name(column):
    """How cmdstanpy names a CSV column (`cutpoints.2` -> `cutpoints[2]`)."""
    if "." not in column:
        return column
    base, *idx = column.split(".")
    return f"{base}[{','.join(idx)}]"


def close(a, b, tol=1e-9):
    return abs(a - b) <= tol * (1.0 + max(abs(a), abs(b)))


def main(out_dir):
    problems = []

    def check(ok, message):
        if not ok:
            problems.append(message)

    with open(os.path.join(out_dir, "report.json")) as f:
        report = json.load(f)
    check(report.get("format") == "trialc-report/2", f"report format {report.get('format')!r}")
    chains = report["settings"]["chains"]
    draws = report["settings"]["draws"]
    warmup = report["settings"]["warmup"]
    check(len(report["outcomes"]) > 0, "the report has no outcomes")

    for outcome in report["outcomes"]:
        name = outcome["name"]
        before = len(problems)
        files = [os.path.join(out_dir, f"{name}-{c}.csv") for c in range(1, chains + 1)]
        missing = [p for p in files if not os.path.exists(p)]
        extra = sorted(set(glob.glob(os.path.join(out_dir, f"{name}-[0-9]*.csv"))) - set(files))
        check(not missing, f"{name}: missing chain files {missing}")
        check(not extra, f"{name}: unexpected chain files {extra}")
        if missing:
            continue
        params = outcome["parameters"]
        columns = [csv_column(p["name"]) for p in params]
        means = {p["name"]: p["mean"] for p in params}

        # cmdstanpy
        fit = cmdstanpy.from_csv(files, method="sample")
        check(fit.chains == chains, f"{name}: cmdstanpy sees {fit.chains} chains, report {chains}")
        check(fit.num_draws_sampling == draws, f"{name}: cmdstanpy sees {fit.num_draws_sampling} draws, report {draws}")
        check(fit.metadata.cmdstan_config["num_warmup"] == warmup, f"{name}: num_warmup differs")
        expected_columns = STAT_COLUMNS + [cmdstanpy_name(c) for c in columns]
        check(
            list(fit.column_names) == expected_columns,
            f"{name}: cmdstanpy columns {list(fit.column_names)} != {expected_columns}",
        )
        arr = fit.draws(concat_chains=True)
        check(arr.shape == (chains * draws, len(expected_columns)), f"{name}: cmdstanpy draws shape {arr.shape}")
        for p, col in zip(params, columns):
            j = list(fit.column_names).index(cmdstanpy_name(col)) if cmdstanpy_name(col) in fit.column_names else None
            if j is None:
                continue
            m = float(np.mean(arr[:, j]))
            check(close(m, p["mean"]), f"{name}: cmdstanpy mean of {p['name']} {m} != report {p['mean']}")
        divergences = int(np.sum(fit.divergences))
        check(
            divergences == outcome["sampler"]["divergences"],
            f"{name}: cmdstanpy counts {divergences} divergences, report {outcome['sampler']['divergences']}",
        )
        # Vector parameters come back as arrays (CmdStan's `name.index` naming).
        for var in {p["parameter"] for p in params if "[" in p["name"] and p["name"].split("[")[1][:-1].isdigit()}:
            values = fit.stan_variable(var)
            n = sum(1 for p in params if p["parameter"] == var)
            check(values.shape == (chains * draws, n), f"{name}: stan_variable({var}) shape {values.shape}")

        # ArviZ
        idata = az.from_cmdstan(posterior=files)
        post = idata.posterior
        check(post.sizes.get("chain") == chains, f"{name}: ArviZ chains {post.sizes.get('chain')}")
        check(post.sizes.get("draw") == draws, f"{name}: ArviZ draws {post.sizes.get('draw')}")
        for p, col in zip(params, columns):
            if "." in col:
                base, idx = col.split(".", 1)
                if base not in post:
                    check(False, f"{name}: ArviZ has no variable {base}")
                    continue
                values = post[base].values
                # ArviZ indexes vector elements 0-based in the last dimension.
                m = float(np.mean(values[..., int(idx) - 1]))
            else:
                if col not in post:
                    check(False, f"{name}: ArviZ has no variable {col}")
                    continue
                m = float(np.mean(post[col].values))
            check(close(m, means[p["name"]]), f"{name}: ArviZ mean of {p['name']} {m} != report {means[p['name']]}")
        check("sample_stats" in idata.groups(), f"{name}: ArviZ has no sample_stats")
        if "sample_stats" in idata.groups():
            ss = idata.sample_stats
            check("diverging" in ss, f"{name}: ArviZ sample_stats lacks diverging")
            if "diverging" in ss:
                n_div = int(ss["diverging"].values.sum())
                check(n_div == outcome["sampler"]["divergences"], f"{name}: ArviZ divergences {n_div}")
        # The summary machinery runs on the data (R-hat, ESS).
        summary = az.summary(idata, kind="diagnostics")
        check(len(summary) == len(params), f"{name}: az.summary has {len(summary)} rows, report {len(params)}")
        rhat = summary["r_hat"].to_numpy(dtype=float)
        check(all(math.isfinite(v) for v in rhat), f"{name}: az.summary R-hat not finite")
        if len(problems) == before:
            print(f"ok {name}: {chains} chains x {draws} draws, columns {', '.join(columns)}")

    if problems:
        for p in problems:
            print("MISMATCH:", p, file=sys.stderr)
        return 1
    print(f"python check: all outcomes read back by cmdstanpy {cmdstanpy.__version__} and ArviZ {az.__version__}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
