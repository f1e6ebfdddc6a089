#!/usr/bin/env bash
# Load run of the two stores side by side (README, "Load run"): activations per second and
# p99 on one replica on SQLite, one on PostgreSQL and two on one PostgreSQL database; the
# status list route on each; and a class of 30 registered with photos, then its batch of
# codes. Release build, loopback, RUST_LOG=warn, wrk from Debian's packages.
#
#   eval "$(bash scripts/postgres-cluster.sh start)"
#   bash crates/mlegit-server/loadtest/stores.sh [ACTIVATIONS] [SECONDS]
#
# MLEGIT_LOAD_KEYS=N (default 1) makes every activation ask for a batch of N credentials
# (spec §19): N device keys and proofs per request, N credentials per answer.
#
# Every activation request is prepared before the run (loadprep) and sent once.
set -euo pipefail
cd "$(dirname "$0")/../../.."
n="${1:-6000}"
secs="${2:-2}"
: "${MLEGIT_TEST_POSTGRES:?run scripts/postgres-cluster.sh start first}"
cargo build -q --release -p mlegit-server --bin mlegit-server --example loadprep
bin=target/release/mlegit-server
prep=target/release/examples/loadprep
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

base="${MLEGIT_TEST_POSTGRES%/*}"
psql_admin() { psql -q -v ON_ERROR_STOP=1 "$MLEGIT_TEST_POSTGRES" -c "$1" >/dev/null; }

# start LOG DATA DATABASE: a server on a free port; sets $url.
start() {
    local log="$work/$1.log"
    RUST_LOG=warn "$bin" serve --data "$2" --database "$3" --listen 127.0.0.1:0 \
        --public-url http://stores.invalid 2>"$log" &
    pids+=($!)
    for _ in $(seq 100); do
        url="$(sed -n 's/^bound to /http:\/\//p' "$log")"
        [ -n "$url" ] && return 0
        sleep 0.1
    done
    echo "server $1 did not start" >&2
    cat "$log" >&2
    exit 1
}

token() { # DATA DATABASE
    "$bin" school create LO --data "$1" --database "$2" >/dev/null
    "$bin" token create 1 --data "$1" --database "$2" 2>/dev/null
}

# wrk_act URL FILE: one wrk run of the prepared activations in FILE.
wrk_act() {
    wrk -t2 -c8 -d"${secs}s" --latency -s crates/mlegit-server/loadtest/activate.lua "$1" -- "$2" 2 |
        awk '/Requests\/sec/ {rps=$2} / 99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {printf "%s req/s, p99 %s, non-2xx %s\n", rps, p99, (bad == "" ? 0 : bad)}'
}

wrk_list() {
    wrk -t2 -c8 -d"${secs}s" --latency "$1/v1/status-lists/1" |
        awk '/Requests\/sec/ {rps=$2} / 99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {printf "%s req/s, p99 %s, non-2xx %s\n", rps, p99, (bad == "" ? 0 : bad)}'
}

run() { # NAME DATABASE REPLICAS
    local name="$1" db="$2" replicas="$3" data="$work/$1-data"
    start "$name" "$data" "$db"
    local first="$url"
    local t
    t="$(token "$data" "$db")"
    "$prep" "$first" "$t" "$n" "$work/$name.tsv" "${MLEGIT_LOAD_KEYS:-1}" 2>&1 | grep -v '^prepared'
    if [ "$replicas" = 1 ]; then
        echo "$name, activations: $(wrk_act "$first" "$work/$name.tsv")"
        echo "$name, status list: $(wrk_list "$first")"
    else
        # The second replica on the same data directory (secret and keys) and database.
        start "$name-2" "$data" "$db"
        local second="$url"
        awk 'NR % 2 == 0' "$work/$name.tsv" >"$work/$name-a.tsv"
        awk 'NR % 2 == 1' "$work/$name.tsv" >"$work/$name-b.tsv"
        wrk_act "$first" "$work/$name-a.tsv" >"$work/a.out" &
        local wa=$!
        wrk_act "$second" "$work/$name-b.tsv" >"$work/b.out"
        wait "$wa"
        echo "$name, activations, replica 1: $(cat "$work/a.out")"
        echo "$name, activations, replica 2: $(cat "$work/b.out")"
        wrk_list "$first" >"$work/a.out" &
        wa=$!
        wrk_list "$second" >"$work/b.out"
        wait "$wa"
        echo "$name, status list, replica 1: $(cat "$work/a.out")"
        echo "$name, status list, replica 2: $(cat "$work/b.out")"
    fi
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    pids=()
}

run sqlite "sqlite:$work/sqlite-data/mlegit.sqlite3" 1
for r in 1 2; do
    dbname="mlegit_load_${r}_$$"
    psql_admin "CREATE DATABASE $dbname"
    # Plain TCP on loopback, as the README's table was measured; MLEGIT_LOAD_TLS=1 runs
    # over TLS with the test cluster's CA instead.
    tls="?sslmode=disable"
    if [ "${MLEGIT_LOAD_TLS:-}" = 1 ]; then
        tls="?sslmode=require&sslrootcert=${MLEGIT_TEST_POSTGRES_CA:?}"
    fi
    run "postgres-$r" "$base/$dbname$tls" "$r"
    psql_admin "DROP DATABASE $dbname WITH (FORCE)"
done
