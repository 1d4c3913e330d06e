#!/usr/bin/env bash
# Submits a sharded design simulation to Slurm: the shards as a job array,
# then the merge once every shard has succeeded.
#
# usage: SHARDS=32 deploy/slurm/submit.sh SPEC [trialc simulate options…]
# env:   SHARDS  number of shards (default 16); TRIALC the binary (default trialc)
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
spec=${1:?usage: SHARDS=N submit.sh SPEC [options…]}
shift
SHARDS=${SHARDS:-16}
# The options travel one per line in the environment, spaces kept.
TRIALC_ARGS=$(printf '%s\n' "$@")
export SHARDS SPEC="$spec" TRIALC_ARGS
mkdir -p logs parts
array=$(sbatch --parsable --export=ALL --array="1-$SHARDS" "$here/simulate.sbatch")
merge=$(sbatch --parsable --export=ALL --dependency="afterok:$array" "$here/merge.sbatch")
echo "shards: job array $array (1-$SHARDS); merge: job $merge -> results/"
