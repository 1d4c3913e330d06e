#!/usr/bin/env bash
# Fuzzing trialc (issue 10). The targets are compiler/tests/fuzz/targets.rs:
# parse_check, format, schedule, diary, hypotheses, session.
#
# Usage:
#   scripts/fuzz.sh [long]             the stable-toolchain long mode (default):
#                                      release build, the ignored `long_*` tests of
#                                      compiler/tests/fuzz.rs, one thread, under a
#                                      memory limit
#   scripts/fuzz.sh libfuzzer TARGET   libFuzzer through cargo-fuzz (nightly only)
#   scripts/fuzz.sh seed               refresh the seed-* files of tests/fuzz/ from
#                                      examples/, stdlib/, tests/ui/, tests/syntax/
#
# Long mode environment (defaults in brackets):
#   TRIALC_FUZZ_BUDGET      generated inputs per target                [200000]
#   TRIALC_FUZZ_SECONDS     wall-clock cap per target, seconds          [none]
#   TRIALC_FUZZ_SEED        seed of the generated inputs                 [1]
#   TRIALC_FUZZ_INPUT_SECONDS  longest one input may take, seconds      [2]
#   TRIALC_FUZZ_TARGETS     which targets, space-separated               [all]
#   TRIALC_FUZZ_MEMORY_MIB  virtual memory limit of the test process  [4096]
# The input being run is written to target/fuzz-artifacts/<target>/current
# first, so an abort (stack overflow, allocation failure) leaves it behind;
# faults found are listed in the output and saved under target/tmp/fuzz-faults/.
#
# libFuzzer environment: FUZZ_SECONDS [600], FUZZ_RSS_MIB [2048].
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
mode=${1:-long}

seed() {
  local corpus=tests/fuzz
  # Refresh only the seeded files; hand-* and crash-* files are kept.
  for d in parse_check schedule diary hypotheses session; do
    mkdir -p "$corpus/$d"
    rm -f "$corpus/$d"/seed-*
  done
  local f name
  for f in examples/*/*.trial; do
    name=$(basename "$f" .trial)
    cp "$f" "$corpus/parse_check/seed-example-$name.trial"
    cp "$f" "$corpus/schedule/seed-example-$name.trial"
  done
  for f in examples/*/*.md; do
    [ "$(basename "$f")" = README.md ] && continue
    name=$(basename "$(dirname "$f")")-$(basename "$f" .md)
    cp "$f" "$corpus/parse_check/seed-example-$name.md"
  done
  for f in stdlib/std/*.trial tests/syntax/*.trial; do
    name=$(basename "$(dirname "$f")")-$(basename "$f" .trial)
    cp "$f" "$corpus/parse_check/seed-$name.trial"
  done
  cp stdlib/std/designs.trial "$corpus/schedule/seed-std-designs.trial"
  for f in tests/ui/*/*.trial tests/ui/*/*.md; do
    [ -e "$f" ] || continue
    local phase base ext
    phase=$(basename "$(dirname "$f")")
    base=$(basename "$f")
    ext=${base##*.}
    cp "$f" "$corpus/parse_check/seed-ui-$phase-${base%.*}.$ext"
    if [ "$phase" = design ]; then
      cp "$f" "$corpus/schedule/seed-ui-$phase-${base%.*}.$ext"
    fi
  done
  for f in examples/*/diary.csv examples/*/studyu-export.csv; do
    [ -e "$f" ] || continue
    name=$(basename "$(dirname "$f")")-$(basename "$f" .csv)
    cp "$f" "$corpus/diary/seed-$name.csv"
  done
  for f in examples/*/hypotheses/*.json tests/ui/hypotheses/*.json; do
    name=$(basename "$(dirname "$f")")-$(basename "$f" .json)
    cp "$f" "$corpus/hypotheses/seed-$name.json"
  done
  # Session bundles: `=== NAME` starts each file, the spec first. A key
  # file goes last: the line break before a header is the separator, and
  # the key's SHA-256 is over every byte of it. Folders of a series (no
  # spec named after the folder, or no diary.csv) are not one session.
  local dir spec out extra
  for dir in examples/*/; do
    dir=${dir%/}
    name=$(basename "$dir")
    spec="$dir/$name.trial"
    [ -e "$spec" ] && [ -e "$dir/diary.csv" ] || continue
    out="$corpus/session/seed-example-$name.session"
    {
      printf '=== %s\n' "$name.trial"
      cat "$spec"
      printf '=== diary.csv\n'
      cat "$dir/diary.csv"
      for extra in "$dir"/hypotheses/*.json; do
        [ -e "$extra" ] || continue
        printf '=== hypotheses/%s\n' "$(basename "$extra")"
        cat "$extra"
      done
      for extra in "$dir"/*.key; do
        [ -e "$extra" ] || continue
        printf '=== %s\n' "$(basename "$extra")"
        cat "$extra"
      done
    } >"$out"
  done
  if [ -e examples/magnesium-migraine/protocol.md ]; then
    {
      printf '=== protocol.md\n'
      cat examples/magnesium-migraine/protocol.md
      printf '=== diary.csv\n'
      cat examples/magnesium-migraine/diary.csv
      printf '=== hypotheses/p0042.json\n'
      cat examples/magnesium-migraine/hypotheses/p0042.json
      printf '=== PHARMACY-SECRET.key\n'
      cat examples/magnesium-migraine/PHARMACY-SECRET.key
    } >"$corpus/session/seed-example-magnesium-migraine-protocol.session"
  fi
  for f in tests/ui/hypotheses/*.trial; do
    name=$(basename "$f" .trial)
    {
      printf '=== %s\n' "$name.trial"
      cat "$f"
      for extra in tests/ui/hypotheses/*.json; do
        grep -q "\"$(basename "$extra")\"" "$f" || continue
        printf '=== %s\n' "$(basename "$extra")"
        cat "$extra"
      done
    } >"$corpus/session/seed-ui-$name.session"
  done
  echo "seeded: $(find "$corpus" -name 'seed-*' | wc -l) files in $corpus"
}

long() {
  local targets=${TRIALC_FUZZ_TARGETS:-parse_check format schedule diary hypotheses session}
  local mem=${TRIALC_FUZZ_MEMORY_MIB:-4096}
  export TRIALC_FUZZ_ARTIFACTS=${TRIALC_FUZZ_ARTIFACTS:-$root/target/fuzz-artifacts}
  export TRIALC_FUZZ_INPUT_SECONDS=${TRIALC_FUZZ_INPUT_SECONDS:-2}
  cargo test --release -p trialc --test fuzz --no-run
  local t status=0
  for t in $targets; do
    echo "== long_$t (seed ${TRIALC_FUZZ_SEED:-1}, budget ${TRIALC_FUZZ_BUDGET:-200000}${TRIALC_FUZZ_SECONDS:+, at most ${TRIALC_FUZZ_SECONDS} s})"
    # A subshell, so the memory limit binds the test process only.
    if ! (
      ulimit -v $((mem * 1024))
      /usr/bin/time -f "long_$t: %e s wall, %U s user, %M KiB peak" \
        cargo test --release -q -p trialc --test fuzz "long_$t" -- --ignored --exact --nocapture --test-threads 1
    ); then
      status=1
      echo "long_$t FAILED; the input it was running: $TRIALC_FUZZ_ARTIFACTS/$t/current"
    fi
  done
  return $status
}

libfuzzer() {
  local target=${1:?usage: scripts/fuzz.sh libfuzzer TARGET}
  if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "libFuzzer needs a nightly toolchain; run \`scripts/fuzz.sh long\` instead" >&2
    exit 2
  fi
  if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed (cargo install cargo-fuzz); run \`scripts/fuzz.sh long\` instead" >&2
    exit 2
  fi
  local scratch=target/fuzz-scratch/$target
  mkdir -p "$scratch"
  local corpora=("tests/fuzz/$target")
  [ "$target" = format ] && corpora+=(tests/fuzz/parse_check)
  # New inputs go to the scratch folder; the committed corpus is read only.
  (cd fuzz && cargo +nightly fuzz run "$target" "../$scratch" "${corpora[@]/#/../}" -- \
    -max_total_time="${FUZZ_SECONDS:-600}" -rss_limit_mb="${FUZZ_RSS_MIB:-2048}" \
    -timeout=5 -max_len=262144 -dict="dict/$target.dict" -artifact_prefix="../target/fuzz-artifacts/$target-")
}

case "$mode" in
  seed) seed ;;
  long) long ;;
  libfuzzer) shift; libfuzzer "$@" ;;
  *) echo "usage: scripts/fuzz.sh [long|libfuzzer TARGET|seed]" >&2; exit 2 ;;
esac
