#!/usr/bin/env bash
# Submit one experiment as a job array of SHARDS shards (default 3), then its merge
# chained with afterok. Prints the merge job's id.
#   EXPERIMENT=cmnist FLAGS="--runs 30" SHARDS=10 OUT=results/cmnist deploy/slurm/submit.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=${SHARDS:-3}
array=$(sbatch --parsable --export=ALL --array=0-$((shards - 1)) "$here/shard.sbatch")
sbatch --parsable --export=ALL --dependency=afterok:"$array" "$here/merge.sbatch"
