"""The brief's 四位一体 section: what the property company and the owners' committee add, per
compound of the community — repair orders (报修) opened, done and open at the period's end,
rooms and their occupancy, rooms in arrears of property fees (欠费) and their months, and the
owners' votes (业主表决) held in the period.

Property records name their compound (`place`) and a room; a room linkage placed counts in its
household's compound, one it did not (a vacant room no register lists) in the compound it names.
Occupancy and arrears are as last synced (the ledger keeps no history); repairs and ballots are
counted by their dates. `DRILLS` names the list behind every figure; a compound's figures take
its id as the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
import strawberry

from gateway.schema.brief import CompoundPropertyFigures, PropertyFigures
from gateway.views.scope import Drill, Scope

__all__ = ["DRILLS", "property_figures"]

# One row per property fact of the community, in the compound it counts in, with its flags.
FACTS = """
WITH comp AS (SELECT id, name FROM compounds WHERE community_code = $1),
prop AS (
  SELECT f.partner, f.entity, f.local_id, f.kind, f.status, f.topic, f.subkind, f.quantity,
         f.opened_on, f.closed_on, f.category,
         coalesce(h.compound_id, (SELECT c.id FROM comp c WHERE c.name = f.place
                                  ORDER BY c.id LIMIT 1)) AS compound_id,
         f.kind = 'repair' AND f.opened_on BETWEEN $2 AND $3 AS repair_opened,
         f.kind = 'repair' AND f.status = 'DONE'
           AND coalesce(f.closed_on BETWEEN $2 AND $3, false) AS repair_done,
         f.kind = 'repair' AND f.opened_on <= $3
           AND (f.closed_on > $3 OR f.closed_on IS NULL AND f.is_open) AS repair_open_at_end,
         f.kind = 'occupancy' AND f.category = 'ARREARS' AS in_arrears,
         f.kind = 'vote' AND f.opened_on BETWEEN $2 AND $3 AS ballot
  FROM facts f LEFT JOIN households h ON h.id = f.household_id
  WHERE f.kind IN ('repair', 'occupancy', 'vote') AND $2::date <= $3::date
    AND (f.community_code = $1
         OR f.community_code IS NULL AND f.place IN (SELECT name FROM comp))
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
_COUNTS = ",\n  ".join(f"{sql} AS {name}" for name, sql in _MEASURES.items())
_NAMES = ", ".join(f"x.{name}" for name in _MEASURES)

# The community's row (id NULL), then every compound of it, in name order — those with
# nothing counted too (their counts NULL here, zero once shaped).
FIGURES = FACTS + f""",
counted AS (SELECT compound_id, {_COUNTS} FROM prop GROUP BY compound_id),
total AS (SELECT {_COUNTS} FROM prop)
SELECT * FROM (
  SELECT 0 AS ord, NULL::text AS id, NULL::text AS name, x.* FROM total x
  UNION ALL
  SELECT 1, c.id::text, c.name, {_NAMES} FROM comp c LEFT JOIN counted x ON x.compound_id = c.id
) r
ORDER BY ord, name, id
"""

_ORDER = "ORDER BY opened_on DESC NULLS LAST, partner, entity, local_id"
_IN = "($4::text IS NULL OR compound_id::text = $4)"


def _drill(where: str) -> Drill:
    return Drill("facts", f"{FACTS}\nSELECT partner, entity, local_id FROM prop\n"
                          f"WHERE {where} AND {_IN}\n{_ORDER}")


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
SELECT 'matter' AS kind, topic AS id, topic AS label FROM prop
WHERE ballot AND topic IS NOT NULL AND {_IN}
GROUP BY topic ORDER BY topic"""),
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
    return PropertyFigures(total=_figures(total), by_compound=[_figures(r) for r in compounds])
