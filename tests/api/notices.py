"""What a person's open Chat-app pages hear: the realtime notices published while an action runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from openoa.core.pubsub import hub, person_topic
from tests.own_loop import run_in_own_loop


def heard(user_id: int, action: Callable[[], Any]) -> tuple[Any, list[dict[str, Any]]]:
    """What ``action`` returned, and the notices the person's open pages heard meanwhile."""

    async def listen() -> tuple[Any, list[dict[str, Any]]]:
        subscription = hub.subscribe(person_topic(user_id))
        try:
            result = await asyncio.to_thread(action)
            await asyncio.sleep(0.05)
            notices = []
            while not subscription.queue.empty():
                notices.append(subscription.queue.get_nowait())
            return result, notices
        finally:
            hub.unsubscribe(subscription)

    return run_in_own_loop(listen)
