"""Tampering with the live table: an edited, deleted or inserted row is named by `verify`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import asyncpg
import pytest

from gateway.audit import AuditRow, append, verify
from gateway.audit._chain import content_digest, row_hash
from tests.audit.conftest import entry

ROWS = 10


@pytest.fixture
async def chain(pool: asyncpg.Pool) -> asyncpg.Pool:
    for n in range(ROWS):
        await append(pool, entry(n))
    return pool


async def _row(pool: asyncpg.Pool, seq: int) -> AuditRow:
    return AuditRow.from_mapping(await pool.fetchrow("SELECT * FROM audit_log WHERE seq = $1", seq))


async def test_an_untouched_chain_verifies(chain: asyncpg.Pool, audit_uri: str) -> None:
    result = await verify(audit_uri)
    assert result.ok, result.broken
    assert (result.rows, result.head_seq, result.anchor_seq) == (ROWS, ROWS, 0)
    assert result.head_hash == (await _row(chain, ROWS)).hash


async def test_an_empty_chain_verifies(pool: asyncpg.Pool) -> None:
    result = await verify(pool)
    assert result.ok and result.rows == 0


async def test_an_edited_purpose_is_named(chain: asyncpg.Pool) -> None:
    await chain.execute("UPDATE audit_log SET purpose = 'curiosity' WHERE seq = 4")
    broken = (await verify(chain)).broken
    assert broken is not None
    assert (broken.seq, broken.reason, broken.where) == (4, "hash_mismatch", "live")


async def test_an_edit_with_a_recomputed_hash_is_named_at_the_next_row(chain: asyncpg.Pool) -> None:
    row = await _row(chain, 4)  # entry(3): rows count from 1
    forged = row_hash(4, row.at, content_digest(entry(3, purpose="curiosity")), row.prev_hash)
    await chain.execute("UPDATE audit_log SET purpose = 'curiosity', hash = $1 WHERE seq = 4",
                        forged)
    broken = (await verify(chain)).broken
    assert broken is not None
    assert (broken.seq, broken.reason) == (5, "prev_mismatch")


async def test_a_deleted_middle_row_is_named(chain: asyncpg.Pool) -> None:
    await chain.execute("DELETE FROM audit_log WHERE seq = 5")
    broken = (await verify(chain)).broken
    assert broken is not None
    assert (broken.seq, broken.reason) == (5, "missing")


async def test_a_deleted_last_row_is_named(chain: asyncpg.Pool) -> None:
    await chain.execute("DELETE FROM audit_log WHERE seq = $1", ROWS)
    broken = (await verify(chain)).broken
    assert broken is not None
    assert (broken.seq, broken.reason) == (ROWS, "missing")


async def test_an_inserted_row_with_a_plausible_hash_is_named(chain: asyncpg.Pool) -> None:
    prev = await _row(chain, 5)
    # Make room at seq 6 (through negative numbers: the key stays unique at every step).
    await chain.execute("UPDATE audit_log SET seq = -seq WHERE seq >= 6")
    await chain.execute("UPDATE audit_log SET seq = 1 - seq WHERE seq < 0")
    await chain.execute(
        "INSERT INTO audit_log (seq, at, agency, officer, purpose, operation_hash, "
        "variables_hash, households, field_groups, client, outcome, prev_hash, hash) "
        "VALUES (6, $1, 'police', 'x', 'case_handling', 'op', 'var', '{H1}', '{identity}', "
        "NULL, 'served', $2, $3)",
        datetime.now(UTC), prev.hash, hashlib.sha256(b"forged").hexdigest())
    await chain.execute("UPDATE audit_chain SET head_seq = head_seq + 1")
    broken = (await verify(chain)).broken
    assert broken is not None
    assert (broken.seq, broken.reason) == (6, "hash_mismatch")


async def test_a_correctly_hashed_row_past_the_head_is_named(chain: asyncpg.Pool) -> None:
    last = await _row(chain, ROWS)
    at = datetime.now(UTC)
    forged = entry(99)
    await chain.execute(
        "INSERT INTO audit_log (seq, at, agency, officer, purpose, operation_hash, "
        "variables_hash, households, field_groups, client, outcome, prev_hash, hash) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        ROWS + 1, at, forged.agency, forged.officer, forged.purpose, forged.operation_hash,
        forged.variables_hash, list(forged.households), list(forged.field_groups),
        forged.client, forged.outcome, last.hash,
        row_hash(ROWS + 1, at, content_digest(forged), last.hash))
    broken = (await verify(chain)).broken
    assert broken is not None
    assert (broken.seq, broken.reason) == (ROWS + 1, "inserted")


async def test_a_row_numbered_below_the_anchor_is_named(chain: asyncpg.Pool) -> None:
    await chain.execute("UPDATE audit_log SET seq = 0 WHERE seq = 1")
    broken = (await verify(chain)).broken
    assert broken is not None
    assert (broken.seq, broken.reason) == (0, "inserted")


async def test_a_rewritten_chain_head_is_named(chain: asyncpg.Pool) -> None:
    await chain.execute("UPDATE audit_chain SET head_hash = repeat('f', 64)")
    broken = (await verify(chain)).broken
    assert broken is not None
    assert (broken.seq, broken.reason) == (ROWS, "head_mismatch")
