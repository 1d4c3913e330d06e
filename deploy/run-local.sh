#!/usr/bin/env bash
# A sharded design simulation on one machine: the shards as parallel
# processes (as a cluster would run them), then the merge.
#
# usage: SHARDS=4 deploy/run-local.sh SPEC [trialc simulate options…]
# env:   SHARDS (default 2), TRIALC the binary (default trialc), OUT (default results)
set -euo pipefail
spec=${1:?usage: SHARDS=N run-local.sh SPEC [options…]}
shift
SHARDS=${SHARDS:-2}
TRIALC=${TRIALC:-trialc}
OUT=${OUT:-results}
parts_dir=$(mktemp -d)
trap 'rm -rf "$parts_dir"' EXIT
pids=()
for i in $(seq 1 "$SHARDS"); do
  "$TRIALC" simulate "$spec" "$@" --shard "$i/$SHARDS" --threads 1 \
    -o "$parts_dir/part-$i-of-$SHARDS.json" &
  pids+=($!)
done
for pid in "${pids[@]}"; do
  wait "$pid"
done
"$TRIALC" simulate merge "$parts_dir"/part-*-of-"$SHARDS".json --out "$OUT"
