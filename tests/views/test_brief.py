"""The coordination brief through GraphQL: periods, scope, purposes, missing partners, drills,
and frozen briefs — the figures themselves are checked in test_brief_cases/test_brief_chain."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from gateway.demo.names import TODAY
from tests.conftest import agency_headers, agency_key

YEAR = {"from": (TODAY - timedelta(days=364)).isoformat(), "to": TODAY.isoformat()}

BRIEF = """query Brief($c: ID!, $p: PeriodInput!) {
  coordinationBrief(community: $c, period: $p) {
    community communityName period { from to days } suppressedBelow missing withheld
    disputes { opened closed overdue openAtEnd reportsMerged byCategory { key label opened } }
    appeals { received closed onTimeRate satisfactionRate byChannel { key received } }
    services { total byBody { key count } cardsIssued cardsByKind { key count } }
    chain { households householdsWithoutMember buildings compounds }
    visits { visits members shortOfTarget { memberId name visits target } }
    meetings { kind lastHeld nextDue overdue heldInPeriod }
    needs { byNeed { key count } households { householdId needs helpers { name } } }
    freshness { partner status asOf sections }
  }
}"""


async def _communities(store_uri: str) -> list[str]:
    conn = await asyncpg.connect(store_uri)
    try:
        return [r["code"] for r in await conn.fetch("SELECT code FROM communities ORDER BY 1")]
    finally:
        await conn.close()


async def _post(client: httpx.AsyncClient, query: str, variables: dict[str, Any],
                headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers=headers)
    assert response.status_code == 200, response.text
    return orjson.loads(response.content)


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_a_brief_covers_every_section_with_fresh_partners(
        client: httpx.AsyncClient, store_uri: str) -> None:
    community = (await _communities(store_uri))[0]
    body = await _post(client, BRIEF, {"c": f"Community:{community}", "p": YEAR})
    assert "errors" not in body, body["errors"]
    brief = body["data"]["coordinationBrief"]
    assert brief["community"] == community and brief["communityName"]
    assert brief["period"]["days"] == 365 and brief["suppressedBelow"] is None
    assert brief["missing"] == [] and brief["withheld"] == []
    assert brief["disputes"]["opened"] > 0 and brief["appeals"]["received"] > 0
    assert brief["services"]["total"] > 0 and brief["chain"]["households"] > 0
    assert [m["kind"] for m in brief["meetings"]][:1] == ["JOINT_DELIBERATION"]
    statuses = {f["partner"]: f["status"] for f in brief["freshness"]}
    assert set(statuses.values()) == {"OK"}
    assert {"rc", "party", "hall", "hotline", "mediation", "massorg"} <= set(statuses)


@pytest.mark.parametrize(("period", "code"), [
    ({"from": TODAY.isoformat(), "to": (TODAY - timedelta(days=1)).isoformat()},
     "PERIOD_REVERSED"),
    ({"from": "2099-01-01", "to": "2099-03-31"}, "PERIOD_IN_FUTURE"),
])
async def test_a_bad_period_is_a_coded_error(client: httpx.AsyncClient, store_uri: str,
                                             period: dict[str, str], code: str) -> None:
    community = (await _communities(store_uri))[0]
    body = await _post(client, BRIEF, {"c": community, "p": period})
    assert _codes(body) == [code] and body["data"] is None


async def test_a_period_running_past_today_ends_today(client: httpx.AsyncClient,
                                                      store_uri: str) -> None:
    community = (await _communities(store_uri))[0]
    q = "query($c: ID!, $p: PeriodInput!) { coordinationBrief(community: $c, period: $p) { period { to } } }"
    body = await _post(client, q, {"c": community, "p": {"from": "2026-10-01", "to": "2099-12-31"}})
    assert body["data"]["coordinationBrief"]["period"]["to"] <= "2099-01-01"
    assert body["data"]["coordinationBrief"]["period"]["to"] >= TODAY.isoformat()


async def test_a_community_outside_the_grant_is_refused(client: httpx.AsyncClient,
                                                        store_uri: str) -> None:
    first, second, *_ = await _communities(store_uri)
    key = await agency_key(store_uri, "test-brief-one-community", "residents_committee", [first])
    body = await _post(client, BRIEF, {"c": second, "p": YEAR}, agency_headers(key, "joint_meeting"))
    assert _codes(body) == ["FORBIDDEN"] and body["data"] is None
    body = await _post(client, BRIEF, {"c": first, "p": YEAR}, agency_headers(key, "joint_meeting"))
    assert "errors" not in body


async def test_statistics_gets_suppressed_aggregates_and_no_lists(
        client: httpx.AsyncClient, store_uri: str) -> None:
    community = (await _communities(store_uri))[0]
    key = await agency_key(store_uri, "test-brief-statistics", "statistics", ["*"])
    short = {"from": (TODAY - timedelta(days=30)).isoformat(), "to": TODAY.isoformat()}
    full = (await _post(client, BRIEF, {"c": community, "p": short}))["data"]["coordinationBrief"]
    body = await _post(client, BRIEF, {"c": community, "p": short},
                       agency_headers(key, "statistics"))
    assert "errors" not in body, body
    stats = body["data"]["coordinationBrief"]
    assert stats["suppressedBelow"] == 5
    assert stats["needs"]["households"] == [] and stats["visits"]["shortOfTarget"] == []
    pairs = [(a["count"], b["count"]) for a, b in zip(full["services"]["byBody"],
                                                      stats["services"]["byBody"], strict=True)]
    pairs += [(a["opened"], b["opened"]) for a, b in zip(full["disputes"]["byCategory"],
                                                         stats["disputes"]["byCategory"],
                                                         strict=True)]
    assert any(0 < a < 5 for a, _ in pairs), "the period should have small groups to hide"
    for a, b in pairs:
        assert b == (None if 0 < a < 5 else a)
    # A statistics caller may not list the items behind a figure either.
    items = await _post(client, DRILL, {"c": community, "p": short, "f": "disputes.opened"},
                        agency_headers(key, "statistics"))
    assert _codes(items) == ["PURPOSE_NOT_ALLOWED"]


DRILL = """query($c: ID!, $p: PeriodInput!, $f: String!, $k: String, $after: String) {
  briefItems(community: $c, period: $p, figure: $f, key: $k, first: 7, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { partner localId kind householdId openedOn } }
  }
}"""


async def test_drill_pages_through_the_list_behind_a_figure(client: httpx.AsyncClient,
                                                             store_uri: str) -> None:
    community = (await _communities(store_uri))[0]
    brief = (await _post(client, BRIEF, {"c": community, "p": YEAR}))["data"]["coordinationBrief"]
    seen: list[str] = []
    after = None
    while True:
        body = await _post(client, DRILL, {"c": community, "p": YEAR, "f": "disputes.opened",
                                           "after": after})
        page = body["data"]["briefItems"]
        seen += [f"{e['node']['partner']}:{e['node']['localId']}" for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert page["totalCount"] == brief["disputes"]["opened"] == len(seen) == len(set(seen))
    unknown = await _post(client, DRILL, {"c": community, "p": YEAR, "f": "nope.nothing"})
    assert _codes(unknown) == ["UNKNOWN_FIGURE"]


FREEZE = """mutation($c: ID!, $p: PeriodInput!) {
  freezeBrief(community: $c, period: $p) { id sha256 canonical frozenBy
    asOf { partner asOf } brief { disputes { opened } period { from to } } }
}"""
FROZEN = """query($id: ID!) { frozenBrief(id: $id) { id sha256 canonical
  brief { disputes { opened } period { from to } } } }"""


async def test_a_frozen_brief_is_hashed_immutable_and_readable(
        client: httpx.AsyncClient, store_uri: str) -> None:
    community = (await _communities(store_uri))[0]
    body = await _post(client, FREEZE, {"c": community, "p": YEAR})
    assert "errors" not in body, body
    frozen = body["data"]["freezeBrief"]
    assert hashlib.sha256(frozen["canonical"].encode()).hexdigest() == frozen["sha256"]
    assert orjson.loads(frozen["canonical"])["disputes"]["opened"] == (
        frozen["brief"]["disputes"]["opened"])
    assert {a["partner"] for a in frozen["asOf"]} >= {"mediation", "hotline"}
    again = (await _post(client, FROZEN, {"id": frozen["id"]}))["data"]["frozenBrief"]
    assert again["sha256"] == frozen["sha256"] and again["brief"] == frozen["brief"]
    conn = await asyncpg.connect(store_uri)
    try:
        number = int(frozen["id"].split(":")[1])
        for sql in ("UPDATE frozen_briefs SET sha256 = 'x' WHERE id = $1",
                    "DELETE FROM frozen_briefs WHERE id = $1"):
            with pytest.raises(asyncpg.IntegrityConstraintViolationError):
                await conn.execute(sql, number)
    finally:
        await conn.close()
    # Outside the grant a frozen brief does not exist.
    others = [c for c in await _communities(store_uri) if c != community]
    key = await agency_key(store_uri, "test-brief-elsewhere", "residents_committee", others)
    hidden = await _post(client, FROZEN, {"id": frozen["id"]}, agency_headers(key, "joint_meeting"))
    assert hidden["data"]["frozenBrief"] is None
    assert _codes(await _post(client, FROZEN, {"id": "Brief:1"})) == ["MALFORMED_ID"]


async def test_a_cached_brief_follows_every_change_of_the_facts(
        client: httpx.AsyncClient, store_uri: str) -> None:
    community = (await _communities(store_uri))[0]
    q = ("query($c: ID!, $p: PeriodInput!) { coordinationBrief(community: $c, period: $p) "
         "{ disputes { opened } } }")

    async def opened() -> int:
        body = await _post(client, q, {"c": community, "p": YEAR})
        return int(body["data"]["coordinationBrief"]["disputes"]["opened"])

    before = await opened()
    assert await opened() == before  # served again, from the cache or not: the same
    conn = await asyncpg.connect(store_uri)
    try:
        await conn.execute(
            """INSERT INTO facts (partner, entity, local_id, kind, body, category, status,
                                  is_open, is_dispute, opened_on, community_code, read_at)
               VALUES ('mediation', 'dispute', 'TEST-CACHE', 'dispute', 'MEDIATION', 'NEIGHBOR',
                       'REGISTERED', true, true, $1, $2, now())""", TODAY, community)
        assert await opened() == before + 1
        await conn.execute("DELETE FROM facts WHERE local_id = 'TEST-CACHE'")
        assert await opened() == before
    finally:
        await conn.execute("DELETE FROM facts WHERE local_id = 'TEST-CACHE'")
        await conn.close()
    # A statistics caller's suppression shapes its copy, never the cached sections.
    key = await agency_key(store_uri, "test-brief-statistics-cache", "statistics", ["*"])
    stats = await _post(client, BRIEF, {"c": community, "p": YEAR},
                        agency_headers(key, "statistics"))
    assert stats["data"]["coordinationBrief"]["suppressedBelow"] == 5
    full = await _post(client, BRIEF, {"c": community, "p": YEAR})
    brief = full["data"]["coordinationBrief"]
    assert brief["suppressedBelow"] is None and brief["needs"]["households"]
