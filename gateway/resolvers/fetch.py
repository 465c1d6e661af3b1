"""Fetch the partner records behind a set of links, through this request's loaders."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable

import strawberry

from gateway.adapters.base import Record
from gateway.context import Context
from gateway.db.store import LinkRow
from gateway.resolvers.loaders import Failed


def body_of(ctx: Context, partner: str) -> str:
    adapter = ctx.services.adapters.get(partner)
    return adapter.info.name_zh if adapter else partner


async def records_for(
    info: strawberry.Info[Context, None], links: Iterable[LinkRow], entities: Collection[str]
) -> list[Record]:
    """Every distinct record of `entities` behind `links`, fetched live and batched per partner.

    A partner that fails leaves its coded error in the request's report (surfaced in `errors`
    at this field's path) and the other partners' records are returned.
    """
    ctx = info.context
    wanted: dict[tuple[str, str], dict[str, None]] = {}
    for link in links:
        if link.entity in entities:
            wanted.setdefault((link.partner, link.entity), {})[link.local_id] = None
    groups = list(wanted.items())
    results = await asyncio.gather(
        *(ctx.loaders.partner(p, e).load_many(list(ids)) for (p, e), ids in groups)
    )
    out: list[Record] = []
    path = tuple(info.path.as_list())
    for fetched_list in results:
        for fetched in fetched_list:
            if isinstance(fetched, Failed):
                ctx.sources.fail(path, fetched.error)
            elif fetched is not None:
                out.append(fetched)
    return out


async def record(
    info: strawberry.Info[Context, None], partner: str, entity: str, local_id: str
) -> Record | None:
    fetched = await info.context.loaders.partner(partner, entity).load(local_id)
    if isinstance(fetched, Failed):
        info.context.sources.fail(tuple(info.path.as_list()), fetched.error)
        return None
    return fetched
