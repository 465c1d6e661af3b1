"""Generic adapter for a partner that drops spreadsheets into a folder (CSV or XLSX).

Layout `<folder>/<YYYY-MM>/<file>`: the newest month is the current drop. Reading a file
(encodings, header rows, subtotals) is `gateway.adapters.sheets`. Any row that cannot be read —
no key, a duplicate key, a row that does not map, undecodable bytes, a cut-off row — is
quarantined with file, line, reason and content, never dropped; a file that cannot be read at
all (a truncated workbook, a wrong encoding) is one quarantined row for the whole file, and a
live read of it is PARTNER_DATA_INVALID.

The feed's cursor names the file and a digest of its bytes, so a corrected file dropped under
the same name is read again.

A drop is a snapshot, not a live system: records carry `live=False` and the drop's time.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from gateway.adapters.base import (
    Capabilities,
    ChangeBatch,
    Health,
    PartnerInfo,
    Quarantined,
    Record,
    Slot,
    order_slots,
)
from gateway.adapters.sheets import SheetUnreadable, Table, cell, decode_bytes, read_table
from gateway.errors import AdapterError, PartnerDataInvalid, PartnerRejected, PartnerUnavailable

__all__ = ["Drop", "FileDropAdapter", "FileEntity", "FileMapper", "decode_bytes"]

FileMapper = Callable[[Mapping[str, Any], datetime], Record]


@dataclass(frozen=True, slots=True)
class FileEntity:
    pattern: str  # glob inside a month folder, e.g. '共青团_志愿者名册_*.csv'
    key: str  # header of the key column
    mapper: FileMapper
    sheet: str | int | None = None  # XLSX: name or 1-based index (default: the first)
    header_row: int | None = None  # 1-based (default: the first row holding `key`)
    encoding: str = "auto"  # CSV: a codec name, or auto (gateway.adapters.sheets)
    columns: tuple[str, ...] = ()  # what a declared header row must hold besides `key`


@dataclass(frozen=True, slots=True)
class Drop:
    path: Path
    version: str  # `<month>/<file>@<digest>`: the feed's cursor
    taken_at: datetime
    records: dict[str, Record]
    quarantined: tuple[Quarantined, ...]
    errors: dict[str, AdapterError]  # keyed rows that could not be read
    unreadable: str | None = None  # why the whole file could not be read

    @property
    def origin(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"


class FileDropAdapter:
    def __init__(
        self, info: PartnerInfo, folder: Path, entities: Mapping[str, FileEntity]
    ) -> None:
        self.info = info
        self._folder = folder
        self._entities = dict(entities)
        self._cache: dict[str, tuple[tuple[str, int, int], Drop]] = {}
        self.capabilities = Capabilities(tuple(entities), max_batch=10_000, live=False)

    async def fetch_many(self, entity: str, keys: Sequence[str]) -> list[Slot]:
        drop = await self.drop(entity)
        if drop.unreadable:
            raise PartnerDataInvalid(self.info.slug, f"{drop.origin}: {drop.unreadable}")
        found: dict[str, Record | AdapterError] = {**drop.errors, **drop.records}
        return order_slots(keys, found)

    async def changes(self, entity: str, since: str | None) -> AsyncIterator[ChangeBatch]:
        drop = await self.drop(entity)
        if since == drop.version:
            return  # this drop was already synced
        yield ChangeBatch(list(drop.records.values()), drop.version, drop.quarantined,
                          origins=(drop.origin,))

    def from_snapshot(self, entity: str, raw: Mapping[str, Any], read_at: datetime) -> Record:
        """The record for a row of an earlier drop that the sync stored (the stale fallback)."""
        if entity not in self._entities:
            raise PartnerRejected(self.info.slug, f"unknown entity {entity!r}")
        return self._entities[entity].mapper(raw, read_at)

    async def health(self) -> Health:
        start = time.perf_counter()
        ok = self._folder.is_dir() and any(self._folder.iterdir())
        detail = "" if ok else f"no drops in {self._folder.name}"
        return Health(ok, (time.perf_counter() - start) * 1000, detail)

    async def aclose(self) -> None:
        self._cache.clear()

    async def drop(self, entity: str) -> Drop:
        """The current drop of `entity`, parsed once per file version (off the event loop)."""
        if entity not in self._entities:
            raise PartnerRejected(self.info.slug, f"unknown entity {entity!r}")
        path = self._current_file(self._entities[entity])
        stat = path.stat()
        version = (str(path), stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(entity)
        if cached and cached[0] == version:
            return cached[1]
        drop = await asyncio.to_thread(self._parse, entity, path)
        self._cache[entity] = (version, drop)
        return drop

    def _current_file(self, spec: FileEntity) -> Path:
        if not self._folder.is_dir():
            raise PartnerUnavailable(self.info.slug, "drop folder missing")
        for month in sorted((p for p in self._folder.iterdir() if p.is_dir()), reverse=True):
            matches = sorted(month.glob(spec.pattern))
            if matches:
                return matches[-1]
        raise PartnerUnavailable(self.info.slug, f"no file matching {spec.pattern}")

    def _parse(self, entity: str, path: Path) -> Drop:
        spec = self._entities[entity]
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        taken_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        origin = f"{path.parent.name}/{path.name}"
        version = f"{origin}@{digest[:16]}"
        try:
            table = read_table(path.name, data, key=spec.key, sheet=spec.sheet,
                               header_row=spec.header_row, encoding=spec.encoding,
                               columns=spec.columns)
        except SheetUnreadable as exc:
            raw = f"{len(data)} bytes, sha256 {digest}"  # the file itself stays in the drop
            whole = Quarantined(self.info.slug, entity, origin, None, str(exc), raw)
            return Drop(path, version, taken_at, {}, (whole,), {}, unreadable=str(exc))
        records, errors, bad = self._rows(entity, origin, table, taken_at)
        return Drop(path, version, taken_at, records, tuple(bad), errors)

    def _rows(
        self, entity: str, origin: str, table: Table, taken_at: datetime
    ) -> tuple[dict[str, Record], dict[str, AdapterError], list[Quarantined]]:
        spec = self._entities[entity]
        records: dict[str, Record] = {}
        errors: dict[str, AdapterError] = {}
        bad = [Quarantined(self.info.slug, entity, origin, b.line, b.reason, b.raw)
               for b in table.bad]

        def quarantine(line: int, reason: str, row: Mapping[str, Any], key: str | None) -> None:
            raw = orjson.dumps(row, default=str).decode()
            bad.append(Quarantined(self.info.slug, entity, origin, line, reason, raw, key))

        for line, row in table.rows:
            key = cell(row.get(spec.key))
            if not key:
                quarantine(line, f"missing key column {spec.key}", row, None)
            elif key in records:
                quarantine(line, f"duplicate key {key}", row, key)
            else:
                try:
                    records[key] = spec.mapper(row, taken_at)
                except (KeyError, TypeError, ValueError) as exc:
                    quarantine(line, f"unreadable row: {exc}", row, key)
                    errors[key] = PartnerDataInvalid(
                        self.info.slug, f"{origin} line {line}: unreadable row: {exc}"
                    )
        bad.sort(key=lambda q: q.line or 0)
        return records, errors, bad
