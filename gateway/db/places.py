"""Store queries for records that belong to a community's compounds rather than to one
household: a compound's owners' roster and ballots (many owners live elsewhere), its repair
orders and rooms.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.db.store import LinkRow, Store, _link

__all__ = ["compound_names", "records_in_compounds"]


async def compound_names(store: Store, community: str) -> list[str]:
    rows = await store.fetch(
        "SELECT name FROM compounds WHERE community_code = $1 ORDER BY name", community)
    return [r["name"] for r in rows]


async def records_in_compounds(
    store: Store, entities: Sequence[str], *, community: str
) -> list[LinkRow]:
    """First-subject records of `entities` linked to a household of `community`, or whose
    address starts with the name of one of its compounds (an owner who lives elsewhere)."""
    rows = await store.fetch(
        """SELECT l.household_id, l.person_id, s.partner, s.entity, s.local_id, s.subject,
                  coalesce(l.method, 'place') AS method, coalesce(l.confidence, 1.0) AS confidence,
                  coalesce(l.status, 'auto') AS status, s.read_at, s.attrs
           FROM source_records s
           LEFT JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
           LEFT JOIN households h ON h.id = l.household_id
           WHERE s.entity = ANY($1::text[]) AND s.subject = 0
             AND (h.community_code = $2 OR EXISTS (
                   SELECT 1 FROM compounds cp WHERE cp.community_code = $2
                   AND starts_with(s.attrs->'raw'->>'address', cp.name)))
           ORDER BY s.partner, s.entity, s.local_id""",
        list(entities), community,
    )
    return [_link(r) for r in rows]
