"""A definition made into an adapter, on the generic building blocks: `RestAdapter` with a
dialect read from the definition, `SqlAdapter`, and `FolderDrop` (a `FileDropAdapter`).

Where a source lives is the deployment's: `${VAR}` in a source setting is read from the
variables handed in (the process environment by default), and a `[partners.<slug>]` table of
partners.toml may override `base_url`, `folder`, `dsn` or `token`. The stored definition keeps
the placeholders, never a secret.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from gateway.adapters.base import Adapter, PartnerInfo
from gateway.adapters.files import FileEntity as DropEntity
from gateway.adapters.rest import RestAdapter
from gateway.adapters.sql import SqlAdapter, create_pool
from gateway.adapters.sql import SqlEntity as TableEntity
from gateway.onboard.dialect import DeclaredDialect
from gateway.onboard.filedrop import FolderDrop
from gateway.onboard.mapping import EntityMapper
from gateway.onboard.model import (
    VAR,
    BearerAuth,
    Definition,
    Entity,
    FileSource,
    HeaderAuth,
    QueryAuth,
    RestSource,
    SqlSource,
)

OVERRIDABLE = ("base_url", "folder", "dsn", "token")


class UnboundVariable(KeyError):
    """A `${VAR}` the deployment does not set."""


def bind(value: str, env: Mapping[str, str]) -> str:
    def one(match: Any) -> str:
        name = match.group(1)
        if name not in env:
            raise UnboundVariable(name)
        return env[name]

    return VAR.sub(one, value)


def info_of(definition: Definition, *, version: int | None = None) -> PartnerInfo:
    body = definition.body
    groups = {e: {f: m.group for f, m in spec.fields.items()}
              for e, spec in definition.entities.items()}
    extra = {"bodyKind": body.kind, "orgCode": body.org_code, "definition": version,
             "fieldGroups": groups}
    return PartnerInfo(body.slug, body.name, body.name_zh, definition.source.kind, extra)


def _setting(source: Any, name: str, override: Mapping[str, Any], env: Mapping[str, str]) -> str:
    return bind(str(override.get(name, getattr(source, name))), env)


def _auth(source: RestSource, override: Mapping[str, Any], env: Mapping[str, str]
          ) -> tuple[dict[str, str], dict[str, str]]:
    auth = source.auth
    if isinstance(auth, BearerAuth | HeaderAuth | QueryAuth):
        token = bind(str(override.get("token", auth.token)), env)
        if isinstance(auth, BearerAuth):
            return {"Authorization": f"Bearer {token}"}, {}
        if isinstance(auth, HeaderAuth):
            return {auth.header: token}, {}
        return {}, {auth.param: token}
    return {}, {}


def _rest(definition: Definition, source: RestSource, override: Mapping[str, Any],
          env: Mapping[str, str], timeout_ms: int, version: int | None) -> Adapter:
    headers, params = _auth(source, override, env)
    timeout_s = (source.timeout_ms or timeout_ms) / 1000
    client = httpx.AsyncClient(
        base_url=_setting(source, "base_url", override, env), headers=headers, params=params,
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 2.0)),
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16))
    return RestAdapter(info_of(definition, version=version), client,
                       DeclaredDialect(definition), list(definition.entities))


async def _sql(definition: Definition, source: SqlSource, override: Mapping[str, Any],
               env: Mapping[str, str], version: int | None) -> Adapter:
    entities = {}
    for name, spec in definition.entities.items():
        assert spec.sql is not None  # rules.check: a sql source's entities have `sql:`
        table = spec.sql.table or f"({spec.sql.query}) AS q"
        mapper = EntityMapper(definition, name, live=True)
        entities[name] = TableEntity(table, spec.key, spec.updated, mapper.record)
    pool = await create_pool(_setting(source, "dsn", override, env))
    return SqlAdapter(info_of(definition, version=version), pool, entities,
                      max_batch=source.max_batch, page_size=source.page_size)


def _files(definition: Definition, source: FileSource, override: Mapping[str, Any],
           env: Mapping[str, str], version: int | None) -> Adapter:
    entities, pick_all = {}, set()
    for name, spec in definition.entities.items():
        assert spec.file is not None  # rules.check: a files source's entities have `file:`
        mapper = EntityMapper(definition, name, live=False)
        entities[name] = DropEntity(spec.file.glob, spec.key, mapper.record, sheet=spec.file.sheet,
                                    header_row=spec.file.header_row, encoding=source.encoding,
                                    columns=columns_read(spec))
        if spec.file.pick == "all":
            pick_all.add(name)
    folder = Path(_setting(source, "folder", override, env))
    return FolderDrop(info_of(definition, version=version), folder, entities,
                      flat=source.layout == "flat", pick_all=frozenset(pick_all))


def columns_read(entity: Entity) -> tuple[str, ...]:
    """The columns an entity's fields read (`from`, template placeholders, `updated`): what a
    declared header row must hold."""
    out: list[str] = [entity.updated] if entity.updated else []
    for mapped in entity.fields.values():
        if mapped.from_ is not None:
            out.append(mapped.from_)
        elif mapped.template is not None:
            out.extend(f for _, f, _, _ in string.Formatter().parse(mapped.template) if f)
    return tuple(dict.fromkeys(out))


async def build(definition: Definition, *, override: Mapping[str, Any] | None = None,
                env: Mapping[str, str] | None = None, timeout_ms: int = 600,
                version: int | None = None) -> Adapter:
    """The bare adapter of a definition (the registry wraps it like any other). Raises
    UnboundVariable for a `${VAR}` that `env` (default: the environment) does not set."""
    own = dict(override or {})
    vars_ = os.environ if env is None else env
    source = definition.source
    if isinstance(source, RestSource):
        return _rest(definition, source, own, vars_, timeout_ms, version)
    if isinstance(source, SqlSource):
        return await _sql(definition, source, own, vars_, version)
    return _files(definition, source, own, vars_, version)


def entities_of(definitions: Sequence[Definition]) -> dict[str, str]:
    """Which definition serves which entity (for listings)."""
    return {e: d.body.slug for d in definitions for e in d.entities}
