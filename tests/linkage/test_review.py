"""Human review through the API: the queue, the four decisions, and their stickiness across
automatic runs. These tests decide on their own store, so the shared one stays as linked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import orjson
import pytest
from asgi_lifespan import LifespanManager

from gateway.linkage.link import link_all, link_pending
from tests.conftest import agency_headers, agency_key, synced_store

OFFICER = {"X-Officer": quote("网格员 王芳")}

QUEUE = """query($first: Int, $after: String) {
  linkReviewQueue(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id impact score runnerUp reason proposedResident
      evidence { attribute weight }
      asWritten { name idNumberMasked phoneMasked address }
      record { id partner entity status linkMethod }
      proposedHousehold { id } } }
  }
}"""

HOUSEHOLD = """query($id: ID!) {
  household(id: $id) { id residents { id name }
    sourceRecords { id status linkMethod confidence score decidedBy decidedAt
                    evidence { attribute weight } } }
}"""


@pytest.fixture(scope="module")
async def review_store(pg_admin: str, district: Any, settings: Any) -> str:
    uri = await synced_store(pg_admin, "review", district, settings)
    return uri


@pytest.fixture(scope="module")
async def review_key(review_store: str) -> str:
    return await agency_key(review_store, "review-district", "residents_committee", ["*"])


@pytest.fixture(scope="module")
async def api(review_store: str, review_key: str, district: Any,
              settings: Any) -> AsyncIterator[Any]:
    from gateway.app import create_app

    app = create_app(settings, store_uri=review_store, partners=district.partners_config())
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        headers = agency_headers(review_key, officer="复核员")
        async with httpx.AsyncClient(transport=transport, base_url="http://juheli.test",
                                     headers=headers) as c:

            async def run(query: str, variables: dict[str, Any] | None = None,
                          headers: dict[str, str] | None = None) -> dict[str, Any]:
                r = await c.post("/graphql", json={"query": query, "variables": variables or {}},
                                 headers=headers or {})
                assert r.status_code == 200, r.text
                return dict(orjson.loads(r.content))

            yield run


@pytest.fixture(scope="module")
async def pool(review_store: str) -> AsyncIterator[asyncpg.Pool]:
    p = await asyncpg.create_pool(review_store, min_size=1, max_size=2)
    yield p
    await p.close()


def _code(result: dict[str, Any]) -> str:
    return str(result["errors"][0]["extensions"]["code"])


async def test_queue_is_ordered_by_impact_and_pages_by_keyset(api: Any) -> None:
    first = (await api(QUEUE, {"first": 3}))["data"]["linkReviewQueue"]
    assert first["totalCount"] > 3  # a district with noise always leaves some to people
    items = [e["node"] for e in first["edges"]]
    assert len(items) == 3
    rest = (await api(QUEUE, {"first": 100, "after": first["pageInfo"]["endCursor"]})
            )["data"]["linkReviewQueue"]
    everything = items + [e["node"] for e in rest["edges"]]
    assert len({i["id"] for i in everything}) == len(everything)
    impacts = [i["impact"] for i in everything]
    assert impacts == sorted(impacts, reverse=True)
    for item in everything:
        assert item["record"]["status"] == "NEEDS_REVIEW"
        assert item["proposedHousehold"]["id"].startswith("Household:")
        assert item["reason"] and item["evidence"]
        assert item["score"] is not None
        # what the body wrote is shown, but never a full ID number
        masked = item["asWritten"]["idNumberMasked"]
        assert masked is None or "*" in masked
    bad = await api(QUEUE, {"first": 2, "after": "bm90LWEtY3Vyc29y"})
    assert _code(bad) == "BAD_REQUEST"


async def test_confirm_needs_an_officer_and_is_sticky(api: Any, pool: asyncpg.Pool) -> None:
    queue = (await api(QUEUE, {"first": 1}))["data"]["linkReviewQueue"]
    total = queue["totalCount"]
    item = queue["edges"][0]["node"]
    confirm = """mutation($r: ID!) { confirmLink(record: $r, note: "核实过") {
        decidedBy decidedAt household { id } record { id status linkMethod } } }"""
    refused = await api(confirm, {"r": item["record"]["id"]}, {"X-Officer": ""})
    assert _code(refused) == "OFFICER_REQUIRED"

    done = (await api(confirm, {"r": item["record"]["id"]}, OFFICER))["data"]["confirmLink"]
    assert done["decidedBy"] == "网格员 王芳"
    assert done["record"]["status"] == "CONFIRMED"
    assert done["record"]["linkMethod"] == "human"
    household = done["household"]["id"]
    assert household == item["proposedHousehold"]["id"]
    after = (await api(QUEUE, {"first": 1}))["data"]["linkReviewQueue"]
    assert after["totalCount"] == total - 1

    # An automatic batch run and an incremental run leave the decision alone.
    await link_all(pool)
    await pool.execute("UPDATE source_records SET link_pending = true")
    await link_pending(pool)
    page = (await api(HOUSEHOLD, {"id": household}))["data"]["household"]
    mine = [r for r in page["sourceRecords"] if r["id"] == item["record"]["id"]]
    assert mine and mine[0]["status"] == "CONFIRMED" and mine[0]["decidedBy"] == "网格员 王芳"
    log = await pool.fetchrow("SELECT officer, action, note FROM link_decisions ORDER BY id LIMIT 1")
    assert dict(log) == {"officer": "网格员 王芳", "action": "confirm", "note": "核实过"}


async def test_reject_takes_a_record_off_the_household_for_good(
    api: Any, pool: asyncpg.Pool
) -> None:
    row = await pool.fetchrow(
        """SELECT s.partner, s.entity, s.local_id, s.subject, h.key FROM links l
           JOIN source_records s ON s.id = l.source_record_id
           JOIN households h ON h.id = l.household_id
           WHERE l.status = 'auto' AND s.partner = 'hall' ORDER BY s.id LIMIT 1""")
    rid = f"SourceRecord:{row['partner']}:{row['entity']}:{row['local_id']}:{row['subject']}"
    hid = f"Household:{row['key']}"
    before = (await api(HOUSEHOLD, {"id": hid}))["data"]["household"]["sourceRecords"]
    assert rid in {r["id"] for r in before}
    auto = next(r for r in before if r["id"] == rid)
    assert auto["status"] == "AUTO" and auto["score"] > 0 and auto["evidence"]

    result = await api('mutation($r: ID!) { rejectLink(record: $r) { household { id } '
                       'record { status } } }', {"r": rid}, OFFICER)
    assert result["data"]["rejectLink"] == {"household": None, "record": {"status": "REJECTED"}}
    await link_all(pool)
    after = (await api(HOUSEHOLD, {"id": hid}))["data"]["household"]["sourceRecords"]
    assert rid not in {r["id"] for r in after}


async def test_merge_and_split_survive_the_registry_rebuild(api: Any, pool: asyncpg.Pool) -> None:
    pair = await pool.fetch(
        """SELECT h.key, count(p.id) AS n FROM households h JOIN persons p ON p.household_id = h.id
           WHERE h.merged_into IS NULL GROUP BY h.key HAVING count(p.id) >= 2
           ORDER BY h.key DESC LIMIT 2""")
    into, other = (f"Household:{r['key']}" for r in pair)
    residents_before = {
        h: {r["id"] for r in (await api(HOUSEHOLD, {"id": h}))["data"]["household"]["residents"]}
        for h in (into, other)
    }
    merged = await api('mutation($a: ID!, $b: ID!) { mergeHouseholds(into: $a, from: $b) '
                       '{ id residents { id } } }', {"a": into, "b": other}, OFFICER)
    assert merged["data"]["mergeHouseholds"]["id"] == into
    assert {r["id"] for r in merged["data"]["mergeHouseholds"]["residents"]} == (
        residents_before[into] | residents_before[other])
    await link_all(pool)  # rebuilds households and persons from the registry
    redirected = (await api(HOUSEHOLD, {"id": other}))["data"]["household"]
    assert redirected["id"] == into
    assert {r["id"] for r in redirected["residents"]} == (
        residents_before[into] | residents_before[other])

    # Now split the other family back out, by its residents.
    moved = sorted(residents_before[other])
    split = await api('mutation($h: ID!, $p: [ID!]!) { splitHousehold(household: $h, '
                      'residents: $p) { id residents { id } } }', {"h": into, "p": moved}, OFFICER)
    new = split["data"]["splitHousehold"]
    assert new["id"] == f"{into}-1"
    assert {r["id"] for r in new["residents"]} == set(moved)
    await link_all(pool)
    again = (await api(HOUSEHOLD, {"id": new["id"]}))["data"]["household"]
    assert {r["id"] for r in again["residents"]} == set(moved)
    left = (await api(HOUSEHOLD, {"id": into}))["data"]["household"]
    assert {r["id"] for r in left["residents"]} == residents_before[into]
    actions = [r["action"] for r in await pool.fetch(
        "SELECT action FROM link_decisions WHERE action IN ('merge', 'split') ORDER BY id")]
    assert actions == ["merge", "split"]


async def test_bad_decisions_get_coded_errors(api: Any, pool: asyncpg.Pool) -> None:
    key = await pool.fetchval(
        "SELECT h.key FROM households h JOIN persons p ON p.household_id = h.id "
        "WHERE h.merged_into IS NULL GROUP BY h.key HAVING count(*) = 1 ORDER BY h.key LIMIT 1")
    person = await pool.fetchval(
        "SELECT p.key FROM persons p JOIN households h ON h.id = p.household_id WHERE h.key = $1",
        key)
    split = 'mutation($h: ID!, $p: [ID!]!) { splitHousehold(household: $h, residents: $p) { id } }'
    cases = [
        (split, {"h": f"Household:{key}", "p": [f"Resident:rc:{person}"]}, "LINK_CONFLICT"),
        (split, {"h": f"Household:{key}", "p": ["Resident:rc:NOPE"]}, "NOT_FOUND"),
        (split, {"h": f"Household:{key}", "p": ["rc:NOPE"]}, "MALFORMED_ID"),
        ('mutation($a: ID!) { mergeHouseholds(into: $a, from: $a) { id } }',
         {"a": f"Household:{key}"}, "LINK_CONFLICT"),
        ('mutation { rejectLink(record: "SourceRecord:hall:case:NOPE:0") { decidedBy } }', {},
         "NOT_FOUND"),
        ('mutation { confirmLink(record: "SourceRecord:hall") { decidedBy } }', {},
         "MALFORMED_ID"),
    ]
    for query, variables, code in cases:
        result = await api(query, variables, OFFICER)
        assert result["data"] is None, query
        assert _code(result) == code, (query, result)
    # nothing was half-done
    assert await pool.fetchval(
        "SELECT count(*) FROM link_decisions WHERE action = 'split' AND target->>'household' = $1",
        key) == 0


async def test_mutations_are_refused_over_get(api: Any, review_store: str, review_key: str,
                                              district: Any, settings: Any) -> None:
    from gateway.app import create_app

    app = create_app(settings, store_uri=review_store, partners=district.partners_config())
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://juheli.test") as c:
            r = await c.get("/graphql", params={
                "query": 'mutation { rejectLink(record: "SourceRecord:hall:case:X:0") '
                         "{ decidedBy } }"}, headers={**agency_headers(review_key), **OFFICER})
    assert r.status_code in {400, 405}


async def test_the_documented_review_operations_run(api: Any) -> None:
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "linkage.md").read_text("utf-8")
    queue, decide = re.findall(r"```graphql\n(.*?)```", doc, re.S)
    page = await api(queue)
    assert "errors" not in page, page
    first = page["data"]["linkReviewQueue"]["edges"][0]["node"]
    done = await api(decide, {"record": first["record"]["id"]}, OFFICER)
    assert "errors" not in done, done
    assert done["data"]["confirmLink"]["record"]["status"] == "CONFIRMED"
