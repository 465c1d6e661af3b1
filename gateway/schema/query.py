"""The root Query (DESIGN.md §3)."""

from __future__ import annotations

import strawberry

from gateway.context import Context
from gateway.errors import MalformedId
from gateway.resolvers import brief as BR
from gateway.resolvers.node import resolve_node
from gateway.resolvers.search import find_households
from gateway.schema import partner as P
from gateway.schema.brief import BriefItemConnection, CoordinationBrief, FrozenBrief, PeriodInput
from gateway.schema.community import (
    Community,
    HouseholdConnection,
    communities,
    community_by_code,
    household_page,
)
from gateway.schema.household import Household, HouseholdMatch
from gateway.schema.node import Node
from gateway.schema.review import LinkReviewConnection, review_queue

Info = strawberry.Info[Context, None]


def _household_key(value: str) -> str:
    kind, _, key = value.partition(":")
    if kind != "Household" or not key or ":" in key:
        raise MalformedId(f"malformed household id {value!r}: expected Household:<户编号>", id=value)
    return key


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, str(id))

    @strawberry.field(description="户 — one household across every body; null when unknown")
    async def household(self, info: Info, id: strawberry.ID) -> Household | None:
        info.context.access.households_allowed()
        row = await info.context.loaders.household_by_key.load(_household_key(str(id)))
        # Outside the agency's communities a household does not exist, as far as it can tell.
        return Household.of(row) if row and info.context.access.sees(row.community_code) else None

    @strawberry.field(description="Households, optionally of one community (Relay connection)")
    async def households(
        self, info: Info, community: strawberry.ID | None = None, first: int | None = 20,
        after: str | None = None,
    ) -> HouseholdConnection:
        code = str(community).removeprefix("Community:") if community else None
        return await household_page(info, community=code, first=first, after=after)

    @strawberry.field(description="Find households by address, name, ID number or phone")
    async def find_households(
        self, info: Info, address: str | None = None, name: str | None = None,
        id_number: str | None = None, phone: str | None = None,
    ) -> list[HouseholdMatch]:
        info.context.access.households_allowed()
        hits = await find_households(info, address=address, name=name, id_number=id_number,
                                     phone=phone)
        rows = await info.context.loaders.household_by_key.load_many([k for k, _, _ in hits])
        return [HouseholdMatch(household=Household.of(row), score=score, matched=matched)
                for (_, score, matched), row in zip(hits, rows, strict=True) if row]

    @strawberry.field(description="社区 — one community")
    async def community(self, info: Info, id: strawberry.ID) -> Community | None:
        return await community_by_code(info, str(id).removeprefix("Community:"))

    @strawberry.field(description="All communities of the district")
    async def communities(self, info: Info) -> list[Community]:
        return await communities(info)

    @strawberry.field(description="连接复核队列 — links proposed for review, highest impact first")
    async def link_review_queue(
        self, info: Info, community: strawberry.ID | None = None, first: int | None = 20,
        after: str | None = None,
    ) -> LinkReviewConnection:
        code = str(community).removeprefix("Community:") if community else None
        return await review_queue(info, code, first, after)

    @strawberry.field(description="Each body's systems, their health now and their last sync")
    async def partners(self, info: Info) -> list[P.Partner]:
        return await P.partners(info)

    @strawberry.field(description="协调会简报 — one community over one period for a joint "
                      "coordination meeting, computed over the synced snapshots (docs/views.md)")
    async def coordination_brief(self, info: Info, community: strawberry.ID,
                                 period: PeriodInput) -> CoordinationBrief:
        return await BR.coordination_brief(info, str(community), period)

    @strawberry.field(description="The items behind one figure of the brief (drill-down): "
                      "`figure` as `section.field`, `key` the breakdown's group")
    async def brief_items(
        self, info: Info, community: strawberry.ID, period: PeriodInput, figure: str,
        key: str | None = None, first: int = 50, after: str | None = None,
    ) -> BriefItemConnection:
        return await BR.brief_items(info, str(community), period, figure, key, first, after)

    @strawberry.field(description="A brief frozen for the minutes, with its hash; null when "
                      "unknown or outside the agency's communities")
    async def frozen_brief(self, info: Info, id: strawberry.ID) -> FrozenBrief | None:
        return await BR.frozen_brief(info, str(id))
