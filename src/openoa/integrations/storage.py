"""Media files on the local disk, content-addressed so re-uploads cost nothing."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

_KEY = re.compile(r"^[0-9a-f]{64}\.(png|jpg)$")
# What people send in chats: never under /media (a path segment cannot hold the "/"), only
# through routes that check who is asking.
_PRIVATE_KEY = re.compile(r"^private/[0-9a-f]{64}\.[a-z0-9]{1,8}$")


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, data: bytes, *, suffix: str) -> str:
        key = f"{hashlib.sha256(data).hexdigest()}.{suffix}"
        path = self.root / key
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return key

    def save_private(self, data: bytes, *, suffix: str) -> str:
        """Store a file only permission-checked routes serve; its key starts with ``private/``."""
        key = f"private/{hashlib.sha256(data).hexdigest()}.{suffix}"
        path = self.root / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return key

    def read(self, key: str) -> bytes | None:
        if not (_KEY.match(key) or _PRIVATE_KEY.match(key)):
            return None
        path = self.root / key
        return path.read_bytes() if path.exists() else None

    def url(self, key: str) -> str:
        return f"/media/{key}"


_storage: LocalStorage | None = None


def use_storage(storage: LocalStorage | None) -> None:
    """Choose where media goes for this process (tests point it at a temporary folder)."""
    global _storage
    _storage = storage


def current_storage() -> LocalStorage:
    from openoa.core.settings import get_settings

    return _storage or LocalStorage(get_settings().media_dir)


def public_url(key: str) -> str:
    """The absolute URL of a stored file, for clients that are not on this site (a bot's pictureUrl)."""
    from openoa.core.settings import get_settings

    return get_settings().base_url.rstrip("/") + current_storage().url(key)
