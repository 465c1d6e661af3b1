"""The adapter contract, proven for every adapter against the real partner systems:
slot order, absent keys, per-key errors, batch size, and the sync feed's cursor."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.adapters.base import Adapter, Record
from gateway.adapters.files import FileDropAdapter
from gateway.adapters.partners import hall, hotline, massorg, mediation, party, rc
from gateway.adapters.rest import RestAdapter
from gateway.adapters.sql import SqlAdapter, create_pool
from gateway.demo.generator import load_rows
from gateway.errors import AdapterError, PartnerDataInvalid, PartnerUnavailable

# (partner, entity) pairs: one per adapter, covering every kind.
CASES = [("rc", "resident"), ("rc", "reception"), ("party", "member"), ("hall", "service_case"),
         ("hotline", "ticket"), ("mediation", "dispute"), ("massorg", "volunteer")]
REST = {"hall": (hall, hall.HallDialect), "hotline": (hotline, hotline.HotlineDialect),
        "mediation": (mediation, mediation.MediationDialect)}


def _poison(mapper: Any, bad_key: str) -> Any:
    """The partner's own mapper, except that one key's row is unreadable."""

    def mapped(*args: Any) -> Record:
        record: Record = mapper(*args)
        if record.local_id == bad_key:
            raise ValueError("field has the wrong type")
        return record

    return mapped


async def _build(slug: str, config: dict[str, Any], entity: str, bad_key: str | None) -> Adapter:
    conf = config[slug]
    if slug in ("rc", "party"):
        module = rc if slug == "rc" else party
        entities = dict(module.ENTITIES)
        if bad_key:
            entities[entity] = dataclasses.replace(entities[entity],
                                                   mapper=_poison(entities[entity].mapper, bad_key))
        return SqlAdapter(module.INFO, await create_pool(conf["dsn"]), entities)
    if slug in REST:
        module, dialect_cls = REST[slug]
        dialect = dialect_cls()
        if bad_key:
            dialect.to_record = _poison(dialect.to_record, bad_key)  # type: ignore[method-assign]
        client = httpx.AsyncClient(base_url=conf["base_url"], timeout=10)
        return RestAdapter(module.INFO, client, dialect, module.build(client).capabilities.entities)
    entities_f = dict(massorg.ENTITIES)
    if bad_key:
        entities_f[entity] = dataclasses.replace(entities_f[entity],
                                                 mapper=_poison(entities_f[entity].mapper, bad_key))
    return FileDropAdapter(massorg.INFO, Path(conf["folder"]), entities_f)


async def _some_keys(adapter: Adapter, entity: str, n: int = 3) -> list[str]:
    async for batch in adapter.changes(entity, None):
        keys = [r.local_id for r in batch.records[:n]]
        if len(keys) == n:
            return keys
    raise AssertionError(f"{entity}: fewer than {n} records in the partner")


@pytest.mark.parametrize(("slug", "entity"), CASES)
async def test_slots_in_key_order_with_absent_keys(district: Any, slug: str, entity: str) -> None:
    adapter = await _build(slug, district.partners_config(), entity, None)
    try:
        a, b, c = await _some_keys(adapter, entity)
        keys = [c, "NO-SUCH-KEY-1", a, b, "NO-SUCH-KEY-2", a]
        slots = await adapter.fetch_many(entity, keys)
        assert len(slots) == len(keys)
        assert [s.local_id if isinstance(s, Record) else s for s in slots] == [
            c, None, a, b, None, a]
        first = slots[0]
        assert isinstance(first, Record)
        assert first.partner == slug and first.entity == entity
        assert first.data and first.raw and first.read_at.tzinfo is not None
        assert first.live is adapter.capabilities.live
    finally:
        await adapter.aclose()


@pytest.mark.parametrize(("slug", "entity"), CASES)
async def test_unreadable_row_fails_only_its_key(district: Any, slug: str, entity: str) -> None:
    probe = await _build(slug, district.partners_config(), entity, None)
    try:
        a, b, c = await _some_keys(probe, entity)
    finally:
        await probe.aclose()
    adapter = await _build(slug, district.partners_config(), entity, bad_key=b)
    try:
        slots = await adapter.fetch_many(entity, [a, b, c])
        assert isinstance(slots[0], Record) and slots[0].local_id == a
        assert isinstance(slots[1], PartnerDataInvalid)
        assert slots[1].extensions["code"] == "PARTNER_DATA_INVALID"
        assert slots[1].extensions["partner"] == slug
        assert isinstance(slots[2], Record) and slots[2].local_id == c
    finally:
        await adapter.aclose()


@pytest.mark.parametrize("slug", ["hall", "hotline", "mediation"])
async def test_batches_split_at_the_partners_limit(district: Any, sim_stats: Any, slug: str) -> None:
    config = district.partners_config()
    entity = {"hall": "service_case", "hotline": "ticket", "mediation": "dispute"}[slug]
    adapter = await _build(slug, config, entity, None)
    try:
        limit = adapter.capabilities.max_batch
        real = await _some_keys(adapter, entity)
        keys = real + [f"MISSING-{i}" for i in range(2 * limit)]
        sim_stats(reset=True)
        slots = await adapter.fetch_many(entity, keys)
        assert len(slots) == len(keys)
        assert sum(isinstance(s, Record) for s in slots) == len(real)
        # Every request stayed within the partner's batch limit (else it answers 400).
        assert sim_stats()[slug] == math.ceil(len(keys) / limit)
    finally:
        await adapter.aclose()


@pytest.mark.parametrize(("slug", "entity"), CASES)
async def test_change_feed_resumes_from_its_cursor(district: Any, slug: str, entity: str) -> None:
    adapter = await _build(slug, district.partners_config(), entity, None)
    try:
        seen: list[str] = []
        cursor = None
        async for batch in adapter.changes(entity, None):
            seen += [r.local_id for r in batch.records]
            cursor = batch.cursor
        assert seen and len(seen) == len(set(seen))
        again = [r.local_id async for batch in adapter.changes(entity, cursor) for r in batch.records]
        assert again == []
        assert adapter.capabilities.max_batch > 0 and entity in adapter.capabilities.entities
    finally:
        await adapter.aclose()


async def test_partner_refusing_connections_is_unavailable_not_a_crash() -> None:
    client = httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2)
    adapter = hall.build(client)
    try:
        with pytest.raises(PartnerUnavailable) as info:
            await adapter.fetch_many("service_case", ["x"])
        assert info.value.extensions["code"] == "PARTNER_UNAVAILABLE"
        health = await adapter.health()
        assert health.ok is False
    finally:
        await adapter.aclose()


async def test_sql_partner_down_at_start_fails_reads_not_construction() -> None:
    pool = await create_pool("postgresql://nobody@127.0.0.1:9/none")
    adapter = rc.build(pool)
    try:
        with pytest.raises(AdapterError) as info:
            await adapter.fetch_many("resident", ["R1"])
        assert info.value.extensions["code"] == "PARTNER_UNAVAILABLE"
    finally:
        await adapter.aclose()


# What the combined views read of a reception (gateway/views/facts.py), exactly.
RECEPTION_KEYS = {"number", "visitor", "phone", "address", "community", "channel", "receivedOn",
                  "category", "matter", "status", "repliedOn", "dueOn"}


async def test_rc_receptions_read_in_the_unified_shape(district: Any, world_folder: Path) -> None:
    rows = {r["jdbh"]: r for r in load_rows(world_folder, "rc", "jiedai")}
    adapter = rc.build(await create_pool(district.dsns["rc"]))
    try:
        records = [r async for batch in adapter.changes("reception", None) for r in batch.records]
    finally:
        await adapter.aclose()
    assert len(records) == len(rows) == 90  # 0.15 per household
    assert {r.local_id for r in records} == set(rows)
    for record in records:
        raw, data = rows[record.local_id], record.data
        assert set(data) == RECEPTION_KEYS
        assert data["channel"] == rc.RECEPTION_CHANNEL[raw["jdfs"]]
        assert data["status"] == rc.RECEPTION_STATUS[raw["blqk"]]
        assert (data["receivedOn"], data["repliedOn"], data["dueOn"]) == (
            raw["jdrq"], raw["dfrq"], raw["blsx"])
        assert (data["number"], data["community"], data["category"]) == (
            raw["jdbh"], raw["sqbm"], raw["sxlb"])
        (subject,) = record.subjects
        assert subject.role == "visitor" and subject.community == raw["sqbm"]
        assert (subject.name, subject.phone, subject.address) == (raw["fyr"], raw["lxdh"], raw["zz"])
    assert {r.data["status"] for r in records} == {"REPLIED", "IN_PROGRESS", "TRANSFERRED"}
    assert {r.data["channel"] for r in records} == {"RECEPTION_ROOM", "FORUM", "HOME_VISIT"}
