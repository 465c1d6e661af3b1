"""`gateway demo` stopped with SIGTERM (a service manager, `docker stop`) stops its embedded
PostgreSQL as Ctrl-C does: the process unwinds instead of dying on the spot, so the server's
exit hook runs."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

PROGRAM = """
import asyncio, sys
from pathlib import Path
from gateway.db.embedded import start_embedded
from gateway.ops import interrupt_on_sigterm

async def serve():
    print("ready", flush=True)  # inside the try: the test signals as soon as it reads this
    await asyncio.sleep(120)

interrupt_on_sigterm()
start_embedded(Path(sys.argv[1]))
try:
    asyncio.run(serve())
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
"""


def _postmaster_running(data: Path) -> bool:
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().splitlines()[0])
    return Path(f"/proc/{pid}").exists()


def test_sigterm_stops_the_embedded_postgres(tmp_path: Path) -> None:
    data = tmp_path / "pg"
    child = subprocess.Popen([sys.executable, "-c", PROGRAM, str(data)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr \
            else ""
        assert _postmaster_running(data)
        child.send_signal(signal.SIGTERM)
        assert child.wait(60) == 130
        assert child.stdout.read().strip() == "interrupted"
        deadline = time.monotonic() + 10
        while _postmaster_running(data) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _postmaster_running(data), "SIGTERM left the embedded PostgreSQL running"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
