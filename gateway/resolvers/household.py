"""Resolvers for a household's cross-body facts: links from the store, records from loaders.

Which entity feeds which field is declared here once (by entity, never by partner), so a new
body that provides, say, `service_case` records appears in `services` with no code change.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import strawberry

from gateway.adapters.base import Record
from gateway.auth.access import mask_date, mask_name
from gateway.context import Context
from gateway.db.store import HouseholdRow
from gateway.linkage.orgs import branch_ordinal
from gateway.resolvers.fetch import body_of, records_for
from gateway.resolvers.party import member_by_local_id
from gateway.schema import enums as E
from gateway.schema import from_records as build
from gateway.schema.party import PartyMember, Responsibility
from gateway.schema.records import (
    Appeal,
    CareCard,
    ContactVisit,
    Dispute,
    Provenance,
    Resident,
    ServiceRecord,
    SourceRecord,
    link_evidence,
)

Info = strawberry.Info[Context, None]

SERVICE_ENTITIES = ("service_case", "errand", "hardship_file", "pairing", "rights_case")


def level(info: Info, group: str, row: HouseholdRow) -> str:
    """This request's level for `group` of this household (or the coded refusal)."""
    return info.context.access.level(group, row.key, row.community_code)
APPEAL_ENTITIES = ("ticket", "petition", "reception")


async def residents(info: Info, row: HouseholdRow) -> list[Resident]:
    shown = level(info, "identity", row)
    links = await info.context.loaders.links.load(row.id)
    records = await records_for(info, links, ("resident",))
    out = [replace(build.resident(r, body_of(info.context, r.partner)),
                   scope=(row.key, row.community_code), identity_level=shown)
           for r in records]
    if shown == "masked":
        out = [replace(r, name=mask_name(r.name), birth_date=mask_date(r.birth_date))
               for r in out]
    # Head first, then by birth date: how a household register is read.
    order = {E.RelationToHead.HEAD: 0, E.RelationToHead.SPOUSE: 1}
    return sorted(out, key=lambda r: (order.get(r.relation_to_head, 2), r.birth_date or ""))  # type: ignore[arg-type]


async def services(info: Info, row: HouseholdRow, kinds: list[E.ServiceKind] | None) -> list[ServiceRecord]:
    level(info, "welfare", row)
    links = await info.context.loaders.links.load(row.id)
    entities = [k.value for k in kinds] if kinds else SERVICE_ENTITIES
    records = await records_for(info, links, entities)
    out = [build.service(r, body_of(info.context, r.partner)) for r in records]
    return sorted(out, key=lambda s: s.opened_at or "", reverse=True)


async def disputes(info: Info, row: HouseholdRow, status: list[E.DisputeStatus] | None) -> list[Dispute]:
    shown = level(info, "disputes", row)
    ctx = info.context
    links = await ctx.loaders.links.load(row.id)
    records = await records_for(info, links, ("dispute",))
    # The same dispute reported to 12345 appears once, with the work order as a second source.
    tickets = {
        link.local_id: link for link in links if link.entity == "ticket"
    }
    out = []
    for r in records:
        also = []
        related = r.data.get("relatedTicketNumber")
        if related and related in tickets:
            t = tickets[related]
            also.append(Provenance(partner=t.partner, body=body_of(ctx, t.partner), entity=t.entity,
                                   local_id=t.local_id, read_at=t.read_at, live=False, stale=False))
        item = build.dispute(r, body_of(ctx, r.partner), also)
        if shown == "masked":
            item = replace(item, parties=[replace(p, name=mask_name(p.name)) for p in item.parties])
        if not status or item.status in status:
            out.append(item)
    return sorted(out, key=lambda d: d.occurred_on or "", reverse=True)


async def appeals(info: Info, row: HouseholdRow) -> list[Appeal]:
    level(info, "appeals", row)
    links = await info.context.loaders.links.load(row.id)
    records = await records_for(info, links, APPEAL_ENTITIES)
    out = [build.appeal(r, body_of(info.context, r.partner)) for r in records]
    return sorted(out, key=lambda a: a.received_at or "", reverse=True)


async def care_cards(info: Info, row: HouseholdRow) -> list[CareCard]:
    shown = level(info, "welfare", row)
    links = await info.context.loaders.links.load(row.id)
    records = await records_for(info, links, ("care_card",))
    cards = [build.care_card(r, body_of(info.context, r.partner)) for r in records]
    return [replace(c, holder=mask_name(c.holder)) for c in cards] if shown == "masked" else cards


async def contact_visits(info: Info, row: HouseholdRow) -> list[ContactVisit]:
    shown = level(info, "party", row)
    links = await info.context.loaders.links.load(row.id)
    records = await records_for(info, links, ("contact_visit",))
    out = [replace(build.contact_visit(r, body_of(info.context, r.partner)), party_level=shown)
           for r in records]
    return sorted(out, key=lambda v: v.visited_on or "", reverse=True)


async def source_records(info: Info, row: HouseholdRow) -> list[SourceRecord]:
    level(info, "identity", row)
    ctx = info.context
    links = await ctx.loaders.links.load(row.id)
    return [
        SourceRecord(partner=link.partner, body=body_of(ctx, link.partner), entity=link.entity,
                     local_id=link.local_id, subject=link.subject, read_at=link.read_at,
                     link_method=link.method, confidence=link.confidence,
                     status=E.LinkStatus(link.status), evidence=link_evidence(link.evidence),
                     score=(link.evidence or {}).get("score"), decided_by=link.decided_by,
                     decided_at=link.decided_at)
        for link in links
    ]


async def _responsibility(info: Info, records: list[Record]) -> list[Responsibility]:
    ctx = info.context
    owners = await asyncio.gather(
        *(member_by_local_id(info, r.partner, r.data.get("memberLocalId")) for r in records)
    )
    return [
        Responsibility(level=E.coerce(E.ResponsibilityLevel, r.data.get("level")), owner=owner,
                       duty=r.data.get("duty"), target=r.data.get("target"),
                       source=Provenance.of(r, body_of(ctx, r.partner)))
        for r, owner in zip(records, owners, strict=True)
    ]


_RANK = {"MEMBER_HOUSEHOLD": 0, "COMMITTEE_MEMBER_BUILDING": 1, "SECRETARY_COMPOUND": 2,
         "COMMITTEE_BRANCH": 3}


async def _chain(info: Info, row: HouseholdRow) -> list[Responsibility]:
    loaders = info.context.loaders
    own, places, branches = await asyncio.gather(
        loaders.links.load(row.id),
        loaders.places.load((row.building_id, row.compound_id)),
        loaders.branch_records.load(row.community_code),
    )
    # One fetch for every level's ledger rows, then one for all their owners.
    records = await records_for(info, [*own, *places, *branches], ("responsibility",))
    mine = [r for r in records if r.data.get("level") == "MEMBER_HOUSEHOLD"
            and any(link.local_id == r.local_id for link in own)]
    upper = [r for r in records if r.data.get("level") in {"COMMITTEE_MEMBER_BUILDING",
                                                            "SECRETARY_COMPOUND"}]
    top = [r for r in records if r.data.get("level") == "COMMITTEE_BRANCH"]
    chain = await _responsibility(info, sorted(mine + upper + top,
                                               key=lambda r: _RANK[r.data["level"]]))
    branches_here = {branch_ordinal(c.owner.branch) for c in chain
                     if c.level is E.ResponsibilityLevel.MEMBER_HOUSEHOLD and c.owner}
    return [c for c in chain if c.level is not E.ResponsibilityLevel.COMMITTEE_BRANCH
            or branch_ordinal(c.target) in branches_here - {None}]


async def responsibility_chain(info: Info, row: HouseholdRow) -> list[Responsibility]:
    """党员包户 → 支委包楼 → 书记包院 → 党委包支部, as far as the ledger covers it (computed
    once per household and request: `responsibleMember` reads the same chain)."""
    shown = level(info, "party", row)
    chain = await _memo_chain(info, row)
    if shown == "masked":
        return [replace(c, owner=_masked_member(c.owner)) for c in chain]
    return chain


def _masked_member(member: PartyMember | None) -> PartyMember | None:
    return replace(member, name=mask_name(member.name)) if member else None


async def _memo_chain(info: Info, row: HouseholdRow) -> list[Responsibility]:
    memo: dict[int, asyncio.Future[list[Responsibility]]] = info.context.extra.setdefault(
        "chains", {})
    if row.id not in memo:
        memo[row.id] = asyncio.ensure_future(_chain(info, row))
    return await memo[row.id]


async def responsible_member(info: Info, row: HouseholdRow) -> PartyMember | None:
    chain = await responsibility_chain(info, row)  # checks the party grant, masks when asked
    return next((r.owner for r in chain if r.level is E.ResponsibilityLevel.MEMBER_HOUSEHOLD
                 and r.owner is not None), None)
