#!/usr/bin/env bash
# bench_catalogue.sh - `lathe batch` (issue 18): a catalogue of 8 tracks cut from INPUT, through
# the stock master chain (streaming, cd), timed
#   round 1: 2 shard processes, empty local caches, a shared nginx WebDAV cache (cold);
#   round 2: 2 fresh processes, empty local caches, the same remote (warm): goal <= 0.1 of round 1;
#   1 vs 2 worker processes, local caches only: the speed-up of two shards on the machine's cores.
# usage: tests/bench/bench_catalogue.sh LATHE_BIN INPUT [SECONDS_PER_TRACK]
set -euo pipefail
LATHE_BIN=$1 IN=$2 LEN=${3:-20}
LATHE_SRC=$(cd "$(dirname "$0")/../.." && pwd)
export LATHE_BIN LATHE_SRC
. "$LATHE_SRC/tests/cluster/lib.sh"
command -v nginx >/dev/null || { echo "  skipped: nginx not installed"; exit 0; }
total=$(sox --i -D "$IN" | cut -d. -f1)
echo "file" > "$T/cat.csv"
for i in $(seq 0 7); do
    sox "$IN" -b 24 "$T/t$i.wav" trim $((i * LEN % (total - LEN))) "$LEN"
    echo "t$i.wav" >> "$T/cat.csv"
done
start_nginx
# timed LABEL N OUT CACHEPREFIX [REMOTE]: N shard processes at once; prints wall seconds.
timed() {
    local t0 t1 pids=""
    t0=$(date +%s.%N)
    for i in $(seq 0 $(($2 - 1))); do
        "$LATHE_BIN" batch "$T/cat.csv" -o "$3" --shard "$i/$2" --deliver $DELIVER \
            --cache "$4$i" ${5:+--cache-remote "$5"} --quiet >/dev/null 2>"$T/$1.$i.err" &
        pids="$pids $!"
    done
    for p in $pids; do wait "$p" || { cat "$T/$1".*.err >&2; fail "$1"; }; done
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}'
}
r1=$(timed round1 2 "$T/o1" "$T/c1-" "$REMOTE")
r2=$(timed round2 2 "$T/o2" "$T/c2-" "$REMOTE")
p1=$(timed proc1 1 "$T/o3" "$T/c3-")
p2=$(timed proc2 2 "$T/o4" "$T/c4-")
printf '  %-58s %8s s\n' "round 1: 2 shards, cold shared cache (8 x $LEN s)" "$r1" \
    "round 2: 2 fresh shards, empty local caches, warm remote" "$r2" \
    "1 worker process, local cache only" "$p1" "2 worker processes, local caches only" "$p2"
ratio=$(awk -v a="$r2" -v b="$r1" 'BEGIN{printf "%.3f", a / b}')
speed=$(awk -v a="$p1" -v b="$p2" 'BEGIN{printf "%.3f", a / b}')
v=$(awk -v x="$ratio" 'BEGIN{print (x <= 0.1) ? "met" : "MISSED"}')
printf '  %-58s %8s  (goal <= 0.1)  %s\n' "round 2 / round 1 (wall)" "$ratio" "$v"
printf '  %-58s %8s  (reported)\n' "1 process / 2 processes (wall)" "$speed"
