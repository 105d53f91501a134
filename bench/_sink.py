"""B3's and B5's webhook receiver: an aiohttp server on loopback that answers 200 at once, with
keep-alive, and counts what it got; with ``--record`` it also keeps each event's
(webhookEventId, isRedelivery), served as JSON at ``/record``. Run in its own process:

    python bench/_sink.py PORT [--record]
"""

from __future__ import annotations

import json
import sys

from aiohttp import web

received = 0
RECORD = "--record" in sys.argv
record: list[tuple[str, bool]] = []


async def callback(request: web.Request) -> web.Response:
    global received
    body = await request.read()
    received += 1
    if RECORD:
        for event in json.loads(body).get("events", []):
            record.append((event["webhookEventId"], bool(event["deliveryContext"]["isRedelivery"])))
    return web.Response(text="OK")


async def recorded(_request: web.Request) -> web.Response:
    return web.json_response(record)


async def count(_request: web.Request) -> web.Response:
    return web.Response(text=str(received))


def main() -> None:
    app = web.Application()
    app.router.add_post("/callback", callback)
    app.router.add_get("/count", count)
    app.router.add_get("/record", recorded)
    try:
        import uvloop
    except ImportError:
        loop_factory = None
    else:
        loop_factory = uvloop.new_event_loop
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None,
                backlog=1024, **({"loop": loop_factory()} if loop_factory else {}))


if __name__ == "__main__":
    main()
