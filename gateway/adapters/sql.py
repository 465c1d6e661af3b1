"""Generic adapter for a partner that exposes a PostgreSQL database (read-only use).

A partner module declares, per entity, the table, its key and update-time columns, and a mapper
from a native row to a `Record`. Live reads are `key = ANY($1)`; the sync feed is keyset
pagination over (update time, key), so a rerun resumes exactly where a killed one stopped.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from gateway.adapters.base import (
    Capabilities,
    ChangeBatch,
    Health,
    PartnerInfo,
    Record,
    Slot,
    order_slots,
    read_rows,
)
from gateway.errors import (
    AdapterError,
    PartnerDataInvalid,
    PartnerRejected,
    PartnerTimeout,
    PartnerUnavailable,
)

RowMapper = Callable[[Mapping[str, Any], datetime], Record]


@dataclass(frozen=True, slots=True)
class SqlEntity:
    table: str
    key: str
    updated: str | None  # None: a small reference table, fed whole, ordered by key
    mapper: RowMapper


class SqlAdapter:
    """Reads a partner's own PostgreSQL database through an asyncpg pool it is handed."""

    def __init__(
        self,
        info: PartnerInfo,
        pool: asyncpg.Pool,
        entities: Mapping[str, SqlEntity],
        *,
        max_batch: int = 1000,
        page_size: int = 2000,
    ) -> None:
        self.info = info
        self._pool = pool
        self._entities = dict(entities)
        self._page = page_size
        self.capabilities = Capabilities(tuple(entities), max_batch, live=True)

    def _spec(self, entity: str) -> SqlEntity:
        try:
            return self._entities[entity]
        except KeyError:
            raise PartnerRejected(self.info.slug, f"unknown entity {entity!r}") from None

    async def fetch_many(self, entity: str, keys: Sequence[str]) -> list[Slot]:
        spec = self._spec(entity)
        sql = f"SELECT * FROM {spec.table} WHERE {spec.key} = ANY($1::text[])"
        rows = await self._query(sql, list(keys))
        now = datetime.now(UTC)
        found: dict[str, Record | AdapterError] = {}
        for row in rows:
            key = str(row[spec.key])
            try:
                found[key] = spec.mapper(row, now)
            except (KeyError, TypeError, ValueError) as exc:
                # One unreadable row fails its own key, not the whole batch.
                found[key] = PartnerDataInvalid(self.info.slug, f"unreadable {entity} {key}: {exc}")
        return order_slots(keys, found)

    async def changes(self, entity: str, since: str | None) -> AsyncIterator[ChangeBatch]:
        spec = self._spec(entity)
        after_time, after_key = _split_cursor(since)
        updated = spec.updated or "TIMESTAMP '1900-01-01'"
        sql = (
            f"SELECT * FROM {spec.table} WHERE ({updated}, {spec.key}) > ($1, $2) "
            f"ORDER BY {updated}, {spec.key} LIMIT {self._page}"
        )
        while True:
            page = f"page after {after_time.isoformat()}|{after_key}"
            rows = await self._query(sql, after_time, after_key)
            if not rows:
                return
            now = datetime.now(UTC)
            last = rows[-1]
            after_time = last[spec.updated] if spec.updated else _EPOCH
            after_key = str(last[spec.key])
            cursor = f"{after_time.isoformat()}|{after_key}"
            records, bad = read_rows(self.info.slug, entity, rows, spec.mapper, read_at=now,
                                     key=lambda row: str(row[spec.key]), page=page)
            yield ChangeBatch(records, cursor, bad)
            if len(rows) < self._page:
                return

    def from_snapshot(self, entity: str, raw: Mapping[str, Any], read_at: datetime) -> Record:
        """The record for a row the sync stored (the stale fallback). Stored as JSON, its dates
        are ISO text, which the mappers take as they take a partner's text."""
        return self._spec(entity).mapper(raw, read_at)

    async def health(self) -> Health:
        start = time.perf_counter()
        try:
            await self._query("SELECT 1")
        except AdapterError as exc:
            return Health(False, (time.perf_counter() - start) * 1000, str(exc))
        return Health(True, (time.perf_counter() - start) * 1000)

    async def aclose(self) -> None:
        await self._pool.close()

    async def _query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        slug = self.info.slug
        try:
            async with self._pool.acquire() as conn:
                return list(await conn.fetch(sql, *args))
        except TimeoutError as exc:
            raise PartnerTimeout(slug, "database did not answer in time") from exc
        except (OSError, asyncpg.exceptions.ConnectionDoesNotExistError) as exc:
            raise PartnerUnavailable(slug, f"database unreachable: {exc}") from exc
        except asyncpg.PostgresError as exc:
            raise PartnerRejected(slug, f"database refused the query: {exc}") from exc
        except asyncpg.InterfaceError as exc:
            raise PartnerUnavailable(slug, f"database connection failed: {exc}") from exc


_EPOCH = datetime(1900, 1, 1)


def _split_cursor(cursor: str | None) -> tuple[datetime, str]:
    if not cursor:
        return _EPOCH, ""
    stamp, _, key = cursor.partition("|")
    return datetime.fromisoformat(stamp), key


async def create_pool(dsn: str, *, max_size: int = 4) -> asyncpg.Pool:
    """A lazy pool to a partner database: no connection is opened until the first read, so a
    partner that is down at start-up never stops the gateway; it fails that read instead."""
    return await asyncpg.create_pool(dsn, min_size=0, max_size=max_size, timeout=5)
