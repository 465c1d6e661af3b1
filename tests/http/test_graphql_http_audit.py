"""graphql-http's audit suite (`serverAudits`, pinned in package-lock.json) against a live Juheli:
every MUST and SHOULD audit passes; the MAY audits that do not are named in the output."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.http.conftest import AUDIT_REPORT, HERE
from tests.node import run_node

AUDIT_TIMEOUT_S = 120


def run_audits(url: str, modules: Path, headers: dict[str, str]) -> list[dict[str, Any]]:
    done = run_node("node", [str(HERE / "audit.mjs"), url, str(modules)], cwd=HERE,
                    timeout=AUDIT_TIMEOUT_S, env={"JUHELI_AUDIT_HEADERS": json.dumps(headers)})
    assert done.returncode == 0, f"the audit script failed:\n{done.stderr[-3000:]}"
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def describe(result: dict[str, Any]) -> str:
    answer = f" (got {result.get('status_code')} {result.get('content_type')})" \
        if "status_code" in result else ""
    return f"{result['id']} [{result['status']}] {result['name']}: {result.get('reason')}{answer}"


def test_every_must_and_should_audit_passes(
        live_gateway: str, graphql_http: Path, audit_headers: dict[str, str],
        request: pytest.FixtureRequest) -> None:
    started = time.monotonic()
    results = run_audits(f"{live_gateway}/graphql", graphql_http, audit_headers)
    took = time.monotonic() - started
    counts = Counter(r["status"] for r in results)
    levels = Counter(r["name"].split()[0] for r in results)
    request.config.stash[AUDIT_REPORT] = [
        f"{len(results)} audits ({', '.join(f'{n} {lv}' for lv, n in sorted(levels.items()))})"
        f" in {took:.1f} s: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())),
        *(describe(r) for r in results if r["status"] != "ok")]
    assert len(results) >= 50, "the suite ran fewer audits than graphql-http 1.23 has"
    required = [r for r in results if r["name"].startswith(("MUST", "SHOULD"))]
    assert len(required) >= 30
    failures = [describe(r) for r in required if r["status"] != "ok"]
    assert not failures, "GraphQL-over-HTTP audits failed:\n" + "\n".join(failures)
