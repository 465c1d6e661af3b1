"""Sync and link on a schedule inside a serving gateway.

Each replica may run the loop: the advisory lock per partner (`sync_partner`) and the one for
linkage (`link_pending`) make sure one process does each piece at a time, and the others skip
it. A process that links keeps its link index warm between runs, so the records a sync changed
are linked in about a second even at 100,000 households (bench/linkage.py) — the path a
one-off `gateway sync` cannot take, since it loads the index cold.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import asyncpg

from gateway.adapters.registry import close_adapters
from gateway.linkage.match import Thresholds
from gateway.onboard.live import partner_adapters
from gateway.sync.runner import SyncReport, sync_all
from gateway.tasks import ended

log = logging.getLogger(__name__)


class SyncScheduler:
    def __init__(self, pool: asyncpg.Pool, partners: Mapping[str, Mapping[str, Any]], *,
                 interval_s: float, thresholds: Thresholds, timeout_ms: int = 30_000) -> None:
        self.pool, self.partners = pool, partners
        self.interval_s, self.thresholds, self.timeout_ms = interval_s, thresholds, timeout_ms
        self.runs = 0
        self.last: SyncReport | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval_s > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="juheli-sync")

    async def stop(self) -> None:
        await ended(self._task)
        self._task = None

    async def run_once(self) -> SyncReport:
        # Built per run, so a definition added or changed since the last run is synced too.
        adapters = await partner_adapters(self.pool, self.partners, timeout_ms=self.timeout_ms)
        try:
            report = await sync_all(self.pool, adapters, thresholds=self.thresholds)
        finally:
            await close_adapters(adapters)
        self.runs += 1
        self.last = report
        return report

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                report = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed run is logged; the next one tries again
                log.exception("scheduled sync failed")
                continue
            changed = sum(report.records.values())
            if changed or report.errors:
                log.info("scheduled sync: %d records, links %s, errors %s", changed,
                         report.links, report.errors)
