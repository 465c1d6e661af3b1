"""What `gateway documents …` does, against the store that `Settings` names."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from gateway.limits.config import Limits
from gateway.limits.documents import TrustedDocuments, check_manifest, document_id, read_manifest
from gateway.settings import Settings

T = TypeVar("T")


async def _with_documents(settings: Settings, work: Callable[[TrustedDocuments], Awaitable[T]]) -> T:
    from gateway.app import resolve_store_uri

    pool = await asyncpg.create_pool(await resolve_store_uri(settings), min_size=1, max_size=2)
    try:
        return await work(TrustedDocuments(pool))
    finally:
        await pool.close()


async def add_manifest(settings: Settings, manifest: Path) -> tuple[int, int]:
    """Check every document of the manifest, then store them all: (in the manifest, new).
    Raises `ManifestInvalid` listing every problem; then nothing is stored."""
    from gateway.schema import schema

    documents = check_manifest(read_manifest(manifest.read_bytes()), schema._schema,
                               Limits.from_settings(settings))
    added = await _with_documents(settings, lambda docs: docs.add(documents))
    return len(documents), added


async def list_documents(settings: Settings) -> list[dict[str, Any]]:
    return await _with_documents(settings, lambda docs: docs.list())


async def remove_document(settings: Settings, id_: str) -> bool:
    digest = document_id(id_)
    if digest is None:
        return False
    return await _with_documents(settings, lambda docs: docs.remove(digest))
