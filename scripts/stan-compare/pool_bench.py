#!/usr/bin/env python3
"""Speed of `trialc pool` against Stan on the same pooled model (issue 17,
"Speed and scale"): synthetic AR(1) series of N people x 84 days
(scripts/synthesize-series.py --no-lfm), fitted by `trialc pool
--skip-own-fits` and by Stan (stan/pool_ar1_series.stan), both 4 chains x
(1000 + 1000), adapt delta 0.99. Reports wall time (trialc: the whole
command; Stan: sampling only, compilation excluded) and the lowest bulk-ESS
per second over mu, tau, gamma, every delta and every person's own
parameters, with diag.py's estimator on both sides.

usage: run.sh --pool-bench [--people 25 100 ...]
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import diag  # noqa: E402
import pool  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trialc", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--people", type=int, nargs="*", default=[25, 100])
    args = ap.parse_args()
    lines = ["| people | observations | trialc s | Stan s (sampling) | trialc min bulk-ESS/s | Stan min bulk-ESS/s | ratio | divergences trialc / Stan |",
             "|---|---|---|---|---|---|---|---|"]
    for n in args.people:
        series = os.path.join(args.work, f"series-{n}")
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "synthesize-series.py"), "--trialc", args.trialc,
                        "--people", str(n), "--no-lfm", "--out", series], check=True, capture_output=True)
        spec = os.path.join(series, "series.trial")
        pargs = ["--manifest", os.path.join(series, "manifest.csv"), "--skip-own-fits"]
        out = os.path.join(args.work, f"bench-{n}")
        os.makedirs(out, exist_ok=True)
        t0 = time.perf_counter()
        p = subprocess.run([args.trialc, "pool", spec, *pargs, "--seed", str(pool.TRIALC_SEED), "--format", "json",
                            "--out", out], capture_output=True, text=True)
        t_trialc = time.perf_counter() - t0
        if p.returncode not in (0, 3):
            raise SystemExit(p.stderr)
        import json
        report = json.load(open(os.path.join(out, "report.json")))
        dump = json.loads(subprocess.run([args.trialc, "pool", spec, *pargs, "--dump-mir"], check=True,
                                         capture_output=True, text=True).stdout)
        data = pool.stan_data(report, dump)
        import stan
        code = open(os.path.join(HERE, "stan", "pool_ar1_series.stan")).read()
        post = stan.build(code, data=data, random_seed=pool.STAN_SEED)
        t0 = time.perf_counter()
        fit = post.sample(num_chains=pool.CHAINS, num_warmup=pool.WARMUP, num_samples=pool.DRAWS, delta=0.99)
        t_stan = time.perf_counter() - t0
        names = list(fit.sample_and_sampler_param_names) + list(fit.constrained_param_names)
        s = {nm: fit._draws[i].T for i, nm in enumerate(names)}
        t = pool.read_draws(out)
        ess_t = min(float(diag.ess_bulk(t[tc])) for _, tc, _ in pool.pairs(report, dump, s))
        ess_s = min(float(diag.ess_bulk(s[sn])) for _, _, sn in pool.pairs(report, dump, s))
        a, b = ess_t / t_trialc, ess_s / t_stan
        line = (f"| {n} | {data['N']} | {t_trialc:.1f} | {t_stan:.1f} | {a:.1f} | {b:.1f} | {a / b:.1f} | "
                f"{report['sampler']['divergences']} / {int(s['divergent__'].sum())} |")
        print(line, flush=True)
        lines.append(line)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
