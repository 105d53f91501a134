"""Fixtures for core tests that need a database which really commits (worker threads and
processes cannot share the rolled-back test transaction)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openoa.core.db import Database
from tests.core.worker_process import effects_metadata


@pytest.fixture
def scratch_db(scratch_database_url: str) -> Iterator[Database]:
    """A Database on :func:`scratch_database_url`, with the workers' ``job_effects`` table."""
    db = Database.from_url(scratch_database_url)
    effects_metadata.create_all(db.engine)
    yield db
    db.engine.dispose()
