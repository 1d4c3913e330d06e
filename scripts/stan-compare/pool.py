#!/usr/bin/env python3
"""Stan vs `trialc pool` on the same series (issue 17, "Validated"): the
partially pooled model fitted by trialc and by Stan (pystan 3 / httpstan),

  posterior means   |m_t - m_s| <= 4 sqrt(mcse_t^2 + mcse_s^2)
  posterior sds     |sd_t / sd_s - 1| <= 0.10

for mu, tau, the covariate coefficients, every person's shrunken effect and
their own nuisance parameters. Both sides' summaries come from their draws
with the same estimators (diag.py). Data: `trialc pool ... --dump-mir`
(each participant's lowered model: y, the effect indicator, the trial days)
and the covariates standardised as trialc's report says it did them (the
harness recomputes them from the manifest and checks). A real case failing
a check is refitted on both sides with 10x the draws; the escalated run
decides. The negative control fits Stan to another model and must fail.

usage: pool.py --trialc BIN --work DIR [--only CASE ...] [--results FILE]
"""
import argparse
import csv
import glob
import io
import json
import math
import os
import subprocess
import sys
import contextlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import diag  # noqa: E402

CHAINS, WARMUP, DRAWS = 4, 1000, 1000
TRIALC_SEED = 20261129
STAN_SEED = 4242
Z = 4.0
SD_TOL = 0.10
ADAPT_DELTA = 0.99  # trialc pool's default; Stan's 0.8 diverges on the small tea series
EX = os.path.join(ROOT, "examples")

CASES = [
    # name, spec, participants args, Stan program, kind
    ("pool_tea_real", f"{EX}/hpi-tea-series/hpi-tea-series.trial",
     ["--diaries", f"{EX}/hpi-tea-series/diaries"], "pool_normal_tea",
     "REAL: 4 StudyU herbal-tea trials, iid normal, own intercept and sigma"),
    ("pool_window_real", f"{EX}/hpi-window-series/hpi-window-series.trial",
     ["--diaries", f"{EX}/hpi-window-series/diaries"], "pool_normal_tea",
     "REAL: 3 StudyU window trials (2 stopped after 2 weeks), iid normal, own intercept and sigma"),
    ("pool_ar1_series", f"{EX}/pool-series/series.trial",
     ["--manifest", f"{EX}/pool-series/manifest.csv"], "pool_ar1_series",
     "SYNTHETIC: 16 people x 84 days, AR(1) with gaps, own intercept/sigma/phi, 2 covariates"),
    ("NEG_pool_tea_shared_sigma", f"{EX}/hpi-tea-series/hpi-tea-series.trial",
     ["--diaries", f"{EX}/hpi-tea-series/diaries"], "pool_normal_tea_shared_sigma",
     "NEGATIVE CONTROL: Stan with one sigma for everyone"),
]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def trialc_pool(trialc, spec, args, work, name, draws):
    out = os.path.join(work, "trialc", f"{name}-{draws}")
    os.makedirs(out, exist_ok=True)
    cmd = [trialc, "pool", spec, *args, "--chains", str(CHAINS), "--warmup", str(WARMUP),
           "--draws", str(draws), "--seed", str(TRIALC_SEED), "--format", "json", "--out", out]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode not in (0, 3):
        raise SystemExit(f"trialc pool failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    dump = json.loads(subprocess.run([trialc, "pool", spec, *args, "--dump-mir"], check=True,
                                     capture_output=True, text=True).stdout)
    report = json.load(open(os.path.join(out, "report.json")))
    return report, dump, out, p.returncode, " ".join(os.path.relpath(c, ROOT) if os.path.isabs(c) else c for c in cmd)


def read_draws(out):
    files = sorted(glob.glob(os.path.join(out, "draws-[0-9]*.csv")),
                   key=lambda f: int(f.rsplit("-", 1)[1].split(".")[0]))
    chains = []
    for f in files:
        rows = [r for r in csv.reader(line for line in open(f) if not line.startswith("#")) if r]
        head, body = rows[0], np.array(rows[1:], dtype=float)
        chains.append(body)
    arr = np.stack(chains)
    return {h: arr[:, :, i] for i, h in enumerate(head)}


def stan_data(report, dump):
    people = dump["participants"]
    assert [p["participant"] for p in people] == [p["id"] for p in report["participants"]], \
        "the dump and the report list the participants in another order"
    y, x, day, start, length = [], [], [], [], []
    for p in people:
        o = p["mir"]
        lik = o["model"]["likelihoods"][0]
        pred = lik["predictor"]
        assert len(pred["arm_effects"]) == 1 and not pred.get("trend") and not pred["carryover"]
        # The Stan programs have none of issue 12's terms.
        assert not any(pred.get(k) for k in ("covariates", "lagged_outcome", "latent_ar1", "carryover_decay")), \
            "a model term the pool Stan programs do not have"
        col = pred["arm_effects"][0]["values"]
        arms = np.array(o["arms"])
        assert set(np.unique(col)) <= {0.0, 1.0}
        on = np.unique(arms[np.array(col) == 1])
        assert len(on) == 1, "indicator does not match one arm"
        start.append(len(y) + 1)
        length.append(len(lik["y"]))
        y += lik["y"]
        x += col
        day += [int(d) for d in o["days"]]
    d = {"J": len(people), "N": len(y), "start": start, "len": length, "y": y, "x": x}
    covs = dump["covariates"]
    if covs:
        raw = np.array([p["covariates"] for p in people], dtype=float)
        mean, sd = raw.mean(axis=0), raw.std(axis=0, ddof=1)
        for c, info in enumerate(report["model"]["covariates"]):
            assert abs(info["mean"] - mean[c]) < 1e-9 and abs(info["sd"] - sd[c]) < 1e-9, "covariate scaling"
        d["P"] = len(covs)
        d["X"] = ((raw - mean) / sd).tolist()
        d["day"] = day
    elif "ar1" in json.dumps(people[0]["mir"]["model"]["likelihoods"][0]["family"]).lower():
        d["day"] = day
    return d


def fit_stan(program, data, draws):
    import stan
    code = open(os.path.join(HERE, "stan", program + ".stan")).read()
    buf = io.StringIO()
    saved = os.dup(2), os.dup(1)
    sink = os.open(os.devnull, os.O_WRONLY)
    os.dup2(sink, 2)
    os.dup2(sink, 1)
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            post = stan.build(code, data=data, random_seed=STAN_SEED)
            fit = post.sample(num_chains=CHAINS, num_warmup=WARMUP, num_samples=draws, delta=ADAPT_DELTA)
    finally:
        os.dup2(saved[0], 2)
        os.dup2(saved[1], 1)
        os.close(sink)
    names = list(fit.sample_and_sampler_param_names) + list(fit.constrained_param_names)
    return {nm: fit._draws[i].T for i, nm in enumerate(names)}


def pairs(report, dump, s):
    """(label, trialc column, Stan name) of every compared quantity."""
    out = [("mu", "mu.1", "mu"), ("tau", "tau.1", "tau")]
    for c, info in enumerate(report["model"]["covariates"]):
        out.append((f"gamma[{info['name']}]", f"gamma.1.{c + 1}", f"gamma.{c + 1}"))
    for j, p in enumerate(report["participants"], start=1):
        out.append((f"delta[{p['id']}]", f"delta.{j}.1", f"delta.{j}"))
        for own, stan_name in (("intercept", "alpha"), ("sigma", "sigma"), ("phi", "phi")):
            if own in report["model"]["own"]:
                out.append((f"{own}[{p['id']}]", f"{own}.{j}", f"{stan_name}.{j}"))
    return [t for t in out if t[2] in s]


def compare_case(case, args, draws=DRAWS):
    name, spec, pargs, program, kind = case
    report, dump, out, rc, cmd = trialc_pool(args.trialc, spec, pargs, args.work, name, draws)
    data = stan_data(report, dump)
    log(f"[{name}] Stan fit of {program}.stan ({data['J']} people, {data['N']} observations, {draws} draws/chain) ...")
    s = fit_stan(program, data, draws)
    t = read_draws(out)
    rows = []
    for label, tcol, sname in pairs(report, dump, s):
        a, b = diag.summarise(t[tcol]), diag.summarise(s[sname])
        comb = math.sqrt(float(a["mcse_mean"]) ** 2 + float(b["mcse_mean"]) ** 2)
        z = abs(float(a["mean"]) - float(b["mean"])) / comb
        ratio = float(a["sd"]) / float(b["sd"])
        rows.append({"param": label, "trialc_mean": float(a["mean"]), "trialc_mcse": float(a["mcse_mean"]),
                     "stan_mean": float(b["mean"]), "stan_mcse": float(b["mcse_mean"]), "z": z, "mean_ok": z <= Z,
                     "trialc_sd": float(a["sd"]), "stan_sd": float(b["sd"]), "sd_ratio": ratio,
                     "sd_ok": abs(ratio - 1) <= SD_TOL, "trialc_ess_bulk": float(a["ess_bulk"]),
                     "stan_ess_bulk": float(b["ess_bulk"])})
    checks = [r["mean_ok"] for r in rows] + [r["sd_ok"] for r in rows]
    return {"case": name + ("" if draws == DRAWS else f" (x{draws // DRAWS} draws)"), "draws": draws,
            "spec": os.path.relpath(spec, ROOT), "stan": f"stan/{program}.stan", "kind": kind,
            "negative": name.startswith("NEG"), "people": data["J"], "n": data["N"], "trialc_cmd": cmd,
            "trialc_rc": rc, "trialc_divergences": report["sampler"]["divergences"],
            "stan_divergences": int(s["divergent__"].sum()), "params": rows,
            "n_checks": len(checks), "n_pass": int(sum(checks)), "all_pass": all(checks)}


def table(results):
    L = ["| case | quantity | trialc mean (MCSE) | Stan mean (MCSE) | \\|Δ\\|/MCSE_c | trialc sd | Stan sd | sd ratio | mean | sd |",
         "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for p in r["params"]:
            L.append(f"| {r['case']} | {p['param']} | {p['trialc_mean']:.4f} ({p['trialc_mcse']:.4f}) | "
                     f"{p['stan_mean']:.4f} ({p['stan_mcse']:.4f}) | {p['z']:.2f} | {p['trialc_sd']:.4f} | "
                     f"{p['stan_sd']:.4f} | {p['sd_ratio']:.3f} | {'ok' if p['mean_ok'] else '**FAIL**'} | "
                     f"{'ok' if p['sd_ok'] else '**FAIL**'} |")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trialc", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--results", default=os.path.join(HERE, "results-pool.md"))
    args = ap.parse_args()
    results = []
    for case in CASES:
        if args.only and case[0] not in args.only:
            continue
        r = compare_case(case, args)
        results.append(r)
        log(f"[{r['case']}] {r['n_pass']}/{r['n_checks']} checks pass; divergences trialc {r['trialc_divergences']}, Stan {r['stan_divergences']}")
        if not r["all_pass"] and not r["negative"]:
            r2 = compare_case(case, args, draws=10 * DRAWS)
            r["superseded"] = True
            results.append(r2)
            log(f"[{r2['case']}] {r2['n_pass']}/{r2['n_checks']} checks pass")
    pos = [r for r in results if not r["negative"] and not r.get("superseded")]
    neg = [r for r in results if r["negative"]]
    ok = all(r["all_pass"] for r in pos) and all(not r["all_pass"] for r in neg)
    tab = table(results)
    print(tab)
    md = ["# Stan vs trialc pool: results", "",
          f"Generated by `scripts/stan-compare/run.sh --pool` (pool.py). {CHAINS} chains x ({WARMUP} warmup + {DRAWS} draws) "
          f"on both sides, adapt delta {ADAPT_DELTA} on both (trialc pool's default); trialc seed {TRIALC_SEED}, Stan seed {STAN_SEED}. "
          f"Checks: means within {Z:g} combined MCSE, sd ratio within {SD_TOL:.0%}, both from each side's draws with diag.py. "
          "A real case with a failed check is refitted with 10x the draws; the escalated run decides. "
          "The negative control fits Stan to another model and must fail.", "",
          "| case | spec | Stan program | people | observations | model | trialc exit | divergences trialc / Stan | checks passed |",
          "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        md.append(f"| {r['case']} | `{r['spec']}` | `{r['stan']}` | {r['people']} | {r['n']} | {r['kind']} | {r['trialc_rc']} | "
                  f"{r['trialc_divergences']} / {r['stan_divergences']} | {r['n_pass']}/{r['n_checks']} |")
    md += ["", "## Checks", "", tab, "", f"Overall: {'PASS' if ok else 'FAIL'}", ""]
    open(args.results, "w").write("\n".join(md))
    log(f"wrote {args.results}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
