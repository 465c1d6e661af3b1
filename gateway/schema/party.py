"""Party organization types: members and the 包联 responsibility chain."""

from __future__ import annotations

import strawberry

from gateway.schema import enums as E
from gateway.schema.node import Node
from gateway.schema.records import Provenance


@strawberry.type(description="党员 — a Party member from the committee's roster")
class PartyMember(Node):
    name: str | None
    branch: str | None = strawberry.field(description="所在支部 as the roster writes it")
    role: E.MemberRole | None = strawberry.field(description="党员类型")
    membership_status: E.MembershipStatus | None = strawberry.field(description="人员类别")
    is_mobile: bool = strawberry.field(description="流动党员")
    phone_masked: str | None
    source: Provenance


@strawberry.type(description="包联责任 — one link of the responsibility chain")
class Responsibility:
    level: E.ResponsibilityLevel | None
    owner: PartyMember | None
    duty: str | None = strawberry.field(description="职务")
    target: str | None = strawberry.field(description="包联对象 as the ledger writes it")
    source: Provenance
