"""The outside world as the domain sees it; each port has real adapters beside this file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


class Storage(Protocol):
    def save(self, data: bytes, *, suffix: str) -> str:
        """Store ``data``; returns its key."""
        ...

    def read(self, key: str) -> bytes | None: ...

    def url(self, key: str) -> str: ...


@dataclass(frozen=True)
class PostOutcome:
    """What became of one HTTP POST: the status the receiver answered, or why none came.

    ``failure`` is ``could_not_connect``, ``request_timeout`` or ``unclassified`` when
    ``status_code`` is None (the words of LINE's webhook error statistics).
    """

    status_code: int | None
    failure: str | None = None
    detail: str = ""
    seconds: float = 0.0


class WebhookSender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> PostOutcome:
        """POST ``body`` to ``url``; never raises for what the receiver does or fails to do."""
        ...
