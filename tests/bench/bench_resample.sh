#!/usr/bin/env bash
# bench_resample.sh - wall time of lathe's resample node against sox (rate -v) and ffmpeg
# (soxr, precision 28) on a synthesized stereo 48 kHz 24-bit pink-noise file, for 48->44.1 and
# 48->96 kHz; then the in-memory kernel benchmark (polyphase vs libsamplerate best, no file I/O).
#
# usage: tests/bench/bench_resample.sh [seconds]        (default 240: a 4-minute song)
# env:   LATHE_BIN  the lathe binary (default: build/lathe, then build-*/lathe)
# Not a CTest test: timings depend on the machine and its load.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-240}
LATHE=${LATHE_BIN:-}
if [ -z "$LATHE" ]; then
    for b in "$SRC"/build/lathe "$SRC"/build-*/lathe; do
        [ -x "$b" ] && LATHE=$b && break
    done
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Prints the wall time of a command in seconds, or "fail".
wall() {
    local t0=$EPOCHREALTIME
    if "$@" >"$TMP/log" 2>&1; then
        echo "$EPOCHREALTIME - $t0" | bc -l | awk '{printf "%.2f", $1}'
    else
        echo fail
    fi
}

ratio() { # a/b, or "-"
    if [[ $1 == fail || $2 == fail ]]; then echo -; else echo "$1 / $2" | bc -l | awk '{printf "%.2fx", $1}'; fi
}

echo "synthesizing $SECS s of stereo 48 kHz 24-bit pink noise..."
sox -n -r 48000 -c 2 -b 24 "$TMP/x.wav" synth "$SECS" pinknoise gain -6 || exit 1

mkdir -p "$TMP/out"
for rate in 44100 96000; do
    for q in best reference; do
        cat >"$TMP/rs_${rate}_$q.lua" <<EOF
output(source(param("input")):resample{rate = $rate, quality = "$q"}, "out_$q.wav", {bits = 24})
EOF
    done
    t_sox=$(wall sox "$TMP/x.wav" -b 24 "$TMP/sox.wav" rate -v "$rate")
    t_ff=$(wall ffmpeg -nostdin -y -i "$TMP/x.wav" -af "aresample=$rate:resampler=soxr:precision=28" \
        -c:a pcm_s24le "$TMP/ff.wav")
    t_best=fail t_ref=fail
    if [ -n "$LATHE" ]; then
        t_best=$(wall "$LATHE" render "$TMP/rs_${rate}_best.lua" -D input="$TMP/x.wav" -o "$TMP/out" --no-cache --quiet)
        [ "$t_best" = fail ] && { echo "lathe render failed:"; head -3 "$TMP/log"; }
        t_ref=$(wall "$LATHE" render "$TMP/rs_${rate}_reference.lua" -D input="$TMP/x.wav" -o "$TMP/out" --no-cache --quiet)
    else
        echo "(no lathe binary found: set LATHE_BIN)"
    fi
    echo "48000 -> $rate Hz, ${SECS} s stereo (wall seconds, decode+resample+encode):"
    echo "  lathe resample best       $t_best"
    echo "  lathe resample reference  $t_ref   (libsamplerate SRC_SINC_BEST_QUALITY)"
    echo "  sox rate -v               $t_sox   lathe/sox    $(ratio "$t_best" "$t_sox")"
    echo "  ffmpeg soxr precision=28  $t_ff   lathe/ffmpeg $(ratio "$t_best" "$t_ff")"
done

echo "kernel only (in memory):"
if cc -O3 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$SRC/nodes" -I"$SRC/nodes/dsp" \
    "$SRC/tests/bench/bench_polyphase.c" \
    "$SRC/nodes/dsp/polyphase.c" "$SRC/nodes/dsp/fftconv.c" "$SRC/nodes/dsp/fftw_safe.c" \
    -lsamplerate -lfftw3_threads -lfftw3 -lpthread -lm -o "$TMP/bench_polyphase"; then
    "$TMP/bench_polyphase" "$SECS"
fi
