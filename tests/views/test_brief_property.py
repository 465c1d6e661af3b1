"""The brief's 四位一体 section against counts made here, independently, from the ground truth
(which compound a room, an order or a ballot is really in) and the partners' own rows (when)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from gateway.demo.generator import load_rows
from gateway.demo.names import TODAY
from tests.views.test_brief import _post

PROPERTY = """query Property($c: ID!, $p: PeriodInput!) {
  coordinationBrief(community: $c, period: $p) {
    missing
    property {
      total { compoundId rooms roomsInArrears repairsOpened ballots }
      byCompound { compoundId compound rooms ownerOccupied rented vacant repairsOpened
                   repairsDone repairsOpenAtEnd roomsInArrears arrearsMonths mattersVoted
                   ballots ballotArea }
    }
  }
}"""
ITEMS = """query Items($c: ID!, $p: PeriodInput!, $f: String!, $k: String) {
  briefItems(community: $c, period: $p, figure: $f, key: $k, first: 100) {
    totalCount edges { node { partner localId kind } }
  }
}"""
OPEN = {"REPORTED", "DISPATCHED", "IN_REPAIR", "AWAITING_RATING"}


def _day(text: str | None) -> date | None:
    """`2026-09-02 13:15:38`, `2026/6/28`, `2026年6月28日` → the day."""
    if not text:
        return None
    digits = [int(p) for p in
              text.replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-")
              .split(" ")[0].split("-")]
    return date(*digits)


def _expected(truth: list[dict[str, Any]], folder: Path, community: str, start: date,
              end: date) -> dict[str, Counter[str]]:
    """Per compound name, what the section should count over [start, end]."""
    repairs = {r["orderNo"]: r for r in load_rows(folder, "property", "repairs")}
    votes = {r["表决票编号"]: r for r in load_rows(folder, "owners", "votes")}
    out: dict[str, Counter[str]] = defaultdict(Counter)
    matters: dict[str, set[str]] = defaultdict(set)
    for t in truth:
        if t.get("community") != community:
            continue
        c = out[t["compound"]]
        if t["entity"] == "occupancy":
            c["rooms"] += 1
            c[{"OWNER_OCCUPIED": "ownerOccupied", "RENTED": "rented",
               "VACANT": "vacant"}[t["occupancy"]]] += 1
            if t["arrearsMonths"] > 0:
                c["roomsInArrears"] += 1
                c["arrearsMonths"] += t["arrearsMonths"]
        elif t["entity"] == "repair_order":
            row = repairs[t["local_id"]]
            reported, finished = _day(row["reportTime"]), _day(row["finishTime"])
            assert reported is not None
            c["repairsOpened"] += start <= reported <= end
            c["repairsDone"] += t["status"] == "DONE" and finished is not None \
                and start <= finished <= end
            c["repairsOpenAtEnd"] += reported <= end and t["status"] in OPEN
        elif t["entity"] == "owner_vote":
            voted = _day(votes[t["local_id"]]["投票日期"])
            if voted is not None and start <= voted <= end:
                c["ballots"] += 1
                matters[t["compound"]].add(t["matter"])
    for name, seen in matters.items():
        out[name]["mattersVoted"] = len(seen)
    return out


FIELDS = ("rooms", "ownerOccupied", "rented", "vacant", "repairsOpened", "repairsDone",
          "repairsOpenAtEnd", "roomsInArrears", "arrearsMonths", "mattersVoted", "ballots")


async def test_property_figures_match_the_truth_per_compound(
        client: httpx.AsyncClient, truth: list[dict[str, Any]], world_folder: Path) -> None:
    communities = sorted({t["community"] for t in truth if t.get("entity") == "occupancy"})
    assert len(communities) == 3
    for days in (365, 60):
        start = TODAY - timedelta(days=days - 1)
        period = {"from": start.isoformat(), "to": TODAY.isoformat()}
        for community in communities:
            body = await _post(client, PROPERTY, {"c": community, "p": period})
            assert "errors" not in body, body["errors"]
            brief = body["data"]["coordinationBrief"]
            assert "property" not in brief["missing"] and "owners" not in brief["missing"]
            want = _expected(truth, world_folder, community, start, TODAY)
            got = {c["compound"]: c for c in brief["property"]["byCompound"]}
            assert set(want) <= set(got)
            for name, counts in want.items():
                assert {f: got[name][f] for f in FIELDS} == {f: counts[f] for f in FIELDS}, \
                    (community, days, name)
            total = brief["property"]["total"]
            assert total["compoundId"] is None
            assert total["rooms"] == sum(c["rooms"] for c in want.values()) > 0
            assert total["ballots"] == sum(c["ballots"] for c in want.values())


async def test_every_property_figure_lists_what_it_counts(
        client: httpx.AsyncClient, truth: list[dict[str, Any]]) -> None:
    community = sorted({t["community"] for t in truth if t.get("entity") == "owner_vote"})[0]
    period = {"from": (TODAY - timedelta(days=364)).isoformat(), "to": TODAY.isoformat()}
    brief = (await _post(client, PROPERTY, {"c": community, "p": period}))["data"]
    compounds = brief["coordinationBrief"]["property"]["byCompound"]
    voted = next(c for c in compounds if c["ballots"])
    for figure, field in (("property.rooms", "rooms"), ("property.vacant", "vacant"),
                          ("property.repairsOpened", "repairsOpened"),
                          ("property.repairsOpenAtEnd", "repairsOpenAtEnd"),
                          ("property.roomsInArrears", "roomsInArrears"),
                          ("property.ballots", "ballots"),
                          ("property.mattersVoted", "mattersVoted")):
        page = (await _post(client, ITEMS, {"c": community, "p": period, "f": figure,
                                            "k": voted["compoundId"]}))["data"]["briefItems"]
        assert page["totalCount"] == voted[field], figure
    ballots = (await _post(client, ITEMS, {"c": community, "p": period, "f": "property.ballots",
                                           "k": voted["compoundId"]}))["data"]["briefItems"]
    assert {e["node"]["partner"] for e in ballots["edges"]} == {"owners"}
    assert {e["node"]["kind"] for e in ballots["edges"]} == {"vote"}


COMMUNITY = """query($id: ID!) { community(id: $id) { property { compounds {
  compound openRepairOrders repairOrders { count } votes { matter participants } } } } }"""
# A period that holds every record: figures by date then count what Community.property counts.
EVER = {"from": "2000-01-01", "to": TODAY.isoformat()}


async def _both(client: httpx.AsyncClient, community: str) -> tuple[dict[str, Any],
                                                                    dict[str, Any]]:
    brief = await _post(client, PROPERTY, {"c": community, "p": EVER})
    assert "errors" not in brief, brief["errors"]
    prop = await _post(client, COMMUNITY, {"id": f"Community:{community}"})
    assert "errors" not in prop, prop["errors"]
    return ({c["compound"]: c for c in brief["data"]["coordinationBrief"]["property"]["byCompound"]},
            {c["compound"]: c for c in prop["data"]["community"]["property"]["compounds"]})


async def test_the_brief_and_community_property_count_alike_per_compound(
        client: httpx.AsyncClient, truth: list[dict[str, Any]]) -> None:
    """One attribution rule: every compound's repair orders and ballots are the same records in
    the brief and in Community.property."""
    communities = sorted({t["community"] for t in truth if t.get("entity") == "occupancy"})
    compared = 0
    for community in communities:
        brief, prop = await _both(client, community)
        assert set(prop) <= set(brief)
        for name, figures in brief.items():
            mine = prop.get(name, {"openRepairOrders": 0, "repairOrders": [], "votes": []})
            assert (figures["repairsOpened"], figures["repairsOpenAtEnd"], figures["ballots"],
                    figures["mattersVoted"]) == (
                sum(s["count"] for s in mine["repairOrders"]), mine["openRepairOrders"],
                sum(v["participants"] for v in mine["votes"]), len(mine["votes"])), \
                (community, name)
            compared += bool(figures["repairsOpened"])
    assert compared >= 6


async def test_a_compound_counts_the_records_that_use_its_former_name(
        client: httpx.AsyncClient, truth: list[dict[str, Any]], world_folder: Path) -> None:
    from gateway.demo.estate import FORMER_NAME

    houses = [h for h in load_rows(world_folder, "property", "houses")
              if h["projectName"] == FORMER_NAME]
    orders = [o for o in load_rows(world_folder, "property", "repairs")
              if o["projectName"] == FORMER_NAME]
    assert houses and orders  # the demo's property company does use the old name
    rooms = {t["local_id"]: t for t in truth if t["entity"] == "occupancy"}
    ((community, compound),) = {(rooms[h["houseId"]]["community"], rooms[h["houseId"]]["compound"])
                                for h in houses}
    assert compound != FORMER_NAME
    vacant = sum(h["checkInStatus"] == "空置" for h in houses)
    assert vacant  # rooms no household links: only the name places them
    brief, prop = await _both(client, community)
    assert brief[compound]["rooms"] == len(houses)
    assert brief[compound]["vacant"] == vacant
    assert sum(s["count"] for s in prop[compound]["repairOrders"]) == len(orders)
