"""One wrapper times and counts every adapter call, tagged with partner, entity and batch size."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

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
        try:
            return await self.inner.fetch_many(entity, keys)
        except AdapterError:
            self.stats.errors[tag] += 1
            raise
        finally:
            self.stats.seconds[tag] = self.stats.seconds.get(tag, 0.0) + time.perf_counter() - start

    def changes(self, entity: str, since: str | None) -> AsyncIterator[ChangeBatch]:
        return self.inner.changes(entity, since)

    async def health(self) -> Health:
        return await self.inner.health()

    async def aclose(self) -> None:
        await self.inner.aclose()
