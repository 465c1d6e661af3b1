"""Grants as data: role × field group × purpose (× communities) → level.

Nothing is allowed unless a grant allows it. A grant applies to the agency's own communities,
or, when it lists communities, only to those of them. Levels: `none` (refused), `masked`
(identifiers masked: `110105********0123`, `138****8000`, names as surname only, birth dates
as the year), `full`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import asyncpg

GROUPS = ("identity", "contact", "health", "welfare", "disputes", "appeals", "party", "property")
LEVELS = ("none", "masked", "full")


@dataclass(frozen=True, slots=True)
class Grant:
    role: str
    group: str
    purpose: str
    level: str
    communities: frozenset[str] | None = None


@dataclass(slots=True)
class Policy:
    rules: dict[tuple[str, str, str], Grant] = field(default_factory=dict)
    purposes: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def of(cls, grants: list[Grant]) -> Policy:
        policy = cls()
        for g in grants:
            policy.rules[(g.role, g.group, g.purpose)] = g
            if g.level != "none":
                policy.purposes[(g.role, g.group)].add(g.purpose)
        return policy

    def level(self, role: str, group: str, purpose: str, community: str) -> str:
        grant = self.rules.get((role, group, purpose))
        if grant is None:
            return "none"
        if grant.communities is not None and community not in grant.communities:
            return "none"
        return grant.level

    def allowed_purposes(self, role: str, group: str) -> list[str]:
        return sorted(self.purposes.get((role, group), ()))


async def load_policy(conn: asyncpg.Pool | asyncpg.Connection) -> Policy:
    rows = await conn.fetch(
        "SELECT role, field_group, purpose, level, communities FROM grants")
    return Policy.of([
        Grant(r["role"], r["field_group"], r["purpose"], r["level"],
              frozenset(r["communities"]) if r["communities"] is not None else None)
        for r in rows
    ])
