"""The brief's disputes, appeals and services sections against counts computed here, in
Python, from the generated partner rows and the ground truth — never from `facts`.

Where a figure does not depend on linkage it must match exactly: district-wide totals (every
place's figures summed, give or take the few facts linkage left with no community at all),
deduplication, on-time and satisfaction counts. Per community it depends on the household
linkage chose for each record, so there it must match the truth within `_slack`.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest

from gateway.adapters.partners.hall import CARD_KIND
from gateway.adapters.partners.hotline import APPEAL_TYPE
from gateway.adapters.partners.mediation import CATEGORY
from gateway.demo.generator import generate, load_rows
from gateway.demo.names import TODAY
from gateway.linkage.normalize.dates import parse_date
from gateway.views import brief_cases
from gateway.views.scope import Scope

COMMUNITIES = ("110105001001", "110105001002", "110105001003")
YEAR = (TODAY - timedelta(days=364), TODAY)
MONTH = (TODAY - timedelta(days=29), TODAY)
EVER = (date(2020, 1, 1), TODAY)
PERIODS = {"year": YEAR, "month": MONTH, "ever": EVER}

# What the partners' own words mean (DOMAIN.md §3), written out here rather than imported.
MEDIATION_CLOSED = {"CLOSED", "FOLLOWED_UP", "CONFIRMED", "INVALIDATED", "TERMINATED",
                    "NOT_ACCEPTED"}
PETITION_CLOSED = {"已办结", "不予受理", "已转送", "已出具意见"}
CARD_OPEN = {"已发放", "使用中"}
ONLINE = {"网站", "微信", "APP"}
RECEPTION_CHANNEL = {"接待室": "RECEPTION_ROOM", "恳谈会": "FORUM", "入户": "HOME_VISIT"}


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _within(day: date | None, period: tuple[date, date]) -> bool:
    return day is not None and period[0] <= day <= period[1]


def _slack(expected: int) -> int:
    """How far a per-community figure may drift from the truth through linkage."""
    return max(2, expected // 10)


@dataclass
class Report:
    """One partner record the brief counts, as its partner wrote it down."""

    key: tuple[str, str, str]
    community: str | None  # the true one
    household: str | None  # the true one
    opened: date | None
    closed: date | None = None
    open: bool = True
    due: date | None = None
    channel: str = ""
    type: str = ""
    topic: str | None = None
    satisfaction: str | None = None
    category: str = "OTHER"
    ticket: str | None = None  # the 12345 ticket a dispute report hangs on
    dispute: bool = False
    body: str = ""
    kind: str = ""


@dataclass
class Dispute:
    canonical: Report
    reports: list[Report]

    @property
    def opened(self) -> date | None:
        return min((r.opened for r in self.reports if r.opened), default=None)


class World:
    """The generated district: who truly lives where, and every record the sections count."""

    def __init__(self, folder: Path, truth: list[dict[str, Any]]) -> None:
        self.folder = folder
        community = {r["hubh"]: r["sqbm"] for r in load_rows(folder, "rc", "hu")}
        hid = {t["local_id"]: t["household"] for t in truth if t["entity"] == "household"}
        self.community_of_hh = {hid[k]: v for k, v in community.items()}
        self.registry_key = {v: k for k, v in hid.items()}  # true household -> 户编号
        self.truth = {(t["partner"], t["entity"], t["local_id"]): t["household"] for t in truth}
        self.tickets = [self._ticket(r) for r in load_rows(folder, "hotline", "workorders")]
        self.petitions = [self._petition(r) for r in load_rows(folder, "hotline", "petitions")]
        self.receptions = [self._reception(r) for r in self._optional("rc", "jiedai")]
        self.mediation = [self._mediation(r) for r in load_rows(folder, "mediation", "disputes")]
        massorg = self._massorg()
        self.rights = [self._rights(r) for r in massorg["rights_case"]]
        self.services = [
            *(self._service("service_case", r["bjbh"], r["slsj"], "HALL", r["sxmc"])
              for r in load_rows(folder, "hall", "banjian")),
            *(self._service("errand", r["dbdh"], r["jjrq"], "PROXY_STATION", r["dbsx"])
              for r in load_rows(folder, "hall", "daiban")),
            *(self._mass("hardship_file", "职工编号", "建档日期", r, "TRADE_UNION")
              for r in massorg["hardship_file"]),
            *(self._mass("pairing", "台账编号", "结对日期", r, "YOUTH_LEAGUE")
              for r in massorg["pairing"]),
            *self.rights]
        self.cards = [self._card(r) for r in load_rows(folder, "hall", "wuka")]
        self.disputes = self._dedupe()

    def _optional(self, partner: str, table: str) -> list[dict[str, Any]]:
        """A table another change adds (the residents' committee's reception log)."""
        path = self.folder / "rows" / partner / f"{table}.jsonl"
        return load_rows(self.folder, partner, table) if path.exists() else []

    def _massorg(self) -> dict[str, list[dict[str, Any]]]:
        """The mass organisations' ledgers as generated (their drops are spreadsheets): the
        union's and league's (`massorg`) and the women's federation's (`womenfed`)."""
        manifest = orjson.loads((self.folder / "district.json").read_bytes())
        generated = generate(manifest["households"], seed=manifest["seed"]).rows
        rows: dict[str, list[dict[str, Any]]] = {**generated["massorg"], **generated["womenfed"]}
        drop = self.folder / "massorg" / "2026-11" / "妇联_维权来访登记_202611.csv"
        with drop.open(encoding="utf-8-sig", newline="") as fh:
            assert {r["编号"] for r in csv.DictReader(fh) if r["编号"]} == {
                r["编号"] for r in rows["rights_case"]}, "regenerated rows differ from the drop"
        return rows

    def _report(self, partner: str, entity: str, local_id: str, **kw: Any) -> Report:
        household = self.truth.get((partner, entity, local_id))
        return Report((partner, entity, local_id), self.community_of_hh.get(household),
                      household, **kw)

    def _ticket(self, r: dict[str, Any]) -> Report:
        closed = _day(r["bjsj"]) if r["zt"] != "重办" else None
        return self._report(
            "hotline", "ticket", r["gdbh"], opened=_day(r["ldsj"]), closed=closed,
            open=closed is None, due=_day(r["blsx"]),
            channel="ONLINE" if r["sqqd"] in ONLINE else "HOTLINE",
            type=APPEAL_TYPE[r["sqlx"]], topic=">".join(r["sqfl"].split(">")[:2]),
            satisfaction=r["myd"], category="NEIGHBOR" if "邻里" in r["sqfl"] else "OTHER",
            ticket=r["cfjglgd"] or r["gdbh"], dispute="纠纷" in r["sqfl"], body="HOTLINE",
            kind="appeal")

    def _petition(self, r: dict[str, Any]) -> Report:
        closed = r["zt"] in PETITION_CLOSED
        return self._report(
            "hotline", "petition", r["xfjbh"], opened=_day(r["xfrq"]),
            closed=_day(r["gxsj"]) if closed else None, open=not closed, due=_day(r["blsx"]),
            channel="PETITION", type="NONE", topic=r["xfsx"], body="PETITION", kind="appeal")

    def _reception(self, r: dict[str, Any]) -> Report:
        closed = _day(r.get("dfrq"))
        return self._report(
            "rc", "reception", r["jdbh"], opened=_day(r["jdrq"]), closed=closed,
            open=closed is None, due=_day(r.get("blsx")),
            # A reception log keeps no appeal type (咨询, 投诉 …); its 事项类别 is the topic.
            channel=RECEPTION_CHANNEL.get(r["jdfs"], "OTHER"), type="NONE", topic=r["sxlb"],
            category="NEIGHBOR" if "邻里" in r["sxlb"] else "OTHER", dispute="纠纷" in r["sxlb"],
            body="RESIDENTS_COMMITTEE", kind="appeal")

    def _mediation(self, r: dict[str, Any]) -> Report:
        opened = _day(r["acceptedOn"]) or _day(r["occurredAt"])
        closed = r["status"] in MEDIATION_CLOSED
        return self._report(
            "mediation", "dispute", r["caseId"], opened=opened,
            closed=_day(r["updatedAt"]) if closed else None, open=not closed,
            # The mediation timer runs until an agreement (DOMAIN.md §3.1).
            due=opened + timedelta(days=30) if opened and r["status"] in (
                "DISCOVERED", "REGISTERED", "ASSIGNED", "IN_MEDIATION", "REOPENED") else None,
            category=CATEGORY.get(r["category"], "OTHER"), ticket=r["relatedTicketNo"],
            dispute=True, body="MEDIATION", kind="dispute")

    def _mass(self, entity: str, key: str, opened: str, r: dict[str, Any], body: str) -> Report:
        # Ledger dates are typed every which way (Excel serials, 2025年3月7日 …).
        partner = "womenfed" if entity == "rights_case" else "massorg"  # a body of its own
        return self._report(
            partner, entity, r[key], opened=parse_date(r[opened]), body=body, kind="service",
            category="MARRIAGE_FAMILY",
            dispute=entity == "rights_case" and r["问题类别"] in ("婚姻家庭", "家庭暴力"))

    def _rights(self, r: dict[str, Any]) -> Report:
        """A 妇联 case is open until its 回访 is recorded, and closed the day it was opened."""
        report = self._mass("rights_case", "编号", "日期", r, "WOMENS_FEDERATION")
        report.open = not r["回访"].startswith("已回访")
        report.closed = None if report.open else report.opened
        report.due = report.opened + timedelta(days=30) if report.opened else None
        return report

    def _service(self, entity: str, key: str, opened: str, body: str, title: str) -> Report:
        return self._report("hall", entity, key, opened=_day(opened), body=body, type=title,
                            kind="service")

    def _card(self, r: dict[str, Any]) -> Report:
        open_ = r["zt"] in CARD_OPEN
        return self._report("hall", "care_card", r["kh"], opened=_day(r["ffrq"]),
                            closed=None if open_ else _day(r["gxsj"]), open=open_,
                            type=CARD_KIND[r["klx"]], kind="care_card")

    def _dedupe(self) -> list[Dispute]:
        """Every dispute once: a ticket, its repeats and the mediation cases naming any of them
        are one dispute, told by the mediation case if there is one, else by the first ticket."""
        first = {t.key[2]: t.ticket for t in self.tickets}
        for m in self.mediation:
            if m.ticket:
                m.ticket = first.get(m.ticket) or m.ticket
        groups: dict[Any, list[Report]] = {}
        for r in (*self.mediation, *self.tickets, *self.receptions, *self.rights):
            if r.dispute:
                groups.setdefault(r.ticket or r.key, []).append(r)
        for t in self.tickets:  # a ticket not itself about a dispute, repeated or named by one
            if not t.dispute and t.ticket in groups:
                groups[t.ticket].append(t)
        return [Dispute(min(g, key=lambda r: (r.kind != "dispute", r.key[2] != r.ticket,
                                             r.opened or date.max, r.key)), g)
                for g in groups.values()]


@pytest.fixture(scope="module")
def world(world_folder: Path, truth: list[dict[str, Any]]) -> World:
    return World(world_folder, truth)


@pytest.fixture
async def conn(synced: Any, store_uri: str) -> Any:
    c = await asyncpg.connect(store_uri)
    try:
        yield c
    finally:
        await c.close()


async def _places(conn: asyncpg.Connection) -> list[str]:
    """Every community a fact is placed in: the three, and any a partner named itself."""
    rows = await conn.fetch("SELECT DISTINCT community_code FROM facts "
                            "WHERE community_code IS NOT NULL ORDER BY 1")
    return [r[0] for r in rows]


async def _unplaced(conn: asyncpg.Connection, kinds: Iterable[str],
                    disputes: bool = False) -> int:
    """Facts no community can be asked for: their figures are missing from every sum."""
    return int(await conn.fetchval(
        "SELECT count(*) FROM facts WHERE community_code IS NULL AND kind = ANY($1::text[]) "
        "AND (is_dispute OR NOT $2)", list(kinds), disputes))


def _scope(community: str, period: tuple[date, date]) -> Scope:
    return Scope(community, period[0], period[1], TODAY)


async def _drill(conn: asyncpg.Connection, figure: str, scope: Scope,
                 key: str | None = None) -> list[tuple[str, str, str]]:
    rows = await conn.fetch(brief_cases.DRILLS[figure].sql, scope.community, scope.start,
                            scope.end, key)
    return [(r["partner"], r["entity"], r["local_id"]) for r in rows]


# --- disputes -----------------------------------------------------------------------------


def _dispute_counts(disputes: Iterable[Dispute], period: tuple[date, date]) -> Counter[str]:
    out: Counter[str] = Counter()
    end = period[1]
    for d in disputes:
        c, opened = d.canonical, _within(d.opened, period)
        open_at_end = d.opened is not None and d.opened <= end and (
            c.closed > end if c.closed else c.open)
        out["opened"] += opened
        out["closed"] += _within(c.closed, period)
        out["open_at_end"] += open_at_end
        out["overdue"] += open_at_end and c.due is not None and c.due < end
        out["merged"] += (len(d.reports) - 1) * opened
        out[f"category:{c.category}"] += opened
    return out


def _dispute_figures(f: Any) -> Counter[str]:
    out = Counter({"opened": f.opened, "closed": f.closed, "open_at_end": f.open_at_end,
                   "overdue": f.overdue, "merged": f.reports_merged})
    out.update({f"category:{t.key}": t.opened for t in f.by_category})
    return out


@pytest.mark.parametrize("period", PERIODS)
async def test_disputes_summed_over_the_district_match_the_rows(conn: Any, world: World,
                                                                period: str) -> None:
    got: Counter[str] = Counter()
    for place in await _places(conn):
        got.update(_dispute_figures(await brief_cases.disputes(
            conn, _scope(place, PERIODS[period]))))
    want = _dispute_counts(world.disputes, PERIODS[period])
    unplaced = await _unplaced(conn, ("dispute", "appeal", "service"), disputes=True)
    assert want["opened"] > 0 and want["open_at_end"] > 0
    for k in want | got:
        assert abs(got[k] - want[k]) <= unplaced, (k, got[k], want[k])


@pytest.mark.parametrize("period", ["year", "month"])
async def test_disputes_per_community_match_the_truth(conn: Any, world: World,
                                                      period: str) -> None:
    """Linkage decides each dispute's community: within `_slack` of the truth."""
    for place in COMMUNITIES:
        mine = [d for d in world.disputes if d.canonical.community == place]
        want = _dispute_counts(mine, PERIODS[period])
        got = _dispute_figures(await brief_cases.disputes(conn, _scope(place, PERIODS[period])))
        for k in ("opened", "closed", "open_at_end", "overdue", "merged"):
            assert abs(got[k] - want[k]) <= _slack(want[k]), (place, k, got[k], want[k])


async def test_a_dispute_reported_twice_counts_once(conn: Any, world: World) -> None:
    """A mediation case and the 12345 ticket that reported it: one dispute, listed by its
    mediation case and in both bodies' rows; the ticket is a merged report."""
    pairs = [d for d in world.disputes if _within(d.opened, YEAR)
             and {r.body for r in d.reports} == {"MEDIATION", "HOTLINE"}]
    assert pairs, "the generated district has mediation cases also reported to 12345"
    case = pairs[0].canonical
    ticket = next(r for r in pairs[0].reports if r.body == "HOTLINE")
    assert case.body == "MEDIATION"
    place = await conn.fetchval("SELECT community_code FROM facts "
                                "WHERE (partner, entity, local_id) = ($1, $2, $3)", *case.key)
    scope = _scope(place, YEAR)
    listed = await _drill(conn, "disputes.opened", scope)
    assert case.key in listed and ticket.key not in listed
    merged = await _drill(conn, "disputes.reportsMerged", scope)
    assert ticket.key in merged and case.key not in merged
    for body in ("MEDIATION", "HOTLINE"):
        assert case.key in await _drill(conn, "disputes.byReportingBody", scope, body)
    figures = await brief_cases.disputes(conn, scope)
    assert sum(t.opened or 0 for t in figures.by_reporting_body) > (figures.opened or 0)


async def test_reports_merged_counts_the_pairs_in_the_rows(conn: Any, world: World) -> None:
    """Every mediation case naming a ticket, and every repeat of a ticket about a dispute, is
    one report dropped: exactly over the district, within `_slack` per community."""
    pairs = sum(1 for m in world.mediation if m.ticket)
    repeats = sum(1 for t in world.tickets if t.dispute and t.ticket != t.key[2])
    merged: Counter[str | None] = Counter()
    for d in world.disputes:
        merged[d.canonical.community] += len(d.reports) - 1
    assert sum(merged.values()) == pairs + repeats > 0
    total = 0
    for place in await _places(conn):
        got = (await brief_cases.disputes(conn, _scope(place, EVER))).reports_merged or 0
        if place in COMMUNITIES:
            assert abs(got - merged[place]) <= _slack(merged[place]), (place, got)
        total += got
    assert total == pairs + repeats


# --- appeals ------------------------------------------------------------------------------


def _appeals(world: World) -> list[Report]:
    return [*world.tickets, *world.petitions, *world.receptions]


def _appeal_counts(appeals: Iterable[Report], period: tuple[date, date]) -> Counter[str]:
    out: Counter[str] = Counter()
    for a in appeals:
        received, closed = _within(a.opened, period), _within(a.closed, period)
        timed = closed and a.due is not None
        on_time = timed and a.closed is not None and a.due is not None and a.closed <= a.due
        for group in ("", f"channel:{a.channel}:", f"type:{a.type}:"):
            out[f"{group}received"] += received
            out[f"{group}closed"] += closed
            out[f"{group}on_time"] += on_time
        out["timed"] += timed
        out["rated"] += closed and a.satisfaction is not None
        out["satisfied"] += closed and a.satisfaction in ("满意", "基本满意")
    return out


def _appeal_figures(f: Any) -> Counter[str]:
    out = Counter({"received": f.received, "closed": f.closed, "rated": f.rated})
    for prefix, tallies in (("channel", f.by_channel), ("type", f.by_type)):
        for t in tallies:
            out.update({f"{prefix}:{t.key}:received": t.received,
                        f"{prefix}:{t.key}:closed": t.closed,
                        f"{prefix}:{t.key}:on_time": t.on_time})
    out["on_time"] = sum(t.on_time or 0 for t in f.by_channel)
    return out


@pytest.mark.parametrize("period", PERIODS)
async def test_appeals_summed_over_the_district_match_the_rows(conn: Any, world: World,
                                                               period: str) -> None:
    got: Counter[str] = Counter()
    for place in await _places(conn):
        got.update(_appeal_figures(await brief_cases.appeals(
            conn, _scope(place, PERIODS[period]))))
    want = _appeal_counts(_appeals(world), PERIODS[period])
    unplaced = await _unplaced(conn, ("appeal",))
    assert want["received"] > 0 and want["on_time"] > 0 and want["rated"] > 0
    for k in got.keys() | {"received", "closed", "on_time", "rated"}:
        assert want[k] - unplaced <= got[k] <= want[k], (k, got[k], want[k])


@pytest.mark.parametrize("period", ["year", "month"])
async def test_appeal_rates_per_community_match_the_truth(conn: Any, world: World,
                                                          period: str) -> None:
    for place in COMMUNITIES:
        want = _appeal_counts([a for a in _appeals(world) if a.community == place],
                              PERIODS[period])
        got = await brief_cases.appeals(conn, _scope(place, PERIODS[period]))
        assert abs((got.received or 0) - want["received"]) <= _slack(want["received"])
        assert abs((got.rated or 0) - want["rated"]) <= _slack(want["rated"])
        assert got.on_time_rate == pytest.approx(want["on_time"] / want["timed"], abs=0.05)
        assert got.satisfaction_rate == pytest.approx(want["satisfied"] / want["rated"],
                                                      abs=0.05)


async def test_top_locations_and_topics_are_where_appeals_recur(conn: Any,
                                                                world: World) -> None:
    """By the building of the household truly behind each appeal (the registry's building,
    whatever linkage chose) and by topic; the most frequent first, ten at most."""
    building = {r["key"]: r["building_id"] for r in await conn.fetch(
        "SELECT key, building_id::text AS building_id FROM households")}
    for place in COMMUNITIES:
        received = [a for a in _appeals(world)
                    if a.community == place and _within(a.opened, YEAR)]
        truth = {"locations": Counter(building[world.registry_key[a.household]]
                                      for a in received if a.household),
                 "topics": Counter(a.topic for a in received if a.topic)}
        got = await brief_cases.appeals(conn, _scope(place, YEAR))
        for name, tallies in (("locations", got.top_locations), ("topics", got.top_topics)):
            counts = [t.count or 0 for t in tallies]
            assert 0 < len(counts) <= 10 and counts == sorted(counts, reverse=True)
            for t in tallies:
                expected = truth[name][t.key]
                assert abs((t.count or 0) - expected) <= _slack(expected), (name, t)
            assert max(truth[name].values()) <= counts[0] + _slack(counts[0])
        assert all(t.label.endswith("号楼") for t in got.top_locations)


# --- services and cards -------------------------------------------------------------------


def _service_counts(world: World, period: tuple[date, date],
                    place: str | None = None) -> Counter[str]:
    out: Counter[str] = Counter()
    for s in world.services:
        if _within(s.opened, period) and place in (None, s.community):
            out["total"] += 1
            out[f"body:{s.body}"] += 1
            out[f"kind:{s.body}|{s.type}"] += 1
    for c in world.cards:
        if place in (None, c.community):
            out["cards_issued"] += _within(c.opened, period)
            out[f"card:{c.type}"] += _within(c.opened, period)
            out["cards_active"] += c.opened is not None and c.opened <= period[1] and (
                c.open or (c.closed is not None and c.closed > period[1]))
    return out


def _service_figures(f: Any) -> Counter[str]:
    out = Counter({"total": f.total, "cards_issued": f.cards_issued,
                   "cards_active": f.cards_active})
    out.update({f"body:{t.key}": t.count for t in f.by_body})
    out.update({f"card:{t.key}": t.count for t in f.cards_by_kind})
    return out


@pytest.mark.parametrize("period", PERIODS)
async def test_services_and_cards_summed_over_the_district_match_the_rows(
        conn: Any, world: World, period: str) -> None:
    got: Counter[str] = Counter()
    for place in await _places(conn):
        got.update(_service_figures(await brief_cases.services(
            conn, _scope(place, PERIODS[period]))))
    want = _service_counts(world, PERIODS[period])
    unplaced = await _unplaced(conn, ("service", "care_card"))
    assert want["total"] > 0 and want["cards_active"] > 0
    for k in {k for k in want.keys() | got.keys() if not k.startswith("kind:")}:
        assert want[k] - unplaced <= got[k] <= want[k], (k, got[k], want[k])


async def test_services_by_kind_per_community_match_the_truth(conn: Any, world: World) -> None:
    for place in COMMUNITIES:
        want = _service_counts(world, YEAR, place)
        got = await brief_cases.services(conn, _scope(place, YEAR))
        assert 0 < len(got.by_kind) <= 20
        for t in got.by_kind:
            expected = want[f"kind:{t.body}|{t.key}"]
            assert abs((t.count or 0) - expected) <= _slack(expected), t
        assert abs((got.cards_active or 0) - want["cards_active"]) <= _slack(
            want["cards_active"])


# --- drills and bad periods ---------------------------------------------------------------


def _drill_cases(d: Any, a: Any, s: Any) -> list[tuple[str, str | None, int | None]]:
    """(figure, key, count) for every headline figure and every group of every breakdown."""
    cases: list[tuple[str, str | None, int | None]] = [
        ("disputes.opened", None, d.opened), ("disputes.closed", None, d.closed),
        ("disputes.overdue", None, d.overdue), ("disputes.openAtEnd", None, d.open_at_end),
        ("disputes.reportsMerged", None, d.reports_merged),
        ("appeals.received", None, a.received), ("appeals.closed", None, a.closed),
        ("appeals.rated", None, a.rated),
        # The headline's on-time and satisfied counts are behind its rates: every appeal has
        # one channel, and the rate is rounded to four places.
        ("appeals.onTime", None, sum(t.on_time or 0 for t in a.by_channel)),
        ("appeals.satisfied", None, round((a.satisfaction_rate or 0) * (a.rated or 0))),
        ("services.total", None, s.total), ("services.cardsIssued", None, s.cards_issued),
        ("services.cardsActive", None, s.cards_active)]
    each: list[tuple[str, Iterable[Any], Callable[[Any], Any]]] = [
        ("disputes.byCategory", d.by_category, lambda t: t.opened),
        ("disputes.byMediationType", d.by_mediation_type, lambda t: t.opened),
        ("disputes.byMediationType.closed", d.by_mediation_type, lambda t: t.closed),
        ("disputes.byMediationType.overdue", d.by_mediation_type, lambda t: t.overdue),
        ("disputes.byReportingBody", d.by_reporting_body, lambda t: t.opened),
        ("disputes.byReportingBody.closed", d.by_reporting_body, lambda t: t.closed),
        ("disputes.byReportingBody.overdue", d.by_reporting_body, lambda t: t.overdue),
        ("disputes.byStatus", d.by_status, lambda t: t.count),
        ("disputes.closed", d.by_category, lambda t: t.closed),
        ("disputes.overdue", d.by_category, lambda t: t.overdue),
        ("appeals.byChannel", a.by_channel, lambda t: t.received),
        ("appeals.closed", a.by_channel, lambda t: t.closed),
        ("appeals.onTime", a.by_channel, lambda t: t.on_time),
        ("appeals.byType", a.by_type, lambda t: t.received),
        ("appeals.byType.closed", a.by_type, lambda t: t.closed),
        ("appeals.byType.onTime", a.by_type, lambda t: t.on_time),
        ("appeals.topLocations", a.top_locations, lambda t: t.count),
        ("appeals.topTopics", a.top_topics, lambda t: t.count),
        ("services.byBody", s.by_body, lambda t: t.count),
        ("services.total", s.by_body, lambda t: t.count),
        ("services.cardsByKind", s.cards_by_kind, lambda t: t.count)]
    for figure, tallies, count in each:
        cases += [(figure, t.key, count(t)) for t in tallies]
    cases += [("services.byKind", f"{t.body}|{t.key}", t.count) for t in s.by_kind]
    return cases


@pytest.mark.parametrize("period", ["year", "month"])
async def test_every_drill_lists_as_many_rows_as_its_figure(conn: Any, period: str) -> None:
    scope = _scope("110105001002", PERIODS[period])
    cases = _drill_cases(await brief_cases.disputes(conn, scope),
                         await brief_cases.appeals(conn, scope),
                         await brief_cases.services(conn, scope))
    assert len(cases) > 60
    for figure, key, count in cases:
        assert type(count) is int, (figure, key, count)  # not a Decimal from SUM
        rows = await _drill(conn, figure, scope, key)
        assert len(rows) == count, (figure, key)
        assert len(set(rows)) == len(rows), (figure, key)
    if period == "year":  # every figure has a drill, and every drill was tried
        assert set(brief_cases.DRILLS) == {c[0] for c in cases}


async def test_breakdown_drills_partition_their_headline_list(conn: Any) -> None:
    """A measure's rows over the groups of a breakdown are its headline list: each dispute has
    one mediation type and one or two reporting bodies, each appeal one type."""
    scope = _scope("110105001001", YEAR)
    d = await brief_cases.disputes(conn, scope)
    a = await brief_cases.appeals(conn, scope)
    groups = [("disputes", "byMediationType", d.by_mediation_type, ("closed", "overdue")),
              ("disputes", "byReportingBody", d.by_reporting_body, ("closed", "overdue")),
              ("appeals", "byType", a.by_type, ("closed", "onTime"))]
    for section, breakdown, tallies, measures in groups:
        for measure in measures:
            whole = await _drill(conn, f"{section}.{measure}", scope)
            parts = [set(await _drill(conn, f"{section}.{breakdown}.{measure}", scope, t.key))
                     for t in tallies]
            assert whole and set().union(*parts) == set(whole), (breakdown, measure)
            if breakdown != "byReportingBody":
                assert sum(map(len, parts)) == len(whole), (breakdown, measure)


async def test_rate_drills_list_what_the_rate_counts(conn: Any) -> None:
    """On time: closed in the period by the due date; satisfied: 满意 or 基本满意 among the
    rated — as many as the rates say."""
    scope = _scope("110105001003", YEAR)
    a = await brief_cases.appeals(conn, scope)
    closed = set(await _drill(conn, "appeals.closed", scope))
    on_time, rated, satisfied = [set(await _drill(conn, f"appeals.{f}", scope))
                                 for f in ("onTime", "rated", "satisfied")]
    assert on_time and satisfied and on_time <= closed and satisfied <= rated <= closed
    assert len(rated) == a.rated
    assert len(satisfied) / len(rated) == pytest.approx(a.satisfaction_rate, abs=5e-5)
    keys = sorted(on_time | satisfied)
    rows = await conn.fetch(
        "SELECT f.closed_on, f.due_on, f.satisfaction FROM unnest($1::text[], $2::text[], "
        "$3::text[]) WITH ORDINALITY AS k(partner, entity, local_id, n) JOIN facts f "
        "USING (partner, entity, local_id) ORDER BY k.n", *map(list, zip(*keys, strict=True)))
    facts = dict(zip(keys, rows, strict=True))
    assert all(scope.start <= r["closed_on"] <= scope.end for r in rows)
    assert all(facts[k]["closed_on"] <= facts[k]["due_on"] for k in on_time)
    assert all(facts[k]["satisfaction"] in ("SATISFIED", "BASICALLY_SATISFIED")
               for k in satisfied)


async def test_drill_rows_are_facts_newest_first(conn: Any) -> None:
    keys = await _drill(conn, "appeals.received", _scope("110105001001", YEAR))
    rows = await conn.fetch(
        "SELECT f.opened_on FROM unnest($1::text[], $2::text[], $3::text[]) "
        "WITH ORDINALITY AS k(partner, entity, local_id, n) "
        "JOIN facts f USING (partner, entity, local_id) ORDER BY k.n",
        *map(list, zip(*keys, strict=True)))
    days = [r[0] for r in rows]
    assert len(days) == len(keys) > 0
    assert days == sorted(days, reverse=True)


@pytest.mark.parametrize("period", [(TODAY, TODAY - timedelta(days=30)),
                                    (date(2001, 1, 1), date(2001, 12, 31))],
                         ids=["reversed", "before-any-data"])
async def test_an_empty_or_reversed_period_counts_nothing(conn: Any,
                                                          period: tuple[date, date]) -> None:
    scope = _scope("110105001001", period)
    d, a, s = (await brief_cases.disputes(conn, scope), await brief_cases.appeals(conn, scope),
               await brief_cases.services(conn, scope))
    assert (d.opened, d.closed, d.overdue, d.open_at_end, d.reports_merged) == (0,) * 5
    assert not (d.by_category or d.by_status or d.by_mediation_type or d.by_reporting_body)
    assert (a.received, a.closed, a.rated, a.on_time_rate, a.satisfaction_rate) == (
        0, 0, 0, None, None)
    assert not (a.by_channel or a.by_type or a.top_locations or a.top_topics)
    assert (s.total, s.cards_issued, s.cards_active) == (0, 0, 0)
    assert not (s.by_body or s.by_kind or s.cards_by_kind)
    for figure in brief_cases.DRILLS:
        assert await _drill(conn, figure, scope) == [], figure


async def test_an_unknown_community_counts_nothing(conn: Any) -> None:
    d = await brief_cases.disputes(conn, _scope("999999999999", YEAR))
    s = await brief_cases.services(conn, _scope("999999999999", YEAR))
    assert d.opened == d.open_at_end == s.total == s.cards_active == 0
