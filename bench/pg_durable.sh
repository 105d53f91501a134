#!/usr/bin/env bash
# A throw-away PostgreSQL for the benchmarks, with default durability (fsync, synchronous_commit
# and full_page_writes on, as shared/BENCHMARKS.md asks), on 127.0.0.1; runs CMD with
# BENCH_PG_URL set, then stops the server and deletes its data:
#
#   bash bench/pg_durable.sh sh -c '.venv/bin/python bench/b2_push.py --database-url "$BENCH_PG_URL"'
#
# Same layout as scripts/pg.sh (whose helpers it reuses), without the test suite's fsync=off.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/pg.sh"

bindir=$(pg_bindir) || { echo "pg_durable.sh: PostgreSQL server binaries not found" >&2; exit 1; }
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
PG_ROOT=$(mktemp -d /tmp/openoa-bench-pg.XXXXXX)
chmod 755 "$PG_ROOT"
[ "$(id -u)" = 0 ] && chown postgres "$PG_ROOT"
trap 'pg_stop' EXIT
_pg_as_owner "$bindir/initdb" --pgdata="$PG_ROOT/data" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C >"$PG_ROOT/initdb.log" 2>&1 || { cat "$PG_ROOT/initdb.log" >&2; exit 1; }
PG_PORT=$(_pg_free_port)
_pg_as_owner "$bindir/pg_ctl" --pgdata="$PG_ROOT/data" --log="$PG_ROOT/server.log" --wait --timeout=60 --silent \
    -o "-h 127.0.0.1 -p $PG_PORT -k $PG_ROOT -c max_connections=200" start >/dev/null 2>&1 \
    || { cat "$PG_ROOT/server.log" >&2; exit 1; }
# B5 restarts the server mid-run: it needs pg_ctl and the data folder (run as the owner when root).
BENCH_PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres" BENCH_PG_CTL="$bindir/pg_ctl" \
    BENCH_PG_DATA="$PG_ROOT/data" "$@"
