"""The events listener on a real store: the triggers of migration 0010 reach it, it routes by
community, and when its connection is killed it reconnects and says so with gap markers."""

from __future__ import annotations

import asyncio

import asyncpg
import orjson
import pytest

from gateway.subscriptions import CHANNEL, Event, Gap, Listener
from gateway.subscriptions._listener import APPLICATION_NAME
from tests.conftest import migrated_store


@pytest.fixture(scope="module")
async def events_store(pg_admin: str) -> str:
    return await migrated_store(pg_admin, "subs_listener")


def payload(community: str, record: int = 1) -> str:
    return orjson.dumps({"kind": "status", "record": record, "partner": "mediation",
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


async def test_a_killed_connection_reconnects_with_gap_markers(events_store: str) -> None:
    listener = Listener(events_store, check_s=0.2, retry_s=0.1)
    await listener.start()
    admin = await asyncpg.connect(events_store)
    try:
        async with listener.feed("C1") as feed:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1 AND pid <> pg_backend_pid() "
                "AND datname = current_database()", APPLICATION_NAME)  # not other tests' stores
            assert killed == 1
            lost = await next_item(feed)
            assert isinstance(lost, Gap) and lost.resumed_at is None
            resumed = await next_item(feed)
            assert isinstance(resumed, Gap) and resumed.lost_at == lost.lost_at
            assert resumed.resumed_at is not None and resumed.resumed_at >= lost.lost_at
            await notify(events_store, payload("C1", 3))  # and it listens again
            after = await next_item(feed)
            assert isinstance(after, Event) and after.record == 3
    finally:
        await admin.close()
        await listener.stop()


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
