#!/usr/bin/env bash
# make demo: synthesize a three-track example album, then master every track into its
# deliverables with examples/master.lua. Prints where the results are; opens nothing.
set -euo pipefail
lathe=${1:-build/lathe}
here=$(cd "$(dirname "$0")" && pwd)
out=${DEMO_OUT:-demo-out}
mkdir -p "$out/mixes" "$out/masters"
roots=(55 73.42 61.74)
for i in 1 2 3; do
  "$lathe" render "$here/song.lua" -o "$out/mixes" --no-cache --quiet \
    -D name="0$i" -D root_hz="${roots[$((i - 1))]}" -D seed="$i"
done
for i in 1 2 3; do
  "$lathe" render "$here/master.lua" -o "$out/masters" -D input="$(pwd)/$out/mixes/0$i.wav" -D stem="0$i"
done
echo
echo "masters written to $out/masters/"
