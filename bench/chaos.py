"""Chaos benchmark: household-360 latency with every partner healthy and with one partner hung,
side by side, then a flaky partner's retries and the throughput of an overloaded gateway.

    python bench/chaos.py --households 3000 [--partner hall] [--concurrency 4]
        [--requests 400] [--duration-s 20] [--overload 256] [--overload-s 15] [--json PATH]

1. prepare the district as bench/household360.py does (same data dir: a rerun reuses it);
2. per scenario, a fresh `gateway serve` child process (fresh breakers and retry budgets),
   faults set on the partner's real simulator (`POST /_sim/faults`), a warm-up, then
   HOUSEHOLD_360 for a seeded sample of households from `--concurrency` clients:
   - healthy: no fault;
   - hung: the partner holds every request (`hang`), breaker on (the defaults);
   - hung, no breaker: the same with `JUHELI_BREAKER_FAILURES` out of reach, so every read of
     the partner waits out its timeout — the bound the goal is about;
   - flaky: a fifth of the partner's answers are 503s, retried within the 20% budget;
   - overload: no fault, `--overload` clients without pause, with the load shedder in front;
3. print the figures; stop everything, also on errors or Ctrl-C.

The goal: p99 with a hung partner ≤ its timeout (JUHELI_PARTNER_TIMEOUT_MS, 600 ms by
default) + 50 ms. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import re
import sys
import time
import urllib.parse
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
    fmt,
    migrate_and_sync,
    run_bench,
    setup_text,
    start_partners,
    table,
    timed,
)
from household360 import sample_households

from gateway.demo.district import RunningDistrict
from gateway.examples import HOUSEHOLD_360
from gateway.settings import Settings

BENCH = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Scenario:
    name: str
    faults: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)
    overload: bool = False


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    no_breaker = {"JUHELI_BREAKER_FAILURES": str(10**9)}
    return [
        Scenario("healthy", {}),
        Scenario("hung", {"hang": True}),
        Scenario("hung, no breaker", {"hang": True}, no_breaker),
        Scenario("flaky 20% 503", {"error_rate": 0.2, "error_status": 503}),
        Scenario(f"overload c={args.overload}", {}, overload=True),
    ]


@dataclass
class Run:
    """What one scenario measured."""

    name: str
    concurrency: int
    requests: int = 0
    ok: int = 0  # HTTP 200
    shed: int = 0  # HTTP 503
    other_http: int = 0
    transport_errors: int = 0
    wall_s: float = 0.0
    ok_ms: list[float] = field(default_factory=list)
    shed_ms: list[float] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)
    partner_status: Counter[str] = field(default_factory=Counter)  # the faulty partner's
    partner_calls: int = 0  # calls sent, per the gateway's reports
    partner_retries: int = 0
    process_calls: int = 0  # the partner's calls since the gateway started (/metrics)
    process_retries: int = 0
    sim_requests: int = 0  # per the partner's simulator
    gateway_cpu_s: float | None = None
    rss_mb_before: float | None = None
    rss_mb_peak: float | None = None
    client_cpu_s: float = 0.0
    breaker_opened: int = 0  # the faulty partner's breaker
    breakers_opened_all: int = 0  # every partner's
    backoff: bool = True  # overload clients wait out a 503's Retry-After

    def record(self, status: int, body: bytes, ms: float, partner: str) -> None:
        self.requests += 1
        if status == 503:
            self.shed += 1
            self.shed_ms.append(ms)
            return
        if status != 200:
            self.other_http += 1
            return
        self.ok += 1
        self.ok_ms.append(ms)
        data = orjson.loads(body)
        for error in data.get("errors") or []:
            ext = error.get("extensions") or {}
            code = ext.get("code", "UNCODED")
            self.codes[f"{code} ({ext['partner']})" if "partner" in ext else code] += 1
        mine = ((data.get("extensions") or {}).get("sources") or {}).get(partner)
        if mine is not None:
            why = f" {mine['code']}" if "code" in mine else ""
            self.partner_status[mine["status"] + why] += 1
            self.partner_calls += int(mine.get("calls", 0))
            self.partner_retries += int(mine.get("retries", 0))


# --- load -----------------------------------------------------------------------------------------


def _payload(household: str) -> bytes:
    return orjson.dumps({"query": HOUSEHOLD_360, "operationName": "Household360",
                         "variables": {"id": household}})


Answer = tuple[int, bytes, str | None]  # status, body, Retry-After
Sender = Callable[[bytes], Awaitable[Answer]]


def via_httpx(client: httpx.AsyncClient) -> Sender:
    async def send(payload: bytes) -> Answer:
        response = await client.post("/graphql", content=payload)
        return response.status_code, response.content, response.headers.get("retry-after")

    return send


class RawConnection:
    """One keep-alive HTTP/1.1 connection that POSTs to /graphql: about the least a Python
    client can spend on a request (httpx spends several times more), so that in the overload
    run the gateway, not the load generator, sets the pace."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parts = urllib.parse.urlsplit(url)
        self._addr = (parts.hostname or "127.0.0.1", parts.port or 80)
        lines = [f"Host: {self._addr[0]}", *(f"{k}: {v}" for k, v in headers.items())]
        self._head = ("POST /graphql HTTP/1.1\r\n" + "\r\n".join(lines)).encode("latin-1")
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, payload: bytes) -> Answer:
        if self._streams is None:
            self._streams = await asyncio.open_connection(*self._addr)
        reader, writer = self._streams
        writer.write(b"%s\r\nContent-Length: %d\r\n\r\n%s" % (self._head, len(payload), payload))
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            fields = dict(line.split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line)
            body = await reader.readexactly(int(fields["content-length"]))
        except BaseException:
            self.close()
            raise
        if fields.get("connection") == "close":
            self.close()
        return int(head.split(" ", 2)[1]), body, fields.get("retry-after")

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def _drive(senders: list[Sender], ids: Iterator[str], count: int, until: float,
                 run: Run | None, partner: str, *, backoff: bool = True) -> None:
    """One worker per sender; together they send `count` requests or stop at `until`. A worker
    sends its next request as soon as it has an answer — after the `Retry-After` of a 503, as
    a well-behaved client does, unless `backoff` is off."""
    budget = iter(range(count))

    async def worker(send: Sender) -> None:
        while next(budget, None) is not None and time.perf_counter() < until:
            start = time.perf_counter()
            try:
                status, body, retry_after = await send(_payload(next(ids)))
            except (httpx.HTTPError, OSError, asyncio.IncompleteReadError, KeyError, ValueError):
                if run is not None:
                    run.transport_errors += 1
                continue
            if run is not None:
                run.record(status, body, (time.perf_counter() - start) * 1000, partner)
            if backoff and status == 503 and retry_after:
                await asyncio.sleep(min(float(retry_after), max(0.0, until - time.perf_counter())))

    await asyncio.gather(*(worker(send) for send in senders))


def rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


async def _watch_rss(pid: int, run: Run, stop: asyncio.Event) -> None:
    while not stop.is_set():
        value = rss_mb(pid)
        if value is not None:
            run.rss_mb_peak = max(run.rss_mb_peak or 0.0, value)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)


async def _sim(http: httpx.AsyncClient, url: str, op: str, body: Any = None) -> Any:
    if op == "stats":
        return (await http.get(f"{url}/_sim/stats")).json()["total"]
    response = await http.post(f"{url}/_sim/{op}", json=body)
    response.raise_for_status()
    return response.json()


def metric(text: str, name: str, **labels: str) -> dict[tuple[str, ...], float]:
    """Samples of `name` in Prometheus text whose labels include `labels`, by all their labels."""
    out: dict[tuple[str, ...], float] = {}
    for found in re.finditer(r"^" + re.escape(name) + r"\{([^}]*)\} (\S+)$", text, re.MULTILINE):
        pairs = dict(re.findall(r'(\w+)="([^"]*)"', found.group(1)))
        if all(pairs.get(k) == v for k, v in labels.items()):
            out[tuple(pairs.values())] = float(found.group(2))
    return out


@dataclass(frozen=True)
class Plan:
    partner: str
    concurrency: int
    requests: int
    duration_s: float
    overload: int
    overload_s: float
    backoff: bool


async def run_scenario(scenario: Scenario, plan: Plan, gateway: GatewayProcess,
                       district: RunningDistrict, headers: dict[str, str],
                       ids: Iterator[str]) -> Run:
    c = plan.overload if scenario.overload else plan.concurrency
    run = Run(scenario.name, c, backoff=plan.backoff)
    url = district.urls[plan.partner]
    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
    headers = {**headers, "Content-Type": "application/json"}
    raw = [RawConnection(gateway.url, headers) for _ in range(c)] if scenario.overload else []
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30.0, limits=limits,
                                 headers=headers) as client, httpx.AsyncClient(timeout=10) as http:
        senders = [conn.post for conn in raw] or [via_httpx(client)] * c
        await _drive([via_httpx(client)] * plan.concurrency, ids, 40, math.inf, None,
                     plan.partner)
        await _sim(http, url, "faults", scenario.faults)
        await _sim(http, url, "reset")
        run.rss_mb_before = rss_mb(gateway.proc.pid)
        stop = asyncio.Event()
        watcher = asyncio.create_task(_watch_rss(gateway.proc.pid, run, stop))
        cpu0, client0 = gateway.cpu_seconds(), time.process_time()
        start = time.perf_counter()
        count, seconds = ((10**9, plan.overload_s) if scenario.overload
                          else (plan.requests, plan.duration_s))
        try:
            await _drive(senders, ids, count, start + seconds, run, plan.partner,
                         backoff=plan.backoff)
        finally:
            run.wall_s = time.perf_counter() - start
            for conn in raw:
                conn.close()
            stop.set()
            await watcher
            await _sim(http, url, "faults", {})
        cpu1, run.client_cpu_s = gateway.cpu_seconds(), time.process_time() - client0
        run.gateway_cpu_s = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
        run.sim_requests = int(await _sim(http, url, "stats"))
        text = (await client.get("/metrics")).text
        opened = metric(text, "juheli_partner_breaker_transitions_total", state="open")
        run.breakers_opened_all = int(sum(opened.values()))
        run.breaker_opened = int(opened.get((plan.partner, "open"), 0))
        mine = {"partner": plan.partner}
        run.process_calls = int(sum(metric(text, "juheli_partner_calls_total", **mine).values()))
        run.process_retries = int(sum(metric(text, "juheli_partner_retries_total", **mine).values()))
    return run


# --- report ---------------------------------------------------------------------------------------


def latency_text(runs: list[Run], timeout_ms: int) -> str:
    headers = ["scenario", "c", "requests", "ok", "p50 ms", "p95 ms", "p99 ms", "max ms",
               "req/s", "breaker opened", "gw cpu ms/req"]
    rows = []
    notes = []
    for r in runs:
        if r.name.startswith("overload"):
            continue
        lat = Latency.of(r.ok_ms)
        cpu = fmt(r.gateway_cpu_s * 1000 / r.requests, 1) if r.gateway_cpu_s and r.requests else "-"
        rows.append([r.name, str(r.concurrency), str(r.requests), str(r.ok), fmt(lat.p50),
                     fmt(lat.p95), fmt(lat.p99), fmt(max(r.ok_ms, default=math.nan)),
                     fmt(r.requests / r.wall_s if r.wall_s else None),
                     str(r.breaker_opened), cpu])
        statuses = ", ".join(f"{s} ×{n}" for s, n in r.partner_status.most_common()) or "-"
        codes = ", ".join(f"{c} ×{n}" for c, n in r.codes.most_common()) or "none"
        notes.append(f"  {r.name}: partner {statuses}; errors: {codes}")
    out = "HOUSEHOLD_360, one partner healthy / hung / flaky\n" + table(headers, rows)
    out += "\n" + "\n".join(notes)
    goal = timeout_ms + 50
    for r in runs:
        if r.name.startswith("hung"):
            p99 = Latency.of(r.ok_ms).p99
            verdict = "meets" if p99 <= goal else "MISSES"
            out += f"\n  {r.name}: p99 {p99:.1f} ms {verdict} the goal ≤ {goal} ms (timeout + 50)"
    return out


def retries_text(runs: list[Run], partner: str) -> str:
    lines = [f"calls to {partner} (gateway reports vs the simulator's own count)"]
    for r in runs:
        if r.name.startswith("overload"):
            continue
        first = r.partner_calls - r.partner_retries
        share = f"{100 * r.partner_retries / first:.1f}%" if first else "-"
        whole = r.process_calls - r.process_retries
        budget = f"{100 * r.process_retries / whole:.1f}%" if whole else "-"
        lines.append(f"  {r.name}: {r.partner_calls:,} sent ({r.partner_retries:,} retries, "
                     f"{share} of first attempts); simulator saw {r.sim_requests:,}; since the "
                     f"gateway started (warm-up included, as the budget counts) {budget}")
    return "\n".join(lines)


def overload_text(runs: list[Run]) -> str:
    lines = []
    for r in runs:
        if not r.name.startswith("overload"):
            continue
        ok, shed = Latency.of(r.ok_ms), Latency.of(r.shed_ms)
        lines += [
            f"overload: {r.concurrency} clients, each waiting only for its answer"
            f"{'' if r.backoff else ' (not for a 503’s Retry-After)'}, for {r.wall_s:.1f} s",
            f"  {r.requests:,} requests, {r.requests / r.wall_s:,.0f} req/s: "
            f"{r.ok:,} served ({r.ok / r.wall_s:,.1f} req/s), {r.shed:,} shed with 503 "
            f"({r.shed / r.wall_s:,.0f} req/s), {r.other_http} other HTTP errors, "
            f"{r.transport_errors} transport errors",
            f"  served p50 {fmt(ok.p50)} / p99 {fmt(ok.p99)} ms; shed p50 {fmt(shed.p50)} / "
            f"p99 {fmt(shed.p99)} ms",
            f"  gateway RSS {fmt(r.rss_mb_before)} MB before, {fmt(r.rss_mb_peak)} MB peak; "
            f"CPU gateway {fmt(r.gateway_cpu_s)} s, load generator {fmt(r.client_cpu_s)} s",
            f"  breakers opened (any partner): {r.breakers_opened_all}; errors in served "
            "answers: " + (", ".join(f"{c} ×{n}" for c, n in r.codes.most_common()) or "none"),
        ]
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--data-dir", type=Path, help="default: bench/out/<households>")
    parser.add_argument("--partner", default="hall", choices=["hall", "hotline", "mediation"],
                        help="the partner that hangs / flakes")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=400, help="per scenario")
    parser.add_argument("--duration-s", type=float, default=20.0, help="time limit per scenario")
    parser.add_argument("--overload", type=int, default=256, help="clients in the overload run")
    parser.add_argument("--overload-s", type=float, default=15.0)
    parser.add_argument("--ignore-retry-after", action="store_true",
                        help="overload clients resend at once after a 503")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """`values` in os.environ while a gateway child process is started."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


async def households_using(uri: str, partner: str, sample: list[str]) -> list[str]:
    """The sample's households with live records of `partner`: the hung partner matters to
    every request measured."""
    conn = await asyncpg.connect(uri)
    try:
        keys = {r["key"] for r in await conn.fetch(
            "SELECT DISTINCT h.key FROM households h JOIN links l ON l.household_id = h.id "
            "JOIN source_records s ON s.id = l.source_record_id WHERE s.partner = $1",
            partner)}
    finally:
        await conn.close()
    return [h for h in sample if h.split(":", 1)[1] in keys]


async def bench(args: argparse.Namespace) -> None:
    data_dir = (args.data_dir or BENCH / "out" / str(args.households)).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir)
    cancel_on_sigterm()
    setup, runs = Setup(), []
    plan = Plan(args.partner, args.concurrency, args.requests, args.duration_s, args.overload,
                args.overload_s, not args.ignore_retry_after)
    district = await start_partners(settings, args.households, args.seed, setup)
    gateway: GatewayProcess | None = None
    try:
        uri = await migrate_and_sync(settings, district, setup)
        headers = await bench_headers(uri)
        partners_file = data_dir / "partners.bench.toml"
        district.write_partners_toml(partners_file)
        sample = await households_using(uri, args.partner,
                                        await sample_households(uri, 2000, args.seed))
        ids = itertools.cycle(sample)
        for scenario in scenarios(args):
            console.print(f"scenario: {scenario.name} …")
            with environment(scenario.env):
                gateway = GatewayProcess(data_dir=data_dir, store_uri=uri,
                                         partners_file=partners_file,
                                         log=data_dir / "gateway.chaos.log")
            _, setup.gateway_ready_s = await timed(gateway.wait_ready())
            try:
                runs.append(await run_scenario(scenario, plan, gateway, district, headers, ids))
            finally:
                await asyncio.to_thread(gateway.stop)
                gateway = None
    finally:
        if gateway is not None:
            await asyncio.to_thread(gateway.stop)
        await asyncio.to_thread(district.stop)
    report(args, setup, runs, settings.partner_timeout_ms)


def report(args: argparse.Namespace, setup: Setup, runs: list[Run], timeout_ms: int) -> None:
    print(f"\nJuheli chaos benchmark — {args.households:,} households, seed {args.seed}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}; faulty partner "
          f"{args.partner}, partner timeout {timeout_ms} ms\n")
    print(setup_text(setup, args.households), end="\n\n")
    print(latency_text(runs, timeout_ms), end="\n\n")
    print(retries_text(runs, args.partner), end="\n\n")
    print(overload_text(runs))
    if args.json:
        data = []
        for r in runs:
            item = asdict(r)
            for bulky in ("ok_ms", "shed_ms"):
                item.pop(bulky)
            item["codes"], item["partner_status"] = dict(r.codes), dict(r.partner_status)
            item["ok_latency_ms"] = asdict(Latency.of(r.ok_ms))
            item["shed_latency_ms"] = asdict(Latency.of(r.shed_ms))
            data.append(item)
        args.json.write_text(json.dumps({"households": args.households, "partner": args.partner,
                                         "timeout_ms": timeout_ms, "runs": data}, indent=1),
                             encoding="utf-8")
        print(f"\nfigures written to {args.json}")


def main() -> None:
    run_bench(bench(parse_args()))


if __name__ == "__main__":
    main()
