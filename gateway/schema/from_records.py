"""Build schema objects from adapter records (unified `Record.data`)."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.adapters.base import Record
from gateway.linkage.normalize import parse_gender, parse_relation
from gateway.schema import enums as E
from gateway.schema.party import PartyMember
from gateway.schema.records import (
    Appeal,
    CareCard,
    ContactVisit,
    Dispute,
    DisputeParty,
    Provenance,
    Resident,
    ServiceRecord,
    masked_id,
    masked_phone,
)


def node_id(kind: str, record: Record) -> strawberry.ID:
    return strawberry.ID(f"{kind}:{record.partner}:{record.local_id}")


def resident(r: Record, body: str) -> Resident:
    d = r.data
    gender = parse_gender(d.get("gender")) or None
    relation = parse_relation(d.get("relation"))
    return Resident(
        id=node_id("Resident", r), name=d.get("name"),
        gender=E.Gender(gender) if gender else None, birth_date=d.get("birthDate"),
        relation_to_head=E.coerce(E.RelationToHead, relation), relation_text=d.get("relation"),
        population_type=E.coerce(E.PopulationType, d.get("populationType")),
        tags=list(d.get("tags") or []), resident_id_masked=masked_id(d.get("idNumber")),
        deregistered=bool(d.get("deregisteredOn")), source=Provenance.of(r, body),
        id_raw=d.get("idNumber"), phone_raw=d.get("phone"),
    )


def service(r: Record, body: str) -> ServiceRecord:
    d = r.data
    title = d.get("title") or {
        "hardship_file": f"困难职工帮扶 {d.get('level') or ''}".strip(),
        "pairing": f"青少年帮扶结对 {d.get('kind') or ''}".strip(),
        "rights_case": f"妇联维权 {d.get('category') or ''}".strip(),
    }.get(r.entity)
    return ServiceRecord(
        kind=E.ServiceKind(r.entity), number=d.get("number"), title=title,
        status=d.get("status"), status_text=d.get("statusText") or d.get("handling"),
        opened_at=d.get("openedAt") or d.get("openedOn"), closed_at=d.get("closedAt"),
        source=Provenance.of(r, body),
    )


def dispute(r: Record, body: str, also: list[Provenance]) -> Dispute:
    d = r.data
    return Dispute(
        id=node_id("Dispute", r), number=d.get("number"),
        category=E.coerce(E.DisputeCategory, d.get("category"), E.DisputeCategory.OTHER)
        or E.DisputeCategory.OTHER,
        category_text=d.get("categoryText"), intake=E.coerce(E.DisputeSource, d.get("source")),
        risk_level=E.coerce(E.RiskLevel, d.get("riskLevel")),
        mediation_type=E.coerce(E.MediationType, d.get("mediationType")),
        status=E.coerce(E.DisputeStatus, d.get("status"), E.DisputeStatus.UNKNOWN)
        or E.DisputeStatus.UNKNOWN,
        occurred_on=d.get("occurredOn"), accepted_on=d.get("acceptedOn"), summary=d.get("summary"),
        parties=[DisputeParty(role=p.get("role"), name=p.get("name")) for p in d.get("parties", [])],
        related_ticket_number=d.get("relatedTicketNumber"), also_reported_by=also,
        source=Provenance.of(r, body),
    )


def appeal(r: Record, body: str) -> Appeal:
    d = r.data
    return Appeal(
        kind=E.AppealKind(r.entity), number=d.get("number"),
        channel=E.coerce(E.AppealChannel, d.get("channel")),
        appeal_type=E.coerce(E.AppealType, d.get("appealType")),
        category=d.get("category") or d.get("matter"), status=d.get("status"),
        received_at=d.get("receivedAt") or d.get("receivedOn"),
        due_at=d.get("dueAt") or d.get("dueOn"), closed_at=d.get("closedAt") or d.get("repliedOn"),
        satisfaction=E.coerce(E.Satisfaction, d.get("satisfaction")),
        handling_unit=d.get("handlingUnit"), duplicate_of=d.get("duplicateOf"),
        source=Provenance.of(r, body),
    )


def care_card(r: Record, body: str) -> CareCard:
    d = r.data
    return CareCard(
        kind=E.coerce(E.CareCardKind, d.get("kind")), number=d.get("number"),
        status=E.coerce(E.CareCardStatus, d.get("status"), E.CareCardStatus.UNKNOWN)
        or E.CareCardStatus.UNKNOWN,
        holder=d.get("holder"), issued_on=d.get("issuedOn"), source=Provenance.of(r, body),
    )


def contact_visit(r: Record, body: str) -> ContactVisit:
    d = r.data
    return ContactVisit(
        visited_on=d.get("visitedOn"), mode=E.coerce(E.VisitMode, d.get("mode")),
        note=d.get("note"), member_local_id=d.get("memberLocalId"), source=Provenance.of(r, body),
    )


def party_member(r: Record, body: str) -> PartyMember:
    d: dict[str, Any] = dict(r.data)
    return PartyMember(
        id=node_id("PartyMember", r), name=d.get("name"), branch=d.get("branch"),
        role=E.coerce(E.MemberRole, d.get("role")),
        membership_status=E.coerce(E.MembershipStatus, d.get("membershipStatus")),
        is_mobile=bool(d.get("isMobile")), phone_masked=masked_phone(d.get("phone")),
        source=Provenance.of(r, body),
    )
