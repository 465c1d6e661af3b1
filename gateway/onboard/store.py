"""Registered definitions in the store (table `partner_definitions`, migration 0011).

The newest version of a slug is in force when enabled. `stamp()` is what every gateway process
polls to notice a change: one short row, cheap enough to ask every second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

_LATEST = """
SELECT DISTINCT ON (slug) slug, version, body, enabled, source, added_at
  FROM partner_definitions ORDER BY slug, version DESC"""


@dataclass(frozen=True, slots=True)
class Stored:
    slug: str
    version: int
    body: str
    enabled: bool
    source: str  # the definition file's text
    added_at: datetime


def _stored(row: asyncpg.Record) -> Stored:
    return Stored(row["slug"], row["version"], row["body"], row["enabled"], row["source"],
                  row["added_at"])


async def register(conn: asyncpg.Connection, slug: str, body: str, source: str) -> int:
    """Store a new version of `slug`'s definition, enabled; its version number."""
    async with conn.transaction():
        # One writer per slug at a time, so two `partner add` never take the same version.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('partner_definitions:' || $1))",
                           slug)
        version: int = await conn.fetchval(
            "SELECT coalesce(max(version), 0) + 1 FROM partner_definitions WHERE slug = $1", slug)
        await conn.execute("INSERT INTO partner_definitions (slug, version, body, source) "
                           "VALUES ($1, $2, $3, $4)", slug, version, body, source)
    return version


async def disable(conn: asyncpg.Connection, slug: str) -> int | None:
    """Disable the version in force; the version disabled, or None when there is none."""
    version: int | None = await conn.fetchval(
        "UPDATE partner_definitions SET enabled = false WHERE slug = $1 AND version = "
        "(SELECT max(version) FROM partner_definitions WHERE slug = $1) RETURNING version", slug)
    return version


async def latest(conn: asyncpg.Connection | asyncpg.Pool) -> list[Stored]:
    """Each slug's newest version, enabled or not."""
    return [_stored(r) for r in await conn.fetch(_LATEST)]


async def in_force(conn: asyncpg.Connection | asyncpg.Pool) -> list[Stored]:
    return [s for s in await latest(conn) if s.enabled]


async def one(conn: asyncpg.Connection | asyncpg.Pool, slug: str, version: int | None = None) -> Stored | None:
    row = await conn.fetchrow(
        "SELECT slug, version, body, enabled, source, added_at FROM partner_definitions "
        "WHERE slug = $1 AND ($2::int IS NULL OR version = $2) ORDER BY version DESC LIMIT 1",
        slug, version)
    return None if row is None else _stored(row)


async def stamp(conn: asyncpg.Connection | asyncpg.Pool) -> str:
    """What changes whenever a definition is added, replaced or disabled."""
    value: str = await conn.fetchval(
        "SELECT coalesce(string_agg(slug || ':' || version || ':' || enabled, ',' "
        "ORDER BY slug), '') FROM (" + _LATEST + ") d")
    return value
