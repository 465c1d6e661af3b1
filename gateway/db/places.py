"""Store queries for records that belong to a community's compounds rather than to one
household: a compound's owners' roster and ballots (many owners live elsewhere), its repair
orders and rooms — placed by the rule of `gateway.db.compounds`, the one the brief counts by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from gateway.db.compounds import attributed
from gateway.db.store import LinkRow, Store, _link

__all__ = ["PROPERTY_KINDS", "CompoundLink", "compound_names", "records_in_compounds"]

# The facts of the property bodies' records, by entity (gateway/views/facts.py).
PROPERTY_KINDS = {"occupancy": "occupancy", "repair_order": "repair", "owner": "owner",
                  "owner_vote": "vote"}


@dataclass(frozen=True, slots=True)
class CompoundLink:
    """A record of the community and the compound it counts in (None: in none of them)."""

    compound: str | None
    link: LinkRow


async def compound_names(store: Store, community: str) -> list[str]:
    rows = await store.fetch(
        "SELECT name FROM compounds WHERE community_code = $1 ORDER BY name", community)
    return [r["name"] for r in rows]


def _sql(kinds: tuple[str, ...]) -> str:
    return f"""WITH {attributed(kinds)}
SELECT cp.name AS compound, l.household_id, l.person_id, s.partner, s.entity, s.local_id,
       s.subject, coalesce(l.method, 'place') AS method,
       coalesce(l.confidence, 1.0) AS confidence, coalesce(l.status, 'auto') AS status,
       s.read_at, s.attrs
FROM attributed a
JOIN source_records s ON (s.partner, s.entity, s.local_id, s.subject)
                       = (a.partner, a.entity, a.local_id, 0)
LEFT JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
LEFT JOIN compounds cp ON cp.id = a.compound_id
WHERE a.community = $1 AND a.entity = ANY($2::text[])
ORDER BY s.partner, s.entity, s.local_id"""


async def records_in_compounds(
    store: Store, entities: Sequence[str], *, community: str
) -> list[CompoundLink]:
    """First-subject records of `entities` (property entities) that count in `community`, each
    with the compound of it they count in."""
    kinds = tuple(sorted({PROPERTY_KINDS[e] for e in entities if e in PROPERTY_KINDS}))
    if not kinds:
        return []
    rows = await store.fetch(_sql(kinds), community, list(entities))
    return [_placed(r) for r in rows]


def _placed(row: asyncpg.Record) -> CompoundLink:
    data = dict(row)
    compound = data.pop("compound")
    return CompoundLink(compound, _link(data))
