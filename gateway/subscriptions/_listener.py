"""One LISTEN connection per gateway process, fanned out to its subscribers by community.

Every process listens on the same channel, so a change any process (or a sync job) writes to the
store reaches the subscribers of all of them. The connection is checked every `check_s`; when it
is lost the listener reconnects with a backoff, LISTENs again, and replays from the store the
events it missed (migration 0014). Each check is itself a NOTIFY on the channel: a `Mark`
carrying a snapshot of the moment, which every listener receives in commit order among the
events; the events missed are exactly those the last mark received does not see (see `Mark`).
Subscribers get them late, in id order, and none twice (the listener remembers the ids it
delivered lately). Only when the missed events cannot be replayed — more than `max_replay` — does
every feed get a `Gap` instead. Events older than `retention_h` hours are pruned as it goes.

A feed holds at most `max_queued` items; a subscriber that falls further behind loses what is
queued and gets a `Gap` in its place, then the events that follow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
from prometheus_client import Counter, Gauge

from gateway.subscriptions._events import (
    AFTER_SNAPSHOT,
    CHANNEL,
    MARK_SQL,
    Event,
    Gap,
    Item,
    Mark,
    from_row,
    parse,
)
from gateway.tasks import ended

log = logging.getLogger(__name__)
APPLICATION_NAME = "juheli-events"
SUBSCRIPTIONS = Gauge("juheli_subscriptions", "Subscriptions this process serves now")
LISTENING = Gauge("juheli_events_listening", "1 while the events listener holds its LISTEN")
REPLAYED = Counter("juheli_events_replayed", "Events replayed from the store after a reconnection")
REMEMBERED = 20_000  # ids of delivered events kept to recognise one that comes again
REPLAY_ATTEMPTS = 3  # then a gap, rather than retry a replay that keeps failing
CONNECTION_LOST = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Feed:
    """One subscriber's queue of events of one community."""

    def __init__(self, community: str, max_queued: int) -> None:
        self.community = community
        self._queue: asyncio.Queue[Item] = asyncio.Queue(max_queued)

    def put(self, item: Item) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            now = datetime.now(UTC)
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(Gap(now, now, "the subscriber fell behind"))
            self._queue.put_nowait(item)

    async def get(self) -> Item:
        return await self._queue.get()

    def __aiter__(self) -> AsyncIterator[Item]:
        return self._items()

    async def _items(self) -> AsyncIterator[Item]:
        while True:
            yield await self.get()


class Listener:
    def __init__(self, dsn: str, *, check_s: float = 5.0, retry_s: float = 0.5,
                 max_retry_s: float = 10.0, max_queued: int = 1000, max_replay: int = 10_000,
                 retention_h: float = 72.0, prune_every_s: float = 300.0) -> None:
        self.dsn = dsn
        self.check_s, self.retry_s, self.max_retry_s = check_s, retry_s, max_retry_s
        self.max_queued, self.max_replay = max_queued, max_replay
        self.retention_h, self.prune_every_s = retention_h, prune_every_s
        self.connected = asyncio.Event()  # set while LISTENing (tests and /readyz may wait on it)
        self._feeds: dict[str, set[Feed]] = defaultdict(set)
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._mark: str | None = None  # where a replay starts: the last mark's snapshot
        self._delivered: OrderedDict[int, None] = OrderedDict()
        self._held: list[Event | Mark] | None = None  # notifications held while replaying
        self._pruned_at = 0.0

    async def start(self) -> None:
        """Connect once (a store that is down fails the lifespan, like the pool) and run."""
        await self._connect()
        assert self._conn is not None
        self._mark = await self._conn.fetchval("SELECT pg_current_snapshot()::text")
        self._task = asyncio.create_task(self._run(), name="juheli-events-listener")

    async def stop(self) -> None:
        await ended(self._task)
        await self._close()

    @contextlib.asynccontextmanager
    async def feed(self, community: str) -> AsyncIterator[Feed]:
        """A feed of `community`'s events while the block runs."""
        feed = Feed(community, self.max_queued)
        self._feeds[community].add(feed)
        SUBSCRIPTIONS.inc()
        try:
            yield feed
        finally:
            SUBSCRIPTIONS.dec()
            self._feeds[community].discard(feed)
            if not self._feeds[community]:
                del self._feeds[community]

    @property
    def subscribers(self) -> int:
        return sum(len(feeds) for feeds in self._feeds.values())

    async def _connect(self) -> None:
        conn = await asyncpg.connect(self.dsn, server_settings={
            "application_name": APPLICATION_NAME})
        conn.add_termination_listener(self._terminated)
        await conn.add_listener(CHANNEL, self._notified)
        self._conn = conn
        self._lost.clear()
        self.connected.set()
        LISTENING.set(1)

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        self.connected.clear()
        LISTENING.set(0)
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=2)

    async def _run(self) -> None:
        while True:
            await self._watch()
            lost_at = datetime.now(UTC)
            log.warning("the events listener lost its connection; reconnecting")
            for attempt in range(1, REPLAY_ATTEMPTS + 1):
                await self._close()
                await self._reconnect()
                try:
                    await self._replay(lost_at, give_up=attempt == REPLAY_ATTEMPTS)
                    break
                except CONNECTION_LOST as exc:
                    log.warning("the events listener could not replay: %s", exc)
                    await asyncio.sleep(self.retry_s * attempt)

    async def _watch(self) -> None:
        """Return once the connection is lost: closed under us, or not answering a check (a
        mark). Prune the events past their retention now and then."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), timeout=self.check_s)
            if self._lost.is_set() or self._conn is None or self._conn.is_closed():
                return
            try:
                await asyncio.wait_for(self._conn.execute(MARK_SQL), timeout=self.check_s)
                if time.monotonic() - self._pruned_at >= self.prune_every_s:
                    await self._prune()
            except CONNECTION_LOST:
                return

    async def _prune(self) -> None:
        assert self._conn is not None
        self._pruned_at = time.monotonic()
        await self._conn.execute(
            "DELETE FROM subscription_events WHERE at < now() - make_interval(secs => $1)",
            self.retention_h * 3600)

    async def _replay(self, lost_at: datetime, *, give_up: bool = False) -> None:
        """Deliver the events missed while the connection was down (see the module's doc), the
        notifications that arrive meanwhile held back and delivered after them. `give_up`: the
        last attempt, which says so with a gap if the store will not give the events."""
        conn = self._conn
        assert conn is not None
        self._held = []
        try:
            rows: list[asyncpg.Record] | None = None
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                now = await conn.fetchval("SELECT pg_current_snapshot()::text")
                try:
                    rows = await conn.fetch(AFTER_SNAPSHOT, self._mark, self.max_replay + 1)
                except CONNECTION_LOST:
                    if not give_up:
                        raise
                    log.exception("the events listener gives up replaying")
            if rows is None or len(rows) > self.max_replay:
                why = f"more than {self.max_replay} events were missed" if rows is not None \
                    else "the events missed could not be read again"
                log.warning("the events listener cannot replay: %s", why)
                self._broadcast(Gap(lost_at, datetime.now(UTC), why))
            else:
                missed = [from_row(r) for r in rows]
                REPLAYED.inc(sum(1 for e in missed if e.id not in self._delivered))
                for event in missed:
                    self._deliver(event)
            # Whatever commits from here on is announced on this connection.
            self._mark = now
            held, self._held = self._held, None
            for item in held:
                self._take(item)
        finally:
            self._held = None

    async def _reconnect(self) -> None:
        delay = self.retry_s
        while True:
            try:
                await self._connect()
                return
            except CONNECTION_LOST as exc:
                log.warning("the events listener could not reconnect: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_retry_s)

    def _terminated(self, conn: Any) -> None:
        self._lost.set()

    def _notified(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        item = parse(payload)
        if item is None:
            return
        if self._held is not None:
            self._held.append(item)
        else:
            self._take(item)

    def _take(self, item: Event | Mark) -> None:
        if isinstance(item, Mark):
            self._mark = item.snapshot
        else:
            self._deliver(item)

    def _deliver(self, event: Event) -> None:
        """Hand `event` to its community's feeds, unless it was delivered already."""
        if event.id in self._delivered:
            return
        self._delivered[event.id] = None
        if len(self._delivered) > REMEMBERED:
            self._delivered.popitem(last=False)
        for feed in self._feeds.get(event.community, ()):
            feed.put(event)

    def _broadcast(self, gap: Gap) -> None:
        for feeds in self._feeds.values():
            for feed in feeds:
                feed.put(gap)
