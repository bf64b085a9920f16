#!/bin/bash
# A single-node Slurm cluster on this machine (munged, slurmctld, slurmd from slurm-wlm, as
# root, everything under a temp folder, 127.0.0.1 only) accepts `sbatch --array=0-2` of
# examples/cluster/slurm-batch.sh; the last task merges a complete catalogue whose outputs are
# byte-identical to `lathe master`. Exit 77 (skipped) with the reason if the daemons cannot start.
. "$(dirname "$0")/lib.sh"
skip() { echo "skip: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "a Slurm cluster needs root to start slurmd"
for b in munged mungekey slurmctld slurmd sbatch squeue; do
    command -v $b >/dev/null || [ -x /usr/sbin/$b ] || skip "$b is not installed (slurm-wlm, munge)"
done
PATH=$PATH:/usr/sbin
S="$T/slurm"
mkdir -p "$S/ctld" "$S/spool" "$S/munge"
chmod 700 "$S/munge"
MUNGED_PID= CTLD_PID= SLURMD_PID=
stop_daemons() {
    for p in $SLURMD_PID $CTLD_PID; do kill "$p" 2>/dev/null; done
    [ -n "$MUNGED_PID" ] && kill "$MUNGED_PID" 2>/dev/null
    sleep 0.2
    cleanup
}
trap stop_daemons EXIT

mungekey -c -k "$S/munge/munge.key" 2>/dev/null || dd if=/dev/urandom of="$S/munge/munge.key" bs=1024 count=1 status=none
chmod 600 "$S/munge/munge.key"
munged -F --force --key-file="$S/munge/munge.key" --socket="$S/munge/sock" \
    --pid-file="$S/munge/pid" --log-file="$S/munge/log" --seed-file="$S/munge/seed" &
MUNGED_PID=$!
for _ in $(seq 50); do [ -S "$S/munge/sock" ] && break; sleep 0.1; done
[ -S "$S/munge/sock" ] || skip "munged did not start: $(tail -2 "$S/munge/log" 2>/dev/null)"

CPORT=$(free_port)
DPORT=$(free_port)
export SLURM_CONF="$S/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=lathetest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CPORT
SlurmdPort=$DPORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$S/munge/sock
CredType=cred/munge
StateSaveLocation=$S/ctld
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/ctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/ctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=lathenode NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=lathe Nodes=lathenode Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D -i -f "$SLURM_CONF" >"$S/ctld.out" 2>&1 &
CTLD_PID=$!
slurmd -D -N lathenode -f "$SLURM_CONF" >"$S/slurmd.out" 2>&1 &
SLURMD_PID=$!
up=
for _ in $(seq 100); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^idle'; then up=1; break; fi
    kill -0 $CTLD_PID 2>/dev/null && kill -0 $SLURMD_PID 2>/dev/null || break
    sleep 0.2
done
[ -n "$up" ] || skip "the Slurm daemons did not come up: $(tail -qn 2 "$S/ctld.log" "$S/slurmd.log" "$S/ctld.out" "$S/slurmd.out" 2>/dev/null | tr '\n' ' ')"

make_catalogue 4
export LATHE="$LATHE_BIN" LATHE_DELIVER=$DELIVER LATHE_CACHE="$T/cache"
cd "$T"
timeout 240 sbatch --wait --array=0-2 --chdir="$T" "$LATHE_SRC/examples/cluster/slurm-batch.sh" \
    "$T/cat.csv" "$T/out" >"$T/sbatch.out" 2>&1 || { cat "$T/sbatch.out" "$T"/lathe-batch-*.log >&2; fail "sbatch --array"; }
complete "$T/out" 4
same_as_master "$T/out"
echo "ok: $(cat "$T/sbatch.out")"
