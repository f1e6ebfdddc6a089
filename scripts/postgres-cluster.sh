#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the server's tests, from Debian's postgresql package:
#
#   eval "$(bash scripts/postgres-cluster.sh start)"   # sets MLEGIT_TEST_POSTGRES
#   bash scripts/postgres-cluster.sh stop
#
# The cluster lives in $MLEGIT_PG_DIR (default /tmp/mlegit-pg), listens on 127.0.0.1 at
# $MLEGIT_PG_PORT (default 55432) and on a Unix socket in its directory, and trusts local
# connections (a test database, nothing in it outlives the tests). PostgreSQL refuses to
# run as root: as root, the cluster is made and run as the `postgres` user. The tests
# create a database of their own in it for each test and drop it afterwards.
#
# It also speaks TLS (plain connections stay allowed): a private CA and a certificate for
# 127.0.0.1 made with openssl, the CA's certificate at $MLEGIT_TEST_POSTGRES_CA (printed
# too), for the tests of the store's TLS.
set -euo pipefail
dir="${MLEGIT_PG_DIR:-/tmp/mlegit-pg}"
port="${MLEGIT_PG_PORT:-55432}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "postgres-cluster: no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)" >&2
    exit 1
fi
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-}" in
start)
    if [ ! -f "$dir/PG_VERSION" ]; then
        mkdir -p "$dir"
        if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
        chmod 700 "$dir"
        as_owner "$bin/initdb" -D "$dir" -U mlegit --auth=trust -E UTF8 --no-locale >/dev/null
        # A private CA and the server's certificate for 127.0.0.1 (two days).
        tls="$dir/tls"
        mkdir -p "$tls"
        ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
        openssl req -x509 "${ec[@]}" -keyout "$tls/ca.key" -out "$tls/ca.pem" \
            -subj "/CN=mlegit test database CA" -days 2 \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
        openssl req "${ec[@]}" -keyout "$tls/server.key" -out "$tls/server.csr" -subj /CN=127.0.0.1 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$tls/ext.cnf"
        openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
            -CAcreateserial -out "$tls/server.pem" -days 2 -extfile "$tls/ext.cnf" 2>/dev/null
        chmod 600 "$tls/server.key" "$tls/ca.key"
        if [ "$(id -u)" = 0 ]; then chown -R postgres: "$tls"; fi
        chmod 755 "$tls"
        chmod 644 "$tls/ca.pem"
    fi
    if ! as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
        as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c ssl=on -c ssl_cert_file=$dir/tls/server.pem -c ssl_key_file=$dir/tls/server.key" start >/dev/null
    fi
    echo "export MLEGIT_TEST_POSTGRES=postgresql://mlegit@127.0.0.1:$port/postgres"
    echo "export MLEGIT_TEST_POSTGRES_CA=$dir/tls/ca.pem"
    ;;
stop)
    if [ -f "$dir/PG_VERSION" ]; then
        as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    fi
    ;;
*)
    echo "usage: postgres-cluster.sh start|stop" >&2
    exit 2
    ;;
esac
