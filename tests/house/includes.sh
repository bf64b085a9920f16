#!/usr/bin/env bash
# The house's arrows, checked from the includes themselves (../shared/design.md, "Rooms"):
#   cli -> lua -> engine -> cache;  nodes -> nodes/measure -> nodes/dsp;  nodes and meters see
#   only the engine's node-author API (lathe/lathe_node.h).
# Every quoted include of every source file outside tests/ and examples/ is resolved to a file;
# an include from one room into a room it may not use, an include that resolves to nothing, or
# a loop between files fails. `includes.sh --dot` prints the rooms and their arrows as Graphviz
# DOT instead.
set -euo pipefail
cd "$(dirname "$0")/../.."

pairs=$(mktemp)
trap 'rm -f "$pairs" "$pairs.loop"' EXIT
# "includer included-path" for every quoted include (registry.def is data, not a header)
git ls-files '*.c' '*.h' | grep -v -e '^tests/' -e '^examples/' | xargs grep -H '^#include "' |
    sed 's/^\([^:]*\):#include "\([^"]*\)".*/\1 \2/' | grep -v '\.def$' >"$pairs"

awk -v dot="${1:-}" '
function room(p) {
    if (p ~ /^cli\//) return "cli"; if (p ~ /^lua\//) return "lua"
    if (p ~ /^cache\//) return "cache"; if (p ~ /^engine\//) return "engine"
    if (p ~ /^nodes\/dsp\//) return "dsp"; if (p ~ /^nodes\/measure\//) return "measure"
    if (p ~ /^nodes\//) return "nodes"; return "other"
}
function resolve(f, inc,   d) {
    if (inc == "lathe/registry.h") return "nodes/registry.h"
    if (inc ~ /^lathe\//) return "engine/" substr(inc, 7)
    if (inc ~ /^(dsp|measure)\//) return "nodes/" inc
    if (inc ~ /\//) return inc
    d = f; sub(/\/[^\/]*$/, "", d); return d "/" inc
}
BEGIN {
    # what each room may use besides itself; lathe = the installed API, lathe_node = its
    # node-author half
    may["cli"] = " lua engine lathe lathe_node nodes measure dsp cache "
    may["lua"] = " engine lathe lathe_node nodes measure "
    may["engine"] = " lathe lathe_node cache "
    may["nodes"] = " lathe_node measure dsp "
    may["measure"] = " lathe_node dsp "
    may["dsp"] = " "; may["cache"] = " "
    bad = 0
}
{
    f = $1; inc = $2; to = resolve(f, inc)
    if ((getline line < to) < 0) { print f ": #include \"" inc "\" resolves to no file" > "/dev/stderr"; bad = 1; next }
    close(to)
    print f, to > PAIRS_OUT
    a = room(f); b = room(to)
    if (a == b) next
    what = b
    if (inc ~ /^lathe\//) what = "lathe"
    if (inc == "lathe/lathe_node.h") what = "lathe_node"
    if (index(may[a], " " what " ") == 0) {
        print f " includes " inc ": the " a " room may not use " what > "/dev/stderr"; bad = 1
    }
    arrow[a " -> " b] = 1
}
END {
    if (dot == "--dot") {
        print "digraph house {\n  rankdir=TB; node [shape=box];"
        for (k in arrow) print "  " k ";" | "sort"
        close("sort"); print "}"
    }
    exit bad
}' PAIRS_OUT="$pairs.resolved" "$pairs" || bad=1
bad=${bad:-0}
[ "${1:-}" = --dot ] && exit "$bad"
# tsort names the files of any loop on stderr and exits non-zero.
if ! tsort "$pairs.resolved" >/dev/null 2>"$pairs.loop"; then
    echo "include loop between files:" >&2
    cat "$pairs.loop" >&2
    bad=1
fi
n=$(wc -l <"$pairs.resolved")
rm -f "$pairs.resolved"
if [ "$bad" = 0 ]; then
    echo "house: $n includes checked, every arrow allowed, no loops"
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
fi
exit "$bad"
