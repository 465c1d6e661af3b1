"""Fetch the partner records behind a set of links, through this request's loaders.

When a live read fails, the record's last synced row stands in for it — the stale fallback
(docs/resilience.md): rebuilt by the partner's adapter, marked `stale` with the time it was read,
and counted as SNAPSHOT in `extensions.sources`. The live failure stays in `errors` at the
field's path either way, so a client always knows what is not fresh. A snapshot older than the
request accepts (`X-Max-Staleness`, within the server's `stale_max_age_s`) is not served: a
SNAPSHOT_TOO_OLD error at the same path says so instead.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime

import strawberry

from gateway.adapters.base import Record
from gateway.context import Context
from gateway.db.store import LinkRow
from gateway.errors import AdapterError, MalformedRequest, SnapshotTooOld, StoreUnavailable
from gateway.resolvers.loaders import Failed

MAX_STALENESS_HEADER = "X-Max-Staleness"

RecordKey = tuple[str, str, str]  # (partner, entity, local id)


def body_of(ctx: Context, partner: str) -> str:
    adapter = ctx.services.adapters.get(partner)
    return adapter.info.name_zh if adapter else partner


def group_of(ctx: Context, record: Record, field: str, default: str) -> str:
    """The field group the body's definition declares for `field` of `record` (gateway/onboard/);
    `default` for a body defined in code, a field it does not declare, or one it calls public."""
    adapter = ctx.services.adapters.get(record.partner)
    declared = adapter.info.extra.get("fieldGroups", {}) if adapter else {}
    group = declared.get(record.entity, {}).get(field) if isinstance(declared, dict) else None
    return group if isinstance(group, str) and group != "public" else default


def max_staleness(value: str | None) -> float | None:
    """The `X-Max-Staleness` header: the oldest snapshot, in seconds, a request accepts (None:
    any; 0: live values only). Anything but a number ≥ 0 is refused (400) before GraphQL runs,
    so a typo never silently turns into "any age"."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise MalformedRequest(f"{MAX_STALENESS_HEADER} must be a number of seconds, 0 or more",
                               header=MAX_STALENESS_HEADER)
    return seconds


async def records_for(
    info: strawberry.Info[Context, None], links: Iterable[LinkRow], entities: Collection[str]
) -> list[Record]:
    """Every distinct record of `entities` behind `links`, fetched live and batched per partner.

    A partner that fails leaves its coded error in the request's report (surfaced in `errors`
    at this field's path); its records come from the last snapshot where the store has one, and
    the other partners' records are returned.
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
    failed: dict[RecordKey, AdapterError] = {}
    for ((partner, entity), ids), fetched_list in zip(groups, results, strict=True):
        for local_id, fetched in zip(ids, fetched_list, strict=True):
            if isinstance(fetched, Failed):
                failed[(partner, entity, local_id)] = fetched.error
            elif fetched is not None:
                out.append(fetched)
    if failed:
        out += await _fallback(info, failed)
    return out


async def record(
    info: strawberry.Info[Context, None], partner: str, entity: str, local_id: str
) -> Record | None:
    fetched = await info.context.loaders.partner(partner, entity).load(local_id)
    if isinstance(fetched, Failed):
        stale = await _fallback(info, {(partner, entity, local_id): fetched.error})
        return stale[0] if stale else None
    return fetched


async def _fallback(
    info: strawberry.Info[Context, None], failed: Mapping[RecordKey, AdapterError]
) -> list[Record]:
    """Report the failed live reads at this field's path; the snapshots that may stand in."""
    ctx = info.context
    path = tuple(info.path.as_list())
    for error in {id(e): e for e in failed.values()}.values():
        ctx.sources.fail(path, error)
    if not ctx.services.stale_fallback:
        return []
    try:
        snapshots = await ctx.loaders.snapshots.load_many(list(failed))
    except StoreUnavailable:
        return []  # no snapshot either: the partners' errors above are the answer
    bound = _bound(ctx)
    now = datetime.now(UTC)
    served: list[Record] = []
    too_old: dict[str, float] = {}
    for snapshot in snapshots:
        if snapshot is None:
            continue  # never synced, or no longer readable: the live error stands alone
        age = (now - snapshot.read_at).total_seconds()
        if bound is not None and age > bound:
            too_old[snapshot.partner] = max(age, too_old.get(snapshot.partner, 0.0))
        else:
            ctx.sources.stale(snapshot.partner, age)
            served.append(snapshot)
    for partner, age in too_old.items():
        ctx.sources.fail(path, SnapshotTooOld(partner, age_s=age, max_age_s=bound or 0.0))
    return served


def _bound(ctx: Context) -> float | None:
    """The request's bound within the server's: the smaller of the two that are set."""
    bounds = [b for b in (ctx.services.stale_max_age_s, ctx.max_staleness_s) if b is not None]
    return min(bounds) if bounds else None
