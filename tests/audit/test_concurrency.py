"""Two gateway processes appending at once build one valid chain."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg

from gateway.audit import verify

ROOT = Path(__file__).resolve().parents[2]
ROWS = 200


async def _start(uri: str, agency: str) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.audit._writer", uri, agency, str(ROWS), cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    assert await asyncio.wait_for(proc.stdout.readline(), 60) == b"ready\n"
    return proc


async def test_two_processes_appending_together_keep_one_valid_chain(
        pool: asyncpg.Pool, audit_uri: str) -> None:
    procs = [await _start(audit_uri, agency) for agency in ("agency-a", "agency-b")]
    for proc in procs:  # both connected: let them go at once
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    assert [await asyncio.wait_for(p.wait(), 120) for p in procs] == [0, 0]

    result = await verify(audit_uri)
    assert result.ok, result.broken
    assert (result.rows, result.head_seq) == (2 * ROWS, 2 * ROWS)
    agencies = [r["agency"] for r in await pool.fetch("SELECT agency FROM audit_log ORDER BY seq")]
    assert agencies.count("agency-a") == agencies.count("agency-b") == ROWS
    switches = sum(a != b for a, b in zip(agencies, agencies[1:], strict=False))
    assert switches > 20, "the two writers did not run at the same time"
