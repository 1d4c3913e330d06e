"""Checks trialc's `--out DIR` files with the real cmdstanpy and ArviZ readers.

Usage: python_check.py OUT_DIR

For every outcome in OUT_DIR/report.json, reads its chain files
(OUTCOME-1.csv, OUTCOME-2.csv, ...) with `cmdstanpy.from_csv` and
`arviz.from_cmdstan` (called with the arguments OUT_DIR/arviz.json gives),
and asserts that
  * both readers accept the files as CmdStan sampler output;
  * chain and draw counts equal the report's settings;
  * the sampler-diagnostic columns are CmdStan's, the parameter columns are
    the report's parameters under trialc's documented CmdStan naming
    (`cutpoints[2]` -> `cutpoints.2`, the K-th effect -> `effect.K`,
    `covariate[stress]` -> `covariate_stress`), then `log_lik.1..N` and
    `y_rep.1..N` for the N analysed observations;
  * every parameter's posterior mean from each reader equals the report's
    (the CSV values are written in round-trip precision, so to 1e-9);
  * divergence counts agree with the report;
  * ArviZ gives `effect` one dimension `arm` whose coordinates are the
    report's effect arms, in order;
  * the log_likelihood group holds the pointwise log likelihood and
    `az.loo` runs on it (no "log likelihood not found"), with a finite elpd;
  * the posterior_predictive group holds y_rep (chains x draws x N) against
    observed_data's y (N values), and `az.plot_ppc` draws them.
Exits non-zero, naming every mismatch, if anything differs.
"""

import glob
import json
import math
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")

import arviz as az  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import cmdstanpy  # noqa: E402
import numpy as np  # noqa: E402

STAT_COLUMNS = [
    "lp__",
    "accept_stat__",
    "stepsize__",
    "treedepth__",
    "n_leapfrog__",
    "divergent__",
    "energy__",
]


def csv_column(name, arms):
    """trialc's CmdStan column name for a posterior element name; `arms` is
    the sidecar's arm coordinate (the K-th effect is `effect.K`)."""
    m = re.fullmatch(r"([^\[]+)\[([^\]]*)\]", name)
    if not m:
        return name
    base, index = m.group(1), [p.strip() for p in m.group(2).split(",")]
    if base == "effect" and len(index) == 1 and index[0] in arms:
        return f"effect.{arms.index(index[0]) + 1}"
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
    sidecar_path = os.path.join(out_dir, "arviz.json")
    if not os.path.exists(sidecar_path):
        print(f"MISMATCH: no arviz.json in {out_dir} (trialc run --out writes it)", file=sys.stderr)
        return 1
    with open(sidecar_path) as f:
        sidecar = json.load(f)
    check(sidecar.get("format") == "trialc-arviz/1", f"arviz.json format {sidecar.get('format')!r}")
    entries = {o["name"]: o for o in sidecar.get("outcomes", [])}

    for outcome in report["outcomes"]:
        name = outcome["name"]
        entry = entries.get(name)
        if entry is None:
            check(False, f"{name}: not in arviz.json")
            continue
        arms = entry["coords"]["arm"]
        n_obs = outcome["analysis"]["analysed"]
        check(
            arms == [e["arm"] for e in outcome["effects"]],
            f"{name}: arviz.json arms {arms} != the report's effects {[e['arm'] for e in outcome['effects']]}",
        )
        check(len(entry["coords"]["obs"]) == n_obs, f"{name}: {len(entry['coords']['obs'])} obs coordinates, {n_obs} analysed")
        before = len(problems)
        files = [os.path.join(out_dir, f"{name}-{c}.csv") for c in range(1, chains + 1)]
        missing = [p for p in files if not os.path.exists(p)]
        extra = sorted(set(glob.glob(os.path.join(out_dir, f"{name}-[0-9]*.csv"))) - set(files))
        check(not missing, f"{name}: missing chain files {missing}")
        check(not extra, f"{name}: unexpected chain files {extra}")
        if missing:
            continue
        params = outcome["parameters"]
        columns = [csv_column(p["name"], arms) for p in params]
        generated = [f"log_lik.{i}" for i in range(1, n_obs + 1)] + [f"y_rep.{i}" for i in range(1, n_obs + 1)]
        means = {p["name"]: p["mean"] for p in params}

        # cmdstanpy
        fit = cmdstanpy.from_csv(files, method="sample")
        check(fit.chains == chains, f"{name}: cmdstanpy sees {fit.chains} chains, report {chains}")
        check(fit.num_draws_sampling == draws, f"{name}: cmdstanpy sees {fit.num_draws_sampling} draws, report {draws}")
        check(fit.metadata.cmdstan_config["num_warmup"] == warmup, f"{name}: num_warmup differs")
        expected_columns = STAT_COLUMNS + [cmdstanpy_name(c) for c in columns + generated]
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

        # ArviZ, called as arviz.json says (docs/report.md).
        idata = az.from_cmdstan(
            posterior=[os.path.join(out_dir, f) for f in entry["posterior"]],
            posterior_predictive=entry["posterior_predictive"],
            log_likelihood=entry["log_likelihood"],
            observed_data=os.path.join(out_dir, entry["observed_data"]),
            coords=entry["coords"],
            dims=entry["dims"],
        )
        post = idata.posterior
        check(post.sizes.get("chain") == chains, f"{name}: ArviZ chains {post.sizes.get('chain')}")
        check(post.sizes.get("draw") == draws, f"{name}: ArviZ draws {post.sizes.get('draw')}")
        for p, col in zip(params, columns):
            if col.startswith("effect."):
                if "effect" not in post:
                    check(False, f"{name}: ArviZ has no variable effect")
                    continue
                arm = arms[int(col.split(".")[1]) - 1]
                m = float(np.mean(post["effect"].sel(arm=arm).values))
            elif "." in col:
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
        # Effects: one variable over the arms.
        if "effect" in post:
            effect = post["effect"]
            check(effect.dims == ("chain", "draw", "arm"), f"{name}: effect dims {effect.dims}")
            check(list(effect.coords["arm"].values) == arms, f"{name}: effect arms {list(effect.coords['arm'].values)}")
        # Pointwise log likelihood and PSIS-LOO.
        check("log_likelihood" in idata.groups(), f"{name}: ArviZ has no log_likelihood group")
        if "log_likelihood" in idata.groups():
            ll = idata.log_likelihood["y"]
            check(ll.shape == (chains, draws, n_obs), f"{name}: log_likelihood shape {ll.shape}")
            check(bool(np.all(np.isfinite(ll.values))), f"{name}: log_likelihood not finite")
            try:
                loo = az.loo(idata)
                check(math.isfinite(float(loo.elpd_loo)), f"{name}: az.loo elpd {loo.elpd_loo}")
                check(int(loo.n_data_points) == n_obs, f"{name}: az.loo on {loo.n_data_points} points")
            except Exception as e:  # noqa: BLE001 -- any failure is the finding
                check(False, f"{name}: az.loo failed: {e}")
        # Posterior predictive replicates against the observed data.
        for group in ("posterior_predictive", "observed_data"):
            check(group in idata.groups(), f"{name}: ArviZ has no {group} group")
        if "posterior_predictive" in idata.groups() and "observed_data" in idata.groups():
            rep = idata.posterior_predictive["y_rep"]
            obs = idata.observed_data["y"]
            check(rep.shape == (chains, draws, n_obs), f"{name}: y_rep shape {rep.shape}")
            check(obs.shape == (n_obs,), f"{name}: observed y shape {obs.shape}")
            check(rep.dims[-1] == obs.dims[-1] == "obs", f"{name}: y_rep dims {rep.dims}, y dims {obs.dims}")
            try:
                az.plot_ppc(idata, data_pairs={"y": "y_rep"}, num_pp_samples=50, random_seed=1)
                plt.close("all")
            except Exception as e:  # noqa: BLE001
                check(False, f"{name}: az.plot_ppc failed: {e}")
        # The summary machinery runs on the data (R-hat, ESS).
        summary = az.summary(idata, kind="diagnostics")
        check(len(summary) == len(params), f"{name}: az.summary has {len(summary)} rows, report {len(params)}")
        rhat = summary["r_hat"].to_numpy(dtype=float)
        check(all(math.isfinite(v) for v in rhat), f"{name}: az.summary R-hat not finite")
        if len(problems) == before:
            print(
                f"ok {name}: {chains} chains x {draws} draws, columns {', '.join(columns)}, "
                f"log_lik and y_rep over {n_obs} observations, effect over arms {arms}"
            )

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
