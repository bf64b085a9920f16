#!/usr/bin/env bash
# bench_lv2.sh - lathe's limit against x42-dpl (hosted by lathe's lv2 node) on the same song,
# driven by the same gain into the same -1 dBTP ceiling, both in true-peak mode with a 100 ms
# release: wall time, true peak by lathe's meter, peak and overs of an ideal reconstruction
# (ffmpeg soxr at 16x, precision 28: a long filter), integrated loudness and LRA.
#
# usage: tests/bench/bench_lv2.sh LATHE_BIN INPUT [DRIVE_DB]
set -euo pipefail
LATHE=$1 IN=$2 DRIVE=${3:-6}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
DPL="http://gareus.org/oss/lv2/dpl#stereo"
"$LATHE" plugins "$DPL" >/dev/null 2>&1 || { echo "  skipped: x42-dpl not installed or no LV2 support"; exit 0; }
cc -std=c11 -O2 "$HERE/bench_overs.c" -lm -o "$DIR/overs"
RATE=$("$LATHE" analyze "$IN" --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print((j[0] if isinstance(j, list) else j)["rate"])')

run() { # name node-call
    printf 'local x = source(param("input")):gain{gain_db = %s}\noutput(x:%s, "%s.wav", {bits = 32})\n' \
        "$DRIVE" "$2" "$1" >"$DIR/$1.lua"
    /usr/bin/time -o "$DIR/$1.time" -f "%e %U" "$LATHE" render "$DIR/$1.lua" -D input="$IN" \
        -o "$DIR" --no-cache -j 1 --quiet >/dev/null
    read -r wall cpu <"$DIR/$1.time"
    read -r tp lufs lra < <("$LATHE" analyze "$DIR/$1.wav" --json | python3 -c 'import json,sys
j = json.load(sys.stdin); j = j[0] if isinstance(j, list) else j
print(j["true_peak_dbtp"], j["integrated_lufs"], j["lra_lu"])')
    read -r ipk iovers < <(ffmpeg -nostdin -loglevel error -i "$DIR/$1.wav" \
        -af "aresample=$((RATE * 16)):resampler=soxr:precision=28" -f f32le - | "$DIR/overs" -1.0)
    printf '  %-10s %7.2f %7.2f %10.3f %10.3f %10s %9.2f %7.2f\n' "$1" "$wall" "$cpu" "$tp" "$ipk" \
        "$iovers" "$lufs" "$lra"
}
echo "  input $(basename "$IN") driven +$DRIVE dB into a -1 dBTP ceiling (true-peak modes, 100 ms release)"
printf '  %-10s %7s %7s %10s %10s %10s %9s %7s\n' "" "wall s" "CPU s" "TP dBTP" "ideal pk" \
    "ideal >-1" "LUFS" "LRA"
run limit 'limit{ ceiling_dbtp = -1, release_ms = 100, true_peak = true }'
run x42-dpl "lv2{ uri = \"$DPL\", controls = { threshold = -1, truepeak = 1, release = 0.1 } }"
echo "  (TP: lathe's 8x meter; ideal: 16x soxr reconstruction, its peak and samples above -1 dBFS)"
