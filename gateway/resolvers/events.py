"""Subscription resolvers: a community's store events, read again as a query would read them.

Each event is delivered under a context of its own — the principal authenticated again (a key
revoked since the connection opened ends the subscription), the grants as they are now, fresh
loaders over the process's adapters as they are now (a definition swapped since the connection
opened has its old adapter closed after the grace period) — so the Dispute or Appeal it carries is read live (or from the snapshot, as a query
falls back), masked, and audited exactly as `household { disputes }` would be.

What counts as a referral (转办), over the unified record data (docs/subscriptions.md):
- a dispute placed on a household whose 案件来源 (`source`) says another body handed it over:
  公安移送, 法院委托, 政府交办, 网格上报, 12345转办;
- a 12345 work order placed on a household whose 诉求渠道 is 转办 (it came from another body);
- a 12345 work order whose status becomes 已派遣 (dispatched to its 承办单位), a petition whose
  status becomes 已转送, a committee reception whose status becomes 已转办 — or that is in that
  status when linkage first places it on a household.
Only what is delivered is audited: a record read and found not to be a referral is not.

A subscriber that passes `after` — the `cursor` of the last event it received — first gets the
community's events committed since (read from the store, migration 0014), then the live ones,
none twice; more than `MAX_RESUMED` since, or a cursor older than the store keeps, and it gets an
`EventGap` instead, then the live events.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import orjson
import strawberry
from graphql import print_ast

from gateway.audit import AuditEntry, append
from gateway.auth.access import Access
from gateway.context import Context, Services, make_context
from gateway.db.store import HouseholdRow, reaching_store
from gateway.errors import BadRequest, EventsUnavailable, Forbidden, GatewayError
from gateway.resolvers import household as H
from gateway.resolvers.fetch import body_of
from gateway.schema.pagination import keyset_cursor, keyset_key
from gateway.schema.records import Appeal, Dispute
from gateway.subscriptions import (
    CREDENTIALS,
    CURRENT_SERVICES,
    Event,
    Gap,
    Item,
    Listener,
    events_after,
)

Info = strawberry.Info[Context, None]

REFERRED_INTAKE = frozenset({"POLICE_TRANSFER", "COURT_ENTRUSTED", "GOV_ASSIGNED", "GRID_REPORT",
                             "HOTLINE"})
HANDED_ON = {"ticket": "DISPATCHED", "petition": "TRANSFERRED", "reception": "TRANSFERRED"}
REFERRAL_ENTITIES = frozenset({"dispute", *HANDED_ON})
EVENT_CURSOR = "event"
MAX_RESUMED = 1000  # events replayed to a subscriber resuming `after` a cursor


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event as this subscriber may see it."""

    event: Event
    household_key: str
    body: str
    dispute: Dispute | None = None
    appeal: Appeal | None = None


async def dispute_changes(info: Info, community: str,
                          after: str | None = None) -> AsyncIterator[Delivery | Gap]:
    listener = _admit(info, community)
    info.context.access.check("disputes", community)
    async for item in _items(info, listener, community, after):
        if isinstance(item, Gap):
            yield item
        elif item.entity == "dispute":
            delivery = await _deliver(info, item, community, lambda d: True)
            if delivery is not None:
                yield delivery


async def referrals(info: Info, community: str,
                    after: str | None = None) -> AsyncIterator[Delivery | Gap]:
    listener = _admit(info, community)
    groups = _granted(info, community, ("disputes", "appeals"))
    async for item in _items(info, listener, community, after):
        if isinstance(item, Gap):
            yield item
        elif item.entity in REFERRAL_ENTITIES and _group(item.entity) in groups:
            delivery = await _deliver(info, item, community, lambda d: route(d) is not None)
            if delivery is not None:
                yield delivery


def event_cursor(event: Event) -> str:
    """Where a subscriber that received `event` resumes (`after`)."""
    return keyset_cursor(EVENT_CURSOR, (str(event.id), event.community))


def _resume_point(cursor: str | None, community: str) -> int | None:
    if cursor is None:
        return None
    event_id, of = keyset_key(EVENT_CURSOR, cursor, 2)
    if of != community or not event_id.isdigit():
        raise BadRequest("this cursor is not of an event of this community", argument="after",
                         cursor=cursor)
    return int(event_id)


async def _items(info: Info, listener: Listener, community: str,
                 after: str | None) -> AsyncIterator[Item]:
    """`community`'s events: those since `after` from the store, then the live ones. The feed
    opens first, so an event committed while the store is read is queued, and comes once."""
    resume = _resume_point(after, community)
    async with listener.feed(community) as feed:
        replayed: set[int] = set()
        if resume is not None:
            with reaching_store():
                missed = await events_after(info.context.store.pool, resume, community,
                                            MAX_RESUMED + 1)
            now = datetime.now(UTC)
            if missed is None:
                yield Gap(now, now, "the events after this cursor are no longer kept")
            elif len(missed) > MAX_RESUMED:
                yield Gap(missed[0].at, now, f"more than {MAX_RESUMED} events since this cursor")
            else:
                for event in missed:
                    replayed.add(event.id)
                    yield event
        async for item in feed:
            if not (isinstance(item, Event) and item.id in replayed):
                yield item


def route(delivery: Delivery) -> str | None:
    """How the delivered record was handed between bodies; None: it was not."""
    event = delivery.event
    if delivery.dispute is not None:
        intake = delivery.dispute.intake
        if event.kind == "linked" and intake is not None and intake.value in REFERRED_INTAKE:
            return "DISPUTE_INTAKE"
        return None
    appeal = delivery.appeal
    if appeal is None:
        return None
    channel = appeal.channel.value if appeal.channel else None
    if event.entity == "ticket" and event.kind == "linked" and channel == "TRANSFER":
        return "TICKET_TRANSFERRED_IN"
    if event.new == HANDED_ON.get(event.entity):
        return {"ticket": "TICKET_DISPATCHED", "petition": "PETITION_TRANSFERRED",
                "reception": "RECEPTION_TRANSFERRED"}[event.entity]
    return None


def _group(entity: str) -> str:
    return "disputes" if entity == "dispute" else "appeals"


def _granted(info: Info, community: str, groups: Sequence[str]) -> tuple[str, ...]:
    """The groups granted in `community`; the first refusal when none is."""
    granted, refusal = [], None
    for group in groups:
        try:
            info.context.access.check(group, community)
            granted.append(group)
        except GatewayError as exc:
            refusal = refusal or exc
    if not granted and refusal is not None:
        raise refusal
    return tuple(granted)


def _admit(info: Info, community: str) -> Listener:
    """The process's listener, once the subscriber may follow `community`: otherwise the
    coded refusal, before anything is subscribed."""
    access = info.context.access
    if not access.sees(community):
        raise Forbidden(f"the community {community!r} is outside this agency's grant",
                        community=community)
    access.households_allowed()
    listener = info.context.services.events
    if listener is None:
        raise EventsUnavailable("this gateway process serves no subscriptions")
    return listener


class SharedReads:
    """The loaders of one event, shared by every subscriber of this process that delivers it
    soon after the first: the partner is read once for all of them instead of once each.

    Loaders hold what was read, never what a subscriber may see — grants, masking and the
    audit are each subscriber's own (its `Access`). An event's loaders serve for half the
    request deadline (their own deadline runs from the first read), and only with the Services
    they were made over: a definition swapped meanwhile gets loaders of its own."""

    def __init__(self, keep: int = 256) -> None:
        self.keep = keep
        self._by_event: OrderedDict[int, tuple[float, Services, Context]] = OrderedDict()

    def context(self, services: Services, event: Event, base: Context,
                access: Access) -> Context:
        now = time.monotonic()
        found = self._by_event.get(event.id)
        if found is not None:
            made, over, first = found
            if over is services and now - made < services.request_deadline_ms / 2000:
                return replace(first, request=base.request, access=access, extra={})
        ctx = make_context(services, base.request, None, access)
        self._by_event[event.id] = (now, services, ctx)
        self._by_event.move_to_end(event.id)
        while len(self._by_event) > self.keep:
            self._by_event.popitem(last=False)
        return ctx


SHARED = SharedReads()


async def event_context(base: Context, event: Event | None = None) -> Context:
    """A context of the event's own, from the connection's: authenticated again, today's
    grants, loaders over the Services in force now (those of `event`, shared: `SharedReads`)."""
    current = base.extra.get(CURRENT_SERVICES)
    services = current() if current is not None else base.services
    access = base.access
    principal, policy = access.principal, access.policy
    credentials = base.extra.get(CREDENTIALS)
    if services.auth is not None:
        if credentials is not None:
            principal = await services.auth.principal(credentials)
        policy = await services.auth.policy()
    if event is None:
        return make_context(services, base.request, None, Access(principal, policy))
    return SHARED.context(services, event, base, Access(principal, policy))


async def _deliver(info: Info, event: Event, community: str,
                   wanted: Callable[[Delivery], bool]) -> Delivery | None:
    """The event as this subscriber may see it, audited; None when it is not to be delivered."""
    ctx = await event_context(info.context, event)
    own = strawberry.Info(_raw_info=info._raw_info._replace(context=ctx), _field=info._field)
    row = await ctx.loaders.household_by_id.load(event.household)
    # Moved on, or outside the grant now: as a query would, say nothing of it.
    if row is None or row.community_code != community or not ctx.access.sees(community):
        return None
    delivery = await _read(own, event, row)
    if not wanted(delivery):
        return None
    await _audit(info, ctx)
    return delivery


async def _read(info: Info, event: Event, row: HouseholdRow) -> Delivery:
    body = body_of(info.context, event.partner)
    same = (event.partner, event.local_id)
    if event.entity == "dispute":
        disputes = await H.disputes(info, row, None)
        found = next((d for d in disputes if (d.source.partner, d.source.local_id) == same), None)
        return Delivery(event, row.key, body, dispute=found)
    appeals = await H.appeals(info, row)
    match = next((a for a in appeals if (a.source.partner, a.source.local_id) == same), None)
    return Delivery(event, row.key, body, appeal=match)


async def _audit(info: Info, ctx: Context) -> None:
    """The delivery's audit entry; AUDIT_UNAVAILABLE (ending the subscription) when it cannot
    be written, so nothing personal is delivered unaudited."""
    households = tuple(sorted(k for k in ctx.access.touched if k))
    if not households:
        return
    principal = ctx.access.principal
    request = ctx.request
    client = request.client.host if request is not None and request.client else None
    operation = print_ast(info._raw_info.operation).encode()
    variables = orjson.dumps(info._raw_info.variable_values or {}, option=orjson.OPT_SORT_KEYS)
    await append(ctx.store.pool, AuditEntry(
        agency=principal.name, officer=principal.officer, purpose=principal.purpose,
        operation_hash=hashlib.sha256(operation).hexdigest(),
        variables_hash=hashlib.sha256(variables).hexdigest(),
        households=households, field_groups=tuple(sorted(ctx.access.groups)), client=client))
