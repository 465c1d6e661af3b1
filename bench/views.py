"""Coordination-brief benchmark: how long one community's brief takes, in SQL and through the
gateway, at a given district size (goal: ≤ 300 ms at 100,000 households).

    python bench/views.py --households 3000 [--runs 30] [--seed S] [--data-dir DIR] [--json P]
    python bench/views.py --households 100000      # first run ~25 min: generate, sync, link

1. prepares the district like bench/household360.py (reused on a rerun; links only what is
   pending, so a rerun does not relink);
2. in this process: `gateway.views.brief.compute` for every community and three periods
   (30 days, a quarter, a year), `--runs` times each after one warm-up — latency percentiles,
   SQL statements per brief (counted on the connections), facts per community;
3. through `gateway serve` (a child process): the `coordinationBrief` GraphQL query with a
   joint-meeting agency key, one request at a time — what a dashboard waits for;
4. the same for the list behind one figure (`briefItems`, first 50).

Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from _common import (
    GatewayProcess,
    Latency,
    Setup,
    bench_headers,
    cancel_on_sigterm,
    console,
    fmt,
    register_definitions,
    run_bench,
    setup_text,
    start_partners,
    sync_and_link,
    table,
    timed,
)

from gateway.adapters.registry import close_adapters
from gateway.app import resolve_store_uri
from gateway.db.migrate import upgrade_async
from gateway.demo.names import TODAY
from gateway.linkage.link import link_pending
from gateway.onboard.live import partner_adapters
from gateway.settings import Settings
from gateway.views.brief import compute, scope_of
from gateway.views.cache import SectionCache
from gateway.views.config import BriefConfig
from gateway.views.snapshots import rebuild_facts

BENCH = Path(__file__).resolve().parent
PERIODS = {"30 days": 30, "quarter": 91, "year": 365}
QUERY = """query Brief($c: ID!, $p: PeriodInput!) { coordinationBrief(community: $c, period: $p) {
  disputes { opened closed overdue byCategory { key opened } byReportingBody { key opened } }
  appeals { received onTimeRate satisfactionRate byChannel { key received }
            topLocations { key label count } topTopics { label count } }
  services { total byBody { key count } cardsByKind { key count } }
  chain { householdsWithoutMember buildingsWithoutCommitteeMember compoundsWithoutSecretary }
  visits { visits membersMeetingTarget shortOfTarget { memberId visits target } }
  meetings { kind lastHeld nextDue overdue } needs { byNeed { key count } }
  freshness { partner status } missing } }"""
ITEMS = """query Items($c: ID!, $p: PeriodInput!) { briefItems(community: $c, period: $p,
  figure: "appeals.received", first: 50) {
  totalCount edges { node { localId householdId } } } }"""


class Counting(asyncpg.Connection):  # type: ignore[misc]
    """Counts the statements a brief sends."""

    statements = 0

    async def _count(self) -> None:
        Counting.statements += 1

    async def fetch(self, *a: Any, **k: Any) -> Any:
        await self._count()
        return await super().fetch(*a, **k)

    async def fetchrow(self, *a: Any, **k: Any) -> Any:
        await self._count()
        return await super().fetchrow(*a, **k)

    async def fetchval(self, *a: Any, **k: Any) -> Any:
        await self._count()
        return await super().fetchval(*a, **k)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--households", type=int, default=3000)
    p.add_argument("--seed", type=int, default=20261129)
    p.add_argument("--runs", type=int, default=30, help="timed briefs per community and period")
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--json", type=Path)
    return p.parse_args()


async def prepare(settings: Settings, args: argparse.Namespace, setup: Setup) -> tuple[Any, str]:
    district = await start_partners(settings, args.households, args.seed, setup)
    uri = await resolve_store_uri(settings)
    _, setup.migrate_s = await timed(upgrade_async(uri))
    await register_definitions(uri, district)
    await sync_and_link(uri, district.partners_config(), setup, link=False)
    pool = await asyncpg.create_pool(uri, min_size=1, max_size=2)
    adapters = await partner_adapters(pool, district.partners_config())
    try:
        console.print("linking what is pending …")
        setup.links, setup.link_s = await timed(link_pending(pool))
        # A rerun's sync stores nothing new: project the snapshots again, in case the
        # projection changed since the store was synced.
        console.print("projecting the snapshots into facts …")
        facts, seconds = await timed(rebuild_facts(pool, adapters))
        console.print(f"  {sum(facts.values()):,} facts in {seconds:.1f} s")
    finally:
        await close_adapters(adapters)
        await pool.close()
    return district, uri


async def in_process(uri: str, runs: int) -> tuple[dict[str, list[float]], dict[str, Any]]:
    config = BriefConfig()
    pool = await asyncpg.create_pool(uri, min_size=8, max_size=8, connection_class=Counting)
    lat: dict[str, list[float]] = {name: [] for name in PERIODS}
    info: dict[str, Any] = {}
    try:
        communities = await pool.fetch(
            """SELECT c.code, c.name, (SELECT count(*) FROM facts f
                                       WHERE f.community_code = c.code) AS facts,
                      (SELECT count(*) FROM households h WHERE h.community_code = c.code) AS hh
               FROM communities c ORDER BY c.code""")
        info["communities"] = [dict(r) for r in communities]
        for name, days in PERIODS.items():
            for c in communities:
                scope = scope_of(c["code"], TODAY - timedelta(days=days - 1), TODAY,
                                 today=max(TODAY, date.today()), config=config)
                await compute(pool, scope, name=c["name"], config=config, configured={})
                before = Counting.statements
                for _ in range(runs):
                    start = time.perf_counter()
                    await compute(pool, scope, name=c["name"], config=config, configured={})
                    lat[name].append((time.perf_counter() - start) * 1e3)
                info["statements"] = (Counting.statements - before) / runs
        # Warm: the same scope again with the facts unchanged — what every viewer after the
        # first, an export or a freeze of the same brief costs.
        cache, warm = SectionCache(), lat.setdefault("quarter, cached sections", [])
        for c in communities:
            scope = scope_of(c["code"], TODAY - timedelta(days=90), TODAY,
                             today=max(TODAY, date.today()), config=config)
            await compute(pool, scope, name=c["name"], config=config, configured={}, cache=cache)
            for _ in range(runs):
                start = time.perf_counter()
                await compute(pool, scope, name=c["name"], config=config, configured={},
                              cache=cache)
                warm.append((time.perf_counter() - start) * 1e3)
    finally:
        await pool.close()
    return lat, info


async def through_gateway(gateway: GatewayProcess, headers: dict[str, str],
                          communities: list[str], runs: int) -> dict[str, list[float]]:
    queries = {"coordinationBrief (quarter)": QUERY, "briefItems (first 50)": ITEMS}
    lat: dict[str, list[float]] = {name: [] for name in queries}
    period = {"from": (TODAY - timedelta(days=90)).isoformat(), "to": TODAY.isoformat()}
    async with httpx.AsyncClient(base_url=gateway.url, headers=headers, timeout=30) as client:
        for name, query in queries.items():
            for i in range(runs * len(communities) + 1):
                body = {"query": query, "variables": {"c": communities[i % len(communities)],
                                                      "p": period}}
                start = time.perf_counter()
                response = await client.post("/graphql", json=body)
                elapsed = time.perf_counter() - start
                data = response.json()
                if response.status_code != 200 or data.get("errors"):
                    raise RuntimeError(f"{name}: {response.status_code} {data.get('errors')}")
                if i:  # the first is the warm-up
                    lat[name].append(elapsed * 1e3)
    return lat


def _rows(lat: dict[str, list[float]]) -> list[list[str]]:
    out = []
    for name, values in lat.items():
        s = Latency.of(values)
        out.append([name, str(s.n), fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(max(values))])
    return out


async def bench(args: argparse.Namespace) -> None:
    data_dir = (args.data_dir or BENCH / "out" / str(args.households)).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir)
    cancel_on_sigterm()
    setup = Setup()
    district, uri = await prepare(settings, args, setup)
    gateway: GatewayProcess | None = None
    try:
        console.print(f"briefs in process: {args.runs} per community and period …")
        inproc, info = await in_process(uri, args.runs)
        partners_file = data_dir / "partners.bench.toml"
        district.write_partners_toml(partners_file)
        os.environ.setdefault("JUHELI_MAX_IN_FLIGHT", "0")
        gateway = GatewayProcess(data_dir=data_dir, store_uri=uri, partners_file=partners_file,
                                 log=data_dir / "gateway.log")
        await gateway.wait_ready()
        console.print("briefs through the gateway …")
        codes = [c["code"] for c in info["communities"]]
        via = await through_gateway(gateway, await bench_headers(
            uri, slug="bench-views", role="party_committee", purpose="joint_meeting"), codes, max(3, args.runs // 3))
    finally:
        if gateway is not None:
            await asyncio.to_thread(gateway.stop)
        await asyncio.to_thread(district.stop)
    report(args, setup, inproc, via, info)


def report(args: argparse.Namespace, setup: Setup, inproc: dict[str, list[float]],
           via: dict[str, list[float]], info: dict[str, Any]) -> None:
    print(f"\nJuheli coordination-brief benchmark — {args.households:,} households, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n")
    print(setup_text(setup, args.households), end="\n\n")
    sizes = ", ".join(f"{c['code']}: {c['hh']:,} households, {c['facts']:,} facts"
                      for c in info["communities"])
    print(f"communities: {sizes}")
    print(f"SQL statements per brief: {info['statements']:.0f} (sections run side by side "
          "on their own connections)\n")
    headers = ["brief (SQL, in process)", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    print(table(headers, _rows(inproc)), end="\n\n")
    headers[0] = "through the gateway (HTTP)"
    print(table(headers, _rows(via)))
    worst = max(Latency.of(v).p99 for k, v in inproc.items() if "cached" not in k)
    print(f"\ngoal ≤ 300 ms at 100,000 households: worst p99 computed in process {worst:.0f} ms")
    if args.json:
        out = {"households": args.households,
               "in_process": {k: asdict(Latency.of(v)) for k, v in inproc.items()},
               "gateway": {k: asdict(Latency.of(v)) for k, v in via.items()}, **info}
        args.json.write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")


def main() -> None:
    run_bench(bench(parse_args()))


if __name__ == "__main__":
    main()
