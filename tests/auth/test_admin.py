"""`gateway agency | key | grant`, and the demo's bodies with their keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from gateway.auth.admin import seed_demo
from gateway.cli import app
from tests.conftest import migrated_store

runner = CliRunner()


@pytest.fixture(scope="module")
async def admin_store(pg_admin: str) -> str:
    return await migrated_store(pg_admin, "admin")


def _run(uri: str, tmp: Path, *args: str) -> Any:
    result = runner.invoke(app, [*args, "--data-dir", str(tmp)],
                           env={"DATABASE_URL": uri, "COLUMNS": "200"})
    return result


def test_agencies_keys_and_grants_from_the_command_line(admin_store: str, tmp_path: Path) -> None:
    added = _run(admin_store, tmp_path, "agency", "add", "union-x", "--name", "工会",
                 "--role", "mass_org", "--community", "*")
    assert added.exit_code == 0, added.output
    issued = _run(admin_store, tmp_path, "key", "issue", "union-x", "--days", "30")
    assert issued.exit_code == 0, issued.output
    key = issued.output.strip().splitlines()[-1]
    assert key.startswith("jhl_")
    key_id = key.split("_")[1]
    listed = _run(admin_store, tmp_path, "agency", "list")
    assert "union-x" in listed.output and "mass_org" in listed.output
    rotated = _run(admin_store, tmp_path, "key", "rotate", key_id, "--grace-hours", "1")
    assert rotated.exit_code == 0 and rotated.output.strip().splitlines()[-1] != key
    assert _run(admin_store, tmp_path, "key", "revoke", key_id).exit_code == 0
    again = _run(admin_store, tmp_path, "key", "revoke", key_id)
    assert again.exit_code == 2 and "no active key" in again.output

    set_ = _run(admin_store, tmp_path, "grant", "set", "mass_org", "health", "case_handling",
                "masked")
    assert set_.exit_code == 0, set_.output
    grants = _run(admin_store, tmp_path, "grant", "list", "--role", "mass_org")
    assert "health" in grants.output and "welfare" in grants.output
    bad = _run(admin_store, tmp_path, "grant", "set", "mass_org", "secrets", "case_handling",
               "full")
    assert bad.exit_code == 2 and "unknown field group" in bad.output
    assert _run(admin_store, tmp_path, "grant", "remove", "mass_org", "health",
                "case_handling").exit_code == 0
    revoked = _run(admin_store, tmp_path, "agency", "revoke", "union-x")
    assert revoked.exit_code == 0
    assert _run(admin_store, tmp_path, "key", "issue", "union-x").exit_code == 2


async def test_the_demo_bodies_get_keys_that_match_the_policy(
    synced: Any, store_uri: str, client: Any, tmp_path: Path
) -> None:
    pool = await asyncpg.create_pool(store_uri, min_size=1, max_size=2)
    try:
        bodies = await seed_demo(pool, tmp_path / "demo-keys.json")
        again = await seed_demo(pool, tmp_path / "demo-keys.json")
        community = await pool.fetchval("SELECT code FROM communities ORDER BY code LIMIT 1")
        household = await pool.fetchval(
            "SELECT key FROM households WHERE community_code = $1 ORDER BY key LIMIT 1", community)
    finally:
        await pool.close()
    assert [b["key"] for b in bodies] == [b["key"] for b in again], "valid keys are reused"
    assert oct((tmp_path / "demo-keys.json").stat().st_mode)[-3:] == "600"
    by = {b["agency"]: b for b in json.loads((tmp_path / "demo-keys.json").read_text())}
    query = {"query": "query($id: ID!) { household(id: $id) { residents { name } "
                      "appeals { number } } }", "variables": {"id": f"Household:{household}"}}

    async def ask(agency: str) -> dict[str, Any]:
        b = by[agency]
        response = await client.post("/graphql", json=query, headers={
            "Authorization": f"Bearer {b['key']}", "X-Purpose": b["purpose"],
            "X-Officer": "demo"})
        return dict(response.json())

    rc = await ask(f"rc-{community}")
    assert rc["data"]["household"]["residents"] and "errors" not in rc
    hotline = await ask("hotline-12345")
    assert hotline["data"]["household"]["residents"] is None
    assert hotline["data"]["household"]["appeals"] is not None
    stats = await ask("statistics")  # aggregates only: not even the household
    codes = {e["extensions"]["code"] for e in stats["errors"]}
    assert stats["data"]["household"] is None and codes == {"PURPOSE_NOT_ALLOWED"}
