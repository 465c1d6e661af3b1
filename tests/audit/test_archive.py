"""Retention: old rows move to segments that stay verifiable, and join the live chain."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest

from gateway.audit import AuditRecord, ChainBroken, append, archive, export_household, verify
from gateway.audit._segments import SegmentWriter, read_manifests, read_rows
from tests.audit.conftest import entry


async def _appended(pool: asyncpg.Pool, n: int, start: int = 0) -> list[AuditRecord]:
    return [await append(pool, entry(i, households=(f"H{i % 2}",)))
            for i in range(start, start + n)]


def _after(record: AuditRecord) -> datetime:
    return record.at + timedelta(microseconds=1)


async def test_archived_rows_leave_the_table_and_the_whole_chain_still_verifies(
        pool: asyncpg.Pool, tmp_path: Path) -> None:
    records = await _appended(pool, 30)

    first = await archive(pool, older_than=_after(records[19]), folder=tmp_path)
    second = await archive(pool, older_than=_after(records[24]), folder=tmp_path)
    await _appended(pool, 5, start=30)

    assert (first.rows, first.first_seq, first.last_seq) == (20, 1, 20)
    assert (second.rows, second.first_seq, second.last_seq) == (5, 21, 25)
    assert await pool.fetchval("SELECT min(seq) FROM audit_log") == 26
    assert first.segment is not None and second.segment is not None
    assert [m.file for m in read_manifests(tmp_path)] == [first.segment.name, second.segment.name]
    whole = await verify(pool, archive=tmp_path)
    assert whole.ok, whole.broken
    assert (whole.rows, whole.segments, whole.anchor_seq, whole.head_seq) == (35, 2, 25, 35)
    live = await verify(pool)
    assert live.ok and live.rows == 10  # from the anchor on


async def test_nothing_older_than_the_cutoff_archives_nothing(
        pool: asyncpg.Pool, tmp_path: Path) -> None:
    records = await _appended(pool, 3)
    done = await archive(pool, older_than=records[0].at, folder=tmp_path)
    assert done.rows == 0 and not list(tmp_path.iterdir())


async def _archived(pool: asyncpg.Pool, folder: Path) -> Path:
    records = await _appended(pool, 12)
    done = await archive(pool, older_than=_after(records[9]), folder=folder)
    assert done.segment is not None
    return done.segment


def _rewrite(segment: Path, change: Callable[[list[Any]], list[Any]]) -> None:
    lines = [orjson.loads(line) for line in gzip.decompress(segment.read_bytes()).splitlines()]
    lines = change(lines)
    segment.write_bytes(gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in lines)))


async def test_an_edited_row_in_a_segment_is_named(pool: asyncpg.Pool, tmp_path: Path) -> None:
    segment = await _archived(pool, tmp_path)

    def edit(lines: list[Any]) -> list[Any]:
        lines[3]["purpose"] = "curiosity"
        return lines

    _rewrite(segment, edit)
    broken = (await verify(pool, archive=tmp_path)).broken
    assert broken is not None
    assert (broken.seq, broken.reason, broken.where) == (4, "hash_mismatch", segment.name)


async def test_a_row_deleted_from_a_segment_is_named(pool: asyncpg.Pool, tmp_path: Path) -> None:
    segment = await _archived(pool, tmp_path)
    _rewrite(segment, lambda lines: lines[:6] + lines[7:])
    broken = (await verify(pool, archive=tmp_path)).broken
    assert broken is not None
    assert (broken.seq, broken.reason, broken.where) == (7, "missing", segment.name)


async def test_a_segment_rewritten_with_the_same_rows_fails_its_checksum(
        pool: asyncpg.Pool, tmp_path: Path) -> None:
    segment = await _archived(pool, tmp_path)
    _rewrite(segment, lambda lines: lines)  # same rows, other bytes
    broken = (await verify(pool, archive=tmp_path)).broken
    assert broken is not None
    assert (broken.seq, broken.reason) == (1, "segment_file")


async def test_a_missing_segment_is_named(pool: asyncpg.Pool, tmp_path: Path) -> None:
    segment = await _archived(pool, tmp_path)
    segment.unlink()
    broken = (await verify(pool, archive=tmp_path)).broken
    assert broken is not None
    assert (broken.seq, broken.reason) == (1, "missing")


async def test_a_segment_and_manifest_both_gone_break_the_join_with_the_live_table(
        pool: asyncpg.Pool, tmp_path: Path) -> None:
    await _archived(pool, tmp_path)
    for path in tmp_path.iterdir():
        path.unlink()
    broken = (await verify(pool, archive=tmp_path)).broken
    assert broken is not None
    assert (broken.seq, broken.reason) == (1, "missing")


async def test_a_broken_chain_is_not_archived(pool: asyncpg.Pool, tmp_path: Path) -> None:
    records = await _appended(pool, 10)
    await pool.execute("UPDATE audit_log SET officer = 'someone else' WHERE seq = 3")
    with pytest.raises(ChainBroken) as caught:
        await archive(pool, older_than=_after(records[-1]), folder=tmp_path)
    assert caught.value.broken.seq == 3
    assert await pool.fetchval("SELECT count(*) FROM audit_log") == 10
    assert await pool.fetchval("SELECT anchor_seq FROM audit_chain") == 0
    assert not list(tmp_path.glob("*.gz")) and not list(tmp_path.glob("*.tmp"))


async def test_an_interrupted_runs_segment_is_set_aside(pool: asyncpg.Pool, tmp_path: Path) -> None:
    from gateway.audit._chain import AuditRow

    records = await _appended(pool, 8)
    # A run that wrote rows 1–4 to disk but never committed: they are all still live.
    rows = [AuditRow.from_mapping(r) for r in await pool.fetch(
        "SELECT * FROM audit_log WHERE seq <= 4 ORDER BY seq")]
    writer = SegmentWriter(tmp_path, 1, 4)
    writer.write(rows)
    writer.finish()

    done = await archive(pool, older_than=_after(records[5]), folder=tmp_path)

    assert done.orphans == ("audit-000000000001-000000000004.jsonl.gz",)
    assert [(m.first_seq, m.last_seq) for m in read_manifests(tmp_path)] == [(1, 6)]
    assert len(list(read_rows(tmp_path / "orphaned" / done.orphans[0]))) == 4
    result = await verify(pool, archive=tmp_path)
    assert result.ok and result.rows == 8


async def test_export_reads_archived_rows_too(pool: asyncpg.Pool, tmp_path: Path) -> None:
    records = await _appended(pool, 10)
    await archive(pool, older_than=_after(records[5]), folder=tmp_path)

    everything = await export_household(pool, "Household:H0", archive=tmp_path)
    live_only = await export_household(pool, "Household:H0")

    assert [a.seq for a in everything] == [1, 3, 5, 7, 9]
    assert [a.archived for a in everything] == [True, True, True, False, False]
    assert [a.seq for a in live_only] == [7, 9]
