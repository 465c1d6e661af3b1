"""Batching and fan-out: a page of households costs one partner call per (partner, entity) per
level, counted by the partner simulators themselves; a partner down leaves the rest intact."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from asgi_lifespan import LifespanManager

PAGE = """{ households(first: 50) { edges { node { id
  services { number source { partner } } disputes { number } appeals { number }
  responsibleMember { name } } } } }"""


async def test_page_of_fifty_makes_one_call_per_partner_entity(
    gql: Any, sim_stats: Any, synced: Any
) -> None:
    sim_stats(reset=True)
    result = await gql(PAGE)
    assert "errors" not in result, result.get("errors")
    edges = result["data"]["households"]["edges"]
    assert len(edges) == 50
    requests = sim_stats()
    sources = result["extensions"]["sources"]
    # services: hall cases + errands; appeals: tickets + petitions; disputes: one resource.
    assert requests["hall"] <= 2, requests
    assert requests["hotline"] <= 2, requests
    assert requests["mediation"] <= 1, requests
    assert sources["hall"]["calls"] == requests["hall"]
    # Party: responsibilities, then their members — two levels, one call each.
    assert sources["party"]["calls"] <= 2
    served = sum(len(e["node"]["services"]) for e in edges)
    assert served > 50 and sources["hall"]["keys"] > 50, "the batch carried many households' keys"


async def test_partner_down_keeps_the_rest_and_says_why(
    synced: Any, district: Any, store_uri: str, settings: Any, gql: Any, district_key: str
) -> None:
    from gateway.app import create_app
    from tests.conftest import agency_headers

    broken = dict(district.partners_config())
    broken["hall"] = {"kind": "rest", "base_url": "http://127.0.0.1:9"}  # nothing listens
    app = create_app(settings, store_uri=store_uri, partners=broken)
    first = (await gql("{ households(first: 30) { edges { node { id } } } }"))
    ids = [e["node"]["id"] for e in first["data"]["households"]["edges"]]
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        # Live values only (no stale fallback: tests/resilience/test_stale.py has that).
        headers = {**agency_headers(district_key), "X-Max-Staleness": "0"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t",
                                     headers=headers) as client:
            for hid in ids:
                response = await client.post("/graphql", json={
                    "query": "query($id: ID!) { household(id: $id) { residents { name } "
                             "services { number source { partner } } appeals { number } } }",
                    "variables": {"id": hid}})
                assert response.status_code == 200
                body = orjson.loads(response.content)
                sources = body["extensions"]["sources"]
                if "hall" not in sources:
                    continue  # this household has no service-hall record to fetch
                assert sources["hall"]["status"] == "UNAVAILABLE"
                assert sources["hall"]["code"] == "PARTNER_UNAVAILABLE"
                hh = body["data"]["household"]
                assert hh["residents"], "the registry's data is still there"
                assert all(s["source"]["partner"] != "hall" for s in hh["services"])
                codes = {(e["extensions"]["code"], tuple(e["path"])) for e in body["errors"]}
                assert ("PARTNER_UNAVAILABLE", ("household", "services")) in codes
                return
    raise AssertionError("no household with a service-hall record among the first 30")
