"""The cycle collector, tuned once per long-running process (the server, ``openoa worker``).

Without this a full collection walked every module, model and compiled statement several
times a minute under load, ≈ 200 ms each on this machine — the Messaging API's p99 (B2).
"""

from __future__ import annotations

import gc
import threading

# Objects a request or a job makes and drops between two young collections are never looked at twice.
YOUNGEST_THRESHOLD = 10_000

_settled = threading.Event()


def settle() -> None:
    """Once per process, when start-up is done: move what lives as long as the process out of
    the collector's sight, and collect the youngest generation less often."""
    if _settled.is_set():
        return
    _settled.set()
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_THRESHOLD, middle, oldest)
