"""Audit benchmark: what one audited read costs, and what concurrent writers get.

    python bench/audit.py [--sequential 1000] [--writers 2] [--rows 1000] [--tasks 4]
        [--json PATH]

On an embedded PostgreSQL of its own (or the server of `DATABASE_URL`, in a database
`juheli_audit_bench` that it empties first):

1. `--sequential` appends one after another on one connection (the floor: one round trip and
   one commit each), then as many through a pool, as the gateway makes them;
2. `--writers` OS processes, each with its own event loop and pool of `--tasks` connections,
   appending `--rows` rows each at once, all contending for the chain head;
3. `gateway audit verify` over everything written (rows per second);
4. prints the figures (and writes JSON with --json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import asyncpg
from _common import Latency, fmt, table

from gateway.audit import GENESIS, AuditEntry, append, verify
from gateway.db.embedded import start_embedded, with_database
from gateway.db.migrate import ensure_database, upgrade_async

DATABASE = "juheli_audit_bench"


def _entry(agency: str, i: int) -> AuditEntry:
    return AuditEntry(agency, f"officer-{i % 5}", "case_handling", f"{i:064x}", f"{i * 7:064x}",
                      (f"110105001001-01-{i % 3000:04d}",), ("identity", "contact"), "10.0.0.9")


async def _timed_appends(target: Any, agency: str, rows: range) -> list[float]:
    out = []
    for i in rows:
        start = time.perf_counter()
        await append(target, _entry(agency, i))
        out.append((time.perf_counter() - start) * 1000)
    return out


async def child(uri: str, agency: str, rows: int, tasks: int) -> None:
    """One writer process: connect, say ready, wait for the go line, append, print latencies."""
    pool = await asyncpg.create_pool(uri, min_size=tasks, max_size=tasks)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    start = time.perf_counter()
    parts = await asyncio.gather(*(_timed_appends(pool, agency, range(t, rows, tasks))
                                   for t in range(tasks)))
    wall = time.perf_counter() - start
    await pool.close()
    print(json.dumps({"wall_s": wall, "ms": [v for p in parts for v in p]}), flush=True)


async def _writers(uri: str, n: int, rows: int, tasks: int) -> tuple[float, list[dict[str, Any]]]:
    procs = []
    for w in range(n):
        procs.append(await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--child", uri, f"agency-{w}", str(rows), str(tasks),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE))
    for p in procs:
        assert p.stdout is not None and await p.stdout.readline() == b"ready\n"
    start = time.perf_counter()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write(b"go\n")
        await p.stdin.drain()
    outs = [json.loads((await p.communicate())[0]) for p in procs]
    return time.perf_counter() - start, outs


async def _store(admin: str) -> str:
    await ensure_database(admin, DATABASE)
    uri = with_database(admin, DATABASE)
    await upgrade_async(uri)
    conn = await asyncpg.connect(uri)
    try:
        await conn.execute("TRUNCATE audit_log")
        await conn.execute("UPDATE audit_chain SET head_seq = 0, head_hash = $1, anchor_seq = 0, "
                           "anchor_hash = $1", GENESIS)
    finally:
        await conn.close()
    return uri


async def run(args: argparse.Namespace, admin: str) -> dict[str, Any]:
    uri = await _store(admin)
    figures: dict[str, Any] = {}
    conn = await asyncpg.connect(uri)
    try:
        start = time.perf_counter()
        ms = await _timed_appends(conn, "sequential", range(args.sequential))
        figures["sequential_connection"] = {"wall_s": time.perf_counter() - start,
                                            "latency": asdict(Latency.of(ms))}
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(uri, min_size=2, max_size=4)
    try:
        start = time.perf_counter()
        ms = await _timed_appends(pool, "pooled", range(args.sequential))
        figures["sequential_pool"] = {"wall_s": time.perf_counter() - start,
                                      "latency": asdict(Latency.of(ms))}
    finally:
        await pool.close()
    wall, outs = await _writers(uri, args.writers, args.rows, args.tasks)
    figures["concurrent"] = {"writers": args.writers, "tasks": args.tasks, "wall_s": wall,
                             "rows": args.writers * args.rows,
                             "latency": asdict(Latency.of([v for o in outs for v in o["ms"]]))}
    start = time.perf_counter()
    result = await verify(uri)
    figures["verify"] = {"ok": result.ok, "rows": result.rows,
                         "wall_s": time.perf_counter() - start}
    return figures


def report(f: dict[str, Any]) -> str:
    rows = []
    for name in ("sequential_connection", "sequential_pool", "concurrent"):
        part, lat = f[name], f[name]["latency"]
        rows.append([name.replace("_", " "), f"{lat['n']:,}", fmt(part["wall_s"], 2),
                     fmt(lat["n"] / part["wall_s"], 0), fmt(lat["p50"], 2), fmt(lat["p95"], 2),
                     fmt(lat["p99"], 2)])
    c = f["concurrent"]
    v = f["verify"]
    return "\n".join([
        "audit appends",
        table(["mode", "appends", "wall s", "per s", "p50 ms", "p95 ms", "p99 ms"], rows),
        f"  concurrent: {c['writers']} processes × {c['tasks']} tasks",
        f"verify: {v['rows']:,} rows in {v['wall_s']:.2f} s "
        f"({v['rows'] / v['wall_s']:,.0f} rows/s), {'valid' if v['ok'] else 'BROKEN'}",
    ])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        uri, agency, rows, tasks = sys.argv[2:6]
        asyncio.run(child(uri, agency, int(rows), int(tasks)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequential", type=int, default=1000)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--rows", type=int, default=1000, help="appends per writer process")
    parser.add_argument("--tasks", type=int, default=4, help="concurrent appenders per process")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="juheli-audit-bench-") as tmp:
        admin = os.environ.get("DATABASE_URL") or start_embedded(Path(tmp) / "pg",
                                                                 delete_on_exit=True)
        figures = asyncio.run(run(args, admin))
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
