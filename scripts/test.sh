#!/usr/bin/env bash
# The one test command: installs what is missing, lints, then runs the whole suite on
# SQLite (browser journeys included) and again on a throw-away PostgreSQL cluster.
#
#   bash scripts/test.sh [pytest args...]     e.g. bash scripts/test.sh -x tests/core
#
# On a fresh Debian machine with Python 3.11 and root it installs PostgreSQL, Chromium
# and Node.js from Debian, the project into .venv, and axe-core from package-lock.json.
# Every stage runs even after an earlier one failed; the exit code is non-zero if any did.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
export PIP_DISABLE_PIP_VERSION_CHECK=1 DEBIAN_FRONTEND=noninteractive

# shellcheck source=scripts/pg.sh
source "$ROOT/scripts/pg.sh"

FAILED=()
STARTED=$SECONDS

section() { printf '\n======== %s ========\n' "$*"; }

fatal() {
    echo "test.sh: $*" >&2
    exit 1
}

# Run a named stage; remember it if it fails, and keep going.
stage() {
    local name=$1 rc started=$SECONDS
    shift
    section "$name"
    "$@"
    rc=$?
    # pytest's 5 means it collected no tests: a failure here, never a pass.
    [ "$rc" -eq 5 ] && echo "!! $name: no tests were collected"
    if [ "$rc" -ne 0 ]; then
        echo "!! $name failed (exit $rc)"
        FAILED+=("$name (exit $rc)")
    else
        echo "-- $name passed in $((SECONDS - started)) s"
    fi
    return 0
}

# ---------------------------------------------------------------- system packages
section "System packages"
missing=()
pg_bindir >/dev/null || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
PYTHON=$(command -v python3.11 || command -v python3) || missing+=(python3 python3-venv)
if [ -n "${PYTHON:-}" ] && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || fatal "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
    echo "installing: ${missing[*]}"
    apt-get update -q || fatal "apt-get update failed"
    apt-get install -y -q "${missing[@]}" || fatal "apt-get install ${missing[*]} failed"
    PYTHON=$(command -v python3.11 || command -v python3) || fatal "no python3 after installing it"
else
    echo "present: postgresql ($(pg_bindir)), chromium, npm, $PYTHON"
fi
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || fatal "$PYTHON is older than 3.11"

# ---------------------------------------------------------------- Python environment
section "Python environment (.venv)"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv || fatal "could not create .venv"
fi
# Reinstall only when the dependencies or the checkout's location changed.
stamp="$(cat pyproject.toml; echo "$ROOT")"
stamp=$(printf '%s' "$stamp" | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.openoa-installed 2>/dev/null)" != "$stamp" ] || ! .venv/bin/python -c 'import openoa' 2>/dev/null; then
    .venv/bin/python -m pip install -q --upgrade pip || fatal "pip upgrade failed"
    .venv/bin/python -m pip install -q -e ".[test]" || fatal "pip install -e .[test] failed"
    echo "$stamp" >.venv/.openoa-installed
fi
.venv/bin/python --version

# ---------------------------------------------------------------- Node packages (axe-core)
section "Node packages (npm ci)"
lock=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.openoa-installed 2>/dev/null)" != "$lock" ]; then
    npm ci --no-audit --no-fund --loglevel=error || fatal "npm ci failed"
    echo "$lock" >node_modules/.openoa-installed
fi
echo "axe-core $(node -p 'require("axe-core/package.json").version')"

PYTEST=("$ROOT/.venv/bin/python" -m pytest -p no:cacheprovider)

# ---------------------------------------------------------------- lint
stage "Lint: ruff check src tests" .venv/bin/ruff check src tests
stage "Lint: import contracts (lint-imports)" .venv/bin/lint-imports --no-logo --no-cache
stage "Lint: house conventions (tests/checks)" "${PYTEST[@]}" -q tests/checks

# ---------------------------------------------------------------- PostgreSQL
section "PostgreSQL (throw-away cluster)"
trap pg_stop EXIT
trap 'exit 130' INT TERM
if pg_start; then
    echo "up at $PG_URL (data in $PG_ROOT)"
else
    echo "!! PostgreSQL did not start"
    FAILED+=("PostgreSQL start")
fi

# ---------------------------------------------------------------- the suite, twice
stage "Tests on SQLite (everything, browser journeys included)" \
    env -u OPENOA_TEST_DATABASE_URL "${PYTEST[@]}" --ignore=tests/checks "$@"
if [ -n "$PG_URL" ]; then
    stage "Tests on PostgreSQL (all but e2e)" \
        env OPENOA_TEST_DATABASE_URL="$PG_URL" "${PYTEST[@]}" --ignore=tests/checks -m "not e2e" "$@"
fi

# ---------------------------------------------------------------- verdict
section "Summary ($((SECONDS - STARTED)) s)"
if [ ${#FAILED[@]} -gt 0 ]; then
    printf 'FAILED: %s\n' "${FAILED[@]}"
    exit 1
fi
echo "All stages passed."
