"""A separate OS process appending audit rows through its own event loop and pool.

    python -m tests.audit._writer URI AGENCY ROWS

Prints `ready` once connected, waits for a line on stdin, then appends ROWS rows from four
concurrent tasks, so that two such processes started together contend for the chain head.
"""

from __future__ import annotations

import asyncio
import sys

import asyncpg

from gateway.audit import AuditEntry, append

TASKS = 4


async def main(uri: str, agency: str, rows: int) -> None:
    pool = await asyncpg.create_pool(uri, min_size=TASKS, max_size=TASKS)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)

    async def task(t: int) -> None:
        for i in range(t, rows, TASKS):
            await append(pool, AuditEntry(agency, f"officer-{t}", "case_handling", f"op{i}",
                                          f"var{i}", (f"H{i % 7}",), ("identity",), "10.0.0.9"))

    try:
        await asyncio.gather(*(task(t) for t in range(TASKS)))
    finally:
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
