"""Per-request DataLoaders: one per (partner, entity), plus the store's batched lookups.

Every partner read goes through the partner's `Resilient` guard (gateway/adapters/resilience/):
it ends by the partner's timeout counted from the request's start (these loaders' creation), or
by the request's deadline if that comes first, with budgeted retries and the partner's breaker, and is recorded in the request's
`SourcesReport` with the calls actually sent — none when the breaker was open or the deadline
had run out before the call (`DEADLINE_EXCEEDED`, which is the gateway's delay and not a mark
against the partner). A failed read does not raise into the resolvers: each key's value becomes
a `Failed` carrying the coded error, so a field built from several partners still returns what
the others gave.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from gateway.adapters.base import Adapter, Record, from_snapshot
from gateway.adapters.resilience import PartnerPolicy, Resilient, guarded
from gateway.db.store import HouseholdRow, LinkRow, Store
from gateway.errors import AdapterError, PartnerUnavailable
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
        self._started = time.monotonic()  # each partner's timeout counts from here
        self._timeout = partner_timeout
        self._partner: dict[tuple[str, str], DataLoader[str, Fetched]] = {}
        self._guards: dict[str, Resilient] = {}  # bare adapters handed in, guarded per request
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
        # (partner, entity, local id) → its last synced record, for the stale fallback (fetch.py).
        self.snapshots: DataLoader[tuple[str, str, str], Record | None] = DataLoader(
            self._load_snapshots
        )

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
            self._sources.record(partner, len(keys), 0.0, failed.error, calls=0)
            return [failed] * len(keys)
        outcome = await self._guard(partner, adapter).call(entity, keys, deadline=self._deadline,
                                                           start=self._started)
        self._sources.record(partner, len(keys), outcome.elapsed_ms, outcome.error,
                             calls=outcome.attempts)
        if outcome.error is not None or outcome.slots is None:
            error = outcome.error or PartnerUnavailable(partner, "no answer")
            return [Failed(error)] * len(keys)
        return [Failed(s) if isinstance(s, AdapterError) else s for s in outcome.slots]

    def _guard(self, partner: str, adapter: Adapter) -> Resilient:
        if partner not in self._guards:
            self._guards[partner] = guarded(adapter, PartnerPolicy(timeout_s=self._timeout))
        return self._guards[partner]

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

    async def _load_snapshots(self, keys: list[tuple[str, str, str]]) -> list[Record | None]:
        found = await self._store.snapshots(keys)
        out: list[Record | None] = []
        for partner, entity, local_id in keys:
            row, adapter = found.get((partner, entity, local_id)), self._adapters.get(partner)
            out.append(None if row is None or adapter is None
                       else from_snapshot(adapter, entity, row.raw, row.read_at))
        return out
