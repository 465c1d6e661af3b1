"""Relay connections over a household's lists that grow (docs/pagination.md): paging reaches
every item once, `totalCount` is the list's length, cursors are keys (an item added before a
cursor changes nothing after it), bad cursors and pages are refused with their codes, and a
page of households still costs one partner call per (partner, entity)."""

from __future__ import annotations

import base64
from typing import Any

import asyncpg
import orjson
import pytest

from gateway.resolvers.paging import connection
from gateway.schema.pagination import MAX_PAGE

SOURCE = "source { partner entity localId }"
# plain field, its connection, what names an item
LISTS = {
    "appeals": ("appealsConnection", SOURCE),
    "disputes": ("disputesConnection", SOURCE),
    "services": ("servicesConnection", SOURCE),
    "careCards": ("careCardsConnection", SOURCE),
    "contactVisits": ("contactVisitsConnection", SOURCE),
    "sourceRecords": ("sourceRecordsConnection", "id"),
}
COUNTS = "{ households(first: 100) { edges { node { id %s { %s } } } } }"
_BUSIEST: dict[str, tuple[str, list[str]]] = {}  # the district is the session's: read it once


def _name(item: dict[str, Any]) -> str:
    return item["id"] if "id" in item else orjson.dumps(item["source"]).decode()


@pytest.fixture
async def busiest(gql: Any) -> dict[str, tuple[str, list[str]]]:
    """For each list, the household of the first hundred with the most items, and the items the
    plain (deprecated) field lists."""
    for plain, (_, ident) in LISTS.items():
        if plain in _BUSIEST:
            continue
        result = await gql(COUNTS % (plain, ident))
        assert "errors" not in result, result.get("errors")
        nodes = [e["node"] for e in result["data"]["households"]["edges"]]
        node = max(nodes, key=lambda n: len(n[plain] or []))
        _BUSIEST[plain] = (node["id"], [_name(i) for i in node[plain]])
    return _BUSIEST


async def _page(gql: Any, hid: str, field: str, ident: str, first: int,
                after: str | None) -> dict[str, Any]:
    query = (f"query($id: ID!, $first: Int, $after: String) {{ household(id: $id) {{ "
             f"{field}(first: $first, after: $after) {{ totalCount pageInfo {{ hasNextPage "
             f"endCursor }} edges {{ cursor node {{ {ident} }} }} }} }} }}")
    result = await gql(query, {"id": hid, "first": first, "after": after})
    assert "errors" not in result, result.get("errors")
    return dict(result["data"]["household"][field])


async def _walk(gql: Any, hid: str, field: str, ident: str, first: int) -> tuple[list[str], int]:
    seen: list[str] = []
    after, totals = None, set()
    for _ in range(200):
        page = await _page(gql, hid, field, ident, first, after)
        totals.add(page["totalCount"])
        seen += [_name(e["node"]) for e in page["edges"]]
        assert len(page["edges"]) <= first
        if page["edges"]:
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(totals) == 1
    return seen, totals.pop()


@pytest.mark.parametrize("plain", list(LISTS))
async def test_paging_reaches_every_item_once(gql: Any, busiest: Any, plain: str) -> None:
    field, ident = LISTS[plain]
    hid, items = busiest[plain]
    assert len(items) >= 2, f"the district has a household with several {plain}"
    seen, total = await _walk(gql, hid, field, ident, first=1)
    assert len(seen) == len(set(seen)), "no item twice"
    assert sorted(seen) == sorted(items)
    assert total == len(items)


async def test_appeals_come_newest_first(gql: Any, busiest: Any) -> None:
    hid, _ = busiest["appeals"]
    page = await _page(gql, hid, "appealsConnection", "receivedAt", MAX_PAGE, None)
    dates = [e["node"]["receivedAt"] or "" for e in page["edges"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == page["totalCount"]


async def test_a_record_added_before_the_cursor_changes_nothing_after_it(
        gql: Any, busiest: Any, store_uri: str) -> None:
    hid, items = busiest["sourceRecords"]
    first = await _page(gql, hid, "sourceRecordsConnection", "id partner entity", 2, None)
    rest_before, _ = await _walk_after(gql, hid, first["pageInfo"]["endCursor"])
    head = first["edges"][0]["node"]
    conn = await asyncpg.connect(store_uri)
    try:
        # A record of the same body and entity whose id sorts before every other: through the
        # store as sync writes it, linked to this household.
        record_id = await conn.fetchval(
            "INSERT INTO source_records (partner, entity, local_id, attrs, raw, read_at) "
            "VALUES ($1, $2, ' relay-test', '{}', '{}', now()) RETURNING id",
            head["partner"], head["entity"])
        await conn.execute(
            "INSERT INTO links (source_record_id, household_id, method, confidence, status) "
            "SELECT $1, id, 'human', 1.0, 'confirmed' FROM households WHERE key = $2",
            record_id, hid.removeprefix("Household:"))
        again = await _page(gql, hid, "sourceRecordsConnection", "id partner entity", 2, None)
        rest_after, total = await _walk_after(gql, hid, first["pageInfo"]["endCursor"])
    finally:
        await conn.execute("DELETE FROM source_records WHERE local_id = ' relay-test'")
        await conn.close()
    assert again["totalCount"] == len(items) + 1 == total
    assert "relay-test" in again["edges"][0]["node"]["id"], "the new record comes first"
    assert rest_after == rest_before, "the old cursor still names the same place"


async def _walk_after(gql: Any, hid: str, after: str) -> tuple[list[str], int]:
    page = await _page(gql, hid, "sourceRecordsConnection", "id", MAX_PAGE, after)
    return [e["node"]["id"] for e in page["edges"]], page["totalCount"]


def test_a_dated_cursor_survives_a_newer_item() -> None:
    items = [("2024-03-01", "b"), ("2024-02-01", "a"), ("2024-02-01", "c"), ("2023-12-31", "a")]

    def key(i: tuple[str, str]) -> tuple[str, ...]:
        return (i[0], "hotline", "ticket", i[1])

    first = connection(items, key, tag="t", width=4, first=2, after=None)
    assert [e.node for e in first.edges] == items[:2]
    newer = [("2024-05-01", "z"), *items]
    rest = connection(newer, key, tag="t", width=4, first=10, after=first.page_info.end_cursor)
    assert [e.node for e in rest.edges] == [("2024-02-01", "c"), ("2023-12-31", "a")]
    assert rest.total_count == 5 and not rest.page_info.has_next_page


def _households_cursor() -> str:
    return base64.urlsafe_b64encode(b"hh:0001").decode()


@pytest.mark.parametrize("cursor", ["not base64 ~~", "", "YXBwZWFsOnt9", _households_cursor(),
                                    base64.urlsafe_b64encode(b'appeal:["a"]').decode()])
async def test_a_malformed_cursor_is_a_bad_request(gql: Any, busiest: Any, cursor: str) -> None:
    hid, _ = busiest["appeals"]
    result = await gql("query($id: ID!, $after: String) { household(id: $id) { "
                       "appealsConnection(after: $after) { totalCount } } }",
                       {"id": hid, "after": cursor or "=="})
    codes = {e["extensions"]["code"] for e in result["errors"]}
    assert codes == {"BAD_REQUEST"}
    assert result["data"]["household"]["appealsConnection"] is None


async def test_first_over_the_limit_is_refused_before_running(gql: Any, busiest: Any) -> None:
    hid, _ = busiest["disputes"]
    result = await gql("query($id: ID!, $first: Int) { household(id: $id) { "
                       "disputesConnection(first: $first) { totalCount } } }",
                       {"id": hid, "first": MAX_PAGE + 1})
    assert "data" not in result or result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["PAGE_TOO_LARGE"]
    negative = await gql("query($id: ID!) { household(id: $id) { servicesConnection(first: -1) "
                         "{ totalCount } } }", {"id": hid})
    assert [e["extensions"]["code"] for e in negative["errors"]] == ["BAD_REQUEST"]


# Within the default depth of 6: `edges { cursor }` of each household's page (the nodes behind
# them are fetched all the same, to count and order them).
PAGE = """{ households(first: 50) { edges { node { id
  appealsConnection(first: 3) { totalCount edges { cursor } }
  disputesConnection(first: 3) { totalCount edges { cursor } }
  servicesConnection(first: 3) { totalCount edges { cursor } } } } } }"""


async def test_a_page_of_households_still_batches(gql: Any, sim_stats: Any) -> None:
    sim_stats(reset=True)
    result = await gql(PAGE)
    assert "errors" not in result, result.get("errors")
    requests = sim_stats()
    sources = result["extensions"]["sources"]
    # appeals: tickets + petitions (+ receptions); disputes: one resource; services: cases +
    # errands — one call each for the fifty households, not one per household.
    assert requests["hotline"] <= 3, requests
    assert requests["mediation"] <= 1, requests
    assert requests["hall"] <= 2, requests
    assert sources["hotline"]["calls"] == requests["hotline"]
    edges = result["data"]["households"]["edges"]
    total = sum(e["node"]["appealsConnection"]["totalCount"] for e in edges)
    households = sum(1 for e in edges if e["node"]["appealsConnection"]["totalCount"])
    assert households > 10 and total > households, "many households' appeals on this page"
    assert sources["hotline"]["keys"] >= 2 * requests["hotline"], "each call carried many keys"


async def test_several_operations_need_an_operation_name(client: Any) -> None:
    document = "query A { __typename } query B { communities { code } }"
    response = await client.post("/graphql", json={"query": document})
    body = orjson.loads(response.content)
    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["GRAPHQL_VALIDATION_FAILED"]
    assert "operationName" in body["errors"][0]["message"]
    named = await client.post("/graphql", json={"query": document, "operationName": "B"})
    assert orjson.loads(named.content)["data"]["communities"]
