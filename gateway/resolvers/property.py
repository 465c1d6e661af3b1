"""Resolvers of the property domain: a household's rooms, owners, tenants, repair orders, fees
and ballots, and a community's compounds with their committees, orders, arrears and tallies.

Records are chosen by entity (`occupancy`, `repair_order`, `owner`, `owner_vote`), never by
partner: any body whose definition provides these entities feeds these fields.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import strawberry

from gateway.adapters.base import Record
from gateway.context import Context
from gateway.db.places import compound_names, records_in_compounds
from gateway.db.store import HouseholdRow
from gateway.errors import Forbidden
from gateway.resolvers.fetch import body_of, group_of, record, records_for
from gateway.resolvers.record_scope import placement
from gateway.schema import enums as E
from gateway.schema import from_records as build
from gateway.schema import property as P
from gateway.schema.records import Appeal, Provenance

Info = strawberry.Info[Context, None]

ENTITIES = ("occupancy", "repair_order", "owner", "owner_vote")
OPEN = {P.RepairStatus.REPORTED, P.RepairStatus.DISPATCHED, P.RepairStatus.IN_REPAIR,
        P.RepairStatus.AWAITING_RATING}
# Matters that need 3/4 of the participants (民法典 第278条 as read) [assumption].
_SPECIAL = ("电梯", "改建", "重建", "维修资金", "共有部分", "停车")


def level(info: Info, group: str, row: HouseholdRow) -> str:
    """This request's level for `group` of this household (or the coded refusal)."""
    return info.context.access.level(group, row.key, row.community_code)


def _num(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else int(number)


# --- building from records ---------------------------------------------------------------------


def _party(ctx: Context, r: Record, *, name: str, phone: str | None,
           scope: tuple[str, str], masked: bool, role: str | None = None) -> P.PropertyParty:
    d = r.data
    return P.PropertyParty(name_raw=d.get(name), name_group=group_of(ctx, r, name, "identity"),
                           phone_raw=d.get(phone) if phone else None,
                           phone_group=group_of(ctx, r, phone, "contact") if phone else "contact",
                           masked=masked, scope=scope, room_code=d.get("roomCode"),
                           committee_role=role, source=Provenance.of(r, body_of(ctx, r.partner)))


def _occupancy(r: Record, body: str) -> P.Occupancy:
    d = r.data
    return P.Occupancy(room_code=d.get("roomCode"), compound=d.get("compound"),
                       occupancy=E.coerce(P.OccupancyType, d.get("occupancy")),
                       area=_num(d.get("area")), parking_space=d.get("parkingSpace"),
                       source=Provenance.of(r, body))


def _repair(ctx: Context, r: Record, masked: bool, scope: tuple[str, str]) -> P.RepairOrder:
    d = r.data
    return P.RepairOrder(
        number=d.get("number"), reported_at=d.get("reportedAt"), room_code=d.get("roomCode"),
        category=E.coerce(P.RepairCategory, d.get("category")), content=d.get("content"),
        reporter_raw=d.get("reporter"), reporter_group=group_of(ctx, r, "reporter", "identity"),
        masked=masked, scope=scope, worker=d.get("worker"),
        status=E.coerce(P.RepairStatus, d.get("status")), finished_at=d.get("finishedAt"),
        rating=_int(d.get("rating")), hotline_ref=d.get("hotlineRef") or None,
        source=Provenance.of(r, body_of(ctx, r.partner)))


def _vote(ctx: Context, r: Record, masked: bool, scope: tuple[str, str]) -> P.OwnerVote:
    d = r.data
    return P.OwnerVote(matter=d.get("matter"), room_code=d.get("roomCode"),
                       owner_name_raw=d.get("ownerName"),
                       owner_name_group=group_of(ctx, r, "ownerName", "identity"),
                       masked=masked, scope=scope, area=_num(d.get("area")),
                       choice=E.coerce(P.VoteChoice, d.get("choice")), method=d.get("method"),
                       voted_on=d.get("votedOn"), source=Provenance.of(r, body_of(ctx, r.partner)))


# --- a household -------------------------------------------------------------------------------


async def household_property(info: Info, row: HouseholdRow) -> P.HouseholdProperty:
    masked = level(info, "property", row) == "masked"
    ctx, scope = info.context, (row.key, row.community_code)
    links = await ctx.loaders.links.load(row.id)
    records = await records_for(info, links, ENTITIES)
    by = {e: [r for r in records if r.entity == e] for e in ENTITIES}
    rooms = by["occupancy"]
    owners = [_party(ctx, r, name="ownerName", phone="ownerPhone", scope=scope, masked=masked)
              for r in rooms]
    owners += [_party(ctx, r, name="ownerName", phone=None, scope=scope, masked=masked,
                      role=r.data.get("committeeRole") or None)
               for r in by["owner"]]
    tenants = [_party(ctx, r, name="tenantName", phone="tenantPhone", scope=scope, masked=masked)
               for r in rooms if r.data.get("tenantName")]
    orders = [_repair(ctx, r, masked, scope) for r in by["repair_order"]]
    return P.HouseholdProperty(
        occupancy=[_occupancy(r, body_of(ctx, r.partner)) for r in rooms],
        owners=owners, tenants=tenants,
        repair_orders=sorted(orders, key=lambda o: o.reported_at or "", reverse=True),
        fees=_fees(rooms),
        votes=sorted((_vote(ctx, r, masked, scope) for r in by["owner_vote"]),
                     key=lambda v: (v.voted_on or "", v.matter or "")))


def _fees(rooms: Sequence[Record]) -> P.PropertyFees | None:
    if not rooms:
        return None
    # The room with the most arrears is the one a caseworker needs to see.
    d = max(rooms, key=lambda r: _int(r.data.get("arrearsMonths")) or 0).data
    return P.PropertyFees(fee_rate=_num(d.get("feeRate")),
                          arrears_months=_int(d.get("arrearsMonths")), area=_num(d.get("area")))


async def hotline_ticket(info: Info, ref: str | None, scope: tuple[str, str]) -> Appeal | None:
    """The 12345 work order `ref` names, from any body that provides `ticket` records, read
    where it lives: linked to a household, that household must be one the agency sees (else
    null, as for an id of another community), and the appeals grant is checked and the read
    audited there; linked to none, on the repair order's household (`scope`). A role without
    the appeals grant is refused before the order is looked up."""
    if not ref:
        return None
    ctx = info.context
    ctx.access.check("appeals", scope[1])
    providers = [slug for slug, a in ctx.services.adapters.items()
                 if "ticket" in a.capabilities.entities]
    placed = await asyncio.gather(*(_ticket_scope(info, slug, ref, scope) for slug in providers))
    readable = [(slug, where) for slug, where in zip(providers, placed, strict=True) if where]
    found = await asyncio.gather(*(record(info, slug, "ticket", ref) for slug, _ in readable))
    hit = next(((r, where) for r, (_, where) in zip(found, readable, strict=True) if r), None)
    if hit is None:
        return None
    ticket, where = hit
    ctx.access.level("appeals", *where)
    return build.appeal(ticket, body_of(ctx, ticket.partner))


async def _ticket_scope(info: Info, partner: str, ref: str,
                        order: tuple[str, str]) -> tuple[str, str] | None:
    """(household, community) the work order is read in: a visible household it is linked to,
    or the repair order's (`order`) for one linked to none; None: outside the agency's grant."""
    placed = await placement(info, partner, "ticket", ref)
    return placed.visible(info) if placed.linked else order


# --- a community -------------------------------------------------------------------------------


async def community_property(info: Info, code: str) -> P.CommunityProperty:
    ctx = info.context
    if not ctx.access.sees(code):
        raise Forbidden(f"community {code} is outside this agency's grant", community=code)
    masked = ctx.access.level("property", "", code) == "masked"
    names, placed = await asyncio.gather(
        compound_names(ctx.store, code), records_in_compounds(ctx.store, ENTITIES, community=code))
    links = [p.link for p in placed]
    records = await records_for(info, links, ENTITIES)
    homes = {(link.partner, link.local_id): link.household_id for link in links}
    # In the compound the attribution rule chose (the one the brief counts in), not the name the
    # live record now writes.
    where = {(p.link.partner, p.link.entity, p.link.local_id): p.compound for p in placed}
    groups: dict[str, list[Record]] = {n: [] for n in names}
    for r in records:
        name = where.get((r.partner, r.entity, r.local_id))
        if name is not None:
            groups[name].append(r)
    await _audit_members(info, [r for rs in groups.values() for r in rs], homes)
    compounds = [_compound(info, name, rs, homes, masked, code) for name, rs in groups.items()]
    arrears = {homes.get((r.partner, r.local_id)) for r in records if _in_arrears(r)} - {None}
    return P.CommunityProperty(compounds=[c for c in compounds if c is not None],
                               households_in_arrears=len(arrears))


async def _audit_members(info: Info, records: Sequence[Record],
                         homes: dict[tuple[str, str], int | None]) -> None:
    """The committees name their members: each member's household (where linked, whichever
    community it is in) goes into the request's audit entry with the property group."""
    ids = sorted({home for r in records if r.entity == "owner" and r.data.get("committeeRole")
                  and (home := homes.get((r.partner, r.local_id))) is not None})
    for row in await info.context.loaders.household_by_id.load_many(ids):
        if row is not None:
            info.context.access.read("property", row.key)


def _in_arrears(r: Record) -> bool:
    return r.entity == "occupancy" and (_int(r.data.get("arrearsMonths")) or 0) > 0


def _compound(info: Info, name: str, records: list[Record],
              homes: dict[tuple[str, str], int | None], masked: bool,
              code: str) -> P.CompoundProperty | None:
    if not records:
        return None
    ctx = info.context
    by = {e: [r for r in records if r.entity == e] for e in ENTITIES}
    members = [_party(ctx, r, name="ownerName", phone=None, scope=("", code),
                      masked=masked, role=r.data.get("committeeRole"))
               for r in by["owner"] if r.data.get("committeeRole")]
    statuses = Counter(E.coerce(P.RepairStatus, r.data.get("status"))
                       for r in by["repair_order"])
    arrears = {homes.get((r.partner, r.local_id)) for r in records if _in_arrears(r)} - {None}
    return P.CompoundProperty(
        compound=name, committee_members=members,
        repair_orders=[P.RepairStatusCount(status=s, count=statuses[s]) for s in P.RepairStatus
                       if statuses[s]],
        open_repair_orders=sum(n for s, n in statuses.items() if s in OPEN),
        households_in_arrears=len(arrears), votes=_tallies(name, by["owner"], by["owner_vote"]))


def _tallies(compound: str, roster: list[Record], ballots: list[Record]) -> list[P.VoteTally]:
    owners_total = len(roster)
    area_total = round(sum(_num(r.data.get("area")) or 0.0 for r in roster), 2)
    matters: dict[str, list[Record]] = {}
    for b in ballots:
        matters.setdefault(str(b.data.get("matter") or ""), []).append(b)
    return [_tally(compound, m, bs, owners_total, area_total) for m, bs in sorted(matters.items())]


def _tally(compound: str, matter: str, ballots: list[Record], owners_total: int,
           area_total: float) -> P.VoteTally:
    count: Counter[P.VoteChoice | None] = Counter()
    area: dict[P.VoteChoice | None, float] = defaultdict(float)
    for b in ballots:
        choice = E.coerce(P.VoteChoice, b.data.get("choice"))
        count[choice] += 1
        area[choice] += _num(b.data.get("area")) or 0.0
    people, space = len(ballots), sum(area.values())
    special = any(word in matter for word in _SPECIAL)
    took_part = (owners_total > 0 and people * 3 >= owners_total * 2
                 and space * 3 >= area_total * 2)
    yes_n, yes_a = count[P.VoteChoice.FOR], area[P.VoteChoice.FOR]
    majority = (yes_n * 4 >= people * 3 and yes_a * 4 >= space * 3) if special else (
        yes_n * 2 > people and yes_a * 2 > space)
    return P.VoteTally(
        compound=compound, matter=matter, owners_total=owners_total, area_total=area_total,
        participants=people, participating_area=round(space, 2),
        for_count=yes_n, for_area=round(yes_a, 2),
        against_count=count[P.VoteChoice.AGAINST], against_area=round(area[P.VoteChoice.AGAINST], 2),
        abstain_count=count[P.VoteChoice.ABSTAIN], abstain_area=round(area[P.VoteChoice.ABSTAIN], 2),
        special_majority=special, participation_met=took_part, passed=took_part and majority)


__all__ = ["ENTITIES", "community_property", "household_property"]
