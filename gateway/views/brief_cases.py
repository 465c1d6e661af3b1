"""The brief's case sections: disputes (矛盾纠纷), appeals (诉求) and services with 五卡 cards,
each one SQL statement over the community's facts (`_brief_sql.py`), shaped into the schema's
figures here. `DRILLS` names the list behind every figure and breakdown.

A dispute reported by several bodies (a mediation case and the 12345 ticket that reported it,
a ticket and its repeats) counts once, in the community of its canonical report; a breakdown by
reporting body shows it in each body's row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import asyncpg

from gateway.adapters.partners.hall import CARD_KIND
from gateway.adapters.partners.hotline import APPEAL_TYPE, TICKET_STATUS
from gateway.adapters.partners.massorg import HARDSHIP
from gateway.adapters.partners.mediation import CATEGORY, MEDIATION_TYPE
from gateway.schema.brief import (
    AppealFigures,
    AppealTally,
    DisputeFigures,
    DisputeTally,
    ServiceFigures,
    ServiceTally,
    Tally,
)
from gateway.views import _brief_sql as q
from gateway.views.scope import Drill, Scope

__all__ = ["DRILLS", "appeals", "disputes", "services"]


def _inverted(table: Mapping[str, str]) -> dict[str, str]:
    return {code: label for label, code in table.items()}


BODY = {"MEDIATION": "人民调解委员会", "HOTLINE": "12345热线", "PETITION": "信访",
        "RESIDENTS_COMMITTEE": "居委会", "HALL": "为民服务大厅", "PROXY_STATION": "代办站",
        "TRADE_UNION": "工会", "YOUTH_LEAGUE": "共青团", "WOMENS_FEDERATION": "妇联",
        "PARTY": "社区党委"}
DISPUTE_CATEGORY = _inverted(CATEGORY)
MEDIATION = _inverted(MEDIATION_TYPE) | {"NONE": "未调解", "UNKNOWN": "未注明"}
# A 12345 ticket's states in its own words, and the dispute states of DOMAIN.md §3.1 (which
# win where a code is both: REOPENED); TRANSFERRED is the reception log's 已转办.
STATUS = _inverted(TICKET_STATUS) | {
    "DISCOVERED": "排查发现", "REGISTERED": "受理登记", "NOT_ACCEPTED": "不予受理",
    "ASSIGNED": "已分派", "IN_MEDIATION": "调解中", "AGREEMENT_REACHED": "达成协议",
    "MEDIATION_FAILED": "调解不成功", "ESCALATED": "已上报移交", "TERMINATED": "终止调解",
    "JUDICIAL_CONFIRMATION_PENDING": "司法确认中", "CONFIRMED": "已司法确认",
    "INVALIDATED": "确认无效", "PERFORMING": "履行中", "FOLLOWED_UP": "已回访",
    "CLOSED": "结案归档", "REOPENED": "重新办理", "TRANSFERRED": "已转办", "NONE": "未记状态"}
CHANNEL = {"HOTLINE": "12345热线", "ONLINE": "网站/微信/APP", "PETITION": "信访",
           "RECEPTION_ROOM": "接待室", "FORUM": "恳谈会", "HOME_VISIT": "入户走访",
           "NONE": "未注明"}
APPEAL = _inverted(APPEAL_TYPE) | {"NONE": "未分类"}
CARD = _inverted(CARD_KIND) | {"NONE": "未注明"}
SERVICE_KIND = _inverted(HARDSHIP) | {"NONE": "未注明"}


def _label(labels: Mapping[str, str], key: str) -> str:
    return labels.get(key, key)


async def _fetch(conn: asyncpg.Connection, sql: str, scope: Scope) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(sql, scope.community, scope.start, scope.end)
    return rows


def _split(rows: Sequence[asyncpg.Record]) -> dict[str, list[asyncpg.Record]]:
    """The aggregate rows of a section by breakdown ('' is the headline row)."""
    out: dict[str, list[asyncpg.Record]] = {}
    for r in rows:
        out.setdefault(r["dim"], []).append(r)
    return out


def _head(dims: Mapping[str, list[asyncpg.Record]]) -> Mapping[str, int]:
    """The headline row; GROUPING SETS gives it even when nothing was counted."""
    return dict(dims[""][0])


def _ranked(tallies: list[DisputeTally]) -> list[DisputeTally]:
    kept = [t for t in tallies if t.opened or t.closed or t.overdue]
    return sorted(kept, key=lambda t: (-(t.opened or 0), t.key))


def _dispute_tallies(rows: Sequence[asyncpg.Record],
                     labels: Mapping[str, str]) -> list[DisputeTally]:
    return _ranked([DisputeTally(key=r["key"], label=_label(labels, r["key"]),
                                 opened=r["opened"], closed=r["closed"], overdue=r["overdue"])
                    for r in rows])


async def disputes(conn: asyncpg.Connection, scope: Scope) -> DisputeFigures:
    """Disputes opened, closed, overdue and open at the period's end, each counted once."""
    dims = _split(await _fetch(conn, q.DISPUTE_FIGURES, scope))
    head = _head(dims)
    statuses = sorted((r for r in dims.get("status", []) if r["opened"]),
                      key=lambda r: (-r["opened"], r["key"]))
    return DisputeFigures(
        opened=head["opened"], closed=head["closed"], overdue=head["overdue"],
        open_at_end=head["open_at_end"], reports_merged=head["merged"],
        by_category=_dispute_tallies(dims.get("category", []), DISPUTE_CATEGORY),
        by_status=[Tally(key=r["key"], label=_label(STATUS, r["key"]), count=r["opened"])
                   for r in statuses],
        by_mediation_type=_dispute_tallies(dims.get("mediation", []), MEDIATION),
        by_reporting_body=_dispute_tallies(dims.get("body", []), BODY))


def _appeal_tallies(rows: Sequence[asyncpg.Record],
                    labels: Mapping[str, str]) -> list[AppealTally]:
    kept = [r for r in rows if r["received"] or r["closed"]]
    return [AppealTally(key=r["key"], label=_label(labels, r["key"]), received=r["received"],
                        closed=r["closed"], on_time=r["on_time"])
            for r in sorted(kept, key=lambda r: (-r["received"], r["key"]))]


def _top(rows: Sequence[asyncpg.Record]) -> list[Tally]:
    return [Tally(key=r["key"], label=r["label"], count=r["received"])
            for r in sorted(rows, key=lambda r: r["rank"])]


def _rate(part: int, base: int) -> float | None:
    return round(part / base, 4) if base else None


async def appeals(conn: asyncpg.Connection, scope: Scope) -> AppealFigures:
    """Appeals received and closed, on time and to the residents' satisfaction, by channel and
    type, and where and about what they recur."""
    dims = _split(await _fetch(conn, q.APPEAL_FIGURES, scope))
    head = _head(dims)
    return AppealFigures(
        received=head["received"], closed=head["closed"],
        on_time_rate=_rate(head["on_time"], head["timed"]), rated=head["rated"],
        satisfaction_rate=_rate(head["satisfied"], head["rated"]),
        by_channel=_appeal_tallies(dims.get("channel", []), CHANNEL),
        by_type=_appeal_tallies(dims.get("type", []), APPEAL),
        top_locations=_top(dims.get("location", [])), top_topics=_top(dims.get("topic", [])))


def _service_kinds(rows: Sequence[asyncpg.Record]) -> list[ServiceTally]:
    top = sorted(rows, key=lambda r: (-r["opened"], r["body"], r["key"]))[:20]
    return [ServiceTally(body=r["body"], body_label=_label(BODY, r["body"]), key=r["key"],
                         label=_label(SERVICE_KIND, r["key"]), count=r["opened"]) for r in top]


def _tallies(rows: Sequence[asyncpg.Record], field: str,
             labels: Mapping[str, str]) -> list[Tally]:
    kept = sorted((r for r in rows if r["opened"]), key=lambda r: (-r["opened"], r[field]))
    return [Tally(key=r[field], label=_label(labels, r[field]), count=r["opened"])
            for r in kept]


async def services(conn: asyncpg.Connection, scope: Scope) -> ServiceFigures:
    """Services opened in the period by body and kind; 五卡 cards issued, and active at its end."""
    dims: dict[tuple[str, str], list[asyncpg.Record]] = {}
    for r in await _fetch(conn, q.SERVICE_FIGURES, scope):
        dims.setdefault((r["kind"], r["dim"]), []).append(r)
    total = dims.get(("service", "total"), [None])[0]
    cards = dims.get(("care_card", "total"), [None])[0]
    return ServiceFigures(
        total=total["opened"] if total else 0,
        by_body=_tallies(dims.get(("service", "body"), []), "body", BODY),
        by_kind=_service_kinds(dims.get(("service", "kind"), [])),
        cards_issued=cards["opened"] if cards else 0,
        cards_active=cards["active"] if cards else 0,
        cards_by_kind=_tallies(dims.get(("care_card", "subkind"), []), "key", CARD))


DRILLS: dict[str, Drill] = {name: Drill("facts", q.drill(cte, source, where))
                           for name, (cte, source, where) in q.DRILLS.items()}
