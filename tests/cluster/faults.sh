#!/bin/bash
# Faults: a shard killed (SIGKILL) mid-render and run again ends complete and identical; the
# remote stopped mid-run costs one warning and the run completes locally; remote objects with
# a flipped byte or another key's payload are detected, recomputed and never served.
. "$(dirname "$0")/lib.sh"
make_catalogue 6
start_nginx

# 1. kill -9 of a shard as soon as its first track has a record (it is then rendering the next).
"$LATHE_BIN" batch "$T/cat.csv" -o "$T/out" --shard 0/1 --deliver $DELIVER --cache "$T/l1" \
    --cache-remote "$REMOTE" --quiet &
pid=$!
for _ in $(seq 300); do
    [ "$(find "$T/out" -name track.json 2>/dev/null | wc -l)" -ge 1 ] && break
    sleep 0.02
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
done1=$(find "$T/out" -name track.json | wc -l)
[ "$done1" -lt 6 ] || echo "note: the shard finished before the kill landed"
"$LATHE_BIN" batch "$T/cat.csv" -o "$T/out" --shard 0/1 --deliver $DELIVER --cache "$T/l1" \
    --cache-remote "$REMOTE" --quiet || fail "rerun after kill -9"
complete "$T/out" 6
same_as_master "$T/out"
leftovers=$(find "$T/out" -name '*.tmp*' | wc -l)
[ "$leftovers" = 0 ] || echo "note: $leftovers temp files of the killed process remain"

# 2. a flipped byte in every remote stream and output file, and one stream's payload under
#    another's name: a fresh process must detect each, recompute, and still write identical
#    outputs. (Intact output files would spare it every stream: nothing to render.)
# Inverts the middle byte (writing a fixed value left 1 file in 256 as it was).
flip_middle_byte() {
    local at=$(( $(stat -c %s "$1") / 2 )) b
    b=$(od -An -tu1 -j "$at" -N 1 "$1" | tr -d ' ')
    printf "\\$(printf '%03o' $(( b ^ 0xff )))" | dd of="$1" bs=1 seek="$at" conv=notrunc status=none
}
mapfile -t files < <(find "$T/www/lathe-cache/v1" -name '*.d' | sort)
[ "${#files[@]}" -ge 6 ] || fail "remote has ${#files[@]} output files (want one per track and deliverable)"
for e in "${files[@]}"; do
    flip_middle_byte "$e"
done
mapfile -t entries < <(find "$T/www/lathe-cache/v1" -name '*.a' | sort)
[ "${#entries[@]}" -ge 2 ] || fail "remote has ${#entries[@]} streams"
cp "${entries[0]}" "$T/foreign"
cp "${entries[1]}" "${entries[0]}"    # entry 0's name now holds entry 1's payload
cp "$T/foreign" "${entries[1]}"       # and the other way round
for e in "${entries[@]:2}"; do
    flip_middle_byte "$e"
done
log_from=$(wc -l < "$T/nginx/access.log")
"$LATHE_BIN" batch "$T/cat.csv" -o "$T/out2" --deliver $DELIVER --cache "$T/l2" \
    --cache-remote "$REMOTE" --quiet 2>"$T/err2" || fail "run over a corrupt remote"
complete "$T/out2" 6
same_as_master "$T/out2"
corrupt=$(awk '{c += $4} END {print c}' "$T/l2/stats")
# Every stream on the remote is bad; a killed shard may have left some the run never needs, so
# what must be detected is each one it fetched (nginx's log says which, 200s only).
fetched=$(tail -n +$((log_from + 1)) "$T/nginx/access.log" | grep -oE '"GET [^ "]*\.a HTTP/[0-9.]+" 200 ' | sort -u | wc -l)
[ "$fetched" -ge 2 ] || fail "the run over the corrupt remote fetched only $fetched streams"
files_fetched=$(tail -n +$((log_from + 1)) "$T/nginx/access.log" | grep -oE '"GET [^ "]*\.d HTTP/[0-9.]+" 200 ' | sort -u | wc -l)
[ "$files_fetched" -ge 6 ] || fail "the run fetched only $files_fetched of the output files"
[ "$corrupt" -ge $((fetched + files_fetched)) ] ||
    fail "only $corrupt of the $fetched streams and $files_fetched files fetched, all bad, were detected"

# 3. the remote stops mid-run: one warning, the run completes from local work. A highpass
#    the remote has never seen makes every track compute (and PUT), so the run is still going
#    when the server goes away after the first track.
"$LATHE_BIN" batch "$T/cat.csv" -o "$T/out3" --deliver $DELIVER --cache "$T/l3" -D highpass_hz=23 \
    --cache-remote "$REMOTE" 2>"$T/err3" >"$T/log3" &
pid=$!
for _ in $(seq 300); do
    [ "$(find "$T/out3" -name track.json 2>/dev/null | wc -l)" -ge 1 ] && break
    sleep 0.02
done
stop_nginx
wait "$pid" || { cat "$T/err3" >&2; fail "run with the remote stopped mid-run"; }
complete "$T/out3" 6
w=$(grep -c 'warning: cache remote' "$T/err3" || true)
[ "$w" = 1 ] || fail "$w warnings about the stopped remote (expected one)"
[ "$(grep -c . "$T/log3")" -ge 6 ] || fail "not every track reported"
# With the remote gone from the start: a warning, and the run completes.
"$LATHE_BIN" batch "$T/cat.csv" -o "$T/out4" --deliver $DELIVER --cache "$T/l4" \
    --cache-remote "$REMOTE" --quiet 2>"$T/err4" || fail "run with the remote down"
[ "$(grep -c 'warning: cache remote' "$T/err4")" = 1 ] || fail "not one warning with the remote down"
complete "$T/out4" 6
echo ok
