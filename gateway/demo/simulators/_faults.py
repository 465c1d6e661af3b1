"""Injected misbehaviour of a simulated partner, switched at run time with `POST /_sim/faults`.

The body is a JSON object; every key is optional and the object replaces the faults in force
(`{}` clears them):

| key | effect on every counted route (not on `/_sim/*`) |
|---|---|
| `latency_ms` | answer this much later |
| `error_rate` | this fraction of requests (0..1) fail with `error_status` |
| `error_status` | 500 (default: the partner's own error envelope), 503 (a proxy's plain page), 429 (the partner's envelope, kind `throttled`) |
| `retry_after` | seconds, sent as `Retry-After` on injected 429 / 503 answers |
| `down` | 503 `Service Unavailable` from a proxy, for every request |
| `hang` | never answer: hold the request until the client goes away |
| `reset` | drop the connection with a TCP reset, no answer at all |
| `malformed` | answer 200 with a broken body: `truncated` (the real answer cut in half), `garbage` (not JSON), `shape` (JSON the partner never sends) |
| `script` | a list of one-shot fault objects (same keys, no `script`) for the next requests, one each, in order; the standing faults apply once it is used up |

Killing and restarting a partner is its process's business: `RunningDistrict.kill(slug)` and
`RunningDistrict.restart(slug)` (gateway/demo/district.py). Random choices are seeded, so a
given sequence of requests meets the same faults on every run.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

MALFORMED = ("truncated", "garbage", "shape")
ERROR_STATUSES = (429, 500, 503)
# A hung request is answered (504) after this long even if its client never gives up.
HANG_MAX_S = 300.0


class FaultsInvalid(ValueError):
    """A `/_sim/faults` body that does not describe faults."""


@dataclass(slots=True)
class Fault:
    """One set of faults: the standing ones, or one step of a script."""

    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_status: int = 500
    retry_after: float | None = None
    down: bool = False
    hang: bool = False
    reset: bool = False
    malformed: str | None = None

    @classmethod
    def parse(cls, body: Any) -> Fault:
        if not isinstance(body, dict):
            raise FaultsInvalid("a fault must be a JSON object")
        unknown = set(body) - set(cls.__dataclass_fields__)
        if unknown:
            raise FaultsInvalid(f"unknown fault keys {sorted(unknown)}")
        try:
            fault = cls(
                latency_ms=float(body.get("latency_ms", 0)),
                error_rate=float(body.get("error_rate", 0)),
                error_status=int(body.get("error_status", 500)),
                retry_after=None if body.get("retry_after") is None else float(body["retry_after"]),
                down=bool(body.get("down", False)), hang=bool(body.get("hang", False)),
                reset=bool(body.get("reset", False)), malformed=body.get("malformed"),
            )
        except (TypeError, ValueError) as exc:
            raise FaultsInvalid(str(exc)) from None
        if fault.error_status not in ERROR_STATUSES:
            raise FaultsInvalid(f"error_status must be one of {ERROR_STATUSES}")
        if fault.malformed is not None and fault.malformed not in MALFORMED:
            raise FaultsInvalid(f"malformed must be one of {MALFORMED}")
        if not 0 <= fault.error_rate <= 1 or fault.latency_ms < 0:
            raise FaultsInvalid("error_rate must be in [0, 1] and latency_ms >= 0")
        return fault

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(slots=True)
class Faults:
    """The faults in force: standing ones and a script of one-shot steps taken first."""

    standing: Fault = field(default_factory=Fault)
    script: deque[Fault] = field(default_factory=deque)
    rng: random.Random = field(default_factory=lambda: random.Random(0), repr=False)

    @classmethod
    def parse(cls, body: Any) -> Faults:
        if not isinstance(body, dict):
            raise FaultsInvalid("the faults must be a JSON object")
        standing = {k: v for k, v in body.items() if k != "script"}
        steps = body.get("script") or []
        if not isinstance(steps, list):
            raise FaultsInvalid("script must be a list of fault objects")
        return cls(Fault.parse(standing), deque(Fault.parse(step) for step in steps))

    def next(self) -> Fault:
        """The faults the next request meets (a script step is used up by it)."""
        return self.script.popleft() if self.script else self.standing

    def fails(self, fault: Fault) -> bool:
        if fault.error_rate <= 0:
            return False
        return fault.error_rate >= 1 or self.rng.random() < fault.error_rate

    def as_dict(self) -> dict[str, Any]:
        return {**self.standing.as_dict(), "script": [step.as_dict() for step in self.script]}


# (kind, message, status) -> the partner's own error answer
ErrorResponse = Callable[[str, str, int | None], Response]


async def before(fault: Fault, faults: Faults, request: Request,
                 error: ErrorResponse) -> Response | None:
    """The injected answer that replaces the partner's, if this fault calls for one."""
    if fault.down:
        # What a reverse proxy answers for a dead backend: not the partner's envelope.
        return _with_retry_after(PlainTextResponse("Service Unavailable", 503), fault)
    if fault.latency_ms > 0:
        await asyncio.sleep(fault.latency_ms / 1000)
    if fault.hang:
        return await _hang(request)
    if fault.reset:
        return await _reset(request)
    if faults.fails(fault):
        if fault.error_status == 503:
            return _with_retry_after(PlainTextResponse("Service Unavailable", 503), fault)
        kind = "throttled" if fault.error_status == 429 else "internal"
        return _with_retry_after(error(kind, "injected failure", fault.error_status), fault)
    return None


def after(fault: Fault, response: Response) -> Response:
    """The partner's answer, broken as `fault.malformed` says."""
    if fault.malformed is None:
        return response
    body = bytes(response.body)
    broken = {"truncated": body[: len(body) // 2], "garbage": b"\x00\xff<html>oops",
              "shape": b'{"unexpected": [1, 2, 3]}'}[fault.malformed]
    return Response(broken, status_code=200, media_type="application/json")


def _with_retry_after(response: Response, fault: Fault) -> Response:
    if fault.retry_after is not None:
        value = fault.retry_after
        response.headers["Retry-After"] = str(int(value)) if value == int(value) else str(value)
    return response


async def _hang(request: Request) -> Response:
    """Hold the request until its client disconnects (or HANG_MAX_S passes)."""
    try:
        async with asyncio.timeout(HANG_MAX_S):
            while (await request.receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        pass
    return PlainTextResponse("Gateway Timeout", 504)


async def _reset(request: Request) -> Response:
    """Abort the connection with an RST (SO_LINGER 0), so the client reads a reset, not EOF.

    ASGI has no way to do this; the server's transport is reached through the `receive` it
    handed the app (uvicorn's request cycle). Whatever is returned afterwards is discarded.
    """
    transport = getattr(getattr(request.receive, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("the reset fault needs uvicorn's transport")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    while (await request.receive())["type"] != "http.disconnect":
        pass
    return Response(b"", 500)
