"""The list behind a figure of the brief (drill-down): the figure's SQL (`Drill`), paged with
keyset cursors over its stable order, its rows shown as brief items — one statement a page,
which also counts the whole list.

A cursor names the last item of a page (a record by partner, entity and local id; a household
by id; a place by kind and id), not a position: the next page starts after that item wherever
it now stands, so items added before it do not repeat or skip the rest. A cursor whose item is
no longer in the list is refused (`CURSOR_STALE`): start again from the first page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
import strawberry

from gateway.errors import BadRequest
from gateway.schema.brief import BriefItem, BriefItemConnection, BriefItemEdge
from gateway.schema.pagination import PageInfo, keyset_cursor, keyset_key
from gateway.views import brief_cases, brief_chain, brief_property
from gateway.views.scope import Drill, Scope


def drills() -> Mapping[str, Drill]:
    """Every figure's drill; looked up when called (see brief.section_runs)."""
    return {**brief_cases.DRILLS, **brief_chain.DRILLS, **brief_property.DRILLS}


MAX_PAGE = 200

# What names an item of each kind of list, as text.
_IDENTITY = {"facts": "ARRAY[d.partner, d.entity, d.local_id]", "households": "ARRAY[d.id::text]",
             "places": "ARRAY[d.kind, d.id]"}

# The total, where the cursor's item stands (NULL: not in the list), and one page of the drill's
# rows after it, numbered in its order; an empty page is one row of NULLs beside the total, so
# that a page is always one round trip.
_PAGE = """
WITH drill AS ({sql}), numbered AS (
  SELECT d.*, {identity} AS identity, row_number() OVER () AS n FROM drill d)
SELECT t.total, a.anchor, p.*
FROM (SELECT count(*) AS total FROM drill) t
CROSS JOIN (SELECT coalesce((SELECT min(n) FROM numbered WHERE identity = ${after}::text[]),
                            CASE WHEN ${after}::text[] IS NULL THEN 0 END) AS anchor) a
LEFT JOIN LATERAL ({page}) p ON true
ORDER BY p.n
"""
_PAGE_OF = "SELECT * FROM numbered WHERE n > a.anchor ORDER BY n LIMIT ${limit}"

_SHOWN: dict[str, str] = {
    "facts": """
  SELECT x.n, x.identity, f.partner, f.entity, f.local_id, f.kind, f.label, f.status,
         f.category, f.opened_on, f.closed_on, f.due_on, h.key AS household
  FROM ({page}) x
  JOIN facts f ON (f.partner, f.entity, f.local_id) = (x.partner, x.entity, x.local_id)
  LEFT JOIN households h ON h.id = f.household_id
  ORDER BY x.n""",
    "households": """
  SELECT x.n, x.identity, h.key AS household, h.address_key
  FROM ({page}) x JOIN households h ON h.id = x.id
  ORDER BY x.n""",
    "places": "{page}",
}


class UnknownFigure(BadRequest):
    code = "UNKNOWN_FIGURE"


class StaleCursor(BadRequest):
    code = "CURSOR_STALE"


# The list behind a figure names its items by identity: so many strings a kind of row.
_TAG = "bi"
_WIDTH = {"facts": 3, "households": 1, "places": 2}


def _statement(drill: Drill) -> str:
    """The page statement of `drill`: its own parameters, then the cursor's identity and the
    page's size."""
    given = 5 if drill.cadence else 4
    page = _PAGE_OF.format(limit=given + 2)
    return _PAGE.format(sql=drill.sql.strip().rstrip(";"), identity=_IDENTITY[drill.rows],
                        after=given + 1, page=_SHOWN[drill.rows].format(page=page))


# What an item that is not a record (a household, a place, a member) leaves empty.
_NO_RECORD: dict[str, Any] = {"partner": None, "status": None, "category": None,
                              "opened_on": None, "closed_on": None, "due_on": None}


def _item(row: asyncpg.Record, rows: str) -> BriefItem:
    if rows == "places":
        return BriefItem(**_NO_RECORD, local_id=row["id"], kind=row["kind"], label=row["label"],
                         household_id=None)
    household = strawberry.ID(f"Household:{row['household']}") if row["household"] else None
    if rows == "households":
        return BriefItem(**_NO_RECORD, local_id=None, kind="household", label=row["address_key"],
                         household_id=household)
    return BriefItem(partner=row["partner"], local_id=row["local_id"], kind=row["kind"],
                     label=row["label"], status=row["status"], category=row["category"],
                     opened_on=row["opened_on"], closed_on=row["closed_on"],
                     due_on=row["due_on"], household_id=household)


async def items(conn: asyncpg.Connection, scope: Scope, figure: str, key: str | None, *,
                first: int, after: str | None) -> BriefItemConnection:
    known = drills()
    drill = known.get(figure)
    if drill is None:
        raise UnknownFigure(f"no figure {figure!r} to list", figure=figure,
                            known=sorted(known))
    first = max(0, min(first, MAX_PAGE))
    identity = list(keyset_key(_TAG, after, _WIDTH[drill.rows])) if after else None
    cadence = (scope.visits_per_household,) if drill.cadence else ()
    rows = await conn.fetch(_statement(drill), scope.community, scope.start, scope.end, key,
                            *cadence, identity, first)
    if rows[0]["anchor"] is None:
        raise StaleCursor("the item this cursor names is no longer in the list: start again "
                          "from the first page", cursor=after, figure=figure)
    total = int(rows[0]["total"])
    listed = [r for r in rows if r["n"] is not None]
    edges = [BriefItemEdge(cursor=keyset_cursor(_TAG, r["identity"]), node=_item(r, drill.rows))
             for r in listed]
    end = edges[-1].cursor if edges else None
    more = bool(listed) and int(listed[-1]["n"]) < total
    return BriefItemConnection(
        edges=edges, page_info=PageInfo(has_next_page=more, end_cursor=end), total_count=total,
        items=[e.node for e in edges], total=total, end_cursor=end, has_next_page=more)
