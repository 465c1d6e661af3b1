"""Appending: one committed row per read, on the chain, or a coded error and nothing served."""

from __future__ import annotations

import socket

import asyncpg
import pytest

from gateway.audit import GENESIS, AuditRow, append
from gateway.errors import AuditUnavailable
from tests.audit.conftest import entry


async def test_appends_number_and_chain_rows_as_python_recomputes_them(
        pool: asyncpg.Pool, audit_uri: str) -> None:
    records = [await append(pool, entry(n)) for n in range(5)]

    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert all(a.at < b.at for a, b in zip(records, records[1:], strict=False))
    conn = await asyncpg.connect(audit_uri)  # another session sees them: committed
    try:
        rows = [AuditRow.from_mapping(r) for r in await conn.fetch(
            "SELECT * FROM audit_log ORDER BY seq")]
        head = await conn.fetchrow("SELECT head_seq, head_hash FROM audit_chain")
    finally:
        await conn.close()
    assert [r.hash for r in rows] == [r.hash for r in records]
    assert [r.expected_hash() for r in rows] == [r.hash for r in rows]  # SQL and Python agree
    assert [r.prev_hash for r in rows] == [GENESIS] + [r.hash for r in rows[:-1]]
    assert rows[2].entry == entry(2)
    assert (head["head_seq"], head["head_hash"]) == (5, records[-1].hash)


async def test_non_ascii_and_missing_fields_hash_the_same_in_sql_and_python(
        pool: asyncpg.Pool) -> None:
    odd = entry(1, agency="民政局", households=("110105001001-01-0001", "户'\"|"), purpose=None)
    record = await append(pool, odd)

    row = AuditRow.from_mapping(await pool.fetchrow("SELECT * FROM audit_log"))
    assert row.entry == odd
    assert row.expected_hash() == record.hash


async def test_a_connection_inside_a_transaction_is_refused(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        with pytest.raises(ValueError, match="outside any transaction"):
            await append(conn, entry())


async def test_a_pooled_connection_outside_a_transaction_appends(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        assert (await append(conn, entry())).seq == 1


async def test_a_closed_pool_raises_audit_unavailable(audit_uri: str) -> None:
    pool = await asyncpg.create_pool(audit_uri, min_size=1, max_size=1)
    await pool.close()
    with pytest.raises(AuditUnavailable) as caught:
        await append(pool, entry())
    assert caught.value.extensions["code"] == "AUDIT_UNAVAILABLE"


async def test_an_unreachable_store_raises_audit_unavailable() -> None:
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pool = await asyncpg.create_pool(f"postgresql://juheli@127.0.0.1:{port}/juheli", min_size=0)
    try:
        with pytest.raises(AuditUnavailable, match="cannot be written"):
            await append(pool, entry())
    finally:
        await pool.close()


async def test_a_store_too_busy_to_answer_in_time_raises_audit_unavailable(audit_uri: str) -> None:
    pool = await asyncpg.create_pool(audit_uri, min_size=1, max_size=1)
    try:
        async with pool.acquire():  # the only connection is taken
            with pytest.raises(AuditUnavailable):
                await append(pool, entry(), timeout=0.2)
    finally:
        await pool.close()


async def test_a_missing_chain_head_raises_audit_unavailable_and_writes_nothing(
        pool: asyncpg.Pool) -> None:
    await pool.execute("DELETE FROM audit_chain")
    try:
        with pytest.raises(AuditUnavailable, match="chain head"):
            await append(pool, entry())
        assert await pool.fetchval("SELECT count(*) FROM audit_log") == 0
    finally:
        await pool.execute("INSERT INTO audit_chain VALUES (1, 0, $1, 0, $1)", GENESIS)


async def test_a_session_without_synchronous_commit_still_commits_the_row_durably(
        pool: asyncpg.Pool) -> None:
    from gateway.audit._append import _APPEND_SQL
    from gateway.audit._chain import content_digest

    e = entry()
    async with pool.acquire() as conn:
        await conn.execute("SET synchronous_commit = off")
        try:
            async with conn.transaction():
                await conn.fetchrow(_APPEND_SQL, e.agency, e.officer, e.purpose,
                                    e.operation_hash, e.variables_hash, list(e.households),
                                    list(e.field_groups), e.client, e.outcome,
                                    content_digest(e))
                assert await conn.fetchval("SHOW synchronous_commit") == "on"  # at commit
            assert await conn.fetchval("SHOW synchronous_commit") == "off"  # session untouched
        finally:
            await conn.execute("RESET synchronous_commit")


async def test_a_role_with_execute_only_appends_but_cannot_edit(pool: asyncpg.Pool,
                                                                 audit_uri: str) -> None:
    from tests.conftest import PREFIX

    role = f"{PREFIX}audit_gateway"
    # The embedded server and TEST_DATABASE_URL are superuser connections: roles can be made.
    await pool.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        await pool.execute(f'GRANT SELECT ON audit_log, audit_chain TO "{role}"')
        conn = await asyncpg.connect(audit_uri, user=role)
        try:
            assert (await append(conn, entry())).seq == 1
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("UPDATE audit_log SET purpose = 'curiosity'")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("DELETE FROM audit_log")
        finally:
            await conn.close()
    finally:
        await pool.execute(f'DROP OWNED BY "{role}"')
        await pool.execute(f'DROP ROLE "{role}"')
