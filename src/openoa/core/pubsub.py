"""Realtime notices inside one process: topics, subscribers and publishing after commit.

A notice only says "something changed, fetch": the database stays the state of record,
so a lost notice costs a fetch, never data. Publishers run in any thread (request
handlers, the worker thread); each subscriber is an asyncio queue on its own loop.
Other processes' writes reach subscribers through a catch-up poll in the web layer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from openoa.core.db import on_commit

# A subscriber that stops reading loses notices beyond this, never memory.
QUEUE_SIZE = 100


_PERSON = "person:"


def person_topic(user_id: int) -> str:
    """The topic a Chat-app person's open connections listen on."""
    return f"{_PERSON}{user_id}"


@dataclass(eq=False)
class Subscription:
    """One listener: read ``queue``; call :meth:`Hub.unsubscribe` when done."""

    topic: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))


def _offer(queue: asyncio.Queue[dict[str, Any]], notice: dict[str, Any]) -> None:
    try:
        queue.put_nowait(notice)
    except asyncio.QueueFull:  # a stalled reader catches up from the database anyway
        pass


class Hub:
    """Topic → subscriptions for this process; safe to publish from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._topics: dict[str, set[Subscription]] = {}

    def subscribe(self, topic: str) -> Subscription:
        """Listen on ``topic`` from the running event loop."""
        subscription = Subscription(topic, asyncio.get_running_loop())
        with self._lock:
            self._topics.setdefault(topic, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            listeners = self._topics.get(subscription.topic)
            if listeners is not None:
                listeners.discard(subscription)
                if not listeners:
                    del self._topics[subscription.topic]

    def online(self) -> set[str]:
        """Topics with at least one listener now."""
        with self._lock:
            return set(self._topics)

    def publish_many(self, topics: Iterable[str], notice: dict[str, Any]) -> int:
        """Offer ``notice`` to every listener of ``topics``; returns how many were offered it.

        Only topics someone listens on are touched, so telling the 10,000 people of a
        fan-out chunk costs the size of the intersection, not of the chunk.
        """
        with self._lock:
            wanted = self._topics.keys() & (topics if isinstance(topics, set) else set(topics))
            targets = [s for topic in wanted for s in self._topics[topic]]
        for subscription in targets:
            if subscription.loop.is_closed():
                continue
            subscription.loop.call_soon_threadsafe(_offer, subscription.queue, notice)
        return len(targets)

    def publish_to_people_in(self, after_user_id: int, upto_user_id: int, notice: dict[str, Any]) -> int:
        """Offer ``notice`` to the online people with a user id in (after, upto]: a fan-out chunk
        names its range rather than its 10,000 people, and only those online are looked at. Someone
        in the range it skipped fetches and finds nothing new, which a notice allows."""
        with self._lock:
            online = list(self._topics)
        wanted = [topic for topic in online if topic.startswith(_PERSON)
                  and after_user_id < int(topic[len(_PERSON):]) <= upto_user_id]
        return self.publish_many(wanted, notice) if wanted else 0

    def publish(self, topic: str, notice: dict[str, Any]) -> int:
        """Offer ``notice`` to the listeners of one topic."""
        return self.publish_many((topic,), notice)


hub = Hub()


def publish_after_commit(session: Session, topics: Iterable[str], notice: dict[str, Any]) -> None:
    """Tell ``topics`` once ``session``'s transaction has committed; nothing on rollback."""
    chosen = set(topics)
    if chosen:
        on_commit(session, lambda: hub.publish_many(chosen, notice))


def publish_people_after_commit(session: Session, after_user_id: int, upto_user_id: int,
                                notice: dict[str, Any]) -> None:
    """Tell the online people with a user id in (after, upto] once ``session`` has committed."""
    def tell() -> None:
        hub.publish_to_people_in(after_user_id, upto_user_id, notice)

    on_commit(session, tell)
