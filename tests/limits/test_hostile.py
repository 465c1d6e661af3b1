"""Hostile requests of every family DESIGN.md §4 names: each is refused with a coded error,
never a 5xx, and no resolver runs for it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.limits.conftest import AppFactory, Spy, code, codes

HOUSEHOLD = "query($id: ID!) { household(id: $id) { id } }"


async def refused(response: httpx.Response, spy: Spy, status: int, *want: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body.get("data") is None
    assert codes(response) == list(want), body
    assert spy.resolved == 0, "a resolver ran for a refused request"
    return body


async def household_key(store_uri: str) -> str:
    conn = await asyncpg.connect(store_uri)
    try:
        return str(await conn.fetchval("SELECT key FROM households ORDER BY key LIMIT 1"))
    finally:
        await conn.close()


async def test_the_spy_sees_resolvers_run(dev: httpx.AsyncClient, spy: Spy) -> None:
    response = await dev.post("/graphql", json={"query": "{ communities { name } }"})
    assert response.status_code == 200 and "errors" not in response.json()
    assert spy.resolved > 3


# --- alias and field duplication --------------------------------------------------------------


async def test_alias_duplication(dev: httpx.AsyncClient, spy: Spy) -> None:
    aliases = "{ " + " ".join(f"h{i}: communities {{ name }}" for i in range(16)) + " }"
    body = await refused(await dev.post("/graphql", json={"query": aliases}), spy, 200,
                         "TOO_MANY_ALIASES")
    assert body["errors"][0]["extensions"] == {"code": "TOO_MANY_ALIASES", "aliases": 16,
                                               "limit": 15}
    # 4 aliases in a fragment spread 4 times are 16 aliased fields
    spread = """{ ...F ...F ...F ...F }
                fragment F on Query { a: communities { b: name } c: partners { d: slug } }"""
    await refused(await dev.post("/graphql", json={"query": spread}), spy, 200,
                  "TOO_MANY_ALIASES")


async def test_field_duplication(dev: httpx.AsyncClient, spy: Spy) -> None:
    many = "{ " + "partners { slug } " * 300 + "}"
    await refused(await dev.post("/graphql", json={"query": many}), spy, 200, "TOO_MANY_TOKENS")
    # under the token limit, duplicates still cost what they ask for
    costly = "{ " + "communities { households(first: 100) { totalCount } } " * 40 + "}"
    await refused(await dev.post("/graphql", json={"query": costly}), spy, 200,
                  "QUERY_TOO_COSTLY")


# --- deep nesting, circular fragments, directive overload -------------------------------------


async def test_deep_nesting(dev: httpx.AsyncClient, spy: Spy) -> None:
    # households → node → community → households → node → community → households → node → id
    deep = ("{ households { edges { node { community { households { edges { node { community { "
            "households { edges { node { id } } } } } } } } } } } }")
    body = await refused(await dev.post("/graphql", json={"query": deep}), spy, 200,
                         "QUERY_TOO_DEEP")
    assert body["errors"][0]["extensions"]["depth"] == 9
    through_fragments = """{ households { ...E } }
        fragment E on HouseholdConnection { edges { node { ...N } } }
        fragment N on Household { community { households { edges { node { community {
            households { edges { node { id } } } } } } } } }"""
    await refused(await dev.post("/graphql", json={"query": through_fragments}), spy, 200,
                  "QUERY_TOO_DEEP")
    braces = "{ a" + " { a" * 400 + " }" * 401  # deeper than the parser goes
    await refused(await dev.post("/graphql", json={"query": braces}), spy, 200,
                  "QUERY_TOO_DEEP")


async def test_circular_fragments(dev: httpx.AsyncClient, spy: Spy) -> None:
    cycle = """{ households { edges { node { ...A } } } }
        fragment A on Household { building { community { households { edges { node {
            community { households { edges { node { ...B } } } } } } } } } }
        fragment B on Household { ...A }"""
    response = await asyncio.wait_for(dev.post("/graphql", json={"query": cycle}), 10)
    await refused(response, spy, 200, "QUERY_TOO_DEEP")
    shallow = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
    body = await refused(await dev.post("/graphql", json={"query": shallow}), spy, 200,
                         "GRAPHQL_VALIDATION_FAILED")
    assert "Cannot spread fragment 'A' within itself" in body["errors"][0]["message"]


async def test_directive_overload(dev: httpx.AsyncClient, spy: Spy) -> None:
    skips = "{ communities { " + "name @skip(if: false) " * 51 + "} }"
    await refused(await dev.post("/graphql", json={"query": skips}), spy, 200,
                  "TOO_MANY_DIRECTIVES")
    unknown = "{ communities @a @b @c @d @e @f @g @h @i @j @k @l @m @n @o @p @q @r @s @t @u" \
              " @v @w @x @y @z @aa @ab @ac @ad @ae @af @ag @ah @ai @aj @ak @al @am @an @ao" \
              " @ap @aq @ar @as @at @au @av @aw @ax @ay { name } }"
    await refused(await dev.post("/graphql", json={"query": unknown}), spy, 200,
                  "TOO_MANY_DIRECTIVES")


# --- huge variables and bodies, batching, methods, media types ---------------------------------


async def test_huge_bodies(dev: httpx.AsyncClient, spy: Spy) -> None:
    padding = "x" * (2 * 1024 * 1024 + 1)
    declared = await dev.post("/graphql", json={"query": "{ communities { name } }",
                                                "variables": {"pad": padding}})
    body = await refused(declared, spy, 413, "BODY_TOO_LARGE")
    assert body["errors"][0]["extensions"]["limit"] == 2 * 1024 * 1024

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        yield b'{"query": "{ communities { name } }", "variables": {"pad": "'
        for _ in range(40):
            yield b"x" * 64 * 1024
        yield b'"}}'

    streamed = await dev.post("/graphql", content=chunks(),
                              headers={"content-type": "application/json"})
    await refused(streamed, spy, 413, "BODY_TOO_LARGE")


async def test_huge_variables(dev: httpx.AsyncClient, spy: Spy, make_client: AppFactory,
                              limits_key: str) -> None:
    query = "query($a: String) { findHouseholds(address: $a) { score } }"
    big = {"a": "幸福里" * 30_000}
    await refused(await dev.post("/graphql", json={"query": query, "variables": big}), spy, 413,
                  "VARIABLES_TOO_LARGE")
    async with make_client(key=limits_key, max_variables_bytes=1024) as small:
        over_get = await small.get("/graphql", params={"query": query,
                                                       "variables": json.dumps({"a": "x" * 2000})})
    await refused(over_get, spy, 413, "VARIABLES_TOO_LARGE")
    long_query = "{ communities { name } }" + " " * 40_000
    await refused(await dev.post("/graphql", json={"query": long_query}), spy, 413,
                  "QUERY_TOO_LARGE")


async def test_batching(dev: httpx.AsyncClient, spy: Spy) -> None:
    batch = [{"query": "{ communities { name } }"}] * 2
    await refused(await dev.post("/graphql", json=batch), spy, 400, "BATCHING_DISABLED")


async def test_mutation_over_get(dev: httpx.AsyncClient, spy: Spy, store_uri: str) -> None:
    key = await household_key(store_uri)
    merge = f'mutation {{ mergeHouseholds(into: "Household:{key}", from: "Household:{key}") {{ id }} }}'
    response = await dev.get("/graphql", params={"query": merge})
    await refused(response, spy, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"
    put = await dev.put("/graphql", json={"query": "{ communities { name } }"})
    await refused(put, spy, 405, "METHOD_NOT_ALLOWED")
    assert put.headers["allow"] == "GET, POST"


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""])
async def test_content_types_a_browser_sends_cross_site(dev: httpx.AsyncClient, spy: Spy,
                                                        content_type: str) -> None:
    response = await dev.post("/graphql", content=b'{"query": "{ communities { name } }"}',
                              headers={"content-type": content_type})
    await refused(response, spy, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_json_and_graphql_content_types_run(dev: httpx.AsyncClient) -> None:
    graphql = await dev.post("/graphql", content=b"{ communities { code } }",
                             headers={"content-type": "application/graphql"})
    charset = await dev.post("/graphql", content=b'{"query": "{ communities { code } }"}',
                             headers={"content-type": "application/json; charset=utf-8"})
    assert graphql.json() == charset.json() and len(graphql.json()["data"]["communities"]) == 3


NESTED = b'{"query": "{ communities { name } }", "variables": {"a": ' + b"[" * 5000 + \
    b"]" * 5000 + b"}}"


@pytest.mark.parametrize("body", [b"{not json", b'"a string"', b'{"query": 7}',
                                  b'{"query": "{ communities { name } }", "variables": [1]}',
                                  b'{"variables": {}}', NESTED])
async def test_malformed_requests(dev: httpx.AsyncClient, spy: Spy, body: bytes) -> None:
    response = await dev.post("/graphql", content=body,
                              headers={"content-type": "application/json"})
    await refused(response, spy, 400, "MALFORMED_REQUEST")


# --- introspection and suggestion leaks, the IDE ------------------------------------------------


async def test_introspection_and_suggestions_are_off_in_production(
        prod: httpx.AsyncClient, spy: Spy, store_uri: str) -> None:
    introspect = "{ __schema { types { name } } }"
    typo = "{ communitys { name } }"
    # a raw query is refused before anything else: production runs trusted documents only
    for query in (introspect, typo):
        await refused(await prod.post("/graphql", json={"query": query}), spy, 400,
                      "DOCUMENT_NOT_TRUSTED")
    # even documents trusted by hand (not through `gateway documents add`, which refuses them)
    ids = await trust_by_hand(store_uri, introspect, typo, '{ __type(name: "Household") { name } }')
    for digest, want in zip(ids, ["INTROSPECTION_DISABLED", "GRAPHQL_VALIDATION_FAILED",
                                  "INTROSPECTION_DISABLED"], strict=True):
        body = await refused(await prod.post("/graphql", json={"documentId": f"sha256:{digest}"}),
                             spy, 200, want)
        assert "Did you mean" not in body["errors"][0]["message"]
        assert "__schema" not in json.dumps(body.get("data"))


async def test_suggestions_in_variables_are_cut_in_production(
        prod: httpx.AsyncClient, spy: Spy, store_uri: str) -> None:
    query = "query($s: [DisputeStatus!]) { household(id: \"Household:1\") { disputes(status: $s) { number } } }"
    (digest,) = await trust_by_hand(store_uri, query)
    response = await prod.post("/graphql", json={"documentId": digest,
                                                 "variables": {"s": ["CLOSD"]}})
    body = await refused(response, spy, 200, "BAD_USER_INPUT")
    assert "CLOSED" not in body["errors"][0]["message"]


async def test_introspection_and_suggestions_work_in_development(dev: httpx.AsyncClient) -> None:
    schema = (await dev.post("/graphql", json={"query": "{ __schema { types { name } } }"})).json()
    assert "Household" in {t["name"] for t in schema["data"]["__schema"]["types"]}
    typo = (await dev.post("/graphql", json={"query": "{ communitys { name } }"})).json()
    assert "Did you mean 'community' or 'communities'?" in typo["errors"][0]["message"]


async def test_the_ide_is_off_in_production(prod: httpx.AsyncClient,
                                            dev: httpx.AsyncClient, spy: Spy) -> None:
    page = await prod.get("/graphql", headers={"accept": "text/html"})
    await refused(page, spy, 404, "IDE_DISABLED")
    assert "<html" not in page.text.lower()
    assert "<html" in (await dev.get("/graphql", headers={"accept": "text/html"})).text.lower()


# --- SQL injection in arguments, ID enumeration ---------------------------------------------------


async def test_sql_injection_in_arguments(dev: httpx.AsyncClient, store_uri: str) -> None:
    conn = await asyncpg.connect(store_uri)
    try:
        before = await conn.fetchval("SELECT count(*) FROM households")
        ids = ["1' OR '1'='1", "Household:1' OR '1'='1' --", "Household:x'; DROP TABLE households; --",
               "Household:%' UNION SELECT key FROM households --"]
        for value in ids:
            response = await dev.post("/graphql", json={"query": HOUSEHOLD, "variables": {"id": value}})
            assert response.status_code == 200
            body = response.json()
            # either refused as malformed, or a well-formed key that names nothing
            assert body["data"] == {"household": None}, body
            assert [e["extensions"]["code"] for e in body.get("errors", [])] in ([], ["MALFORMED_ID"])
        search = "query($n: String) { findHouseholds(name: $n) { score } }"
        for value in ["' OR 1=1 --", "%", "张%' OR ''='"]:
            response = await dev.post("/graphql", json={"query": search, "variables": {"n": value}})
            assert response.status_code == 200 and response.json()["data"]["findHouseholds"] == []
        assert await conn.fetchval("SELECT count(*) FROM households") == before
    finally:
        await conn.close()


async def test_id_enumeration(make_client: AppFactory, dev: httpx.AsyncClient, spy: Spy,
                              store_uri: str) -> None:
    from tests.conftest import agency_key

    # many ids in one request: by aliases, or by a batch
    lookups = " ".join(f'h{i}: household(id: "Household:{i:06d}") {{ id }}' for i in range(20))
    await refused(await dev.post("/graphql", json={"query": f"{{ {lookups} }}"}), spy, 200,
                  "TOO_MANY_ALIASES")
    batch = [{"query": HOUSEHOLD, "variables": {"id": f"Household:{i:06d}"}} for i in range(20)]
    await refused(await dev.post("/graphql", json=batch), spy, 400, "BATCHING_DISABLED")
    # one id a request: the agency's rate limit
    key = await agency_key(store_uri, "limits-enumerator", "hotline", ["*"])
    async with make_client(key=key, rate_limit=5) as client:
        answers = [await client.post("/graphql", json={"query": HOUSEHOLD,
                                                       "variables": {"id": f"Household:{i:06d}"}})
                   for i in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    spy.reset()
    body = await refused(answers[-1], spy, 429, "RATE_LIMITED")
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60
    assert body["errors"][0]["extensions"]["retryAfter"] == int(answers[-1].headers["retry-after"])


async def trust_by_hand(store_uri: str, *documents: str) -> list[str]:
    """Documents put in the table directly, as no `gateway documents add` would let them in."""
    import hashlib

    conn = await asyncpg.connect(store_uri)
    try:
        ids = [hashlib.sha256(d.encode()).hexdigest() for d in documents]
        await conn.executemany("INSERT INTO trusted_documents (id, body) VALUES ($1, $2) "
                               "ON CONFLICT DO NOTHING", list(zip(ids, documents, strict=True)))
        return ids
    finally:
        await conn.close()


def test_codes_helper() -> None:  # the helpers above read what they claim
    response = httpx.Response(400, json={"errors": [{"message": "m", "extensions": {"code": "X"}}]})
    assert code(response) == "X" and codes(response) == ["X"]
