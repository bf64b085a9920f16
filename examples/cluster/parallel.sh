#!/bin/sh
# Master a catalogue on a few machines (or cores) with GNU parallel, three shards:
#   examples/cluster/parallel.sh catalogue.csv out http://cachehost/lathe-cache
# Over ssh add: --sshlogin host1,host2 (the catalogue and out on a shared folder).
set -eu
CATALOGUE=$1 OUT=$2 REMOTE=${3:-}
parallel --halt never "${LATHE:-lathe}" batch "$CATALOGUE" -o "$OUT" --shard {}/3 \
    --deliver "${LATHE_DELIVER:-streaming,cd,vinyl,hires}" \
    ${REMOTE:+--cache-remote "$REMOTE"} --quiet ::: 0 1 2
