"""Generic adapter for a partner that drops spreadsheets into a folder (CSV or XLSX).

Layout `<folder>/<YYYY-MM>/<file>`: the newest month is the current drop. CSV encodings are
detected (UTF-8 with or without BOM, GBK/GB18030, …) rather than assumed; in XLSX the header row is
found by looking for the key column, so title rows and merged banners above it do not matter.
Subtotal (合计) and blank rows are skipped; any other row that cannot be read — no key, a
duplicate key, undecodable text — is quarantined with file, line and reason, never dropped.

A drop is a snapshot, not a live system: records carry `live=False` and the drop's time.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
from gateway.errors import AdapterError, PartnerDataInvalid, PartnerRejected, PartnerUnavailable

FileMapper = Callable[[Mapping[str, Any], datetime], Record]
_SKIP_MARKERS = ("合计", "小计", "总计")


@dataclass(frozen=True, slots=True)
class FileEntity:
    pattern: str  # glob inside a month folder, e.g. '共青团_志愿者名册_*.csv'
    key: str  # header of the key column
    mapper: FileMapper
    sheet: str | None = None


@dataclass(frozen=True, slots=True)
class Drop:
    path: Path
    taken_at: datetime
    records: dict[str, Record]
    quarantined: tuple[Quarantined, ...]
    errors: dict[str, AdapterError]  # keyed rows that could not be read


class FileDropAdapter:
    def __init__(
        self, info: PartnerInfo, folder: Path, entities: Mapping[str, FileEntity]
    ) -> None:
        self.info = info
        self._folder = folder
        self._entities = dict(entities)
        self._cache: dict[str, tuple[tuple[str, float], Drop]] = {}
        self.capabilities = Capabilities(tuple(entities), max_batch=10_000, live=False)

    async def fetch_many(self, entity: str, keys: Sequence[str]) -> list[Slot]:
        drop = await self.drop(entity)
        found: dict[str, Record | AdapterError] = {**drop.errors, **drop.records}
        return order_slots(keys, found)

    async def changes(self, entity: str, since: str | None) -> AsyncIterator[ChangeBatch]:
        drop = await self.drop(entity)
        cursor = f"{drop.path.parent.name}/{drop.path.name}"
        if since == cursor:
            return  # this drop was already synced
        yield ChangeBatch(list(drop.records.values()), cursor, drop.quarantined)

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
        version = (str(path), path.stat().st_mtime)
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
        taken_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        rows = read_table(path, key=spec.key, sheet=spec.sheet)
        records: dict[str, Record] = {}
        errors: dict[str, AdapterError] = {}
        bad: list[Quarantined] = []
        origin = f"{path.parent.name}/{path.name}"

        def quarantine(line: int, reason: str, row: Mapping[str, Any]) -> None:
            raw = "|".join("" if v is None else str(v) for v in row.values())
            bad.append(Quarantined(self.info.slug, entity, origin, line, reason, raw))

        for line, row in rows:
            key = _cell(row.get(spec.key))
            if not key:
                quarantine(line, f"missing key column {spec.key}", row)
            elif key in records:
                quarantine(line, f"duplicate key {key}", row)
            else:
                try:
                    records[key] = spec.mapper(row, taken_at)
                except (KeyError, TypeError, ValueError) as exc:
                    quarantine(line, f"unreadable row: {exc}", row)
                    errors[key] = PartnerDataInvalid(
                        self.info.slug, f"{origin} line {line}: unreadable row: {exc}"
                    )
        return Drop(path, taken_at, records, tuple(bad), errors)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_table(path: Path, *, key: str, sheet: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """(1-based line, row by header) for each data row of a CSV or XLSX file."""
    if path.suffix.lower() in {".xlsx", ".xls", ".xlsm"}:
        grid = _xlsx_grid(path, sheet)
    else:
        grid = list(csv.reader(io.StringIO(decode_bytes(path.read_bytes(), path.name))))
    header_at = next(
        (i for i, row in enumerate(grid) if key in (_cell(c) for c in row)), None
    )
    if header_at is None:
        raise PartnerDataInvalid("files", f"{path.name}: no header row with column {key}")
    header = [_cell(c) for c in grid[header_at]]
    out: list[tuple[int, dict[str, Any]]] = []
    for index, cells in enumerate(grid[header_at + 1 :], start=header_at + 2):
        values = [c if not isinstance(c, str) else c.strip() for c in cells]
        if not any(_cell(v) for v in values):
            continue
        if any(_cell(v).startswith(_SKIP_MARKERS) for v in values[:2]):
            continue
        out.append((index, {h: (values[i] if i < len(values) else None) for i, h in enumerate(header) if h}))
    return out


def _xlsx_grid(path: Path, sheet: str | None) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        name = sheet if sheet in book.sheet_names else book.sheet_names[0]
        return [list(r) for r in book.get_sheet_by_name(name).to_python(skip_empty_area=False)]
    except Exception as exc:  # calamine raises its own error types; translate at the edge
        raise PartnerDataInvalid("files", f"{path.name}: unreadable workbook: {exc}") from exc


def decode_bytes(data: bytes, name: str = "") -> str:
    """Decode a partner's text file: UTF-8 (BOM or not) first, then detected (GBK family, …)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    encoding = best.encoding if best else None
    if encoding in {"gbk", "gb2312", "hz", None} or (encoding or "").startswith("gb"):
        encoding = "gb18030"  # superset of GBK/GB2312; detection often names a subset
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise PartnerDataInvalid("files", f"{name}: cannot decode ({encoding})") from exc
