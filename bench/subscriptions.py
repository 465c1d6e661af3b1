"""Subscriptions benchmark: how fast and how completely store events reach graphql-transport-ws
subscribers, against a bare LISTEN on the same channel measured in the same run.

    python bench/subscriptions.py --households 3000 [--subscribers 1,50,200] [--events N]
        [--processes 2] [--replay-subscribers N] [--replay-events K] [--resume-events K]
        [--idle-s S] [--seed S] [--data-dir DIR] [--json PATH]

1. prepare a district as household360.py does, and start `--processes` gateway processes over
   one store (listeners checked every second, no rate limit, no websocket caps), with a key of
   a residents' committee asking for casework (the disputes group in full, every read audited);
2. per subscriber level: that many clients (graphql-transport-ws by hand, over `websockets`),
   spread evenly over the processes, subscribe to one community's `disputeChanged`; after two
   warm-up events, a burst of `--events` status changes of its linked mediation disputes, one
   transaction each, stamped when the COMMIT is sent; per delivery the latency commit →
   message, completeness (by cursor: lost, twice), gateway CPU and audit rows — and the floor,
   a bare asyncpg LISTEN hearing the same NOTIFYs;
3. replay: every listener's connection killed and the store refusing new connections while K
   events are written; from re-allowing them to the last replayed delivery, none lost, none
   twice, no gap;
4. resume: a client leaves after an event, K events are written, it comes back (on the other
   process) `after` that event's cursor;
5. print the figures (and write them as JSON with --json); restore the statuses; stop
   everything, also on errors and Ctrl-C.

Traffic goes to 127.0.0.1 only. Every latency is taken on this process's clock: the writer, the
subscribers and the floor run in its one event loop (its CPU per delivery is printed, so a
saturated client shows).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from _common import (
    GatewayProcess,
    Latency,
    Setup,
    bench_headers,
    cancel_on_sigterm,
    console,
    fmt,
    migrate_and_sync,
    percentile,
    run_bench,
    setup_text,
    start_partners,
    table,
    timed,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from gateway.app import resolve_store_uri
from gateway.db.embedded import with_database
from gateway.resolvers.events import EVENT_CURSOR
from gateway.schema.pagination import keyset_key
from gateway.settings import Settings
from gateway.subscriptions import CHANNEL
from gateway.subscriptions._listener import APPLICATION_NAME

BENCH = Path(__file__).resolve().parent
AGENCY = "bench-subs"
ALTERNATE = "REOPENED"  # the status each dispute flips to, and back from
DISPUTES = 50  # the burst cycles over this many linked disputes of the community
TRUSTED = ("auto", "confirmed")
# Off, as the benches that measure throughput have the rate limit off (bench/_common.py): the
# caps are per process and per agency, and every subscriber here is one agency on one address.
GATEWAY_ENV = {"JUHELI_EVENTS_CHECK_S": "1", "JUHELI_MAX_CONNECTIONS_PER_AGENCY": "0",
               "JUHELI_MAX_PENDING_CONNECTIONS": "0", "JUHELI_MAX_WS_MESSAGES_PER_S": "0",
               "JUHELI_MAX_IN_FLIGHT": "0"}
SUBSCRIPTION = """subscription Changes($c: ID!, $after: String) {
  disputeChanged(community: $c, after: $after) {
    __typename
    ... on DisputeChange {
      change oldStatus newStatus at body householdId cursor
      dispute { number status parties { role name } source { localId live stale } }
    }
    ... on EventGap { lostAt resumedAt reason }
  }
}"""


# --- subscribers ----------------------------------------------------------------------------------


def event_id(cursor: str) -> int:
    """The store event (`subscription_events.id`) a DisputeChange's cursor names."""
    return int(keyset_key(EVENT_CURSOR, cursor, 2)[0])


@dataclass
class Subscriber:
    """One graphql-transport-ws client with one `disputeChanged` operation, spoken by hand."""

    url: str
    received: dict[int, float] = field(default_factory=dict)  # event id -> first arrival
    duplicates: int = 0
    gaps: list[dict[str, Any]] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    no_dispute: int = 0  # DisputeChange whose `dispute` came back null
    stale: int = 0  # ... read from the snapshot, the live read having failed
    closed: str | None = None
    last_cursor: str | None = None
    _ws: ClientConnection | None = None
    _task: asyncio.Task[None] | None = None

    async def open(self, params: dict[str, str], community: str,
                   after: str | None = None) -> None:
        """Connect, `connection_init` with the credentials, wait for the ack, subscribe."""
        ws = await connect(self.url, subprotocols=[Subprotocol("graphql-transport-ws")],
                           open_timeout=30, ping_interval=None, max_size=None)
        await ws.send(orjson.dumps({"type": "connection_init", "payload": params}).decode())
        ack = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=30))
        if ack.get("type") != "connection_ack":
            await ws.close()
            raise RuntimeError(f"{self.url} did not acknowledge connection_init: {ack}")
        await ws.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": SUBSCRIPTION, "variables": {"c": community, "after": after}}}).decode())
        self._ws = ws
        self._task = asyncio.create_task(self._read(ws))

    def reset(self) -> None:
        self.received.clear()
        self.duplicates = self.no_dispute = self.stale = 0
        self.gaps.clear()
        self.errors.clear()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                at = time.perf_counter()
                message = orjson.loads(raw)
                if message.get("type") == "ping":
                    await ws.send('{"type": "pong"}')
                else:
                    self._take(message, at)
        except ConnectionClosed as exc:
            self.closed = f"closed {exc.rcvd.code if exc.rcvd else '-'}"
            return
        except Exception as exc:  # a message this client cannot read: say so, stop reading
            self.closed = f"unreadable: {exc!r}"
            console.print(f"[red]{self.url}: {self.closed}[/red]")
            await ws.close()
            return
        self.closed = self.closed or "closed"

    def _take(self, message: dict[str, Any], at: float) -> None:
        kind = message.get("type")
        if kind in ("error", "complete"):
            self.closed = kind
            for error in message.get("payload") or []:
                self.errors[(error.get("extensions") or {}).get("code", "UNCODED")] += 1
            return
        if kind != "next":
            return
        payload = message.get("payload") or {}
        for error in payload.get("errors") or []:
            self.errors[(error.get("extensions") or {}).get("code", "UNCODED")] += 1
        item = (payload.get("data") or {}).get("disputeChanged")
        if item is None:
            return
        if item.get("__typename") == "EventGap":
            self.gaps.append(item)
            return
        self.last_cursor = item["cursor"]
        event = event_id(item["cursor"])
        if event in self.received:
            self.duplicates += 1
        else:
            self.received[event] = at
        dispute = item.get("dispute")
        if dispute is None:
            self.no_dispute += 1
        elif dispute["source"]["stale"]:
            self.stale += 1


async def open_subscribers(n: int, gateways: Sequence[GatewayProcess], params: dict[str, str],
                           community: str) -> list[Subscriber]:
    """`n` subscribers, the i-th on process i mod P, connecting 16 at a time."""
    subs = [Subscriber(gw.url.replace("http://", "ws://") + "/graphql")
            for gw in (gateways[i % len(gateways)] for i in range(n))]
    gate = asyncio.Semaphore(16)

    async def one(sub: Subscriber) -> None:
        async with gate:
            await sub.open(params, community)

    try:
        await asyncio.gather(*(one(s) for s in subs))
    except BaseException:
        await close_all(subs)
        raise
    return subs


async def close_all(subs: Sequence[Subscriber]) -> None:
    await asyncio.gather(*(s.close() for s in subs), return_exceptions=True)


async def wait_delivered(subs: Sequence[Subscriber], expected: set[int], idle_s: float) -> None:
    """Until every subscriber has every expected event, each has closed, or nothing new has
    arrived for `idle_s` seconds (the caller reports what is missing)."""
    last_total, last_change = -1, time.perf_counter()
    while True:
        total = sum(len(s.received) for s in subs)
        if total >= len(expected) * len(subs) and \
                all(s.received.keys() >= expected for s in subs):
            return
        now = time.perf_counter()
        if total != last_total:
            last_total, last_change = total, now
        elif now - last_change > idle_s or all(s.closed for s in subs):
            return
        await asyncio.sleep(0.05)


# --- the store: disputes to flip, the floor, the cut-off ------------------------------------------


@dataclass
class Dispute:
    record: int
    original: str
    status: str


async def busiest_community(conn: asyncpg.Connection) -> str:
    """The community with the most mediation disputes trusted-linked to its households."""
    code: str | None = await conn.fetchval(
        """SELECT h.community_code FROM source_records s
             JOIN links l ON l.source_record_id = s.id AND l.status = ANY($1::text[])
             JOIN households h ON h.id = l.household_id
            WHERE s.partner = 'mediation' AND s.entity = 'dispute' AND s.subject = 0
            GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""", list(TRUSTED))
    if code is None:
        raise RuntimeError("no mediation dispute is linked to a household: nothing to announce")
    return code


async def pick_disputes(conn: asyncpg.Connection, community: str, n: int) -> list[Dispute]:
    """Linked mediation disputes of `community` on one household each, with a status to return
    to (a run stopped by SIGKILL may leave some REOPENED: those are left out)."""
    rows = await conn.fetch(
        """SELECT s.id, s.status FROM source_records s
             JOIN links l ON l.source_record_id = s.id AND l.status = ANY($1::text[])
             JOIN households h ON h.id = l.household_id
            WHERE s.partner = 'mediation' AND s.entity = 'dispute' AND s.subject = 0
              AND h.community_code = $2 AND s.status IS NOT NULL
              AND s.status NOT IN ($3, 'UNKNOWN')
              AND (SELECT count(*) FROM links o WHERE o.source_record_id = s.id
                      AND o.status = ANY($1::text[])) = 1
            ORDER BY s.id LIMIT $4""", list(TRUSTED), community, ALTERNATE, n)
    if not rows:
        raise RuntimeError(f"community {community} has no linked mediation dispute to change")
    return [Dispute(r["id"], r["status"], r["status"]) for r in rows]


class Writer:
    """Status changes of the chosen disputes, each in a transaction of its own, as a sync would
    store them (the trigger writes and announces the event), stamped when the COMMIT is sent:
    the commit lands before it returns, and `commit_ms` says how long that took."""

    def __init__(self, conn: asyncpg.Connection, disputes: list[Dispute]) -> None:
        self.conn, self.disputes = conn, disputes
        self.commit_ms: list[float] = []
        self._next = 0

    async def flip(self, n: int) -> dict[int, float]:
        """`n` events back to back, each dispute in turn flipped to ALTERNATE or back; event
        id -> when its COMMIT was sent."""
        stamps: dict[int, float] = {}
        for _ in range(n):
            dispute = self.disputes[self._next % len(self.disputes)]
            self._next += 1
            new = ALTERNATE if dispute.status == dispute.original else dispute.original
            event, sent = await self._change(dispute, new)
            stamps[event] = sent
        return stamps

    async def _change(self, dispute: Dispute, status: str) -> tuple[int, float]:
        tx = self.conn.transaction()
        await tx.start()
        try:
            await self.conn.execute("UPDATE source_records SET status = $2 WHERE id = $1",
                                    dispute.record, status)
            ids = await self.conn.fetch("SELECT id FROM subscription_events "
                                        "WHERE xid = pg_current_xact_id()")
        except BaseException:
            await tx.rollback()
            raise
        sent = time.perf_counter()
        await tx.commit()
        self.commit_ms.append((time.perf_counter() - sent) * 1000)
        dispute.status = status
        if len(ids) != 1:
            raise RuntimeError(f"record {dispute.record}: {len(ids)} events, expected 1")
        return ids[0]["id"], sent

    async def restore(self) -> int:
        """Every dispute back to the status it had; how many needed it."""
        changed = [d for d in self.disputes if d.status != d.original]
        for dispute in changed:
            await self.conn.execute("UPDATE source_records SET status = $2 WHERE id = $1",
                                    dispute.record, dispute.original)
            dispute.status = dispute.original
        return len(changed)


class Floor:
    """A bare LISTEN on the events channel: when each NOTIFY reaches a client that does
    nothing else with it."""

    def __init__(self) -> None:
        self.heard: dict[int, float] = {}
        self._conn: asyncpg.Connection | None = None

    async def start(self, uri: str) -> None:
        self._conn = await asyncpg.connect(
            uri, server_settings={"application_name": "juheli-bench-floor"})
        await self._conn.add_listener(CHANNEL, self._notified)

    async def stop(self) -> None:
        if self._conn is not None:
            await self._conn.close()

    def _notified(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        at = time.perf_counter()
        data = orjson.loads(payload)
        if data.get("kind") != "mark":
            self.heard.setdefault(int(data["id"]), at)


async def reopen_store(uri: str) -> None:
    """Let the store take connections again if a killed run left it refusing them."""
    server = await asyncpg.connect(with_database(uri, "postgres"))
    try:
        database = uri.partition("?")[0].rsplit("/", 1)[1]
        allowed = await server.fetchval(
            "SELECT datallowconn FROM pg_database WHERE datname = $1", database)
        if allowed is False:
            console.print(f"[yellow]the store {database} refused connections (an interrupted "
                          "replay); allowing them again[/yellow]")
            await server.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def store_cut_off(uri: str, conn: asyncpg.Connection) -> AsyncIterator[int]:
    """Every events listener's connection killed, and the store refusing new connections
    (`conn` stays) until the block ends; yields how many listeners were killed. A database
    cannot be closed from inside, so it is altered from the server's `postgres` database."""
    database = await conn.fetchval("SELECT current_database()")
    server = await asyncpg.connect(with_database(uri, "postgres"))
    try:
        await server.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
        try:
            killed: int = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1 AND datname = current_database()", APPLICATION_NAME)
            yield killed
        finally:
            await server.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
    finally:
        await server.close()


async def audit_rows(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM audit_log WHERE agency = $1", AGENCY)
    return count


# --- the gateways -------------------------------------------------------------------------------


async def metric(client: httpx.AsyncClient, gateway: GatewayProcess, name: str) -> float:
    """A sample without labels from the process's /metrics; 0 when absent."""
    text = (await client.get(f"{gateway.url}/metrics")).text
    values = [float(line.split()[-1]) for line in text.splitlines()
              if line.startswith(name + " ")]
    return values[0] if values else 0.0


async def wait_subscribed(gateways: Sequence[GatewayProcess], total: int,
                          timeout_s: float = 60) -> None:
    """Until the processes serve exactly their share of `total` subscriptions (the i-th
    subscriber is on process i mod P): a level's subscribers are all in, the last one's out."""
    share = [len(range(i, total, len(gateways))) for i in range(len(gateways))]
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            now = [await metric(client, gw, "juheli_subscriptions") for gw in gateways]
            if now == share:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gateways serve {now} subscriptions, expected {share}")
            await asyncio.sleep(0.1)


def gateways_cpu(gateways: Sequence[GatewayProcess]) -> float | None:
    values = [gw.cpu_seconds() for gw in gateways]
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def _delta(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


@dataclass
class Run:
    """What every phase works with."""

    gateways: list[GatewayProcess]
    params: dict[str, str]
    community: str
    uri: str
    conn: asyncpg.Connection  # the writer's, and the one that stays through a cut-off
    writer: Writer
    floor: Floor
    idle_s: float


# --- per subscriber level ------------------------------------------------------------------------


@dataclass(kw_only=True)
class Completeness:
    """Whether every written event reached every subscriber once (`tally`)."""

    expected: int = 0
    delivered: int = 0
    lost: int = 0
    duplicates: int = 0
    others: int = 0  # events delivered that were not among those written
    gaps: int = 0
    stale: int = 0  # deliveries whose dispute came from the snapshot


@dataclass
class Level(Completeness):
    """What one subscriber level measured."""

    subscribers: int
    events: int
    errors: dict[str, int] = field(default_factory=dict)
    no_dispute: int = 0
    closed: int = 0  # subscribers whose socket or operation ended during the level
    write_s: float = 0.0  # the burst's writing, first BEGIN to last COMMIT
    wall_s: float = 0.0  # first commit to last delivery
    latencies_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)
    floor_heard: int = 0
    commit_ms: list[float] = field(default_factory=list)  # COMMIT sent → returned
    first_ms: float = math.nan  # the burst's first event, nothing queued before it (median)
    gateway_cpu_s: float | None = None
    client_cpu_s: float = 0.0
    audit_rows: int = 0

    @property
    def throughput(self) -> float:
        return self.delivered / self.wall_s if self.wall_s else math.nan


def tally(level: Completeness, subs: Sequence[Subscriber],
          stamps: dict[int, float]) -> list[float]:
    """Completeness into `level`; each delivery's arrival time."""
    expected = set(stamps)
    arrivals: list[float] = []
    for sub in subs:
        got = [sub.received[e] for e in expected if e in sub.received]
        arrivals.extend(got)
        level.delivered += len(got)
        level.duplicates += sub.duplicates
        level.others += sum(1 for e in sub.received if e not in expected)
        level.gaps += len(sub.gaps)
        level.stale += sub.stale
    level.expected = len(expected) * len(subs)
    level.lost = level.expected - level.delivered
    return arrivals


async def run_level(run: Run, n: int, events: int) -> Level:
    level = Level(n, events)
    await wait_subscribed(run.gateways, 0)
    subs = await open_subscribers(n, run.gateways, run.params, run.community)
    try:
        await wait_subscribed(run.gateways, n)
        await warm_up(run, subs)
        audit0, cpu0, client0 = (await audit_rows(run.conn), gateways_cpu(run.gateways),
                                 time.process_time())
        start, commits = time.perf_counter(), len(run.writer.commit_ms)
        stamps = await run.writer.flip(events)
        level.write_s = time.perf_counter() - start
        level.commit_ms = run.writer.commit_ms[commits:]
        await wait_delivered(subs, set(stamps), run.idle_s)
        level.gateway_cpu_s = _delta(gateways_cpu(run.gateways), cpu0)
        level.client_cpu_s = time.process_time() - client0
        level.audit_rows = await audit_rows(run.conn) - audit0
        arrivals = tally(level, subs, stamps)
        level.wall_s = max(arrivals, default=start) - min(stamps.values())
        level.latencies_ms = [(s.received[e] - at) * 1000 for s in subs
                              for e, at in stamps.items() if e in s.received]
        level.floor_ms = [(run.floor.heard[e] - at) * 1000 for e, at in stamps.items()
                          if e in run.floor.heard]
        level.floor_heard = len(level.floor_ms)
        first = min(stamps, key=stamps.__getitem__)
        level.first_ms = percentile([(s.received[first] - stamps[first]) * 1000 for s in subs
                                     if first in s.received], 50)
        level.no_dispute = sum(s.no_dispute for s in subs)
        level.closed = sum(1 for s in subs if s.closed)
        level.errors = dict(sum((s.errors for s in subs), Counter[str]()))
    finally:
        await close_all(subs)
    _warn_loss(f"{n} subscribers", level.lost, level.expected, level.duplicates, level.gaps)
    return level


async def warm_up(run: Run, subs: Sequence[Subscriber]) -> None:
    """Two events every subscriber must get before the burst: all are subscribed, and the
    processes' adapters and pools are warm. Then the tallies start afresh."""
    stamps = await run.writer.flip(2)
    await wait_delivered(subs, set(stamps), run.idle_s)
    behind = sum(1 for s in subs if not s.received.keys() >= set(stamps))
    if behind:
        closed = Counter(s.closed for s in subs if s.closed)
        raise RuntimeError(f"{behind} of {len(subs)} subscribers did not get the warm-up "
                           f"events within {run.idle_s:.0f} s (sockets: {dict(closed)})")
    for sub in subs:
        sub.reset()


def _warn_loss(what: str, lost: int, expected: int, duplicates: int, gaps: int) -> None:
    if lost:
        console.print(f"[bold red]LOSS: {what}: {lost:,} of {expected:,} deliveries never "
                      "arrived[/bold red]")
    if duplicates or gaps:
        console.print(f"[bold red]{what}: {duplicates:,} events delivered twice, "
                      f"{gaps:,} EventGap(s)[/bold red]")


# --- replay after a lost listener, and a subscriber's resume ----------------------------------


@dataclass
class Replay(Completeness):
    """Every listener cut off while `events` were written, with `subscribers` connected."""

    subscribers: int
    events: int
    listeners_killed: int = 0
    cut_s: float = 0.0  # how long the store refused connections
    first_s: float = math.nan  # re-allowed → first replayed delivery
    last_s: float = math.nan  # re-allowed → last replayed delivery
    replayed: list[float] = field(default_factory=list)  # juheli_events_replayed_total, per process
    audit_rows: int = 0


async def run_replay(run: Run, n: int, events: int) -> Replay:
    out = Replay(n, events)
    await wait_subscribed(run.gateways, 0)
    subs = await open_subscribers(n, run.gateways, run.params, run.community)
    try:
        await wait_subscribed(run.gateways, n)
        await warm_up(run, subs)
        async with httpx.AsyncClient(timeout=5) as client:
            before = [await metric(client, gw, "juheli_events_replayed_total")
                      for gw in run.gateways]
            audit0 = await audit_rows(run.conn)
            start = time.perf_counter()
            async with store_cut_off(run.uri, run.conn) as killed:
                out.listeners_killed = killed
                stamps = await run.writer.flip(events)
            allowed = time.perf_counter()
            out.cut_s = allowed - start
            await wait_delivered(subs, set(stamps), run.idle_s)
            out.replayed = [await metric(client, gw, "juheli_events_replayed_total") - b
                            for gw, b in zip(run.gateways, before, strict=True)]
        out.audit_rows = await audit_rows(run.conn) - audit0
        arrivals = tally(out, subs, stamps)
        if arrivals:
            out.first_s, out.last_s = min(arrivals) - allowed, max(arrivals) - allowed
    finally:
        await close_all(subs)
    if out.listeners_killed != len(run.gateways):
        console.print(f"[bold red]replay: {out.listeners_killed} listener connections killed, "
                      f"expected {len(run.gateways)}[/bold red]")
    _warn_loss("replay", out.lost, out.expected, out.duplicates, out.gaps)
    return out


@dataclass
class Resume(Completeness):
    """One subscriber back `after` its last cursor, `events` written while it was away."""

    events: int
    first_s: float = math.nan  # reconnect began → first of the events received
    last_s: float = math.nan  # reconnect began → the last of them received


async def run_resume(run: Run, events: int) -> Resume:
    out = Resume(events)
    await wait_subscribed(run.gateways, 0)
    [first] = await open_subscribers(1, run.gateways, run.params, run.community)
    try:
        await wait_subscribed(run.gateways, 1)
        await warm_up(run, [first])  # it leaves after the warm-up's second event
    finally:
        await first.close()
    cursor = first.last_cursor
    assert cursor is not None  # warm_up checked it received both
    await wait_subscribed(run.gateways, 0)
    stamps = await run.writer.flip(events)
    again = Subscriber(run.gateways[-1].url.replace("http://", "ws://") + "/graphql")
    start = time.perf_counter()
    await again.open(run.params, run.community, after=cursor)
    try:
        await wait_delivered([again], set(stamps), run.idle_s)
        arrivals = tally(out, [again], stamps)
        if arrivals:
            out.first_s, out.last_s = min(arrivals) - start, max(arrivals) - start
    finally:
        await again.close()
    _warn_loss("resume", out.lost, out.expected, out.duplicates, out.gaps)
    return out


# --- report -------------------------------------------------------------------------------------


def _per(value: float | None, n: int, scale: float = 1.0, digits: int = 2) -> str:
    return fmt(value * scale / n, digits) if value is not None and n else "-"


def levels_text(levels: list[Level], processes: int, community: str, disputes: int) -> str:
    headers = ["subs", "events", "delivered/expected", "lost", "twice", "gaps", "errors",
               "stale", "first ms", "p50 ms", "p95 ms", "p99 ms", "max ms", "deliv/s",
               "gw cpu ms/deliv", "client cpu ms/deliv", "audit rows/deliv"]
    rows = []
    for lv in levels:
        lat = Latency.of(lv.latencies_ms)
        rows.append([str(lv.subscribers), str(lv.events), f"{lv.delivered:,}/{lv.expected:,}",
                     str(lv.lost), str(lv.duplicates), str(lv.gaps),
                     str(sum(lv.errors.values())), str(lv.stale), fmt(lv.first_ms),
                     fmt(lat.p50), fmt(lat.p95), fmt(lat.p99),
                     fmt(max(lv.latencies_ms, default=math.nan)), fmt(lv.throughput),
                     _per(lv.gateway_cpu_s, lv.delivered, 1000),
                     _per(lv.client_cpu_s, lv.delivered, 1000),
                     _per(lv.audit_rows, lv.delivered)])
    out = (f"disputeChanged over graphql-transport-ws ({processes} gateway processes, community "
           f"{community}, a burst of status changes over {disputes} disputes; latency = COMMIT "
           "sent → message received)\n" + table(headers, rows))
    codes = sum((Counter(lv.errors) for lv in levels), Counter[str]())
    if codes:
        out += "\n  error codes: " + ", ".join(f"{c} ×{n}" for c, n in codes.most_common())
    for lv in levels:
        notes = [f"{lv.no_dispute} with dispute null" if lv.no_dispute else "",
                 f"{lv.closed} sockets closed" if lv.closed else "",
                 f"{lv.others} other events" if lv.others else ""]
        if any(notes):
            out += f"\n  {lv.subscribers} subs: " + ", ".join(n for n in notes if n)
    return out


def floor_text(levels: list[Level]) -> str:
    headers = ["subs", "heard/written", "write ms/event", "commit p50 ms", "p50 ms", "p95 ms",
               "p99 ms", "max ms", "gateway p50 / floor p50"]
    rows = []
    for lv in levels:
        floor, gw = Latency.of(lv.floor_ms), percentile(lv.latencies_ms, 50)
        ratio = gw / floor.p50 if floor.p50 and not math.isnan(floor.p50) else math.nan
        rows.append([str(lv.subscribers), f"{lv.floor_heard}/{lv.events}",
                     _per(lv.write_s, lv.events, 1000),
                     fmt(percentile(lv.commit_ms, 50), 2), fmt(floor.p50, 2), fmt(floor.p95, 2),
                     fmt(floor.p99, 2), fmt(max(lv.floor_ms, default=math.nan), 2),
                     f"{fmt(ratio)}×"])
    return ("floor: a bare asyncpg LISTEN on the channel, the same NOTIFYs (COMMIT sent → "
            "notification; the commit lands within `commit p50`)\n" + table(headers, rows))


def replay_text(replay: Replay, processes: int) -> str:
    headers = ["subs", "events", "listeners killed", "cut s", "delivered/expected", "lost",
               "twice", "gaps", "stale", "first s", "last s", "replayed per process",
               "audit rows/deliv"]
    row = [str(replay.subscribers), str(replay.events), f"{replay.listeners_killed}/{processes}",
           fmt(replay.cut_s, 2), f"{replay.delivered:,}/{replay.expected:,}", str(replay.lost),
           str(replay.duplicates), str(replay.gaps), str(replay.stale),
           fmt(replay.first_s, 2), fmt(replay.last_s, 2),
           ", ".join(fmt(r, 0) for r in replay.replayed), _per(replay.audit_rows, replay.delivered)]
    return ("replay: every listener cut off, the events written while the store refused "
            "connections; first/last s = from allowing them again to the first/last replayed "
            "delivery\n" + table(headers, [row]))


def resume_text(resume: Resume) -> str:
    headers = ["events", "delivered/expected", "lost", "twice", "other", "gaps", "first s",
               "last s", "events/s"]
    rate = resume.delivered / resume.last_s if resume.last_s and not math.isnan(
        resume.last_s) else math.nan
    row = [str(resume.events), f"{resume.delivered}/{resume.expected}", str(resume.lost),
           str(resume.duplicates), str(resume.others), str(resume.gaps), fmt(resume.first_s, 2),
           fmt(resume.last_s, 2), fmt(rate)]
    return ("resume: one subscriber back `after` its last cursor, on the other process; first/"
            "last s = from opening the socket\n" + table(headers, [row]))


def figures_json(args: argparse.Namespace, setup: Setup, community: str, levels: list[Level],
                 replay: Replay | None, resume: Resume | None) -> dict[str, Any]:
    def level(lv: Level) -> dict[str, Any]:
        data = asdict(lv)
        data["commit_ms_p50"] = percentile(lv.commit_ms, 50)
        for bulky in ("latencies_ms", "floor_ms", "commit_ms"):
            data.pop(bulky)
        data["latency_ms"] = asdict(Latency.of(lv.latencies_ms))
        data["latency_ms"]["max"] = max(lv.latencies_ms, default=None)
        data["floor_latency_ms"] = asdict(Latency.of(lv.floor_ms))
        data["floor_latency_ms"]["max"] = max(lv.floor_ms, default=None)
        data["deliveries_per_s"] = lv.throughput
        return data

    return {"households": args.households, "seed": args.seed, "cpus": os.cpu_count(),
            "processes": args.processes, "community": community, "setup": asdict(setup),
            "levels": [level(lv) for lv in levels],
            "replay": asdict(replay) if replay else None,
            "resume": asdict(resume) if resume else None}


def report(args: argparse.Namespace, setup: Setup, run: Run, levels: list[Level],
           replay: Replay | None, resume: Resume | None) -> None:
    print(f"\nJuheli subscriptions benchmark — {args.households:,} households, seed {args.seed}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n")
    print(setup_text(setup, args.households), end="\n\n")
    if levels:
        print(levels_text(levels, args.processes, run.community, len(run.writer.disputes)),
              end="\n\n")
        print(floor_text(levels), end="\n\n")
    if replay is not None:
        print(replay_text(replay, args.processes), end="\n\n")
    if resume is not None:
        print(resume_text(resume))
    if args.json:
        args.json.write_text(json.dumps(figures_json(args, setup, run.community, levels, replay,
                                                     resume), indent=1, ensure_ascii=False,
                                        default=str), encoding="utf-8")
        print(f"\nfigures written to {args.json}")


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--data-dir", type=Path, help="default: bench/out/<households>")
    parser.add_argument("--subscribers", default="1,50,200", help="comma-separated levels")
    parser.add_argument("--events", type=int, default=200, help="status changes per level")
    parser.add_argument("--processes", type=int, default=2, help="gateway processes")
    parser.add_argument("--replay-subscribers", type=int, default=20,
                        help="subscribers connected while the listeners are cut off (0: skip)")
    parser.add_argument("--replay-events", type=int, default=500,
                        help="events written while the listeners are cut off (0: skip)")
    parser.add_argument("--resume-events", type=int, default=500,
                        help="events written while a subscriber is away (0: skip)")
    parser.add_argument("--idle-s", type=float, default=30.0,
                        help="give up waiting for deliveries after this long without one")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.processes < 1 or args.events < 1:
        parser.error("--processes and --events must be at least 1")
    return args


async def start_gateways(n: int, data_dir: Path, uri: str,
                         partners_file: Path) -> list[GatewayProcess]:
    for name, value in GATEWAY_ENV.items():
        os.environ.setdefault(name, value)
    started: list[GatewayProcess] = []
    try:
        for i in range(n):
            started.append(GatewayProcess(data_dir=data_dir, store_uri=uri,
                                          partners_file=partners_file,
                                          log=data_dir / f"gateway-subs-{i}.log"))
        await asyncio.gather(*(gw.wait_ready() for gw in started))
    except BaseException:
        await asyncio.gather(*(asyncio.to_thread(gw.stop) for gw in started))
        raise
    return started


async def bench(args: argparse.Namespace) -> None:
    data_dir = (args.data_dir or BENCH / "out" / str(args.households)).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir)
    cancel_on_sigterm()
    setup, levels = Setup(), []
    run: Run | None = None
    replay: Replay | None = None
    resume: Resume | None = None
    district = await start_partners(settings, args.households, args.seed, setup)
    gateways: list[GatewayProcess] = []
    conn: asyncpg.Connection | None = None
    writer: Writer | None = None
    floor = Floor()
    try:
        await reopen_store(await resolve_store_uri(settings))
        uri = await migrate_and_sync(settings, district, setup)
        params = await bench_headers(uri, slug=AGENCY)
        partners_file = data_dir / "partners.bench.toml"
        district.write_partners_toml(partners_file)
        gateways, setup.gateway_ready_s = await timed(
            start_gateways(args.processes, data_dir, uri, partners_file))
        conn = await asyncpg.connect(uri)
        community = await busiest_community(conn)
        writer = Writer(conn, await pick_disputes(conn, community, DISPUTES))
        await floor.start(uri)
        run = Run(gateways, params, community, uri, conn, writer, floor, args.idle_s)
        for n in (int(x) for x in args.subscribers.split(",") if x.strip()):
            console.print(f"load: {n} subscribers, {args.events} events …")
            levels.append(await run_level(run, n, args.events))
        if args.replay_subscribers and args.replay_events:
            console.print(f"replay: {args.replay_subscribers} subscribers, "
                          f"{args.replay_events} events while the listeners are cut off …")
            replay = await run_replay(run, args.replay_subscribers, args.replay_events)
        if args.resume_events:
            console.print(f"resume: {args.resume_events} events while a subscriber is away …")
            resume = await run_resume(run, args.resume_events)
    finally:
        await _tear_down(writer, conn, floor, gateways)
        await asyncio.to_thread(district.stop)
    report(args, setup, run, levels, replay, resume)  # run is set: it got this far


async def _tear_down(writer: Writer | None, conn: asyncpg.Connection | None, floor: Floor,
                     gateways: list[GatewayProcess]) -> None:
    """The disputes' statuses restored, the connections closed, the gateways stopped."""
    try:
        if writer is not None:
            restored = await writer.restore()
            if restored:
                console.print(f"restored the status of {restored} disputes")
    finally:
        await floor.stop()
        if conn is not None:
            await conn.close()
        await asyncio.gather(*(asyncio.to_thread(gw.stop) for gw in gateways))


def main() -> None:
    run_bench(bench(parse_args()))


if __name__ == "__main__":
    main()
