"""Frozen briefs: a brief stored exactly as computed, for the minutes of a meeting to cite.

The brief is written as canonical JSON (sorted keys, no whitespace, dates in ISO 8601), and its
SHA-256 is taken over those bytes, so anyone holding the JSON can check the hash. The row cannot
be changed or deleted (migration 0009's trigger). Reading it back rebuilds the same typed brief
from the JSON, so a client reads a frozen brief with the same fragments as a live one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import types
import typing
from datetime import date, datetime
from typing import Any, TypeVar, Union

import asyncpg
import orjson
import strawberry

from gateway.schema.brief import CoordinationBrief, FrozenBrief

T = TypeVar("T")


def plain(value: Any) -> Any:
    """A brief as JSON-ready data, by its Python field names."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def canonical(brief: CoordinationBrief) -> str:
    return orjson.dumps(plain(brief), option=orjson.OPT_SORT_KEYS).decode()


def _hints(cls: type) -> dict[str, Any]:
    import gateway.schema.brief as module

    return typing.get_type_hints(cls, globalns=vars(module))


def rebuild(cls: type[T], data: Any) -> T:
    """The typed value of `cls` that `plain` turned into `data`."""
    return typing.cast(T, _value(cls, data))


def _value(tp: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return _value(inner, data)
    if origin is list:
        (inner,) = typing.get_args(tp)
        return [_value(inner, v) for v in data]
    if tp is datetime:
        return datetime.fromisoformat(data)
    if tp is date:
        return date.fromisoformat(data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        return tp(**{f.name: _value(hints[f.name], data.get(f.name))
                     for f in dataclasses.fields(tp)})
    return data


async def freeze(conn: asyncpg.Connection, brief: CoordinationBrief, *, agency: str,
                 officer: str | None, purpose: str | None) -> FrozenBrief:
    text = canonical(brief)
    digest = hashlib.sha256(text.encode()).hexdigest()
    as_of = {f.partner: f.as_of.isoformat() if f.as_of else None for f in brief.freshness}
    row = await conn.fetchrow(
        """INSERT INTO frozen_briefs (community_code, period_from, period_to, body, canonical,
                                      sha256, as_of, agency, officer, purpose)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7::jsonb, $8, $9, $10)
           RETURNING id, frozen_at""",
        brief.community, brief.period.from_, brief.period.to, text, text, digest,
        orjson.dumps(as_of).decode(), agency, officer, purpose)
    return _frozen(row["id"], brief, text, digest, row["frozen_at"], agency, officer)


def _frozen(id_: int, brief: CoordinationBrief, text: str, digest: str, at: datetime,
            agency: str, officer: str | None) -> FrozenBrief:
    return FrozenBrief(id=strawberry.ID(f"FrozenBrief:{id_}"), brief=brief, sha256=digest, canonical=text,
                       as_of=[dataclasses.replace(f) for f in brief.freshness],
                       frozen_at=at, frozen_by=f"{agency}/{officer}" if officer else agency)


async def load(conn: asyncpg.Connection, id_: int) -> FrozenBrief | None:
    row = await conn.fetchrow(
        "SELECT id, canonical, sha256, frozen_at, agency, officer FROM frozen_briefs "
        "WHERE id = $1", id_)
    if row is None:
        return None
    brief = rebuild(CoordinationBrief, orjson.loads(row["canonical"]))
    return _frozen(row["id"], brief, row["canonical"], row["sha256"], row["frozen_at"],
                   row["agency"], row["officer"])


__all__ = ["canonical", "freeze", "load", "plain", "rebuild"]
