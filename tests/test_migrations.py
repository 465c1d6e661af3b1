"""The migrations build exactly the tables the code describes, and step down and up again."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.db.embedded import to_sqlalchemy
from gateway.db.migrate import alembic_config
from gateway.db.models import metadata
from tests.conftest import migrated_store


async def _diff(uri: str) -> list[Any]:
    engine = create_async_engine(to_sqlalchemy(uri))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), metadata))
    finally:
        await engine.dispose()


async def test_migrations_match_the_models_and_downgrade_cleanly(pg_admin: str) -> None:
    uri = await migrated_store(pg_admin, "migrations")
    assert await _diff(uri) == []
    await asyncio.to_thread(command.downgrade, alembic_config(uri), "0002")
    await asyncio.to_thread(command.upgrade, alembic_config(uri), "head")
    assert await _diff(uri) == []
