"""The operations the IDE opens with: one set of tabs per user group, from gateway/examples.py.

Each tab starts with a comment naming its group and what to do next, carries variables to edit
and a headers hint for the group's purpose. Values in angle brackets are placeholders: the
page's fetcher sends no header whose value still holds one (ide.js), so a tab runs — as the
anonymous caller of a development gateway — before a key is pasted in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from gateway import examples

KEY_PLACEHOLDER = "Bearer <your agency's API key: gateway key issue AGENCY>"
OFFICER_PLACEHOLDER = "<your name or number>"
BRIEF_DAYS = 90


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    title: str
    purpose: str  # the X-Purpose its grants are for (docs/access.md)

    def headers(self) -> dict[str, str]:
        return {"Authorization": KEY_PLACEHOLDER, "X-Purpose": self.purpose,
                "X-Officer": OFFICER_PLACEHOLDER}


@dataclass(frozen=True, slots=True, kw_only=True)
class Tab:
    group: Group
    hint: str
    document: str  # an operation of gateway/examples.py
    variables: dict[str, Any]

    @property
    def query(self) -> str:
        """The document under a comment: GraphiQL names a tab by its operation, not its group."""
        return f"# {self.group.title}\n# {self.hint}\n{self.document}"


OFFICER = Group(title="Agency officer (办案人员)", purpose="case_handling")
MEETING = Group(title="Coordination meeting (协调会)", purpose="joint_meeting")
DEVELOPER = Group(title="Front-end developer (前端开发)", purpose="case_handling")


def _period(today: date) -> dict[str, str]:
    return {"from": (today - timedelta(days=BRIEF_DAYS - 1)).isoformat(), "to": today.isoformat()}


def tabs(today: date) -> list[Tab]:
    """Every group's tabs, in the order the IDE shows them (the first is open)."""
    return [
        Tab(group=OFFICER, hint="find a household by its address, then open its id in "
            "Household360", document=examples.FIND_BY_ADDRESS, variables={"address": "1号楼"}),
        Tab(group=OFFICER, hint="one household across every body; paste an id found by address",
            document=examples.HOUSEHOLD_360, variables={"id": "Household:<key>"}),
        Tab(group=MEETING, hint="the communities of the district, with their ids",
            document=examples.COMMUNITIES, variables={}),
        Tab(group=MEETING, hint="the brief of one community over a period (the last "
            f"{BRIEF_DAYS} days here)", document=examples.COORDINATION_BRIEF,
            variables={"community": "Community:<code>", "period": _period(today)}),
        Tab(group=DEVELOPER, hint="households page by page: pass pageInfo.endCursor as `after`",
            document=examples.HOUSEHOLDS_PAGE, variables={"first": 10, "after": None}),
        Tab(group=DEVELOPER, hint="each body's systems and their health now",
            document=examples.PARTNERS, variables={}),
        Tab(group=DEVELOPER, hint="any object by its global id (Household:…, Community:…, "
            "Resident:…, Dispute:…, PartyMember:…)", document=examples.NODE,
            variables={"id": "Household:<key>"}),
    ]
