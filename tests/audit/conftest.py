"""A migrated store of the audit tests' own, reset to an empty chain before each test.

Appends commit (that is their contract), so tests cannot roll back: each starts from an empty
chain instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from gateway.audit import GENESIS, AuditEntry
from tests.conftest import migrated_store


def entry(n: int = 0, *, agency: str = "civil-affairs", households: tuple[str, ...] = ("H1",),
          purpose: str | None = "case_handling") -> AuditEntry:
    return AuditEntry(agency=agency, officer=f"officer-{n % 3}", purpose=purpose,
                      operation_hash=f"op{n:04d}", variables_hash=f"var{n:04d}",
                      households=households, field_groups=("identity", "contact"),
                      client="10.0.0.7")


async def reset(conn: asyncpg.Connection | asyncpg.Pool) -> None:
    await conn.execute("TRUNCATE audit_log")
    await conn.execute("UPDATE audit_chain SET head_seq = 0, head_hash = $1, anchor_seq = 0, "
                       "anchor_hash = $1", GENESIS)


@pytest.fixture(scope="session")
async def audit_uri(pg_admin: str) -> str:
    return await migrated_store(pg_admin, "audit")


@pytest.fixture
async def pool(audit_uri: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(audit_uri, min_size=1, max_size=4)
    await reset(pool)
    try:
        yield pool
    finally:
        await pool.close()
