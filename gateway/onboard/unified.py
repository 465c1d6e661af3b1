"""The unified model a definition maps into: per entity, its `Record.data` fields.

A definition may only map onto fields listed here (a typo is refused, not stored as a key no
resolver reads). Each field says whether it is personal — personal fields must sit in a field
group of gateway/auth/policy.py; only non-personal ones (codes, statuses, categories, dates,
amounts) may be `public` — and, for enum fields, the values it takes: a value map onto an enum
field may only produce those values. Entities and keys follow docs/partners.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UnifiedField:
    personal: bool = False
    enum: tuple[str, ...] | None = None


P = UnifiedField(personal=True)  # names, phones, ID numbers, addresses, free text about a person
F = UnifiedField()  # codes, statuses, categories, dates, amounts


def _enum(*values: str) -> UnifiedField:
    return UnifiedField(enum=values)


OCCUPANCY = _enum("OWNER_OCCUPIED", "RENTED", "VACANT")
REPAIR_STATUS = _enum("REPORTED", "DISPATCHED", "IN_REPAIR", "AWAITING_RATING", "DONE",
                      "CANCELLED")
REPAIR_CATEGORY = _enum("WATER_ELECTRIC", "DOOR_WINDOW", "COMMON_AREA", "ELEVATOR", "GREENING")
VOTE_CHOICE = _enum("FOR", "AGAINST", "ABSTAIN")
HARDSHIP_LEVEL = _enum("DEEP", "RELATIVE", "ACCIDENTAL")

ENTITIES: Mapping[str, Mapping[str, UnifiedField]] = {
    # 妇联 维权来访登记 (the women's federation)
    "rights_case": {"number": F, "name": P, "idNumber": P, "phone": P, "address": P,
                    "channel": F, "category": F, "handling": P, "openedOn": F, "followUp": P,
                    "body": F},
    # 工会 / 共青团
    "hardship_file": {"number": F, "name": P, "idNumber": P, "phone": P, "address": P,
                      "employer": P, "level": HARDSHIP_LEVEL, "reason": P, "openedOn": F,
                      "body": F},
    "volunteer": {"number": F, "name": P, "idNumber": P, "phone": P, "team": F,
                  "registeredOn": F, "serviceHours": F, "body": F},
    "pairing": {"number": F, "name": P, "school": P, "phone": P, "address": P, "kind": F,
                "mentor": P, "openedOn": F, "body": F},
    # 物业 property company
    "project": {"code": F, "compound": F, "company": F, "companyCode": F, "address": F,
                "roomCodeStyle": F, "aliases": F},
    "occupancy": {"roomCode": P, "building": F, "entrance": F, "room": F, "area": F,
                  "ownerName": P, "ownerPhone": P, "occupancy": OCCUPANCY, "tenantName": P,
                  "tenantPhone": P, "parkingSpace": F, "feeRate": F, "arrearsMonths": F,
                  "arrearsAmount": F, "compound": F},
    "repair_order": {"number": F, "reportedAt": F, "roomCode": P, "reporter": P, "phone": P,
                     "category": REPAIR_CATEGORY, "content": P, "worker": F,
                     "status": REPAIR_STATUS, "finishedAt": F, "rating": F, "hotlineRef": F,
                     "compound": F, "source": F},
    # 业委会 owners' committee
    "owner": {"roomCode": P, "ownerName": P, "area": F, "committeeRole": F, "compound": F,
              "phone": P},
    "owner_vote": {"matter": F, "roomCode": P, "ownerName": P, "area": F, "choice": VOTE_CHOICE,
                   "method": F, "votedOn": F, "compound": F},
}
