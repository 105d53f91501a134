"""The load generator of the HTTP benchmarks, run in its own process (pinned to its own core by
the caller): an aiohttp client keeping ``concurrency`` requests in flight for a fixed time.

    python bench/_loadgen.py SPEC.json

SPEC: {"url", "seconds", "warmup", "concurrency", "requests": [{"headers": {...}, "body": "..."}]}.
Requests are sent round-robin. While running it prints ``progress <completed>`` lines; at the
end one ``result <json>`` line: completed requests, statuses, req/s and latency percentiles
of the measured window (the warm-up is sent but not counted).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from array import array
from collections import Counter
from typing import Any

import aiohttp


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of the samples fall (nearest rank)."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    url, concurrency = spec["url"], int(spec["concurrency"])
    prepared = [(r["headers"], r["body"].encode()) for r in spec["requests"]]
    turns = itertools.cycle(prepared)
    latencies = array("d")
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    start = time.perf_counter()
    measure_from = start + float(spec["warmup"])
    stop_at = measure_from + float(spec["seconds"])
    completed = 0

    async def one_client(session: aiohttp.ClientSession) -> None:
        nonlocal completed
        while True:
            began = time.perf_counter()
            if began >= stop_at:
                return
            headers, body = next(turns)
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, OSError) as exc:
                if began >= measure_from:
                    errors[f"{type(exc).__name__}: {exc}"[:120]] += 1
                continue
            ended = time.perf_counter()
            if began >= measure_from and ended <= stop_at:
                latencies.append(ended - began)
                statuses[status] += 1
                completed += 1

    async def report() -> None:
        while time.perf_counter() < stop_at:
            await asyncio.sleep(0.25)
            print(f"progress {completed}", flush=True)

    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        reporter = asyncio.create_task(report())
        await asyncio.gather(*(one_client(session) for _ in range(concurrency)))
        await reporter
    ordered = sorted(latencies)
    seconds = float(spec["seconds"])
    return {"completed": completed, "seconds": seconds, "rps": completed / seconds,
            "p50_ms": percentile(ordered, 0.50) * 1000, "p99_ms": percentile(ordered, 0.99) * 1000,
            "statuses": {str(k): v for k, v in statuses.items()}, "errors": dict(errors)}


def main() -> None:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(spec))
    else:
        result = uvloop.run(run(spec))
    print("result " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
