"""One wrapper times and counts every adapter call, tagged with partner, entity and batch size.

Counts live in `stats` (per wrapper, for tests and tools) and in the process's Prometheus
metrics (`gateway.adapters.metrics`, served at `/metrics`). A call cancelled because the gateway
stopped waiting for it is counted with the outcome `CANCELLED`.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from gateway.adapters import metrics
from gateway.adapters.base import Adapter, ChangeBatch, Health, Slot
from gateway.errors import AdapterError


@dataclass
class CallStats:
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    keys: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)


class Instrumented:
    def __init__(self, inner: Adapter) -> None:
        self.inner = inner
        self.info = inner.info
        self.capabilities = inner.capabilities
        self.stats = CallStats()

    async def fetch_many(self, entity: str, keys: Sequence[str]) -> list[Slot]:
        tag = (self.info.slug, entity)
        start = time.perf_counter()
        self.stats.calls[tag] += 1
        self.stats.keys[tag] += len(keys)
        outcome = "OK"
        try:
            return await self.inner.fetch_many(entity, keys)
        except AdapterError as exc:
            self.stats.errors[tag] += 1
            outcome = exc.code
            raise
        except asyncio.CancelledError:
            outcome = "CANCELLED"
            raise
        finally:
            elapsed = time.perf_counter() - start
            self.stats.seconds[tag] = self.stats.seconds.get(tag, 0.0) + elapsed
            metrics.CALLS.labels(*tag, outcome).inc()
            metrics.CALL_SECONDS.labels(*tag).observe(elapsed)
            metrics.KEYS.labels(*tag).inc(len(keys))

    def changes(self, entity: str, since: str | None) -> AsyncIterator[ChangeBatch]:
        return self.inner.changes(entity, since)

    async def health(self) -> Health:
        return await self.inner.health()

    async def aclose(self) -> None:
        await self.inner.aclose()
