"""The status machines of DOMAIN.md §3: what a later sync may find a stored record in."""

from __future__ import annotations

import pytest

from gateway.adapters.partners import hall, hotline, rc
from gateway.schema.enums import CareCardStatus, DisputeStatus
from gateway.sync.machines import MACHINES, RECEPTION, violation


@pytest.mark.parametrize(("entity", "before", "after"), [
    ("ticket", "RECEIVED", "ARCHIVED"),  # several steps between two syncs
    ("ticket", "FOLLOW_UP", "IN_PROGRESS"),  # 重办 goes back to work
    ("ticket", "RETURN_REVIEW", "PENDING_DISPATCH"),  # 改派
    ("dispute", "PERFORMING", "IN_MEDIATION"),  # breach: reopened, mediated again
    ("dispute", "REGISTERED", "ESCALATED"),  # red risk escalates any open case
    ("petition", "OPINION_ISSUED", "RE_REVIEW_REQUESTED"),
    ("service_case", "SUPPLEMENT_REQUIRED", "EVALUATED"),
    ("care_card", "ISSUED", "EXPIRED"),
    ("reception", "IN_PROGRESS", "REPLIED"),
    ("reception", "TRANSFERRED", "REPLIED"),  # the unit in charge answered later
    ("ticket", "ARCHIVED", "ARCHIVED"),  # unchanged
    ("ticket", "UNKNOWN", "RECEIVED"),  # a state the machine does not know says nothing
    ("ticket", "ARCHIVED", "UNKNOWN"),
    ("household", "A", "B"),  # no machine
])
def test_reachable_changes_pass(entity: str, before: str, after: str) -> None:
    assert violation(entity, before, after) is None


@pytest.mark.parametrize(("entity", "before", "after"), [
    ("ticket", "ARCHIVED", "RECEIVED"),  # a closed ticket does not start again
    ("ticket", "SIGNED", "PENDING_DISPATCH"),  # signed work is not dispatched anew
    ("dispute", "CLOSED", "IN_MEDIATION"),
    ("dispute", "CLOSED", "ESCALATED"),  # escalation is for open cases
    ("petition", "NOT_ACCEPTED", "HANDLING"),
    ("service_case", "EVALUATED", "ACCEPTED"),
    ("errand", "RETURNED_TO_RESIDENT", "RECEIVED"),
    ("care_card", "REVOKED", "ACTIVE"),
    ("reception", "REPLIED", "IN_PROGRESS"),
    ("reception", "TRANSFERRED", "IN_PROGRESS"),
])
def test_unreachable_changes_are_named(entity: str, before: str, after: str) -> None:
    reason = violation(entity, before, after)
    assert reason is not None and f"{before} → {after}" in reason
    assert MACHINES[entity].name in reason


@pytest.mark.parametrize(("entity", "states"), [
    ("service_case", hall.CASE_STATUS.values()),
    ("care_card", hall.CARD_STATUS.values()),
    ("errand", hall.ERRAND_STATUS.values()),
    ("ticket", hotline.TICKET_STATUS.values()),
    ("petition", hotline.PETITION_STATUS.values()),
    ("reception", rc.RECEPTION_STATUS.values()),
    ("dispute", [s.value for s in DisputeStatus if s is not DisputeStatus.UNKNOWN]),
    ("care_card", [s.value for s in CareCardStatus if s is not CareCardStatus.UNKNOWN]),
])
def test_every_status_a_partner_maps_to_is_in_its_machine(entity: str, states: list[str]) -> None:
    # A mapped state the machine lacked would never be checked: a silent hole in the sync.
    assert set(states) <= MACHINES[entity].states


def test_every_state_but_the_final_ones_leads_somewhere() -> None:
    finals = {"ARCHIVED", "CLOSED", "NOT_ACCEPTED", "TERMINATED", "ESCALATED", "TRANSFERRED",
              "WITHDRAWN", "EVALUATED", "RETURNED_TO_RESIDENT", "REVOKED", "EXPIRED"}
    for machine in MACHINES.values():
        # A reception's answer ends it; a ticket's REPLIED goes on to its follow-up.
        ends = finals | ({"REPLIED"} if machine is RECEPTION else set())
        for state in machine.states - ends:
            assert machine.reachable[state] - {state}, (machine.name, state)
