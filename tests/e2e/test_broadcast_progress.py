"""A bot's broadcast seen from the Manager console: the Broadcasts page lists it and moves its bar
as chunks are delivered, without a reload, until it reads Sent. The server runs without its worker,
so the test delivers the chunks itself, one at a time, and watches the page follow."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from linebot.v3.messaging import (
    ApiClient,
    BroadcastRequest,
    Configuration,
    MessagingApi,
    TextMessage,
)
from sqlalchemy import select

from openoa.core.jobs import run_due_jobs
from openoa.messaging import jobs
from openoa.messaging.models import Send
from openoa.modules import load_job_modules
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_every_page import log_in
from tests.live import LiveServer, serve
from tests.messaging.crowd import chunks_to_do

FRIENDS = 120


@pytest.fixture(scope="module")
def quiet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose sends wait for the test to deliver them."""
    with serve(tmp_path_factory.mktemp("progress"), secret="progress-secret", demo_users=FRIENDS,
               settings={"OPENOA_EMBEDDED_WORKER": "false"}) as server:
        yield server


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_the_console_shows_a_bots_broadcast_progress_live(quiet_server: LiveServer, new_page, kind):
    demo = quiet_server.cli("demo")  # the demo account's credentials (a fresh 30-day token)
    account_id = demo["accounts"][0]["id"]
    with ApiClient(Configuration(host=quiet_server.url, access_token=demo["bot"]["channel_access_token"])) as client:
        answer = MessagingApi(client).broadcast_with_http_info(BroadcastRequest(
            messages=[TextMessage(text=f"Flash sale ({kind})")]))
    assert answer.status_code == 200
    request_id = answer.headers["x-line-request-id"]

    page = new_page(kind)
    log_in(page, quiet_server.url, "/console/login", "admin@demo.openoa")
    page.goto(f"{quiet_server.url}/console/accounts/{account_id}/broadcasts")
    row = page.locator(f'tr[data-request-id="{request_id}"]')
    assert row.get_by_text("Messaging API broadcast").is_visible()
    assert row.locator("[data-status]").inner_text() == "Waiting"
    assert_accessible(page)

    load_job_modules()
    db = quiet_server.database()
    try:
        with db.scope() as s:
            send_id = s.scalar(select(Send.id).where(Send.request_id == request_id))
        jobs.fan_out(db, send_id=send_id, chunk_size=50)
        with db.scope() as s:
            chunk_ids = chunks_to_do(s, send_id)
        jobs.fan_out_chunk(db, chunk_id=chunk_ids[0])
        # The bar moves on its own: the page asks its JSON twin while the send is in flight.
        page.wait_for_function(
            f'document.querySelector(\'tr[data-request-id="{request_id}"] [data-counts]\').textContent'
            '.startsWith("50 of ")', timeout=10_000)
        assert row.locator("[data-status]").inner_text() == "Sending"
        assert row.locator("progress").evaluate("bar => [bar.value, bar.max]")[0] == 50
        run_due_jobs(db)
    finally:
        db.engine.dispose()
    page.wait_for_function(
        f'document.querySelector(\'tr[data-request-id="{request_id}"] [data-status]\').textContent === "Sent"',
        timeout=10_000)
    reached = row.locator("[data-counts]").inner_text()
    assert re.fullmatch(r"(\d+) of \1", reached), reached
    value, most = row.locator("progress").evaluate("bar => [bar.value, bar.max]")
    assert value == most == int(reached.split()[0])
    assert row.locator("progress").get_attribute("aria-label") == f"Delivered to {reached}"
    assert_accessible(page)
