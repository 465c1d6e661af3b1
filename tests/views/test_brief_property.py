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
