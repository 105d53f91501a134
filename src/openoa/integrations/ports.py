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
