#!/bin/bash
# 8 tracks as 3 shards by 3 processes with empty local caches sharing one nginx WebDAV cache;
# then 3 fresh processes with empty local caches: every output file comes from the remote
# (nothing new is computed: no entry is added to the remote, no stream is even fetched), and the
# outputs are byte-identical to `lathe master` of each track.
. "$(dirname "$0")/lib.sh"
make_catalogue 8
start_nginx
shard_round "$T/out1" "$T/round1-"
complete "$T/out1" 8
n=$(find "$T/www/lathe-cache/v1" -name '*.a' | wc -l)
[ "$n" -gt 8 ] || fail "remote holds only $n audio entries"
(cd "$T/www" && find . -type f | sort) > "$T/remote1"
log_from=$(wc -l < "$T/nginx/access.log")
shard_round "$T/out2" "$T/round2-"
complete "$T/out2" 8
# Every output's bytes are on the remote: round 2 writes them without reading a single stream.
streams=$(tail -n +$((log_from + 1)) "$T/nginx/access.log" | grep -cE '"GET [^ "]*\.a HTTP' || true)
[ "$streams" = 0 ] || fail "round 2 fetched $streams streams: it rendered instead of copying"
files=$(tail -n +$((log_from + 1)) "$T/nginx/access.log" | grep -cE '"GET [^ "]*\.d HTTP/[0-9.]+" 200 ' || true)
[ "$files" -ge 16 ] || fail "round 2 fetched $files output files from the shared cache (want 16)"
(cd "$T/www" && find . -type f | sort) > "$T/remote2"
cmp -s "$T/remote1" "$T/remote2" || fail "round 2 stored new entries: $(diff "$T/remote1" "$T/remote2" | head -3)"
# Each run appends "time hits misses corrupt bytes_read bytes_written" to its cache's stats.
# The oracle: round 1's shards again on their own (now warm) local caches. Round 2, from empty
# local caches and the remote, must look up and miss exactly what they do (a few lookups of
# things a run never stores), and hit as often.
for i in 0 1 2; do wc -l < "$T/round1-$i/stats" > "$T/lines$i"; done
shard_round "$T/out3" "$T/round1-"
misses3=0
for i in 0 1 2; do
    m=$(tail -n +$(($(cat "$T/lines$i") + 1)) "$T/round1-$i/stats" | awk '{s += $3} END {print s + 0}')
    misses3=$((misses3 + m))
done
sum() { cat "$@" | awk -v c="$COL" '{s += $c} END {print s}'; }
COL=3; misses2=$(sum "$T"/round2-*/stats)
COL=2; hits=$(sum "$T"/round2-*/stats)
[ "$misses2" = "$misses3" ] || fail "round 2 missed $misses2 times, a warm local cache $misses3: it recomputed"
[ "$hits" -ge "$n" ] || fail "round 2 had $hits hits, the remote has $n streams"
same_as_master "$T/out1"
same_as_master "$T/out2"
echo "ok: round 2: $hits hits, $misses2 misses as a warm local cache"
