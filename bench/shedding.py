"""What load shedding costs: a shed request's 503, and the bookkeeping of an admitted one.

    python bench/shedding.py [--requests 20000] [--limit 8]

In process, without sockets, so the figures are the shedder's own (µs, medians and p99 of
`--requests` calls each, after a warm-up):

1. shed: `LoadShedder` at its limit (the admitted requests held open), each further request
   answered 503 OVERLOADED — through the shedder alone, and through a Starlette router as in
   `gateway.app` (the probes and `/metrics` are routed past it);
2. admitted: a request that is let through, to an app that answers at once, with and without
   the shedder in front: the difference is what admission control adds to every request.

End to end, over real sockets, against the real gateway under overload: bench/chaos.py's
overload scenario (throughput, served and shed latency, peak RSS).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from _common import Latency, fmt, table
from starlette.applications import Starlette
from starlette.routing import Route

from gateway.shedding import LoadShedder

ASGI = Callable[[Any, Any, Any], Awaitable[None]]
SCOPE = {"type": "http", "method": "POST", "path": "/graphql", "headers": [],
         "query_string": b"", "root_path": ""}


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"{}", "more_body": False}


async def _send(message: Any) -> None:
    pass


async def answer(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def held(release: asyncio.Event) -> ASGI:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await release.wait()
        await answer(scope, receive, send)

    return app


async def timed(app: ASGI, n: int) -> Latency:
    """`n` sequential requests through `app`, each timed (µs), after n/10 not counted."""
    for _ in range(n // 10):
        await app(dict(SCOPE), _receive, _send)
    out = []
    for _ in range(n):
        start = time.perf_counter_ns()
        await app(dict(SCOPE), _receive, _send)
        out.append((time.perf_counter_ns() - start) / 1000)
    return Latency.of(out)


async def shed(n: int, limit: int) -> dict[str, Latency]:
    release = asyncio.Event()
    shedder = LoadShedder(held(release), limit=limit)
    routed = Starlette(routes=[Route("/graphql", shedder)])
    holding = [asyncio.create_task(shedder(dict(SCOPE), _receive, _send)) for _ in range(limit)]
    while shedder.in_flight < limit:
        await asyncio.sleep(0)
    try:
        return {"shed, shedder alone": await timed(shedder, n),
                "shed, through the router": await timed(routed, n)}
    finally:
        release.set()
        await asyncio.gather(*holding)


async def admitted(n: int, limit: int) -> dict[str, Latency]:
    return {"admitted, no shedder": await timed(answer, n),
            "admitted, through the shedder": await timed(LoadShedder(answer, limit=limit), n)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--limit", type=int, default=8)
    args = parser.parse_args()
    figures = {**await shed(args.requests, args.limit),
               **await admitted(args.requests, args.limit)}
    rows = [[name, f"{f.n:,}", fmt(f.p50, 2), fmt(f.p95, 2), fmt(f.p99, 2)]
            for name, f in figures.items()]
    print(f"load shedding in process, limit {args.limit} (µs per request)")
    print(table(["", "requests", "p50", "p95", "p99"], rows))
    extra = (figures["admitted, through the shedder"].p50
             - figures["admitted, no shedder"].p50)
    print(f"  admission adds {fmt(extra, 2)} µs to an admitted request (p50)")


if __name__ == "__main__":
    asyncio.run(main())
