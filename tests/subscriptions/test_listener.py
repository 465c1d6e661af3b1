"""The events listener on a real store: the triggers of migrations 0010 and 0014 reach it, it
routes by community, and when its connection is killed it reconnects and replays from the store
what it missed — exactly, in id order, none twice — or says it cannot with a gap marker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
import orjson
import pytest
from prometheus_client import REGISTRY

from gateway.subscriptions import CHANNEL, Event, Gap, Listener
from gateway.subscriptions._listener import APPLICATION_NAME
from tests.conftest import migrated_store


@pytest.fixture(scope="module")
async def events_store(pg_admin: str) -> str:
    return await migrated_store(pg_admin, "subs_listener")


def payload(community: str, record: int = 1) -> str:
    """A NOTIFY as migration 0014's trigger sends it (the event id is the record's here)."""
    return orjson.dumps({"id": record, "kind": "status", "record": record, "partner": "mediation",
                         "entity": "dispute", "local_id": f"M{record:06d}", "household": 7,
                         "community": community, "old": "REGISTERED",
                         "new": "IN_MEDIATION"}).decode()


async def notify(uri: str, *payloads: str) -> None:
    conn = await asyncpg.connect(uri)
    try:
        for text in payloads:
            await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, text)
    finally:
        await conn.close()


async def next_item(feed: object, timeout: float = 10) -> Event | Gap:
    item: Event | Gap = await asyncio.wait_for(feed.get(), timeout)  # type: ignore[attr-defined]
    return item


async def test_events_are_routed_by_community_and_garbage_is_dropped(events_store: str) -> None:
    listener = Listener(events_store, check_s=0.2)
    await listener.start()
    try:
        async with listener.feed("C1") as mine, listener.feed("C2") as theirs:
            await notify(events_store, "not json", payload("C2", 2), payload("C1", 1))
            got = await next_item(mine)
            assert isinstance(got, Event)
            assert (got.record, got.community, got.old, got.new) == \
                (1, "C1", "REGISTERED", "IN_MEDIATION")
            other = await next_item(theirs)
            assert isinstance(other, Event) and other.record == 2
            assert listener.subscribers == 2
        assert listener.subscribers == 0
    finally:
        await listener.stop()


async def write_events(uri: str, community: str, records: range) -> list[int]:
    conn = await asyncpg.connect(uri)
    try:
        return await insert_events(conn, community, records)
    finally:
        await conn.close()


async def kill_listener(admin: asyncpg.Connection) -> None:
    killed = await admin.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = $1 AND pid <> pg_backend_pid() "
        "AND datname = current_database()", APPLICATION_NAME)  # not other tests' stores
    assert killed == 1


@contextlib.asynccontextmanager
async def listener_cut_off(admin: asyncpg.Connection, server_uri: str) -> AsyncIterator[None]:
    """The listener's connection killed, and the store refusing new connections (`admin`'s own
    stays) until the block ends: what is written meanwhile reaches no LISTEN at all. A database
    cannot be closed from inside, so it is altered from the server's `server_uri`."""
    database = await admin.fetchval("SELECT current_database()")
    server = await asyncpg.connect(server_uri)
    try:
        await server.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
        try:
            await kill_listener(admin)
            yield
        finally:
            await server.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
    finally:
        await server.close()


async def insert_events(conn: asyncpg.Connection, community: str, records: range) -> list[int]:
    """Events as the triggers write them (each announced by the table's own trigger); ids."""
    rows = await conn.fetch(
        """INSERT INTO subscription_events
             (kind, record, partner, entity, local_id, household, community, old, new)
           SELECT 'status', r, 'mediation', 'dispute', 'M' || r, 7, $1, 'REGISTERED',
                  'IN_MEDIATION' FROM unnest($2::bigint[]) r ORDER BY r RETURNING id""",
        community, list(records))
    return [r["id"] for r in rows]


def replayed() -> float:
    return REGISTRY.get_sample_value("juheli_events_replayed_total") or 0.0


async def test_events_missed_while_disconnected_are_replayed_once(
        events_store: str, pg_admin: str) -> None:
    listener = Listener(events_store, check_s=0.2, retry_s=0.2)
    await listener.start()
    admin = await asyncpg.connect(events_store)
    try:
        async with listener.feed("C1") as feed, listener.feed("C2") as other:
            before = await write_events(events_store, "C1", range(1, 3))
            assert [(await next_item(feed)).record for _ in before] == [1, 2]  # type: ignore[union-attr]
            await asyncio.sleep(0.5)  # a mark or two after them
            count = replayed()
            async with listener_cut_off(admin, pg_admin):
                missed = await insert_events(admin, "C1", range(3, 6))
                await insert_events(admin, "C2", range(6, 7))
                await asyncio.sleep(0.5)
                assert not listener.connected.is_set()
            got = [await next_item(feed) for _ in missed]
            assert replayed() - count == 4  # from the store, not announced to anyone
            assert all(isinstance(e, Event) for e in got), got
            assert [e.id for e in got if isinstance(e, Event)] == missed
            assert [e.record for e in got if isinstance(e, Event)] == [3, 4, 5]
            assert listener.connected.is_set()
            theirs = await next_item(other)
            assert isinstance(theirs, Event) and theirs.record == 6
            # And it listens again; nothing came twice, and no gap was needed.
            after = await write_events(events_store, "C1", range(7, 8))
            last = await next_item(feed)
            assert isinstance(last, Event) and last.id == after[0]
            with pytest.raises(TimeoutError):
                await next_item(feed, timeout=0.6)
    finally:
        await admin.close()
        await listener.stop()


async def test_an_event_committed_late_with_a_lower_id_is_not_lost(
        events_store: str, pg_admin: str) -> None:
    """Ids are not in commit order: an event whose transaction began before the listener's last
    mark but commits while it is disconnected has a lower id than events it already delivered,
    and is replayed all the same."""
    listener = Listener(events_store, check_s=0.2, retry_s=0.2)
    await listener.start()
    admin = await asyncpg.connect(events_store)
    slow = await asyncpg.connect(events_store)
    try:
        async with listener.feed("C3") as feed:
            tx = slow.transaction()
            await tx.start()
            early = await slow.fetchval(
                """INSERT INTO subscription_events
                     (kind, record, partner, entity, local_id, household, community, old, new)
                   VALUES ('status', 100, 'mediation', 'dispute', 'M100', 7, 'C3', NULL, 'DONE')
                   RETURNING id""")
            later = await write_events(events_store, "C3", range(101, 102))
            delivered = await next_item(feed)
            assert isinstance(delivered, Event) and delivered.id == later[0] > early
            await asyncio.sleep(0.5)  # marks taken while the slow transaction is open
            async with listener_cut_off(admin, pg_admin):
                await tx.commit()
            replayed = await next_item(feed)
            assert isinstance(replayed, Event) and replayed.id == early and replayed.record == 100
            with pytest.raises(TimeoutError):  # the later one is not delivered again
                await next_item(feed, timeout=1.5)
    finally:
        await slow.close()
        await admin.close()
        await listener.stop()


async def test_too_many_missed_events_give_a_gap(
        events_store: str, pg_admin: str) -> None:
    listener = Listener(events_store, check_s=0.2, retry_s=0.2, max_replay=3)
    await listener.start()
    admin = await asyncpg.connect(events_store)
    try:
        async with listener.feed("C4") as feed:
            await asyncio.sleep(0.5)
            async with listener_cut_off(admin, pg_admin):
                await insert_events(admin, "C4", range(200, 205))
            gap = await next_item(feed)
            assert isinstance(gap, Gap) and gap.reason == "more than 3 events were missed"
            assert gap.resumed_at is not None and gap.resumed_at >= gap.lost_at
            after = await write_events(events_store, "C4", range(205, 206))  # then live again
            live = await next_item(feed)
            assert isinstance(live, Event) and live.id == after[0]
    finally:
        await admin.close()
        await listener.stop()


async def test_events_past_their_retention_are_pruned(events_store: str) -> None:
    ids = await write_events(events_store, "C5", range(300, 302))
    conn = await asyncpg.connect(events_store)
    try:
        await conn.execute("UPDATE subscription_events SET at = now() - interval '2 hours' "
                           "WHERE id = $1", ids[0])
        listener = Listener(events_store, check_s=0.1, retention_h=1, prune_every_s=0)
        await listener.start()
        try:
            for _ in range(50):
                kept = await conn.fetch("SELECT id FROM subscription_events WHERE id = ANY($1)",
                                        ids)
                if len(kept) == 1:
                    break
                await asyncio.sleep(0.1)
            assert [r["id"] for r in kept] == [ids[1]]
        finally:
            await listener.stop()
    finally:
        await conn.close()


async def test_a_subscriber_that_falls_behind_gets_a_gap(events_store: str) -> None:
    listener = Listener(events_store, max_queued=3)
    await listener.start()
    try:
        async with listener.feed("C1") as feed:
            await notify(events_store, *(payload("C1", i) for i in range(1, 6)))
            await asyncio.sleep(0.5)  # let all five arrive before reading any
            first = await next_item(feed)
            assert isinstance(first, Gap) and first.reason == "the subscriber fell behind"
            rest = [await next_item(feed) for _ in range(2)]
            assert [e.record for e in rest if isinstance(e, Event)] == [4, 5]
    finally:
        await listener.stop()


async def test_the_store_triggers_announce_status_changes_of_linked_disputes(
        subs_store: str) -> None:
    listener = Listener(subs_store)
    await listener.start()
    conn = await asyncpg.connect(subs_store)
    try:
        row = await conn.fetchrow(
            """SELECT s.id, s.status, h.community_code FROM source_records s
                 JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
                 JOIN households h ON h.id = l.household_id
                WHERE s.entity = 'dispute' AND s.subject = 0 AND s.status IS NOT NULL
                ORDER BY s.id DESC LIMIT 1""")
        async with listener.feed(row["community_code"]) as feed:
            async with conn.transaction():
                await conn.execute("UPDATE source_records SET status = 'REOPENED' WHERE id = $1",
                                   row["id"])
                await conn.execute("UPDATE source_records SET status = $2 WHERE id = $1",
                                   row["id"], row["status"])
            changes = [await next_item(feed) for _ in range(2)]
            stored = await conn.fetch(
                "SELECT id, at FROM subscription_events WHERE record = $1 ORDER BY id DESC "
                "LIMIT 2", row["id"])
            assert sorted(e.id for e in changes if isinstance(e, Event)) == \
                sorted(r["id"] for r in stored)  # kept in the store, announced with their ids
            assert [(e.kind, e.record, e.old, e.new) for e in changes
                    if isinstance(e, Event)] == [("status", row["id"], row["status"], "REOPENED"),
                                                 ("status", row["id"], "REOPENED", row["status"])]
            await conn.execute("UPDATE source_records SET read_at = now() WHERE id = $1",
                               row["id"])  # no status change: nothing announced
            with pytest.raises(TimeoutError):
                await next_item(feed, timeout=0.5)
    finally:
        await conn.close()
        await listener.stop()
