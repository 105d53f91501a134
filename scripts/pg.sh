#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on 127.0.0.1 for the test suite.
#
#   bash scripts/pg.sh                 start one, print its URL, stop it on Ctrl-C
#   bash scripts/pg.sh CMD [ARGS...]   run CMD with OPENOA_TEST_DATABASE_URL set, then stop it
#   source scripts/pg.sh; pg_start     (what scripts/test.sh does) sets PG_URL; pg_stop ends it
#
# The cluster lives in a mktemp folder, listens on a free port with trust auth for
# loopback only, and runs without fsync: it holds nothing worth keeping. initdb refuses
# to run as root, so as root the server runs as the `postgres` OS user.

PG_ROOT=""
PG_URL=""
PG_PORT=""

pg_bindir() {
    local dir
    # Debian keeps the server binaries out of PATH, one folder per major version.
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        echo "$dir"
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    else
        return 1
    fi
}

_pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

_pg_free_port() {
    python3 - <<'PY'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PY
}

pg_start() {
    local bindir attempt
    bindir=$(pg_bindir) || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; return 1; }
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    # /tmp, not $TMPDIR: the postgres user must be able to reach the folder.
    PG_ROOT=$(mktemp -d /tmp/openoa-pg.XXXXXX)
    chmod 755 "$PG_ROOT"
    [ "$(id -u)" = 0 ] && chown postgres "$PG_ROOT"
    _pg_as_owner "$bindir/initdb" --pgdata="$PG_ROOT/data" --username=postgres --auth=trust \
        --encoding=UTF8 --locale=C --no-sync >"$PG_ROOT/initdb.log" 2>&1 \
        || { cat "$PG_ROOT/initdb.log" >&2; return 1; }
    # Another process may take the port between probing and binding it: try a few.
    for attempt in 1 2 3 4 5; do
        PG_PORT=$(_pg_free_port)
        if _pg_as_owner "$bindir/pg_ctl" --pgdata="$PG_ROOT/data" --log="$PG_ROOT/server.log" \
            --wait --timeout=60 --silent \
            -o "-h 127.0.0.1 -p $PG_PORT -k $PG_ROOT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1; then
            PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
            export PG_URL PG_PORT PG_ROOT
            return 0
        fi
        echo "pg.sh: start on port $PG_PORT failed (attempt $attempt)" >&2
    done
    cat "$PG_ROOT/server.log" >&2 || true
    return 1
}

pg_stop() {
    local bindir
    [ -n "$PG_ROOT" ] || return 0
    if [ -d "$PG_ROOT/data" ] && bindir=$(pg_bindir); then
        _pg_as_owner "$bindir/pg_ctl" --pgdata="$PG_ROOT/data" --mode=immediate --silent stop \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_ROOT"
    PG_ROOT=""
}

# Run as a script (not sourced): start, run the command or wait, stop.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -uo pipefail
    sleeper=""
    trap 'pg_stop; [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null' EXIT
    trap 'exit 130' INT TERM
    pg_start || exit 1
    if [ $# -gt 0 ]; then
        OPENOA_TEST_DATABASE_URL="$PG_URL" "$@"
        exit $?
    fi
    echo "PostgreSQL is up: $PG_URL (Ctrl-C stops it and deletes its data)"
    # `wait` returns as soon as a signal arrives, so the trap stops the server at once.
    while true; do
        sleep 3600 &
        sleeper=$!
        wait "$sleeper"
    done
fi
