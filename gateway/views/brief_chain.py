"""The brief's 包联 sections: responsibility-chain coverage (横到边、纵到底), contact visits
against their target, 四会 compliance, and households whose needs one body sees but the others
leave unmet, with Party members suggested to help.

Each section is one SQL statement (`_chain_sql.py`). The chain is its state now; visits, meetings
and needs are counted over the scope's period, needs as of its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
import strawberry

from gateway.adapters.partners.party import ORG_KIND
from gateway.schema.brief import (
    ChainFigures,
    MeetingCompliance,
    MemberVisits,
    NeedFigures,
    SuggestedHelper,
    Tally,
    UnmetHousehold,
    VisitFigures,
)
from gateway.views import _chain_drills as D
from gateway.views import _chain_sql as Q
from gateway.views.scope import Drill, Scope

__all__ = ["BODY_LABELS", "DRILLS", "MEETING_KINDS", "NEEDS", "chain", "meetings", "member_id",
           "needs", "visits"]

_BRANCH_KINDS = [native for native, kind in ORG_KIND.items() if kind == "BRANCH"]


@dataclass(frozen=True, slots=True)
class MeetingKind:
    kind: str
    label: str
    cadence: str
    months: int | None  # between two meetings; None: held as needed


# 四会, in the order the brief lists them.
MEETING_KINDS = (
    MeetingKind("JOINT_DELIBERATION", "社区事务议事联席会", "QUARTERLY", 3),
    MeetingKind("REPORT", "报告会", "SEMIANNUAL", 6),
    MeetingKind("EVALUATION", "评议会", "ANNUAL", 12),
    MeetingKind("HEARING", "听证会", "AS_NEEDED", None),
)


@dataclass(frozen=True, slots=True)
class Need:
    code: str
    label: str
    helpers: tuple[str, ...]  # member types that fit, best first (MemberRole)


NEEDS = (
    Need("HARDSHIP_NO_CARE_CARD", "困难职工档案但无五卡", ("SERVICE", "EXPERT")),
    Need("DISPUTE_NO_MEDIATION", "有纠纷未调解", ("PLANNER", "EXPERT")),
    Need("VULNERABLE_NO_CONTACT", "独居老人/空巢/残疾但无走访", ("SERVICE", "CULTURE_SPORTS")),
    Need("AT_RISK_YOUTH_NO_PAIRING", "重点青少年未结对帮扶", ("EXPERT", "CULTURE_SPORTS")),
)

BODY_LABELS = {"TRADE_UNION": "工会", "HOTLINE": "12345热线", "PETITION": "信访",
               "WOMENS_FEDERATION": "妇联", "YOUTH_LEAGUE": "共青团", "MEDIATION": "调委会",
               "RESIDENTS_COMMITTEE": "居委会", "HALL": "为民服务大厅",
               "PROXY_STATION": "居民事务代办站", "PARTY": "社区党委"}
_DISTANCE = ("SAME_BUILDING", "SAME_COMPOUND", "SAME_COMMUNITY")


def member_id(local_id: str) -> strawberry.ID:
    """A member's global id, as `PartyMember` nodes spell it (schema/from_records.node_id)."""
    return strawberry.ID(f"PartyMember:party:{local_id}")


async def chain(conn: asyncpg.Connection, scope: Scope) -> ChainFigures:
    row = await conn.fetchrow(Q.CHAIN, scope.community, _BRANCH_KINDS)
    assert row is not None
    return ChainFigures(**{name: int(value) for name, value in row.items()})


async def visits(conn: asyncpg.Connection, scope: Scope) -> VisitFigures:
    row = await conn.fetchrow(Q.VISITS, scope.community, scope.start, scope.end,
                              scope.visits_per_household)
    assert row is not None
    short = [MemberVisits(member_id=member_id(m["member"]), name=m["name"],
                          households=m["households"], visits=m["visits"], target=m["target"],
                          met=False)
             for m in orjson.loads(row["short_of_target"])]
    return VisitFigures(visits=row["visits"], members=row["members"],
                        members_meeting_target=row["members_meeting_target"],
                        target_per_household=scope.visits_per_household, short_of_target=short)


async def meetings(conn: asyncpg.Connection, scope: Scope) -> list[MeetingCompliance]:
    rows = await conn.fetch(Q.MEETINGS, scope.community, scope.start, scope.end,
                            [k.kind for k in MEETING_KINDS], [k.months for k in MEETING_KINDS])
    out = []
    for kind, row in zip(MEETING_KINDS, rows, strict=True):
        due = None if kind.months is None else row["next_due"]
        out.append(MeetingCompliance(kind=kind.kind, label=kind.label, cadence=kind.cadence,
                                     held_in_period=row["held_in_period"],
                                     last_held=row["last_held"], next_due=due,
                                     overdue=due is not None and due < scope.end))
    return out


async def needs(conn: asyncpg.Connection, scope: Scope) -> NeedFigures:
    fits = [(n.code, role, rank) for n in NEEDS for rank, role in enumerate(n.helpers)]
    row = await conn.fetchrow(
        Q.NEEDS, scope.community, scope.start, scope.end, [n.code for n in NEEDS],
        *map(list, zip(*fits, strict=True)))
    assert row is not None
    counted = {c["need"]: c["n"] for c in orjson.loads(row["by_need"])}
    return NeedFigures(
        by_need=[Tally(key=n.code, label=n.label, count=counted.get(n.code, 0)) for n in NEEDS],
        households=[_unmet(h) for h in orjson.loads(row["households"])])


def _unmet(h: dict[str, Any]) -> UnmetHousehold:
    return UnmetHousehold(
        household_id=strawberry.ID(f"Household:{h['key']}"), needs=h["needs"],
        seen_by=[BODY_LABELS.get(b, b) for b in h["bodies"]],
        helpers=[SuggestedHelper(member_id=member_id(m["member"]), name=m["name"],
                                 member_type=m["role"], distance=_DISTANCE[m["distance"]])
                 for m in h["helpers"]])


_KINDS = D.text_array(_BRANCH_KINDS)

DRILLS: dict[str, Drill] = {
    "chain.households": Drill("households", D.HOUSEHOLDS),
    "chain.householdsWithoutMember": Drill("households", D.HOUSEHOLDS_WITHOUT_MEMBER),
    **{f"chain.{figure}": Drill("places", D.places(_KINDS, kind, uncovered=uncovered))
       for figure, kind, uncovered in (
           ("buildings", "building", False),
           ("buildingsWithoutCommitteeMember", "building", True),
           ("compounds", "compound", False),
           ("compoundsWithoutSecretary", "compound", True),
           ("branches", "branch", False),
           ("branchesWithoutCommittee", "branch", True))},
    "visits.visits": Drill("facts", D.VISITS_IN_PERIOD),
    "visits.members": Drill("places", D.MEMBERS),
    "visits.membersMeetingTarget": Drill("places", D.MEMBERS_MEETING_TARGET, cadence=True),
    "visits.shortOfTarget": Drill("households", D.MEMBER_HOUSEHOLDS),
    "visits.shortOfTarget.visits": Drill("facts", D.MEMBER_VISITS),
    "meetings.heldInPeriod": Drill("facts", D.MEETINGS_HELD),
    "needs.byNeed": Drill("households", D.HOUSEHOLDS_IN_NEED),
}
