#!/bin/sh
# bench_eq.sh - frames/s of the eq biquad cascade (3 bells, stereo, 4 min at 48 kHz) against
# ffmpeg's equalizer x3 on the same length of noise. Run from anywhere: sh tests/bench/bench_eq.sh
set -e
here=$(cd "$(dirname "$0")" && pwd)
dsp="$here/../../nodes/dsp"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -std=c11 -O3 -I"$dsp" "$here/bench_eq.c" "$dsp/biquad.c" "$dsp/biquad_cascade.c" -lm -o "$tmp/b"
"$tmp/b"
ffmpeg -hide_banner -loglevel error -f lavfi -i "anoisesrc=r=48000:d=240" -ac 2 -c:a pcm_f32le \
    -y "$tmp/n.wav"
t0=$(date +%s.%N)
ffmpeg -hide_banner -loglevel error -i "$tmp/n.wav" -f null -
t1=$(date +%s.%N)
ffmpeg -hide_banner -loglevel error -i "$tmp/n.wav" -af \
    "equalizer=f=100:t=q:w=1:g=3,equalizer=f=1000:t=q:w=1:g=-3,equalizer=f=8000:t=q:w=1:g=2" \
    -f null -
t2=$(date +%s.%N)
echo "ffmpeg equalizer x3: $(echo "$t2 - $t1 - ($t1 - $t0)" | bc) s beyond decoding"
