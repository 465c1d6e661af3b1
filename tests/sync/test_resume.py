"""A sync killed at any point and rerun leaves the store exactly as one clean run does.

`gateway sync` runs as a child process against its own store and the district's partners, and
is killed (SIGKILL: no cleanup, no goodbye) five times on the way, each at a different kind of
point; a sixth run completes. A clean run fills a second store. The two stores must hold the
same records (content, identifying attributes, status, link flag), the same cursors and counts,
the same quarantine, the same registry and the same links — compared by natural keys, since
surrogate ids drawn in a transaction that was killed are not given back.

The kill points, without a hook in the code under test:
1. after some batches were committed (the store is watched from outside);
2. inside a batch's transaction — its records written, its cursor not: this test holds a lock on
   `sync_state`, waits until the child's backend is blocked on it, then kills the child;
3. after more batches (watched, as 1);
4. inside a batch's transaction before anything of it is written (a lock on `source_records`);
5. during linking, inside the registry's transaction (a lock on `links`, as 2).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg

import gateway
from tests.conftest import migrated_store

SYNC = [sys.executable, "-c", "from gateway.cli import app; app(prog_name='gateway')", "sync"]


def _env(uri: str, partners: Path, data: Path) -> dict[str, str]:
    root = str(Path(gateway.__file__).resolve().parent.parent)
    env = {**os.environ, "DATABASE_URL": uri, "JUHELI_PARTNERS_FILE": str(partners),
           "JUHELI_DATA_DIR": str(data)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


class Child:
    """One `gateway sync` process."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(SYNC, env=env, stdout=out, stderr=out,
                                         stdin=subprocess.DEVNULL)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait(timeout=30) == -signal.SIGKILL, "it was still running: killed"

    async def finish(self) -> None:
        code = await asyncio.to_thread(self.proc.wait, 300)
        assert code == 0, self.log.read_text(errors="replace")[-3000:]


async def _committed(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT coalesce(sum(records), 0) FROM sync_state"))


async def _kill_after(child: Child, conn: asyncpg.Connection, records: int) -> int:
    """Kill the child once at least `records` records are committed; how many were committed
    when its connections were gone."""
    deadline = time.monotonic() + 120
    while await _committed(conn) < records:
        assert child.proc.poll() is None, "the sync ended before it could be killed"
        assert time.monotonic() < deadline
        await asyncio.sleep(0.002)
    child.kill()
    await _settled(conn)
    return await _committed(conn)


async def _kill_when_blocked(child: Child, conn: asyncpg.Connection, lock: str,
                             statement: str) -> None:
    """Kill the child while its backend waits on the lock `conn` holds inside a transaction,
    running `statement` — mid-transaction, with earlier statements of it done."""
    deadline = time.monotonic() + 120
    while True:
        waiting = await conn.fetchval(
            """SELECT query FROM pg_stat_activity WHERE datname = current_database()
                 AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'""")
        if waiting is not None:
            break
        assert child.proc.poll() is None, f"the sync ended without waiting on {lock}"
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    assert waiting.lstrip().startswith(statement), waiting
    child.kill()


async def _settled(conn: asyncpg.Connection) -> None:
    """Wait until the killed child's backends are gone (their transactions rolled back)."""
    deadline = time.monotonic() + 30
    while await conn.fetchval(
            """SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                 AND pid <> pg_backend_pid() AND backend_type = 'client backend'"""):
        assert time.monotonic() < deadline, "a killed sync's connection stayed open"
        await asyncio.sleep(0.02)
    # What autovacuum may do at any time: give the space of the killed transaction's rows to
    # the rerun's, and new statistics to the planner — the rerun's queries may then read rows
    # in another order than the clean run's did.
    await conn.execute("VACUUM ANALYZE")


# --- what "the same store" means -----------------------------------------------------------------

_SNAPSHOT = {
    "partners": "SELECT slug, name, name_zh, kind, entities::text FROM partners ORDER BY slug",
    "sync_state": """SELECT partner, entity, cursor, records, quarantined FROM sync_state
                     ORDER BY partner, entity""",
    "quarantine": """SELECT partner, entity, origin, line, reason, raw, local_id, status, note,
                            fixed, digest FROM quarantine
                     ORDER BY partner, entity, origin, line, reason, digest""",
    # Everything but the surrogate id and the wall-clock time each row was read at; the place
    # linkage found for a responsibility by its natural key.
    "source_records": """
        SELECT s.partner, s.entity, s.local_id, s.subject,
               (s.attrs - 'compound_id' - 'building_id')::text AS attrs,
               c.community_code || '/' || c.name AS compound,
               bc.name || '/' || b.number AS building,
               s.raw::text, s.partner_updated_at, s.status, s.link_pending
        FROM source_records s
        LEFT JOIN compounds c ON c.id = (s.attrs->>'compound_id')::bigint
        LEFT JOIN buildings b ON b.id = (s.attrs->>'building_id')::bigint
        LEFT JOIN compounds bc ON bc.id = b.compound_id
        ORDER BY s.partner, s.entity, s.local_id, s.subject""",
    "places": """
        SELECT c.community_code, c.name, b.number, e.number FROM compounds c
        LEFT JOIN buildings b ON b.compound_id = c.id LEFT JOIN entrances e ON e.building_id = b.id
        ORDER BY 1, 2, 3, 4""",
    "households": """
        SELECT h.key, h.community_code, c.name, b.number, e.number, h.floor, h.room,
               h.address_key, m.key AS merged_into, h.phones::text
        FROM households h LEFT JOIN compounds c ON c.id = h.compound_id
        LEFT JOIN buildings b ON b.id = h.building_id LEFT JOIN entrances e ON e.id = h.entrance_id
        LEFT JOIN households m ON m.id = h.merged_into ORDER BY h.key""",
    "persons": """
        SELECT p.key, h.key, p.id_number, p.name, p.name_pinyin, p.gender, p.birth_date,
               p.phones::text, p.household_fixed
        FROM persons p LEFT JOIN households h ON h.id = p.household_id ORDER BY p.key""",
    "links": """
        SELECT s.partner, s.entity, s.local_id, s.subject, p.key AS person, h.key AS household,
               l.method, l.confidence, l.status, l.impact, l.decided_by
        FROM links l JOIN source_records s ON s.id = l.source_record_id
        LEFT JOIN persons p ON p.id = l.person_id LEFT JOIN households h ON h.id = l.household_id
        ORDER BY 1, 2, 3, 4""",
    "link_models": "SELECT model::text FROM link_models ORDER BY id",
}


async def _snapshot(uri: str) -> dict[str, list[tuple[Any, ...]]]:
    conn = await asyncpg.connect(uri)
    try:
        return {name: [tuple(r) for r in await conn.fetch(sql)] for name, sql in _SNAPSHOT.items()}
    finally:
        await conn.close()


def _differences(clean: dict[str, list[Any]], rerun: dict[str, list[Any]]) -> dict[str, Any]:
    out = {}
    for table in clean:
        a, b = set(clean[table]), set(rerun[table])
        if clean[table] != rerun[table]:
            out[table] = {"rows": (len(clean[table]), len(rerun[table])),
                          "only_clean": sorted(a - b, key=str)[:3],
                          "only_rerun": sorted(b - a, key=str)[:3]}
    return out


async def test_a_sync_killed_anywhere_and_rerun_leaves_the_store_of_a_clean_run(
    district: Any, pg_admin: str, tmp_path: Path
) -> None:
    partners = tmp_path / "partners.toml"
    district.write_partners_toml(partners)
    clean_uri = await migrated_store(pg_admin, "resume_clean")
    uri = await migrated_store(pg_admin, "resume_killed")
    await Child(_env(clean_uri, partners, tmp_path / "clean"), tmp_path / "clean.log").finish()
    clean = await _snapshot(clean_uri)
    total = sum(r[3] for r in clean["sync_state"])
    assert clean["links"] and clean["quarantine"], "the district has links and bad rows"

    env = _env(uri, partners, tmp_path / "killed")
    log = tmp_path / "killed.log"
    watch = await asyncpg.connect(uri)
    try:
        # 1. After some batches.
        first = await _kill_after(Child(env, log), watch, total // 8)
        assert 0 < first < total
        # 2. Inside a batch's transaction: its records written, its cursor not yet.
        lock = await asyncpg.connect(uri)
        async with lock.transaction():
            await lock.execute("LOCK TABLE sync_state IN SHARE MODE")
            await _kill_when_blocked(Child(env, log), watch, "sync_state",
                                     "INSERT INTO sync_state")
        await lock.close()
        await _settled(watch)
        assert await _committed(watch) == first, "the killed batch left nothing behind"
        # 3. After more batches.
        third = await _kill_after(Child(env, log), watch, total * 4 // 8)
        assert first < third < total
        # 4. Inside the next batch's transaction, at its first write.
        lock = await asyncpg.connect(uri)
        async with lock.transaction():
            await lock.execute("LOCK TABLE source_records IN SHARE MODE")
            await _kill_when_blocked(Child(env, log), watch, "source_records",
                                     "INSERT INTO source_records")
        await lock.close()
        await _settled(watch)
        assert await _committed(watch) == third
        # 5. While linking: inside the registry's transaction, which writes anchor links.
        lock = await asyncpg.connect(uri)
        async with lock.transaction():
            await lock.execute("LOCK TABLE links IN SHARE MODE")
            await _kill_when_blocked(Child(env, log), watch, "links", "INSERT INTO links")
        await lock.close()
        await _settled(watch)
        assert await _committed(watch) == total, "every batch was in before linking"
        assert await watch.fetchval("SELECT count(*) FROM links") == 0
        assert await watch.fetchval("SELECT count(*) FROM households") == 0
        # 6. To the end.
        await Child(env, log).finish()
    finally:
        await watch.close()
    rerun = await _snapshot(uri)
    assert _differences(clean, rerun) == {}
    assert rerun == clean
