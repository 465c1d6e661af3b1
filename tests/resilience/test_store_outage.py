"""The store down where a request needs it outside a resolver's reads: a trusted document's
lookup, authentication, a linkage review decision. Each answers with a coded error — never a
bare 500 or INTERNAL_ERROR — and the same gateway, not restarted, answers again once the store
is back. The store is a PostgreSQL server of this module's own, stopped and started by each test.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from tests.conftest import agency_key
from tests.resilience._serving import Server, serving, store_of_its_own

PARTNERS = "query Partners { partners { slug nameZh } }"
QUEUE = "query { linkReviewQueue(first: 1) { edges { node { record { id } } } } }"
REJECT = "mutation($r: ID!) { rejectLink(record: $r) { record { status } } }"


@pytest.fixture(scope="module")
async def outage_store(synced: Any, district: Any, settings: Any,
                       tmp_path_factory: pytest.TempPathFactory
                       ) -> AsyncIterator[tuple[Server, str]]:
    async with store_of_its_own(tmp_path_factory.mktemp("outage") / "data", district,
                                settings) as own:
        yield own


@contextlib.asynccontextmanager
async def store_down(server: Server) -> AsyncIterator[None]:
    await asyncio.to_thread(server.stop)
    try:
        yield
    finally:
        await asyncio.to_thread(server.start)


def codes(response: httpx.Response) -> list[str]:
    body = orjson.loads(response.content)
    return [e.get("extensions", {}).get("code", "UNCODED") for e in body.get("errors", [])]


async def until_served(client: httpx.AsyncClient, payload: dict[str, Any],
                       timeout_s: float = 10) -> httpx.Response:
    """Send `payload` until it is answered without errors. The pool replaces a connection the
    restart killed when it is next used, so at most the first answers may still be
    STORE_UNAVAILABLE; anything else fails the test."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = await client.post("/graphql", json=payload)
        if response.status_code == 200 and not codes(response):
            return response
        assert "STORE_UNAVAILABLE" in codes(response), response.text
        assert time.monotonic() < deadline, "not served again after the store came back"
        await asyncio.sleep(0.05)


def assert_store_unavailable_503(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert codes(response) == ["STORE_UNAVAILABLE"]
    assert response.headers["retry-after"] == "1"


async def test_a_trusted_document_with_the_store_down(
    outage_store: tuple[Server, str], district: Any, settings: Any,
) -> None:
    server, uri = outage_store
    key = await agency_key(uri, "outage-documents", "residents_committee", ["*"])
    digest = hashlib.sha256(PARTNERS.encode()).hexdigest()
    conn = await asyncpg.connect(uri)
    try:
        await conn.execute("INSERT INTO trusted_documents (id, body, name) VALUES ($1, $2, $3) "
                           "ON CONFLICT (id) DO NOTHING", digest, PARTNERS, "Partners")
    finally:
        await conn.close()
    # Credentials and grants come from this process's cache, and the rate limit (counted in
    # the store) lets requests through while it is away: the document's lookup is the first
    # thing to need the store.
    tuned = settings.model_copy(update={"auth_cache_s": 3600})
    assert tuned.rate_limit > 0
    by_id = {"documentId": f"sha256:{digest}"}
    async with serving(tuned, uri, district.partners_config(), key) as client:
        warm = await client.post("/graphql", json={"query": "{ partners { slug } }"})
        assert warm.status_code == 200 and not codes(warm), warm.text
        async with store_down(server):
            down = await client.post("/graphql", json=by_id)
        up = await until_served(client, by_id)
    assert_store_unavailable_503(down)
    assert {p["slug"] for p in up.json()["data"]["partners"]} >= {"hall", "rc"}


async def test_authentication_with_the_store_down(
    outage_store: tuple[Server, str], district: Any, settings: Any,
) -> None:
    server, uri = outage_store
    key = await agency_key(uri, "outage-auth", "residents_committee", ["*"])
    # The key is looked up in the store on every request.
    tuned = settings.model_copy(update={"auth_cache_s": 0, "rate_limit": 0})
    ask = {"query": "{ partners { slug } }"}
    async with serving(tuned, uri, district.partners_config(), key) as client:
        assert (await client.post("/graphql", json=ask)).status_code == 200
        async with store_down(server):
            down = await client.post("/graphql", json=ask)
            not_ready = await client.get("/readyz")
        up = await until_served(client, ask)
    assert_store_unavailable_503(down)
    assert not_ready.status_code == 503
    assert up.json()["data"]["partners"]


async def test_a_review_decision_with_the_store_down(
    outage_store: tuple[Server, str], district: Any, settings: Any,
) -> None:
    server, uri = outage_store
    key = await agency_key(uri, "outage-review", "residents_committee", ["*"])
    tuned = settings.model_copy(update={"auth_cache_s": 3600})
    async with serving(tuned, uri, district.partners_config(), key) as client:
        queue = await client.post("/graphql", json={"query": QUEUE})
        assert queue.status_code == 200 and not codes(queue), queue.text
        record = queue.json()["data"]["linkReviewQueue"]["edges"][0]["node"]["record"]["id"]
        reject = {"query": REJECT, "variables": {"r": record}}
        async with store_down(server):
            decided = await client.post("/graphql", json=reject)
            listed = await client.post("/graphql", json={"query": QUEUE})
        done = await until_served(client, reject)
    # A field the store could not serve: its coded error at its path, as for any store read.
    for response, field in ((decided, "rejectLink"), (listed, "linkReviewQueue")):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["data"] is None
        assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
            ("STORE_UNAVAILABLE", [field])]
    assert done.json()["data"]["rejectLink"]["record"]["status"] == "REJECTED"
    conn = await asyncpg.connect(uri)
    try:
        decisions = await conn.fetchval(
            "SELECT count(*) FROM link_decisions WHERE target->>'record' = $1", record)
    finally:
        await conn.close()
    assert decisions == 1  # the decision the outage refused left nothing behind
