"""Append one audit row: one round trip, committed before `append` returns.

`audit_append` (migration 0004) locks the chain head's row, numbers the row, hashes it onto the
chain and inserts it, in the single statement's own transaction. Appenders in every process
queue on that row lock, so they build one chain; each holds it for one insert and its commit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from gateway.audit._chain import AuditEntry, content_digest
from gateway.errors import AuditUnavailable

_APPEND_SQL = (
    "SELECT a_seq, a_at, a_hash FROM audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """Where an appended entry landed in the chain."""

    seq: int
    at: datetime
    hash: str


async def append(
    pool_or_conn: asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy,
    entry: AuditEntry,
    *,
    timeout: float = 5.0,
) -> AuditRecord:
    """Append `entry` and commit it; raise AuditUnavailable when that cannot be done in time.

    A connection handed in must not be inside a transaction: the row would then commit (or
    not) with the caller's work, after the response. A timeout that strikes after the server
    committed leaves a row for a read that is then refused: the log errs towards too much.
    """
    if not isinstance(pool_or_conn, asyncpg.Pool) and pool_or_conn.is_in_transaction():
        raise ValueError("audit append needs a connection outside any transaction")
    args = (entry.agency, entry.officer, entry.purpose, entry.operation_hash,
            entry.variables_hash, list(entry.households), list(entry.field_groups),
            entry.client, entry.outcome, content_digest(entry))
    try:
        async with asyncio.timeout(timeout):  # covers waiting for a pooled connection too
            row = await pool_or_conn.fetchrow(_APPEND_SQL, *args)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
            asyncpg.InternalClientError) as exc:  # the last: a connection the server dropped
        raise AuditUnavailable(f"the audit log cannot be written: {exc}") from exc
    assert row is not None  # the function always returns its one row
    return AuditRecord(int(row["a_seq"]), row["a_at"], str(row["a_hash"]))
