"""Archive segments: rows that left the live table, as gzipped JSON lines, with a manifest each.

    audit-000000000001-000000001000.jsonl.gz         one row per line (AuditRow.as_json)
    audit-000000000001-000000001000.manifest.json    first/last seq, first prev_hash, last
                                                     hash, rows, sha256 of the .gz file

A segment is verified by walking its rows through the chain (which names an edited, deleted
or inserted row) and by its file's sha256; consecutive segments, and the last one with the
live table's anchor, must join seq to seq and hash to hash.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import orjson

from gateway.audit._chain import AuditRow
from gateway.audit._walk import Broken, ChainWalker

_ORPHANED = "orphaned"


@dataclass(frozen=True, slots=True)
class Manifest:
    file: str
    first_seq: int
    last_seq: int
    first_prev_hash: str
    last_hash: str
    rows: int
    sha256: str
    archived_at: str


def segment_name(first_seq: int, last_seq: int) -> str:
    return f"audit-{first_seq:012d}-{last_seq:012d}.jsonl.gz"


def _manifest_path(segment: Path) -> Path:
    return segment.with_name(segment.name.removesuffix(".jsonl.gz") + ".manifest.json")


def read_manifests(folder: Path) -> list[Manifest]:
    """The folder's segments in seq order (a folder that does not exist has none)."""
    paths = sorted(folder.glob("audit-*.manifest.json")) if folder.is_dir() else []
    return sorted((Manifest(**orjson.loads(p.read_bytes())) for p in paths),
                  key=lambda m: m.first_seq)


def read_rows(path: Path) -> Iterator[AuditRow]:
    with gzip.open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield AuditRow.from_mapping(orjson.loads(line))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SegmentWriter:
    """Writes one segment under a temporary name; `finish` makes it durable, then visible."""

    def __init__(self, folder: Path, first_seq: int, last_seq: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / segment_name(first_seq, last_seq)
        self._tmp = self.path.with_name(self.path.name + ".tmp")
        self._raw: IO[bytes] = self._tmp.open("wb")
        self._gz = gzip.GzipFile(fileobj=self._raw, mode="wb", mtime=0)
        self._first: AuditRow | None = None
        self._last: AuditRow | None = None
        self._rows = 0

    def write(self, rows: Sequence[AuditRow]) -> None:
        if not rows:
            return
        self._first = self._first or rows[0]
        self._last = rows[-1]
        self._rows += len(rows)
        self._gz.write(b"".join(orjson.dumps(r.as_json()) + b"\n" for r in rows))

    def finish(self) -> Manifest:
        assert self._first is not None and self._last is not None, "an empty segment"
        self._gz.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        manifest = Manifest(self.path.name, self._first.seq, self._last.seq,
                            self._first.prev_hash, self._last.hash, self._rows,
                            file_sha256(self._tmp), datetime.now(UTC).isoformat())
        os.replace(self._tmp, self.path)
        _write_durably(_manifest_path(self.path), orjson.dumps(asdict(manifest),
                                                               option=orjson.OPT_INDENT_2))
        _fsync_dir(self.path.parent)
        return manifest

    def abort(self) -> None:
        self._gz.close()
        self._raw.close()
        self._tmp.unlink(missing_ok=True)


def _write_durably(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def set_aside_orphans(folder: Path, anchor_seq: int) -> list[str]:
    """Move segments past the live anchor (an archive run that wrote its file but did not
    commit: its rows are still live) into `orphaned/`, out of the chain; return their names."""
    moved = []
    for manifest in read_manifests(folder):
        if manifest.first_seq > anchor_seq:
            aside = folder / _ORPHANED
            aside.mkdir(exist_ok=True)
            segment = folder / manifest.file
            for path in (segment, _manifest_path(segment)):
                if path.exists():
                    os.replace(path, aside / path.name)
            moved.append(manifest.file)
    return moved


# What a damaged file or manifest raises while it is read.
_UNREADABLE = (OSError, EOFError, zlib.error, orjson.JSONDecodeError, KeyError, TypeError,
               ValueError)


def verify_segments(folder: Path, walker: ChainWalker) -> tuple[int, Broken | None]:
    """Walk every segment of `folder` in order through `walker`; (segments, first break)."""
    try:
        manifests = read_manifests(folder)
    except _UNREADABLE as exc:
        return 0, Broken(walker.last_seq + 1, "manifest_mismatch",
                         f"a manifest cannot be read: {exc}", str(folder))
    for manifest in manifests:
        path = folder / manifest.file
        try:
            broken = _verify_segment(path, manifest, walker)
        except _UNREADABLE as exc:
            broken = Broken(walker.last_seq + 1, "segment_file",
                            f"the file cannot be read past row {walker.last_seq}: {exc}",
                            path.name)
        if broken is not None:
            return len(manifests), broken
    return len(manifests), None


def _verify_segment(path: Path, manifest: Manifest, walker: ChainWalker) -> Broken | None:
    if not path.exists():
        return Broken(manifest.first_seq, "missing", "the segment's file is gone", path.name)
    rows_before = walker.rows
    for row in read_rows(path):
        broken = walker.step(row, path.name)
        if broken is not None:
            return broken
    if (walker.last_seq, walker.last_hash, walker.rows - rows_before) != (
            manifest.last_seq, manifest.last_hash, manifest.rows):
        return Broken(min(walker.last_seq, manifest.last_seq) + 1, "manifest_mismatch",
                      f"the segment ends at row {walker.last_seq}, its manifest at "
                      f"{manifest.last_seq} ({manifest.rows} rows)", path.name)
    if file_sha256(path) != manifest.sha256:
        return Broken(manifest.first_seq, "segment_file",
                      "the file's sha256 is not its manifest's: the file was rewritten",
                      path.name)
    return None
