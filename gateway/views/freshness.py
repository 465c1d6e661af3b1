"""How current each partner's part of a brief is: its last completed sync, and whether it has
a snapshot at all — a partner never synced is reported, never counted as zeros."""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import datetime

import asyncpg
import orjson

from gateway.schema.brief import PartnerFreshness

# The entities each brief section is computed from.
SECTIONS: dict[str, frozenset[str]] = {
    "disputes": frozenset({"dispute", "ticket", "rights_case"}),
    "appeals": frozenset({"ticket", "petition", "reception"}),
    "services": frozenset({"service_case", "errand", "care_card", "hardship_file", "pairing",
                           "rights_case"}),
    "chain": frozenset({"organization", "responsibility", "household"}),
    "visits": frozenset({"contact_visit", "responsibility", "member"}),
    "meetings": frozenset({"meeting"}),
    "needs": frozenset({"hardship_file", "care_card", "ticket", "rights_case", "dispute",
                        "resident", "contact_visit"}),
    "property": frozenset({"occupancy", "repair_order", "owner_vote"}),
}


def _sections(entities: list[str]) -> list[str]:
    return [s for s, feeds in SECTIONS.items() if feeds & set(entities)]


def _list(value: object) -> list[str]:
    if isinstance(value, str):
        value = orjson.loads(value)
    return [str(v) for v in value] if isinstance(value, list) else []


async def freshness(conn: asyncpg.Connection, now: datetime, *, stale_after_s: float,
                    configured: Mapping[str, tuple[str, list[str]]],
                    down: Set[str]) -> list[PartnerFreshness]:
    """Each partner, configured here or registered by a sync: OK, STALE, NO_SNAPSHOT, or DOWN
    (its breaker is open in this process). `configured`: slug → (Chinese name, entities)."""
    rows = await conn.fetch(
        """SELECT p.slug, p.name_zh, p.entities,
                  max(s.last_sync_at) FILTER (WHERE s.records > 0 OR s.cursor IS NOT NULL)
                    AS as_of
           FROM partners p LEFT JOIN sync_state s ON s.partner = p.slug
           GROUP BY p.slug""")
    known = {r["slug"]: (r["name_zh"], _list(r["entities"]), r["as_of"]) for r in rows}
    for slug, (name, entities) in configured.items():
        if slug not in known:
            known[slug] = (name, entities, None)
    out = []
    for slug, (name, entities, as_of) in sorted(known.items()):
        age = (now - as_of).total_seconds() if as_of else None
        status = ("NO_SNAPSHOT" if as_of is None else "DOWN" if slug in down
                  else "STALE" if age is not None and age > stale_after_s else "OK")
        out.append(PartnerFreshness(partner=slug, name=name, as_of=as_of,
                                    age_seconds=round(age, 1) if age is not None else None,
                                    status=status, sections=_sections(entities)))
    return out
