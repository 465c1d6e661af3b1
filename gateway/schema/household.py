"""Household, its address and place in the community's geography."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.db.store import HouseholdRow
from gateway.resolvers import household as R
from gateway.resolvers import household_pages as RP_
from gateway.resolvers import property as RP
from gateway.schema import enums as E
from gateway.schema.node import Node
from gateway.schema.pagination import DEFAULT_PAGE, Connection
from gateway.schema.party import PartyMember, Responsibility
from gateway.schema.property import HouseholdProperty
from gateway.schema.records import (
    Appeal,
    CareCard,
    ContactVisit,
    Dispute,
    Resident,
    ServiceRecord,
    SourceRecord,
)

if TYPE_CHECKING:
    from gateway.schema.community import Building, Community

Info = R.Info
# The plain lists that grow are kept for the clients that read them, until then (pagination.md).
_PAGED = "removal: 2027-06-30"


def _use(connection: str) -> str:
    return f"Use {connection}(first, after) ({_PAGED})"


@strawberry.type(description="地址 — structured, plus every raw spelling the bodies used")
class Address:
    street: str | None
    community: str | None
    compound: str | None = strawberry.field(description="小区 / 院")
    building: str | None = strawberry.field(description="楼栋 (号楼/栋/幢/座)")
    entrance: str | None = strawberry.field(description="单元 / 门")
    floor: int | None
    room: str | None = strawberry.field(description="室 / 号")
    normalized: str = strawberry.field(description="One canonical spelling")
    household_id: strawberry.Private[int]
    scope: strawberry.Private[tuple[str, str]] = ("", "")

    @strawberry.field(description="Every spelling of this address seen in the bodies' records "
                      "(contact field group; none at the masked level)")
    async def raw(self, info: Info) -> list[str] | None:
        if info.context.access.level("contact", *self.scope) != "full":
            return []
        return sorted(await info.context.loaders.addresses.load(self.household_id))


@strawberry.input(description="Filter for a household's services")
class ServiceFilter:
    kinds: list[E.ServiceKind] | None = None


@strawberry.type(description="户 — one household as every body sees it")
class Household(Node):
    row: strawberry.Private[HouseholdRow]

    @classmethod
    def of(cls, row: HouseholdRow) -> Household:
        return cls(id=strawberry.ID(f"Household:{row.key}"), row=row)

    @strawberry.field(description="户编号 in the residents' committee registry")
    def registry_number(self) -> str:
        return self.row.key

    @strawberry.field
    def address(self) -> Address:
        r = self.row
        parts = [r.compound or "", f"{r.building}号楼" if r.building else "",
                 f"{r.entrance}单元" if r.entrance else "", f"{r.room}室" if r.room else ""]
        return Address(street=None, community=r.community_name, compound=r.compound,
                       building=r.building, entrance=r.entrance, floor=r.floor, room=r.room,
                       normalized="".join(parts), household_id=r.id,
                       scope=(r.key, r.community_code))

    @strawberry.field(description="社区")
    async def community(
        self, info: Info
    ) -> Annotated[Community, strawberry.lazy("gateway.schema.community")]:
        from gateway.schema.community import community_by_code

        found = await community_by_code(info, self.row.community_code)
        assert found is not None  # a household's community is a foreign key
        return found

    @strawberry.field(description="楼栋")
    def building(self) -> Annotated[Building, strawberry.lazy("gateway.schema.community")] | None:
        from gateway.schema.community import Building

        r = self.row
        if r.building_id is None:
            return None
        return Building.of(r.building_id, r.building or "", r.compound, r.community_code)

    @strawberry.field(description="居民 — residents registered in this household")
    async def residents(self, info: Info) -> list[Resident] | None:
        return await R.residents(info, self.row)

    @strawberry.field(description="党员包户 — the Party member responsible for this household")
    async def responsible_member(self, info: Info) -> PartyMember | None:
        return await R.responsible_member(info, self.row)

    @strawberry.field(description="包联责任链: 党员包户 → 支委包楼 → 书记包院 → 党委包支部")
    async def responsibility_chain(self, info: Info) -> list[Responsibility] | None:
        return await R.responsibility_chain(info, self.row)

    @strawberry.field(description="服务 — services from every body (办件, 代办, 帮扶, 结对, 维权)",
                      deprecation_reason=_use("servicesConnection"))
    async def services(self, info: Info, filter: ServiceFilter | None = None) -> list[ServiceRecord] | None:
        return await R.services(info, self.row, filter.kinds if filter else None)

    @strawberry.field(description="矛盾纠纷 — disputes from every body, de-duplicated",
                      deprecation_reason=_use("disputesConnection"))
    async def disputes(
        self, info: Info, status: list[E.DisputeStatus] | None = None
    ) -> list[Dispute] | None:
        return await R.disputes(info, self.row, status)

    @strawberry.field(description="诉求 — 12345 work orders and petitions",
                      deprecation_reason=_use("appealsConnection"))
    async def appeals(self, info: Info) -> list[Appeal] | None:
        return await R.appeals(info, self.row)

    @strawberry.field(description="五卡 — care cards", deprecation_reason=_use("careCardsConnection"))
    async def care_cards(self, info: Info) -> list[CareCard] | None:
        return await R.care_cards(info, self.row)

    @strawberry.field(description="物业 and 业委会 — rooms, owners, tenants, repair orders, "
                      "fees and ballots (property field group)")
    async def property(self, info: Info) -> HouseholdProperty | None:
        return await RP.household_property(info, self.row)

    @strawberry.field(description="党员联系户走访 — contact visits",
                      deprecation_reason=_use("contactVisitsConnection"))
    async def contact_visits(self, info: Info) -> list[ContactVisit] | None:
        return await R.contact_visits(info, self.row)

    @strawberry.field(description="来源记录 — every body's record linked to this household",
                      deprecation_reason=_use("sourceRecordsConnection"))
    async def source_records(self, info: Info) -> list[SourceRecord] | None:
        return await R.source_records(info, self.row)

    # --- the lists that grow, paged (docs/pagination.md) --------------------------------------

    @strawberry.field(description="服务 — services from every body, newest first (Relay)")
    async def services_connection(
        self, info: Info, filter: ServiceFilter | None = None, first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Connection[ServiceRecord] | None:
        kinds = filter.kinds if filter else None
        return await RP_.services(info, self.row, kinds, first, after)

    @strawberry.field(description="矛盾纠纷 — disputes from every body, de-duplicated, newest "
                      "first (Relay)")
    async def disputes_connection(
        self, info: Info, status: list[E.DisputeStatus] | None = None,
        first: int | None = DEFAULT_PAGE, after: str | None = None,
    ) -> Connection[Dispute] | None:
        return await RP_.disputes(info, self.row, status, first, after)

    @strawberry.field(description="诉求 — 12345 work orders, petitions and receptions, newest "
                      "first (Relay)")
    async def appeals_connection(self, info: Info, first: int | None = DEFAULT_PAGE,
                                 after: str | None = None) -> Connection[Appeal] | None:
        return await RP_.appeals(info, self.row, first, after)

    @strawberry.field(description="五卡 — care cards, newest first (Relay)")
    async def care_cards_connection(self, info: Info, first: int | None = DEFAULT_PAGE,
                                    after: str | None = None) -> Connection[CareCard] | None:
        return await RP_.care_cards(info, self.row, first, after)

    @strawberry.field(description="党员联系户走访 — contact visits, newest first (Relay)")
    async def contact_visits_connection(
        self, info: Info, first: int | None = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[ContactVisit] | None:
        return await RP_.contact_visits(info, self.row, first, after)

    @strawberry.field(description="来源记录 — every body's record linked to this household, by "
                      "body, entity and local id (Relay)")
    async def source_records_connection(
        self, info: Info, first: int | None = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[SourceRecord] | None:
        return await RP_.source_records(info, self.row, first, after)


@strawberry.type(description="A household found by a search, with what matched")
class HouseholdMatch:
    household: Household
    score: float
    matched: list[str]
