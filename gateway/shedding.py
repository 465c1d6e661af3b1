"""Load shedding: a cap on the requests one process works on at once, and 503s that say when to
come back.

`LoadShedder` is the outermost layer in front of `/graphql`. A request beyond `limit` in flight is answered
at once — before its body is read, before authentication touches the store — with 503
OVERLOADED and `Retry-After`, so the requests already admitted keep their latency and the
process's memory stays within `limit` × the body cap (`max_body_bytes`, enforced by the guard).
The probes (`/healthz`, `/readyz`) are never shed, since an
orchestrator must see a busy process as alive.

The same layer answers an `Unavailable` raised before a response started (the store cannot be
reached while the request is authenticated) as a coded 503 with its `Retry-After`, rather than
Starlette's bare 500.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import Overloaded, Unavailable


def unavailable(exc: Unavailable) -> JSONResponse:
    return JSONResponse({"errors": [{"message": str(exc), "extensions": exc.extensions}]},
                        status_code=exc.http_status, headers=exc.headers())


class LoadShedder:
    def __init__(self, app: ASGIApp, *, limit: int, retry_after_s: int = 1) -> None:
        """At most `limit` requests in flight (0: no cap)."""
        self.app, self.limit = app, limit
        self.in_flight = 0
        self.peak = 0  # the most requests in flight at once since start
        self.shed = 0  # requests refused since start
        # Rendered once: a shed request costs two sends, nothing else.
        self._refusal = unavailable(Overloaded(
            f"This gateway process is at its limit of {limit} requests in flight; "
            f"retry in {retry_after_s} s", retry_after=retry_after_s, limit=limit))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.limit and self.in_flight >= self.limit:
            self.shed += 1
            await self._refusal(scope, receive, send)
            return
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Unavailable as exc:
            if started:
                raise
            await unavailable(exc)(scope, receive, send)
        finally:
            self.in_flight -= 1
