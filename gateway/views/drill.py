"""The list behind a figure of the brief (drill-down): the figure's SQL (`Drill`), paged with
offset cursors over its stable order, its rows shown as brief items — one statement a page,
which also counts the whole list."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import asyncpg
import strawberry

from gateway.errors import BadRequest
from gateway.schema.brief import BriefItem, BriefItemConnection
from gateway.views import brief_cases, brief_chain
from gateway.views.scope import Drill, Scope


def drills() -> Mapping[str, Drill]:
    """Every figure's drill; looked up when called (see brief.section_runs)."""
    return {**brief_cases.DRILLS, **brief_chain.DRILLS}


MAX_PAGE = 200

# The total and one page of the drill's rows, numbered in its order; an empty page is one row
# of NULLs beside the total, so that a page is always one round trip.
_PAGE = """
WITH drill AS ({sql}), numbered AS (
  SELECT d.*, row_number() OVER () AS n FROM drill d)
SELECT t.total, p.*
FROM (SELECT count(*) AS total FROM drill) t
LEFT JOIN LATERAL ({page}) p ON true
ORDER BY p.n
"""
_PAGE_OF = "SELECT * FROM numbered WHERE n > ${offset} ORDER BY n LIMIT ${limit}"

_SHOWN: dict[str, str] = {
    "facts": """
  SELECT x.n, f.partner, f.entity, f.local_id, f.kind, f.label, f.status, f.category,
         f.opened_on, f.closed_on, f.due_on, h.key AS household
  FROM ({page}) x
  JOIN facts f ON (f.partner, f.entity, f.local_id) = (x.partner, x.entity, x.local_id)
  LEFT JOIN households h ON h.id = f.household_id
  ORDER BY x.n""",
    "households": """
  SELECT x.n, h.key AS household, h.address_key
  FROM ({page}) x JOIN households h ON h.id = x.id
  ORDER BY x.n""",
    "places": "{page}",
}


class UnknownFigure(BadRequest):
    code = "UNKNOWN_FIGURE"


def _offset(after: str | None) -> int:
    if not after:
        return 0
    try:
        return int(base64.urlsafe_b64decode(after.encode()).decode().removeprefix("n:"))
    except ValueError as exc:
        raise BadRequest(f"malformed cursor {after!r}", cursor=after) from exc


def _cursor(n: int) -> str:
    return base64.urlsafe_b64encode(f"n:{n}".encode()).decode()


def _statement(drill: Drill) -> str:
    """The page statement of `drill`: its own parameters, then the offset and the limit."""
    given = 5 if drill.cadence else 4
    page = _PAGE_OF.format(offset=given + 1, limit=given + 2)
    return _PAGE.format(sql=drill.sql.strip().rstrip(";"),
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
                first: int, after: str | None) -> BriefItemConnection:
    known = drills()
    drill = known.get(figure)
    if drill is None:
        raise UnknownFigure(f"no figure {figure!r} to list", figure=figure,
                            known=sorted(known))
    first = max(0, min(first, MAX_PAGE))
    offset = _offset(after)
    cadence = (scope.visits_per_household,) if drill.cadence else ()
    rows = await conn.fetch(_statement(drill), scope.community, scope.start, scope.end, key,
                            *cadence, offset, first)
    total = int(rows[0]["total"])
    listed = [r for r in rows if r["n"] is not None]
    last = int(listed[-1]["n"]) if listed else offset
    return BriefItemConnection(items=[_item(r, drill.rows) for r in listed], total=total,
                               end_cursor=_cursor(last) if listed else None,
                               has_next_page=last < total)
