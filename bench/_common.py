"""What any benchmark against a running district needs: the district prepared with a timer on
each step, `gateway serve` as a child process, CPU counters, latency percentiles, plain tables.

Nothing here knows a particular query or figure; `household360.py` and `linkage.py` compose
these.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
from rich.console import Console

from gateway.adapters.registry import close_adapters
from gateway.app import resolve_store_uri
from gateway.db.embedded import start_embedded
from gateway.db.migrate import upgrade_async
from gateway.demo.district import RunningDistrict, start_district
from gateway.linkage.link import link_all
from gateway.onboard.live import partner_adapters
from gateway.onboard.shipped import demo_vars, register_shipped
from gateway.settings import Settings
from gateway.sync import SyncReport, sync_all

T = TypeVar("T")
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
console = Console(stderr=True, highlight=False)


# --- figures --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class Latency:
    """Percentiles of a set of latencies, in milliseconds."""

    n: int
    p50: float
    p95: float
    p99: float
    mean: float

    @classmethod
    def of(cls, values_ms: Sequence[float]) -> Latency:
        mean = sum(values_ms) / len(values_ms) if values_ms else math.nan
        return cls(len(values_ms), percentile(values_ms, 50), percentile(values_ms, 95),
                   percentile(values_ms, 99), mean)


def fmt(value: float | None, digits: int = 1) -> str:
    """A number for a table cell; '-' when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    """Plain-text columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [str(c).ljust(w) if i == 0 else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return indent + "  ".join(parts).rstrip()

    rule = indent + "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


# --- processes ------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (Linux /proc); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime, stime


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gateway_command() -> list[str]:
    script = Path(sys.executable).with_name("gateway")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from gateway.cli import app; app()"]


class GatewayProcess:
    """`gateway serve` in a child process, so the load generator has an event loop of its own."""

    def __init__(self, *, data_dir: Path, store_uri: str, partners_file: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The per-agency rate limit (1,200/min by default) would turn a load test into a
        # rate-limit test: benches measure the gateway, so the limit is off unless set.
        env = dict(os.environ, DATABASE_URL=store_uri, JUHELI_PARTNERS_FILE=str(partners_file))
        env.setdefault("JUHELI_RATE_LIMIT", "0")
        cmd = [*_gateway_command(), "serve", "--data-dir", str(data_dir),
               "--host", "127.0.0.1", "--port", str(self.port), "--no-ide"]
        self._log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, env=env)

    async def wait_ready(self, timeout_s: float = 60.0) -> dict[str, Any]:
        """Poll /readyz until it answers 200; its body. Raises with the log tail otherwise."""
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    response = await client.get("/readyz")
                    if response.status_code == 200:
                        return dict(response.json())
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        tail = self._log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"gateway not ready within {timeout_s:.0f} s "
                           f"(exit code {self.proc.poll()}); log:\n{tail}")

    def cpu_seconds(self) -> float | None:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down its lifespan), then SIGKILL after 10 s. Idempotent."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- the district ---------------------------------------------------------------------------------


@dataclass
class Setup:
    """How long preparing the district took, in seconds (generation 0 when reused)."""

    generate_s: float = 0.0
    generated: bool = False
    partners_start_s: float = 0.0
    materialized: bool = False
    migrate_s: float = 0.0
    sync_s: dict[str, float] = field(default_factory=dict)
    link_s: float = 0.0
    records: int = 0
    links: dict[str, int] = field(default_factory=dict)
    gateway_ready_s: float = 0.0


def cancel_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C does, through the `finally` that stops the children."""
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


async def timed(step: Awaitable[T]) -> tuple[T, float]:
    start = time.perf_counter()
    out = await step
    return out, time.perf_counter() - start


def district_folder(data_dir: Path, households: int, seed: int, noise: float = 1.0) -> Path:
    """Where a district lives in a data dir (ops.prepare_demo's name at the default noise)."""
    suffix = "" if noise == 1.0 else f"-noise{noise:g}"
    return data_dir / f"district-{households}-{seed}{suffix}"


def generate_district(folder: Path, households: int, seed: int, noise: float) -> None:
    """The generator in a child process, so its memory never counts in this process's peak."""
    cmd = [sys.executable, "-m", "gateway.demo.generator", "--households", str(households),
           "--seed", str(seed), "--noise", str(noise), "--out", str(folder)]
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


async def start_partners(settings: Settings, households: int, seed: int, setup: Setup, *,
                         noise: float = 1.0) -> RunningDistrict:
    """ops.prepare_demo up to the running partners, with a timer on each step."""
    folder = district_folder(settings.data_dir, households, seed, noise)
    if not (folder / "district.json").exists():
        console.print(f"generating a district of {households:,} households (noise {noise:g}) …")
        step = asyncio.to_thread(generate_district, folder, households, seed, noise)
        _, setup.generate_s = await timed(step)
        setup.generated = True
    admin = await asyncio.to_thread(start_embedded, settings.data_dir / "pg")
    marker = folder / ".materialized"
    setup.materialized = not marker.exists()
    console.print("starting the partner systems …")
    district, setup.partners_start_s = await timed(
        start_district(folder, admin, materialize=setup.materialized))
    marker.touch()
    return district


async def migrate_and_sync(settings: Settings, district: RunningDistrict, setup: Setup, *,
                           link: bool = True) -> str:
    """The rest of ops.prepare_demo: migrate the store, sync, link (unless told not to);
    the store's URI."""
    uri = await resolve_store_uri(settings)
    _, setup.migrate_s = await timed(upgrade_async(uri))
    await register_definitions(uri, district)
    await sync_and_link(uri, district.partners_config(), setup, link=link)
    return uri


async def register_definitions(uri: str, district: RunningDistrict) -> None:
    """The shipped definition files, registered as `gateway demo` does, with the environment
    they read (where the district's property SaaS and drop folders are)."""
    os.environ.update(demo_vars(district))
    await register_shipped(uri)


async def sync_and_link(uri: str, partners: dict[str, Any], setup: Setup, *,
                        link: bool = True) -> None:
    """The sync feed one partner at a time (resumes from stored cursors), then linkage."""
    pool = await asyncpg.create_pool(uri, min_size=1, max_size=4)
    # The bodies onboarded by definition file (property, owners' committees, women's
    # federation) are synced as `gateway sync` does: the definitions in force, beside the code.
    adapters = await partner_adapters(pool, partners, timeout_ms=30_000)
    try:
        for slug, adapter in adapters.items():
            report, setup.sync_s[slug] = await timed(sync_all(pool, {slug: adapter}, link=False))
            _print_sync(slug, report, setup.sync_s[slug])
            setup.records += sum(report.records.values())
        if link:
            console.print("linking records to persons and households …")
            setup.links, setup.link_s = await timed(link_all(pool))
    finally:
        await pool.close()
        await close_adapters(adapters)


def _print_sync(slug: str, report: SyncReport, seconds: float) -> None:
    n = sum(report.records.values())
    console.print(f"  sync {slug}: {n:,} new or changed records in {seconds:.1f} s")
    for where, message in report.errors.items():
        console.print(f"  [yellow]{where}: {message}[/yellow]")


def setup_text(setup: Setup, households: int) -> str:
    gen = f"{setup.generate_s:.1f} s" if setup.generated else "reused"
    part = f"{setup.partners_start_s:.1f} s" + (" (materialized)" if setup.materialized else "")
    sync = sum(setup.sync_s.values())
    per = ", ".join(f"{s} {v:.1f}" for s, v in setup.sync_s.items())
    linked = sum(n for m, n in setup.links.items() if m != "unlinked")
    link = (f" | link {setup.link_s:.1f} s ({linked:,} linked, "
            f"{setup.links.get('unlinked', 0):,} not)" if setup.links else "")
    lines = [
        f"setup ({households:,} households)",
        f"  generate {gen} | partners start {part} | migrate {setup.migrate_s:.1f} s",
        f"  sync {sync:.1f} s ({setup.records:,} new/changed records; {per}){link}",
    ]
    if setup.gateway_ready_s:
        lines.append(f"  gateway ready {setup.gateway_ready_s:.1f} s")
    return "\n".join(lines)


async def bench_headers(uri: str, *, slug: str = "bench", role: str = "residents_committee",
                        purpose: str = "case_handling") -> dict[str, str]:
    """The headers of an agency of the store at `uri`, district-wide, with a fresh day-long
    key. By default a residents' committee asking for casework: every field group in full, so
    every read is checked, masked nowhere and audited, as a real officer's is."""
    from gateway.auth import keys

    conn = await asyncpg.connect(uri)
    try:
        await conn.execute(
            "INSERT INTO agencies (slug, name, role, communities) VALUES ($1, $1, $2, '{*}') "
            "ON CONFLICT (slug) DO UPDATE SET role = EXCLUDED.role, revoked_at = NULL",
            slug, role)
        issued = await keys.issue(conn, slug, expires_in_days=1, label=slug)
    finally:
        await conn.close()
    return {"Authorization": f"Bearer {issued.key}", "X-Purpose": purpose, "X-Officer": "bench"}


def run_bench(work: Coroutine[Any, Any, None]) -> None:
    """Run a bench's coroutine; Ctrl-C or SIGTERM stops its children and exits 130."""
    try:
        asyncio.run(work)
    except (KeyboardInterrupt, asyncio.CancelledError):
        console.print("[yellow]interrupted; partners and gateway stopped[/yellow]")
        sys.exit(130)
