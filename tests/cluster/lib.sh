# lib.sh - shared by the cluster tests: a temp folder, a synthesized catalogue, and an nginx
# with WebDAV serving examples/cluster/nginx-cache.conf's location on a free 127.0.0.1 port.
# Sourced; expects LATHE_BIN and LATHE_SRC (set by CTest).
set -eu
: "${LATHE_BIN:?}" "${LATHE_SRC:?}"
export LATHE_CHAINS="$LATHE_SRC/chains"
T=$(mktemp -d "${TMPDIR:-/tmp}/lathe-cluster.XXXXXX")
NGINX_PID=
cleanup() {
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
DELIVER=streaming,cd

# make_catalogue N: N stereo tracks of 4..7 s (CD's shortest track is 4 s) and $T/cat.csv.
make_catalogue() {
    mkdir -p "$T/src"
    echo "file,target" > "$T/cat.csv"
    i=0
    while [ "$i" -lt "$1" ]; do
        sox -n -r 44100 -c 2 -b 24 "$T/src/track$i.wav" synth $((4 + i % 4)).$((i * 7 % 10)) \
            sine $((110 + 37 * i)) sine $((440 + 91 * i)) pinknoise vol 0.25 remix 1,3 2,3 2>/dev/null \
            || fail "sox cannot synthesize"
        echo "src/track$i.wav,-$((14 + i % 3))" >> "$T/cat.csv"
        i=$((i + 1))
    done
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_nginx [PORT]: serves $T/www/lathe-cache/ at $REMOTE; the location block is the example's.
start_nginx() {
    PORT=${1:-$(free_port)}
    mkdir -p "$T/nginx/tmp" "$T/www/lathe-cache"
    sed "s#root /srv;#root $T/www;#" "$LATHE_SRC/examples/cluster/nginx-cache.conf" > "$T/nginx/location.conf"
    cat > "$T/nginx/nginx.conf" <<CONF
$( [ "$(id -u)" = 0 ] && echo "user root root;" )
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
    access_log $T/nginx/access.log;
    client_body_temp_path $T/nginx/tmp/body;
    proxy_temp_path $T/nginx/tmp/proxy;
    fastcgi_temp_path $T/nginx/tmp/fastcgi;
    uwsgi_temp_path $T/nginx/tmp/uwsgi;
    scgi_temp_path $T/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$PORT;
        include $T/nginx/location.conf;
    }
}
CONF
    nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' 2>"$T/nginx/stderr" &
    NGINX_PID=$!
    REMOTE="http://127.0.0.1:$PORT/lathe-cache"
    for _ in $(seq 50); do
        curl -s -o /dev/null "$REMOTE/" && return 0
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$T/nginx/stderr" >&2
    fail "nginx did not start"
}

stop_nginx() {
    kill "$NGINX_PID" && wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=
}

# shard_round OUT CACHEPREFIX: the catalogue as 3 shards by 3 concurrent processes, each with
# its own empty local cache and the shared remote.
shard_round() {
    pids=
    for i in 0 1 2; do
        "$LATHE_BIN" batch "$T/cat.csv" -o "$1" --shard $i/3 --deliver $DELIVER \
            --cache "$2$i" --cache-remote "$REMOTE" --quiet 2>"$T/err.$i" &
        pids="$pids $!"
    done
    for p in $pids; do wait "$p" || { cat "$T"/err.* >&2; fail "a shard failed"; }; done
}

# same_as_master OUT: every track's outputs byte-identical to one `lathe master` of it.
same_as_master() {
    for f in "$T"/src/*.wav; do
        s=$(basename "$f" .wav)
        tgt=$(grep "/$s.wav," "$T/cat.csv" | cut -d, -f2)
        mkdir -p "$T/ref"
        [ -d "$T/ref/$s" ] || "$LATHE_BIN" master "$f" -o "$T/ref/$s" --deliver $DELIVER \
            --target "$tgt" --cache "$T/refcache" --quiet || fail "lathe master $s"
        for o in "$T/ref/$s"/*.wav "$T/ref/$s"/*.flac; do
            cmp -s "$o" "$1/$s/$(basename "$o")" || fail "$1/$s/$(basename "$o") differs from lathe master's"
        done
    done
}

# complete OUT N: the merged catalogue lists N tracks, none failing, one row per deliverable.
complete() {
    [ -f "$1/index.html" ] || fail "no $1/index.html"
    [ "$(jq .tracks "$1/catalogue.json")" = "$2" ] || fail "catalogue lists $(jq .tracks "$1/catalogue.json") tracks, not $2"
    [ "$(jq .failed "$1/catalogue.json")" = 0 ] || fail "catalogue has failures"
    [ "$(jq '.rows | length' "$1/catalogue.json")" = $(($2 * 2)) ] || fail "catalogue rows"
}
