"""Apply and inspect the store's Alembic migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from gateway.db.embedded import to_sqlalchemy

_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(uri: str) -> Config:
    cfg = Config(str(_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(_ROOT / "migrations"))
    cfg.attributes["url"] = to_sqlalchemy(uri)
    return cfg


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("postgresql://x/x"))
    head = script.get_current_head()
    assert head is not None
    return head


def upgrade(uri: str) -> None:
    """Migrate the store at `uri` to head (blocking; Alembic's env runs its own event loop)."""
    command.upgrade(alembic_config(uri), "head")


async def upgrade_async(uri: str) -> None:
    await asyncio.to_thread(upgrade, uri)


async def current_revision(uri: str) -> str | None:
    conn = await asyncpg.connect(uri)
    try:
        exists = await conn.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
        if not exists:
            return None
        value = await conn.fetchval("SELECT version_num FROM alembic_version")
        return str(value) if value is not None else None
    finally:
        await conn.close()


async def ensure_database(admin_uri: str, database: str) -> None:
    """Create `database` on the server of `admin_uri` when it does not exist yet."""
    conn = await asyncpg.connect(admin_uri)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
