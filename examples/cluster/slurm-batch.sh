#!/bin/sh
# Master a catalogue as a Slurm job array, one shard per array task:
#   sbatch --array=0-7 examples/cluster/slurm-batch.sh catalogue.csv /shared/masters
# lathe batch reads SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT itself; the split is by duration
# and the same in every task. A failed or preempted task is simply resubmitted
# (sbatch --array=3 ...): finished tracks are skipped. The last task to finish writes
# /shared/masters/index.html. Point every task at one HTTP cache so no work is done twice.
#SBATCH --job-name=lathe-batch
#SBATCH --cpus-per-task=2
#SBATCH --output=lathe-batch-%A_%a.log
set -eu
CATALOGUE=${1:?usage: sbatch --array=0-N slurm-batch.sh CATALOGUE OUTDIR}
OUT=${2:?usage: sbatch --array=0-N slurm-batch.sh CATALOGUE OUTDIR}
exec "${LATHE:-lathe}" batch "$CATALOGUE" -o "$OUT" -j "${SLURM_CPUS_PER_TASK:-2}" \
    --deliver "${LATHE_DELIVER:-streaming,cd,vinyl,hires}" \
    ${LATHE_CACHE_REMOTE:+--cache-remote "$LATHE_CACHE_REMOTE"} --quiet
