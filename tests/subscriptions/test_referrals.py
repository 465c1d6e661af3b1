"""What counts as a referral (gateway/resolvers/events.py), over records as adapters map them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import gateway.app  # noqa: F401  (the schema before the resolvers: their import cycle)
from gateway.adapters.base import Record
from gateway.resolvers.events import Delivery, route
from gateway.schema import from_records as build
from gateway.subscriptions import Event

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def delivery(entity: str, data: dict[str, Any], kind: str, new: str | None) -> Delivery:
    partner = "mediation" if entity == "dispute" else "hotline"
    record = Record(partner, entity, "K1", data, {}, NOW)
    event = Event(1, kind, 1, partner, entity, "K1", 7, "C1", None, new, NOW)  # type: ignore[arg-type]
    if entity == "dispute":
        return Delivery(event, "H1", "人民调解委员会", dispute=build.dispute(record, "调委会", []))
    return Delivery(event, "H1", "12345热线", appeal=build.appeal(record, "12345热线"))


@pytest.mark.parametrize(("entity", "data", "kind", "new", "expected"), [
    ("dispute", {"source": "HOTLINE", "status": "REGISTERED"}, "linked", "REGISTERED",
     "DISPUTE_INTAKE"),
    ("dispute", {"source": "GRID_REPORT", "status": "CLOSED"}, "linked", "CLOSED",
     "DISPUTE_INTAKE"),
    # A party's own application is no referral; nor is a referred dispute's later status change.
    ("dispute", {"source": "PARTY_APPLICATION"}, "linked", "REGISTERED", None),
    ("dispute", {"source": "HOTLINE"}, "status", "IN_MEDIATION", None),
    ("dispute", {"relatedTicketNumber": "123456789012345678"}, "linked", "REGISTERED", None),
    ("ticket", {"channel": "TRANSFER", "status": "RECEIVED"}, "linked", "RECEIVED",
     "TICKET_TRANSFERRED_IN"),
    ("ticket", {"channel": "PHONE", "status": "DISPATCHED"}, "status", "DISPATCHED",
     "TICKET_DISPATCHED"),
    ("ticket", {"channel": "PHONE", "status": "SIGNED"}, "status", "SIGNED", None),
    ("petition", {"status": "TRANSFERRED"}, "status", "TRANSFERRED", "PETITION_TRANSFERRED"),
    ("reception", {"status": "TRANSFERRED"}, "linked", "TRANSFERRED", "RECEPTION_TRANSFERRED"),
    ("reception", {"status": "REPLIED"}, "status", "REPLIED", None),
])
def test_route(entity: str, data: dict[str, Any], kind: str, new: str,
               expected: str | None) -> None:
    assert route(delivery(entity, data, kind, new)) == expected
