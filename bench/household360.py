"""Household-360 benchmark: latency, throughput and partner round trips of the gateway's main
query, against each partner's own latency measured in the same run.

    python bench/household360.py --households 3000 [--seed S] [--data-dir DIR]
        [--concurrency 1,16,64] [--requests N] [--duration-s S] [--json PATH]

1. prepare a district in its own data dir (generate once; start PostgreSQL and the partner
   systems; migrate; sync; link), timing each step;
2. start `gateway serve` as a child process (the load generator keeps its own event loop);
3. per concurrency level: warm up, then send HOUSEHOLD_360 for a seeded sample of households,
   bounded by a request count and a time limit; latency, throughput, errors, partner calls per
   query (`extensions.sources`) cross-checked against the REST simulators' own counters;
4. the floor: each partner called directly, sequentially, with the kind of batch the gateway sends;
5. print the figures (and write them as JSON with --json); stop everything, also on errors.

Traffic goes to 127.0.0.1 only. The load generator is httpx.AsyncClient, the client the
gateway's own adapters use; its CPU time per request is printed so a saturated client shows.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from _common import (
    GatewayProcess,
    Latency,
    Setup,
    bench_headers,
    cancel_on_sigterm,
    console,
    cpu_seconds,
    fmt,
    migrate_and_sync,
    run_bench,
    setup_text,
    start_partners,
    table,
    timed,
)

from gateway.demo.district import RunningDistrict
from gateway.examples import HOUSEHOLD_360
from gateway.onboard.store import in_force
from gateway.settings import Settings

BENCH = Path(__file__).resolve().parent
REST = ("hall", "hotline", "mediation")


# --- the sample -----------------------------------------------------------------------------------


async def sample_households(uri: str, n: int, seed: int) -> list[str]:
    conn = await asyncpg.connect(uri)
    try:
        keys = sorted(r["key"] for r in await conn.fetch("SELECT key FROM households"))
    finally:
        await conn.close()
    return [f"Household:{k}" for k in random.Random(seed).sample(keys, min(n, len(keys)))]


# --- load -----------------------------------------------------------------------------------------


@dataclass
class Level:
    """What one concurrency level measured."""

    concurrency: int
    requests: int = 0
    transport_errors: int = 0
    http_errors: int = 0
    graphql_errors: int = 0  # responses whose `errors` is not empty
    error_codes: Counter[str] = field(default_factory=Counter)
    wall_s: float = 0.0
    stopped_by: str = "count"
    latencies_ms: list[float] = field(default_factory=list)
    response_bytes: int = 0
    calls: Counter[str] = field(default_factory=Counter)  # partner -> calls, summed over requests
    keys: Counter[str] = field(default_factory=Counter)
    partner_ms: dict[str, list[float]] = field(default_factory=dict)  # as the gateway saw it
    sim_round_trips: dict[str, int] = field(default_factory=dict)
    client_cpu_s: float = 0.0
    gateway_cpu_s: float | None = None
    partners_cpu_s: float | None = None

    @property
    def throughput(self) -> float:
        return self.requests / self.wall_s if self.wall_s else math.nan

    def record(self, status: int, body: dict[str, Any] | None, elapsed_ms: float,
               size: int) -> None:
        self.requests += 1
        self.latencies_ms.append(elapsed_ms)
        self.response_bytes += size
        if status != 200 or body is None:
            self.http_errors += 1
            return
        errors = body.get("errors") or []
        if errors:
            self.graphql_errors += 1
            self.error_codes.update((e.get("extensions") or {}).get("code", "UNCODED")
                                    for e in errors)
        sources = (body.get("extensions") or {}).get("sources") or {}
        for slug, item in sources.items():
            self.calls[slug] += int(item.get("calls", 0))
            self.keys[slug] += int(item.get("keys", 0))
            self.partner_ms.setdefault(slug, []).append(float(item.get("latencyMs", 0.0)))


def _payload(household: str) -> bytes:
    return orjson.dumps({"query": HOUSEHOLD_360, "operationName": "Household360",
                         "variables": {"id": household}})


async def _one(client: httpx.AsyncClient, household: str, level: Level | None) -> None:
    start = time.perf_counter()
    try:
        response = await client.post("/graphql", content=_payload(household),
                                     headers={"content-type": "application/json"})
    except httpx.HTTPError:
        if level is not None:
            level.transport_errors += 1
        return
    elapsed_ms = (time.perf_counter() - start) * 1000
    if level is not None:
        try:
            body = orjson.loads(response.content) if response.status_code == 200 else None
        except orjson.JSONDecodeError:
            body = None
        level.record(response.status_code, body, elapsed_ms, len(response.content))


async def _drive(client: httpx.AsyncClient, ids: Iterator[str], concurrency: int, count: int,
                 deadline: float, level: Level | None) -> None:
    """`concurrency` workers share a budget of `count` requests and stop at `deadline`."""
    budget = iter(range(count))

    async def worker() -> None:
        while next(budget, None) is not None:
            if time.perf_counter() >= deadline:
                if level is not None:
                    level.stopped_by = "time"
                return
            await _one(client, next(ids), level)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _sim(client: httpx.AsyncClient, urls: dict[str, str], op: str) -> dict[str, int]:
    """POST /_sim/reset or GET /_sim/stats on every REST simulator; totals by partner."""
    out: dict[str, int] = {}
    for slug in REST:
        if op == "reset":
            (await client.post(f"{urls[slug]}/_sim/reset")).raise_for_status()
        else:
            response = await client.get(f"{urls[slug]}/_sim/stats")
            out[slug] = int(response.json()["total"])
    return out


def _cpu(pids: list[int]) -> float | None:
    values = [cpu_seconds(p) for p in pids]
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


@dataclass(frozen=True)
class LoadPlan:
    concurrency: int
    requests: int
    duration_s: float
    warmup: int


async def run_level(plan: LoadPlan, ids: Iterator[str], gateway: GatewayProcess,
                    district: RunningDistrict, headers: dict[str, str]) -> Level:
    level = Level(plan.concurrency)
    limits = httpx.Limits(max_connections=plan.concurrency,
                          max_keepalive_connections=plan.concurrency)
    sim_pids = [p.pid for p in district.processes.values()]
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30.0, limits=limits,
                                 headers=headers) as client:
        await _drive(client, ids, plan.concurrency, plan.warmup, math.inf, None)
        await _sim(client, district.urls, "reset")
        cpu0 = (time.process_time(), gateway.cpu_seconds(), _cpu(sim_pids))
        start = time.perf_counter()
        await _drive(client, ids, plan.concurrency, plan.requests,
                     start + plan.duration_s, level)
        level.wall_s = time.perf_counter() - start
        level.client_cpu_s = time.process_time() - cpu0[0]
        level.gateway_cpu_s = _delta(gateway.cpu_seconds(), cpu0[1])
        level.partners_cpu_s = _delta(_cpu(sim_pids), cpu0[2])
        level.sim_round_trips = await _sim(client, district.urls, "stats")
    return level


def _delta(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


# --- the floor ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FloorCall:
    """One partner's own batch read, the kind the gateway makes for this query."""

    partner: str
    entity: str
    label: str
    max_keys: int


FLOOR = (
    FloorCall("rc", "resident", "SQL  ren WHERE rybh = ANY($1)", 1000),
    FloorCall("party", "member", "SQL  dangyuan WHERE dyid = ANY($1)", 1000),
    FloorCall("hall", "service_case", "POST /api/v1/banjian/batch", 100),
    FloorCall("hotline", "ticket", "GET  /open/workorders/byIds", 50),
    FloorCall("mediation", "dispute", "POST /v2/disputes:batchGet", 200),
)
SQL_FLOOR = {"rc": "SELECT * FROM ren WHERE rybh = ANY($1::text[])",
             "party": "SELECT * FROM dangyuan WHERE dyid = ANY($1::text[])"}


@dataclass
class Floor:
    partner: str
    call: str
    keys: int
    latency: Latency
    rows_per_call: float


async def real_keys(uri: str, partner: str, entity: str) -> list[str]:
    conn = await asyncpg.connect(uri)
    try:
        rows = await conn.fetch(
            "SELECT DISTINCT local_id FROM source_records WHERE partner = $1 AND entity = $2 "
            "ORDER BY local_id LIMIT 200", partner, entity)
    finally:
        await conn.close()
    return [r["local_id"] for r in rows]


def _rest_call(client: httpx.AsyncClient, partner: str,
               keys: list[str]) -> Callable[[], Awaitable[int]]:
    async def call() -> int:
        if partner == "hall":
            response = await client.post("/api/v1/banjian/batch", json={"ids": keys})
            return len(response.raise_for_status().json()["data"]["rows"])
        if partner == "hotline":
            response = await client.get("/open/workorders/byIds", params={"ids": ",".join(keys)})
            return len(response.raise_for_status().json()["result"]["list"])
        response = await client.post("/v2/disputes:batchGet", json={"caseIds": keys})
        return len(response.raise_for_status().json()["items"])

    return call


async def _time_calls(make: Callable[[], Callable[[], Awaitable[int]]], n: int,
                      warmup: int) -> tuple[Latency, float]:
    """Sequential calls, each with a fresh key batch; latency and mean rows per call."""
    times: list[float] = []
    rows = 0
    for i in range(warmup + n):
        call = make()
        start = time.perf_counter()
        found = await call()
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1000)
            rows += found
    return Latency.of(times), rows / n


async def measure_floor(spec: FloorCall, uri: str, district: RunningDistrict, keys_per_call: int,
                        calls: int, rng: random.Random) -> Floor | None:
    pool = await real_keys(uri, spec.partner, spec.entity)
    if not pool:
        return None
    k = max(1, min(keys_per_call, spec.max_keys, len(pool)))
    if spec.partner in SQL_FLOOR:
        conn = await asyncpg.connect(district.dsns[spec.partner])
        try:
            async def sql() -> int:
                return len(await conn.fetch(SQL_FLOOR[spec.partner], rng.sample(pool, k)))

            latency, rows = await _time_calls(lambda: sql, calls, warmup=20)
        finally:
            await conn.close()
    else:
        async with httpx.AsyncClient(base_url=district.urls[spec.partner], timeout=10) as client:
            latency, rows = await _time_calls(
                lambda: _rest_call(client, spec.partner, rng.sample(pool, k)), calls, warmup=20)
    return Floor(spec.partner, spec.label, k, latency, rows)


# --- report ---------------------------------------------------------------------------------------


def _per_query(total: int | float, requests: int) -> str:
    return fmt(total / requests, 2) if requests else "-"


def load_text(levels: list[Level]) -> str:
    headers = ["c", "requests", "err http/gql", "p50 ms", "p95 ms", "p99 ms", "req/s",
               "stop", "resp KB", "client cpu ms/req", "gateway cpu ms/req", "sims cpu ms/req"]
    rows = []
    for lv in levels:
        lat = Latency.of(lv.latencies_ms)
        cpu = [lv.client_cpu_s, lv.gateway_cpu_s, lv.partners_cpu_s]
        rows.append([str(lv.concurrency), str(lv.requests),
                     f"{lv.http_errors + lv.transport_errors}/{lv.graphql_errors}",
                     fmt(lat.p50), fmt(lat.p95), fmt(lat.p99), fmt(lv.throughput), lv.stopped_by,
                     fmt(lv.response_bytes / 1024 / lv.requests if lv.requests else None),
                     *(fmt(c * 1000 / lv.requests, 2) if c is not None and lv.requests else "-"
                       for c in cpu)])
    codes = Counter[str]()
    for lv in levels:
        codes.update(lv.error_codes)
    out = "HOUSEHOLD_360 over HTTP (httpx client, one gateway process)\n" + table(headers, rows)
    if codes:
        out += "\n  error codes: " + ", ".join(f"{c} ×{n}" for c, n in codes.most_common())
    per_request = [lv.gateway_cpu_s / lv.requests for lv in levels
                   if lv.gateway_cpu_s is not None and lv.requests]
    if per_request:
        ms = 1000 * min(per_request)
        out += (f"\n  gateway CPU {ms:.1f} ms/request → one process tops out near "
                f"{1000 / ms:.0f} req/s (one core)")
    return out


def calls_text(levels: list[Level]) -> str:
    partners = sorted({p for lv in levels for p in lv.calls})
    headers = ["partner", *(f"calls/q c={lv.concurrency}" for lv in levels), "keys/call",
               *(f"sim rt/q c={lv.concurrency}" for lv in levels)]
    rows = []
    for p in [*partners, "total"]:
        calls = [sum(lv.calls.values()) if p == "total" else lv.calls[p] for lv in levels]
        keys = sum(sum(lv.keys.values()) if p == "total" else lv.keys[p] for lv in levels)
        sims = [(sum(lv.sim_round_trips.values()) if p == "total" else lv.sim_round_trips.get(p))
                for lv in levels]
        rows.append([p, *(_per_query(c, lv.requests) for c, lv in zip(calls, levels, strict=True)),
                     fmt(keys / max(1, sum(calls)), 2),
                     *("-" if s is None else _per_query(s, lv.requests)
                       for s, lv in zip(sims, levels, strict=True))])
    return ("partner round trips per query (extensions.sources; 'sim' = the REST simulators' "
            "own counters)\n" + table(headers, rows))


def floor_text(floors: list[Floor], levels: list[Level]) -> str:
    first = levels[0] if levels else None
    headers = ["partner", "call", "keys", "rows", "p50 ms", "p95 ms", "in-gateway p50 ms"]
    rows = []
    for f in floors:
        seen = Latency.of(first.partner_ms.get(f.partner, [])).p50 if first else math.nan
        rows.append([f.partner, f.call, str(f.keys), fmt(f.rows_per_call, 1),
                     fmt(f.latency.p50, 2), fmt(f.latency.p95, 2), fmt(seen, 2)])
    out = "floor: each partner alone, sequential, same kind of batch\n" + table(headers, rows)
    if floors and first is not None:
        slowest = max(floors, key=lambda f: f.latency.p50)
        p50 = Latency.of(first.latencies_ms).p50
        out += (f"\n  gateway p50 at c={first.concurrency} {p50:.1f} ms / slowest partner p50 "
                f"({slowest.partner}) {slowest.latency.p50:.2f} ms = "
                f"{p50 / slowest.latency.p50:.1f}×")
    return out


def figures_json(args: argparse.Namespace, setup: Setup, levels: list[Level],
                 floors: list[Floor]) -> dict[str, Any]:
    def level(lv: Level) -> dict[str, Any]:
        data = asdict(lv)
        for bulky in ("latencies_ms", "partner_ms"):
            data.pop(bulky)
        for counter in ("error_codes", "calls", "keys"):  # asdict() mangles Counters
            data[counter] = dict(getattr(lv, counter))
        data["latency_ms"] = asdict(Latency.of(lv.latencies_ms))
        data["throughput_rps"] = lv.throughput
        data["calls_per_query"] = {p: n / lv.requests for p, n in lv.calls.items()}
        return data

    return {"households": args.households, "seed": args.seed, "cpus": os.cpu_count(),
            "setup": asdict(setup), "levels": [level(lv) for lv in levels],
            "floor": [asdict(f) for f in floors]}


# --- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--data-dir", type=Path, help="default: bench/out/<households>")
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated levels")
    parser.add_argument("--requests", type=int,
                        help="requests per level (default 300 at c=1, 2000 above)")
    parser.add_argument("--duration-s", type=float, default=30.0, help="time limit per level")
    parser.add_argument("--floor-calls", type=int, default=200, help="direct calls per partner")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


def plans(args: argparse.Namespace) -> list[LoadPlan]:
    out = []
    for c in (int(x) for x in args.concurrency.split(",") if x.strip()):
        n = args.requests or (300 if c == 1 else 2000)
        out.append(LoadPlan(c, n, args.duration_s, warmup=max(20, 2 * c)))
    return out


async def bench(args: argparse.Namespace) -> None:
    data_dir = (args.data_dir or BENCH / "out" / str(args.households)).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir)
    cancel_on_sigterm()
    setup, levels, floors = Setup(), [], []
    district = await start_partners(settings, args.households, args.seed, setup)
    gateway: GatewayProcess | None = None
    try:
        uri = await migrate_and_sync(settings, district, setup)
        headers = await bench_headers(uri)
        partners_file = data_dir / "partners.bench.toml"
        district.write_partners_toml(partners_file)
        # This bench measures the gateway at each concurrency level, not its load shedder
        # (bench/chaos.py's overload run does): no cap on requests in flight unless set.
        os.environ.setdefault("JUHELI_MAX_IN_FLIGHT", "0")
        gateway = GatewayProcess(data_dir=data_dir, store_uri=uri, partners_file=partners_file,
                                 log=data_dir / "gateway.log")
        ready, setup.gateway_ready_s = await timed(gateway.wait_ready())
        _check_partners(ready, district, await defined_bodies(uri))
        schedule = plans(args)
        sample = await sample_households(uri, max(p.requests for p in schedule), args.seed)
        ids = itertools.cycle(sample)
        for plan in schedule:
            console.print(f"load: c={plan.concurrency}, up to {plan.requests} requests "
                          f"or {plan.duration_s:.0f} s …")
            levels.append(await run_level(plan, ids, gateway, district, headers))
        floors = await floors_for(levels, uri, district, args)
    finally:
        if gateway is not None:
            await asyncio.to_thread(gateway.stop)
        await asyncio.to_thread(district.stop)
    report(args, setup, levels, floors)


async def defined_bodies(uri: str) -> list[str]:
    """The bodies the store has definitions in force for (registered by migrate_and_sync)."""
    conn = await asyncpg.connect(uri)
    try:
        return [s.slug for s in await in_force(conn)]
    finally:
        await conn.close()


def _check_partners(ready: dict[str, Any], district: RunningDistrict,
                    defined: list[str]) -> None:
    expected = sorted({*district.partners_config(), *defined})
    if ready.get("partners") != expected:
        raise RuntimeError(f"the gateway serves partners {ready.get('partners')}, "
                           f"expected {expected}")


async def floors_for(levels: list[Level], uri: str, district: RunningDistrict,
                     args: argparse.Namespace) -> list[Floor]:
    """Each partner alone, batch size = the gateway's mean keys per call at the first level."""
    console.print("floor: each partner's own latency …")
    first = levels[0] if levels else None
    out = []
    for spec in FLOOR:
        mean = first.keys[spec.partner] / first.calls[spec.partner] if (
            first and first.calls[spec.partner]) else 3
        floor = await measure_floor(spec, uri, district, round(mean), args.floor_calls,
                                    random.Random(args.seed))
        if floor is not None:
            out.append(floor)
    return out


def report(args: argparse.Namespace, setup: Setup, levels: list[Level],
           floors: list[Floor]) -> None:
    print(f"\nJuheli household-360 benchmark — {args.households:,} households, seed {args.seed}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n")
    print(setup_text(setup, args.households), end="\n\n")
    print(load_text(levels), end="\n\n")
    print(calls_text(levels), end="\n\n")
    print(floor_text(floors, levels))
    if args.json:
        args.json.write_text(json.dumps(figures_json(args, setup, levels, floors), indent=1,
                                        ensure_ascii=False, default=str), encoding="utf-8")
        print(f"\nfigures written to {args.json}")


def main() -> None:
    run_bench(bench(parse_args()))


if __name__ == "__main__":
    main()
