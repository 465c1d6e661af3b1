"""What `gateway audit …` does, given the settings: find the store and the archive, run, say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from gateway.audit._archive import Archived, archive
from gateway.audit._export import Access, export_household
from gateway.audit._verify import VerifyResult, verify
from gateway.settings import Settings


def archive_dir(settings: Settings) -> Path:
    return settings.data_dir / "audit-archive"


async def _store_uri(settings: Settings) -> str:
    from gateway.app import resolve_store_uri

    return await resolve_store_uri(settings)


async def verify_store(settings: Settings, *, archive: Path | None = None) -> VerifyResult:
    """Verify the live chain, and the segments of `archive` (default: the data dir's archive
    folder when there is one) before it."""
    default = archive_dir(settings)
    folder = archive if archive is not None else default if default.is_dir() else None
    return await verify(await _store_uri(settings), archive=folder)


async def archive_store(settings: Settings, *, archive_to: Path | None = None,
                        days: int | None = None) -> Archived:
    days = settings.audit_retention_days if days is None else days
    cutoff = datetime.now(UTC) - timedelta(days=days)
    pool = await asyncpg.create_pool(await _store_uri(settings), min_size=1, max_size=1)
    try:
        return await archive(pool, older_than=cutoff, folder=archive_to or archive_dir(settings))
    finally:
        await pool.close()


async def export_store(settings: Settings, household: str, *,
                       archive: Path | None = None) -> list[Access]:
    default = archive_dir(settings)
    folder = archive if archive is not None else default if default.is_dir() else None
    return await export_household(await _store_uri(settings), household, archive=folder)


def describe(result: VerifyResult) -> str:
    where = (f"{result.segments} archive segments and the live table" if result.segments
             else f"the live table from its anchor at row {result.anchor_seq}")
    if result.broken is None:
        return (f"audit chain valid: {result.rows:,} rows in {where}; "
                f"head row {result.head_seq}, hash {result.head_hash}")
    b = result.broken
    place = "the live table" if b.where == "live" else b.where
    return f"audit chain broken at row {b.seq} in {place}: {b.reason}: {b.detail}"
