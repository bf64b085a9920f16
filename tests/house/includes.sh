#!/usr/bin/env bash
# The house's arrows, checked from the includes themselves (../shared/design.md, "Rooms"):
#   cli -> lua -> engine -> cache;  nodes -> nodes/measure -> nodes/dsp;  nodes -> engine's
#   node-author API (lathe/lathe_node.h) only.
# Every quoted include of every source file outside tests/ is resolved to a file; an include
# from one room into a room it may not use, an include that resolves to nothing, or a loop
# between files fails. `includes.sh --dot` prints the rooms and their arrows as Graphviz DOT
# instead (the drawing in the README is made from it).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

room_of() { # a path -> its room
    case "$1" in
    cli/*) echo cli ;; lua/*) echo lua ;; cache/*) echo cache ;; engine/*) echo engine ;;
    nodes/dsp/*) echo dsp ;; nodes/measure/*) echo measure ;; nodes/*) echo nodes ;;
    *) echo other ;;
    esac
}
# What each room may include besides itself. lathe/ is the engine's installed API; for nodes
# and meters only its node-author half.
allowed() {
    case "$1" in
    cli) echo "lua engine lathe nodes measure dsp cache" ;;
    lua) echo "engine lathe nodes measure" ;;
    engine) echo "lathe cache" ;;
    nodes) echo "lathe_node measure dsp" ;;
    measure) echo "lathe_node dsp" ;;
    dsp | cache) echo "" ;;
    esac
}
resolve() { # includer, include -> repository path of the included file, or nothing
    local dir=${1%/*} inc=$2
    case "$inc" in
    lathe/registry.h) echo nodes/registry.h ;;
    lathe/*) echo "engine/${inc#lathe/}" ;;
    dsp/* | measure/*) echo "nodes/$inc" ;;
    */*) echo "$inc" ;;
    *) echo "$dir/$inc" ;;
    esac
}

pairs=$(mktemp)
trap 'rm -f "$pairs"' EXIT
bad=0
declare -A arrows
while read -r f; do
    from=$(room_of "$f")
    while read -r inc; do
        [ -n "$inc" ] || continue
        to_file=$(resolve "$f" "$inc")
        if [ ! -f "$to_file" ]; then
            echo "$f: #include \"$inc\" resolves to no file in the tree" >&2
            bad=1
            continue
        fi
        echo "$f $to_file" >>"$pairs"
        to=$(room_of "$to_file")
        [ "$to" = "$from" ] && continue
        what=$to
        case "$inc" in lathe/*) what=lathe ;; esac
        [ "$inc" = lathe/lathe_node.h ] && what=lathe_node
        ok=0
        for a in $(allowed "$from"); do
            [ "$a" = "$what" ] && ok=1
            [ "$a" = lathe ] && [ "$what" = lathe_node ] && ok=1
        done
        if [ $ok = 0 ]; then
            echo "$f includes $inc: the $from room may not use $what" >&2
            bad=1
        fi
        arrows["$from -> $to"]=1
    done < <(grep -h '^#include "' "$f" | sed 's/#include "\([^"]*\)".*/\1/' | grep -v '\.def$' || true)
done < <(git ls-files '*.c' '*.h' | grep -v -e '^tests/' -e '^examples/')

if [ "${1:-}" = --dot ]; then
    echo "digraph house {"
    echo "  rankdir=TB; node [shape=box];"
    for a in "${!arrows[@]}"; do echo "  $a;"; done | sort
    echo "}"
    exit 0
fi
# tsort names the files of any loop on stderr and exits non-zero.
if ! tsort "$pairs" >/dev/null 2>"$pairs.loop"; then
    echo "include loop between files:" >&2
    cat "$pairs.loop" >&2
    bad=1
fi
rm -f "$pairs.loop"
n=$(wc -l <"$pairs")
if [ $bad = 0 ]; then
    echo "house: $n includes checked, every arrow allowed, no loops"
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
fi
exit $bad
