#!/bin/bash
# examples/cluster/k8s-indexed-job.yaml as Kubernetes would run it: its container args, once per
# completion index with JOB_COMPLETION_INDEX set (the Job's completions, two pods at a time),
# /masters being a temp folder. The merged catalogue is complete and matches `lathe master`.
. "$(dirname "$0")/lib.sh"
Y="$LATHE_SRC/examples/cluster/k8s-indexed-job.yaml"
completions=$(sed -n 's/^ *completions: *\([0-9]*\)$/\1/p' "$Y")
[ -n "$completions" ] || fail "no completions in $Y"
# The args are a flow sequence of double-quoted strings: JSON.
mapfile -t args < <(python3 -c '
import json, re, sys
text = open(sys.argv[1]).read()
m = re.search(r"args: (\[.*?\])", text, re.S)
for a in json.loads(m.group(1)): print(a.replace("/masters", sys.argv[2]))' "$Y" "$T")
[ "${args[0]}" = batch ] || fail "the manifest's args do not start with batch: ${args[*]}"
mkdir -p "$T/out"
make_catalogue 4
cp "$T/cat.csv" "$T/catalogue.csv"
for i in $(seq 0 $((completions - 1))); do
    # --deliver after the manifest's own: the last one wins, two deliverables keep the test short.
    JOB_COMPLETION_INDEX=$i LATHE_CACHE="$T/pod$i" \
        "$LATHE_BIN" "${args[@]}" --deliver $DELIVER 2>"$T/err.$i" &
    [ $((i % 2)) = 1 ] && wait
done
wait
for i in $(seq 0 $((completions - 1))); do [ -s "$T/err.$i" ] && { cat "$T/err.$i" >&2; fail "pod $i"; }; done
complete "$T/out" 4
same_as_master "$T/out"
echo ok
