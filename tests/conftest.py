"""Shared fixtures: a real database (SQLite, or PostgreSQL when OPENOA_TEST_DATABASE_URL is
set), migrated once per run; one rolled-back transaction per test; a fake clock; real SMTP."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import argon2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from openoa.core import clock as clock_module
from openoa.core import security
from openoa.core.clock import FakeClock
from openoa.core.db import Database, make_engine, upgrade
from openoa.core.settings import Settings
from openoa.integrations import mail as mail_module
from openoa.integrations import storage as storage_module
from openoa.integrations.mail import SmtpMailer
from openoa.integrations.storage import LocalStorage

PG_URL = os.environ.get("OPENOA_TEST_DATABASE_URL")

# Real argon2id, with the parameters argon2-cffi ships for tests: hundreds of sign-ups and
# logins per run would otherwise spend minutes in the key derivation alone.
security.use_hash_parameters(argon2.profiles.CHEAPEST)


def fresh_database_url(tmp: Path, name: str = "test") -> str:
    """A new, empty database: a SQLite file, or a reset schema on the test PostgreSQL."""
    if PG_URL:
        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return PG_URL
    return f"sqlite:///{tmp / (name + '.db')}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = fresh_database_url(tmp_path_factory.mktemp("db"))
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """A Database whose every commit lands in one outer transaction, rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield Database(engine, bind=connection)
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def session(db: Database):  # type: ignore[no-untyped-def]
    with db.scope() as s:
        yield s


@pytest.fixture(autouse=True)
def clock() -> Iterator[FakeClock]:
    fake = FakeClock()
    previous = clock_module.use(fake)
    yield fake
    clock_module.use(previous)


@pytest.fixture(autouse=True)
def storage(tmp_path: Path) -> Iterator[LocalStorage]:
    store = LocalStorage(tmp_path / "media")
    storage_module.use_storage(store)
    yield store
    storage_module.use_storage(None)


class SmtpSink:
    """A real SMTP server on loopback that keeps what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[dict[str, str]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                from email import message_from_bytes

                msg = message_from_bytes(envelope.content)
                body = msg.get_payload(decode=True).decode() if not msg.is_multipart() else \
                    msg.get_payload(0).get_payload(decode=True).decode()
                sink.messages.append({"to": ",".join(envelope.rcpt_tos), "subject": msg["Subject"], "body": body})
                return "250 OK"

        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free_port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port)
        self.lock = threading.Lock()

    def start(self) -> int:
        self.controller.start()
        return int(self.controller.port)

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.port = sink.start()  # type: ignore[attr-defined]
    yield sink
    sink.stop()


@pytest.fixture(autouse=True)
def mailbox(smtp_sink: SmtpSink) -> Iterator[list[dict[str, str]]]:
    """Mail sent during the test, as received by the SMTP sink."""
    smtp_sink.messages.clear()
    mail_module.use_mailer(SmtpMailer("127.0.0.1", smtp_sink.port, sender="OpenOA <test@openoa.local>"))  # type: ignore[attr-defined]
    yield smtp_sink.messages
    mail_module.use_mailer(None)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", base_url="http://testserver", secret_key="test-secret",
                    embedded_worker=False, smtp_host="127.0.0.1")


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    from openoa.core.settings import get_settings
    from openoa.web.app import create_app

    get_settings.cache_clear()
    os.environ["OPENOA_BASE_URL"] = settings.base_url
    yield create_app(settings, db=db, worker=False)
    os.environ.pop("OPENOA_BASE_URL", None)
    get_settings.cache_clear()


def make_client(app) -> TestClient:  # type: ignore[no-untyped-def]
    """A browser-like client that carries the CSRF header on every write."""
    client = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    token = client.get("/csrf").json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return client


@pytest.fixture
def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return make_client(app)


@pytest.fixture
def other_client(app) -> TestClient:  # type: ignore[no-untyped-def]
    """A second, independent visitor (its own cookies)."""
    return make_client(app)


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
