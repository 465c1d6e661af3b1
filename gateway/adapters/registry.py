"""Build the adapters named in the partner configuration (`partners.toml`) and the bodies
onboarded from definition files (gateway/onboard/)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from gateway.adapters.base import Adapter
from gateway.adapters.instrument import Instrumented
from gateway.adapters.partners import hall, hotline, massorg, mediation, party, rc
from gateway.adapters.resilience import PartnerPolicy, Resilient
from gateway.adapters.sql import create_pool
from gateway.onboard.build import UnboundVariable, build
from gateway.onboard.model import Definition

log = logging.getLogger(__name__)

_SQL = {"rc": rc.build, "party": party.build}
_REST = {"hall": hall.build, "hotline": hotline.build, "mediation": mediation.build}
_FILES = {"massorg": massorg.build}


def _client(base_url: str, timeout_ms: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=16)
    timeout = httpx.Timeout(timeout_ms / 1000, connect=min(timeout_ms, 2000) / 1000)
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits)


async def build_adapters(
    config: Mapping[str, Mapping[str, Any]],
    *,
    timeout_ms: int = 600,
    policy: PartnerPolicy | None = None,
    definitions: Sequence[tuple[Definition, int]] = (),
) -> dict[str, Adapter]:
    """One guarded, instrumented adapter per configured partner: `Resilient(Instrumented(...))`.

    `policy` (default: `timeout_ms` per call and the other defaults) is each partner's, with the
    overrides its table sets (`timeout_ms`, `attempt_timeout_ms`, `retries`, `breaker_failures`,
    `breaker_open_ms`). Nothing here contacts a partner, so a partner that is down cannot keep
    the gateway from starting.

    `definitions` are registered definitions with their versions (gateway/onboard/live.py): a
    configuration table named by such a slug overrides where its source lives. A definition
    that cannot be built here (a `${VAR}` this process does not set) is left out and logged,
    never a reason not to start."""
    base = policy or PartnerPolicy(timeout_s=timeout_ms / 1000)
    out = await _defined(config, definitions, base)
    defined = {definition.body.slug for definition, _ in definitions}
    for slug, conf in config.items():
        if slug in defined:  # its table only says where the definition's source lives
            continue
        own = base.for_partner(conf)
        adapter: Adapter
        if slug in _SQL:
            adapter = _SQL[slug](await create_pool(str(conf["dsn"])))
        elif slug in _REST:
            adapter = _REST[slug](_client(str(conf["base_url"]), round(own.timeout_s * 1000)))
        elif slug in _FILES:
            adapter = _FILES[slug](Path(str(conf["folder"])))
        else:
            raise ValueError(f"partner {slug!r} has no adapter module")
        out[slug] = Resilient(Instrumented(adapter), own)
    return out


async def _defined(
    config: Mapping[str, Mapping[str, Any]], definitions: Sequence[tuple[Definition, int]],
    base: PartnerPolicy,
) -> dict[str, Adapter]:
    out: dict[str, Adapter] = {}
    for definition, version in definitions:
        slug = definition.body.slug
        conf = config.get(slug, {})
        own = base.for_partner(conf)
        try:
            adapter = await build(definition, override=conf, version=version,
                                  timeout_ms=round(own.timeout_s * 1000))
        except UnboundVariable as exc:
            log.warning("partner %s (definition v%d) left out: ${%s} is not set",
                        slug, version, exc.args[0])
            continue
        out[slug] = Resilient(Instrumented(adapter), own)
    return out


async def close_adapters(adapters: Mapping[str, Adapter]) -> None:
    for adapter in adapters.values():
        await adapter.aclose()
