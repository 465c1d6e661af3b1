"""The brief's 包联 sections against the generated district, never against their own SQL.

Expected figures come from the partners' rows as generated (`load_rows`, the 妇联 CSV drop), the
truth of which household each row is about, and the generator's true world for what no ledger
states cleanly (which building a household is in). Linkage is not perfect, so figures that
depend on a record finding its household are compared within a stated tolerance; the rest
exactly. What the generated data never produces (a mediation case stuck at intake, a meeting
overdue) is written into `facts` inside a transaction that is rolled back.
"""

from __future__ import annotations

import calendar
import csv
import math
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest

from gateway.demo.generator import load_rows
from gateway.demo.names import TODAY
from gateway.demo.world import build_world
from gateway.linkage.normalize.dates import parse_date
from gateway.views import brief_chain as B
from gateway.views.drill import items as drill_items
from gateway.views.scope import Scope

MEETING = {"联席会": "JOINT_DELIBERATION", "报告会": "REPORT", "评议会": "EVALUATION",
           "听证会": "HEARING"}
CADENCE = {"JOINT_DELIBERATION": 3, "REPORT": 6, "EVALUATION": 12, "HEARING": None}
ROLE = {"谋划型": "PLANNER", "知识型": "EXPERT", "文体型": "CULTURE_SPORTS", "服务型": "SERVICE"}
FITS = {"HARDSHIP_NO_CARE_CARD": ("SERVICE", "EXPERT"),
        "DISPUTE_NO_MEDIATION": ("PLANNER", "EXPERT"),
        "VULNERABLE_NO_CONTACT": ("SERVICE", "CULTURE_SPORTS"),
        "AT_RISK_YOUTH_NO_PAIRING": ("EXPERT", "CULTURE_SPORTS")}
CN_DIGITS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Place:
    community: str
    compound: str
    building: int


@dataclass
class District:
    """The generated district, indexed the way the expectations need it."""

    folder: Path
    communities: list[str]
    community_of: dict[str, str]  # 户编号 → community code
    household_of: dict[tuple[str, str, str], str]  # (partner, entity, local id) → 户编号
    place_of: dict[str, Place]  # 户编号 → where the household truly lives
    loaded: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def rows(self, partner: str, table: str) -> list[dict[str, Any]]:
        if (partner, table) not in self.loaded:
            self.loaded[(partner, table)] = load_rows(self.folder, partner, table)
        return self.loaded[(partner, table)]

    def of(self, partner: str, entity: str, local_id: str) -> str | None:
        return self.household_of.get((partner, entity, local_id))

    def in_community(self, community: str) -> set[str]:
        return {k for k, c in self.community_of.items() if c == community}


@pytest.fixture(scope="module")
def generated(world_folder: Path, truth: list[dict[str, Any]]) -> District:
    manifest = orjson.loads((world_folder / "district.json").read_bytes())
    world = build_world(manifest["households"], seed=manifest["seed"])
    key_of = {hh.hid: hh.hubh for hh in world.households}
    code_of = [c.code for c in world.communities]
    place_of = {hh.hubh: Place(code_of[hh.community], hh.address.compound.name,
                               hh.address.building) for hh in world.households}
    household_of = {(t["partner"], t["entity"], t["local_id"]): key_of[t["household"]]
                    for t in truth if t.get("household") in key_of}
    community_of = {r["hubh"]: r["sqbm"] for r in load_rows(world_folder, "rc", "hu")}
    return District(world_folder, sorted({r["sqbm"] for r in load_rows(world_folder, "rc",
                                                                        "community")}),
                    community_of, household_of, place_of)


@pytest.fixture
async def conn(synced: Any, store_uri: str) -> AsyncIterator[asyncpg.Connection]:
    c = await asyncpg.connect(store_uri)
    tx = c.transaction()
    await tx.start()
    try:
        yield c
    finally:
        await tx.rollback()
        await c.close()


def scope(community: str, days: int, *, end: date = TODAY, rate: float = 1.0) -> Scope:
    return Scope(community, end - timedelta(days=days - 1), end, TODAY, rate)


async def drill(conn: asyncpg.Connection, name: str, s: Scope, key: str | None = None) -> list[Any]:
    d = B.DRILLS[name]
    cadence = (s.visits_per_household,) if d.cadence else ()
    rows = await conn.fetch(d.sql, s.community, s.start, s.end, key, *cadence)
    if d.rows == "places":
        places = [(r["kind"], r["id"], r["label"]) for r in rows]
        assert len({p[1] for p in places}) == len(places), "each place once"
        if places and places[0][0] == "member":
            assert places == sorted(places), "members come in local id order"
        return places
    if d.rows == "households":
        keys = await conn.fetch("SELECT id, key FROM households WHERE id = ANY($1::bigint[])",
                                [r["id"] for r in rows])
        by_id = {r["id"]: r["key"] for r in keys}
        listed = [by_id[r["id"]] for r in rows]
        assert listed == sorted(listed), "households come in 户编号 order"
        return listed
    facts = [(r["partner"], r["entity"], r["local_id"]) for r in rows]
    assert facts == sorted(facts), "facts come in key order"
    return facts


def close_sets(got: Iterable[str], expected: Iterable[str], *, share: float, floor: int) -> None:
    """Linkage may lose or misplace a few records: the two sets differ in few elements."""
    got, expected = set(got), set(expected)
    allowed = max(floor, math.ceil(share * len(expected)))
    assert len(got ^ expected) <= allowed, (sorted(got - expected), sorted(expected - got))


def _snake(name: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), name)


def ordinal(name: str) -> int | None:
    m = re.search(r"第?([一二三四五六七八九十\d])党?支部", name)
    if not m:
        return None
    token = m.group(1)
    return int(token) if token.isdigit() else CN_DIGITS.index(token) + 1


def num(figure: int | None) -> int:
    """A figure the brief computed (never suppressed here: no statistics purpose)."""
    assert figure is not None
    return figure


def in_period(day: date | None, s: Scope) -> bool:
    return day is not None and s.start <= day <= s.end


def add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- 包联责任链 ------------------------------------------------------------------------------------


def expected_chain(d: District, community: str) -> dict[str, Any]:
    duties = [r for r in d.rows("party", "baolian") if r["sqbm"] == community]
    households = d.in_community(community)
    kept = {d.of("party", "responsibility", r["blid"]) for r in duties if r["bljc"] == "党员包户"}
    places = [p for k, p in d.place_of.items() if k in households]
    buildings = {(p.compound, p.building) for p in places}
    compounds = {p.compound for p in places}
    kept_buildings = set()
    for r in duties:
        m = re.fullmatch(r"(.+?)(\d+)号楼", r["bldx"])
        if r["bljc"] == "支委包楼" and m:
            kept_buildings.add((m.group(1), int(m.group(2))))
    kept_compounds = {r["bldx"] for r in duties if r["bljc"] == "书记包院"}
    branches = [r for r in d.rows("party", "zuzhi")
                if r["sqbm"] == community and r["zzlx"] == "党支部"]
    covered = {ordinal(r["bldx"]) for r in duties if r["bljc"] == "党委包支部"}
    return {"households": len(households), "without_member": households - kept,
            "buildings": len(buildings), "buildings_without": len(buildings - kept_buildings),
            "compounds": len(compounds), "compounds_without": len(compounds - kept_compounds),
            "branches": len(branches),
            "branches_without": sum(ordinal(r["zzmc"]) not in covered for r in branches),
            # what the lists behind the totals name
            "building_labels": {f"{c}{n}号楼" for c, n in buildings},
            "compound_labels": compounds, "branch_labels": {r["zzmc"] for r in branches}}


async def test_chain_counts_households_buildings_compounds_and_branches_without_cover(
        conn: asyncpg.Connection, generated: District) -> None:
    for community in generated.communities:
        want = expected_chain(generated, community)
        s = scope(community, 90)
        got = await B.chain(conn, s)
        assert got.households == want["households"]
        assert got.buildings == want["buildings"]
        assert got.buildings_without_committee_member == want["buildings_without"]
        assert got.compounds == want["compounds"]
        assert got.compounds_without_secretary == want["compounds_without"]
        assert got.branches == want["branches"] >= 2
        assert got.branches_without_committee == want["branches_without"]
        # 党员包户 needs the ledger's room shorthand linked to its household: within 1% of the
        # households (and 2% of those uncovered).
        uncovered = want["without_member"]
        assert uncovered, "the generator leaves ~12% of households without a member"
        assert abs(num(got.households_without_member) - len(uncovered)) <= max(2, 0.02 * len(
            uncovered) + 0.01 * want["households"])
        rows = await drill(conn, "chain.householdsWithoutMember", s)
        assert len(rows) == got.households_without_member
        close_sets(rows, uncovered, share=0.05, floor=2)
        households = await drill(conn, "chain.households", s)
        assert len(households) == got.households and set(rows) <= set(households)
        for figure, kind in (("buildings", "building"), ("compounds", "compound"),
                             ("branches", "branch")):
            listed = await drill(conn, f"chain.{figure}", s)
            assert {k for k, _, _ in listed} == {kind}
            assert {label for _, _, label in listed} == want[f"{kind}_labels"], figure
            assert len(listed) == getattr(got, figure)
        for figure in ("buildingsWithoutCommitteeMember", "compoundsWithoutSecretary",
                       "branchesWithoutCommittee"):
            assert len(await drill(conn, f"chain.{figure}", s)) == getattr(got, _snake(figure))


async def test_a_place_whose_duty_is_gone_is_uncovered_and_listed(
        conn: asyncpg.Connection, generated: District) -> None:
    community = generated.communities[0]
    s = scope(community, 90)
    gaps = {"building": "chain.buildingsWithoutCommitteeMember",
            "compound": "chain.compoundsWithoutSecretary",
            "branch": "chain.branchesWithoutCommittee"}
    before = await B.chain(conn, s)
    listed = {level: set(await drill(conn, figure, s)) for level, figure in gaps.items()}
    # The ledger loses one 支委包楼, one 书记包院 and one 党委包支部 row (the partner deleted them).
    gone = {r["level"]: r for r in await conn.fetch(
        """DELETE FROM source_records WHERE id IN (
             SELECT min(id) FROM source_records WHERE entity = 'responsibility'
               AND attrs->>'community' = $1
               AND attrs->>'targetLevel' IN ('building', 'compound', 'branch')
             GROUP BY attrs->>'targetLevel')
           RETURNING attrs->>'targetLevel' AS level, attrs->>'building_id' AS building,
                     attrs->>'compound_id' AS compound, attrs->'raw'->>'address' AS target""",
        community)}
    assert gone.keys() == gaps.keys()
    after = await B.chain(conn, s)
    assert after.buildings_without_committee_member == num(
        before.buildings_without_committee_member) + 1
    assert after.compounds_without_secretary == num(before.compounds_without_secretary) + 1
    assert after.branches_without_committee == num(before.branches_without_committee) + 1
    assert after.households == before.households
    new = {level: set(await drill(conn, figure, s)) - listed[level]
           for level, figure in gaps.items()}
    assert [p[1] for p in new["building"]] == [gone["building"]["building"]]
    assert [p[1] for p in new["compound"]] == [gone["compound"]["compound"]]
    (branch,) = new["branch"]
    assert ordinal(branch[2]) == ordinal(gone["branch"]["target"])


async def test_a_places_drill_pages_in_one_order_and_keeps_its_total(
        conn: asyncpg.Connection, generated: District) -> None:
    s = scope(generated.communities[2], 90)
    want = await drill(conn, "chain.buildings", s)
    seen: list[tuple[str, str | None, str | None]] = []
    after = None
    while True:
        page = await drill_items(conn, s, "chain.buildings", None, first=4, after=after)
        assert page.total == len(want) > 4
        seen += [(i.kind, i.local_id, i.label) for i in page.items]
        assert all(i.partner is None and i.household_id is None for i in page.items)
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert seen == want
    past = await drill_items(conn, s, "chain.buildings", None, first=4, after=page.end_cursor)
    assert (past.items, past.total, past.has_next_page) == ([], len(want), False)


# --- 党员联系户 visits -----------------------------------------------------------------------------


def expected_visits(d: District, s: Scope) -> dict[str, Any]:
    households: dict[str, set[str]] = defaultdict(set)
    for r in d.rows("party", "baolian"):
        key = d.of("party", "responsibility", r["blid"])
        if r["bljc"] == "党员包户" and key and d.community_of.get(key) == s.community:
            households[r["dyid"]].add(key)
    visits = [r for r in d.rows("party", "zoufang")
              if r["sqbm"] == s.community and in_period(date.fromisoformat(r["zfrq"]), s)]
    done = Counter(r["dyid"] for r in visits)
    names = {r["dyid"]: re.sub(r"\s", "", r["xm"]) for r in d.rows("party", "dangyuan")}
    per = {}
    for member, kept in households.items():
        target = math.ceil(round(len(kept) * s.visits_per_household, 9))
        per[member] = (names[member], len(kept), done[member], target)
    return {"visits": len(visits), "per": per}


# Half a year at a light cadence (most members meet it), a year at a heavy one (most fall short).
@pytest.mark.parametrize(("days", "rate"), [(180, 0.25), (365, 0.7)])
async def test_visits_per_member_against_the_target(conn: asyncpg.Connection, generated: District,
                                                    days: int, rate: float) -> None:
    for community in generated.communities:
        s = scope(community, days, rate=rate)
        want = expected_visits(generated, s)
        got = await B.visits(conn, s)
        assert got.visits == want["visits"] > 0
        assert got.target_per_household == rate
        per = want["per"]
        met = sum(v >= t for _, _, v, t in per.values())
        members, meeting = num(got.members), num(got.members_meeting_target)
        assert abs(members - len(per)) <= 1
        assert 0 < meeting < members
        assert abs(meeting - met) <= 2
        short = got.short_of_target
        assert len(short) == min(50, members - meeting)
        gaps = [(-(m.target - m.visits), m.member_id) for m in short]
        assert gaps == sorted(gaps) and all(not m.met and m.visits < m.target for m in short)
        same = sum(per.get(m.member_id.removeprefix("PartyMember:party:"))
                   == (m.name, m.households, m.visits, m.target) for m in short)
        assert same >= 0.9 * len(short)


async def test_visit_drills_match_their_figures(conn: asyncpg.Connection,
                                                generated: District) -> None:
    s = scope(generated.communities[1], 180, rate=0.5)
    got = await B.visits(conn, s)
    visits = await drill(conn, "visits.visits", s)
    assert len(visits) == got.visits and {e for _, e, _ in visits} == {"contact_visit"}
    for member in got.short_of_target[:10]:
        rows = await drill(conn, "visits.shortOfTarget", s, str(member.member_id))
        assert len(rows) == member.households
        local = member.member_id.removeprefix("PartyMember:party:")
        assert rows == await drill(conn, "visits.shortOfTarget", s, local)
        theirs = await drill(conn, "visits.shortOfTarget.visits", s, str(member.member_id))
        assert len(theirs) == member.visits and set(theirs) <= set(visits)
    # The members, and those who met their target at this cadence, with their names.
    per = expected_visits(generated, s)["per"]
    members = await drill(conn, "visits.members", s)
    met = await drill(conn, "visits.membersMeetingTarget", s)
    assert len(members) == got.members and len(met) == got.members_meeting_target > 0
    assert {k for k, _, _ in members} == {"member"} and set(met) < set(members)
    close_sets([m for _, m, _ in members], per, share=0.02, floor=1)
    close_sets([m for _, m, _ in met], [m for m, (_, _, v, t) in per.items() if v >= t],
               share=0.05, floor=2)
    assert sum(per[m][0] == name for _, m, name in members if m in per) >= 0.9 * len(members)
    assert not {m for _, m, _ in met} & {str(m.member_id).removeprefix("PartyMember:party:")
                                         for m in got.short_of_target}


# --- 四会 -----------------------------------------------------------------------------------------


async def test_meetings_last_and_next_due_at_different_period_ends(
        conn: asyncpg.Connection, generated: District) -> None:
    held: dict[tuple[str, str], list[date]] = defaultdict(list)
    for r in generated.rows("rc", "huiyi"):
        held[(r["sqbm"], MEETING[r["hylx"]])].append(date.fromisoformat(r["hyrq"]))
    community = generated.communities[2]
    overdue_seen = 0
    for back in (0, 100, 400, 650, 720):
        s = scope(community, 120, end=TODAY - timedelta(days=back))
        got = await B.meetings(conn, s)
        assert [m.kind for m in got] == list(CADENCE)
        for m in got:
            days = held[(community, m.kind)]
            before = [d for d in days if d <= s.end]
            last = max(before, default=None)
            months = CADENCE[m.kind]
            due = None if months is None else add_months(last, months) if last else s.start
            assert (m.held_in_period, m.last_held, m.next_due) == (
                sum(in_period(d, s) for d in days), last, due), (back, m.kind)
            assert m.overdue == (due is not None and due < s.end)
            overdue_seen += m.overdue
            rows = await drill(conn, "meetings.heldInPeriod", s, m.kind)
            assert len(rows) == m.held_in_period
    assert overdue_seen, "a period before the first meetings finds them overdue"


async def _fact(conn: asyncpg.Connection, local_id: str, kind: str, *, community: str,
                opened: date | None, household: int | None = None, **columns: Any) -> None:
    values = {"partner": "test", "entity": columns.pop("entity", kind), "local_id": local_id,
              "kind": kind, "body": columns.pop("body", "TEST"),
              "is_open": columns.pop("is_open", False), "opened_on": opened,
              "community_code": community, "household_id": household,
              "read_at": datetime.now().astimezone(), **columns}
    names = ", ".join(values)
    marks = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    await conn.execute(f"INSERT INTO facts ({names}) VALUES ({marks})", *values.values())


async def test_meeting_cadence_arithmetic(conn: asyncpg.Connection) -> None:
    c = "999999999999"
    for n, (kind, day) in enumerate((("JOINT_DELIBERATION", date(2025, 11, 30)),
                                     ("JOINT_DELIBERATION", date(2026, 1, 31)),
                                     ("JOINT_DELIBERATION", date(2026, 6, 1)),  # after the end
                                     ("EVALUATION", date(2024, 2, 29)),
                                     ("HEARING", date(2025, 3, 3)))):
        await _fact(conn, f"M{n}", "meeting", community=c, opened=day, subkind=kind)

    async def at(end: date) -> dict[str, Any]:
        got = await B.meetings(conn, Scope(c, date(2026, 1, 1), end, TODAY))
        return {m.kind: (m.held_in_period, m.last_held, m.next_due, m.overdue) for m in got}

    on_time = await at(date(2026, 4, 30))
    assert on_time["JOINT_DELIBERATION"] == (1, date(2026, 1, 31), date(2026, 4, 30), False)
    assert on_time["REPORT"] == (0, None, date(2026, 1, 1), True)  # never held: due at once
    assert on_time["EVALUATION"] == (0, date(2024, 2, 29), date(2025, 2, 28), True)
    assert on_time["HEARING"] == (0, date(2025, 3, 3), None, False)
    late = await at(date(2026, 5, 1))
    assert late["JOINT_DELIBERATION"] == (1, date(2026, 1, 31), date(2026, 4, 30), True)
    assert (await at(date(2026, 1, 1)))["JOINT_DELIBERATION"] == (
        0, date(2025, 11, 30), date(2026, 2, 28), False)


# --- needs seen by one body, unmet by the others ----------------------------------------------


def expected_needs(d: District, s: Scope) -> dict[str, set[str]]:
    mine = d.in_community(s.community)
    carded = {d.of("hall", "care_card", r["kh"]) for r in d.rows("hall", "wuka")
              if r["zt"] in ("已发放", "使用中") and date.fromisoformat(r["ffrq"]) <= s.end}
    hardship = {d.of("massorg", "hardship_file", k) for (p, e, k) in d.household_of
                if (p, e) == ("massorg", "hardship_file")}
    disputes = defaultdict(list)
    mediated_tickets = set()
    for r in d.rows("mediation", "disputes"):
        if r["status"] != "NOT_ACCEPTED":
            disputes[d.of("mediation", "dispute", r["caseId"])].append(
                date.fromisoformat(r["acceptedOn"]))
        mediated_tickets.add(r["relatedTicketNo"])

    def unmediated(key: str | None, day: date | None) -> bool:
        return key is not None and day is not None and day <= s.end and not any(
            day - timedelta(days=30) <= m <= min(day + timedelta(days=60), s.end)
            for m in disputes[key])

    reports = set()
    for r in d.rows("hotline", "workorders"):
        opened = datetime.fromisoformat(r["ldsj"]).date()
        if ("纠纷" in r["sqfl"] and (not r["bjsj"] or r["zt"] == "重办")
                and r["gdbh"] not in mediated_tickets
                and unmediated(d.of("hotline", "ticket", r["gdbh"]), opened)):
            reports.add(d.of("hotline", "ticket", r["gdbh"]))
    for r in rights_cases(d):
        key = d.of("womenfed", "rights_case", r["编号"])
        if r["问题类别"] in ("婚姻家庭", "家庭暴力") and unmediated(key, parse_date(r["日期"])):
            reports.add(key)
    visited = {d.of("party", "contact_visit", r["zfid"]) for r in d.rows("party", "zoufang")
               if in_period(date.fromisoformat(r["zfrq"]), s)}
    paired = {d.of("massorg", "pairing", k) for (p, e, k) in d.household_of
              if (p, e) == ("massorg", "pairing")}
    residents = [r for r in d.rows("rc", "ren") if r["bq"] and not r["zxrq"]]
    vulnerable = {r["hubh"] for r in residents if re.search("独居老人|空巢|残疾", r["bq"])}
    youth = {r["hubh"] for r in residents if "重点青少年" in r["bq"]}
    return {"HARDSHIP_NO_CARE_CARD": (hardship - carded) & mine,
            "DISPUTE_NO_MEDIATION": reports & mine,
            "VULNERABLE_NO_CONTACT": (vulnerable - visited - carded) & mine,
            "AT_RISK_YOUTH_NO_PAIRING": (youth - paired) & mine}


def rights_cases(d: District) -> list[dict[str, str]]:
    path = next((d.folder / "massorg" / "2026-11").glob("妇联_*.csv"))
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


async def test_needs_per_rule_match_the_partners_rows(conn: asyncpg.Connection,
                                                     generated: District) -> None:
    found: Counter[str] = Counter()
    for community in generated.communities:
        s = scope(community, 180)
        want = expected_needs(generated, s)
        got = await B.needs(conn, s)
        assert [t.key for t in got.by_need] == list(FITS)
        for tally in got.by_need:
            rows = await drill(conn, "needs.byNeed", s, tally.key)
            assert len(rows) == tally.count, tally.key
            # Hardship files and rights cases often give a works dormitory or only a building.
            close_sets(rows, want[tally.key], share=0.15, floor=2)
            found[tally.key] += len(set(rows) & want[tally.key])
    # Each rule holds for concrete households the rows alone single out (the generator makes no
    # at-risk youth without a pairing at every size; the rolled-back tests below cover it).
    assert found["HARDSHIP_NO_CARE_CARD"] and found["DISPUTE_NO_MEDIATION"]
    assert found["VULNERABLE_NO_CONTACT"] >= 20


async def test_a_hardship_file_with_an_open_card_is_met(conn: asyncpg.Connection,
                                                       generated: District) -> None:
    community = generated.communities[0]
    s = scope(community, 180)
    needy = sorted(expected_needs(generated, s)["HARDSHIP_NO_CARE_CARD"]
                   & set(await drill(conn, "needs.byNeed", s, "HARDSHIP_NO_CARE_CARD")))
    assert needy
    household = await conn.fetchval("SELECT id FROM households WHERE key = $1", needy[0])
    await _fact(conn, "CARD1", "care_card", community=community, opened=s.end - timedelta(days=5),
                household=household, is_open=True, body="HALL")
    assert needy[0] not in await drill(conn, "needs.byNeed", s, "HARDSHIP_NO_CARE_CARD")


async def _quiet_households(conn: asyncpg.Connection, s: Scope, n: int) -> list[tuple[int, str]]:
    """Households of the community no rule applies to, and with no mediation case."""
    needy: set[str] = set()
    for need in FITS:
        needy.update(await drill(conn, "needs.byNeed", s, need))
    rows = await conn.fetch(
        """SELECT h.id, h.key FROM households h WHERE h.community_code = $1
             AND NOT EXISTS (SELECT 1 FROM facts f WHERE f.household_id = h.id
                             AND f.kind = 'dispute') ORDER BY h.key""", s.community)
    return [(r["id"], r["key"]) for r in rows if r["key"] not in needy][:n]


async def test_dispute_reports_and_stuck_mediation(conn: asyncpg.Connection,
                                                   generated: District) -> None:
    community = generated.communities[1]
    s = scope(community, 180)
    end = s.end
    (h1, k1), (h2, k2), (h3, k3), (h4, k4), (h5, k5), (h6, k6) = await _quiet_households(
        conn, s, 6)
    # A 妇联 report mediated 10 days later; another whose mediation came 70 days later.
    for n, (h, gap) in enumerate(((h1, 10), (h2, 70))):
        await _fact(conn, f"R{n}", "service", entity="rights_case", community=community,
                    opened=end - timedelta(days=100), household=h, is_open=True,
                    is_dispute=True, body="WOMENS_FEDERATION")
        await _fact(conn, f"D{n}", "dispute", community=community,
                    opened=end - timedelta(days=100 - gap), household=h, status="CLOSED")
    # A 12345 ticket whose mediation case names it, though filed under another household.
    await _fact(conn, "T1", "appeal", entity="ticket", community=community,
                opened=end - timedelta(days=20), household=h3, is_open=True, is_dispute=True,
                body="HOTLINE")
    await _fact(conn, "D9", "dispute", community=community, opened=end - timedelta(days=19),
                household=h6, status="IN_MEDIATION", ref="T1", is_open=True)
    # Mediation cases still at intake: 10 days (stuck) and 3 days (not yet).
    await _fact(conn, "D3", "dispute", community=community, opened=end - timedelta(days=10),
                household=h4, status="REGISTERED", is_open=True, body="MEDIATION")
    await _fact(conn, "D4", "dispute", community=community, opened=end - timedelta(days=3),
                household=h5, status="DISCOVERED", is_open=True, body="MEDIATION")
    rows = set(await drill(conn, "needs.byNeed", s, "DISPUTE_NO_MEDIATION"))
    assert k2 in rows and k4 in rows
    assert not rows & {k1, k3, k5, k6}
    got = {str(h.household_id): h for h in (await B.needs(conn, s)).households}
    assert got[f"Household:{k2}"].seen_by == ["妇联"]
    assert got[f"Household:{k4}"].seen_by == ["调委会"]
    assert got[f"Household:{k4}"].needs == ["DISPUTE_NO_MEDIATION"]


async def test_at_risk_youth_without_a_pairing(conn: asyncpg.Connection,
                                               generated: District) -> None:
    community = generated.communities[0]
    s = scope(community, 180)
    (h1, k1), (h2, k2) = await _quiet_households(conn, s, 2)
    for n, h in enumerate((h1, h2)):  # the register tags a youth in each
        await _fact(conn, f"Y{n}", "resident", community=community, opened=None, household=h,
                    is_open=True, category="TAGGED", topic="重点青少年", body="RESIDENTS_COMMITTEE")
    await _fact(conn, "P1", "service", entity="pairing", community=community,
                opened=s.end - timedelta(days=300), household=h2, is_open=True,
                category="PAIRING", body="YOUTH_LEAGUE")
    rows = await drill(conn, "needs.byNeed", s, "AT_RISK_YOUTH_NO_PAIRING")
    assert k1 in rows and k2 not in rows


def expected_helpers(d: District, key: str, needs: list[str]) -> list[tuple[str, str]]:
    home = d.place_of[key]
    rank: dict[str, int] = {}
    for need in needs:
        for i, role in enumerate(FITS[need]):
            rank[role] = min(rank.get(role, 9), i)
    offers = []
    for r in d.rows("party", "dangyuan"):
        lives = d.of("party", "member", r["dyid"])
        role = ROLE[r["dylx"]]
        if lives is None or lives == key or r["sfld"] == "是" or role not in rank:
            continue
        there = d.place_of[lives]
        if there.community != home.community:
            continue
        distance = (0 if (there.compound, there.building) == (home.compound, home.building)
                    else 1 if there.compound == home.compound else 2)
        offers.append((distance, rank[role], r["dyid"]))
    names = ("SAME_BUILDING", "SAME_COMPOUND", "SAME_COMMUNITY")
    return [(f"PartyMember:party:{m}", names[dist]) for dist, _, m in sorted(offers)[:3]]


async def test_unmet_households_most_needs_first_with_nearest_fitting_helpers(
        conn: asyncpg.Connection, generated: District) -> None:
    s = scope(generated.communities[0], 180)
    got = await B.needs(conn, s)
    listed = got.households
    assert 0 < len(listed) <= 100
    order = [(-len(h.needs), h.household_id) for h in listed]
    assert order == sorted(order)
    assert len(listed) == min(100, len({k for t in got.by_need for k in await drill(
        conn, "needs.byNeed", s, t.key)}))
    labels = {"HARDSHIP_NO_CARE_CARD": "工会", "VULNERABLE_NO_CONTACT": "居委会"}
    matched = 0
    for h in listed:
        key = h.household_id.removeprefix("Household:")
        assert h.needs == [n for n in FITS if n in h.needs]
        assert {labels[n] for n in h.needs if n in labels} <= set(h.seen_by)
        helpers = [(m.member_id, m.distance) for m in h.helpers]
        matched += helpers == expected_helpers(generated, key, h.needs)
        for m in h.helpers:
            assert m.member_type in {role for n in h.needs for role in FITS[n]}
    assert matched >= 0.9 * len(listed)
