"""Fixtures for core tests that need a database which really commits (worker threads and
processes cannot share the rolled-back test transaction)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from openoa.core.db import Database, make_engine, upgrade
from tests.core.worker_process import effects_metadata


@pytest.fixture
def scratch_database_url(tmp_path: Path) -> Iterator[str]:
    """A new migrated database of the run's backend: a SQLite file, or a fresh PostgreSQL database."""
    pg_url = os.environ.get("OPENOA_TEST_DATABASE_URL")
    if not pg_url:
        url = f"sqlite:///{tmp_path / 'scratch.db'}"
        upgrade(url)
        yield url
        return
    name = "openoa_scratch_" + secrets.token_hex(6)
    admin = make_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def scratch_db(scratch_database_url: str) -> Iterator[Database]:
    """A Database on :func:`scratch_database_url`, with the workers' ``job_effects`` table."""
    db = Database.from_url(scratch_database_url)
    effects_metadata.create_all(db.engine)
    yield db
    db.engine.dispose()
