"""Stale fallback: a partner that fails live is answered from its last snapshot, marked stale
with its age, unless the request demands younger data (`X-Max-Staleness`).

Each partner kind is broken the way it breaks in the field — a REST partner behind a proxy
answering 503 (the simulator's `down` fault), a database that refuses connections, a file-drop
folder that is gone — in an app of its own, so no other test sees its breakers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.resilience._serving import DEAD_DSN, fetch, household_with, serving

QUERY = """query($id: ID!) { household(id: $id) {
  residents { name gender birthDate relationToHead populationType tags residentIdMasked
              source { partner localId live stale ageSeconds readAt } }
  services { kind number title status statusText openedAt closedAt
             source { partner localId live stale ageSeconds readAt } }
  appeals { kind number status receivedAt source { partner localId live stale ageSeconds readAt } }
} }"""

@contextlib.contextmanager
def hall_down(district: Any) -> Any:
    url = district.urls["hall"]
    httpx.post(f"{url}/_sim/faults", json={"down": True}).raise_for_status()
    try:
        yield
    finally:
        httpx.post(f"{url}/_sim/faults", json={}).raise_for_status()


async def ask(client: httpx.AsyncClient, hid: str, **headers: str) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": QUERY, "variables": {"id": hid}},
                                 headers=headers)
    assert response.status_code == 200, response.text
    return dict(orjson.loads(response.content))


def of(body: dict[str, Any], field: str, partner: str) -> list[dict[str, Any]]:
    return [v for v in body["data"]["household"][field] if v["source"]["partner"] == partner]


def without_freshness(values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = ("partner", "localId")
    return sorted(({**v, "source": {k: v["source"][k] for k in keep}} for v in values),
                  key=lambda v: orjson.dumps(v, option=orjson.OPT_SORT_KEYS))


def errors_at(body: dict[str, Any], field: str) -> dict[str, dict[str, Any]]:
    return {e["extensions"]["code"]: e["extensions"] for e in body.get("errors", [])
            if e.get("path") == ["household", field]}


Breaker = Callable[[Any, dict[str, Any]], tuple[dict[str, Any], Any]]


def _rest_down(district: Any, config: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    return config, hall_down(district)


def _sql_down(district: Any, config: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    return {**config, "rc": {"kind": "sql", "dsn": DEAD_DSN}}, contextlib.nullcontext()


def _files_gone(district: Any, config: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    gone = str(Path(district.massorg_folder).with_name("massorg-gone"))
    return {**config, "massorg": {"kind": "files", "folder": gone}}, contextlib.nullcontext()


# (partner, entities it serves, the household field they feed, how it breaks, the live code)
KINDS = [
    pytest.param("hall", ("service_case",), "services", _rest_down, "PARTNER_UNAVAILABLE",
                 id="rest"),
    pytest.param("rc", ("resident",), "residents", _sql_down, "PARTNER_UNAVAILABLE", id="sql"),
    pytest.param("massorg", ("hardship_file", "pairing"), "services", _files_gone,
                 "PARTNER_UNAVAILABLE", id="files"),
]


@pytest.mark.parametrize(("partner", "entities", "field", "breaks", "code"), KINDS)
async def test_a_failed_partner_is_answered_from_its_snapshot(
    synced: Any, district: Any, store_uri: str, settings: Any, district_key: str,
    partner: str, entities: tuple[str, ...], field: str, breaks: Breaker, code: str,
) -> None:
    hid = await household_with(store_uri, partner, *entities)
    config = district.partners_config()
    async with serving(settings, store_uri, config, district_key) as healthy:
        live = await ask(healthy, hid)
    assert "errors" not in live, live.get("errors")
    assert of(live, field, partner)
    assert not any(v["source"]["stale"] for v in of(live, field, partner))

    broken, outage = breaks(district, config)
    with outage:
        async with serving(settings, store_uri, broken, district_key) as client:
            body = await ask(client, hid)

    stale = of(body, field, partner)
    # The same values as the live read gave, each marked stale and not live.
    assert without_freshness(stale) == without_freshness(of(live, field, partner))
    assert all(v["source"]["stale"] and not v["source"]["live"] for v in stale)
    # With its age: when the sync read it (from the store), and how long ago that was.
    read_at = {r["local_id"]: r["read_at"] for r in await fetch(
        store_uri, "SELECT local_id, read_at FROM source_records WHERE partner = $1",
        partner)}
    for v in stale:
        stamp = datetime.fromisoformat(v["source"]["readAt"])
        assert stamp == read_at[v["source"]["localId"]]
        assert v["source"]["ageSeconds"] > 0
    sources = body["extensions"]["sources"][partner]
    assert sources["status"] == "SNAPSHOT"
    assert sources["code"] == code  # why the live read failed
    assert sources["snapshot"]["keys"] >= len(stale)
    assert sources["snapshot"]["ageSeconds"] >= max(v["source"]["ageSeconds"] for v in stale) - 1
    # The live failure is still reported where it hit, so a client knows the values are old.
    assert code in errors_at(body, field)
    # Nothing else changed: the other partners' values are live.
    others = [v for f in ("residents", "services", "appeals")
              for v in body["data"]["household"][f] if v["source"]["partner"] != partner]
    assert others and not any(v["source"]["stale"] for v in others)


async def test_a_request_can_demand_younger_data_than_the_snapshot(
    synced: Any, district: Any, store_uri: str, settings: Any, district_key: str,
) -> None:
    hid = await household_with(store_uri, "hall", "service_case")
    with hall_down(district):
        async with serving(settings, store_uri, district.partners_config(),
                           district_key) as client:
            young = await ask(client, hid, **{"X-Max-Staleness": "0"})
            old_enough = await ask(client, hid, **{"X-Max-Staleness": "86400"})
    # Live only: no hall value at all, and a coded error that says why, with the ages.
    assert of(young, "services", "hall") == []
    refused = errors_at(young, "services")["SNAPSHOT_TOO_OLD"]
    assert refused["partner"] == "hall"
    assert refused["maxStalenessSeconds"] == 0
    assert refused["ageSeconds"] > 0
    assert "PARTNER_UNAVAILABLE" in errors_at(young, "services")
    assert young["extensions"]["sources"]["hall"]["status"] == "UNAVAILABLE"
    # A day is enough for a snapshot synced this session.
    served = of(old_enough, "services", "hall")
    assert len(served) >= 2 and all(v["source"]["stale"] for v in served)
    assert "SNAPSHOT_TOO_OLD" not in errors_at(old_enough, "services")


async def test_the_server_bound_holds_whatever_the_request_asks(
    synced: Any, district: Any, store_uri: str, settings: Any, district_key: str,
) -> None:
    hid = await household_with(store_uri, "hall", "service_case")
    newest = (await fetch(store_uri, "SELECT extract(epoch FROM now() - max(read_at)) AS age "
                           "FROM source_records WHERE partner = 'hall'"))[0]["age"]
    await asyncio.sleep(max(0.0, 1.5 - float(newest)))  # every hall snapshot is over 1 s old
    bounded = settings.model_copy(update={"stale_max_age_s": 1})
    with hall_down(district):
        async with serving(bounded, store_uri, district.partners_config(),
                           district_key) as client:
            body = await ask(client, hid, **{"X-Max-Staleness": "86400"})
    assert of(body, "services", "hall") == []
    assert errors_at(body, "services")["SNAPSHOT_TOO_OLD"]["maxStalenessSeconds"] == 1


async def test_the_fallback_can_be_switched_off(
    synced: Any, district: Any, store_uri: str, settings: Any, district_key: str,
) -> None:
    hid = await household_with(store_uri, "hall", "service_case")
    off = settings.model_copy(update={"stale_fallback": False})
    with hall_down(district):
        async with serving(off, store_uri, district.partners_config(), district_key) as client:
            body = await ask(client, hid)
    assert of(body, "services", "hall") == []
    assert set(errors_at(body, "services")) == {"PARTNER_UNAVAILABLE"}
    assert body["extensions"]["sources"]["hall"]["status"] == "UNAVAILABLE"


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
async def test_a_malformed_max_staleness_is_refused_before_anything_runs(
    client: httpx.AsyncClient, value: str,
) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"},
                                 headers={"X-Max-Staleness": value})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "MALFORMED_REQUEST"
    assert error["extensions"]["header"] == "X-Max-Staleness"


async def test_live_answers_are_not_stale(gql: Any, store_uri: str) -> None:
    hid = await household_with(store_uri, "hall", "service_case")
    body = await gql(QUERY, {"id": hid})
    assert "errors" not in body
    values = [v for f in ("residents", "services", "appeals")
              for v in body["data"]["household"][f]]
    assert values and not any(v["source"]["stale"] for v in values)
    assert all(s["status"] == "OK" and "snapshot" not in s
               for s in body["extensions"]["sources"].values())
