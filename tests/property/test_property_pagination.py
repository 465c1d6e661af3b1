"""The property lists that grow, paged (docs/pagination.md): a household's repair orders and
ballots, a compound's tallies — every item once, `totalCount` the list's length, the plain
(deprecated) list's items exactly, and a cursor of another list refused."""

from __future__ import annotations

import base64
from typing import Any

import asyncpg
import orjson
import pytest

from gateway.resolvers.paging import decode

# Within the default depth of 6 (a connection's `edges { node }` counts two levels): what names
# an item here is a scalar of the node, and a tally's matter is read from its cursor.
IDENTITY = {"repairOrders": "number", "votes": "matter roomCode votedOn ownerName"}
HOUSEHOLD = """query($id: ID!, $first: Int, $after: String) { household(id: $id) { property {
  %s { %s } %s(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { %s } } } } } }"""
COMPOUNDS = """query($id: ID!, $first: Int, $after: String) { community(id: $id) { property {
  compounds { compound votes { matter } votesConnection(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor } } } } } }"""


async def _busiest(uri: str, entity: str) -> str:
    conn = await asyncpg.connect(uri)
    try:
        return str(await conn.fetchval("""
            SELECT h.key FROM source_records s
            JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
            JOIN households h ON h.id = l.household_id
            WHERE s.entity = $1 GROUP BY h.key ORDER BY count(*) DESC, h.key LIMIT 1""", entity))
    finally:
        await conn.close()


@pytest.mark.parametrize(("entity", "plain", "field"), [
    ("repair_order", "repairOrders", "repairOrdersConnection"),
    ("owner_vote", "votes", "votesConnection"),
])
async def test_a_households_property_lists_page_through_every_item(
        pgql: Any, property_store: str, entity: str, plain: str, field: str) -> None:
    hid = f"Household:{await _busiest(property_store, entity)}"
    query = HOUSEHOLD % (plain, IDENTITY[plain], field, IDENTITY[plain])
    seen: list[str] = []
    cursors: list[str] = []
    after, everything = None, None
    for _ in range(100):
        result = await pgql(query, {"id": hid, "first": 1, "after": after})
        assert "errors" not in result, result["errors"]
        prop = result["data"]["household"]["property"]
        everything = [orjson.dumps(i).decode() for i in prop[plain]]
        page = prop[field]
        assert page["totalCount"] == len(everything)
        seen += [orjson.dumps(e["node"]).decode() for e in page["edges"]]
        cursors += [e["cursor"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert everything is not None and len(everything) >= 2, f"a household with several {plain}"
    assert len(cursors) == len(set(cursors)), "no item twice"
    assert sorted(seen) == sorted(everything)


def _matter(cursor: str) -> str:
    return decode("tally", cursor, 3)[2]  # ("", compound, matter)


async def test_a_compounds_tallies_page_by_matter(pgql: Any) -> None:
    code = "Community:110105001001"
    first = await pgql(COMPOUNDS, {"id": code, "first": 1})
    assert "errors" not in first, first["errors"]
    compounds = [c for c in first["data"]["community"]["property"]["compounds"]
                 if len(c["votes"]) >= 2]
    assert compounds, "a compound that voted on several matters"
    target = compounds[0]
    matters = [t["matter"] for t in target["votes"]]
    seen = [_matter(e["cursor"]) for e in target["votesConnection"]["edges"]]
    after = target["votesConnection"]["pageInfo"]["endCursor"]
    while after:
        result = await pgql(COMPOUNDS, {"id": code, "first": 1, "after": after})
        page = next(c for c in result["data"]["community"]["property"]["compounds"]
                    if c["compound"] == target["compound"])["votesConnection"]
        assert page["totalCount"] == len(matters)
        seen += [_matter(e["cursor"]) for e in page["edges"]]
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    assert seen == sorted(matters)


async def test_a_cursor_of_another_list_is_a_bad_request(pgql: Any,
                                                         property_store: str) -> None:
    hid = f"Household:{await _busiest(property_store, 'repair_order')}"
    ballot = base64.urlsafe_b64encode(b'ballot:["", "p", "owner_vote", "1"]').decode()
    result = await pgql(HOUSEHOLD % ("fees", "arrearsMonths", "repairOrdersConnection", "number"),
                        {"id": hid, "first": 5, "after": ballot})
    assert [e["extensions"]["code"] for e in result["errors"]] == ["BAD_REQUEST"]
