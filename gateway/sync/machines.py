"""The status machines of DOMAIN.md §3, over the unified status codes the partner modules map
to, and the one question the sync asks of them: can a record stored in state A now be in B?

A sync sees snapshots, not every step, so the question is reachability (any number of steps,
including none), not one transition. A state the machine does not know (UNKNOWN, a partner's new
wording) answers nothing either way: the record keeps its own wording and is not held back.

Where DOMAIN.md leaves a step implicit the machine allows it rather than quarantine good data:
a card, case or errand may be closed from any open state it names, an invalidated agreement is
mediated again or escalated, a confirmed one is performed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

_OPEN_DISPUTE = ("DISCOVERED", "REGISTERED", "ASSIGNED", "IN_MEDIATION", "AGREEMENT_REACHED",
                 "MEDIATION_FAILED", "JUDICIAL_CONFIRMATION_PENDING", "CONFIRMED", "INVALIDATED",
                 "PERFORMING", "FOLLOWED_UP", "REOPENED")


@dataclass(frozen=True)
class Machine:
    name: str
    steps: Mapping[str, tuple[str, ...]]

    @cached_property
    def states(self) -> frozenset[str]:
        return frozenset(self.steps) | {s for nxt in self.steps.values() for s in nxt}

    @cached_property
    def reachable(self) -> Mapping[str, frozenset[str]]:
        """Every state reachable from each state in zero or more steps."""
        out: dict[str, frozenset[str]] = {}
        for start in self.states:
            seen, todo = {start}, [start]
            while todo:
                for nxt in self.steps.get(todo.pop(), ()):
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
            out[start] = frozenset(seen)
        return out

    def allows(self, before: str, after: str) -> bool:
        if before not in self.states or after not in self.states:
            return True
        return after in self.reachable[before]


_DISPUTE_STEPS: dict[str, tuple[str, ...]] = {
    "DISCOVERED": ("REGISTERED",),
    "REGISTERED": ("NOT_ACCEPTED", "ASSIGNED"),
    "ASSIGNED": ("IN_MEDIATION",),
    "IN_MEDIATION": ("AGREEMENT_REACHED", "MEDIATION_FAILED", "TERMINATED"),
    "MEDIATION_FAILED": ("ESCALATED",),
    "AGREEMENT_REACHED": ("JUDICIAL_CONFIRMATION_PENDING", "PERFORMING"),
    "JUDICIAL_CONFIRMATION_PENDING": ("CONFIRMED", "INVALIDATED"),
    "CONFIRMED": ("PERFORMING",),
    "INVALIDATED": ("IN_MEDIATION", "ESCALATED"),
    "PERFORMING": ("FOLLOWED_UP", "REOPENED", "ESCALATED"),
    "FOLLOWED_UP": ("CLOSED",),
    "REOPENED": ("IN_MEDIATION",),
    **{s: () for s in ("NOT_ACCEPTED", "TERMINATED", "ESCALATED", "CLOSED")},
}
# Any open state with a red risk level is escalated at once.
DISPUTE = Machine("DisputeStatus", {
    state: tuple(dict.fromkeys((*nxt, "ESCALATED"))) if state in _OPEN_DISPUTE else nxt
    for state, nxt in _DISPUTE_STEPS.items()
})

TICKET = Machine("HotlineTicketStatus", {
    "RECEIVED": ("ANSWERED_DIRECTLY", "PENDING_DISPATCH"),
    "ANSWERED_DIRECTLY": ("ARCHIVED",),
    "PENDING_DISPATCH": ("DISPATCHED",),
    "DISPATCHED": ("RETURN_REVIEW", "SIGNED"),
    "RETURN_REVIEW": ("PENDING_DISPATCH", "DISPATCHED"),
    "SIGNED": ("IN_PROGRESS",),
    "IN_PROGRESS": ("REPLIED",),
    "REPLIED": ("FOLLOW_UP",),
    "FOLLOW_UP": ("ARCHIVED", "REOPENED"),
    "REOPENED": ("IN_PROGRESS",),
    "ARCHIVED": (),
})

PETITION = Machine("PetitionStatus", {
    "REGISTERED": ("ACCEPTED", "NOT_ACCEPTED", "TRANSFERRED"),
    "ACCEPTED": ("HANDLING",),
    "HANDLING": ("EXTENDED", "OPINION_ISSUED"),
    "EXTENDED": ("OPINION_ISSUED",),
    "OPINION_ISSUED": ("REVIEW_REQUESTED", "CLOSED"),
    "REVIEW_REQUESTED": ("REVIEWED",),
    "REVIEWED": ("RE_REVIEW_REQUESTED", "CLOSED"),
    "RE_REVIEW_REQUESTED": ("RE_REVIEWED",),
    "RE_REVIEWED": ("CLOSED",),
    **{s: () for s in ("NOT_ACCEPTED", "TRANSFERRED", "CLOSED")},
})

SERVICE_CASE = Machine("ServiceCaseStatus", {
    "SUBMITTED": ("PRE_CHECK",),
    "PRE_CHECK": ("ACCEPTED", "NOT_ACCEPTED", "SUPPLEMENT_REQUIRED"),
    "SUPPLEMENT_REQUIRED": ("PRE_CHECK", "ACCEPTED", "NOT_ACCEPTED"),
    "ACCEPTED": ("PROCESSING", "WITHDRAWN"),
    "PROCESSING": ("DECIDED", "WITHDRAWN"),
    "DECIDED": ("DELIVERED", "EVALUATED"),
    "DELIVERED": ("EVALUATED",),
    **{s: () for s in ("NOT_ACCEPTED", "WITHDRAWN", "EVALUATED")},
})

ERRAND = Machine("ProxyErrandStatus", {
    "RECEIVED": ("SUBMITTED_TO_HALL", "NEEDS_DOCUMENTS"),
    "SUBMITTED_TO_HALL": ("RETURNED_TO_RESIDENT", "NEEDS_DOCUMENTS"),
    "NEEDS_DOCUMENTS": ("RECEIVED", "SUBMITTED_TO_HALL"),
    "RETURNED_TO_RESIDENT": (),
})

CARE_CARD = Machine("CareCardStatus", {
    "ISSUED": ("ACTIVE", "REVOKED", "EXPIRED"),
    "ACTIVE": ("REVOKED", "EXPIRED"),
    **{s: () for s in ("REVOKED", "EXPIRED")},
})

# The residents' committee's reception log (接待登记): answered, or passed on to the unit in
# charge and answered later.
RECEPTION = Machine("ReceptionStatus", {
    "IN_PROGRESS": ("REPLIED", "TRANSFERRED"),
    "TRANSFERRED": ("REPLIED",),
    "REPLIED": (),
})

# Unified entity name -> its machine (entity names are shared by every partner that has them).
MACHINES: Mapping[str, Machine] = {
    "dispute": DISPUTE, "ticket": TICKET, "petition": PETITION,
    "service_case": SERVICE_CASE, "errand": ERRAND, "care_card": CARE_CARD,
    "reception": RECEPTION,
}


def violation(entity: str, before: str | None, after: str | None) -> str | None:
    """Why a record stored in `before` cannot now be in `after`; None when it can (or when the
    entity has no machine, or either state is unknown)."""
    machine = MACHINES.get(entity)
    if machine is None or not before or not after or machine.allows(before, after):
        return None
    return f"status {before} → {after} breaks the {machine.name} machine"
