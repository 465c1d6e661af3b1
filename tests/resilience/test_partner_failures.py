"""One partner fails for real — its simulator killed, hung, flaky or down — and the household
query still answers: the others' data, that partner's coded error at its path, HTTP 200, in
time; retries stay within their budget; the breaker opens, fails fast and closes again.

Each test runs its own app (its own breakers and retry budgets) with the stale fallback off,
so what is seen is the live path alone; faults are cleared and killed simulators restarted
after each test."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from gateway import examples
from gateway.adapters.resilience import BreakerState, Resilient
from gateway.context import Services
from gateway.settings import Settings
from tests.conftest import agency_headers, app_client
from tests.relay import nodes

TIMEOUT_MS = 400  # every partner's timeout in these apps (the request deadline is 800 ms)
SLACK_MS = 50  # the bound: an answer within the failed partner's timeout + 50 ms
TRIES = 3  # timed requests per case; the best one must meet the bound (the machine is busy)


@dataclass
class Gateway:
    client: httpx.AsyncClient
    services: Services

    def guard(self, partner: str) -> Resilient:
        adapter = self.services.adapters[partner]
        assert isinstance(adapter, Resilient)
        return adapter

    async def ask(self, query: str, **variables: Any) -> tuple[dict[str, Any], float]:
        start = time.perf_counter()
        response = await self.client.post("/graphql",
                                          json={"query": query, "variables": variables})
        elapsed_ms = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, response.text
        return dict(orjson.loads(response.content)), elapsed_ms


@pytest.fixture
async def start_gateway(synced: Any, district: Any, store_uri: str, district_key: str,
                        tmp_path: Path) -> AsyncIterator[Any]:
    """Start an app of the test's own: `await start_gateway(hall={"retries": 3}, **settings)`."""
    from gateway.app import create_app

    async with contextlib.AsyncExitStack() as stack:
        async def start(partners: dict[str, dict[str, Any]] | None = None,
                        **settings: Any) -> Gateway:
            config = {slug: {**conf, **(partners or {}).get(slug, {})}
                      for slug, conf in district.partners_config().items()}
            values = {"request_deadline_ms": 800, "partner_timeout_ms": TIMEOUT_MS,
                      "stale_fallback": False, "rate_limit": 0, **settings}
            app = create_app(Settings(data_dir=tmp_path, **values), store_uri=store_uri,
                             partners=config)
            client = await stack.enter_async_context(
                app_client(app, agency_headers(district_key), timeout=30))
            return Gateway(client, app.state.services)

        yield start


@pytest.fixture
async def faults(district: Any) -> AsyncIterator[Any]:
    """`await faults("hall", hang=True)`; afterwards every simulator is up and fault-free."""
    async with httpx.AsyncClient(timeout=10) as http:
        async def set_faults(partner: str, **values: Any) -> None:
            url = district.urls[partner]
            (await http.post(f"{url}/_sim/faults", json=values)).raise_for_status()

        try:
            yield set_faults
        finally:
            for slug, url in district.urls.items():
                if district.processes[slug].poll() is not None:
                    await district.restart(slug)
                (await http.post(f"{url}/_sim/faults", json={})).raise_for_status()


async def sim_requests(district: Any, partner: str) -> int:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(f"{district.urls[partner]}/_sim/stats")
    return int(response.json()["total"])


@pytest.fixture
async def household(synced: Any, store_uri: str) -> str:
    """A household with service cases at the hall and records of at least three other bodies."""
    conn = await asyncpg.connect(store_uri)
    try:
        key = await conn.fetchval("""
            SELECT h.key FROM households h JOIN links l ON l.household_id = h.id
            JOIN source_records s ON s.id = l.source_record_id
            WHERE l.status IN ('auto', 'confirmed')
            GROUP BY h.key
            HAVING bool_or(s.partner = 'hall' AND s.entity = 'service_case')
               AND bool_or(s.partner = 'rc') AND count(DISTINCT s.partner) >= 4
            ORDER BY count(DISTINCT s.partner) DESC, h.key LIMIT 1""")
    finally:
        await conn.close()
    assert key, "the district has a household known to the hall and three other bodies"
    return f"Household:{key}"


def codes_at(body: dict[str, Any], *path: str) -> dict[str, dict[str, Any]]:
    return {e["extensions"]["code"]: e["extensions"] for e in body.get("errors", [])
            if tuple(e.get("path") or ()) == path}


def bodies(body: dict[str, Any]) -> set[str]:
    hh = body["data"]["household"]
    values = hh["residents"] + [v for name in ("services", "disputes", "appeals")
                                for v in nodes(hh[f"{name}Connection"])]
    return {v["source"]["body"] for v in values}


async def assert_answers_without(gw: Gateway, household: str, healthy: dict[str, Any],
                                 code: str) -> None:
    """TRIES household queries, the hall broken: each has what the other bodies gave when all
    were `healthy` and the hall's coded error at `services`; the fastest is within the hall's
    timeout + 50 ms."""
    hall_body = gw.guard("hall").info.name_zh
    assert hall_body in bodies(healthy)
    elapsed = []
    for _ in range(TRIES):
        body, ms = await gw.ask(examples.HOUSEHOLD_360, id=household)
        elapsed.append(ms)
        assert body["data"]["household"]["id"] == household
        error = codes_at(body, "household", "servicesConnection")[code]
        assert error["partner"] == "hall"
        services = nodes(body["data"]["household"]["servicesConnection"])
        assert hall_body not in {v["source"]["body"] for v in services}
        # Every other body that answered before still answers.
        assert bodies(body) == bodies(healthy) - {hall_body}
        assert body["data"]["household"]["residents"]
        others = {s: v for s, v in body["extensions"]["sources"].items() if s != "hall"}
        assert all(v["status"] == "OK" for v in others.values()), others
        assert body["extensions"]["sources"]["hall"]["code"] == code
    assert min(elapsed) <= TIMEOUT_MS + SLACK_MS, elapsed


async def healthy_answer(gw: Gateway, household: str, tries: int = 5) -> dict[str, Any]:
    """The household's answer with every body in it. A fresh app's first reads open their
    connections, and on a busy machine one of them can outlast the 400 ms partner timeout (CI
    saw every body time out on the first query), so a few queries are allowed before it."""
    for _ in range(tries):
        body, _ = await gw.ask(examples.HOUSEHOLD_360, id=household)
        if "errors" not in body:
            return body
    raise AssertionError(f"no healthy answer in {tries} queries: {body['errors']}")


# The hall's own error is what these cases measure, not the breaker (tested below): a household
# query reads each entity the hall serves (cases, errands, cards), so TRIES queries would trip
# a breaker of 5 failures part-way.
NO_BREAKER = {"breaker_failures": 1000}


async def test_partner_refusing_connections(start_gateway: Any, faults: Any, district: Any,
                                            household: str) -> None:
    gw = await start_gateway(**NO_BREAKER)
    healthy = await healthy_answer(gw, household)
    district.kill("hall")
    await assert_answers_without(gw, household, healthy, "PARTNER_UNAVAILABLE")
    # The partner comes back: the same gateway, untouched, serves it again.
    await district.restart("hall")
    body, _ = await gw.ask(examples.HOUSEHOLD_360, id=household)
    assert "errors" not in body, body["errors"]
    assert body["extensions"]["sources"]["hall"]["status"] == "OK"


async def test_partner_that_hangs(start_gateway: Any, faults: Any, household: str) -> None:
    gw = await start_gateway(**NO_BREAKER)
    healthy = await healthy_answer(gw, household)
    await faults("hall", hang=True)
    await assert_answers_without(gw, household, healthy, "PARTNER_TIMEOUT")
    hall = (await gw.ask(examples.HOUSEHOLD_360, id=household))[0]["extensions"]["sources"]["hall"]
    assert hall["status"] == "TIMEOUT" and hall["calls"] >= 1


async def test_flaky_partner_succeeds_within_the_retry_budget(
    start_gateway: Any, faults: Any, district: Any, household: str,
) -> None:
    # One attempt may take 1 s; the read as a whole 4 s, inside a 6 s request deadline. The
    # other bodies get 4 s too: what is measured is the hall's retries, and a busy machine (a
    # healthy hall read of Household 360 took 450 ms on CI's) must not fail the warm-up.
    gw = await start_gateway(request_deadline_ms=6000, partner_timeout_ms=4000,
                             partners={"hall": {"timeout_ms": 4000, "attempt_timeout_ms": 1000,
                                                "retries": 3}})
    hall = gw.guard("hall")
    # Healthy traffic first: a retry budget of 20% needs first attempts to draw on.
    while hall.budget.totals()[0] < 20:
        body, _ = await gw.ask(examples.HOUSEHOLD_360, id=household)
        assert "errors" not in body, body["errors"]
    healthy_calls = body["extensions"]["sources"]["hall"]["calls"]
    before = await sim_requests(district, "hall")
    await faults("hall", script=[{"hang": True},
                                 {"error_rate": 1, "error_status": 429, "retry_after": 0.2},
                                 {"error_rate": 1, "error_status": 503}])
    body, _ = await gw.ask(examples.HOUSEHOLD_360, id=household)
    assert "errors" not in body, body["errors"]
    report = body["extensions"]["sources"]["hall"]
    assert report["status"] == "OK"
    # Three failed attempts, each retried once: three calls more than a healthy query makes.
    assert report["retries"] == 3 and report["calls"] == healthy_calls + 3
    assert await sim_requests(district, "hall") - before == healthy_calls + 3
    first, retries = hall.budget.totals()
    assert retries <= 0.2 * first
    assert 'juheli_partner_retries_total{partner="hall"}' in await metrics(gw)


OPEN_MS = 2000


async def test_breaker_opens_fails_fast_and_recovers(start_gateway: Any, faults: Any,
                                                     district: Any, household: str) -> None:
    # Open for 2 s: long enough for the checks below on a busy 2-core machine (a household 360
    # takes a few hundred ms there), short enough to wait out.
    gw = await start_gateway(retry_max=0, breaker_failures=5, breaker_open_ms=OPEN_MS)
    hall = gw.guard("hall")
    keys = ["no-such-case"]
    await faults("hall", down=True)
    for _ in range(5):
        outcome = await hall.call("service_case", keys)
        assert outcome.error is not None and outcome.error.code == "PARTNER_UNAVAILABLE"
    assert hall.breaker.state is BreakerState.OPEN
    sent = await sim_requests(district, "hall")
    # Open: calls fail at once, and the partner is not asked.
    times = []
    for _ in range(20):
        start = time.perf_counter()
        outcome = await hall.call("service_case", keys)
        times.append((time.perf_counter() - start) * 1000)
        assert outcome.error is not None and outcome.error.code == "PARTNER_CIRCUIT_OPEN"
        assert outcome.attempts == 0
    assert statistics.median(times) < 5, times
    assert await sim_requests(district, "hall") == sent
    # The query says so, and so do `partners` and /metrics.
    body, _ = await gw.ask(examples.HOUSEHOLD_360, id=household)
    assert "PARTNER_CIRCUIT_OPEN" in codes_at(body, "household", "servicesConnection")
    report = body["extensions"]["sources"]["hall"]
    assert report["status"] == "CIRCUIT_OPEN" and report["calls"] == 0
    assert report["latencyMs"] < 5
    assert await breaker_states(gw) == {"hall": "OPEN"}
    assert 'juheli_partner_breaker_state{partner="hall"} 2.0' in await metrics(gw)
    # The partner recovers; after the open period one probe goes through and closes it.
    await faults("hall")
    deadline = time.monotonic() + OPEN_MS / 1000
    while hall.breaker.state is BreakerState.OPEN:
        assert time.monotonic() < deadline + 0.1, "the breaker never half-opened"
        await asyncio.sleep(0.02)
    assert await breaker_states(gw) == {"hall": "HALF_OPEN"}
    outcome = await hall.call("service_case", keys)
    assert outcome.error is None and outcome.attempts == 1
    assert hall.breaker.state is BreakerState.CLOSED
    assert await breaker_states(gw) == {}
    body, _ = await gw.ask(examples.HOUSEHOLD_360, id=household)
    assert "errors" not in body and body["extensions"]["sources"]["hall"]["status"] == "OK"


async def breaker_states(gw: Gateway) -> dict[str, str]:
    """Partners whose breaker is not closed, as `partners { slug breaker }` shows them."""
    body, _ = await gw.ask("{ partners { slug breaker breakerFailures } }")
    assert "errors" not in body, body["errors"]
    return {p["slug"]: p["breaker"] for p in body["data"]["partners"] if p["breaker"] != "CLOSED"}


async def metrics(gw: Gateway) -> str:
    response = await gw.client.get("/metrics")
    assert response.status_code == 200
    return response.text
