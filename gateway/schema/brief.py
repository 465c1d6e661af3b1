"""The coordination brief (协调会简报): what a joint coordination meeting sees of one community
over one period, computed in SQL over the synced facts (gateway/views/).

Every count is nullable: under the statistics purpose a count from 1 to 4 is suppressed (null),
and so is a rate whose base is. `suppressedBelow` says when that applies. Lists that name
households or members are empty for statistics callers; their counts stay.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import strawberry

from gateway.schema.pagination import PageInfo


@strawberry.input(description="A closed range of days; `to` may not be before `from`")
class PeriodInput:
    from_: date = strawberry.field(name="from")
    to: date


@strawberry.type(description="The period a brief covers: `to` is capped at the brief's day")
class Period:
    from_: date = strawberry.field(name="from")
    to: date
    days: int


@strawberry.type(description="One group of a breakdown: its code, its Chinese label, its count")
class Tally:
    key: str
    label: str
    count: int | None


@strawberry.type(description="Disputes of one group: opened and closed in the period, and those "
                 "overdue at its end")
class DisputeTally:
    key: str
    label: str
    opened: int | None
    closed: int | None
    overdue: int | None


@strawberry.type(description="矛盾纠纷 — disputes, each counted once however many bodies "
                 "reported it")
class DisputeFigures:
    opened: int | None
    closed: int | None
    overdue: int | None = strawberry.field(
        description="Open at the period's end past their due date (the mediation timer)")
    open_at_end: int | None
    reports_merged: int | None = strawberry.field(
        description="Reports that were the same dispute as another body's, counted once")
    by_category: list[DisputeTally]
    by_status: list[Tally] = strawberry.field(description="Disputes opened in the period, by "
                                              "their status now")
    by_mediation_type: list[DisputeTally]
    by_reporting_body: list[DisputeTally] = strawberry.field(
        description="Per body that reported them: a dispute two bodies reported is in both rows")


@strawberry.type(description="Appeals of one group")
class AppealTally:
    key: str
    label: str
    received: int | None
    closed: int | None
    on_time: int | None


@strawberry.type(description="诉求 — appeals: 12345, petitions, online, reception room, 恳谈会")
class AppealFigures:
    received: int | None
    closed: int | None
    on_time_rate: float | None = strawberry.field(
        description="Share of appeals closed in the period that closed by their due date")
    rated: int | None
    satisfaction_rate: float | None = strawberry.field(
        description="Share of rated appeals rated satisfied or basically satisfied")
    by_channel: list[AppealTally]
    by_type: list[AppealTally]
    top_locations: list[Tally] = strawberry.field(description="Where appeals recur (舆情)")
    top_topics: list[Tally]


@strawberry.type(description="One body's services of one kind in the period")
class ServiceTally:
    body: str
    body_label: str
    key: str
    label: str
    count: int | None


@strawberry.type(description="Services and 五卡 cards by body and kind")
class ServiceFigures:
    total: int | None
    by_body: list[Tally]
    by_kind: list[ServiceTally]
    cards_issued: int | None
    cards_active: int | None = strawberry.field(description="Active at the period's end")
    cards_by_kind: list[Tally]


@strawberry.type(description="包联责任链 coverage: 横到边、纵到底")
class ChainFigures:
    households: int | None
    households_without_member: int | None = strawberry.field(
        description="Households no Party member is responsible for (党员包户)")
    buildings: int | None
    buildings_without_committee_member: int | None = strawberry.field(
        description="Buildings with no branch committee member (支委包楼)")
    compounds: int | None
    compounds_without_secretary: int | None = strawberry.field(
        description="Compounds with no branch secretary (书记包院)")
    branches: int | None
    branches_without_committee: int | None = strawberry.field(
        description="Branches the Party committee does not cover (党委包支部)")


@strawberry.type(description="One member's contact visits (党员联系户) in the period")
class MemberVisits:
    member_id: strawberry.ID
    name: str | None
    households: int
    visits: int
    target: int
    met: bool


@strawberry.type(description="Contact visits against the target")
class VisitFigures:
    visits: int | None
    members: int | None
    members_meeting_target: int | None
    target_per_household: float = strawberry.field(
        description="Visits expected per household in the period (the configured cadence)")
    short_of_target: list[MemberVisits] = strawberry.field(
        description="Members below target, furthest behind first (empty for statistics)")


@strawberry.type(description="四会 compliance for one meeting kind")
class MeetingCompliance:
    kind: str
    label: str
    cadence: str = strawberry.field(description="QUARTERLY, SEMIANNUAL, ANNUAL or AS_NEEDED")
    held_in_period: int | None
    last_held: date | None
    next_due: date | None = strawberry.field(description="null for meetings held as needed")
    overdue: bool


@strawberry.type(description="A Party member suggested to help with a need")
class SuggestedHelper:
    member_id: strawberry.ID
    name: str | None
    member_type: str | None = strawberry.field(description="谋划/知识/文体/服务型 as MemberRole")
    distance: str = strawberry.field(description="SAME_BUILDING, SAME_COMPOUND or SAME_COMMUNITY")


@strawberry.type(description="A household one body sees a need in that the others leave unmet")
class UnmetHousehold:
    household_id: strawberry.ID
    needs: list[str]
    seen_by: list[str]
    helpers: list[SuggestedHelper]


@strawberry.type(description="Needs seen by one body but unmet by the others")
class NeedFigures:
    by_need: list[Tally]
    households: list[UnmetHousehold] = strawberry.field(
        description="The households, most needs first (empty for statistics)")


@strawberry.type(description="How current one partner's data in this brief is")
class PartnerFreshness:
    partner: str
    name: str
    as_of: datetime | None = strawberry.field(description="Its last completed sync")
    age_seconds: float | None
    status: str = strawberry.field(
        description="OK, STALE (older than the staleness limit), NO_SNAPSHOT (never synced: its "
        "figures are missing, not zero) or DOWN (its breaker is open)")
    sections: list[str] = strawberry.field(description="The brief sections it feeds")


@strawberry.type(description="协调会简报 — one community over one period, for a joint meeting")
class CoordinationBrief:
    community: strawberry.ID
    community_name: str
    period: Period
    computed_at: datetime
    suppressed_below: int | None = strawberry.field(
        description="Counts below this are null (statistics purpose); null when none are")
    disputes: DisputeFigures
    appeals: AppealFigures
    services: ServiceFigures
    chain: ChainFigures
    visits: VisitFigures
    meetings: list[MeetingCompliance]
    needs: NeedFigures
    property: PropertyFigures | None = strawberry.field(
        default=None,
        description="四位一体: repair orders, fee arrears and owners' votes per compound (null "
        "only in a brief frozen before this section existed)")
    freshness: list[PartnerFreshness]
    missing: list[str] = strawberry.field(
        description="Partners with no snapshot: the sections they feed lack their figures")
    withheld: list[str] = strawberry.field(
        default_factory=list,
        description="Lists left out for this caller, as `field: CODE` (e.g. "
        "`needs.households: PURPOSE_NOT_ALLOWED`)")


@strawberry.type(description="四位一体 figures of one compound (of the whole community when "
                 "`compoundId` is null): the property company's rooms, repair orders and fee "
                 "arrears, and the owners' votes. Occupancy and arrears are as last synced; "
                 "repairs and ballots are counted by their dates in the period")
class CompoundPropertyFigures:
    compound_id: strawberry.ID | None
    compound: str | None
    rooms: int | None = strawberry.field(description="Rooms the property company keeps")
    owner_occupied: int | None
    rented: int | None
    vacant: int | None
    repairs_opened: int | None = strawberry.field(description="Repair orders reported in the "
                                                  "period")
    repairs_done: int | None = strawberry.field(description="Repair orders finished (DONE) in "
                                                "the period")
    repairs_open_at_end: int | None = strawberry.field(
        description="Repair orders reported by the period's end and not finished or cancelled "
        "by then")
    rooms_in_arrears: int | None = strawberry.field(description="Rooms owing property fees")
    arrears_months: int | None = strawberry.field(description="Their months in arrears, summed")
    matters_voted: int | None = strawberry.field(
        description="Matters the owners voted on in the period (in the community's row, a "
        "matter put to two compounds' owners counts twice: they are two votes)")
    ballots: int | None = strawberry.field(description="Owners' ballots cast in the period")
    ballot_area: float | None = strawberry.field(description="Floor area (m²) those ballots "
                                                 "carry")


@strawberry.type(description="四位一体 — the property company and the owners' committee: the "
                 "community's figures and each compound's")
class PropertyFigures:
    total: CompoundPropertyFigures
    by_compound: list[CompoundPropertyFigures]


@strawberry.type(description="A brief frozen for the minutes: immutable, with its hash")
class FrozenBrief:
    id: strawberry.ID
    brief: CoordinationBrief
    sha256: str = strawberry.field(description="SHA-256 of the brief's canonical JSON")
    canonical: str = strawberry.field(description="The canonical JSON the hash is of")
    as_of: list[PartnerFreshness]
    frozen_at: datetime
    frozen_by: str = strawberry.field(description="The agency and officer that froze it")


@strawberry.type(description="One item behind a figure: a record, a household, a place or a "
                 "Party member")
class BriefItem:
    partner: str | None
    local_id: str | None = strawberry.field(
        description="The record's id at its partner; a building's or compound's registry id, a "
        "branch's or member's id at the Party committee")
    kind: str = strawberry.field(
        description="A record's kind (dispute, appeal, service, care_card, visit, meeting), "
        "household, or building, compound, branch, member")
    label: str | None
    status: str | None
    category: str | None
    opened_on: date | None
    closed_on: date | None
    due_on: date | None
    household_id: strawberry.ID | None


@strawberry.type
class BriefItemEdge:
    cursor: str = strawberry.field(description="Names this item: the next page starts after "
                                   "it, wherever it has moved")
    node: BriefItem


_RELAY = "removal: 2027-06-30"


@strawberry.type(description="The items behind a figure, in a stable order (Relay connection, "
                 "keyset cursors)")
class BriefItemConnection:
    edges: list[BriefItemEdge]
    page_info: PageInfo
    total_count: int
    items: list[BriefItem] = strawberry.field(
        deprecation_reason=f"Use edges {{ node }} ({_RELAY})")
    total: int = strawberry.field(deprecation_reason=f"Use totalCount ({_RELAY})")
    end_cursor: str | None = strawberry.field(
        deprecation_reason=f"Use pageInfo {{ endCursor }} ({_RELAY})")
    has_next_page: bool = strawberry.field(
        deprecation_reason=f"Use pageInfo {{ hasNextPage }} ({_RELAY})")
    withheld: int = strawberry.field(
        default=0, description="Items the figure counts that are not listed, because the "
        "viewer's grants do not cover their kind of data (a 维权 case of the women's federation "
        "needs welfare): `totalCount + withheld` is the figure")
    # The kinds of the items withheld, for the refusal when nothing is left to list.
    withheld_kinds: strawberry.Private[list[str]] = dataclasses.field(default_factory=list)
