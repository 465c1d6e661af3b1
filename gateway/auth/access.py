"""The per-request guard: may this request see this field group of this household, and how?

The schema asks `level(group, household, community)` before it shows personal data. The answer
is a level (`masked`, `full`), or a coded error for that field alone — `PURPOSE_REQUIRED`,
`PURPOSE_NOT_ALLOWED`, `FORBIDDEN_FIELD`, `OFFICER_REQUIRED` — while the rest of the answer
still returns. Every
level granted is remembered (household × field group) for the request's audit entry.
Households outside the agency's communities are never shown at all: `sees` filters them before
any field is asked for, so nothing says whether they exist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from gateway.auth.policy import Policy
from gateway.auth.principal import Principal
from gateway.errors import ForbiddenField, OfficerRequired, PurposeNotAllowed, PurposeRequired
from gateway.linkage.normalize.dates import parse_date

# Purposes that may read aggregates only (`households { totalCount }`), never a household.
AGGREGATE_PURPOSES = frozenset({"statistics"})


@dataclass(slots=True)
class Access:
    principal: Principal
    policy: Policy
    touched: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _levels: dict[tuple[str, str], str] = field(default_factory=dict)

    def sees(self, community: str | None) -> bool:
        agency = self.principal.agency
        return agency is not None and agency.sees(community)

    def visible(self, communities: Iterable[str]) -> list[str]:
        agency = self.principal.agency
        return agency.visible(communities) if agency else []

    @property
    def communities(self) -> list[str] | None:
        """The communities this request may see, for store queries: None is every one."""
        agency = self.principal.agency
        if agency is None:
            return []
        return None if "*" in agency.communities else sorted(agency.communities)

    def households_allowed(self) -> None:
        """A purpose that gets aggregates only (statistics) sees no household object: totals,
        not families. Raises the coded refusal."""
        purpose = self.principal.purpose
        if purpose in AGGREGATE_PURPOSES:
            raise PurposeNotAllowed(f"the purpose {purpose!r} gets aggregates only: counts, "
                                    "not households", purpose=purpose)

    def level(self, group: str, household: str, community: str) -> str:
        """`masked` or `full` for this household's `group`, or raise the coded refusal."""
        level = self.check(group, community)
        self.touched[household].add(group)
        return level

    def check(self, group: str, community: str) -> str:
        """The level `group` is granted at in `community` for this request, or raise the coded
        refusal — without recording a read (for data about no household: Party members)."""
        agency = self.principal.agency
        if agency is None or not agency.sees(community):
            raise ForbiddenField(f"no grant for {group}", group=group)
        purpose = self.principal.purpose
        if purpose is None:
            raise PurposeRequired(f"reading {group} data needs a declared purpose (X-Purpose)",
                                  group=group)
        if not self.principal.officer:
            raise OfficerRequired(f"reading {group} data needs the officer who asks "
                                  "(X-Officer, or the token's name)", group=group)
        if purpose in AGGREGATE_PURPOSES:  # counts, not people — whatever a grant says
            raise PurposeNotAllowed(f"the purpose {purpose!r} gets aggregates only: no {group} "
                                    "data", group=group, purpose=purpose)
        key = (group, community)
        level = self._levels.get(key)
        if level is None:
            level = self._levels[key] = self.policy.level(agency.role, group, purpose, community)
        if level == "none":
            allowed = self.policy.allowed_purposes(agency.role, group)
            if allowed:
                raise PurposeNotAllowed(f"{group} is not granted for the purpose {purpose!r}",
                                        group=group, purpose=purpose, allowed=allowed)
            raise ForbiddenField(f"no grant for {group}", group=group)
        return level

    def read(self, group: str, household: str) -> None:
        """Record a read of `household`'s `group` data that a grant checked in another community
        allowed (a compound's committee names owners wherever they live)."""
        self.touched[household].add(group)

    @property
    def groups(self) -> set[str]:
        return {g for groups in self.touched.values() for g in groups}


def mask_name(name: str | None) -> str | None:
    """王芳 → 王*, 欧阳丽华 → 欧阳**: the surname stays, so a caseworker can still address them."""
    if not name:
        return name
    surname = name[:2] if name[:2] in {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫"} else name[:1]
    return surname + "*" * max(1, len(name) - len(surname))


def mask_date(value: str | None) -> str | None:
    """A birth date to its year, read as linkage reads dates (`1958年3月2日`, `58.3.2`, an Excel
    serial); None when it is no date: the first digits of an unreadable value could be anything
    of it, the month and day included."""
    if not value:
        return value
    parsed = parse_date(value)
    return str(parsed.year) if parsed else None
