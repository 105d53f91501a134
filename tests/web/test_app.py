"""App-wide behaviour: unsupported browsers, security headers, errors without stack traces."""

from __future__ import annotations

from fastapi.testclient import TestClient

from openoa.core.jobs import run_due_jobs
from openoa.core.settings import Settings
from openoa.integrations import mail as mail_module
from openoa.integrations.mail import OutboxMailer, queue_mail
from openoa.web.app import create_app

IE11 = "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"
IE10 = "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"


def test_r_acc_05_internet_explorer_gets_the_unsupported_page(client):
    for agent in (IE11, IE10):
        for path in ("/", "/console", "/console/login", "/app"):
            page = client.get(path, headers={"User-Agent": agent}, follow_redirects=False)
            assert page.status_code == 200
            assert "This browser is not supported" in page.text
            assert 'lang="en"' in page.text


def test_r_acc_05_current_browsers_get_the_real_page(client):
    page = client.get("/", headers={"User-Agent": CHROME})
    assert "This browser is not supported" not in page.text
    assert "Manager console" in page.text


def test_pages_carry_security_headers_and_a_strict_csp(client):
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_csrf_endpoint_sets_a_signed_cookie_that_matches(app):
    fresh = TestClient(app, base_url="http://testserver")
    body = fresh.get("/csrf").json()
    assert fresh.cookies.get("oa_csrf") == body["csrf_token"]
    nonce, _, signature = body["csrf_token"].partition(".")
    assert nonce and len(signature) == 64


def test_forged_csrf_cookie_is_refused(app):
    forged = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    forged.cookies.set("oa_csrf", "abc.def")
    answer = forged.post("/console/api/login", json={"email": "a@b.co", "password": "x"},
                         headers={"X-CSRF-Token": "abc.def"})
    assert answer.status_code == 403


def test_unknown_paths_get_a_page_not_a_trace(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert "Traceback" not in page.text and "<h1>Not found</h1>" in page.text
    assert client.get("/media/../../etc/passwd").status_code == 404
    assert client.get("/media/" + "0" * 64 + ".png").status_code == 404


def test_unexpected_errors_show_no_stack_trace(app, client):
    @app.get("/console/api/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    answer = client.get("/console/api/boom")
    assert answer.status_code == 500
    assert "secret internals" not in answer.text and "Traceback" not in answer.text
    assert answer.json() == {"message": "Something went wrong on our side. Please try again."}


def test_openapi_document_describes_the_json_endpoints(client):
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "OpenOA"
    assert "/csrf" in spec["paths"]


def test_dev_mailbox_lists_outbox_mail_when_no_smtp_is_set(tmp_path, db):
    settings = Settings(data_dir=tmp_path / "var", secret_key="k", embedded_worker=False)
    outbox = OutboxMailer(settings.outbox_dir)
    mail_module.use_mailer(outbox)
    with db.scope() as session:
        queue_mail(session, "owner@example.com", "Reset your OpenOA password", "Open https://x/reset/abc")
    run_due_jobs(db)
    page = TestClient(create_app(settings, db=db, worker=False)).get("/dev/mailbox")
    assert page.status_code == 200
    assert "Reset your OpenOA password" in page.text and "owner@example.com" in page.text


def test_dev_mailbox_is_absent_when_smtp_is_configured(client):
    assert client.get("/dev/mailbox").status_code == 404


def test_session_cookies_are_http_only_same_site_and_secure_under_https(tmp_path, db, session):
    from tests import factories

    owner = factories.business(session)
    session.flush()
    settings = Settings(data_dir=tmp_path / "var", base_url="https://oa.example.com", secret_key="k",
                        embedded_worker=False)
    https = TestClient(create_app(settings, db=db, worker=False), base_url="https://testserver")
    token = https.get("/csrf").json()["csrf_token"]
    answer = https.post("/console/api/login", json={"email": owner.email, "password": factories.PASSWORD},
                        headers={"X-CSRF-Token": token})
    assert answer.status_code == 200
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("oa_console="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= flags
    assert len(cookie.split(";")[0].split("=", 1)[1]) >= 40  # a long random token, not an ID
