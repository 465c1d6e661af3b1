"""A store of its own with the two property bodies onboarded from their shipped definition files
(gateway/onboard/definitions/: the property SaaS and the owners' committees' drop of the running
district), synced and linked, and the gateway app in front of it. No adapter code is involved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from asgi_lifespan import LifespanManager

from gateway.settings import Settings
from tests.conftest import agency_headers, agency_key, migrated_store

BODIES = ("property", "owners")


def overrides(district: Any) -> dict[str, dict[str, str]]:
    """Where the definitions' sources live in this district (partners.toml tables)."""
    where = district.definition_vars()
    return {"property": {"base_url": where["PROPERTY_URL"], "token": where["PROPERTY_TOKEN"]},
            "owners": {"folder": where["OWNERS_FOLDER"]}}


@pytest.fixture(scope="session")
def property_partners(district: Any) -> dict[str, Any]:
    return {**district.partners_config(), **overrides(district)}


@pytest.fixture(scope="session")
async def property_store(pg_admin: str, district: Any, settings: Settings,
                         property_partners: dict[str, Any]) -> str:
    from gateway.onboard.shipped import register_shipped
    from gateway.ops import run_sync

    uri = await migrated_store(pg_admin, "property")
    assert set(await register_shipped(uri, only=BODIES)) == set(BODIES)
    conn = await asyncpg.connect(uri)
    try:
        # A role that sees property data masked (no default role does), before the app
        # caches the policy.
        await conn.execute(
            "INSERT INTO grants (role, field_group, purpose, level) VALUES "
            "('test_masked', 'property', 'case_handling', 'masked')")
    finally:
        await conn.close()
    await run_sync(settings, partners=property_partners, store_uri=uri)
    return uri


@pytest.fixture(scope="session")
async def property_key(property_store: str) -> str:
    return await agency_key(property_store, "test-property", "residents_committee", ["*"])


@pytest.fixture(scope="session")
async def property_app(property_store: str, settings: Settings,
                       property_partners: dict[str, Any]) -> AsyncIterator[Any]:
    from gateway.app import create_app

    app = create_app(settings, store_uri=property_store, partners=property_partners)
    async with LifespanManager(app) as manager:
        yield manager.app


@pytest.fixture
async def pgql(property_app: Any, property_key: str) -> AsyncIterator[Any]:
    transport = httpx.ASGITransport(app=property_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://juheli.test") as client:

        async def run(query: str, variables: dict[str, Any] | None = None, *,
                      key: str | None = None, purpose: str = "case_handling") -> dict[str, Any]:
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables or {}},
                headers=agency_headers(key or property_key, purpose))
            assert response.status_code == 200, response.text
            return dict(orjson.loads(response.content))

        yield run
