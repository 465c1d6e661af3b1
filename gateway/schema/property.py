"""物业 and 业委会 — occupancy, owners and tenants, repair orders, fees, owners' votes
(DOMAIN.md §2.5, §3.6): plain data, built from unified records by `resolvers/property.py`.

Every field here is in the `property` field group. A person's name and phone are in the group
the body's definition declares for that field (`identity` and `contact` in the shipped ones;
without a declaration those two) as well: each is shown in full only when both grants are full,
masked when either is masked, and refused (null, with the coded error at its path) without the
declared group — the definition governs its fields, not only the type they land in.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.auth.access import mask_name
from gateway.linkage.normalize import parse_phones
from gateway.schema.pagination import DEFAULT_PAGE, Connection
from gateway.schema.records import Provenance, masked_phone

if TYPE_CHECKING:
    from gateway.schema.records import Appeal

THRESHOLDS_NOTE = (
    "[assumption: 民法典 第278条 as read, not re-verified] a decision needs owners holding ≥ 2/3 "
    "of the exclusive area and ≥ 2/3 of the owners to take part; it passes with > 1/2 of the "
    "participating area and owners, or ≥ 3/4 of both for 改建/重建 (加装电梯), 改变共有部分用途 "
    "(停车位规划) and 维修资金.")
# The plain lists that grow are kept for the clients that read them, until then (pagination.md).
_PAGED = "removal: 2027-06-30"


@strawberry.enum(description="入住状态 — how a room is occupied")
class OccupancyType(Enum):
    OWNER_OCCUPIED = "OWNER_OCCUPIED"
    RENTED = "RENTED"
    VACANT = "VACANT"


@strawberry.enum(description="报修工单状态 (DOMAIN.md §3.6)")
class RepairStatus(Enum):
    REPORTED = "REPORTED"
    DISPATCHED = "DISPATCHED"
    IN_REPAIR = "IN_REPAIR"
    AWAITING_RATING = "AWAITING_RATING"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="报修类型: 水电/门窗/公共部位/电梯/绿化")
class RepairCategory(Enum):
    WATER_ELECTRIC = "WATER_ELECTRIC"
    DOOR_WINDOW = "DOOR_WINDOW"
    COMMON_AREA = "COMMON_AREA"
    ELEVATOR = "ELEVATOR"
    GREENING = "GREENING"


@strawberry.enum(description="表决意见: 同意/反对/弃权")
class VoteChoice(Enum):
    FOR = "FOR"
    AGAINST = "AGAINST"
    ABSTAIN = "ABSTAIN"


def person_name(info: strawberry.Info, raw: str | None, group: str, masked: bool,
                scope: tuple[str, str]) -> str | None:
    """A name the property records carry, under its declared `group` too (the module's doc):
    the coded refusal without that grant, the surname only when either level is masked."""
    if not raw:
        return None
    level = info.context.access.level(group, *scope)
    return mask_name(raw) if masked or level == "masked" else raw


@strawberry.type(description="业主 / 租户 — a person the property records name for a room")
class PropertyParty:
    room_code: str | None = strawberry.field(description="房屋编码 / 房号 as the body writes it")
    committee_role: str | None = strawberry.field(
        description="业委会职务 (主任/副主任/委员) on the owners' roster, else null")
    source: Provenance
    name_raw: strawberry.Private[str | None] = None
    phone_raw: strawberry.Private[str | None] = None
    # The field groups the body declares for the name and the phone, and whether the property
    # grant itself is masked.
    name_group: strawberry.Private[str] = "identity"
    phone_group: strawberry.Private[str] = "contact"
    masked: strawberry.Private[bool] = False
    # (household key or "", community code): where those grants are checked and audited.
    scope: strawberry.Private[tuple[str, str]] = ("", "")

    @strawberry.field(description="As written; co-owners joined 张三、李四. Needs the group the "
                      "body declares for it (identity), masked unless both grants are full")
    def name(self, info: strawberry.Info) -> str | None:
        return person_name(info, self.name_raw, self.name_group, self.masked, self.scope)

    @strawberry.field(description="Phone: in full with a full grant of the group the body "
                      "declares for it (contact), else masked")
    def phone(self, info: strawberry.Info) -> str | None:
        if not self.phone_raw:
            return None
        if info.context.access.level(self.phone_group, *self.scope) == "full":
            found = [p.value for p in parse_phones(self.phone_raw) if p.value]
            return found[0] if found else masked_phone(self.phone_raw)
        return masked_phone(self.phone_raw)


@strawberry.type(description="物业费 — fee rate and arrears of the household's room")
class PropertyFees:
    fee_rate: float | None = strawberry.field(description="物业费单价, 元/㎡·月")
    arrears_months: int | None = strawberry.field(description="欠费月数")
    area: float | None = strawberry.field(description="建筑面积 m² the fee is billed on")


@strawberry.type(description="房屋台账 — one room as the property company keeps it")
class Occupancy:
    room_code: str | None
    compound: str | None
    occupancy: OccupancyType | None
    area: float | None = strawberry.field(description="建筑面积 m²")
    parking_space: str | None = strawberry.field(description="车位号")
    source: Provenance


@strawberry.type(description="报修工单 — a repair order")
class RepairOrder:
    number: str | None = strawberry.field(description="报修单号")
    reported_at: str | None
    room_code: str | None
    category: RepairCategory | None
    content: str | None
    worker: str | None = strawberry.field(description="派工人")
    status: RepairStatus | None
    finished_at: str | None
    rating: int | None = strawberry.field(description="评价 1–5")
    hotline_ref: str | None = strawberry.field(description="12345 工单号 it was opened from")
    source: Provenance
    # (household key, community code): where the appeals grant is checked and audited.
    scope: strawberry.Private[tuple[str, str]] = ("", "")
    reporter_raw: strawberry.Private[str | None] = None
    reporter_group: strawberry.Private[str] = "identity"
    masked: strawberry.Private[bool] = False

    @strawberry.field(description="报修人, under the group the body declares for it (identity)")
    def reporter(self, info: strawberry.Info) -> str | None:
        return person_name(info, self.reporter_raw, self.reporter_group, self.masked, self.scope)

    @strawberry.field(description="The 12345 work order this order was opened from "
                      "(`hotlineRef`), from whichever body provides work orders (appeals group)")
    async def hotline_ticket(
        self, info: strawberry.Info
    ) -> Annotated[Appeal, strawberry.lazy("gateway.schema.records")] | None:
        from gateway.resolvers.property import hotline_ticket

        return await hotline_ticket(info, self.hotline_ref, self.scope)


@strawberry.type(description="业主表决 — one owner's ballot on a community matter")
class OwnerVote:
    matter: str | None = strawberry.field(description="表决事项")
    room_code: str | None
    area: float | None = strawberry.field(description="专有部分面积 m²")
    choice: VoteChoice | None
    method: str | None = strawberry.field(description="投票方式: 书面/线上/委托")
    voted_on: str | None
    source: Provenance
    owner_name_raw: strawberry.Private[str | None] = None
    owner_name_group: strawberry.Private[str] = "identity"
    masked: strawberry.Private[bool] = False
    scope: strawberry.Private[tuple[str, str]] = ("", "")

    @strawberry.field(description="业主姓名, under the group the body declares for it (identity)")
    def owner_name(self, info: strawberry.Info) -> str | None:
        return person_name(info, self.owner_name_raw, self.owner_name_group, self.masked,
                           self.scope)


@strawberry.type(description="物业 and 业委会 facts about one household")
class HouseholdProperty:
    occupancy: list[Occupancy]
    owners: list[PropertyParty]
    tenants: list[PropertyParty]
    repair_orders: list[RepairOrder] = strawberry.field(
        deprecation_reason=f"Use repairOrdersConnection(first, after) ({_PAGED})")
    fees: PropertyFees | None
    votes: list[OwnerVote] = strawberry.field(
        deprecation_reason=f"Use votesConnection(first, after) ({_PAGED})")

    @strawberry.field(description="报修工单 — repair orders, newest first (Relay)")
    def repair_orders_connection(self, first: int | None = DEFAULT_PAGE,
                                 after: str | None = None) -> Connection[RepairOrder]:
        from gateway.resolvers import property_pages

        return property_pages.repair_orders(self.repair_orders, first, after)

    @strawberry.field(description="业主表决 — ballots, newest first (Relay)")
    def votes_connection(self, first: int | None = DEFAULT_PAGE,
                         after: str | None = None) -> Connection[OwnerVote]:
        from gateway.resolvers import property_pages

        return property_pages.votes(self.votes, first, after)


@strawberry.type(description="Repair orders of one status")
class RepairStatusCount:
    status: RepairStatus
    count: int


@strawberry.type(description="表决统计 — the tally of one matter in one compound. " + THRESHOLDS_NOTE)
class VoteTally:
    compound: str
    matter: str
    owners_total: int = strawberry.field(description="Owners on the roster (人数)")
    area_total: float = strawberry.field(description="专有部分面积 on the roster, m²")
    participants: int
    participating_area: float
    for_count: int
    for_area: float
    against_count: int
    against_area: float
    abstain_count: int
    abstain_area: float
    special_majority: bool = strawberry.field(
        description="Needs ≥ 3/4 of the participants (改建/重建, 共有部分用途, 维修资金) [assumption]")
    participation_met: bool = strawberry.field(
        description="≥ 2/3 of the area and ≥ 2/3 of the owners took part [assumption]")
    passed: bool = strawberry.field(
        description="Participation met and the majority reached [assumption, see the type]")


@strawberry.type(description="One compound's property picture: 业委会, 报修, 欠费")
class CompoundProperty:
    compound: str
    committee_members: list[PropertyParty] = strawberry.field(
        description="业委会 members (主任/副主任/委员) from the owners' roster")
    repair_orders: list[RepairStatusCount]
    open_repair_orders: int = strawberry.field(description="Not yet DONE or CANCELLED")
    households_in_arrears: int = strawberry.field(
        description="Households linked to a room with months in arrears")
    votes: list[VoteTally] = strawberry.field(
        deprecation_reason=f"Use votesConnection(first, after) ({_PAGED})")

    @strawberry.field(description="表决统计 — one tally per matter voted on, by matter (Relay)")
    def votes_connection(self, first: int | None = DEFAULT_PAGE,
                         after: str | None = None) -> Connection[VoteTally]:
        from gateway.resolvers import property_pages

        return property_pages.tallies(self.votes, first, after)


@strawberry.type(description="物业 and 业委会 across a community's compounds")
class CommunityProperty:
    compounds: list[CompoundProperty]
    households_in_arrears: int
