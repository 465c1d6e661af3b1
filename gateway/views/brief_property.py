"""The brief's 四位一体 section: what the property company and the owners' committee add, per
compound of the community — repair orders (报修) opened, done and open at the period's end,
rooms and their occupancy, rooms in arrears of property fees (欠费) and their months, and the
owners' votes (业主表决) held in the period.

A property record counts in the compound `gateway.db.compounds` attributes it to — the rule
`Community.property` follows too: the compound its name answers to (an owner living elsewhere
does not move it), else its household's. A record whose name answers to compounds of several
communities and that nothing settles counts in none; each of those communities lists it
(`property.unattributed`) and logs how many. Occupancy and arrears are as last synced (the
ledger keeps no history); repairs and ballots are counted by their dates. `DRILLS` names the
list behind every figure; a compound's figures take its id as the key.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import asyncpg
import strawberry

from gateway.db.compounds import INDEXED_KINDS, attributed
from gateway.schema.brief import CompoundPropertyFigures, PropertyFigures
from gateway.views.scope import Drill, Scope

__all__ = ["DRILLS", "property_figures"]

log = logging.getLogger(__name__)

# One row per property fact counting in the community (`counted`), in its compound (NULL: in
# none), with its flags; and one per fact contested between it and another community (not
# `counted`: kept in the same pass, so that the facts are attributed once). Facts are found by
# the names of the community's compounds (ix_facts_place, migration 0013) and by where linkage
# placed them.
FACTS = f"""
WITH {attributed(INDEXED_KINDS)},
comp AS (SELECT id, name FROM compounds WHERE community_code = $1),
prop AS (
  SELECT partner, entity, local_id, kind, status, topic, subkind, quantity, opened_on,
         closed_on, category, compound_id,
         kind = 'repair' AND opened_on BETWEEN $2 AND $3 AS repair_opened,
         kind = 'repair' AND status = 'DONE'
           AND coalesce(closed_on BETWEEN $2 AND $3, false) AS repair_done,
         kind = 'repair' AND opened_on <= $3
           AND (closed_on > $3 OR closed_on IS NULL AND is_open) AS repair_open_at_end,
         kind = 'occupancy' AND category = 'ARREARS' AS in_arrears,
         kind = 'vote' AND opened_on BETWEEN $2 AND $3 AS ballot,
         coalesce(community = $1, false) AS counted
  FROM attributed WHERE (community = $1 OR $1 = ANY(contested)) AND $2::date <= $3::date
)"""

# name -> what it counts, over `prop`.
_MEASURES: dict[str, str] = {
    "rooms": "count(*) FILTER (WHERE kind = 'occupancy')",
    "owner_occupied": "count(*) FILTER (WHERE kind = 'occupancy' AND subkind = 'OWNER_OCCUPIED')",
    "rented": "count(*) FILTER (WHERE kind = 'occupancy' AND subkind = 'RENTED')",
    "vacant": "count(*) FILTER (WHERE kind = 'occupancy' AND subkind = 'VACANT')",
    "repairs_opened": "count(*) FILTER (WHERE repair_opened)",
    "repairs_done": "count(*) FILTER (WHERE repair_done)",
    "repairs_open_at_end": "count(*) FILTER (WHERE repair_open_at_end)",
    "rooms_in_arrears": "count(*) FILTER (WHERE in_arrears)",
    "arrears_months": "coalesce(sum(quantity) FILTER (WHERE in_arrears), 0)::int",
    "matters_voted": "count(DISTINCT topic) FILTER (WHERE ballot)",
    "ballots": "count(*) FILTER (WHERE ballot)",
    "ballot_area": "sum(quantity) FILTER (WHERE ballot)::float8",
}
_SUMS = {name: sql for name, sql in _MEASURES.items() if name != "matters_voted"}
_COUNTS = ",\n  ".join(f"{sql} AS {name}" for name, sql in _SUMS.items())
_ROLLED = ",\n  ".join(f"sum({name})::{'float8' if name == 'ballot_area' else 'bigint'} AS {name}"
                       for name in _SUMS)
_NAMES = ", ".join(f"x.{name}" for name in _MEASURES)

# One pass over the facts, grouped by compound and matter (a vote's `topic`; none for the
# rest), then rolled up: the community's row (id NULL) and every compound of it, in name
# order — those with nothing counted too (their counts NULL here, zero once shaped).
FIGURES = FACTS + f""",
cell AS (
  SELECT compound_id, topic, counted, count(*) AS facts, {_COUNTS}
  FROM prop GROUP BY compound_id, topic, counted
),
counted AS (
  SELECT compound_id, {_ROLLED},
         count(*) FILTER (WHERE ballots > 0 AND topic IS NOT NULL) AS matters_voted
  FROM cell WHERE counted GROUP BY compound_id
),
total AS (  -- a matter put to two compounds' owners is two votes
  SELECT {_ROLLED}, count(*) FILTER (WHERE ballots > 0 AND topic IS NOT NULL) AS matters_voted
  FROM cell WHERE counted
)
SELECT r.*, (SELECT coalesce(sum(facts), 0) FROM cell WHERE NOT counted) AS unattributed FROM (
  SELECT 0 AS ord, NULL::text AS id, NULL::text AS name, {", ".join(f"x.{n}" for n in _SUMS)},
         x.matters_voted FROM total x
  UNION ALL
  SELECT 1, c.id::text, c.name, {", ".join(f"x.{n}" for n in _SUMS)}, x.matters_voted
  FROM comp c LEFT JOIN counted x ON x.compound_id = c.id
) r
ORDER BY ord, name, id
"""

_ORDER = "ORDER BY opened_on DESC NULLS LAST, partner, entity, local_id"
_IN = "($4::text IS NULL OR compound_id::text = $4)"


def _drill(where: str) -> Drill:
    return Drill("facts", f"{FACTS}\nSELECT partner, entity, local_id FROM prop\n"
                          f"WHERE counted AND {where} AND {_IN}\n{_ORDER}")


def _drill_contested() -> Drill:
    # Contested records belong to no compound: the list has no breakdown by compound.
    return Drill("facts", f"{FACTS}\nSELECT partner, entity, local_id FROM prop\n"
                          f"WHERE NOT counted AND $4::text IS NULL\n{_ORDER}")


DRILLS: dict[str, Drill] = {
    "property.rooms": _drill("kind = 'occupancy'"),
    "property.vacant": _drill("kind = 'occupancy' AND subkind = 'VACANT'"),
    "property.rented": _drill("kind = 'occupancy' AND subkind = 'RENTED'"),
    "property.repairsOpened": _drill("repair_opened"),
    "property.repairsDone": _drill("repair_done"),
    "property.repairsOpenAtEnd": _drill("repair_open_at_end"),
    "property.roomsInArrears": _drill("in_arrears"),
    "property.ballots": _drill("ballot"),
    "property.mattersVoted": Drill("places", f"""{FACTS}
SELECT 'matter' AS kind, compound_id::text || '/' || topic AS id,
       (SELECT name FROM comp WHERE id = compound_id) || ' · ' || topic AS label
FROM prop WHERE counted AND ballot AND topic IS NOT NULL AND {_IN}
GROUP BY compound_id, topic ORDER BY topic, compound_id"""),
    "property.unattributed": _drill_contested(),
}


def _figures(row: Mapping[str, Any]) -> CompoundPropertyFigures:
    counts = {name: (row[name] if row[name] is not None else 0)
              for name in _MEASURES if name != "ballot_area"}
    return CompoundPropertyFigures(
        compound_id=strawberry.ID(row["id"]) if row["id"] else None, compound=row["name"],
        ballot_area=row["ballot_area"], **counts)


async def property_figures(conn: asyncpg.Connection, scope: Scope) -> PropertyFigures:
    """The community's 四位一体 figures, and each compound's."""
    rows = await conn.fetch(FIGURES, scope.community, scope.start, scope.end)
    total, *compounds = rows
    if total["unattributed"]:
        log.warning("community %s: %d property records name a compound another community has "
                    "too and count in neither (briefItems figure property.unattributed)",
                    scope.community, total["unattributed"])
    return PropertyFigures(total=_figures(total), by_compound=[_figures(r) for r in compounds])
