"""The property domain through the schema, fed only by the two bodies' definition files:
Household.property and Community.property against the generated ground truth."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import asyncpg
import pytest

from tests.conftest import agency_key

ENTITIES = ("occupancy", "repair_order", "owner", "owner_vote")

HOUSEHOLD = """query($id: ID!) { household(id: $id) { property {
  occupancy { roomCode compound occupancy area source { partner entity localId } }
  owners { name roomCode committeeRole source { entity } }
  tenants { name roomCode }
  repairOrders { number status category hotlineRef source { localId }
                 hotlineTicket { number kind source { body } } }
  fees { feeRate arrearsMonths area }
  votes { matter choice area votedOn } } } }"""

COMMUNITY = """query($id: ID!) { community(id: $id) { code property {
  householdsInArrears
  compounds { compound openRepairOrders householdsInArrears
              committeeMembers { name committeeRole }
              repairOrders { status count }
              votes { matter ownersTotal areaTotal participants participatingArea forCount
                      forArea againstCount abstainCount specialMajority participationMet
                      passed } } } } }"""


async def _rows(uri: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(uri)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def _linked(uri: str, entity: str) -> dict[str, list[str]]:
    """household key → local ids of `entity` records the store linked to it (any subject: a
    rented room is the tenant's household's, not the owner's)."""
    rows = await _rows(uri, """
        SELECT DISTINCT h.key, s.local_id FROM source_records s
        JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
        JOIN households h ON h.id = l.household_id
        WHERE s.entity = $1 ORDER BY h.key, s.local_id""", entity)
    out: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        out[r["key"]].append(r["local_id"])
    return out


def _truth(truth: list[dict[str, Any]], partner: str, entity: str) -> dict[str, dict[str, Any]]:
    return {t["local_id"]: t for t in truth if t["partner"] == partner and t["entity"] == entity}


def _hubh(truth: list[dict[str, Any]]) -> dict[str, str]:
    return {t["household"]: t["local_id"] for t in truth
            if t["partner"] == "rc" and t["entity"] == "household"}


async def test_rooms_link_to_the_households_that_live_in_them(
        property_store: str, truth: list[dict[str, Any]]) -> None:
    rooms, hubh = _truth(truth, "property", "occupancy"), _hubh(truth)
    linked = await _linked(property_store, "occupancy")
    pairs = [(key, house) for key, houses in linked.items() for house in houses]
    right = sum(hubh.get(rooms[house]["household"] or "") == key for key, house in pairs)
    lived_in = sum(1 for t in rooms.values() if t["household"])
    assert pairs and right / len(pairs) > 0.9  # precision of the property-to-household links
    # Recall: no ID numbers, only names, phones and room codes (measured 0.955 at 600
    # households; the misses name a former owner who lives elsewhere).
    assert right / lived_in > 0.93


async def test_household_property_shows_its_rooms_fees_and_orders(
        pgql: Any, property_store: str, truth: list[dict[str, Any]]) -> None:
    rooms = _truth(truth, "property", "occupancy")
    linked = await _linked(property_store, "occupancy")
    rented = [k for k, hs in linked.items() if any(rooms[h]["occupancy"] == "RENTED" for h in hs)]
    arrears = [k for k, hs in linked.items() if any(rooms[h]["arrearsMonths"] for h in hs)]
    assert rented and arrears
    for key in sorted({*rented[:4], *arrears[:4]}):
        result = await pgql(HOUSEHOLD, {"id": f"Household:{key}"})
        assert "errors" not in result, result["errors"]
        prop = result["data"]["household"]["property"]
        assert sorted(o["source"]["localId"] for o in prop["occupancy"]) == linked[key]
        assert {o["source"]["entity"] for o in prop["occupancy"]} == {"occupancy"}
        want = [rooms[h] for h in linked[key]]
        assert [o["occupancy"] for o in prop["occupancy"]] == [t["occupancy"] for t in want]
        assert prop["fees"]["arrearsMonths"] == max(t["arrearsMonths"] for t in want)
        assert prop["fees"]["feeRate"] > 0 and prop["fees"]["area"] > 0
        if any(t["occupancy"] == "RENTED" for t in want):
            assert prop["tenants"] and all(t["name"] for t in prop["tenants"])


async def test_a_repair_order_from_12345_links_its_ticket(
        pgql: Any, property_store: str, truth: list[dict[str, Any]]) -> None:
    orders = _truth(truth, "property", "repair_order")
    linked = await _linked(property_store, "repair_order")
    from_hotline = [(k, o) for k, os in linked.items() for o in os if orders[o]["hotline"]]
    assert from_hotline, "some repair orders came from 12345 and were linked"
    key, number = from_hotline[0]
    result = await pgql(HOUSEHOLD, {"id": f"Household:{key}"})
    assert "errors" not in result, result["errors"]
    mine = [o for o in result["data"]["household"]["property"]["repairOrders"]
            if o["number"] == number]
    assert len(mine) == 1
    order = mine[0]
    assert order["hotlineRef"] == orders[number]["hotline"]
    assert order["status"] == orders[number]["status"]
    assert order["hotlineTicket"]["number"] == order["hotlineRef"]
    assert order["hotlineTicket"]["kind"] == "HOTLINE_TICKET"


async def test_community_property_counts_match_the_truth(
        pgql: Any, property_store: str, truth: list[dict[str, Any]]) -> None:
    code = "110105001001"
    result = await pgql(COMMUNITY, {"id": f"Community:{code}"})
    assert "errors" not in result, result["errors"]
    prop = result["data"]["community"]["property"]
    compounds = {c["compound"]: c for c in prop["compounds"]}
    orders = [t for t in _truth(truth, "property", "repair_order").values()
              if t["community"] == code]
    want_orders: dict[str, Counter[str]] = defaultdict(Counter)
    for t in orders:
        want_orders[t["compound"]][t["status"]] += 1
    assert set(want_orders) <= set(compounds)
    for name, counts in want_orders.items():
        got = {s["status"]: s["count"] for s in compounds[name]["repairOrders"]}
        assert got == dict(counts), name
        open_ = sum(n for s, n in counts.items() if s not in ("DONE", "CANCELLED"))
        assert compounds[name]["openRepairOrders"] == open_
    _check_votes(compounds, truth, code)
    rooms = [t for t in _truth(truth, "property", "occupancy").values()
             if t["community"] == code and t["household"] and t["arrearsMonths"]]
    expected = len({t["household"] for t in rooms})
    # Linked through names, phones and room codes only (no ID numbers): the linkage finds most
    # households truly in arrears (recall as in the linkage test) and invents next to none.
    assert 0.6 * expected <= prop["householdsInArrears"] <= expected + 2
    assert prop["householdsInArrears"] == sum(c["householdsInArrears"]
                                              for c in prop["compounds"])


def _check_votes(compounds: dict[str, Any], truth: list[dict[str, Any]], code: str) -> None:
    roster = [t for t in _truth(truth, "owners", "owner").values() if t["community"] == code]
    ballots = [t for t in _truth(truth, "owners", "owner_vote").values()
               if t["community"] == code]
    assert roster and ballots, "the first compound of a district always has a committee"
    for name in {t["compound"] for t in roster}:
        mine = [t for t in roster if t["compound"] == name]
        board = Counter(t["role"] for t in mine if t["role"])
        got = Counter(m["committeeRole"] for m in compounds[name]["committeeMembers"])
        assert got == board
        tallies = {v["matter"]: v for v in compounds[name]["votes"]}
        matters = {t["matter"] for t in ballots if t["compound"] == name}
        assert set(tallies) == matters
        for matter in matters:
            votes = [t for t in ballots if t["compound"] == name and t["matter"] == matter]
            tally = tallies[matter]
            assert tally["ownersTotal"] == len(mine)
            assert tally["areaTotal"] == pytest.approx(sum(t["area"] for t in mine), abs=0.01)
            assert tally["participants"] == len(votes)
            choices = Counter(t["choice"] for t in votes)
            assert (tally["forCount"], tally["againstCount"], tally["abstainCount"]) == (
                choices["FOR"], choices["AGAINST"], choices["ABSTAIN"])
            took_part = (3 * len(votes) >= 2 * len(mine) and 3 * tally["participatingArea"]
                         >= 2 * tally["areaTotal"])
            assert tally["participationMet"] == took_part
            assert tally["specialMajority"] == ("电梯" in matter or "停车" in matter)
            if not took_part:
                assert tally["passed"] is False


async def test_the_property_group_guards_and_masks(
        pgql: Any, property_store: str) -> None:
    linked = await _linked(property_store, "occupancy")
    key = sorted(linked)[0]
    party = await agency_key(property_store, "test-party", "party_committee", ["*"])
    refused = await pgql(HOUSEHOLD, {"id": f"Household:{key}"}, key=party)
    assert refused["data"]["household"]["property"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN_FIELD"
    masked_key = await agency_key(property_store, "test-masked", "test_masked", ["*"])
    full = await pgql(HOUSEHOLD, {"id": f"Household:{key}"})
    masked = await pgql(HOUSEHOLD, {"id": f"Household:{key}"}, key=masked_key)
    names = [o["name"] for o in full["data"]["household"]["property"]["owners"]]
    shown = [o["name"] for o in masked["data"]["household"]["property"]["owners"]]
    assert names and all("*" not in n for n in names if n)
    assert all(s is None or (s[0] == n[0] and "*" in s) for s, n in zip(shown, names, strict=True))
    audited = await _rows(property_store, "SELECT count(*) AS n FROM audit_log "
                          "WHERE $1 = ANY(households) AND 'property' = ANY(field_groups)", key)
    assert audited[0]["n"] >= 2  # both reads of the household's property data are audited


async def test_every_row_of_both_bodies_is_synced_and_none_quarantined(
        property_store: str, truth: list[dict[str, Any]]) -> None:
    stored = await _rows(property_store, """
        SELECT partner, entity, count(DISTINCT local_id) AS n FROM source_records
        WHERE partner IN ('property', 'owners') AND entity = ANY($1)
        GROUP BY partner, entity""", list(ENTITIES))
    got = {(r["partner"], r["entity"]): r["n"] for r in stored}
    want = Counter((t["partner"], t["entity"]) for t in truth
                   if t["partner"] in ("property", "owners") and t["entity"] in ENTITIES)
    assert got == dict(want)
    quarantined = await _rows(property_store, "SELECT entity, reason FROM quarantine "
                              "WHERE partner IN ('property', 'owners')")
    assert [dict(r) for r in quarantined] == []
