"""What an orchestrator asks of a gateway process: `/healthz` and `/readyz`.

- `/healthz`: the process is alive and its event loop answers. Always 200; touches nothing.
- `/readyz`: 200 when the store answers within `ready_probe_ms`, else 503. Every partner's
  health probe is reported beside it (ok, latency, detail) and never required: a gateway with
  a partner down serves the rest, and that partner's last snapshot. The load shedder's figures
  (in flight, peak, shed) come along.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.adapters.base import Adapter
from gateway.context import Services
from gateway.errors import AdapterError, StoreUnavailable
from gateway.shedding import LoadShedder

Endpoint = Callable[[Request], Any]


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def partner_health(
    adapters: Mapping[str, Adapter], *, timeout_s: float
) -> dict[str, dict[str, Any]]:
    """Each partner's health probe, all at once, each cut off after `timeout_s`."""

    async def probe(adapter: Adapter) -> dict[str, Any]:
        try:
            health = await asyncio.wait_for(adapter.health(), timeout_s)
        except TimeoutError:
            return {"ok": False, "latencyMs": round(timeout_s * 1000, 1),
                    "detail": f"no answer within {timeout_s * 1000:.0f} ms"}
        except AdapterError as exc:
            return {"ok": False, "latencyMs": None, "detail": str(exc)}
        out: dict[str, Any] = {"ok": health.ok, "latencyMs": round(health.latency_ms, 1)}
        if health.detail:
            out["detail"] = health.detail
        return out

    found = await asyncio.gather(*(probe(a) for a in adapters.values()))
    return dict(zip(adapters, found, strict=True))


async def _store_ok(services: Services, timeout_s: float) -> str | None:
    """None when the store answers in time, else why not."""
    try:
        await asyncio.wait_for(services.store.fetch("SELECT 1"), timeout_s)
    except StoreUnavailable as exc:
        return f"{exc}: {exc.__cause__}" if exc.__cause__ else str(exc)
    except TimeoutError:
        return f"no answer within {timeout_s * 1000:.0f} ms"
    return None


def readyz(services: Callable[[], Services | None], shedder: LoadShedder, *,
           timeout_s: float) -> Endpoint:
    """The `/readyz` endpoint of the process whose services `services()` gives (None: starting)."""

    async def endpoint(request: Request) -> Response:
        current = services()
        if current is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        problem, partners = await asyncio.gather(
            _store_ok(current, timeout_s), partner_health(current.adapters, timeout_s=timeout_s))
        body: dict[str, Any] = {
            "status": "ready" if problem is None else "store unreachable",
            "partners": sorted(current.adapters),
            "partnerHealth": partners,
            "load": {"inFlight": shedder.in_flight, "peak": shedder.peak,
                     "maxInFlight": shedder.limit, "shed": shedder.shed},
        }
        if problem is not None:
            body["detail"] = problem
        return JSONResponse(body, status_code=200 if problem is None else 503)

    return endpoint
