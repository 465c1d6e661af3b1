"""Per-request DataLoaders: one per (partner, entity), plus the store's batched lookups.

Every partner call runs under the smaller of the partner's timeout and what is left of the
request's deadline, and is recorded in the request's `SourcesReport`. A failed call does not
raise into the resolvers: each key's value becomes a `Failed` carrying the coded error, so a
field built from several partners still returns what the others gave.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from gateway.adapters.base import Adapter, Record
from gateway.db.store import HouseholdRow, LinkRow, Store
from gateway.errors import AdapterError, PartnerTimeout, PartnerUnavailable
from gateway.resolvers.sources import SourcesReport


@dataclass(frozen=True, slots=True)
class Failed:
    error: AdapterError


Fetched = Record | Failed | None


class Loaders:
    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, Adapter],
        sources: SourcesReport,
        *,
        deadline: float,
        partner_timeout: float,
    ) -> None:
        self._store = store
        self._adapters = adapters
        self._sources = sources
        self._deadline = deadline
        self._timeout = partner_timeout
        self._partner: dict[tuple[str, str], DataLoader[str, Fetched]] = {}
        self.links: DataLoader[int, list[LinkRow]] = DataLoader(self._load_links)
        self.household_by_key: DataLoader[str, HouseholdRow | None] = DataLoader(
            self._load_households_by_key
        )
        self.household_by_id: DataLoader[int, HouseholdRow | None] = DataLoader(
            self._load_households_by_id
        )
        self.addresses: DataLoader[int, list[str]] = DataLoader(self._load_addresses)
        # Responsibilities that point at a (building, compound), and branch-level ones per community.
        self.places: DataLoader[tuple[int | None, int | None], list[LinkRow]] = DataLoader(
            self._load_places
        )
        self.branch_records: DataLoader[str, list[LinkRow]] = DataLoader(self._load_branch_records)

    def partner(self, partner: str, entity: str) -> DataLoader[str, Fetched]:
        key = (partner, entity)
        if key not in self._partner:

            async def load(keys: list[str]) -> list[Fetched]:
                return await self._fetch(partner, entity, keys)

            self._partner[key] = DataLoader(load)
        return self._partner[key]

    async def _fetch(self, partner: str, entity: str, keys: Sequence[str]) -> list[Fetched]:
        adapter = self._adapters.get(partner)
        if adapter is None:
            failed = Failed(PartnerUnavailable(partner, "partner is not configured"))
            self._sources.record(partner, len(keys), 0.0, failed.error)
            return [failed] * len(keys)
        start = time.perf_counter()
        budget = max(0.001, min(self._timeout, self._deadline - time.monotonic()))
        try:
            slots = await asyncio.wait_for(adapter.fetch_many(entity, keys), budget)
        except TimeoutError:
            error: AdapterError = PartnerTimeout(partner, f"no answer within {budget * 1000:.0f} ms")
        except AdapterError as exc:
            error = exc
        else:
            self._sources.record(partner, len(keys), (time.perf_counter() - start) * 1000, None)
            return [Failed(s) if isinstance(s, AdapterError) else s for s in slots]
        self._sources.record(partner, len(keys), (time.perf_counter() - start) * 1000, error)
        return [Failed(error)] * len(keys)

    async def _load_links(self, ids: list[int]) -> list[list[LinkRow]]:
        found = await self._store.links_for_households(ids)
        return [found.get(i, []) for i in ids]

    async def _load_households_by_key(self, keys: list[str]) -> list[HouseholdRow | None]:
        found = await self._store.households_by_key(keys)
        return [found.get(k) for k in keys]

    async def _load_households_by_id(self, ids: list[int]) -> list[HouseholdRow | None]:
        found = await self._store.households_by_id(ids)
        return [found.get(i) for i in ids]

    async def _load_places(
        self, keys: list[tuple[int | None, int | None]]
    ) -> list[list[LinkRow]]:
        rows = await self._store.place_records(
            "responsibility",
            buildings=[b for b, _ in keys if b is not None],
            compounds=[c for _, c in keys if c is not None],
        )
        out: list[list[LinkRow]] = []
        for building, compound in keys:
            out.append([
                r for r in rows
                if (building is not None and r.attrs.get("building_id") == str(building))
                or (compound is not None and r.attrs.get("targetLevel") == "compound"
                    and r.attrs.get("compound_id") == str(compound))
            ])
        return out

    async def _load_branch_records(self, communities: list[str]) -> list[list[LinkRow]]:
        return [
            await self._store.records_of("responsibility", community=c, level="branch")
            for c in communities
        ]

    async def _load_addresses(self, ids: list[int]) -> list[list[str]]:
        found = await self._store.address_spellings(ids)
        return [found.get(i, []) for i in ids]
