#!/bin/bash
# GNU parallel runs the three shards (examples/cluster/parallel.sh, the very file the README
# shows) over a shared nginx cache; the last shard to finish merges a complete catalogue whose
# outputs are byte-identical to `lathe master` of each track.
. "$(dirname "$0")/lib.sh"
command -v parallel >/dev/null || { echo "skip: GNU parallel is not installed"; exit 77; }
make_catalogue 5
start_nginx
export LATHE LATHE_DELIVER=$DELIVER LATHE_CACHE="$T/local"
LATHE=$LATHE_BIN
"$LATHE_SRC/examples/cluster/parallel.sh" "$T/cat.csv" "$T/out" "$REMOTE" || fail "parallel.sh"
complete "$T/out" 5
same_as_master "$T/out"
# Run again: every track is up to date, nothing rendered, the catalogue rewritten the same.
cp "$T/out/catalogue.json" "$T/before.json"
out=$("$LATHE_BIN" batch "$T/cat.csv" -o "$T/out" --deliver $DELIVER)
[ "$(echo "$out" | grep -c 'up to date')" = 5 ] || fail "a second run rendered again: $out"
cmp -s "$T/before.json" "$T/out/catalogue.json" || fail "the catalogue changed on a no-op run"
# --json: this shard's track records (here the one shard of all five), each passing.
"$LATHE_BIN" batch "$T/cat.csv" -o "$T/out" --deliver $DELIVER --json >"$T/shard.json"
[ "$(jq '[.tracks[] | select(.pass)] | length' "$T/shard.json")" = 5 ] || fail "--json: $(head -c 300 "$T/shard.json")"
echo ok
