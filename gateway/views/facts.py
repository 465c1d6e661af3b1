"""What a coordination view counts, projected from a synced record onto the columns the views
group and filter by (the `facts` table, migration 0009).

Each projector reads a record's unified fields (the adapter's `data`, never the partner's wire
row) and says what kind of fact it is, which body reported it, when it was opened, closed and
due, whether it is still open, and what it refers to. Partner dates come in every spelling;
they go through the same parser linkage uses. A record with no projector is not a fact.
Property records (rooms, repair orders, owners, ballots, projects) keep the compound they name
as a key (`place`), which the one attribution rule matches (gateway/db/compounds.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from gateway.adapters.base import Record
from gateway.db.compounds import PROJECT_KIND, alias_keys, join_aliases, name_key
from gateway.linkage.normalize.dates import parse_date
from gateway.linkage.normalize.names import parse_name

# The mediation timer (DOMAIN.md §3.1): 30 days from acceptance, unless extended by consent.
MEDIATION_DAYS = 30

# A dispute has left the community's hands in these states; PERFORMING (an agreement being
# carried out) and ESCALATED (handed up) are still unresolved.
DISPUTE_CLOSED = frozenset({"CLOSED", "FOLLOWED_UP", "CONFIRMED", "INVALIDATED", "TERMINATED",
                            "NOT_ACCEPTED"})
PETITION_CLOSED = frozenset({"CLOSED", "NOT_ACCEPTED", "TRANSFERRED", "OPINION_ISSUED"})
# The mediation timer runs until an agreement is reached (or the case leaves mediation).
DISPUTE_TIMED = frozenset({"DISCOVERED", "REGISTERED", "ASSIGNED", "IN_MEDIATION", "REOPENED"})
CARD_OPEN = frozenset({"ISSUED", "ACTIVE"})
# 妇联 rights cases about a family conflict are dispute reports too.
FAMILY_CONFLICT = ("婚姻家庭", "家庭暴力")
# 12345 channels as the brief counts them: the phone line and transfers are the hotline.
TICKET_CHANNEL = {"PHONE": "HOTLINE", "TRANSFER": "HOTLINE", "WEBSITE": "ONLINE",
                  "WECHAT": "ONLINE", "APP": "ONLINE"}


@dataclass(frozen=True, slots=True)
class Fact:
    kind: str
    body: str
    is_open: bool
    opened_on: date | None
    category: str | None = None
    subkind: str | None = None
    channel: str | None = None
    status: str | None = None
    closed_on: date | None = None
    due_on: date | None = None
    satisfaction: str | None = None
    topic: str | None = None
    place: str | None = None
    ref: str | None = None
    member: str | None = None
    label: str | None = None
    community: str | None = None
    is_dispute: bool = False
    quantity: Decimal | None = None


def _s(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _d(data: Mapping[str, Any], key: str) -> date | None:
    return parse_date(data.get(key))


def _n(data: Mapping[str, Any], key: str) -> Decimal | None:
    """A number as a partner wrote it (`3`, `3.0`, `"86.50"`), or None."""
    value = data.get(key)
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _label(*parts: str | None) -> str | None:
    return " ".join(p for p in parts if p) or None


def _ended(record: Record) -> date | None:
    """When a record with no closing date of its own reached its end state: its last update."""
    return parse_date(record.updated_at)


def _topic(path: str | None) -> str | None:
    """A 12345 category path's first two levels (`城乡建设>物业管理>物业服务` → `城乡建设>物业管理`)."""
    if not path:
        return None
    return ">".join(path.replace("＞", ">").split(">")[:2])


def _dispute(r: Record) -> Fact:
    d = r.data
    status = _s(d, "status")
    opened = _d(d, "acceptedOn") or _d(d, "occurredOn")
    closed = status in DISPUTE_CLOSED
    return Fact("dispute", "MEDIATION", not closed, opened, category=_s(d, "category"),
                subkind=_s(d, "mediationType"), status=status,
                closed_on=_ended(r) if closed else None,
                due_on=opened + timedelta(days=MEDIATION_DAYS)
                if opened and status in DISPUTE_TIMED else None,
                place=_s(d, "place"), ref=_s(d, "relatedTicketNumber"),
                label=_label(_s(d, "number"), _s(d, "categoryText")), is_dispute=True)


def _ticket(r: Record) -> Fact:
    d = r.data
    status, path = _s(d, "status"), _s(d, "category")
    closed_on = _d(d, "closedAt") if status != "REOPENED" else None
    return Fact("appeal", "HOTLINE", closed_on is None, _d(d, "receivedAt"),
                category=_s(d, "appealType"), subkind=_s(d, "channel"),
                channel=TICKET_CHANNEL.get(_s(d, "channel") or "", "HOTLINE"), status=status,
                closed_on=closed_on, due_on=_d(d, "dueAt"), satisfaction=_s(d, "satisfaction"),
                topic=_topic(path), place=_s(d, "address"), ref=_s(d, "duplicateOf"),
                label=_label(_s(d, "number"), path), community=_s(d, "community"),
                is_dispute="纠纷" in (path or ""))


def _petition(r: Record) -> Fact:
    d = r.data
    status = _s(d, "status")
    closed = status in PETITION_CLOSED
    return Fact("appeal", "PETITION", not closed, _d(d, "receivedAt"),
                subkind=_s(d, "channel"), channel="PETITION", status=status,
                closed_on=_ended(r) if closed else None, due_on=_d(d, "dueAt"),
                topic=_s(d, "matter"), place=_s(d, "address"),
                label=_label(_s(d, "number"), _s(d, "matter")))


def _reception(r: Record) -> Fact:
    d = r.data
    closed_on = _d(d, "repliedOn")
    # `category` is the appeal type (咨询, 投诉 …), which a reception log does not keep; its
    # 事项类别 is the topic.
    return Fact("appeal", "RESIDENTS_COMMITTEE", closed_on is None, _d(d, "receivedOn"),
                subkind=_s(d, "channel"),
                channel=_s(d, "channel") or "RECEPTION_ROOM", status=_s(d, "status"),
                closed_on=closed_on, due_on=_d(d, "dueOn"), topic=_s(d, "category"),
                place=_s(d, "address"), label=_label(_s(d, "number"), _s(d, "matter")),
                community=_s(d, "community"), is_dispute="纠纷" in (_s(d, "category") or ""))


def _service_case(r: Record) -> Fact:
    d = r.data
    closed_on = _d(d, "closedAt")
    return Fact("service", "HALL", closed_on is None, _d(d, "openedAt"), category="CASE",
                subkind=_s(d, "title"), status=_s(d, "status"), closed_on=closed_on,
                due_on=_d(d, "dueAt"), satisfaction=_s(d, "rating"),
                label=_label(_s(d, "number"), _s(d, "title")))


def _errand(r: Record) -> Fact:
    d = r.data
    closed_on = _d(d, "closedAt")
    return Fact("service", "PROXY_STATION", closed_on is None, _d(d, "openedAt"),
                category="ERRAND", subkind=_s(d, "title"), status=_s(d, "status"),
                closed_on=closed_on, label=_label(_s(d, "number"), _s(d, "title")),
                community=_s(d, "community"))


def _care_card(r: Record) -> Fact:
    d = r.data
    status = _s(d, "status")
    open_ = status in CARD_OPEN
    return Fact("care_card", "HALL", open_, _d(d, "issuedOn"), subkind=_s(d, "kind"),
                status=status, closed_on=None if open_ else _ended(r),
                label=_label(_s(d, "number"), _s(d, "kind")))


def _mass_service(category: str, body: str, subkind_key: str) -> Callable[[Record], Fact]:
    def project(r: Record) -> Fact:
        d = r.data
        return Fact("service", body, True, _d(d, "openedOn"), category=category,
                    subkind=_s(d, subkind_key), label=_label(_s(d, "number"), _s(d, subkind_key)))
    return project


def _rights_case(r: Record) -> Fact:
    """A 妇联 rights case: open until its follow-up visit (回访) is recorded — the ledger keeps
    no closing date, so a closed case counts as closed the day it was opened."""
    d = r.data
    opened = _d(d, "openedOn")
    closed = (_s(d, "followUp") or "").startswith("已回访")
    return Fact("service", "WOMENS_FEDERATION", not closed, opened, category="RIGHTS_CASE",
                subkind=_s(d, "category"), channel=_s(d, "channel"),
                status="FOLLOWED_UP" if closed else _s(d, "handling"),
                closed_on=opened if closed else None,
                due_on=opened + timedelta(days=MEDIATION_DAYS) if opened else None,
                label=_label(_s(d, "number"), _s(d, "category")),
                is_dispute=_s(d, "category") in FAMILY_CONFLICT)


def _meeting(r: Record) -> Fact:
    d = r.data
    return Fact("meeting", "RESIDENTS_COMMITTEE", False, _d(d, "heldOn"),
                subkind=_s(d, "kind"), topic=_s(d, "topic"),
                label=_label(_s(d, "kind"), _s(d, "topic")), community=_s(d, "community"))


def _visit(r: Record) -> Fact:
    d = r.data
    return Fact("visit", "PARTY", False, _d(d, "visitedOn"), subkind=_s(d, "mode"),
                member=_s(d, "memberLocalId"), place=_s(d, "target"),
                label=_label(_s(d, "target"), _s(d, "mode")), community=_s(d, "community"))


def _member(r: Record) -> Fact:
    """A Party member where they live (their record's link): open while not 流动党员."""
    d = r.data
    return Fact("member", "PARTY", not d.get("isMobile"), None, subkind=_s(d, "role"),
                member=r.local_id, label=parse_name(d.get("name")).full or _s(d, "name"),
                topic=_s(d, "branch"))


def _responsibility(r: Record) -> Fact:
    """One 包联 ledger row; a household-level one follows its target's link."""
    d = r.data
    return Fact("responsibility", "PARTY", True, None, subkind=_s(d, "level"),
                member=_s(d, "memberLocalId"), place=_s(d, "target"),
                label=_label(_s(d, "level"), _s(d, "target")), community=_s(d, "community"))


def _resident(r: Record) -> Fact:
    """A resident as the register tags them (`topic`: the tags; `category` TAGGED when any), open
    while registered. Every resident, so that a tag taken off closes what it opened."""
    d = r.data
    tags = ",".join(t for t in d.get("tags") or () if isinstance(t, str)) or None
    return Fact("resident", "RESIDENTS_COMMITTEE", not _s(d, "deregisteredOn"),
                _d(d, "registeredOn"), category="TAGGED" if tags else None, topic=tags,
                label=_s(d, "name"))


# A repair order is finished or cancelled (DOMAIN.md §3.6); AWAITING_RATING is repaired.
REPAIR_CLOSED = frozenset({"DONE", "CANCELLED"})


def _compound(data: Mapping[str, Any]) -> str | None:
    """The key of the compound a property body names (`翠湖花园一期` → `翠湖花园`), which the
    attribution rule matches (gateway/db/compounds.py)."""
    return name_key(_s(data, "compound"))


def _repair(r: Record) -> Fact:
    """A property company's repair order (报修工单), in its compound (`place`)."""
    d = r.data
    status = _s(d, "status")
    closed = status in REPAIR_CLOSED
    return Fact("repair", "PROPERTY", not closed, _d(d, "reportedAt"),
                category=_s(d, "category"), status=status,
                closed_on=(_d(d, "finishedAt") or _ended(r)) if closed else None,
                ref=_s(d, "hotlineRef"), place=_compound(d),
                label=_label(_s(d, "number"), _s(d, "roomCode"), _s(d, "category")),
                community=_s(d, "community"))


def _occupancy(r: Record) -> Fact:
    """One room as the property company keeps it: its occupancy (`subkind`) and months in
    arrears (`quantity`; `category` ARREARS when any)."""
    d = r.data
    months = _n(d, "arrearsMonths")
    return Fact("occupancy", "PROPERTY", True, None, subkind=_s(d, "occupancy"),
                category="ARREARS" if months and months > 0 else None, quantity=months,
                place=_compound(d), label=_s(d, "roomCode"), community=_s(d, "community"))


def _vote(r: Record) -> Fact:
    """One owner's ballot on a matter (`topic`) put to the owners' assembly: the choice
    (`status`) and the floor area it carries (`quantity`)."""
    d = r.data
    return Fact("vote", "OWNERS_COMMITTEE", False, _d(d, "votedOn"), topic=_s(d, "matter"),
                status=_s(d, "choice"), subkind=_s(d, "method"), quantity=_n(d, "area"),
                place=_compound(d), label=_label(_s(d, "matter"), _s(d, "roomCode")),
                community=_s(d, "community"))


def _owner(r: Record) -> Fact:
    """One owner on an owners' committee's roster (业主名册): their committee role (`subkind`)
    and the floor area they own (`quantity`), in their compound."""
    d = r.data
    return Fact("owner", "OWNERS_COMMITTEE", True, None, subkind=_s(d, "committeeRole"),
                quantity=_n(d, "area"), place=_compound(d), label=_s(d, "roomCode"),
                community=_s(d, "community"))


def _project(r: Record) -> Fact:
    """A property company's project (项目): the compound it manages (`place`) and the former
    names it is still known by (`topic`, keys joined by `|`), which records may name instead.
    In no community: the name says which compound, wherever it is."""
    d = r.data
    return Fact(PROJECT_KIND, "PROPERTY", True, None, place=_compound(d),
                topic=join_aliases(alias_keys(_s(d, "aliases"))),
                label=_label(_s(d, "code"), _s(d, "compound")))


# The projection's name: change it with any change to what a projector makes of a record, and
# each store projects its records again at its next sync (snapshots.ensure_projection).
PROJECTION = "2026-11-29 compounds by one rule; projects and owners' rosters"

# By entity: an entity name means the same thing whichever partner serves it.
PROJECTORS: dict[str, Callable[[Record], Fact]] = {
    "dispute": _dispute,
    "ticket": _ticket,
    "petition": _petition,
    "reception": _reception,
    "service_case": _service_case,
    "errand": _errand,
    "care_card": _care_card,
    "hardship_file": _mass_service("HARDSHIP_FILE", "TRADE_UNION", "level"),
    "pairing": _mass_service("PAIRING", "YOUTH_LEAGUE", "kind"),
    "rights_case": _rights_case,
    "meeting": _meeting,
    "contact_visit": _visit,
    "member": _member,
    "responsibility": _responsibility,
    "resident": _resident,
    "repair_order": _repair,
    "occupancy": _occupancy,
    "owner_vote": _vote,
    "owner": _owner,
    "project": _project,
}


def project(record: Record) -> Fact | None:
    """The fact a record is for the combined views, or None when they do not count it."""
    projector = PROJECTORS.get(record.entity)
    return projector(record) if projector else None
