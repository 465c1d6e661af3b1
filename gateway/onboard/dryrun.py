"""The dry run of `gateway partner add`: the definition's adapter against the live source.

It probes the source, reads the first page of each entity's feed (a drop's current file), maps
a sample of rows and, with a store at hand, asks linkage which household each record's subjects
would link to. Nothing is written. A source that cannot be reached, answers an error, or whose
rows the definition maps none of is refused, naming the setting to check and its line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from gateway.adapters.base import Adapter, Quarantined, Record
from gateway.errors import AdapterError
from gateway.linkage.attrs import subject_attrs
from gateway.linkage.link import load_indexes
from gateway.linkage.match import Scorer
from gateway.onboard.build import UnboundVariable, build
from gateway.onboard.errors import DryRunFailed, Problem
from gateway.onboard.loader import Lines
from gateway.onboard.model import Definition

WHERE = {"rest": "base_url", "sql": "dsn", "files": "folder"}


@dataclass(frozen=True, slots=True)
class Candidate:
    role: str | None
    status: str  # auto | needs_review | unlinked | place
    household: str | None  # the household's key
    confidence: float
    method: str


@dataclass
class Sample:
    entity: str
    records: list[Record] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    candidates: list[list[Candidate]] = field(default_factory=list)  # per record, per subject
    read: int = 0  # rows in the page read


@dataclass
class DryRun:
    latency_ms: float
    samples: list[Sample]


def _fail(lines: Lines, loc: Sequence[str | int], message: str) -> DryRunFailed:
    return DryRunFailed([Problem(*lines.find(loc), message)])


async def _sample(adapter: Adapter, entity: str, size: int) -> Sample:
    out = Sample(entity)
    feed: Any = adapter.changes(entity, None)
    try:
        batch = await anext(feed, None)
    finally:
        with contextlib.suppress(Exception):
            await feed.aclose()
    if batch is not None:
        out.read = len(batch.records) + len(batch.quarantined)
        out.records = list(batch.records)[:size]
        out.quarantined = list(batch.quarantined)
    return out


async def _candidates(conn: asyncpg.Connection, samples: list[Sample]) -> None:
    scorer = Scorer(await load_indexes(conn))
    keys = {r["id"]: r["key"] for r in await conn.fetch("SELECT id, key FROM households")}
    for sample in samples:
        for record in sample.records:
            found = []
            for subject in record.subjects:
                d = scorer.decide(subject_attrs(subject))
                found.append(Candidate(subject.role, d.status, keys.get(d.household_id or -1),
                                       round(d.confidence, 3), d.method))
            sample.candidates.append(found)


async def dry_run(definition: Definition, lines: Lines, *, override: Mapping[str, Any],
                  env: Mapping[str, str] | None = None, size: int = 5,
                  conn: asyncpg.Connection | None = None) -> DryRun:
    where = ("source", WHERE[definition.source.kind])
    try:
        adapter = await build(definition, override=override, env=env, timeout_ms=10_000)
    except UnboundVariable as exc:
        raise _fail(lines, where, f"${{{exc.args[0]}}} is not set in this environment") from None
    except (OSError, AdapterError) as exc:
        raise _fail(lines, where, f"source unreachable: {exc}") from None
    try:
        health = await adapter.health()
        if not health.ok:
            raise _fail(lines, where, f"source unreachable: {health.detail or 'no answer'}")
        samples = []
        for entity in definition.entities:
            try:
                sample = await _sample(adapter, entity, size)
            except AdapterError as exc:
                raise _fail(lines, ("entities", entity), f"reading it failed: {exc}") from None
            if sample.read and not sample.records:
                reasons = "; ".join(sorted({q.reason for q in sample.quarantined})[:3])
                raise _fail(lines, ("entities", entity, "fields"),
                            f"none of {sample.read} rows maps: {reasons}")
            samples.append(sample)
    finally:
        await adapter.aclose()
    if conn is not None:
        await _candidates(conn, samples)
    return DryRun(health.latency_ms, samples)
