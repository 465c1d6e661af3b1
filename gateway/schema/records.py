"""Cross-body facts about a household, each carrying where it came from (`source`).

Plain data built `from_record()`; only `source.body` and relations are resolved lazily.
Identity numbers and phones are masked here by construction: unmasked values need a grant.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.adapters.base import Record
from gateway.auth.access import mask_name
from gateway.linkage.normalize import mask_id, mask_phone, parse_id, parse_phones
from gateway.schema import enums as E
from gateway.schema.node import Node

if TYPE_CHECKING:
    from gateway.schema.party import PartyMember


def masked_id(raw: Any) -> str | None:
    ident = parse_id(raw)
    if ident.value:
        return mask_id(ident.value)
    if ident.kind == "masked":
        return str(raw).strip()
    return None


def masked_phone(raw: Any) -> str | None:
    phones = parse_phones(raw)
    if not phones:
        return None
    first = phones[0]
    if first.value and first.kind == "mobile":
        return mask_phone(first.value)
    if first.kind == "masked":
        return f"{first.prefix or ''}****{first.suffix or ''}"
    return None


@strawberry.type(description="来源 — which body and record a value came from, and when it was read")
class Provenance:
    partner: str = strawberry.field(description="Partner slug, e.g. `hall`")
    body: str = strawberry.field(description="The body's name (中文)")
    entity: str
    local_id: str = strawberry.field(description="The record's id in the body's own system")
    read_at: datetime
    live: bool = strawberry.field(description="Read live for this request (false: a file drop or snapshot)")
    stale: bool = strawberry.field(
        description="Served from the last snapshot because the body's live read failed: "
        "`readAt` is when the snapshot was read, `ageSeconds` how old it is")

    @strawberry.field(description="Seconds between reading the value and answering")
    def age_seconds(self) -> float:
        return round((datetime.now(UTC) - self.read_at).total_seconds(), 3)

    @classmethod
    def of(cls, record: Record, body: str) -> Provenance:
        return cls(partner=record.partner, body=body, entity=record.entity,
                   local_id=record.local_id, read_at=record.read_at, live=record.live,
                   stale=record.stale)


@strawberry.type(description="居民 — a resident as the residents' committee registers them")
class Resident(Node):
    name: str | None
    gender: E.Gender | None
    birth_date: str | None
    relation_to_head: E.RelationToHead | None = strawberry.field(description="与户主关系")
    relation_text: str | None = strawberry.field(description="与户主关系 as the registry wrote it")
    population_type: E.PopulationType | None = strawberry.field(description="人口类型")
    tags: list[str] = strawberry.field(description="标签: 低保, 残疾, 独居老人…")
    resident_id_masked: str | None = strawberry.field(description="公民身份号码, masked")
    deregistered: bool = strawberry.field(description="注销/迁出 recorded but still listed")
    source: Provenance
    id_raw: strawberry.Private[str | None] = None
    phone_raw: strawberry.Private[str | None] = None
    # (household key, community code) and the identity level this resident was shown at.
    scope: strawberry.Private[tuple[str, str] | None] = None
    identity_level: strawberry.Private[str] = "masked"

    @strawberry.field(description="公民身份号码: in full with a full identity grant, else masked")
    def resident_id(self) -> str | None:
        if self.identity_level == "full":
            return parse_id(self.id_raw).value or self.resident_id_masked
        return self.resident_id_masked

    @strawberry.field(description="Phone, masked (contact field group)")
    def phone_masked(self, info: strawberry.Info) -> str | None:
        self._contact(info)
        return masked_phone(self.phone_raw)

    @strawberry.field(description="Phone: in full with a full contact grant, else masked")
    def phone(self, info: strawberry.Info) -> str | None:
        if self._contact(info) == "full":
            found = [p.value for p in parse_phones(self.phone_raw) if p.value]
            return found[0] if found else masked_phone(self.phone_raw)
        return masked_phone(self.phone_raw)

    def _contact(self, info: strawberry.Info) -> str:
        household, community = self.scope or ("", "")
        level: str = info.context.access.level("contact", household, community)
        return level


@strawberry.type(description="服务记录 — a service one body delivered: 办件, 代办, 困难帮扶, 结对, 维权")
class ServiceRecord:
    kind: E.ServiceKind
    number: str | None
    title: str | None
    status: str | None = strawberry.field(description="Unified status code where known")
    status_text: str | None = strawberry.field(description="The body's own status wording")
    opened_at: str | None
    closed_at: str | None
    source: Provenance


@strawberry.type(description="当事人")
class DisputeParty:
    role: str | None
    name: str | None


@strawberry.type(description="矛盾纠纷 — a dispute, de-duplicated across the bodies that reported it")
class Dispute(Node):
    number: str | None = strawberry.field(description="卷号")
    category: E.DisputeCategory
    category_text: str | None
    intake: E.DisputeSource | None = strawberry.field(description="案件来源")
    risk_level: E.RiskLevel | None
    mediation_type: E.MediationType | None
    status: E.DisputeStatus
    occurred_on: str | None
    accepted_on: str | None
    summary: str | None
    parties: list[DisputeParty]
    related_ticket_number: str | None = strawberry.field(description="关联工单号 (12345)")
    also_reported_by: list[Provenance] = strawberry.field(
        description="The same dispute as other bodies recorded it (e.g. a 12345 work order)"
    )
    source: Provenance


@strawberry.type(description="诉求 — a 12345 work order or a petition (信访件)")
class Appeal:
    kind: E.AppealKind
    number: str | None
    channel: E.AppealChannel | None
    appeal_type: E.AppealType | None = strawberry.field(description="诉求类型")
    category: str | None = strawberry.field(description="诉求分类 / 信访事项")
    status: str | None
    received_at: str | None
    due_at: str | None
    closed_at: str | None
    satisfaction: E.Satisfaction | None
    handling_unit: str | None
    duplicate_of: str | None = strawberry.field(description="重复件关联工单号")
    source: Provenance


@strawberry.type(description="五卡连民心 — a care card issued to a household member")
class CareCard:
    kind: E.CareCardKind | None
    number: str | None
    status: E.CareCardStatus
    holder: str | None
    issued_on: str | None
    source: Provenance


@strawberry.type(description="党员联系户走访 — a Party member's contact visit to the household")
class ContactVisit:
    visited_on: str | None
    mode: E.VisitMode | None
    note: str | None
    member_local_id: strawberry.Private[str | None]
    source: Provenance
    # The party level the visit was shown at: the member's name is masked unless it is full.
    party_level: strawberry.Private[str] = "masked"

    @strawberry.field(description="The visiting member")
    async def member(
        self, info: strawberry.Info
    ) -> Annotated[PartyMember, strawberry.lazy("gateway.schema.party")] | None:
        from gateway.resolvers.party import member_by_local_id

        member = await member_by_local_id(info, self.source.partner, self.member_local_id)
        if member is None or self.party_level == "full":
            return member
        return replace(member, name=mask_name(member.name))


@strawberry.type(description="One attribute's part in a link's score")
class LinkEvidence:
    attribute: str = strawberry.field(description="idNumber, name, addressRoom, phone, …")
    weight: float = strawberry.field(description="Positive when it agreed, negative when not")


def link_evidence(evidence: dict[str, Any] | None) -> list[LinkEvidence]:
    agreements = (evidence or {}).get("agreements") or {}
    return [LinkEvidence(attribute=k, weight=float(v)) for k, v in
            sorted(agreements.items(), key=lambda kv: -abs(float(kv[1])))]


@strawberry.type(description="来源记录 — one body's record linked to this household")
class SourceRecord:
    partner: str
    body: str
    entity: str
    local_id: str
    subject: int = strawberry.field(description="Which subject of the record (a dispute's party)")
    read_at: datetime
    link_method: str = strawberry.field(
        description="How it was linked: anchor (the registry itself), the attribute that weighed "
        "most (idNumber, name, addressRoom, phone…), place, or human")
    confidence: float
    status: E.LinkStatus
    evidence: list[LinkEvidence] = strawberry.field(
        default_factory=list,
        description="Each attribute that agreed (+) or disagreed (−) and its weight in the score")
    score: float | None = strawberry.field(default=None, description="Sum of the weights")
    decided_by: str | None = strawberry.field(default=None, description="Who decided (human)")
    decided_at: datetime | None = None

    @strawberry.field(description="SourceRecord:<partner>:<entity>:<local id>:<subject>")
    def id(self) -> strawberry.ID:
        return strawberry.ID(f"SourceRecord:{self.partner}:{self.entity}:{self.local_id}:"
                             f"{self.subject}")
