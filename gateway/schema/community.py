"""Community (社区), building (楼栋), and the Relay connection over households."""

from __future__ import annotations

import base64

import strawberry

from gateway.context import Context
from gateway.errors import BadRequest
from gateway.schema.household import Household
from gateway.schema.node import Node
from gateway.schema.pagination import MAX_PAGE, PageInfo
from gateway.schema.property import CommunityProperty

Info = strawberry.Info[Context, None]


@strawberry.type
class HouseholdEdge:
    cursor: str
    node: Household


@strawberry.type(description="A page of households in stable registry order (keyset cursors)")
class HouseholdConnection:
    edges: list[HouseholdEdge]
    page_info: PageInfo
    total_count: int


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(f"hh:{key}".encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("malformed cursor", argument="after") from exc
    if not raw.startswith("hh:"):
        raise BadRequest("malformed cursor", argument="after")
    return raw[3:]


async def household_page(
    info: Info, *, community: str | None, first: int | None, after: str | None
) -> HouseholdConnection:
    size = MAX_PAGE if first is None else first
    if size < 0 or size > MAX_PAGE:
        raise BadRequest(f"first must be between 0 and {MAX_PAGE}", argument="first")
    store = info.context.store
    allowed = info.context.access.communities  # never a household outside the agency's
    rows = await store.households_page(
        community=community, after=decode_cursor(after) if after else None, limit=size + 1,
        communities=allowed,
    )
    total = await store.count_households(community, allowed)
    page = rows[:size]
    if page:
        info.context.access.households_allowed()  # a statistics purpose asks totalCount only
    edges = [HouseholdEdge(cursor=encode_cursor(r.key), node=Household.of(r)) for r in page]
    return HouseholdConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > size,
                           end_cursor=edges[-1].cursor if edges else None),
        total_count=total,
    )


@strawberry.type(description="社区 — a community (社区居委会) with its 12-digit code")
class Community(Node):
    code: str = strawberry.field(description="统计区划 code, 12 digits")
    name: str
    street_code: str
    street_name: str = strawberry.field(description="街道")
    household_count: int

    @strawberry.field(description="Households of this community, in registry order")
    async def households(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> HouseholdConnection:
        return await household_page(info, community=self.code, first=first, after=after)

    @strawberry.field(description="物业 and 业委会 by compound: committee members, repair orders "
                      "by status, households in arrears, owners' votes with their tallies "
                      "(property field group)")
    async def property(self, info: Info) -> CommunityProperty | None:
        from gateway.resolvers.property import community_property

        return await community_property(info, self.code)


@strawberry.type(description="楼栋 — a building of a compound")
class Building(Node):
    db_id: strawberry.Private[int]
    number: str
    compound: str | None
    community_code: strawberry.Private[str]

    @classmethod
    def of(cls, db_id: int, number: str, compound: str | None, community: str) -> Building:
        return cls(id=strawberry.ID(f"Building:{db_id}"), db_id=db_id, number=number,
                   compound=compound, community_code=community)

    @strawberry.field
    async def community(self, info: Info) -> Community | None:
        return await community_by_code(info, self.community_code)


async def communities(info: Info, codes: list[str] | None = None) -> list[Community]:
    """Communities this request may see (an agency sees its own; anonymous callers none)."""
    access = info.context.access
    rows = [r for r in await info.context.store.communities(codes) if access.sees(r["code"])]
    return [
        Community(id=strawberry.ID(f"Community:{r['code']}"), code=r["code"], name=r["name"], street_code=r["street_code"],
                  street_name=r["street_name"], household_count=int(r["households"]))
        for r in rows
    ]


async def community_by_code(info: Info, code: str) -> Community | None:
    cache: dict[str, Community] = info.context.extra.setdefault("communities", {})
    if not cache:
        for c in await communities(info):
            cache[c.code] = c
    return cache.get(code)
