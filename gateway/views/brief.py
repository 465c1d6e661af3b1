"""The coordination brief: one community over one period, every section computed in SQL over
the synced facts, each on its own pooled connection so the sections run side by side.

What the caller may see is applied here, once, to the whole result: an aggregates-only
purpose gets counts from 1 to `suppress_below - 1` as null and no lists of households or
members; a section whose every feeding partner has no snapshot gets null figures, never zeros.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import strawberry
from strawberry.types.base import StrawberryOptional

from gateway.errors import NotFound, PeriodInFuture, PeriodReversed
from gateway.schema.brief import CoordinationBrief, PartnerFreshness, Period
from gateway.views import brief_cases, brief_chain, brief_property
from gateway.views.cache import SectionCache
from gateway.views.config import BriefConfig
from gateway.views.freshness import SECTIONS, freshness
from gateway.views.scope import Scope

QUARTER_DAYS = 91.3125


def scope_of(community: str, start: date, end: date, *, today: date,
             config: BriefConfig) -> Scope:
    """The scope of a requested period, or the coded refusal: `to` before `from`, or a period
    that starts after today. A period running past today ends today."""
    if end < start:
        raise PeriodReversed(f"the period ends ({end}) before it starts ({start})",
                             start=start.isoformat(), end=end.isoformat())
    if start > today:
        raise PeriodInFuture(f"the period starts after today ({today}): nothing to count yet",
                             start=start.isoformat(), today=today.isoformat())
    end = min(end, today)
    days = (end - start).days + 1
    return Scope(community, start, end, today,
                 visits_per_household=round(config.visits_per_household_quarter * days
                                            / QUARTER_DAYS, 2))


Section = Callable[[asyncpg.Connection, Scope], Awaitable[Any]]




def section_runs() -> dict[str, Section]:
    """The sections in the brief's order. Looked up when called, not at import: the section
    modules import the schema's types, whose package imports this module back."""
    return {
        "disputes": brief_cases.disputes, "appeals": brief_cases.appeals,
        "services": brief_cases.services, "chain": brief_chain.chain,
        "visits": brief_chain.visits, "meetings": brief_chain.meetings,
        "needs": brief_chain.needs, "property": brief_property.property_figures,
    }


async def _run(pool: asyncpg.Pool, section: Section, scope: Scope) -> Any:
    async with pool.acquire() as conn:
        return await section(conn, scope)


async def _sections(pool: asyncpg.Pool, scope: Scope, cache: SectionCache | None
                    ) -> dict[str, Any]:
    version = int(await pool.fetchval("SELECT version FROM facts_version"))
    if cache is not None and (hit := cache.get(scope, version)) is not None:
        return hit
    runs = section_runs()
    results = await asyncio.gather(*(_run(pool, s, scope) for s in runs.values()))
    sections = dict(zip(runs, results, strict=True))
    if cache is not None:
        cache.put(scope, version, sections)
    return sections


async def compute(pool: asyncpg.Pool, scope: Scope, *, name: str, config: BriefConfig,
                  configured: Mapping[str, tuple[str, list[str]]],
                  breakers_open: Iterable[str] = (), aggregates_only: bool = False,
                  now: datetime | None = None,
                  cache: SectionCache | None = None) -> CoordinationBrief:
    """The brief for `scope`, shaped for the caller (see the module docstring)."""
    now = now or datetime.now(ZoneInfo(config.timezone))
    sections, fresh = await asyncio.gather(
        _sections(pool, scope, cache), _fresh(pool, now, config, configured, breakers_open))
    missing = [f.partner for f in fresh if f.status == "NO_SNAPSHOT"]
    blind = _blind(fresh)
    for key in blind:
        blank(sections[key])
    if aggregates_only:
        for value in sections.values():
            suppress(value, config.suppress_below)
    if aggregates_only or "visits" in blind:
        sections["visits"].short_of_target = []  # people, not counts
    if aggregates_only or "needs" in blind:
        sections["needs"].households = []
    period = Period(from_=scope.start, to=scope.end, days=(scope.end - scope.start).days + 1)
    return CoordinationBrief(
        community=strawberry.ID(scope.community), community_name=name, period=period, computed_at=now,
        suppressed_below=config.suppress_below if aggregates_only else None,
        freshness=fresh, missing=missing, **sections)


async def _fresh(pool: asyncpg.Pool, now: datetime, config: BriefConfig,
                 configured: Mapping[str, tuple[str, list[str]]],
                 breakers_open: Iterable[str]) -> list[PartnerFreshness]:
    async with pool.acquire() as conn:
        return await freshness(conn, now, stale_after_s=config.stale_after_s,
                               configured=configured, down=set(breakers_open))


def _blind(fresh: list[PartnerFreshness]) -> list[str]:
    """Sections none of whose feeding partners has a snapshot: their figures are unknown."""
    known = {s for f in fresh if f.status != "NO_SNAPSHOT" for s in f.sections}
    return [s for s in SECTIONS if s not in known]


def _walk(value: Any, fix: Callable[[int], bool]) -> bool:
    """Null every int for which `fix` holds, inside dataclasses and lists, and the nullable
    floats of an object one of whose own counts was nulled (a rate whose base was hidden).
    Whether anything was nulled."""
    if isinstance(value, list):
        return any([_walk(v, fix) for v in value])
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return False
    hidden, nested, rates = False, False, []
    for f in dataclasses.fields(value):
        v = getattr(value, f.name)
        if isinstance(v, bool):
            continue
        if isinstance(v, int) and fix(v):
            setattr(value, f.name, None)
            hidden = True
        elif isinstance(v, float) and _nullable(f):
            rates.append(f.name)
        else:
            nested = _walk(v, fix) or nested
    if hidden:  # a rate's base is a count of its own object, not of a nested group
        for name in rates:
            setattr(value, name, None)
    return hidden or nested


def _nullable(f: dataclasses.Field[Any]) -> bool:
    """Whether a field may be null: its annotation as written (`float | None`), or as
    strawberry rewrote it when the field has a description."""
    return isinstance(f.type, StrawberryOptional) or "None" in str(f.type)


def suppress(value: Any, below: int) -> None:
    """Counts from 1 to `below - 1` become null, and the rates beside them."""
    _walk(value, lambda n: 0 < n < below)


def blank(value: Any) -> None:
    """Every count and rate becomes null: the data to count was never synced."""
    _walk(value, lambda n: True)


async def community_name(pool: asyncpg.Pool, code: str) -> str:
    name = await pool.fetchval("SELECT name FROM communities WHERE code = $1", code)
    if name is None:
        raise NotFound(f"no community {code!r}", community=code)
    return str(name)


def default_period(today: date) -> tuple[date, date]:
    """The last 30 days to today."""
    return today - timedelta(days=29), today
