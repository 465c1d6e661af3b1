"""One LISTEN connection per gateway process, fanned out to its subscribers by community.

Every process listens on the same channel, so a change any process (or a sync job) writes to the
store reaches the subscribers of all of them. The connection is checked every `check_s`; when it
is lost every feed gets a `Gap` at once (resumed_at None), the listener reconnects with a backoff,
and every feed gets a second `Gap` with the time it resumed: a subscription says it may have
missed events instead of stalling in silence.

A feed holds at most `max_queued` items; a subscriber that falls further behind loses what is
queued and gets a `Gap` in its place, then the events that follow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
from prometheus_client import Gauge

from gateway.subscriptions._events import CHANNEL, Event, Gap, Item, parse
from gateway.tasks import ended

log = logging.getLogger(__name__)
APPLICATION_NAME = "juheli-events"
SUBSCRIPTIONS = Gauge("juheli_subscriptions", "Subscriptions this process serves now")
LISTENING = Gauge("juheli_events_listening", "1 while the events listener holds its LISTEN")


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
                 max_retry_s: float = 10.0, max_queued: int = 1000) -> None:
        self.dsn = dsn
        self.check_s, self.retry_s, self.max_retry_s = check_s, retry_s, max_retry_s
        self.max_queued = max_queued
        self.connected = asyncio.Event()  # set while LISTENing (tests and /readyz may wait on it)
        self._feeds: dict[str, set[Feed]] = defaultdict(set)
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect once (a store that is down fails the lifespan, like the pool) and run."""
        await self._connect()
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
            await self._close()
            self._broadcast(Gap(lost_at, None, "the gateway lost its events connection"))
            await self._reconnect()
            self._broadcast(Gap(lost_at, datetime.now(UTC), "the events connection resumed"))

    async def _watch(self) -> None:
        """Return once the connection is lost: closed under us, or not answering a check."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), timeout=self.check_s)
            if self._lost.is_set() or self._conn is None or self._conn.is_closed():
                return
            try:
                await asyncio.wait_for(self._conn.execute("SELECT 1"), timeout=self.check_s)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                return

    async def _reconnect(self) -> None:
        delay = self.retry_s
        while True:
            try:
                await self._connect()
                return
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("the events listener could not reconnect: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_retry_s)

    def _terminated(self, conn: Any) -> None:
        self._lost.set()

    def _notified(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        event = parse(payload)
        if event is not None:
            self._deliver(event)

    def _deliver(self, event: Event) -> None:
        for feed in self._feeds.get(event.community, ()):
            feed.put(event)

    def _broadcast(self, gap: Gap) -> None:
        for feeds in self._feeds.values():
            for feed in feeds:
                feed.put(gap)
