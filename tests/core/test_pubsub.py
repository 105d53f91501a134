"""The in-process realtime hub: notices reach listeners across threads, only after commit."""

from __future__ import annotations

import asyncio
import threading

from openoa.core.pubsub import Hub, hub, person_topic, publish_after_commit
from tests.own_loop import run_in_own_loop


def test_a_notice_published_from_another_thread_reaches_the_listener() -> None:
    local = Hub()

    async def listen() -> dict:
        subscription = local.subscribe(person_topic(7))
        thread = threading.Thread(target=local.publish, args=(person_topic(7), {"type": "messages"}))
        thread.start()
        try:
            return await asyncio.wait_for(subscription.queue.get(), timeout=2)
        finally:
            thread.join()
            local.unsubscribe(subscription)

    assert run_in_own_loop(listen) == {"type": "messages"}
    assert local.online() == set()


def test_publishing_touches_only_topics_someone_listens_on() -> None:
    local = Hub()

    async def listen() -> tuple[int, int]:
        one = local.subscribe(person_topic(1))
        offered = local.publish_many({person_topic(n) for n in range(10_000)}, {"type": "messages"})
        await asyncio.sleep(0)
        local.unsubscribe(one)
        return offered, one.queue.qsize()

    assert run_in_own_loop(listen) == (1, 1)


def test_a_full_queue_drops_notices_instead_of_growing() -> None:
    local = Hub()

    async def flood() -> int:
        subscription = local.subscribe("t")
        for _ in range(500):
            local.publish("t", {"n": 1})
        await asyncio.sleep(0)
        local.unsubscribe(subscription)
        return subscription.queue.qsize()

    assert run_in_own_loop(flood) == 100


def test_publish_after_commit_waits_for_the_commit_and_is_dropped_on_rollback(db) -> None:
    async def run() -> list[dict]:
        subscription = hub.subscribe(person_topic(42))
        try:
            try:
                with db.scope() as session:
                    publish_after_commit(session, [person_topic(42)], {"n": "rolled back"})
                    raise RuntimeError("fail the unit of work")
            except RuntimeError:
                pass
            with db.scope() as session:
                publish_after_commit(session, [person_topic(42)], {"n": "committed"})
                await asyncio.sleep(0)
                assert subscription.queue.empty()  # not before the commit
            await asyncio.sleep(0)
            received = []
            while not subscription.queue.empty():
                received.append(subscription.queue.get_nowait())
            return received
        finally:
            hub.unsubscribe(subscription)

    assert run_in_own_loop(run) == [{"n": "committed"}]


def test_a_range_notice_reaches_only_online_people_inside_the_range() -> None:
    local = Hub()

    async def listen() -> tuple[int, list[int]]:
        subscriptions = {n: local.subscribe(person_topic(n)) for n in (10, 11, 20, 21)}
        other = local.subscribe("account:11")  # not a person: never matched by a range
        offered = local.publish_to_people_in(10, 20, {"type": "messages"})
        await asyncio.sleep(0)
        for subscription in [*subscriptions.values(), other]:
            local.unsubscribe(subscription)
        return offered, sorted(n for n, s in subscriptions.items() if s.queue.qsize())

    assert run_in_own_loop(listen) == (2, [11, 20])  # (after, upto]: 10 is outside, 20 inside
