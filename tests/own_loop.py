"""Run a coroutine on a fresh event loop in its own thread.

The browser journeys keep Playwright's loop running in the main thread for the whole session,
so ``asyncio.run`` there would fail for every test collected after them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_own_loop(make: Callable[[], Awaitable[T]]) -> T:
    """``asyncio.run(make())`` in a new thread; its result, or its exception raised here."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(make())  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="own-loop")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
