"""Build the adapters named in the partner configuration (`partners.toml`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from gateway.adapters.base import Adapter
from gateway.adapters.instrument import Instrumented
from gateway.adapters.partners import hall, hotline, massorg, mediation, party, rc
from gateway.adapters.sql import create_pool

_SQL = {"rc": rc.build, "party": party.build}
_REST = {"hall": hall.build, "hotline": hotline.build, "mediation": mediation.build}
_FILES = {"massorg": massorg.build}


def _client(base_url: str, timeout_ms: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=16)
    timeout = httpx.Timeout(timeout_ms / 1000, connect=min(timeout_ms, 2000) / 1000)
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits)


async def build_adapters(
    config: Mapping[str, Mapping[str, Any]], *, timeout_ms: int = 600
) -> dict[str, Adapter]:
    """One instrumented adapter per configured partner. Nothing here contacts a partner, so a
    partner that is down cannot keep the gateway from starting."""
    out: dict[str, Adapter] = {}
    for slug, conf in config.items():
        adapter: Adapter
        if slug in _SQL:
            adapter = _SQL[slug](await create_pool(str(conf["dsn"])))
        elif slug in _REST:
            adapter = _REST[slug](_client(str(conf["base_url"]), timeout_ms))
        elif slug in _FILES:
            adapter = _FILES[slug](Path(str(conf["folder"])))
        else:
            raise ValueError(f"partner {slug!r} has no adapter module")
        out[slug] = Instrumented(adapter)
    return out


async def close_adapters(adapters: Mapping[str, Adapter]) -> None:
    for adapter in adapters.values():
        await adapter.aclose()
