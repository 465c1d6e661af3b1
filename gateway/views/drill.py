"""The list behind a figure of the brief (drill-down): the figure's SQL (`Drill`), paged with
offset cursors over its stable order, its rows shown as brief items."""

from __future__ import annotations

import base64
from collections.abc import Mapping

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

_FACTS = """
WITH drill AS ({sql}), page AS (
  SELECT d.*, row_number() OVER () AS n FROM drill d)
SELECT p.n, (SELECT count(*) FROM drill) AS total, f.partner, f.entity, f.local_id, f.kind,
       f.label, f.status, f.category, f.opened_on, f.closed_on, f.due_on, h.key AS household
FROM page p
JOIN facts f ON (f.partner, f.entity, f.local_id) = (p.partner, p.entity, p.local_id)
LEFT JOIN households h ON h.id = f.household_id
WHERE p.n > $5 ORDER BY p.n LIMIT $6
"""

_HOUSEHOLDS = """
WITH drill AS ({sql}), page AS (
  SELECT d.*, row_number() OVER () AS n FROM drill d)
SELECT p.n, (SELECT count(*) FROM drill) AS total, h.key AS household, h.address_key
FROM page p JOIN households h ON h.id = p.id
WHERE p.n > $5 ORDER BY p.n LIMIT $6
"""


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


def _item(row: asyncpg.Record, rows: str) -> BriefItem:
    household = strawberry.ID(f"Household:{row['household']}") if row["household"] else None
    if rows == "households":
        return BriefItem(partner=None, local_id=None, kind="household",
                         label=row["address_key"], status=None, category=None, opened_on=None,
                         closed_on=None, due_on=None, household_id=household)
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
    template = _FACTS if drill.rows == "facts" else _HOUSEHOLDS
    sql = template.format(sql=drill.sql.strip().rstrip(";"))
    rows = await conn.fetch(sql, scope.community, scope.start, scope.end, key, offset, first)
    total = int(rows[0]["total"]) if rows else await conn.fetchval(
        f"SELECT count(*) FROM ({drill.sql.strip().rstrip(';')}) d",
        scope.community, scope.start, scope.end, key)
    last = int(rows[-1]["n"]) if rows else offset
    return BriefItemConnection(items=[_item(r, drill.rows) for r in rows], total=total,
                               end_cursor=_cursor(last) if rows else None,
                               has_next_page=last < total)
