#!/usr/bin/env bash
# Submit the shards of one experiment as a job array, then its merge chained with
# afterok. Usage: OUT=results/tree TREE_FLAGS="--trees 20" deploy/slurm/submit.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
array=$(sbatch --parsable --export=ALL "$here/tree.sbatch")
sbatch --parsable --export=ALL --dependency=afterok:"$array" "$here/merge.sbatch"
