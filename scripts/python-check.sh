#!/usr/bin/env bash
# Reads trialc's CmdStan-format draws back with the real cmdstanpy and ArviZ
# and checks parameter columns, draw counts, means and divergences against
# report.json (scripts/python_check.py), then trialc's PSIS-LOO against
# ArviZ's az.loo on the same log-likelihood matrices
# (scripts/python_check_loo.py), and `trialc pool`'s draws of the real tea
# series (scripts/python_check_pool.py). Run by CI; exits non-zero on any
# mismatch.
#
#   scripts/python-check.sh              # trialc run on the magnesium example
#   scripts/python-check.sh --from-test  # outputs written by the Rust test
#                                        # `write_example_outputs` instead of the CLI
#
# The virtual environment (about 475 MB, pinned versions, so reruns are
# fast) lives in $TRIALC_PYCHECK_VENV, by default in this clone's
# target/pycheck-venv: one per clone, removed by `cargo clean`.
set -euo pipefail
cd "$(dirname "$0")/.."

CMDSTANPY_VERSION=1.3.2
ARVIZ_VERSION=0.23.4
VENV="${TRIALC_PYCHECK_VENV:-$PWD/target/pycheck-venv}"
OUT="$(mktemp -d /tmp/trialc-pycheck-out.XXXXXX)"
trap 'rm -rf "$OUT" "$OUT.log"' EXIT

PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "python-check: $PYTHON is required" >&2
  exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import cmdstanpy, arviz, sys; sys.exit(not (cmdstanpy.__version__ == '$CMDSTANPY_VERSION' and arviz.__version__ == '$ARVIZ_VERSION'))" 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "cmdstanpy==$CMDSTANPY_VERSION" "arviz==$ARVIZ_VERSION"
fi

if [ "${1:-}" = "--from-test" ]; then
  TRIALC_REPORT_OUT="$OUT" cargo test --quiet -p trialc --test report write_example_outputs -- --ignored
else
  cargo build --quiet --release -p trialc
  status=0
  ./target/release/trialc run examples/magnesium-migraine/magnesium-migraine.trial \
    --chains 2 --warmup 200 --draws 200 --seed 1 --out "$OUT" >"$OUT.log" 2>&1 || status=$?
  # 3 = convergence warnings, expected with chains this short; the files are written either way.
  if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
    cat "$OUT.log" >&2
    echo "python-check: trialc run failed with exit code $status" >&2
    exit 1
  fi
fi

PYTHONWARNINGS=ignore::FutureWarning "$VENV/bin/python" scripts/python_check.py "$OUT"

# PSIS-LOO (runtime/src/loo.rs) against az.loo on the same log-likelihood
# matrices; a few seconds (the test binary is built by `cargo test`).
TRIALC_LOO_MATRICES="$OUT/loo-matrices.json" \
  cargo test --quiet -p trialc-runtime --test loo write_arviz_matrices -- --ignored >/dev/null
PYTHONWARNINGS=ignore::FutureWarning "$VENV/bin/python" scripts/python_check_loo.py "$OUT/loo-matrices.json"
# trialc pool's draws (docs/pool.md): the real tea series, short chains.
if [ "${1:-}" != "--from-test" ]; then
  POOL_OUT="$OUT/pool"
  status=0
  ./target/release/trialc pool examples/hpi-tea-series/hpi-tea-series.trial \
    --diaries examples/hpi-tea-series/diaries --chains 2 --warmup 200 --draws 200 --seed 1 \
    --out "$POOL_OUT" >"$OUT.log" 2>&1 || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
    cat "$OUT.log" >&2
    echo "python-check: trialc pool failed with exit code $status" >&2
    exit 1
  fi
  PYTHONWARNINGS=ignore::FutureWarning "$VENV/bin/python" scripts/python_check_pool.py "$POOL_OUT"
fi
