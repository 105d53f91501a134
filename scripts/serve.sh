#!/usr/bin/env bash
# Install what OpenOA needs and run it with demo data at http://127.0.0.1:8000
# (embedded mode: SQLite under ./var, job worker inside the server).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/pip install --quiet --disable-pip-version-check -e .
.venv/bin/openoa db upgrade
.venv/bin/openoa demo
exec .venv/bin/openoa serve --host "${OPENOA_HOST:-127.0.0.1}" --port "${OPENOA_PORT:-8000}"
