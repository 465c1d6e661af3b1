"""Registered definitions in a running process: built into adapters, and swapped when changed.

Every process (each gateway replica, the sync scheduler, a one-off `gateway sync`) builds the
adapters of the definitions in force next to the code partners' (`partner_adapters`). A serving
process also runs a `DefinitionWatcher`: it polls the store's definition stamp (one short row a
second) and, when it changed, builds the new adapters *before* it swaps anything, then replaces
the process's `Services` in one assignment. A request takes its `Services` once, when it starts,
so requests in flight finish on the adapters they began with and new requests get the new
ones; a replaced adapter is closed only after a grace period longer than any request's
deadline (no partner call starts after a request's deadline, and none outlasts it), so no
request ever meets a closed client.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

import asyncpg

from gateway.adapters.base import Adapter
from gateway.adapters.registry import build_adapters
from gateway.adapters.resilience import PartnerPolicy
from gateway.onboard import store
from gateway.onboard.errors import DefinitionInvalid
from gateway.onboard.loader import load_text
from gateway.onboard.model import Definition
from gateway.tasks import ended

if TYPE_CHECKING:
    from gateway.context import Services

log = logging.getLogger(__name__)
Config = Mapping[str, Mapping[str, Any]]


async def definitions_in_force(pool: asyncpg.Pool | asyncpg.Connection
                               ) -> list[tuple[Definition, int]]:
    """The enabled definitions with their versions. One stored under older rules that no
    longer validates is left out and logged: it cannot take the others down."""
    out = []
    for stored in await store.in_force(pool):
        try:
            out.append((load_text(stored.source, file=f"{stored.slug} v{stored.version}"),
                        stored.version))
        except DefinitionInvalid as exc:
            log.error("partner definition left out: %s", exc)
    return out


async def partner_adapters(pool: asyncpg.Pool, config: Config, **options: Any
                           ) -> dict[str, Adapter]:
    """`build_adapters` over the configured code partners and the definitions in force."""
    return await build_adapters(config, definitions=await definitions_in_force(pool), **options)


class DefinitionWatcher:
    """Keeps `holder['current'].adapters` on the definitions in force (module docstring)."""

    def __init__(self, pool: asyncpg.Pool, holder: MutableMapping[str, Services], config: Config,
                 *, policy: PartnerPolicy | None = None, interval_s: float = 1.0,
                 grace_s: float = 5.0, on_swap: Callable[[Services], None] | None = None) -> None:
        self.pool, self.holder, self.config, self.policy = pool, holder, config, policy
        self.interval_s, self.grace_s, self.on_swap = interval_s, grace_s, on_swap
        self.swaps = 0
        self._stamp: str | None = None
        self._versions: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    async def prime(self) -> list[tuple[Definition, int]]:
        """The definitions the process starts with. The stamp is read first, so a change that
        lands while they load is seen by the first poll, never lost."""
        self._stamp = await store.stamp(self.pool)
        definitions = await definitions_in_force(self.pool)
        self._versions = {d.body.slug: v for d, v in definitions}
        return definitions

    def start(self) -> None:
        if self.interval_s > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="juheli-definitions")

    async def stop(self) -> None:
        await ended(self._task)
        self._task = None
        for task in list(self._closing):  # close what is retired now: nothing serves any more
            task.cancel()
        await asyncio.gather(*self._closing, return_exceptions=True)

    async def check(self) -> bool:
        """Swap if the definitions changed since the last look; whether it swapped."""
        stamp = await store.stamp(self.pool)
        if stamp == self._stamp:
            return False
        loaded = await definitions_in_force(self.pool)
        await self._swap(loaded)
        self._stamp = stamp
        return True

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store blinked: keep serving, look again next time
                log.exception("checking partner definitions failed")

    async def _swap(self, loaded: list[tuple[Definition, int]]) -> None:
        versions = {d.body.slug: v for d, v in loaded}
        changed = [(d, v) for d, v in loaded if self._versions.get(d.body.slug) != v]
        gone = set(self._versions) - set(versions)
        slugs = {d.body.slug for d, _ in changed}
        options: dict[str, Any] = {"definitions": changed}
        if self.policy is not None:
            options["policy"] = self.policy
        # Built before anything is swapped: a request never waits on a half-made set.
        fresh = await build_adapters(
            {slug: conf for slug, conf in self.config.items() if slug in slugs}, **options)
        current = self.holder["current"]
        keep = {slug: a for slug, a in current.adapters.items()
                if slug not in gone and slug not in fresh}
        retired = [a for slug, a in current.adapters.items() if slug not in keep]
        swapped = dataclasses.replace(current, adapters={**keep, **fresh})
        self.holder["current"] = swapped  # one assignment: a request sees old or new, not both
        self._versions = {**{s: v for s, v in self._versions.items() if s not in gone},
                          **{s: versions[s] for s in fresh}}
        self.swaps += 1
        if self.on_swap is not None:
            self.on_swap(swapped)
        log.info("partner definitions swapped: %s built, %s removed", sorted(fresh), sorted(gone))
        if retired:
            task = asyncio.create_task(self._retire(retired))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _retire(self, adapters: list[Adapter]) -> None:
        try:
            await asyncio.sleep(self.grace_s)
        finally:
            for adapter in adapters:
                with contextlib.suppress(Exception):  # closing is best effort
                    await adapter.aclose()
