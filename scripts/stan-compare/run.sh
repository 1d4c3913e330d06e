#!/usr/bin/env bash
# Stan vs trialc agreement (issue 4, "Agreement and speed", first bullet).
# Fits every case with trialc and with Stan (pystan 3.10 / httpstan 4.13,
# Stan 2.35), prints the table of checks, writes results.md next to this
# script, and exits non-zero if any check fails on a real case or if a
# negative control is not rejected.
#
# usage: scripts/stan-compare/run.sh [--only CASE ...]
#        --only fits the named cases and merges their rows into results.md
#        (the other cases' rows are kept; see compare.py); the exit status is
#        the verdict on the cases fitted.
#        scripts/stan-compare/run.sh --pool [--only CASE ...]   (trialc pool: pool.py, results-pool.md)
#        scripts/stan-compare/run.sh --pool-bench [--people N ...]   (trialc pool vs Stan, ESS/s)
# env:   STAN_VENV   python venv with pystan (default: the reference harness's
#                    /tmp/trialc-stan-reference/venv, else created in WORK)
#        WORK        scratch dir for draws, builds and caches
#                    (default /tmp/trialc-stan-compare)
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="${WORK:-/tmp/trialc-stan-compare}"
mkdir -p "$WORK"

VENV="${STAN_VENV:-/tmp/trialc-stan-reference/venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import stan' 2>/dev/null; then
  VENV="$WORK/venv"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV (pystan 3.10.0, httpstan 4.13.0)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -U pip wheel
    # setuptools<80: pystan 3.10 imports pkg_resources
    "$VENV/bin/pip" install -q "setuptools<80" pystan==3.10.0 httpstan==4.13.0 numpy scipy
  fi
fi

# trialc (release); `trialc debug mir --format json` dumps the lowered models.
# Others edit the checkout concurrently: if a build fails, say so and use the
# last binary built (TRIALC=path overrides the trialc binary).
TRIALC="${TRIALC:-$ROOT/target/release/trialc}"
if ! ( cd "$ROOT" && cargo build -q --release -p trialc ); then
  echo "warning: cargo build of trialc failed; using the existing $TRIALC" >&2
fi
[ -x "$TRIALC" ] || { echo "error: no trialc binary at $TRIALC" >&2; exit 2; }

# keep compiled Stan models between runs (httpstan caches by program text)
export XDG_CACHE_HOME="$WORK/cache"
export PYTHONWARNINGS=ignore
SCRIPT=compare.py
if [ "${1:-}" = "--pool" ]; then
  SCRIPT=pool.py
  shift
elif [ "${1:-}" = "--pool-bench" ]; then
  SCRIPT=pool_bench.py
  shift
fi
exec "$VENV/bin/python" "$HERE/$SCRIPT" \
  --trialc "$TRIALC" \
  --work "$WORK" "$@"
