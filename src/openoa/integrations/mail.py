"""Outgoing email: SMTP when configured, else a local outbox shown at /dev/mailbox.

Mail leaves only from the ``mail.send`` job, so a rolled-back use case never sends.
"""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from openoa.core import clock, ids
from openoa.core.db import Database
from openoa.core.jobs import enqueue, job
from openoa.core.settings import Settings, get_settings
from openoa.integrations.ports import Mail, Mailer


class SmtpMailer:
    def __init__(self, host: str, port: int, *, sender: str, username: str | None = None,
                 password: str | None = None, starttls: bool = False) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls = username, password, starttls

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


class OutboxMailer:
    """Writes each mail as a JSON file; the dev mailbox page lists them newest first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, mail: Mail) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = clock.now().strftime("%Y%m%dT%H%M%S%f")
        record = {"to": mail.to, "subject": mail.subject, "body": mail.body, "sent_at": clock.now().isoformat()}
        (self.folder / f"{stamp}-{ids.token()[:8]}.json").write_text(json.dumps(record))

    def messages(self) -> list[dict[str, Any]]:
        if not self.folder.exists():
            return []
        files = sorted(self.folder.glob("*.json"), reverse=True)
        return [json.loads(f.read_text()) for f in files]


def mailer_from_settings(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings.smtp_host, settings.smtp_port, sender=settings.mail_from,
                          username=settings.smtp_username, password=settings.smtp_password,
                          starttls=settings.smtp_starttls)
    return OutboxMailer(settings.outbox_dir)


_mailer: Mailer | None = None


def use_mailer(mailer: Mailer | None) -> None:
    """Choose the mailer for this process (the app factory and tests); None: from settings."""
    global _mailer
    _mailer = mailer


def current_mailer() -> Mailer:
    return _mailer or mailer_from_settings(get_settings())


def queue_mail(session: Session, to: str, subject: str, body: str) -> None:
    """Send a mail once the caller's transaction commits (as a retried job)."""
    enqueue(session, "mail.send", {"to": to, "subject": subject, "body": body})


@job("mail.send")
def send_mail(db: Database, *, to: str, subject: str, body: str) -> None:
    current_mailer().send(Mail(to=to, subject=subject, body=body))
