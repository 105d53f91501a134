"""Every LINE message kind a bot can send, pushed with the real line-bot-sdk, as a person sees them
in the Chat app on a phone (375 px) and a desktop (1280 px) (R-MSG-01): each kind visible, the
bot's HTTPS pictures loaded under the page's own Content-Security-Policy, carousels scrolling inside
themselves and never the page, taps reaching the chat, axe-core finding nothing serious.

The bot's pictures come from its own HTTPS host, as on LINE: a small TLS server on loopback with a
self-signed certificate the browser context is told to accept."""

from __future__ import annotations

import datetime as dt
import io
import ipaddress
import re
import ssl
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from linebot.v3.messaging import ApiClient, Configuration, Message, MessagingApi, PushMessageRequest
from PIL import Image

from openoa.channels import service as channels
from openoa.core.access import SYSTEM
from tests.e2e.conftest import ARTIFACTS, AXE, DESKTOP, PHONE
from tests.live import LiveServer
from tests.web.chatapp.message_kinds import PICTURES, QUICK_REPLY, every_kind

pytestmark = pytest.mark.e2e
PASSWORD = "tom-yum-2026!"

# What marks each kind on the chat page (the macro's classes), and the quick replies of the last one.
SHOWN = {
    "text": ".msg-kind-text .line-emoji", "textV2": ".msg-kind-textV2 .mention", "sticker": ".msg-kind-sticker .sticker",
    "image": ".msg-kind-image img", "video": ".msg-kind-video video", "audio": ".msg-kind-audio audio",
    "location": ".msg-kind-location .location-card", "imagemap": ".msg-kind-imagemap img",
    "buttons": ".msg-template-buttons .tpl-card", "confirm": ".msg-template-confirm .tpl-card",
    "carousel": ".msg-template-carousel .carousel", "image_carousel": ".msg-template-image_carousel .carousel",
    "flex": ".msg-flex-bubble .fx-bubble", "flex_carousel": ".msg-flex-carousel .fx-carousel",
    "coupon": ".msg-kind-coupon .coupon-card", "file": ".msg-kind-file .file-card", "quick replies": ".quick-replies",
}
PICTURES_SHOWN = (".msg-kind-image img", ".msg-kind-imagemap img", ".msg-flex-bubble .fx-hero img",
                  ".msg-template-buttons .tpl-image")
CAROUSELS = (".msg-template-carousel .carousel", ".msg-flex-carousel .fx-carousel")


# ---------------------------------------------------------------- the bot's own HTTPS host

def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=36500))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def bot_cdn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``https://127.0.0.1:<port>``: the bot's pictures (imagemap's ``/1040`` included)."""
    root = tmp_path_factory.mktemp("bot-cdn")
    sizes = {"1040": (1040, 1040), "hero.png": (1040, 676), "thumb.png": (1024, 678)}
    for name in PICTURES:
        (root / name).write_bytes(_png(*sizes.get(name, (600, 600)), (201, 122, 60)))
    cert, key = _self_signed(tmp_path_factory.mktemp("tls"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------- browser contexts under the real CSP

@pytest.fixture
def open_context(browser, request):  # type: ignore[no-untyped-def]
    """Contexts that keep the page's CSP (no bypass): axe-core comes in as an init script, which
    the CSP does not govern; failures leave screenshots behind."""
    contexts = []

    def make(kind: str, **extra: Any):  # type: ignore[no-untyped-def]
        ctx = browser.new_context(ignore_https_errors=True, **(PHONE if kind == "phone" else DESKTOP), **extra)
        ctx.add_init_script(path=str(AXE))
        contexts.append(ctx)
        return ctx

    yield make
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, ctx in enumerate(contexts):
            for j, page in enumerate(ctx.pages):
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}-{j}.png"), full_page=True)
    for ctx in contexts:
        ctx.close()


def serious_axe_findings(page) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


# ---------------------------------------------------------------- the journey

def _make_bot(server: LiveServer) -> tuple[str, str]:
    """A verified account (its bot may list follower IDs) and a long-lived channel token."""
    account = server.cli("account", "create", "--name", "Cafe Aroi Kinds", "--badge", "blue")
    db = server.database()
    try:
        with db.scope() as session:
            token = channels.issue_long_lived_token(session, SYSTEM, account["id"]).access_token
    finally:
        db.engine.dispose()
    return str(account["basic_id"]), token


def _messages(cdn: str) -> list[dict[str, Any]]:
    messages = list(every_kind(cdn).values())
    # LINE shows the quick reply of the last message only.
    messages[-1] = {**messages[-1], "quickReply": QUICK_REPLY}
    return messages


def _check_every_kind(page, chat_url: str, width: int) -> None:  # type: ignore[no-untyped-def]
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(chat_url)
    page.wait_for_load_state("networkidle")
    for kind, selector in SHOWN.items():
        shown = page.locator(selector).first
        shown.scroll_into_view_if_needed()
        assert shown.is_visible(), f"{kind} is not shown at {width}px"
        box = shown.bounding_box()
        assert box is not None and box["x"] >= -1, f"{kind} starts off screen at {width}px"
        if kind not in ("carousel", "flex_carousel", "image_carousel", "quick replies"):
            assert box["x"] + box["width"] <= width + 1, f"{kind} is wider than the screen at {width}px"
    for selector in PICTURES_SHOWN:
        picture = page.locator(selector).first
        picture.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=picture.element_handle(), timeout=10_000)
        assert picture.evaluate("img => img.naturalWidth") > 0, f"{selector} did not load from the bot's host"
    # messages.js (allowed by the CSP as a file) reveals the copy buttons of clipboard actions.
    assert page.locator(".msg-template-buttons .copy-button").first.is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"the chat scrolls sideways by {overflow}px at {width}px"
    if width < 700:
        for selector in CAROUSELS:
            assert page.locator(selector).first.evaluate("e => e.scrollWidth > e.clientWidth"), (
                f"{selector} should scroll inside itself")
    assert not csp_errors, csp_errors
    found = serious_axe_findings(page)
    assert not found, f"axe-core found serious/critical problems at {width}px: {found}"


def test_r_msg_01_every_message_kind_shows_in_the_chat_app(live_server: LiveServer, open_context, bot_cdn: str):
    basic_id, token = _make_bot(live_server)
    phone = open_context("phone")
    person = phone.new_page()
    # A person signs up and adds the account.
    person.goto(live_server.url + "/app/signup")
    person.get_by_label("Email").fill("kinds@person.example")
    person.get_by_label("Display name").fill("Ploy")
    person.get_by_label("Password").fill(PASSWORD)
    person.get_by_role("button", name="Sign up").click()
    person.wait_for_url(re.compile(r"/app"))
    person.goto(f"{live_server.url}/add/{basic_id}")
    person.get_by_role("button", name="Add friend").click()
    person.wait_for_url(re.compile(r"/app"))

    # The bot pushes one message of every kind with the official SDK, five to a request.
    with ApiClient(Configuration(host=live_server.url, access_token=token)) as client:
        api = MessagingApi(client)
        [user_id] = api.get_followers().user_ids
        messages = _messages(bot_cdn)
        for start in range(0, len(messages), 5):
            api.push_message(PushMessageRequest(
                to=user_id, messages=[Message.from_dict(m) for m in messages[start:start + 5]]))

    # The person sends a file (the one kind only people send), then the bot's last message stays last.
    chat_url = f"{live_server.url}/app/chats/{basic_id}"
    person.goto(chat_url)
    person.locator("#composer-attach summary").click()
    person.locator("#f-kind").select_option("file")
    person.locator("#f-file").set_input_files(
        {"name": "menu-request.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% a menu request\n"})
    person.get_by_role("button", name="Send file").click()
    person.wait_for_load_state("networkidle")
    with ApiClient(Configuration(host=live_server.url, access_token=token)) as client:
        last = {**messages[-1]}
        MessagingApi(client).push_message(PushMessageRequest(to=user_id, messages=[Message.from_dict(last)]))

    person.goto(chat_url)
    person.wait_for_selector(".quick-replies", timeout=15_000)
    _check_every_kind(person, chat_url, 375)

    desktop = open_context("desktop", storage_state=phone.storage_state())
    brand_view = desktop.new_page()
    _check_every_kind(brand_view, chat_url, 1280)

    # A tap is a real form post: "Yes" of the confirm template comes back as the person's message.
    confirm = brand_view.locator(".msg-template-confirm").first
    confirm.get_by_role("button", name="Yes", exact=True).click()
    # Without JS the post redirects back to the chat; with it the chat appends the new item live.
    brand_view.locator(".msg-in .msg-text", has_text=re.compile(r"^yes$")).first.wait_for(timeout=15_000)
