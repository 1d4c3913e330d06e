#!/usr/bin/env bash
# Every bundled example runs clean (`trialc run` exits 0: no error, no
# divergence, converged) on seeds 1..20 (issue 10). CI runs this after the
# tests, with the debug binary the tests built.
#
# usage: scripts/examples-seeds.sh [FIRST LAST]     (default 1 20)
# env:   TRIALC  the binary to run (default: target/debug/trialc, built here)
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
first=${1:-1}
last=${2:-20}
if [ -z "${TRIALC:-}" ]; then
  cargo build -q --locked -p trialc
  TRIALC=target/debug/trialc
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
runs=0
failed=0
for spec in examples/*/*.trial; do
  for seed in $(seq "$first" "$last"); do
    runs=$((runs + 1))
    rc=0
    "$TRIALC" run --seed "$seed" "$spec" >"$out/stdout" 2>"$out/stderr" || rc=$?
    if [ "$rc" -ne 0 ]; then
      failed=$((failed + 1))
      echo "FAIL $spec --seed $seed: exit $rc" >&2
      sed 's/^/    /' "$out/stderr" | head -20 >&2
    fi
  done
done
echo "examples on seeds $first..$last: $((runs - failed)) of $runs runs exit 0"
[ "$failed" -eq 0 ]
