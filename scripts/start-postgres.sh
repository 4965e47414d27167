#!/usr/bin/env bash
# Start a throwaway PostgreSQL for the test suite on loopback; idempotent; prints the URL to use as
# TEST_POSTGRES_URL. Durability is off (fsync): the data is disposable and CREATE DATABASE per test gets
# fast. Data lives under $PGTEST_DIR (default /tmp/pgtest), port $PGTEST_PORT (default 54329).
set -euo pipefail

PGTEST_DIR="${PGTEST_DIR:-/tmp/pgtest}"
PGTEST_PORT="${PGTEST_PORT:-54329}"
DATA_DIR="$PGTEST_DIR/data"

find_bindir() {
    # Highest installed major version wins (Debian installs under /usr/lib/postgresql/<major>/bin).
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$dir" && -x "$dir/initdb" ]]; then
        echo "$dir"
    fi
}

as_postgres() {
    # initdb and postgres refuse to run as root, so drop to the postgres user when we are root.
    if [[ "$(id -u)" == "0" ]]; then
        su postgres -s /bin/sh -c "$1"
    else
        sh -c "$1"
    fi
}

BINDIR="$(find_bindir)"
if [[ -z "$BINDIR" ]]; then
    SUDO=""
    if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
    BINDIR="$(find_bindir)"
    if [[ -z "$BINDIR" ]]; then
        echo "start-postgres.sh: PostgreSQL binaries not found after installing" >&2
        exit 1
    fi
fi

mkdir -p "$PGTEST_DIR"
if [[ "$(id -u)" == "0" ]]; then chown postgres "$PGTEST_DIR"; fi

if [[ ! -f "$DATA_DIR/PG_VERSION" ]]; then
    as_postgres "'$BINDIR/initdb' -D '$DATA_DIR' -A trust -U postgres" >&2
fi

if ! "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PGTEST_PORT"; then
    if ! as_postgres "'$BINDIR/pg_ctl' -D '$DATA_DIR' status" >/dev/null 2>&1; then
        as_postgres "'$BINDIR/pg_ctl' -D '$DATA_DIR' -o '-p $PGTEST_PORT -k $PGTEST_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off' -l '$PGTEST_DIR/log' start" >&2
    fi
    for _ in $(seq 1 60); do
        if "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PGTEST_PORT"; then break; fi
        sleep 0.5
    done
    if ! "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PGTEST_PORT"; then
        echo "start-postgres.sh: PostgreSQL did not become ready; see $PGTEST_DIR/log" >&2
        exit 1
    fi
fi

echo "postgresql://postgres@127.0.0.1:$PGTEST_PORT/postgres"
