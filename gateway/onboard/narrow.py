"""A code partner with some of its entities handed over to a definition.

Converting a body from adapter code to a definition file is one entity at a time: the
definition names what it takes over (`supersedes: [massorg.rights_case]`), and while it is in
force the code partner no longer serves or syncs those entities — so one record never comes
from two partners. Without the definition registered, the code serves them as before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from gateway.adapters.base import Adapter, ChangeBatch, Health, Slot
from gateway.errors import PartnerRejected


class Narrowed:
    def __init__(self, inner: Adapter, hidden: frozenset[str]) -> None:
        self.inner = inner  # looked through by `row_reader` for the stale fallback
        self.info = inner.info
        self.hidden = hidden
        kept = tuple(e for e in inner.capabilities.entities if e not in hidden)
        self.capabilities = replace(inner.capabilities, entities=kept)

    def _check(self, entity: str) -> None:
        if entity in self.hidden:
            raise PartnerRejected(self.info.slug, f"{entity!r} is served by a definition now")

    async def fetch_many(self, entity: str, keys: Sequence[str]) -> list[Slot]:
        self._check(entity)
        return await self.inner.fetch_many(entity, keys)

    async def changes(self, entity: str, since: str | None) -> AsyncIterator[ChangeBatch]:
        self._check(entity)
        async for batch in self.inner.changes(entity, since):
            yield batch

    async def health(self) -> Health:
        return await self.inner.health()

    async def aclose(self) -> None:
        await self.inner.aclose()
