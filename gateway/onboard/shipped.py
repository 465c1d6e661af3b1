"""The definitions shipped with Juheli (gateway/onboard/definitions/) and the demo's use of them:
the women's federation's drop, the property SaaS and the owners' committees' workbooks reach
the demo district through these files alone."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import asyncpg

from gateway.onboard import store
from gateway.onboard.loader import load_file

FOLDER = Path(__file__).parent / "definitions"


def shipped() -> list[Path]:
    return sorted(FOLDER.glob("*.yaml"))


def demo_vars(district: Any) -> dict[str, str]:
    """The `${VAR}`s the shipped definitions name, for a running demo district."""
    return {**district.definition_vars(), "MASSORG_FOLDER": str(district.massorg_folder)}


async def register_shipped(uri: str, *, only: Collection[str] | None = None) -> dict[str, int]:
    """Register each shipped definition (or those in `only`) whose text is not the version in
    force; the versions registered. Validated, not dry-run: the demo's bodies are its own."""
    conn = await asyncpg.connect(uri)
    try:
        current = {s.slug: s for s in await store.latest(conn)}
        out = {}
        for path in shipped():
            definition, text = load_file(path)
            slug = definition.body.slug
            if only is not None and slug not in only:
                continue
            stored = current.get(slug)
            if stored is None or stored.source != text or not stored.enabled:
                out[slug] = await store.register(conn, slug, definition.body.name_zh, text)
        return out
    finally:
        await conn.close()
