"""Run a generated district: its partner databases, its REST simulators, its file drops.

`start_district` materializes the folder (PostgreSQL databases for `rc` and `party`, SQLite files
for the REST partners), starts one simulator process per REST partner, and returns a
`RunningDistrict` that knows how the gateway reaches each partner: `partners_config()` for the
partners with adapter code, `definition_vars()` for the bodies onboarded by definition files
(the property SaaS and the owners' committees' drop, docs/partners.md §5).

The children hold a pipe on stdin and exit when it closes, so they die with the parent even
when the parent is killed without a chance to clean up.
"""

from __future__ import annotations

import asyncio
import os
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

import gateway
from gateway.db.embedded import with_database
from gateway.demo.materialize import load_sql_partners
from gateway.demo.simulators import RESOURCES
from gateway.demo.simulators.property import DEMO_TOKEN

__all__ = ["DEFINITION_BODIES", "RunningDistrict", "start_district", "stop_district"]

START_TIMEOUT = 20.0
# Bodies the gateway reaches through definition files, not through `partners_config()`.
DEFINITION_BODIES = frozenset({"property", "owners"})


@dataclass
class RunningDistrict:
    """A materialized district with its simulators running."""

    folder: Path
    admin_uri: str
    dsns: dict[str, str]
    urls: dict[str, str]
    massorg_folder: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def partners_config(self) -> dict[str, dict[str, str]]:
        """How the gateway reaches each partner, keyed by slug."""
        config: dict[str, dict[str, str]] = {
            slug: {"kind": "sql", "dsn": dsn} for slug, dsn in self.dsns.items()
        }
        for slug, url in self.urls.items():
            if slug not in DEFINITION_BODIES:
                config[slug] = {"kind": "rest", "base_url": url}
        config["massorg"] = {"kind": "files", "folder": str(self.massorg_folder)}
        return config

    def definition_vars(self) -> dict[str, str]:
        """Where the definition-file bodies are: the property SaaS's URL and token, and the
        owners' committees' folder (docs/partners.md §5)."""
        return {"PROPERTY_URL": self.urls["property"], "PROPERTY_TOKEN": DEMO_TOKEN,
                "OWNERS_FOLDER": str(self.folder / "owners")}

    def write_partners_toml(self, path: Path) -> None:
        """The configuration `Settings.partners` reads: one `[partners.<slug>]` table each."""
        tables = {f"partners.{slug}": conf for slug, conf in self.partners_config().items()}
        path.write_text(to_toml(tables), encoding="utf-8")

    def kill(self, partner: str) -> None:
        """Kill a REST partner's simulator outright (SIGKILL): it refuses connections until
        `restart(partner)`. For fault injection (docs/resilience.md)."""
        proc = self.processes[partner]
        proc.kill()
        proc.wait()
        _stop_process(proc)

    async def restart(self, partner: str) -> None:
        """Start a killed (or running) REST partner's simulator again on its former address."""
        old = self.processes.get(partner)
        if old is not None:
            _stop_process(old)
        port = int(self.urls[partner].rsplit(":", 1)[1])
        logs = self.folder / "sim" / "logs"
        proc = _spawn(partner, self.folder / "sim" / f"{partner}.sqlite", logs / f"{partner}.log",
                      port=port)
        self.processes[partner] = proc
        await asyncio.to_thread(_await_listening, proc, logs / f"{partner}.log", START_TIMEOUT)

    def stop(self) -> None:
        """Stop every simulator (idempotent)."""
        for proc in self.processes.values():
            _stop_process(proc)
        self.processes.clear()


# --- TOML --------------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_str(key)


def _toml_str(value: str) -> str:
    escaped = []
    for ch in value:
        if ch in '"\\':
            escaped.append("\\" + ch)
        elif ch in "\b\t\n\f\r":
            escaped.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            escaped.append(f"\\u{ord(ch):04X}")
        else:
            escaped.append(ch)
    return '"' + "".join(escaped) + '"'


def to_toml(tables: dict[str, dict[str, Any]]) -> str:
    """One TOML table per key, with string, bool, int or float values."""
    out: list[str] = []
    for name, values in tables.items():
        out.append(f"[{'.'.join(_toml_key(part) for part in name.split('.'))}]")
        for key, value in values.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, int | float):
                text = repr(value)
            else:
                text = _toml_str(str(value))
            out.append(f"{_toml_key(key)} = {text}")
        out.append("")
    return "\n".join(out)


# --- processes ---------------------------------------------------------------------------------


_BUILD_REST = (
    "import sys, pathlib; from gateway.demo.materialize import load_rest_partners; "
    "load_rest_partners(pathlib.Path(sys.argv[1]))"
)


def _child_env() -> dict[str, str]:
    """This environment, with this very `gateway` importable (installed or not)."""
    env = dict(os.environ)
    root = str(Path(gateway.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _spawn(partner: str, db: Path, log: Path, *, port: int = 0) -> subprocess.Popen[bytes]:
    env = _child_env()
    cmd = [sys.executable, "-m", "gateway.demo.simulators", partner, "--db", str(db),
           "--port", str(port), "--host", "127.0.0.1", "--exit-on-stdin-eof"]  # fmt: skip
    with log.open("ab" if port else "wb") as err:
        return subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=env
        )


def _await_listening(proc: subprocess.Popen[bytes], log: Path, timeout: float) -> str:
    """Block until the child prints its LISTENING line; its URL. Kills it on failure."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    line = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = proc.stdout.readline()
        if line.startswith(b"LISTENING "):
            return line.decode().split(" ", 1)[1].strip()
        if not line:  # EOF: the child died
            break
    _stop_process(proc)
    stderr = log.read_text(encoding="utf-8", errors="replace")[-4000:]
    raise RuntimeError(
        f"simulator {proc.args!r} did not start within {timeout:.0f} s "
        f"(exit code {proc.returncode}; last output {line!r}); stderr:\n{stderr}"
    )


def _stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        if proc.stdin is not None:
            proc.stdin.close()  # the child's signal to exit
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None and not pipe.closed:
            pipe.close()


async def _start_simulators(
    dbs: dict[str, Path], logs: Path
) -> tuple[dict[str, str], dict[str, subprocess.Popen[bytes]]]:
    logs.mkdir(parents=True, exist_ok=True)
    procs = {p: _spawn(p, db, logs / f"{p}.log") for p, db in dbs.items()}
    waits = [
        asyncio.to_thread(_await_listening, procs[p], logs / f"{p}.log", START_TIMEOUT)
        for p in procs
    ]
    results = await asyncio.gather(*waits, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        for proc in procs.values():
            _stop_process(proc)
        raise failures[0]
    return {p: str(url) for p, url in zip(procs, results, strict=True)}, procs


# --- materializing -----------------------------------------------------------------------------


async def _databases_exist(admin_uri: str, names: list[str]) -> bool:
    conn = await asyncpg.connect(admin_uri)
    try:
        found = await conn.fetchval(
            "select count(*) from pg_database where datname = any($1::text[])", names
        )
    finally:
        await conn.close()
    return bool(found == len(names))


async def _sql_partners(
    folder: Path, admin_uri: str, prefix: str, materialize: bool
) -> dict[str, str]:
    names = {slug: f"{prefix}partner_{slug}" for slug in ("rc", "party")}
    if not materialize and await _databases_exist(admin_uri, list(names.values())):
        return {slug: with_database(admin_uri, name) for slug, name in names.items()}
    return await load_sql_partners(folder, admin_uri, prefix=prefix)


async def _rest_partners(folder: Path, materialize: bool) -> dict[str, Path]:
    paths = {p: folder / "sim" / f"{p}.sqlite" for p in RESOURCES}
    if not materialize and all(path.exists() for path in paths.values()):
        return paths
    # In a child process: JSON parsing is CPU-bound, and so is this process's PostgreSQL load.
    # A plain interpreter rather than multiprocessing, which would re-run the caller's script.
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _BUILD_REST, str(folder),
        env=_child_env(), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"building the REST partners' SQLite files failed:\n{stderr.decode()}")
    return paths


async def start_district(
    folder: Path, admin_uri: str, *, prefix: str = "", materialize: bool = True
) -> RunningDistrict:
    """Materialize `folder` (unless `materialize` is False and it already is) and start the
    REST simulators; return the running district. Raises RuntimeError, with the child's stderr,
    when a simulator does not start within 20 s."""
    dsns, dbs = await asyncio.gather(
        _sql_partners(folder, admin_uri, prefix, materialize), _rest_partners(folder, materialize)
    )
    urls, procs = await _start_simulators(dbs, folder / "sim" / "logs")
    return RunningDistrict(
        folder=folder,
        admin_uri=admin_uri,
        dsns=dsns,
        urls=urls,
        massorg_folder=folder / "massorg",
        processes=procs,
    )


async def stop_district(district: RunningDistrict) -> None:
    await asyncio.to_thread(district.stop)
