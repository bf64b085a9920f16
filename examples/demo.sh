#!/usr/bin/env bash
# make demo: synthesize a three-track example album, then master every track into its
# deliverables with examples/master.lua. Prints where the results are; opens nothing.
set -euo pipefail
lathe=${1:-build/lathe}
here=$(cd "$(dirname "$0")" && pwd)
out=${DEMO_OUT:-demo-out}
mkdir -p "$out/mixes" "$out/masters"
mixes=$(cd "$out/mixes" && pwd) # absolute: scripts resolve -D paths from their own folder
roots=(55 73.42 61.74)
for i in 1 2 3; do
  "$lathe" render "$here/song.lua" -o "$out/mixes" --no-cache --quiet \
    -D name="0$i" -D root_hz="${roots[$((i - 1))]}" -D seed="$i"
done
for i in 1 2 3; do
  # one folder per track, so each keeps its report.html (charts of what mastering did)
  "$lathe" render "$here/master.lua" -o "$out/masters/0$i" -D input="$mixes/0$i.wav" -D stem="0$i"
done
echo
echo "masters written to $out/masters/0{1,2,3}/; reports: $out/masters/0{1,2,3}/report.html"
# The same three songs as an album: CD image + CUE, DDP, per-track FLACs, vinyl sides.
"$lathe" render "$here/album.lua" -o "$out/album" -D mixes="$mixes" --quiet
echo "album (CD image + CUE, DDP, streaming, vinyl) written to $out/album/"
