#!/usr/bin/env bash
# Side-by-side benchmark on this machine, in one run:
#   (a) Stan 2.35 (pystan/httpstan) and nutpie via the Stan reference harness
#       ($STAN_REFERENCE --no-pymc: 4 chains x (1000 + 1000), 3 seeds, medians),
#       then
#   (b) trialc's `cargo bench -p trialc-runtime --bench reference` (same design,
#       3 seeds, medians) right after it,
# and prints a table of ratios from the two result files.
#
# Usage: scripts/bench-stan.sh [--skip-stan] [--grad-metric] [--adapt-nutpie] [--uturn-displacement]
#   --skip-stan    reuse the harness results already in $STAN_REF_WORK/results
#   --grad-metric  run our bench with the opt-in Fisher-divergence metric
#   --adapt-nutpie run our bench with the opt-in nutpie-style warmup
#   --uturn-displacement  ... and/or the opt-in displacement U-turn criterion
# Env: STAN_REFERENCE (the harness's run.sh, bench/stan-reference in the
#   project's shared materials; default ../shared/bench/stan-reference/run.sh
#   beside this checkout; without it only --skip-stan works), STAN_REF_WORK
#   (default /tmp/trialc-stan-reference), BENCH_OUT (default
#   /tmp/trialc-bench-stan), CARGO_TARGET_DIR (as usual), NICE (default 10).
# Needs python3 (the harness installs its own venv from PyPI on first use).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
harness=${STAN_REFERENCE:-$root/../shared/bench/stan-reference/run.sh}
work=${STAN_REF_WORK:-/tmp/trialc-stan-reference}
out=${BENCH_OUT:-/tmp/trialc-bench-stan}
nice_n=${NICE:-10}
skip_stan=0
ours_args=()
for a in "$@"; do
  case "$a" in
    --skip-stan) skip_stan=1 ;;
    --grad-metric) ours_args+=(--grad-metric) ;;
    --adapt-nutpie) ours_args+=(--adapt nutpie) ;;
    --uturn-displacement) ours_args+=(--uturn displacement) ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done
if [ "$skip_stan" = 0 ] && [ ! -x "$harness" ]; then
  echo "bench-stan: no Stan reference harness at $harness" >&2
  echo "  set STAN_REFERENCE to the harness's run.sh (bench/stan-reference in the project's shared materials)," >&2
  echo "  or pass --skip-stan to reuse the results already in $work/results" >&2
  exit 2
fi
mkdir -p "$out"
{
  echo "start $(date -u +%FT%TZ) | $(uptime)"
} | tee "$out/load.txt"

if [ "$skip_stan" = 0 ]; then
  STAN_REF_WORK="$work" nice -n "$nice_n" "$harness" --no-pymc 2>&1 | tee "$out/stan-harness.log"
fi
echo "after Stan $(date -u +%FT%TZ) | $(uptime)" | tee -a "$out/load.txt"

cd "$root"
nice -n "$nice_n" cargo bench -p trialc-runtime --bench reference -- \
  --json "$out/ours.json" "${ours_args[@]}" 2>&1 | tee "$out/ours.log"
echo "end $(date -u +%FT%TZ) | $(uptime)" | tee -a "$out/load.txt"

python3 - "$work/results" "$out/ours.json" "$out/load.txt" <<'PY' | tee "$out/ratios.md"
import json, os, sys
res, ours_path, load_path = sys.argv[1:4]
ours = json.load(open(ours_path))

def load(engine, m):
    p = os.path.join(res, f"{engine}_{m}.json")
    return json.load(open(p)) if os.path.exists(p) else None

print("## trialc vs Stan (and nutpie), same machine, one run\n")
print("ESS/s = bulk-ESS per second, lowest over the model's parameters, median over 3 seeds per parameter "
      "(each side computes its own: Stan/nutpie by harness/diag.py, ours by trialc_runtime::diagnostics, "
      "both ports of posterior's ess_bulk). Stan wall = the whole pystan sample() call; Stan CPU = sum of "
      "Stan's own per-chain warm-up + sampling times; our CPU = on-CPU time of all our threads.\n")
print("| model | ours ESS/s wall | Stan ESS/s wall | ratio wall/wall | Stan ESS/s CPU | ratio ours wall / Stan CPU "
      "| ratio ours CPU / Stan CPU | nutpie ESS/s wall | ours/nutpie wall | µs/grad ours | µs/grad Stan (sampling time / leapfrogs) "
      "| divergences ours (per run) | divergences Stan (per run) | mean leapfrog ours / Stan |")
print("|---|" + "---|" * 13)
for m in ["continuous", "binary", "count", "count_ar1"]:
    o = ours.get(m)
    s = load("stan", m)
    n = load("nutpie", m)
    if not o or "median_over_runs" not in o or not s:
        print(f"| {m} | missing: ours={'ok' if o else 'none'} stan={'ok' if s else 'none'} |" + " |" * 13)
        continue
    om = o["median_over_runs"]
    sm = s["median_over_runs"]
    s_wall = min(sm["ess_bulk_per_wall_s"].values())
    s_cpu = min(sm["ess_bulk_per_cpu_s"].values())
    n_wall = min(n["median_over_runs"]["ess_bulk_per_wall_s"].values()) if n else float("nan")
    gps = s["sampler"].get("grad_evals_per_s_sampling")
    s_us = 1e6 / gps if gps else float("nan")
    s_div = [s["sampler"]["divergences"]] + [r["divergences"] for r in s.get("repeats", [])]
    ow, oc = om["lowest_ess_bulk_per_wall_s"], om["lowest_ess_bulk_per_cpu_s"]
    fr = o["first_run"]
    print(f"| {m} | {ow:.0f} | {s_wall:.0f} | {ow / s_wall:.1f}x | {s_cpu:.0f} | {ow / s_cpu:.1f}x | {oc / s_cpu:.1f}x "
          f"| {n_wall:.0f} | {ow / n_wall:.1f}x | {fr['us_per_grad']:.2f} | {s_us:.2f} "
          f"| {om['divergences_per_run']} | {s_div} | {fr['mean_leapfrog']:.2f} / {s['sampler']['mean_n_leapfrog']:.2f} |")
print()
rss = ours.get("continuous", {}).get("peak_rss_mb")
if rss is not None:
    print(f"our peak RSS after the continuous model: {rss:.1f} MB")
mj = os.path.join(res, "machine.json")
if os.path.exists(mj):
    mi = json.load(open(mj))
    print(f"machine: {mi.get('cpus')} CPUs, {mi.get('cpu_model')}; harness load averages: "
          + ", ".join(f"{k[8:]} {' '.join(v)}" for k, v in mi.items() if k.startswith("loadavg_")))
print("load (uptime):")
for line in open(load_path):
    print("    " + line.rstrip())
PY
echo "results: $out/ratios.md $out/ours.json $work/results/summary.md"
