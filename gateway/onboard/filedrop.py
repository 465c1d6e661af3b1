"""A file drop read as a definition says: the month layout of `FileDropAdapter`, or a flat
folder; the newest matching file, or every matching file (one workbook per compound).

Reading one file (encodings, the sheet, the header row — declared, or found by the key column
—, title rows, merged cells, 合计 rows, quarantine of bad rows) is `FileDropAdapter`'s; this class only chooses the files and
merges their drops. A key met in two files is quarantined in the later one, as a duplicate in
one file is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from pathlib import Path

import orjson

from gateway.adapters.base import ChangeBatch, PartnerInfo, Quarantined, Record
from gateway.adapters.files import Drop, FileDropAdapter, FileEntity
from gateway.errors import AdapterError, PartnerRejected, PartnerUnavailable


class FolderDrop(FileDropAdapter):
    def __init__(self, info: PartnerInfo, folder: Path, entities: Mapping[str, FileEntity], *,
                 flat: bool, pick_all: frozenset[str]) -> None:
        super().__init__(info, folder, entities)
        self._flat = flat
        self._all = pick_all
        self._files: dict[tuple[str, Path], tuple[tuple[int, int], Drop]] = {}

    async def drop(self, entity: str) -> Drop:
        if entity not in self._entities:
            raise PartnerRejected(self.info.slug, f"unknown entity {entity!r}")
        drops = [await self._one(entity, path) for path in self._paths(entity)]
        return drops[0] if len(drops) == 1 else _merge(drops)

    async def changes(self, entity: str, since: str | None) -> AsyncIterator[ChangeBatch]:
        drop = await self.drop(entity)
        if since == drop.version:
            return  # these files were already synced
        origins = tuple(v.split("@")[0] for v in drop.version.split("+"))
        yield ChangeBatch(list(drop.records.values()), drop.version, drop.quarantined,
                          origins=origins)

    def _paths(self, entity: str) -> list[Path]:
        pattern = self._entities[entity].pattern
        if not self._folder.is_dir():
            raise PartnerUnavailable(self.info.slug, "drop folder missing")
        folders = ([self._folder] if self._flat else
                   sorted((p for p in self._folder.iterdir() if p.is_dir()), reverse=True))
        for folder in folders:
            matches = sorted(folder.glob(pattern))
            if matches:
                return matches if entity in self._all else matches[-1:]
        raise PartnerUnavailable(self.info.slug, f"no file matching {pattern}")

    async def _one(self, entity: str, path: Path) -> Drop:
        """One file's drop, parsed once per version of the file (off the event loop)."""
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._files.get((entity, path))
        if cached and cached[0] == version:
            return cached[1]
        drop = await asyncio.to_thread(self._parse, entity, path)
        self._files[(entity, path)] = (version, drop)
        return drop

    async def aclose(self) -> None:
        self._files.clear()
        await super().aclose()


def _merge(drops: list[Drop]) -> Drop:
    """Many files' drops as one: records by key (a key seen before is quarantined), every file's
    quarantined rows, a version naming every file's. An unreadable file is one quarantined row,
    and does not make the others unreadable."""
    records: dict[str, Record] = {}
    errors: dict[str, AdapterError] = {}
    bad = [q for d in drops for q in d.quarantined]
    for d in drops:
        for key, record in d.records.items():
            if key in records:
                raw = orjson.dumps(dict(record.raw), default=str).decode()
                bad.append(Quarantined(record.partner, record.entity, d.origin, None,
                                       f"duplicate key {key} (also in another file)", raw, key))
            else:
                records[key] = record
        errors.update({k: v for k, v in d.errors.items() if k not in records})
    first = drops[0]
    return replace(first, path=first.path.parent / "*", version="+".join(d.version for d in drops),
                   taken_at=max(d.taken_at for d in drops), records=records,
                   quarantined=tuple(bad), errors=errors, unreadable=None)
