#!/usr/bin/env bash
# bench_dynamics.sh - frames/s of lathe's compress / multiband / dyneq / saturate against their
# ffmpeg counterparts (acompressor, mcompand, adynamicequalizer, asoftclip) on the same synthesized
# 4-minute stereo 48 kHz float WAV.
#
# usage: tests/bench/bench_dynamics.sh [LATHE_BIN] [RUNS]
#
# Each side's decode/encode cost is measured and subtracted: ffmpeg's filter time is its user CPU
# time minus that of `-af anull`; lathe's node time is its user CPU time minus that of a
# `gain` render of the same file. Best of RUNS (default 3) each. Single-threaded on both sides.
set -euo pipefail

LATHE=${1:-${LATHE_BIN:-build/lathe}}
RUNS=${2:-3}
FRAMES=$((240 * 48000))
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

ffmpeg -loglevel error -y -f lavfi \
    -i "anoisesrc=d=240:c=pink:r=48000:a=0.3:seed=7,volume='0.3+0.7*abs(sin(t*0.7))':eval=frame" \
    -ac 2 -c:a pcm_f32le "$DIR/in.wav"

# user CPU seconds of ffmpeg's run with filter $1 (best of RUNS)
ff_time() {
    local best=999 t
    for _ in $(seq "$RUNS"); do
        t=$(ffmpeg -benchmark -threads 1 -filter_threads 1 -y -i "$DIR/in.wav" -af "$1" \
            -f null - 2>&1 | sed -n 's/.*utime=\([0-9.]*\)s.*/\1/p')
        best=$(echo "$t $best" | awk '{print ($1 < $2) ? $1 : $2}')
    done
    echo "$best"
}

# user CPU seconds of `lathe render` of a script whose node call is $1 (best of RUNS)
lathe_time() {
    printf 'local x = source("%s")\noutput(x:%s, "out.wav")\n' "$DIR/in.wav" "$1" > "$DIR/s.lua"
    if ! "$LATHE" render "$DIR/s.lua" -o "$DIR/o" --no-cache --quiet > /dev/null; then
        echo "bench_dynamics: lathe render failed for: $1" >&2
        exit 1
    fi
    local best=999 t
    for _ in $(seq "$RUNS"); do
        t=$( { TIMEFORMAT=%U; time "$LATHE" render "$DIR/s.lua" -o "$DIR/o" -j 1 --no-cache \
               --quiet > /dev/null; } 2>&1 | tail -1)
        best=$(echo "$t $best" | awk '{print ($1 < $2) ? $1 : $2}')
    done
    echo "$best"
}

printf '%-12s %14s %14s %8s   %s\n' node "lathe Mfr/s" "ffmpeg Mfr/s" ratio \
    "(net CPU s: lathe node, ffmpeg filter)"

row() { # name lathe-call ffmpeg-filter; baselines re-measured per row against load drift
    local la la0 ff ff0
    la0=$(lathe_time 'gain{ gain_db = -1 }')
    la=$(lathe_time "$2")
    ff0=$(ff_time anull)
    ff=$(ff_time "$3")
    awk -v n="$1" -v la="$la" -v la0="$la0" -v ff="$ff" -v ff0="$ff0" -v fr="$FRAMES" 'BEGIN {
        dl = la - la0; df = ff - ff0; if (dl < 0.001) dl = 0.001; if (df < 0.001) df = 0.001;
        printf "%-12s %14.1f %14.1f %8.2f   (%.3f, %.3f)\n", n, fr / dl / 1e6, fr / df / 1e6,
               df / dl, dl, df }'
}

row compress \
    'compress{ threshold_db = -20, ratio = 4, knee_db = 6, attack_ms = 10, release_ms = 100 }' \
    'acompressor=threshold=0.1:ratio=4:knee=2:attack=10:release=100'
B='{threshold_db = -25, ratio = 3}'
K='6 -47/-40\,-34/-34\,-17/-33'
row multiband "multiband{ crossovers_hz = {150, 2500}, bands = { $B, $B, $B } }" \
    "mcompand=args=0.005\,0.1 $K 150 | 0.003\,0.05 $K 2500 | 0.000625\,0.0125 $K 22000"
row dyneq 'dyneq{ bands = { {freq_hz = 1000, q = 1, threshold_db = -25, ratio = 3} } }' \
    'adynamicequalizer=threshold=0.05:dfrequency=1000:dqfactor=1:tfrequency=1000:tqfactor=1:ratio=3'
row saturate 'saturate{ drive_db = 6 }' 'asoftclip=type=tanh:oversample=8'
