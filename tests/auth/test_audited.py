"""Every read of personal data is in the audit chain before the answer leaves; when the chain
cannot be written, no personal data is served."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from gateway.audit import verify
from tests.conftest import agency_headers, agency_key, synced_store

READ = "query($id: ID!) { household(id: $id) { id residents { name } appeals { number } } }"


@pytest.fixture(scope="module")
async def store(pg_admin: str, district: Any, settings: Any) -> str:
    uri = await synced_store(pg_admin, "audited", district, settings)
    return uri


@pytest.fixture(scope="module")
async def api(store: str, district: Any, settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.app import create_app

    key = await agency_key(store, "audited-rc", "residents_committee", ["*"])
    app = create_app(settings, store_uri=store, partners=district.partners_config())
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("10.1.2.3", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://juheli.test",
                                     headers=agency_headers(key, officer="张科员")) as c:
            yield c


async def test_a_personal_read_is_chained_with_who_why_and_what(api: Any, store: str) -> None:
    conn = await asyncpg.connect(store)
    try:
        household = await conn.fetchval("SELECT key FROM households ORDER BY key LIMIT 1")
        before = await conn.fetchval("SELECT count(*) FROM audit_log")
        body = (await api.post("/graphql", json={
            "query": READ, "variables": {"id": f"Household:{household}"}})).json()
        assert body["data"]["household"]["residents"]
        row = await conn.fetchrow("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1")
        # reading no personal field writes nothing
        await api.post("/graphql", json={"query": "{ communities { code name } }"})
        after = await conn.fetchval("SELECT count(*) FROM audit_log")
    finally:
        await conn.close()
    assert after == before + 1
    assert (row["agency"], row["officer"], row["purpose"]) == ("audited-rc", "张科员",
                                                               "case_handling")
    assert list(row["households"]) == [household]
    assert set(row["field_groups"]) == {"identity", "appeals"}
    assert row["client"] == "10.1.2.3" and len(row["operation_hash"]) == 64
    assert (await verify(store)).ok


async def test_no_audit_no_personal_data(api: Any, store: str) -> None:
    conn = await asyncpg.connect(store)
    try:
        household = await conn.fetchval("SELECT key FROM households ORDER BY key LIMIT 1")
        await conn.execute("ALTER TABLE audit_log RENAME TO audit_log_away")
        try:
            body = (await api.post("/graphql", json={
                "query": READ, "variables": {"id": f"Household:{household}"}})).json()
            harmless = (await api.post("/graphql", json={"query": "{ communities { code } }"})
                        ).json()
        finally:
            await conn.execute("ALTER TABLE audit_log_away RENAME TO audit_log")
    finally:
        await conn.close()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["AUDIT_UNAVAILABLE"]
    assert harmless["data"]["communities"], "what is not personal is still served"
