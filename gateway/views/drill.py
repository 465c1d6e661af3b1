"""The list behind a figure of the brief (drill-down): the figure's SQL (`Drill`), paged with
keyset cursors over its stable order, its rows shown as brief items — one statement a page,
which also counts the whole list. Records of the kinds the viewer may not read are left out of
the list and counted apart (`withheld`).

A cursor names the last item of a page (a record by partner, entity and local id; a household
by id; a place by kind and id), not a position: the next page starts after that item wherever
it now stands, so items added before it do not repeat or skip the rest. A cursor whose item is
no longer in the list is refused (`CURSOR_STALE`): start again from the first page.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
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

# The items listed (the drill's rows but those of a withheld kind, still numbered in the drill's
# order), their total, how many were withheld and the last one's number; where the cursor's
# item stands (NULL: not listed); and one page of the listed items after it. An empty page is
# one row of NULLs beside the totals, so that a page is always one round trip.
_PAGE = """
WITH drill AS ({sql}), numbered AS (
  SELECT d.*, {identity} AS identity, row_number() OVER () AS n FROM drill d
), listed AS (SELECT x.* FROM numbered x WHERE {listed})
SELECT t.total, t.last, (SELECT count(*) FROM numbered) - t.total AS withheld,
       {withheld_kinds} AS withheld_kinds, a.anchor, p.*
FROM (SELECT count(*) AS total, max(n) AS last FROM listed) t
CROSS JOIN (SELECT coalesce((SELECT min(n) FROM listed WHERE identity = ${after}::text[]),
                            CASE WHEN ${after}::text[] IS NULL THEN 0 END) AS anchor) a
LEFT JOIN LATERAL ({page}) p ON true
ORDER BY p.n
"""
_PAGE_OF = "SELECT * FROM listed WHERE n > a.anchor ORDER BY n LIMIT ${limit}"

# A record of a withheld kind (facts lists only; $w the kinds), and the kinds found withheld.
_OF_KIND = """EXISTS (SELECT FROM facts f WHERE (f.partner, f.entity, f.local_id)
                      = (x.partner, x.entity, x.local_id) AND f.kind = ANY(${w}::text[]))"""
_KINDS_WITHHELD = """ARRAY(SELECT DISTINCT f.kind FROM numbered x JOIN facts f
                       ON (f.partner, f.entity, f.local_id) = (x.partner, x.entity, x.local_id)
                       WHERE f.kind = ANY(${w}::text[]) ORDER BY f.kind)"""

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


def _statement(drill: Drill, *, withholds: bool) -> str:
    """The page statement of `drill`: its own parameters, then the cursor's identity and the
    page's size, then (`withholds`: a facts list some of whose kinds the viewer may not read)
    the kinds withheld."""
    given = 5 if drill.cadence else 4
    page = _PAGE_OF.format(limit=given + 2)
    listed, kinds = "true", "ARRAY[]::text[]"
    if withholds:
        listed = "NOT " + _OF_KIND.format(w=given + 3)
        kinds = _KINDS_WITHHELD.format(w=given + 3)
    return _PAGE.format(sql=drill.sql.strip().rstrip(";"), identity=_IDENTITY[drill.rows],
                        listed=listed, withheld_kinds=kinds, after=given + 1,
                        page=_SHOWN[drill.rows].format(page=page))


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
                first: int, after: str | None,
                withheld: Collection[str] = ()) -> BriefItemConnection:
    """A page of the list behind `figure`; records of the kinds in `withheld` (the ones the
    viewer may not read) are left out of the list and its `totalCount`, and counted apart."""
    known = drills()
    drill = known.get(figure)
    if drill is None:
        raise UnknownFigure(f"no figure {figure!r} to list", figure=figure,
                            known=sorted(known))
    first = max(0, min(first, MAX_PAGE))
    identity = list(keyset_key(_TAG, after, _WIDTH[drill.rows])) if after else None
    cadence = (scope.visits_per_household,) if drill.cadence else ()
    withholds = drill.rows == "facts" and bool(withheld)
    kinds = (sorted(withheld),) if withholds else ()
    rows = await conn.fetch(_statement(drill, withholds=withholds), scope.community,
                            scope.start, scope.end, key, *cadence, identity, first, *kinds)
    if rows[0]["anchor"] is None:
        raise StaleCursor("the item this cursor names is no longer in the list: start again "
                          "from the first page", cursor=after, figure=figure)
    total = int(rows[0]["total"])
    listed = [r for r in rows if r["n"] is not None]
    edges = [BriefItemEdge(cursor=keyset_cursor(_TAG, r["identity"]), node=_item(r, drill.rows))
             for r in listed]
    end = edges[-1].cursor if edges else None
    more = bool(listed) and int(listed[-1]["n"]) < int(rows[0]["last"])
    return BriefItemConnection(
        edges=edges, page_info=PageInfo(has_next_page=more, end_cursor=end), total_count=total,
        withheld=int(rows[0]["withheld"]), withheld_kinds=list(rows[0]["withheld_kinds"]),
        items=[e.node for e in edges], total=total, end_cursor=end, has_next_page=more)
