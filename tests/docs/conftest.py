"""What the docs' examples run against: a store of their own, synced from the session's
district (their mutations — a frozen brief, agencies, grants — touch no other test's data), the
gateway app in front of it, one agency per role an example names, and the real ids that the
examples' `<placeholders>` stand for."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import agency_key, migrated_store, synced_store

PLACEHOLDER = re.compile(r"<([a-z][a-z0-9-]*)>")
SAMPLE = """query Sample($after: String) { households(first: 20, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { id community { id code } address { normalized }
                 residents { id name phone }
                 disputesConnection(first: 1) { edges { node { id } } }
                 appealsConnection(first: 1) { totalCount }
                 property { owners { name } } } } } }"""


@pytest.fixture(scope="session")
async def docs_store(pg_admin: str, district: Any, settings: Any) -> str:
    return await synced_store(pg_admin, "docs", district, settings)


@pytest.fixture(scope="session")
async def docs_scratch_store(pg_admin: str) -> str:
    """Migrated, not synced: where the docs' `gateway` commands that change things run."""
    return await migrated_store(pg_admin, "docs_cli")


@pytest.fixture(scope="session")
async def docs_app(docs_store: str, district: Any, settings: Any) -> AsyncIterator[Any]:
    from gateway.app import create_app

    app = create_app(settings, store_uri=docs_store, partners=district.partners_config())
    async with LifespanManager(app) as manager:
        yield manager.app


@pytest.fixture(scope="session")
async def docs_client(docs_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=docs_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://juheli.test") as c:
        yield c


class Agencies:
    """One agency per (role, communities) an example names, registered on first use."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.keys: dict[tuple[str, tuple[str, ...]], str] = {}

    async def key(self, role: str, communities: list[str]) -> str:
        scope = (role, tuple(communities))
        if scope not in self.keys:
            digest = hashlib.sha256(repr(scope).encode()).hexdigest()[:8]
            self.keys[scope] = await agency_key(self.uri, f"docs-{role}-{digest}", role,
                                                communities)
        return self.keys[scope]


@pytest.fixture(scope="session")
def docs_agencies(docs_store: str) -> Agencies:
    return Agencies(docs_store)


def headers(key: str, marker: dict[str, Any]) -> dict[str, str]:
    """An example's headers: its agency's key, purpose and officer (null: sent empty)."""
    purpose = marker.get("purpose", "case_handling")
    officer = marker.get("officer", "docs-officer")
    return {"Authorization": f"Bearer {key}", "X-Purpose": purpose or "",
            "X-Officer": quote(officer or ""), **marker.get("headers", {})}


def _score(node: dict[str, Any]) -> int:
    return (bool((node["disputesConnection"] or {}).get("edges")) * 4
            + bool((node["appealsConnection"] or {}).get("totalCount")) * 2
            + bool((node["property"] or {}).get("owners")))


async def _sample(client: httpx.AsyncClient, key: str) -> dict[str, Any]:
    """The household the examples read: the first with disputes, appeals and property records
    and a resident with a phone, else the richest of the first pages."""
    best: tuple[int, dict[str, Any]] | None = None
    after = None
    for _ in range(15):
        response = await client.post("/graphql", headers=headers(key, {}), json={
            "query": SAMPLE, "variables": {"after": after}})
        page = orjson.loads(response.content)["data"]["households"]
        for edge in page["edges"]:
            node = edge["node"]
            if not any(r["phone"] for r in node["residents"] or []):
                continue
            if best is None or _score(node) > best[0]:
                best = (_score(node), node)
            if best[0] == 7:
                return dict(node)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert best is not None, "no household with a resident's phone in the test district"
    return dict(best[1])


@pytest.fixture(scope="session")
async def places(docs_client: httpx.AsyncClient, docs_agencies: Agencies) -> dict[str, str]:
    """What each `<placeholder>` of an example's variables stands for."""
    key = await docs_agencies.key("residents_committee", ["*"])
    node = await _sample(docs_client, key)
    response = await docs_client.post("/graphql", headers=headers(key, {}),
                                      json={"query": "{ communities { code } }"})
    codes = [c["code"] for c in orjson.loads(response.content)["data"]["communities"]]
    today = date.today()
    phoned = next(r for r in node["residents"] if r["phone"])
    return {
        "household": node["id"], "community": node["community"]["id"],
        "community-code": node["community"]["code"],
        "other-community-code": next(c for c in codes if c != node["community"]["code"]),
        "address": node["address"]["normalized"], "resident": phoned["id"],
        "name": phoned["name"], "phone": phoned["phone"],
        "dispute": next((e["node"]["id"] for e in (node["disputesConnection"] or {}).get(
            "edges", [])), "Dispute:none"),
        "from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat(),
        "today": today.isoformat(),
    }


def fill(value: Any, known: dict[str, str]) -> Any:
    """`value` with every `<name>` replaced by what it stands for; an unknown name fails."""
    if isinstance(value, dict):
        return {k: fill(v, known) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, known) for v in value]
    if isinstance(value, str):
        def one(found: re.Match[str]) -> str:
            assert found[1] in known, f"unknown placeholder <{found[1]}>; known: {sorted(known)}"
            return known[found[1]]
        return PLACEHOLDER.sub(one, value)
    return value
