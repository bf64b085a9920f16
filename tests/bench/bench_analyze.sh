#!/usr/bin/env bash
# bench_analyze.sh - times `lathe analyze` against `ffmpeg -af ebur128=peak=true` on a synthesized
# 4-minute stereo 48 kHz 24-bit file and prints the speed ratio (the issue asks for >= 3x).
# Usage: LATHE_BIN=build/lathe tests/bench/bench_analyze.sh
set -euo pipefail
LATHE_BIN=${LATHE_BIN:-build/lathe}
command -v sox >/dev/null || { echo "skip: sox not found"; exit 0; }
command -v ffmpeg >/dev/null || { echo "skip: ffmpeg not found"; exit 0; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
wav="$dir/bench.wav"
# pink noise with a slow tremolo and a gentle top-end roll-off: programme-like levels and peaks
sox -n -r 48000 -b 24 -c 2 "$wav" synth 240 pinknoise tremolo 0.2 60 lowpass 8000 gain -n -1
best() { # best wall-clock seconds of three runs of "$@"
    local b=999 t
    for _ in 1 2 3; do
        /usr/bin/time -o "$dir/t" -f "%e" "$@" >/dev/null 2>&1
        t=$(tail -1 "$dir/t")
        b=$(echo "$t $b" | awk '{print ($1 < $2) ? $1 : $2}')
    done
    echo "$b"
}
tl=$(best "$LATHE_BIN" analyze "$wav" --json)
tf=$(best ffmpeg -nostats -hide_banner -i "$wav" -af ebur128=peak=true -f null -)
echo "lathe analyze: ${tl} s   ffmpeg ebur128=peak=true: ${tf} s   ratio: $(echo "$tf $tl" | awk '{printf "%.2f", $1 / $2}')x"
