"""Resolvers of the coordination brief: who may see which community, for which purpose, and
the store queries of gateway/views/ that compute, list and freeze it."""

from __future__ import annotations

import strawberry

from gateway.adapters.resilience import Resilient
from gateway.auth.access import AGGREGATE_PURPOSES, mask_name
from gateway.context import Context
from gateway.db.store import reaching_store
from gateway.errors import (
    Forbidden,
    ForbiddenField,
    GatewayError,
    MalformedId,
    PurposeNotAllowed,
)
from gateway.schema.brief import (
    BriefItemConnection,
    CoordinationBrief,
    FrozenBrief,
    MemberVisits,
    PeriodInput,
)
from gateway.views import brief as B
from gateway.views import drill, frozen
from gateway.views.scope import Scope

Info = strawberry.Info[Context, None]


def _community(info: Info, community: str) -> str:
    code = community.removeprefix("Community:")
    if not info.context.access.sees(code):
        raise Forbidden(f"community {code} is outside this agency's grant", community=code)
    return code


def _aggregates_only(info: Info) -> bool:
    return info.context.access.principal.purpose in AGGREGATE_PURPOSES


def _scope(info: Info, code: str, period: PeriodInput) -> Scope:
    config = info.context.services.brief
    return B.scope_of(code, period.from_, period.to, today=config.today(), config=config)


async def coordination_brief(info: Info, community: str, period: PeriodInput) -> CoordinationBrief:
    code = _community(info, community)
    scope = _scope(info, code, period)
    services = info.context.services
    pool = services.store.pool
    configured = {slug: (a.info.name_zh, list(a.capabilities.entities))
                  for slug, a in services.adapters.items()}
    down = [slug for slug, a in services.adapters.items()
            if isinstance(a, Resilient) and a.breaker.state.name == "OPEN"]
    with reaching_store():
        name = await B.community_name(pool, code)
        brief = await B.compute(pool, scope, name=name, config=services.brief,
                                configured=configured, breakers_open=down,
                                aggregates_only=_aggregates_only(info),
                                cache=services.brief_cache)
    _grant_lists(info, brief, code)
    return brief


def _grant_lists(info: Info, brief: CoordinationBrief, code: str) -> None:
    """The households the brief names need the welfare grant (each is then audited); the
    members it names, the party grant. Without it the list is withheld, with the code why."""
    access = info.context.access
    for field, group, names in (("needs.households", "welfare", brief.needs.households),
                                ("visits.shortOfTarget", "party", brief.visits.short_of_target)):
        if not names:
            continue
        try:
            level = access.check(group, code)
            for item in names:
                if level != "full" and isinstance(item, MemberVisits):
                    item.name = mask_name(item.name)
                for helper in getattr(item, "helpers", ()):
                    helper.name = mask_name(helper.name)  # members: the party grant's rule

                if key := getattr(item, "household_id", None):
                    access.level(group, key.removeprefix("Household:"), code)
        except GatewayError as exc:
            brief.withheld.append(f"{field}: {exc.code}")
            names.clear()


async def brief_items(info: Info, community: str, period: PeriodInput, figure: str,
                      key: str | None, first: int, after: str | None) -> BriefItemConnection:
    """The list behind a figure, as far as the viewer's grants go: an item needs the group of
    its own kind of data, and the items the viewer may not read are left out and counted
    (`withheld`) — a mediation committee lists the disputes of its drill-down but not the
    women's federation's rights cases (welfare) in it. A list none of whose items may be read
    is refused with the code of their group."""
    info.context.access.households_allowed()  # the list behind a figure names households
    code = _community(info, community)
    scope = _scope(info, code, period)
    refused = _refused_kinds(info, code)
    with reaching_store():
        async with info.context.store.pool.acquire() as conn:
            page = await drill.items(conn, scope, figure, key, first=first, after=after,
                                     withheld=refused)
    if page.withheld and not page.total_count:
        raise refused[page.withheld_kinds[0]]
    access = info.context.access
    members = [item for item in page.items if item.kind == "member"]
    if members:  # Party members name no household: the party grant, names masked unless full
        if access.check("party", code) != "full":
            for item in members:
                item.label = mask_name(item.label)
    for item in page.items:  # each item is this group's data — of its household, if any
        if item.kind not in PLACES:
            key = item.household_id.removeprefix("Household:") if item.household_id else ""
            access.level(GROUP_OF.get(item.kind, "identity"), key, code)
    return page


def _refused_kinds(info: Info, code: str) -> dict[str, GatewayError]:
    """The kinds of record the viewer may not read in `code`, with the refusal of each."""
    refused: dict[str, GatewayError] = {}
    for kind, group in GROUP_OF.items():
        try:
            info.context.access.check(group, code)
        except GatewayError as exc:
            refused[kind] = exc
    return refused


# The grant a listed item needs, by the kind of fact it is; anything else needs identity.
GROUP_OF = {"dispute": "disputes", "appeal": "appeals", "service": "welfare",
            "care_card": "welfare", "visit": "party", "meeting": "identity",
            "household": "identity", "repair": "property", "occupancy": "property",
            "vote": "property", "owner": "property"}
# Items that are places or matters, not anyone's data (members are checked above).
PLACES = frozenset({"building", "compound", "branch", "matter", "member"})


async def freeze_brief(info: Info, community: str, period: PeriodInput) -> FrozenBrief:
    brief = await coordination_brief(info, community, period)
    principal = info.context.access.principal
    agency = principal.agency.slug if principal.agency else "anonymous"
    with reaching_store():
        async with info.context.store.pool.acquire() as conn:
            return await frozen.freeze(conn, brief, agency=agency, officer=principal.officer,
                                       purpose=principal.purpose)


async def frozen_brief(info: Info, id: str) -> FrozenBrief | None:
    kind, _, number = id.partition(":")
    if kind != "FrozenBrief" or not number.isdigit():
        raise MalformedId(f"malformed frozen brief id {id!r}: expected FrozenBrief:<n>", id=id)
    with reaching_store():
        async with info.context.store.pool.acquire() as conn:
            found = await frozen.load(conn, int(number))
    if found is None or not info.context.access.sees(found.brief.community):
        return None  # outside the grant, a frozen brief does not exist either
    if _aggregates_only(info) and found.brief.suppressed_below is None:
        raise PurposeNotAllowed("this brief was frozen with lists of households; the purpose "
                                f"{info.context.access.principal.purpose!r} gets aggregates only",
                                purpose=info.context.access.principal.purpose)
    _frozen_lists(info, found.brief)
    return found


def _frozen_lists(info: Info, brief: CoordinationBrief) -> None:
    """A frozen brief is served as frozen — its hash is of every byte — so the lists in it need
    this reader's grants as a live brief's do, each household audited, or it is refused: the
    households need the welfare grant, members named in full the party grant in full."""
    access, code = info.context.access, str(brief.community)
    if brief.needs.households:
        access.check("welfare", code)
        for item in brief.needs.households:
            access.level("welfare", str(item.household_id).removeprefix("Household:"), code)
    named = [m for m in brief.visits.short_of_target if m.name != mask_name(m.name)]
    if named and access.check("party", code) != "full":
        raise ForbiddenField("this brief was frozen with members named in full; the party "
                             "grant here shows them masked", group="party")
